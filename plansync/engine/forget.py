"""Which records ``plansync forget`` may stop tracking: the orphans of a plan.

A record whose line is gone is reported by every plan from then on (cancelled first, under
``orphans = "cancel"``), so that a line brought back, or a reopen in the backend, is seen. Once a
person has looked and the deletion stands, that report is noise: ``plan --detailed-exitcode``
never says "in sync" again, and ``sync --quiet`` counts it in every cron mail. Forgetting drops
the record from the state store only; the ticket stays as it is.

Only what the plan itself shows as an orphan, or as the cancel of a deleted line's record, may be
forgotten: a record with a line is synced, and forgetting it would only make the next plan look
it up again by its id. A name the plan does not show so is refused with the reason, and nothing
is forgotten: a typo must not forget half a list.
"""

from __future__ import annotations

from collections.abc import Iterable

from plansync.engine.plan import Change, Plan
from plansync.engine.state import StateStore
from plansync.errors import PlansyncError


class NotAnOrphan(PlansyncError):
    """A record named to ``forget`` is not an orphan of the plan (or not tracked at all)."""


def forgettable(change: Change) -> bool:
    """Whether ``change`` is about a record whose line is gone: an orphan, or the cancel of
    one (its item is at line 0, the text last synced)."""
    return change.key is not None and (
        change.action == "orphan" or (change.action == "transition" and change.item.line == 0)
    )


def orphans_named(plan: Plan, names: Iterable[str] | None, state: StateStore) -> list[Change]:
    """The plan's orphans that ``names`` name, by key (Jira's in any case) or block id (with or
    without its ``^``), in the plan's order; ``names`` None: every one of them.

    Raises :class:`NotAnOrphan` naming each name that is none, and why."""
    orphans = [change for change in plan.changes if forgettable(change)]
    if names is None:
        return orphans
    chosen: set[int] = set()
    problems = []
    for name in dict.fromkeys(names):
        wanted = name.strip().removeprefix("^").casefold()
        found = [
            i
            for i, change in enumerate(orphans)
            if wanted in ((change.key or "").casefold(), (change.item.block_id or "").casefold())
        ]
        if found:
            chosen.update(found)
        else:
            problems.append(_why_not(name, wanted, state))
    if problems:
        raise NotAnOrphan("; ".join(problems) + "; nothing was forgotten")
    return [change for i, change in enumerate(orphans) if i in chosen]


def _why_not(name: str, wanted: str, state: StateStore) -> str:
    for record in state.records().values():
        if wanted in (record.key.casefold(), record.block_id.casefold()):
            where = f" in {record.note_path}" if record.note_path else ""
            return (
                f"{name} is no orphan (the plan reads its line, ^{record.block_id}{where}):"
                " only a record whose line is gone can be forgotten"
            )
    return f"plansync tracks no record {name} (name a key or a ^id that `plansync plan` shows)"
