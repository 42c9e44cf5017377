"""The ``plansync`` command through click's CliRunner, against the Jira sandbox on loopback."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import os
import pty
import re
import select
import shlex
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import tty
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click
import pytest
import requests
from click.testing import CliRunner, Result
from conftest import (
    EXAMPLES,
    ExampleProject,
    Sleeps,
    closed_port,
    closed_port_pair,
    read_only,
    replace_once,
    run_python_unprivileged,
)

import plansync
from plansync.cli import main
from plansync.config import TEMPLATE_FOLDERS
from plansync.config_load import load_config
from plansync.connectors.http import UNREACHED_DELAY, UNREACHED_RETRIES
from plansync.engine import run_lock as run_lock_module
from plansync.engine.changes import ACTIONS
from plansync.engine.plan import Planner
from plansync.engine.render import ALIKE_SHOWN, error_lines
from plansync.engine.result import ItemError
from plansync.engine.result import Result as SyncResult
from plansync.engine.run_lock import run_lock
from plansync.engine.state import StateStore
from plansync.files import ABANDONED_AFTER
from plansync.notes.vault import scan_vault
from plansync.progress import ERASE
from plansync.rules import note_linker
from plansync.sandbox import embedded, jira_app
from plansync.sandbox.people import SandboxUser
from plansync.sandbox.server import RunningServer, serve_in_thread
from plansync.sandbox.tls import make_loopback_certificate
from plansync.sandbox_choice import sandbox_notice

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

SECRET = "s3cr3t-T0KEN-never-printed"
CHANGE_KEYS = {"action", "target", "item", "key", "fields"}
ITEM_KEYS = {"note", "line", "block_id", "text"}


PREFERRED = ("http://127.0.0.1:8990/", "https://127.0.0.1:8991/")
"""Where key links to the embedded sandboxes point (Jira, Salesforce)."""


def run(*args: str | Path, input: str | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


def vault_bytes(project: ExampleProject) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(project.vault.rglob("*.md"))}


def block_ids(folder: Path) -> set[str]:
    return {i.block_id for n in scan_vault(folder).notes for i in n.items if i.block_id}


# ---- plan --json and exit codes ------------------------------------------------------------


def test_plan_json_follows_the_contract(example_project: ExampleProject) -> None:
    result = run("plan", "--json", "--config", example_project.config_path)
    assert result.exit_code == 0, result.output
    plan: dict[str, Any] = json.loads(result.stdout)
    assert plan["format_version"] == "1"
    # The contract's actions, in DESIGN.md's words.
    assert (
        set(plan["summary"])
        == set(ACTIONS)
        == {"create", "update", "transition", "link", "write_back", "conflict", "orphan"}
    )
    assert all(isinstance(n, int) for n in plan["summary"].values())
    changes = plan["changes"]
    assert changes
    for action in ACTIONS:
        assert plan["summary"][action] == sum(c["action"] == action for c in changes)
    for change in changes:
        assert set(change) >= CHANGE_KEYS, change
        assert change["action"] in ACTIONS
        assert change["target"] in ("jira", "salesforce", "note")
        assert set(change["item"]) == ITEM_KEYS
        item = change["item"]
        assert isinstance(item["note"], str) and item["note"].endswith(".md")
        assert isinstance(item["line"], int) and item["line"] >= 1
        assert isinstance(item["block_id"], str) and isinstance(item["text"], str)
        assert change["key"] is None or isinstance(change["key"], str)
        assert isinstance(change["fields"], dict)
        # Internal data (apply's, forget's) is not part of the contract: a leak was found.
        assert set(change) <= CHANGE_KEYS | {"message", "sobject"}, change
    create = next(c for c in changes if c["action"] == "create")
    assert create["target"] == "jira" and create["key"] is None
    assert create["fields"]["summary"] == create["item"]["text"]
    assert f"ps-{create['item']['block_id'].removeprefix('ps-')}" in create["fields"]["labels"]
    write_back = next(c for c in changes if c["action"] == "write_back")
    assert write_back["target"] == "note"
    assert write_back["fields"]["block_id"] == {"old": None, "new": write_back["item"]["block_id"]}
    assert "fingerprint" not in plan

    run("sync", "--yes", "--config", example_project.config_path)
    note = example_project.note("weekly-cloud-program-sync")
    replace_once(note, "📅 2025-11-10 🔼", "📅 2025-11-24 🔼")
    plan = json.loads(run("plan", "--json", "--config", example_project.config_path).stdout)
    (update,) = plan["changes"]
    assert update["action"] == "update" and update["key"].startswith("PLAN-")
    assert update["fields"] == {"due": {"old": "2025-11-10", "new": "2025-11-24"}}
    assert plan["summary"] == {a: int(a == "update") for a in ACTIONS}


def test_plan_json_gives_each_warning_as_data_naming_its_note_and_line(
    example_project: ExampleProject,
) -> None:
    """A script read `plan --json`'s warnings as text, and parsed `note.md:33: ...` to attach
    each to its note and line (a user test): `warning_details` and `notice_details` hold them
    as `{"note", "line", "message", "also"}`, in the order of `warnings` and `notices`;
    `also` (the other lines a warning stands for) is empty for a warning of one line."""
    (example_project.vault / "gone.md").symlink_to(example_project.vault / "nowhere.md")
    result = run("plan", "--json", "--config", example_project.config_path)
    assert result.exit_code == 0, result.output
    plan: dict[str, Any] = json.loads(result.stdout)
    assert plan["format_version"] == "1"  # added keys: the same contract
    for lines, details in (("warnings", "warning_details"), ("notices", "notice_details")):
        assert all(set(detail) == {"note", "line", "message", "also"} for detail in plan[details])
        shown = []
        for detail in plan[details]:
            where = ":".join(str(p) for p in (detail["note"], detail["line"]) if p is not None)
            shown.append(f"{where}: {detail['message']}" if where else detail["message"])
        assert plan[lines] == shown
    assert {
        "note": "2025-11-04-contoso-replication-escalation.md",
        "line": 33,
        "message": "due date is 'TBD', not YYYY-MM-DD; read as no due date, and none is sent:"
        " Jira and Salesforce keep the date they have",
        "also": [],
    } in plan["warning_details"]
    assert {
        "note": "gone.md",
        "line": None,
        "message": "symlink to nothing; skipped",
        "also": [],
    } in plan["warning_details"]
    [notice] = plan["notice_details"]  # the example's note of damaged text, read repaired
    assert notice in plan["warning_details"]  # a warning too, which `sync --quiet` leaves out


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "--detailed-exitcode", "--bogus"),
        ("plan", "--detailed-exitcode", "--config", "."),  # a folder
        ("sync", "--yes", "--bogus"),
        ("--bogus",),
        ("nosuch",),
        (),  # no command: the help, as a usage error
        ("sandbox",),
        ("sandbox", "serve", "--port", "0"),
    ],
)
def test_a_usage_error_exits_1_as_any_error_not_2_which_reads_as_changes(
    args: tuple[str, ...],
) -> None:
    """Click's usage errors exit 2, which `plan --detailed-exitcode` says of a plan with
    changes: a script read a mistyped option as "changes to apply"."""
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Usage: ") and "Traceback" not in result.output


def test_detailed_exitcode(example_project: ExampleProject) -> None:
    config = example_project.config_path
    assert run("plan", "--detailed-exitcode", "--config", config).exit_code == 2
    assert run("plan", "--json", "--detailed-exitcode", "--config", config).exit_code == 2
    assert run("sync", "--yes", "--config", config).exit_code == 0
    assert run("plan", "--detailed-exitcode", "--config", config).exit_code == 0
    assert run("plan", "--json", "--detailed-exitcode", "--config", config).exit_code == 0

    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('issue_type = "Task"', 'isue_type = "Task"'), "utf-8")
    result = run("plan", "--detailed-exitcode", "--config", config)
    assert result.exit_code == 1


def only(result: Result, action: str, as_json: bool) -> bool:
    """Whether the plan printed holds exactly one change, of ``action``."""
    if as_json:
        return bool(json.loads(result.stdout)["summary"] == {a: int(a == action) for a in ACTIONS})
    counts = [int(n) for n in re.findall(r"(\d+) (?:to |conflicts?\b|orphans?\b)", result.stdout)]
    return sum(counts) == 1 and re.search(rf"\b1 {action}\b", result.stdout) is not None


def due_date_changed_on_both_sides(project: ExampleProject, in_jira: str = "2025-12-24") -> Path:
    """After a sync, the runbook item's due date changed in Jira (to ``in_jira``) and in its
    note (to 2025-11-24): a conflict, unless they agree. Returns the note."""
    note = project.note("weekly-cloud-program-sync")
    runbook = next(i for i in scan_vault(note).notes[0].items if "runbook" in i.text)
    answer = requests.put(
        f"{project.url}/rest/api/2/issue/{runbook.keys['jira']}",
        json={"fields": {"duedate": in_jira}},
        auth=("tomer@example.com", "token"),
        timeout=10,
    )
    assert answer.status_code == 204, answer.text
    replace_once(note, "📅 2025-11-10 🔼", "📅 2025-11-24 🔼")
    return note


@pytest.mark.parametrize("as_json", [False, True])
def test_detailed_exitcode_is_2_for_a_plan_of_only_conflicts_or_orphans(
    example_project: ExampleProject, as_json: bool
) -> None:
    """A sync acts on neither, but the plan is not "in sync", so a CI gate must see it."""
    config = example_project.config_path
    plan = ["plan", "--detailed-exitcode", *(["--json"] if as_json else []), "--config", config]
    assert run("sync", "--yes", "--config", config).exit_code == 0
    assert run(*plan).exit_code == 0

    note = due_date_changed_on_both_sides(example_project)
    result = run(*plan)
    assert only(result, "conflict", as_json) and result.exit_code == 2, result.output

    replace_once(note, "📅 2025-11-24 🔼", "📅 2025-11-10 🔼")  # the conflict is gone ...
    lines = note.read_bytes().split(b"\n")
    note.write_bytes(b"\n".join(x for x in lines if b"runbook" not in x or b"- [" not in x))
    result = run(*plan)  # ... and the item with it: an orphan
    assert only(result, "orphan", as_json) and result.exit_code == 2, result.output


def test_a_quiet_sync_prints_no_plan_but_its_warnings_and_what_it_applied(
    example_project: ExampleProject,
) -> None:
    """For cron: a first sync's plan is ~15 lines an item, a log nobody reads before it runs."""
    config = example_project.config_path
    result = run("sync", "--yes", "--quiet", "--config", config)
    assert result.exit_code == 0, result.output
    [applied] = result.stdout.splitlines()  # not the plan, which a sync prints first
    assert applied.startswith("Applied: 22 create, 22 write back, 22 link, 5 transition")
    assert "warning: 2025-11-04-contoso-replication-escalation.md:33: due date is 'TBD'" in (
        result.stderr
    )
    assert run("plan", "--detailed-exitcode", "--config", config).exit_code == 0

    due_date_changed_on_both_sides(example_project)
    result = run("sync", "-y", "-q", "--config", config)
    assert result.exit_code == 0, result.output
    assert (
        "warning: 1 conflict is left for a person to settle:"
        f" `plansync plan --config {config}` shows it"
    ) in result.stderr
    assert result.stdout == "", result.stdout  # nothing else to do: silent, for cron


def test_a_quiet_sync_of_a_saved_plan_says_what_it_leaves_for_a_person_as_with_yes(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    """`sync PLAN_FILE --quiet` printed none of the plan's warnings and no line counting the
    conflicts it leaves for a person, which `sync --yes --quiet` prints and `sync --help` says
    --quiet prints for either: a cron job applying a reviewed plan lost them."""
    config = example_project.config_path
    assert run("sync", "--yes", "--config", config).exit_code == 0
    due_date_changed_on_both_sides(example_project)
    saved = tmp_path / "plan.json"
    assert run("plan", "--out", saved, "--config", config).exit_code == 0

    result = run("sync", saved, "--quiet", "--config", config)

    assert (result.exit_code, result.stdout) == (0, ""), result.output
    left = (
        "warning: 1 conflict is left for a person to settle:"
        f" `plansync plan --config {config}` shows it"
    )
    assert "warning: 2025-11-04-contoso-replication-escalation.md:33: due date is 'TBD'" in (
        result.stderr
    )
    assert left in result.stderr.splitlines()
    assert result.stderr == run("sync", "--yes", "--quiet", "--config", config).stderr


@pytest.mark.parametrize(
    ("data", "notice"),
    [
        (
            "- [ ] Order the café menu 📅 2025-11-20\n".encode().decode("cp1252").encode(),
            "damaged.md:1: repaired damaged (double-encoded) text on line 1",
        ),
        (
            "- [ ] Order the café menu 📅 2025-11-20\n".encode("cp1252", "replace"),
            "damaged.md:1: not UTF-8; read as Windows-1252",
        ),
    ],
    ids=["double-encoded", "windows-1252"],
)
def test_a_quiet_sync_leaves_out_the_notices_of_text_read_as_best_it_can(
    example_project: ExampleProject, data: bytes, notice: str
) -> None:
    """A note's damaged (double-encoded) text is read repaired, and one not in UTF-8 as
    Windows-1252, and said so at every run, as plansync never rewrites the note for it:
    `--quiet` printed it to every cron mail (617 lines for a large vault). Information, not a
    problem: a plan still shows it."""
    config = example_project.config_path
    (example_project.vault / "damaged.md").write_bytes(data)
    notice = f"warning: {notice}"
    assert notice in run("plan", "--config", config).stdout
    for _ in range(2):  # the first sync creates, the second has nothing to do
        result = run("sync", "--yes", "--quiet", "--config", config)
        assert result.exit_code == 0, result.output
        assert "damaged.md" not in result.output
        assert "due date is 'TBD'" in result.stderr  # a warning a person can act on stays
    assert notice in run("sync", "--yes", "--config", config).stdout


def test_a_quiet_sync_shows_the_warnings_of_one_kind_a_few_times_then_counts_them(
    example_project: ExampleProject,
) -> None:
    """A user test: `sync --yes --quiet` printed 329 lines on stderr at every cron run of a
    3,000-note vault, 308 of them a `[?]` line tagged #accepted each. It prints them as the
    plan does, a few then one line that counts the rest and names what lists them all; a run
    with nothing else to say prints them only."""
    config = example_project.config_path
    count = ALIKE_SHOWN + 3
    proposals = "".join(f"- [?] Proposal {n} #accepted\n" for n in range(count))
    (example_project.vault / "proposals.md").write_text(f"# Ideas\n\n{proposals}", "utf-8")
    plan = json.loads(run("plan", "--json", "--config", config).stdout)
    proposed = [d for d in plan["warning_details"] if d["note"] == "proposals.md"]
    assert [d["line"] for d in proposed] == list(range(3, 3 + count))  # every one, as data
    run("sync", "--yes", "--config", config)

    result = run("sync", "--yes", "--quiet", "--config", config)  # cron: nothing to do

    assert (result.exit_code, result.stdout) == (0, "")
    said = [line for line in result.stderr.splitlines() if "proposals.md" in line]
    assert [line.split(": ")[1] for line in said] == [
        f"proposals.md:{n}" for n in range(3, 3 + ALIKE_SHOWN)
    ]
    likewise = (
        f"warning: likewise 3 more lines in 1 note (`plansync plan --config {config} --json`"
        " lists them all)"
    )
    assert result.stderr.splitlines().count(likewise) == 1


def test_a_quiet_sync_that_only_teaches_the_state_store_prints_nothing(
    example_project: ExampleProject,
) -> None:
    """Both sides changed to the same date: the sync runs, for the state store to learn it,
    and said "Applied: nothing (0 HTTP requests)." in every cron mail."""
    config = example_project.config_path
    assert run("sync", "--yes", "--quiet", "--config", config).exit_code == 0
    due_date_changed_on_both_sides(example_project, in_jira="2025-11-24")
    result = run("sync", "--yes", "--quiet", "--config", config)
    assert (result.exit_code, result.stdout) == (0, "")
    assert run("plan", "--detailed-exitcode", "--config", config).exit_code == 0


def test_a_sync_with_nothing_to_do_says_no_changes_and_no_applied_line(
    example_project: ExampleProject,
) -> None:
    """The plan's "No changes." is the whole story: "Applied: nothing (0 HTTP requests)."
    under it says the same again."""
    config = example_project.config_path
    assert run("sync", "--yes", "--config", config).exit_code == 0
    again = run("sync", "--yes", "--config", config)
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-1] == "No changes. The notes and their records are in sync."
    assert "Applied:" not in again.stdout


def test_a_quiet_sync_that_would_ask_is_refused_before_anything_runs(
    example_project: ExampleProject,
) -> None:
    result = run("sync", "--quiet", "--config", example_project.config_path, input="y\n")
    assert result.exit_code == 1
    assert "--quiet needs --yes" in result.stderr
    assert len(example_project.issues()) == 0


def test_a_config_typo_names_the_key_and_suggests_the_right_one(
    example_project: ExampleProject,
) -> None:
    config = example_project.config_path
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('issue_type = "Task"', 'isue_type = "Task"'), "utf-8")
    for command in ("plan", "sync"):
        result = run(command, "--config", config)
        assert result.exit_code == 1
        assert "isue_type" in result.output and "did you mean 'issue_type'" in result.output
        assert "Traceback" not in result.output
    assert len(example_project.issues()) == 0


@pytest.mark.parametrize("vault_path", ["no-such-folder", "plansync.toml"])
def test_a_vault_path_that_is_no_folder_is_an_error_naming_the_key(
    example_project: ExampleProject, vault_path: str
) -> None:
    """Not a plan of every synced item as an orphan "whose note is gone", nor a traceback."""
    assert run("sync", "--yes", "--config", example_project.config_path).exit_code == 0
    config = example_project.config_path
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('path = "vault"', f'path = "{vault_path}"'), "utf-8")
    for command in (("plan", "--detailed-exitcode"), ("sync", "--yes")):
        result = run(*command, "--config", config)
        assert result.exit_code == 1, result.output
        assert result.output == (
            f"Error: {config}: 'vault.path' = '{vault_path}':"
            f" {example_project.root / vault_path} is not a folder\n"
        )


def test_globs_that_take_no_note_are_a_warning_not_in_sync(
    example_project: ExampleProject,
) -> None:
    """A glob typo must not read as "No changes. The notes and their records are in sync.".
    The warning names the vault as the config's other messages do, by its ``vault.path`` as
    written in the config's file: it named the folder that resolves to, which the user never
    wrote, and not the key to edit."""
    config = example_project.config_path
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('include = ["**/*.md"]', 'include = ["**/*.MD"]'), "utf-8")
    result = run("plan", "--config", config)
    assert result.exit_code == 0, result.output
    assert (
        f"warning: {config}: no note in 'vault.path' = 'vault' matches"
        " 'vault.include' = ['**/*.MD']" in result.output
    )
    assert str(example_project.vault) not in result.output
    assert "in sync" not in result.output
    assert result.output.splitlines()[-1] == "No changes: no note was read (see the warning above)."


@pytest.mark.parametrize(
    ("include", "exclude"),
    [
        ('["./2025-11-03-*.md"]', "[]"),
        (
            '["./"]',
            '[".//2025-11-04-*", "./2025-11-05-*.md", "./*-06-*", "./*-07-*", "/./2025-11-1*"]',
        ),
    ],
    ids=["include", "exclude"],
)
def test_vault_globs_from_here_read_as_from_the_vault(
    example_project: ExampleProject, include: str, exclude: str
) -> None:
    """``include = ["./Meetings"]`` read no note and said only that none matched (a user
    test): a glob spelt from ``./`` (or with a ``//``) plans as the same glob without."""
    config = example_project.config_path
    text = config.read_text(encoding="utf-8")
    assert 'include = ["**/*.md"]' in text and "\nexclude = " in text
    text = re.sub(r"\nexclude = .*", "", text)
    plain = text.replace('include = ["**/*.md"]', 'include = ["2025-11-03-*.md"]')
    config.write_text(plain, "utf-8")
    expected = run("plan", "--config", config)
    assert expected.exit_code == 0, expected.output
    assert "weekly-cloud-program-sync" in expected.output
    assert "review" not in expected.output  # the other notes' items are not planned
    given = f"include = {include}\nexclude = {exclude}"
    config.write_text(text.replace('include = ["**/*.md"]', given), "utf-8")
    result = run("plan", "--config", config)
    assert result.exit_code == 0, result.output
    new_id = re.compile(r"(?<![a-z])ps-[a-z0-9]+")  # each plan draws its own for a line without one
    assert new_id.sub("ps-?", result.output) == new_id.sub("ps-?", expected.output)


def test_parse_of_a_folder_reads_every_note_not_the_vault_globs_as_the_readme_says(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README said ``plansync parse . --json`` shows "what plansync reads from the notes",
    but ``parse`` reads no ``[vault]`` globs: a template the config excludes is parsed, a note
    its ``include`` leaves out too. The README's line says what it reads."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    line = next(x for x in readme.splitlines() if x.startswith("plansync parse . --json "))
    assert line.split("# ", 1)[1] == "the items of every .md under . (no [vault] globs)"
    config = example_project.config_path
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('include = ["**/*.md"]', 'include = ["2025-*.md"]'), "utf-8")
    (example_project.vault / "templates").mkdir()
    (example_project.vault / "templates" / "meeting.md").write_text(
        "- [ ] Send the recap #task\n", "utf-8"
    )
    (example_project.vault / "Inbox").mkdir()
    (example_project.vault / "Inbox" / "call.md").write_text("- [ ] Call back #task\n", "utf-8")
    monkeypatch.chdir(example_project.vault)  # the config is found in its parent
    result = run("parse", ".", "--json")
    assert result.exit_code == 0, result.output
    read = [note["path"] for note in json.loads(result.stdout)["notes"]]
    assert {"templates/meeting.md", "Inbox/call.md"} <= set(read)
    planned = run("plan")  # reads by the globs
    assert planned.exit_code == 0, planned.output
    assert "2025-11-03" in planned.output
    assert "Call back" not in planned.output and "Send the recap" not in planned.output


def test_a_vault_of_notes_without_items_is_in_sync_not_unread(
    tmp_path: Path, clean_env: None
) -> None:
    """A note with no item is read, though no plan stands on it: "no note was read (see the
    warning above)" named a warning that was not there."""
    assert run("init", tmp_path).exit_code == 0
    (tmp_path / "prose.md").write_text("# Retro\n\nWe talked; nobody took anything on.\n")
    result = run("plan", "--config", tmp_path / "plansync.toml")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [  # the trial's notice, and no warning of the notes
        f"warning: {sandbox_notice(load_config(tmp_path / 'plansync.toml'))}",
        "No changes. The notes and their records are in sync.",
    ]


# ---- saved plans ---------------------------------------------------------------------------


def test_sync_of_a_saved_plan_applies_exactly_that_plan(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    result = run("plan", "--out", saved, "--config", example_project.config_path)
    assert result.exit_code == 0 and saved.exists()
    assert str(saved) in result.output
    plan = json.loads(saved.read_text(encoding="utf-8"))
    planned_ids = {c["item"]["block_id"] for c in plan["changes"]}
    assert block_ids(example_project.vault) == set()

    result = run("sync", saved, "--config", example_project.config_path)
    assert result.exit_code == 0, result.output
    # The fresh ids are random per plan: seeing the saved plan's ids proves it was this plan.
    assert block_ids(example_project.vault) == planned_ids
    assert len(example_project.issues()) == plan["summary"]["create"]
    counts = plan["summary"]
    assert (
        f"Applied: {counts['create']} create, {counts['write_back']} write back,"
        f" {counts['link']} link, {counts['transition']} transition"
    ) in result.output

    again = run("sync", saved, "--config", example_project.config_path)
    assert again.exit_code != 0 and "stale" in again.output


def test_a_jira_that_refuses_user_search_leaves_assignees_as_they_are_and_syncs(
    example_project: ExampleProject,
) -> None:
    """An account without the Browse users permission: one 403 stopped the whole plan."""
    example_project.app.configure_faults(
        {"fail_next": [{"status": 403, "path_contains": "user/search"}]}
    )
    result = run("sync", "--yes", "--config", example_project.config_path)
    assert result.exit_code == 0, result.output
    assert result.output.count("Jira refused to look users up (Jira answered 403") == 1
    assert "its issue keeps the assignee it has" in result.output
    routes = example_project.app.stats()["by_route"]
    assert sum(n for route, n in routes.items() if "user" in route) == 1  # not asked again


def unmapped_owner_warnings(config: Path) -> list[str]:
    """The warnings of ``plan`` about owners that map to no Jira user, one line each."""
    result = run("plan", "--config", config)
    assert result.exit_code == 0, result.output
    return [line for line in result.stdout.splitlines() if "keeps the assignee" in line]


def test_an_owner_without_an_account_names_the_setting_to_change(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "add it under [users]" was the advice for @Myself too, which 'myself' sets, and for an
    owner [users] already maps by an e-mail the backend does not know."""
    monkeypatch.setenv("PLANSYNC_MYSELF", "Jason")
    assert run("init", tmp_path).exit_code == 0
    config = tmp_path / "plansync.toml"
    text = config.read_text("utf-8").replace(  # the starter's example, in use
        '# [users]\n# "Tomer Hagay" = { email = "tomer@example.com" }',
        '[users]\n"Tomer Hagay" = { email = "nobody@example.com" }',
    )
    config.write_text(text, "utf-8")
    (tmp_path / "n.md").write_text("- [ ] A @Myself\n- [ ] B @Tomer Hagay\n- [ ] C @Bob\n")
    warnings = unmapped_owner_warnings(config)
    assert warnings == [
        "warning: n.md:1: owner '@Myself' ('myself' = 'Jason' in the config) maps to no Jira"
        " user: set 'myself' to a key of [users] or an e-mail Jira knows;"
        " its issue keeps the assignee it has (a new one: none)",
        "warning: n.md:2: owner '@Tomer Hagay' maps by e-mail 'nobody@example.com' ([users]) to"
        " no Jira user: give its jira id in [users] instead;"
        " its issue keeps the assignee it has (a new one: none)",
        "warning: n.md:3: owner '@Bob' maps to no Jira user (add it under [users] in the"
        " config);"
        " its issue keeps the assignee it has (a new one: none)",
    ]


def test_an_owner_cut_short_by_a_word_of_no_capital_is_named_whole_in_its_warning(
    tmp_path: Path, clean_env: None
) -> None:
    """Unconfigured, "@Ludwig van Beethoven" is read as "@Ludwig" (a name runs through
    capitalised words): the warning named "@Ludwig" alone, and led to mapping "Ludwig". It
    names the whole name too; once [users] names it, the line is read as that owner."""
    assert run("init", tmp_path).exit_code == 0
    config = tmp_path / "plansync.toml"
    (tmp_path / "n.md").write_text(
        "- [ ] Tune it @Ludwig van Beethoven #music\n- [ ] Ask @Dana about the Key\n"
    )
    warnings = unmapped_owner_warnings(config)
    assert warnings == [
        "warning: n.md:1: owner '@Ludwig' maps to no Jira user (add it under [users] in the"
        " config, or 'Ludwig van Beethoven' if that is who is meant);"
        " its issue keeps the assignee it has (a new one: none)",
        "warning: n.md:2: owner '@Dana' maps to no Jira user (add it under [users] in the"
        " config);"
        " its issue keeps the assignee it has (a new one: none)",
    ]
    text = config.read_text("utf-8")
    config.write_text(text + '\n[users]\n"Ludwig van Beethoven" = { jira = "acc-ludwig" }\n')
    assert unmapped_owner_warnings(config) == [warnings[1]]


def test_an_owner_warning_says_whether_no_user_or_how_many_match(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "maps to no Jira user, or to several" left the reader to find out which, though the
    user search had said: a second account with Shahar's e-mail is two users, an e-mail Jira
    does not know is none."""
    shared = SandboxUser(
        "shahar2", "5d53f3cbc6b9320d9ea5bdc3", "Shahar B", "shahar@example.com", "JIRAUSER10099"
    )
    monkeypatch.setattr(jira_app, "USERS", [*jira_app.USERS, shared])
    replace_once(
        example_project.config_path,
        "[users]\n",
        '[users]\n"Shahar" = { email = "shahar@example.com" }\n'
        '"Zed" = { email = "zed@example.com" }\n',
    )
    (example_project.vault / "hallway.md").write_text(
        "- [ ] Book the room @Shahar\n- [ ] Send the notes @Zed\n", "utf-8"
    )
    warnings = plansync.plan(load_config(example_project.config_path)).warnings
    owners = [w for w in warnings if w.startswith("hallway.md")]
    assert owners == [
        "hallway.md:1: owner '@Shahar' maps by e-mail 'shahar@example.com' ([users]) to 2 Jira"
        " users: give its jira id in [users] instead;"
        " its issue keeps the assignee it has (a new one: none)",
        "hallway.md:2: owner '@Zed' maps by e-mail 'zed@example.com' ([users]) to no Jira user:"
        " give its jira id in [users] instead;"
        " its issue keeps the assignee it has (a new one: none)",
    ]


def test_an_owner_in_nfd_or_nfc_maps_by_the_users_key_spelled_either_way(
    example_project: ExampleProject,
) -> None:
    """ "Lucía" in the note as "i" and U+0301 (macOS, some copy-paste) is the person the
    config's [users] key "Lucía" names, and the other way round: they look alike, and the
    plan warned that the owner maps to no Jira user. The note's text is sent as written."""
    lucia, emile = "Lucía Herrera", "Émile Dupont"
    nfd = unicodedata.normalize
    replace_once(
        example_project.config_path,
        "[users]\n",
        f'[users]\n"{lucia}" = {{ jira = "lucia-acct" }}\n'
        f'"{nfd("NFD", emile)}" = {{ jira = "emile-acct" }}\n',
    )
    (example_project.vault / "hallway.md").write_text(
        f"- [ ] Book the room @{nfd('NFD', lucia)}\n- [ ] Send the notes @{emile}\n", "utf-8"
    )
    plan = plansync.plan(load_config(example_project.config_path))
    creates = [c for c in plan.changes if c.action == "create" and c.item.note == "hallway.md"]
    assert [(c.fields["summary"], c.fields["assignee"]) for c in creates] == [
        ("Book the room", "lucia-acct"),
        ("Send the notes", "emile-acct"),
    ]
    assert not [w for w in plan.warnings if w.startswith("hallway.md")]


def test_a_failed_call_is_reported_without_a_note_line_or_a_wrong_count(
    example_project: ExampleProject,
) -> None:
    """A 500 to the bulk create fails every item, in one error that belongs to no note line: it
    read '-:0: sync jira failed' and ended with '1 item(s) failed'; the step is named, as an
    item's error names it."""
    example_project.app.configure_faults(
        {"fail_next": [{"status": 500, "path_contains": "issue/bulk", "count": 9}]}
    )
    result = run("sync", "--yes", "--config", example_project.config_path)
    assert result.exit_code == 1
    assert "error: jira create failed: Jira answered 500" in result.output
    assert "-:0:" not in result.output and "1 item failed" not in result.output
    # Which step stopped it, how many changes it left, and what to run once it is dealt with.
    assert (
        "Error: the sync stopped early (1 failed call: jira create; 71 changes not done); see"
        " above. When the error is dealt with, run `plansync sync --config"
    ) in result.output
    notes = sum(b"^ps-" in path.read_bytes() for path in example_project.vault.glob("*.md"))
    assert notes > 1 and "Not done: 22 write back" in result.stdout
    assert f"The ids are in the lines already ({notes} notes written)" in result.stdout


def test_an_update_skipped_as_changed_since_the_plan_is_not_waiting_for_the_next_sync(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    """A saved plan's update over an edit made in Jira since is a warning; "Not done: …, the
    next sync does them" would be wrong (the next plan shows it anew, maybe as a conflict)."""
    config = example_project.config_path
    assert run("sync", "--yes", "--config", config).exit_code == 0
    [note] = [p for p in example_project.vault.glob("*.md") if "^ps-" in p.read_text("utf-8")][:1]
    key = re.findall(r"\[([A-Z]+-\d+)\]\(", note.read_text("utf-8"))[0]
    text = note.read_text("utf-8")
    note.write_text(text.replace(f" [{key}](", f" (v2) [{key}](", 1), "utf-8")
    saved = tmp_path / "plan.json"
    assert run("plan", "--out", saved, "--config", config).exit_code == 0
    answer = requests.put(
        f"{example_project.url}/rest/api/2/issue/{key}",
        json={"fields": {"summary": "Renamed in Jira"}},
        auth=("tomer@example.com", "token"),
        timeout=10,
    )
    assert answer.status_code == 204, answer.text

    result = run("sync", saved, "--yes", "--config", config)
    assert (
        f"{key} not sent: summary changed since the plan was made in Jira;"
        f" `plansync plan --config {config}` shows it anew"
    ) in result.stderr
    assert "Not done" not in result.stdout
    # A reviewed change not carried out: not "everything was applied", which exits 0 (a
    # script or cron job could not tell); the summary counts them and says what to run.
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "Error: 1 change not sent, as its record changed since the plan was made; see above,"
        f" and `plansync plan --config {config}` shows that change anew\n"
    )


def test_changes_left_behind_a_failed_step_are_counted_not_silently_dropped(
    example_project: ExampleProject,
) -> None:
    """A done item whose link failed waits with its transition: the plan showed it, and the
    run's summary said nothing of it."""
    example_project.app.configure_faults(
        {"fail_next": [{"status": 400, "path_contains": "remotelink", "count": 1000}]}
    )
    plan = run("plan", "--json", "--config", example_project.config_path)
    transitions = json.loads(plan.stdout)["summary"]["transition"]
    assert transitions > 0
    result = run("sync", "--yes", "--config", example_project.config_path)
    assert result.exit_code == 1
    assert f"Not done: {transitions} transition, behind a step that failed;" in result.stdout
    example_project.app.configure_faults({"clear": True})
    assert run("sync", "--yes", "--config", example_project.config_path).exit_code == 0
    assert "No changes" in run("plan", "--config", example_project.config_path).stdout


def test_a_plan_that_cannot_be_saved_is_one_line_naming_the_file(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    out = tmp_path / "no such folder" / "plan.json"
    result = CliRunner().invoke(
        main, ["plan", "--out", str(out), "--config", str(example_project.config_path)]
    )
    assert result.exit_code == 1
    assert not isinstance(result.exception, OSError), "a traceback, not a message"
    assert f"cannot use {out}: No such file or directory" in result.output


def test_a_partial_plan_a_killed_run_left_is_removed_by_a_later_save(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    """A `plan --out` killed (SIGKILL) between writing its partial copy and renaming it left
    ``.plan.json.<pid>.partial``, which no later run ever wrote or removed: named for a process
    that is gone. One another run may be writing still (recent) is left, as is any other file."""
    plans = tmp_path / "plans"
    plans.mkdir()
    out = plans / "plan.json"
    dead, live = plans / ".plan.json.4452.partial", plans / ".plan.json.4453.partial"
    other = plans / ".plan.json.4452.partial.bak"
    for leftover in (dead, live, other):
        leftover.write_text('{"format_version"', "utf-8")
    long_ago = time.time() - ABANDONED_AFTER - 60
    os.utime(dead, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    assert run("plan", "--out", out, "--config", example_project.config_path).exit_code == 0
    assert sorted(p.name for p in plans.iterdir()) == sorted([out.name, live.name, other.name])


def test_a_saved_plan_is_on_disk_before_it_is_renamed_over_the_old_one(
    example_project: ExampleProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A power cut after the rename could leave an empty file where the plan was: its bytes
    were never flushed to disk, as a note's are."""
    out = tmp_path / "plan.json"
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.fstat(fd).st_ino)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    assert run("plan", "--out", out, "--config", example_project.config_path).exit_code == 0
    assert synced == [out.stat().st_ino], "the file renamed into place was flushed first"


def test_a_plan_cut_short_while_saved_leaves_the_old_one_whole(
    example_project: ExampleProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "plans").mkdir()
    out = tmp_path / "plans" / "plan.json"
    assert run("plan", "--out", out, "--config", example_project.config_path).exit_code == 0
    saved = out.read_bytes()

    def interrupted(self: Path, target: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "replace", interrupted)
    result = run("plan", "--out", out, "--config", example_project.config_path)
    assert result.exit_code == 130
    assert out.read_bytes() == saved
    assert [p.name for p in out.parent.iterdir()] == ["plan.json"], "no partial plan left"


def test_a_plan_saved_through_a_symlink_goes_into_the_file_it_names(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    (tmp_path / "plans").mkdir()
    real = tmp_path / "plans" / "current.json"
    real.write_text("")
    real.chmod(0o600)
    link = tmp_path / "plan.json"
    link.symlink_to(real)
    assert run("plan", "--out", link, "--config", example_project.config_path).exit_code == 0
    assert link.is_symlink() and json.loads(real.read_text())["fingerprint"]
    assert real.stat().st_mode & 0o777 == 0o600


def test_the_json_of_plan_json_is_refused_as_a_saved_plan(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    """``plan --json`` is for reading: it has no fingerprint and no write-back data. Applied, it
    created every issue without writing a block id back, and the next sync created them all
    again (a second issue per item)."""
    printed = tmp_path / "plan.json"
    result = run("plan", "--json", "--config", example_project.config_path)
    assert result.exit_code == 0
    printed.write_text(result.stdout, encoding="utf-8")
    notes = vault_bytes(example_project)

    result = run("sync", printed, "--config", example_project.config_path)
    assert result.exit_code == 1
    assert result.stderr == (  # says how to save a plan that can be applied
        f"Error: {printed} is a plan's review JSON (`plan --json`, `Plan.to_contract()`), not a"
        " saved plan: it leaves out what a sync needs to apply it; save one with"
        f" `plansync plan --config {example_project.config_path} --out {printed}`\n"
    )
    assert len(example_project.issues()) == 0
    assert vault_bytes(example_project) == notes


def test_json_that_is_no_plan_is_refused_as_such(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    """Any JSON object validates as a plan (every field has a default): ``{"x": 1}`` was
    refused as if it were `plan --json` output, "for reading"; and ``--out`` replaced it."""
    other = tmp_path / "x.json"
    other.write_text('{"x": 1}\n', encoding="utf-8")
    config = example_project.config_path
    result = run("sync", other, "--config", config)
    assert result.exit_code == 1
    assert result.stderr.endswith(
        f"Error: {other} is not a plansync plan; save one with"
        f" `plansync plan --config {config} --out {other}`\n"
    )
    result = run("plan", "--out", other, "--config", config)
    assert result.exit_code == 1
    assert "is not a plan saved by plansync; not overwritten" in result.stderr
    assert other.read_text("utf-8") == '{"x": 1}\n'
    assert len(example_project.issues()) == 0


def test_a_saved_plan_leaves_a_note_changed_since_for_the_next_sync(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    """A reviewed plan was refused whole once a note changed: nothing applied. The other notes'
    changes are applied as reviewed; the changed note's wait, a warning naming it and a "Not
    done:" line saying so, and the run is no success (exit 1); the next sync does them."""
    saved = tmp_path / "plan.json"
    config = example_project.config_path
    assert run("plan", "--out", saved, "--config", config).exit_code == 0
    note = example_project.note("weekly-cloud-program-sync")
    replace_once(note, "📅 2025-11-10 🔼", "📅 2025-11-24 🔼")
    edited = note.read_bytes()

    result = run("sync", saved, "--config", config)
    assert result.exit_code == 1
    assert result.stdout.startswith("Applied: 19 create, 19 write back, 19 link, 3 transition (")
    assert result.stdout.endswith(
        "Not done: 3 write back, 3 create, 3 link, 2 transition, as their notes changed since the"
        " plan was made; the next sync does them.\n"
    )
    assert result.stderr == (
        f"warning: {note.name} changed since the plan was made; its changes are left for the next"
        " sync\n"
        "Error: 11 changes not done, as their notes changed since the plan was made; see above\n"
    )
    assert note.read_bytes() == edited
    assert len(example_project.issues()) == 19

    again = run("sync", "--yes", "--config", config)
    assert again.exit_code == 0, again.output
    assert len(example_project.issues()) == 22
    assert note.read_text("utf-8").count("^ps-") == 3
    planned = run("plan", "--config", config).stdout
    assert planned.endswith("No changes. The notes and their records are in sync.\n")


def test_the_command_plan_out_suggests_applies_the_plan_when_pasted(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It said `plansync sync plan.json` after `plan --config ... --out plan.json`: pasted
    anywhere but beside the config, that sync found no config, or another one."""
    (tmp_path / "Meeting notes").mkdir()
    assert run("init", tmp_path / "Meeting notes").exit_code == 0
    (tmp_path / "Meeting notes" / "a.md").write_text("- [ ] Draft the plan\n", "utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = Path("..") / "Meeting notes" / "plansync.toml"
    result = run("plan", "--config", config, "--out", "my plan.json")
    assert result.exit_code == 0, result.output
    command = result.stdout.split("`")[-2]
    assert command == "plansync sync --config '../Meeting notes/plansync.toml' 'my plan.json'"
    words = shlex.split(command)
    assert words[0] == "plansync"
    result = run(*words[1:])
    assert result.exit_code == 0, result.output
    assert "^ps-" in (tmp_path / "Meeting notes" / "a.md").read_text("utf-8")


def test_a_plan_applied_with_another_config_is_refused_as_such(
    tmp_path: Path, clean_env: None
) -> None:
    """It was refused as "the plan is stale: a.md changed since it was made", naming a note
    of the other vault as if it had been edited; then as none of its notes being here, "made
    with another config or vault", naming neither. Both configs are named, with their
    vaults."""
    for name, text in (("one", "- [ ] Draft the plan\n"), ("two", "- [ ] Other work\n")):
        (tmp_path / name).mkdir()
        assert run("init", tmp_path / name).exit_code == 0
        (tmp_path / name / f"{name}.md").write_text(text, "utf-8")
    saved = tmp_path / "plan.json"
    assert (
        run("plan", "--out", saved, "--config", tmp_path / "one" / "plansync.toml").exit_code == 0
    )
    config = tmp_path / "two" / "plansync.toml"
    result = run("sync", saved, "--config", config)
    assert result.exit_code == 1
    one = tmp_path / "one"
    assert result.stderr.endswith(
        f"Error: the plan was made for another config: {one / 'plansync.toml'} (vault"
        f" {one.resolve()}), not {config} (vault {(tmp_path / 'two').resolve()});"
        f" run `plansync plan --config {config} --out {saved}` again\n"
    )
    assert (tmp_path / "two" / "two.md").read_text("utf-8") == "- [ ] Other work\n"


@pytest.mark.parametrize("synced", [False, True], ids=["before any sync", "after a sync"])
def test_a_saved_plan_whose_only_note_was_renamed_names_the_note_gone(
    tmp_path: Path, clean_env: None, synced: bool
) -> None:
    """It said only "it was made with another config or vault", naming no note, when the one
    note with items was renamed; with two notes, the same rename said "note.md (gone)
    changed". Made with this state store, the plan is this config's, and the note's change
    waits, said so."""
    assert run("init", tmp_path).exit_code == 0
    config = tmp_path / "plansync.toml"
    note = tmp_path / "note.md"
    note.write_text("- [ ] Draft the plan\n", "utf-8")
    if synced:
        assert run("sync", "--yes", "--config", config).exit_code == 0
        replace_once(note, "Draft", "Write")
    saved = tmp_path / "p.json"
    assert run("plan", "--out", saved, "--config", config).exit_code == 0
    note.rename(tmp_path / "renamed note.md")
    result = run("sync", saved, "--config", config)
    assert result.exit_code == 1
    if synced:  # the plan's, as its store is this config's: its change waits for the next sync
        assert result.stderr.endswith(
            "\nwarning: note.md was deleted or renamed since the plan was made; its changes are"
            " left for the next sync\n"
            "Error: 1 change not done, as their notes changed since the plan was made; see above\n"
        )
    else:
        assert result.stderr.endswith(
            "Error: the plan is stale: none of the notes it was made from (note.md) is in"
            f" {tmp_path.resolve()}: renamed, moved or deleted since, or made with another config"
            f" or vault; run `plansync plan --config {config} --out {saved}` again\n"
        )


@pytest.mark.parametrize("synced", [False, True], ids=["before any sync", "after a sync"])
def test_a_saved_plan_applies_to_the_same_vault_at_another_path(
    tmp_path: Path, clean_env: None, synced: bool
) -> None:
    """Planned in one checkout (a CI job, a laptop), applied in another copy of the same
    vault and state: the plan is checked by its notes and its state store, not by where they
    were (the state folder it was made with names another config only to a stale plan)."""
    (tmp_path / "here").mkdir()
    assert run("init", tmp_path / "here").exit_code == 0
    (tmp_path / "here" / "a.md").write_text("- [ ] Draft the plan\n", "utf-8")
    if synced:
        assert run("sync", "-y", "--config", tmp_path / "here" / "plansync.toml").exit_code == 0
        with (tmp_path / "here" / "a.md").open("a", encoding="utf-8") as note:
            note.write("- [ ] Book the room\n")
    saved = tmp_path / "plan.json"
    assert (
        run("plan", "--out", saved, "--config", tmp_path / "here" / "plansync.toml").exit_code == 0
    )
    shutil.move(tmp_path / "here", tmp_path / "there")
    result = run("sync", saved, "--config", tmp_path / "there" / "plansync.toml")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "there" / "a.md").read_text("utf-8").count("^ps-") == 1 + synced


@pytest.mark.parametrize("synced", [False, True], ids=["before any sync", "after a sync"])
def test_a_plan_of_a_moved_folder_stale_for_a_sync_since_says_so(
    tmp_path: Path, clean_env: None, synced: bool
) -> None:
    """The same vault and state store at another path, a sync run there since the plan: it was
    refused as "made for another config", naming the folder's old path, which sent the caller
    looking for a config that never was. Its store is the plan's (or had no id yet, its notes
    here): the plan is stale, and says why."""
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    assert run("init", here).exit_code == 0
    (here / "a.md").write_text("- [ ] Draft the plan\n", "utf-8")
    if synced:
        assert run("sync", "-y", "--config", here / "plansync.toml").exit_code == 0
        with (here / "a.md").open("a", encoding="utf-8") as note:
            note.write("- [ ] Book the room\n")
    saved = tmp_path / "plan.json"
    assert run("plan", "--out", saved, "--config", here / "plansync.toml").exit_code == 0
    shutil.move(here, there)
    config = there / "plansync.toml"
    assert run("sync", "-y", "--config", config).exit_code == 0
    result = run("sync", saved, "--config", config)
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "Error: the plan is stale: a sync (or a forget) ran since it was made (this plan's own,"
        f" if it was applied already); run `plansync plan --config {config} --out {saved}`"
        " again\n"
    ), result.stderr


def test_plan_out_never_overwrites_a_file_that_is_not_a_saved_plan(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    """``--out plansync.toml`` or ``--out`` at a note replaced it with the plan: the config or
    the note was lost."""
    config = example_project.config_path
    note = example_project.note("weekly-cloud-program-sync")
    for target in (config, note):
        before = target.read_bytes()
        result = run("plan", "--out", target, "--config", config)
        assert result.exit_code == 1
        assert result.stderr.endswith(
            f"Error: {target} exists and is not a plan saved by plansync; not overwritten"
            " (remove it, or choose another --out)\n"
        )
        assert target.read_bytes() == before
    saved = tmp_path / "plan.json"  # a saved plan is replaced, as terraform's is
    assert run("plan", "--out", saved, "--config", config).exit_code == 0
    assert run("plan", "--out", saved, "--config", config).exit_code == 0


def test_plan_out_writes_into_a_pipe_as_it_is_never_reading_or_replacing_it(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    """``--out >(jq .)`` waited for ever (the check for a saved plan read the pipe first), and
    ``--out /dev/null`` as root replaced the device with a regular file."""
    pipe = tmp_path / "plan.pipe"
    os.mkfifo(pipe)
    received: list[str] = []

    def drain() -> None:
        with pipe.open(encoding="utf-8") as stream:
            received.append(stream.read())

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    cli = [sys.executable, "-c", "from plansync.cli import main; main()"]
    planned = subprocess.run(
        [*cli, "plan", "--out", str(pipe), "--config", str(example_project.config_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert planned.returncode == 0, planned.stderr
    reader.join(10)
    assert json.loads(received[0])["fingerprint"]
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert f"Wrote the plan to {pipe}.\n" in planned.stdout


def with_a_long_note(project: ExampleProject) -> Path:
    """A note of 60 items added to ``project``'s vault: steps long enough to report progress."""
    items = "".join(f"- [ ] Check replica {n} of the bucket index @Myself\n" for n in range(60))
    note = project.vault / "2025-11-21-replica-audit.md"
    note.write_text(f"---\ntitle: Replica audit\n---\n\n## Action Items\n\n{items}", "utf-8")
    return note


def test_a_sync_goes_on_when_its_progress_lines_can_no_longer_be_written(
    example_project: ExampleProject,
) -> None:
    """``sync --yes 2> >(head -n 3)``: once the reader quit, the next progress line failed and
    stopped the sync between two create batches, with no keys written back and no message."""
    note = with_a_long_note(example_project)
    cli = [sys.executable, "-c", "from plansync.cli import main; main()"]
    syncing = subprocess.Popen(
        [*cli, "sync", "--yes", "--config", str(example_project.config_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert syncing.stderr is not None
    for line in syncing.stderr:  # the reader quits at the first progress line
        if line.startswith("  create in jira: "):
            break
    syncing.stderr.close()
    assert syncing.wait(timeout=120) == 0
    planned = run("plan", "--config", example_project.config_path).stdout
    assert planned.endswith("No changes. The notes and their records are in sync.\n")
    assert note.read_text("utf-8").count("](") == 60  # every key written back


def on_a_terminal(*args: str | Path, term: str) -> str:
    """What ``plansync *args`` writes to a terminal: its stdout and stderr on one
    pseudo-terminal, as in a shell, in the order written; raw, so a line ends in "\\n" as
    written (not "\\r\\n"). NO_COLOR: no colour, which is no reason not to erase."""
    ours, theirs = pty.openpty()
    tty.setraw(theirs)
    cli = [sys.executable, "-c", "from plansync.cli import main; main()"]
    command = subprocess.Popen(
        [*cli, *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=theirs,
        stderr=theirs,
        env={**os.environ, "TERM": term, "NO_COLOR": "1"},
    )
    os.close(theirs)
    written = b""
    with contextlib.suppress(OSError):  # EIO: the command ended, and its end closed with it
        while select.select([ours], [], [], 120)[0] and (chunk := os.read(ours, 65536)):
            written += chunk
    os.close(ours)
    assert command.wait(timeout=120) == 0, written
    return written.decode("utf-8")


def test_progress_on_a_terminal_is_one_line_that_ends_before_anything_else_is_written(
    example_project: ExampleProject,
) -> None:
    """Each report was a line of its own on a terminal too. Now one line rewritten in place,
    every step's, ended before the plan, a warning mid-run (a 429 answered to a link, after
    the creates' reports) and the report at the end: each starts a line of its own."""
    with_a_long_note(example_project)
    example_project.app.configure_faults(
        {"fail_next": [{"status": 429, "retry_after": 0, "path_contains": "remotelink"}]}
    )
    written = on_a_terminal("sync", "--yes", "--config", example_project.config_path, term="xterm")
    assert written.endswith(" HTTP requests).\n")
    lines = written.split("\n")
    assert [line for line in lines if ERASE in line] == [
        f"  create in jira: 50/82{ERASE}  create in jira: 82/82",
        f"  link in jira: 50/82{ERASE}  link in jira: 82/82",
    ]
    shown = [line.rsplit(ERASE, 1)[-1] for line in lines]  # as the terminal shows them
    progress = [i for i, line in enumerate(shown) if re.fullmatch(r"  [a-zA-Z ]+: \d+/\d+", line)]
    assert [shown[i] for i in progress] == [
        "  planning for Jira: 82/82",
        "  create in jira: 82/82",
        "  link in jira: 82/82",
    ]
    assert shown[progress[0] + 1].startswith("warning: ")  # the plan, its warnings first
    assert shown[progress[1] + 1].startswith("warning: Jira answered 429 to linking PLAN-")
    assert shown[progress[2] + 1].startswith("Applied: 82 create")
    assert "\r" not in written.replace(ERASE, "") and "\x1b" not in written.replace(ERASE, "")


def test_progress_on_a_terminal_that_cannot_erase_is_a_line_a_report(
    example_project: ExampleProject,
) -> None:
    """TERM=dumb (Emacs' shell buffer): the escape would show, so a line a report, as in a log."""
    with_a_long_note(example_project)
    written = on_a_terminal("plan", "--config", example_project.config_path, term="dumb")
    assert written.startswith("  planning for Jira: 82/82\nwarning: ")  # the plan's first line
    assert "\r" not in written and "\x1b" not in written


def test_a_saved_plan_applies_after_an_edit_to_a_note_without_items(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    """A daily note a plugin keeps writing to made every reviewed plan stale, although it
    holds nothing a sync reads; then a note with items edited since made it stale too, where
    the plan held no change of it. Neither leaves anything out, nor says so."""
    daily = example_project.vault / "2025-11-20-daily.md"
    daily.write_text("# 2025-11-20\n\n- Coffee with Dana\n", encoding="utf-8")
    saved = tmp_path / "plan.json"
    config = example_project.config_path
    assert run("plan", "--out", saved, "--config", config).exit_code == 0
    daily.write_text(daily.read_text("utf-8") + "- Lunch\n", encoding="utf-8")
    assert run("sync", saved, "--config", config).exit_code == 0
    replace_once(example_project.note("pricing"), "📅 2025-11-19 ⏫", "📅 2025-11-26 ⏫")
    assert run("plan", "--out", saved, "--config", config).exit_code == 0
    weekly = example_project.note("weekly-cloud-program-sync")
    weekly.write_text(weekly.read_text("utf-8") + "\nEdited.\n", encoding="utf-8")
    result = run("sync", saved, "--config", config)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Applied: 1 update (") and result.stderr == ""


def synced_then_a_line_deleted(project: ExampleProject) -> tuple[Path, Path, str]:
    """The project synced under ``orphans = "cancel"`` with a daily note that holds no item,
    then the runbook's line deleted from its note: the config, the daily note, the line."""
    config = project.write_config('[sync]\norphans = "cancel"\n')
    daily = project.vault / "2025-11-20-daily.md"
    daily.write_text("# 2025-11-20\n", encoding="utf-8")
    assert run("sync", "--yes", "--config", config).exit_code == 0
    weekly = project.note("weekly-cloud-program-sync")
    [line] = [x for x in weekly.read_text("utf-8").split("\n") if "runbook for changing" in x]
    replace_once(weekly, line + "\n", "")
    return config, daily, line


def test_a_saved_plans_cancel_waits_after_an_edit_to_any_note(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    """A cancel stands on its line's id being on no line of the vault: pasted since into the
    daily note (no items, so no change of its own), a new plan leaves the record alone, and
    the saved plan must not cancel it: the cancel waits, said so, and the next plan has none."""
    config, daily, line = synced_then_a_line_deleted(example_project)
    saved = tmp_path / "plan.json"
    assert run("plan", "--out", saved, "--config", config).exit_code == 0
    assert "cancelled (sync.orphans = 'cancel')" in run("plan", "--config", config).stdout
    daily.write_text(daily.read_text("utf-8") + line.replace("- [ ] ", "- ") + "\n", "utf-8")
    result = run("sync", saved, "--config", config)
    assert result.exit_code == 1
    assert f"the id being on no other line of the vault, and {daily.name} changed" in result.stderr
    assert "Not done: 1 transition, as their notes changed since the plan" in result.stdout
    assert "cancelled (sync.orphans" not in run("plan", "--config", config).stdout


def test_a_cancel_left_alone_does_not_tie_a_saved_plan_to_every_note(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    """A line kept as a plain bullet in another note spares its record's cancel at every plan:
    such a plan cancels nothing, so a note without items edited since does not make it stale
    (every saved plan of the vault was, under orphans = "cancel")."""
    config, daily, line = synced_then_a_line_deleted(example_project)
    kept = example_project.vault / "2025-11-21-kept.md"
    kept.write_text(line.replace("- [ ] ", "- ") + "\n", encoding="utf-8")
    saved = tmp_path / "plan.json"
    assert run("plan", "--out", saved, "--config", config).exit_code == 0
    assert "cancelled (sync.orphans" not in run("plan", "--config", config).stdout
    daily.write_text(daily.read_text("utf-8") + "- Lunch\n", encoding="utf-8")
    assert run("sync", saved, "--config", config).exit_code == 0


def saved_before_vault_wide(saved: Path) -> None:
    """``saved`` as plansync saved plans before they named the changes that stand on every
    note (``fingerprint.vault_wide``): a changed note makes such a plan stale as a whole."""
    data = json.loads(saved.read_text("utf-8"))
    del data["fingerprint"]["vault_wide"]
    saved.write_text(json.dumps(data), "utf-8")


def test_an_older_plan_stale_in_many_notes_names_five_and_counts_the_rest(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    """The message named five notes and said nothing of the others, as if five had changed."""
    saved = tmp_path / "plan.json"
    assert run("plan", "--out", saved, "--config", example_project.config_path).exit_code == 0
    saved_before_vault_wide(saved)
    notes = sorted(example_project.vault.rglob("*.md"))
    assert len(notes) == 8
    for note in notes:
        note.write_text(note.read_text("utf-8") + "\nEdited.\n", "utf-8")
    result = run("sync", saved, "--config", example_project.config_path)
    assert result.exit_code == 1
    assert " and 3 more notes changed since it was made" in result.stderr


def test_an_older_plan_stale_for_a_note_deleted_says_it_was_deleted(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    """It read "e.md (gone) changed since it was made", as if the note had been edited."""
    saved = tmp_path / "plan.json"
    assert run("plan", "--out", saved, "--config", example_project.config_path).exit_code == 0
    saved_before_vault_wide(saved)
    edited, deleted = sorted(example_project.vault.glob("*.md"))[:2]
    edited.write_text(edited.read_text("utf-8") + "\nEdited.\n", "utf-8")
    deleted.unlink()
    result = run("sync", saved, "--config", example_project.config_path)
    assert result.exit_code == 1
    assert (
        f"the plan is stale: {edited.name} changed and {deleted.name} was deleted or renamed"
        " since it was made;" in result.stderr
    )


def test_every_option_of_every_command_says_what_it_does() -> None:
    """``sandbox serve --help`` said nothing of --mode, --latency-ms and --state."""

    def options(command: click.Command, path: str) -> Iterator[str]:
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from options(sub, f"{path} {name}")
            return
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden and not param.help:
                yield f"{path} {param.opts[0]}"

    assert list(options(main, "plansync")) == []
    shown = " ".join(run("sandbox", "serve", "--help").stdout.split())
    assert "Data Center" in shown and "Milliseconds" in shown and "from one run to" in shown


def test_sync_asks_and_a_no_applies_nothing(example_project: ExampleProject) -> None:
    notes = vault_bytes(example_project)
    result = run("sync", "--config", example_project.config_path, input="n\n")
    assert result.exit_code == 1
    assert "Apply these changes?" in result.output
    assert "nothing applied" in result.output
    assert len(example_project.issues()) == 0
    assert vault_bytes(example_project) == notes
    store = StateStore(example_project.state_db.parent, readonly=True)
    assert store.records() == {} and store.in_flight() == [], "declining records nothing"
    store.close()

    result = run("sync", "--config", example_project.config_path, input="y\n")
    assert result.exit_code == 0, result.output
    assert len(example_project.issues()) > 0


def test_a_note_edited_while_sync_yes_plans_waits_and_the_rest_is_synced(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user test, a 3,000-note vault (20-45 s to plan) being written to: "Error: the plan is
    stale: 0029/note-02990.md changed since it was made", nothing applied, exit 1, at every
    cron run. The note's changes wait for the next sync, which makes them; the rest is made."""
    note = example_project.note("weekly-cloud-program-sync")
    build = Planner.build

    def saved_while_planned(planner: Planner) -> plansync.Plan:
        made = build(planner)
        if not note.read_text("utf-8").count("2025-11-24"):  # the first sync's plan only
            replace_once(note, "📅 2025-11-10 🔼", "📅 2025-11-24 🔼")
        return made

    monkeypatch.setattr(Planner, "build", saved_while_planned)
    config = example_project.config_path
    result = run("sync", "--yes", "--quiet", "--config", config)
    assert result.exit_code == 1
    assert result.stdout.endswith(
        "Not done: 3 write back, 3 create, 3 link, 2 transition, as their notes changed since the"
        " plan was made; the next sync does them.\n"
    )
    assert result.stderr.endswith(
        f"warning: {note.name} changed since the plan was made; its changes are left for the next"
        " sync\n"
        "Error: 11 changes not done, as their notes changed since the plan was made; see above\n"
    )
    assert len(example_project.issues()) == 19
    again = run("sync", "--yes", "--quiet", "--config", config)
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("Applied: 3 create, 3 write back, 3 link, 2 transition (")
    assert len(example_project.issues()) == 22


def test_a_note_edited_while_sync_asks_waits_for_the_next_sync(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan `sync` asks about is the run's own: an edit before the answer leaves that
    note's changes for the next sync, as for a saved plan, and the rest is made."""
    note = example_project.note("weekly-cloud-program-sync")

    def edited_meanwhile(question: str, default: bool) -> bool:
        replace_once(note, "📅 2025-11-10 🔼", "📅 2025-11-24 🔼")
        return True

    monkeypatch.setattr(click, "confirm", edited_meanwhile)
    result = run("sync", "--config", example_project.config_path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"warning: {note.name} changed since the plan was made;")
    assert len(example_project.issues()) == 19


def test_a_stale_saved_plan_names_the_plan_to_make_with_its_config_and_file(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    """A plan saved with ``--out`` is made again with both: `plansync plan` alone found no
    config in another folder, and saved nothing for `sync PLAN_FILE` to apply."""
    saved = tmp_path / "my plan.json"
    config = example_project.config_path
    assert run("plan", "--out", saved, "--config", config).exit_code == 0
    assert run("sync", "--yes", "--config", config).exit_code == 0
    result = run("sync", saved, "--config", config)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the plan is stale: a sync (or a forget) ran since it was made (this plan's own,"
        f" if it was applied already); run `plansync plan --config {config} --out '{saved}'`"
        " again\n"
    )


@pytest.mark.parametrize("since", ["a sync ran", "the state store was replaced"])
def test_every_stale_saved_plan_names_the_plan_to_make_with_its_config_and_file(
    tmp_path: Path, clean_env: None, since: str
) -> None:
    """Only a note's change named the command: a sync since, or a state store replaced, said
    "plan again", leaving the user to guess it (and its ``--config`` and ``--out``)."""
    assert run("init", tmp_path).exit_code == 0
    config = tmp_path / "plansync.toml"
    (tmp_path / "a.md").write_text("- [ ] Draft the plan\n", "utf-8")
    assert run("sync", "--yes", "--config", config).exit_code == 0  # a state store to replace
    (tmp_path / "b.md").write_text("- [ ] Book the room\n", "utf-8")
    saved = tmp_path / "p.json"
    assert run("plan", "--out", saved, "--config", config).exit_code == 0
    if since == "a sync ran":
        assert run("sync", "--yes", "--config", config).exit_code == 0
        reason = "a sync (or a forget) ran since it was made (this plan's own, if it was applied"
        reason += " already)"
    else:
        state = tmp_path / ".plansync" / "state.db"
        state.unlink()
        reason = f"the state store {state.resolve()} was deleted or replaced since it was made"
    result = run("sync", saved, "--config", config)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: the plan is stale: {reason}; run `plansync plan --config {config} --out {saved}`"
        " again"
    )


def test_a_vault_whose_state_folder_was_deleted_with_the_embedded_sandbox_says_once_what_to_do(
    tmp_path: Path, clean_env: None
) -> None:
    """A user test: after ``rm -rf .plansync`` in a vault synced to the embedded sandbox, each
    line was a conflict ("the note names PLAN-1, but no Jira record carries ps-…; not created
    again") and nothing said what to do, as the hint of records gone spoke only of those the
    state store tracks. Deleting the folder deleted the sandbox's records too: the plan says
    so once, and what starts over, which then makes them anew."""
    assert run("init", tmp_path).exit_code == 0
    config = tmp_path / "plansync.toml"
    note = tmp_path / "a.md"
    note.write_text("- [ ] Draft the plan\n- [ ] Book the room\n", "utf-8")
    assert run("sync", "--yes", "--config", config).exit_code == 0
    shutil.rmtree(tmp_path / ".plansync")
    shown = run("plan", "--config", config)
    assert shown.exit_code == 0, shown.output
    assert shown.output.count("not created again") == 2
    hints = [line for line in shown.output.splitlines() if "To start over" in line]
    assert len(hints) == 1, shown.output
    (hint,) = hints
    folder = tmp_path.resolve() / ".plansync"
    assert hint.startswith("2 lines name a Jira key (PLAN-1, PLAN-2) that no Jira record")
    assert f"keeps its records in {folder / 'sandbox'}: deleted with it (or with all of" in hint
    assert hint.endswith(
        f"take their key links off their lines: `plansync sync --config {config}` then makes"
        " them anew."
    )

    # What the hint says makes them anew.
    note.write_text(re.sub(r" \[PLAN-\d+\]\([^)]*\)", "", note.read_text("utf-8")), "utf-8")
    again = run("plan", "--config", config)
    assert "2 to create" in again.output and "; 0 conflicts," in again.output, again.output


@pytest.fixture
def signals_caught() -> Iterator[None]:
    """SIGTERM and SIGHUP raise instead of ending the test run, when nothing else takes them."""

    def unhandled(number: int, _frame: object) -> None:
        raise AssertionError(f"{signal.Signals(number).name} reached the default handler")

    saved = {s: signal.signal(s, unhandled) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP])
def test_a_sync_stopped_by_a_signal_cleans_up_and_says_a_rerun_finishes_it(
    example_project: ExampleProject,
    monkeypatch: pytest.MonkeyPatch,
    signals_caught: None,
    stop: signal.Signals,
) -> None:
    """A cancelled CI job (SIGTERM) or a closed terminal (SIGHUP) ended the process at once,
    saying nothing and skipping every cleanup."""
    from plansync.connectors.jira import JiraConnector

    link = JiraConnector.upsert_links
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}

    def stopped(self: JiraConnector, *args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), stop)
        return link(self, *args, **kwargs)

    monkeypatch.setattr(JiraConnector, "upsert_links", stopped)
    config = example_project.config_path
    result = run("sync", "--yes", "--config", config)
    assert result.exit_code == 128 + stop, result.output
    assert f"Stopped ({stop.name}): what was applied is kept" in result.stderr
    assert not list(example_project.vault.rglob("*plansync-tmp*"))
    assert {s: signal.getsignal(s) for s in handlers} == handlers  # put back
    monkeypatch.setattr(JiraConnector, "upsert_links", link)
    assert run("sync", "--yes", "--config", config).exit_code == 0
    assert run("plan", "--detailed-exitcode", "--config", config).exit_code == 0


class _CtrlC(io.BytesIO):
    """A terminal whose user presses Ctrl-C at the question."""

    def read(self, size: int | None = -1) -> bytes:
        if size == 0:  # click asks whether the stream is binary
            return b""
        raise KeyboardInterrupt

    read1 = readline = read


def test_ctrl_c_at_the_question_exits_as_interrupted_and_applies_nothing(
    example_project: ExampleProject,
) -> None:
    """Click turns Ctrl-C at a prompt into the same abort as no answer: it exited 1, "no
    answer", where a Ctrl-C anywhere else exits 130."""
    notes = vault_bytes(example_project)
    result = CliRunner().invoke(
        main, ["sync", "--config", str(example_project.config_path)], input=_CtrlC()
    )
    assert result.exit_code == 130
    assert result.stderr.endswith("Interrupted: nothing was applied.\n")
    assert len(example_project.issues()) == 0 and vault_bytes(example_project) == notes


class _Signalled(io.BytesIO):
    """A terminal that gets a signal while the question waits (a CI job cancelled at it)."""

    def __init__(self, number: signal.Signals) -> None:
        super().__init__()
        self.number = number

    def read(self, size: int | None = -1) -> bytes:
        if size == 0:
            return b""
        os.kill(os.getpid(), self.number)
        return b""

    read1 = readline = read


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_at_the_question_exits_as_that_signal_and_applies_nothing(
    example_project: ExampleProject, signals_caught: None, stop: signal.Signals
) -> None:
    """It was taken for Ctrl-C: "Interrupted", exit 130, not 143 (SIGTERM) or 129 (SIGHUP)."""
    notes = vault_bytes(example_project)
    result = CliRunner().invoke(
        main, ["sync", "--config", str(example_project.config_path)], input=_Signalled(stop)
    )
    assert result.exit_code == 128 + stop, result.output
    assert result.stderr.endswith(f"Stopped ({stop.name}): nothing was applied.\n")
    assert len(example_project.issues()) == 0 and vault_bytes(example_project) == notes


def test_sync_with_no_answer_to_its_question_applies_nothing_and_says_why(
    example_project: ExampleProject,
) -> None:
    """A cron job or CI step without --yes: stdin is empty. Not click's bare "Aborted!"."""
    notes = vault_bytes(example_project)
    result = run("sync", "--config", example_project.config_path, input="")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "Error: no answer, so nothing was applied (--yes applies without asking)\n"
    )
    assert "Aborted!" not in result.output
    assert len(example_project.issues()) == 0 and vault_bytes(example_project) == notes
    assert run("sync", "--yes", "--config", example_project.config_path).exit_code == 0


def test_ctrl_c_during_a_sync_says_a_rerun_finishes_it_and_a_rerun_does(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch, lookup_waits: Sleeps
) -> None:
    """Not click's bare "Aborted!", which left the user asking what was lost."""
    from plansync.connectors.jira import JiraConnector

    create = JiraConnector.create_many
    calls: list[int] = []

    def interrupted(self: JiraConnector, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return create(self, *args, **kwargs)

    monkeypatch.setattr(JiraConnector, "create_many", interrupted)
    config = example_project.config_path
    config.write_text(config.read_text("utf-8") + "\n[sync]\nbatch_size = 2\n", "utf-8")
    result = run("sync", "--yes", "--config", config)
    assert result.exit_code == 130, result.output
    assert "Interrupted: what was applied is kept" in result.stderr
    assert f"run `plansync sync --config {config}` again to finish" in result.stderr
    assert "Aborted!" not in result.output
    monkeypatch.setattr(JiraConnector, "create_many", create)
    assert run("sync", "--yes", "--config", config).exit_code == 0
    assert run("plan", "--detailed-exitcode", "--config", config).exit_code == 0


def test_ctrl_c_during_a_plan_says_nothing_changed_and_exits_as_interrupted(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Click's "Aborted!" and exit 1, which --detailed-exitcode reads as an error."""
    from plansync.connectors.jira import JiraConnector

    def interrupted(self: JiraConnector, *args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    # A first plan's request to Jira: its project read (it looks up no id, all being new).
    monkeypatch.setattr(JiraConnector, "destination_problem", interrupted)
    result = run("plan", "--detailed-exitcode", "--config", example_project.config_path)
    assert result.exit_code == 130, result.output
    assert "Interrupted: a plan changes nothing, so nothing was changed." in result.stderr
    assert "Aborted!" not in result.output


def test_ctrl_c_before_a_plan_starts_exits_as_interrupted_not_as_an_error(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the config loads: click's "Aborted!" and exit 1, an error to a script."""
    import plansync.config_load

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(plansync.config_load, "read_config", interrupted)
    result = run("plan", "--detailed-exitcode", "--config", example_project.config_path)
    assert result.exit_code == 130, result.output
    assert result.stderr.endswith("Interrupted.\n")
    assert "Aborted!" not in result.output


def test_ctrl_c_while_the_command_line_loads_exits_130_without_a_traceback() -> None:
    """The installed ``plansync`` command stopped while it imports click (the command line's
    modules take a fifth of a second to load): it printed a Python traceback."""
    code = (
        "import sys\n"
        "from importlib.metadata import entry_points\n"
        "class CtrlC:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'click':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, CtrlC())\n"
        "[command] = entry_points(group='console_scripts', name='plansync')\n"
        "sys.exit(command.load()())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "plan"], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "\nInterrupted.\n")


def test_a_second_concurrent_run_is_refused_naming_the_lock(
    example_project: ExampleProject,
) -> None:
    config = load_config(example_project.config_path)
    notes = vault_bytes(example_project)
    with run_lock(config.state_dir):
        result = run("sync", "--yes", "--config", example_project.config_path)
    assert result.exit_code == 1
    lock = config.state_dir / "lock"
    # held here, by this process: not "another plansync run (pid <its own>)"
    assert f"a plansync call of this process (pid {os.getpid()}, started" in result.output
    assert str(lock) in result.output
    assert "Traceback" not in result.output
    assert len(example_project.issues()) == 0
    assert vault_bytes(example_project) == notes
    # Released: the next run goes ahead.
    assert run("sync", "--yes", "--config", example_project.config_path).exit_code == 0


def test_a_sync_told_to_wait_runs_once_the_other_run_has_finished(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For cron runs that may overlap: the second waits instead of failing (and mailing)."""
    config = load_config(example_project.config_path)
    waits: list[float] = []
    with contextlib.ExitStack() as other_run:
        other_run.enter_context(run_lock(config.state_dir))

        def the_other_run_finishes(seconds: float) -> None:  # while this one waits
            waits.append(seconds)
            other_run.close()

        monkeypatch.setattr(run_lock_module, "_sleep", the_other_run_finishes)
        result = run("sync", "-y", "-q", "--wait", "60", "--config", example_project.config_path)
    assert result.exit_code == 0, result.output
    assert len(waits) == 1  # it waited, then ran
    assert result.stdout.startswith("Applied: 22 create")
    (waiting,) = [line for line in result.stderr.splitlines() if "holds the lock" in line]
    assert re.fullmatch(  # once, as a warning line: the library logs it
        r"warning: a plansync call of this process \(pid \d+, started [-\d: ]+: another"
        r" thread's, or an earlier call not finished\) holds the lock"
        f" {re.escape(str(config.state_dir / 'lock'))}; waiting up to 60 s for it",
        waiting,
    )


def test_the_command_line_s_messages_name_its_commands_and_options(
    example_project: ExampleProject,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The library says what to call or pass, and the command line what to type: the same
    messages, each in its caller's words."""
    config = load_config(example_project.config_path)
    with run_lock(config.state_dir):
        result = run("sync", "-y", "--config", example_project.config_path)
    assert result.exit_code == 1, result.output
    assert result.stderr.endswith("; wait for it to finish, or give --wait SECONDS\n")

    elsewhere = tmp_path_factory.mktemp("elsewhere")  # the example's config is in tmp_path
    monkeypatch.chdir(elsewhere)
    result = run("plan")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: no plansync.toml in {elsewhere} or its parents (run `plansync init DIR`)\n"
    )
    (elsewhere / "plansync.toml").write_text('[vault]\npath = "."\n', "utf-8")
    result = run("plan")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {elsewhere / 'plansync.toml'}: no [[rules]] and no [salesforce] table, so no"
        " item goes anywhere (`plansync init DIR` writes a starter config)\n"
    )


@pytest.mark.parametrize("seconds", ["-1", "nan"])
def test_a_wait_that_is_no_number_of_seconds_is_a_usage_error(
    example_project: ExampleProject, seconds: str
) -> None:
    """nan passed FloatRange(min=0), and a run told to wait for it waited for ever."""
    result = run("sync", "-y", "--wait", seconds, "--config", example_project.config_path)
    assert result.exit_code == 1
    assert "Invalid value for '--wait'" in result.stderr


def test_a_plan_made_while_a_sync_runs_says_so(example_project: ExampleProject) -> None:
    """A plan takes no lock; made mid-sync it showed creates and updates the running sync
    was carrying out as if they were still to do."""
    config = load_config(example_project.config_path)
    with run_lock(config.state_dir):
        result = run("plan", "--config", example_project.config_path)
    assert result.exit_code == 0, result.output
    assert f"warning: a sync is running (pid {os.getpid()}, started " in result.output
    assert (
        f"run `plansync plan --config {example_project.config_path}` again when it has finished"
    ) in result.output
    result = run("plan", "--config", example_project.config_path)
    assert "a sync is running" not in result.output


def test_a_config_for_salesforce_alone_is_not_told_it_uses_a_jira_sandbox(
    tmp_path: Path, clean_env: None
) -> None:
    config = tmp_path / "plansync.toml"
    config.write_text("[salesforce]\n", "utf-8")
    (tmp_path / "n.md").write_text("- [ ] Ask for it #rfe\n", "utf-8")
    result = run("plan", "--config", config)
    assert result.exit_code == 0, result.output
    notice = (
        "No Salesforce instance configured: using the embedded sandbox"
        f" (state in {tmp_path / '.plansync' / 'sandbox'})."
    )
    assert result.stdout.splitlines()[0] == f"warning: {notice}"  # the plan's first line
    assert "+ salesforce create" in result.stdout
    assert not result.stderr
    shown = run("plan", "--json", "--config", config)  # the JSON is for a program to read
    assert shown.stderr.splitlines() == [f"warning: {notice}"]  # as the plan's text says it
    assert json.loads(shown.stdout)["notices"] == [notice]


# ---- init, the embedded sandbox and the demo -------------------------------------------------


@pytest.mark.parametrize("name", ["Meeting notes", "Team's vault"])
def test_the_command_init_suggests_runs_as_pasted(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """A folder name with a space or a quote broke the suggested command when pasted."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).mkdir()
    result = run("init", name)
    assert result.exit_code == 0, result.output
    command = result.output.split("`")[1]
    assert command.startswith("plansync plan --config ")
    pasted = command.removeprefix("plansync plan --config ")
    shell = subprocess.run(
        ["sh", "-c", f"printf '%s\\n' {pasted}"], capture_output=True, text=True, check=True
    )
    assert shell.stdout.splitlines() == [f"{name}/plansync.toml"]


def test_the_sandbox_notice_reads_alike_in_every_command(tmp_path: Path, clean_env: None) -> None:
    """A user test: ``plan`` said "warning: No Jira URL configured: using the embedded
    sandbox …", as it says each of its notices, but ``plan --json``, ``sync --quiet``, ``sync
    PLAN_FILE`` and ``forget``, which show no plan text and so say it themselves, said it
    bare. Each says it once, as the plan does."""
    assert run("init", tmp_path).exit_code == 0
    config = tmp_path / "plansync.toml"
    (tmp_path / "a.md").write_text("- [ ] Draft the plan\n", "utf-8")
    saved = tmp_path / "p.json"
    assert run("plan", "--out", saved, "--config", config).exit_code == 0
    expected = f"warning: {sandbox_notice(load_config(config))}"
    commands = {
        "plan": ["plan"],
        "plan --json": ["plan", "--json"],
        "sync PLAN_FILE": ["sync", saved],
        "sync --quiet": ["sync", "--yes", "--quiet"],
        "forget": ["forget", "--all"],
    }
    for name, args in commands.items():
        result = run(*args, "--config", config, input="n\n")
        assert result.exit_code in (0, 2), (name, result.output)
        shown = result.stderr if name == "plan --json" else result.output  # stdout: JSON
        said = [line for line in shown.splitlines() if "embedded sandbox" in line]
        assert said == [expected], name


def test_init_writes_a_config_that_syncs_to_the_embedded_sandbox(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    result = run("init", folder)
    assert result.exit_code == 0, result.output
    config_path = folder / "plansync.toml"
    config = load_config(config_path)
    assert config.jira_embedded and config.vault_root == folder.resolve()
    assert run("init", folder).exit_code != 0  # never overwritten without --force

    shutil.copytree(EXAMPLES / "vault", folder, dirs_exist_ok=True)
    monkeypatch.chdir(folder)  # found in the current folder
    result = run("sync", "--yes")
    assert result.exit_code == 0, result.output
    notice = [line for line in result.output.splitlines() if "sandbox" in line]
    assert notice == [f"warning: {sandbox_notice(config)}"]  # said once, by the plan shown
    assert "using the embedded sandbox" in notice[0]
    assert str(config.state_dir / "sandbox") in notice[0]
    items = [i for n in scan_vault(folder).notes for i in n.items if i.accepted]
    actions = [i for i in items if i.kind == "action"]
    assert actions and all("jira" in i.keys for i in actions)
    result = run("plan", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert "No changes" in result.stdout


def tasks_plugin_settings(vault: Path, text: str) -> Path:
    """The vault's Obsidian Tasks settings file, written with ``text``."""
    file = vault / ".obsidian" / "plugins" / "obsidian-tasks-plugin" / "data.json"
    file.parent.mkdir(parents=True)
    file.write_text(text, encoding="utf-8")
    return file


def test_parse_with_a_global_filter_the_config_refuses_is_an_error_naming_it(
    tmp_path: Path,
) -> None:
    """--global-filter is checked with the config's [acceptance], as the config file's is: one
    equal to the accept tag is a one-line error, not a traceback."""
    (tmp_path / "n.md").write_text("- [ ] Do #task\n", encoding="utf-8")
    (tmp_path / "plansync.toml").write_text('[acceptance]\naccept_tag = "#go"\n', "utf-8")
    said = run(
        "parse", tmp_path / "n.md", "--config", tmp_path / "plansync.toml", "--global-filter", "#go"
    )
    assert said.exit_code == 1
    assert "Traceback" not in said.output and said.exception is not None
    assert isinstance(said.exception, SystemExit)
    assert said.stderr.startswith("Error: ") and "global filter" in said.stderr


def test_init_writes_the_global_filter_of_obsidian_tasks_and_plan_warns_when_it_differs(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the plugin's global filter set, init left [acceptance] global_filter commented
    out, and plan planned plain checklist lines as Jira issues, saying nothing."""
    file = tasks_plugin_settings(tmp_path, '{"globalFilter": "#task", "removeGlobalFilter": true}')
    (tmp_path / "m.md").write_text("# M\n\n- [ ] plain checklist\n- [ ] real one #task\n")
    monkeypatch.chdir(tmp_path)
    result = run("init", ".")
    assert result.exit_code == 0, result.output
    said = "Wrote Obsidian Tasks' global filter '#task' (removed from the text) into [acceptance]"
    assert f"{said} ({file})." in result.stdout
    config = load_config(tmp_path / "plansync.toml")
    assert config.acceptance.global_filter == "#task" and config.acceptance.remove_global_filter
    result = run("plan")
    assert result.exit_code == 0, result.output
    assert '"real one"' in result.stdout and "plain checklist" not in result.stdout
    assert "Obsidian Tasks" not in result.output

    # A config written by hand, or before the filter was set in Obsidian: one warning.
    config_path = tmp_path / "plansync.toml"
    text = config_path.read_text("utf-8").replace("\nglobal_filter = ", "\n# global_filter = ")
    config_path.write_text(text, "utf-8")
    result = run("plan")
    assert result.exit_code == 0, result.output
    assert "plain checklist" in result.stdout
    warned = [line for line in result.output.splitlines() if "Obsidian Tasks has" in line]
    assert warned == [
        f"warning: Obsidian Tasks has global filter '#task' (removed from the text) in {file},"
        f" but {config_path} [acceptance] has no global filter: plansync reads the notes' tasks"
        " otherwise than Obsidian (set global_filter and remove_global_filter there as in the"
        " plugin)"
    ]


def test_init_and_plan_warn_of_obsidian_tasks_settings_they_cannot_read(
    tmp_path: Path, clean_env: None
) -> None:
    """A broken settings file is a warning that names it, never a failure."""
    file = tasks_plugin_settings(tmp_path, '{"globalFilter": "#task",')
    result = run("init", tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"warning: {file}: not readable as JSON (")
    assert "set [acceptance] global_filter as in Obsidian." in result.stderr
    config_path = tmp_path / "plansync.toml"
    assert load_config(config_path).acceptance.global_filter == ""
    file.write_text('{"globalFilter": ["#task"]}', "utf-8")
    result = run("plan", "--config", config_path)
    assert result.exit_code == 0, result.output
    assert (
        f"warning: {file}: globalFilter is not text, or removeGlobalFilter not true or false:"
        " its global filter is not compared with [acceptance]'s"
    ) in result.output


def test_init_leaves_the_global_filter_out_where_obsidian_tasks_has_none(tmp_path: Path) -> None:
    """No filter in the plugin's settings: every checkbox line is a task, as the default."""
    tasks_plugin_settings(tmp_path, '{"globalFilter": "", "removeGlobalFilter": true}')
    result = run("init", tmp_path)
    assert result.exit_code == 0 and "Obsidian Tasks" not in result.output
    assert '# global_filter = "#task"' in (tmp_path / "plansync.toml").read_text("utf-8")


@pytest.mark.parametrize("missing", ["nonexist/deeper", "a-file/notes"])
def test_init_into_a_folder_that_does_not_exist_is_an_error_naming_it(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    """A mistyped path was made, a whole tree of it, and its config planned an empty vault:
    exit 0, and one line on stderr, easily missed."""
    (tmp_path / "a-file").write_text("", "utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("init", missing)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {tmp_path / missing} is no folder: is the path mistyped? (for a new vault,"
        f" make it first: mkdir -p {missing})\n"
    )
    assert not (tmp_path / "nonexist").exists()
    assert "DIRECTORY must exist" in run("init", "--help").stdout


def test_init_in_a_folder_a_parent_config_reads_is_refused_without_force(
    tmp_path: Path, clean_env: None
) -> None:
    """Written silently, the second config's plan linked every issue again and made every
    Salesforce record again, in a sandbox of its own (a user test)."""
    assert run("init", tmp_path).exit_code == 0
    sub = tmp_path / "Meetings" / "2025"
    sub.mkdir(parents=True)
    (sub / "a.md").write_text("- [ ] Draft the plan #rfe\n", "utf-8")
    assert run("sync", "--yes", "--config", tmp_path / "plansync.toml").exit_code == 0
    result = run("init", sub)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {tmp_path / 'plansync.toml'} reads the notes of {sub} already (its vault is"
        f" {tmp_path}): synced with a second config, with a state store of its own, their"
        " issues and records would be made again; plan with that config (--force writes one"
        " here all the same)\n"
    )
    assert not (sub / "plansync.toml").exists()
    assert run("init", sub, "--force").exit_code == 0
    # A folder the parent's vault leaves out is no one's yet.
    (tmp_path / "Templates").mkdir()
    assert run("init", tmp_path / "Templates").exit_code == 0
    (tmp_path / ".hidden").mkdir()
    assert run("init", tmp_path / ".hidden").exit_code == 0


def test_init_over_a_folder_with_a_config_of_its_own_is_refused_without_force(
    tmp_path: Path, clean_env: None
) -> None:
    """Written silently in the parent, the two configs read the same notes, each with a
    state store of its own, as a config in a folder a parent config reads does."""
    sub = tmp_path / "Meetings" / "2025"
    sub.mkdir(parents=True)
    assert run("init", sub).exit_code == 0
    result = run("init", tmp_path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {sub / 'plansync.toml'} reads notes that a config in {tmp_path} would read"
        f" too (its vault is {sub}): synced with a second config, with a state store of its"
        " own, their issues and records would be made again; plan with that config (--force"
        " writes one here all the same, whose [vault] exclude can then leave its folder out)\n"
    )
    assert not (tmp_path / "plansync.toml").exists()
    other = tmp_path / "Archive"
    other.mkdir()
    assert run("init", other).exit_code == 0
    result = run("init", tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {other / 'plansync.toml'} (and 1 other) reads")
    assert run("init", tmp_path, "--force").exit_code == 0
    assert (tmp_path / "plansync.toml").exists()


def test_init_over_configs_that_read_none_of_its_notes_writes_one(
    tmp_path: Path, clean_env: None
) -> None:
    """A config in a folder the starter's vault leaves out (templates, hidden ones) reads no
    note of it, unless its own vault reaches up into the folder."""
    for name in ("Templates", ".archive"):
        (tmp_path / name).mkdir()
        assert run("init", tmp_path / name).exit_code == 0
    result = run("init", tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    (tmp_path / "plansync.toml").unlink()
    templates = tmp_path / "Templates" / "plansync.toml"
    templates.write_text(
        templates.read_text("utf-8").replace('path = "."', 'path = ".."', 1), "utf-8"
    )
    result = run("init", tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: {templates} reads notes that a config in {tmp_path} would read too (its vault"
        f" is {tmp_path}):"
    )


@pytest.mark.parametrize("where", ["parent", "below"])
def test_init_warns_of_a_config_it_cannot_read_for_the_notes_it_reads(
    tmp_path: Path, clean_env: None, where: str
) -> None:
    """A broken config was passed over in silence: whether it reads these notes too was
    never said to be unknown."""
    folder = tmp_path / "vault"
    broken = (tmp_path if where == "parent" else folder / "sub") / "plansync.toml"
    broken.parent.mkdir(parents=True, exist_ok=True)
    folder.mkdir(exist_ok=True)
    broken.write_text("[vault\npath = '.'\n", "utf-8")
    result = run("init", folder)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"warning: {broken}: not valid TOML: ")
    assert result.stderr.endswith(f"; not checked for reading the notes of {folder}\n")
    assert (folder / "plansync.toml").exists()
    (folder / "plansync.toml").unlink()
    broken.write_text("[vault]\ninclude = 3\n", "utf-8")
    result = run("init", folder)
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"warning: {broken}: invalid VaultConfig: 'include': Input should be a valid list;"
        f" not checked for reading the notes of {folder}\n"
    )


def test_sandbox_serve_help_says_faults_can_be_injected() -> None:
    """The sandboxes inject faults and count requests, which no user doc said."""
    result = run("sandbox", "serve", "--help")
    assert "POST /_sandbox/faults" in result.stdout and "GET /_sandbox/stats" in result.stdout


def test_init_on_an_existing_config_names_its_folder(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`init .` said "plansync.toml exists", not which folder has it."""
    monkeypatch.chdir(tmp_path)
    assert run("init", ".").exit_code == 0
    result = run("init", ".")
    assert result.exit_code == 1
    assert f"{tmp_path / 'plansync.toml'} exists (use --force to overwrite)" in result.stderr


def test_the_starter_config_maps_no_one_and_says_each_thing_once(
    tmp_path: Path, clean_env: None
) -> None:
    """A live sample user mapped the samples' "@Tomer Hagay" to a made-up address (or to a
    wrong user) on a real Jira; it stays, commented out, as an example. And no comment line
    is said twice (a line of the [salesforce] table's was, in a row)."""
    assert run("init", tmp_path).exit_code == 0
    config_path = tmp_path / "plansync.toml"
    lines = config_path.read_text("utf-8").splitlines()
    assert load_config(config_path).users == {}
    comments = [line for line in lines if line.startswith("#")]
    assert [c for c in comments if comments.count(c) > 1] == []
    sample = [line.removeprefix("# ") for line in lines if line.startswith('# "Tomer Hagay"')]
    config_path.write_text("\n".join(lines) + "\n[users]\n" + "\n".join(sample) + "\n", "utf-8")
    assert load_config(config_path).users["Tomer Hagay"].email == "tomer@example.com"


@pytest.mark.parametrize("config", ["as init writes it", "without vault.exclude", "folder names"])
def test_templates_folders_at_any_depth_are_not_synced(
    tmp_path: Path, clean_env: None, config: str
) -> None:
    """A Templater file in ``00 Meta/Templates/`` was planned as a Jira create: the default
    excluded only top-level ``templates/`` and ``Templates/`` (and, unset, nothing). A folder
    named without ``/**`` leaves out what it holds too, as in a .gitignore: it left out
    nothing, silently (a user test)."""
    assert run("init", tmp_path).exit_code == 0
    path = tmp_path / "plansync.toml"
    text = path.read_text("utf-8")
    if config == "without vault.exclude":
        path.write_text(re.sub(r"^exclude = .*\n", "", text, count=1, flags=re.M), "utf-8")
        assert load_config(path).vault.exclude == TEMPLATE_FOLDERS
    elif config == "folder names":
        folders = 'exclude = ["**/templates", "**/Templates/"]\n'
        path.write_text(re.sub(r"^exclude = .*\n", folders, text, count=1, flags=re.M), "utf-8")
    notes = {
        "00 Meta/Templates/Meeting.md": "- [ ] Send recap of <% tp.file.title %> @Myself\n",
        "Projects/cloud/templates/Kickoff.md": "- [ ] Book the kickoff room\n",
        "Templates/Daily.md": "- [ ] Plan the day\n",
        "Meeting templates.md": "- [ ] Tidy up the meeting templates\n",
        "Projects/templates.md": "- [ ] List the project templates\n",
        "a.md": "- [ ] Draft the plan\n",
    }
    for name, text in notes.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, "utf-8")
    result = run("plan", "--json", "--config", path)
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)["changes"]
    planned = {c["item"]["note"] for c in changes if c["action"] == "create"}
    assert planned == {"Meeting templates.md", "Projects/templates.md", "a.md"}


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="file names must be Unicode")
def test_a_note_whose_file_name_is_not_utf8_is_left_out_of_a_sync_with_a_warning(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its path could go into no link, record or state row (quote() raised on it)."""
    folder = tmp_path / "notes"
    folder.mkdir()
    assert run("init", folder).exit_code == 0
    odd = Path(os.fsdecode(bytes(folder) + b"/caf\xe9.md"))
    odd.write_bytes(b"- [ ] Order beans\n")
    (folder / "ok.md").write_bytes(b"- [ ] Draft the plan\n")
    monkeypatch.chdir(folder)
    result = run("sync", "--yes")
    assert result.exit_code == 0, result.output
    assert "caf\ufffd.md: the file name is not UTF-8; rename the note to sync its items" in (
        result.output
    )
    assert odd.read_bytes() == b"- [ ] Order beans\n"
    assert "[PLAN-1](" in (folder / "ok.md").read_text(encoding="utf-8")


# ---- the temporary files of a write-back killed before its rename ----------------------------

LEFTOVER = ".n.md.k2j3h4g5.plansync-tmp"
LEFTOVER_IN_SUB = "sub/.m.md.ab_12cd3.plansync-tmp"


def killed_syncs_file(folder: Path, name: str, *, age: float = 3600.0) -> Path:
    """A temporary file of write-back's as a SIGKILL between it and its rename leaves it, last
    written ``age`` seconds ago."""
    path = folder / name
    path.write_bytes(TEAM_NOTE.encode() + b"^ps-half-written\n")
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def vault_with_leftovers(folder: Path, *names: str) -> Path:
    """A starter config over two notes (one in a subfolder), and ``names`` left beside them;
    the config's path."""
    folder.mkdir(exist_ok=True)
    assert run("init", folder).exit_code == 0
    (folder / "n.md").write_text(TEAM_NOTE, "utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "m.md").write_text("- [ ] Order the racks\n", "utf-8")
    for name in names:
        killed_syncs_file(folder, name)
    return folder / "plansync.toml"


def test_a_sync_removes_the_temporary_files_a_killed_sync_left_and_says_so(
    tmp_path: Path, clean_env: None
) -> None:
    config = vault_with_leftovers(tmp_path, LEFTOVER, LEFTOVER_IN_SUB)
    result = run("sync", "--yes", "--config", config)
    assert result.exit_code == 0, result.output
    assert not (tmp_path / LEFTOVER).exists() and not (tmp_path / LEFTOVER_IN_SUB).exists()
    assert (
        "Removed 2 temporary files that a killed sync left beside notes:"
        f" {LEFTOVER}, {LEFTOVER_IN_SUB}.\n"
    ) in result.stderr
    assert "[PLAN-1](" in (tmp_path / "n.md").read_text("utf-8")

    # A sync with nothing else to do still runs for one.
    killed_syncs_file(tmp_path, LEFTOVER)
    result = run("sync", "--yes", "--config", config)
    assert result.exit_code == 0, result.output
    assert "No changes" in result.stdout
    assert not (tmp_path / LEFTOVER).exists()
    assert f"Removed 1 temporary file that a killed sync left beside a note: {LEFTOVER}.\n" in (
        result.stderr
    )


def _kept_young(folder: Path) -> Path:
    # Another config's sync over the same vault may be writing it right now.
    return killed_syncs_file(folder, ".n.md.y0ung123.plansync-tmp", age=30)


def _kept_link(folder: Path) -> Path:
    link = folder / ".n.md.l1nk1234.plansync-tmp"
    link.symlink_to(folder / "n.md")
    return link


@pytest.mark.parametrize(
    "make",
    [
        _kept_young,
        lambda folder: killed_syncs_file(folder, ".n.md.swp"),
        lambda folder: killed_syncs_file(folder, ".foo.plansync-tmp.bak"),
        lambda folder: killed_syncs_file(folder, ".n.md.plansync-tmp"),
        lambda folder: killed_syncs_file(folder, "sub/n.md.k2j3h4g5.plansync-tmp"),
        _kept_link,
    ],
    ids=["young", "swap-file", "backup", "no-random-part", "not-hidden", "symlink"],
)
def test_a_sync_removes_only_old_files_named_exactly_as_write_back_names_them(
    tmp_path: Path, clean_env: None, make: Callable[[Path], Path]
) -> None:
    config = vault_with_leftovers(tmp_path, LEFTOVER)
    kept = make(tmp_path)
    result = run("sync", "--yes", "--config", config)
    assert result.exit_code == 0, result.output
    assert kept.is_symlink() or kept.is_file()
    assert not (tmp_path / LEFTOVER).exists()
    assert f"Removed 1 temporary file that a killed sync left beside a note: {LEFTOVER}.\n" in (
        result.stderr
    )


def test_plan_removes_nothing_and_the_sync_of_the_saved_plan_does(
    tmp_path: Path, clean_env: None
) -> None:
    config = vault_with_leftovers(tmp_path, LEFTOVER)
    saved = tmp_path / "plan.json"
    result = run("plan", "--config", config, "--out", saved)
    assert result.exit_code == 0, result.output
    assert (tmp_path / LEFTOVER).is_file()
    assert "temporary" not in result.output
    result = run("sync", "--config", config, saved)
    assert result.exit_code == 0, result.output
    assert not (tmp_path / LEFTOVER).exists()
    assert f"Removed 1 temporary file that a killed sync left beside a note: {LEFTOVER}." in (
        result.stderr
    )


def test_a_temporary_file_that_cannot_be_removed_is_a_warning_and_the_sync_goes_on(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = vault_with_leftovers(tmp_path, LEFTOVER, LEFTOVER_IN_SUB)
    real_unlink = os.unlink

    def refused(path: str | os.PathLike[str], **kwargs: Any) -> None:
        if Path(path).name == Path(LEFTOVER).name:
            raise PermissionError(13, "Permission denied", str(path))
        real_unlink(path, **kwargs)

    monkeypatch.setattr(os, "unlink", refused)
    result = run("sync", "--yes", "--config", config)
    assert result.exit_code == 0, result.output
    assert (tmp_path / LEFTOVER).is_file() and not (tmp_path / LEFTOVER_IN_SUB).exists()
    assert (
        f"warning: {LEFTOVER}: a temporary file a killed sync left beside the note cannot be"
        " removed (Permission denied); remove it by hand\n"
    ) in result.stderr
    assert f"beside a note: {LEFTOVER_IN_SUB}.\n" in result.stderr
    assert "[PLAN-1](" in (tmp_path / "n.md").read_text("utf-8")


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="file names must be Unicode")
def test_a_temporary_file_named_for_a_note_that_is_not_utf8_is_left_alone(
    tmp_path: Path, clean_env: None
) -> None:
    """Such a note is left out of the sync, so never written by this config; and a saved
    plan, which is JSON, could not hold the file's name."""
    config = vault_with_leftovers(tmp_path, LEFTOVER)
    odd = killed_syncs_file(tmp_path, os.fsdecode(b".caf\xe9.md.k2j3h4g5.plansync-tmp"))
    saved = tmp_path / "plan.json"
    assert run("plan", "--config", config, "--out", saved).exit_code == 0
    result = run("sync", "--config", config, saved)
    assert result.exit_code == 0, result.output
    assert odd.is_file() and not (tmp_path / LEFTOVER).exists()


def test_the_starter_config_leaves_the_templates_folder_out(tmp_path: Path) -> None:
    """A template's task lines are no one's work: in "templates/" or, as it is most often
    named in Obsidian, "Templates/", they got issues and block ids."""
    assert run("init", tmp_path).exit_code == 0
    for folder in ("templates", "Templates", "Meetings"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "weekly.md").write_text("- [ ] {{title}} follow-up\n", "utf-8")
    config = load_config(tmp_path / "plansync.toml")
    found = scan_vault(
        config.vault_root, include=config.vault.include, exclude=config.vault.exclude
    )
    assert [note.path for note in found.notes] == ["Meetings/weekly.md"]


@pytest.mark.parametrize("name", ["Meetings", 'Team\'s "vault" ✨', "back\\slash\x7f"])
def test_init_names_the_vault_as_its_folder_so_a_clone_links_the_same(
    tmp_path: Path, name: str
) -> None:
    """The obsidian:// links records get named the folder plansync ran in: a teammate's clone
    in a folder named otherwise rewrote every record's link (a user test)."""
    (tmp_path / name).mkdir()
    assert run("init", tmp_path / name).exit_code == 0
    clone = tmp_path / "clone"
    shutil.copytree(tmp_path / name, clone)
    for folder in (tmp_path / name, clone):
        config = load_config(folder / "plansync.toml")
        assert config.vault.name == name
        assert note_linker(config)("a.md", "ps-1").startswith(
            f"obsidian://open?vault={quote(name, safe='')}&"
        )


def test_init_and_demo_into_a_folder_that_cannot_be_made_is_one_line(
    tmp_path: Path, clean_env: None
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    (tmp_path / "taken" / "plansync.toml").mkdir(parents=True)
    for args in (
        ("init", tmp_path / "taken", "--force"),
        ("demo", "--dir", blocker / "demo"),
    ):
        result = CliRunner().invoke(main, [str(a) for a in args])
        assert result.exit_code == 1, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.output.startswith("Error: cannot use ") and result.output.count("\n") == 1


@pytest.mark.parametrize("damaged", ["state.db", "sandbox/jira.db"])
def test_a_damaged_database_under_plansync_is_named(
    tmp_path: Path, clean_env: None, damaged: str
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    assert run("init", folder).exit_code == 0
    (folder / "a.md").write_text("- [ ] Draft the plan #task\n", encoding="utf-8")
    config = folder / "plansync.toml"
    assert run("sync", "--yes", "--config", config).exit_code == 0
    path = folder / ".plansync" / damaged
    path.write_bytes(b"not a database, " * 100)
    for command in (("plan",), ("sync", "--yes")):
        result = run(*command, "--config", config)
        assert result.exit_code == 1, result.output
        assert result.stdout == ""
        hint = (
            " (it keeps nothing the notes and the backends cannot give back: move it away and"
            " run again to rebuild it)"
            if damaged == "state.db"
            else ""
        )
        assert result.stderr.splitlines()[-1] == f"Error: {path}: file is not a database{hint}"
    if damaged == "state.db":  # and what it says works
        path.rename(path.with_name("state.db.damaged"))
        result = run("sync", "--yes", "--config", config)
        assert result.exit_code == 0, result.output
        applied = next(line for line in result.stdout.splitlines() if line.startswith("Applied"))
        assert "create" not in applied, applied  # rebuilt, nothing made twice
        assert run("plan", "--detailed-exitcode", "--config", config).exit_code == 0


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_plan_with_the_embedded_sandboxes_in_a_read_only_state_folder(
    tmp_path: Path, clean_env: None
) -> None:
    """A plan only reads: it failed, "attempt to write a readonly database", of the state
    store, then of the Jira sandbox's, which it copies (a read-write connection reading a WAL
    database makes its -shm file)."""
    folder = tmp_path / "notes"
    folder.mkdir()
    assert run("init", folder).exit_code == 0
    (folder / "a.md").write_text("- [ ] Draft the plan #task #rfe\n", encoding="utf-8")
    config = folder / "plansync.toml"
    assert run("sync", "--yes", "--config", config).exit_code == 0
    state = folder / ".plansync"
    folders = [state, *(p for p in state.rglob("*") if p.is_dir())]
    before = files_under(state)
    with read_only(*folders):
        done = run_python_unprivileged(
            "from plansync.cli import main; main()",
            "plan",
            "--detailed-exitcode",
            "--config",
            str(config),
        )
    assert done.returncode == 0, done.stderr
    assert "No changes" in done.stdout
    assert files_under(state) == before


def test_plan_on_the_embedded_sandboxes_leaves_nothing_behind(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan is a dry run: on a fresh folder it creates no sandbox (Jira nor Salesforce), and
    after a sync it rewrites nothing of the sandboxes' state (their TLS certificate included)."""
    folder = tmp_path / "notes"
    folder.mkdir()
    assert run("init", folder).exit_code == 0
    shutil.copytree(EXAMPLES / "vault", folder, dirs_exist_ok=True)
    assert load_config(folder / "plansync.toml").salesforce is not None
    monkeypatch.chdir(folder)
    before = files_under(folder)
    result = run("plan")
    assert result.exit_code == 0, result.output
    assert "+ jira create" in result.stdout and "+ salesforce create" in result.stdout
    assert files_under(folder) == before
    assert not (folder / ".plansync").exists()

    assert run("sync", "--yes").exit_code == 0
    sandboxes = folder / ".plansync" / "sandbox"
    synced = files_under(sandboxes)
    assert {"jira.db", "salesforce.db"} <= set(synced)
    result = run("plan")
    assert result.exit_code == 0 and "No changes" in result.stdout, result.output
    assert files_under(sandboxes) == synced


def test_a_quiet_sync_says_the_salesforce_api_usage_with_what_it_applied_only(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The day's Salesforce API usage is a cost to watch: `--quiet` says it beside what it
    applied (README), and a run that prints nothing else (cron mails every line) not at all."""
    folder = tmp_path / "notes"
    folder.mkdir()
    assert run("init", folder).exit_code == 0
    shutil.copytree(EXAMPLES / "vault", folder, dirs_exist_ok=True)
    monkeypatch.chdir(folder)
    for name in ("SF_INSTANCE_URL", "SF_USERNAME", "SF_CONSUMER_KEY", "SF_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    first = run("sync", "--yes", "--quiet")
    assert first.exit_code == 0, first.output
    applied, usage = first.stdout.splitlines()
    assert applied.startswith("Applied: ") and " create" in applied
    assert re.fullmatch(r"Salesforce API usage today: \d+ of \d+ requests\.", usage)
    again = run("sync", "--yes", "--quiet")
    assert (again.exit_code, again.stdout) == (0, "")


def test_demo_shows_the_plan_the_sync_the_keys_and_no_changes(
    tmp_path: Path, clean_env: None
) -> None:
    result = run("demo", "--dir", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "+ jira create" in out and "+ salesforce create" in out and "Plan: " in out
    assert "Applied: " in out and " create" in out
    assert "Salesforce API usage today" in out
    lines = out.splitlines()
    in_jira = [line for line in lines if re.search(r"\^ps-\w+\s+jira PLAN-\d+", line)]
    in_salesforce = [line for line in lines if re.search(r"salesforce a0[12]\w{15}", line)]
    vault = tmp_path / "demo" / "vault"
    accepted = [i for n in scan_vault(vault).notes for i in n.items if i.accepted]
    actions = [i for i in accepted if i.kind == "action"]
    routed = [i for i in accepted if i.kind == "decision" or {"#rfe", "#feature"} & set(i.tags)]
    assert len(in_jira) == len(actions) > 0
    assert len(in_salesforce) == len(routed) > 0
    assert all("salesforce" in i.keys for i in routed)
    assert lines[-1].startswith("No changes")
    # The ids step 1 shows are those step 3 lists: the plan shown is the one synced.
    planned = set(re.findall(r'block_id: \(none\) -> "(ps-\w+)"', out))
    assert planned == {i.block_id for i in accepted} and len(planned) == len(accepted)
    # Step 3 lists those ids, each with its item's text, a text cut short ending in "…" (it
    # was cut mid-word with no mark, and read as the whole text).
    texts = {i.block_id: i.text for i in accepted}
    keys = r"(?:jira|salesforce) \S+(?:  salesforce \S+)?"
    listed = {m[1]: m[2] for m in re.finditer(rf"^  \^(ps-\w+)  {keys} +(\S.*)$", out, re.M)}
    assert set(listed) == planned
    assert all(
        listed[id_] == text or (listed[id_].endswith("…") and text.startswith(listed[id_][:-1]))
        for id_, text in texts.items()
    ), listed
    assert any(listed[id_] != text for id_, text in texts.items())  # the example cuts some


@pytest.mark.parametrize("salesforce_too", [False, True])
def test_the_demo_syncs_to_the_embedded_sandboxes_whatever_the_environment_names(
    tmp_path: Path,
    jira_sandbox: tuple[str, jira_app.JiraSandbox],
    monkeypatch: pytest.MonkeyPatch,
    salesforce_too: bool,
) -> None:
    """A user who exported JIRA_URL and a token for real work got the example's issues in
    their real Jira project: the demo's config read them. It promises no network, no account."""
    url, app = jira_sandbox
    names = {
        "JIRA_URL": url,
        "JIRA_USER": "me@example.com",
        "JIRA_API_TOKEN": SECRET,
        "JIRA_PROJECT": "REAL",
        "PLANSYNC_MYSELF": "me@example.com",
    }
    if salesforce_too:
        names |= {
            "SF_INSTANCE_URL": url.replace("http://", "https://"),
            "SF_USERNAME": "me@example.com",
            "SF_CONSUMER_KEY": "key",
            "SF_PRIVATE_KEY_FILE": str(tmp_path / "key.pem"),
        }
    for name, value in names.items():
        monkeypatch.setenv(name, value)
    result = run("demo", "--dir", tmp_path / "demo")
    assert app.stats()["total"] == 0
    assert result.exit_code == 0, result.output
    assert re.search(r"\^ps-\w+\s+jira PLAN-\d+", result.stdout)
    assert "salesforce a0" in result.stdout
    assert SECRET not in result.output


def test_key_links_to_the_embedded_sandbox_name_its_preferred_ports_whatever_it_serves_on(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 8990 and 8991 taken (``plansync sandbox serve --port 8990``, a parallel run), the
    sandboxes served on other ports, and the notes got links to those: dead by the next run."""
    served: list[str] = []

    def taken(app: Any, port: int, ssl_context: Any = None) -> RunningServer:
        server = serve_in_thread(app, 0, ssl_context)  # the preferred port is not free
        served.append(server.url)
        return server

    monkeypatch.setattr(embedded, "serve_preferring", taken)
    shutil.copytree(EXAMPLES, tmp_path, dirs_exist_ok=True)
    config = tmp_path / "plansync.toml"
    result = run("sync", "--yes", "--config", config)
    assert result.exit_code == 0, result.output
    assert len(served) == 2 and not {f"{url}/" for url in served} & set(PREFERRED)
    text = "".join(p.read_text("utf-8") for p in sorted((tmp_path / "vault").rglob("*.md")))
    linked = re.findall(r"\]\((https?://[^/)]+/)(?:browse|lightning)/", text)
    assert linked and set(linked) == set(PREFERRED)
    store = StateStore(tmp_path / ".plansync", readonly=True)
    try:
        urls = [record.url for record in store.records().values()]
    finally:
        store.close()
    assert urls and all(url.startswith(PREFERRED) for url in urls)
    # The next run serves on other ports again, and nothing it compares changed.
    result = run("plan", "--detailed-exitcode", "--config", config)
    assert result.exit_code == 0 and "No changes" in result.stdout, result.output
    assert len(served) == 4


# ---- secrets -------------------------------------------------------------------------------


def _assert_no_secret(texts: dict[str, str | bytes]) -> None:
    basic = base64.b64encode(f"jason@example.com:{SECRET}".encode()).decode()
    for name, text in texts.items():
        data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
        for needle in (SECRET, basic):
            assert needle.encode() not in data, f"the secret is in {name}"


def test_the_api_token_never_shows(
    example_project: ExampleProject,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("JIRA_API_TOKEN", SECRET)
    example_project.write_config(token="${JIRA_API_TOKEN}")
    config = example_project.config_path
    saved = tmp_path / "plan.json"
    outputs: dict[str, str | bytes] = {}

    for name, args in {
        "plan": ("plan", "--config", config),
        "plan --json": ("plan", "--json", "--config", config),
        "plan --out": ("plan", "--out", saved, "--config", config),
    }.items():
        result = run(*args)
        assert result.exit_code == 0, result.output
        outputs[name] = result.output
    outputs["saved plan"] = saved.read_bytes()
    result = run("sync", saved, "--config", config)
    assert result.exit_code == 0, result.output
    outputs["sync"] = result.output

    # 401s: while planning, and while creating during a sync.
    example_project.app.configure_faults({"fail_next": [{"status": 401}]})
    result = run("plan", "--config", config)
    assert result.exit_code == 1 and "401" in result.output
    outputs["plan 401"] = result.output
    example_project.note("weekly-cloud-program-sync").write_text(
        "- [ ] A new item @Myself 📅 2025-12-01\n", encoding="utf-8"
    )
    example_project.app.configure_faults(
        {"fail_next": [{"status": 401, "path_contains": "issue/bulk"}]}
    )
    result = run("sync", "--yes", "--config", config)
    assert result.exit_code == 1 and "401" in result.output
    outputs["sync 401"] = result.output
    # A config error that echoes values.
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('deployment = "cloud"', "deployment = 7"), "utf-8")
    result = run("plan", "--config", config)
    assert result.exit_code == 1
    outputs["config error"] = result.output
    config.write_text(text.replace('deployment = "cloud"', 'deployment = "${JIRA_API_TOKEN}"'))
    result = run("plan", "--config", config)
    assert result.exit_code == 1
    outputs["config error with the secret as a value"] = result.output

    for file in example_project.state_db.parent.rglob("*"):
        if file.is_file():
            outputs[str(file)] = file.read_bytes()
    outputs["log"] = caplog.text
    _assert_no_secret(outputs)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            ('project = "${JIRA_PROJECT:-PLAN}"', 'project = "NOPE"'),
            "rules[0]: Jira at {url} has no project 'NOPE' that this user can see",
        ),
        (
            ('issue_type = "Task"', 'issue_type = "Taks"'),
            "rules[0]: project PLAN in Jira at {url} has no issue type 'Taks' (it has Epic,"
            " Task, Story, Bug)",
        ),
    ],
    ids=["project", "issue-type"],
)
def test_a_rule_naming_what_jira_lacks_fails_the_plan_naming_the_rule(
    example_project: ExampleProject, rule: tuple[str, str], expected: str
) -> None:
    """The plan showed every create, and the sync failed each one with "project: Specify a
    valid project ID or key", naming neither the value nor the key."""
    config = example_project.config_path
    text = config.read_text("utf-8")
    assert text.count(rule[0]) == 1
    config.write_text(text.replace(*rule), "utf-8")
    issues = len(example_project.issues())
    result = run("plan", "--detailed-exitcode", "--config", config)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {config}: {expected.format(url=example_project.url)}\n")
    assert run("sync", "--yes", "--config", config).exit_code == 1
    assert len(example_project.issues()) == issues
    assert (
        example_project.app.stats()["by_route"].get("GET /rest/api/2/project/{projectIdOrKey}") == 2
    )


def test_a_jira_nobody_listens_on_is_one_line_after_a_few_quick_tries(
    example_project: ExampleProject,
) -> None:
    # Counted, not timed: the quick tries are what keep this to about a second, and a timed
    # assertion fails on a busy machine.
    server = f"http://127.0.0.1:{closed_port()}"
    example_project.write_config(url=server)
    result = run("plan", "--config", example_project.config_path)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot connect to Jira at {server}: "), result.output
    assert f"({UNREACHED_RETRIES + 1} tries while" in result.output
    assert result.output.count("\n") == 1
    assert UNREACHED_RETRIES * UNREACHED_DELAY <= 2


def test_library_warnings_are_warning_lines_not_python_source(
    example_project: ExampleProject,
) -> None:
    """The retiring SOAP login's FutureWarning printed its file, line and source code."""
    server = f"https://127.0.0.1:{closed_port()}"
    login = f"https://127.0.0.1:{closed_port()}"  # nobody there: no login leaves this machine
    with example_project.config_path.open("a", encoding="utf-8") as config:
        config.write(
            f'\n[salesforce]\ninstance_url = "{server}"\nauth = "password"\n'
            f'domain = "{login}"\nusername = "ann@acme.example"\npassword = "{SECRET}"\n'
        )
    result = run("plan", "--config", example_project.config_path)
    assert result.exit_code == 1
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert line.startswith("warning: Salesforce username-password login goes through the SOAP")
    assert "FutureWarning" not in result.output and SECRET not in result.output
    # The login goes to the login host, not to the instance: the error names where it failed.
    assert f"cannot connect to Salesforce at {login}:" in result.output


def test_the_warning_lines_last_only_while_a_command_runs(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error logged with its exception keeps its traceback and says "error:"; and a
    program that runs the CLI in process gets its logging and warnings back as they were."""
    import logging
    import warnings

    from plansync import sync

    handlers, show = list(logging.getLogger("plansync").handlers), warnings.showwarning
    real_plan = sync.plan

    def logs_an_error(*args: Any, **kwargs: Any) -> Any:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("plansync.sandbox.server").exception("sandbox app failed on GET /x")
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(sync, "plan", logs_an_error)
    result = run("plan", "--config", example_project.config_path)
    assert result.exit_code == 0, result.output
    assert "error: sandbox app failed on GET /x\nTraceback (most recent call last):" in (
        result.stderr
    )
    assert "RuntimeError: boom" in result.stderr
    assert logging.getLogger("plansync").handlers == handlers
    assert warnings.showwarning is show


@pytest.mark.parametrize("command", [("plan",), ("sync", "--yes"), ("sync", "plan.json")])
def test_a_validation_error_of_plansync_own_is_not_blamed_on_a_plan_file(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    """With no plan file given, it said " is not a plan saved by plansync" (plan) or "None is
    not a plan saved by plansync" (sync); with one, that a plan file which ``Plan.load`` had
    taken was none, for an error raised while applying it."""
    from plansync.engine.changes import ItemRef

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        return ItemRef.model_validate({"note": "n.md"})

    if "plan.json" in command:
        saved = example_project.root / "plan.json"
        command = ("sync", str(saved))
        planned = run("plan", "--out", saved, "--config", example_project.config_path)
        assert planned.exit_code == 0, planned.output
    monkeypatch.setattr("plansync.sync.plan", broken)
    monkeypatch.setattr("plansync.sync.apply", broken)
    result = run(*command, "--config", example_project.config_path)
    assert result.exit_code == 1
    assert "is not a plan saved by plansync" not in result.output
    assert (
        "Error: internal error, a bug in plansync (ItemRef: line: Field required" in result.stderr
    )


def test_a_file_that_is_not_a_plan_is_one_clear_line(example_project: ExampleProject) -> None:
    bad = example_project.root / "bad.json"
    bad.write_text('{"changes": "nope"}', encoding="utf-8")
    result = run("sync", str(bad), "--config", example_project.config_path)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {bad} is not a plan saved by plansync: changes: Input should be a valid array\n"
    )


def test_the_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path, clean_env: None) -> None:
    (tmp_path / "mine.md").write_text("- [ ] my own note\n", encoding="utf-8")
    result = run("demo", "--dir", tmp_path)
    assert result.exit_code == 1 and "not empty" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["mine.md"]


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_sandbox_serve_without_state_removes_its_private_key_when_stopped(
    tmp_path: Path, stop: signal.Signals
) -> None:
    """The throwaway CA and its key live in a temporary folder that goes with the process,
    whether it is stopped with Ctrl-C, by a service manager or by closing its terminal."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = closed_port_pair()
    serve = ["sandbox", "serve", "--port", str(port)]
    # Ctrl-C as a terminal sends it, whatever started pytest: a shell's background job (`&`)
    # ignores SIGINT, the child inherits that, and Python then installs no handler for it.
    code = (
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from plansync.cli import main; main()"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, *serve],
        env={**os.environ, "TMPDIR": str(temp)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/_sandbox/stats", timeout=1).close()
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.05)
        keys = list(temp.glob("plansync-*/tls/*key*"))
        assert keys, list(temp.rglob("*"))
        process.send_signal(stop)
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()
    assert list(temp.iterdir()) == []


def test_a_plan_file_that_is_not_utf8_is_one_clear_line(example_project: ExampleProject) -> None:
    bad = example_project.root / "bad.json"
    bad.write_bytes(b"\xff\xfe{\x00}\x00")
    result = run("sync", str(bad), "--config", example_project.config_path)
    assert result.exit_code == 1
    assert "is not a plan saved by plansync" in result.output


@pytest.mark.parametrize(
    ("taken", "said"),
    [
        (0, "cannot serve on 127.0.0.1:{port}"),
        # Salesforce went to a random port, though the help promises it PORT+1 and the record
        # links in notes name its port (another port is another site to the state store).
        (1, "cannot serve the Salesforce sandbox on 127.0.0.1:{next} (the port after Jira's)"),
    ],
)
def test_sandbox_serve_on_a_port_in_use_is_one_line_naming_it(
    tmp_path: Path, taken: int, said: str
) -> None:
    port = closed_port_pair()
    with socket.socket() as in_use:
        in_use.bind(("127.0.0.1", port + taken))
        in_use.listen()
        serve = ["sandbox", "serve", "--port", str(port), "--state", str(tmp_path / "sb")]
        done = subprocess.run(
            [sys.executable, "-c", "from plansync.cli import main; main()", *serve],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stdout == ""  # no export line for a sandbox that never ran
    where = said.format(port=port, next=port + 1)
    assert done.stderr == f"Error: {where}: Address already in use (try another --port)\n"


@pytest.mark.parametrize("project", ["bad key", "plan", ""])
def test_sandbox_serve_with_a_project_key_jira_would_refuse_is_a_usage_error(
    project: str,
) -> None:
    """Not a ValueError traceback from the sandbox; nothing is served."""
    result = run("sandbox", "serve", "--port", "1", "--project", project)
    assert result.exit_code == 1, result.output
    assert f"Invalid value for '--project': {project!r} is not a Jira project key" in result.output


@contextlib.contextmanager
def sandbox_served(cwd: Path, *options: str) -> Iterator[tuple[int, list[str]]]:
    """``plansync sandbox serve`` on a free port, in its own process, until the block ends:
    (its Jira port, the lines it printed up to "Ctrl-C stops both.")."""
    port = closed_port_pair()
    serve = ["sandbox", "serve", "--port", str(port), *options]
    process = subprocess.Popen(
        [sys.executable, "-c", "from plansync.cli import main; main()", *serve],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        printed: list[str] = []
        while not printed or not printed[-1].startswith("Ctrl-C"):
            line = process.stdout.readline()
            assert line, "".join(printed)
            printed.append(line)
        yield port, printed
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stdout:
            process.stdout.close()


def test_the_settings_sandbox_serve_prints_work_from_a_config_in_another_folder(
    tmp_path: Path, clean_env: None
) -> None:
    """``plansync sandbox serve --state .sb`` (the README's) printed ``ca_bundle =
    ".sb/tls/sandbox-ca.pem"``, which plansync reads relative to the config's folder: pasted
    into a config anywhere else, every plan failed on the CA bundle."""
    with sandbox_served(tmp_path, "--state", ".sb") as (port, printed):
        said = "".join(printed)
        settings = dict(re.findall(r'(instance_url|ca_bundle) = ("[^"]*")', said))
        pasted = tomllib.loads("".join(x.strip() + "\n" for x in printed if x[:4] == "    "))
        assert pasted["salesforce"]["session_id"] == "any"  # the block itself is TOML
        table = "[salesforce]\nauth = 'session'\nsession_id = 'any'\n" + "".join(
            f"{name} = {value}\n" for name, value in settings.items()
        )
        elsewhere = tmp_path / "elsewhere"
        (elsewhere / "notes").mkdir(parents=True)
        (elsewhere / "notes" / "n.md").write_text("- [ ] Ask for it #rfe\n", "utf-8")
        config = elsewhere / "plansync.toml"
        config.write_text(
            f'[vault]\npath = "notes"\n[jira]\nurl = "http://127.0.0.1:{port}"\n'
            f'user = "me"\ntoken = "any"\n[[rules]]\nproject = "PLAN"\n{table}',
            "utf-8",
        )
        result = run("plan", "--config", config)
        assert result.exit_code == 0, result.output
        assert "+ salesforce create" in result.output


def test_a_jira_whose_certificate_your_own_ca_signed_is_trusted_by_jira_ca_bundle(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Jira Data Center on a company CA: there was no ``jira.ca_bundle`` ("unknown key"),
    and its certificate failing verification was urllib3's whole chain of errors, with no word
    of what to set (a user test). The Jira sandbox served over TLS, as ``sandbox serve
    --jira-tls`` does, is trusted by the real jira client through the CA file named relative
    to the config, or through REQUESTS_CA_BUNDLE; untrusted, the failure is one line."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with sandbox_served(tmp_path, "--jira-tls", "--state", ".sb") as (port, printed):
        url = f"https://127.0.0.1:{port}"
        said = "".join(printed)
        assert f"Jira sandbox (cloud) on {url}," in said
        pasted = tomllib.loads("".join(x.strip() + "\n" for x in printed if x[:4] == "    "))
        ca = Path(pasted["jira"]["ca_bundle"])
        assert ca == Path(pasted["salesforce"]["ca_bundle"]) and ca.is_absolute()

        folder = tmp_path / "elsewhere"
        (folder / "notes").mkdir(parents=True)
        (folder / "notes" / "n.md").write_text("- [ ] Ask for it\n", "utf-8")
        (folder / "certs").mkdir()
        (folder / "certs" / "company-ca.pem").write_bytes(ca.read_bytes())
        config = folder / "plansync.toml"

        def plan(jira: str = "") -> Result:
            config.write_text(
                f'[vault]\npath = "notes"\n[jira]\nurl = "{url}"\nuser = "me"\n'
                f'token = "any-token"\n{jira}[[rules]]\nproject = "PLAN"\n',
                "utf-8",
            )
            return run("plan", "--config", config)

        monkeypatch.chdir(folder / "notes")  # relative to the config, not to the working folder
        trusted = plan('ca_bundle = "certs/company-ca.pem"\n')
        assert trusted.exit_code == 0, trusted.output
        assert "+ jira create" in trusted.output

        untrusted = plan()
        assert untrusted.exit_code == 1
        assert untrusted.output == (
            f"Error: cannot verify the TLS certificate of {url} while reading the server info:"
            " unable to get local issuer certificate; if your own CA signs it (a company's, or"
            " a self-signed certificate), set [jira] ca_bundle to that CA's file (PEM), or"
            " REQUESTS_CA_BUNDLE\n"
        )

        other = make_loopback_certificate(tmp_path / "other").ca_path
        wrong = plan(f'ca_bundle = "{other}"\n')
        assert wrong.exit_code == 1
        assert wrong.output.endswith(f"; [jira] ca_bundle ({other}) holds no CA that signs it\n")

        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
        by_variable = plan()
        assert by_variable.exit_code == 0, by_variable.output


@pytest.mark.parametrize(
    ("workflow", "mode", "transitions", "statuses"),
    [
        # Jira lists only the transitions out of an issue's status, and a move may take more
        # than one (what a user trying a workflow like their own needs).
        ("strict", "cloud", ["Start", "Won't Do"], {"To Do", "In Progress", "Done", "Won't Do"}),
        # Jira's simplified workflow, with no cancelled status, which its project's statuses
        # say (how a user tries [-] against a Jira that cannot cancel).
        ("simple", "dc", ["In Progress", "Done"], {"To Do", "In Progress", "Done"}),
    ],
)
def test_sandbox_serve_serves_the_workflow_asked_for(
    tmp_path: Path, workflow: str, mode: str, transitions: list[str], statuses: set[str]
) -> None:
    """``--workflow``: the transitions a new issue lists, and the statuses the project's
    workflow has, are that workflow's."""
    served = sandbox_served(tmp_path, "--workflow", workflow, "--mode", mode)
    with served as (port, printed):
        assert printed[0].startswith(
            f"Jira sandbox ({mode}, {workflow} workflow) on http://127.0.0.1:{port}"
        )
        base, auth = f"http://127.0.0.1:{port}/rest/api/2", ("me", "any")
        fields = {"project": {"key": "PLAN"}, "issuetype": {"name": "Task"}, "summary": "s"}
        created = requests.post(f"{base}/issue", json={"fields": fields}, auth=auth, timeout=10)
        key = created.json()["key"]
        listed = requests.get(f"{base}/issue/{key}/transitions", auth=auth, timeout=10).json()
        assert [t["name"] for t in listed["transitions"]] == transitions
        types = requests.get(f"{base}/project/PLAN/statuses", auth=auth, timeout=10).json()
        assert {s["name"] for t in types for s in t["statuses"]} == statuses


def test_sandbox_serve_seeds_every_project_named(tmp_path: Path) -> None:
    """A config whose rules route to two projects needs both on the served sandbox too."""
    with sandbox_served(tmp_path, "--project", "OPS", "--project", "CLOUD") as (port, printed):
        assert printed[0].startswith(f"Jira sandbox (cloud) on http://127.0.0.1:{port}, projects")
        assert "projects OPS, CLOUD;" in printed[0]
        answer = requests.get(
            f"http://127.0.0.1:{port}/rest/api/2/project", auth=("me", "any"), timeout=10
        )
        assert sorted(p["key"] for p in answer.json()) == ["CLOUD", "OPS"]


@pytest.mark.parametrize("command", [["plan"], ["parse", "."]])
def test_output_under_a_locale_that_is_not_utf8_is_escaped_not_a_traceback(
    tmp_path: Path, clean_env: None, command: list[str]
) -> None:
    """A Latin-1 terminal, or output redirected under a legacy code page: the first emoji
    or "…" was a UnicodeEncodeError traceback instead of the plan."""
    assert run("init", tmp_path).exit_code == 0
    (tmp_path / "n.md").write_text("- [ ] Draft the plan — soon 📅 2025-10-27 ⏫\n", "utf-8")
    done = subprocess.run(
        [sys.executable, "-c", "from plansync.cli import main; main()", *command],
        cwd=tmp_path,
        env={**os.environ, "PYTHONIOENCODING": "latin-1"},
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode("latin-1")
    assert b"Traceback" not in done.stderr
    assert b"Draft the plan \\u2014 soon" in done.stdout


def test_parsing_notes_does_not_import_the_engine() -> None:
    """`import plansync` and `plansync parse` skip the Jira and Salesforce clients and the
    sandboxes (half a second); the library's engine names still resolve when first used."""
    code = (
        "import sys, plansync, plansync.cli\n"
        "heavy = {'jira', 'simple_salesforce', 'plansync.sync', 'plansync.sandbox.jira_app'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
        "print(plansync.plan.__module__, plansync.load_config.__module__, 'plan' in dir(plansync))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]", "plansync.sync plansync.config_load True"]


def test_the_library_loads_the_sandboxes_only_to_start_one() -> None:
    """`import plansync.sync` leaves the sandbox apps unloaded (a tenth of a second that a run
    against the real backends never needs): :mod:`plansync.connect` imports them where it
    starts one."""
    code = (
        "import sys, plansync.sync\n"
        "print(sorted(m for m in sys.modules if m.startswith('plansync.sandbox.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]"]


def test_parse_shows_control_characters_of_a_note_escaped(tmp_path: Path) -> None:
    """What a note says reaches the terminal as text, never as a terminal command."""
    note = tmp_path / "n.md"
    note.write_text('---\ntitle: "T\\e]0;pwned\\a"\n---\n- [ ] Pay\b\b\b \u202eevil\n', "utf-8")
    result = run("parse", note)
    assert result.exit_code == 0, result.output
    assert not any(c in result.output for c in "\x1b\b\x07\u202e")
    assert "Pay\\x08\\x08\\x08 \\u202eevil" in result.output
    assert "T\\x1b]0;pwned\\x07" in result.output


def test_parse_lists_a_few_warnings_of_a_kind_and_counts_the_rest_its_json_keeps_them_all(
    tmp_path: Path,
) -> None:
    """A 2,000-note vault's parse printed 387 warning lines, one under each note ([?] lines
    tagged #accepted, notes read repaired). As the plan does, a kind many notes share is
    listed a few times, each at its note and line, then counted, naming the --json (with the
    options given) that holds every one, unchanged."""
    vault = tmp_path / "my vault"
    vault.mkdir()
    for n in range(ALIKE_SHOWN + 3):
        (vault / f"n{n}.md").write_text("- [ ] Pay\n- [?] Draft the plan #accepted\n", "utf-8")
    (vault / "n0.md").write_text("- [?] Draft #accepted\n- [?] Ship #accepted\n", "utf-8")

    result = run("parse", vault, "--global-filter", "")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    proposed = "proposed ([?]) and tagged #accepted: still proposed"
    assert [w.split(": ", 2)[1] for w in warnings[:ALIKE_SHOWN]] == [
        f"{vault}/n0.md:1",
        f"{vault}/n0.md:2",
        f"{vault}/n1.md:2",
    ]
    assert all(proposed in w for w in warnings[:ALIKE_SHOWN])
    command = f"plansync parse --json --global-filter '' '{vault}'"
    assert warnings[ALIKE_SHOWN:] == [
        f"warning: likewise 4 more notes (`{command}` lists them all)"
    ]
    # The command named lists every one, in each note's warnings, as before.
    listed = json.loads(run(*shlex.split(command)[1:]).stdout)["notes"]
    assert sum(len(note["warnings"]) for note in listed) == ALIKE_SHOWN + 4


HELD_AS_DONE = (
    "closed as 'Done': Jira offered no transition into a cancelled status, so it reads as done;"
    " taken as synced until the line or the record changes"
)


def test_a_syncs_warnings_of_a_kind_are_listed_a_few_times_then_counted_and_kept_in_a_file(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync that cancelled 4,053 lines of a 2,000-note vault in a Jira with no cancelled
    status printed 4,053 warnings, one a line, each saying the same but for its record and
    line. A kind is listed a few times, then counted; as the sync says them once (no later
    plan does), the state folder keeps them all, in a file the count names, and a sync with
    no kind to count leaves no list of an earlier one's."""
    from plansync import sync
    from plansync.engine.result import Result

    assert run("init", tmp_path).exit_code == 0
    config = tmp_path / "plansync.toml"
    state_dir = load_config(config).state_dir
    state_dir.mkdir()  # as the sync's state store has it
    result = Result(requests=1)
    for n in range(ALIKE_SHOWN + 3):
        result.warn(HELD_AS_DONE, f"n{n // 2}.md", 3 + n % 2, f"PLAN-{n + 1}")
    result.warn("1 item is left for the next sync")  # another kind, of no note
    monkeypatch.setattr(sync, "apply_plan", ran_into(result))
    saved = tmp_path / "plan.json"
    assert run("plan", "--out", saved, "--config", config).exit_code == 0

    said = run("sync", saved, "--config", config)

    assert said.exit_code == 0, said.output
    listed = state_dir / "sync-warnings.txt"
    warnings = [line for line in said.stderr.splitlines() if line.startswith("warning:")]
    assert warnings.pop(0) == f"warning: {sandbox_notice(load_config(config))}"  # as a plan says it
    assert warnings == [
        *(f"warning: {line}" for line in result.warnings[:ALIKE_SHOWN]),
        f"warning: likewise 3 more lines in 2 notes (`cat {listed}` lists them all)",
        "warning: 1 item is left for the next sync",
    ]
    assert warnings[0] == f"warning: n0.md:3: PLAN-1 {HELD_AS_DONE}"
    assert listed.read_text("utf-8").splitlines() == result.warnings

    result.warning_details, result.warnings = [], []
    result.warn(HELD_AS_DONE, "n0.md", 3, "PLAN-1")
    assert run("sync", saved, "--config", config).exit_code == 0
    assert not listed.exists()


def ran_into(result: SyncResult) -> Callable[..., SyncResult]:
    """The engine's ``apply_plan`` that ran into ``result``, which ``sync.apply`` then keeps
    and reports as it does a run's."""

    def apply_plan(*_args: object, **_kwargs: object) -> SyncResult:
        return result

    return apply_plan


def test_a_sync_with_nothing_to_do_removes_an_earlier_syncs_list_of_warnings(
    example_project: ExampleProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README: the list of a sync's warnings is removed after any other sync. A nightly
    `sync --yes --quiet` with nothing to do returned before the list was kept, so an earlier
    sync's stayed, to be taken for the last night's."""
    from plansync import sync
    from plansync.engine.result import Result

    config = example_project.config_path
    assert run("sync", "--yes", "--config", config).exit_code == 0
    saved = tmp_path / "plan.json"
    assert run("plan", "--out", saved, "--config", config).exit_code == 0
    result = Result(requests=1)
    for n in range(ALIKE_SHOWN + 1):
        result.warn(HELD_AS_DONE, f"n{n}.md", 3, f"PLAN-{n + 1}")
    with monkeypatch.context() as patched:
        patched.setattr(sync, "apply_plan", ran_into(result))
        assert run("sync", saved, "--config", config).exit_code == 0
    listed = load_config(config).state_dir / "sync-warnings.txt"
    assert listed.read_text("utf-8").splitlines() == result.warnings

    quiet = run("sync", "--yes", "--quiet", "--config", config)

    assert (quiet.exit_code, quiet.stdout) == (0, ""), quiet.output
    assert "PLAN-1" not in quiet.stderr
    assert not listed.exists()


def test_a_quiet_sync_that_applied_nothing_prints_neither_line_but_its_warnings(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README: when `sync --quiet` applied nothing and nothing failed, it prints neither the
    "Applied:" line nor the API usage under it. A run with a warning of its own printed both
    with it, in every cron mail."""
    from plansync import sync
    from plansync.engine.result import Result

    assert run("init", tmp_path).exit_code == 0
    config = tmp_path / "plansync.toml"
    result = Result(requests=2, api_usage={"salesforce": (9, 15000)})
    result.warn("1 item is left for the next sync")
    monkeypatch.setattr(sync, "apply_plan", ran_into(result))
    saved = tmp_path / "plan.json"
    assert run("plan", "--out", saved, "--config", config).exit_code == 0

    said = run("sync", saved, "--quiet", "--config", config)

    assert (said.exit_code, said.stdout) == (0, ""), said.output
    assert "warning: 1 item is left for the next sync" in said.stderr.splitlines()
    loud = run("sync", saved, "--config", config)
    assert loud.stdout.splitlines() == [
        "Applied: nothing (2 HTTP requests).",
        "Salesforce API usage today: 9 of 15000 requests.",
    ]


def test_a_syncs_list_of_warnings_that_cannot_be_written_is_said_after_its_report(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list was written before anything was printed, outside the handling of a run's
    errors: a full disk (here, a folder in the file's place) ended a sync that had applied its
    changes in a traceback, exit 1, with no report. It is reported, then the list that could
    not be written is named, and no count points to it."""
    from plansync import sync
    from plansync.engine.result import Result

    assert run("init", tmp_path).exit_code == 0
    config = tmp_path / "plansync.toml"
    state_dir = load_config(config).state_dir
    (state_dir / "sync-warnings.txt").mkdir(parents=True)
    result = Result(requests=1)
    for n in range(ALIKE_SHOWN + 2):
        result.warn(HELD_AS_DONE, f"n{n}.md", 3, f"PLAN-{n + 1}")
    monkeypatch.setattr(sync, "apply_plan", ran_into(result))
    saved = tmp_path / "plan.json"
    assert run("plan", "--out", saved, "--config", config).exit_code == 0

    said = run("sync", saved, "--config", config)

    assert said.exit_code == 0, said.output
    assert said.exception is None or isinstance(said.exception, SystemExit)
    assert said.stdout == "Applied: nothing (1 HTTP request).\n"
    warnings = [line for line in said.stderr.splitlines() if line.startswith("warning:")]
    assert warnings.pop(0) == f"warning: {sandbox_notice(load_config(config))}"  # as a plan says it
    assert warnings[ALIKE_SHOWN] == "warning: likewise 2 more notes"
    assert warnings[-1].startswith(
        f"warning: cannot write {state_dir / 'sync-warnings.txt'} (Is a directory): the"
        " warnings counted are listed nowhere"
    )
    assert "cat " not in said.stderr
    assert not [p for p in state_dir.iterdir() if p.name.endswith(".partial")]


def test_a_note_named_with_a_line_break_or_a_tab_keeps_each_heading_on_its_line(
    tmp_path: Path, clean_env: None
) -> None:
    """Linux allows both in a file name: the rest of the name started a line of its own in the
    plan, "name.md:1 …", read as another change's, and so did the warning naming it."""
    assert run("init", tmp_path).exit_code == 0
    (tmp_path / "bad\nname.md").write_text("- [ ] Draft the plan @Ana\n", "utf-8")
    (tmp_path / "tab\tname.md").write_text("- [ ] Pay\n", "utf-8")
    result = run("plan", "--config", tmp_path / "plansync.toml")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert not [line for line in lines if line.startswith("name.md")], result.stdout
    assert '+ jira create  bad\\x0aname.md:1  "Draft the plan"' in lines
    assert '+ jira create  tab\\x09name.md:1  "Pay"' in lines
    warning = "warning: bad\\x0aname.md:1: owner '@Ana' maps to no Jira user"
    assert any(line.startswith(warning) for line in lines), result.stdout
    parsed = run("parse", tmp_path).stdout.splitlines()
    assert sum(line.startswith(f"{tmp_path}/bad\\x0aname.md  ") for line in parsed) == 1


OPS_RULE = '[[rules]]\nname = "ops"\nproject = "OPS"\nmatch = { tags_any = ["#ops"] }\n\n'
TEAM_NOTE = (
    "- [ ] Rotate the on-call keys #ops\n"
    "- [ ] Draft the plan\n"
    "- [ ] Restart the ingest nodes #ops\n"
)


def jira_keys(folder: Path) -> dict[str, str]:
    """Each item's text, with the Jira key written into its line."""
    return {i.text: i.keys.get("jira", "") for n in scan_vault(folder).notes for i in n.items}


def test_rules_for_two_projects_sync_to_both_on_the_embedded_sandbox(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded Jira had the project PLAN only, and refused a config whose rules name
    another: a config for several projects (or JIRA_PROJECT exported) could not be tried
    without a Jira. It makes each project the rules name."""
    monkeypatch.setenv("JIRA_PROJECT", "CLOUD")
    assert run("init", tmp_path).exit_code == 0
    config = tmp_path / "plansync.toml"
    replace_once(config, "[[rules]]\n", OPS_RULE + "[[rules]]\n")
    (tmp_path / "n.md").write_text(TEAM_NOTE, "utf-8")

    result = run("plan", "--config", config)
    assert result.exit_code == 0, result.output
    assert 'project: "OPS"' in result.stdout and 'project: "CLOUD"' in result.stdout
    assert not (tmp_path / ".plansync").exists()
    result = run("sync", "--yes", "--config", config)
    assert result.exit_code == 0, result.output
    assert jira_keys(tmp_path) == {
        "Rotate the on-call keys": "OPS-1",
        "Draft the plan": "CLOUD-1",
        "Restart the ingest nodes": "OPS-2",
    }
    result = run("plan", "--detailed-exitcode", "--config", config)
    assert result.exit_code == 0, result.output
    assert "No changes" in result.stdout


def test_a_project_added_to_the_rules_is_planned_without_a_write_and_made_by_the_sync(
    tmp_path: Path, clean_env: None
) -> None:
    """The sandbox's database keeps its projects (their ids stay put); a plan names a new
    one's issues but stores nothing, as a plan never writes."""
    assert run("init", tmp_path).exit_code == 0
    config = tmp_path / "plansync.toml"
    (tmp_path / "n.md").write_text(TEAM_NOTE, "utf-8")
    assert run("sync", "--yes", "--config", config).exit_code == 0
    assert set(jira_keys(tmp_path).values()) == {"PLAN-1", "PLAN-2", "PLAN-3"}

    (tmp_path / "ops.md").write_text("- [ ] Page the storage team #ops\n", "utf-8")
    replace_once(config, "[[rules]]\n", OPS_RULE + "[[rules]]\n")
    sandboxes = tmp_path / ".plansync" / "sandbox"
    synced = files_under(sandboxes)
    result = run("plan", "--config", config)
    assert result.exit_code == 0, result.output
    assert 'project: "OPS"' in result.stdout
    # The #ops items synced to PLAN before stay there, and the plan says so (it was silent),
    # once for the rule.
    moved = [line for line in result.stdout.splitlines() if "now routes" in line]
    assert moved == [
        "warning: rules[0] now routes 2 items to project OPS, but their Jira issues (PLAN-1,"
        " PLAN-3) are in PLAN; plansync does not move issues between projects and keeps"
        " syncing those"
    ], result.stdout
    assert files_under(sandboxes) == synced
    assert run("sync", "--yes", "--config", config).exit_code == 0
    assert jira_keys(tmp_path)["Page the storage team"] == "OPS-1"
    assert jira_keys(tmp_path)["Draft the plan"] == "PLAN-2"
    assert run("plan", "--detailed-exitcode", "--config", config).exit_code == 0


def test_a_salesforce_object_of_the_rules_is_made_by_the_embedded_sandbox(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It had RFE__c and Feature__c only: a rule writing to another object failed the
    plan's first query ("sObject type 'Escalation__c' is not supported")."""
    for name in ("SF_INSTANCE_URL", "SF_USERNAME", "SF_CONSUMER_KEY", "SF_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    assert run("init", tmp_path).exit_code == 0
    config = tmp_path / "plansync.toml"
    with config.open("a", encoding="utf-8") as file:
        file.write(
            '\n[[salesforce.rules]]\nname = "escalations"\nobject = "Escalation__c"\n'
            'match = { tags_any = ["#escalation"] }\n'
            '\n[[salesforce.rules]]\nname = "rfe"\nobject = "RFE__c"\n'
            'match = { tags_any = ["#rfe"] }\n'
        )
    (tmp_path / "n.md").write_text(
        "- [ ] Call Fabrikam about the outage #escalation\n- [ ] Add an export button #rfe\n",
        "utf-8",
    )
    result = run("sync", "--yes", "--config", config)
    assert result.exit_code == 0, result.output
    items = {i.text: i.keys for n in scan_vault(tmp_path).notes for i in n.items}
    assert items["Call Fabrikam about the outage"]["salesforce"].startswith("a03")
    assert items["Add an export button"]["salesforce"].startswith("a01")
    assert {keys["jira"] for keys in items.values()} == {"PLAN-1", "PLAN-2"}
    result = run("plan", "--detailed-exitcode", "--config", config)
    assert result.exit_code == 0, result.output


def test_a_project_key_the_embedded_sandbox_cannot_make_is_refused_before_planning(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every create in it failed one by one with "project: Specify a valid project ID or
    key" after the plan had shown them."""
    monkeypatch.setenv("JIRA_PROJECT", "Cloud Team")
    assert run("init", tmp_path).exit_code == 0
    (tmp_path / "n.md").write_text("- [ ] Draft the plan\n", "utf-8")
    config = tmp_path / "plansync.toml"
    for command in (("plan",), ("sync", "--yes")):
        result = run(*command, "--config", config)
        assert result.exit_code == 1, result.output
        assert "+ jira create" not in result.stdout
        assert f"Error: {config}: 'rules[0].project' = 'Cloud Team' is not a project key" in (
            result.stderr
        )
    assert (tmp_path / "n.md").read_text("utf-8") == "- [ ] Draft the plan\n"


def test_sync_yes_looks_ids_up_once_the_plan_did_not_again_before_creating(
    example_project: ExampleProject,
) -> None:
    """``sync --yes`` asks nothing, so nothing comes between its plan's label search and the
    creates: that search stands in for the look-up before creating (the README's request
    counts), as it does for ``plansync.apply(config)``; only an asked question looks again.
    A first sync's ids are all new, on no line yet: neither looks them up."""
    project, app = example_project, example_project.app
    result = run("sync", "--yes", "--config", project.config_path)
    assert result.exit_code == 0, result.output
    routes = app.stats()["by_route"]
    created = sum(1 for n in scan_vault(project.vault).notes for i in n.items if "jira" in i.keys)
    assert created > 0
    issue_searches = sum(n for r, n in routes.items() if "/search" in r and "/user/" not in r)
    assert issue_searches == 0, routes


def test_a_sandbox_database_from_before_it_kept_projects_is_planned_without_a_write(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sandboxes made before the embedded ones kept their projects and objects lack those
    tables: a plan made them in the file (a plan writes nothing), and a sync makes them."""
    folder = tmp_path / "notes"
    folder.mkdir()
    assert run("init", folder).exit_code == 0
    shutil.copytree(EXAMPLES / "vault", folder, dirs_exist_ok=True)
    monkeypatch.chdir(folder)
    assert run("sync", "--yes").exit_code == 0
    sandboxes = folder / ".plansync" / "sandbox"
    for name, table in (("jira.db", "project"), ("salesforce.db", "sobject")):
        db = sqlite3.connect(sandboxes / name)
        db.execute(f"DROP TABLE {table}")
        db.close()
    synced = files_under(sandboxes)
    result = run("plan", "--detailed-exitcode")
    assert result.exit_code == 0 and "No changes" in result.stdout, result.output
    assert files_under(sandboxes) == synced

    (folder / "later.md").write_text("- [ ] Book the offsite #rfe\n", "utf-8")
    result = run("sync", "--yes")
    assert result.exit_code == 0, result.output
    keys = {i.text: i.keys for n in scan_vault(folder).notes for i in n.items}
    assert keys["Book the offsite"]["salesforce"].startswith("a01")  # RFE__c's prefix
    assert run("plan", "--detailed-exitcode").exit_code == 0


def test_no_color_turns_colour_off_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """https://no-color.org: the notes' headings, the warnings and the sandbox notice stayed in
    colour on a terminal with NO_COLOR set."""
    args = ["parse", str(EXAMPLES / "vault")]
    on_a_terminal = CliRunner().invoke(main, args, color=True)
    assert "\x1b[" in on_a_terminal.output
    monkeypatch.setenv("NO_COLOR", "1")
    plain = CliRunner().invoke(main, args, color=True)
    assert plain.exit_code == 0 and "\x1b[" not in plain.output
    assert plain.output == click.unstyle(on_a_terminal.output)


def test_many_items_failed_for_one_reason_are_counted_after_the_first_few() -> None:
    """A field the create screen lacks fails every create: 22 lines alike said it 22 times.
    Each line names the backend: an item routed to both did not say which one failed."""
    same = [
        ItemError(
            note="weekly.md", line=n, block_id=None, action="create", message="x: no", target="jira"
        )
        for n in range(1, 23)
    ]
    other = ItemError(
        note="weekly.md", line=40, block_id=None, action="link", message="gone", target="jira"
    )
    written = ItemError(note="weekly.md", line=41, block_id=None, action="write back", message="-")
    lines = error_lines([*same, other, written])
    assert lines[:ALIKE_SHOWN] == [f"weekly.md:{n}: jira create failed: x: no" for n in (1, 2, 3)]
    assert lines[ALIKE_SHOWN:] == [
        "and 19 more items' jira create failed the same way: x: no",
        "weekly.md:40: jira link failed: gone",
        "weekly.md:41: write back failed: -",
    ]
    assert error_lines(same[:3]) == [str(error) for error in same[:3]]


_REVIEWED_NOTE = (
    "## Action Items\n"
    "- [>] Deferred but accepted @Dana #task\n"
    "- [ ] Call Ann #task\n"
    "- [ ] Plain checklist line\n"
    "## Outcomes\n"
    "- Ship on Friday #accepted\n"
)
_ACCEPTANCE = (
    "[acceptance]\n"
    'accepted_statuses = [" ", "/", "x", "X", ">"]\n'
    'decision_headings = ["Outcomes"]\n'
    'global_filter = "#task"\n'
)


def _parsed(result: Result) -> list[tuple[str, str, bool]]:
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)["notes"][0]["items"]
    return [(i["kind"], i["text"], i["accepted"]) for i in items]


def test_parse_reads_the_notes_as_the_config_found_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    """parse ignored plansync.toml: a status the config accepts, its decision heading and its
    global filter showed otherwise than plan would take them. An unset token in [jira] is
    plan's to name, not a reason to refuse a parse."""
    (tmp_path / "plansync.toml").write_text(
        _ACCEPTANCE + '[jira]\nurl = "${JIRA_URL}"\napi_token = "${JIRA_API_TOKEN}"\n', "utf-8"
    )
    (tmp_path / "note.md").write_text(_REVIEWED_NOTE, "utf-8")
    monkeypatch.chdir(tmp_path)
    expected = [
        ("action", "Deferred but accepted", True),
        ("action", "Call Ann", True),
        ("decision", "Ship on Friday", True),
    ]
    assert _parsed(run("parse", "note.md", "--json")) == expected
    # Given on the command line, the filter is the command line's.
    assert [t for _, t, _ in _parsed(run("parse", "note.md", "--json", "--global-filter", ""))][
        2
    ] == "Plain checklist line"


def test_parse_takes_a_config_named_and_reads_by_default_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "elsewhere" / "plansync.toml"
    config.parent.mkdir()
    config.write_text(_ACCEPTANCE, "utf-8")
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "note.md").write_text(_REVIEWED_NOTE, "utf-8")
    monkeypatch.chdir(vault)
    named = _parsed(run("parse", "note.md", "--json", "--config", config))
    assert ("action", "Deferred but accepted", True) in named
    default = _parsed(run("parse", "note.md", "--json"))  # no config here or above
    assert ("action", "Deferred but accepted", False) in default
    assert ("action", "Plain checklist line", True) in default
    assert all(kind == "action" for kind, _, _ in default)  # Outcomes is no Decisions heading


def test_parse_names_a_mistake_in_the_configs_acceptance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "plansync.toml").write_text('[acceptance]\naccept_tags = "#ok"\n', "utf-8")
    (tmp_path / "note.md").write_text(_REVIEWED_NOTE, "utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("parse", "note.md")
    assert result.exit_code == 1
    assert str(tmp_path / "plansync.toml") in result.stderr
    assert "acceptance.accept_tags" in result.stderr


def test_a_saved_plan_whose_creates_were_taken_out_exits_1_as_result_ok_is_false(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    """Applied without its creates, a saved plan did none of the steps that follow them: not
    "everything was applied" (exit 0, as it was), nor "behind a step that failed"."""
    config = example_project.config_path
    saved = tmp_path / "plan.json"
    assert run("plan", "--out", saved, "--config", config).exit_code == 0
    plan = json.loads(saved.read_text("utf-8"))
    plan["changes"] = [c for c in plan["changes"] if c["action"] != "create"]
    saved.write_text(json.dumps(plan), "utf-8")

    result = run("sync", saved, "--yes", "--config", config)
    assert result.exit_code == 1
    assert "as the creates they follow are not in the plan; the next sync does them" in (
        result.stdout
    )
    assert "behind a step that failed" not in result.stdout
    left = len(plan["changes"])
    assert f"Error: {left} changes not done, as the creates they follow are not in the plan" in (
        result.stderr
    )


def test_parse_headings_end_in_no_spaces_where_a_note_has_no_date(tmp_path: Path) -> None:
    """A note without a date (or title) ended its heading in the spaces that would have stood
    before them (a user test)."""
    (tmp_path / "undated.md").write_text("- [ ] Draft the plan @Ana\n", "utf-8")
    (tmp_path / "2025-11-03 sync.md").write_text("# Sync\n- [ ] Pay\n", "utf-8")
    headings = [line for line in run("parse", tmp_path).stdout.splitlines() if line[:1] != " "]
    assert headings == [
        f"{tmp_path}/2025-11-03 sync.md  Sync  2025-11-03",
        f"{tmp_path}/undated.md  undated",
    ]


def test_a_line_written_while_stderr_is_written_is_written_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A warning written in the thread that holds stderr's lock, while it writes (a stream or
    a handler of the program's that logs, a warning raised within a write), is written within
    the line being written: with a plain Lock, the thread waited for itself for ever (a
    review). In a thread, so that a failure is one; the nested line is echoed as
    :class:`~plansync.cli._WarningLines` does, not logged, whose handler's lock a hung thread
    would keep logging's shutdown waiting for at exit."""
    from plansync.cli import _Stderr

    stderr = _Stderr()

    class WarningStream(io.StringIO):
        warned = False

        def write(self, text: str) -> int:
            if not self.warned:
                self.warned = True
                stderr.echo("warning: written while a line was written")
            return super().write(text)

    stream = WarningStream()
    monkeypatch.setattr(sys, "stderr", stream)
    writer = threading.Thread(target=stderr.echo, args=("the line",), daemon=True)
    writer.start()
    writer.join(timeout=5)
    assert not writer.is_alive(), "the write waited for its own lock"
    assert stream.getvalue() == "warning: written while a line was written\nthe line\n"


def test_the_libraries_warnings_are_warning_lines_once(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """simple-salesforce's warnings went to stderr by logging's last resort, into the middle
    of the progress line, and jira's and urllib3's nowhere (their NullHandler): shown as
    plansync's, redacted, once, while the command runs; not their debug records. A program
    whose own handler shows them (pytest's, on the root logger) has them there alone."""
    from plansync import sync
    from plansync.redact import add_secret

    add_secret("proxy-password-of-the-office")
    real_plan = sync.plan
    records = {
        "simple_salesforce.api": "ignoring proxies: http://ann:proxy-password-of-the-office@px",
        "jira.resilientsession": "Got recoverable error from GET https://jira/x, will retry",
        "urllib3.connectionpool": "Connection pool is full, discarding connection: jira",
    }

    def logs(*args: Any, **kwargs: Any) -> Any:
        for name, message in records.items():
            logging.getLogger(name).warning(message)
            logging.getLogger(name).debug("a debug record of %s", name)
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(sync, "plan", logs)
    for name in records:  # as a program that configured no logging has them
        monkeypatch.setattr(logging.getLogger(name), "level", logging.NOTSET)
    library_handlers = {name: list(logging.getLogger(name).handlers) for name in records}
    with monkeypatch.context() as unconfigured:
        unconfigured.setattr(logging.getLogger(), "handlers", [])
        result = run("plan", "--config", example_project.config_path)
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warned == [
        "warning: ignoring proxies: http://***@px",
        "warning: Got recoverable error from GET https://jira/x, will retry",
        "warning: Connection pool is full, discarding connection: jira",
    ], result.stderr
    assert "debug record" not in result.output and "proxy-password" not in result.output
    assert {name: logging.getLogger(name).handlers for name in records} == library_handlers

    shown_by_pytest = run("plan", "--config", example_project.config_path)
    assert shown_by_pytest.exit_code == 0, shown_by_pytest.output
    assert "warning: " not in shown_by_pytest.stderr, shown_by_pytest.stderr
