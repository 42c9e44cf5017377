"""The notes a person must fix before a sync takes part of them: one whose front matter cannot
be read, a sync tool's conflict copy, one that holds both sides of a merge conflict. Their
lines would be synced wrong or twice, so the planner holds such a note back, records and all,
and says why and until when.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from plansync.notes.front_matter import HELD_BACK
from plansync.notes.model import Note


@dataclass(frozen=True)
class Held:
    """Why a note is held back from a sync, from which line, and until when."""

    line: int
    why: str
    until: str


# The names sync tools give the copy they keep of a note two devices changed at once:
# Syncthing's "name.sync-conflict-20251104-101500-ABCDEF1.md"; Dropbox's "name (Ann's
# conflicted copy 2025-11-04).md", as Nextcloud's and ownCloud's "name (conflicted copy
# 2025-11-04 101500).md", always with a date: "Team sync (not a conflicted copy).md" is a
# note. Matched against the name less its extension; group 1 or 2 is the note's own.
CONFLICT_COPY = re.compile(
    r"(.+)\.sync-conflict-\d{8}-\d{6}-[0-9A-Z]{7}"
    r"|(.+) \([^()]*conflicted copy[^()]* \d{4}-\d\d-\d\d(?: \d{6})?\)",
    re.IGNORECASE,
)


def conflict_copy_of(path: str) -> str | None:
    """The note a sync tool's conflict copy at ``path`` is a copy of; None for any other note.

    Such a copy is no note of the vault to plansync: its lines take no part in deciding which
    line keeps a block id or whether a line lost its id, or the original's lines would pass
    for copies (a Dropbox copy sorts first) and its restored text would not get its ids back.
    """
    name = Path(path)
    copy = CONFLICT_COPY.fullmatch(name.stem)
    return name.with_stem(copy[1] or copy[2]).as_posix() if copy else None


def why_held(note: Note, lines: list[str]) -> Held | None:
    """Why ``note`` is to be held back from the sync, if it is."""
    error = note.front_matter_error
    if error is not None:
        return Held(error.line or 1, error.message.removesuffix(HELD_BACK), "it is fixed")
    if original := conflict_copy_of(note.path):
        why = f"a sync tool's conflict copy of {original}"
        return Held(1, why, "it is merged into that note and deleted")
    if start := merge_conflict_around(note, lines):
        return Held(
            start,
            "holds both sides of a merge conflict (<<<<<<<, =======, >>>>>>>)",
            "the conflict is resolved",
        )
    return None


def merge_conflict_around(note: Note, lines: list[str]) -> int:
    """The first line of a merge conflict (git's ``<<<<<<<``, ``=======``, ``>>>>>>>`` lines)
    with an item line inside it, or 0. Conflict markers around no item (in a code block that
    shows one, in prose) change nothing a sync reads."""
    if not any(line.startswith("<<<<<<<") for line in lines):  # most notes
        return 0
    items = sorted(item.line for item in note.items)
    start = middle = 0
    for number, line in enumerate(lines, 1):
        if line.startswith("<<<<<<<"):
            if start and middle and any(start < item < number for item in items):
                return start  # a conflict whose >>>>>>> line was lost
            start, middle = number, 0
        elif start and line.startswith("=======") and not line.strip("="):
            middle = number
        elif start and middle and line.startswith(">>>>>>>"):
            if any(start < item < number for item in items):
                return start
            start = middle = 0
    if start and middle and any(start < item for item in items):
        return start  # unclosed at the end of the note
    return 0
