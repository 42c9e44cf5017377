"""Credentials inside URLs (``https://user:secret@jira.example.com``), kept out of all output.

A URL may carry a user name and password in its userinfo part, and ``requests`` sends them as
basic auth when it is given no other. plansync's rule is that secrets never appear in output,
plans, state or exceptions, and a backend's URL reaches all four: error messages, the key links
written into notes, the record URLs kept in the state store, the remote links sent to Jira. So a
connector takes the credentials out of its configured URL once, with :func:`split_credentials`,
and works with the bare URL from then on; and text that may quote a URL from elsewhere (an
exception's message, a library's error in a log line) goes through :func:`redact`.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

# A scheme, then the userinfo: everything up to the authority's last "@" (a password may hold a
# raw "@"; urlsplit splits the same way), never crossing "/", "?", "#" or whitespace.
_USERINFO = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@")

REDACTED = "***"


def redact(text: str) -> str:
    """``text`` with the userinfo of every URL in it replaced by ``***``: the host still shows
    (what a reader needs to know where), the credentials never do."""
    return _USERINFO.sub(rf"\g<1>{REDACTED}@", text)


def split_credentials(url: str) -> tuple[str, str, str]:
    """``(url without its userinfo, user, password)``; user and password are percent-decoded,
    and empty when the URL has none (``requests`` reads a URL's userinfo the same way)."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url, "", ""
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=host)), unquote(user), unquote(password)
