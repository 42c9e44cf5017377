"""What the sandboxes (Jira, Salesforce) share: WSGI plumbing, routing, counting, and applying
the faults of :mod:`plansync.sandbox.faults`.

Each sandbox answers in its own API's shapes, so what is shared stops where the shapes begin:
:class:`SandboxApp` turns WSGI into :class:`Request`/:class:`Response`, counts every API request
(which is how tests measure what a sync costs), sleeps the configured latency and applies the
:class:`FaultPlan`; a subclass routes, authenticates and renders errors (:class:`HttpError`
subclasses) the way its real service does.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qs

from plansync.sandbox.faults import Fault, FaultPlan
from plansync.sandbox.server import DropConnection
from plansync.sqlite import reader, transaction


def now_stamp() -> tuple[str, float]:
    """The time now as Jira and Salesforce both write it (``2025-10-27T12:34:56.789+0000``),
    and as epoch seconds."""
    now = dt.datetime.now(dt.timezone.utc)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"
    return stamp, now.timestamp()


# --------------------------------------------------------------------------------------------
# Requests, responses, errors and routes.
# --------------------------------------------------------------------------------------------


class HttpError(Exception):
    """An error answered with ``status``; each sandbox's subclass renders its API's body."""

    def __init__(self, status: int, headers: Iterable[tuple[str, str]] = ()):
        super().__init__(status)
        self.status = status
        self.headers = list(headers)

    def body(self) -> Any:
        raise NotImplementedError


RequestT = TypeVar("RequestT", bound="Request")


@dataclass
class Request:
    """What a handler sees of one HTTP request."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    base_url: str

    @classmethod
    def from_environ(cls: type[RequestT], environ: dict[str, Any]) -> RequestT:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        return cls(
            method=environ["REQUEST_METHOD"].upper(),
            path=environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace"),
            query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            headers=headers,
            body=body,
            base_url=f"{environ.get('wsgi.url_scheme', 'http')}://{host}"
            + environ.get("SCRIPT_NAME", ""),
        )

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def list_arg(self, name: str) -> list[str]:
        """All values of a repeatable, comma-separable parameter (``fields=a,b&fields=c``)."""
        return [v.strip() for raw in self.query.get(name, []) for v in raw.split(",") if v.strip()]


@dataclass
class Response:
    """``body`` is JSON-able, or bytes sent as they are (``headers`` then name the type)."""

    status: int
    body: Any = None
    headers: list[tuple[str, str]] = field(default_factory=list)


REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    300: "Multiple Choices",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(frozen=True)
class Route:
    """``{camelCase}`` placeholders become ``snake_case`` handler arguments.

    A template is relative to the API's ``PREFIX`` unless it starts with one of ``ABSOLUTE``;
    a subclass per sandbox sets both.
    """

    PREFIX: ClassVar[str] = ""
    ABSOLUTE: ClassVar[tuple[str, ...]] = ("/_sandbox",)

    method: str
    template: str
    handler: str
    pattern: re.Pattern[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        body = re.sub(
            r"\{(\w+)\}",
            lambda m: "(?P<" + re.sub(r"(?<!^)(?=[A-Z])", "_", m[1]).lower() + ">[^/]+)",
            self.template,
        )
        if not self.template.startswith(self.ABSOLUTE):
            body = self.PREFIX + body
        object.__setattr__(self, "pattern", re.compile(f"^{body}/?$"))


RouteT = TypeVar("RouteT", bound=Route)


def find_route(
    routes: Iterable[RouteT], method: str, path: str
) -> tuple[RouteT | None, dict[str, str], bool]:
    """The route serving ``method path`` and its parameters; without one, whether another
    method is served at that path (a 405 rather than a 404)."""
    other_method = False
    for route in routes:
        match = route.pattern.match(path)
        if match is None:
            continue
        if route.method == method:
            return route, match.groupdict(), False
        other_method = True
    return None, {}, other_method


def control_routes(route: type[RouteT]) -> list[RouteT]:
    """The control endpoints every sandbox serves (handlers on :class:`SandboxApp`)."""
    return [
        route("GET", "/_sandbox/faults", "get_faults"),
        route("POST", "/_sandbox/faults", "set_faults"),
        route("GET", "/_sandbox/stats", "get_stats"),
        route("POST", "/_sandbox/reset-stats", "reset_stats"),
    ]


# --------------------------------------------------------------------------------------------
# State.
# --------------------------------------------------------------------------------------------

MOST_VALUES_PICKED = 500
"""The most values a look-up picks its rows by in one SQL query (well within the 999 variables
an old SQLite allows); a look-up by more decodes every row instead."""


class SqliteStore:
    """One SQLite connection behind a lock (the server is threaded), in autocommit mode so that
    a subclass opens its own ``BEGIN IMMEDIATE`` transactions (:meth:`_transaction`); WAL for a
    file, so that another process (a test, the CLI) can read while the sandbox writes.

    ``dry_run``: the database at ``db_path`` is copied into memory and served from there, so
    that nothing reaches the file, not even the tables a database made by an older plansync
    lacks (a plan is a dry run, and writes nothing).
    """

    def __init__(self, db_path: str | Path, schema: str, *, dry_run: bool = False):
        self._lock = threading.RLock()
        copy = dry_run and str(db_path) != ":memory:"
        self._db = sqlite3.connect(
            ":memory:" if copy else str(db_path), check_same_thread=False, isolation_level=None
        )
        try:
            if copy:
                _copy_into(Path(db_path), self._db)
            elif str(db_path) != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(schema)
        except sqlite3.DatabaseError as exc:  # not a database, or a damaged one: say which
            self._db.close()
            raise sqlite3.DatabaseError(f"{db_path}: {exc}") from None
        try:
            self._db.execute("SELECT 1 FROM json_each('[]')")
            self._json_functions = True
        except sqlite3.OperationalError:
            self._json_functions = False
        """Whether this SQLite has its JSON functions (built in since 3.38; often before), so
        that a look-up by a field kept in a JSON column can pick its rows in SQLite instead of
        decoding every one."""

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """A :func:`~plansync.sqlite.transaction` under the lock."""
        with self._lock, transaction(self._db):
            yield


def _copy_into(path: Path, target: sqlite3.Connection) -> None:
    """Copy the database at ``path`` into ``target``, writing nothing there: read as the state
    store is for a plan, so that a plan works in a read-only ``.plansync/`` (it said "attempt
    to write a readonly database" of the sandbox's once the state store's was read)."""
    source = reader(path.resolve())
    try:
        source.backup(target)
    finally:
        source.close()


# --------------------------------------------------------------------------------------------
# The app base.
# --------------------------------------------------------------------------------------------


class SandboxApp:
    """WSGI entry, counting and fault injection; a subclass implements ``_dispatch`` (routing,
    auth, handlers) and ``_fault_error`` (how its service answers an injected status).

    Control endpoints (``/_sandbox/...``) are the subclass's to route; they are neither counted
    nor faulted, so a test can always read what happened.
    """

    request_class: ClassVar[type[Request]] = Request

    def __init__(self, faults: FaultPlan):
        self.faults = faults
        self._stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()

    # ---- public Python API (for in-process tests) ---------------------------------------

    def configure_faults(self, config: Mapping[str, Any]) -> None:
        """What ``POST /_sandbox/faults`` does, for tests that hold the app in-process."""
        self.faults.configure(config)

    def stats(self) -> dict[str, Any]:
        """``{"total": N, "by_route": {"<METHOD> <route template>": n, ...}}``."""
        with self._stats_lock:
            return {
                "total": sum(self._stats.values()),
                "by_route": dict(sorted(self._stats.items())),
            }

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._stats.clear()

    # ---- for subclasses ------------------------------------------------------------------

    def _count(self, route_label: str) -> int:
        """Count one API request under ``route_label``; the total so far, this one included."""
        with self._stats_lock:
            self._stats[route_label] += 1
            return sum(self._stats.values())

    def _inject(self, request: Request) -> Fault | None:
        """Sleep the latency, then apply the fault this request suffers: a drop before commit
        or an error status raise here; a drop after commit is returned, for the caller to raise
        :class:`DropConnection` once the work is done."""
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000)
        fault = self.faults.pick(request.method, request.path)
        if fault is not None and fault.drop == "before_commit":
            raise DropConnection
        if fault is not None and fault.drop is None:
            raise self._fault_error(fault)
        return fault

    def _fault_error(self, fault: Fault) -> HttpError:
        raise NotImplementedError

    def _dispatch(self, request: Any) -> Response:
        raise NotImplementedError

    def _bad_request(self, message: str) -> HttpError:
        """A 400 in the service's error shape (for a bad ``POST /_sandbox/faults``)."""
        raise NotImplementedError

    def _common_headers(self, request: Any) -> list[tuple[str, str]]:
        """Headers every response carries (Salesforce: ``Sforce-Limit-Info``)."""
        return []

    # ---- control endpoints shared by the sandboxes (routed by each) -------------------------

    def _get_faults(self, request: Request) -> Response:
        return Response(200, self.faults.snapshot())

    def _set_faults(self, request: Request) -> Response:
        try:
            config = json.loads(request.body)
            if not isinstance(config, dict):
                raise ValueError("the fault plan must be a JSON object")
            self.faults.configure(config)
        except ValueError as exc:  # bad JSON too
            raise self._bad_request(str(exc)) from None
        return Response(200, self.faults.snapshot())

    def _get_stats(self, request: Request) -> Response:
        return Response(200, self.stats())

    def _reset_stats(self, request: Request) -> Response:
        self.reset_stats()
        return Response(204)

    # ---- WSGI ----------------------------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = self.request_class.from_environ(environ)
        try:
            response = self._dispatch(request)
        except HttpError as error:
            response = Response(error.status, error.body(), error.headers)
        headers = [*response.headers, *self._common_headers(request)]
        if isinstance(response.body, bytes):
            payload = response.body
        elif response.body is None:
            payload = b""
        else:
            payload = json.dumps(response.body).encode()
            headers.append(("Content-Type", "application/json;charset=UTF-8"))
        headers.insert(0, ("Content-Length", str(len(payload))))
        start_response(f"{response.status} {REASONS.get(response.status, 'Error')}", headers)
        return [payload]
