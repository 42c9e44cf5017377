"""Finding the notes of a vault: globs, hidden (dot) entries skipped, nothing outside the root.

A vault is whatever folder the config names. Scanning never follows a symlink whose target lies
outside it (write-back must never leave the vault, and reading is where that starts), skips
what Obsidian hides (its own folder, the trash, git, any name starting with a dot), and turns
unreadable, huge or binary files into warnings so one bad file never stops a run. Among the
hidden files it passes over, it notes write-back's temporary files (see
:data:`WRITE_TEMP_SUFFIX`), which a run killed mid-write leaves behind.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import BaseModel, Field

from plansync.errors import wrong_type
from plansync.notes.model import AcceptancePolicy, Note, ParseWarning, note_name
from plansync.notes.parse import check_policy, read_note
from plansync.progress import Progress, reported, silent

WRITE_TEMP_SUFFIX = ".plansync-tmp"
"""Ends the name of the file write-back puts a note's new bytes in before renaming it over the
note: ``.`` + the note's name + ``.`` + 8 random characters + this
(:func:`plansync.files.replace_whole`, as :func:`tempfile.mkstemp` names its files).
Defined here rather than in :mod:`.writeback` (which imports this module) so that the walk can
tell those files from every other hidden one."""
_WRITE_TEMP = re.compile(r"\.(.+)\.[a-z0-9_]{8}" + re.escape(WRITE_TEMP_SUFFIX), re.DOTALL)


def write_temp_for(name: str) -> str | None:
    """The name of the note whose new bytes a file of this name held, if it is one of
    write-back's temporary files, and nothing else's: an editor's swap file (``.a.md.swp``) or
    a copy someone made (``.a.plansync-tmp.bak``) is not."""
    # The suffix first: a vault's other hidden files (.DS_Store, swap files) never reach the
    # regex, which costs ~1 µs a name.
    found = name.endswith(WRITE_TEMP_SUFFIX) and _WRITE_TEMP.fullmatch(name)
    return found[1] if found else None


NOTES_A_STEP = 500
"""Notes read between two reports to ``scan_vault``'s progress."""


def hidden(name: str) -> bool:
    """Whether Obsidian leaves an entry out of the vault: it neither shows nor indexes a file or
    folder whose name starts with a dot, so the Tasks plugin never reads one. Sync tools keep
    old copies of notes there (Syncthing's ``.stversions``), with the same block ids."""
    return name.startswith(".")


class Vault(BaseModel):
    """The notes found under a root, and what was passed over and why."""

    root: str
    notes: list[Note] = Field(default_factory=list)
    warnings: list[ParseWarning] = Field(default_factory=list)
    write_temps: list[str] = Field(
        default_factory=list,
        description="write-back's temporary files the walk passed (regular files, by POSIX path"
        " relative to the root): a sync removes those that a killed run left",
    )


@lru_cache(maxsize=256)
def glob_pattern(glob: str, *, contents: bool = False) -> re.Pattern[str]:
    """A glob over POSIX relative paths: ``*`` and ``?`` stay within a folder, ``**/`` spans
    any number of folders (none included), as in gitignore and Obsidian's own settings. Every
    glob is from the root: a leading ``/`` (gitignore's anchor to the root, ``/templates``)
    says so again, where it would match nothing, silently.

    The path is spelt as a shell would take it: ``./Meetings`` and ``Meetings//x.md`` are
    ``Meetings`` and ``Meetings/x.md`` (:func:`_plain`), where they would match nothing,
    silently: no path a scan names has an empty or ``.`` part for them to mean else.

    With ``contents``, a glob that matches a folder matches everything in it too, as a line
    of a .gitignore does: ``templates`` and ``templates/`` are ``templates/**``, and ``.`` or
    ``/`` (the vault's own folder) is ``**``. For the excluded globs, where a folder's name alone
    would leave out nothing, silently."""
    given, glob = glob, _plain(glob)
    if contents:
        glob = glob.rstrip("/") or ("**" if given else "")  # "" (a slip) stays nothing's
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out) + (r"(?:/.*)?\Z" if contents else r"\Z"))


def _plain(glob: str) -> str:
    """``glob`` without the parts that name no step in a path: empty ones (a leading ``/``,
    ``//``) and ``.``, a trailing ``/`` kept (a folder's, which :func:`glob_pattern` reads)."""
    parts = [part for part in glob.split("/") if part not in ("", ".")]
    return "/".join(parts) + ("/" if parts and glob.endswith("/") else "")


def printable(text: str) -> str:
    """``text`` with the bytes of a file name that are not UTF-8 shown as U+FFFD.

    Python keeps such bytes as lone surrogates, which no UTF-8 output can hold: printing one
    raises UnicodeEncodeError (under any locale but C), and JSON, URLs and SQLite refuse them.
    """
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def matches(relative: str, patterns: Sequence[str], *, contents: bool = False) -> bool:
    """Whether one of the globs matches ``relative`` (see :func:`glob_pattern`)."""
    return any(glob_pattern(p, contents=contents).match(relative) for p in patterns)


def is_inside(root: Path, path: Path) -> bool:
    """Whether ``path``, with every symlink resolved, lies under ``root`` (resolved)."""
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, RuntimeError, OSError):
        # RuntimeError: a loop of links (``resolve`` raises it before Python 3.13); a path
        # that resolves nowhere is not known to be inside.
        return False
    return True


def _note_files(
    root: Path,
    include: Sequence[str],
    exclude: Sequence[str],
    warnings: list[ParseWarning],
    write_temps: list[str],
) -> Iterator[tuple[str, str]]:
    """Note files under ``root`` in a stable order, each real file once, with its path
    relative to ``root`` in POSIX form.

    Symlinks are followed only while they stay inside the vault; a folder or file reached
    twice through links (a loop, an alias) is read once.
    """
    return _vault_files(
        root,
        lambda relative: left_out_by(relative, include, exclude) is None,
        warnings,
        write_temps,
    )


class LeftOut(NamedTuple):
    """Why the config's globs leave a file out of a scan (:func:`left_out_by`)."""

    by: Literal["include", "exclude"]
    """``"include"``: none of the included globs takes it; ``"exclude"``: one excluded does."""
    glob: str | None
    """The excluded glob that takes it (the first, as written); None for ``"include"``."""


def left_out_by(relative: str, include: Sequence[str], exclude: Sequence[str]) -> LeftOut | None:
    """Which of these globs leave the file at ``relative`` out of a scan: none of the included
    ones takes it, or an excluded one does, or takes a folder it is in (named, so that a plan
    can say which). None: a scan reads it, if its walk finds it. Folders as in a .gitignore: an
    excluded one leaves out its contents, an included one takes its notes (``.md``; ``include =
    ["Meetings"]`` read an empty vault, silently for :func:`scan_vault`), though not its
    attachments, images and PDFs.

    The one rule for the scan (:func:`_note_files`) and for a plan saying why a note was not
    read (:mod:`plansync.engine.orphans`), so the two never disagree."""
    taken = matches(relative, include) or (
        relative.lower().endswith(".md") and matches(relative, include, contents=True)
    )
    if not taken:
        return LeftOut("include", None)
    for glob in exclude:
        if glob_pattern(glob, contents=True).match(relative):
            return LeftOut("exclude", glob)
    return None


def markdown_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Every Markdown file under ``root``, read by a scan or not (an ``Archive/`` folder the
    config leaves out), with its path relative to ``root``: where a line moved out of a note
    may have gone. Found by the scan's own walk, so what it never looks at (hidden folders,
    symlinks leaving the vault) stays unlooked at here too; what it would warn about again is
    not reported twice."""
    for path, relative in _vault_files(root, lambda relative: relative.lower().endswith(".md"), []):
        yield Path(path), relative


def files_named(root: Path, name: str) -> Iterator[Path]:
    """Every file named ``name`` under ``root`` (a ``plansync.toml``), found by the scan's own
    walk: none in a hidden folder, none through a symlink leaving ``root``."""
    for path, _ in _vault_files(root, lambda relative: relative.rpartition("/")[2] == name, []):
        yield Path(path)


def _vault_files(
    root: Path,
    take: Callable[[str], bool],
    warnings: list[ParseWarning],
    write_temps: list[str] | None = None,
) -> Iterator[tuple[str, str]]:
    """The files under ``root`` whose POSIX path relative to it ``take`` accepts, with that
    path (in NFC: :func:`note_name`), in a stable order, each real file once; hidden entries and
    symlinks leaving the vault skipped. Each file by its path as a string: a ``Path`` made for
    each note, and printed again to open it, would cost more than the rest of the walk. Of two files
    (or folders) whose names differ only in their Unicode normalisation (possible where the
    file system keeps both), the one not named in NFC is skipped with a warning: both would be
    one note, and its ids written back into the other. The one named in NFC is read, as
    :func:`note_file` finds the note's file first by that name, for a check and a write-back to
    open the file that was read.

    The hidden regular files named as write-back's temporary files go into ``write_temps`` (by
    their names on disk): looked for only among the entries skipped anyway, the scan finds them
    for a sync without a second walk of the vault, and at no cost for the notes.

    Only symlinks are resolved: an entry that is not a link, in a folder whose real path is
    known, has that folder's real path plus its name as its own (one ``realpath`` per file
    would be the most expensive part of a scan).
    """
    real_root = root.resolve()
    seen: set[str] = set()
    named: set[str] = set()

    def walk(folder: str, real_folder: str, prefix: str) -> Iterator[tuple[str, str]]:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            # Relative to the vault, as every warning is; the root as it was given.
            shown = printable(prefix.removesuffix("/") or folder)
            warnings.append(ParseWarning(path=shown, message=f"cannot be listed ({exc.strerror})"))
            return
        names: set[str] | None = None
        # os.path.join's own rule, once a folder: a name holds no "/".
        real_base = real_folder if real_folder.endswith("/") else real_folder + "/"
        for entry in entries:
            if hidden(entry.name):
                if (
                    write_temps is not None
                    and (note := write_temp_for(entry.name))
                    and take(prefix + note)  # not beside the notes of an excluded folder
                    and entry.is_file(follow_symlinks=False)
                ):
                    write_temps.append(prefix + entry.name)
                continue
            if not entry.name.isascii() and (nfc := note_name(entry.name)) != entry.name:
                names = names if names is not None else {e.name for e in entries}
                if nfc in names:
                    message = f"named as {prefix}{nfc} but for its Unicode normalisation; skipped"
                    warnings.append(
                        ParseWarning(path=printable(prefix + entry.name), message=message)
                    )
                    continue
            if entry.is_symlink():
                shown = printable(prefix + entry.name)  # relative to the vault, as all are
                try:
                    resolved = Path(entry.path).resolve(strict=True)
                except FileNotFoundError:
                    # Nothing to read, but a note the vault seems to have (a sync tool's link
                    # to a drive not mounted) is warned of, as a link leaving it is: unsaid,
                    # the note would be missing silently. One named as no file the scan takes
                    # (an image's) is not.
                    if take(note_name(prefix + entry.name)):
                        warnings.append(
                            ParseWarning(path=shown, message="symlink to nothing; skipped")
                        )
                    continue
                except (RuntimeError, OSError):
                    # A loop of links (a.md -> b.md -> a.md): RuntimeError before Python 3.13,
                    # OSError (ELOOP) since.
                    warnings.append(ParseWarning(path=shown, message="symlink loop; skipped"))
                    continue
                if not resolved.is_relative_to(real_root):
                    warnings.append(
                        ParseWarning(path=shown, message="symlink leaves the vault; skipped")
                    )
                    continue
                real = str(resolved)
            else:
                real = real_base + entry.name
            if real in seen:
                continue
            if entry.is_dir():
                seen.add(real)
                yield from walk(entry.path, real, f"{prefix}{entry.name}/")
            elif entry.is_file():
                relative = note_name(prefix + entry.name)
                if take(relative) and _first_named(relative, prefix + entry.name, named, warnings):
                    seen.add(real)
                    yield entry.path, relative

    seen.add(str(real_root))
    yield from walk(str(root), str(real_root), "")


def _first_named(
    relative: str, on_disk: str, named: set[str], warnings: list[ParseWarning]
) -> bool:
    """Whether no file the walk took before was named ``relative`` (in NFC), which it is now;
    else a warning that the file ``on_disk`` is skipped."""
    if relative not in named:
        named.add(relative)
        return True
    message = f"named as {relative} but for its Unicode normalisation; skipped"
    warnings.append(ParseWarning(path=printable(on_disk), message=message))
    return False


def note_file(root: Path, path: str) -> Path:
    """The file of the note at ``path`` (as a scan names it: :func:`note_name`) under ``root``,
    by its name on disk: a write-back writes, and a check reads, the file the note was read
    from, under whichever normalisation its name has there. Where the file system finds the
    name as given (any ASCII name; every name on macOS), no folder is listed; where nothing
    matches, the path as given, for the caller to find nothing there."""
    given = root / path
    if path.isascii() or os.path.lexists(given):
        return given
    found = root
    for part in path.split("/"):
        step = found / part
        found = step if os.path.lexists(step) else _named_alike(found, part) or step
    return found


def _named_alike(folder: Path, name: str) -> Path | None:
    """The entry of ``folder`` whose name is ``name`` (NFC) in another normalisation."""
    try:
        with os.scandir(folder) as entries:
            return next((Path(e.path) for e in entries if note_name(e.name) == name), None)
    except OSError:
        return None


def scan_vault(
    root: str | Path,
    *,
    include: Sequence[str] = ("**/*.md",),
    exclude: Sequence[str] = (),
    policy: AcceptancePolicy | None = None,
    progress: Progress = silent,
) -> Vault:
    """Parse every note under ``root``; note paths are relative to it, in POSIX form.

    A file is read when a glob of ``include`` matches its path (or, for a note, a folder it is
    in: :func:`left_out_by`) and none of ``exclude`` matches it or a folder it is in (see
    :func:`glob_pattern`), as the config's ``[vault]``; where they take no note (and nothing
    else was said), a warning names them (:func:`read_vault`). ``exclude`` leaves out nothing
    unless given, where the config's ``vault.exclude`` (``VaultConfig().exclude``) leaves out
    the templates folders: give ``exclude=plansync.VaultConfig().exclude`` to read the notes
    a plan reads.

    ``progress`` hears how many notes were read, every few hundred: a vault of years of notes
    takes seconds, before a plan has anything else to say. A ``root`` that is a file is read as
    a vault of that one note; one that names nothing raises ``FileNotFoundError``, as in
    :func:`plansync.parse_note`: an empty vault with a warning would read as "nothing to do"
    to a bot whose folder name has a typo."""
    if not isinstance(root, (str, Path)):  # an int failed as os.fspath's "expected str, ..."
        raise wrong_type(
            "plansync.scan_vault()",
            "a folder (str or Path)",
            root,
            'pass the vault\'s folder, e.g. plansync.scan_vault("Meetings")',
        )
    check_policy("scan_vault", policy)
    _check_globs("include", include)
    _check_globs("exclude", exclude)
    root = Path(os.path.expanduser(root))  # "~" is the home folder, as in vault.path
    if not root.exists():
        raise FileNotFoundError(f"{root}: no such folder")
    if root.is_file():
        vault = Vault(root=str(root))
        _collect(vault, read_note(root, display=root.name, policy=policy))
        return vault
    # The folder as it was given, as "cannot be listed" names it; the globs as passed.
    named = GlobsNamed(printable(str(root)), "here", "include", "exclude")
    return read_vault(root, include, exclude, named, policy=policy, progress=progress)


class GlobsNamed(NamedTuple):
    """How the warning that a scan's globs take no note names what its reader gave: the
    folder and globs passed to :func:`scan_vault`, or the config's keys as written
    (:func:`plansync.sync.scan`), whose reader edits those, not the folder they resolve to."""

    path: str
    """What the warning is on: the folder as passed, or the config's file."""
    vault: str
    """The vault, said after "no note": ``here`` (the path is it), ``in 'vault.path' = ...``."""
    include: str
    """The included globs' name: ``include`` (the argument) or ``'vault.include'``."""
    exclude: str
    """The excluded globs' name, as ``include``'s."""


def read_vault(
    root: Path,
    include: Sequence[str],
    exclude: Sequence[str],
    named: GlobsNamed,
    *,
    policy: AcceptancePolicy | None,
    progress: Progress,
) -> Vault:
    """The notes of the folder ``root`` that the globs take, as :func:`scan_vault` reads them
    (its arguments checked); where they take none and nothing else was said, a warning naming
    the globs as ``named`` does, for a library caller as for the config: a glob typo
    (``include = ["*.MD"]``, a folder of ``.markdown`` files) reads as an empty vault, which
    plans as "in sync", whichever route the globs came by."""
    vault = Vault(root=str(root))
    if policy is None:
        # The default, made once a scan: each note made (and validated) its own.
        policy = AcceptancePolicy()
    with cyclic_gc_paused():
        files = list(_note_files(root, include, exclude, vault.warnings, vault.write_temps))
        for path, relative in reported(progress, "reading notes", files, NOTES_A_STEP):
            _collect(vault, read_note(path, display=relative, policy=policy))
    if not vault.notes and not vault.warnings:
        less = f" (less {named.exclude} = {list(exclude)})" if exclude else ""
        vault.warnings.append(
            ParseWarning(
                path=named.path,
                message=f"no note {named.vault} matches {named.include} = {list(include)}{less};"
                " nothing is read",
            )
        )
    return vault


def _check_globs(name: str, globs: object) -> None:
    """Refuse globs that are not a collection of texts at the call: one glob given as a str is
    a sequence of texts too, and would be read as one glob a character (``"*.md"`` as ``*``,
    ``.``, ``m`` and ``d``), which would read the wrong notes, silently."""
    if isinstance(globs, str):
        remedy = f'pass a list, even of one: {name}=["{globs}"]'
    elif not isinstance(globs, Collection) or not all(isinstance(glob, str) for glob in globs):
        example = "**/*.md" if name == "include" else "templates/**"
        remedy = f'pass a list of texts, e.g. {name}=["{example}"]'
    else:
        return
    raise wrong_type("plansync.scan_vault()", f"a list of globs as {name}", globs, remedy)


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a vault is read (or a plan is made of it).

    A scan allocates hundreds of thousands of small objects that all stay alive (items, their
    lists and dicts) and makes almost no cyclic garbage, so every full collection the
    allocations trigger walks the growing heap and frees nothing: a quarter of the scan time
    on 10,000 notes. Reference counting still frees everything else at once.

    Switching the collector back on would make its next pass walk every object the scan made,
    all still in the young generations. They are long-lived by construction, so they are moved
    straight to the oldest generation instead: ``gc.freeze()`` then ``gc.unfreeze()`` does that
    (documented: unfreeze puts the objects "back into the oldest generation") without walking
    them. That moves *every* young object of the process, so the young generations are
    collected first: garbage the program made before the scan is freed as usual, not promoted.
    What other threads make during a scan is promoted with it and freed by the next full
    collection. Skipped when the program froze objects of its own, which unfreezing would
    release.
    """
    enabled = gc.isenabled()
    if enabled:
        gc.collect(1)
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


def _collect(vault: Vault, found: Note | ParseWarning) -> None:
    if isinstance(found, ParseWarning):
        vault.warnings.append(found)
    else:
        vault.notes.append(found)
