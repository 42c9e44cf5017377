"""Every field and format of a note, read as the Obsidian Tasks documentation describes them.

Sources: the plugin's "Tasks Emoji Format", "Dates", "Priority", "Recurring Tasks",
"Task Dependencies", "Dataview Format" and "Getting Started" pages (fields are read backwards
from the end of the line, and reading stops at the first thing that is not a field; numbered
lists, blockquotes and callouts hold tasks; code blocks do not), and DESIGN.md ("The notes").
"""

from __future__ import annotations

import datetime as dt
import sys
import unicodedata
from pathlib import Path

import pytest

from plansync.notes.model import AcceptancePolicy, Item, Note
from plansync.notes.parse import parse_note, parse_text
from plansync.notes.reread import reread_keys
from plansync.notes.tasks import parse_task_line

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "notes"
D = dt.date


def note_of(text: str, path: str = "notes/meeting.md", **kwargs) -> Note:
    return parse_text(text, path=path, **kwargs)


def item_of(line: str, **kwargs) -> Item:
    items = note_of(line + "\n", **kwargs).items
    assert len(items) == 1, items
    return items[0]


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signifier", "field"),
    [
        ("📅", "due"),
        ("📆", "due"),
        ("🗓", "due"),
        ("⏳", "scheduled"),
        ("⌛", "scheduled"),
        ("🛫", "start"),
        ("➕", "created"),
        ("✅", "done"),
        ("❌", "cancelled"),
    ],
)
@pytest.mark.parametrize("selector", ["", "\ufe0f"], ids=["plain", "VS16"])
@pytest.mark.parametrize("gap", [" ", "", "   "], ids=["one-space", "no-space", "spaces"])
def test_each_date_signifier(signifier: str, field: str, selector: str, gap: str) -> None:
    item = item_of(f"- [ ] Review the rollout plan {signifier}{selector}{gap}2025-10-27")
    assert getattr(item, field) == D(2025, 10, 27)
    others = {"due", "scheduled", "start", "created", "done", "cancelled"} - {field}
    assert all(getattr(item, name) is None for name in others)
    assert item.text == "Review the rollout plan"
    assert item.description == "Review the rollout plan"


def test_all_dates_on_one_line_in_any_order() -> None:
    item = item_of(
        "- [x] Close out the audit ✅ 2025-10-30 ➕ 2025-10-01 🛫 2025-10-02 ⏳ 2025-10-03 "
        "📅 2025-10-04 ❌ 2025-10-05"
    )
    assert (item.created, item.start, item.scheduled, item.due, item.done, item.cancelled) == (
        D(2025, 10, 1),
        D(2025, 10, 2),
        D(2025, 10, 3),
        D(2025, 10, 4),
        D(2025, 10, 30),
        D(2025, 10, 5),
    )
    assert item.text == "Close out the audit"


def test_a_date_before_other_text_is_not_read() -> None:
    # "Getting Started": reading stops at the first value that is not a field.
    item = item_of("- [ ] Check the vendor quote 📅 2025-10-27 with finance")
    assert item.due is None
    assert item.description == "Check the vendor quote 📅 2025-10-27 with finance"


def test_a_date_followed_by_a_tag_or_block_link_is_read() -> None:
    item = item_of("- [ ] Check the vendor quote 📅 2025-10-27 #finance ^q1")
    assert item.due == D(2025, 10, 27)
    assert item.tags == ["#finance"]
    assert item.block_id == "q1"


def test_nbsp_between_signifier_and_date_is_not_a_space() -> None:
    # "Limitations of Tasks Emoji Format": NBSP is not treated as a space by the plugin.
    task = parse_task_line("- [ ] Check the quote 📅\u00a02025-10-27")
    assert task is not None
    assert task.body.dates.get("due") is None
    assert task.body.description == "Check the quote 📅\u00a02025-10-27"


@pytest.mark.parametrize("value", ["TBD", "2025-13-45", "2025-02-30", "soon"])
def test_a_non_date_gives_a_null_date_and_a_warning(value: str) -> None:
    note = note_of(f"# Sync\n\n- [ ] Draft the rollout plan @Myself 📅 {value} ⏫ #task\n")
    (item,) = note.items
    assert item.due is None
    assert item.priority == "high"
    assert item.owner == "Myself"
    assert item.tags == ["#task"]
    assert item.text == "Draft the rollout plan"
    assert "📅" not in item.text and value not in item.text
    (warning,) = [w for w in note.warnings if "due" in w.message]
    assert warning.path == "notes/meeting.md"
    assert warning.line == 3
    assert str(warning).startswith("notes/meeting.md:3:")
    assert value in warning.message


def test_tbd_at_the_very_end_of_the_line() -> None:
    note = note_of("- [ ] Send links to the whole group. @Myself 📅 TBD\n")
    (item,) = note.items
    assert item.due is None
    assert item.text == "Send links to the whole group."
    assert item.owner == "Myself"
    assert [w.line for w in note.warnings] == [1]


@pytest.mark.parametrize(
    "fields", ["📅 TBD 📅 2025-10-27", "📅 TBD ⏫ 📅 2025-10-27 #task", "📅 2025-10-27 📅 TBD"]
)
def test_tbd_does_not_discard_a_date_the_plugin_reads(fields: str) -> None:
    # With the valid date last, Obsidian Tasks reads it and stops at "TBD" (its description is
    # "Draft the plan 📅 TBD"); with "TBD" last, it reads no field at all. plansync's by-design
    # departure (a non-date is consumed as a null date, out of the text, and the run of fields
    # goes on as past "📅 2025-13-45") must not null a date the line gives, nor leave "📅 TBD"
    # in a Jira summary.
    note = note_of(f"- [ ] Draft the plan {fields}\n")
    (item,) = note.items
    assert item.due == D(2025, 10, 27)
    assert item.text == "Draft the plan"
    (warning,) = note.warnings
    assert warning.line == 1
    assert warning.message == (
        "due date is 'TBD', not YYYY-MM-DD; ignored: the line's due date 2025-10-27 is read"
    )


def test_fields_left_of_a_non_date_are_read_as_they_are_without_a_valid_date_beside_it() -> None:
    # The non-date is consumed as a field (plansync's departure), so the run of fields goes on
    # past it, with or without a valid date after it: both lines read the same fields.
    for line in ("- [ ] x ⏫ 📅 TBD 📅 2025-10-27", "- [ ] x ⏫ 📅 2025-10-27 📅 TBD"):
        item = item_of(line)
        assert (item.text, item.priority, item.due) == ("x", "high", D(2025, 10, 27)), line
    assert item_of("- [ ] x ⏫ 📅 TBD").priority == "high"


def test_an_invalid_date_left_of_a_valid_one_is_the_date_like_the_plugin() -> None:
    # The plugin reads both as due dates, right to left, and keeps the leftmost: "Invalid date".
    note = note_of("- [ ] Draft the plan 📅 2025-13-45 📅 2025-10-27\n")
    assert (note.items[0].due, note.items[0].unreadable_dates) == (None, ("due",))
    assert [w.message for w in note.warnings] == [
        "due date is '2025-13-45', no day of the calendar; read as no due date, and none is"
        " sent: Jira and Salesforce keep the date they have"
    ]


@pytest.mark.parametrize("day", ["2025-02-30", "2025-13-45"])
@pytest.mark.parametrize("after", ["", " #task", " ^ps-abc123"])
def test_a_date_of_the_form_that_is_no_day_is_warned_as_such(day: str, after: str) -> None:
    # "not YYYY-MM-DD" sent its writer looking for a typo in the form, which has none.
    note = note_of(f"- [ ] Draft the plan 📅 {day}{after}\n")
    assert note.items[0].due is None
    assert [w.message for w in note.warnings] == [
        f"due date is '{day}', no day of the calendar; read as no due date, and none is sent:"
        " Jira and Salesforce keep the date they have"
    ]


def test_a_repeated_field_keeps_the_leftmost_value_like_the_plugin() -> None:
    # The plugin's deserialiser overwrites on each match while reading right to left.
    item = item_of("- [ ] Draft the plan 📅 2025-10-01 📅 2025-10-27")
    assert item.due == D(2025, 10, 1)


# --- priority ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("emoji", "priority"),
    [("🔺", "highest"), ("⏫", "high"), ("🔼", "medium"), ("🔽", "low"), ("⏬", "lowest")],
)
@pytest.mark.parametrize("selector", ["", "\ufe0f"], ids=["plain", "VS16"])
def test_priorities(emoji: str, priority: str, selector: str) -> None:
    item = item_of(f"- [ ] Prepare the quarterly review {emoji}{selector} 📅 2025-10-27")
    assert item.priority == priority
    assert item.due == D(2025, 10, 27)
    assert item.text == "Prepare the quarterly review"


def test_no_priority_is_none() -> None:
    assert item_of("- [ ] Prepare the quarterly review").priority == "none"


@pytest.mark.parametrize(
    ("field", "priority"),
    [
        ("[priority:: highest]", "highest"),
        ("[priority:: low]", "low"),
        ("(priority:: high)", "high"),
    ],
)
def test_dataview_priority(field: str, priority: str) -> None:
    item = item_of(f"- [ ] Prepare the quarterly review  {field}")
    assert item.priority == priority
    assert item.text == "Prepare the quarterly review"


# --- recurrence, id, depends on ---------------------------------------------------------------


def test_recurrence_is_kept_as_written() -> None:
    item = item_of("- [ ] Water the lab plants 🔁 every week on Monday when done 📅 2025-10-27")
    assert item.recurrence == "every week on Monday when done"
    assert item.due == D(2025, 10, 27)
    assert item.text == "Water the lab plants"


def test_recurrence_with_variation_selector() -> None:
    item = item_of("- [ ] Water the lab plants 🔁\ufe0f every 2 weeks")
    assert item.recurrence == "every 2 weeks"


def test_dataview_recurrence() -> None:
    assert item_of("- [ ] Water the lab plants [repeat:: every day]").recurrence == "every day"


def test_on_completion_is_consumed() -> None:
    task = parse_task_line("- [ ] Water the lab plants 🔁 every day 🏁 delete")
    assert task is not None
    assert task.body.on_completion == "delete"
    assert item_of("- [ ] Water the lab plants 🔁 every day 🏁 delete").text == (
        "Water the lab plants"
    )


@pytest.mark.parametrize("field", ["🏁 archive", "🏁 Later", "[onCompletion:: archive]"])
def test_an_unknown_on_completion_action_is_consumed_as_no_action(field: str) -> None:
    # OnCompletion.ts, parseOnCompletionValue: "delete" and "keep" (any case), else Ignore.
    task = parse_task_line(f"- [ ] Water the lab plants 🔁 every day {field}")
    assert task is not None
    assert task.body.on_completion is None
    assert task.body.description == "Water the lab plants"
    assert task.body.recurrence == "every day"


@pytest.mark.parametrize("value", ["1", "hftw84745", "task_1", "do-me-first", "ps-7k2m9q"])
def test_task_id(value: str) -> None:
    item = item_of(f"- [ ] Build a first draft 🆔 {value}")
    assert item.task_id == value
    assert item.text == "Build a first draft"


def test_dataview_task_id() -> None:
    assert item_of("- [ ] Build a first draft [id:: abc_12-x]").task_id == "abc_12-x"


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ("1", ["1"]),
        ("dcf64c,0h17ye", ["dcf64c", "0h17ye"]),
        ("dcf64c, 0h17ye", ["dcf64c", "0h17ye"]),
        ("a1 , b_2 ,c-3", ["a1", "b_2", "c-3"]),
    ],
)
@pytest.mark.parametrize("selector", ["", "\ufe0f"], ids=["plain", "VS16"])
def test_depends_on(value: str, ids: list[str], selector: str) -> None:
    item = item_of(f"- [ ] Test with users ⛔{selector} {value}")
    assert item.depends_on == ids
    assert item.text == "Test with users"


@pytest.mark.parametrize("field", ["⛔ \u212a1", "🆔 \u212a1", "[dependsOn:: \u212a1]"])
def test_ids_are_ascii_letters_and_digits_only(field: str) -> None:
    # DefaultTaskSerializer builds its regexes without the "i" flag: [a-zA-Z0-9-_] does not
    # match the Kelvin sign (U+212A), which a case-insensitive Python pattern folds to "k".
    item = item_of(f"- [ ] Test with users {field}")
    assert (item.depends_on, item.task_id) == ([], None)
    assert item.description == f"Test with users {field}"


def test_dataview_depends_on() -> None:
    item = item_of("- [ ] Test with users  [dependsOn:: dcf64c, 0h17ye]")
    assert item.depends_on == ["dcf64c", "0h17ye"]


def test_absent_fields_are_empty() -> None:
    item = item_of("- [ ] Plain task")
    assert (item.recurrence, item.task_id, item.block_id, item.owner) == (None, None, None, None)
    assert (item.depends_on, item.tags, item.keys) == ([], [], {})


# --- tags and block ids --------------------------------------------------------------------


def test_tags_in_order_mixed_with_fields() -> None:
    item = item_of("- [ ] Plan the #offsite agenda #team 📅 2025-10-27 #q4 ⏫ #travel")
    assert item.tags == ["#offsite", "#team", "#q4", "#travel"]
    assert item.description == "Plan the #offsite agenda #team #q4 #travel"
    assert item.due == D(2025, 10, 27)
    assert item.priority == "high"
    assert "#" not in item.text


def test_tag_must_follow_whitespace() -> None:
    item = item_of("- [ ] Read https://example.com/page/#section and C# notes #reading")
    assert item.tags == ["#reading"]


@pytest.mark.parametrize(
    ("line", "tags"),
    [
        # A tag may hold any whitespace but the space; the plugin trims what it ends with.
        ("- [ ] Call #bob\t about the rollout", ["#bob"]),
        ("- [ ] Call #bob\u00a0 about the rollout", ["#bob"]),
        # The whitespace before a tag belongs to its match, so tags do not overlap.
        ("- [ ] Plan #a\t#b today", ["#a"]),
        # The plugin's \s is JavaScript's: U+FEFF is whitespace, U+0085 and U+001F are not.
        ("- [ ] Call Bob\ufeff#urgent", ["#urgent"]),
        ("- [ ] Call \x85#bob about it", []),
        ("- [ ] Call \x1f#bob about it", []),
    ],
)
def test_tags_as_the_plugin_matches_them(line: str, tags: list[str]) -> None:
    # TaskRegularExpressions.hashTags, /(^|\s)#[^ !@#$%^&*(),.?":{}|<>]+/g, each match trimmed
    # (Task.extractHashtags), and hashTagsFromEnd for the trailing ones.
    assert item_of(line).tags == tags


def test_a_trailing_tag_is_trimmed_as_javascript_trims() -> None:
    # U+0085 is a tag character, and JavaScript's trim() keeps it: the tag is "#tag\x85".
    item = item_of("- [ ] Task #tag\x85 📅 2025-10-27")
    assert item.due == D(2025, 10, 27)
    assert item.description == "Task #tag\x85"
    assert item.tags == ["#tag\x85"]


def test_the_accept_tag_before_a_no_break_space_accepts() -> None:
    # Pasted text often has U+00A0 after a word; the plugin reads the tag as "#accepted".
    item = item_of("- [Q] Draft the plan #accepted\u00a0 today")
    assert item.tags == ["#accepted"]
    assert item.accepted is True


@pytest.mark.parametrize("block", ["ps-7k2m9q", "abc", "A1-b2"])
def test_trailing_block_id(block: str) -> None:
    item = item_of(f"- [ ] Ship the beta 📅 2025-10-27 #release ^{block}")
    assert item.block_id == block
    assert item.due == D(2025, 10, 27)
    assert item.text == "Ship the beta"


def test_block_id_needs_a_space_and_the_end() -> None:
    assert item_of("- [ ] Ship the beta^abc").block_id is None
    assert item_of("- [ ] Ship ^abc the beta").block_id is None
    assert item_of("- [ ] Ship the beta ^abc   ").block_id == "abc"


# --- line shapes ---------------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["-", "*", "+", "1.", "1)", "12.", "3)"])
def test_list_markers(marker: str) -> None:
    item = item_of(f"{marker} [ ] Order the new badges 📅 2025-10-27")
    assert item.status == " "
    assert item.due == D(2025, 10, 27)
    assert item.text == "Order the new badges"


@pytest.mark.parametrize(
    "prefix",
    ["  ", "    ", "\t", "\t\t", "> ", ">", "> > ", ">\t", "    > "],
    ids=["2sp", "4sp", "tab", "2tab", "quote", "quote-tight", "nested-quote", "quote-tab", "ind-q"],
)
def test_indented_nested_and_quoted_tasks(prefix: str) -> None:
    # Under a bullet: four columns into a note with nothing above is an indented code block,
    # which Obsidian lists no item in (tests/test_parse_blocks.py); two tabs in, under a
    # bullet of the level between (four columns into "Agenda", it is that line's text).
    parents = "- Agenda\n" + ("\t- Topic\n" if prefix == "\t\t" else "")
    item = item_of(f"{parents}{prefix}- [ ] Order the new badges 📅 2025-10-27")
    assert item.due == D(2025, 10, 27)
    assert item.text == "Order the new badges"


def test_tasks_inside_a_callout() -> None:
    note = note_of(
        "> [!todo] Follow-ups\n"
        "> - [ ] Order the new badges @Myself 📅 2025-10-27\n"
        "> - [x] Book the room ✅ 2025-10-20\n"
    )
    assert [(i.line, i.status, i.text) for i in note.items] == [
        (2, " ", "Order the new badges"),
        (3, "x", "Book the room"),
    ]


def test_subtasks_are_items_and_plain_subbullets_are_not() -> None:
    note = note_of(
        "- [ ] Prepare the offsite\n"
        "    - Book a venue near the office\n"
        "    - [ ] Collect dietary needs\n"
        "        - [x] Send the form\n"
    )
    assert [(i.line, i.text) for i in note.items] == [
        (1, "Prepare the offsite"),
        (3, "Collect dietary needs"),
        (4, "Send the form"),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "-[ ] no space after the marker",
        "- [] empty checkbox",
        "- [ab] two characters",
        "-- [ ] double dash",
        "a. [ ] letter marker",
        "Some text - [ ] in a sentence",
    ],
)
def test_not_task_lines(line: str) -> None:
    assert parse_task_line(line) is None
    assert note_of(line + "\n").items == []


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\r"])
def test_a_task_line_is_read_up_to_a_javascript_line_terminator(separator: str) -> None:
    # The plugin's taskRegex ends in " *(.*)" with the u flag and no "$": "." is any character
    # but a line terminator, so the body stops at the first one and nothing after it is read.
    line = f"- [ ] Ship the beta{separator}with docs 📅 2025-10-27 #release ^b1"
    task = parse_task_line(line)
    assert task is not None
    assert (task.body.description, task.body.dates, task.body.tags) == ("Ship the beta", {}, [])
    assert task.body.block_link is None
    (item,) = note_of(line + "\n").items
    assert (item.text, item.due, item.block_id) == ("Ship the beta", None, None)
    # Nor is a line terminator a status character.
    assert parse_task_line(f"- [{separator}] Ship the beta") is None


@pytest.mark.parametrize("indent", ["\x85", "\x1c", "\x1f", "  \x85"])
def test_python_only_whitespace_does_not_indent_a_task(indent: str) -> None:
    # The plugin's indentation is [\s\t>]* with JavaScript's \s, which has neither U+0085 nor
    # U+001C-U+001F (Python's \s has both): Task.fromLine reads no task, nor a decision here.
    line = f"{indent}- [ ] Order the new badges 📅 2025-10-27"
    assert parse_task_line(line) is None
    assert note_of(f"## Decisions\n{line}\n{indent}- Ship on Friday\n").items == []


@pytest.mark.parametrize(
    ("fence", "closing"),
    [("```", "```"), ("~~~", "~~~"), ("````", "````"), ("```text", "```"), ("~~~md", "~~~~")],
)
def test_code_fences_hide_items(fence: str, closing: str) -> None:
    note = note_of(
        "- [ ] Before the block\n"
        f"{fence}\n"
        "- [ ] Inside the block 📅 2025-10-27\n"
        "## Decisions\n"
        "- Not a decision either\n"
        f"{closing}\n"
        "- [ ] After the block\n"
    )
    assert [(i.line, i.text) for i in note.items] == [
        (1, "Before the block"),
        (7, "After the block"),
    ]


def test_shorter_fence_does_not_close_a_longer_one() -> None:
    note = note_of("````\n```\n- [ ] Still inside\n```\n````\n- [ ] Outside\n")
    assert [i.text for i in note.items] == ["Outside"]


def test_inline_code_at_the_start_of_a_line_opens_no_fence() -> None:
    # CommonMark: a backtick fence's info string holds no backtick; this line is inline code.
    note = note_of("```make test``` before merging\n- [ ] Merge the branch\n")
    assert [(i.line, i.text) for i in note.items] == [(2, "Merge the branch")]


def test_a_fence_with_an_info_string_does_not_close_a_block() -> None:
    # CommonMark: a closing fence has nothing after it but spaces.
    note = note_of("```python\nx = 1\n```python\n- [ ] Still inside\n``` \n- [ ] Outside\n")
    assert [i.text for i in note.items] == ["Outside"]


def test_a_tasks_query_block_is_not_read() -> None:
    note = note_of("```tasks\nnot done\ndue before tomorrow\n```\n- [ ] Real task\n")
    assert [i.text for i in note.items] == ["Real task"]


def test_wiki_link_bullet_is_not_a_task() -> None:
    note = note_of("## Related\n\n- [[Object tier roadmap]]\n- [[Priya Natarajan|Priya]]\n")
    assert note.items == []


def test_wiki_links_in_a_task_read_as_their_text() -> None:
    item = item_of("- [ ] Update [[Object tier roadmap]] with [[Priya Natarajan|Priya]]")
    assert item.text == "Update Object tier roadmap with Priya"
    assert item.keys == {}


def test_an_unclosed_wiki_link_is_text_and_the_next_one_a_link() -> None:
    item = item_of("- [ ] Compare [[draft [[Object tier roadmap|the roadmap]]")
    assert item.text == "Compare [[draft the roadmap"


def test_many_unclosed_wiki_links_are_text_and_the_link_after_them_reads() -> None:
    # A wiki link holds no "[": each unclosed "[[" is text, and the closed link after 8,000 of
    # them still reads as its alias or name. (Each match attempt used to read to the end of the
    # line, ~15 s here: that is for the parse benchmark to measure, not for a timed test.)
    note = note_of(
        "## Decisions\n- [ ] " + "[[a " * 8000 + "[[b]]\n- " + "[[a|" * 8000 + "[[c|d]]\n"
    )
    assert [(i.kind, i.line, i.text) for i in note.items] == [
        ("action", 2, "[[a " * 8000 + "b"),
        ("decision", 3, "[[a|" * 8000 + "d"),
    ]


def test_line_numbers_are_the_files(tmp_path: Path) -> None:
    path = tmp_path / "n.md"
    path.write_text("---\ntitle: t\n---\n\n# T\n\n- [ ] First\n\n- [ ] Second\n", encoding="utf-8")
    note = parse_note(path)
    assert [(i.line, i.text) for i in note.items] == [(7, "First"), (9, "Second")]


def test_a_missing_path_or_a_folder_is_an_error_whichever_type_names_it(tmp_path: Path) -> None:
    """A Path that named no file was a note with a warning, and a folder a note of its name's
    text with no items and no warning: a caller's wrong path passed for an empty note."""
    for source in (tmp_path / "nope.md", str(tmp_path / "nope.md")):
        with pytest.raises(FileNotFoundError, match=r"nope\.md: no such note"):
            parse_note(source)
    for source in (tmp_path, str(tmp_path)):
        with pytest.raises(IsADirectoryError, match=r"a folder, not a note \(plansync\.scan_vault"):
            parse_note(source)
    for empty in ("", " "):  # Path("") is the working folder: an empty transcript is no path
        assert parse_note(empty).items == []


def test_a_one_line_note_longer_than_a_file_name_is_text() -> None:
    line = "- [ ] " + "Draft the plan for the quarterly storage review " * 8 + "📅 2025-10-27"
    (item,) = parse_note(line).items
    assert (item.text, item.due) == (line[6:-13].strip(), D(2025, 10, 27))


def test_a_mistyped_note_path_is_an_error_not_an_empty_note() -> None:
    with pytest.raises(FileNotFoundError, match=r"meetings/2025-10-24\.md: no such note"):
        parse_note("meetings/2025-10-24.md")
    with pytest.raises(FileNotFoundError, match=r"My Notes/Weekly sync\.md: no such note"):
        parse_note("My Notes/Weekly sync.md")
    for path in ("2025.10.24 Weekly.md", "1.md", "notes/x.md "):
        with pytest.raises(FileNotFoundError):
            parse_note(path)
    # Ended with a newline, the same string is a note's text (with nothing to read in it).
    assert parse_note("meetings/2025-10-24.md\n").items == []
    # A one-line note whose text ends in ".md" is a note, not a path.
    assert [i.text for i in parse_note("- [ ] Update CHANGELOG.md").items] == [
        "Update CHANGELOG.md"
    ]


def test_crlf_line_endings() -> None:
    note = note_of("---\r\ntitle: Windows note\r\n---\r\n- [ ] Book the room 📅 2025-10-27 ^r1\r\n")
    assert note.title == "Windows note"
    (item,) = note.items
    assert (item.line, item.text, item.due, item.block_id) == (
        4,
        "Book the room",
        D(2025, 10, 27),
        "r1",
    )


def test_lone_carriage_returns_are_a_warning_naming_the_line() -> None:
    # The plugin splits a file on "\n" and reads a task line up to its first "\r": tasks after
    # a lone CR are read by neither, and the note must say so rather than look complete.
    note = note_of("# Sync\r\n- [ ] Book the room\r\n- [ ] Send the notes\r- [ ] Call Dana\r")
    assert [item.text for item in note.items] == ["Book the room", "Send the notes"]
    (warning,) = note.warnings
    assert warning.line == 3
    assert "lone carriage return" in warning.message


def test_crlf_alone_gives_no_line_ending_warning() -> None:
    assert note_of("- [ ] Book the room\r\n- [ ] Send the notes\r\n").warnings == []


# --- front matter --------------------------------------------------------------------------


def test_front_matter_title_date_participants() -> None:
    note = parse_note(FIXTURES / "2025-11-03-storage-roadmap-sync.md")
    assert note.title == "Storage roadmap sync with Priya"
    assert note.date == D(2025, 11, 3)
    assert note.participants == ["Dana Okafor", "Priya Natarajan"]
    assert note.front_matter["person"] == "Priya Natarajan"
    assert [w for w in note.warnings if "front matter" in w.message] == []
    assert note.front_matter_error is None


def test_front_matter_flow_style_and_quoted_date() -> None:
    note = note_of(
        '---\ntitle: "1:1 with Priya: roadmap"\ndate: "2025-10-29"\n'
        'participants: ["Dana Okafor", "Priya Natarajan"]\n---\n- [ ] Follow up\n'
    )
    assert note.title == "1:1 with Priya: roadmap"
    assert note.date == D(2025, 10, 29)
    assert note.participants == ["Dana Okafor", "Priya Natarajan"]


def test_no_front_matter_title_from_heading_and_date_from_file_name() -> None:
    note = note_of("# Weekly storage sync\n\n- [ ] Follow up\n", path="2025-10-31-weekly.md")
    assert note.title == "Weekly storage sync"
    assert note.date == D(2025, 10, 31)
    assert note.warnings == []


def test_broken_yaml_warns_with_file_and_line_and_the_body_is_parsed() -> None:
    note = note_of(
        "---\ntitle: Plan\ndate: 2025-10-24\nbad: a: b\n---\n\n"
        "- [ ] Still read @Myself 📅 2025-10-27\n"
    )
    (warning,) = note.warnings
    assert warning.path == "notes/meeting.md"
    assert warning.line == 4
    assert "front matter" in warning.message
    assert note.front_matter_error == warning  # what the planner holds the note back for
    (item,) = note.items
    assert (item.line, item.text, item.owner, item.due) == (
        7,
        "Still read",
        "Myself",
        D(2025, 10, 27),
    )


def test_broken_yaml_fixture_names_a_line_inside_the_front_matter() -> None:
    # The unclosed "[" is on line 4; the YAML ends on line 4, and line 5 is the closing "---".
    path = FIXTURES / "2025-11-05-broken-front-matter.md"
    note = parse_note(path)
    (warning,) = [w for w in note.warnings if "front matter" in w.message]
    assert warning.path == str(path)
    assert warning.line is not None and 2 <= warning.line <= 4, str(warning)
    assert [(i.line, i.owner, i.due) for i in note.items] == [(11, "Dana Okafor", D(2025, 11, 6))]


def test_front_matter_that_is_not_a_mapping() -> None:
    note = note_of("---\n- just\n- a list\n---\n- [ ] Still read\n")
    assert [i.text for i in note.items] == ["Still read"]
    assert any(w.line == 1 and "front matter" in w.message for w in note.warnings)
    assert note.front_matter_error and "not a mapping" in note.front_matter_error.message


def test_unclosed_front_matter_warns_and_the_rest_is_parsed() -> None:
    note = note_of("---\ntitle: Never closed\n\n- [ ] Follow up with legal @Myself\n")
    assert any(w.line == 1 and "not closed" in w.message for w in note.warnings)
    assert note.front_matter_error is None  # a rule in Obsidian: no front matter to lose
    assert [(i.line, i.text) for i in note.items] == [(4, "Follow up with legal")]


def test_a_bad_front_matter_date_warns() -> None:
    note = note_of("---\ndate: someday\n---\n- [ ] x\n", path="meeting.md")
    assert note.date is None
    assert any("date" in w.message for w in note.warnings)
    assert note.front_matter_error is None  # read; only the date falls back


def test_a_thematic_break_later_is_not_front_matter() -> None:
    note = note_of("# Notes\n\n---\n\n- [ ] After the rule\n")
    assert [i.text for i in note.items] == ["After the rule"]
    assert note.warnings == []


# --- owners --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "owner", "text"),
    [
        ("- [ ] Draft the plan @Myself 📅 2025-10-27", "Myself", "Draft the plan"),
        (
            "- [ ] Draft the plan @Priya Natarajan 📅 2025-10-27",
            "Priya Natarajan",
            "Draft the plan",
        ),
        ("- [ ] Draft the plan @dana.okafor", "dana.okafor", "Draft the plan"),
        ("- [ ] Draft the plan @dokafor #task", "dokafor", "Draft the plan"),
        (
            "- [ ] Send links to Tomer Hagay. @Myself 📅 2025-10-27 ⏫ #task #proposed",
            "Myself",
            "Send links to Tomer Hagay.",
        ),
        ("- [ ] Draft the plan", None, "Draft the plan"),
        ("- [ ] Mail ops@example.com about access", None, "Mail ops@example.com about access"),
        ("- [ ] Review @Priya's draft 📅 2025-10-27", "Priya", "Review Priya's draft"),
        ("- [ ] Ask @Dana Okafor's team", "Dana Okafor", "Ask Dana Okafor's team"),
        ("- [ ] Call @Sean O'Brien", "Sean O'Brien", "Call"),
        (
            "- [ ] Read [the post](https://medium.com/@alice/costs) before Friday",
            None,
            "Read the post before Friday",
        ),
        (
            "- [ ] Reply on https://mastodon.social/@bob/1234",
            None,
            "Reply on https://mastodon.social/@bob/1234",
        ),
    ],
)
def test_owner(line: str, owner: str | None, text: str) -> None:
    item = item_of(line)
    assert item.owner == owner
    assert item.text == text


def test_last_mention_wins() -> None:
    item = item_of("- [ ] Pair @Priya Natarajan with the intern. @Dana Okafor 📅 2025-10-27")
    assert item.owner == "Dana Okafor"
    assert "@Dana" not in item.text and "Dana Okafor" not in item.text


def nfd(text: str) -> str:
    """``text`` decomposed, as macOS file names and some copy-paste spell it: "í" as "i" and
    U+0301."""
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    "name",
    [
        "Émile Dupont",
        "Łukasz Nowak",
        "Ólafur Arnalds",
        "Иван Петров",
        "Dana Ølsen",
        "Ayşe Demir",
        "Ǆemal Bijedić",  # a titlecase first letter (Lt)
        nfd("Lucía Herrera"),
        nfd("Émile Dupont"),
        nfd("Zoë Åberg"),
        "Jean-Émile O'Brien",
    ],
)
def test_a_name_starting_with_any_capital_or_in_nfd_is_the_whole_owner(name: str) -> None:
    """The first letter of each word had to be A-Z, and \\w takes no combining mark: the
    owner was cut to its first word (@Émile) or inside it (@Luci), and the rest left in the
    summary, where [users] could not map it."""
    item = item_of(f"- [ ] Draft the plan @{name} 📅 2025-12-01 #task")
    assert (item.owner, item.text) == (name, "Draft the plan")
    within = item_of(f"- [ ] Ask @{name} about the plan 📅 2025-12-01")
    assert (within.owner, within.text) == (name, f"Ask {name} about the plan")
    line = f"- [ ] Update the runbook @{name} {JIRA_7} for the new cluster ^ps-1"
    keyed = item_of(line)  # the owner before the key sync wrote still closes the text
    assert (keyed.owner, keyed.text) == (name, "Update the runbook for the new cluster")


@pytest.mark.parametrize("handle", ["josé", "émile", "zoë.åberg"])
def test_a_handle_in_nfd_is_the_whole_owner(handle: str) -> None:
    """A handle took no combining mark: ``@josé`` in NFD was owner "jose", and ``@émile``
    owner "e", its name left in the summary."""
    for spelled in (handle, nfd(handle)):
        item = item_of(f"- [ ] Ask about the plan @{spelled} 📅 2025-12-01")
        assert (item.owner, item.text) == (spelled, "Ask about the plan")


@pytest.mark.parametrize(
    ("line", "owner", "text"),
    [
        ("- [ ] Draft it @Dana okafor", "Dana", "Draft it Dana okafor"),
        ("- [ ] Draft it @Émile dupont", "Émile", "Draft it Émile dupont"),
        ("- [ ] Draft it @Dana émile Smith", "Dana", "Draft it Dana émile Smith"),
        ("- [ ] Draft it @Émile ølsen", "Émile", "Draft it Émile ølsen"),
        ("- [ ] Draft it @dana okafor", "dana", "Draft it dana okafor"),
        ("- [ ] Draft it @émile dupont", "émile", "Draft it émile dupont"),
        ("- [ ] Draft it @émile.dupont", "émile.dupont", "Draft it"),
        ("- [ ] Review @Émile's draft", "Émile", "Review Émile's draft"),
        ("- [ ] Draft it @Dana 42", "Dana", "Draft it Dana 42"),
        ("- [ ] Draft it @Dana Ⅻ", "Dana", "Draft it Dana Ⅻ"),  # a numeral, though isupper()
        ("- [ ] 检查 @王伟 今天", "王伟", "检查 王伟 今天"),  # no case: a handle, as before
    ],
)
def test_a_name_ends_before_a_word_with_no_capital(line: str, owner: str, text: str) -> None:
    """Where a name ends is unchanged for a word that starts in lower case: a handle when
    the first does ("@dana okafor" is dana), else the words before it."""
    item = item_of(line)
    assert (item.owner, item.text) == (owner, text)


def test_owner_before_a_key_link_as_write_back_places_it() -> None:
    item = item_of(
        "- [ ] Draft the plan @Myself [CLOUD-12](https://x.atlassian.net/browse/CLOUD-12) "
        "📅 2025-10-27 ⏫ #task ^ps-7k2m9q"
    )
    assert item.owner == "Myself"
    assert item.keys == {"jira": "CLOUD-12"}
    assert item.text == "Draft the plan"
    assert (item.due, item.priority, item.block_id) == (D(2025, 10, 27), "high", "ps-7k2m9q")


# --- key links -----------------------------------------------------------------------------


def test_jira_key_link() -> None:
    item = item_of("- [ ] Draft the plan [CLOUD-12](https://x.atlassian.net/browse/CLOUD-12)")
    assert item.keys == {"jira": "CLOUD-12"}
    assert item.text == "Draft the plan"
    assert "CLOUD-12" not in item.text


def test_jira_data_center_key_link() -> None:
    item = item_of("- [ ] Draft the plan [OPS-7](https://jira.example.org/jira/browse/OPS-7)")
    assert item.keys == {"jira": "OPS-7"}


@pytest.mark.parametrize("record", ["a01Xx000001AbCdEFG", "a01Xx000001AbCd"])
def test_salesforce_key_link(record: str) -> None:
    url = f"https://acme.lightning.force.com/lightning/r/RFE__c/{record}/view"
    item = item_of(f"- [ ] Triage the retention request [RFE]({url}) 📅 2025-10-27")
    assert item.keys == {"salesforce": record}
    assert item.text == "Triage the retention request"
    assert item.due == D(2025, 10, 27)


def test_both_key_links() -> None:
    item = item_of(
        "- [ ] Triage [CLOUD-3](https://x.atlassian.net/browse/CLOUD-3) "
        "[a01](https://acme.lightning.force.com/lightning/r/Feature__c/a01Xx000001AbCdEFG/view)"
    )
    assert item.keys == {"jira": "CLOUD-3", "salesforce": "a01Xx000001AbCdEFG"}
    assert item.text == "Triage"


JIRA_7 = "[CLOUD-7](https://x.atlassian.net/browse/CLOUD-7)"


@pytest.mark.parametrize(
    ("line", "keys", "text"),
    [
        # A ticket the text mentions, with words or the owner after it: the writer's link.
        (
            f"- [ ] Follow up on {JIRA_7} with Dana 📅 2025-10-27",
            {},
            "Follow up on CLOUD-7 with Dana",
        ),
        (f"- [ ] Close out {JIRA_7} @Myself 📅 2025-10-27", {}, "Close out CLOUD-7"),
        (
            f"- [ ] @Myself to follow up on {JIRA_7} with Dana",
            {},
            "Myself to follow up on CLOUD-7 with Dana",
        ),
        # The same with an id: the line reads the same before and after write-back gives it
        # one (the planner reads a synced line's key moved from the end, see reread_keys).
        (f"- [ ] Follow up on {JIRA_7} with Dana ^ps-1", {}, "Follow up on CLOUD-7 with Dana"),
        # Closing the text, only links after it: where write-back puts a key.
        (
            f"- [ ] Draft the plan @Myself {JIRA_7} 📅 2025-10-27",
            {"jira": "CLOUD-7"},
            "Draft the plan",
        ),
        (f"- [ ] Close out {JIRA_7}", {"jira": "CLOUD-7"}, "Close out"),
        (
            f"- [ ] Close out {JIRA_7} [doc](https://wiki.example.com/x)",
            {"jira": "CLOUD-7"},
            "Close out doc",
        ),
    ],
)
def test_a_key_link_is_one_where_write_back_puts_keys(
    line: str, keys: dict[str, str], text: str
) -> None:
    """As the planner reads a line with no records; the parser alone takes the last link for
    the key, not knowing whether it is the key of a synced line with words written after it."""
    item = item_of(line)
    assert item.keys == {"jira": "CLOUD-7"}
    reread = reread_keys(item, line, {}, AcceptancePolicy())
    assert (reread.keys, reread.text) == (keys, text)
    assert reread.owner == item.owner


@pytest.mark.parametrize(
    ("after", "text", "owner"),
    [
        (" for the new cluster", "Update the runbook for the new cluster", "Dana Okafor"),
        ("", "Update the runbook", "Dana Okafor"),
        (" and ask @Marco Bellini", "Update the runbook @Dana Okafor and ask", "Marco Bellini"),
    ],
)
def test_words_typed_after_a_key_leave_the_owner_before_it_closing_the_text(
    after: str, text: str, owner: str
) -> None:
    """Sync writes the key after the owner's mention; words typed after the key (the Tasks
    edit box puts the cursor there) put the owner's name into the text: "Update the runbook
    Dana Okafor for the new cluster". A later mention is the owner, as ever."""
    line = f"- [ ] Update the runbook @Dana Okafor {JIRA_7}{after} 📅 2025-11-20 ^ps-1"
    item = item_of(line)
    assert (item.text, item.owner, item.keys) == (text, owner, {"jira": "CLOUD-7"})
    reread = reread_keys(item, line, {"jira": "CLOUD-7"}, AcceptancePolicy())
    assert (reread.text, reread.owner) == (text, owner)


@pytest.mark.parametrize(
    ("between", "text"),
    [
        ("  ", "Update the runbook for the new cluster"),
        (". ", "Update the runbook. for the new cluster"),
        (" ; ", "Update the runbook; for the new cluster"),
    ],
)
def test_punctuation_after_the_owner_before_a_key_leaves_it_closing_the_text(
    between: str, text: str
) -> None:
    """As :func:`describe` reads a mention that closes a text ("Ask @Dana." is Dana's "Ask."):
    spaces and punctuation between the mention and the key do not put the name in the text
    (a review found "Update the runbook Dana Okafor. for the new cluster")."""
    line = f"- [ ] Update the runbook @Dana Okafor{between}{JIRA_7} for the new cluster ^ps-1"
    item = item_of(line)
    assert (item.text, item.owner) == (text, "Dana Okafor")
    reread = reread_keys(item, line, {"jira": "CLOUD-7"}, AcceptancePolicy())
    assert (reread.text, reread.owner) == (text, "Dana Okafor")


@pytest.mark.parametrize(
    ("line", "text", "owner"),
    [
        ("- [ ] Use the \ue000 glyph @Dana", "Use the \ue000 glyph", "Dana"),
        (
            "- [ ] Ask about it @Dana \ue000 for the team",
            "Ask about it Dana \ue000 for the team",
            "Dana",
        ),
    ],
)
def test_a_private_use_character_in_the_text_is_text(line: str, text: str, owner: str) -> None:
    """The reading of an owner before a key marks the key's place with U+E000, which an icon
    font's glyph in a note may be: it was read as that mark (a review found it)."""
    assert (item_of(line).text, item_of(line).owner) == (text, owner)


def test_a_synced_lines_keys_are_reread_where_they_stand() -> None:
    """The planner's: words written after both keys; the line's records name them. The owner's
    mention before the keys still closes the text as synced (it read "Ship it Myself to …")."""
    sf = "[a01](https://acme.lightning.force.com/lightning/r/RFE__c/a01Xx000001AbCdEFG/view)"
    see = "[CLOUD-9](https://x.atlassian.net/browse/CLOUD-9)"
    line = f"- [ ] Ship it @Myself {JIRA_7} {sf} to staging, see {see} ^ps-1"
    item = item_of(line)
    keys = {"jira": "CLOUD-7", "salesforce": "a01Xx000001AbCdEFG"}
    assert item.keys == {**keys, "jira": "CLOUD-9"}  # the parser's: the last links
    reread = reread_keys(item, line, keys, AcceptancePolicy())
    assert reread.keys == keys
    assert (reread.text, reread.owner) == ("Ship it to staging, see CLOUD-9", "Myself")
    # Records named nowhere in it: only the closing link is a key, the rest text.
    assert reread_keys(item, line, {"jira": "CLOUD-8"}, AcceptancePolicy()).keys == {
        "jira": "CLOUD-9"
    }


def test_a_mentioned_ticket_before_the_key_link_stays_text() -> None:
    item = item_of(
        f"- [ ] Review {JIRA_7} @Myself [CLOUD-12](https://x.atlassian.net/browse/CLOUD-12)"
        " 📅 2025-10-27 ^ps-1"
    )
    assert item.keys == {"jira": "CLOUD-12"}
    assert item.text == "Review CLOUD-7"


@pytest.mark.parametrize(
    ("link", "label"),
    [
        ("[the runbook](https://wiki.example.com/runbook)", "the runbook"),
        ("[space](https://x.atlassian.net/wiki/spaces/CLOUD)", "space"),
        ("[board](https://x.atlassian.net/jira/software/projects/CLOUD/boards/1)", "board"),
        ("[report](https://acme.lightning.force.com/lightning/o/Report/home)", "report"),
    ],
)
def test_other_links_stay_text(link: str, label: str) -> None:
    item = item_of(f"- [ ] Read {link} before Friday")
    assert item.keys == {}
    assert label in item.text
    assert link in item.description


# --- decisions -----------------------------------------------------------------------------


DECISIONS_NOTE = """\
# Sync

## Action Items

- [ ] Book the room

## Decisions

- Ship the intake form in 6.1.
  - Revisit after the freeze.
  * Another detail
- Keep alerts out of scope. #accepted
* Use the shared channel for requests.
1. Move the review to Thursday.

- [ ] A checkbox under Decisions is an action item

### Follow-ups

- Still under the Decisions heading (a sub-heading)

## Key Information

- Not a decision.
"""


def test_decisions_under_the_heading() -> None:
    note = note_of(DECISIONS_NOTE)
    decisions = [(i.line, i.text, i.status) for i in note.items if i.kind == "decision"]
    assert decisions == [
        (9, "Ship the intake form in 6.1.", None),
        (12, "Keep alerts out of scope.", None),
        (13, "Use the shared channel for requests.", None),
        (14, "Move the review to Thursday.", None),
        (20, "Still under the Decisions heading (a sub-heading)", None),
    ]
    actions = [(i.line, i.text) for i in note.items if i.kind == "action"]
    assert actions == [(5, "Book the room"), (16, "A checkbox under Decisions is an action item")]


def test_decisions_are_not_accepted_unless_tagged() -> None:
    note = note_of(DECISIONS_NOTE)
    accepted = {i.text: i.accepted for i in note.items if i.kind == "decision"}
    assert accepted["Keep alerts out of scope."] is True
    assert accepted["Ship the intake form in 6.1."] is False
    assert accepted["Move the review to Thursday."] is False


def test_decisions_front_matter_switch() -> None:
    note = note_of("---\ndecisions_accepted: true\n---\n" + DECISIONS_NOTE)
    assert all(i.accepted for i in note.items if i.kind == "decision")


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("'false'", False), ('"no"', False), ("'off'", False), ("''", False), ("'true'", True)],
)
def test_decisions_switch_written_as_text(value: str, accepted: bool) -> None:
    note = note_of(f"---\ndecisions_accepted: {value}\n---\n" + DECISIONS_NOTE)
    decisions = [i for i in note.items if i.kind == "decision" and "#accepted" not in i.tags]
    assert decisions and all(i.accepted is accepted for i in decisions)


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("true", True),
        ("True", True),
        ("yes", True),  # YAML 1.1's booleans, as PyYAML reads them
        ("on", True),
        ('"yes"', True),  # the same words as text: an Obsidian text property
        ("' TRUE '", True),
        ("false", False),
        ("no", False),
        ("off", False),
        ("", False),  # no value: not set
        ("~", False),
    ],
)
def test_decisions_switch_of_yes_or_no_is_read_without_warning(value: str, accepted: bool) -> None:
    note = note_of(f"---\ntitle: Review\ndecisions_accepted: {value}\n---\n## Decisions\n- Ship\n")
    assert [i.accepted for i in note.items] == [accepted]
    assert note.warnings == []


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("[false]", "[false]"),  # truthy: a list that is not empty accepted
        ("[true]", "[true]"),
        ("{a: 1}", '{"a": 1}'),
        ("1", "1"),
        ("0", "0"),
        ("y", '"y"'),
        ("ture", '"ture"'),  # typos and other words were silently not accepted
        ("maybe", '"maybe"'),
        ("Yes please", '"Yes please"'),
        ("2025-10-27", '"2025-10-27"'),
    ],
)
def test_decisions_switch_of_another_value_accepts_nothing_and_warns(
    value: str, shown: str
) -> None:
    note = note_of(
        f"---\ntitle: Review\ndecisions_accepted: {value}\ndate: 2025-10-27\n---\n"
        "## Decisions\n- Ship\n- Keep #accepted\n"
    )
    assert [(i.text, i.accepted) for i in note.items] == [("Ship", False), ("Keep", True)]
    assert [str(w) for w in note.warnings] == [
        f"notes/meeting.md:3: front matter decisions_accepted: {shown} is neither true nor"
        " false; the note's decisions are taken as not accepted (write decisions_accepted:"
        " true to accept them)"
    ]


def test_decisions_switch_warning_names_the_configured_key() -> None:
    policy = AcceptancePolicy(decisions_front_matter_key="approved")
    note = note_of(
        "---\napproved: maybe\ndecisions_accepted: true\n---\n## Decisions\n- Ship\n", policy=policy
    )
    assert [i.accepted for i in note.items] == [False]
    assert [(w.line, w.message.split(" is ")[0]) for w in note.warnings] == [
        (2, 'front matter approved: "maybe"')
    ]


def test_a_thematic_break_under_decisions_is_no_decision() -> None:
    note = note_of("## Decisions\n- Ship it\n\n* * *\n- - -\n> - - -\n- -- Keep the dash\n")
    assert [(i.line, i.text) for i in note.items] == [(2, "Ship it"), (7, "-- Keep the dash")]


def test_decision_heading_variants() -> None:
    # Up to three spaces before a heading still make it one (CommonMark); four make code.
    for heading in (
        "## Decisions",
        "### decisions",
        "## Decisions:",
        "# DECISIONS",
        "   ## Decisions",
    ):
        note = note_of(f"{heading}\n- We go with plan B\n")
        assert [(i.kind, i.text) for i in note.items] == [("decision", "We go with plan B")]


def test_a_heading_indented_four_spaces_is_not_one() -> None:
    note = note_of("## Summary\n    ## Decisions\n- We go with plan B\n")
    assert note.items == []


def test_configurable_decision_headings() -> None:
    text = "## Agreed\n- Ship on Friday\n## Decisions\n- Not one with this policy\n"
    policy = AcceptancePolicy(decision_headings=["Agreed", "Outcomes"])
    note = note_of(text, policy=policy)
    assert [(i.kind, i.line, i.text) for i in note.items] == [("decision", 2, "Ship on Friday")]


@pytest.mark.parametrize(
    "heading",
    [
        "## **Decisions**",  # as transcription pipelines write it
        "## __Decisions__",
        "## _Decisions_",
        "## *Decisions*:",
        "## ***decisions***",
        "## ==Decisions==",  # Obsidian's highlight
        "## `Decisions`",
        "## [[Meetings/Decisions|Decisions]]",  # a wiki link, shown by its text
        "## Decisions 🎯",
        "## 🎯 Decisions",
        "## ✅️ **Decisions** 👍🏽",  # an emoji with its variation selector, one with a skin tone
        "## 👩‍💻 Decisions",  # a joined emoji sequence
        "## Decisions:",
        "## Decisions :",
        "## Decisions!",
        "## Decisions —",
        "## (Decisions)",
        "**DECISIONS**\n---",  # setext
    ],
)
def test_a_formatted_decisions_heading_is_one(heading: str) -> None:
    note = note_of(f"## Summary\n- We talked\n\n{heading}\n- We go with plan B\n")
    assert [(i.kind, i.text) for i in note.items] == [("decision", "We go with plan B")]
    assert note.items[0].section == heading.removeprefix("## ").split("\n")[0].strip()


@pytest.mark.parametrize(
    "heading",
    [
        "## Decisions pending review",
        "## Non-decisions",
        "## **Decisions** pending",
        "## Open decisions",
        "## Decisions2",
        "## ~~Decisions~~",  # struck through: taken back
        "## 🎯",
        "## ---",
        "##",
    ],
)
def test_a_heading_with_other_words_is_no_decisions_heading(heading: str) -> None:
    assert note_of(f"{heading}\n- We go with plan B\n").items == []


@pytest.mark.parametrize(
    "heading",
    [
        "## 3. Decisions",  # as meeting-note pipelines number their sections
        "## 3) Decisions",
        "## 12.  Decisions:",
        "## **3. Decisions**",
        "## 3. **Decisions**",
        "## 🎯 3. Decisions",
        "## 3. 🎯 Decisions",
    ],
)
def test_a_numbered_decisions_heading_is_one(heading: str) -> None:
    note = note_of(f"## 2. Summary\n- We talked\n\n{heading}\n- We go with plan B\n")
    assert [(i.kind, i.text) for i in note.items] == [("decision", "We go with plan B")]


@pytest.mark.parametrize(
    "heading",
    [
        "## 3 Decisions",  # no ordinal's point or parenthesis: a number of the words
        "## 3.Decisions",
        "## 3.1 Decisions",
        "## III. Decisions",  # arabic digits only
        "## ٣. Decisions",
        "## 3. Decisions pending review",
        "## 3.",
    ],
)
def test_a_heading_numbered_otherwise_is_no_decisions_heading(heading: str) -> None:
    assert note_of(f"{heading}\n- We go with plan B\n").items == []


def test_configured_decision_headings_are_read_with_formatting_too() -> None:
    policy = AcceptancePolicy(decision_headings=["Key Decisions", "🎯 Outcomes:", "🎯"])
    for heading, decision in [
        ("## **Key decisions**", True),
        ("## Key   Decisions ✅", True),
        ("## Key **Decisions**", True),
        ("## Outcomes", True),
        ("## _Outcomes_ 🎯", True),
        ("## 🎯", True),  # as written
        ("## ---", False),  # a name of symbols alone matches only as written
        ("## Decisions pending review", False),
        ("## **Decisions**", False),  # not configured
    ]:
        note = note_of(f"{heading}\n- Ship\n", policy=policy)
        assert bool(note.items) is decision, heading


def test_no_decisions_outside_the_section() -> None:
    note = note_of("## Summary\n- We talked\n## Key Information\n- Four PMs\n")
    assert note.items == []


def test_decision_fields() -> None:
    note = note_of("## Decisions\n- Adopt the intake form @Myself 📅 2025-11-10 #process ^d1\n")
    (item,) = note.items
    assert (item.kind, item.status, item.text, item.owner, item.due, item.block_id) == (
        "decision",
        None,
        "Adopt the intake form",
        "Myself",
        D(2025, 11, 10),
        "d1",
    )
    assert item.tags == ["#process"]


# --- acceptance ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "tags", "accepted"),
    [
        ("?", "", False),
        ("?", " #accepted", False),
        (" ", "", True),
        ("/", "", True),
        ("x", "", True),
        ("-", "", False),
        ("-", " #accepted", False),
        ("Q", "", False),
        ("Q", " #accepted", True),
        ("!", "", False),
        ("!", " #accepted", True),
    ],
)
def test_acceptance(status: str, tags: str, accepted: bool) -> None:
    item = item_of(f"- [{status}] Draft the plan @Myself 📅 2025-10-27{tags}")
    assert item.status == status
    assert item.accepted is accepted


def test_proposed_is_never_accepted_even_with_the_switch() -> None:
    note = note_of(
        "---\ndecisions_accepted: true\n---\n## Decisions\n- [?] A proposed checkbox #accepted\n"
    )
    (item,) = note.items
    assert item.kind == "action"
    assert item.accepted is False


def test_a_proposed_item_tagged_accepted_stays_proposed_with_a_warning_naming_its_line() -> None:
    """The starter config said a reviewer accepts by tagging the item #accepted, which a [?]
    item never is: tagged, it stayed unsynced without a word."""
    note = note_of("# Sync\n\n- [?] Draft the plan #Accepted\n- [>] Book the room #accepted\n")
    assert [item.accepted for item in note.items] == [False, True]
    assert [str(w) for w in note.warnings] == [
        "notes/meeting.md:3: proposed ([?]) and tagged #Accepted: still proposed; change its"
        " checkbox to accept it"
    ]


def test_fixture_note_items() -> None:
    note = parse_note(FIXTURES / "2025-11-03-storage-roadmap-sync.md")
    rows = [
        (i.kind, i.line, i.status, i.accepted, i.owner, i.due, i.scheduled, i.done, i.priority)
        for i in note.items
    ]
    assert rows == [
        ("action", 28, "?", False, "Myself", D(2025, 11, 7), None, None, "high"),
        ("action", 29, " ", True, "Priya Natarajan", D(2025, 11, 10), None, None, "medium"),
        ("action", 30, "/", True, "Myself", D(2025, 11, 12), D(2025, 11, 5), None, "none"),
        ("action", 31, "x", True, "Dana Okafor", D(2025, 11, 4), None, D(2025, 11, 3), "none"),
        ("action", 32, "-", False, "Myself", D(2025, 11, 20), None, None, "low"),
        ("action", 33, " ", True, "Myself", None, None, None, "none"),
        ("decision", 41, None, False, None, None, None, None, "none"),
        ("decision", 43, None, True, None, None, None, None, "none"),
    ]
    assert note.items[5].text == "Publish the intake form link in the roadmap channel."
    assert any(w.line == 33 and "TBD" in w.message for w in note.warnings)


def test_owner_with_a_full_stop_leaves_no_stray_punctuation() -> None:
    item = item_of("- [ ] Draft the plan @Myself. 📅 2025-10-27")
    assert item.owner == "Myself"
    assert item.text in ("Draft the plan", "Draft the plan.")


def test_decisions_inside_a_callout() -> None:
    # A callout's list lines are list lines (tasks in callouts are read, see above); only
    # indentation *after* the ">" makes a bullet nested.
    note = note_of(
        "## Decisions\n\n> [!important] Agreed\n> - Ship the intake form on Friday.\n"
        ">   - detail, not a decision\n"
    )
    assert [(i.kind, i.line, i.text) for i in note.items] == [
        ("decision", 4, "Ship the intake form on Friday.")
    ]


def test_text_glued_to_a_tag_is_kept() -> None:
    """A quote ends a tag (Obsidian's tag characters); what follows is text, not dropped."""
    item = parse_text('- [ ] Check tags @Myself #q"x').items[0]
    assert item.tags == ["#q"]
    assert item.text == 'Check tags Myself q"x'
    assert item.owner == "Myself"


def test_a_wiki_link_that_spells_a_markdown_link_stays_text() -> None:
    # The wiki link's text "(b)" after "[a]" reads like a Markdown link, but none was written.
    assert note_of("- [ ] see [a][[(b)]]\n").items[0].text == "see [a](b)"
    assert note_of("- [ ] see [a][[Page|(b)]] and [t](https://x.example)\n").items[0].text == (
        "see [a](b) and t"
    )


def test_items_are_small_and_share_what_they_can() -> None:
    """The parse output of a large vault is mostly items (see model.builder)."""
    first, second = note_of("- [ ] x 📅 2025-10-27 ⏳ TBD\n- [ ] y\n").items
    # Every field counts as given, as for an item validated from its own JSON ...
    assert first.model_fields_set == set(Item.model_fields)
    assert Item.model_validate(first.model_dump()).model_fields_set == first.model_fields_set
    # ... so one set serves all items, and what pydantic does with it changes no other item.
    assert first.model_fields_set is second.model_fields_set
    second.start = dt.date(2025, 10, 1)
    copied = second.model_copy(update={"text": "z"})
    assert first.model_fields_set == set(Item.model_fields)
    assert (first.start, copied.text, second.text) == (None, "z", "y")
    # The values sit in a key-sharing dictionary, a third of the size of an ordinary one
    # (CPython 3.11 and later make one so; 3.10 makes an ordinary one, which is only bigger).
    if sys.version_info >= (3, 11):
        assert sys.getsizeof(first.__dict__) < sys.getsizeof(dict(first.__dict__)) / 2


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("- [ ] Send Müller the quote 📅 2025-11-07 🔼 @Myself #task", "📅 2025-11-07"),
        ("- [ ] Book the room ⏫ for Dana @Dana Okafor", "⏫"),
        ("- [ ] Renew ⏳2025-12-01 the certificate", "⏳2025-12-01"),
    ],
)
def test_a_field_written_before_the_owner_is_a_warning_naming_it(line: str, field: str) -> None:
    """Obsidian Tasks reads no field before words that end the line, so the item synced with no
    due date or priority and the field in its summary, silently (a user test)."""
    note = note_of(f"# Sync\n\n{line}\n")
    [item] = note.items
    assert field in item.text
    assert (item.due, item.scheduled, item.priority) == (None, None, "none")
    [warning] = note.warnings
    assert warning.line == 3
    assert warning.message.startswith(f"{field!r} stands in the item's text")


def test_fields_at_the_end_of_the_line_are_no_warning() -> None:
    note = note_of("# Sync\n\n- [ ] Send the quote @Myself 📅 2025-11-07 🔼 #task\n")
    assert note.items[0].due == dt.date(2025, 11, 7)
    assert note.warnings == []


@pytest.mark.parametrize(
    ("line", "due", "description"),
    [
        ("- [ ] Calendar variant 📆 @Myself #task", None, "Calendar variant 📆 @Myself #task"),
        ("- [ ] Ask 📅 @Myself 📅 2025-10-27", D(2025, 10, 27), "Ask 📅 @Myself"),
    ],
)
def test_a_mention_after_a_date_signifier_is_the_owner_not_a_date_like_the_plugin(
    line: str, due: dt.date | None, description: str
) -> None:
    # The plugin reads no date in "📆 @Myself" and keeps both in the description: plansync
    # took "@Myself" for a malformed date, read no owner, and warned of a date. The owner is
    # read; the emoji stays text, warned of as a signifier with no date.
    note = note_of(line + "\n")
    (item,) = note.items
    assert (item.owner, item.due, item.description, item.unreadable_dates) == (
        "Myself",
        due,
        description,
        (),
    )
    (warning,) = note.warnings
    assert "has no date after it" in warning.message and "reads no due date" in warning.message
