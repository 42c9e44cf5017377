"""The sandbox's responses checked against Atlassian's own OpenAPI documents.

The documents live outside the repository (``../shared/contracts``) and are read, never copied.
Each response is validated with ``jsonschema`` against the schema the document declares for
that path, method and status, with ``$ref``s resolved inside the document, so a renamed or
mistyped key, or an extra key where Atlassian forbids extras (``additionalProperties: false``),
fails the test.

What is relaxed, and why:

- The Cloud document describes v3 only. The sandbox's v3 endpoints are validated against it;
  its v2 endpoints too, because Atlassian documents v2 as the same shapes with wiki-markup
  strings instead of ADF, and the one place that differs (``description`` inside
  ``IssueBean.fields``) is a free-form map in the schema. The representation itself is checked
  explicitly (a string in v2, an ADF document in v3).
- ``IssueBean.fields`` is free-form, so each system field the sandbox returns is validated
  against the schema Jira documents for it (``UserDetails``, ``StatusDetails``...).
- OpenAPI 3.0's ``nullable: true`` is translated to a ``null`` type; ``format`` is not checked
  (Jira's own timestamps, ``2025-10-27T12:34:56.789+0000``, are not RFC 3339).
- Where a document declares a single object for an endpoint that returns an array (the Cloud
  remote-link list, most Data Center list endpoints), each element is validated.
- The Data Center document declares no body for most errors; they are validated against its
  ``ErrorCollection`` schema.
- The Data Center document types every value of ``IssueBean.fields`` as an object, which its
  own example contradicts (``"description": "example bug report"``, ``"updated": 1``): a
  generator artefact of ``Map<String, Object>``. That one constraint is removed (see
  ``DC_FIELDS_ARE_FREE_FORM``) and the field values are validated against the document's
  ``*JsonBean`` schemas instead.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
import requests
from conftest import CONTRACTS
from jsonschema import Draft4Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4

from plansync.sandbox.jira_app import JiraSandbox
from plansync.sandbox.server import RunningServer, serve_in_thread

CLOUD = "jira-cloud-platform-v3.openapi.json"
DC = "jira-software-dc-10.3.openapi.json"
AUTH = ("jason", "token")


# ---- validation machinery ------------------------------------------------------------------


def _allow_nulls(node: Any) -> None:
    """OpenAPI 3.0 ``nullable: true`` is JSON Schema's ``type: [T, "null"]``."""
    if isinstance(node, dict):
        if node.get("nullable") is True and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        for value in node.values():
            _allow_nulls(value)
    elif isinstance(node, list):
        for value in node:
            _allow_nulls(value)


#: (schema, property) pairs of the Data Center document whose values are really free-form.
DC_FIELDS_ARE_FREE_FORM = [("IssueBean", "fields"), ("IssueBean", "renderedFields")]


@cache
def _registry(document: str) -> Registry:
    doc = json.loads((CONTRACTS / document).read_text())
    _allow_nulls(doc)
    if document == DC:
        for schema, prop in DC_FIELDS_ARE_FREE_FORM:
            doc["components"]["schemas"][schema]["properties"][prop]["additionalProperties"] = {}
    return Registry().with_resource(f"urn:{document}", DRAFT4.create_resource(doc))


@cache
def _document(document: str) -> dict[str, Any]:
    return _registry(document).contents(f"urn:{document}")


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def problems(document: str, ref: str, instance: Any) -> list[str]:
    """What is wrong with ``instance`` under the schema at JSON pointer ``ref`` in a document."""
    validator = Draft4Validator({"$ref": f"urn:{document}#{ref}"}, registry=_registry(document))
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


def component(name: str) -> str:
    return "/" + _pointer("components", "schemas", name)


def declared(document: str, path: str, method: str, status: int) -> str:
    """The pointer of the response schema the document declares for an operation."""
    response = _document(document)["paths"][path][method]["responses"][str(status)]
    assert "schema" in response["content"]["application/json"], (path, method, status)
    return "/" + _pointer(
        "paths", path, method, "responses", str(status), "content", "application/json", "schema"
    )


def assert_valid(document: str, ref: str, instance: Any) -> None:
    found = problems(document, ref, instance)
    assert not found, "\n".join(found)


def assert_each_valid(document: str, ref: str, instances: list[Any]) -> None:
    assert instances, "nothing to validate"
    for instance in instances:
        assert_valid(document, ref, instance)


# ---- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def cloud() -> Iterator[RunningServer]:
    with serve_in_thread(JiraSandbox(mode="cloud")) as server:
        yield server


@pytest.fixture
def dc() -> Iterator[RunningServer]:
    with serve_in_thread(JiraSandbox(mode="dc")) as server:
        yield server


def call(
    server: RunningServer, method: str, path: str, status: int, **kwargs: Any
) -> requests.Response:
    kwargs.setdefault("auth", AUTH)
    response = requests.request(method, server.url + path, timeout=10, **kwargs)
    assert response.status_code == status, response.text
    return response


def seed(server: RunningServer, api: str, mode: str) -> str:
    """One issue with every field set, a transition done and a remote link; returns its key."""
    assignee = {"accountId": "5b10ac8d82e05b22cc7d4ef5"} if mode == "cloud" else {"name": "tomer"}
    description: Any = "Plain *wiki* text"
    if api == "3":
        description = {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Plain text"}]}],
        }
    fields = {
        "project": {"key": "PLAN"},
        "issuetype": {"name": "Story"},
        "summary": "Contract",
        "description": description,
        "priority": {"name": "Low"},
        "duedate": "2025-10-27",
        "labels": ["ps-1"],
        "components": [{"name": "Backend"}],
        "assignee": assignee,
    }
    key = call(server, "POST", f"/rest/api/{api}/issue", 201, json={"fields": fields}).json()["key"]
    call(
        server,
        "POST",
        f"/rest/api/{api}/issue/{key}/transitions",
        204,
        json={"transition": {"id": "31"}},
    )
    link = {"globalId": "g-1", "object": {"url": "obsidian://x", "title": "x.md"}}
    call(server, "POST", f"/rest/api/{api}/issue/{key}/remotelink", 201, json=link)
    return key


# ---- Cloud --------------------------------------------------------------------------------

CLOUD_FIELD_SCHEMAS = {
    "issuetype": "IssueTypeDetails",
    "project": "ProjectDetails",
    "priority": "Priority",
    "components": "ProjectComponent",
    "assignee": "UserDetails",
    "reporter": "UserDetails",
    "status": "StatusDetails",
    "resolution": "Resolution",
}


DC_FIELD_SCHEMAS = {
    "issuetype": "IssueTypeJsonBean",
    "project": "ProjectBean",
    "priority": "PriorityJsonBean",
    "components": "ComponentBean",
    "assignee": "UserJsonBean",
    "reporter": "UserJsonBean",
    "status": "StatusJsonBean",
    "resolution": "ResolutionJsonBean",
}


def assert_fields_valid(document: str, schemas: dict[str, str], issue: dict[str, Any]) -> None:
    """``IssueBean.fields`` is a free-form map: check each system field on its own schema."""
    for name, schema in schemas.items():
        value = issue["fields"][name]
        assert value, name  # seed() sets every field, so nothing is skipped as null
        for item in value if isinstance(value, list) else [value]:
            assert_valid(document, component(schema), item)


def assert_cloud_issue(issue: dict[str, Any], api: str) -> None:
    assert_valid(CLOUD, component("IssueBean"), issue)
    assert_fields_valid(CLOUD, CLOUD_FIELD_SCHEMAS, issue)
    description = issue["fields"]["description"]
    if api == "3":
        assert description["type"] == "doc" and description["version"] == 1
    else:
        assert isinstance(description, str)


@pytest.mark.parametrize("api", ["2", "3"])
def test_cloud_metadata(cloud: RunningServer, api: str) -> None:
    base = f"/rest/api/{api}"
    doc_base = "/rest/api/3"
    for path, doc_path in [
        ("/serverInfo", "/serverInfo"),
        ("/myself", "/myself"),
        ("/project/PLAN", "/project/{projectIdOrKey}"),
        ("/project/PLAN/statuses", "/project/{projectIdOrKey}/statuses"),
    ]:
        body = call(cloud, "GET", base + path, 200).json()
        assert_valid(CLOUD, declared(CLOUD, doc_base + doc_path, "get", 200), body)
    for path in ["/project", "/issuetype", "/priority", "/field"]:
        body = call(cloud, "GET", base + path, 200).json()
        assert_valid(CLOUD, declared(CLOUD, doc_base + path, "get", 200), body)
    users = call(cloud, "GET", base + "/user/search", 200, params={"query": "t"}).json()
    assert users
    assert_valid(CLOUD, declared(CLOUD, doc_base + "/user/search", "get", 200), users)


@pytest.mark.parametrize("api", ["2", "3"])
def test_cloud_issue_lifecycle(cloud: RunningServer, api: str) -> None:
    base, doc = f"/rest/api/{api}", "/rest/api/3"
    key = seed(cloud, api, "cloud")

    issue = call(cloud, "GET", f"{base}/issue/{key}", 200).json()
    assert_valid(CLOUD, declared(CLOUD, doc + "/issue/{issueIdOrKey}", "get", 200), issue)
    assert_cloud_issue(issue, api)

    created = call(
        cloud,
        "POST",
        f"{base}/issue",
        201,
        json={"fields": {"project": {"id": "10000"}, "issuetype": {"id": "10001"}, "summary": "s"}},
    ).json()
    assert_valid(CLOUD, declared(CLOUD, doc + "/issue", "post", 201), created)
    invalid = call(cloud, "POST", f"{base}/issue", 400, json={"fields": {"summary": ""}}).json()
    assert_valid(CLOUD, declared(CLOUD, doc + "/issue", "post", 400), invalid)

    good = {"fields": {"project": {"key": "PLAN"}, "issuetype": {"name": "Bug"}, "summary": "b"}}
    bad = {"fields": {"project": {"key": "PLAN"}, "issuetype": {"name": "Bug"}}}
    partial = call(cloud, "POST", f"{base}/issue/bulk", 201, json={"issueUpdates": [good, bad]})
    assert_valid(CLOUD, declared(CLOUD, doc + "/issue/bulk", "post", 201), partial.json())
    failed = call(cloud, "POST", f"{base}/issue/bulk", 400, json={"issueUpdates": [bad]})
    assert_valid(CLOUD, declared(CLOUD, doc + "/issue/bulk", "post", 400), failed.json())
    assert failed.json()["errors"][0]["failedElementNumber"] == 0

    transitions = call(cloud, "GET", f"{base}/issue/{key}/transitions", 200).json()
    assert_valid(
        CLOUD, declared(CLOUD, doc + "/issue/{issueIdOrKey}/transitions", "get", 200), transitions
    )

    link_path = doc + "/issue/{issueIdOrKey}/remotelink"
    links = call(cloud, "GET", f"{base}/issue/{key}/remotelink", 200).json()
    assert_each_valid(CLOUD, declared(CLOUD, link_path, "get", 200), links)
    link = {"globalId": "g-1", "object": {"url": "obsidian://y", "title": "y.md"}}
    updated = call(cloud, "POST", f"{base}/issue/{key}/remotelink", 200, json=link).json()
    assert_valid(CLOUD, declared(CLOUD, link_path, "post", 200), updated)
    fresh = {"globalId": "g-2", "object": {"url": "obsidian://z", "title": "z.md"}}
    added = call(cloud, "POST", f"{base}/issue/{key}/remotelink", 201, json=fresh).json()
    assert_valid(CLOUD, declared(CLOUD, link_path, "post", 201), added)


@pytest.mark.parametrize("api", ["2", "3"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_cloud_search_jql(cloud: RunningServer, api: str, method: str) -> None:
    seed(cloud, api, "cloud")
    seed(cloud, api, "cloud")
    query = {"jql": "project = PLAN ORDER BY key", "maxResults": 1, "fields": ["*all"]}
    path = f"/rest/api/{api}/search/jql"
    if method == "get":
        page = call(cloud, "GET", path, 200, params=query).json()
    else:
        page = call(cloud, "POST", path, 200, json=query).json()
    schema = declared(CLOUD, "/rest/api/3/search/jql", method, 200)
    assert_valid(CLOUD, schema, page)
    assert page["nextPageToken"] and page["isLast"] is False
    assert_cloud_issue(page["issues"][0], api)
    last = call(cloud, "GET", path, 200, params={**query, "nextPageToken": page["nextPageToken"]})
    assert_valid(CLOUD, schema, last.json())
    ids_only = call(cloud, "GET", path, 200, params={"jql": "labels = ps-1"}).json()
    assert_valid(CLOUD, schema, ids_only)


@pytest.mark.parametrize("api", ["2", "3"])
def test_cloud_bulk_fetch(cloud: RunningServer, api: str) -> None:
    """``POST /issue/bulkfetch``: the issues asked for by key or id, in id order, each once;
    one Jira does not have left out (not an ``issueErrors`` entry, which is for passing
    failures); more than 100 refused."""
    first, second = seed(cloud, api, "cloud"), seed(cloud, api, "cloud")
    second_id = call(cloud, "GET", f"/rest/api/{api}/issue/{second}", 200).json()["id"]
    path, doc = f"/rest/api/{api}/issue/bulkfetch", "/rest/api/3/issue/bulkfetch"
    asked = {
        "issueIdsOrKeys": [second, "PLAN-404", first, second_id],
        "fields": ["*all"],
        "fieldsByKeys": False,
    }
    request_schema = "/" + _pointer(
        "paths", doc, "post", "requestBody", "content", "application/json", "schema"
    )
    assert_valid(CLOUD, request_schema, asked)
    answer = call(cloud, "POST", path, 200, json=asked).json()
    assert_valid(CLOUD, declared(CLOUD, doc, "post", 200), answer)
    assert [issue["key"] for issue in answer["issues"]] == [first, second]
    assert answer["issueErrors"] == []
    for issue in answer["issues"]:
        assert_cloud_issue(issue, api)

    some = call(cloud, "POST", path, 200, json={"issueIdsOrKeys": [first], "fields": ["labels"]})
    assert [set(issue["fields"]) for issue in some.json()["issues"]] == [{"labels"}]
    for refused in [
        {"issueIdsOrKeys": [f"PLAN-{n}" for n in range(1, 102)]},
        {"issueIdsOrKeys": [first], "jql": "labels = ps-1"},
        {"fields": ["labels"]},
    ]:
        error = call(cloud, "POST", path, 400, json=refused).json()
        assert_valid(CLOUD, component("ErrorCollection"), error)
        assert error["errorMessages"]


def test_cloud_errors(cloud: RunningServer) -> None:
    errors = component("ErrorCollection")
    for method, path, status, auth in [
        ("GET", "/rest/api/2/myself", 401, None),
        ("GET", "/rest/api/3/issue/PLAN-404", 404, AUTH),
        ("GET", "/rest/api/3/project/NOPE/statuses", 404, AUTH),
        ("GET", "/rest/api/3/nothing", 404, AUTH),
        ("GET", "/rest/api/3/search", 410, AUTH),
        ("GET", "/rest/api/3/search/jql?jql=status%3DDone", 400, AUTH),
        ("POST", "/rest/api/3/issue/PLAN-404/transitions", 404, AUTH),
    ]:
        body = call(cloud, method, path, status, auth=auth).json()
        assert_valid(CLOUD, errors, body)
        assert body["errorMessages"]

    requests.post(cloud.url + "/_sandbox/faults", json={"fail_next": [{"status": 429}]}, timeout=5)
    limited = call(cloud, "GET", "/rest/api/3/myself", 429)
    assert_valid(CLOUD, errors, limited.json())
    assert limited.headers["Retry-After"] == "1"


def test_the_validator_catches_broken_shapes(cloud: RunningServer) -> None:
    """Guard against a vacuous contract test: break real responses, expect failures."""
    info = call(cloud, "GET", "/rest/api/3/serverInfo", 200).json()
    schema = declared(CLOUD, "/rest/api/3/serverInfo", "get", 200)
    assert problems(CLOUD, schema, {**info, "defaultLocale": {"locale": "en"}})
    assert problems(CLOUD, schema, {**info, "versionNumbers": "1001.0.0"})

    key = seed(cloud, "2", "cloud")
    issue = call(cloud, "GET", f"/rest/api/2/issue/{key}", 200).json()
    broken = copy.deepcopy(issue)
    broken["fields"]["assignee"]["locale"] = "en_US"  # not in UserDetails
    with pytest.raises(AssertionError):
        assert_cloud_issue(broken, "2")

    bulk = {"issues": [], "errors": [{"failedElementNumber": "0", "elementErrors": {}}]}
    assert problems(CLOUD, declared(CLOUD, "/rest/api/3/issue/bulk", "post", 201), bulk)
    dc_search = declared(DC, "/api/2/search", "get", 200)
    assert problems(DC, dc_search, {"startAt": 0, "total": "1", "issues": []})
    dc_status = {"name": "Done", "statusCategory": {"id": "3", "key": "done"}}
    assert problems(DC, component("StatusJsonBean"), dc_status)


# ---- Data Center ----------------------------------------------------------------------------


def test_dc_responses(dc: RunningServer) -> None:
    key = seed(dc, "2", "dc")
    base = "/rest/api/2"

    def dc_valid(path: str, doc_path: str, status: int = 200, **kwargs: Any) -> Any:
        body = call(dc, "GET", base + path, status, **kwargs).json()
        ref = declared(DC, "/api/2" + doc_path, "get", status)
        if isinstance(body, list):  # the DC document declares the element, not the array
            assert_each_valid(DC, ref, body)
        else:
            assert_valid(DC, ref, body)
        return body

    assert dc_valid("/serverInfo", "/serverInfo")["deploymentType"] == "Server"
    dc_valid("/myself", "/myself")
    dc_valid("/project/PLAN", "/project/{projectIdOrKey}")
    by_type = dc_valid("/project/PLAN/statuses", "/project/{projectIdOrKey}/statuses")
    assert_each_valid(DC, component("StatusJsonBean"), by_type[0]["statuses"])
    dc_valid("/project", "/project")
    dc_valid("/issuetype", "/issuetype")
    dc_valid("/priority", "/priority")
    dc_valid("/field", "/field")
    dc_valid("/user/search", "/user/search", params={"username": "t"})
    issue = dc_valid(f"/issue/{key}", "/issue/{issueIdOrKey}")
    assert isinstance(issue["fields"]["description"], str)
    assert_fields_valid(DC, DC_FIELD_SCHEMAS, issue)
    transitions = dc_valid(f"/issue/{key}/transitions", "/issue/{issueIdOrKey}/transitions")
    assert_each_valid(DC, component("TransitionBean"), transitions["transitions"])
    dc_valid(f"/issue/{key}/remotelink", "/issue/{issueIdOrKey}/remotelink")
    page = dc_valid("/search", "/search", params={"jql": "project = PLAN", "maxResults": 1})
    assert (page["startAt"], page["maxResults"], page["total"]) == (0, 1, 1)

    created = call(
        dc,
        "POST",
        base + "/issue",
        201,
        json={
            "fields": {"project": {"key": "PLAN"}, "issuetype": {"name": "Task"}, "summary": "s"}
        },
    ).json()
    assert_valid(DC, declared(DC, "/api/2/issue", "post", 201), created)
    good = {"fields": {"project": {"key": "PLAN"}, "issuetype": {"name": "Bug"}, "summary": "b"}}
    bad = {"fields": {"project": {"key": "PLAN"}, "issuetype": {"name": "Bug"}}}
    partial = call(dc, "POST", base + "/issue/bulk", 201, json={"issueUpdates": [good, bad]})
    bulk_schema = declared(DC, "/api/2/issue/bulk", "post", 201)
    assert_valid(DC, bulk_schema, partial.json())
    failed = call(dc, "POST", base + "/issue/bulk", 400, json={"issueUpdates": [bad]}).json()
    assert_valid(DC, bulk_schema, failed)  # the 400 is declared without a body schema
    assert_each_valid(DC, component("BulkOperationErrorResult"), failed["errors"])

    for method, path, status, auth in [
        ("GET", "/myself", 401, None),
        ("GET", "/issue/PLAN-404", 404, AUTH),
        ("GET", "/project/NOPE/statuses", 404, AUTH),
        ("GET", "/search?jql=status%3DDone", 400, AUTH),
        ("POST", "/issue", 400, AUTH),
        ("POST", "/issue/bulkfetch", 404, AUTH),  # Cloud's alone
    ]:
        body = call(dc, method, base + path, status, auth=auth, json={"fields": {}}).json()
        assert_valid(DC, component("ErrorCollection"), body)
        assert body["errorMessages"] or body["errors"]
