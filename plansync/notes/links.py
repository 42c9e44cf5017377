"""Ticket key links that plansync writes into a note line, and how to recognise them again.

A key link is an ordinary Markdown link, so Obsidian renders it and the Tasks plugin reads it as
description text. Which system it points at is told by its URL, not its label: Jira's browse URL
(``…/browse/CLOUD-12``) or a Salesforce Lightning record URL (``…/lightning/r/RFE__c/a01…/view``).
Write-back puts key links at the end of the description; any other link (elsewhere, or to a
ticket the text mentions) is the user's and is left alone.
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


def ticket_links(text: str) -> list[KeyLink]:
    """Every link in ``text`` to a ticket plansync manages, in order."""
    links = []
    for match in MARKDOWN_LINK.finditer(text):
        if named := classify(match.group(2)):
            links.append(KeyLink(*named, match.group(2), match.start(), match.end()))
    return links


def closing_key_links(core: str) -> dict[str, KeyLink]:
    """The key links of an item's description ``core``: of the links that close it (only
    links and spaces after them), the last to each target.

    That is where write-back puts them. A link earlier in the text is its writer's mention of
    a ticket ("Follow up on [CLOUD-7](…) with Dana"): text like any other, which write-back
    never replaces. Whether a line has an id does not matter: write-back gives a line its id
    before the key, and the line must read the same in between. (A synced line whose key no
    longer closes its text, words written after it since, is the planner's to read, knowing
    its record: ``parse.reread_keys``.)
    """
    found: dict[str, KeyLink] = {}
    tail = len(core)
    for match in reversed(list(MARKDOWN_LINK.finditer(core))):
        if core[match.end() : tail].strip():
            break
        tail = match.start()
        if (named := classify(match.group(2))) and named[0] not in found:
            found[named[0]] = KeyLink(*named, match.group(2), match.start(), match.end())
    return found


def format_key_link(label: str, url: str) -> str:
    return f"[{label}]({url})"
