"""Cancelling against Jira's simplified workflow (To Do, In Progress, Done: no cancelled
status), end to end: the real ``jira`` client against the sandbox's ``simple`` workflow, in
both deployments. A cancel Jira cannot hold is carried out as Done (or, of a done issue, left
so), said once as a warning naming the line, and kept in the state store: the plans after it
are quiet until the line or the issue changes, which they still see."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ExampleProject
from test_sync_e2e import (
    RUNBOOK,
    assert_in_sync,
    check,
    fresh_plan,
    jira_transition,
    status_name,
    summary_of,
    sync,
    synced_item,
)

from plansync.cli import main
from plansync.config import Config
from plansync.engine.run_lock import open_state
from plansync.notes.model import Note
from plansync.sandbox.jira_app import JiraSandbox
from plansync.sandbox.server import serve_in_thread

STATUSES = "GET /rest/api/2/project/{projectIdOrKey}/statuses"
TAKE = "POST /rest/api/2/issue/{issueIdOrKey}/transitions"
TO_DO = "11"  # the sandbox's transitions into To Do and Done, as someone moves it in Jira
DONE = "31"


@pytest.fixture(params=["cloud", "dc"])
def simple(
    request: pytest.FixtureRequest, tmp_path: Path, clean_env: None
) -> Iterator[ExampleProject]:
    """The example vault and a config syncing it to a sandbox with the simplified workflow."""
    app = JiraSandbox(":memory:", mode=request.param, workflow="simple")
    try:
        with serve_in_thread(app) as server:
            yield ExampleProject.made(tmp_path, server.url, app)
    finally:
        app.close()


def assert_quiet(config: Config) -> None:
    """Nothing to do, and nothing listed as changed in Jira (a kept line) either."""
    again = fresh_plan(config)
    assert (again.changes, again.kept) == ([], []), (again.changes, again.kept)


def where(note: Note, key: str) -> str:
    """How a warning names the runbook line and its issue."""
    line = next(i.line for i in note.items if RUNBOOK in i.text)
    return f"{note.path}:{line}: {key}"


def kept_line(note: Note, key: str, now: str) -> str:
    line = next(i.line for i in note.items if RUNBOOK in i.text)
    return (
        f"{key} ({note.path}:{line}): status (now {now}) changed in Jira only since the last"
        " sync; kept, not sent from the note"
    )


def test_a_line_cancelled_closes_its_issue_as_done_once_and_later_plans_are_quiet(
    simple: ExampleProject,
) -> None:
    """``[ ]`` to ``[-]``: no transition like a cancel, so Done, as before; every plan after
    it listed the issue as closed as done in Jira only, since the store said cancelled. Said
    once, as a warning naming the line; then quiet, until the line moves again."""
    project = simple
    config, note, _, key = synced_item(project, RUNBOOK)
    check(project, note, " ", "-")
    result = sync(config)
    assert status_name(project, key) == "Done"
    [outcome] = result.outcomes
    assert (outcome.status, outcome.closed_as) == ("applied", "done")
    assert result.warnings == [
        f"{where(note, key)} closed as 'Done': Jira offered no transition into a cancelled"
        " status (set [jira] cancelled_status_names if yours is named otherwise), so it reads"
        " as done; taken as synced until the line or the record changes"
    ]
    assert_quiet(config)
    again = sync(config)
    assert (again.applied, again.warnings) == ({}, [])
    planned = CliRunner().invoke(
        main, ["plan", "--detailed-exitcode", "--config", str(project.config_path)]
    )
    assert planned.exit_code == 0, planned.output
    assert "kept" not in planned.output

    check(project, note, "-", " ")  # reopened in the note: a move, as any
    plan = fresh_plan(config)
    assert [(c.action, c.fields) for c in plan.changes] == [
        ("transition", {"status": {"old": "done", "new": "reopen"}})
    ]
    sync(config, plan=plan)
    assert status_name(project, key) == "To Do"
    assert_quiet(config)


def test_a_done_line_cancelled_leaves_its_issue_done_says_so_once_and_plans_stay_quiet(
    simple: ExampleProject,
) -> None:
    """``[x]`` to ``[-]``: no transition fits, nor could one, and the sync failed at every
    run. The project's statuses show there is no cancelled status: the issue stays Done, a
    warning says so once, for the one line, and the plans after it are quiet. Reading the
    statuses costs one request, once; the sync after sends nothing."""
    project = simple
    config, note, _, key = synced_item(project, RUNBOOK)
    check(project, note, " ", "x")
    sync(config)
    check(project, note, "x", "-")
    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, transition=1)
    project.app.reset_stats()
    result = sync(config, plan=plan)
    assert status_name(project, key) == "Done"
    assert result.warnings == [
        f"{where(note, key)} left in 'Done': the workflow of PLAN's Task issues has no"
        " cancelled status (To Do, In Progress, Done; set [jira] cancelled_status_names if"
        " yours is named otherwise), so it reads as done; taken as synced until the line or"
        " the record changes"
    ]
    by_route = project.app.stats()["by_route"]
    assert (by_route.get(STATUSES), by_route.get(TAKE)) == (1, None)
    assert_quiet(config)

    project.app.reset_stats()
    again = sync(config)
    assert (again.applied, again.warnings) == ({}, [])
    assert STATUSES not in project.app.stats()["by_route"]

    jira_transition(project, key, TO_DO)  # reopened in Jira: seen, and its word stands
    plan = fresh_plan(config)
    assert (plan.changes, plan.kept) == ([], [kept_line(note, key, "open")])


def test_the_sync_command_warns_once_and_lists_no_move_note_for_it(
    simple: ExampleProject,
) -> None:
    """The warning is on stderr, not said again as a line under "Applied:", and printed
    with ``--quiet`` too; the next sync says nothing of it."""
    project = simple
    config, note, _, key = synced_item(project, RUNBOOK)
    check(project, note, " ", "x")
    sync(config)
    check(project, note, "x", "-")
    args = ["sync", "--yes", "--config", str(project.config_path)]
    first = CliRunner().invoke(main, [*args, "--quiet"])
    assert first.exit_code == 0, first.output
    said = [line for line in first.output.splitlines() if "left in 'Done'" in line]
    assert len(said) == 1 and said[0].startswith(f"warning: {where(note, key)} left in")
    check(project, note, "-", "x")
    sync(config)
    check(project, note, "x", "-")
    loud = CliRunner().invoke(main, args)
    assert loud.exit_code == 0, loud.output
    assert "Applied: 1 transition" in loud.output
    assert [line for line in loud.output.splitlines() if "left in 'Done'" in line] == said
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.output
    assert "left in" not in second.output


def test_a_cancel_jira_holds_as_done_is_kept_beside_the_status_and_forgotten_once_both_agree(
    simple: ExampleProject,
) -> None:
    """What the store keeps: the note's word, and beside it how Jira holds the issue. Once
    both sides say done (the line checked done), the base is done alone; a line cancelled
    again is warned of again, being a new move."""
    project = simple
    config, note, _, key = synced_item(project, RUNBOOK)
    block_id = next(i.block_id for i in note.items if RUNBOOK in i.text)

    def base() -> tuple[str | None, str | None]:
        with open_state(config.state_dir, lock=False) as state:
            record = state.get(block_id or "", "jira")
            assert record is not None
            return record.fields.get("status"), record.fields.get("closed_as")

    check(project, note, " ", "-")
    sync(config)
    assert base() == ("cancelled", "done")
    check(project, note, "-", "x")
    assert (fresh_plan(config).changes, fresh_plan(config).kept) == ([], [])
    sync(config)
    assert base() == ("done", None)
    check(project, note, "x", "-")
    assert len(sync(config).warnings) == 1
    assert base() == ("cancelled", "done")
    jira_transition(project, key, TO_DO)
    jira_transition(project, key, DONE)  # reopened and closed again in Jira: as it was
    assert_quiet(config)
    assert_in_sync(config)


def test_a_cancel_held_as_done_then_cancelled_in_jira_while_the_line_went_done_says_each_side(
    simple: ExampleProject,
) -> None:
    """A cancelled status added to the workflow later, the issue moved into it in Jira while
    the line went ``[-]`` to ``[x]``: each side moved, so a conflict, which read "Jira
    cancelled -> cancelled", the note's word last synced standing for Jira's too. Jira's side
    starts where Jira held the issue: Done."""
    project = simple
    config, note, _, key = synced_item(project, RUNBOOK)
    check(project, note, " ", "-")
    sync(config)
    assert status_name(project, key) == "Done"
    project.app.workflow = "all"  # Won't Do, a cancelled status, added to the workflow
    jira_transition(project, key, "41")
    check(project, note, "-", "x")
    (conflict,) = fresh_plan(config).changes
    assert (conflict.action, conflict.key) == ("conflict", key)
    assert conflict.message == (
        "status changed in the note and in Jira since the last sync: note cancelled -> done,"
        ' Jira done -> cancelled ([sync.conflicts] status = "note" or "remote" settles it)'
    )
