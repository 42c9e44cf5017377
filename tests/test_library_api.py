"""The library as a pipeline or a bot uses it: ``import plansync``, plan, apply, read the result.

What is checked here is the contract with such a caller rather than what reaches Jira: which
names the package exports, which exceptions it raises (one base class to catch, messages that
name the file), and what a :class:`plansync.Result` says about each item of the plan.
"""

from __future__ import annotations

import gc
import inspect
import json
import os
import pickle
import re
import subprocess
import sys
import traceback
import typing
from pathlib import Path
from typing import Any

import pydantic
import pytest
import requests
from conftest import ExampleProject, closed_port, replace_once, sandbox_issues

import plansync
import plansync.config_load
import plansync.sync
from plansync.callers import LIBRARY, CommandLine
from plansync.config import Config
from plansync.engine.apply import apply_plan
from plansync.engine.changes import Fingerprint
from plansync.engine.render import ALIKE_SHOWN
from plansync.engine.run_lock import open_state
from plansync.engine.sync_warnings import SYNC_WARNINGS
from plansync.init import configs_within, write_starter
from plansync.notes.vault import Vault

RUN_ERRORS = (
    "ConfigError",
    "ConnectorError",
    "NotAnOrphan",
    "NoteChanged",
    "StalePlan",
    "StateLocked",
    "StateError",
)


@pytest.mark.parametrize("name", RUN_ERRORS)
def test_each_error_of_a_run_is_exported_and_is_a_plansync_error(name: str) -> None:
    error = getattr(plansync, name)
    assert name in plansync.__all__
    assert issubclass(error, plansync.PlansyncError)


def _raised_errors() -> dict[str, plansync.PlansyncError]:
    """One realistic instance of each exception the package exports, with the attributes a
    run gives it (a whole call's failure part way through, a stale plan's remedy)."""
    from plansync.connectors.base import OpResult

    failed = plansync.ConnectorError(
        "Jira refused POST http://bot:TOKEN@127.0.0.1:1/rest/api/2/issue: 503",
        status=503,
        retry_after=2.5,
        throttled=True,
    )
    failed.acted = True
    failed.never_sent = frozenset({2})
    failed.finished = [OpResult(ok=True, key="CLOUD-7", url="http://127.0.0.1:1/CLOUD-7"), None]
    damaged = plansync.StateError(
        ".plansync/state.db: file is not a database (move it away)",
        path=Path(".plansync/state.db"),
    )
    damaged.sqlite_errorcode = 26  # type: ignore[attr-defined]
    return {
        "PlansyncError": plansync.PlansyncError("a plan could not go on"),
        "ConfigError": plansync.ConfigError(
            "plansync.toml: [jira] max_retries: not an integer",
            source=Path("plansync.toml"),
            key="jira.max_retries",
        ),
        "ConnectorError": failed,
        "NotAnOrphan": plansync.NotAnOrphan(
            "CLOUD-7 is not an orphan of the plan", keys=("CLOUD-7",)
        ),
        "NotAPlan": plansync.NotAPlan("notes.json: not a plan plansync saved (no format_version)"),
        "NoteChanged": plansync.NoteChanged(
            "meetings/weekly.md changed while plansync read it", path="meetings/weekly.md"
        ),
        "StalePlan": plansync.StalePlan(
            "meetings/weekly.md changed since the plan was made",
            rerun="plan",
            remedy="make a new plan with plansync.plan(config)",
        ),
        "StateLocked": plansync.StateLocked(
            "another plansync run (pid 12) holds the lock", path=Path(".plansync/lock"), pid=12
        ),
        "StateError": damaged,
    }


EXPORTED_ERRORS = sorted(
    name
    for name in plansync.__all__
    if isinstance(getattr(plansync, name), type)
    and issubclass(getattr(plansync, name), BaseException)
)


@pytest.mark.parametrize("name", EXPORTED_ERRORS)
def test_each_exported_error_comes_back_whole_from_a_pickle(name: str) -> None:
    """A run in a worker process (ProcessPoolExecutor, multiprocessing.Pool) reaches its caller
    pickled: an error that cannot be unpickled broke the pool or hung ``Pool.get``. An error
    exported without an instance here fails, so that one added with keyword-only arguments to
    its ``__init__`` is pickled before a user does."""
    errors = _raised_errors()
    assert name in errors, f"add a realistic {name} to _raised_errors"
    raised = errors[name]
    assert type(raised).__name__ == name
    came_back = pickle.loads(pickle.dumps(raised))
    assert type(came_back) is type(raised)
    assert str(came_back) == str(raised) and came_back.args == raised.args
    assert vars(came_back) == vars(raised)


def test_the_front_door_holds_the_entry_points_alone() -> None:
    """``plansync.sync`` held the rules of the embedded sandbox's choice and the planner's view
    of the backends too, as public names: its own are the library's entry points and the scan
    of a config's vault; those rules live in the modules whose job they are."""
    own = {
        name
        for name, value in vars(plansync.sync).items()
        if inspect.isfunction(value)
        and value.__module__ == "plansync.sync"
        and not name.startswith("_")
    }
    assert own == {"plan", "apply", "forget", "scan"}


def test_finish_sees_the_result_of_a_sync_while_its_run_lock_is_held(
    example_project: ExampleProject,
) -> None:
    """What ``finish`` keeps of a run (as the list of its warnings is kept) was written after
    the lock was released: a sync that started meanwhile and ended first had its list replaced by
    the older run's."""
    config = plansync.load_config(example_project.config_path)
    seen: list[tuple[plansync.Result, BaseException | None]] = []

    def finish(result: plansync.Result) -> None:
        try:
            with open_state(config.state_dir):
                seen.append((result, None))
        except plansync.StateLocked as exc:
            seen.append((result, exc))

    result = plansync.apply(config, finish=finish)

    assert result.ok and len(seen) == 1
    assert seen[0][0] is result and isinstance(seen[0][1], plansync.StateLocked)


def test_every_sync_keeps_the_list_of_its_warnings_the_library_s_too(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command's sync kept the list its report's count of warnings names, and removed an
    earlier one's; a library sync left that list in place, to be taken for the next command
    sync's. It was written too for more warnings than a report lists of one kind, but of
    several kinds, none of them counted: a file no line named."""
    config = plansync.load_config(example_project.config_path)
    listed = config.state_dir / SYNC_WARNINGS
    listed.parent.mkdir(parents=True, exist_ok=True)
    listed.write_text("n0.md:3: an earlier sync's warning\n", "utf-8")

    assert plansync.apply(config).ok
    assert not listed.exists()

    def ran_into(warnings: list[str]) -> Any:
        result = plansync.Result()
        for n, message in enumerate(warnings):
            result.warn(message, f"n{n}.md", 3, f"PLAN-{n + 1}")
        monkeypatch.setattr(plansync.sync, "apply_plan", lambda *_a, **_k: result)
        return result

    kinds = ran_into([f"kind {n}" for n in range(ALIKE_SHOWN + 1)])
    assert plansync.apply(config, plansync.plan(config)) is kinds
    assert not listed.exists()
    alike = ran_into(["was held as done"] * (ALIKE_SHOWN + 1))
    assert plansync.apply(config, plansync.plan(config)) is alike
    assert listed.read_text("utf-8").splitlines() == alike.warnings


def test_a_sync_that_planned_itself_has_the_plans_warnings_as_data_too(
    example_project: ExampleProject,
) -> None:
    """The plan's warnings went first into ``Result.warnings`` only: a caller that attaches
    ``warning_details`` to notes and lines missed a note held back for its front matter, and
    the two lists, which say the same one entry a line, disagreed."""
    (example_project.vault / "held.md").write_text(
        "---\ntitle: [oops\n---\n- [ ] Draft the plan #task\n", "utf-8"
    )
    config = plansync.load_config(example_project.config_path)

    result = plansync.apply(config)

    assert [str(detail) for detail in result.warning_details] == result.warnings
    held = [d for d in result.warning_details if "front matter is not valid YAML" in d.message]
    assert [(d.note, d.line, d.key) for d in held] == [("held.md", 2, None)]


def test_a_caller_catches_every_failure_of_a_run_as_one_plansync_error(
    example_project: ExampleProject,
) -> None:
    project = example_project
    with pytest.raises(plansync.PlansyncError, match="no such config file"):
        plansync.load_config(project.root / "nowhere.toml")
    config = plansync.load_config(project.config_path)
    saved = plansync.plan(config)
    assert plansync.apply(config).ok
    with pytest.raises(plansync.PlansyncError, match="stale"):
        plansync.apply(config, saved)

    with open_state(config.state_dir), pytest.raises(plansync.PlansyncError, match="lock"):
        plansync.apply(config)

    state = project.state_db
    state.write_bytes(b"not a database, " * 100)
    with pytest.raises(plansync.PlansyncError, match=f"{state}: file is not a database"):
        plansync.plan(config)
    state.unlink()

    project.write_config(url=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(plansync.PlansyncError, match="cannot connect to Jira") as down:
        plansync.plan(plansync.load_config(project.config_path))
    assert isinstance(down.value, plansync.ConnectorError) and down.value.kind == "network"

    project.write_config(url="")  # no Jira: the embedded sandbox, kept under .plansync
    sandbox = config.state_dir / "sandbox" / "jira.db"
    sandbox.parent.mkdir(parents=True, exist_ok=True)
    sandbox.write_bytes(b"not a database, " * 100)
    with pytest.raises(plansync.PlansyncError, match=f"{sandbox}: file is not a database"):
        plansync.plan(plansync.load_config(project.config_path))


def test_the_library_writes_nothing_to_stderr_unasked(tmp_path: Path) -> None:
    """Its ``plansync`` logger had no handler, so Python's last-resort one printed its warnings
    (here: waiting for another run's lock) on the stderr of a program that configured no
    logging (a user test). A program that does configure it gets them."""
    code = (  # as plansync.apply(config, wait=...) waits, without loading the engine
        "import logging, sys, plansync\n"
        "from pathlib import Path\n"
        "from plansync.engine.run_lock import run_lock\n"
        "with run_lock(Path(sys.argv[1])):\n"
        "    for configured in (False, True):\n"
        "        if configured:\n"
        "            logging.basicConfig(format='logged: %(message)s')\n"
        "        try:\n"
        "            with run_lock(Path(sys.argv[1]), wait=0.01):\n"
        "                pass\n"
        "        except plansync.StateLocked:\n"
        "            print('locked')\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert ran.stdout == "locked\nlocked\n", ran.stderr
    (logged,) = ran.stderr.splitlines()
    assert logged.startswith("logged: a plansync call of this process (pid ")


def test_a_state_folder_that_cannot_be_made_is_a_plansync_error(
    example_project: ExampleProject,
) -> None:
    """The run lock lives in the state folder: a file in its place (or a read-only vault) is
    one error to catch that names it, not a bare FileExistsError or PermissionError."""
    config = plansync.load_config(example_project.config_path)
    config.state_dir.write_text("not a folder", encoding="utf-8")
    with pytest.raises(plansync.PlansyncError, match=str(config.state_dir)):
        plansync.apply(config)


def test_a_note_deleted_while_it_is_planned_is_note_changed_not_a_traceback(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notes are read twice (parsed by the scan, then read as write-back will see them);
    one that is gone in between is a :class:`plansync.NoteChanged`, like one saved then."""
    config = plansync.load_config(example_project.config_path)
    note = example_project.note("weekly")
    scan = plansync.sync.scan

    def scan_then_delete(config: Config, *args: Any) -> Vault:
        vault = scan(config, *args)
        note.unlink()
        return vault

    monkeypatch.setattr(plansync.sync, "scan", scan_then_delete)
    with pytest.raises(plansync.NoteChanged, match=f"{note.name} could not be read again") as gone:
        plansync.plan(config)
    assert gone.value.path == note.relative_to(config.vault_root).as_posix()  # as Item.note


def test_a_note_saved_while_it_is_planned_is_note_changed(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A note saved between the scan and the plan's second read would pair the scan's line
    numbers with other lines: the digest the scan kept of its bytes tells, and the plan stops."""
    config = plansync.load_config(example_project.config_path)
    note = example_project.note("weekly")
    scan = plansync.sync.scan

    def scan_then_save(config: Config, *args: Any) -> Vault:
        vault = scan(config, *args)
        note.write_bytes(b"- [ ] A line written meanwhile\n" + note.read_bytes())
        return vault

    monkeypatch.setattr(plansync.sync, "scan", scan_then_save)
    with pytest.raises(plansync.NoteChanged, match=f"{note.name} changed while plansync read"):
        plansync.plan(config)


def test_the_result_says_what_became_of_each_change_of_the_plan(
    example_project: ExampleProject,
) -> None:
    """A bot reports per item: ``result.outcomes`` pairs each change of the plan with what
    happened to it, the key it got, and why when it failed or was not attempted."""
    project = example_project
    bad_rule = (
        '[[rules]]\nname = "customer requests"\nproject = "PLAN"\n'
        'priority_map = { high = "Urgent" }\n[rules.match]\ntags_any = ["#rfe"]\n\n'
    )
    replace_once(project.config_path, "[[rules]]", bad_rule + "[[rules]]")
    config = plansync.load_config(project.config_path)
    plan = plansync.plan(config)
    result = plansync.apply(config, plan)
    assert result is not None

    assert [(o.action, o.target, o.item) for o in result.outcomes] == [
        (c.action, c.target, c.item) for c in plan.changes
    ]
    (error,) = result.errors
    refused = error.block_id
    for outcome in result.outcomes:
        if outcome.item.block_id != refused:
            assert outcome.status == "applied", outcome
        elif outcome.action == "create":
            assert (outcome.status, outcome.message) == ("failed", error.message)
        else:
            assert outcome.status == "skipped", outcome
            assert "an earlier step of this item failed" in (outcome.message or "")
    created = {
        o.item.block_id: o.key
        for o in result.outcomes
        if o.action == "create" and o.status == "applied" and o.item.block_id
    }
    assert created == {block_id: keys["jira"] for block_id, keys in result.created.items()}
    notes = plansync.scan_vault(project.vault, policy=config.acceptance).notes
    keys_in_notes = {i.block_id: i.keys.get("jira") for n in notes for i in n.items if i.block_id}
    for outcome in result.outcomes:
        if outcome.action == "write_back" and outcome.status == "applied":
            assert outcome.key == keys_in_notes[outcome.item.block_id]

    replace_once(project.note("weekly"), "- [ ] Write the runbook", "- [?] Write the runbook")
    plan = plansync.plan(config)
    result = plansync.apply(config, plan)
    assert result is not None
    orphans = [o for o in result.outcomes if o.action == "orphan"]
    assert orphans and all(o.status == "skipped" for o in orphans)
    assert orphans[0].message == "an orphan is shown, never acted on"

    note = project.note("weekly")
    note.write_bytes(note.read_bytes() + b"\n- [ ] Book the review room @Myself #task\n")
    plan = plansync.plan(config)
    project.app.configure_faults(
        {"fail_next": [{"status": 401, "path_contains": "remotelink", "count": 10}]}
    )
    result = plansync.apply(config, plan)
    assert result is not None
    (error,) = [e for e in result.errors if e.whole_call]
    assert (error.target, error.action) == ("jira", "link")  # the backend, and its step
    assert (error.note, error.line) == (None, None)  # no note's ("-" and 0 were sentinels)
    assert str(error).startswith("jira link failed: ")
    by_action = {o.action: o for o in result.outcomes if o.item.text == "Book the review room"}
    assert by_action["create"].status == by_action["write_back"].status == "applied"
    link = by_action["link"]  # the request the 401 refused: failed with the call, not behind it
    assert (link.status, link.whole_call, link.maybe_done) == ("failed", True, False)
    assert link.message == "not done: Jira refused the call that carried it (see the errors)"


def test_a_plan_whose_creates_were_taken_out_is_not_ok_though_nothing_failed(
    example_project: ExampleProject,
) -> None:
    """A bot applies only what a person approved: the creates taken out of a plan leave the
    links, write-backs and status moves that follow them skipped. ``ok`` was true, with
    nothing applied and no error; it says whether the plan was carried out."""
    config = plansync.load_config(example_project.config_path)
    plan = plansync.plan(config)
    approved = [change for change in plan.changes if change.action != "create"]
    result = plansync.apply(config, plan.model_copy(update={"changes": approved}))
    assert result is not None and result.errors == []
    assert result.outcomes and {o.status for o in result.outcomes} == {"skipped"}
    assert all(o.create_left_out for o in result.outcomes)
    assert (result.outcomes[0].message or "").startswith(
        "not done: the create it follows is not in the plan (call `plansync.apply(config)` again)"
    )
    assert not result.ok
    assert plansync.apply(config).ok  # its own plan, creates and all


def test_a_plan_saved_before_the_state_store_was_deleted_is_stale(
    example_project: ExampleProject,
) -> None:
    """Even when the new store's revision counter comes round to the plan's: the plan's bases
    and its skipped look-ups were those of a store that is gone."""
    config = plansync.load_config(example_project.config_path)
    assert plansync.apply(config) is not None
    replace_once(example_project.note("weekly"), "📅 2025-11-10", "📅 2025-11-12")
    saved = plansync.plan(config)
    assert saved.fingerprint is not None and saved.summary["update"] == 1
    example_project.state_db.unlink()
    with open_state(config.state_dir) as state:  # a new store, at the same revision by chance
        while state.revision() < saved.fingerprint.state_revision:
            state.finish(0)
    with pytest.raises(plansync.StalePlan) as stale:
        plansync.apply(config, saved)
    assert str(stale.value) == (
        f"the plan is stale: the state store {config.state_dir / 'state.db'} was deleted or"
        " replaced since it was made; make a new plan with `plansync.plan(config)` and apply it"
    )


@pytest.mark.parametrize("call", ["plan", "apply", "forget"])
@pytest.mark.parametrize(
    ("given", "shown"), [("plansync.toml", "str 'plansync.toml'"), (None, "None")]
)
def test_a_run_given_no_config_is_a_type_error_saying_how_to_make_one(
    call: str, given: object, shown: str
) -> None:
    """A path given for the config failed deep inside, as "'str' object has no attribute
    'state_dir'"; a path is still not taken for one: the API stays explicit."""
    with pytest.raises(TypeError) as refused:
        getattr(plansync, call)(given)
    assert str(refused.value) == (
        f"plansync.{call}() takes a Config, not {shown}: make one with plansync.load_config(path)"
    )


def test_a_policy_that_accepts_a_proposed_status_is_refused_in_the_library_too() -> None:
    """The config refused it; a policy made in code was taken, and its [?] items were never
    accepted, with no word (a review). Then refused as pydantic's ValidationError, which no
    ``except plansync.PlansyncError`` caught (a user test): a ConfigError, still a ValueError."""
    with pytest.raises(plansync.ConfigError) as refused:
        plansync.AcceptancePolicy(accepted_statuses=[" ", "?"])
    assert isinstance(refused.value, plansync.PlansyncError)
    assert isinstance(refused.value, ValueError)
    assert str(refused.value) == (
        "invalid AcceptancePolicy: accepted_statuses and proposed_statuses both hold '?': an"
        " item marked [?] is never accepted; take it out of one of them"
    )


def test_settings_built_in_code_name_their_mistakes_by_key_as_a_config_file_does() -> None:
    """Every settings model a caller builds raises the one error, naming the key (a typo with
    its likely meaning, a table's key by its whole path)."""
    with pytest.raises(plansync.ConfigError) as typo:
        plansync.AcceptancePolicy(global_filtr="#task")  # type: ignore[call-arg]
    assert str(typo.value) == (
        "invalid AcceptancePolicy: unknown key 'global_filtr'; did you mean 'global_filter'?"
    )
    with pytest.raises(plansync.ConfigError) as nested:
        plansync.Config(acceptance={"accept_tag": "ok"}, sync={"orphans": "close"})  # type: ignore[arg-type]
    assert str(nested.value).startswith("invalid Config: 'acceptance.accept_tag': 'ok' is not")
    assert "; 'sync.orphans': Input should be 'report' or 'cancel'" in str(nested.value)
    assert plansync.ConfigError is plansync.config.ConfigError


def test_a_settings_mistake_quotes_no_secret_in_its_traceback() -> None:
    """The message was redacted, but pydantic's error, kept as its cause, quoted the value
    given, and a traceback printed the password in a URL (a review)."""
    secret = "hunter2" + "secret"  # not in this source line, which the traceback quotes
    with pytest.raises(plansync.ConfigError) as refused:
        plansync.config.JiraConfig(url=f"ftp://bob:{secret}@jira.example.test")
    shown = "".join(traceback.format_exception(refused.value))
    assert "'url': not an http:// or https:// URL" in shown
    assert secret not in shown


def test_a_settings_mistake_keeps_no_pydantic_error_as_its_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Raised ``from None``, the ConfigError still held pydantic's error as its (suppressed)
    ``__context__``, which quotes the value given (``input_value=``): a token read into a
    misspelt key, for any report that walks an error's chain (an audit)."""
    secret = "tok-" + "very-secret-123"
    monkeypatch.setenv("PLANSYNC_TEST_TOKEN", secret)
    raw = {"jira": {"url": "https://jira.example.com", "tokn": "${PLANSYNC_TEST_TOKEN}"}}
    with pytest.raises(plansync.ConfigError, match=r"unknown key 'jira\.tokn'") as misspelt:
        plansync.config_load.config_from_dict(raw)
    with pytest.raises(plansync.ConfigError, match="'timeout'") as built:
        plansync.config.JiraConfig(timeout=secret)
    config = plansync.config.JiraConfig()
    with pytest.raises(plansync.ConfigError, match="'timeout'") as assigned:
        config.timeout = secret  # type: ignore[assignment]
    for refused in (misspelt, built, assigned):
        assert refused.value.__context__ is None and refused.value.__cause__ is None
        assert secret not in repr(refused.value) + str(refused.value)


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("max_retries", "lots", "'jira.max_retries': Input should be a valid integer"),
        ("deployment", "bogus", "'jira.deployment': Input should be 'auto', 'cloud' or 'dc'"),
        (
            "url",
            "http://me:TOKEN@127.0.0.1:1",
            "'jira.url': a base URL has no user name or password",
        ),
    ],
)
def test_a_setting_assigned_in_code_is_checked_as_the_constructor_checks_it(
    key: str, value: str, said: str
) -> None:
    """Assigned, a value the constructor refuses was kept and used: a retry count of "lots",
    a URL whose password ``repr(config)`` showed (a user test). Refused, it is not kept."""
    config = plansync.Config()
    with pytest.raises(plansync.ConfigError) as refused:
        setattr(config.jira, key, value)
    assert str(refused.value).startswith(f"invalid JiraConfig: {said}")
    shown = "".join(traceback.format_exception(refused.value)) + repr(config)
    assert "TOKEN" not in shown
    assert config.jira == plansync.JiraConfig()
    config.jira.max_retries = "3"  # type: ignore[assignment]  # as a file's text is read
    assert config.jira.max_retries == 3


def test_a_setting_assigned_in_a_nested_table_is_named_by_its_whole_key() -> None:
    """A table's mistake set in code was named by its own key alone ('path', 'url'), where a
    file's or a Config's constructor names it by the whole key ('vault.path'): which 'path'
    was it? Each table knows where it stands in the config, however deep."""
    config = plansync.Config(
        users={"Ana": plansync.UserEntry()},
        rules=[plansync.JiraRule(project="PLAN")],
        salesforce=plansync.SalesforceConfig(
            rules=[plansync.SalesforceRule(name="opps", object="Opportunity")]
        ),
    )
    salesforce = config.salesforce
    assert salesforce is not None
    tables = [
        (config.vault, "path", "~nouser/x", "vault.path"),
        (config.jira, "url", "ftp://x", "jira.url"),
        (config.sync, "batch_size", 500, "sync.batch_size"),
        (config.rules[0].match, "kind", ["neither"], "rules[0].match.kind[0]"),
        (config.users["Ana"], "jira", 5, "users.Ana.jira"),
        (salesforce.rules[0], "fields", 5, "salesforce.rules[0].fields"),
        (config.acceptance, "accepted_statuses", ["done"], "acceptance.accepted_statuses"),
    ]
    for table, name, value, key in tables:
        with pytest.raises(plansync.ConfigError) as refused:
            setattr(table, name, value)
        assert refused.value.key == key and f"'{key}': " in str(refused.value)
        with pytest.raises(plansync.ConfigError) as copied:
            table.model_copy(update={name: value})
        assert copied.value.key == key and f"'{key}': " in str(copied.value)
    # A table put in another place is named by where it stands now.
    config.rules = [plansync.JiraRule(project="A"), config.rules[0]]
    with pytest.raises(plansync.ConfigError) as refused:
        config.rules[1].match.kind = ["neither"]  # type: ignore[list-item]
    assert refused.value.key == "rules[1].match.kind[0]"
    alone = plansync.VaultConfig()
    with pytest.raises(plansync.ConfigError) as refused:
        alone.path = "~nouser/x"
    assert refused.value.key == "path"


def test_an_assignment_a_model_validator_refuses_leaves_the_config_as_it_was() -> None:
    """Pydantic runs a Config's validators (one table read against another) after it sets the
    value, and kept the value they refused."""
    config = plansync.Config(users={"Ana de la Cruz": plansync.UserEntry()})
    with pytest.raises(plansync.ConfigError) as refused:
        config.sync = plansync.SyncConfig(conflicts={"sumary": "note"})
    assert str(refused.value).startswith(
        "invalid Config: unknown key 'sync.conflicts.sumary'; did you mean 'summary'?"
    )
    assert config.sync == plansync.SyncConfig() and config.model_fields_set == {"users"}
    config.users = {"Bo Li": plansync.UserEntry()}  # the validators that fill in run too
    assert config.acceptance.owner_names == ("Bo Li",)


def test_a_model_validator_s_mistake_is_named_once_though_another_filled_a_table() -> None:
    with pytest.raises(plansync.ConfigError) as refused:
        plansync.Config(users={"Ana": {}}, sync={"conflicts": {"sumary": "note"}})  # type: ignore[dict-item]
    assert str(refused.value).count("invalid Config") == 1


SECRET = "sekrit" + "-123"  # not in a source line, which a traceback quotes


@pytest.mark.parametrize(
    ("build", "said"),
    [
        (
            lambda: plansync.Config.model_validate({"jira": {"token": [SECRET]}}),
            "invalid Config: 'jira.token': Input should be a valid string",
        ),
        (
            lambda: plansync.Config.model_validate({"jira": {"url": f"http://j.test?t={SECRET}"}}),
            "invalid Config: 'jira.url': a base URL has no ?query or #fragment: write"
            " 'http://j.test'",
        ),
        (
            lambda: plansync.Config.model_validate_json(f'{{"jira": {{"token": ["{SECRET}"]}}}}'),
            "invalid Config: 'jira.token': Input should be a valid string",
        ),
        (
            lambda: plansync.Config.model_validate_json(f'{{"jira": {SECRET}'),
            "invalid Config: Invalid JSON: expected value at line 1 column 10",
        ),
        (
            lambda: plansync.Config.model_validate_strings({"jira": {"timeout": SECRET}}),
            "invalid Config: 'jira.timeout': Input should be a valid number, unable to parse"
            " string as a number",
        ),
        (
            lambda: plansync.AcceptancePolicy.model_validate({"accept_tag": [SECRET]}),
            "invalid AcceptancePolicy: 'accept_tag': Input should be a valid string",
        ),
        (
            lambda: plansync.SalesforceConfig.model_validate({"password": [SECRET]}),
            "invalid SalesforceConfig: 'password': Input should be a valid string",
        ),
    ],
    ids=["dict", "url", "json", "not-json", "strings", "policy", "table"],
)
def test_settings_validated_from_data_are_a_config_error_quoting_no_value(
    build: typing.Callable[[], object], said: str
) -> None:
    """``model_validate`` raised pydantic's own error, whose text quotes the value given
    (``input_value=['sekrit-123']``), and no ``except plansync.PlansyncError`` caught it (a
    user test); the constructor already raised this."""
    with pytest.raises(plansync.PlansyncError) as refused:
        build()
    assert isinstance(refused.value, plansync.ConfigError)
    assert str(refused.value) == said
    assert SECRET not in "".join(traceback.format_exception(refused.value))


def test_a_config_built_in_code_of_its_exported_tables_is_the_file_s(tmp_path: Path) -> None:
    """The tables are exported, for a config built in code that a type checker reads (the
    README's, checked by mypy in ``caller.py``)."""
    built = plansync.Config(
        vault=plansync.VaultConfig(path=str(tmp_path)),
        jira=plansync.JiraConfig(url="https://jira.example.test/"),
        rules=[plansync.JiraRule(project="PLAN", match=plansync.Match(tags_any=["#ops"]))],
    )
    read = plansync.Config.model_validate(
        {
            "vault": {"path": str(tmp_path)},
            "jira": {"url": "https://jira.example.test/"},
            "rules": [{"project": "PLAN", "match": {"tags_any": ["#ops"]}}],
        }
    )
    assert built.model_dump() == read.model_dump()
    assert built.jira.url == "https://jira.example.test"


def test_a_saved_plan_given_as_a_path_is_a_type_error_saying_how_to_read_it(
    example_project: ExampleProject,
) -> None:
    config = plansync.load_config(example_project.config_path)
    with pytest.raises(TypeError) as refused:
        plansync.apply(config, "plan.json")  # type: ignore[arg-type]
    assert str(refused.value) == (
        "plansync.apply() takes a Plan (or None) as plan, not str 'plan.json': read a saved one"
        " with plansync.Plan.load(path)"
    )
    assert not example_project.issues()


@pytest.mark.parametrize("call", ["parse_note", "scan_vault"])
def test_a_policy_given_as_a_dict_is_a_type_error_saying_how_to_make_one(
    call: str, tmp_path: Path
) -> None:
    """It failed in the parser as "'dict' object has no attribute 'decision_headings'"."""
    note = tmp_path / "a.md"
    note.write_text("- [ ] Draft the plan #task\n", "utf-8")
    with pytest.raises(TypeError) as refused:
        getattr(plansync, call)(note, policy={"global_filter": "#task"})
    assert str(refused.value) == (
        f"plansync.{call}() takes an AcceptancePolicy (or None) as policy, not dict"
        " {'global_filter': '#task'}: make one, e.g."
        ' plansync.AcceptancePolicy(global_filter="#task")'
    )


def test_a_note_given_as_bytes_is_a_type_error_saying_to_decode_it() -> None:
    """It failed as "a bytes-like object is required, not 'str'", the other way round."""
    with pytest.raises(TypeError) as refused:
        plansync.parse_note(b"- [ ] Draft the plan\n")  # type: ignore[arg-type]
    assert str(refused.value) == (
        "plansync.parse_note() takes a path or Markdown text (str or Path), not bytes"
        " b'- [ ] Draft the plan\\n': decode bytes first (parse_note(data.decode()))"
    )


@pytest.mark.parametrize(("given", "shown"), [(None, "None"), (12, "int 12")])
def test_a_note_that_is_neither_text_nor_bytes_is_a_type_error_not_saying_to_decode_it(
    given: object, shown: str
) -> None:
    """None (a look-up that found nothing) was told to "decode bytes first"."""
    with pytest.raises(TypeError) as refused:
        plansync.parse_note(given)  # type: ignore[arg-type]
    assert str(refused.value) == (
        "plansync.parse_note() takes a path or Markdown text (str or Path), not"
        f" {shown}: pass the note's path, or its text"
    )


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (
            b"- [ ] Draft\n",
            "bytes b'- [ ] Draft\\n': decode bytes first (parse_text(data.decode()))",
        ),
        (None, "None: pass the note's text"),
        (
            Path("a.md"),
            f"{type(Path()).__name__} {Path('a.md')!r}: plansync.parse_note(path) reads a file",
        ),
    ],
)
def test_parse_text_refuses_what_is_no_text_as_parse_note_does(given: object, said: str) -> None:
    """Bytes failed in the parser as "startswith first arg must be bytes or a tuple of bytes",
    None as an AttributeError: parse_note's checks were at parse_note only."""
    with pytest.raises(TypeError) as refused:
        plansync.parse_text(given)  # type: ignore[arg-type]
    assert str(refused.value) == f"plansync.parse_text() takes Markdown text (str), not {said}"


@pytest.mark.parametrize("policy", [{"global_filter": "#task"}, {}])
def test_parse_text_refuses_a_policy_given_as_a_dict_even_an_empty_one(policy: object) -> None:
    """An empty dict, falsy, was taken for no policy; a full one failed in the parser."""
    with pytest.raises(TypeError) as refused:
        plansync.parse_text("- [ ] Draft the plan #task\n", policy=policy)  # type: ignore[arg-type]
    assert str(refused.value).startswith(
        "plansync.parse_text() takes an AcceptancePolicy (or None) as policy, not dict"
    )


def test_a_vault_that_is_no_path_is_a_type_error_saying_what_to_pass() -> None:
    """It failed in os.fspath, as "expected str, bytes or os.PathLike object, not int"."""
    with pytest.raises(TypeError) as refused:
        plansync.scan_vault(123)  # type: ignore[arg-type]
    assert str(refused.value) == (
        "plansync.scan_vault() takes a folder (str or Path), not int 123: pass the vault's"
        ' folder, e.g. plansync.scan_vault("Meetings")'
    )


def test_a_path_from_the_home_folder_is_read_as_the_config_reads_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``~`` named a folder of that name in the working one, where the config's ``vault.path``
    reads it as the home folder (a user test). Text that starts otherwise stays text."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path / "..")
    (tmp_path / "Meetings").mkdir()
    (tmp_path / "Meetings" / "a.md").write_text("- [ ] Draft the plan\n", "utf-8")
    (tmp_path / "Meetings" / "plansync.toml").write_text('[[rules]]\nproject = "P"\n', "utf-8")
    for given in ("~/Meetings/a.md", Path("~/Meetings/a.md")):
        note = plansync.parse_note(given)
        assert ([i.text for i in note.items], note.path) == (["Draft the plan"], str(given))
    with pytest.raises(FileNotFoundError, match=r"^~/Meetings/b\.md: no such note"):
        plansync.parse_note("~/Meetings/b.md")
    with pytest.raises(IsADirectoryError, match=r"^~/Meetings: a folder"):
        plansync.parse_note("~/Meetings")
    assert plansync.parse_note("~/Meetings, or not").items == []  # one line of text
    assert plansync.parse_note("~Meetings/a.md~ is struck").items == []  # not ~user's
    for root in ("~/Meetings", Path("~/Meetings")):
        vault = plansync.scan_vault(root)
        assert ([n.path for n in vault.notes], vault.root) == (["a.md"], str(tmp_path / "Meetings"))
    assert [n.path for n in plansync.scan_vault("~").notes] == ["Meetings/a.md"]
    config = plansync.load_config("~/Meetings/plansync.toml")
    assert config.vault_root == tmp_path / "Meetings"


def test_dir_lists_the_public_api_only() -> None:
    """The module's own imports (Any, TYPE_CHECKING, annotations, importlib) read as API; the
    lazily loaded names are listed before they are loaded."""
    assert dir(plansync) == sorted(plansync.__all__)


def test_a_vault_that_is_not_there_raises_as_a_note_that_is_not_does(tmp_path: Path) -> None:
    """A typo in a bot's folder name was an empty vault with one warning: nothing to do."""
    with pytest.raises(
        FileNotFoundError, match=f"^{re.escape(str(tmp_path / 'nodir'))}: no such folder$"
    ):
        plansync.scan_vault(tmp_path / "nodir")
    with pytest.raises(FileNotFoundError, match="no such note"):
        plansync.parse_note(tmp_path / "nodir")
    (tmp_path / "a.md").write_text("- [ ] Draft the plan\n", "utf-8")  # a file: a vault of one
    assert [n.path for n in plansync.scan_vault(tmp_path / "a.md").notes] == ["a.md"]


def test_a_config_made_in_code_keeps_the_folder_it_was_made_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its relative vault and its state store followed the current folder at every call: a
    plan made in one folder and applied from another was stale, and left a stray state store."""
    monkeypatch.chdir(tmp_path)
    config = Config.model_validate({"vault": {"path": "vault"}})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert config.vault_root == (tmp_path / "vault").resolve()
    assert config.state_dir == tmp_path / ".plansync"
    # As a plan made with it names it to a run with another config: by where its store is.
    assert config.described == f"a config made in {tmp_path} (vault {config.vault_root})"
    # Given a folder, it was said to be "made in" it, where it was not (made in elsewhere).
    given = Config.model_validate({"vault": {"path": "vault"}, "folder": tmp_path / "svc"})
    assert given.described == (
        f"a config made in code, folder {tmp_path / 'svc'} (vault {given.vault_root})"
    )


def test_a_folder_from_the_home_of_no_such_user_is_a_config_error_naming_folder() -> None:
    """Expanding "~nouser" raised RuntimeError, out of the config's errors."""
    with pytest.raises(plansync.ConfigError) as raised:
        Config(folder="~no-such-user-of-plansync/x")
    assert raised.value.key == "folder"
    assert "'~no-such-user-of-plansync/x': its ~ names no home folder known here" in str(
        raised.value
    )


def test_a_vault_path_from_the_home_of_no_such_user_is_a_config_error_naming_it(
    tmp_path: Path,
) -> None:
    """Expanding "~nouser" raised RuntimeError at each use of the vault's folder (the plan's
    first), and from plansync init's look at the configs in a folder, out of the config's
    errors."""
    said = "'~no-such-user-of-plansync/notes': its ~ names no home folder known here"
    with pytest.raises(plansync.ConfigError) as raised:
        Config(vault={"path": "~no-such-user-of-plansync/notes"})
    assert raised.value.key == "vault.path"
    assert said in str(raised.value)
    with pytest.raises(plansync.ConfigError) as raised:
        plansync.config.VaultConfig(path="~no-such-user-of-plansync/notes")
    assert raised.value.key == "path"  # the [vault] table alone, as its other keys are named
    nested = tmp_path / "team" / "plansync.toml"
    nested.parent.mkdir()
    nested.write_text('[vault]\npath = "~no-such-user-of-plansync/notes"\n')
    unreadable: list[plansync.ConfigError] = []
    assert configs_within(tmp_path, unreadable) == []
    [refused] = unreadable
    assert (refused.key, refused.source) == ("vault.path", nested)
    assert said in str(refused)


def test_a_starter_config_is_written_by_the_library_as_plansync_init_writes_it(
    tmp_path: Path,
) -> None:
    """``plansync init``'s checks and its starter config are the library's, for a program
    that sets up vaults: a refusal is a ConfigError naming the config that reads the notes
    already, and what was not checked comes back as warnings, with the file written."""
    vault = tmp_path / "team"
    (vault / "broken").mkdir(parents=True)
    (vault / "broken" / "plansync.toml").write_text("[vault\n", "utf-8")

    written = write_starter(vault)

    assert written.path == vault / "plansync.toml"
    assert plansync.load_config(written.path).vault.name == "team"
    assert written.plugin is None
    [warning] = written.warnings
    assert warning.startswith(str(vault / "broken" / "plansync.toml"))
    assert warning.endswith(f"; not checked for reading the notes of {vault}")
    with pytest.raises(plansync.ConfigError, match="exists") as exists:
        write_starter(vault)
    assert exists.value.source == written.path
    (vault / "notes").mkdir()
    with pytest.raises(plansync.ConfigError, match="reads the notes of") as refused:
        write_starter(vault / "notes")
    assert refused.value.source == written.path
    assert write_starter(vault / "notes", force=True).path.is_file()
    with pytest.raises(plansync.ConfigError, match="is no folder"):
        write_starter(tmp_path / "mistyped")


def test_a_config_made_in_code_without_rules_is_refused_as_a_file_s_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It planned "No changes", which reads as in sync, while no item went anywhere."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "vault").mkdir()
    config = Config.model_validate({"vault": {"path": "vault"}})
    with pytest.raises(plansync.ConfigError, match=r"no \[\[rules\]\] and no \[salesforce\]"):
        plansync.plan(config)


def test_a_config_file_loads_in_a_working_folder_that_was_deleted(
    example_project: ExampleProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its folder is its file's: the working folder, gone, is not asked for."""
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    config = plansync.load_config(example_project.config_path)
    assert config.base_dir == example_project.config_path.parent


def test_a_plan_is_made_with_the_cycle_collector_paused_and_leaves_it_on(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its full passes over a large plan's objects freed nothing and took 30% of its time."""
    from plansync.connectors.jira import JiraConnector

    # A first plan's request to the backend: its project read (it looks up no id, as every
    # id is new).
    read = JiraConnector.destination_problem
    collecting: list[bool] = []

    def spy(self: JiraConnector, *args: Any, **kwargs: Any) -> Any:
        collecting.append(gc.isenabled())
        return read(self, *args, **kwargs)

    monkeypatch.setattr(JiraConnector, "destination_problem", spy)
    assert gc.isenabled()
    assert plansync.plan(plansync.load_config(example_project.config_path)).changes
    assert collecting and not any(collecting)
    assert gc.isenabled()


def test_apply_without_confirm_is_typed_to_return_a_result_never_none() -> None:
    """``plansync.apply(config, plan).errors`` (the README's line) must pass a strict type
    checker: only a run given ``confirm`` can end without a result (declined)."""
    without, with_confirm = typing.get_overloads(plansync.sync.apply)
    assert typing.get_type_hints(without)["return"] is plansync.Result
    assert typing.get_type_hints(without)["confirm"] is type(None)
    assert typing.get_type_hints(with_confirm)["return"] == plansync.Result | None


def test_a_saved_plan_looks_its_ids_up_again_before_creating(
    example_project: ExampleProject,
) -> None:
    """Between ``plan`` and ``apply`` a run with another state store (another clone of the
    vault, a teammate's machine) created the issue for an id already in the note: the saved
    plan's create adopts it instead of making a second issue with the same id."""
    project = example_project
    config = plansync.load_config(project.config_path)
    note = project.note("weekly")
    line = b"- [ ] Book the review room @Myself #task ^ps-booked01\n"
    note.write_bytes(note.read_bytes() + b"\n" + line)
    saved = plansync.plan(config)
    assert [c.item.block_id for c in saved.changes if c.action == "create"].count(
        "ps-booked01"
    ) == 1
    key = _create_elsewhere(project, "ps-booked01")

    result = plansync.apply(config, saved)
    _assert_adopted(project, result, key)


def test_an_answered_question_looks_the_ids_up_again_before_creating(
    example_project: ExampleProject,
) -> None:
    """``sync`` without ``--yes`` asks before applying, and the answer may come an hour later:
    a teammate's sync made the issue meanwhile, and the create adopts it."""
    project = example_project
    config = plansync.load_config(project.config_path)
    note = project.note("weekly")
    line = b"- [ ] Book the review room @Myself #task ^ps-booked01\n"
    note.write_bytes(note.read_bytes() + b"\n" + line)
    made: list[str] = []

    def answer_late(plan: plansync.Plan) -> bool:
        assert any(c.item.block_id == "ps-booked01" for c in plan.changes)
        made.append(_create_elsewhere(project, "ps-booked01"))
        return True

    result = plansync.apply(config, confirm=answer_late)
    assert result is not None
    _assert_adopted(project, result, made[0])


def _create_elsewhere(project: ExampleProject, block_id: str) -> str:
    """The key of an issue for ``block_id`` made past plansync (a teammate's sync)."""
    made_elsewhere = requests.post(
        f"{project.url}/rest/api/2/issue",
        json={
            "fields": {
                "project": {"key": "PLAN"},
                "issuetype": {"name": "Task"},
                "summary": "Book the review room",
                "labels": ["plansync", block_id],
            }
        },
        auth=("tomer@example.com", "token"),
        timeout=10,
    )
    assert made_elsewhere.status_code == 201, made_elsewhere.text
    return made_elsewhere.json()["key"]


def _assert_adopted(project: ExampleProject, result: plansync.Result, key: str) -> None:
    """The run made no second issue for ps-booked01: it took ``key`` into the note."""
    note = project.note("weekly")
    assert result.ok, result.errors
    issues = sandbox_issues(project.url)
    assert [i["key"] for i in issues if "ps-booked01" in i["fields"]["labels"]] == [key]
    (create,) = [
        o for o in result.outcomes if o.action == "create" and o.item.block_id == "ps-booked01"
    ]
    assert create.key == key and "not created again" in (create.message or "")
    assert f"[{key}](" in note.read_text(encoding="utf-8")


def test_a_plan_applied_without_its_id_write_backs_creates_nothing_twice(
    example_project: ExampleProject,
) -> None:
    """A bot applies only the changes someone approved and leaves the write-backs out: the
    creates of items whose ids would not reach the notes fail, by line, instead of making
    records that the next sync (new ids) makes a second time."""
    project = example_project
    config = plansync.load_config(project.config_path)
    plan = plansync.plan(config)
    creates = [c for c in plan.changes if c.action == "create"]
    plan.changes = [c for c in plan.changes if c.action != "write_back"]

    result = plansync.apply(config, plan)
    assert result.applied.get("create", 0) == 0
    assert {(e.note, e.line, e.action) for e in result.errors} == {
        (c.item.note, c.item.line, "create") for c in creates
    }
    assert all("is not in the note" in e.message for e in result.errors)
    assert sandbox_issues(project.url) == []

    result = plansync.apply(config)
    assert result.ok, result.errors
    assert len(sandbox_issues(project.url)) == len(creates)
    assert plansync.plan(config).summary["orphan"] == 0


def test_ids_saved_over_by_an_editor_before_the_creates_are_written_again(
    example_project: ExampleProject,
) -> None:
    """Between the ids going into the notes and the creates, an editor saves its own copy of a
    note (from before the sync) over them, one line edited: the ids are written again where the
    lines are as planned; the edited line's item is not created (its id is not on disk), and
    the next sync creates it once."""
    project = example_project
    config = plansync.load_config(project.config_path)
    note = project.note("weekly")
    buffer = note.read_bytes().replace(b"Write the runbook", b"Write the full runbook")
    assert b"Write the full runbook" in buffer

    def editor_saves(step: str) -> None:
        if step == "ids_written":
            note.write_bytes(buffer)

    plan = plansync.plan(config)
    result = plansync.apply(config, plan, checkpoint=editor_saves)
    (failed,) = result.errors
    assert (failed.note, failed.action) == (note.name, "write back")
    actions = [
        i
        for n in plansync.scan_vault(project.vault).notes
        for i in n.items
        if i.accepted and i.kind == "action"  # what the example's rule sends to Jira
    ]
    assert [i.text for i in actions if "jira" not in i.keys] == [
        "Write the full runbook for changing object-lock retention on live buckets"
    ]
    assert len(sandbox_issues(project.url)) == len(actions) - 1

    assert plansync.apply(config).ok
    assert len(sandbox_issues(project.url)) == len(actions)
    assert plansync.plan(config).summary["orphan"] == 0


def test_a_plan_applied_twice_is_stale_because_a_sync_ran_not_because_notes_changed(
    example_project: ExampleProject,
) -> None:
    """Applied again, it was refused naming the notes its own sync had written ids into, as if
    someone had edited them."""
    config = plansync.load_config(example_project.config_path)
    saved = plansync.plan(config)
    assert plansync.apply(config, saved).ok
    with pytest.raises(plansync.StalePlan) as stale:
        plansync.apply(config, saved)
    assert str(stale.value) == (
        "the plan is stale: a sync (or a forget) ran since it was made (this plan's own, if it"
        " was applied already); make a new plan with `plansync.plan(config)` and apply it"
    )


def test_a_plan_applied_with_another_config_names_both(example_project: ExampleProject) -> None:
    """``apply(b, plan(a))``, ``b`` another config of the same vault (a state store of its
    own): it was refused as "the state store .../state.db was deleted or replaced since it was
    made", which sent the caller after a store no one had touched."""
    a = plansync.load_config(example_project.config_path)
    assert plansync.apply(a).ok  # a's store has its id now
    other = example_project.root / "other"
    other.mkdir()
    text = example_project.config_path.read_text("utf-8")
    (other / "plansync.toml").write_text(text.replace('path = "vault"', 'path = "../vault"'))
    b = plansync.load_config(other / "plansync.toml")
    with pytest.raises(plansync.StalePlan) as stale:
        plansync.apply(b, plansync.plan(a))
    vault = example_project.vault.resolve()
    assert str(stale.value) == (
        f"the plan was made for another config: {a.source} (vault {vault}), not {b.source}"
        f" (vault {vault}); make a new plan with `plansync.plan(config)` and apply it"
    )


def test_a_saved_plan_whose_note_cannot_be_read_any_more_leaves_it_for_the_next_sync(
    example_project: ExampleProject,
) -> None:
    """A folder where the note was (a sync client's conflict copy, a restore): its changes
    wait, named, rather than an IsADirectoryError out of the freshness check."""
    config = plansync.load_config(example_project.config_path)
    saved = plansync.plan(config)
    note = example_project.note("weekly")
    note.unlink()
    note.mkdir()
    result = plansync.apply(config, saved)
    assert result.warnings == [
        f"{note.name} was deleted or renamed since the plan was made; its changes are left for"
        " the next sync"
    ]
    assert result.errors == [] and result.applied["create"] > 0


def test_a_stale_plan_of_the_library_says_what_to_call_not_a_command_or_a_file(
    example_project: ExampleProject,
) -> None:
    """A plan made by ``plansync.plan`` and kept in memory, a sync run before it was
    applied: the refusal said "run `plansync plan --out FILE` again", a command and a file
    such a caller never had. ``rerun`` still tells a tool which kind of plan to make anew."""
    config = plansync.load_config(example_project.config_path)
    plan = plansync.plan(config)
    assert plansync.apply(config).ok
    with pytest.raises(plansync.StalePlan) as stale:
        plansync.apply(config, plan)
    assert stale.value.rerun == "plan"
    assert str(stale.value) == (
        "the plan is stale: a sync (or a forget) ran since it was made (this plan's own, if it"
        " was applied already); make a new plan with `plansync.plan(config)` and apply it"
    )

    # A run's own plan is planned again by running again (none such is stale but for a plan
    # that says nothing of what it was made from, as here).
    with open_state(config.state_dir) as state, pytest.raises(plansync.StalePlan) as own:
        apply_plan(config, plansync.Plan(), state, {}, planned_here=True)
    assert own.value.rerun == "sync"
    assert str(own.value).endswith("; call `plansync.apply(config)` again")


def test_the_library_s_messages_name_its_calls_not_the_command_line_s_commands(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library caller was told to run `plansync init DIR` or `plansync plan`, or to give
    --wait SECONDS: commands and options of a command line it never used. Each message says
    the call to make or the argument to pass, and where the library has none (a starter
    config), what is missing."""
    config = plansync.load_config(example_project.config_path)
    said: list[str] = []

    with open_state(config.state_dir), pytest.raises(plansync.StateLocked) as locked:
        plansync.apply(config)
    said.append(str(locked.value))
    assert said[-1].endswith("; wait for it to finish, or give wait=SECONDS")

    with open_state(config.state_dir):
        [running] = [w for w in plansync.plan(config).warnings if "a sync is running" in w]
    said.append(running)
    assert running.endswith("; call `plansync.plan(config)` again when it has finished")

    with pytest.raises(plansync.ConfigError) as nowhere:
        plansync.load_config(start=Path("/"))
    said.append(str(nowhere.value))
    assert said[-1] == "no plansync.toml in / or its parents"

    monkeypatch.chdir(example_project.root)  # a config made in code, of the example's vault
    with pytest.raises(plansync.ConfigError) as no_rules:
        plansync.plan(Config.model_validate({"vault": {"path": "vault"}}))
    said.append(str(no_rules.value))
    assert said[-1] == "config: no [[rules]] and no [salesforce] table, so no item goes anywhere"

    with pytest.raises(plansync.NotAnOrphan) as not_one:
        plansync.forget(config, ["PLAN-999"])
    said.append(str(not_one.value))
    assert said[-1] == (
        "plansync tracks no record PLAN-999 (name a key or a ^id that `plansync.plan(config)`"
        " shows); nothing was forgotten"
    )

    with pytest.raises(plansync.StalePlan) as unsaved:
        plansync.apply(config, plansync.Plan())
    said.append(str(unsaved.value))
    assert said[-1] == (
        "the plan says nothing of the notes and state it was made from, so it cannot be"
        " checked or written back (`Plan.to_contract()` is for reading, a Plan that"
        " `plansync.plan(config)` made (or its `model_dump_json()` read back) for applying);"
        " make a new plan with `plansync.plan(config)` and apply it"
    )
    for message in said:
        assert "`plansync " not in message and "--" not in message, message
        assert "run `plansync." not in message, message  # a call is made, not run


def test_a_caller_s_words_name_each_call_as_it_is_made() -> None:
    """What the messages say to run, in the library's words and in the command line's (with
    the --config given, quoted for the shell), from one vocabulary."""
    library = LIBRARY
    assert library.command("sync") == "plansync.apply(config)"
    assert library.command("forget", "PLAN-3") == "plansync.forget(config, ['PLAN-3'])"
    assert library.command("forget", backend="salesforce") == (
        "plansync.forget(config, backend='salesforce')"
    )
    assert library.do("forget", "PLAN-3") == "call `plansync.forget(config, ['PLAN-3'])`"
    assert (library.option("wait", "SECONDS"), library.option("all")) == (
        "wait=SECONDS",
        "names=None",
    )
    given = CommandLine(Path("my vault/plansync.toml"), Path("plan.json"))
    assert given.command("forget", backend="salesforce") == (
        "plansync forget --config 'my vault/plansync.toml' --backend salesforce"
    )
    assert given.command("forget", "PLAN-3") == (
        "plansync forget --config 'my vault/plansync.toml' PLAN-3"
    )
    assert (given.option("wait", "SECONDS"), given.option("all")) == ("--wait SECONDS", "--all")
    assert given.remedy("plan") == (
        "run `plansync plan --config 'my vault/plansync.toml' --out plan.json` again"
    )
    assert CommandLine().remedy("sync") == "run `plansync sync` again"
    assert CommandLine().do("plan") == "run `plansync plan`"


def apply_with_creates_failing(
    project: ExampleProject, fault: dict[str, Any]
) -> tuple[plansync.Plan, plansync.Result]:
    """A first sync of the example whose bulk create meets ``fault``: a whole call failed."""
    config = plansync.load_config(project.config_path)
    project.app.configure_faults({"fail_next": [{**fault, "path_contains": "issue/bulk"}]})
    plan = plansync.plan(config)
    return plan, plansync.apply(config, plan)


@pytest.mark.parametrize(
    ("fault", "kind", "retry_after", "maybe_done"),
    [
        ({"status": 401}, "auth", None, False),
        ({"status": 500}, "server", None, True),
        ({"status": 429, "retry_after": 120}, "throttled", 120.0, False),
        # Refused before acting, as a 429 (both connectors resend a create so answered): it
        # was "sent; Jira answered 503 — if it was made all the same, …", its journal open.
        ({"status": 503, "retry_after": 120}, "throttled", 120.0, False),
    ],
    ids=["401", "500", "429-long-retry-after", "503-long-retry-after"],
)
def test_a_whole_call_that_failed_says_its_kind_without_its_message_being_read(
    example_project: ExampleProject,
    fault: dict[str, Any],
    kind: str,
    retry_after: float | None,
    maybe_done: bool,
) -> None:
    """A caller tells a rejected token from a down server or a rate limit by the error's
    fields: its message is English, meant for a person. The creates the call carried failed
    with it (a 500 may have made them: ``maybe_done``, and the next sync looks their ids
    up); what came after was not attempted."""
    _, result = apply_with_creates_failing(example_project, fault)
    with open_state(example_project.root / ".plansync") as state:
        assert bool(state.in_flight("jira")) == maybe_done
    (error,) = result.errors
    assert error.whole_call and (error.target, error.action) == ("jira", "create")
    assert (error.kind, error.status, error.retry_after) == (kind, fault["status"], retry_after)
    # Filtered by its backend as an item's error is, and said by a dump as by the model: a
    # tool reading the JSON found no whole_call (a property), and target None ("sync jira").
    assert [e for e in result.errors if e.target == "jira"] == [error]
    dumped = result.model_dump(mode="json")["errors"][0]
    assert {k: dumped[k] for k in ("note", "line", "target", "action", "whole_call")} == {
        "note": None,
        "line": None,
        "target": "jira",
        "action": "create",
        "whole_call": True,
    }
    assert plansync.Result.model_validate_json(result.model_dump_json()) == result
    assert {(o.action, o.status, o.whole_call, o.maybe_done) for o in result.outcomes} == {
        ("create", "failed", True, maybe_done),
        *((action, "skipped", False, False) for action in ("write_back", "link", "transition")),
    }


def test_the_notes_given_ids_before_a_whole_call_failed_are_named_though_nothing_applied(
    example_project: ExampleProject,
) -> None:
    """Ids go into the notes before any record is made: when the creates then fail, no
    outcome is applied, and a tool committing or indexing the notes of applied outcomes
    missed notes that had changed. ``notes_written`` names them; each write-back says its
    line has the id."""
    vault = example_project.vault
    before = {p.relative_to(vault).as_posix(): p.read_bytes() for p in vault.rglob("*.md")}
    plan, result = apply_with_creates_failing(example_project, {"status": 401})
    down = "not sent: Jira failed a whole call in this run (see the errors)"
    refused = "not made: Jira refused the call that carried it (see the errors)"
    for outcome in result.outcomes:
        has_id = f"; the line has its block id ^{outcome.item.block_id} now, not yet the key"
        expected = {"create": refused, "write_back": down + has_id}.get(outcome.action, down)
        assert outcome.message == expected
    changed = {note for note, data in before.items() if (vault / note).read_bytes() != data}
    in_plan_order = dict.fromkeys(c.item.note for c in plan.changes)
    assert changed and result.notes_written == [n for n in in_plan_order if n in changed]
    assert set(result.notes_written) == changed


CALLER = """
import os

import plansync

note: plansync.Note = plansync.parse_note("2025-10-24-sync.md")
owners: list[str | None] = [item.owner for item in note.items]
vault: list[plansync.Note] = plansync.scan_vault("Meetings").notes
config = plansync.load_config("Meetings/plansync.toml")
plan = plansync.plan(config)
result = plansync.apply(config, plan)
failed: list[str] = [f"{error.note}:{error.line} {error.message}" for error in result.errors]
try:
    plansync.apply(config)
except plansync.PlansyncError as exc:
    reason: str = str(exc)
built = plansync.Config(
    vault=plansync.VaultConfig(path="Meetings"),
    jira=plansync.JiraConfig(
        url="https://example.atlassian.net",
        user="me@example.com",
        token=os.environ["JIRA_TOKEN"],
    ),
    rules=[plansync.JiraRule(project="PLAN", match=plansync.Match(tags_any=["#ops"]))],
    folder="/srv/notes-sync",  # its state store: /srv/notes-sync/.plansync
)
policy = plansync.AcceptancePolicy(owner_names=["Ana de la Cruz"])  # a list, as in the README
pasted: plansync.Note = plansync.parse_text("- [ ] Send the deck @Dana\\n", policy=policy)
shown: str = plansync.render_plan(plan, config)
report: plansync.RenderedResult = plansync.render_result(result, config)
said: list[str] = report.lines + report.warnings + report.errors


def heard(step: str, done: int, total: int) -> None: ...


def stopped(stage: str) -> None: ...


listener: plansync.Progress = heard
plansync.apply(config, progress=listener, checkpoint=stopped)
stage: plansync.Checkpoint = stopped
try:
    plansync.plan(config)
except plansync.ConfigError as exc:
    at: tuple[str | None, int | None] = (exc.key, exc.line)
    source: os.PathLike[str] | None = exc.source
except plansync.NoteChanged as exc:
    note_path: str | None = exc.path
except plansync.StateLocked as exc:
    holder: int | None = exc.pid
    lock: os.PathLike[str] | None = exc.path
except plansync.StateError as exc:
    damaged: os.PathLike[str] | None = exc.path
try:
    plansync.forget(config, ["PLAN-1"])
except plansync.NotAnOrphan as exc:
    refused: tuple[str, ...] = exc.keys
"""

# The secret settings given as text, as pydantic takes them, and read as SecretStr.
SECRETS = """
from pydantic import SecretStr

import plansync

jira = plansync.JiraConfig(token="x")
salesforce = plansync.SalesforceConfig(
    consumer_key="k",
    client_id="i",
    client_secret=SecretStr("s"),
    session_id="t",
    password="p",
    security_token="st",
)
jira.token = "y"
held: SecretStr = jira.token
text: str = salesforce.password.get_secret_value()
"""


def test_apply_removes_the_temporary_files_a_killed_sync_left_and_lists_them(
    example_project: ExampleProject,
) -> None:
    """A bot calling apply gets the tidying the command does, and reads it in the result;
    plan, which writes nothing, only names them (for apply)."""
    project = example_project
    note = project.note("weekly")
    leftover = note.with_name(f".{note.name}.k2j3h4g5.plansync-tmp")
    leftover.write_bytes(note.read_bytes())
    os.utime(leftover, (1_700_000_000, 1_700_000_000))
    config = plansync.load_config(project.config_path)
    relative = leftover.relative_to(project.vault).as_posix()
    assert plansync.plan(config).abandoned_temps == [relative]
    assert leftover.exists()
    plan = plansync.plan(config)
    result = plansync.apply(config, plan)
    assert result.ok, result.errors
    assert (result.removed_temps, result.warnings) == ([relative], [])
    assert not leftover.exists()


def test_a_confirm_is_not_asked_of_a_plan_without_changes_and_its_housekeeping_is_done(
    example_project: ExampleProject,
) -> None:
    """A caller's ``confirm`` that said no to an empty plan (nothing to approve) skipped the
    removal of a killed sync's temporary files, at every run; it is asked only of a plan with
    changes, and what a sync with none still does is done. With nothing to do, nothing is
    applied and no request sent."""
    project = example_project
    config = plansync.load_config(project.config_path)
    assert plansync.apply(config).ok
    asked: list[plansync.Plan] = []

    def no_to_anything(plan: plansync.Plan) -> bool:
        asked.append(plan)
        return False

    shown: list[plansync.Plan] = []
    idle = plansync.apply(config, show=shown.append, confirm=no_to_anything)
    assert idle is not None and idle.ok and (idle.applied, idle.requests) == ({}, 0)
    assert len(shown) == 1 and not shown[0].has_changes
    note = project.note("weekly")
    leftover = note.with_name(f".{note.name}.k2j3h4g5.plansync-tmp")
    leftover.write_bytes(note.read_bytes())
    os.utime(leftover, (1_700_000_000, 1_700_000_000))

    result = plansync.apply(config, confirm=no_to_anything)

    assert asked == []
    assert result is not None and result.ok, result
    assert result.removed_temps == [leftover.relative_to(project.vault).as_posix()]
    assert not leftover.exists()


def test_a_confirm_not_asked_of_a_plan_with_nothing_to_do_returns_its_warnings(
    example_project: ExampleProject,
) -> None:
    """A nightly wrapper that passes only ``confirm`` got None on a night with nothing to do
    (no changes, no housekeeping), and lost the plan's warnings (a note's front matter that
    cannot be read), which the same call without ``confirm`` returns. None is a declined
    ``confirm``'s alone: a plan with nothing to do has a result, nothing applied."""
    (example_project.vault / "broken.md").write_text("---\ntitle: [oops\n---\n# Notes\n", "utf-8")
    config = plansync.load_config(example_project.config_path)
    assert plansync.apply(config).ok  # the first sync does all there is
    plan = plansync.plan(config)
    assert not plan.has_changes and not plan.has_housekeeping
    asked: list[plansync.Plan] = []

    def no_to_anything(plan: plansync.Plan) -> bool:
        asked.append(plan)
        return False

    result = plansync.apply(config, confirm=no_to_anything)

    assert asked == []
    assert result is not None and result.ok and (result.applied, result.requests) == ({}, 0)
    broken = [d for d in result.warning_details if d.note == "broken.md"]
    assert [d.message for d in broken] == [
        d.message for d in plan.warning_details if d.note == "broken.md"
    ]
    assert broken and "front matter is not valid YAML" in broken[0].message
    assert result.warnings == plansync.apply(config).warnings


def test_what_a_sync_says_of_a_plan_it_does_not_show_is_exported_and_documented(
    example_project: ExampleProject,
) -> None:
    """``left_for_a_person`` moved into the library so that a cron wrapper of it says what
    ``sync --quiet`` says of the plan it does not show, but was not exported: a wrapper had to
    import it from the engine, whose names are no promise, and the README named it nowhere."""
    assert "left_for_a_person" in plansync.__all__
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    assert "`plansync.left_for_a_person(plan, config)`" in readme
    assert "``left_for_a_person(plan, config)``" in (plansync.__doc__ or "")
    config = plansync.load_config(example_project.config_path)
    assert plansync.apply(config).ok
    note = example_project.note("weekly-cloud-program-sync")
    lines = note.read_bytes().split(b"\n")
    note.write_bytes(b"\n".join(x for x in lines if b"runbook" not in x or b"- [" not in x))
    said: list[str] = []

    def show(plan: plansync.Plan) -> None:
        said.extend(plansync.left_for_a_person(plan, config))

    assert plansync.apply(config, show=show).ok
    assert any("due date is 'TBD'" in line for line in said), said
    assert said[-1].startswith(
        "warning: 1 orphan is left for a person to settle: `plansync.plan(config)` shows it"
    )


def test_the_readme_s_json_shapes_are_the_contracts_and_the_dumps_are_not(
    example_project: ExampleProject,
) -> None:
    """A library user serialised a plan with ``model_dump_json()`` and met apply's data (the
    fingerprint, line changes, statuses in apply's words): the README's library section names
    ``to_contract()``, what the commands print, and says what the dumps hold besides."""
    from click.testing import CliRunner

    from plansync.cli import main

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    library = readme[readme.index("As a library:") :]
    assert "`Plan.to_contract()`, what `plan --json` prints" in library
    assert "`Note.to_contract()`, a note of what `parse --json` prints" in library

    config = plansync.load_config(example_project.config_path)
    plan = plansync.plan(config)
    given = ["--config", str(example_project.config_path)]
    printed = json.loads(CliRunner().invoke(main, ["plan", "--json", *given]).stdout)
    assert set(plan.to_contract()) == set(printed)
    dumped = json.loads(plan.model_dump_json())
    internal = {"fingerprint", "refresh", "dead_creates", "abandoned_temps", "notes_read"}
    assert internal <= set(dumped) and not internal & set(printed)
    change = {"line_change", "base", "url", "global_id"}
    assert change <= set(dumped["changes"][0]) and not change & set(printed["changes"][0])

    note = plansync.parse_note(example_project.note("weekly"))
    parsed = json.loads(CliRunner().invoke(main, ["parse", str(note.path), "--json"]).stdout)
    assert set(note.to_contract()) == set(parsed["notes"][0])
    assert "front_matter" in json.loads(note.model_dump_json()) and "front_matter" not in parsed


# Names a caller gets wrong, each on its own line: a type checker must say so, as Python would.
MISSPELT = """
import plansync

config = plansync.load_config("plansync.toml")
plansync.plna(config)
try:
    plansync.apply(config)
except plansync.StalePlna:
    pass
x: int = plansync.Confg
"""


@pytest.fixture(scope="module")
def mypy_said(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """One mypy run (a few seconds) over the package and the callers below, its errors by the
    file they are in: ``caller.py`` (the README's library use), ``names.py`` (every name of
    ``plansync.__all__``), ``secret_settings.py`` and ``misspelt.py``."""
    folder = tmp_path_factory.mktemp("mypy")
    every_name = "import plansync\n" + "".join(f"plansync.{n}\n" for n in plansync.__all__)
    callers = {
        "caller.py": CALLER,
        "names.py": every_name,
        "secret_settings.py": SECRETS,
        "misspelt.py": MISSPELT,
    }
    for name, text in callers.items():
        (folder / name).write_text(text, encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(folder / "cache"), "plansync"]
        + [str(folder / name) for name in callers],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode in (0, 1), checked.stdout + checked.stderr  # 2: mypy failed
    said: dict[str, list[str]] = {name: [] for name in callers}
    for line in checked.stdout.splitlines():
        path, _, error = line.partition(":")
        if ": error: " in error:
            said.setdefault(path.removeprefix(f"{folder}/"), []).append(error)
    return said


def test_the_package_and_the_readme_s_library_use_type_check(
    mypy_said: dict[str, list[str]],
) -> None:
    """The package ships ``py.typed``, so a caller's type checker reads its hints: a wrong one
    would fail the caller's build, not ours. mypy checks the package (its strict settings in
    pyproject.toml) and the README's library use, whose ``result.errors`` must not read as an
    Optional's."""
    errors = {path: said for path, said in mypy_said.items() if said and path != "misspelt.py"}
    assert errors == {}


def test_a_type_checker_refuses_a_misspelt_name_of_the_package(
    mypy_said: dict[str, list[str]],
) -> None:
    """The lazy loader, a module ``__getattr__``, made every name Any to mypy: ``plansync.plna``
    passed ``--strict`` and failed at run time (a user test). Every public name is still known
    to it, though none is imported until used."""
    assert mypy_said["names.py"] == []
    assert mypy_said["misspelt.py"] == [
        '5: error: Module has no attribute "plna"  [attr-defined]',
        '8: error: Module has no attribute "StalePlna"; maybe "StalePlan"?  [attr-defined]',
        '10: error: Module has no attribute "Confg"; maybe "Config"?  [attr-defined]',
    ]


def test_secret_settings_take_text_for_a_type_checker_and_hold_a_secret(
    mypy_said: dict[str, list[str]],
) -> None:
    """``JiraConfig(token="x")`` works, and was a ``mypy --strict`` error for a library caller
    (the field typed ``SecretStr``); it still holds a ``SecretStr``, given or assigned."""
    assert mypy_said["secret_settings.py"] == []
    jira = plansync.JiraConfig(token="sekrit-123\n")
    assert isinstance(jira.token, pydantic.SecretStr)
    assert jira.token.get_secret_value() == "sekrit-123"
    jira.token = "sekrit-456"
    assert isinstance(jira.token, pydantic.SecretStr)
    salesforce = plansync.SalesforceConfig(password="p", client_secret="s")
    assert isinstance(salesforce.password, pydantic.SecretStr)
    assert isinstance(salesforce.client_secret, pydantic.SecretStr)
    assert "sekrit" not in repr(jira) + repr(salesforce)


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        (
            {"accepted_statuses": ["xx"]},
            "'accepted_statuses': 'xx' is not a checkbox status: one character, as in [x]",
        ),
        ({"accept_tag": "ok"}, "'accept_tag': 'ok' is not a tag: write it as in the notes"),
        ({"global_filter": "#task\n"}, "'global_filter': a global filter is looked for within"),
        ({"global_filter": "#task", "accept_tag": "#task"}, "accept_tag '#task' is the global"),
        ({"owner_names": "Ana de la Cruz"}, "a list of names, as ['Ana de la Cruz'], not one"),
    ],
    ids=["status", "tag", "filter", "filter-tag", "names"],
)
def test_a_policy_built_in_code_refuses_what_the_configs_acceptance_refuses(
    settings: dict[str, Any], said: str
) -> None:
    """A policy with a status no checkbox can hold was built, and left every item unaccepted,
    silently, where the config's [acceptance] refused it (a user test)."""
    with pytest.raises(plansync.ConfigError) as refused:
        plansync.AcceptancePolicy(**settings)
    assert said in str(refused.value)


def test_render_plan_is_the_command_s_view_in_the_library_s_words(
    example_project: ExampleProject,
) -> None:
    """The plan as a person reads it was the command line's alone (a user test): a program
    showing a plan before ``apply`` rebuilt it from the changes."""
    from click.testing import CliRunner

    import plansync.engine.render
    from plansync.cli import main

    config = plansync.load_config(example_project.config_path)
    plan = plansync.plan(config)
    shown = plansync.render_plan(plan, config)
    assert plansync.render_plan is plansync.engine.render.render_plan  # the CLI's, one code
    said = CliRunner().invoke(main, ["plan", "--config", str(example_project.config_path)])
    assert said.exit_code == 0, said.output
    assert shown.splitlines()[-1] == said.stdout.splitlines()[-1]  # the summary
    assert [line for line in shown.splitlines() if line.startswith("+ ")] == [
        line for line in said.stdout.splitlines() if line.startswith("+ ")
    ]


def test_render_result_is_the_sync_command_s_view_in_the_library_s_words(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sync's report was the command line's alone, while the plan's was exported: a
    program showing what a sync did rebuilt it from the outcomes."""
    from click.testing import CliRunner

    import plansync.engine.render
    from plansync.cli import main

    assert plansync.render_result is plansync.engine.render.render_result  # the CLI's, one code
    assert plansync.RenderedResult is plansync.engine.render.RenderedResult
    made: list[plansync.RenderedResult] = []

    def kept(*args: Any, **kwargs: Any) -> plansync.RenderedResult:
        made.append(plansync.render_result(*args, **kwargs))
        return made[-1]

    with monkeypatch.context() as patched:
        patched.setattr(plansync.engine.render, "render_result", kept)
        said = CliRunner().invoke(
            main, ["sync", "--yes", "--config", str(example_project.config_path)]
        )
    assert said.exit_code == 0, said.output
    [shown] = made  # what the command printed is what render_result said
    assert shown.lines and said.stdout.splitlines()[-len(shown.lines) :] == shown.lines
    line = "- [ ] Fix the key-rotation step of the upgrade from 5.1.3 @Marco Bellini"
    replace_once(example_project.note("release"), line, f"- [ ] Send the FAQ #task\n{line}")
    config = plansync.load_config(example_project.config_path)
    result = plansync.apply(config)
    report = plansync.render_result(result, config)
    assert isinstance(report, plansync.RenderedResult) and report.failure is None
    assert result.applied["create"] == 1 and report.lines[0].startswith("Applied: 1 create, ")


def test_parse_text_reads_a_line_that_names_a_file_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``parse_note("TODO")`` reads the file ./TODO where there is one: a program passing
    pasted text had no call that reads text only (a user test)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "TODO").write_text("- [ ] From the file @Dana\n", encoding="utf-8")
    assert [item.text for item in plansync.parse_note("TODO").items] == ["From the file"]
    assert plansync.parse_text("TODO").items == []
    policy = plansync.AcceptancePolicy(owner_names=["Ana de la Cruz"])
    [item] = plansync.parse_text("- [ ] Plan @Ana de la Cruz", policy=policy).items
    assert item.owner == "Ana de la Cruz" and policy.owner_names == ("Ana de la Cruz",)


def test_the_policy_s_typed_constructor_takes_every_field_of_the_model() -> None:
    """``AcceptancePolicy``'s constructor, as type checkers read it, is written out (for
    ``owner_names`` to take a list): a field added to the model and not there would be refused
    by a caller's type checker, one left there after its field went would pass it."""
    import ast

    import plansync.notes.model

    tree = ast.parse(inspect.getsource(plansync.notes.model))
    [policy] = [
        n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "AcceptancePolicy"
    ]
    [typed] = [
        node
        for branch in policy.body
        if isinstance(branch, ast.If)
        for node in branch.body
        if isinstance(node, ast.FunctionDef) and node.name == "__init__"
    ]
    taken = [arg.arg for arg in typed.args.kwonlyargs]
    assert taken == list(plansync.AcceptancePolicy.model_fields)


def test_load_config_takes_no_caller_whose_type_the_package_does_not_export() -> None:
    """``load_config(caller=...)`` took a :class:`~plansync.callers.Caller`, which
    ``plansync.__all__`` does not name: a public parameter no caller could type. The command
    line's words are its own, through :func:`plansync.config_load.read_config`."""
    assert list(inspect.signature(plansync.load_config).parameters) == ["path", "start", "environ"]


def test_a_plan_saved_by_the_library_is_loaded_back_as_it_was(tmp_path: Path) -> None:
    """A caller who saves a plan to apply later has `Plan.save` and `Plan.load`, with the
    checks `plan --out` and `sync PLAN_FILE` make, not `model_dump_json` and checks of its own."""
    made_from = Fingerprint(notes={}, state_revision=0)  # as every plan the planner makes
    plan = plansync.Plan(warnings=["a warning"], notes_read=2, fingerprint=made_from)
    saved = tmp_path / "plan.json"
    plan.save(saved)
    assert plansync.Plan.load(saved) == plan
    plan.model_copy(update={"notes_read": 3}).save(str(saved))  # a saved plan is replaced
    assert plansync.Plan.load(str(saved)).notes_read == 3
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_a_plan_that_load_would_refuse_is_not_saved(tmp_path: Path) -> None:
    """A plan built by hand, or read from its review JSON, has no fingerprint: ``save`` wrote
    it and ``load`` refused it, far from the code that made it. Refused before any file is
    touched, in the caller's words."""
    config = plansync.Config.model_validate({"vault": {"path": str(tmp_path)}})
    saved = tmp_path / "plan.json"
    for plan in (plansync.Plan(), plansync.Plan.model_validate({"changes": []})):
        with pytest.raises(plansync.NotAPlan) as refused:
            plan.save(saved, config)
        assert not saved.exists()
        assert str(refused.value) == (
            f"{saved}: not saved, as the plan has no fingerprint (the notes and state it was"
            " made from: a plan built by hand or read from `plan --json` has none), which"
            " Plan.load refuses; save one plansync made,"
            f" `plansync.plan(config).save({str(saved)!r})`"
        )
    made = plansync.Plan(fingerprint=Fingerprint(notes={}, state_revision=0))
    made.save(saved)
    assert plansync.Plan.load(saved) == made  # what save writes, load reads


def test_a_file_that_is_no_saved_plan_is_refused_in_the_library_s_words(tmp_path: Path) -> None:
    config = plansync.Config.model_validate({"vault": {"path": str(tmp_path)}})
    other = tmp_path / "x.json"
    other.write_text('{"x": 1}\n', encoding="utf-8")
    with pytest.raises(plansync.NotAPlan) as refused:
        plansync.Plan(fingerprint=Fingerprint(notes={}, state_revision=0)).save(other)
    assert str(refused.value) == (
        f"{other} exists and is not a plan saved by plansync; not overwritten (remove it, or save"
        " it to another path)"
    )
    assert other.read_text("utf-8") == '{"x": 1}\n'
    with pytest.raises(plansync.NotAPlan) as refused:
        plansync.Plan.load(other, config)
    assert str(refused.value) == (
        f"{other} is not a plansync plan; save one with"
        f" `plansync.plan(config).save({str(other)!r})`"
    )
    other.write_text('{"changes": "nope"}', encoding="utf-8")
    with pytest.raises(plansync.NotAPlan) as refused:
        plansync.Plan.load(other)
    assert str(refused.value) == (
        f"{other} is not a plan saved by plansync: changes: Input should be a valid array"
    )
    assert isinstance(refused.value, plansync.PlansyncError) and isinstance(
        refused.value, ValueError
    )


def test_each_warning_of_a_plan_is_also_data_naming_its_note_and_line(
    example_project: ExampleProject, tmp_path: Path
) -> None:
    """A script or a caller attaching a plan's warnings to notes and lines parsed their text
    (``note.md:33: ...``), where a note's own warnings are objects (a user test). Each line of
    ``warnings`` and ``notices`` is the ``str()`` of its entry of ``warning_details`` and
    ``notice_details``, in order, whatever made it: a note read (a date that is no date, a
    symlink to nothing, text read repaired, a notice), the plan (an owner that maps to no
    user, a copied id), or the run (a sync running, about no note)."""
    vault = example_project.vault
    replace_once(
        example_project.config_path, "[users]\n", '[users]\n"Zed" = { email = "zed@example.com" }\n'
    )
    (vault / "hallway.md").write_text(
        "- [ ] Send the notes @Zed\n- [ ] Book the room ^twin1\n- [ ] Book it again ^twin1\n",
        "utf-8",
    )
    (vault / "gone.md").symlink_to(vault / "nowhere.md")
    config = plansync.load_config(example_project.config_path)
    with open_state(config.state_dir):  # a sync running
        plan = plansync.plan(config)

    assert plan.warnings == [str(detail) for detail in plan.warning_details]
    assert plan.notices == [str(detail) for detail in plan.notice_details]
    [repaired] = plan.notice_details  # the example's note of text damaged, read repaired
    assert (repaired.note, repaired.line) == ("2025-11-10-one-on-one-priya-raman.md", 28)
    found = {(d.note, d.line, d.message.split(" ")[0]) for d in plan.warning_details}
    assert {
        ("2025-11-04-contoso-replication-escalation.md", 33, "due"),  # due date is 'TBD'
        ("gone.md", None, "symlink"),
        ("2025-11-10-one-on-one-priya-raman.md", 28, "repaired"),
        ("hallway.md", 1, "owner"),
        ("hallway.md", 3, "a"),  # a copy of the line with ^twin1; it becomes a new item
        (None, None, "a"),  # a sync is running
    } <= found, plan.warnings

    plan.save(tmp_path / "plan.json")
    assert plansync.Plan.load(tmp_path / "plan.json").warning_details == plan.warning_details
    saved_before = plan.model_dump(mode="json", exclude={"warning_details", "notice_details"})
    (tmp_path / "old.json").write_text(json.dumps(saved_before), "utf-8")
    old = plansync.Plan.load(tmp_path / "old.json")
    assert old.warnings == [str(detail) for detail in old.warning_details] == plan.warnings
    assert old.notice_details == [plansync.PlanWarning(message=str(repaired))]


def test_every_checkpoint_apply_passes_is_named_where_a_caller_reads_of_them() -> None:
    """A caller's ``checkpoint`` hook hears each stage; an undocumented one (a stage added
    inside the state store's transaction, say) would reach it unexplained, and one listed out
    of order would mislead it."""
    from sync_marks import CHECKPOINTS

    import plansync.engine.apply

    source = Path(inspect.getfile(plansync.engine.apply)).read_text("utf-8")
    documented = source[source.index("Checkpoint = ") :].split('"""')[1]
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    for stage in CHECKPOINTS:
        assert f'``"{stage}"``' in documented, stage
        assert f'`"{stage}"`' in readme, stage
    # In the order a sync reaches them: a hook that counts on keys_stored before created
    # would be misled.
    listed = readme[readme.index("`plansync.Checkpoint`") :]
    for text, mark in ((documented, '``"{}"``'), (listed, '`"{}"`')):
        at = [text.index(mark.format(stage)) for stage in CHECKPOINTS]
        assert at == sorted(at), text


def _models_held(annotation: Any) -> set[type[pydantic.BaseModel]]:
    """The package's models a field's annotation holds, at any depth (``list[X] | None``)."""
    held = {m for arg in typing.get_args(annotation) for m in _models_held(arg)}
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        held.add(annotation)
    return {m for m in held if m.__module__.startswith("plansync.")}


def test_every_model_a_public_model_holds_is_exported(example_project: ExampleProject) -> None:
    """``Result.warning_details`` holds ``SyncWarning``s, which ``plansync`` did not export: a
    caller who typed a function over one imported it from the engine, whose names are no
    promise. Every model reachable through the fields of an exported model is exported, but
    apply's own data, which the plan's contract (``to_contract()``, ``plan --json``) leaves
    out and the README calls no contract."""
    plan = plansync.plan(plansync.load_config(example_project.config_path))
    contract = plan.to_contract()
    internal = {
        (plansync.Plan, name) for name in plansync.Plan.model_fields if name not in contract
    } | {
        (plansync.Change, name)
        for name in plansync.Change.model_fields
        if name not in contract["changes"][0]
    }
    exported = [getattr(plansync, name) for name in plansync.__all__]
    todo = [m for m in exported if isinstance(m, type) and issubclass(m, pydantic.BaseModel)]
    seen: set[type[pydantic.BaseModel]] = set()
    missing: set[str] = set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            if (model, name) in internal:
                continue
            for held in _models_held(field.annotation):
                if getattr(plansync, held.__name__, None) is not held:
                    missing.add(f"{model.__name__}.{name}: {held.__name__}")
                todo.append(held)
    assert not missing
    assert "`plansync.SyncWarning`" in (Path(__file__).parent.parent / "README.md").read_text(
        "utf-8"
    )
