"""The Jira connector (Cloud and Data Center), built on the ``jira`` library.

What it takes from the library: the HTTP session with its authentication (basic auth with an
e-mail and API token, or a Data Center personal access token as a bearer token), Jira's default
headers (``X-Atlassian-Token`` for XSRF, JSON content type) and the per-request timeout.

What it does not take, and why (checked against jira 3.10):

- ``JIRA.create_issues`` looks the project and the issue type up once per issue and, by default,
  fetches every created issue again: three or more requests per issue instead of one per 50.
- ``JIRA.search_issues`` / ``enhanced_search_issues`` pick the right endpoint per deployment, but
  both first load ``GET /field`` to translate field names (an extra request we never need, since
  we ask for system fields by id), and page through the session's own retry logic.
- ``JIRA.add_remote_link`` lists the application links first: an extra request, refused with a
  403 for most users.
- ``JIRA.assign_issue`` / ``_get_user_id`` fall back to the first fuzzy search hit, which can
  assign work to the wrong person.
- ``ResilientSession`` retries 429 and 503 itself with a real ``time.sleep``, waits twice the
  ``Retry-After``, and retries every method on a connection error, POST included: a bulk create
  that reached Jira before the connection dropped would be sent, and created, twice.

So the library's own retries are switched off (``max_retries=0``) and every request goes
through :meth:`JiraConnector._send`, the one place that decides about retrying (429 / 503 for
any request, a 500 for reads, dropped connections only for requests that are safe to repeat),
counts requests, and turns failures into :class:`ConnectorError` messages that never carry
credentials.

What is decided from Jira's answers alone, sending nothing, lives beside it: how plansync's
fields are written and read back (:mod:`plansync.connectors.jira_fields`), and which workflow
transition a status move takes (:mod:`plansync.connectors.jira_workflow`). The requests a
status move sends (the transitions listed and taken, a status read, a walk through the
workflow) are made by :mod:`plansync.connectors.jira_transitions`, through :meth:`_send`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import requests
from jira import JIRA, JIRAError

from plansync.connectors.base import (
    ClosedAs,
    ConnectorError,
    FieldUpdate,
    Link,
    NewRecord,
    OpResult,
    RemoteRecord,
    SettingProblem,
    StatusMove,
)
from plansync.connectors.http import (
    RESEND_IF_READ,
    Sender,
    Throttled,
    chunks,
    json_or_none,
    retry_after,
)
from plansync.connectors.jira_answers import reading
from plansync.connectors.jira_fields import (
    SEARCH_FIELDS,
    jira_fields,
    plansync_fields,
    status_category,
)
from plansync.connectors.jira_transitions import StatusMover
from plansync.display import counted, first_few
from plansync.errors import raise_alone
from plansync.redact import add_secret, redact, split_credentials
from plansync.words import PLANSYNC_LABEL

_SEARCH_IDS = 100  # ids per JQL query: keeps the query short and within one page
_PAGE_SIZE = 100  # issues per search page
_CREATE_BATCH = 50  # Jira's bulk create limit
_RECONCILE_MAX = 50  # Cloud's limit on reconcileIssues
_BULK_FETCH = 100  # Cloud's limit on issues one bulkfetch reads
_WORKERS = 4  # concurrent single-issue requests (updates, links)
_RETRY_STATUSES = (429, 503)  # Jira rejected the request before doing anything: safe to resend
# A gateway's error (a proxy or load balancer between plansync and Jira): passing, but Jira may
# have acted, so only a request that may be sent twice (a read, a PUT, an upsert:
# ``resend_on_drop``) is sent again. A 500 is Jira's own, resent to a read only: see
# RESEND_IF_READ (past the retries one issue's read fails that issue).
_RETRY_IF_RESENDABLE = (502, 504)


_T = TypeVar("_T")
_NOT_SENT = OpResult(ok=False, error="not sent: the call failed before it")
"""What an item of :meth:`JiraConnector._each` started after the call failed gives."""


class JiraConnector:
    """Jira Cloud or Data Center behind the :class:`plansync.connectors.base.Connector` interface.

    ``user`` and ``token``: on Cloud the account e-mail and an API token (basic auth); on Data
    Center a personal access token with ``user=None`` (bearer), or a user name and password.
    ``deployment="auto"`` asks ``serverInfo`` once, on first use, so constructing a connector
    sends nothing. ``sleep`` is what waits between retries (injected by tests).
    ``cancel_transition`` names the workflow transition used for "cancelled"; without it a
    transition named like "Won't Do" or "Cancel" is preferred. ``cancelled_status_names`` names
    the closed statuses that mean cancelled (compared ignoring case and surrounding spaces):
    given, a closed issue reads as cancelled in one of them and as done in any other, and a
    transition into one of them is the one "cancelled" takes, so that a workflow whose
    statuses are named otherwise ("Declined") or in another language ("Abgebrochen") is read
    and moved right; without it, both go by the names above.

    A ``url`` with credentials in it (``https://user:token@jira.example.com``) is used without
    them: they become the basic auth when ``user`` and ``token`` are not given (as ``requests``
    would use them), and are dropped otherwise, so that no browse URL, key link or message made
    from :attr:`server` carries them.

    ``links_base`` is the base URL of the browse links it makes (the key links written into
    notes), when that is not the URL requests go to: the embedded sandbox serves on whichever
    port is free, and a link naming this run's port would be dead by the next run.
    ``site_name`` is what :attr:`site` says instead of the URL
    (:data:`plansync.sites.EMBEDDED`). ``ca_bundle`` is a CA file (PEM) to trust instead of
    the system's CAs: a Jira whose certificate a company's own CA signed.
    """

    max_batch: int | None = None  # the config's sync.batch_size (at most a bulk create's 50)

    @property
    def site(self) -> str:
        """The base URL requests go to (without credentials), or ``site_name`` when given."""
        return self._site_name or self.server

    def __init__(
        self,
        url: str,
        user: str | None,
        token: str | None,
        *,
        deployment: Literal["auto", "cloud", "dc"] = "auto",
        timeout: float = 30,
        api_version: Literal["2", "3"] = "2",
        max_retries: int = 5,
        max_backoff: float = 60,
        sleep: Callable[[float], None] = time.sleep,
        cancel_transition: str | None = None,
        cancelled_status_names: Sequence[str] | None = None,
        links_base: str | None = None,
        site_name: str | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        if deployment not in ("auto", "cloud", "dc"):
            raise ValueError(f"deployment must be 'auto', 'cloud' or 'dc', not {deployment!r}")
        if api_version not in ("2", "3"):
            raise ValueError(f"api_version must be '2' or '3', not {api_version!r}")
        self.server, url_user, url_password = split_credentials(url.rstrip("/"))
        if user is None and token is None and (url_user or url_password):
            user, token = url_user, url_password
        self._links_base = links_base.rstrip("/") if links_base else self.server
        self._site_name = site_name
        self._api_version = api_version
        self._http = Sender(
            "Jira",
            self.server,
            max_retries=max_retries,
            max_backoff=max_backoff,
            sleep=sleep,
            ca_bundle=ca_bundle,
        )
        self._mover = StatusMover(
            self._send,
            self._json,
            self._item_failure,
            self._browse,
            cancel_transition=cancel_transition,
            cancelled_status_names=cancelled_status_names,
        )
        self._bearer = user is None and token is not None
        self._without_token = not token
        add_secret(token, user=user)
        auth: dict[str, Any] = {}
        if user is not None:
            auth["basic_auth"] = (user, token or "")
        elif token is not None:
            auth["token_auth"] = token
        self._jira = JIRA(
            self.server,
            get_server_info=False,  # detected lazily, through _send (counted and retried)
            max_retries=0,  # _send owns retrying; see the module docstring
            timeout=timeout,
            # A CA file given is passed with every request, so REQUESTS_CA_BUNDLE, which
            # requests reads only where a request trusts the system's CAs, never overrides it.
            options={"rest_api_version": api_version, "verify": ca_bundle or True},
            **auth,
        )
        self._deployment: Literal["cloud", "dc"] | None = None
        self._configured_deployment = deployment
        if deployment != "auto":
            self._set_deployment(deployment)
        self._users: dict[str, tuple[str, ...]] = {}
        self._issue_types: dict[str, list[str] | None] = {}  # per project; None: no such project
        self._created_ids: dict[str, int] = {}

    # -- the Connector interface ----------------------------------------------------------------

    def fetch_by_ids(self, plansync_ids: list[str]) -> dict[str, RemoteRecord]:
        """Find issues by their plansync id label, one JQL query per 100 ids.

        An id found on several issues (an issue cloned with its labels) maps to the lowest
        key, the others named in its ``duplicates``: the engine syncs one record and the plan
        tells a person about the others.
        """
        wanted = list(dict.fromkeys(plansync_ids))
        found: dict[str, RemoteRecord] = {}
        for batch in chunks(wanted, _SEARCH_IDS):
            in_batch = set(batch)
            issues = self._search(labels_jql(batch), batch)
            with reading(f"searching issues by {len(batch)} plansync id labels"):
                records = [self._record(issue, in_batch) for issue in issues]
            for record in records:
                for label in record.fields["labels"]:
                    if label not in in_batch:
                        continue
                    if label in found:
                        first = found[label]
                        if record.key != first.key and record.key not in first.duplicates:
                            # Not the same issue listed again (offset paging shifted by an edit)
                            found[label] = replace(
                                first, duplicates=(*first.duplicates, record.key)
                            )
                        continue
                    found[label] = replace(record, plansync_id=label)
        return found

    def fetch_by_keys(self, ids_by_key: dict[str, str]) -> dict[str, RemoteRecord]:
        """Read issues by key: search lags new issues by seconds (its index), a read by key
        does not, so an issue a sync made just before this plan is found. Asked only for
        issues the state store knows and search did not return: a rerun within that lag
        (every issue the last sync made) or an issue deleted. Cloud reads 100 a request
        (``POST /issue/bulkfetch``), Data Center, which has no such endpoint, one GET each.
        An issue Jira does not have (a 404; left out of a bulk read) is absent; one that no
        longer carries its id label is not its item's record any more, as search would say
        once it caught up."""
        if not ids_by_key:
            return {}
        if not self._is_cloud():
            return self._read_each(ids_by_key)
        found: dict[str, RemoteRecord] = {}
        for batch in chunks(list(ids_by_key.items()), _BULK_FETCH):
            found |= self._bulk_read(dict(batch))
        return found

    def _read_each(self, ids_by_key: dict[str, str]) -> dict[str, RemoteRecord]:
        """:meth:`fetch_by_keys` one GET an issue; a 404 is an issue that is not there."""
        found: dict[str, RemoteRecord] = {}
        for key, plansync_id in ids_by_key.items():
            what = f"reading issue {key}"
            params = {"fields": ",".join(SEARCH_FIELDS)}
            response = self._send("GET", f"issue/{quote(key, safe='')}", params=params, what=what)
            if response.status_code == 404:
                continue
            issue = self._json(response, what)
            with reading(what):
                record = self._record(issue, {plansync_id})
            if plansync_id in record.fields["labels"]:
                found[plansync_id] = replace(record, plansync_id=plansync_id)
        return found

    def _bulk_read(self, ids_by_key: dict[str, str]) -> dict[str, RemoteRecord]:
        """:meth:`fetch_by_keys` for at most 100 issues, in one ``POST /issue/bulkfetch``.

        Jira leaves out an issue it does not have or the user cannot see (what a GET answers
        404): absent. An issue moved to another project is answered under its new key, which
        was not asked for: it is the record of an asked key whose id it carries and which no
        issue answered under its own key, as a GET of the old key would have said. Issues
        Jira could not read for a passing reason (``issueErrors``, which name them by
        numeric id) are read again one GET each, with every other key not answered, so that
        a failure is not taken for a deletion and each read is judged as :meth:`_read_each`
        judges it."""
        keys = list(ids_by_key)
        what = f"reading {counted(len(keys), 'issue')} by key ({first_few(keys, 3)})"
        body = {"issueIdsOrKeys": keys, "fields": SEARCH_FIELDS}
        response = self._send("POST", "issue/bulkfetch", body=body, what=what, read=True)
        answer = self._json(response, what)
        with reading(what):
            wanted = set(ids_by_key.values())
            records = [self._record(issue, wanted) for issue in answer.get("issues") or []]
            failed = bool(answer.get("issueErrors"))
        by_key = {record.key: record for record in records}
        moved = [record for record in records if record.key not in ids_by_key]
        found: dict[str, RemoteRecord] = {}
        unanswered: dict[str, str] = {}
        for key, plansync_id in ids_by_key.items():
            record = by_key.get(key) or next(
                (r for r in moved if plansync_id in r.fields["labels"]), None
            )
            if record is None:
                unanswered[key] = plansync_id
            elif plansync_id in record.fields["labels"]:
                found[plansync_id] = replace(record, plansync_id=plansync_id)
        if failed and unanswered:
            found |= self._read_each(unanswered)
        return found

    def create_many(self, records: list[NewRecord]) -> list[OpResult]:
        """Bulk create, 50 issues a request; one result per record, in order.

        A dropped connection or timeout during a bulk create raises :class:`ConnectorError` and
        is never resent: the request may have created the issues, so the caller must look the
        ids up by label first (on Cloud, search can lag a few seconds behind writes).

        A request that fails the whole call after an earlier one created issues (a 403, a 429
        past the retries) says so, as Salesforce's per-object requests do: ``acted``, the
        earlier batches' results in ``finished`` and the later batches in ``never_sent``; else
        the issues already made would be known to no one, and their items created again.
        """
        results: list[OpResult | None] = [None] * len(records)
        payloads: list[tuple[int, dict[str, Any]]] = []
        for index, record in enumerate(records):
            try:
                fields = jira_fields(
                    record.fields,
                    cloud=self._is_cloud(),
                    api_version=self._api_version,
                    plansync_id=record.plansync_id,
                )
            except ValueError as error:
                results[index] = OpResult(ok=False, error=str(error))
            else:
                payloads.append((index, {"fields": fields}))
        batches = list(chunks(payloads, _CREATE_BATCH))
        for position, batch in enumerate(batches):
            ids = [records[index].plansync_id for index, _ in batch]
            try:
                outcomes = self._create_batch(ids, [payload for _, payload in batch])
            except ConnectorError as exc:
                exc.acted = exc.acted or any(r is not None and r.ok for r in results)
                exc.finished = list(results)
                later = batches[position + 1 :]
                exc.never_sent = frozenset(index for rest in later for index, _ in rest)
                raise
            for (index, _), outcome in zip(batch, outcomes, strict=True):
                results[index] = outcome
        return [result for result in results if result is not None]

    def update_many(self, updates: list[FieldUpdate]) -> list[OpResult]:
        """Set fields, one PUT per issue, four at a time; one result per update, in order."""
        try:
            self._is_cloud()  # detect once here, not in every worker
        except ConnectorError as exc:
            exc.never_sent = frozenset(range(len(updates)))  # no update was sent
            raise
        return self._each(self._update_one, updates)

    def transition_many(self, moves: list[StatusMove]) -> list[OpResult]:
        """Move each issue to a status of the category its move asks for, four at a time.

        "done" takes a transition into the done category that is not named like a cancel;
        "cancelled" takes the configured ``cancel_transition``, else one named like "Won't Do" /
        "Cancel" into the done category, else any into done; "reopen" one into category new
        (of an issue closed, one into In Progress will do, as ``[ ]`` asks only for open);
        "indeterminate" (``[/]``) the first into that category (In Progress).
        With ``cancelled_status_names``, a transition is a cancel by its target status alone: one
        into a listed status for "cancelled", one into any other closed status for "done".
        A move no transition fits reads the issue's status (one GET): it succeeds with a
        ``note`` when the issue is there already (moved in Jira since the plan); only when it
        is not does "cancelled" fall back to any transition into done, and then, with none,
        the move walks the workflow (:meth:`StatusMover._walk`). A cancel closed as done for
        want of a cancel says so, with ``closed_as`` "done" (:meth:`StatusMover._moved`). A
        move of a closed issue between done and cancelled (``closed``) takes only a transition
        that tells them apart, never that fallback nor a walk (which would reopen it): with
        none it fails and the issue stays (a success moving nothing would make the store take
        the issue for cancelled, and the next plan say Jira had closed it as done since),
        unless the workflow has no cancelled status at all: then a cancel of an issue closed
        as done leaves it so, and says so (:meth:`StatusMover._left_done`). A move that one
        transition makes costs two requests, the list and the POST: walks add none to it.
        The moves are made by :class:`StatusMover`
        (:mod:`plansync.connectors.jira_transitions`), through :meth:`_send`.
        The transition POST is not resent on a dropped connection (a repeat would fail or move
        the issue twice); the next plan reads the status instead. Its lost answer, as a 5xx,
        fails this issue only (as for updates and links), as one that may be moved: a workflow
        post-function that throws on one issue answers 500, and must not stop the transitions
        of every issue after it, run after run.
        """
        return self._each(self._mover.move, moves)

    def upsert_links(self, links: list[Link]) -> list[OpResult]:
        """Create or update remote links by ``globalId``; resent on a dropped connection, since
        Jira matches the ``globalId`` and updates instead of adding a second link."""
        return self._each(self._upsert_link, links)

    def request_count(self) -> int:
        """HTTP requests sent so far, retries and requests that got no answer included."""
        return self._http.count()

    def api_usage(self) -> None:
        """Jira publishes no daily quota to count against; its rate limit answers 429."""
        return None

    def setting_problems(self, written: set[str | None]) -> list[SettingProblem]:
        """None to find: a rule's values (a priority, a label) are Jira's own names, each
        refused as such by the issue it is sent with."""
        return []

    def destination_problem(self, record: NewRecord) -> str | None:
        """Why Jira would refuse every issue of ``record``'s project and issue type (no such
        project for this user, no such issue type in it), or None. One request a project."""
        project = str(record.fields.get("project") or "")
        issue_type = str(record.fields.get("issue_type") or "")
        if project not in self._issue_types:
            self._is_cloud()  # first: on Data Center, REST API v3 is refused as such, not as a 404
            what = f"reading the project {project}"
            response = self._send("GET", f"project/{quote(project, safe='')}", what=what)
            if response.status_code == 404:
                self._issue_types[project] = None
            else:
                answer = self._json(response, what)
                with reading(what):
                    kinds = [str(kind["name"]) for kind in answer.get("issueTypes") or []]
                self._issue_types[project] = kinds
        names = self._issue_types[project]
        if names is None:
            return f"Jira at {self.server} has no project {project!r} that this user can see"
        if names and issue_type.casefold() not in {name.casefold() for name in names}:
            return (
                f"project {project} in Jira at {self.server} has no issue type {issue_type!r}"
                f" (it has {', '.join(names)})"
            )
        return None

    # -- users ----------------------------------------------------------------------------------

    def find_users(self, query: str) -> tuple[str, ...]:
        """The accountIds (Cloud) or user names (Data Center) of the active users whose e-mail,
        display name or user name equals ``query`` (ignoring case): work goes to an owner only
        when there is one, and the plan says which of none or several there were.

        Jira's user search matches prefixes and fuzzy forms; taking its first hit (as the
        library's ``assign_issue`` does) could hand work to the wrong person, so only exact
        matches count. Answers, empty ones included, are cached for the connector's lifetime.
        """
        wanted = query.strip().casefold()
        if not wanted:
            return ()
        if wanted in self._users:
            return self._users[wanted]
        cloud = self._is_cloud()
        what = f"searching users for {query.strip()!r}"
        params = {"query" if cloud else "username": query.strip(), "maxResults": 50}
        users = self._json(self._send("GET", "user/search", params=params, what=what), what)
        id_field = "accountId" if cloud else "name"
        with reading(what):
            matches = {
                user[id_field]
                for user in users
                if user.get("active", True)
                and user.get(id_field)
                and wanted
                in {
                    str(user.get(f) or "").casefold()
                    for f in ("emailAddress", "displayName", "name")
                }
            }
        self._users[wanted] = tuple(sorted(matches))
        return self._users[wanted]

    # -- operations ------------------------------------------------------------------------------

    def _search(self, jql: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        """All issues matching ``jql``, page by page.

        POST rather than GET: 100 quoted ids can make a URL longer than proxies accept, and a
        search is a read, so it is still resent on a dropped connection. Cloud only has
        ``/search/jql`` (``/search`` answers 410) and ``reconcileIssues`` gives read-after-write
        consistency for issues this connector created; Data Center only has ``/search``.
        """
        issues: list[dict[str, Any]] = []
        what = f"searching issues by {len(ids)} plansync id labels"
        if self._is_cloud():
            body: dict[str, Any] = {"jql": jql, "fields": SEARCH_FIELDS, "maxResults": _PAGE_SIZE}
            reconcile = [self._created_ids[i] for i in ids if i in self._created_ids]
            if reconcile:
                body["reconcileIssues"] = reconcile[:_RECONCILE_MAX]
            while True:
                page = self._json(
                    self._send("POST", "search/jql", body=body, what=what, read=True), what
                )
                issues.extend(page.get("issues") or [])
                token = page.get("nextPageToken")
                if not token:
                    return issues
                body = {**body, "nextPageToken": token}
        body = {"jql": jql, "fields": SEARCH_FIELDS, "startAt": 0, "maxResults": _PAGE_SIZE}
        while True:
            page = self._json(self._send("POST", "search", body=body, what=what, read=True), what)
            got = page.get("issues") or []
            issues.extend(got)
            start = int(page.get("startAt", body["startAt"])) + len(got)
            if not got or start >= int(page.get("total", 0)):
                return issues
            body = {**body, "startAt": start}

    def _create_batch(
        self, plansync_ids: list[str], payloads: list[dict[str, Any]]
    ) -> list[OpResult]:
        """One bulk create request; Jira answers 201 if any issue was created, 400 if none.

        Both carry ``issues`` (the created ones, in input order) and ``errors`` (each with the
        0-based ``failedElementNumber`` of its input), which are put back in input order.
        """
        what = f"creating {counted(len(payloads), 'issue')}"
        response = self._send(
            "POST", "issue/bulk", body={"issueUpdates": payloads}, what=what, resend_on_drop=False
        )
        if response.status_code not in (200, 201, 400):
            raise self._failure(response, what)
        answer = json_or_none(response)
        if response.status_code != 400 and not isinstance(answer, dict):
            raise ConnectorError(
                f"Jira answered {response.status_code} to {what}, but its answer could not be"
                " read (cut short, or not JSON): the issues may have been created; the next"
                " sync finds them by their ids",
                kind="unexpected",
            )
        if not isinstance(answer, dict) or not isinstance(answer.get("errors"), list):
            # A 400 about the request as a whole (e.g. too many issues), not per issue.
            message, details = _error_text(response)
            return [OpResult(ok=False, error=message, details=details) for _ in payloads]
        with reading(f"{what} (some may be created: look the ids up by label)"):
            failed = {error.get("failedElementNumber"): error for error in answer["errors"]}
            issues = answer.get("issues") or []
            if len(failed) + len(issues) != len(payloads) or not failed.keys() <= set(
                range(len(payloads))
            ):
                raise ConnectorError(
                    f"Jira's answer to {what} does not account for each issue"
                    f" ({len(issues)} created, failed: {sorted(map(str, failed))});"
                    " look the ids up by label",
                    kind="unexpected",
                )
            created = iter(issues)
            results = []
            for position, plansync_id in enumerate(plansync_ids):
                if position in failed:
                    message, details = _collection_text(failed[position].get("elementErrors") or {})
                    results.append(OpResult(ok=False, error=message, details=details))
                else:
                    issue = next(created)
                    results.append(
                        OpResult(ok=True, key=issue["key"], url=self._browse(issue["key"]))
                    )
                    if str(issue.get("id", "")).isdigit():  # for Cloud's reconcileIssues
                        self._created_ids[plansync_id] = int(issue["id"])
            return results

    def _update_one(self, update: FieldUpdate) -> OpResult:
        try:
            fields = jira_fields(
                update.fields, cloud=self._is_cloud(), api_version=self._api_version
            )
        except ValueError as error:
            return OpResult(
                ok=False, key=update.key, url=self._browse(update.key), error=str(error)
            )
        if "labels" in fields and not any(PLANSYNC_LABEL.fullmatch(x) for x in fields["labels"]):
            return OpResult(
                ok=False,
                key=update.key,
                url=self._browse(update.key),
                error="labels: the update would remove the plansync id label; keep it in the list",
            )
        what = f"updating {update.key}"
        response = self._send(
            "PUT", f"issue/{quote(update.key, safe='')}", body={"fields": fields}, what=what
        )
        if not response.ok:
            return self._item_failure(response, update.key, what)
        return OpResult(ok=True, key=update.key, url=self._browse(update.key))

    def _upsert_link(self, link: Link) -> OpResult:
        target: dict[str, Any] = {"url": link.url, "title": link.title}
        if link.summary is not None:
            target["summary"] = link.summary
        what = f"linking {link.key} to {link.url}"
        response = self._send(
            "POST",
            f"issue/{quote(link.key, safe='')}/remotelink",
            body={"globalId": link.global_id, "object": target},
            what=what,
        )
        if not response.ok:
            return self._item_failure(response, link.key, what)
        return OpResult(ok=True, key=link.key, url=self._browse(link.key))

    def _each(self, call: Callable[[_T], OpResult], items: Sequence[_T]) -> list[OpResult]:
        """``call`` on every item, at most ``_WORKERS`` at a time; results in input order.

        A 5xx answer fails that item only, and so does a connection dropped after its request
        was sent, which is not resent (``answer_lost``: a transition's POST): each may have
        been carried out (``maybe_done``, unless only the item's reads were sent). Anything
        else (a 401, a refused connection, a 429 or 503 still there past the retries, a read
        whose connection kept dropping) fails the whole call, and no item starts after it.
        A Jira that keeps throttling, or asks to come back in two minutes, is not sent the
        hundreds of links still to go: each would be refused too (or waited out, 31 s apiece,
        for hours), and hammering a rate limit only prolongs it. The workers see the failure
        themselves (``stopped``): cancelling futures from this thread comes too late, once the
        result it waits on is in, for what the workers took up meanwhile.
        """
        stopped = threading.Event()

        def guarded(item: _T) -> OpResult:
            if stopped.is_set():  # never returned: an earlier item's failure is raised first
                return _NOT_SENT
            try:
                return call(item)
            except ConnectorError as exc:
                server = exc.status is not None and exc.status >= 500 and not exc.throttled
                if server or exc.answer_lost:
                    return OpResult(ok=False, error=str(exc), maybe_done=not exc.made_nothing)
                stopped.set()
                raise
            except BaseException:
                stopped.set()
                raise

        if len(items) <= 1:
            return [guarded(item) for item in items]
        failure: BaseException | None = None
        with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
            futures = [pool.submit(guarded, item) for item in items]
            try:
                return [future.result() for future in futures]
            except BaseException as exc:
                for future in futures:
                    future.cancel()
                failure = exc
        # The pool has waited for the requests in flight: the items they were for are done in
        # Jira, and reporting them "not sent" would mislead the caller. Those that
        # never started are not attempted; the others failed with the call.
        if isinstance(failure, ConnectorError):
            failure.finished = [_answered(future) for future in futures]
            failure.never_sent = frozenset(
                index for index, future in enumerate(futures) if _never_started(future)
            )
        assert failure is not None
        raise failure

    # -- reading issues --------------------------------------------------------------------------

    def _record(self, issue: dict[str, Any], wanted: set[str]) -> RemoteRecord:
        """A Jira issue from a search → RemoteRecord with plansync field names."""
        fields = issue.get("fields") or {}
        status = fields.get("status") or {}
        category = (status.get("statusCategory") or {}).get("key")
        labels = list(fields.get("labels") or [])
        return RemoteRecord(
            key=issue["key"],
            url=self._browse(issue["key"]),
            plansync_id=next((x for x in labels if x in wanted), None)
            or next((x for x in labels if PLANSYNC_LABEL.fullmatch(x)), None),
            fields=plansync_fields(fields, cloud=self._is_cloud()),
            status_category=status_category(category),
            closed_as=self._closed_as(category, status.get("name")),
        )

    def _closed_as(self, category: str | None, status: Any) -> ClosedAs | None:
        """Whether a closed issue was cancelled or done, as this connector's settings read its
        status (:func:`~plansync.connectors.jira_workflow.how_closed`)."""
        return self._mover.closed_as(category, status)

    # -- HTTP ------------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        resend_on_drop: bool = True,
        read: bool = False,
        api: str | None = None,
    ) -> requests.Response:
        """Send one request through :class:`Sender`; return Jira's answer, whatever its status.

        429 and 503 are resent after ``Retry-After`` within the sender's bounds; 502 and 504, a
        dropped connection or a timeout only when ``resend_on_drop`` (reads, PUTs, upserts); a
        500 only to a read: a GET, or a POST that only reads (``read``: a JQL search).
        Every attempt is counted, answered or not.
        """
        url = f"{self.server}/rest/api/{api or self._api_version}/{path}"
        data = None if body is None else json.dumps(body)
        retried = _RETRY_STATUSES + (_RETRY_IF_RESENDABLE if resend_on_drop else ())
        read = read or method == "GET"
        if read:
            retried += RESEND_IF_READ
        return self._http.send(
            lambda: self._answer(method, url, params, data, what, retried),
            what=what,
            resend_on_drop=resend_on_drop,
            read=read,
        )

    def _answer(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        data: str | None,
        what: str,
        retried: tuple[int, ...],
    ) -> requests.Response:
        """One request through the library's session; any non-2xx answer is returned, not raised,
        except those ``retried``, raised as Throttled for :meth:`_send` to retry (a read's 500
        with its failure: past the retries, it fails as any other 500, saying it was resent).

        A success with a body that is not JSON (a login page that an SSO proxy or an expired
        proxy session answers with, after a redirect turned the PUT or POST into a GET) fails
        the whole call here: Jira's REST API answers JSON or nothing, and an update or link
        taken as done on such an answer would be stored as synced and never sent again.
        """
        answered: list[requests.Response] = []
        try:
            response = self._jira._session.request(
                method,
                url,
                params=params,
                data=data,
                hooks={"response": lambda answer, **_: answered.append(answer)},
            )
        except JIRAError as error:  # the session raises for every non-2xx answer
            if error.response is None:
                raise_alone(
                    ConnectorError(f"Jira gave no answer to {method} {url}", kind="network")
                )
            response = error.response
        except TypeError:
            # The library reads an error body with `"message" in body`, which raises for JSON
            # that is no object (`null` from a proxy): the answer is still Jira's to read.
            if not answered or answered[-1].ok:
                raise
            response = answered[-1]
        if response.status_code in retried:
            failure = (
                partial(self._failure, response, what)
                if response.status_code in RESEND_IF_READ
                else None
            )
            raise Throttled(response.status_code, retry_after(response), failure=failure)
        if response.ok and _is_markup(response):
            raise _not_json(response, what)
        return response

    def _json(self, response: requests.Response, what: str) -> Any:
        """The JSON of a successful answer; anything else fails the whole call."""
        if not response.ok:
            raise self._failure(response, what)
        answer = json_or_none(response)
        if answer is None:
            raise _not_json(response, what)
        return answer

    def _failure(self, response: requests.Response, what: str, sent: str = "") -> ConnectorError:
        """A ConnectorError for an answer that fails a whole call. Says what was asked, never
        the credentials (request headers are not looked at); ``sent``: how often, when it was
        sent again (a read's 500, resent within ``max_retries``)."""
        status = response.status_code
        request = f"{response.request.method} {response.url}"
        if status == 401:
            check = (
                "no API token was given (the config's jira.token is empty: is the variable it"
                " reads set?)"
                if self._without_token
                else "check the user and the API token"
            )
            return ConnectorError(
                f"Jira rejected the credentials for {self.server} (401) while {what}: {check}"
                " (Cloud: account e-mail + API token; Data Center: a personal access token"
                " without a user)",
                status=status,
            )
        denied = response.headers.get("X-Authentication-Denied-Reason")
        if status == 403 and denied:
            return ConnectorError(
                f"Jira refused to authenticate at {self.server} ({denied}) while {what}; "
                "log in through the browser once to clear it",
                status=status,
                kind="auth",
            )
        message, _ = _error_text(response)
        hints = {
            404: f"; is {self.server} the Jira base URL, and does it exist for this user?",
            410: "; Jira Cloud removed this endpoint"
            + {
                "dc": ": is deployment set to 'dc' for a Cloud site?",
                "auto": ": the site's serverInfo did not say Cloud, so it was taken for Data"
                " Center; set deployment = 'cloud'",
            }.get(self._configured_deployment, ""),
        }
        hint = hints.get(status, "")
        if hint:  # "HTTP 404.; is …" read as two sentences run together
            message = message.rstrip(".")
        again = f" {sent}" if sent else ""
        return ConnectorError(
            f"Jira answered {status} to {what} ({request}){again}: {message}{hint}", status=status
        )

    def _item_failure(self, response: requests.Response, key: str, what: str) -> OpResult:
        """A failed answer about one issue: an OpResult, unless it fails every call (401, 5xx,
        authentication denied), which raises."""
        if response.status_code == 401 or response.status_code >= 500:
            raise self._failure(response, what)
        if response.status_code == 403 and "X-Authentication-Denied-Reason" in response.headers:
            raise self._failure(response, what)
        status = response.status_code
        message, details = _error_text(response)
        if status == 404:
            said = f"{key} does not exist or this user cannot see it"
        elif message == _status_line(response):  # no words of Jira's (a proxy's answer, maybe)
            # "…: HTTP 400 Bad Request; fix what Jira's words name" would say the status twice
            # and point at words there are none of.
            said = "; ".join(filter(None, (response.reason, _SENT_AGAIN)))
        else:  # Jira's words name a field, not the issue or the step: a transition's screen
            said = f"{message.rstrip('.')}; {_ITEM_REMEDIES.get(status, _SENT_AGAIN)}"
        # A sentence, as a whole call's failure is: "… (400, linking PLAN-5 to …)" would read
        # as a tuple of Python's, and say nothing of what to do.
        error = f"Jira answered {status} to {what}: {said}"
        return OpResult(ok=False, key=key, url=self._browse(key), error=error, details=details)

    # -- deployment ------------------------------------------------------------------------------

    def _is_cloud(self) -> bool:
        """Whether the server is Jira Cloud, asking ``serverInfo.deploymentType`` once if needed."""
        if self._deployment is None:
            what = "reading the server info"
            info = self._json(self._send("GET", "serverInfo", what=what, api="2"), what)
            with reading(what):
                cloud = info.get("deploymentType") == "Cloud"
            self._set_deployment("cloud" if cloud else "dc")
        return self._deployment == "cloud"

    def _set_deployment(self, deployment: Literal["cloud", "dc"]) -> None:
        """Record the deployment and refuse settings it cannot work with."""
        if deployment == "dc" and self._api_version == "3":
            raise ConnectorError(f"{self.server} is Jira Data Center, which has only REST API v2")
        if deployment == "cloud" and self._bearer:
            raise ConnectorError(
                f"{self.server} is Jira Cloud: give the account e-mail as user with the API token",
                kind="auth",
            )
        self._deployment = deployment

    def _browse(self, key: str) -> str:
        return f"{self._links_base}/browse/{key}"


def _answered(future: Future[OpResult]) -> OpResult | None:
    """The result of an item of a call that failed, where its request was answered."""
    if not future.done() or future.cancelled() or future.exception() is not None:
        return None
    result = future.result()
    return None if result is _NOT_SENT else result


def _never_started(future: Future[OpResult]) -> bool:
    """Whether an item of a call that failed was never sent: cancelled before a worker took
    it up, or taken up once the call had failed (``_NOT_SENT``)."""
    if future.cancelled():
        return True
    return future.done() and future.exception() is None and future.result() is _NOT_SENT


def _not_json(response: requests.Response, what: str) -> ConnectorError:
    """The failure of an answer that is not Jira's: the start of what came instead, quoted on
    one line (a login page says which proxy or SSO is in the way). Redacted before it is cut
    and quoted: a page that shows the password, cut within it or quoted with its quotes and
    backslashes escaped, would show it past the redaction of the message."""
    return ConnectorError(
        f"Jira's answer to {what} is not JSON (a login page or proxy in the way?): "
        f"{redact(response.text)[:200]!r}",
        status=response.status_code,
        kind="unexpected",
    )


def _is_markup(response: requests.Response) -> bool:
    """Whether an answer is a web page (HTML, or XML from a gateway), never Jira's REST JSON.
    Told by its type or first byte, so that the JSON of a read is not parsed twice."""
    content_type = response.headers.get("Content-Type", "").lower()
    return "html" in content_type or response.content.lstrip()[:1] == b"<"


def labels_jql(plansync_ids: Sequence[str]) -> str:
    """``labels in ("ps-a", "ps-b") ORDER BY key``, each value quoted with ``\\`` and ``"``
    escaped, so no id can change the query."""
    values = ", ".join(
        '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in plansync_ids
    )
    return f"labels in ({values}) ORDER BY key"


_SENT_AGAIN = "the next sync sends it again"
"""What becomes of one issue's write that Jira refused: the next plan has it again."""

_ITEM_REMEDIES = {
    400: f"fix what Jira's words name, and {_SENT_AGAIN}",
    403: "the user plansync logs in as needs Jira's permission for it (a Jira admin grants it),"
    f" and {_SENT_AGAIN}",
}
"""What to do about an issue's write that Jira refused, by the status of its answer (else
:data:`_SENT_AGAIN` alone): a 400 is the content (a field the item's line or the config
gives a value Jira does not take, one a screen lacks or requires), a 403 the user's permission
in the project. An answer without Jira's words (a proxy's) has :data:`_SENT_AGAIN` alone."""


def _error_text(response: requests.Response) -> tuple[str, dict[str, str]]:
    """Jira's error body (``errorMessages`` + ``errors``) → ("field: message; ...", errors)."""
    answer = json_or_none(response)
    if isinstance(answer, dict) and ("errors" in answer or "errorMessages" in answer):
        message, details = _collection_text(answer)
        if message:
            return message, details
    if isinstance(answer, dict) and answer.get("message"):
        return str(answer["message"]), {}
    return _status_line(response), {}


def _status_line(response: requests.Response) -> str:
    """What :func:`_error_text` says of an answer without Jira's words: its status line."""
    return f"HTTP {response.status_code} {response.reason}".strip()


def _collection_text(collection: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """A Jira ErrorCollection → a readable line naming each field, and the field errors."""
    errors = collection.get("errors")
    details = {str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {}
    messages = [str(m) for m in collection.get("errorMessages") or []]
    messages += [f"{field}: {message}" for field, message in details.items()]
    return "; ".join(messages), details
