"""Local emulators of the Jira and Salesforce REST endpoints plansync uses, served on loopback.

The defaults shared by ``plansync sandbox serve`` and the embedded sandbox live here, in a
module that imports nothing, so that the command line can show them without loading the apps.
"""

DEFAULT_PROJECT = "PLAN"
"""The Jira sandbox's own project; the projects a config's rules name are made beside it."""

PREFERRED_PORT = 8990
"""The Jira sandbox's port (Salesforce's is the next one), when free: the one that key links to
the embedded sandboxes name, whichever port a run serves them on, so that they stay the same
from one run to the next."""
