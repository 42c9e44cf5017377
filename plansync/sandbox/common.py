"""What the sandboxes (Jira, Salesforce) share: WSGI plumbing, routing, counting and faults.

Each sandbox answers in its own API's shapes, so what is shared stops where the shapes begin:
:class:`SandboxApp` turns WSGI into :class:`Request`/:class:`Response`, counts every API request
(which is how tests measure what a sync costs), sleeps the configured latency and applies the
:class:`FaultPlan`; a subclass routes, authenticates and renders errors (:class:`HttpError`
subclasses) the way its real service does.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar
from urllib.parse import parse_qs

from plansync.engine.state import reader
from plansync.sandbox.server import DropConnection


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
# Faults.
# --------------------------------------------------------------------------------------------

DropWhen = Literal["before_commit", "after_commit"]


@dataclass
class Fault:
    """One queued fault: answer ``status`` (optionally naming ``error_code``) or drop."""

    status: int | None = None
    retry_after: int | None = None
    path_contains: str = ""
    method: str | None = None
    count: int = 1
    drop: DropWhen | None = None
    error_code: str | None = None
    records: tuple[str, ...] | None = None
    """A per-record fault (Salesforce): the request goes on, and these records of it (external
    ids or Ids) are refused with ``error_code``; ``count`` is the requests it falls on."""
    committed: bool | None = None
    """A per-record fault whose records are saved all the same (a lock refusal that came after
    the commit): the answer says refused, the org holds the record."""

    def matches(self, method: str, path: str) -> bool:
        return self.path_contains in path and self.method in (None, method)

    def retry_after_headers(self, default: int) -> list[tuple[str, str]]:
        """``Retry-After`` on the statuses that carry it (429, 503)."""
        if self.status not in (429, 503):
            return []
        return [("Retry-After", str(self.retry_after if self.retry_after is not None else default))]


MOST_VALUES_PICKED = 500
"""The most values a look-up picks its rows by in one SQL query (well within the 999 variables
an old SQLite allows); a look-up by more decodes every row instead."""


_FAULT_KEYS = {"status", "retry_after", "path_contains", "method", "count", "drop"}


class FaultPlan:
    """Latency and faults for an app; thread-safe; configured by a JSON-able mapping.

    Format (every key optional; keys present replace the current value, ``fail_next``
    entries are appended to the queue, ``"clear": true`` first resets everything)::

        {"latency_ms": 50,                # added to every API request
         "rate_429": 0.1, "rate_500": 0.05, "seed": 7, "retry_after": 1,
         "fail_next": [                   # one-shot faults, first match wins
            {"status": 429, "retry_after": 1, "path_contains": "bulk", "count": 2},
            {"status": 500, "method": "GET"},
            {"drop": true},               # close the socket; the request never ran
            {"drop": "after_commit", "path_contains": "issue/bulk"}]}  # ran, response lost

    ``drop: true`` means ``"before_commit"``. Each app names its random ``rates`` (setting ->
    status answered), its own numeric ``settings`` (Jira: ``search_lag_ms``) and any
    further ``fail_next`` keys it reads (Salesforce: ``error_code``, and ``records`` with
    ``committed`` for per-record faults, see :attr:`Fault.records`).
    """

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        rates: Mapping[str, int] | None = None,
        settings: Iterable[str] = (),
        fault_keys: Iterable[str] = (),
    ):
        self._rate_statuses = dict(
            rates if rates is not None else {"rate_429": 429, "rate_500": 500}
        )
        self._setting_names = tuple(settings)
        self._fault_keys = _FAULT_KEYS | set(fault_keys)
        self._lock = threading.Lock()
        self._reset()
        if config:
            self.configure(config)

    def _reset(self) -> None:
        self.latency_ms: float = 0
        self.retry_after = 1
        self.rates = dict.fromkeys(self._rate_statuses, 0.0)
        self.settings: dict[str, float] = dict.fromkeys(self._setting_names, 0)
        self.seed: int | None = None
        self._rng = random.Random()
        self._queue: list[Fault] = []

    def configure(self, config: Mapping[str, Any]) -> None:
        """Apply a configuration; ``ValueError`` names the bad key (nothing applied then)."""
        number_names = ("latency_ms", "retry_after", *self._rate_statuses, *self._setting_names)
        unknown = set(config) - {"clear", "seed", "fail_next", *number_names}
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        faults = [self._fault(entry) for entry in config.get("fail_next", [])]
        numbers = {}
        for name in number_names:
            if name in config:
                number = config[name]
                if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
                    raise ValueError(f"{name} must be a non-negative number")
                numbers[name] = number
        if not isinstance(numbers.get("retry_after", 0), int):
            raise ValueError("retry_after must be whole seconds (clients parse it as an integer)")
        if sum(numbers.get(name, 0) for name in self._rate_statuses) > 1:
            raise ValueError(f"{' + '.join(self._rate_statuses)} must not exceed 1")
        seed = config.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError("seed must be an integer")
        with self._lock:
            if config.get("clear"):
                self._reset()
            for name, number in numbers.items():
                if name in self.rates:
                    self.rates[name] = number
                elif name in self.settings:
                    self.settings[name] = number
                else:
                    setattr(self, name, number)
            if "seed" in config:
                self.seed = config["seed"]
                self._rng = random.Random(self.seed)
            self._queue.extend(faults)

    def _fault(self, entry: Any) -> Fault:
        if not isinstance(entry, dict):
            raise ValueError("each fail_next entry must be an object")
        unknown = set(entry) - self._fault_keys
        if unknown:
            raise ValueError(f"unknown fail_next keys: {sorted(unknown)}")
        raw_drop = entry.get("drop")
        if raw_drop is not True and raw_drop not in (None, False, "before_commit", "after_commit"):
            raise ValueError("drop must be true, 'before_commit' or 'after_commit'")
        drop: DropWhen | None = "before_commit" if raw_drop is True else raw_drop or None
        status = entry.get("status")
        records = entry.get("records")
        if records is not None and not (
            isinstance(records, list) and records and all(isinstance(r, str) and r for r in records)
        ):
            raise ValueError("records must be a non-empty list of record keys")
        committed = entry.get("committed")
        if committed is not None and (not isinstance(committed, bool) or records is None):
            raise ValueError("committed must be true or false, on an entry with records")
        if not drop and records is None and not (isinstance(status, int) and 400 <= status <= 599):
            also = " or 'records'" if "records" in self._fault_keys else ""
            raise ValueError(f"a fail_next entry needs a 4xx/5xx 'status' or 'drop'{also}")
        retry_after = entry.get("retry_after")
        if retry_after is not None and (
            isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0
        ):
            raise ValueError("retry_after must be a non-negative integer (seconds)")
        count = entry.get("count", 1)
        if not isinstance(count, int) or count < 1:
            raise ValueError("count must be a positive integer")
        error_code = entry.get("error_code")
        if error_code is not None and not (isinstance(error_code, str) and error_code):
            raise ValueError("error_code must be a non-empty string")
        method = entry.get("method")
        return Fault(
            status=status,
            retry_after=retry_after,
            path_contains=str(entry.get("path_contains", "")),
            method=method.upper() if isinstance(method, str) else None,
            count=count,
            drop=drop,
            error_code=error_code,
            records=tuple(records) if records is not None else None,
            committed=committed,
        )

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "latency_ms": self.latency_ms,
                **self.rates,
                "seed": self.seed,
                "retry_after": self.retry_after,
                **self.settings,
                "fail_next": [
                    {k: v for k, v in vars(f).items() if v is not None} for f in self._queue
                ],
            }

    def pick(self, method: str, path: str) -> Fault | None:
        """The fault this request suffers, if any: queued one-shots first, then random rates.
        Per-record faults are not the request's (:meth:`pick_records`)."""
        with self._lock:
            for fault in self._queue:
                if fault.records is None and fault.matches(method, path):
                    self._use(fault)
                    return fault
            if any(self.rates.values()):
                roll, threshold = self._rng.random(), 0.0
                for name, rate in self.rates.items():
                    threshold += rate
                    if roll < threshold:
                        return Fault(status=self._rate_statuses[name])
        return None

    def pick_records(self, method: str, path: str, keys: Iterable[str]) -> dict[str, Fault]:
        """The per-record faults that the records ``keys`` of this request suffer, by key (the
        first queued wins); each one that names a key here is used once."""
        wanted = set(keys)
        hit: dict[str, Fault] = {}
        with self._lock:
            for fault in list(self._queue):
                named = wanted.intersection(fault.records or ())
                if named and fault.matches(method, path):
                    for key in named:
                        hit.setdefault(key, fault)
                    self._use(fault)
        return hit

    def _use(self, fault: Fault) -> None:
        fault.count -= 1
        if fault.count == 0:
            self._queue.remove(fault)


# --------------------------------------------------------------------------------------------
# State.
# --------------------------------------------------------------------------------------------


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
        """A ``BEGIN IMMEDIATE`` transaction under the lock, committed at the end of the block
        and rolled back on any error while it is open: a COMMIT that fails (a full disk, an I/O
        error) may have ended it already, and a ROLLBACK then raised "cannot rollback - no
        transaction is active", which hid the error that mattered behind a traceback."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise


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
