"""The plan as data: the small :class:`Change` objects that planning makes (:mod:`.plan`) and
that apply carries out one by one (:mod:`.apply`), and the :class:`Plan` that holds them, with
what it was made from. ``plansync plan --json`` prints :meth:`Plan.to_contract`, the contract in
DESIGN.md; a saved plan is this model's JSON (:meth:`Plan.save`, :meth:`Plan.load`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from plansync.callers import LIBRARY
from plansync.errors import PlansyncError, first_problem
from plansync.files import is_special, remove_abandoned, replace_whole, temps_of
from plansync.notes.model import ParseWarning, located
from plansync.words import status_word

if TYPE_CHECKING:
    from plansync.config import Config

Action = Literal["create", "update", "transition", "link", "write_back", "conflict", "orphan"]
ACTIONS: tuple[Action, ...] = get_args(Action)
Target = Literal["jira", "salesforce", "note"]
Backend = Literal["jira", "salesforce"]
KNOWN_AFTER_CREATE = "(known after create)"
SHOWN_ONLY: tuple[Action, ...] = ("conflict", "orphan")
"""The actions a plan shows and a sync never acts on: skipped, they are the plan carried out."""


class WarningLine(BaseModel):
    """A line a warning stands for beside its own (:attr:`PlanWarning.also`)."""

    model_config = ConfigDict(frozen=True)

    note: str = Field(description="the note, relative to the vault")
    line: int = Field(description="the 1-based line of the note")


class PlanWarning(BaseModel):
    """One of a plan's warnings as data: the note and line it is about, and what it says of
    them. ``str()`` of it is the line :attr:`Plan.warnings` holds, so a script or a caller
    that attaches warnings to notes and lines needs no parsing of that text.

    Not a :class:`~plansync.notes.model.ParseWarning`, which every note's warnings are: a
    plan's may be about no note (a sandbox beside a real site, a backend that refused to look
    users up), and it says ``note`` as the plan's other entries (:class:`ItemRef`) do. A
    note's warnings come into the plan through :meth:`of`.
    """

    model_config = ConfigDict(frozen=True)

    note: str | None = Field(
        default=None, description="the note it is about, relative to the vault; null: none"
    )
    line: int | None = Field(
        default=None, description="the 1-based line of the note it is about; null: none"
    )
    message: str = Field(description="what it says, without the note and line")
    also: tuple[WarningLine, ...] = Field(  # a tuple: a warning is hashable (notices are a set)
        default=(),
        description="the lines it stands for beside ``note`` and ``line`` (all of them where"
        " those are null), where one warning says a thing of several (``likewise 2 more items"
        " of this owner``); empty: none. Not in its text",
    )

    def __str__(self) -> str:
        return located(self.note, self.line, self.message)

    @classmethod
    def of(cls, warning: ParseWarning) -> PlanWarning:
        """A note's warning (its front matter, a date it could not read) in the plan; its line
        0 or None, about the note as a whole, is null, as its text names no line."""
        return cls(note=warning.path, line=warning.line or None, message=warning.message)


class ItemRef(BaseModel):
    """Where a change's item is: a reviewer finds the line by note and number, and apply finds
    it again by its block id, should the line have moved since."""

    note: str
    line: int
    block_id: str | None
    text: str

    @property
    def unread(self) -> bool:
        """Whether no line of the notes is read as this item (line 0): its record is an orphan,
        known by the text last synced. Its line was deleted, lost its checkbox, or is in a
        note that is gone or not read."""
        return self.line == 0


class LineChange(BaseModel):
    """What write-back must do to one note line (the data ``apply`` needs, beyond display)."""

    original: str
    block_id: str
    replace_block_id: bool = False
    drop_links: list[str] = Field(default_factory=list)
    key_target: str | None = None
    keys: dict[str, str] | None = Field(
        default=None,
        description="the keys the line names as the planner read it (reread.reread_keys): the"
        " links write-back replaces or drops; any other is the user's",
    )


class Change(BaseModel):
    """One step of a sync, small enough to review on its own and to apply, fail or be skipped
    on its own (``Outcome`` reports each); conflicts and orphans are shown, never applied."""

    action: Action
    target: Target
    item: ItemRef
    key: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    message: str | None = None
    sobject: str | None = Field(default=None, description="the Salesforce object of the record")
    url: str | None = None
    line_change: LineChange | None = None
    base: dict[str, Any] | None = Field(
        default=None, description="for an adopted record: its fields, to store as the base"
    )
    global_id: str | None = Field(
        default=None, description="a link's global id in Jira (default: plansync:<block id>)"
    )
    base_field: str | None = Field(
        default=None, description="where the state keeps what a link sent (default: link)"
    )
    line_may_be_back: bool = Field(
        default=False,
        description="an orphan whose line may still be in the vault: its id lost (a line links"
        " to its key, or has its text), where only the state finds it again, or in a note that"
        " could not be read; forget refuses it",
    )
    no_longer_routed: bool = Field(
        default=False,
        description="an orphan whose line is read, but sent to this target by no rule any more,"
        " and no longer links to it: forget takes it",
    )
    record_missing: bool = Field(
        default=False,
        description="a conflict: the state store tracks the item's record, but the backend"
        " returns none with its id (deleted, or another backend than it was synced to: a"
        " sandbox restarted without its state); the plan says once what to do",
    )
    key_unmatched: bool = Field(
        default=False,
        description="a conflict: the line names a key, but the backend returns no record with"
        " the item's id and the state store tracks none (a state store lost with the embedded"
        " sandbox's records, another backend, a vault cloned); the plan says once what to do",
    )


class KeptRecord(BaseModel):
    """A record whose fields changed in the backend only (or on both sides, ``[sync.conflicts]``
    keeping the backend's), as data: the plan's ``kept`` lines are prose, which a tool would
    have to parse for the record, its line and the fields."""

    target: Backend
    key: str
    item: ItemRef
    fields: list[str] = Field(description="the fields kept, by name ('status' for the status)")
    overruled: list[str] = Field(
        default_factory=list,
        description="those of ``fields`` the note changed too, [sync.conflicts] keeping the"
        " backend's",
    )


class Fingerprint(BaseModel):
    """What a plan was made from. A plan whose state store or config no longer holds is
    stale, and refused; the changes of a note that changed since are left out of the sync that
    applies it (and those of :attr:`vault_wide` once any note did), and the rest applied."""

    notes: dict[str, str]
    """The digest of each note the plan stands on, by its path."""
    state_revision: int
    state_id: str | None = None
    """The state store's identity (:meth:`StateStore.identity`); None: none on disk yet."""
    sites: dict[str, str | None] = Field(default_factory=dict)
    """Per target, the backend the plan was made against (:func:`plansync.sites.site_of`)."""
    state_dir: str | None = None
    """The state folder of the config the plan was made with, resolved; None: a plan saved
    before it was kept. Never checked alone (a plan applies to the same vault and state store
    at another path: another checkout, another machine), but a plan whose state store is not
    this config's (:attr:`state_id`), or, made before its store had an id, none of whose notes
    is here, is said to be another config's when it differs: "the state store was deleted or
    replaced" would tell one applied with ``--config B`` to look for what never was. A folder moved
    with its store keeps the store's id, and its plan is stale only for what changed since."""
    made_for: str | None = None
    """That config as the refusal names it (:attr:`plansync.config.Config.described`)."""
    vault_wide: list[str] | None = None
    """The block ids whose changes stand on the id being on no line of any note, not only on
    their own note: a cancel of a record whose line was deleted, a line given back the id it
    lost. A note's change, wherever it is, may have put the id on a line, so apply leaves
    their changes out once any note of :attr:`notes` (then every note read) changed. None: a
    plan saved before they were named, which cannot say which changes those are, and which
    any changed note makes stale as a whole."""


class BaseRefresh(BaseModel):
    """Fields that the note and the backend now agree on although the last synced base says
    otherwise (both changed to the same value): the base moves, nothing is sent. Without it, a
    later edit on either side would be taken for a conflict, or not be sent at all."""

    block_id: str
    target: Backend
    fields: dict[str, Any]
    warning: str | None = None
    """What the sync that stores it says once, as a warning: a cancel whose answer was lost,
    found closed as done (the warning its answer would have given, had it arrived)."""


class DeadCreate(BaseModel):
    """An id a sync that died was creating (its journal entry is still open) whose line no
    note holds now, nor any record of the state: what apply needs to settle the entry.

    The plan has looked the id up. ``key`` set: the dead run did make the record, which
    becomes an ordinary record of ``note`` (the base is its fields, as for an adopted one),
    so this plan and every later one treat it like any record whose line is gone. ``key``
    None: no record was found, which may be search lagging the create; apply looks again,
    waiting as it does for any dead run's ids, and then the entry closes either way.
    """

    block_id: str
    target: Backend
    note: str = Field(default="", description="the note its line was in; empty: not known")
    key: str | None = None
    url: str = ""
    fields: dict[str, Any] = Field(default_factory=dict)


class NotAPlan(PlansyncError, ValueError):
    """A file is no plan plansync saved: given to :meth:`Plan.load`, or in the way of
    :meth:`Plan.save`, which writes over no other file; or a plan given to :meth:`Plan.save`
    that :meth:`Plan.load` would refuse (one with no fingerprint). A ``ValueError`` too, as
    pydantic's ``ValidationError`` is, which ``Plan.model_validate_json`` raises for such a
    file."""


PARTIAL_SUFFIX = ".partial"
"""Ends the name of the file a plan is written into before it is renamed over the saved one."""


def _add_both(
    lines: list[str], details: list[PlanWarning], added: list[PlanWarning], *, first: bool
) -> None:
    """Add ``added`` to ``details`` and their lines to ``lines``, after those there are or
    ``first`` before them: the two forms of a plan's warnings (or notices) stay one entry a
    line, in one order."""
    text = [str(detail) for detail in added]
    if first:
        lines[:0], details[:0] = text, added
    else:
        lines += text
        details += added


class Plan(BaseModel):
    """What a sync would change, and what it was computed from (``fingerprint``): a saved plan
    is applied exactly, but for the changes of a note that changed since, left for the next
    sync; or refused when the state store changed since."""

    format_version: Literal["1"] = "1"
    changes: list[Change] = Field(default_factory=list)
    summary: dict[str, int] = Field(default_factory=dict)
    warnings: list[str] = Field(
        default_factory=list,
        description="what a reviewer should read, one line each, many naming a note and line"
        " (`note.md:33: ...`)",
    )
    warning_details: list[PlanWarning] = Field(
        default_factory=list,
        description="``warnings`` as data, one entry per line of it, in order: each line is"
        " the ``str()`` of its entry",
    )
    fingerprint: Fingerprint | None = None
    refresh: list[BaseRefresh] = Field(default_factory=list)
    kept: list[str] = Field(
        default_factory=list,
        description="records whose fields or status were changed in the backend only since"
        " the last sync (or on both sides, [sync.conflicts] keeping the backend's): they"
        " differ from the note, and a sync keeps them",
    )
    kept_records: list[KeptRecord] = Field(
        default_factory=list, description="``kept`` as data, one entry per line of it, in order"
    )
    unrouted: list[ItemRef] = Field(
        default_factory=list,
        description="accepted items that no rule sends anywhere, and that have no record: a"
        " sync leaves them alone, and the reviewer is told (a rule's match may be wrong)",
    )
    dead_creates: list[DeadCreate] = Field(default_factory=list)
    notices: list[str] = Field(
        default_factory=list,
        description="the warnings that are information only (a note's damaged text, read"
        " repaired; a note not in UTF-8, read as Windows-1252): nothing a sync does makes"
        " them go away, so `sync --quiet` (cron, which mails every line) leaves them out;"
        " each is in ``warnings`` too, as they are warnings that every run says",
    )
    notice_details: list[PlanWarning] = Field(
        default_factory=list,
        description="``notices`` as data, one entry per line of it, in order",
    )
    notes_read: int = Field(
        default=0,
        description="the notes the plan read: with none (a glob typo, a wrong vault.path), no"
        " change does not mean in sync",
    )
    abandoned_temps: list[str] = Field(
        default_factory=list,
        description="write-back's temporary files that a killed sync left beside notes (paths"
        " relative to the vault): a sync removes them",
    )

    @model_validator(mode="after")
    def _details_of_old_plans(self) -> Plan:
        """A plan saved before the details were (no ``warning_details``): each line is a
        detail of its own whose note and line are not known, so that ``warnings[i]`` is the
        ``str()`` of ``warning_details[i]`` in every plan, not only in new ones."""
        if self.warnings and not self.warning_details:
            self.warning_details = [PlanWarning(message=line) for line in self.warnings]
        if self.notices and not self.notice_details:
            self.notice_details = [PlanWarning(message=line) for line in self.notices]
        return self

    def warn(
        self,
        message: str,
        note: str | None = None,
        line: int | None = None,
        *,
        also: Iterable[tuple[str, int]] = (),
    ) -> None:
        """Add a warning, about ``note``'s ``line`` when it is about one (and the lines
        ``also`` as (note, line), where it stands for several): to ``warnings`` as its line
        and to ``warning_details`` as data, made of one :class:`PlanWarning`, so that the two
        never disagree."""
        others = tuple(WarningLine(note=path, line=number) for path, number in also)
        self.add_warnings([PlanWarning(note=note, line=line, message=message, also=others)])

    def add_warnings(self, details: list[PlanWarning], *, first: bool = False) -> None:
        """Add ``details`` to the warnings, in both forms: after those there are, or
        ``first`` before them (the notes' own warnings, read before anything was planned)."""
        _add_both(self.warnings, self.warning_details, details, first=first)

    def add_notices(self, details: list[PlanWarning], *, first: bool = False) -> None:
        """Add ``details`` as notices (information only, see ``notices``), to the warnings
        too, as :meth:`add_warnings` adds them."""
        self.add_warnings(details, first=first)
        _add_both(self.notices, self.notice_details, details, first=first)

    def add_read(self, read: list[ParseWarning]) -> None:
        """The warnings of reading the notes (the vault's scan's and each note's), first
        among the plan's; of them the notices, information only, in ``notices`` too."""
        details = [PlanWarning.of(warning) for warning in read]
        self.add_warnings(details, first=True)
        self.notice_details = [
            d for d, warning in zip(details, read, strict=True) if warning.notice
        ]
        self.notices = [str(detail) for detail in self.notice_details]

    @property
    def has_changes(self) -> bool:
        """Whether a sync has anything to do: conflicts and orphans are shown, never acted on."""
        return any(c.action not in SHOWN_ONLY for c in self.changes)

    @property
    def settles_state(self) -> bool:
        """Whether a sync would teach the state store something, changes or none: bases both
        sides now agree on, or a dead run's creates to settle. A sync with nothing else to do
        still runs for these, or a dead create would be looked up again by every plan."""
        return bool(self.refresh or self.dead_creates)

    @property
    def has_housekeeping(self) -> bool:
        """Whether a sync with no change to make still runs: for the state store (see
        :attr:`settles_state`), or for temporary files a killed sync left in the vault."""
        return self.settles_state or bool(self.abandoned_temps)

    def save(self, path: str | os.PathLike[str], config: Config | None = None) -> None:
        """Save the plan in ``path`` (``plansync plan --out``), for :meth:`load` to read back
        and :func:`plansync.apply` to apply exactly, or refuse it once stale.

        Refused (:class:`NotAPlan`, see :func:`check_saveable`) where a file is that is no
        saved plan. Written whole (:func:`plansync.files.replace_whole`): a plan cut short
        (Ctrl-C, a full disk) never stands in its place, half written, to be refused; through
        a symlink, into the file it names. The partial copies of runs killed while they
        wrote one are removed (:func:`plansync.files.remove_abandoned`), which no later run
        would write again: else they would stay for ever. A path that is no regular file
        (``/dev/stdout``, a pipe) is written into as it is. An ``OSError`` names ``path``.

        A plan without a ``fingerprint`` (built by hand, or read from its review JSON) is
        refused too, :class:`NotAPlan`, before any file is touched: :meth:`load` refuses what
        it would write, and apply could not check it or write its keys back. Saved, the
        refusal would come later, at load, far from the code that made it.
        """
        path = Path(path)
        if self.fingerprint is None:
            caller = config.caller if config else LIBRARY
            raise NotAPlan(
                f"{path}: not saved, as the plan has no fingerprint (the notes and state it was"
                " made from: a plan built by hand or read from `plan --json` has none), which"
                f" Plan.load refuses; save one plansync made, `{caller.saves_plan(path)}`"
            )
        check_saveable(path, config)
        text = self.model_dump_json(indent=2)
        if is_special(path) and not path.is_dir():
            with path.open("w", encoding="utf-8") as stream:
                stream.write(text)
            return
        real = path.resolve()
        try:
            replace_whole(real, text.encode("utf-8"), suffix=PARTIAL_SUFFIX)
        except OSError as exc:  # named by the file asked for, not by its partial copy
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        remove_abandoned(temps_of(real, PARTIAL_SUFFIX))  # one that stays is no matter here

    @classmethod
    def load(cls, path: str | os.PathLike[str], config: Config | None = None) -> Plan:
        """The plan :meth:`save` saved in ``path``; :class:`NotAPlan` if the file holds none
        (``plan --json``'s output or :meth:`to_contract`'s, which has no ``fingerprint``;
        other JSON), saying what saves one as ``config``'s caller does it (None: the
        library's words). An ``OSError`` if it cannot be read."""
        path = Path(path)
        try:
            plan = cls.model_validate_json(path.read_bytes())
        except ValidationError as exc:
            raise NotAPlan(
                f"{path} is not a plan saved by plansync: {first_problem(exc)}"
            ) from None
        caller = config.caller if config else LIBRARY
        if not _is_plan(plan):
            raise NotAPlan(
                f"{path} is not a plansync plan; save one with `{caller.saves_plan(path)}`"
            )
        if plan.fingerprint is None:
            # Applied, it would be refused as stale, sending the caller to look for a sync
            # that never ran.
            raise NotAPlan(
                f"{path} is a plan's review JSON (`plan --json`, `Plan.to_contract()`), not a"
                " saved plan: it leaves out what a sync needs to apply it; save one with"
                f" `{caller.saves_plan(path)}`"
            )
        return plan

    def to_contract(self) -> dict[str, Any]:
        """``plansync plan --json``: the documented keys (and ``message``), not apply's data."""
        # Apply's data stays out: ``fields`` holds only what a reviewer reads (values for a
        # create, {"old", "new"} for a change, {"base", "note", "remote"} for a field
        # conflict), so a tool can walk it without knowing links.
        internal = {
            "url",
            "line_change",
            "base",
            "global_id",
            "base_field",
            "line_may_be_back",
            "no_longer_routed",
            "record_missing",
            "key_unmatched",
        }
        contract = self.model_dump(
            mode="json",
            exclude={
                "fingerprint": True,
                "refresh": True,
                "dead_creates": True,
                "notes_read": True,
                "abandoned_temps": True,
                "changes": {"__all__": internal},
            },
        )
        for change in contract["changes"]:
            status = change["fields"].get("status")
            if change["action"] in ("transition", "conflict") and isinstance(status, dict):
                # The plan's words, as its text says them (a transition's {old, new}, a status
                # conflict's {base, note, remote}), not the "new", "indeterminate" and
                # "reopen" apply keeps, which would say "done" -> "reopen" for an issue in To Do.
                change["fields"]["status"] = {
                    side: value if value is None else status_word(value)
                    for side, value in status.items()
                }
        # The ids a dead sync was creating that have no record yet: the text plan names them,
        # and a sync looks them up once more before it forgets them.
        contract["unfound"] = [
            {"target": dead.target, "block_id": dead.block_id, "note": dead.note}
            for dead in self.dead_creates
            if dead.key is None
        ]
        return contract


def check_saveable(path: Path, config: Config | None = None) -> None:
    """Refuse (:class:`NotAPlan`) to save a plan in ``path`` where a file is that is not a
    saved plan: a slip of the keyboard (``--out plansync.toml``, ``--out`` at a note) would
    replace the file with the plan, and the config or the note would be gone. An empty file (made
    by mktemp or touch for this), a file that is no regular one, or one that cannot be read
    (writing it says why) is no refusal. The refusal says what else to do as ``config``'s
    caller does it. :meth:`Plan.save` asks; ``plansync plan --out`` asks first, before it
    plans."""
    if is_special(path):
        return
    try:
        data = path.read_bytes()
    except OSError:
        return
    if not data.strip():
        return
    try:
        is_plan = _is_plan(Plan.model_validate_json(data))
    except ValidationError:
        is_plan = False
    if not is_plan:
        caller = config.caller if config else LIBRARY
        raise NotAPlan(
            f"{path} exists and is not a plan saved by plansync; not overwritten (remove it,"
            f" or {caller.elsewhere})"
        )


def _is_plan(plan: Plan) -> bool:
    """Whether JSON that validated as a :class:`Plan` is one, saved or printed: every field has
    a default, so any JSON object validates (``{"x": 1}`` would be refused as a
    `plan --json`)."""
    return {"format_version", "changes"} <= plan.model_fields_set
