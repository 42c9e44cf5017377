"""The note-level fast paths of :mod:`plansync.notes.parse` against the general path they
stand in for: each must give exactly what the general one gives, for any input."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import plansync
from plansync.notes import item_text, parse, vault
from plansync.notes.model import Item, Note, builder
from plansync.notes.signifiers import DATE_SIGNIFIERS, PRIORITIES

DATE_SYMBOLS = [s for symbols in DATE_SIGNIFIERS.values() for s in symbols]
TEXT_PIECES = st.sampled_from(
    [
        "a", "Draft", " ", "  ", "\t", "-", "0", "2", "9", "2024-01-01", "2025-13-45", "café",
        "’", "“", "—", "\ufe0f", "@Dana", "#t", "[[x]]", "é", "\U0001f600", *DATE_SYMBOLS,
        *PRIORITIES,
    ]
)  # fmt: skip


def test_field_starts_are_beyond_ascii() -> None:
    """field_in_text tells an ASCII text apart at once only because no field starts in it."""
    assert parse._FIELD_STARTS
    assert not any(start.isascii() for start in parse._FIELD_STARTS)


@settings(max_examples=1500, deadline=None)
@given(st.lists(TEXT_PIECES, max_size=25).map("".join))
@example("do it 📅 2024-01-01 for @Dana")
@example("do it ⏫ first")
@example("do it 📅\ufe0f  2024-01-01 now")
@example("plain ascii text")
def test_field_in_text_finds_what_the_pattern_finds(text: str) -> None:
    found, expected = parse.field_in_text(text), parse._FIELD_IN_TEXT.search(text)
    assert (found and (found.span(), found[0])) == (expected and (expected.span(), expected[0]))


def test_a_scan_without_a_policy_reads_every_note_under_one(tmp_path, monkeypatch) -> None:
    """The default policy is made once a scan, not once a note (validated each time)."""
    for name in ("a.md", "b.md", "c.md"):
        (tmp_path / name).write_text("- [ ] Draft the plan @Dana\n", encoding="utf-8")
    policies: list[object] = []
    reader_init = parse._NoteReader.__init__

    def spy(self: parse._NoteReader, path: str, policy: object, *args: object) -> None:
        policies.append(policy)
        reader_init(self, path, policy, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(parse._NoteReader, "__init__", spy)
    vault = plansync.scan_vault(tmp_path)
    assert [len(note.items) for note in vault.notes] == [1, 1, 1]
    assert len(policies) == 3 and len({id(policy) for policy in policies}) == 1


def test_the_walk_gives_each_note_by_its_path_as_a_string(tmp_path) -> None:
    """No Path made (and printed again to open the file) for each note: the walk's paths are
    strings that name the files, and its real-path bookkeeping (a folder's real path plus a
    name) finds a note reached twice through a link once."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "n.md").write_text("x\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("y\n", encoding="utf-8")
    (tmp_path / "link").symlink_to(tmp_path / "a")
    found = list(vault._note_files(tmp_path, ("**/*.md",), (), [], []))
    assert [relative for _, relative in found] == ["a/n.md", "b.md"]
    assert all(type(path) is str for path, _ in found)
    assert [os.path.samefile(path, tmp_path / rel) for path, rel in found] == [True, True]
    assert [rel for _, rel in vault.markdown_files(tmp_path)] == ["a/n.md", "b.md"]


LINE_PIECES = st.sampled_from(
    [
        "- [ ] ", "- [?] ", "- [x] ", "- ", "Draft the plan", " @Dana Okafor", " 📅 2025-10-27",
        " ⏫", " #task", " #accepted", " [[Cloud program]]", " ✅ 2025-11-01", " 📅 TBD", " ^blk",
        "\n", "## Decisions\n", "  - why\n",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE_PIECES, max_size=30).map("".join))
def test_built_items_and_notes_are_what_validation_would_make(text: str) -> None:
    """model.builder sets values without validating them: validating them changes nothing,
    and they sit in declaration order, every field given."""
    note = parse.parse_text(text, path="n.md")
    for item in note.items:
        assert list(item.__dict__) == list(Item.model_fields)
        assert item.model_fields_set == set(Item.model_fields)
        assert Item.model_validate(item.model_dump()) == item
    assert list(note.__dict__) == list(Note.model_fields)
    assert Note.model_validate(dict(note.__dict__)) == note


def test_a_builder_takes_every_field() -> None:
    values = Item(kind="action", line=1, status=" ", accepted=True, text="x").model_dump()
    del values["owner"]
    with pytest.raises(TypeError):
        builder(Item)(**values)


def test_a_builder_takes_the_fields_in_declaration_order() -> None:
    """The parser's hot calls pass an item's values in order, not by keyword (see builder)."""
    item = Item(kind="action", line=1, status=" ", accepted=True, text="x", owner="Dana")
    assert builder(Item)(*item.model_dump().values()) == item


class _Named(BaseModel):
    """A throwaway model whose fields are named as the maker's own names were: ``model``
    shadowed the class to make, and ``new`` the function that made it."""

    instance: int
    values: int
    new: int
    model: int
    every_field: int
    set_extra: int


def test_a_builder_makes_a_model_whose_fields_are_named_as_its_own_names_were() -> None:
    made = builder(_Named)(instance=1, values=2, new=3, model=4, every_field=5, set_extra=6)
    assert type(made) is _Named
    assert made == _Named(instance=1, values=2, new=3, model=4, every_field=5, set_extra=6)
    assert made.model_fields_set == set(_Named.model_fields)


def test_a_builder_refuses_fields_that_would_shadow_its_own_names() -> None:
    """No pydantic field starts with "_", but a model that says it has such fields (a later
    pydantic, another model kind) is refused while its maker is written, not built wrong."""
    shadowing = cast(Any, type("Shadowing", (), {"model_fields": {"x": None, "_model": None}}))
    with pytest.raises(ValueError, match=r"\['_model'\] shadow its builder's names"):
        builder(shadowing)


SPACES = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from([*SPACES, "a", "é", "’", "📅", "\u200b", "\ufe0f", "x"])))
@example("a  b")
@example(" a")
@example("a ")
@example("a\u00a0b")
@example("")
def test_single_spaced_is_split_and_join(text: str) -> None:
    assert item_text.single_spaced(text) == " ".join(text.split())


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_single_spaced_is_split_and_join_on_any_text(text: str) -> None:
    assert item_text.single_spaced(text) == " ".join(text.split())


def test_a_policy_changed_after_a_note_was_read_reads_the_next_under_its_new_values() -> None:
    """The reader's view of a policy is cached by the policy's values, not by the policy: its
    lists may be changed in place after a note was read under it, and a heading's reading is
    cached by the decision headings it was read against."""
    text = "## Outcomes\n\n- Ship it\n- [>] Draft the plan @Dana #ok\n"
    policy = plansync.AcceptancePolicy()
    before = parse.parse_text(text, policy=policy)
    assert [(i.kind, i.accepted) for i in before.items] == [("action", False)]
    policy.decision_headings.append("Outcomes")
    policy.accepted_statuses.append(">")
    after = parse.parse_text(text, policy=policy)
    assert [(i.kind, i.accepted) for i in after.items] == [("decision", False), ("action", True)]
    policy.decision_headings.remove("Outcomes")
    policy.accepted_statuses.remove(">")
    assert parse.parse_text(text, policy=policy) == before


def test_the_parsers_positional_item_calls_name_the_fields_in_declaration_order() -> None:
    """The parser passes an item's values in order, each line's comment naming its field: a
    field added, moved or renamed in Item must show there, or a value lands in another field
    unvalidated."""
    source = Path(parse.__file__).read_text(encoding="utf-8")
    calls = re.findall(r"_build_item\(\n(.*?)\n\s*\)\n", source, flags=re.S)
    assert len(calls) == 2
    for call in calls:
        comments = [re.search(r"#\s*(\w+)", line) for line in call.splitlines()]
        assert [c.group(1) if c else None for c in comments] == list(Item.model_fields)
