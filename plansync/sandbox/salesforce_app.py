"""A local Salesforce org: the REST, OAuth and SOAP-login endpoints plansync uses, over SQLite.

The real ``simple-salesforce`` client (and plansync's connector on it) runs unchanged against
it, over HTTPS on 127.0.0.1 (see ``tls.py``: the client builds ``https://`` URLs itself).
Shapes follow Salesforce's REST API documentation:

- errors are a JSON list ``[{"message": ..., "errorCode": ..., "fields": [...]}]``; OAuth
  errors are ``{"error": ..., "error_description": ...}``; SOAP login faults are SOAP faults;
- sObject Collections answer 200 with one result per record, in order; a record's failure is
  ``{"success": false, "errors": [{"statusCode", "message", "fields"}]}``. Errors of the whole
  request (bad JSON, a value of the wrong JSON type, an unknown field, more than 200 records)
  are a 400, as Salesforce fails deserialization before saving anything;
- every response carries ``Sforce-Limit-Info: api-usage=N/LIMIT``, N counting the
  ``/services/data/vXX.X`` requests; past ``api_limit`` they are refused with 403
  ``REQUEST_LIMIT_EXCEEDED``.

Endpoints (``vXX.X`` is any version from 31.0 to ``api_version``):

- ``POST /services/oauth2/token``: JWT bearer (RS256 assertion: ``iss`` the consumer key,
  ``sub`` a username, ``aud`` https://login.salesforce.com or https://test.salesforce.com (as
  Salesforce, which refuses a My Domain's URL there), ``exp`` in the future, signature checked when
  :class:`OrgAuth` has a public key), client credentials (My Domain only, not ``login``/``test``)
  and OAuth username-password; ``POST /services/Soap/u/XX.X``: the legacy SOAP login;
- ``GET /services/data/``: versions (no auth);
- under ``/services/data/vXX.X``: ``GET /sobjects/{Object}/describe``, ``GET|DELETE
  /sobjects/{Object}/{Id}``, ``PATCH /composite/sobjects/{Object}/{ExternalIdField}`` (upsert),
  ``PATCH /composite/sobjects`` (update by Id), ``GET /query?q=`` and ``GET /query/{locator}``.

Login URLs: a login may be posted at the bare path (``https://127.0.0.1:PORT/services/...``, what
plansync's connector does with ``domain`` set to the sandbox URL) or under a login host in the
path, ``/{host}.salesforce.com/services/...``: simple-salesforce's own logins post to
``https://{domain}.salesforce.com/...``, so ``domain="127.0.0.1:PORT/login"`` reaches the
sandbox as login host ``login`` (see :func:`login_domain`). The host is what the client
credentials flow checks (not ``login``/``test``), and a JWT audience naming it under the
sandbox's URL (simple-salesforce's) stands for ``https://{host}.salesforce.com``.

Objects: ``RFE__c`` and ``Feature__c`` by default (key prefixes a01, a02, ...; an object a
database has not seen yet takes the next prefix, kept there), with the fields of
:func:`custom_fields`; ``User`` is read-only, seeded with the people of the Jira sandbox.
Records live in SQLite (a file survives restarts); sessions the login endpoints hand out too.

SOQL: ``SELECT f, ... FROM Obj [WHERE cond AND ...] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST],
...] [LIMIT n] [OFFSET n]``, a condition being ``f = v``, ``f != v`` or ``f [NOT] IN (v, ...)``;
values are string literals (with Salesforce's escapes: ``\\'`` ``\\"`` ``\\\\`` ``\\n`` ``\\r``
``\\t`` ``\\b`` ``\\f``; any other backslash is an error), dates, numbers, ``true``/``false``
and ``null``. Text compares ignoring case unless the field is case-sensitive
(``Plansync_Id__c``), as in Salesforce. Anything else is a 400 ``MALFORMED_QUERY`` that says what
the sandbox supports. Results come 2000 a page (fewer with ``Sforce-Query-Options:
batchSize=N``) with ``nextRecordsUrl``.

Faults: the :class:`~plansync.sandbox.faults.FaultPlan` format of the Jira sandbox, with random
``rate_403`` (``REQUEST_LIMIT_EXCEEDED``) and ``rate_503`` instead of Jira's 429/500, and an
``error_code`` on ``fail_next`` entries (default per status: 401 ``INVALID_SESSION_ID``, 403
``REQUEST_LIMIT_EXCEEDED``, 500 ``UNKNOWN_EXCEPTION``, 503 ``SERVER_UNAVAILABLE``). A
``fail_next`` entry with ``records`` (external ids or Ids) is per record instead: the next
``count`` collection writes holding any of them answer 200, those records refused with
``error_code`` (default ``UNABLE_TO_LOCK_ROW``, as when another transaction holds the row) and
not saved, or saved all the same with ``"committed": true``. Every request
but the control endpoints is faulted and counted, logins included. Control endpoints (no
auth, never faulted, not counted): ``GET|POST /_sandbox/faults``, ``GET /_sandbox/stats``,
``POST /_sandbox/reset-stats``, ``GET /_sandbox/records`` (every record of every object, deleted
ones with ``IsDeleted: true``) and ``POST /_sandbox/records`` (``{"object": ..., "records":
[...]}``: plant records unchecked, e.g. the duplicates a non-unique external id allows).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
import secrets
import threading
import time
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from plansync.field_text import java_length
from plansync.sandbox.common import (
    MOST_VALUES_PICKED,
    Request,
    Response,
    Route,
    SandboxApp,
    SqliteStore,
    control_routes,
    find_route,
    now_stamp,
)
from plansync.sandbox.faults import Fault, FaultPlan
from plansync.sandbox.people import USERS as PEOPLE
from plansync.sandbox.salesforce_errors import ApiError, OAuthError, SoapFault
from plansync.sandbox.server import DropConnection
from plansync.sandbox.soql import NULL, Token, parse_soql, soql_error

DEFAULT_API_LIMIT = 15000
DEFAULT_OBJECTS = ("RFE__c", "Feature__c")
"""The objects of plansync's default Salesforce rules, which every sandbox has."""
COLLECTION_MAX = 200
QUERY_BATCH = 2000
MIN_QUERY_BATCH = 200
OLDEST_VERSION = 31
CURSORS_KEPT = 100
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"

# --------------------------------------------------------------------------------------------
# Ids.
# --------------------------------------------------------------------------------------------

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID = re.compile(r"^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$")


def salesforce_id(prefix: str, number: int) -> str:
    """An 18-character Id: key prefix, pod ``5g``, ``number`` in base 62, and the checksum
    suffix Salesforce derives from which of the 15 characters are upper case."""
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    short = f"{prefix}5g{digits.rjust(10, '0')}"
    suffix = ""
    for chunk in range(3):
        bits = sum(
            1 << i for i, char in enumerate(short[chunk * 5 : chunk * 5 + 5]) if char.isupper()
        )
        suffix += _SUFFIX[bits]
    return short + suffix


ORG_ID = salesforce_id("00D", 1)


# --------------------------------------------------------------------------------------------
# Schema.
# --------------------------------------------------------------------------------------------

PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
STATUSES = ("New", "Under Review", "Planned", "In Progress", "Done", "Declined")
_TEXT_TYPES = {"id", "string", "textarea", "picklist", "url", "email", "reference"}


@dataclass(frozen=True)
class SfField:
    """One field as ``describe`` shows it, and what the sandbox checks on writes and filters."""

    name: str
    label: str
    type: str
    length: int = 0
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    external_id: bool = False
    unique: bool = False
    case_sensitive: bool = False
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    reference_to: tuple[str, ...] = ()
    name_field: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "length": self.length,
            "custom": self.name.endswith("__c"),
            "createable": self.createable,
            "updateable": self.updateable,
            "nillable": self.nillable,
            "defaultedOnCreate": self.name in ("Id", "OwnerId", "CreatedDate", "LastModifiedDate"),
            "externalId": self.external_id,
            "idLookup": self.external_id or self.name == "Id",
            "unique": self.unique,
            "caseSensitive": self.case_sensitive,
            "nameField": self.name_field,
            "filterable": True,
            "sortable": self.type != "textarea",
            "calculated": False,
            "restrictedPicklist": self.restricted,
            "picklistValues": [
                {"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
                for v in self.picklist
            ],
            "referenceTo": list(self.reference_to),
            "relationshipName": "Owner" if self.name == "OwnerId" else None,
        }


def custom_fields() -> tuple[SfField, ...]:
    """The fields of every custom object: what plansync writes, keyed by ``Plansync_Id__c``."""
    read_only: dict[str, Any] = {"createable": False, "updateable": False}
    return (
        SfField("Id", "Record ID", "id", 18, nillable=False, case_sensitive=True, **read_only),
        SfField("Name", "Name", "string", 80, nillable=False, name_field=True),
        SfField("Description__c", "Description", "textarea", 32768),
        SfField("Due_Date__c", "Due Date", "date"),
        SfField("Priority__c", "Priority", "picklist", 255, picklist=PRIORITIES, restricted=True),
        SfField("Status__c", "Status", "picklist", 255, picklist=STATUSES),
        SfField("Account__c", "Account", "string", 255),
        SfField("Jira_Key__c", "Jira Key", "string", 255),
        SfField("Note_Link__c", "Note Link", "url", 255),
        SfField(
            "Plansync_Id__c",
            "Plansync ID",
            "string",
            255,
            external_id=True,
            unique=True,
            case_sensitive=True,
        ),
        SfField("OwnerId", "Owner ID", "reference", 18, nillable=False, reference_to=("User",)),
        SfField("CreatedDate", "Created Date", "datetime", nillable=False, **read_only),
        SfField("LastModifiedDate", "Last Modified Date", "datetime", nillable=False, **read_only),
    )


def _user_fields() -> tuple[SfField, ...]:
    read_only: dict[str, Any] = {"createable": False, "updateable": False}
    return (
        SfField("Id", "User ID", "id", 18, nillable=False, case_sensitive=True, **read_only),
        SfField("Name", "Full Name", "string", 121, name_field=True, **read_only),
        SfField("Email", "Email", "email", 128, **read_only),
        SfField("Username", "Username", "string", 80, unique=True, **read_only),
        SfField("IsActive", "Active", "boolean", nillable=False, **read_only),
    )


@dataclass(frozen=True)
class SObjectType:
    name: str
    key_prefix: str
    fields: tuple[SfField, ...]
    writable: bool = True

    @property
    def label(self) -> str:
        return self.name.removesuffix("__c").replace("_", " ")

    def field(self, name: str) -> SfField | None:
        """API names are case-insensitive, in SOQL and in JSON bodies alike."""
        return next((f for f in self.fields if f.name.lower() == name.lower()), None)


@dataclass(frozen=True)
class SfUser:
    id: str
    name: str
    email: str

    @property
    def username(self) -> str:
        return self.email

    def row(self) -> dict[str, Any]:
        return {
            "Id": self.id,
            "Name": self.name,
            "Email": self.email,
            "Username": self.username,
            "IsActive": True,
        }


USERS = [SfUser(salesforce_id("005", n), p.display_name, p.email) for n, p in enumerate(PEOPLE, 1)]
USER_OBJECT = SObjectType("User", "005", _user_fields(), writable=False)


# --------------------------------------------------------------------------------------------
# Errors and requests.
# --------------------------------------------------------------------------------------------


def _record_error(code: str, message: str, fields: Iterable[str] = ()) -> dict[str, Any]:
    return {"statusCode": code, "message": message, "fields": list(fields)}


NOT_FOUND = "The requested resource does not exist"
SESSION_INVALID = "Session expired or invalid"
_FAULT_MESSAGES = {
    "INVALID_SESSION_ID": SESSION_INVALID,
    "REQUEST_LIMIT_EXCEEDED": "TotalRequests Limit exceeded.",
    "UNKNOWN_EXCEPTION": "An unexpected error occurred. Please include this ErrorId if you "
    "contact support: 1234567890-12345 (-1234567890)",
    "SERVER_UNAVAILABLE": "Server temporarily unavailable. Try again later.",
    "UNABLE_TO_LOCK_ROW": "unable to obtain exclusive access to this record",
}
RECORD_FAULT = "UNABLE_TO_LOCK_ROW"
"""What a per-record fault refuses a record with unless it names an ``error_code``."""
_FAULT_CODES = {
    401: "INVALID_SESSION_ID",
    403: "REQUEST_LIMIT_EXCEEDED",
    500: "UNKNOWN_EXCEPTION",
    503: "SERVER_UNAVAILABLE",
}


@dataclass
class SfRequest(Request):
    """A request, with its API version, the login host named in its path, and its caller."""

    api_version: str = ""
    login_host: str = ""
    user: SfUser = USERS[0]

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}") from None

    def form(self) -> dict[str, str]:
        pairs = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[0] for key, values in pairs.items()}

    @property
    def data_path(self) -> str:
        return f"/services/data/v{self.api_version}"


@dataclass(frozen=True)
class SfRoute(Route):
    """Templates are relative to ``/services/data/vXX.X`` unless they start with ``/services/``."""

    PREFIX: ClassVar[str] = r"/services/data/v(?P<api_version>\d+\.0)"
    ABSOLUTE: ClassVar[tuple[str, ...]] = ("/services/", "/_sandbox")

    auth: bool = True


_LOGIN_HOST = re.compile(r"^/([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)\.salesforce\.com(/services/.*)$")


def login_domain(sandbox_url: str, host: str = "login") -> str:
    """What to give simple-salesforce as ``domain`` so that its logins reach the sandbox at
    ``sandbox_url`` as login host ``host`` (``login``, ``test`` or a My Domain like
    ``acme.my``): it posts to ``https://{domain}.salesforce.com/...``, which becomes
    ``https://127.0.0.1:PORT/{host}.salesforce.com/...``."""
    return f"{urlsplit(sandbox_url).netloc}/{host}"


# --------------------------------------------------------------------------------------------
# Auth configuration.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgAuth:
    """What the org accepts at login; a setting left None accepts anything.

    ``jwt_public_key``: PEM public key or certificate the JWT bearer assertions must be signed
    with (the connected app's certificate); ``password``: what the SOAP/OAuth password must be
    (for SOAP, the password followed by the security token). ``accept_any_token``: any bearer
    token is a valid session (the embedded default); when False, only tokens the login
    endpoints handed out are.
    """

    consumer_key: str | None = None
    consumer_secret: str | None = None
    jwt_public_key: str | bytes | None = None
    password: str | None = None
    accept_any_token: bool = True


def _public_key(pem: str | bytes) -> Any:
    data = pem.encode() if isinstance(pem, str) else pem
    if b"BEGIN CERTIFICATE" in data:
        return x509.load_pem_x509_certificate(data).public_key()
    return load_pem_public_key(data)


# --------------------------------------------------------------------------------------------
# State: SQLite, one connection behind a lock (the server is threaded).
# --------------------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS record (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    object TEXT NOT NULL,
    fields TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS record_object ON record(object, deleted);
CREATE TABLE IF NOT EXISTS sobject (
    name TEXT PRIMARY KEY,
    prefix TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS session (
    token TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    issued TEXT NOT NULL
);
"""


class _Store(SqliteStore):
    """Records (fields as JSON, Id included) and sessions. Every method is atomic."""

    def __init__(self, db_path: str | Path, *, dry_run: bool = False):
        super().__init__(db_path, _SCHEMA, dry_run=dry_run)

    def seed_objects(self, names: Iterable[str]) -> dict[str, str]:
        """Every custom object by name, with its key prefix: those stored, then those
        ``names`` names and those of stored records that are not (``a01``, ``a02``, ... in
        that order), stored too (a dry run's only in its copy in memory).

        A prefix is stored, not derived from the order of ``names``, because a record's Id
        begins with it: an object named beside others in a later run keeps its own.
        """
        with self._transaction():
            prefixes = dict(
                self._db.execute("SELECT name, prefix FROM sobject ORDER BY prefix").fetchall()
            )
            known = {name.lower() for name in prefixes}
            records = self._db.execute("SELECT DISTINCT object FROM record ORDER BY 1")
            for name in [*names, *(name for (name,) in records.fetchall())]:
                if name.lower() in known:
                    continue
                prefixes[name] = f"a{len(prefixes) + 1:02d}"
                known.add(name.lower())
                self._db.execute(
                    "INSERT INTO sobject (name, prefix) VALUES (?, ?)", (name, prefixes[name])
                )
        return prefixes

    def records(
        self,
        sobject: str,
        deleted: bool = False,
        picked_by: tuple[str, Collection[str]] | None = None,
    ) -> list[dict[str, Any]]:
        """The object's records in creation order (deleted ones too with ``deleted``).

        ``picked_by`` (a field, values): at least those whose field holds one of the values,
        exactly as written. Each plan looks its ids up 100 at a time; picked in SQLite, such a
        query decodes only its own records, not all of the object's."""
        query = "SELECT fields, deleted FROM record WHERE object = ? AND (? OR deleted = 0)"
        args: list[Any] = [sobject, deleted]
        if picked_by and len(picked_by[1]) <= MOST_VALUES_PICKED and self._json_functions:
            field, values = picked_by
            query += f" AND json_extract(fields, ?) IN ({', '.join('?' * len(values))})"
            args += [f"$.{field}", *values]
        with self._lock:
            rows = self._db.execute(f"{query} ORDER BY seq", args).fetchall()
        return [{**json.loads(f), **({"IsDeleted": bool(d)} if deleted else {})} for f, d in rows]

    def record(self, record_id: str) -> tuple[str, dict[str, Any], bool] | None:
        """(object, fields, deleted) of the record whose Id starts with ``record_id``'s 15."""
        with self._lock:
            row = self._db.execute(
                "SELECT object, fields, deleted FROM record WHERE substr(id, 1, 15) = ?",
                (record_id[:15],),
            ).fetchone()
        return (row[0], json.loads(row[1]), bool(row[2])) if row else None

    def save(
        self, new: list[tuple[str, str, dict[str, Any]]], changed: list[dict[str, Any]]
    ) -> None:
        """Insert ``(object, key prefix, fields)`` (each gets its Id, Name defaulting to it) and
        rewrite ``changed`` records, in one transaction."""
        with self._transaction():
            (seq,) = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM record").fetchone()
            for sobject, prefix, fields in new:
                seq += 1
                fields["Id"] = salesforce_id(prefix, seq)
                fields["Name"] = fields.get("Name") or fields["Id"]
                self._db.execute(
                    "INSERT INTO record (seq, id, object, fields) VALUES (?, ?, ?, ?)",
                    (seq, fields["Id"], sobject, json.dumps(fields)),
                )
            self._db.executemany(
                "UPDATE record SET fields = ? WHERE id = ?",
                [(json.dumps(fields), fields["Id"]) for fields in changed],
            )

    def delete(self, record_id: str) -> None:
        with self._lock:
            self._db.execute("UPDATE record SET deleted = 1 WHERE id = ?", (record_id,))

    def add_session(self, token: str, user_id: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO session (token, user_id, issued) VALUES (?, ?, ?)",
                (token, user_id, now_stamp()[0]),
            )

    def session_user(self, token: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT user_id FROM session WHERE token = ?", (token,)
            ).fetchone()
        return row[0] if row else None


# --------------------------------------------------------------------------------------------
# The app.
# --------------------------------------------------------------------------------------------

ROUTES = [
    SfRoute("GET", "/services/data", "versions", auth=False),
    SfRoute("POST", "/services/oauth2/token", "token", auth=False),
    SfRoute("POST", "/services/Soap/u/{version}", "soap_login", auth=False),
    SfRoute("GET", "/sobjects/{sobject}/describe", "describe"),
    SfRoute("GET", "/sobjects/{sobject}/{recordId}", "get_record"),
    SfRoute("DELETE", "/sobjects/{sobject}/{recordId}", "delete_record"),
    SfRoute("PATCH", "/sobjects/{sobject}/{recordId}", "update_record"),
    SfRoute("PATCH", "/composite/sobjects", "update_collection"),
    SfRoute("PATCH", "/composite/sobjects/{sobject}/{externalIdField}", "upsert_collection"),
    SfRoute("GET", "/query", "query"),
    SfRoute("GET", "/query/{locator}", "query_more"),
]
CONTROL_ROUTES = [
    *control_routes(SfRoute),
    SfRoute("GET", "/_sandbox/records", "dump_records"),
    SfRoute("POST", "/_sandbox/records", "plant_records"),
]


def _release(version: int) -> str:
    """The release a version shipped in: 59.0 is Winter '24, then Spring, Summer, Winter."""
    offset = version - 57
    season = ("Spring", "Summer", "Winter")[offset % 3]
    return f"{season} '{23 + offset // 3 + (offset % 3 == 2)}"


class SalesforceSandbox(SandboxApp):
    """The WSGI app. Thread-safe; state in SQLite at ``db_path`` (a file survives restarts).

    ``faults`` takes the fault plan format (module docstring); ``latency_ms`` is a shortcut for
    it. ``objects`` are the custom objects (key prefixes a01, a02, ... in the order the
    database first saw them);
    ``auth`` what logins and sessions are accepted; ``api_limit`` the daily API requests
    allowed before 403 ``REQUEST_LIMIT_EXCEEDED``.
    """

    request_class = SfRequest

    def __init__(
        self,
        db_path: str | Path = ":memory:",
        api_version: str = "59.0",
        latency_ms: int = 0,
        *,
        faults: Mapping[str, Any] | None = None,
        objects: Iterable[str] = DEFAULT_OBJECTS,
        auth: OrgAuth | None = None,
        api_limit: int = DEFAULT_API_LIMIT,
        dry_run: bool = False,
    ):
        """``objects``: the custom objects, each with the fields of :func:`custom_fields`;
        those of records already in the database are kept as well. ``dry_run`` serves the
        database from a copy in memory: nothing, objects new to it included, reaches the file
        (a plan writes nothing)."""
        if not re.fullmatch(r"\d+\.0", api_version) or int(api_version[:-2]) < 46:
            raise ValueError(f"api_version must be 46.0 or later, like '59.0', not {api_version!r}")
        super().__init__(
            FaultPlan(
                {"latency_ms": latency_ms, **(faults or {})},
                rates={"rate_403": 403, "rate_503": 503},
                fault_keys=["error_code", "records", "committed"],
            )
        )
        self.api_version = api_version
        self.auth = auth or OrgAuth()
        self.api_limit = api_limit
        self._store = _Store(db_path, dry_run=dry_run)
        try:
            prefixes = self._store.seed_objects(objects)
        except BaseException:
            self._store.close()
            raise
        self._objects = {
            name.lower(): SObjectType(name, prefix, custom_fields())
            for name, prefix in prefixes.items()
        }
        self._objects["user"] = USER_OBJECT
        # A collection is read, checked and saved as one step: two concurrent upserts of one
        # new external id must not both create (Salesforce's unique index forbids it).
        self._write_lock = threading.Lock()
        self._api_calls = 0
        self._cursors: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self._cursors_lock = threading.Lock()
        self._public_key = (
            _public_key(self.auth.jwt_public_key) if self.auth.jwt_public_key else None
        )

    # ---- public Python API (for in-process tests) ---------------------------------------

    def close(self) -> None:
        """Release the database (a new app on the same file sees everything committed)."""
        self._store.close()

    def records(self, sobject: str) -> list[dict[str, Any]]:
        """Every live record of ``sobject``, all fields, in creation order."""
        return self._store.records(self._sobject(sobject).name)

    def add_records(self, sobject: str, records: list[dict[str, Any]]) -> list[str]:
        """Store records as given, unchecked (no uniqueness, no picklists): how a test plants
        what the API would refuse, e.g. two records with one external id. Returns their Ids."""
        kind = self._writable(sobject)
        now = now_stamp()[0]
        new = [
            (
                kind.name,
                kind.key_prefix,
                {"OwnerId": USERS[0].id, **r, "CreatedDate": now, "LastModifiedDate": now},
            )
            for r in records
        ]
        self._store.save(new, [])
        return [fields["Id"] for _, _, fields in new]

    # ---- dispatch ------------------------------------------------------------------------

    def _common_headers(self, request: SfRequest) -> list[tuple[str, str]]:
        return [("Sforce-Limit-Info", f"api-usage={self._api_calls}/{self.api_limit}")]

    def _dispatch(self, request: SfRequest) -> Response:
        if request.path.startswith("/_sandbox/"):
            route, params, _ = find_route(CONTROL_ROUTES, request.method, request.path)
            if route is None:
                raise ApiError(404, "NOT_FOUND", NOT_FOUND)
            answer: Response = getattr(self, "_" + route.handler)(request, **params)
            return answer

        login = _LOGIN_HOST.match(request.path)
        if login is not None:
            request.login_host, request.path = login.group(1).lower(), login.group(2)
        route, params, other_method = find_route(ROUTES, request.method, request.path)
        version = params.pop("api_version", None)
        template = "(unknown)" if route is None else route.template
        if version is not None:
            request.api_version = version
            template = f"{request.data_path}{template}"
            with self._stats_lock:
                self._api_calls += 1
                over_limit = self._api_calls > self.api_limit
        else:
            over_limit = False
        self._count(f"{request.method} {template}")
        fault = self._inject(request)
        if over_limit:
            raise ApiError(403, "REQUEST_LIMIT_EXCEEDED", _FAULT_MESSAGES["REQUEST_LIMIT_EXCEEDED"])
        if route is None or route.auth:
            self._authenticate(request)
        if route is None:
            if other_method:
                raise ApiError(
                    405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed."
                )
            raise ApiError(404, "NOT_FOUND", NOT_FOUND)
        if version is not None and not OLDEST_VERSION <= int(version[:-2]) <= int(
            self.api_version[:-2]
        ):
            raise ApiError(404, "NOT_FOUND", NOT_FOUND)
        response: Response = getattr(self, "_" + route.handler)(request, **params)
        if fault is not None:  # drop after_commit: the work is done, the answer is lost
            raise DropConnection
        return response

    def _fault_error(self, fault: Fault) -> ApiError:
        assert fault.status is not None
        code = fault.error_code or _FAULT_CODES.get(fault.status, "UNKNOWN_EXCEPTION")
        message = _FAULT_MESSAGES.get(code, f"Injected fault: HTTP {fault.status}.")
        headers = fault.retry_after_headers(self.faults.retry_after)
        return ApiError(fault.status, code, message, headers=headers)

    def _authenticate(self, request: SfRequest) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() not in ("bearer", "oauth") or not token:
            raise ApiError(401, "INVALID_SESSION_ID", SESSION_INVALID)
        user_id = self._store.session_user(token)
        if user_id is None and not self.auth.accept_any_token:
            raise ApiError(401, "INVALID_SESSION_ID", SESSION_INVALID)
        request.user = next((u for u in USERS if u.id == user_id), USERS[0])

    def _sobject(self, name: str) -> SObjectType:
        kind = self._objects.get(name.lower())
        if kind is None:
            raise ApiError(404, "NOT_FOUND", NOT_FOUND)
        return kind

    def _writable(self, name: str) -> SObjectType:
        kind = self._sobject(name)
        if not kind.writable:
            raise ApiError(
                400, "INVALID_TYPE", f"sObject type '{kind.name}' is not supported here."
            )
        return kind

    # ---- logins ----------------------------------------------------------------------------

    def _issue(self, user: SfUser) -> str:
        token = f"{ORG_ID[:15]}!{secrets.token_urlsafe(60)}"
        self._store.add_session(token, user.id)
        return token

    def _user_named(self, username: str) -> SfUser | None:
        return next((u for u in USERS if u.username.lower() == username.strip().lower()), None)

    def _token(self, request: SfRequest) -> Response:
        form = request.form()
        grant = form.get("grant_type", "")
        if grant == JWT_BEARER:
            user = self._jwt_user(request, form.get("assertion", ""))
        elif grant == "client_credentials":
            user = self._client_credentials_user(request, form)
        elif grant == "password":
            self._check_client(form.get("client_id"), form.get("client_secret"))
            named = self._user_named(form.get("username", ""))
            if named is None or self.auth.password not in (None, form.get("password")):
                raise OAuthError("invalid_grant", "authentication failure")
            user = named
        else:
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        instance = request.base_url
        issued = str(int(time.time() * 1000))
        return Response(
            200,
            {
                "access_token": self._issue(user),
                "scope": "api",
                "instance_url": instance,
                "id": f"{instance}/id/{ORG_ID}/{user.id}",
                "token_type": "Bearer",
                "issued_at": issued,
                "signature": base64.b64encode(
                    hashlib.sha256(f"{instance}{issued}".encode()).digest()
                ).decode(),
            },
        )

    def _check_client(self, consumer_key: str | None, secret: str | None) -> None:
        if not consumer_key or self.auth.consumer_key not in (None, consumer_key):
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if secret is not None and self.auth.consumer_secret not in (None, secret):
            raise OAuthError("invalid_client", "invalid client credentials")

    def _jwt_user(self, request: SfRequest, assertion: str) -> SfUser:
        """Check an RS256 assertion as Salesforce does: structure, issuer, subject, audience,
        expiry, and the signature against the connected app's key when one is configured."""
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise OAuthError("invalid_grant", "invalid assertion") from None
        if header.get("alg") != "RS256":
            raise OAuthError("invalid_grant", "invalid assertion: alg must be RS256")
        if self._public_key is not None:
            try:
                jwt.PyJWS().decode(assertion, self._public_key, algorithms=["RS256"])
            except jwt.PyJWTError:
                raise OAuthError("invalid_grant", "invalid assertion: bad signature") from None
        self._check_client(claims.get("iss"), None)
        # Salesforce takes only its login servers as the audience, never the URL the assertion
        # is posted to (a My Domain's). simple-salesforce's own JWT login names the login host
        # it was given, which here is in the path: read that as the host it stands for.
        audience = str(claims.get("aud", "")).rstrip("/")
        under = audience.removeprefix(f"{request.base_url}/")
        if under != audience and under.endswith(".salesforce.com"):
            audience = f"https://{under}"
        if audience not in ("https://login.salesforce.com", "https://test.salesforce.com"):
            raise OAuthError("invalid_grant", "audience is invalid")
        try:
            expires = int(str(claims.get("exp")))  # simple-salesforce sends it as a string
        except ValueError:
            raise OAuthError("invalid_grant", "invalid assertion: exp is missing") from None
        if expires <= time.time():
            raise OAuthError("invalid_grant", "expired assertion")
        user = self._user_named(str(claims.get("sub", "")))
        if user is None:
            raise OAuthError("invalid_grant", "user hasn't approved this consumer")
        return user

    def _client_credentials_user(self, request: SfRequest, form: dict[str, str]) -> SfUser:
        """Client credentials run as the app's run-as user (the first seeded user); Salesforce
        answers them on a My Domain only."""
        if request.login_host in ("login", "test"):
            raise OAuthError("invalid_grant", "request not supported on this domain")
        key, secret = form.get("client_id"), form.get("client_secret")
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                key, _, secret = base64.b64decode(encoded).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise OAuthError("invalid_client", "invalid client credentials") from None
        self._check_client(key, secret or "")
        return USERS[0]

    def _soap_login(self, request: SfRequest, version: str) -> Response:
        """The partner API ``login`` call: username, and password + security token."""
        try:
            root = ET.fromstring(request.body)
        except ET.ParseError:
            raise SoapFault(
                "INVALID_LOGIN", "Invalid username, password, security token; or user locked out."
            ) from None
        values = {el.tag.rpartition("}")[2]: el.text or "" for el in root.iter()}
        user = self._user_named(values.get("username", ""))
        if user is None or self.auth.password not in (None, values.get("password")):
            raise SoapFault(
                "INVALID_LOGIN", "Invalid username, password, security token; or user locked out."
            )
        token = self._issue(user)
        server = f"{request.base_url}/services/Soap/u/{version}/{ORG_ID[:15]}"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
            'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns="urn:partner.soap.sforce.com" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse>'
            f"<result><metadataServerUrl>{escape(server.replace('/u/', '/m/'))}"
            "</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>true</sandbox>"
            f"<serverUrl>{escape(server)}</serverUrl><sessionId>{escape(token)}</sessionId>"
            f"<userId>{user.id}</userId><userInfo><organizationId>{ORG_ID}</organizationId>"
            f"<userEmail>{escape(user.email)}</userEmail><userFullName>{escape(user.name)}"
            f"</userFullName><userId>{user.id}</userId><userName>{escape(user.username)}"
            "</userName></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"
        )
        return Response(200, body.encode(), [("Content-Type", "text/xml;charset=UTF-8")])

    # ---- metadata ----------------------------------------------------------------------------

    def _versions(self, request: SfRequest) -> Response:
        newest = int(self.api_version[:-2])
        return Response(
            200,
            [
                {"label": _release(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
                for v in range(OLDEST_VERSION, newest + 1)
            ],
        )

    def _describe(self, request: SfRequest, sobject: str) -> Response:
        kind = self._sobject(sobject)
        base = f"{request.data_path}/sobjects/{kind.name}"
        return Response(
            200,
            {
                "name": kind.name,
                "label": kind.label,
                "labelPlural": kind.label + "s",
                "keyPrefix": kind.key_prefix,
                "custom": kind.name.endswith("__c"),
                "createable": kind.writable,
                "updateable": kind.writable,
                "deletable": kind.writable,
                "queryable": True,
                "searchable": True,
                "fields": [f.describe() for f in kind.fields],
                "urls": {
                    "sobject": base,
                    "describe": f"{base}/describe",
                    "rowTemplate": f"{base}/{{ID}}",
                },
            },
        )

    # ---- records -----------------------------------------------------------------------------

    def _render(
        self,
        request: SfRequest,
        kind: SObjectType,
        row: dict[str, Any],
        names: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """A record as the API shows it: ``attributes``, then the fields asked (all: None)."""
        wanted = [f.name for f in kind.fields] if names is None else list(names)
        return {
            "attributes": {
                "type": kind.name,
                "url": f"{request.data_path}/sobjects/{kind.name}/{row['Id']}",
            },
            **{name: row.get(name) for name in wanted},
        }

    def _find(self, kind: SObjectType, record_id: str) -> dict[str, Any]:
        if kind is USER_OBJECT:
            user = next((u for u in USERS if u.id[:15] == record_id[:15]), None)
            if user is None or not _ID.match(record_id):
                raise ApiError(404, "NOT_FOUND", NOT_FOUND)
            return user.row()
        found = self._store.record(record_id) if _ID.match(record_id) else None
        if found is None or found[0] != kind.name:
            raise ApiError(404, "NOT_FOUND", NOT_FOUND)
        if found[2]:
            raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
        return found[1]

    def _get_record(self, request: SfRequest, sobject: str, record_id: str) -> Response:
        kind = self._sobject(sobject)
        row = self._find(kind, record_id)
        names = None
        if request.list_arg("fields"):
            names = []
            for name in request.list_arg("fields"):
                spec = kind.field(name)
                if spec is None:
                    raise ApiError(
                        400,
                        "INVALID_FIELD",
                        f"No such column '{name}' on sobject of type {kind.name}",
                    )
                names.append(spec.name)
        return Response(200, self._render(request, kind, row, names))

    def _delete_record(self, request: SfRequest, sobject: str, record_id: str) -> Response:
        kind = self._writable(sobject)
        self._store.delete(self._find(kind, record_id)["Id"])
        return Response(204)

    def _update_record(self, request: SfRequest, sobject: str, record_id: str) -> Response:
        """One record's update (simple-salesforce's ``sf.Feature__c.update(id, {...})``): what
        a person editing a record in the org does, for a trial of a remote edit. plansync
        itself updates by collection."""
        kind = self._writable(sobject)
        body = request.json()
        if not isinstance(body, dict):
            raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object.")
        with self._write_lock:
            found = self._find(kind, record_id)
            values = self._values(kind, body)
            if any(spec.name == "Id" for spec in values):
                raise ApiError(400, "INVALID_FIELD", "Unable to create/update fields: Id.", ["Id"])
            errors = self._field_errors(values, creating=False)
            if errors:
                first = errors[0]
                raise ApiError(400, first["statusCode"], first["message"], first["fields"])
            self._store.save([], [self._stored(values, found)])
        return Response(204)

    # ---- writes --------------------------------------------------------------------------------

    def _collection(self, request: SfRequest) -> tuple[list[dict[str, Any]], bool]:
        """The records and allOrNone of a collection body; errors of the whole request raise."""
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise ApiError(
                400, "JSON_PARSER_ERROR", "The request body must be an object with 'records'."
            )
        records = body["records"]
        if len(records) > COLLECTION_MAX:
            raise ApiError(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {COLLECTION_MAX} records into "
                "this call",
            )
        for record in records:
            attributes = record.get("attributes") if isinstance(record, dict) else None
            if not isinstance(attributes, dict) or not isinstance(attributes.get("type"), str):
                raise ApiError(
                    400,
                    "INVALID_TYPE",
                    "Each record in a collection needs an attributes map with its type.",
                )
        return records, bool(body.get("allOrNone", False))

    def _values(self, kind: SObjectType, record: dict[str, Any]) -> dict[SfField, Any]:
        """The record's fields, resolved; unknown fields and values of the wrong JSON type fail
        the whole request (Salesforce fails while deserializing, before saving anything)."""
        values = {}
        for name, value in record.items():
            if name == "attributes":
                continue
            spec = kind.field(name)
            if spec is None:
                raise ApiError(
                    400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {kind.name}"
                )
            if value is not None:
                if spec.type == "date":
                    try:
                        value = dt.date.fromisoformat(str(value)).isoformat()
                    except ValueError:
                        value = None
                elif (
                    spec.type in _TEXT_TYPES
                    and isinstance(value, int | float)
                    and not isinstance(value, bool)
                ):
                    value = str(value)
                if not isinstance(value, str):
                    raise ApiError(
                        400,
                        "JSON_PARSER_ERROR",
                        f"Cannot deserialize instance of {spec.type} from "
                        f"{json.dumps(record[name])} for field {spec.name}",
                    )
            values[spec] = value
        return values

    def _field_errors(self, values: dict[SfField, Any], creating: bool) -> list[dict[str, Any]]:
        """Per-record errors: read-only fields, required ones, lengths, picklists, owners."""
        errors = []
        locked = [s.name for s in values if not (s.createable if creating else s.updateable)]
        if locked:
            errors.append(
                _record_error(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {', '.join(locked)}. Please check the "
                    "security settings of this field and verify that it is read/write for your "
                    "profile or permission set.",
                    locked,
                )
            )
        for spec, value in values.items():
            if spec.name in locked:
                continue
            if value is None:
                if not spec.nillable and not (creating and spec.name in ("Name", "OwnerId")):
                    errors.append(
                        _record_error(
                            "REQUIRED_FIELD_MISSING",
                            f"Required fields are missing: [{spec.name}]",
                            [spec.name],
                        )
                    )
            elif spec.length and spec.type != "reference" and java_length(value) > spec.length:
                errors.append(
                    _record_error(
                        "STRING_TOO_LONG",
                        f"{spec.label}: data value too large: {value[:50]} (max length="
                        f"{spec.length})",
                        [spec.name],
                    )
                )
            elif spec.restricted and value not in spec.picklist:
                errors.append(
                    _record_error(
                        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                        f"{spec.label}: bad value for restricted picklist field: {value}",
                        [spec.name],
                    )
                )
            elif spec.type == "reference" and not any(u.id[:15] == value[:15] for u in USERS):
                errors.append(
                    _record_error(
                        "INVALID_CROSS_REFERENCE_KEY",
                        f"{spec.label}: id value of incorrect type: {value}",
                        [spec.name],
                    )
                )
        return errors

    @staticmethod
    def _stored(values: dict[SfField, Any], into: dict[str, Any]) -> dict[str, Any]:
        """``into`` with ``values`` applied (owner ids in their 18-character form)."""
        out = dict(into)
        for spec, value in values.items():
            if value is None and not spec.nillable:
                continue  # Name and OwnerId left out of a create: defaulted
            if spec.type == "reference" and value is not None:
                value = next(u.id for u in USERS if u.id[:15] == value[:15])
            out[spec.name] = value
        out["LastModifiedDate"] = now_stamp()[0]
        return out

    @staticmethod
    def _results(
        outcomes: list[dict[str, Any]], all_or_none: bool
    ) -> tuple[list[dict[str, Any]], bool]:
        """With allOrNone and a failure, every success turns into a rolled-back failure.
        Returns the results and whether to save."""
        if not all_or_none or all(o["success"] for o in outcomes):
            return outcomes, True
        rolled_back = _record_error(
            "ALL_OR_NONE_OPERATION_ROLLED_BACK",
            "Record rolled back because not all records were valid and the request was using "
            "AllOrNone header",
        )
        return [
            o if not o["success"] else {"success": False, "errors": [rolled_back]} for o in outcomes
        ], False

    def _upsert_collection_unlocked(
        self, request: SfRequest, sobject: str, external_id_field: str
    ) -> Response:
        kind = self._writable(sobject)
        key = kind.field(external_id_field)
        if key is None:
            raise ApiError(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: "
                f"{external_id_field}",
            )
        if not key.external_id:
            raise ApiError(
                400, "INVALID_FIELD", f"Field {key.name} is not an External ID field on {kind.name}"
            )
        records, all_or_none = self._collection(request)
        for record in records:
            if record["attributes"]["type"].lower() != kind.name.lower():
                raise ApiError(
                    400, "INVALID_TYPE", f"Records in this collection must be of type {kind.name}."
                )
        parsed = [self._values(kind, record) for record in records]
        existing: dict[str, list[dict[str, Any]]] = {}
        for row in self._store.records(kind.name):
            if row.get(key.name) is not None:
                existing.setdefault(row[key.name], []).append(row)
        keys = [values.get(key) for values in parsed]
        faults = self._record_faults(request, keys)
        outcomes, new, changed = [], [], []
        now = now_stamp()[0]
        for values, value in zip(parsed, keys, strict=True):
            matches = existing.get(value, []) if value is not None else []
            errors = []
            fault = faults.get(value)
            if fault is not None and not fault.committed:
                errors = [self._record_fault_error(fault)]
            elif value is None:
                errors = [
                    _record_error("MISSING_ARGUMENT", f"{key.name} not specified", [key.name])
                ]
            elif keys.count(value) > 1:
                errors = [
                    _record_error(
                        "DUPLICATE_EXTERNAL_ID",
                        f"Duplicate external id specified: {value}",
                        [key.name],
                    )
                ]
            elif len(matches) > 1:
                ids = ", ".join(row["Id"] for row in matches)
                errors = [
                    _record_error(
                        "DUPLICATE_EXTERNAL_ID",
                        f"{key.label}: more than one record found for external id field: [{ids}]",
                        [key.name],
                    )
                ]
            else:
                errors = self._field_errors(values, creating=not matches)
            if errors:
                outcomes.append({"success": False, "errors": errors})
            elif matches:
                changed.append(self._stored(values, matches[0]))
                outcomes.append(
                    {"id": matches[0]["Id"], "success": True, "errors": [], "created": False}
                )
            else:
                fields = self._stored(values, {"OwnerId": request.user.id, "CreatedDate": now})
                new.append((kind.name, kind.key_prefix, fields))
                outcomes.append({"id": None, "success": True, "errors": [], "created": True})
        results, save = self._results(outcomes, all_or_none)
        if save:
            self._store.save(new, changed)
            created = iter(fields["Id"] for _, _, fields in new)
            for outcome in results:
                if outcome.get("created"):
                    outcome["id"] = next(created)
        return Response(200, self._refused_after_commit(results, keys, faults))

    def _update_collection_unlocked(self, request: SfRequest) -> Response:
        """Update by Id; the records may be of several writable types."""
        records, all_or_none = self._collection(request)
        work = []
        for record in records:
            kind = self._writable(record["attributes"]["type"])
            values = self._values(kind, record)
            record_id = next((v for s, v in values.items() if s.name == "Id"), None)
            work.append((kind, {s: v for s, v in values.items() if s.name != "Id"}, record_id))
        record_ids = [record_id for _, _, record_id in work]
        faults = self._record_faults(request, record_ids)
        outcomes, changed = [], []
        for kind, values, record_id in work:
            found = self._store.record(record_id) if record_id and _ID.match(record_id) else None
            fault = faults.get(record_id)
            if fault is not None and not fault.committed:
                errors = [self._record_fault_error(fault)]
            elif record_id is None:
                errors = [_record_error("MISSING_ARGUMENT", "Id not specified in an update call")]
            elif not _ID.match(record_id) or not record_id.startswith(kind.key_prefix):
                errors = [
                    _record_error(
                        "MALFORMED_ID",
                        f"{kind.label} ID: id value of incorrect type: {record_id}",
                        ["Id"],
                    )
                ]
            elif found is None or found[2]:
                errors = [_record_error("ENTITY_IS_DELETED", "entity is deleted")]
            else:
                errors = self._field_errors(values, creating=False)
            if errors:
                outcomes.append({"success": False, "errors": errors})
            else:
                assert found is not None
                changed.append(self._stored(values, found[1]))
                outcomes.append({"id": found[1]["Id"], "success": True, "errors": []})
        results, save = self._results(outcomes, all_or_none)
        if save:
            self._store.save([], changed)
        return Response(200, self._refused_after_commit(results, record_ids, faults))

    def _record_faults(self, request: SfRequest, keys: list[Any]) -> dict[Any, Fault]:
        """The per-record faults (``fail_next`` entries with ``records``) that the records of
        this collection, by external id or Id, suffer."""
        named = [key for key in keys if isinstance(key, str)]
        return self.faults.pick_records(request.method, request.path, named)

    @staticmethod
    def _record_fault_error(fault: Fault) -> dict[str, Any]:
        code = fault.error_code or RECORD_FAULT
        return _record_error(code, _FAULT_MESSAGES.get(code, f"Injected fault: {code}"))

    def _refused_after_commit(
        self, results: list[dict[str, Any]], keys: list[Any], faults: dict[Any, Fault]
    ) -> list[dict[str, Any]]:
        """``results`` with each record saved under a ``committed`` fault answered refused."""
        return [
            {"success": False, "errors": [self._record_fault_error(faults[key])]}
            if result["success"] and key in faults
            else result
            for result, key in zip(results, keys, strict=True)
        ]

    def _upsert_collection(
        self, request: SfRequest, sobject: str, external_id_field: str
    ) -> Response:
        with self._write_lock:
            return self._upsert_collection_unlocked(request, sobject, external_id_field)

    def _update_collection(self, request: SfRequest) -> Response:
        with self._write_lock:
            return self._update_collection_unlocked(request)

    # ---- query -----------------------------------------------------------------------------------

    def _query(self, request: SfRequest) -> Response:
        text = request.arg("q")
        if not text:
            raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
        soql = parse_soql(text)
        kind = self._objects.get(soql.sobject.value.lower())
        if kind is None:
            raise soql_error(
                text,
                soql.sobject.column,
                f"sObject type '{soql.sobject.text}' is not supported. If you are attempting to "
                "use a custom object, be sure to append the '__c' after the entity name. Please "
                "reference your WSDL or the describe call for the appropriate names.",
                "INVALID_TYPE",
            )

        def resolve(token: Token) -> SfField:
            spec = kind.field(token.text)
            if spec is None:
                raise soql_error(
                    text,
                    token.column,
                    f"No such column '{token.text}' on entity '{kind.name}'. If you are "
                    "attempting to use a custom field, be sure to append the '__c' after the "
                    "custom field name. Please reference your WSDL or the describe call for the "
                    "appropriate names.",
                    "INVALID_FIELD",
                )
            return spec

        selected = [resolve(token) for token in soql.fields]
        seen = set()
        for token, spec in zip(soql.fields, selected, strict=True):
            if spec.name in seen:
                raise soql_error(text, token.column, f"duplicate field selected: {spec.name}")
            seen.add(spec.name)
        filters = [
            (
                spec,
                c.operator,
                {_comparable(spec, self._literal(text, spec, v)) for v in c.values},
            )
            for c in soql.conditions
            for spec in [resolve(c.field)]
        ]
        # A condition on an exact text field (the external id) picks the rows in SQLite.
        exact = (
            (spec.name, wanted)
            for spec, operator, wanted in filters
            if operator in ("=", "in")
            and spec.case_sensitive
            and spec.type in ("string", "textarea", "url", "email")
            and all(isinstance(value, str) for value in wanted)
        )
        rows = (
            [u.row() for u in USERS]
            if kind is USER_OBJECT
            else self._store.records(kind.name, picked_by=next(exact, None))
        )
        rows = [row for row in rows if all(_matches(row, *f) for f in filters)]
        for token, descending, nulls_last in reversed(soql.order):  # stable sorts, last key first
            spec = resolve(token)
            present = [row for row in rows if row.get(spec.name) is not None]
            absent = [row for row in rows if row.get(spec.name) is None]
            present.sort(key=_ordered_by(spec.name), reverse=descending)
            rows = present + absent if nulls_last else absent + present
        end = None if soql.limit is None else soql.offset + soql.limit
        rows = rows[soql.offset : end]
        records = [self._render(request, kind, row, [s.name for s in selected]) for row in rows]
        return self._page(request, records, 0, None)

    @staticmethod
    def _literal(query: str, spec: SfField, token: Token) -> Any:
        """The comparable value of a literal for ``spec``; a literal of the wrong kind is the
        400 Salesforce gives (strings quoted, dates and booleans not)."""
        if token.value is NULL:
            return None
        wanted = {"date": "date", "boolean": "literal"}.get(spec.type, "string")
        if token.kind != wanted or (wanted == "literal" and not isinstance(token.value, bool)):
            kind = {"date": "date", "boolean": "boolean"}.get(spec.type, "string")
            quoting = (
                "should be enclosed in quotes"
                if kind == "string"
                else "should not be enclosed in quotes"
            )
            raise soql_error(
                query,
                token.column,
                f"value of filter criterion for field '{spec.name}' must be of type {kind} and "
                f"{quoting}",
                "INVALID_QUERY_FILTER_OPERATOR",
            )
        return token.value

    @staticmethod
    def _batch_size(request: SfRequest) -> int:
        options = request.headers.get("sforce-query-options", "")
        match = re.search(r"batchSize\s*=\s*(\d+)", options)
        size = int(match.group(1)) if match else QUERY_BATCH
        return min(max(size, MIN_QUERY_BATCH), QUERY_BATCH)

    def _page(
        self, request: SfRequest, records: list[dict[str, Any]], start: int, cursor: str | None
    ) -> Response:
        """One page from ``start``; when more follow, they are kept under ``cursor`` (a new
        one for a first page) for ``nextRecordsUrl``."""
        size = self._batch_size(request)
        body: dict[str, Any] = {"totalSize": len(records), "done": start + size >= len(records)}
        if not body["done"]:
            if cursor is None:
                cursor = salesforce_id("01g", secrets.randbelow(62**9))[:15]
                with self._cursors_lock:
                    self._cursors[cursor] = records
                    while len(self._cursors) > CURSORS_KEPT:
                        self._cursors.popitem(last=False)
            body["nextRecordsUrl"] = f"{request.data_path}/query/{cursor}-{start + size}"
        body["records"] = records[start : start + size]
        return Response(200, body)

    def _query_more(self, request: SfRequest, locator: str) -> Response:
        cursor, _, offset = locator.partition("-")
        with self._cursors_lock:
            records = self._cursors.get(cursor)
        if records is None or not offset.isdigit() or int(offset) > len(records):
            raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(request, records, int(offset), cursor)

    # ---- control endpoints (no auth, not counted, never faulted) -----------------------------

    def _bad_request(self, message: str) -> ApiError:
        return ApiError(400, "INVALID_FAULTS", message)

    def _dump_records(self, request: SfRequest) -> Response:
        return Response(
            200,
            {
                kind.name: self._store.records(kind.name, deleted=True)
                for kind in self._objects.values()
                if kind.writable
            },
        )

    def _plant_records(self, request: SfRequest) -> Response:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise ApiError(400, "JSON_PARSER_ERROR", "Expected {'object': ..., 'records': [...]}")
        return Response(201, {"ids": self.add_records(str(body.get("object")), body["records"])})


def _comparable(spec: SfField, value: Any) -> Any:
    """Ids compare by their 15 case-sensitive characters; text ignoring case unless the field
    is case-sensitive."""
    if value is None or spec.type not in _TEXT_TYPES:
        return value
    if spec.type in ("id", "reference"):
        return value[:15]
    return value if spec.case_sensitive else value.casefold()


def _matches(row: dict[str, Any], spec: SfField, operator: str, wanted: Collection[Any]) -> bool:
    """Whether ``row`` passes a condition; ``wanted`` holds its values made comparable once
    (per query, not per row: a query of 100 ids among 26,000 records took 0.5 s)."""
    found = _comparable(spec, row.get(spec.name)) in wanted
    return found if operator in ("=", "in") else not found


def _ordered_by(field: str) -> Callable[[Mapping[str, Any]], Any]:
    """A row's sort key for ``ORDER BY field``: text compares without case, as in Salesforce."""

    def key(row: Mapping[str, Any]) -> Any:
        value = row[field]
        return value.casefold() if isinstance(value, str) else value

    return key
