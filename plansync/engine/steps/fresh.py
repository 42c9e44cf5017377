"""Whether a plan can still be applied, and which of its changes: the first step of apply,
before anything is written. A plan the state store moved on from, or made with another config,
site or backend, is refused (:class:`StalePlan`); a note changed since leaves its own changes
out and the rest go ahead."""

from __future__ import annotations

from plansync.callers import Rerun
from plansync.config import BACKEND_TITLES, Config
from plansync.display import counted, first_few
from plansync.engine.changes import SHOWN_ONLY, Change, Fingerprint, Plan
from plansync.engine.steps.run import Run
from plansync.errors import PlansyncError
from plansync.notes.model import note_digest
from plansync.notes.vault import note_file
from plansync.sites import described, same_site, site_of_connector


class StalePlan(PlansyncError):
    """The plan cannot be applied any more: the state store changed since it was made (a sync
    ran, or it was replaced), it was made with another config, site or backend, or none of its
    notes is here. A note changed since is no refusal: its changes are left out of the sync
    (``Outcome.note_changed``), and the rest applied; but for a plan saved before plansync
    said which changes stand on every note (:attr:`Fingerprint.vault_wide`).

    Every message ends with the remedy, whatever made the plan stale: it is always a new plan,
    and "plan again" alone would leave the user to guess how, which without the ``--config``
    they gave finds no config or another one. The remedy is the caller's to say, as only it
    knows how the plan came to be (a file ``sync`` was given, a plan a program kept in memory):
    the config's :attr:`~plansync.config.Config.caller` says it
    (:meth:`plansync.callers.Caller.remedy`), and ``rerun`` which kind of remedy it is, for a
    tool."""

    def __init__(self, reason: str, *, rerun: Rerun, remedy: str) -> None:
        self.reason = reason
        self.rerun: Rerun = rerun
        super().__init__(f"{reason}; {remedy}")


def check_fresh(run: Run, plan: Plan) -> dict[str, str]:
    """Refuse a plan the state moved on from, and one that cannot say; return the digest
    of each of its notes now, for :func:`leave_out_changed`.

    Every plan the planner makes carries a fingerprint; one without is not a plan made to
    be applied (``plan --json`` leaves out the fingerprint and the write-back data), and
    applying it would create records whose ids never reach the notes: the next sync would
    then create them all again. A refusal is for what no part of the plan can be applied
    after: the state store's bases and keys are not what the plan saw (a sync ran since, or
    it was replaced), or the plan is another config's, site's or backend's, or none of its
    notes is here (another vault). A note changed since is not: it is its own changes'
    matter, left out while the rest are applied.
    """
    if plan.fingerprint is None:
        raise _stale(
            run,
            "the plan says nothing of the notes and state it was made from, so it cannot"
            f" be checked or written back ({run.config.caller.plans_to_apply})",
        )
    now = note_digests(run.config, list(plan.fingerprint.notes))
    none_here = bool(now) and not any(now.values())
    made_with = plan.fingerprint.state_id
    if _made_elsewhere(run, plan.fingerprint, none_here):
        raise _stale(
            run,
            f"the plan was made for another config: {plan.fingerprint.made_for}, not"
            f" {run.config.described}",
        )
    if none_here and (made_with is None or made_with != run.state.identity()):
        # Not one of its notes is here: its only note renamed or deleted since, or a plan
        # saved before plans named their config applied with another config, which
        # nothing here tells apart unless the plan was made with this state store (then
        # this config's: said below, as for any note gone).
        raise _stale(
            run,
            f"the plan is stale: none of the notes it was made from"
            f" ({first_few(sorted(now), 5)}) is in {run.config.vault_root}: renamed, moved"
            " or deleted since, or made with another config or vault",
        )
    if made_with is not None and made_with != run.state.identity():
        raise _stale(
            run,
            f"the plan is stale: the state store {run.state.directory / 'state.db'} was"
            " deleted or replaced since it was made",
        )
    if run.state.revision() != plan.fingerprint.state_revision:
        # Before the notes: a sync that ran since (this plan's own, applied twice, or a
        # teammate's) changed them too, and "a.md changed" would blame an edit.
        raise _stale(
            run,
            "the plan is stale: a sync (or a forget) ran since it was made (this plan's"
            " own, if it was applied already)",
        )
    differ = [path for path, digest in now.items() if digest != plan.fingerprint.notes[path]]
    if differ and plan.fingerprint.vault_wide is None:
        # Saved before plans named the changes that stand on every note: which of them a
        # changed note undoes is not known. A note gone is said so: "e.md (gone) changed"
        # would read as an edit of a note that is not there to edit.
        changed = [path for path in differ if now[path]]
        gone = [path for path in differ if not now[path]]
        what = [f"{_five(changed)} changed"] if changed else []
        if gone:
            was = "was" if len(gone) == 1 else "were"
            what.append(f"{_five(gone)} {was} deleted or renamed")
        raise _stale(run, f"the plan is stale: {' and '.join(what)} since it was made")
    gone = sorted(
        {
            change.target
            for change in plan.changes
            if change.target not in ("note", *run.connectors) and change.action not in SHOWN_ONLY
        }
    )
    if gone:
        # Checked before anything is written: the other backend's creates and the ids in
        # the notes would go ahead, then the run would stop at the first of these.
        titles = " and ".join(BACKEND_TITLES.get(name, name) for name in gone)
        raise _stale(
            run,
            f"the plan has changes for {titles}, which this run's config does not name any more",
        )
    for name, site in plan.fingerprint.sites.items():
        site_now = site_of_connector(run.connectors.get(name))
        if site is not None and site_now is not None and not same_site(site, site_now):
            title = BACKEND_TITLES.get(name, name)
            raise _stale(
                run,
                f"the plan was made against {described(title, site)}, but this run uses"
                f" {described(title, site_now)}",
            )
    return now


def leave_out_changed(run: Run, plan: Plan, now: dict[str, str]) -> list[Change]:
    """The changes of ``plan`` to carry out: all but those of the items of a note that
    changed, or was deleted or renamed, since the plan was made (``now``: each note's
    digest now), and, once any note did, those of the items that stand on their id being on
    no line of any note (:attr:`Fingerprint.vault_wide`). Each left out is skipped
    (``Outcome.note_changed``), and a warning names its note.

    Planning a large vault takes its time, and a vault being written to (an editor's
    autosave, a transcription pipeline) always has a note that changed meanwhile: refusing
    the whole plan for it, a cron sync might never finish. A note's changes are planned from
    its text alone, so the other notes' stand: they are applied as they would be had the
    edit come while they were (which write-back merges). An item's changes go together: a
    link, status move, Salesforce record or key write-back follows its create or its Jira
    issue, so all of them are left out with the note's. The next sync plans them from the
    note's text then. ``refresh`` is not left out: it is what the note and the backend
    agreed on when the plan read them, the base any later edit is taken from.
    """
    assert plan.fingerprint is not None
    changed = sorted(path for path, digest in now.items() if digest != plan.fingerprint.notes[path])
    if not changed:
        return plan.changes
    vault_wide = set(plan.fingerprint.vault_wide or ())
    gone = {path for path in changed if not now[path]}

    def waits_for(change: Change) -> str | None:
        """Why ``change`` waits for the next sync, on its own; None: it need not."""
        note, block_id = change.item.note, change.item.block_id
        if change.action in SHOWN_ONLY:
            return None
        if note in changed:
            return f"its note {'was deleted or renamed' if note in gone else 'changed'} since"
        if block_id in vault_wide:
            return (
                f"it stands on ^{block_id} being on no other line of the vault, and"
                f" {first_few(changed, 3)} changed since"
            )
        return None

    # By item: one of its changes waiting, they all do (each follows its create).
    by_item: dict[str, str] = {}
    for change in plan.changes:
        if change.item.block_id and (reason := waits_for(change)):
            by_item.setdefault(change.item.block_id, reason)
    kept: list[Change] = []
    waits: set[str] = set()  # the notes of the changes left out
    aside: dict[str, Change] = {}  # block id -> a change left out as it stands on every note
    for change in plan.changes:
        block_id = change.item.block_id
        reason = by_item.get(block_id) if block_id else waits_for(change)
        if change.action in SHOWN_ONLY or reason is None:
            kept.append(change)
            continue
        run.waiting[id(change)] = f"not done: {reason} the plan was made; the next sync does it"
        if change.item.note in changed:
            waits.add(change.item.note)
        elif block_id:
            aside.setdefault(block_id, change)
    _warn_left_out(run, sorted(waits - gone), "changed")
    _warn_left_out(run, sorted(waits & gone), "deleted or renamed")
    if aside:
        named = [_named(change) for change in aside.values()]
        one = len(named) == 1
        run.result.warn(
            f"{counted(len(named), 'item')} ({first_few(named, 5)}) {'is' if one else 'are'}"
            " left for the next sync: a cancel of a deleted line's record, or a line given"
            " back its id, stands on the id being on no other line of the vault, and"
            f" {first_few(changed, 5)} changed since the plan was made"
        )
    return kept


def _warn_left_out(run: Run, notes: list[str], went: str) -> None:
    """The warning that names the ``notes`` whose changes were left out, as each ``went``
    ("changed", "deleted or renamed") since the plan was made: a line, not the vault."""
    if not notes:
        return
    if len(notes) == 1:
        was = "" if went == "changed" else "was "
        run.result.warn(
            f"{notes[0]} {was}{went} since the plan was made; its changes are left for the"
            " next sync"
        )
        return
    were = "" if went == "changed" else "were "
    run.result.warn(
        f"{len(notes)} notes {were}{went} since the plan was made; their changes are left"
        f" for the next sync: {first_few(notes, 5)}"
    )


def _made_elsewhere(run: Run, fingerprint: Fingerprint, none_here: bool) -> bool:
    """Whether a plan was made with another config (``sync --config B plan-of-A.json``,
    ``apply(B, plan(A))``): its state folder is not this config's, and there is evidence
    that the config is another, not this one moved (another checkout, another machine: the
    same vault and state store at another path, whose plan applies, or is stale for what
    changed since). The evidence is the store: the plan's is not this one (another
    identity, or none here). A plan made before its store had an identity (no sync yet)
    has only its notes to tell by: none of them is here."""
    if fingerprint.state_dir in (None, str(run.config.state_dir.resolve())):
        return False
    if fingerprint.state_id is None:
        return none_here
    return fingerprint.state_id != run.state.identity()


def _stale(run: Run, reason: str) -> StalePlan:
    """The refusal of a stale plan, ending with the caller's remedy for the run's own plan
    (``sync``) or for one it was given (``plan``). The one place every refusal gets it, so
    that none is left saying only "plan again"."""
    rerun: Rerun = "sync" if run.planned_here else "plan"
    return StalePlan(reason, rerun=rerun, remedy=run.config.caller.remedy(rerun))


def _named(change: Change) -> str:
    """How a warning names ``change``'s item: its record's key where its line is gone (an
    orphan's cancel), else its note and line."""
    item = change.item
    return f"{change.key}" if item.unread and change.key else f"{item.note}:{item.line}"


def note_digests(config: Config, paths: list[str]) -> dict[str, str]:
    """Digests of the named notes now: a note that vanished or cannot be read any more (a
    folder in its place, its permissions taken away) digests as empty, so that a plan made from
    it is stale rather than a traceback from the check."""
    root = config.vault_root
    digests = {}
    for path in paths:
        try:
            digests[path] = note_digest(note_file(root, path).read_bytes())
        except OSError:
            digests[path] = ""
    return digests


def _five(paths: list[str]) -> str:
    """The first five of ``paths``, and how many more notes: a line, not a list of the vault."""
    more = f" and {len(paths) - 5} more notes" if len(paths) > 5 else ""
    return ", ".join(paths[:5]) + more
