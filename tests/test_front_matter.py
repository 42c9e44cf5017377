"""Front matter: the fast walk of libyaml's nodes gives what PyYAML's safe loader gives.

:class:`FrontMatterLoader` builds plain documents itself and hands everything else to the safe
constructor. These tests hold it to the safe constructor (through :func:`as_json`, the JSON form
both end in) on generated documents, on odd scalars, and on each construct it must hand over; and
they check that a value the safe constructor cannot build is a warning, not a crash. The loader
reads one value otherwise than PyYAML, an impossible timestamp (as its text), and both ways must
do so.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import yaml
from frontmatter.default_handlers import SafeLoader
from hypothesis import given, settings
from hypothesis import strategies as st

from plansync.notes.front_matter import FrontMatterLoader, _flat, as_json, load_front_matter
from plansync.notes.parse import parse_text


class HandedOver(FrontMatterLoader):
    """The loader with every document handed to the safe constructor."""

    def construct_document(self, node: yaml.Node) -> Any:
        return as_json(SafeLoader.construct_document(self, node))


def expected(text: str) -> Any:
    return yaml.load(text, Loader=HandedOver)


def fast(text: str) -> Any:
    return yaml.load(text, Loader=FrontMatterLoader)


def as_text(value: Any) -> str:
    """JSON text, which tells 1 from 1.0 and True, and keys in their order (``==`` does not)."""
    return json.dumps(value)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.dates(),
    st.datetimes(),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers(), st.booleans()), children),
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS, st.booleans())
def test_generated_documents_read_as_the_safe_loader_reads_them(data: Any, flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    assert as_text(fast(text)) == as_text(expected(text))


# Words YAML 1.1 resolves to something other than a string, and near misses that stay strings.
ODD_SCALARS = st.sampled_from(
    [
        "yes",
        "No",
        "ON",
        "off",
        "~",
        "null",
        "Null",
        "0x1F",
        "0o17",
        "017",
        "0b101",
        "1_000",
        "190:20:30",
        "-1:30",
        ".inf",
        "-.Inf",
        ".nan",
        "1e3",
        "6.8523015e+5",
        "2025-10-24",
        "2025-10-24 10:00:00",
        "2001-12-14t21:59:43.10-05:00",
        "2025-13-45",
        "'2025-10-24'",
        '"x"',
        "Tomer Hagay",
        "a: b",
        "#tag",
        "",
    ]
)


QUOTES = "'\":#"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(ODD_SCALARS, ODD_SCALARS), max_size=6), st.booleans())
def test_odd_scalars_resolve_as_the_safe_loader_resolves_them(
    pairs: list[tuple[str, str]], as_list: bool
) -> None:
    if as_list:
        text = "".join(f"- {value}\n" for _, value in pairs)
    else:
        text = "".join(
            f"k{i}{key.strip(QUOTES)}: {value}\n" for i, (key, value) in enumerate(pairs)
        )
    try:
        want = expected(text)
    except yaml.YAMLError:  # `k0: a: b`
        with pytest.raises(yaml.YAMLError):
            fast(text)
        return
    assert as_text(fast(text)) == as_text(want)


@pytest.mark.parametrize(
    "text",
    [
        "base: &b {x: 1}\ncopy: *b\n",
        "base: &b {x: 1, y: 2}\nmerged:\n  <<: *b\n  y: 3\n",
        "s: !!set {a: null, b: null}\n",
        "b: !!binary aGVsbG8=\n",
        "o: !!omap [x: 1, y: 2]\n",
        "p: !!pairs [x: 1, x: 2]\n",
        "t: !!str 12\n",
        "n: !!int '12'\n",
        "1: a\ntrue: b\n1.0: c\n2025-10-24: d\n2001-12-14 21:59:43: e\n",
        "a: " + "[" * 40 + "x" + "]" * 40 + "\n",
        "x: 1\nx: 2\n",
        "list: &l [1, 2]\nagain: *l\n",
        "t: !!timestamp 2025-02-29\n",
        "d: &d 2025-11-31\ne: *d\n",
    ],
)
def test_constructs_handed_to_the_safe_constructor_read_the_same(text: str) -> None:
    assert as_text(fast(text)) == as_text(expected(text))


@pytest.mark.parametrize("text", ["? [a]\n: 1\n", "a: !!str [x]\n", "a: !!map [x]\n"])
def test_what_the_safe_constructor_refuses_is_refused(text: str) -> None:
    with pytest.raises(yaml.YAMLError):
        yaml.load(text, Loader=SafeLoader)
    with pytest.raises(yaml.YAMLError):
        fast(text)


def test_a_plain_document_never_reaches_the_safe_constructor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(self: object, node: object) -> None:
        raise AssertionError("the plain walk handed a plain document over")

    monkeypatch.setattr(SafeLoader, "construct_document", refuse)
    data, warning, read_warnings = load_front_matter(
        [
            "type: meeting",
            "title: '1:1 with Tomer'",
            "date: 2025-10-24",
            "participants: [Jason Vallery, Tomer Hagay]",
            "count: 3",
            "decisions_accepted: yes",
            "reviewed: 2025-02-29",
        ],
        "note.md",
    )
    assert (warning, read_warnings) == (None, [])
    assert data["date"] == "2025-10-24"
    assert data["reviewed"] == "2025-02-29"
    assert data["decisions_accepted"] is True


@pytest.mark.parametrize(
    ("value", "why", "line"),
    [
        ("!!int abc", "'abc' is not a valid int", 3),
        ("!!bool maybe", "'maybe' is not a valid bool", 3),
        ("!!float x", "'x' is not a valid float", 3),
        ("!!timestamp x", "'x' is not a valid timestamp", 3),
        ("!!timestamp 2025-10-27x", "'2025-10-27x' is not a valid timestamp", 3),
        ("&a [*a]", "refers to the value it is part of", 1),
        ("[" * 500 + "]" * 500, "nested more than 100 levels deep", 1),
        ("!!python/name:os.system", "not valid YAML", 3),
        ("!!int", "'' is not a valid int", 3),
        ("!!float", "'' is not a valid float", 3),
        ("[!!int ]", "'' is not a valid int", 3),
    ],
)
def test_a_value_that_cannot_be_built_is_a_warning_and_the_body_is_still_read(
    value: str, why: str, line: int
) -> None:
    note = parse_text(f"---\ntitle: T\nbad: {value}\n---\n- [ ] Draft the plan 📅 2025-10-27\n")
    assert note.front_matter == {}
    assert note.front_matter_error is not None
    assert why in note.front_matter_error.message
    assert note.front_matter_error.line == line
    assert [item.due for item in note.items] == [dt.date(2025, 10, 27)]


def test_the_loader_differs_from_pyyaml_only_in_how_it_builds_timestamps() -> None:
    ours, theirs = FrontMatterLoader.yaml_constructors, SafeLoader.yaml_constructors
    assert {tag for tag in ours.keys() | theirs.keys() if ours.get(tag) != theirs.get(tag)} == {
        "tag:yaml.org,2002:timestamp"
    }


@pytest.mark.parametrize(
    "written",
    [
        "2025-02-29",
        "2025-11-31",
        "2025-13-45",
        "0000-01-01",
        "2025-10-27 25:00:00",
        "2025-10-27t10:60:00",
        "2025-10-27 10:00:00 +24:00",
    ],
)
def test_a_timestamp_that_names_no_real_day_or_time_is_its_text(written: str) -> None:
    text = f"date: 2025-11-30\nreviewed: {written}\nagain: [{written}]\n{written}: key\n"
    want = {"date": "2025-11-30", "reviewed": written, "again": [written], written: "key"}
    assert fast(text) == want
    # An alias hands the document to the safe constructor, which reads it the same.
    assert fast(text + "a: &a x\nb: *a\n") == {**want, "a": "x", "b": "x"}
    assert fast(f"t: !!timestamp {written}\n") == {"t": written}


def test_an_impossible_date_keeps_the_rest_of_the_front_matter() -> None:
    note = parse_text(
        "---\ntitle: Board sync\ndate: 2025-11-30\nparticipants: [Myself]\n"
        "reviewed: 2025-02-29\n---\n- [ ] Item\n",
        path="dt.md",
    )
    assert note.front_matter_error is None
    assert note.warnings == []
    assert (note.title, note.date, note.participants) == (
        "Board sync",
        dt.date(2025, 11, 30),
        ["Myself"],
    )
    assert note.front_matter["reviewed"] == "2025-02-29"


@pytest.mark.parametrize(
    ("front_matter", "line"),
    [
        ("title: Board sync\ndate: 20 Nov 2025\n", 3),
        ("title: Board sync\n\n# the day\ndate: 2025-11-31\n", 5),
        ("{title: Board sync,\n date: 2025-11-31}\n", 3),
        ("base: &b {date: someday}\n<<: *b\n", 1),  # from a merge key: no line of its own
    ],
)
def test_a_front_matter_date_that_is_no_date_is_a_warning_on_its_line(
    front_matter: str, line: int
) -> None:
    note = parse_text(f"---\n{front_matter}---\n- [ ] Item\n", path="2025-11-29 sync.md")
    (warning,) = note.warnings
    assert warning.line == line
    assert warning.message.startswith("front matter date ")
    # It says what the note is read with, not only what is wrong.
    assert warning.message.endswith(
        " is not a date; the note's date is taken from its file name (2025-11-29)"
    )
    assert note.front_matter_error is None
    assert note.date == dt.date(2025, 11, 29)  # from the file name


def test_a_date_that_is_no_date_leaves_a_note_named_without_one_without_a_date() -> None:
    note = parse_text("---\ntitle: T\ndate: 2025-13-45\n---\n", path="Weekly sync.md")
    assert note.date is None
    assert [str(w) for w in note.warnings] == [
        "Weekly sync.md:3: front matter date '2025-13-45' is not a date; the note is read"
        " without a date (its file name does not start with one)"
    ]


@pytest.mark.parametrize(
    ("front_matter", "said"),
    [
        (
            "date: 2025-11-30\ntitle: Board sync\ndate: 2025-12-01\n",
            "key 'date' is written twice (lines 2 and 4); the value on line 4 is used,"
            " the other is ignored",
        ),
        (
            "participants:\n- Dana\n- Ana\nparticipants: [Priya]\nparticipants: [Ana]\n",
            "key 'participants' is written 3 times (lines 2, 5 and 6); the value on line 6"
            " is used, the others are ignored",
        ),
        (
            "{title: Board sync, title: x}\n",
            "key 'title' is written twice (on line 2); the last value is used, the other is"
            " ignored",
        ),
        ("meta:\n  by: a\n  by: b\n", "key 'by' is written twice (lines 3 and 4)"),
        # One key to Python (a dict of 1 and True), one name in JSON ('1' and 1).
        ("1: a\ntrue: b\n", "key '1' is written twice (lines 2 and 3)"),
        ("'1': a\n1: b\n'1': c\n", "the value on line 3 is used"),  # {'1': c, 1: b}
        # The safe constructor builds it (an anchor): it says so too, once.
        (
            "base: &b {x: 1}\ndate: 2025-11-30\ncopy: *b\ndate: 2025-12-01\n",
            "key 'date' is written twice (lines 3 and 5); the value on line 5 is used",
        ),
        ("a: &a {x: 1, x: 2}\nb: *a\n", "key 'x' is written twice (on line 2)"),
    ],
)
def test_a_key_written_twice_is_a_warning_naming_its_lines_and_the_value_used(
    front_matter: str, said: str
) -> None:
    """Transcription pipelines and editors append keys; PyYAML keeps the last value of a key
    written twice, and so does plansync, but it was silent."""
    text = f"---\n{front_matter}---\n- [ ] Item\n"
    note = parse_text(text, path="dup.md")
    (warning,) = note.warnings
    assert warning.path == "dup.md"
    assert warning.message.startswith("front matter key ")
    assert said in warning.message
    assert f"line {warning.line}" in warning.message  # the line of the value used
    assert note.front_matter_error is None
    assert note.front_matter == expected(front_matter)  # the last value, as PyYAML reads it


@pytest.mark.parametrize(
    "front_matter",
    [
        "base: &b {x: 1, y: 2}\nmerged:\n  <<: *b\n  y: 3\n",  # a merge key's keys overridden
        "a: &a {y: 1}\nx:\n  b: &b {<<: *a, y: 2}\nc: {<<: *b}\n",  # merges of merges
        "s: !!set {a, a}\n",  # a set loses nothing
        "p: !!pairs [x: 1, x: 2]\n",  # pairs keep both
        "date: 2025-11-30\nDate: 2025-12-01\n",  # two keys
    ],
)
def test_keys_that_lose_no_value_are_no_warning(front_matter: str) -> None:
    assert parse_text(f"---\n{front_matter}---\n").warnings == []


def test_a_date_written_twice_is_the_last_and_each_warning_names_its_line() -> None:
    note = parse_text("---\ndate: 2025-11-30\ndate: someday\n---\n", path="2025-11-29 a.md")
    assert [(w.line, w.message.split(" is ")[0]) for w in note.warnings] == [
        (3, "front matter key 'date'"),
        (3, "front matter date 'someday'"),
    ]
    assert note.date == dt.date(2025, 11, 29)


@pytest.mark.parametrize("key", ["participants", "attendees"])
def test_participants_yaml_reads_as_booleans_are_the_names_as_written(key: str) -> None:
    note = parse_text(
        f"---\n{key}: [Dana, NO, Norway, 'no']\ndecisions_accepted: yes\n---\n"
        "- [ ] Item\n## Decisions\n- Ship it\n"
    )
    assert note.participants == ["Dana", "NO", "Norway", "no"]
    assert note.front_matter[key] == ["Dana", False, "Norway", "no"]  # as YAML reads it
    assert [item.accepted for item in note.items if item.kind == "decision"] == [True]
    listed = parse_text(f"---\n{key}:\n  - Yes\n  - Ana\n  - On\n---\n")
    assert listed.participants == ["Yes", "Ana", "On"]


def test_aliases_that_expand_without_bound_are_a_warning() -> None:
    # "Billion laughs": each anchor lists the one before ten times; 10**6 values in JSON here,
    # and each further line of 60 bytes multiplies them by ten.
    laughs = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] + [
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 6)
    ]
    note = parse_text("---\n" + "\n".join(laughs) + "\n---\n- [ ] Draft the plan\n")
    assert note.front_matter == {}
    assert note.front_matter_error is not None
    assert "expand to more than" in note.front_matter_error.message
    assert [item.text for item in note.items] == ["Draft the plan"]


def test_values_are_json() -> None:
    data = as_json({"d": dt.date(2025, 1, 2), "s": {"b", "a"}, "t": ("x",), "b": b"hi", 1: None})
    assert data == {"d": "2025-01-02", "s": ["a", "b"], "t": ["x"], "b": "aGk=", "1": None}
    assert as_json(data) == data


@pytest.mark.parametrize(
    "written",
    [
        "2025-10-27 10:00:00",  # a datetime to YAML: was shown as 2025-10-27T10:00:00
        "2025-10-27t10:00:00z",
        "2025-1-5 9:00:00",
        "2025-10-27",
        "yes",  # true to YAML 1.1: was shown as True
        "Off",
        "1:30",  # sexagesimal 90 to YAML 1.1
        "1.50",
        "0x1F",
        "010",
        "1_000",
    ],
)
def test_a_title_is_the_text_as_written(written: str) -> None:
    note = parse_text(f"---\ntitle: {written}\ndate: 2025-10-27\n---\n- [ ] Book the room\n")
    assert note.title == written
    quoted = parse_text(f"---\ntitle: '{written}'\n---\n")
    assert quoted.title == written


def test_a_title_written_twice_is_the_last_one_as_the_yaml_reads_it() -> None:
    note = parse_text("---\ntitle: 2025-10-26 09:00:00\ntitle: 2025-10-27 10:00:00\n---\n")
    assert note.title == "2025-10-27 10:00:00"
    assert note.front_matter["title"] == "2025-10-27T10:00:00"  # the property's value is kept


@pytest.mark.parametrize(
    ("front_matter", "line", "said"),
    [
        # An unclosed quote is found only at the end: the warning names where it opened.
        (
            'title: "Broken: yaml\ndate: 2025-11-15\nparticipants: [a, b]\n',
            2,
            "(lines 2-4: while scanning a quoted scalar, found unexpected end of stream)",
        ),
        ("title: T\nbad: [a, b\nc: 1\n", 3, "lines 3-4: while parsing a flow sequence"),
        ("title: T\nbad: [unclosed\n", 3, "(while parsing a flow sequence, did not find"),
        ("title: T\nnote\nc: 1\n", 3, "while scanning a simple key, could not find"),
        # A block mapping's start is the top of the document: the line of the problem it is.
        ("title: T\ndate: 2025-11-15\n- stray\n", 4, "(did not find expected key)"),
        ("title: T\nbad: a: b\n", 3, "(mapping values are not allowed"),
    ],
)
def test_broken_yaml_names_the_line_where_the_mistake_starts(
    front_matter: str, line: int, said: str
) -> None:
    note = parse_text(f"---\n{front_matter}---\n\n- [ ] t1 #task\n", path="a.md")
    assert note.front_matter_error is not None
    assert note.front_matter_error.line == line, note.front_matter_error
    assert said in note.front_matter_error.message, note.front_matter_error
    assert [item.text for item in note.items] == ["t1"]


def test_front_matter_not_closed_says_how_the_note_is_read() -> None:
    """A user test: "front matter is not closed by ---" left the reader to guess whether the
    note was held back, as broken YAML is; it is read, the "---" a rule as Obsidian shows it."""
    note = parse_text("---\ntitle: x\n- [ ] Call Ann #task\n", path="open.md")
    assert [w.message for w in note.warnings] == [
        "front matter is not closed by ---; the note is read without it (its first line a"
        " rule, as Obsidian shows it)"
    ]
    assert [i.text for i in note.items] == ["Call Ann"]


# Flat front matter (key: value lines, lists of scalars) is read without the loader; where the
# flat reading takes a document, it must read it as the loader does, warnings included.
FLAT_CHARS = "aZé9 :#-'\"\\.~,[]{}&*!|>%@`?=<\t\xa0\u2028\ufeff😀"
FLAT_WORDS = st.one_of(
    ODD_SCALARS,
    st.text(FLAT_CHARS, max_size=12),
    st.text(FLAT_CHARS[:22], max_size=12),  # no tab nor odd space: mostly flat
    st.builds("{}{}".format, st.sampled_from("aZé9~😀"), st.text(FLAT_CHARS[:22], max_size=12)),
    st.builds(
        "{}{}{}".format, st.sampled_from("'\""), st.text(FLAT_CHARS[:22]), st.sampled_from("'\"")
    ),
)
FLAT_KEYS = st.one_of(
    st.sampled_from(["title", "date", "tags", "yes", "on", "null", "x-y"]),
    st.from_regex(r"[a-z_][a-z0-9_-]{0,3}", fullmatch=True),
    st.text("ab_-1:", min_size=1, max_size=4),
)


@st.composite
def flat_documents(draw: st.DrawFn) -> list[str]:
    lines = []
    for key in draw(st.lists(FLAT_KEYS, max_size=5)):
        if draw(st.booleans()):
            lines.append(f"{key}:{draw(st.sampled_from([' ', '  ', '']))}{draw(FLAT_WORDS)}")
        else:
            lines.append(f"{key}:")
            indent = draw(st.sampled_from(["", "  ", "    "]))
            for word in draw(st.lists(FLAT_WORDS, max_size=3)):
                lines.append(f"{indent}-{draw(st.sampled_from([' ', '  ']))}{word}")
    return lines


def loaded(fm_lines: list[str]) -> tuple[Any, list[str]]:
    """The front matter as the loader reads it (not the flat reading), and its warnings."""
    loader = FrontMatterLoader("\n".join(fm_lines))
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    return data, [key.name for key in loader.repeated_keys]


@settings(max_examples=2000, deadline=None)
@given(flat_documents())
def test_flat_front_matter_reads_as_the_loader_reads_it(fm_lines: list[str]) -> None:
    flat = _flat(fm_lines)
    if flat is None:
        return
    assert loaded(fm_lines) == (flat, []) and as_text(loaded(fm_lines)[0]) == as_text(flat)


@pytest.mark.parametrize(
    "fm_lines",
    [
        [
            "type: meeting",
            "title: 'Weekly sync #3'",
            "date: '2024-01-01'",
            "participants:",
            "- Myself",
            "- Lucía Herrera",
            "source_ref: Inbox/2024-01-01 - Weekly sync #3.md",
            "tags:",
            "  - type/meeting",
            "empty:",
            "n: 12",
            "d: 2025-10-27",
            "b: yes",
            'q: ""',
        ],
    ],
)
def test_flat_front_matter_is_read_without_the_loader(fm_lines: list[str]) -> None:
    flat = _flat(fm_lines)
    assert flat is not None and as_text(flat) == as_text(loaded(fm_lines)[0])


@pytest.mark.parametrize(
    "fm_lines",
    [
        ["a: 1", "a: 2"],  # written twice: the loader warns
        ["a: x", "  y"],  # a scalar on two lines
        ["a: [x, y]"],
        ["a: 'it''s'"],
        ['a: "x\\ty"'],
        ["a: x # c: d", "b: 'x' # c"],
        ["yes: 1"],
        ["a:", "- x", "  - y"],
        ["a: b: c"],
        ["a:\tb"],
        ["a: 2025-02-30 10:00:00"],
    ],
)
def test_front_matter_not_flat_is_left_to_the_loader(fm_lines: list[str]) -> None:
    assert _flat(fm_lines) is None or as_text(_flat(fm_lines)) == as_text(loaded(fm_lines)[0])


@pytest.mark.parametrize("length", [1024, 1025])
def test_a_key_yaml_reads_only_up_to_1024_characters_long_is_read_as_the_loader_reads_it(
    length: int,
) -> None:
    """YAML reads a key without ``?`` only up to 1,024 characters: the flat reading took a
    longer one, and synced a note the loader (python-frontmatter) refuses."""
    fm_lines = ["title: x", "k" * length + ": 1"]
    data, problem, _ = load_front_matter(fm_lines, "n.md")
    if length == 1024:
        assert problem is None and data == {"title": "x", "k" * 1024: 1}
    else:
        assert data == {} and problem is not None and "not valid YAML" in problem.message
