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
from plansync.notes.tasks import JS_WHITESPACE, LIST_LINE, TASK_LINE, body_from, parse_body

BLOCK_ID_PREFIX = "ps-"
"""What starts every block id plansync writes (``^ps-b94yjjng``)."""
_OWN_ID = re.compile(rf"(?<!\S)\^({re.escape(BLOCK_ID_PREFIX)}[a-zA-Z0-9-]+)(?!\S)")
"""plansync's id as a word of its own, where the plugin reads a block id (see tasks.BLOCK_LINK)
but for being anywhere on the line."""


_MARK = "^" + BLOCK_ID_PREFIX
_ID_TAIL = re.compile(r"[a-zA-Z0-9-]+\s*")


def _at_its_place(line: str, at: int) -> bool:
    """Whether the id at ``at``, the last on ``line``, ends it, is its only one, and follows
    no link (a link before it may stand after the fields): a synced line as write-back left
    it, and nothing to put in order."""
    return (
        _ID_TAIL.fullmatch(line, at + len(_MARK)) is not None
        and line.find(_MARK) == at
        and not line[:at].rstrip().endswith(")")
    )


class Reordered(NamedTuple):
    line: str
    """The line in order: its key links before its fields, its id at the end."""
    block_id: str
    links: tuple[str, ...]
    """The key links moved before the fields, as written."""
    id_moved: bool


def in_order(line: str) -> Reordered | None:
    """``line`` (an item's, without its line break) put in order, or None when it is in order
    or holds no id of plansync's (or two: then which one is not plansync's to choose)."""
    at = line.rfind(_MARK)
    if at < 0 or _at_its_place(line, at):  # most lines: a search or two, nothing more
        return None
    if task := TASK_LINE.match(line):
        start = task.end()
    elif listed := LIST_LINE.match(line):
        start = listed.start(3)
    else:
        return None
    body = body_from(line, start)
    ids = list(_OWN_ID.finditer(body))
    if len(ids) != 1:
        return None
    found = ids[0]
    block_id = found.group(1)
    after = body[found.end() :]
    id_moved = bool(after.strip(JS_WHITESPACE))
    words = (body[: found.start()].rstrip(" \t") + after).rstrip(JS_WHITESPACE)
    words, links = _closing_ticket_links(words)
    moved: tuple[str, ...] = ()
    if links:
        fields_at = parse_body(words).core_end
        if fields_at < len(words):  # fields stand between the text and the links
            moved = links
            words = f"{words[:fields_at]} {' '.join(links)}{words[fields_at:]}"
        else:
            words = f"{words} {' '.join(links)}"
    if not (id_moved or moved):
        return None
    return Reordered(
        line[:start] + f"{words} ^{block_id}" + line[start + len(body) :], block_id, moved, id_moved
    )


def _closing_ticket_links(text: str) -> tuple[str, tuple[str, ...]]:
    """(``text`` without the links to tickets that close it, those links in order)."""
    links: list[str] = []
    for match in reversed(list(MARKDOWN_LINK.finditer(text))):
        if text[match.end() :].strip() or classify(match.group(2)) is None:
            break
        links.insert(0, match.group(0))
        text = text[: match.start()].rstrip()
    return text, tuple(links)


def moved(reordered: Reordered) -> str:
    """The warning of a line :func:`in_order` put in order: what stood where, and what sync
    does about it."""
    what = []
    if reordered.links:
        what.append(f"the key link {' '.join(reordered.links)} after the line's fields")
    if reordered.id_moved:
        what.append(f"the id ^{reordered.block_id} before the end of the line")
    return (
        f"{' and '.join(what)}: Obsidian Tasks reads no field after a link, and a block id only"
        " at the end; read as if moved back, and sync moves them back (the key link before"
        " the fields, the id at the end)"
    )
