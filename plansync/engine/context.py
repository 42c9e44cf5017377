"""What every step of a plan (:mod:`.plan`) works from: one frozen bundle, made by the planner,
so that each step's class (:class:`~plansync.engine.identity.Identifier`,
:class:`~plansync.engine.orphans.Orphans`, ...) takes the same five things the same way, and
none of them can swap one out halfway through a plan."""

from __future__ import annotations

from dataclasses import dataclass

from plansync.config import Config
from plansync.engine.changes import Plan
from plansync.engine.state import StateStore
from plansync.engine.targets import TargetSpec
from plansync.notes.vault import Vault


@dataclass(frozen=True)
class PlanContext:
    """The inputs of one plan, and the plan its steps fill in."""

    config: Config
    vault: Vault
    state: StateStore
    targets: list[TargetSpec]
    """The backends synced to, Jira first (see :mod:`.targets`)."""
    plan: Plan
    """The plan being built: each step adds its changes and warnings to it."""
