"""Ticket key links that plansync writes into a note line, and how to recognise them again.

A key link is an ordinary Markdown link, so Obsidian renders it and the Tasks plugin reads it as
description text. Which system it points at is told by its URL, not its label: Jira's browse URL
(``…/browse/CLOUD-12``) or a Salesforce Lightning record URL (``…/lightning/r/RFE__c/a01…/view``).
Any other link in the line (elsewhere, or to a ticket the text mentions) is the user's and is
left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKDOWN_LINK = re.compile(r"\[([^\]\n]+)\]\(<?([^)\s>]+)>?\)")
JIRA_URL = re.compile(r"/browse/([A-Z][A-Z0-9_]*-[0-9]+)(?:[?#].*)?$")
SALESFORCE_URL = re.compile(
    r"/lightning/r/(?:[A-Za-z0-9_]+/)?([A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?)/view"
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
        return "salesforce", match.group(1)
    return None


def key_links(core: str, owner_end: int) -> dict[str, KeyLink]:
    """The links in an item's description that name its records: the last link to each target
    of those that stand where write-back puts keys.

    Write-back puts key links at the end of the description, after the owner's mention. Words
    may be written after them since (the Tasks plugin's edit box puts the cursor there), so a
    link after ``owner_end`` counts, as does one that only links and spaces follow. Any other
    is the writer's mention of a ticket ("Follow up on [CLOUD-7](…) with Dana @Myself"): text
    like any other, which write-back never replaces.
    """
    found: dict[str, KeyLink] = {}
    tail = len(core)
    for match in reversed(list(MARKDOWN_LINK.finditer(core))):
        if match.start() < owner_end and core[match.end() : tail].strip():
            break
        tail = match.start()
        url = match.group(2)
        named = classify(url)
        if named and named[0] not in found:
            found[named[0]] = KeyLink(named[0], named[1], url, match.start(), match.end())
    return found


def format_key_link(label: str, url: str) -> str:
    return f"[{label}]({url})"
