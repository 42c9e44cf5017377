"""Editing one note line in place: a block id at its end, ticket key links before its fields.

The rule is that write-back changes only the bytes it inserts. So edits are computed on the line
as text (to find where Obsidian Tasks' trailing fields begin, through damaged characters if need
be) and applied to the file as bytes: the prefix and suffix of the line are the original bytes,
whatever their encoding, line ending, trailing spaces or byte-order mark.

A file is replaced atomically (a temporary file beside it, then rename), and only if it is still
what we read: if the user saved it in the meantime, the edits are located again in the new text
(by block id, else by the line's exact content nearest its old place) and re-applied, never
written over the user's change. Paths that resolve outside the vault are refused.

A run killed between writing the temporary file and the rename (SIGKILL, a power cut) leaves
the note as it was: the next plan finds the id or key missing from its line and plans the
write again. The temporary file stays behind until a later sync removes it
(:func:`remove_abandoned_temps`).
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from plansync.files import is_abandoned, remove_abandoned, replace_whole
from plansync.notes.links import KeyLink, classify, format_key_link, ticket_links
from plansync.notes.model import AcceptancePolicy, note_digest
from plansync.notes.note_file import MAX_NOTE_BYTES, decode_line, decode_note, megabytes
from plansync.notes.order import Moved, Splice, in_order
from plansync.notes.parse import item_lines
from plansync.notes.signifiers import repair
from plansync.notes.tasks import (
    JS_WHITESPACE,
    LINE_BREAKS,
    LIST_LINE,
    TaskBody,
    js_trim,
    parse_body,
    parse_task_line,
)
from plansync.notes.vault import WRITE_TEMP_SUFFIX, is_inside, write_temp_for


class WriteBackError(Exception):
    """A note could not be edited; the message names the file (and line) and the reason.

    ``reason`` is the message without the file: a sync's error names the note already, by its
    path in the vault and its line, and the file's absolute path after that named it twice."""

    def __init__(self, reason: str, path: Path | None = None) -> None:
        self.reason = reason
        super().__init__(reason if path is None else f"{path}: {reason}")


@dataclass(frozen=True)
class LineEdit:
    """What one item's line should gain.

    ``original`` is the line's text when it was parsed (without its line ending); it locates the
    line again if the file changed. ``links`` maps a target (``jira``) to (label, url).
    """

    line: int
    original: str
    block_id: str | None = None
    links: dict[str, tuple[str, str]] = field(default_factory=dict)
    replace_block_id: bool = False
    drop_links: tuple[str, ...] = ()
    keys: dict[str, str] | None = None
    """The keys the line names, as the planner read it; None: as the parser reads it."""


@dataclass(frozen=True)
class KnownItems:
    """Lines known to be items of a note's bytes (those whose :func:`note_digest` is
    ``digest``), so that write-back need not parse the note again to find them.

    Not necessarily every item of the note: those a plan made from these very bytes edits, or
    those write-back just edited (an edit changes no line's being an item, see
    :func:`apply_line_edits`). Enough to place an edit on its planned line, which is all a
    note unchanged since needs; an edit whose line moved is placed among every item, and the
    note is parsed for them then. Parsing each note again would cost a sync of 3,000 notes
    ~10 s in each of its two write-back steps, most of that for notes it then leaves as they
    are.
    """

    digest: str
    lines: frozenset[int]
    """Their numbers, from 1 (as :attr:`LineEdit.line`)."""


@dataclass
class WriteResult:
    path: Path
    changed: bool
    items: KnownItems
    """The note's bytes as write-back left them, and lines known to be items there: what the
    next write-back of the run knows of the note without parsing it."""
    missing: list[LineEdit] = field(default_factory=list)
    """The edits whose line is gone (or no longer an item): nothing was written for them."""


def _body_of(text: str) -> tuple[int, TaskBody] | None:
    task = parse_task_line(text)
    if task is not None:
        if any(char in text[task.body_start :] for char in LINE_BREAKS):
            # Obsidian Tasks reads the line only up to there, and Obsidian reads a block id at
            # its very end: no place for the id satisfies both, so the line is left alone.
            raise WriteBackError(
                "the line holds a line separator (U+2028, U+2029 or a carriage return), where"
                " Obsidian Tasks stops reading it; remove it to sync this item"
            )
        start, body = task.body_start, task.body
    elif match := LIST_LINE.match(text):
        start, body = match.start(3), parse_body(match.group(3))
    else:
        return None
    if not js_trim(text[start:]):
        # A block id is read only after a space that follows some text ("- [ ] ^id" is text).
        raise WriteBackError("the item has no text to hold its block id; write some to sync it")
    return start, body


def refusal(line: str) -> str | None:
    """Why write-back would leave ``line`` (as it is in the file) without a block id, or None.

    The planner asks before it plans an item: its id goes into the line first.
    """
    try:
        _body_of(repair(line).text)
    except WriteBackError as exc:
        return str(exc)
    return None


def plan_line_edit(
    line: str,
    block_id: str | None,
    links: dict[str, tuple[str, str]],
    *,
    keys: dict[str, str] | None = None,
    replace_block_id: bool = False,
    drop_links: tuple[str, ...] = (),
) -> list[Splice]:
    """The splices (:data:`order.Splice`, in order of place) on ``line`` that give it the id
    and links.

    Offsets are in ``line`` as it is, damaged characters and all; a piece a person moved out
    of place is moved back as a piece of the line (:class:`order.Moved`), never re-encoded.
    An empty list means the line already says everything (which makes write-back idempotent).
    ``keys`` are the keys the line names, as the planner read it (by default, as the parser
    does): a link to one is replaced or dropped wherever it stands; any other link is the
    user's, and a new key goes at the end of the description. ``replace_block_id`` and
    ``drop_links`` turn a copied line (another item's id and keys) into a new item.
    """
    if reordered := in_order(line):
        # Its id or key link moved out of place by hand: the edit is made on the line put back
        # in order (see plansync.notes.order), and both are made splices of the line as it is,
        # so that only the moved pieces and the edit are written.
        edits = plan_line_edit(
            reordered.line,
            block_id,
            links,
            keys=keys,
            replace_block_id=replace_block_id,
            drop_links=drop_links,
        )
        return _composed(line, reordered.splices, edits)
    fixed = repair(line)
    found = _body_of(fixed.text)
    if found is None:
        raise WriteBackError("not a list item line")
    body_start, body = found
    splices: list[Splice] = []

    core_start = body_start + body.core_end - len(body.core)
    named = ticket_links(body.core)
    if keys is None:
        keys = {link.target: link.key for link in named}
    by_key = {(link.target, link.key): link for link in named}

    def splice(link: KeyLink, text: str) -> None:
        start = fixed.to_original(core_start + link.start)
        end = fixed.to_original(core_start + link.end)
        # A link's start is inside the body, after the list marker: a character precedes it.
        if not text and line[start - 1] == " ":
            start -= 1
        if line[start:end] != text:
            splices.append((start, end, text))

    for target in drop_links:
        if target not in links and (old := by_key.get((target, keys.get(target, "")))):
            splice(old, "")
    new_links: list[str] = []
    for target, (label, url) in links.items():
        text = format_key_link(label, url)
        new = classify(url)
        if written := by_key.get(new) if new else None:  # written before: a write-back re-run
            splice(written, text)
        elif old := by_key.get((target, keys.get(target, ""))):
            splice(old, text)
        else:
            new_links.append(text)
    if new_links:
        at = fixed.to_original(body_start + body.core_end)
        joined = " ".join(new_links)
        splices.append((at, at, f" {joined}" if body.core else f"{joined} "))

    if block_id is not None and body.block_link != block_id:
        if body.block_link is None:
            # After everything but spaces and tabs: a line may end in a character that is
            # whitespace to the plugin (a no-break space) and half of a damaged one ("Ã\xa0" is
            # "à"), which an id put before it would split; the plugin trims it off the body
            # with the id after it all the same.
            end = len(line.rstrip(" \t"))
            splices.append((end, end, f" ^{block_id}"))
        elif replace_block_id:
            # Where the plugin reads the id: at the end of the body it trims.
            end = len(line.rstrip(JS_WHITESPACE))
            splices.append((end - len(body.block_link), end, block_id))
        else:
            raise WriteBackError(f"line already has block id ^{body.block_link}, not ^{block_id}")
    return sorted(splices)


def _composed(line: str, first: Sequence[Splice], then: Sequence[Splice]) -> list[Splice]:
    """The splices of ``line`` that make ``first`` and then ``then`` (splices of the line
    ``first`` made): every character of ``line`` that both keep stays a character of
    ``line``, in its place or moved (:class:`order.Moved`), never one written again, whose
    bytes a note's encoding may not hold."""
    # The line ``first`` made, as pieces: (start, end) of ``line`` kept in place, a piece of
    # it moved, or text written.
    pieces: list[tuple[int, int] | Moved | str] = []
    position = 0
    for start, end, text in first:
        pieces += [(position, start), text]
        position = end
    pieces.append((position, len(line)))

    def size(piece: tuple[int, int] | Moved | str) -> int:
        if isinstance(piece, tuple):
            return piece[1] - piece[0]
        return piece.end - piece.start if isinstance(piece, Moved) else len(piece)

    def between(start: int, end: int) -> list[tuple[int, int] | Moved | str]:
        """The pieces of the made line's ``[start, end)``."""
        out: list[tuple[int, int] | Moved | str] = []
        at = 0
        for piece in pieces:
            low, high = max(start, at) - at, min(end, at + size(piece)) - at
            if low < high:
                if isinstance(piece, tuple):
                    out.append((piece[0] + low, piece[0] + high))
                elif isinstance(piece, Moved):
                    out.append(Moved(piece.start + low, piece.start + high))
                else:
                    out.append(piece[low:high])
            at += size(piece)
        return out

    made: list[tuple[int, int] | Moved | str] = []
    position = 0
    for start, end, text in then:
        made += [*between(position, start), text]
        position = end
    made += between(position, sum(map(size, pieces)))
    splices: list[Splice] = []
    position = 0
    written: list[Moved | str] = []
    for piece in [*made, (len(line), len(line))]:
        if not isinstance(piece, tuple):
            if isinstance(piece, str) and written and isinstance(written[-1], str):
                written[-1] += piece  # text written next to text is one splice
            elif piece != "":
                written.append(piece)
        elif piece[0] < piece[1] or piece[0] == len(line):
            if line[position : piece[0]] != _text(line, written):
                splices += [
                    (position, piece[0], written[0] if written else ""),
                    *((piece[0], piece[0], text) for text in written[1:]),
                ]
            position, written = piece[1], []
    return splices


def _text(line: str, written: Sequence[Moved | str]) -> str:
    """What ``written`` reads as on ``line``."""
    return "".join(
        text if isinstance(text, str) else line[text.start : text.end] for text in written
    )


def _byte_offset(text: str, index: int, encoding: str) -> int:
    """Where ``text[index]`` starts in the bytes ``text`` was decoded from (see
    :func:`plansync.notes.note_file.decode_line`): in a Windows-1252 note, one byte a character,
    a byte without a character (read as U+FFFD, which does not encode back) included."""
    return len(text[:index].encode()) if encoding == "utf-8" else index


def _edit_line_bytes(raw: bytes, encoding: str, edit: LineEdit) -> bytes:
    """Apply an edit to one line's bytes (without ``\\n``), keeping every byte not inserted
    (a piece moved is its own bytes, copied)."""
    cr = raw.endswith(b"\r")
    content = raw[:-1] if cr else raw
    text = decode_line(content, encoding)
    splices = plan_line_edit(
        text,
        edit.block_id,
        edit.links,
        keys=edit.keys,
        replace_block_id=edit.replace_block_id,
        drop_links=edit.drop_links,
    )
    out = bytearray()
    position = 0
    for start, end, insert in splices:
        byte_start = _byte_offset(text, start, encoding)
        byte_end = _byte_offset(text, end, encoding)
        if isinstance(insert, Moved):
            written = content[
                _byte_offset(text, insert.start, encoding) : _byte_offset(
                    text, insert.end, encoding
                )
            ]
        else:  # In the note's encoding: UTF-8 bytes in a Windows-1252 note read "Ã©" for "é".
            written = insert.encode(encoding)
        out += content[position:byte_start] + written
        position = byte_end
    out += content[position:]
    return bytes(out) + (b"\r" if cr else b"")


def _locate(lines: list[bytes], encoding: str, edit: LineEdit, items: frozenset[int]) -> int | None:
    """Index of the edit's line in (possibly changed) ``lines``, or None when it is gone.

    Only the lines in ``items`` (indexes of the lines the parser reads as items) are looked
    at: the same text in a code block, a ``%%`` comment, an HTML block or the front matter (an
    example pasted there, the item commented out) is no item, and must not be edited as one.
    """

    def text(index: int) -> str:
        return decode_line(lines[index].removesuffix(b"\r"), encoding)

    guess = edit.line - 1
    if guess in items and text(guess) == edit.original:
        return guess
    candidates: list[int] = []
    if edit.block_id:
        marker = f"^{edit.block_id}"
        candidates = [i for i in items if text(i).rstrip().endswith(marker)]
    if not candidates:
        candidates = [i for i in items if text(i) == edit.original]
    if not candidates:
        return None
    return min(sorted(candidates), key=lambda i: abs(i - guess))


def _at_guess(lines: list[bytes], encoding: str, edit: LineEdit, known: frozenset[int]) -> bool:
    """Whether :func:`_locate` places ``edit`` on its planned line, known to be an item
    (``known``, indexes), whatever the note's other items: the line reads as planned, or ends
    in the edit's block id (written by this run's first write-back step), the nearest such."""
    guess = edit.line - 1
    if guess not in known:
        return False
    text = decode_line(lines[guess].removesuffix(b"\r"), encoding)
    return text == edit.original or (
        edit.block_id is not None and text.rstrip().endswith(f"^{edit.block_id}")
    )


@dataclass
class _Edited:
    data: bytes
    applied: list[LineEdit]
    missing: list[LineEdit]
    items: frozenset[int]
    """Numbers (from 1) of lines known to be items of ``data``: those of the note's parse, or
    the ``known`` that spared it."""


def _edit(
    data: bytes, edits: list[LineEdit], policy: AcceptancePolicy | None, known: frozenset[int]
) -> _Edited:
    """:func:`apply_line_edits`, spared the note's parse by ``known`` (numbers of lines known
    to be items of ``data``, see :class:`KnownItems`) when every edit is on its planned line
    among them: the parse would place each edit there all the same."""
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    _, encoding, _ = decode_note(data)
    lines = data[len(bom) :].split(b"\n")
    indexes = frozenset(number - 1 for number in known)
    if not all(_at_guess(lines, encoding, edit, indexes) for edit in edits):
        indexes = frozenset(number - 1 for number in item_lines(data, policy))
    known_after = frozenset(index + 1 for index in indexes)
    applied: list[LineEdit] = []
    missing: list[LineEdit] = []
    for edit in edits:
        index = _locate(lines, encoding, edit, indexes)
        if index is None:
            missing.append(edit)
            continue
        try:
            lines[index] = _edit_line_bytes(lines[index], encoding, edit)
        except WriteBackError:
            missing.append(edit)
            continue
        applied.append(edit)
    return _Edited(bom + b"\n".join(lines), applied, missing, known_after)


def apply_line_edits(
    data: bytes,
    edits: list[LineEdit],
    *,
    policy: AcceptancePolicy | None = None,
) -> tuple[bytes, list[LineEdit], list[LineEdit]]:
    """(new bytes, applied, missing): the edits applied to a file's content, bytes preserved.

    An edit goes only to a line the parser reads as an item, under ``policy`` when given (so
    a line without the global filter is none), else under any policy (see
    :func:`plansync.notes.parse.item_lines`). Edits add no line, and an id or a key link
    added to an item's line makes no line more or less of an item, so the items found in
    ``data`` hold for every edit (and for the bytes written: see :class:`KnownItems`).
    """
    edited = _edit(data, edits, policy, frozenset())
    return edited.data, edited.applied, edited.missing


def ends_a_line(data: bytes, block_id: str) -> bool:
    """Whether ``^block_id`` ends a line of a note's bytes, as the parser reads a block id
    (whitespace the plugin trims may follow it), in any case: plansync ids are compared by
    their label, which Jira and Salesforce hold in lower case."""
    marker = re.compile(rb"\^" + re.escape(block_id.encode()) + rb"([^\n]*)", re.IGNORECASE)
    encoding = None
    for found in marker.finditer(data):
        rest = found.group(1).removesuffix(b"\r")
        if not rest.strip(b" \t"):
            return True
        encoding = encoding or decode_note(data)[1]  # as the note is read: a cp1252 one's A0
        if not js_trim(decode_line(rest, encoding)):
            return True
    return False


WRITE_ATTEMPTS = 6
"""How often a note is read, edited and replaced before a writer racing plansync wins."""


def write_back(
    path: Path,
    vault_root: Path,
    edits: list[LineEdit],
    *,
    policy: AcceptancePolicy | None = None,
    known: KnownItems | None = None,
) -> WriteResult:
    """Apply edits to a note file atomically; re-read and re-apply if it changed under us.

    The file may have changed since the edits were planned, and may change while they are
    written: each attempt locates the edits' lines again by content (see :func:`_locate`),
    among the lines read as items under ``policy`` (the config's acceptance; without it,
    under any policy), and replaces the file only if it still holds the bytes just read.
    ``known``: items of the note's bytes known already (a plan's, an earlier write-back's),
    which spare parsing it while it still holds those bytes.
    """
    if not is_inside(vault_root, path):
        raise WriteBackError(f"resolves outside the vault {vault_root}; not written", path)
    real = path.resolve()
    for _ in range(WRITE_ATTEMPTS):
        try:
            data = real.read_bytes()
        except OSError as exc:
            raise WriteBackError(f"cannot be read ({exc.strerror})", path) from exc
        lines = known.lines if known and note_digest(data) == known.digest else frozenset()
        try:
            edited = _edit(data, edits, policy, lines)
        except UnicodeEncodeError as exc:  # a link of a site whose URL is not ASCII, say
            raise WriteBackError(
                f"{exc.object[exc.start : exc.end]!r} has no byte in the note's"
                f" encoding ({exc.encoding}); not written (save the note as UTF-8)",
                path,
            ) from None
        new, missing = edited.data, edited.missing
        items = KnownItems(note_digest(new), edited.items)
        if new == data:
            return WriteResult(path=path, changed=False, missing=missing, items=items)
        if len(new) > MAX_NOTE_BYTES >= len(data):
            # Over it, the note would be skipped by every scan after: its items lost to
            # the sync, their records taken for orphans.
            raise WriteBackError(
                f"the ids and keys would take it over {megabytes(MAX_NOTE_BYTES)}, the most"
                " plansync reads; not written (split the note)",
                path,
            )
        if read_only(real):
            # The folder lets a new file be renamed over it: the note would be rewritten
            # against the permission its owner gave it (archived notes made read-only).
            raise WriteBackError(
                "its file is read-only; not written (make it writable: chmod u+w)", path
            )
        try:
            replaced = _replace_if_unchanged(real, data, new)
        except OSError as exc:  # immutable, a read-only folder, a full disk: this note only
            raise WriteBackError(f"cannot be written ({exc.strerror or exc})", path) from exc
        if replaced:
            return WriteResult(path=path, changed=True, missing=missing, items=items)
    raise WriteBackError("kept changing while plansync wrote to it; try again", path)


def read_only(file: Path) -> bool:
    """Whether ``file``'s permission bits keep this user from writing it: for root, whom they
    stop from nothing, whether its owner's write bit is off (as ``ls -l`` shows read-only).
    A file that cannot be looked at is not known to be read-only: writing it says what fails.

    Write-back replaces a note by renaming a new file over it, which only the folder's
    permission governs, so it asks this first; the planner too, before it plans a write."""
    try:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            return not os.stat(file).st_mode & stat.S_IWUSR
        return file.exists() and not os.access(file, os.W_OK)
    except OSError:
        return False


def _replace_if_unchanged(path: Path, expected: bytes, new: bytes) -> bool:
    """Write ``new`` over ``path`` atomically, unless the file no longer holds ``expected``;
    its temporary file named as the vault's walk finds it after a killed run."""
    return replace_whole(path, new, suffix=WRITE_TEMP_SUFFIX, expected=expected)


def abandoned_temps(root: Path, relatives: Iterable[str]) -> list[str]:
    """Those of ``relatives`` (paths under the vault ``root``) that are write-back temporary
    files a killed run left: named as write-back names them, in a folder inside the vault, and
    abandoned (:func:`plansync.files.is_abandoned`). A saved plan names them hours before a
    sync removes them, so the sync asks again."""
    now = time.time()
    return [relative for relative in relatives if _abandoned(root / relative, root, now)]


def _abandoned(path: Path, root: Path, now: float) -> bool:
    return (
        write_temp_for(path.name) is not None
        and is_inside(root, path.parent)
        and is_abandoned(path, now)
    )


def remove_abandoned_temps(root: Path, relatives: Iterable[str]) -> tuple[list[str], list[str]]:
    """(removed, warnings): each of ``relatives`` that :func:`abandoned_temps` still takes is
    removed; one that cannot be is a warning naming it, and the others are removed all the
    same. Only under the run lock, which keeps this store's own runs from writing meanwhile."""
    named = {root / relative: relative for relative in abandoned_temps(root, relatives)}
    removed, failed = remove_abandoned(named)
    warnings = [
        f"{named[path]}: a temporary file a killed sync left beside the note cannot be removed"
        f" ({exc.strerror or exc}); remove it by hand"
        for path, exc in failed
    ]
    return [named[path] for path in removed], warnings
