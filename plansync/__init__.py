"""plansync: sync meeting notes (Obsidian Tasks action items and decisions) to Jira and Salesforce.

The library is what the command line is a shell over::

    import plansync
    note = plansync.parse_note("meetings/2025-10-24.md")
    vault = plansync.scan_vault("meetings")

    config = plansync.load_config("plansync.toml")
    plan = plansync.plan(config)          # pure: what a sync would do
    result = plansync.apply(config, plan) # do it; result.errors names note and line
"""

from plansync.config import Config, ConfigError, load_config
from plansync.engine.apply import Result, StalePlan
from plansync.engine.plan import Change, Plan
from plansync.engine.state import StateLocked
from plansync.notes.model import AcceptancePolicy, Item, Note, ParseWarning
from plansync.notes.parse import parse_note
from plansync.notes.vault import Vault, scan_vault
from plansync.sync import apply, plan

__version__ = "0.1.0"

__all__ = [
    "AcceptancePolicy",
    "Change",
    "Config",
    "ConfigError",
    "Item",
    "Note",
    "ParseWarning",
    "Plan",
    "Result",
    "StalePlan",
    "StateLocked",
    "Vault",
    "__version__",
    "apply",
    "load_config",
    "parse_note",
    "plan",
    "scan_vault",
]
