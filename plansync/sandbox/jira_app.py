"""A local Jira: the REST endpoints plansync's connector uses, as a stdlib WSGI app over SQLite.

The real ``jira`` client runs unchanged against it (see ``server.serve_in_thread``), so what the
connector does here is what it would do against Jira Cloud (``mode="cloud"``) or Jira Data
Center (``mode="dc"``). Shapes follow Atlassian's OpenAPI documents in ``../shared/contracts``
(the contract tests validate them); where the two deployments differ, the mode decides:

- Cloud: ``/rest/api/2`` and ``/rest/api/3`` (v3 speaks Atlassian Document Format for
  ``description``); search is ``/search/jql`` with ``nextPageToken`` and the old ``/search``
  answers 410; ``POST /issue/bulkfetch`` reads up to 100 issues by id or key; users carry
  ``accountId``.
- Data Center: ``/rest/api/2`` only; search is ``/search`` with ``startAt``/``total``; no
  bulk fetch (404); users carry ``name``.

Every issue follows one workflow, chosen at construction (:data:`Workflow`): by default any
status to any other, ``strict``, where Jira lists only the transitions out of the status an
issue is in and a move may take more than one, or ``simple``, Jira's simplified workflow with
no cancelled status. ``GET /project/{key}/statuses`` lists the workflow's statuses per issue
type, as Jira does.

Faults (latency, one-shot 429/5xx/dropped connections, seeded random 429/500 rates, search
lag) are set at construction or at run time; see :class:`FaultPlan` for the format, plus
``search_lag_ms`` (new issues stay invisible to search that long). Control
endpoints (no auth, never faulted, not counted):

- ``GET|POST /_sandbox/faults``: read / change the fault plan (400 names a bad setting);
- ``GET /_sandbox/stats``: ``{"total": N, "by_route": {"POST /rest/api/2/issue/bulk": 1}}``,
  every /rest request counted (faulted and unknown ones too), which is how tests measure
  what a sync costs; ``POST /_sandbox/reset-stats`` zeroes it;
- ``GET /_sandbox/issues``: every issue (v2 shape, all fields) with its ``remotelinks``.

A dropped connection is :class:`~plansync.sandbox.server.DropConnection`, raised out of the
app; ``server.py`` turns it into a closed socket (another WSGI server would answer 500).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from plansync.field_text import java_length
from plansync.sandbox import DEFAULT_PROJECT, PROJECT_KEY, WORKFLOWS, Workflow
from plansync.sandbox.common import (
    MOST_VALUES_PICKED,
    Response,
    SandboxApp,
    SqliteStore,
    control_routes,
    find_route,
    now_stamp,
)
from plansync.sandbox.common import Request as BaseRequest
from plansync.sandbox.common import Route as BaseRoute
from plansync.sandbox.faults import Fault, FaultPlan
from plansync.sandbox.jira_errors import ApiError
from plansync.sandbox.jql import ISSUE_KEY, Jql, parse_jql
from plansync.sandbox.people import USERS, SandboxUser
from plansync.sandbox.server import DropConnection

Mode = Literal["cloud", "dc"]

# --------------------------------------------------------------------------------------------
# Seed data: the projects, issue types, priorities, statuses and users plansync maps onto.
# --------------------------------------------------------------------------------------------

PROJECT_ID = "10000"
"""The id of the first project a sandbox seeds (its ``project_key``), in a new database."""
PROJECT_NAME = "Plansync Sandbox"
MAX_BULK = 50
SUMMARY_MAX = 255
LABEL_MAX = 255

ISSUE_TYPES = [  # id, name, description, hierarchyLevel
    ("10000", "Epic", "A big user story that needs to be broken down.", 1),
    ("10001", "Task", "A small, distinct piece of work.", 0),
    ("10002", "Story", "A user-facing feature, expressed as a user goal.", 0),
    ("10003", "Bug", "A problem or error.", 0),
]
PRIORITIES = [  # id, name, colour
    ("1", "Highest", "#d04437"),
    ("2", "High", "#f15C75"),
    ("3", "Medium", "#f79232"),
    ("4", "Low", "#707070"),
    ("5", "Lowest", "#999999"),
]
DEFAULT_PRIORITY = "3"
COMPONENTS = [("10000", "Backend"), ("10001", "Frontend"), ("10002", "Docs")]

STATUS_CATEGORIES = {  # key -> id, name, colour
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}
STATUSES = {  # id -> name, category key, resolution id set on entering it
    "10000": ("To Do", "new", None),
    "3": ("In Progress", "indeterminate", None),
    "10001": ("Done", "done", "10000"),
    "10002": ("Won't Do", "done", "10001"),
}
INITIAL_STATUS = "10000"
TRANSITIONS = [  # id, name, target status: global transitions, any status to any other
    ("11", "To Do", "10000"),
    ("21", "In Progress", "3"),
    ("31", "Done", "10001"),
    ("41", "Won't Do", "10002"),
]
STRICT_TRANSITIONS = [  # id, name, target status, the statuses it is taken from
    ("11", "Start", "3", ("10000",)),
    ("21", "Done", "10001", ("3",)),
    ("31", "Won't Do", "10002", ("10000", "3")),
    ("41", "Reopen", "10000", ("10001", "10002")),
]
SIMPLE_STATUSES = ("10000", "3", "10001")
"""The statuses of Jira's simplified workflow (a team-managed project's, and a company-managed
one's "Simplified Workflow"): To Do, In Progress and Done, each reached from any other."""
# The sandbox's workflow (plansync.sandbox.Workflow). ``all``: TRANSITIONS, each global (Jira
# Cloud's default, any status to any other). ``strict``: STRICT_TRANSITIONS, each from the
# statuses it names, as a company-managed workflow draws them: an issue starts (To Do to In
# Progress) before it is done, is declined (Won't Do) from either, and a closed one only
# reopens into To Do; none leads from In Progress back to To Do. What a move that needs more
# than one transition, or has none, meets in many real workflows. ``simple``: the global
# TRANSITIONS into SIMPLE_STATUSES alone, so no status means cancelled.
RESOLUTIONS = {"10000": "Done", "10001": "Won't Do"}


DEFAULT_USER = USERS[0]

# Fields the sandbox knows: id -> (name, schema type, clause names, settable on create/edit).
FIELDS: dict[str, tuple[str, str, list[str], bool]] = {
    "summary": ("Summary", "string", ["summary"], True),
    "description": ("Description", "string", ["description"], True),
    "issuetype": ("Issue Type", "issuetype", ["issuetype", "type"], True),
    "project": ("Project", "project", ["project"], True),
    "priority": ("Priority", "priority", ["priority"], True),
    "duedate": ("Due date", "date", ["due", "duedate"], True),
    "labels": ("Labels", "array", ["labels"], True),
    "components": ("Components", "array", ["component"], True),
    "assignee": ("Assignee", "user", ["assignee"], True),
    "reporter": ("Reporter", "user", ["reporter"], True),
    "status": ("Status", "status", ["status"], False),
    "resolution": ("Resolution", "resolution", ["resolution"], False),
    "resolutiondate": ("Resolved", "datetime", ["resolutiondate", "resolved"], False),
    "created": ("Created", "datetime", ["created", "createdDate"], False),
    "updated": ("Updated", "datetime", ["updated", "updatedDate"], False),
}
ISSUEKEY_FIELD = ("issuekey", "Key", ["id", "issue", "issuekey", "key"])

SEARCH_REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."
_BULK_FETCH_MOST = 100
"""The most issues one ``POST /issue/bulkfetch`` reads (Cloud's limit)."""
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."


# --------------------------------------------------------------------------------------------
# Requests, responses and errors.
# --------------------------------------------------------------------------------------------


@dataclass
class Request(BaseRequest):
    """A request, with the API version its route named (``/rest/api/{2|3}``)."""

    api_version: str = "2"

    def json(self) -> Any:
        if not self.body.strip():
            raise ApiError(400, ["No content to map to Object due to end of input"])
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, [f"Unexpected character in request body: {exc}"]) from None

    def json_object(self) -> dict[str, Any]:
        body = self.json()
        if not isinstance(body, dict):
            raise ApiError(400, ["Can not deserialize instance of object out of a JSON array"])
        return body

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/rest/api/{self.api_version}"


# --------------------------------------------------------------------------------------------
# State: SQLite, one connection behind a lock (the server is threaded).
# --------------------------------------------------------------------------------------------


@dataclass
class IssueRow:
    id: int
    key: str
    project_key: str
    num: int
    fields: dict[str, Any]
    created: str
    updated: str
    created_at: float


_SCHEMA = """
CREATE TABLE IF NOT EXISTS issue (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    project_key TEXT NOT NULL,
    num INTEGER NOT NULL,
    fields TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS remote_link (
    id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL REFERENCES issue(id),
    global_id TEXT,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS remote_link_issue ON remote_link(issue_id, global_id);
CREATE TABLE IF NOT EXISTS project (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE
);
"""
_FIRST_ID = 10000


class _Store(SqliteStore):
    """Issues and remote links. Every method is atomic; a bulk create is one transaction."""

    def __init__(self, db_path: str | Path, *, dry_run: bool = False):
        super().__init__(db_path, _SCHEMA, dry_run=dry_run)

    @staticmethod
    def _row(r: tuple[Any, ...]) -> IssueRow:
        return IssueRow(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7])

    _COLUMNS = "id, key, project_key, num, fields, created, updated, created_at"

    def issue(self, id_or_key: str) -> IssueRow | None:
        column = "id" if id_or_key.isdigit() else "key"
        value: Any = int(id_or_key) if column == "id" else id_or_key.upper()
        with self._lock:
            r = self._db.execute(
                f"SELECT {self._COLUMNS} FROM issue WHERE {column} = ?", (value,)
            ).fetchone()
        return self._row(r) if r else None

    def issues(self, labels: Collection[str] = ()) -> list[IssueRow]:
        """Every issue, or (given ``labels``) at least those that carry one of them.

        A search by label, each plan's look-up of its ids, picks its issues in SQLite rather
        than decoding all of them: 0.02 s instead of 0.4 s a search among 26,000 issues, which
        made a plan of a large vault on the sandbox take minutes. An SQLite without its JSON
        functions (older than 3.38, built without them) decodes them all, as before."""
        query = f"SELECT {self._COLUMNS} FROM issue"
        if labels and len(labels) <= MOST_VALUES_PICKED and self._json_functions:
            marks = ", ".join("?" * len(labels))
            query += (
                " WHERE EXISTS (SELECT 1 FROM json_each(issue.fields, '$.labels')"
                f" WHERE value IN ({marks}))"
            )
        else:
            labels = ()
        with self._lock:
            rows = self._db.execute(f"{query} ORDER BY id", tuple(labels)).fetchall()
        return [self._row(r) for r in rows]

    def keys(self) -> set[str]:
        with self._lock:
            return {key for (key,) in self._db.execute("SELECT key FROM issue")}

    def seed_projects(self, keys: Iterable[str]) -> dict[str, str]:
        """Every project by key, with its id, in id order: those stored, then those ``keys``
        names and those of stored issues (made under another ``project_key``) that are not,
        stored too (a dry run's only in its copy in memory).

        Ids are stored, not derived from the order of ``keys``, so that a project keeps its id
        from one run to the next whatever the projects named beside it.
        """
        with self._transaction():
            ids = dict(self._db.execute("SELECT key, id FROM project ORDER BY id").fetchall())
            issues = self._db.execute("SELECT DISTINCT project_key FROM issue ORDER BY 1")
            for key in [*keys, *(key for (key,) in issues.fetchall())]:
                if key in ids:
                    continue
                ids[key] = max(ids.values(), default=int(PROJECT_ID) - 1) + 1
                self._db.execute("INSERT INTO project (id, key) VALUES (?, ?)", (ids[key], key))
        return {key: str(project_id) for key, project_id in ids.items()}

    def create_issues(self, new: list[tuple[str, dict[str, Any]]]) -> list[IssueRow]:
        """Create issues, each ``(project key, fields)``, numbered per project, in one
        transaction."""
        created, created_at = now_stamp()
        rows = []
        with self._transaction():
            (next_id,) = self._db.execute(
                "SELECT COALESCE(MAX(id) + 1, ?) FROM issue", (_FIRST_ID,)
            ).fetchone()
            numbers: dict[str, int] = {}
            for offset, (project_key, fields) in enumerate(new):
                if project_key not in numbers:
                    (numbers[project_key],) = self._db.execute(
                        "SELECT COALESCE(MAX(num), 0) FROM issue WHERE project_key = ?",
                        (project_key,),
                    ).fetchone()
                numbers[project_key] += 1
                num = numbers[project_key]
                row = IssueRow(
                    next_id + offset,
                    f"{project_key}-{num}",
                    project_key,
                    num,
                    fields,
                    created,
                    created,
                    created_at,
                )
                self._db.execute(
                    f"INSERT INTO issue ({self._COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        row.id,
                        row.key,
                        row.project_key,
                        row.num,
                        json.dumps(fields),
                        row.created,
                        row.updated,
                        row.created_at,
                    ),
                )
                rows.append(row)
        return rows

    def modify(self, id_or_key: str, change: Callable[[dict[str, Any]], None]) -> bool:
        """Apply ``change`` to a copy of the issue's fields and save it, all under the lock.

        False when there is no such issue; an exception from ``change`` saves nothing.
        """
        with self._lock:
            row = self.issue(id_or_key)
            if row is None:
                return False
            fields = dict(row.fields)
            change(fields)
            self._db.execute(
                "UPDATE issue SET fields = ?, updated = ? WHERE id = ?",
                (json.dumps(fields), now_stamp()[0], row.id),
            )
        return True

    def links(self, issue_id: int) -> list[tuple[int, dict[str, Any]]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, body FROM remote_link WHERE issue_id = ? ORDER BY id", (issue_id,)
            ).fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def upsert_link(self, issue_id: int, body: dict[str, Any]) -> tuple[int, bool]:
        """Store a link; with a ``globalId`` already on the issue, replace it. (id, created?)"""
        global_id = body.get("globalId")
        with self._transaction():
            existing = None
            if global_id is not None:
                existing = self._db.execute(
                    "SELECT id FROM remote_link WHERE issue_id = ? AND global_id = ?",
                    (issue_id, global_id),
                ).fetchone()
            if existing:
                link_id = existing[0]
                self._db.execute(
                    "UPDATE remote_link SET body = ? WHERE id = ?", (json.dumps(body), link_id)
                )
            else:
                (link_id,) = self._db.execute(
                    "SELECT COALESCE(MAX(id) + 1, ?) FROM remote_link", (_FIRST_ID,)
                ).fetchone()
                self._db.execute(
                    "INSERT INTO remote_link (id, issue_id, global_id, body) VALUES (?, ?, ?, ?)",
                    (link_id, issue_id, global_id, json.dumps(body)),
                )
        return link_id, existing is None

    def replace_link(self, link_id: int, body: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE remote_link SET body = ?, global_id = ? WHERE id = ?",
                (json.dumps(body), body.get("globalId"), link_id),
            )

    def delete_links(self, issue_id: int, link_ids: list[int]) -> None:
        with self._lock:
            self._db.executemany(
                "DELETE FROM remote_link WHERE issue_id = ? AND id = ?",
                [(issue_id, link_id) for link_id in link_ids],
            )

    def delete_issue(self, issue_id: int) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM remote_link WHERE issue_id = ?", (issue_id,))
            self._db.execute("DELETE FROM issue WHERE id = ?", (issue_id,))


# --------------------------------------------------------------------------------------------
# Atlassian Document Format (v3 descriptions), kept to paragraphs and hard breaks.
# --------------------------------------------------------------------------------------------


def text_to_adf(text: str) -> dict[str, Any]:
    """Blank-line separated paragraphs; single newlines become hard breaks."""
    content = []
    for paragraph in text.split("\n\n"):
        nodes: list[dict[str, Any]] = []
        for i, line in enumerate(paragraph.split("\n")):
            if i:
                nodes.append({"type": "hardBreak"})
            if line:
                nodes.append({"type": "text", "text": line})
        content.append({"type": "paragraph", "content": nodes})
    return {"type": "doc", "version": 1, "content": content}


def adf_to_text(doc: Mapping[str, Any]) -> str:
    """The text of a document: blocks joined by blank lines (marks and structure dropped)."""

    def inline(node: Mapping[str, Any]) -> str:
        if node.get("type") == "text":
            return str(node.get("text", ""))
        if node.get("type") == "hardBreak":
            return "\n"
        return "".join(inline(child) for child in node.get("content", []))

    return "\n\n".join(inline(block) for block in doc.get("content", []))


def _is_adf(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content"), list)
    )


# --------------------------------------------------------------------------------------------
# Field selection (?fields=...).
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSelection:
    """Which issue fields to render: ``*all``, names, ``-name`` exclusions; or ids only."""

    include_all: bool
    names: frozenset[str]
    excluded: frozenset[str]
    id_only: bool = False

    @classmethod
    def parse(cls, tokens: list[str], default: Literal["all", "id"]) -> FieldSelection:
        if not tokens:
            return cls(default == "all", frozenset(), frozenset(), id_only=default == "id")
        if all(t == "id" for t in tokens):
            return cls(False, frozenset(), frozenset(), id_only=True)
        names = frozenset(t for t in tokens if not t.startswith(("-", "*")))
        excluded = frozenset(t[1:] for t in tokens if t.startswith("-"))
        include_all = any(t in ("*all", "*navigable") for t in tokens) or not names
        return cls(include_all, names, excluded)

    def wants(self, name: str) -> bool:
        return (self.include_all or name in self.names) and name not in self.excluded

    @property
    def keys_only(self) -> bool:
        """Only id/key asked for: Cloud's search then allows its biggest pages."""
        return self.id_only or (not self.include_all and self.names <= {"id", "key", "issuekey"})


# --------------------------------------------------------------------------------------------
# The app.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route(BaseRoute):
    """Templates are relative to ``/rest/api/{version}`` unless they start with ``/rest/``."""

    PREFIX: ClassVar[str] = r"/rest/api/(?P<api_version>2|3|latest)"
    ABSOLUTE: ClassVar[tuple[str, ...]] = ("/rest/", "/_sandbox")


ROUTES = [
    Route("GET", "/serverInfo", "server_info"),
    Route("GET", "/myself", "myself"),
    Route("GET", "/user", "get_user"),
    Route("GET", "/user/search", "user_search"),
    Route("GET", "/project", "projects_list"),
    Route("GET", "/project/{projectIdOrKey}", "project"),
    Route("GET", "/project/{projectIdOrKey}/statuses", "project_statuses"),
    Route("GET", "/issuetype", "issue_types"),
    Route("GET", "/issuetype/{id}", "issue_type"),
    Route("GET", "/priority", "priorities"),
    Route("GET", "/priority/{id}", "priority"),
    Route("GET", "/field", "fields"),
    Route("POST", "/issue", "create_issue"),
    Route("POST", "/issue/bulk", "create_issues"),
    Route("POST", "/issue/bulkfetch", "bulk_fetch"),
    Route("GET", "/issue/{issueIdOrKey}", "get_issue"),
    Route("PUT", "/issue/{issueIdOrKey}", "edit_issue"),
    Route("DELETE", "/issue/{issueIdOrKey}", "delete_issue"),
    Route("GET", "/issue/{issueIdOrKey}/transitions", "transitions"),
    Route("POST", "/issue/{issueIdOrKey}/transitions", "do_transition"),
    Route("GET", "/issue/{issueIdOrKey}/remotelink", "remote_links"),
    Route("POST", "/issue/{issueIdOrKey}/remotelink", "upsert_remote_link"),
    Route("DELETE", "/issue/{issueIdOrKey}/remotelink", "delete_remote_link_by_global_id"),
    Route("GET", "/issue/{issueIdOrKey}/remotelink/{linkId}", "remote_link"),
    Route("PUT", "/issue/{issueIdOrKey}/remotelink/{linkId}", "replace_remote_link"),
    Route("DELETE", "/issue/{issueIdOrKey}/remotelink/{linkId}", "delete_remote_link"),
    Route("GET", "/search", "search"),
    Route("POST", "/search", "search"),
    Route("GET", "/search/jql", "search_jql"),
    Route("POST", "/search/jql", "search_jql"),
    Route("GET", "/rest/auth/1/session", "session"),
    Route("GET", "/rest/applinks/latest/listApplicationlinks", "application_links"),
]
CONTROL_ROUTES = [
    *control_routes(Route),
    Route("GET", "/_sandbox/issues", "dump_issues"),
]


class JiraSandbox(SandboxApp):
    """The WSGI app. Thread-safe; state in SQLite at ``db_path`` (a file survives restarts).

    ``faults`` takes the :class:`FaultPlan` format; ``latency_ms`` is a shortcut for it.
    """

    request_class = Request

    def __init__(
        self,
        db_path: str | Path = ":memory:",
        mode: Mode = "cloud",
        project_key: str = DEFAULT_PROJECT,
        latency_ms: int = 0,
        *,
        faults: Mapping[str, Any] | None = None,
        projects: Iterable[str] = (),
        dry_run: bool = False,
        workflow: Workflow = "all",
    ):
        """``project_key`` is the sandbox's project (named "Plansync Sandbox"); ``projects``
        more of them, for a config whose rules send items to several. Projects of issues
        already in the database are kept as well. ``dry_run`` serves the database from a copy
        in memory: projects new to it, and whatever else happens, never reach the file (a
        plan writes nothing). ``workflow`` is every issue's (:data:`Workflow`)."""
        if mode not in ("cloud", "dc"):
            raise ValueError(f"mode must be 'cloud' or 'dc', not {mode!r}")
        if workflow not in WORKFLOWS:
            raise ValueError(f"workflow must be one of {', '.join(WORKFLOWS)}, not {workflow!r}")
        self.workflow: Workflow = workflow
        keys = [project_key, *projects]
        for key in keys:
            if not PROJECT_KEY.fullmatch(key):
                raise ValueError(f"invalid Jira project key {key!r}")
        self.mode: Mode = mode
        self.project_key = project_key
        super().__init__(
            FaultPlan({"latency_ms": latency_ms, **(faults or {})}, settings=["search_lag_ms"])
        )
        self._store = _Store(db_path, dry_run=dry_run)
        try:
            self._projects = self._store.seed_projects(keys)
        except BaseException:
            self._store.close()
            raise

    # ---- public Python API (for in-process tests) ---------------------------------------

    def close(self) -> None:
        """Release the database (a new app on the same file sees everything committed)."""
        self._store.close()

    def _resolve(self, routes: list[Route], request: Request) -> tuple[Route, dict[str, str]]:
        route, params, other_method = find_route(routes, request.method, request.path)
        version = params.pop("api_version", None)
        if route is not None and not (version == "3" and self.mode == "dc"):
            request.api_version = "2" if version in (None, "latest") else version
            return route, params
        if other_method:
            raise ApiError(405, [f"Method {request.method} is not allowed on {request.path}."])
        # Data Center has no v3: a v3 path is unknown there
        raise ApiError(404, [f"No endpoint {request.method} {request.path} in the Jira sandbox."])

    def _dispatch(self, request: Request) -> Response:
        if request.path.startswith("/_sandbox/"):
            control, params = self._resolve(CONTROL_ROUTES, request)
            answer: Response = getattr(self, "_" + control.handler)(request, **params)
            return answer

        route: Route | None = None
        try:
            route, params = self._resolve(ROUTES, request)
            template = route.template
            if not template.startswith("/rest/"):
                template = f"/rest/api/{request.api_version}{template}"
        except ApiError as error:
            unresolved, template = error, "(unknown)"
        self._count(f"{request.method} {template}")
        fault = self._inject(request)

        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith(("basic ", "bearer ")):
            raise ApiError(401, [NOT_AUTHENTICATED])
        if route is None:
            raise unresolved  # 404/405, answered only to an authenticated caller, as Jira does
        response: Response = getattr(self, "_" + route.handler)(request, **params)
        if fault is not None:  # drop after_commit: the work is done, the answer is lost
            raise DropConnection
        return response

    def _fault_error(self, fault: Fault) -> ApiError:
        assert fault.status is not None
        headers = fault.retry_after_headers(self.faults.retry_after)
        if fault.status == 429:
            headers += [("X-RateLimit-Limit", "100"), ("X-RateLimit-Remaining", "0")]
            return ApiError(429, ["Rate limit exceeded."], headers=headers)
        return ApiError(fault.status, [f"Injected fault: HTTP {fault.status}."], headers=headers)

    # ---- rendering ---------------------------------------------------------------------------

    def _user(self, request: Request) -> SandboxUser:
        """The caller: a seeded user matching the basic-auth login, else Jason (Myself)."""
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                login = base64.b64decode(auth[6:]).decode().partition(":")[0].lower()
            except (binascii.Error, UnicodeDecodeError):
                login = ""
            for user in USERS:
                if login in (user.name, user.email):
                    return user
        return DEFAULT_USER

    def _user_json(
        self, request: Request, user: SandboxUser, embedded: bool = False
    ) -> dict[str, Any]:
        """A user as Jira shows it; inside an issue (``embedded``) without ``locale``."""
        avatars = {
            size: f"{request.base_url}/secure/useravatar?size={label}&ownerId={user.name}"
            for size, label in (
                ("48x48", "large"),
                ("24x24", "small"),
                ("16x16", "xsmall"),
                ("32x32", "medium"),
            )
        }
        if self.mode == "cloud":
            result: dict[str, Any] = {
                "self": f"{request.api_base}/user?accountId={user.account_id}",
                "accountId": user.account_id,
                "accountType": "atlassian",
            }
        else:
            result = {
                "self": f"{request.api_base}/user?username={user.name}",
                "key": user.dc_key,
                "name": user.name,
            }
        result.update(
            emailAddress=user.email,
            avatarUrls=avatars,
            displayName=user.display_name,
            active=True,
            timeZone="Etc/UTC",
        )
        if self.mode == "dc":
            result["deleted"] = False
        if not embedded:
            result["locale"] = "en_US"
        return result

    def _issue_type_json(self, request: Request, type_id: str) -> dict[str, Any]:
        _, name, description, level = next(t for t in ISSUE_TYPES if t[0] == type_id)
        result: dict[str, Any] = {
            "self": f"{request.api_base}/issuetype/{type_id}",
            "id": type_id,
            "description": description,
            "iconUrl": f"{request.base_url}/images/icons/issuetypes/{name.lower()}.svg",
            "name": name,
            "subtask": False,
            "avatarId": 10300 + int(type_id) - 10000,
        }
        if self.mode == "cloud":
            result["hierarchyLevel"] = level
        return result

    def _priority_json(self, request: Request, priority_id: str) -> dict[str, Any]:
        _, name, colour = next(p for p in PRIORITIES if p[0] == priority_id)
        result: dict[str, Any] = {
            "self": f"{request.api_base}/priority/{priority_id}",
            "statusColor": colour,
            "description": f"{name} priority.",
            "iconUrl": f"{request.base_url}/images/icons/priorities/{name.lower()}.svg",
            "name": name,
            "id": priority_id,
        }
        if self.mode == "cloud":
            result["isDefault"] = priority_id == DEFAULT_PRIORITY
        return result

    def _status_json(self, request: Request, status_id: str) -> dict[str, Any]:
        name, category, _ = STATUSES[status_id]
        category_id, category_name, colour = STATUS_CATEGORIES[category]
        return {
            "self": f"{request.api_base}/status/{status_id}",
            "description": "",
            "iconUrl": f"{request.base_url}/images/icons/statuses/generic.png",
            "name": name,
            "id": status_id,
            "statusCategory": {
                "self": f"{request.api_base}/statuscategory/{category_id}",
                "id": category_id,
                "key": category,
                "colorName": colour,
                "name": category_name,
            },
        }

    def _project_name(self, key: str) -> str:
        return PROJECT_NAME if key == self.project_key else f"{PROJECT_NAME} {key}"

    def _project_key_of(self, ref: Any, *, jql: bool = False) -> str | None:
        """The project ``ref`` names, by id or key; in JQL by its name too, in any case."""
        ref = str(ref)
        for key, project_id in self._projects.items():
            if ref in (project_id, key):
                return key
            if jql and ref.upper() in (key, self._project_name(key).upper()):
                return key
        return None

    def _project_json(self, request: Request, key: str, full: bool = False) -> dict[str, Any]:
        project_id = self._projects[key]
        avatar = f"{request.base_url}/secure/projectavatar?pid={project_id}"
        result: dict[str, Any] = {
            "self": f"{request.api_base}/project/{project_id}",
            "id": project_id,
            "key": key,
            "name": self._project_name(key),
            "projectTypeKey": "software",
            "avatarUrls": {s: f"{avatar}&size={s}" for s in ("48x48", "24x24", "16x16", "32x32")},
        }
        if self.mode == "cloud":
            result["simplified"] = False
        if full:
            result["description"] = "Where plansync's sandbox puts the issues it creates."
            result["lead"] = self._user_json(request, DEFAULT_USER)
            result["components"] = [self._component_json(request, c) for c, _ in COMPONENTS]
            result["issueTypes"] = [self._issue_type_json(request, t[0]) for t in ISSUE_TYPES]
            result["assigneeType"] = "UNASSIGNED"
            result["versions"] = []
            result["roles"] = {}
        return result

    def _component_json(self, request: Request, component_id: str) -> dict[str, Any]:
        name = dict(COMPONENTS)[component_id]
        return {
            "self": f"{request.api_base}/component/{component_id}",
            "id": component_id,
            "name": name,
        }

    def _issue_fields(self, request: Request, row: IssueRow) -> dict[str, Any]:
        stored = row.fields
        users = {u.name: u for u in USERS}
        description = stored.get("description")
        if description is not None and request.api_version == "3":
            description = text_to_adf(description)
        resolution = stored.get("resolution")
        return {
            "summary": stored["summary"],
            "description": description,
            "issuetype": self._issue_type_json(request, stored["issuetype"]),
            "project": self._project_json(request, row.project_key),
            "priority": (
                self._priority_json(request, stored["priority"]) if stored.get("priority") else None
            ),
            "duedate": stored.get("duedate"),
            "labels": list(stored.get("labels", [])),
            "components": [self._component_json(request, c) for c in stored.get("components", [])],
            "assignee": (
                self._user_json(request, users[stored["assignee"]], embedded=True)
                if stored.get("assignee")
                else None
            ),
            "reporter": (
                self._user_json(request, users[stored["reporter"]], embedded=True)
                if stored.get("reporter")
                else None
            ),
            "status": self._status_json(request, stored["status"]),
            "resolution": (
                {
                    "self": f"{request.api_base}/resolution/{resolution}",
                    "id": resolution,
                    "description": "",
                    "name": RESOLUTIONS[resolution],
                }
                if resolution
                else None
            ),
            "resolutiondate": stored.get("resolutiondate"),
            "created": row.created,
            "updated": row.updated,
        }

    def _issue_json(
        self, request: Request, row: IssueRow, selection: FieldSelection
    ) -> dict[str, Any]:
        if selection.id_only:
            return {"id": str(row.id)}
        all_fields = self._issue_fields(request, row)
        return {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,"
            "versionedRepresentations",
            "id": str(row.id),
            "self": f"{request.api_base}/issue/{row.id}",
            "key": row.key,
            "fields": {k: v for k, v in all_fields.items() if selection.wants(k)},
        }

    def _modify_issue(self, id_or_key: str, change: Callable[[dict[str, Any]], None]) -> None:
        """Read, change and save an issue's fields atomically (``change`` may raise: no save)."""
        if not self._store.modify(id_or_key, change):
            raise ApiError(404, [ISSUE_NOT_FOUND])

    def _issue_or_404(self, id_or_key: str) -> IssueRow:
        row = self._store.issue(id_or_key)
        if row is None:
            raise ApiError(404, [ISSUE_NOT_FOUND])
        return row

    # ---- validation of issue fields ------------------------------------------------------

    def _check_user(self, name: str, value: Any, errors: dict[str, str]) -> str | None:
        if value is None:
            return None
        key = "accountId" if self.mode == "cloud" else "name"
        if not isinstance(value, dict) or not isinstance(value.get(key), str):
            errors[name] = f"Specify a valid value for {name}"
            return None
        for user in USERS:
            if value[key] == (user.account_id if self.mode == "cloud" else user.name):
                return user.name
        errors[name] = (
            "Specified user does not exist or you do not have required permissions"
            if self.mode == "cloud"
            else f"User '{value[key]}' does not exist."
        )
        return None

    def _check_field(self, request: Request, name: str, value: Any, errors: dict[str, str]) -> Any:
        """Validate one settable field; return its stored form (errors collected, not raised)."""
        if name == "summary":
            if not isinstance(value, str) or not value.strip():
                errors[name] = "You must specify a summary of the issue."
            elif "\n" in value or "\r" in value:
                errors[name] = "The summary is invalid because it contains newline characters."
            elif java_length(value) > SUMMARY_MAX:
                errors[name] = f"Summary must be less than {SUMMARY_MAX} characters."
            return value
        if name == "description":
            if value is None:
                return None
            if request.api_version == "3":
                if _is_adf(value):
                    return adf_to_text(value)
                errors[name] = (
                    "Operation value must be an Atlassian Document (see the Atlassian Document "
                    "Format)"
                )
            elif isinstance(value, str):
                return value
            else:
                errors[name] = "Operation value must be a string"
            return None
        if name == "issuetype":
            ref = value if isinstance(value, dict) else {}
            for type_id, type_name, _, _ in ISSUE_TYPES:
                if ref.get("id") == type_id or ref.get("name") == type_name:
                    return type_id
            errors[name] = "Specify a valid issue type"
            return None
        if name == "priority":
            if value is None:
                return None
            ref = value if isinstance(value, dict) else {}
            for priority_id, priority_name, _ in PRIORITIES:
                if ref.get("id") == priority_id or ref.get("name") == priority_name:
                    return priority_id
            if "name" in ref:
                errors[name] = f"Priority name '{ref['name']}' is not valid"
            elif "id" in ref:
                errors[name] = f"Priority with id '{ref['id']}' does not exist."
            else:
                errors[name] = "Specify the Priority (id or name) in the proper format"
            return None
        if name == "duedate":
            if value is None:
                return None
            try:
                if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                    raise ValueError
                dt.date.fromisoformat(value)
            except ValueError:
                errors[name] = f"Error parsing date string: {value}"
                return None
            return value
        if name == "labels":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[name] = "data was not an array"
                return []
            for label in value:
                if not label or any(c.isspace() for c in label):
                    errors[name] = f"The label '{label}' contains spaces which is invalid."
                elif len(label) > LABEL_MAX:
                    errors[name] = (
                        f"The label '{label}' exceeds the maximum length for a single label of "
                        f"{LABEL_MAX} characters."
                    )
            return list(dict.fromkeys(value))
        if name == "components":
            if not isinstance(value, list):
                errors[name] = "data was not an array"
                return []
            ids = []
            for ref in value:
                ref = ref if isinstance(ref, dict) else {}
                found = next(
                    (c for c, n in COMPONENTS if ref.get("id") == c or ref.get("name") == n), None
                )
                if found is None:
                    errors[name] = (
                        f"Component name '{ref['name']}' is not valid"
                        if "name" in ref
                        else f"Component with id '{ref.get('id')}' does not exist."
                    )
                else:
                    ids.append(found)
            return ids
        if name in ("assignee", "reporter"):
            return self._check_user(name, value, errors)
        if name == "project":
            ref = value if isinstance(value, dict) else {}
            key = self._project_key_of(ref["key"] if "key" in ref else ref.get("id"))
            if key is None:
                errors[name] = "Specify a valid project ID or key"
            return key
        errors[name] = (
            f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
        )
        return None

    def _validate_create(
        self, request: Request, item: Any
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Stored fields of a new issue, or the errors Jira would give for it."""
        if not isinstance(item, dict) or not isinstance(item.get("fields"), dict):
            return {}, {"fields": "Field 'fields' is required."}
        given = dict(item["fields"])
        errors: dict[str, str] = {}
        for required, message in (
            ("project", "Specify a valid project ID or key"),
            ("issuetype", "Specify an issue type"),
            ("summary", "You must specify a summary of the issue."),
        ):
            if required not in given:
                errors[required] = message
        stored: dict[str, Any] = {
            "priority": DEFAULT_PRIORITY,
            "labels": [],
            "components": [],
            "reporter": self._user(request).name,
        }
        for name, value in given.items():
            stored[name] = self._check_field(request, name, value, errors)
        self._apply_updates(request, stored, item.get("update") or {}, errors)
        stored.update(status=INITIAL_STATUS, resolution=None, resolutiondate=None)
        return stored, errors

    def _apply_updates(
        self, request: Request, stored: dict[str, Any], update: Any, errors: dict[str, str]
    ) -> None:
        """Jira's ``update`` verbs: ``set`` on any settable field, ``add``/``remove`` on lists."""
        if not isinstance(update, dict):
            errors["update"] = "data was not an object"
            return
        for name, operations in update.items():
            if not isinstance(operations, list):
                errors[name] = "data was not an array"
                continue
            for operation in operations:
                verb, value = next(iter(operation.items())) if operation else ("", None)
                if verb == "set":
                    stored[name] = self._check_field(request, name, value, errors)
                elif verb in ("add", "remove") and name in ("labels", "components"):
                    checked = self._check_field(request, name, [value], errors)
                    current = list(stored.get(name, []))
                    if verb == "add":
                        stored[name] = list(dict.fromkeys([*current, *checked]))
                    else:
                        stored[name] = [v for v in current if v not in checked]
                else:
                    errors[name] = f"Field '{name}' cannot be set with the '{verb}' operation."

    # ---- handlers: server, users, metadata -----------------------------------------------

    def _server_info(self, request: Request) -> Response:
        cloud = self.mode == "cloud"
        version = [1001, 0, 0] if cloud else [10, 3, 12]
        body: dict[str, Any] = {
            "baseUrl": request.base_url,
            "version": "1001.0.0-SNAPSHOT" if cloud else "10.3.12",
            "versionNumbers": version,
            "deploymentType": "Cloud" if cloud else "Server",
            "buildNumber": 100300 if cloud else 10030012,
            "buildDate": "2025-12-01T00:00:00.000+0000",
            "serverTime": now_stamp()[0],
            "scmInfo": "57a0ca5" if cloud else "4d28c5ad3b5c4dc2f9a6fc12f2d94f3e3ea6a8c1",
            "serverTitle": PROJECT_NAME,
        }
        if cloud:
            body["displayUrl"] = request.base_url
        return Response(200, body)

    def _myself(self, request: Request) -> Response:
        return Response(200, self._user_json(request, self._user(request)))

    def _session(self, request: Request) -> Response:
        user = self._user(request)
        return Response(
            200,
            {
                "self": f"{request.base_url}/rest/api/latest/user?username={user.name}",
                "name": user.name,
                "loginInfo": {"loginCount": 1, "previousLoginTime": now_stamp()[0]},
            },
        )

    def _application_links(self, request: Request) -> Response:
        return Response(200, {"list": []})

    def _get_user(self, request: Request) -> Response:
        key = "accountId" if self.mode == "cloud" else "username"
        wanted = request.arg(key)
        for user in USERS:
            if wanted == (user.account_id if self.mode == "cloud" else user.name):
                return Response(200, self._user_json(request, user))
        raise ApiError(404, [f"The user with {key} '{wanted}' does not exist."])

    @staticmethod
    def _find_users(term: str) -> list[SandboxUser]:
        term = term.lower()
        return [
            u
            for u in USERS
            if u.email.startswith(term)
            or u.name.startswith(term)
            or any(word.lower().startswith(term) for word in u.display_name.split())
            or u.display_name.lower().startswith(term)
        ]

    def _user_search(self, request: Request) -> Response:
        if self.mode == "cloud":
            account_id, query = request.arg("accountId"), request.arg("query")
            if request.arg("username") and not account_id and not query:
                raise ApiError(
                    400, ["The query parameter 'username' is not supported in GDPR strict mode."]
                )
            if not account_id and not query:
                raise ApiError(400, ["One of 'accountId' or 'query' must be specified."])
            found = (
                [u for u in USERS if u.account_id == account_id]
                if account_id
                else self._find_users(query or "")
            )
        else:
            username = request.arg("username")
            if not username:
                raise ApiError(400, ["The username query parameter was not provided"])
            found = self._find_users(username)
        start = int(request.arg("startAt") or 0)
        count = int(request.arg("maxResults") or 50)
        return Response(200, [self._user_json(request, u) for u in found[start : start + count]])

    def _projects_list(self, request: Request) -> Response:
        full = "issueTypes" in (request.arg("expand") or "")
        return Response(200, [self._project_json(request, key, full) for key in self._projects])

    def _project_key_or_404(self, project_id_or_key: str) -> str:
        key = self._project_key_of(project_id_or_key)
        if key is None:
            raise ApiError(404, [f"No project could be found with key '{project_id_or_key}'."])
        return key

    def _project(self, request: Request, project_id_or_key: str) -> Response:
        key = self._project_key_or_404(project_id_or_key)
        return Response(200, self._project_json(request, key, full=True))

    def _project_statuses(self, request: Request, project_id_or_key: str) -> Response:
        """The workflow's statuses per issue type (every type follows the one workflow), as
        both deployments list them: an array, though the Data Center document declares one."""
        self._project_key_or_404(project_id_or_key)
        statuses = [self._status_json(request, status) for status in self._workflow_statuses()]
        return Response(
            200,
            [
                {
                    "self": f"{request.api_base}/issuetype/{type_id}",
                    "id": type_id,
                    "name": name,
                    "subtask": False,
                    "statuses": statuses,
                }
                for type_id, name, _, _ in ISSUE_TYPES
            ],
        )

    def _issue_types(self, request: Request) -> Response:
        return Response(200, [self._issue_type_json(request, t[0]) for t in ISSUE_TYPES])

    def _issue_type(self, request: Request, id: str) -> Response:
        if id not in {t[0] for t in ISSUE_TYPES}:
            raise ApiError(404, [f"Issue type with id '{id}' does not exist."])
        return Response(200, self._issue_type_json(request, id))

    def _priorities(self, request: Request) -> Response:
        return Response(200, [self._priority_json(request, p[0]) for p in PRIORITIES])

    def _priority(self, request: Request, id: str) -> Response:
        if id not in {p[0] for p in PRIORITIES}:
            raise ApiError(404, [f"Could not find priority with id: {id}"])
        return Response(200, self._priority_json(request, id))

    def _fields(self, request: Request) -> Response:
        rows: list[tuple[str, str, str | None, list[str]]] = [
            (field_id, name, schema, clauses)
            for field_id, (name, schema, clauses, _) in FIELDS.items()
        ]
        rows.append((ISSUEKEY_FIELD[0], ISSUEKEY_FIELD[1], None, ISSUEKEY_FIELD[2]))
        body = []
        for field_id, name, schema, clauses in rows:
            entry: dict[str, Any] = {
                "id": field_id,
                "name": name,
                "custom": False,
                "orderable": FIELDS.get(field_id, ("", "", [], False))[3],
                "navigable": True,
                "searchable": True,
                "clauseNames": clauses,
            }
            if self.mode == "cloud":
                entry["key"] = field_id
            if schema is not None:
                entry["schema"] = (
                    {
                        "type": "array",
                        "items": "string" if field_id == "labels" else "component",
                        "system": field_id,
                    }
                    if schema == "array"
                    else {"type": schema, "system": field_id}
                )
            body.append(entry)
        return Response(200, body)

    # ---- handlers: issues ----------------------------------------------------------------

    def _created_json(self, request: Request, row: IssueRow) -> dict[str, Any]:
        return {"id": str(row.id), "key": row.key, "self": f"{request.api_base}/issue/{row.id}"}

    def _create_issue(self, request: Request) -> Response:
        stored, errors = self._validate_create(request, request.json_object())
        if errors:
            raise ApiError(400, [], errors)
        (row,) = self._store.create_issues([(stored.pop("project"), stored)])
        return Response(201, self._created_json(request, row))

    def _create_issues(self, request: Request) -> Response:
        body = request.json_object()
        updates = body.get("issueUpdates")
        if not isinstance(updates, list):
            raise ApiError(400, ["Field 'issueUpdates' is required and must be an array."])
        if len(updates) > MAX_BULK:
            raise ApiError(
                400, [f"Cannot create more than {MAX_BULK} issues in a single bulk request."]
            )
        valid, failures = [], []
        for index, item in enumerate(updates):
            stored, errors = self._validate_create(request, item)
            if errors:
                failures.append(
                    {
                        "status": 400,
                        "elementErrors": {"errorMessages": [], "errors": errors},
                        "failedElementNumber": index,
                    }
                )
            else:
                valid.append(stored)
        rows = self._store.create_issues([(s.pop("project"), s) for s in valid]) if valid else []
        issues = [self._created_json(request, row) for row in rows]
        return Response(201 if rows else 400, {"issues": issues, "errors": failures})

    def _get_issue(self, request: Request, issue_id_or_key: str) -> Response:
        row = self._issue_or_404(issue_id_or_key)
        selection = FieldSelection.parse(request.list_arg("fields"), default="all")
        return Response(200, self._issue_json(request, row, selection))

    def _bulk_fetch(self, request: Request) -> Response:
        """Cloud's bulk read of up to 100 issues by id or key (``BulkFetchIssueRequestBean``):
        the issues found, in ascending id order, each once; an id or key of no issue (or one
        the user cannot see) is left out, not listed in ``issueErrors``, which Jira keeps for
        retriable failures (none here). A read by key, so search lag does not hide new issues.
        Data Center has no such endpoint."""
        if self.mode == "dc":
            raise ApiError(
                404, [f"No endpoint {request.method} {request.path} in the Jira sandbox."]
            )
        body = request.json_object()
        allowed = {"expand", "fields", "fieldsByKeys", "issueIdsOrKeys", "properties"}
        for key in body:
            if key not in allowed:
                raise ApiError(
                    400,
                    [
                        f'Unrecognized field "{key}" (Class BulkFetchIssueRequestBean), not'
                        " marked as ignorable"
                    ],
                )
        wanted = body.get("issueIdsOrKeys")
        if not isinstance(wanted, list) or not all(isinstance(w, str) for w in wanted):
            raise ApiError(400, ["issueIdsOrKeys must be an array of issue ids or keys."])
        if not 1 <= len(wanted) <= _BULK_FETCH_MOST:
            raise ApiError(
                400, [f"Between 1 and {_BULK_FETCH_MOST} issue ids or keys can be requested."]
            )
        fields = body.get("fields") or []
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise ApiError(400, ["fields must be an array of field names."])
        names = [name.strip() for field in fields for name in field.split(",") if name.strip()]
        selection = FieldSelection.parse(names, default="all")
        rows = {row.id: row for row in map(self._store.issue, wanted) if row is not None}
        issues = [self._issue_json(request, rows[i], selection) for i in sorted(rows)]
        return Response(200, {"issues": issues, "issueErrors": []})

    def _delete_issue(self, request: Request, issue_id_or_key: str) -> Response:
        """An issue deleted in Jira, with its remote links: what a plan must still call a
        missing record, search lagging or not (its read by key answers 404)."""
        self._store.delete_issue(self._issue_or_404(issue_id_or_key).id)
        return Response(204)

    def _edit_issue(self, request: Request, issue_id_or_key: str) -> Response:
        self._issue_or_404(issue_id_or_key)  # a missing issue is a 404 whatever the body
        body = request.json_object()
        fields, update = body.get("fields") or {}, body.get("update") or {}
        if not isinstance(fields, dict):
            raise ApiError(400, ["Can not deserialize 'fields': expected an object"])

        def edit(stored: dict[str, Any]) -> None:
            errors: dict[str, str] = {}
            for name, value in fields.items():
                if name == "project":
                    errors[name] = "Field 'project' cannot be set on edit; move the issue instead."
                else:
                    stored[name] = self._check_field(request, name, value, errors)
            self._apply_updates(request, stored, update, errors)
            if errors:
                raise ApiError(400, [], errors)

        self._modify_issue(issue_id_or_key, edit)
        return Response(204)

    # ---- handlers: workflow ----------------------------------------------------------------

    def _workflow_transitions(self) -> list[tuple[str, str, str, tuple[str, ...] | None]]:
        """The workflow's transitions: id, name, target status and the statuses it is taken
        from (None: global, from any other)."""
        if self.workflow == "strict":
            return list(STRICT_TRANSITIONS)
        return [
            (t, name, status, None)
            for t, name, status in TRANSITIONS
            if self.workflow == "all" or status in SIMPLE_STATUSES
        ]

    def _workflow_statuses(self) -> list[str]:
        """The ids of the workflow's statuses, in :data:`STATUSES`' order: where an issue
        starts, and where its transitions lead."""
        used = {INITIAL_STATUS} | {status for _, _, status, _ in self._workflow_transitions()}
        return [status for status in STATUSES if status in used]

    def _transition_json(self, request: Request, transition_id: str) -> dict[str, Any]:
        _, name, status_id, sources = next(
            t for t in self._workflow_transitions() if t[0] == transition_id
        )
        result: dict[str, Any] = {
            "id": transition_id,
            "name": name,
            "to": self._status_json(request, status_id),
        }
        if self.mode == "cloud":
            result.update(
                hasScreen=False,
                isGlobal=sources is None,
                isInitial=False,
                isAvailable=True,
                isConditional=False,
                isLooped=False,
            )
        else:
            result["opsbarSequence"] = int(transition_id)
        return result

    def _available_transitions(self, current_status: str) -> list[str]:
        """What Jira lists for an issue: the transitions out of the status it is in (into
        another), never the whole workflow."""
        return [
            t
            for t, _, status, sources in self._workflow_transitions()
            if status != current_status and (sources is None or current_status in sources)
        ]

    def _transitions(self, request: Request, issue_id_or_key: str) -> Response:
        row = self._issue_or_404(issue_id_or_key)
        ids = self._available_transitions(row.fields["status"])
        wanted = request.arg("transitionId")
        if wanted is not None:
            ids = [t for t in ids if t == wanted]
        return Response(
            200,
            {
                "expand": "transitions",
                "transitions": [self._transition_json(request, t) for t in ids],
            },
        )

    def _do_transition(self, request: Request, issue_id_or_key: str) -> Response:
        self._issue_or_404(issue_id_or_key)  # a missing issue is a 404 whatever the body
        body = request.json_object()
        transition = body.get("transition")
        transition_id = str(transition.get("id")) if isinstance(transition, dict) else None
        if transition_id is None:
            raise ApiError(400, ["Missing 'transition' identifier"])

        def move(stored: dict[str, Any]) -> None:
            if transition_id not in self._available_transitions(stored["status"]):
                raise ApiError(
                    400, [f"Transition id '{transition_id}' is not valid for this issue."]
                )
            status_id = next(
                status for t, _, status, _ in self._workflow_transitions() if t == transition_id
            )
            resolution = STATUSES[status_id][2]
            errors: dict[str, str] = {}
            for name, value in (body.get("fields") or {}).items():
                if name != "resolution":
                    stored[name] = self._check_field(request, name, value, errors)
                    continue
                ref = value if isinstance(value, dict) else {}
                resolution = next(
                    (
                        r
                        for r, n in RESOLUTIONS.items()
                        if ref.get("id") == r or ref.get("name") == n
                    ),
                    None,
                )
                if resolution is None or STATUSES[status_id][1] != "done":
                    errors[name] = (
                        "Field 'resolution' cannot be set. It is not on the appropriate screen, "
                        "or unknown."
                    )
            self._apply_updates(request, stored, body.get("update") or {}, errors)
            if errors:
                raise ApiError(400, [], errors)
            stored.update(
                status=status_id,
                resolution=resolution,
                resolutiondate=now_stamp()[0] if resolution else None,
            )

        self._modify_issue(issue_id_or_key, move)
        return Response(204)

    # ---- handlers: remote links ------------------------------------------------------------

    def _link_json(
        self, request: Request, row: IssueRow, link_id: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "id": link_id,
            "self": f"{request.api_base}/issue/{row.key}/remotelink/{link_id}",
            **({"globalId": body["globalId"]} if body.get("globalId") is not None else {}),
            "application": body.get("application") or {},
            **({"relationship": body["relationship"]} if body.get("relationship") else {}),
            "object": body["object"],
        }

    @staticmethod
    def _validate_link(body: dict[str, Any]) -> dict[str, Any]:
        obj = body.get("object")
        errors = {}
        if not isinstance(obj, dict):
            errors["object"] = "'object' is required."
        else:
            for key in ("title", "url"):
                if not isinstance(obj.get(key), str) or not obj[key]:
                    errors[key] = f"'{key}' is required."
        if errors:
            raise ApiError(400, [], errors)
        allowed = ("globalId", "application", "relationship", "object")
        return {k: body[k] for k in allowed if body.get(k) is not None}

    def _remote_links(self, request: Request, issue_id_or_key: str) -> Response:
        row = self._issue_or_404(issue_id_or_key)
        links = [self._link_json(request, row, i, b) for i, b in self._store.links(row.id)]
        global_id = request.arg("globalId")
        if global_id is None:
            return Response(200, links)
        for link in links:
            if link.get("globalId") == global_id:
                return Response(200, link)
        raise ApiError(404, [f"No remote link with globalId '{global_id}' on this issue."])

    def _link_or_404(self, row: IssueRow, link_id: str) -> tuple[int, dict[str, Any]]:
        for stored_id, body in self._store.links(row.id):
            if str(stored_id) == link_id:
                return stored_id, body
        raise ApiError(404, [f"No remote link with id '{link_id}' on this issue."])

    def _remote_link(self, request: Request, issue_id_or_key: str, link_id: str) -> Response:
        row = self._issue_or_404(issue_id_or_key)
        return Response(200, self._link_json(request, row, *self._link_or_404(row, link_id)))

    def _upsert_remote_link(self, request: Request, issue_id_or_key: str) -> Response:
        """With a known ``globalId``: replace that link (200), else add one (201)."""
        row = self._issue_or_404(issue_id_or_key)
        body = self._validate_link(request.json_object())
        link_id, created = self._store.upsert_link(row.id, body)
        identifies = {
            "id": link_id,
            "self": f"{request.api_base}/issue/{row.key}/remotelink/{link_id}",
        }
        return Response(201 if created else 200, identifies)

    def _replace_remote_link(
        self, request: Request, issue_id_or_key: str, link_id: str
    ) -> Response:
        row = self._issue_or_404(issue_id_or_key)
        stored_id, _ = self._link_or_404(row, link_id)
        self._store.replace_link(stored_id, self._validate_link(request.json_object()))
        return Response(204)

    def _delete_remote_link(self, request: Request, issue_id_or_key: str, link_id: str) -> Response:
        row = self._issue_or_404(issue_id_or_key)
        stored_id, _ = self._link_or_404(row, link_id)
        self._store.delete_links(row.id, [stored_id])
        return Response(204)

    def _delete_remote_link_by_global_id(self, request: Request, issue_id_or_key: str) -> Response:
        row = self._issue_or_404(issue_id_or_key)
        global_id = request.arg("globalId")
        if global_id is None:
            raise ApiError(400, ["The 'globalId' query parameter is required."])
        ids = [i for i, body in self._store.links(row.id) if body.get("globalId") == global_id]
        if not ids:
            raise ApiError(404, [f"No remote link with globalId '{global_id}' on this issue."])
        self._store.delete_links(row.id, ids)
        return Response(204)

    # ---- handlers: search --------------------------------------------------------------------

    def _search_params(self, request: Request, allowed: set[str]) -> dict[str, Any]:
        """GET query or POST body, normalised; a POST body with unknown keys is a 400 (Jackson)."""
        if request.method == "GET":
            return {
                "jql": request.arg("jql") or "",
                "fields": request.list_arg("fields"),
                "maxResults": request.arg("maxResults"),
                "startAt": request.arg("startAt"),
                "nextPageToken": request.arg("nextPageToken"),
                "validateQuery": request.arg("validateQuery"),
                "reconcileIssues": request.list_arg("reconcileIssues"),
            }
        body = request.json_object()
        for key in body:
            if key not in allowed:
                raise ApiError(
                    400,
                    [
                        f'Unrecognized field "{key}" (Class SearchRequestBean), not marked as '
                        "ignorable"
                    ],
                )
        fields = body.get("fields") or []
        if isinstance(fields, str):
            fields = fields.split(",")
        return {
            "jql": body.get("jql") or "",
            "fields": [f.strip() for f in fields if isinstance(f, str) and f.strip()],
            "maxResults": body.get("maxResults"),
            "startAt": body.get("startAt"),
            "nextPageToken": body.get("nextPageToken"),
            "validateQuery": body.get("validateQuery"),
            "reconcileIssues": [str(i) for i in body.get("reconcileIssues") or []],
        }

    @staticmethod
    def _int_param(value: Any, name: str, default: int) -> int:
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError(
                400, [f"The value '{value}' is not a valid number for '{name}'."]
            ) from None

    def _run_jql(
        self, jql: Jql, strict_keys: bool, reconcile: set[str]
    ) -> tuple[list[IssueRow], list[str]]:
        """Matching issues in order, and warnings (missing keys when not strict)."""
        labels = next((values for name, values in jql.clauses if name == "labels"), ())
        rows = self._store.issues(labels)  # a superset: every clause is checked below
        keys = self._store.keys() if any(name == "key" for name, _ in jql.clauses) else set()
        warnings = []
        for name, values in jql.clauses:
            if name == "project":
                for value in values:
                    if self._project_key_of(value, jql=True) is None:
                        raise ApiError(
                            400, [f"The value '{value}' does not exist for the field 'project'."]
                        )
            if name == "key":
                for value in values:
                    if not ISSUE_KEY.match(value.upper()):
                        raise ApiError(
                            400, [f"The issue key '{value}' for field 'key' is invalid."]
                        )
                    if value.upper() not in keys:
                        message = f"An issue with key '{value}' does not exist for field 'key'."
                        if strict_keys:
                            raise ApiError(400, [message])
                        warnings.append(message)
        lag = self.faults.settings["search_lag_ms"] / 1000
        visible_after = time.time() - lag
        result = []
        for row in rows:
            if lag and row.created_at > visible_after and str(row.id) not in reconcile:
                continue  # not indexed yet
            if all(self._clause_matches(row, name, values) for name, values in jql.clauses):
                result.append(row)
        result.sort(key=lambda r: (r.project_key, r.num), reverse=jql.descending)
        return result, warnings

    def _clause_matches(self, row: IssueRow, name: str, values: list[str]) -> bool:
        if name == "project":
            return row.project_key in {self._project_key_of(v, jql=True) for v in values}
        if name == "labels":
            return any(label in values for label in row.fields.get("labels", []))
        return row.key in {v.upper() for v in values}

    def _search(self, request: Request) -> Response:
        """Data Center's ``/search`` (startAt/total); Cloud has removed it (410)."""
        if self.mode == "cloud":
            raise ApiError(410, [SEARCH_REMOVED])
        allowed = {"jql", "startAt", "maxResults", "fields", "expand", "validateQuery"}
        params = self._search_params(request, allowed)
        validate = str(params["validateQuery"] or "strict").lower()
        jql = parse_jql(params["jql"])
        rows, warnings = self._run_jql(jql, validate in ("strict", "true"), set())
        start = max(self._int_param(params["startAt"], "startAt", 0), 0)
        count = min(max(self._int_param(params["maxResults"], "maxResults", 50), 0), 1000)
        selection = FieldSelection.parse(params["fields"], default="all")
        body: dict[str, Any] = {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": count,
            "total": len(rows),
            "issues": [
                self._issue_json(request, r, selection) for r in rows[start : start + count]
            ],
        }
        if warnings and validate == "warn":
            body["warningMessages"] = warnings
        return Response(200, body)

    def _search_jql(self, request: Request) -> Response:
        """Cloud's enhanced search: ``nextPageToken`` pages, no total, ids only by default."""
        if self.mode == "dc":
            raise ApiError(
                404, [f"No endpoint {request.method} {request.path} in the Jira sandbox."]
            )
        allowed = {
            "jql",
            "nextPageToken",
            "maxResults",
            "fields",
            "expand",
            "properties",
            "fieldsByKeys",
            "reconcileIssues",
        }
        params = self._search_params(request, allowed)
        jql = parse_jql(params["jql"])
        if not jql.clauses:
            raise ApiError(
                400,
                [
                    "Unbounded JQL queries are not allowed here. Please add a search restriction "
                    "to your query."
                ],
            )
        rows, _ = self._run_jql(jql, strict_keys=True, reconcile=set(params["reconcileIssues"]))
        selection = FieldSelection.parse(params["fields"], default="id")
        cap = 5000 if selection.keys_only else 100
        count = min(max(self._int_param(params["maxResults"], "maxResults", 50), 1), cap)
        digest = hashlib.sha1(params["jql"].encode()).hexdigest()[:12]
        start = self._decode_page_token(params["nextPageToken"], digest)
        page = rows[start : start + count]
        body: dict[str, Any] = {"issues": [self._issue_json(request, r, selection) for r in page]}
        if start + count < len(rows):
            token = json.dumps({"q": digest, "o": start + count}).encode()
            body["nextPageToken"] = base64.urlsafe_b64encode(token).decode()
            body["isLast"] = False
        else:
            body["isLast"] = True
        return Response(200, body)

    @staticmethod
    def _decode_page_token(token: str | None, digest: str) -> int:
        if not token:
            return 0
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
            if decoded["q"] == digest and isinstance(decoded["o"], int):
                return int(decoded["o"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            pass
        raise ApiError(
            400, ["The provided next page token is invalid or does not match the query."]
        )

    # ---- control endpoints (no auth, not counted, never faulted) -----------------------------

    def _bad_request(self, message: str) -> ApiError:
        return ApiError(400, [message])

    def _dump_issues(self, request: Request) -> Response:
        request.api_version = "2"
        everything = FieldSelection.parse([], default="all")
        issues = []
        for row in self._store.issues():
            issue = self._issue_json(request, row, everything)
            issue["remotelinks"] = [
                self._link_json(request, row, i, b) for i, b in self._store.links(row.id)
            ]
            issues.append(issue)
        return Response(200, {"issues": issues})
