"""The fast path of :func:`plansync.notes.tasks.parse_body` against the plugin's loop.

``reference_parse_body`` below is the straightforward reading that plansync used before the fast
path: a verbatim copy of the plugin's loop (fields cut off the end of the line pass after pass,
rules in the plugin's order, at most MAX_RUNS + 1 passes, plansync's ``invalid_date`` departure).
It is kept here, and only here, as the oracle: the package must give exactly its result (every
field of :class:`TaskBody`, offsets included, since write-back relies on ``core``, ``core_end`` and
``block_link``) for any line, and the fast path must really be the one that reads plain lines.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from plansync.notes import tasks
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

# --- the oracle: the plugin's loop as plansync read it before the fast path -----------------

JS_WHITESPACE = (
    " \t\n\v\f\r\u00a0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000\ufeff")
)

BLOCK_LINK = re.compile(r" \^([a-zA-Z0-9-]+)$")

_DATE = r"([0-9]{4}-[0-9]{2}-[0-9]{2})"
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
        _FieldRule("tag", re.compile(r"(?:^|\s)#[^ !@#$%^&*(),.?\":{}|<>]+$"), "tag"),
        emoji("task_id", TASK_ID, r"([a-zA-Z0-9-_]+)", words + "-_"),
        dataview("task_id", r"id:: *([a-zA-Z0-9-_]+)"),
        _FieldRule(
            "depends_on",
            re.compile(depends, re.IGNORECASE),
            "emoji",
            DEPENDS_ON,
            frozenset(words + "-_ ,"),
        ),
        dataview("depends_on", f"dependsOn:: *{_IDS}"),
    ]
    all_dates = tuple(s for symbols, _ in dates.values() for s in symbols)
    # plansync only: a date signifier whose value is not a date (see the module docstring).
    invalid = re.compile("(" + _alternatives(all_dates) + ")\ufe0f?(?: +([^\\s]+))?$")
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


@dataclass
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


def js_trim(text: str) -> str:
    return text.strip(JS_WHITESPACE)


def _parse_date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def reference_parse_body(raw_body: str) -> TaskBody:
    """Read the fields from a task body; offsets in the result are relative to ``raw_body``."""
    lead = len(raw_body) - len(raw_body.lstrip(JS_WHITESPACE))
    line = js_trim(raw_body)
    block_link = None
    if match := BLOCK_LINK.search(line):
        block_link = match.group(1)
        line = js_trim(line[: match.start()])

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
            if rule.name == "invalid_date" and (
                matched or _DATE_FIELD_BY_SYMBOL[match.group(1)] in body.dates
            ):
                # Only when nothing else could be read, and never over a date already read
                # (the plugin stops at "📅 TBD" and keeps the later, valid date).
                continue
            matched = True
            _apply(body, rule.name, match, trailing_tags)
            line = js_trim(line[: match.start()])
        runs += 1

    body.core = line
    body.core_end = lead + len(line)
    body.description = " ".join(part for part in (line, *trailing_tags) if part)
    body.tags = _hashtags(body.description)
    return body


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
        date_field = _DATE_FIELD_BY_SYMBOL[match.group(1)]
        body.dates[date_field] = None
        body.invalid_dates.append((date_field, match.group(2) or ""))
    elif name == "recurrence":
        body.recurrence = match.group(1).strip()
    elif name == "on_completion":
        body.on_completion = match.group(1).lower()
    elif name == "tag":
        trailing_tags.insert(0, match.group().strip())
    elif name == "task_id":
        body.task_id = match.group(1)
    elif name == "depends_on":
        body.depends_on = [part.strip() for part in match.group(1).split(",") if part.strip()]


def _first_symbol(text: str) -> str:
    return text.rstrip("\ufe0f")[:1]


HASHTAG = re.compile(r"(?:^|(?<=\s))#[^ !@#$%^&*(),.?\":{}|<>]+")


def _hashtags(text: str) -> list[str]:
    return HASHTAG.findall(text)


# --- random lines ---------------------------------------------------------------------------

MANY = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DATE_SYMBOLS = [*DUE, *SCHEDULED, *START, *CREATED, *DONE, *CANCELLED]
VS = st.sampled_from(["", "", "\ufe0f"])
GAP = st.sampled_from([" ", " ", "", "  "])
SEPARATORS = st.sampled_from([" ", " ", " ", "  ", "", "\t", "\u00a0", "\u3000"])
IDENT = st.from_regex(r"[a-zA-Z0-9_-]{1,6}", fullmatch=True)
DATE_VALUES = st.one_of(
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31)).map(str),
    st.sampled_from(["2023-02-29", "2024-02-31", "2025-13-45", "TBD", "12024-01-01", "2024-1-1"]),
    st.just(""),
)
WORDS = st.sampled_from(
    [
        "draft", "the", "plan", "Q4", "1:1", "e.g.", "café", "Zoë’s", "@Myself", "@Dana Okafor",
        "#123", "a#b", "[[Cloud program]]", "[PROJ-1](https://x.example/browse/PROJ-1)", "(backup)",
        "[", "]", "(", ")", ",", "::", "due::", "!", "📅", "⏫", "🔁", "✅", "#", "^abc", "x⏫",
        "TBD", "2024-01-01", "every", "day", "keep",
    ]
)  # fmt: skip
PLAIN_TAGS = st.from_regex(r"#[a-z0-9/_\-\[\]]{1,6}", fullmatch=True)
ODD_TAGS = st.sampled_from(["#x📅", "#café", "#a]", "#", "#t\u00a0", "#⏫", "#2024-01-01", "#x:y"])


@st.composite
def emoji_field(draw: st.DrawFn, plain: bool = False) -> str:
    """One emoji-format field; with ``plain``, only the forms the fast path is meant to read."""
    kind = draw(st.sampled_from(["date", "date", "priority", "tag", "tag", "recurrence",
                                 "on_completion", "task_id", "depends_on"]))  # fmt: skip
    gap = " " if plain else draw(GAP)
    if kind == "tag":
        return draw(PLAIN_TAGS if plain else st.one_of(PLAIN_TAGS, ODD_TAGS))
    if kind == "priority":
        return draw(st.sampled_from(list(PRIORITIES))) + draw(VS)
    symbol = {
        "date": st.sampled_from(DATE_SYMBOLS),
        "recurrence": st.sampled_from(RECURRENCE),
        "on_completion": st.sampled_from(ON_COMPLETION),
        "task_id": st.sampled_from(TASK_ID),
        "depends_on": st.sampled_from(DEPENDS_ON),
    }[kind]
    value = {
        "date": st.dates(min_value=dt.date(1990, 1, 1)).map(str) if plain else DATE_VALUES,
        "recurrence": st.sampled_from(
            ["every day", "every 2 weeks", "every week on Sunday, Monday", "every day!", "every"]
            + ([] if plain else ["every day,", " ", "every  day ", "!"])
        ),
        "on_completion": st.sampled_from(["keep", "delete", "Delete"] + ([] if plain else ["k2"])),
        "task_id": IDENT,
        "depends_on": st.lists(IDENT, min_size=1, max_size=3).map(
            lambda ids: ", ".join(ids) if plain else " ,".join(ids)
        ),
    }[kind]
    return draw(symbol) + draw(VS) + gap + draw(value)


@st.composite
def dataview_field(draw: st.DrawFn) -> str:
    key, value = draw(
        st.sampled_from(
            [
                ("due", "2024-01-01"), ("scheduled", "2023-02-29"), ("start", "TBD"),
                ("created", "2024-05-06"), ("completion", "2024-05-06"),
                ("cancelled", "2024-05-06"),
                ("priority", "high"), ("priority", "lowest"), ("repeat", "every day"),
                ("onCompletion", "delete"), ("id", "abc"), ("dependsOn", "a, b"),
            ]
        )
    )  # fmt: skip
    opening, closing = draw(st.sampled_from([("[", "]"), ("(", ")"), ("[", ""), ("[", ")")]))
    comma = draw(st.sampled_from(["", "", ",", " ,"]))
    return f"{opening}{key}::{draw(GAP)}{value}{closing}{comma}"


@st.composite
def any_line(draw: st.DrawFn) -> str:
    """Words and fields of every kind in any order, with any spacing, glued or not."""
    parts = draw(
        st.lists(
            st.one_of(WORDS, emoji_field(), emoji_field(), dataview_field()),
            max_size=draw(st.sampled_from([6, 12, 30])),
        )
    )
    line = ""
    for part in parts:
        line += draw(SEPARATORS) + part if line else part
    if draw(st.booleans()):
        line += draw(st.sampled_from([" ^abc-1", "^abc", " ^x y", "  ^id"]))
    return (
        draw(st.sampled_from(["", " ", "\t", "\ufeff"]))
        + line
        + draw(st.sampled_from(["", " ", "\u00a0", "\t "]))
    )


@st.composite
def plain_line(draw: st.DrawFn) -> str:
    """Plain words, then a run of plain fields, one or more spaces apart: the fast path's lines."""
    words = draw(st.lists(st.sampled_from(["draft", "the", "plan", "@Myself", "café", "1:1"])))
    fields = draw(st.lists(emoji_field(plain=True), max_size=12))
    line = " ".join(words)
    for part in fields:
        line += draw(st.sampled_from([" ", "  "])) + part if line else part
    return line


def fields_of(body: object) -> dict[str, object]:
    return dataclasses.asdict(body)  # type: ignore[call-overload]


@MANY
@given(any_line())
@example("do it 📅 TBD 📅 2024-01-02")
@example("do it 📅 2024-01-02 📅 TBD")
@example("x📅 2024-01-01 #t")
@example("#a⏫ #b")
@example("do 🔁  #x")
@example("do [due:: 2024-01-01] ⏫ #t")
@example("do 📅 2023-02-29 ⏳ 2023-02-30 #t")
@example("a " + " ".join(["⏫", "#t"] * 12))
@example("a " + " ".join(["📅 2024-01-01"] * 25))
@example("a " + " ".join(f"#t{i}" for i in range(30)))
@example("⛔ a, b 🔁 every day, 🆔 x-1 🏁 Keep ^blk")
@example(" \u3000 #only #tags ")
def test_parse_body_reads_every_line_like_the_plugin_loop(line: str) -> None:
    assert fields_of(tasks.parse_body(line)) == fields_of(reference_parse_body(line))


@MANY
@given(plain_line())
@example("a " + " ".join(["⏫"] * 21))
def test_plain_lines_take_the_fast_path(line: str) -> None:
    fast = tasks._read_fast(line, 0, None)
    assert fast is not None, "a plain run of fields is the fast path's to read"
    assert fields_of(fast) == fields_of(reference_parse_body(line))


def test_more_fields_than_the_plugin_has_passes_go_to_the_loop() -> None:
    line = "a " + " ".join(f"#t{i}" for i in range(22))  # one tag cut per pass: 22 passes
    assert tasks._read_fast(line, 0, None) is None
    body = tasks.parse_body(line)
    assert fields_of(body) == fields_of(reference_parse_body(line))
    assert body.core == "a #t0", "the plugin stops after its last pass"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab #:[]()📅⏫✅🔁⛔🆔🏁 ,-0129\ufe0f\t^", max_size=40))
def test_parse_body_on_random_text(line: str) -> None:
    assert fields_of(tasks.parse_body(line)) == fields_of(reference_parse_body(line))
