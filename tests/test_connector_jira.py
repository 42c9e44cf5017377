"""Contract tests of the Jira connector against Atlassian's own OpenAPI documents, no network.

Request bodies the connector sends are validated against the vendor's request schemas, and the
canned answers follow the vendor's examples and response schemas (validated too, so a test cannot
pass on a shape Jira would never send).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import socket
import threading
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
import requests
import responses
from conftest import CONTRACTS, Sleeps, closed_port, refused

from plansync.connectors.base import ConnectorError, FieldUpdate, Link, NewRecord, StatusMove
from plansync.connectors.jira import JiraConnector, labels_jql
from plansync.connectors.jira_fields import SEARCH_FIELDS

CLOUD = "https://acme.atlassian.net"
DC = "https://jira.acme.example/jira"  # Data Center behind a context path
TOKEN = "ATATT3xFfGF0-very-secret-token"
EMAIL = "pm@acme.example"


@cache
def spec(name: str) -> dict[str, Any]:
    file = (
        "jira-cloud-platform-v3.openapi.json"
        if name == "cloud"
        else "jira-software-dc-10.3.openapi.json"
    )
    return json.loads((CONTRACTS / file).read_text())


def check(document: Any, flavour: str, schema: str) -> Any:
    """Validate ``document`` against ``#/components/schemas/<schema>`` of a vendor document."""
    root = {"$ref": f"#/components/schemas/{schema}", "components": spec(flavour)["components"]}
    jsonschema.Draft202012Validator(root).validate(document)
    return document


def example(flavour: str, path: str, method: str, status: str) -> Any:
    """The vendor's example answer for an operation."""
    content = spec(flavour)["paths"][path][method]["responses"][status]["content"]
    value = content["application/json"]["example"]
    return json.loads(value) if isinstance(value, str) else value


def body(call: Any) -> Any:
    return json.loads(call.request.body)


@pytest.fixture
def cloud(sleeps: Sleeps) -> JiraConnector:
    return JiraConnector(CLOUD, EMAIL, TOKEN, deployment="cloud", timeout=7, sleep=sleeps)


@pytest.fixture
def dc(sleeps: Sleeps) -> JiraConnector:
    return JiraConnector(DC, None, TOKEN, deployment="dc", timeout=7, sleep=sleeps)


def api(server: str, path: str) -> str:
    return f"{server}/rest/api/2/{path}"


def issue(key: str, labels: list[str], *, cloud: bool = True, **fields: Any) -> dict[str, Any]:
    """An issue as search returns it with the fields the connector asks for."""
    server = CLOUD if cloud else DC
    number = key.split("-")[1]
    return {
        "id": str(10000 + int(number)),
        "key": key,
        "self": f"{server}/rest/api/2/issue/{10000 + int(number)}",
        "fields": {
            "project": {"key": key.split("-")[0], "id": "10000", "name": "Cloud"},
            "issuetype": {"name": "Task", "id": "10001"},
            "summary": f"Summary of {key}",
            "description": None,
            "duedate": None,
            "priority": {"name": "Medium", "id": "3"},
            "assignee": None,
            "labels": labels,
            "components": [],
            "status": {
                "name": "To Do",
                "statusCategory": {"key": "new", "name": "To Do", "id": 2},
            },
            **fields,
        },
    }


def jql_ids(request: requests.PreparedRequest) -> list[str]:
    """The ids a labels JQL query asks for (they are plain in these tests)."""
    jql = json.loads(request.body or "{}")["jql"]
    inner = jql[jql.index("(") + 1 : jql.index(")")]
    return [part.strip().strip('"') for part in inner.split(",")]


def cloud_search_answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    """Cloud /search/jql: one issue per asked id, one page."""
    asked = jql_ids(request)
    page = {"issues": [issue(f"CLOUD-{n + 1}", [i]) for n, i in enumerate(asked)], "isLast": True}
    return 200, {}, json.dumps(check(page, "cloud", "SearchAndReconcileResults"))


def dc_search_answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    """Data Center /search: one issue per asked id, one page."""
    asked = jql_ids(request)
    found = [issue(f"DC-{n + 1}", [i], cloud=False) for n, i in enumerate(asked)]
    page = {"startAt": 0, "maxResults": 100, "total": len(found), "issues": found}
    # The DC document types every issue field value as an object (a generator artefact), so
    # only the envelope is checked against it.
    check({**page, "issues": []}, "dc", "SearchResultsBean")
    return 200, {}, json.dumps(page)


# -- deployment and authentication ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("deployment_type", "endpoint"),
    [("Cloud", "search/jql"), ("Server", "search"), ("DataCenter", "search"), (None, "search")],
)
def test_deployment_is_detected_from_server_info_once(
    rsps: responses.RequestsMock, deployment_type: str | None, endpoint: str
) -> None:
    info = example("cloud", "/rest/api/3/serverInfo", "get", "200")
    if deployment_type is not None:
        info["deploymentType"] = deployment_type
    rsps.get(api(CLOUD, "serverInfo"), json=info)
    rsps.post(api(CLOUD, endpoint), json={"issues": [], "isLast": True, "total": 0})

    connector = JiraConnector(CLOUD, EMAIL, TOKEN)
    assert connector.request_count() == 0  # constructing sends nothing
    connector.fetch_by_ids(["ps-a"])
    connector.fetch_by_ids(["ps-b"])

    urls = [call.request.url for call in rsps.calls]
    assert urls == [api(CLOUD, "serverInfo"), api(CLOUD, endpoint), api(CLOUD, endpoint)]


def test_cloud_uses_basic_auth_and_every_request_has_the_timeout(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    rsps.post(api(CLOUD, "search/jql"), json={"issues": [], "isLast": True})
    cloud.fetch_by_ids(["ps-a"])
    request = rsps.calls[0].request
    expected = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.req_kwargs["timeout"] == 7


def test_dc_without_user_uses_the_personal_access_token_as_bearer(
    rsps: responses.RequestsMock, dc: JiraConnector
) -> None:
    rsps.post(api(DC, "search"), json={"issues": [], "startAt": 0, "maxResults": 100, "total": 0})
    dc.fetch_by_ids(["ps-a"])
    assert rsps.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_dc_with_user_uses_basic_auth(rsps: responses.RequestsMock) -> None:
    rsps.post(api(DC, "search"), json={"issues": [], "startAt": 0, "maxResults": 100, "total": 0})
    JiraConnector(DC, "pm", "password", deployment="dc").fetch_by_ids(["ps-a"])
    assert rsps.calls[0].request.headers["Authorization"].startswith("Basic ")


def test_a_bearer_token_on_cloud_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ConnectorError, match="account e-mail") as raised:
        JiraConnector(CLOUD, None, TOKEN, deployment="cloud")
    assert TOKEN not in str(raised.value)


def test_api_v3_on_data_center_is_refused_after_detection(rsps: responses.RequestsMock) -> None:
    rsps.get(api(DC, "serverInfo"), json={"deploymentType": "DataCenter", "versionNumbers": [10]})
    connector = JiraConnector(DC, None, TOKEN, api_version="3")
    with pytest.raises(ConnectorError, match="only REST API v2"):
        connector.fetch_by_ids(["ps-a"])
    # So is the plan's check of a rule's project, which asked v3 first and said "no project".
    record = NewRecord("ps-a", {"project": "DC", "issue_type": "Task"})
    with pytest.raises(ConnectorError, match="only REST API v2"):
        JiraConnector(DC, None, TOKEN, api_version="3").destination_problem(record)


# -- bulk create ---------------------------------------------------------------------------------


def new(plansync_id: str, **fields: Any) -> NewRecord:
    base = {"project": "CLOUD", "issue_type": "Task", "summary": f"Do {plansync_id}"}
    return NewRecord(plansync_id=plansync_id, fields={**base, **fields})


def test_bulk_create_sends_the_vendor_shape_and_returns_keys_in_order(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    answer = check(
        example("cloud", "/rest/api/3/issue/bulk", "post", "201"), "cloud", "CreatedIssues"
    )
    rsps.post(api(CLOUD, "issue/bulk"), json=answer, status=201)

    results = cloud.create_many(
        [
            new(
                "ps-7k2m9q",
                description="From the *meeting*",
                due="2025-10-27",
                priority="High",
                assignee="5b10a2844c20165700ede21g",
                labels=["meeting"],
                components=["Backend"],
            ),
            new("ps-8x"),
        ]
    )

    [call] = rsps.calls
    sent = check(body(call), "cloud", "IssuesUpdateBean")
    first = sent["issueUpdates"][0]["fields"]
    assert first == {
        "project": {"key": "CLOUD"},
        "issuetype": {"name": "Task"},
        "summary": "Do ps-7k2m9q",
        "description": "From the *meeting*",
        "duedate": "2025-10-27",
        "priority": {"name": "High"},
        "assignee": {"accountId": "5b10a2844c20165700ede21g"},
        "labels": ["meeting", "ps-7k2m9q"],
        "components": [{"name": "Backend"}],
    }
    assert sent["issueUpdates"][1]["fields"]["labels"] == ["ps-8x"]
    assert [(r.ok, r.key, r.url) for r in results] == [
        (True, "ED-24", f"{CLOUD}/browse/ED-24"),
        (True, "ED-25", f"{CLOUD}/browse/ED-25"),
    ]


def test_dc_create_names_the_assignee(rsps: responses.RequestsMock, dc: JiraConnector) -> None:
    answer = {
        "issues": [{"id": "10000", "key": "DC-1", "self": f"{DC}/rest/api/2/issue/10000"}],
        "errors": [],
    }
    rsps.post(api(DC, "issue/bulk"), json=check(answer, "dc", "IssuesCreateResponse"), status=201)
    [result] = dc.create_many([new("ps-1", assignee="fred")])
    # The DC document types every value in `fields` as an object (an artefact of its generator;
    # its own prose examples send strings and lists), so the body is checked against Cloud's
    # IssuesUpdateBean, whose shape DC shares.
    sent = check(body(rsps.calls[0]), "cloud", "IssuesUpdateBean")
    assert sent["issueUpdates"][0]["fields"]["assignee"] == {"name": "fred"}
    assert (result.ok, result.url) == (True, f"{DC}/browse/DC-1")


def test_bulk_create_partial_failure_maps_failed_element_number_back(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    answer = {
        "issues": [
            {"id": "10001", "key": "CLOUD-1", "self": f"{CLOUD}/rest/api/2/issue/10001"},
            {"id": "10003", "key": "CLOUD-3", "self": f"{CLOUD}/rest/api/2/issue/10003"},
        ],
        "errors": [
            {
                "status": 400,
                "failedElementNumber": 1,
                "elementErrors": {
                    "errorMessages": [],
                    "errors": {"duedate": "Error parsing date string: 2025-13-45"},
                },
            }
        ],
    }
    rsps.post(api(CLOUD, "issue/bulk"), json=check(answer, "cloud", "CreatedIssues"), status=201)

    results = cloud.create_many([new("ps-a"), new("ps-b", due="2025-13-45"), new("ps-c")])

    assert [r.key for r in results] == ["CLOUD-1", None, "CLOUD-3"]
    assert results[1].ok is False
    assert results[1].error == "duedate: Error parsing date string: 2025-13-45"
    assert results[1].details == {"duedate": "Error parsing date string: 2025-13-45"}


def test_bulk_create_all_failed_400_gives_one_error_per_record(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    answer = check(
        example("cloud", "/rest/api/3/issue/bulk", "post", "400"), "cloud", "CreatedIssues"
    )
    rsps.post(api(CLOUD, "issue/bulk"), json=answer, status=400)

    results = cloud.create_many([new("ps-a"), new("ps-b")])

    assert [r.ok for r in results] == [False, False]
    assert results[0].error == (
        "issuetype: The issue type selected is invalid.; "
        "project: Sub-tasks must be created in the same project as the parent."
    )
    assert set(results[1].details) == {"issuetype", "project"}


def test_bulk_create_sends_at_most_50_issues_a_request(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    def created(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        count = len(json.loads(request.body)["issueUpdates"])
        issues = [{"id": str(n), "key": f"CLOUD-{n}", "self": "x"} for n in range(count)]
        return 201, {}, json.dumps({"issues": issues, "errors": []})

    rsps.add_callback(responses.POST, api(CLOUD, "issue/bulk"), callback=created)
    results = cloud.create_many([new(f"ps-{n}") for n in range(51)])
    assert [len(body(call)["issueUpdates"]) for call in rsps.calls] == [50, 1]
    assert len(results) == 51 and all(r.ok for r in results)


def test_a_bulk_create_refused_after_an_earlier_batch_says_what_that_batch_made(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """The second of three requests refused (403): the 50 issues of the first exist, so the
    error says the call acted and carries their results, and the third batch was never sent;
    it said "refused, nothing made" with no results, and those 50 were made again."""

    def first_created_then_refused(
        request: requests.PreparedRequest,
    ) -> tuple[int, dict[str, str], str]:
        if rsps.calls:  # the first request is recorded once answered
            return 403, {}, json.dumps({"errorMessages": ["You may not create issues"]})
        count = len(json.loads(request.body)["issueUpdates"])
        issues = [{"id": str(n), "key": f"CLOUD-{n}", "self": "x"} for n in range(count)]
        return 201, {}, json.dumps({"issues": issues, "errors": []})

    rsps.add_callback(responses.POST, api(CLOUD, "issue/bulk"), callback=first_created_then_refused)
    with pytest.raises(ConnectorError) as raised:
        cloud.create_many([new(f"ps-{n}") for n in range(110)])
    error = raised.value
    assert len(rsps.calls) == 2 and error.status == 403
    assert error.acted and not error.made_nothing
    assert [r.key if r else None for r in error.finished[:50]] == [f"CLOUD-{n}" for n in range(50)]
    assert error.finished[50:] == [None] * 60
    assert error.never_sent == frozenset(range(100, 110))


def test_an_unknown_field_fails_its_record_only(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    answer = {"issues": [{"id": "1", "key": "CLOUD-1", "self": "x"}], "errors": []}
    rsps.post(api(CLOUD, "issue/bulk"), json=answer, status=201)
    results = cloud.create_many([new("ps-a", colour="red"), new("ps-b")])
    assert results[0].ok is False and "colour" in (results[0].error or "")
    assert results[1].key == "CLOUD-1"
    assert len(body(rsps.calls[0])["issueUpdates"]) == 1


@pytest.mark.parametrize(
    "failure", [requests.ConnectionError("reset by peer"), requests.ReadTimeout("slow")]
)
def test_a_dropped_connection_on_bulk_create_is_not_retried(
    rsps: responses.RequestsMock, cloud: JiraConnector, sleeps: Sleeps, failure: Exception
) -> None:
    rsps.post(api(CLOUD, "issue/bulk"), body=failure)
    with pytest.raises(ConnectorError, match="not sent again"):
        cloud.create_many([new("ps-a")])
    assert [call.request.method for call in rsps.calls] == ["POST"]
    assert sleeps == []
    assert cloud.request_count() == 1


def test_a_bulk_create_answer_cut_short_is_one_error_saying_issues_may_exist(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """Each item was reported failed, "HTTP 201 Created", though Jira had made every issue."""
    rsps.post(api(CLOUD, "issue/bulk"), body='{"issues": [{"id": "10042", "key": "CL', status=201)
    with pytest.raises(ConnectorError, match="the issues may have been created") as raised:
        cloud.create_many([new("ps-a"), new("ps-b")])
    assert "201" in str(raised.value) and len(rsps.calls) == 1


def test_a_search_that_times_out_is_tried_three_times_not_six(
    rsps: responses.RequestsMock, cloud: JiraConnector, sleeps: Sleeps
) -> None:
    """Each try waits the whole timeout: a Jira that accepted the connection and never
    answered took six of them and 31 s of backoff to be reported (3.5 minutes at 30 s)."""
    rsps.post(api(CLOUD, "search/jql"), body=requests.ReadTimeout("slow"))
    with pytest.raises(ConnectorError, match="failed 3 times while searching issues"):
        cloud.fetch_by_ids(["ps-a"])
    assert cloud.request_count() == 3 and sleeps == [1.0, 2.0]


def test_an_answer_whose_body_stalls_is_tried_three_times_as_a_late_one(sleeps: Sleeps) -> None:
    """Real HTTP: a server that sends its headers, some of the body, then nothing. requests
    raises a ConnectionError (around urllib3's read timeout) there, not a Timeout, so it was
    resent as a dropped connection, six times."""
    accepted: list[socket.socket] = []
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(10)

        def answer_and_stall() -> None:
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                accepted.append(conn)
                conn.recv(65536)
                conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n{"issues": [')

        threading.Thread(target=answer_and_stall, daemon=True).start()
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        jira = JiraConnector(url, EMAIL, TOKEN, deployment="cloud", timeout=0.3, sleep=sleeps)
        with pytest.raises(ConnectorError, match=r"failed 3 times .* stopped answering"):
            jira.fetch_by_ids(["ps-a"])
    assert len(accepted) == 3 and sleeps == [1.0, 2.0]
    for conn in accepted:
        conn.close()


def test_dropped_connections_before_a_timeout_do_not_count_as_timeouts(
    rsps: responses.RequestsMock, cloud: JiraConnector, sleeps: Sleeps
) -> None:
    url = api(CLOUD, "search/jql")
    for failure in (requests.ConnectionError("reset"),) * 2 + (requests.ReadTimeout("slow"),):
        rsps.post(url, body=failure)
    rsps.add_callback(responses.POST, url, callback=cloud_search_answer)
    assert set(cloud.fetch_by_ids(["ps-a"])) == {"ps-a"}
    assert cloud.request_count() == 4


def test_created_issues_are_reconciled_in_the_next_cloud_search(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    answer = {"issues": [{"id": "10042", "key": "CLOUD-42", "self": "x"}], "errors": []}
    rsps.post(api(CLOUD, "issue/bulk"), json=answer, status=201)
    rsps.add_callback(responses.POST, api(CLOUD, "search/jql"), callback=cloud_search_answer)
    cloud.create_many([new("ps-new")])
    cloud.fetch_by_ids(["ps-new", "ps-old"])
    sent = check(body(rsps.calls[1]), "cloud", "SearchAndReconcileRequestBean")
    assert sent["reconcileIssues"] == [10042]


# -- updates, transitions, links ------------------------------------------------------------------


def test_update_puts_fields_and_reports_a_400_field_error(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    rsps.put(api(CLOUD, "issue/CLOUD-1"), status=204)
    rsps.put(
        api(CLOUD, "issue/CLOUD-2"),
        status=400,
        json={"errorMessages": [], "errors": {"duedate": "Error parsing date string: nope"}},
    )

    results = cloud.update_many(
        [
            FieldUpdate("CLOUD-1", {"summary": "New", "due": None, "assignee": None}),
            FieldUpdate("CLOUD-2", {"due": "nope"}),
        ]
    )

    assert [r.ok for r in results] == [True, False]
    assert results[1].error == (
        "Jira answered 400 to updating CLOUD-2: duedate: Error parsing date string: nope; fix"
        " what Jira's words name, and the next sync sends it again"
    )
    assert results[1].details == {"duedate": "Error parsing date string: nope"}
    sent = {call.request.url: body(call) for call in rsps.calls}
    assert check(sent[api(CLOUD, "issue/CLOUD-1")], "cloud", "IssueUpdateDetails") == {
        "fields": {"summary": "New", "duedate": None, "assignee": None}
    }


def test_update_of_a_missing_issue_says_which(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    rsps.put(
        api(CLOUD, "issue/CLOUD-9"), status=404, json={"errorMessages": ["Issue does not exist"]}
    )
    [result] = cloud.update_many([FieldUpdate("CLOUD-9", {"summary": "x"})])
    assert result.ok is False
    assert "CLOUD-9" in (result.error or "") and "404" in (result.error or "")


def test_an_update_that_would_drop_the_id_label_is_refused_without_a_request(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    [result] = cloud.update_many([FieldUpdate("CLOUD-1", {"labels": ["meeting"]})])
    assert result.ok is False and "plansync id label" in (result.error or "")
    assert len(rsps.calls) == 0


def test_updates_run_concurrently_but_answer_in_order(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    for n in range(10):
        rsps.put(api(CLOUD, f"issue/CLOUD-{n}"), status=204)
    results = cloud.update_many([FieldUpdate(f"CLOUD-{n}", {"summary": "s"}) for n in range(10)])
    assert [r.key for r in results] == [f"CLOUD-{n}" for n in range(10)]
    assert cloud.request_count() == 10


def transition(tid: str, name: str, status: str, category: str) -> dict[str, Any]:
    """One transition as Jira lists it, into a status of ``category``."""
    return {
        "id": tid,
        "name": name,
        "to": {"id": tid, "name": status, "statusCategory": {"id": 1, "key": category}},
    }


def transitions() -> dict[str, Any]:
    answer = {
        "transitions": [
            transition("11", "Start", "In Progress", "indeterminate"),
            transition("21", "Won't Do", "Won't Do", "done"),
            transition("31", "Done", "Done", "done"),
            transition("41", "Reopen", "To Do", "new"),
            transition("51", "Abandon", "Abandoned", "done"),
        ]
    }
    return check(answer, "cloud", "Transitions")


def status_answer(name: str, category: str, *, issue_type: str | None = None) -> dict[str, Any]:
    """An issue read for its status (``fields=status,project,issuetype``); with an
    ``issue_type`` (its id), in project CLOUD, whose workflow :func:`workflows` lists."""
    status = {"id": "1", "name": name, "statusCategory": {"id": 1, "key": category}}
    fields: dict[str, Any] = {"status": status}
    if issue_type is not None:
        fields["project"] = {"id": "10000", "key": "CLOUD", "name": "Cloud"}
        fields["issuetype"] = {"id": issue_type, "name": "Task", "subtask": False}
    answer = {"id": "10001", "key": "CLOUD-1", "fields": fields}
    return check(answer, "cloud", "IssueBean")


@pytest.mark.parametrize(
    ("to", "cancel_name", "expected"),
    [
        ("done", None, "31"),
        ("cancelled", None, "21"),
        ("cancelled", "abandon", "51"),
        ("reopen", None, "41"),
    ],
)
def test_transition_picks_by_status_category(
    rsps: responses.RequestsMock, to: Any, cancel_name: str | None, expected: str
) -> None:
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    rsps.get(url, json=transitions())
    rsps.post(url, status=204)
    connector = JiraConnector(
        CLOUD, EMAIL, TOKEN, deployment="cloud", cancel_transition=cancel_name
    )

    [result] = connector.transition_many([StatusMove("CLOUD-1", to)])

    assert result.ok and result.key == "CLOUD-1"
    sent = check(body(rsps.calls[1]), "cloud", "IssueUpdateDetails")
    assert sent == {"transition": {"id": expected}}


def test_a_misspelt_cancel_transition_closes_nothing_and_says_so(
    rsps: responses.RequestsMock,
) -> None:
    """It fell back to "Won't Do", or with no such transition to "Done": a cancelled item
    closed as done, and nothing told the user the setting matched nothing."""
    rsps.get(api(CLOUD, "issue/CLOUD-1/transitions"), json=transitions())
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer("To Do", "new"))
    connector = JiraConnector(CLOUD, EMAIL, TOKEN, deployment="cloud", cancel_transition="Abandonn")
    [result] = connector.transition_many([StatusMove("CLOUD-1", "cancelled")])
    assert not result.ok
    assert result.error is not None and result.error.startswith(
        "no transition of CLOUD-1 fits 'cancelled': none is named 'Abandonn'"
        " ([jira] cancel_transition) (it is in 'To Do', and stays there; available:"
        " Start → In Progress,"
        " Won't Do → Won't Do,"
    )
    assert [call.request.method for call in rsps.calls] == ["GET", "GET"], "none was taken"


def test_a_cancel_transition_not_offered_still_moves_into_a_configured_cancelled_status(
    rsps: responses.RequestsMock,
) -> None:
    """A Done issue whose workflow offers only "Cancel" (into Cancelled) out of Done: with
    cancelled_status_names naming Cancelled, that is the configured cancel, not a guess."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    rsps.get(url, json={"transitions": [transition("61", "Cancel", "Cancelled", "done")]})
    rsps.post(url, status=204)
    connector = JiraConnector(
        CLOUD,
        EMAIL,
        TOKEN,
        deployment="cloud",
        cancel_transition="Won't Do",
        cancelled_status_names=["Cancelled"],
    )
    [result] = connector.transition_many([StatusMove("CLOUD-1", "cancelled", closed=True)])
    assert result.ok
    assert body(rsps.calls[1]) == {"transition": {"id": "61"}}


def workflows(flavour: str, *statuses: tuple[str, str]) -> list[dict[str, Any]]:
    """``GET project/{key}/statuses``: issue type 10001 (Task) follows a workflow of
    ``statuses`` (name, category key), Bug (10003) one with Won't Do as well."""
    server = CLOUD if flavour == "cloud" else DC

    def status(number: int, name: str, category: str) -> dict[str, Any]:
        keys = {"new": 2, "indeterminate": 4, "done": 3}
        return {
            "self": f"{server}/rest/api/2/status/{number}",
            "id": str(number),
            "name": name,
            "description": "",
            "iconUrl": f"{server}/images/icons/statuses/generic.png",
            "statusCategory": {"id": keys[category], "key": category, "name": category},
        }

    bug = [*statuses, ("Won't Do", "done")]
    answer = [
        {
            "self": f"{server}/rest/api/2/issuetype/{type_id}",
            "id": type_id,
            "name": name,
            "subtask": False,
            "statuses": [status(n, *s) for n, s in enumerate(listed, start=1)],
        }
        for type_id, name, listed in (("10001", "Task", statuses), ("10003", "Bug", bug))
    ]
    schema = "IssueTypeWithStatus" if flavour == "cloud" else "IssueTypeWithStatusJsonBean"
    return [check(kind, flavour, schema) for kind in answer]


SIMPLE = (("To Do", "new"), ("In Progress", "indeterminate"), ("Done", "done"))
"""Jira's simplified workflow: no status means cancelled."""


def test_a_cancel_closed_as_done_for_want_of_a_cancel_says_jira_holds_it_done(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """An open issue whose workflow offers no transition like a cancel: closed as Done, as
    before, and the outcome says so and that Jira holds it done (``closed_as``), for the
    store to keep: the next plan took Done for a close made in Jira since, at every plan.
    The workflow is not read for it: three requests, as before."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    offered = [transition("11", "In Progress", "In Progress", "indeterminate")]
    offered.append(transition("31", "Done", "Done", "done"))
    rsps.get(url, json={"transitions": offered})
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer("To Do", "new", issue_type="10001"))
    rsps.post(url, status=204)

    [result] = cloud.transition_many([StatusMove("CLOUD-1", "cancelled")])

    assert (result.ok, result.closed_as) == (True, "done")
    assert result.note == (
        "closed as 'Done': Jira offered no transition into a cancelled status (set [jira]"
        " cancelled_status_names if yours is named otherwise), so it reads as done"
    )
    assert body(rsps.calls[2]) == {"transition": {"id": "31"}}
    assert len(rsps.calls) == 3


def test_a_cancel_closed_as_done_with_cancelled_status_names_set_names_those_looked_for(
    rsps: responses.RequestsMock,
) -> None:
    """A user test: the note said "[jira] cancelled_status_names names one called otherwise"
    whether or not it was set, as a fact. Set, it says which names no transition led to."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    offered = [transition("31", "Done", "Done", "done")]
    rsps.get(url, json={"transitions": offered})
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer("To Do", "new", issue_type="10001"))
    rsps.post(url, status=204)
    connector = JiraConnector(
        CLOUD,
        EMAIL,
        TOKEN,
        deployment="cloud",
        cancelled_status_names=["Declined", "Abgebrochen"],
    )

    [result] = connector.transition_many([StatusMove("CLOUD-1", "cancelled")])

    assert (result.ok, result.closed_as) == (True, "done")
    assert result.note == (
        "closed as 'Done': Jira offered no transition into a cancelled status (none named as"
        " [jira] cancelled_status_names lists: 'Declined', 'Abgebrochen'), so it reads as done"
    )


@pytest.mark.parametrize(
    ("names", "why"),
    [
        (["Declined"], "which [jira] cancelled_status_names does not list"),
        (
            None,
            "which is not named like it nor like a cancel ([jira] cancelled_status_names is not"
            " set)",
        ),
    ],
)
def test_a_configured_cancel_transition_into_a_status_not_called_cancelled_says_so(
    rsps: responses.RequestsMock, names: list[str] | None, why: str
) -> None:
    """``cancel_transition`` "Abandon" leads to "Closed", which the config does not call
    cancelled: the issue is closed as the config asks and Jira holds it as done, but Jira
    offered the transition, so the note names the two settings that disagree, not a
    transition Jira did not offer. Taken at once, as before: two requests."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    offered = [transition("31", "Done", "Done", "done")]
    offered.append(transition("51", "Abandon", "Closed", "done"))
    rsps.get(url, json={"transitions": offered})
    rsps.post(url, status=204)
    connector = JiraConnector(
        CLOUD,
        EMAIL,
        TOKEN,
        deployment="cloud",
        cancel_transition="Abandon",
        cancelled_status_names=names,
    )

    [result] = connector.transition_many([StatusMove("CLOUD-1", "cancelled")])

    assert (result.ok, result.closed_as) == (True, "done")
    assert result.note == (
        f"closed as 'Closed': [jira] cancel_transition 'Abandon' leads to 'Closed', {why}, so"
        " it reads as done"
    )
    assert body(rsps.calls[1]) == {"transition": {"id": "51"}}
    assert len(rsps.calls) == 2


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_a_cancel_of_a_done_issue_whose_workflow_has_no_cancelled_status_leaves_it_done(
    rsps: responses.RequestsMock, cloud: JiraConnector, dc: JiraConnector, flavour: str
) -> None:
    """``[x]`` to ``[-]`` in Jira's simplified workflow: no transition fits, and none could,
    so failing at every sync helped no one. The issue is left in Done, the outcome says why
    and that Jira holds it done. The project's statuses are read once for every such move
    of the run, four at a time, and for none that a transition makes."""
    connector, server = (cloud, CLOUD) if flavour == "cloud" else (dc, DC)
    keys = [f"CLOUD-{n}" for n in range(1, 7)]
    for key in keys:
        url = api(server, f"issue/{key}/transitions")
        offered = [transition("11", "To Do", "To Do", "new")]
        offered.append(transition("21", "In Progress", "In Progress", "indeterminate"))
        rsps.get(url, json={"transitions": offered})
        answer = status_answer("Done", "done", issue_type="10001")
        rsps.get(api(server, f"issue/{key}"), json={**answer, "key": key})
    statuses = api(server, "project/CLOUD/statuses")
    rsps.get(statuses, json=workflows(flavour, *SIMPLE))

    moves = [StatusMove(key, "cancelled", closed=True) for key in keys]
    results = connector.transition_many(moves)

    assert [(r.ok, r.key, r.closed_as) for r in results] == [(True, k, "done") for k in keys]
    assert results[0].note == (
        "left in 'Done': the workflow of CLOUD's Task issues has no cancelled status (To Do,"
        " In Progress, Done; set [jira] cancelled_status_names if yours is named otherwise),"
        " so it reads as done"
    )
    assert [c.request.url for c in rsps.calls].count(statuses) == 1
    assert not any(c.request.method == "POST" for c in rsps.calls), "nothing was moved"


@pytest.mark.parametrize(
    ("statuses", "issue_type", "names", "cancel_name"),
    [
        ((*SIMPLE, ("Won't Do", "done")), "10001", None, None),
        (SIMPLE, "10003", None, None),  # the Bug workflow has Won't Do
        ((*SIMPLE, ("Declined", "done")), "10001", ["Declined"], None),
        ((*SIMPLE, ("Abandoned", "done")), "10001", None, "Abandon"),
        (SIMPLE, "10099", None, None),  # an issue type the project does not list
    ],
)
def test_a_cancel_of_a_done_issue_whose_workflow_has_a_cancelled_status_fails_as_before(
    rsps: responses.RequestsMock,
    statuses: tuple[tuple[str, str], ...],
    issue_type: str,
    names: list[str] | None,
    cancel_name: str | None,
) -> None:
    """A cancelled status no transition out of Done reaches (Done only reopens), as the
    config names it or by name; or a workflow Jira does not describe: the move fails,
    naming what there is, and the issue stays: a person can move it in Jira."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    rsps.get(url, json={"transitions": [transition("41", "Reopen", "To Do", "new")]})
    answer = status_answer("Done", "done", issue_type=issue_type)
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=answer)
    rsps.get(api(CLOUD, "project/CLOUD/statuses"), json=workflows("cloud", *statuses))
    connector = JiraConnector(
        CLOUD,
        EMAIL,
        TOKEN,
        deployment="cloud",
        cancelled_status_names=names,
        cancel_transition=cancel_name,
    )

    [result] = connector.transition_many([StatusMove("CLOUD-1", "cancelled", closed=True)])

    assert (result.ok, result.closed_as) == (False, None)
    assert result.error is not None
    assert result.error.startswith("no transition of CLOUD-1 fits 'cancelled'")
    assert "(it is in 'Done', and stays there; available: Reopen → To Do)" in result.error


@pytest.mark.parametrize("status", [403, 404])
def test_a_workflow_jira_will_not_describe_leaves_a_cancel_of_a_done_issue_failing(
    rsps: responses.RequestsMock, cloud: JiraConnector, status: int
) -> None:
    """The statuses are not this user's to read: whether a cancelled status exists is not
    known, so the move fails as it did, and the run goes on."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    rsps.get(url, json={"transitions": [transition("11", "To Do", "To Do", "new")]})
    answer = status_answer("Done", "done", issue_type="10001")
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=answer)
    errors = {"errorMessages": ["No project could be found with key 'CLOUD'."], "errors": {}}
    rsps.get(api(CLOUD, "project/CLOUD/statuses"), status=status, json=errors)

    [result] = cloud.transition_many([StatusMove("CLOUD-1", "cancelled", closed=True)])

    assert not result.ok and result.error is not None
    assert result.error.startswith("no transition of CLOUD-1 fits 'cancelled'")


@pytest.mark.parametrize(
    ("status", "category", "cancel_name", "closed_as"),
    [
        ("Done", "done", None, "done"),
        ("Closed", "done", None, "done"),
        ("Won't Do", "done", None, "cancelled"),
        ("Cancelled", "done", None, "cancelled"),
        ("Won’t Do", "done", None, "cancelled"),  # a typographic apostrophe
        ("Abandoned", "done", "abandoned", "cancelled"),
        ("Abandoned", "done", "Abandon", "cancelled"),  # the transition's name, as configured
        ("Rejected", "done", "Reject", "cancelled"),
        ("Done", "done", "Reject", "done"),
        ("Abandoned", "done", None, "done"),
        ("In Progress", "indeterminate", None, None),
        ("To Do", "new", None, None),
    ],
)
def test_a_closed_issue_reads_as_done_or_cancelled_by_its_status(
    rsps: responses.RequestsMock,
    status: str,
    category: str,
    cancel_name: str | None,
    closed_as: str | None,
) -> None:
    """Jira puts both in the done category; the status says which (the configured cancel
    transition's name, or a name like "Won't Do")."""
    found = issue("CLOUD-1", ["ps-a"], status={"name": status, "statusCategory": {"key": category}})
    rsps.post(api(CLOUD, "search/jql"), json={"issues": [found], "isLast": True})
    connector = JiraConnector(
        CLOUD, EMAIL, TOKEN, deployment="cloud", cancel_transition=cancel_name
    )
    record = connector.fetch_by_ids(["ps-a"])["ps-a"]
    assert (record.status_category, record.closed_as) == (category, closed_as)


@pytest.mark.parametrize(
    ("to", "status", "offered", "expected", "outcome"),
    [
        ("cancelled", "Done", ["11", "21", "31", "41"], "21", None),  # Won't Do
        ("done", "Won't Do", ["11", "21", "31", "41"], "31", None),
        # moved in Jira since the plan: read, and nothing to send
        ("cancelled", "Won't Do", ["11", "31", "41", "51"], None, "already cancelled"),
        ("done", "Done", ["11", "21", "41"], None, "already done"),
        # Done and Abandon say nothing of cancelled; Reopen alone is not taken
        ("cancelled", "Abandoned", ["11", "31", "41"], None, "fails"),
        ("done", "Won't Do", ["41"], None, "fails"),
    ],
)
def test_a_closed_issue_moved_between_done_and_cancelled_takes_only_a_transition_that_tells(
    rsps: responses.RequestsMock,
    cloud: JiraConnector,
    to: Any,
    status: str,
    offered: list[str],
    expected: str | None,
    outcome: str | None,
) -> None:
    """Without one, the move fails and the issue stays in its closed status, unless it is
    where the move asks already. It succeeded, moving nothing: the store took the issue for
    moved, and the next plan said Jira had closed it as the other since the last sync."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    answer = {"transitions": [t for t in transitions()["transitions"] if t["id"] in offered]}
    rsps.get(url, json=answer)
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer(status, "done"))
    rsps.post(url, status=204)
    [result] = cloud.transition_many([StatusMove("CLOUD-1", to, closed=True)])
    assert result.key == "CLOUD-1"
    if outcome is None:
        assert (result.ok, result.note) == (True, None)
        assert walked(rsps) == [("GET", "list"), ("POST", expected)]
    elif outcome == "fails":
        assert not result.ok and result.error is not None
        assert result.error.startswith(f"no transition of CLOUD-1 fits {to!r} (it is in")
        assert "a closed issue is not reopened" in result.error
        assert walked(rsps) == [("GET", "list"), ("GET", None)], "none was taken"
    else:
        assert (result.ok, result.note) == (True, f"{outcome} in Jira ({status})")
        assert walked(rsps) == [("GET", "list"), ("GET", None)]


@pytest.mark.parametrize("closed", [False, True])
def test_a_move_to_done_never_takes_the_configured_cancel_transition(
    rsps: responses.RequestsMock, closed: bool
) -> None:
    """A cancel transition not named like one ("Abandon") came first in the list Jira gave,
    and a [x] item's issue was abandoned rather than done."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    offered = transitions()["transitions"]
    rsps.get(url, json={"transitions": sorted(offered, key=lambda t: t["name"])})
    rsps.post(url, status=204)
    connector = JiraConnector(CLOUD, EMAIL, TOKEN, deployment="cloud", cancel_transition="Abandon")
    [result] = connector.transition_many([StatusMove("CLOUD-1", "done", closed=closed)])
    assert result.ok
    assert [body(c) for c in rsps.calls if c.request.method == "POST"] == [
        {"transition": {"id": "31"}}
    ]


@pytest.mark.parametrize(
    ("status", "category", "listed", "cancel_name", "closed_as"),
    [
        ("Abgebrochen", "done", ["Abgebrochen"], None, "cancelled"),
        ("Declined", "done", ["  declined "], None, "cancelled"),  # trimmed, any case
        ("ANNULÉ", "done", ["Annulé", "Obsolete"], None, "cancelled"),
        ("Erledigt", "done", ["Abgebrochen"], None, "done"),
        ("Won't Do", "done", ["Declined"], None, "done"),  # no name heuristics once set
        ("Abandoned", "done", ["Declined"], "Abandon", "done"),
        ("Declined", "indeterminate", ["Declined"], None, None),  # not closed: neither
    ],
)
def test_a_closed_issue_reads_as_cancelled_only_in_a_configured_cancelled_status(
    rsps: responses.RequestsMock,
    status: str,
    category: str,
    listed: list[str],
    cancel_name: str | None,
    closed_as: str | None,
) -> None:
    """Names tell nothing in a workflow in German, or one that says "Declined": there, a
    cancelled issue read as done, and checking its item [x] moved nothing."""
    found = issue("CLOUD-1", ["ps-a"], status={"name": status, "statusCategory": {"key": category}})
    rsps.post(api(CLOUD, "search/jql"), json={"issues": [found], "isLast": True})
    connector = JiraConnector(
        CLOUD,
        EMAIL,
        TOKEN,
        deployment="cloud",
        cancel_transition=cancel_name,
        cancelled_status_names=listed,
    )
    record = connector.fetch_by_ids(["ps-a"])["ps-a"]
    assert (record.status_category, record.closed_as) == (category, closed_as)


def german_transitions() -> list[dict[str, Any]]:
    """A workflow in German, plus one "Won't Do" left from a template, listed in an order
    where the cancel comes before done."""
    answer = {
        "transitions": [
            transition("11", "Beginnen", "In Arbeit", "indeterminate"),
            transition("31", "Abbrechen", "Abgebrochen", "done"),
            transition("51", "Won't Do", "Won't Do", "done"),
            transition("21", "Erledigen", "Erledigt", "done"),
            transition("41", "Wieder öffnen", "Zu erledigen", "new"),
        ]
    }
    return list(check(answer, "cloud", "Transitions")["transitions"])


@pytest.mark.parametrize(
    ("to", "closed", "offered", "cancel_name", "expected"),
    [
        ("cancelled", False, ["11", "31", "51", "21", "41"], None, "31"),
        ("cancelled", True, ["11", "31", "51", "41"], None, "31"),  # from Erledigt
        ("cancelled", True, ["11", "51", "21", "41"], None, "fails"),  # Won't Do reads as done
        ("cancelled", False, ["11", "31", "51", "21", "41"], "Won't Do", "51"),  # named wins
        ("done", False, ["11", "31", "51", "21", "41"], None, "21"),
        ("done", True, ["11", "51", "21", "41"], None, "21"),  # from Abgebrochen
        ("done", True, ["11", "51", "41"], None, "51"),  # reads as done here: it will do
    ],
)
def test_transitions_into_configured_cancelled_status_names_are_the_cancels(
    rsps: responses.RequestsMock,
    to: Any,
    closed: bool,
    offered: list[str],
    cancel_name: str | None,
    expected: str | None,
) -> None:
    """A transition is a cancel by the status it leads to, as the issue is read after it:
    "Abbrechen" into "Abgebrochen" was taken for done (its name is nothing like a cancel),
    and "Won't Do", whose status reads as done here, for cancelled."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    rsps.get(url, json={"transitions": [t for t in german_transitions() if t["id"] in offered]})
    rsps.post(url, status=204)
    connector = JiraConnector(
        CLOUD,
        EMAIL,
        TOKEN,
        deployment="cloud",
        cancel_transition=cancel_name,
        cancelled_status_names=["abgebrochen"],
    )
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer("Erledigt", "done"))
    [result] = connector.transition_many([StatusMove("CLOUD-1", to, closed=closed)])
    assert result.ok is (expected != "fails") and result.key == "CLOUD-1"
    posted = [body(call) for call in rsps.calls if call.request.method == "POST"]
    assert posted == ([] if expected == "fails" else [{"transition": {"id": expected}}])


def test_transitions_of_many_issues_fail_one_by_one_on_a_500(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """A workflow post-function that throws on one issue fails that issue's move only."""
    for key in ("CLOUD-1", "CLOUD-2", "CLOUD-3"):
        url = api(CLOUD, f"issue/{key}/transitions")
        rsps.get(url, json=transitions())
        rsps.post(url, status=500 if key == "CLOUD-2" else 204)
    results = cloud.transition_many(
        [StatusMove(key, "done") for key in ("CLOUD-1", "CLOUD-2", "CLOUD-3")]
    )
    assert [(r.ok, r.key) for r in results][::2] == [(True, "CLOUD-1"), (True, "CLOUD-3")]
    assert not results[1].ok and "500" in (results[1].error or "")
    assert cloud.request_count() == 6


def test_transition_without_a_fitting_target_says_what_is_available(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """In progress, with only a cancel out of it: no transition is done's, nor leads to an
    open status to go on from; the issue stays, and the message says so."""
    only_cancel = {"transitions": transitions()["transitions"][1:2]}
    rsps.get(api(CLOUD, "issue/CLOUD-1/transitions"), json=only_cancel)
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer("In Progress", "indeterminate"))
    [result] = cloud.transition_many([StatusMove("CLOUD-1", "done")])
    assert result.ok is False
    assert result.error == (
        "no transition of CLOUD-1 fits 'done' (it is in 'In Progress', and stays there;"
        " available: Won't Do → Won't Do)"
    )
    assert [call.request.method for call in rsps.calls] == ["GET", "GET"]


@pytest.mark.parametrize(
    ("to", "status", "category", "listed", "note"),
    [
        ("done", "Done", "done", None, "already done in Jira (Done)"),
        ("cancelled", "Won't Do", "done", None, "already cancelled in Jira (Won't Do)"),
        ("cancelled", "Declined", "done", ["Declined"], "already cancelled in Jira (Declined)"),
        ("reopen", "To Do", "new", None, "already open in Jira (To Do)"),
        ("reopen", "In Progress", "indeterminate", None, "already open in Jira (In Progress)"),
        ("done", "Won't Do", "done", None, None),  # closed, but not as asked
        ("done", "Declined", "done", ["Declined"], None),
        ("cancelled", "Done", "done", None, None),
    ],
)
def test_a_move_to_where_the_issue_is_already_succeeds_without_a_transition(
    rsps: responses.RequestsMock,
    to: Any,
    status: str,
    category: str,
    listed: list[str] | None,
    note: str | None,
) -> None:
    """Closed in Jira after the plan was made (by hand, or by another clone of the vault
    syncing): Jira offers no transition into the status the issue is in, and the move failed
    though there was nothing to do. The status is read only when no transition fits, the
    way a search reads it (``cancelled_status_names`` decides what is cancelled)."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    offered = [t for t in transitions()["transitions"] if t["to"]["name"] != status]
    rsps.get(url, json={"transitions": [t for t in offered if t["id"] == "11"]})
    issue_url = api(CLOUD, "issue/CLOUD-1")
    rsps.get(issue_url, json=status_answer(status, category))
    connector = JiraConnector(
        CLOUD, EMAIL, TOKEN, deployment="cloud", cancelled_status_names=listed
    )

    [result] = connector.transition_many([StatusMove("CLOUD-1", to)])

    assert (result.ok, result.note, result.key) == (note is not None, note, "CLOUD-1")
    if note is None:
        assert result.error is not None and f"(it is in {status!r}, and stays there;" in (
            result.error
        )
    assert [(c.request.method, c.request.url.split("?")[0]) for c in rsps.calls] == [
        ("GET", url),
        ("GET", issue_url),
    ]
    assert rsps.calls[1].request.params == {"fields": "status,project,issuetype"}


def test_in_progress_takes_a_transition_into_the_in_progress_category(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """``[/]``: the first transition into a status of category "indeterminate" (Jira's API name
    for In Progress), wherever it is listed and whatever it is called."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    offered = transitions()["transitions"]
    rsps.get(
        url,
        json={"transitions": [*offered[1:], transition("71", "Begin", "Doing", "indeterminate")]},
    )
    rsps.post(url, status=204)

    [result] = cloud.transition_many([StatusMove("CLOUD-1", "indeterminate")])

    assert (result.ok, result.note, result.key) == (True, None, "CLOUD-1")
    assert check(body(rsps.calls[1]), "cloud", "IssueUpdateDetails") == {"transition": {"id": "71"}}


@pytest.mark.parametrize(
    ("status", "category", "ok", "said"),
    [
        ("In Progress", "indeterminate", True, "already in progress in Jira (In Progress)"),
        (
            "To Do",
            "new",
            False,
            "no transition of CLOUD-1 fits 'in progress' (it is in 'To Do', and stays there;"
            " available: Won't Do → Won't Do, Done → Done, Reopen → To Do, Abandon → Abandoned)",
        ),
    ],
)
def test_in_progress_that_no_transition_leads_to_is_reported_not_guessed(
    rsps: responses.RequestsMock,
    cloud: JiraConnector,
    status: str,
    category: str,
    ok: bool,
    said: str,
) -> None:
    """A workflow with no move into In Progress from where the issue is: the move fails for
    this issue, saying what there is, and nothing is posted (no other status stands in for
    it); an issue moved there in Jira since the plan is where the note says."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    rsps.get(url, json={"transitions": transitions()["transitions"][1:]})
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer(status, category))

    [result] = cloud.transition_many([StatusMove("CLOUD-1", "indeterminate")])

    assert (result.ok, result.note if ok else result.error) == (ok, said)
    assert [call.request.method for call in rsps.calls] == ["GET", "GET"], "none was taken"


@pytest.mark.parametrize(
    ("status", "category", "posted"), [("To Do", "new", ["31"]), ("Won't Do", "done", [])]
)
def test_a_cancel_falls_back_to_done_only_for_an_issue_not_cancelled_already(
    rsps: responses.RequestsMock,
    cloud: JiraConnector,
    status: str,
    category: str,
    posted: list[str],
) -> None:
    """With no transition like a cancel, "cancelled" takes any into done: one in "Won't Do"
    already is offered none into it, and was moved to Done (the next plan moved it back)."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    offered = [t for t in transitions()["transitions"] if t["id"] in ("11", "31")]
    rsps.get(url, json={"transitions": offered})
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer(status, category))
    rsps.post(url, status=204)
    [result] = cloud.transition_many([StatusMove("CLOUD-1", "cancelled")])
    assert result.ok
    assert [body(c)["transition"]["id"] for c in rsps.calls if c.request.method == "POST"] == (
        posted
    )


def test_a_move_that_fits_reads_no_status(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """The status is asked for only when no transition fits: a move costs two requests."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    rsps.get(url, json=transitions())
    rsps.post(url, status=204)
    [result] = cloud.transition_many([StatusMove("CLOUD-1", "done")])
    assert result.ok and result.note is None
    assert cloud.request_count() == 2


# -- moves that take more than one transition: a walk of the workflow ---------------------------

REOPEN = transition("41", "Reopen", "To Do", "new")
START = transition("11", "Start", "In Progress", "indeterminate")
DONE = transition("31", "Done", "Done", "done")
WONT_DO = transition("21", "Won't Do", "Won't Do", "done")


def listing(*offered: dict[str, Any]) -> dict[str, Any]:
    """GET transitions' answer: what Jira offers out of the status an issue is in."""
    return check({"transitions": list(offered)}, "cloud", "Transitions")


def walked(rsps: responses.RequestsMock) -> list[tuple[str, str | None]]:
    """The requests a move sent, in order: each listing, status read (None) and POST's id."""
    sent: list[tuple[str, str | None]] = []
    for call in rsps.calls:
        if call.request.method == "POST":
            sent.append(("POST", body(call)["transition"]["id"]))
        else:
            sent.append(("GET", "list" if call.request.url.endswith("/transitions") else None))
    return sent


@pytest.mark.parametrize(
    ("to", "status", "category", "first", "then", "posted", "note"),
    [
        # [x] -> [/] where Done only reopens: Reopen, then Start
        (
            "indeterminate",
            "Done",
            "done",
            [REOPEN],
            [START, WONT_DO],
            ["41", "11"],
            "moved in 2 transitions: Reopen → To Do, Start → In Progress",
        ),
        # [-] -> [/] the same way
        (
            "indeterminate",
            "Won't Do",
            "done",
            [REOPEN],
            [WONT_DO, START],
            ["41", "11"],
            "moved in 2 transitions: Reopen → To Do, Start → In Progress",
        ),
        # [ ] -> [x] where only an issue in progress is done: Start, then Done (the cancel
        # out of To Do is no way to done, nor a status to pass through)
        (
            "done",
            "To Do",
            "new",
            [WONT_DO, START],
            [WONT_DO, DONE],
            ["11", "31"],
            "moved in 2 transitions: Start → In Progress, Done → Done",
        ),
    ],
)
def test_a_move_no_one_transition_makes_walks_the_workflow(
    rsps: responses.RequestsMock,
    cloud: JiraConnector,
    to: Any,
    status: str,
    category: str,
    first: list[dict[str, Any]],
    then: list[dict[str, Any]],
    posted: list[str],
    note: str,
) -> None:
    """Many workflows allow Done only into To Do (Reopen) and To Do only into In Progress
    (Start): a ``[x]`` line marked ``[/]`` asked for one transition from Done into In
    Progress, found none, and failed at every sync. Jira lists only the transitions out of
    the status an issue is in, so each hop is listed anew: five requests, where a move one
    transition makes costs two."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    rsps.get(url, json=listing(*first))
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer(status, category))
    rsps.get(url, json=listing(*then))
    rsps.post(url, status=204)

    [result] = cloud.transition_many([StatusMove("CLOUD-1", to)])

    assert (result.ok, result.note, result.error) == (True, note, None)
    assert walked(rsps) == [
        ("GET", "list"),
        ("GET", None),
        ("POST", posted[0]),
        ("GET", "list"),
        ("POST", posted[1]),
    ]
    assert cloud.request_count() == 5


def test_a_closed_issue_that_reopens_only_into_in_progress_is_open_as_its_line_asks(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """``[x]`` to ``[ ]`` asks for open, which In Progress is: with no transition into To Do
    out of Done, the one into In Progress is taken (once the issue is read as closed), not a
    failure at every sync nor a walk on to To Do."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    rsps.get(url, json=listing(transition("41", "Reopen", "In Progress", "indeterminate")))
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer("Done", "done"))
    rsps.post(url, status=204)
    [result] = cloud.transition_many([StatusMove("CLOUD-1", "reopen")])
    assert (result.ok, result.note) == (True, None)
    assert walked(rsps) == [("GET", "list"), ("GET", None), ("POST", "41")]


@pytest.mark.parametrize(
    ("move", "status", "category", "offered", "error"),
    [
        # [/] -> [ ] with no way back to To Do: it said "already open in Jira", and the
        # issue stayed in progress
        (
            StatusMove("CLOUD-1", "reopen", from_progress=True),
            "In Progress",
            "indeterminate",
            [DONE, transition("61", "Review", "In Review", "indeterminate")],
            "no transition of CLOUD-1 fits 'open' out of in progress, into a status to do (it"
            " is in 'In Progress', and stays there; available: Done → Done, Review → In Review)",
        ),
        # [ ] -> [/] never through a closed status (it would resolve the issue on the way)
        (
            StatusMove("CLOUD-1", "indeterminate"),
            "To Do",
            "new",
            [DONE, WONT_DO],
            "no transition of CLOUD-1 fits 'in progress' (it is in 'To Do', and stays there;"
            " available: Done → Done, Won't Do → Won't Do)",
        ),
        # closed in Jira since the plan, as the other of done and cancelled: never reopened
        # to be closed again (a reopen finding no way on would leave it open)
        (
            StatusMove("CLOUD-1", "cancelled"),
            "Done",
            "done",
            [REOPEN],
            "no transition of CLOUD-1 fits 'cancelled' (it is in 'Done', and stays there;"
            " available: Reopen → To Do)",
        ),
    ],
)
def test_a_move_with_no_way_there_says_so_and_leaves_the_issue_where_it_is(
    rsps: responses.RequestsMock,
    cloud: JiraConnector,
    move: StatusMove,
    status: str,
    category: str,
    offered: list[dict[str, Any]],
    error: str,
) -> None:
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    rsps.get(url, json=listing(*offered))
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer(status, category))
    [result] = cloud.transition_many([move])
    assert (result.ok, result.error) == (False, error)
    assert walked(rsps) == [("GET", "list"), ("GET", None)], "none was taken"


def test_a_reopen_of_an_issue_closed_when_planned_and_reopened_in_jira_since_is_there(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """Unlike a move out of in progress, a reopen of a closed issue finds one in progress
    open, as its line asks."""
    rsps.get(api(CLOUD, "issue/CLOUD-1/transitions"), json=listing(DONE))
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer("In Progress", "indeterminate"))
    [result] = cloud.transition_many([StatusMove("CLOUD-1", "reopen")])
    assert (result.ok, result.note) == (True, "already open in Jira (In Progress)")


def test_a_walk_that_finds_no_way_on_says_where_it_left_the_issue(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    rsps.get(url, json=listing(REOPEN))
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer("Done", "done"))
    rsps.get(url, json=listing(WONT_DO))
    rsps.post(url, status=204)
    [result] = cloud.transition_many([StatusMove("CLOUD-1", "indeterminate")])
    assert (result.ok, result.error) == (
        False,
        "no transition of CLOUD-1 fits 'in progress' (it is in 'To Do', moved there from"
        " 'Done' by Reopen → To Do; available: Won't Do → Won't Do)",
    )
    assert walked(rsps) == [("GET", "list"), ("GET", None), ("POST", "41"), ("GET", "list")]


def test_a_walk_takes_at_most_three_transitions(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """Each status to do leads only to another: the walk passes two, then stops, saying so."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    rsps.get(url, json=listing(transition("41", "Reopen", "Reopened", "new")))
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer("Done", "done"))
    rsps.get(url, json=listing(transition("51", "Triage", "Backlog", "new")))
    rsps.get(url, json=listing(transition("61", "Select", "Selected", "new")))
    rsps.post(url, status=204)
    [result] = cloud.transition_many([StatusMove("CLOUD-1", "indeterminate")])
    assert result.error == (
        "no transition of CLOUD-1 fits 'in progress' (it is in 'Backlog', moved there from"
        " 'Done' by Reopen → Reopened, Triage → Backlog; available: Select → Selected);"
        " a move takes at most 3 transitions"
    )
    assert [id for method, id in walked(rsps) if method == "POST"] == ["41", "51"]
    assert cloud.request_count() == 6


def test_a_walk_never_goes_back_to_a_status_it_passed(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    rsps.get(url, json=listing(transition("41", "Reopen", "Reopened", "new")))
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer("Done", "done"))
    rsps.get(url, json=listing(transition("51", "Back", "Reopened", "new"), DONE))
    rsps.post(url, status=204)
    [result] = cloud.transition_many([StatusMove("CLOUD-1", "indeterminate")])
    assert result.error is not None and "moved there from 'Done' by Reopen" in result.error
    assert [id for method, id in walked(rsps) if method == "POST"] == ["41"]


@pytest.mark.parametrize(
    ("failing", "said"),
    [
        (
            {"method": "GET", "status": 404, "json": {"errorMessages": ["gone"]}},
            "Jira answered 404 to listing the transitions of CLOUD-1: CLOUD-1 does not exist or"
            " this user cannot see it; CLOUD-1 was moved from 'Done' by Reopen → To Do, and is"
            " in 'To Do'",
        ),
        (
            {"method": "POST", "status": 400, "json": {"errorMessages": ["Assignee required"]}},
            "Jira answered 400 to transitioning CLOUD-1 through 'Start': Assignee required; fix"
            " what Jira's words name, and the next sync sends it again; CLOUD-1 was moved from"
            " 'Done' by Reopen → To Do, and is in 'To Do'",
        ),
        (
            {"method": "POST", "status": 500, "json": {"errorMessages": ["post-function"]}},
            "Jira answered 500 to transitioning CLOUD-1 through 'Start'",
        ),
    ],
)
def test_a_walk_cut_short_says_where_it_left_the_issue(
    rsps: responses.RequestsMock, cloud: JiraConnector, failing: dict[str, Any], said: str
) -> None:
    """The hop made stands: the next plan reads the issue's status and goes on from there."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    rsps.get(url, json=listing(REOPEN))
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer("Done", "done"))
    rsps.post(url, status=204)  # Reopen
    if failing["method"] == "GET":
        rsps.get(url, status=failing["status"], json=failing["json"])
    else:
        rsps.get(url, json=listing(START))
        rsps.post(url, status=failing["status"], json=failing["json"])
    [result] = cloud.transition_many([StatusMove("CLOUD-1", "indeterminate")])
    assert result.ok is False and result.error is not None
    assert result.error.startswith(said), result.error
    assert "CLOUD-1 was moved from 'Done' by Reopen → To Do, and is in 'To Do'" in result.error


def test_a_walk_a_dropped_connection_cuts_short_fails_the_move_saying_where_the_issue_was_left(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """The lost answer is that issue's (its move may be made), not the whole call's."""
    url = api(CLOUD, "issue/CLOUD-1/transitions")
    rsps.get(url, json=listing(REOPEN))
    rsps.get(api(CLOUD, "issue/CLOUD-1"), json=status_answer("Done", "done"))
    rsps.post(url, status=204)
    rsps.get(url, json=listing(START))
    rsps.post(url, body=requests.ConnectionError("reset"))
    (failed,) = cloud.transition_many([StatusMove("CLOUD-1", "indeterminate")])
    assert (failed.ok, failed.maybe_done) == (False, True)
    assert (failed.error or "").endswith(
        "(CLOUD-1 was moved from 'Done' by Reopen → To Do, and is in 'To Do')"
    )


def test_a_dropped_connection_on_a_transition_is_not_retried_and_fails_that_move_only(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """The POST is not resent (it may have moved the issue), and its lost answer fails that
    move, which may be made (``maybe_done``); the next issue's move is sent all the same."""
    first, second = api(CLOUD, "issue/CLOUD-1/transitions"), api(CLOUD, "issue/CLOUD-2/transitions")
    rsps.get(first, json=transitions())
    rsps.post(first, body=requests.ConnectionError("reset"))
    rsps.get(second, json=transitions())
    rsps.post(second, status=204)
    lost, moved = cloud.transition_many(
        [StatusMove("CLOUD-1", "done"), StatusMove("CLOUD-2", "done")]
    )
    assert (lost.ok, lost.maybe_done) == (False, True)
    assert "it was not sent again" in (lost.error or "")
    assert moved.ok
    sent = [(call.request.method, call.request.url) for call in rsps.calls]
    assert sent.count(("POST", first)) == 1


def test_a_500_to_an_update_fails_that_update_only_and_may_be_done(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """A 500 to a write may come after Jira carried it out (README): the item fails with
    ``maybe_done``, where a 400 refusing it does not."""
    rsps.put(api(CLOUD, "issue/CLOUD-1"), status=500, json={"errorMessages": ["boom"]})
    rsps.put(api(CLOUD, "issue/CLOUD-2"), status=400, json={"errors": {"duedate": "bad"}})
    failed, refused = cloud.update_many(
        [FieldUpdate("CLOUD-1", {"summary": "a"}), FieldUpdate("CLOUD-2", {"summary": "b"})]
    )
    assert (failed.ok, failed.maybe_done) == (False, True)
    assert (refused.ok, refused.maybe_done) == (False, False)


def test_a_500_to_a_transitions_list_fails_that_move_as_not_made(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """Only the read was answered 500 (resent within the retries): the move was never sent."""
    rsps.get(api(CLOUD, "issue/CLOUD-1/transitions"), status=500, json={"errorMessages": ["x"]})
    (failed,) = cloud.transition_many([StatusMove("CLOUD-1", "done")])
    assert (failed.ok, failed.maybe_done) == (False, False)


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_links_are_upserted_by_global_id_and_200_or_201_are_both_ok(
    rsps: responses.RequestsMock, flavour: str
) -> None:
    server = CLOUD if flavour == "cloud" else DC
    connector = JiraConnector(server, EMAIL, TOKEN, deployment=flavour)  # type: ignore[arg-type]
    rsps.post(api(server, "issue/K-1/remotelink"), status=201, json={"id": 1, "self": "x"})
    rsps.post(api(server, "issue/K-2/remotelink"), status=200, json={"id": 2, "self": "y"})

    results = connector.upsert_links(
        [
            Link(
                "K-1",
                "plansync:ps-a",
                "obsidian://open?vault=V&file=F%23%5Eps-a",
                "Notes",
                "line 4",
            ),
            Link("K-2", "plansync:ps-b", "https://notes.example/F#^ps-b", "Notes"),
        ]
    )

    assert [r.ok for r in results] == [True, True]
    schema = (
        "RemoteIssueLinkRequest" if flavour == "cloud" else "RemoteIssueLinkCreateOrUpdateRequest"
    )
    sent = {call.request.url: check(body(call), flavour, schema) for call in rsps.calls}
    assert sent[api(server, "issue/K-1/remotelink")] == {
        "globalId": "plansync:ps-a",
        "object": {
            "url": "obsidian://open?vault=V&file=F%23%5Eps-a",
            "title": "Notes",
            "summary": "line 4",
        },
    }
    assert "summary" not in sent[api(server, "issue/K-2/remotelink")]["object"]


@pytest.mark.parametrize(
    ("status", "answer", "remedy"),
    [
        (400, "Injected fault: HTTP 400.", "fix what Jira's words name, and the next sync"),
        (
            403,
            "You do not have permission to link issues.",
            "the user plansync logs in as needs Jira's permission for it (a Jira admin grants"
            " it), and the next sync",
        ),
        (409, "Conflict.", "the next sync"),
    ],
)
def test_a_link_jira_refuses_reads_as_a_sentence_that_says_what_to_do(
    rsps: responses.RequestsMock, cloud: JiraConnector, status: int, answer: str, remedy: str
) -> None:
    """A user test: a link's 400 read "… failed: Injected fault: HTTP 400. (400, linking
    PLAN-5417 to obsidian://…)", a Python tuple at its end and no advice. It says who answered
    what to which step, Jira's words, and what to do, as a whole call's failure does."""
    url = "obsidian://open?vault=V&file=F%23%5Eps-a"
    rsps.post(api(CLOUD, "issue/K-1/remotelink"), status=status, json={"errorMessages": [answer]})
    [result] = cloud.upsert_links([Link("K-1", "plansync:ps-a", url, "Notes")])
    assert result.error == (
        f"Jira answered {status} to linking K-1 to {url}: {answer.rstrip('.')}; {remedy} sends"
        " it again"
    )
    assert (result.ok, result.key) == (False, "K-1")


@pytest.mark.parametrize("status", [400, 403])
def test_a_link_refused_without_jiras_words_says_its_status_once(
    rsps: responses.RequestsMock, cloud: JiraConnector, status: int
) -> None:
    """With no words of Jira's, a 400 read "…: HTTP 400 Bad Request; fix what Jira's words
    name, …": the status twice, and words that were not there (a review). An empty 403 is as
    likely a proxy's as Jira's, so it is not put down to a Jira permission either."""
    url = "obsidian://open?vault=V&file=F%23%5Eps-a"
    rsps.post(api(CLOUD, "issue/K-1/remotelink"), status=status, body="")
    [result] = cloud.upsert_links([Link("K-1", "plansync:ps-a", url, "Notes")])
    reason = {400: "Bad Request", 403: "Forbidden"}[status]
    assert result.error == (
        f"Jira answered {status} to linking K-1 to {url}: {reason}; the next sync sends it again"
    )


# -- errors and rate limits -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "says"),
    [
        (TOKEN, "check the user and the API token"),
        (None, "no API token was given (the config's jira.token is empty"),
    ],
)
def test_401_says_whether_a_token_was_given(
    rsps: responses.RequestsMock, token: str | None, says: str
) -> None:
    """A token variable left unset reads as an empty token: "check the user and the API
    token" had the user look for a wrong token where there was none (a user test)."""
    connector = JiraConnector(CLOUD, EMAIL, token, deployment="cloud", max_retries=0)
    rsps.post(api(CLOUD, "search/jql"), status=401, body="Client must be authenticated")
    with pytest.raises(ConnectorError, match="rejected the credentials") as raised:
        connector.fetch_by_ids(["ps-a"])
    assert says in str(raised.value)


def test_401_says_credentials_were_rejected_and_never_shows_the_token(
    rsps: responses.RequestsMock, cloud: JiraConnector, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rsps.post(api(CLOUD, "search/jql"), status=401, body="Client must be authenticated")
    with pytest.raises(ConnectorError) as raised:
        cloud.fetch_by_ids(["ps-a"])
    error = raised.value
    assert error.status == 401
    assert str(error).startswith(f"Jira rejected the credentials for {CLOUD} (401)")
    encoded = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    for text in (str(error), repr(error), caplog.text):
        assert TOKEN not in text and encoded not in text and "Authorization" not in text
    assert error.__cause__ is None and error.__context__ is None  # no library error chained


def echo_of_the_authorization(request: requests.PreparedRequest) -> tuple[int, dict, str]:
    """A proxy or gateway that quotes the request it refused, headers and all."""
    sent = request.headers["Authorization"]
    return 400, {}, json.dumps({"errorMessages": [f"Bad request; you sent Authorization: {sent}"]})


def test_a_server_that_echoes_the_credentials_never_gets_them_shown(
    rsps: responses.RequestsMock,
    cloud: JiraConnector,
    dc: JiraConnector,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    basic = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    rsps.add_callback(responses.POST, api(CLOUD, "search/jql"), echo_of_the_authorization)
    rsps.add_callback(responses.POST, api(DC, "search"), echo_of_the_authorization)
    rsps.add_callback(responses.POST, api(CLOUD, "issue/K-1/remotelink"), echo_of_the_authorization)
    rsps.get(
        api(DC, "serverInfo"),
        content_type="text/html",
        body=f"<html>Login required. Your request: Authorization: Bearer {TOKEN}</html>",
    )
    texts = []
    for call in (
        lambda: cloud.fetch_by_ids(["ps-a"]),
        lambda: dc.fetch_by_ids(["ps-a"]),
        lambda: JiraConnector(DC, None, TOKEN, sleep=lambda _: None).fetch_by_ids(["ps-a"]),
    ):
        with pytest.raises(ConnectorError) as raised:
            call()
        texts.append(str(raised.value))
    (result,) = cloud.upsert_links([Link("K-1", "g", "obsidian://x", "Notes")])
    texts.append(result.error or "")
    assert [text.count("***") for text in texts] == [1, 1, 1, 1], texts
    for text in [*texts, caplog.text]:
        assert TOKEN not in text and basic not in text


@pytest.mark.parametrize(
    ("method", "path", "answer", "call"),
    [
        ("POST", "search/jql", {"issues": {"key": 5}}, lambda c: c.fetch_by_ids(["ps-a"])),
        ("POST", "search/jql", {"issues": [{"fields": {}}]}, lambda c: c.fetch_by_ids(["ps-a"])),
        ("GET", "user/search", {"values": []}, lambda c: c.find_users("ann@acme.example")),
        (
            "GET",
            "issue/K-1/transitions",
            {"transitions": "none"},
            lambda c: c.transition_many([StatusMove("K-1", "done")]),
        ),
        (
            "POST",
            "issue/bulk",
            {"issues": [{"id": "10001"}], "errors": []},
            lambda c: c.create_many([new("ps-a")]),
        ),
    ],
    ids=["issues-not-a-list", "issue-without-key", "users-not-a-list", "transitions", "bulk"],
)
def test_an_answer_not_shaped_as_jiras_fails_the_call_in_one_line(
    rsps: responses.RequestsMock,
    cloud: JiraConnector,
    method: str,
    path: str,
    answer: Any,
    call: Callable[[JiraConnector], Any],
) -> None:
    """A proxy's or an app's JSON in Jira's place was an AttributeError traceback."""
    rsps.add(method, api(CLOUD, path), json=answer)
    with pytest.raises(ConnectorError, match="is not shaped as Jira's REST API answers"):
        call(cloud)


def test_a_token_that_cannot_go_into_a_header_fails_in_one_line_without_showing_it(
    jira_sandbox: tuple[str, Any], sleeps: Sleeps
) -> None:
    """A Data Center token with a line break (read from a file, given to the library as is):
    http.client refused the header with a ValueError that quoted it, as a traceback. (Over a
    real socket: ``responses`` never builds the header.)"""
    url, _ = jira_sandbox
    connector = JiraConnector(url, None, TOKEN + "\n", deployment="dc", sleep=sleeps)
    with pytest.raises(ConnectorError, match="line break") as raised:
        connector.fetch_by_ids(["ps-a"])
    assert TOKEN not in str(raised.value)
    assert connector.request_count() == 1 and sleeps == []


def test_401_inside_update_many_fails_the_whole_call(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    rsps.put(api(CLOUD, "issue/CLOUD-1"), status=401)
    rsps.put(api(CLOUD, "issue/CLOUD-2"), status=401)
    with pytest.raises(ConnectorError, match="rejected the credentials") as raised:
        cloud.update_many(
            [FieldUpdate("CLOUD-1", {"summary": "a"}), FieldUpdate("CLOUD-2", {"summary": "b"})]
        )
    assert TOKEN not in str(raised.value)


def test_404_on_search_names_what_was_asked(
    rsps: responses.RequestsMock, dc: JiraConnector
) -> None:
    rsps.post(api(DC, "search"), status=404, body="<html>Not Found</html>")
    with pytest.raises(ConnectorError) as raised:
        dc.fetch_by_ids(["ps-a"])
    message = str(raised.value)
    assert raised.value.status == 404
    assert "searching issues by 1 plansync id labels" in message
    assert f"POST {api(DC, 'search')}" in message


def test_a_hint_after_jiras_own_sentence_starts_no_second_one(
    rsps: responses.RequestsMock, dc: JiraConnector
) -> None:
    """It read "…: Not found.; is https://… the Jira base URL"."""
    rsps.post(api(DC, "search"), status=404, json={"message": "Not found."})
    with pytest.raises(ConnectorError) as raised:
        dc.fetch_by_ids(["ps-a"])
    assert f": Not found; is {DC} the Jira base URL" in str(raised.value)


def test_cloud_never_calls_the_removed_search_endpoint(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    gone = {
        "errorMessages": [
            "The requested API has been removed. Please migrate to /rest/api/3/search/jql."
        ]
    }
    rsps.post(api(CLOUD, "search"), status=410, json=gone)
    rsps.get(api(CLOUD, "search"), status=410, json=gone)
    rsps.add_callback(responses.POST, api(CLOUD, "search/jql"), callback=cloud_search_answer)
    assert set(cloud.fetch_by_ids(["ps-a"])) == {"ps-a"}
    assert [call.request.url for call in rsps.calls] == [api(CLOUD, "search/jql")]


def test_410_from_the_old_search_is_explained(rsps: responses.RequestsMock) -> None:
    gone = {"errorMessages": ["The requested API has been removed."]}
    rsps.post(api(CLOUD, "search"), status=410, json=gone)
    misconfigured = JiraConnector(CLOUD, EMAIL, TOKEN, deployment="dc")
    with pytest.raises(ConnectorError, match="410") as raised:
        misconfigured.fetch_by_ids(["ps-a"])
    assert "The requested API has been removed;" in str(raised.value)
    assert str(raised.value).endswith("is deployment set to 'dc' for a Cloud site?")
    # Taken for Data Center by its serverInfo (a proxy's, or an app's, without deploymentType):
    # no 'dc' was set, so asking about it misled.
    rsps.get(api(CLOUD, "serverInfo"), json={})
    detected = JiraConnector(CLOUD, EMAIL, TOKEN)
    with pytest.raises(ConnectorError, match="410") as raised:
        detected.fetch_by_ids(["ps-a"])
    assert str(raised.value).endswith(
        "the site's serverInfo did not say Cloud, so it was taken for Data Center;"
        " set deployment = 'cloud'"
    )
    # Set to Cloud (a 410 from a Jira that removed yet another endpoint): no advice about it.
    rsps.post(api(CLOUD, "search/jql"), status=410, json=gone)
    with pytest.raises(ConnectorError, match="410") as raised:
        JiraConnector(CLOUD, EMAIL, TOKEN, deployment="cloud").fetch_by_ids(["ps-a"])
    assert str(raised.value).endswith("; Jira Cloud removed this endpoint")


def test_429_waits_retry_after_then_succeeds(
    rsps: responses.RequestsMock, cloud: JiraConnector, sleeps: Sleeps
) -> None:
    url = api(CLOUD, "search/jql")
    rsps.post(url, status=429, headers={"Retry-After": "3"})
    rsps.add_callback(responses.POST, url, callback=cloud_search_answer)
    assert set(cloud.fetch_by_ids(["ps-a"])) == {"ps-a"}
    assert sleeps == [3.0]
    assert cloud.request_count() == 2


def test_503_without_retry_after_backs_off_exponentially(
    rsps: responses.RequestsMock, cloud: JiraConnector, sleeps: Sleeps
) -> None:
    url = api(CLOUD, "issue/CLOUD-1")
    rsps.put(url, status=503)
    rsps.put(url, status=503)
    rsps.put(url, status=204)
    [result] = cloud.update_many([FieldUpdate("CLOUD-1", {"summary": "s"})])
    assert result.ok
    assert sleeps == [1.0, 2.0]


def test_429_forever_is_bounded_and_not_doubled_by_the_library(
    rsps: responses.RequestsMock, sleeps: Sleeps
) -> None:
    rsps.post(api(CLOUD, "issue/bulk"), status=429, headers={"Retry-After": "2"})
    connector = JiraConnector(CLOUD, EMAIL, TOKEN, deployment="cloud", max_retries=3, sleep=sleeps)
    with pytest.raises(ConnectorError) as raised:
        connector.create_many([new("ps-a")])
    assert (raised.value.status, raised.value.retry_after) == (429, 2.0)
    assert len(rsps.calls) == 4  # the first try and max_retries more, nothing from the library
    assert sleeps == [2.0, 2.0, 2.0]


def test_a_retry_after_longer_than_max_backoff_gives_up_at_once(
    rsps: responses.RequestsMock, sleeps: Sleeps
) -> None:
    rsps.post(api(CLOUD, "search/jql"), status=429, headers={"Retry-After": "600"})
    connector = JiraConnector(CLOUD, EMAIL, TOKEN, deployment="cloud", max_backoff=60, sleep=sleeps)
    with pytest.raises(ConnectorError) as raised:
        connector.fetch_by_ids(["ps-a"])
    assert raised.value.retry_after == 600
    assert (len(rsps.calls), sleeps) == (1, [])
    assert "answered 429 to " in str(raised.value)
    assert str(raised.value).endswith(
        " once; it asks to retry after 600s (longer than max_backoff, 60s: raise [jira]"
        " max_backoff to wait that long)"
    )


@pytest.mark.parametrize(
    ("status", "headers"), [(429, {"Retry-After": "120"}), (503, {})], ids=["429-long", "503"]
)
def test_a_jira_that_keeps_throttling_is_not_sent_the_remaining_links(
    rsps: responses.RequestsMock, sleeps: Sleeps, status: int, headers: dict[str, str]
) -> None:
    """A rate limit (or an outage) is Jira's, not one link's: past the retries the call fails
    as a whole, instead of sending every remaining link to be refused (or waited out) too."""
    for n in range(40):
        rsps.post(api(CLOUD, f"issue/K-{n}/remotelink"), status=status, headers=headers)
    connector = JiraConnector(CLOUD, EMAIL, TOKEN, deployment="cloud", max_retries=2, sleep=sleeps)
    links = [Link(f"K-{n}", f"plansync:ps-{n}", "obsidian://x", "note") for n in range(40)]
    with pytest.raises(ConnectorError) as raised:
        connector.upsert_links(links)
    assert raised.value.status == status
    assert len(rsps.calls) <= 4 * 3  # at most the links already started, each with its retries


def test_a_500_on_one_link_fails_that_link_only(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    rsps.post(api(CLOUD, "issue/K-1/remotelink"), status=500, json={"errorMessages": ["boom"]})
    rsps.post(api(CLOUD, "issue/K-2/remotelink"), status=201, json={"id": 2, "self": "y"})
    links = [Link(f"K-{n}", f"plansync:ps-{n}", "obsidian://x", "note") for n in (1, 2)]
    first, second = cloud.upsert_links(links)
    assert not first.ok and "500" in (first.error or "") and "boom" in (first.error or "")
    assert second.ok


@pytest.mark.parametrize("status", [502, 504])
def test_a_gateways_error_is_sent_again_only_where_a_request_may_be_sent_twice(
    rsps: responses.RequestsMock, cloud: JiraConnector, sleeps: Sleeps, status: int
) -> None:
    """A proxy's passing failure on a search is sent again; on a bulk create it is not (Jira
    may have created the issues): the caller looks the ids up by label first."""
    url = api(CLOUD, "search/jql")
    rsps.post(url, status=status, body="<html>Bad Gateway</html>")
    rsps.add_callback(responses.POST, url, callback=cloud_search_answer)
    assert set(cloud.fetch_by_ids(["ps-a"])) == {"ps-a"}
    assert sleeps == [1.0]
    rsps.post(api(CLOUD, "issue/bulk"), status=status, body="<html>Bad Gateway</html>")
    with pytest.raises(ConnectorError, match=rf"answered {status} to creating 1 issue\b"):
        cloud.create_many([new("ps-b")])
    assert sleeps == [1.0]


def test_a_500_to_a_read_is_sent_again_within_max_retries(
    rsps: responses.RequestsMock, cloud: JiraConnector, sleeps: Sleeps
) -> None:
    """A search (a POST that only reads) and a GET: a node restarting failed the whole plan
    once, where a 503 was waited out. The 500 of a transition's POST is not resent."""
    url = api(CLOUD, "search/jql")
    rsps.post(url, status=500, json={"errorMessages": ["Internal server error"]})
    rsps.add_callback(responses.POST, url, callback=cloud_search_answer)
    assert set(cloud.fetch_by_ids(["ps-a"])) == {"ps-a"}
    assert sleeps == [1.0]
    moves = api(CLOUD, "issue/CLOUD-1/transitions")
    rsps.get(moves, status=500)
    rsps.get(moves, status=500)
    rsps.get(moves, json=transitions())
    rsps.post(moves, status=500)
    [result] = cloud.transition_many([StatusMove("CLOUD-1", "done")])
    assert not result.ok and "500" in (result.error or "")
    assert sleeps == [1.0, 1.0, 2.0]
    assert [c.request.method for c in rsps.calls if c.request.url == moves] == ["GET"] * 3 + [
        "POST"
    ]


def test_a_read_that_keeps_answering_500_fails_as_before_past_max_retries(
    rsps: responses.RequestsMock, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    """Past the retries a search fails the whole call and one issue's read that issue alone,
    with Jira's words, as they did when a 500 was not sent again, and how often it was sent
    (as a 503's failure says, and Salesforce's)."""
    connector = JiraConnector(CLOUD, EMAIL, TOKEN, deployment="cloud", max_retries=2, sleep=sleeps)
    rsps.post(api(CLOUD, "search/jql"), status=500, json={"errorMessages": ["db down"]})
    with caplog.at_level(logging.WARNING), pytest.raises(ConnectorError) as raised:
        connector.fetch_by_ids(["ps-a"])
    assert str(raised.value) == (
        "Jira answered 500 to searching issues by 1 plansync id labels"
        f" (POST {api(CLOUD, 'search/jql')}) 3 times ([jira] max_retries = 2): db down"
    )
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        f"Jira answered 500 to searching issues by 1 plansync id labels; retrying in {wait}s"
        for wait in ("1.0", "2.0")
    ]
    assert (raised.value.kind, raised.value.status, raised.value.throttled) == (
        "server",
        500,
        False,
    )
    assert (connector.request_count(), sleeps) == (3, [1.0, 2.0])
    for key in ("CLOUD-1", "CLOUD-2"):
        url = api(CLOUD, f"issue/{key}/transitions")
        if key == "CLOUD-1":
            rsps.get(url, status=500, json={"errorMessages": ["boom"]})
        else:
            rsps.get(url, json=transitions())
            rsps.post(url, status=204)
    first, second = connector.transition_many(
        [StatusMove(k, "done") for k in ("CLOUD-1", "CLOUD-2")]
    )
    assert not first.ok and "boom" in (first.error or "") and second.ok
    listed = [c for c in rsps.calls if c.request.url == api(CLOUD, "issue/CLOUD-1/transitions")]
    assert len(listed) == 3


@pytest.mark.parametrize("operation", ["create", "update", "link"])
def test_a_500_to_a_write_is_not_sent_again(
    rsps: responses.RequestsMock, cloud: JiraConnector, sleeps: Sleeps, operation: str
) -> None:
    """Jira may have acted on it: a create sent again would be made twice."""
    calls = {
        "create": ("POST", "issue/bulk", lambda: cloud.create_many([new("ps-a")])),
        "update": ("PUT", "issue/CLOUD-1", lambda: cloud.update_many([upd("CLOUD-1")])),
        "link": ("POST", "issue/CLOUD-1/remotelink", lambda: cloud.upsert_links([lnk()])),
    }
    method, path, call = calls[operation]
    rsps.add(method, api(CLOUD, path), status=500, json={"errorMessages": ["boom"]})
    with contextlib.suppress(ConnectorError):
        call()
    assert (len(rsps.calls), sleeps) == (1, [])


def test_a_read_that_reached_jira_before_it_went_away_says_nothing_was_acted_on(
    rsps: responses.RequestsMock, cloud: JiraConnector, sleeps: Sleeps
) -> None:
    """Jira stopped while a plan searched: a search (a POST that only reads) acts on nothing,
    so its error does not say an earlier try may have; an update's does."""
    search = api(CLOUD, "search/jql")
    rsps.post(search, status=502)
    rsps.post(search, body=refused())
    with pytest.raises(ConnectorError) as failed:
        cloud.fetch_by_ids(["ps-a"])
    assert "tries while searching" in str(failed.value), failed.value
    assert "acted" not in str(failed.value)
    rsps.put(api(CLOUD, "issue/CLOUD-1"), status=502)
    rsps.put(api(CLOUD, "issue/CLOUD-1"), body=refused())
    with pytest.raises(ConnectorError, match="an earlier try reached Jira, which may have acted"):
        cloud.update_many([upd("CLOUD-1")])


def test_a_dropped_connection_on_a_search_is_retried(
    rsps: responses.RequestsMock, cloud: JiraConnector, sleeps: Sleeps
) -> None:
    url = api(CLOUD, "search/jql")
    rsps.post(url, body=requests.ConnectionError("reset"))
    rsps.add_callback(responses.POST, url, callback=cloud_search_answer)
    assert set(cloud.fetch_by_ids(["ps-a"])) == {"ps-a"}
    assert sleeps == [1.0]
    assert cloud.request_count() == 2


# -- search ---------------------------------------------------------------------------------------


def test_a_refused_connection_fails_fast_in_one_line_naming_the_server(sleeps: Sleeps) -> None:
    """Nobody listening: two quick tries more (a restarting server is back within a second),
    then one line, not five backoffs adding up to half a minute."""
    server = f"http://127.0.0.1:{closed_port()}"
    connector = JiraConnector(server, EMAIL, TOKEN, deployment="cloud", sleep=sleeps)
    with pytest.raises(ConnectorError) as raised:
        connector.fetch_by_ids(["ps-a"])
    message = str(raised.value)
    assert message.startswith(f"cannot connect to Jira at {server}: Connection refused"), message
    assert "nothing was sent" in message and "\n" not in message
    assert connector.request_count() == 3 and sum(sleeps) <= 1.0


def test_a_refused_bulk_create_is_tried_again_since_nothing_was_sent(sleeps: Sleeps) -> None:
    """A create is never resent after a dropped connection, but a refused connect sent nothing."""
    server = f"http://127.0.0.1:{closed_port()}"
    connector = JiraConnector(server, EMAIL, TOKEN, deployment="cloud", sleep=sleeps)
    with pytest.raises(ConnectorError, match="nothing was sent") as raised:
        connector.create_many([NewRecord("ps-a", {"project": "CLOUD", "summary": "x"})])
    assert "may have reached" not in str(raised.value)
    assert connector.request_count() == 3 and sum(sleeps) <= 1.0


def test_jql_values_are_quoted_and_escaped() -> None:
    assert labels_jql(['ps-a"b', "ps-c\\d", "ps-e"]) == (
        'labels in ("ps-a\\"b", "ps-c\\\\d", "ps-e") ORDER BY key'
    )


def test_escaped_ids_reach_the_search_body(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    rsps.post(api(CLOUD, "search/jql"), json={"issues": [], "isLast": True})
    cloud.fetch_by_ids(['ps-x") OR project = SECRET OR labels in ("y'])
    sent = check(body(rsps.calls[0]), "cloud", "SearchAndReconcileRequestBean")
    assert (
        sent["jql"] == 'labels in ("ps-x\\") OR project = SECRET OR labels in (\\"y") ORDER BY key'
    )
    assert "summary" in sent["fields"] and "status" in sent["fields"]


@pytest.mark.parametrize(("count", "queries"), [(1, 1), (100, 1), (101, 2), (250, 3)])
def test_cloud_search_sends_one_query_per_100_ids(
    rsps: responses.RequestsMock, cloud: JiraConnector, count: int, queries: int
) -> None:
    rsps.add_callback(responses.POST, api(CLOUD, "search/jql"), callback=cloud_search_answer)
    ids = [f"ps-{n}" for n in range(count)]
    assert set(cloud.fetch_by_ids(ids + ids[:5])) == set(ids)  # repeated ids asked once
    assert len(rsps.calls) == queries
    assert cloud.request_count() == queries


@pytest.mark.parametrize(("count", "queries"), [(1, 1), (100, 1), (101, 2), (250, 3)])
def test_dc_search_sends_one_query_per_100_ids(
    rsps: responses.RequestsMock, dc: JiraConnector, count: int, queries: int
) -> None:
    rsps.add_callback(responses.POST, api(DC, "search"), callback=dc_search_answer)
    ids = [f"ps-{n}" for n in range(count)]
    assert set(dc.fetch_by_ids(ids)) == set(ids)
    assert len(rsps.calls) == queries
    for call in rsps.calls:
        check(body(call), "dc", "SearchRequestBean")


def test_cloud_search_follows_next_page_token(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    url = api(CLOUD, "search/jql")
    first = {"issues": [issue("CLOUD-1", ["ps-a"])], "nextPageToken": "tok-2", "isLast": False}
    second = {"issues": [issue("CLOUD-2", ["ps-b"])], "isLast": True}
    rsps.post(url, json=check(first, "cloud", "SearchAndReconcileResults"))
    rsps.post(url, json=check(second, "cloud", "SearchAndReconcileResults"))

    found = cloud.fetch_by_ids(["ps-a", "ps-b"])

    assert {k: r.key for k, r in found.items()} == {"ps-a": "CLOUD-1", "ps-b": "CLOUD-2"}
    bodies = [check(body(call), "cloud", "SearchAndReconcileRequestBean") for call in rsps.calls]
    assert "nextPageToken" not in bodies[0]
    assert bodies[1]["nextPageToken"] == "tok-2"
    assert bodies[0]["jql"] == bodies[1]["jql"]


def test_dc_search_pages_with_start_at(rsps: responses.RequestsMock, dc: JiraConnector) -> None:
    url = api(DC, "search")
    page_one = [issue(f"DC-{n}", [f"ps-{n}"], cloud=False) for n in range(1, 51)]
    page_two = [issue(f"DC-{n}", [f"ps-{n}"], cloud=False) for n in range(51, 81)]
    rsps.post(url, json={"startAt": 0, "maxResults": 50, "total": 80, "issues": page_one})
    rsps.post(url, json={"startAt": 50, "maxResults": 50, "total": 80, "issues": page_two})

    found = dc.fetch_by_ids([f"ps-{n}" for n in range(1, 81)])

    assert len(found) == 80
    assert [body(call)["startAt"] for call in rsps.calls] == [0, 50]


def test_fetched_records_are_normalised_to_plansync_names(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    raw = issue(
        "CLOUD-12",
        ["meeting", "ps-7k2m9q"],
        description="Draft it",
        duedate="2025-10-27",
        priority={"name": "High", "id": "2"},
        assignee={"accountId": "5b10a2844c20165700ede21g", "displayName": "Mia Krystof"},
        components=[{"name": "Backend", "id": "1"}],
        status={"name": "Done", "statusCategory": {"key": "done", "id": 3}},
    )
    rsps.post(api(CLOUD, "search/jql"), json={"issues": [raw], "isLast": True})

    record = cloud.fetch_by_ids(["ps-7k2m9q", "ps-missing"])["ps-7k2m9q"]

    assert record.key == "CLOUD-12"
    assert record.url == f"{CLOUD}/browse/CLOUD-12"
    assert record.plansync_id == "ps-7k2m9q"
    assert record.status_category == "done"
    assert record.fields == {
        "project": "CLOUD",
        "issue_type": "Task",
        "summary": "Summary of CLOUD-12",
        "description": "Draft it",
        "due": "2025-10-27",
        "priority": "High",
        "assignee": "5b10a2844c20165700ede21g",
        "labels": ["meeting", "ps-7k2m9q"],
        "components": ["Backend"],
        "status": "Done",
    }


def test_dc_records_name_the_assignee(rsps: responses.RequestsMock, dc: JiraConnector) -> None:
    raw = issue("DC-1", ["ps-a"], cloud=False, assignee={"name": "fred", "key": "JIRAUSER10100"})
    rsps.post(
        api(DC, "search"), json={"issues": [raw], "startAt": 0, "maxResults": 100, "total": 1}
    )
    assert dc.fetch_by_ids(["ps-a"])["ps-a"].fields["assignee"] == "fred"


def test_api_v3_descriptions_round_trip_through_adf(rsps: responses.RequestsMock) -> None:
    connector = JiraConnector(CLOUD, EMAIL, TOKEN, deployment="cloud", api_version="3")
    v3 = f"{CLOUD}/rest/api/3"
    rsps.post(
        f"{v3}/issue/bulk",
        status=201,
        json={"issues": [{"id": "1", "key": "C-1", "self": "x"}], "errors": []},
    )
    connector.create_many([new("ps-a", description="Line one\n\nLine three")])
    adf = body(rsps.calls[0])["issueUpdates"][0]["fields"]["description"]
    assert adf["type"] == "doc" and len(adf["content"]) == 3

    rsps.post(
        f"{v3}/search/jql",
        json={"issues": [issue("C-1", ["ps-a"], description=adf)], "isLast": True},
    )
    assert (
        connector.fetch_by_ids(["ps-a"])["ps-a"].fields["description"] == "Line one\n\nLine three"
    )


def test_an_id_on_several_issues_maps_to_the_lowest_key_naming_the_others(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    three = [issue("CLOUD-3", ["ps-a"]), issue("CLOUD-7", ["ps-a"]), issue("CLOUD-9", ["ps-a"])]
    rsps.post(api(CLOUD, "search/jql"), json={"issues": three, "isLast": True})
    found = cloud.fetch_by_ids(["ps-a"])["ps-a"]
    assert (found.key, found.duplicates) == ("CLOUD-3", ("CLOUD-7", "CLOUD-9"))


def test_an_issue_listed_twice_by_offset_paging_is_no_duplicate_of_itself(
    rsps: responses.RequestsMock, dc: JiraConnector
) -> None:
    """Data Center pages by offset: a label added to an earlier issue between two pages
    shifts the results, and the last issue of a page comes again first on the next one."""
    rsps.post(
        api(DC, "search"),
        json={
            "startAt": 0,
            "maxResults": 2,
            "total": 3,
            "issues": [issue("DC-1", ["ps-b"]), issue("DC-3", ["ps-a"])],
        },
    )
    rsps.post(
        api(DC, "search"),
        json={"startAt": 2, "maxResults": 2, "total": 3, "issues": [issue("DC-3", ["ps-a"])]},
    )
    found = dc.fetch_by_ids(["ps-a", "ps-b"])
    assert (found["ps-a"].key, found["ps-a"].duplicates) == ("DC-3", ())


# -- users ----------------------------------------------------------------------------------------


def cloud_user(
    account_id: str, name: str, email: str | None = None, active: bool = True
) -> dict[str, Any]:
    user = {
        "accountId": account_id,
        "accountType": "atlassian",
        "active": active,
        "displayName": name,
    }
    if email:
        user["emailAddress"] = email
    return check(user, "cloud", "User")


def test_two_fuzzy_matches_resolve_to_nobody(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    rsps.get(
        api(CLOUD, "user/search"),
        json=[cloud_user("a1", "Alice Smith"), cloud_user("a2", "Alice Smithers")],
    )
    assert cloud.find_users("alice") == ()  # fuzzy hits are no match
    assert rsps.calls[0].request.params["query"] == "alice"


def test_exact_email_resolves_and_is_cached(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    rsps.get(
        api(CLOUD, "user/search"),
        json=[
            cloud_user("a1", "Alice Smith", "alice@acme.example"),
            cloud_user("a2", "Alice Smithers", "alice.smithers@acme.example"),
        ],
    )
    assert cloud.find_users("Alice@Acme.example") == ("a1",)
    assert cloud.find_users("alice@acme.example ") == ("a1",)
    assert len(rsps.calls) == 1


def test_exact_display_name_must_be_unique_among_active_users(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    rsps.get(
        api(CLOUD, "user/search"),
        json=[
            cloud_user("a1", "Sam Lee"),
            cloud_user("a2", "Sam Lee"),
            cloud_user("a3", "Sam Leeds"),
        ],
    )
    assert cloud.find_users("Sam Lee") == ("a1", "a2")
    rsps.get(
        api(CLOUD, "user/search"),
        json=[cloud_user("b1", "Kim Park"), cloud_user("b2", "Kim Park", active=False)],
    )
    assert cloud.find_users("kim park") == ("b1",)


def test_dc_resolves_by_user_name(rsps: responses.RequestsMock, dc: JiraConnector) -> None:
    fred = {
        "name": "fred",
        "key": "JIRAUSER10100",
        "displayName": "Fred F. User",
        "emailAddress": "fred@example.com",
        "active": True,
    }
    freddie = {
        **fred,
        "name": "freddie",
        "key": "JIRAUSER10101",
        "displayName": "Freddie",
        "emailAddress": "freddie@example.com",
    }
    rsps.get(api(DC, "user/search"), json=[check(fred, "dc", "UserBean"), freddie])
    assert dc.find_users("FRED") == ("fred",)
    assert rsps.calls[0].request.params["username"] == "FRED"


# -- counting -------------------------------------------------------------------------------------


def test_request_count_counts_every_request_sent(
    rsps: responses.RequestsMock, sleeps: Sleeps
) -> None:
    rsps.get(api(CLOUD, "serverInfo"), json={"deploymentType": "Cloud", "versionNumbers": [1001]})
    rsps.post(api(CLOUD, "search/jql"), status=429, headers={"Retry-After": "1"})
    rsps.add_callback(responses.POST, api(CLOUD, "search/jql"), callback=cloud_search_answer)
    rsps.put(api(CLOUD, "issue/CLOUD-1"), status=204)
    rsps.post(api(CLOUD, "issue/bulk"), body=requests.ConnectionError("reset"))
    connector = JiraConnector(CLOUD, EMAIL, TOKEN, sleep=sleeps)

    connector.fetch_by_ids(["ps-a"])  # serverInfo, 429, answer
    connector.update_many([FieldUpdate("CLOUD-1", {"summary": "s"})])
    with pytest.raises(ConnectorError):
        connector.create_many([new("ps-b")])  # sent, no answer

    assert connector.request_count() == 5 == len(rsps.calls)


def test_a_400_about_the_whole_bulk_request_fails_each_record(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    rsps.post(
        api(CLOUD, "issue/bulk"),
        status=400,
        json={"errorMessages": ["Too many issues in the request."], "errors": {}},
    )
    results = cloud.create_many([new("ps-a"), new("ps-b")])
    assert [(r.ok, r.error) for r in results] == [(False, "Too many issues in the request.")] * 2


@pytest.mark.parametrize("operation", ["create", "update", "link"])
def test_a_login_page_after_a_redirect_fails_the_call_not_one_record(
    rsps: responses.RequestsMock, cloud: JiraConnector, operation: str
) -> None:
    """An SSO proxy whose session ran out redirects a write to its login page (200, HTML): no
    issue was created, updated or linked, and saying 'HTTP 200 OK' per record, or success,
    would be wrong."""
    login = "https://sso.acme.example/login"
    rsps.get(login, body="<html><body>Sign in</body></html>", content_type="text/html")
    calls = {
        "create": ("POST", "issue/bulk", lambda: cloud.create_many([new("ps-a")])),
        "update": ("PUT", "issue/CLOUD-1", lambda: cloud.update_many([upd("CLOUD-1")])),
        "link": ("POST", "issue/CLOUD-1/remotelink", lambda: cloud.upsert_links([lnk()])),
    }
    method, path, call = calls[operation]
    rsps.add(method, api(CLOUD, path), status=302, headers={"Location": login})
    with pytest.raises(ConnectorError, match=r"is not JSON \(a login page or proxy in the way\?\)"):
        call()


@pytest.mark.parametrize(
    ("answer", "kind", "status"),
    [
        ({"status": 401}, "auth", 401),
        (
            {"status": 403, "headers": {"X-Authentication-Denied-Reason": "CAPTCHA_CHALLENGE"}},
            "auth",
            403,
        ),
        ({"status": 403, "json": {"errorMessages": ["no permission"]}}, "refused", 403),
        ({"status": 404}, "refused", 404),
        ({"status": 429, "headers": {"Retry-After": "600"}}, "throttled", 429),
        ({"status": 502}, "server", 502),
        ({"body": "<html>Sign in</html>", "content_type": "text/html"}, "unexpected", 200),
        ({"body": requests.ConnectionError("reset")}, "network", None),
    ],
    ids=["401", "403-captcha", "403", "404", "429-long", "502", "login-page", "dropped"],
)
def test_a_whole_call_failure_says_its_kind_so_no_caller_reads_the_message(
    rsps: responses.RequestsMock,
    cloud: JiraConnector,
    answer: dict[str, Any],
    kind: str,
    status: int | None,
) -> None:
    """``status`` alone cannot tell them apart: a login page answers 200, a dropped connection
    answers nothing, and so does a setting Jira cannot work with."""
    rsps.post(api(CLOUD, "issue/bulk"), **answer)
    with pytest.raises(ConnectorError) as raised:
        cloud.create_many([new("ps-a")])
    assert (raised.value.kind, raised.value.status) == (kind, status)


def upd(key: str) -> FieldUpdate:
    return FieldUpdate(key, {"summary": "s"})


def lnk() -> Link:
    return Link("CLOUD-1", "plansync:ps-a", "obsidian://open?vault=v", "note")


def test_a_bulk_answer_that_loses_an_issue_is_an_error(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    answer = {"issues": [{"id": "1", "key": "CLOUD-1", "self": "x"}], "errors": []}
    rsps.post(api(CLOUD, "issue/bulk"), status=201, json=answer)
    with pytest.raises(ConnectorError, match="look the ids up by label"):
        cloud.create_many([new("ps-a"), new("ps-b")])


@pytest.mark.parametrize("error_body", ["null", "42", "true"])
@pytest.mark.parametrize("status", [400, 500])
def test_an_error_answer_whose_json_is_no_object_fails_its_record(
    rsps: responses.RequestsMock, cloud: JiraConnector, error_body: str, status: int
) -> None:
    """The jira library reads an error body with ``"message" in body``, which raises TypeError
    for JSON that is no object (``null`` from a proxy or a broken plugin): it must fail the
    one update like any error answer, not crash the run before keys are written back."""
    rsps.put(
        api(CLOUD, "issue/CLOUD-1"), status=status, body=error_body, content_type="application/json"
    )
    [result] = cloud.update_many([upd("CLOUD-1")])
    assert not result.ok
    assert str(status) in (result.error or "")


# -- records read by key -------------------------------------------------------------------------


def bulk_answer(*issues: dict[str, Any], errors: list[dict[str, str]] | None = None) -> Any:
    """Cloud's answer to ``POST /issue/bulkfetch``, checked against the document's schema."""
    answer = {"issues": list(issues), "issueErrors": errors or []}
    return check(answer, "cloud", "BulkIssueResults")


def bulk_request(call: Any) -> Any:
    """The body of a bulk fetch, checked against the document's request schema."""
    return check(body(call), "cloud", "BulkFetchIssueRequestBean")


def test_cloud_reads_records_search_did_not_return_in_one_bulk_fetch(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """The plan's read of the records the state store knows and search did not show (search
    lags new issues), on Cloud one ``POST /issue/bulkfetch`` for up to 100: found where the
    issue still carries its id, absent where Jira left the key out (no such issue, or one the
    user cannot see: what a GET answers 404) or it no longer carries the id."""
    kept = check(issue("CLOUD-1", ["plansync", "ps-a"]), "cloud", "IssueBean")
    relabelled = check(issue("CLOUD-3", ["plansync"]), "cloud", "IssueBean")
    rsps.post(api(CLOUD, "issue/bulkfetch"), json=bulk_answer(kept, relabelled))

    found = cloud.fetch_by_keys({"CLOUD-1": "ps-a", "CLOUD-2": "ps-b", "CLOUD-3": "ps-c"})

    assert set(found) == {"ps-a"}
    record = found["ps-a"]
    assert record.key == "CLOUD-1" and record.plansync_id == "ps-a"
    assert record.fields["summary"] == "Summary of CLOUD-1"
    assert record.status_category == "new"
    (call,) = rsps.calls
    sent = bulk_request(call)
    assert sent["issueIdsOrKeys"] == ["CLOUD-1", "CLOUD-2", "CLOUD-3"]
    assert sent["fields"] == SEARCH_FIELDS  # what the search asks for, read the same way
    assert cloud.request_count() == 1


def test_a_bulk_fetch_reads_at_most_100_keys_a_request(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """250 keys: three requests of 100, 100 and 50, every issue found."""

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        keys = json.loads(request.body or "{}")["issueIdsOrKeys"]
        found = [issue(key, [f"ps-{key.split('-')[1]}"]) for key in keys]
        return 200, {}, json.dumps(bulk_answer(*found))

    rsps.add_callback(responses.POST, api(CLOUD, "issue/bulkfetch"), callback=answer)
    keys = {f"CLOUD-{n}": f"ps-{n}" for n in range(1, 251)}

    found = cloud.fetch_by_keys(keys)

    assert set(found) == set(keys.values())
    assert all(found[f"ps-{n}"].key == f"CLOUD-{n}" for n in range(1, 251))
    sizes = [len(bulk_request(call)["issueIdsOrKeys"]) for call in rsps.calls]
    assert sizes == [100, 100, 50]


def test_an_issue_moved_since_is_found_under_its_new_key(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """Jira answers a key of an issue moved to another project with the issue under its new
    key, as a GET of the old key does: it is the record of the key whose id it carries."""
    moved = issue("OTHER-7", ["ps-a"], project={"key": "OTHER", "id": "10001", "name": "Other"})
    rsps.post(api(CLOUD, "issue/bulkfetch"), json=bulk_answer(issue("CLOUD-2", ["ps-b"]), moved))

    found = cloud.fetch_by_keys({"CLOUD-1": "ps-a", "CLOUD-2": "ps-b"})

    assert {pid: record.key for pid, record in found.items()} == {
        "ps-a": "OTHER-7",
        "ps-b": "CLOUD-2",
    }


def test_issues_a_bulk_fetch_could_not_read_are_read_one_get_each(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    """``issueErrors`` lists issues Jira could not read for a passing reason, by numeric id:
    such an issue is no deleted one, so every key not answered is read by a GET, which says
    whether it is there (CLOUD-2) or not (CLOUD-3, a 404)."""
    errors = [{"id": "10002", "errorMessage": "Temporary failure fetching issue"}]
    rsps.post(
        api(CLOUD, "issue/bulkfetch"),
        json=bulk_answer(issue("CLOUD-1", ["ps-a"]), errors=errors),
    )
    rsps.get(
        api(CLOUD, "issue/CLOUD-2"), json=check(issue("CLOUD-2", ["ps-b"]), "cloud", "IssueBean")
    )
    rsps.get(
        api(CLOUD, "issue/CLOUD-3"), status=404, json={"errorMessages": ["Issue does not exist"]}
    )

    found = cloud.fetch_by_keys({"CLOUD-1": "ps-a", "CLOUD-2": "ps-b", "CLOUD-3": "ps-c"})

    assert {pid: record.key for pid, record in found.items()} == {
        "ps-a": "CLOUD-1",
        "ps-b": "CLOUD-2",
    }
    assert [(c.request.method, urlsplit(c.request.url).path) for c in rsps.calls] == [
        ("POST", "/rest/api/2/issue/bulkfetch"),
        ("GET", "/rest/api/2/issue/CLOUD-2"),
        ("GET", "/rest/api/2/issue/CLOUD-3"),
    ]


def test_data_center_reads_records_search_did_not_return_one_get_each(
    rsps: responses.RequestsMock, dc: JiraConnector
) -> None:
    """Data Center has no bulk fetch: one GET an issue, a 404 an issue that is not there."""
    kept = issue("DC-1", ["plansync", "ps-a"], cloud=False)
    relabelled = issue("DC-3", ["plansync"], cloud=False)
    rsps.get(api(DC, "issue/DC-1"), json=kept)
    rsps.get(api(DC, "issue/DC-2"), status=404, json={"errorMessages": ["Issue does not exist"]})
    rsps.get(api(DC, "issue/DC-3"), json=relabelled)

    found = dc.fetch_by_keys({"DC-1": "ps-a", "DC-2": "ps-b", "DC-3": "ps-c"})

    assert set(found) == {"ps-a"}
    assert found["ps-a"].key == "DC-1" and found["ps-a"].plansync_id == "ps-a"
    assert [call.request.method for call in rsps.calls] == ["GET"] * 3
    fields = parse_qs(urlsplit(rsps.calls[0].request.url).query)["fields"][0]
    assert fields.split(",") == SEARCH_FIELDS
    assert dc.request_count() == 3


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_a_read_by_key_jira_refuses_fails_the_call(
    rsps: responses.RequestsMock, cloud: JiraConnector, dc: JiraConnector, flavour: str
) -> None:
    """A 401 is no missing issue: the plan fails, as it does when its search is refused,
    rather than call the record deleted."""
    refused = {"errorMessages": ["Unauthorized"]}
    if flavour == "cloud":
        connector = cloud
        rsps.post(api(CLOUD, "issue/bulkfetch"), status=401, json=refused)
    else:
        connector = dc
        rsps.get(api(DC, "issue/DC-1"), status=401, json=refused)
    key = "DC-1" if flavour == "dc" else "CLOUD-1"
    with pytest.raises(ConnectorError) as failed:
        connector.fetch_by_keys({key: "ps-a"})
    assert failed.value.kind == "auth" and key in str(failed.value)


def test_nothing_to_read_by_key_sends_nothing(
    rsps: responses.RequestsMock, cloud: JiraConnector
) -> None:
    assert cloud.fetch_by_keys({}) == {}
    assert not rsps.calls
