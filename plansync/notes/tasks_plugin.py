"""The Obsidian Tasks plugin's own settings in a vault: its global filter.

The plugin keeps its settings in ``.obsidian/plugins/obsidian-tasks-plugin/data.json`` of the
vault: ``globalFilter`` (a checkbox line without that text is a plain checklist item, no task)
and ``removeGlobalFilter`` ("Remove global filter from description"). plansync reads notes by
its config's ``[acceptance]`` instead, the same for a library caller and in a copy of the vault
without its ``.obsidian/``; ``init`` copies the two settings into the config it writes, and a
plan warns when the config reads tasks otherwise than the plugin does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from plansync.notes.model import AcceptancePolicy

SETTINGS_FILE = Path(".obsidian", "plugins", "obsidian-tasks-plugin", "data.json")
"""Where the plugin's settings are, relative to the vault's folder (Obsidian's default
configuration folder, ``.obsidian``)."""


class UnreadableSettings(ValueError):
    """The plugin's settings file is there but says nothing plansync can read (not JSON, or
    a ``globalFilter`` that is no text): a warning to the user, never a failure of the run."""


@dataclass(frozen=True)
class TasksSettings:
    """The global filter settings of the plugin, and the file they were read from."""

    file: Path
    global_filter: str
    remove_global_filter: bool

    def differs_from(self, policy: AcceptancePolicy) -> bool:
        """Whether ``policy`` reads a vault's tasks otherwise than the plugin: another filter,
        or the filter left in (or out of) the items' text where the plugin does not. Without a
        filter, whether it is removed changes nothing."""
        if policy.global_filter != self.global_filter:
            return True
        return bool(self.global_filter) and (
            policy.remove_global_filter != self.remove_global_filter
        )

    def described(self) -> str:
        """The settings as a message names them (see :func:`filter_described`)."""
        return filter_described(self.global_filter, self.remove_global_filter)


def filter_described(global_filter: str, removed: bool) -> str:
    """A global filter setting as a message names it, the plugin's and a config's alike."""
    if not global_filter:
        return "no global filter"
    return f"global filter {global_filter!r}" + (" (removed from the text)" if removed else "")


def tasks_settings(folder: Path) -> TasksSettings | None:
    """The plugin's settings of the Obsidian vault ``folder`` is in: the nearest of it and its
    parents that holds an ``.obsidian`` folder (a config may read a vault's subfolder). None
    where there is no such vault, or its Tasks plugin has no settings file.

    Raises :class:`UnreadableSettings`, naming the file, for a file that is not the plugin's
    JSON object."""
    folder = folder.resolve()
    vault = next((f for f in (folder, *folder.parents) if (f / ".obsidian").is_dir()), None)
    if vault is None:
        return None
    file = vault / SETTINGS_FILE
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnreadableSettings(f"{file}: not readable as JSON ({exc})") from None
    if not isinstance(data, dict):
        raise UnreadableSettings(f"{file}: not a JSON object")
    global_filter = data.get("globalFilter", "")
    remove = data.get("removeGlobalFilter", False)
    if not isinstance(global_filter, str) or not isinstance(remove, bool):
        raise UnreadableSettings(
            f"{file}: globalFilter is not text, or removeGlobalFilter not true or false"
        )
    return TasksSettings(file=file, global_filter=global_filter, remove_global_filter=remove)
