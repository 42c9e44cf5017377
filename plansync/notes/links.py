"""Ticket key links that plansync writes into a note line, and how to recognise them again.

A key link is an ordinary Markdown link, so Obsidian renders it and the Tasks plugin reads it as
description text. Which system it points at is told by its URL, not its label: Jira's browse URL
(``…/browse/CLOUD-12``) or a Salesforce Lightning record URL (``…/lightning/r/RFE__c/a01…/view``).
Any other link in the line is the user's and is left alone.
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


def find_key_links(text: str) -> list[KeyLink]:
    links = []
    for match in MARKDOWN_LINK.finditer(text):
        found = classify(match.group(2))
        if found:
            links.append(KeyLink(found[0], found[1], match.group(2), match.start(), match.end()))
    return links


def format_key_link(label: str, url: str) -> str:
    return f"[{label}]({url})"
