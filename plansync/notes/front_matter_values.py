"""What a note takes from its front matter's values: its date, its participants, whether it
accepts its decisions, and whether a value may differ from its text in the note.

Apart from the note reader and from :mod:`plansync.notes.front_matter` (which splits and loads
the YAML): these read values YAML 1.1 has already typed (``NO`` a boolean, ``yes`` true) as
the person who wrote them, and Obsidian with its YAML 1.2, reads them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from plansync.notes.front_matter import items_as_written, key_line
from plansync.notes.model import ParseWarning

ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(?:[+-][0-9:]+)?")


def as_date(value: Any) -> dt.date | None:
    """The date an ISO text starts with (front matter keeps dates and datetimes so)."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(part) for part in value if part is not None and str(part).strip()]
    return []


def participants_of(front_matter: dict[str, Any], fm_lines: list[str]) -> list[str]:
    """The names a note lists. YAML 1.1 reads a name such as No, Yes, On or Off as a boolean (in
    ``[Dana, NO, Norway]``, Norway's country code), where Obsidian, reading YAML 1.2, and a
    person see the name: in a list of names, such a boolean is read as written. Only here:
    elsewhere a boolean may be meant (``decisions_accepted: yes``)."""
    key = "participants" if front_matter.get("participants") else "attendees"
    names = front_matter.get(key)
    if isinstance(names, list) and any(type(name) is bool for name in names):
        written = items_as_written(fm_lines, key)
        if written is not None and len(written) == len(names):  # parsing never raises
            names = [
                text if type(name) is bool else name
                for name, text in zip(names, written, strict=True)
            ]
    return _as_list(names)


_SWITCH_WORDS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
"""The words YAML 1.1 reads as a boolean, in any case: PyYAML, which reads the front matter,
makes them one unquoted; quoted, or as an Obsidian text property (Obsidian reads YAML 1.2, where
``yes`` is text), they are text, and mean the same to the person who wrote them."""


def decisions_switch(
    front_matter: dict[str, Any], fm_lines: list[str], key: str, path: str
) -> tuple[bool, ParseWarning | None]:
    """Whether the front matter accepts the note's decisions, and the warning of a value that
    is no yes or no. Acceptance is explicit, so only true (or a word YAML reads as it) accepts;
    an unset or empty key does not, silently. Anything else was read by its truthiness
    (``[false]`` and ``1`` accepted, a typo such as ``ture`` silently did not): it accepts
    nothing, and the warning names the key's line, the value and that."""
    value = front_matter.get(key)
    if value is None or type(value) is bool:
        return bool(value), None
    if isinstance(value, str):
        word = value.strip().casefold()
        if not word:
            return False, None
        if word in _SWITCH_WORDS:
            return _SWITCH_WORDS[word], None
    shown = json.dumps(value, ensure_ascii=False)
    return False, ParseWarning(
        path=path,
        line=key_line(fm_lines, key),
        message=f"front matter {key}: {shown} is neither true nor false; the note's decisions"
        f" are taken as not accepted (write {key}: true to accept them)",
    )


def not_as_written(value: Any) -> bool:
    """Whether a front-matter value may differ from its text in the note: YAML made it a
    boolean or a number, or a datetime (kept in ISO form, "2025-10-27T10:00:00")."""
    if isinstance(value, str):
        # A date keeps its text (YAML reads only 2025-10-27 as one); a datetime does not. Titles
        # that start with a date ("2025-10-27 Weekly sync") are text, and cost nothing more.
        return value[:1].isdigit() and ISO_DATETIME.fullmatch(value) is not None
    return isinstance(value, (bool, int, float))
