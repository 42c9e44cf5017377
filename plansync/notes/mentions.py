"""Owner mentions in an item's text (``@Dana Okafor``, ``@dana.okafor``, ``@[[Dana Okafor]]``):
where one starts and ends, and whom it names.

Apart from the parser: the rule of a name's words (capitals of any script, NFD marks, the
config's names read whole) is a job of its own, read by an item's text, by the planner's
second reading of a synced line, and by the tests of owners, none of which reads a note.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from plansync.notes.wiki_links import WIKI_LINK

# Not after a "/" either: "https://medium.com/@alice/post" names a page, not an owner. A name
# may hold an apostrophe (O'Brien), but a possessive "'s" is not part of it (@Priya's draft).
# A name's words start with a capital of any script (@Émile Dupont, @Иван Петров), and go on
# through combining marks: a name in NFD (macOS file names, some copy-paste) spells "í" as "i"
# and U+0301, which is no \w (the NFD form of any letter of a cased script has its marks in
# U+0300-U+036F). Python's re has no \p{Lu}, and a class of every capital costs milliseconds to
# compile: a word here starts with "A-Z" or any letter beyond ASCII, and mention() asks such a
# letter whether it is a capital.
_NAME_PART = r"[\w\u0300-\u036f-]"
_NAME = rf"[^\W\d_\x00-\x40\x5b-\x7f]{_NAME_PART}*(?:'(?!s\b){_NAME_PART}+)*"
_HANDLE = rf"[\w-]{_NAME_PART}*(?:\.{_NAME_PART}+)*"
MENTION = re.compile(rf"(?<![\w@/])@(?:({_NAME}(?: {_NAME})*)|({_HANDLE}))")
"""A mention, as a name (group 1: capitalised words, once :func:`mention` has checked those
starting beyond ASCII) or a handle (group 2: ``@dana``, ``@dana.okafor``); use :func:`mention`."""
_HANDLE_MENTION = re.compile(rf"@({_HANDLE})")
_CAPITALS = ("Lu", "Lt")
"""The letters that start a name's word: capitals (É, Ł, И) and titlecase letters (the digraph
ǅ); not str.isupper(), which also takes a Roman numeral (Ⅻ)."""


def mention(text: str, at: int, names: OwnerNames | None = None) -> tuple[int, str] | None:
    """(where it ends, whom it names) of the mention that ``text[at]``, an "@", starts; None
    when none does.

    A name is the words after the "@" that start with a capital, up to the first that does
    not: "@Dana Ølsen" is Dana Ølsen, "@Dana okafor" is Dana. The pattern checks a first
    letter in ASCII itself, so only the words starting beyond ASCII are looked at here (and
    only in a name with such a letter); a name whose first word starts with no capital is a
    handle ("@émile", as "@dana").

    ``names`` (:func:`owner_names`: the config's people whose names hold a word with no
    capital, "Ana de la Cruz") are read whole where the rule above would cut them short, and
    then read on as it would after a capitalised word ("@Ana de la Cruz López" names whom
    "@Ana Cruz López" would).
    """
    if names is not None and text.startswith(names.starts, at + 1):
        return _mention_of(text, at, names.pattern)
    found = MENTION.match(text, at)
    if found is None:
        return _linked_mention(text, at) if text.startswith("[[", at + 1) else None
    name = found[1]
    if name is None:
        return found.end(), found[2]
    if name.isascii():
        return found.end(), name
    capitalised = _capitalised(name)
    if capitalised == len(name):
        return found.end(), name
    if capitalised == 0:
        handle = _HANDLE_MENTION.match(text, at)
        return None if handle is None else (handle.end(), handle[1])
    return at + 1 + capitalised, name[:capitalised]


def _linked_mention(text: str, at: int) -> tuple[int, str] | None:
    """:func:`mention` of a person's note: ``@[[Tomer Hagay]]``, ``@[[Tomer Hagay|Tomer]]``,
    ``@[[People/Tomer Hagay]]`` name Tomer Hagay, the note linked to (its name, as [users]
    knows people, not the alias shown). Read as no mention, the owner would be dropped in
    silence and the link's words taken for the summary's."""
    link = WIKI_LINK.match(text, at + 1)
    if link is None or link.group().startswith("!"):
        return None
    name = " ".join(link[1].rsplit("/", 1)[-1].split())
    return (link.end(), name) if name else None


def _capitalised(words: str) -> int:
    """How long the run of words at the start of ``words`` (``_NAME`` words, a space apart)
    is whose first letters are capitals: ``len(words)`` for all, else where the space before
    the first that is not stands (0: the first is not). Only a letter beyond ASCII is asked:
    the pattern takes no other but A-Z."""
    start = 0  # of each word in turn
    while True:
        letter = words[start]
        if letter > "\x7f" and unicodedata.category(letter) not in _CAPITALS:
            return max(start - 1, 0)
        space = words.find(" ", start)
        if space < 0:
            return len(words)
        start = space + 1


_NAME_END = rf"(?!{_NAME_PART}|'(?!s\b){_NAME_PART})"
"""Where a name read whole ends: not within a word, nor before an apostrophe that goes on
with one (O'Brien; "'s" is a possessive)."""


def _mention_of(text: str, at: int, names: re.Pattern[str]) -> tuple[int, str] | None:
    """:func:`mention` where ``names`` are read whole: the longer of the two readings, so a
    name in the config never cuts a longer one short ("@Dana Okafor" with only "Dana" in
    [users] is still Dana Okafor, who maps to no one, not a guess at Dana)."""
    found = mention(text, at)
    if found is None:
        return None  # no mention starts here (after a letter or "/"), nor can a name
    whole = names.match(text, at + 1)
    if whole is None or whole.end(1) <= found[0]:
        return found
    end = whole.end(1)
    if more := whole[2]:  # the words after it that the pattern took for capitalised
        end += (1 + capitalised) if (capitalised := _capitalised(more[1:])) else 0
    return end, text[at + 1 : end]


class OwnerNames:
    """The names :func:`mention` reads whole (:func:`owner_names`). A class with slots, not a
    named tuple: :func:`mention` reads ``starts`` on every task line, and CPython reads a slot
    quicker than a named tuple's field."""

    __slots__ = ("pattern", "starts")

    def __init__(self, pattern: re.Pattern[str], starts: tuple[str, ...]):
        self.pattern = pattern
        """Each name, longest first; then (group 2) the words after it that may start with a
        capital (:func:`_capitalised` tells)."""
        self.starts = starts
        """Their first words: a mention that starts with none of them is read by the rule
        alone, at the cost of one ``str.startswith``."""


@lru_cache(maxsize=16)
def owner_names(names: tuple[str, ...]) -> OwnerNames | None:
    """What :func:`mention` reads whole of ``names`` (a policy's ``owner_names``, the config's
    [users] names): those it would cut short (a word with no capital: "Ana de la Cruz",
    "Ludwig van Beethoven"), as written in NFC or NFD, longest first, so "@Ana de la Cruz" is
    hers even where "Ana de la" is someone's too. None when every name is read whole anyway
    (capitalised words, or a handle): then a mention costs nothing more, and nothing is
    compiled.

    Only configured names: a rule of particles ("de", "van", "dos") would read "@João da TI"
    ("João from IT") or "@Ana do Financeiro" as a name, and move an owner [users] maps to
    one it does not. A name with an "@" is left out: no mention holds one."""
    forms: set[str] = set()
    for name in names:
        words = " ".join(name.split())
        if "@" in words:
            continue
        for form in {unicodedata.normalize("NFC", words), unicodedata.normalize("NFD", words)}:
            read = mention("@" + form, 0)
            if read is not None and read[1] != form:
                forms.add(form)
    if not forms:
        return None
    longest_first = sorted(forms, key=lambda form: (-len(form), form))
    alternatives = "|".join(map(re.escape, longest_first))
    return OwnerNames(
        re.compile(f"({alternatives}){_NAME_END}((?: {_NAME})*)"),
        tuple(sorted({form.split(" ", 1)[0] for form in longest_first})),
    )
