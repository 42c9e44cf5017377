"""The Obsidian Tasks emoji vocabulary, and reading it back out of damaged (double-encoded) text.

Notes reach us after a round trip through the wrong codec: UTF-8 bytes decoded as Windows-1252,
Windows-1254, Mac Roman or Latin-1 and saved again as UTF-8. Bytes with no character in the
codec (0x8F in Windows-1252, say) are dropped, kept as a C1 control, or replaced, depending on
the tool that did the damage. So ``⏫`` (E2 8F AB) arrives as ``â«``, ``â\\x8f«`` or ``â�«``.

Rather than hand-listing a few forms, :func:`damaged_table` derives them: every signifier (with and
without its U+FE0F variation selector) is encoded to UTF-8, each byte is decoded through each
codec, and every undecodable byte is expanded into each way a tool may have treated it. A line is
repaired by replacing those forms (longest first) with the clean signifier, then by re-decoding
the remaining runs of mojibake in the description. :func:`repair` keeps a map from every
repaired character back to its offset in the original line, because write-back must insert its
bytes into the file as it is, never into a cleaned copy.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

VS16 = "\ufe0f"

DUE = ("📅", "📆", "🗓")
SCHEDULED = ("⏳", "⌛")
START = ("🛫",)
CREATED = ("➕",)
DONE = ("✅",)
CANCELLED = ("❌",)
RECURRENCE = ("🔁",)
ON_COMPLETION = ("🏁",)
TASK_ID = ("🆔",)
DEPENDS_ON = ("⛔",)
PRIORITIES: dict[str, str] = {
    "🔺": "highest",
    "⏫": "high",
    "🔼": "medium",
    "🔽": "low",
    "⏬": "lowest",
}

DATE_SIGNIFIERS: dict[str, tuple[str, ...]] = {
    "due": DUE,
    "scheduled": SCHEDULED,
    "start": START,
    "created": CREATED,
    "done": DONE,
    "cancelled": CANCELLED,
}

ALL_SIGNIFIERS: tuple[str, ...] = (
    *itertools.chain.from_iterable(DATE_SIGNIFIERS.values()),
    *PRIORITIES,
    *RECURRENCE,
    *ON_COMPLETION,
    *TASK_ID,
    *DEPENDS_ON,
)

CODECS: tuple[str, ...] = ("cp1252", "cp1254", "mac_roman", "latin-1")

# How a tool may have rendered a byte its codec has no character for, or a C1 control byte.
_LOST_BYTE_RENDERINGS: tuple[str | None, ...] = (None, "", "\ufffd", "?")


@cache
def _byte_renderings(byte: int, codec: str) -> tuple[str, ...]:
    """Every string one byte may have become when decoded through ``codec`` and saved again.

    ``None`` in the renderings stands for "kept as the C1 control character U+0080+n", which is
    what Latin-1 and the forgiving decoders of browsers and editors do.
    """
    try:
        char = bytes([byte]).decode(codec)
    except UnicodeDecodeError:
        char = None
    if char is not None and not (0x80 <= ord(char) <= 0x9F):
        return (char,)
    return tuple(chr(byte) if r is None else r for r in _LOST_BYTE_RENDERINGS)


def damaged_forms(clean: str, codec: str) -> Iterator[str]:
    """Every damaged rendering of ``clean`` through ``codec``, lost bytes modelled."""
    per_byte = [_byte_renderings(b, codec) for b in clean.encode("utf-8")]
    for combo in itertools.product(*per_byte):
        form = "".join(combo)
        # A form shorter than two characters would match ordinary text.
        if len(form) >= 2 and form != clean:
            yield form


@lru_cache(maxsize=1)
def damaged_table() -> dict[str, str]:
    """Damaged form -> clean signifier (variation selector included where it was)."""
    return _damage_index()[0]


@lru_cache(maxsize=1)
def _damage_index() -> tuple[dict[str, str], dict[str, frozenset[str]]]:
    """(:func:`damaged_table`, each form's codecs: those whose damage of its signifier gives
    it), built in one pass over the forms of :func:`damaged_forms`."""
    table: dict[str, str] = {}
    codecs: dict[str, set[str]] = {}
    for sig in ALL_SIGNIFIERS:
        for clean in (sig + VS16, sig):
            for codec in CODECS:
                for form in damaged_forms(clean, codec):
                    if table.setdefault(form, clean) == clean:
                        codecs.setdefault(form, set()).add(codec)
    return table, {form: frozenset(c) for form, c in codecs.items()}


@cache
def _continuation_chars(codec: str) -> frozenset[str]:
    """The characters a UTF-8 continuation byte (80-BF) becomes through ``codec``, or as a C1
    control or U+FFFD (how a lost byte may be kept or replaced)."""
    chars = {chr(byte) for byte in range(0x80, 0xA0)} | {"\ufffd"}  # a lost one, replaced
    for byte in range(0x80, 0xC0):
        try:
            chars.add(bytes([byte]).decode(codec))
        except UnicodeDecodeError:
            continue
    return frozenset(chars)


def _goes_on(line: str, start: int, end: int) -> bool:
    """Whether the damaged form ``line[start:end]`` is cut out of a longer character's damage.

    In UTF-8 a character is followed by an ASCII byte or the first byte of another, never by
    a continuation byte (80-BF): where the next character is one, through every codec the
    form comes from, the form is not that signifier. A form whose last bytes were lost is a
    prefix of others: ``🏁`` (F0 9F 8F 81) through Windows-1252 with both lost is ``ðŸ``,
    the start of every damaged emoji (``ðŸš€`` is 🚀).
    """
    if end == len(line):
        return False
    following = line[end]
    if following.isascii():
        return False
    codecs = _damage_index()[1].get(line[start:end], ())
    return bool(codecs) and all(following in _continuation_chars(codec) for codec in codecs)


@lru_cache(maxsize=1)
def _form_prefixes() -> frozenset[str]:
    """Every damaged form and every start of one two characters or longer."""
    return frozenset(form[:n] for form in damaged_table() for n in range(2, len(form) + 1))


@lru_cache(maxsize=1)
def _form_start() -> re.Pattern[str]:
    """The first two characters of any damaged form: most runs of mojibake that start like
    one (``â€`` of a damaged quotation mark) are passed over here, not looked up."""
    seconds: dict[str, set[str]] = {}
    for form in damaged_table():
        seconds.setdefault(form[0], set()).add(form[1])
    return re.compile(
        "|".join(
            re.escape(first) + "[" + "".join(sorted(map(re.escape, second))) + "]"
            for first, second in sorted(seconds.items())
        )
    )


def _longest_form(line: str, start: int, end: int) -> int:
    """Where the longest damaged form that starts at ``start`` and ends by ``end`` ends (0:
    none does), read a character at a time while the text read is the start of a form."""
    table = damaged_table()
    prefixes = _form_prefixes()
    found = 0
    for stop in range(start + 2, end + 1):
        read = line[start:stop]
        if read not in prefixes:
            break
        if read in table:
            found = stop
    return found


def damaged_spans(line: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each damaged form in ``line``, from the left, the longest one where
    several start at the same place, none overlapping: what a regex alternation of every
    form, longest first, finds.

    Looked up in :func:`damaged_table` where two characters start a form, rather than matched
    by one regex of the 1,600 forms: written as a trie, with a set of the last characters at
    each node (316 sets of characters beyond Latin-1), it took ~70 ms to compile, in every
    process that met a damaged line: an eighth of the instructions of reading 1,000 notes.
    A damaged line costs ~10,000 instructions more this way, so a vault needs ~20,000 notes,
    one in ten damaged, before the compile would have paid.
    """
    find = _form_start().search
    pos = 0
    while (lead := find(line, pos)) is not None:
        start = lead.start()
        end = _longest_form(line, start, len(line))
        if end:
            yield start, end
            pos = end
        else:
            pos = start + 1


_MOJIBAKE_RUN = re.compile(r"[^\x00-\x7f]{2,}")


@lru_cache(maxsize=1)
def _leads() -> tuple[str, ...]:
    """The first characters of the damaged forms."""
    return tuple(sorted({f[0] for f in damaged_table()}))


@lru_cache(maxsize=1)
def _suspect_pattern() -> re.Pattern[str]:
    """What a line needs for :func:`repair` to change anything: the first character of a
    damaged form, or a run of mojibake. Most lines have neither, and are done with one search."""
    leads = _leads()
    lead = "".join(sorted(map(re.escape, leads)))
    if all(not c.isascii() for c in leads):
        # The same test, written so that the scan only stops at non-ASCII characters: 4x faster.
        return re.compile(f"[^\\x00-\\x7f](?:(?<=[{lead}])|[^\\x00-\\x7f])")
    return re.compile(f"[{lead}]|{_MOJIBAKE_RUN.pattern}")


@dataclass(frozen=True)
class Repaired:
    """A line as it should have read, and where each of its characters stands in the original.

    ``origin[i]`` is the offset in the original line of clean character ``i``;
    ``origin[len(text)]`` is ``len(original)``, so a clean slice maps back to an original slice.
    ``origin`` is None when nothing was repaired: every offset maps to itself.
    """

    text: str
    origin: tuple[int, ...] | None
    repaired: bool

    def to_original(self, clean_offset: int) -> int:
        if self.origin is None:
            return range(len(self.text) + 1)[clean_offset]
        return self.origin[clean_offset]


def _identity(text: str) -> Repaired:
    return Repaired(text, None, False)


def _utf8_sequence_length(lead: int) -> int:
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0


# Typographic punctuation that ends words in real text; an accented capital or ß before it
# ("JOSÉ’S", "Fuß“") is far likelier to be what the author wrote than the rare two-byte
# character that the same bytes would spell. So is a no-break space, which French puts
# before "!", ":" and "?" ("L’ÉTÉ\u00a0!", not "L’ÉTɠ!"); "Â\u00a0", the damage of a no-break
# space itself, is still read back.
_WORD_END_PUNCTUATION = frozenset("‘’‚“”„…–—•·\u00a0")

# What stands right before a word's first letter in real text: an elision's apostrophe
# ("l’été", "jusqu’à"), an opening quotation mark, a no-break space ("«\u00a0élargir"). In Mac
# Roman these are the lead bytes D5, D4, D2 and CA, and an accented letter after one is a
# continuation byte: read as UTF-8, the pair is one character of Armenian, Cyrillic Extended
# or IPA ("lՎté"), which none of a clean note's words hold, and Obsidian Tasks reads the words
# as written. Not the dashes (D0, D1): Russian through Mac Roman is "–" or "—" before each
# letter, and its one-letter words ("—Å", с) stand alone between spaces; nor the guillemets
# (C7, C8): Romanian ș through Mac Roman is "»ô" in the middle of a word.
_WORD_START_PUNCTUATION = frozenset("’‘“\u00a0")


def _legitimate_pair(run: str, i: int, n: int) -> bool:
    """Whether a two-character sequence that decodes as UTF-8 is better left as written: a
    letter before word-ending punctuation, or one after punctuation that starts a word. Not a
    symbol: "√•" is Mac Roman's damage of "å" (C3 A5), which no one writes."""
    if n != 2:
        return False
    first, second = run[i], run[i + 1]
    if first in _WORD_START_PUNCTUATION:
        return second.isalpha()
    return first not in "ÃÂ" and first.isalpha() and second in _WORD_END_PUNCTUATION


@cache
def _lost_bytes(codec: str) -> tuple[int, ...]:
    """Continuation bytes the codec has no character for: the ones damage may have dropped."""
    lost = []
    for byte in range(0x80, 0xC0):
        try:
            bytes([byte]).decode(codec)
        except UnicodeDecodeError:
            lost.append(byte)
    return tuple(lost)


_REPLACED = b"\xff"


def _quote_missing_its_last_byte(raw: list[bytes], i: int, n: int, codec: str) -> str | None:
    """The quotation mark that the ``n``-byte sequence at ``i`` spelled before its last byte was
    dropped, if it can only be one: ``”`` (E2 80 9D) loses its 9D through Windows-1252 and
    arrives as ``â€``.

    The other characters the same bytes could have spelled are spaces, invisible format
    marks and a rare hyphen, so a quotation mark among them is the reading; a letter (``Ã``
    is Á, Í, Ï, Ð or Ý without its last byte) could be any of several and stays as it is. A
    decoder that replaced the byte rather than dropping it left ``â€�``: the same reading.
    """
    end = i + n - 1
    known = b"".join(raw[i:end])
    if end > len(raw) or not all(0x80 <= b <= 0xBF for b in known[1:]):
        return None
    if end < len(raw) and 0x80 <= raw[end][0] <= 0xBF:
        return None  # not truncated: the full sequence is there (and was not valid UTF-8)
    readings = set()
    for byte in _lost_bytes(codec):
        try:
            readings.add((known + bytes([byte])).decode("utf-8"))
        except UnicodeDecodeError:
            continue
    quotes = [r for r in readings if unicodedata.category(r) in ("Pi", "Pf")]
    return quotes[0] if len(quotes) == 1 else None


def _redecode_run(run: str, codec: str) -> list[tuple[str, int, int]] | None:
    """Undo one codec's damage on a run of non-ASCII text, greedily, sequence by sequence.

    Returns (clean text, start, end) pieces relative to the run, or None when nothing in the
    run was damage through this codec. Characters that are not part of a valid UTF-8 sequence
    are kept as they are, so legitimate accented text next to mojibake survives.
    """
    try:
        # A C1 control stands for the byte itself (how browsers decode Windows-1252's holes);
        # U+FFFD for a byte the codec had no character for, replaced (FF: no UTF-8 byte).
        raw = [
            bytes([ord(c)])
            if 0x80 <= ord(c) <= 0x9F
            else _REPLACED
            if c == "\ufffd"
            else c.encode(codec)
            for c in run
        ]
    except UnicodeEncodeError:
        return None
    if any(len(b) != 1 for b in raw):
        return None
    pieces = _read_sequences(run, raw, codec, keep_pairs=True)
    if pieces is not None and pieces[-1] == _KEPT_PAIR:
        # A pair was left as written, but the run holds mojibake beside it: the pair is more of
        # it ("ÐŸÑ€Ð¸Ð²ÐµÑ‚" is Привет, its "Ñ‚" т, not Ñ and a quotation mark).
        pieces = _read_sequences(run, raw, codec, keep_pairs=False)
    return pieces


_KEPT_PAIR = ("", -1, -1)
"""Ends the pieces of a run where a legitimate pair was kept and something else was read. Told
apart by value (no piece starts at -1), not identity: compiled by mypyc, a tuple[str, int, int]
is a C struct, and one taken back out of a list is a new object."""


def _read_sequences(
    run: str, raw: list[bytes], codec: str, *, keep_pairs: bool
) -> list[tuple[str, int, int]] | None:
    """The pieces of :func:`_redecode_run` (``raw``: each character's byte in ``codec``)."""
    pieces: list[tuple[str, int, int]] = []
    changed = kept = False
    i = 0
    while i < len(run):
        n = _utf8_sequence_length(raw[i][0])
        if n and i + n <= len(run) and all(0x80 <= raw[j][0] <= 0xBF for j in range(i + 1, i + n)):
            if keep_pairs and _legitimate_pair(run, i, n):
                kept = True
            else:
                try:
                    pieces.append((b"".join(raw[i : i + n]).decode("utf-8"), i, i + n))
                    changed = True
                    i += n
                    continue
                except UnicodeDecodeError:
                    pass
        if n and (quote := _quote_missing_its_last_byte(raw, i, n, codec)):
            # The lost byte left nothing, or a U+FFFD that is part of the quote's damage.
            width = n if i + n <= len(run) and run[i + n - 1] == "\ufffd" else n - 1
            pieces.append((quote, i, i + width))
            changed = True
            i += width
            continue
        pieces.append((run[i], i, i + 1))
        i += 1
    if not changed:
        return None
    return [*pieces, _KEPT_PAIR] if kept and keep_pairs else pieces


@lru_cache(maxsize=4096)
def _redecode(run: str) -> tuple[tuple[str, int, int], ...] | None:
    """The reading of a run of mojibake through the codec that undoes the most of it (the
    first in :data:`CODECS` among equals). Cached: the same few runs (``â€™`` for ``’``,
    ``Ã©`` for ``é``) make up most of the damage in a vault, and each costs a few µs.

    Not simply the first codec that reads anything: ``…`` (E2 80 A6) through Mac Roman is
    ``‚Ä¶``, and Windows-1252 reads its last two characters as the bytes C4 B6, ``Ķ``, leaving
    ``‚Ķ``; Mac Roman reads all three, as the one character they were.
    """
    best: list[tuple[str, int, int]] | None = None
    best_read = 0
    for codec in CODECS:
        pieces = _redecode_run(run, codec)
        if pieces is None:
            continue
        read = sum(end - start for text, start, end in pieces if text != run[start:end])
        if read > best_read:
            best, best_read = pieces, read
            if read == len(run):
                break  # no codec reads more
    return tuple(best) if best is not None else None


def _inside_a_run_read_whole(line: str, pos: int, start: int, end: int) -> bool:
    """Whether the damaged form ``line[start:end]`` lies inside a longer run of mojibake (from
    ``pos``, where the text not yet repaired begins) that one codec reads whole, every
    character part of a character it spelled, and not as the form's signifier: the run is
    that text, not a signifier in it.

    The forms are looked for first, and a form with a lost byte is two characters that other
    text's damage spells too: É and a no-break space (C3 89 C2 A0) through Mac Roman are
    ``√â¬†``, whose ``â¬`` is ⏬ (E2 8F AC) through Windows-1252 with its 8F lost. The run's
    reading is what :func:`repair` keeps for it. Where the reading spells the signifier right
    there, the form stays the signifier, mapped to where it starts as every signifier is.
    """
    first = start
    while first > pos and not line[first - 1].isascii():
        first -= 1
    last = end
    while last < len(line) and not line[last].isascii():
        last += 1
    if last - first == end - start:
        return False
    run = line[first:last]
    pieces = _redecode(run)
    if pieces is None or any(text == run[a:b] for text, a, b in pieces):
        return False
    inside = [(text, a, b) for text, a, b in pieces if start - first <= a and b <= end - first]
    spelled = "".join(text for text, _, _ in inside)
    return not (
        inside
        and inside[0][1] == start - first
        and inside[-1][2] == end - first
        and spelled == damaged_table()[line[start:end]]
    )


def needs_repair(line: str) -> bool:
    """Whether :func:`repair` may change ``line`` at all (if not, it returns it as is).

    The parser asks it of each note's whole text, and the pattern's search stops at every
    character beyond ASCII: ~100 k instructions a note of 3 KB. It can only match where the
    text holds the first character of a form, or two characters beyond ASCII side by side,
    which the text encoded as ASCII with a "?" for each such character shows as "??": a note
    with neither (nearly every clean one) is told apart by an encoding and a look for each
    first character, about a quarter cheaper; any other is searched as before."""
    if line.isascii():
        return False
    if b"??" not in line.encode("ascii", "replace") and not any(map(line.__contains__, _leads())):
        return False
    return _suspect_pattern().search(line) is not None


def repair(line: str) -> Repaired:
    """Read a line as it was meant to be written: damaged signifiers first, then mojibake runs."""
    if not needs_repair(line):
        return _identity(line)
    text, origin = _repair(line, mapped=True)
    if origin is None:
        return _identity(line)
    return Repaired(text, tuple(origin), True)


def repaired_text(line: str) -> tuple[str, bool]:
    """:func:`repair`'s text, and whether anything was repaired, without the offsets back into
    ``line``: the parser never maps a repaired line back (write-back does, through
    :func:`repair`), and a list of one offset a character cost ~1.9% of bench/parse.py's scan."""
    if not needs_repair(line):
        return line, False
    text, origin = _repair(line, mapped=False)
    return text, origin is not None


def _repair(line: str, *, mapped: bool) -> tuple[str, list[int] | None]:
    """The repaired text, and the offset in ``line`` of each of its characters, then
    ``len(line)`` (left empty unless ``mapped``; None: nothing was repaired)."""
    table = damaged_table()
    out: list[str] = []
    origin: list[int] = []
    repaired = False

    def keep(segment: str, start: int) -> None:
        nonlocal repaired
        pos = 0
        for match in () if segment.isascii() else _MOJIBAKE_RUN.finditer(segment):
            pieces = _redecode(match.group())
            if pieces is None:
                continue
            out.append(segment[pos : match.start()])
            if mapped:
                origin.extend(range(start + pos, start + match.start()))
            for text, a, _ in pieces:
                out.append(text)
                if mapped:
                    origin.extend([start + match.start() + a] * len(text))
            pos = match.end()
            repaired = True
        out.append(segment[pos:])
        if mapped:
            origin.extend(range(start + pos, start + len(segment)))

    pos = 0
    for start, longest in damaged_spans(line):
        end = longest
        while end and _goes_on(line, start, end):
            # The longest form here is cut out of another character: a shorter one may not be.
            end = _longest_form(line, start, end - 1)
        if not end or (
            # Most forms stand between spaces, in no longer run: only a look at their neighbours.
            not (line[start - 1 : start] + line[end : end + 1]).isascii()
            and _inside_a_run_read_whole(line, pos, start, end)
        ):
            continue  # left to the reading of mojibake, with the bytes around it
        keep(line[pos:start], pos)
        clean = table[line[start:end]]
        out.append(clean)
        if mapped:
            origin.extend([start] * len(clean))
        pos = end
        repaired = True
    keep(line[pos:], pos)
    if not repaired:
        return line, None
    if mapped:
        origin.append(len(line))
    return "".join(out), origin
