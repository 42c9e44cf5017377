"""The placeholder language of a rule's templates (``summary = "{text}"``, a Salesforce field's
``"{note_title}: {text}"``): Python's format syntax over text values, plus ``{name:?TEXT}`` for a
part shown only when ``name`` has a value.

Checked when the config loads (:func:`check_template`), so that a typo in a placeholder is one
error naming the key, not a KeyError at the first sync; filled in by :mod:`plansync.rules`.
"""

from __future__ import annotations

import difflib
import re
import string
from functools import lru_cache
from typing import Any

_PADDED = re.compile(r"\?[<>^]\d*(?:\.\d+)?s?")
"""A format spec of text with "?" as its fill character (``{text:?<20}``): no conditional."""


def _conditional(spec: str) -> bool:
    return spec.startswith("?") and not _PADDED.fullmatch(spec)


class Filled(str):
    """A placeholder's value in a rule's template: text, which the ``?`` format makes a
    condition for a part of the template.

    ``{name:?TEXT}`` is TEXT, its own placeholders filled in, when ``name`` is not empty, and
    nothing when it is: ``[{note_title}|{link}]{note_date:? on {note_date}}.`` reads "... on
    2025-11-03." for a note with a date and "[...]." for one without, where the plain
    template read "... on .". Any other format is text's own, a "?" that is the fill
    character of an alignment (``{text:?<20}``, as templates wrote it before) included.
    """

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        if _conditional(spec):
            return spec[1:] if self else ""
        return super().__format__(spec)


def fill(template: str, values: dict[str, Any]) -> str:
    """``template`` with its placeholders filled in from ``values`` (see :class:`Filled`)."""
    return template.format_map(
        {name: Filled(value) if isinstance(value, str) else value for name, value in values.items()}
    )


@lru_cache(maxsize=256)
def placeholder_names(template: str) -> frozenset[str]:
    """The placeholders ``template`` shows, those of its ``{name:?TEXT}`` parts' TEXT too: what
    a value it is filled with depends on. Cached: a rule's few templates are asked about for
    each item. ``template`` was checked (:func:`check_template`)."""
    names: set[str] = set()
    for _, name, spec, _ in string.Formatter().parse(template):
        if name is not None:
            names.add(name)
            if spec and _conditional(spec):
                names |= placeholder_names(spec[1:])
    return frozenset(names)


def check_template(value: str, fields: frozenset[str], *, conditional: bool = True) -> str:
    """``value`` if it is a template of ``fields`` that renders whatever their text; with
    ``conditional``, ``{name:?TEXT}`` parts are allowed (see :class:`Filled`)."""
    try:
        parsed = list(string.Formatter().parse(value))
    except ValueError as exc:  # a lone "{" or "}"
        raise ValueError(f"{exc} (write {{{{ or }}}} for a brace)") from None
    for _, name, spec, _ in parsed:
        if name is not None and name not in fields:
            close = difflib.get_close_matches(name, fields, n=1)
            hint = f" (did you mean {{{close[0]}}}?)" if close else ""
            raise ValueError(f"unknown placeholder {{{name}}}{hint}")
        if conditional and spec and _conditional(spec):
            # Its text is a template of its own, filled in before it is shown or left out.
            check_template(spec[1:], fields, conditional=False)
        elif spec and "{" in spec:  # filled in from the item: it could be anything at sync time
            raise ValueError(f"a placeholder inside the format of {{{name}}}")
    try:  # every value is text: a format spec for a date or a number fails only at sync time
        empty = dict.fromkeys(fields, "")
        fill(value, empty) if conditional else value.format_map(empty)
    except ValueError as exc:
        raise ValueError(f"{exc} (placeholders are filled in with text)") from None
    return value
