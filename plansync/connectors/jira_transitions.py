"""How a Jira issue is moved to another status: the requests a status move sends.

:class:`StatusMover` lists the transitions Jira offers an issue, takes the one that fits,
reads the issue's status when none does, walks the workflow through open statuses where no
one transition makes the move, and reads a project's workflows (once a project) to tell
whether a cancel can be held at all. Which transition it takes, where a walk goes next and how
outcomes are worded are decided by :mod:`plansync.connectors.jira_workflow`, from Jira's
answers alone.

Kept apart from :mod:`plansync.connectors.jira`, the connector, because the moves are a
protocol of their own (several requests an issue, with a state of their own: the workflows
read, under a lock, as moves run four at a time) that needs of the connector only what it
sends and reads with: its :meth:`~plansync.connectors.jira.JiraConnector._send` (the one
place that retries and counts), how it reads an answer or an issue's failure, and its browse
links. So the connector's own work (searches, bulk creates, updates, links) and the moves each
read alone, and :meth:`~plansync.connectors.jira.JiraConnector.transition_many`, which the
:class:`~plansync.connectors.base.Connector` interface names, hands every move to this.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote

import requests

from plansync.connectors.base import ClosedAs, ConnectorError, OpResult, StatusMove
from plansync.connectors.jira_answers import reading
from plansync.connectors.jira_workflow import (
    category_of,
    how_closed,
    is_named,
    next_hop,
    pick_transition,
    status_name,
    status_names,
    steps,
    walked,
    walked_error,
    way_on,
)
from plansync.words import status_word

# The most transitions a status move takes (see StatusMover._walk): Done, To Do, In
# Progress is two; three allows one status more on the way ("Selected for Development").
_MOST_TRANSITIONS = 3


class Send(Protocol):
    """How a move sends a request: :meth:`plansync.connectors.jira.JiraConnector._send`,
    which retries, counts, and returns Jira's answer whatever its status."""

    def __call__(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        resend_on_drop: bool = True,
    ) -> requests.Response: ...


class _IssueStatus(NamedTuple):
    """An issue's status as :meth:`StatusMover._read_status` reads it, with the project and
    issue type (id) whose workflow it follows."""

    name: str | None
    category: str | None
    project: str | None
    issue_type: str | None


_Workflows = dict[str, tuple[str, list[tuple[str, str | None]]]]
"""A project's workflows: per issue type id, its name and its statuses (name, category key)."""


class StatusMover:
    """The status moves of one connector, made through what it sends and reads with.

    ``send`` sends a request (:class:`Send`); ``json`` reads a successful answer's JSON (any
    other answer fails the whole call); ``item_failure`` turns a failed answer about one issue
    into its failed outcome (or raises, where it fails every call); ``browse`` makes an issue's
    browse URL. ``cancel_transition`` and ``cancelled_status_names`` are the connector's
    settings of the same names (see :class:`plansync.connectors.jira.JiraConnector`).
    """

    def __init__(
        self,
        send: Send,
        json: Callable[[requests.Response, str], Any],
        item_failure: Callable[[requests.Response, str, str], OpResult],
        browse: Callable[[str], str],
        *,
        cancel_transition: str | None,
        cancelled_status_names: Sequence[str] | None,
    ) -> None:
        self._send = send
        self._json = json
        self._item_failure = item_failure
        self._browse = browse
        self._cancel_transition = cancel_transition
        self._cancelled = (
            None if cancelled_status_names is None else status_names(cancelled_status_names)
        )
        self._cancelled_names = cancelled_status_names
        self._workflows: dict[str, _Workflows | None] = {}  # per project; None: not told
        self._workflows_lock = threading.Lock()  # moves run four at a time: one read a project

    def closed_as(self, category: str | None, status: Any) -> ClosedAs | None:
        """Whether a closed issue was cancelled or done, as these settings read its status
        (:func:`~plansync.connectors.jira_workflow.how_closed`)."""
        return how_closed(category, status, self._cancel_transition, cancelled=self._cancelled)

    def move(self, move: StatusMove) -> OpResult:
        """One move of :meth:`~plansync.connectors.jira.JiraConnector.transition_many`: two
        requests where one transition makes it."""
        key, to = move.key, move.to
        transitions = self._list_transitions(key)
        if isinstance(transitions, OpResult):
            return transitions
        what = f"listing the transitions of {key}"
        with _only_read(), reading(what):
            chosen = pick_transition(
                transitions, to, self._cancel_transition, cancelled=self._cancelled
            )
        if chosen is None:
            # Jira offers no transition into the status an issue is in: one closed in Jira
            # since the plan (by hand, or by another clone of the vault syncing the same
            # items) fits no transition, nor should a cancelled one be guessed into Done.
            status = self._read_status(key)
            if isinstance(status, OpResult):
                return status
            name, category = status.name, status.category
            if to == "reopen":
                # Open, as [ ] asks, unless it asks to leave in progress for to do itself
                there = category not in (None, "done") and (
                    category == "new" or not move.from_progress
                )
            elif to == "indeterminate":
                there = category == to
            else:  # read as fetch_by_ids reads it, so that the next plan agrees
                there = self.closed_as(category, name) == to
            if there:
                note = f"already {status_word(to)} in Jira ({name})"
                return OpResult(ok=True, key=key, url=self._browse(key), note=note)
            with _only_read(), reading(what):
                chosen = pick_transition(
                    transitions,
                    to,
                    self._cancel_transition,
                    cancelled=self._cancelled,
                    guess=not (move.from_progress or move.closed),
                )
            if chosen is None:
                if to == "cancelled" and category == "done":
                    left = self._left_done(move, status)
                    if left is not None:
                        return left
                return self._walk(move, transitions, name, category)
        failed = self._take(key, chosen)
        return failed or self._moved(move, chosen)

    def _moved(self, move: StatusMove, last: dict[str, Any], way: str | None = None) -> OpResult:
        """The outcome of ``move``, made by the transition ``last`` (``way``: how, where it
        took more than one). A cancel that ``last`` closed into a status that reads as done
        (:func:`pick_transition`'s guess, for want of a transition into a cancelled status)
        says so, and that Jira holds the issue as done (``closed_as``), which the engine keeps:
        else the next plan, reading Done, would take it for closed as done in Jira since, and
        say so at every plan after. Where ``last`` is the configured ``cancel_transition``, into a
        status the config does not call cancelled (:meth:`closed_as`), the note says that
        instead, naming both settings: no transition was wanting, the config disagrees with
        itself, and only it can change the outcome."""
        key, status = move.key, (last.get("to") or {}).get("name")
        if move.to != "cancelled" or self.closed_as(category_of(last), status) != "done":
            return OpResult(ok=True, key=key, url=self._browse(key), note=way)
        if is_named(last, self._cancel_transition):
            unlisted = (
                "which [jira] cancelled_status_names does not list"
                if self._cancelled is not None
                else "which is not named like it nor like a cancel ([jira] cancelled_status_names"
                " is not set)"
            )
            why = (
                f"closed as {status!r}: [jira] cancel_transition {last.get('name')!r} leads to"
                f" {status!r}, {unlisted}, so it reads as done"
            )
        else:
            why = (
                f"closed as {status!r}: Jira offered no transition into a cancelled status"
                f" ({self._looked_for()}), so it reads as done"
            )
        note = f"{way}; {why}" if way else why
        return OpResult(ok=True, key=key, url=self._browse(key), note=note, closed_as="done")

    def _looked_for(self) -> str:
        """What a cancel that Jira holds as done says of the cancelled status it did not find:
        the names ``[jira] cancelled_status_names`` lists, where it is set; else, as advice,
        that setting it finds one named otherwise (a fact, "it names one called otherwise",
        read as set when it was not)."""
        if self._cancelled_names is None:
            return "set [jira] cancelled_status_names if yours is named otherwise"
        listed = ", ".join(repr(name) for name in self._cancelled_names)
        return f"none named as [jira] cancelled_status_names lists: {listed}"

    def _left_done(self, move: StatusMove, status: _IssueStatus) -> OpResult | None:
        """A cancel of ``move.key``, closed as done (in ``status``), whose workflow has no
        cancelled status at all (Jira's simplified one: To Do, In Progress, Done): Jira cannot
        hold it, so the issue is left as it is, and the outcome says so (``closed_as`` "done",
        which the engine keeps), where a failure would come back at every sync with nothing to
        change but the workflow. None where the workflow has a cancelled status that no
        transition out of this one reaches (the move fails, saying so), or where Jira does not
        say what its statuses are. The workflow is read only here, once a project a run."""
        workflows = self._project_workflows(status.project)
        if workflows is None or status.issue_type not in workflows:
            return None
        issue_type, statuses = workflows[status.issue_type]
        if any(self.closed_as(category, name) == "cancelled" for name, category in statuses):
            return None
        names = ", ".join(name for name, _ in statuses)
        return OpResult(
            ok=True,
            key=move.key,
            url=self._browse(move.key),
            note=f"left in {status.name!r}: the workflow of {status.project}'s {issue_type}"
            f" issues has no cancelled status ({names}; {self._looked_for()}), so it reads as"
            " done",
            closed_as="done",
        )

    def _project_workflows(self, project: str | None) -> _Workflows | None:
        """``project``'s statuses per issue type (``GET project/{key}/statuses``), read once a
        project (under a lock: moves run four at a time), or None where Jira does not say (no
        project, or one this user may not see). The ``jira`` library's
        ``issue_types_for_project`` reads the same, but past the connector's ``_send``:
        uncounted, and retried by the library's rules, which are switched off (see
        :mod:`plansync.connectors.jira`)."""
        if not project:
            return None
        with self._workflows_lock:
            if project not in self._workflows:
                self._workflows[project] = self._read_workflows(project)
            return self._workflows[project]

    def _read_workflows(self, project: str) -> _Workflows | None:
        """One read of :meth:`_project_workflows`: a refusal to show the project (403, 404)
        is None, any other failure the call's, as for every read."""
        what = f"reading the statuses of project {project}"
        with _only_read():
            path = f"project/{quote(project, safe='')}/statuses"
            response = self._send("GET", path, what=what)
            denied = "X-Authentication-Denied-Reason" in response.headers
            if response.status_code in (403, 404) and not denied:
                return None
            answer = self._json(response, what)
            with reading(what):
                return {
                    str(kind["id"]): (
                        str(kind.get("name")),
                        [
                            (str(s.get("name")), (s.get("statusCategory") or {}).get("key"))
                            for s in kind.get("statuses") or []
                        ],
                    )
                    for kind in answer
                }

    def _walk(
        self,
        move: StatusMove,
        transitions: list[dict[str, Any]],
        status: str | None,
        category: str | None,
    ) -> OpResult:
        """Move ``move.key``, in ``status`` (of ``category``), where no one transition of
        ``transitions`` (those out of it) takes it: through up to ``_MOST_TRANSITIONS - 1``
        open statuses, listing the transitions anew after each, as Jira lists only those out
        of the status an issue is in (the whole workflow is for administrators to read).

        Walked forward only, as issues move through Jira's categories (:func:`way_on`):
        never through a closed status (that would resolve the issue, and tell watchers so, on
        the way to reopening it), never from one closed status to another (a reopen that then
        found no way to the other would leave a closed issue open, and only reopening tells
        whether the workflow has the other at all: one with Done alone would be reopened and
        closed again at every sync), never back to To Do
        through another status in progress. Nor for a configured ``cancel_transition`` from a
        status that has other transitions into done: it is misspelt, most likely, and the
        walk would move every issue cancelled on its way to finding none. Each hop is the
        first open transition of the best category, into a status not passed yet; a fitting
        transition ends the walk at once, so the shortest way Jira shows is taken (it cannot
        look further ahead). Where the walk ends before the move is made (no way on, a
        transition refused, a request failed), the issue is where it left it, and the
        outcome, or the failure, says where and how it got there: the next plan reads its
        status and goes on from there.
        """
        key, to, what = move.key, move.to, f"listing the transitions of {move.key}"
        here, here_category = status, category
        taken: list[dict[str, Any]] = []
        passed = {status_name(status)}
        if to == "cancelled" and self._cancel_transition:
            with _only_read(), reading(what):
                closes = any(category_of(t) == "done" for t in transitions)
            if closes:
                return self._unfit(move, transitions, status)
        try:
            while True:
                with _only_read(), reading(what):
                    hop = next_hop(transitions, way_on(here_category, to), passed)
                if hop is None or len(taken) == _MOST_TRANSITIONS - 1:
                    break
                failed = self._take(key, hop)
                if failed is not None:
                    return walked(failed, key, status, taken)
                taken.append(hop)
                here, here_category = (hop.get("to") or {}).get("name"), category_of(hop)
                passed.add(status_name(here))
                listed = self._list_transitions(key)
                if isinstance(listed, OpResult):
                    return walked(listed, key, status, taken)
                transitions = listed
                with (
                    _only_read(),
                    reading(what),
                ):  # open now, so not cancelled already: a guess is safe
                    chosen = pick_transition(
                        transitions,
                        to,
                        self._cancel_transition,
                        cancelled=self._cancelled,
                        guess=True,
                    )
                if chosen is not None:
                    failed = self._take(key, chosen)
                    if failed is not None:
                        return walked(failed, key, status, taken)
                    way = f"moved in {len(taken) + 1} transitions: {steps([*taken, chosen])}"
                    return self._moved(move, chosen, way)
        except ConnectorError as exc:
            if not taken:
                raise
            raise walked_error(exc, key, status, taken) from None
        bounded = bool(taken) and hop is not None
        return self._unfit(move, transitions, here, status, taken, bounded=bounded)

    def _list_transitions(self, key: str) -> list[dict[str, Any]] | OpResult:
        """The transitions Jira offers ``key`` now (out of the status it is in), or the failed
        outcome of asking."""
        what = f"listing the transitions of {key}"
        with _only_read():
            response = self._send("GET", f"issue/{quote(key, safe='')}/transitions", what=what)
            if not response.ok:
                return self._item_failure(response, key, what)
            answer = self._json(response, what)
            with reading(what):
                return list(answer.get("transitions", []))

    def _take(self, key: str, transition: dict[str, Any]) -> OpResult | None:
        """Move ``key`` through ``transition``: None once done, else the failed outcome."""
        what = f"transitioning {key} through {transition.get('name')!r}"
        response = self._send(
            "POST",
            f"issue/{quote(key, safe='')}/transitions",
            body={"transition": {"id": transition["id"]}},
            what=what,
            resend_on_drop=False,
        )
        if not response.ok:
            return self._item_failure(response, key, what)
        return None

    def _read_status(self, key: str) -> _IssueStatus | OpResult:
        """``key``'s status (name, category key) and whose workflow it follows (project, issue
        type), or the failed outcome of reading it. Asked only when no transition fits a move,
        so that one that fits costs no request."""
        what = f"reading the status of {key}"
        path = f"issue/{quote(key, safe='')}"
        params = {"fields": "status,project,issuetype"}
        with _only_read():
            response = self._send("GET", path, params=params, what=what)
            if not response.ok:
                return self._item_failure(response, key, what)
            answer = self._json(response, what)
            with reading(what):
                fields = answer.get("fields") or {}
                status = fields.get("status") or {}
                kind = (fields.get("issuetype") or {}).get("id")
                return _IssueStatus(
                    status.get("name"),
                    (status.get("statusCategory") or {}).get("key"),
                    (fields.get("project") or {}).get("key"),
                    None if kind is None else str(kind),
                )

    def _unfit(
        self,
        move: StatusMove,
        transitions: list[dict[str, Any]],
        status: str | None,
        start: str | None = None,
        taken: Sequence[dict[str, Any]] = (),
        *,
        bounded: bool = False,
    ) -> OpResult:
        """The failed ``move``, of an issue in ``status``, that no transition fits: what there
        is, and that the issue stays there, or how a walk that found no way on (or reached the
        bound: ``bounded``) got it there from ``start``. Back from in progress, it asks for to
        do, said in the plan's word ("open", as its ``"in progress" -> "open"``) and how
        ("open" alone would read as if the issue, open in progress, were not). Between done
        and cancelled (``closed``), it says why the reopen Jira offers was not taken."""
        key, to = move.key, move.to
        word = status_word(to)
        if move.from_progress:
            word = f"{word!r} out of in progress, into a status to do"
        else:
            word = repr(word)
        configured = (
            f": none is named {self._cancel_transition!r} ([jira] cancel_transition)"
            if to == "cancelled" and self._cancel_transition
            else ""
        )
        where = f"moved there from {start!r} by {steps(taken)}" if taken else "and stays there"
        bound = f"; a move takes at most {_MOST_TRANSITIONS} transitions" if bounded else ""
        if move.closed:
            other = "done" if to == "cancelled" else "cancelled"
            bound = (
                f"; a closed issue is not reopened to be closed as {to}: move it in Jira (the"
                f" next plan takes it as synced), or mark the line {other} again"
            )
        return OpResult(
            ok=False,
            key=key,
            url=self._browse(key),
            error=f"no transition of {key} fits {word}{configured} (it is in"
            f" {status!r}, {where}; available: {steps(transitions) or 'none'}){bound}",
        )


@contextmanager
def _only_read() -> Iterator[None]:
    """A transition's reads before it moves anything (the transitions listed, the status
    read, the one picked): a whole call failing there (a dropped connection, a login page)
    changed nothing, which the engine then says, rather than that the move may be made. Those
    after a hop of a walk are said as the walk's (:func:`walked_error`): it moved the issue."""
    try:
        yield
    except ConnectorError as exc:
        exc.read_only = True
        raise
