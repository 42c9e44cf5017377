"""Replacing a file whole, and removing the temporary files of runs killed while they did.

Write-back replaces notes and ``plan --out`` saves plans the one way :func:`replace_whole`
does: the new bytes go into a temporary file beside the old one, to disk, then are renamed
over it, so that a run cut short (Ctrl-C, a full disk, a power cut) never leaves a file half
written in its place. A run killed between the write and the rename (SIGKILL, a power cut)
leaves the temporary file behind, with no ``finally`` to remove it: a later run does
(:func:`remove_abandoned`), once it is old enough not to be another run's, still writing.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

ABANDONED_AFTER = 600.0
"""Seconds since a temporary file was last written before a run takes it for one a killed run
left, and removes it.

The run lock rules out this state store's own runs, but not a sync of another config over the
same vault (nor another ``plan --out`` to the same file), whose file lives from its creation
to its rename: milliseconds on a local disk, longer while an ``fsync`` stalls on a network
drive. Ten minutes is far past any write that still ends well, and past the clock skew of a
file server that stamps the times. A live file removed all the same costs that run one file
(its rename fails and it says so), never the file's old bytes; a dead one kept waits for the
next run."""


def is_special(path: Path) -> bool:
    """Whether ``path`` is there and is no regular file: ``/dev/null``, ``/dev/stdout``, a pipe
    (``--out >(jq .)``). Such a file is written into as it is: never read first (a pipe's read
    waits for ever) and never replaced (as root, a rename replaced ``/dev/null`` itself)."""
    try:
        return not stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def replace_whole(path: Path, data: bytes, *, suffix: str, expected: bytes | None = None) -> bool:
    """Replace the file ``path`` (or make it) with ``data`` at once, with its permissions;
    unless ``expected`` is given and the file no longer holds it once ``data`` is on disk
    (someone saved it meanwhile): then ``path`` is left as it is, and False returned.

    ``path`` is the file itself: a symlink is resolved by the caller, or replaced by a file.
    The temporary file is ``.NAME.RANDOM`` + ``suffix``, made anew (never another run's,
    writing the same file), readable only by its owner until it has ``path``'s permissions;
    it is removed if the rename does not happen, whatever stopped it.
    """
    try:
        mode: int | None = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = None  # a new file: the permissions every new file gets (the umask's)
    temp, fd = _new_temp(path, suffix, 0o666 if mode is None else 0o600)
    renamed = False
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        if expected is not None and path.read_bytes() != expected:
            return False
        temp.replace(path)
        renamed = True
        return True
    finally:
        if not renamed:
            with suppress(OSError):  # the error that stopped the write is the one to tell
                temp.unlink()


TEMP_ATTEMPTS = 100
"""How many random names :func:`_new_temp` tries: another file has one only by a fluke."""


def _new_temp(path: Path, suffix: str, mode: int) -> tuple[Path, int]:
    """A new file beside ``path`` for its new bytes, and its descriptor: ``.NAME.`` + 8 random
    letters and digits + ``suffix``, as :func:`tempfile.mkstemp` names one (which the vault's
    walk looks for, :func:`plansync.notes.vault.write_temp_for`), but with ``mode``:
    mkstemp's is always 0o600, which a new file would keep."""
    for _ in range(TEMP_ATTEMPTS):
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{suffix}")
        try:
            return temp, os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free name for a temporary file beside {path}")


def temps_of(path: Path, suffix: str) -> list[Path]:
    """The temporary files beside ``path`` that :func:`replace_whole` names for it with
    ``suffix``, whoever made them, and those named for a process id (``.NAME.4452`` +
    ``suffix``), as plansync named a saved plan's before; none if its folder cannot be read."""
    named = re.compile(re.escape(f".{path.name}.") + r"[a-z0-9]+" + re.escape(suffix))
    try:
        with os.scandir(path.parent) as entries:
            return [Path(entry.path) for entry in entries if named.fullmatch(entry.name)]
    except OSError:
        return []


def is_abandoned(path: Path, now: float) -> bool:
    """Whether ``path`` is a regular file (not a link, which may point anywhere) untouched for
    :data:`ABANDONED_AFTER` at ``now``; not if it is gone already (the other run renamed it) or
    cannot be looked at."""
    try:
        found = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(found.st_mode) and now - found.st_mtime >= ABANDONED_AFTER


def remove_abandoned(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[Path, OSError]]]:
    """(removed, failed): each of ``paths`` that :func:`is_abandoned` takes is removed; one
    that cannot be is in ``failed`` with why, and the others are removed all the same. One gone
    meanwhile is neither."""
    now = time.time()
    removed: list[Path] = []
    failed: list[tuple[Path, OSError]] = []
    for path in paths:
        if not is_abandoned(path, now):
            continue
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            failed.append((path, exc))
            continue
        removed.append(path)
    return removed, failed
