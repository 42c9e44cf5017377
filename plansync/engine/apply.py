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
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from typing import Any, Literal, TypeVar

from plansync.callers import Rerun
from plansync.config import BACKEND_TITLES, Config
from plansync.connectors.base import (
    ClosedAs,
    Connector,
    ConnectorError,
    FieldUpdate,
    Link,
    NewRecord,
    OpResult,
    RemoteRecord,
    StatusMove,
)
from plansync.connectors.http import chunks
from plansync.display import counted, first_few, toml_string
from plansync.engine.changes import (
    KNOWN_AFTER_CREATE,
    SHOWN_ONLY,
    Change,
    DeadCreate,
    Fingerprint,
    Plan,
)
from plansync.engine.diff import adopted_base, learnt_status, same_value
from plansync.engine.result import ItemError, Outcome, Result
from plansync.engine.state import StateStore, SyncedRecord
from plansync.errors import PlansyncError
from plansync.notes.model import note_digest
from plansync.notes.vault import note_file
from plansync.notes.writeback import (
    KnownItems,
    LineEdit,
    WriteBackError,
    ends_a_line,
    remove_abandoned_temps,
    write_back,
)
from plansync.progress import Progress, reported, silent
from plansync.rules import CLOSED, IN_PROGRESS, label_for
from plansync.sites import described, same_site, site_of_connector

NOTES_AT_ONCE = 100
"""Notes written between two reports to a sync's progress: each is read, edited, written to a
temporary file, flushed to disk and renamed, and 2,000 of them took seconds in silence."""

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
_T = TypeVar("_T")
_Sent = TypeVar("_Sent", bound=tuple[Any, ...])
"""A change of a batch call, first, with what was sent for it."""


class StalePlan(PlansyncError):
    """The plan cannot be applied any more: the state store changed since it was made (a sync
    ran, or it was replaced), it was made with another config, site or backend, or none of its
    notes is here. A note changed since is no refusal: its changes are left out of the sync
    (``Outcome.note_changed``), and the rest applied; but for a plan saved before plansync
    said which changes stand on every note (:attr:`Fingerprint.vault_wide`).

    Every message ends with the remedy, whatever made the plan stale: it is always a new plan,
    and "plan again" alone left the user to guess how, which without the ``--config`` they gave
    finds no config or another one. The remedy is the caller's to say, as only it knows how the
    plan came to be (a file ``sync`` was given, a plan a program kept in memory): the config's
    :attr:`~plansync.config.Config.caller` says it (:meth:`plansync.callers.Caller.remedy`),
    and ``rerun`` which kind of remedy it is, for a tool."""

    def __init__(self, reason: str, *, rerun: Rerun, remedy: str) -> None:
        self.reason = reason
        self.rerun: Rerun = rerun
        super().__init__(f"{reason}; {remedy}")


def _nothing(_: str) -> None:
    return None


BACKENDS = ("jira", "salesforce")
_LOOKUP_WAITS = (1.0, 2.0, 4.0)
"""Seconds to wait before each new look-up of ids a dead run was creating: search may lag a
create by a few seconds."""
_NEXT_PLAN_SHOWS = "the next plan shows whether it was done"
"""What becomes of an update, link or transition that failed where the backend may have carried
it out all the same: it is planned again unless the backend shows it done."""


def _failed_with_call(title: str, exc: ConnectorError, made_nothing: bool, action: str) -> str:
    """What became of one change (its ``action``) of a call that failed as a whole (``exc``),
    in its outcome: not done, or sent with no answer that says whether it was. A create is
    never made twice (the next sync looks its id up before creating); an update, link or
    transition is planned again by the next plan unless the backend shows it done."""
    create = action == "create"
    if made_nothing:
        if exc.unsent:
            return f"not sent: no connection to {title} could be made (see the errors)"
        if exc.read_only:
            return f"not sent: {title} failed the call before it was sent (see the errors)"
        done = "made" if create else "done"
        return f"not {done}: {title} refused the call that carried it (see the errors)"
    after = "the next sync finds it by its id" if create else _NEXT_PLAN_SHOWS
    if exc.acted:  # the call's earlier requests were carried out: this one's may have been
        made = "if it was made, " if create else ""
        return f"maybe sent: {title} failed the call part way through — {made}{after}"
    if exc.kind == "network":
        return f"sent; the answer was lost — {after}"
    answer = (
        f"{title} answered {exc.status}"
        if exc.status is not None and exc.kind != "unexpected"
        else f"{title}'s answer could not be read"
    )
    made = "if it was made all the same, " if create else ""
    return f"sent; {answer} — {made}{after}"


def _refusal(target: str, outcome: OpResult) -> str:
    """Why ``target`` did not create a record, by its answer (``outcome``, a failure)."""
    return outcome.error or f"{target} did not create the record"


def _carried(exc: ConnectorError, count: int) -> Iterator[tuple[int, OpResult | None]]:
    """Of the ``count`` items of a call that failed as a whole (``exc``), those it sent: each
    one's position, with its answer where the call was answered for it before it failed, else
    None (it failed with the call). Those it never sent are left out: not attempted."""
    for index in range(count):
        answered = exc.finished[index] if index < len(exc.finished) else None
        if answered is not None or index not in exc.never_sent:
            yield index, answered


class Applier:
    def __init__(
        self,
        config: Config,
        state: StateStore,
        connectors: dict[str, Connector],
        *,
        checkpoint: Checkpoint = _nothing,
        progress: Progress = silent,
        fresh: bool = False,
        planned_here: bool = False,
    ):
        self.config = config
        self.state = state
        self.connectors = connectors
        self.checkpoint = checkpoint
        self.progress = progress
        self.fresh = fresh
        """Whether the plan was made in this run, under its lock, just now (not a saved one)."""
        self.planned_here = planned_here
        """Whether the plan was made in this run, if maybe a while ago (while its confirmation
        was asked): a refusal of it is remedied by syncing again, not by a new plan."""
        self.result = Result()
        self.keys: dict[tuple[str, str], tuple[str, str]] = {}  # (block id, target) -> key, url
        self.failed: set[tuple[str, str]] = set()  # (block id, target); target "note": all
        self.down: set[str] = set()  # targets whose backend failed a whole call
        self._outcomes: dict[int, Outcome] = {}  # id(change) -> what became of it
        self._id_writes: dict[str, list[Change]] = defaultdict(list)  # block id -> write-backs
        self._written: dict[str, None] = {}  # the notes changed on disk, in order
        self._ids_in: set[int] = set()  # id(write-back) whose block id is in its written note
        self._items: dict[str, KnownItems] = {}  # note -> items known of its bytes, unparsed
        self._waiting: dict[int, str] = {}  # id(change) -> why it waits for the next sync

    # --- entry point ----------------------------------------------------------------------

    def run(self, plan: Plan) -> Result:
        now = self._check_fresh(plan)
        before = self._requests()
        by_action: dict[str, list[Change]] = defaultdict(list)
        for change in self._leave_out_changed(plan, now):
            by_action[change.action].append(change)
        for refresh in plan.refresh:
            record = self.state.get(refresh.block_id, refresh.target)
            if record is not None:
                self.state.save(replace(record, fields={**record.fields, **refresh.fields}))
                if refresh.warning:  # stored now: no later plan learns it again
                    self.result.warn(refresh.warning)
        self._recover(plan.dead_creates)
        for change in by_action["write_back"]:
            self._id_writes[change.item.block_id or ""].append(change)
        self._items = self._planned_items(plan, by_action["write_back"])
        self._write_ids(by_action["write_back"])
        self.checkpoint("ids_written")
        for target in BACKENDS:  # Jira first: Salesforce records carry the Jira key
            self._remote(
                target, self._create, [c for c in by_action["create"] if c.target == target]
            )
        self._write_keys(by_action["write_back"])
        for target in BACKENDS:
            dead = [d for d in plan.dead_creates if d.target == target]
            self._whole_call(target, "lookup", partial(self._settle_journal, target, dead))
        self.checkpoint("keys_written")
        self._remote("jira", self._links, by_action["link"])
        self.checkpoint("links")
        for target in BACKENDS:
            self._remote(
                target, self._updates, [c for c in by_action["update"] if c.target == target]
            )
        self.checkpoint("updates")
        for target in BACKENDS:
            changes = [c for c in by_action["transition"] if c.target == target]
            self._remote(target, self._transitions, changes)
        self.checkpoint("transitions")
        # Last: nothing depends on it, and a run that gets here returns what it removed.
        self.result.removed_temps, warnings = remove_abandoned_temps(
            self.config.vault_root, plan.abandoned_temps
        )
        for warning in warnings:
            self.result.warn(warning)
        self.result.requests = self._requests() - before
        self.result.outcomes = [self._outcome_of(change) for change in plan.changes]
        self.result.notes_written = list(self._written)
        for name, connector in self.connectors.items():
            usage = connector.api_usage()
            if usage:
                self.result.api_usage[name] = usage
        return self.result

    def _remote(
        self, target: str, phase: Callable[[str, list[Change]], None], changes: list[Change]
    ) -> None:
        """Run one phase against one backend. A whole-call failure (auth, network, 5xx past the
        retries) is reported once and skips that backend's later phases; the notes still get
        the keys of what was created, and the other backend goes on."""
        if changes:  # one action a phase: creates, links, updates or transitions
            self._whole_call(target, changes[0].action, lambda: phase(target, changes))

    def _whole_call(self, target: str, action: str, step: Callable[[], None]) -> None:
        """Run ``step`` (``action``) against ``target``'s backend unless a whole call of it
        failed already; a failure of its own is reported once, as that step's of that
        backend, and skips the backend's later steps."""
        if target not in self.connectors or target in self.down:
            return
        try:
            step()
        except ConnectorError as exc:
            self.down.add(target)
            self.result.errors.append(
                ItemError(
                    note=None,
                    line=None,
                    block_id=None,
                    action=action,
                    message=str(exc),
                    kind=exc.kind,
                    status=exc.status,
                    retry_after=exc.retry_after,
                    target=target,
                )
            )

    def _requests(self) -> int:
        return sum(c.request_count() for c in self.connectors.values())

    def _check_fresh(self, plan: Plan) -> dict[str, str]:
        """Refuse a plan the state moved on from, and one that cannot say; return the digest
        of each of its notes now, for :meth:`_leave_out_changed`.

        Every plan the planner makes carries a fingerprint; one without is not a plan made to
        be applied (``plan --json`` leaves out the fingerprint and the write-back data), and
        applying it would create records whose ids never reach the notes: the next sync would
        then create them all again. A refusal is for what no part of the plan can be applied
        after: the state store's bases and keys are not what the plan saw (a sync ran since, or
        it was replaced), or the plan is another config's, site's or backend's, or none of its
        notes is here (another vault). A note changed since is not: it is its own changes'
        matter, left out while the rest are applied.
        """
        if plan.fingerprint is None:
            raise self._stale(
                "the plan says nothing of the notes and state it was made from, so it cannot"
                f" be checked or written back ({self.config.caller.plans_to_apply})"
            )
        now = note_digests(self.config, list(plan.fingerprint.notes))
        none_here = bool(now) and not any(now.values())
        made_with = plan.fingerprint.state_id
        if self._made_elsewhere(plan.fingerprint, none_here):
            raise self._stale(
                f"the plan was made for another config: {plan.fingerprint.made_for}, not"
                f" {self.config.described}"
            )
        if none_here and (made_with is None or made_with != self.state.identity()):
            # Not one of its notes is here: its only note renamed or deleted since, or a plan
            # saved before plans named their config applied with another config, which
            # nothing here tells apart unless the plan was made with this state store (then
            # this config's: said below, as for any note gone).
            raise self._stale(
                f"the plan is stale: none of the notes it was made from"
                f" ({first_few(sorted(now), 5)}) is in {self.config.vault_root}: renamed, moved"
                " or deleted since, or made with another config or vault"
            )
        if made_with is not None and made_with != self.state.identity():
            raise self._stale(
                f"the plan is stale: the state store {self.state.directory / 'state.db'} was"
                " deleted or replaced since it was made"
            )
        if self.state.revision() != plan.fingerprint.state_revision:
            # Before the notes: a sync that ran since (this plan's own, applied twice, or a
            # teammate's) changed them too, and "a.md changed" would blame an edit.
            raise self._stale(
                "the plan is stale: a sync (or a forget) ran since it was made (this plan's"
                " own, if it was applied already)"
            )
        differ = [path for path, digest in now.items() if digest != plan.fingerprint.notes[path]]
        if differ and plan.fingerprint.vault_wide is None:
            # Saved before plans named the changes that stand on every note: which of them a
            # changed note undoes is not known. A note gone is said so: "e.md (gone) changed"
            # read as an edit of a note that was not there to edit.
            changed = [path for path in differ if now[path]]
            gone = [path for path in differ if not now[path]]
            what = [f"{_five(changed)} changed"] if changed else []
            if gone:
                was = "was" if len(gone) == 1 else "were"
                what.append(f"{_five(gone)} {was} deleted or renamed")
            raise self._stale(f"the plan is stale: {' and '.join(what)} since it was made")
        gone = sorted(
            {
                change.target
                for change in plan.changes
                if change.target not in ("note", *self.connectors)
                and change.action not in SHOWN_ONLY
            }
        )
        if gone:
            # Checked before anything is written: the other backend's creates and the ids in
            # the notes would go ahead, then the run would stop at the first of these.
            titles = " and ".join(BACKEND_TITLES.get(name, name) for name in gone)
            raise self._stale(
                f"the plan has changes for {titles}, which this run's config does not name any more"
            )
        for name, site in plan.fingerprint.sites.items():
            site_now = site_of_connector(self.connectors.get(name))
            if site is not None and site_now is not None and not same_site(site, site_now):
                title = BACKEND_TITLES.get(name, name)
                raise self._stale(
                    f"the plan was made against {described(title, site)}, but this run uses"
                    f" {described(title, site_now)}"
                )
        return now

    def _leave_out_changed(self, plan: Plan, now: dict[str, str]) -> list[Change]:
        """The changes of ``plan`` to carry out: all but those of the items of a note that
        changed, or was deleted or renamed, since the plan was made (``now``: each note's
        digest now), and, once any note did, those of the items that stand on their id being on
        no line of any note (:attr:`Fingerprint.vault_wide`). Each left out is skipped
        (``Outcome.note_changed``), and a warning names its note.

        Planning a large vault takes its time, and a vault being written to (an editor's
        autosave, a transcription pipeline) always has a note that changed meanwhile: refusing
        the whole plan for it, a cron sync might never finish. A note's changes are planned from
        its text alone, so the other notes' stand: they are applied as they would be had the
        edit come while they were (which write-back merges). An item's changes go together: a
        link, status move, Salesforce record or key write-back follows its create or its Jira
        issue, so all of them are left out with the note's. The next sync plans them from the
        note's text then. ``refresh`` is not left out: it is what the note and the backend
        agreed on when the plan read them, the base any later edit is taken from.
        """
        assert plan.fingerprint is not None
        changed = sorted(
            path for path, digest in now.items() if digest != plan.fingerprint.notes[path]
        )
        if not changed:
            return plan.changes
        vault_wide = set(plan.fingerprint.vault_wide or ())
        gone = {path for path in changed if not now[path]}

        def waits_for(change: Change) -> str | None:
            """Why ``change`` waits for the next sync, on its own; None: it need not."""
            note, block_id = change.item.note, change.item.block_id
            if change.action in SHOWN_ONLY:
                return None
            if note in changed:
                return f"its note {'was deleted or renamed' if note in gone else 'changed'} since"
            if block_id in vault_wide:
                return (
                    f"it stands on ^{block_id} being on no other line of the vault, and"
                    f" {first_few(changed, 3)} changed since"
                )
            return None

        # By item: one of its changes waiting, they all do (each follows its create).
        by_item: dict[str, str] = {}
        for change in plan.changes:
            if change.item.block_id and (reason := waits_for(change)):
                by_item.setdefault(change.item.block_id, reason)
        kept: list[Change] = []
        waits: set[str] = set()  # the notes of the changes left out
        aside: dict[str, Change] = {}  # block id -> a change left out as it stands on every note
        for change in plan.changes:
            block_id = change.item.block_id
            reason = by_item.get(block_id) if block_id else waits_for(change)
            if change.action in SHOWN_ONLY or reason is None:
                kept.append(change)
                continue
            self._waiting[id(change)] = (
                f"not done: {reason} the plan was made; the next sync does it"
            )
            if change.item.note in changed:
                waits.add(change.item.note)
            elif block_id:
                aside.setdefault(block_id, change)
        self._warn_left_out(sorted(waits - gone), "changed")
        self._warn_left_out(sorted(waits & gone), "deleted or renamed")
        if aside:
            named = [_named(change) for change in aside.values()]
            one = len(named) == 1
            self.result.warn(
                f"{counted(len(named), 'item')} ({first_few(named, 5)}) {'is' if one else 'are'}"
                " left for the next sync: a cancel of a deleted line's record, or a line given"
                " back its id, stands on the id being on no other line of the vault, and"
                f" {first_few(changed, 5)} changed since the plan was made"
            )
        return kept

    def _warn_left_out(self, notes: list[str], went: str) -> None:
        """The warning that names the ``notes`` whose changes were left out, as each ``went``
        ("changed", "deleted or renamed") since the plan was made: a line, not the vault."""
        if not notes:
            return
        if len(notes) == 1:
            was = "" if went == "changed" else "was "
            self.result.warn(
                f"{notes[0]} {was}{went} since the plan was made; its changes are left for the"
                " next sync"
            )
            return
        were = "" if went == "changed" else "were "
        self.result.warn(
            f"{len(notes)} notes {were}{went} since the plan was made; their changes are left"
            f" for the next sync: {first_few(notes, 5)}"
        )

    def _made_elsewhere(self, fingerprint: Fingerprint, none_here: bool) -> bool:
        """Whether a plan was made with another config (``sync --config B plan-of-A.json``,
        ``apply(B, plan(A))``): its state folder is not this config's, and there is evidence
        that the config is another, not this one moved (another checkout, another machine: the
        same vault and state store at another path, whose plan applies, or is stale for what
        changed since). The evidence is the store: the plan's is not this one (another
        identity, or none here). A plan made before its store had an identity (no sync yet)
        has only its notes to tell by: none of them is here."""
        if fingerprint.state_dir in (None, str(self.config.state_dir.resolve())):
            return False
        if fingerprint.state_id is None:
            return none_here
        return fingerprint.state_id != self.state.identity()

    def _stale(self, reason: str) -> StalePlan:
        """The refusal of a stale plan, ending with the caller's remedy for the run's own plan
        (``sync``) or for one it was given (``plan``). The one place every refusal gets it, so
        that none is left saying only "plan again"."""
        rerun: Rerun = "sync" if self.planned_here else "plan"
        return StalePlan(reason, rerun=rerun, remedy=self.config.caller.remedy(rerun))

    # --- bookkeeping ------------------------------------------------------------------------

    def _count(self, action: str, n: int = 1) -> None:
        self.result.applied[action] = self.result.applied.get(action, 0) + n

    def _done(
        self,
        change: Change,
        key: str | None = None,
        message: str | None = None,
        *,
        closed_as: ClosedAs | None = None,
    ) -> None:
        """Count ``change`` as applied (a failure recorded for it before stands)."""
        self._count(change.action)
        if id(change) not in self._outcomes:
            outcome = self._outcome(change, "applied", key, message, closed_as=closed_as)
            self._outcomes[id(change)] = outcome

    def _outcome(
        self,
        change: Change,
        status: Literal["applied", "failed", "skipped"],
        key: str | None,
        message: str | None,
        *,
        changed_since_plan: bool = False,
        whole_call: bool = False,
        maybe_done: bool = False,
        closed_as: ClosedAs | None = None,
        create_left_out: bool = False,
        note_changed: bool = False,
    ) -> Outcome:
        return Outcome(
            action=change.action,
            target=change.target,
            item=change.item,
            key=key or self._record_key(change),
            status=status,
            message=message,
            changed_since_plan=changed_since_plan,
            whole_call=whole_call,
            maybe_done=maybe_done,
            closed_as=closed_as,
            create_left_out=create_left_out,
            note_changed=note_changed,
        )

    def _outcome_of(self, change: Change) -> Outcome:
        """The recorded outcome of ``change``, or why it was not attempted."""
        if id(change) in self._outcomes:
            return self._outcomes[id(change)]
        if id(change) in self._waiting:
            why = self._waiting[id(change)]
            return self._outcome(change, "skipped", None, why, note_changed=True)
        left_out = False
        if change.action in SHOWN_ONLY:
            what = "an orphan" if change.action == "orphan" else "a conflict"
            why = f"{what} is shown, never acted on"
        elif (backend := _backend_of(change)) in self.down:
            why = (
                f"not sent: {BACKEND_TITLES.get(backend, backend)} failed a whole call in this"
                " run (see the errors)"
            )
        elif self._blocked(change) or any(
            (change.item.block_id or "", target) in self.failed for target in BACKENDS
        ):
            why = "not done: an earlier step of this item failed (see the errors)"
        else:  # the key it needs comes from a create, neither failed nor in the plan
            left_out = True
            why = (
                "not done: the create it follows is not in the plan"
                f" ({self.config.caller.remedy('sync')})"
            )
        if id(change) in self._ids_in:
            why += f"; the line has its block id ^{change.item.block_id} now, not yet the key"
        return self._outcome(change, "skipped", None, why, create_left_out=left_out)

    def _blocked(self, change: Change, target: str | None = None) -> bool:
        block_id = change.item.block_id or ""
        return (block_id, "note") in self.failed or (
            block_id,
            target or change.target,
        ) in self.failed

    def _fail(
        self,
        change: Change,
        message: str,
        target: str | None = None,
        *,
        whole_call: bool = False,
        maybe_done: bool = False,
    ) -> None:
        """Record ``change`` as failed, and its error; ``whole_call``: it failed with the call
        that carried it, whose error ``Result.errors`` holds once, not once an item."""
        if change.item.block_id:
            self.failed.add((change.item.block_id, target or change.target))
        outcome = self._outcome(
            change, "failed", None, message, whole_call=whole_call, maybe_done=maybe_done
        )
        self._outcomes.setdefault(id(change), outcome)
        if whole_call:
            return
        self.result.errors.append(
            ItemError(
                note=change.item.note,
                line=change.item.line or None,  # an orphan's: its line is gone
                block_id=change.item.block_id,
                action=change.action if change.target != "note" else "write back",
                key=self._record_key(change),
                message=message,
                target=None if change.target == "note" else target or change.target,
            )
        )

    def _batches(self, step: str, items: list[_T], size: int) -> Iterator[list[_T]]:
        """``items``, ``size`` at a time, with progress reported before each batch and at the end.

        Every phase reports, not only creates: a first sync of a thousand items spends most of
        its time on remote links (one request each), and a long silence reads as a hang.
        """
        done = 0
        for batch in chunks(items, size):
            self.progress(step, done, len(items))
            yield batch
            done += len(batch)
        if items:
            self.progress(step, len(items), len(items))

    def _batch_size(self, target: str) -> int:
        return self.connectors[target].max_batch or self.config.sync.batch_size

    def _base(self, block_id: str, target: str) -> SyncedRecord | None:
        return self.state.get(block_id, target)

    def _store(
        self, change: Change, target: str, key: str, url: str, fields: dict[str, Any]
    ) -> None:
        assert change.item.block_id
        self._save(change.item.block_id, change.item.note, target, key, url, fields)

    def _save(
        self, block_id: str, note: str, target: str, key: str, url: str, fields: dict[str, Any]
    ) -> None:
        self.state.save(
            SyncedRecord(
                block_id=block_id, target=target, key=key, url=url, note_path=note, fields=fields
            )
        )

    def _merge_base(
        self, change: Change, updates: dict[str, Any], target: str | None = None
    ) -> None:
        assert change.item.block_id
        target = target or change.target
        record = self._base(change.item.block_id, target)
        if record is None:
            return
        self._store(change, target, record.key, record.url, {**record.fields, **updates})

    def _known_key_url(self, block_id: str, target: str) -> tuple[str, str] | None:
        known = self.keys.get((block_id, target))
        if known:
            return known
        record = self._base(block_id, target)
        return (record.key, record.url) if record else None

    # --- notes ------------------------------------------------------------------------------

    def _edit_notes(self, changes: list[Change], with_keys: bool) -> None:
        per_note: dict[str, list[tuple[Change, LineEdit]]] = defaultdict(list)
        keys: dict[int, str] = {}  # per change, the key its line gets or has
        for change in changes:
            line = change.line_change
            block_id = change.item.block_id
            target = line.key_target if line else None
            if line is None or block_id is None or target is None:
                continue
            if (block_id, "note") in self.failed:
                continue
            links: dict[str, tuple[str, str]] = {}
            if with_keys:
                if (block_id, target) in self.failed:
                    continue
                key_url = self._known_key_url(block_id, target) or self._adopted(change, target)
                if key_url is None:
                    continue
                keys[id(change)] = key_url[0]
                if target in change.fields:
                    links[target] = key_url
                # Else the plan found the line naming its key already ("only the state store
                # learns it"), and its link stays as written: a store rebuilt from the labels
                # has the URL the backend gives now, which may spell the site another way
                # (localhost for 127.0.0.1), no reason to rewrite every line.
            edit = LineEdit(
                line=change.item.line,
                original=line.original,
                block_id=block_id,
                links=links,
                replace_block_id=line.replace_block_id,
                drop_links=tuple(line.drop_links) if not with_keys else (),
                keys=line.keys,
            )
            per_note[change.item.note].append((change, edit))
        root = self.config.vault_root
        step = f"writing {'keys' if with_keys else 'ids'} into notes"
        for note, pairs in reported(self.progress, step, list(per_note.items()), NOTES_AT_ONCE):
            try:
                result = write_back(
                    note_file(root, note),
                    root,
                    [edit for _, edit in pairs],
                    policy=self.config.acceptance,
                    known=self._items.get(note),
                )
            except WriteBackError as exc:  # its error names the note (and line) already
                for change, _ in pairs:
                    self._fail(change, exc.reason)
                continue
            self._items[note] = result.items
            if result.changed:
                self._written[note] = None
            missing = {id(e) for e in result.missing}
            for change, edit in pairs:
                if id(edit) in missing:
                    self._fail(
                        change,
                        "the line changed or moved in the note;"
                        f" {self.config.caller.remedy('sync')}",
                    )
                elif with_keys:
                    self._done(change, keys[id(change)])
                elif result.changed:
                    self._ids_in.add(id(change))

    def _adopted(self, change: Change, target: str) -> tuple[str, str] | None:
        """A record found by id but unknown to the state: stored now, its fields as the base."""
        if change.key and change.base is not None:
            url = change.url or ""
            self._store(change, target, change.key, url, change.base)
            return change.key, url
        return None

    def _planned_items(self, plan: Plan, writes: list[Change]) -> dict[str, KnownItems]:
        """Per note, the lines the plan writes back to, which its parse read as items of the
        bytes it was made from: what write-back need not parse the note again to learn while
        the note holds those bytes. Only of a plan made in this run, with this config: a saved
        one may have been made under another acceptance (a global filter since added)."""
        if not self.planned_here or plan.fingerprint is None:
            return {}
        lines: dict[str, set[int]] = defaultdict(set)
        for change in writes:
            if change.item.line > 0:
                lines[change.item.note].add(change.item.line)
        digests = plan.fingerprint.notes
        return {
            note: KnownItems(digests[note], frozenset(numbers))
            for note, numbers in lines.items()
            if note in digests
        }

    def _write_ids(self, changes: list[Change]) -> None:
        self._edit_notes(changes, with_keys=False)

    def _write_keys(self, changes: list[Change]) -> None:
        self._edit_notes(changes, with_keys=True)

    # --- creates ----------------------------------------------------------------------------

    def _create(self, target: str, changes: list[Change]) -> None:
        todo = [c for c in changes if not self._blocked(c)]
        for batch in self._batches(f"create in {target}", todo, self._batch_size(target)):
            self._create_batch(target, batch)

    def _ids_on_disk(self, changes: list[Change]) -> list[Change]:
        """The creates whose block id ends a line of their note now; each other one fails.

        The protocol's first step, checked rather than assumed: a record must never exist for
        an id that is not on disk, or the next sync gives the item a new id and creates it
        again. An id written by this run and gone since (an editor saved its own copy of the
        note over it) is written again where its line is still as planned. A plan's
        write-back of the id can also be missing (a caller that applies only the changes
        someone approved, and left it out); nothing is created then.
        """
        absent = self._absent(changes)
        again = [w for c in absent for w in self._id_writes.get(c.item.block_id or "", [])]
        if again:
            self._write_ids(again)
            absent = self._absent(absent)
        for change in absent:
            if not self._blocked(change):
                self._fail(
                    change,
                    f"^{change.item.block_id} is not in the note (its write-back was not in the"
                    " plan, or failed), so nothing was created: a record for an id the note"
                    " does not hold would be created again by the next sync",
                )
        gone = {id(c) for c in absent}
        return [c for c in changes if id(c) not in gone]

    def _absent(self, changes: list[Change]) -> list[Change]:
        """Of ``changes``, those whose block id ends no line of their note as it is now."""
        texts: dict[str, bytes | None] = {}
        absent = []
        for change in changes:
            note, block_id = change.item.note, change.item.block_id or ""
            if note not in texts:
                try:
                    texts[note] = note_file(self.config.vault_root, note).read_bytes()
                except OSError:
                    texts[note] = None
            data = texts[note]
            if not block_id or data is None or not ends_a_line(data, block_id):
                absent.append(change)
        return absent

    def _fill_cross_keys(
        self, change: Change, fields: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``fields`` (a create's: the change's) with the item's Jira key put in where the plan
        could only say it was to come; left out while there is none (its create failed)."""
        given = change.fields if fields is None else fields
        filled = dict(given)
        for name, value in given.items():
            if value == KNOWN_AFTER_CREATE:
                known = self._known_key_url(change.item.block_id or "", "jira")
                if known:
                    filled[name] = known[0]
                else:
                    del filled[name]
        return filled

    def _create_batch(self, target: str, batch: list[Change]) -> None:
        connector = self.connectors[target]
        ids = [c.item.block_id for c in batch if c.item.block_id]
        found = self._lookup(target, ids)
        self.checkpoint("looked_up")
        to_create = [c for c in batch if label_for(c.item.block_id or "") not in found]
        if found:  # one commit: lost to a kill, they are found again, as they were now
            with self.state.together():
                for change in batch:
                    made = found.get(label_for(change.item.block_id or ""))
                    if made is not None:  # made by a run that died: its status may have moved
                        self._created(
                            change,
                            made.key,
                            made.url,
                            self._fill_cross_keys(change),
                            made.closed_as or made.status_category,
                            "found by its plansync id (made by another run): not created again",
                        )
        # Checked right before the call, not once before every batch: an editor saving its
        # copy of a note over the ids while earlier batches were sent would leave a record
        # for an id the note no longer holds, made again by the next sync.
        to_create = self._ids_on_disk(to_create)
        if not to_create:
            self.checkpoint("create_batch_done")
            return
        records = [
            NewRecord(
                plansync_id=label_for(c.item.block_id or ""),
                fields=self._fill_cross_keys(c),
                sobject=c.sobject,
            )
            for c in to_create
        ]
        # The journal brackets the create call only: a run that dies before it sent nothing,
        # and the next run need not wait for search to show what was never created.
        entry = self.state.begin(
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
                self.state.finish(entry)  # refused before anything was done: nothing in flight
            self._create_call_failed(target, to_create, records, exc, made_nothing)
            raise
        self.checkpoint("created")
        # Refused in a way that may hide a record made all the same (see OpResult.maybe_done):
        # looked for once, before the journal entry closes, so that none is known to no one.
        # The others are stored first: a look-up that fails must not lose what the call made
        # (a reviewer found them all reported "not sent", no key written back).
        # The batch's keys and the entry's close are one commit (StateStore.together): a kill
        # before it leaves the entry open, and the next run finds the records by their ids.
        unsure = []
        with self.state.together():
            for change, record, outcome in zip(to_create, records, results, strict=True):
                if not outcome.ok and outcome.maybe_done:
                    unsure.append((change, record, outcome))
                else:
                    self._settle_create(target, change, record, outcome)
            if not unsure:
                self.state.finish(entry)
            self.checkpoint("keys_stored")
        if unsure:
            labels = [label_for(change.item.block_id or "") for change, _, _ in unsure]
            try:
                made_after = connector.fetch_by_ids(labels)
            except ConnectorError:
                for change, _, outcome in unsure:
                    self._fail(
                        change,
                        f"{_refusal(target, outcome)}; it may have been made all the same, and"
                        " looking it up failed (see the errors) — the next sync finds it by its"
                        " id",
                        maybe_done=True,
                    )
                raise  # the journal stays open: the next sync looks those ids up
            with self.state.together():
                for (change, record, outcome), label in zip(unsure, labels, strict=True):
                    self._settle_create(target, change, record, outcome, made_after.get(label))
                self.state.finish(entry)
        self.checkpoint("create_batch_done")

    def _settle_create(
        self,
        target: str,
        change: Change,
        record: NewRecord,
        outcome: OpResult,
        there: RemoteRecord | None = None,
    ) -> None:
        """Store a create the backend answered: made, made all the same (``there``: found by
        its id after a refusal that may hide one), or failed with the backend's words."""
        if outcome.ok and outcome.key:
            self._created(change, outcome.key, outcome.url or "", record.fields)
        elif there is not None:
            self._created(
                change,
                there.key,
                there.url,
                record.fields,
                there.closed_as or there.status_category,
                f"made all the same (found by its plansync id after: {outcome.error})",
            )
        else:
            self._fail(change, _refusal(target, outcome) + self._users_entry(change, outcome))

    def _create_call_failed(
        self,
        target: str,
        changes: list[Change],
        records: list[NewRecord],
        exc: ConnectorError,
        made_nothing: bool,
    ) -> None:
        """The creates of a call that failed as a whole: failed, each saying what became of
        it, not "not sent". They were the step that failed, not steps behind it: a user test
        found a create whose answer was lost reported as not done, while Jira held the issue.
        Those the call answered before it failed (another object's request, in Salesforce)
        are settled as answered, and those it never sent (a later object's) are left not
        attempted; the rest may exist where the request reached the backend (``maybe_done``),
        and the next sync finds them by their ids (the journal stays open)."""
        why = _failed_with_call(BACKEND_TITLES.get(target, target), exc, made_nothing, "create")
        for index, answered in _carried(exc, len(changes)):
            if answered is not None:
                self._settle_create(target, changes[index], records[index], answered)
            else:
                self._fail(changes[index], why, whole_call=True, maybe_done=not made_nothing)

    def _recover(self, dead: list[DeadCreate]) -> None:
        """Store the records the plan found for ids a dead run was creating, whose lines are
        gone since (:class:`DeadCreate`): ordinary records of their notes from now on, before
        any step that may act on them (an orphan's cancel keeps its base there)."""
        for entry in dead:
            if entry.key is None or entry.target not in self.connectors:
                continue
            if self._base(entry.block_id, entry.target) is None:
                self._save(
                    entry.block_id, entry.note, entry.target, entry.key, entry.url, entry.fields
                )

    def _settle_journal(self, target: str, dead: list[DeadCreate]) -> None:
        """Close the dead runs' journal entries that need nothing more, so that no later run
        looks their ids up again (or the journal grows for ever): every id of the entry is
        known to the state (created, adopted or recovered since), or is one whose line is
        gone and for which no record exists.

        The plan found no record for some of the latter; search may lag the dead run's
        create, so they are looked up again here, waiting as for any dead run's ids
        (:meth:`_lookup`). A record found now is stored as the plan would have (the next
        plan reports it, or cancels it, like any other record whose line is gone); the
        entry closes either way.
        """
        entries = self.state.in_flight(target)
        if not entries:
            return
        absent: set[str] = set()
        unfound = [d for d in dead if d.key is None and self._base(d.block_id, target) is None]
        if unfound:
            found = self._lookup(target, [d.block_id for d in unfound])
            for entry in unfound:
                record = found.get(label_for(entry.block_id))
                if record is None:
                    absent.add(entry.block_id)
                    continue
                base = adopted_base(record)
                self._save(entry.block_id, entry.note, target, record.key, record.url, base)
        for open_entry in entries:
            if all(
                block_id in absent or self._base(block_id, target) is not None
                for block_id in open_entry.block_ids
            ):
                self.state.finish(open_entry.id)

    def _lookup(self, target: str, ids: list[str]) -> dict[str, RemoteRecord]:
        """Look ids up; for ids a dead run was creating, wait out search lag first.

        The journal is only open around a create call, so an entry open now is a dead run's.
        A plan made by this run, under its lock, has just looked every id up but those it drew
        itself, which no line held, so no record can (and no run of this state store has
        created anything since), so then only the ids of a dead run's create, which search may
        not show yet, are looked up again. A saved plan's ids are all
        looked up again: a run with another state store may have created some since."""
        connector = self.connectors[target]
        pending = {label_for(i) for e in self.state.in_flight(target) for i in e.block_ids}
        labels = [label_for(i) for i in ids]
        if self.fresh:  # a saved plan's look-ups may be hours old: all are made again
            labels = [label for label in labels if label in pending]
        found = connector.fetch_by_ids(labels) if labels else {}
        for wait in _LOOKUP_WAITS:
            missing = [label for label in labels if label in pending and label not in found]
            if not missing:
                break
            time.sleep(wait)
            found.update(connector.fetch_by_ids(missing))
        return found

    def _created(
        self,
        change: Change,
        key: str,
        url: str,
        fields: dict[str, Any],
        status: str | None = "new",
        message: str | None = None,
    ) -> None:
        assert change.item.block_id
        self.keys[change.item.block_id, change.target] = (key, url)
        self.result.created.setdefault(change.item.block_id, {})[change.target] = key
        self._store(change, change.target, key, url, {**fields, "status": status, "link": None})
        self._done(change, key, message)

    # --- links, updates, transitions --------------------------------------------------------

    def _key_unless_blocked(self, change: Change) -> str | None:
        return None if self._blocked(change) else self._record_key(change)

    def _record_key(self, change: Change) -> str | None:
        """The key of ``change``'s record (a write-back's: the record whose key it writes): the
        plan's, or for a record made in this run the one its create gave (the plan could only
        say "known after create")."""
        if change.key:
            return change.key
        target = _backend_of(change)
        known = (
            self._known_key_url(change.item.block_id or "", target) if target != "note" else None
        )
        return known[0] if known else None

    def _links(self, target: str, changes: list[Change]) -> None:
        ready: list[tuple[Change, Link]] = []
        for change in changes:
            key = self._key_unless_blocked(change)
            url = _new(change.fields["url"])
            if url == KNOWN_AFTER_CREATE:  # the Salesforce record made in this run
                known = self._known_key_url(change.item.block_id or "", "salesforce")
                url = known[1] if known else None
            if key is None or not url:
                continue
            global_id = (
                change.global_id
                or change.fields.get("global_id")  # where plans saved by earlier versions kept it
                or f"plansync:{change.item.block_id}"
            )
            title = _new(change.fields["title"])
            ready.append((change, Link(key, global_id, url, title, change.item.text)))

        def settle(pair: tuple[Change, Link], outcome: OpResult) -> None:
            change, link = pair
            # What was sent, for the next plan to compare with (plan.Planner._link_sent).
            base_field = change.base_field or change.fields.get("base_field") or "link"
            sent = {base_field: self._linked(change, link), f"{base_field}_title": link.title}
            self._settle(change, outcome, sent)

        for batch in self._batches(f"link in {target}", ready, self._batch_size(target)):
            links = [link for _, link in batch]
            send = partial(self.connectors[target].upsert_links, links)
            self._settle_each(target, batch, send, settle)

    def _linked(self, change: Change, link: Link) -> str:
        """What the state keeps of a link: the record it points to when it has one (a
        Salesforce record, by Id), else the URL (the note line)."""
        record = _new(change.fields.get("record"))
        if record == KNOWN_AFTER_CREATE:
            known = self._known_key_url(change.item.block_id or "", "salesforce")
            record = known[0] if known else None
        return record or link.url

    def _updates(self, target: str, changes: list[Change]) -> None:
        # A record's Jira key can be an issue made in this run: the plan could only say
        # "(known after create)", which must never be sent as the value.
        ready = [
            (c, key, self._fill_cross_keys(c, {n: v["new"] for n, v in c.fields.items()}))
            for c in changes
            if (key := self._key_unless_blocked(c))
        ]
        ready = [(c, key, values) for c, key, values in ready if values]
        if not self.fresh and ready:
            ready = self._unchanged_since_plan(target, ready)
        for batch in self._batches(f"update in {target}", ready, self._batch_size(target)):
            updates = [
                FieldUpdate(
                    key=key,
                    fields=values,
                    plansync_id=label_for(c.item.block_id or ""),
                    sobject=c.sobject,
                )
                for c, key, values in batch
            ]
            self._settle_each(
                target,
                batch,
                partial(self.connectors[target].update_many, updates),
                lambda sent, outcome: self._settle(
                    sent[0], outcome, {**sent[2], **(sent[0].base or {})}
                ),
            )

    def _unchanged_since_plan(
        self, target: str, ready: list[tuple[Change, str, dict[str, Any]]]
    ) -> list[tuple[Change, str, dict[str, Any]]]:
        """The updates whose records still hold what the plan saw (each field's ``old``).

        A saved plan, or one a person read for a while before saying yes, may be applied
        after someone edited the record: sending the note's value would overwrite that edit
        unseen. Such an update is not sent; the next plan shows the field as changed on both
        sides (a conflict) or in the backend only (kept). One look-up per hundred records,
        and only for a plan not made by this run just now.
        """
        labels = [label_for(c.item.block_id) for c, _, _ in ready if c.item.block_id]
        now = self.connectors[target].fetch_by_ids(labels) if labels else {}
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
                f" `{self.config.caller.command('plan')}` shows it anew"
            )
            self._outcomes[id(change)] = self._outcome(
                change, "skipped", None, why, changed_since_plan=True
            )
            self.result.warn(why, change.item.note, change.item.line, key)
        return unchanged

    def _transitions(self, target: str, changes: list[Change]) -> None:
        connector = self.connectors[target]
        ready = [(c, key) for c in changes if (key := self._key_unless_blocked(c))]
        for batch in self._batches(f"transition in {target}", ready, self._batch_size(target)):
            moves = [_move(change, key) for change, key in batch]
            # A transition is not resent when its answer is lost; what was asked is kept so
            # that the next plan, seeing the record got there, takes it as synced. Committed
            # before the call, the batch's in one: a kill before that commit sent nothing.
            with self.state.together():
                for (change, _), move in zip(batch, moves, strict=True):
                    self._merge_base(change, {"status_sent": _status_of(move)})
                self.checkpoint("moves_stored")
            self._settle_each(
                target,
                [(change, move) for (change, _), move in zip(batch, moves, strict=True)],
                partial(connector.transition_many, moves),
                lambda sent, outcome: self._settle(
                    sent[0],
                    outcome,
                    {
                        **learnt_status(_status_of(sent[1]), outcome.status_value),
                        "closed_as": outcome.closed_as,
                    },
                ),
            )

    def _settle_each(
        self,
        target: str,
        batch: list[_Sent],
        send: Callable[[], list[OpResult]],
        settle: Callable[[_Sent, OpResult], None],
    ) -> None:
        """Settle each of ``batch`` (each a change, and what was sent for it) by the result
        ``send`` gives for it. Where the call fails as a whole, each whose request was answered
        before (:attr:`ConnectorError.finished`) is settled all the same: it was done in the
        backend, and "not sent" would be the run's word for it (a user test found transitions
        done in Jira reported so). Each the call carried but got no answer for failed with it,
        saying whether it may be done (a link throttled past the retries, an update refused
        with a 401): it was the step that failed, not one behind it. Only those the call never
        sent (:attr:`ConnectorError.never_sent`) are left not attempted.

        What the batch's answers say is stored in one commit of the state store, not one an
        item (an ``fsync`` each: the links and transitions of a first sync of 3,000 notes made
        ~24,500). A kill before it loses nothing the next run does not learn again: each of
        these steps is idempotent, and what a transition asks is stored before it is sent, so
        the next plan, seeing the record there, takes it as synced."""
        try:
            results = send()
        except ConnectorError as exc:
            made_nothing = exc.made_nothing
            title = BACKEND_TITLES.get(target, target)
            with self.state.together():  # left before the raise, which would roll it back
                for index, answered in _carried(exc, len(batch)):
                    if answered is not None:
                        settle(batch[index], answered)
                        continue
                    change: Change = batch[index][0]
                    why = _failed_with_call(title, exc, made_nothing, change.action)
                    self._fail(change, why, whole_call=True, maybe_done=not made_nothing)
            raise
        with self.state.together():
            for item, outcome in zip(batch, results, strict=True):
                settle(item, outcome)
            self.checkpoint("results_stored")

    def _settle(self, change: Change, outcome: OpResult, base_update: dict[str, Any]) -> None:
        """Store what ``outcome`` says of ``change``: done, or failed with the backend's words.
        A failure the backend may have carried out all the same (a 5xx to its write, a lost
        answer: :attr:`OpResult.maybe_done`) is ``maybe_done`` and says what comes of it, as
        one a whole call carried does: a user test found a 500 to one update said to have
        done nothing, as README says a 5xx may not."""
        if outcome.ok:
            self._merge_base(change, base_update)
            self._done(change, message=outcome.note, closed_as=outcome.closed_as)
            if outcome.closed_as is not None:  # kept in the base: no later plan says it again
                item = change.item
                self.result.warn(
                    f"{outcome.note}; taken as synced until the line or the record changes",
                    item.note,
                    None if item.unread else item.line,
                    self._record_key(change),
                )
        elif outcome.maybe_done:
            why = f"{(outcome.error or 'failed').rstrip('.')} — {_NEXT_PLAN_SHOWS}"
            self._fail(change, why, maybe_done=True)
        else:
            self._fail(change, f"{outcome.error or 'refused'}{self._users_entry(change, outcome)}")

    def _users_entry(self, change: Change, outcome: OpResult) -> str:
        """The ``[users]`` entry whose id the backend refused in a field of ``change`` (a Data
        Center user name mistyped, an accountId of another site), said after its words: "User
        'thagay' does not exist." named the note's line, and not the entry to correct, which
        the line does not show. "" where no refused field holds such an id."""
        target = change.target
        for name in outcome.details:
            sent = change.fields.get(name)
            if change.action == "update" and isinstance(sent, dict):
                sent = sent.get("new")
            if not isinstance(sent, str) or not sent:
                continue
            for who, user in self.config.users.items():
                if getattr(user, target, None) == sent:
                    return (
                        f"; its {name} is [users] {toml_string(who)} ="
                        f" {{ {target} = {toml_string(sent)} }} in the config"
                    )
        return ""


def _move(change: Change, key: str) -> StatusMove:
    """The move a transition change asks for; ``closed`` when the plan saw the record closed
    as the other of done and cancelled (its ``old``), so that a workflow with one closed
    status lets it stay there, and ``from_progress`` for a reopen of one it saw in progress,
    which only to do satisfies (see :class:`StatusMove`)."""
    status = change.fields["status"]
    closed = status["old"] in CLOSED and status["new"] in CLOSED
    from_progress = status["old"] == IN_PROGRESS and status["new"] == "reopen"
    return StatusMove(
        key, status["new"], change.sobject, closed=closed, from_progress=from_progress
    )


def _status_of(move: StatusMove) -> str:
    """The status category a record is in once ``move`` is made (a reopened one is new)."""
    return "new" if move.to == "reopen" else move.to


def _backend_of(change: Change) -> str:
    """The backend a change depends on: its target, or for a note's write-back the backend
    whose key it writes."""
    if change.target == "note" and change.line_change and change.line_change.key_target:
        return change.line_change.key_target
    return change.target


def _named(change: Change) -> str:
    """How a warning names ``change``'s item: its record's key where its line is gone (an
    orphan's cancel), else its note and line."""
    item = change.item
    return f"{change.key}" if item.unread and change.key else f"{item.note}:{item.line}"


def _new(value: Any) -> Any:
    return value["new"] if isinstance(value, dict) and "new" in value else value


def note_digests(config: Config, paths: list[str]) -> dict[str, str]:
    """Digests of the named notes now: a note that vanished or cannot be read any more (a
    folder in its place, its permissions taken away) digests as empty, so that a plan made from
    it is stale rather than a traceback from the check."""
    root = config.vault_root
    digests = {}
    for path in paths:
        try:
            digests[path] = note_digest(note_file(root, path).read_bytes())
        except OSError:
            digests[path] = ""
    return digests


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
    A refusal of the plan as stale (:class:`StalePlan`) ends with the config's caller's
    remedy."""
    applier = Applier(
        config,
        state,
        connectors,
        checkpoint=checkpoint or _nothing,
        progress=progress,
        fresh=fresh,
        planned_here=planned_here,
    )
    return applier.run(plan)


def _five(paths: list[str]) -> str:
    """The first five of ``paths``, and how many more notes: a line, not a list of the vault."""
    more = f" and {len(paths) - 5} more notes" if len(paths) > 5 else ""
    return ", ".join(paths[:5]) + more
