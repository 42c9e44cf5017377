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
from conftest import CONFIG_ENV, EXAMPLES, SALESFORCE_TABLE, session_connector
from sync_marks import CHECKPOINTS, Crash, crash_at

import plansync
from plansync.cli import main
from plansync.config import ConfigError, load_config
from plansync.notes.links import on_this_machine
from plansync.notes.vault import scan_vault
from plansync.sandbox.jira_app import JiraSandbox
from plansync.sandbox.salesforce_app import SalesforceSandbox

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
        ("http://[::1/browse/PLAN-1", False),
        ("/browse/PLAN-1", False),
        ("", False),
    ],
)
def test_on_this_machine(url: str, here: bool) -> None:
    assert on_this_machine(url) is here


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

    shown = json.loads(run(tried, "plan", "--json").output)
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

    for args in (("plan",), ("sync", "--yes")):
        output = run(tried, *args, code=1).output
        assert f"{tried.parent / '.plansync' / 'state.db'}:" in output
        assert f"synced with the Jira at {REAL}" in output
        assert "'jira.url'" in output and "JIRA_URL" in output
        assert "Traceback" not in output
    assert notes == {p: p.read_bytes() for p in notes}
    with pytest.raises(ConfigError, match="a sandbox on this machine"):
        plansync.plan(load_config(tried))


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
