"""The Jira sandbox driven by the real ``jira`` client over HTTP on 127.0.0.1, in both modes.

These tests pin down the behaviour the connector relies on (and the traps it must avoid), so
they go through the same client and the same HTTP stack the connector uses; only raw status
codes the client hides (201 vs 200, 410) are checked with plain ``requests``.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from conftest import sandbox_issues
from jira import JIRA, JIRAError, resilientsession

from plansync.sandbox import Workflow, jira_app, salesforce_app
from plansync.sandbox.common import SqliteStore
from plansync.sandbox.jira_app import JiraSandbox, Mode
from plansync.sandbox.jql import parse_jql
from plansync.sandbox.server import RunningServer, serve_in_thread

AUTH = ("jason", "any-token")
TOMER_ACCOUNT_ID = "5b10ac8d82e05b22cc7d4ef5"


# ---- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture(params=["cloud", "dc"])
def mode(request: pytest.FixtureRequest) -> Mode:
    return request.param


@pytest.fixture
def app(mode: Mode) -> Iterator[JiraSandbox]:
    sandbox = JiraSandbox(mode=mode)
    yield sandbox
    sandbox.close()


@pytest.fixture
def server(app: JiraSandbox) -> Iterator[RunningServer]:
    with serve_in_thread(app) as running:
        yield running


@pytest.fixture
def jira(server: RunningServer) -> JIRA:
    return JIRA(server.url, basic_auth=AUTH)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The client's retry back-off delays, recorded instead of slept (keeps the tests fast)."""
    delays: list[float] = []
    monkeypatch.setattr(resilientsession, "time", SimpleNamespace(sleep=delays.append))
    return delays


def api(server: RunningServer, method: str, path: str, **kwargs: Any) -> requests.Response:
    """A raw authenticated call, for what the client hides (exact status codes, headers)."""
    kwargs.setdefault("auth", AUTH)
    return requests.request(method, server.url + path, timeout=10, **kwargs)


def faults(server: RunningServer, config: dict[str, Any]) -> None:
    response = requests.post(server.url + "/_sandbox/faults", json=config, timeout=10)
    assert response.status_code == 200, response.text


def assignee(mode: Mode) -> dict[str, str]:
    return {"accountId": TOMER_ACCOUNT_ID} if mode == "cloud" else {"name": "tomer"}


def new_fields(summary: str, **extra: Any) -> dict[str, Any]:
    return {"project": {"key": "PLAN"}, "issuetype": {"name": "Task"}, "summary": summary, **extra}


def jql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def errors_of(excinfo: pytest.ExceptionInfo[JIRAError]) -> dict[str, Any]:
    assert excinfo.value.response is not None
    return excinfo.value.response.json()


# ---- construction, metadata, users -----------------------------------------------------------


def test_client_construction_reads_server_info(jira: JIRA, app: JiraSandbox, mode: Mode) -> None:
    info = jira.server_info()
    assert info["deploymentType"] == ("Cloud" if mode == "cloud" else "Server")
    assert jira._is_cloud is (mode == "cloud")
    assert app.stats()["by_route"] == {"GET /rest/api/2/serverInfo": 2}


def test_more_projects_each_number_their_issues_and_keep_their_ids_across_restarts(
    tmp_path: Path, mode: Mode
) -> None:
    """What the embedded sandbox serves a config whose rules name several projects."""
    db = tmp_path / "jira.db"
    first = JiraSandbox(db, mode=mode, projects=["OPS"])
    with serve_in_thread(first) as running:
        jira = JIRA(running.url, basic_auth=AUTH)
        assert [(p.key, p.id) for p in jira.projects()] == [("PLAN", "10000"), ("OPS", "10001")]
        made = jira.create_issues(
            [
                {"project": {"key": key}, "issuetype": {"name": "Task"}, "summary": key}
                for key in ("OPS", "PLAN", "OPS")
            ]
        )
        assert [m["issue"].key for m in made] == ["OPS-1", "PLAN-1", "OPS-2"]
        assert sorted(i.key for i in jira.search_issues("project = OPS")) == ["OPS-1", "OPS-2"]
        assert jira.issue("OPS-2").fields.project.id == "10001"
        with pytest.raises(JIRAError) as excinfo:
            jira.create_issue(project="ENG", issuetype={"name": "Task"}, summary="s")
        assert excinfo.value.status_code == 404  # the client looks the project up first
    first.close()

    again = JiraSandbox(db, mode=mode, projects=["ENG", "OPS"])
    with serve_in_thread(again) as running:
        jira = JIRA(running.url, basic_auth=AUTH)
        ids = {p.key: p.id for p in jira.projects()}
        assert ids == {"PLAN": "10000", "OPS": "10001", "ENG": "10002"}
        assert jira.create_issue(project="OPS", issuetype={"name": "Task"}, summary="s").key == (
            "OPS-3"
        )
    again.close()


def test_metadata_endpoints(jira: JIRA) -> None:
    assert [p.key for p in jira.projects()] == ["PLAN"]
    project = jira.project("PLAN")
    assert project.name == "Plansync Sandbox"
    assert {t.name for t in project.issueTypes} == {"Task", "Story", "Bug", "Epic"}
    assert [t.name for t in jira.issue_types()] == ["Epic", "Task", "Story", "Bug"]
    assert [p.name for p in jira.priorities()] == ["Highest", "High", "Medium", "Low", "Lowest"]
    clause_names = {f["id"]: f["clauseNames"] for f in jira.fields()}
    assert clause_names["duedate"] == ["due", "duedate"]
    with pytest.raises(JIRAError) as excinfo:
        jira.project("NOPE")
    assert excinfo.value.status_code == 404


def test_users(jira: JIRA, mode: Mode) -> None:
    assert jira.myself()["displayName"] == "Jason Vallery"
    if mode == "cloud":
        (tomer,) = jira.search_users(query="Tomer")
        assert tomer.accountId == TOMER_ACCOUNT_ID
        assert jira.user(TOMER_ACCOUNT_ID).displayName == "Tomer Hagay"
    else:
        (tomer,) = jira.search_users(user="tomer")
        assert tomer.name == "tomer"
        assert jira.user("tomer").displayName == "Tomer Hagay"
    assert tomer.displayName == "Tomer Hagay"
    assert [u.displayName for u in jira.search_users(user="sha", query="sha")] == ["Shahar"]


def test_user_search_parameters_follow_the_deployment(server: RunningServer, mode: Mode) -> None:
    by_username = api(server, "GET", "/rest/api/2/user/search", params={"username": "tomer"})
    if mode == "cloud":
        assert by_username.status_code == 400  # GDPR strict mode: no usernames in Cloud
        assert "username" in by_username.json()["errorMessages"][0]
    else:
        assert [u["name"] for u in by_username.json()] == ["tomer"]


# ---- issues -----------------------------------------------------------------------------------


def test_create_get_and_select_fields(jira: JIRA, mode: Mode) -> None:
    issue = jira.create_issue(
        fields=new_fields(
            "Draft the plan",
            description="Line one\n\nh2. Wiki markup",
            priority={"name": "High"},
            duedate="2025-10-27",
            labels=["ps-7k2m9q", "plansync"],
            components=[{"name": "Docs"}],
            assignee=assignee(mode),
        )
    )
    assert issue.key == "PLAN-1"
    assert issue.fields.summary == "Draft the plan"
    assert issue.fields.description == "Line one\n\nh2. Wiki markup"
    assert issue.fields.priority.name == "High"
    assert issue.fields.duedate == "2025-10-27"
    assert issue.fields.labels == ["ps-7k2m9q", "plansync"]
    assert [c.name for c in issue.fields.components] == ["Docs"]
    assert issue.fields.assignee.displayName == "Tomer Hagay"
    assert issue.fields.reporter.displayName == "Jason Vallery"
    assert issue.fields.status.name == "To Do"
    assert issue.fields.status.statusCategory.key == "new"
    assert issue.fields.resolution is None

    partial = jira.issue("PLAN-1", fields="summary,labels")
    assert set(partial.raw["fields"]) == {"summary", "labels"}
    assert jira.issue(issue.id).key == "PLAN-1"  # by id as well as by key
    assert set(jira.issue("PLAN-1", fields="*all,-description").raw["fields"]) >= {"summary"}
    assert "description" not in jira.issue("PLAN-1", fields="*all,-description").raw["fields"]

    with pytest.raises(JIRAError) as excinfo:
        jira.issue("PLAN-99")
    assert excinfo.value.status_code == 404
    assert errors_of(excinfo)["errorMessages"] == [
        "Issue does not exist or you do not have permission to see it."
    ]


def test_create_validation_errors_look_like_jira(jira: JIRA, mode: Mode) -> None:
    with pytest.raises(JIRAError) as excinfo:
        jira.create_issue(
            fields=new_fields(
                "x" * 256,
                duedate="2025-13-45",
                labels=["has space"],
                priority={"name": "Urgent"},
                assignee={"accountId": "nobody"} if mode == "cloud" else {"name": "nobody"},
                customfield_10099="?",
            )
        )
    assert excinfo.value.status_code == 400
    body = errors_of(excinfo)
    assert body["errorMessages"] == []
    assert body["errors"] == {
        "summary": "Summary must be less than 255 characters.",
        "duedate": "Error parsing date string: 2025-13-45",
        "labels": "The label 'has space' contains spaces which is invalid.",
        "priority": "Priority name 'Urgent' is not valid",
        "assignee": (
            "Specified user does not exist or you do not have required permissions"
            if mode == "cloud"
            else "User 'nobody' does not exist."
        ),
        "customfield_10099": (
            "Field 'customfield_10099' cannot be set. It is not on the appropriate screen, "
            "or unknown."
        ),
    }
    # Jira counts a summary's length as Java does, in UTF-16 units: an emoji counts twice.
    with pytest.raises(JIRAError) as excinfo:
        jira.create_issue(fields=new_fields("x" * 254 + "🚀"))
    assert errors_of(excinfo)["errors"] == {"summary": "Summary must be less than 255 characters."}

    with pytest.raises(JIRAError) as excinfo:
        jira.create_issue(fields={"project": {"key": "NOPE"}, "issuetype": {"name": "Saga"}})
    assert errors_of(excinfo)["errors"] == {
        "project": "Specify a valid project ID or key",
        "issuetype": "Specify a valid issue type",
        "summary": "You must specify a summary of the issue.",
    }


def test_bulk_create_partial_and_total_failure(
    jira: JIRA, server: RunningServer, mode: Mode
) -> None:
    results = jira.create_issues(
        [
            new_fields("first", labels=["ps-1"]),
            new_fields("bad", duedate="tomorrow"),
            new_fields("third", assignee=assignee(mode)),
        ],
        prefetch=False,
    )
    assert [r["status"] for r in results] == ["Success", "Error", "Success"]
    assert results[1]["error"] == {"duedate": "Error parsing date string: tomorrow"}
    assert [results[0]["issue"].key, results[2]["issue"].key] == ["PLAN-1", "PLAN-2"]

    partial = api(
        server,
        "POST",
        "/rest/api/2/issue/bulk",
        json={"issueUpdates": [{"fields": new_fields("ok")}, {"fields": new_fields("")}]},
    )
    assert partial.status_code == 201
    assert [i["key"] for i in partial.json()["issues"]] == ["PLAN-3"]
    assert partial.json()["errors"] == [
        {
            "status": 400,
            "elementErrors": {
                "errorMessages": [],
                "errors": {"summary": "You must specify a summary of the issue."},
            },
            "failedElementNumber": 1,
        }
    ]

    all_bad = api(
        server, "POST", "/rest/api/2/issue/bulk", json={"issueUpdates": [{"fields": {}}] * 2}
    )
    assert all_bad.status_code == 400
    assert all_bad.json()["issues"] == []
    assert [e["failedElementNumber"] for e in all_bad.json()["errors"]] == [0, 1]
    # the client turns an all-failed 400 into per-item errors, not an exception
    failed = jira.create_issues([new_fields("bad", labels=["a b"])], prefetch=False)
    assert failed[0]["status"] == "Error"

    too_many = {"issueUpdates": [{"fields": new_fields(f"n{i}")} for i in range(51)]}
    over = api(server, "POST", "/rest/api/2/issue/bulk", json=too_many)
    assert over.status_code == 400
    assert "50" in over.json()["errorMessages"][0]
    assert len(sandbox_issues(server.url)) == 3


def test_edit(jira: JIRA, mode: Mode) -> None:
    issue = jira.create_issue(fields=new_fields("before", duedate="2025-10-27", labels=["a"]))
    issue.update(
        fields={
            "summary": "after",
            "duedate": None,
            "labels": ["a", "b"],
            "assignee": assignee(mode),
            "priority": {"id": "1"},
        }
    )
    assert issue.fields.summary == "after"
    assert issue.fields.duedate is None
    assert issue.fields.labels == ["a", "b"]
    assert issue.fields.assignee.displayName == "Tomer Hagay"
    assert issue.fields.priority.name == "Highest"

    issue.update(update={"labels": [{"add": "c"}, {"remove": "a"}]})
    assert issue.fields.labels == ["b", "c"]

    with pytest.raises(JIRAError) as excinfo:
        issue.update(fields={"summary": "two\nlines"})
    assert excinfo.value.status_code == 400
    assert errors_of(excinfo)["errors"] == {
        "summary": "The summary is invalid because it contains newline characters."
    }


# ---- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize("json_functions", [True, False], ids=["picked-in-sqlite", "all-decoded"])
def test_search_by_labels_with_quotes_and_backslashes(
    jira: JIRA, app: JiraSandbox, json_functions: bool
) -> None:
    """Issues carrying the labels are picked in SQLite where it has JSON functions, and every
    issue is decoded and matched where it has not: the answers are the same."""
    app._store._json_functions = json_functions
    tricky = ['ps-say"hi"', "ps-back\\slash", "ps-plain"]
    for i, label in enumerate(tricky):
        jira.create_issue(fields=new_fields(f"issue {i}", labels=[label, "common"]))
    jira.create_issue(fields=new_fields("unlabelled"))

    values = ", ".join(jql_string(v) for v in tricky[:2])
    found = jira.search_issues(f"project = PLAN AND labels in ({values}) ORDER BY key")
    assert [i.key for i in found] == ["PLAN-1", "PLAN-2"]
    assert found[0].fields.labels == ['ps-say"hi"', "common"]

    found = jira.search_issues("labels = common AND key in (PLAN-3, 'PLAN-2') ORDER BY key DESC")
    assert [i.key for i in found] == ["PLAN-3", "PLAN-2"]


def test_search_rejects_jql_outside_the_subset(jira: JIRA) -> None:
    jira.create_issue(fields=new_fields("one"))
    for jql, message in [
        ("project = PLAN OR labels = x", "'OR' is not supported"),
        ("status = Done", "Field 'status' does not exist"),
        ('labels in ("unterminated)', "has not been completed"),
        ("labels = a.b", "The character '.' is a reserved JQL character"),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("key in (PLAN-1, PLAN-77)", "An issue with key 'PLAN-77' does not exist for field 'key'."),
        ("key = 12", "The issue key '12' for field 'key' is invalid."),
        ("project = PLAN ORDER BY created", "ordering by 'created' is not supported"),
    ]:
        with pytest.raises(JIRAError) as excinfo:
            jira.search_issues(jql)
        assert excinfo.value.status_code == 400, jql
        assert message in errors_of(excinfo)["errorMessages"][0], jql


def test_parse_jql_escapes() -> None:
    parsed = parse_jql(r'labels in ("a\"b", "c\\d", x-1, "\u00e9\ \t") AND project = PLAN')
    assert parsed.clauses == [("labels", ['a"b', "c\\d", "x-1", "é \t"]), ("project", ["PLAN"])]
    assert parsed.descending
    assert not parse_jql("key in (PLAN-1) order by key asc").descending


def test_cloud_search_jql_pages_with_tokens() -> None:
    with serve_in_thread(JiraSandbox(mode="cloud")) as server:
        for i in range(5):
            api(server, "POST", "/rest/api/2/issue", json={"fields": new_fields(f"n{i}")})
        params: dict[str, Any] = {"jql": "project = PLAN ORDER BY key", "maxResults": 2}
        first = api(server, "GET", "/rest/api/3/search/jql", params=params).json()
        assert first["issues"] == [{"id": "10000"}, {"id": "10001"}]  # ids only by default
        assert first["isLast"] is False
        assert "total" not in first

        keys, token = [], None
        while True:
            page = api(
                server,
                "POST",
                "/rest/api/2/search/jql",
                json={**params, "fields": ["summary"], "nextPageToken": token},
            ).json()
            keys += [i["key"] for i in page["issues"]]
            assert all(set(i["fields"]) == {"summary"} for i in page["issues"])
            token = page.get("nextPageToken")
            if token is None:
                assert page["isLast"] is True
                break
        assert keys == ["PLAN-1", "PLAN-2", "PLAN-3", "PLAN-4", "PLAN-5"]

        removed = api(server, "GET", "/rest/api/2/search", params={"jql": "project = PLAN"})
        assert removed.status_code == 410
        assert "/rest/api/3/search/jql" in removed.json()["errorMessages"][0]
        unbounded = api(server, "GET", "/rest/api/3/search/jql", params={"jql": "ORDER BY key"})
        assert unbounded.status_code == 400
        unknown_key = api(server, "POST", "/rest/api/3/search/jql", json={**params, "startAt": 2})
        assert unknown_key.status_code == 400
        assert 'Unrecognized field "startAt"' in unknown_key.json()["errorMessages"][0]
        bad_token = api(
            server, "GET", "/rest/api/3/search/jql", params={**params, "nextPageToken": "zz"}
        )
        assert bad_token.status_code == 400


def test_cloud_search_lag_and_reconcile_issues() -> None:
    with serve_in_thread(JiraSandbox(mode="cloud", faults={"search_lag_ms": 60_000})) as server:
        created = api(
            server, "POST", "/rest/api/2/issue", json={"fields": new_fields("x", labels=["ps-1"])}
        ).json()
        query = {"jql": "labels = ps-1"}
        assert api(server, "GET", "/rest/api/2/search/jql", params=query).json()["issues"] == []
        reconciled = api(
            server,
            "GET",
            "/rest/api/2/search/jql",
            params={**query, "reconcileIssues": created["id"]},
        )
        assert reconciled.json()["issues"] == [{"id": created["id"]}]
        # the issue itself is readable at once; only search lags
        assert api(server, "GET", f"/rest/api/2/issue/{created['key']}").status_code == 200


def test_dc_search_pages_with_start_at() -> None:
    with serve_in_thread(JiraSandbox(mode="dc")) as server:
        jira = JIRA(server.url, basic_auth=AUTH)
        for i in range(5):
            jira.create_issue(fields=new_fields(f"n{i}", labels=["batch"]))
        page = jira.search_issues("labels = batch ORDER BY key", startAt=2, maxResults=2)
        assert [i.key for i in page] == ["PLAN-3", "PLAN-4"]
        assert page.total == 5
        everything = jira.search_issues("labels = batch ORDER BY key", maxResults=False)
        assert [i.key for i in everything] == [f"PLAN-{n}" for n in range(1, 6)]

        lenient = api(
            server,
            "GET",
            "/rest/api/2/search",
            params={"jql": "key in (PLAN-1, PLAN-9)", "validateQuery": "warn"},
        ).json()
        assert [i["key"] for i in lenient["issues"]] == ["PLAN-1"]
        assert lenient["warningMessages"] == [
            "An issue with key 'PLAN-9' does not exist for field 'key'."
        ]
        body = {"jql": "project = PLAN", "properties": None}
        assert api(server, "POST", "/rest/api/2/search", json=body).status_code == 400
        assert api(server, "GET", "/rest/api/2/search/jql", params=body).status_code == 404
        assert api(server, "GET", "/rest/api/3/myself").status_code == 404


# ---- workflow and links -----------------------------------------------------------------------


def test_transitions(jira: JIRA) -> None:
    issue = jira.create_issue(fields=new_fields("move me"))
    available = {
        t["id"]: (t["name"], t["to"]["statusCategory"]["key"]) for t in jira.transitions(issue)
    }
    assert available == {
        "21": ("In Progress", "indeterminate"),
        "31": ("Done", "done"),
        "41": ("Won't Do", "done"),
    }
    jira.transition_issue(issue, "31")
    done = jira.issue(issue.key)
    assert (done.fields.status.name, done.fields.resolution.name) == ("Done", "Done")
    assert done.fields.resolutiondate is not None

    jira.transition_issue(issue, "To Do")  # by name: the client looks the id up first
    reopened = jira.issue(issue.key)
    assert (reopened.fields.status.name, reopened.fields.resolution) == ("To Do", None)

    jira.transition_issue(issue, "41")
    assert jira.issue(issue.key).fields.resolution.name == "Won't Do"

    with pytest.raises(JIRAError) as excinfo:
        jira.transition_issue(issue, "41")  # already there
    assert excinfo.value.status_code == 400
    assert errors_of(excinfo)["errorMessages"] == [
        "Transition id '41' is not valid for this issue."
    ]


def test_a_strict_workflow_lists_only_the_transitions_out_of_the_status_an_issue_is_in(
    mode: Mode,
) -> None:
    """What a multi-step move meets in a real workflow: To Do only starts or is declined,
    Done only reopens, and a transition from elsewhere is refused as Jira refuses it."""
    app = JiraSandbox(mode=mode, workflow="strict")
    with serve_in_thread(app) as running:
        jira = JIRA(running.url, basic_auth=AUTH)
        issue = jira.create_issue(fields=new_fields("walk me"))

        def offered() -> dict[str, tuple[str, str]]:
            listed = jira.transitions(issue)
            return {t["name"]: (t["to"]["name"], t.get("isGlobal", False)) for t in listed}

        assert offered() == {"Start": ("In Progress", False), "Won't Do": ("Won't Do", False)}
        with pytest.raises(JIRAError) as excinfo:
            jira.transition_issue(issue, "21")  # Done, from In Progress only
        assert excinfo.value.status_code == 400
        jira.transition_issue(issue, "11")
        assert set(offered()) == {"Done", "Won't Do"}  # no way back to To Do
        jira.transition_issue(issue, "21")
        done = jira.issue(issue.key)
        assert (done.fields.status.name, done.fields.resolution.name) == ("Done", "Done")
        assert offered() == {"Reopen": ("To Do", False)}
        jira.transition_issue(issue, "41")
        reopened = jira.issue(issue.key)
        assert (reopened.fields.status.name, reopened.fields.resolution) == ("To Do", None)
    app.close()
    with pytest.raises(ValueError, match="workflow must be one of all, strict, simple"):
        JiraSandbox(workflow="linear")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("workflow", "statuses"),
    [
        ("all", ["To Do", "In Progress", "Done", "Won't Do"]),
        ("strict", ["To Do", "In Progress", "Done", "Won't Do"]),
        ("simple", ["To Do", "In Progress", "Done"]),
    ],
)
def test_a_projects_statuses_are_its_workflows_for_each_issue_type(
    mode: Mode, workflow: Workflow, statuses: list[str]
) -> None:
    """``GET /project/{key}/statuses``, read by the real client (``issue_types_for_project``):
    what tells a workflow without a cancelled status (``simple``) from one with it. An
    unknown project is a 404, as for ``GET /project/{key}``."""
    app = JiraSandbox(mode=mode, workflow=workflow)
    with serve_in_thread(app) as running:
        jira = JIRA(running.url, basic_auth=AUTH)
        types = jira.issue_types_for_project("PLAN")
        assert [t.name for t in types] == ["Epic", "Task", "Story", "Bug"]
        for issue_type in types:
            assert [s.name for s in issue_type.statuses] == statuses
        assert {s.statusCategory.key for s in types[0].statuses} >= {"new", "done"}
        with pytest.raises(JIRAError) as excinfo:
            jira.issue_types_for_project("NOPE")
        assert excinfo.value.status_code == 404
    app.close()


def test_the_simple_workflow_moves_any_status_to_any_other_and_has_no_cancel(
    mode: Mode,
) -> None:
    """Jira's simplified workflow: To Do, In Progress and Done, each a global transition
    named after its status; Done sets the resolution, leaving it clears it."""
    app = JiraSandbox(mode=mode, workflow="simple")
    with serve_in_thread(app) as running:
        jira = JIRA(running.url, basic_auth=AUTH)
        issue = jira.create_issue(fields=new_fields("simply"))

        def offered() -> list[str]:
            return [t["to"]["name"] for t in jira.transitions(issue)]

        assert offered() == ["In Progress", "Done"]
        jira.transition_issue(issue, "31")
        done = jira.issue(issue.key)
        assert (done.fields.status.name, done.fields.resolution.name) == ("Done", "Done")
        assert offered() == ["To Do", "In Progress"]
        with pytest.raises(JIRAError) as excinfo:
            jira.transition_issue(issue, "41")  # Won't Do: no such transition here
        assert excinfo.value.status_code == 400
        jira.transition_issue(issue, "11")
        assert jira.issue(issue.key).fields.resolution is None
    app.close()


def test_remote_links_upsert_by_global_id(jira: JIRA, server: RunningServer) -> None:
    issue = jira.create_issue(fields=new_fields("linked"))
    path = f"/rest/api/2/issue/{issue.key}/remotelink"
    link = {
        "globalId": "plansync:ps-7k2m9q",
        "relationship": "meeting note",
        "object": {"url": "obsidian://open?vault=V&file=a", "title": "a.md", "summary": "old"},
    }
    first = api(server, "POST", path, json=link)
    assert first.status_code == 201
    moved = {
        "globalId": "plansync:ps-7k2m9q",
        "object": {"url": "obsidian://open?vault=V&file=b", "title": "b.md"},
    }
    second = api(server, "POST", path, json=moved)
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]

    (stored,) = jira.remote_links(issue.key)
    assert stored.globalId == "plansync:ps-7k2m9q"
    assert stored.object.title == "b.md"
    assert "summary" not in stored.raw["object"]  # left out: nulled, as Jira does
    assert "relationship" not in stored.raw

    jira.add_remote_link(issue.key, {"url": "https://x", "title": "x"}, globalId="other")
    jira.add_remote_link(issue.key, {"url": "https://x", "title": "x2"}, globalId="other")
    jira.add_simple_link(issue.key, {"url": "https://y", "title": "y"})
    jira.add_simple_link(issue.key, {"url": "https://y", "title": "y"})
    assert len(jira.remote_links(issue.key)) == 4  # two upserted + two without globalId

    one = api(server, "GET", path, params={"globalId": "other"}).json()
    assert one["object"]["title"] == "x2"
    missing_title = api(server, "POST", path, json={"object": {"url": "https://z"}})
    assert missing_title.status_code == 400
    assert missing_title.json()["errors"] == {"title": "'title' is required."}
    assert api(server, "DELETE", path, params={"globalId": "other"}).status_code == 204
    assert len(jira.remote_links(issue.key)) == 3


# ---- auth, errors ------------------------------------------------------------------------------


def test_auth_and_unknown_paths(server: RunningServer, jira: JIRA) -> None:
    anonymous = api(server, "GET", "/rest/api/2/myself", auth=None)
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "errorMessages": [
            "You are not authenticated. Authentication required to perform this operation."
        ],
        "errors": {},
    }
    bearer = api(
        server, "GET", "/rest/api/2/myself", auth=None, headers={"Authorization": "Bearer t"}
    )
    assert bearer.status_code == 200

    unknown = api(server, "GET", "/rest/api/2/nothing/here")
    assert unknown.status_code == 404
    assert unknown.json()["errorMessages"]
    assert api(server, "DELETE", "/rest/api/2/myself").status_code == 405
    assert api(server, "POST", "/rest/api/2/issue", data="{not json").status_code == 400


# ---- faults, latency, stats ---------------------------------------------------------------------


def test_injected_429_is_retried_after_retry_after(
    jira: JIRA, server: RunningServer, app: JiraSandbox, sleeps: list[float]
) -> None:
    faults(
        server,
        {"fail_next": [{"status": 429, "retry_after": 1, "path_contains": "myself", "count": 2}]},
    )
    app.reset_stats()
    assert jira.myself()["name" if app.mode == "dc" else "accountId"]
    # ResilientSession waits 2 * Retry-After, jittered down to half: between 1 and 2 seconds
    assert len(sleeps) == 2 and all(1 <= s <= 2 for s in sleeps)
    assert app.stats()["by_route"] == {"GET /rest/api/2/myself": 3}

    limited = api(server, "GET", "/rest/api/2/myself")
    assert limited.status_code == 200  # the queue is used up
    faults(server, {"fail_next": [{"status": 429, "retry_after": 7}]})
    limited = api(server, "GET", "/rest/api/2/myself")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    assert limited.json()["errorMessages"] == ["Rate limit exceeded."]


def test_injected_500_is_not_retried(
    jira: JIRA, server: RunningServer, app: JiraSandbox, sleeps: list[float]
) -> None:
    app.configure_faults({"fail_next": [{"status": 500, "method": "GET"}]})
    app.reset_stats()
    with pytest.raises(JIRAError) as excinfo:
        jira.myself()
    assert excinfo.value.status_code == 500
    assert sleeps == []
    assert app.stats()["total"] == 1


def test_dropped_bulk_create_and_the_retrying_client(
    jira: JIRA, server: RunningServer, sleeps: list[float]
) -> None:
    """Why the connector must not let ResilientSession retry creates blindly."""
    batch = [new_fields("dropped")]
    faults(server, {"fail_next": [{"drop": True, "path_contains": "issue/bulk"}]})
    jira.create_issues(batch, prefetch=False)  # dropped before commit, retried: one issue
    assert len(sleeps) == 1  # a ConnectionError is retried after 10-20 s (POST included)

    faults(server, {"fail_next": [{"drop": "after_commit", "path_contains": "issue/bulk"}]})
    jira.create_issues(batch, prefetch=False)  # committed, answer lost, retried: a duplicate
    dump = sandbox_issues(server.url)
    assert [i["key"] for i in dump] == ["PLAN-1", "PLAN-2", "PLAN-3"]

    no_retry = JIRA(server.url, basic_auth=AUTH, max_retries=0)
    faults(server, {"fail_next": [{"drop": "after_commit", "path_contains": "issue/bulk"}]})
    with pytest.raises(requests.ConnectionError):
        no_retry.create_issues(batch, prefetch=False)
    dump = sandbox_issues(server.url)
    assert len(dump) == 4  # created although the client saw only a dropped connection


def test_random_fault_rates_are_seeded() -> None:
    def statuses() -> list[int]:
        sandbox = JiraSandbox(faults={"rate_429": 0.3, "rate_500": 0.2, "seed": 42})
        with serve_in_thread(sandbox) as server:
            return [api(server, "GET", "/rest/api/2/myself").status_code for _ in range(30)]

    first = statuses()
    assert first == statuses()
    assert {200, 429, 500} == set(first)


def test_latency(server: RunningServer) -> None:
    faults(server, {"latency_ms": 150})
    started = time.monotonic()
    assert api(server, "GET", "/rest/api/2/serverInfo").status_code == 200
    assert time.monotonic() - started >= 0.15
    assert requests.get(server.url + "/_sandbox/faults", timeout=10).json()["latency_ms"] == 150


def test_fault_configuration_is_validated(server: RunningServer) -> None:
    for bad in [
        {"rate_429": -1},
        {"rate_429": 0.6, "rate_500": 0.6},
        {"retry_after": 1.5},
        {"seed": "x"},
        {"fail_next": [{"count": 2}]},
        {"fail_next": [{"status": 429, "retry_after": "soon"}]},
        {"nonsense": 1},
    ]:
        response = requests.post(server.url + "/_sandbox/faults", json=bad, timeout=10)
        assert response.status_code == 400, bad


def test_stats_count_requests_by_route(jira: JIRA, server: RunningServer) -> None:
    requests.post(server.url + "/_sandbox/reset-stats", timeout=10)
    jira.create_issues([new_fields("a"), new_fields("b")], prefetch=False)
    jira.issue("PLAN-1")
    jira.issue("PLAN-2")
    api(server, "GET", "/nowhere")
    stats = requests.get(server.url + "/_sandbox/stats", timeout=10).json()
    assert stats == {
        "total": 4,
        "by_route": {
            "GET (unknown)": 1,
            "GET /rest/api/2/issue/{issueIdOrKey}": 2,
            "POST /rest/api/2/issue/bulk": 1,
        },
    }


# ---- server and storage --------------------------------------------------------------------------


def test_state_survives_a_restart(tmp_path: Path, mode: Mode) -> None:
    db = tmp_path / "jira.sqlite"
    first = JiraSandbox(db, mode=mode)
    with serve_in_thread(first) as server:
        jira = JIRA(server.url, basic_auth=AUTH)
        issue = jira.create_issue(fields=new_fields("persisted", labels=["ps-1"]))
        jira.add_remote_link(issue.key, {"url": "https://a", "title": "a"}, globalId="g")
        jira.transition_issue(issue, "21")
    first.close()

    second = JiraSandbox(db, mode=mode)
    with serve_in_thread(second) as server:
        jira = JIRA(server.url, basic_auth=AUTH)
        again = jira.issue("PLAN-1")
        assert (again.fields.summary, again.fields.status.name) == ("persisted", "In Progress")
        assert [link.globalId for link in jira.remote_links("PLAN-1")] == ["g"]
        assert jira.create_issue(fields=new_fields("next")).key == "PLAN-2"
    second.close()


def test_concurrent_creates_get_distinct_keys(server: RunningServer) -> None:
    def create_five(worker: int) -> list[str]:
        batch = {"issueUpdates": [{"fields": new_fields(f"w{worker}-{i}")} for i in range(5)]}
        response = api(server, "POST", "/rest/api/2/issue/bulk", json=batch)
        return [issue["key"] for issue in response.json()["issues"]]

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = [key for batch in pool.map(create_five, range(8)) for key in batch]
    assert sorted(keys, key=lambda k: int(k.split("-")[1])) == [f"PLAN-{n}" for n in range(1, 41)]


def test_keep_alive_connection_serves_many_requests(server: RunningServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    headers = {"Authorization": "Basic amFzb246eA==", "Content-Type": "application/json"}
    for _ in range(3):
        connection.request("GET", "/rest/api/2/serverInfo", headers=headers)
        response = connection.getresponse()
        assert response.status == 200
        assert json.loads(response.read())["versionNumbers"]
    body = json.dumps({"fields": new_fields("over keep-alive")})
    connection.request("POST", "/rest/api/2/issue", body=body, headers=headers)
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())["key"]) == (201, "PLAN-1")

    faults(server, {"fail_next": [{"drop": True}]})
    connection.request("GET", "/rest/api/2/serverInfo", headers=headers)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        connection.getresponse()
    connection.close()


def test_malformed_requests_do_not_break_the_server(
    server: RunningServer, capfd: pytest.CaptureFixture[str]
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(b"POST /rest/api/2/issue HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.1 400")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(b"POST /rest/api/2/issue HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    assert api(server, "GET", "/rest/api/2/serverInfo").status_code == 200
    assert capfd.readouterr().err == ""


def test_v3_speaks_atlassian_document_format(server: RunningServer, mode: Mode) -> None:
    if mode == "dc":
        assert api(server, "GET", "/rest/api/3/serverInfo").status_code == 404
        return
    adf = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "From ADF"}]}],
    }
    created = api(
        server, "POST", "/rest/api/3/issue", json={"fields": new_fields("v3", description=adf)}
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert (
        api(server, "GET", f"/rest/api/2/issue/{key}").json()["fields"]["description"] == "From ADF"
    )
    assert api(server, "GET", f"/rest/api/3/issue/{key}").json()["fields"]["description"] == adf
    as_string = api(
        server, "POST", "/rest/api/3/issue", json={"fields": new_fields("v3", description="plain")}
    )
    assert as_string.status_code == 400
    assert "Atlassian Document" in as_string.json()["errors"]["description"]


def test_a_dry_run_reads_a_database_named_by_a_relative_path_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    JiraSandbox("jira.db", projects=["OPS"]).close()
    before = (tmp_path / "jira.db").read_bytes()
    dry = JiraSandbox("jira.db", projects=["OPS", "ENG"], dry_run=True)
    dry.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jira.db"]
    assert (tmp_path / "jira.db").read_bytes() == before


def _jira_store(path: Path) -> tuple[SqliteStore, Callable[[], object]]:
    store = jira_app._Store(path)
    return store, lambda: store.upsert_link(1, {"globalId": "g", "object": {"title": "x" * 9999}})


def _salesforce_store(path: Path) -> tuple[SqliteStore, Callable[[], object]]:
    store = salesforce_app._Store(path)
    return store, lambda: store.save([("RFE__c", "a01", {"Note__c": "x" * 9999})], [])


@pytest.mark.parametrize("make", [_jira_store, _salesforce_store])
def test_a_sandbox_store_on_a_full_disk_says_so(
    tmp_path: Path, make: Callable[[Path], tuple[SqliteStore, Callable[[], object]]]
) -> None:
    """SQLite rolls a transaction back itself on a full disk; the ROLLBACK the stores sent
    after it failed ("cannot rollback - no transaction is active"), and the traceback hid
    the error that mattered."""
    store, write = make(tmp_path / "sandbox.db")
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(sqlite3.OperationalError, match=r"^database or disk is full$"):
        write()
    store._db.execute("PRAGMA max_page_count = 100000")
    write()  # and it goes on once there is room
    store.close()


def test_the_readme_fault_example_is_one_the_sandbox_takes(
    jira_sandbox: tuple[str, JiraSandbox],
) -> None:
    """The README documents fault injection with this example (it was in no user doc): it
    must stay one the sandbox takes, and does what the README says."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    [example] = re.findall(r"/_sandbox/faults -d '(\{.*?\})'`", readme, re.DOTALL)
    url, _app = jira_sandbox
    answer = requests.post(f"{url}/_sandbox/faults", data=example, timeout=5)
    assert answer.status_code == 200, answer.text
    assert answer.json()["fail_next"] == [
        {"status": 429, "retry_after": 1, "path_contains": "issue/bulk", "count": 2}
    ]
    stats = requests.get(f"{url}/_sandbox/stats", timeout=5).json()
    assert stats == {"total": 0, "by_route": {}}
