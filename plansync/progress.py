"""How a long step says how far it got: ``progress(step, done, total)``, called before each
batch and once at the end, so a caller (the CLI's stderr lines) can tell a slow run from a hung
one. The library reports; printing, and how often, is the caller's choice: the command line's
is :class:`ProgressLine`.

A :data:`Progress` is given to ``plansync.scan_vault``, ``plan``, ``apply`` and ``forget``, and
called in the calling thread; ``done`` counts the things of ``step`` done of ``total`` (0 at
its start; ``total`` at its end; never for a step with nothing to do). The steps, in the order
a sync reaches them (``plan`` and ``forget``: up to the look-ups and planning):

- ``reading notes`` (notes), ``checking ids in notes`` (notes),
  ``reading keys in lines`` (items with a key link);
- ``looking up ids in Jira``, ``looking up ids in Salesforce`` (block ids),
  ``planning for Jira``, ``planning for Salesforce`` (items);
- ``writing ids into notes`` (notes), ``create in jira``, ``create in salesforce``,
  ``writing keys into notes`` (notes), ``link in jira``, ``update in jira``,
  ``update in salesforce``, ``transition in jira``, ``transition in salesforce`` (changes).

The names are for a person to read: a program shows them as they are, and does not branch
on them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

Progress = Callable[[str, int, int], None]
"""``progress(step, done, total)``: how far a long step got (see the module's docstring)."""

_T = TypeVar("_T")


def silent(step: str, done: int, total: int) -> None:
    """The progress of a caller that asked for none."""


def reported(progress: Progress, step: str, items: Sequence[_T], every: int) -> Iterator[_T]:
    """``items`` one by one, ``progress`` told before each ``every`` of them and at the end
    (never for none): without it, planning and writing ids into 2,000 notes would be ~21 s
    of silence, which reads as a hang."""
    for done, item in enumerate(items):
        if done % every == 0:
            progress(step, done, len(items))
        yield item
    if items:
        progress(step, len(items), len(items))


def reported_batches(
    progress: Progress, step: str, items: Sequence[_T], size: int
) -> Iterator[list[_T]]:
    """``items``, ``size`` at a time, ``progress`` told before each batch and at the end (never
    for none): a step that makes one request a batch (the plan's look-ups, apply's calls)
    says how far it got between them, as a long silence reads as a hang."""
    for done in range(0, len(items), size):
        progress(step, done, len(items))
        yield list(items[done : done + size])
    if items:
        progress(step, len(items), len(items))


ERASE = "\r\x1b[K"
"""Back to the start of the line, and erase it to its end: what rewrites a line in place."""

EVERY_LINE = 2.0
"""Seconds between two progress lines of one step: a sync of 40,000 items has 800 batches."""

EVERY_IN_PLACE = 0.25
"""Seconds between two reports of one step rewritten in place: they fill no log, so they can
follow a step closely, but no faster than they can be read."""


class ProgressLine:
    """What the command line writes to stderr of a run's progress, worked out apart from the
    writing, so that it reads as text in a test: :meth:`update` and :meth:`end` return it.

    A report is shown for a step of 50 things or more, once its first batch is done, as often
    as :data:`EVERY_LINE` (or :data:`EVERY_IN_PLACE`) lets through, and at the step's end. Not
    at its start (``0/N``): a step whose first request fails (a rejected token, Jira down)
    would read as under way, and the error after it as that step's, though it may be
    another's ("looking up ids in Jira: 0/1025", then a 401 on "reading the server info"). A
    first batch is one request (a create) to a few (ten searches, 50 links four at a time), so
    a long step still says how far it got within seconds.

    ``in_place`` (stderr a terminal that can erase): one line, rewritten (:data:`ERASE`) by
    each report, every step's on the same line, and :meth:`end` ends it with a line feed before
    anything else is written (a warning, the plan, an error) and at the end of the run, so that
    nothing starts in the middle of it. Otherwise (a CI log, a pipe, a file, where the escape
    would show as junk): a line a report. Made once a run: when a step was last shown was kept
    for the whole process, so a program or a test running the command twice had the second
    run's lines held back, as if its steps had been shown two seconds before.
    """

    def __init__(self, *, in_place: bool) -> None:
        self.in_place = in_place
        self._every = EVERY_IN_PLACE if in_place else EVERY_LINE
        self._shown: dict[str, float] = {}  # step -> when its last report was shown
        self._open = False  # a line in place is shown, the cursor at its end

    def update(self, step: str, done: int, total: int, now: float) -> str:
        """What to write for the report ``done`` of ``total`` of ``step`` at time ``now`` (in
        seconds, of any clock that only goes forward): "" for one not shown."""
        if total < 50 or done == 0:
            return ""
        last = self._shown.get(step)
        if 0 < done < total and last is not None and now - last < self._every:
            return ""
        self._shown[step] = now
        text = f"  {step}: {done}/{total}"
        if not self.in_place:
            return text + "\n"
        rewrite = ERASE if self._open else ""
        self._open = True
        return rewrite + text

    def end(self) -> str:
        """What to write before anything else, and at the end of the run: the line feed that
        ends a line shown in place (its last report stays), or "" where none is open."""
        ended, self._open = self._open, False
        return "\n" if ended else ""
