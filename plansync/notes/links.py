"""Ticket key links that plansync writes into a note line, and how to recognise them again.

A key link is an ordinary Markdown link, so Obsidian renders it and the Tasks plugin reads it as
description text. Which system it points at is told by its URL, not its label: Jira's browse URL
(``…/browse/CLOUD-12``) or a Salesforce Lightning record URL (``…/lightning/r/RFE__c/a01…/view``).
Write-back puts key links at the end of the description. The parser, which knows no records,
reads the last link to each system as the item's key (:func:`last_links`); the planner, which
does, tells a synced line's key from a ticket its text mentions (``reread.reread_keys``). Any
other link is the user's and is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKDOWN_LINK = re.compile(r"\[([^[\]\n]+)\]\(<?([^)\s>]+)>?\)")
"""A link, whose text holds no bracket: as CommonMark reads ``array[0 bug [PLAN-1](…)``, the
first "[" is a character of the text and the link is ``[PLAN-1](…)``. Read from that "[", the
key link written back swallowed the text before it, and the owner with it."""
JIRA_URL = re.compile(r"/browse/([A-Z][A-Z0-9_]*-[0-9]+)(?:[?#].*)?$")
SALESFORCE_URL = re.compile(
    r"/lightning/r/(?:(?P<object>[A-Za-z0-9_]+)/)?(?P<id>[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?)/view"
)


@dataclass(frozen=True)
class KeyLink:
    target: str
    key: str
    url: str
    start: int
    end: int


def classify(url: str) -> tuple[str, str] | None:
    """(target, key) for a URL that points at a ticket plansync manages, else None."""
    if match := JIRA_URL.search(url):
        return "jira", match.group(1)
    if match := SALESFORCE_URL.search(url):
        return "salesforce", match["id"]
    return None


def salesforce_object(url: str) -> str | None:
    """The object a Salesforce record URL names (``RFE__c`` in ``…/lightning/r/RFE__c/a01…/view``);
    None: it names none, or is no such URL."""
    match = SALESFORCE_URL.search(url)
    return match["object"] if match else None


def _ticket_link(match: re.Match[str]) -> KeyLink | None:
    """The Markdown link ``match`` as a link to a ticket plansync manages, or None."""
    named = classify(match.group(2))
    return KeyLink(*named, match.group(2), match.start(), match.end()) if named else None


def ticket_links(text: str) -> list[KeyLink]:
    """Every link in ``text`` to a ticket plansync manages, in order."""
    return [link for match in MARKDOWN_LINK.finditer(text) if (link := _ticket_link(match))]


def last_links(text: str) -> dict[str, KeyLink]:
    """The last link in ``text`` to each target: what a line names as its keys, as far as a
    reader that knows no records can tell."""
    return {link.target: link for link in ticket_links(text)}


def closing_key_links(core: str) -> dict[str, KeyLink]:
    """Of the links that close an item's description ``core`` (only links and spaces after
    them), the last to each target: where write-back puts keys.

    A link earlier in the text is a ticket its writer mentions ("Follow up on [CLOUD-7](…)
    with Dana @Myself"), unless it names the record the line was synced to, words written
    after it since: the planner tells which (``reread.reread_keys``).
    """
    found: dict[str, KeyLink] = {}
    tail = len(core)
    for match in reversed(list(MARKDOWN_LINK.finditer(core))):
        if core[match.end() : tail].strip():
            break
        tail = match.start()
        if (link := _ticket_link(match)) and link.target not in found:
            found[link.target] = link
    return found


def format_key_link(label: str, url: str) -> str:
    return f"[{label}]({url})"
