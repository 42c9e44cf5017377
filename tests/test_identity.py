"""Identity's helpers on their own: where an id that ends no item's line may still be."""

from __future__ import annotations

from pathlib import Path

import pytest

import plansync.engine.identity
from plansync.engine.identity import lines_elsewhere
from plansync.notes.note_file import read_note_bytes


def test_a_note_deleted_while_lines_elsewhere_searches_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A note gone between the walk that lists it and its read (a sync client, a person
    tidying up) is no place the line is: the search goes on in the other notes rather than
    failing the plan."""
    (tmp_path / "a.md").write_text("- [ ] Draft the plan ^ps-aaaa\n", "utf-8")
    (tmp_path / "b.md").write_text("- [ ] Draft the plan ^ps-aaaa\n", "utf-8")

    def deleted_first(path: Path) -> tuple[int, bytes]:
        if path.name == "a.md":
            path.unlink()
        return read_note_bytes(path)

    monkeypatch.setattr(plansync.engine.identity, "read_note_bytes", deleted_first)
    assert lines_elsewhere(tmp_path, {"ps-aaaa"}) == {"ps-aaaa": "b.md"}


def test_lines_elsewhere_without_copies_passes_over_a_conflict_copy_and_searches_on(
    tmp_path: Path,
) -> None:
    """A sync tool's conflict copy holds the lost line, not the line moved: without
    ``copies`` it is not searched, and the notes after it still are; with ``copies`` it is
    where the line is."""
    copy = "a (Dana's conflicted copy 2025-11-03).md"
    (tmp_path / copy).write_text("- [ ] Draft the plan ^ps-aaaa\n", "utf-8")
    (tmp_path / "b.md").write_text("- [ ] Order the rails ^ps-bbbb\n", "utf-8")
    assert lines_elsewhere(tmp_path, {"ps-aaaa", "ps-bbbb"}, copies=False) == {"ps-bbbb": "b.md"}
    assert lines_elsewhere(tmp_path, {"ps-aaaa", "ps-bbbb"}) == {
        "ps-aaaa": copy,
        "ps-bbbb": "b.md",
    }
