"""Apply's status moves: each record is moved to the status its line says, the move asked
stored before the call (a transition whose answer is lost is not sent again: the next plan,
seeing the record got there, takes it as synced)."""

from __future__ import annotations

from functools import partial

from plansync.connectors.base import StatusMove
from plansync.engine.changes import Change
from plansync.engine.diff import learnt_status
from plansync.engine.steps.answers import settle, settle_each
from plansync.engine.steps.run import Run
from plansync.progress import reported_batches
from plansync.rules import CLOSED
from plansync.words import IN_PROGRESS


def send_transitions(run: Run, target: str, changes: list[Change]) -> None:
    """Move the records of ``changes`` in ``target``, a batch at a time."""
    connector = run.connectors[target]
    ready = [(c, key) for c in changes if (key := run.key_unless_blocked(c))]
    for batch in reported_batches(
        run.progress, f"transition in {target}", ready, run.batch_size(target)
    ):
        moves = [_move(change, key) for change, key in batch]
        # A transition is not resent when its answer is lost; what was asked is kept so
        # that the next plan, seeing the record got there, takes it as synced. Committed
        # before the call, the batch's in one: a kill before that commit sent nothing.
        with run.state.together():
            for (change, _), move in zip(batch, moves, strict=True):
                run.merge_base(change, {"status_sent": _status_of(move)})
            run.checkpoint("moves_stored")
        settle_each(
            run,
            target,
            [(change, move) for (change, _), move in zip(batch, moves, strict=True)],
            partial(connector.transition_many, moves),
            lambda sent, outcome: settle(
                run,
                sent[0],
                outcome,
                {
                    **learnt_status(_status_of(sent[1]), outcome.status_value),
                    "closed_as": outcome.closed_as,
                },
            ),
        )


def _move(change: Change, key: str) -> StatusMove:
    """The move a transition change asks for; ``closed`` when the plan saw the record closed
    as the other of done and cancelled (its ``old``), so that a workflow with one closed
    status lets it stay there, and ``from_progress`` for a reopen of one it saw in progress,
    which only to do satisfies (see :class:`StatusMove`)."""
    status = change.fields["status"]
    closed = status["old"] in CLOSED and status["new"] in CLOSED
    from_progress = status["old"] == IN_PROGRESS and status["new"] == "reopen"
    return StatusMove(
        key, status["new"], change.sobject, closed=closed, from_progress=from_progress
    )


def _status_of(move: StatusMove) -> str:
    """The status category a record is in once ``move`` is made (a reopened one is new)."""
    return "new" if move.to == "reopen" else move.to
