"""An item's text as Obsidian shows it: a task's or decision's description less its owner,
edge tags, key links and link markup, and a decision's detail lines.

Apart from the parser: the note reader reads an item's text from its line once, and the
planner reads it again from the line knowing the item's records (:mod:`plansync.notes.reread`);
both read it here, the same way.
"""

from __future__ import annotations

import re
from itertools import pairwise

from plansync.notes.links import KeyLink
from plansync.notes.mentions import OwnerNames, mention
from plansync.notes.tasks import BLOCK_LINK, remove_global_filter
from plansync.notes.wiki_links import shown_wiki_links

INLINE_TAG = re.compile(r"(?:^|(?<=\s))#([^ !@#$%^&*(),.?\":{}|<>]+)")
# Tags at the start or end of a text, with the tag characters Obsidian uses, so that text
# glued to a tag (`#q"x`) is kept rather than taken for part of the tag.
EDGE_TAGS = re.compile(
    r"^(?:#[^ !@#$%^&*(),.?\":{}|<>\s]+(?:\s+|$))+|(?:\s+#[^ !@#$%^&*(),.?\":{}|<>\s]+)+$"
)
MARKDOWN_LINK_TEXT = re.compile(r"(?<!!)\[([^[\]\n]+)\]\([^)\s]+\)")  # see links.MARKDOWN_LINK
_COMMENT = re.compile(r"%%.*?(?:%%|$)")
"""An Obsidian comment in a line, or one it opens: not shown, so no part of a detail."""


def detail_text(words: str) -> str:
    """A line of a decision's list item as Obsidian shows it: without an Obsidian comment or a
    trailing block id (a sub-bullet's ``^id`` names that bullet, not the decision), wiki links
    by their text, runs of spaces as one. Markdown links stay as written: their address is
    what a ticket's reader needs, and Obsidian's link text alone would lose it."""
    if "%%" in words:
        words = _COMMENT.sub("", words)
    words = words.strip()
    if "^" in words and (block := BLOCK_LINK.search(words)):
        words = words[: block.start()]
    if "[[" in words:
        words = shown_wiki_links(words)
    return " ".join(words.split())


def item_text(
    core: str,
    key_links: dict[str, KeyLink] | None,
    hidden_filter: str,
    names: OwnerNames | None = None,
    *,
    keys_stay: bool = True,
) -> tuple[str, str | None]:
    """(text, owner) of an item with description ``core``, of which ``key_links`` are the
    key links; ``hidden_filter``: the global filter to leave out, if any; ``names``: the
    owners read whole (:func:`mentions.owner_names`).

    The text is the description as the plugin shows it (the filter left out when so set),
    less its key links: both are taken off before the words are read. Sync writes the keys
    after the owner's mention that closes the text, so that mention still closes it when
    words were typed after the keys since (the Tasks plugin's edit box puts the cursor
    there): "Update the runbook @Dana Okafor [PLAN-3](…) for the new cluster" is Dana's
    "Update the runbook for the new cluster", not "… Dana Okafor for the new cluster". Not
    where the keys do not stay (``keys_stay`` False: a copy's, which write-back takes off and
    puts the copy's own key at the end of its text): it is read as it will be then.
    """
    marked = False
    if key_links:
        links = sorted(key_links.values(), key=lambda link: link.start, reverse=True)
        # Only where words follow the keys (a synced line's keys close its text), and never
        # where the text holds the marker character itself (an icon font's glyph).
        gaps = [core[a.end : b.start] for b, a in pairwise(links)] + [core[links[0].end :]]
        first = (
            links[-1]
            if keys_stay and any(gap.strip() for gap in gaps) and _KEY_WAS_HERE not in core
            else None
        )
        for link in links:
            mark = ""
            if link is first and _ends_in_mention(core[: link.start], names):
                mark, marked = _KEY_WAS_HERE, True
            core = core[: link.start] + mark + core[link.end :]
    if hidden_filter:
        core = remove_global_filter(core, hidden_filter)
    return describe(core, marked, names)  # positional: a call CPython specialises


_KEY_WAS_HERE = "\ue000"
"""Where the first key link was taken out of a text right after a mention (a private-use
character, which :func:`describe` takes out again): the mention closed the text as synced."""


def _ends_in_mention(text: str, names: OwnerNames | None) -> bool:
    """Whether ``text`` ends in a mention (``@Dana Okafor``) that would close it: spaces and
    punctuation after it aside, as :func:`describe` reads them (``Ask @Dana. ``)."""
    text = text.rstrip().rstrip(_AFTER_A_CLOSING_MENTION)
    at = text.rfind("@")
    while at >= 0:
        found = mention(text, at, names)
        if found is not None and found[0] == len(text):
            return True
        at = text.rfind("@", 0, at)
    return False


_AFTER_A_CLOSING_MENTION = " .,;:"
"""What may follow the owner's mention that still closes a text: "Ask @Dana." is Dana's "Ask"."""


def single_spaced(text: str) -> str:
    """``" ".join(text.split())``: runs of whitespace as one space, none at the ends; the text
    itself, at a sixth of the cost, where it is so already (nearly every item's).

    Every character ``str.split`` splits at but the space is a control or a separator (Cc,
    Zs, Zl, Zp: ``\t``, U+00A0, U+3000, ...), which ``str.isprintable`` finds, so a printable
    text with no two spaces together and none at its ends has nothing for the split to change.
    """
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def describe(
    core: str, marked: bool = False, names: OwnerNames | None = None
) -> tuple[str, str | None]:
    """(text, owner) of a description without its key links: owner, edge tags and link markup
    removed; ``names``: the owners read whole (:func:`mentions.owner_names`).

    Each pattern runs only when the character it needs is there: this is on the hot path of
    every item of every note. Whitespace runs become one space through ``str.split``; only link
    text can bring new ones. ``marked``: :func:`item_text` put :data:`_KEY_WAS_HERE` in.
    """
    has_link = "](" in core
    core = single_spaced(core)
    owner = None
    at = core.rfind("@")
    while at >= 0:
        # The owner is the last mention; no mention contains an "@", so it is the last "@"
        # that starts one.
        last = mention(core, at, names)
        if last is None:
            at = core.rfind("@", 0, at)
            continue
        end, owner = last
        rest = core[end:].strip(_AFTER_A_CLOSING_MENTION)
        if rest and not (marked and rest.startswith(_KEY_WAS_HERE)):
            core = core[:at] + owner + core[end:]
        else:  # the owner closes the text: drop it, keep the sentence's own punctuation
            core = core[:at].rstrip() + core[end:].strip()
        break
    spaced = marked
    if marked:
        core = core.replace(_KEY_WAS_HERE, " ")
    if "#" in core:
        core = INLINE_TAG.sub(r"\1", EDGE_TAGS.sub("", core.strip()))
    # Link text may start or end with spaces. Markdown links first: a wiki link's text may
    # spell one ("[a][[(b)]]" reads "[a](b)"), which is text, not a link.
    if has_link:
        core = MARKDOWN_LINK_TEXT.sub(r"\1", core)
        spaced = True
    if "[[" in core:
        core = shown_wiki_links(core)
        spaced = True
    return (single_spaced(core) if spaced else core), owner
