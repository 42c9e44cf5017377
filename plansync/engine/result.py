"""What a sync did, as data: :class:`Result`, one :class:`Outcome` a change of the plan, the
:class:`ItemError` of each failure and the :class:`SyncWarning` of each warning. The models a
caller reads (``plansync.Result`` …), apart from the steps that fill them in
(:mod:`plansync.engine.apply`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field

from plansync.connectors.base import ClosedAs, FailureKind
from plansync.engine.changes import SHOWN_ONLY, ItemRef, PlanWarning
from plansync.notes.model import located


class ItemError(BaseModel):
    """One failure of a sync: of one item (its note and line), or of a whole call (no note).

    A whole call's failure keeps what its :class:`ConnectorError` said of it, so that a caller
    tells a rejected token from a network down or a rate limit without reading the message:
    ``kind`` (None for one item's failure), the HTTP ``status`` and the ``retry_after`` asked.
    """

    note: str | None
    """The note of the item that failed; None for a whole call, which is no note's (not "-",
    a value a tool would have to know not to open)."""
    line: int | None
    """The item's line (1-based); None for a whole call, and for a record whose line is gone
    (an orphan's cancel), which has none: 0 made that cancel read as a whole call."""
    block_id: str | None
    action: str
    """The step that failed: an item's ("create", "update", "link", "transition", "write
    back"), or the one a whole call was made for (those, or "lookup" of the ids a sync cut
    short was creating); its backend is ``target``."""
    key: str | None = None
    message: str
    kind: FailureKind | None = None
    status: int | None = None
    retry_after: float | None = None
    target: str | None = None
    """The backend that failed ("jira", "salesforce"): an item's, which an item routed to both
    needs said, or a whole call's, so that ``target == "jira"`` finds every failure of Jira;
    None for a write-back, which no backend made."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def whole_call(self) -> bool:
        """A backend refused or failed a whole call (auth, network): no one note line is at
        fault, and that backend's later steps in the run were skipped. Computed, and kept in
        ``model_dump()`` and the JSON, for a caller that reads those rather than the model."""
        return self.note is None

    def __str__(self) -> str:
        """ "note.md:12: salesforce create failed: …", a whole call's "jira create failed: …";
        a record whose line is gone is named by its note alone ("note.md: jira transition
        PLAN-3 failed")."""
        where = ""
        if self.note is not None:
            where = f"{self.note}: " if self.line is None else f"{self.note}:{self.line}: "
        backend = f"{self.target} " if self.target else ""
        key = f" {self.key}" if self.key else ""
        return f"{where}{backend}{self.action}{key} failed: {self.message}"


class Outcome(BaseModel):
    """What became of one change of the plan, so that a caller can report per item.

    ``applied``: done (a create carries its new key). ``failed``: refused, and ``message`` says
    why (the same as the item's entry in ``Result.errors``); or, ``whole_call``, carried by a
    call that failed as a whole, which ``Result.errors`` lists once (its ``note`` and ``line``
    None), and ``message`` says what became of this change. ``skipped``: not attempted, and
    ``message`` says why: a conflict or an orphan (never acted on), an earlier step of the same
    item that failed, a backend that failed a whole call before it, or a create it follows
    that the plan does not hold (``create_left_out``), or a note changed since the plan was
    made (``note_changed``). A skipped
    ``write_back`` may still have put the item's block id into its line (ids go in before any
    record is made), and then says so: the note is in ``Result.notes_written`` though its key
    is not.

    ``changed_since_plan``: a skipped update whose record was edited after the plan was made
    (``Result.warnings`` says which fields); the next plan shows it anew, so unlike a step
    behind a failure it is not waiting for the next sync.
    """

    action: str
    target: str
    item: ItemRef
    key: str | None = None
    status: Literal["applied", "failed", "skipped"]
    message: str | None = None
    changed_since_plan: bool = False
    whole_call: bool = False
    """Failed with the call that carried it (a create whose bulk request got no answer or a
    5xx, an update refused with a 401, a link throttled past the retries): the change was the
    step that failed, not one behind it, but the error is the call's, listed once in
    ``Result.errors``. One item's own failure (a 5xx to its update, a lost answer to its
    transition) is not: its error names its line."""
    maybe_done: bool = False
    """A failed change whose request reached the backend but whose answer did not say what it
    did (the connection dropped, a 5xx), whether the call failed as a whole or the item alone:
    a create's record may exist, and the next sync finds it by its id rather than making it
    again; an update, link or transition may be done, and the next plan shows whether it was
    (a transition is not sent again once Jira shows it). Its message says so."""
    closed_as: ClosedAs | None = None
    """An applied move into cancelled that the backend holds as done ("done": a Jira workflow
    with no cancelled status, or no transition into one, or a configured cancel transition into
    a status the config does not call cancelled), as its message says; so does one
    entry of ``Result.warnings``, naming the line, in this run only: the state store keeps it,
    so that later plans take the record as synced until the line or the record changes."""
    create_left_out: bool = False
    """Skipped, nothing having failed, as it follows a create the plan does not hold: its link,
    write-back or status move needs the record's key. A plan a caller took creates out of (a
    bot applying only what a person approved) leaves those of the same items behind them;
    the next plan has the create and them again."""
    note_changed: bool = False
    """Skipped, nothing having failed, as its item's note changed (or was deleted or renamed)
    since the plan was made: its changes, planned from the note's text then, are left for the
    next sync, which plans them from the note's text now, and the other notes' are applied.
    A change that stands on its id being on no line of any note (an orphan's cancel, a line
    given back the id it lost: :attr:`Fingerprint.vault_wide`) is left out once any note the
    plan read changed. ``Result.warnings`` names the notes."""


class SyncWarning(PlanWarning):
    """One of a sync's warnings as data (:attr:`Result.warning_details`): the note and line,
    and the record, it is about, and what it says of them. The record's key, which its line
    names before the message (``PLAN-7 closed as 'Done': …``), is apart from the message, as
    the note and line are: warnings of one kind differ in them only, and a sync that cancels
    4,053 lines in a Jira with no cancelled status would otherwise print one line each."""

    key: str | None = Field(default=None, description="the record it is about; null: none")

    def __str__(self) -> str:
        return located(
            self.note, self.line, f"{self.key} {self.message}" if self.key else self.message
        )


class Result(BaseModel):
    """What a sync did, with the same counts as the plan's summary plus what failed.

    ``outcomes`` has one entry per change of the plan, in the plan's order. ``notes_written``
    is what to commit or index again: block ids go into the notes before any record is made,
    so a run that then fails a whole call has rewritten notes none of whose outcomes is applied.
    """

    applied: dict[str, int] = Field(default_factory=dict)
    created: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="block id -> {target: new key}"
    )
    errors: list[ItemError] = Field(default_factory=list)
    requests: int = 0
    api_usage: dict[str, tuple[int, int]] = Field(
        default_factory=dict, description="backend -> (requests used, daily limit), if reported"
    )
    outcomes: list[Outcome] = Field(default_factory=list)
    notes_written: list[str] = Field(
        default_factory=list,
        description="the notes (vault-relative paths) whose bytes the sync changed, in the order"
        " first written",
    )
    removed_temps: list[str] = Field(
        default_factory=list,
        description="write-back's temporary files a killed sync left beside notes, removed by"
        " this one (paths relative to the vault)",
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="what needs a look but failed no item: such a file that cannot be removed",
    )
    warning_details: list[SyncWarning] = Field(
        default_factory=list,
        description="``warnings`` as data, one entry per line of it, in order",
    )

    def warn(
        self, message: str, note: str | None = None, line: int | None = None, key: str | None = None
    ) -> None:
        """Add a warning, about ``note``'s ``line`` and the record ``key`` when it is about
        them: to ``warnings`` as its line and to ``warning_details`` as data, made of one
        :class:`SyncWarning`, so that the two never disagree (as :meth:`Plan.warn`)."""
        detail = SyncWarning(note=note, line=line, key=key, message=message)
        self.warnings.append(str(detail))
        self.warning_details.append(detail)

    def add_plan_warnings(self, details: list[PlanWarning]) -> None:
        """Put a plan's warnings ``details`` (of no record) first, in both forms, as
        :meth:`warn` adds one: a plan that no caller saw would have them said nowhere, and a caller
        that attaches warnings to notes and lines reads ``warning_details``."""
        added = [
            SyncWarning(note=d.note, line=d.line, message=d.message, also=d.also) for d in details
        ]
        self.warnings[:0] = [str(detail) for detail in added]
        self.warning_details[:0] = added

    @property
    def not_sent(self) -> int:
        """The updates not sent as their records changed since the plan was made: reviewed
        changes not carried out, which the next plan shows anew."""
        return sum(outcome.changed_since_plan for outcome in self.outcomes)

    @property
    def ok(self) -> bool:
        """Whether everything the plan said was applied, as ``plansync sync``'s exit 0 says:
        no item failed, and no change was skipped but the conflicts and orphans a plan only
        shows; not behind a failure, not an update held back for a record changed since the
        plan, not one following a create the plan does not hold (``create_left_out``), not
        one of a note changed since the plan (``note_changed``): else a plan whose creates were
        taken out would be true with none of its changes applied."""
        return not self.errors and all(
            outcome.status != "skipped" or outcome.action in SHOWN_ONLY for outcome in self.outcomes
        )
