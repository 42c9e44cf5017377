"""plansync's own id and key link, moved out of place on a synced line by hand, are read where
write-back puts them (plansync.notes.order); nothing else on a line moves."""

from __future__ import annotations

import datetime as dt

import pytest

from plansync.notes.order import Moved, in_order, spliced
from plansync.notes.parse import parse_text
from plansync.notes.writeback import LineEdit, _edit_line_bytes, plan_line_edit

URL = "http://127.0.0.1:44900/browse/PLAN-17"
KEY = f"[PLAN-17]({URL})"
ID = "^ps-b94yjjng"
B2 = "[B-2](http://127.0.0.1:44900/browse/B-2)"
IN_ORDER = f"\t- [ ] Tab-indented child task @Myself {KEY} 📅 2025-11-12 #task ^ps-b94yjjng"


@pytest.mark.parametrize(
    "line",
    [
        # The user test's line: the key link moved to the end, after the id.
        f"\t- [ ] Tab-indented child task @Myself 📅 2025-11-12 #task ^ps-b94yjjng {KEY}",
        # The key link after the fields, the id still at the end.
        f"\t- [ ] Tab-indented child task @Myself 📅 2025-11-12 #task {KEY} ^ps-b94yjjng",
        # The id moved into the text.
        f"\t- [ ] Tab-indented child task ^ps-b94yjjng @Myself {KEY} 📅 2025-11-12 #task",
    ],
)
def test_a_moved_id_or_key_link_is_read_in_order_and_written_back_so(line: str) -> None:
    note = parse_text(f"- [ ] Parent\n{line}\n")
    item = note.items[1]
    assert (item.text, item.owner, item.due, item.block_id, item.keys, item.tags) == (
        "Tab-indented child task",
        "Myself",
        dt.date(2025, 11, 12),
        "ps-b94yjjng",
        {"jira": "PLAN-17"},
        ["#task"],
    )
    (warning,) = note.warnings
    assert warning.line == 2 and "read as if they stood where sync writes them" in warning.message
    assert spliced(line, plan_line_edit(line, "ps-b94yjjng", {})) == IN_ORDER
    assert plan_line_edit(IN_ORDER, "ps-b94yjjng", {}) == []


@pytest.mark.parametrize(
    "line",
    [
        IN_ORDER,
        # No id of plansync's: read as the plugin reads it (no field after a link).
        f"- [ ] Task 📅 2025-11-12 {KEY}",
        f"- [ ] Task 📅 2025-11-12 ^other-id {KEY}",
        # Two of its ids: which is the line's is not plansync's to choose.
        "- [ ] Task ^ps-aaaaaaaa 📅 2025-11-12 ^ps-bbbbbbbb",
        # A key link with no fields to stand before.
        f"- [ ] Task @Myself {KEY} ^ps-b94yjjng",
        # Not a word of its own.
        "- [ ] Task x^ps-b94yjjng 📅 2025-11-12",
    ],
)
def test_a_line_in_order_or_not_plansync_s_to_order_is_left_as_it_is(line: str) -> None:
    assert in_order(line) is None


def test_a_user_s_link_after_the_id_stays_where_it_is() -> None:
    # Only plansync's own: a link to a page is the user's text, and the id goes after it.
    line = f"- [ ] Task {KEY} 📅 2025-11-12 ^ps-b94yjjng [docs](https://example.com/runbook)"
    reordered = in_order(line)
    assert reordered is not None
    assert reordered.line == (
        f"- [ ] Task {KEY} 📅 2025-11-12 [docs](https://example.com/runbook) ^ps-b94yjjng"
    )
    assert reordered.links == ()


def test_a_decision_line_is_put_in_order_too() -> None:
    note = parse_text(f"## Decisions\n- Ship on Friday 📅 2025-11-12 ^ps-b94yjjng {KEY}\n")
    (item,) = note.items
    assert (item.text, item.due, item.block_id, item.keys) == (
        "Ship on Friday",
        dt.date(2025, 11, 12),
        "ps-b94yjjng",
        {"jira": "PLAN-17"},
    )


def test_a_block_id_of_the_user_s_own_at_the_end_stays_the_line_s_id() -> None:
    # plansync's id in the text does not take the place of the id the line ends in: links to
    # that one would break.
    line = f"- [ ] Task ^ps-b94yjjng {KEY} 📅 2025-11-12 ^mine"
    assert in_order(line) is None
    (item,) = parse_text(line + "\n").items
    assert item.block_id == "mine"


@pytest.mark.parametrize(
    "line",
    [
        # What sync made of the user test's line before this was read: its id written again.
        f"\t- [ ] Tab-indented child task @Myself 📅 2025-11-12 #task {ID} {KEY} {ID}",
        f"\t- [ ] Tab-indented child task {ID} @Myself {KEY} 📅 2025-11-12 #task {ID}",
    ],
)
def test_the_same_id_written_twice_is_one(line: str) -> None:
    note = parse_text(f"- [ ] Parent\n{line}\n")
    item = note.items[1]
    assert (item.text, item.due, item.block_id) == (
        "Tab-indented child task",
        dt.date(2025, 11, 12),
        "ps-b94yjjng",
    )
    assert "twice" in note.warnings[0].message
    assert spliced(line, plan_line_edit(line, "ps-b94yjjng", {})) == IN_ORDER


@pytest.mark.parametrize(
    ("line", "ordered"),
    [
        # The id before the text: it goes with the space after it, no double space left.
        ("- [ ] ^ps-abc12345 task", "- [ ] task ^ps-abc12345"),
        # Trailing spaces (a Markdown line break) stay at the end, after the id, as write-back
        # leaves them when it adds one.
        ("- [ ] Task ^ps-abc12345 more words  ", "- [ ] Task more words ^ps-abc12345  "),
        (
            "- [ ] Two  spaces ^ps-abc12345\tand a tab\t",
            "- [ ] Two  spaces\tand a tab ^ps-abc12345\t",
        ),
        # Key links moved before the fields keep the spacing between them.
        (
            f"- [ ] Task 📅 2025-11-12 #task ^ps-abc12345 {KEY}\t {B2} ",
            f"- [ ] Task {KEY}\t {B2} 📅 2025-11-12 #task ^ps-abc12345 ",
        ),
    ],
)
def test_only_the_moved_id_and_links_change_place(line: str, ordered: str) -> None:
    reordered = in_order(line)
    assert reordered is not None and reordered.line == ordered
    splices = plan_line_edit(line, "ps-abc12345", {})
    assert spliced(line, splices) == ordered
    pieces = {"^ps-abc12345"}
    if reordered.links:  # the run of them as it stands
        first, last = reordered.links[0], reordered.links[-1]
        pieces.add(line[line.index(first) : line.index(last) + len(last)])
    # What is written is the id (and a space beside each moved piece), nothing of the user's;
    # the moved links are pieces of the line as it stands, from the run of them.
    for _, _, text in splices:
        if isinstance(text, Moved):
            assert any(line[text.start : text.end] in piece for piece in pieces), splices
        else:
            assert text.replace("^ps-abc12345", "") in ("", " "), splices
    # Without the moved pieces (and one space next to each), the lines are the same.
    assert _without(line, pieces) == _without(ordered, pieces)
    assert plan_line_edit(ordered, "ps-abc12345", {}) == []


def _without(line: str, pieces: set[str]) -> str:
    for piece in pieces:
        at = line.index(piece)
        before = line[at - 1] in " \t"
        line = line[: at - before] + line[at + len(piece) + (not before) :]
    return line


def test_a_moved_id_in_a_windows_1252_note_with_a_byte_of_no_character_is_put_in_order() -> None:
    # 0x81 has no character in Windows-1252: read as U+FFFD, which does not encode back, so
    # the line is never written again whole; the moved id is all that changes place.
    raw = b"- [ ] Caf\xe9 plan \x81 ^ps-abc12345 more words\r"
    text = raw[:-1].decode("cp1252", errors="replace")
    edited = _edit_line_bytes(raw, "cp1252", LineEdit(1, text, "ps-abc12345"))
    assert edited == b"- [ ] Caf\xe9 plan \x81 more words ^ps-abc12345\r"


@pytest.mark.parametrize(
    "line",
    [
        "- [ ] ^ps-abc12345 Task 📅 2025-11-12 #task  ",
        f"- [ ] Task 📅 2025-11-12 #task ^ps-abc12345 {KEY}",
        f"- [ ] Task ^ps-abc12345 {KEY} 📅 2025-11-12 ^ps-abc12345 ",
        # The id between key links moved before the fields.
        f"- [ ] Task 📅 2025-11-12 {KEY} ^ps-abc12345  {B2}\t",
    ],
)
@pytest.mark.parametrize("replace_block_id", [False, True])
def test_an_edit_of_a_line_out_of_order_is_the_edit_of_the_line_in_order(
    line: str, replace_block_id: bool
) -> None:
    # The order's splices and the edit's are made one set of splices of the line as it is.
    ordered = in_order(line)
    assert ordered is not None
    block_id = "ps-new00000" if replace_block_id else "ps-abc12345"
    links = {
        "jira": ("PLAN-18", URL.replace("17", "18")),
        "salesforce": ("006", "https://x.my.salesforce.com/006"),
    }
    edit = {"links": links, "replace_block_id": replace_block_id, "drop_links": ()}
    assert spliced(line, plan_line_edit(line, block_id, **edit)) == spliced(
        ordered.line, plan_line_edit(ordered.line, block_id, **edit)
    )


def test_the_line_put_in_order_is_read_as_in_order() -> None:
    # Where the links go is read on the line as it will be: a tab kept where the id stood
    # reads otherwise than the space the id left ("#task\twords" is one tag to the plugin).
    line = f"- [ ] #task\t^ps-abc12345 words  {KEY} ^ps-abc12345 {B2}"
    reordered = in_order(line)
    assert reordered is not None
    assert in_order(reordered.line) is None
    assert plan_line_edit(reordered.line, "ps-abc12345", {}) == []


def _damaged(text: str) -> str:
    """``text`` as a note saved twice over reads it: its UTF-8 bytes read as Windows-1252."""
    return text.encode().decode("cp1252")


@pytest.mark.parametrize(
    "line",
    [
        # Only the key link moved after the fields: the id still ends the line. Read as it
        # stands (no date emoji, only its damage), no field follows the link.
        f"- [ ] Café plan 📅 2025-11-12 #task {KEY} ^ps-b94yjjng",
        f"- [ ] Café plan 📅 2025-11-12 #task ^ps-b94yjjng {KEY}",
        f"- [ ] Café ^ps-b94yjjng plan 📅 2025-11-12 #task {KEY}",
    ],
)
def test_a_damaged_line_is_put_in_order_as_it_is_read_repaired(line: str) -> None:
    # The parser reads the line repaired; the planner and write-back, the line as it is in
    # the file. Both put it in the same order, and the damaged bytes stay as they are.
    raw = _damaged(line)
    ordered = f"- [ ] Café plan {KEY} 📅 2025-11-12 #task ^ps-b94yjjng"
    note = parse_text(f"{raw}\n")
    (item,) = note.items
    assert (item.text, item.due, item.keys) == (
        "Café plan",
        dt.date(2025, 11, 12),
        {"jira": "PLAN-17"},
    )
    assert any("read as if they stood" in warning.message for warning in note.warnings)
    reordered = in_order(raw)
    assert reordered is not None and reordered.line == _damaged(ordered)
    assert spliced(raw, plan_line_edit(raw, "ps-b94yjjng", {})) == _damaged(ordered)
    edited = _edit_line_bytes(raw.encode("cp1252"), "utf-8", LineEdit(1, raw, "ps-b94yjjng"))
    assert edited == _damaged(ordered).encode("cp1252")
    # Put in order, it is read in order: no warning the next run, nothing written.
    assert in_order(_damaged(ordered)) is None
    assert plan_line_edit(_damaged(ordered), "ps-b94yjjng", {}) == []


def test_a_moved_key_link_with_a_byte_of_no_character_keeps_its_bytes() -> None:
    # The link's own text holds 0x81, read as U+FFFD, which does not encode back: the link is
    # moved as the bytes it is, not written again as text.
    link = b"[PLAN-17 \x81](" + URL.encode() + b")"
    raw = b"- [ ] Caf\xe9 plan #task " + link + b" ^ps-abc12345"
    text = raw.decode("cp1252", errors="replace")
    edited = _edit_line_bytes(raw, "cp1252", LineEdit(1, text, "ps-abc12345"))
    assert edited == b"- [ ] Caf\xe9 plan " + link + b" #task ^ps-abc12345"
