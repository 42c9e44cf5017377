"""A note file -> :class:`Note` with its items, warnings instead of exceptions.

A note is read once, line by line: the front matter is split off and read by
:mod:`plansync.notes.front_matter`; fenced code is skipped; headings are tracked so that
bullets under a ``Decisions`` heading become decisions; every checkbox line anywhere is an action
item, read by :mod:`plansync.notes.tasks` exactly as the Obsidian Tasks plugin reads it.

This module is that pass and its entry points (:func:`parse_note`, :func:`parse_text`,
:func:`read_note`, :func:`item_lines`). What it asks along the way has a module of its own:
the Markdown block structure (:mod:`~plansync.notes.blocks`), a heading's text
(:mod:`~plansync.notes.headings`), an item's text and owner (:mod:`~plansync.notes.item_text`,
:mod:`~plansync.notes.mentions`), the front matter's values
(:mod:`~plansync.notes.front_matter_values`) and a file's bytes (:mod:`~plansync.notes.note_file`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Container
from functools import lru_cache
from pathlib import Path
from typing import Any

from plansync.errors import wrong_type
from plansync.notes.blocks import (
    HEADING,
    HEADING_STARTS,
    SETEXT_UNDERLINE,
    THEMATIC_BREAK,
    Blocks,
    Lines,
    content_column,
    interrupts_a_paragraph,
    layout,
    list_column,
    setext_heading,
    too_indented,
)
from plansync.notes.fast_line import EasyLine, read_easy, read_plain
from plansync.notes.front_matter import (
    as_written,
    key_line,
    load_front_matter,
    split_front_matter,
)
from plansync.notes.front_matter_values import (
    as_date,
    decisions_switch,
    not_as_written,
    participants_of,
)
from plansync.notes.headings import decision_names, names_decisions
from plansync.notes.item_text import detail_text, item_text
from plansync.notes.links import last_links
from plansync.notes.mentions import owner_names
from plansync.notes.model import (
    AcceptancePolicy,
    Item,
    Kind,
    Note,
    ParseWarning,
    builder,
    note_digest,
)
from plansync.notes.note_file import (
    MAX_NOTE_BYTES,
    decode_note,
    megabytes,
    read_note_bytes,
    unicode_encoding,
)
from plansync.notes.order import in_order, moved, out_of_place
from plansync.notes.signifiers import (
    DATE_SIGNIFIERS,
    PRIORITIES,
    needs_repair,
    repaired_text,
)
from plansync.notes.tasks import (
    LIST_LINE,
    TASK_LINE,
    TaskBody,
    body_from,
    holds_global_filter,
    parse_body,
)

_build_item: Callable[..., Item] = builder(Item)
_build_note: Callable[..., Note] = builder(Note)
"""Items and notes from the values the parser built, not validated again (:func:`builder`)."""

_FIELD_IN_TEXT = re.compile(
    "(?:"
    + "|".join(re.escape(s) for symbols in DATE_SIGNIFIERS.values() for s in symbols)
    + r")\ufe0f? *[0-9]{4}-[0-9]{2}-[0-9]{2}|["
    + "".join(PRIORITIES)
    + "]"
)
"""A date or priority field left in an item's text, before words that end the line (an
owner, say): Obsidian Tasks reads fields at the end of a line only, so it is not read. Use
:func:`field_in_text`."""
_FIELD_STARTS = tuple(
    sorted({s[0] for symbols in DATE_SIGNIFIERS.values() for s in symbols} | set(PRIORITIES))
)
"""The characters a match of ``_FIELD_IN_TEXT`` starts with: emoji, none of them ASCII."""


def field_in_text(core: str) -> re.Match[str] | None:
    """``_FIELD_IN_TEXT.search(core)``, cheaply where it finds nothing (nearly every text).

    The pattern starts with an alternation, so ``re`` tries it at every position of the text:
    ~5 µs an item (a tenth of a note's cost on the parse benchmark). A text holds a field only
    where it holds one of the characters a field starts with, and those are beyond ASCII:
    an ASCII text is told apart at once, any other by a look for each of them."""
    if core.isascii() or not any(map(core.__contains__, _FIELD_STARTS)):
        return None
    return _FIELD_IN_TEXT.search(core)


_DATE_NAMES = {s: name for name, symbols in DATE_SIGNIFIERS.items() for s in symbols}
_BARE_SIGNIFIER = re.compile(f"({'|'.join(map(re.escape, _DATE_NAMES))})\ufe0f? *(?=[@#])")
"""A date signifier right before a mention or a tag ("📆 @Myself"): no date follows it, and
Obsidian Tasks reads it as text."""


def _bare_signifier(core: str) -> str | None:
    """The warning of a date signifier with a mention or tag where its date would be, in the
    item's text ``core``; None: there is none."""
    if core.isascii():  # most texts: no emoji, and one test in C to say so
        return None
    found = _BARE_SIGNIFIER.search(core) if "@" in core or "#" in core else None
    if found is None:
        return None
    return (
        f"{found[1]!r} has no date after it (a mention or tag follows): Obsidian Tasks, and"
        f" plansync with it, reads no {_DATE_NAMES[found[1]]} date there and keeps it in the"
        " item's text; write the date right after it, at the end of the line, or take it out"
    )


QUOTE_MARKERS = re.compile(r"[ \t]*>[ ]?")
BLOCK_START = re.compile(r"\s*(?:[-*+>#]|[0-9]+[.)])(?:[ \t]|$)")
"""How a line of Markdown may start that no file path does: a list item, a quote, a heading."""
CHECKBOX = re.compile(r"\[[^\]]\]")


def read_note(
    path: str | Path, *, display: str, policy: AcceptancePolicy | None = None
) -> Note | ParseWarning:
    """Parse one file, or say why it was skipped."""
    try:
        size, data = read_note_bytes(path)
    except OSError as exc:
        return ParseWarning(path=display, message=f"cannot be read ({exc.strerror}); skipped")
    if size > MAX_NOTE_BYTES:
        return ParseWarning(
            path=display,
            message=f"{megabytes(size)}, over plansync's limit of {megabytes(MAX_NOTE_BYTES)}"
            " for a note; split it, or leave it out with [vault] exclude; skipped",
        )
    if encoding := unicode_encoding(data):
        message = f"{encoding} text; save it as UTF-8 for plansync to read it; skipped"
        return ParseWarning(path=display, message=message)
    if data.find(b"\x00", 0, 8192) >= 0:  # no copy of the first 8 KB to look in
        return ParseWarning(path=display, message="binary file; skipped")
    text, _, not_utf8 = decode_note(data)
    # Its callers (parse_note, the vault's scan) have checked the policy: _parse, not
    # parse_text, and the digest built into the note, not set through pydantic's __setattr__.
    note = _parse(
        text, display, policy or AcceptancePolicy(), every_heading=False, digest=note_digest(data)
    )
    if not_utf8:
        # A notice: plansync never re-encodes a note (write-back keeps every byte), so every
        # run would say it again, and a quiet one leaves it out (see ParseWarning.notice).
        not_utf8_read = ParseWarning(
            path=display, line=not_utf8, message="not UTF-8; read as Windows-1252", notice=True
        )
        note.warnings.insert(0, not_utf8_read)
    return note


def parse_note(
    source: str | Path,
    *,
    policy: AcceptancePolicy | None = None,
    path: str | None = None,
) -> Note:
    """Parse a note from a file path, or from Markdown text when ``source`` is not a file.

    A ``Path`` that names no file, and a one-line string that looks like a path to a note
    (ends in ``.md``, and starts as no Markdown block does: no list marker, quote or heading)
    and names no file, raise ``FileNotFoundError``: read as text it would be a note with no
    items and no warning. A line of a note ("- [ ] Update CHANGELOG.md") is read as the note.
    A folder raises ``IsADirectoryError``: :func:`plansync.scan_vault` reads one. A file that
    cannot be read (permissions, binary, too large) is a note with a warning saying why.
    ``~`` in a Path, and a leading ``~/`` in text, is the home folder. Text that may name a
    file (pasted, typed) is for :func:`parse_text`, which never reads one.
    """
    check_input("parse_note", source, policy)
    # Text on one line may name a file; "" names none (Path("") is the working folder).
    one_line = isinstance(source, Path) or ("\n" not in source and bool(source.strip()))
    named = _home_expanded(source)
    if one_line and _names(named, Path.is_dir):
        raise IsADirectoryError(f"{source}: a folder, not a note (plansync.scan_vault reads one)")
    if isinstance(source, Path) and not _names(named, Path.exists):
        raise FileNotFoundError(f"{source}: no such note")
    if isinstance(source, Path) or (one_line and _names(named, Path.is_file)):
        display = path or str(source)
        found = read_note(Path(named), display=display, policy=policy)
        return found if isinstance(found, Note) else Note(path=display, warnings=[found])
    if one_line and source.rstrip().casefold().endswith(".md") and not BLOCK_START.match(source):
        raise FileNotFoundError(
            f"{source}: no such note (to parse it as text, end it with a newline)"
        )
    return parse_text(source, path=path or "<text>", policy=policy)


def _home_expanded(source: str | Path) -> str | Path:
    """``source`` with ``~`` read as the home folder, as the config's paths (``vault.path``)
    read it, where it named a folder ``~`` in the working one (a user test): in a Path, and
    at the start of text as ``~/``, which starts no line of Markdown meant as a note. Not
    ``~user`` in text: ``~strike~`` is Markdown."""
    if isinstance(source, Path):
        return Path(os.path.expanduser(source))
    return os.path.expanduser(source) if source.startswith("~/") else source


def check_input(call: str, source: object, policy: object) -> None:
    """Refuse, at the call, a note that is not what ``call`` takes (:func:`parse_note` a path
    or text, :func:`parse_text` text only) and a policy that is no AcceptancePolicy: bytes
    failed as "a bytes-like object is required" (in parse_text, "startswith first arg must
    be bytes"), None as an AttributeError, each naming neither the argument nor the remedy."""
    paths = call == "parse_note"
    if not isinstance(source, (str, Path) if paths else str):
        # The remedy for what was given: "decode bytes first" said of None (a value a
        # caller's look-up did not find) sent them looking for bytes they never had.
        if isinstance(source, (bytes, bytearray, memoryview)):
            remedy = f"decode bytes first ({call}(data.decode()))"
        elif isinstance(source, Path):
            remedy = "plansync.parse_note(path) reads a file"
        else:
            remedy = "pass the note's path, or its text" if paths else "pass the note's text"
        taken = "a path or Markdown text (str or Path)" if paths else "Markdown text (str)"
        raise wrong_type(f"plansync.{call}()", taken, source, remedy)
    check_policy(call, policy)


def check_policy(call: str, policy: object) -> None:
    """Refuse what is not an AcceptancePolicy at the call: a dict (``policy={"global_filter":
    "#task"}``) failed as "'dict' object has no attribute 'decision_headings'", in the parser.
    Not taken as one either: the model's own constructor names a misspelt setting as well."""
    if policy is not None and not isinstance(policy, AcceptancePolicy):
        raise wrong_type(
            f"plansync.{call}()",
            "an AcceptancePolicy (or None) as policy",
            policy,
            'make one, e.g. plansync.AcceptancePolicy(global_filter="#task")',
        )


def _names(source: str | Path, kind: Callable[[Path], bool]) -> bool:
    """Whether ``source`` names a file of ``kind``. A one-line note is no file name, and may be
    too long to be one: ``Path.is_file`` raises for that (ENAMETOOLONG) rather than saying no."""
    try:
        return kind(Path(source))
    except OSError:
        return False


_NO_PARAGRAPH, _DECISIONS, _TASKS = range(3)
"""Whose paragraph the last line of an open decision's list item went on with: none (after a
blank line, code or a rule), the decision's (its own or a detail's), or a nested task's."""

_NO_WORDS = re.compile(r"[-*_=+ \t]+|[0-9]{1,9}[.)][ \t]*")
"""A line's content that shows no words of a paragraph: a rule, a setext underline, a list
marker with nothing after it."""


class _OpenDecision:
    """A decision whose list item the lines read may still belong to, and the details found in
    them so far."""

    __slots__ = (
        "column",
        "depth",
        "details",
        "item",
        "level",
        "levels",
        "paragraph",
        "repaired",
        "sub_columns",
        "task_column",
    )

    def __init__(self, item: Item, depth: int, column: int):
        self.item = item
        self.depth = depth
        """The quote depth of its line: a line at another depth is outside its item."""
        self.column = column
        """Where its content starts, after the last ``>``: a line indented less is outside
        the item, unless it is a lazy line of the paragraph above."""
        self.details: list[str] = []
        self.levels: list[int] = []
        """How deep each detail is nested in the item (its ``detail_depths``)."""
        self.sub_columns: list[int] = []
        """The content columns of the sub-bullets open at the line read, outermost first: a
        sub-bullet's depth is how many there are above it."""
        self.level = 0
        """The depth of the paragraph the next lazy line goes on with."""
        self.repaired = False
        """Whether a detail was read from damaged text."""
        self.paragraph = _DECISIONS
        self.task_column = 0
        """The content column of a task nested in the item (0: none): lines indented to it are
        the task's."""


class _PolicyReading:
    """What a note's reader takes from a policy, in the forms it looks things up in: made
    once for each set of the policy's values (:func:`_policy_reading`), not once a note. A
    class with slots, as :class:`mentions.OwnerNames`: a named tuple cost ~1 M instructions to make
    at import."""

    __slots__ = (
        "accept_tag",
        "accepted",
        "decision_headings",
        "decision_names",
        "global_filter",
        "hidden_filter",
        "names",
        "not_accepted",
        "proposed",
    )

    def __init__(
        self,
        decision_headings: tuple[str, ...],
        accept_tag: str,
        accepted: tuple[str, ...],
        proposed: tuple[str, ...],
        cancelled: tuple[str, ...],
        global_filter: str,
        remove_global_filter: bool,
        names: tuple[str, ...],
    ):
        self.decision_headings = frozenset(h.casefold() for h in decision_headings)
        self.decision_names = decision_names(decision_headings)
        self.accept_tag = accept_tag.casefold()
        self.accepted = frozenset(accepted)
        self.proposed = frozenset(proposed)
        self.not_accepted = self.proposed | frozenset(cancelled)
        self.global_filter = global_filter
        self.hidden_filter = global_filter if remove_global_filter else ""
        self.names = owner_names(names) if names else None


_policy_reading = lru_cache(maxsize=16)(_PolicyReading)
"""The :class:`_PolicyReading` of a policy's values. Cached by the values, not by the policy:
an AcceptancePolicy's lists may be changed after it is made, and a note read after that is
read under its new values (~15 k instructions a note, built each time)."""


class _NoteReader:
    """The state of one pass over a note's lines."""

    def __init__(
        self,
        path: str,
        policy: AcceptancePolicy,
        decisions_accepted: bool,
        damaged: bool,
        body: Lines,
        first: int,
    ):
        self.path = path
        self.damaged = damaged
        """Whether anything in the note may need repair: if not, no line is looked at for it."""
        read = _policy_reading(
            tuple(policy.decision_headings),
            policy.accept_tag,
            tuple(policy.accepted_statuses),
            tuple(policy.proposed_statuses),
            tuple(policy.cancelled_statuses),
            policy.global_filter,
            policy.remove_global_filter,
            tuple(policy.owner_names),
        )
        self.decision_headings: Container[str] = read.decision_headings
        self.decision_names = read.decision_names
        self.accept_tag = read.accept_tag
        self.accepted = read.accepted
        self.proposed = read.proposed
        self.not_accepted = read.not_accepted
        self.decisions_accepted = decisions_accepted
        """Whether the front matter accepts every decision of the note."""
        self.global_filter = read.global_filter
        """Obsidian Tasks' global task filter; empty: every checkbox line is a task."""
        self.hidden_filter = read.hidden_filter
        """The filter to leave out of an item's text; empty: none."""
        self.names = read.names
        """The owners read whole where the rule would cut them short (:func:`owner_names`)."""
        self.items: list[Item] = []
        self.warnings: list[ParseWarning] = []
        self.repaired_lines: list[int] = []
        self.first_h1: str | None = None
        self.section: str | None = None
        self.decision_level: int | None = None
        self.decision: _OpenDecision | None = None
        """The last decision, while the lines read may still be part of its list item."""
        self.body = body
        """The lines of the note after its front matter, to find a bullet's parent item in."""
        self.first = first
        """The number of the line before ``body``'s first."""

    def heading(self, level: int, text: str) -> None:
        if self.decision is not None:
            self.close_decision()
        if level == 1 and self.first_h1 is None:
            self.first_h1 = text
        self.section = text
        if self.decision_level is not None and level <= self.decision_level:
            self.decision_level = None
        # A heading as written first: only one that is no decisions heading so pays for more.
        if text.casefold() in self.decision_headings or names_decisions(text, self.decision_names):
            self.decision_level = level

    def line(self, number: int, raw: str) -> None:
        """Read a line as repaired first, as write-back (``writeback.plan_line_edit``) does."""
        if self.damaged:  # repaired_text() looks for damage itself: a clean line comes back as is
            text, repaired = repaired_text(raw)
        else:
            text, repaired = raw, False
        task = TASK_LINE.match(text)
        if task is not None:
            if self.decision is not None:  # a task line is never a detail, but may end one
                self._in_decision(number, text, repaired, task, False)
            marker = task[2]
            # A digit sorts after "-", "*" and "+": only a numbered line is looked at further.
            if marker >= "0" and interrupts_a_paragraph(self.body, number - 1 - self.first, marker):
                return
            raw_body = body_from(text, task.end())
            if self.global_filter and not holds_global_filter(raw_body, self.global_filter):
                # A checklist item, not a task, to the plugin (Task.fromLine): it shows in no
                # query and gets no done date, so plansync neither. Under a Decisions heading
                # it is no decision either: it is still written as a task's line.
                return
            easy = read_easy(raw_body, self.names, self.hidden_filter)
            if easy is not None:
                self._add_easy("action", number, task.group(3), easy, repaired)
                return
            body = parse_body(raw_body)
            if out_of_place(body, raw_body):
                body = parse_body(body_from(self._in_order(number, text), task.end()))
            self._add("action", number, task.group(3), body, repaired)
            return
        if self.decision_level is None:
            return
        if self.decision is not None and self._in_decision(number, text, repaired, None, False):
            return
        match = LIST_LINE.match(text)
        if match is None or not match.group(3) or CHECKBOX.match(match.group(3)):
            # A checkbox the plugin reads as no task ("-\t[ ] x") is no decision either.
            return
        if match[2] >= "0" and interrupts_a_paragraph(self.body, number - 1 - self.first, match[2]):
            return
        if QUOTE_MARKERS.sub("", match.group(1)):
            # A nested bullet is detail of the decision above it; a bullet indented with no
            # item above to hold it (" - Ship on Friday") is a decision of its own: CommonMark
            # allows a list up to three spaces in, and Obsidian shows it as any other.
            # Four columns in with no item above, it is code or a paragraph's text.
            depth, width, _ = layout(text)
            if width > 3 or list_column(self.body, number - 1 - self.first, depth, width):
                return
        if THEMATIC_BREAK.fullmatch(text):
            return
        easy = read_plain(match.group(3))
        if easy is not None:
            self._add_easy("decision", number, None, easy, repaired)
        else:
            self._add(
                "decision",
                number,
                None,
                self._decision_body(number, text, match.start(3)),
                repaired,
            )
        depth, width, _ = layout(text) if text[0] in " \t>" else (0, 0, 0)
        self.decision = _OpenDecision(self.items[-1], depth, content_column(match, width))

    def _decision_body(self, number: int, text: str, start: int) -> TaskBody:
        """The body of the decision whose line ``text``'s words start at ``start``."""
        words = text[start:]
        body = parse_body(words)
        if out_of_place(body, words):
            body = parse_body(self._in_order(number, text)[start:])
        return body

    def _in_order(self, number: int, text: str) -> str:
        """The item's line ``text`` as read: put in order where a person moved plansync's own
        id or key link out of it (:func:`order.in_order`), with a warning naming the line."""
        reordered = in_order(text)
        if reordered is None:
            return text
        self.warnings.append(ParseWarning(path=self.path, line=number, message=moved(reordered)))
        return reordered.line

    def indented(self, number: int, raw: str) -> None:
        """Read a line four columns or more into its container (no list item; code, or text
        going on from the line above) while a decision's list item is open."""
        text, repaired = repaired_text(raw) if self.damaged else (raw, False)
        self._in_decision(number, text, repaired, None, True)

    def hidden(self, line: str) -> None:
        """Note a line hidden in code, a comment or HTML while a decision's list item is open:
        it is no detail, and it ends the item when it stands outside it."""
        self._in_decision(0, line, False, None, True, hidden=True)

    def close_decision(self) -> None:
        """The open decision's list item has ended: its details are its item's."""
        decision = self.decision
        assert decision is not None
        self.decision = None
        if decision.details:
            # Set as the parser sets every field (see model.builder): no validation again.
            values = decision.item.__dict__
            values["details"] = tuple(decision.details)
            values["detail_depths"] = tuple(decision.levels)
            values["repaired"] = values["repaired"] or decision.repaired

    def _in_decision(
        self,
        number: int,
        text: str,
        repaired: bool,
        task: re.Match[str] | None,
        indented: bool,
        *,
        hidden: bool = False,
    ) -> bool:
        """Whether ``text`` (a line, repaired) is part of the open decision's list item and
        nothing more: a detail of it is kept, and the caller reads no item from it. A nested
        task line is part of the item and still an action item of its own (False); a line
        outside the item closes it (False). ``indented``: four columns or more into its
        container (code, unless it goes on with a paragraph); ``hidden``: in code, a comment
        or HTML.

        Where a line stands tells (CommonMark 5.2): in the item's quote, indented to its
        content, or a lazy line of the paragraph above it. A nested task's own lines (its
        sub-bullets and the text under it) are the task's, and no detail: Obsidian Tasks reads
        the task line only, and its sub-bullets are not the decision's reasons.
        """
        decision = self.decision
        assert decision is not None
        # The lines that most often follow a decision, told apart first: a blank line, and the
        # next decision's bullet, which is outside the item (no item's content starts at 0).
        if not text:
            if decision.depth:
                self.close_decision()
                return False
            decision.paragraph = _NO_PARAGRAPH
            return True
        if text[0] in "-*+" and text[1:2] in (" ", "\t"):
            self.close_decision()
            return False
        depth, width, start = layout(text)
        rest = text[start:]
        if not rest.strip():
            if depth < decision.depth:  # the quote the decision is in has ended
                self.close_decision()
                return False
            decision.paragraph = _NO_PARAGRAPH
            return True
        listed = None if indented else LIST_LINE.match(text)
        wordless = hidden or _NO_WORDS.fullmatch(rest) is not None
        goes_on = not (wordless or listed)
        lazy = goes_on and decision.paragraph != _NO_PARAGRAPH
        if depth != decision.depth or (width < decision.column and not lazy):
            self.close_decision()
            return False
        sub_columns = decision.sub_columns
        if not lazy:  # a lazy line goes on with a paragraph, in whatever sub-bullet holds it
            while sub_columns and width < sub_columns[-1]:
                sub_columns.pop()  # a line indented less than its content closed a sub-bullet
        if decision.task_column and (
            width >= decision.task_column or (lazy and decision.paragraph == _TASKS)
        ):
            # Within a nested task's own item: its sub-task is an item; its text is no detail.
            decision.paragraph = _NO_PARAGRAPH if wordless else _TASKS
            return task is None
        decision.task_column = 0
        if task is not None:
            assert listed is not None  # a task line is a list item too
            decision.task_column = content_column(listed, width)
            decision.paragraph = _TASKS
            return False
        if wordless or (indented and not lazy):
            # Code, a rule, an underline or an empty bullet in the item: no paragraph to go on.
            decision.paragraph = _NO_PARAGRAPH
            return True
        words = listed.group(3) if listed is not None else rest
        if listed is not None and CHECKBOX.match(words):
            words = ""  # a checkbox the plugin reads as no task ("-\t[ ] x"): no reason either
        decision.paragraph = _DECISIONS
        if listed is not None:
            level = len(sub_columns)
            sub_columns.append(content_column(listed, width))
        elif lazy:
            level = decision.level
        else:  # a paragraph of the innermost open sub-bullet, or of the decision's own item
            level = max(len(sub_columns) - 1, 0)
        decision.level = level
        if shown := detail_text(words):
            decision.details.append(shown)
            decision.levels.append(level)
            if repaired:
                decision.repaired = True
                self.repaired_lines.append(number)
        return True

    def _add(
        self, kind: Kind, number: int, status: str | None, body: TaskBody, repaired: bool
    ) -> None:
        unreadable: tuple[str, ...] = ()
        for name, raw in body.invalid_dates:
            shown = _not_a_date(raw)
            read = body.dates.get(name)
            if read:
                outcome = f"ignored: the line's {name} date {read} is read"
            else:
                outcome = f"read as no {name} date"
                if name == "due":  # the date synced: a typo must not clear a record's (rules.py)
                    outcome += ", and none is sent: Jira and Salesforce keep the date they have"
                if name not in unreadable:
                    unreadable += (name,)
            self.warnings.append(
                ParseWarning(
                    path=self.path,
                    line=number,
                    message=f"{name} date is {shown}; {outcome}",
                )
            )
        if repaired:
            self.repaired_lines.append(number)
        core = body.core
        if kind == "action" and (field := field_in_text(core)):
            self.warnings.append(
                ParseWarning(
                    path=self.path,
                    line=number,
                    message=f"{field[0]!r} stands in the item's text, before words that end"
                    " the line, where Obsidian Tasks, and plansync with it, does not read a"
                    " field: it stays in the text, and the item has no such field; move it"
                    " to the end of the line",
                )
            )
        if kind == "action" and (bare := _bare_signifier(core)):
            self.warnings.append(ParseWarning(path=self.path, line=number, message=bare))
        links = last_links(core) if "](" in core else None
        hidden = self.hidden_filter if kind == "action" else ""
        text, owner = item_text(core, links, hidden, self.names)
        date = body.dates.get
        tags = body.tags
        if kind == "action" and self.global_filter and self.global_filter in tags:
            # The plugin keeps the filter out of a task's tags (Task.parseTaskSignifiers), as
            # it is in every task: a rule or an accept tag that names it takes nothing.
            tags = [tag for tag in tags if tag != self.global_filter]
        self.items.append(
            _build_item(
                kind,  # kind
                number,  # line
                status,  # status
                self._accepted(kind, number, status, tags),  # accepted
                text,  # text
                owner,  # owner
                date("due"),  # due
                date("scheduled"),  # scheduled
                date("start"),  # start
                date("created"),  # created
                date("done"),  # done
                date("cancelled"),  # cancelled
                body.priority,  # priority
                body.recurrence,  # recurrence
                tags,  # tags
                body.depends_on,  # depends_on
                body.task_id,  # task_id
                body.block_link,  # block_id
                {target: link.key for target, link in links.items()} if links else {},  # keys
                repaired,  # repaired
                body.description,  # description
                self.section,  # section
                unreadable,  # unreadable_dates
                (),  # details: a decision's, set when its list item ends
                (),  # detail_depths
            )
        )

    def _add_easy(
        self, kind: Kind, number: int, status: str | None, easy: EasyLine, repaired: bool
    ) -> None:
        """:meth:`_add` of an item whose line is in :mod:`fast_line`'s easy class: the same
        item, from the values the full reading would have found."""
        text, owner, description, run = easy
        if repaired:
            self.repaired_lines.append(number)
        tags = list(run.tags)
        if kind == "action" and self.global_filter and self.global_filter in tags:
            tags = [tag for tag in tags if tag != self.global_filter]  # as _add: not a tag
        self.items.append(
            _build_item(
                kind,  # kind
                number,  # line
                status,  # status
                self._accepted(kind, number, status, tags),  # accepted
                text,  # text
                owner,  # owner
                run.due,  # due
                run.scheduled,  # scheduled
                run.start,  # start
                run.created,  # created
                run.done,  # done
                run.cancelled,  # cancelled
                run.priority,  # priority
                None,  # recurrence
                tags,  # tags
                [],  # depends_on
                None,  # task_id
                None,  # block_id
                {},  # keys
                repaired,  # repaired
                description,  # description
                self.section,  # section
                (),  # unreadable_dates
                (),  # details
                (),  # detail_depths
            )
        )

    def _accepted(self, kind: Kind, number: int, status: str | None, tags: list[str]) -> bool:
        # The tags are casefolded only where the answer turns on them: an item of an accepted
        # or cancelled status is most of a vault's, and needs no look at them.
        if kind == "decision":
            return self.decisions_accepted or _tagged(self.accept_tag, tags)
        if status in self.not_accepted:
            if status in self.proposed and _tagged(self.accept_tag, tags):
                # The tag accepts an item of a status of its own ([>]), never a proposed one:
                # a reviewer who tagged it meant to accept it, and would see it never synced.
                tag = next(t for t in tags if t.casefold() == self.accept_tag)
                self.warnings.append(
                    ParseWarning(
                        path=self.path,
                        line=number,
                        message=f"proposed ([{status}]) and tagged {tag}: still proposed;"
                        " change its checkbox to accept it",
                    )
                )
            return False
        return status in self.accepted or _tagged(self.accept_tag, tags)


def _tagged(accept_tag: str, tags: list[str]) -> bool:
    """Whether one of the tags is the accept tag (``accept_tag`` is casefolded already)."""
    return bool(tags) and accept_tag in map(str.casefold, tags)


_DATE_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _not_a_date(raw: str) -> str:
    """Why ``raw``, a date field's value, is no date: "not YYYY-MM-DD" would send the writer of
    "2025-02-30", which is that form, looking for a typo in the form."""
    if _DATE_FORM.fullmatch(raw):
        return f"{raw!r}, no day of the calendar"
    return f"{raw!r}, not YYYY-MM-DD" if raw else "nothing, not YYYY-MM-DD"


def holds(text: str, needle: str) -> bool:
    """``needle in text``, faster for a note of a few KB with an emoji in it.

    Such a string keeps four bytes a character, and CPython finds one character in it with
    ``wmemchr`` but a longer needle character by character: ``"%%" in text`` took ~3 µs a
    note, finding each ``%`` ~0.1 µs. The first characters of these needles are rare.
    """
    first = needle[0]
    at = text.find(first)
    while at >= 0:
        if text.startswith(needle, at):
            return True
        at = text.find(first, at + 1)
    return False


def parse_text(text: str, *, path: str = "<text>", policy: AcceptancePolicy | None = None) -> Note:
    """Parse Markdown text already decoded; never raises on content. A ``TypeError`` for what
    is no text, or no policy (see :func:`check_input`)."""
    check_input("parse_text", text, policy)
    return _parse(text, path, policy or AcceptancePolicy(), every_heading=False)


def item_lines(data: bytes, policy: AcceptancePolicy | None = None) -> frozenset[int]:
    """The numbers of the lines of a note's bytes that plansync reads as items.

    With ``policy``, those of a parse under it. Without one, those of a parse under any
    policy: every heading may be a decisions heading, and no global filter is set. So
    write-back, which is not told the config's, still never takes a line in code, in a comment,
    in an HTML block or in the front matter for an item's line.
    """
    text, _, _ = decode_note(data)
    note = _parse(text, "<text>", policy or AcceptancePolicy(), every_heading=policy is None)
    return frozenset(item.line for item in note.items)


_LONE_CR = re.compile(r"\r(?!\n)")
LONE_CARRIAGE_RETURN = "holds a lone carriage return"
"""How the note's warning of its first lone carriage return starts: the planner, which would
refuse that line's item for its line separator, says nothing more of the line."""


def _lone_carriage_return(text: str) -> int:
    """The number of the first line that holds a carriage return not followed by a line feed
    (0: none). Obsidian shows one as a line break, but the Tasks plugin splits a file on line
    feeds only and stops reading a task line at a carriage return: the tasks after one are
    read by neither, and the note looks as if plansync had lost them.

    One regex scan: every note with CRLF endings (a Windows vault's all) is checked, and a
    loop over its carriage returns cost ~4 times as much."""
    found = _LONE_CR.search(text)
    return text.count("\n", 0, found.start()) + 1 if found else 0


@lru_cache(maxsize=1024)
def _atx_heading(line: str) -> tuple[int, str] | None:
    """The level and words (as written) of a line that is an ATX heading (``## Decisions``);
    None: it is none. Cached: a vault's notes share most of their headings, and the match and
    its groups cost ~12 k instructions a heading (the pattern tries its closing sequence after
    each character of the words)."""
    found = HEADING.match(line)
    return (len(found.group(1)), found.group(2) or "") if found else None


class _EveryHeading:
    """A container of every heading's text: each one reads as a decisions heading."""

    def __contains__(self, text: object) -> bool:
        return True


def _parse(
    text: str,
    path: str,
    policy: AcceptancePolicy,
    *,
    every_heading: bool,
    digest: str | None = None,
) -> Note:
    """:func:`parse_text`; with ``every_heading``, any heading opens a decisions section; the
    note's ``digest`` (:func:`note_digest` of the bytes ``text`` was read from) when known."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    front_matter: dict[str, Any] = {}
    warnings: list[ParseWarning] = []
    body_start = 0
    decisions_accepted = False
    split = split_front_matter(lines)
    fm_error = None
    if split is not None:
        fm_lines, body_start = split
        front_matter, fm_error, fm_warnings = load_front_matter(fm_lines, path)
        if fm_error:
            warnings.append(fm_error)
        warnings += fm_warnings
        key = policy.decisions_front_matter_key
        decisions_accepted, switch_warning = decisions_switch(front_matter, fm_lines, key, path)
        if switch_warning is not None:
            warnings.append(switch_warning)
    elif lines and lines[0].rstrip() == "---":
        # Obsidian shows it as a rule: there is no front matter to lose.
        warnings.append(
            ParseWarning(
                path=path,
                line=1,
                message="front matter is not closed by ---; the note is read without it (its"
                " first line a rule, as Obsidian shows it)",
            )
        )

    body = Lines.of(lines[body_start:])  # what Obsidian parses as Markdown: not the front matter
    reader = _NoteReader(path, policy, decisions_accepted, needs_repair(text), body, body_start)
    if every_heading:
        reader.decision_headings = _EveryHeading()
    # Most notes hold no code fence, comment or HTML: their lines skip that bookkeeping.
    blocks = (
        Blocks(body, body_start)
        if "<" in text or holds(text, "```") or holds(text, "~~~") or holds(text, "%%")
        else None
    )
    crlf = "\r" in text
    if crlf and (lone := _lone_carriage_return(text)):
        warnings.append(
            ParseWarning(
                path=path,
                line=lone,
                message=f"{LONE_CARRIAGE_RETURN} (classic Mac line endings): Obsidian"
                " Tasks, and plansync with it, reads nothing after one on a line, so tasks"
                " after it are not read; save the note with LF or CRLF line endings",
            )
        )
    underlined = body_start  # the last setext heading's underline
    for number, line in enumerate(body, body_start + 1):
        if crlf:
            line = line.rstrip("\r")
        if blocks is not None and blocks.hides(number, line):
            if reader.decision is not None:
                reader.hidden(line)
            continue
        # The first character before the prefixes: str.startswith with a tuple is a call of
        # ~900 instructions, on every line of every note; an index and a look cost ~350.
        if (
            line
            and line[0] in "# "
            and line.startswith(HEADING_STARTS)
            and (heading := _atx_heading(line))
        ):
            level, written = heading
            reader.heading(
                level, (repaired_text(written)[0] if reader.damaged else written).strip()
            )
            continue
        if "[" in line:
            if line[0] in " \t>" and too_indented(body, number - 1 - body_start, line):
                if reader.decision is not None:
                    reader.indented(number, line)
                continue
            reader.line(number, line)
        elif (
            line
            and line[-1] in "-= \t"
            and line[0] in "-= "
            and not line.strip(" \t-=")
            and (underline := SETEXT_UNDERLINE.fullmatch(line))
            and (
                words := setext_heading(
                    body,
                    number - 1 - body_start,
                    max(underlined, blocks.hidden if blocks is not None else body_start)
                    - body_start,
                )
            )
        ):
            # "Decisions\n---" is a heading as much as "## Decisions" is (CommonMark 4.3).
            level = 1 if underline.group(1)[0] == "=" else 2
            reader.heading(level, (repaired_text(words)[0] if reader.damaged else words).strip())
            underlined = number  # the next paragraph starts after it, not at the one above
        elif reader.decision_level is not None:
            if line and line[0] in " \t>" and too_indented(body, number - 1 - body_start, line):
                if reader.decision is not None:
                    reader.indented(number, line)
                continue
            reader.line(number, line)
    if reader.decision is not None:
        reader.close_decision()
    warnings += reader.warnings
    if reader.repaired_lines:
        shown = ", ".join(map(str, reader.repaired_lines[:10]))
        more = "…" if len(reader.repaired_lines) > 10 else ""
        plural = "s" if len(reader.repaired_lines) > 1 else ""
        warnings.append(
            ParseWarning(
                path=path,
                line=reader.repaired_lines[0],
                message=f"repaired damaged (double-encoded) text on line{plural} {shown}{more}",
                notice=True,
            )
        )

    title = front_matter.get("title")
    if split is not None and not_as_written(title):
        title = as_written(split[0], "title") or title
    date = as_date(front_matter.get("date"))
    if date is None:
        date = as_date(Path(path).name[:10])
        if split is not None and front_matter.get("date") is not None:
            # Say what the note is read with: its records show its date ({note_date}).
            instead = (
                f"the note's date is taken from its file name ({date.isoformat()})"
                if date is not None
                else "the note is read without a date (its file name does not start with one)"
            )
            warnings.append(
                ParseWarning(
                    path=path,
                    line=key_line(split[0], "date"),
                    message=f"front matter date {front_matter['date']!r} is not a date; {instead}",
                )
            )
    participants = participants_of(front_matter, split[0]) if split is not None else []
    return _build_note(
        path=path,
        title=str(title) if title else reader.first_h1 or Path(path).stem,
        date=date,
        participants=participants,
        front_matter=front_matter,
        items=reader.items,
        warnings=warnings,
        digest=digest,
        front_matter_error=fm_error,
    )
