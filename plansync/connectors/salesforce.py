"""The Salesforce connector: records of one object (``RFE__c``, ``Feature__c``) found and written
by an External ID field that holds the item's plansync id, built on ``simple-salesforce``.

What it takes from the library: ``Salesforce.restful``, ``query`` and ``query_more`` (the API
base URL per version, the bearer header, JSON, errors mapped to exceptions, and the
``Sforce-Limit-Info`` header parsed into ``api_usage``); ``format_soql``, which escapes values
into SOQL. Logging in (``SalesforceLogin`` for the legacy SOAP username-password login among
the flows) is :mod:`plansync.connectors.salesforce_auth`'s.

What it does not take, and why (checked against simple-salesforce 1.12):

- Its re-login when a session expires. ``Salesforce._call_salesforce`` answers a 401
  ``INVALID_SESSION_ID`` by logging in again and calling itself: up to four logins and five
  requests for one call. ``SFType._call_salesforce`` (behind ``sf.RFE__c.upsert`` and the like)
  does the same without passing its counter on, so a session that keeps being refused logs in and
  resends until the stack overflows. Both read ``result.json()[0]``, which fails on a 401 whose
  body is not a JSON list. So the library client is only ever built from a session id and an
  instance URL (its "direct" mode, with no login callback): a 401 comes back here as
  ``SalesforceExpiredSession``, and :meth:`SalesforceConnector._call` logs in again at most once
  for the request, then gives up with a :class:`ConnectorError`.
- Its OAuth logins (JWT bearer, client credentials). They build the token URL as
  ``https://{domain}.salesforce.com``, which reaches neither a My Domain under another suffix nor
  a local sandbox, and send the JWT ``exp`` claim as a string. Each is one form POST, made here
  through the same session, counted and retried like every other request.
- ``SFType`` create/update/upsert: one request per record, where sObject Collections take 200.

Writes: creates are upserts by external id (``PATCH composite/sobjects/{object}/{field}``), so a
create sent again after a crash, or resent after a dropped connection, finds the record instead
of adding a second one. Updates go by record Id (``PATCH composite/sobjects``): an update never
creates, so a record deleted in Salesforce comes back as a per-record error for the engine to
decide on, not silently recreated. Both are idempotent, so both are resent on a dropped
connection; each record's success or error is reported on its own (``allOrNone: false``), and
the records refused for a row lock (``UNABLE_TO_LOCK_ROW``) are resent, only they, a little later
(:data:`_LOCK_RETRIES`).
"""

from __future__ import annotations

import json
import re
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import Any
from urllib.parse import quote

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError
from simple_salesforce.format import format_soql, quote_soql_value

from plansync.connectors.base import (
    ClosedAs,
    ConnectorError,
    FieldUpdate,
    Link,
    NewRecord,
    OpResult,
    RemoteRecord,
    SettingProblem,
    StatusCategory,
    StatusMove,
    StatusValue,
)
from plansync.connectors.http import (
    RESEND_IF_READ,
    Sender,
    Throttled,
    chunks,
    retry_after,
)
from plansync.connectors.salesforce_auth import FLOWS, Login, login_url
from plansync.connectors.salesforce_names import SF_API_NAME, SF_API_VERSION, SfAuth, SfSetting
from plansync.display import counted
from plansync.logs import logger
from plansync.redact import add_secret

_log = logger(__name__)

_COLLECTION_MAX = 200  # records per sObject Collections request (Salesforce's limit)
_IN_IDS = 100  # ids per SOQL IN list
_IN_CHARS = 4000  # characters of one escaped IN list: the URL stays far below 16,384 bytes
_LOCKED = "UNABLE_TO_LOCK_ROW"
_LOCK_RETRIES = 2
"""Resends of the records Salesforce refused for a row lock, 1 s and then 2 s later (the
sender's backoff). Each refused attempt already waited up to 10 s inside Salesforce for the lock,
and locks from triggers, roll-ups and other integrations last seconds: two short waits catch
those, and a lock held longer is a long job that the next sync meets anyway. Each resend is one
request holding only the refused records, so a call costs at most two more requests per object."""
_USERS_COUNTED = 100
"""Active users sharing an e-mail that a look-up counts: how many there are is what the plan's
warning says; more than a hundred is no org's (LIMIT 2 sufficed to refuse a guess, but read
three as two)."""
_DEFAULT_STATUS_VALUES: dict[StatusValue, str] = {
    "done": "Done",
    "cancelled": "Cancelled",
    "reopen": "New",
}


class _TimedSession(requests.Session):
    """The session every request of the connector goes through, simple-salesforce's included:
    each is sent through ``inner`` (the caller's, whose ``verify`` carries a sandbox's TLS
    trust, or the connector's own) with ``timeout`` unless it names one. ``SalesforceLogin``
    posts the SOAP login naming none, so a login host that accepted the connection and never
    answered would hold the sync forever.

    ``inner`` is never changed: the ``Retry-After`` of each answer (which the library's errors
    keep no trace of) is kept here, where a response hook added to a caller's session would
    stay there, one more a connector, each reading the answers of every other."""

    _TIMEOUT_AT = 6
    """The position of ``timeout`` among :meth:`requests.Session.request`'s arguments after
    ``method`` and ``url``: a caller may pass it there."""

    def __init__(self, inner: requests.Session, timeout: float) -> None:
        super().__init__()
        self._inner = inner
        self._timeout = timeout
        self.retry_after: float | None = None
        """The Retry-After of the last answer, in seconds."""

    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """``inner``'s request, with the connector's timeout where none is given; its answer's
        Retry-After kept."""
        if len(args) > self._TIMEOUT_AT:  # given there, None too: it waited for ever
            if args[self._TIMEOUT_AT] is None:
                args = (*args[: self._TIMEOUT_AT], self._timeout, *args[self._TIMEOUT_AT + 1 :])
        elif kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        response = self._inner.request(method, url, *args, **kwargs)
        self.retry_after = retry_after(response)
        return response


@dataclass(frozen=True)
class _Answer:
    """What Salesforce said to one request: 200 with the JSON for any success, else the status
    and the error body (parsed JSON, or text)."""

    status: int
    content: Any


class SalesforceConnector:
    """Records of one Salesforce object behind the :class:`~plansync.connectors.base.Connector`
    interface, identified by ``external_id_field`` holding the plansync id.

    ``fields`` are the API names plansync reads and writes (``Name``, ``Description__c``,
    ``OwnerId``, ...); a write naming any other field fails for that record. ``status_field``,
    when given, is what :meth:`transition_many` sets, to ``status_values`` (default: done →
    "Done", cancelled → "Cancelled", reopen → "New"; in_progress, for ``[/]``, only when
    given); without it transitions are no-ops. A record is read as in progress in the
    ``in_progress`` value and in ``open_status_values`` (the picklist's other open values,
    "Under Review"); in a value none of them names, its status is unnamed
    (:attr:`RemoteRecord.status_unnamed`).

    Logging in, one of ``auth``:

    - ``"jwt"``: ``consumer_key``, ``private_key`` (PEM text or a file path) and ``username``;
    - ``"client_credentials"``: ``client_id``, ``client_secret`` and ``domain`` set to the My
      Domain (Salesforce issues these tokens only there);
    - ``"session"``: ``session_id`` and ``instance_url``; no login request, and no renewal;
    - ``"password"``: ``username``, ``password`` and maybe ``security_token``, through the SOAP
      ``login()`` call that Salesforce is retiring (a FutureWarning says so).

    ``domain`` is where logins go: ``login`` (default), ``test``, a My Domain name in
    simple-salesforce's form (``acme.my``) or host (``acme.my.salesforce.com``), or a full URL
    (``https://127.0.0.1:8443`` for a local sandbox). Nothing is sent before the first call that
    needs Salesforce. ``session`` is the ``requests.Session`` every request goes through (a
    sandbox's TLS trust comes in on it); ``sleep`` is what waits between retries.
    ``links_base`` is the base URL of the record pages it names (the key links written into
    notes), when that is not the instance's: the embedded sandbox serves on whichever port is
    free, and a link naming this run's port would be dead by the next run. ``site_name`` is
    what :attr:`site` says instead of the URL (:data:`plansync.sites.EMBEDDED`).
    """

    max_batch: int | None = _COLLECTION_MAX

    @property
    def site(self) -> str:
        """The instance requests go to, or before a login flow has named it, the login host;
        ``site_name`` when given (the embedded sandbox's, whose port changes from run to run)."""
        return self._site_name or self._signin.credentials["instance_url"] or self._signin.url

    def __init__(
        self,
        objects: Mapping[str, Sequence[str]],
        external_id_field: str,
        *,
        auth: SfAuth = "jwt",
        instance_url: str | None = None,
        session_id: str | None = None,
        consumer_key: str | None = None,
        private_key: str | None = None,
        username: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        password: str | None = None,
        security_token: str | None = None,
        domain: str | None = None,
        api_version: str = "59.0",
        session: requests.Session | None = None,
        timeout: float = 30,
        max_retries: int = 5,
        max_backoff: float = 60,
        sleep: Callable[[float], None] = time.sleep,
        status_field: str | None = None,
        status_values: Mapping[StatusValue, str] | None = None,
        open_status_values: Sequence[str] = (),
        settings: Sequence[SfSetting] = (),
        links_base: str | None = None,
        site_name: str | None = None,
    ) -> None:
        if auth not in FLOWS:
            raise ValueError(f"auth must be one of {', '.join(FLOWS)}, not {auth!r}")
        if not objects:
            raise ConnectorError("no Salesforce object to sync to")
        extra = [status_field] if status_field else []
        names = [external_id_field, *extra, *objects]
        names += [f for fields in objects.values() for f in fields]
        bad = [n for n in dict.fromkeys(names) if not SF_API_NAME.fullmatch(n)]
        if bad:
            raise ConnectorError(f"not Salesforce API names: {', '.join(map(repr, bad))}")
        if not SF_API_VERSION.fullmatch(api_version):
            raise ConnectorError(f"api_version must look like '59.0', not {api_version!r}")
        self.objects = list(objects)
        self.external_id_field = external_id_field
        login_at = login_url(domain)
        self._api_version = api_version
        self._session = _TimedSession(session or requests.Session(), timeout)
        self._timeout = timeout
        self._http = Sender(
            "Salesforce",
            instance_url or login_at,
            max_retries=max_retries,
            max_backoff=max_backoff,
            sleep=sleep,
            # The CA file a caller's session trusts (the config's ca_bundle), for its messages.
            ca_bundle=session.verify if session and isinstance(session.verify, str) else None,
        )
        credentials = {
            "consumer_key": consumer_key,
            "private_key": private_key,
            "username": username,
            "client_id": client_id,
            "client_secret": client_secret,
            "password": password,
            "security_token": security_token,
            "session_id": session_id,
            "instance_url": instance_url,
        }
        self._signin = Login(
            auth,
            credentials,
            domain=domain,
            url=login_at,
            api_version=api_version,
            session=self._session,
            http=self._http,
            timeout=timeout,
        )
        for secret in (client_secret, password, security_token, session_id, consumer_key):
            add_secret(secret)
        if password and security_token:  # the SOAP login sends them as one
            add_secret(password + security_token)
        self._links_base = links_base.rstrip("/") if links_base else None
        self._site_name = site_name
        # What plansync reads and writes, per object; the Id and the external id are the
        # connector's own.
        self._managed = {
            name: [
                f for f in dict.fromkeys([*fields, *extra]) if f not in ("Id", external_id_field)
            ]
            for name, fields in objects.items()
        }
        self._read: set[str] = set()
        """The objects a query of this run has read: the fields plansync names exist there,
        unless :attr:`_problems` says why not."""
        self._problems: dict[str, str] = {}
        """Why Salesforce refused to read an object by the fields plansync names."""
        self._lock_retries = min(_LOCK_RETRIES, max_retries)
        self._status_field = status_field
        self._status_values: dict[StatusValue, str] = {
            **_DEFAULT_STATUS_VALUES,
            **(status_values or {}),
        }
        self._open_values = frozenset(open_status_values)
        self._settings = [*settings, *self._status_settings(status_values or {})]
        self._described: dict[str, dict[str, dict[str, Any]]] = {}
        """Per object read by ``describe``, its fields by their name in lower case."""
        self._sf: Salesforce | None = None
        self._usage: tuple[int, int] | None = None
        self._batches_sent = 0
        """Write requests that went through, or failed where Salesforce may have acted (5xx)."""
        self._users: dict[str, tuple[str, ...]] = {}
        if auth == "password":
            warnings.warn(
                "Salesforce username-password login goes through the SOAP API login() call, "
                "which Salesforce is retiring: switch to auth = 'jwt' or 'client_credentials'",
                FutureWarning,
                stacklevel=2,
            )

    # -- the Connector interface ----------------------------------------------------------------

    def fetch_by_ids(self, plansync_ids: list[str]) -> dict[str, RemoteRecord]:
        """The records whose external id is one of ``plansync_ids``, in every object: one SOQL
        query per object and IN list of at most 100 ids (fewer when they are long), following
        ``nextRecordsUrl``.

        Should the external id field not be unique, an id on several records maps to the one
        with the lowest Id (of the first object), the others named in its ``duplicates``, as
        Jira's cloned issues are: the engine syncs one record and the plan tells a person
        about the others.
        """
        found: dict[str, RemoteRecord] = {}
        for sobject in self.objects:
            for batch in _in_lists(list(dict.fromkeys(plansync_ids))):
                soql = format_soql(
                    f"SELECT {self._select(sobject)} FROM {sobject} "
                    f"WHERE {self.external_id_field} IN {{ids}} ORDER BY Id",
                    ids=batch,
                )
                what = f"reading {sobject} records by {len(batch)} {self.external_id_field}"
                rows = self._query(soql, what)
                self._read.add(sobject)
                for row in rows:
                    record = self._record(row, sobject)
                    if record.plansync_id is None:
                        continue
                    first = found.get(record.plansync_id)
                    if first is not None:
                        if record.key != first.key and record.key not in first.duplicates:
                            duplicates = (*first.duplicates, record.key)
                            found[record.plansync_id] = replace(first, duplicates=duplicates)
                        continue
                    found[record.plansync_id] = record
        return found

    def fetch_by_keys(self, ids_by_key: dict[str, str]) -> dict[str, RemoteRecord]:
        """Nothing, and no request: :meth:`fetch_by_ids` reads records by their external id
        with SOQL, which reads the database as it is (unlike SOSL search, no index lags it),
        so a record it did not return carries none of those ids, whatever its Id."""
        return {}

    def create_many(self, records: list[NewRecord]) -> list[OpResult]:
        """Upsert by external id, 200 records a request per object; one result per record, in
        order. A record that already carries the id (created by a run that died) is updated,
        not duplicated, so this is safe to resend."""
        return self._per_object(
            [(r.sobject, r.plansync_id, r.fields) for r in records],
            lambda sobject, items: self._save(
                items,
                sobject,
                by=self.external_id_field,
                path=f"composite/sobjects/{sobject}/{self.external_id_field}",
                doing=f"upserting {sobject} records by {self.external_id_field}",
            ),
        )

    def update_many(self, updates: list[FieldUpdate]) -> list[OpResult]:
        """Set fields by record Id, 200 records a request; one result per update, in order.

        By Id rather than by external id, so an update never creates: a record deleted in
        Salesforce fails with its own error (``ENTITY_IS_DELETED``) instead of coming back.
        """
        return self._per_object(
            [(u.sobject, u.key, u.fields) for u in updates],
            lambda sobject, items: self._save(
                items,
                sobject,
                by="id",
                path="composite/sobjects",
                doing=f"updating {sobject} records",
            ),
        )

    def _per_object(
        self,
        items: list[tuple[str | None, str, dict[str, Any]]],
        save: Callable[[str, list[tuple[str, dict[str, Any]]]], list[OpResult]],
    ) -> list[OpResult]:
        """Save items grouped by object (the first configured one when none is named); results
        come back in the items' order.

        A request per object, and per 200 records: when a later one fails the whole call, the
        earlier ones' records exist, and the error says so (``acted``), or a create refused with
        a 403 for its second object would pass for one that made nothing, and the first
        object's new records would be known to no one."""
        results: list[OpResult | None] = [None] * len(items)
        groups: dict[str, list[int]] = {}
        for index, (sobject, _, _) in enumerate(items):
            groups.setdefault(sobject or self.objects[0], []).append(index)
        sent_before = self._batches_sent
        for position, (sobject, indexes) in enumerate(groups.items()):
            if sobject not in self._managed:
                for index in indexes:
                    results[index] = OpResult(ok=False, error=f"{sobject}: not a configured object")
                continue
            try:
                outcomes = save(sobject, [(items[i][1], items[i][2]) for i in indexes])
            except ConnectorError as exc:
                exc.acted = exc.acted or self._batches_sent > sent_before
                exc.finished = list(results)  # the earlier objects' answers, for the caller
                later = list(groups.values())[position + 1 :]
                exc.never_sent = frozenset(index for group in later for index in group)
                raise
            for index, outcome in zip(indexes, outcomes, strict=True):
                results[index] = outcome
        return [result for result in results if result is not None]

    def transition_many(self, moves: list[StatusMove]) -> list[OpResult]:
        """Set ``status_field`` to the value for each move, in the update batches; without a
        status field, no-ops that succeed without a request (the object has no workflow
        plansync knows). A move into in progress without an ``in_progress`` value fails alone,
        sending nothing: the interface's one result per move, never an exception for one.
        Should the updates fail the whole call, the error's ``finished`` and ``never_sent``
        count in moves, as the caller's do, not in the updates sent. A move made says the value
        it set (:attr:`OpResult.status_value`), which the caller's base keeps."""
        field = self._status_field
        if field is None:
            return [OpResult(ok=True, key=move.key) for move in moves]
        results: list[OpResult | None] = [None] * len(moves)
        sent: list[int] = []  # the position in ``moves`` of each update
        updates: list[FieldUpdate] = []
        for index, move in enumerate(moves):
            value = self._status_values.get(
                "in_progress" if move.to == "indeterminate" else move.to
            )
            if value is None:  # the target plans no such move (TargetSpec.progress): a guard
                error = "[salesforce] status_values names no in_progress value to move it to"
                results[index] = OpResult(ok=False, key=move.key, error=error)
                continue
            sent.append(index)
            updates.append(FieldUpdate(move.key, {field: value}, sobject=move.sobject))

        def settled(position: int, outcome: OpResult) -> None:
            value = updates[position].fields[field]
            results[sent[position]] = (
                replace(outcome, status_value=value) if outcome.ok else outcome
            )

        try:
            outcomes = self.update_many(updates) if updates else []
        except ConnectorError as exc:
            for position, answered in enumerate(exc.finished):
                if answered is not None:
                    settled(position, answered)
            exc.finished = results
            exc.never_sent = frozenset(sent[position] for position in exc.never_sent)
            raise
        for position, outcome in enumerate(outcomes):
            settled(position, outcome)
        return [result for result in results if result is not None]

    def upsert_links(self, links: list[Link]) -> list[OpResult]:
        """Succeed without a request: a Salesforce record keeps its note link in a field
        (``Note_Link__c``), written with the other fields, not as a separate link object."""
        return [OpResult(ok=True, key=link.key) for link in links]

    def request_count(self) -> int:
        """HTTP requests sent so far: logins, retries and unanswered requests included."""
        return self._http.count()

    def find_users(self, email: str) -> tuple[str, ...]:
        """The Ids of the active users whose e-mail is ``email`` (SOQL compares it ignoring
        case), at most :data:`_USERS_COUNTED`: the plan says which of none or several there were.
        Cached, empty answers included, for the connector's lifetime."""
        wanted = email.strip()
        if not wanted:
            return ()
        if wanted.casefold() not in self._users:
            soql = format_soql(
                "SELECT Id FROM User WHERE Email = {} AND IsActive = true LIMIT "
                + str(_USERS_COUNTED),
                wanted,
            )
            rows = self._query(soql, f"looking up the user with e-mail {wanted!r}")
            self._users[wanted.casefold()] = tuple(row["Id"] for row in rows)
        return self._users[wanted.casefold()]

    def destination_problem(self, record: NewRecord) -> str | None:
        """Why Salesforce would refuse every record of ``record``'s object, or None: read the
        object once, by a query of one record naming every field plansync reads and writes,
        unless a look-up of this run has. A misspelt field (``status_field``) or object is
        refused with a 400 (``INVALID_FIELD``, ``INVALID_TYPE``), whose words, naming the
        setting, are the reason: the plan fails naming its rule before anything is created,
        as for a Jira project that does not exist. A plan's look-up of ids would meet it too,
        but a first plan looks up none (its ids are new), and the first sync would make every
        record before the next run fails. Any other failure (the network, a login) fails the call.
        Cached per object, a reason too."""
        sobject = record.sobject or self.objects[0]
        if sobject in self._managed and sobject not in self._read:
            try:
                self._query(
                    f"SELECT {self._select(sobject)} FROM {sobject} LIMIT 1", f"reading {sobject}"
                )
            except ConnectorError as error:
                # A login's refusal (invalid_grant is a 400 too) is no object's, and no rule's.
                if error.status not in (400, 404) or error.kind == "auth":
                    raise
                self._problems[sobject] = str(error)
            self._read.add(sobject)
        return self._problems.get(sobject)

    def setting_problems(self, written: set[str | None]) -> list[SettingProblem]:
        """The values the config writes into a picklist of an object in ``written`` (the
        ``status_values``, defaults included, ``open_status_values``, a rule's
        ``priority_map``) that the picklist does not have, by its ``describe`` (one request an
        object, once): refused where the picklist is restricted, as Salesforce refuses any
        other value there (``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``, for each record that
        has it); else said, as Salesforce takes it silently (a starter config's
        cancelled = "Cancelled" written into a picklist that has no such value is a value no
        one in Salesforce can then pick). And the status picklist's default,
        where the config names it nowhere: each record plansync makes starts there, and reads
        as moved in Salesforce (:attr:`RemoteRecord.status_unnamed`)."""
        problems: list[SettingProblem] = []
        for sobject in dict.fromkeys(name or self.objects[0] for name in written):
            mine = [s for s in self._settings if s.sobject == sobject and s.value is not None]
            if sobject not in self._managed or not mine:
                continue
            fields = self._describe(sobject)
            for setting in mine:
                spec = fields.get(setting.field.lower())
                if spec is not None and spec.get("type") == "picklist":
                    problems += _picklist_problem(setting, spec)
            status = fields.get((self._status_field or "").lower())
            if status is not None and status.get("type") == "picklist":
                problems += self._default_problem(sobject, status)
        return problems

    def api_usage(self) -> tuple[int, int] | None:
        """(used, allowed) of the org's daily API requests, from the ``Sforce-Limit-Info``
        header of the last successful answer; None before any."""
        return self._usage

    # -- more than the interface ----------------------------------------------------------------

    def record_url(self, record_id: str, sobject: str | None = None) -> str:
        """The record's page in Lightning Experience (logs in first if nothing has yet, unless
        ``links_base`` names where pages are)."""
        base = self._links_base or f"https://{self._client().sf_instance}"
        return f"{base}/lightning/r/{sobject or self.objects[0]}/{quote(record_id, safe='')}/view"

    # -- operations ------------------------------------------------------------------------------

    def _status_settings(self, given: Mapping[StatusValue, str]) -> list[SfSetting]:
        """The values the status field takes, per object, each by its key (a default said so)."""
        field = self._status_field
        if field is None:
            return []
        named = [
            (f"salesforce.status_values.{name}" + ("" if name in given else " (its default)"), v)
            for name, v in self._status_values.items()
        ]
        named += [("salesforce.open_status_values", value) for value in sorted(self._open_values)]
        return [SfSetting(key, sobject, field, v) for sobject in self.objects for key, v in named]

    def _describe(self, sobject: str) -> dict[str, dict[str, Any]]:
        """``sobject``'s fields by ``describe``, by their name in lower case (API names are
        not case-sensitive), once; none where Salesforce has no such object for this user (a
        query then names it, and the setting: :meth:`destination_problem`)."""
        if sobject not in self._described:
            what = f"describing {sobject}"
            path = f"sobjects/{sobject}/describe"
            answer = self._call(
                lambda sf: sf.restful(path, method="GET", timeout=self._timeout), what, read=True
            )
            if answer.status == 404:
                self._described[sobject] = {}
            else:
                fields = self._json(answer, what).get("fields")
                self._described[sobject] = {
                    str(spec["name"]).lower(): spec
                    for spec in (fields if isinstance(fields, list) else [])
                    if isinstance(spec, dict) and spec.get("name")
                }
        return self._described[sobject]

    def _default_problem(self, sobject: str, spec: dict[str, Any]) -> list[SettingProblem]:
        """A warning where the status picklist's default (which Salesforce gives each record
        plansync makes, as it sends no status) is a value the config names nowhere."""
        default = next(
            (
                str(entry.get("value"))
                for entry in spec.get("picklistValues") or []
                if isinstance(entry, dict) and entry.get("defaultValue")
            ),
            None,
        )
        if default is None or self._category(default) is not None:
            return []
        return [
            SettingProblem(
                "salesforce.open_status_values",
                f"{sobject}.{spec.get('name')} gives each new record {default!r} (the"
                " picklist's default), which neither salesforce.status_values nor"
                " salesforce.open_status_values names: each record plansync makes reads as"
                " moved in Salesforce; name it where it belongs",
            )
        ]

    def _select(self, sobject: str) -> str:
        """The fields a query of ``sobject`` reads: the Id, the external id and the managed."""
        return ", ".join(["Id", self.external_id_field, *self._managed[sobject]])

    def _query(self, soql: str, what: str) -> list[dict[str, Any]]:
        """Every row of a SOQL query, page by page through ``nextRecordsUrl``, each with its
        ``Id`` (a row without one fails the call, not a KeyError further on). A read: a page
        answered 500 is asked again (:data:`~plansync.connectors.http.RESEND_IF_READ`), and one
        still failing past the retries fails the call with Salesforce's words and ``what``."""
        rows: list[dict[str, Any]] = []
        request = partial(Salesforce.query, query=soql, timeout=self._timeout)
        while True:
            page = self._json(self._call(request, what, read=True), what)
            records = page.get("records") or []
            if not isinstance(records, list) or not all(
                isinstance(row, dict) and isinstance(row.get("Id"), str) for row in records
            ):
                raise ConnectorError(
                    f"Salesforce's answer to {what} is not shaped as a query's: its records"
                    " are not a list of records, each with an Id (every query here selects it)",
                    kind="unexpected",
                )
            rows.extend(records)
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return rows
            request = partial(
                Salesforce.query_more,
                next_records_identifier=str(page["nextRecordsUrl"]),
                identifier_is_url=True,
                timeout=self._timeout,
            )

    def _save(
        self,
        items: list[tuple[str, dict[str, Any]]],
        sobject: str,
        *,
        by: str,
        path: str,
        doing: str,
    ) -> list[OpResult]:
        """Send ``(id, fields)`` pairs as sObject Collections, 200 a request, each identified by
        ``by`` (``id``, or the external id field); one result per pair, in order. A pair whose
        fields cannot be sent fails alone, before anything is sent; a batch that Salesforce
        failed with a 5xx fails its own records, and the next goes on. A 503 still there past
        the retries fails the whole call: Salesforce is unavailable, not this batch.

        Records refused for a row lock (``UNABLE_TO_LOCK_ROW``: another transaction held it) are
        sent again, only they, after a short wait, up to ``_LOCK_RETRIES`` times. Resending is
        safe for both kinds of write: an update by Id sets the same values, and a create is an
        upsert by external id, which finds a record that the refused attempt made all the same
        instead of making a second one."""
        keys = [ident if by == "id" else None for ident, _ in items]  # a create's is not yet
        results: list[OpResult | None] = [None] * len(items)
        pending: list[tuple[int, dict[str, Any]]] = []
        for index, (ident, fields) in enumerate(items):
            try:
                values = self._values(fields, sobject)
            except ValueError as error:
                results[index] = OpResult(ok=False, key=keys[index], error=str(error))
            else:
                record = {"attributes": {"type": sobject}, by: ident, **values}
                pending.append((index, record))
        for retry in range(self._lock_retries + 1):
            if retry:
                why = f"records refused for a row lock ({_LOCKED}) while {doing}: {len(pending)}"
                self._http.pause(retry - 1, why)
            pending = self._save_batches(pending, keys, results, path, doing, sobject)
            if not pending:
                break
        done = [result for result in results if result is not None]  # each item has one
        for index, _ in pending:
            done[index] = _still_locked(done[index], self._lock_retries)
        return done

    def _save_batches(
        self,
        payloads: list[tuple[int, dict[str, Any]]],
        keys: list[str | None],
        results: list[OpResult | None],
        path: str,
        doing: str,
        sobject: str,
    ) -> list[tuple[int, dict[str, Any]]]:
        """Send ``(index, record)`` payloads 200 a request and put each outcome at its index
        in ``results``; return the payloads refused only for a row lock, to be sent again."""
        locked: list[tuple[int, dict[str, Any]]] = []
        for batch in chunks(payloads, _COLLECTION_MAX):
            batch_keys = [keys[index] for index, _ in batch]
            try:
                records = [record for _, record in batch]
                outcomes, refused = self._save_batch(path, records, batch_keys, doing, sobject)
            except ConnectorError as error:  # a 5xx fails this batch only
                if error.status is None or error.status < 500 or error.throttled:
                    raise
                maybe = not error.made_nothing  # a 5xx may come after Salesforce saved them
                outcomes = [
                    OpResult(ok=False, key=key, error=str(error), maybe_done=maybe)
                    for key in batch_keys
                ]
                refused = []
            self._batches_sent += 1
            for (index, _), outcome in zip(batch, outcomes, strict=True):
                results[index] = _resent(results[index], outcome)
            locked += [batch[position] for position in refused]
        return locked

    def _save_batch(
        self,
        path: str,
        records: list[dict[str, Any]],
        keys: list[str | None],
        doing: str,
        sobject: str,
    ) -> tuple[list[OpResult], list[int]]:
        """One sObject Collections request; a 200 holds a result per record, in order. Returns
        the outcomes and the positions of the records refused only for a row lock.

        A 300 (several records carry an external id of the batch) or a 400 (the request was not
        understood) fails each record of this batch and lets the other batches go on; a 400 or
        a 500 for a row lock refused every record of it for one. Any other error fails the whole
        call.
        """
        what = f"{doing} ({len(records)})"
        body = {"allOrNone": False, "records": records}
        answer = self._call(
            lambda sf: sf.restful(path, method="PATCH", json=body, timeout=self._timeout), what
        )
        if answer.status == 200:
            outcomes = answer.content if isinstance(answer.content, list) else []
            if len(outcomes) != len(records):
                raise ConnectorError(
                    f"Salesforce's answer to {what} does not account for each record "
                    f"({len(outcomes)} results for {len(records)}); look the ids up before "
                    "sending them again",
                    kind="unexpected",
                )
            locked = [n for n, outcome in enumerate(outcomes) if _only_locked(outcome)]
            saved = [
                self._outcome(outcome, key, sobject, record)
                for outcome, key, record in zip(outcomes, keys, records, strict=True)
            ]
            return saved, locked
        if answer.status in (300, 400) or (answer.status >= 500 and _all_locked(answer.content)):
            message, details = _error_text(answer.content)
            if answer.status == 300:
                message = (
                    f"several {sobject} records carry the same "
                    f"{self.external_id_field} (300): {message}"
                )
            locked = list(range(len(records))) if _all_locked(answer.content) else []
            failed = [OpResult(ok=False, key=key, error=message, details=details) for key in keys]
            return failed, locked
        raise self._failure(answer, what)

    def _outcome(
        self, result: dict[str, Any], failure_key: str | None, sobject: str, sent: dict[str, Any]
    ) -> OpResult:
        """A SaveResult / UpsertResult of the record ``sent`` → OpResult; the errors name their
        status code and fields, and the config key of a value refused that the config mapped
        (:meth:`_mapped_from`)."""
        if result.get("success") and result.get("id"):
            return OpResult(ok=True, key=result["id"], url=self.record_url(result["id"], sobject))
        errors = [e for e in result.get("errors") or [] if isinstance(e, dict)]
        message, details = _error_text(result.get("errors") or [])
        if "STRING_TOO_LONG" in message:  # the field's length is the org's choice, not the note's
            message += f" (make the field longer in {sobject}: a URL field holds 255 characters"
            message += ", a Long Text Area more; see config/salesforce.toml)"
        for field in details:
            if mapped := self._mapped_from(sobject, field, sent):
                details[field] += f" ({mapped})"
                message += f" ({mapped})"
        return OpResult(
            ok=False,
            key=failure_key,
            error=message or "Salesforce did not save the record and gave no reason",
            details=details,
            # A create's only (an upsert, no key yet): an update refused for a lock or a
            # duplicate was not made, and says so, not that the next plan shows whether it was.
            maybe_done=failure_key is None and any(self._maybe_saved(e) for e in errors),
        )

    def _mapped_from(self, sobject: str, field: str, sent: dict[str, Any]) -> str:
        """Which of the config's settings gave the value ``sent`` in ``field`` ("'P1' is the
        value of salesforce.rules[0].priority_map.high"), or "": Salesforce's refusal names
        the value ("... restricted picklist field: P1"), but not the setting to fix."""
        value = next((v for k, v in sent.items() if k.lower() == field.lower()), None)
        keys = [
            setting.key
            for setting in self._settings
            if setting.sobject == sobject
            and setting.field.lower() == field.lower()
            and setting.value is not None
            and setting.value == value
        ]
        return f"{value!r} is the value of {', '.join(keys)}" if keys else ""

    def _maybe_saved(self, error: dict[str, Any]) -> bool:
        """Whether a record refused so may exist all the same: an upsert resent after a timeout
        meets the first one still running (its row locked) or just done (its external id
        taken). A duplicate of another unique field is a refusal like any other."""
        code = error.get("statusCode")
        fields = error.get("fields") or []
        return code == "UNABLE_TO_LOCK_ROW" or (
            code == "DUPLICATE_VALUE" and (not fields or self.external_id_field in fields)
        )

    def _values(self, fields: dict[str, Any], sobject: str) -> dict[str, Any]:
        """Fields as JSON values (dates in ISO form); ValueError names a field plansync does not
        manage, the Id or the external id (which the connector sets itself)."""
        out: dict[str, Any] = {}
        for name, value in fields.items():
            managed = self._managed[sobject]
            if name not in managed:
                raise ValueError(
                    f"{name}: not a field plansync writes on {sobject} "
                    f"(it writes {', '.join(managed) or 'none'})"
                )
            out[name] = value.isoformat() if isinstance(value, date) else value
        return out

    def _record(self, row: dict[str, Any], sobject: str) -> RemoteRecord:
        """A query row → RemoteRecord with the API field names as they are."""
        status = row.get(self._status_field) if self._status_field else None
        return RemoteRecord(
            key=row["Id"],
            url=self.record_url(row["Id"], sobject),
            plansync_id=row.get(self.external_id_field),
            fields={name: row.get(name) for name in self._managed[sobject]},
            status_category=self._category(status),
            closed_as=self._closed_as(status),
            sobject=sobject,
            status_value=None if status is None else str(status),
        )

    def _category(self, status: Any) -> StatusCategory | None:
        """A status field value → its category by ``status_values``, the ``in_progress`` one
        and ``open_status_values`` in progress; None for none, and for any other value.

        Were any other value read as in progress, a record declined in Salesforce
        ("Declined", which the config leaves out) would be moved to Done over it, unseen, once
        its item is checked: a custom object's picklist says nothing of which of its values
        are closed, so only the config can."""
        if status is None:
            return None
        if status == self._status_values["reopen"]:
            return "new"
        if status in (self._status_values["done"], self._status_values["cancelled"]):
            return "done"
        if status == self._status_values.get("in_progress") or status in self._open_values:
            return "indeterminate"
        return None

    def _closed_as(self, status: Any) -> ClosedAs | None:
        """Which of done and cancelled a status field value is; None for any other value, and
        when ``status_values`` gives both the same value (there is no telling them apart, so
        no move between them is planned)."""
        done, cancelled = self._status_values["done"], self._status_values["cancelled"]
        if done == cancelled or status not in (done, cancelled):
            return None
        return "done" if status == done else "cancelled"

    # -- requests --------------------------------------------------------------------------------

    def _call(
        self, request: Callable[[Salesforce], Any], what: str, *, read: bool = False
    ) -> _Answer:
        """Send one REST request (``request`` calls the library client once); return the answer.

        ``read``: the request only reads (a query, a describe, a record's look-up), so a 500 is
        resent too (see :meth:`_attempt`); a write's 500 is not, as Salesforce may have acted.
        A 401 means the session expired: log in again, once, and resend; a second 401, or one
        on a given session id (which cannot be renewed here), fails the whole call.
        """
        answer = self._send(request, what, read)
        renewable = self._signin.auth != "session"
        if answer.status == 401 and renewable:
            _log.info("the Salesforce session expired while %s; logging in again", what)
            self._login()
            answer = self._send(request, what, read)
        if answer.status != 401:
            return answer
        reason = self._signin.clean(_error_text(answer.content)[0])
        if renewable:
            raise ConnectorError(
                f"Salesforce refused a fresh session ({self._signin.flow}) while {what}: {reason}",
                status=401,
            )
        raise ConnectorError(
            f"Salesforce refused the session id for {self._http.server} while {what}: {reason}; "
            "give a fresh session id, or log in with auth = 'jwt' or 'client_credentials', "
            "which renew it",
            status=401,
        )

    def _send(self, request: Callable[[Salesforce], Any], what: str, read: bool) -> _Answer:
        """One request through the sender: logs in first if needed, retries what it may."""
        sf = self._client()
        return self._http.send(lambda: self._attempt(sf, request, what, read), what=what, read=read)

    def _attempt(
        self, sf: Salesforce, request: Callable[[Salesforce], Any], what: str, read: bool
    ) -> _Answer:
        """One try. 429 and 503 (waited out for as long as their Retry-After asks), and
        ``REQUEST_LIMIT_EXCEEDED`` for concurrent requests, raise Throttled (Salesforce, or a
        gateway before it, did nothing; try again later); so do a gateway's 502 and 504,
        passing, as every request plansync sends may be sent twice (queries, writes by Id or
        external id). A 500 is Salesforce's own: a ``read`` meets it too while an instance
        restarts, and is resent (past the retries it fails naming what it read, and how often
        it was sent); a write's is about this request, and not resent. The org's
        daily limit does not: it clears within 24 hours, beyond any reasonable wait, so it
        fails the call at once."""
        answer = _answer(sf, request)
        if answer is not None and answer.status in (502, 504):
            raise Throttled(answer.status)
        if answer is None:
            raise ConnectorError(
                f"Salesforce's answer to {what} is not JSON (a login page or proxy in the way?)",
                kind="unexpected",
            )
        code, message = _first_error(answer.content)
        if read and answer.status in RESEND_IF_READ:
            failure = partial(self._failure, answer, what)
            raise Throttled(answer.status, reason=code or None, failure=failure)
        if answer.status in (429, 503) or (
            answer.status == 403
            and code == "REQUEST_LIMIT_EXCEEDED"
            and "TotalRequests" not in message
        ):
            raise Throttled(answer.status, self._session.retry_after, reason=code or None)
        usage = sf.api_usage.get("api-usage")  # the library parses it from each success
        if usage is not None:
            self._usage = (usage.used, usage.total)
        return answer

    def _json(self, answer: _Answer, what: str) -> dict[str, Any]:
        """The JSON object of a successful answer; anything else fails the whole call."""
        if answer.status != 200:
            raise self._failure(answer, what)
        if not isinstance(answer.content, dict):
            raise ConnectorError(
                f"Salesforce's answer to {what} is not a JSON object", kind="unexpected"
            )
        return answer.content

    def _failure(self, answer: _Answer, what: str, sent: str = "") -> ConnectorError:
        """A ConnectorError for an answer that fails a whole call, on one line, without secrets;
        ``sent``: how often, when it was sent again (a read's 500, within ``max_retries``)."""
        code = _first_error(answer.content)[0]
        hint = ""
        limited = code == "REQUEST_LIMIT_EXCEEDED"
        if limited:
            used = f" ({self._usage[0]}/{self._usage[1]} used)" if self._usage else ""
            hint = f"; the org's daily API request limit is used up{used}: wait, or raise it"
        elif answer.status == 404:
            its = "its" if len(self.objects) == 1 else "their"
            objects = ", ".join(self.objects)
            hint = f"; do {objects} and {its} fields exist, and may this user see them?"
        full = _error_text(answer.content)[0]
        if code == "INVALID_FIELD" and (missing := _NO_SUCH_COLUMN.search(full)):
            # The query comes first in the message, and cut to a line it hid the field's name.
            field, sobject = missing.groups()
            full = f"INVALID_FIELD: {sobject} has no field {field!r} that this user may see"
            hint = f"; check {self._setting_of(field, sobject)}"
        text = self._signin.clean(full)
        again = f" {sent}" if sent else ""
        return ConnectorError(
            f"Salesforce answered {answer.status} to {what}{again}: {text}{hint}",
            status=answer.status,
            kind="throttled" if limited else None,
        )

    def _setting_of(self, field: str, sobject: str) -> str:
        """The config settings that name ``field`` of ``sobject``, as a user would look for
        them: a misspelt field of a rule's, said as "the field names of [salesforce] ... and
        of its rules (owner_field, fields)", would leave which of the rules unsaid."""
        if field == self._status_field:
            return "[salesforce] status_field"
        if field == self.external_id_field:
            return "[salesforce] external_id_field"
        keys = [
            setting.key
            for setting in self._settings
            if setting.value is None
            and setting.sobject.lower() == sobject.lower()
            and setting.field.lower() == field.lower()
        ]
        if keys:
            return ", ".join(dict.fromkeys(keys))
        return (
            "the field names of [salesforce] (jira_key_field, note_link_field) and of its"
            " rules (owner_field, fields)"
        )

    # -- logging in ------------------------------------------------------------------------------

    def _client(self) -> Salesforce:
        return self._sf or self._login()

    def _login(self) -> Salesforce:
        """Get a session by the configured flow and build the library client from it.

        The client gets only the session id and instance URL, never a way to log in, so that
        it never re-logs in by itself (see the module docstring).
        """
        token, instance = self._signin.session()
        add_secret(token)
        self._http.server = instance
        self._sf = Salesforce(
            session_id=token,
            instance_url=instance,
            session=self._session,
            version=self._api_version,
        )
        return self._sf


def _in_lists(ids: list[str]) -> Iterator[list[str]]:
    """``ids`` in lists of at most 100 whose escaped SOQL form stays under 4,000 characters,
    so that no query URL comes near Salesforce's 16,384-byte limit."""
    batch: list[str] = []
    size = 0
    for plansync_id in ids:
        length = len(quote_soql_value(plansync_id)) + 1
        if batch and (len(batch) == _IN_IDS or size + length > _IN_CHARS):
            yield batch
            batch, size = [], 0
        batch.append(plansync_id)
        size += length
    if batch:
        yield batch


def _answer(sf: Salesforce, request: Callable[[Salesforce], Any]) -> _Answer | None:
    """Call the library once: its answer, its error as an answer, or None for a success whose
    body is not JSON. Returns rather than raises, so no library error is chained to ours."""
    try:
        return _Answer(200, request(sf))
    except SalesforceError as error:
        return _Answer(error.status, error.content)
    except ValueError:
        return None


def _all_locked(errors: Any) -> bool:
    """Whether a list of Salesforce errors is not empty and each one is a row lock refused."""
    if not isinstance(errors, list) or not errors:
        return False
    return all(
        isinstance(e, dict) and (e.get("statusCode") or e.get("errorCode")) == _LOCKED
        for e in errors
    )


def _only_locked(result: Any) -> bool:
    """Whether a record's result in a collection answer is a refusal for a row lock and
    nothing else: a record refused for anything more would be refused again."""
    return (
        isinstance(result, dict) and not result.get("success") and _all_locked(result.get("errors"))
    )


def _resent(earlier: OpResult | None, outcome: OpResult) -> OpResult:
    """The outcome of a record's latest try; a failure keeps ``maybe_done`` from an earlier
    one: a create refused for a lock may have been made then, whatever a resend met after."""
    if earlier is not None and earlier.maybe_done and not outcome.ok:
        return replace(outcome, maybe_done=True)
    return outcome


def _still_locked(outcome: OpResult, retries: int) -> OpResult:
    """A record refused for a row lock at every try, its error saying how often it was sent."""
    if not retries:
        return outcome
    return replace(
        outcome, error=f"{outcome.error} (retried {counted(retries, 'time')}; still locked)"
    )


def _picklist_problem(setting: SfSetting, spec: dict[str, Any]) -> list[SettingProblem]:
    """What is wrong with ``setting``'s value in the picklist ``spec`` describes: nothing when
    it is one of the picklist's active values (compared as Salesforce stores them: exactly)."""
    allowed = [
        str(entry.get("value"))
        for entry in spec.get("picklistValues") or []
        if isinstance(entry, dict) and entry.get("active", True)
    ]
    if setting.value in allowed:
        return []
    restricted = bool(spec.get("restrictedPicklist"))
    where = f"{setting.sobject}.{spec.get('name') or setting.field}"
    kind = "the restricted picklist" if restricted else "the picklist"
    said = f"{setting.value!r} is not a value of {kind} {where} ({', '.join(allowed) or 'none'})"
    if restricted:
        return [SettingProblem(setting.key, f"{said}: Salesforce refuses it", refused=True)]
    return [
        SettingProblem(
            setting.key,
            f"{said}: Salesforce takes it, the picklist not being restricted, but no one can"
            " pick it there",
        )
    ]


def _first_error(content: Any) -> tuple[str, str]:
    """(errorCode, message) of the first error in a REST error body; ("", "") if none."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        error = content[0]
        return str(error.get("errorCode") or error.get("statusCode") or ""), str(
            error.get("message") or ""
        )
    return "", ""


_NO_SUCH_COLUMN = re.compile(r"No such column '(\w+)' on (?:entity|sobject of type) '?(\w+)")


def _error_text(content: Any) -> tuple[str, dict[str, str]]:
    """Salesforce errors (``[{statusCode|errorCode, message, fields}]``) → one readable line
    and ``{field: "CODE: message"}``; any other body (a 300's record URLs, a proxy's text) →
    its items or text on one line."""
    if not isinstance(content, list) or not all(isinstance(e, dict) for e in content):
        items = content if isinstance(content, list) else [content] if content else []
        # As JSON, not as Python shows a dict: its repr escaped a quote or a backslash in a
        # credential the body quoted, which then no redaction found.
        text = ", ".join(
            i if isinstance(i, str) else json.dumps(i, ensure_ascii=False) for i in items
        )
        return " ".join(text.split()), {}
    lines: list[str] = []
    details: dict[str, str] = {}
    for error in content:
        code = error.get("statusCode") or error.get("errorCode") or "ERROR"
        text = f"{code}: {error.get('message') or ''}".rstrip(": ")
        fields = [str(f) for f in error.get("fields") or []]
        lines.append(f"{', '.join(fields)}: {text}" if fields else text)
        details.update(dict.fromkeys(fields, text))
    return "; ".join(lines), details
