"""SOQL in the Salesforce sandbox: the subset plansync needs (SELECT fields FROM object, WHERE
conditions joined by AND, ORDER BY, LIMIT, OFFSET), parsed strictly so a connector bug shows up
as a 400 worded as Salesforce words it.

Separate from :mod:`plansync.sandbox.salesforce_app` because reading a query is one job and
serving Salesforce's endpoints another: the app resolves a parsed :class:`Soql`'s names against
an object's fields and runs it against its store; this module knows nothing of objects,
records or faults.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any

from plansync.sandbox.salesforce_errors import ApiError

_SOQL_TOKEN = re.compile(
    r"""\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<date>\d{4}-\d{2}-\d{2}(?![\w:]))"""
    r"""|(?P<number>-?\d+(?:\.\d+)?(?![\w.]))|(?P<name>[A-Za-z_][\w.]*)"""
    r"""|(?P<punct>!=|<>|<=|>=|[=<>(),]))"""
)
_SOQL_ESCAPES = {
    "'": "'",
    '"': '"',
    "\\": "\\",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
}
_SUPPORTED_SOQL = (
    "The plansync sandbox supports: SELECT fields FROM object [WHERE field = | != value, "
    "field [NOT] IN (values), joined by AND] [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST]] "
    "[LIMIT n] [OFFSET n]."
)
NULL = object()  # the SOQL literal null


@dataclass(frozen=True)
class Token:
    kind: str  # string, date, number, name, punct, end
    text: str
    column: int  # 1-based
    value: Any = None


@dataclass
class Condition:
    field: Token
    operator: str  # "=", "!=", "in", "not in"
    values: list[Token]


@dataclass
class Soql:
    """A parsed query; field names still as written (resolved against the object later)."""

    sobject: Token
    fields: list[Token]
    conditions: list[Condition] = field(default_factory=list)
    order: list[tuple[Token, bool, bool]] = field(default_factory=list)  # field, desc, nulls last
    limit: int | None = None
    offset: int = 0


def soql_error(query: str, column: int, message: str, code: str = "MALFORMED_QUERY") -> ApiError:
    """Salesforce's shape: the query, a caret under the column, and the row/column line."""
    return ApiError(
        400,
        code,
        f"\n{query}\n{' ' * (column - 1)}^\nERROR at Row:1:Column:{column}\n{message}",
    )


def _soql_unquote(query: str, token: str, column: int) -> str:
    out, i = [], 1
    while i < len(token) - 1:
        char = token[i]
        if char == "\\":
            escaped = token[i + 1]
            if escaped not in _SOQL_ESCAPES:
                raise soql_error(
                    query,
                    column,
                    f"Invalid string literal '{token}'. Illegal character sequence "
                    f"'\\{escaped}' in string literal.",
                )
            out.append(_SOQL_ESCAPES[escaped])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _soql_tokens(query: str) -> list[Token]:
    tokens, pos = [], 0
    while query[pos:].strip():
        match = _SOQL_TOKEN.match(query, pos)
        if match is None:
            column = pos + len(query[pos:]) - len(query[pos:].lstrip()) + 1
            raise soql_error(
                query,
                column,
                f"line 1:{column - 1} no viable alternative at character '{query[column - 1]}'",
            )
        kind = match.lastgroup or "punct"
        text = match.group(kind)
        column = match.start(kind) + 1
        value: Any = text
        if kind == "string":
            value = _soql_unquote(query, text, column)
        elif kind == "date":
            try:
                value = dt.date.fromisoformat(text).isoformat()
            except ValueError:
                raise soql_error(query, column, f"invalid date: {text}") from None
        elif kind == "number":
            value = float(text)
        tokens.append(Token(kind, text, column, value))
        pos = match.end()
    tokens.append(Token("end", "<EOF>", len(query) + 1))
    return tokens


def parse_soql(query: str) -> Soql:
    """Parse the supported subset; anything else is a 400 with Salesforce-like wording."""
    tokens = _soql_tokens(query)
    pos = 0

    def peek(*words: str) -> bool:
        token = tokens[pos]
        return token.kind == "name" and token.text.lower() in words

    def unexpected() -> ApiError:
        token = tokens[pos]
        return soql_error(query, token.column, f"unexpected token: '{token.text}'")

    def keyword(word: str) -> None:
        nonlocal pos
        if not peek(word):
            raise unexpected()
        pos += 1

    def name() -> Token:
        nonlocal pos
        if tokens[pos].kind != "name":
            raise unexpected()
        pos += 1
        return tokens[pos - 1]

    def punct(text: str) -> None:
        nonlocal pos
        if tokens[pos].text != text or tokens[pos].kind != "punct":
            raise unexpected()
        pos += 1

    def value() -> Token:
        nonlocal pos
        token = tokens[pos]
        if token.kind in ("string", "date", "number"):
            pos += 1
            return token
        if peek("true", "false", "null"):
            pos += 1
            literal = {"true": True, "false": False, "null": NULL}[token.text.lower()]
            return replace(token, kind="literal", value=literal)
        raise unexpected()

    keyword("select")
    fields = [name()]
    while tokens[pos].text == ",":
        pos += 1
        fields.append(name())
    keyword("from")
    soql = Soql(name(), fields)
    if peek("where"):
        pos += 1
        while True:
            target = name()
            operator = tokens[pos].text.lower()
            if tokens[pos].kind == "punct" and operator in ("=", "!=", "<>"):
                pos += 1
                soql.conditions.append(
                    Condition(target, "=" if operator == "=" else "!=", [value()])
                )
            elif peek("in", "not"):
                negated = peek("not")
                pos += 1
                if negated:
                    keyword("in")
                punct("(")
                values = [value()]
                while tokens[pos].text == ",":
                    pos += 1
                    values.append(value())
                punct(")")
                soql.conditions.append(Condition(target, "not in" if negated else "in", values))
            else:
                token = tokens[pos]
                raise soql_error(
                    query,
                    token.column,
                    f"unexpected token: '{token.text}'. {_SUPPORTED_SOQL}",
                )
            if not peek("and"):
                break
            pos += 1
    if peek("order"):
        pos += 1
        keyword("by")
        while True:
            target = name()
            descending = peek("desc")
            if peek("asc", "desc"):
                pos += 1
            nulls_last = descending
            if peek("nulls"):
                pos += 1
                nulls_last = peek("last")
                if not peek("first", "last"):
                    raise unexpected()
                pos += 1
            soql.order.append((target, descending, nulls_last))
            if tokens[pos].text != ",":
                break
            pos += 1
    for clause in ("limit", "offset"):
        if peek(clause):
            pos += 1
            token = tokens[pos]
            if token.kind != "number" or not token.text.isdigit():
                raise unexpected()
            pos += 1
            setattr(soql, clause, int(token.text))
    if tokens[pos].kind != "end":
        token = tokens[pos]
        raise soql_error(
            query, token.column, f"unexpected token: '{token.text}'. {_SUPPORTED_SOQL}"
        )
    return soql
