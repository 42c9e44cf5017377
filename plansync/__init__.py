"""plansync: sync meeting notes (Obsidian Tasks action items and decisions) to Jira and Salesforce.

The library is what the command line is a shell over::

    import plansync
    note = plansync.parse_note("meetings/2025-10-24.md")
    pasted = plansync.parse_text("- [ ] Send the deck @Dana\\n")  # text, never a file's name
    vault = plansync.scan_vault("meetings")

    config = plansync.load_config("plansync.toml")
    plan = plansync.plan(config)          # pure: what a sync would do
    print(plansync.render_plan(plan, config))  # as `plansync plan` shows it, to a person
    plan.save("plan.json")                # for review; plansync.Plan.load reads it back
    result = plansync.apply(config, plan) # do it; result.errors names note and line
    for outcome in result.outcomes:       # one per change of the plan: applied, failed or
        print(outcome.status, outcome.item.note, outcome.item.line, outcome.key)  # skipped
    report = plansync.render_result(result, config)  # as `plansync sync` says it, to a person
    changed = result.notes_written        # every note the sync rewrote, whatever the outcomes
    plansync.forget(config, ["CLOUD-7"])  # stop reporting an orphan; its ticket is left as is

Every error a plan or a sync can meet that is not a bug is a :class:`PlansyncError`:
:class:`ConfigError` (also raised, as a ``ValueError``, by settings built in code or
validated from data with a value they cannot take: ``AcceptancePolicy``, ``Config`` and its
tables, ``JiraConfig`` and the rest), :class:`ConnectorError` (a backend
refused or failed a whole call), :class:`NoteChanged` (a note saved while it was read),
:class:`StalePlan`, :class:`StateLocked` (another run holds the state store),
:class:`StateError` (a damaged database under ``.plansync``), :class:`NotAnOrphan`
(``forget`` was given a record that is none) and :class:`NotAPlan` (a file that is no saved
plan, given to ``Plan.load`` or in ``Plan.save``'s way; a plan ``Plan.load`` would refuse,
given to ``Plan.save``). Messages name the file, line or key
and never quote a secret; what they name is data too, so a tool need not parse them:
``ConfigError.source``, ``.key`` and ``.line`` (the config file, the dotted key, the line;
None where unknown or for settings built in code), ``NoteChanged.path`` (the note, as
``Item.note``), ``StateError.path``, ``StateLocked.path`` and ``.pid`` (the lock file and
the process it names), ``NotAnOrphan.keys`` (the names refused), as ``ConnectorError.kind``,
``.status`` and ``StalePlan.rerun`` are.

``render_result(result, config)`` says what a sync did as ``plansync sync`` does, the same code
(``config`` only for the words of what to call next; without it, the library's calls):
a :class:`RenderedResult`, whose ``lines`` (what was done, and what was not) the command
prints on stdout, ``warnings`` and ``errors`` on stderr, and ``failure`` the one line of why
the run failed (None: everything the plan said was applied); warnings and errors of a kind
are listed a few times and counted, each counted line naming ``Result.warnings``, or the
``every`` it is given, as what lists them all. ``left_for_a_person(plan, config)`` is what a
sync that shows no plan (``sync --quiet``; a cron wrapper's ``show``) still says of it, the same
code: the plan's warnings except its notices, grouped by kind, and a line counting the conflicts
and orphans no sync acts on, which wait for a person.

``parse_note`` takes a path or text: one line of text that names a file (``"TODO"``) is read
from that file. ``parse_text`` takes text only, whatever it looks like.

``scan_vault``, ``plan``, ``apply`` and ``forget`` take ``progress``, a :data:`Progress`:
``progress(step, done, total)``, called before each batch of a long step and once at its end,
from the calling thread (the steps are listed in :mod:`plansync.progress`). ``apply`` takes
``checkpoint``, a :data:`Checkpoint`: ``checkpoint(stage)`` is called as each stage of the
sync is done and stored (the stages: at :data:`Checkpoint`, and in the README); an
exception it raises stops the sync there, as a crash would, and the next sync goes on from it.

A whole call that fails is raised by ``plan`` but listed by ``apply`` (an :class:`ItemError`
whose ``whole_call`` is true, ``target`` the backend and ``action`` the step that failed: the
backend's later steps were skipped). Either says what failed
in ``kind`` ("auth", "network", "throttled", "server", "unexpected": not the API's answer, such
as a login page; "refused": any other), with the answer's HTTP ``status`` (None without one)
and the ``retry_after`` a throttling backend asked for, so no caller parses the message. Block
ids go into the notes before any record is made, so a sync that fails may have changed notes
though no outcome is applied: ``Result.notes_written`` names them.

A plan's ``warnings`` are lines to read (``note.md:33: due date is 'TBD', ...``), and its
``warning_details`` the same as data, one :class:`PlanWarning` (``note``, ``line``,
``message``; ``note`` None for one about no note) per line, in order, each line its ``str()``:
a caller attaches a warning to its note and line without parsing the line, and to the other
lines it stands for by its ``also`` (each a :class:`WarningLine`, ``note`` and ``line``), where
one warning says a thing of several (an owner of no user, for every item it owns). ``notices``, the
warnings that are information only, are in ``notice_details`` so too. Each of a plan's
``kept_records`` is a :class:`KeptRecord` (a ``kept`` line as data), and each of a sync's
``Result.warning_details`` a :class:`SyncWarning`: a :class:`PlanWarning` with the ``key`` of
the record it is about.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from plansync.errors import ConfigError, PlansyncError

if TYPE_CHECKING:
    from plansync.config import (
        Acceptance,
        Config,
        JiraConfig,
        JiraRule,
        Match,
        SalesforceConfig,
        SalesforceRule,
        SyncConfig,
        UserEntry,
        VaultConfig,
    )
    from plansync.config_load import load_config
    from plansync.connectors.base import ConnectorError
    from plansync.engine.apply import Checkpoint
    from plansync.engine.changes import (
        Change,
        ItemRef,
        KeptRecord,
        NotAPlan,
        Plan,
        PlanWarning,
        WarningLine,
    )
    from plansync.engine.forget import NotAnOrphan
    from plansync.engine.plan import NoteChanged
    from plansync.engine.render import (
        RenderedResult,
        left_for_a_person,
        render_plan,
        render_result,
    )
    from plansync.engine.result import ItemError, Outcome, Result, SyncWarning
    from plansync.engine.run_lock import StateLocked
    from plansync.engine.state import StateError
    from plansync.engine.steps.fresh import StalePlan
    from plansync.notes.model import AcceptancePolicy, Item, Note, ParseWarning
    from plansync.notes.parse import parse_note, parse_text
    from plansync.notes.vault import Vault, scan_vault
    from plansync.progress import Progress
    from plansync.sync import apply, forget, plan

# Imported when first used: the engine brings the Jira and Salesforce clients and the sandboxes
# (half a second), which a tool that only parses notes never needs; and the notes' model and
# parser bring pydantic (a fifth of a second), which the command's entry point (__main__) must
# not load before it can catch a Ctrl-C.
_LAZY = {
    "AcceptancePolicy": "plansync.notes.model",
    "Item": "plansync.notes.model",
    "Note": "plansync.notes.model",
    "ParseWarning": "plansync.notes.model",
    "parse_note": "plansync.notes.parse",
    "parse_text": "plansync.notes.parse",
    "Progress": "plansync.progress",
    "Vault": "plansync.notes.vault",
    "scan_vault": "plansync.notes.vault",
    "Config": "plansync.config",
    "load_config": "plansync.config_load",
    # The tables of a Config, to build one in code that a type checker reads:
    # Config(jira=JiraConfig(...)) where Config(jira={...}) is an Any to it.
    "Acceptance": "plansync.config",
    "JiraConfig": "plansync.config",
    "JiraRule": "plansync.config",
    "Match": "plansync.config",
    "SalesforceConfig": "plansync.config",
    "SalesforceRule": "plansync.config",
    "SyncConfig": "plansync.config",
    "UserEntry": "plansync.config",
    "VaultConfig": "plansync.config",
    "ConnectorError": "plansync.connectors.base",
    "Checkpoint": "plansync.engine.apply",
    "ItemError": "plansync.engine.result",
    "Outcome": "plansync.engine.result",
    "Result": "plansync.engine.result",
    "SyncWarning": "plansync.engine.result",
    "StalePlan": "plansync.engine.steps.fresh",
    "Change": "plansync.engine.changes",
    "ItemRef": "plansync.engine.changes",
    "KeptRecord": "plansync.engine.changes",
    "NotAnOrphan": "plansync.engine.forget",
    "NotAPlan": "plansync.engine.changes",
    "NoteChanged": "plansync.engine.plan",
    "Plan": "plansync.engine.changes",
    "PlanWarning": "plansync.engine.changes",
    "WarningLine": "plansync.engine.changes",
    "render_plan": "plansync.engine.render",
    "render_result": "plansync.engine.render",
    "left_for_a_person": "plansync.engine.render",
    "RenderedResult": "plansync.engine.render",
    "StateError": "plansync.engine.state",
    "StateLocked": "plansync.engine.run_lock",
    "apply": "plansync.sync",
    "forget": "plansync.sync",
    "plan": "plansync.sync",
}


if not TYPE_CHECKING:
    # Hidden from type checkers, which read the imports above instead: a module __getattr__
    # makes every name Any to them, so a misspelt ``plansync.plna(config)`` passed mypy --strict.

    def __getattr__(name: str) -> Any:
        if name not in _LAZY:
            raise AttributeError(f"module 'plansync' has no attribute {name!r}")
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    """The public API (``__all__``), loaded or not: not the module's own imports (``Any``,
    ``importlib``, ``annotations``), which read as part of it."""
    return sorted(__all__)


__version__ = "0.1.0"

__all__ = [
    "Acceptance",
    "AcceptancePolicy",
    "Change",
    "Checkpoint",
    "Config",
    "ConfigError",
    "ConnectorError",
    "Item",
    "ItemError",
    "ItemRef",
    "JiraConfig",
    "JiraRule",
    "KeptRecord",
    "Match",
    "NotAPlan",
    "NotAnOrphan",
    "Note",
    "NoteChanged",
    "Outcome",
    "ParseWarning",
    "Plan",
    "PlanWarning",
    "PlansyncError",
    "Progress",
    "RenderedResult",
    "Result",
    "SalesforceConfig",
    "SalesforceRule",
    "StalePlan",
    "StateError",
    "StateLocked",
    "SyncConfig",
    "SyncWarning",
    "UserEntry",
    "Vault",
    "VaultConfig",
    "WarningLine",
    "__version__",
    "apply",
    "forget",
    "left_for_a_person",
    "load_config",
    "parse_note",
    "parse_text",
    "plan",
    "render_plan",
    "render_result",
    "scan_vault",
]
