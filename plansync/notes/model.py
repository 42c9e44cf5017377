"""The parse output: what a note and its items are, as other tools see them.

These models are the public contract of ``plansync parse --json`` (see DESIGN.md, "Interfaces
that others rely on"); field names here are that contract, so rename nothing, add freely.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plansync.notes.tasks import LINE_BREAKS
from plansync.settings import Settings

Kind = Literal["action", "decision"]
Priority = Literal["highest", "high", "medium", "none", "low", "lowest"]
ParsedModel = TypeVar("ParsedModel", bound="BaseModel")


class ParseWarning(BaseModel):
    """Something in a note that was read with a fallback; the note is still parsed."""

    model_config = ConfigDict(frozen=True)

    path: str
    line: int | None = None
    message: str
    notice: bool = False
    """Information, not a problem: the note was read right (its damaged text repaired, or its
    bytes that are not UTF-8 read as Windows-1252), and as plansync never rewrites a note for
    it, it is said at every run (``sync --quiet`` does not)."""

    def __str__(self) -> str:
        return located(self.path, self.line, self.message)


def located(path: str | None, line: int | None, message: str) -> str:
    """A warning as one line, ``path:line: message``: a parse's (:class:`ParseWarning`) and a
    plan's (:class:`plansync.engine.changes.PlanWarning`) alike, so the plan's warnings read
    as the notes' do. Without a path (a warning of the whole run), the message alone; without
    a line (or line 0, a note's whole file), the path alone."""
    if path is None:
        return message
    where = f"{path}:{line}" if line else path
    return f"{where}: {message}"


class Item(BaseModel):
    """One action item (a checkbox line) or decision (a bullet under a Decisions heading)."""

    kind: Kind
    line: int = Field(description="1-based line number in the file")
    status: str | None = Field(description="the checkbox character; null for a decision")
    accepted: bool
    text: str = Field(description="description without owner, fields, tags, links and block id")
    owner: str | None = None
    due: dt.date | None = None
    scheduled: dt.date | None = None
    start: dt.date | None = None
    created: dt.date | None = None
    done: dt.date | None = None
    cancelled: dt.date | None = None
    priority: Priority = "none"
    recurrence: str | None = None
    tags: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    task_id: str | None = None
    block_id: str | None = None
    keys: dict[str, str] = Field(default_factory=dict)
    repaired: bool = False
    description: str = Field(
        default="", description="the description as Obsidian Tasks reads it (trailing tags kept)"
    )
    section: str | None = Field(default=None, description="text of the nearest heading above")
    unreadable_dates: tuple[str, ...] = Field(
        default=(),
        description="the date fields (due, ...) whose value is no date (📅 TBD, 📅 2025-12-41):"
        " null here, and not synced, so a record keeps the date it has",
    )
    # A tuple: every action item holds the one empty tuple, where a list would be made for each.
    details: tuple[str, ...] = Field(
        default=(),
        description="a decision's nested lines (sub-bullets and the text that continues its list"
        " item), each as shown, without its list marker: the reasons and caveats its record"
        " should carry; empty for an action item, which Obsidian Tasks reads from its own line"
        " only",
    )
    detail_depths: tuple[int, ...] = Field(
        default=(),
        description="how deep each of details is nested in the decision's list item, in the same"
        " order: 0 for its own sub-bullets and the text under it, 1 for a sub-bullet's"
        " sub-bullets, and so on (a sub-bullet's text is at the sub-bullet's depth); its"
        " record's description nests them so",
    )

    def nested_details(self) -> list[tuple[str, int]]:
        """(detail, depth) of each of :attr:`details`; a depth not given (an item built
        without them, in code) is 0."""
        depths = self.detail_depths
        return [(d, depths[i] if i < len(depths) else 0) for i, d in enumerate(self.details)]


@cache
def builder(model: type[ParsedModel]) -> Callable[..., ParsedModel]:
    """A maker of ``model`` instances from values the parser built with their final types, not
    validated again: called with every field (none left out), in declaration order or by
    keyword, it sets them in declaration order.

    The parser's hot calls pass them in order: CPython 3.11 matches each keyword of a call
    against the parameters' names one by one, and an item's 25 keywords cost ~14 k
    instructions a call more than the same values in order (callgrind: 9% of a note's parse).

    Validation would be a fifth of the time of reading a task line and gains nothing here; the
    tests revalidate every item and note parsed from the examples, samples and conformance cases
    and expect no change.

    A large vault's parse output is mostly items, so they are kept small (about 1 KB an item,
    not 2.9). Every field counts as given (as for a model validated from its own JSON), so all
    instances of a model share one ``model_fields_set``: pydantic only ever adds a field's name
    to it, which is already there. And the values are set one by one into the instance's own
    ``__dict__``, which CPython (3.11 on) makes a key-sharing dictionary, one table of keys for
    all instances: 250 bytes for an item instead of 830. Assigning a dictionary built
    elsewhere, or updating from one, would keep a table per instance.

    The maker is a function written for the model's fields (as ``dataclasses`` writes an
    ``__init__``): it stores each value straight from its argument, where a dictionary of the
    values built first, and copied in, cost ~3 k instructions more an item.
    """
    names = list(model.model_fields)
    # The maker's own names start with "_", which no pydantic field can: a field named as one
    # of them would shadow it inside the maker (a field "model" built the wrong class).
    namespace: dict[str, Any] = {
        "_new": model.__new__,
        "_model": model,
        "_every_field": set(names),
        "_set_fields_set": _set_fields_set,
        "_set_extra": _set_extra,
        "_set_private": _set_private,
    }
    if clash := set(names) & {*namespace, "_instance", "_values"}:
        raise ValueError(f"{model.__name__}'s fields {sorted(clash)} shadow its builder's names")
    code = "\n".join(
        [
            f"def build({', '.join(names)}):",
            "    _instance = _new(_model)",
            "    _values = _instance.__dict__",
            *(f"    _values[{name!r}] = {name}" for name in names),
            "    _set_fields_set(_instance, _every_field)",
            "    _set_extra(_instance, None)",
            "    _set_private(_instance, None)",
            "    return _instance",
        ]
    )
    exec(code, namespace)  # field names are identifiers: a model's attributes
    build: Callable[..., ParsedModel] = namespace["build"]
    return build


# The slots pydantic keeps beside __dict__, set as pydantic itself sets them (bypassing
# BaseModel.__setattr__), through their descriptors.
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def note_name(path: str) -> str:
    """A note's path as plansync knows the note by: in Unicode NFC.

    A file system may hand the same name back in another normalisation than it was written in
    (macOS gives decomposed, NFD, names; a vault synced through Dropbox or Syncthing may flip
    between the two), and a path that differs only so would name the same note by other bytes:
    its records' links and descriptions would show an "update" that changes nothing a person
    can see.
    Obsidian names notes in NFC too. The file keeps its name on disk
    (:func:`plansync.notes.vault.note_file` finds it)."""
    return nfc(path)


def nfc(text: str) -> str:
    """``text`` in Unicode NFC, to compare it with another text that may spell the same
    letters otherwise (``í``, or ``i`` and a combining accent); never to rewrite it."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def note_digest(data: bytes) -> str:
    """The digest a note's bytes are known by, to tell whether they changed since a plan."""
    return hashlib.sha256(data).hexdigest()


class Note(BaseModel):
    """A Markdown note with its front matter and the items found in it."""

    path: str
    title: str | None = None
    date: dt.date | None = None
    participants: list[str] = Field(default_factory=list)
    front_matter: dict[str, Any] = Field(default_factory=dict)
    items: list[Item] = Field(default_factory=list)
    warnings: list[ParseWarning] = Field(default_factory=list)
    digest: str | None = Field(
        default=None, exclude=True, description="note_digest of the bytes the note was read from"
    )
    front_matter_error: ParseWarning | None = Field(
        default=None,
        exclude=True,
        description="why the front matter (between two --- lines) could not be read; the body"
        " was parsed without it",
    )

    def to_contract(self) -> dict[str, Any]:
        """The note as ``plansync parse --json`` prints it."""
        return {
            "path": self.path,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "participants": self.participants,
            "items": [item.model_dump(mode="json") for item in self.items],
            "warnings": [str(w) for w in self.warnings],
        }


def tag_as_written(value: str) -> str:
    """A tag as items carry it, ``#`` first: ``"task"`` would silently match no item."""
    if not re.fullmatch(r"#[^\s#]+", value):
        bare = value.strip().lstrip("#")
        hint = f" ('#{bare}')" if bare and not re.search(r"[\s#]", bare) else ""
        raise ValueError(f"{value!r} is not a tag: write it as in the notes, with its #{hint}")
    return value


class AcceptancePolicy(Settings):
    """Which items a reviewer has accepted. A proposed item (``[?]``) is never accepted.

    Built with a value it cannot take, it raises :class:`plansync.ConfigError` (a
    ``ValueError``), as the config's ``[acceptance]`` does."""

    model_config = ConfigDict(extra="forbid")

    accepted_statuses: list[str] = Field(default_factory=lambda: [" ", "/", "x", "X"])
    proposed_statuses: list[str] = Field(default_factory=lambda: ["?"])
    cancelled_statuses: list[str] = Field(default_factory=lambda: ["-"])
    accept_tag: str = "#accepted"
    decision_headings: list[str] = Field(default_factory=lambda: ["Decisions"])
    decisions_front_matter_key: str = "decisions_accepted"
    global_filter: str = Field(
        default="",
        description="Obsidian Tasks' global task filter: when set, a checkbox line is an item"
        " only if the text after its checkbox contains it (case-sensitive, anywhere but in a"
        " trailing block id), and it is not one of the item's tags",
    )
    remove_global_filter: bool = Field(
        default=False,
        description="Obsidian Tasks' 'Remove global filter from description': the filter, where"
        " it stands as a word, is left out of the item's text",
    )
    owner_names: tuple[str, ...] = Field(
        default=(),
        description="people's names read whole after an @, where the rule (capitalised words,"
        " or a handle) would cut them short: @Ana de la Cruz is Ana de la Cruz, not Ana. A"
        " config fills it with its [users] names (and its [acceptance] may not set it)",
    )

    # Checked here, not only in the config: a status or a tag that no note line can carry
    # would leave the items it was meant for unaccepted, silently, in a library caller's
    # policy as in a config's.
    @field_validator("accepted_statuses", "proposed_statuses", "cancelled_statuses")
    @classmethod
    def _statuses(cls, value: list[str]) -> list[str]:
        for status in value:
            if len(status) != 1:
                raise ValueError(f"{status!r} is not a checkbox status: one character, as in [x]")
        return value

    @field_validator("accept_tag")
    @classmethod
    def _accept_tag(cls, value: str) -> str:
        return value and tag_as_written(value)  # empty: no tag accepts an item

    @field_validator("global_filter")
    @classmethod
    def _global_filter(cls, value: str) -> str:
        """Any text, as in Obsidian Tasks, but one no line can hold would make no line an item."""
        if any(char in value for char in LINE_BREAKS):
            raise ValueError(
                "a global filter is looked for within one line: it cannot hold a line break"
            )
        return value

    if TYPE_CHECKING:
        # The constructor as a type checker reads it, the same as pydantic's but for
        # ``owner_names``: any sequence of names (a list, as the README writes it and the
        # other fields take), which the model keeps as a tuple, as the parser caches by it.
        # A field added to the model is added here too (a test compares them).
        def __init__(
            self,
            *,
            accepted_statuses: list[str] = ...,
            proposed_statuses: list[str] = ...,
            cancelled_statuses: list[str] = ...,
            accept_tag: str = ...,
            decision_headings: list[str] = ...,
            decisions_front_matter_key: str = ...,
            global_filter: str = ...,
            remove_global_filter: bool = ...,
            owner_names: Sequence[str] = ...,
        ) -> None: ...

    @field_validator("owner_names", mode="before")
    @classmethod
    def _names_listed(cls, value: Any) -> Any:
        """One name given as a string: refused saying what to write, where Pydantic's own
        words would be "Input should be a valid tuple"."""
        if isinstance(value, str):
            raise ValueError(f"a list of names, as [{value!r}], not one string")
        return value

    @model_validator(mode="after")
    def _filter_accepts_nothing(self) -> AcceptancePolicy:
        """The global filter is in every task and in none of its tags (the plugin leaves it
        out), so as the accept tag it would accept nothing, silently."""
        if self.global_filter and self.accept_tag.casefold() == self.global_filter.casefold():
            raise ValueError(
                f"accept_tag {self.accept_tag!r} is the global filter, which Obsidian Tasks"
                " leaves out of a task's tags: it would accept no item; use another tag"
            )
        return self

    @model_validator(mode="after")
    def _accepted_is_not_also_proposed(self) -> AcceptancePolicy:
        """A status that is proposed or cancelled too is never accepted (the parser reads those
        first): ``accepted_statuses = [" ", "?"]`` loaded, and left every [?] item unsynced;
        checked here, not only in the config, for a library caller's policy too."""
        for key in ("proposed_statuses", "cancelled_statuses"):
            for status in getattr(self, key):
                if status in self.accepted_statuses:
                    raise ValueError(
                        f"accepted_statuses and {key} both hold {status!r}: an item marked"
                        f" [{status}] is never accepted; take it out of one of them"
                    )
        return self
