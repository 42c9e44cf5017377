"""A mistyped rule is named by the plan, not only its items.

A user test: ``tags_any = ["#tsak"]`` made every synced item an orphan, each advised to "take the
link off the line, then plansync forget …": following that would have stripped every key link
of the vault, for one typo of the config.
"""

from __future__ import annotations

from conftest import ExampleProject, replace_once

import plansync
from plansync.config_load import load_config

TAGS = '# tags_any = ["#task"]'
PROJECT = "${JIRA_PROJECT:-PLAN}"


def synced(project: ExampleProject) -> int:
    """Sync the example vault; the number of issues made."""
    config = load_config(project.config_path)
    plan = plansync.plan(config)
    assert plansync.apply(config, plan).ok
    return plan.summary["create"]


def test_a_rule_that_matches_no_item_is_named_and_its_orphans_keep_their_links(
    example_project: ExampleProject,
) -> None:
    made = synced(example_project)
    replace_once(example_project.config_path, TAGS, 'tags_any = ["#tsak"]')
    plan = plansync.plan(load_config(example_project.config_path))
    assert [w for w in plan.warnings if w.startswith("rules")] == [
        'rules[0] matches no item of the vault (kind = ["action"], tags_any = ["#tsak"]), and'
        f" {made} items synced to Jira before go there no more (left alone): is a tag"
        " misspelled?"
    ]
    orphans = [c for c in plan.changes if c.action == "orphan"]
    assert len(orphans) == made == len(plan.changes)
    for orphan in orphans:
        assert orphan.message == (
            f"{orphan.key}: no rule sends this item to Jira any more, and its line still links"
            " to it; left alone: most likely the rules changed (rules[0] matches no item of the"
            " vault, as the plan warns), and the item syncs on once a rule takes it again. If"
            f" it left Jira on purpose, take the link off the line, then `plansync.forget(config,"
            f" ['{orphan.key}'])` stops this report"
        )


def test_a_rule_for_a_tag_no_note_uses_yet_is_no_warning(example_project: ExampleProject) -> None:
    """Every item has somewhere to go: a rule that takes nothing yet is no news."""
    synced(example_project)
    with example_project.config_path.open("a", encoding="utf-8") as config:
        config.write('\n[[rules]]\nproject = "PLAN"\n[rules.match]\ntags_any = ["#later"]\n')
    plan = plansync.plan(load_config(example_project.config_path))
    assert not [w for w in plan.warnings if "matches no item" in w]
    assert not plan.changes


def test_a_mistyped_project_or_issue_type_is_one_warning_for_its_rule(
    example_project: ExampleProject,
) -> None:
    """Each was warned of once an item: 15 lines saying the same of one word of the config."""
    made = synced(example_project)
    replace_once(example_project.config_path, PROJECT, PROJECT.replace("PLAN", "PLNA"))
    plan = plansync.plan(load_config(example_project.config_path))
    assert [w for w in plan.warnings if "PLNA" in w] == [
        f"rules[0] now routes {made} items to project PLNA, but their Jira issues (PLAN-1,"
        f" PLAN-2, PLAN-3 and {made - 3} more) are in PLAN; plansync does not move issues"
        " between projects and keeps syncing those"
    ]
    # Each issue's line, as data: the text names three keys and a count (a user test).
    (detail,) = [d for d in plan.warning_details if "PLNA" in d.message]
    assert (detail.note, detail.line) == (None, None)
    linked = {
        (note.path, item.line)
        for note in plansync.scan_vault(example_project.vault).notes
        for item in note.items
        if item.keys.get("jira")
    }
    assert len(detail.also) == made and {(a.note, a.line) for a in detail.also} == linked
    replace_once(example_project.config_path, PROJECT.replace("PLAN", "PLNA"), PROJECT)
    replace_once(example_project.config_path, 'issue_type = "Task"', 'issue_type = "Taks"')
    plan = plansync.plan(load_config(example_project.config_path))
    assert [w for w in plan.warnings if "Taks" in w] == [
        f"rules[0] now makes {made} items a Taks, but their Jira issues (PLAN-1, PLAN-2, PLAN-3"
        f" and {made - 3} more) are a Task; plansync does not change an issue's type and keeps"
        " syncing them as they are"
    ]
    assert not plan.changes
