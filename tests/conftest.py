"""Shared fixtures: a Jira sandbox served on 127.0.0.1, and the example vault pointed at it.

``jira_sandbox`` yields ``(url, app)``: the base URL the real ``jira`` client talks to and the
:class:`JiraSandbox` itself (for ``stats()``, ``configure_faults()`` and direct inspection). Its
mode is Cloud unless a test parametrizes it indirectly::

    @pytest.mark.parametrize("jira_sandbox", ["dc"], indirect=True)

``example_project`` copies ``examples/vault`` into ``tmp_path/vault`` and writes
``tmp_path/plansync.toml`` from ``examples/plansync.toml`` with ``[jira]`` pointing at that
sandbox (fixed user and token, ``deployment`` matching the sandbox's mode). The environment
variables the config reads are cleared first, so a developer's own ``JIRA_URL`` never leaks in.
``example_project.write_config(**jira)`` rewrites the config with other ``[jira]`` values.

``salesforce_sandbox`` yields ``(url, app, session)``: a fresh in-memory
:class:`SalesforceSandbox` served over loopback TLS (simple-salesforce speaks only ``https://``),
and a ``requests.Session`` that trusts its throwaway certificate, to give a
``SalesforceConnector`` (``session=``) or to read ``/_sandbox/records`` with.

For the sync tests' invariant: :class:`IssuesByLabel` checks that each accepted item has one
issue, its key written back, and :func:`assert_nothing_to_do` that a plan after the sync is empty.

For the connectors' contract tests: ``rsps`` answers HTTP with ``responses`` (no network), and
``sleeps`` is a :class:`Sleeps` to pass as a connector's ``sleep``, recording the waits;
``lookup_waits`` records apply's waits for search to show a dead run's creates the same way.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
import requests
import responses
from urllib3.exceptions import NewConnectionError

from plansync import redact
from plansync.config import Config
from plansync.connectors.salesforce import SalesforceConnector
from plansync.engine.changes import Plan
from plansync.notes.model import Item
from plansync.rules import label_for
from plansync.sandbox.jira_app import JiraSandbox
from plansync.sandbox.salesforce_app import SalesforceSandbox
from plansync.sandbox.server import serve_in_thread
from plansync.sandbox.tls import LoopbackCertificate, make_loopback_certificate

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# What the tests read from beside the repository (README: the users' notes, Atlassian's OpenAPI
# documents, the Obsidian Tasks plugin's own cases); never copied in.
SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLES = SHARED / "samples"
CONTRACTS = SHARED / "contracts"
CONFORMANCE = SHARED / "conformance" / "obsidian-tasks"


def sample_notes() -> list[Path]:
    """The users' sample notes; none is a failure, not a test that passes on nothing (a copy of
    the repository with no ``shared`` beside it read none, and said nothing)."""
    notes = sorted(SAMPLES.glob("*.md"))
    assert notes, f"no sample notes in {SAMPLES}: the tests read them from beside the repository"
    return notes


# The item object of `plansync parse --json`, as DESIGN.md lists it ("Interfaces that others
# rely on"); tests compare subsets of it.
ITEM_CONTRACT_KEYS = (
    "kind",
    "line",
    "status",
    "accepted",
    "text",
    "owner",
    "due",
    "scheduled",
    "start",
    "created",
    "done",
    "cancelled",
    "priority",
    "recurrence",
    "tags",
    "depends_on",
    "task_id",
    "block_id",
    "keys",
    "repaired",
)
SALESFORCE_TABLE = re.compile(r"^\[salesforce\]\n(?:(?!\[|# \[).*\n)*", re.MULTILINE)
CONFIG_ENV = ("JIRA_URL", "JIRA_USER", "JIRA_API_TOKEN", "JIRA_PROJECT", "PLANSYNC_MYSELF")
SANDBOX_USER = "jason@example.com"
SANDBOX_TOKEN = "sandbox-token"
ProjectT = TypeVar("ProjectT", bound="ExampleProject")


class Sleeps(list[float]):
    """Stands in for time.sleep: records the delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(autouse=True)
def own_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no secret registered for redaction: the registry is the process's,
    and a credential one test used ("password") would blank that word in the next test's
    messages."""
    monkeypatch.setattr(redact, "_secrets", [])


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def lookup_waits(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    """apply's waits before it looks a dead run's ids up again (search may lag a create),
    recorded instead of slept: where the dead run made nothing, they add up to 7 s a test."""
    from plansync.engine.steps import journal

    waits = Sleeps()
    monkeypatch.setattr(journal, "time", SimpleNamespace(sleep=waits))
    return waits


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``JIRA_*`` / ``PLANSYNC_*`` variables from the developer's shell."""
    for name in CONFIG_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def jira_sandbox(request: pytest.FixtureRequest) -> Iterator[tuple[str, JiraSandbox]]:
    """A fresh in-memory Jira sandbox served on loopback: ``(url, app)``."""
    app = JiraSandbox(":memory:", mode=getattr(request, "param", "cloud"))
    try:
        with serve_in_thread(app) as server:
            yield server.url, app
    finally:
        app.close()


@pytest.fixture(scope="session")
def loopback_tls(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCertificate:
    """A throwaway CA and server certificate for 127.0.0.1, made once per test session."""
    return make_loopback_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def salesforce_sandbox(
    loopback_tls: LoopbackCertificate,
) -> Iterator[tuple[str, SalesforceSandbox, requests.Session]]:
    """A fresh in-memory Salesforce sandbox served over loopback TLS: ``(url, app, session)``."""
    app = SalesforceSandbox(":memory:")
    session = loopback_tls.client_session()
    try:
        with serve_in_thread(app, ssl_context=loopback_tls.server_context()) as server:
            yield server.url, app, session
    finally:
        session.close()
        app.close()


def session_connector(
    config: Config, url: str, session: requests.Session | None = None, **kwargs: Any
) -> SalesforceConnector:
    """A connector to the Salesforce at ``url`` for ``config``'s objects, by session id (the
    sandboxes take any)."""
    assert config.salesforce is not None
    status = {
        "status_field": config.salesforce.status_field,
        "status_values": config.salesforce.status_values,
        "open_status_values": config.salesforce.open_status_values,
        "settings": config.salesforce.settings(),
    }
    return SalesforceConnector(
        config.salesforce.managed_fields(),
        config.salesforce.external_id_field,
        auth="session",
        session_id="plansync-test-session",
        instance_url=url,
        session=session,
        **{**status, **kwargs},
    )


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released): connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def closed_port_pair() -> int:
    """A loopback port nobody listens on whose next one is free too: for ``plansync sandbox
    serve --port``, whose Salesforce sandbox takes the next port or fails. Drawn from below
    Linux's ephemeral range (32768 up): a port the kernel hands out, the next one is as likely
    to be taken by any test's outgoing connection before the sandbox binds it (a flaky run)."""
    while True:
        port = random.SystemRandom().randrange(20_000, 32_000)  # whatever seeds random
        with socket.socket() as probe, socket.socket() as beside:
            try:
                probe.bind(("127.0.0.1", port))
                beside.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port


def refused() -> requests.ConnectionError:
    """What requests raises when nobody listens: urllib3's connect failure, wrapped."""
    return requests.ConnectionError(
        NewConnectionError(None, "Failed to establish a new connection: Connection refused")  # type: ignore[arg-type]
    )


def chained(error: BaseException) -> list[BaseException]:
    """Every exception reachable from ``error`` by ``__cause__`` and ``__context__``, itself
    left out: what a caller's error report (a traceback, Sentry) shows with it. ``raise ...
    from None`` hides the context from a traceback but leaves it there."""
    reached: list[BaseException] = []
    pending = [error.__cause__, error.__context__]
    while pending:
        current = pending.pop()
        if current is None or current is error or any(current is seen for seen in reached):
            continue
        reached.append(current)
        pending += [current.__cause__, current.__context__]
    return reached


def jira_table(values: dict[str, str]) -> str:
    """A TOML ``[jira]`` table body from plain string values."""
    return "".join(f'{name} = "{value}"\n' for name, value in values.items())


def with_jira(config_text: str, values: dict[str, str]) -> str:
    """``config_text`` with its ``[jira]`` table's keys replaced by ``values``."""
    head, sep, rest = config_text.partition("\n[jira]\n")
    assert sep, "the example config has no [jira] table"
    _, nxt, tail = rest.partition("\n[")
    return head + sep + jira_table(values) + (nxt + tail if nxt else "")


def sandbox_issues(url: str) -> list[dict[str, Any]]:
    """Every issue in the Jira sandbox at ``url``, from its ``/_sandbox/issues`` dump.

    Read with urllib, not requests: tests that mock requests with ``responses`` would intercept
    (and refuse) a requests call to the sandbox.
    """
    with urllib.request.urlopen(f"{url}/_sandbox/issues", timeout=30) as answer:
        issues: list[dict[str, Any]] = json.load(answer)["issues"]
    return issues


def ps_labels(issue: dict[str, Any]) -> list[str]:
    """The ``ps-…`` labels of a sandbox issue: the ids of the items it was synced from."""
    return [x for x in issue["fields"]["labels"] if x.startswith("ps-")]


class IssuesByLabel:
    """The sandbox issues of a synced vault, by their ``ps-…`` label (each carries exactly one),
    for the sync tests' invariant: one issue per accepted item's id, its key written back."""

    def __init__(self, issues: list[dict[str, Any]]) -> None:
        for issue in issues:
            labels = ps_labels(issue)
            assert len(labels) == 1, f"{issue['key']} has labels {issue['fields']['labels']}"
        self.count = Counter(ps_labels(i)[0] for i in issues)
        self.by_label = {ps_labels(i)[0]: i for i in issues}
        self.claimed: set[str] = set()
        """The labels of the accepted items' ids seen by :meth:`issue_of`."""

    def issue_of(self, item: Item, where: str) -> dict[str, Any]:
        """The one issue of the accepted ``item``: it has an id no item before it had, exactly
        one issue carries that id, and the item's Jira key is that issue's."""
        assert item.block_id, f"{where}: accepted item without a block id"
        label = label_for(item.block_id)
        assert label not in self.claimed, f"{where}: block id {label} used twice"
        self.claimed.add(label)
        assert self.count[label] == 1, f"{where}: {self.count[label]} issues carry {label}"
        issue = self.by_label[label]
        assert item.keys.get("jira") == issue["key"], f"{where}: key {item.keys} != {issue['key']}"
        return issue

    def unclaimed(self) -> set[str]:
        """The labels of issues no accepted item's id asks for."""
        return set(self.count) - self.claimed


def assert_nothing_to_do(plan: Plan) -> None:
    """``plan``, made after a sync that ended right, has no change to make and no conflict."""
    assert not plan.has_changes, [c.model_dump(exclude={"line_change"}) for c in plan.changes]
    assert plan.summary["conflict"] == 0, [c.message for c in plan.changes]


@dataclass
class ExampleProject:
    """The example vault and a config for it, under ``root`` (= the test's ``tmp_path``)."""

    root: Path
    url: str
    app: JiraSandbox

    @classmethod
    def made(cls: type[ProjectT], root: Path, url: str, app: JiraSandbox) -> ProjectT:
        """``examples/vault`` copied to ``root/vault``, and the config written."""
        project = cls(root, url, app)
        shutil.copytree(EXAMPLES / "vault", project.vault)
        project.write_config()
        return project

    @property
    def vault(self) -> Path:
        return self.root / "vault"

    @property
    def config_path(self) -> Path:
        return self.root / "plansync.toml"

    @property
    def state_db(self) -> Path:
        return self.root / ".plansync" / "state.db"

    def jira_values(self, **overrides: str) -> dict[str, str]:
        values = {
            "url": self.url,
            "user": SANDBOX_USER,
            "token": SANDBOX_TOKEN,
            "deployment": self.app.mode,
        }
        values.update(overrides)
        return {k: v for k, v in values.items() if v is not None}

    def write_config(self, extra: str = "", *, salesforce: bool = False, **jira: str) -> Path:
        """Write the config: ``[jira]`` from the defaults and ``jira``; ``extra`` TOML appended.

        The example config's ``[salesforce]`` table is left out unless ``salesforce``: these
        projects sync to the Jira sandbox the fixture serves.
        """
        text = (EXAMPLES / "plansync.toml").read_text(encoding="utf-8")
        text = with_jira(text, self.jira_values(**jira))
        if not salesforce:
            text = SALESFORCE_TABLE.sub("", text)
        self.config_path.write_text(text + ("\n" + extra if extra else ""), encoding="utf-8")
        return self.config_path

    def note(self, name_part: str) -> Path:
        """The one note whose file name contains ``name_part``."""
        found = [p for p in self.vault.rglob("*.md") if name_part in p.name]
        assert len(found) == 1, f"{name_part!r} matches {found}"
        return found[0]

    def issues(self) -> dict[str, dict[str, Any]]:
        """Every issue in this project's Jira sandbox, by key (read past the connector)."""
        return {issue["key"]: issue for issue in sandbox_issues(self.url)}


@pytest.fixture
def example_project(
    tmp_path: Path, jira_sandbox: tuple[str, JiraSandbox], clean_env: None
) -> ExampleProject:
    """``examples/vault`` + a config syncing it to ``jira_sandbox``, in ``tmp_path``."""
    url, app = jira_sandbox
    return ExampleProject.made(tmp_path, url, app)


def replace_once(path: Path, old: str, new: str) -> None:
    """Edit a note as a user would: ``old`` must occur exactly once (bytes elsewhere kept)."""
    data = path.read_bytes()
    assert data.count(old.encode()) == 1, f"{old!r} occurs {data.count(old.encode())} times"
    path.write_bytes(data.replace(old.encode(), new.encode()))


@contextmanager
def read_only(*folders: Path) -> Iterator[None]:
    """``folders`` read-only while the block runs (their modes put back after)."""
    modes = {folder: folder.stat().st_mode for folder in folders}
    try:
        for folder in folders:
            folder.chmod(0o555)
        yield
    finally:
        for folder, mode in modes.items():
            folder.chmod(mode)


def run_python_unprivileged(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -c code args`` as a process that permissions stop: as it is, or for root, whom
    none stops, without the capabilities that let it (skipped where there is no setpriv)."""
    command = [sys.executable, "-c", code, *args]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("root, and no setpriv to run without the override of permissions")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def layout_calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the parser measures a line's layout (``calls["layout"]``): a parse that walks
    back over the lines above for each line is quadratic, counted here rather than timed."""
    from plansync.notes import blocks, parse

    calls: Counter[str] = Counter()
    real_layout = blocks.layout

    def counting(line: str) -> tuple[int, int, int]:
        calls["layout"] += 1
        return real_layout(line)

    for module in (blocks, parse):  # the walks over the lines, and the reader of each line
        monkeypatch.setattr(module, "layout", counting)
    return calls
