"""Reading one task line the way the Obsidian Tasks plugin reads it.

The plugin's algorithm, which this module follows step for step so that plansync and Obsidian
never disagree about a line:

1. A task line is ``indentation`` (spaces, tabs, ``>``), a list marker (``-``, ``*``, ``+``,
   ``1.``, ``1)``), one or more spaces, ``[c]`` with exactly one status character, then the body.
2. The body is trimmed, and a trailing block link (`` ^abc``) is removed.
3. Fields are removed from the *end* of the body, repeatedly and in any order, until none
   matches: priority, done, cancelled, due, scheduled, start, created dates, recurrence, on
   completion, trailing hashtags, id, depends-on. Each field is an emoji (optionally followed by
   U+FE0F), optional spaces, and a value, anchored at the end. Anything that is not a field stops
   the run, so a signifier in the middle of the text stays text.
4. Hashtags removed on the way are appended back to the description, in order.

Both the emoji format and the Dataview format (``[due:: 2025-10-27]``) are read in the same pass.

plansync departs from the plugin in one place, by design: a date signifier followed by something
that is not a date (``📅 TBD``, ``📅 2025-13-45``) is consumed as a field with a null value and
reported, so that no Jira summary reads "… 📅 TBD"; where the plugin reads a valid date beside it
(it stops at the non-date), that date stays the date. The plugin keeps invalid calendar dates
(``2023-02-29``) as "Invalid date"; plansync also makes those null plus a warning.

Offsets matter as much as values: :attr:`TaskBody.core_end` is where the trailing run of fields
begins, which is where write-back puts a ticket key link so that the plugin still reads every field.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal, NamedTuple

from plansync.notes.signifiers import (
    CANCELLED,
    CREATED,
    DEPENDS_ON,
    DONE,
    DUE,
    ON_COMPLETION,
    PRIORITIES,
    RECURRENCE,
    SCHEDULED,
    START,
    TASK_ID,
)

# JavaScript's String.prototype.trim() set, which the plugin uses (Python's strip() keeps U+FEFF).
JS_WHITESPACE = (
    " \t\n\v\f\r\u00a0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000\ufeff")
)
# The plugin's ``\s``: the same set. Python's ``\s`` differs (it also matches U+001C-U+001F and
# U+0085, and not U+FEFF), so the plugin's patterns that say ``\s`` say this here.
JS_SPACE = "[" + re.escape(JS_WHITESPACE) + "]"

# The indentation is the plugin's [\s\t>]* with JavaScript's \s, so U+0085 and U+001C-U+001F
# do not indent a task (the plugin reads no task there). U+FEFF, which its \s has, stays out as
# it always was here: Obsidian hands the plugin only the lines its Markdown parser lists as list
# items, and in CommonMark a line starting with U+FEFF is not one.
_INDENT = "[" + re.escape(JS_WHITESPACE.replace("\ufeff", "")) + ">]*"
# The status and the body are the plugin's "." (its regex has the u flag, and no "$"): any
# character but a JavaScript line terminator, so the body ends at the first U+2028, U+2029 or
# carriage return in the line, and what follows is not read at all.
LINE_BREAKS = "\n\r\u2028\u2029"
_LINE_CHAR = f"[^{LINE_BREAKS}]"
# A task line up to its body; :func:`body_from` takes the body, with string methods rather than
# the regex engine, which would test each of its characters one by one.
TASK_LINE = re.compile(f"^({_INDENT})([-*+]|[0-9]+[.)]) +\\[({_LINE_CHAR})\\] *")
_LINE_BREAK = re.compile(f"[{LINE_BREAKS}]")
# Any list item, as CommonMark starts one: a space or a tab after the marker (the plugin's
# TASK_LINE wants spaces, so "-\t[ ] x" is a list item but no task).
LIST_LINE = re.compile(f"^({_INDENT})([-*+]|[0-9]+[.)])[ \t]+(.*)$")
BLOCK_LINK = re.compile(r" \^([a-zA-Z0-9-]+)$")

_DATE = r"([0-9]{4}-[0-9]{2}-[0-9]{2})"
_TAG_CHARS = r"#[^ !@#$%^&*(),.?\":{}|<>]+"
_IDS = r"([a-zA-Z0-9-_]+(?: *, *[a-zA-Z0-9-_]+ *)*)"


def _alternatives(symbols: tuple[str, ...] | list[str]) -> str:
    return "(?:" + "|".join(map(re.escape, symbols)) + ")"


def _emoji_field(symbols: tuple[str, ...] | list[str], value: str = "") -> re.Pattern[str]:
    source = _alternatives(symbols) + "\ufe0f?"
    if value:
        source += " *" + value
    return re.compile(source + "$")


def _dataview_field(inner: str) -> re.Pattern[str]:
    # "[" only if a "]" follows later, else "(" only if a ")" follows; an optional trailing comma.
    return re.compile(r"(?:(?=[^\]]+\])\[|(?=[^)]+\))\() *" + inner + r" *[)\]](?: *,)?$")


Anchor = Literal["emoji", "dataview", "tag", "invalid_date"]


@dataclass(frozen=True)
class _FieldRule:
    """One field the plugin cuts off the end of a line, and where a match can start.

    Every pattern is anchored at the end, and no field value contains its own signifier (nor,
    in the Dataview form, a bracket), so a match can only start at the *last* signifier (or
    bracket, or ``#``) in the line. Searching from there gives the plugin's result without
    scanning the line from the start, which for the Dataview look-aheads is quadratic.
    """

    name: str
    pattern: re.Pattern[str]
    anchor: Anchor = "emoji"
    symbols: tuple[str, ...] = ()
    ends: frozenset[str] | None = None
    """The characters a matching line can end with (None: any); most lines are rejected here."""

    def search(self, line: str) -> re.Match[str] | None:
        if self.anchor == "emoji":
            start = max(line.rfind(s) for s in self.symbols)
        elif self.anchor == "dataview":
            if not line.endswith((")", "]", ",")):
                return None
            start = max(line.rfind("["), line.rfind("("))
        elif self.anchor == "tag":
            start = line.rfind("#")
            start = start - 1 if start > 0 else start
        else:
            # A value of any characters but spaces: the signifier stands right before the
            # spaces that precede the last word, or ends the line.
            space = line.rfind(" ")
            while space > 0 and line[space - 1] == " ":
                space -= 1
            start = max(0, space - 2) if space > 0 else 0
        return self.pattern.search(line, start) if start >= 0 else None

    @property
    def triggers(self) -> tuple[str, ...]:
        """Text without which the rule cannot match a line, nor any prefix of it."""
        return {"dataview": ("::",), "tag": ("#",)}.get(self.anchor, self.symbols)


def _rules() -> tuple[_FieldRule, ...]:
    """The plugin's matching order, emoji then Dataview form for each field."""
    priority_names = "highest|high|medium|low|lowest"
    dates = {
        "done": (DONE, "completion"),
        "cancelled": (CANCELLED, "cancelled"),
        "due": (DUE, "due"),
        "scheduled": (SCHEDULED, "scheduled"),
        "start": (START, "start"),
        "created": (CREATED, "created"),
    }

    def emoji(name: str, symbols: tuple[str, ...], value: str = "", ends: str = "") -> _FieldRule:
        last = frozenset(ends or "".join(symbols) + "\ufe0f")
        return _FieldRule(name, _emoji_field(symbols, value), "emoji", symbols, last)

    def dataview(name: str, inner: str) -> _FieldRule:
        return _FieldRule(name, _dataview_field(inner), "dataview", ends=frozenset(")],"))

    digits = string.digits
    words = string.ascii_letters + digits

    rules = [
        emoji("priority", tuple(PRIORITIES)),
        dataview("priority_dv", f"priority:: *({priority_names})"),
    ]
    for name, (symbols, key) in dates.items():
        rules += [emoji(name, symbols, _DATE, digits), dataview(name, f"{key}:: *{_DATE}")]
    depends = _alternatives(DEPENDS_ON) + "\ufe0f? *" + _IDS + "$"
    rules += [
        emoji("recurrence", RECURRENCE, r"([a-zA-Z0-9, !]+)", words + ", !"),
        dataview("recurrence", r"repeat:: *([a-zA-Z0-9, !]+)"),
        emoji("on_completion", ON_COMPLETION, r"([a-zA-Z]+)", string.ascii_letters),
        dataview("on_completion", r"onCompletion:: *([a-zA-Z]+)"),
        _FieldRule("tag", re.compile(f"(?:^|{JS_SPACE}){_TAG_CHARS}$"), "tag"),
        emoji("task_id", TASK_ID, r"([a-zA-Z0-9-_]+)", words + "-_"),
        dataview("task_id", r"id:: *([a-zA-Z0-9-_]+)"),
        _FieldRule(
            "depends_on",
            re.compile(depends),
            "emoji",
            DEPENDS_ON,
            frozenset(words + "-_ ,"),
        ),
        dataview("depends_on", f"dependsOn:: *{_IDS}"),
    ]
    all_dates = tuple(s for symbols, _ in dates.values() for s in symbols)
    # plansync only: a date signifier whose value is not a date (see the module docstring).
    # Not a mention or a tag: "📆 @Myself" is the owner after an emoji left bare, which the
    # plugin keeps in the text, as plansync does (parse.py warns of it).
    invalid = re.compile("(" + _alternatives(all_dates) + ")\ufe0f?(?: +([^\\s@#][^\\s]*))?$")
    rules.append(_FieldRule("invalid_date", invalid, "invalid_date", all_dates))
    return tuple(rules)


RULES = _rules()
_TRIGGER = re.compile("|".join(sorted({re.escape(t) for r in RULES for t in r.triggers})))


@lru_cache(maxsize=1024)
def _rules_for(triggers: frozenset[str]) -> tuple[_FieldRule, ...]:
    return tuple(r for r in RULES if not triggers.isdisjoint(r.triggers))


_DATE_FIELD_BY_SYMBOL = {
    s: name
    for name, symbols in {
        "done": DONE,
        "cancelled": CANCELLED,
        "due": DUE,
        "scheduled": SCHEDULED,
        "start": START,
        "created": CREATED,
    }.items()
    for s in symbols
}
MAX_RUNS = 20


@dataclass(slots=True)
class TaskBody:
    """What the plugin reads from the text after the checkbox (or after a bullet marker)."""

    description: str
    core: str
    core_end: int
    dates: dict[str, dt.date | None] = field(default_factory=dict)
    priority: str = "none"
    recurrence: str | None = None
    on_completion: str | None = None
    task_id: str | None = None
    depends_on: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    block_link: str | None = None
    invalid_dates: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TaskLine:
    indentation: str
    marker: str
    status: str
    body_start: int
    body: TaskBody


def js_trim(text: str) -> str:
    return text.strip(JS_WHITESPACE)


def _parse_date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def body_from(line: str, start: int) -> str:
    """The line from ``start`` up to its first line terminator, where the plugin stops reading."""
    body = line[start:]
    if "\r" in body or "\u2028" in body or "\u2029" in body or "\n" in body:
        body = _LINE_BREAK.split(body, 1)[0]
    return body


def parse_body(raw_body: str) -> TaskBody:
    """Read the fields from a task body; offsets in the result are relative to ``raw_body``."""
    line, lead, block_link = _trim(raw_body)
    return _read_fast(line, lead, block_link) or _read_loop(line, lead, block_link)


def _trim(raw_body: str) -> tuple[str, int, str | None]:
    """(body trimmed and without its block link, leading whitespace length, block link)."""
    stripped = raw_body.lstrip(JS_WHITESPACE)
    lead = len(raw_body) - len(stripped)
    line = stripped.rstrip(JS_WHITESPACE)
    block_link = None
    if "^" in line and (match := BLOCK_LINK.search(line)):
        block_link = match.group(1)
        line = js_trim(line[: match.start()])
    return line, lead, block_link


def _read_loop(line: str, lead: int, block_link: str | None) -> TaskBody:
    """The plugin's own loop: cut fields off the end, pass after pass, in the plugin's order."""
    body = TaskBody(description="", core="", core_end=0, block_link=block_link)
    trailing_tags: list[str] = []
    # Fields are only ever cut off the end, so a rule whose trigger is nowhere in the line
    # now can never match: one scan picks the few rules worth trying.
    rules = _rules_for(frozenset(_TRIGGER.findall(line)))
    matched = bool(rules)
    runs = 0
    while matched and runs <= MAX_RUNS:
        matched = False
        for rule in rules:
            if rule.ends is not None and line[-1:] not in rule.ends:
                continue
            match = rule.search(line)
            if match is None:
                continue
            if rule.name == "invalid_date" and matched:
                continue  # only when nothing else could be read (see _apply)
            matched = True
            _apply(body, rule.name, match, trailing_tags)
            line = js_trim(line[: match.start()])
        runs += 1

    body.core = line
    body.core_end = lead + len(line)
    body.description = " ".join(part for part in (line, *trailing_tags) if part)
    body.tags = _hashtags(body.description)
    return body


# --- The fast path ------------------------------------------------------------------------
#
# Most lines end in a plain run of fields: each one a signifier and its value, one or more
# spaces before each. In such a run every field is cut by exactly one rule, whatever the rule
# order: once the fields to its right are gone, a field's signifier is the last one of its kind
# in the line; no value contains a signifier, "#", a space at either end or a bracket; a tag
# here is plain ASCII. So the plugin's passes decide only *when* each field is cut, never
# *what* is cut: fields go right to left, a field seen twice keeps its leftmost value (the later
# cut overwrites), tags keep their order, and k fields need at most k passes (the loop allows
# MAX_RUNS + 1). One regex over the reversed line finds the run (a shorter one when the line
# has none of the rare signifiers), and the run's text is read once per distinct text. The
# fast path gives up unless no rule at all could cut anything more off what is left, and the
# plugin's loop reads those lines (Dataview fields, "📅 TBD", a field glued to the word before
# it, tags with emoji).


def _ascii_class(excluded: str) -> str:
    """``[^{excluded}\x80-\U0010ffff]``: the ASCII characters a regex class without
    ``excluded`` holds, spelled as their ranges. Written with the range of every character
    beyond ASCII, the class took ~15 ms to compile in each pattern that holds it, at import."""
    kept = re.compile(f"[^{excluded}]")
    codes = [code for code in range(128) if kept.match(chr(code))]
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "[" + "".join(f"\\x{a:02x}-\\x{b:02x}" for a, b in ranges) + "]"


# A tag's characters, plain: the plugin's less the other spaces and anything beyond ASCII.
PLAIN_TAG_CHARS = _ascii_class(r"\s!@#$%^&*(),.?\":{}|<>") + "+"
_IDENT = r"[a-zA-Z0-9_-]+"
_RECURRENCE_VALUE = r"[a-zA-Z0-9,!](?:[a-zA-Z0-9, !]*[a-zA-Z0-9,!])?"
_IDS_VALUE = f"{_IDENT}(?: *, *{_IDENT})*"
_DATE_SYMBOLS = tuple(_DATE_FIELD_BY_SYMBOL)


def _reversed_alternatives(symbols: tuple[str, ...]) -> str:
    return _alternatives([s[::-1] for s in symbols])


# name: (signifiers, value pattern for the forward text, the same for the reversed text).
# Every value pattern here reads the same both ways but the date's.
_FAST_FIELDS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "date": (_DATE_SYMBOLS, _DATE[1:-1], "[0-9]{2}-[0-9]{2}-[0-9]{4}"),
    "priority": (tuple(PRIORITIES), "", ""),
    "recurrence": (RECURRENCE, _RECURRENCE_VALUE, _RECURRENCE_VALUE),
    "on_completion": (ON_COMPLETION, "[a-zA-Z]+", "[a-zA-Z]+"),
    "task_id": (TASK_ID, _IDENT, _IDENT),
    "depends_on": (DEPENDS_ON, _IDS_VALUE, _IDS_VALUE),
}


# Fields few lines have: their signifiers are looked for before the run pattern tries them.
_RARE_FIELDS = ("recurrence", "on_completion", "task_id", "depends_on")
_RARE_SIGNIFIERS = tuple(s for name in _RARE_FIELDS for s in _FAST_FIELDS[name][0])


def _fast_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(a run of plain fields, matched at the start of the reversed line; the same with tags,
    dates and priorities only; one field, forward).

    The shorter run pattern gives the same match on a line without any other signifier, and is
    twice as fast: the word that ends a run is tried against every alternative before it fails.
    """
    forward = [f"(?P<tag>#{PLAIN_TAG_CHARS})"]
    backward = {"tag": PLAIN_TAG_CHARS + "#"}
    for name, (symbols, value, reversed_value) in _FAST_FIELDS.items():
        if value:
            forward.append(f"(?P<{name}_s>{_alternatives(symbols)})\\ufe0f? *(?P<{name}>{value})")
            backward[name] = f"{reversed_value} *\\ufe0f?{_reversed_alternatives(symbols)}"
        else:
            forward.append(f"(?P<{name}>{_alternatives(symbols)})\\ufe0f?")
            backward[name] = f"\\ufe0f?{_reversed_alternatives(symbols)}"

    def run(names: list[str]) -> re.Pattern[str]:
        one = "(?:" + "|".join(backward[name] for name in names) + ")"
        return re.compile(f"{one}(?: +{one})*(?= |\\Z)")

    common = ["date", "tag", "priority"]  # dates first: a date also reads as tag characters
    return run(common + list(_RARE_FIELDS)), run(common), re.compile("|".join(forward))


_REVERSED_RUN, _REVERSED_COMMON_RUN, _FAST_FIELD = _fast_patterns()
_TRIGGERS = {t for rule in RULES for t in rule.triggers}
_ASCII_TRIGGERS = tuple(sorted(t for t in _TRIGGERS if t.isascii()))
_SYMBOLS = sorted(t for t in _TRIGGERS if not t.isascii() and len(t) == 1)
# A range test first, the set only behind it: three times faster than the set alone, which
# the regex engine tests at every character of every line's text.
_SYMBOL_TRIGGER = re.compile(
    f"[{_SYMBOLS[0]}-{_SYMBOLS[-1]}](?<=[{''.join(_SYMBOLS)}])"
    + "".join(f"|{re.escape(t)}" for t in _TRIGGERS if not t.isascii() and len(t) > 1)
)


def has_trigger(text: str) -> bool:
    """``_TRIGGER.search(text) is not None``, four times faster."""
    for trigger in _ASCII_TRIGGERS:
        if trigger in text:
            return True
    return not text.isascii() and _SYMBOL_TRIGGER.search(text) is not None


def _read_fast(line: str, lead: int, block_link: str | None) -> TaskBody | None:
    """The body, when its fields form a plain run (see above); None: ask the plugin's loop."""
    reversed_line = line[::-1]
    fields, core = _split_run(line, reversed_line, _REVERSED_COMMON_RUN)
    if has_trigger(core):
        # The run of tags, dates and priorities stops at a rarer field: read the line again
        # with the pattern that knows them, only where one is left (any is a trigger).
        for symbol in _RARE_SIGNIFIERS:  # `in` is five times faster than a regex search here
            if symbol in core:
                fields, core = _split_run(line, reversed_line, _REVERSED_RUN)
                break
        if fields is None or _more_to_cut(core):
            return None
    elif fields is None:
        return None
    tags = fields.tags
    if tags:
        description = f"{core} {' '.join(tags)}" if core else " ".join(tags)
        found_tags = _hashtags(description) if "#" in core else list(tags)
    else:
        description = core
        found_tags = _hashtags(core) if "#" in core else []
    return TaskBody(
        description,
        core,
        lead + len(core),
        dict(fields.dates),
        fields.priority,
        fields.recurrence,
        fields.on_completion,
        fields.task_id,
        list(fields.depends_on),
        found_tags,
        block_link,
        list(fields.invalid_dates),
    )


def _split_run(
    line: str, reversed_line: str, run_pattern: re.Pattern[str]
) -> tuple[RunFields | None, str]:
    """(the fields of the run that ``run_pattern`` finds at the end of the line, None where
    there are more than the plugin reads; the line's text before it, trimmed)."""
    run = run_pattern.match(reversed_line)
    if run is None:
        return NO_FIELDS, line
    cut = len(line) - run.end()
    # The line is trimmed: the text before the run needs trimming at its end only.
    return read_run(line[cut:]), line[:cut].rstrip(JS_WHITESPACE)


class RunFields(NamedTuple):
    """The fields of a plain run, read once per distinct run text (see :func:`read_run`).

    A named tuple, not a frozen dataclass: one is built per distinct run of a vault (25,000 in
    bench/parse.py), and a frozen dataclass sets each field through ``object.__setattr__``.
    """

    dates: tuple[tuple[str, dt.date | None], ...] = ()
    priority: str = "none"
    recurrence: str | None = None
    on_completion: str | None = None
    task_id: str | None = None
    depends_on: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    invalid_dates: tuple[tuple[str, str], ...] = ()


NO_FIELDS = RunFields()
_new_run = tuple.__new__
"""``RunFields``' own maker without its ``__new__``, a Python function of eight parameters:
~3 k instructions fewer a run read."""


@lru_cache(maxsize=16_384)
def read_run(run: str) -> RunFields | None:
    """The fields of a plain run of fields, or None when there are more than the plugin reads.

    A pure function of the run's text, and the same runs come back again and again in a vault
    (a meeting's items share due dates, priorities and tags: 25,000 distinct runs in the
    110,000 task lines of bench/parse.py), so it is cached. Only immutable values are kept;
    each item gets lists and dicts of its own.

    A run is read piece by piece (its text between spaces), each piece's reading cached on
    its own: the runs differ, but they are made of few pieces (332 in the 2,466 distinct runs
    of a 300-note vault), so a run not seen before costs a split and a few look-ups instead of
    a regex search per field. A run of the rarer fields, whose values may hold spaces, is read
    by :func:`_read_fields`.
    """
    dates: dict[str, dt.date | None] = {}
    invalid: list[tuple[str, str]] = []
    tags: list[str] = []
    priority = "none"
    count = 0
    value: _Piece | None = None  # a date, waiting for its signifier in the piece to its left
    pieces = _PIECES
    for piece in reversed(run.split()):
        read = pieces[piece] if piece in pieces else _remember_piece(piece)
        if read is None:
            return _read_fields(run)
        kind, name, raw, parsed = read
        if kind is _VALUE:
            value = read
            continue
        count += 1
        if kind is _SIGNIFIER:
            if value is None:
                return _read_fields(run)
            _, _, raw, parsed = value
            value = None
        if kind is _TAG:
            tags.append(name)
        elif kind is _PRIORITY:
            priority = name
        else:
            dates[name] = parsed
            if parsed is None:
                invalid.append((name, raw))
    if value is not None:
        return _read_fields(run)
    if count > MAX_RUNS + 1:
        return None
    tags.reverse()
    return _new_run(
        RunFields,
        (tuple(dates.items()), priority, None, None, None, (), tuple(tags), tuple(invalid)),
    )


class PlainRun(NamedTuple):
    """A plain run (see :func:`read_plain_run`) as the item of an easy line takes it: each
    date field's date, the priority, the tags, and the tags as the description ends with them.
    Read once per distinct run, so an item of such a line only picks the values out."""

    due: dt.date | None = None
    scheduled: dt.date | None = None
    start: dt.date | None = None
    created: dt.date | None = None
    done: dt.date | None = None
    cancelled: dt.date | None = None
    priority: str = "none"
    tags: tuple[str, ...] = ()
    tag_text: str = ""
    """What the description ends with (" #task #proposed"); empty without tags."""


NO_PLAIN_RUN = PlainRun()


@lru_cache(maxsize=16_384)
def read_plain_run(run: str) -> PlainRun | None:
    """The fields of the run of an easy line (:mod:`plansync.notes.fast_line`): pieces one
    space apart, each a tag of the plain tag characters, a priority, or a date signifier with
    its date (in the same piece or the next), every date a day of the calendar. None: a run of
    any other form, which the full path reads.

    Of such a run it gives what :func:`read_run` gives, where a date field or the priority
    written twice is read from its leftmost piece, as the plugin's loop, which cuts from the
    end, leaves it. Cached as :func:`read_run` is, and read from the same pieces' cache."""
    dates: dict[str, dt.date] = {}
    tags: list[str] = []
    priority = None
    count = 0
    waiting = None  # a date signifier's field, waiting for its date in the next piece
    pieces = _PIECES
    for piece in run.split(" "):
        read = pieces[piece] if piece in pieces else _remember_piece(piece) if piece else None
        if read is None:
            return None
        kind, name, _, parsed = read
        if waiting is not None:
            if kind is not _VALUE:
                return None
            kind, name, waiting = _DATE_PIECE, waiting, None
        elif kind is _VALUE:
            return None
        else:
            count += 1  # as read_run counts: a signifier and its date are one field
        if kind is _SIGNIFIER:
            waiting = name
        elif kind is _TAG:
            tags.append(name)
        elif kind is _PRIORITY:
            priority = priority or name
        elif parsed is None:
            return None
        else:
            dates.setdefault(name, parsed)
    if waiting is not None or count > MAX_RUNS + 1:
        return None
    get = dates.get
    return PlainRun(
        get("due"),
        get("scheduled"),
        get("start"),
        get("created"),
        get("done"),
        get("cancelled"),
        priority or "none",
        tuple(tags),
        " " + " ".join(tags) if tags else "",
    )


# What a piece of a run is (see :func:`_read_piece`); told apart by identity.
_TAG, _PRIORITY, _DATE_PIECE, _SIGNIFIER, _VALUE = "tag", "priority", "date", "signifier", "value"
_Piece = tuple[str, str, str, dt.date | None]
_TAG_PIECE = re.compile(f"#{PLAIN_TAG_CHARS}")
_PIECE = re.compile(
    f"(?P<priority>{_alternatives(tuple(PRIORITIES))})\ufe0f?"
    f"|(?P<signifier>{_alternatives(_DATE_SYMBOLS)})\ufe0f?(?P<date>{_DATE[1:-1]})?"
    f"|(?P<value>{_DATE[1:-1]})"
)


_PIECES: dict[str, _Piece | None] = {}
""":func:`_read_piece` of each piece met (see :func:`read_run`), up to ``_MAX_PIECES``: a
dictionary, not an lru_cache, whose hit costs ~1 k instructions more (a run not seen before,
three in four, has ~6 pieces)."""
_MAX_PIECES = 8192


def _remember_piece(piece: str) -> _Piece | None:
    """:func:`_read_piece`, kept in ``_PIECES``; emptied when full: a vault's runs are made of
    a few hundred pieces (its tags, priorities and dates), so it rarely fills."""
    if len(_PIECES) >= _MAX_PIECES:
        _PIECES.clear()
    read = _PIECES[piece] = _read_piece(piece)
    return read


def _read_piece(piece: str) -> _Piece | None:
    """(kind, name, raw value, date) of one piece of a run of tags, dates and priorities:
    a tag (name: the tag), a priority (name: its word), a date signifier with its date
    (name: the field) or without it (the date is the next piece), or a date alone. None: a
    piece of another field.

    Two readers take these pieces: :func:`read_run` (the full path's) and
    :func:`read_plain_run` (the easy line's); a new kind of piece is one for both."""
    if piece[0] == "#":
        return (_TAG, piece, "", None) if _TAG_PIECE.fullmatch(piece) else None
    match = _PIECE.fullmatch(piece)
    if match is None:
        return None
    if match["priority"]:
        return _PRIORITY, PRIORITIES[match["priority"]], "", None
    if match["signifier"]:
        name = _DATE_FIELD_BY_SYMBOL[match["signifier"]]
        if match["date"] is None:
            return _SIGNIFIER, name, "", None
        return _DATE_PIECE, name, match["date"], _parse_date(match["date"])
    return _VALUE, "", match["value"], _parse_date(match["value"])


def _read_fields(run: str) -> RunFields | None:
    """:func:`read_run` for any run, a regex search per field: the one for runs that hold
    the rarer fields (recurrence, on completion, id, depends on)."""
    fields = list(_FAST_FIELD.finditer(run))
    if len(fields) > MAX_RUNS + 1:
        return None
    dates: dict[str, dt.date | None] = {}
    invalid: list[tuple[str, str]] = []
    tags: list[str] = []
    read: dict[str, object] = {}
    for match in reversed(fields):  # the order the plugin cuts them in
        kind = match.lastgroup
        value = match.group(kind)  # type: ignore[arg-type]
        if kind == "date":
            name = _DATE_FIELD_BY_SYMBOL[match.group("date_s")]
            dates[name] = parsed = _parse_date(value)
            if parsed is None:
                invalid.append((name, value))
        elif kind == "priority":
            read["priority"] = PRIORITIES[value]
        elif kind == "tag":
            tags.append(value)
        elif kind == "recurrence":
            read["recurrence"] = value
        elif kind == "on_completion":
            read["on_completion"] = _on_completion(value)
        elif kind == "task_id":
            read["task_id"] = value
        else:
            read["depends_on"] = tuple(p.strip() for p in value.split(",") if p.strip())
    tags.reverse()
    return RunFields(tuple(dates.items()), tags=tuple(tags), invalid_dates=tuple(invalid), **read)  # type: ignore[arg-type]


def _more_to_cut(core: str) -> bool:
    """Whether the plugin's next pass (or plansync's reading of a date that is not one) would
    cut anything off ``core``."""
    for rule in _rules_for(frozenset(_TRIGGER.findall(core))):
        if rule.ends is not None and core[-1:] not in rule.ends:
            continue
        if rule.search(core) is not None:
            return True
    return False


def _apply(body: TaskBody, name: str, match: re.Match[str], trailing_tags: list[str]) -> None:
    if name in ("priority", "priority_dv"):
        value = match.group(1) if name == "priority_dv" else _first_symbol(match.group())
        body.priority = PRIORITIES.get(value, value)
    elif name in ("done", "cancelled", "due", "scheduled", "start", "created"):
        raw = match.group(1)
        parsed = _parse_date(raw)
        body.dates[name] = parsed
        if parsed is None:
            body.invalid_dates.append((name, raw))
    elif name == "invalid_date":
        # The plugin stops reading at "📅 TBD": a valid date after it is the date, and stays.
        date_field = _DATE_FIELD_BY_SYMBOL[match.group(1)]
        body.dates.setdefault(date_field, None)
        body.invalid_dates.append((date_field, match.group(2) or ""))
    elif name == "recurrence":
        body.recurrence = match.group(1).strip()
    elif name == "on_completion":
        body.on_completion = _on_completion(match.group(1))
    elif name == "tag":
        trailing_tags.insert(0, js_trim(match.group()))
    elif name == "task_id":
        body.task_id = match.group(1)
    elif name == "depends_on":
        body.depends_on = [part.strip() for part in match.group(1).split(",") if part.strip()]


def _on_completion(value: str) -> str | None:
    """The action the plugin reads (parseOnCompletionValue): any other word is consumed from the
    line but is no action at all ("🏁 archive" reads as none, not as "archive")."""
    action = value.lower()
    return action if action in ("keep", "delete") else None


def _first_symbol(text: str) -> str:
    return text.rstrip("\ufe0f")[:1]


# The plugin's hashTags: the whitespace before a tag is part of the match, so matches do not
# overlap ("#a\t#b" holds one tag, "#a"), and each tag is trimmed (Task.extractHashtags), since
# a tag may hold any whitespace but the space ("#bob\t about" is "#bob").
HASHTAG = re.compile(f"(?:^|{JS_SPACE})({_TAG_CHARS})")


def _hashtags(text: str) -> list[str]:
    return [tag.rstrip(JS_WHITESPACE) for tag in HASHTAG.findall(text)]


# --- The global filter -------------------------------------------------------------------
#
# The plugin's "Global task filter" setting (src/Config/GlobalFilter.ts): any string, often a
# tag such as "#task". When it is set, a checkbox line is a task only if the filter is in its
# body (Task.fromLine, before anything else is read), and a tag equal to it is not one of the
# task's tags (Task.parseTaskSignifiers). The description keeps it: the plugin only hides it
# when it shows a task, with "Remove global filter from description" on.


def holds_global_filter(raw_body: str, global_filter: str) -> bool:
    """Whether the plugin reads a task body as holding its global filter.

    It looks in the body as ``Task.extractTaskComponents`` cuts it: trimmed, and without a
    trailing block link, so ``^task`` at the end of a line does not make it a task for the
    filter ``task``. The match is a plain, case-sensitive ``String.includes`` anywhere in that
    text: in the words, in a tag (``#task/sub`` holds ``#task``), in a link or among the
    fields at the end. The line's indentation, marker and checkbox are not searched.
    """
    if global_filter not in raw_body:  # the trimmed body is a part of it: most lines stop here
        return False
    return global_filter in _trim(raw_body)[0]


@lru_cache(maxsize=16)
def _filter_as_word(global_filter: str) -> re.Pattern[str]:
    # The plugin's RegExp('(^|\\s)' + escaped + '($|\\s)', 'ug'): without the m flag, ^ and $
    # are the ends of the text; \s is JavaScript's.
    space = f"(\\A|{JS_SPACE})", f"(\\Z|{JS_SPACE})"
    return re.compile(space[0] + re.escape(global_filter) + space[1])


def remove_global_filter(description: str, global_filter: str) -> str:
    """The description as the plugin shows it with "Remove global filter from description" on
    (``GlobalFilter.removeAsWordFrom``), quirks and all.

    The filter goes only where it stands as a word, between the text's ends or whitespace, so a
    nested tag (``#task/sub``) keeps it. The whitespace on both sides of a match belongs to the
    match, so of two filters side by side only the first goes ("#t #t" shows "#t"); then one
    double space, the first, becomes one, and the text is trimmed, only if anything was removed.
    """
    if not global_filter:
        return description
    pattern = _filter_as_word(global_filter)
    if pattern.search(description) is None:
        return description
    return js_trim(pattern.sub(r"\1\2", description).replace("  ", " ", 1))


def parse_task_line(line: str) -> TaskLine | None:
    """The task read from a line, or None when the plugin would not call it a task."""
    match = TASK_LINE.match(line)
    if match is None:
        return None
    return TaskLine(
        indentation=match.group(1),
        marker=match.group(2),
        status=match.group(3),
        body_start=match.end(),
        body=parse_body(body_from(line, match.end())),
    )
