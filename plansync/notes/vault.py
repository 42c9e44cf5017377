"""Finding the notes of a vault: globs, Obsidian's own folders skipped, nothing outside the root.

A vault is whatever folder the config names. Scanning never follows a symlink whose target lies
outside it (write-back must never leave the vault, and reading is where that starts), skips
Obsidian's and git's folders, and turns unreadable, huge or binary files into warnings so one bad
file never stops a run.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, Field

from plansync.notes.model import AcceptancePolicy, Note, ParseWarning
from plansync.notes.parse import read_note

SKIPPED_DIRS = frozenset({".obsidian", ".trash", ".git", ".plansync"})


class Vault(BaseModel):
    """The notes found under a root, and what was passed over and why."""

    root: str
    notes: list[Note] = Field(default_factory=list)
    warnings: list[ParseWarning] = Field(default_factory=list)


def matches(relative: str, patterns: Sequence[str]) -> bool:
    """Glob match on a POSIX relative path where ``**/`` also matches no folder at all."""
    path = PurePosixPath(relative)
    for pattern in patterns:
        if path.match(pattern) or fnmatch.fnmatch(relative, pattern):
            return True
        if pattern.startswith("**/") and fnmatch.fnmatch(relative, pattern[3:]):
            return True
    return False


def is_inside(root: Path, path: Path) -> bool:
    """Whether ``path``, with every symlink resolved, lies under ``root`` (resolved)."""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def iter_note_files(
    root: Path,
    include: Sequence[str] = ("**/*.md",),
    exclude: Sequence[str] = (),
    warnings: list[ParseWarning] | None = None,
) -> Iterator[Path]:
    """Note files under ``root`` in a stable (sorted) order."""
    real_root = root.resolve()
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(directory)
        kept = []
        for name in sorted(dirnames):
            sub = here / name
            if name in SKIPPED_DIRS:
                continue
            if sub.is_symlink() and not is_inside(real_root, sub):
                if warnings is not None:
                    warnings.append(
                        ParseWarning(path=str(sub), message="symlink leaves the vault; skipped")
                    )
                continue
            kept.append(name)
        # os.walk does not descend into symlinked folders; those that stay inside are walked here.
        dirnames[:] = [n for n in kept if not (here / n).is_symlink()]
        for name in kept:
            if (here / name).is_symlink():
                yield from _walk_linked(root, here / name, include, exclude, warnings)
        for name in sorted(filenames):
            path = here / name
            relative = path.relative_to(root).as_posix()
            if not matches(relative, include) or matches(relative, exclude):
                continue
            if path.is_symlink() and not is_inside(real_root, path):
                if warnings is not None:
                    warnings.append(
                        ParseWarning(path=str(path), message="symlink leaves the vault; skipped")
                    )
                continue
            yield path


def _walk_linked(
    root: Path,
    link: Path,
    include: Sequence[str],
    exclude: Sequence[str],
    warnings: list[ParseWarning] | None,
) -> Iterator[Path]:
    target = link.resolve()
    for path in iter_note_files(target, include, exclude, warnings):
        yield link / path.relative_to(target)


def scan_vault(
    root: str | Path,
    *,
    include: Sequence[str] = ("**/*.md",),
    exclude: Sequence[str] = (),
    policy: AcceptancePolicy | None = None,
) -> Vault:
    """Parse every note under ``root``; note paths are relative to it, in POSIX form."""
    root = Path(root)
    vault = Vault(root=str(root))
    if root.is_file():
        found = read_note(root, display=root.name, policy=policy)
        _collect(vault, found)
        return vault
    for path in iter_note_files(root, include, exclude, vault.warnings):
        _collect(vault, read_note(path, display=path.relative_to(root).as_posix(), policy=policy))
    return vault


def _collect(vault: Vault, found: Note | ParseWarning) -> None:
    if isinstance(found, ParseWarning):
        vault.warnings.append(found)
    else:
        vault.notes.append(found)
