"""Which records ``plansync forget`` may stop tracking: orphans that no line is read as.

A record whose line is no longer read (deleted, its checkbox taken off, moved into a note the
config does not read, its note gone) is reported by every plan from then on (cancelled first,
under ``orphans = "cancel"``), so that a line brought back, or a reopen in the backend, is seen.
Once a person has looked and the deletion stands, that report is noise: ``plan
--detailed-exitcode`` never says "in sync" again, and ``sync --quiet`` counts it in every cron
mail. Forgetting drops the record from the state store only; the issue or record in the backend
stays as it is, and a line that ends in its block id again finds it by that id.

So is the record of a line still read that no rule sends to its system any more (its routing
tag taken off): no edit of the line settles that one, as the line is still read. Once its link
is off the line, that is: a link left there would be read as the item's text once the record is
forgotten. A line that is routed there again finds its record by its id, and syncs with it.

A record whose line is still read otherwise (no longer accepted) is settled by editing the line,
and is refused; so is one whose line may be back without its id (a line links to its key, or has
its text): only the state store can find that line again, and forgetting would make it a second
record. A record that is no orphan at all is refused too: the next plan would only look it up
again by its id. A name refused is named with the reason, and nothing is
forgotten: a typo must not forget half a list.
"""

from __future__ import annotations

from collections.abc import Iterable

from plansync.config import BACKEND_TITLES, Config
from plansync.display import counted, first_few
from plansync.engine.changes import Change, Plan
from plansync.engine.orphans import gone_item
from plansync.engine.set_aside import lines_linking, places
from plansync.engine.state import StateStore, SyncedRecord
from plansync.errors import PlansyncError
from plansync.notes.model import Note
from plansync.rules import label_for


class NotAnOrphan(PlansyncError):
    """A record named to ``forget`` is not an orphan of the plan (or not tracked at all).

    ``keys``: the names given to ``forget`` that it refused, as given (a key, a ``^`` block
    id), or the keys of the orphans it cannot forget yet, in the message's order; empty when
    the refusal is of the call as a whole (a backend the config still names, lines that
    still link to the records set aside). Nothing was forgotten, whichever it is."""

    def __init__(self, message: str, *, keys: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.keys = keys


def forgettable(change: Change) -> bool:
    """Whether ``change`` is about a tracked record no line is read as (an orphan, or the
    cancel that ``orphans = "cancel"`` plans for one), or whose line no rule sends there any
    more. Not one whose line may be back without its id (a line links to its key, or has its
    text): the state store is what finds it."""
    return (
        change.key is not None
        and (change.item.unread or change.no_longer_routed)
        and not change.line_may_be_back
        and change.action in ("orphan", "transition")
    )


def reports_forgettable(plan: Plan) -> bool:
    """Whether ``plan`` reports an orphan ``forget`` takes (a planned cancel is no report yet:
    the hint to forget waits for the plans after it)."""
    return any(change.action == "orphan" and forgettable(change) for change in plan.changes)


def orphans_named(
    plan: Plan, names: Iterable[str] | None, state: StateStore, *, config: Config
) -> list[tuple[Change, SyncedRecord]]:
    """The plan's orphans that ``names`` name, with their records, in the plan's order: by key
    (Jira's in any case; a Salesforce id as written, as its short form is case-sensitive) or
    block id (with or without its ``^``, in any case, as Jira and Salesforce compare them);
    ``names`` None: every one of them. A planned cancel comes as the orphan it stays.

    Raises :class:`NotAnOrphan` naming each name that is none, and why, and each orphan that
    a sync cut short made and no sync has stored yet: there is no state row to drop, and the
    next sync stores it. The commands a refusal tells of are named as ``config`` names them."""
    orphans = [change for change in plan.changes if forgettable(change)]
    chosen = orphans if names is None else _chosen(orphans, names, state, plan, config)
    problems = []
    refused: list[str] = []
    found: list[tuple[Change, SyncedRecord]] = []
    for change in chosen:
        record = state.get(change.item.block_id or "", change.target)
        if record is None:  # found by the look-up of a dead sync's creates, not yet stored
            refused.append(change.key or "")
            problems.append(
                f"{change.key} was made by a sync that was cut short and is not stored yet:"
                f" {config.caller.do('sync')} once, then forget it"
            )
        else:
            found.append((_as_orphan(change), record))
    if problems:
        raise NotAnOrphan("; ".join(problems) + "; nothing was forgotten", keys=tuple(refused))
    return found


def set_aside(
    config: Config, backend: str, state: StateStore, notes: list[Note]
) -> list[tuple[Change, SyncedRecord]]:
    """Every record the state store holds of ``backend``, which ``config`` names no more (its
    ``[salesforce]`` table removed, or left out beside a real Jira for want of an instance
    URL: :attr:`Config.left_out`), as orphans to forget, with their records.

    Every plan names such records in a warning, as left alone until the table is back;
    forgetting them ends it, once a person has decided it will not be. Nothing is asked of
    the backend, so it need not be reachable. Refused (:class:`NotAnOrphan`), nothing
    forgotten, while the config names the backend (its records are forgotten as orphans, by
    name), or while a line of ``notes`` links to one of them: that link is read as the
    record's key only while the record is tracked, and forgotten, it would be the item's
    text, its label taken into the Jira summary."""
    title = BACKEND_TITLES.get(backend, backend)
    if backend == "jira" or (
        backend == "salesforce"
        and config.salesforce is not None
        and backend not in config.left_out  # beside a real Jira, a table with no instance
    ):
        raise NotAnOrphan(
            f"{config.where} names {title}: its records are forgotten as orphans, by key or"
            f" ^id (or with {config.caller.option('all')}), as `{config.caller.command('plan')}`"
            " shows them; nothing was forgotten"
        )
    records = sorted(state.records(backend).values(), key=lambda record: record.key)
    if linked := lines_linking(notes, backend, [record.key for record in records]):
        raise NotAnOrphan(
            f"{counted(len(linked), 'line')} still {'links' if len(linked) == 1 else 'link'}"
            f" to {title} records the state store holds ({first_few(places(linked), 3)}):"
            " forgotten, a record's link would be read as the item's text; take the links off"
            " the lines, then forget them; nothing was forgotten"
        )
    return [(_set_aside_orphan(record, title), record) for record in records]


def _set_aside_orphan(record: SyncedRecord, title: str) -> Change:
    """The orphan ``forget`` shows for a record of a backend the config names no more."""
    return Change(
        action="orphan",
        target=record.target,  # type: ignore[arg-type]  # a row of a Backend's
        key=record.key,
        item=gone_item(record),
        message=f"{record.key}: the config names no {title} any more",
    )


def _chosen(
    orphans: list[Change], names: Iterable[str], state: StateStore, plan: Plan, config: Config
) -> list[Change]:
    chosen: set[int] = set()
    refused: list[str] = []
    for name in dict.fromkeys(names):
        found = [i for i, change in enumerate(orphans) if _matches_change(name, change)]
        if found:
            chosen.update(found)
        else:
            refused.append(name)
    if refused:
        problems = [_why_not(name, state, plan, config) for name in refused]
        raise NotAnOrphan("; ".join(problems) + "; nothing was forgotten", keys=tuple(refused))
    return [change for i, change in enumerate(orphans) if i in chosen]


def _matches_change(name: str, change: Change) -> bool:
    return _matches(name, change.target, change.key or "", change.item.block_id or "")


def _matches(name: str, target: str, key: str, block_id: str) -> bool:
    """Whether ``name``, as typed, names the record of ``target`` with ``key`` or ``block_id``
    (a Jira project may be keyed PS, as block ids begin)."""
    given = name.strip()
    if label_for(given.removeprefix("^")) == label_for(block_id):
        return True
    return given == key or (target == "jira" and given.casefold() == key.casefold())


def _why_not(name: str, state: StateStore, plan: Plan, config: Config) -> str:
    """Why ``name`` names no orphan ``forget`` takes: a line may be its own without its id,
    its line is read, or it names no record."""
    for change in plan.changes:
        if not _matches_change(name, change):
            continue
        if change.line_may_be_back:
            return f"{name}'s line may still be in the notes: {change.message}"
        if change.action == "orphan" and not change.item.unread:
            return (
                f"{name}'s line is still read, and the plan says what settles it: {change.message}"
            )
    for dead in plan.dead_creates:
        if dead.key is None and _matches(name, dead.target, "", dead.block_id):
            return (
                f"{name} is an id a sync cut short was creating, with no record yet: there is"
                " nothing to forget, and the next sync looks it up once more, then forgets it"
            )
    for record in state.records().values():
        if _matches(name, record.target, record.key, record.block_id):
            where = f" in {record.note_path}" if record.note_path else ""
            return (
                f"{name} is not an orphan that no line is read as (its line, ^{record.block_id},"
                f" is read{where}): only such a record can be forgotten"
            )
    return (
        f"plansync tracks no record {name} (name a key or a ^id that"
        f" `{config.caller.command('plan')}` shows)"
    )


def _as_orphan(change: Change) -> Change:
    """``change`` as what it is once forgotten: an orphan, and a cancel never made."""
    if change.action == "orphan":
        return change
    return change.model_copy(
        update={
            "action": "orphan",
            "fields": {},
            "message": f"{change.key}: its line is gone from the note; forgotten, it is not"
            " cancelled",
        }
    )
