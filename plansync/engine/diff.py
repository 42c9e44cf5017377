"""The three-way rules of step 3 of the plan (:mod:`.plan`), as pure functions of values: the
note's (N), the base's, as last synced (B), and the backend's (R). The planner turns what
they decide into changes; here they can be read, and tested, without one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plansync.config import ConflictWinner
from plansync.connectors.base import RemoteRecord
from plansync.rules import CLOSED


def same_value(a: Any, b: Any) -> bool:
    """Whether two values of a field are the same to a person: lists in any order, text but
    for line endings and spaces at its ends, and empty the same as none."""
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    if isinstance(a, str) and isinstance(b, str):
        return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()
    return (a or None) == (b or None)


def _label_merge(note: list[str], base: list[str], remote: list[str]) -> list[str]:
    """Labels the note added go on; labels it dropped come off; labels added in Jira stay."""
    return sorted((set(remote) | set(note)) - (set(base) - set(note)))


def adopted_base(found: RemoteRecord) -> dict[str, Any]:
    """The base of a record taken in as it is in the backend (adopted, or made by a dead run):
    its fields, and its status as done or cancelled where the backend tells them apart."""
    return {**found.fields, "status": found.closed_as or found.status_category, "link": None}


def last_status(base: dict[str, Any], found: RemoteRecord) -> str | None:
    """The status as last synced. A transition whose answer was lost (``status_sent``, stored
    by apply before it asks) counts as synced once Jira is where it was sent; otherwise its
    done state would pass for a change made in Jira, and reopening the item would not reach
    Jira."""
    last, sent = base.get("status"), base.get("status_sent")
    if not sent or (found.status_category == "done") != (sent in CLOSED):
        return last
    if last in CLOSED and sent in CLOSED and found.closed_as not in (None, sent):
        # A move between done and cancelled: the record was closed before it, so only its
        # status says whether it got there.
        return last
    return str(sent)


@dataclass(frozen=True)
class Kept:
    """A field (or the status) whose backend value stands, as the plan's ``kept`` line names
    it. ``overruled``: the note changed it too, and ``[sync.conflicts]`` keeps the backend's;
    said so, or the plan would read as if only the backend had changed it."""

    name: str
    overruled: bool = False

    def __str__(self) -> str:
        if self.overruled:
            return f"{self.name} (and in the note: [sync.conflicts] keeps the backend's)"
        return self.name


@dataclass
class FieldsDiff:
    """What the three-way rule makes of a record's fields (see :func:`diff_fields`)."""

    updates: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per field, the backend's value and the one to send (``old``, ``new``)."""
    conflicts: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per field, its ``base``, and its ``note`` and ``remote`` values."""
    converged: dict[str, Any] = field(default_factory=dict)
    """Fields that both sides changed to one value: only the base learns it."""
    kept: list[Kept] = field(default_factory=list)


def diff_fields(
    note: dict[str, Any],
    base: dict[str, Any],
    remote: dict[str, Any],
    *,
    immutable: frozenset[str],
    winners: dict[str, ConflictWinner],
    adopt: bool = False,
) -> FieldsDiff:
    """The ``remote`` fields three ways against the ``base`` and the ``note``: a change on the
    note side only is an update, on the remote side only kept, on both a conflict, unless
    ``winners`` (``[sync.conflicts]``) names the side that wins. Adopting (no base), every
    field the note has is sent, and none is kept."""
    diff = FieldsDiff()
    for name, wanted in note.items():
        if name in immutable:
            continue
        have = remote.get(name)
        last = base.get(name)
        if name == "labels":
            # The base keeps the note's labels, so a label added in Jira is never taken
            # for one the note dropped.
            merged = _label_merge(wanted, last or [], have or [])
            if not same_value(merged, have) and (adopt or not same_value(wanted, last)):
                diff.updates[name] = {"old": have, "new": merged}
            elif not adopt and not same_value(wanted, last):
                diff.converged[name] = wanted
            continue
        if same_value(wanted, have):
            if not adopt and not same_value(wanted, last):
                diff.converged[name] = wanted
            continue
        if not adopt and same_value(wanted, last):
            diff.kept.append(Kept(name))  # changed in the backend only: its value stands
            continue
        if adopt or same_value(have, last) or winners.get(name) == "note":
            diff.updates[name] = {"old": have, "new": wanted}
        elif winners.get(name) == "remote":
            diff.kept.append(Kept(name, overruled=True))  # else "in sync", the two differing
        else:
            diff.conflicts[name] = {"base": last, "note": wanted, "remote": have}
    return diff


@dataclass
class StatusDiff:
    """What the three-way rule makes of a record's status (see :func:`diff_status`): at most
    one of a transition, a conflict and a refresh of the base."""

    transition: dict[str, Any] | None = None
    """The status to move the record from and to (``old``, ``new``)."""
    conflict: dict[str, Any] | None = None
    """The status's ``base``, and its ``note`` and ``remote`` values."""
    refresh: dict[str, Any] | None = None
    """What the base learns, nothing being sent."""
    kept: list[Kept] = field(default_factory=list)


def diff_status(
    wanted: str, last: str | None, found: RemoteRecord, winner: ConflictWinner | None
) -> StatusDiff:
    """Move the record where the checkbox (``wanted``) says, by the fields' three-way rule: a
    status the note kept since the last sync (``last``) is the backend's; one the note moved is
    sent, unless the backend moved it too, elsewhere: a conflict that ``sync.conflicts``
    ``status`` (``winner``) may settle, as a field's. Adopted (``last`` None, no base), the
    note's word is sent, as its fields are.

    Done and cancelled are one category to Jira ("Won't Do" is closed like "Done"), but
    not one status: the note moving to one of them moves a record closed as the other
    too (closed in the backend meanwhile: the checkbox says which), unless the backend
    cannot tell them apart (:attr:`RemoteRecord.closed_as` None); then only the base
    learns the note's word, so that a workflow with one closed status is not asked again
    at every sync.

    Kept as the fields' are: the status ("status (now done)") where the backend moved the
    record and its word stands, else nothing.
    """
    have = found.status_category
    if last == "indeterminate":  # adopted while in progress: open, as the note says "new"
        last = "new"
    moved = last is not None and (  # in the backend, since the last sync
        (have == "done") != (last in CLOSED)
        or (have == "done" and found.closed_as not in (None, last))
    )
    now = (found.closed_as or "closed") if have == "done" else "open"
    if wanted == last:  # the backend's word stands; said, as a field's is
        return StatusDiff(kept=[Kept(f"status (now {now})")] if moved else [])
    if wanted in CLOSED and have != "done":
        change = {"old": have, "new": wanted}
    elif wanted in CLOSED and found.closed_as not in (None, wanted):
        change = {"old": found.closed_as, "new": wanted}
    elif wanted == "new" and have == "done" and last != "new":
        change = {"old": found.closed_as or have, "new": "reopen"}  # "cancelled" said so
    else:
        if last is not None and (have == "done") == (wanted in CLOSED):
            return StatusDiff(refresh={"status": wanted, "status_sent": None})
        return StatusDiff()
    if moved and winner == "remote":
        return StatusDiff(kept=[Kept(f"status (now {now})", overruled=True)])
    if moved and winner != "note":
        return StatusDiff(conflict={"base": last, "note": wanted, "remote": now})
    return StatusDiff(transition=change)
