"""How plansync's fields map to Jira's and back: what an issue is written as, and read as.

plansync names a record's fields its own way (``issue_type``, ``due``, ``assignee`` as one
user id); Jira's REST API names them otherwise (``issuetype``, ``duedate``), wraps most in
objects (``{"name": ...}``), names users by accountId on Cloud and by name on Data Center, and
on REST API v3 holds the description as an Atlassian Document Format document.
:func:`jira_fields` writes the one as the other, :func:`plansync_fields` reads a searched
issue back, so that what was written reads back the same and the next plan finds nothing to
change.

Kept apart from :mod:`plansync.connectors.jira`, which sends and searches: the mapping is a
pure function of the values and two facts about the server (Cloud or not, the API version),
and a field plansync comes to sync is added here, in one place, both ways.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from plansync.connectors.base import StatusCategory

SEARCH_FIELDS = [
    "project",
    "issuetype",
    "summary",
    "description",
    "duedate",
    "priority",
    "assignee",
    "labels",
    "components",
    "status",
]
"""The fields a search asks Jira for: those :func:`plansync_fields` reads."""


def jira_fields(
    fields: dict[str, Any], *, cloud: bool, api_version: str, plansync_id: str | None = None
) -> dict[str, Any]:
    """plansync field names and values → Jira's ``fields`` object. ValueError on unknown names.

    ``cloud``: users are named by accountId (else by name); ``api_version`` "3" takes the
    description as ADF. On create the plansync id label is always added: it is how a record is
    found again.
    """
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "project":
            out["project"] = {"key": value}
        elif name == "issue_type":
            out["issuetype"] = {"name": value}
        elif name == "summary":
            out["summary"] = value
        elif name == "description":
            out["description"] = _to_adf(value) if api_version == "3" else value
        elif name == "due":
            out["duedate"] = value.isoformat() if isinstance(value, date) else value
        elif name == "priority":
            out["priority"] = None if value is None else {"name": value}
        elif name == "assignee":
            out["assignee"] = None if value is None else {_user_key(cloud): value}
        elif name == "labels":
            out["labels"] = list(value or [])
        elif name == "components":
            out["components"] = [{"name": component} for component in value or []]
        else:
            raise ValueError(f"{name}: not a field the Jira connector knows")
    if plansync_id is not None:
        labels = out.setdefault("labels", [])
        if plansync_id not in labels:
            labels.append(plansync_id)
    return out


def plansync_fields(fields: dict[str, Any], *, cloud: bool) -> dict[str, Any]:
    """A searched issue's ``fields`` (:data:`SEARCH_FIELDS`) → plansync field names and values;
    ``cloud``: the assignee is read by accountId (else by name)."""
    status = fields.get("status") or {}
    assignee = fields.get("assignee") or {}
    description = fields.get("description")
    return {
        "project": (fields.get("project") or {}).get("key"),
        "issue_type": (fields.get("issuetype") or {}).get("name"),
        "summary": fields.get("summary"),
        "description": _from_adf(description) if isinstance(description, dict) else description,
        "due": fields.get("duedate"),
        "priority": (fields.get("priority") or {}).get("name"),
        "assignee": assignee.get(_user_key(cloud)),
        "labels": list(fields.get("labels") or []),
        "components": [c.get("name") for c in fields.get("components") or []],
        "status": status.get("name"),
    }


def status_category(key: str | None) -> StatusCategory | None:
    if key == "new":
        return "new"
    if key == "indeterminate":
        return "indeterminate"
    if key == "done":
        return "done"
    return None


def _user_key(cloud: bool) -> str:
    """Cloud identifies users by accountId (names are gone since GDPR); Data Center by name."""
    return "accountId" if cloud else "name"


def _to_adf(text: str | None) -> dict[str, Any] | None:
    """Plain text → an Atlassian Document Format document (API v3), one paragraph a line, so
    that :func:`_from_adf` gives the same text back."""
    if text is None:
        return None
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
        for line in text.split("\n")
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def _from_adf(document: dict[str, Any]) -> str:
    """ADF → plain text, a line per top-level block; rich formatting made in Jira is dropped."""

    def text(node: dict[str, Any]) -> str:
        if node.get("type") == "text":
            return str(node.get("text", ""))
        if node.get("type") == "hardBreak":
            return "\n"
        return "".join(text(child) for child in node.get("content") or [])

    return "\n".join(text(block) for block in document.get("content") or [])
