"""A sync killed at any point, then run again, ends right (DESIGN.md, "The sync engine").

"Right" is one invariant, checked after every recovery by :func:`assert_synced`:

- **exactly one Jira issue per accepted item**, counted per ``ps-…`` label in the sandbox's
  ``/_sandbox/issues``, and no issue that no accepted item asks for;
- **every key written back**: each accepted item's line has its block id and a key link naming
  the issue that carries that id, and the issue links back to the line (one remote link);
- **no note damaged**: each note's bytes are the original plus inserted key links and block
  ids only, and every item parses to the same fields as before but for its id and keys;
- the issues say what the notes say (summary, due date, done or not), and a further plan has
  nothing to do.

The run is interrupted three ways: an exception raised from apply's ``checkpoint`` hook at each
step (and at the Nth batch), faults injected by the sandbox at the HTTP level (a bulk create
whose answer is lost after Jira committed it, 429s, 500s, search lag), and SIGKILL of a real
``plansync sync`` process at several moments while it talks to a sandbox in another process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import (
    CONFIG_ENV,
    EXAMPLES,
    SALESFORCE_TABLE,
    ExampleProject,
    IssuesByLabel,
    Sleeps,
    assert_nothing_to_do,
    closed_port_pair,
    ps_labels,
    replace_once,
    sandbox_issues,
)
from sync_marks import CHECKPOINTS, Crash, crash_at, strip_sync_marks
from test_sync_e2e import jira_transition

import plansync
import plansync.connect
from plansync.cli import main
from plansync.config import Config
from plansync.config_load import load_config
from plansync.engine.run_lock import open_state
from plansync.engine.state import StateStore
from plansync.notes import writeback
from plansync.notes.model import AcceptancePolicy, Item
from plansync.notes.reread import reread_keys
from plansync.rules import JiraRouting, label_for, status_category
from plansync.sandbox.jira_app import JiraSandbox
from plansync.sandbox.server import serve_in_thread
from plansync.sync import scan

KEY_LINK_TEXT = re.compile(r" \[[A-Z][A-Z0-9_]*-\d+\]\(http[^)\s]*\)")


# ---- the invariant ----------------------------------------------------------------------------


def wanted(config: Config, item: Item) -> bool:
    return item.accepted and JiraRouting().rule_for(config, item) is not None


def comparable(item: Item) -> dict[str, Any]:
    """An item's parsed fields, but for what a sync adds (its id, keys, links in the text)."""
    fields = item.model_dump(mode="json", exclude={"block_id", "keys", "description"})
    fields["description"] = KEY_LINK_TEXT.sub("", item.description)
    return fields


@dataclass
class Snapshot:
    """The notes before a sync: bytes per path and the items parsed from them."""

    files: dict[str, bytes]
    items: dict[str, list[Item]]


def snapshot(config: Config) -> Snapshot:
    root = config.vault_root
    vault = scan(config)
    return Snapshot(
        files={n.path: (root / n.path).read_bytes() for n in vault.notes},
        items={n.path: n.items for n in vault.notes},
    )


def assert_synced(
    config: Config,
    before: Snapshot,
    url: str,
    *,
    own_issues: Callable[[dict[str, Any]], bool] = lambda _: True,
) -> None:
    """The invariant, for the notes of ``config`` against the sandbox at ``url``.

    ``before`` is the notes as they were before the interrupted sync; ``own_issues`` picks the
    issues that belong to this vault when the sandbox is shared with other vaults.
    """
    root = config.vault_root
    after = scan(config)
    issues = IssuesByLabel([i for i in sandbox_issues(url) if own_issues(i)])

    assert {n.path for n in after.notes} == set(before.files)
    for note in after.notes:
        data = (root / note.path).read_bytes()
        assert strip_sync_marks(data) == strip_sync_marks(before.files[note.path]), (
            f"{note.path}: bytes other than key links and block ids changed"
        )
        old_items = before.items[note.path]
        assert [i.line for i in note.items] == [i.line for i in old_items], note.path
        for old, new in zip(old_items, note.items, strict=True):
            where = f"{note.path}:{new.line}"
            assert comparable(new) == comparable(old), f"{where}: fields changed"
            if old.block_id:
                assert new.block_id == old.block_id, f"{where}: block id changed"
            if not wanted(config, new):
                assert new.keys == old.keys, f"{where}: a key was written to an unsynced item"
                continue
            issue = issues.issue_of(new, where)
            label = ps_labels(issue)[0]
            fields = issue["fields"]
            assert fields["summary"] == " ".join(new.text.split())[:255], where
            assert fields.get("duedate") == (new.due.isoformat() if new.due else None), where
            done = fields["status"]["statusCategory"]["key"] == "done"
            assert done == (status_category(new, config.acceptance) in ("done", "cancelled")), where
            links = [x for x in issue["remotelinks"] if x.get("globalId") == f"plansync:{label}"]
            links = links or [
                x for x in issue["remotelinks"] if new.block_id in x["object"].get("url", "")
            ]
            assert len(links) == 1, f"{where}: {len(links)} remote links back to the note"
            assert new.block_id in links[0]["object"]["url"], where
    unclaimed = issues.unclaimed()
    assert not unclaimed, f"issues no accepted item asks for: {sorted(unclaimed)}"
    assert not list(root.rglob("*.plansync-tmp")), "a temporary write-back file was left"
    again = plansync.plan(config)
    assert_nothing_to_do(again)
    assert again.summary["orphan"] == 0, [c.message for c in again.changes]


# ---- helpers ----------------------------------------------------------------------------------


@dataclass
class Project(ExampleProject):
    """The example vault, and the example config as it is (but for its ``[salesforce]``
    table): it reads Jira's URL and credentials from the environment, :meth:`env`, and asks
    Jira which deployment it is. ``app`` is None where the sandbox runs in another process."""

    app: JiraSandbox | None

    def write_config(self, extra: str = "") -> Path:
        """Write the config, ``extra`` TOML appended. Jira only: these tests prove the Jira
        protocol (Salesforce has its own, in test_sync_salesforce.py)."""
        text = SALESFORCE_TABLE.sub("", (EXAMPLES / "plansync.toml").read_text(encoding="utf-8"))
        self.config_path.write_text(text + "\n" + extra, encoding="utf-8")
        return self.config_path

    def config(self) -> Config:
        return load_config(self.config_path)

    def env(self) -> dict[str, str]:
        return {"JIRA_URL": self.url, "JIRA_USER": "jason@example.com", "JIRA_API_TOKEN": "t"}


@pytest.fixture
def project(
    tmp_path: Path,
    jira_sandbox: tuple[str, JiraSandbox],
    clean_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> Project:
    url, app = jira_sandbox
    made = Project.made(tmp_path, url, app)
    for name, value in made.env().items():
        monkeypatch.setenv(name, value)
    return made


def use_batches(project: Project, size: int) -> Config:
    project.write_config(f"[sync]\nbatch_size = {size}\n")
    return project.config()


def bulk_creates(app: JiraSandbox) -> int:
    return app.stats()["by_route"].get("POST /rest/api/2/issue/bulk", 0)


def searches_sent(app: JiraSandbox) -> int:
    routes = app.stats()["by_route"].items()
    return sum(n for route, n in routes if route.endswith(("api/2/search", "api/2/search/jql")))


def issues_read(app: JiraSandbox) -> int:
    """GETs of one issue by key: a plan's reads of the records search did not return."""
    return app.stats()["by_route"].get("GET /rest/api/2/issue/{issueIdOrKey}", 0)


def bulk_fetches(app: JiraSandbox) -> int:
    """Cloud's bulk reads by key (100 issues a request), on either API version."""
    routes = app.stats()["by_route"].items()
    return sum(n for route, n in routes if route.endswith("/issue/bulkfetch"))


def run_cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# ---- 1. crashes at each checkpoint, in process ------------------------------------------------


def jira_waits_recorded(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    """The Jira connector's waits between tries, recorded instead of slept."""
    waits = Sleeps()
    connector = plansync.connect.JiraConnector
    monkeypatch.setattr(
        plansync.connect, "JiraConnector", lambda *a, **kw: connector(*a, **kw, sleep=waits)
    )
    return waits


def test_every_checkpoint_is_reached(project: Project) -> None:
    """The crash tests below would prove nothing if a step were renamed: each name is called."""
    seen: list[str] = []
    result = plansync.apply(project.config(), checkpoint=seen.append)
    assert result.ok, result.errors
    assert set(seen) == set(CHECKPOINTS)


def test_each_id_is_looked_up_once(project: Project) -> None:
    """The plan's label search is the lookup before creating: apply does not repeat it per
    batch (only ids a dead run was creating are looked up again, see the search-lag test).
    The ids a plan draws are looked up by no one: they are on no line yet, so no record can
    carry them; once written (here by a run that died before creating), they are."""
    config = use_batches(project, 5)
    assert project.app is not None
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at("ids_written"))
    assert searches_sent(project.app) == 0  # 22 ids just drawn
    assert plansync.apply(config).ok
    assert searches_sent(project.app) == 1  # the 22 ids on their lines, in one query
    assert bulk_creates(project.app) == 5


def notes_parsed_by_write_back(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The notes write-back parses to find which lines are items, recorded as it does."""
    parsed: list[bytes] = []
    item_lines = writeback.item_lines

    def recording(data: bytes, policy: AcceptancePolicy | None = None) -> frozenset[int]:
        parsed.append(data)
        return item_lines(data, policy)

    monkeypatch.setattr(writeback, "item_lines", recording)
    return parsed


@pytest.mark.parametrize("crash", [None, "ids_written", "looked_up"])
def test_write_back_parses_no_note_the_plan_read_as_it_is(
    project: Project, monkeypatch: pytest.MonkeyPatch, crash: str | None
) -> None:
    """A note that holds the bytes its plan read (or those this run's id step wrote) has its
    items where the plan found them: neither write-back step parses it again (a user test:
    ~10 s for each step of a 3,000-note vault, most of it for notes left as they were), and
    a note whose ids a killed run wrote is not written again for them."""
    config = project.config()
    before = snapshot(config)
    if crash:
        with pytest.raises(Crash):
            plansync.apply(config, checkpoint=crash_at(crash))
    with_ids = {path: (config.vault_root / path).stat().st_mtime_ns for path in before.files}
    parsed = notes_parsed_by_write_back(monkeypatch)
    ids_step: list[str] = []

    def after_ids(step: str) -> None:
        if step == "ids_written":
            ids_step.extend(
                path
                for path, mtime in with_ids.items()
                if (config.vault_root / path).stat().st_mtime_ns != mtime
            )

    result = plansync.apply(config, checkpoint=after_ids)
    assert result.ok, result.errors
    assert parsed == []
    if crash:
        assert ids_step == [], "the killed run wrote the ids: no note is written for them again"
    else:
        assert ids_step, "a first sync writes the ids"
    assert_synced(config, before, project.url)


def test_a_line_put_in_code_between_the_write_back_steps_is_parsed_and_gets_no_key(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The items known without a parse hold only for the bytes they were known of: a note
    saved between the id step and the key step (a code fence opened above its items) is parsed
    again, and its lines, no items now, get no key."""
    config = project.config()
    note = project.note("q1-roadmap-review")
    parsed = notes_parsed_by_write_back(monkeypatch)

    def fence(step: str) -> None:
        if step == "ids_written":
            lines = note.read_bytes().split(b"\n")
            assert lines[28] == b"" and lines[29].startswith(b"- [ ] Write the one-pager")
            lines[28] = b"```"
            note.write_bytes(b"\n".join(lines))

    result = plansync.apply(config, checkpoint=fence)
    text = note.read_text(encoding="utf-8")
    assert "](http" not in text.split("```", 1)[1], "no key link in the code block"
    assert " ^ps-" in text.split("```", 1)[1], "the ids, written before the fence, stay"
    failed = {(e.note, e.line) for e in result.errors}
    assert (note.name, 30) in failed and (note.name, 31) in failed
    assert [data.split(b"\n")[28] for data in parsed] == [b"```"]


@pytest.mark.parametrize("step", CHECKPOINTS)
def test_crash_at_checkpoint_then_sync_again(project: Project, step: str) -> None:
    config = project.config()
    before = snapshot(config)
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at(step))
    assert project.app is not None
    searches = searches_sent(project.app)
    result = plansync.apply(config)
    assert result.ok, result.errors
    # One search to plan, one to look up before creating; no waiting for search lag, since
    # the crashed run either sent no create or its issues are already found.
    assert searches_sent(project.app) - searches <= 2
    assert_synced(config, before, project.url)


@pytest.mark.parametrize("step", CHECKPOINTS)
def test_tasks_that_mention_a_ticket_survive_a_crash_at_each_step(
    project: Project, step: str
) -> None:
    """A line's id is written before its key, and the line must read the same in between: had
    the mentioned ticket become its key once it had an id, the rerun would see a conflict."""
    mentions = project.vault / "2025-11-24-mentions.md"
    mentions.write_text(
        "---\ntitle: Mentions\n---\n\n## Action Items\n\n"
        "- [ ] Follow up on [OPS-7](https://jira.example.com/browse/OPS-7) with Dana @Myself"
        " 📅 2025-11-28 #task\n"
        "- [ ] @Myself to check [OPS-8](https://jira.example.com/browse/OPS-8) with the field"
        " team #task\n",
        encoding="utf-8",
    )
    config = project.config()
    before = snapshot(config)
    # As the planner reads the lines: the parser alone, knowing no records, takes the last
    # link to Jira for the key; once synced, the key follows the mention and is the last.
    lines = mentions.read_text(encoding="utf-8").split("\n")
    before.items[mentions.name] = [
        reread_keys(item, lines[item.line - 1], {}, config.acceptance)
        for item in before.items[mentions.name]
    ]
    assert [item.keys for item in before.items[mentions.name]] == [{}, {}]
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at(step))
    assert plansync.apply(config).ok
    assert_synced(config, before, project.url)
    assert mentions.read_text(encoding="utf-8").count("[OPS-") == 2


@pytest.mark.parametrize(
    ("step", "nth"),
    [
        ("looked_up", 2),
        ("created", 2),
        ("keys_stored", 3),
        ("create_batch_done", 3),
        ("created", 5),
    ],
)
def test_crash_in_a_later_create_batch(project: Project, step: str, nth: int) -> None:
    """22 items in batches of 5: the run dies inside the Nth batch, earlier ones done."""
    config = use_batches(project, 5)
    before = snapshot(config)
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at(step, nth))
    assert project.app is not None
    assert bulk_creates(project.app) == (nth if step != "looked_up" else nth - 1)
    plansync.apply(config)
    assert_synced(config, before, project.url)
    assert bulk_creates(project.app) == 5  # ⌈22/5⌉: nothing was created twice, or re-sent


def commits_by_step(monkeypatch: pytest.MonkeyPatch) -> tuple[Counter[str], list[str]]:
    """The state store's commits, counted by the step a run reported last (the list: each
    step as reported, for the run's ``progress`` or ``checkpoint`` to append to)."""
    steps: list[str] = []
    commits: Counter[str] = Counter()
    opened = StateStore._open

    def traced(store: StateStore, path: Path, readonly: bool) -> None:
        opened(store, path, readonly)

        def commit(sql: str) -> None:
            if sql == "COMMIT" and steps:
                commits[steps[-1]] += 1

        store._db.set_trace_callback(commit)

    monkeypatch.setattr(StateStore, "_open", traced)
    return commits, steps


def test_the_creates_commit_the_state_store_twice_a_batch(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit is an ``fsync``: a batch opens its journal entry in one, then stores its keys
    and closes the entry in another, not one a key (a first sync of 3,000 notes spent ~42 s of
    its 58 s create step in 12,417 commits). 22 items in batches of 5: 10 commits, not 32."""
    config = use_batches(project, 5)
    commits, steps = commits_by_step(monkeypatch)
    assert plansync.apply(config, checkpoint=steps.append).ok
    creates = {step: commits[step] for step in CHECKPOINTS[: CHECKPOINTS.index("keys_written")]}
    assert creates == {
        "ids_written": 0,
        "looked_up": 5,  # each batch's journal entry
        "created": 0,
        "keys_stored": 5,  # each batch's keys, and its entry closed
        "create_batch_done": 0,
    }


@pytest.mark.parametrize(
    ("nth", "lag_ms"), [(1, 1500), (3, 0)], ids=["first-batch-search-lags", "third-batch"]
)
def test_a_sync_killed_before_a_batch_s_keys_are_committed_then_run_again(
    project: Project, nth: int, lag_ms: int
) -> None:
    """SIGKILL of a real process inside the transaction that stores the ``nth`` batch's keys:
    SQLite keeps none of them (the earlier batches' are kept), and the batch's journal entry
    stays open. The next run finds the batch's issues by their ids and adopts them: at once
    where search shows them, or, where it lags the creates and the plan does not see them,
    by the look-up before creating, which waits for the open entry's ids. One issue an item,
    none created twice."""
    app = project.app
    assert app is not None
    config = use_batches(project, 5)
    before = snapshot(config)
    killed = textwrap.dedent(
        f"""
        import os, signal, sys
        import plansync
        from plansync.config_load import load_config

        seen = []

        def checkpoint(step):
            seen.append(step)
            if seen.count("keys_stored") == {nth}:
                os.kill(os.getpid(), signal.SIGKILL)

        plansync.apply(load_config(sys.argv[1]), checkpoint=checkpoint)
        """
    )
    app.configure_faults({"search_lag_ms": lag_ms})
    run = subprocess.run(
        [sys.executable, "-c", killed, str(project.config_path)], capture_output=True, timeout=60
    )
    assert run.returncode == -signal.SIGKILL, run.stderr
    assert bulk_creates(app) == nth and len(sandbox_issues(project.url)) == 5 * nth
    with open_state(config.state_dir, lock=False) as state:
        known = {block_id for block_id, _ in state.records("jira")}
        (entry,) = state.in_flight("jira")
    assert len(known) == 5 * (nth - 1)  # the earlier batches' keys; none of this one's
    assert len(entry.block_ids) == 5 and not known & set(entry.block_ids)

    result = plansync.apply(config)
    assert result.ok, result.errors
    assert bulk_creates(app) == 5  # the killed batch's issues adopted, the rest created
    adopted = {
        o.item.block_id
        for o in result.outcomes
        if o.action == "create" and "not created again" in (o.message or "")
    }  # by the look-up before creating; where search shows them, the plan adopts them
    assert adopted == (set(entry.block_ids) if lag_ms else set())
    assert open_journal(config) == []
    with open_state(config.state_dir, lock=False) as state:
        assert {state.get(block_id, "jira") is not None for block_id in entry.block_ids} == {True}
    app.configure_faults({"search_lag_ms": 0})  # search caught up, for the check's own plan
    assert_synced(config, before, project.url)


def test_links_and_transitions_commit_the_state_store_once_a_batch(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit is an ``fsync``: what a batch of links or transitions was answered is stored
    in one, not one an item (a first sync of 3,000 notes made 12,417 commits linking, 12,150
    moving); a batch of transitions stores what it asks in one more, before it is sent. 22
    links in batches of 5: 5 commits, not 22; 5 transitions: 2, not 10."""
    config = use_batches(project, 5)
    commits, steps = commits_by_step(monkeypatch)
    result = plansync.apply(config, progress=lambda step, done, total: steps.append(step))
    assert result.ok, result.errors
    assert result.applied["link"] == 22 and result.applied["transition"] == 5
    assert commits["link in jira"] == 5
    assert commits["transition in jira"] == 2


def transitions_posted(app: JiraSandbox) -> int:
    return app.stats()["by_route"].get("POST /rest/api/2/issue/{issueIdOrKey}/transitions", 0)


@pytest.mark.parametrize("step", ["moves_stored", "results_stored"])
def test_a_crash_inside_a_transition_batch_s_transactions_moves_nothing_twice(
    project: Project, step: str
) -> None:
    """Killed while what the batch asks is stored, before its commit: nothing was sent, and
    nothing of it is stored. Killed while its answers are stored: the moves were made, what
    was asked is committed, the answers are not; the next plan finds the issues where they
    were asked to go and takes them as synced. Either way each issue is moved once."""
    app = project.app
    assert app is not None
    config = project.config()
    before = snapshot(config)
    seen: list[str] = []

    def checkpoint(reached: str) -> None:
        seen.append(reached)
        if reached == step and "moves_stored" in seen:  # in the transitions' batch
            raise Crash(reached)

    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=checkpoint)
    with open_state(config.state_dir, lock=False) as state:
        asked = [r for r in state.records("jira").values() if "status_sent" in r.fields]
    moved = transitions_posted(app)
    assert (moved, len(asked)) == ((0, 0) if step == "moves_stored" else (5, 5))
    result = plansync.apply(config)
    assert result.ok, result.errors
    assert transitions_posted(app) == 5  # each issue moved once
    assert_synced(config, before, project.url)


def test_crash_twice_in_a_row(project: Project) -> None:
    """A rerun that dies as well (at another step) still leaves something the third run fixes."""
    config = use_batches(project, 5)
    before = snapshot(config)
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at("created", 2))
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at("created", 1))
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at("links"))
    plansync.apply(config)
    assert_synced(config, before, project.url)


def changed_notes(project: Project) -> None:
    """After a full sync: a due date moves, an item is done, a new accepted item is written."""
    replace_once(project.note("2025-11-03"), "📅 2025-11-10 🔼", "📅 2025-11-21 🔼")
    replace_once(
        project.note("2025-11-12"),
        "- [ ] Model launch margins",
        "- [x] Model launch margins",
    )
    marker = "## Action Items\n"
    replace_once(
        project.note("2025-11-11"),
        marker,
        marker + "- [ ] Draft the pager budget @Myself 📅 2025-12-01\n",
    )


@pytest.mark.parametrize("step", CHECKPOINTS)
def test_crash_in_a_sync_of_changes(project: Project, step: str) -> None:
    """The same, for a sync that creates, updates, transitions and writes back at once."""
    config = project.config()
    assert plansync.apply(config).ok
    changed_notes(project)
    before = snapshot(config)
    pending = plansync.plan(config).summary
    assert pending["create"] == 1 and pending["update"] >= 1 and pending["transition"] == 1
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at(step))
    result = plansync.apply(config)
    assert result.ok, result.errors
    assert_synced(config, before, project.url)


@pytest.mark.parametrize("step", CHECKPOINTS)
def test_crash_in_a_sync_that_leaves_a_note_edited_since_its_plan_then_sync_again(
    project: Project, step: str
) -> None:
    """A plan applied after one of its notes was edited, whose changes then wait for the next
    sync while the others' are made: killed at each step, then synced again, one issue an
    item, every key written back, nothing left to do."""
    config = project.config()
    planned = plansync.plan(config)
    replace_once(project.note("2025-11-03"), "📅 2025-11-10 🔼", "📅 2025-11-21 🔼")
    before = snapshot(config)
    with pytest.raises(Crash):
        plansync.apply(config, planned, checkpoint=crash_at(step))
    result = plansync.apply(config)
    assert result.ok, result.errors
    assert_synced(config, before, project.url)


@pytest.mark.parametrize("step", CHECKPOINTS)
def test_crash_in_a_sync_that_gives_a_note_put_back_its_ids_again(
    project: Project, step: str
) -> None:
    """A note put back to its text from before the first sync gets its lines' ids and keys
    back (re-adopted, see identity.Identifier._readopt) in a sync that also creates, updates and
    transitions: wherever it dies, the rerun ends with each line on its first issue, and no
    second issue made for a line that lost its id."""
    config = project.config()
    path = project.note("2025-11-05")
    older = path.read_bytes()
    assert plansync.apply(config).ok
    changed_notes(project)
    path.write_bytes(older)
    before = snapshot(config)
    assert any("regains" in (c.message or "") for c in plansync.plan(config).changes)
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at(step))
    result = plansync.apply(config)
    assert result.ok, result.errors
    assert_synced(config, before, project.url)


@pytest.fixture
def simple_project(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Project]:
    """:func:`project` against Jira's simplified workflow (no cancelled status)."""
    app = JiraSandbox(":memory:", workflow="simple")
    try:
        with serve_in_thread(app) as server:
            made = Project.made(tmp_path, server.url, app)
            for name, value in made.env().items():
                monkeypatch.setenv(name, value)
            yield made
    finally:
        app.close()


@pytest.mark.parametrize("step", CHECKPOINTS)
def test_crash_in_a_sync_that_cancels_where_jira_cannot_then_sync_again(
    simple_project: Project, step: str
) -> None:
    """A sync of changes that also cancels an open line (closed as Done) and a done one (left
    in Done), against a workflow with no cancelled status: wherever it dies, the rerun ends
    right and the plans after it are quiet, as what Jira holds is stored in the write that
    stores the move's status. Each cancel is warned of by the run that carries it out: the
    rerun, unless the crash came after the moves (its warnings died with it)."""
    project = simple_project
    config = project.config()
    assert plansync.apply(config).ok
    changed_notes(project)
    texts = ("Write the runbook", "Publish the revised")
    items = [i for n in scan(config).notes for i in n.items if i.text.startswith(texts)]
    cancelled = {i.keys["jira"] for i in items}
    assert len(cancelled) == 2
    replace_once(project.note("2025-11-03"), "- [ ] Write the runbook", "- [-] Write the runbook")
    replace_once(project.note("2025-11-03"), "- [x] Publish the", "- [-] Publish the")
    before = snapshot(config)
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at(step))
    result = plansync.apply(config)
    assert result.ok, result.errors
    assert_synced(config, before, project.url, own_issues=lambda i: i["key"] not in cancelled)
    issues = {i["key"]: i for i in sandbox_issues(project.url)}
    assert {issues[key]["fields"]["status"]["name"] for key in cancelled} == {"Done"}
    assert plansync.plan(config).kept == []
    warned = {w.split()[1] for w in result.warnings if "'Done'" in w}
    assert warned == (set() if step == "transitions" else set(cancelled))


def answer_lost_after_acting(app: JiraSandbox, key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Jira carries out the transition of ``key``, and its answer never arrives: the sandbox
    drops the connection after acting."""
    drop = {"drop": "after_commit", "path_contains": f"issue/{key}/transitions", "method": "POST"}
    app.configure_faults({"fail_next": [drop]})


def killed_after_the_answer(app: JiraSandbox, key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Jira carries out the transitions and answers; the run dies before it stores them (a
    kill between the POST and the base write)."""
    connector = plansync.connect.JiraConnector

    def dies_once_moved(*args: Any, **kwargs: Any) -> Any:
        made = connector(*args, **kwargs)
        moves = made.transition_many

        def transition_many(*a: Any, **kw: Any) -> Any:
            moves(*a, **kw)
            raise Crash("killed after the transitions' answers, before the base write")

        made.transition_many = transition_many  # type: ignore[method-assign]
        return made

    monkeypatch.setattr(plansync.connect, "JiraConnector", dies_once_moved)


@pytest.mark.parametrize("fault", [answer_lost_after_acting, killed_after_the_answer])
def test_a_cancel_closed_as_done_whose_answer_was_lost_then_sync_again(
    simple_project: Project,
    monkeypatch: pytest.MonkeyPatch,
    fault: Callable[[JiraSandbox, str, pytest.MonkeyPatch], None],
) -> None:
    """A reviewer's find: ``[ ]`` to ``[-]`` against a workflow with no cancelled status,
    Jira closing the issue as Done, and the answer lost (or the run killed before it stored
    it). The base kept the status sent (cancelled) without how Jira holds it, so every plan
    after the rerun said "status (now done) changed in Jira only since the last sync". The
    plans are quiet, the base learns the cancel as Jira holds it, exactly one issue is left,
    and a reopen in Jira after it is still seen."""
    project = simple_project
    app = project.app
    assert app is not None
    config = project.config()
    assert plansync.apply(config).ok
    replace_once(project.note("2025-11-03"), "- [ ] Write the runbook", "- [-] Write the runbook")
    ((note, item),) = [
        (n, i) for n in scan(config).notes for i in n.items if i.text.startswith("Write the run")
    ]
    key, block_id = item.keys["jira"], item.block_id or ""
    before = snapshot(config)

    def base() -> tuple[Any, ...]:
        with open_state(config.state_dir, lock=False) as state:
            record = state.get(block_id, "jira")
            assert record is not None
            return tuple(record.fields.get(k) for k in ("status", "status_sent", "closed_as"))

    fault(app, key, monkeypatch)
    with suppress(Crash):  # killed, or the run failed that item
        assert not plansync.apply(config).ok
    monkeypatch.undo()
    assert base() == ("new", "cancelled", None)  # the move sent, its answer not stored
    issues = [i for i in sandbox_issues(project.url) if i["key"] == key]
    assert [i["fields"]["status"]["name"] for i in issues] == ["Done"]
    for _ in range(3):
        plan = plansync.plan(config)
        assert (plan.changes, plan.kept) == ([], [])
    result = plansync.apply(config, plan)
    assert result.ok, result.errors
    assert base() == ("cancelled", None, "done")
    # Held as Done is said once, as the answer would have said it (it never was: the run
    # that sent the cancel failed the item, or died), by the sync that stores it.
    assert result.warnings == [
        f"{note.path}:{item.line}: {key} closed as 'Done' (the answer to its cancel never"
        " reached the state store; found so since): Jira took it into no cancelled status, so"
        " it reads as done; taken as synced until the line or the record changes"
    ]
    assert plansync.apply(config, plansync.plan(config)).warnings == []  # said once
    assert_synced(config, before, project.url, own_issues=lambda i: i["key"] != key)
    assert IssuesByLabel(sandbox_issues(project.url)).count[label_for(block_id)] == 1
    assert (plansync.plan(config).changes, plansync.plan(config).kept) == ([], [])

    jira_transition(project, key, "11")  # reopened in Jira: its word stands, and is said
    plan = plansync.plan(config)
    assert plan.changes == [] and [(r.key, r.fields) for r in plan.kept_records] == [
        (key, ["status"])
    ]


def test_state_store_deleted_after_a_crash(project: Project) -> None:
    """Deleting .plansync loses nothing: the ids in the notes and the labels rebuild it."""
    config = project.config()
    before = snapshot(config)
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at("links"))
    shutil.rmtree(config.state_dir)
    plansync.apply(config)
    assert_synced(config, before, project.url)


@pytest.mark.parametrize("phase", ["ids", "keys"])
def test_a_write_back_killed_before_its_rename_leaves_a_file_a_later_sync_removes(
    project: Project, monkeypatch: pytest.MonkeyPatch, phase: str
) -> None:
    """SIGKILL or a power cut between write-back's temporary file and its rename: the note
    keeps its bytes, and the file stays, as a killed process cleans nothing up. The rerun
    writes the note again and leaves the file while it is young (another sync's write over
    the same vault looks the same); a sync once it is old removes it."""
    config = project.config()
    before = snapshot(config)
    steps: list[str] = []
    real_replace, real_unlink = os.replace, os.unlink

    def killed(src: str, dst: str | os.PathLike[str]) -> None:
        if str(src).endswith(".plansync-tmp") and (phase == "ids" or "ids_written" in steps):
            raise Crash(f"killed before renaming {src}")
        real_replace(src, dst)

    def nothing_cleaned_up(path: str | os.PathLike[str], **kwargs: Any) -> None:
        if not str(path).endswith(".plansync-tmp"):
            real_unlink(path, **kwargs)

    with monkeypatch.context() as killing:
        killing.setattr(os, "replace", killed)
        killing.setattr(os, "unlink", nothing_cleaned_up)
        with pytest.raises(Crash):
            plansync.apply(config, checkpoint=steps.append)
    (left,) = project.vault.rglob("*.plansync-tmp")
    result = plansync.apply(config)
    assert result.ok, result.errors
    assert left.exists() and result.removed_temps == []

    old = time.time() - 3600
    os.utime(left, (old, old))
    result = plansync.apply(config)
    assert result.removed_temps == [left.relative_to(project.vault).as_posix()]
    assert_synced(config, before, project.url)  # which finds no temporary file either


# ---- 2. faults at the HTTP level ------------------------------------------------------------


def test_lost_answer_to_bulk_create_is_not_resent_and_rerun_adopts(project: Project) -> None:
    app = project.app
    assert app is not None
    config = project.config()
    before = snapshot(config)
    app.configure_faults({"fail_next": [{"drop": "after_commit", "path_contains": "issue/bulk"}]})
    result = plansync.apply(config)
    assert not result.ok
    assert "not sent again" in str(result.errors[0])
    assert bulk_creates(app) == 1  # the POST was not retried: Jira had created all 22
    assert len(sandbox_issues(project.url)) == 22
    result = plansync.apply(config)
    assert result.ok, result.errors
    assert bulk_creates(app) == 1  # adopted by label, not created again
    assert_synced(config, before, project.url)


LOST = "sent; the answer was lost — the next sync finds it by its id"


def test_creates_whose_answer_was_lost_failed_with_their_call_not_behind_it(
    project: Project,
) -> None:
    """A user test: the bulk create whose answer was lost was said to be "Not done: … 1
    create …, behind a step that failed", its outcome "not sent", while Jira held the issue.
    The creates the call carried failed with it, and may exist (``maybe_done``); only the
    steps after them were not attempted. The rerun adopts the issues, as before."""
    app = project.app
    assert app is not None
    config = project.config()
    before = snapshot(config)
    app.configure_faults({"fail_next": [{"drop": "after_commit", "path_contains": "issue/bulk"}]})
    result = plansync.apply(config)
    assert len(sandbox_issues(project.url)) == 22
    creates = [o for o in result.outcomes if o.action == "create"]
    assert len(creates) == 22
    assert {(o.status, o.whole_call, o.maybe_done, o.message) for o in creates} == {
        ("failed", True, True, LOST)
    }
    behind = [o for o in result.outcomes if o.action in ("link", "write_back")]
    assert behind and {o.status for o in behind} == {"skipped"}
    assert all((o.message or "").startswith("not sent: Jira failed") for o in behind)
    assert [e.whole_call for e in result.errors] == [True]  # the call's error, once

    assert plansync.apply(config).ok
    assert bulk_creates(app) == 1  # adopted by label, not created again
    assert_synced(config, before, project.url)


def test_the_sync_command_says_which_creates_failed_with_their_call(project: Project) -> None:
    """What the user read: the creates counted with the steps behind a failure."""
    app = project.app
    assert app is not None
    app.configure_faults({"fail_next": [{"drop": "after_commit", "path_contains": "issue/bulk"}]})
    failed = run_cli("sync", "--yes", "--config", str(project.config_path))
    assert failed.exit_code == 1, failed.output
    assert f"Failed: 22 create ({LOST}).\n" in failed.output
    (not_done,) = [line for line in failed.output.splitlines() if line.startswith("Not done:")]
    assert not_done.startswith("Not done: 22 write back, 22 link, 5 transition, behind")
    assert "the request may have reached Jira, so it was not sent again" in failed.output
    rerun = run_cli("sync", "--yes", "--config", str(project.config_path))
    assert rerun.exit_code == 0, rerun.output
    assert bulk_creates(app) == 1


def test_only_the_batch_a_500_failed_failed_and_the_later_batches_were_not_sent(
    project: Project,
) -> None:
    """Jira answered 500 to the first of five bulk creates: those five may have been made;
    the seventeen after them were never sent, and say so."""
    app = project.app
    assert app is not None
    config = use_batches(project, 5)
    app.configure_faults({"fail_next": [{"status": 500, "path_contains": "issue/bulk"}]})
    result = plansync.apply(config)
    assert bulk_creates(app) == 1
    creates = [o for o in result.outcomes if o.action == "create"]
    failed = [o for o in creates if o.status == "failed"]
    assert len(failed) == 5 and all(o.whole_call and o.maybe_done for o in failed)
    assert failed[0].message == (
        "sent; Jira answered 500 — if it was made all the same, the next sync finds it by its id"
    )
    skipped = [o for o in creates if o.status == "skipped"]
    assert len(skipped) == 17
    assert not any(o.whole_call or o.maybe_done for o in skipped)
    assert all((o.message or "").startswith("not sent: Jira failed") for o in skipped)


def test_creates_no_connection_reached_were_not_sent_and_leave_nothing_to_wait_for(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch, lookup_waits: Sleeps
) -> None:
    """Jira went away between the plan and the creates: every connect failed, so nothing can
    have been made: the creates say so, and the next run does not wait for search to show
    them (the journal entry is closed)."""
    app = JiraSandbox(":memory:")
    retries = jira_waits_recorded(monkeypatch)
    try:
        server = serve_in_thread(app)
        project = Project.made(tmp_path, server.url, app)
        for name, value in project.env().items():
            monkeypatch.setenv(name, value)
        config = project.config()

        def stop_jira(step: str) -> None:
            if step == "looked_up":
                server.stop()

        result = plansync.apply(config, checkpoint=stop_jira)
        creates = [o for o in result.outcomes if o.action == "create"]
        assert {(o.status, o.whole_call, o.maybe_done, o.message) for o in creates} == {
            (
                "failed",
                True,
                False,
                "not sent: no connection to Jira could be made (see the errors)",
            )
        }
        assert retries  # the connects were tried again, without sleeping
        with open_state(config.state_dir) as state:
            assert state.in_flight("jira") == []
    finally:
        server.stop()
        app.close()


def test_a_step_whose_first_request_fails_prints_no_progress_before_the_error(
    project: Project,
) -> None:
    """A user test: with the token rejected, `plan` printed "looking up ids in Jira: 0/1025"
    and then failed on "reading the server info", as if the look-ups were under way. Progress
    comes once a step's first batch is done; a plan that gets there still says it."""
    app = project.app
    assert app is not None
    items = "".join(f"- [ ] Check replica {n} of the index @Myself\n" for n in range(60))
    note = project.vault / "2025-11-21-replica-audit.md"
    note.write_text(f"---\ntitle: Replica audit\n---\n\n## Action Items\n\n{items}", "utf-8")
    assert run_cli("sync", "--yes", "--config", str(project.config_path)).exit_code == 0
    app.configure_faults({"fail_next": [{"status": 401, "count": 5}]})
    refused = run_cli("plan", "--config", str(project.config_path))
    assert refused.exit_code == 1, refused.output
    assert "(401) while reading the server info" in refused.output
    assert "looking up ids" not in refused.output
    app.configure_faults({"clear": True})
    planned = run_cli("plan", "--config", str(project.config_path))
    assert planned.exit_code == 0, planned.output
    assert re.search(r"^  looking up ids in Jira: (\d+)/\1$", planned.output, re.MULTILINE)
    assert not re.search(r"^  looking up ids in Jira: 0/", planned.output, re.MULTILINE)


def test_each_sync_run_in_one_process_shows_its_own_progress(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When a step's line was last shown was kept for the whole process: a program or a test
    running the command twice had the second run's lines held back as if shown just before
    (here the clock stands still, so any line held back for time would be missing)."""
    monkeypatch.setattr("plansync.cli.time.monotonic", lambda: 100.0)
    use_batches(project, 10)
    shown = []
    for run in ("first", "second"):
        items = "".join(f"- [ ] Check replica {n} of the {run} index @Myself\n" for n in range(60))
        note = project.vault / f"2025-11-21-{run}-audit.md"
        note.write_text(f"---\ntitle: Replica audit\n---\n\n## Action Items\n\n{items}", "utf-8")
        synced = run_cli("sync", "--yes", "--config", str(project.config_path))
        assert synced.exit_code == 0, synced.output
        lines = synced.output.splitlines()
        shown.append([line for line in lines if line.startswith("  create in jira: ")])
    assert shown == [
        ["  create in jira: 10/82", "  create in jira: 82/82"],  # the example's 22 and 60
        ["  create in jira: 10/60", "  create in jira: 60/60"],
    ]


def test_lost_create_with_search_lag_waits_for_the_journal_ids(project: Project) -> None:
    """Search lags writes (Jira Cloud): the journal says which ids to wait for, not recreate."""
    app = project.app
    assert app is not None
    config = project.config()
    before = snapshot(config)
    app.configure_faults(
        {
            "search_lag_ms": 1500,
            "fail_next": [{"drop": "after_commit", "path_contains": "issue/bulk"}],
        }
    )
    assert not plansync.apply(config).ok
    result = plansync.apply(config)  # its plan does not see the issues yet; its lookup waits
    assert result.ok, result.errors
    assert bulk_creates(app) == 1
    app.configure_faults({"search_lag_ms": 0})  # search caught up, for the check's own plan
    assert_synced(config, before, project.url)


def test_a_rerun_within_search_lag_of_a_crash_after_a_batch_reads_its_records_by_key(
    project: Project,
) -> None:
    """Killed once two batches' keys are stored, before any is written into a note; run again
    while search does not show those issues yet: the plan reads the 10 by key (one bulk
    fetch on Cloud, which does not lag), so their key write-backs, links and status moves
    are planned and done, where it met each as a missing record and left their work to a
    later sync; nothing created twice."""
    app = project.app
    assert app is not None
    config = use_batches(project, 5)
    before = snapshot(config)
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at("create_batch_done", 2))
    with open_state(config.state_dir, lock=False) as state:
        made = {record.key for record in state.records("jira").values()}
    assert len(made) == 10
    app.configure_faults({"search_lag_ms": 60_000})
    app.reset_stats()

    rerun = run_cli("sync", "--yes", "--config", str(project.config_path))
    assert rerun.exit_code == 0, rerun.output
    assert "state.db" not in rerun.output and "search" not in rerun.output
    assert (bulk_fetches(app), issues_read(app)) == (1, 0)  # the ten search did not show
    assert bulk_creates(app) == 3  # the other 12 items made
    app.configure_faults({"search_lag_ms": 0})  # search caught up, for the check's own plan
    assert_synced(config, before, project.url)


def delete_issue(url: str, key: str) -> None:
    """``key`` deleted in the sandbox, as a person deletes an issue in Jira."""
    request = urllib.request.Request(
        f"{url}/rest/api/2/issue/{key}",
        headers={"Authorization": "Basic amFzb246dA=="},
        method="DELETE",
    )
    urllib.request.urlopen(request, timeout=30).close()


def test_a_plan_within_search_lag_of_a_sync_reads_its_records_by_key_and_finds_them(
    project: Project,
) -> None:
    """A plan made soon after a full sync, while search does not show the issues it made yet,
    met each (its key on its line) as a record the state store tracks and Jira returns none
    of, and its hint said to delete the state store, after which the next sync makes them all
    again. It reads them by key (Cloud: one bulk fetch for the 22): nothing to do. An issue
    deleted is still a missing record, named in the hint; a plan whose search shows every
    record reads none by key."""
    app = project.app
    assert app is not None
    config = project.config()
    assert plansync.apply(config).ok
    app.configure_faults({"search_lag_ms": 60_000})
    app.reset_stats()

    plan = plansync.plan(config)
    assert plan.changes == [], [c.message for c in plan.changes]  # no conflict either
    assert (bulk_fetches(app), issues_read(app)) == (1, 0)  # the 22 search did not show
    shown = run_cli("plan", "--config", str(project.config_path))
    assert shown.exit_code == 0, shown.output
    assert "state store" not in shown.output and "state.db" not in shown.output

    with open_state(config.state_dir, lock=False) as state:
        gone = sorted(record.key for record in state.records("jira").values())[0]
    delete_issue(project.url, gone)
    plan = plansync.plan(config)
    (conflict,) = plan.changes
    assert conflict.action == "conflict" and conflict.record_missing
    assert conflict.key == gone
    shown = run_cli("plan", "--config", str(project.config_path))
    assert f"1 record the state store tracks is not in Jira ({gone})" in shown.output

    app.configure_faults({"search_lag_ms": 0})
    app.reset_stats()
    (conflict,) = plansync.plan(config).changes
    assert conflict.key == gone
    assert bulk_fetches(app) == 1  # for the one search did not return


@pytest.mark.parametrize("jira_sandbox", ["cloud", "dc"], indirect=True)
def test_a_plan_within_search_lag_of_a_sync_of_250_items_reads_them_100_a_request(
    project: Project,
) -> None:
    """A plan right after a first sync of 250 items, search showing none of them yet, read
    them one GET each: 250 requests. On Cloud it reads them by bulk fetch, 100 a request:
    3; Data Center has no bulk fetch, and reads one GET each still."""
    app = project.app
    assert app is not None
    shutil.rmtree(project.vault)
    project.vault.mkdir()
    items = [f"- [ ] Measure the rebuild times (item {n}) #task" for n in range(1, 251)]
    (project.vault / "2025-11-03-big-sync.md").write_text(
        "# Big sync\n\n## Action Items\n\n" + "\n".join(items) + "\n", encoding="utf-8"
    )
    config = project.config()
    synced = plansync.apply(config)
    assert synced.ok, synced.errors
    assert len(sandbox_issues(project.url)) == 250
    app.configure_faults({"search_lag_ms": 60_000})
    app.reset_stats()

    assert_nothing_to_do(plansync.plan(config))
    if app.mode == "cloud":
        assert (bulk_fetches(app), issues_read(app)) == (3, 0)
    else:
        assert (bulk_fetches(app), issues_read(app)) == (0, 250)


def test_dropped_connection_before_create_then_rerun(
    project: Project, lookup_waits: Sleeps
) -> None:
    """The request never reached Jira: nothing to adopt, the rerun creates (once), after
    waiting out search lag (recorded, not slept) for the ids the dead run was creating."""
    app = project.app
    assert app is not None
    config = project.config()
    before = snapshot(config)
    app.configure_faults({"fail_next": [{"drop": True, "path_contains": "issue/bulk"}]})
    assert not plansync.apply(config).ok
    assert sandbox_issues(project.url) == []
    assert lookup_waits == []
    assert plansync.apply(config).ok
    assert lookup_waits, "the rerun created without waiting for search to show the dead run's"
    assert bulk_creates(app) == 2
    assert_synced(config, before, project.url)


def test_429_with_retry_after_is_waited_out(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each 429 is waited out for as long as its Retry-After says, then sent again: the waits
    are recorded (the connector's ``sleep``), not slept and timed."""
    app = project.app
    assert app is not None
    waits = jira_waits_recorded(monkeypatch)
    config = project.config()
    before = snapshot(config)
    app.configure_faults(
        {
            "fail_next": [
                {"status": 429, "retry_after": 1, "path_contains": "issue/bulk", "count": 2},
                {"status": 429, "retry_after": 0, "path_contains": "remotelink", "count": 3},
            ]
        }
    )
    outcome = run_cli("sync", "--yes", "--config", str(project.config_path))
    assert outcome.exit_code == 0, outcome.output
    assert sorted(waits) == [0, 0, 0, 1, 1]  # Retry-After: 1 twice (bulk), 0 thrice (links)
    assert bulk_creates(app) == 3
    assert_synced(config, before, project.url)


def test_a_long_rate_limit_stops_the_jira_phases_and_a_later_rerun_finishes(
    project: Project,
) -> None:
    """Jira asks to come back in two minutes: the sync says so once and sends it nothing more
    (not the 21 other links, each refused in turn); run again later, it finishes the job."""
    app = project.app
    assert app is not None
    config = project.config()
    before = snapshot(config)
    limit = {"status": 429, "retry_after": 120, "path_contains": "remotelink", "count": 100}
    app.configure_faults({"fail_next": [limit]})
    failed = run_cli("sync", "--yes", "--config", str(project.config_path))
    assert failed.exit_code == 1, failed.output
    assert failed.output.count("retry after 120s") == 1, failed.output
    assert "the sync stopped early" in failed.output
    links = app.stats()["by_route"]["POST /rest/api/2/issue/{issueIdOrKey}/remotelink"]
    assert links <= 4  # the links already under way when the first 429 came back
    app.configure_faults({"clear": True})
    rerun = run_cli("sync", "--yes", "--config", str(project.config_path))
    assert rerun.exit_code == 0, rerun.output
    assert_synced(config, before, project.url)


def test_what_a_failed_call_did_before_it_failed_is_reported_as_applied(project: Project) -> None:
    """Four links go at a time; when one is throttled past max_backoff, the whole call fails,
    and the links answered before it or beside it were reported "not sent" although Jira had
    them (a user test found the same of transitions). Each outcome now says what Jira has:
    the link the 429 refused failed with the call (refused before acting: not maybe done),
    and only the links never sent are not attempted."""
    app = project.app
    assert app is not None
    limit = {"status": 429, "retry_after": 120, "path_contains": "PLAN-6/remotelink"}
    app.configure_faults({"fail_next": [limit]})
    result = plansync.apply(project.config())
    assert not result.ok
    linked = {key for key, issue in project.issues().items() if issue["remotelinks"]}
    links = [o for o in result.outcomes if o.action == "link"]
    assert {o.key for o in links if o.status == "applied"} == linked
    assert len(linked) >= 5  # those before PLAN-6's, at the least
    assert result.applied["link"] == len(linked)
    (refused,) = [o for o in links if o.status == "failed"]
    assert (refused.key, refused.whole_call, refused.maybe_done) == ("PLAN-6", True, False)
    assert refused.message == "not done: Jira refused the call that carried it (see the errors)"
    unsent = [o for o in links if o.key not in linked and o.key != "PLAN-6"]
    assert unsent and {o.status for o in unsent} == {"skipped"}
    assert all((o.message or "").startswith("not sent: Jira failed") for o in unsent)


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 500, "path_contains": "issue/bulk"},
        {"status": 500, "path_contains": "remotelink", "count": 2},
        {"status": 500, "path_contains": "transitions", "method": "POST"},
        {"status": 500, "path_contains": "search", "count": 2},  # a read: sent again once
        {"status": 503, "retry_after": 120, "path_contains": "issue/bulk"},
    ],
    ids=["bulk", "links", "transition", "search", "503-long-retry-after"],
)
def test_server_error_fails_the_run_and_a_rerun_fixes_it(
    project: Project, fault: dict[str, Any], lookup_waits: Sleeps
) -> None:
    app = project.app
    assert app is not None
    replace_once(project.config_path, 'deployment = "auto"', 'deployment = "auto"\nmax_retries = 1')
    config = project.config()
    before = snapshot(config)
    app.configure_faults({"fail_next": [fault]})
    failed = run_cli("sync", "--yes", "--config", str(project.config_path))
    assert failed.exit_code == 1, failed.output
    assert re.search(r"\b50[03]\b", failed.output), failed.output
    rerun = run_cli("sync", "--yes", "--config", str(project.config_path))
    assert rerun.exit_code == 0, rerun.output
    assert_synced(config, before, project.url)


def test_random_429s_and_500s_end_right_after_reruns(project: Project) -> None:
    app = project.app
    assert app is not None
    config = use_batches(project, 5)
    before = snapshot(config)
    app.configure_faults({"rate_429": 0.2, "rate_500": 0.04, "retry_after": 0, "seed": 3})
    codes = []
    for _ in range(12):
        outcome = run_cli("sync", "--yes", "--config", str(project.config_path))
        codes.append(outcome.exit_code)
        if outcome.exit_code == 0:
            break
    assert codes[-1] == 0, codes
    assert set(codes) <= {0, 1}
    assert 1 in codes, "the seed should make at least one run fail"
    app.configure_faults({"clear": True})
    assert_synced(config, before, project.url)


# ---- 3. SIGKILL of a real process ------------------------------------------------------------


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from plansync.cli import main; main()", *args]


@contextmanager
def sandbox_process(state: Path, latency_ms: int) -> Iterator[str]:
    port = closed_port_pair()  # for the sandboxes to listen on
    process = subprocess.Popen(
        cli(
            "sandbox",
            "serve",
            "--port",
            str(port),
            "--state",
            str(state),
            "--latency-ms",
            str(latency_ms),
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{url}/_sandbox/stats", timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.05)
        yield url
    finally:
        process.kill()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def requests_served(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_sandbox/stats", timeout=10) as response:
        return int(json.load(response)["total"])


def set_latency(url: str, latency_ms: int) -> None:
    """The sandbox in another process answers each request ``latency_ms`` later from now on."""
    request = urllib.request.Request(
        f"{url}/_sandbox/faults",
        data=json.dumps({"latency_ms": latency_ms}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()


def kill_when(run: subprocess.Popen[bytes], url: str, *, after: float | int) -> None:
    """SIGKILL ``run`` ``after`` seconds (a float) or when the sandbox has received ``after``
    more requests (an int; the last one is then in flight, maybe committed), unless it ended."""
    base = requests_served(url)
    deadline = time.monotonic() + (after if isinstance(after, float) else 30.0)
    while run.poll() is None and time.monotonic() < deadline:
        if isinstance(after, int) and requests_served(url) - base >= after:
            break
        time.sleep(0.003)
    if run.poll() is None:
        run.send_signal(signal.SIGKILL)
    run.wait(timeout=10)


# A sync of the example vault in batches of 5 sends about 40 requests: 8 to plan (server
# info, 6 user searches, 1 label search), 5 bulk creates, 22 links, 2 x 2 for transitions.
KILL_AFTER = (0.4, 0.8, 2, 8, 10, 11, 12, 14, 18, 25, 36)


def test_sigkill_at_any_moment_then_sync_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``plansync sync`` in a process of its own, killed at moments in time and at the Nth
    request it sends to a sandbox in another process (30 ms a request); then run again."""
    with sandbox_process(tmp_path / "sandbox", latency_ms=30) as url:
        for name in CONFIG_ENV:
            monkeypatch.delenv(name, raising=False)
        killed_mid_sync = 0
        for n, after in enumerate(KILL_AFTER):
            known = {i["key"] for i in sandbox_issues(url)}
            project = Project.made(tmp_path / f"kill-{n}", url, None)
            env = {**os.environ, **project.env()}
            for name, value in project.env().items():
                monkeypatch.setenv(name, value)
            config = use_batches(project, 5)
            before = snapshot(config)
            args = cli("sync", "--yes", "--config", str(project.config_path))
            set_latency(url, 30)  # the run to kill: slow enough to die between its requests
            run = subprocess.Popen(
                args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                kill_when(run, url, after=after)
            finally:
                if run.poll() is None:
                    run.kill()
                    run.wait()
            created = [i for i in sandbox_issues(url) if i["key"] not in known]
            killed_mid_sync += bool(created) and run.returncode == -signal.SIGKILL
            # A kill between a note's temporary file and its rename leaves the file, which a
            # sync removes once it is old: as here, the rerun as if an hour later.
            for left in project.vault.rglob("*.plansync-tmp"):
                os.utime(left, (time.time() - 3600,) * 2)
            set_latency(url, 0)  # the rerun and the checks: nothing to time there
            rerun = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
            assert rerun.returncode == 0, f"killed after {after}: {rerun.stdout}{rerun.stderr}"

            def own(issue: dict[str, Any], known: set[str] = known) -> bool:
                return issue["key"] not in known

            assert_synced(config, before, url, own_issues=own)
        assert killed_mid_sync >= 4, "the kills should catch runs between create and the end"


def test_lost_answer_to_a_transition_then_reopen(project: Project) -> None:
    """The transition POST is not resent on a lost answer; the rerun finds Jira done, and the
    base must say so too, or reopening the item later would pass for "closed in Jira"."""
    app = project.app
    assert app is not None
    config = project.config()
    before = snapshot(config)
    app.configure_faults(
        {"fail_next": [{"drop": "after_commit", "path_contains": "transitions", "method": "POST"}]}
    )
    failed = run_cli("sync", "--yes", "--config", str(project.config_path))
    assert failed.exit_code == 1, failed.output
    rerun = run_cli("sync", "--yes", "--config", str(project.config_path))
    assert rerun.exit_code == 0, rerun.output
    assert_synced(config, before, project.url)
    replace_once(
        project.note("2025-11-03"), "- [x] Publish the revised", "- [ ] Publish the revised"
    )
    replace_once(project.note("2025-11-10"), "- [x] Send the service", "- [ ] Send the service")
    before = snapshot(config)
    assert plansync.plan(config).summary["transition"] == 2  # both reopened
    assert plansync.apply(config).ok
    assert_synced(config, before, project.url)


def test_a_transition_whose_answer_was_lost_then_reopened_in_jira_stays_open(
    project: Project,
) -> None:
    """The move of a line checked done lands in Jira, its answer lost; the rerun finds the
    issue done, and someone then reopens it in Jira. The base still said only what was sent
    (``status_sent``), which reads as never made once the issue is open: the plan closed the
    issue again over the reopen, as if the line had just been checked. The rerun's plan
    teaches the base the move, so the reopen is Jira's change, kept and said."""
    app = project.app
    assert app is not None
    config = project.config()
    assert plansync.apply(config).ok
    replace_once(project.note("2025-11-03"), "- [ ] Write the runbook", "- [x] Write the runbook")
    (move,) = [c for c in plansync.plan(config).changes if c.action == "transition"]
    drop = {"drop": "after_commit", "path_contains": f"issue/{move.key}/transitions"}
    app.configure_faults({"fail_next": [{**drop, "method": "POST"}]})
    assert not plansync.apply(config).ok
    rerun = plansync.apply(config)
    assert rerun.ok and rerun.applied == {}, rerun.applied
    jira_transition(project, move.key or "", "11")
    plan = plansync.plan(config)
    assert plan.changes == [] and [(r.key, r.fields) for r in plan.kept_records] == [
        (move.key, ["status"])
    ]


def test_a_transition_whose_answer_was_lost_fails_that_item_and_the_others_are_made(
    project: Project,
) -> None:
    """A user test: one transition whose connection dropped was reported as the whole call's
    failure (``sync jira failed``, no note or line, ``whole_call``), though Jira had the other
    transitions of the run, as README said such a failure "stops that backend's steps". A
    transition is one request per issue, not resent once it may have reached Jira: its lost
    answer is that item's failure (its note and line named, ``maybe_done``, saying the next
    plan shows whether it was done), as a 500 to it is, and every other transition is made."""
    app = project.app
    assert app is not None
    config = project.config()
    plan = plansync.plan(config)
    (target,) = [  # made first, as PLAN-1, and moved to done by the same sync
        c
        for c in plan.changes
        if c.action == "transition" and c.item.text.startswith("Publish the revised")
    ]
    drop = {"drop": "after_commit", "path_contains": "issue/PLAN-1/transitions", "method": "POST"}
    app.configure_faults({"fail_next": [drop]})
    result = plansync.apply(config, plan)
    moves = [o for o in result.outcomes if o.action == "transition"]
    assert len(moves) == 5
    (lost,) = [o for o in moves if o.status == "failed"]
    assert (lost.key, lost.whole_call, lost.maybe_done) == ("PLAN-1", False, True)
    assert "it was not sent again — the next plan shows whether it was done" in (lost.message or "")
    assert [o.status for o in moves if o is not lost] == ["applied"] * 4
    (error,) = result.errors
    assert (error.whole_call, error.note, error.line) == (False, target.item.note, target.item.line)
    assert (error.action, error.key, error.target) == ("transition", "PLAN-1", "jira")
    moved = {  # made in To Do, each moved out of it by its transition
        key
        for key, issue in project.issues().items()
        if issue["fields"]["status"]["statusCategory"]["key"] != "new"
    }
    assert {o.key for o in moves} == moved  # Jira made the lost one too: its answer was lost
    assert "No changes." in run_cli("plan", "--config", str(project.config_path)).output

    # The command's lines, for the same fault met by the one transition of a sync.
    replace_once(project.note("2025-11-03"), "- [ ] Write the runbook", "- [x] Write the runbook")
    (runbook,) = [c for c in plansync.plan(config).changes if c.action == "transition"]
    drop["path_contains"] = f"issue/{runbook.key}/transitions"
    app.configure_faults({"fail_next": [drop]})
    failed = run_cli("sync", "--yes", "--config", str(project.config_path))
    assert failed.exit_code == 1, failed.output
    where = f"error: {runbook.item.note}:{runbook.item.line}: jira transition {runbook.key} failed"
    assert where in failed.output
    assert "1 item failed;" in failed.output and "stopped early" not in failed.output
    assert "Failed:" not in failed.output and "Not done:" not in failed.output
    rerun = run_cli("sync", "--yes", "--config", str(project.config_path))
    assert rerun.exit_code == 0, rerun.output
    assert "No changes." in rerun.output  # Jira had made the move: it is not sent again


@pytest.mark.parametrize(
    ("fault", "action"),
    [
        ({"status": 500, "path_contains": "issue/PLAN-3", "method": "PUT"}, "update"),
        (
            {"status": 500, "path_contains": "issue/PLAN-3/transitions", "method": "POST"},
            "transition",
        ),
        (
            {"status": 502, "path_contains": "issue/PLAN-3/transitions", "method": "POST"},
            "transition",
        ),
    ],
    ids=["update-500", "transition-500", "transition-502"],
)
def test_a_5xx_to_one_write_fails_that_item_as_maybe_done(
    project: Project, fault: dict[str, Any], action: str
) -> None:
    """A user test: an update (or transition) Jira answered 500 was ``maybe_done=False``,
    though README says a 5xx to a write "may have been carried out" (only a 401, 403, 404,
    429 or 503 is a refusal before acting). Its item fails, may be done, and says that the
    next plan shows whether it was; the rerun makes it (the sandbox fails before acting)."""
    app = project.app
    assert app is not None
    config = project.config()
    assert plansync.apply(config).ok
    replace_once(
        project.note("2025-11-03"),
        "- [ ] Write the runbook for changing",
        "- [x] Write the runbook for changing"
        if action == "transition"
        else "- [ ] Write the runbook for updating",
    )
    app.configure_faults({"fail_next": [fault]})
    result = plansync.apply(config)
    (failed,) = [o for o in result.outcomes if o.status == "failed"]
    assert (failed.action, failed.key) == (action, "PLAN-3")
    assert (failed.whole_call, failed.maybe_done) == (False, True)
    message = failed.message or ""
    assert f"Jira answered {fault['status']}" in message
    assert message.endswith(" — the next plan shows whether it was done")
    (error,) = result.errors
    assert (error.whole_call, error.message) == (False, message)
    rerun = plansync.apply(config)
    assert rerun.ok and rerun.applied == {action: 1}


def test_a_transitions_list_jira_fails_with_500_fails_that_item_as_not_made(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the read was answered 500 (resent, waits recorded): the move was never sent, so
    the item's failure is not ``maybe_done``, and the other items go on."""
    app = project.app
    assert app is not None
    retries = jira_waits_recorded(monkeypatch)
    replace_once(project.config_path, 'deployment = "auto"', 'deployment = "auto"\nmax_retries = 1')
    config = project.config()
    broken = {"status": 500, "path_contains": "issue/PLAN-1/transitions", "method": "GET"}
    app.configure_faults({"fail_next": [{**broken, "count": 2}]})
    result = plansync.apply(config)
    (failed,) = [o for o in result.outcomes if o.status == "failed"]
    assert (failed.action, failed.key, failed.whole_call, failed.maybe_done) == (
        "transition",
        "PLAN-1",
        False,
        False,
    )
    assert "next plan" not in (failed.message or "")
    assert retries == [1.0]
    assert result.applied["transition"] == 4


def test_a_transition_whose_list_of_transitions_got_no_answer_was_not_made(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its read failed the call before the move was sent: failed with the call, but not maybe
    done (a lost answer to the read said nothing of a move never asked for)."""
    app = project.app
    assert app is not None
    retries = jira_waits_recorded(monkeypatch)
    replace_once(project.config_path, 'deployment = "auto"', 'deployment = "auto"\nmax_retries = 1')
    config = project.config()
    assert plansync.apply(config).ok
    replace_once(project.note("2025-11-03"), "- [ ] Write the runbook", "- [x] Write the runbook")
    drop = {"drop": True, "path_contains": "transitions", "method": "GET", "count": 10}
    app.configure_faults({"fail_next": [drop]})
    result = plansync.apply(config)
    (move,) = [o for o in result.outcomes if o.action == "transition"]
    assert (move.status, move.whole_call, move.maybe_done) == ("failed", True, False)
    assert move.message == "not sent: Jira failed the call before it was sent (see the errors)"
    assert retries  # the read was sent again, without sleeping
    app.configure_faults({"clear": True})
    assert plansync.apply(config).applied == {"transition": 1}


def test_an_update_a_401_refused_failed_with_its_call_and_was_not_done(
    project: Project,
) -> None:
    """The update whose PUT the 401 refused was "skipped: not sent … behind a step that
    failed"; it was the step that failed, and Jira did nothing with it (not maybe done)."""
    app = project.app
    assert app is not None
    config = project.config()
    assert plansync.apply(config).ok
    replace_once(project.note("2025-11-03"), "📅 2025-11-10 🔼", "📅 2025-11-21 🔼")
    app.configure_faults({"fail_next": [{"status": 401, "method": "PUT", "count": 10}]})
    failed = run_cli("sync", "--yes", "--config", str(project.config_path))
    assert failed.exit_code == 1, failed.output
    refused = "not done: Jira refused the call that carried it (see the errors)"
    assert f"Failed: 1 update ({refused}).\n" in failed.output
    assert "Not done:" not in failed.output
    app.configure_faults({"clear": True})
    result = plansync.apply(config)
    assert result.ok, result.errors
    assert result.applied == {"update": 1}


# ---- 4. something that is not Jira answering ------------------------------------------------


class SsoProxy:
    """A single-sign-on proxy in front of the sandbox whose session ran out mid-run: while
    ``expired``, requests whose path contains ``path_contains`` are redirected to its login
    page, which answers 200 with HTML (a redirected PUT or POST arrives there as a GET)."""

    def __init__(self, app: JiraSandbox, path_contains: str, *, loop: bool = False) -> None:
        self.app = app
        self.path_contains = path_contains
        self.expired = False
        self.loop = loop  # redirect to the request's own path, for ever (a misconfigured proxy)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == "/sso/login":
            page = b"<!DOCTYPE html><html><body>Sign in to continue</body></html>"
            headers = [("Content-Type", "text/html"), ("Content-Length", str(len(page)))]
            start_response("200 OK", headers)
            return [page]
        if self.expired and self.path_contains in path:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            environ["wsgi.input"].read(length)  # the connection is reused: read what was sent
            where = path if self.loop else "/sso/login"
            start_response("302 Found", [("Location", where), ("Content-Length", "0")])
            return [b""]
        return self.app(environ, start_response)


def test_a_login_page_instead_of_an_answer_is_not_taken_for_a_done_update(
    project: Project,
) -> None:
    """An update or link that a proxy's login page answered was stored as synced, and never sent
    again: the issue kept its old due date for good. It fails the call, and a rerun sends it."""
    from plansync.sandbox.server import serve_in_thread

    assert project.app is not None
    proxy = SsoProxy(project.app, path_contains="/issue/")
    with serve_in_thread(proxy) as server:
        os.environ["JIRA_URL"] = server.url  # undone by the fixture's monkeypatch
        config = project.config()
        assert plansync.apply(config).ok
        replace_once(project.note("2025-11-03"), "📅 2025-11-10 🔼", "📅 2025-11-21 🔼")
        before = snapshot(config)
        proxy.expired = True
        failed = run_cli("sync", "--yes", "--config", str(project.config_path))
        assert failed.exit_code == 1, failed.output
        assert "is not JSON (a login page or proxy in the way?)" in failed.output
        assert "Traceback" not in failed.output
        proxy.expired = False
        rerun = run_cli("sync", "--yes", "--config", str(project.config_path))
        assert rerun.exit_code == 0, rerun.output
        assert_synced(config, before, server.url)


def test_a_redirect_loop_is_one_line_and_the_rest_of_the_run_goes_on(project: Project) -> None:
    """A proxy that redirects for ever: requests gives up with TooManyRedirects, which escaped
    the connector as it was (no ConnectorError): the run stopped dead, before the keys of the
    issues it had just created were written into the notes."""
    from plansync.sandbox.server import serve_in_thread

    assert project.app is not None
    proxy = SsoProxy(project.app, path_contains="/remotelink", loop=True)
    with serve_in_thread(proxy) as server:
        os.environ["JIRA_URL"] = server.url  # undone by the fixture's monkeypatch
        config = project.config()
        before = snapshot(config)
        proxy.expired = True
        failed = run_cli("sync", "--yes", "--config", str(project.config_path))
        assert failed.exit_code == 1, failed.output
        assert "TooManyRedirects" in failed.output and "the sync stopped early" in failed.output
        assert "Applied: 22 create, 22 write back" in failed.output  # the keys are in the notes
        proxy.expired = False
        rerun = run_cli("sync", "--yes", "--config", str(project.config_path))
        assert rerun.exit_code == 0, rerun.output
        assert_synced(config, before, server.url)


def test_a_transition_jira_fails_with_500_does_not_hold_back_the_others(project: Project) -> None:
    """A workflow post-function that throws on one issue answers 500 to its transition: that
    item fails, naming its line; the transitions after it are made all the same. (The 500 used
    to stop every later transition, and, coming first in every plan, did so run after run.)"""
    app = project.app
    assert app is not None
    config = project.config()
    assert plansync.apply(config).ok
    replace_once(project.note("2025-11-03"), "- [ ] Write the runbook", "- [x] Write the runbook")
    replace_once(
        project.note("2025-11-12"), "- [ ] Model launch margins", "- [x] Model launch margins"
    )
    before = snapshot(config)
    first, second = [c for c in plansync.plan(config).changes if c.action == "transition"]
    broken = {"status": 500, "method": "POST", "count": 100}
    app.configure_faults(
        {"fail_next": [{**broken, "path_contains": f"/issue/{first.key}/transitions"}]}
    )
    for _ in range(2):
        failed = run_cli("sync", "--yes", "--config", str(project.config_path))
        assert failed.exit_code == 1, failed.output
        errors = [line for line in failed.output.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1, failed.output
        assert errors[0].startswith(f"error: {first.item.note}:{first.item.line}: jira transition")
        assert "500" in errors[0]
        assert "1 item failed;" in failed.output and "stopped early" not in failed.output
        (issue,) = [i for i in sandbox_issues(project.url) if i["key"] == second.key]
        assert issue["fields"]["status"]["statusCategory"]["key"] == "done"
    app.configure_faults({"clear": True})
    rerun = run_cli("sync", "--yes", "--config", str(project.config_path))
    assert rerun.exit_code == 0, rerun.output
    assert_synced(config, before, project.url)


def test_a_sandbox_restarted_without_its_state_says_once_what_to_do(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user test: after a served sandbox restarted without ``--state``, each item was a
    conflict ("PLAN-4 is in the state store but Jira returns no record …") and nothing said
    what to do: ``forget`` takes none of them (their lines are read), and a lost state store
    alone makes none again (a line naming its key is never created twice). The plan says
    once what does, and doing it syncs the notes to the new sandbox."""
    first = JiraSandbox(":memory:", mode="cloud")
    with serve_in_thread(first) as server:
        url, port = server.url, int(server.url.rsplit(":", 1)[1])
        monkeypatch.setenv("JIRA_URL", url)
        config = project.config()
        assert plansync.apply(config).ok
    first.close()
    again = JiraSandbox(":memory:", mode="cloud")  # restarted on its port, without its state
    with serve_in_thread(again, port) as server:
        assert server.url == url
        plan = plansync.plan(config)
        conflicts = [c for c in plan.changes if c.action == "conflict"]
        assert len(conflicts) == 22 and all(c.record_missing for c in conflicts)
        assert plan.changes == conflicts
        shown = run_cli("plan", "--config", str(project.config_path))
        hints = [line for line in shown.output.splitlines() if "the state store tracks" in line]
        assert len(hints) == 1, shown.output
        (hint,) = hints
        assert hint.startswith("22 records the state store tracks are not in Jira (PLAN-1,")
        assert "only with `--state DIR`" in hint
        store = project.state_db
        assert f"take their key links off their lines and delete {store} " in hint
        as_json = json.loads(run_cli("plan", "--json", "--config", str(project.config_path)).output)
        assert all("record_missing" not in change for change in as_json["changes"])

        # What the hint says to do, for records gone for good, makes them anew.
        for note in project.vault.glob("*.md"):
            note.write_text(KEY_LINK_TEXT.sub("", note.read_text(encoding="utf-8")), "utf-8")
        store.unlink()
        result = plansync.apply(config)
        assert result.ok, result.errors
        assert result.applied["create"] == 22
        assert not plansync.plan(config).has_changes
    again.close()


# ---- 5. a line deleted between a crashed sync and its rerun ---------------------------------


def with_orphans(project: Project, orphans: str) -> Config:
    text = project.config_path.read_text(encoding="utf-8")
    project.config_path.write_text(text + f'\n[sync]\norphans = "{orphans}"\n', encoding="utf-8")
    return project.config()


PAGER_LINE = "- [ ] Draft the pager budget @Myself\n"


def add_pager_line(project: Project) -> Path:
    path = project.note("2025-11-11")
    replace_once(path, "## Action Items\n", "## Action Items\n" + PAGER_LINE)
    return path


def delete_pager_line(path: Path) -> bytes:
    data = path.read_bytes()
    start = data.index(b"- [ ] Draft the pager budget")
    deleted = data[:start] + data[data.index(b"\n", start) + 1 :]
    path.write_bytes(deleted)
    return deleted


def pager_issues(project: Project) -> list[dict[str, Any]]:
    return [i for i in sandbox_issues(project.url) if "pager budget" in i["fields"]["summary"]]


def open_journal(config: Config) -> list[Any]:
    with open_state(config.state_dir, lock=False) as state:
        return state.in_flight()


@pytest.mark.parametrize("orphans", ["report", "cancel"])
def test_an_issue_made_for_a_line_deleted_before_the_rerun_is_an_ordinary_orphan(
    project: Project, orphans: str
) -> None:
    """The sync dies once Jira made the issue, before its key is stored; the line is deleted
    before the next run. That issue's id is in no note and no state, only in the journal of
    the dead create, which names the note it was created from. The rerun stores the issue
    as an ordinary record of that note and closes the entry: from then on it is an orphan
    like any other whose line was deleted, reported, or cancelled once under
    ``orphans = "cancel"``. The journal entry used to stay open for good, and every run
    found the issue again as "made by a sync that was cut short"."""
    config = with_orphans(project, orphans)
    assert plansync.apply(config).ok
    path = add_pager_line(project)
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at("created"))
    (made,) = pager_issues(project)
    label = ps_labels(made)[0]
    deleted = delete_pager_line(path)
    assert len(open_journal(config)) == 1

    first = plansync.plan(config)  # before the rerun: as it will be once applied
    mine = [c for c in first.changes if c.key == made["key"]]
    if orphans == "cancel":
        assert [c.action for c in mine] == ["transition"]
        assert mine[0].fields["status"]["new"] == "cancelled"
    else:
        assert [c.action for c in mine] == ["orphan"]
    assert mine[0].item.note == path.name and mine[0].item.block_id == label
    assert "its line is gone from the note" in (mine[0].message or "")

    result = plansync.apply(config)
    assert result.ok, result.errors
    assert open_journal(config) == [], "the dead create's entry is closed"
    with open_state(config.state_dir, lock=False) as state:
        record = state.get(label, "jira")
    assert record is not None and record.key == made["key"] and record.note_path == path.name
    (after,) = pager_issues(project)
    category = after["fields"]["status"]["statusCategory"]["key"]
    assert category == ("done" if orphans == "cancel" else "new")

    assert project.app is not None
    then = "left alone"  # and from then on, an orphan like any other: reported, left alone,
    if orphans == "cancel":  # or cancelled, as it says
        then = f"a sync cancelled it; `{config.caller.command('forget', made['key'])}` stops"
        then += " this report"
    for _ in range(2):
        searches = searches_sent(project.app)
        again = plansync.plan(config)
        assert searches_sent(project.app) - searches == 1  # the plan's one batch, no more
        assert not again.has_changes and not again.dead_creates
        (orphan,) = [c for c in again.changes if c.action == "orphan"]
        assert orphan.key == made["key"] and orphan.item.note == path.name
        assert orphan.message == f"{made['key']}: its line is gone from the note; {then}"
        assert plansync.apply(config).ok
    assert len(pager_issues(project)) == 1
    assert path.read_bytes() == deleted


def test_an_issue_made_for_a_line_proposed_again_before_the_rerun_is_an_ordinary_orphan(
    project: Project,
) -> None:
    """As above, but the line is made proposed again (``[?]``) rather than deleted: the
    issue becomes a record of its line, reported as any synced item no longer accepted is,
    and the entry closes; accepted again, the item syncs with that issue."""
    config = project.config()
    assert plansync.apply(config).ok
    path = add_pager_line(project)
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at("created"))
    (made,) = pager_issues(project)
    replace_once(path, "- [ ] Draft the pager budget", "- [?] Draft the pager budget")
    for _ in range(2):
        plan = plansync.plan(config)
        (mine,) = [c for c in plan.changes if c.key == made["key"]]
        assert mine.action == "orphan" and "no longer accepted" in (mine.message or "")
        assert mine.item.note == path.name and mine.item.line > 0
        assert plansync.apply(config).ok
        assert open_journal(config) == []
    replace_once(path, "- [?] Draft the pager budget", "- [ ] Draft the pager budget")
    plan = plansync.plan(config)
    assert plan.summary["create"] == 0 and plan.summary["conflict"] == 0
    assert plansync.apply(config).ok
    assert pager_issues(project)[0]["key"] == made["key"] and len(pager_issues(project)) == 1
    assert f"[{made['key']}](" in path.read_text(encoding="utf-8")
    assert not plansync.plan(config).has_changes


def test_a_dead_create_that_made_nothing_for_a_deleted_line_just_closes(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bulk create's request is dropped before Jira gets it, so its journal entry stays
    open (the run cannot know Jira did nothing); the line is deleted. The next sync looks the
    id up, waits once for search to catch up as for any dead create, finds nothing and closes
    the entry; the sync after that neither looks the id up nor waits."""
    slept: list[float] = []
    monkeypatch.setattr("plansync.engine.steps.journal.time.sleep", slept.append)
    config = project.config()
    assert plansync.apply(config).ok
    path = add_pager_line(project)
    assert project.app is not None
    project.app.configure_faults({"fail_next": [{"drop": True, "path_contains": "issue/bulk"}]})
    assert not plansync.apply(config).ok
    assert pager_issues(project) == [] and len(open_journal(config)) == 1
    delete_pager_line(path)

    plan = plansync.plan(config)
    assert not plan.has_changes and plan.summary["orphan"] == 0
    assert [(d.key, d.note) for d in plan.dead_creates] == [(None, path.name)]
    result = plansync.apply(config)
    assert result.ok, result.errors
    assert slept == [1.0, 2.0, 4.0]  # search may lag the dead create: waited for, once
    assert open_journal(config) == []

    searches = searches_sent(project.app)
    again = plansync.plan(config)
    assert not again.changes and not again.dead_creates
    assert plansync.apply(config).ok
    assert searches_sent(project.app) - searches == 2  # a plan and a sync, one batch each
    assert slept == [1.0, 2.0, 4.0]


def test_the_sync_command_settles_a_dead_create_when_it_has_nothing_else_to_do(
    project: Project,
) -> None:
    """``plansync sync`` skips apply when the plan has nothing to do; a dead create to settle
    is something to do for the state (as a base to refresh is), or it stayed open."""
    config = project.config()
    assert plansync.apply(config).ok
    path = add_pager_line(project)
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at("created"))
    delete_pager_line(path)
    result = run_cli("sync", "--yes", "--config", str(project.config_path))
    assert result.exit_code == 0, result.output
    assert open_journal(config) == []


def test_a_dead_create_journaled_without_its_note_is_reported_never_cancelled(
    project: Project,
) -> None:
    """A journal entry written before entries named their notes: the record found for its
    id is stored and the entry closed, but which note held the line is not known, so even
    ``orphans = "cancel"`` only reports it (a deleted note never cancels anything)."""
    config = with_orphans(project, "cancel")
    assert plansync.apply(config).ok
    path = add_pager_line(project)
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at("created"))
    with closing(sqlite3.connect(config.state_dir / "state.db")) as db, db:
        db.execute("UPDATE journal SET notes = NULL WHERE finished_at IS NULL")
    (made,) = pager_issues(project)
    delete_pager_line(path)
    for _ in range(2):
        result = plansync.apply(config)
        assert result.ok, result.errors
        assert open_journal(config) == []
        again = plansync.plan(config)
        (orphan,) = [c for c in again.changes if c.key == made["key"]]
        assert orphan.action == "orphan" and orphan.item.note == ""
        assert "cut short" in (orphan.message or "") and "never cancelled" in (orphan.message or "")
    (after,) = pager_issues(project)
    assert after["fields"]["status"]["statusCategory"]["key"] == "new"


# ---- 6. an editor saves its copy of a note over the ids, mid-sync ---------------------------


@pytest.mark.parametrize("step", [None, "looked_up", "created", "keys_written", "links"])
def test_ids_an_editor_saved_over_are_written_again_before_creating(
    project: Project, step: str | None
) -> None:
    """Right after the ids are written, an editor that had the notes open saves its copies over
    them: every id is gone from disk. Apply checks before creating and writes them again (the
    lines are as planned), so no issue is made for an id the notes do not hold; killed after
    that at ``step`` and run again, it ends right all the same."""
    config = project.config()
    before = snapshot(config)
    saved = {p: p.read_bytes() for p in project.vault.rglob("*.md")}
    then_die = crash_at(step) if step else (lambda _: None)

    def editor_saves(name: str) -> None:
        if name == "ids_written":
            for path, data in saved.items():
                path.write_bytes(data)
        then_die(name)

    if step:
        with pytest.raises(Crash):
            plansync.apply(config, checkpoint=editor_saves)
        result = plansync.apply(config)
    else:
        result = plansync.apply(config, checkpoint=editor_saves)
    assert result.ok, result.errors
    assert all(o.status == "applied" for o in result.outcomes), result.outcomes
    assert_synced(config, before, project.url)


def test_a_line_an_editor_changed_over_its_id_gets_no_issue_until_the_next_sync(
    project: Project,
) -> None:
    """The editor's copy has the line reworded as well: its id cannot be written again where
    the line was planned, so nothing is created for it (the outcome says why); the next sync
    plans it afresh and creates it, once."""
    config = project.config()
    path = project.note("2025-11-03")
    old = b"- [ ] Write the runbook"
    mine = path.read_bytes().replace(old, old + b" for the failover drill")
    assert mine != path.read_bytes()

    def editor_saves(name: str) -> None:
        if name == "ids_written":
            path.write_bytes(mine)

    result = plansync.apply(config, checkpoint=editor_saves)
    [failed] = [o for o in result.outcomes if o.status == "failed"]
    assert failed.action == "write_back" and failed.item.note == path.name
    assert failed.message == (
        "the line changed or moved in the note; call `plansync.apply(config)` again"
    )
    skipped = [o for o in result.outcomes if o.status == "skipped"]
    assert {o.item.block_id for o in skipped} == {failed.item.block_id}
    assert "create" in {o.action for o in skipped}
    assert all("an earlier step of this item failed" in (o.message or "") for o in skipped)
    assert [e.block_id for e in result.errors] == [failed.item.block_id]
    labels = {ps_labels(i)[0] for i in sandbox_issues(project.url)}
    assert label_for(failed.item.block_id or "") not in labels
    before = snapshot(config)
    assert plansync.apply(config).ok
    assert_synced(config, before, project.url)


def test_a_line_an_editor_changed_while_its_batch_was_looked_up_gets_one_issue(
    project: Project,
) -> None:
    """The same save, made after the ids were checked and the batch looked up, just before
    the create: the ids were checked once before all batches, so its issue was made for an id
    the note no longer held, and the next sync made a second one for the reworded line."""
    config = project.config()
    path = project.note("2025-11-03")
    old = b"- [ ] Write the runbook"
    mine = path.read_bytes().replace(old, old + b" for the failover drill")

    def editor_saves(name: str) -> None:
        if name == "looked_up":
            path.write_bytes(mine)

    result = plansync.apply(config, checkpoint=editor_saves)
    assert not result.ok
    before = snapshot(config)
    assert plansync.apply(config).ok
    assert_synced(config, before, project.url)


# ---- 7. an issue cloned with its labels: the id on two issues -------------------------------


def clone(url: str, issue: dict[str, Any]) -> str:
    """Clone ``issue`` in Jira with its labels (``ps-…`` included), as Jira's clone does."""
    fields = issue["fields"]
    body = {
        "fields": {
            "project": {"key": fields["project"]["key"]},
            "issuetype": {"name": fields["issuetype"]["name"]},
            "summary": f"CLONE - {fields['summary']}",
            "labels": fields["labels"],
            "duedate": fields.get("duedate"),
        }
    }
    request = urllib.request.Request(
        f"{url}/rest/api/2/issue",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Basic amFzb246dA=="},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return str(json.load(answer)["key"])


@pytest.mark.parametrize(
    "cut",
    ["updates", "transitions", "lost-update", "lost-transition"],
)
def test_a_sync_to_an_issue_cloned_with_its_id_cut_short_moves_only_the_items_issue(
    project: Project, cut: str
) -> None:
    """The id is on the item's issue and on a clone (``RemoteRecord.duplicates``): the due date
    and the done-ness reach the item's issue only, the clone is left alone and named in a
    warning, however the sync was cut short, and nothing is created."""
    app = project.app
    assert app is not None
    config = project.config()
    assert plansync.apply(config).ok
    path = project.note("2025-11-03")
    replace_once(path, "📅 2025-11-10 🔼 #task", "📅 2025-11-21 🔼 #task")
    replace_once(path, "- [ ] Write the runbook", "- [x] Write the runbook")
    item = next(i for i in scan(config).notes if i.path == path.name)
    (runbook,) = [i for i in item.items if i.text.startswith("Write the runbook")]
    key = runbook.keys["jira"]
    (issue,) = [i for i in sandbox_issues(project.url) if i["key"] == key]
    twin = clone(project.url, issue)
    before = snapshot(config)
    plan = plansync.plan(config)
    assert [w for w in plan.warnings if twin in w], plan.warnings
    assert {(c.action, c.key) for c in plan.changes} == {("update", key), ("transition", key)}
    if cut.startswith("lost-"):
        route = "/transitions" if cut == "lost-transition" else f"/issue/{key}"
        method = "POST" if cut == "lost-transition" else "PUT"
        app.configure_faults(
            {"fail_next": [{"drop": "after_commit", "method": method, "path_contains": route}]}
        )
        plansync.apply(config)
    else:
        with pytest.raises(Crash):
            plansync.apply(config, checkpoint=crash_at(cut))
    result = plansync.apply(config)
    assert result.ok, result.errors
    issues = {i["key"]: i for i in sandbox_issues(project.url)}
    assert issues[key]["fields"]["duedate"] == "2025-11-21"
    assert issues[key]["fields"]["status"]["statusCategory"]["key"] == "done"
    assert issues[twin]["fields"]["duedate"] == issue["fields"]["duedate"]
    assert issues[twin]["fields"]["status"]["statusCategory"]["key"] == "new"
    twinned = ps_labels(issues[twin])[0]
    assert_synced(config, before, project.url, own_issues=lambda i: i["key"] != twin)
    assert ps_labels(issues[key]) == [twinned]
