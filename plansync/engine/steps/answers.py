"""How apply settles what a backend answered for each change of a batch call: done, refused
with the backend's words, or failed with a call that failed as a whole, saying whether the
backend may have carried it out all the same. Shared by every step that sends: creates, links,
updates and transitions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from plansync.config import BACKEND_TITLES
from plansync.connectors.base import ConnectorError, OpResult
from plansync.display import toml_string
from plansync.engine.changes import Change
from plansync.engine.steps.run import Run

_Sent = TypeVar("_Sent", bound=tuple[Any, ...])
"""A change of a batch call, first, with what was sent for it."""
_NEXT_PLAN_SHOWS = "the next plan shows whether it was done"
"""What becomes of an update, link or transition that failed where the backend may have carried
it out all the same: it is planned again unless the backend shows it done."""


def failed_with_call(title: str, exc: ConnectorError, made_nothing: bool, action: str) -> str:
    """What became of one change (its ``action``) of a call that failed as a whole (``exc``),
    in its outcome: not done, or sent with no answer that says whether it was. A create is
    never made twice (the next sync looks its id up before creating); an update, link or
    transition is planned again by the next plan unless the backend shows it done."""
    create = action == "create"
    if made_nothing:
        if exc.unsent:
            return f"not sent: no connection to {title} could be made (see the errors)"
        if exc.read_only:
            return f"not sent: {title} failed the call before it was sent (see the errors)"
        done = "made" if create else "done"
        return f"not {done}: {title} refused the call that carried it (see the errors)"
    after = "the next sync finds it by its id" if create else _NEXT_PLAN_SHOWS
    if exc.acted:  # the call's earlier requests were carried out: this one's may have been
        made = "if it was made, " if create else ""
        return f"maybe sent: {title} failed the call part way through — {made}{after}"
    if exc.kind == "network":
        return f"sent; the answer was lost — {after}"
    answer = (
        f"{title} answered {exc.status}"
        if exc.status is not None and exc.kind != "unexpected"
        else f"{title}'s answer could not be read"
    )
    made = "if it was made all the same, " if create else ""
    return f"sent; {answer} — {made}{after}"


def carried(exc: ConnectorError, count: int) -> Iterator[tuple[int, OpResult | None]]:
    """Of the ``count`` items of a call that failed as a whole (``exc``), those it sent: each
    one's position, with its answer where the call was answered for it before it failed, else
    None (it failed with the call). Those it never sent are left out: not attempted."""
    for index in range(count):
        answered = exc.finished[index] if index < len(exc.finished) else None
        if answered is not None or index not in exc.never_sent:
            yield index, answered


def settle_each(
    run: Run,
    target: str,
    batch: list[_Sent],
    send: Callable[[], list[OpResult]],
    settle: Callable[[_Sent, OpResult], None],
) -> None:
    """Settle each of ``batch`` (each a change, and what was sent for it) by the result
    ``send`` gives for it. Where the call fails as a whole, each whose request was answered
    before (:attr:`ConnectorError.finished`) is settled all the same: it is done in the
    backend, and "not sent" would report a transition done in Jira as not done. Each the call
    carried but got no answer for fails with it, saying whether it may be done (a link
    throttled past the retries, an update refused with a 401): it is the step that failed,
    not one behind it. Only those the call never
    sent (:attr:`ConnectorError.never_sent`) are left not attempted.

    What the batch's answers say is stored in one commit of the state store, not one an
    item (an ``fsync`` each: the links and transitions of a first sync of 3,000 notes would
    make ~24,500). A kill before it loses nothing the next run does not learn again: each of
    these steps is idempotent, and what a transition asks is stored before it is sent, so
    the next plan, seeing the record there, takes it as synced."""
    try:
        results = send()
    except ConnectorError as exc:
        made_nothing = exc.made_nothing
        title = BACKEND_TITLES.get(target, target)
        with run.state.together():  # left before the raise, which would roll it back
            for index, answered in carried(exc, len(batch)):
                if answered is not None:
                    settle(batch[index], answered)
                    continue
                change: Change = batch[index][0]
                why = failed_with_call(title, exc, made_nothing, change.action)
                run.fail(change, why, whole_call=True, maybe_done=not made_nothing)
        raise
    with run.state.together():
        for item, outcome in zip(batch, results, strict=True):
            settle(item, outcome)
        run.checkpoint("results_stored")


def settle(run: Run, change: Change, outcome: OpResult, base_update: dict[str, Any]) -> None:
    """Store what ``outcome`` says of ``change``: done, or failed with the backend's words.
    A failure the backend may have carried out all the same (a 5xx to its write, a lost
    answer: :attr:`OpResult.maybe_done`) is ``maybe_done`` and says what comes of it, as
    one a whole call carried does: else a 500 to one update would be said to have done
    nothing, which README says a 5xx may not have."""
    if outcome.ok:
        run.merge_base(change, base_update)
        run.done(change, message=outcome.note, closed_as=outcome.closed_as)
        if outcome.closed_as is not None:  # kept in the base: no later plan says it again
            item = change.item
            run.result.warn(
                f"{outcome.note}; taken as synced until the line or the record changes",
                item.note,
                None if item.unread else item.line,
                run.record_key(change),
            )
    elif outcome.maybe_done:
        why = f"{(outcome.error or 'failed').rstrip('.')} — {_NEXT_PLAN_SHOWS}"
        run.fail(change, why, maybe_done=True)
    else:
        run.fail(change, f"{outcome.error or 'refused'}{users_entry(run, change, outcome)}")


def users_entry(run: Run, change: Change, outcome: OpResult) -> str:
    """The ``[users]`` entry whose id the backend refused in a field of ``change`` (a Data
    Center user name mistyped, an accountId of another site), said after its words: "User
    'thagay' does not exist." alone names the note's line, and not the entry to correct,
    which the line does not show. "" where no refused field holds such an id."""
    target = change.target
    for name in outcome.details:
        sent = change.fields.get(name)
        if change.action == "update" and isinstance(sent, dict):
            sent = sent.get("new")
        if not isinstance(sent, str) or not sent:
            continue
        for who, user in run.config.users.items():
            if getattr(user, target, None) == sent:
                return (
                    f"; its {name} is [users] {toml_string(who)} ="
                    f" {{ {target} = {toml_string(sent)} }} in the config"
                )
    return ""
