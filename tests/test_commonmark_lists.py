"""Property tests: plansync finds list items where a CommonMark parser does.

Obsidian reads a note's blocks by CommonMark's rules, and the Tasks plugin reads a task only
on a line Obsidian lists as a list item; a decision's details are the lines of its list item.
Where a line belongs depends on what stands above it: tabs (four-column stops), lazy
continuation lines (text at any indentation that goes on with a paragraph, closing nothing),
blank lines, and indented code against a list item's continuation. Notes mixing those are
generated here and read by plansync and by cmark (CommonMark's reference implementation, in
GitHub's fork, cmarkgfm; used by the tests only), which must agree on which lines are tasks,
and on a decision's details and their depths. Not markdown-it-py: it reads some of these notes
otherwise than the reference and the spec do ("   - a\n     - b\n    c" makes c code, where
it goes on with b's paragraph, as no code may interrupt one).
"""

from __future__ import annotations

import os
from html.parser import HTMLParser

import cmarkgfm
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from plansync.notes.parse import parse_text

SETTINGS = settings(
    max_examples=int(os.environ.get("PLANSYNC_COMMONMARK_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

INDENTS = st.sampled_from(
    [
        "",
        "",
        "",
        " ",
        "  ",
        "   ",
        "    ",
        "     ",
        "      ",
        "        ",
        "\t",
        "\t\t",
        " \t",
        "  \t",
    ]
)
"""Indentation of every kind that matters: none (a lazy line when it follows text), under a
list item's content, at it, four columns past it (code), in tabs and in both."""


@st.composite
def _lines(draw: st.DrawFn, bullets: st.SearchStrategy[str]) -> list[str]:
    """Lines of a note: list items (``bullets`` gives their text), text and blank lines, each
    text unique ("t3", "w4") so that a line read is known by its words."""
    shapes = draw(st.lists(st.sampled_from(["item", "item", "text", "text", "blank"]), max_size=8))
    lines = []
    for number, shape in enumerate(shapes):
        if shape == "blank":
            lines.append("")
            continue
        indent = draw(INDENTS)
        if shape == "text":
            lines.append(f"{indent}w{number}")
        else:
            lines.append(f"{indent}{draw(bullets)}{number}")
    return lines


class _Reading(HTMLParser):
    """What cmark read of a note, from its HTML with source positions: the first line of each
    list item whose text starts with a checkbox, and the first list item's lines of text below
    its own line, each with how many list items hold it."""

    def __init__(self, text: str):
        super().__init__()
        self.tasks: set[int] = set()
        self.details: list[tuple[str, int]] = []
        self.items = 0  # list items open
        self.first_item_done = False
        self.item_line = 0  # the line of the list item just opened, until its text is read
        self.code = False
        self.first_line = True  # of the first list item, its own: no detail
        self.feed(cmarkgfm.markdown_to_html(text, options=cmarkgfm.Options.CMARK_OPT_SOURCEPOS))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "li":
            self.items += 1
            self.item_line = int((dict(attrs)["data-sourcepos"] or "0").split(":")[0])
        elif tag == "pre":
            self.code, self.item_line = True, 0
        elif tag == "p":
            line = int((dict(attrs)["data-sourcepos"] or "0").split(":")[0])
            self.item_line = self.item_line if line == self.item_line else 0

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            self.items -= 1
            self.first_item_done = self.first_item_done or self.items == 0
        elif tag == "pre":
            self.code = False

    def handle_data(self, data: str) -> None:
        if self.item_line and data.strip():
            if data.startswith("[ ] "):
                self.tasks.add(self.item_line)
            self.item_line = 0
        if self.code or not self.items or self.first_item_done:
            return
        for line in data.split("\n"):
            if line.strip():
                if self.first_line:
                    self.first_line = False
                else:
                    self.details.append((line.strip(), max(self.items - 2, 0)))


@SETTINGS
@given(_lines(st.sampled_from(["- [ ] t", "* [ ] t", "1. [ ] t", "- t"])))
@example(["- [ ] t0", "w1", "", "     - [ ] t3"])  # under a lazy line, after a blank line
@example(["- [ ] t0", "w1", "\t- [ ] t2"])  # a tab, after a lazy line
@example(["- [ ] t0", "  - [ ] t1", "w2", "      - [ ] t3"])  # nested, after a lazy line
@example(["- t0", "", "      w2", "w3", "", "  - [ ] t5"])  # the lazy line follows code
@example(["    - [ ] t0", "      - [ ] t1"])  # code, both
@example(["   - [ ] t0", "    - [ ] t1", "w2", "     - [ ] t3"])  # t1 goes on with t0's text
def test_tasks_are_the_list_items_commonmark_reads(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    note = parse_text(text)
    tasks = {item.line for item in note.items if item.kind == "action"}
    assert tasks == _Reading(text).tasks, text


@SETTINGS
@given(_lines(st.sampled_from(["- s", "* s", "1. s"])))
@example(["w0", "\t- s1"])  # a tab after a lazy line
@example(["w0", "", "      w2"])  # code after a lazy line and a blank line
@example(["  - s0", "w1", "    - s2"])  # a sub-bullet's lazy line, then its sub-bullet
@example(["w0", "", "      - s2", "  w3", "w4", "    - s5"])  # text after code, lazy lines
def test_decision_details_are_its_list_items_lines(lines: list[str]) -> None:
    text = "## Decisions\n- We chose X\n" + "\n".join(lines) + "\n"
    decision = next(item for item in parse_text(text).items if item.line == 2)
    assert decision.kind == "decision"
    read = list(zip(decision.details, decision.detail_depths, strict=True))
    assert read == _Reading(text).details, text
