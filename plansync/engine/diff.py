"""The three-way rules of step 3 of the plan (:mod:`.plan`), as pure functions of values: the
note's (N), the base's, as last synced (B), and the backend's (R). The planner turns what
they decide into changes; here they can be read, and tested, without one."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from plansync.config import ConflictWinner
from plansync.connectors.base import ClosedAs, RemoteRecord, StatusCategory
from plansync.rules import CLOSED, open_as_new, unnamed_status
from plansync.words import IN_PROGRESS, status_word


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
    its fields, and its status as done or cancelled where the backend tells them apart, with
    the backend's own value for it (:func:`as_synced`)."""
    status = found.closed_as or found.status_category
    return {**found.fields, "status": status, "status_value": found.status_value, "link": None}


def learnt_status(status: str | None, value: str | None = None) -> dict[str, Any]:
    """What the base learns of a status both sides hold, nothing being sent: the status, with
    no move in flight (``status_sent``) nor another word the backend holds the record by
    (``closed_as``, see :func:`held_as`), and the backend's own value for it where it has one
    (``status_value``, see :func:`as_synced`)."""
    return {"status": status, "status_sent": None, "closed_as": None, "status_value": value}


def as_synced(base: dict[str, Any], found: RemoteRecord) -> RemoteRecord:
    """``found`` read as the last sync left it, where the backend holds it in the very value
    the base keeps (``status_value``, a Salesforce picklist value) and the config now reads
    that value as open where it was closed, closed where it was open, or as nothing it names.

    Nobody moved the record: the config changed (a wrong ``status_values`` set right, a
    value taken out of ``open_status_values``). Read by the config alone, a record closed as
    "Completed" while done = "Completed", once done = "Done" again, would pass for one moved
    in Salesforce ("status (now in progress) changed in Salesforce only since the last sync;
    kept"), and the line reopened later would leave it closed. Read as synced, it is what the
    base says until either side moves it, and a reopen is sent. A move between two open
    values (to do and in progress) is the config's reading.

    A base with no ``status_value`` (kept before plansync kept it, or made by a create,
    which sends no status) cannot tell: ``found`` is read by the config until a plan finds
    the record where the base says and the base learns its value."""
    value, status = base.get("status_value"), base.get("status")
    if value is None or found.status_value != value or status not in (*CLOSED, "new", IN_PROGRESS):
        return found
    closed_as: ClosedAs | None = status if status in CLOSED else None
    agrees = (found.status_category == "done") == (closed_as is not None)
    if not found.status_unnamed and agrees and found.closed_as in (None, closed_as):
        return found
    category: StatusCategory = (
        "done" if closed_as else "new" if status == "new" else "indeterminate"
    )
    return replace(found, status_category=category, closed_as=closed_as)


def held_as(base: dict[str, Any]) -> ClosedAs | None:
    """How the backend held the record at the last sync, where not as its ``status`` says: a
    cancel it carried out as done (a workflow with no cancelled status, or no transition into
    one), kept by apply as ``closed_as`` beside the note's word. None in a base from before
    plansync kept it, which reads as its ``status`` says."""
    held = base.get("closed_as")
    return held if held in ("done", "cancelled") and held != base.get("status") else None


def last_status(base: dict[str, Any], found: RemoteRecord) -> str | None:
    """The status as last synced. A transition whose answer was lost (``status_sent``, stored
    by apply before it asks) counts as synced once Jira is where it was sent; otherwise its
    done state would pass for a change made in Jira, and reopening the item would not reach
    Jira. A closed record's move into in progress that reopened it and went no further (a
    walk of Jira's workflow cut short in To Do) counts as the reopen it made: else that
    reopen would pass for one made in Jira, and the line checked again would leave it open."""
    last: str | None = base.get("status")
    sent: str | None = base.get("status_sent")
    if not sent or (found.status_category == "done") != (sent in CLOSED):
        return last
    if last in CLOSED and sent in CLOSED and found.closed_as not in (None, sent):
        # A move between done and cancelled: the record was closed before it, so only its
        # status says whether it got there.
        return last
    if sent not in CLOSED and (found.status_category == IN_PROGRESS) != (sent == IN_PROGRESS):
        # A move between to do and in progress: open before and after, so only the category
        # says whether it got there. From closed, it got as far as open.
        return "new" if last in CLOSED else last
    return str(sent)


def landed(base: dict[str, Any], found: RemoteRecord) -> dict[str, Any] | None:
    """What the base learns of a transition whose answer was lost (``status_sent``) that the
    backend shows made (:func:`last_status`): the status sent, no move in flight, and how the
    backend holds it where not as sent. None where no answer was lost, or the move is not seen
    made (it is sent again). Learnt, and not only read so at each plan, since a later move in
    the backend is then compared with it: a reopen in Jira read against ``status_sent`` alone
    would pass for the move never made, and the move would be sent again over it.

    A cancel from open found closed as done (``closed_as`` "done") landed as Jira could
    carry it: a workflow with no cancelled status, or no transition into one, where the
    connector closes it as Done, as it says when the answer arrives (``closed_as`` kept, see
    :func:`held_as`). Without it, every plan would say the issue was closed as done "in Jira
    only since the last sync". The same state comes of the cancel never reaching Jira while someone
    closed the issue as Done there, or of one that reached a Cancelled status moved to Done in
    Jira before this plan: each in the moments between the POST and the read after it. Taking
    these for the landing loses no change: nothing is sent nor written for it, each side keeps
    its word (the line ``[-]``, the issue Done), and a move on either side after it is seen
    against the base learnt; only the closed word the two differ by goes unsaid, as after a
    cancel Jira carried out as Done. A done found cancelled is not taken so: the connector
    never carries a done as a cancel, so only someone in Jira made it, and it is said."""
    last = last_status(base, found)
    if not base.get("status_sent") or last == base.get("status"):
        return None
    carried = last == "cancelled" and found.closed_as == "done"
    return {
        **learnt_status(last, found.status_value),
        "closed_as": found.closed_as if carried else None,
    }


@dataclass(frozen=True)
class Kept:
    """A field (or the status) whose backend value stands, as the plan's ``kept`` line names
    it. ``overruled``: the note changed it too, and ``[sync.conflicts]`` keeps the backend's;
    said so, or the plan would read as if only the backend had changed it. ``outweighed``:
    overruled not by the config but because a close outweighs a move between open and in
    progress, the note's status (the move it made) said instead. ``now``: where the backend
    has the record, for the status ("status (now done)"), kept apart from its name, which
    the plan's ``kept_records`` gives a tool as it is."""

    name: str
    overruled: bool = False
    now: str | None = None
    outweighed: str | None = None

    def __str__(self) -> str:
        said = self.name if self.now is None else f"{self.name} (now {self.now})"
        if self.outweighed is not None:
            return (
                f"{said} (and in the note, to {status_word(self.outweighed)}: a close outweighs it)"
            )
        if self.overruled:
            return f"{said} (and in the note: [sync.conflicts] keeps the backend's)"
        return said


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
    """The status's ``base``, and its ``note`` and ``remote`` values; ``remote_base`` where the
    backend held the record otherwise at the last sync (``held``, a cancel carried out as
    done), which its side moved from: without it, "Jira cancelled -> cancelled" would say the
    base's word for a move out of Done."""
    refresh: dict[str, Any] | None = None
    """What the base learns, nothing being sent."""
    kept: list[Kept] = field(default_factory=list)


def diff_status(
    wanted: str,
    last: str | None,
    found: RemoteRecord,
    winner: ConflictWinner | None,
    *,
    progress: bool = False,
    held: ClosedAs | None = None,
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
    at every sync. ``held`` (:func:`held_as`) is how the backend held a record closed as
    ``last`` says otherwise (a cancel carried out as Done): the backend's side is compared
    with it, the note's with ``last``, so that the record reads as synced until either
    side moves; once the backend holds the note's word itself, the base forgets it.

    In progress (``[/]``, "indeterminate") is a status of its own only with ``progress`` (Jira);
    elsewhere it is open, as ``[ ]``. Open or closed is decided first, as above, in progress
    counting as open; only where the record stays open (:func:`_diff_progress`) are to do and
    in progress told apart. So a close, made on either side, outweighs a move between ``[ ]``
    and ``[/]`` on the other (no conflict), and a store from before plansync knew in progress
    (it kept ``[/]`` as "new") asks nothing new of a record closed since.

    Kept as the fields' are: the status ("status (now done)") where the backend moved the
    record and its word stands, else nothing; overruled where the note moved it too (between
    ``[ ]`` and ``[/]``, which the backend's close outweighs).

    A record in a status its config names nowhere (:attr:`RemoteRecord.status_unnamed`) is
    neither open nor closed: see :func:`_diff_unnamed`.
    """
    if found.status_unnamed:
        return _diff_unnamed(wanted, last, found, winner, progress=progress)
    diff = _diff_closed(open_as_new(wanted), open_as_new(last), found, winner, held)
    if not progress:
        return diff
    if diff.kept and wanted != last and open_as_new(wanted) == open_as_new(last):
        # Closed in the backend while the note moved between [ ] and [/]: the close stands,
        # and the note's move is overruled, not absent ("changed in Jira only" would say so)
        diff.kept = [replace(kept, overruled=True, outweighed=wanted) for kept in diff.kept]
    if diff.conflict:  # said as the two sides say it, in progress included
        diff.conflict.update(base=last, note=wanted)
    if wanted in CLOSED:
        return diff
    if found.status_category != "done":
        return _diff_progress(wanted, last, found, diff)
    if diff.transition and wanted == IN_PROGRESS:  # reopened, straight into in progress
        diff.transition["new"] = IN_PROGRESS
    return diff


def _diff_progress(
    wanted: str, last: str | None, found: RemoteRecord, closed: StatusDiff
) -> StatusDiff:
    """The status of a record open in the backend and in the note (``closed``: what
    :func:`_diff_closed` made of it), between to do and in progress, three ways. With two
    values there is no conflict: a side that moved moved to the other.

    ``[ ]`` says only that the item is open, which an issue in progress is: unless the note
    moved out of ``[/]``, it asks nothing of one (adopted, or started in Jira while the line
    kept ``[ ]``) and lists none as kept, where a team that moves its issues along in Jira
    would see each listed at every plan. ``[/]`` over an issue back in To Do is a difference,
    and said."""
    have = IN_PROGRESS if found.status_category == IN_PROGRESS else "new"
    base = "new" if last in CLOSED else last  # reopened on both sides: a reopen lands in to do
    if wanted == have:
        learnt = learnt_status(wanted, found.status_value)
        return StatusDiff(refresh=learnt if last not in (None, wanted) else None)
    if wanted == "new" and base != IN_PROGRESS:  # open, as the issue in progress is
        return StatusDiff(refresh=closed.refresh)
    if base == wanted:  # moved in the backend only: its word stands, said as a field's
        return StatusDiff(refresh=closed.refresh, kept=[Kept("status", now=_now(found))])
    change = {"old": found.status_category, "new": "reopen" if wanted == "new" else wanted}
    return StatusDiff(transition=change)


def _diff_unnamed(
    wanted: str,
    last: str | None,
    found: RemoteRecord,
    winner: ConflictWinner | None,
    *,
    progress: bool,
) -> StatusDiff:
    """:func:`diff_status` of a record in a status its config names nowhere (a Salesforce
    value neither ``status_values`` nor ``open_status_values`` lists, "Declined"), which may
    be open or closed: read as in progress, a record declined in Salesforce would be moved to
    Done over it, unseen, once its item is checked.

    The last sync left the record in a status the config named (every move plansync makes
    sets one), so the backend moved it since: its word stands, as a field's changed in the
    backend only, and is said at each plan ("status (now "Declined" (not in ...))"); where the
    note moved too, it is a conflict, which ``[sync.conflicts]`` ``status`` (``winner``) may
    settle, the move then said from the record's own value. Adopted (no base), nothing tells
    who moved what: the note's word is sent over it where it closes the item, and an open
    line asks nothing, as of a record in progress."""
    to = wanted if wanted in CLOSED or (progress and wanted == IN_PROGRESS) else "reopen"
    move = {"old": found.status_value, "new": to}
    if last is None:
        return StatusDiff(transition=move) if wanted in CLOSED else StatusDiff()
    now = _now(found)
    same = wanted == last if progress else open_as_new(wanted) == open_as_new(last)
    if same:
        return StatusDiff(kept=[Kept("status", now=now)])
    if winner == "note":
        return StatusDiff(transition=move)
    if winner == "remote":
        return StatusDiff(kept=[Kept("status", overruled=True, now=now)])
    return StatusDiff(conflict={"base": last, "note": wanted, "remote": found.status_value})


def _now(found: RemoteRecord) -> str:
    """Where the backend has the record, as a kept line or a conflict says it: closed as done
    or cancelled ("closed" where it cannot tell), in progress, or open; a status its config
    names nowhere as its value (:func:`~plansync.rules.unnamed_status`)."""
    if found.status_unnamed and found.status_value is not None:
        return unnamed_status(found.status_value)
    if found.status_category == "done":
        return found.closed_as or "closed"
    return status_word(found.status_category) if found.status_category == IN_PROGRESS else "open"


def _diff_closed(
    wanted: str,
    last: str | None,
    found: RemoteRecord,
    winner: ConflictWinner | None,
    held: ClosedAs | None = None,
) -> StatusDiff:
    """:func:`diff_status` between open ("new") and closed (done, cancelled) alone."""
    have = found.status_category
    seen = held if held is not None and last in CLOSED else last  # the backend's, last sync
    moved = last is not None and (  # in the backend, since the last sync
        (have == "done") != (seen in CLOSED)
        or (have == "done" and found.closed_as not in (None, seen))
    )
    now = _now(found)
    if wanted == last:  # the backend's word stands; said, as a field's is
        if moved and seen != last and found.closed_as == last:  # now as the note has it
            return StatusDiff(refresh={"closed_as": None})
        return StatusDiff(kept=[Kept("status", now=now)] if moved else [])
    if wanted in CLOSED and have != "done":
        change = {"old": have, "new": wanted}
    elif wanted in CLOSED and found.closed_as not in (None, wanted):
        change = {"old": found.closed_as, "new": wanted}
    elif wanted == "new" and have == "done" and last != "new":
        change = {"old": found.closed_as or have, "new": "reopen"}  # "cancelled" said so
    else:
        if last is not None and (have == "done") == (wanted in CLOSED):
            return StatusDiff(refresh=learnt_status(wanted, found.status_value))
        return StatusDiff()
    if moved and winner == "remote":
        return StatusDiff(kept=[Kept("status", overruled=True, now=now)])
    if moved and winner != "note":
        conflict: dict[str, Any] = {"base": last, "note": wanted, "remote": now}
        if seen != last:  # the backend's side moved from where it held the record
            conflict["remote_base"] = seen
        return StatusDiff(conflict=conflict)
    return StatusDiff(transition=change)
