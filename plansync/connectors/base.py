"""The narrow interface the sync engine calls; one module per backend implements it.

The engine knows nothing of HTTP or of a backend's vocabulary: it speaks in plansync ids (the
block id of an item, e.g. ``ps-7k2m9q``), remote keys, and flat field dictionaries whose names
are plansync's (``summary``, ``description``, ``due``, ``priority``, ``assignee``, ``labels``,
``components``, ``status``) or, for Salesforce, the object's API field names.

Every call that can partly fail returns one result per input instead of raising, so one bad
item never stops the others; an exception means the whole call failed (auth, network, 5xx past
the retry bound) and is a :class:`ConnectorError` whose message is safe to print (no secrets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from plansync.errors import PlansyncError
from plansync.redact import redact

StatusCategory = Literal["new", "indeterminate", "done"]
Transition = Literal["done", "cancelled", "reopen"]
"""The moves every backend with a status makes (Salesforce's ``status_values`` keys)."""
Move = Literal[Transition, "indeterminate"]
"""What a :class:`StatusMove` asks for: a :data:`Transition`, or into in progress (``[/]``,
Jira's category "indeterminate"), asked only of a backend that has a status for it."""
StatusValue = Literal[Transition, "in_progress"]
"""The keys of Salesforce's ``status_values``: the moves, and the optional ``in_progress``
(without it, ``[/]`` moves no record there)."""
ClosedAs = Literal["done", "cancelled"]

FailureKind = Literal["auth", "network", "throttled", "server", "unexpected", "refused"]
"""What kind of whole-call failure a :class:`ConnectorError` is, for a caller to act on without
reading its message: ``auth`` (credentials rejected or missing, a login refused), ``network``
(no answer: nobody listening, DNS, TLS, a dropped connection or a timeout), ``throttled`` (a
rate limit or an overload past the retries; ``retry_after`` says when, if the backend did),
``server`` (a 5xx), ``unexpected`` (an answer that is not the API's: a login page or a proxy's,
JSON of another shape) and ``refused`` (any other refusal: a 403, a 404 for a wrong URL, a
setting the backend cannot work with). ``network``, ``throttled`` and ``server`` may clear by
themselves (try again later); ``auth``, ``unexpected`` and ``refused`` need a person."""


def _failure_kind(status: int | None, *, throttled: bool = False) -> FailureKind:
    """The kind an answer's HTTP ``status`` says, for a failure whose raiser named none.

    The one place statuses are classified: a failure without a status (no answer, a local
    setting) cannot be told apart here, so its raiser names its kind, else it is ``refused``.
    """
    if throttled or status == 429:
        return "throttled"
    if status in (401, 407):
        return "auth"
    if status is not None and status >= 500:
        return "server"
    if status is not None and status < 400:  # a 200 that was no answer of the API
        return "unexpected"
    return "refused"


REFUSED_BEFORE_ACTING = frozenset({400, 401, 403, 404, 429, 503})
"""Answers that mean the backend did nothing with the request (unlike a 408, 409 or a 5xx from
a gateway, which can come after it acted): a create's journal entry can be closed, an update or
transition refused so was not done. A 503 is among them: both connectors resend a create
answered 503 (a POST that must not be made twice), as Jira ("a 503 response may be returned
when a resource limit has been reached", Atlassian's rate-limiting guide, to be handled as a
429) and Salesforce (server unavailable or overloaded) refuse it before acting; past the
retries it is refused, not said to have maybe made it."""


class ConnectorError(PlansyncError):
    """The backend refused or failed a whole call. The message names what and why, never secrets.

    The message is redacted here, in the one place every connector failure passes through, so a
    URL quoted from anywhere (a library's error text, a response's URL) never shows credentials.
    ``status`` is the HTTP status of the answer that failed it (None without one); ``kind`` says
    what failed (:data:`FailureKind`), given by the raiser or else read from the status.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        throttled: bool = False,
        kind: FailureKind | None = None,
    ):
        super().__init__(redact(message))
        self.status = status
        self.kind: FailureKind = kind or _failure_kind(status, throttled=throttled)
        self.retry_after = retry_after
        self.throttled = throttled
        """The backend kept refusing before acting (429, 503, a rate limit) past the retry
        bound: it is the backend that is unwell, not one record, so a caller that goes on per
        record must stop instead of sending it the rest (each would only be refused too)."""
        self.acted = False
        """An earlier request of the same call was carried out (a call that sends one request
        per object): whatever the status says of the failed request, the call as a whole did
        something, so a caller must not take it for refused before acting."""
        self.unsent = False
        """No request of the call reached the backend (every connect failed): nothing can
        have been done, whatever the call was."""
        self.read_only = False
        """Only reads of the item reached the backend before the call failed (the list of an
        issue's transitions, its status): nothing can have been changed, whatever the status
        of the answer that failed it (a dropped connection, a 500 past the resends)."""
        self.never_sent: frozenset[int] = frozenset()
        """Of a call that sends a request per item or per group of items (Jira: per issue;
        Salesforce: per object), the positions of the items whose request was never sent, as
        the call failed before it: not attempted, unlike the items of the request that failed
        it (and of those in flight beside it)."""
        self.finished: list[OpResult | None] = []
        """Of a call that sends one request per item, each item's result where its request
        was answered before the call failed, in the call's order (None: not sent, or the one
        that failed it); empty when the call did none or cannot tell."""
        self.answer_lost = False
        """The request was sent and its connection dropped (or timed out) before an answer,
        and it was not sent again, as the backend may have carried it out (a Jira transition's
        POST): the failure of that one request, which says nothing of the next one's. A
        call sending one request per item fails that item with it, not the whole call; were
        the backend down, the next item's first request (a read, resent) would say so."""

    @property
    def made_nothing(self) -> bool:
        """Whether the request that failed (and the call it is part of) can have done nothing:
        no request of it reached the backend, only its reads did (a transition's list), the
        backend refused it before acting (:data:`REFUSED_BEFORE_ACTING`), or the connector
        refused it before sending (a setting the backend cannot work with, a login that
        failed: no status); and no earlier request of the call was carried out (a Jira
        transition part way through its walk). Else it may have been done: the one place
        both a whole call's failure and one item's (a 5xx to its write) are told so."""
        refused_here = self.status is None and self.kind in ("auth", "refused")
        refused = (
            self.unsent or self.read_only or refused_here or self.status in REFUSED_BEFORE_ACTING
        )
        return not self.acted and refused


@dataclass(frozen=True)
class RemoteRecord:
    """A record as the backend holds it now, normalised to plansync field names."""

    key: str
    url: str
    plansync_id: str | None
    fields: dict[str, Any]
    status_category: StatusCategory | None = None
    closed_as: ClosedAs | None = None
    """For a record in the done category, which of done and cancelled its status says (Jira
    puts both in one category, "Won't Do" beside "Done"); None when it is not closed or the
    backend cannot tell the two apart (one closed status, one value for both)."""
    sobject: str | None = None
    """The Salesforce object of the record (None for Jira)."""
    duplicates: tuple[str, ...] = ()
    """Keys of other records carrying the same plansync id (a Jira issue cloned with its
    labels); this record is the one the engine syncs."""
    status_value: str | None = None
    """The backend's own value for the record's status where the config says what each value
    is (a Salesforce ``status_field`` value): None for Jira, whose statuses are read by their
    category, and for a record with no status."""

    @property
    def status_unnamed(self) -> bool:
        """Whether the record is in a status its config names nowhere (a Salesforce value that
        neither ``status_values`` nor ``open_status_values`` lists, "Declined"): neither open
        nor closed to plansync, so that a move into it is the backend's word, which a move of
        the checkbox does not overwrite unseen (:func:`plansync.engine.diff.diff_status`)."""
        return self.status_category is None and self.status_value is not None


@dataclass(frozen=True)
class NewRecord:
    """A record to create, carrying ``plansync_id`` (a Jira label, a Salesforce external id)."""

    plansync_id: str
    fields: dict[str, Any]
    sobject: str | None = None
    """The Salesforce object the record belongs to (None: the backend's default)."""


@dataclass(frozen=True)
class FieldUpdate:
    """New values for a record's fields; ``plansync_id`` lets a backend upsert by external id."""

    key: str
    fields: dict[str, Any]
    plansync_id: str | None = None
    sobject: str | None = None


@dataclass(frozen=True)
class StatusMove:
    """A record to move to the status ``to`` asks for; ``sobject`` as in :class:`FieldUpdate`."""

    key: str
    to: Move
    sobject: str | None = None
    closed: bool = False
    """The record is closed already and the move is between done and cancelled: only a
    transition that tells the two apart makes it, never one into the other's status nor a
    reopen on the way (see :meth:`plansync.connectors.jira_transitions.StatusMover._walk`);
    with none, the move fails and the record stays, rather than succeed having moved nothing
    (the store would then take it as moved, and the next plan say the backend had moved it
    back)."""
    from_progress: bool = False
    """A reopen of a record the plan saw in progress (``[/]`` moved back to ``[ ]``): it asks
    for to do itself, so a record still in progress is not there, though it is open (what a
    reopen of a closed record asks for, ``[ ]`` saying no more)."""


@dataclass(frozen=True)
class SettingProblem:
    """A value of the config the backend would refuse (``refused``: the plan fails naming
    ``key``) or does not know (a warning), with what is wrong with it."""

    key: str
    message: str
    refused: bool = False

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


@dataclass(frozen=True)
class Link:
    """A link from a remote record to somewhere else, upserted by ``global_id``."""

    key: str
    global_id: str
    url: str
    title: str
    summary: str | None = None


@dataclass
class OpResult:
    """The outcome of one element of a batch call.

    ``error`` is a readable message (a Jira field error such as ``duedate: invalid date``);
    ``key`` names the record whenever it is known (for a create, the new record's key).
    ``note`` says why an ok element sent nothing (the record was where it was asked to go
    already), so that a caller can tell the user the step is done without a request, or which
    way a move went that took more than one transition.
    """

    ok: bool
    key: str | None = None
    url: str | None = None
    error: str | None = None
    details: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    maybe_done: bool = False
    """A failed element the backend may have carried out all the same (a 5xx answer to its
    write, or none at all; a lock timeout or a duplicate of the id being written, as a request
    resent after a timeout meets the first one): a caller tracking creates looks for the record
    before taking it as not made, and says of an update or a move that it may be done."""
    closed_as: ClosedAs | None = None
    """Of a move into cancelled that the backend holds as done (a workflow with no cancelled
    status, or no transition into one: closed as Done, or left there; or a configured cancel
    transition into a status the config does not call cancelled), "done", and ``note`` says so:
    the caller keeps it beside the status asked, so that the record reads as synced, not as
    closed as done in the backend since. None for any other outcome."""
    status_value: str | None = None
    """Of a move made, the backend's own value the record was moved to, where its config says
    what each value is (a Salesforce ``status_field`` value): the base keeps it, so that a
    record still in it reads as synced after the config reads the value otherwise (see
    :func:`plansync.engine.diff.as_synced`). None for any other outcome, and for Jira."""

    def __post_init__(self) -> None:
        # A server's words about one record may quote the credentials it was sent.
        if self.error is not None:
            self.error = redact(self.error)
        if self.note is not None:
            self.note = redact(self.note)
        self.details = {name: redact(text) for name, text in self.details.items()}


class Connector(Protocol):
    """What a backend must offer the engine."""

    max_batch: int | None
    """Records the engine hands one batch call, when the backend fixes it (Salesforce: one sObject
    Collection request's limit), so that progress is told per request; None: the config's
    ``sync.batch_size`` decides."""

    @property
    def site(self) -> str:
        """The base URL requests go to, without credentials: it tells a sandbox on this machine
        from a real backend, and one backend from another (:mod:`plansync.sites`)."""
        ...

    def fetch_by_ids(self, plansync_ids: list[str]) -> dict[str, RemoteRecord]:
        """The records carrying these plansync ids, keyed by id; batched; missing ids absent."""
        ...

    def fetch_by_keys(self, ids_by_key: dict[str, str]) -> dict[str, RemoteRecord]:
        """The records of these keys that still carry the plansync id each was synced with
        (``ids_by_key``: key → id), keyed by id; a key with no record, or whose record no
        longer carries its id, absent. Asked only for records the state store knows that
        :meth:`fetch_by_ids` did not return: a backend whose search lags writes (Jira's) reads
        them here by key, which does not lag, so that a record made a moment ago is not taken
        for deleted; one whose look-up by id does not lag answers from that alone."""
        ...

    def create_many(self, records: list[NewRecord]) -> list[OpResult]:
        """Create records in batches; one result per input, in order. Never blindly retried."""
        ...

    def update_many(self, updates: list[FieldUpdate]) -> list[OpResult]: ...

    def transition_many(self, moves: list[StatusMove]) -> list[OpResult]:
        """Move records between statuses; one result per move, in order."""
        ...

    def upsert_links(self, links: list[Link]) -> list[OpResult]: ...

    def request_count(self) -> int:
        """HTTP requests this connector has sent (the cost that matters)."""
        ...

    def find_users(self, query: str) -> tuple[str, ...]:
        """The backend's ids of the active users ``query`` names (an owner mapped in the
        config's ``[users]``): all of them, as work is never handed to a guess, and a warning
        that says "none" or "two" tells the reader what to fix."""
        ...

    def destination_problem(self, record: NewRecord) -> str | None:
        """Why the backend would refuse every record made like ``record`` (a project or an
        issue type that does not exist), or None: asked by a plan before it shows creates that
        could only fail one by one at the sync. Cached per destination."""
        ...

    def setting_problems(self, written: set[str | None]) -> list[SettingProblem]:
        """The values the config writes that the backend would refuse or does not know (a
        Salesforce picklist's), for the destinations a plan writes to (``written``: Salesforce
        objects; None, the backend's first), each named by its config key: asked once a plan
        is made, so that a mistyped value fails or is said before it is written. Cached."""
        ...

    def api_usage(self) -> tuple[int, int] | None:
        """(used, allowed) of the backend's API quota, when it tells; reported after a sync."""
        ...
