"""A note that changed between a plan and its sync: its changes wait, the others are applied.

Planning a vault of thousands of notes takes tens of seconds, and a vault being written to (an
editor's autosave, a transcription pipeline) has a note that changed meanwhile at almost every
run: a whole plan refused for it, a cron sync never finished. Each note's changes are planned
from its own text, so the changes of the notes that did not change are carried out, and those
of a changed note (its item's link, status move and key write-back with its create) wait for
the next sync, which plans them from the note as it is then. Only a change that stands on its
id being on no line of any note (an orphan's cancel, a line given back its id) waits for any
note's change. Against the Jira sandbox, with the real ``jira`` client, through
``plansync.plan`` and ``plansync.apply``; the invariant of a sync is ``test_sync_faults``'s.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ExampleProject, IssuesByLabel, replace_once, sandbox_issues
from test_sync_faults import assert_synced, snapshot

import plansync
from plansync.config import Config
from plansync.config_load import load_config
from plansync.engine.changes import ItemRef, Plan
from plansync.engine.render import render_result
from plansync.engine.result import Outcome, Result
from plansync.notes.vault import scan_vault

RUNBOOK = "Write the runbook"
"""An open item of the weekly note, the note edited after the plan in these tests."""


def config_of(project: ExampleProject) -> Config:
    return load_config(project.config_path)


def edited_after_the_plan(project: ExampleProject) -> tuple[Plan, Path]:
    """A plan of the project, then the weekly note edited (an item reworded), as an editor's
    autosave does while a large vault is planned."""
    planned = plansync.plan(config_of(project))
    weekly = project.note("weekly-cloud-program-sync")
    replace_once(weekly, RUNBOOK, "Write the new runbook")
    return planned, weekly


def outcomes_of(result: Result, note: Path) -> list[Outcome]:
    return [o for o in result.outcomes if o.item.note == note.name]


def test_the_changes_of_a_note_edited_after_the_plan_wait_and_the_others_are_made(
    example_project: ExampleProject,
) -> None:
    """It was refused whole ("the plan is stale: weekly.md changed since it was made"):
    nothing applied. The other notes' items are created and written back; the edited note's
    are neither created nor given ids, each of its changes skipped as ``note_changed``, one
    warning names it; the next sync makes them, one issue an item."""
    config = config_of(example_project)
    planned, weekly = edited_after_the_plan(example_project)
    before = snapshot(config)
    result = plansync.apply(config, planned)

    assert result.errors == []
    assert not result.ok
    assert result.warnings == [
        f"{weekly.name} changed since the plan was made; its changes are left for the next sync"
    ]
    waiting = outcomes_of(result, weekly)
    assert {o.action for o in waiting} >= {"create", "write_back", "link", "transition"}
    assert all(o.status == "skipped" and o.note_changed for o in waiting)
    assert all(o.message and o.message.startswith("not done: its note changed") for o in waiting)
    others = [o for o in result.outcomes if o.item.note != weekly.name]
    assert others and all(o.status == "applied" for o in others)
    assert weekly.read_bytes() == before.files[weekly.name]  # no id, no key written into it

    # Every other note's accepted item has its issue and its key; the weekly note's none.
    issues = IssuesByLabel(sandbox_issues(example_project.url))
    made = 0
    for note in scan_vault(example_project.vault, policy=config.acceptance).notes:
        for item in note.items:
            if item.accepted and item.kind == "action" and note.path != weekly.name:
                issues.issue_of(item, f"{note.path}:{item.line}")
                made += 1
    assert made == result.applied["create"] and not issues.unclaimed()

    again = plansync.apply(config)
    assert again.ok, again.errors
    assert {o.item.note for o in again.outcomes if o.action == "create"} == {weekly.name}
    assert_synced(config, before, example_project.url)  # one issue an item, nothing to do


def test_a_note_deleted_after_the_plan_is_named_so_and_the_others_are_made(
    example_project: ExampleProject,
) -> None:
    """A note deleted (or renamed) since is no note edited: said so, in a warning of its own."""
    config = config_of(example_project)
    planned = plansync.plan(config)
    weekly = example_project.note("weekly-cloud-program-sync")
    pricing = example_project.note("cloud-pricing-workshop")
    replace_once(weekly, RUNBOOK, "Write the new runbook")
    pricing.unlink()
    result = plansync.apply(config, planned)
    assert result.warnings == [
        f"{weekly.name} changed since the plan was made; its changes are left for the next sync",
        f"{pricing.name} was deleted or renamed since the plan was made; its changes are left"
        " for the next sync",
    ]
    gone = outcomes_of(result, pricing)
    assert gone and all(o.message and "was deleted or renamed" in o.message for o in gone)
    assert result.applied["create"] == len(
        [o for o in result.outcomes if o.action == "create" and not o.note_changed]
    )


def test_many_notes_changed_are_one_warning_naming_five(
    example_project: ExampleProject,
) -> None:
    """Every note of the vault edited: one line, not one a note (the vault may be thousands)."""
    config = config_of(example_project)
    planned = plansync.plan(config)
    notes = sorted(example_project.vault.rglob("*.md"))
    for note in notes:
        note.write_text(note.read_text("utf-8") + "\nEdited.\n", "utf-8")
    with_items = sorted({c.item.note for c in planned.changes})
    result = plansync.apply(config, planned)
    assert len(with_items) == 8
    assert result.warnings == [
        "8 notes changed since the plan was made; their changes are left for the next sync:"
        f" {', '.join(with_items[:5])} and 3 more"
    ]
    assert result.applied == {} and sandbox_issues(example_project.url) == []


def test_a_cancel_waits_for_an_edit_of_any_note_and_the_rest_is_applied(
    example_project: ExampleProject,
) -> None:
    """A cancel stands on its line's id being on no line of the vault: pasted meanwhile into a
    daily note (no items, so no change of its own), the saved plan must not cancel it, and a
    new one leaves it alone; the other changes of the plan stand, and are made."""
    config = load_config(example_project.write_config('[sync]\norphans = "cancel"\n'))
    daily = example_project.vault / "2025-11-20-daily.md"
    daily.write_text("# 2025-11-20\n", encoding="utf-8")
    assert plansync.apply(config).ok
    weekly = example_project.note("weekly-cloud-program-sync")
    [line] = [x for x in weekly.read_text("utf-8").split("\n") if RUNBOOK in x]
    replace_once(weekly, line + "\n", "")
    replace_once(example_project.note("pricing"), "📅 2025-11-19 ⏫", "📅 2025-11-26 ⏫")
    planned = plansync.plan(config)
    [cancel] = [c for c in planned.changes if c.action == "transition" and c.item.unread]
    assert planned.summary["update"] == 1

    daily.write_text(daily.read_text("utf-8") + line.replace("- [ ] ", "- ") + "\n", "utf-8")
    result = plansync.apply(config, planned)
    [waited] = [o for o in result.outcomes if o.action == "transition"]
    assert waited.status == "skipped" and waited.note_changed
    assert waited.message == (
        f"not done: it stands on ^{cancel.item.block_id} being on no other line of the vault,"
        f" and {daily.name} changed since the plan was made; the next sync does it"
    )
    assert result.warnings == [
        f"1 item ({cancel.key}) is left for the next sync: a cancel of a deleted line's record,"
        " or a line given back its id, stands on the id being on no other line of the vault,"
        f" and {daily.name} changed since the plan was made"
    ]
    assert result.applied == {"update": 1}
    assert example_project.issues()[cancel.key or ""]["fields"]["status"]["name"] == "To Do"
    again = plansync.plan(config)
    assert not again.has_changes, again.changes  # the line is in the daily note: left alone


def test_lines_given_back_their_ids_wait_for_an_edit_of_any_note(
    example_project: ExampleProject,
) -> None:
    """A note put back to its text from before the first sync: each line gets back the id it
    was synced with, as the id is on no other line of the vault. Another note edited after the
    plan may have put it on one, so those lines wait too; the next sync gives them back."""
    config = config_of(example_project)
    roadmap = example_project.note("q1-roadmap")
    older = roadmap.read_bytes()
    assert plansync.apply(config).ok
    roadmap.write_bytes(older)
    planned = plansync.plan(config)
    assert planned.fingerprint is not None
    given_back = {c.item.block_id for c in planned.changes if "regains" in (c.message or "")}
    assert len(given_back) == 2 and set(planned.fingerprint.vault_wide or ()) == given_back
    assert set(planned.fingerprint.notes) == {
        p.name for p in example_project.vault.rglob("*.md")
    }  # every note read, as any may hold the ids

    pricing = example_project.note("pricing")
    replace_once(pricing, "📅 2025-11-19 ⏫", "📅 2025-11-26 ⏫")
    result = plansync.apply(config, planned)
    assert result.applied == {} and roadmap.read_bytes() == older
    assert all(o.note_changed for o in result.outcomes)
    [warning] = result.warnings
    assert warning.startswith(f"2 items ({roadmap.name}:30, {roadmap.name}:31) are left for the")
    assert warning.endswith(f" and {pricing.name} changed since the plan was made")

    assert plansync.apply(config).ok
    assert {
        i.block_id for n in scan_vault(example_project.vault).notes for i in n.items
    } >= given_back
    assert len(sandbox_issues(example_project.url)) == 22  # none made twice


def test_a_plan_saved_before_it_named_the_changes_standing_on_every_note_is_refused_whole(
    example_project: ExampleProject,
) -> None:
    """Such a plan cannot say which of its changes a note's change elsewhere undoes (a cancel,
    a line given its id back): refused as before, naming the note."""
    config = config_of(example_project)
    planned, weekly = edited_after_the_plan(example_project)
    assert planned.fingerprint is not None
    planned.fingerprint.vault_wide = None
    with pytest.raises(plansync.StalePlan) as stale:
        plansync.apply(config, planned)
    assert str(stale.value) == (
        f"the plan is stale: {weekly.name} changed since it was made; make a new plan with"
        " `plansync.plan(config)` and apply it"
    )
    assert sandbox_issues(example_project.url) == []


def test_changes_left_out_for_their_notes_are_one_not_done_line_and_fail_the_run(
    example_project: ExampleProject,
) -> None:
    """As changes left out of a plan (their create taken out) are: counted by action in a "Not
    done:" line saying the next sync does them, and the run no success (exit 1)."""
    item = ItemRef(note="a.md", line=3, block_id="ps-abc", text="Draft")
    result = Result(
        applied={"create": 2},
        outcomes=[
            Outcome(action=a, target=t, item=item, status="skipped", note_changed=True)
            for a, t in (("create", "jira"), ("write_back", "note"), ("link", "jira"))
        ],
    )
    result.warn("a.md changed since the plan was made; its changes are left for the next sync")
    shown = render_result(result, config_of(example_project))
    assert shown.lines[1:] == [
        "Not done: 1 create, 1 write back, 1 link, as their notes changed since the plan was made;"
        " the next sync does them."
    ]
    assert shown.warnings == [f"warning: {result.warnings[0]}"]
    assert shown.failure == (
        "3 changes not done, as their notes changed since the plan was made; see above"
    )
    assert not result.ok
