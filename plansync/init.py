"""``plansync init``'s work: a commented starter config written into a vault's folder, unless
the notes there are read by another config already (which would sync them twice).

The command only prints what :func:`write_starter` did or why it refused; a program that sets
up vaults calls it the same way.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import NamedTuple

from plansync.config import VaultConfig
from plansync.config_load import CONFIG_NAME, interpolate, read_toml
from plansync.display import counted, toml_string
from plansync.errors import ConfigError
from plansync.notes.tasks_plugin import TasksSettings, UnreadableSettings, tasks_settings
from plansync.notes.vault import files_named, hidden, left_out_by

_SYNCED_TWICE = (
    "synced with a second config, with a state store of its own, their issues and records"
    " would be made again"
)
"""Why a config is not written over notes another one reads."""


@dataclass(frozen=True)
class Written:
    """What :func:`write_starter` did: the config ``path`` it wrote, the vault's Obsidian Tasks
    settings (``plugin``; None: none found, or unreadable) whose global filter went into its
    [acceptance], and ``warnings``, each a line of what was not checked or read."""

    path: Path
    plugin: TasksSettings | None = None
    warnings: list[str] = field(default_factory=list)


def write_starter(directory: Path, force: bool = False) -> Written:
    """Write ``directory``/plansync.toml, the starter config (:func:`starter_config`).

    A :class:`ConfigError` refuses a ``directory`` that is no folder (a mistyped path is an
    error, not a new empty vault), or, unless ``force``, one that has a config already, or
    whose notes the vault of a config in a parent folder or in a folder below reads: synced
    with a second config, they would be synced twice. A config found there that cannot be read
    is a warning instead, as is a vault's Obsidian Tasks settings that cannot be read. An
    ``OSError`` names the file it could not write."""
    target = directory / CONFIG_NAME
    if not directory.is_dir():
        # Not made for it: a mistyped path would become a vault with no notes, planned as
        # nothing to do, exit 0.
        raise ConfigError(
            f"{directory.absolute()} is no folder: is the path mistyped? (for a new vault,"
            f" make it first: mkdir -p {shlex.quote(str(directory))})"
        )
    if target.exists() and not force:
        # Absolute: `init .` named only "plansync.toml", not which folder already has one.
        raise ConfigError(f"{target.absolute()} exists (use --force to overwrite)", source=target)
    warnings = [] if force else _not_read_elsewhere(directory)
    try:
        plugin = tasks_settings(directory)
    except UnreadableSettings as exc:
        warnings.append(f"{exc}: set [acceptance] global_filter as in Obsidian.")
        plugin = None
    target.write_text(starter_config(directory.resolve().name, plugin), encoding="utf-8")
    return Written(target, plugin, warnings)


def _not_read_elsewhere(directory: Path) -> list[str]:
    """Refuse ``directory`` whose notes another config reads (:func:`config_reading`,
    :func:`configs_within`); the warnings of those that could not be read, which are said,
    not refused: plan with that config names what is wrong with it."""
    unreadable: list[ConfigError] = []
    reading = config_reading(directory, unreadable)
    if reading is not None:
        raise ConfigError(
            f"{reading.config} reads the notes of {directory.absolute()} already (its vault"
            f" is {reading.vault}): {_SYNCED_TWICE}; plan with that config (--force writes"
            " one here all the same)",
            source=reading.config,
        )
    within = configs_within(directory, unreadable)
    if within:
        more = f" (and {counted(len(within) - 1, 'other')})" if len(within) > 1 else ""
        raise ConfigError(
            f"{within[0].config}{more} reads notes that a config in"
            f" {directory.absolute()} would read too (its vault is {within[0].vault}):"
            f" {_SYNCED_TWICE}; plan with that config (--force writes one here all the"
            " same, whose [vault] exclude can then leave its folder out)",
            source=within[0].config,
        )
    return [
        f"{exc}; not checked for reading the notes of {directory.absolute()}" for exc in unreadable
    ]


STARTER_FILTER = '# global_filter = "#task"\n# remove_global_filter = false\n'
"""The starter config's [acceptance] lines that :func:`starter_config` fills in from the
vault's Obsidian Tasks settings."""


def starter_config(vault_name: str, plugin: TasksSettings | None = None) -> str:
    """The commented starter config, naming the vault as its folder is named now, and reading
    tasks with the global filter of its Obsidian Tasks ``plugin`` (left commented out without
    one: every checkbox line is a task, as to the plugin)."""
    text = (files("plansync") / "templates" / "plansync.toml").read_text(encoding="utf-8")
    text = text.replace('name = "My Vault"', f"name = {toml_string(vault_name)}", 1)
    if plugin is None or not plugin.global_filter:
        return text
    settings = (
        f"global_filter = {toml_string(plugin.global_filter)}  # as Obsidian Tasks' settings\n"
        f"remove_global_filter = {'true' if plugin.remove_global_filter else 'false'}\n"
    )
    return text.replace(STARTER_FILTER, settings, 1)


class Overlap(NamedTuple):
    """Another ``plansync.toml`` whose vault reads notes a config being written would read."""

    config: Path
    vault: Path
    """The folder of its vault."""


def config_reading(folder: Path, unreadable: list[ConfigError]) -> Overlap | None:
    """The nearest ``plansync.toml`` of a parent folder whose vault reads the notes of
    ``folder``; None if none does.

    A second config in ``folder`` has a state store of its own: its sync made every issue
    and record of those notes again (or linked them anew), in a sandbox of its own. Only its
    ``[vault]`` is read (``${VAR}`` references with their defaults), as an unset token is no
    matter here; a parent config that cannot be read is passed over, and goes into
    ``unreadable``: passed over in silence, it left a user to find the overlap by a sync."""
    folder = folder.resolve()
    above = (parent / CONFIG_NAME for parent in folder.parents)
    for file, root, vault in _vaults_of((f for f in above if f.is_file()), unreadable):
        if _reads_notes_of(root, vault, folder):
            return Overlap(file, root)
    return None


def configs_within(folder: Path, unreadable: list[ConfigError]) -> list[Overlap]:
    """The ``plansync.toml`` files below ``folder`` (as a scan's walk finds them: not in
    hidden folders) whose vault reads notes that a starter config in ``folder`` would read
    too, or reads the notes of ``folder`` itself (a ``path`` up out of its own folder).
    Written over them, ``plansync init`` made two configs of the same notes, each with a
    state store of its own, as :func:`config_reading` says the other way round. Those that
    cannot be read go into ``unreadable``."""
    folder = folder.resolve()
    starter = VaultConfig()  # plansync init's [vault]: its folder, every note but templates'
    below = (f for f in files_named(folder, CONFIG_NAME) if f.parent.resolve() != folder)
    return [
        Overlap(file, root)
        for file, root, vault in _vaults_of(below, unreadable)
        if _reads_notes_of(folder, starter, root) or _reads_notes_of(root, vault, folder)
    ]


def _vaults_of(
    files: Iterable[Path], unreadable: list[ConfigError]
) -> Iterator[tuple[Path, Path, VaultConfig]]:
    """(file, its vault's folder, its ``[vault]``) of each config file, lazily (the nearest
    overlap ends the search); one that cannot be read goes into ``unreadable``."""
    for file in files:
        try:
            root, vault = _vault_of(file)
        except ConfigError as exc:
            unreadable.append(exc)
            continue
        yield file, root, vault


def _vault_of(file: Path) -> tuple[Path, VaultConfig]:
    """The folder of the vault a config ``file`` reads, and its ``[vault]``; a
    :class:`ConfigError` naming the file if it cannot be read."""
    try:
        raw = read_toml(file).get("vault", {})
        vault = VaultConfig.model_validate(interpolate(raw, []))
    except ConfigError as exc:
        said = str(exc)
        raise ConfigError(
            said if said.startswith(str(file)) else f"{file}: {said}",
            source=file,
            key=f"vault.{exc.key}" if exc.key else None,  # the key of the [vault] read alone
            line=exc.line,
        ) from None
    return (file.parent / Path(vault.path).expanduser()).resolve(), vault


def _reads_notes_of(root: Path, vault: VaultConfig, folder: Path) -> bool:
    """Whether ``vault``, at ``root``, reads a note right in ``folder`` (resolved both)."""
    try:
        inside = folder.relative_to(root)
    except ValueError:
        return False
    if any(hidden(part) for part in inside.parts):
        return False
    return left_out_by((inside / "note.md").as_posix(), vault.include, vault.exclude) is None
