"""Step 1 of the plan (:mod:`.plan`), identity: which items take part in a sync, and the block
id each is known by. A new item gets a fresh id; a copied line becomes a new item, its copied
links taken off; a line that lost the id a sync wrote gets it back; a note a person must fix
first is held back, records and all (:mod:`.held`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import get_args

from plansync.config import Config
from plansync.connectors.base import RemoteRecord
from plansync.engine.changes import Backend, Change, ItemRef
from plansync.engine.context import PlanContext
from plansync.engine.diff import same_value
from plansync.engine.held import Held, conflict_copy_of, why_held
from plansync.engine.set_aside import SetAsideWarnings
from plansync.engine.state import SyncedRecord
from plansync.engine.targets import TargetSpec, trial_targets, wanted
from plansync.notes.links import KeyLink, salesforce_object, ticket_links
from plansync.notes.model import Item, Note
from plansync.notes.note_file import read_note_bytes
from plansync.notes.parse import LONE_CARRIAGE_RETURN
from plansync.notes.reread import read_up_to_keys, reread_keys
from plansync.notes.vault import NOTES_A_STEP, markdown_files
from plansync.notes.writeback import ends_a_line, refusal
from plansync.progress import Progress, reported, silent
from plansync.rules import (
    Context,
    label_for,
    new_block_id,
    open_as_new,
    status_category,
    written_by_hand,
)

ITEMS_AT_ONCE = 500
"""Items read or planned between two reports to a plan's progress: each line with keys is read
again, and each item planned renders its fields; 10,000 of either took seconds in silence."""


@dataclass
class Tracked:
    """An item taking part in this sync, and the block id it is known by."""

    note: Note
    item: Item
    block_id: str
    original: str
    new_id: bool
    copy_of: str | None = None
    readopted: bool = False
    """The line had lost its id, and gets back the one it was synced with (see
    :meth:`Identifier._readopt`)."""

    def ref(self) -> ItemRef:
        """The item as a change of the plan names it: its note, line, id and text."""
        return ItemRef(
            note=self.note.path, line=self.item.line, block_id=self.block_id, text=self.item.text
        )


def _untitled(config: Config, targets: list[TargetSpec], note: Note, item: Item) -> str | None:
    """Why a new item is not synced when a record of it would have no name: its backend
    refuses it at every sync once the id is written."""
    if not any(t.routing.nameless(config, note, item) for t in targets):
        return None
    return (
        "the item has no text to name its record by (only an owner, fields or tags);"
        " write some to sync it"
    )


class Identifier:
    """Gives each item of the vault taking part in a sync its identity (:meth:`identify`).

    It adds to the context's ``plan`` what it finds on the way: warnings, the items no rule
    takes, and a conflict per note held back."""

    def __init__(
        self,
        context: PlanContext,
        *,
        journal: dict[str, dict[str, str]],
        note_link: Callable[[str, str], str],
        progress: Progress = silent,
    ):
        self.config = context.config
        self.progress = progress
        self.vault = vault = context.vault
        self.state = context.state
        self.targets = context.targets
        self.plan = context.plan
        self._journal = journal
        """Per target, the ids a dead run was creating, and their notes."""
        self._note_link = note_link
        self._notes_proper = [n for n in vault.notes if conflict_copy_of(n.path) is None]
        """The notes but sync tools' conflict copies (see :func:`conflict_copy_of`)."""
        self._kinds_routed = {
            kind
            for target in self.targets
            for rule in target.routing.rules(self.config)
            for kind in rule.match.kind
        }
        """The kinds of item some rule takes: an accepted item of one that no rule takes is
        named in the plan (a tag misspelt), but not one of a kind no rule is for (decisions,
        under the default rules: the config says so itself)."""
        self.synced_notes: set[str] = set()
        """The notes the state store has records of (read by :meth:`identify`)."""
        self.held_back: set[str] = set()
        """The labels of the ids in notes held back (see :meth:`_hold_back`)."""
        self.held_notes: set[str] = set()
        """The notes held back: out of the sync, records and all, until they are fixed."""
        self._set_aside: dict[Backend, dict[tuple[str, str], SyncedRecord]] = {}
        """Per backend the config names no more, the records the state store holds of it (read
        by :meth:`identify`): left alone, their links in the notes still their keys."""
        self._aside_keys: set[tuple[str, str]] = set()
        """(backend, key) of each record in :attr:`_set_aside`."""
        self._aside_said = SetAsideWarnings(context, notes_proper=self._notes_proper)
        """What the plan says of the records set aside, and of a backend left out."""

    def identify(self, lines: dict[str, list[str]]) -> list[Tracked]:
        """Items taking part in this sync, each with its id (fresh ids for new items and copies);
        ``lines``: each note's lines as write-back will see them.

        When a block id stands on several lines, the line that keeps it is the one in the note
        the item was synced from that still makes its records as last synced, else the first
        there, else one carrying a key, else the first (:func:`_keeper`); the others are
        copies and become new items. So a copy pasted into a note that sorts first, or above
        its original and edited, never takes the original's identity and links.

        Ids are compared as Jira and Salesforce see them, by their label (:func:`label_for`,
        lower case): ``^Step1`` and ``^step1`` are one id there, so two such lines are one id
        and a copy, or both items would land on one record (or make two records that the next
        plan cannot tell apart).
        """
        synced = {target.name: self.state.records(target.name) for target in self.targets}
        self.synced_notes = {r.note_path for records in synced.values() for r in records.values()}
        self._read_set_aside()
        synced_from = self._synced_from(synced)
        keepers = self._keepers(synced_from, synced)
        # By label as well: a new id (lower case, its own label) must be no other id's label,
        # a conflict copy's either.
        taken = {label_for(i.block_id) for n in self.vault.notes for i in n.items if i.block_id}
        taken |= {label_for(b) for b in synced_from}
        tracked: list[Tracked] = []
        notes = self.vault.notes
        for note in reported(self.progress, "checking ids in notes", notes, NOTES_A_STEP):
            if held := why_held(note, lines[note.path]):
                self._hold_back(note, held, synced_from)
                continue
            for item in note.items:
                original = lines[note.path][item.line - 1]
                entry = self._track(note, item, original, keepers, synced_from, taken)
                if entry is not None:
                    tracked.append(entry)
        by_key = {
            (backend, record.key): record
            for records in synced.values()
            for (_, backend), record in records.items()
        }
        self._keys_moved(tracked, synced, by_key, keepers.keys())
        self._by_key(tracked, by_key, keepers.keys())
        self._readopt(tracked, synced)
        return tracked

    def _read_set_aside(self) -> None:
        """Read the records of the backends the config names no more (its ``[salesforce]``
        table removed, as the starter config suggests to sync to Jira only), and say once in
        the plan that they are left alone (:mod:`.set_aside`).

        Nothing is sent to such a backend, so its records are neither changed nor cancelled;
        but their key links are still in the notes, and read as text they went into every
        Jira summary ("… a015g0000000001AAA"). They stay keys (:meth:`_keyed`,
        :meth:`_keys_moved`), and the records are as they were when the table comes back."""
        names = {target.name for target in self.targets}
        for backend in get_args(Backend):
            if backend in names:
                continue
            records = self.state.records(backend)
            if backend in self.config.left_out:
                self._aside_said.left_out(backend, records)
            if not records:
                continue
            self._set_aside[backend] = records
            if backend in self.config.left_out:
                continue
            self._aside_keys |= {(backend, record.key) for record in records.values()}
            self._aside_said.removed(backend, records)

    def _synced_from(
        self, synced: dict[Backend, dict[tuple[str, str], SyncedRecord]]
    ) -> dict[str, str]:
        """The note each id was synced from (of its records in ``synced``, the first's), by
        block id, and the note of each id a dead run was creating (its journal's)."""
        synced_from: dict[str, str] = {}
        for records in synced.values():
            for (synced_id, _), record in records.items():
                synced_from.setdefault(synced_id, record.note_path)
        for target in self.targets:
            # An id a dead run was creating may have its record already: its line is
            # tracked like a synced one, so that it plans as one if the record is found.
            for creating_id, note_path in self._journal[target.name].items():
                synced_from.setdefault(creating_id, note_path)
        return synced_from

    def _keepers(
        self,
        synced_from: dict[str, str],
        synced: dict[Backend, dict[tuple[str, str], SyncedRecord]],
    ) -> dict[str, tuple[Note, Item]]:
        """Per id, by label, the line that keeps it (:func:`_keeper`) and its note. A sync
        tool's conflict copy keeps no id: it is held back."""
        lines_with: dict[str, list[tuple[Note, Item]]] = {}
        for note in self._notes_proper:
            for item in note.items:
                if item.block_id:
                    lines_with.setdefault(label_for(item.block_id), []).append((note, item))
        as_synced = self._as_last_synced(synced)
        return {
            label: _keeper(found, synced_from, as_synced) for label, found in lines_with.items()
        }

    def _as_last_synced(
        self, synced: dict[Backend, dict[tuple[str, str], SyncedRecord]]
    ) -> Callable[[Note, Item], bool]:
        """Whether a line with an id makes each record of that id exactly as last synced
        (:meth:`_synced_as`, the rule that gives a line that lost its id it back): of two
        lines with one id, the one a person did not edit since the sync. False for an id
        with no record.

        A line is read as if in the note it was synced from: a record shows its note's path
        (the default description, its link), so in a note renamed since neither line made it
        as synced, and the first line carrying the key, a reworded copy pasted above the
        original, took the original's record."""

        def as_synced(note: Note, item: Item) -> bool:
            block_id = item.block_id or ""
            records = [
                (target, record)
                for target in self.targets
                if (record := synced[target.name].get((block_id, target.name)))
            ]
            return bool(records) and all(
                self._synced_as(t, Tracked(_at(note, r.note_path), item, block_id, "", False), r)
                for t, r in records
            )

        return as_synced

    def _track(
        self,
        note: Note,
        item: Item,
        original: str,
        keepers: dict[str, tuple[Note, Item]],
        synced_from: dict[str, str],
        taken: set[str],
    ) -> Tracked | None:
        """``item``, its line ``original``, as this sync tracks it: a copy of the line that
        keeps its id gets a new one (from those not ``taken``), as does a new item. None when
        it takes no part: no rule takes it and it was never synced, its hand-written id is a
        line's in another note, or its line can be given no id; the plan says why, where a
        person would want to know."""
        block_id: str | None = item.block_id
        kept_in, kept = keepers[label_for(block_id)] if block_id else (note, item)
        copy_of = None
        if kept is not item:
            copy_of, block_id = block_id, None
        if not wanted(self.config, self.targets, item) and (
            block_id is None or block_id not in synced_from
        ):
            if item.accepted and item.kind in self._kinds_routed:
                self.plan.unrouted.append(
                    ItemRef(note=note.path, line=item.line, block_id=item.block_id, text=item.text)
                )
            self._trial_link_left(note, item, original)
            return None
        if copy_of and _own_id_elsewhere(copy_of, kept_in.path, note):
            self.plan.warn(
                f"^{copy_of} is also the id of a line in {kept_in.path}, which keeps it; Jira and"
                " Salesforce need an id no other line of the vault has (and ignore case), and"
                " plansync does not change an id written by hand, as links to it would break:"
                " not synced until one of the two lines has another id",
                note.path,
                item.line,
            )
            return None
        if block_id is None and (
            why := refusal(original) or _untitled(self.config, self.targets, note, item)
        ):
            # Its id goes into the line before anything is created: without one, each
            # sync would create its record again.
            if not _lone_return_warned(note, item.line):
                self.plan.warn(why, note.path, item.line)
            return None
        new_id = block_id is None
        block_id = block_id or new_block_id(taken)
        if copy_of:
            what = (
                f"a copy of the line with ^{copy_of}"
                if kept.block_id == copy_of
                else f"^{copy_of} is the id of the line with ^{kept.block_id} to Jira and"
                " Salesforce (they ignore case)"
            )
            self.plan.warn(f"{what}; it becomes a new item ^{block_id}", note.path, item.line)
        return Tracked(note, item, block_id, original, new_id, copy_of)

    def _keys_moved(
        self,
        tracked: list[Tracked],
        synced: dict[Backend, dict[tuple[str, str], SyncedRecord]],
        by_key: dict[tuple[str, str], SyncedRecord],
        on_lines: Collection[str],
    ) -> None:
        """Tell the keys a line names from the tickets its text mentions.

        The parser reads the last link to each system as the key; here the line's records are
        known (see :func:`reread.reread_keys`). A link to a synced line's record is its key
        wherever it stands: words, or a link to another ticket, were written after it since.
        Any other link is a key only where write-back puts keys, closing the text: "Follow up
        on [CLOUD-7](…) with Dana @Myself" is a new item that mentions CLOUD-7, not a line that
        lost its id (a conflict, never created); and a line given its id by a sync that died
        before its key reads the same. A sandbox's link (a trial run, see
        ``Planner._note_key``) stays what it was, for the real key to replace it; a copy's keys
        are its original's. A line without an id that links to a synced record is read again
        with that record's keys by :meth:`_by_key`, which runs next.
        """
        keyed = [entry for entry in tracked if entry.item.keys]
        for entry in reported(self.progress, "reading keys in lines", keyed, ITEMS_AT_ONCE):
            keys = {
                name: entry.item.keys[name]
                for name in trial_targets(self.targets, entry.original)
                if name in entry.item.keys
            }
            # A copy's keys are those of the line it copies: write-back takes them off. So
            # are its records' of a backend the config names no more.
            synced_as = entry.copy_of or ("" if entry.new_id else entry.block_id)
            for name, records in (synced | self._set_aside).items():
                if synced_as and (record := records.get((synced_as, name))):
                    keys[name] = record.key
            may_be_key = _not_anothers(self._keyed(entry.item), by_key, on_lines, synced_as, keys)
            entry.item = reread_keys(
                entry.item,
                entry.original,
                keys,
                self.config.acceptance,
                may_be_key,
                keys_stay=entry.copy_of is None,
            )

    def _by_key(
        self,
        tracked: list[Tracked],
        by_key: dict[tuple[str, str], SyncedRecord],
        on_lines: Collection[str],
    ) -> None:
        """A line without a block id that names a synced record's key (its link written back
        by a sync) is that record's line, or a copy of it.

        A copy when the record's id ends another line and the line has that line's words, or
        would make the record's name as synced: Obsidian Tasks, completing a recurring task,
        writes its next occurrence above it with the whole description, the key link
        included, and no block id. That line is a new item, its copied links taken off, as
        any copy's. The record's line when its id ends no line and this one, in the same
        note, ends in its key links (where sync wrote them; edited since or not) or would
        make the record exactly as last synced, whole or up to its keys
        (:meth:`_lost_its_id`): its id was taken off, and it gets it back, one to one,
        unless the id ends a line elsewhere. Either way not the conflict "the note names
        KEY, but no record carries" a fresh id, which no sync settled. Each record the line
        links to is tried, the line read with that record's keys (words, or a link to
        another ticket, may have been written after them): a line that only mentions a
        record (another task, with its link in the text) is neither, and a new item.
        """
        new = [e for e in tracked if e.new_id and not e.copy_of and "](" in e.original]
        if not new:  # most plans
            return
        # The words of each synced line now: a copy made since they were edited (a recurring
        # task completed in the same edit) has them, not the record's as synced.
        words_now = {label_for(e.block_id): e.item.text for e in tracked if not e.new_id}
        # An id on no line -> the new lines naming its key, each read with that key.
        lost: dict[str, list[tuple[Tracked, Item]]] = {}
        for entry in new:
            read = self._synced_line_of(entry, by_key, on_lines, words_now)
            if read is None:
                continue
            copy, block_id, item = read
            if copy:
                entry.copy_of, entry.item = block_id, item
                self.plan.warn(
                    f"names the key of the line with ^{block_id} (a recurring task's next"
                    f" occurrence, or a copy); it becomes a new item ^{entry.block_id}",
                    entry.note.path,
                    entry.item.line,
                )
            else:
                lost.setdefault(block_id, []).append((entry, item))
        self._give_ids_back(
            {block_id: found[0] for block_id, found in lost.items() if len(found) == 1}
        )

    def _synced_line_of(
        self,
        entry: Tracked,
        by_key: dict[tuple[str, str], SyncedRecord],
        on_lines: Collection[str],
        words_now: dict[str, str],
    ) -> tuple[bool, str, Item] | None:
        """(copy, block id, the item read with that record's keys) for the one synced record
        a line without an id is a copy of (True: read as it will be once write-back has taken
        those keys off) or the lost line of (False); None for none, or for two (not guessed
        at). See :meth:`_by_key`."""
        # Any link of the line to a synced record may be its key: words, or a link to
        # another ticket, may have been written after it. Each is tried as the key.
        trial = trial_targets(self.targets, entry.original)
        per_record: dict[str, dict[str, str]] = {}  # block id -> its keys on the line
        for link in ticket_links(entry.original):
            if link.target not in trial and (record := by_key.get((link.target, link.key))):
                per_record.setdefault(record.block_id, {})[link.target] = link.key
        found: list[tuple[bool, str, Item]] = []
        closing = self._keyed(entry.item)
        for block_id, keys in per_record.items():
            target = next(t for t in self.targets if t.name in keys)
            record = by_key[target.name, keys[target.name]]
            item = reread_keys(entry.item, entry.original, keys, self.config.acceptance, closing)
            if label_for(block_id) in on_lines:
                if words_now.get(label_for(block_id)) == item.text or named_as(
                    self.config, target, entry.note, item, record
                ):
                    # Read as it will be once write-back has taken the copied keys off.
                    as_copy = reread_keys(
                        entry.item,
                        entry.original,
                        keys,
                        self.config.acceptance,
                        closing,
                        keys_stay=False,
                    )
                    found.append((True, block_id, as_copy))
            elif record.note_path == entry.note.path and self._lost_its_id(
                target, entry, item, keys, record
            ):
                found.append((False, block_id, item))
        return found[0] if len(found) == 1 else None

    def _give_ids_back(self, lost: dict[str, tuple[Tracked, Item]]) -> None:
        """Give each line (by the id it lost: the line, and its item read as that record's)
        its id back, unless the id ends a line elsewhere in the vault: that line is there
        (moved into a note not read, or as no item), not lost. A sync tool's conflict copy
        does not count: its line is a copy of the one lost."""
        elsewhere = lines_elsewhere(self.config.vault_root, set(lost), copies=False) if lost else {}
        for block_id, (entry, item) in lost.items():
            if block_id not in elsewhere:
                entry.block_id, entry.readopted, entry.item = block_id, True, item

    def _lost_its_id(
        self,
        target: TargetSpec,
        entry: Tracked,
        item: Item,
        keys: dict[str, str],
        record: SyncedRecord,
    ) -> bool:
        """Whether ``entry``, a line with no id read with ``record``'s ``keys`` as ``item``, is
        that record's line, its id lost: its keys stand where sync wrote them, or the line
        would make the record as last synced, whole or up to its keys (words, or a link to
        another ticket, written after them in the edit that lost the id). Not a line that
        only mentions the record: its words before the link are not the record's."""
        if keys.items() <= entry.item.keys.items():
            return True
        if self._synced_as(target, replace(entry, item=item), record):
            return True
        before = read_up_to_keys(entry.item, entry.original, keys, self.config.acceptance)
        return before is not None and self._synced_as(target, replace(entry, item=before), record)

    def _readopt(
        self, tracked: list[Tracked], synced: dict[Backend, dict[tuple[str, str], SyncedRecord]]
    ) -> None:
        """Give a new item the id of the record its line was synced as, when the line lost the
        id and key link the sync wrote: its note put back to older text (a git checkout, a
        backup restored, a sync client's conflict copy). ``synced``: each target's records.

        Otherwise the item would be created again, a duplicate, and its record taken for a
        deleted line's: an orphan, cancelled under ``orphans = "cancel"``. Its record is one of
        the same note whose id ends no line of the vault any more (the line is gone, not moved,
        see :func:`lines_elsewhere`), whose key no line names, and that the line would make
        exactly as it was last synced (:meth:`_synced_as`). Only a match one to one is taken:
        two such items, or two such records, are not guessed at and plan as before, as does a
        line that differs from the one synced in anything (its words, a date, its checkbox).
        The item then plans as the synced one it is: its id (and key links) written back as a
        new item's are.
        """
        new = [e for e in tracked if e.new_id and e.copy_of is None and not e.readopted]
        if not new:  # most plans: no new line
            return
        gone = self._records_gone({entry.note.path for entry in new}, synced)
        if not gone:  # most plans: no line lost its id
            return
        matched: list[tuple[Tracked, set[str]]] = []  # a new item, the ids it was synced as
        for entry in new:
            ids = {
                record.block_id
                for target in self.targets
                for record in gone.get((entry.note.path, target.name), [])
                if self._synced_as(target, entry, record)
            }
            if ids:
                matched.append((entry, ids))
        times = Counter(block_id for _, ids in matched for block_id in ids)
        once = {block_id for block_id, count in times.items() if count == 1}
        self._give_ids_back(
            {
                next(iter(ids)): (entry, entry.item)
                for entry, ids in matched
                if len(ids) == 1 and ids <= once
            }
        )
        regained = {entry.block_id for entry in tracked if entry.readopted}
        self._near_copies([entry for entry in new if not entry.readopted], gone, regained)

    def _near_copies(
        self,
        new: list[Tracked],
        gone: dict[tuple[str, str], list[SyncedRecord]],
        regained: set[str],
    ) -> None:
        """Warn of each new item that has the name of a record of its note whose line is gone
        (:meth:`_records_gone`) but would not make it exactly as last synced, so that
        :meth:`_readopt` did not give it that id: a line put back to older text and then
        ticked, say (``[?]`` to ``[x]``). It becomes a new item, a second record of what
        may be the same task, while the first is reported as an orphan; the person reading
        the plan is the one who can tell, before the create.

        The rule is not relaxed to take such a line for the record's: a checkbox, date or
        priority unlike the record's as last synced is as likely older text (a note put back
        to before the record was reopened or rescheduled) as a newer edit, and taking it
        would undo the later change in the backend. A record whose id ends a line elsewhere
        in the vault is not gone (:meth:`_give_ids_back`), nor one a line got back
        (``regained``: their ids), and neither is warned of."""
        near: list[tuple[Tracked, list[SyncedRecord]]] = []
        for entry in new:
            records = [
                record
                for target in self.targets
                for record in gone.get((entry.note.path, target.name), [])
                if record.block_id not in regained
                and named_as(self.config, target, entry.note, entry.item, record)
            ]
            if records:
                near.append((entry, records))
        if not near:  # most plans
            return
        ids = {record.block_id for _, records in near for record in records}
        elsewhere = lines_elsewhere(self.config.vault_root, ids, copies=False)
        for entry, records in near:
            of = sorted({(r.block_id, r.key) for r in records if r.block_id not in elsewhere})
            for block_id in dict.fromkeys(block_id for block_id, _ in of):
                keys = " and ".join(key for id_, key in of if id_ == block_id)
                self.plan.warn(
                    f"has the text of {keys} (^{block_id}), whose line is gone from this note,"
                    f" but not its id, and differs from it as last synced (its checkbox, a"
                    f" date or the priority?), so it becomes a new item ^{entry.block_id},"
                    f" a second record beside {keys}; if it is {keys}'s line, put"
                    f" ^{block_id} back at its end instead",
                    entry.note.path,
                    entry.item.line,
                )

    def _records_gone(
        self, notes: set[str], synced: dict[Backend, dict[tuple[str, str], SyncedRecord]]
    ) -> dict[tuple[str, str], list[SyncedRecord]]:
        """The records of ``notes`` whose id ends no item's line and whose key no line names,
        by (note, target): those a line of the note may have been synced as (see
        :meth:`_readopt`)."""
        # A conflict copy holding the synced lines is no sign that they are elsewhere: it is
        # what was lost. The ids and keys on its lines are not counted.
        on_items = {
            label_for(i.block_id) for n in self._notes_proper for i in n.items if i.block_id
        }
        named = {
            (target, key)
            for note in self._notes_proper
            for i in note.items
            for target, key in i.keys.items()
        }
        gone: dict[tuple[str, str], list[SyncedRecord]] = {}  # (note, target) -> records
        for records in synced.values():
            for (block_id, backend), record in records.items():
                if (
                    record.note_path in notes
                    and label_for(block_id) not in on_items
                    and (backend, record.key) not in named
                ):
                    gone.setdefault((record.note_path, backend), []).append(record)
        return gone

    def _synced_as(self, target: TargetSpec, entry: Tracked, record: SyncedRecord) -> bool:
        """Whether the item's line, given ``record``'s id, makes the record exactly as it was
        last synced, checkbox included: the line as it was at that sync.

        A name alone matched lines that were not: under a summary without ``{text}``, by a
        Name cut at 80 characters, a recurring item added again to a running note (a record
        closed or cancelled since was reopened), and older text taken for the note's new word.
        The owner is taken as synced: telling it needs a look-up, and the plan that follows
        sees a change of owner as any other; so is ``[ ]`` against ``[/]``, which a base
        stored before plansync moved issues into In Progress (or a Salesforce one) does not
        tell apart."""
        rule = target.routing.rule_for(self.config, entry.item)
        checkbox = status_category(entry.item, self.config.acceptance)
        if rule is None or open_as_new(record.fields.get("status")) != open_as_new(checkbox):
            return False
        owner_field = target.routing.owner_field(rule)
        owner = record.fields.get(owner_field) if owner_field else None
        link = self._note_link(entry.note.path, record.block_id)
        context = Context(entry.item, entry.note, record.block_id, link, self.config.myself)
        fields = target.routing.desired(self.config, context, lambda: owner, None) or {}
        return all(same_value(value, record.fields.get(name)) for name, value in fields.items())

    def _hold_back(self, note: Note, held: Held, synced_from: dict[str, str]) -> None:
        """Leave a note out of this sync, records and all, until a person fixes it.

        Its items would otherwise be synced wrong: without the title, date, participants or
        account an unreadable front matter gives them (and decisions without their
        acceptance), overwriting what the records hold; or, for a sync tool's conflict copy of
        a note or a note holding both sides of a merge conflict, as copies of lines already
        synced, each created a second time. The note itself is not touched either. The hold is
        a conflict (a person must fix the note), so the plan is not "in sync" while it lasts;
        the note's records are not orphans, and none of its lines is taken for deleted.
        """
        self.held_back |= {label_for(item.block_id) for item in note.items if item.block_id}
        self.held_notes.add(note.path)
        kept = [
            i
            for i in note.items
            if wanted(self.config, self.targets, i) or i.block_id in synced_from
        ]
        if not kept:
            return
        items, them = (
            ("its item is", "it") if len(kept) == 1 else (f"its {len(kept)} items are", "them")
        )
        self.plan.changes.append(
            Change(
                action="conflict",
                target="note",
                item=ItemRef(note=note.path, line=held.line, block_id=None, text=""),
                message=f"{held.why}: {items} held back (nothing is created, changed or"
                f" written back for {them}) until {held.until}",
            )
        )

    def _keyed(self, item: Item) -> Callable[[KeyLink], bool]:
        """Whether a link closing ``item``'s text may be its key: a link to a system a rule
        sends it to, and in Salesforce to the object that rule writes (when the URL names
        one); in a system the config names no more, a link to a record the state store holds
        (:meth:`_read_set_aside`). A link to any other record (a Salesforce account, a Jira
        issue with no Jira configured) is the user's, and its label is text."""
        configured = {target.name for target in self.targets}
        objects = {
            target.name: target.routing.sobject(self.config, item)
            for target in self.targets
            if target.routes(self.config, item)
        }

        def may_be_key(link: KeyLink) -> bool:
            if link.target not in configured:
                return (link.target, link.key) in self._aside_keys
            if link.target not in objects:
                return False
            written, named = objects[link.target], salesforce_object(link.url)
            return written is None or named is None or named.casefold() == written.casefold()

        return may_be_key

    def _trial_link_left(self, note: Note, item: Item, line: str) -> None:
        """Warn of a trial run's key link on a line no longer synced: nothing replaces it."""
        if not item.keys:
            return
        for name in trial_targets(self.targets, line):
            if name not in item.keys:  # a sandbox link the text mentions, not its key
                continue
            self.plan.warn(
                f"names {item.keys[name]}, a record of a sandbox on this machine (a trial run);"
                " the item is not synced, so the link stays until you remove it",
                note.path,
                item.line,
            )


def _at(note: Note, path: str) -> Note:
    """``note`` as if at ``path``, the note a record was synced from: a record's fields hold
    its note's path (the default description, its link), so a line read at another path (the
    note renamed since) never made its record as last synced (:meth:`Identifier._as_last_synced`).
    The note itself when it is there: copied only for a renamed note, not for every line."""
    return note if note.path == path else note.model_copy(update={"path": path})


def _own_id_elsewhere(block_id: str, kept_in: str, note: Note) -> bool:
    """Whether ``block_id``, an id another line keeps, was written by hand (not one of
    plansync's) in another note than that line's. Obsidian needs an id to be one line's in its
    note only, and a link to it (``[[note#^id]]``) breaks if write-back gives the line a new
    one, as it does a copied line's."""
    return written_by_hand(block_id) and kept_in != note.path


def _keeper(
    found: list[tuple[Note, Item]],
    synced_from: dict[str, str],
    as_synced: Callable[[Note, Item], bool],
) -> tuple[Note, Item]:
    """Of the lines sharing a block id, the one that keeps it, and its note (see
    ``Identifier.identify``): of those in the note its id was synced from (else of all), the
    one line that still makes its records as last synced (``as_synced``), else the first in
    that note, else one carrying a key, else the first.

    An edited copy pasted above its original (to reword it into a new task) took the
    original's record, its history and watchers, while the untouched original became a new
    item: where the lines tell which one was synced, position does not decide."""
    home = [(n, i) for n, i in found if i.block_id and synced_from.get(i.block_id) == n.path]
    among = home or found
    if len(among) > 1 and len(unedited := [(n, i) for n, i in among if as_synced(n, i)]) == 1:
        return unedited[0]
    if home:
        return home[0]
    return next(((note, item) for note, item in found if item.keys), found[0])


def _not_anothers(
    may_be_key: Callable[[KeyLink], bool],
    by_key: dict[tuple[str, str], SyncedRecord],
    on_lines: Collection[str],
    own: str,
    keys: dict[str, str],
) -> Callable[[KeyLink], bool]:
    """``may_be_key``, but not for a link to a record synced from another line that is still
    in the notes (its id ends a line), in a system where this line (``own``, its block id;
    empty: none yet) has no record (``keys``: those it has). A line that ends in a link to
    the Feature another item made relates to it, whether it has an id yet or not: its own
    record is yet to be made. Where the line has a record, another's key in its place is a
    conflict the plan shows; a record whose line is gone may be this line's, its id lost
    (:meth:`Identifier._by_key`)."""
    label = label_for(own) if own else ""

    def may(link: KeyLink) -> bool:
        other = by_key.get((link.target, link.key))
        mention = (
            link.target not in keys
            and other is not None
            and label_for(other.block_id) != label
            and label_for(other.block_id) in on_lines
        )
        return may_be_key(link) and not mention

    return may


def named_as(
    config: Config, target: TargetSpec, note: Note, item: Item, record: SyncedRecord
) -> bool:
    """Whether ``item`` would make ``record``'s name as last synced (its Jira summary, its
    Salesforce Name)."""
    synced = synced_text(record)
    if not synced:
        return False
    context = Context(item, note, record.block_id, "", config.myself)
    fields = target.routing.desired(config, context, lambda: None, None) or {}
    return any(same_value(fields.get(name), synced) for name in ("summary", "Name"))


def synced_text(record: SyncedRecord | RemoteRecord) -> str:
    """The item's text as last synced: its Jira summary or its Salesforce record's name."""
    for name in ("summary", "Name"):
        value = record.fields.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def lines_elsewhere(
    vault_root: Path, block_ids: set[str], *, copies: bool = True
) -> dict[str, str]:
    """Of ``block_ids``, those that end a line (in any case, see :func:`ends_a_line`) of a
    Markdown note under ``vault_root``, with the first such note's path. Each note is read
    once at most, and none once all ids are found; nothing of one over the scan's size
    limit is read. Bytes are searched, so a note that is not UTF-8 needs no decoding.

    A line found in a note the scan read is no item there (an item's id would not be a
    candidate: it is tracked), so notes read and unread are searched alike. Without
    ``copies``, sync tools' conflict copies are not searched: a line there is a copy of one
    lost, not the line moved.

    The words after a ``^`` in a note are gathered once and ``ends_a_line`` asked only
    about the ids among them, so the cost is one pass a note however many lines were
    deleted (a whole section of items, say): a search a note per id took four times as
    long for 50 ids.
    """
    ids_of: dict[bytes, list[str]] = {}  # ^Step1 and ^step1 are one word here
    for block_id in block_ids:
        ids_of.setdefault(block_id.encode().lower(), []).append(block_id)
    found: dict[str, str] = {}
    for path, relative in markdown_files(vault_root):
        if len(found) == len(block_ids):
            break
        if not copies and conflict_copy_of(relative):
            continue
        try:
            _, data = read_note_bytes(path)  # nothing of a note over the size limit
        except OSError:
            continue
        for word in ids_of.keys() & set(_AFTER_CARET.findall(data.lower())):
            for block_id in ids_of[word]:
                if block_id not in found and ends_a_line(data, block_id):
                    found[block_id] = relative
    return found


_AFTER_CARET = re.compile(rb"\^([a-z0-9-]+)")
"""The id-like word after a ``^`` (in lower case: ids are compared by label): where one ends a
line, the block id there, so the ids a note may end a line with are among these. Only the
characters an id holds: whitespace the parser trims after one (a no-break space) is not part
of it."""


def _lone_return_warned(note: Note, line: int) -> bool:
    """Whether ``note``'s own warnings say its ``line`` holds a lone carriage return: the line
    separator write-back refuses there, which a second warning of the same line would name
    again: two warnings for one carriage return."""
    return any(w.line == line and w.message.startswith(LONE_CARRIAGE_RETURN) for w in note.warnings)
