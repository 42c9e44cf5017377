"""The words plansync and its connectors share: the Jira label that carries an item's id
(:data:`PLANSYNC_LABEL`), and a status as a plan says it (:func:`status_word`).

Separate from :mod:`plansync.rules`, which says what a record should hold and so loads the
config and the note parser: a connector reads labels and names statuses, and a module of the
engine's rules would be more than it needs, and point the dependency the wrong way (a
backend's module importing the policy above it). Both import this one.
"""

from __future__ import annotations

import re

from plansync.notes.order import BLOCK_ID_PREFIX

PLANSYNC_LABEL = re.compile(re.escape(BLOCK_ID_PREFIX) + r"[a-z0-9-]+")
"""What :func:`plansync.rules.label_for` makes of any block id: Obsidian's ids hold letters,
digits and dashes, so a user's own ``^my-task`` is the label ``ps-my-task``."""

IN_PROGRESS = "indeterminate"
"""The open state of :func:`plansync.rules.status_category` that ``[/]`` says: Jira's API name
for the category of "In Progress"."""

STATUS_WORDS = {"new": "open", "reopen": "open", IN_PROGRESS: "in progress"}
"""The plan's words for what plansync keeps in Jira's: the categories "new" (To Do) and
"indeterminate" and the move "reopen" (see :func:`status_word`)."""


def status_word(status: str) -> str:
    """A status as the plan says it, in its text and its JSON alike: open, in progress, done,
    cancelled (or closed, where the backend cannot tell those two apart), the words of the
    checkbox. Plansync keeps Jira's category keys and its own moves, which read as no status
    a user knows: "new" for an issue in To Do, "indeterminate" for In Progress (Jira's API
    word for its category, where plansync also puts a Salesforce record in the ``in_progress``
    value or one of ``open_status_values``, "In Review"), and "reopen" as a status to move to
    ("done" -> "reopen")."""
    return STATUS_WORDS.get(status, status)
