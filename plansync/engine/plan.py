"""The plan: what a sync would change, computed without changing anything.

The algorithm, per item that is accepted and routed to a target (or already tracked there):

1. **Identity.** The item's block id is its identity. An item without one gets a fresh id (to be
   written into the note); a line copied with its id keeps the id on its first occurrence and the
   copy becomes a new item with a new id.
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
   closes tickets.

The result is a list of small :class:`Change` objects; applying them is :mod:`.apply`'s job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from plansync.config import Config
from plansync.connectors.base import Connector, RemoteRecord
from plansync.engine.state import StateStore, SyncedRecord
from plansync.notes.model import Item, Note
from plansync.notes.vault import Vault
from plansync.rules import (
    Context,
    jira_fields,
    jira_rule_for,
    label_for,
    new_block_id,
    note_link,
    status_category,
)

Action = Literal["create", "update", "transition", "link", "write_back", "conflict", "orphan"]
ACTIONS: tuple[Action, ...] = (
    "create",
    "update",
    "transition",
    "link",
    "write_back",
    "conflict",
    "orphan",
)
Target = Literal["jira", "salesforce", "note"]
IMMUTABLE = frozenset({"project", "issue_type"})


class ItemRef(BaseModel):
    note: str
    line: int
    block_id: str | None
    text: str


class LineChange(BaseModel):
    """What write-back must do to one note line (the data ``apply`` needs, beyond display)."""

    original: str
    block_id: str
    replace_block_id: bool = False
    drop_links: list[str] = Field(default_factory=list)
    key_target: str | None = None


class Change(BaseModel):
    action: Action
    target: Target
    item: ItemRef
    key: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    message: str | None = None
    url: str | None = None
    line_change: LineChange | None = None
    base: dict[str, Any] | None = Field(
        default=None, description="for an adopted record: its fields, to store as the base"
    )


class Fingerprint(BaseModel):
    """What a plan was made from; a saved plan whose fingerprint no longer holds is stale."""

    notes: dict[str, str]
    state_revision: int


class Plan(BaseModel):
    format_version: Literal["1"] = "1"
    changes: list[Change] = Field(default_factory=list)
    summary: dict[str, int] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    sandbox: bool = False
    fingerprint: Fingerprint | None = None

    @property
    def has_changes(self) -> bool:
        return any(c.action not in ("conflict", "orphan") for c in self.changes)

    def to_contract(self) -> dict[str, Any]:
        """``plansync plan --json``: the documented keys (and ``message``), not apply's data."""
        internal = {"url", "line_change", "base"}
        return self.model_dump(
            mode="json",
            exclude={"fingerprint": True, "changes": {"__all__": internal}},
        )


@dataclass
class _Tracked:
    note: Note
    item: Item
    block_id: str
    original: str
    new_id: bool
    copy_of: str | None = None


UserResolver = Callable[[str], str | None]


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    if isinstance(a, str) and isinstance(b, str):
        return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()
    return (a or None) == (b or None)


def _label_merge(note: list[str], base: list[str], remote: list[str]) -> list[str]:
    """Labels the note added go on; labels it dropped come off; labels added in Jira stay."""
    return sorted((set(remote) | set(note)) - (set(base) - set(note)))


class Planner:
    """Builds a :class:`Plan` for the Jira target from a vault, the state store and the backend."""

    def __init__(
        self,
        config: Config,
        vault: Vault,
        state: StateStore,
        connector: Connector,
        resolve_user: UserResolver,
    ):
        self.config = config
        self.vault = vault
        self.state = state
        self.connector = connector
        self.resolve_user = resolve_user
        self.plan = Plan(sandbox=config.uses_sandbox)
        self._users: dict[str, str | None] = {}

    def build(self) -> Plan:
        lines, digests = self._read_notes()
        tracked = self._identify(lines)
        records = self.state.records("jira")
        wanted = {label_for(t.block_id) for t in tracked}
        wanted |= {label_for(block_id) for block_id, _ in records}
        remote = self.connector.fetch_by_ids(sorted(wanted)) if wanted else {}
        seen: set[str] = set()
        for entry in tracked:
            seen.add(entry.block_id)
            self._plan_item(entry, records.get((entry.block_id, "jira")), remote)
        for (block_id, _), record in sorted(records.items()):
            if block_id not in seen:
                self._orphan(record)
        self.plan.summary = {a: sum(c.action == a for c in self.plan.changes) for a in ACTIONS}
        self.plan.fingerprint = Fingerprint(notes=digests, state_revision=self.state.revision())
        self.plan.warnings = (
            [str(w) for w in self.vault.warnings]
            + [str(w) for n in self.vault.notes for w in n.warnings]
            + self.plan.warnings
        )
        return self.plan

    # --- reading --------------------------------------------------------------------------

    def _read_notes(self) -> tuple[dict[str, list[str]], dict[str, str]]:
        root = self.config.vault_root
        lines: dict[str, list[str]] = {}
        digests: dict[str, str] = {}
        for note in self.vault.notes:
            data = (root / note.path).read_bytes()
            digests[note.path] = file_digest(data)
            text = data.decode("utf-8", errors="surrogateescape")
            lines[note.path] = [line.rstrip("\r") for line in text.lstrip("\ufeff").split("\n")]
        return lines, digests

    def _identify(self, lines: dict[str, list[str]]) -> list[_Tracked]:
        """Items taking part in this sync, each with its id (fresh ids for new items and copies)."""
        known = {block_id for block_id, _ in self.state.records("jira")}
        first_seen: dict[str, str] = {}
        tracked: list[_Tracked] = []
        for note in self.vault.notes:
            for item in note.items:
                block_id = item.block_id
                copy_of = None
                if block_id and block_id in first_seen:
                    copy_of, block_id = block_id, None
                if block_id is None and not self._wanted(item):
                    continue
                if block_id and block_id not in known and not self._wanted(item):
                    continue
                original = lines[note.path][item.line - 1]
                new_id = block_id is None
                block_id = block_id or new_block_id()
                first_seen.setdefault(block_id, f"{note.path}:{item.line}")
                tracked.append(_Tracked(note, item, block_id, original, new_id, copy_of))
        return tracked

    def _wanted(self, item: Item) -> bool:
        return item.accepted and jira_rule_for(self.config, item) is not None

    # --- deciding ---------------------------------------------------------------------------

    def _ref(self, entry: _Tracked) -> ItemRef:
        return ItemRef(
            note=entry.note.path,
            line=entry.item.line,
            block_id=entry.block_id,
            text=entry.item.text,
        )

    def _add(self, entry: _Tracked, action: Action, **kwargs: Any) -> None:
        target = kwargs.pop("target", "jira")
        self.plan.changes.append(
            Change(action=action, target=target, item=self._ref(entry), **kwargs)
        )

    def _assignee(self, entry: _Tracked) -> str | None:
        owner = entry.item.owner
        if not owner:
            return None
        if owner not in self._users:
            self._users[owner] = self._resolve_owner(entry, owner)
        return self._users[owner]

    def _resolve_owner(self, entry: _Tracked, owner: str) -> str | None:
        name = self.config.myself if owner == "Myself" and self.config.myself else owner
        user = self.config.users.get(name)
        if user and user.jira:
            return user.jira
        query = user.email if user and user.email else (name if "@" in name else None)
        resolved = self.resolve_user(query) if query else None
        if resolved is None:
            self.plan.warnings.append(
                f"{entry.note.path}:{entry.item.line}: owner '@{owner}' maps to no Jira user"
                " (add it under [users] in the config); left unassigned"
            )
        return resolved

    def _desired(self, entry: _Tracked) -> tuple[dict[str, Any], str] | None:
        rule = jira_rule_for(self.config, entry.item)
        if rule is None:
            return None
        link = note_link(self.config, entry.note.path, entry.block_id)
        context = Context(entry.item, entry.note, entry.block_id, link)
        return jira_fields(
            rule, context, self._assignee(entry) if rule.sync_assignee else None
        ), link

    def _plan_item(
        self, entry: _Tracked, base: SyncedRecord | None, remote: dict[str, RemoteRecord]
    ) -> None:
        found = remote.get(label_for(entry.block_id))
        note_key = entry.item.keys.get("jira")
        if entry.copy_of:
            self.plan.warnings.append(
                f"{entry.note.path}:{entry.item.line}: a copy of the line with ^{entry.copy_of};"
                f" it becomes a new item ^{entry.block_id}"
            )
            note_key = None
        desired = self._desired(entry) if entry.item.accepted or base or found else None
        if base is None and found is None:
            if note_key:
                self._add(
                    entry,
                    "conflict",
                    key=note_key,
                    message=f"the note names {note_key}, but no Jira issue carries"
                    f" label {label_for(entry.block_id)}; not created again",
                )
            elif desired is not None and entry.item.accepted:
                self._plan_create(entry, *desired)
            return
        if desired is None:
            return
        fields, link = desired
        if base is None and found is not None:
            self._plan_adopt(entry, found, fields, link, note_key)
            return
        assert base is not None
        if found is None:
            self._add(
                entry,
                "conflict",
                key=base.key,
                message=f"{base.key} is in the state store but Jira returns no issue with"
                f" label {label_for(entry.block_id)} (deleted, moved or not yet indexed)",
            )
            return
        if note_key and note_key != base.key:
            self._add(
                entry,
                "conflict",
                key=note_key,
                message=f"the note names {note_key} but this item was synced to {base.key};"
                " fix the note or the state, plansync will not guess",
            )
            return
        if note_key != found.key or entry.new_id:
            self._write_back(entry, found.key, note_key)
        self._plan_fields(entry, base.fields, found, fields)
        self._plan_status(entry, _last_status(base.fields, found), found)
        if base.fields.get("link") != link:
            self._plan_link(entry, found.key, link, base.fields.get("link"))

    def _plan_create(self, entry: _Tracked, fields: dict[str, Any], link: str) -> None:
        self._write_back(entry, None, None)
        self._add(entry, "create", fields=fields)
        self._add(entry, "link", fields={"url": link, "title": self._link_title(entry)})
        category = status_category(entry.item)
        if category != "new":
            self._add(entry, "transition", fields={"status": {"old": "new", "new": category}})

    def _plan_adopt(
        self,
        entry: _Tracked,
        found: RemoteRecord,
        fields: dict[str, Any],
        link: str,
        note_key: str | None,
    ) -> None:
        if note_key and note_key != found.key:
            self._add(
                entry,
                "conflict",
                key=note_key,
                message=f"the note names {note_key} but Jira's issue with label"
                f" {label_for(entry.block_id)} is {found.key}",
            )
            return
        base = {**found.fields, "status": found.status_category, "link": None}
        self._write_back(entry, found.key, note_key, base=base, url=found.url)
        self._plan_fields(entry, {}, found, fields, adopt=True)
        self._plan_status(entry, None, found)
        self._plan_link(entry, found.key, link, None)

    def _write_back(
        self,
        entry: _Tracked,
        key: str | None,
        note_key: str | None,
        *,
        base: dict[str, Any] | None = None,
        url: str | None = None,
    ) -> None:
        fields: dict[str, Any] = {}
        if entry.new_id:
            fields["block_id"] = {"old": entry.copy_of, "new": entry.block_id}
        if key != note_key or key is None:
            fields["jira"] = {"old": note_key, "new": key or "(known after create)"}
        self._add(
            entry,
            "write_back",
            target="note",
            key=key,
            fields=fields,
            base=base,
            url=url,
            message=None
            if fields
            else f"the note already names {key}; only the state store learns it",
            line_change=LineChange(
                original=entry.original,
                block_id=entry.block_id,
                replace_block_id=entry.copy_of is not None,
                drop_links=["jira", "salesforce"] if entry.copy_of else [],
                key_target="jira",
            ),
        )

    def _plan_fields(
        self,
        entry: _Tracked,
        base: dict[str, Any],
        found: RemoteRecord,
        note: dict[str, Any],
        *,
        adopt: bool = False,
    ) -> None:
        updates: dict[str, dict[str, Any]] = {}
        conflicts: list[str] = []
        winners = self.config.sync.conflicts
        for name, wanted in note.items():
            if name in IMMUTABLE:
                continue
            have = found.fields.get(name)
            last = base.get(name)
            if _same(wanted, have):
                continue
            if name == "labels":
                merged = _label_merge(wanted, last or [], have or [])
                if not _same(merged, have) and (adopt or not _same(wanted, last)):
                    updates[name] = {"old": have, "new": merged}
                continue
            if not adopt and _same(wanted, last):
                continue  # changed in Jira only: Jira's value stands
            if adopt or _same(have, last) or winners.get(name) == "note":
                updates[name] = {"old": have, "new": wanted}
            elif winners.get(name) != "remote":
                conflicts.append(f"{name}: note {last!r} -> {wanted!r}, Jira {last!r} -> {have!r}")
        if updates:
            self._add(entry, "update", key=found.key, fields=updates)
        if conflicts:
            self._add(
                entry,
                "conflict",
                key=found.key,
                message="changed in the note and in Jira since the last sync: "
                + "; ".join(conflicts),
            )

    def _plan_status(self, entry: _Tracked, last: str | None, found: RemoteRecord) -> None:
        wanted = status_category(entry.item)
        if wanted == last:
            return
        have = found.status_category
        if wanted in ("done", "cancelled") and have != "done":
            self._add(
                entry, "transition", key=found.key, fields={"status": {"old": have, "new": wanted}}
            )
        elif wanted == "new" and have == "done" and last in ("done", "cancelled"):
            self._add(
                entry,
                "transition",
                key=found.key,
                fields={"status": {"old": have, "new": "reopen"}},
            )

    def _plan_link(self, entry: _Tracked, key: str, link: str, old: str | None) -> None:
        self._add(
            entry,
            "link",
            key=key,
            fields={"url": {"old": old, "new": link}, "title": self._link_title(entry)},
        )

    def _link_title(self, entry: _Tracked) -> str:
        return self.config.jira.link_title.format_map(
            {"note_title": entry.note.title or entry.note.path, "note_path": entry.note.path}
        )

    def _orphan(self, record: SyncedRecord) -> None:
        gone = not (self.config.vault_root / record.note_path).exists()
        where = "its note is gone" if gone else "its line is gone from the note"
        self.plan.changes.append(
            Change(
                action="orphan",
                target="jira",
                key=record.key,
                item=ItemRef(note=record.note_path, line=0, block_id=record.block_id, text=""),
                message=f"{record.key}: {where}; left alone",
            )
        )


def _last_status(base: dict[str, Any], found: RemoteRecord) -> str | None:
    """The status as last synced. A transition whose answer was lost (``status_sent``, stored
    by apply before it asks) counts as synced once Jira is where it was sent; otherwise its
    done state would pass for a change made in Jira, and reopening the item would not reach
    Jira."""
    last, sent = base.get("status"), base.get("status_sent")
    if sent and (found.status_category == "done") == (sent in ("done", "cancelled")):
        return str(sent)
    return last


def note_digests(config: Config, paths: list[str]) -> dict[str, str]:
    """Digests of the named notes now (a vanished note digests as empty)."""
    root = config.vault_root
    digests = {}
    for path in paths:
        file = Path(root / path)
        digests[path] = file_digest(file.read_bytes()) if file.exists() else ""
    return digests
