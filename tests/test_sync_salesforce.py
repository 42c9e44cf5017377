"""End to end: the example vault synced to Jira *and* Salesforce, both sandboxes in-process.

Jira is the ``jira_sandbox`` (plain HTTP, the real ``jira`` client, configured in
``plansync.toml``); Salesforce is the ``salesforce_sandbox`` over loopback TLS, reached by a
:class:`SalesforceConnector` on the real ``simple-salesforce`` client that each test builds
against it and injects with ``plansync.plan/apply(..., salesforce=...)``.

What the tests expect is worked out here from the parsed notes, not from plansync's rules:
accepted ``#rfe`` actions become ``RFE__c`` records; accepted decisions and ``#feature`` items
become ``Feature__c`` records; accepted actions go to Jira. What the backends hold is read past
the code under test: ``/_sandbox/records`` and ``/_sandbox/issues``, and the SOQL and writes
that went over the wire (a response hook on the session).

The invariant after any sync, crashed or not (:func:`assert_synced`): one Jira issue per Jira
item and one Salesforce record per Salesforce item, keyed by the item's ``ps-…`` id; a record
carries its item's Jira key exactly when the item also went to Jira, and that issue links to
the record (one remote link with globalId ``plansync:salesforce:<id>``); every key is written
into the note line; the notes differ from before only by inserted bytes; a further plan has
nothing to do.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from conftest import (
    SANDBOX_TOKEN,
    SANDBOX_USER,
    ExampleProject,
    Sleeps,
    replace_once,
    session_connector,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sync_marks import CHECKPOINTS, Crash, crash_at, strip_sync_marks

import plansync
from plansync.config import Config
from plansync.config_load import load_config
from plansync.connectors.base import FieldUpdate, OpResult
from plansync.connectors.jira import JiraConnector
from plansync.connectors.salesforce import SalesforceConnector
from plansync.engine.changes import ACTIONS, Plan
from plansync.engine.render import render_plan
from plansync.engine.result import Result
from plansync.engine.run_lock import open_state
from plansync.engine.steps.fresh import StalePlan
from plansync.field_text import fitted
from plansync.notes.model import Item, Note
from plansync.notes.vault import scan_vault
from plansync.rules import label_for, owner_name, status_category
from plansync.sandbox import salesforce_app
from plansync.sandbox.salesforce_app import SalesforceSandbox, SfUser, salesforce_id
from plansync.sandbox.soql import parse_soql
from plansync.sandbox.tls import LoopbackCertificate

OBJECTS = ("RFE__c", "Feature__c")
PRIORITIES = {
    "highest": "Highest",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
    "lowest": "Lowest",
    "none": None,
}
API_USER = salesforce_app.USERS[0]  # whom any session token is (the owner of a record by default)
SF_ENV = (
    "SF_INSTANCE_URL",
    "SF_DOMAIN",
    "SF_USERNAME",
    "SF_CONSUMER_KEY",
    "SF_PRIVATE_KEY_FILE",
)
UPSERT_ROUTE = "PATCH /services/data/v59.0/composite/sobjects/{sobject}/{externalIdField}"
RFE_TEXT = "Add per-bucket replication lag to the customer dashboard"
FEATURE_TEXT = "Write the one-pager for cross-region immutable snapshots"


# ---- the Salesforce org, observed from outside -------------------------------------------------


@dataclass
class Org:
    """The served Salesforce sandbox, connectors for it, and what went over the wire."""

    url: str
    app: SalesforceSandbox
    session: requests.Session
    queries: list[str] = field(default_factory=list)  # SOQL, in the order sent
    writes: list[tuple[str, str, Any]] = field(default_factory=list)  # (method, path, body)
    described: list[str] = field(default_factory=list)  # the objects, in the order described

    def heard(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        parts = urlsplit(request.url or "")
        if parts.path.startswith("/_sandbox/"):
            return
        soql = parse_qs(parts.query).get("q")
        if soql:
            self.queries.append(soql[0])
        elif parts.path.endswith("/describe"):
            self.described.append(parts.path.split("/")[-2])
        elif request.method != "GET":
            body = request.body
            self.writes.append((request.method or "", parts.path, json.loads(body or "null")))

    def connector(self, config: Config, **kwargs: Any) -> SalesforceConnector:
        return session_connector(config, self.url, self.session, **kwargs)

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        answer = self.session.get(f"{self.url}/_sandbox/records", timeout=10)
        answer.raise_for_status()
        return answer.json()

    def records(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Live records by Plansync_Id__c, with their object; a second record per id fails."""
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        for sobject, rows in self.dump().items():
            for row in rows:
                if row.get("IsDeleted"):
                    continue
                plansync_id = row["Plansync_Id__c"]
                assert plansync_id not in found, f"two records carry {plansync_id}"
                found[plansync_id] = (sobject, row)
        return found

    def lightning(self, sobject: str, record_id: str) -> str:
        return f"{self.url}/lightning/r/{sobject}/{record_id}/view"

    def reset(self) -> None:
        self.app.reset_stats()
        self.queries.clear()
        self.writes.clear()
        self.described.clear()


@pytest.fixture
def org(salesforce_sandbox: tuple[str, SalesforceSandbox, requests.Session]) -> Org:
    url, app, session = salesforce_sandbox
    made = Org(url, app, session)
    session.hooks["response"].append(made.heard)
    return made


@pytest.fixture
def project(example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch) -> ExampleProject:
    """The example project with its ``[salesforce]`` table (the connector is injected)."""
    for name in SF_ENV:
        monkeypatch.delenv(name, raising=False)
    example_project.write_config(salesforce=True)
    return example_project


# ---- helpers ---------------------------------------------------------------------------------


def config_of(project: ExampleProject) -> Config:
    return load_config(project.config_path)


def run(project: ExampleProject, org: Org, **kwargs: Any) -> Result:
    config = config_of(project)
    result = plansync.apply(config, salesforce=org.connector(config), **kwargs)
    assert result is not None
    return result


def sync(project: ExampleProject, org: Org, **kwargs: Any) -> Result:
    result = run(project, org, **kwargs)
    assert result.ok, [str(e) for e in result.errors]
    return result


def plan_of(project: ExampleProject, org: Org) -> Plan:
    config = config_of(project)
    return plansync.plan(config, salesforce=org.connector(config))


def summary_of(**nonzero: int) -> dict[str, int]:
    return {action: nonzero.get(action, 0) for action in ACTIONS}


def issues_by_id(project: ExampleProject) -> dict[str, dict[str, Any]]:
    """Issues by their ``ps-…`` label; a second issue per id fails."""
    found: dict[str, dict[str, Any]] = {}
    for issue in project.issues().values():
        for label in issue["fields"]["labels"]:
            if label.startswith("ps-"):
                assert label not in found, f"two issues carry {label}"
                found[label] = issue
    return found


@dataclass(frozen=True)
class Routed:
    """An accepted item and where it should go, decided here from the parsed note."""

    note: Note
    item: Item
    sobject: str | None
    jira: bool


def route(item: Item) -> tuple[str | None, bool]:
    tags = {t.casefold() for t in item.tags}
    if item.kind == "action" and "#rfe" in tags:
        sobject: str | None = "RFE__c"
    elif item.kind == "decision" or "#feature" in tags:
        sobject = "Feature__c"
    else:
        sobject = None
    return sobject, item.kind == "action"


def routed(project: ExampleProject, config: Config) -> list[Routed]:
    out = []
    for note in scan_vault(project.vault, policy=config.acceptance).notes:
        for item in note.items:
            if not item.accepted:
                continue
            sobject, jira = route(item)
            if sobject or jira:
                out.append(Routed(note, item, sobject, jira))
    return out


def to_salesforce(project: ExampleProject, config: Config) -> list[Routed]:
    return [r for r in routed(project, config) if r.sobject]


def item_with(project: ExampleProject, config: Config, text: str) -> Routed:
    found = [r for r in routed(project, config) if text in r.item.text]
    assert len(found) == 1, found
    return found[0]


def synced_item(project: ExampleProject, org: Org, text: str) -> tuple[Config, Routed, str]:
    """The project synced once, and the item whose text holds ``text``, with its block id."""
    sync(project, org)
    config = config_of(project)
    entry = item_with(project, config, text)
    assert entry.item.block_id
    return config, entry, entry.item.block_id


def line_of(project: ExampleProject, note: str, line: int) -> str:
    data = (project.vault / note).read_bytes()
    return data.split(b"\n")[line - 1].decode("utf-8", "surrogateescape")


def files_of(project: ExampleProject) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in project.vault.rglob("*.md")}


def note_link(project: ExampleProject, note: str, block_id: str) -> str:
    """The Obsidian link to the line, by the default template (the vault is the folder)."""
    file = quote(note.removesuffix(".md"), safe="")
    return f"obsidian://open?vault={project.vault.name}&file={file}%23%5E{block_id}"


def owner_id(config: Config, owner: str | None) -> str:
    """The Salesforce user an owner maps to by the config's e-mails; else the API user, whom
    Salesforce makes the owner of a record created without one."""
    email = None
    if owner == "Myself":
        email = config.myself
    elif owner in config.users:
        email = config.users[owner].email
    user = next((u for u in salesforce_app.USERS if email and u.email == email), None)
    return (user or API_USER).id


def assert_synced(project: ExampleProject, org: Org, before: dict[Path, bytes]) -> None:
    """The invariant (module docstring), for the notes against both sandboxes."""
    config = config_of(project)
    items = routed(project, config)
    issues, records = issues_by_id(project), org.records()
    assert set(issues) == {r.item.block_id for r in items if r.jira}
    assert set(records) == {r.item.block_id for r in items if r.sobject}
    for entry in items:
        block_id = entry.item.block_id
        assert block_id, entry.item.text
        issue = issues.get(block_id)
        if issue is not None:
            assert entry.item.keys.get("jira") == issue["key"], (block_id, entry.item.keys)
        if entry.sobject is None:
            assert "salesforce" not in entry.item.keys
            continue
        sobject, record = records[block_id]
        assert sobject == entry.sobject
        assert entry.item.keys.get("salesforce") == record["Id"], (block_id, entry.item.keys)
        assert record.get("Jira_Key__c") == (issue["key"] if issue else None), block_id
        if issue is not None:
            links = {r["globalId"]: r["object"]["url"] for r in issue["remotelinks"]}
            assert links == {
                f"plansync:{block_id}": note_link(project, entry.note.path, block_id),
                f"plansync:salesforce:{block_id}": org.lightning(sobject, record["Id"]),
            }
    after = files_of(project)
    assert after.keys() == before.keys()
    for path, data in before.items():
        assert strip_sync_marks(after[path]) == data, path
    again = plan_of(project, org)
    assert not again.has_changes and again.changes == [], again.changes


def bulk_decisions_note(project: ExampleProject, count: int) -> Path:
    """A note with ``count`` accepted decisions (each a Feature__c record, none a Jira issue)."""
    lines = [
        "---",
        "title: Storage layout review",
        "date: '2025-11-13'",
        'account: "Fabrikam"',
        "decisions_accepted: true",
        "---",
        "",
        "# Storage layout review",
        "",
        "## Decisions",
        "",
        *(f"- Adopt layout option {n:03d} for shard group {n % 7}." for n in range(count)),
        "",
    ]
    path = project.vault / "2025-11-13-storage-layout-review.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def sf_rules(rfe_priorities: str = "", fields: str = "") -> str:
    """``[[salesforce.rules]]`` with the default routing; ``rfe_priorities`` replaces the RFE
    rule's priority map, ``fields`` every rule's field templates."""
    rfe = f"priority_map = {{ {rfe_priorities} }}\n" if rfe_priorities else ""
    templates = f"fields = {{ {fields} }}\n" if fields else ""
    return (
        '[[salesforce.rules]]\nname = "rfe"\nobject = "RFE__c"\n'
        'match = { tags_any = ["#rfe"] }\n' + rfe + templates + "\n"
        '[[salesforce.rules]]\nname = "feature"\nobject = "Feature__c"\n'
        'match = { kind = ["action", "decision"], tags_any = ["#feature"] }\n' + templates + "\n"
        '[[salesforce.rules]]\nname = "decision"\nobject = "Feature__c"\n'
        'match = { kind = ["decision"] }\n' + templates
    )


# ---- 1. the first sync -------------------------------------------------------------------------


def test_first_sync_creates_one_record_per_routed_item_cross_linked_with_jira(
    project: ExampleProject, org: Org
) -> None:
    config = config_of(project)
    before = routed(project, config)
    to_sf = [r for r in before if r.sobject]
    by_object = Counter(r.sobject for r in to_sf)
    # The example vault: one #rfe action, one #feature action, accepted decisions.
    assert by_object["RFE__c"] >= 1 and by_object["Feature__c"] >= 4
    assert any(r.jira for r in to_sf) and any(not r.jira for r in to_sf)
    originals = {
        (r.note.path, r.item.line): line_of(project, r.note.path, r.item.line) for r in before
    }
    files_before = files_of(project)

    result = sync(project, org)

    records, issues = org.records(), issues_by_id(project)
    assert len(records) == len(to_sf)
    assert len(issues) == sum(r.jira for r in before)
    assert result.applied["create"] == len(records) + len(issues)
    # One upsert request per object (sObject Collections take 200), no other write.
    assert sorted(path.rsplit("/", 2)[-2] for _, path, _ in org.writes) == sorted(by_object)
    assert all(method == "PATCH" for method, _, _ in org.writes)

    after = {(r.note.path, r.item.line): r for r in routed(project, config)}
    assert after.keys() == originals.keys()
    owned = 0
    for old in to_sf:
        new = after[(old.note.path, old.item.line)]
        block_id = new.item.block_id
        assert block_id and block_id.startswith("ps-")
        sobject, record = records[block_id]
        text = old.item.text
        assert sobject == old.sobject
        assert record["Plansync_Id__c"] == block_id
        assert record["Name"] == fitted(text, 80), block_id  # the Name field holds 80
        assert text in record["Description__c"]
        assert record.get("Due_Date__c") == (old.item.due.isoformat() if old.item.due else None)
        assert record.get("Priority__c") == PRIORITIES[old.item.priority]
        link = note_link(project, old.note.path, block_id)
        assert record["Note_Link__c"] == link
        assert record.get("Account__c") == old.note.front_matter.get("account")
        assert record["OwnerId"] == owner_id(config, old.item.owner), old.item.owner
        owned += record["OwnerId"] != API_USER.id

        issue = issues.get(block_id)
        assert (issue is not None) == old.jira
        jira_key = issue["key"] if issue else None
        assert record.get("Jira_Key__c") == jira_key
        assert new.item.keys == ({"jira": jira_key} if jira_key else {}) | {
            "salesforce": record["Id"]
        }
        lightning = org.lightning(sobject, record["Id"])
        if issue is not None:
            assert sorted((r["globalId"], r["object"]["url"]) for r in issue["remotelinks"]) == [
                (f"plansync:{block_id}", link),
                (f"plansync:salesforce:{block_id}", lightning),
            ]

        # Byte-wise: the original line, the key links inserted, the id at the end.
        line = line_of(project, old.note.path, old.item.line)
        inserted = [f"[{record['Id']}]({lightning})"]
        if jira_key:
            inserted.insert(0, f"[{jira_key}]({project.url}/browse/{jira_key})")
        for key_link in inserted:
            assert line.count(key_link) == 1, (line, key_link)
            if "📅" in line:
                assert line.index(key_link) < line.index("📅")
        stripped = line
        for key_link in inserted:
            stripped = stripped.replace(key_link + " ", "", 1)
        assert stripped == f"{originals[(old.note.path, old.item.line)]} ^{block_id}"
    assert owned >= 2  # @Marco Bellini's RFE and @Priya Raman's feature

    # Nothing but item lines changed.
    for path, data in files_before.items():
        relative = path.relative_to(project.vault).as_posix()
        old_lines, new_lines = data.split(b"\n"), path.read_bytes().split(b"\n")
        assert len(old_lines) == len(new_lines)
        for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=True), start=1):
            if (relative, number) not in originals:
                assert a == b, (relative, number)
    assert_synced(project, org, {p: strip_sync_marks(d) for p, d in files_before.items()})


# ---- 2. the second sync ------------------------------------------------------------------------


def test_second_sync_plans_nothing_and_only_reads_one_query_per_object_per_hundred_ids(
    project: ExampleProject, org: Org
) -> None:
    bulk_decisions_note(project, 130)  # past one IN list of 100 ids
    config = config_of(project)
    sync(project, org)
    to_sf = to_salesforce(project, config)
    ids = len(to_sf)
    assert ids > 100
    owners = {r.item.owner for r in to_sf if r.item.owner}
    notes, records = files_of(project), org.dump()

    def assert_only_reads() -> None:
        reads = [q for q in org.queries if " FROM User " not in q]
        lookups = [q for q in org.queries if " FROM User " in q]
        sent = Counter(re.search(r" FROM (\w+) ", q).group(1) for q in reads)  # type: ignore[union-attr]
        assert sent == {sobject: math.ceil(ids / 100) for sobject in OBJECTS}
        assert len(lookups) <= len(owners)  # an owner's user is looked up once a run
        assert org.writes == []
        stats = org.app.stats()
        assert stats["total"] == len(org.queries)  # no login, no describe, nothing else
        assert all(
            route.startswith("GET ") and route.endswith("/query") for route in stats["by_route"]
        )

    org.reset()
    again = plan_of(project, org)
    assert not again.has_changes and again.changes == []
    assert again.summary == summary_of()
    assert_only_reads()

    org.reset()
    result = sync(project, org)
    assert sum(result.applied.values()) == 0
    assert_only_reads()
    assert files_of(project) == notes
    assert org.dump() == records  # not even LastModifiedDate moved


# ---- 3. one field changes in a note ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "old", "new"),
    [
        (RFE_TEXT, "📅 2025-11-14 ⏫", "📅 2025-11-21 ⏫"),
        (FEATURE_TEXT, "📅 2025-11-19 ⏫", "📅 2025-12-03 ⏫"),
    ],
)
def test_a_due_date_edited_in_the_note_updates_exactly_that_field_in_both_systems(
    project: ExampleProject, org: Org, text: str, old: str, new: str
) -> None:
    sync(project, org)
    config = config_of(project)
    entry = item_with(project, config, text)
    block_id, jira_key = entry.item.block_id, entry.item.keys["jira"]
    assert block_id
    sobject, record = org.records()[block_id]
    records_before = org.dump()
    issue_before = project.issues()[jira_key]
    old_due, new_due = old.split()[1], new.split()[1]
    replace_once(project.vault / entry.note.path, old, new)

    plan = plan_of(project, org)
    assert plan.summary == summary_of(update=2)
    by_target = {c.target: c for c in plan.changes}
    assert by_target["jira"].key == jira_key
    assert by_target["jira"].fields == {"due": {"old": old_due, "new": new_due}}
    assert (by_target["salesforce"].key, by_target["salesforce"].sobject) == (record["Id"], sobject)
    assert by_target["salesforce"].fields == {"Due_Date__c": {"old": old_due, "new": new_due}}

    org.reset()
    result = sync(project, org, plan=plan)
    assert result.applied == {"update": 2}
    # One update by record Id, naming that field only (no upsert: an update never creates).
    ((method, path, body),) = org.writes
    assert (method, path.rsplit("/", 2)[-2:]) == ("PATCH", ["composite", "sobjects"])
    assert body["records"] == [
        {"attributes": {"type": sobject}, "id": record["Id"], "Due_Date__c": new_due}
    ]
    after = org.dump()
    for name, rows in after.items():
        for row, was in zip(rows, records_before[name], strict=True):
            if row["Id"] == record["Id"]:
                assert row["Due_Date__c"] == new_due
                row = {**row, "Due_Date__c": old_due, "LastModifiedDate": None}
                was = {**was, "LastModifiedDate": None}
            assert row == was
    issue = project.issues()[jira_key]
    assert issue["fields"]["duedate"] == new_due
    assert {**issue["fields"], "duedate": old_due, "updated": None} == {
        **issue_before["fields"],
        "updated": None,
    }
    assert not plan_of(project, org).has_changes


@pytest.mark.parametrize("typo", ["📅 2025-11-41 ⏫", "📅 TBD ⏫", "📅 2025-13-14 ⏫"])
def test_a_due_date_that_cannot_be_read_leaves_both_systems_dates_alone_until_fixed(
    project: ExampleProject, org: Org, typo: str
) -> None:
    """A one-key typo (📅 2025-11-41) planned "due: 2025-11-14 -> (none)" and
    "Due_Date__c: 2025-11-14 -> (none)", which a cron sync sent: the date was gone in both
    systems. An unreadable date is not compared; fixed, it is an update as any other."""
    sync(project, org)
    config = config_of(project)
    entry = item_with(project, config, RFE_TEXT)
    block_id, jira_key = entry.item.block_id, entry.item.keys["jira"]
    assert block_id
    path = project.vault / entry.note.path
    replace_once(path, "📅 2025-11-14 ⏫", typo)

    plan = plan_of(project, org)
    assert not plan.changes
    where = f"{entry.note.path}:{entry.item.line}"
    (warning,) = [w for w in plan.warnings if w.startswith(where)]
    assert warning.endswith(
        "read as no due date, and none is sent: Jira and Salesforce keep the date they have"
    )
    sync(project, org)
    assert project.issues()[jira_key]["fields"]["duedate"] == "2025-11-14"
    assert org.records()[block_id][1]["Due_Date__c"] == "2025-11-14"

    replace_once(path, typo, "📅 2025-11-21 ⏫")
    plan = plan_of(project, org)
    assert sorted((c.target, c.action, c.fields) for c in plan.changes) == [
        ("jira", "update", {"due": {"old": "2025-11-14", "new": "2025-11-21"}}),
        ("salesforce", "update", {"Due_Date__c": {"old": "2025-11-14", "new": "2025-11-21"}}),
    ]


# ---- 4. a crash between the Jira create and the Salesforce upsert ------------------------------


CRASH_POINTS = [
    ("ids_written", 1),
    ("looked_up", 1),  # the Jira batch looked up, nothing made
    ("created", 1),  # issues made, their keys never stored
    ("keys_stored", 1),  # issues made, their keys stored but never committed
    ("looked_up", 2),  # the Salesforce batch looked up: issues made, no record yet
    ("create_batch_done", 1),  # the Jira batch done: the same moment, seen from Jira
    ("created", 2),  # records upserted, their Ids never stored
    ("keys_stored", 2),  # records upserted, their Ids stored but never committed
    ("create_batch_done", 2),
    ("keys_written", 1),
    ("results_stored", 1),  # the cross-links made, recorded but never committed
    ("links", 1),  # the cross-links made, not recorded as made
    ("updates", 1),
    ("moves_stored", 1),  # the moves asked recorded but never committed, none sent
    ("transitions", 1),
]


def test_the_crash_points_between_the_backends_are_every_step_of_apply() -> None:
    assert {step for step, _ in CRASH_POINTS} == set(CHECKPOINTS)
    assert {step for step, _ in STEPS} == set(CHECKPOINTS)


@pytest.mark.parametrize(("step", "nth"), CRASH_POINTS, ids=[f"{s}-{n}" for s, n in CRASH_POINTS])
def test_a_sync_killed_between_the_backends_then_run_again_ends_cross_linked(
    project: ExampleProject, org: Org, step: str, nth: int
) -> None:
    before = files_of(project)
    with pytest.raises(Crash):
        run(project, org, checkpoint=crash_at(step, nth))
    if (step, nth) == ("looked_up", 2):
        assert len(issues_by_id(project)) > 0 and org.records() == {}

    sync(project, org)
    assert_synced(project, org, before)


def test_the_lines_of_a_note_edited_after_the_plan_wait_in_both_systems(
    project: ExampleProject, org: Org
) -> None:
    """The escalation note's #rfe line goes to Jira and to Salesforce, whose record carries the
    key its issue gets. The note edited after the plan: neither is made, nor the links and key
    write-backs that follow them, nor anything of the note's other lines; the other notes'
    lines are made in both systems, cross-linked; the next sync makes the rest, one record of
    each an item (killed in between, as often, and run again: still one)."""
    config = config_of(project)
    planned = plansync.plan(config, salesforce=org.connector(config))
    contoso = project.note("contoso")
    replace_once(contoso, "📅 2025-11-05 🔺", "📅 2025-11-06 🔺")
    before = files_of(project)
    result = run(project, org, plan=planned)

    assert result.errors == [] and not result.ok
    assert result.warnings == [
        f"{contoso.name} changed since the plan was made; its changes are left for the next sync"
    ]
    waiting = [o for o in result.outcomes if o.item.note == contoso.name]
    assert {(o.action, o.target) for o in waiting} == {
        ("write_back", "note"),
        ("create", "jira"),
        ("create", "salesforce"),
        ("link", "jira"),
    }
    assert all(o.status == "skipped" and o.note_changed for o in waiting)
    assert contoso.read_bytes() == before[contoso]
    rfe = item_with(project, config, RFE_TEXT)
    assert rfe.item.block_id is None
    made = [r for r in routed(project, config) if r.note.path != contoso.name]
    records, issues = org.records(), issues_by_id(project)
    assert set(records) == {r.item.block_id for r in made if r.sobject}
    assert set(issues) == {r.item.block_id for r in made if r.jira}
    feature = item_with(project, config, FEATURE_TEXT)  # in both systems, cross-linked
    assert records[feature.item.block_id or ""][1]["Jira_Key__c"] == feature.item.keys["jira"]

    with pytest.raises(Crash):
        run(project, org, checkpoint=crash_at("created", 2))  # Salesforce's create
    sync(project, org)
    assert_synced(project, org, before)


def test_an_upsert_whose_answer_is_lost_is_sent_again_without_a_second_record(
    project: ExampleProject, org: Org
) -> None:
    before = files_of(project)
    org.app.configure_faults(
        {"fail_next": [{"drop": "after_commit", "path_contains": "/composite/sobjects/"}]}
    )
    config = config_of(project)
    result = plansync.apply(config, salesforce=org.connector(config, sleep=lambda _: None))
    assert result is not None and result.ok, [str(e) for e in result.errors]
    # The server saw one upsert more than per object (the one whose answer was lost), and the
    # client heard one answer per object.
    routes = org.app.stats()["by_route"]
    assert routes[UPSERT_ROUTE] == len(OBJECTS) + 1
    assert len([p for _, p, _ in org.writes if p.endswith("/Plansync_Id__c")]) == len(OBJECTS)
    assert_synced(project, org, before)


def test_upserts_whose_answers_stay_lost_failed_with_their_call_and_the_next_sync_keeps_them(
    project: ExampleProject, org: Org
) -> None:
    """The upserts of one object lost their answers past the retries: those creates failed
    with the call, and may exist (they do); the other object's were answered (made) or never
    sent, and say so, not "failed". The next sync finds the records, makes none twice."""
    before = files_of(project)
    lost = {"drop": "after_commit", "path_contains": "RFE__c/Plansync_Id__c", "count": 2}
    org.app.configure_faults({"fail_next": [lost]})
    config = config_of(project)
    connector = org.connector(config, sleep=lambda _: None, max_retries=1)
    result = plansync.apply(config, salesforce=connector)
    made = org.records()
    rfe = {block_id for block_id, (sobject, _) in made.items() if sobject == "RFE__c"}
    assert rfe, made
    creates = [o for o in result.outcomes if o.action == "create" and o.target == "salesforce"]
    of_rfe = [o for o in creates if label_for(o.item.block_id or "") in rfe]
    assert {(o.status, o.whole_call, o.maybe_done, o.message) for o in of_rfe} == {
        ("failed", True, True, "sent; the answer was lost — the next sync finds it by its id")
    }
    others = [o for o in creates if o not in of_rfe]
    assert others and all(
        o.status == "applied" or (o.message or "").startswith("not sent: Salesforce failed")
        for o in others
    )
    sync(project, org)
    assert_synced(project, org, before)


def test_a_create_refused_for_its_second_object_still_tracks_the_first_objects_records(
    project: ExampleProject, org: Org, lookup_waits: Sleeps
) -> None:
    """One create call sends a request per object. The second refused with a 403 (the daily
    limit) came after the first's records were made: the run must not take the call for one
    that made nothing. Its journal stays open, so the next run finds those records, even one
    whose line was deleted in between (an orphan, as any record whose line is gone)."""
    org.app.configure_faults(
        {
            "fail_next": [
                {
                    "status": 403,
                    "error_code": "REQUEST_LIMIT_EXCEEDED",
                    "path_contains": "Feature__c",
                    "method": "PATCH",  # the create, not the plan's describe of the object
                }
            ]
        }
    )
    result = run(project, org)
    assert [(e.target, e.action) for e in result.errors] == [("salesforce", "create")]
    made = org.records()
    assert made and {sobject for sobject, _ in made.values()} == {"RFE__c"}
    # The first object's records are applied in this run (the call answered them), not
    # "not sent"; the second's failed with the call, which had made others, so may exist.
    creates = [o for o in result.outcomes if o.action == "create" and o.target == "salesforce"]
    assert {o.key for o in creates if o.status == "applied"} == {
        row["Id"] for _, row in made.values()
    }
    assert {(o.status, o.maybe_done) for o in creates if o.status != "applied"} == {
        ("failed", True)
    }
    with open_state(config_of(project).state_dir) as state:
        (entry,) = state.in_flight("salesforce")
    assert set(entry.block_ids) >= set(made)

    config = config_of(project)
    gone = next(e for e in to_salesforce(project, config) if e.item.block_id in made)
    note = project.vault / gone.note.path
    lines = note.read_text(encoding="utf-8").split("\n")
    del lines[gone.item.line - 1]
    note.write_text("\n".join(lines), encoding="utf-8")
    sync(project, org)

    orphans = [c for c in plan_of(project, org).changes if c.action == "orphan"]
    assert {(c.target, c.key) for c in orphans} >= {
        ("salesforce", made[gone.item.block_id][1]["Id"])
    }
    assert len(org.records()) == len(made) + len(
        [e for e in to_salesforce(project, config_of(project)) if e.item.block_id not in made]
    )


def test_a_record_reported_failed_but_made_all_the_same_is_found_and_kept(
    project: ExampleProject, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upsert resent after a timeout made the record, yet answered UNABLE_TO_LOCK_ROW: the
    sync looks such a record up before closing its create, keeps it and writes its key back,
    where it reported a failure, and the record was known to no one once its line went."""
    before = files_of(project)
    real = SalesforceConnector.create_many
    lock = "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record"

    def made_but_refused(self: SalesforceConnector, records: list[Any]) -> list[OpResult]:
        results = real(self, records)
        return [OpResult(ok=False, error=lock, maybe_done=True), *results[1:]]

    monkeypatch.setattr(SalesforceConnector, "create_many", made_but_refused)
    result = sync(project, org)
    assert any((o.message or "").startswith("made all the same") for o in result.outcomes)
    monkeypatch.setattr(SalesforceConnector, "create_many", real)
    assert_synced(project, org, before)


def test_a_failed_look_up_after_a_create_keeps_what_the_call_answered(
    project: ExampleProject, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reviewer's finding: a create answered in a way that may hide a record made all the
    same, then its look-up failed (a 502 past the retries). The run reported every create of
    the call "not sent" and stored none, while the org held them all. The creates the call
    answered are stored and their keys written back; the unsure one fails naming its line,
    as maybe made; the next sync finds it by its id and makes none twice."""
    before = files_of(project)
    real = SalesforceConnector.create_many
    lock = "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record"
    queries_fail = {"status": 502, "method": "GET", "path_contains": "/query", "count": 2}

    def made_but_refused(self: SalesforceConnector, records: list[Any]) -> list[OpResult]:
        results = real(self, records)
        org.app.configure_faults({"fail_next": [queries_fail]})  # the look-up that follows
        return [OpResult(ok=False, error=lock, maybe_done=True), *results[1:]]

    monkeypatch.setattr(SalesforceConnector, "create_many", made_but_refused)
    config = config_of(project)
    connector = org.connector(config, sleep=lambda _: None, max_retries=1)
    result = plansync.apply(config, salesforce=connector)
    monkeypatch.setattr(SalesforceConnector, "create_many", real)

    made = org.records()
    creates = [o for o in result.outcomes if o.action == "create" and o.target == "salesforce"]
    assert len(creates) == len(made) > 1, "one call made them all"
    unsure, *answered = creates
    assert (unsure.status, unsure.whole_call, unsure.maybe_done) == ("failed", False, True)
    assert unsure.message == (
        f"{lock}; it may have been made all the same, and looking it up failed (see the"
        " errors) — the next sync finds it by its id"
    )
    assert {(o.status, o.key) for o in answered} == {
        ("applied", made[o.item.block_id or ""][1]["Id"]) for o in answered
    }
    assert [(e.target, e.action, e.note is None) for e in result.errors] == [
        ("salesforce", "create", False),
        ("salesforce", "create", True),
    ]
    assert "502" in result.errors[1].message
    written = {e.item.block_id: e.item.keys for e in to_salesforce(project, config)}
    assert all(written[o.item.block_id]["salesforce"] == o.key for o in answered)
    assert "salesforce" not in written[unsure.item.block_id]
    with open_state(config.state_dir) as state:
        (entry,) = state.in_flight("salesforce")
        assert unsure.item.block_id in entry.block_ids

    again = sync(project, org)
    assert [o.item.block_id for o in again.outcomes if o.action == "create"] == []
    assert_synced(project, org, before)
    with open_state(config.state_dir) as state:
        assert state.in_flight() == []


def test_rows_locked_by_another_transaction_are_retried_within_the_run(
    project: ExampleProject, org: Org
) -> None:
    """Another transaction (a trigger, a roll-up, an integration) holds the rows of two new
    records as the sync writes them: Salesforce refuses both with UNABLE_TO_LOCK_ROW, one of
    them after saving it. After one short wait the two go again, alone, in one request; each
    item ends with exactly one record, its key written back, and the run reports no failure."""
    before = files_of(project)
    config = config_of(project)
    plan = plan_of(project, org)
    creates = [c for c in plan.changes if c.action == "create" and c.sobject == "Feature__c"]
    locked = [label_for(c.item.block_id or "") for c in creates[:2]]
    assert len(locked) == 2
    org.app.configure_faults(
        {
            "fail_next": [
                {"records": [locked[0]]},
                {"records": [locked[1]], "committed": True},
            ]
        }
    )
    org.reset()
    sleeps = Sleeps()
    result = plansync.apply(config, plan, salesforce=org.connector(config, sleep=sleeps))
    assert result.ok, [str(e) for e in result.errors]
    upserts = [b["records"] for _, p, b in org.writes if "/Feature__c/" in p]
    assert [len(records) for records in upserts] == [len(creates), 2]
    assert [r["Plansync_Id__c"] for r in upserts[1]] == locked
    assert sleeps == [1.0]
    assert_synced(project, org, before)


def test_an_update_whose_row_stays_locked_fails_naming_its_line_and_the_next_sync_sends_it(
    project: ExampleProject, org: Org
) -> None:
    """A lock held past the retries (a long job): the update fails for this run, naming the
    note line and saying it was retried; the next sync, the lock gone, sends it."""
    config, entry, block_id = synced_item(project, org, RFE_TEXT)
    record_id = org.records()[block_id][1]["Id"]
    replace_once(project.vault / entry.note.path, "📅 2025-11-14 ⏫", "📅 2025-11-21 ⏫")
    org.app.configure_faults({"fail_next": [{"records": [record_id], "count": 3}]})
    org.reset()
    sleeps = Sleeps()
    result = plansync.apply(config, salesforce=org.connector(config, sleep=sleeps))
    (error,) = result.errors
    assert (error.note, error.line, error.action) == (entry.note.path, entry.item.line, "update")
    assert error.message.startswith("UNABLE_TO_LOCK_ROW")
    assert error.message.endswith("(retried 2 times; still locked)")
    updates = [b["records"] for m, p, b in org.writes if p.endswith("/composite/sobjects")]
    assert [[r["id"] for r in records] for records in updates] == [[record_id]] * 3
    assert sleeps == [1.0, 2.0]
    sync(project, org)
    assert org.records()[block_id][1]["Due_Date__c"] == "2025-11-21"


def test_an_update_salesforce_answers_500_fails_its_line_as_maybe_done(
    project: ExampleProject, org: Org
) -> None:
    """A user test found a 5xx to a write reported as not done (``maybe_done=False``), though
    Salesforce may have saved the records before failing the request: the update fails
    naming its line, may be done, says the next plan shows whether it was, and is not resent
    within the run (a write's 500 is not a read's); the next sync sends it."""
    _, entry, block_id = synced_item(project, org, RFE_TEXT)
    record_id = org.records()[block_id][1]["Id"]
    replace_once(project.vault / entry.note.path, "📅 2025-11-14 ⏫", "📅 2025-11-21 ⏫")
    org.app.configure_faults(
        {"fail_next": [{"status": 500, "path_contains": "/composite/sobjects", "method": "PATCH"}]}
    )
    org.reset()
    result = run(project, org)
    (failed,) = [o for o in result.outcomes if o.status == "failed"]
    assert (failed.target, failed.action, failed.key) == ("salesforce", "update", record_id)
    assert (failed.whole_call, failed.maybe_done) == (False, True)
    message = failed.message or ""
    assert message.startswith("Salesforce answered 500 to updating")
    assert message.endswith(" — the next plan shows whether it was done")
    (error,) = result.errors
    assert (error.note, error.line, error.message) == (entry.note.path, entry.item.line, message)
    assert len([p for m, p, b in org.writes if p.endswith("/composite/sobjects")]) == 1
    sync(project, org)
    assert org.records()[block_id][1]["Due_Date__c"] == "2025-11-21"


# ---- 5. one record refused inside a 200 --------------------------------------------------------


def test_a_record_refused_inside_a_200_names_its_line_and_the_others_are_created(
    project: ExampleProject, org: Org
) -> None:
    (project.vault / "2025-11-13-rfe-intake.md").write_text(
        "---\ntitle: RFE intake\ndate: '2025-11-13'\naccount: \"Fabrikam\"\n---\n\n"
        "## Action Items\n\n"
        "- [ ] Export bucket inventory as Parquet @Dana Okafor 📅 2025-12-01 🔼 #rfe\n"
        "- [ ] Show per-tenant egress in the usage report 🔽 #rfe\n"
        "- [ ] Allow lifecycle rules on object tags #rfe\n",
        encoding="utf-8",
    )
    project.write_config(salesforce=True)
    config = config_of(project)
    bad = item_with(project, config, RFE_TEXT)
    rfes = [r for r in to_salesforce(project, config) if r.sobject == "RFE__c"]
    assert len(rfes) == 4
    total = len(to_salesforce(project, config))
    # A validation rule of the org's refuses it (a priority the picklist lacks is refused by
    # the plan before: a value of the config, not of one record).
    plan = plan_of(project, org)
    [bad_id] = [
        c.item.block_id
        for c in plan.changes
        if (c.action, c.target, c.item.text) == ("create", "salesforce", bad.item.text)
    ]
    refused = {
        "records": [label_for(bad_id or "")],
        "error_code": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    }
    org.app.configure_faults({"fail_next": [refused]})

    result = run(project, org, plan=plan)
    (error,) = result.errors
    assert (error.note, error.line, error.action) == (bad.note.path, bad.item.line, "create")
    assert "FIELD_CUSTOM_VALIDATION_EXCEPTION" in error.message
    assert str(error).startswith(f"{bad.note.path}:{bad.item.line}: salesforce create failed: ")
    assert error.target == "salesforce"  # the item went to Jira too: which one failed
    # The four RFEs went in one request, answered 200 with one failure among the results.
    rfe_upserts = [b for _, p, b in org.writes if "/RFE__c/" in p]
    assert [len(b["records"]) for b in rfe_upserts] == [4]
    records = org.records()
    assert len(records) == total - 1
    failed = item_with(project, config, RFE_TEXT)
    assert failed.item.block_id not in records
    assert "salesforce" not in failed.item.keys and "jira" in failed.item.keys
    assert all(
        "salesforce" in r.item.keys
        for r in to_salesforce(project, config)
        if r.item.block_id != failed.item.block_id
    )
    # The other RFEs, each with its own priority.
    priorities = {
        row["Name"]: row.get("Priority__c") for obj, row in records.values() if obj == "RFE__c"
    }
    assert priorities == {
        "Export bucket inventory as Parquet": "Medium",
        "Show per-tenant egress in the usage report": "Low",
        "Allow lifecycle rules on object tags": None,
    }
    plan = plan_of(project, org)
    assert plan.summary["create"] == 1
    assert [c.target for c in plan.changes if c.action == "create"] == ["salesforce"]

    # The rule no longer refusing it, the next sync creates it, with its Jira key, and links
    # the issue to it.
    before = {p: strip_sync_marks(d) for p, d in files_of(project).items()}
    sync(project, org)
    assert_synced(project, org, before)


def test_a_priority_the_restricted_picklist_lacks_fails_the_plan_naming_its_key(
    project: ExampleProject, org: Org
) -> None:
    """``priority_map = { high = "P1" }`` into a restricted picklist: each record with it was
    refused at the sync, naming the field and the value but not the setting (a user test)."""
    project.write_config(sf_rules(rfe_priorities='high = "P1", low = "Low"'), salesforce=True)
    with pytest.raises(plansync.ConfigError) as failed:
        plan_of(project, org)
    message = str(failed.value)
    assert (
        "salesforce.rules[0].priority_map.high: 'P1' is not a value of the restricted picklist"
        " RFE__c.Priority__c (Highest, High, Medium, Low, Lowest): Salesforce refuses it"
    ) in message
    assert "priority_map.low" not in message
    assert org.records() == {}


def test_status_values_the_picklist_lacks_are_said_naming_their_keys(
    project: ExampleProject, org: Org
) -> None:
    """The starter config's cancelled = "Cancelled" (a default here) went into a picklist
    without it, unseen: Salesforce takes any value in one that is not restricted (a user
    test). Asked only of the objects a plan writes to, once a plan has something to write."""
    with_status_field(project, 'reopen = "Open"', open_values='"Planned", "In Review"')
    _config, feature, _ = synced_item(project, org, FEATURE_TEXT)
    org.reset()
    plan = plan_of(project, org)
    assert not plan.has_changes
    assert org.described == []  # nothing to write

    path = project.vault / feature.note.path
    replace_once(path, f"- [ ] {FEATURE_TEXT}", f"- [x] {FEATURE_TEXT}")
    plan = plan_of(project, org)
    lacks = "is not a value of the picklist Feature__c.Status__c"
    said = {w.split(":")[0]: w for w in plan.warnings if lacks in w}
    assert set(said) == {
        "salesforce.status_values.cancelled (its default)",
        "salesforce.status_values.reopen",
        "salesforce.open_status_values",
    }
    assert "'In Review' is not a value" in said["salesforce.open_status_values"]
    assert said["salesforce.status_values.reopen"] == (
        "salesforce.status_values.reopen: 'Open' is not a value of the picklist"
        " Feature__c.Status__c (New, Under Review, Planned, In Progress, Done, Declined):"
        " Salesforce takes it, the picklist not being restricted, but no one can pick it there"
    )
    assert not any("RFE__c" in w for w in plan.warnings)  # no change writes there
    assert org.described == ["Feature__c"]
    sync(project, org, plan=plan)


# ---- 6. quotes and backslashes -----------------------------------------------------------------

HOSTILE_NOTE = """---
title: Review of O'Brien's "draft"
date: '2025-11-14'
account: "O'Brien \\"Holdings\\" \\\\ Ltd"
---

## Action Items

- [ ] Review O'Brien's "draft" \\ path and C:\\\\temp\\'s notes @O'Brien 📅 2025-12-01 ⏫ #rfe #it's
- [ ] Escape ' OR Name != ' and \\' OR \\\\' in SOQL @Myself 🔼 #feature #x\\y
"""
OBRIEN = SfUser(salesforce_id("005", 99), "Siobhan O'Brien", "o'brien@example.com")


def test_a_long_line_of_emoji_is_cut_to_fit_jiras_and_salesforces_limits_as_they_count(
    project: ExampleProject, org: Org
) -> None:
    """Jira and Salesforce count a field's length in UTF-16 units, where an emoji is two: a
    summary cut at 255 characters, or a Name at 80, was refused at every sync. Cut, each ends
    in "…" after the last whole emoji that fits."""
    text = "Launch " + "🚀 " * 150
    (project.vault / "2025-11-20-launch.md").write_text(
        f"---\ntitle: Launch\ndate: '2025-11-20'\n---\n\n## Action Items\n\n- [ ] {text}#rfe\n",
        encoding="utf-8",
    )
    sync(project, org)
    config = config_of(project)
    launch = item_with(project, config, "Launch 🚀")
    issue = issues_by_id(project)[launch.item.block_id]
    _, record = org.records()[launch.item.block_id]
    for value, limit in ((issue["fields"]["summary"], 255), (record["Name"], 80)):
        assert value.endswith("🚀…") and text.startswith(value.removesuffix("…")), value
        assert limit - 3 <= len(value.encode("utf-16-le")) // 2 <= limit, value


def test_a_note_link_longer_than_its_url_field_fails_saying_which_field_to_lengthen(
    project: ExampleProject, org: Org
) -> None:
    """Percent-encoded, each umlaut of a path is 6 characters: an ordinary German folder and
    note name made a link over the 255 a URL field holds, refused at every sync."""
    folder = project.vault / "Kunden" / "Müller & Söhne GmbH" / "Gespräche über Verzögerungen"
    folder.mkdir(parents=True)
    name = "2025-11-24 Kundengespräch mit Frau Müller – Replikationsverzögerung und Schritte.md"
    (folder / name).write_text(
        "---\ntitle: Kundengespräch\n---\n\n## Action Items\n\n"
        "- [ ] Replikationsverzögerung je Bucket im Dashboard zeigen #rfe\n",
        encoding="utf-8",
    )
    result = run(project, org)
    (error,) = result.errors
    assert error.note.endswith(name) and "Note_Link__c: STRING_TOO_LONG" in error.message
    assert error.message.endswith(
        "(make the field longer in RFE__c: a URL field holds 255 characters, a Long Text Area"
        " more; see config/salesforce.toml)"
    )


def test_quotes_and_backslashes_reach_salesforce_intact_and_never_change_a_query(
    project: ExampleProject, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(salesforce_app, "USERS", [*salesforce_app.USERS, OBRIEN])
    (project.vault / "2025-11-14-obrien-review.md").write_text(HOSTILE_NOTE, encoding="utf-8")
    templates = (
        'Name = "{text}", Description__c = "{text}|{owner}|{tags}|{account}", '
        'Due_Date__c = "{due}", Priority__c = "{priority}", Account__c = "{account}"'
    )
    project.write_config(sf_rules(fields=templates), salesforce=True)
    text = project.config_path.read_text(encoding="utf-8")
    users = '[users]\n"O\'Brien" = { email = "o\'brien@example.com" }\n'
    project.config_path.write_text(text.replace("[users]\n", users, 1), encoding="utf-8")
    config = config_of(project)
    hostile = [r for r in routed(project, config) if r.note.path.endswith("obrien-review.md")]
    texts = [r.item.text for r in hostile]
    assert texts == [
        "Review O'Brien's \"draft\" \\ path and C:\\\\temp\\'s notes",
        "Escape ' OR Name != ' and \\' OR \\\\' in SOQL",
    ]
    assert [r.item.owner for r in hostile] == ["O'Brien", "Myself"]
    assert hostile[0].item.tags == ["#rfe", "#it's"] and "#x\\y" in hostile[1].item.tags
    account = 'O\'Brien "Holdings" \\ Ltd'
    assert hostile[0].note.front_matter["account"] == account
    before = files_of(project)

    sync(project, org)

    records = org.records()
    assert len(records) == len(to_salesforce(project, config))
    issues = issues_by_id(project)
    synced = [r for r in routed(project, config) if r.note.path.endswith("obrien-review.md")]
    assert [r.item.text for r in synced] == texts  # the keys went in, the text reads the same
    hostile = synced
    for entry in hostile:
        block_id = entry.item.block_id
        assert block_id
        # Routed by its tag as written, to the object its tags say.
        sobject, record = records[block_id]
        assert sobject == entry.sobject
        assert record["Name"] == entry.item.text
        tags = " ".join(entry.item.tags)
        owner = owner_name(entry.item.owner or "", config.myself)  # @Myself: whom 'myself' names
        assert record["Description__c"] == f"{entry.item.text}|{owner}|{tags}|{account}"
        assert record["Account__c"] == account
        assert issues[block_id]["fields"]["summary"] == entry.item.text
    # The owner's quoted e-mail found the one user who has it.
    assert records[hostile[0].item.block_id or ""][1]["OwnerId"] == OBRIEN.id
    assert records[hostile[1].item.block_id or ""][1]["OwnerId"] == API_USER.id
    assert_synced(project, org, before)

    # Straight at the connector: the reads return exactly the ids asked for...
    connector = org.connector(config)
    org.reset()
    wanted = sorted(records)
    tricks = [
        "ps-none' OR Plansync_Id__c != 'x",
        "ps-none\\' OR Plansync_Id__c != \\'x",
        "' OR Name != '",
        "ps-%",
        "\\",
        "'",
    ]
    assert connector.fetch_by_ids(tricks) == {}
    found = connector.fetch_by_ids([*tricks, *wanted[:3]])
    assert sorted(found) == wanted[:3]
    for plansync_id, remote in found.items():
        assert remote.fields["Name"] == records[plansync_id][1]["Name"]
    # ... and a user is looked up by exactly the e-mail given.
    assert connector.find_users("o'brien@example.com") == (OBRIEN.id,)
    assert connector.find_users("O'BRIEN@example.com") == (OBRIEN.id,)  # e-mails ignore case
    hostile_emails = [
        "x' OR Email != 'y",
        "o\\'brien@example.com",
        "o'brien@example.com' OR IsActive = true OR Email = '",
        "o\\\\'brien@example.com",
        "%@example.com",
    ]
    for email in hostile_emails:
        assert connector.find_users(email) == (), email
    # Each query, as the org reads it, asks what it was meant to: the values arrive whole.
    asked_ids = [(o, ids) for ids in (tricks, [*tricks, *wanted[:3]]) for o in OBJECTS]
    asked_emails = ["o'brien@example.com", *hostile_emails]  # the upper-case one was cached
    for soql in map(parse_soql, org.queries):
        where = [(c.field.text, c.operator, [v.value for v in c.values]) for c in soql.conditions]
        if soql.sobject.text == "User":
            assert where == [("Email", "=", [asked_emails.pop(0)]), ("IsActive", "=", [True])]
        else:
            assert [(name, op) for name, op, _ in where] == [("Plansync_Id__c", "in")]
            assert (soql.sobject.text, where[0][2]) == asked_ids.pop(0)
    assert asked_ids == [] and asked_emails == []


# ---- 7. a lost state store ---------------------------------------------------------------------


def test_a_lost_state_store_is_rebuilt_without_creating_anything_anywhere(
    project: ExampleProject, org: Org
) -> None:
    before = files_of(project)
    sync(project, org)
    records, issues = org.records(), project.issues()
    notes = files_of(project)
    for file in project.state_db.parent.glob("state.db*"):
        file.unlink()

    plan = plan_of(project, org)
    assert plan.summary["create"] == 0 and plan.summary["conflict"] == 0
    org.reset()
    result = sync(project, org, plan=plan)
    assert "create" not in result.applied
    assert not [p for _, p, _ in org.writes if p.endswith("/Plansync_Id__c")]  # no upsert
    after = org.records()
    assert {k: (o, r["Id"]) for k, (o, r) in after.items()} == {
        k: (o, r["Id"]) for k, (o, r) in records.items()
    }
    assert project.issues().keys() == issues.keys()
    assert files_of(project) == notes
    assert_synced(project, org, before)  # one note link and one record link each, no more
    config = config_of(project)
    with plansync.engine.run_lock.open_state(config.state_dir, lock=False) as state:
        assert len(state.records("salesforce")) == len(to_salesforce(project, config))
        assert len(state.records("jira")) == len(issues)


# ---- more: the cross-link when the Jira side comes later ---------------------------------------


def test_a_jira_create_that_failed_fills_the_records_jira_key_on_the_next_sync(
    project: ExampleProject, org: Org
) -> None:
    """The record is made without a Jira key while its issue is refused; once the issue
    exists, the record gets the key (not a placeholder) and the issue links to it."""
    text = project.config_path.read_text(encoding="utf-8")
    bad_rule = (
        '[[rules]]\nname = "customer requests"\nproject = "PLAN"\n'
        'priority_map = { high = "Urgent" }\n[rules.match]\ntags_any = ["#rfe"]\n\n'
    )
    project.config_path.write_text(text.replace("[[rules]]", bad_rule + "[[rules]]", 1), "utf-8")
    config = config_of(project)
    entry = item_with(project, config, RFE_TEXT)
    before = files_of(project)

    result = run(project, org)
    (error,) = result.errors
    assert (error.note, error.line, error.action) == (entry.note.path, entry.item.line, "create")
    entry = item_with(project, config, RFE_TEXT)
    assert entry.item.block_id and "jira" not in entry.item.keys
    _, record = org.records()[entry.item.block_id]
    assert record.get("Jira_Key__c") is None
    assert entry.item.keys["salesforce"] == record["Id"]

    project.write_config(salesforce=True)
    plan = plan_of(project, org)
    creates = [c for c in plan.changes if c.action == "create"]
    assert [c.target for c in creates] == ["jira"]
    sync(project, org, plan=plan)
    key = item_with(project, config, RFE_TEXT).item.keys["jira"]
    _, record = org.records()[entry.item.block_id]
    assert record.get("Jira_Key__c") == key
    assert_synced(project, org, before)


def test_an_item_tagged_rfe_after_it_went_to_jira_gets_a_record_with_its_key(
    project: ExampleProject, org: Org
) -> None:
    sync(project, org)
    config = config_of(project)
    runbook = "Write the runbook for changing object-lock retention"
    entry = item_with(project, config, runbook)
    assert entry.sobject is None and entry.item.block_id
    key = entry.item.keys["jira"]
    replace_once(project.vault / entry.note.path, "🔼 #task", "🔼 #task #rfe")
    before = {p: strip_sync_marks(d) for p, d in files_of(project).items()}

    plan = plan_of(project, org)
    assert plan.summary == summary_of(create=1, link=1, write_back=1)
    (create,) = [c for c in plan.changes if c.action == "create"]
    assert (create.target, create.sobject) == ("salesforce", "RFE__c")
    assert create.fields["Jira_Key__c"] == key
    sync(project, org, plan=plan)
    _, record = org.records()[entry.item.block_id]
    assert record["Jira_Key__c"] == key
    assert_synced(project, org, before)


def test_a_renamed_note_moves_the_record_links_and_keeps_the_cross_link(
    project: ExampleProject, org: Org
) -> None:
    _config, entry, block_id = synced_item(project, org, RFE_TEXT)
    (project.vault / "archive").mkdir()
    moved = "archive/contoso.md"
    (project.vault / entry.note.path).rename(project.vault / moved)
    before = {p: strip_sync_marks(d) for p, d in files_of(project).items()}

    plan = plan_of(project, org)
    updates = [c for c in plan.changes if c.action == "update" and c.target == "salesforce"]
    # The RFE: its link to the line and its description (which names the link) follow the note.
    (update,) = [c for c in updates if c.item.block_id == block_id]
    assert set(update.fields) == {"Note_Link__c", "Description__c"}
    assert update.fields["Note_Link__c"]["new"] == note_link(project, moved, block_id)
    # The record is the same, so the issue's link to it is not planned again.
    assert not [c for c in plan.changes if c.global_id]
    sync(project, org, plan=plan)
    _, record = org.records()[block_id]
    assert record["Note_Link__c"] == note_link(project, moved, block_id)
    assert_synced(project, org, before)


def test_a_reworded_item_retitles_the_issues_link_to_its_record(
    project: ExampleProject, org: Org
) -> None:
    _config, entry, block_id = synced_item(project, org, RFE_TEXT)
    global_id = f"plansync:salesforce:{block_id}"

    def cross_link_title() -> str:
        links = issues_by_id(project)[block_id]["remotelinks"]
        (link,) = [r for r in links if r["globalId"] == global_id]
        return str(link["object"]["title"])

    assert cross_link_title() == f"Salesforce: {RFE_TEXT}"
    replace_once(project.vault / entry.note.path, RFE_TEXT, "Show replication lag per bucket")
    plan = plan_of(project, org)
    (link,) = [c for c in plan.changes if c.global_id == global_id]
    assert link.fields["record"]["old"] == link.fields["record"]["new"]  # the same record
    assert link.fields["title"]["new"] == "Salesforce: Show replication lag per bucket"
    sync(project, org, plan=plan)
    assert cross_link_title() == "Salesforce: Show replication lag per bucket"
    assert not plan_of(project, org).changes


def contract_fields_are_values_or_old_and_new(plan: Plan) -> None:
    """DESIGN.md: a change's ``fields`` are ``{name: {"old", "new"}}`` for a change, and the
    values for a create; a JSON reader walks them without knowing what apply needs."""
    for change in plan.to_contract()["changes"]:
        pairs = [
            isinstance(v, dict) and set(v) == {"old", "new"} for v in change["fields"].values()
        ]
        assert all(pairs) or not any(pairs), change
        assert not {"global_id", "base_field"} & set(change["fields"]), change


def test_the_plan_json_of_a_cross_link_is_old_and_new_values_and_a_saved_one_applies(
    project: ExampleProject, org: Org
) -> None:
    config = config_of(project)
    first = plan_of(project, org)
    contract_fields_are_values_or_old_and_new(first)
    sync(project, org, plan=first)
    block_id = item_with(project, config, RFE_TEXT).item.block_id
    assert block_id is not None
    replace_once(project.vault / item_with(project, config, RFE_TEXT).note.path, RFE_TEXT, "Lag")
    plan = plan_of(project, org)
    (cross,) = [c for c in plan.changes if c.action == "link" and "record" in c.fields]
    assert cross.global_id == f"plansync:salesforce:{block_id}"
    contract_fields_are_values_or_old_and_new(plan)
    # Saved with `plan --out` and read back: the link is upserted under its own global id.
    sync(project, org, plan=Plan.model_validate_json(plan.model_dump_json()))
    links = issues_by_id(project)[block_id]["remotelinks"]
    assert sorted(r["globalId"] for r in links) == [
        f"plansync:{block_id}",
        f"plansync:salesforce:{block_id}",
    ]
    assert not plan_of(project, org).changes


def test_a_saved_plan_for_salesforce_applied_once_the_config_drops_it_is_stale(
    project: ExampleProject, org: Org
) -> None:
    """The plan names Salesforce records the run has no connector for: refused before anything
    is written (it was a KeyError after the Jira issues were made, their keys not written)."""
    plan = plan_of(project, org)
    assert [c for c in plan.changes if c.target == "salesforce"]
    before = files_of(project)
    project.write_config(salesforce=False)
    with pytest.raises(StalePlan) as stale:
        plansync.apply(config_of(project), plan)
    assert str(stale.value) == (
        "the plan has changes for Salesforce, which this run's config does not name any more;"
        " make a new plan with `plansync.plan(config)` and apply it"
    )
    assert files_of(project) == before
    assert not project.issues()


def without_salesforce(project: ExampleProject) -> Plan:
    """The plan once the config's ``[salesforce]`` table is removed ("Remove this table to sync
    to Jira only", the starter config says): no Salesforce connector, as a user's run has."""
    project.write_config(salesforce=False)
    return plansync.plan(config_of(project))


def test_a_removed_salesforce_table_leaves_record_links_keys_and_names_the_records_once(
    project: ExampleProject, org: Org
) -> None:
    """The records' key links were read as text: every Jira summary of a line synced to both
    was to get the record's Id ("… a015g0000000001AAA"), and the records the state store still
    held vanished from the plan unreported. Words written after the key since still count."""
    _, entry, _ = synced_item(project, org, RFE_TEXT)
    record_id = entry.item.keys["salesforce"]
    path = project.vault / entry.note.path
    found = re.search(rf"\[{record_id}\]\([^)]*\)", path.read_text("utf-8"))
    assert found is not None
    replace_once(path, found.group(0), f"{found.group(0)} today")
    records = org.records()

    plan = without_salesforce(project)

    [update] = plan.changes
    assert (update.action, update.target, update.key) == ("update", "jira", entry.item.keys["jira"])
    assert update.fields["summary"] == {"old": RFE_TEXT, "new": f"{RFE_TEXT} today"}
    [said] = [w for w in plan.warnings if "Salesforce record" in w]
    ids = sorted(row["Id"] for _, row in records.values())
    assert len(ids) > 3  # the first three named, the rest counted
    assert said.startswith(
        f"the state store holds {len(ids)} Salesforce records ({', '.join(ids[:3])} and"
        f" {len(ids) - 3} more), "
    )
    assert (
        "and the config names no Salesforce any more: left alone (nothing is sent to"
        " Salesforce, and none is cancelled), their links in the notes still read as keys; put"
        " the [salesforce] table back to sync them again, or `plansync.forget(config,"
        " backend='salesforce')` stops tracking them once no line links to them ("
    ) in said


def test_a_copy_without_an_id_of_a_line_of_a_removed_salesforce_table_drops_its_record_link(
    project: ExampleProject, org: Org
) -> None:
    """Obsidian Tasks writes a recurring task's next occurrence with the whole line but its
    id, both key links included. The [salesforce] table removed, the Salesforce link is still
    a key of a record the state store holds, taken off the copy with its Jira key: not text
    that puts the record's Id into the new issue's summary."""
    _, entry, block_id = synced_item(project, org, RFE_TEXT)
    path = project.vault / entry.note.path
    line = line_of(project, entry.note.path, entry.item.line)
    assert line.endswith(f" ^{block_id}")
    replace_once(path, line, f"{line.removesuffix(f' ^{block_id}')}\n{line}")

    plan = without_salesforce(project)
    [create] = [c for c in plan.changes if c.action == "create"]
    assert create.fields["summary"] == RFE_TEXT


SALESFORCE_LINK = re.compile(r" ?\[[A-Za-z0-9]{15,18}\]\([^)]*/lightning/r/[^)]*\)")


def without_salesforce_links(project: ExampleProject) -> None:
    """Every Salesforce key link taken off the notes' lines, as a user does by hand."""
    for path in project.vault.rglob("*.md"):
        text = path.read_text("utf-8")
        path.write_text(SALESFORCE_LINK.sub("", text), "utf-8")


def test_forget_takes_the_records_of_a_removed_salesforce_table_once_no_line_links_to_them(
    project: ExampleProject, org: Org
) -> None:
    """Every plan warned of them, and forget could not take them: nothing silenced the
    warning but the table put back. Forgotten while a line links to one, that link would be
    read as text, its label in the Jira summary: refused until the links are off the lines.
    Salesforce is not asked (its table is gone), and its records stay as they are."""
    sync(project, org)
    held = org.dump()
    without_salesforce(project)
    config = config_of(project)
    with pytest.raises(plansync.NotAnOrphan, match="still link to Salesforce records the"):
        plansync.forget(config, backend="salesforce")
    with open_state(config.state_dir, lock=False) as state:
        assert len(state.records("salesforce")) == len(org.records())
    as_synced = {p: p.read_text("utf-8") for p in project.vault.rglob("*.md")}

    # One line left linking to a record: the warning names it, and forget waits for it.
    linking = sorted(
        p for p in project.vault.rglob("*.md") if SALESFORCE_LINK.search(p.read_text("utf-8"))
    )
    without_salesforce_links(project)
    last = linking[0].read_text("utf-8")
    text = as_synced[linking[0]]
    link = SALESFORCE_LINK.search(text)
    assert link is not None
    line = text[: link.start()].count("\n") + 1
    lines = last.split("\n")
    lines[line - 1] = text.split("\n")[line - 1]
    linking[0].write_text("\n".join(lines), "utf-8")
    [detail] = [
        d for d in plansync.plan(config).warning_details if "Salesforce record" in d.message
    ]
    said = str(detail)
    where = linking[0].relative_to(project.vault).as_posix()
    assert said.endswith(f"once no line links to them (1 line still does: {where}:{line})")
    assert [(a.note, a.line) for a in detail.also] == [(where, line)]  # as data, for a script
    with pytest.raises(
        plansync.NotAnOrphan, match=f"^1 line still links to .* \\({where}:{line}\\)"
    ):
        plansync.forget(config, backend="salesforce")
    linking[0].write_text(last, "utf-8")

    before = plansync.plan(config)
    [said] = [w for w in before.warnings if "Salesforce record" in w]
    assert said.endswith("or `plansync.forget(config, backend='salesforce')` stops tracking them")
    assert not before.changes, before.changes  # the links were keys: no summary changes
    forgotten = plansync.forget(config, backend="salesforce")
    assert {(c.action, c.target) for c in forgotten} == {("orphan", "salesforce")}
    assert sorted(c.key for c in forgotten) == sorted(
        row["Id"] for _, row in org.records().values()
    )
    after = plansync.plan(config)
    assert not after.changes and not [w for w in after.warnings if "Salesforce record" in w]
    assert org.dump() == held


def test_forget_refuses_the_records_of_a_salesforce_the_config_names(
    project: ExampleProject, org: Org
) -> None:
    sync(project, org)
    config = config_of(project)
    with pytest.raises(plansync.NotAnOrphan) as refused:
        plansync.forget(config, backend="salesforce")
    assert str(refused.value) == (
        f"{config.where} names Salesforce: its records are forgotten as orphans, by key or ^id"
        " (or with names=None), as `plansync.plan(config)` shows them; nothing was forgotten"
    )


def test_the_forget_command_takes_a_removed_backend_and_names_it_with_the_config(
    project: ExampleProject, org: Org
) -> None:
    from click.testing import CliRunner

    from plansync.cli import main

    sync(project, org)
    without_salesforce(project)
    without_salesforce_links(project)
    given = ["--config", str(project.config_path)]
    shown = CliRunner().invoke(main, ["plan", *given])
    assert f"`plansync forget --config {project.config_path} --backend salesforce`" in (
        shown.stdout
    )
    result = CliRunner().invoke(main, ["forget", *given, "--backend", "salesforce", "--yes"])
    assert result.exit_code == 0, result.output
    records = len(org.records())
    assert result.stdout.count("- salesforce orphan ") == records
    assert f"Forgot {records} orphans" in result.stdout
    again = CliRunner().invoke(main, ["forget", *given, "--backend", "salesforce", "--yes"])
    assert again.stdout == "No records to forget: the state store holds none of salesforce.\n"


def test_a_copied_lines_salesforce_link_taken_off_while_the_table_is_gone_is_in_the_plan(
    project: ExampleProject, org: Org
) -> None:
    """Write-back takes every link off a copy, but the plan showed only its Jira key's
    change: the Salesforce link left the line unannounced."""
    _, entry, block_id = synced_item(project, org, RFE_TEXT)
    record_id = entry.item.keys["salesforce"]
    path = project.vault / entry.note.path
    line = line_of(project, entry.note.path, entry.item.line)
    replace_once(path, line + "\n", line + "\n" + line + "\n")

    plan = without_salesforce(project)

    [write] = [c for c in plan.changes if c.action == "write_back"]
    assert write.item.line == entry.item.line + 1
    assert write.fields["salesforce"] == {"old": record_id, "new": None}
    assert f'    salesforce: "{record_id}" -> (none)' in render_plan(plan).splitlines()
    plansync.apply(config_of(project), plan)
    copy = line_of(project, entry.note.path, entry.item.line + 1)
    assert record_id not in copy and block_id not in copy
    assert record_id in line_of(project, entry.note.path, entry.item.line)


def test_a_salesforce_table_removed_then_put_back_syncs_jira_alone_then_both_again(
    project: ExampleProject, org: Org
) -> None:
    """Synced to both, then to Jira only: nothing is sent (no summary takes a record's Id,
    no record is touched), and with the table back both are in sync as they were."""
    sync(project, org)
    before, issues, records = files_of(project), project.issues(), org.dump()

    plan = without_salesforce(project)
    assert not plan.has_changes and plan.changes == [], plan.changes
    result = plansync.apply(config_of(project))
    assert result is not None and result.ok and not result.applied
    assert files_of(project) == before
    assert project.issues() == issues and org.dump() == records

    project.write_config(salesforce=True)
    assert not plan_of(project, org).changes
    entry = item_with(project, config_of(project), RFE_TEXT)
    replace_once(project.vault / entry.note.path, "📅 2025-11-14", "📅 2025-11-21")
    assert plan_of(project, org).summary == summary_of(update=2)
    sync(project, org)
    assert org.records()[entry.item.block_id or ""][1]["Due_Date__c"] == "2025-11-21"


def test_a_change_made_in_salesforce_only_is_kept_and_on_both_sides_is_a_conflict(
    project: ExampleProject, org: Org
) -> None:
    config, entry, block_id = synced_item(project, org, RFE_TEXT)
    _, record = org.records()[block_id]
    # Someone edits the record in Salesforce, through the API.
    edit = org.connector(config).update_many(
        [
            FieldUpdate(
                record["Id"], {"Priority__c": "Low", "Due_Date__c": "2025-12-24"}, sobject="RFE__c"
            )
        ]
    )
    assert edit[0].ok, edit

    plan = plan_of(project, org)
    assert not plan.has_changes and plan.changes == []
    replace_once(project.vault / entry.note.path, "📅 2025-11-14 ⏫", "📅 2025-11-21 ⏫")
    plan = plan_of(project, org)
    # Jira takes the new date; Salesforce has its own since the last sync: a conflict.
    assert plan.summary == summary_of(update=1, conflict=1)
    (conflict,) = [c for c in plan.changes if c.action == "conflict"]
    assert (conflict.target, conflict.key) == ("salesforce", record["Id"])
    assert conflict.message and "Due_Date__c" in conflict.message
    assert "2025-11-21" in conflict.message and "2025-12-24" in conflict.message
    sync(project, org, plan=plan)
    _, after = org.records()[block_id]
    assert (after["Priority__c"], after["Due_Date__c"]) == ("Low", "2025-12-24")


def test_a_record_deleted_in_salesforce_is_a_conflict_not_created_again(
    project: ExampleProject, org: Org
) -> None:
    _config, _entry, block_id = synced_item(project, org, FEATURE_TEXT)
    sobject, record = org.records()[block_id]
    answer = org.session.delete(
        f"{org.url}/services/data/v59.0/sobjects/{sobject}/{record['Id']}",
        headers={"Authorization": "Bearer someone"},
        timeout=10,
    )
    assert answer.status_code == 204, answer.text

    plan = plan_of(project, org)
    assert plan.summary == summary_of(conflict=1)
    assert plan.changes[0].key == record["Id"] and plan.changes[0].target == "salesforce"
    sync(project, org)
    assert block_id not in org.records()


def test_salesforce_refusing_a_whole_call_leaves_jira_synced_and_the_next_run_finishes(
    project: ExampleProject, org: Org
) -> None:
    before = files_of(project)
    org.app.configure_faults(
        {"fail_next": [{"status": 401, "path_contains": "/composite/sobjects/"}]}
    )
    result = run(project, org)
    (error,) = result.errors
    assert (error.target, error.action, error.whole_call) == ("salesforce", "create", True)
    assert "refused the session" in error.message
    config = config_of(project)
    items = routed(project, config)
    assert all("jira" in r.item.keys for r in items if r.jira)
    assert not any("salesforce" in r.item.keys for r in items)
    assert org.records() == {}

    sync(project, org)
    assert_synced(project, org, before)


def test_a_copied_line_becomes_a_new_item_in_both_systems(
    project: ExampleProject, org: Org
) -> None:
    sync(project, org)
    config = config_of(project)
    entry = item_with(project, config, RFE_TEXT)
    line = line_of(project, entry.note.path, entry.item.line)
    replace_once(project.vault / entry.note.path, line + "\n", line + "\n" + line + "\n")
    records, issues = org.records(), issues_by_id(project)
    # The copy loses the original's id and keys; what is left is the note before any sync.
    before = {p: strip_sync_marks(d) for p, d in files_of(project).items()}

    plan = plan_of(project, org)
    creates = sorted((c.target, c.item.line) for c in plan.changes if c.action == "create")
    assert creates == [("jira", entry.item.line + 1), ("salesforce", entry.item.line + 1)]
    sync(project, org, plan=plan)
    assert len(org.records()) == len(records) + 1
    assert len(issues_by_id(project)) == len(issues) + 1
    copy = next(r for r in routed(project, config) if r.item.line == entry.item.line + 1)
    assert copy.item.text == RFE_TEXT and copy.item.block_id != entry.item.block_id
    assert copy.item.keys["salesforce"] != entry.item.keys["salesforce"]
    assert copy.item.keys["jira"] != entry.item.keys["jira"]
    assert_synced(project, org, before)


def test_a_record_key_deleted_by_hand_is_written_back(project: ExampleProject, org: Org) -> None:
    sync(project, org)
    config = config_of(project)
    entry = item_with(project, config, FEATURE_TEXT)
    path = project.vault / entry.note.path
    synced = path.read_bytes()
    record_id = entry.item.keys["salesforce"]
    replace_once(path, f"[{record_id}]({org.lightning('Feature__c', record_id)}) ", "")

    plan = plan_of(project, org)
    assert plan.summary == summary_of(write_back=1)
    assert plan.changes[0].fields == {"salesforce": {"old": None, "new": record_id}}
    sync(project, org, plan=plan)
    assert path.read_bytes() == synced


def test_a_salesforce_key_link_whose_url_names_no_object_is_still_the_lines_key(
    project: ExampleProject, org: Org
) -> None:
    """Salesforce's short record URL, ``/lightning/r/<id>/view``, names no object: pasted over
    the link sync wrote, it is still the line's key (the record is the one synced), and the
    plan has nothing to do."""
    config, entry, _ = synced_item(project, org, RFE_TEXT)
    record_id = entry.item.keys["salesforce"]
    path = project.vault / entry.note.path
    written = f"/lightning/r/{entry.sobject}/{record_id}/view"
    assert written in path.read_text("utf-8")
    replace_once(path, written, f"/lightning/r/{record_id}/view")

    plan = plan_of(project, org)
    assert plan.changes == [], plan.changes
    assert item_with(project, config, RFE_TEXT).item.keys["salesforce"] == record_id


RUNBOOK_TEXT = "Write the runbook for changing object-lock retention"


@pytest.mark.parametrize("case", ["synced Jira line", "new Jira line", "new RFE line"])
def test_a_link_to_a_salesforce_record_plansync_does_not_write_is_text_not_a_key(
    project: ExampleProject, org: Org, case: str
) -> None:
    """ "… for [Contoso](…/Account/…)" closing a line was read as the line's Salesforce key:
    "Contoso" left the summaries, and on a line tagged #rfe the RFE record was never made (a
    conflict: "no Salesforce record carries" its id). Only a record of the object the item's
    rule writes is its key."""
    account = org.lightning("Account", "001000000000001AAA")
    if case == "synced Jira line":
        config, entry, _ = synced_item(project, org, RUNBOOK_TEXT)
        path = project.vault / entry.note.path
        key = entry.item.keys["jira"]
        found = re.search(rf"\[{key}\]\([^)]*\)", path.read_text("utf-8"))
        assert found is not None and entry.sobject is None
        replace_once(path, found.group(0), f"{found.group(0)} for [Contoso]({account})")
    else:
        sync(project, org)
        config = config_of(project)
        entry = item_with(project, config, RUNBOOK_TEXT)
        path = project.vault / entry.note.path
        line = line_of(project, entry.note.path, entry.item.line)
        tag = " #rfe" if case == "new RFE line" else ""
        added = f"- [ ] Send the retention runbook to [Contoso]({account}){tag}"
        replace_once(path, line, f"{line}\n{added}")
    records = len(org.records())

    plan = plan_of(project, org)

    assert not [c for c in plan.changes if c.action == "conflict"], plan.changes
    names = [
        c.fields[name]["new"] if c.action == "update" else c.fields[name]
        for c in plan.changes
        for name in ("summary", "Name")
        if name in c.fields
    ]
    assert len(names) == (2 if case == "new RFE line" else 1), names
    assert all(name.endswith(" Contoso") for name in names), names
    sync(project, org, plan=plan)
    assert len(org.records()) == records + (case == "new RFE line")
    assert f"[Contoso]({account})" in path.read_text("utf-8")  # the user's link, left alone
    assert not plan_of(project, org).changes


def test_decisions_no_longer_accepted_are_told_to_be_accepted_again_not_checked(
    project: ExampleProject, org: Org
) -> None:
    """Their orphans said "or marked done or cancelled": a decision has no checkbox."""
    sync(project, org)
    note = project.vault / "2025-11-05-q1-roadmap-review.md"
    replace_once(note, "decisions_accepted: true", "decisions_accepted: false")
    orphans = [c for c in plan_of(project, org).changes if c.action == "orphan"]
    assert orphans and all(
        (c.message or "").endswith("no longer accepted; left alone until it is accepted again")
        for c in orphans
    ), [c.message for c in orphans]


def test_a_record_no_rule_sends_its_line_to_any_more_is_forgotten_once_its_link_is_off(
    project: ExampleProject, org: Org
) -> None:
    """Its #rfe taken off, an item's RFE was reported by every plan for ever: forget refused
    it (its line is read) and no edit of the line settled it. It takes it once the record's
    link is off the line (left there, the link would be the Jira summary's text), and a line
    tagged again syncs with that same record."""
    config, entry, block_id = synced_item(project, org, RFE_TEXT)
    path = project.vault / entry.note.path
    record_id, jira_key = entry.item.keys["salesforce"], entry.item.keys["jira"]
    line = line_of(project, entry.note.path, entry.item.line)
    replace_once(path, line, line.replace(" #rfe", "", 1))
    connector = org.connector(config)

    [orphan] = plan_of(project, org).changes
    assert (orphan.action, orphan.key, orphan.no_longer_routed) == ("orphan", record_id, False)
    assert "its line still links to it" in (orphan.message or "")
    with pytest.raises(plansync.NotAnOrphan, match="take the link off the line"):
        plansync.forget(config, [record_id], salesforce=connector)
    assert plansync.forget(config, salesforce=connector) == []  # --all takes none either

    link = re.search(rf" \[{record_id}\]\([^)]*\)", path.read_text("utf-8"))
    assert link is not None
    replace_once(path, link.group(0), "")
    [orphan] = plan_of(project, org).changes
    assert orphan.no_longer_routed and orphan.message == (
        f"{record_id}: no rule sends this item to Salesforce any more; left alone"
    )
    [forgotten] = plansync.forget(config, salesforce=connector)
    assert forgotten.key == record_id
    assert not plan_of(project, org).changes  # and the Jira summary did not change
    summary = project.issues()[jira_key]["fields"]["summary"]

    replace_once(path, "⏫ #task", "⏫ #task #rfe")
    plan = plan_of(project, org)
    assert not [c for c in plan.changes if c.action in ("create", "conflict")], plan.changes
    sync(project, org, plan=plan)
    assert org.records()[block_id][1]["Id"] == record_id  # the same record, and only it
    assert f"[{record_id}](" in line_of(project, entry.note.path, entry.item.line)
    assert project.issues()[jira_key]["fields"]["summary"] == summary
    assert not plan_of(project, org).changes


@pytest.mark.parametrize("line_kind", ["synced line newly tagged", "new line"])
def test_a_line_for_salesforce_that_links_another_items_record_gets_its_own(
    project: ExampleProject, org: Org, line_kind: str
) -> None:
    """Ending in a link to the Feature another item made (its line still in the notes): the
    link was read as the line's own key. A synced line newly tagged #feature was a conflict
    ("no Salesforce record carries") for ever; a new line dropped the link's text from its
    Jira summary and was a Salesforce conflict until its id was written, then created."""
    config, entry, _ = synced_item(project, org, RUNBOOK_TEXT)
    other = item_with(project, config, FEATURE_TEXT)
    record_id = other.item.keys["salesforce"]
    related = f"[the one-pager]({org.lightning('Feature__c', record_id)})"
    path = project.vault / entry.note.path
    line = line_of(project, entry.note.path, entry.item.line)
    if line_kind == "new line":
        added = f"- [ ] Ask Elena to confirm the scope of {related} #task #feature"
        replace_once(path, line, f"{line}\n{added}")
    else:
        replace_once(path, line, line.replace(" #task", " #task #feature", 1))
        key = entry.item.keys["jira"]
        found = re.search(rf"\[{key}\]\([^)]*\)", path.read_text("utf-8"))
        assert found is not None
        replace_once(path, found.group(0), f"{found.group(0)} {related}")
    records = len(org.records())

    plan = plan_of(project, org)

    assert not [c for c in plan.changes if c.action == "conflict"], plan.changes
    creates = {c.target: c for c in plan.changes if c.action == "create"}
    if line_kind == "new line":
        assert set(creates) == {"jira", "salesforce"}
        assert (
            creates["jira"].fields["summary"] == "Ask Elena to confirm the scope of the one-pager"
        )
    else:
        assert set(creates) == {"salesforce"}
        [update] = [c for c in plan.changes if c.action == "update"]
        # The owner's mention before the key still closes the text as synced.
        assert update.fields["summary"]["new"].endswith(" live buckets the one-pager")
    sync(project, org, plan=plan)
    assert len(org.records()) == records + 1
    assert related in path.read_text("utf-8")
    assert not plan_of(project, org).changes


def test_a_line_that_lost_its_id_with_words_between_its_keys_gets_it_back(
    project: ExampleProject, org: Org
) -> None:
    """Words typed between the Jira and the Salesforce key, and the id taken off, before one
    sync: the line was created again in Jira, then in Salesforce, and both records left as
    orphans. Its words before its keys are the records' as synced."""
    _, entry, block_id = synced_item(project, org, RFE_TEXT)
    path = project.vault / entry.note.path
    key = entry.item.keys["jira"]
    found = re.search(rf"\[{key}\]\([^)]*\)", path.read_text("utf-8"))
    assert found is not None
    replace_once(path, found.group(0), f"{found.group(0)} for Elena")
    replace_once(path, f" ^{block_id}", "")
    issues, records = project.issues(), len(org.records())

    plan = plan_of(project, org)

    assert not [c for c in plan.changes if c.action in ("create", "conflict", "orphan")], [
        (c.action, c.target, c.message) for c in plan.changes
    ]
    sync(project, org, plan=plan)
    assert project.issues().keys() == issues.keys() and len(org.records()) == records
    assert path.read_text("utf-8").count(f"^{block_id}") == 1
    assert not plan_of(project, org).changes


def test_an_external_id_on_a_second_record_is_named_by_the_plan_as_a_clone_is_for_jira(
    project: ExampleProject, org: Org
) -> None:
    """A non-unique external id field lets a copy carry the item's id: the plan syncs the item
    with its record and names the copy, as for a Jira issue cloned with its labels (the
    connector logged it, and the plan said nothing)."""
    _, entry, block_id = synced_item(project, org, RFE_TEXT)
    sobject, record = org.records()[block_id]
    [copy] = org.app.add_records(sobject, [{"Plansync_Id__c": block_id, "Name": "a copy"}])

    plan = plan_of(project, org)

    assert not [c for c in plan.changes if c.item.block_id == block_id]
    [warning] = [w for w in plan.warnings if copy in w]
    assert warning.startswith(f"{entry.note.path}:{entry.item.line}: ")
    assert f"is also on {copy} (a record copied with its external id?)" in warning
    assert warning.endswith(f"this item syncs with {record['Id']}")


# ---- status: the checkbox moves a record's status field, when the config names one ------------


def with_status_field(
    project: ExampleProject, values: str = "", *, open_values: str = "", status_wins: str = ""
) -> None:
    """The project's config with ``status_field = "Status__c"`` (and ``status_values``,
    ``open_status_values``, and ``[sync.conflicts]`` ``status``)."""
    project.write_config(
        f'[sync.conflicts]\nstatus = "{status_wins}"\n' if status_wins else "", salesforce=True
    )
    line = 'note_link_field = "Note_Link__c"\n'
    extra = 'status_field = "Status__c"\n'
    if values:
        extra += f"status_values = {{ {values} }}\n"
    if open_values:
        extra += f"open_status_values = [{open_values}]\n"
    replace_once(project.config_path, line, line + extra)


def test_a_status_field_the_object_lacks_is_named_with_the_setting_that_names_it(
    project: ExampleProject, org: Org
) -> None:
    """Salesforce's message starts with the query, and cut to a line it ended before the
    field's name ("… No such column 'Sta"), naming no setting (a user test)."""
    project.write_config(salesforce=True)
    line = 'note_link_field = "Note_Link__c"\n'
    replace_once(project.config_path, line, line + 'status_field = "Stage__c"\n')
    with pytest.raises(plansync.ConfigError) as failed:  # as for a Jira project not there
        plan_of(project, org)
    message = str(failed.value)
    assert "INVALID_FIELD: RFE__c has no field 'Stage__c' that this user may see" in message
    assert message.endswith("; check [salesforce] status_field"), message


def test_a_field_a_rule_misspells_is_named_with_the_rules_key(
    project: ExampleProject, org: Org
) -> None:
    """The query reads every rule's fields of an object at once: the error said "check the
    field names of [salesforce] (...) and of its rules (owner_field, fields)", not which
    rule's (a user test), and the plan named the rule of the item it was creating, the
    feature rule here, though the decision rule misspelt it."""
    rules = sf_rules().replace(
        'match = { kind = ["decision"] }\n',
        'match = { kind = ["decision"] }\nfields = { Name = "{text}", Due_Dat__c = "{due}" }\n',
    )
    project.write_config(rules, salesforce=True)
    with pytest.raises(plansync.ConfigError) as failed:
        plan_of(project, org)
    message = str(failed.value)
    assert "INVALID_FIELD: Feature__c has no field 'Due_Dat__c' that this user may see" in message
    assert message.endswith("; check salesforce.rules[2].fields"), message


def status_of(org: Org, block_id: str) -> tuple[str, Any]:
    sobject, record = org.records()[block_id]
    return sobject, record.get("Status__c")


def test_the_checkbox_moves_the_records_status_field_done_reopened_and_cancelled(
    project: ExampleProject, org: Org
) -> None:
    with_status_field(project, 'cancelled = "Declined"')
    config, feature, feature_id = synced_item(project, org, FEATURE_TEXT)
    rfe = item_with(project, config, RFE_TEXT)
    rfe_id = rfe.item.block_id or ""
    assert status_of(org, feature_id) == ("Feature__c", None)
    feature_note = project.vault / feature.note.path
    replace_once(feature_note, f"- [ ] {FEATURE_TEXT}", f"- [x] {FEATURE_TEXT}")
    replace_once(project.vault / rfe.note.path, f"- [ ] {RFE_TEXT}", f"- [-] {RFE_TEXT}")

    plan = plan_of(project, org)
    moves = {
        (c.target, c.item.block_id): (c.sobject, c.fields["status"]["new"])
        for c in plan.changes
        if c.action == "transition"
    }
    assert moves == {
        ("jira", feature_id): (None, "done"),
        ("jira", rfe_id): (None, "cancelled"),
        ("salesforce", feature_id): ("Feature__c", "done"),
        ("salesforce", rfe_id): ("RFE__c", "cancelled"),
    }
    sync(project, org, plan=plan)
    assert status_of(org, feature_id) == ("Feature__c", "Done")
    assert status_of(org, rfe_id) == ("RFE__c", "Declined")
    assert not plan_of(project, org).has_changes

    replace_once(feature_note, f"- [x] {FEATURE_TEXT}", f"- [ ] {FEATURE_TEXT}")
    plan = plan_of(project, org)
    assert plan.summary == summary_of(transition=2)
    sync(project, org, plan=plan)
    assert status_of(org, feature_id) == ("Feature__c", "New")
    assert not plan_of(project, org).has_changes


@pytest.mark.parametrize("in_progress", ["In Progress", None])
def test_in_progress_moves_the_status_field_only_to_a_value_the_config_names(
    project: ExampleProject, org: Org, in_progress: str | None
) -> None:
    """``[/]`` has no value every org shares: with ``in_progress`` in ``status_values`` it
    moves the record there and back, as it moves the Jira issue; without, the record is open,
    as for ``[ ]``, and only the issue moves."""
    with_status_field(project, f'in_progress = "{in_progress}"' if in_progress else "")
    _config, feature, feature_id = synced_item(project, org, FEATURE_TEXT)
    path = project.vault / feature.note.path
    replace_once(path, f"- [ ] {FEATURE_TEXT}", f"- [/] {FEATURE_TEXT}")

    plan = plan_of(project, org)
    moves = {c.target: c.fields["status"]["new"] for c in plan.changes}
    assert moves == (
        {"jira": "indeterminate"} | ({"salesforce": "indeterminate"} if in_progress else {})
    )
    sync(project, org, plan=plan)
    assert status_of(org, feature_id) == ("Feature__c", in_progress)
    assert not plan_of(project, org).has_changes

    replace_once(path, f"- [/] {FEATURE_TEXT}", f"- [ ] {FEATURE_TEXT}")
    sync(project, org)
    assert status_of(org, feature_id) == ("Feature__c", "New" if in_progress else None)
    key = feature.item.keys["jira"]
    assert project.issues()[key]["fields"]["status"]["name"] == "To Do"
    assert not plan_of(project, org).has_changes


@pytest.mark.parametrize(("first", "then"), [("-", "x"), ("x", "-")])
def test_an_item_moved_between_done_and_cancelled_moves_its_record_and_its_issue(
    project: ExampleProject, org: Org, first: str, then: str
) -> None:
    """ "Done" and "Cancelled" are both closed: the planner saw closed on both sides and left
    the record (and the Jira issue) in the status the note no longer says."""
    with_status_field(project)
    _config, feature, feature_id = synced_item(project, org, FEATURE_TEXT)
    path = project.vault / feature.note.path
    value = {"x": "Done", "-": "Cancelled"}
    issue = {"x": "Done", "-": "Won't Do"}
    replace_once(path, f"- [ ] {FEATURE_TEXT}", f"- [{first}] {FEATURE_TEXT}")
    sync(project, org)
    assert status_of(org, feature_id) == ("Feature__c", value[first])
    replace_once(path, f"- [{first}] {FEATURE_TEXT}", f"- [{then}] {FEATURE_TEXT}")

    plan = plan_of(project, org)
    words = {"x": "done", "-": "cancelled"}
    moves = {c.target: c.fields["status"] for c in plan.changes if c.action == "transition"}
    move = {"old": words[first], "new": words[then]}
    assert moves == {"jira": move, "salesforce": move}
    assert plan.summary == summary_of(transition=2)
    sync(project, org, plan=plan)
    assert status_of(org, feature_id) == ("Feature__c", value[then])
    key = feature.item.keys["jira"]
    assert project.issues()[key]["fields"]["status"]["name"] == issue[then]
    again = plan_of(project, org)
    assert not again.has_changes and again.changes == [], again.changes


def test_a_status_field_moved_between_done_and_cancelled_in_salesforce_only_is_kept(
    project: ExampleProject, org: Org
) -> None:
    with_status_field(project)
    config, feature, feature_id = synced_item(project, org, FEATURE_TEXT)
    path = project.vault / feature.note.path
    replace_once(path, f"- [ ] {FEATURE_TEXT}", f"- [x] {FEATURE_TEXT}")
    sync(project, org)
    record_id = feature.item.keys["salesforce"]
    org.connector(config).update_many(
        [FieldUpdate(record_id, {"Status__c": "Cancelled"}, sobject="Feature__c")]
    )
    again = plan_of(project, org)
    assert not again.has_changes and again.changes == [], again.changes
    sync(project, org)
    assert status_of(org, feature_id) == ("Feature__c", "Cancelled")


def test_a_record_in_an_open_status_value_reads_as_in_progress(
    project: ExampleProject, org: Org
) -> None:
    """A record someone moved to "In Review" in Salesforce, its item then checked: the plan
    read 'status: "indeterminate" -> "done"', Jira's API word for a category, which says
    nothing to a Salesforce user and reads as a status plansync could not tell."""
    with_status_field(project, open_values='"In Review"')
    config, feature, _ = synced_item(project, org, FEATURE_TEXT)
    key = feature.item.keys["salesforce"]
    moved = FieldUpdate(key, {"Status__c": "In Review"}, sobject="Feature__c")
    org.connector(config).update_many([moved])
    replace_once(
        project.vault / feature.note.path, f"- [ ] {FEATURE_TEXT}", f"- [x] {FEATURE_TEXT}"
    )
    plan = plan_of(project, org)
    [move] = [c for c in plan.changes if c.target == "salesforce"]
    assert move.fields["status"] == {"old": "indeterminate", "new": "done"}  # the JSON's word
    text = render_plan(plan)
    assert '    status: "in progress" -> "done"' in text.splitlines()
    assert "indeterminate" not in text


@pytest.mark.parametrize("wins", ["", "note", "remote"])
def test_a_record_declined_in_salesforce_is_said_and_never_overwritten_unseen(
    project: ExampleProject, org: Org, wins: str
) -> None:
    """A value the config names nowhere ("Declined", with cancelled = "Cancelled") was read as
    in progress: the plan said nothing of the record declined in Salesforce, and once the item
    was checked it moved it to Done, saying 'status: "in progress" -> "done"' (a user test).
    Now the plan says the record's own value, and the checkbox's move since is a conflict,
    which [sync.conflicts] status settles."""
    with_status_field(project, status_wins=wins)
    config, feature, feature_id = synced_item(project, org, FEATURE_TEXT)
    key = feature.item.keys["salesforce"]
    declined = FieldUpdate(key, {"Status__c": "Declined"}, sobject="Feature__c")
    assert org.connector(config).update_many([declined])[0].ok
    said = '"Declined" (not in status_values or open_status_values)'

    plan = plan_of(project, org)
    assert not plan.has_changes
    [kept] = [line for line in plan.kept if line.startswith(key)]
    assert f"status (now {said}) changed in Salesforce only since the last sync" in kept

    path = project.vault / feature.note.path
    replace_once(path, f"- [ ] {FEATURE_TEXT}", f"- [x] {FEATURE_TEXT}")
    plan = plan_of(project, org)
    mine = [c for c in plan.changes if c.target == "salesforce"]
    text = render_plan(plan)
    if wins == "note":
        [move] = mine
        assert (move.action, move.fields["status"]) == (
            "transition",
            {"old": "Declined", "new": "done"},
        )
        assert f'    status: {said} -> "done"' in text.splitlines()
    elif wins == "remote":
        assert mine == []
        assert any(line.startswith(key) and said in line for line in plan.kept)
    else:
        [conflict] = mine
        assert conflict.action == "conflict" and conflict.message
        assert f"note open -> done, Salesforce open -> {said}" in conflict.message
        assert plan.to_contract()["changes"][-1]["fields"]["status"]["remote"] == "Declined"
    assert "in progress" not in text
    sync(project, org, plan=plan)
    assert status_of(org, feature_id) == ("Feature__c", "Done" if wins == "note" else "Declined")


def test_a_status_value_set_right_in_the_config_is_no_move_made_in_salesforce(
    project: ExampleProject, org: Org
) -> None:
    """done = "Completed" (a mistake) synced a record there; with done = "Done" again, the
    plan said "status (now in progress) changed in Salesforce only since the last sync;
    kept", which nobody had done, and the line reopened left the record closed (a user test).
    The base keeps the value it set, so the record reads as the last sync left it."""
    with_status_field(project, 'done = "Completed"')
    _config, feature, feature_id = synced_item(project, org, FEATURE_TEXT)
    path = project.vault / feature.note.path
    replace_once(path, f"- [ ] {FEATURE_TEXT}", f"- [x] {FEATURE_TEXT}")
    sync(project, org)
    assert status_of(org, feature_id) == ("Feature__c", "Completed")
    replace_once(project.config_path, 'done = "Completed"', 'done = "Done"')

    plan = plan_of(project, org)
    assert (plan.kept, plan.changes, plan.has_changes) == ([], [], False)
    replace_once(path, f"- [x] {FEATURE_TEXT}", f"- [ ] {FEATURE_TEXT}")
    plan = plan_of(project, org)
    moves = {c.target: c.fields["status"] for c in plan.changes if c.action == "transition"}
    assert moves["salesforce"] == {"old": "done", "new": "reopen"}
    sync(project, org, plan=plan)
    assert status_of(org, feature_id) == ("Feature__c", "New")
    assert not plan_of(project, org).has_changes


def test_a_base_without_the_status_value_learns_it_once_the_record_reads_as_synced(
    project: ExampleProject, org: Org
) -> None:
    """A create sends no status, and a base kept before plansync kept the value has none: the
    first plan that finds the record where the base says learns it (nothing sent), so that a
    config changed after reads as no move either."""
    with_status_field(project)
    config, feature, _ = synced_item(project, org, FEATURE_TEXT)
    key = feature.item.keys["salesforce"]
    assert (
        org.connector(config)
        .update_many([FieldUpdate(key, {"Status__c": "New"}, sobject="Feature__c")])[0]
        .ok
    )  # the picklist's default, as a real org gives a new record
    plan = plan_of(project, org)
    assert not plan.has_changes and plan.kept == []
    assert [(r.target, r.fields) for r in plan.refresh] == [("salesforce", {"status_value": "New"})]
    sync(project, org, plan=plan)
    assert plan_of(project, org).refresh == []
    replace_once(
        project.config_path,
        'status_field = "Status__c"\n',
        'status_field = "Status__c"\nstatus_values = { reopen = "Open" }\n',
    )
    plan = plan_of(project, org)
    assert (plan.kept, plan.has_changes) == ([], False)


def test_status_values_that_do_not_tell_done_from_cancelled_move_nothing_between_them(
    project: ExampleProject, org: Org
) -> None:
    """One value for both (a picklist with a single closed value): a done item cancelled
    moves its Jira issue only, and nothing is planned again after."""
    with_status_field(project, 'done = "Closed", cancelled = "Closed"')
    _config, feature, feature_id = synced_item(project, org, FEATURE_TEXT)
    path = project.vault / feature.note.path
    replace_once(path, f"- [ ] {FEATURE_TEXT}", f"- [x] {FEATURE_TEXT}")
    sync(project, org)
    assert status_of(org, feature_id) == ("Feature__c", "Closed")
    replace_once(path, f"- [x] {FEATURE_TEXT}", f"- [-] {FEATURE_TEXT}")

    plan = plan_of(project, org)
    assert [(c.action, c.target) for c in plan.changes] == [("transition", "jira")]
    sync(project, org, plan=plan)
    assert status_of(org, feature_id) == ("Feature__c", "Closed")
    again = plan_of(project, org)
    assert not again.has_changes and again.changes == [], again.changes


def test_without_a_status_field_a_checked_item_moves_only_its_jira_issue(
    project: ExampleProject, org: Org
) -> None:
    _config, feature, _block_id = synced_item(project, org, FEATURE_TEXT)
    replace_once(
        project.vault / feature.note.path, f"- [ ] {FEATURE_TEXT}", f"- [x] {FEATURE_TEXT}"
    )
    plan = plan_of(project, org)
    assert [(c.action, c.target) for c in plan.changes] == [("transition", "jira")]
    org.reset()
    sync(project, org, plan=plan)
    assert org.writes == []


def feature_line_deleted_under_orphans_cancel(
    project: ExampleProject, org: Org
) -> tuple[Routed, str]:
    """With ``orphans = "cancel"``, the feature item synced, then its line deleted: the item,
    and its Salesforce record's id."""
    replace_once(
        project.config_path, "\n[salesforce]\n", '\n[sync]\norphans = "cancel"\n\n[salesforce]\n'
    )
    _config, feature, feature_id = synced_item(project, org, FEATURE_TEXT)
    path = project.vault / feature.note.path
    replace_once(path, line_of(project, feature.note.path, feature.item.line) + "\n", "")
    return feature, feature_id


def test_with_orphans_cancel_a_deleted_line_cancels_its_issue_and_its_record(
    project: ExampleProject, org: Org
) -> None:
    """The record is moved as its own object, which the deleted line can no longer tell."""
    with_status_field(project)
    feature, feature_id = feature_line_deleted_under_orphans_cancel(project, org)

    plan = plan_of(project, org)
    moves = {
        (c.target, c.sobject, c.key): c.fields["status"]["new"]
        for c in plan.changes
        if c.action == "transition"
    }
    assert moves == {
        ("jira", None, feature.item.keys["jira"]): "cancelled",
        ("salesforce", "Feature__c", feature.item.keys["salesforce"]): "cancelled",
    }
    assert plan.summary == summary_of(transition=2)
    sync(project, org, plan=plan)
    assert status_of(org, feature_id) == ("Feature__c", "Cancelled")
    again = plan_of(project, org)
    assert {c.action for c in again.changes} == {"orphan"} and not again.has_changes


def test_with_orphans_cancel_but_no_status_field_the_record_left_alone_says_why(
    project: ExampleProject, org: Org
) -> None:
    """Its Jira issue beside it was cancelled; the record only read "left alone"."""
    feature, _ = feature_line_deleted_under_orphans_cancel(project, org)

    plan = plan_of(project, org)
    (left,) = [c for c in plan.changes if c.target == "salesforce"]
    assert left.action == "orphan"
    assert left.message == (
        f"{feature.item.keys['salesforce']}: its line is gone from the note (Salesforce is given"
        " no status field to cancel it by); left alone"
    )


def test_a_note_put_back_to_its_text_before_the_sync_gets_its_ids_and_both_keys_back(
    project: ExampleProject, org: Org
) -> None:
    """The note of an item routed to both backends (and of decisions, Salesforce's only, one
    longer than a Name holds), put back to its text from before the sync: each line gets back
    the id it was synced with, which its issue and its record share, and its key links;
    nothing is created, cancelled or sent to either backend."""
    with_orphans_cancelled(project)
    before = files_of(project)
    _config, feature, feature_id = synced_item(project, org, FEATURE_TEXT)
    path = project.vault / feature.note.path
    synced, issues, records = path.read_bytes(), project.issues(), org.records()
    path.write_bytes(before[path])

    plan = plan_of(project, org)
    lines = [r for r in routed(project, config_of(project)) if r.note.path == feature.note.path]
    assert plan.summary == summary_of(write_back=sum(bool(r.sobject) + r.jira for r in lines))
    one_pager = {
        c.line_change.key_target: c
        for c in plan.changes
        if c.line_change is not None and c.item.text == FEATURE_TEXT
    }
    assert {target: (c.key, c.item.block_id) for target, c in one_pager.items()} == {
        "jira": (feature.item.keys["jira"], feature_id),
        "salesforce": (feature.item.keys["salesforce"], feature_id),
    }
    for change in plan.changes:
        said = f"the line regains ^{change.item.block_id}, the id of {change.key} it was synced as"
        assert said in (change.message or ""), change
    org.reset()
    sync(project, org, plan=plan)
    assert path.read_bytes() == synced
    assert org.writes == [] and org.records() == records and project.issues() == issues
    assert_synced(project, org, before)


def test_an_item_retagged_to_another_object_keeps_its_record_and_the_plan_says_so(
    project: ExampleProject, org: Org
) -> None:
    """#rfe → #feature: a record cannot change object, and a second record with the same id
    would split the item, so the RFE__c record keeps being synced, updated as an RFE__c."""
    _config, rfe, rfe_id = synced_item(project, org, RFE_TEXT)
    record_id = rfe.item.keys["salesforce"]
    path = project.vault / rfe.note.path
    replace_once(path, "📅 2025-11-14 ⏫ #task #rfe", "📅 2025-11-21 ⏫ #task #feature")

    plan = plan_of(project, org)
    [warning] = [w for w in plan.warnings if record_id in w]
    assert warning.startswith(f"{rfe.note.path}:{rfe.item.line}: a rule now routes this item")
    assert "to Feature__c" in warning and "is RFE__c;" in warning
    update = next(c for c in plan.changes if c.target == "salesforce")
    assert (update.action, update.sobject, update.key) == ("update", "RFE__c", record_id)
    sync(project, org, plan=plan)
    assert org.records()[rfe_id][0] == "RFE__c"
    assert org.records()[rfe_id][1]["Due_Date__c"] == "2025-11-21"
    assert not plan_of(project, org).has_changes


def test_an_item_retagged_to_an_object_whose_rule_writes_other_fields_still_syncs(
    project: ExampleProject, org: Org
) -> None:
    """The record kept on its own object is sent only the fields plansync writes there: a
    field only the new rule writes failed the item's update at every sync."""
    rules = (
        '[[salesforce.rules]]\nname = "rfe"\nobject = "RFE__c"\n'
        'fields = { Name = "{text}", Due_Date__c = "{due}" }\n'
        '[salesforce.rules.match]\ntags_any = ["#rfe"]\n\n'
        '[[salesforce.rules]]\nname = "feature"\nobject = "Feature__c"\n'
        'fields = { Name = "{text}", Due_Date__c = "{due}", Description__c = "{text}" }\n'
        '[salesforce.rules.match]\ntags_any = ["#feature"]\n'
    )
    project.write_config(rules, salesforce=True)
    _config, rfe, rfe_id = synced_item(project, org, RFE_TEXT)
    path = project.vault / rfe.note.path
    replace_once(path, "📅 2025-11-14 ⏫ #task #rfe", "📅 2025-11-21 ⏫ #task #feature")

    plan = plan_of(project, org)
    update = next(c for c in plan.changes if c.target == "salesforce")
    assert (update.action, update.sobject) == ("update", "RFE__c")
    assert set(update.fields) == {"Due_Date__c"}
    sync(project, org, plan=plan)
    assert org.records()[rfe_id][1]["Due_Date__c"] == "2025-11-21"
    assert not plan_of(project, org).has_changes


# ---- orphans cancelled and statuses moved, crashed at every step -------------------------------
#
# After a first sync with ``status_field`` and ``orphans = "cancel"``: the feature line (a Jira
# issue and a Feature__c record) and a decision (a Feature__c record only) are deleted from notes
# that still hold items, the RFE (an issue and an RFE__c record) is checked, and a new action is
# written. The sync of that is killed at each step (or an answer is lost, or a call fails) and
# run again; then: one issue and one record per item, keys in the lines, every status where the
# notes say, each orphan cancelled (once: the sandboxes count the moves they committed), and a
# further plan with nothing to do but report the orphans.

NEW_ACTION = "- [ ] Draft the pager budget @Myself 📅 2025-12-01 #task"
NEW_RFE = "- [ ] Export replication lag as a metric @Myself #task #rfe"
DELETED_DECISION = "- The 5.3 release date stays at 16 March.\n"
CREATE_STEPS = CHECKPOINTS[1 : CHECKPOINTS.index("keys_written")]
STEPS = [
    *[(step, 1) for step in ("ids_written", *CREATE_STEPS)],
    *[(step, 2) for step in CREATE_STEPS],  # Salesforce's
    *[(step, 1) for step in CHECKPOINTS[CHECKPOINTS.index("keys_written") :]],
]


@dataclass
class Moves:
    """The status moves each sandbox committed, per record: Jira transition ids by issue key,
    Salesforce status values by record Id (a move whose answer was lost counts: it was made)."""

    jira: dict[str, list[str]] = field(default_factory=dict)
    salesforce: dict[str, list[str]] = field(default_factory=dict)


def count_moves(project: ExampleProject, org: Org) -> Moves:
    moves = Moves()
    do_transition = project.app._do_transition
    update_collection = org.app._update_collection

    def transition(request: Any, issue_id_or_key: str) -> Any:
        response = do_transition(request, issue_id_or_key)
        key = project.app._issue_or_404(issue_id_or_key).key
        moves.jira.setdefault(key, []).append(json.loads(request.body)["transition"]["id"])
        return response

    def update(request: Any) -> Any:
        response = update_collection(request)
        sent = json.loads(request.body)["records"]
        for record, outcome in zip(sent, response.body, strict=True):
            if outcome.get("success") and "Status__c" in record:
                moves.salesforce.setdefault(record.get("Id") or record["id"], []).append(
                    record["Status__c"]
                )
        return response

    project.app._do_transition = transition  # type: ignore[method-assign]
    org.app._update_collection = update  # type: ignore[method-assign]
    return moves


@dataclass
class Edited:
    """The project synced once, then edited; what the edits should come to."""

    before: dict[Path, bytes]  # the notes after the edits, for the bytes check
    orphans: dict[str, tuple[str | None, str | None]]  # block id -> (issue key, record Id)
    moves: Moves
    rfe_to: str


def with_orphans_cancelled(project: ExampleProject) -> None:
    with_status_field(project)
    replace_once(
        project.config_path, "\n[salesforce]\n", '\n[sync]\norphans = "cancel"\n\n[salesforce]\n'
    )


def synced_then_edited(
    project: ExampleProject, org: Org, rfe_to: str = "x", new_rfe: bool = False
) -> Edited:
    """``rfe_to``: the RFE checked (``x``), or checked and synced, then unchecked (`` ``);
    ``new_rfe``: a new RFE is written too (an issue and a record to create; else Salesforce's
    only write is the status batch)."""
    with_orphans_cancelled(project)
    config, feature, feature_id = synced_item(project, org, FEATURE_TEXT)
    decision = item_with(project, config, DELETED_DECISION[2:-1])
    rfe = item_with(project, config, RFE_TEXT)
    rfe_note = project.vault / rfe.note.path
    if rfe_to == " ":
        replace_once(rfe_note, f"- [ ] {RFE_TEXT}", f"- [x] {RFE_TEXT}")
        sync(project, org)
    for gone in (decision, feature):  # the lower line first: the same note
        path = project.vault / gone.note.path
        replace_once(path, line_of(project, gone.note.path, gone.item.line) + "\n", "")
    was = "x" if rfe_to == " " else " "
    replace_once(
        rfe_note,
        f"- [{was}] {RFE_TEXT}",
        f"{NEW_RFE}\n" * new_rfe + f"{NEW_ACTION}\n- [{rfe_to}] {RFE_TEXT}",
    )
    orphans = {
        feature_id: (feature.item.keys["jira"], feature.item.keys["salesforce"]),
        decision.item.block_id or "": (None, decision.item.keys["salesforce"]),
    }
    summary = plan_of(project, org).summary
    made = 1 + 2 * new_rfe
    assert summary == summary_of(create=made, write_back=made, link=made, transition=5)
    return Edited(files_of(project), orphans, count_moves(project, org), rfe_to)


SF_STATUS = {"done": "Done", "cancelled": "Cancelled", "new": "New"}


def moved(moves: dict[str, list[str]], record_id: str) -> list[str]:
    """The values a record's status was set to, in order, a value set again in a row once: an
    update by Id whose answer was lost is resent (it is idempotent, unlike a Jira transition)."""
    values = moves.get(record_id, [])
    return [v for n, v in enumerate(values) if n == 0 or values[n - 1] != v]


def assert_settled(project: ExampleProject, org: Org, edited: Edited) -> None:
    """The invariant of this section (its comment), with the orphans' records cancelled."""
    config = config_of(project)
    items = routed(project, config)
    issues, records = issues_by_id(project), org.records()
    orphan_issues = {b for b, (key, _) in edited.orphans.items() if key}
    assert set(issues) == {r.item.block_id for r in items if r.jira} | orphan_issues
    assert set(records) == {r.item.block_id for r in items if r.sobject} | set(edited.orphans)
    for entry in items:
        block_id = entry.item.block_id or ""
        assert block_id not in edited.orphans
        want = status_category(entry.item, config.acceptance)
        if entry.jira:
            issue = issues[block_id]
            assert entry.item.keys.get("jira") == issue["key"], (block_id, entry.item.keys)
            category = issue["fields"]["status"]["statusCategory"]["key"]
            assert (category == "done") == (want in ("done", "cancelled")), (block_id, category)
        if entry.sobject:
            assert records[block_id][0] == entry.sobject
            record = records[block_id][1]
            assert entry.item.keys.get("salesforce") == record["Id"], (block_id, entry.item.keys)
            never_moved = want == "new" and record.get("Status__c") is None
            assert never_moved or record.get("Status__c") == SF_STATUS[want], (block_id, record)
    for block_id, (key, record_id) in edited.orphans.items():
        if key:
            assert issues[block_id]["fields"]["status"]["name"] == "Won't Do", block_id
            assert len(edited.moves.jira.get(key, [])) == 1, (key, edited.moves.jira)
        assert records[block_id][1]["Id"] == record_id
        assert records[block_id][1]["Status__c"] == "Cancelled", block_id
        assert moved(edited.moves.salesforce, record_id) == ["Cancelled"], edited.moves.salesforce
    rfe = item_with(project, config, RFE_TEXT)
    assert len(edited.moves.jira[rfe.item.keys["jira"]]) == 1, edited.moves.jira
    rfe_status = "Done" if edited.rfe_to == "x" else "New"
    assert moved(edited.moves.salesforce, rfe.item.keys["salesforce"]) == [rfe_status]
    after = files_of(project)
    assert after.keys() == edited.before.keys()
    for path, data in edited.before.items():
        assert strip_sync_marks(after[path]) == strip_sync_marks(data), path
    again = plan_of(project, org)
    assert not again.has_changes, again.changes
    orphans = {(c.target, c.key) for c in again.changes}
    assert {c.action for c in again.changes} == {"orphan"}
    assert orphans == {
        *(("jira", key) for key, _ in edited.orphans.values() if key),
        *(("salesforce", record_id) for _, record_id in edited.orphans.values()),
    }


@pytest.mark.parametrize("rfe_to", ["x", " "], ids=["checked", "unchecked"])
@pytest.mark.parametrize(("step", "nth"), STEPS, ids=[s for s, _ in STEPS])
def test_a_sync_of_cancels_and_status_moves_killed_at_each_step_then_run_again(
    project: ExampleProject, org: Org, step: str, nth: int, rfe_to: str
) -> None:
    edited = synced_then_edited(project, org, rfe_to, new_rfe=True)
    with pytest.raises(Crash):
        run(project, org, checkpoint=crash_at(step, nth))
    sync(project, org)
    assert_settled(project, org, edited)
    sync(project, org)  # and again: nothing cancelled or moved twice
    assert_settled(project, org, edited)


@pytest.mark.parametrize("backend", ["jira", "salesforce"])
def test_a_sync_killed_once_a_backend_moved_the_statuses_before_they_are_stored(
    project: ExampleProject, org: Org, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between a transition call's answer and the state store: nothing marks it as done."""
    edited = synced_then_edited(project, org)
    cls = JiraConnector if backend == "jira" else SalesforceConnector
    made = cls.transition_many

    def made_then_die(self: Any, moves: list[Any]) -> Any:
        made(self, moves)
        raise Crash(f"{backend} transitions made")

    monkeypatch.setattr(cls, "transition_many", made_then_die)
    with pytest.raises(Crash):
        run(project, org)
    monkeypatch.setattr(cls, "transition_many", made)
    sync(project, org)
    assert_settled(project, org, edited)


@pytest.mark.parametrize(
    ("backend", "fault"),
    [
        ("jira", {"drop": "after_commit", "method": "POST", "path_contains": "/transitions"}),
        ("jira", {"drop": "before_commit", "method": "POST", "path_contains": "/transitions"}),
        ("jira", {"status": 500, "method": "POST", "path_contains": "/transitions", "count": 2}),
        ("jira", {"status": 429, "retry_after": 0, "path_contains": "/transitions", "count": 2}),
        ("salesforce", {"drop": "after_commit", "path_contains": "/composite/sobjects"}),
        ("salesforce", {"drop": "before_commit", "path_contains": "/composite/sobjects"}),
        ("salesforce", {"status": 500, "path_contains": "/composite/sobjects"}),
        ("salesforce", {"status": 503, "retry_after": 0, "path_contains": "/composite/sobjects"}),
    ],
    ids=lambda v: v if isinstance(v, str) else str(v.get("drop") or v.get("status")),
)
def test_a_cancel_or_status_move_whose_answer_is_lost_or_refused_ends_right_on_a_rerun(
    project: ExampleProject, org: Org, backend: str, fault: dict[str, Any]
) -> None:
    """Salesforce's only write of this sync is the status batch; Jira's transitions come after
    its create and link. A lost answer is not resent; the rerun sees where the record got."""
    edited = synced_then_edited(project, org)
    app = project.app if backend == "jira" else org.app
    app.configure_faults({"fail_next": [fault]})
    config = config_of(project)
    plansync.apply(config, salesforce=org.connector(config, sleep=lambda _: None))
    app.configure_faults({"clear": True})
    sync(project, org)
    assert_settled(project, org, edited)


@pytest.mark.parametrize("cut", ["crash", "lost-jira-answer", "lost-salesforce-answer"])
def test_cancels_cut_short_then_reopened_in_the_backends_are_not_cancelled_again(
    project: ExampleProject, org: Org, cut: str
) -> None:
    """A cancel is made once: reopened in Jira and Salesforce after a sync cut short (killed
    once the moves were made, or the answer to the cancel lost) and its rerun, the orphans stay
    open through later syncs."""
    edited = synced_then_edited(project, org)
    if cut == "crash":
        with pytest.raises(Crash):
            run(project, org, checkpoint=crash_at("transitions"))
    else:
        ((key, record_id),) = [keys for keys in edited.orphans.values() if keys[0]]
        app = project.app if cut == "lost-jira-answer" else org.app
        where = f"/issue/{key}/transitions" if cut == "lost-jira-answer" else "/composite/sobjects"
        lost = {"drop": "after_commit", "method": "POST", "path_contains": where}
        if cut == "lost-salesforce-answer":
            lost["method"] = "PATCH"
        app.configure_faults({"fail_next": [lost]})
        config = config_of(project)
        result = plansync.apply(config, salesforce=org.connector(config, sleep=lambda _: None))
        assert result.ok == (cut == "lost-salesforce-answer"), result.errors  # resent: by Id
        app.configure_faults({"clear": True})
    sync(project, org)
    assert_settled(project, org, edited)
    for _block_id, (key, record_id) in edited.orphans.items():
        if key:
            requests.post(
                f"{project.url}/rest/api/2/issue/{key}/transitions",
                json={"transition": {"id": "11"}},
                auth=(SANDBOX_USER, SANDBOX_TOKEN),
                timeout=10,
            ).raise_for_status()
        sobject = "Feature__c"
        org.connector(config_of(project)).update_many(
            [FieldUpdate(record_id, {"Status__c": "New"}, sobject=sobject)]
        )
    sync(project, org)
    sync(project, org)
    for block_id, (key, record_id) in edited.orphans.items():
        assert moved(edited.moves.salesforce, record_id) == ["Cancelled", "New"]
        if key:
            assert edited.moves.jira[key] == ["41", "11"]  # cancelled, reopened by hand
            assert issues_by_id(project)[block_id]["fields"]["status"]["name"] == "To Do"
        assert org.records()[block_id][1]["Status__c"] == "New"


@pytest.mark.parametrize("step", ["ids_written", "created", "keys_written", "transitions"])
def test_a_deleted_or_emptied_note_cancels_nothing_even_in_a_crashed_sync(
    project: ExampleProject, org: Org, step: str
) -> None:
    """The RFE's note is deleted and the roadmap note emptied of items while a line is deleted
    from a third note: only that line's issue is cancelled, however the sync is cut short."""
    with_orphans_cancelled(project)
    config, rfe, _ = synced_item(project, org, RFE_TEXT)
    feature = item_with(project, config, FEATURE_TEXT)
    gone = {
        k
        for r in routed(project, config)
        if r.note.path in (rfe.note.path, feature.note.path)
        for k in r.item.keys.values()
    }
    runbook = next(
        r
        for r in routed(project, config)
        if r.note.path.startswith("2025-11-03") and r.item.status == " "
    )
    (project.vault / rfe.note.path).unlink()
    roadmap = project.vault / feature.note.path
    roadmap.write_text(roadmap.read_text(encoding="utf-8").split("## Action Items")[0])
    path = project.vault / runbook.note.path
    replace_once(path, line_of(project, runbook.note.path, runbook.item.line) + "\n", "")
    add_new = project.vault / runbook.note.path
    data = add_new.read_bytes()
    add_new.write_bytes(
        data.replace(b"## Action Items\n\n", f"## Action Items\n\n{NEW_ACTION}\n".encode(), 1)
    )
    moves = count_moves(project, org)
    plan = plan_of(project, org)
    assert [c.key for c in plan.changes if c.action == "transition"] == [runbook.item.keys["jira"]]
    with pytest.raises(Crash):
        run(project, org, checkpoint=crash_at(step))
    sync(project, org)
    sync(project, org)
    assert moves.jira == {runbook.item.keys["jira"]: ["41"]}
    assert moves.salesforce == {}
    issues = {i["key"]: i for i in issues_by_id(project).values()}
    for key in gone:
        if key in issues:
            assert issues[key]["fields"]["status"]["statusCategory"]["key"] == "new", key
    assert not plan_of(project, org).has_changes


def test_a_record_made_by_a_dead_sync_for_a_line_deleted_since_is_an_ordinary_orphan(
    project: ExampleProject, org: Org
) -> None:
    """Killed once Salesforce made the new RFE's record, before its Id was stored; the line is
    deleted before the next run. Its issue, stored, is cancelled (its note still has items).
    Its record, known by the dead create's journal only, which names its note, becomes a
    record of that note like the issue: cancelled once as well (``orphans = "cancel"``, with
    a status field), then reported, and the journal entry is closed."""
    synced_then_edited(project, org, new_rfe=True)
    with pytest.raises(Crash):
        run(project, org, checkpoint=crash_at("created", 2))
    config = config_of(project)
    [new] = [r for r in routed(project, config) if r.item.text.startswith(NEW_RFE[6:30])]
    block_id = new.item.block_id or ""
    assert block_id in org.records() and block_id in issues_by_id(project)
    path = project.vault / new.note.path
    replace_once(path, line_of(project, new.note.path, new.item.line) + "\n", "")
    sync(project, org)
    sync(project, org)
    again = plan_of(project, org)
    assert not again.has_changes
    reported = {c.target: c for c in again.changes if c.item.block_id == block_id}
    assert {c.action for c in reported.values()} == {"orphan"}
    for change in reported.values():  # reported since: closed
        assert (change.message or "").endswith(
            "its line is gone from the note; a sync cancelled it;"
            f" `{config.caller.command('forget', change.key or '')}` stops this report"
        )
        assert change.item.note == new.note.path
    assert status_of(org, block_id) == ("RFE__c", "Cancelled")
    assert issues_by_id(project)[block_id]["fields"]["status"]["name"] == "Won't Do"
    with open_state(config.state_dir, lock=False) as state:
        assert state.in_flight() == []


def test_an_owner_with_no_salesforce_user_is_said_to_leave_the_record_s_owner_as_it_is(
    project: ExampleProject, org: Org
) -> None:
    """A Salesforce record always has an owner: plansync sends none, and the record keeps the
    one it has. "Left unassigned", as for a Jira issue, was not so (a user test). An owner
    of no user in either backend is one warning naming both: one a backend, a vault's ten
    unknown owners were twenty warnings (a user test), each pair saying the same remedy."""
    (project.vault / "hallway-chat.md").write_text(
        "---\ntitle: Hallway chat\n---\n\n- [ ] Support the EU region @Zed Nobody #rfe\n"
        "- [ ] Size the EU region @Zed Nobody\n",
        encoding="utf-8",
    )
    warnings = [w for w in plan_of(project, org).warnings if "Zed Nobody" in w]
    assert warnings == [
        "hallway-chat.md:5: owner '@Zed Nobody' maps to no Jira user and no Salesforce user"
        " (add it under [users] in the config); its issue keeps the assignee it has (a new"
        " one: none) and its record keeps the owner it has (a new one: the user plansync logs"
        " in as); likewise 1 more item of this owner"
    ]


def test_myself_naming_no_user_of_either_backend_is_one_warning_naming_both(
    project: ExampleProject, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The setting to change is the owner's, whatever the backend: said once, for both."""
    monkeypatch.setenv("PLANSYNC_MYSELF", "Nobody Known")
    (project.vault / "hallway-chat.md").write_text(
        "---\ntitle: Hallway chat\n---\n\n- [ ] Support the EU region @Myself #rfe\n",
        encoding="utf-8",
    )
    (warning,) = [w for w in plan_of(project, org).warning_details if "'@Myself'" in w.message]
    assert warning.message.startswith(
        "owner '@Myself' ('myself' = 'Nobody Known' in the config) maps to no Jira user and no"
        " Salesforce user: set 'myself' to a key of [users] or an e-mail Jira and Salesforce"
        " know; its issue keeps the assignee it has (a new one: none) and its record keeps the"
        " owner it has (a new one: the user plansync logs in as); likewise "
    )


def test_an_owner_whose_e_mail_three_salesforce_users_share_is_said_to_map_to_three(
    project: ExampleProject, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It read "maps to no Salesforce user, or to several" (and a look-up of LIMIT 2 counted
    no further): the look-up knows which, and the reader needs to, to fix [users] or the org."""
    others = [SfUser(salesforce_id("005", n), f"Dana {n}", "dana@example.com") for n in (98, 99)]
    monkeypatch.setattr(salesforce_app, "USERS", [*salesforce_app.USERS, *others])
    (project.vault / "hallway-chat.md").write_text(
        "---\ntitle: Hallway chat\n---\n\n- [ ] Support the EU region @Dana Okafor #rfe\n",
        encoding="utf-8",
    )
    warnings = [w for w in plan_of(project, org).warnings if "Salesforce user" in w]
    assert warnings == [
        "hallway-chat.md:5: owner '@Dana Okafor' maps by e-mail 'dana@example.com' ([users]) to"
        " 3 Salesforce users: give its salesforce id in [users] instead; its record keeps the"
        " owner it has (a new one: the user plansync logs in as)"
    ]


# ---- descriptions of notes without a date or participants ----------------------------------


def test_a_record_with_the_old_dateless_description_gets_one_plain_update(
    project: ExampleProject, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record synced (by the default before dates and participants were left out) from a
    note without a date or participants holds 'From the meeting "…" on  ().': the next plan
    updates its description once, as a change of the note (the three-way base and the record
    both hold the old text), and plans nothing for any other record, whose notes give every
    part and so render as before. (The owner's line is as now, left out for an item without
    an owner: that is another change, tested in test_descriptions; so is the list of a
    decision's details, tested below.)"""
    old = (
        '{text}\n\n{details:?{details}\n\n}From the meeting "{note_title}" on {note_date}'
        " ({participants}).\n{owner:?Owner: {owner}\n}Note: {link}"
    )
    (project.vault / "hallway-chat.md").write_text(
        "---\ntitle: Hallway chat\n---\n\n## Action Items\n\n"
        "- [ ] Support the EU region in the pricing API @Myself #rfe\n",
        encoding="utf-8",
    )
    with monkeypatch.context() as patched:
        patched.setattr("plansync.config.DEFAULT_SF_DESCRIPTION", old)
        sync(project, org)
    (block_id,) = [
        i for i, (_, record) in org.records().items() if "on  ()." in record["Description__c"]
    ]
    plan = plan_of(project, org)
    assert plan.summary == summary_of(update=1), [c.message or c.fields for c in plan.changes]
    (change,) = plan.changes
    assert change.target == "salesforce" and change.item.block_id == block_id
    assert set(change.fields) == {"Description__c"}
    text = change.fields["Description__c"]
    assert text["new"] == text["old"].replace('"Hallway chat" on  ().', '"Hallway chat".')
    sync(project, org)
    assert "on  ()" not in org.records()[block_id][1]["Description__c"]
    assert not plan_of(project, org).changes


def test_a_decisions_details_are_listed_in_its_record_once(
    project: ExampleProject, org: Org
) -> None:
    """The example's decision with a sub-bullet: its record lists it, as plain text, after the
    decision's text; the next plan changes nothing."""
    sync(project, org)
    (record,) = [
        record
        for _, record in org.records().values()
        if record["Name"] == "Tenant quotas ship before the control-plane work."
    ]
    assert record["Description__c"].startswith(
        "Tenant quotas ship before the control-plane work.\n\n"
        "- The metadata team has room for one large item in Q1.\n\n"
        'From the meeting "Q1 roadmap review" on 2025-11-05'
    )
    assert not plan_of(project, org).changes


@pytest.mark.parametrize("then", ["next occurrence", "id taken off"])
@pytest.mark.parametrize("written", [" to staging", " blocked by [{other}]({other_url})"])
def test_a_line_with_words_after_both_keys_is_still_told_apart_when_its_id_goes(
    project: ExampleProject, org: Org, then: str, written: str
) -> None:
    """Words or another ticket's link after an RFE line's Jira and Salesforce keys, then its
    next occurrence written above it or its id taken off: a copy, or the line regaining its
    id, as with the keys at the end. Read with one system's key, the other's link was text:
    both records were made again (and the old ones cancelled as orphans)."""
    _, entry, block_id = synced_item(project, org, "per-bucket replication lag")
    path = project.vault / entry.note.path
    line = line_of(project, entry.note.path, entry.item.line)
    issues = project.issues()
    other = next(key for key in issues if key != entry.item.keys["jira"])
    sf_url = line.split(f"[{entry.item.keys['salesforce']}](")[1].split(")")[0]
    jira_url = line.split(f"[{entry.item.keys['jira']}](")[1].split(")")[0]
    added = written.format(other=other, other_url=jira_url.replace(entry.item.keys["jira"], other))
    replace_once(path, f"{sf_url})", f"{sf_url}){added}")
    sync(project, org)
    line = line_of(project, entry.note.path, entry.item.line)
    if then == "id taken off":
        replace_once(path, f" ^{block_id}", "")
    else:
        replace_once(path, line + "\n", f"{line.removesuffix(f' ^{block_id}')}\n{line}\n")

    plan = plan_of(project, org)
    creates = [c for c in plan.changes if c.action == "create"]
    assert not [c for c in plan.changes if c.action in ("conflict", "orphan")], plan.summary
    if then == "id taken off":
        assert not creates
    else:
        assert {c.target for c in creates} == {"jira", "salesforce"}
        for create in creates:
            named = str(create.fields.get("summary") or create.fields.get("Name"))
            assert entry.item.keys["jira"] not in named
    sync(project, org)
    text = path.read_text(encoding="utf-8")
    for key in entry.item.keys.values():
        assert text.count(f"[{key}]") == 1
    assert text.count(f"^{block_id}") == 1
    assert not plan_of(project, org).changes


def test_a_first_plan_whose_jwt_login_fails_says_so_without_naming_a_rule(
    project: ExampleProject, org: Org, loopback_tls: LoopbackCertificate
) -> None:
    """A first plan reads each object once, before it shows creates (``destination_problem``);
    the login's refusal, a 400 (invalid_grant), was taken for the object's, and said as the
    default rule's mistake, "salesforce.rules[0]: Salesforce login (JWT bearer) … failed", of
    a rule the user never wrote, and with no word of what the refusal means (a user test)."""
    for note in project.vault.rglob("*.md"):  # one item, owned by no one: no user look-up
        note.unlink()
    (project.vault / "note.md").write_text("- [ ] Ask for an export #rfe\n", "utf-8")
    config = config_of(project)
    assert config.salesforce is not None
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    connector = SalesforceConnector(
        config.salesforce.managed_fields(),
        config.salesforce.external_id_field,
        auth="jwt",
        username="nobody@example.com",  # no user of the org: refused as never approved
        consumer_key="plansync-app",
        private_key=pem,
        domain=f"{org.url}/login.salesforce.com",
        session=loopback_tls.client_session(),  # not org's: it reads every POST as JSON
    )
    with pytest.raises(plansync.PlansyncError) as failed:
        plansync.plan(config, salesforce=connector)
    said = str(failed.value)
    assert said.startswith(
        f"Salesforce login (JWT bearer) at {org.url}/login.salesforce.com failed: invalid_grant:"
        " user hasn't approved this consumer; the user must be pre-authorised for the connected"
        ' app (Permitted Users: "Admin approved users are pre-authorized", and a profile or'
        " permission set of the user's assigned to the app)"
    )
    assert "rules[" not in said and str(project.config_path) not in said


@pytest.mark.parametrize("status_field", [True, False])
def test_a_line_moved_into_an_excluded_folder_is_said_so_by_both_backends_orphans(
    project: ExampleProject, org: Org, status_field: bool
) -> None:
    """Under ``orphans = "cancel"``, the feature line moved, id and all, into a folder
    ``vault.exclude`` names: its Jira orphan said where the line is now, but its Salesforce
    orphan, planned as no cancel (no status field to cancel it by) or as one, said "its line
    is gone from the note" (a user test). Both say where it is, and both are left alone."""
    if status_field:
        with_status_field(project)
    replace_once(
        project.config_path, "\n[salesforce]\n", '\n[sync]\norphans = "cancel"\n\n[salesforce]\n'
    )
    replace_once(
        project.config_path,
        'exclude = ["**/templates/**", "**/Templates/**"]',
        'exclude = ["Archive"]',
    )
    _config, feature, _ = synced_item(project, org, FEATURE_TEXT)
    line = line_of(project, feature.note.path, feature.item.line)
    replace_once(project.vault / feature.note.path, line + "\n", "")
    (project.vault / "Archive").mkdir()
    (project.vault / "Archive" / "old.md").write_text(f"# Old\n\n{line}\n", "utf-8")

    plan = plan_of(project, org)
    orphans = {c.target: c for c in plan.changes if c.item.block_id == feature.item.block_id}
    assert set(orphans) == {"jira", "salesforce"}
    why = "its line is now in Archive/old.md, which is not read by the config"
    why += " (vault.exclude 'Archive' takes it); left alone"
    for target, change in orphans.items():
        assert change.action == "orphan"
        assert change.message == f"{feature.item.keys[target]}: {why}"
