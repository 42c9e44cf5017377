"""What one apply knows as it goes, shared by its steps (:mod:`plansync.engine.steps`): the
config, state store and backends it runs with, its hooks, the keys it made, what failed, and
what became of each change of the plan.

The steps are functions of a :class:`Run`, not methods of one class: each step's module holds
its mechanics, and this one the bookkeeping they all do the same way (an outcome a change, a
failure's error, a record stored as the base), so that a change is settled alike whichever
step settles it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from plansync.config import BACKEND_TITLES, Config
from plansync.connectors.base import ClosedAs, Connector, ConnectorError
from plansync.engine.changes import KNOWN_AFTER_CREATE, SHOWN_ONLY, Change
from plansync.engine.result import ItemError, Outcome, Result
from plansync.engine.state import StateStore, SyncedRecord
from plansync.notes.writeback import KnownItems
from plansync.progress import Progress, silent

if TYPE_CHECKING:
    from plansync.engine.apply import Checkpoint

BACKENDS = ("jira", "salesforce")
"""The backends in the order each step runs them: Jira first, as Salesforce records carry the
Jira key."""


def _nothing(_: str) -> None:
    return None


class Run:
    """One apply of a plan: what its steps read (``config``, ``state``, ``connectors``, the
    hooks) and what they learn (``result``, ``keys``, ``failed``, ``down``, ``outcomes``, and
    the notes' side: ``id_writes``, ``written``, ``ids_in``, ``known_items``)."""

    def __init__(
        self,
        config: Config,
        state: StateStore,
        connectors: dict[str, Connector],
        *,
        checkpoint: Checkpoint | None = None,
        progress: Progress = silent,
        fresh: bool = False,
        planned_here: bool = False,
    ) -> None:
        self.config = config
        self.state = state
        self.connectors = connectors
        self.checkpoint: Checkpoint = checkpoint or _nothing
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
        self.outcomes: dict[int, Outcome] = {}  # id(change) -> what became of it
        self.id_writes: dict[str, list[Change]] = defaultdict(list)  # block id -> write-backs
        self.written: dict[str, None] = {}  # the notes changed on disk, in order
        self.ids_in: set[int] = set()  # id(write-back) whose block id is in its written note
        self.known_items: dict[str, KnownItems] = {}  # note -> items known of its bytes, unparsed
        self.waiting: dict[int, str] = {}  # id(change) -> why it waits for the next sync

    def whole_call(self, target: str, action: str, step: Callable[[], None]) -> None:
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

    def requests(self) -> int:
        return sum(c.request_count() for c in self.connectors.values())

    def _count(self, action: str, n: int = 1) -> None:
        self.result.applied[action] = self.result.applied.get(action, 0) + n

    def done(
        self,
        change: Change,
        key: str | None = None,
        message: str | None = None,
        *,
        closed_as: ClosedAs | None = None,
    ) -> None:
        """Count ``change`` as applied (a failure recorded for it before stands)."""
        self._count(change.action)
        if id(change) not in self.outcomes:
            outcome = self.outcome(change, "applied", key, message, closed_as=closed_as)
            self.outcomes[id(change)] = outcome

    def outcome(
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
            key=key or self.record_key(change),
            status=status,
            message=message,
            changed_since_plan=changed_since_plan,
            whole_call=whole_call,
            maybe_done=maybe_done,
            closed_as=closed_as,
            create_left_out=create_left_out,
            note_changed=note_changed,
        )

    def outcome_of(self, change: Change) -> Outcome:
        """The recorded outcome of ``change``, or why it was not attempted."""
        if id(change) in self.outcomes:
            return self.outcomes[id(change)]
        if id(change) in self.waiting:
            why = self.waiting[id(change)]
            return self.outcome(change, "skipped", None, why, note_changed=True)
        left_out = False
        if change.action in SHOWN_ONLY:
            what = "an orphan" if change.action == "orphan" else "a conflict"
            why = f"{what} is shown, never acted on"
        elif (backend := _backend_of(change)) in self.down:
            why = (
                f"not sent: {BACKEND_TITLES.get(backend, backend)} failed a whole call in this"
                " run (see the errors)"
            )
        elif self.blocked(change) or any(
            (change.item.block_id or "", target) in self.failed for target in BACKENDS
        ):
            why = "not done: an earlier step of this item failed (see the errors)"
        else:  # the key it needs comes from a create, neither failed nor in the plan
            left_out = True
            why = (
                "not done: the create it follows is not in the plan"
                f" ({self.config.caller.remedy('sync')})"
            )
        if id(change) in self.ids_in:
            why += f"; the line has its block id ^{change.item.block_id} now, not yet the key"
        return self.outcome(change, "skipped", None, why, create_left_out=left_out)

    def blocked(self, change: Change, target: str | None = None) -> bool:
        block_id = change.item.block_id or ""
        return (block_id, "note") in self.failed or (
            block_id,
            target or change.target,
        ) in self.failed

    def fail(
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
        outcome = self.outcome(
            change, "failed", None, message, whole_call=whole_call, maybe_done=maybe_done
        )
        self.outcomes.setdefault(id(change), outcome)
        if whole_call:
            return
        self.result.errors.append(
            ItemError(
                note=change.item.note,
                line=change.item.line or None,  # an orphan's: its line is gone
                block_id=change.item.block_id,
                action=change.action if change.target != "note" else "write back",
                key=self.record_key(change),
                message=message,
                target=None if change.target == "note" else target or change.target,
            )
        )

    def batch_size(self, target: str) -> int:
        return self.connectors[target].max_batch or self.config.sync.batch_size

    def base(self, block_id: str, target: str) -> SyncedRecord | None:
        return self.state.get(block_id, target)

    def store(
        self, change: Change, target: str, key: str, url: str, fields: dict[str, Any]
    ) -> None:
        assert change.item.block_id
        self.save(change.item.block_id, change.item.note, target, key, url, fields)

    def save(
        self, block_id: str, note: str, target: str, key: str, url: str, fields: dict[str, Any]
    ) -> None:
        self.state.save(
            SyncedRecord(
                block_id=block_id, target=target, key=key, url=url, note_path=note, fields=fields
            )
        )

    def merge_base(
        self, change: Change, updates: dict[str, Any], target: str | None = None
    ) -> None:
        assert change.item.block_id
        target = target or change.target
        record = self.base(change.item.block_id, target)
        if record is None:
            return
        self.store(change, target, record.key, record.url, {**record.fields, **updates})

    def known_key_url(self, block_id: str, target: str) -> tuple[str, str] | None:
        known = self.keys.get((block_id, target))
        if known:
            return known
        record = self.base(block_id, target)
        return (record.key, record.url) if record else None

    def fill_cross_keys(
        self, change: Change, fields: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``fields`` (a create's: the change's) with the item's Jira key put in where the plan
        could only say it was to come; left out while there is none (its create failed)."""
        given = change.fields if fields is None else fields
        filled = dict(given)
        for name, value in given.items():
            if value == KNOWN_AFTER_CREATE:
                known = self.known_key_url(change.item.block_id or "", "jira")
                if known:
                    filled[name] = known[0]
                else:
                    del filled[name]
        return filled

    def key_unless_blocked(self, change: Change) -> str | None:
        return None if self.blocked(change) else self.record_key(change)

    def record_key(self, change: Change) -> str | None:
        """The key of ``change``'s record (a write-back's: the record whose key it writes): the
        plan's, or for a record made in this run the one its create gave (the plan could only
        say "known after create")."""
        if change.key:
            return change.key
        target = _backend_of(change)
        known = self.known_key_url(change.item.block_id or "", target) if target != "note" else None
        return known[0] if known else None


def _backend_of(change: Change) -> str:
    """The backend a change depends on: its target, or for a note's write-back the backend
    whose key it writes."""
    if change.target == "note" and change.line_change and change.line_change.key_target:
        return change.line_change.key_target
    return change.target
