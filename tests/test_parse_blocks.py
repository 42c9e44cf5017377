"""Which lines of a note are Markdown list items at all, as Obsidian's parser decides.

The Tasks plugin reads only the lines that Obsidian's metadata cache lists as list items
(``listItems`` in ``cachedMetadata``), so a checkbox line inside a comment, an HTML block or
code is no task in Obsidian, and must be none here. The notes below follow the plugin's own
recordings of Obsidian's cache (``tests/Obsidian/__test_data__/*.json`` in
obsidian-tasks-group/obsidian-tasks) and the CommonMark specification where those are silent.
"""

from __future__ import annotations

import pytest

from plansync.notes.parse import parse_text


def read(text: str) -> list[tuple[int, str, str]]:
    """(line, kind, text) of each item of a note."""
    return [(i.line, i.kind, i.text) for i in parse_text(text, path="notes/m.md").items]


# --- Obsidian comments: %% ... %% ---------------------------------------------------------


def test_a_task_in_a_comment_block_is_no_task() -> None:
    # comments_markdown_style.json: the comment interrupts the paragraph above it, and the
    # cache lists only the two task lines after it (obsidian-tasks issue #1172 likewise).
    note = (
        "# comments_markdown_style\n"
        "\n"
        "Whole task line is ignored by Obsidian's `cachedMetadata`:\n"
        "%%\n"
        "- [ ] #task Whole task in 'comments_markdown_style'\n"
        "%%\n"
        "\n"
        "- [ ] #task With a commented-out tag: %% #i-am-parsed-by-obsidian  %% - is a task\n"
        "- [ ] #task With a commented-out link: %% [[comments_html_style]]  %% - is a task\n"
    )
    assert [line for line, _, _ in read(note)] == [8, 9]


def test_a_comment_hides_headings_and_decisions_until_it_closes() -> None:
    note = (
        "- [ ] Book the room\n"
        "%% parked for now:\n"
        "- [ ] Order the badges 📅 2025-10-27\n"
        "\n"
        "## Decisions\n"
        "- Ship on Friday\n"
        "end of the parked items %%\n"
        "- [ ] Send the minutes\n"
        "- Not a decision: the heading was in the comment\n"
    )
    assert read(note) == [(1, "action", "Book the room"), (8, "action", "Send the minutes")]


def test_a_comment_opened_at_the_end_of_a_task_line_keeps_that_task() -> None:
    note = "- [ ] Draft the plan %% notes\n- [ ] Hidden\nmore notes %%\n- [ ] Review it\n"
    assert [line for line, _, _ in read(note)] == [1, 4]


@pytest.mark.parametrize("span", ["`%%`", "``%%``", "`` a %% b ``"])
def test_percent_signs_in_inline_code_open_no_comment(span: str) -> None:
    note = f"Type {span} to hide a line in Obsidian.\n- [ ] Tell the team\n"
    assert read(note) == [(2, "action", "Tell the team")]


def test_percent_signs_in_a_code_block_open_no_comment() -> None:
    note = "```\n%%\n```\n- [ ] Tell the team\n"
    assert read(note) == [(4, "action", "Tell the team")]
