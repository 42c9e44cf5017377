"""The Jira sandbox's errors in Jira's shape: ``{"errorMessages": [...], "errors": {...}}``.

Separate from :mod:`plansync.sandbox.jira_app` so that the JQL parser
(:mod:`plansync.sandbox.jql`), which answers a query it cannot run as Jira does, can raise one
without importing the app that imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from plansync.sandbox.common import HttpError


class ApiError(HttpError):
    """An error answered in Jira's shape: ``{"errorMessages": [...], "errors": {...}}``."""

    def __init__(
        self,
        status: int,
        messages: Iterable[str] = (),
        errors: Mapping[str, str] | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ):
        super().__init__(status, headers)
        self.messages = list(messages)
        self.errors = dict(errors or {})

    def body(self) -> dict[str, Any]:
        return {"errorMessages": self.messages, "errors": self.errors}
