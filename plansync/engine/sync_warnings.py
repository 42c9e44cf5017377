"""The list of a sync's warnings kept in the state folder: what a report's count of warnings of
a kind (``warning: likewise 317 more notes``) points to.

A sync says its own warnings once (a cancel Jira held as done is taken as synced), and no later
command says them again: so when its report lists a few of a kind and counts the rest, every one
of them is kept here, and every other sync removes an earlier one's list, which would be taken
for its own. Kept by :func:`plansync.sync.apply` for every sync, the library's as the command's:
a library sync left an earlier command's list in place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from plansync.display import one_line
from plansync.engine.render import counts_any
from plansync.files import remove_abandoned, replace_whole, temps_of

if TYPE_CHECKING:  # the engine's apply brings the connectors; the list needs none of them
    from plansync.engine.result import Result

SYNC_WARNINGS = "sync-warnings.txt"
"""The list's name in the state folder."""

_SUFFIX = ".partial"
"""Ends the name of the file the list is written into before it is renamed."""


@dataclass(frozen=True)
class SyncWarningsFile:
    """The file of a state folder that lists every warning of the last sync whose report counts
    some of a kind (:func:`~plansync.engine.render.counts_any`), and no other's.

    Kept under the run lock, so a sync that started after another cannot have its list replaced
    by the older one's; written whole (:func:`plansync.files.replace_whole`), so a reader never
    sees half of it. A sync that raised or was refused leaves it as it was."""

    path: Path

    @classmethod
    def of(cls, state_dir: Path) -> SyncWarningsFile:
        """The list of the state folder ``state_dir``."""
        return cls(state_dir / SYNC_WARNINGS)

    def keep(self, result: Result) -> None:
        """Write every warning of ``result`` when its report counts some of a kind, else remove
        an earlier sync's list. A full disk (or a folder in the file's place) is one more
        warning of ``result``, never an error of a sync that applied its changes."""
        listed = counts_any(result.warning_details)
        try:
            remove_abandoned(temps_of(self.path, _SUFFIX))
            if listed:
                replace_whole(self.path, self._text(result).encode("utf-8"), suffix=_SUFFIX)
            else:
                self.path.unlink(missing_ok=True)
        except OSError as exc:
            why = exc.strerror or str(exc)
            if listed:
                result.warn(
                    f"cannot write {self.path} ({why}): the warnings counted are listed nowhere"
                )
            else:
                result.warn(
                    f"cannot remove {self.path} ({why}): it lists an earlier sync's warnings"
                )

    def lists(self, result: Result) -> bool:
        """Whether the file holds every warning of ``result`` (:meth:`keep` wrote them there),
        so that its report's counts may name it; not when they could not be written."""
        try:
            return self.path.read_text("utf-8") == self._text(result)
        except (OSError, UnicodeDecodeError):
            return False

    @staticmethod
    def _text(result: Result) -> str:
        return "".join(f"{one_line(warning)}\n" for warning in result.warnings)
