"""A heading's text as Obsidian shows it, and whether it names a decisions section.

Apart from the parser: how a heading reads (its formatting, emoji, a section's number) is a
job of its own, and a rule's ``{section}`` reads a heading's text as the note reader does.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from plansync.notes.wiki_links import shown_wiki_links

_FORMATTING = re.compile(r"(?<!\w)[*_=`]+(?=\S)|(?<=\S)[*_=`]+(?!\w)")
"""Markdown's emphasis and code markers and Obsidian's ``==highlight==``: formatting, not
words, where they open or close a run of text. Inside a word (``snake_case``, ``2+2=4``) or
alone between spaces (``a = b``) they are the words a reader sees."""


def heading_text(text: str) -> str:
    """A heading's text as Obsidian shows it, without its formatting: no emphasis
    (``**Decisions**``, which transcription pipelines write), highlight or code markers, wiki
    links by their text (``[[Projects|Project X]]``: Project X), runs of spaces as one. What a
    template's ``{section}`` says: a summary is plain text, where ``**Decisions**`` showed its
    asterisks. Emoji and punctuation stay (``Notes (draft)``): they are words a reader sees."""
    if "[[" in text:
        text = shown_wiki_links(text)
    if "*" in text or "_" in text or "=" in text or "`" in text:
        text = _FORMATTING.sub("", text)
    return " ".join(text.split())


_ORDINAL = re.compile(r"[0-9]{1,9}[.)] ")
"""A section's number before its heading's words (``3. Decisions``, ``3) Decisions``), in
arabic digits: meeting-note pipelines number their sections."""


def _heading_name(text: str) -> str:
    """A heading's words as they are compared with the configured decision headings when its
    text as written is none of them: its :func:`heading_text`, without the emoji, symbols and
    punctuation it starts or ends with (``Decisions 🎯``, ``Decisions:``) and without a
    section's number before its words (``3. Decisions``), case-folded. Obsidian shows such a
    heading as the word, and a reader sees the section it names. Words around the name still
    make another heading (``Decisions pending review``, ``Non-decisions``), and so does a
    struck-through one (``~~Decisions~~``): strikethrough takes a heading back."""
    text = heading_text(text)
    start, end = 0, len(text)
    while start < end and _decoration(text[start]):
        start += 1
    if start < end and "0" <= text[start] <= "9" and (number := _ORDINAL.match(text, start)):
        start = number.end()
        while start < end and _decoration(text[start]):
            start += 1
    while end > start and _decoration(text[end - 1]):
        end -= 1
    return text[start:end].casefold()


@lru_cache(maxsize=16)
def decision_names(headings: tuple[str, ...]) -> frozenset[str]:
    """The decision headings as :func:`_heading_name` reads them, for a heading whose text is
    none of them as written (none empty: ``## ---`` names no section); once a policy, not once
    a note."""
    return frozenset(name for name in map(_heading_name, headings) if name)


@lru_cache(maxsize=1024)
def names_decisions(text: str, decision_names: frozenset[str]) -> bool:
    """Whether a heading that is no decisions heading as written is one as
    :func:`_heading_name` reads it (``decision_names``: :func:`decision_names`); one of words
    alone ("Action Items", most headings) has nothing for it to take off, so is read without
    it. Cached: a vault's notes share most of their headings, and each read cost a few
    thousand instructions."""
    if text.replace(" ", "").isalnum():
        return " ".join(text.split()).casefold() in decision_names
    return _heading_name(text) in decision_names


def _decoration(char: str) -> bool:
    """Whether a character at a heading's start or end is no part of its words: space,
    punctuation, a symbol (an emoji; not ``~``, which strikes a heading through), or a mark or
    joiner of an emoji's sequence (U+FE0F, U+20E3, U+200D)."""
    if char == "~":
        return False
    return char.isspace() or unicodedata.category(char)[0] in "PSM" or char == "\u200d"
