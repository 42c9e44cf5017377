"""Apply's field updates: each record gets the fields its note changed, unless (for a plan
not made just now) the record changed since the plan read it, which would overwrite an edit
unseen."""

from __future__ import annotations

from functools import partial
from typing import Any

from plansync.config import BACKEND_TITLES
from plansync.connectors.base import FieldUpdate
from plansync.engine.changes import Change
from plansync.engine.diff import same_value
from plansync.engine.steps.answers import settle, settle_each
from plansync.engine.steps.run import Run
from plansync.progress import reported_batches
from plansync.rules import label_for


def send_updates(run: Run, target: str, changes: list[Change]) -> None:
    """Send the field updates of ``changes`` to ``target``, a batch at a time."""
    # A record's Jira key can be an issue made in this run: the plan could only say
    # "(known after create)", which must never be sent as the value.
    ready = [
        (c, key, run.fill_cross_keys(c, {n: v["new"] for n, v in c.fields.items()}))
        for c in changes
        if (key := run.key_unless_blocked(c))
    ]
    ready = [(c, key, values) for c, key, values in ready if values]
    if not run.fresh and ready:
        ready = _unchanged_since_plan(run, target, ready)
    for batch in reported_batches(
        run.progress, f"update in {target}", ready, run.batch_size(target)
    ):
        updates = [
            FieldUpdate(
                key=key,
                fields=values,
                plansync_id=label_for(c.item.block_id or ""),
                sobject=c.sobject,
            )
            for c, key, values in batch
        ]
        settle_each(
            run,
            target,
            batch,
            partial(run.connectors[target].update_many, updates),
            lambda sent, outcome: settle(
                run, sent[0], outcome, {**sent[2], **(sent[0].base or {})}
            ),
        )


def _unchanged_since_plan(
    run: Run, target: str, ready: list[tuple[Change, str, dict[str, Any]]]
) -> list[tuple[Change, str, dict[str, Any]]]:
    """The updates whose records still hold what the plan saw (each field's ``old``).

    A saved plan, or one a person read for a while before saying yes, may be applied
    after someone edited the record: sending the note's value would overwrite that edit
    unseen. Such an update is not sent; the next plan shows the field as changed on both
    sides (a conflict) or in the backend only (kept). One look-up per hundred records,
    and only for a plan not made by this run just now.
    """
    labels = [label_for(c.item.block_id) for c, _, _ in ready if c.item.block_id]
    now = run.connectors[target].fetch_by_ids(labels) if labels else {}
    unchanged = []
    for change, key, values in ready:
        record = now.get(label_for(change.item.block_id or ""))
        moved = [
            name
            for name, value in change.fields.items()
            if record is not None and not same_value(record.fields.get(name), value["old"])
        ]
        if not moved:
            unchanged.append((change, key, values))
            continue
        title = BACKEND_TITLES.get(target, target)
        why = (
            f"not sent: {', '.join(moved)} changed since the plan was made in {title};"
            f" `{run.config.caller.command('plan')}` shows it anew"
        )
        run.outcomes[id(change)] = run.outcome(
            change, "skipped", None, why, changed_since_plan=True
        )
        run.result.warn(why, change.item.note, change.item.line, key)
    return unchanged
