"""Credentials inside URLs (``https://user:secret@jira.example.com``), kept out of all output.

A URL may carry a user name and password in its userinfo part, and ``requests`` sends them as
basic auth when it is given no other. plansync's rule is that secrets never appear in output,
plans, state or exceptions, and a backend's URL reaches all four: error messages, the key links
written into notes, the record URLs kept in the state store, the remote links sent to Jira. So a
connector takes the credentials out of its configured URL once, with :func:`split_credentials`,
and works with the bare URL from then on; and text that may quote a URL from elsewhere (an
exception's message, a library's error in a log line) goes through :func:`redact`.

A server may also quote the credentials it was sent (an error body that echoes the request's
``Authorization`` header, a login page that shows the token): each connector registers the
secrets it holds with :func:`add_secret`, which adds every form they are sent in and a server
quotes them in, and :func:`redact` blanks them too. The registry is the process's, not a
connector's, because the text to clean reaches exceptions, log lines and per-item errors far
from the connector that knew the secret.
"""

from __future__ import annotations

import base64
import html
import json
import re
from contextlib import suppress
from urllib.parse import quote, quote_plus, unquote, urlsplit, urlunsplit

# A scheme, then the userinfo: everything up to the authority's last "@" (a password may hold a
# raw "@"; urlsplit splits the same way), never crossing "/", "?", "#" or whitespace.
_USERINFO = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@")

REDACTED = "***"

SHORTEST_SECRET = 8
"""Shorter values are blanked only where they stand as a value (``alice:hunter2``, ``pw=jira``,
``"jira"``), not inside a longer word, a host name or a path: no token, API key or Salesforce
password is that short, but a Jira Data Center password may be, and blanking ``jira``
wherever it occurs would garble ``administrator`` and ``https://jira.example.com``."""
# Not next to a letter or digit, and not a host name's or path's part: ".jira", "/jira",
# "jira/" and "jira.example" are spared; anything else around it ("\"", ":", "@", "=", "!")
# may delimit a value.
_BEFORE_A_VALUE = r"(?<![^\W_])(?<![./])"
_AFTER_A_VALUE = r"(?![^\W_]|/|\.\w)"

_secrets: list[str] = []
"""Every secret registered, longest first (so that a secret holding another is blanked whole)."""


def add_secret(value: str | None, *, user: str | None = None) -> None:
    """Blank ``value`` wherever :func:`redact` runs from now on, in each form it travels in:
    as given; percent-encoded (a URL) and form-encoded (an OAuth token request, where a space
    is "+"); XML-escaped (simple-salesforce's SOAP login body); JSON-escaped (a JSON body that
    quotes it, with a quote or a backslash in it); and, with ``user``, as the ``Basic``
    credentials HTTP sends, base64 of ``user:value`` in UTF-8 and in the Latin-1 requests
    encodes them in (a password with "ä" showed in the header a gateway's error quoted)."""
    if not value:
        return
    forms = {
        value,
        quote(value, safe=""),
        quote_plus(value),
        html.escape(value),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
    }
    if user is not None:
        for encoding in ("utf-8", "latin-1"):
            with suppress(UnicodeEncodeError):  # not Latin-1: requests cannot send it at all
                forms.add(base64.b64encode(f"{user}:{value}".encode(encoding)).decode())
    for form in forms:
        if form not in _secrets:
            _secrets.append(form)
    _secrets.sort(key=len, reverse=True)


def redact(text: str, also: tuple[str | None, ...] = ()) -> str:
    """``text`` with the userinfo of every URL in it, every registered secret, and ``also``
    (a caller's own credentials, however short, in text a server sent about them) replaced by
    ``***``: the host still shows (what a reader needs to know where), credentials never do.

    A secret with spaces in it is found with any run of white space where it has one: a
    message is made one line by folding the white space of what a server said, and "pass  word"
    read "pass word" there, which no plain search for it found."""
    text = _USERINFO.sub(rf"\g<1>{REDACTED}@", text)
    for secret in _secrets:
        text = _blanked(text, secret, as_a_value=len(secret) < SHORTEST_SECRET)
    for secret in sorted(filter(None, also), key=len, reverse=True):
        text = _blanked(text, secret, as_a_value=False)
    return text


def _blanked(text: str, secret: str, *, as_a_value: bool) -> str:
    """``text`` with ``secret`` replaced by ``***``, its white space matching any; only where
    it stands as a value (see :data:`SHORTEST_SECRET`) when ``as_a_value``."""
    words = secret.split()
    if not words or words[0] not in text:
        return text
    if len(words) == 1 and not as_a_value:  # the common case, without a regular expression
        return text.replace(words[0], REDACTED)
    pattern = r"\s+".join(map(re.escape, words))
    if as_a_value:
        pattern = _BEFORE_A_VALUE + pattern + _AFTER_A_VALUE
    return re.sub(pattern, REDACTED, text)


def may_name_a_file(value: str) -> bool:
    """Whether a setting that should name a file can be a path, and so may be quoted. One that
    cannot (long, on several lines, with PEM armour) is most likely the secret itself: a private
    key's text, base64 or bare, where its path belongs."""
    return len(value) <= 255 and "\n" not in value and "-----" not in value


NOT_A_KEY_FILE = (
    "is neither a file's path nor PEM text (-----BEGIN ... -----END); its value is not shown,"
    " as it may be the key itself"
)


def key_file(given: str) -> str | None:
    """The file a private key setting names, or None where it holds the key itself (PEM
    text): the one place that tells the two apart, for the config (which takes a path from its
    own folder) and the Salesforce connector (which reads it). ValueError saying
    :data:`NOT_A_KEY_FILE` where it can be neither (a key pasted without its armour where its
    path belongs), whose value is never quoted."""
    if "-----BEGIN" in given:
        return None
    if not may_name_a_file(given):
        raise ValueError(NOT_A_KEY_FILE)
    return given


def split_credentials(url: str) -> tuple[str, str, str]:
    """``(url without its userinfo, user, password)``; user and password are percent-decoded,
    and empty when the URL has none (``requests`` reads a URL's userinfo the same way)."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url, "", ""
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=host)), unquote(user), unquote(password)
