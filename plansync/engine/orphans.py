"""Step 5 of the plan (:mod:`.plan`), orphans: the records whose line no note has. Each is
reported and left alone (a vanished note never closes tickets), or, under ``sync.orphans =
"cancel"``, cancelled when its line was deleted from a note that was read and still holds
items, unless the line may be there still: moved, or back without its id.
"""

from __future__ import annotations

import re

from plansync.connectors.base import RemoteRecord
from plansync.engine.changes import Backend, BaseRefresh, Change, ItemRef
from plansync.engine.context import PlanContext
from plansync.engine.diff import landed
from plansync.engine.held import conflict_copy_of
from plansync.engine.identity import lines_elsewhere, named_as, synced_text
from plansync.engine.state import SyncedRecord
from plansync.engine.targets import TargetSpec, wanted
from plansync.notes.links import ticket_links
from plansync.notes.vault import left_out_by, note_file, printable
from plansync.notes.writeback import ends_a_line

NO_ITEM_WHY = "(its checkbox or the global filter taken off, or the line now in code?)"
"""Why a line with an item's id may be no item: moved into a fenced block, or four spaces more
under a deleted parent task, which makes it an indented code block."""


class Orphans:
    """Plans the records of each target whose line no note has (:meth:`orphan`), then spares
    those whose planned cancel turns out to be for a moved line (:meth:`find_moved_lines`).
    What it plans goes into ``plan``."""

    def __init__(
        self,
        context: PlanContext,
        *,
        note_bytes: dict[str, bytes],
        held_notes: set[str],
    ):
        self.config = context.config
        self.vault = vault = context.vault
        self.targets = context.targets
        self.plan = context.plan
        self._notes_by_path = {note.path: note for note in vault.notes}
        self.note_bytes = note_bytes
        """Each read note's bytes, as the plan read and fingerprinted them
        (:meth:`Planner._read_notes`): so made once the notes are read."""
        self._cancels: list[tuple[int, TargetSpec, SyncedRecord]] = []
        """Cancels planned for deleted lines, by their index in the plan's changes: one that
        turns out to be moved (into a note the config does not read, or as no item into
        another) is left alone instead."""
        self._gone: list[tuple[int, TargetSpec, SyncedRecord]] = []
        """The orphans whose note is gone, by their index in the plan's changes: the note (or
        the line) may have moved where the config does not read it, which the plan says."""
        self._left: list[tuple[int, TargetSpec, SyncedRecord, str]] = []
        """The orphans left alone whose line is gone from their read note (with what becomes
        of them), by their index in the plan's changes: said where the line is, should a
        walk for the others find it, as a cancel spared for a moved line is. Else a line
        moved into ``Archive/`` read "now in Archive/…" for its Jira issue and "gone from
        the note" for its Salesforce record, which no status field could cancel (a user
        test)."""
        self._notes_with_items = {note.path for note in vault.notes if note.items}
        """Where a deleted line may cancel its records (sync.orphans = "cancel"), but for the
        ``held_notes``."""
        self._held_notes = held_notes
        """The notes held back (:meth:`Identifier._hold_back`), which are out of the sync,
        records and all, until they are fixed; filled in by :meth:`Identifier.identify`."""
        # Keys a line with no id of its own still links to (a conflict copy's line too): its
        # record's line may be there without its id, and is not cancelled nor forgotten. A
        # line with an id of its own is another item's, and its link to the key a mention.
        self._named_keys = {
            (link.target, link.key)
            for note, copy in ((n, conflict_copy_of(n.path) is not None) for n in vault.notes)
            for i in note.items
            if "](" in i.description and (copy or not i.block_id)
            for link in ticket_links(i.description)
        }

    def cancelled_ids(self) -> set[str]:
        """The block ids whose cancel for a deleted line stands in the plan (not spared)."""
        return {
            record.block_id
            for index, _, record in self._cancels
            if self.plan.changes[index].action == "transition"
        }

    def orphan(self, target: TargetSpec, record: SyncedRecord, found: RemoteRecord | None) -> None:
        """Report ``record``, one of ``target`` that no line of the notes is read as (``found``:
        the backend's record with its id), or cancel it, as ``sync.orphans`` says."""
        named = (target.name, record.key) in self._named_keys
        if not record.note_path:
            # Made by a sync cut short, journaled before entries named their notes.
            where = (
                "made by a sync that was cut short, and its line is gone from the notes since"
                " (which note held it is not known, so it is never cancelled)"
            )
        elif record.note_path in self._notes_by_path and self._still_in_note(record):
            where = (
                f"its line (^{record.block_id}) is still in the note, but no item plansync reads"
                f" {NO_ITEM_WHY}"
            )
        elif record.note_path in self._notes_by_path:
            where = "its line is gone from the note"
            if self._cancel_orphan(target, record, found, where):
                return
            if not named and (same_text := self._same_text_at(target, record, to_sync=True)):
                # Not cancelled either way; said here, as forget must not take it.
                self.plan.changes.append(
                    _left_alone(target.name, record, same_text, line_may_be_back=True)
                )
                return
            if self.config.sync.orphans == "cancel" and not target.transitions:
                where += f" ({target.title} is given no status field to cancel it by)"
            elif named:
                where += (
                    f" (a line links to {record.key}, so it is never cancelled: if that is its"
                    f" line, put ^{record.block_id} back at its end)"
                )
            elif (cancelled := self._cancelled_by_a_sync(target, record, found)) is not None:
                self._left.append((len(self.plan.changes), target, record, cancelled))
                self.plan.changes.append(_left_alone(target.name, record, where, then=cancelled))
                return
            self._left.append((len(self.plan.changes), target, record, "left alone"))
        elif not note_file(self.config.vault_root, record.note_path).exists():
            where = "its note is gone"
            self._gone.append((len(self.plan.changes), target, record))
        else:  # there, but not read: skipped by the scan, or outside the config's globs
            why, may_be_back = self._not_read(record.note_path)
            where = f"its note {why}"
            named = named or may_be_back
        self.plan.changes.append(_left_alone(target.name, record, where, line_may_be_back=named))

    def _cancelled_by_a_sync(
        self, target: TargetSpec, record: SyncedRecord, found: RemoteRecord | None
    ) -> str | None:
        """What became of a record whose line is gone that a sync cancelled (for ``orphans =
        "cancel"``, or its ``[-]`` line before it was deleted), said in place of "left alone",
        which every plan after the cancel said of it, wrongly: it is cancelled, and stays
        reported until ``forget`` takes it (the README's "every plan shows an orphan"), or,
        reopened in the backend since, left alone. None for any other record."""
        if found is None or found.key != record.key:
            return None
        if (landed(record.fields, found) or record.fields).get("status") != "cancelled":
            return None
        if found.status_category != "done":
            return f"a sync cancelled it, and it was reopened in {target.title} since: left alone"
        forget = self.config.caller.command("forget", record.key)
        return f"a sync cancelled it; `{forget}` stops this report"

    def _same_text_at(
        self, target: TargetSpec, record: SyncedRecord, *, to_sync: bool = False
    ) -> str | None:
        """Why the record's line may be back without its id, where a line of its note has its
        text (:meth:`_unsynced_line_like`; ``to_sync``: a line this sync makes a new item
        counts too); None: no line has."""
        found = self._unsynced_line_like(target, record, to_sync=to_sync)
        if found is None:
            return None
        line, new_item = found
        put_back = f"if it is its line, put ^{record.block_id} back at its end"
        if new_item:
            return (
                f"line {line} of its note has its text but not its id, and is synced as a new"
                f" item, unlike it as last synced (the note put back to older text, then"
                f" edited?): {put_back} before syncing"
            )
        return (
            f"line {line} of its note has its text but not its id (the note put back to older"
            f" text, or written again?): {put_back}"
        )

    def _unsynced_line_like(
        self, target: TargetSpec, record: SyncedRecord, *, to_sync: bool
    ) -> tuple[int, bool] | None:
        """The line of the record's note without an id whose item would make the record's name
        as last synced (its Jira summary, its Name), and whether that line is to be synced;
        None: none. A line not to be synced comes first.

        Such a line is most likely the record's own, come back in a note put back to older text
        or written again by its generator, as proposed (``[?]``): its record is reported, not
        cancelled under ``orphans = "cancel"`` for a deleted line. A name shared by chance
        only spares a cancel, which is the side to err on. A line to be synced is looked at
        only for the report (``to_sync``), never to spare a cancel: it gets an id of its own
        at this sync, after which its record would be cancelled all the same, one run late,
        with a second record made meanwhile. Reported, it keeps the hint to put the id back
        (a line given back ``[?]`` and then ticked, which :meth:`Identifier._readopt` does
        not take for the record's line), where "its line is gone" was said, wrongly."""
        note = self._notes_by_path[record.note_path]
        found: tuple[int, bool] | None = None
        for item in note.items:
            if item.block_id:
                continue
            new_item = wanted(self.config, self.targets, item)
            if new_item and (not to_sync or found is not None):
                continue
            if named_as(self.config, target, note, item, record):
                if not new_item:
                    return item.line, False
                found = item.line, True
        return found

    def _still_in_note(self, record: SyncedRecord) -> bool:
        """Whether the record's block id still ends a line of its note (in any case, as ids
        are compared by label): the line is there, only no item any more, so it was not
        deleted, and ``orphans = "cancel"`` must not close its record.

        Asked of the bytes the plan read, not of the note read again after the look-ups: a
        line deleted meanwhile planned a cancel its plan's fingerprint did not stand on."""
        return ends_a_line(self.note_bytes[record.note_path], record.block_id)

    def _cancel_orphan(
        self, target: TargetSpec, record: SyncedRecord, found: RemoteRecord | None, where: str
    ) -> bool:
        """Plan the cancel of a record whose line was deleted, when ``sync.orphans`` asks.

        Only a deletion from a note that was read and still holds items counts: a note that
        is gone, unread, emptied (a sync client's accident as often as a person's) or held
        back (:meth:`Identifier._hold_back`) never closes its tickets. A record already closed, or
        cancelled by plansync before, is reported only, so a reopen in the backend stands. So
        is one whose id search finds first on another record (an earlier issue cloned or
        labelled with it): that record is not the one synced from the line, and is never
        cancelled for it. And so is a record whose key a line still names: its line may be
        there with only its block id taken off (tidied away as noise); the report says to put
        the id back, where :meth:`Identifier._by_key` could not tell that the line is its own.
        A cancel planned here may still be left alone by :meth:`find_moved_lines`, once every
        target is planned: its line may have been moved into a note this scan does not read,
        or into another note as no item.
        """
        if self.config.sync.orphans != "cancel" or not target.transitions or found is None:
            return False
        if found.key != record.key or (target.name, record.key) in self._named_keys:
            return False
        learnt = landed(record.fields, found)
        if learnt:
            # A move whose answer was lost got there: the base learns it, or a reopen in the
            # backend would pass for a record never cancelled, and be cancelled again.
            self.plan.refresh.append(
                BaseRefresh(block_id=record.block_id, target=target.name, fields=learnt)
            )
        if (
            record.note_path not in self._notes_with_items
            or record.note_path in self._held_notes
            or found.status_category == "done"
        ):
            return False
        if (learnt or record.fields).get("status") == "cancelled":
            return False
        # A status the config names nowhere is said as the record's own value, as an item's
        # move from it is.
        now = found.status_value if found.status_unnamed else found.status_category
        self.plan.changes.append(
            Change(
                action="transition",
                target=target.name,
                key=found.key,
                item=gone_item(record),
                fields={"status": {"old": now, "new": "cancelled"}},
                sobject=found.sobject,
                message=f"{found.key}: {where}; cancelled (sync.orphans = 'cancel')",
            )
        )
        self._cancels.append((len(self.plan.changes) - 1, target, record))
        return True

    def find_moved_lines(self) -> None:
        """Leave alone the records whose cancel was planned for a deleted line that was in fact
        moved, id and all: into a note this scan does not read (an ``Archive/`` folder
        ``vault.exclude`` names, or a note outside ``vault.include``), or into another note as
        a line that is no item (its checkbox taken off on the way). The line is still in the
        vault; someone archiving an item, or keeping it as a plain bullet, does not mean to
        cancel its ticket, as a line left in its own note without its checkbox does not. So
        are those whose note has a line with their text but no id (:meth:`_unsynced_line_like`).
        Of the orphans whose note is gone, say where their line is, if it is in the vault:
        a note moved into an excluded folder was reported as gone; and so of those left alone
        whose line is gone from their note, once the walk is made for the others.

        Run once, after every target is planned, so that one walk of the vault serves every
        candidate of every target; and only when there is one (a cancel planned, never under
        ``orphans = "report"``, or a note gone), as the walk reads every note of the vault.
        """
        if not self._cancels and not self._gone:
            return
        where = lines_elsewhere(
            self.config.vault_root,
            {record.block_id for _, _, record in (*self._cancels, *self._gone)}
            | {record.block_id for _, _, record, _ in self._left},
        )
        for index, target, record, then in self._left:
            if (note := where.get(record.block_id)) is not None:
                why, may_be_back = self._moved_to(record, note)
                named = self.plan.changes[index].line_may_be_back
                self.plan.changes[index] = _left_alone(
                    target.name, record, why, line_may_be_back=named or may_be_back, then=then
                )
        for index, target, record in self._gone:
            if (note := where.get(record.block_id)) is not None:
                why, may_be_back = self._moved_to(record, note)
                # A line linking to its key (``orphan``'s ``named``) still may be its own.
                named = self.plan.changes[index].line_may_be_back
                self.plan.changes[index] = _left_alone(
                    target.name, record, why, line_may_be_back=named or may_be_back
                )
        for index, target, record in self._cancels:
            note = where.get(record.block_id)
            if note is None:
                if same_text := self._same_text_at(target, record):
                    self.plan.changes[index] = _left_alone(
                        target.name, record, same_text, line_may_be_back=True
                    )
                elif same_text := self._same_text_at(target, record, to_sync=True):
                    # Cancelled all the same (see _unsynced_line_like), but not said gone.
                    cancel = self.plan.changes[index]
                    said = f"{record.key}: {same_text}; cancelled (sync.orphans = 'cancel')"
                    self.plan.changes[index] = cancel.model_copy(update={"message": said})
                continue
            why, may_be_back = self._moved_to(record, note)
            self.plan.changes[index] = _left_alone(
                target.name, record, why, line_may_be_back=may_be_back
            )

    def _moved_to(self, record: SyncedRecord, note: str) -> tuple[str, bool]:
        """Why ``record`` is left alone, its line found in ``note`` (not its own, or its own
        gone), and whether that line may be an item still (:meth:`_not_read`). A note the scan
        read has it as no item: a line of a read note with a tracked id is never one."""
        if note in self._notes_by_path:
            return (
                f"its line (^{record.block_id}) is in {printable(note)}, but no item plansync"
                f" reads {NO_ITEM_WHY}",
                False,
            )
        why, may_be_back = self._not_read(note)
        return f"its line is now in {printable(note)}, which {why}", may_be_back

    def _not_read(self, note: str) -> tuple[str, bool]:
        """Why the scan did not read ``note``, said of it ("its note …", "…, which …"), and
        whether its lines may be items still: not where the config's globs leave it out (by
        choice, as an archive), but where the scan could not read it (as its warning says).
        Most likely the line is there, id and all, until the note is fixed, so its record is
        not for ``forget`` (``Change.line_may_be_back``)."""
        globs = self.config.vault
        left_out = left_out_by(note, globs.include, globs.exclude)
        if left_out is not None and left_out.glob is not None:
            return f"is not read by the config (vault.exclude {left_out.glob!r} takes it)", False
        if left_out is not None:
            return f"is not read by the config ({_none_takes(globs.include)})", False
        said = (w.message for w in self.vault.warnings if w.path == note)
        return f"was not read ({next(said, 'skipped')})", True


def orphan_order(record: SyncedRecord) -> tuple[str, tuple[str | int, ...]]:
    """Where ``record`` comes among a plan's orphans: by its note's path, as the plan's other
    changes come, then by its key read with its numbers as numbers (``PLAN-3`` before
    ``PLAN-10``), the order the records were made in, as their lines were, where a Jira key
    tells it. By block id, which is random, their notes and keys would come shuffled. Its line
    is not known: gone from the note, or no item's."""
    parts = re.split(r"(\d+)", record.key)  # digits at every odd index: comparable tuples
    return record.note_path, tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


INCLUDE_GLOBS_NAMED = 3
"""At most this many of ``vault.include``'s globs are named where none takes a note; past
that, a plan line would be mostly globs, and they are in the config."""


def _none_takes(include: list[str]) -> str:
    """That none of ``include`` takes a note, naming them when few (one: the glob itself)."""
    if not include:
        return "vault.include is empty"
    if len(include) == 1:
        return f"vault.include {include[0]!r} does not take it"
    if len(include) <= INCLUDE_GLOBS_NAMED:
        return f"none of vault.include {', '.join(map(repr, include))} takes it"
    return f"none of the {len(include)} globs of vault.include takes it"


def _left_alone(
    target: Backend,
    record: SyncedRecord,
    why: str,
    *,
    line_may_be_back: bool = False,
    then: str = "left alone",
) -> Change:
    """The orphan a record whose line is gone from its note is reported as, why, and what
    becomes of it (``then``)."""
    return Change(
        action="orphan",
        target=target,
        key=record.key,
        item=gone_item(record),
        message=f"{record.key}: {why}; {then}",
        line_may_be_back=line_may_be_back,
    )


def gone_item(record: SyncedRecord) -> ItemRef:
    """The item of a record whose line is gone (line 0), or that no plan syncs (a backend the
    config names no more, :func:`~plansync.engine.forget.set_aside`), by the text last synced,
    so that a reader of the plan knows which item it was without looking the key up."""
    return ItemRef(
        note=record.note_path, line=0, block_id=record.block_id, text=synced_text(record)
    )
