"""The people the sandboxes know: each one a Jira user (:data:`USERS`, with Cloud's account id
and Data Center's key) and, by the same name and e-mail, a Salesforce user, so that one owner in
a note is assigned in both.

Separate from :mod:`plansync.sandbox.jira_app` so that the Salesforce sandbox seeds its users
from the same list without importing the Jira emulator.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SandboxUser:
    """A seeded user; ``name`` is the internal identity, rendered per mode (Jira Cloud's
    ``account_id``, Data Center's ``name`` and ``dc_key``)."""

    name: str
    account_id: str
    display_name: str
    email: str
    dc_key: str


USERS = [
    SandboxUser(
        "jason", "5b10a2844c20165700ede21g", "Jason Vallery", "jason@example.com", "JIRAUSER10000"
    ),
    SandboxUser(
        "tomer", "5b10ac8d82e05b22cc7d4ef5", "Tomer Hagay", "tomer@example.com", "JIRAUSER10001"
    ),
    SandboxUser(
        "shahar", "5d53f3cbc6b9320d9ea5bdc2", "Shahar", "shahar@example.com", "JIRAUSER10002"
    ),
    # The people of the example vault (examples/vault), so that the demo assigns its issues.
    SandboxUser(
        "priya", "712020:6c1e5a0d-priya", "Priya Raman", "priya@example.com", "JIRAUSER10003"
    ),
    SandboxUser(
        "marco", "712020:6c1e5a0d-marco", "Marco Bellini", "marco@example.com", "JIRAUSER10004"
    ),
    SandboxUser("dana", "712020:6c1e5a0d-dana", "Dana Okafor", "dana@example.com", "JIRAUSER10005"),
    SandboxUser(
        "samir", "712020:6c1e5a0d-samir", "Samir Haddad", "samir@example.com", "JIRAUSER10006"
    ),
    SandboxUser(
        "tobias",
        "712020:6c1e5a0d-tobias",
        "Tobias Lindqvist",
        "tobias@example.com",
        "JIRAUSER10007",
    ),
]
