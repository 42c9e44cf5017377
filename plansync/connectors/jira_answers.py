"""Reading Jira's JSON answers: one not shaped as Jira's fails the call in one line.

Kept apart from :mod:`plansync.connectors.jira` because both the connector and the status
moves it delegates to (:mod:`plansync.connectors.jira_transitions`) read answers so, and the
moves' module, which the connector imports, cannot import it back from the connector.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from plansync.connectors.base import ConnectorError
from plansync.errors import raise_alone


@contextmanager
def reading(what: str) -> Iterator[None]:
    """Reading an answer Jira gave as JSON: one not shaped as Jira's (a proxy's, an app's, a
    Jira version's that differs) fails the call in one line that says so, not as a traceback."""
    try:
        yield
    except (AttributeError, KeyError, TypeError, IndexError, ValueError) as error:
        raise_alone(
            ConnectorError(
                f"Jira's answer to {what} is not shaped as Jira's REST API answers"
                f" ({type(error).__name__}: {error})",
                kind="unexpected",
            )
        )
