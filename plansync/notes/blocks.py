"""Markdown's block structure as Obsidian parses it (CommonMark): a line's quote depth and
indentation, which list item it is in, lazy lines and paragraphs, indented code, fences,
HTML blocks, Obsidian comments and setext headings.

Apart from the note reader: whether a line is a list item, or hidden in code, a comment or
HTML, is told by the lines around it, not by the line itself; these walks over a note's lines
are a job of their own, and the reader asks them only where a line could be an item.
"""

from __future__ import annotations

import re

from plansync.notes.tasks import LIST_LINE

HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))??(?:[ \t]+#+)?[ \t]*$")
HEADING_STARTS = ("#", " #", "  #", "   #")
FENCE = re.compile(r"^[\s>]*(`{3,}|~{3,})")
# A thematic break ("* * *", "- - -") starts like a bullet but is a rule, not a list item.
THEMATIC_BREAK = re.compile(r"[ \t>]*([-*_])(?:[ \t]*\1){2,}[ \t]*")
SETEXT_UNDERLINE = re.compile(r" {0,3}(=+|-+)[ \t]*")
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")


# CommonMark 4.6, HTML blocks. What opens one (after at most three spaces of indentation) and
# what closes it: the first five kinds end on the line holding their end mark, the other two
# before the next blank line. Obsidian's parser follows it: a task line in an HTML comment, or
# after a <div> line with no blank line between, is no list item in Obsidian's cache (the
# Tasks plugin's comments_html_style test data; its issue #3780).
_BLOCK_TAG_NAMES = (
    "address article aside base basefont blockquote body caption center col colgroup dd"
    " details dialog dir div dl dt fieldset figcaption figure footer form frame frameset h1 h2"
    " h3 h4 h5 h6 head header hr html iframe legend li link main menu menuitem nav noframes ol"
    " optgroup option p param search section summary table tbody td tfoot th thead title tr"
    " track ul"
)
_HTML_BLOCK_TAGS = frozenset(_BLOCK_TAG_NAMES.split())
_HTML_START = re.compile(
    r"<(?:(?P<raw>script|pre|style|textarea)(?=[ \t>]|$)|(?P<comment>!--)|(?P<pi>\?)"
    r"|(?P<cdata>!\[CDATA\[)|(?P<decl>![A-Za-z])|/?(?P<tag>[A-Za-z][A-Za-z0-9-]*)(?=[ \t]|/?>|$))",
    re.IGNORECASE,
)
_HTML_ENDS = {
    "raw": re.compile(r"</(?:script|pre|style|textarea)>", re.IGNORECASE),
    "comment": re.compile(r"-->"),
    "pi": re.compile(r"\?>"),
    "cdata": re.compile(r"\]\]>"),
    "decl": re.compile(r">"),
}
_HTML_ATTRIBUTE = (
    r"[ \t]+[A-Za-z_:][A-Za-z0-9_.:-]*(?:[ \t]*=[ \t]*(?:[^ \t\"'=<>`]+|'[^']*'|\"[^\"]*\"))?"
)
# Kind 7: a whole open or closing tag alone on its line (not one of the raw-text tags).
_HTML_TAG_LINE = re.compile(
    rf"(?:<[A-Za-z][A-Za-z0-9-]*(?:{_HTML_ATTRIBUTE})*[ \t]*/?>|</[A-Za-z][A-Za-z0-9-]*[ \t]*>)"
    r"[ \t]*$"
)


def layout(line: str) -> tuple[int, int, int]:
    """(block quote depth, indentation in columns after the last ``>``, where content starts).

    Tabs advance to the next multiple of four columns, as CommonMark counts them.
    """
    depth = column = width = index = 0
    length = len(line)
    while index < length:
        char = line[index]
        if char == " ":
            column += 1
            width += 1
        elif char == "\t":
            step = 4 - column % 4
            column += step
            width += step
        elif char == ">":
            depth += 1
            column += 1
            width = 0
            after = line[index + 1 : index + 2]
            if after == " ":
                index += 1
                column += 1
            elif after == "\t":  # its first column is the space a ">" may take (CommonMark 5.1)
                index += 1
                step = 4 - column % 4
                column += step
                width = step - 1
        else:
            break
        index += 1
    return depth, width, index


class Lines(list[str]):
    """A note's body lines, and what walks back through them found: a list of nested items,
    or a long code block, is walked once, not once a line (quadratic: minutes for a note of
    20,000 sub-bullets)."""

    __slots__ = ("memo",)
    memo: dict[tuple[str, int, int, int], int]

    @classmethod
    def of(cls, lines: list[str]) -> Lines:
        """The lines, with nothing found yet (list's own constructor: a Python ``__init__``
        costs a call a note)."""
        body = cls(lines)
        body.memo = {}
        return body


_WALKS = ("strict", "lazy 1", "lazy 2", "lazy 3")
"""The kinds of :func:`list_column`'s walk, by how many paragraphs deep it may ask whether a
line is lazy: each kind's answers are kept apart in the memo, so none depends on which walk
ran first."""


def list_column(
    lines: Lines, index: int, depth: int, width: int, lazy: int = len(_WALKS) - 1
) -> int:
    """The content column of the list item that a line indented ``width`` columns is part of
    (0: none), found by walking back to the item: a line less indented than an item's content,
    between it and this line, closed that item, unless it was a lazy line of a paragraph
    (CommonMark 5.1, 5.2): "- [ ] a\nmore of a\n\n    - [ ] b" nests b in a in Obsidian, as
    "- [ ] a\n\n    - [ ] b" does. Whether a line is lazy may turn on where a paragraph above
    it stands (:func:`_goes_on`), found by a walk of its own: ``lazy`` is how many such walks
    deep this one is allowed to ask (0: it takes every such line to close its item), so a
    note of many paragraphs is never walked with a recursion as deep.

    A list marker four columns or more into its own container starts no item: it is code
    ("    - [ ] a\n      - [ ] b" is code, b too), or text going on from the line above, and
    then it closes no item either. So a marker that far in is held until the walk, going on as
    for a line at its width, has found its container; text that goes on has the walk start
    again above it.

    Where the walk stands and the least indentation seen so far decide the rest of it, so each
    such state's answer is kept in ``lines.memo``: a sibling's walk goes on from there. Whether
    a line is lazy depends on the lines above it alone, so that holds with lazy lines too.
    """
    if width == 0:
        return 0
    memo = lines.memo
    walk = _WALKS[lazy]
    least = width
    states: list[tuple[str, int, int, int]] = []  # walked since the last marker held
    # The markers held: (content column if the line below would be in its item, else -1,
    # its width, the least indentation before it, its index, the states walked before it).
    held: list[tuple[int, int, int, int, list[tuple[str, int, int, int]]]] = []
    start = index - 1
    while True:
        found = 0
        for back in range(start, -1, -1):
            state = (walk, back, depth, least)
            known = memo.get(state)
            if known is not None:
                found = known
                break
            states.append(state)
            previous = lines[back]
            its_depth, its_width, text_at = layout(previous)
            if text_at == len(previous.rstrip()):
                continue  # blank
            if its_depth != depth:
                break
            item = LIST_LINE.match(previous)
            if item is not None:
                content = content_column(item, its_width)
                if content <= least and its_width < 4:
                    found = content
                    break
                if its_width >= 4 and its_width < least:
                    held.append(
                        (content if content <= least else -1, its_width, least, back, states)
                    )
                    states = []
            elif its_width < least and lazy and _lazy_line(lines, back, depth, lazy):
                continue  # it goes on with a paragraph above, in whichever item holds that
            least = min(least, its_width)
            if least == 0:
                break
        for state in states:
            memo[state] = found
        while held:  # the innermost marker held last: each one's container is now known
            opens, its_width, least, back, states = held.pop()
            if its_width < found + 4:
                found = max(opens, found)  # an item: the lines below it are in it, or not
            elif lazy and back > 0 and _goes_on(lines, back - 1, depth, lazy):
                break  # text going on with a paragraph: the walk starts again above it
            for state in states:
                memo[state] = found
        else:
            return found
        start = back - 1


def _lazy_line(lines: Lines, index: int, depth: int, lazy: int) -> bool:
    """Whether ``lines[index]``, a line at quote depth ``depth`` that is no list item, is a lazy
    continuation line: text that goes on with the paragraph right above it however little it
    is indented, and so closes no list item (CommonMark 5.1, 5.2). ``lazy``: as for
    :func:`list_column`, which asks."""
    return index > 0 and _plain_text(lines[index], 0) and _goes_on(lines, index - 1, depth, lazy)


def _goes_on(lines: Lines, index: int, depth: int, lazy: int) -> bool:
    """Whether ``lines[index]`` is a paragraph's line, which a line of text right below it goes
    on with: a list item's own text, or text after a blank line, a heading or a rule, from its
    first line that is not indented code (four columns into the container of the code).

    Said only where the lines above make it certain: a line of another block (a fence, HTML, a
    comment, a table row, another quote) is none, nor is text below one, which may be code or
    HTML. Each line's answer is kept in ``lines.memo`` (1 or 0; for a line of indented code,
    minus the width a line below must stay under to end it): a paragraph of many lazy lines is
    walked once, not once a line. Where the code's container stands is found by a walk
    ``lazy`` - 1 deep (:func:`list_column`).
    """
    memo = lines.memo
    run: list[tuple[tuple[str, int, int, int], int]] = []  # (state, width), last line first
    goes_on = False
    code_under = 0  # the lines walked are code until one is indented less than this
    for back in range(index, -1, -1):
        state = ("paragraph", back, depth, lazy)
        known = memo.get(state)
        if known is not None:
            goes_on, code_under = known > 0, max(-known, 0)
            break
        line = lines[back].rstrip("\r")
        its_depth, width, start = layout(line)
        text = line[start:].strip()
        if not text or THEMATIC_BREAK.fullmatch(line) or (text[0] == "#" and HEADING.match(line)):
            if run:  # a paragraph starts below it, or code
                goes_on, code_under = _paragraph_start(lines, back + 1, run[-1][1], depth, lazy)
            break
        run.append((state, width))
        if its_depth != depth:
            break
        item = LIST_LINE.match(line)
        if item is not None and not _indented_code(lines, back, depth, width, lazy):
            # An item's own text goes on: not when there is none, or it is code (five columns
            # after the marker) or another block.
            words = item.group(3)
            marker_end = width + len(item.group(2))
            goes_on = (
                bool(words.strip())
                and _plain_text(words, 0)
                and _columns(line[item.end(2) : item.start(3)], marker_end) <= 4
            )
            break
        if item is None and not _plain_text(line, 0):
            break
    else:
        if run:
            goes_on, code_under = _paragraph_start(lines, 0, run[-1][1], depth, lazy)
    if code_under:
        # Code until a line less indented ends it; the paragraph starts there.
        for state, width in reversed(run):
            goes_on = goes_on or width < code_under
            memo[state] = 1 if goes_on else -code_under
        return goes_on
    for state, _ in run:
        memo[state] = goes_on
    return goes_on


def _paragraph_start(
    lines: Lines, index: int, width: int, depth: int, lazy: int
) -> tuple[bool, int]:
    """(whether ``lines[index]``, indented ``width`` columns, starts a paragraph, and if it is
    indented code instead: the width a line below must stay under to end it, else 0)."""
    if width < 4:
        return True, 0
    under = list_column(lines, index, depth, width, lazy - 1) + 4
    return (False, under) if width >= under else (True, 0)


def _indented_code(lines: Lines, index: int, depth: int, width: int, lazy: int) -> bool:
    """Whether ``lines[index]``, indented ``width`` columns, stands four columns or more into
    its container, were it to start a block: code, or a list marker that starts no item.
    Asked by a walk ``lazy`` deep, whose own walk for the container is one less deep."""
    return width >= 4 and width >= list_column(lines, index, depth, width, lazy - 1) + 4


def content_column(item: re.Match[str], width: int) -> int:
    """Where the content of a list item (``LIST_LINE``'s match, its marker ``width`` columns
    in) starts: after the marker's spaces, unless there are more than four columns of them
    (then the item's text is code, one space in), as CommonMark counts them."""
    line = item.string
    marker_end = width + len(item.group(2))
    gap = _columns(line[item.end(2) : item.start(3)], marker_end)
    return marker_end + (gap if 1 <= gap <= 4 and item.group(3) else 1)


def interrupts_a_paragraph(lines: Lines, index: int, marker: str) -> bool:
    """Whether ``lines[index]``, a list item whose marker is ``marker``, is text of the
    paragraph above it instead: an ordered list that starts at another number than 1 cannot
    interrupt a paragraph (CommonMark 5.2), so "Next steps:\n2. [ ] Draft it" is one paragraph,
    and so is an item's "- Parent\n  2. [ ] Draft it" (Obsidian starts a nested numbered list
    only at 1: the Tasks plugin's pull request #3402 found it so).

    Said only where that is certain: right below a list item's own line, or below a run of
    plain text that no list item, quote change, code, HTML or comment line reaches into (a
    line of text under "1. [ ] a" may be that item's, and then "2. [ ] b" starts no paragraph
    of its own); elsewhere the line is read as a list item, as before.
    """
    if marker[0] in "-*+" or marker[:-1].lstrip("0") == "1" or index == 0:
        return False
    depth, width, _ = layout(lines[index])
    previous = lines[index - 1].rstrip("\r")
    its_depth, its_width, start = layout(previous)
    if its_depth != depth or not previous[start:].strip():
        return False
    item = LIST_LINE.match(previous)
    if item is not None:  # the item's own paragraph, if this line is in the item
        return bool(item.group(3).strip()) and width >= content_column(item, its_width)
    if width > 3 or not _plain_text(previous, its_width):
        return False
    for back in range(index - 2, -1, -1):
        above = lines[back].rstrip("\r")
        above_depth, above_width, above_start = layout(above)
        text = above[above_start:].strip()
        if not text or (text[0] == "#" and HEADING.match(above)):
            return True  # the paragraph starts below it
        if THEMATIC_BREAK.fullmatch(above) or FENCE.match(above):
            return True
        if above_depth != depth or not _plain_text(above, above_width):
            return False
    return True


def _plain_text(line: str, width: int) -> bool:
    """Whether ``line`` (no CR) can only be a paragraph's text: no list item, heading, rule,
    setext underline, fence, code, HTML, comment or table row."""
    text = line.strip(" \t>")
    return not (
        width > 3
        or text[:1] in ("#", "<", "|")
        or "%%" in line
        or LIST_LINE.match(line)
        or THEMATIC_BREAK.fullmatch(line)
        or SETEXT_UNDERLINE.fullmatch(line)
        or FENCE.match(line)
    )


def _columns(blank: str, column: int) -> int:
    """How many columns the spaces and tabs of ``blank`` span from ``column`` (tab stops of
    four, as CommonMark counts them)."""
    if "\t" not in blank:
        return len(blank)
    end = column
    for char in blank:
        end += 4 - end % 4 if char == "\t" else 1
    return end - column


class _HtmlBlock:
    """An open HTML block: how it ends, and the container (quote depth, list column) it is in,
    whose end ends it too."""

    __slots__ = ("column", "depth", "end")

    def __init__(self, end: re.Pattern[str] | None, depth: int, column: int):
        self.end = end
        self.depth = depth
        self.column = column

    def ends_before(self, line: str) -> bool:
        """Whether the block ended before ``line``: a blank line, or its container closed."""
        depth, width, start = layout(line)
        blank = start == len(line) or not line[start:].strip()
        if depth < self.depth:
            return True
        if blank:
            return self.end is None
        return width < self.column


def html_block_at(lines: Lines, index: int, line: str) -> _HtmlBlock | None:
    """The HTML block ``line`` opens, or None. ``lines[index]`` is the line."""
    depth, width, start = layout(line)
    if width > 3:
        column = list_column(lines, index, depth, width)
        if column == 0 or width - column > 3:
            return None  # indented code, or a paragraph's continuation
    else:
        column = list_column(lines, index, depth, width) if width else 0
    opening = _HTML_START.match(line, start)
    if opening is None:
        return None
    kind = opening.lastgroup
    if kind == "tag":
        # Kind 7 (a tag not of kind 6): alone on its line, and it cannot interrupt a paragraph.
        kind_7 = opening.group("tag").casefold() not in _HTML_BLOCK_TAGS
        if kind_7 and (not _HTML_TAG_LINE.match(line, start) or _in_paragraph(lines, index)):
            return None
        block = _HtmlBlock(None, depth, column)
    else:
        block = _HtmlBlock(_HTML_ENDS[kind], depth, column)  # type: ignore[index]
        if block.end is not None and block.end.search(line, opening.end()):
            return None  # it ends on the line it opens: the lines after it are read
    return block


def _fence_container(lines: Lines, index: int, line: str) -> tuple[int, int] | None:
    """(quote depth, list column) of the block a fence line opens, or None: a fence indented
    four columns or more into its container is no fence (it is code, or a paragraph's text)."""
    depth, width, _ = layout(line)
    column = list_column(lines, index, depth, width) if width else 0
    if width - column > 3:
        return None
    return depth, column


def _closes(container: tuple[int, int], line: str) -> bool:
    """Whether ``line`` lies outside a container (quote depth, list column): a line with fewer
    ``>``, or a line with text indented less than the list item's content."""
    depth, width, start = layout(line)
    if depth < container[0]:
        return True
    return width < container[1] and bool(line[start:].strip())


def too_indented(lines: Lines, index: int, line: str) -> bool:
    """Whether ``line`` (``lines[index]``) stands four columns or more into its container (the
    note, a quote, a list item's content), where no list item starts (CommonMark 5.2).

    Such a line is indented code (4.4) after a blank line or a heading, and a lazy line of the
    paragraph above otherwise: "Example:\n\n    - [ ] Draft the plan" shows code in Obsidian,
    and "12.  Project 2\n\t- [ ] Task 2" (five columns to the item's content, four to the
    tab) is text of "Project 2": Obsidian's cache lists no item in either (the Tasks plugin's
    issue #751). A tab-indented sub-task is four columns into the note but two into its
    parent item's content, so it stays an item.
    """
    depth, width, _ = layout(line)
    return width >= 4 and width >= list_column(lines, index, depth, width) + 4


def setext_heading(lines: Lines, index: int, floor: int) -> str | None:
    """The text of the setext heading that ``lines[index]`` (``===`` or ``---``) underlines, or
    None when no paragraph stands right above it (then ``---`` is a rule). ``floor``: the index
    of the first line a paragraph may start at (after code, a comment, HTML or a heading).

    The paragraph is the run of text lines above, back to a blank line, an ATX heading, a rule
    or a fence; a list item or quote line in the run makes the underline a lazy line of that
    container, which is no heading ("- item\n---" is a list and a rule). A walk that reaches
    an underline found to be none goes no further: it would find the same.
    """
    parts: list[str] = []
    failed = ("setext", index, 0, 0)
    for back in range(index - 1, floor - 1, -1):
        if ("setext", back, 0, 0) in lines.memo:
            lines.memo[failed] = 0
            return None
        previous = lines[back].rstrip("\r")
        text = previous.strip()
        if not text:
            break
        if (
            (text[0] == "#" and HEADING.match(previous))
            or THEMATIC_BREAK.fullmatch(previous)  # before list items: "- - -" is a rule
            or FENCE.match(previous)
        ):
            break
        if previous.lstrip(" \t")[:1] == ">" or LIST_LINE.match(previous):
            lines.memo[failed] = 0
            return None
        parts.append(text)
    if not parts:
        return None
    if layout(lines[index - len(parts)])[1] > 3:
        lines.memo[failed] = 0
        return None  # its first line is indented code
    return " ".join(reversed(parts))


def _in_paragraph(lines: list[str], index: int) -> bool:
    """Whether the line before ``lines[index]`` is text a paragraph goes on with (roughly: any
    line but a blank one or a heading)."""
    if index == 0:
        return False
    previous = lines[index - 1].strip(" \t\r>")
    return bool(previous) and not previous.startswith("#")


def comment_marks(line: str) -> int:
    """How many ``%%`` (Obsidian comment) marks a line holds outside inline code.

    A ``%%`` in a code span ("type `%%` to comment") is text, and counting it would hide the
    rest of the note.
    """
    if "`" in line:
        line = CODE_SPAN.sub("", line)
    return line.count("%%")


class Blocks:
    """The code fences, Obsidian comments and HTML blocks of one pass over a note's body: the
    lines they hide are no list items and no headings to Obsidian, so none to plansync."""

    __slots__ = ("body", "comment", "fence", "fence_container", "first", "hidden", "html_block")

    def __init__(self, body: Lines, first: int):
        self.body = body
        self.first = first
        """The line number before the body's first line (the front matter's last)."""
        self.fence: str | None = None
        self.fence_container = (0, 0)
        self.comment = False
        self.html_block: _HtmlBlock | None = None
        self.hidden = first
        """The number of the last line hidden (a paragraph, and so a setext heading, starts
        after it)."""

    def hides(self, number: int, line: str) -> bool:
        """Whether line ``number`` (``line``, without its line ending) is hidden."""
        if self._hides(number, line):
            self.hidden = number
            return True
        return False

    def _hides(self, number: int, line: str) -> bool:
        index = number - 1 - self.first
        if self.html_block is not None:
            if not self.html_block.ends_before(line):
                if self.html_block.end is not None and self.html_block.end.search(line):
                    self.html_block = None  # it ends on this line, which is still HTML
                return True
            self.html_block = None
        if self.comment:
            # Inside an Obsidian comment (%% ... %%) until the line that closes it: Obsidian
            # lists no list item there, so the Tasks plugin reads no task (its issue #1172), and
            # a heading there is no heading either.
            if comment_marks(line) % 2:
                self.comment = False
            return True
        fence = self.fence
        container = self.fence_container
        if fence is not None and container != (0, 0) and _closes(container, line):
            # CommonMark: a code block in a list item or quote ends with it, closed or not
            # ("- a\n  ```\n- [ ] b": b is the next item).
            self.fence = fence = None
        if ("```" in line or "~~~" in line) and (fence_match := FENCE.match(line)):
            marker = fence_match.group(1)
            info = line[fence_match.end() :]
            if fence is not None:
                # CommonMark: only a fence with nothing but spaces after it, and at most three
                # columns into the block's container, closes the block.
                if (
                    marker[0] == fence[0]
                    and len(marker) >= len(fence)
                    and not info.strip()
                    and layout(line)[1] - container[1] <= 3
                ):
                    self.fence = None
                return True
            # CommonMark: the info string of a backtick fence holds no backtick, so a line
            # that starts with inline code ("```make``` first") opens no block.
            if (marker[0] == "~" or "`" not in info) and (
                opened := _fence_container(self.body, index, line)
            ):
                self.fence, self.fence_container = marker, opened
                return True
        if fence is not None:
            return True
        if "%%" in line and comment_marks(line) % 2:
            # An unclosed %% opens a comment that hides the lines after this one (this line's
            # own start is still read: a task line with a comment at its end is a task).
            self.comment = True
        if "<" in line and line.lstrip(" \t>")[:1] == "<":
            self.html_block = html_block_at(self.body, index, line)
            return self.html_block is not None
        return False
