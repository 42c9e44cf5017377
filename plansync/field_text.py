"""Text as a backend's field holds it: cut to a field's limit as Jira and Salesforce count it
(:func:`fitted`, :func:`java_length`, in UTF-16 code units, never within what shows as one
character), and escaped for Jira's wiki renderer (:func:`wiki_text`).

Separate from :mod:`plansync.rules`, which renders a record from a note and so loads the config
and the note parser: the sandboxes count a field's length as the servers they stand in for do,
with the same :func:`java_length`, and an emulator of Jira or Salesforce has no business loading
plansync's config to do it. This module imports only the standard library.
"""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"
WORD_REACH = 40
"""How far back from a field's limit a cut text looks for a space to end on: a word cut in two
reads worse than a few words fewer, but a summary that loses a line of its text to keep a long
word (a URL) whole reads worse still."""
_ZWJ = "\u200d"
_SKIN_TONES = ("\U0001f3fb", "\U0001f3ff")
_EMOJI_TAGS = ("\U000e0020", "\U000e007f")  # the tags of a subdivision's flag (🏴 + tags)
_REGIONAL_INDICATORS = ("\U0001f1e6", "\U0001f1ff")  # a pair of them is a country's flag


def fitted(text: str, limit: int) -> str:
    """``text`` cut to a field's ``limit`` as Jira and Salesforce count it, in UTF-16 code units
    (Java's and Apex's string length): a summary of 255 characters with an emoji in it is 256
    there, and refused at every sync.

    A text cut short says so with "…", after the last whole word when one ends near the limit,
    and never in the middle of what shows as one character (half a surrogate pair, an emoji
    without the rest of its ZWJ sequence or its variation selector): that shows as a stray
    glyph, or as another emoji than the note's."""
    if java_length(text) <= limit:
        return text
    end, used = 0, java_length(ELLIPSIS)
    while used + java_length(text[end]) <= limit:  # stops within text, which is over the limit
        used += java_length(text[end])
        end += 1
    while end > 0 and _joined(text, end):
        end -= 1
    if text[end] != " ":  # a word cut in two: end at the space before it, if near
        space = text.rfind(" ", max(0, end - WORD_REACH), end)
        end = space if space > 0 and text[:space].strip() else end  # words before it
    return text[:end].rstrip() + ELLIPSIS


def java_length(text: str) -> int:
    """A text's length as Jira (Java) and Salesforce count it against a field's limit: in UTF-16
    code units, so an emoji or another character beyond the BMP counts twice. (The sandboxes
    count with it too, as the servers they stand in for.)"""
    return len(text) + sum(char > "\uffff" for char in text)  # a surrogate pair each


def _joined(text: str, at: int) -> bool:
    """Whether ``text[at - 1]`` and ``text[at]`` show as one character, so a cut between them
    would split it: the parts of a ZWJ sequence (👩‍💻), a character and what modifies it (a
    combining accent, a variation selector, a keycap, a skin tone, a flag's tags), and the two
    halves of a country's flag."""
    before, after = text[at - 1], text[at]
    if _ZWJ in (before, after) or unicodedata.category(after) in ("Mn", "Mc", "Me"):
        return True
    if _within(after, _SKIN_TONES) or _within(after, _EMOJI_TAGS):
        return True
    # Regional indicators pair up from the first of a run: the second of a pair is joined.
    run = 0
    while run < at and _within(text[at - 1 - run], _REGIONAL_INDICATORS):
        run += 1
    return run % 2 == 1 and _within(after, _REGIONAL_INDICATORS)


def _within(char: str, span: tuple[str, str]) -> bool:
    return span[0] <= char <= span[1]


_WIKI_MARKUP = re.compile(r"[\[\]{}|]|\\(?=[\\\[\]{}|]|\Z)")
_WIKI_BACKSLASH = "&#92;"
"""A backslash as Jira's wiki renderer shows it whatever follows: written as a backslash, it
escapes the next character (or, doubled, is a line break), and there is no escape for it."""


def wiki_text(value: str) -> str:
    """``value`` as Jira's wiki renderer shows it as typed, each character that opens or ends a
    link (``[title|url]``), a macro (``{noformat}`` or ``{code}`` would take in the rest of the
    description) or a table cell escaped with a backslash. Emphasis (``*bold*``, ``_x_``) is
    left to render: it reads much the same in wiki markup, and users write it meaning that.

    A backslash of the note's that the renderer would read as markup is sent as an entity: one
    before another (``\\\\`` is a line break), before a character escaped here (``\\[``
    became ``\\\\[``: a line break, then a link) or ending the value (it escaped the
    template's next character: the ``|`` of the note's link). Any other stays as written, as
    the renderer shows it (``C:\\notes``; ``\\*`` shows ``*``, as in Obsidian)."""
    return _WIKI_MARKUP.sub(
        lambda found: _WIKI_BACKSLASH if found[0] == "\\" else "\\" + found[0], value
    )
