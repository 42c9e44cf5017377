"""Status moves that take more than one transition, end to end: the real ``jira`` client
against the sandbox's strict workflow, where an issue starts (To Do to In Progress) before it
is done, a closed one only reopens into To Do, and none goes back from In Progress to To Do
(:data:`plansync.sandbox.jira_app.Workflow`). Jira lists only the transitions out of the
status an issue is in, so a move walks: each hop is listed anew. Requests are counted at the
sandbox: a move one transition makes costs two (list, POST), as it did before walks."""

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

import plansync
from plansync.cli import main
from plansync.config import Config
from plansync.engine.result import Outcome, Result
from plansync.notes.model import Note
from plansync.sandbox.jira_app import JiraSandbox
from plansync.sandbox.server import serve_in_thread

LIST = "GET /rest/api/2/issue/{issueIdOrKey}/transitions"
TAKE = "POST /rest/api/2/issue/{issueIdOrKey}/transitions"
READ = "GET /rest/api/2/issue/{issueIdOrKey}"
STATUSES = "GET /rest/api/2/project/{projectIdOrKey}/statuses"


@pytest.fixture
def strict(tmp_path: Path, clean_env: None) -> Iterator[ExampleProject]:
    """The example vault and a config syncing it to a sandbox with the strict workflow; the
    vault's lines checked done are unchecked, so that a test's first sync walks nothing and
    each test's own move is the one it looks at."""
    app = JiraSandbox(":memory:", workflow="strict")
    try:
        with serve_in_thread(app) as server:
            project = ExampleProject.made(tmp_path, server.url, app)
            for path in project.vault.rglob("*.md"):
                text = path.read_bytes()
                path.write_bytes(text.replace(b"\n- [x] ", b"\n- [ ] "))
            yield project
    finally:
        app.close()


def move_costs(app: JiraSandbox) -> dict[str, int]:
    """The requests a sync's status moves sent since the stats were reset, by route."""
    by_route = app.stats()["by_route"]
    return {route: by_route[route] for route in (LIST, TAKE, READ) if route in by_route}


def moved(project: ExampleProject, config: Config, note: Note, before: str, after: str) -> Outcome:
    """The runbook line's checkbox moved, and synced as one transition: its outcome."""
    check(project, note, before, after)
    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, transition=1)
    project.app.reset_stats()
    [outcome] = plansync.apply(config, plan).outcomes
    return outcome


def closed_by_hand(
    project: ExampleProject, config: Config, note: Note, key: str, closed: str
) -> None:
    """The runbook line checked ``closed`` ("x" or "-"), its issue closed so in Jira by hand
    (Start and Done, or Won't Do), and synced: the base learns it, nothing is sent, so a
    test's own move is the only one a walk makes."""
    for transition in ("11", "21") if closed == "x" else ("31",):
        jira_transition(project, key, transition)
    check(project, note, " ", closed)
    assert fresh_plan(config).summary == summary_of(fresh_plan(config))
    sync(config)
    assert status_name(project, key) == {"x": "Done", "-": "Won't Do"}[closed]


def test_a_line_checked_then_marked_in_progress_walks_the_workflow(
    strict: ExampleProject,
) -> None:
    """``[ ]`` to ``[x]``: Start, then Done. ``[x]`` to ``[/]``: Reopen, then Start (one
    transition from Done into In Progress was asked for, found none, and failed at every
    sync). Five requests each; the next plan is clean."""
    project = strict
    config, note, _, key = synced_item(project, RUNBOOK)
    assert status_name(project, key) == "To Do"

    outcome = moved(project, config, note, " ", "x")
    assert (outcome.status, outcome.message) == (
        "applied",
        "moved in 2 transitions: Start → In Progress, Done → Done",
    )
    assert status_name(project, key) == "Done"
    assert move_costs(project.app) == {LIST: 2, TAKE: 2, READ: 1}
    assert_in_sync(config)

    outcome = moved(project, config, note, "x", "/")
    assert (outcome.status, outcome.message) == (
        "applied",
        "moved in 2 transitions: Reopen → To Do, Start → In Progress",
    )
    assert status_name(project, key) == "In Progress"
    assert move_costs(project.app) == {LIST: 2, TAKE: 2, READ: 1}
    assert_in_sync(config)


def test_the_sync_command_says_the_way_a_walk_took_unless_quiet(strict: ExampleProject) -> None:
    """The way was in ``result.outcomes`` only: a user saw the extra requests and a history of
    two transitions, and the command never said why. One line under "Applied:" per move that
    has a note; ``--quiet`` (cron) keeps its output as short as before."""
    project = strict
    _, note, _, key = synced_item(project, RUNBOOK)
    check(project, note, " ", "x")
    synced = CliRunner().invoke(main, ["sync", "--yes", "--config", str(project.config_path)])
    assert synced.exit_code == 0, synced.output
    lines = synced.output.splitlines()
    applied = next(i for i, line in enumerate(lines) if line.startswith("Applied: 1 transition"))
    assert (
        lines[applied + 1] == f"  {key}: moved in 2 transitions: Start → In Progress, Done → Done"
    )
    check(project, note, "x", "/")
    args = ["sync", "--yes", "--quiet", "--config", str(project.config_path)]
    quiet = CliRunner().invoke(main, args)
    assert quiet.exit_code == 0, quiet.output
    assert "moved in 2 transitions" not in quiet.output
    assert status_name(project, key) == "In Progress"


def test_a_cancelled_line_marked_in_progress_walks_through_to_do(strict: ExampleProject) -> None:
    project = strict
    config, note, _, key = synced_item(project, RUNBOOK)
    closed_by_hand(project, config, note, key, "-")

    outcome = moved(project, config, note, "-", "/")
    assert outcome.message == "moved in 2 transitions: Reopen → To Do, Start → In Progress"
    assert status_name(project, key) == "In Progress"
    assert_in_sync(config)


@pytest.mark.parametrize("closed", ["x", "-"])
def test_a_closed_line_unchecked_takes_the_one_reopen(strict: ExampleProject, closed: str) -> None:
    """One transition makes it: two requests, as before walks."""
    project = strict
    config, note, _, key = synced_item(project, RUNBOOK)
    closed_by_hand(project, config, note, key, closed)
    outcome = moved(project, config, note, closed, " ")
    assert (outcome.status, outcome.message) == ("applied", None)
    assert status_name(project, key) == "To Do"
    assert move_costs(project.app) == {LIST: 1, TAKE: 1}
    assert_in_sync(config)


def test_in_progress_back_to_open_with_no_way_to_to_do_fails_saying_it_stays(
    strict: ExampleProject,
) -> None:
    """``[/]`` to ``[ ]``, and In Progress leads only to Done and Won't Do: the outcome said
    "already open in Jira (In Progress)", the issue stayed in progress, and the next plan was
    clean. It fails, saying what there is and that the issue stays, and is planned again (as
    a ``[/]`` with no In Progress is) until the line or the workflow changes."""
    project = strict
    config, note, _, key = synced_item(project, RUNBOOK)
    outcome = moved(project, config, note, " ", "/")  # Start: one transition, two requests
    assert (outcome.status, outcome.message) == ("applied", None)
    assert move_costs(project.app) == {LIST: 1, TAKE: 1}
    assert status_name(project, key) == "In Progress"

    outcome = moved(project, config, note, "/", " ")
    assert (outcome.status, outcome.message) == (
        "failed",
        f"no transition of {key} fits 'open' out of in progress, into a status to do (it is"
        " in 'In Progress', and stays there; available: Done → Done, Won't Do → Won't Do)",
    )
    assert status_name(project, key) == "In Progress"
    assert move_costs(project.app) == {LIST: 1, READ: 1}, "none was taken"
    again = fresh_plan(config)
    assert [(c.action, c.fields) for c in again.changes] == [
        ("transition", {"status": {"old": "indeterminate", "new": "reopen"}})
    ]


@pytest.mark.parametrize("then", ["/", "x", " "])
def test_a_walk_cut_short_by_a_dropped_answer_goes_on_at_the_next_sync(
    strict: ExampleProject, then: str
) -> None:
    """``[x]`` to ``[/]``: the answer to Reopen is lost (the issue is in To Do), which fails
    that item (its line named; it may be moved), not the whole call. The next sync reads the
    issue where the walk left it and goes on from there, whatever the line says by then:
    ``[/]`` still (Start), ``[x]`` again (Done: the walk's reopen passed for one made in Jira,
    and the plan kept the issue open for good), or ``[ ]`` (open already, nothing to send)."""
    project = strict
    config, note, _, key = synced_item(project, RUNBOOK)
    closed_by_hand(project, config, note, key, "x")
    check(project, note, "x", "/")
    project.app.configure_faults(
        {"fail_next": [{"drop": "after_commit", "path_contains": "transitions", "method": "POST"}]}
    )
    cut: Result = plansync.apply(config)
    assert not cut.ok and [e.whole_call for e in cut.errors] == [False]
    (move,) = [o for o in cut.outcomes if o.action == "transition"]
    assert (move.status, move.maybe_done) == ("failed", True)
    assert status_name(project, key) == "To Do"

    if then != "/":
        check(project, note, "/", then)
    sync(config)
    assert status_name(project, key) == {"/": "In Progress", "x": "Done", " ": "To Do"}[then]
    assert_in_sync(config)


@pytest.mark.parametrize(("closed", "then"), [("x", "-"), ("-", "x")])
def test_a_closed_line_moved_between_done_and_cancelled_with_no_transition_fails_saying_so(
    strict: ExampleProject, closed: str, then: str
) -> None:
    """Done and Won't Do lead only to Reopen. The move was "applied" (one request, nothing
    moved), the store took the issue for moved, and the next plan said Jira had closed it as
    the other since the last sync. It fails, naming what there is and that the issue stays,
    and is planned again; the issue is not reopened on the way (whether the other closed
    status can be reached shows only after reopening; that Won't Do exists, the project's
    statuses say). Moved so in Jira by hand, the next plan is clean."""
    project = strict
    config, note, _, key = synced_item(project, RUNBOOK)
    closed_by_hand(project, config, note, key, closed)
    was, word = {"x": "Done", "-": "Won't Do"}[closed], {"x": "done", "-": "cancelled"}[then]
    other = {"x": "done", "-": "cancelled"}[closed]
    outcome = moved(project, config, note, closed, then)
    assert (outcome.status, outcome.message) == (
        "failed",
        f"no transition of {key} fits {word!r} (it is in {was!r}, and stays there; available:"
        f" Reopen → To Do); a closed issue is not reopened to be closed as {word}: move it in"
        f" Jira (the next plan takes it as synced), or mark the line {other} again",
    )
    assert status_name(project, key) == was
    assert move_costs(project.app) == {LIST: 1, READ: 1}, "none was taken"
    # A cancel reads whether the workflow has a cancelled status (it has: Won't Do), once
    assert project.app.stats()["by_route"].get(STATUSES) == (1 if word == "cancelled" else None)
    again = fresh_plan(config)
    assert again.kept == [], "Jira did not change"
    assert [(c.action, c.fields) for c in again.changes] == [
        ("transition", {"status": {"old": other, "new": word}})
    ]

    by_hand = {"cancelled": ("41", "31"), "done": ("41", "11", "21")}[word]
    for transition in by_hand:
        jira_transition(project, key, transition)
    assert_in_sync(config)
    assert fresh_plan(config).kept == []


def test_a_sync_that_cannot_move_a_closed_issue_to_the_other_says_so_and_exits_1(
    strict: ExampleProject,
) -> None:
    """The user's run: ``sync`` said "Applied: 1 transition", exited 0, and ``plan`` then
    listed the issue as kept, closed as done in Jira only."""
    project = strict
    config, note, _, key = synced_item(project, RUNBOOK)
    closed_by_hand(project, config, note, key, "x")
    check(project, note, "x", "-")
    args = ["sync", "--yes", "--config", str(project.config_path)]
    synced = CliRunner().invoke(main, args)
    assert synced.exit_code == 1, synced.output
    assert "Applied: nothing" in synced.output
    assert f"{key} failed: no transition of {key} fits 'cancelled'" in synced.output
    assert status_name(project, key) == "Done"
    planned = CliRunner().invoke(
        main, ["plan", "--detailed-exitcode", "--config", str(project.config_path)]
    )
    assert planned.exit_code == 2, planned.output
    assert "kept:" not in planned.output
    assert '    status: "done" -> "cancelled"' in planned.output.splitlines()
