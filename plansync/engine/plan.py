"""The plan: what a sync would change, computed without changing anything.

The algorithm, per item that is accepted and routed to a target (or already tracked there):

1. **Identity** (:mod:`.identity`). The item's block id is its identity. An item without one gets a
   fresh id (to be written into the note); of a line copied with its id, the one that still makes
   its record as last synced keeps the id (else the first occurrence) and the copy becomes a new
   item with a new id. A line that lost the id a sync wrote
   (its note put back to older text) gets that id back instead of a fresh one, when it would make
   exactly the record last synced of one record of its note whose line is gone, one to one
   (:meth:`Identifier._readopt`); one with that record's name but unlike it otherwise (ticked
   since) is a new item the plan warns of, naming the id to put back
   (:meth:`Identifier._near_copies`). A line without an id that links to a synced record's key
   is that record's line when the record's id ends no line and the line ends in its key links or
   makes the record as last synced (it lost its id: it gets it back), or a copy when the id ends
   another line (a recurring task's next occurrence: a new item, its copied links taken off);
   else the link is a mention (:meth:`Identifier._by_key`). A note a person must fix first (its
   front matter unreadable, a sync tool's conflict copy, both sides of a merge conflict in it)
   takes no part, records and all: its lines would be synced wrong or twice (:mod:`.held`,
   :meth:`Identifier._hold_back`).
2. **Three sides.** ``N`` is the record the note asks for (:mod:`plansync.rules`), ``B`` the
   fields as last synced (the state store), ``R`` the record in the backend now, found by the
   label that carries the id. The same lookup finds a record created by a run that died before
   it could store the key, so such a record is adopted, never created twice.
3. **Decide** (the three-way rules: :mod:`.diff`). No ``B`` and no ``R``: create. ``R`` without
   ``B``: adopt (write the key back; fields that differ are updated from the note, there being no
   base to say otherwise). Both: per field, a change on the note side only is an update; on the
   remote side only it is kept; on both sides, a conflict that the config's winner per field
   resolves or the plan reports. The note's checkbox moves the record between status categories the
   same way (a transition). ``B`` without ``R``: the record is gone or unreachable; reported as a
   conflict, not recreated.
4. **Keys and links.** The key belongs in the note line (written back if missing; a key there
   that disagrees with the state store is a conflict, not "fixed"); the record links back to
   the note line (upserted by a stable global id when the link changed). Nothing is written
   into a note whose file is read-only: such a write is a conflict instead, and an item whose
   id it would write is not created. What a line gets written back is :mod:`.writeback_plan`'s;
   the issue's link to the line is :mod:`.cross_links`'.
5. **Orphans** (:mod:`.orphans`). A tracked id found in no note is reported and left alone: a
   vanished note never closes tickets. Only with ``sync.orphans = "cancel"`` is a line deleted from
   a note that was read and still holds items a transition to cancelled, once; not one moved into a
   note the config does not read (an archive), or into another note as no item: it is still in the
   vault. Nor one whose line may be back without its id (a line links to its key, or has its text):
   the plan says so (``Change.line_may_be_back``), and ``forget`` refuses it, as only the state
   store can find that line again. A record a run that died made for a line deleted before this plan
   (the id is only in the create's journal) is taken in as a record of the note the journal names,
   and planned like any other (:class:`DeadCreate`).
6. **Targets** (:mod:`.targets`). The same steps run for each backend an item is routed to (Jira,
   Salesforce), Jira first, because a Salesforce record carries its item's Jira key and the Jira
   issue links to the Salesforce record: that cross-link is planned last, once both keys are known
   or will be (``(known after create)``, filled in by apply; :mod:`.cross_links`).
7. **Trial runs.** What a sandbox on this machine synced (the embedded one, or one served on
   loopback) is a trial: when the same vault is then synced with a real backend, the trial's
   records are no base (the state store is bound to the kind of backend, see
   :meth:`StateStore.bind`), and a key link in a note that points at this machine is no key: the
   item is created (or found by its label) in the real backend, and the link is replaced. A
   real record never names a trial's: while one backend is a sandbox and the other is not,
   Jira issues and Salesforce records are not linked to each other (:mod:`.cross_links`).
   Another sandbox (the embedded one, or one ``plansync sandbox serve`` serves) is handled the
   same way: its records are no base and its links no keys (:meth:`Planner._note_key`). The
   other way round, an
   embedded sandbox run over a store that has real records is refused before it plans
   (:func:`plansync.sandbox_choice.refuse_sandbox_over_real`), as it is most likely a missing
   ``JIRA_URL``.

Besides the steps, the plan warns of what in the config most likely needs a person's eye (a
rule that matches no item, one that now routes a synced item elsewhere, a value a backend would
refuse): :mod:`.config_checks`.

The result is a list of small :class:`Change` objects (:mod:`.changes`); applying them is
:mod:`.apply`'s job.
"""

from __future__ import annotations

from typing import Any

from plansync.config import Config
from plansync.connectors.base import ClosedAs, NewRecord, RemoteRecord
from plansync.display import field_value
from plansync.engine.changes import (
    ACTIONS,
    KNOWN_AFTER_CREATE,
    Action,
    BaseRefresh,
    Change,
    DeadCreate,
    Fingerprint,
    KeptRecord,
    Plan,
    Target,
)
from plansync.engine.config_checks import ConfigChecks
from plansync.engine.context import PlanContext
from plansync.engine.cross_links import CrossLinks
from plansync.engine.diff import (
    Kept,
    adopted_base,
    as_synced,
    diff_fields,
    diff_status,
    held_as,
    landed,
)
from plansync.engine.identity import ITEMS_AT_ONCE, Identifier, Tracked
from plansync.engine.orphans import Orphans, orphan_order
from plansync.engine.owners import OwnerResolver
from plansync.engine.state import StateStore, SyncedRecord
from plansync.engine.targets import TargetSpec, trial_targets
from plansync.engine.writeback_plan import WriteBacks
from plansync.errors import ConfigError, PlansyncError
from plansync.notes.model import note_digest
from plansync.notes.note_file import decode_note
from plansync.notes.vault import Vault, note_file
from plansync.notes.writeback import abandoned_temps
from plansync.progress import Progress, reported, reported_batches, silent
from plansync.rules import (
    CLOSED,
    Context,
    label_for,
    note_linker,
    open_as_new,
    status_category,
    unnamed_status,
    written_by_hand,
)
from plansync.sites import described, on_this_machine
from plansync.words import status_word


class NoteChanged(PlansyncError):
    """A note was saved while it was being planned. ``path``: the note, as the vault names it
    (``Item.note``, ``Change.item.note``), relative to the vault's folder."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


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
        self.context = PlanContext(config, vault, state, targets, Plan())
        """What every step works from (its classes take it too)."""
        self.config = config
        self.progress = progress
        self.vault = vault
        self._note_link = note_linker(config)
        self.state = state
        self.targets = targets
        self.plan = self.context.plan
        self._owners = OwnerResolver(config, self.plan)
        self._checks = ConfigChecks(self.context)
        """What the plan says of the config, as it plans and after."""
        self._bases: dict[tuple[str, str], SyncedRecord] = {}
        self._trial_links: dict[str, int] = {}  # target -> key links to a sandbox, replaced
        self._other_sandbox_keys: dict[str, dict[str, str]] = {}  # see _other_sandbox
        self._links = CrossLinks(self.context, bases=self._bases)
        """Step 4 and 6: each issue's links, to its note line and to its Salesforce record."""
        # Per target, the ids a dead run was creating in this run's backend, and their notes.
        self._journal: dict[str, dict[str, str]] = {
            t.name: {
                block_id: entry.notes.get(block_id, "")
                for entry in state.in_flight(t.name)
                for block_id in entry.block_ids
            }
            for t in targets
        }
        self._identity = Identifier(
            self.context, journal=self._journal, note_link=self._note_link, progress=progress
        )
        """Step 1: the items taking part, with their ids; the notes held back."""
        self._write_backs = WriteBacks(self.context)
        """Step 4, the note's side: what each line gets written back."""
        self._orphans: Orphans
        """Step 5: the records whose line no note has; made by :meth:`build` once it has read
        the notes, whose bytes it looks in."""

    def build(self) -> Plan:
        self._checks.warn_tasks_settings()
        lines, digests, data = self._read_notes()
        self._orphans = Orphans(self.context, note_bytes=data, held_notes=self._identity.held_notes)
        tracked = self._identity.identify(lines)
        for target in self.targets:
            self._plan_target(target, tracked)
        self._owners.warn_unmapped()
        self._checks.warn_idle_rules()
        self._checks.warn_issues_kept()
        self._orphans.find_moved_lines()
        self._checks.check_settings()
        self._links.plan_cross_links(tracked)
        self.plan.summary = {a: sum(c.action == a for c in self.plan.changes) for a in ACTIONS}
        self.plan.notes_read = len(digests)
        # Only the notes the plan stands on: a note with no item and no record (a daily note
        # a plugin keeps writing to) changes nothing a sync would do, and made every reviewed
        # plan stale. Unless a cancel or a line given its id back is planned: each stands on
        # the id being on no line of the vault, any note's (a line pasted since into the daily
        # note would be cancelled by the saved plan, and left alone by a new one). Those ids
        # are named, as apply leaves their changes out once any note changed, and the changes
        # of a note that changed only otherwise.
        vault_wide = self._orphans.cancelled_ids() | {e.block_id for e in tracked if e.readopted}
        relevant = self._identity.synced_notes | {n.path for n in self.vault.notes if n.items}
        if vault_wide:
            relevant = set(digests)
        self.plan.fingerprint = Fingerprint(
            notes={path: digest for path, digest in digests.items() if path in relevant},
            state_revision=self.state.revision(),
            state_id=self.state.identity(),
            sites={t.name: t.site for t in self.targets},
            state_dir=str(self.config.state_dir.resolve()),
            made_for=self.config.described,
            vault_wide=sorted(vault_wide),
        )
        self.plan.add_read(
            [*self.vault.warnings, *(w for n in self.vault.notes for w in n.warnings)]
        )
        self.plan.abandoned_temps = abandoned_temps(self.config.vault_root, self.vault.write_temps)
        return self.plan

    # --- reading --------------------------------------------------------------------------

    def _read_notes(self) -> tuple[dict[str, list[str]], dict[str, str], dict[str, bytes]]:
        """Each note's lines as write-back will see them, its digest, and its bytes.

        The bytes must be the ones the note was parsed from: a note saved between the scan and
        now would pair line numbers with other lines, so it stops the plan instead.
        """
        root = self.config.vault_root
        lines: dict[str, list[str]] = {}
        digests: dict[str, str] = {}
        read: dict[str, bytes] = {}
        for note in self.vault.notes:
            try:
                data = note_file(root, note.path).read_bytes()
            except OSError as exc:  # deleted, renamed or locked since the scan read it
                raise NoteChanged(
                    f"{note.path} could not be read again ({exc.strerror or exc}) after"
                    " plansync scanned it; plan again",
                    path=note.path,
                ) from None
            read[note.path] = data
            digests[note.path] = note_digest(data)
            if note.digest is not None and note.digest != digests[note.path]:
                raise NoteChanged(
                    f"{note.path} changed while plansync read it; plan again", path=note.path
                )
            text = decode_note(data)[0]  # as the scan read it: the keys are read again here
            # One CR: a line that ends in two holds one, as write-back reads it (and refuses it).
            lines[note.path] = [line.removesuffix("\r") for line in text.split("\n")]
        return lines, digests, read

    # --- deciding ---------------------------------------------------------------------------

    def _add(self, entry: Tracked, action: Action, target: Target, **kwargs: Any) -> None:
        self.plan.changes.append(Change(action=action, target=target, item=entry.ref(), **kwargs))

    def _desired(self, target: TargetSpec, entry: Tracked) -> tuple[dict[str, Any], str] | None:
        link = self._note_link(entry.note.path, entry.block_id)
        fields = target.routing.desired(
            self.config,
            Context(entry.item, entry.note, entry.block_id, link, self.config.myself),
            owner=lambda: self._owners.assignee(target, entry),
            jira_key=self._links.jira_key(entry),
        )
        return None if fields is None else (fields, link)

    def _sobject(
        self, target: TargetSpec, entry: Tracked, found: RemoteRecord | None = None
    ) -> str | None:
        """The Salesforce object of the item's record: the one it is (``found``), else the one
        its rule makes."""
        if found is not None and found.sobject:
            return found.sobject
        return target.routing.sobject(self.config, entry.item)

    def _plan_target(self, target: TargetSpec, tracked: list[Tracked]) -> None:
        records = self.state.records(target.name)

        def relevant_now() -> list[Tracked]:
            return [
                t
                for t in tracked
                if target.routes(self.config, t.item) or (t.block_id, target.name) in records
            ]

        relevant = relevant_now()
        # An id drawn by this plan is on no line yet, so no record can carry it: apply writes
        # it into the note before any create (a dead run's id is on its line, or journaled).
        wanted = {label_for(t.block_id) for t in relevant if not t.new_id}
        wanted |= {label_for(block_id) for block_id, _ in records}
        # Ids a dead run was creating: a record made for one whose line is gone since is in
        # no note and no state, and would stay in the backend unknown to every plan.
        journal = self._journal[target.name]
        wanted |= {label_for(block_id) for block_id in journal}
        remote = self._look_up(target, sorted(wanted))
        remote |= self._unsearched(target, records, remote)
        if self._dead_creates(target, tracked, relevant, records, remote):
            relevant = relevant_now()  # a found record's line may still be there, unsynced
        seen: set[str] = set()  # by label: ^Step1 synced is the line now ending ^step1
        step = f"planning for {target.title}"
        for entry in reported(self.progress, step, relevant, ITEMS_AT_ONCE):
            seen.add(label_for(entry.block_id))
            base = records.get((entry.block_id, target.name))
            if base is not None:
                self._bases[entry.block_id, target.name] = base
            self._plan_item(target, entry, base, remote.get(label_for(entry.block_id)))
        seen |= self._identity.held_back
        for (block_id, _), record in sorted(records.items(), key=lambda r: orphan_order(r[1])):
            if label_for(block_id) not in seen:
                self._orphans.orphan(target, record, remote.get(label_for(block_id)))
        if trial := self._trial_links.get(target.name):
            lines = f"{trial} note {'line names' if trial == 1 else 'lines name'}"
            if target.local and target.site is not None:
                whose = (
                    "another sandbox on this machine than this run's,"
                    f" {described(target.title, target.site)}, which"
                )
            else:
                whose = (
                    f"a sandbox on this machine (a trial run): the {target.title} configured now"
                )
            self.plan.warn(
                f"{lines} {target.title} keys of {whose} gets its own records for them (created,"
                " or found by their plansync ids), and the links are replaced"
            )

    def _look_up(self, target: TargetSpec, labels: list[str]) -> dict[str, RemoteRecord]:
        """The records of ``labels`` in the backend, a thousand ids at a time (ten searches in
        Jira, as many as in one call), reporting progress between them: the look-ups of a
        large vault take most of its plan's time, and made a silence that read as a hang."""
        step = f"looking up ids in {target.title}"
        found: dict[str, RemoteRecord] = {}
        for batch in reported_batches(self.progress, step, labels, LOOK_UP_AT_ONCE):
            found |= target.connector.fetch_by_ids(batch)
        return found

    def _unsearched(
        self,
        target: TargetSpec,
        records: dict[tuple[str, str], SyncedRecord],
        remote: dict[str, RemoteRecord],
    ) -> dict[str, RemoteRecord]:
        """The records the state store knows that search did not return, read by key
        (:meth:`~plansync.connectors.base.Connector.fetch_by_keys`): search lags writes by
        seconds (Jira's index), so a plan soon after a sync met every record it made as
        missing, and its hint said to delete the state store, after which the next sync
        would make them all again. Only a record the read by key does not find either is
        missing. No request when search returned them all (every plan but such a one)."""
        unseen = {
            record.key: label_for(block_id)
            for (block_id, _), record in records.items()
            if label_for(block_id) not in remote
        }
        return target.connector.fetch_by_keys(unseen) if unseen else {}

    def _dead_creates(
        self,
        target: TargetSpec,
        tracked: list[Tracked],
        relevant: list[Tracked],
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
        ``sync.orphans`` says. The ids of a note held back (:meth:`Identifier._hold_back`) wait
        for it to be fixed, like its items.
        """
        journal = self._journal[target.name]
        if not journal:  # most plans: no run died mid-create
            return False
        lines = {label_for(t.block_id): t.note.path for t in tracked}
        taken = {label_for(t.block_id) for t in relevant if self._adopts(target, t)}
        taken |= self._identity.held_back | {label_for(block_id) for block_id, _ in records}
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

    def _adopts(self, target: TargetSpec, entry: Tracked) -> bool:
        """Whether a record found for the item's id, unknown to the state, is adopted by
        :meth:`_plan_item` (and so stored by apply): the item is one a rule sends to ``target``,
        accepted or closed. A record found for any other (proposed again, or no rule takes it)
        is only reported there, so the state would never learn it."""
        if not target.routes(self.config, entry.item):
            return False
        return entry.item.accepted or status_category(entry.item, self.config.acceptance) in CLOSED

    def _conflict(
        self,
        target: TargetSpec,
        entry: Tracked,
        key: str,
        message: str,
        fields: dict[str, Any] | None = None,
        *,
        record_missing: bool = False,
        key_unmatched: bool = False,
    ) -> None:
        self._add(
            entry,
            "conflict",
            target.name,
            key=key,
            message=message,
            fields=fields or {},
            record_missing=record_missing,
            key_unmatched=key_unmatched,
        )

    def _plan_item(
        self,
        target: TargetSpec,
        entry: Tracked,
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
        if (
            not entry.item.accepted
            and status_category(entry.item, self.config.acceptance) not in CLOSED
        ):
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
                record_missing=True,
            )
            return
        if base is None and note_key is None and self._anothers(target, entry, found):
            return
        fields, link = desired
        fields = self._checks.date_held(target, entry, fields, found.key)
        kept = self._fields_found(target, entry, base, found, fields)
        if kept is None:
            return
        if base is None:
            self._plan_adopt(target, entry, found, kept, link, note_key)
        else:
            self._plan_tracked(target, entry, base, found, note_key, kept, link)

    def _anothers(self, target: TargetSpec, entry: Tracked, found: RemoteRecord) -> bool:
        """Whether ``found``, a record with the item's id that was never synced from here,
        may be another item's: a conflict, not adopted, when the id was written by hand and
        the line names no key. Another note, or another vault on the same backend, may use
        the same ``^todo1``, and adopting its record would overwrite it with this line. A
        record found for a line that names its key (a lost state store, another clone of the
        vault), for an id plansync drew, or for one a dead run was creating is this item's."""
        block_id = entry.block_id
        if not written_by_hand(block_id) or block_id in self._journal[target.name]:
            return False
        self._conflict(
            target,
            entry,
            found.key,
            f"{found.key} carries {label_for(block_id)}, the label of this line's id"
            f" ^{block_id}, but it was not synced from here and the line names no key: it may"
            " be the item of another note or vault that uses the same id (Obsidian keeps an id"
            f" unique only within its note). Not adopted. Give the line an id of its own; or,"
            f" if {found.key} is this item's record, end the line with its key link"
            f" [{found.key}]({found.url})",
        )
        return True

    def _plan_untracked(
        self,
        target: TargetSpec,
        entry: Tracked,
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
                key_unmatched=True,
            )
        elif desired is not None and entry.item.accepted:
            self._plan_create(target, entry, *desired)

    def _fields_found(
        self,
        target: TargetSpec,
        entry: Tracked,
        base: SyncedRecord | None,
        found: RemoteRecord,
        fields: dict[str, Any],
    ) -> dict[str, Any] | None:
        """The fields to sync to ``found`` (those of its object); None after a conflict: the
        item's id is on another record as well as on the one it was synced to."""
        fields = self._checks.object_kept(target, entry, found, fields)
        self._checks.issue_kept(target, entry, found, fields)
        label = label_for(entry.block_id)
        copied = (
            "a record copied with its external id?"
            if found.sobject
            else "an issue cloned with its labels?"
        )
        if base is not None and base.key != found.key and base.key in found.duplicates:
            self._conflict(
                target,
                entry,
                base.key,
                f"{label} is on {found.key} as well as on {base.key}, this item's record:"
                f" remove it from {found.key} ({copied});"
                " plansync will not guess",
            )
            return None
        if found.duplicates:
            self.plan.warn(
                f"{label} is also on {', '.join(found.duplicates)} ({copied}),"
                f" which plansync leaves alone: remove it there; this item syncs with"
                f" {found.key}",
                entry.note.path,
                entry.item.line,
            )
        return fields

    def _plan_tracked(
        self,
        target: TargetSpec,
        entry: Tracked,
        base: SyncedRecord,
        found: RemoteRecord,
        note_key: str | None,
        fields: dict[str, Any],
        link: str,
    ) -> None:
        """B and R: the key written back where the line lacks it, then each field, the status
        and the link to the note line, three ways."""
        if note_key and note_key != base.key:
            # The change's key is the record it concerns, the synced one (as every change's
            # key is a record's); the line's key, mistyped or another item's, is its value.
            self._conflict(
                target,
                entry,
                base.key,
                f"the line names {note_key}, but this item was synced to {base.key}: put"
                f" [{base.key}]({base.url}) back on the line, or take the link off (sync writes"
                f" {base.key} back); plansync does not move an item to another record",
                # A field conflict's shape, as the README gives it (it was {note, synced}):
                # the key last synced, the line's, and the record's the id finds now.
                {"key": {"base": base.key, "note": note_key, "remote": found.key}},
            )
            return
        self._links.known(target, entry, found.key, found.url)
        if note_key != found.key or entry.new_id or self._write_backs.out_of_order(entry):
            self._write_backs.write_back(target, entry, found.key, note_key)
        kept = self._plan_fields(target, entry, base.fields, found, fields)
        if target.transitions:
            seen = as_synced(base.fields, found)  # a config changed is no move in the backend
            learnt = landed(base.fields, seen)
            if learnt:
                self._refresh(target, entry, learnt, _held_as_done(target, entry, seen, learnt))
            synced = {**base.fields, **(learnt or {})}
            kept += self._plan_status(
                target,
                entry,
                synced.get("status"),
                seen,
                held_as(synced),
                value_kept="status_value" in synced,
            )
        self._say_kept(target, entry, found.key, kept)
        if target.remote_links:
            self._links.plan_link(target, entry, found.key, link)

    def _no_longer_routed(self, target: TargetSpec, entry: Tracked, key: str | None) -> None:
        """Report the record of a line that no rule sends to ``target`` any more (its routing
        tag taken off, say). Unlike an unaccepted item's, no edit of the line but routing it
        again settles it, so ``forget`` takes it; not while the line still links to the
        record, though: once forgotten, that link would be read as the item's text (its label
        in the other system's summary)."""
        linked = key is not None and entry.item.keys.get(target.name) == key
        self._checks.no_longer_routed(target)
        why = f"{key}: no rule sends this item to {target.title} any more"
        if linked and key is not None:
            forget = self.config.caller.command("forget", key)
            idle = [where for where, _ in self._checks.idle_rules(target)]
            why += ", and its line still links to it; left alone: "
            if idle:
                # A rule's typo orphans every item it took: taking their links off would lose
                # them all, for one word of the config.
                why += (
                    f"most likely the rules changed ({' and '.join(idle)} match"
                    f"{'es' if len(idle) == 1 else ''} no item of the vault, as the plan warns),"
                    f" and the item syncs on once a rule takes it again. If it left"
                    f" {target.title} on purpose, take the link off the line, then `{forget}`"
                    " stops this report"
                )
            else:
                why += f"take the link off the line, then `{forget}` stops this report"
        else:
            why += "; left alone"
        self._add(entry, "orphan", target.name, key=key, message=why, no_longer_routed=not linked)

    def _note_key(self, target: TargetSpec, entry: Tracked) -> str | None:
        """The key the note line names for ``target``; none when the link is a trial run's
        (it points at this machine, and ``target`` is a real backend) or another sandbox's:
        at another port (:func:`trial_targets`), or the key of the item's record of another
        sandbox, whose link names the same port (the embedded sandbox's links name 8990,
        where ``plansync sandbox serve`` serves by default)."""
        key = entry.item.keys.get(target.name)
        if key is not None and (
            target.name in trial_targets(self.targets, entry.original)
            or (
                # A record of this run's backend is the only one the store keeps of the item.
                (entry.block_id, target.name) not in self._bases
                and self._other_sandbox(target).get(entry.block_id) == key
            )
        ):
            self._trial_links[target.name] = self._trial_links.get(target.name, 0) + 1
            return None
        return key

    def _other_sandbox(self, target: TargetSpec) -> dict[str, str]:
        """For a sandbox target, each block id's key in another sandbox on this machine, as the
        state store holds it (hidden from this run, see :meth:`StateStore.bind`)."""
        if target.name not in self._other_sandbox_keys:
            self._other_sandbox_keys[target.name] = (
                {
                    record.block_id: record.key
                    for record in self.state.elsewhere(target.name)
                    if on_this_machine(record.url)
                }
                if target.local
                else {}
            )
        return self._other_sandbox_keys[target.name]

    def _plan_create(
        self, target: TargetSpec, entry: Tracked, fields: dict[str, Any], link: str
    ) -> None:
        sobject = self._sobject(target, entry)
        why = target.connector.destination_problem(NewRecord(entry.block_id, fields, sobject))
        if why:
            where = target.routing.rule_key(self.config, entry.item)
            raise ConfigError(
                f"{self.config.where}: {where}: {why}", source=self.config.source, key=where
            )
        if not self._write_backs.write_back(target, entry, None, None) and entry.new_id:
            return  # its id cannot go into the line, and it goes there before the record
        self._links.known(target, entry, KNOWN_AFTER_CREATE, KNOWN_AFTER_CREATE)
        self._checks.date_held(target, entry, fields, None)
        self._add(entry, "create", target.name, fields=fields, sobject=sobject)
        if target.remote_links:
            self._add(
                entry,
                "link",
                target.name,
                fields={"url": link, "title": self._links.link_title(entry)},
            )
        category = self._wanted_status(target, entry)
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
        entry: Tracked,
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
        self._links.known(target, entry, found.key, found.url)
        base = adopted_base(found)
        self._write_backs.write_back(target, entry, found.key, note_key, base=base, url=found.url)
        self._plan_fields(target, entry, {}, found, fields, adopt=True)  # keeps nothing
        if target.transitions:
            self._plan_status(target, entry, None, found)
        if target.remote_links:
            self._links.plan_link(target, entry, found.key, link)

    def _plan_fields(
        self,
        target: TargetSpec,
        entry: Tracked,
        base: dict[str, Any],
        found: RemoteRecord,
        note: dict[str, Any],
        *,
        adopt: bool = False,
    ) -> list[Kept]:
        """Plan ``found``'s fields three ways against the ``base`` and the ``note``
        (:func:`diff_fields`); those whose backend value stands (none when adopting)."""
        diff = diff_fields(
            note,
            base,
            found.fields,
            immutable=target.immutable,
            winners=self.config.sync.conflicts,
            adopt=adopt,
        )
        if diff.updates:
            self._add(
                entry,
                "update",
                target.name,
                key=found.key,
                fields=diff.updates,
                sobject=self._sobject(target, entry, found),
                base={"labels": note["labels"]} if "labels" in diff.updates else None,
            )
        if diff.converged:
            self._refresh(target, entry, diff.converged)
        if diff.conflicts:
            self._conflict(
                target,
                entry,
                found.key,
                f"changed in the note and in {target.title} since the last sync: "
                + "; ".join(
                    f"{name}: note {field_value(v['base'])} -> {field_value(v['note'])},"
                    f" {target.title} {field_value(v['base'])} -> {field_value(v['remote'])}"
                    for name, v in diff.conflicts.items()
                ),
                fields=diff.conflicts,
            )
        return diff.kept

    def _say_kept(self, target: TargetSpec, entry: Tracked, key: str, kept: list[Kept]) -> None:
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
            self.plan.kept_records.append(
                KeptRecord(
                    target=target.name,
                    key=key,
                    item=entry.ref(),
                    fields=[field.name for field in kept],
                    overruled=[field.name for field in kept if field.overruled],
                )
            )

    def _plan_status(
        self,
        target: TargetSpec,
        entry: Tracked,
        last: str | None,
        found: RemoteRecord,
        held: ClosedAs | None = None,
        *,
        value_kept: bool = True,
    ) -> list[Kept]:
        """Move the record where the checkbox says, three ways (:func:`diff_status`; ``held``:
        how the backend held it at the last sync, where not as ``last`` says); what is kept as
        the fields' are: the status, where the backend moved the record and its word stands.

        A base that keeps no status value (``value_kept`` False: one from before plansync kept
        it, or a create's, which sends none) learns the record's (:func:`as_synced`) once the
        record is found where the base says, nothing else to plan of its status."""
        wanted = self._wanted_status(target, entry)
        winner = self.config.sync.conflicts.get("status")
        diff = diff_status(wanted, last, found, winner, progress=target.progress, held=held)
        quiet = not (diff.refresh or diff.conflict or diff.transition or diff.kept)
        if quiet and not value_kept and last is not None and found.status_value is not None:
            self._refresh(target, entry, {"status_value": found.status_value})
        if diff.refresh:
            self._refresh(target, entry, diff.refresh)
        if diff.conflict:
            last, note, now = (
                status_word(diff.conflict[side]) for side in ("base", "note", "remote")
            )
            if found.status_unnamed:  # the record's own value, as its transition would say it
                now = unnamed_status(diff.conflict["remote"])
            was = status_word(diff.conflict.get("remote_base", diff.conflict["base"]))
            self._conflict(
                target,
                entry,
                found.key,
                f"status changed in the note and in {target.title} since the last sync: note"
                f" {last} -> {note}, {target.title} {was} -> {now} ([sync.conflicts]"
                ' status = "note" or "remote" settles it)',
                fields={"status": diff.conflict},
            )
        if diff.transition:
            self._add(
                entry,
                "transition",
                target.name,
                key=found.key,
                fields={"status": diff.transition},
                sobject=self._sobject(target, entry, found),
            )
        return diff.kept

    def _wanted_status(self, target: TargetSpec, entry: Tracked) -> str:
        """The status the item's checkbox asks of a record in ``target``: ``[/]`` is in
        progress only where the target moves records there (:attr:`TargetSpec.progress`)."""
        category = status_category(entry.item, self.config.acceptance)
        return category if target.progress else open_as_new(category)

    def _refresh(
        self,
        target: TargetSpec,
        entry: Tracked,
        fields: dict[str, Any],
        warning: str | None = None,
    ) -> None:
        self.plan.refresh.append(
            BaseRefresh(block_id=entry.block_id, target=target.name, fields=fields, warning=warning)
        )


def _held_as_done(
    target: TargetSpec, entry: Tracked, found: RemoteRecord, learnt: dict[str, Any]
) -> str | None:
    """The warning a cancel the backend carried out as done gives (a Jira workflow with no
    cancelled status), for one whose answer was lost and which this plan found landed
    (``learnt``, see :func:`landed`): the run that sent it failed the item, saying no more
    than that it may be done, so the sync that stores what this plan learnt says it, once, as
    the answer would have. None for any other landing."""
    if learnt.get("closed_as") != "done":
        return None
    name = found.fields.get("status")
    closed = f"closed as {name!r}" if name else "closed as done"
    return (
        f"{entry.note.path}:{entry.item.line}: {found.key} {closed} (the answer to its cancel"
        f" never reached the state store; found so since): {target.title} took it into no"
        " cancelled status, so it reads as done; taken as synced until the line or the record"
        " changes"
    )
