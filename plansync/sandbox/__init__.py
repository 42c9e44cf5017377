"""Local emulators of the Jira and Salesforce REST endpoints plansync uses, served on loopback.

The defaults shared by ``plansync sandbox serve`` and the embedded sandbox live here, in a
module that imports nothing but ``re`` and ``typing``, so that the command line can show them,
and the library check a config's project keys, without loading the apps.
"""

import re
from typing import Literal

DEFAULT_PROJECT = "PLAN"
"""The Jira sandbox's own project; the projects a config's rules name are made beside it."""

PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]{1,9}")
"""A project key the sandbox can seed (Jira's default format); ``sandbox serve`` checks it."""
PROJECT_KEY_RULE = "2 to 10 capital letters, digits or _, starting with a letter"
""":data:`PROJECT_KEY` in words, for the messages that refuse a key."""

PREFERRED_PORT = 8990
"""The Jira sandbox's port (Salesforce's is the next one), when free: the one that key links to
the embedded sandboxes name, whichever port a run serves them on, so that they stay the same
from one run to the next."""

Workflow = Literal["all", "strict", "simple"]
"""The Jira sandbox's workflow: any status to any other, ``strict`` (moves that take more than
one transition, or have none) or ``simple`` (Jira's simplified workflow, To Do, In Progress and
Done, with no cancelled status); :mod:`plansync.sandbox.jira_app` draws each."""
WORKFLOWS: tuple[Workflow, ...] = ("all", "strict", "simple")
