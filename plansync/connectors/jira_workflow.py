"""How a Jira issue moves through its workflow, decided from Jira's answers alone.

Which of the transitions Jira lists a status move takes (:func:`pick_transition`), where a walk
through several statuses goes next when none takes it at once (:func:`way_on`,
:func:`next_hop`), how a closed status reads, done or cancelled (:func:`how_closed`), and how
the transitions taken are named in outcomes and failures (:func:`walked`,
:func:`walked_error`). The settings that steer it are ``[jira] cancel_transition`` and
``cancelled_status_names``.

Kept apart from :mod:`plansync.connectors.jira_transitions`, which lists the transitions,
takes them and reads statuses over HTTP: everything here is a pure function of those answers and the
settings, sends nothing, and so reads (and is reasoned about) without the connector's
retrying, counting and threading around it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from plansync.connectors.base import ClosedAs, ConnectorError, Move, OpResult

_CANCEL_LIKE = re.compile(r"won['\u2019]?t\s*do|cancel", re.IGNORECASE)


def pick_transition(
    transitions: list[dict[str, Any]],
    to: Move,
    cancel_name: str | None,
    *,
    cancelled: frozenset[str] | None = None,
    guess: bool = False,
) -> dict[str, Any] | None:
    """The transition a move takes, or None. Only with ``guess`` does "cancelled" take just
    any transition into the done category, for want of one like a cancel: asked once the
    issue is known not to be cancelled already (no transition leads into the status it is
    in, so a cancelled issue would be moved to Done), and never for a closed issue (done to
    cancelled or back), where it says nothing of the difference. Likewise "reopen" takes one
    into in progress for want of one into to do, asked once the issue is known to be closed
    (``[ ]`` asks for open, which in progress is), never of one the plan saw in progress.

    ``cancelled`` (the configured ``cancelled_status_names``, as :func:`status_names` gives
    them) makes a transition a cancel by its target status, as the issue will be read after
    it: one into a listed status for "cancelled", never for "done". A name like "Won't Do"
    then only orders the transitions "done" may take, so that it still prefers "Done" in a
    workflow with both; it never makes a transition a cancel, since its status reads as done.
    """
    available = [t for t in transitions if t.get("isAvailable", True)]
    category = category_of

    def named_like_cancel(t: dict[str, Any]) -> bool:
        names = f"{t.get('name', '')} {(t.get('to') or {}).get('name', '')}"
        return bool(_CANCEL_LIKE.search(names))

    def cancel_like(t: dict[str, Any]) -> bool:
        if cancelled is not None:
            return status_name((t.get("to") or {}).get("name")) in cancelled
        return named_like_cancel(t)

    if to == "reopen":  # into to do; guessing (a closed issue), into in progress for want of it
        fallback = next((t for t in available if category(t) == "indeterminate"), None)
        return next((t for t in available if category(t) == "new"), fallback if guess else None)
    if to == "indeterminate":
        return next((t for t in available if category(t) == to), None)
    done = [t for t in available if category(t) == "done"]
    if to == "done":  # never the configured cancel transition, whatever its name
        fits = [t for t in done if not cancel_like(t) and not is_named(t, cancel_name)]
        if cancelled is not None:  # any of these reads as done; one not named so comes first
            fits.sort(key=named_like_cancel)
        return next(iter(fits), None)
    if chosen := next((t for t in available if is_named(t, cancel_name)), None):
        return chosen
    if cancel_name:
        # Configured, so no guess (a misspelt name closed the issue as done): only a move
        # into a status the config names as cancelled, when it names them.
        return next((t for t in done if cancel_like(t)), None) if cancelled is not None else None
    fallback = done[0] if guess and done else None
    return next((t for t in done if cancel_like(t)), fallback)


def is_named(transition: dict[str, Any], cancel_name: str | None) -> bool:
    """Whether ``transition`` is the configured ``cancel_transition`` (named so, ignoring
    case)."""
    name = str(transition.get("name", ""))
    return bool(cancel_name) and name.casefold() == str(cancel_name).casefold()


def way_on(category: str | None, to: Move) -> tuple[str, ...]:
    """The categories of the statuses a walk from a status of ``category`` may pass through on
    its way to ``to``, the best first: forward in Jira's order (to do, in progress, done; a
    closed issue reopens into to do), never through a closed status. Into done or cancelled,
    from to do through in progress (or another status to do, such as "Selected for
    Development"), from in progress through another; into in progress, through a status to
    do. None back to to do (a reopen), nor from one closed status to another."""
    if to in ("done", "cancelled"):
        return {"new": ("indeterminate", "new"), "indeterminate": ("indeterminate",)}.get(
            str(category), ()
        )
    if to == "indeterminate" and category in ("new", "done"):
        return ("new",)
    return ()


def next_hop(
    transitions: list[dict[str, Any]], way: tuple[str, ...], passed: set[str]
) -> dict[str, Any] | None:
    """The transition a walk takes next: the first available one into a status of the best
    category of ``way`` it has not ``passed`` (by :func:`status_name`), or None."""
    open_to = [
        t
        for t in transitions
        if t.get("isAvailable", True) and status_name((t.get("to") or {}).get("name")) not in passed
    ]
    for category in way:
        for t in open_to:
            if category_of(t) == category:
                return t
    return None


def category_of(transition: dict[str, Any]) -> str | None:
    """The category key of the status ``transition`` leads to."""
    return ((transition.get("to") or {}).get("statusCategory") or {}).get("key")


def steps(transitions: Sequence[dict[str, Any]]) -> str:
    """Transitions as messages name them: "Reopen → To Do, Start → In Progress"."""
    return ", ".join(f"{t.get('name')} → {(t.get('to') or {}).get('name')}" for t in transitions)


def _moved_by(key: str, start: str | None, taken: list[dict[str, Any]]) -> str:
    """Where a walk cut short left ``key``, and how it got there from ``start``."""
    here = (taken[-1].get("to") or {}).get("name")
    return f"{key} was moved from {start!r} by {steps(taken)}, and is in {here!r}"


def walked(failed: OpResult, key: str, start: str | None, taken: list[dict[str, Any]]) -> OpResult:
    """A walk's failed outcome, saying where the transitions it took left the issue."""
    if not taken:
        return failed
    return replace(failed, error=f"{failed.error}; {_moved_by(key, start, taken)}")


def walked_error(
    error: ConnectorError, key: str, start: str | None, taken: list[dict[str, Any]]
) -> ConnectorError:
    """A whole call's failure in a walk, saying where the transitions before it left the issue
    (a dropped answer to the last of them may have moved it one further)."""
    walked = ConnectorError(
        f"{error} ({_moved_by(key, start, taken)})",
        status=error.status,
        retry_after=error.retry_after,
        throttled=error.throttled,
        kind=error.kind,
    )
    walked.acted = True
    walked.answer_lost = error.answer_lost
    return walked


def status_name(name: Any) -> str:
    """A status name as ``cancelled_status_names`` are compared: trimmed, ignoring case."""
    return str(name or "").strip().casefold()


def status_names(names: Sequence[str]) -> frozenset[str]:
    """The configured ``cancelled_status_names`` as :func:`status_name` compares them."""
    return frozenset(status_name(name) for name in names)


def _status_of_transition(status: str, transition: str | None) -> bool:
    """Whether ``status`` is named like the status ``transition`` leads to: the same name, or
    that name with an ending ("Abandon" → "Abandoned", "Reject" → "Rejected")."""
    return bool(transition) and status.casefold().startswith(str(transition).casefold())


def how_closed(
    category: str | None,
    status: Any,
    cancel_name: str | None,
    *,
    cancelled: frozenset[str] | None,
) -> ClosedAs | None:
    """Whether a closed issue was cancelled or done, by its status's name: with ``cancelled``
    (the configured ``cancelled_status_names``), one of them is cancelled and any other done
    (names are no guide in a workflow in German, or one that says "Declined"); without, one
    named like the configured ``cancel_transition`` (``cancel_name``: the transition "Abandon"
    most often leads to the status "Abandoned") or like "Won't Do" / "Cancelled" is cancelled,
    any other status of the done category done."""
    if category != "done":
        return None
    name = str(status or "")
    if cancelled is not None:
        return "cancelled" if status_name(name) in cancelled else "done"
    named = _status_of_transition(name, cancel_name)
    return "cancelled" if named or _CANCEL_LIKE.search(name) else "done"
