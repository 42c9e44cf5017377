"""The journal of creates, and the runs it outlives: a create call is bracketed by an entry
naming its ids, so that a run killed inside it leaves the entry open, and the next run looks
those ids up (waiting out search lag) and adopts what it finds rather than creating it again.
Here are that look-up, the records a dead run made for lines gone since, and the closing of
entries that need nothing more."""

from __future__ import annotations

import time

from plansync.connectors.base import RemoteRecord
from plansync.engine.changes import DeadCreate
from plansync.engine.diff import adopted_base
from plansync.engine.steps.run import Run
from plansync.rules import label_for

_LOOKUP_WAITS = (1.0, 2.0, 4.0)
"""Seconds to wait before each new look-up of ids a dead run was creating: search may lag a
create by a few seconds."""


def recover(run: Run, dead: list[DeadCreate]) -> None:
    """Store the records the plan found for ids a dead run was creating, whose lines are
    gone since (:class:`DeadCreate`): ordinary records of their notes from now on, before
    any step that may act on them (an orphan's cancel keeps its base there)."""
    for entry in dead:
        if entry.key is None or entry.target not in run.connectors:
            continue
        if run.base(entry.block_id, entry.target) is None:
            run.save(entry.block_id, entry.note, entry.target, entry.key, entry.url, entry.fields)


def settle_journal(run: Run, target: str, dead: list[DeadCreate]) -> None:
    """Close the dead runs' journal entries that need nothing more, so that no later run
    looks their ids up again (or the journal grows for ever): every id of the entry is
    known to the state (created, adopted or recovered since), or is one whose line is
    gone and for which no record exists.

    The plan found no record for some of the latter; search may lag the dead run's
    create, so they are looked up again here, waiting as for any dead run's ids
    (:func:`lookup`). A record found now is stored as the plan would have (the next
    plan reports it, or cancels it, like any other record whose line is gone); the
    entry closes either way.
    """
    entries = run.state.in_flight(target)
    if not entries:
        return
    absent: set[str] = set()
    unfound = [d for d in dead if d.key is None and run.base(d.block_id, target) is None]
    if unfound:
        found = lookup(run, target, [d.block_id for d in unfound])
        for entry in unfound:
            record = found.get(label_for(entry.block_id))
            if record is None:
                absent.add(entry.block_id)
                continue
            base = adopted_base(record)
            run.save(entry.block_id, entry.note, target, record.key, record.url, base)
    for open_entry in entries:
        if all(
            block_id in absent or run.base(block_id, target) is not None
            for block_id in open_entry.block_ids
        ):
            run.state.finish(open_entry.id)


def lookup(run: Run, target: str, ids: list[str]) -> dict[str, RemoteRecord]:
    """Look ids up; for ids a dead run was creating, wait out search lag first.

    The journal is only open around a create call, so an entry open now is a dead run's.
    A plan made by this run, under its lock, has just looked every id up but those it drew
    itself, which no line held, so no record can (and no run of this state store has
    created anything since), so then only the ids of a dead run's create, which search may
    not show yet, are looked up again. A saved plan's ids are all
    looked up again: a run with another state store may have created some since."""
    connector = run.connectors[target]
    pending = {label_for(i) for e in run.state.in_flight(target) for i in e.block_ids}
    labels = [label_for(i) for i in ids]
    if run.fresh:  # a saved plan's look-ups may be hours old: all are made again
        labels = [label for label in labels if label in pending]
    found = connector.fetch_by_ids(labels) if labels else {}
    for wait in _LOOKUP_WAITS:
        missing = [label for label in labels if label in pending and label not in found]
        if not missing:
            break
        time.sleep(wait)
        found.update(connector.fetch_by_ids(missing))
    return found
