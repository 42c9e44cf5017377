"""Apply: carry out a plan so that a run killed at any point, then run again, ends right.

The order is the protocol (DESIGN.md, "The sync engine"):

1. **Ids into the notes first.** Every new item's block id is written into its line before any
   record exists, so whatever happens next, the id that the record will carry is on disk.
2. **Creates, looked up first.** A journal entry names the ids about to be created; the ids are
   looked up by label (a record made by a run that died is adopted); only the rest are created,
   in bulk; the batch's keys are stored and its entry closed in one commit. Creates are never
   retried blindly: after a failed create call, or a run killed before that commit, the next
   run looks the ids up again (waiting out search lag for an open entry's) and adopts what it
   finds. A commit a key (as it was) only narrowed that window, which a kill right after the
   create call opens for the whole batch all the same, at an ``fsync`` a record.
3. **Keys into the notes.** Then links to the note lines, field updates, and transitions, each
   of which is idempotent and stores its new base in the state store when it succeeds.

A failure of one item (a 400 naming a field; a 5xx to its write, or a lost answer to a request
sent for it alone, which may have been carried out) is recorded with the note path and line and
the others go on; a failure of a whole call (auth, network) stops the phase and the run reports
it.
``checkpoint`` is called between steps with the step's name: tests raise there to prove the
protocol, and a progress display can listen there.

:func:`apply_plan` is that order, and nothing else: each step's mechanics is a module of
:mod:`plansync.engine.steps`, a function of the run's one shared
:class:`~plansync.engine.steps.run.Run`. In order, with the checkpoint each reaches:

- :mod:`~.steps.fresh`: refuse a plan the state store moved on from (nothing written yet);
  leave out the changes of the notes changed since it was made.
- Store the bases the plan refreshed, and (:mod:`~.steps.journal`) the records a dead run made
  for lines gone since.
- :mod:`~.steps.notes`: every new item's block id into its line (``ids_written``).
- :mod:`~.steps.creates`, Jira then Salesforce, a batch at a time: look the ids up
  (``looked_up``); check they are on disk; open a journal entry and create (``created``); store
  the keys and close the entry in one commit (``keys_stored``, then ``create_batch_done``).
- :mod:`~.steps.notes`: the keys into the lines; :mod:`~.steps.journal`: close the dead runs'
  entries that need nothing more (``keys_written``).
- :mod:`~.steps.links` (``links``), :mod:`~.steps.updates` (``updates``) and
  :mod:`~.steps.transitions` (each batch's moves stored before its call, ``moves_stored``;
  ``transitions``), each batch's answers stored in one commit (``results_stored``) by
  :mod:`~.steps.answers`.
- Remove the write-back temporary files a killed run left; return the :class:`Result`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from plansync.config import Config
from plansync.connectors.base import Connector
from plansync.engine.changes import BaseRefresh, Change, Plan
from plansync.engine.result import Result
from plansync.engine.state import StateStore
from plansync.engine.steps.creates import create_records
from plansync.engine.steps.fresh import check_fresh, leave_out_changed
from plansync.engine.steps.journal import recover, settle_journal
from plansync.engine.steps.links import send_links
from plansync.engine.steps.notes import planned_items, write_ids, write_keys
from plansync.engine.steps.run import BACKENDS, Run
from plansync.engine.steps.transitions import send_transitions
from plansync.engine.steps.updates import send_updates
from plansync.notes.writeback import remove_abandoned_temps
from plansync.progress import Progress, silent

Checkpoint = Callable[[str], None]
"""``checkpoint(stage)``, called by ``apply`` as each stage of the sync is done and stored:
``"ids_written"``; for each batch of creates ``"looked_up"``, ``"created"`` (the create call
answered), ``"keys_stored"`` (its keys written, not yet committed: an exception there keeps
none of them, as a kill would) and ``"create_batch_done"``; then ``"keys_written"``;
``"results_stored"`` (what a batch of links, updates or transitions was answered, written in
the state store's open transaction after the call: in every such batch), ``"links"``,
``"updates"``, ``"moves_stored"`` (the moves a batch of transitions asks for, in the open
transaction before the call), ``"transitions"``. An exception it raises stops the sync
there, as a crash would (the next sync goes on from it)."""


def apply_plan(
    config: Config,
    plan: Plan,
    state: StateStore,
    connectors: dict[str, Connector],
    *,
    checkpoint: Checkpoint | None = None,
    progress: Progress = silent,
    fresh: bool = False,
    planned_here: bool = False,
) -> Result:
    """Carry out ``plan``; ``fresh``: it was made in this run under the lock, just now (its
    look-ups stand in for the look-up before creating); ``planned_here``: made in this run.
    A refusal of the plan as stale
    (:class:`~plansync.engine.steps.fresh.StalePlan`) ends with the config's caller's
    remedy."""
    run = Run(
        config,
        state,
        connectors,
        checkpoint=checkpoint,
        progress=progress,
        fresh=fresh,
        planned_here=planned_here,
    )
    now = check_fresh(run, plan)
    before = run.requests()
    by_action: dict[str, list[Change]] = defaultdict(list)
    for change in leave_out_changed(run, plan, now):
        by_action[change.action].append(change)
    _store_refreshed(run, plan.refresh)
    recover(run, plan.dead_creates)
    writes = by_action["write_back"]
    for change in writes:
        run.id_writes[change.item.block_id or ""].append(change)
    run.known_items = planned_items(run, plan, writes)
    write_ids(run, writes)
    run.checkpoint("ids_written")
    for target in BACKENDS:  # Jira first: Salesforce records carry the Jira key
        creates = [c for c in by_action["create"] if c.target == target]
        _remote(run, target, create_records, creates)
    write_keys(run, writes)
    for target in BACKENDS:
        dead = [d for d in plan.dead_creates if d.target == target]
        run.whole_call(target, "lookup", partial(settle_journal, run, target, dead))
    run.checkpoint("keys_written")
    _remote(run, "jira", send_links, by_action["link"])
    run.checkpoint("links")
    for target in BACKENDS:
        _remote(run, target, send_updates, [c for c in by_action["update"] if c.target == target])
    run.checkpoint("updates")
    for target in BACKENDS:
        changes = [c for c in by_action["transition"] if c.target == target]
        _remote(run, target, send_transitions, changes)
    run.checkpoint("transitions")
    # Last: nothing depends on it, and a run that gets here returns what it removed.
    run.result.removed_temps, warnings = remove_abandoned_temps(
        config.vault_root, plan.abandoned_temps
    )
    for warning in warnings:
        run.result.warn(warning)
    run.result.requests = run.requests() - before
    run.result.outcomes = [run.outcome_of(change) for change in plan.changes]
    run.result.notes_written = list(run.written)
    for name, connector in connectors.items():
        usage = connector.api_usage()
        if usage:
            run.result.api_usage[name] = usage
    return run.result


def _store_refreshed(run: Run, refreshes: list[BaseRefresh]) -> None:
    """Store the bases the plan learnt of records it changes nothing in (what the note and the
    backend agreed on when it read them): the base any later edit is taken from."""
    for refresh in refreshes:
        record = run.state.get(refresh.block_id, refresh.target)
        if record is not None:
            run.state.save(replace(record, fields={**record.fields, **refresh.fields}))
            if refresh.warning:  # stored now: no later plan learns it again
                run.result.warn(refresh.warning)


def _remote(
    run: Run,
    target: str,
    phase: Callable[[Run, str, list[Change]], None],
    changes: list[Change],
) -> None:
    """Run one phase against one backend. A whole-call failure (auth, network, 5xx past the
    retries) is reported once and skips that backend's later phases; the notes still get
    the keys of what was created, and the other backend goes on."""
    if changes:  # one action a phase: creates, links, updates or transitions
        run.whole_call(target, changes[0].action, lambda: phase(run, target, changes))
