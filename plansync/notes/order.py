"""A synced line whose own id or key link a person moved, put back in the order plansync writes.

Write-back puts an item's key link where Obsidian Tasks still reads every field (before the
trailing run of fields) and its block id at the very end. A person who moves the key link to
the end of the line ("… 📅 2025-11-12 #task ^ps-b94yjjng [PLAN-17](…)") leaves a line the
plugin reads no field of: a trailing link stops its reading of fields, and a block id is one
only at the end. Read as it stands, the due date would be lost, the id would be words of the
summary sent to Jira, and sync would write a second id.

Only what is plansync's own moves: its id (``^ps-…``, as :data:`BLOCK_ID_PREFIX` names it,
one on the line) and links to tickets it manages (:func:`links.classify`) that stand after
the fields, on a line that holds such an id. Anything else is the user's text and stays where
it is, so a line without plansync's id is read exactly as the plugin reads it.

A line is read repaired (:func:`signifiers.repair`), as the parser and write-back read it: a
damaged date emoji is no field until it is. What is moved is given as splices of the line as
it stands, damaged characters and all, the moved pieces as pieces of it (:class:`Moved`), so
that write-back copies their bytes and re-encodes none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from plansync.notes.links import MARKDOWN_LINK, classify
from plansync.notes.signifiers import repair
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
    half the lines are synced)."""
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


@dataclass(frozen=True)
class Moved:
    """``line[start:end]`` written elsewhere on the same line: copied as it stands (its bytes,
    by write-back), never written again as text, which may be damaged text read repaired or a
    byte of no character (U+FFFD in a Windows-1252 note) that does not encode back."""

    start: int
    end: int


Splice = tuple[int, int, "str | Moved"]
"""(start, end, replacement) of a line: ``line[start:end]`` replaced by text written, or by
another piece of the line. Several at one place are made in the order they come."""


class Reordered(NamedTuple):
    line: str
    """The line in order: its key links before its fields, its id at the end."""
    block_id: str
    links: tuple[str, ...]
    """The key links moved before the fields, as read (repaired)."""
    id_moved: bool
    """The id stood before the end of the line, or was written more than once."""
    splices: tuple[Splice, ...]
    """What makes ``line`` of the line as it was, in order of place. Only the id is written
    (its text is ASCII); the moved links are pieces of the line, and every other character
    stays where it is, so each keeps its bytes."""


def in_order(line: str) -> Reordered | None:
    """``line`` (an item's, without its line break, as it stands in the file or repaired)
    put in order, or None when it is in order or holds no id of plansync's (or two: then
    which one is not plansync's to choose; the same one twice, as a sync wrote it before this
    was read, is one). It is read repaired, as the parser reads it, so that what the parser
    warns of is what the planner and write-back put back."""
    if "^" not in line or _at_its_place(line) or _MARK not in line:  # most lines: no more
        return None
    fixed = repair(line)  # a clean line as it is; the parser's line is repaired already
    text = fixed.text
    if task := TASK_LINE.match(text):
        start = task.end()
    elif listed := LIST_LINE.match(text):
        start = listed.start(3)
    else:
        return None
    body = body_from(text, start)
    ids = list(_OWN_ID.finditer(body))
    if len({found.group(1) for found in ids}) != 1:
        return None
    block_id = ids[0].group(1)
    after = body[ids[-1].end() :]
    id_moved = len(ids) > 1 or bool(after.strip(JS_WHITESPACE))
    if id_moved and BLOCK_LINK.search(after.rstrip(JS_WHITESPACE)):
        return None  # the line ends in a block id of its own, the user's: it stays the id
    cut = _Cuts(body)
    for found in ids:  # the same id written twice (by an older plansync) is one
        cut.remove(found.start(), found.end())
    links, run = _closing_ticket_links(cut.blanked().rstrip(JS_WHITESPACE))
    moved: tuple[str, ...] = ()
    inserts: list[tuple[int, list[str | Moved]]] = []

    def place(at: int) -> int:
        """Where the body's ``at`` stands in ``line``."""
        return fixed.to_original(start + at)

    if links:
        # Read as it will be, without them (a tab is no space to the plugin's tags).
        at = [index for index in range(run[0]) if not cut.is_cut(index)]
        words = "".join(body[index] for index in at).rstrip(JS_WHITESPACE)
        fields = parse_body(words)
        if fields.core_end < len(words):  # fields stand between the text and the links
            moved = links
            pieces: list[str | Moved] = [
                Moved(place(low), place(high)) for low, high in cut.kept_ranges(*run)
            ]
            cut.remove(*run)
            if fields.core:
                inserts.append((at[fields.core_end - 1] + 1, [" ", *pieces]))
            else:
                inserts.append((at[fields.core_end], [*pieces, " "]))
    if not (id_moved or moved):
        return None
    inserts.append((cut.content_end(), [f" ^{block_id}"]))
    splices: list[Splice] = [(place(low), place(high), "") for low, high in cut.ranges]
    splices += [(place(at), place(at), piece) for at, pieces in inserts for piece in pieces]
    # In order of place; stable, so the pieces written at one place stay in their order.
    splices.sort(key=lambda splice: splice[:2])
    return Reordered(spliced(line, splices), block_id, moved, id_moved, tuple(splices))


def spliced(line: str, splices: Sequence[Splice]) -> str:
    """``line`` with ``splices`` (in order of place, none overlapping) made."""
    out: list[str] = []
    position = 0
    for start, end, text in splices:
        piece = text if isinstance(text, str) else line[text.start : text.end]
        out += (line[position:start], piece)
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

    def kept_ranges(self, start: int, end: int) -> list[tuple[int, int]]:
        """The (start, end) of the runs of ``body[start:end]`` not cut from it."""
        runs: list[tuple[int, int]] = []
        for at in range(start, end):
            if self.is_cut(at):
                continue
            if runs and runs[-1][1] == at:
                runs[-1] = (runs[-1][0], at + 1)
            else:
                runs.append((at, at + 1))
        return runs

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
    """The parser's warning of a line :func:`in_order` put in order: what stood where, and how
    it is read. What sync does about it is the plan's to say, which knows whether it may write
    the note: a write-back "puts the line's id and … link back in order", or, in a read-only
    note, a warning that the line stays so (a promise here that sync moves them back held in
    a read-only note at every run, and of a line no longer synced)."""
    what = []
    if reordered.links:
        what.append(f"the key link {' '.join(reordered.links)} after the line's fields")
    if reordered.id_moved:
        what.append(f"the id ^{reordered.block_id} before the end of the line, or twice")
    return (
        f"{' and '.join(what)}: Obsidian Tasks reads no field after a link, and a block id only"
        " at the end; read as if they stood where sync writes them (the key link before the"
        " fields, the id at the end)"
    )
