"""plansync: sync meeting notes (Obsidian Tasks action items and decisions) to Jira and Salesforce.

The library is what the command line is a shell over::

    import plansync
    note = plansync.parse_note("meetings/2025-10-24.md")
    vault = plansync.scan_vault("meetings")
"""

from plansync.notes.model import AcceptancePolicy, Item, Note, ParseWarning
from plansync.notes.parse import parse_note
from plansync.notes.vault import Vault, scan_vault

__version__ = "0.1.0"

__all__ = [
    "AcceptancePolicy",
    "Item",
    "Note",
    "ParseWarning",
    "Vault",
    "__version__",
    "parse_note",
    "scan_vault",
]
