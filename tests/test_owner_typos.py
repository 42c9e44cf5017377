"""An owner that maps to no account keeps the issue's assignee; only an item with no owner is
unassigned.

A user test: one mistyped owner on a synced line (``@Myself`` -> ``@Dana Okafr``) planned
``assignee: "5b10…" -> (none)``, unassigning an issue that had an assignee, while a Salesforce
record in the same case keeps the owner it has.
"""

from __future__ import annotations

from conftest import ExampleProject, replace_once

import plansync
from plansync.config_load import load_config

SHARE = "Share the Q1 theme list with the field teams @Myself"


def test_a_mistyped_owner_on_a_synced_line_keeps_the_issue_s_assignee(
    example_project: ExampleProject,
) -> None:
    config = load_config(example_project.config_path)
    assert plansync.apply(config, plansync.plan(config)).ok
    note = example_project.note("q1-roadmap-review")
    replace_once(note, SHARE, SHARE.replace("@Myself", "@Dana Okafr"))
    plan = plansync.plan(config)
    (update,) = [c for c in plan.changes if c.item.note == note.name]
    assert update.action == "update" and "assignee" not in update.fields
    assert set(update.fields) == {"description"}  # its "Owner:" line, as written
    assert [w for w in plan.warnings if "Okafr" in w] == [
        f"{note.name}:31: owner '@Dana Okafr' maps to no Jira user (add it under [users] in"
        " the config); its issue keeps the assignee it has (a new one: none)"
    ]
    # The owner taken off the line: the issue is unassigned, as before.
    replace_once(note, " @Dana Okafr", "")
    (update,) = [c for c in plansync.plan(config).changes if c.item.note == note.name]
    assert update.fields["assignee"]["new"] is None
    assert update.fields["assignee"]["old"] is not None


def test_a_myself_that_names_no_one_is_warned_of_once_with_how_many_items_it_concerns(
    example_project: ExampleProject,
) -> None:
    """``myself`` set to neither a [users] key nor an e-mail: its one warning named the first
    ``@Myself`` line only, as if one item were concerned, and every ``@Myself`` issue was
    unassigned."""
    config = load_config(example_project.config_path)
    assert plansync.apply(config, plansync.plan(config)).ok
    replace_once(
        example_project.config_path,
        'myself = "${PLANSYNC_MYSELF:-jason@example.com}"',
        'myself = "Jason Nobody"',
    )
    plan = plansync.plan(load_config(example_project.config_path))
    assert not [c for c in plan.changes if "assignee" in c.fields]
    updated = [c for c in plan.changes if c.action == "update"]
    assert len(updated) == 6  # each @Myself item's "Owner:" line
    (warning,) = [w for w in plan.warnings if "'@Myself'" in w]
    assert warning == (
        "2025-11-03-weekly-cloud-program-sync.md:29: owner '@Myself' ('myself' = 'Jason"
        " Nobody' in the config) maps to no Jira user: set 'myself' to a key of [users] or an"
        " e-mail Jira knows; its issue keeps the assignee it has (a new one: none); likewise 5"
        " more items of this owner"
    )


def test_an_owner_of_no_user_names_every_line_it_owns_as_data(
    example_project: ExampleProject,
) -> None:
    """Its one warning stands for six items, but ``plan --json`` had the first one's note and
    line only: a script could not attach it to the other five lines (a user test). Its
    ``also`` names them, its text as it was."""
    replace_once(
        example_project.config_path,
        'myself = "${PLANSYNC_MYSELF:-jason@example.com}"',
        'myself = "Jason Nobody"',
    )
    config = load_config(example_project.config_path)
    plan = plansync.plan(config)
    mine = {
        (note.path, item.line)
        for note in plansync.scan_vault(config.vault_root).notes
        for item in note.items
        if item.owner == "Myself"
    }
    owned = sorted(
        {(c.item.note, c.item.line) for c in plan.changes if c.action == "create"} & mine
    )
    assert len(owned) == 6
    (warning,) = [w for w in plan.to_contract()["warning_details"] if "'@Myself'" in w["message"]]
    assert (warning["note"], warning["line"]) == owned[0]
    assert warning["message"].endswith("; likewise 5 more items of this owner")
    assert [(a["note"], a["line"]) for a in warning["also"]] == owned[1:]
    assert plansync.Plan.model_validate(plan.model_dump(mode="json")) == plan
    saved_before = plan.model_dump(mode="json")  # by a plansync that had no ``also``
    for detail in saved_before["warning_details"]:
        del detail["also"]
    old = plansync.Plan.model_validate(saved_before)
    assert old.warnings == plan.warnings and all(not d.also for d in old.warning_details)
    # A sync of a plan no caller saw says its warnings in its result, lines and all.
    result = plansync.apply(config)
    assert result is not None and result.ok
    (said,) = [d for d in result.warning_details if "'@Myself'" in d.message]
    assert [(a.note, a.line) for a in said.also] == owned[1:]
