"""A line put back without its id and then edited (a user test: ``[?]`` ticked ``[x]``): it is
not taken for its record's line (:meth:`Identifier._readopt` takes only a line exactly as last
synced), so it becomes a new item; the plan warns of that near-copy before the create
(:meth:`Identifier._near_copies`), and the orphan keeps the hint to put its id back
(:meth:`Orphans.orphan`) instead of saying its line is gone.

Unit tests of the identity and orphan steps, on a vault in ``tmp_path`` and a state store there,
with no backend: the end-to-end run through ``plan`` is in ``test_sync_e2e.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plansync.config import Config
from plansync.config_load import load_config
from plansync.engine.changes import Plan
from plansync.engine.context import PlanContext
from plansync.engine.identity import Identifier, Tracked
from plansync.engine.orphans import Orphans
from plansync.engine.state import StateStore, SyncedRecord
from plansync.engine.targets import TargetSpec
from plansync.notes.model import Item
from plansync.notes.vault import Vault, scan_vault
from plansync.rules import Context, JiraRouting

TEXT = "Draft an initial cloud design qualifiers checklist for FRDs."
SYNCED = f"- [ ] {TEXT} @Myself 📅 2025-11-08 ⏫ #task #proposed #auto"
"""The line as the sync read it (accepted), before it got its id and key link."""
BLOCK_ID = "ps-qrhgjlnb"
KEY = "PLAN-10"


def vault_with(tmp_path: Path, *lines: str) -> tuple[Config, Vault]:
    """A config (the starter rules: accepted actions to Jira) and a vault whose one note holds
    ``lines``, each an item or other line."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "plansync.toml").write_text('[[rules]]\nproject = "PLAN"\n', encoding="utf-8")
    body = "\n\n".join(lines)
    (tmp_path / "note.md").write_text(f"# Cloud\n\n## Action Items\n\n{body}\n", encoding="utf-8")
    config = load_config(tmp_path / "plansync.toml")
    return config, scan_vault(tmp_path, policy=config.acceptance)


def jira_target() -> TargetSpec:
    """Jira as the planner sees it; no connector: neither step sends anything."""
    connector: Any = None
    return TargetSpec(
        name="jira", title="Jira", connector=connector, routing=JiraRouting(), transitions=True
    )


def synced_record(tmp_path: Path) -> SyncedRecord:
    """The record a sync made of :data:`SYNCED` (its fields as the Jira rule makes them, open),
    in ``note.md`` of a vault read apart from the one under test."""
    config, vault = vault_with(tmp_path / "synced", SYNCED)
    [note] = vault.notes
    [item] = note.items
    context = Context(item, note, BLOCK_ID, "", config.myself)
    fields = JiraRouting().desired(config, context, lambda: None, None) or {}
    return SyncedRecord(
        block_id=BLOCK_ID,
        target="jira",
        key=KEY,
        url=f"http://127.0.0.1:45200/browse/{KEY}",
        note_path="note.md",
        fields={**fields, "status": "new"},
    )


def identified(tmp_path: Path, *lines: str) -> tuple[Plan, list[Tracked]]:
    """The identity step over a vault of ``lines`` whose state store holds the record synced
    from :data:`SYNCED`: the plan's warnings, and the items tracked."""
    record = synced_record(tmp_path)
    config, vault = vault_with(tmp_path / "vault", *lines)
    plan = Plan()
    state = StateStore(tmp_path / "state")
    try:
        state.save(record)
        identifier = Identifier(
            PlanContext(config, vault, state, [jira_target()], plan),
            journal={"jira": {}},
            note_link=lambda note, block_id: "",
        )
        root = tmp_path / "vault"
        lines_of = {n.path: (root / n.path).read_text("utf-8").split("\n") for n in vault.notes}
        return plan, identifier.identify(lines_of)
    finally:
        state.close()


def line_of(items: list[Item] | list[Tracked], status: str) -> int:
    """The line of the item with :data:`TEXT` and ``status``."""
    found = [i if isinstance(i, Item) else i.item for i in items]
    [line] = [i.line for i in found if i.text == TEXT and i.status == status]
    return line


def test_a_restored_line_ticked_since_is_a_new_item_the_plan_warns_of(tmp_path: Path) -> None:
    """``[?]`` put back and then ticked: unlike the record as synced (open), so a new item, as
    the rule says (older text never closes or reopens a record); the warning names the record
    and the id to put back, at the line, before anything is created."""
    plan, tracked = identified(tmp_path, SYNCED.replace("[ ]", "[x]"))
    [entry] = tracked
    assert entry.new_id and not entry.readopted and entry.block_id != BLOCK_ID
    [warning] = plan.warning_details
    assert (warning.note, warning.line) == ("note.md", entry.item.line)
    assert warning.message == (
        f"has the text of {KEY} (^{BLOCK_ID}), whose line is gone from this note, but not its"
        " id, and differs from it as last synced (its checkbox, a date or the priority?), so it"
        f" becomes a new item ^{entry.block_id}, a second record beside {KEY}; if it is"
        f" {KEY}'s line, put ^{BLOCK_ID} back at its end instead"
    )


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda line: line, id="exactly as synced"),
        pytest.param(lambda line: line.replace("checklist", "list"), id="reworded"),
    ],
)
def test_no_warning_for_a_line_given_its_id_back_or_of_other_words(
    tmp_path: Path, edit: Any
) -> None:
    """A line exactly as synced gets its id back (no second record: nothing to warn of); one
    reworded is not named as the record (another task, most likely), as before."""
    line = edit(SYNCED)
    plan, [entry] = identified(tmp_path, line)
    assert entry.readopted == (line == SYNCED)
    assert plan.warning_details == []


def test_no_warning_when_the_records_line_is_elsewhere_in_the_vault(tmp_path: Path) -> None:
    """The synced line, id and all, is in another note as no item (its checkbox taken off): the
    record's line is not gone, so a line with its text is no near-copy of an orphan."""
    (tmp_path / "vault").mkdir(parents=True)
    (tmp_path / "vault" / "kept.md").write_text(f"{TEXT} ^{BLOCK_ID}\n", encoding="utf-8")
    plan, [entry] = identified(tmp_path, SYNCED.replace("[ ]", "[x]"))
    assert entry.new_id and plan.warning_details == []


def orphan_message(tmp_path: Path, *lines: str) -> tuple[str, bool]:
    """The orphan step's report of the record synced from :data:`SYNCED`, its line gone and
    the note holding ``lines``: its message, and whether its line may be back."""
    record = synced_record(tmp_path)
    config, vault = vault_with(tmp_path / "vault", *lines)
    plan = Plan()
    state = StateStore(tmp_path / "state")
    try:
        orphans = Orphans(
            PlanContext(config, vault, state, [jira_target()], plan),
            note_bytes={"note.md": (tmp_path / "vault" / "note.md").read_bytes()},
            held_notes=set(),
        )
        orphans.orphan(jira_target(), record, None)
    finally:
        state.close()
    [change] = plan.changes
    assert change.action == "orphan" and change.key == KEY
    return change.message or "", change.line_may_be_back


def test_an_orphan_whose_text_is_on_a_line_to_be_synced_says_where(tmp_path: Path) -> None:
    """Its line was said gone, wrongly, and the hint to put the id back lost exactly when it
    is needed: before the sync makes the line a second record."""
    ticked = SYNCED.replace("[ ]", "[x]")
    _, vault = vault_with(tmp_path / "read", ticked)
    line = line_of(vault.notes[0].items, "x")
    message, may_be_back = orphan_message(tmp_path, ticked)
    assert message == (
        f"{KEY}: line {line} of its note has its text but not its id, and is synced as a new"
        " item, unlike it as last synced (the note put back to older text, then edited?): if it"
        f" is its line, put ^{BLOCK_ID} back at its end before syncing; left alone"
    )
    assert may_be_back


def test_an_orphan_names_the_line_not_to_be_synced_first(tmp_path: Path) -> None:
    """A proposed line with its text (not synced) is named as before, before a ticked one
    further down: the hint that was always given stays as it was."""
    proposed, ticked = SYNCED.replace("[ ]", "[?]"), SYNCED.replace("[ ]", "[x]")
    _, vault = vault_with(tmp_path / "read", ticked, proposed)
    line = line_of(vault.notes[0].items, "?")
    message, may_be_back = orphan_message(tmp_path, ticked, proposed)
    assert message == (
        f"{KEY}: line {line} of its note has its text but not its id (the note put back to"
        f" older text, or written again?): if it is its line, put ^{BLOCK_ID} back at its end;"
        " left alone"
    )
    assert may_be_back


def test_an_orphan_with_no_line_of_its_text_is_gone(tmp_path: Path) -> None:
    message, may_be_back = orphan_message(tmp_path, "- [ ] Order new laptops @Myself")
    assert message == f"{KEY}: its line is gone from the note; left alone"
    assert not may_be_back
