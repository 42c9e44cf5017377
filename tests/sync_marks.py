"""What the sync tests share: apply's step names, a crash at one of them, and how to take a
sync's marks (key links, block ids) back out of a note to compare it with the original."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

# The names apply passes to its checkpoint hook, in the order a first sync reaches them.
CHECKPOINTS = (
    "ids_written",
    "looked_up",
    "created",
    "keys_stored",
    "create_batch_done",
    "keys_written",
    "results_stored",
    "links",
    "updates",
    "moves_stored",
    "transitions",
)
JIRA_KEY_LINK = re.compile(rb" \[[A-Z][A-Z0-9_]*-\d+\]\(http[^)\s]*\)")
# A Jira key (PLAN-12) or a Salesforce record Id (a0 + 16 characters) linked to its record.
KEY_LINK = re.compile(rb" \[(?:[A-Z][A-Z0-9_]*-\d+|a0\d[0-9A-Za-z]{15})\]\(https?://[^)\s]*\)")
BLOCK_ID = re.compile(rb" \^ps-[a-z0-9]+(?=[ \t]*\r?$)", re.MULTILINE)


class Crash(Exception):
    """Raised from apply's checkpoint hook: the sync dies there."""


def crash_at(name: str, nth: int = 1) -> Callable[[str], None]:
    """A checkpoint hook that raises :class:`Crash` the ``nth`` time step ``name`` is reached."""
    seen: Counter[str] = Counter()

    def checkpoint(step: str) -> None:
        seen[step] += 1
        if step == name and seen[step] == nth:
            raise Crash(f"{step} #{nth}")

    return checkpoint


def strip_sync_marks(data: bytes) -> bytes:
    """A note's bytes without what a sync inserts: key links and ``^ps-`` block ids."""
    return BLOCK_ID.sub(b"", KEY_LINK.sub(b"", data))
