"""A note file's bytes: read within plansync's size limit, and decoded to text.

Apart from the parser: the scan, the planner's second read and write-back all read a note's
bytes, and each must decode them as the others do (see :func:`decode_note`); none of that is
reading Markdown.
"""

from __future__ import annotations

import math
import os
from pathlib import Path


def decode_note(data: bytes) -> tuple[str, str, int | None]:
    """(text, encoding, the number of the first line that is not UTF-8, or None). UTF-8 first;
    a file that is not UTF-8 is read as Windows-1252. The line goes into the warning's ``line``,
    not its message: "x.md: line 1: …" was no ``file:line`` a reader of warnings could find.

    Every reader of a note's bytes decodes through here (a line of them through
    :func:`decode_line`): the scan, the planner's second read and write-back. The planner
    re-reads an item's line to find its key links, so a second codec (write-back's Latin-1)
    turned the “” of a synced Windows-1252 note into C1 controls and its summary into an update
    at every plan after the first sync.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError as exc:
        return decode_line(data, "cp1252"), "cp1252", data.count(b"\n", 0, exc.start) + 1


def decode_line(data: bytes, encoding: str) -> str:
    """Bytes of a note (a line of it) as :func:`decode_note` reads them, in the encoding it
    found for the whole note.

    Windows-1252 has no character for five bytes (81, 8D, 8F, 90, 9D): each is read as one
    U+FFFD. So a Windows-1252 note's text has one character a byte, and an offset in a line's
    text is its offset in the line's bytes, which write-back relies on to keep every byte it
    does not insert.
    """
    return data.decode(encoding, errors="replace")


MAX_NOTE_BYTES = 5 * 1024 * 1024
"""The largest note plansync reads (5 MB): a bigger file is an export or an attachment."""

MEGABYTE = 1024 * 1024


def megabytes(size: int) -> str:
    """``size`` bytes in MB to a tenth, rounded up: a note just over the limit reads as over
    it (5.1 MB, not 5 MB over 5 MB)."""
    return f"{math.ceil(size * 10 / MEGABYTE) / 10:g} MB"


_UNICODE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),  # before UTF-16's, which starts it
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
"""The byte-order marks of the Unicode encodings other than UTF-8 that editors save text in
(Windows Notepad's "Unicode" is UTF-16): such a note is text, not a binary file, but
plansync reads and writes back UTF-8 only, keeping every other byte as it is."""


_BOMS = tuple(bom for bom, _ in _UNICODE_BOMS)


def unicode_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark at the start of ``data`` names, other than UTF-8.

    Asked of every note, nearly all of which start with none: one ``startswith`` of the marks
    together tells those apart for ~1/4 of the instructions of a look at each in turn."""
    if not data.startswith(_BOMS):
        return None
    return next((name for bom, name in _UNICODE_BOMS if data.startswith(bom)), None)


def read_note_bytes(path: str | Path) -> tuple[int, bytes]:
    """(size, bytes) of a file; nothing is read from a file over ``MAX_NOTE_BYTES``.

    One read of the size ``fstat`` gives, without a buffered file object: four system calls
    a note instead of seven, and in a virtual machine a system call is dear.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if size > MAX_NOTE_BYTES:
            return size, b""
        data = os.read(fd, size + 1)
        if len(data) != size:
            # A file that grew or shrank since fstat, or a short read (network and FUSE file
            # systems may give less than asked): read on to the end.
            while len(data) <= MAX_NOTE_BYTES and (more := os.read(fd, 1 << 20)):
                data += more
        return max(size, len(data)), data
    finally:
        os.close(fd)
