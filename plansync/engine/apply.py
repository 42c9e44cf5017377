"""Apply: carry out a plan so that a run killed at any point, then run again, ends right.

The order is the protocol (DESIGN.md, "The sync engine"):

1. **Ids into the notes first.** Every new item's block id is written into its line before any
   record exists, so whatever happens next, the id that the record will carry is on disk.
2. **Creates, looked up first.** A journal entry names the ids about to be created; the ids are
   looked up by label (a record made by a run that died is adopted); only the rest are created,
   in bulk; each key is stored as soon as it is known; the entry is closed. Creates are never
   retried blindly: after a failed create call, the next run looks the ids up again.
3. **Keys into the notes.** Then links to the note lines, field updates, and transitions, each
   of which is idempotent and stores its new base in the state store when it succeeds.

A failure of one item (a 400 naming a field) is recorded with the note path and line and the
others go on; a failure of a whole call (auth, network) stops the phase and the run reports it.
``checkpoint`` is called between steps with the step's name: tests raise there to prove the
protocol, and a progress display can listen there.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from plansync.config import Config
from plansync.connectors.base import (
    Connector,
    ConnectorError,
    FieldUpdate,
    Link,
    NewRecord,
    OpResult,
    RemoteRecord,
)
from plansync.engine.plan import Change, Plan, note_digests
from plansync.engine.state import StateStore, SyncedRecord
from plansync.notes.writeback import LineEdit, WriteBackError, write_back
from plansync.rules import label_for

Checkpoint = Callable[[str], None]
Progress = Callable[[str, int, int], None]


class StalePlan(Exception):
    """The notes or the state changed since the plan was made."""


class ItemError(BaseModel):
    note: str
    line: int
    block_id: str | None
    action: str
    key: str | None = None
    message: str

    def __str__(self) -> str:
        key = f" {self.key}" if self.key else ""
        return f"{self.note}:{self.line}: {self.action}{key} failed: {self.message}"


class Result(BaseModel):
    """What a sync did, with the same counts as the plan's summary plus what failed."""

    applied: dict[str, int] = Field(default_factory=dict)
    created: dict[str, str] = Field(default_factory=dict, description="block id -> new key")
    errors: list[ItemError] = Field(default_factory=list)
    requests: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _nothing(_: str) -> None:
    return None


def _quiet(_: str, __: int, ___: int) -> None:
    return None


class Applier:
    def __init__(
        self,
        config: Config,
        state: StateStore,
        connector: Connector,
        *,
        checkpoint: Checkpoint = _nothing,
        progress: Progress = _quiet,
        lookup_waits: tuple[float, ...] = (1.0, 2.0, 4.0),
    ):
        self.config = config
        self.state = state
        self.connector = connector
        self.checkpoint = checkpoint
        self.progress = progress
        self.lookup_waits = lookup_waits
        self.result = Result()
        self.keys: dict[str, tuple[str, str]] = {}  # block id -> (key, url)
        self.failed: set[str] = set()
        self.plan_looked_up = False

    # --- entry point ----------------------------------------------------------------------

    def run(self, plan: Plan) -> Result:
        self._check_fresh(plan)
        self.plan_looked_up = plan.fingerprint is not None
        requests_before = self.connector.request_count()
        by_action: dict[str, list[Change]] = defaultdict(list)
        for change in plan.changes:
            by_action[change.action].append(change)
        try:
            self._write_ids(by_action["write_back"])
            self.checkpoint("ids_written")
            self._create(by_action["create"])
            self._write_keys(by_action["write_back"])
            self.checkpoint("keys_written")
            self._links(by_action["link"])
            self.checkpoint("links")
            self._updates(by_action["update"])
            self.checkpoint("updates")
            self._transitions(by_action["transition"])
            self.checkpoint("transitions")
        except ConnectorError as exc:
            self.result.errors.append(
                ItemError(note="-", line=0, block_id=None, action="sync", message=str(exc))
            )
        self.result.requests = self.connector.request_count() - requests_before
        return self.result

    def _check_fresh(self, plan: Plan) -> None:
        if plan.fingerprint is None:
            return
        now = note_digests(self.config, list(plan.fingerprint.notes))
        changed = [path for path, digest in now.items() if digest != plan.fingerprint.notes[path]]
        if changed:
            raise StalePlan(
                f"the plan is stale: {', '.join(changed[:5])} changed since it was made;"
                " run `plansync plan` again"
            )
        if self.state.revision() != plan.fingerprint.state_revision:
            raise StalePlan("the plan is stale: another sync ran since it was made; plan again")

    # --- bookkeeping ------------------------------------------------------------------------

    def _count(self, action: str, n: int = 1) -> None:
        self.result.applied[action] = self.result.applied.get(action, 0) + n

    def _fail(self, change: Change, message: str) -> None:
        if change.item.block_id:
            self.failed.add(change.item.block_id)
        self.result.errors.append(
            ItemError(
                note=change.item.note,
                line=change.item.line,
                block_id=change.item.block_id,
                action=change.action,
                key=change.key,
                message=message,
            )
        )

    def _base(self, block_id: str) -> SyncedRecord | None:
        return self.state.get(block_id, "jira")

    def _store(self, change: Change, key: str, url: str, fields: dict[str, Any]) -> None:
        assert change.item.block_id
        self.state.save(
            SyncedRecord(
                block_id=change.item.block_id,
                target="jira",
                key=key,
                url=url,
                note_path=change.item.note,
                fields=fields,
            )
        )

    def _merge_base(self, change: Change, updates: dict[str, Any]) -> None:
        assert change.item.block_id
        record = self._base(change.item.block_id)
        if record is None:
            return
        self._store(change, record.key, record.url, {**record.fields, **updates})

    # --- notes ------------------------------------------------------------------------------

    def _edit_notes(self, changes: list[Change], with_keys: bool) -> None:
        per_note: dict[str, list[tuple[Change, LineEdit]]] = defaultdict(list)
        for change in changes:
            line = change.line_change
            block_id = change.item.block_id
            if line is None or block_id is None or block_id in self.failed:
                continue
            links: dict[str, tuple[str, str]] = {}
            if with_keys:
                key_url = self.keys.get(block_id) or self._known_key(change)
                if key_url is None:
                    continue
                links[line.key_target or "jira"] = key_url
            edit = LineEdit(
                line=change.item.line,
                original=line.original,
                block_id=block_id,
                links=links,
                replace_block_id=line.replace_block_id,
                drop_links=tuple(line.drop_links) if not with_keys else (),
            )
            per_note[change.item.note].append((change, edit))
        root = self.config.vault_root
        for note, pairs in per_note.items():
            try:
                result = write_back(root / note, root, [edit for _, edit in pairs])
            except WriteBackError as exc:
                for change, _ in pairs:
                    self._fail(change, str(exc))
                continue
            missing = {id(e) for e in result.missing}
            for change, edit in pairs:
                if id(edit) in missing:
                    self._fail(change, "the line changed or moved in the note; run sync again")
                elif with_keys:
                    self._count("write_back")

    def _known_key(self, change: Change) -> tuple[str, str] | None:
        assert change.item.block_id
        record = self._base(change.item.block_id)
        if record is None and change.key and change.base is not None:
            # An adopted record: store it now, with the fields Jira has as the base.
            url = change.url or ""
            self._store(change, change.key, url, change.base)
            return change.key, url
        return (record.key, record.url) if record else None

    def _write_ids(self, changes: list[Change]) -> None:
        self._edit_notes(changes, with_keys=False)

    def _write_keys(self, changes: list[Change]) -> None:
        self._edit_notes(changes, with_keys=True)

    # --- creates ----------------------------------------------------------------------------

    def _create(self, changes: list[Change]) -> None:
        todo = [c for c in changes if c.item.block_id not in self.failed]
        size = self.config.sync.batch_size
        for start in range(0, len(todo), size):
            batch = todo[start : start + size]
            self.progress("create", start, len(todo))
            self._create_batch(batch)
        if todo:
            self.progress("create", len(todo), len(todo))

    def _create_batch(self, batch: list[Change]) -> None:
        ids = [c.item.block_id for c in batch if c.item.block_id]
        found = self._lookup(ids)
        self.checkpoint("looked_up")
        to_create: list[Change] = []
        for change in batch:
            record = found.get(label_for(change.item.block_id or ""))
            if record is not None:
                self._created(change, record.key, record.url)
            else:
                to_create.append(change)
        if not to_create:
            self.checkpoint("create_batch_done")
            return
        # The journal brackets the create call only: a run that dies before it sent nothing,
        # and the next run need not wait for search to show what was never created.
        entry = self.state.begin("jira", "create", [c.item.block_id or "" for c in to_create])
        try:
            results = self.connector.create_many(
                [
                    NewRecord(plansync_id=label_for(c.item.block_id or ""), fields=c.fields)
                    for c in to_create
                ]
            )
        except ConnectorError as exc:
            if exc.status is not None and (400 <= exc.status < 500 or exc.status == 503):
                self.state.finish(entry)  # refused before anything was done: nothing in flight
            raise
        self.checkpoint("created")
        for change, outcome in zip(to_create, results, strict=True):
            if outcome.ok and outcome.key:
                self._created(change, outcome.key, outcome.url or "")
            else:
                self._fail(change, outcome.error or "Jira did not create the issue")
        self.state.finish(entry)
        self.checkpoint("create_batch_done")

    def _lookup(self, ids: list[str]) -> dict[str, RemoteRecord]:
        """Look ids up by label; for ids a dead run was creating, wait out search lag first.

        The journal is only open around a create call, so an entry open now is a dead run's.
        A plan whose fingerprint held has just looked every id up (and no run of this state
        store has created anything since: that would have changed its revision), so then only
        the ids of a dead run's create, which search may not show yet, are looked up again."""
        pending = {label_for(i) for e in self.state.in_flight("jira") for i in e.block_ids}
        labels = [label_for(i) for i in ids]
        if self.plan_looked_up:
            labels = [label for label in labels if label in pending]
        found = self.connector.fetch_by_ids(labels) if labels else {}
        for wait in self.lookup_waits:
            missing = [label for label in labels if label in pending and label not in found]
            if not missing:
                break
            time.sleep(wait)
            found.update(self.connector.fetch_by_ids(missing))
        return found

    def _created(self, change: Change, key: str, url: str) -> None:
        assert change.item.block_id
        self.keys[change.item.block_id] = (key, url)
        self.result.created[change.item.block_id] = key
        self._store(change, key, url, {**change.fields, "status": "new", "link": None})
        self._count("create")

    # --- links, updates, transitions --------------------------------------------------------

    def _key_for(self, change: Change) -> str | None:
        block_id = change.item.block_id or ""
        if block_id in self.failed:
            return None
        if change.key:
            return change.key
        known = self.keys.get(block_id)
        record = self._base(block_id)
        return known[0] if known else (record.key if record else None)

    def _links(self, changes: list[Change]) -> None:
        ready = [(c, self._key_for(c)) for c in changes]
        ready = [(c, k) for c, k in ready if k]
        links = [
            Link(
                key=key,
                global_id=f"plansync:{c.item.block_id}",
                url=_new(c.fields["url"]),
                title=c.fields["title"],
                summary=c.item.text,
            )
            for c, key in ready
        ]
        for (change, _), outcome in zip(ready, self.connector.upsert_links(links), strict=True):
            self._settle(change, outcome, {"link": _new(change.fields["url"])})

    def _updates(self, changes: list[Change]) -> None:
        ready = [(c, self._key_for(c)) for c in changes]
        ready = [(c, k) for c, k in ready if k]
        updates = [
            FieldUpdate(key=key, fields={n: v["new"] for n, v in c.fields.items()})
            for c, key in ready
        ]
        for (change, _), outcome in zip(ready, self.connector.update_many(updates), strict=True):
            self._settle(change, outcome, {n: v["new"] for n, v in change.fields.items()})

    def _transitions(self, changes: list[Change]) -> None:
        for change in changes:
            key = self._key_for(change)
            if key is None:
                continue
            wanted = change.fields["status"]["new"]
            status = "new" if wanted == "reopen" else wanted
            # The transition POST is not resent when its answer is lost; what was asked is kept
            # so that the next plan, seeing Jira got there, takes it as synced (see plan.py).
            self._merge_base(change, {"status_sent": status})
            outcome = self.connector.transition(key, wanted)
            self._settle(change, outcome, {"status": status, "status_sent": None})

    def _settle(self, change: Change, outcome: OpResult, base_update: dict[str, Any]) -> None:
        if outcome.ok:
            self._merge_base(change, base_update)
            self._count(change.action)
        else:
            self._fail(change, outcome.error or "refused")


def _new(value: Any) -> Any:
    return value["new"] if isinstance(value, dict) and "new" in value else value


def apply_plan(
    config: Config,
    plan: Plan,
    state: StateStore,
    connector: Connector,
    *,
    checkpoint: Checkpoint = _nothing,
    progress: Progress = _quiet,
) -> Result:
    return Applier(config, state, connector, checkpoint=checkpoint, progress=progress).run(plan)
