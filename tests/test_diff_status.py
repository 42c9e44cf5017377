"""The checkbox's three-way rule (:func:`diff_status`) with in progress, ``[/]``: Jira's
category "indeterminate", a status of its own where the target moves records there (Jira), and
open, as ``[ ]``, where it does not (Salesforce)."""

from __future__ import annotations

from typing import Any

import pytest

from plansync.connectors.base import ClosedAs, RemoteRecord, StatusCategory
from plansync.engine.diff import (
    Kept,
    StatusDiff,
    as_synced,
    diff_status,
    held_as,
    landed,
    last_status,
)

NEW, WIP = "new", "indeterminate"


def record(category: StatusCategory, closed_as: ClosedAs | None = None) -> RemoteRecord:
    return RemoteRecord("PS-1", "https://jira/browse/PS-1", "ps-1", {}, category, closed_as)


DONE = record("done", "done")
CANCELLED = record("done", "cancelled")
TO_DO, IN_PROGRESS = record("new"), record("indeterminate")


def move(old: str | None, new: str) -> StatusDiff:
    return StatusDiff(transition={"old": old, "new": new})


def kept(now: str, overruled: bool = False, outweighed: str | None = None) -> list[Kept]:
    return [Kept("status", overruled or outweighed is not None, now, outweighed)]


def learnt(status: str) -> dict[str, Any]:
    return {"status": status, "status_sent": None, "closed_as": None, "status_value": None}


@pytest.mark.parametrize(
    ("wanted", "last", "found", "expected"),
    [
        # moved in the note only: sent
        (WIP, NEW, TO_DO, move(NEW, WIP)),
        (NEW, WIP, IN_PROGRESS, move(WIP, "reopen")),
        (WIP, "done", DONE, move("done", WIP)),  # reopened straight into in progress
        (WIP, "cancelled", CANCELLED, move("cancelled", WIP)),
        ("done", WIP, IN_PROGRESS, move(WIP, "done")),
        ("cancelled", WIP, IN_PROGRESS, move(WIP, "cancelled")),
        # no base (adopted): the note's word is sent, as its fields are
        (WIP, None, TO_DO, move(NEW, WIP)),
        (WIP, None, DONE, move("done", WIP)),
        (WIP, None, IN_PROGRESS, StatusDiff()),
        # moved in Jira only: kept, and said
        (WIP, WIP, TO_DO, StatusDiff(kept=kept("open"))),
        (WIP, WIP, DONE, StatusDiff(kept=kept("done"))),
        ("done", "done", IN_PROGRESS, StatusDiff(kept=kept("in progress"))),
        # moved on both sides to one place: the base learns it
        (WIP, NEW, IN_PROGRESS, StatusDiff(refresh=learnt(WIP))),
        (NEW, WIP, TO_DO, StatusDiff(refresh=learnt(NEW))),
        (WIP, "done", IN_PROGRESS, StatusDiff(refresh=learnt(WIP))),
        (WIP, WIP, IN_PROGRESS, StatusDiff()),
        # reopened on both sides, one into to do and the other into in progress: a reopen
        # lands in to do, so the one that says in progress moved further
        (WIP, "done", TO_DO, move(NEW, WIP)),
        # [ ] says open, which in progress is: unless the note moved out of [/], nothing is
        # sent, and nothing said kept (adopted, started in Jira, or reopened into progress)
        (NEW, None, IN_PROGRESS, StatusDiff()),
        (NEW, NEW, IN_PROGRESS, StatusDiff()),
        (NEW, "done", IN_PROGRESS, StatusDiff(refresh=learnt(NEW))),
        # a close, on either side, outweighs a move between [ ] and [/] on the other: the
        # note's move is overruled, not absent ("changed in Jira only" said it was); a base
        # from before plansync knew in progress says "new" for a [/] line, as a move
        (WIP, NEW, DONE, StatusDiff(kept=kept("done", outweighed=WIP))),
        (NEW, WIP, CANCELLED, StatusDiff(kept=kept("cancelled", outweighed=NEW))),
        ("done", NEW, IN_PROGRESS, move(WIP, "done")),
    ],
)
def test_in_progress_moves_three_ways(
    wanted: str, last: str | None, found: RemoteRecord, expected: StatusDiff
) -> None:
    assert diff_status(wanted, last, found, None, progress=True) == expected


@pytest.mark.parametrize(
    ("wanted", "last", "found", "remote"),
    [
        (WIP, "done", CANCELLED, "cancelled"),  # [x] -> [/] while Jira cancelled it
        ("cancelled", WIP, DONE, "done"),  # [/] -> [-] while Jira closed it as done
        ("done", "cancelled", IN_PROGRESS, "in progress"),  # [-] -> [x], Jira reopened
    ],
)
def test_in_progress_moved_both_ways_differently_is_a_conflict_the_config_settles(
    wanted: str, last: str, found: RemoteRecord, remote: str
) -> None:
    conflict = diff_status(wanted, last, found, None, progress=True)
    assert conflict == StatusDiff(conflict={"base": last, "note": wanted, "remote": remote})
    sent = diff_status(wanted, last, found, "note", progress=True)
    assert sent.transition is not None and sent.transition["new"] == wanted
    assert diff_status(wanted, last, found, "remote", progress=True) == StatusDiff(
        kept=kept(remote, overruled=True)
    )


@pytest.mark.parametrize(
    ("wanted", "last", "found"),
    [
        (WIP, NEW, TO_DO),
        (WIP, NEW, IN_PROGRESS),
        (NEW, NEW, IN_PROGRESS),
        (WIP, None, TO_DO),
        (NEW, WIP, IN_PROGRESS),  # a base from an adopted record in progress
    ],
)
def test_without_progress_in_progress_is_open(
    wanted: str, last: str | None, found: RemoteRecord
) -> None:
    """Salesforce: no move between to do and in progress is planned, nor said kept."""
    assert diff_status(wanted, last, found, None) == StatusDiff()


DECLINED = RemoteRecord(
    "a01", "https://sf/a01", "ps-1", {}, None, None, sobject="RFE__c", status_value="Declined"
)
"""A record in a status value its config names nowhere: open or closed, plansync cannot
tell."""
SAID = '"Declined" (not in status_values or open_status_values)'


@pytest.mark.parametrize("progress", [False, True])
@pytest.mark.parametrize(
    ("wanted", "last"), [(NEW, NEW), ("done", "done"), ("cancelled", "cancelled"), (WIP, WIP)]
)
def test_a_record_moved_into_an_unnamed_status_is_kept_and_said(
    wanted: str, last: str, progress: bool
) -> None:
    """Read as in progress, a record declined in Salesforce was said nowhere (a user test)."""
    if not progress and WIP in (wanted, last):
        wanted = last = NEW
    expected = StatusDiff(kept=[Kept("status", now=SAID)])
    assert diff_status(wanted, last, DECLINED, None, progress=progress) == expected


@pytest.mark.parametrize(
    ("wanted", "last", "to", "progress"),
    [
        ("done", NEW, "done", False),
        ("cancelled", NEW, "cancelled", False),
        (NEW, "done", "reopen", False),
        ("done", WIP, "done", True),
        (WIP, NEW, WIP, True),
        (NEW, WIP, "reopen", True),
    ],
)
def test_a_checkbox_moved_over_an_unnamed_status_is_a_conflict_the_config_settles(
    wanted: str, last: str, to: str, progress: bool
) -> None:
    """Read as in progress, a record declined in Salesforce was moved to Done over it, the
    plan saying 'status: "in progress" -> "done"' (a user test). The record moved since the
    last sync (every move plansync makes sets a named value), so the checkbox's move since is
    a conflict; settled for the note, it is said from the record's own value."""
    conflict = diff_status(wanted, last, DECLINED, None, progress=progress)
    assert conflict == StatusDiff(conflict={"base": last, "note": wanted, "remote": "Declined"})
    sent = diff_status(wanted, last, DECLINED, "note", progress=progress)
    assert sent == move("Declined", to)
    kept_remote = diff_status(wanted, last, DECLINED, "remote", progress=progress)
    assert kept_remote == StatusDiff(kept=[Kept("status", overruled=True, now=SAID)])


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [("done", move("Declined", "done")), (NEW, StatusDiff()), (WIP, StatusDiff())],
)
def test_an_adopted_record_in_an_unnamed_status_is_closed_as_the_note_says(
    wanted: str, expected: StatusDiff
) -> None:
    """No base, so nothing tells who moved what: as for a record in progress, the note's
    close is sent, and an open line asks nothing."""
    assert diff_status(wanted, None, DECLINED, None, progress=True) == expected


@pytest.mark.parametrize(
    ("last", "sent", "found", "expected"),
    [
        (NEW, WIP, IN_PROGRESS, WIP),  # got there: synced
        (NEW, WIP, TO_DO, NEW),  # lost before Jira made it: sent again
        (WIP, NEW, TO_DO, NEW),
        (WIP, NEW, IN_PROGRESS, WIP),
        # from closed into in progress, cut short in to do (a walk through Jira's workflow
        # that reopened the issue and went no further): the reopen counts
        ("done", WIP, TO_DO, NEW),
        ("cancelled", WIP, TO_DO, NEW),
        ("done", WIP, DONE, "done"),  # lost before Jira made any of it
        ("done", WIP, IN_PROGRESS, WIP),
    ],
)
def test_a_move_into_or_out_of_in_progress_whose_answer_was_lost_counts_once_made(
    last: str, sent: str, found: RemoteRecord, expected: str
) -> None:
    assert last_status({"status": last, "status_sent": sent}, found) == expected


def test_a_line_checked_again_after_a_walk_cut_short_in_to_do_closes_the_issue_again() -> None:
    """``[x]`` to ``[/]``: the walk reopened the issue into To Do and died before Start; the
    line then checked ``[x]`` again. The reopen passed for one made in Jira: the plan kept the
    issue open ("status (now open)") and never closed it again."""
    last = last_status({"status": "done", "status_sent": WIP}, TO_DO)
    assert diff_status("done", last, TO_DO, None, progress=True) == move(NEW, "done")
    assert diff_status(WIP, last, TO_DO, None, progress=True) == move(NEW, WIP)


@pytest.mark.parametrize(
    ("wanted", "found", "expected"),
    [
        # as synced: a cancel Jira holds as done (a workflow with no cancelled status)
        ("cancelled", DONE, StatusDiff()),
        # moved in Jira only since: reopened, its word stands and is said; cancelled as the
        # note says (a cancelled status added to the workflow), only the base learns it
        ("cancelled", TO_DO, StatusDiff(kept=kept("open"))),
        ("cancelled", IN_PROGRESS, StatusDiff(kept=kept("in progress"))),
        ("cancelled", CANCELLED, StatusDiff(refresh={"closed_as": None})),
        # moved in the note only since: sent, or, done as Jira holds it, learnt
        (NEW, DONE, move("done", "reopen")),
        (WIP, DONE, move("done", WIP)),
        ("done", DONE, StatusDiff(refresh=learnt("done"))),
        # moved on both sides: Jira's side from done, where it held the issue
        (NEW, TO_DO, StatusDiff(refresh=learnt(NEW))),
        (
            "done",
            CANCELLED,
            StatusDiff(
                conflict={
                    "base": "cancelled",
                    "note": "done",
                    "remote": "cancelled",
                    "remote_base": "done",
                }
            ),
        ),
        (
            "done",
            TO_DO,
            StatusDiff(
                conflict={
                    "base": "cancelled",
                    "note": "done",
                    "remote": "open",
                    "remote_base": "done",
                }
            ),
        ),
    ],
)
def test_a_cancel_held_as_done_is_compared_with_what_the_backend_held(
    wanted: str, found: RemoteRecord, expected: StatusDiff
) -> None:
    """The base says cancelled (the note's word) and that Jira held the issue as done: the
    note's side is compared with the one, Jira's with the other. Said as changed in Jira at
    every plan, when only the status was kept."""
    assert diff_status(wanted, "cancelled", found, None, progress=True, held="done") == expected


def test_a_base_from_before_the_backends_word_was_kept_reads_as_before() -> None:
    """A store written before ``closed_as`` was kept: nothing held otherwise, and a cancel
    closed as done in Jira reads as closed so since, as it did."""
    old = {"status": "cancelled", "status_sent": None}
    assert held_as(old) is None
    assert held_as({**old, "closed_as": "done"}) == "done"
    assert held_as({**old, "closed_as": None}) is None
    assert held_as({"status": "done", "closed_as": "done"}) is None
    assert diff_status("cancelled", "cancelled", DONE, None, held=held_as(old)) == StatusDiff(
        kept=kept("done")
    )


@pytest.mark.parametrize(
    ("last", "sent", "found", "expected"),
    [
        # landed as sent: the base learns it
        (NEW, "cancelled", CANCELLED, ("cancelled", None)),
        (NEW, "done", DONE, ("done", None)),
        (NEW, WIP, IN_PROGRESS, (WIP, None)),
        ("done", "new", TO_DO, (NEW, None)),
        ("done", WIP, TO_DO, (NEW, None)),  # a walk cut short in to do: the reopen it made
        # a move between done and cancelled: the record's closed word says it landed
        ("done", "cancelled", CANCELLED, ("cancelled", None)),
        ("cancelled", "done", DONE, ("done", None)),
        # a cancel Jira carried out as done (no cancelled status): landed, held as done
        (NEW, "cancelled", DONE, ("cancelled", "done")),
        (WIP, "cancelled", DONE, ("cancelled", "done")),
        # a done Jira holds cancelled: the connector never closes a done so; someone in Jira
        # did, and it is said (its closed word is not kept as held)
        (NEW, "done", CANCELLED, ("done", None)),
        # not seen made: nothing learnt, the move is sent again
        (NEW, "cancelled", TO_DO, None),
        (NEW, WIP, TO_DO, None),
        ("done", "cancelled", DONE, None),  # closed before: only its status tells
        ("cancelled", "done", CANCELLED, None),
    ],
)
def test_a_move_whose_answer_was_lost_is_learnt_once_seen_made(
    last: str, sent: str, found: RemoteRecord, expected: tuple[str, str | None] | None
) -> None:
    got = landed({"status": last, "status_sent": sent}, found)
    assert got == (None if expected is None else {**learnt(expected[0]), "closed_as": expected[1]})


@pytest.mark.parametrize("found", [TO_DO, IN_PROGRESS, DONE, CANCELLED])
@pytest.mark.parametrize("last", [NEW, WIP, "done", "cancelled"])
def test_with_no_move_in_flight_the_status_last_synced_is_the_bases(
    last: str, found: RemoteRecord
) -> None:
    """Only a move whose answer was lost is read against the backend; otherwise wherever the
    record is now, the last sync's word stands, for the diff to see what moved since."""
    assert last_status({"status": last, "status_sent": None}, found) == last
    assert last_status({"status": last}, found) == last


def test_no_answer_lost_nothing_learnt() -> None:
    assert landed({"status": NEW, "status_sent": None}, DONE) is None
    assert landed({"status": "cancelled", "closed_as": "done"}, DONE) is None


@pytest.mark.parametrize("progress", [True, False])
def test_a_cancel_carried_out_as_done_whose_answer_was_lost_reads_as_synced(
    progress: bool,
) -> None:
    """A reviewer's find: ``[ ]`` to ``[-]`` in a workflow with no cancelled status, its
    answer lost (``status_sent`` stored, no ``closed_as``). The issue was Done, so every plan
    said "status (now done) changed in Jira only since the last sync". Learnt, it is synced
    as a cancel Jira holds as done, and a move on either side after it is still seen."""
    base = {"status": NEW, "status_sent": "cancelled"}
    assert diff_status("cancelled", "cancelled", DONE, None, progress=progress) == StatusDiff(
        kept=kept("done")
    )  # as it read before: the status sent, nothing held
    synced = {**base, **(landed(base, DONE) or {})}
    last, held = synced["status"], held_as(synced)
    assert (last, held) == ("cancelled", "done")
    assert diff_status("cancelled", last, DONE, None, progress=progress, held=held) == StatusDiff()
    reopened = diff_status("cancelled", last, TO_DO, None, progress=progress, held=held)
    assert reopened == StatusDiff(kept=kept("open"))
    assert diff_status(NEW, last, DONE, None, progress=progress, held=held) == move(
        "done", "reopen"
    )


def sf_record(
    value: str, category: StatusCategory | None, closed_as: ClosedAs | None = None
) -> RemoteRecord:
    return RemoteRecord(
        "a01", "https://sf/a01", "ps-1", {}, category, closed_as, status_value=value
    )


@pytest.mark.parametrize(
    ("base", "found", "expected"),
    [
        # in the value last synced, which the config reads otherwise now: as synced
        (
            {"status": "done", "status_value": "Completed"},
            sf_record("Completed", None),
            ("done", "done"),
        ),
        (
            {"status": "cancelled", "status_value": "No"},
            sf_record("No", "new"),
            ("done", "cancelled"),
        ),
        ({"status": NEW, "status_value": "Triage"}, sf_record("Triage", None), (NEW, None)),
        ({"status": WIP, "status_value": "Doing"}, sf_record("Doing", "done", "done"), (WIP, None)),
        (
            {"status": "done", "status_value": "Done"},
            sf_record("Done", "done", "cancelled"),
            ("done", "done"),
        ),
        # read as the config reads it: a value moved since, no value kept, or the same reading
        ({"status": "done", "status_value": "Done"}, sf_record("Declined", None), (None, None)),
        ({"status": "done"}, sf_record("Completed", None), (None, None)),
        ({"status": "done", "status_value": None}, sf_record("Completed", None), (None, None)),
        ({"status": NEW, "status_value": "Triage"}, sf_record("Triage", WIP), (WIP, None)),
        ({"status": "done", "status_value": "Closed"}, sf_record("Closed", "done"), ("done", None)),
    ],
)
def test_a_record_in_the_value_last_synced_reads_as_synced_whatever_the_config_says_now(
    base: dict[str, Any], found: RemoteRecord, expected: tuple[str | None, str | None]
) -> None:
    seen = as_synced(base, found)
    assert (seen.status_category, seen.closed_as) == expected
    assert seen.status_value == found.status_value


def test_the_base_learns_the_value_of_a_status_it_learns() -> None:
    found = sf_record("Done", "done", "done")
    assert diff_status("done", NEW, found, None).refresh == {
        **learnt("done"),
        "status_value": "Done",
    }
    assert landed({"status": NEW, "status_sent": "done"}, found) == {
        **learnt("done"),
        "status_value": "Done",
    }
