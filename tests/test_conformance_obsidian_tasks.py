"""plansync reads every task line the way the Obsidian Tasks plugin does.

The cases are the plugin's own (its test suite and documentation, with the values the plugin
itself reads), kept outside this repository in ``shared/conformance/obsidian-tasks/`` and read
from there at test time; see that folder's README for their provenance and field semantics.

Differences that are plansync's by design, and how each is compared here:

* recurrence: the plugin stores its rrule rewording ("every week on Sunday when done");
  plansync keeps the rule as written, so ``recurrence`` is compared with
  ``expect_extra.recurrence_raw`` (the text after 🔁 as written).
* invalid calendar dates (``expect_extra.invalid_dates``, e.g. ``2023-02-29``): the plugin keeps
  an "Invalid date"; plansync reads no date (null) and reports a warning on the note, naming the
  file and the line. The date is consumed from the description in both.
* ``Item.text`` leaves out tags, owner, key links and the block id; the plugin's description is
  ``TaskBody.description`` (``Item.description``), and that is what is compared.
* the block link is stored without its caret; the plugin's ``"^name"`` is ``"^" + block_link``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import CONFORMANCE

from plansync.notes.model import Item, Note
from plansync.notes.parse import parse_text
from plansync.notes.signifiers import ALL_SIGNIFIERS
from plansync.notes.tasks import parse_task_line

DATE_FIELDS = ("due", "scheduled", "start", "created", "done", "cancelled")


def _load(name: str) -> list[dict[str, Any]]:
    path = CONFORMANCE / name
    if not path.is_file():  # pragma: no cover - the shared folder is part of the workspace
        pytest.fail(f"conformance data missing: {path}")
    return json.loads(path.read_text(encoding="utf-8"))


TASK_CASES = _load("cases.json") + _load("cases_dataview.json")
NOT_TASKS = _load("not_tasks.json")


def _expected(case: dict[str, Any]) -> dict[str, Any]:
    """The plugin's values, adjusted for plansync's documented by-design differences."""
    expect = dict(case["expect"])
    extra = case["expect_extra"]
    # By design: plansync keeps the recurrence rule as written, not the rrule rewording.
    expect["recurrence"] = extra["recurrence_raw"]
    # By design: an invalid calendar date is no date in plansync (plus a note-level warning).
    for name in extra["invalid_dates"]:
        expect[name] = None
    return expect


def _read(status: str, task: Any, block_link: str | None, dates: dict[str, Any]) -> dict[str, Any]:
    """The plugin's fields as plansync read them: from a line's ``TaskBody`` or a note's
    ``Item`` (``task``), which hold the same fields but for the block link and the dates."""
    got = {
        "status": status,
        "description": task.description,
        "priority": task.priority,
        "recurrence": task.recurrence,
        "id": task.task_id,
        "depends_on": task.depends_on,
        "tags": task.tags,
        "block_link": "^" + block_link if block_link else None,
    }
    for name in DATE_FIELDS:
        value = dates.get(name)
        got[name] = value.isoformat() if value else None
    return got


def test_the_conformance_data_is_all_there() -> None:
    assert len(_load("cases.json")) == 164
    assert len(_load("cases_dataview.json")) == 44
    assert len(NOT_TASKS) == 8
    for case in TASK_CASES:
        assert set(case["expect"]) == {
            "status",
            "description",
            *DATE_FIELDS,
            "priority",
            "recurrence",
            "id",
            "depends_on",
            "tags",
            "block_link",
        }


@pytest.mark.parametrize("case", TASK_CASES, ids=[c["id"] for c in TASK_CASES])
def test_task_line_reads_as_obsidian_tasks(case: dict[str, Any]) -> None:
    task = parse_task_line(case["line"])
    assert task is not None, "Obsidian Tasks reads this line as a task"
    body = task.body
    assert _read(task.status, body, body.block_link, body.dates) == _expected(case)
    extra = case["expect_extra"]
    assert task.indentation == extra["indentation"]
    assert task.marker == extra["list_marker"]
    assert task.body.on_completion == extra["on_completion"]
    # Invalid calendar dates are consumed and remembered, so the note can warn about them.
    assert sorted({name for name, _ in task.body.invalid_dates}) == sorted(extra["invalid_dates"])


def note_of_line(line: str) -> tuple[Note, int]:
    """(a note holding the line, the line's number there).

    An indented line stands under a bullet, as in the plugin's zero_width test data: four
    columns into a note with nothing above, it would be an indented code block, no list item.
    """
    parent = "- Root\n" if line[:1] in " \t" else ""
    return parse_text(parent + line + "\n", path="conformance.md"), 1 + parent.count("\n")


@pytest.mark.parametrize("case", TASK_CASES, ids=[c["id"] for c in TASK_CASES])
def test_note_of_the_line_gives_the_same_item(case: dict[str, Any]) -> None:
    note, number = note_of_line(case["line"])
    assert len(note.items) == 1
    item = note.items[0]
    assert item.kind == "action"
    assert item.line == number
    dates = {name: getattr(item, name) for name in DATE_FIELDS}
    assert _read(item.status, item, item.block_id, dates) == _expected(case)
    # Built without validation (model.builder): validating it again changes nothing.
    assert Item.model_validate(item.model_dump()) == item
    # A clean (UTF-8, as written) line is never reported as repaired.
    assert item.repaired is False

    invalid = case["expect_extra"]["invalid_dates"]
    for name in invalid:
        assert any(
            w.path == "conformance.md" and w.line == number and name in w.message
            for w in note.warnings
        ), f"no warning about the invalid {name} date: {note.warnings}"
    if not invalid:
        assert not [w for w in note.warnings if w.line == number and "date" in w.message]


# Lines where the plugin reads every field: no signifier is left in its description. (Where the
# plugin stops reading, e.g. "this is a ✅ done task", the emoji is description text for both.)
FULLY_READ = [
    c for c in TASK_CASES if not any(sig in c["expect"]["description"] for sig in ALL_SIGNIFIERS)
]


@pytest.mark.parametrize("case", FULLY_READ, ids=[c["id"] for c in FULLY_READ])
def test_text_has_no_signifier_when_every_field_was_read(case: dict[str, Any]) -> None:
    (item,) = note_of_line(case["line"])[0].items
    leftover = [sig for sig in ALL_SIGNIFIERS if sig in item.text]
    assert not leftover, f"text {item.text!r} still holds {leftover}"
    assert "\ufe0f" not in item.text


@pytest.mark.parametrize("case", NOT_TASKS, ids=[repr(c["line"])[:50] for c in NOT_TASKS])
def test_not_a_task(case: dict[str, Any]) -> None:
    assert case["expect"] is None
    assert parse_task_line(case["line"]) is None
    note = parse_text(case["line"] + "\n", path="not-a-task.md")
    assert [i for i in note.items if i.kind == "action"] == []
