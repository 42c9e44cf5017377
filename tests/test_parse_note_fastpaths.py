"""The note-level fast paths of :mod:`plansync.notes.parse` against the general path they
stand in for: each must give exactly what the general one gives, for any input."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from plansync.notes import parse
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
