"""Apply's creates, a batch at a time, so that no item gets two records whatever kills the run.

For each batch: its ids are looked up by label first (a record a dead run made is adopted, not
made again); the rest are checked to be in their notes still, then created in one call inside
a journal entry (:mod:`.journal`); the batch's keys and the entry's close are one commit. A
kill before that commit leaves the entry open, and the next run finds the records by their ids.
"""

from __future__ import annotations

from typing import Any

from plansync.config import BACKEND_TITLES
from plansync.connectors.base import ConnectorError, NewRecord, OpResult, RemoteRecord
from plansync.engine.changes import Change
from plansync.engine.steps.answers import carried, failed_with_call, users_entry
from plansync.engine.steps.journal import lookup
from plansync.engine.steps.notes import ids_on_disk
from plansync.engine.steps.run import Run
from plansync.progress import reported_batches
from plansync.rules import label_for
from plansync.sites import site_of_connector


def create_records(run: Run, target: str, changes: list[Change]) -> None:
    """Create ``changes``' records in ``target``, a batch at a time (each item whose earlier
    step failed is left out); a whole call's failure is raised, for :meth:`Run.whole_call`."""
    todo = [c for c in changes if not run.blocked(c)]
    for batch in reported_batches(
        run.progress, f"create in {target}", todo, run.batch_size(target)
    ):
        _create_batch(run, target, batch)


def _create_batch(run: Run, target: str, batch: list[Change]) -> None:
    connector = run.connectors[target]
    ids = [c.item.block_id for c in batch if c.item.block_id]
    found = lookup(run, target, ids)
    run.checkpoint("looked_up")
    to_create = [c for c in batch if label_for(c.item.block_id or "") not in found]
    if found:  # one commit: lost to a kill, they are found again, as they are now
        with run.state.together():
            for change in batch:
                made = found.get(label_for(change.item.block_id or ""))
                if made is not None:  # made by a run that died: its status may have moved
                    _created(
                        run,
                        change,
                        made.key,
                        made.url,
                        run.fill_cross_keys(change),
                        made.closed_as or made.status_category,
                        "found by its plansync id (made by another run): not created again",
                    )
    # Checked right before the call, not once before every batch: an editor saving its
    # copy of a note over the ids while earlier batches were sent would leave a record
    # for an id the note no longer holds, made again by the next sync.
    to_create = ids_on_disk(run, to_create)
    if not to_create:
        run.checkpoint("create_batch_done")
        return
    records = [
        NewRecord(
            plansync_id=label_for(c.item.block_id or ""),
            fields=run.fill_cross_keys(c),
            sobject=c.sobject,
        )
        for c in to_create
    ]
    # The journal brackets the create call only: a run that dies before it sent nothing,
    # and the next run need not wait for search to show what was never created.
    entry = run.state.begin(
        target,
        [c.item.block_id or "" for c in to_create],
        notes={c.item.block_id or "": c.item.note for c in to_create},
        site=site_of_connector(connector),
    )
    try:
        results = connector.create_many(records)
    except ConnectorError as exc:
        made_nothing = exc.made_nothing
        if made_nothing:
            run.state.finish(entry)  # refused before anything was done: nothing in flight
        _create_call_failed(run, target, to_create, records, exc, made_nothing)
        raise
    run.checkpoint("created")
    # Refused in a way that may hide a record made all the same (see OpResult.maybe_done):
    # looked for once, before the journal entry closes, so that none is known to no one.
    # The others are stored first: a look-up that fails must not lose what the call made
    # (else they would all be reported "not sent", no key written back).
    # The batch's keys and the entry's close are one commit (StateStore.together): a kill
    # before it leaves the entry open, and the next run finds the records by their ids.
    unsure = []
    with run.state.together():
        for change, record, outcome in zip(to_create, records, results, strict=True):
            if not outcome.ok and outcome.maybe_done:
                unsure.append((change, record, outcome))
            else:
                _settle_create(run, target, change, record, outcome)
        if not unsure:
            run.state.finish(entry)
        run.checkpoint("keys_stored")
    if unsure:
        labels = [label_for(change.item.block_id or "") for change, _, _ in unsure]
        try:
            made_after = connector.fetch_by_ids(labels)
        except ConnectorError:
            for change, _, outcome in unsure:
                run.fail(
                    change,
                    f"{_refusal(target, outcome)}; it may have been made all the same, and"
                    " looking it up failed (see the errors) — the next sync finds it by its"
                    " id",
                    maybe_done=True,
                )
            raise  # the journal stays open: the next sync looks those ids up
        with run.state.together():
            for (change, record, outcome), label in zip(unsure, labels, strict=True):
                _settle_create(run, target, change, record, outcome, made_after.get(label))
            run.state.finish(entry)
    run.checkpoint("create_batch_done")


def _settle_create(
    run: Run,
    target: str,
    change: Change,
    record: NewRecord,
    outcome: OpResult,
    there: RemoteRecord | None = None,
) -> None:
    """Store a create the backend answered: made, made all the same (``there``: found by
    its id after a refusal that may hide one), or failed with the backend's words."""
    if outcome.ok and outcome.key:
        _created(run, change, outcome.key, outcome.url or "", record.fields)
    elif there is not None:
        _created(
            run,
            change,
            there.key,
            there.url,
            record.fields,
            there.closed_as or there.status_category,
            f"made all the same (found by its plansync id after: {outcome.error})",
        )
    else:
        run.fail(change, _refusal(target, outcome) + users_entry(run, change, outcome))


def _create_call_failed(
    run: Run,
    target: str,
    changes: list[Change],
    records: list[NewRecord],
    exc: ConnectorError,
    made_nothing: bool,
) -> None:
    """The creates of a call that failed as a whole: failed, each saying what became of
    it, not "not sent". They are the step that failed, not steps behind it: a create whose
    answer is lost may have made the issue, and "not done" would deny the one Jira holds.
    Those the call answered before it failed (another object's request, in Salesforce)
    are settled as answered, and those it never sent (a later object's) are left not
    attempted; the rest may exist where the request reached the backend (``maybe_done``),
    and the next sync finds them by their ids (the journal stays open)."""
    why = failed_with_call(BACKEND_TITLES.get(target, target), exc, made_nothing, "create")
    for index, answered in carried(exc, len(changes)):
        if answered is not None:
            _settle_create(run, target, changes[index], records[index], answered)
        else:
            run.fail(changes[index], why, whole_call=True, maybe_done=not made_nothing)


def _created(
    run: Run,
    change: Change,
    key: str,
    url: str,
    fields: dict[str, Any],
    status: str | None = "new",
    message: str | None = None,
) -> None:
    assert change.item.block_id
    run.keys[change.item.block_id, change.target] = (key, url)
    run.result.created.setdefault(change.item.block_id, {})[change.target] = key
    run.store(change, change.target, key, url, {**fields, "status": status, "link": None})
    run.done(change, key, message)


def _refusal(target: str, outcome: OpResult) -> str:
    """Why ``target`` did not create a record, by its answer (``outcome``, a failure)."""
    return outcome.error or f"{target} did not create the record"
