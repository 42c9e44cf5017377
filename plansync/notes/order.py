"""A synced line whose own id or key link a person moved, put back in the order plansync writes.

Write-back puts an item's key link where Obsidian Tasks still reads every field (before the
trailing run of fields) and its block id at the very end. A person who moves the key link to
the end of the line ("… 📅 2025-11-12 #task ^ps-b94yjjng [PLAN-17](…)") leaves a line the
plugin reads no field of: a trailing link stops its reading of fields, and a block id is one
only at the end. Read as it stands, the due date was lost, the id was words of the summary
sent to Jira, and sync wrote a second id.

Only what is plansync's own moves: its id (``^ps-…``, as :data:`BLOCK_ID_PREFIX` names it,
one on the line) and links to tickets it manages (:func:`links.classify`) that stand after
the fields, on a line that holds such an id. Anything else is the user's text and stays where
it is, so a line without plansync's id is read exactly as the plugin reads it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from plansync.notes.links import MARKDOWN_LINK, classify
from plansync.notes.tasks import (
    BLOCK_LINK,
    JS_WHITESPACE,
    LIST_LINE,
    TASK_LINE,
    TaskBody,
    body_from,
    parse_body,
)

BLOCK_ID_PREFIX = "ps-"
"""What starts every block id plansync writes (``^ps-b94yjjng``)."""
_OWN_ID = re.compile(rf"(?<!\S)\^({re.escape(BLOCK_ID_PREFIX)}[a-zA-Z0-9-]+)(?!\S)")
"""plansync's id as a word of its own, where the plugin reads a block id (see tasks.BLOCK_LINK)
but for being anywhere on the line."""


_MARK = "^" + BLOCK_ID_PREFIX


def _at_its_place(line: str) -> bool:
    """Whether ``line`` ends in plansync's id after no link (a link before it may stand after
    the fields), its only "^": a synced line as write-back left it, nothing to put in order.
    Looked for as one character: write-back and the planner ask it of every synced line, and
    a search of a line with an emoji in it for more than one character costs as much as the
    rest."""
    at = line.rfind("^")  # one character: many times faster to find than "^ps-"
    if line.find("^") != at or not line.startswith(_MARK, at):
        return False
    block_id = line[at + len(_MARK) :].rstrip()
    if not (block_id.isascii() and block_id.replace("-", "").isalnum()):
        return False
    before = at - 1
    while before > 0 and line[before] in " \t":
        before -= 1
    return line[before] != ")"


def out_of_place(body: TaskBody, text: str) -> bool:
    """Whether :func:`in_order` may put the line that reads as ``body`` (its words ``text``,
    which it was read from) in order: it ends in no id yet holds plansync's, or ends in
    plansync's id right after a link. Asked of the body the parser has read, so that a line in
    order costs a test or two, not a reading of its own (2% of a parse, by callgrind, where
    half the lines were synced)."""
    block_id = body.block_link
    if block_id is None:
        return "^" in text and _MARK in text
    # A link closing the text, and no field read after it: the id follows it. Or the id is in
    # the text as well.
    core = body.core
    return block_id.startswith(BLOCK_ID_PREFIX) and (
        (core.endswith(")") and text[body.core_end :].lstrip(JS_WHITESPACE).startswith("^"))
        or ("^" in core and _MARK in core)
    )


class Reordered(NamedTuple):
    line: str
    """The line in order: its key links before its fields, its id at the end."""
    block_id: str
    links: tuple[str, ...]
    """The key links moved before the fields, as written."""
    id_moved: bool
    """The id stood before the end of the line, or was written more than once."""
    splices: tuple[tuple[int, int, str], ...]
    """What makes ``line`` of the line as it was: (start, end, replacement), sorted. Only the
    moved id and links are written, so every other character keeps its bytes."""


def in_order(line: str) -> Reordered | None:
    """``line`` (an item's, without its line break) put in order, or None when it is in order
    or holds no id of plansync's (or two: then which one is not plansync's to choose; the same
    one twice, as a sync wrote it before this was read, is one)."""
    if "^" not in line or _at_its_place(line) or _MARK not in line:  # most lines: no more
        return None
    if task := TASK_LINE.match(line):
        start = task.end()
    elif listed := LIST_LINE.match(line):
        start = listed.start(3)
    else:
        return None
    body = body_from(line, start)
    ids = list(_OWN_ID.finditer(body))
    if len({found.group(1) for found in ids}) != 1:
        return None
    block_id = ids[0].group(1)
    after = body[ids[-1].end() :]
    id_moved = len(ids) > 1 or bool(after.strip(JS_WHITESPACE))
    if id_moved and BLOCK_LINK.search(after.rstrip(JS_WHITESPACE)):
        return None  # the line ends in a block id of its own, the user's: it stays the id
    cut = _Cuts(body)
    for found in ids:  # the same id written twice (a sync before this fix) is one
        cut.remove(found.start(), found.end())
    links, run = _closing_ticket_links(cut.blanked().rstrip(JS_WHITESPACE))
    moved: tuple[str, ...] = ()
    inserts: list[tuple[int, str]] = []
    if links:
        # Read as it will be, without them (a tab is no space to the plugin's tags).
        at = [index for index in range(run[0]) if not cut.is_cut(index)]
        words = "".join(body[index] for index in at).rstrip(JS_WHITESPACE)
        fields = parse_body(words)
        if fields.core_end < len(words):  # fields stand between the text and the links
            moved = links
            text = cut.kept(*run)
            cut.remove(*run)
            if fields.core:
                inserts.append((at[fields.core_end - 1] + 1, f" {text}"))
            else:
                inserts.append((at[fields.core_end], f"{text} "))
    if not (id_moved or moved):
        return None
    inserts.append((cut.content_end(), f" ^{block_id}"))
    splices = sorted(
        [(start + at, start + end, "") for at, end in cut.ranges]
        + [(start + at, start + at, text) for at, text in inserts]
    )
    return Reordered(spliced(line, splices), block_id, moved, id_moved, tuple(splices))


def spliced(line: str, splices: list[tuple[int, int, str]]) -> str:
    """``line`` with ``splices`` (sorted (start, end, replacement), none overlapping) made."""
    out: list[str] = []
    position = 0
    for start, end, text in splices:
        out += (line[position:start], text)
        position = end
    return "".join(out) + line[position:]


class _Cuts:
    """Pieces taken out of a line's body, each with one space next to it (the one that
    separated it from its neighbour), so that what is left reads with the spacing it had."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.ranges: list[tuple[int, int]] = []

    def is_cut(self, at: int) -> bool:
        return any(start <= at < end for start, end in self.ranges)

    def remove(self, start: int, end: int) -> None:
        """Take out ``body[start:end]`` and one space beside it (before it, if it can; else
        a tab)."""
        for blank in " \t":
            if start > 0 and self.body[start - 1] == blank and not self.is_cut(start - 1):
                start -= 1
                break
            if end < len(self.body) and self.body[end] == blank and not self.is_cut(end):
                end += 1
                break
        # An id between key links moved with them: cut already, now within the run cut.
        kept = [cut for cut in self.ranges if not (start <= cut[0] and cut[1] <= end)]
        self.ranges = sorted([*kept, (start, end)])

    def blanked(self) -> str:
        """The body with what is cut as spaces: offsets stay those of the body."""
        text = self.body
        for start, end in self.ranges:
            text = text[:start] + " " * (end - start) + text[end:]
        return text

    def kept(self, start: int, end: int) -> str:
        """``body[start:end]`` without what is cut from it."""
        return "".join(
            char for at, char in enumerate(self.body[start:end], start) if not self.is_cut(at)
        )

    def content_end(self) -> int:
        """Where an id goes: after the last character kept but spaces and tabs, as write-back
        puts one (the user's trailing spaces, a Markdown line break, stay after it)."""
        at = len(self.body)
        while at > 0 and (self.body[at - 1] in " \t" or self.is_cut(at - 1)):
            at -= 1
        return at


def _closing_ticket_links(text: str) -> tuple[tuple[str, ...], tuple[int, int]]:
    """(The links to tickets that close ``text``, in order; where they stand, from the first's
    start to the last's end)."""
    links: list[str] = []
    run = (len(text), len(text))
    for match in reversed(list(MARKDOWN_LINK.finditer(text))):
        if text[match.end() : run[0]].strip() or classify(match.group(2)) is None:
            break
        links.insert(0, match.group(0))
        run = (match.start(), run[1] if len(links) > 1 else match.end())
    return tuple(links), run


def moved(reordered: Reordered) -> str:
    """The warning of a line :func:`in_order` put in order: what stood where, and what sync
    does about it, which the parser cannot know of a note whose file is read-only: there the
    plan says the line stays as it is (``sync`` promised a move it never made)."""
    what = []
    if reordered.links:
        what.append(f"the key link {' '.join(reordered.links)} after the line's fields")
    if reordered.id_moved:
        what.append(f"the id ^{reordered.block_id} before the end of the line, or twice")
    return (
        f"{' and '.join(what)}: Obsidian Tasks reads no field after a link, and a block id only"
        " at the end; read as if moved back, and sync moves them back (the key link before"
        " the fields, the id at the end) unless the note's file is read-only"
    )
