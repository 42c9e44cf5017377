"""JQL in the Jira sandbox: the subset plansync needs (``project = X``, ``labels in (...)``,
``key in (...)``, AND, ORDER BY key), parsed strictly so a connector bug shows up as a 400
worded as Jira words it.

Separate from :mod:`plansync.sandbox.jira_app` because reading a query is one job and serving
Jira's endpoints another: the app runs a parsed :class:`Jql` against its store, and this module
knows nothing of issues, routes or faults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plansync.sandbox.jira_errors import ApiError

_JQL_TOKEN = re.compile(
    r"""\s*(?:(?P<punct>[(),=])|(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
    r"""|(?P<word>[^\s(),="']+))"""
)
_JQL_RESERVED = set("+.,;?|*/%^$#@[]")
_JQL_ESCAPES = {'"': '"', "'": "'", "\\": "\\", " ": " ", "t": "\t", "n": "\n", "r": "\r"}
_JQL_FIELDS = {"project": "project", "labels": "labels", "key": "key", "issuekey": "key"}
ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9_]*-[1-9][0-9]*$")
_SUPPORTED_JQL = (
    "The plansync sandbox supports: project = X, labels in (...), key in (...), AND, ORDER BY key."
)


@dataclass
class Jql:
    """A parsed query: clauses joined by AND (field, allowed values) and an ORDER BY key."""

    clauses: list[tuple[str, list[str]]]
    descending: bool = True  # no ORDER BY: newest first, so callers can't rely on an order


def _jql_error(message: str) -> ApiError:
    return ApiError(400, [message])


def _jql_unquote(token: str, pos: int) -> str:
    out, i, end = [], 1, len(token) - 1
    while i < end:
        char = token[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        nxt = token[i + 1]
        if nxt in _JQL_ESCAPES:
            out.append(_JQL_ESCAPES[nxt])
            i += 2
        elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", token[i + 2 : i + 6]):
            out.append(chr(int(token[i + 2 : i + 6], 16)))
            i += 6
        else:
            raise _jql_error(
                f"Error in the JQL Query: '\\{nxt}' is an illegal JQL escape sequence. "
                f"The valid escape sequences are \\', \\\", \\t, \\n, \\r, \\\\, '\\ ' and "
                f"\\uXXXX. (line 1, character {pos + i + 1})"
            )
    return "".join(out)


def _jql_tokens(jql: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) with kind one of punct, string, word."""
    tokens, pos = [], 0
    while pos < len(jql):
        if not jql[pos:].strip():
            break
        match = _JQL_TOKEN.match(jql, pos)
        if not match:
            start = len(jql[pos:]) - len(jql[pos:].lstrip()) + pos
            raise _jql_error(
                f"Error in the JQL Query: The quoted string starting at character {start + 1} "
                "has not been completed."
            )
        kind = match.lastgroup or "word"
        text = match.group(kind)
        start = match.start(kind)
        if kind == "string":
            text = _jql_unquote(text, start)
        elif kind == "word":
            bad = next((c for c in text if c in _JQL_RESERVED), None)
            if bad:
                raise _jql_error(
                    f"Error in the JQL Query: The character '{bad}' is a reserved JQL character. "
                    "You must enclose it in a string or use the escape "
                    f"'\\u{ord(bad):04x}' instead. "
                    f"(line 1, character {start + text.index(bad) + 1})"
                )
        tokens.append((kind, text, start))
        pos = match.end()
    return tokens


def parse_jql(jql: str) -> Jql:
    """Parse the supported subset; anything else is a 400 with Jira-like wording."""
    tokens = _jql_tokens(jql)
    pos = 0

    def peek_word() -> str:
        return tokens[pos][1].lower() if pos < len(tokens) and tokens[pos][0] == "word" else ""

    def unexpected(expecting: str) -> ApiError:
        if pos >= len(tokens):
            return _jql_error(f"Error in the JQL Query: Expecting {expecting} but reached the end.")
        _, text, at = tokens[pos]
        return _jql_error(
            f"Error in the JQL Query: Expecting {expecting} but got '{text}'. "
            f"(line 1, character {at + 1})"
        )

    def take(kind: str, text: str | None = None, expecting: str = "") -> str:
        nonlocal pos
        if pos >= len(tokens) or tokens[pos][0] != kind:
            raise unexpected(expecting or repr(text))
        if text is not None and tokens[pos][1].lower() != text:
            raise unexpected(expecting or repr(text))
        pos += 1
        return tokens[pos - 1][1]

    def value() -> str:
        if pos < len(tokens) and tokens[pos][0] in ("string", "word"):
            return take(tokens[pos][0])
        raise unexpected("either a value, 'EMPTY' or a list of values")

    clauses: list[tuple[str, list[str]]] = []
    descending = True
    while pos < len(tokens) and peek_word() != "order":
        if clauses:
            if peek_word() in ("or", "not"):
                raise _jql_error(
                    f"Error in the JQL Query: '{peek_word().upper()}' is not "
                    f"supported. {_SUPPORTED_JQL}"
                )
            take("word", "and", "either 'OR' or 'AND'")
        name = take("word", expecting="a field name") if peek_word() else value()
        if name.lower() not in _JQL_FIELDS:
            raise _jql_error(
                f"Field '{name}' does not exist or you do not have permission to view it. "
                f"{_SUPPORTED_JQL}"
            )
        operator = tokens[pos][1].lower() if pos < len(tokens) else ""
        if operator == "=":
            pos += 1
            values = [value()]
        elif operator == "in":
            pos += 1
            take("punct", "(", "'('")
            values = [value()]
            while pos < len(tokens) and tokens[pos][1] == ",":
                pos += 1
                values.append(value())
            take("punct", ")", "')' or ','")
        else:
            raise unexpected("operator '=' or 'in' (the sandbox supports no other)")
        clauses.append((_JQL_FIELDS[name.lower()], values))
    if pos < len(tokens):
        take("word", "order", "'ORDER BY'")
        take("word", "by", "'BY'")
        sort_field = value()
        if sort_field.lower() not in ("key", "issuekey"):
            raise _jql_error(
                f"Error in the JQL Query: ordering by '{sort_field}' is not "
                f"supported. {_SUPPORTED_JQL}"
            )
        descending = peek_word() == "desc"
        if peek_word() in ("asc", "desc"):
            pos += 1
        if pos < len(tokens):
            raise unexpected("the end of the query")
    return Jql(clauses, descending)
