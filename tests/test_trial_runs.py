"""A vault tried on the embedded sandbox, then synced with a real Jira (plan.py, "Trial runs").

The starter config calls the sandbox the safe way to try plansync, and a trial writes block ids
and sandbox key links into the notes and records into ``.plansync/state.db``. When ``JIRA_URL``
is set afterwards, every accepted item must get an issue of its own in that Jira, exactly once,
with the trial's links replaced; and a later run that lost ``JIRA_URL`` must say so rather than
plan against the sandbox.

The "real" Jira is the sandbox app answering for ``https://jira.example.test`` through
``responses`` (a host that is not this machine, which no test may reach over the network); the
trial runs on the embedded sandbox over loopback HTTP, as a user's would.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import requests
import responses
from click.testing import CliRunner, Result
from conftest import (
    CONFIG_ENV,
    EXAMPLES,
    SALESFORCE_TABLE,
    ps_labels,
    sandbox_issues,
    session_connector,
)
from sync_marks import CHECKPOINTS, Crash, crash_at

import plansync
from plansync.cli import main
from plansync.config import ConfigError
from plansync.config_load import load_config
from plansync.engine.run_lock import open_state
from plansync.notes.vault import scan_vault
from plansync.sandbox.jira_app import JiraSandbox
from plansync.sandbox.salesforce_app import SalesforceSandbox
from plansync.sandbox.tls import LoopbackCertificate
from plansync.sites import EMBEDDED, on_this_machine, record_site, site_of

REAL = "https://jira.example.test"
REAL_ORG = "https://acme.my.salesforce.test"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
SANDBOX_LINK = re.compile(r"\]\(http://(?:127\.0\.0\.1|localhost)[:/]")


@pytest.mark.parametrize(
    ("url", "here"),
    [
        ("http://127.0.0.1:8990/browse/PLAN-1", True),
        ("http://127.3.2.1/browse/PLAN-1", True),
        ("http://localhost:8990/browse/PLAN-1", True),
        ("http://jira.localhost/browse/PLAN-1", True),
        ("http://[::1]:8990/browse/PLAN-1", True),
        ("https://127.0.0.1:8991/lightning/r/RFE__c/a01000000000001AAA/view", True),
        ("https://jira.example.test/browse/PLAN-1", False),
        ("https://10.0.0.7/browse/PLAN-1", False),
        ("https://localhost.example.com/browse/PLAN-1", False),
        ("http://localhost.:8990/browse/PLAN-1", True),
        ("http://[::ffff:127.0.0.1]:8990/browse/PLAN-1", True),
        ("http://0.0.0.0:8990/browse/PLAN-1", True),
        ("http://[::1/browse/PLAN-1", False),
        ("/browse/PLAN-1", False),
        ("", False),
        ("http://localhost?next=/browse/PLAN-1", True),
        ("https://jira.example.test#127.0.0.1/x", False),
        ("http://me:secret@127.0.0.1:8990/browse/PLAN-1", True),
        ("HTTP://LOCALHOST:8990/browse/PLAN-1", True),
    ],
)
def test_on_this_machine(url: str, here: bool) -> None:
    assert on_this_machine(url) is here


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://jason:s3cr3t@Jira.Example.test/browse/PLAN-1", "jira.example.test:443"),
        ("http://jira.example.test:8080/", "jira.example.test:8080"),
        ("http://jira.example.test", "jira.example.test:80"),
        ("http://127.0.0.1:41234/browse/PLAN-1", "127.0.0.1:41234"),
        ("http://localhost:8994/browse/PLAN-1", "127.0.0.1:8994"),
        ("http://[::1]:8994/browse/PLAN-1", "127.0.0.1:8994"),
        ("http://127.0.0.1:8990/browse/PLAN-1", "127.0.0.1:8990"),
        ("", ""),
        ("http://[::1", ""),
    ],
)
def test_site_of(url: str, site: str) -> None:
    assert site_of(url) == site


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("http://127.0.0.1:8990/browse/PLAN-1", EMBEDDED),
        ("https://127.0.0.1:8991/lightning/r/RFE__c/a01000000000001AAA/view", EMBEDDED),
        ("http://localhost:8990/browse/PLAN-1", EMBEDDED),
        ("https://127.0.0.1:8990/x", "127.0.0.1:8990"),
        ("http://127.0.0.1:8994/browse/PLAN-1", "127.0.0.1:8994"),
        ("https://jira.example.test:8990/browse/PLAN-1", "jira.example.test:8990"),
    ],
)
def test_a_record_known_by_its_url_alone_is_the_embedded_sandboxs_at_its_link_ports(
    url: str, site: str
) -> None:
    assert record_site(url) == site


@contextmanager
def answering_for(apps: dict[str, WSGIApp]) -> Iterator[None]:
    """Each app answers every request to its base URL; loopback requests go through unchanged."""

    def call(app: WSGIApp, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(request.url or "")
        body = request.body or b""
        payload = body.encode() if isinstance(body, str) else body
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "PATH_INFO": unquote(url.path),
            "QUERY_STRING": url.query,
            "CONTENT_LENGTH": str(len(payload)),
            "wsgi.input": io.BytesIO(payload),
            "wsgi.url_scheme": url.scheme,
            "SERVER_NAME": url.hostname,
            "SERVER_PORT": "443",
        }
        for name, value in request.headers.items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        environ["HTTP_HOST"] = url.netloc
        started: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            started["status"] = int(status.split()[0])
            started["headers"] = {k: v for k, v in headers if k.lower() != "content-length"}

        answer = b"".join(app(environ, start_response))
        return started["status"], started["headers"], answer

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for base, app in apps.items():
            for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                mock.add_callback(
                    method,
                    re.compile(re.escape(base) + r"(/.*)?"),
                    callback=functools.partial(call, app),
                )
        mock.add_passthru(re.compile(r"https?://(127\.0\.0\.1|localhost)[:/]"))
        yield


@pytest.fixture
def real_jira() -> Iterator[JiraSandbox]:
    app = JiraSandbox(":memory:", mode="cloud", project_key="CLOUD")
    with answering_for({REAL: app}):
        yield app
    app.close()


def try_on_sandbox(root: Path, monkeypatch: pytest.MonkeyPatch, *, salesforce: bool) -> Path:
    """The example vault after a first sync on the embedded sandboxes: its config."""
    for name in (*CONFIG_ENV, "SF_INSTANCE_URL"):
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(EXAMPLES / "vault", root / "vault")
    config = root / "plansync.toml"
    text = (EXAMPLES / "plansync.toml").read_text(encoding="utf-8")
    config.write_text(text if salesforce else SALESFORCE_TABLE.sub("", text), encoding="utf-8")
    run(config, "sync", "--yes")
    assert len(trial_lines(root / "vault")) == len(accepted(config))
    return config


@pytest.fixture
def tried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example vault (Jira only) after a first sync on the embedded sandbox: its config."""
    return try_on_sandbox(tmp_path, monkeypatch, salesforce=False)


def run(config: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, [args[0], "--config", str(config), *args[1:]])
    assert result.exit_code == code, result.output
    return result


def go_real(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_URL", REAL)
    monkeypatch.setenv("JIRA_USER", "jason@example.com")
    monkeypatch.setenv("JIRA_API_TOKEN", "sandbox-token")
    monkeypatch.setenv("JIRA_PROJECT", "CLOUD")


def accepted(config: Path) -> dict[str, str]:
    """Each accepted action's block id -> the Jira key its line names (the example's rules send
    every accepted action to Jira, and each has an id after a sync)."""
    loaded = load_config(config)
    notes = scan_vault(loaded.vault_root, policy=loaded.acceptance).notes
    items = [i for n in notes for i in n.items if i.accepted and i.kind == "action"]
    assert all(i.block_id for i in items)
    return {i.block_id or "": i.keys.get("jira", "") for i in items}


def salesforce_keys(config: Path) -> dict[str, str]:
    """Each item's block id -> the Salesforce record its line names, for items that name one."""
    loaded = load_config(config)
    notes = scan_vault(loaded.vault_root, policy=loaded.acceptance).notes
    return {
        i.block_id or "": i.keys["salesforce"]
        for n in notes
        for i in n.items
        if "salesforce" in i.keys
    }


def trial_lines(vault: Path) -> list[str]:
    return [
        line
        for note in vault.rglob("*.md")
        for line in note.read_text(encoding="utf-8").splitlines()
        if SANDBOX_LINK.search(line)
    ]


def assert_synced_with(app: JiraSandbox, config: Path) -> None:
    """Exactly one issue per accepted item in the real Jira, named by its note line, and no
    sandbox link left in any note."""
    dump = requests.get(f"{REAL}/_sandbox/issues", timeout=10).json()["issues"]
    labels = Counter(label for issue in dump for label in issue["fields"]["labels"])
    want = accepted(config)
    assert {label: labels[label] for label in want} == dict.fromkeys(want, 1)
    key_of = {
        label: issue["key"]
        for issue in dump
        for label in issue["fields"]["labels"]
        if label.startswith("ps-")
    }
    assert want == {block_id: key_of[block_id] for block_id in want}
    assert trial_lines(config.parent / "vault") == []


def test_a_vault_tried_on_the_sandbox_syncs_to_a_real_jira_as_new_items(
    tried: Path, real_jira: JiraSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    trial_keys = accepted(tried)
    go_real(monkeypatch)

    shown = json.loads(run(tried, "plan", "--json").stdout)
    summary = shown["summary"]
    assert summary["conflict"] == 0 and summary["orphan"] == 0
    assert summary["create"] == len(trial_keys)
    replaced = {
        c["item"]["block_id"]: c["fields"]["jira"]
        for c in shown["changes"]
        if c["action"] == "write_back"
    }
    assert replaced == {
        block_id: {"old": key, "new": "(known after create)"}
        for block_id, key in trial_keys.items()
    }
    assert any("sandbox on this machine" in w for w in shown["warnings"])

    run(tried, "sync", "--yes")
    assert_synced_with(real_jira, tried)
    assert run(tried, "plan", "--detailed-exitcode").exit_code == 0


def test_a_sandbox_run_over_records_of_a_real_jira_is_refused(
    tried: Path, real_jira: JiraSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    go_real(monkeypatch)
    run(tried, "sync", "--yes")
    notes = {p: p.read_bytes() for p in (tried.parent / "vault").rglob("*.md")}
    monkeypatch.delenv("JIRA_URL")

    sandbox = tried.parent / ".plansync" / "sandbox"
    shutil.rmtree(sandbox)
    for args in (("plan",), ("sync", "--yes")):
        output = run(tried, *args, code=1).output
        assert f"{tried.parent / '.plansync' / 'state.db'}:" in output
        assert "items were synced with the Jira at jira.example.test:443" in output
        assert "'jira.url'" in output and "JIRA_URL" in output
        assert "Traceback" not in output
    assert notes == {p: p.read_bytes() for p in notes}
    assert not sandbox.exists()  # refused before the sandbox was started
    with pytest.raises(ConfigError, match="would use the embedded sandbox"):
        plansync.plan(load_config(tried))


def test_the_refusal_names_the_host_without_credentials(
    tried: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A store written before connectors dropped credentials from URLs may hold them.
    with open_state(tried.parent / ".plansync") as state:
        (record,) = list(state.records().values())[:1]
        url = "https://jason:s3cr3t-token@jira.example.test/browse/CLOUD-1"
        state.save(dataclasses.replace(record, key="CLOUD-1", url=url))
    output = run(tried, "plan", code=1).output
    assert "1 item was synced with the Jira at jira.example.test:443" in output
    assert "s3cr3t" not in output and "jason" not in output


def test_a_saved_plan_is_applied_only_to_the_backend_it_was_made_against(
    tried: Path, real_jira: JiraSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = next(p for p in (tried.parent / "vault").rglob("*.md") if trial_lines(p.parent))
    saved = tried.parent / "plan.json"
    # Made on the sandbox: an edit to update there. Applied with JIRA_URL set, it would send
    # that update to whatever the real Jira holds under the sandbox's key.
    text = note.read_text(encoding="utf-8")
    first = next(line for line in text.splitlines() if SANDBOX_LINK.search(line))
    note.write_text(text.replace(first, first.replace("- [ ] ", "- [ ] Now: ", 1)), "utf-8")
    run(tried, "plan", "--out", str(saved))
    go_real(monkeypatch)
    output = run(tried, "sync", str(saved), code=1).output
    assert "made against the embedded Jira sandbox, but this run uses the Jira at" in output
    assert output.endswith(
        f"jira.example.test:443; run `plansync plan --config {tried} --out {saved}` again\n"
    )
    assert requests.get(f"{REAL}/_sandbox/issues", timeout=10).json()["issues"] == []

    # Made against the real Jira, then applied in a shell that lost JIRA_URL.
    run(tried, "plan", "--out", str(saved))
    monkeypatch.delenv("JIRA_URL")
    output = run(tried, "sync", str(saved), code=1).output
    assert "made against the Jira at jira.example.test:443, but this run uses the" in output
    assert "embedded Jira sandbox" in output


def test_a_trial_link_on_a_line_no_longer_synced_is_named(
    tried: Path, real_jira: JiraSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = next(p for p in (tried.parent / "vault").rglob("*.md") if trial_lines(p.parent))
    lines = note.read_text(encoding="utf-8").split("\n")
    number = next(n for n, line in enumerate(lines, 1) if SANDBOX_LINK.search(line))
    lines[number - 1] = lines[number - 1].replace("- [ ] ", "- [?] ", 1)
    note.write_text("\n".join(lines), encoding="utf-8")
    go_real(monkeypatch)
    warnings = json.loads(run(tried, "plan", "--json").stdout)["warnings"]
    relative = note.relative_to(tried.parent / "vault").as_posix()
    (named,) = [w for w in warnings if w.startswith(f"{relative}:{number}:")]
    assert "a record of a sandbox on this machine" in named and "until you remove it" in named


@pytest.mark.parametrize("step", CHECKPOINTS)
def test_the_move_to_a_real_jira_killed_at_any_step_ends_right_when_run_again(
    tried: Path, real_jira: JiraSandbox, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    go_real(monkeypatch)
    config = load_config(tried)
    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at(step))
    result = plansync.apply(load_config(tried))
    assert result is not None and result.ok, [str(e) for e in result.errors]
    assert_synced_with(real_jira, tried)
    later = plansync.plan(load_config(tried))
    assert not later.changes, [c.message or c.action for c in later.changes]


def test_salesforce_records_of_a_trial_are_made_again_in_the_real_org(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = try_on_sandbox(tmp_path, monkeypatch, salesforce=True)
    trial_records = salesforce_keys(config)
    assert trial_records
    go_real(monkeypatch)
    jira, org = JiraSandbox(":memory:", project_key="CLOUD"), SalesforceSandbox(":memory:")

    with answering_for({REAL: jira, REAL_ORG: org}):
        loaded = load_config(config)
        result = plansync.apply(loaded, salesforce=session_connector(loaded, REAL_ORG))
        assert result is not None and result.ok, [str(e) for e in result.errors]
        dump = requests.get(f"{REAL_ORG}/_sandbox/records", timeout=10).json()
        made = Counter(row["Plansync_Id__c"] for rows in dump.values() for row in rows)
        assert made == dict.fromkeys(trial_records, 1)
        record_id = {row["Plansync_Id__c"]: row["Id"] for rows in dump.values() for row in rows}
        assert salesforce_keys(config) == record_id
        assert_synced_with(jira, config)
        later = plansync.plan(load_config(config), salesforce=session_connector(loaded, REAL_ORG))
        assert not later.changes, [c.message or c.action for c in later.changes]
    jira.close()
    org.close()


def test_a_real_jira_beside_a_sandbox_salesforce_is_not_linked_to_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    real_jira: JiraSandbox,
    salesforce_sandbox: tuple[str, SalesforceSandbox, requests.Session],
) -> None:
    config = try_on_sandbox(tmp_path, monkeypatch, salesforce=True)
    go_real(monkeypatch)  # Salesforce: a sandbox on this machine, given as its connector
    url, _, session = salesforce_sandbox
    loaded = load_config(config)
    sandbox = session_connector(loaded, url, session)
    shown = plansync.plan(loaded, salesforce=sandbox)
    assert any("not linked to each other" in w for w in shown.warnings)
    result = plansync.apply(loaded, salesforce=sandbox)
    assert result is not None and result.ok, [str(e) for e in result.errors]
    issues = requests.get(f"{REAL}/_sandbox/issues", timeout=10).json()["issues"]
    assert issues
    linked = [link["object"]["url"] for issue in issues for link in issue["remotelinks"]]
    assert linked and not [url for url in linked if on_this_machine(url)]


def test_a_real_jira_with_no_salesforce_instance_sends_nothing_to_a_salesforce_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_jira: JiraSandbox
) -> None:
    """The starter config (its [salesforce] table reads SF_INSTANCE_URL) with only JIRA_URL
    set sent #rfe items to the embedded Salesforce sandbox, and wrote its
    https://127.0.0.1:8991 links into notes synced with the real Jira, said on stderr only.
    Now the plan says, once, which items wait for which setting; the trial (no JIRA_URL)
    still has both sandboxes."""
    for name in (*CONFIG_ENV, "SF_INSTANCE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert CliRunner().invoke(main, ["init", str(tmp_path)]).exit_code == 0
    config = tmp_path / "plansync.toml"
    note = tmp_path / "m.md"
    note.write_text("- [ ] Ask for an export #rfe\n- [ ] Plain task\n", "utf-8")
    trial = json.loads(run(config, "plan", "--json").stdout)
    assert {c["target"] for c in trial["changes"] if c["action"] == "create"} == {
        "jira",
        "salesforce",
    }

    go_real(monkeypatch)
    shown = run(config, "plan", "--json")
    assert "Salesforce" not in shown.stderr  # no "using the embedded sandbox" notice
    plan = json.loads(shown.stdout)
    assert {c["target"] for c in plan["changes"]} == {"jira", "note"}
    (warning,) = [w for w in plan["warnings"] if "salesforce.instance_url" in w]
    assert warning.startswith("1 item (m.md:1) goes to Salesforce by its rules, but")
    (detail,) = [d for d in plan["warning_details"] if "salesforce.instance_url" in d["message"]]
    assert detail["also"] == [{"note": "m.md", "line": 1}]  # the items' lines, as data
    assert "SF_INSTANCE_URL" in warning and "remove the [salesforce] table" in warning
    synced = run(config, "sync", "--yes")
    assert "Salesforce" not in synced.stderr
    assert "127.0.0.1" not in note.read_text("utf-8")
    assert not (tmp_path / ".plansync" / "sandbox" / "salesforce.db").exists()
    issues = requests.get(f"{REAL}/_sandbox/issues", timeout=10).json()["issues"]
    assert len(issues) == 2


def test_a_real_jira_with_no_salesforce_instance_and_nothing_for_salesforce_says_nothing_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_jira: JiraSandbox
) -> None:
    """The starter config's [salesforce] table, its URL unset, beside a real Jira: with no item
    for Salesforce and no record of it, there is nothing to wait for a setting, and every
    plan of a Jira-only vault would otherwise warn of it."""
    for name in (*CONFIG_ENV, "SF_INSTANCE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert CliRunner().invoke(main, ["init", str(tmp_path)]).exit_code == 0
    config = tmp_path / "plansync.toml"
    (tmp_path / "m.md").write_text("- [ ] Plain task\n", "utf-8")
    go_real(monkeypatch)
    assert "salesforce" in load_config(config).left_out
    plan = json.loads(run(config, "plan", "--json").stdout)
    assert [c["target"] for c in plan["changes"] if c["action"] == "create"] == ["jira"]
    assert [w for w in plan["warnings"] if "salesforce" in w.lower()] == []


def test_a_trials_dead_create_is_not_looked_for_in_the_real_jira(
    tried: Path, real_jira: JiraSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync on the sandbox dies after the sandbox made an issue, before its key is stored;
    then the vault moves to the real Jira. The dead create's journal entry is the sandbox's:
    its ids are not searched for in the real Jira, nor waited for there (the wait for
    search to catch up took 7 s, for an issue that Jira was never asked to make). The item
    gets its issue in the real Jira, once; the entry stays for a run on the sandbox."""
    slept: list[float] = []
    monkeypatch.setattr("plansync.engine.steps.journal.time.sleep", slept.append)
    path = next((tried.parent / "vault").glob("2025-11-11*.md"))
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("## Action Items\n", "## Action Items\n- [ ] Draft the pager budget\n", 1),
        encoding="utf-8",
    )
    with pytest.raises(Crash):
        plansync.apply(load_config(tried), checkpoint=crash_at("created"))
    with open_state(load_config(tried).state_dir, lock=False) as state:
        (entry,) = state.in_flight("jira")
    assert entry.site == EMBEDDED and entry.notes == dict.fromkeys(entry.block_ids, path.name)

    go_real(monkeypatch)
    config = load_config(tried)
    planned = plansync.plan(config)
    assert planned.dead_creates == []
    result = plansync.apply(config)
    assert result is not None and result.ok, [str(e) for e in result.errors]
    assert slept == [], "the sandbox's dead create was waited for in the real Jira"
    assert_synced_with(real_jira, tried)
    with open_state(config.state_dir, lock=False) as state:
        assert state.in_flight("jira") == [entry]  # unbound: every entry, as written
        state.bind("jira", local=False, site=site_of(REAL))
        assert state.in_flight("jira") == []


def test_the_move_works_with_the_state_folder_deleted(
    tried: Path, real_jira: JiraSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the notes' links say what was a trial's now: no record is left to tell.
    shutil.rmtree(tried.parent / ".plansync")
    go_real(monkeypatch)
    run(tried, "sync", "--yes")
    assert_synced_with(real_jira, tried)
    assert run(tried, "plan", "--detailed-exitcode").exit_code == 0


def test_a_config_for_a_real_salesforce_alone_is_not_warned_of_a_jira_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No [[rules]]: nothing goes to Jira, so the embedded Jira started beside the real org is
    no reason to warn that their records are not linked "until both are real"."""
    for name in (*CONFIG_ENV, "SF_INSTANCE_URL"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "plansync.toml"
    config.write_text("[salesforce]\n", "utf-8")
    (tmp_path / "n.md").write_text("- [ ] Ask for it #rfe\n", "utf-8")
    org = SalesforceSandbox(":memory:")
    with answering_for({REAL_ORG: org}):
        loaded = load_config(config)
        plan = plansync.plan(loaded, salesforce=session_connector(loaded, REAL_ORG))
    org.close()
    assert [c.action for c in plan.changes if c.target == "salesforce"] == ["create"]
    assert not [w for w in plan.warnings if "not linked to each other" in w], plan.warnings


def test_a_trial_key_with_words_written_after_it_is_replaced_where_it_stands(
    tried: Path, real_jira: JiraSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The planner reads a trial run's link as the line's key wherever it stands, for the
    real key to replace it: it was left, with the new key after the words."""
    vault = tried.parent / "vault"
    line = trial_lines(vault)[0]
    link = SANDBOX_LINK.search(line)
    assert link is not None
    note = next(p for p in vault.rglob("*.md") if line in p.read_text(encoding="utf-8"))
    end = line.index(")", link.start()) + 1
    note.write_text(
        note.read_text(encoding="utf-8").replace(line, f"{line[:end]} to staging{line[end:]}"),
        encoding="utf-8",
    )
    go_real(monkeypatch)
    run(tried, "sync", "--yes")
    assert_synced_with(real_jira, tried)
    assert " to staging" in note.read_text(encoding="utf-8")
    issues = requests.get(f"{REAL}/_sandbox/issues", timeout=10).json()["issues"]
    summaries = [issue["fields"]["summary"] for issue in issues]
    assert [s for s in summaries if s.endswith("to staging")]
    assert not [s for s in summaries if "PLAN-" in s]


# ---- one sandbox, then another ----------------------------------------------------------------
# The embedded sandbox and one `plansync sandbox serve` serves are two backends, each numbering
# its issues from PLAN-1: every item was a conflict for ever ("in the state store but Jira
# returns no record"), and the notes' links opened unrelated issues.


def links_to(vault: Path, base: str) -> list[str]:
    """The note lines with a key link to ``base``."""
    return [
        line
        for note in vault.rglob("*.md")
        for line in note.read_text(encoding="utf-8").splitlines()
        if f"]({base}/" in line
    ]


def go_served(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("JIRA_URL", url)
    monkeypatch.setenv("JIRA_USER", "me")
    monkeypatch.setenv("JIRA_API_TOKEN", "any")


def test_a_vault_moves_from_the_embedded_sandbox_to_a_served_one_and_back(
    tried: Path, jira_sandbox: tuple[str, JiraSandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = jira_sandbox
    vault = tried.parent / "vault"
    trial_keys = accepted(tried)
    go_served(monkeypatch, url)

    shown = json.loads(run(tried, "plan", "--json").stdout)
    assert shown["summary"]["conflict"] == 0 and shown["summary"]["orphan"] == 0
    assert shown["summary"]["create"] == len(trial_keys)
    (warning,) = [w for w in shown["warnings"] if "another sandbox" in w]
    assert warning.startswith(f"{len(trial_keys)} note lines name Jira keys of another sandbox")
    assert f"the Jira at {site_of(url)}" in warning

    run(tried, "sync", "--yes")
    issues = sandbox_issues(url)
    made = Counter(label for issue in issues for label in ps_labels(issue))
    assert made == dict.fromkeys(trial_keys, 1)
    assert len(links_to(vault, url)) == len(trial_keys)
    assert links_to(vault, "http://127.0.0.1:8990") == []
    assert run(tried, "plan", "--detailed-exitcode").exit_code == 0
    served_keys = accepted(tried)

    # A plan saved against one sandbox is not applied to another.
    saved = tried.parent / "plan.json"
    run(tried, "plan", "--out", str(saved))
    monkeypatch.delenv("JIRA_URL")
    output = run(tried, "sync", str(saved), code=1).output
    assert f"made against the Jira at {site_of(url)}, but this run uses the embedded" in output

    # Back on the embedded sandbox: its issues are found again by their ids, not made twice.
    shown = json.loads(run(tried, "plan", "--json").stdout)
    assert shown["summary"]["create"] == 0 and shown["summary"]["conflict"] == 0
    run(tried, "sync", "--yes")
    assert accepted(tried) == trial_keys
    assert links_to(vault, url) == []
    assert len(links_to(vault, "http://127.0.0.1:8990")) == len(trial_keys)
    assert run(tried, "plan", "--detailed-exitcode").exit_code == 0

    go_served(monkeypatch, url)  # and to the served one again: its issues, found
    run(tried, "sync", "--yes")
    assert accepted(tried) == served_keys and len(sandbox_issues(url)) == len(issues)


def test_a_sandbox_served_where_the_embedded_ones_links_point_is_another_sandbox(
    tried: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`plansync sandbox serve` serves on 8990 by default, where the embedded sandbox's links
    point whichever port it had: the links read the same, and the state store tells the two
    apart by the site it keeps with each record."""
    served = "http://127.0.0.1:8990"
    trial_keys = accepted(tried)
    go_served(monkeypatch, served)
    app = JiraSandbox(":memory:")
    with answering_for({served: app}):
        shown = json.loads(run(tried, "plan", "--json").stdout)
        assert shown["summary"]["conflict"] == 0
        assert shown["summary"]["create"] == len(trial_keys)
        assert any("another sandbox on this machine" in w for w in shown["warnings"])
        run(tried, "sync", "--yes")
        issues = requests.get(f"{served}/_sandbox/issues", timeout=10).json()["issues"]
        assert Counter(label for issue in issues for label in ps_labels(issue)) == (
            dict.fromkeys(trial_keys, 1)
        )
        key_of = {ps_labels(issue)[0]: issue["key"] for issue in issues}
        assert accepted(tried) == key_of
        assert run(tried, "plan", "--detailed-exitcode").exit_code == 0
    app.close()


def test_salesforce_records_move_from_the_embedded_sandbox_to_a_served_one(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    salesforce_sandbox: tuple[str, SalesforceSandbox, requests.Session],
    loopback_tls: LoopbackCertificate,
) -> None:
    config = try_on_sandbox(tmp_path, monkeypatch, salesforce=True)
    trial_records = salesforce_keys(config)
    assert trial_records
    url, _, _ = salesforce_sandbox
    text = config.read_text("utf-8").replace(
        'auth = "jwt"',
        f'auth = "session"\nsession_id = "any"\nca_bundle = "{loopback_tls.ca_path}"',
        1,
    )
    config.write_text(text, "utf-8")
    monkeypatch.setenv("SF_INSTANCE_URL", url)

    shown = json.loads(run(config, "plan", "--json").stdout)
    assert shown["summary"]["conflict"] == 0
    assert any("Salesforce keys of another sandbox" in w for w in shown["warnings"])
    run(config, "sync", "--yes")
    dump = requests.get(f"{url}/_sandbox/records", timeout=10, verify=str(loopback_tls.ca_path))
    rows = [row for rows in dump.json().values() for row in rows]
    assert Counter(row["Plansync_Id__c"] for row in rows) == dict.fromkeys(trial_records, 1)
    assert salesforce_keys(config) == {row["Plansync_Id__c"]: row["Id"] for row in rows}
    assert links_to(tmp_path / "vault", "https://127.0.0.1:8991") == []
    assert run(config, "plan", "--detailed-exitcode").exit_code == 0


def test_a_trials_salesforce_records_left_out_beside_a_real_jira_can_be_forgotten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_jira: JiraSandbox
) -> None:
    """The starter config's [salesforce] table with no instance URL, beside a real Jira, sends
    nothing to Salesforce: the trial's Salesforce records are then no plan's target, so no
    plan shows them as orphans to forget by name. `forget --backend salesforce` refused them
    all the same, as if the table named an instance, and every plan warned of them for good."""
    config = try_on_sandbox(tmp_path, monkeypatch, salesforce=True)
    go_real(monkeypatch)
    assert "salesforce" in load_config(config).left_out
    warnings = json.loads(run(config, "plan", "--json").stdout)["warnings"]
    assert any("forget --config" in w and "--backend salesforce" in w for w in warnings)
    vault = tmp_path / "vault"
    for note in vault.glob("*.md"):  # a person takes the trial's Salesforce links off
        text = note.read_text("utf-8")
        note.write_text(re.sub(r" \[[^\]]+\]\(https://127\.0\.0\.1:8991/[^)]*\)", "", text))
    with open_state(load_config(config).state_dir, lock=False) as state:
        held = state.records("salesforce")
    assert held
    forgotten = run(config, "forget", "--backend", "salesforce", "--yes")
    assert "nothing was forgotten" not in forgotten.output
    with open_state(load_config(config).state_dir, lock=False) as state:
        assert not state.records("salesforce")


def test_a_trials_salesforce_records_left_out_with_no_line_for_salesforce_are_still_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_jira: JiraSandbox
) -> None:
    """The notes gone (or no line for Salesforce left), the trial's Salesforce records beside
    a real Jira are still the plan's to name: nothing is sent to Salesforce, they are left
    alone, and forget stops tracking them."""
    config = try_on_sandbox(tmp_path, monkeypatch, salesforce=True)
    with open_state(load_config(config).state_dir, lock=False) as state:
        held = state.records("salesforce")
    assert held
    for note in (tmp_path / "vault").rglob("*.md"):
        note.unlink()
    go_real(monkeypatch)
    warnings = json.loads(run(config, "plan", "--json").stdout)["warnings"]
    [said] = [w for w in warnings if "salesforce.instance_url" in w]
    assert said.startswith(
        "'salesforce.instance_url' is empty (the starter config reads it from SF_INSTANCE_URL)"
        " while Jira is a real site: nothing is sent to Salesforce; the"
        f" {len(held)} Salesforce records the state store holds (a trial's) are left alone"
    )
    assert "forget --config" in said and "--backend salesforce" in said
