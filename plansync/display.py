"""Text from notes and backends, made safe to print on a terminal.

A note's text is anything a transcription pipeline or a colleague wrote, and a backend's error
text is anything its server sent. Printed as it is, a control character acts on the terminal
instead of showing: ``\\b`` rubs out what came before it, ``\\x1b[2K`` erases the line, an OSC
sequence retitles the window or writes the clipboard, and a bidirectional override (U+202E)
prints the rest of a line backwards. In ``plansync plan`` that is a reviewer reading something
other than what will be sent to Jira, so each such character is shown as its escape instead.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls but tab and line feed, DEL, C1 controls, and the bidirectional embeddings,
# overrides and isolates ("Trojan Source"): none of them prints as itself.
_ACTING = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNPRINTABLE = re.compile(f"[{_ACTING}]")
_OFF_THE_LINE = re.compile(f"[\t\n{_ACTING}]")
# Backslashes that would read as the start of an escape in a quoted value: before a quote, an
# escaped character, the closing quote, or text that spells an escape (\x1b typed as such).
_ESCAPE_LIKE = re.compile(r'(\\+)(?=["\t\n' + _ACTING + r"]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|\Z)")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str) -> str:
    """``text`` with every character that would act on the terminal written as its escape
    (``\\x1b``, ``\\u202e``); line feeds and tabs are kept, everything else is unchanged."""
    return _UNPRINTABLE.sub(_escape, text)


def one_line(text: str) -> str:
    """``text`` as :func:`shown` writes it, its line feeds and tabs escaped too (``\\x0a``), for
    what must read as one line: a note's file name above all, which may hold a line break. In a
    plan's heading, the rest of such a name started a line of its own, read as another change's
    (or a warning's); a tab there read as the two spaces between a heading's parts."""
    return _OFF_THE_LINE.sub(_escape, text)


def quoted(text: str) -> str:
    """``text`` between double quotes, as :func:`one_line` writes it, a quote in it as ``\\"``:
    a backslash shows as one (``C:\\Users``), as it does in a plan's heading, where JSON's
    ``\\\\`` read as two. Only a run of backslashes that would read as part of an escape (before
    a quote, an escaped character, the closing quote, or ``x1b``) is doubled, so that each
    value reads back one way: an odd run ends in an escape, an even one is all backslashes."""
    text = _ESCAPE_LIKE.sub(lambda m: m.group(1) * 2, text)
    return '"' + one_line(text.replace('"', '\\"')) + '"'


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, ending in "…" where it was cut, so that a cut
    text never reads as the whole of it."""
    return text if len(text) <= width else text[: width - 1] + "…"


def first_few(names: list[str], count: int) -> str:
    """The first ``count`` of ``names``, and how many more: one line, not a list of the vault."""
    more = f" and {len(names) - count} more" if len(names) > count else ""
    return ", ".join(names[:count]) + more


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, plural unless one: "1 conflict", "0 orphans"; ``plural`` for a noun
    that takes no mere "s" ("1 try", "3 tries")."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def field_value(value: Any) -> str:
    """A field's value as a plan shows it, in an update's line and in a conflict's message
    alike: "(none)" where it has none (None, "" or []), as Python's ``None`` means nothing to a
    reviewer; a text cut to fit a line and :func:`quoted`; a list (labels, components) in
    brackets, each text in it :func:`quoted` whole (JSON's ``\\`` read as two backslashes
    beside a text field's one); anything else as JSON, as ``--json`` has it."""
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, str):
        return quoted(cut(value, 80))
    if isinstance(value, list):
        return "[" + ", ".join(_element(element) for element in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _element(value: Any) -> str:
    """One element of a list :func:`field_value` shows: a text :func:`quoted`, not cut (a
    label is short, and a cut one would read as another), anything else as JSON."""
    return quoted(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string: a JSON string is one, quotes, backslashes and controls
    escaped alike, but for DEL, which TOML escapes and JSON does not. What a message shows of
    a config's value, to be pasted into it as it is."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")
