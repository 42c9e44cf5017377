"""The common task line read in one step: what the full reading of it would give, cheaper.

Why this exists: a vault's task lines are mostly alike (``Draft the plan @Dana Okafor 📅
2025-10-27 ⏫ #task``: words, an owner, then a run of dates, priorities and tags), and the full
reading of one (:func:`plansync.notes.tasks.parse_body`, then the item's fields, text and
owner in ``parse._NoteReader._add``) asks each question a line might raise: a link, a wiki
link, a tag or a field left in the words, a block id, plansync's id out of place, Dataview
fields, a date that is none, runs of spaces. On such a line every answer is no, and asking
costs about half of the parse of a note.

The easy class, which a few string tests, an anchored pattern over the owner and the run's
cached reading prove a line is in:

- the words (the body, the line after its checkbox, up to its owner) are printable, hold no
  two spaces together, no space at either end, no ``[``, ``]`` or ``^`` (no link, wiki link or
  block id), and nothing the plugin's rules are triggered by (``#``, ``::``, any signifier):
  no tag, field or piece of one stands in them;
- or such words but for wiki links to a note by its name alone (``[[Cloud program]]``: no
  heading, block, alias or bracket in it), no embed and no Markdown link: the text shows each
  link by its name, as ``item_text.describe`` does;
- then `` @`` and the owner: words each starting with a capital A-Z, then the name pattern's
  own characters (no apostrophe), which the mention rule reads whole; the body's only ``@``;
- then, optionally, a run of plain fields, one space before each: a tag of the plain ASCII
  tag characters, a priority, or a date signifier and a date of the form YYYY-MM-DD.

For such a body the plugin's loop cuts exactly that run off the end (no piece of it reads
otherwise, and the words and owner hold nothing a rule could cut), the description is the
body before the run with the run's tags after it, the text is the words, their links shown
(the owner closes them, and is dropped), and nothing is warned of, but a date that is no
day, left to the full path. A decision's bullet of such words alone (no ``@``, no link) is
read so too (:func:`read_plain`). The run is read by ``tasks.read_plain_run``, cached by its
text as the full path's ``tasks.read_run`` is, from the same pieces' cache. A line without an
owner, an owner :func:`parse.owner_names` reads whole, a global filter to hide in the words,
or anything else is declined, and the full path reads it: declining is always right, and a
hypothesis test holds every line this path reads to the full path's item.

On ``bench/parse.py``'s vault it reads every task line (88% before lines with wiki links were
read so: -1.3% more), and the scan takes ~14% fewer instructions.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from plansync.notes.tasks import NO_PLAIN_RUN, PlainRun, has_trigger, read_plain_run

if TYPE_CHECKING:
    from plansync.notes.mentions import OwnerNames

_NAME_WORD = r"[A-Z][\w\u0300-\u036f-]*"  # parse._NAME_PART after a capital, no apostrophe
_OWNER = re.compile(f"{_NAME_WORD}(?: {_NAME_WORD})*")
"""The owner's name, after the words' " @"."""

EasyLine = tuple[str, str | None, str, PlainRun]
"""(text, owner, description, the run's fields) of a line in the easy class: a plain tuple,
made and taken apart once a task line."""


def read_easy(body: str, names: OwnerNames | None, hidden_filter: str) -> EasyLine | None:
    """The reading of a task line's ``body`` (after its checkbox) in the easy class (see the
    module); None: it is not, and the full path reads it. ``names``, ``hidden_filter``: the
    note reader's owners read whole and global filter to hide.

    String methods test the words (each a scan in C): one pattern over the whole body cost
    ~16 k instructions a line, the engine testing each character against the words' class.
    The pattern reads only the owner: the run's cached reading tells a plain run from any
    other, where matching the run too cost ~4 k instructions a line more."""
    at = body.find("@")
    if at < 2 or body[at - 1] != " ":
        return None
    words = body[: at - 1]
    if "[" in words or "]" in words:
        text = _linked(words)
        if text is None:
            return None
    elif _plain(words):
        text = words
    else:
        return None
    name = _OWNER.match(body, at + 1)
    if name is None:
        return None
    owner = name.group()
    if names is not None and owner.startswith(names.starts):
        return None
    end = name.end()
    if end == len(body):
        run, core = NO_PLAIN_RUN, body
    elif body[end] == " " and (read := read_plain_run(body[end + 1 :])) is not None:
        run, core = read, body[:end]
    else:
        return None
    if hidden_filter and hidden_filter in core:
        return None
    return text, owner, core + run.tag_text, run


def read_plain(words: str) -> EasyLine | None:
    """The reading of a decision's ``words`` (its list item's text) that are plain words (as
    an easy line's, and no ``@``): the text and description are the words, no owner, no
    field; None: the full path reads them."""
    return (words, None, words, NO_PLAIN_RUN) if "@" not in words and _plain(words) else None


_SIMPLE_LINK = re.compile(r"\[\[([^\[\]|#^]+)\]\]")
"""A wiki link to a note by its name alone: no heading, block, alias or bracket in it."""


def _linked(words: str) -> str | None:
    """The text of an easy line's ``words`` that hold wiki links (``[[Cloud program]]``), each
    a link to a note by its name alone: the words as ``item_text.describe`` shows them (each
    link by its name); None: they are no easy line's words with their links' brackets taken
    out, or hold another link (an embed, a Markdown link), and the full path reads them.

    Embeds and Markdown links are declined though no case is known where they read otherwise
    here: a Markdown link's reading (a key link's) and an embed's are the full path's to say.

    The words with their links' brackets taken out (a split on the link's pattern, joined, in
    C) are that text: where no bracket is left, ``shown_wiki_links`` finds the same links and
    shows each by its name, and plain words have no spacing for ``single_spaced`` to change."""
    if "](" in words or "![[" in words:
        return None
    text = "".join(_SIMPLE_LINK.split(words))
    return text if _plain(text) else None


def _plain(words: str) -> bool:
    """Whether ``words`` are an easy line's words (see the module)."""
    return not (
        not words
        or "[" in words
        or "]" in words
        or "^" in words
        or "  " in words
        or words[0] == " "
        or words[-1] == " "
        or not words.isprintable()
        or has_trigger(words)  # "#", "::", a signifier: a field or tag the plugin may read
    )
