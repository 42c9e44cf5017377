"""The plan: what a sync would change, computed without changing anything.

The algorithm, per item that is accepted and routed to a target (or already tracked there):

1. **Identity.** The item's block id is its identity. An item without one gets a fresh id (to be
   written into the note); a line copied with its id keeps the id on its first occurrence and the
   copy becomes a new item with a new id. A line that lost the id a sync wrote (its note put
   back to older text) gets that id back instead of a fresh one, when it would make exactly the
   record last synced of one record of its note whose line is gone, one to one
   (:meth:`Planner._readopt`). A line without an id that links to a synced record's key is
   that record's line when the record's id ends no line and the line ends in its key links
   or makes the record as last synced (it lost its id: it gets it back), or a copy when the
   id ends another line (a recurring task's next occurrence: a new item, its copied links
   taken off); else the link is a mention (:meth:`Planner._by_key`). A note a person must
   fix first (its front matter unreadable, a sync tool's conflict copy, both sides of a merge
   conflict in it) takes no part, records and all: its lines would be synced wrong or twice
   (:mod:`.held`, :meth:`Planner._hold_back`).
2. **Three sides.** ``N`` is the record the note asks for (:mod:`plansync.rules`), ``B`` the
   fields as last synced (the state store), ``R`` the record in the backend now, found by the
   label that carries the id. The same lookup finds a record created by a run that died before
   it could store the key, so such a record is adopted, never created twice.
3. **Decide.** No ``B`` and no ``R``: create. ``R`` without ``B``: adopt (write the key back;
   fields that differ are updated from the note, there being no base to say otherwise). Both:
   per field, a change on the note side only is an update; on the remote side only it is kept;
   on both sides, a conflict that the config's winner per field resolves or the plan reports.
   The note's checkbox moves the record between status categories the same way (a transition).
   ``B`` without ``R``: the record is gone or unreachable; reported as a conflict, not recreated.
4. **Keys and links.** The key belongs in the note line (written back if missing; a key there
   that disagrees with the state store is a conflict, not "fixed"); the record links back to
   the note line (upserted by a stable global id when the link changed).
5. **Orphans.** A tracked id found in no note is reported and left alone: a vanished note never
   closes tickets. Only with ``sync.orphans = "cancel"`` is a line deleted from a note that was
   read and still holds items a transition to cancelled, once; not one moved into a note the
   config does not read (an archive), or into another note as no item: it is still in the
   vault. Nor one whose line may be back without its id (a line links to its key, or has its
   text): the plan says so (``Change.line_may_be_back``), and ``forget`` refuses it, as only the
   state store can find that line again. A record a run that died made for a line deleted
   before this plan (the id is only in the create's journal) is taken in as a record of the
   note the journal names, and planned like any other (:class:`DeadCreate`).
6. **Targets.** The same steps run for each backend an item is routed to (Jira, Salesforce),
   Jira first, because a Salesforce record carries its item's Jira key and the Jira issue links
   to the Salesforce record: that cross-link is planned last, once both keys are known or will
   be (``(known after create)``, filled in by apply).
7. **Trial runs.** What a sandbox on this machine synced (the embedded one, or one served on
   loopback) is a trial: when the same vault is then synced with a real backend, the trial's
   records are no base (the state store is bound to the kind of backend, see
   :meth:`StateStore.bind`), and a key link in a note that points at this machine is no key: the
   item is created (or found by its label) in the real backend, and the link is replaced. A
   real record never names a trial's: while one backend is a sandbox and the other is not,
   Jira issues and Salesforce records are not linked to each other. The other way round, an
   embedded sandbox run over a store that has real records is refused before it plans
   (:func:`plansync.sync.refuse_sandbox_over_real`), as it is most likely a missing
   ``JIRA_URL``.

The result is a list of small :class:`Change` objects (:mod:`.changes`); applying them is
:mod:`.apply`'s job.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from plansync.config import Config, ConfigError
from plansync.connectors.base import Connector, ConnectorError, NewRecord, RemoteRecord
from plansync.engine.changes import (
    ACTIONS,
    KNOWN_AFTER_CREATE,
    Action,
    Backend,
    BaseRefresh,
    Change,
    DeadCreate,
    Fingerprint,
    ItemRef,
    LineChange,
    Plan,
    Target,
)
from plansync.engine.held import Held, conflict_copy_of, why_held
from plansync.engine.state import StateStore, SyncedRecord
from plansync.errors import PlansyncError
from plansync.notes.links import KeyLink, last_links, salesforce_object, ticket_links
from plansync.notes.model import Item, Note, note_digest
from plansync.notes.parse import read_note_bytes, read_up_to_keys, reread_keys
from plansync.notes.vault import Vault, markdown_files, printable
from plansync.notes.writeback import abandoned_temps, decode_for_edit, ends_a_line, refusal
from plansync.progress import Progress, silent
from plansync.rules import (
    BLOCK_ID_PREFIX,
    CLOSED,
    Context,
    Routing,
    label_for,
    new_block_id,
    note_linker,
    status_category,
)
from plansync.sites import THIS_MACHINE, on_this_machine


@dataclass
class _Tracked:
    note: Note
    item: Item
    block_id: str
    original: str
    new_id: bool
    copy_of: str | None = None
    readopted: bool = False
    """The line had lost its id, and gets back the one it was synced with (see
    :meth:`Planner._readopt`)."""


UserResolver = Callable[[str], str | None]


class NoteChanged(PlansyncError):
    """A note was saved while it was being planned."""


@dataclass(frozen=True)
class TargetSpec:
    """One backend as the planner sees it: its connector and what it can do."""

    name: Backend
    title: str
    connector: Connector
    resolve_user: UserResolver
    routing: Routing[Any]
    """Which items go to the backend and what their records say."""
    remote_links: bool = False
    transitions: bool = False
    immutable: frozenset[str] = frozenset()
    site: str | None = None
    """Which backend this is (:func:`plansync.sites.site_of`); None: the connector does not say."""

    @property
    def local(self) -> bool | None:
        """Whether the backend is a sandbox on this machine (None: not known)."""
        return None if self.site is None else self.site == THIS_MACHINE


def _untitled(config: Config, targets: list[TargetSpec], note: Note, item: Item) -> str | None:
    """Why a new item is not synced when a record of it would have no name: its backend
    refuses it at every sync once the id is written."""
    if not any(t.routing.nameless(config, note, item) for t in targets):
        return None
    return (
        "the item has no text to name its record by (only an owner, fields or tags);"
        " write some to sync it"
    )


def adopted_base(found: RemoteRecord) -> dict[str, Any]:
    """The base of a record taken in as it is in the backend (adopted, or made by a dead run):
    its fields, and its status as done or cancelled where the backend tells them apart."""
    return {**found.fields, "status": found.closed_as or found.status_category, "link": None}


def _trial_targets(targets: list[TargetSpec], line: str) -> list[str]:
    """The real targets whose last link in ``line`` is to a sandbox on this machine: for a target
    the item has a key for, its key link (the last link to its target)."""
    if "](" not in line:
        return []
    real = {t.name for t in targets if t.local is False}
    return [
        link.target
        for link in last_links(line).values()
        if link.target in real and on_this_machine(link.url)
    ]


def same_value(a: Any, b: Any) -> bool:
    """Whether two values of a field are the same to a person: lists in any order, text but
    for line endings and spaces at its ends, and empty the same as none."""
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    if isinstance(a, str) and isinstance(b, str):
        return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()
    return (a or None) == (b or None)


def _label_merge(note: list[str], base: list[str], remote: list[str]) -> list[str]:
    """Labels the note added go on; labels it dropped come off; labels added in Jira stay."""
    return sorted((set(remote) | set(note)) - (set(base) - set(note)))


NO_ITEM_WHY = "(its checkbox or the global filter taken off, or the line now in code?)"
"""Why a line with an item's id may be no item: moved into a fenced block, or four spaces more
under a deleted parent task, which makes it an indented code block."""

LOOK_UP_AT_ONCE = 1000
"""Ids a plan looks up in one call: a multiple of the 100 a search takes in each backend."""


class Planner:
    """Builds a :class:`Plan` from a vault, the state store and each target's backend."""

    def __init__(
        self,
        config: Config,
        vault: Vault,
        state: StateStore,
        targets: list[TargetSpec],
        *,
        progress: Progress = silent,
    ):
        self.config = config
        self.progress = progress
        self.vault = vault
        self._notes_by_path = {note.path: note for note in vault.notes}
        self._note_link = note_linker(config)
        self._synced_notes: set[str] = set()
        """The notes the state store has records of (read by :meth:`_identify`)."""
        self._orphans_notes: dict[str, bytes | None] = {}
        """The bytes of orphans' notes (None: unreadable), each read once."""
        self._cancels: list[tuple[int, TargetSpec, SyncedRecord]] = []
        """Cancels planned for deleted lines, by their index in the plan's changes: one that
        turns out to be moved (into a note the config does not read, or as no item into
        another) is left alone instead."""
        self._notes_with_items = {note.path for note in vault.notes if note.items}
        """Where a deleted line may cancel its records (sync.orphans = "cancel"): less the
        notes held back (:meth:`_hold_back`), which are out of the sync, records and all,
        until they are fixed, once :meth:`_identify` has run."""
        self._notes_proper = [n for n in vault.notes if conflict_copy_of(n.path) is None]
        """The notes but sync tools' conflict copies (see :func:`conflict_copy_of`)."""
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
        self.state = state
        self.targets = targets
        self.plan = Plan()
        self._users: dict[tuple[str, str], str | None] = {}
        self._user_search_refused: set[str] = set()  # targets that answered a user search 403
        self._keys: dict[tuple[str, str], str] = {}  # (block id, target) -> key, or to come
        self._urls: dict[tuple[str, str], str] = {}
        self._bases: dict[tuple[str, str], SyncedRecord] = {}
        self._ids_announced: set[str] = set()
        self._kinds_routed = {
            kind
            for target in self.targets
            for rule in target.routing.rules(self.config)
            for kind in rule.match.kind
        }
        """The kinds of item some rule takes: an accepted item of one that no rule takes is
        named in the plan (a tag misspelt), but not one of a kind no rule is for (decisions,
        under the default rules: the config says so itself)."""
        self._held_back: set[str] = set()  # labels of the ids in held notes (see _hold_back)
        self._trial_links: dict[str, int] = {}  # target -> key links to a sandbox, replaced
        self._cross_links = self._link_targets()
        # Per target, the ids a dead run was creating in this run's backend, and their notes.
        self._journal: dict[str, dict[str, str]] = {
            t.name: {
                block_id: entry.notes.get(block_id, "")
                for entry in state.in_flight(t.name)
                for block_id in entry.block_ids
            }
            for t in targets
        }

    def _link_targets(self) -> bool:
        """Whether Jira issues and Salesforce records are linked to each other in this run: not
        when one of them is a sandbox on this machine and the other is not, as a real record
        would name a trial's."""
        kinds = {t.name: t.local for t in self.targets}
        if set(kinds) < {"jira", "salesforce"}:
            return False
        if None in kinds.values() or kinds["jira"] == kinds["salesforce"]:
            return True
        sandbox, real = ("Jira", "Salesforce") if kinds["jira"] else ("Salesforce", "Jira")
        if self.config.rules:  # without [[rules]] nothing goes to Jira: nothing to link
            self.plan.warnings.append(
                f"{sandbox} is a sandbox on this machine and {real} is not: their records are"
                f" not linked to each other (no Jira key in Salesforce, no Salesforce link in"
                f" Jira) until both are real"
            )
        return False

    def build(self) -> Plan:
        lines, digests = self._read_notes()
        tracked = self._identify(lines)
        for target in self.targets:
            self._plan_target(target, tracked)
        self._spare_moved_lines()
        if self._cross_links:
            for entry in tracked:
                self._plan_cross_link(entry)
        self.plan.summary = {a: sum(c.action == a for c in self.plan.changes) for a in ACTIONS}
        self.plan.notes_read = len(digests)
        # Only the notes the plan stands on: a note with no item and no record (a daily note
        # a plugin keeps writing to) changes nothing a sync would do, and made every reviewed
        # plan stale. Unless a cancel or a line given its id back is planned: each stands on
        # the id being on no line of the vault, any note's (a line pasted since into the daily
        # note would be cancelled by the saved plan, and left alone by a new one).
        relevant = self._synced_notes | {n.path for n in self.vault.notes if n.items}
        cancels = any(
            self.plan.changes[index].action == "transition" for index, _, _ in self._cancels
        )
        if cancels or any(entry.readopted for entry in tracked):
            relevant = set(digests)
        self.plan.fingerprint = Fingerprint(
            notes={path: digest for path, digest in digests.items() if path in relevant},
            state_revision=self.state.revision(),
            state_id=self.state.identity(),
            sites={t.name: t.site for t in self.targets},
        )
        self.plan.warnings = (
            [str(w) for w in self.vault.warnings]
            + [str(w) for n in self.vault.notes for w in n.warnings]
            + self.plan.warnings
        )
        self.plan.abandoned_temps = abandoned_temps(self.config.vault_root, self.vault.write_temps)
        return self.plan

    # --- reading --------------------------------------------------------------------------

    def _read_notes(self) -> tuple[dict[str, list[str]], dict[str, str]]:
        """Each note's lines as write-back will see them, and its digest.

        The bytes must be the ones the note was parsed from: a note saved between the scan and
        now would pair line numbers with other lines, so it stops the plan instead.
        """
        root = self.config.vault_root
        lines: dict[str, list[str]] = {}
        digests: dict[str, str] = {}
        for note in self.vault.notes:
            try:
                data = (root / note.path).read_bytes()
            except OSError as exc:  # deleted, renamed or locked since the scan read it
                raise NoteChanged(
                    f"{note.path} could not be read again ({exc.strerror or exc}) after"
                    " plansync scanned it; plan again"
                ) from None
            digests[note.path] = note_digest(data)
            if note.digest is not None and note.digest != digests[note.path]:
                raise NoteChanged(f"{note.path} changed while plansync read it; plan again")
            text = decode_for_edit(data.removeprefix(b"\xef\xbb\xbf"))[0]
            # One CR: a line that ends in two holds one, as write-back reads it (and refuses it).
            lines[note.path] = [line.removesuffix("\r") for line in text.split("\n")]
        return lines, digests

    def _identify(self, lines: dict[str, list[str]]) -> list[_Tracked]:
        """Items taking part in this sync, each with its id (fresh ids for new items and copies).

        When a block id stands on several lines, the line that keeps it is the one in the note
        the item was synced from, else one carrying a key, else the first; the others are
        copies and become new items. So a copy pasted into a note that sorts first never takes
        the original's identity and links.

        Ids are compared as Jira and Salesforce see them, by their label (:func:`label_for`,
        lower case): ``^Step1`` and ``^step1`` are one id there, so two such lines are one id
        and a copy, or both items would land on one record (or make two records that the next
        plan cannot tell apart).
        """
        synced = {target.name: self.state.records(target.name) for target in self.targets}
        self._synced_notes = {r.note_path for records in synced.values() for r in records.values()}
        synced_from: dict[str, str] = {}
        for records in synced.values():
            for (synced_id, _), record in records.items():
                synced_from.setdefault(synced_id, record.note_path)
        for target in self.targets:
            # An id a dead run was creating may have its record already: its line is
            # tracked like a synced one, so that it plans as one if the record is found.
            for creating_id, note_path in self._journal[target.name].items():
                synced_from.setdefault(creating_id, note_path)
        lines_with: dict[str, list[tuple[Note, Item]]] = {}
        for note in self._notes_proper:
            for item in note.items:
                if item.block_id:
                    lines_with.setdefault(label_for(item.block_id), []).append((note, item))
        keepers = {label: _keeper(found, synced_from) for label, found in lines_with.items()}
        keeper = {label: id(item) for label, item in keepers.items()}
        kept_in = {
            label: next(note.path for note, item in found if item is keepers[label])
            for label, found in lines_with.items()
        }
        # By label as well: a new id (lower case, its own label) must be no other id's label,
        # a conflict copy's either.
        taken = {label_for(i.block_id) for n in self.vault.notes for i in n.items if i.block_id}
        taken |= {label_for(b) for b in synced_from}
        tracked: list[_Tracked] = []
        for note in self.vault.notes:
            if held := why_held(note, lines[note.path]):
                self._hold_back(note, held, synced_from)
                continue
            for item in note.items:
                block_id: str | None = item.block_id
                copy_of = None
                if block_id and keeper[label_for(block_id)] != id(item):
                    copy_of, block_id = block_id, None
                original = lines[note.path][item.line - 1]
                if not self._wanted(item) and (block_id is None or block_id not in synced_from):
                    if item.accepted and item.kind in self._kinds_routed:
                        self.plan.unrouted.append(
                            ItemRef(
                                note=note.path,
                                line=item.line,
                                block_id=item.block_id,
                                text=item.text,
                            )
                        )
                    self._trial_link_left(note, item, original)
                    continue
                if copy_of and _own_id_elsewhere(copy_of, kept_in[label_for(copy_of)], note):
                    self.plan.warnings.append(
                        f"{note.path}:{item.line}: ^{copy_of} is also the id of a line in"
                        f" {kept_in[label_for(copy_of)]}, which keeps it; Jira and Salesforce"
                        " need an id no other line of the vault has (and ignore case), and"
                        " plansync does not change an id written by hand, as links to it would"
                        " break: not synced until one of the two lines has another id"
                    )
                    continue
                if block_id is None and (
                    why := refusal(original) or _untitled(self.config, self.targets, note, item)
                ):
                    # Its id goes into the line before anything is created: without one, each
                    # sync would create its record again.
                    self.plan.warnings.append(f"{note.path}:{item.line}: {why}")
                    continue
                new_id = block_id is None
                block_id = block_id or new_block_id(taken)
                if copy_of:
                    kept = keepers[label_for(copy_of)].block_id
                    what = (
                        f"a copy of the line with ^{copy_of}"
                        if kept == copy_of
                        else f"^{copy_of} is the id of the line with ^{kept} to Jira and"
                        " Salesforce (they ignore case)"
                    )
                    self.plan.warnings.append(
                        f"{note.path}:{item.line}: {what}; it becomes a new item ^{block_id}"
                    )
                tracked.append(_Tracked(note, item, block_id, original, new_id, copy_of))
        by_key = {
            (backend, record.key): record
            for records in synced.values()
            for (_, backend), record in records.items()
        }
        self._keys_moved(tracked, synced, by_key, lines_with.keys())
        self._by_key(tracked, by_key, lines_with.keys())
        self._readopt(tracked, synced)
        return tracked

    def _keys_moved(
        self,
        tracked: list[_Tracked],
        synced: dict[Backend, dict[tuple[str, str], SyncedRecord]],
        by_key: dict[tuple[str, str], SyncedRecord],
        on_lines: Collection[str],
    ) -> None:
        """Tell the keys a line names from the tickets its text mentions.

        The parser reads the last link to each system as the key; here the line's records are
        known (see :func:`parse.reread_keys`). A link to a synced line's record is its key
        wherever it stands: words, or a link to another ticket, were written after it since.
        Any other link is a key only where write-back puts keys, closing the text: "Follow up
        on [CLOUD-7](…) with Dana @Myself" is a new item that mentions CLOUD-7, not a line that
        lost its id (a conflict, never created); and a line given its id by a sync that died
        before its key reads the same. A sandbox's link (a trial run, see _note_key) stays
        what it was, for the real key to replace it; a copy's keys are its original's. A line
        without an id that links to a synced record is read again with that record's keys by
        :meth:`_by_key`, which runs next.
        """
        for entry in tracked:
            if not entry.item.keys:
                continue
            keys = {
                name: entry.item.keys[name]
                for name in _trial_targets(self.targets, entry.original)
                if name in entry.item.keys
            }
            # A copy's keys are those of the line it copies: write-back takes them off.
            synced_as = entry.copy_of or ("" if entry.new_id else entry.block_id)
            for target in self.targets:
                if synced_as and (record := synced[target.name].get((synced_as, target.name))):
                    keys[target.name] = record.key
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
        tracked: list[_Tracked],
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
        lost: dict[str, list[tuple[_Tracked, Item]]] = {}
        for entry in new:
            read = self._synced_line_of(entry, by_key, on_lines, words_now)
            if read is None:
                continue
            copy, block_id, item = read
            if copy:
                entry.copy_of, entry.item = block_id, item
                self.plan.warnings.append(
                    f"{entry.note.path}:{entry.item.line}: names the key of the line with"
                    f" ^{block_id} (a recurring task's next occurrence, or a copy); it becomes a"
                    f" new item ^{entry.block_id}"
                )
            else:
                lost.setdefault(block_id, []).append((entry, item))
        self._give_ids_back(
            {block_id: found[0] for block_id, found in lost.items() if len(found) == 1}
        )

    def _synced_line_of(
        self,
        entry: _Tracked,
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
        trial = _trial_targets(self.targets, entry.original)
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
                if words_now.get(label_for(block_id)) == item.text or self._named_as(
                    target, entry.note, item, record
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

    def _give_ids_back(self, lost: dict[str, tuple[_Tracked, Item]]) -> None:
        """Give each line (by the id it lost: the line, and its item read as that record's)
        its id back, unless the id ends a line elsewhere in the vault: that line is there
        (moved into a note not read, or as no item), not lost. A sync tool's conflict copy
        does not count: its line is a copy of the one lost."""
        elsewhere = self._lines_elsewhere(set(lost), copies=False) if lost else {}
        for block_id, (entry, item) in lost.items():
            if block_id not in elsewhere:
                entry.block_id, entry.readopted, entry.item = block_id, True, item

    def _lost_its_id(
        self,
        target: TargetSpec,
        entry: _Tracked,
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
        self, tracked: list[_Tracked], synced: dict[Backend, dict[tuple[str, str], SyncedRecord]]
    ) -> None:
        """Give a new item the id of the record its line was synced as, when the line lost the
        id and key link the sync wrote: its note put back to older text (a git checkout, a
        backup restored, a sync client's conflict copy). ``synced``: each target's records.

        Otherwise the item would be created again, a duplicate, and its record taken for a
        deleted line's: an orphan, cancelled under ``orphans = "cancel"``. Its record is one of
        the same note whose id ends no line of the vault any more (the line is gone, not moved,
        see :meth:`_lines_elsewhere`), whose key no line names, and that the line would make
        exactly as it was last synced (:meth:`_synced_as`). Only a match one to one is taken:
        two such items, or two such records, are not guessed at and plan as before, as does a
        line that differs from the one synced in anything (its words, a date, its checkbox).
        The item then plans as the synced one it is: its id (and key links) written back as a
        new item's are.
        """
        new = [e for e in tracked if e.new_id and e.copy_of is None and not e.readopted]
        if not new:  # most plans: no new line
            return
        notes = {entry.note.path for entry in new}
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
        if not gone:  # most plans: no line lost its id
            return
        matched: list[tuple[_Tracked, set[str]]] = []  # a new item, the ids it was synced as
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

    def _synced_as(self, target: TargetSpec, entry: _Tracked, record: SyncedRecord) -> bool:
        """Whether the item's line, given ``record``'s id, makes the record exactly as it was
        last synced, checkbox included: the line as it was at that sync.

        A name alone matched lines that were not: under a summary without ``{text}``, by a
        Name cut at 80 characters, a recurring item added again to a running note (a record
        closed or cancelled since was reopened), and older text taken for the note's new word.
        The owner is taken as synced: telling it needs a look-up, and the plan that follows
        sees a change of owner as any other."""
        rule = target.routing.rule_for(self.config, entry.item)
        if rule is None or record.fields.get("status") != status_category(
            entry.item, self.config.acceptance
        ):
            return False
        owner_field = target.routing.owner_field(rule)
        owner = record.fields.get(owner_field) if owner_field else None
        link = self._note_link(entry.note.path, record.block_id)
        context = Context(entry.item, entry.note, record.block_id, link)
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
        self._held_back |= {label_for(item.block_id) for item in note.items if item.block_id}
        self._notes_with_items.discard(note.path)
        kept = [i for i in note.items if self._wanted(i) or i.block_id in synced_from]
        if not kept:
            return
        items = "its item is" if len(kept) == 1 else f"its {len(kept)} items are"
        self.plan.changes.append(
            Change(
                action="conflict",
                target="note",
                item=ItemRef(note=note.path, line=held.line, block_id=None, text=""),
                message=f"{held.why}: {items} held back (nothing is created, changed or"
                f" written back for them) until {held.until}",
            )
        )

    def _routed(self, target: TargetSpec, item: Item) -> bool:
        """Whether a rule sends ``item`` to ``target``."""
        return target.routing.rule_for(self.config, item) is not None

    def _wanted(self, item: Item) -> bool:
        return item.accepted and any(self._routed(t, item) for t in self.targets)

    def _keyed(self, item: Item) -> Callable[[KeyLink], bool]:
        """Whether a link closing ``item``'s text may be its key: a link to a system a rule
        sends it to, and in Salesforce to the object that rule writes (when the URL names
        one). A link to any other record (a Salesforce account, a Jira issue with no Jira
        configured) is the user's, and its label is text."""
        objects = {
            target.name: target.routing.sobject(self.config, item)
            for target in self.targets
            if self._routed(target, item)
        }

        def may_be_key(link: KeyLink) -> bool:
            if link.target not in objects:
                return False
            written, named = objects[link.target], salesforce_object(link.url)
            return written is None or named is None or named.casefold() == written.casefold()

        return may_be_key

    # --- deciding ---------------------------------------------------------------------------

    def _ref(self, entry: _Tracked) -> ItemRef:
        return ItemRef(
            note=entry.note.path,
            line=entry.item.line,
            block_id=entry.block_id,
            text=entry.item.text,
        )

    def _add(self, entry: _Tracked, action: Action, target: Target, **kwargs: Any) -> None:
        self.plan.changes.append(
            Change(action=action, target=target, item=self._ref(entry), **kwargs)
        )

    def _assignee(self, target: TargetSpec, entry: _Tracked) -> str | None:
        owner = entry.item.owner
        if not owner:
            return None
        if (target.name, owner) not in self._users:
            self._users[target.name, owner] = self._resolve_owner(target, entry, owner)
        return self._users[target.name, owner]

    def _resolve_owner(self, target: TargetSpec, entry: _Tracked, owner: str) -> str | None:
        name = self.config.myself if owner == "Myself" and self.config.myself else owner
        user = self.config.users.get(name)
        explicit = getattr(user, target.name, None) if user else None
        if explicit:
            return explicit
        query = user.email if user and user.email else (name if "@" in name else None)
        resolved = None
        if query and target.name not in self._user_search_refused:
            try:
                resolved = target.resolve_user(query)
            except ConnectorError as exc:
                if exc.status != 403:
                    raise
                # The account may not browse users (a permission many tokens lack): the plan
                # goes on, its items unassigned, rather than stop at the first owner.
                self._user_search_refused.add(target.name)
                self.plan.warnings.append(
                    f"{target.title} refused to look users up ({exc}); for owners that [users]"
                    f" gives no {target.name} id for, {_no_owner(target)}"
                )
        if resolved is None:
            self.plan.warnings.append(
                f"{entry.note.path}:{entry.item.line}: owner '@{owner}'"
                f" {self._unmapped(target, owner, name, query)}; {_no_owner(target)}"
            )
        return resolved

    def _unmapped(self, target: TargetSpec, owner: str, name: str, query: str | None) -> str:
        """Why an owner has no account, as the setting to change: "add it under [users]" was
        wrong advice for ``@Myself`` (set by ``myself``) and for an owner [users] already
        maps, by an e-mail the backend does not find. "Or to several": an e-mail or a name that
        matches more than one active user is not guessed at, and looked like a missing one."""
        title = target.title
        if owner == "Myself" and name != owner:
            return (
                f"('myself' = {name!r} in the config) maps to no {title} user, or to several: set"
                f" 'myself' to a key of [users] or an e-mail {title} knows"
            )
        if owner == "Myself":
            return (
                f"maps to no {title} user, or to several: set 'myself' in the config to your e-mail"
            )
        if query and name in self.config.users:
            return (
                f"maps by e-mail {query!r} ([users]) to no {title} user, or to several: give its"
                f" {target.name} id in [users] instead"
            )
        return f"maps to no {title} user, or to several (add it under [users] in the config)"

    def _desired(self, target: TargetSpec, entry: _Tracked) -> tuple[dict[str, Any], str] | None:
        link = self._note_link(entry.note.path, entry.block_id)
        fields = target.routing.desired(
            self.config,
            Context(entry.item, entry.note, entry.block_id, link),
            owner=lambda: self._assignee(target, entry),
            jira_key=self._keys.get((entry.block_id, "jira")) if self._cross_links else None,
        )
        return None if fields is None else (fields, link)

    def _sobject(
        self, target: TargetSpec, entry: _Tracked, found: RemoteRecord | None = None
    ) -> str | None:
        """The Salesforce object of the item's record: the one it is (``found``), else the one
        its rule makes."""
        if found is not None and found.sobject:
            return found.sobject
        return target.routing.sobject(self.config, entry.item)

    def _object_kept(
        self, target: TargetSpec, entry: _Tracked, found: RemoteRecord, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """Warn when a rule now routes the item to another object than its record's; the
        fields to sync, of those the record's object has.

        A record cannot change object; a second record with the same id would split the item
        in two. So the record it has keeps being synced, and the plan says so rather than
        leaving a re-tagged ``#rfe`` → ``#feature`` looking done. It is sent only the fields
        plansync writes on its object: one only the new rule writes would fail its update at
        every sync.
        """
        routed = self._sobject(target, entry)
        if not (found.sobject and routed and routed != found.sobject):
            return fields
        self.plan.warnings.append(
            f"{entry.note.path}:{entry.item.line}: a rule now routes this item to"
            f" {routed}, but its {target.title} record {found.key} is {found.sobject};"
            " plansync does not move records between objects and keeps syncing that one"
        )
        assert self.config.salesforce is not None
        managed = self.config.salesforce.managed_fields().get(found.sobject, [])
        return {name: value for name, value in fields.items() if name in managed}

    def _issue_kept(
        self, target: TargetSpec, entry: _Tracked, found: RemoteRecord, fields: dict[str, Any]
    ) -> None:
        """Warn when a rule now routes the item to another Jira project than its issue's, or
        makes it another issue type, as :meth:`_object_kept` does for a Salesforce object:
        an issue is not moved between projects or types (that is Jira's own move, with its
        workflows and fields), and a second issue would split the item in two, so the one it
        has keeps being synced."""
        if target.name != "jira":
            return
        where = f"{entry.note.path}:{entry.item.line}"
        project = fields.get("project")
        now = found.key.rsplit("-", 1)[0] if "-" in found.key else None
        if project and now and now.casefold() != str(project).casefold():
            self.plan.warnings.append(
                f"{where}: a rule now routes this item to project {project}, but its Jira issue"
                f" {found.key} is in {now}; plansync does not move issues between projects and"
                " keeps syncing that one"
            )
        kind, was = fields.get("issue_type"), found.fields.get("issue_type")
        if kind and was and str(kind).casefold() != str(was).casefold():
            self.plan.warnings.append(
                f"{where}: a rule now makes this item a {kind}, but its Jira issue {found.key}"
                f" is a {was}; plansync does not change an issue's type and keeps syncing it"
                " as it is"
            )

    def _plan_target(self, target: TargetSpec, tracked: list[_Tracked]) -> None:
        records = self.state.records(target.name)

        def relevant_now() -> list[_Tracked]:
            return [
                t
                for t in tracked
                if self._routed(target, t.item) or (t.block_id, target.name) in records
            ]

        relevant = relevant_now()
        wanted = {label_for(t.block_id) for t in relevant}
        wanted |= {label_for(block_id) for block_id, _ in records}
        # Ids a dead run was creating: a record made for one whose line is gone since is in
        # no note and no state, and would stay in the backend unknown to every plan.
        journal = self._journal[target.name]
        wanted |= {label_for(block_id) for block_id in journal}
        remote = self._look_up(target, sorted(wanted))
        if self._dead_creates(target, tracked, relevant, records, remote):
            relevant = relevant_now()  # a found record's line may still be there, unsynced
        seen: set[str] = set()  # by label: ^Step1 synced is the line now ending ^step1
        for entry in relevant:
            seen.add(label_for(entry.block_id))
            base = records.get((entry.block_id, target.name))
            if base is not None:
                self._bases[entry.block_id, target.name] = base
            self._plan_item(target, entry, base, remote.get(label_for(entry.block_id)))
        seen |= self._held_back
        for (block_id, _), record in sorted(records.items()):
            if label_for(block_id) not in seen:
                self._orphan(target, record, remote.get(label_for(block_id)))
        if trial := self._trial_links.get(target.name):
            self.plan.warnings.append(
                f"{trial} note {'line names' if trial == 1 else 'lines name'} {target.title}"
                " keys of a sandbox on this machine (a trial run): the"
                f" {target.title} configured now gets its own records for them (created, or"
                " found by their plansync ids), and the links are replaced"
            )

    def _look_up(self, target: TargetSpec, labels: list[str]) -> dict[str, RemoteRecord]:
        """The records of ``labels`` in the backend, a thousand ids at a time (ten searches in
        Jira, as many as in one call), reporting progress between them: the look-ups of a
        large vault take most of its plan's time, and made a silence that read as a hang."""
        step = f"looking up ids in {target.title}"
        found: dict[str, RemoteRecord] = {}
        for done in range(0, len(labels), LOOK_UP_AT_ONCE):
            self.progress(step, done, len(labels))
            found |= target.connector.fetch_by_ids(labels[done : done + LOOK_UP_AT_ONCE])
        if labels:
            self.progress(step, len(labels), len(labels))
        return found

    def _dead_creates(
        self,
        target: TargetSpec,
        tracked: list[_Tracked],
        relevant: list[_Tracked],
        records: dict[tuple[str, str], SyncedRecord],
        remote: dict[str, RemoteRecord],
    ) -> bool:
        """Settle the ids a dead run was creating that no record of the state stands for and
        no item would adopt a record for (:meth:`_adopts`): their lines are gone, or proposed
        again, or no rule takes them (:class:`DeadCreate`); whether a record was found for any.

        A record found for one enters ``records`` as the state will hold it once applied: an
        ordinary record of the note its line is in (else the one the id was journaled from),
        whose base is the record as it is (as for an adopted one). From there it is planned
        like every other record: an orphan if its line is gone, reported or cancelled as
        ``sync.orphans`` says. The ids of a note held back (:meth:`_hold_back`) wait for it
        to be fixed, like its items.
        """
        journal = self._journal[target.name]
        if not journal:  # most plans: no run died mid-create
            return False
        lines = {label_for(t.block_id): t.note.path for t in tracked}
        taken = {label_for(t.block_id) for t in relevant if self._adopts(target, t)}
        taken |= self._held_back | {label_for(block_id) for block_id, _ in records}
        recovered = False
        for block_id in sorted(journal):
            label = label_for(block_id)
            if label in taken:
                continue
            taken.add(label)
            note = lines.get(label) or journal[block_id]
            dead = DeadCreate(block_id=block_id, target=target.name, note=note)
            found = remote.get(label)
            if found is not None:
                base = adopted_base(found)
                records[block_id, target.name] = SyncedRecord(
                    block_id, target.name, found.key, found.url, dead.note, base
                )
                dead = dead.model_copy(update={"key": found.key, "url": found.url, "fields": base})
                recovered = True
            self.plan.dead_creates.append(dead)
        return recovered

    def _adopts(self, target: TargetSpec, entry: _Tracked) -> bool:
        """Whether a record found for the item's id, unknown to the state, is adopted by
        :meth:`_plan_item` (and so stored by apply): the item is one a rule sends to ``target``,
        accepted or closed. A record found for any other (proposed again, or no rule takes it)
        is only reported there, so the state would never learn it."""
        if not self._routed(target, entry.item):
            return False
        return entry.item.accepted or status_category(entry.item, self.config.acceptance) != "new"

    def _conflict(
        self,
        target: TargetSpec,
        entry: _Tracked,
        key: str,
        message: str,
        fields: dict[str, Any] | None = None,
    ) -> None:
        self._add(entry, "conflict", target.name, key=key, message=message, fields=fields or {})

    def _plan_item(
        self,
        target: TargetSpec,
        entry: _Tracked,
        base: SyncedRecord | None,
        found: RemoteRecord | None,
    ) -> None:
        """Step 3 of the algorithm for one item in ``target``: ``base`` is what was last synced
        (B), ``found`` the record the backend has for the item's id (R)."""
        note_key = None if entry.copy_of else self._note_key(target, entry)
        desired = self._desired(target, entry) if entry.item.accepted or base or found else None
        if base is None and found is None:
            self._plan_untracked(target, entry, note_key, desired)
            return
        key = base.key if base else found.key if found else None
        # Proposed again (or its acceptance tag or switch removed): a proposed item is never
        # pushed, so its record is left as it is, like one no rule takes any more. A done or
        # cancelled one still closes its record, accepted or not (a config may accept only
        # open items, so that work done in the meeting gets no ticket).
        if not entry.item.accepted and status_category(entry.item, self.config.acceptance) == "new":
            why = f"{key}: the item is no longer accepted; left alone until it is accepted again"
            if entry.item.kind == "action":  # a decision has no checkbox to close it by
                why += ", or marked done or cancelled"
            self._add(entry, "orphan", target.name, key=key, message=why)
            return
        if desired is None:
            self._no_longer_routed(target, entry, key)
            return
        if found is None:
            assert base is not None
            self._conflict(
                target,
                entry,
                base.key,
                f"{base.key} is in the state store but {target.title} returns no record"
                f" with {label_for(entry.block_id)} (deleted, moved or not yet indexed)",
            )
            return
        fields, link = desired
        kept = self._fields_found(target, entry, base, found, fields)
        if kept is None:
            return
        if base is None:
            self._plan_adopt(target, entry, found, kept, link, note_key)
        else:
            self._plan_tracked(target, entry, base, found, note_key, kept, link)

    def _plan_untracked(
        self,
        target: TargetSpec,
        entry: _Tracked,
        note_key: str | None,
        desired: tuple[dict[str, Any], str] | None,
    ) -> None:
        """No B and no R: create, unless the line names a key (then it may be a synced line
        that lost its id, or one whose record is gone: a conflict, never created twice)."""
        if note_key and entry.new_id:
            self._conflict(
                target,
                entry,
                note_key,
                f"the line has no id and its text ends in a link to {note_key}, where sync"
                f" writes the key of an item's record: not created, as it may be a synced"
                f" line that lost its id. If the link only mentions {note_key}, write the"
                " link before the end of the text (before the owner, say) and the item is"
                " created",
            )
        elif note_key:
            self._conflict(
                target,
                entry,
                note_key,
                f"the note names {note_key}, but no {target.title} record carries"
                f" {label_for(entry.block_id)}; not created again",
            )
        elif desired is not None and entry.item.accepted:
            self._plan_create(target, entry, *desired)

    def _fields_found(
        self,
        target: TargetSpec,
        entry: _Tracked,
        base: SyncedRecord | None,
        found: RemoteRecord,
        fields: dict[str, Any],
    ) -> dict[str, Any] | None:
        """The fields to sync to ``found`` (those of its object); None after a conflict: the
        item's id is on another record as well as on the one it was synced to."""
        fields = self._object_kept(target, entry, found, fields)
        self._issue_kept(target, entry, found, fields)
        label = label_for(entry.block_id)
        if base is not None and base.key != found.key and base.key in found.duplicates:
            self._conflict(
                target,
                entry,
                base.key,
                f"{label} is on {found.key} as well as on {base.key}, this item's record:"
                f" remove it from {found.key} (an issue cloned with its labels?);"
                " plansync will not guess",
            )
            return None
        if found.duplicates:
            self.plan.warnings.append(
                f"{entry.note.path}:{entry.item.line}: {label} is also on"
                f" {', '.join(found.duplicates)} (cloned with its labels?), which plansync"
                f" leaves alone: remove it there; this item syncs with {found.key}"
            )
        return fields

    def _plan_tracked(
        self,
        target: TargetSpec,
        entry: _Tracked,
        base: SyncedRecord,
        found: RemoteRecord,
        note_key: str | None,
        fields: dict[str, Any],
        link: str,
    ) -> None:
        """B and R: the key written back where the line lacks it, then each field, the status
        and the link to the note line, three ways."""
        if note_key and note_key != base.key:
            self._conflict(
                target,
                entry,
                note_key,
                f"the note names {note_key} but this item was synced to {base.key};"
                " fix the note or the state, plansync will not guess",
            )
            return
        self._known(target, entry, found.key, found.url)
        if note_key != found.key or entry.new_id:
            self._write_back(target, entry, found.key, note_key)
        kept = self._plan_fields(target, entry, base.fields, found, fields)
        if target.transitions:
            kept += self._plan_status(target, entry, _last_status(base.fields, found), found)
        self._say_kept(target, entry, found.key, kept)
        if target.remote_links:
            self._plan_link(target, entry, found.key, link)

    def _no_longer_routed(self, target: TargetSpec, entry: _Tracked, key: str | None) -> None:
        """Report the record of a line that no rule sends to ``target`` any more (its routing
        tag taken off, say). Unlike an unaccepted item's, no edit of the line but routing it
        again settles it, so ``forget`` takes it; not while the line still links to the
        record, though: once forgotten, that link would be read as the item's text (its label
        in the other system's summary)."""
        linked = key is not None and entry.item.keys.get(target.name) == key
        why = f"{key}: no rule sends this item to {target.title} any more"
        if linked:
            why += (
                ", and its line still links to it; left alone: take the link off the line, then"
                f" `plansync forget {key}` stops this report"
            )
        else:
            why += "; left alone"
        self._add(entry, "orphan", target.name, key=key, message=why, no_longer_routed=not linked)

    def _note_key(self, target: TargetSpec, entry: _Tracked) -> str | None:
        """The key the note line names for ``target``; none when the link is a trial run's
        (it points at this machine, and ``target`` is a real backend)."""
        key = entry.item.keys.get(target.name)
        if key is not None and target.name in _trial_targets(self.targets, entry.original):
            self._trial_links[target.name] = self._trial_links.get(target.name, 0) + 1
            return None
        return key

    def _trial_link_left(self, note: Note, item: Item, line: str) -> None:
        """Warn of a trial run's key link on a line no longer synced: nothing replaces it."""
        if not item.keys:
            return
        for name in _trial_targets(self.targets, line):
            if name not in item.keys:  # a sandbox link the text mentions, not its key
                continue
            self.plan.warnings.append(
                f"{note.path}:{item.line}: names {item.keys[name]}, a record of a sandbox on"
                " this machine (a trial run); the item is not synced, so the link stays until"
                " you remove it"
            )

    def _known(self, target: TargetSpec, entry: _Tracked, key: str, url: str) -> None:
        self._keys[entry.block_id, target.name] = key
        self._urls[entry.block_id, target.name] = url

    def _plan_create(
        self, target: TargetSpec, entry: _Tracked, fields: dict[str, Any], link: str
    ) -> None:
        sobject = self._sobject(target, entry)
        why = target.connector.destination_problem(NewRecord(entry.block_id, fields, sobject))
        if why:
            where = target.routing.rule_key(self.config, entry.item)
            raise ConfigError(f"{self.config.where}: {where}: {why}")
        self._known(target, entry, KNOWN_AFTER_CREATE, KNOWN_AFTER_CREATE)
        self._write_back(target, entry, None, None)
        self._add(entry, "create", target.name, fields=fields, sobject=sobject)
        if target.remote_links:
            self._add(
                entry, "link", target.name, fields={"url": link, "title": self._link_title(entry)}
            )
        category = status_category(entry.item, self.config.acceptance)
        if target.transitions and category != "new":
            self._add(
                entry,
                "transition",
                target.name,
                fields={"status": {"old": "new", "new": category}},
                sobject=self._sobject(target, entry),
            )

    def _plan_adopt(
        self,
        target: TargetSpec,
        entry: _Tracked,
        found: RemoteRecord,
        fields: dict[str, Any],
        link: str,
        note_key: str | None,
    ) -> None:
        if note_key and note_key != found.key:
            self._conflict(
                target,
                entry,
                note_key,
                f"the note names {note_key} but the {target.title} record with"
                f" {label_for(entry.block_id)} is {found.key}",
            )
            return
        self._known(target, entry, found.key, found.url)
        base = adopted_base(found)
        self._write_back(target, entry, found.key, note_key, base=base, url=found.url)
        self._plan_fields(target, entry, {}, found, fields, adopt=True)  # keeps nothing
        if target.transitions:
            self._plan_status(target, entry, None, found)
        if target.remote_links:
            self._plan_link(target, entry, found.key, link)

    def _write_back(
        self,
        target: TargetSpec,
        entry: _Tracked,
        key: str | None,
        note_key: str | None,
        *,
        base: dict[str, Any] | None = None,
        url: str | None = None,
    ) -> None:
        fields: dict[str, Any] = {}
        first = entry.block_id not in self._ids_announced
        self._ids_announced.add(entry.block_id)
        if entry.new_id and first:
            fields["block_id"] = {"old": entry.copy_of, "new": entry.block_id}
        if key != note_key or key is None:
            # A copy, or a line with a trial run's link, shows the key it carries, which
            # write-back takes off its line or replaces.
            shown = entry.item.keys.get(target.name)
            fields[target.name] = {"old": shown, "new": key or KNOWN_AFTER_CREATE}
        message = None
        if entry.readopted and key is not None:
            message = (
                f"the line regains ^{entry.block_id}, the id of {key} it was synced as (its id"
                f" {'was' if entry.item.keys else 'and key link were'} lost: taken off, or the"
                " note put back to older text?)"
            )
        elif not fields:
            message = f"the note already names {key}; only the state store learns it"
        self._add(
            entry,
            "write_back",
            "note",
            key=key,
            fields=fields,
            base=base,
            url=url,
            message=message,
            line_change=LineChange(
                original=entry.original,
                block_id=entry.block_id,
                replace_block_id=entry.copy_of is not None and first,
                drop_links=["jira", "salesforce"] if entry.copy_of and first else [],
                key_target=target.name,
                keys=dict(entry.item.keys),
            ),
        )

    def _plan_fields(
        self,
        target: TargetSpec,
        entry: _Tracked,
        base: dict[str, Any],
        found: RemoteRecord,
        note: dict[str, Any],
        *,
        adopt: bool = False,
    ) -> list[_Kept]:
        """Plan ``found``'s fields three ways against the ``base`` and the ``note``; those whose
        backend value stands (none when adopting)."""
        updates: dict[str, dict[str, Any]] = {}
        conflicts: dict[str, dict[str, Any]] = {}  # a field's base, and its note and remote values
        converged: dict[str, Any] = {}
        winners = self.config.sync.conflicts
        kept: list[_Kept] = []
        for name, wanted in note.items():
            if name in target.immutable:
                continue
            have = found.fields.get(name)
            last = base.get(name)
            if name == "labels":
                # The base keeps the note's labels, so a label added in Jira is never taken
                # for one the note dropped.
                merged = _label_merge(wanted, last or [], have or [])
                if not same_value(merged, have) and (adopt or not same_value(wanted, last)):
                    updates[name] = {"old": have, "new": merged}
                elif not adopt and not same_value(wanted, last):
                    converged[name] = wanted
                continue
            if same_value(wanted, have):
                if not adopt and not same_value(wanted, last):
                    converged[name] = wanted
                continue
            if not adopt and same_value(wanted, last):
                kept.append(_Kept(name))  # changed in the backend only: its value stands
                continue
            if adopt or same_value(have, last) or winners.get(name) == "note":
                updates[name] = {"old": have, "new": wanted}
            elif winners.get(name) == "remote":
                kept.append(_Kept(name, overruled=True))  # else "in sync", the two differing
            else:
                conflicts[name] = {"base": last, "note": wanted, "remote": have}
        if updates:
            self._add(
                entry,
                "update",
                target.name,
                key=found.key,
                fields=updates,
                sobject=self._sobject(target, entry, found),
                base={"labels": note["labels"]} if "labels" in updates else None,
            )
        if converged:
            self._refresh(target, entry, converged)
        if conflicts:
            self._conflict(
                target,
                entry,
                found.key,
                f"changed in the note and in {target.title} since the last sync: "
                + "; ".join(
                    f"{name}: note {v['base']!r} -> {v['note']!r},"
                    f" {target.title} {v['base']!r} -> {v['remote']!r}"
                    for name, v in conflicts.items()
                ),
                fields=conflicts,
            )
        return kept

    def _say_kept(self, target: TargetSpec, entry: _Tracked, key: str, kept: list[_Kept]) -> None:
        """One line for a record whose ``kept`` fields changed in the backend only (or in
        both, where ``[sync.conflicts]`` keeps the backend's), as a reviewer reads it: per
        record, not per field."""
        if kept:
            only = "" if any(field.overruled for field in kept) else " only"
            names = ", ".join(map(str, kept))
            self.plan.kept.append(
                f"{key} ({entry.note.path}:{entry.item.line}): {names} changed in"
                f" {target.title}{only} since the last sync; kept, not sent from the note"
            )

    def _plan_status(
        self, target: TargetSpec, entry: _Tracked, last: str | None, found: RemoteRecord
    ) -> list[_Kept]:
        """Move the record where the checkbox says, by the fields' three-way rule: a status
        the note kept since the last sync (``last``) is the backend's; one the note moved is
        sent, unless the backend moved it too, elsewhere: a conflict that ``sync.conflicts``
        ``status`` may settle, as a field's. Adopted (``last`` None, no base), the note's
        word is sent, as its fields are.

        Done and cancelled are one category to Jira ("Won't Do" is closed like "Done"), but
        not one status: the note moving to one of them moves a record closed as the other
        too (closed in the backend meanwhile: the checkbox says which), unless the backend
        cannot tell them apart (:attr:`RemoteRecord.closed_as` None); then only the base
        learns the note's word, so that a workflow with one closed status is not asked again
        at every sync.

        Returns what is kept as the fields' are: the status ("status (now done)") where the
        backend moved the record and its word stands, else nothing.
        """
        wanted = status_category(entry.item, self.config.acceptance)
        have = found.status_category
        if last == "indeterminate":  # adopted while in progress: open, as the note says "new"
            last = "new"
        moved = last is not None and (  # in the backend, since the last sync
            (have == "done") != (last in CLOSED)
            or (have == "done" and found.closed_as not in (None, last))
        )
        now = (found.closed_as or "closed") if have == "done" else "open"
        if wanted == last:  # the backend's word stands; said, as a field's is
            return [_Kept(f"status (now {now})")] if moved else []
        if wanted in CLOSED and have != "done":
            change = {"old": have, "new": wanted}
        elif wanted in CLOSED and found.closed_as not in (None, wanted):
            change = {"old": found.closed_as, "new": wanted}
        elif wanted == "new" and have == "done" and last != "new":
            change = {"old": found.closed_as or have, "new": "reopen"}  # "cancelled" said so
        else:
            if last is not None and (have == "done") == (wanted in CLOSED):
                self._refresh(target, entry, {"status": wanted, "status_sent": None})
            return []
        winner = self.config.sync.conflicts.get("status")
        if moved and winner == "remote":
            return [_Kept(f"status (now {now})", overruled=True)]
        if moved and winner != "note":
            self._conflict(
                target,
                entry,
                found.key,
                f"status changed in the note and in {target.title} since the last sync: note"
                f" {last} -> {wanted}, {target.title} {last} -> {now} ([sync.conflicts]"
                ' status = "note" or "remote" settles it)',
                fields={"status": {"base": last, "note": wanted, "remote": now}},
            )
            return []
        self._add(
            entry,
            "transition",
            target.name,
            key=found.key,
            fields={"status": change},
            sobject=self._sobject(target, entry, found),
        )
        return []

    def _refresh(self, target: TargetSpec, entry: _Tracked, fields: dict[str, Any]) -> None:
        self.plan.refresh.append(
            BaseRefresh(block_id=entry.block_id, target=target.name, fields=fields)
        )

    def _plan_link(self, target: TargetSpec, entry: _Tracked, key: str, link: str) -> None:
        """The issue's link to the note line, upserted when its URL or its title (the note's
        title, through ``jira.link_title``) is not what was last sent."""
        title = self._link_title(entry)
        sent = self._link_sent(target, entry, "link", link, title)
        if sent is None:
            return
        old, old_title = sent
        fields = {"url": {"old": old, "new": link}, "title": {"old": old_title, "new": title}}
        self._add(entry, "link", "jira", key=key, fields=fields)

    def _link_sent(
        self, target: TargetSpec, entry: _Tracked, field: str, value: str, title: str
    ) -> tuple[Any, Any] | None:
        """What was last sent of one of the issue's links, ``(value, title)``, when it is not
        ``value`` and ``title`` (the link is to be upserted); None when it is.

        Links are not read back from Jira (that would cost a request per issue), so the base is
        what was sent: ``field`` (the URL, or the record linked to) and ``field + "_title"``.
        A base kept before titles were takes the title as sent and learns it (a refresh, nothing
        sent), so that an upgrade does not upsert every link once.
        """
        base = self._bases.get((entry.block_id, target.name))
        last = base.fields if base else {}
        old, old_title = last.get(field), last.get(f"{field}_title")
        if old != value:
            return old, old_title
        if f"{field}_title" not in last:
            self._refresh(target, entry, {f"{field}_title": title})
            return None
        return None if old_title == title else (old, old_title)

    def _plan_cross_link(self, entry: _Tracked) -> None:
        """The Jira issue links to the item's Salesforce record (upserted by its own global id)."""
        jira_key = self._keys.get((entry.block_id, "jira"))
        sf_key = self._keys.get((entry.block_id, "salesforce"))
        sf_url = self._urls.get((entry.block_id, "salesforce"))
        if jira_key is None or sf_key is None or sf_url is None:
            return
        # The link is to the record: compared by its Id, so a new host for the same record
        # (the sandbox on another port, a renamed My Domain) is not a change.
        jira = next(t for t in self.targets if t.name == "jira")
        title = f"Salesforce: {entry.item.text[:80]}"
        sent = self._link_sent(jira, entry, "sf_link", sf_key, title)
        if sent is None:
            return
        old, old_title = sent
        self._add(
            entry,
            "link",
            "jira",
            key=None if jira_key == KNOWN_AFTER_CREATE else jira_key,
            fields={
                "url": {"old": sf_url if old == sf_key else None, "new": sf_url},
                "record": {"old": old, "new": sf_key},
                "title": {"old": old_title, "new": title},
            },
            global_id=f"plansync:salesforce:{entry.block_id}",
            base_field="sf_link",
        )

    def _link_title(self, entry: _Tracked) -> str:
        return self.config.jira.link_title.format_map(
            {"note_title": entry.note.title or entry.note.path, "note_path": entry.note.path}
        )

    def _orphan(self, target: TargetSpec, record: SyncedRecord, found: RemoteRecord | None) -> None:
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
            if not named and (same_text := self._same_text_at(target, record)):
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
        elif not (self.config.vault_root / record.note_path).exists():
            where = "its note is gone"
        else:  # there, but not read: skipped by the scan, or outside the config's globs
            where = "its note is not among those vault.include and vault.exclude take"
            for warning in self.vault.warnings:
                if warning.path == record.note_path:
                    # Most likely its line is there, id and all, until the note is fixed.
                    where = f"its note was not read ({warning.message})"
                    named = True
                    break
        self.plan.changes.append(_left_alone(target.name, record, where, line_may_be_back=named))

    def _same_text_at(self, target: TargetSpec, record: SyncedRecord) -> str | None:
        """Why the record's line may be back without its id, where a line of its note has its
        text (:meth:`_unsynced_line_like`); None: no line has."""
        line = self._unsynced_line_like(target, record)
        if line is None:
            return None
        return (
            f"line {line} of its note has its text but not its id (the note put back to older"
            f" text, or written again?): if it is its line, put ^{record.block_id} back at its end"
        )

    def _unsynced_line_like(self, target: TargetSpec, record: SyncedRecord) -> int | None:
        """The line of the record's note, without an id and not to be synced, whose item would
        make the record's name as last synced (its Jira summary, its Name); None: none.

        Such a line is most likely the record's own, come back in a note put back to older text
        or written again by its generator, as proposed (``[?]``): its record is reported, not
        cancelled under ``orphans = "cancel"`` for a deleted line. A name shared by chance
        only spares a cancel, which is the side to err on. A line to be synced is not looked
        at: it gets an id of its own at this sync, after which its record would be cancelled
        all the same, one run late, with a second record made meanwhile."""
        note = self._notes_by_path[record.note_path]
        for item in note.items:
            if item.block_id or self._wanted(item):
                continue
            if self._named_as(target, note, item, record):
                return item.line
        return None

    def _named_as(self, target: TargetSpec, note: Note, item: Item, record: SyncedRecord) -> bool:
        """Whether ``item`` would make ``record``'s name as last synced (its Jira summary, its
        Salesforce Name)."""
        synced = _synced_text(record)
        if not synced:
            return False
        context = Context(item, note, record.block_id, "")
        fields = target.routing.desired(self.config, context, lambda: None, None) or {}
        return any(same_value(fields.get(name), synced) for name in ("summary", "Name"))

    def _still_in_note(self, record: SyncedRecord) -> bool:
        """Whether the record's block id still ends a line of its note (in any case, as ids
        are compared by label): the line is there, only no item any more, so it was not
        deleted, and ``orphans = "cancel"`` must not close its record."""
        if record.note_path not in self._orphans_notes:  # read once, however many orphans
            try:
                data = (self.config.vault_root / record.note_path).read_bytes()
            except OSError:
                data = None
            self._orphans_notes[record.note_path] = data
        data = self._orphans_notes[record.note_path]
        return data is not None and ends_a_line(data, record.block_id)

    def _cancel_orphan(
        self, target: TargetSpec, record: SyncedRecord, found: RemoteRecord | None, where: str
    ) -> bool:
        """Plan the cancel of a record whose line was deleted, when ``sync.orphans`` asks.

        Only a deletion from a note that was read and still holds items counts: a note that
        is gone, unread, emptied (a sync client's accident as often as a person's) or held
        back (:meth:`_hold_back`) never closes its tickets. A record already closed, or
        cancelled by plansync before, is reported only, so a reopen in the backend stands. So
        is one whose id search finds first on another record (an earlier issue cloned or
        labelled with it): that record is not the one synced from the line, and is never
        cancelled for it. And so is a record whose key a line still names: its line may be
        there with only its block id taken off (tidied away as noise); the report says to put
        the id back, where :meth:`_by_key` could not tell that the line is its own.
        A cancel planned here may still be left alone by :meth:`_spare_moved_lines`, once every
        target is planned: its line may have been moved into a note this scan does not read,
        or into another note as no item.
        """
        if self.config.sync.orphans != "cancel" or not target.transitions or found is None:
            return False
        if found.key != record.key or (target.name, record.key) in self._named_keys:
            return False
        last = _last_status(record.fields, found)
        if found.status_category == "done" and last != record.fields.get("status"):
            # A cancel whose answer was lost got there: the base learns it, or a reopen in the
            # backend would pass for a record never cancelled, and be cancelled again.
            self.plan.refresh.append(
                BaseRefresh(
                    block_id=record.block_id,
                    target=target.name,
                    fields={"status": last, "status_sent": None},
                )
            )
        if record.note_path not in self._notes_with_items or found.status_category == "done":
            return False
        if last == "cancelled":
            return False
        self.plan.changes.append(
            Change(
                action="transition",
                target=target.name,
                key=found.key,
                item=_gone_item(record),
                fields={"status": {"old": found.status_category, "new": "cancelled"}},
                sobject=found.sobject,
                message=f"{found.key}: {where}; cancelled (sync.orphans = 'cancel')",
            )
        )
        self._cancels.append((len(self.plan.changes) - 1, target, record))
        return True

    def _spare_moved_lines(self) -> None:
        """Leave alone the records whose cancel was planned for a deleted line that was in fact
        moved, id and all: into a note this scan does not read (an ``Archive/`` folder
        ``vault.exclude`` names, or a note outside ``vault.include``), or into another note as
        a line that is no item (its checkbox taken off on the way). The line is still in the
        vault; someone archiving an item, or keeping it as a plain bullet, does not mean to
        cancel its ticket, as a line left in its own note without its checkbox does not. So
        are those whose note has a line with their text but no id (:meth:`_unsynced_line_like`).

        Run once, after every target is planned, so that one walk of the vault serves every
        candidate of every target; and only when there is one (never under ``orphans =
        "report"``, which plans no cancel), as the walk reads every note of the vault.
        """
        if not self._cancels:
            return
        where = self._lines_elsewhere({record.block_id for _, _, record in self._cancels})
        for index, target, record in self._cancels:
            note = where.get(record.block_id)
            if note is None:
                if same_text := self._same_text_at(target, record):
                    self.plan.changes[index] = _left_alone(
                        target.name, record, same_text, line_may_be_back=True
                    )
                continue
            if note in self._notes_by_path:
                moved = (
                    f"its line (^{record.block_id}) is in {printable(note)}, but no item"
                    f" plansync reads {NO_ITEM_WHY}"
                )
            else:
                moved = f"its line is in {printable(note)}, which the config does not read"
            self.plan.changes[index] = _left_alone(target.name, record, moved)

    def _lines_elsewhere(self, block_ids: set[str], *, copies: bool = True) -> dict[str, str]:
        """Of ``block_ids``, those that end a line (in any case, see :func:`ends_a_line`) of a
        Markdown note under the vault, with the first such note's path. Each note is read
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
        wanted: dict[bytes, list[str]] = {}  # ^Step1 and ^step1 are one word here
        for block_id in block_ids:
            wanted.setdefault(block_id.encode().lower(), []).append(block_id)
        found: dict[str, str] = {}
        for path, relative in markdown_files(self.config.vault_root):
            if len(found) == len(block_ids):
                break
            if not copies and conflict_copy_of(relative):
                continue
            try:
                _, data = read_note_bytes(path)  # nothing of a note over the size limit
            except OSError:
                continue
            for word in wanted.keys() & set(_AFTER_CARET.findall(data.lower())):
                for block_id in wanted[word]:
                    if block_id not in found and ends_a_line(data, block_id):
                        found[block_id] = relative
        return found


_AFTER_CARET = re.compile(rb"\^([a-z0-9-]+)")
"""The id-like word after a ``^`` (in lower case: ids are compared by label): where one ends a
line, the block id there, so the ids a note may end a line with are among these. Only the
characters an id holds: whitespace the parser trims after one (a no-break space) is not part
of it."""


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
    (:meth:`Planner._by_key`)."""
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


def _left_alone(
    target: Backend, record: SyncedRecord, why: str, *, line_may_be_back: bool = False
) -> Change:
    """The orphan a record whose line is gone from its note is reported as, and why."""
    return Change(
        action="orphan",
        target=target,
        key=record.key,
        item=_gone_item(record),
        message=f"{record.key}: {why}; left alone",
        line_may_be_back=line_may_be_back,
    )


def _gone_item(record: SyncedRecord) -> ItemRef:
    """The item of a record whose line is gone (line 0), by the text last synced, so that a
    reader of the plan knows which item it was without looking the key up."""
    return ItemRef(
        note=record.note_path, line=0, block_id=record.block_id, text=_synced_text(record)
    )


def _synced_text(record: SyncedRecord | RemoteRecord) -> str:
    """The item's text as last synced: its Jira summary or its Salesforce record's name."""
    for name in ("summary", "Name"):
        value = record.fields.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def _no_owner(target: TargetSpec) -> str:
    """What becomes of a record whose owner maps to no account: a Jira issue has no assignee,
    but a Salesforce record always has an owner (plansync then sends none)."""
    if target.name == "jira":
        return "left unassigned"
    return "its record keeps the owner it has (a new one: the user plansync logs in as)"


@dataclass(frozen=True)
class _Kept:
    """A field (or the status) whose backend value stands, as the plan's ``kept`` line names
    it. ``overruled``: the note changed it too, and ``[sync.conflicts]`` keeps the backend's;
    said so, or the plan would read as if only the backend had changed it."""

    name: str
    overruled: bool = False

    def __str__(self) -> str:
        if self.overruled:
            return f"{self.name} (and in the note: [sync.conflicts] keeps the backend's)"
        return self.name


def _own_id_elsewhere(block_id: str, kept_in: str, note: Note) -> bool:
    """Whether ``block_id``, an id another line keeps, was written by hand (not one of
    plansync's) in another note than that line's. Obsidian needs an id to be one line's in its
    note only, and a link to it (``[[note#^id]]``) breaks if write-back gives the line a new
    one, as it does a copied line's."""
    return not block_id.lower().startswith(BLOCK_ID_PREFIX) and kept_in != note.path


def _keeper(found: list[tuple[Note, Item]], synced_from: dict[str, str]) -> Item:
    """Of the lines sharing a block id, the one that keeps it (see ``Planner._identify``):
    the one in the note its id was synced from, else one carrying a key, else the first."""
    for note, item in found:
        if item.block_id is not None and synced_from.get(item.block_id) == note.path:
            return item
    return next((item for _, item in found if item.keys), found[0][1])


def _last_status(base: dict[str, Any], found: RemoteRecord) -> str | None:
    """The status as last synced. A transition whose answer was lost (``status_sent``, stored
    by apply before it asks) counts as synced once Jira is where it was sent; otherwise its
    done state would pass for a change made in Jira, and reopening the item would not reach
    Jira."""
    last, sent = base.get("status"), base.get("status_sent")
    if not sent or (found.status_category == "done") != (sent in CLOSED):
        return last
    if last in CLOSED and sent in CLOSED and found.closed_as not in (None, sent):
        # A move between done and cancelled: the record was closed before it, so only its
        # status says whether it got there.
        return last
    return str(sent)


def note_digests(config: Config, paths: list[str]) -> dict[str, str]:
    """Digests of the named notes now: a note that vanished or cannot be read any more (a
    folder in its place, its permissions taken away) digests as empty, so that a plan made from
    it is stale rather than a traceback from the check."""
    root = config.vault_root
    digests = {}
    for path in paths:
        try:
            digests[path] = note_digest(Path(root / path).read_bytes())
        except OSError:
            digests[path] = ""
    return digests
