"""The fast path of :func:`plansync.notes.tasks.parse_body` against the plugin's loop.

``reference_parse_body`` below is the plugin's loop alone (fields cut off the end of the line
pass after pass, rules in the plugin's order, at most MAX_RUNS + 1 passes, plansync's
``invalid_date`` departure), the package's fallback path, which the plugin's own conformance
cases pin. The fast path must give exactly its result (every field of :class:`TaskBody`,
offsets included, since write-back relies on ``core``, ``core_end`` and ``block_link``) for any
line, and must really be the one that reads plain lines.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
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

# --- the oracle: the plugin's loop alone, which the conformance cases pin ------------------


def reference_parse_body(raw_body: str) -> tasks.TaskBody:
    """``parse_body`` without the fast path: the package's own reading of the plugin's loop."""
    return tasks._read_loop(*tasks._trim(raw_body))


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


# Characters around the symbols' range and inside it, beside every trigger.
TRIGGER_PIECES = st.sampled_from(
    [*"ab #:’—\u231a\u231c\u2704\u2706\U0001f6ec", *sorted(tasks._TRIGGERS)]
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(TRIGGER_PIECES, max_size=30).map("".join))
def test_trigger_shortcut_finds_what_the_trigger_pattern_finds(text: str) -> None:
    assert tasks.has_trigger(text) == (tasks._TRIGGER.search(text) is not None)


@st.composite
def common_field(draw: st.DrawFn) -> str:
    """A tag, a priority or a date, spelled every way a run may hold it (glued, variation
    selector, several spaces, a date that is no calendar date)."""
    kind = draw(st.sampled_from(["date", "tag", "priority"]))
    if kind == "tag":
        return draw(st.one_of(PLAIN_TAGS, st.just("#2024-01-01")))
    if kind == "priority":
        return draw(st.sampled_from(list(PRIORITIES))) + draw(VS)
    day = draw(
        st.one_of(
            st.dates(min_value=dt.date(1000, 1, 1)).map(str),
            st.sampled_from(["2023-02-29", "2024-13-01", "0000-00-00"]),
        )
    )
    return draw(st.sampled_from(DATE_SYMBOLS)) + draw(VS) + draw(GAP) + day


@MANY
@given(
    st.lists(st.one_of(common_field(), common_field(), emoji_field(plain=True)), max_size=25),
    st.sampled_from(["", "do it", "x📅", "2024-01-01", "📅"]),
)
@example([*["📅 2024-01-01"] * 21, "#t"], "a")
@example(["📅 2023-02-29", "⏳2023-02-30", "#t"], "a")
def test_a_run_read_piece_by_piece_reads_as_a_regex_search_per_field(
    fields: list[str], words: str
) -> None:
    line = " ".join([words, *fields]).strip()
    run = tasks._REVERSED_RUN.match(line[::-1])
    text = line[len(line) - run.end() :] if run else ""
    assert tasks.read_run.__wrapped__(text) == tasks._read_fields(text)  # type: ignore[attr-defined]


def test_the_pieces_read_are_kept_up_to_their_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """read_run keeps its pieces' readings in a dictionary emptied when full: a run read after
    it was emptied reads as before."""
    monkeypatch.setattr(tasks, "_PIECES", {})
    monkeypatch.setattr(tasks, "_MAX_PIECES", 3)
    runs = ["📅 2024-01-01 ⏫ #task", "📅 2024-01-02 #a #b", "⏳ 2024-01-03 🔽 #task"]
    read = [tasks.read_run.__wrapped__(run) for run in runs * 2]  # type: ignore[attr-defined]
    assert read == [tasks._read_fields(run) for run in runs * 2]
    assert 0 < len(tasks._PIECES) <= 3


def test_plain_tag_characters_are_the_plugins_less_spaces_and_all_beyond_ascii() -> None:
    written = re.compile(r"[^\s!@#$%^&*(),.?\":{}|<>\x80-\U0010ffff]")
    spelled = re.compile(tasks.PLAIN_TAG_CHARS[:-1])
    assert tasks.PLAIN_TAG_CHARS.endswith("+")
    for code in range(0x110000):
        char = chr(code)
        assert (written.match(char) is None) == (spelled.match(char) is None), hex(code)
