"""Obsidian's wiki links (``[[Note]]``, ``[[Note|alias]]``) and how Obsidian shows them.

Apart from the parser: an owner's mention (``@[[Tomer Hagay]]``), an item's text, a heading's
text and a rule's ``{section}`` all read wiki links, and none of them is the note reader.
"""

from __future__ import annotations

import re

# No "[" inside one (Obsidian allows none in a link): "[[a" repeated with no "]]" made each
# match attempt read to the end of the line, minutes for a 60 KB line. "[[a [[b]]" links to b.
WIKI_LINK = re.compile(r"!?\[\[([^\[\]|#^]*)(?:[#^][^\[\]|]*)?(?:\|([^\[\]]*))?\]\]")


def shown_wiki_links(text: str) -> str:
    """``text`` with each wiki link as Obsidian shows it: by its alias (``[[Tomer Hagay|Tomer]]``
    is "Tomer"), else by the note it names (``[[Dana Okafor]]`` is "Dana Okafor"). The one
    reading for an item's text and for the note's title and participants in its records, where
    the brackets showed as typed (escaped, in a Jira description) and read as clutter."""
    return WIKI_LINK.sub(lambda m: m.group(2) or m.group(1), text)
