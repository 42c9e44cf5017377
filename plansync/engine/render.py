"""A plan as a person reads it: one block per change, ``terraform plan`` style, and a summary."""

from __future__ import annotations

import difflib
import json
from typing import Any

from plansync.engine.plan import Change, Plan

SYMBOLS = {
    "create": "+",
    "update": "~",
    "transition": "~",
    "link": "+",
    "write_back": "~",
    "conflict": "!",
    "orphan": "-",
}
LABELS = {
    "create": "to create",
    "update": "to update",
    "transition": "to transition",
    "link": "to link",
    "write_back": "to write back",
    "conflict": "conflicts",
    "orphan": "orphans",
}


def _value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, str):
        shown = value if len(value) <= 80 else value[:77] + "…"
        return json.dumps(shown, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def _heading(change: Change) -> str:
    where = f"{change.item.note}:{change.item.line}" if change.item.line else change.item.note
    key = f" {change.key}" if change.key else ""
    name = change.action.replace("_", " ")
    text = f'  "{change.item.text[:60]}"' if change.item.text else ""
    return f"{SYMBOLS[change.action]} {change.target} {name}{key}  {where}{text}"


def _text_change(name: str, old: str, new: str) -> list[str]:
    """A change of a long or multi-line text as the lines that differ: shortened to 80
    characters, both values would often read the same (a description whose link changed)."""
    old_lines, new_lines = (
        old.replace("\r\n", "\n").split("\n"),
        new.replace("\r\n", "\n").split("\n"),
    )
    out = [f"    {name}:"]
    for line in difflib.unified_diff(old_lines, new_lines, lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        text = line[1:]
        if len(text) > 100:
            text = text[:99] + "…"
        out.append(f"      {line[0]} {text}")
    return out


def _body(change: Change) -> list[str]:
    lines = (
        [f"    object: {change.sobject}"] if change.sobject and change.action == "create" else []
    )
    for name, value in change.fields.items():
        if isinstance(value, dict) and set(value) == {"old", "new"}:
            old, new = value["old"], value["new"]
            if (
                isinstance(old, str)
                and isinstance(new, str)
                and old != new
                and ("\n" in old + new or _value(old) == _value(new))
            ):
                lines += _text_change(name, old, new)
            else:
                lines.append(f"    {name}: {_value(old)} -> {_value(new)}")
        elif name != "description":
            lines.append(f"    {name}: {_value(value)}")
        else:
            lines.append(f"    {name}: ({len(str(value).splitlines())} lines)")
    if change.message and change.action in ("conflict", "orphan", "write_back"):
        lines.append(f"    {change.message}")
    return lines


def summary_line(plan: Plan) -> str:
    counts = plan.summary
    head = ", ".join(f"{counts.get(a, 0)} {LABELS[a]}" for a in list(LABELS)[:5])
    tail = ", ".join(f"{counts.get(a, 0)} {LABELS[a]}" for a in list(LABELS)[5:])
    return f"Plan: {head}; {tail}."


def render(plan: Plan) -> str:
    """The plan as text. Conflicts and orphans are shown but are never acted on."""
    out: list[str] = []
    for change in plan.changes:
        out.append(_heading(change))
        out += _body(change)
    for warning in plan.warnings:
        out.append(f"warning: {warning}")
    if not plan.changes:
        out.append("No changes. The notes and their records are in sync.")
    else:
        out.append("")
        out.append(summary_line(plan))
    return "\n".join(out)
