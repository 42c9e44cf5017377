"""End to end: the example vault synced to the Jira sandbox with the real ``jira`` client.

Everything goes over HTTP on 127.0.0.1 through :mod:`plansync.sync` (the library front door),
and what Jira holds is read back through the sandbox's own ``/_sandbox/issues`` dump, so the
assertions never trust the code under test about what it did.
"""

from __future__ import annotations

import dataclasses
import math
import os
import stat
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import requests
from conftest import ITEM_CONTRACT_KEYS, ExampleProject, replace_once

import plansync
import plansync.engine.plan
import plansync.engine.steps.notes
import plansync.progress
import plansync.sync
from plansync.config import Config
from plansync.config_load import load_config
from plansync.engine.changes import ACTIONS, Plan
from plansync.engine.forget import forgettable
from plansync.engine.orphans import NO_ITEM_WHY
from plansync.engine.render import render_plan
from plansync.engine.result import Result
from plansync.engine.run_lock import open_state
from plansync.notes.model import Item, Note
from plansync.notes.vault import scan_vault
from plansync.rules import note_linker
from plansync.sandbox.jira_app import STATUSES, TRANSITIONS, JiraSandbox
from plansync.sandbox.people import USERS

PRIORITY_NAMES = {
    "highest": "Highest",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
    "lowest": "Lowest",
    "none": None,
}
# Fields Obsidian Tasks reads from a line; write-back must leave every one of them as it was.
TASK_FIELDS = tuple(k for k in ITEM_CONTRACT_KEYS if k not in ("block_id", "keys"))

both_modes = pytest.mark.parametrize("jira_sandbox", ["cloud", "dc"], indirect=True)


# ---- helpers ---------------------------------------------------------------------------------


def config_of(project: ExampleProject) -> Config:
    return load_config(project.config_path)


def sync(config: Config, **kwargs: Any) -> Result:
    """A sync whose result's warnings are its own: the plan it makes is seen by ``show``, so
    its warnings are not repeated there (see plansync.apply)."""
    kwargs.setdefault("show", lambda _plan: None)
    result = plansync.apply(config, **kwargs)
    assert result is not None
    assert result.ok, [str(e) for e in result.errors]
    return result


def fresh_plan(config: Config) -> Plan:
    return plansync.plan(config)


def notes_of(project: ExampleProject, config: Config) -> list[Note]:
    return scan_vault(project.vault, policy=config.acceptance).notes


def routed(project: ExampleProject, config: Config) -> list[tuple[Note, Item]]:
    """Accepted action items (the example's rule takes every accepted action, and only those)."""
    assert all(r.match.kind == ["action"] for r in config.rules)
    assert not config.rules[-1].match.tags_any
    return [
        (note, item)
        for note in notes_of(project, config)
        for item in note.items
        if item.accepted and item.kind == "action"
    ]


def searches(app: JiraSandbox) -> int:
    """Issue searches sent (user searches are not issue searches)."""
    routes = app.stats()["by_route"].items()
    return sum(n for route, n in routes if "/search" in route and "/user/" not in route)


def summary_of(plan: Plan, **nonzero: int) -> dict[str, int]:
    return {action: nonzero.get(action, 0) for action in ACTIONS}


def item_line(project: ExampleProject, note: str, line: int) -> str:
    path = project.vault / note
    return path.read_bytes().split(b"\n")[line - 1].decode("utf-8", "surrogateescape")


def item_with(project: ExampleProject, config: Config, text: str) -> tuple[Note, Item]:
    found = [(n, i) for n in notes_of(project, config) for i in n.items if text in i.text]
    assert len(found) == 1, found
    return found[0]


def synced_item(project: ExampleProject, text: str) -> tuple[Config, Note, Item, str]:
    """The project synced once, and the item whose text holds ``text``, with its Jira key."""
    config = config_of(project)
    sync(config)
    note, item = item_with(project, config, text)
    return config, note, item, item.keys["jira"]


def expected_assignee(config: Config, owner: str | None, app: JiraSandbox) -> str | None:
    """The sandbox user an owner maps to through the config's e-mails, in the mode's id form."""
    if owner is None:
        return None
    entry = config.users.get(owner)
    email = config.myself if owner == "Myself" else (entry.email if entry else None)
    user = next((u for u in USERS if u.email == email), None)
    if user is None:
        return None
    return user.account_id if app.mode == "cloud" else user.name


def assignee_of(issue: dict[str, Any], app: JiraSandbox) -> str | None:
    assignee = issue["fields"]["assignee"]
    if assignee is None:
        return None
    return assignee["accountId" if app.mode == "cloud" else "name"]


def jira_put(project: ExampleProject, key: str, fields: dict[str, Any]) -> None:
    """Someone edits the issue in Jira."""
    answer = requests.put(
        f"{project.url}/rest/api/2/issue/{key}",
        json={"fields": fields},
        auth=("tomer@example.com", "token"),
        timeout=10,
    )
    assert answer.status_code == 204, answer.text


# ---- the first sync and the second ---------------------------------------------------------


@both_modes
def test_first_sync_creates_one_issue_per_item_and_writes_keys_back(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, app = example_project, example_project.app
    config = config_of(project)
    before = routed(project, config)
    assert len(before) >= 20
    originals = {
        (note.path, item.line): item_line(project, note.path, item.line) for note, item in before
    }
    files_before = {p: p.read_bytes() for p in project.vault.rglob("*.md")}

    waits: list[float] = []
    monkeypatch.setattr("plansync.engine.steps.journal.time.sleep", waits.append)
    result = sync(config)

    issues = project.issues()
    assert len(issues) == len(before) == result.applied["create"] == len(result.created)
    # One search to plan, one to look the ids up before creating; no waiting for them.
    assert searches(app) <= 2 * math.ceil(len(before) / 100)
    assert waits == []  # nothing was waited for: no dead run's creates to look for

    after = {(n.path, i.line): (n, i) for n, i in routed(project, config)}
    assert set(after) == set(originals)
    keys = set()
    assigned = 0
    for note, old in before:
        _, new = after[(note.path, old.line)]
        # The Tasks fields read the same; the line gained an id and a key.
        assert {f: getattr(new, f) for f in TASK_FIELDS} == {
            f: getattr(old, f) for f in TASK_FIELDS
        }
        assert new.block_id and new.block_id.startswith("ps-")
        key = new.keys["jira"]
        keys.add(key)
        issue = issues[key]
        fields = issue["fields"]
        assert fields["summary"] == old.text
        assert fields["duedate"] == (old.due.isoformat() if old.due else None)
        assert (fields["priority"] or {}).get("name") == PRIORITY_NAMES[old.priority]
        assert sorted(fields["labels"]) == sorted(["plansync", new.block_id])
        expected_user = expected_assignee(config, old.owner, app)
        assert assignee_of(issue, app) == expected_user, (old.owner, key)
        assigned += expected_user is not None
        link = note_linker(config)(note.path, new.block_id)
        assert note.title and note.title in fields["description"]
        assert link in fields["description"]
        assert [(r["globalId"], r["object"]["url"]) for r in issue["remotelinks"]] == [
            (f"plansync:{new.block_id}", link)
        ]
        category = fields["status"]["statusCategory"]["key"]
        wanted = {"x": "done", "X": "done", "/": "indeterminate"}.get(old.status, "new")
        assert category == wanted, key

        # Byte-wise: the original line, the key link inserted before the fields, the id at the end.
        line = item_line(project, note.path, old.line)
        original = originals[(note.path, old.line)]
        key_link = f"[{key}]({project.url}/browse/{key})"
        assert line.count(key_link) == 1
        at = line.index(key_link)
        assert line[:at] + line[at + len(key_link) + 1 :] == f"{original} ^{new.block_id}"
        if "📅" in line:
            assert at < line.index("📅")
    assert len(keys) == len(before)
    assert assigned >= 5  # @Myself at least

    # Nothing but item lines changed, byte for byte.
    changed_lines = {(path, line) for path, line in originals}
    for path, data in files_before.items():
        relative = path.relative_to(project.vault).as_posix()
        old_lines, new_lines = data.split(b"\n"), path.read_bytes().split(b"\n")
        assert len(old_lines) == len(new_lines)
        for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=True), start=1):
            if (relative, number) not in changed_lines:
                assert a == b, (relative, number)


@both_modes
def test_a_first_sync_looks_up_no_id_it_has_just_drawn(example_project: ExampleProject) -> None:
    """A fresh id is on no line yet, so no record can carry it: searching for it costs one
    search per hundred items on every first plan (or large import) and finds nothing."""
    project, app = example_project, example_project.app
    config = config_of(project)
    app.reset_stats()
    first = fresh_plan(config)
    assert first.summary["create"] == len(routed(project, config))
    assert searches(app) == 0
    sync(config)
    assert searches(app) == 0


@both_modes
def test_second_sync_plans_nothing_and_searches_once_per_hundred(
    example_project: ExampleProject,
) -> None:
    project, app = example_project, example_project.app
    config = config_of(project)
    sync(config)
    items = len(routed(project, config))
    notes = {p: p.read_bytes() for p in project.vault.rglob("*.md")}

    app.reset_stats()
    again = fresh_plan(config)
    assert not again.has_changes
    assert again.changes == []
    assert again.summary == summary_of(again)
    assert searches(app) <= math.ceil(items / 100)

    app.reset_stats()
    result = sync(config)
    assert sum(result.applied.values()) == 0
    assert searches(app) <= math.ceil(items / 100)
    assert app.stats()["by_route"].keys() <= {
        "POST /rest/api/2/search/jql",
        "POST /rest/api/2/search",
        "GET /rest/api/2/user/search",
    }
    assert {p: p.read_bytes() for p in project.vault.rglob("*.md")} == notes


# ---- one side changes ----------------------------------------------------------------------

RUNBOOK = "Write the runbook for changing object-lock retention"


class SyncedLine(NamedTuple):
    config: Config
    note: Note
    item: Item
    key: str
    path: Path
    line: str
    url: str
    """The URL of the line's key link."""


def synced_line(project: ExampleProject, text: str = RUNBOOK) -> SyncedLine:
    """The project synced once, and the line of the item whose text holds ``text``, with its
    Jira key and the URL of its key link."""
    config, note, item, key = synced_item(project, text)
    line = item_line(project, note.path, item.line)
    url = line.split(f"[{key}](")[1].split(")")[0]
    return SyncedLine(config, note, item, key, project.vault / note.path, line, url)


PUBLISH = "Publish the revised tiering cost model"


@both_modes
def test_every_phase_of_a_sync_reports_its_progress(example_project: ExampleProject) -> None:
    """A first sync of a thousand items spends most of its time on remote links (one request
    each), yet only creates reported progress: the CLI went silent for the rest of the run.
    So were planning and writing ids and keys into the notes (a user test: ~21 s and ~9 s of
    silence in a sync of 2,000 notes), each step now reported from its start to its end."""
    project = example_project
    config = config_of(project)
    reported: list[tuple[str, int, int]] = []
    result = sync(config, progress=lambda step, done, total: reported.append((step, done, total)))
    steps = list(dict.fromkeys(step for step, _, _ in reported))
    assert steps == [
        "reading notes",
        "checking ids in notes",
        "planning for Jira",
        "writing ids into notes",
        "create in jira",
        "writing keys into notes",
        "link in jira",
        "transition in jira",
    ]
    for step in steps:
        done = [(d, total) for s, d, total in reported if s == step]
        total = done[0][1]
        assert done[0] == (0, total) and done[-1] == (total, total), (step, done)
    for action in ("create", "link", "transition"):
        assert (f"{action} in jira", 0, result.applied[action]) in reported, reported
    written = len(result.notes_written)
    assert ("writing ids into notes", written, written) in reported
    assert ("writing keys into notes", written, written) in reported
    documented(steps)

    config, note, _, _ = synced_item(project, RUNBOOK)
    replace_once(project.vault / note.path, "📅 2025-11-10 🔼", "📅 2025-11-24 🔼")
    reported.clear()
    sync(config, progress=lambda step, done, total: reported.append((step, done, total)))
    notes, ids = reported[0][2], reported[4][2]
    assert reported == [
        ("reading notes", 0, notes),
        ("reading notes", notes, notes),
        ("checking ids in notes", 0, notes),
        ("checking ids in notes", notes, notes),
        ("reading keys in lines", 0, ids),
        ("reading keys in lines", ids, ids),
        ("looking up ids in Jira", 0, ids),
        ("looking up ids in Jira", ids, ids),
        ("planning for Jira", 0, ids),
        ("planning for Jira", ids, ids),
        ("update in jira", 0, 1),
        ("update in jira", 1, 1),
    ]
    documented([step for step, _, _ in reported])


def documented(steps: list[str]) -> None:
    """Each step a progress callback hears is listed where a library caller reads of them (the
    steps were named only in the README's benchmark notes, a user test)."""
    listed = plansync.progress.__doc__ or ""
    assert [step for step in steps if f"``{step}``" not in listed] == []


def test_planning_and_writing_into_notes_report_a_batch_at_a_time(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planning, and writing ids and keys into the notes, report before each batch as the
    backend steps do: a line at a step's start and end alone left the seconds between them
    silent."""
    monkeypatch.setattr(plansync.engine.plan, "ITEMS_AT_ONCE", 5)
    monkeypatch.setattr(plansync.engine.steps.notes, "NOTES_AT_ONCE", 2)
    reported: list[tuple[str, int, int]] = []
    result = sync(
        config_of(example_project),
        progress=lambda step, done, total: reported.append((step, done, total)),
    )
    written = len(result.notes_written)
    items = result.applied["create"]
    assert written > 2 and items > 5

    def of(step: str, every: int, total: int) -> list[tuple[str, int, int]]:
        return [(step, done, total) for done in [*range(0, total, every), total]]

    for step, every, total in [
        ("planning for Jira", 5, items),
        ("writing ids into notes", 2, written),
        ("writing keys into notes", 2, written),
    ]:
        assert [report for report in reported if report[0] == step] == of(step, every, total)


def test_a_plan_looks_ids_up_a_chunk_at_a_time_and_reports_how_far_it_got(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look-ups of a large vault took most of its plan's time, with no word on stderr."""
    config = config_of(example_project)
    sync(config)
    whole = fresh_plan(config)
    monkeypatch.setattr(plansync.engine.plan, "LOOK_UP_AT_ONCE", 10)
    reported: list[tuple[str, int, int]] = []
    chunked = plansync.sync.plan(
        config, progress=lambda step, done, total: reported.append((step, done, total))
    )
    looked_up = [report for report in reported if report[0] == "looking up ids in Jira"]
    total = looked_up[-1][2]
    assert total > 20
    steps = [("looking up ids in Jira", done, total) for done in range(0, total, 10)]
    assert looked_up == [*steps, ("looking up ids in Jira", total, total)]
    assert chunked.summary == whole.summary and not chunked.has_changes


def test_a_due_date_edited_in_the_note_is_one_update(example_project: ExampleProject) -> None:
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    replace_once(project.vault / note.path, "📅 2025-11-10 🔼", "📅 2025-11-24 🔼")

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, update=1)
    (change,) = plan.changes
    assert (change.action, change.key, change.item.line) == ("update", key, item.line)
    assert change.fields == {"due": {"old": "2025-11-10", "new": "2025-11-24"}}

    result = sync(config, plan=plan)
    assert result.applied == {"update": 1}
    assert project.issues()[key]["fields"]["duedate"] == "2025-11-24"
    assert not fresh_plan(config).has_changes


@pytest.mark.parametrize("typo", ["2025-11-40", "TBD", "2025-02-29"])
def test_a_due_date_that_cannot_be_read_leaves_the_issue_s_date_alone(
    example_project: ExampleProject, typo: str
) -> None:
    """A typo in a synced line's date planned "due: 2025-11-10 -> (none)", and a sync cleared
    the issue's date: DESIGN says nothing is sent as a date. Not compared while it cannot be
    read, the date stays in Jira and in the base, so the fixed line is a plain update."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    replace_once(path, "📅 2025-11-10 🔼", f"📅 {typo} 🔼")

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan) and not plan.changes
    why = "not YYYY-MM-DD" if typo == "TBD" else "no day of the calendar"
    assert (
        f"{note.path}:{item.line}: due date is {typo!r}, {why}; read as no due date,"
        " and none is sent: Jira and Salesforce keep the date they have"
    ) in plan.warnings
    sync(config)
    assert project.issues()[key]["fields"]["duedate"] == "2025-11-10"

    replace_once(path, f"📅 {typo} 🔼", "📅 2025-11-24 🔼")
    (change,) = fresh_plan(config).changes
    assert (change.action, change.key) == ("update", key)
    assert change.fields == {"due": {"old": "2025-11-10", "new": "2025-11-24"}}


def test_an_item_whose_due_date_cannot_be_read_is_created_with_none_then_given_it(
    example_project: ExampleProject,
) -> None:
    """A new item with 📅 TBD gets an issue without a due date (nothing is sent as one); the
    date written later is sent as an update."""
    project = example_project
    config = config_of(project)
    sync(config)
    note = project.vault / "hallway.md"
    note.write_text("- [ ] Book the room @Dana Okafor 📅 2025-12-41\n", "utf-8")
    (create,) = [c for c in fresh_plan(config).changes if c.action == "create"]
    assert create.item.note == "hallway.md" and "due" not in create.fields
    sync(config)
    _, item = item_with(project, config, "Book the room")
    assert item.unreadable_dates == ("due",)
    key = item.keys["jira"]
    assert project.issues()[key]["fields"]["duedate"] is None

    replace_once(note, "📅 2025-12-41", "📅 2025-12-14")
    (change,) = fresh_plan(config).changes
    assert (change.action, change.key) == ("update", key)
    assert change.fields == {"due": {"old": None, "new": "2025-12-14"}}


def showing_due(project: ExampleProject) -> Config:
    """The example config, its Jira rule's summary and description showing the due date."""
    text = project.config_path.read_text("utf-8")
    summary = 'summary = "{text}{due:? (due {due})}"\ndescription = "{text}, due {due}."'
    project.config_path.write_text(text.replace('# summary = "{text}"', summary, 1), "utf-8")
    return config_of(project)


def test_a_summary_showing_a_due_date_that_cannot_be_read_keeps_the_issues_text(
    example_project: ExampleProject,
) -> None:
    """A template that shows {due} was filled in without the date once the line's date could
    not be read, and the sync rewrote the issue's summary and description without it (the
    due date itself was kept). Now neither is updated, a text edit neither, and a warning
    names the line and the fields; once the line gives a date, both are updated with it."""
    project = example_project
    config = showing_due(project)
    sync(config)
    note, item = item_with(project, config, RUNBOOK)
    key = item.keys["jira"]
    fields = project.issues()[key]["fields"]
    summary, description = fields["summary"], fields["description"]
    assert summary.endswith(" (due 2025-11-10)") and description.endswith(", due 2025-11-10.")
    path = project.vault / note.path
    replace_once(path, "📅 2025-11-10 🔼", "📅 2025-11-40 🔼")
    replace_once(path, "on live buckets", "on live buckets now")

    plan = fresh_plan(config)
    assert not plan.changes, plan.changes
    said = (
        f"{note.path}:{item.line}: the due date cannot be read: {key}'s summary and"
        " description, which show {due}, are kept as in Jira, and updated once the line"
        " gives one"
    )
    assert said in plan.warnings
    assert f"warning: {said}" in render_plan(plan).splitlines()
    sync(config)
    assert project.issues()[key]["fields"] == fields

    replace_once(path, "📅 2025-11-40 🔼", "📅 2025-11-24 🔼")
    (change,) = fresh_plan(config).changes
    assert (change.action, change.key) == ("update", key)
    now = f"{RUNBOOK} on live buckets now"
    assert change.fields == {
        "summary": {"old": summary, "new": f"{now} (due 2025-11-24)"},
        "description": {"old": description, "new": f"{now}, due 2025-11-24."},
        "due": {"old": "2025-11-10", "new": "2025-11-24"},
    }


def test_a_new_issue_whose_summary_shows_a_due_date_that_cannot_be_read_is_made_without_it(
    example_project: ExampleProject,
) -> None:
    """Jira needs a summary, so a new issue cannot wait for the date: it is made showing none,
    the plan says so, and the date written later is an update of the summary too."""
    project = example_project
    config = showing_due(project)
    sync(config)
    note = project.vault / "hallway.md"
    note.write_text("- [ ] Book the room @Dana Okafor 📅 2025-12-41\n", "utf-8")
    plan = fresh_plan(config)
    (create,) = [c for c in plan.changes if c.action == "create"]
    assert (create.fields["summary"], create.fields["description"]) == (
        "Book the room",
        "Book the room, due .",
    )
    assert (
        "hallway.md:1: the due date cannot be read: the new Jira record's summary and"
        " description, which show {due}, are made without it, and updated once the line"
        " gives one"
    ) in plan.warnings
    sync(config, plan=plan)
    _, item = item_with(project, config, "Book the room")
    key = item.keys["jira"]

    replace_once(note, "📅 2025-12-41", "📅 2025-12-14")
    (change,) = fresh_plan(config).changes
    assert change.fields == {
        "summary": {"old": "Book the room", "new": "Book the room (due 2025-12-14)"},
        "description": {"old": "Book the room, due .", "new": "Book the room, due 2025-12-14."},
        "due": {"old": None, "new": "2025-12-14"},
    }
    sync(config)
    assert project.issues()[key]["fields"]["summary"] == "Book the room (due 2025-12-14)"


def assert_checking_transitions(
    project: ExampleProject, checkbox: str, category: str, status: str
) -> None:
    """The runbook item synced, then checked ``checkbox``: one transition to ``category``,
    which leaves its issue in the closed ``status``, and nothing more to do."""
    config, note, item, _ = synced_item(project, RUNBOOK)
    check(project, note, " ", checkbox)

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, transition=1)
    assert plan.changes[0].fields == {"status": {"old": "new", "new": category}}
    sync(config, plan=plan)
    moved = project.issues()[item.keys["jira"]]["fields"]["status"]
    assert (moved["name"], moved["statusCategory"]["key"]) == (status, "done")
    assert not fresh_plan(config).has_changes


@pytest.mark.parametrize("accepted", ['[" ", "/", "x", "X"]', '[" ", "/"]'])
def test_checking_an_item_done_transitions_to_done(
    example_project: ExampleProject, accepted: str
) -> None:
    """Also where the config accepts only open items (so that work done in the meeting gets
    no ticket): a synced item checked done still closes its record."""
    project = example_project
    default = 'accepted_statuses = [" ", "/", "x", "X"]'
    replace_once(project.config_path, default, f"accepted_statuses = {accepted}")
    assert_checking_transitions(project, "x", "done", "Done")


@pytest.mark.parametrize("checkbox", ["-", "c"])
def test_cancelling_an_item_takes_the_cancel_transition(
    example_project: ExampleProject, checkbox: str
) -> None:
    """By `[-]`, or by a character the config adds to the cancelled ones."""
    project = example_project
    replace_once(
        project.config_path, "[acceptance]\n", '[acceptance]\ncancelled_statuses = ["-", "c"]\n'
    )
    assert_checking_transitions(project, checkbox, "cancelled", "Won't Do")


@pytest.mark.parametrize(
    ("before", "after", "in_jira", "status"),
    [(" ", "x", "31", "Done"), (" ", "-", "41", "Won't Do"), ("x", " ", "11", "To Do")],
)
def test_a_transition_to_where_the_issue_is_already_is_done_and_learnt(
    example_project: ExampleProject, before: str, after: str, in_jira: str, status: str
) -> None:
    """The issue was moved in Jira (by hand, or by another clone of the vault syncing) after
    the plan was made: no transition led to the status it is in, and the sync failed with
    "no transition of PLAN-n fits 'done'" where there was nothing left to do."""
    project = example_project
    config, note, _, key = synced_item(project, RUNBOOK)
    if before != " ":
        check(project, note, " ", before)
        sync(config)
    check(project, note, before, after)
    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, transition=1)
    jira_transition(project, key, in_jira)

    result = sync(config, plan=plan)
    assert result.applied == {"transition": 1}
    [outcome] = result.outcomes
    word = {"x": "done", "-": "cancelled", " ": "open"}[after]
    assert (outcome.status, outcome.message) == ("applied", f"already {word} in Jira ({status})")
    assert status_name(project, key) == status
    assert_in_sync(config)


# ---- done and cancelled: both closed to Jira, not the same status -------------------------

CHECKED = {"x": "Done", "-": "Won't Do"}  # the sandbox's status for each closed checkbox


def status_name(project: ExampleProject, key: str) -> str:
    return str(project.issues()[key]["fields"]["status"]["name"])


def check(project: ExampleProject, note: Note, before: str, after: str) -> None:
    """Change the runbook item's checkbox from ``before`` to ``after`` in its note."""
    replace_once(project.vault / note.path, f"- [{before}] {RUNBOOK}", f"- [{after}] {RUNBOOK}")


def assert_in_sync(config: Config) -> None:
    again = fresh_plan(config)
    assert not again.has_changes and again.changes == [], again.changes


@pytest.mark.parametrize(("first", "then"), [("-", "x"), ("x", "-")])
def test_an_item_moved_between_done_and_cancelled_moves_its_closed_issue(
    example_project: ExampleProject, first: str, then: str
) -> None:
    """A cancelled item checked done, or a done one cancelled: the issue was closed on both
    sides, and the planner, which saw "closed" and "closed", left it in the other status.
    One transition makes it: the project's statuses are not read for it."""
    project = example_project
    config, note, _, key = synced_item(project, RUNBOOK)
    check(project, note, " ", first)
    sync(config)
    assert status_name(project, key) == CHECKED[first]
    check(project, note, first, then)

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, transition=1)
    new = "done" if then == "x" else "cancelled"
    old = "done" if first == "x" else "cancelled"
    assert (plan.changes[0].key, plan.changes[0].fields) == (
        key,
        {"status": {"old": old, "new": new}},
    )
    project.app.reset_stats()
    assert sync(config, plan=plan).warnings == []
    assert not [route for route in project.app.stats()["by_route"] if "statuses" in route]
    assert status_name(project, key) == CHECKED[then]
    assert_in_sync(config)


def test_a_closed_issue_moved_between_done_and_cancelled_in_jira_only_is_kept(
    example_project: ExampleProject,
) -> None:
    """The three-way rule, as for fields: the note kept its checkbox, so Jira's word stands;
    once the note changes, the note's does."""
    project = example_project
    config, note, _, key = synced_item(project, RUNBOOK)
    check(project, note, " ", "-")
    sync(config)
    jira_transition(project, key, "31")  # Won't Do -> Done, in Jira
    assert_in_sync(config)
    sync(config)
    assert status_name(project, key) == "Done"

    check(project, note, "-", "x")  # both sides agree now: nothing to send, the base learns
    assert_in_sync(config)
    sync(config)
    check(project, note, "x", "-")
    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, transition=1)
    sync(config, plan=plan)
    assert status_name(project, key) == "Won't Do"
    assert_in_sync(config)


@pytest.mark.parametrize("closed", ["x", "-"])
def test_a_closed_item_unchecked_reopens_its_issue_from_the_status_it_is_in(
    example_project: ExampleProject, closed: str
) -> None:
    """A cancelled one's reopen read "done" -> "reopen" in the plan and its JSON; "reopen",
    apply's word for the move, then read as a status of its own: it is "open", in both."""
    project = example_project
    config, note, _, key = synced_item(project, RUNBOOK)
    check(project, note, " ", closed)
    sync(config)
    check(project, note, closed, " ")
    plan = fresh_plan(config)
    old = "done" if closed == "x" else "cancelled"
    assert [(c.action, c.fields) for c in plan.changes] == [
        ("transition", {"status": {"old": old, "new": "reopen"}})
    ]
    assert plan.to_contract()["changes"][0]["fields"] == {"status": {"old": old, "new": "open"}}
    assert f'    status: "{old}" -> "open"' in render_plan(plan).splitlines()
    sync(config, plan=plan)
    assert status_name(project, key) == "To Do"
    assert_in_sync(config)


# ---- in progress: [/] moves the issue to In Progress ------------------------------------------


def test_an_item_marked_in_progress_moves_its_issue_there_and_back(
    example_project: ExampleProject,
) -> None:
    """``[ ]`` -> ``[/]`` took no transition (in progress read as open); the plan says where
    it goes in the checkbox's words, its JSON too (it said Jira's category keys, "new" for
    an issue in To Do). Back to ``[ ]``, it goes to To Do."""
    project = example_project
    config, note, _, key = synced_item(project, RUNBOOK)
    check(project, note, " ", "/")
    plan = fresh_plan(config)
    assert [(c.action, c.key, c.fields) for c in plan.changes] == [
        ("transition", key, {"status": {"old": "new", "new": "indeterminate"}})
    ]
    assert '    status: "open" -> "in progress"' in render_plan(plan).splitlines()
    assert plan.to_contract()["changes"][0]["fields"] == {
        "status": {"old": "open", "new": "in progress"}
    }
    sync(config, plan=plan)
    assert status_name(project, key) == "In Progress"
    assert_in_sync(config)

    check(project, note, "/", " ")
    plan = fresh_plan(config)
    assert [c.fields for c in plan.changes] == [
        {"status": {"old": "indeterminate", "new": "reopen"}}
    ]
    sync(config, plan=plan)
    assert status_name(project, key) == "To Do"
    assert_in_sync(config)


def test_a_closed_item_marked_in_progress_reopens_its_issue_into_in_progress(
    example_project: ExampleProject,
) -> None:
    project = example_project
    config, note, _, key = synced_item(project, RUNBOOK)
    check(project, note, " ", "x")
    sync(config)
    check(project, note, "x", "/")
    plan = fresh_plan(config)
    assert [c.fields for c in plan.changes] == [{"status": {"old": "done", "new": "indeterminate"}}]
    sync(config, plan=plan)
    assert status_name(project, key) == "In Progress"
    assert_in_sync(config)


def test_an_issue_moved_to_in_progress_in_jira_only_is_neither_moved_nor_listed(
    example_project: ExampleProject,
) -> None:
    """``[ ]`` says open, which an issue started in Jira is: nothing is sent, and the plan lists
    nothing as kept (a team moving issues along would see each at every plan); the note then
    saying ``[/]`` too, only the base learns it."""
    project = example_project
    config, note, _, key = synced_item(project, RUNBOOK)
    jira_transition(project, key, "21")  # To Do -> In Progress, in Jira
    plan = fresh_plan(config)
    assert (plan.changes, plan.kept) == ([], [])
    sync(config, plan=plan)
    assert status_name(project, key) == "In Progress"
    check(project, note, " ", "/")
    plan = fresh_plan(config)
    assert (plan.changes, plan.kept) == ([], [])
    sync(config, plan=plan)
    assert_in_sync(config)
    assert status_name(project, key) == "In Progress"


def test_an_in_progress_item_whose_issue_was_closed_in_jira_keeps_it_closed(
    example_project: ExampleProject,
) -> None:
    """A close in Jira outweighs a move between ``[ ]`` and ``[/]`` in the note: kept, never
    a conflict asked at every sync. The plan said "changed in Jira only", and its
    ``kept_records`` overruled nothing, as if the note had not moved: it says the note's
    move is outweighed, and overrules the status, as ``[sync.conflicts]`` keeping Jira's
    would (a store from before plansync knew in progress says "new" for a ``[/]`` line,
    read as a move here as it is when the upgrade sends it)."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    jira_transition(project, key, "31")  # closed in Jira
    check(project, note, " ", "/")
    plan = fresh_plan(config)
    assert not plan.changes
    assert plan.kept == [
        f"{key} ({note.path}:{item.line}): status (now done) (and in the note, to in progress:"
        " a close outweighs it) changed in Jira since the last sync; kept, not sent from the note"
    ]
    assert [(r.fields, r.overruled) for r in plan.kept_records] == [(["status"], ["status"])]
    assert render_plan(plan).endswith(
        "No changes. 1 record keeps edits made in the backend (above); the rest are in sync."
    )
    sync(config, plan=plan)
    assert status_name(project, key) == "Done"
    assert fresh_plan(config).kept == plan.kept  # the note still says in progress


def test_an_issue_closed_in_jira_while_its_line_went_from_in_progress_to_open_is_overruled(
    example_project: ExampleProject,
) -> None:
    """``[/]`` to ``[ ]`` in the note, Won't Do in Jira: the close stands, and the plan says
    the note's move was outweighed, not that Jira alone changed."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    check(project, note, " ", "/")
    sync(config)
    jira_transition(project, key, "41")  # Won't Do
    check(project, note, "/", " ")
    plan = fresh_plan(config)
    assert not plan.changes
    assert plan.kept == [
        f"{key} ({note.path}:{item.line}): status (now cancelled) (and in the note, to open: a"
        " close outweighs it) changed in Jira since the last sync; kept, not sent from the note"
    ]
    assert plan.to_contract()["kept_records"][0]["overruled"] == ["status"]


def kept_by_the_config(project: ExampleProject, name: str) -> list[str]:
    """The plan's kept lines once ``[sync.conflicts]`` keeps Jira's ``name``: no change; its
    ``kept_records`` say the field was overruled."""
    project.write_config(extra=f'[sync.conflicts]\n{name} = "remote"\n')
    plan = fresh_plan(config_of(project))
    assert not plan.changes
    assert [(r.fields, r.overruled) for r in plan.kept_records] == [([name], [name])]
    return plan.kept


@pytest.mark.parametrize(("checked", "in_jira"), [("-", "31"), ("x", "41")])
def test_an_item_closed_one_way_in_the_note_and_the_other_in_jira_is_a_conflict(
    example_project: ExampleProject, checked: str, in_jira: str
) -> None:
    """Cancelled in the note while someone closed the issue as Done (or checked done while it
    went to Won't Do): the plan said "No changes"; later the note won, silently overwriting
    a teammate's "Won't Do" (a user test). Changed on both sides, it is a conflict, as a
    field's is, and ``[sync.conflicts] status`` settles it the same way."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    jira_transition(project, key, in_jira)  # 31: Done, 41: Won't Do
    check(project, note, " ", checked)
    new = "done" if checked == "x" else "cancelled"
    old = "cancelled" if checked == "x" else "done"

    plan = fresh_plan(config)
    assert [(c.action, c.key, c.fields) for c in plan.changes] == [
        ("conflict", key, {"status": {"base": "new", "note": new, "remote": old}})
    ]
    assert f"status changed in the note and in Jira since the last sync: note open -> {new}," in (
        plan.changes[0].message or ""
    )
    # One set of words, where the base and the note's said Jira's key, the remote the plan's.
    shown = {"status": {"base": "open", "note": new, "remote": old}}
    assert plan.to_contract()["changes"][0]["fields"] == shown
    sync(config, plan=plan)
    assert status_name(project, key) == {"31": "Done", "41": "Won't Do"}[in_jira]  # as it was

    assert kept_by_the_config(project, "status") == [
        f"{key} ({note.path}:{item.line}): status (now {old}) (and in the note: [sync.conflicts]"
        " keeps the backend's) changed in Jira since the last sync; kept, not sent from the note"
    ]

    project.write_config(extra='[sync.conflicts]\nstatus = "note"\n')
    config = config_of(project)
    plan = fresh_plan(config)
    assert [(c.action, c.key, c.fields) for c in plan.changes] == [
        ("transition", key, {"status": {"old": old, "new": new}})
    ]
    sync(config, plan=plan)
    assert status_name(project, key) == CHECKED[checked]
    assert_in_sync(config)


def test_a_workflow_no_transition_of_which_cancels_closes_as_done_and_cannot_cancel_a_done_issue(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Won't Do is a status of the workflow, but no transition leads there: a cancelled
    item's issue goes to Done, not planned again, nor listed as closed as done in Jira since.
    A done one cancelled has no transition to take: the move fails, saying so, and the issue
    stays in Done (it succeeded, moving nothing, and the store took the issue for cancelled);
    a person can move it, as Won't Do exists (without it, see test_simple_workflow)."""
    only_done = [t for t in TRANSITIONS if t[1] != "Won't Do"]
    monkeypatch.setattr(
        JiraSandbox,
        "_available_transitions",
        staticmethod(lambda current: [t for t, _, to in only_done if to != current]),
    )
    project = example_project
    config, note, _, key = synced_item(project, RUNBOOK)
    check(project, note, " ", "-")
    assert len(sync(config).warnings) == 1
    assert status_name(project, key) == "Done"
    assert_in_sync(config)
    assert fresh_plan(config).kept == []

    check(project, note, "-", "x")  # Done already: nothing to send, the base learns
    assert_in_sync(config)
    sync(config)
    check(project, note, "x", "-")
    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, transition=1)
    app = project.app
    app.reset_stats()
    [outcome] = plansync.apply(config, plan).outcomes
    assert not any(r.startswith("POST") and "transitions" in r for r in app.stats()["by_route"])
    assert outcome.status == "failed" and outcome.message is not None
    assert outcome.message.startswith(f"no transition of {key} fits 'cancelled' (it is in")
    assert outcome.message.endswith("or mark the line done again")
    assert status_name(project, key) == "Done"
    assert fresh_plan(config).changes == plan.changes


def test_a_cancelled_status_named_in_another_language_is_read_and_moved_by_the_config(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A German workflow: "Abbrechen" into "Abgebrochen", named nothing like a cancel. By
    name, a [-] item's issue went to Done, and the note and Jira looked in sync for good;
    with ``cancelled_status_names`` it goes to "Abgebrochen", and [x] moves it on to Done."""
    monkeypatch.setitem(STATUSES, "10002", ("Abgebrochen", "done", "10001"))
    renamed = [(t, "Abbrechen", to) if to == "10002" else (t, n, to) for t, n, to in TRANSITIONS]
    monkeypatch.setattr("plansync.sandbox.jira_app.TRANSITIONS", renamed)
    project = example_project
    replace_once(
        project.config_path, "\n[jira]\n", '\n[jira]\ncancelled_status_names = ["abgebrochen"]\n'
    )
    config, note, _, key = synced_item(project, RUNBOOK)

    for was, now, old, new, status in (
        (" ", "-", "new", "cancelled", "Abgebrochen"),
        ("-", "x", "cancelled", "done", "Done"),
    ):
        check(project, note, was, now)
        plan = fresh_plan(config)
        assert plan.summary == summary_of(plan, transition=1)
        assert plan.changes[0].fields == {"status": {"old": old, "new": new}}
        sync(config, plan=plan)
        assert status_name(project, key) == status
        assert_in_sync(config)

    check(project, note, "x", "-")
    sync(config)
    assert status_name(project, key) == "Abgebrochen"
    assert_in_sync(config)


def test_a_move_from_done_to_cancelled_lost_before_jira_made_it_is_sent_again(
    example_project: ExampleProject,
) -> None:
    """The move's status was stored as sent before it was asked for; a closed issue is in
    the done category either way, so only its status says whether the move got there."""
    project = example_project
    config, note, _, key = synced_item(project, RUNBOOK)
    check(project, note, " ", "x")
    sync(config)
    check(project, note, "x", "-")
    lost = {"drop": "before_commit", "method": "POST", "path_contains": "/transitions"}
    project.app.configure_faults({"fail_next": [lost]})
    result = plansync.apply(config)
    assert not result.ok
    assert status_name(project, key) == "Done"

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, transition=1)
    sync(config, plan=plan)
    assert status_name(project, key) == "Won't Do"
    assert_in_sync(config)


def test_a_change_made_in_jira_only_is_kept(example_project: ExampleProject) -> None:
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    jira_put(project, key, {"duedate": "2025-12-24", "summary": "Runbook (renamed in Jira)"})

    plan = fresh_plan(config)
    assert not plan.has_changes, plan.changes
    assert plan.summary == summary_of(plan)
    # Not "in sync": the plan says which record differs from its note, and that it is kept.
    [kept] = plan.kept
    assert kept.startswith(f"{key} ({note.path}:{item.line}): ")
    assert "summary, due changed in Jira only since the last sync; kept" in kept
    text = render_plan(plan)
    assert f"kept: {kept}" in text
    assert text.endswith(
        "No changes. 1 record keeps edits made in the backend only (above); the rest are in sync."
    )
    sync(config)
    fields = project.issues()[key]["fields"]
    assert (fields["duedate"], fields["summary"]) == ("2025-12-24", "Runbook (renamed in Jira)")


@pytest.mark.parametrize(("checked", "in_jira", "now"), [(" ", "31", "done"), ("-", "31", "done")])
def test_a_status_changed_in_jira_only_is_listed_as_kept(
    example_project: ExampleProject, checked: str, in_jira: str, now: str
) -> None:
    """A field changed in Jira only is listed as kept; the status was not: "No changes. The
    notes and their records are in sync", with the note open and the issue closed."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    if checked != " ":
        check(project, note, " ", checked)
        sync(config)
    jira_transition(project, key, in_jira)
    plan = fresh_plan(config)
    assert not plan.changes
    assert plan.kept == [
        f"{key} ({note.path}:{item.line}): status (now {now}) changed in Jira only since the"
        " last sync; kept, not sent from the note"
    ]
    jira_transition(project, key, "11")  # back to To Do
    if checked == " ":
        assert fresh_plan(config).kept == []


def test_a_record_changed_in_jira_only_is_one_kept_line(example_project: ExampleProject) -> None:
    """Its fields and its status together: a reviewer reads one line per record, not one for
    the fields and another for the status (a review found two)."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    jira_put(project, key, {"summary": "Runbook (renamed in Jira)"})
    jira_transition(project, key, "31")
    plan = fresh_plan(config)
    assert plan.kept == [
        f"{key} ({note.path}:{item.line}): summary, status (now done) changed in Jira only"
        " since the last sync; kept, not sent from the note"
    ]
    # The same as data, in the JSON: a tool read the record and its line out of the prose.
    ref = {"note": note.path, "line": item.line, "block_id": item.block_id, "text": item.text}
    assert plan.to_contract()["kept_records"] == [
        {
            "target": "jira",
            "key": key,
            "item": ref,
            "fields": ["summary", "status"],
            "overruled": [],
        }
    ]


def test_a_saved_plan_does_not_overwrite_an_edit_made_in_jira_after_it_was_saved(
    example_project: ExampleProject,
) -> None:
    """The plan's update was sent over the Jira edit, which was lost unseen. Now it is not
    sent (a warning says why), and the next plan shows the field changed on both sides."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    replace_once(path, RUNBOOK, RUNBOOK + " (v2)")
    saved = fresh_plan(config)
    assert [(c.action, c.key, set(c.fields)) for c in saved.changes] == [
        ("update", key, {"summary", "description"})
    ]
    jira_put(project, key, {"summary": "Runbook (renamed in Jira)"})

    result = plansync.apply(config, plan=saved)

    assert result.applied == {}
    [outcome] = result.outcomes
    assert (outcome.status, outcome.changed_since_plan) == ("skipped", True)
    assert (result.not_sent, result.ok) == (1, False)  # a reviewed change not carried out
    assert outcome.message == (
        "not sent: summary changed since the plan was made in Jira; `plansync.plan(config)`"
        " shows it anew"
    )
    assert result.warnings == [f"{note.path}:{item.line}: {key} {outcome.message}"]
    assert project.issues()[key]["fields"]["summary"] == "Runbook (renamed in Jira)"
    again = fresh_plan(config)  # the description changed in the note only: sent
    assert [(c.action, c.key, set(c.fields)) for c in again.changes] == [
        ("update", key, {"description"}),
        ("conflict", key, {"summary"}),
    ]


def test_a_saved_plan_whose_records_are_as_it_saw_them_is_applied(
    example_project: ExampleProject,
) -> None:
    project = example_project
    config, note, _, key = synced_item(project, RUNBOOK)
    summary = project.issues()[key]["fields"]["summary"]
    replace_once(project.vault / note.path, RUNBOOK, RUNBOOK + " (v2)")
    saved = fresh_plan(config)
    result = sync(config, plan=saved)
    assert result.applied == {"update": 1} and not result.warnings
    assert project.issues()[key]["fields"]["summary"] == summary.replace(RUNBOOK, RUNBOOK + " (v2)")
    assert_in_sync(config)


def test_a_change_on_both_sides_is_a_conflict_unless_the_config_names_a_winner(
    example_project: ExampleProject,
) -> None:
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    jira_put(project, key, {"duedate": "2025-12-24"})
    replace_once(project.vault / note.path, "📅 2025-11-10 🔼", "📅 2025-11-24 🔼")

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, conflict=1)
    (conflict,) = plan.changes
    assert conflict.key == key and conflict.item.line == item.line
    assert conflict.message and "due" in conflict.message
    assert "2025-11-24" in conflict.message and "2025-12-24" in conflict.message
    # The JSON gives the three values too, for a program that reviews the plan.
    assert plan.to_contract()["changes"][0]["fields"] == {
        "due": {"base": "2025-11-10", "note": "2025-11-24", "remote": "2025-12-24"}
    }
    assert "base" not in render_plan(plan)
    sync(config)
    assert project.issues()[key]["fields"]["duedate"] == "2025-12-24"

    assert kept_by_the_config(project, "due") == [  # Jira's stands, and the plan says so
        f"{key} ({note.path}:{item.line}): due (and in the note: [sync.conflicts] keeps the"
        " backend's) changed in Jira since the last sync; kept, not sent from the note"
    ]

    project.write_config(extra='[sync.conflicts]\ndue = "note"\n')
    config = config_of(project)
    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, update=1)
    assert plan.changes[0].fields == {"due": {"old": "2025-12-24", "new": "2025-11-24"}}
    sync(config, plan=plan)
    assert project.issues()[key]["fields"]["duedate"] == "2025-11-24"
    assert not fresh_plan(config).has_changes


def test_a_field_conflict_shows_a_missing_value_as_the_plan_does_and_how_to_settle_it(
    example_project: ExampleProject,
) -> None:
    """It read "due: note '2025-11-10' -> None, Jira '2025-11-10' -> '2025-12-24'", Python's
    words, and said nothing of what to do (a user test): a missing value reads "(none)", as in
    an update, and a line under the plan says how a field conflict is settled."""
    project = example_project
    config, note, _, key = synced_item(project, RUNBOOK)
    jira_put(project, key, {"duedate": "2025-12-24"})
    replace_once(project.vault / note.path, "📅 2025-11-10 🔼", "🔼")

    plan = fresh_plan(config)
    (conflict,) = plan.changes
    assert conflict.message == (
        'changed in the note and in Jira since the last sync: due: note "2025-11-10" ->'
        ' (none), Jira "2025-11-10" -> "2025-12-24"'
    )
    text = render_plan(plan)
    assert conflict.message in text
    assert (
        "A field conflict is shown by every plan until it is settled: make the two sides agree"
        " (edit the note to the record's value, or the record to the note's), or let one side"
        " win, in the config's [sync.conflicts]: due = \"note\" sends the note's value,"
        ' due = "remote" keeps the record\'s.'
    ) in text.splitlines()
    assert "A field conflict" not in render_plan(
        fresh_plan(config).model_copy(update={"changes": []})
    )


# ---- keys and ids in the notes -------------------------------------------------------------


def test_a_key_link_deleted_by_hand_is_written_back(example_project: ExampleProject) -> None:
    project = example_project
    config, note, item, _ = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    synced = path.read_bytes()
    key = item.keys["jira"]
    replace_once(path, f"[{key}]({project.url}/browse/{key}) ", "")

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, write_back=1)
    assert plan.changes[0].fields == {"jira": {"old": None, "new": key}}
    sync(config, plan=plan)
    assert path.read_bytes() == synced
    assert len(project.issues()) == len(routed(project, config))


def test_a_key_in_the_note_that_disagrees_with_the_state_is_a_conflict(
    example_project: ExampleProject,
) -> None:
    project = example_project
    config, note, item, _ = synced_item(project, RUNBOOK)
    other = next(k for k in project.issues() if k != item.keys["jira"])
    path = project.vault / note.path
    key = item.keys["jira"]
    replace_once(
        path, f"[{key}]({project.url}/browse/{key})", f"[{other}]({project.url}/browse/{other})"
    )
    edited = path.read_bytes()

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, conflict=1)
    (conflict,) = plan.changes
    # The change concerns the synced record; the line's key is its value, and the message
    # says what to do (no command fixes "the state").
    assert conflict.key == key
    assert conflict.fields == {"key": {"base": key, "note": other, "remote": key}}
    assert conflict.message == (
        f"the line names {other}, but this item was synced to {key}: put"
        f" [{key}]({project.url}/browse/{key}) back on the line, or take the link off (sync"
        f" writes {key} back); plansync does not move an item to another record"
    )
    # A field conflict's shape, in the JSON as in the README; no [sync.conflicts] settles it.
    (shown,) = plan.to_contract()["changes"]
    assert shown["fields"] == {"key": {"base": key, "note": other, "remote": key}}
    assert "[sync.conflicts]" not in render_plan(plan, config)
    sync(config)
    assert path.read_bytes() == edited  # not silently "fixed"


def test_a_copied_line_becomes_a_new_item_with_a_new_id(example_project: ExampleProject) -> None:
    project = example_project
    config, note, item, _ = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    line = item_line(project, note.path, item.line)
    replace_once(path, line + "\n", line + "\n" + line + "\n")
    count = len(project.issues())

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, create=1, link=1, write_back=1)
    write_back = next(c for c in plan.changes if c.action == "write_back")
    assert write_back.item.line == item.line + 1
    new_id = write_back.fields["block_id"]["new"]
    assert write_back.fields["block_id"]["old"] == item.block_id != new_id
    assert any("copy" in w and f"^{item.block_id}" in w and new_id in w for w in plan.warnings)

    sync(config, plan=plan)
    issues = project.issues()
    assert len(issues) == count + 1
    _, copy = next((n, i) for n, i in routed(project, config) if i.block_id == new_id)
    assert copy.line == item.line + 1
    assert copy.keys["jira"] not in (item.keys["jira"], None)
    assert new_id in issues[copy.keys["jira"]]["fields"]["labels"]
    original = item_line(project, note.path, item.line)
    assert original == line
    assert not fresh_plan(config).has_changes


REWORDED = "Write the rollback guide for object-lock retention"
COPIES = {
    # case: (the line above, the line below, which of them keeps the id)
    "edited copy above": ("reworded", "synced", 1),
    "edited copy below": ("synced", "reworded", 0),
    "both edited": ("reworded", "due moved", 0),
    "identical copy above": ("synced", "synced", 0),
}


@pytest.mark.parametrize("case", list(COPIES))
def test_of_a_line_and_its_copy_the_one_still_as_synced_keeps_the_id(
    example_project: ExampleProject, case: str
) -> None:
    """A synced line copied, pasted above and reworded into a new task took the original's
    issue (renamed, its due date moved), while the untouched original became a new issue:
    the first of two lines with one id kept it. The line that still makes the issue as last
    synced keeps it; where both or neither do, the first, as before. An identical copy above
    the original keeps the id: the two lines cannot be told apart, and either is the issue's."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    line = item_line(project, note.path, item.line)
    edits = {
        "synced": line,
        "reworded": line.replace(RUNBOOK, REWORDED),
        "due moved": line.replace("📅 2025-11-10", "📅 2025-11-24"),
    }
    above, below, keeper = COPIES[case]
    lines = [edits[above], edits[below]]
    replace_once(path, line + "\n", "".join(f"{text}\n" for text in lines))
    copy_at = item.line + 1 - keeper

    plan = fresh_plan(config)
    assert [c.item.line for c in plan.changes if c.action == "create"] == [copy_at]
    write_back = next(c for c in plan.changes if c.action == "write_back")
    assert write_back.item.line == copy_at
    assert write_back.fields["block_id"]["old"] == item.block_id
    updates = {c.key: c.fields for c in plan.changes if c.action == "update"}
    assert updates == ({key: updates[key]} if lines[keeper] != line else {}), updates
    sync(config, plan=plan)

    at = {i.line: i for i in scan_items(config, note.path)}
    kept, copy = at[item.line + keeper], at[copy_at]
    assert (kept.block_id, kept.keys["jira"]) == (item.block_id, key)
    assert item_line(project, note.path, kept.line) == lines[keeper]
    assert copy.block_id != item.block_id and copy.keys["jira"] not in (key, None)
    issues = project.issues()
    assert issues[key]["fields"]["summary"] == kept.text
    assert issues[copy.keys["jira"]]["fields"]["summary"] == copy.text
    assert not fresh_plan(config).has_changes


def test_of_a_line_and_its_copy_in_a_note_renamed_since_the_one_still_as_synced_keeps_the_id(
    example_project: ExampleProject,
) -> None:
    """Neither line is in the note the id was synced from (the note renamed in the edit that
    pasted the copy): the line that still makes the issue as last synced keeps it all the
    same, not the first line that carries its key (the reworded copy above it)."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    line = item_line(project, note.path, item.line)
    replace_once(path, line + "\n", f"{line.replace(RUNBOOK, REWORDED)}\n{line}\n")
    renamed = path.rename(path.with_name(f"renamed {path.name}"))

    plan = fresh_plan(config)
    assert [c.item.line for c in plan.changes if c.action == "create"] == [item.line]
    assert [c for c in plan.changes if c.key == key and "summary" in c.fields] == []
    sync(config, plan=plan)
    kept = {i.line: i for i in scan_items(config, renamed.name)}[item.line + 1]
    assert (kept.block_id, kept.keys["jira"]) == (item.block_id, key)
    assert project.issues()[key]["fields"]["summary"] == kept.text


def test_an_item_whose_line_cannot_hold_a_block_id_is_a_warning_not_a_record(
    example_project: ExampleProject,
) -> None:
    """An empty checkbox line reads back no block id ("- [ ] ^id" is text), so each sync wrote
    one more into it and created its record again; a line separator stops Obsidian Tasks
    before the id; a line ending in two carriage returns holds one where write-back reads it
    (it planned the item, then failed to write its id at every sync); an item of fields only
    had its id written and then no summary Jira would take. Each is left alone, with a
    warning, and nothing is created: one warning a line, the note's own of a lone carriage
    return saying it all for its line."""
    project = example_project
    config = config_of(project)
    note = project.vault / "odd-items.md"
    text = (
        "# Odd items\n\n- [ ] \n- [ ] Check\u2028the plan\n- [ ] Tags only #task\n"
        "- [ ] Two carriage returns\r\r\n- [ ] @Tomer \U0001f4c5 2025-10-27 #task\n"
    )
    note.write_bytes(text.encode())
    sync(config)
    plan = fresh_plan(config)
    assert not plan.has_changes
    assert [w for w in plan.warnings if w.startswith("odd-items.md")] == [
        "odd-items.md:6: holds a lone carriage return (classic Mac line endings): Obsidian"
        " Tasks, and plansync with it, reads nothing after one on a line, so tasks after it are"
        " not read; save the note with LF or CRLF line endings",
        "odd-items.md:3: the item has no text to hold its block id; write some to sync it",
        "odd-items.md:4: the line holds a line separator (U+2028, U+2029 or a carriage return),"
        " where Obsidian Tasks stops reading it; remove it to sync this item",
        "odd-items.md:7: the item has no text to name its record by (only an owner, fields or"
        " tags); write some to sync it",
    ]
    sync(config)
    after = note.read_bytes().decode().split("\n")
    assert after[2:4] == ["- [ ] ", "- [ ] Check\u2028the plan"]
    assert after[4].startswith("- [ ] Tags only [PLAN-")
    assert after[5:7] == [
        "- [ ] Two carriage returns\r\r",
        "- [ ] @Tomer \U0001f4c5 2025-10-27 #task",
    ]


def test_an_item_of_fields_only_syncs_when_the_summary_template_gives_it_words(
    example_project: ExampleProject,
) -> None:
    """Refused with "no text to name its record by" under any template, as if its summary
    could only be its text."""
    project = example_project
    replace_once(project.config_path, '# summary = "{text}"', 'summary = "{note_title}: {text}"')
    config = config_of(project)
    note = project.vault / "odd-items.md"
    note.write_bytes("# Odd items\n\n- [ ] @Tomer \U0001f4c5 2025-10-27 #task\n".encode())
    plan = fresh_plan(config)
    assert not [w for w in plan.warnings if "no text" in w]
    sync(config, plan=plan)
    (item,) = [i for n in notes_of(project, config) if n.path == "odd-items.md" for i in n.items]
    assert project.issues()[item.keys["jira"]]["fields"]["summary"] == "Odd items:"


def test_accepted_items_no_rule_takes_are_named_not_passed_over_as_in_sync(
    example_project: ExampleProject,
) -> None:
    """A rule whose match takes nothing (a tag typo) planned nothing and said "in sync"."""
    project = example_project
    replace_once(
        project.config_path, 'kind = ["action"]', 'kind = ["action"]\ntags_any = ["#nosuch"]'
    )
    config = config_of(project)
    plan = fresh_plan(config)
    assert not plan.changes
    accepted = [
        (note.path, item.line)
        for note in notes_of(project, config)
        for item in note.items
        if item.accepted and item.kind == "action"  # the kind the rule is for
    ]
    assert len(accepted) > 3
    assert [(item.note, item.line) for item in plan.unrouted] == accepted
    first = ", ".join(f"{path}:{line}" for path, line in accepted[:3])
    assert (
        f"{len(accepted)} accepted items are sent nowhere: no rule takes them ({first} and"
        f" {len(accepted) - 3} more)."
    ) in render_plan(plan)


def test_accepted_items_of_a_kind_no_rule_is_for_are_not_named(
    example_project: ExampleProject,
) -> None:
    """The default rules take actions only: accepted decisions going nowhere is what the
    config says, and naming them at every plan was noise (a review)."""
    project = example_project
    config = config_of(project)
    decisions = [
        i for n in notes_of(project, config) for i in n.items if i.accepted and i.kind == "decision"
    ]
    assert decisions
    sync(config)
    assert fresh_plan(config).unrouted == []


@pytest.mark.parametrize("site", ["127.0.0.1", "localhost"])
def test_a_lost_state_store_is_rebuilt_without_creating_anything(
    example_project: ExampleProject, site: str
) -> None:
    """Nor rewriting a note: a key link that spells the site another way than the backend's
    URL (localhost for 127.0.0.1) stays as written, as the plan says (a user test found
    every line rewritten, under "only the state store learns it")."""
    project = example_project
    config = config_of(project)
    sync(config)
    issues = project.issues()
    for path in project.vault.rglob("*.md"):
        path.write_bytes(path.read_bytes().replace(b"//127.0.0.1:", f"//{site}:".encode()))
    notes = {p: p.read_bytes() for p in project.vault.rglob("*.md")}
    for file in project.state_db.parent.glob("state.db*"):
        file.unlink()

    plan = fresh_plan(config)
    assert plan.summary["create"] == 0 and plan.summary["conflict"] == 0
    result = sync(config, plan=plan)
    assert "create" not in result.applied
    after = project.issues()
    assert after.keys() == issues.keys()
    for key, issue in after.items():
        assert len(issue["remotelinks"]) == 1, key  # upserted by globalId, not added twice
        assert issue["fields"]["labels"] == issues[key]["fields"]["labels"]
    assert {p: p.read_bytes() for p in project.vault.rglob("*.md")} == notes
    assert not fresh_plan(config).has_changes
    records = len(routed(project, config))
    with plansync.engine.run_lock.open_state(config.state_dir, lock=False) as state:
        assert len(state.records("jira")) == records


def test_a_key_write_back_that_fails_names_the_key_made_in_the_run(
    example_project: ExampleProject,
) -> None:
    """The plan could only say "known after create"; the error and outcome said no key, where
    the user most needs it: to find the issue the line was not given (a review)."""
    project = example_project
    path = project.vault / "hallway.md"
    path.write_text("# Hallway\n\n- [ ] Book the review room #task\n", "utf-8")

    def edit_the_line(step: str) -> None:
        if step == "created":  # the issue exists; its key is not yet in the line
            path.write_text("# Hallway\n\nThe room is booked.\n", "utf-8")

    result = plansync.apply(config_of(project), checkpoint=edit_the_line)
    [error] = [e for e in result.errors if e.note == "hallway.md"]
    made = {i["fields"]["summary"]: k for k, i in project.issues().items()}
    key = made["Book the review room"]
    assert (error.action, error.key) == ("write back", key)
    [outcome] = [
        o for o in result.outcomes if o.item.note == "hallway.md" and o.action == "write_back"
    ]
    assert (outcome.status, outcome.key) == ("failed", key)


def test_a_rule_that_now_makes_another_issue_type_says_the_issue_keeps_its_own(
    example_project: ExampleProject,
) -> None:
    """As a rule that routes to another project does: silence left the user to wonder why
    the issues stayed Tasks (a user test)."""
    project = example_project
    synced_item(project, RUNBOOK)
    replace_once(project.config_path, 'issue_type = "Task"', 'issue_type = "Bug"')
    plan = fresh_plan(config_of(project))
    assert not plan.has_changes
    # Once for the rule, not once an item (see test_rule_typos), naming its first issues.
    issues = len(project.issues())
    assert (
        f"rules[0] now makes {issues} items a Bug, but their Jira issues (PLAN-1, PLAN-2, PLAN-3"
        f" and {issues - 3} more) are a Task; plansync does not change an issue's type and keeps"
        " syncing them as they are"
    ) in plan.warnings


def test_a_record_found_with_no_base_is_moved_where_its_checkbox_says_in_one_sync(
    example_project: ExampleProject,
) -> None:
    """With no base (the state store lost, or the record forgotten and routed to again), the
    record is made as the line says, its status as its fields: an issue closed in Jira while
    its line stayed open was reopened only by the second sync (a user test)."""
    project = example_project
    config, _, _, key = synced_item(project, RUNBOOK)
    jira_transition(project, key, "31")  # Done
    for file in project.state_db.parent.glob("state.db*"):
        file.unlink()

    plan = fresh_plan(config)
    assert ("transition", key, {"status": {"old": "done", "new": "reopen"}}) in [
        (c.action, c.key, c.fields) for c in plan.changes
    ]
    sync(config, plan=plan)
    assert status_name(project, key) == "To Do"
    assert_in_sync(config)


def test_an_item_removed_from_a_note_is_an_orphan_left_alone(
    example_project: ExampleProject,
) -> None:
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    before = project.issues()[key]
    line = item_line(project, note.path, item.line)
    replace_once(project.vault / note.path, line + "\n", "")

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, orphan=1)
    assert not plan.has_changes
    (orphan,) = plan.changes
    assert (orphan.key, orphan.item.note, orphan.item.block_id) == (key, note.path, item.block_id)
    assert (orphan.item.line, orphan.item.text) == (0, item.text)  # no line now; the text synced
    assert "left alone" in (orphan.message or "")
    sync(config)
    assert project.issues()[key] == before

    (project.vault / note.path).unlink()
    plan = fresh_plan(config)
    orphans = [c for c in plan.changes if c.action == "orphan"]
    tracked = [c for c in plan.changes if c.item.note == note.path]
    assert orphans == tracked and len(orphans) == 3  # the removed item and the note's other two
    assert all("its note is gone" in (c.message or "") for c in orphans)
    sync(config)
    assert project.issues()[key] == before


def test_with_orphans_cancel_a_deleted_line_cancels_its_issue_once(
    example_project: ExampleProject,
) -> None:
    project = example_project
    project.write_config('[sync]\norphans = "cancel"\n')
    config, note, item, key = synced_item(project, RUNBOOK)
    replace_once(project.vault / note.path, item_line(project, note.path, item.line) + "\n", "")

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, transition=1)
    (change,) = plan.changes
    assert (change.key, change.item.note, change.item.block_id) == (key, note.path, item.block_id)
    assert (change.item.line, change.item.text) == (0, item.text)  # no line now; the text synced
    assert change.fields == {"status": {"old": "new", "new": "cancelled"}}
    assert "its line is gone from the note; cancelled" in (change.message or "")
    assert "its line is gone from the note; cancelled" in render_plan(plan)
    sync(config, plan=plan)
    status = project.issues()[key]["fields"]["status"]
    assert (status["name"], status["statusCategory"]["key"]) == ("Won't Do", "done")

    again = fresh_plan(config)  # cancelled once: reported from now on, a reopen in Jira stands
    assert [(c.action, c.key) for c in again.changes] == [("orphan", key)]
    assert not again.has_changes
    # Not "left alone", which every plan after the cancel said (a user test): it was cancelled.
    forget = config.caller.command("forget", key)
    assert again.changes[0].message == (
        f"{key}: its line is gone from the note; a sync cancelled it; `{forget}` stops this report"
    )
    assert forgettable(again.changes[0])
    jira_transition(project, key, "11")  # reopened in Jira: the reopen stands
    reopened = fresh_plan(config)
    assert [(c.action, c.key) for c in reopened.changes] == [("orphan", key)]
    assert reopened.changes[0].message == (
        f"{key}: its line is gone from the note; a sync cancelled it, and it was reopened in"
        " Jira since: left alone"
    )


def test_an_orphans_cancel_that_fails_is_its_notes_error_not_a_whole_calls(
    example_project: ExampleProject,
) -> None:
    """Its line is gone (line 0 in the plan), and the error's line 0 read as a whole call's:
    the sync said it stopped early, and named no note."""
    project = example_project
    project.write_config('[sync]\norphans = "cancel"\n')
    config, note, item, key = synced_item(project, RUNBOOK)
    replace_once(project.vault / note.path, item_line(project, note.path, item.line) + "\n", "")
    refused = {"status": 400, "method": "POST", "path_contains": "/transitions"}
    project.app.configure_faults({"fail_next": [refused]})
    result = plansync.apply(config)
    assert result is not None
    (error,) = result.errors
    assert not error.whole_call
    assert (error.note, error.line, error.key) == (note.path, None, key)
    assert str(error).startswith(f"{note.path}: jira transition {key} failed: ")


def test_with_orphans_cancel_an_issue_a_line_still_links_to_is_left_and_says_why(
    example_project: ExampleProject,
) -> None:
    """Its line deleted, another task mentioning it: never cancelled, as any key a line names,
    and the orphan said only "left alone"."""
    project = example_project
    project.write_config('[sync]\norphans = "cancel"\n')
    config, note, _, key, _, line, url = synced_line(project)
    task = f"- [ ] Check [{key}]({url}) with Dana @Myself 📅 2025-11-20"
    replace_once(project.vault / note.path, line + "\n", task + "\n")

    plan = fresh_plan(config)
    (orphan,) = [c for c in plan.changes if c.key == key]
    assert orphan.action == "orphan"
    assert f"(a line links to {key}, so it is never cancelled: if that is its line, put" in (
        orphan.message or ""
    )
    (create,) = [c for c in plan.changes if c.action == "create"]
    assert create.fields["summary"] == f"Check {key} with Dana"


@pytest.mark.parametrize(
    "how", ["note deleted", "note emptied", "checkbox taken off", "orphans reported"]
)
def test_orphans_that_are_never_cancelled(example_project: ExampleProject, how: str) -> None:
    """A note that is gone or left with no items (a sync client's accident as often as a
    person's) never closes its tickets, nor does a line that is there but no item any more
    (its checkbox, or the global filter, taken off); nor anything without `orphans = "cancel"`."""
    project = example_project
    if how != "orphans reported":
        project.write_config('[sync]\norphans = "cancel"\n')
    config, note, item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    if how == "note deleted":
        path.unlink()
    elif how == "note emptied":
        path.write_text("---\ntitle: Weekly sync\n---\n", encoding="utf-8")
    elif how == "checkbox taken off":
        replace_once(path, f"- [ ] {RUNBOOK}", f"- {RUNBOOK}")
    else:
        replace_once(path, item_line(project, note.path, item.line) + "\n", "")
    before = project.issues()
    plan = fresh_plan(config)
    assert plan.changes and {c.action for c in plan.changes} == {"orphan"}
    assert key in {c.key for c in plan.changes}
    if how == "checkbox taken off":
        [orphan] = [c for c in plan.changes if c.key == key]
        assert f"its line (^{item.block_id}) is still in the note, but no item" in (
            orphan.message or ""
        )
    sync(config, plan=plan)
    assert project.issues() == before


def test_a_line_deleted_while_the_plan_looks_records_up_is_judged_on_the_bytes_it_read(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether an orphan's id still ends a line of its note is decided on the bytes the plan
    read and fingerprinted: the note read again after the look-ups (a line deleted meanwhile)
    planned a cancel that the plan's own notes did not call for."""
    project = example_project
    project.write_config('[sync]\norphans = "cancel"\n')
    config, note, item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    replace_once(path, f"- [ ] {RUNBOOK}", f"- {RUNBOOK}")  # still there, no item any more
    line = item_line(project, note.path, item.line)
    look_up = plansync.engine.plan.Planner._look_up

    def deleting_the_line(planner: Any, *args: Any) -> Any:
        if line in path.read_text(encoding="utf-8"):
            replace_once(path, line + "\n", "")
        return look_up(planner, *args)

    monkeypatch.setattr(plansync.engine.plan.Planner, "_look_up", deleting_the_line)
    plan = fresh_plan(config)
    [orphan] = [c for c in plan.changes if c.key == key]
    assert orphan.action == "orphan"
    assert f"its line (^{item.block_id}) is still in the note" in (orphan.message or "")


BENCHMARK = "Benchmark erasure-coding rebuild times"
ARCHIVE = "Archive/2025-10.md"


def move_line_into(project: ExampleProject, note: Note, item: Item, to: str) -> None:
    """Cut the item's line from its note and paste it into ``to`` (made if need be) under a
    heading, after a line that is not UTF-8 (a note the scan never decodes)."""
    line = item_line(project, note.path, item.line)
    replace_once(project.vault / note.path, line + "\n", "")
    path = project.vault / to
    path.parent.mkdir(parents=True, exist_ok=True)
    before = path.read_bytes() if path.exists() else b"# Archive\n\nIt\x92s old.\n"
    path.write_bytes(before + line.encode("utf-8", "surrogateescape") + b"\n")


def read_no_archive(project: ExampleProject, extra: str = "") -> None:
    """Write the config (``extra`` TOML appended) with ``Archive/**`` the one folder it excludes."""
    project.write_config(extra)
    replace_once(
        project.config_path,
        'exclude = ["**/templates/**", "**/Templates/**"]',
        'exclude = ["Archive/**"]',
    )


@pytest.mark.parametrize("unread", ["excluded", "outside include", "excluded, id in capitals"])
def test_with_orphans_cancel_a_line_moved_into_a_note_not_read_is_left_alone(
    example_project: ExampleProject, unread: str
) -> None:
    """Archiving an item (its line, block id and all, moved into a note ``vault.exclude``
    names or ``vault.include`` leaves out) is no deletion: its issue stays open, and the plan
    says where the line went. Its id in capitals is the same id (Jira's label is lower case)."""
    project = example_project
    globs = (
        'exclude = ["templates/**", "Archive/**"]'
        if unread != "outside include"
        else 'include = ["*.md"]\nexclude = ["**/templates/**", "**/Templates/**"]'
    )
    project.write_config('[sync]\norphans = "cancel"\n')
    replace_once(
        project.config_path,
        'include = ["**/*.md"]\nexclude = ["**/templates/**", "**/Templates/**"]',
        globs,
    )
    config, note, item, key = synced_item(project, RUNBOOK)
    move_line_into(project, note, item, ARCHIVE)
    if unread == "excluded, id in capitals":
        replace_once(project.vault / ARCHIVE, f"^{item.block_id}", f"^{item.block_id}".upper())
    before = project.issues()[key]

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, orphan=1)
    (orphan,) = plan.changes
    assert (orphan.key, orphan.item.note, orphan.item.block_id) == (key, note.path, item.block_id)
    globs = (
        "vault.include '*.md' does not take it"
        if unread == "outside include"
        else "vault.exclude 'Archive/**' takes it"  # of the globs, the one that does
    )
    why = f"{key}: its line is now in {ARCHIVE}, which is not read by the config ({globs})"
    why += "; left alone"
    assert orphan.message == why
    assert why in render_plan(plan)
    sync(config, plan=plan)
    assert project.issues()[key] == before
    assert [c.message for c in fresh_plan(config).changes] == [why]  # and at every plan after


@pytest.mark.parametrize(
    ("moved", "excluding"),
    [
        ("templates/", "templates/**"),
        ("templates/", "templates"),
        ("templates/", "/templates"),
        ("Archive/", "templates/**"),
        ("binary", "templates/**"),
    ],
)
def test_a_note_moved_where_the_config_does_not_read_it_is_not_gone(
    example_project: ExampleProject, moved: str, excluding: str
) -> None:
    """``git mv`` of a synced note into an excluded folder reported each of its records as
    "its note is gone" (a user test): the plan says where their lines are now, and why that
    note is not read. A note deleted for good is still gone. A folder excluded by its name
    (``templates``, as in a .gitignore) is one the config does not read, not a note the scan
    skipped; one excluded from the root (``/templates``) too, which excluded nothing."""
    project = example_project
    read_no_archive(project)
    replace_once(project.config_path, 'exclude = ["Archive/**"]', f'exclude = ["{excluding}"]')
    replace_once(project.config_path, 'include = ["**/*.md"]', 'include = ["*.md", "templates/*"]')
    config, note, _item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    # Into a folder the globs leave out, or beside it as a note the scan skips (a NUL byte).
    to = f"copy-{path.name}" if moved == "binary" else f"{moved}{path.name}"
    (project.vault / to).parent.mkdir(exist_ok=True)
    (project.vault / to).write_bytes(path.read_bytes() + (b"\x00" if moved == "binary" else b""))
    path.unlink()

    plans: list[Plan] = []
    opened = opens_under((project.vault / to).parent, lambda: plans.append(fresh_plan(config)))
    if moved != "binary":  # the scan reads the vault's root
        assert opened == 1  # one look for the lines of every record of the note
    orphans = [c for c in plans[0].changes if c.item.note == note.path]
    assert orphans and all(c.action == "orphan" for c in orphans)
    why = {
        "templates/": f"is not read by the config (vault.exclude {excluding!r} takes it)",
        "Archive/": "is not read by the config (none of vault.include '*.md', 'templates/*'"
        " takes it)",
        "binary": "was not read (binary file; skipped)",
    }[moved]
    for change in orphans:
        assert change.message == f"{change.key}: its line is now in {to}, which {why}; left alone"
    assert key in {c.key for c in orphans}
    (project.vault / to).unlink()
    orphans = [c for c in fresh_plan(config).changes if c.item.note == note.path]
    assert orphans and all(c.message == f"{c.key}: its note is gone; left alone" for c in orphans)


def test_a_note_moved_into_a_folder_excluded_by_its_name_is_said_to_be_excluded(
    example_project: ExampleProject,
) -> None:
    """``exclude = ["Archive"]`` leaves out the folder's notes, as a line of a .gitignore does,
    but the plan asked the globs without that rule and said a note moved there "was not read
    (skipped)": the scan and the plan now ask one function."""
    project = example_project
    replace_once(
        project.config_path,
        'exclude = ["**/templates/**", "**/Templates/**"]',
        'exclude = ["Archive"]',
    )
    config, note, _item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    (project.vault / "Archive").mkdir()
    path.rename(project.vault / "Archive" / path.name)

    orphans = [c for c in fresh_plan(config).changes if c.item.note == note.path]
    assert key in {c.key for c in orphans}
    why = f"its line is now in Archive/{path.name}, which is not read by the config"
    why += " (vault.exclude 'Archive' takes it)"
    for change in orphans:
        assert change.message == f"{change.key}: {why}; left alone"


def test_a_gone_note_whose_line_is_in_a_read_note_as_no_item_says_that_note_was_read(
    example_project: ExampleProject,
) -> None:
    """The note renamed and the line's checkbox taken off: the plan said the line "is now in
    renamed.md, which was not read (skipped)", though the scan read renamed.md."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    line = item_line(project, note.path, item.line)
    replace_once(path, line, line.replace("- [ ] ", "- ", 1))
    path.rename(path.with_name("renamed.md"))

    [orphan] = [c for c in fresh_plan(config).changes if c.key == key]
    assert orphan.message == (
        f"{key}: its line (^{item.block_id}) is in renamed.md, but no item plansync reads"
        f" {NO_ITEM_WHY}; left alone"
    )
    assert not orphan.line_may_be_back  # a line in a read note is no item: forget takes it


@pytest.mark.parametrize("end", ["", "\u00a0"], ids=["plain", "no-break space after the id"])
def test_with_orphans_cancel_a_line_moved_into_another_note_as_no_item_is_left_alone(
    example_project: ExampleProject, end: str
) -> None:
    """A line moved, id and all, into another note the scan reads, but as a plain bullet (its
    checkbox taken off on the way), is no deletion, as the same line left in its own note
    without its checkbox is none: the issue stays open, and the plan says where the line is.
    A no-break space after the id (where earlier versions could write it) is still its end."""
    project = example_project
    project.write_config('[sync]\norphans = "cancel"\n')
    config, note, item, key = synced_item(project, RUNBOOK)
    other = next(n for n in notes_of(project, config) if n.path != note.path)
    line = item_line(project, note.path, item.line)
    assert line.startswith("- [ ] ")
    move_line_into(project, note, item, other.path)
    replace_once(project.vault / other.path, line, "- " + line.removeprefix("- [ ] ") + end)
    before = project.issues()[key]

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, orphan=1)
    (orphan,) = plan.changes
    why = (
        f"{key}: its line (^{item.block_id}) is in {other.path}, but no item plansync reads"
        " (its checkbox or the global filter taken off, or the line now in code?);"
        " left alone"
    )
    assert orphan.message == why
    sync(config, plan=plan)
    assert project.issues()[key] == before


@pytest.mark.parametrize("cut", ["to nowhere", "into .trash/", "into a huge note"])
def test_with_orphans_cancel_a_line_deleted_outright_is_cancelled_beside_a_moved_one(
    example_project: ExampleProject, cut: str
) -> None:
    """In the plan that leaves an archived line's issue alone, a line deleted outright still
    cancels its issue; so does one cut into what the scan never looks at (a hidden folder,
    Obsidian's trash) or into a note over its size limit."""
    project = example_project
    read_no_archive(project, '[sync]\norphans = "cancel"\n')
    config, note, item, key = synced_item(project, RUNBOOK)
    _, deleted = item_with(project, config, BENCHMARK)
    deleted_key = deleted.keys["jira"]
    move_line_into(project, note, item, ARCHIVE)
    if cut == "to nowhere":
        replace_once(project.vault / note.path, item_line(project, note.path, deleted.line), "")
    elif cut == "into .trash/":
        move_line_into(project, note, deleted, ".trash/2025-10.md")
    else:
        huge = project.vault / "Archive/huge.md"
        huge.write_bytes(b"x" * (5 * 1024 * 1024) + b"\n")
        move_line_into(project, note, deleted, "Archive/huge.md")

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, transition=1, orphan=1)
    by_key = {c.key: c for c in plan.changes}
    assert by_key[key].action == "orphan"
    assert by_key[deleted_key].action == "transition"
    assert "its line is gone from the note; cancelled" in (by_key[deleted_key].message or "")
    sync(config, plan=plan)
    issues = project.issues()
    assert issues[key]["fields"]["status"]["statusCategory"]["key"] == "new"
    assert issues[deleted_key]["fields"]["status"]["name"] == "Won't Do"


WEEKLY = "weekly-cloud-program-sync"


def restored_after_a_sync(
    project: ExampleProject, orphans: str = "cancel"
) -> tuple[Config, Path, str]:
    """The project synced once (``orphans`` as given), then the weekly note put back to its
    text from before that sync (a git checkout, a backup): its lines' ids and keys are gone.
    The config, the note, and its text as the sync left it."""
    project.write_config(f'[sync]\norphans = "{orphans}"\n')
    config = config_of(project)
    path = project.note(WEEKLY)
    before = path.read_bytes()
    sync(config)
    synced = path.read_text(encoding="utf-8")
    path.write_bytes(before)
    return config, path, synced


def synced_keys(config: Config, note: str) -> list[tuple[str, str, str]]:
    """The note's records in the state store: (text as synced, block id, Jira key)."""
    with plansync.engine.run_lock.open_state(config.state_dir, lock=False) as state:
        records = state.records("jira").values()
        return [(r.fields["summary"], r.block_id, r.key) for r in records if r.note_path == note]


@pytest.mark.parametrize("orphans", ["cancel", "report"])
def test_a_note_put_back_to_its_text_before_the_sync_gets_its_ids_and_keys_back(
    example_project: ExampleProject, orphans: str
) -> None:
    """No issue created again, none cancelled or reported as an orphan: each line is the one
    synced as its record, by its text, and gets the id and key link the sync wrote back."""
    project = example_project
    config, path, synced = restored_after_a_sync(project, orphans)
    issues = project.issues()
    keys = {text: (block_id, key) for text, block_id, key in synced_keys(config, path.name)}
    assert len(keys) == 3

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, write_back=3)
    for change in plan.changes:
        block_id, key = keys[change.item.text]
        assert (change.key, change.item.block_id) == (key, block_id)
        assert change.fields == {
            "block_id": {"old": None, "new": block_id},
            "jira": {"old": None, "new": key},
        }
        said = f"the line regains ^{block_id}, the id of {key} it was synced as"
        assert said in (change.message or "") and said in render_plan(plan)
    assert [c["message"] for c in plan.to_contract()["changes"]] == [
        c.message for c in plan.changes
    ]
    sync(config, plan=plan)
    assert path.read_text(encoding="utf-8") == synced
    assert project.issues() == issues
    again = fresh_plan(config)
    assert again.changes == [] and not again.has_changes


def test_a_restored_line_older_than_its_record_reopens_nothing(
    example_project: ExampleProject,
) -> None:
    """The line was ticked and its issue closed at a later sync; the note put back to text from
    before both has it open again. That older checkbox is not the note's new word: the line is
    not taken for its record (whose issue stays done), and is a new item, as before."""
    project = example_project
    project.write_config('[sync]\norphans = "report"\n')
    config = config_of(project)
    path = project.note(WEEKLY)
    before = path.read_bytes()
    sync(config)
    [key] = [k for t, _, k in synced_keys(config, path.name) if RUNBOOK in t]
    replace_once(path, f"- [ ] {RUNBOOK}", f"- [x] {RUNBOOK}")
    sync(config)
    path.write_bytes(before)

    plan = fresh_plan(config)
    assert not [c for c in plan.changes if c.key == key and c.action != "orphan"]
    assert [c.fields["summary"] for c in plan.changes if c.action == "create"] == [
        RUNBOOK + " on live buckets"
    ]
    readopted = {c.key for c in plan.changes if "regains" in (c.message or "")}
    assert readopted == {k for t, _, k in synced_keys(config, path.name) if RUNBOOK not in t}


def test_a_restored_line_without_the_owner_given_since_gets_its_id_back_and_is_unassigned(
    example_project: ExampleProject,
) -> None:
    """Synced with no owner, given one (its issue assigned) at a later sync, then the note put
    back to text from before both: the line is its record's still, its owner the plan's to
    change as any other edit (unassigned), and not a new item beside an orphan."""
    project = example_project
    project.write_config('[sync]\norphans = "report"\n')
    # A description without {owner}: the owner shows in no field but the assignee.
    replace_once(
        project.config_path,
        'labels = ["plansync"]\n',
        'labels = ["plansync"]\ndescription = "{text}"\n',
    )
    config = config_of(project)
    path = project.note(WEEKLY)
    replace_once(path, f"{RUNBOOK} on live buckets @Dana Okafor ", f"{RUNBOOK} on live buckets ")
    before = path.read_bytes()
    sync(config)
    [(block_id, key)] = [(b, k) for t, b, k in synced_keys(config, path.name) if RUNBOOK in t]
    replace_once(path, f"{RUNBOOK} on live buckets ", f"{RUNBOOK} on live buckets @Dana Okafor ")
    sync(config)
    assert project.issues()[key]["fields"]["assignee"] is not None
    path.write_bytes(before)

    plan = fresh_plan(config)
    assert not [c for c in plan.changes if c.action in ("create", "orphan")]
    regained, unassigned = [c for c in plan.changes if c.key == key]
    assert regained.action == "write_back" and regained.item.block_id == block_id
    assert f"the line regains ^{block_id}" in (regained.message or "")
    assert unassigned.action == "update" and unassigned.fields["assignee"]["new"] is None


def test_a_line_that_lost_its_id_beside_an_identical_line_that_lost_its_key_gets_it_back(
    example_project: ExampleProject,
) -> None:
    """Two identical lines, each synced with its issue; one loses its id and key link, the
    other its key link only. The first makes either issue as synced, but the other's id still
    ends a line: it is the line whose id is on no line, and gets that back rather than a third
    issue; the other gets its key back."""
    project = example_project
    config = config_of(project)
    path = project.vault / "2025-11-21-twins.md"
    path.write_text("# Twins\n\n" + "- [ ] Call the vendor about the rails #task\n" * 2, "utf-8")
    sync(config)
    first, second = scan_items(config, path.name)
    assert first.block_id and second.block_id and first.keys["jira"] != second.keys["jira"]
    lines = path.read_text("utf-8").split("\n")
    lines[first.line - 1] = f"- [ ] Call the vendor about the rails #task ^{first.block_id}"
    lines[second.line - 1] = "- [ ] Call the vendor about the rails #task"
    path.write_text("\n".join(lines), "utf-8")

    plan = fresh_plan(config)
    assert [c.action for c in plan.changes] == ["write_back", "write_back"]
    back = {c.key: c for c in plan.changes}
    assert back[first.keys["jira"]].fields == {"jira": {"old": None, "new": first.keys["jira"]}}
    assert f"the line regains ^{second.block_id}" in (back[second.keys["jira"]].message or "")


def test_a_restored_line_proposed_again_leaves_its_record_alone_under_orphans_cancel(
    example_project: ExampleProject,
) -> None:
    """The note put back to text from before its review, or written again by its generator:
    the line is there, reading as synced, but proposed (``[?]``) and without its id. Its
    issue was cancelled as if the line had been deleted; it is reported, naming the line."""
    project = example_project
    config, path, _ = restored_after_a_sync(project, "cancel")
    [key] = [k for t, _, k in synced_keys(config, path.name) if RUNBOOK in t]
    replace_once(path, f"- [ ] {RUNBOOK}", f"- [?] {RUNBOOK}")
    lines = path.read_text("utf-8").split("\n")
    line = next(number for number, text in enumerate(lines, 1) if RUNBOOK in text)

    plan = fresh_plan(config)
    [orphan] = [c for c in plan.changes if c.key == key]
    assert (orphan.action, orphan.message) == (
        "orphan",
        f"{key}: line {line} of its note has its text but not its id (the note put back to"
        f" older text, or written again?): if it is its line, put ^{orphan.item.block_id} back"
        " at its end; left alone",
    )
    assert not [c for c in plan.changes if c.action in ("create", "transition")]


@pytest.mark.parametrize("orphans", ["report", "cancel"])
def test_a_restored_line_ticked_since_is_warned_of_and_its_orphan_keeps_the_hint(
    example_project: ExampleProject, orphans: str
) -> None:
    """A user test: the note written again (the line proposed, ``[?]``, without its id and key),
    then the reviewer ticks it ``[x]``, as it is done. The line is unlike its record as last
    synced (open), so it is a new item, as the rule says; but the plan said its record's line
    was gone, losing the hint to put the id back exactly when a second issue was about to be
    made. Now the create is warned of at the line, the orphan (or its cancel) names the line,
    and the id put back as they say makes the line its record's again: moved to done, nothing
    created."""
    project = example_project
    config, path, _ = restored_after_a_sync(project, orphans)
    [(block_id, key)] = [(b, k) for t, b, k in synced_keys(config, path.name) if RUNBOOK in t]
    replace_once(path, f"- [ ] {RUNBOOK}", f"- [x] {RUNBOOK}")
    lines = path.read_text("utf-8").split("\n")
    line = next(number for number, text in enumerate(lines, 1) if RUNBOOK in text)

    plan = fresh_plan(config)
    [create] = [c for c in plan.changes if c.action == "create"]
    assert (create.item.note, create.item.line) == (path.name, line)
    [warning] = [w for w in plan.warning_details if (w.note, w.line) == (path.name, line)]
    assert f"has the text of {key} (^{block_id}), whose line is gone" in warning.message
    assert f"put ^{block_id} back at its end instead" in warning.message
    assert warning.message in render_plan(plan)
    [orphan] = [c for c in plan.changes if c.key == key]
    hint = (
        f"{key}: line {line} of its note has its text but not its id, and is synced as a new"
        " item, unlike it as last synced (the note put back to older text, then edited?): if"
        f" it is its line, put ^{block_id} back at its end before syncing; "
    )
    if orphans == "report":
        assert (orphan.action, orphan.message) == ("orphan", hint + "left alone")
        assert orphan.line_may_be_back
    else:  # a line to be synced spares no cancel: it has an id of its own after this sync
        assert (orphan.action, orphan.message) == (
            "transition",
            hint + "cancelled (sync.orphans = 'cancel')",
        )
    assert "its line is gone" not in (orphan.message or "")

    replace_once(path, lines[line - 1], f"{lines[line - 1]} ^{block_id}")
    followed = fresh_plan(config)
    assert not [c for c in followed.changes if c.action in ("create", "orphan")]
    [done] = [c for c in followed.changes if c.action == "transition"]
    assert (done.key, done.fields["status"]["new"]) == (key, "done")
    assert not [w for w in followed.warning_details if w.line == line]


def test_a_new_line_named_as_a_deleted_ones_record_is_not_taken_for_it(
    example_project: ExampleProject,
) -> None:
    """Under a summary that does not hold the item's text, every record of a note has one
    name: a line deleted and another written in the same note took the deleted one's issue
    by it. Its words differ (in the description), so it is a new item."""
    project = example_project
    project.write_config('[sync]\norphans = "cancel"\n')
    replace_once(project.config_path, '# summary = "{text}"', 'summary = "From {note_title}"')
    config = config_of(project)
    sync(config)
    path = project.note(WEEKLY)
    [line] = [line for line in path.read_text("utf-8").split("\n") if RUNBOOK in line]
    replace_once(path, line, "- [ ] Order new laptops for the platform team")

    plan = fresh_plan(config)
    assert not [c for c in plan.changes if "regains" in (c.message or "")]
    assert [
        c.fields["description"].split("\n")[0] for c in plan.changes if c.action == "create"
    ] == ["Order new laptops for the platform team"]


def double_line(project: ExampleProject, text: str) -> None:
    """Double the line whose item's text holds ``text``, as a paste would."""
    note, item = item_with(project, config_of(project), text)
    line = item_line(project, note.path, item.line)
    replace_once(project.vault / note.path, line + "\n", line + "\n" + line + "\n")


@pytest.mark.parametrize(
    "how",
    [
        "two lines with one text",
        "one of two lines left",
        "a line doubled since",
        "reworded as well",
    ],
)
def test_a_restored_line_that_is_not_one_records_alone_is_created_as_before(
    example_project: ExampleProject, how: str
) -> None:
    """Lines that read the same are not told apart by their text, whether each was synced as
    its own issue, one of two such lines is left, or a line was doubled since; and a line
    reworded since is not its record's by it. Each such line is a new item again, and each
    record of the text a deleted line's (cancelled): as before. The note's other lines still
    get their ids back."""
    project = example_project
    if how in ("two lines with one text", "one of two lines left"):
        double_line(project, RUNBOOK)
    config, path, _ = restored_after_a_sync(project)
    keys = synced_keys(config, path.name)
    if how == "one of two lines left":
        [line, _] = [line for line in path.read_text("utf-8").split("\n") if RUNBOOK in line]
        replace_once(path, line + "\n" + line + "\n", line + "\n")
    elif how == "a line doubled since":
        double_line(project, RUNBOOK)
    elif how == "reworded as well":
        replace_once(path, RUNBOOK, RUNBOOK.replace("the runbook", "the full runbook"))
    gone = sorted(key for text, _, key in keys if RUNBOOK in text)
    lines = path.read_text(encoding="utf-8").count("runbook for changing object-lock")

    plan = fresh_plan(config)
    creates = [c for c in plan.changes if c.action == "create"]
    assert len(creates) == lines
    assert all("runbook for changing" in c.fields["summary"] for c in creates)
    assert sorted(c.key or "" for c in plan.changes if c.action == "transition") == gone
    readopted = {c.key for c in plan.changes if "regains" in (c.message or "")}
    assert readopted == {key for text, _, key in keys if RUNBOOK not in text}
    assert plan.summary == summary_of(
        plan, create=lines, link=lines, transition=len(gone), write_back=lines + 2
    )


@pytest.mark.parametrize("where", ["archived", "kept as no item"])
def test_a_restored_line_whose_synced_line_is_still_in_the_vault_is_created_as_before(
    example_project: ExampleProject, where: str
) -> None:
    """The synced line, id and all, is still in the vault (in a note the config does not read,
    or in another note without its checkbox): its record's line is not gone, so the restored
    line is not taken for it. A new item, as before; the record left alone, not cancelled."""
    project = example_project
    config, path, synced = restored_after_a_sync(project)
    replace_once(
        project.config_path,
        'exclude = ["**/templates/**", "**/Templates/**"]',
        'exclude = ["templates/**", "Archive/**"]',
    )
    config = config_of(project)
    [(block_id, key)] = [(b, k) for t, b, k in synced_keys(config, path.name) if RUNBOOK in t]
    [line] = [line for line in synced.split("\n") if block_id in line]
    if where == "archived":
        kept, text = ARCHIVE, line
    else:
        kept, text = "kept.md", line.replace("- [ ] ", "- ")
    (project.vault / kept).parent.mkdir(exist_ok=True)
    (project.vault / kept).write_text(f"# Kept\n\n{text}\n", encoding="utf-8")

    plan = fresh_plan(config)
    assert [c.fields["summary"] for c in plan.changes if c.action == "create"] == [
        RUNBOOK + " on live buckets"
    ]
    [orphan] = [c for c in plan.changes if c.action == "orphan"]
    assert orphan.key == key and kept in (orphan.message or "")
    assert plan.summary == summary_of(plan, create=1, link=1, write_back=3, orphan=1)


_RECORDERS: list[list[str]] = []  # lists the audit hook appends opened paths to, while set


def _record_opens(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and _RECORDERS and isinstance(args[0], (str, bytes, os.PathLike)):
        for opened in _RECORDERS:
            opened.append(os.fsdecode(args[0]))


_hooked: list[bool] = []


def opens_under(folder: Path, run: Any) -> int:
    """How many times ``run()`` opens a file under ``folder`` (an audit hook sees every open,
    ``os.open`` included; hooks cannot be removed, so one is added once and idles after)."""
    if not _hooked:
        sys.addaudithook(_record_opens)
        _hooked.append(True)
    opened: list[str] = []
    _RECORDERS.append(opened)
    try:
        run()
    finally:
        _RECORDERS.remove(opened)
    return sum(Path(p).resolve().is_relative_to(folder.resolve()) for p in opened)


def test_the_notes_not_read_are_read_once_for_cancels_and_never_otherwise(
    example_project: ExampleProject,
) -> None:
    """Looking for moved lines reads every note the config leaves out, so it happens only in
    a plan that would cancel something (or with an orphan whose note is gone), once for all
    its candidates: never with ``orphans = "report"``, nor when no line was deleted."""
    project = example_project
    read_no_archive(project, '[sync]\norphans = "cancel"\n')
    config, note, item, key = synced_item(project, RUNBOOK)
    archive = project.vault / "Archive"
    archive.mkdir()
    (archive / "2025-09.md").write_text("# Archive\n\n- [x] Old #task ^ps-old001\n")
    assert opens_under(archive, lambda: fresh_plan(config)) == 0  # nothing to cancel

    _, other = item_with(project, config, BENCHMARK)
    move_line_into(project, note, item, ARCHIVE)
    move_line_into(project, note, other, ARCHIVE)
    plans: list[Plan] = []
    assert opens_under(archive, lambda: plans.append(fresh_plan(config))) == 2  # each once
    assert [c.action for c in plans[0].changes] == ["orphan", "orphan"]

    read_no_archive(project)  # orphans = "report": the same two orphans, and no note read
    config = config_of(project)
    assert opens_under(archive, lambda: plans.append(fresh_plan(config))) == 0
    assert [c.action for c in plans[1].changes] == ["orphan", "orphan"]
    assert key in {c.key for c in plans[1].changes}


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        ("binary", "its note was not read (binary file; skipped)"),
        ("excluded", "its note is not read by the config (vault.exclude {note!r} takes it)"),
    ],
)
def test_the_records_of_a_note_that_is_not_read_say_why(
    example_project: ExampleProject, edit: str, why: str
) -> None:
    """It is there, so "its line is gone from the note" (what the plan said) was not so."""
    project = example_project
    config, note, _, key = synced_item(project, RUNBOOK)
    before = project.issues()[key]
    path = project.vault / note.path
    if edit == "binary":
        path.write_bytes(b"\x00" + path.read_bytes())
    else:
        replace_once(
            project.config_path,
            'exclude = ["**/templates/**", "**/Templates/**"]',
            f"exclude = [{note.path!r}]",
        )
        config = config_of(project)
    why = why.format(note=note.path)  # the glob named is the note's path
    orphans = [c for c in fresh_plan(config).changes if c.item.note == note.path]
    assert orphans and all(c.action == "orphan" for c in orphans)
    assert all(c.message == f"{c.key}: {why}; left alone" for c in orphans)
    sync(config)
    assert project.issues()[key] == before


def test_a_400_for_one_item_names_its_line_and_the_others_are_created(
    example_project: ExampleProject,
) -> None:
    project = example_project
    bad_rule = (
        '[[rules]]\nname = "customer requests"\nproject = "PLAN"\n'
        'priority_map = { high = "Urgent" }\n[rules.match]\ntags_any = ["#rfe"]\n\n'
    )
    replace_once(project.config_path, "[[rules]]", bad_rule + "[[rules]]")
    config = config_of(project)
    note, item = item_with(project, config, "per-bucket replication lag")
    total = len(routed(project, config))

    result = plansync.apply(config)
    (error,) = result.errors
    assert (error.note, error.line, error.action) == (note.path, item.line, "create")
    assert "priority" in error.message and "Urgent" in error.message
    assert f"{note.path}:{item.line}" in str(error)
    assert len(project.issues()) == total - 1
    _, failed = item_with(project, config, "per-bucket replication lag")
    assert failed.block_id and "jira" not in failed.keys
    assert sum("jira" in i.keys for _, i in routed(project, config)) == total - 1
    plan = fresh_plan(config)
    assert plan.summary["create"] == 1


def test_a_note_that_cannot_be_written_is_reported_and_the_other_notes_sync(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One note plansync may not replace (immutable, in a read-only folder) fails its own items,
    by name; it used to raise out of the sync and leave every other note unsynced."""
    project = example_project
    config = config_of(project)
    note, _ = item_with(project, config, RUNBOOK)
    locked = project.vault / note.path
    before = locked.read_bytes()
    real_replace = os.replace

    def refused(src: str, dst: str | os.PathLike[str]) -> None:
        if Path(dst) == locked:
            raise PermissionError(1, "Operation not permitted", str(src))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refused)
    result = plansync.apply(config)
    in_locked = [i for n, i in routed(project, config) if n.path == note.path]
    others = [i for n, i in routed(project, config) if n.path != note.path]
    assert {(e.note, e.line) for e in result.errors} == {(note.path, i.line) for i in in_locked}
    assert all("cannot be written" in str(e) for e in result.errors)
    assert locked.read_bytes() == before
    assert all(i.block_id and "jira" in i.keys for i in others)
    assert len(project.issues()) == len(others), "nothing is created for an id not on disk"

    monkeypatch.setattr(os, "replace", real_replace)
    sync(config)
    assert all("jira" in i.keys for _, i in routed(project, config))
    assert len(project.issues()) == len(routed(project, config))


def test_a_user_editing_the_note_during_the_sync_keeps_the_edit(
    example_project: ExampleProject,
) -> None:
    project = example_project
    config = config_of(project)
    note, item = item_with(project, config, RUNBOOK)
    path = project.vault / note.path
    edits: list[str] = []

    def user_saves(step: str) -> None:
        if step == "ids_written" and not edits:
            edits.append(step)
            data = path.read_bytes()
            data = data.replace(b"## Summary\n", b"## Summary\n\nAdded while syncing.\n", 1)
            data = data.replace("📅 2025-11-10 🔼".encode(), "📅 2025-11-11 🔼".encode(), 1)
            path.write_bytes(data)

    sync(config, checkpoint=user_saves)
    assert edits
    text = path.read_text(encoding="utf-8")
    assert "Added while syncing." in text
    _, moved = item_with(project, config, RUNBOOK)
    assert moved.line == item.line + 2
    assert moved.due and moved.due.isoformat() == "2025-11-11"
    assert moved.block_id and "jira" in moved.keys
    assert all("jira" in i.keys for _, i in routed(project, config))
    assert len(project.issues()) == len(routed(project, config))


def test_a_renamed_note_moves_the_links_without_adding_any(
    example_project: ExampleProject,
) -> None:
    project = example_project
    config, note, _, _ = synced_item(project, RUNBOOK)
    (project.vault / "archive").mkdir()
    (project.vault / note.path).rename(project.vault / "archive" / "weekly.md")

    plan = fresh_plan(config)
    # The description names the note's path and links to the line: it follows the note.
    assert plan.summary == summary_of(plan, link=3, update=3)
    assert {name for c in plan.changes if c.action == "update" for name in c.fields} == {
        "description"
    }
    sync(config, plan=plan)
    for moved_note, item in routed(project, config):
        if moved_note.path != "archive/weekly.md":
            continue
        links = project.issues()[item.keys["jira"]]["remotelinks"]
        assert item.block_id
        assert [r["object"]["url"] for r in links] == [
            note_linker(config)("archive/weekly.md", item.block_id)
        ]
    assert not fresh_plan(config).has_changes


def remote_link_posts(app: JiraSandbox) -> int:
    return sum(n for route, n in app.stats()["by_route"].items() if "remotelink" in route)


def link_titles(project: ExampleProject, config: Config, note_path: str) -> dict[str, str]:
    """The title of each remote link to a line of the note, by issue key."""
    issues = project.issues()
    return {
        item.keys["jira"]: link["object"]["title"]
        for note, item in routed(project, config)
        if note.path == note_path
        for link in issues[item.keys["jira"]]["remotelinks"]
        if link["globalId"] == f"plansync:{item.block_id}"
    }


def test_a_retitled_note_retitles_its_links(example_project: ExampleProject) -> None:
    project = example_project
    config, note, _, _ = synced_item(project, RUNBOOK)
    assert set(link_titles(project, config, note.path).values()) == {"Weekly cloud program sync"}
    replace_once(project.vault / note.path, "title: Weekly cloud program sync", "title: Cloud sync")

    plan = fresh_plan(config)
    # The description names the meeting too; the link's URL stays, its title changes.
    assert plan.summary == summary_of(plan, link=3, update=3)
    for change in (c for c in plan.changes if c.action == "link"):
        assert change.fields["url"]["old"] == change.fields["url"]["new"]
        assert change.fields["title"] == {"old": "Weekly cloud program sync", "new": "Cloud sync"}
    sync(config, plan=plan)
    titles = link_titles(project, config, note.path)
    assert len(titles) == 3 and set(titles.values()) == {"Cloud sync"}
    assert not fresh_plan(config).changes


def test_links_synced_before_titles_were_kept_are_not_all_sent_again(
    example_project: ExampleProject,
) -> None:
    """A state from before link titles were kept: the next sync learns them without a request,
    and a title changed after that is sent."""
    project = example_project
    config = config_of(project)
    sync(config)
    with plansync.engine.run_lock.open_state(config.state_dir) as state:
        for record in state.records("jira").values():
            fields = {k: v for k, v in record.fields.items() if k != "link_title"}
            state.save(dataclasses.replace(record, fields=fields))

    plan = fresh_plan(config)
    assert not plan.changes and plan.refresh
    before = remote_link_posts(project.app)
    assert before > 0
    sync(config)
    assert remote_link_posts(project.app) == before
    with plansync.engine.run_lock.open_state(config.state_dir, lock=False) as state:
        assert all("link_title" in r.fields for r in state.records("jira").values())

    note, _ = item_with(project, config, RUNBOOK)
    replace_once(project.vault / note.path, "title: Weekly cloud program sync", "title: Cloud sync")
    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, link=3, update=3)


@pytest.mark.parametrize("jira_sandbox", ["dc"], indirect=True)
def test_data_center_with_a_personal_access_token_and_auto_detection(
    example_project: ExampleProject,
) -> None:
    project, app = example_project, example_project.app
    project.write_config(user="", deployment="auto")  # no user: the token is a bearer PAT
    config = config_of(project)
    result = sync(config)
    assert result.applied["create"] == len(routed(project, config)) == len(project.issues())
    assert app.stats()["by_route"]["GET /rest/api/2/serverInfo"] == 1
    assert "POST /rest/api/2/search/jql" not in app.stats()["by_route"]
    assert not fresh_plan(config).has_changes


@pytest.mark.parametrize("jira_sandbox", ["dc"], indirect=True)
def test_an_assignee_jira_refuses_names_the_users_entry_it_comes_from(
    example_project: ExampleProject,
) -> None:
    """A Data Center user name mistyped in [users]: "jira update PLAN-2 failed: assignee: User
    'thagay' does not exist." named the note's line, which says "@Tomer Hagay", and not the
    entry to correct (a user test). An update and a create alike."""
    project = example_project
    project.write_config(user="", deployment="dc")
    _, note, item, key = synced_item(project, RUNBOOK)
    text = project.config_path.read_text("utf-8")
    dana = '"Dana Okafor" = { email = "dana@example.com" }'
    assert text.count(dana) == 1
    project.config_path.write_text(text.replace(dana, '"Dana Okafor" = { jira = "dokafor" }'))
    line = item_line(project, note.path, item.line)  # Dana's: its summary changes too
    changed = line.replace(RUNBOOK, f"{RUNBOOK} first")
    new = "- [ ] Ask the storage team @Dana Okafor 📅 2025-11-12"
    replace_once(project.vault / note.path, line, f"{new}\n{changed}")

    result = plansync.apply(load_config(project.config_path))
    assert result is not None
    entry = '; its assignee is [users] "Dana Okafor" = { jira = "dokafor" } in the config'
    refused = "assignee: User 'dokafor' does not exist."
    [update] = [str(error) for error in result.errors if error.key == key]
    assert update == (
        f"{note.path}:{item.line + 1}: jira update {key} failed: Jira answered 400 to updating"
        f" {key}: {refused.removesuffix('.')}; fix what Jira's words name, and the next sync"
        f" sends it again{entry}"
    )
    [create] = [str(error) for error in result.errors if error.action == "create"]
    assert create == f"{note.path}:{item.line}: jira create failed: {refused}{entry}"
    assert all(str(error).endswith(entry) for error in result.errors)


def test_a_note_that_is_not_utf8_syncs_and_keeps_its_bytes(example_project: ExampleProject) -> None:
    """A Windows-1252 note (é as one byte, 0x8F with no character) is read with a warning and
    synced; its key goes in without touching the bytes around it."""
    note = example_project.vault / "2025-11-20-latin1.md"
    note.write_bytes(b"# Caf\xe9 review \x8f\n\n- [ ] R\xe9sum\xe9 the menu @Myself \xf0 #task\n")
    config = load_config(example_project.config_path)
    result = plansync.apply(config)
    assert result is not None and result.ok, result
    data = note.read_bytes()
    assert data.startswith(b"# Caf\xe9 review \x8f\n\n- [ ] R\xe9sum\xe9 the menu @Myself ")
    item = next(n for n in plansync.sync.scan(config).notes if n.path.endswith("latin1.md")).items[
        0
    ]
    assert "jira" in item.keys and item.block_id
    assert not plansync.plan(config).has_changes


@pytest.mark.parametrize("ending", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_a_windows_1252_note_with_curly_quotes_plans_nothing_after_its_sync(
    example_project: ExampleProject, ending: str
) -> None:
    """The plan after the first sync read the item's line again as Latin-1 (to find the key
    link written into it): its “” became the C1 controls U+0093 and U+0094, and every plan
    wanted to update the summary with them, and every sync sent it."""
    note = example_project.vault / "2025-11-21-cp1252.md"
    text = f"# Café – review{ending}{ending}- [ ] Café “q” – menu @Myself #task{ending}"
    note.write_bytes(text.encode("cp1252"))
    config = load_config(example_project.config_path)
    result = plansync.apply(config)
    assert result is not None and result.ok, result
    data = note.read_bytes()
    assert data.startswith(text.encode("cp1252").removesuffix(f" #task{ending}".encode()))
    summary = "Café “q” – menu"
    assert [i["fields"]["summary"] for i in example_project.issues().values()].count(summary) == 1
    again = plansync.plan(config)
    assert not again.has_changes, again.changes


def jira_transition(project: ExampleProject, key: str, transition_id: str) -> None:
    """Someone moves the issue in Jira (the sandbox: 31 Done, 11 To Do)."""
    answer = requests.post(
        f"{project.url}/rest/api/2/issue/{key}/transitions",
        json={"transition": {"id": transition_id}},
        auth=("tomer@example.com", "token"),
        timeout=10,
    )
    assert answer.status_code == 204, answer.text


def test_a_label_added_in_jira_survives_a_label_change_in_the_rules(
    example_project: ExampleProject,
) -> None:
    project = example_project
    config = config_of(project)
    sync(config)
    _, item = item_with(project, config, RUNBOOK)
    key = item.keys["jira"]
    jira_put(project, key, {"labels": [*project.issues()[key]["fields"]["labels"], "urgent"]})
    replace_once(project.config_path, 'labels = ["plansync"]', 'labels = ["plansync", "meeting"]')
    config = config_of(project)
    sync(config)
    assert {"urgent", "meeting"} <= set(project.issues()[key]["fields"]["labels"])
    again = fresh_plan(config)
    assert not again.has_changes, again.changes
    sync(config)
    assert "urgent" in project.issues()[key]["fields"]["labels"]


def test_a_label_change_in_the_rules_reaches_an_item_with_a_dashed_id_of_its_own(
    example_project: ExampleProject,
) -> None:
    """A hand-written ``^my-task`` is the label ``ps-my-task``: an update carrying it keeps
    the item's id label, and is sent."""
    project = example_project
    path = project.vault / "2025-11-03-weekly-cloud-program-sync.md"
    replace_once(path, "🔼 #task\n", "🔼 #task ^my-task\n")
    config = config_of(project)
    sync(config)
    _, item = item_with(project, config, RUNBOOK)
    key = item.keys["jira"]
    assert "ps-my-task" in project.issues()[key]["fields"]["labels"]
    replace_once(project.config_path, 'labels = ["plansync"]', 'labels = ["plansync", "meeting"]')
    config = config_of(project)
    result = sync(config)
    assert not result.errors
    assert {"ps-my-task", "meeting"} <= set(project.issues()[key]["fields"]["labels"])
    assert not fresh_plan(config).has_changes


def test_a_record_with_a_hand_written_id_another_line_made_is_not_taken_over(
    example_project: ExampleProject,
) -> None:
    """Another vault on the same Jira may use the same ``^todo1`` (Obsidian keeps ids unique
    within a note only): its record, found by the label, was adopted and its summary
    overwritten with this line's (a user test). Here the other vault's record is made by
    this one before its state store is lost and its line rewritten without the key."""
    project = example_project
    path = project.vault / "hallway.md"
    path.write_text("# Hallway\n\n- [ ] Renew the certificate #task ^todo1\n", "utf-8")
    config = config_of(project)
    sync(config)
    [key] = [k for k, i in project.issues().items() if "ps-todo1" in i["fields"]["labels"]]
    for file in project.state_db.parent.glob("state.db*"):
        file.unlink()
    path.write_text("# Hallway\n\n- [ ] Order the pizza #task ^todo1\n", "utf-8")

    plan = fresh_plan(config)
    [conflict] = [c for c in plan.changes if c.item.note == "hallway.md"]
    assert (conflict.action, conflict.key) == ("conflict", key)
    assert "another note or vault that uses the same id" in (conflict.message or "")
    assert f"[{key}](" in (conflict.message or "")
    sync(config, plan=plan)
    assert project.issues()[key]["fields"]["summary"] == "Renew the certificate"
    assert path.read_text("utf-8") == "# Hallway\n\n- [ ] Order the pizza #task ^todo1\n"


def test_a_record_with_a_hand_written_id_is_adopted_when_the_line_names_its_key(
    example_project: ExampleProject,
) -> None:
    """A lost state store (or another clone of the vault): the line carries the key it was
    synced with, so the record is this item's, and nothing is created or held."""
    project = example_project
    path = project.vault / "hallway.md"
    path.write_text("# Hallway\n\n- [ ] Renew the certificate #task ^todo1\n", "utf-8")
    config = config_of(project)
    sync(config)
    synced = path.read_bytes()
    for file in project.state_db.parent.glob("state.db*"):
        file.unlink()
    plan = fresh_plan(config)
    actions = {c.action for c in plan.changes if c.item.note == "hallway.md"}
    assert actions <= {"write_back", "link"}  # the key stored, the remote link upserted
    issues = project.issues()
    sync(config, plan=plan)
    assert project.issues().keys() == issues.keys()
    assert path.read_bytes() == synced
    assert not fresh_plan(config).has_changes


def test_done_on_both_sides_then_reopened_in_the_note_reopens_the_issue(
    example_project: ExampleProject,
) -> None:
    """Both sides agreeing on a new value moves the base; otherwise the later reopen in the
    note would look like nothing changed, and Jira would stay done."""
    project = example_project
    config, note, _item, key = synced_item(project, RUNBOOK)
    jira_transition(project, key, "31")
    path = project.vault / note.path
    replace_once(path, f"- [ ] {RUNBOOK}", f"- [x] {RUNBOOK}")
    assert not fresh_plan(config).has_changes
    sync(config)
    replace_once(path, f"- [x] {RUNBOOK}", f"- [ ] {RUNBOOK}")
    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, transition=1)
    sync(config, plan=plan)
    status = project.issues()[key]["fields"]["status"]
    assert status["statusCategory"]["key"] == "new"


def test_an_item_no_rule_takes_any_more_is_an_orphan_left_alone(
    example_project: ExampleProject,
) -> None:
    project = example_project
    config, note, _item, key = synced_item(project, RUNBOOK)
    before = project.issues()[key]
    replace_once(project.config_path, '# tags_none = ["#personal"]', 'tags_none = ["#personal"]')
    path = project.vault / note.path
    replace_once(path, f"{RUNBOOK} on live buckets @", f"{RUNBOOK} on live buckets #personal @")
    config = config_of(project)
    plan = fresh_plan(config)
    orphans = [c for c in plan.changes if c.action == "orphan"]
    assert [c.key for c in orphans] == [key]
    assert "no rule" in (orphans[0].message or "")
    assert not plan.has_changes
    sync(config)
    assert project.issues()[key]["fields"] == before["fields"]


def test_an_item_proposed_again_is_an_orphan_never_pushed(example_project: ExampleProject) -> None:
    """A generator that rewrites a synced line as proposed (``[?]``, new words, ``[x]`` taken
    off) must not reach Jira: a proposed item is never pushed."""
    project = example_project
    config, note, _item, key = synced_item(project, PUBLISH)
    before = project.issues()[key]
    assert before["fields"]["status"]["statusCategory"]["key"] == "done"
    replace_once(project.vault / note.path, f"- [x] {PUBLISH}", f"- [?] Maybe {PUBLISH}")
    plan = fresh_plan(config)
    assert [(c.action, c.key) for c in plan.changes] == [("orphan", key)]
    assert "no longer accepted" in (plan.changes[0].message or "")
    sync(config)
    assert project.issues()[key]["fields"] == before["fields"]


def test_a_copy_in_a_note_that_sorts_first_does_not_take_the_original_s_identity(
    example_project: ExampleProject,
) -> None:
    """The line that keeps a shared block id is the one in the note it was synced from."""
    project = example_project
    config, note, item, _ = synced_item(project, RUNBOOK)
    line = item_line(project, note.path, item.line)
    early = project.vault / "0000-scratch.md"  # sorts before every example note
    early.write_text(f"# Scratch\n\n{line}\n", encoding="utf-8")

    plan = fresh_plan(config)
    write_back = next(c for c in plan.changes if c.action == "write_back")
    assert write_back.item.note == "0000-scratch.md"
    assert write_back.fields["jira"]["old"] == item.keys["jira"], "the dropped key is shown"
    sync(config, plan=plan)
    assert item_line(project, note.path, item.line) == line, "the original line is untouched"
    copy = scan_items(config, "0000-scratch.md")[0]
    assert copy.block_id != item.block_id and copy.keys["jira"] != item.keys["jira"]
    assert not fresh_plan(config).has_changes


def test_a_copy_in_a_note_that_sorts_first_leaves_the_id_to_the_original_edited_since(
    example_project: ExampleProject,
) -> None:
    """Neither line makes the issue as last synced (the original's due date moved): the line
    in the note the id was synced from keeps it, not the first line of the vault carrying it."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    line = item_line(project, note.path, item.line)
    early = project.vault / "0000-scratch.md"  # sorts before every example note
    early.write_text(f"# Scratch\n\n{line}\n", encoding="utf-8")
    moved = line.replace("📅 2025-11-10", "📅 2025-11-24")
    replace_once(project.vault / note.path, line, moved)

    plan = fresh_plan(config)
    write_back = next(c for c in plan.changes if c.action == "write_back")
    assert write_back.item.note == "0000-scratch.md"
    [update] = [c for c in plan.changes if c.key == key]
    assert (update.item.note, update.fields["due"]["new"]) == (note.path, "2025-11-24")


@pytest.mark.parametrize(("first", "second"), [("Step1", "step1"), ("myref", "myref")])
def test_an_id_written_by_hand_in_two_notes_is_kept_and_only_one_line_synced(
    example_project: ExampleProject, first: str, second: str
) -> None:
    """``^Step1`` and ``^step1`` both become the label ``ps-step1``: they made two issues with
    one plansync id, and the next plan wrote the first issue's key over the second line's.
    Then the second line got a new id, as a copy does, which broke a link to it
    (``[[b#^step1]]``): Obsidian needs an id to be one line's in its note only. Now the second
    line keeps the id it was given, and is not synced, with a warning that says why."""
    project = example_project
    config = config_of(project)
    (project.vault / "a.md").write_text(f"# A\n\n- [ ] Alpha task #task ^{first}\n", "utf-8")
    (project.vault / "b.md").write_text(f"# B\n\n- [ ] Beta task #task ^{second}\n", "utf-8")
    b_note = (project.vault / "b.md").read_bytes()

    plan = fresh_plan(config)
    assert f"b.md:3: ^{second} is also the id of a line in a.md, which keeps it;" in "\n".join(
        plan.warnings
    )
    assert not [c for c in plan.changes if c.item.note == "b.md"]
    sync(config, plan=plan)
    (alpha,) = scan_items(config, "a.md")
    assert alpha.block_id == first and alpha.keys
    assert (project.vault / "b.md").read_bytes() == b_note
    labels = [i["fields"]["labels"] for i in project.issues().values()]
    assert sum(f"ps-{first.lower()}" in found for found in labels) == 1
    assert not fresh_plan(config).has_changes


def test_an_id_written_by_hand_twice_in_one_note_makes_the_second_line_a_copy(
    example_project: ExampleProject,
) -> None:
    """In one note the id links to its first line only (Obsidian), so the second is a copy, as
    one of plansync's ids would be: a new item with a new id."""
    project = example_project
    config = config_of(project)
    (project.vault / "a.md").write_text(
        "# A\n\n- [ ] Alpha task #task ^myref\n- [ ] Beta task #task ^myref\n", "utf-8"
    )
    sync(config)
    alpha, beta = scan_items(config, "a.md")
    assert alpha.block_id == "myref"
    assert beta.block_id and beta.block_id.startswith("ps-") and beta.keys != alpha.keys
    assert not fresh_plan(config).has_changes


def scan_items(config: Config, path: str) -> list[Item]:
    return next(n for n in plansync.sync.scan(config).notes if n.path == path).items


def test_a_note_whose_front_matter_breaks_is_held_back_until_it_is_fixed(
    example_project: ExampleProject,
) -> None:
    project = example_project
    config, note, _item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    before_issues = project.issues()
    replace_once(path, "📅 2025-11-10 🔼", "📅 2025-11-24 🔼")
    replace_once(path, "- Marco Bellini\n", "- Marco Bellini\n  bad: [unclosed\n")
    broken = path.read_bytes()

    plan = fresh_plan(config)
    # One conflict for the note (a person must fix it), nothing for its items, no orphans.
    assert plan.summary == summary_of(plan, conflict=1)
    (held,) = plan.changes
    assert (held.target, held.item.note, held.item.line, held.key) == ("note", note.path, 9, None)
    assert "not valid YAML (" in (held.message or "") and "hold the note" not in held.message
    assert "its 3 items are held back (nothing is created, changed or written back for them)" in (
        held.message
    )
    # The warning on the note says the same: the note is held back, not synced without it.
    (warning,) = [w for w in plan.warnings if "not valid YAML" in w]
    assert warning.endswith("; plan and sync hold the note back until it is fixed")
    assert not plan.has_changes
    sync(config)
    assert path.read_bytes() == broken
    assert project.issues() == before_issues

    replace_once(path, "  bad: [unclosed\n", "")
    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, update=1)
    assert (plan.changes[0].key, plan.changes[0].fields) == (
        key,
        {"due": {"old": "2025-11-10", "new": "2025-11-24"}},
    )


def test_a_sync_tool_s_conflict_copies_of_a_note_are_held_back_not_synced_again(
    example_project: ExampleProject,
) -> None:
    """Syncthing and Dropbox keep the losing side of a note two devices changed as a copy
    beside it. Read as notes, every accepted line of one was created again: as a copy of a
    line with an id (written back after the sync), or as a new item (the text from before)."""
    project = example_project
    before_sync = {p: p.read_bytes() for p in project.vault.glob("*.md")}
    config, note, _, _ = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    syncthing = path.with_name(f"{path.stem}.sync-conflict-20251104-101500-ABCDEF1.md")
    syncthing.write_bytes(path.read_bytes())
    dropbox = path.with_name(f"{path.stem} (Ann's conflicted copy 2025-11-04).md")
    dropbox.write_bytes(before_sync[path])
    issues = project.issues()

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, conflict=2)
    messages = {c.item.note: c.message or "" for c in plan.changes}
    for copy in (syncthing, dropbox):
        assert messages[copy.name].startswith(f"a sync tool's conflict copy of {note.path}: its")
        assert messages[copy.name].endswith("until it is merged into that note and deleted")
    sync(config)
    assert project.issues() == issues
    assert dropbox.read_bytes() == before_sync[path]

    syncthing.unlink()
    dropbox.unlink()
    assert fresh_plan(config).summary == summary_of(plan)
    named = path.with_name("Dropbox bugs (conflicted copy handling).md")
    named.write_text("- [ ] Report the conflicted copy bug @Myself\n", encoding="utf-8")
    assert fresh_plan(config).summary["create"] == 1


@pytest.mark.parametrize("reworded", [False, True], ids=["as synced", "reworded before"])
def test_a_recurring_task_s_next_occurrence_is_a_new_item_not_a_conflict(
    example_project: ExampleProject, reworded: bool
) -> None:
    """Obsidian Tasks, completing a recurring task, writes the next occurrence above it: the
    whole description, key link included, and no block id. It read as a line that names the
    key with no record carrying a fresh id: a conflict that never settled, and no issue.
    Reworded since the last sync, the line made its copy a conflict for one sync more."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    line = item_line(project, note.path, item.line)
    if reworded:
        edited = line.replace("on live buckets", "on every bucket")
        replace_once(path, line, edited)
        line = edited
    following = line.replace("📅 2025-11-10", "📅 2025-11-17").removesuffix(f" ^{item.block_id}")
    done = line.replace("- [ ] ", "- [x] ", 1)
    replace_once(path, line + "\n", f"{following}\n{done}\n")
    issues = project.issues()

    plan = fresh_plan(config)
    expected = summary_of(plan, create=1, link=1, write_back=1, transition=1, update=reworded)
    assert plan.summary == expected, render_plan(plan)
    assert f"names the key of the line with ^{item.block_id}" in " ".join(plan.warnings)
    (closed,) = [c for c in plan.changes if c.action == "transition"]
    assert closed.key == key
    sync(config, plan=plan)
    (new_key,) = set(project.issues()) - set(issues)
    written = item_line(project, note.path, item.line)
    assert new_key in written and key not in written and f"^{item.block_id}" not in written
    assert not fresh_plan(config).changes


@pytest.mark.parametrize("original", ["kept", "deleted"])
def test_a_new_task_that_links_to_a_synced_issue_in_its_text_is_a_new_item(
    example_project: ExampleProject, original: str
) -> None:
    """A link in the text, not at its end where sync writes keys, is the writer's: the task gets
    an issue of its own and keeps the link as text. It was taken for the issue's key: the task
    was a conflict never created, or, the issue's own line deleted, took the issue over."""
    project = example_project
    config, _, _, key, path, line, url = synced_line(project)
    task = f"- [ ] Review the draft of [{key}]({url}) with Dana 📅 2025-11-20"
    replace_once(path, line + "\n", (line + "\n" if original == "kept" else "") + task + "\n")
    issues = project.issues()

    plan = fresh_plan(config)
    (create,) = [c for c in plan.changes if c.action == "create"]
    assert create.fields["summary"] == f"Review the draft of {key} with Dana"
    assert not [c for c in plan.changes if c.action in ("update", "conflict")], plan.summary
    sync(config, plan=plan)
    (new_key,) = set(project.issues()) - set(issues)
    written = next(t for t in path.read_text(encoding="utf-8").splitlines() if "with Dana" in t)
    assert written.startswith(f"- [ ] Review the draft of [{key}]({url}) with Dana [{new_key}](")
    assert project.issues()[key] == issues[key]
    assert not [c for c in fresh_plan(config).changes if c.action != "orphan"]


def written_after_the_key(
    project: ExampleProject, written: str
) -> tuple[Config, Note, Item, str, str]:
    """The runbook item synced, and ``written`` typed after its key link (``{other}`` and
    ``{other_url}`` name another synced issue): the config, note, item, its key and the
    other issue's key."""
    config, note, item, key, _, _, url = synced_line(project)
    other = next(k for k in project.issues() if k != key)
    added = written.format(other=other, other_url=url.replace(key, other))
    replace_once(project.vault / note.path, f"[{key}]({url})", f"[{key}]({url}){added}")
    return config, note, item, key, other


@pytest.mark.parametrize(
    "written", [" to staging", " cc @Marco Bellini", " blocked by [{other}]({other_url})"]
)
def test_words_or_a_link_written_after_a_synced_key_keep_it(
    example_project: ExampleProject, written: str
) -> None:
    """A synced line's key followed by more (the Tasks plugin's edit box puts the cursor after
    it) is still its key: not written again, nor put into the issue's summary; and another
    ticket linked after it is text, not a conflicting key."""
    project = example_project
    config, note, item, key, other = written_after_the_key(project, written)

    plan = fresh_plan(config)
    mine = [c for c in plan.changes if c.item.block_id == item.block_id]
    assert {c.action for c in mine} <= {"update"}, [(c.action, c.message) for c in mine]
    for change in mine:
        assert key not in str(change.fields.get("summary", "")), change.fields
    sync(config, plan=plan)
    assert item_line(project, note.path, item.line).count(f"[{key}]") == 1
    assert project.issues()[key]["fields"]["summary"].startswith(RUNBOOK)
    assert not [c for c in fresh_plan(config).changes if c.item.block_id == item.block_id]
    if "blocked" in written:
        assert other in project.issues()[key]["fields"]["summary"]


@pytest.mark.parametrize("then", ["next occurrence", "copied", "id taken off"])
@pytest.mark.parametrize("written", [" to staging", " blocked by [{other}]({other_url})"])
def test_a_synced_line_with_words_after_its_key_is_still_told_apart_as_before(
    example_project: ExampleProject, then: str, written: str
) -> None:
    """Words typed after a key, synced, then the line's next occurrence written above it (a
    recurring task), copied with its id, or its id taken off: each is what it was with the
    key at the end. The key was lost: the copy kept it (its summary naming the old key), and
    the line with no id got a new issue while its own was cancelled, under orphans = cancel."""
    project = example_project
    config, note, item, key, other = written_after_the_key(project, written)
    path = project.vault / note.path
    sync(config)
    line = item_line(project, note.path, item.line)
    issues = project.issues()
    summary = issues[key]["fields"]["summary"]
    assert summary.endswith(("to staging", f"blocked by {other}"))
    # Its owner's mention, before the key, closes the text as synced: no name in the summary.
    assert summary.startswith(RUNBOOK) and "Dana Okafor" not in summary, summary
    if then == "id taken off":
        replace_once(path, f" ^{item.block_id}", "")
    else:
        above = line.removesuffix(f" ^{item.block_id}") if then == "next occurrence" else line
        replace_once(path, line + "\n", f"{above}\n{line}\n")

    plan = fresh_plan(config)
    creates = [c for c in plan.changes if c.action == "create"]
    if then == "id taken off":
        assert not creates and not [c for c in plan.changes if c.action == "orphan"]
        (regained,) = [c for c in plan.changes if c.action == "write_back"]
        assert regained.key == key
    else:
        (create,) = creates
        assert key not in create.fields["summary"]
    sync(config, plan=plan)
    text = path.read_text(encoding="utf-8")
    assert text.count(f"[{key}]") == 1 and text.count(f"^{item.block_id}") == 1
    mentions = (1 if then == "id taken off" else 2) if "[" in written else 0
    assert text.count(f"blocked by [{other}]") == mentions
    assert project.issues()[key] == issues[key]
    assert not fresh_plan(config).changes


@pytest.mark.parametrize("written", [" to staging", " blocked by [{other}]({other_url})"])
def test_a_line_that_lost_its_id_in_the_edit_that_wrote_after_its_key_gets_it_back(
    example_project: ExampleProject, written: str
) -> None:
    """Words, or a link to another issue, typed after the key and the id taken off, both
    before one sync: the line was a conflict, and its issue an orphan, until the id was put
    back by hand. Its words up to the key are the issue's as synced."""
    project = example_project
    config, note, item, key, other = written_after_the_key(project, written)
    path = project.vault / note.path
    replace_once(path, f" ^{item.block_id}", "")
    issues = project.issues()

    plan = fresh_plan(config)

    assert not [c for c in plan.changes if c.action in ("create", "conflict", "orphan")], (
        render_plan(plan)
    )
    (regained,) = [c for c in plan.changes if c.action == "write_back"]
    assert regained.key == key
    sync(config, plan=plan)
    assert path.read_text(encoding="utf-8").count(f"^{item.block_id}") == 1
    assert project.issues().keys() == issues.keys()
    summary = project.issues()[key]["fields"]["summary"]
    assert summary.endswith(("to staging", f"blocked by {other}")), summary
    assert not fresh_plan(config).changes


def test_a_task_mentioning_an_issue_that_lost_its_id_and_key_gets_them_back(
    example_project: ExampleProject,
) -> None:
    """Its note put back to the text before its sync: the line is matched by its text, which
    keeps the mention. Read with the mention for its key, the text lacked it, matched no
    record, and the line was created again (its issue an orphan, cancelled under cancel)."""
    project = example_project
    config, _, _, key, path, _, url = synced_line(project)
    task = f"- [ ] Check [{key}]({url}) with Dana @Myself 📅 2025-11-20"
    path.write_text(path.read_text(encoding="utf-8") + task + "\n", encoding="utf-8")
    issues = project.issues()
    sync(config)
    (new_key,) = set(project.issues()) - set(issues)
    synced = next(t for t in path.read_text(encoding="utf-8").splitlines() if "Check" in t)
    replace_once(path, synced + "\n", task + "\n")

    plan = fresh_plan(config)
    assert not [c for c in plan.changes if c.action in ("create", "orphan", "conflict")]
    (regained,) = [c for c in plan.changes if c.action == "write_back"]
    assert regained.key == new_key
    sync(config, plan=plan)
    assert synced in path.read_text(encoding="utf-8").splitlines()
    assert not fresh_plan(config).changes


def test_a_new_task_whose_text_ends_in_a_link_to_an_issue_says_how_to_sync_it(
    example_project: ExampleProject,
) -> None:
    """A key link closing a line with no id may be a synced line's that lost its id: no record
    is created for it, and the conflict says why and what makes it a new item."""
    project = example_project
    config = config_of(project)
    path = project.vault / "2025-11-21-closing-link.md"
    url = "https://jira.example.com/browse/CLOUD-8"
    path.write_text(
        f"---\ntitle: Close\n---\n\n- [ ] Close out [CLOUD-8]({url}) 📅 2025-11-20\n",
        encoding="utf-8",
    )

    (conflict,) = [c for c in fresh_plan(config).changes if c.item.note == path.name]
    assert conflict.action == "conflict" and conflict.key == "CLOUD-8"
    assert "no id" in conflict.message and "write the link before the end" in conflict.message

    path.write_text(
        f"---\ntitle: Close\n---\n\n- [ ] Close out [CLOUD-8]({url}) @Myself 📅 2025-11-20\n",
        encoding="utf-8",
    )
    changes = [c for c in fresh_plan(config).changes if c.item.note == path.name]
    (create,) = [c for c in changes if c.action == "create"]
    assert create.fields["summary"] == "Close out CLOUD-8"
    assert not [c for c in changes if c.action == "conflict"]


def test_a_line_that_regained_its_id_by_its_key_link_keeps_it(
    example_project: ExampleProject,
) -> None:
    """Two lines alike synced as two issues, the second deleted and the first's id taken off:
    the id given back by the key link was then given the other record's by the line's text."""
    project = example_project
    config = config_of(project)
    path = project.vault / "2025-11-21-twice.md"
    path.write_text(
        "---\ntitle: Twice\n---\n\n- [ ] Book the venue @Myself\n- [ ] Book the venue @Myself\n",
        encoding="utf-8",
    )
    sync(config)
    first, second = path.read_text(encoding="utf-8").splitlines()[4:6]
    first_id = first.rsplit("^", 1)[1]
    replace_once(path, second + "\n", "")
    replace_once(path, f" ^{first_id}", "")

    plan = fresh_plan(config)
    assert not [c for c in plan.changes if c.action == "conflict"], plan.summary
    sync(config, plan=plan)
    assert path.read_text(encoding="utf-8").splitlines()[4] == first


def test_a_line_whose_block_id_was_taken_off_gets_it_back_by_its_key_link(
    example_project: ExampleProject,
) -> None:
    """It was a conflict naming a fresh id ("no record carries ps-…", a new one each plan) and
    an orphan at once, and no sync settled it."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    line = item_line(project, note.path, item.line)
    replace_once(path, line, line.removesuffix(f" ^{item.block_id}"))

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, write_back=1), [c.message for c in plan.changes]
    assert (plan.changes[0].message or "").startswith(
        f"the line regains ^{item.block_id}, the id of {key} it was synced as (its id was lost"
    )
    sync(config, plan=plan)
    assert item_line(project, note.path, item.line) == line
    assert not fresh_plan(config).changes


@pytest.mark.parametrize("edit", ["ticked", "due moved", "mention in front"])
def test_a_line_that_lost_its_id_and_was_edited_gets_it_back_by_its_closing_key_link(
    example_project: ExampleProject, edit: str
) -> None:
    """Its key link where sync wrote it says which record it is, edited or not. It was a
    conflict and an orphan on every plan ("its line is gone"), so the edit never reached
    Jira, and with orphans = cancel its issue was cancelled."""
    project = example_project
    project.write_config('[sync]\norphans = "cancel"\n')
    config, note, item, key, path, line, url = synced_line(project)
    other = next(k for k in project.issues() if k != key)
    edited = {
        "ticked": line.replace("- [ ] ", "- [x] ", 1),
        "due moved": line.replace("📅 2025-11-10", "📅 2025-11-24"),
        "mention in front": line.replace(
            "Write", f"After [{other}]({url.replace(key, other)}) write"
        ),
    }[edit]
    replace_once(path, line, edited.removesuffix(f" ^{item.block_id}"))

    plan = fresh_plan(config)
    assert not [c for c in plan.changes if c.action in ("create", "conflict", "orphan")]
    assert [c.key for c in plan.changes if c.action == "write_back"] == [key]
    sync(config, plan=plan)
    assert item_line(project, note.path, item.line) == edited
    assert not fresh_plan(config).changes
    status = project.issues()[key]["fields"]["status"]["statusCategory"]["key"]
    assert status == ("done" if edit == "ticked" else "new")


def test_a_line_that_lost_its_id_with_words_after_its_key_gets_it_back_and_nothing_is_cancelled(
    example_project: ExampleProject,
) -> None:
    """Words after the key and the id taken off, under orphans = cancel. The line was created
    as a new item and its issue left an orphan (cancelled, until a line linking to it spared
    it). Its words up to the key are the issue's as synced: it gets its id back instead."""
    project = example_project
    project.write_config('[sync]\norphans = "cancel"\n')
    config, _, item, key, path, _, url = synced_line(project)
    replace_once(path, f"[{key}]({url})", f"[{key}]({url}) and tell the team")
    replace_once(path, f" ^{item.block_id}", "")
    issues = project.issues()
    sync(config)

    assert project.issues().keys() == issues.keys()
    assert path.read_text(encoding="utf-8").count(f"^{item.block_id}") == 1
    issue = project.issues()[key]["fields"]
    assert issue["status"]["statusCategory"]["key"] == "new"
    assert issue["summary"].endswith(" and tell the team")
    assert not fresh_plan(config).changes


def test_a_note_whose_synced_text_became_the_conflict_copy_gets_its_ids_back(
    example_project: ExampleProject,
) -> None:
    """The sync's write-back raced an edit on another device, whose older text won the name:
    the ids in the held copy made the restored lines pass for moved, and each was created
    again."""
    project = example_project
    config, path, synced = restored_after_a_sync(project, "report")
    copy = path.with_name(f"{path.stem}.sync-conflict-20251104-101500-ABCDEF1.md")
    copy.write_text(synced, encoding="utf-8")
    issues = project.issues()

    plan = fresh_plan(config)
    assert plan.summary["create"] == 0 and plan.summary["write_back"] == 3, plan.summary
    sync(config, plan=plan)
    assert project.issues() == issues
    assert path.read_text(encoding="utf-8") == synced


def test_a_dropbox_copy_sorting_before_its_note_never_takes_its_lines_ids(
    example_project: ExampleProject,
) -> None:
    """Without a state store to say which note an id was synced from, the first line with it
    kept it: the copy's (" (" sorts before "."), and the note's own lines became new items."""
    project = example_project
    config = config_of(project)
    path = project.note(WEEKLY)
    sync(config)
    path.with_name(f"{path.stem} (Ann's conflicted copy 2025-11-04).md").write_bytes(
        path.read_bytes()
    )
    for file in project.state_db.parent.glob("state.db*"):
        file.unlink()

    plan = fresh_plan(config)
    assert plan.summary["create"] == 0, plan.summary
    assert not [w for w in plan.warnings if "becomes a new item" in w]


@pytest.mark.parametrize("copy_holds", ["the item", "no item", "the key only", "excluded"])
def test_orphans_cancel_never_cancels_a_line_a_conflict_copy_still_holds(
    example_project: ExampleProject, copy_holds: str
) -> None:
    """One device deleted the line, the other kept it (as it was, without its checkbox, or
    without its block id) in what became the conflict copy: the line is not gone."""
    project = example_project
    project.write_config('[sync]\norphans = "cancel"\n')
    config, note, item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    line = item_line(project, note.path, item.line)
    copy = path.with_name(f"{path.stem}.sync-conflict-20251104-101500-ABCDEF1.md")
    copy.write_bytes(path.read_bytes())
    if copy_holds == "no item":
        replace_once(copy, line, "- " + line.removeprefix("- [ ] "))
    elif copy_holds == "the key only":
        replace_once(copy, f" ^{item.block_id}", "")
    elif copy_holds == "excluded":  # to quiet the hold, say
        replace_once(project.config_path, 'exclude = ["', 'exclude = ["**/*.sync-conflict-*", "')
        config = config_of(project)
    replace_once(path, line + "\n", "")
    assert_not_cancelled(project, config, key)


def test_a_merge_conflict_that_lost_its_closing_line_is_held_back(
    example_project: ExampleProject,
) -> None:
    """Both sides of a conflicted item line, its >>>>>>> line lost, and a whole conflict shown
    in a code block further down: the second side was created as a copy."""
    project = example_project
    config, note, item, _ = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    line = item_line(project, note.path, item.line)
    theirs = line.replace("📅 2025-11-10", "📅 2025-11-24")
    replace_once(path, line + "\n", f"<<<<<<< HEAD\n{line}\n=======\n{theirs}\n")
    for shown in ("", "\n```\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> laptop\n```\n"):
        with path.open("a", encoding="utf-8") as end:
            end.write(shown)
        plan = fresh_plan(config)
        assert plan.summary == summary_of(plan, conflict=1), plan.summary


def test_conflict_markers_around_no_item_hold_nothing_back(
    example_project: ExampleProject,
) -> None:
    """A note that shows a conflict in a code block, or one left in its prose, still syncs."""
    project = example_project
    config, note, _, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    with path.open("a", encoding="utf-8") as end:
        end.write(
            "\n## How to read a conflict\n\n```\n<<<<<<< HEAD\n- [ ] ours\n=======\n"
            "- [ ] theirs\n>>>>>>> laptop\n```\n\n<<<<<<< HEAD\nWe agreed.\n=======\n"
            "We did not.\n>>>>>>> laptop\n"
        )
    replace_once(path, "📅 2025-11-10", "📅 2025-11-24")
    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, update=1) and plan.changes[0].key == key


def test_a_note_holding_both_sides_of_a_merge_conflict_is_held_back_until_resolved(
    example_project: ExampleProject,
) -> None:
    """Both sides of a conflicted line carry its id: the second was a copy, created anew."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    line = item_line(project, note.path, item.line)
    theirs = line.replace("📅 2025-11-10", "📅 2025-11-24")
    conflicted = f"<<<<<<< HEAD\n{line}\n=======\n{theirs}\n>>>>>>> laptop\n"
    replace_once(path, line + "\n", conflicted)
    issues = project.issues()

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, conflict=1)
    (held,) = plan.changes
    assert (held.item.note, held.item.line) == (note.path, item.line)
    assert (held.message or "").startswith("holds both sides of a merge conflict")
    sync(config)
    assert project.issues() == issues

    replace_once(path, conflicted, theirs + "\n")
    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, update=1)
    assert plan.changes[0].key == key


def test_a_read_only_note_synced_before_syncs_as_any_other(
    example_project: ExampleProject,
) -> None:
    """Notes archived read-only on purpose: a line that carries its id and key needs no write,
    so its changes are sent, and the plan shows no conflict (it did at every run)."""
    project = example_project
    config, note, _item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    replace_once(path, "📅 2025-11-10 🔼", "📅 2025-11-24 🔼")
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        plan = fresh_plan(config)
        assert plan.summary == summary_of(plan, update=1)
        assert (plan.changes[0].key, plan.changes[0].fields["due"]["new"]) == (key, "2025-11-24")
        result = sync(config)
        assert result.notes_written == [] and not result.errors
        assert project.issues()[key]["fields"]["duedate"] == "2025-11-24"
        assert path.read_bytes() == before
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
        plan = fresh_plan(config)
        assert plan.summary == summary_of(plan)
    finally:
        path.chmod(0o644)


def test_a_new_item_in_a_read_only_note_waits_until_it_is_made_writable(
    example_project: ExampleProject,
) -> None:
    """Its id goes into the line before its record is made: nothing is created, the plan
    says where and what to do, and its note's synced items sync all the same."""
    project = example_project
    config, note, _item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    replace_once(path, "📅 2025-11-10 🔼", "📅 2025-11-24 🔼")
    with path.open("a", encoding="utf-8") as end:
        end.write("- [ ] Ship the archive @Myself\n")
    new_line = len(path.read_bytes().split(b"\n")) - 1
    before = path.read_bytes()
    issues = project.issues()
    path.chmod(0o444)
    try:
        plan = fresh_plan(config)
        assert plan.summary == summary_of(plan, update=1, conflict=1)
        held = next(c for c in plan.changes if c.action == "conflict")
        assert (held.target, held.item.note, held.item.line) == ("note", note.path, new_line)
        assert held.item.block_id is None  # the id this plan drew is on no line
        assert held.message == (
            "the note's file is read-only: the item is held back (nothing is created) until it"
            " is made writable (chmod u+w): its id is written into the line before its record"
            " is made"
        )
        sync(config)
        assert path.read_bytes() == before
        after = project.issues()
        assert after.keys() == issues.keys()
        assert after[key]["fields"]["duedate"] == "2025-11-24"
    finally:
        path.chmod(0o644)
    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, create=1, write_back=1, link=1)
    sync(config)
    assert len(project.issues()) == len(issues) + 1


def test_an_item_with_its_id_in_a_read_only_note_is_created_its_key_not_written(
    example_project: ExampleProject,
) -> None:
    """An id written by hand is on the line already, so its record can be made: only its key
    link waits for the note to be writable, a conflict naming it once it is known."""
    project = example_project
    config, note, _item, _key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    with path.open("a", encoding="utf-8") as end:
        end.write("- [ ] Ship the archive @Myself ^archive1\n")
    before = path.read_bytes()
    issues = project.issues()
    path.chmod(0o444)
    try:
        plan = fresh_plan(config)
        assert plan.summary == summary_of(plan, create=1, link=1, conflict=1)
        held = next(c for c in plan.changes if c.action == "conflict")
        assert (held.item.block_id, held.key) == ("archive1", None)
        assert held.message == (
            "the note's file is read-only: the line is not given its key link until it is made"
            " writable (chmod u+w); the item syncs otherwise"
        )
        sync(config)
        (made,) = project.issues().keys() - issues.keys()
        assert path.read_bytes() == before
        plan = fresh_plan(config)
        assert plan.summary == summary_of(plan, conflict=1) and plan.changes[0].key == made
    finally:
        path.chmod(0o644)
    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, write_back=1) and plan.changes[0].key == made


def test_a_key_link_is_not_written_back_into_a_read_only_note(
    example_project: ExampleProject,
) -> None:
    """A line that lost its key link gets it back by a write, which a read-only note refuses:
    a conflict names the key, and the item's changes are sent all the same."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    link = next(part for part in item_line(project, note.path, item.line).split(" ") if key in part)
    replace_once(path, f" {link}", "")
    replace_once(path, "📅 2025-11-10 🔼", "📅 2025-11-24 🔼")
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        plan = fresh_plan(config)
        assert plan.summary == summary_of(plan, update=1, conflict=1)
        held = next(c for c in plan.changes if c.action == "conflict")
        assert (held.target, held.key, held.item.line) == ("note", key, item.line)
        assert held.message == (
            f"the note's file is read-only: the line is not given its key link ({key}) until it"
            " is made writable (chmod u+w); the item syncs otherwise"
        )
        sync(config)
        assert path.read_bytes() == before
        assert project.issues()[key]["fields"]["duedate"] == "2025-11-24"
    finally:
        path.chmod(0o644)
    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, write_back=1)


def test_a_record_adopted_into_a_read_only_note_is_adopted_once(
    example_project: ExampleProject,
) -> None:
    """A record found by its id's label, unknown to the state store, whose line has no key
    link, in a read-only note: the link waits for the note to be writable, but the adoption
    is stored all the same, as for a synced line whose link was taken off. It was adopted
    anew by every plan until then, each sending the note's values over Jira's: an edit made in
    Jira after the first sync was overwritten unseen."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    link = next(part for part in item_line(project, note.path, item.line).split(" ") if key in part)
    replace_once(path, f" {link}", "")
    with open_state(config.state_dir) as state:
        record = state.get(item.block_id or "", "jira")
        assert record is not None
        state.forget([record])  # the store lost it (another clone synced the line, say)
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        plan = fresh_plan(config)
        held, stored = (c for c in plan.changes if c.target == "note")
        assert (held.action, held.key, stored.action, stored.key) == (
            "conflict",
            key,
            "write_back",
            key,
        )
        assert (stored.fields, stored.message) == (
            {},
            f"the note's file is read-only: only the state store learns {key}; the line gets"
            " its key link once the note is writable",
        )
        sync(config, plan=plan)
        assert path.read_bytes() == before
        with open_state(config.state_dir, lock=False) as state:
            adopted = state.get(item.block_id or "", "jira")
        assert adopted is not None and adopted.key == key
        jira_put(project, key, {"duedate": "2025-12-01"})  # edited in Jira since
        plan = fresh_plan(config)
        assert [(c.action, c.target, c.key) for c in plan.changes] == [("conflict", "note", key)]
        assert plan.kept == [
            f"{key} ({note.path}:{item.line}): due changed in Jira only since the last sync;"
            " kept, not sent from the note"
        ]
        sync(config, plan=plan)
        assert project.issues()[key]["fields"]["duedate"] == "2025-12-01"
    finally:
        path.chmod(0o644)
    plan = fresh_plan(config)
    assert [(c.action, c.key) for c in plan.changes] == [("write_back", key)]


def test_a_saved_plan_does_not_write_a_note_made_read_only_since(
    example_project: ExampleProject,
) -> None:
    """Write-back renames a new file over the note, which the folder allows: a plan saved
    before the note was made read-only rewrote it. Its items fail, each saying why, and
    nothing is created for the one whose id could not be written."""
    project = example_project
    config, note, _item, _key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    with path.open("a", encoding="utf-8") as end:
        end.write("- [ ] Ship the archive @Myself\n")
    new_line = len(path.read_bytes().split(b"\n")) - 1
    saved = Plan.model_validate_json(fresh_plan(config).model_dump_json())
    assert saved.summary == summary_of(saved, create=1, write_back=1, link=1)
    before = path.read_bytes()
    issues = project.issues()
    path.chmod(0o444)
    try:
        result = plansync.apply(config, saved)
        assert path.read_bytes() == before
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
        assert project.issues() == issues
        assert [(o.action, o.status) for o in result.outcomes] == [
            ("write_back", "failed"),
            ("create", "skipped"),
            ("link", "skipped"),
        ]
        (error,) = result.errors
        assert (error.action, error.note, error.line) == ("write back", note.path, new_line)
        # The note once, by its path in the vault, as every item's error names it: the file's
        # absolute path after it named it twice.
        assert str(error) == (
            f"{note.path}:{new_line}: write back failed: its file is read-only; not written"
            " (make it writable: chmod u+w)"
        )
    finally:
        path.chmod(0o644)


def test_an_item_moved_into_a_held_note_waits_with_it(example_project: ExampleProject) -> None:
    """Not an orphan of the note it left: its line is in the held note."""
    project = example_project
    config, note, _, _ = synced_item(project, RUNBOOK)
    other, moved = item_with(project, config, "Send Contoso the root-cause summary")
    moved_line = item_line(project, other.path, moved.line) + "\n"
    replace_once(project.vault / other.path, moved_line, "")
    path = project.vault / note.path
    replace_once(path, "## Action Items\n", "## Action Items\n" + moved_line)
    replace_once(path, "- Marco Bellini\n", "- Marco Bellini\n  bad: [unclosed\n")

    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, conflict=1)
    assert "4 items are held back" in (plan.changes[0].message or "")


def test_a_note_opening_with_a_lone_rule_is_not_held_back(example_project: ExampleProject) -> None:
    """Without a closing ---, Obsidian shows the first line as a rule: no front matter is lost."""
    project = example_project
    config = config_of(project)
    sync(config)
    (project.vault / "2025-11-20-hallway.md").write_text(
        "---\nHallway chat\n\n## Action Items\n- [ ] Send Dana the quota numbers @Myself\n",
        encoding="utf-8",
    )
    plan = fresh_plan(config)
    assert plan.summary == summary_of(plan, create=1, link=1, write_back=1)


def _key_number(key: str) -> int:
    return int(key.rsplit("-", 1)[1])


@pytest.mark.parametrize("other", ["later", "earlier"])
def test_an_id_carried_by_a_second_issue_never_moves_the_item_to_it(
    example_project: ExampleProject, other: str
) -> None:
    """A clone keeps its original's labels. Found on a later issue, the id stays with its
    issue and the plan names the other; on an earlier one (which a search lists first), it
    is a conflict: writing that key over the note's would move the item to another issue."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    label = f"ps-{(item.block_id or '').removeprefix('ps-')}"
    issues = project.issues()
    pick = max if other == "later" else min
    copy = pick(issues, key=_key_number)
    assert copy != key
    jira_put(project, copy, {"labels": [*issues[copy]["fields"]["labels"], label]})
    notes = {p: p.read_bytes() for p in project.vault.rglob("*.md")}

    plan = fresh_plan(config)
    mine = [c for c in plan.changes if c.item.block_id == item.block_id]
    if other == "later":
        assert mine == []
        [warning] = [w for w in plan.warnings if label in w]
        assert warning.startswith(f"{note.path}:{item.line}: {label} is also on {copy}")
        assert f"this item syncs with {key}" in warning
    else:
        assert [(c.action, c.key) for c in mine] == [("conflict", key)]
        assert f"{label} is on {copy} as well as on {key}" in (mine[0].message or "")
    sync(config, plan=plan)
    assert {p: p.read_bytes() for p in project.vault.rglob("*.md")} == notes


def test_a_held_note_counts_a_synced_item_no_rule_takes_any_more_among_those_held_back(
    example_project: ExampleProject,
) -> None:
    """A synced line made proposed again in the edit that broke the front matter still has
    its record: held back with the others (its cancel or orphan report waits), and counted."""
    project = example_project
    config, note, _item, _key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    replace_once(path, f"- [ ] {RUNBOOK}", f"- [?] {RUNBOOK}")
    replace_once(path, "- Marco Bellini\n", "- Marco Bellini\n  bad: [unclosed\n")

    (held,) = fresh_plan(config).changes
    assert held.item.note == note.path
    assert "its 3 items are held back" in (held.message or "")


def test_a_held_note_with_one_item_says_so_in_the_singular(
    example_project: ExampleProject,
) -> None:
    project = example_project
    config = config_of(project)
    path = project.vault / "2025-11-20-one-item.md"
    path.write_text(
        "---\ntitle: Quick call\nbad: [unclosed\n---\n\n- [ ] Send the notes @Myself #task\n",
        encoding="utf-8",
    )
    held = [c for c in fresh_plan(config).changes if c.item.note == path.name]
    assert [c.action for c in held] == ["conflict"]
    assert ": its item is held back (nothing is created, changed or written back for it)" in (
        held[0].message or ""
    )


def test_a_held_note_with_nothing_to_sync_is_a_warning_and_no_conflict(
    example_project: ExampleProject,
) -> None:
    """A note whose front matter breaks but whose items are only proposed (never synced) holds
    nothing back: its warning says what is wrong, and the plan has no conflict to settle."""
    project = example_project
    config = config_of(project)
    path = project.vault / "2025-11-20-proposals.md"
    path.write_text(
        "---\ntitle: Ideas\nbad: [unclosed\n---\n\n- [?] Draft the plan @Myself #task\n",
        encoding="utf-8",
    )
    plan = fresh_plan(config)
    assert [item.accepted for item in scan_items(config, path.name)] == [False]
    assert [c for c in plan.changes if c.item.note == path.name] == []
    assert [w for w in plan.warnings if path.name in w and "not valid YAML" in w]


def test_orphans_cancel_never_cancels_another_issue_carrying_the_id(
    example_project: ExampleProject,
) -> None:
    """The id of a deleted line also on an earlier issue (which search lists first): the
    issue synced from the line is the one to cancel, never the other one."""
    project = example_project
    project.write_config('[sync]\norphans = "cancel"\n')
    config, note, item, key = synced_item(project, RUNBOOK)
    label = f"ps-{(item.block_id or '').removeprefix('ps-')}"
    issues = project.issues()
    open_ = [
        k for k, i in issues.items() if i["fields"]["status"]["statusCategory"]["key"] != "done"
    ]
    copy = min(open_, key=_key_number)
    assert _key_number(copy) < _key_number(key)
    jira_put(project, copy, {"labels": [*issues[copy]["fields"]["labels"], label]})
    replace_once(project.vault / note.path, item_line(project, note.path, item.line) + "\n", "")

    plan = fresh_plan(config)
    cancels = [c for c in plan.changes if c.action == "transition"]
    assert all(c.key != copy for c in cancels), [(c.key, c.message) for c in cancels]
    before = project.issues()[copy]["fields"]["status"]
    sync(config, plan=plan)
    assert project.issues()[copy]["fields"]["status"] == before


def test_orphans_cancel_leaves_the_records_of_a_held_note_alone(
    example_project: ExampleProject,
) -> None:
    """A note whose front matter breaks is held back, records and all, until it is fixed: a
    line gone from it (a sync client's bad merge breaks both) cancels nothing meanwhile."""
    project = example_project
    project.write_config('[sync]\norphans = "cancel"\n')
    config, note, item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    before = project.issues()
    replace_once(path, item_line(project, note.path, item.line) + "\n", "")
    replace_once(path, "- Marco Bellini\n", "- Marco Bellini\n  bad: [unclosed\n")

    plan = fresh_plan(config)
    assert [c.action for c in plan.changes if c.key == key] != ["transition"]
    assert plan.summary["transition"] == 0
    sync(config, plan=plan)
    assert project.issues() == before


def test_orphans_cancel_never_cancels_an_issue_a_line_still_names(
    example_project: ExampleProject,
) -> None:
    """A block id taken off a line that keeps its key link (tidied away as noise) is no deleted
    line: the issue that line names is not cancelled."""
    project = example_project
    project.write_config('[sync]\norphans = "cancel"\n')
    config, note, item, key = synced_item(project, RUNBOOK)
    line = item_line(project, note.path, item.line)
    assert key in line and line.endswith(f" ^{item.block_id}")
    replace_once(project.vault / note.path, line, line.removesuffix(f" ^{item.block_id}"))
    assert_not_cancelled(project, config, key)


def assert_not_cancelled(project: ExampleProject, config: Config, key: str) -> None:
    """A plan transitions nothing of ``key``, and a sync of it leaves its status as it was."""
    status = project.issues()[key]["fields"]["status"]
    plan = fresh_plan(config)
    assert [c.action for c in plan.changes if c.key == key and c.action == "transition"] == []
    sync(config, plan=plan)
    assert project.issues()[key]["fields"]["status"] == status


def test_a_block_id_whose_case_changed_stays_one_item_with_its_issue(
    example_project: ExampleProject,
) -> None:
    """``^Step1`` and ``^step1`` are one id to Jira (see the copy rule): a line whose id
    changed case keeps its issue, and its record is no orphan, cancelled or not."""
    project = example_project
    project.write_config('[sync]\norphans = "cancel"\n')
    config = config_of(project)
    path = project.vault / "2025-11-21-own-id.md"
    path.write_text(
        "---\ntitle: Own ids\n---\n\n- [ ] Book the venue @Myself #task ^Step1\n"
        "- [ ] Send the agenda @Myself #task\n",
        encoding="utf-8",
    )
    sync(config)
    [item] = next(n for n in notes_of(project, config) if n.path == path.name).items[:1]
    key = item.keys["jira"]
    replace_once(path, "^Step1", "^step1")

    plan = fresh_plan(config)
    mine = [c for c in plan.changes if c.key == key]
    assert [c.action for c in mine if c.action in ("transition", "orphan", "create")] == []
    sync(config, plan=plan)
    assert project.issues()[key]["fields"]["status"]["statusCategory"]["key"] == "new"
    assert not fresh_plan(config).changes


def test_orphans_come_by_their_notes_path_then_by_key_as_the_other_changes_come_by_note(
    example_project: ExampleProject,
) -> None:
    """The orphans of a plan came by block id, which is random: PLAN-1, PLAN-10, PLAN-3, their
    notes shuffled, while every other change comes by its note's path (a user test). They come
    by note, then by key with its number read as one (the order the records were made in)."""
    project = example_project
    config = config_of(project)
    sync(config)
    for path in project.vault.rglob("*.md"):
        path.unlink()
    orphans = fresh_plan(config).changes
    assert orphans and all(c.action == "orphan" for c in orphans)
    keys = [(c.item.note, int(c.key.rsplit("-", 1)[1])) for c in orphans]
    assert len({note for note, _ in keys}) > 1 and len(keys) >= 10  # PLAN-10 after PLAN-9
    assert keys == sorted(keys)


@pytest.mark.parametrize("moved", ["link", "id", "both", "twice"])
def test_a_synced_line_whose_id_or_key_link_was_moved_is_read_and_put_back_in_order(
    example_project: ExampleProject, moved: str
) -> None:
    """A person moved the key link to the end of a synced line (after its id): Obsidian Tasks
    read no field there, plansync read no id, planned "the line regains ^ps-…", a summary
    holding "📅 2025-11-10 task ^ps-…" and no due date, and sync wrote a second id (a user
    test). plansync's own id and key link are read wherever they stand, the line warned of by
    its number, and sync puts them back where it writes them; nothing else changes."""
    project = example_project
    synced = synced_line(project)
    link = f"[{synced.key}]({synced.url})"
    block_id = f"^{synced.item.block_id}"
    without = synced.line.replace(f" {link}", "").replace(f" {block_id}", "")
    edited = {
        "link": f"{without} {block_id} {link}",
        "id": synced.line.replace(f" {block_id}", "").replace(f"{link}", f"{link} {block_id}"),
        "both": f"{without} {link}".replace(" 📅", f" {block_id} 📅", 1),
        # What a sync made of the "link" line before: its id written a second time.
        "twice": f"{without} {block_id} {link} {block_id}",
    }[moved]
    assert edited != synced.line
    replace_once(synced.path, synced.line, edited)

    plan = fresh_plan(synced.config)
    line = synced.item.line
    warned = [w for w in plan.warnings if w.startswith(f"{synced.note.path}:{line}: ")]
    assert len(warned) == 1 and "read as if they stood where sync" in warned[0], plan.warnings
    (change,) = plan.changes
    assert (change.action, change.item.text, change.fields) == (
        "write_back",
        synced.item.text,
        {},
    )
    assert "back in order" in (change.message or "")
    (note,) = [n for n in notes_of(project, synced.config) if n.path == synced.note.path]
    (item,) = [i for i in note.items if i.line == line]
    assert (item.text, item.due, item.block_id, item.keys) == (
        synced.item.text,
        synced.item.due,
        synced.item.block_id,
        synced.item.keys,
    )

    sync(synced.config)
    assert item_line(project, synced.note.path, line) == synced.line
    assert project.issues()[synced.key]["fields"]["summary"] == synced.item.text
    assert not fresh_plan(synced.config).has_changes


def test_a_damaged_line_whose_key_link_was_moved_is_put_back_in_order_its_damage_kept(
    example_project: ExampleProject,
) -> None:
    """A line of damaged text (its UTF-8 read as Windows-1252 and saved so: "ðŸ“…" for "📅")
    whose key link a person moved after its id: the parser reads it repaired and in order,
    and warned of it; the planner tested the line as it stands, where no date field stands
    before the link, so it planned nothing (or put the link after the date), and the warning
    came every run. Both read it repaired: sync moves the link, and only the link, back; the
    damaged bytes stay as they are."""
    project = example_project
    synced = synced_line(project)
    link = f"[{synced.key}]({synced.url})"
    block_id = f"^{synced.item.block_id}"
    without = synced.line.replace(f" {link}", "").replace(f" {block_id}", "")

    def damaged(line: str) -> str:
        return line.encode().decode("cp1252", errors="replace")

    assert damaged(synced.line) != synced.line  # the line holds more than ASCII
    replace_once(synced.path, synced.line, damaged(f"{without} {block_id} {link}"))
    plan = fresh_plan(synced.config)
    (change,) = plan.changes
    assert change.action == "write_back" and "back in order" in (change.message or "")
    sync(synced.config)
    assert item_line(project, synced.note.path, synced.item.line) == damaged(synced.line)
    again = fresh_plan(synced.config)
    assert not again.has_changes
    assert not [w for w in again.warnings if "read as if they stood" in w], again.warnings


def test_a_moved_key_link_in_a_read_only_note_is_said_to_stay_out_of_order(
    example_project: ExampleProject,
) -> None:
    """The parser's warning of a line whose key link a person moved after its id said "sync
    moves them back", and for a read-only note no sync did, at every run. It says how the line
    is read; the plan says this line stays as it is, and why: nothing promises a move."""
    project = example_project
    synced = synced_line(project)
    link = f"[{synced.key}]({synced.url})"
    block_id = f"^{synced.item.block_id}"
    without = synced.line.replace(f" {link}", "").replace(f" {block_id}", "")
    replace_once(synced.path, synced.line, f"{without} {block_id} {link}")
    before = synced.path.read_bytes()
    synced.path.chmod(0o444)
    try:
        plan = fresh_plan(synced.config)
        where = f"{synced.note.path}:{synced.item.line}: "
        warned = [w for w in plan.warnings if w.startswith(where)]
        assert len(warned) == 2, plan.warnings
        assert warned[0].endswith(
            "read as if they stood where sync writes them (the key link before the fields,"
            " the id at the end)"
        )
        assert not any("moves them back" in warning for warning in warned)
        assert warned[1] == (
            f"{where}the note's file is read-only: the line's id and key link stay out of"
            " order until it is made writable (chmod u+w); the item syncs otherwise"
        )
        assert not plan.changes
        result = sync(synced.config)
        assert result.notes_written == [] and not result.errors
        assert synced.path.read_bytes() == before
    finally:
        synced.path.chmod(0o644)
    assert fresh_plan(synced.config).changes[0].action == "write_back"


def test_an_owner_written_as_a_link_to_a_person_s_note_is_assigned(
    example_project: ExampleProject,
) -> None:
    """ "@[[Dana Okafor]]" (a link to a person's note, as many vaults keep people) was no owner:
    the issue unassigned, its summary "… @Dana Okafor", no warning (a user test)."""
    project, app = example_project, example_project.app
    config = config_of(project)
    (project.vault / "people.md").write_text(
        "# People\n\n- [ ] Owner wiki link @[[Dana Okafor|Dana]] 📅 2025-11-12 #task\n", "utf-8"
    )
    sync(config)
    (item,) = [i for n in notes_of(project, config) if n.path == "people.md" for i in n.items]
    issue = project.issues()[item.keys["jira"]]
    assert issue["fields"]["summary"] == "Owner wiki link"
    expected = expected_assignee(config, "Dana Okafor", app)
    assert expected is not None and assignee_of(issue, app) == expected
