"""The run lock: one sync or forget at a time per state folder.

A run reads the store's bases, asks the backends, creates what is new, writes keys back into
the notes and stores the records; a second run doing the same at once would read the same
bases, create the same items again (the journal tells a dead run's creates from new ones, not
a live run's) and write the same note lines. SQLite's own locking covers a single transaction,
not that whole sequence, so a run holds an ``flock`` on ``<dir>/lock`` from start to end; the
kernel lets go of it with a killed process. A second run fails with a message naming the holder
(the lock file says who), at once or after the wait it was given (overlapping cron runs). The
lock is apart from the store (:mod:`plansync.engine.state`) because it guards the run, not the
database: a plan reads the store without it, :func:`running_sync` looks at it without opening
the store, and its mechanics (threads, forked children, the holder's name) are no part of
storing records. :func:`open_state` is where the two meet: the store opened under the lock.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import IO, Literal

from plansync.callers import LIBRARY, Caller
from plansync.engine.state import StateError, StateStore, make_state_folder
from plansync.errors import PlansyncError
from plansync.logs import logger


class StateLocked(PlansyncError):
    """Another plansync run holds this state store. ``path``: its lock file; ``pid``: the
    process that holds it, as the lock file names it (None when it names none yet: a run of
    another process that has just taken it), which may be this very process's (another
    thread's call, or one not finished) or, on a folder shared between machines, another
    machine's."""

    def __init__(self, message: str, *, path: Path | None = None, pid: int | None = None):
        super().__init__(message)
        self.path = path
        self.pid = pid


_log = logger(__name__)

LOCK_POLL_S = 0.25
"""How often a run waiting for the lock tries it again."""
_sleep, _clock = time.sleep, time.monotonic  # how a waiting run waits (a test's, instantly)

RunKind = Literal["sync", "forget"]
_HOLDER_NAMED: dict[RunKind, str] = {"sync": "", "forget": "forget, "}
"""How the lock file names the run that holds it: a sync by its pid alone, the words
:func:`running_sync` gives a plan; a forget marked as one, which a plan does not report."""


@contextmanager
def run_lock(
    directory: Path, *, wait: float = 0, doing: RunKind = "sync", caller: Caller = LIBRARY
) -> Iterator[None]:
    """Hold the store's lock for a whole run; fail if another run holds it ``wait`` seconds
    from now (at once by default: a person at the terminal wants to know; cron, whose runs
    may overlap, asks to wait), saying how to wait in ``caller``'s words. ``doing``: what the
    run does, told to those it keeps out."""
    path = directory / "lock"
    try:
        make_state_folder(directory)
        handle = open(path, "a+")  # noqa: SIM115 - held open for the whole run
    except OSError as exc:  # a file in the folder's place, a read-only vault
        if isinstance(exc, FileExistsError) or (directory.exists() and not directory.is_dir()):
            raise StateError(
                f"{directory} is a file, not a folder: plansync keeps its state and lock there;"
                " move the file away",
                path=directory,
            ) from None
        advice = (
            f" (fix the permissions of {directory}: a sync writes its state there)"
            if isinstance(exc, PermissionError) or exc.errno == errno.EROFS
            else ""
        )
        raise StateError(
            f"cannot take the run lock {path}: {exc.strerror or exc}{advice}", path=path
        ) from None
    try:
        _take(handle, path, wait, caller, doing)
    except BaseException:
        # Not taken, or taken but not named its holder: let go (the handle's flock goes with
        # it), unregistered. A write that failed fails the flush of the close again.
        with suppress(OSError):
            handle.close()
        raise
    try:
        yield
    finally:
        _let_go(handle)


_HELD_HERE: set[tuple[int, int, int]] = set()
"""The locks this process holds (:func:`_lock_held`): the pid in a lock file cannot tell, as
another machine or container sharing the folder may run a process of the same pid."""

_TAKING = threading.Lock()
"""Held while this process takes a lock and names itself its holder, while it lets one go,
and while a thread refused one says who holds it: so that a refused thread never looks
between another thread's ``flock`` and its lock file written (an empty file: "another
process") or :data:`_HELD_HERE` told (this process's call taken for another run's), a window
that threads syncing at once meet often."""


def _fresh_taking_lock() -> None:
    """A forked child's own :data:`_TAKING`: a thread of its parent's that held it is not in
    the child to let it go."""
    global _TAKING
    _TAKING = threading.Lock()


os.register_at_fork(after_in_child=_fresh_taking_lock)


def _let_go(handle: IO[str]) -> None:
    """Let go of the lock ``handle`` holds, and forget that this process holds it."""
    with _TAKING:
        _HELD_HERE.discard(_lock_held(handle))
        handle.close()


def _lock_held(handle: IO[str]) -> tuple[int, int, int]:
    """A lock file as this process holds it: its pid (a forked child, which inherits
    :data:`_HELD_HERE`, holds none of its parent's locks) and the file, whatever the path that
    reached it."""
    found = os.fstat(handle.fileno())
    return os.getpid(), found.st_dev, found.st_ino


def _take(handle: IO[str], path: Path, wait: float, caller: Caller, doing: RunKind) -> None:
    """Take the lock on ``handle``, trying again until ``wait`` seconds have passed, and name
    this run its holder in the lock file."""
    if not wait >= 0:  # nan too: its deadline would never come
        raise ValueError(f"wait must be a number of seconds, 0 or more, not {wait!r}")
    deadline = _clock() + wait
    said = False
    while True:
        with _TAKING:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(handle)
                held_by = _held_by(handle, holder)
            else:
                _name_holder(handle, path, doing)
                # Registered once named only: a write that fails (a full disk, Ctrl-C) lets
                # the lock go, and a registration left behind would make every later refusal
                # of this process's runs say the lock was "a plansync call of this process".
                _HELD_HERE.add(_lock_held(handle))
                return
        left = deadline - _clock()
        if left <= 0:
            break
        if not said:  # a run that waits in silence reads as a hang
            _log.warning("%s holds the lock %s; waiting up to %g s for it", held_by, path, wait)
            said = True
        _sleep(min(LOCK_POLL_S, left))
    waited = f" after {wait:g} s of waiting" if wait > 0 else ""
    advice = "" if wait > 0 else f", or give {caller.option('wait', 'SECONDS')}"
    pid = re.search(r"\bpid (\d+)", holder)
    raise StateLocked(
        f"{held_by} holds the lock {path}{waited}; wait for it to finish{advice}",
        path=path,
        pid=int(pid[1]) if pid else None,
    ) from None


def _name_holder(handle: IO[str], path: Path, doing: RunKind) -> None:
    """Name this run the holder of the lock ``handle`` holds, in its file ``path``, for the
    runs it keeps out to say who holds it."""
    try:
        handle.seek(0)
        handle.truncate()
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        handle.write(f"{_HOLDER_NAMED[doing]}pid {os.getpid()}, started {started}")
        handle.flush()
    except OSError as exc:
        raise StateError(
            f"cannot write the run lock {path}: {exc.strerror or exc}", path=path
        ) from None


def _held_by(handle: IO[str], holder: str) -> str:
    """Who holds the lock, said as the subject of a message: another run, or a call of this
    very process (another thread's, or one not finished, such as a ``confirm`` callback
    calling ``apply``), which "another plansync run (pid <our own pid>)" would puzzle.
    ``holder``: the lock file's words (:func:`_holder`)."""
    if _lock_held(handle) in _HELD_HERE:
        return (
            f"a plansync call of this process ({holder}: another thread's, or an earlier call"
            " not finished)"
        )
    return f"another plansync run ({holder})"


def _holder(handle: IO[str]) -> str:
    """The run that holds the lock, as its lock file names it."""
    handle.seek(0)
    return handle.read().strip() or "another process"


def running_sync(directory: Path) -> str | None:
    """Which sync holds the run lock (``"pid 123, started …"``), or None when none does.

    Only looks: a plan takes no lock and creates nothing, but one made while a sync runs
    shows that sync's work half done (creates it is making, updates of records it has not
    yet recorded), so the plan says so. A ``forget`` holding it changes nothing a plan shows
    until it is done, at once.
    """
    try:
        handle = open(directory / "lock")  # noqa: SIM115 - closed below
    except OSError:  # no lock file: no run has ever held it here
        return None
    # Under _TAKING: a sync of this process refused the lock while this looks would name a
    # finished run, from its lock file, as the holder.
    with handle, _TAKING:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            return None if holder.startswith(_HOLDER_NAMED["forget"]) else holder
        except OSError:
            return None
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


@contextmanager
def open_state(
    directory: Path,
    *,
    lock: bool = True,
    wait: float = 0,
    doing: RunKind = "sync",
    caller: Caller = LIBRARY,
) -> Iterator[StateStore]:
    """The state store under the run lock (see :func:`run_lock`); without ``lock``,
    read-only (for planning)."""
    with run_lock(directory, wait=wait, doing=doing, caller=caller) if lock else nullcontext():
        store = StateStore(directory, readonly=not lock)
        try:
            yield store
        finally:
            store.close()
