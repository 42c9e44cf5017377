"""The fields' three-way rule (:func:`diff_fields`) as pure values: the note's (N), the base's,
as last synced (B), and the backend's (R). What a plan says of each field follows from it: a
change on the note's side only is sent, one on the backend's side only stands (and is said),
both to one value is only learnt, both to different values is a conflict that
``[sync.conflicts]`` may settle. The sync tests reach these through a sandbox; here each case
is one call."""

from __future__ import annotations

from typing import Any

import pytest

from plansync.config import ConflictWinner
from plansync.connectors.base import RemoteRecord
from plansync.engine.diff import FieldsDiff, Kept, adopted_base, diff_fields, same_value


def fields(
    note: dict[str, Any],
    base: dict[str, Any],
    remote: dict[str, Any],
    *,
    immutable: frozenset[str] = frozenset(),
    winners: dict[str, ConflictWinner] | None = None,
    adopt: bool = False,
) -> FieldsDiff:
    return diff_fields(note, base, remote, immutable=immutable, winners=winners or {}, adopt=adopt)


def test_a_field_changed_in_the_note_only_is_sent() -> None:
    diff = fields({"summary": "New"}, {"summary": "Old"}, {"summary": "Old"})
    assert diff == FieldsDiff(updates={"summary": {"old": "Old", "new": "New"}})


def test_a_field_changed_in_the_backend_only_stands_and_is_said() -> None:
    diff = fields({"summary": "Old"}, {"summary": "Old"}, {"summary": "Theirs"})
    assert diff == FieldsDiff(kept=[Kept("summary")])


def test_a_field_changed_on_both_sides_to_one_value_is_only_learnt() -> None:
    diff = fields({"summary": "Same"}, {"summary": "Old"}, {"summary": "Same"})
    assert diff == FieldsDiff(converged={"summary": "Same"})


def test_a_field_unchanged_everywhere_asks_nothing() -> None:
    assert fields({"summary": "Old"}, {"summary": "Old"}, {"summary": "Old"}) == FieldsDiff()


def test_a_field_changed_on_both_sides_differently_is_a_conflict() -> None:
    diff = fields({"summary": "Mine"}, {"summary": "Old"}, {"summary": "Theirs"})
    assert diff == FieldsDiff(
        conflicts={"summary": {"base": "Old", "note": "Mine", "remote": "Theirs"}}
    )


def test_the_config_settles_a_conflict_per_field() -> None:
    note, base, remote = (
        {"summary": "Mine", "priority": "High"},
        {"summary": "Old", "priority": "Low"},
        {"summary": "Theirs", "priority": "Medium"},
    )
    diff = fields(note, base, remote, winners={"summary": "note", "priority": "remote"})
    assert diff == FieldsDiff(
        updates={"summary": {"old": "Theirs", "new": "Mine"}},
        kept=[Kept("priority", overruled=True)],
    )


def test_a_winner_for_another_field_leaves_the_conflict_standing() -> None:
    diff = fields(
        {"summary": "Mine"}, {"summary": "Old"}, {"summary": "Theirs"}, winners={"due": "note"}
    )
    assert list(diff.conflicts) == ["summary"]
    assert not diff.updates and not diff.kept


def test_adopting_sends_every_field_that_differs_and_keeps_none() -> None:
    diff = fields(
        {"summary": "Mine", "due": "2025-10-27"},
        {},
        {"summary": "Theirs", "due": "2025-10-27"},
        adopt=True,
    )
    assert diff == FieldsDiff(updates={"summary": {"old": "Theirs", "new": "Mine"}})


def test_a_field_the_target_cannot_change_is_never_sent() -> None:
    diff = fields(
        {"summary": "New", "due": "2025-11-01"},
        {"summary": "Old", "due": "2025-10-27"},
        {"summary": "Old", "due": "2025-10-27"},
        immutable=frozenset({"summary"}),
    )
    assert diff == FieldsDiff(updates={"due": {"old": "2025-10-27", "new": "2025-11-01"}})


def test_each_field_is_decided_on_its_own() -> None:
    """One field's outcome stops nothing for the fields after it."""
    diff = fields(
        {"a": "same", "b": "kept", "labels": ["x"], "c": "new"},
        {"a": "base", "b": "kept", "labels": ["x"], "c": "old"},
        {"a": "same", "b": "theirs", "labels": ["x"], "c": "old"},
    )
    assert diff == FieldsDiff(
        updates={"c": {"old": "old", "new": "new"}},
        converged={"a": "same"},
        kept=[Kept("b")],
    )


def test_labels_added_in_the_note_go_on_and_those_added_in_the_backend_stay() -> None:
    diff = fields({"labels": ["a", "mine"]}, {"labels": ["a"]}, {"labels": ["a", "theirs"]})
    assert diff == FieldsDiff(
        updates={"labels": {"old": ["a", "theirs"], "new": ["a", "mine", "theirs"]}}
    )


def test_labels_dropped_in_the_note_come_off() -> None:
    diff = fields({"labels": ["a"]}, {"labels": ["a", "gone"]}, {"labels": ["a", "gone", "x"]})
    assert diff == FieldsDiff(updates={"labels": {"old": ["a", "gone", "x"], "new": ["a", "x"]}})


def test_labels_added_in_the_backend_only_ask_nothing() -> None:
    assert fields({"labels": ["a"]}, {"labels": ["a"]}, {"labels": ["a", "theirs"]}) == FieldsDiff()


def test_labels_the_note_and_the_backend_both_added_are_only_learnt() -> None:
    diff = fields({"labels": ["a", "b"]}, {"labels": ["a"]}, {"labels": ["b", "a"]})
    assert diff == FieldsDiff(converged={"labels": ["a", "b"]})


def test_adopting_a_record_sends_the_notes_labels_beside_the_backends() -> None:
    diff = fields({"labels": ["mine"]}, {}, {"labels": ["theirs"]}, adopt=True)
    assert diff == FieldsDiff(updates={"labels": {"old": ["theirs"], "new": ["mine", "theirs"]}})
    assert fields({"labels": ["a"]}, {}, {"labels": ["a"]}, adopt=True) == FieldsDiff()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (["x", "y"], ["y", "x"]),  # lists in any order
        ("text\r\nmore", "text\nmore  "),  # line endings and spaces at the ends
        ("", None),  # empty is none
        ([], None),
    ],
)
def test_values_the_same_to_a_person_are_the_same(a: Any, b: Any) -> None:
    assert same_value(a, b) and same_value(b, a)


@pytest.mark.parametrize(("a", "b"), [(["x"], ["x", "y"]), ("a b", "ab"), ("x", None)])
def test_values_that_differ_differ(a: Any, b: Any) -> None:
    assert not same_value(a, b) and not same_value(b, a)


def test_a_record_taken_in_as_it_is_has_the_base_of_its_fields_and_closed_word() -> None:
    found = RemoteRecord("PS-1", "u", "ps-1", {"summary": "S"}, "done", "cancelled")
    assert adopted_base(found) == {
        "summary": "S",
        "status": "cancelled",
        "status_value": None,
        "link": None,
    }
    open_ = RemoteRecord("PS-1", "u", "ps-1", {"summary": "S"}, "indeterminate")
    assert adopted_base(open_)["status"] == "indeterminate"
    # A Salesforce record's own value is kept, as a sync's move keeps the value it set.
    declined = RemoteRecord("a01", "u", "ps-1", {}, None, status_value="Declined")
    assert (adopted_base(declined)["status"], adopted_base(declined)["status_value"]) == (
        None,
        "Declined",
    )


@pytest.mark.parametrize(
    ("kept", "said"),
    [
        (Kept("summary"), "summary"),
        (Kept("status", now="done"), "status (now done)"),
        (
            Kept("priority", overruled=True),
            "priority (and in the note: [sync.conflicts] keeps the backend's)",
        ),
        (
            Kept("status", overruled=True, now="done", outweighed="indeterminate"),
            "status (now done) (and in the note, to in progress: a close outweighs it)",
        ),
    ],
)
def test_a_kept_line_says_where_the_backend_has_it_and_why_the_note_lost(
    kept: Kept, said: str
) -> None:
    """The plan's ``kept`` line: only the name where the backend alone changed it; the note's
    move said where it was overruled, so the plan does not read as a change in Jira only."""
    assert str(kept) == said
