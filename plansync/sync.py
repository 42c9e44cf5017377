"""The library's front door: ``plan(config)``, ``apply(config, plan)`` and ``forget(config)``.

Each one runs the pieces in order: the state store is opened (read-only for a plan, under the
run lock for a sync or a forget) and refused if it serves another vault; a sandbox the run may
not use is refused (:mod:`plansync.sandbox_choice`) before the connectors are made
(:mod:`plansync.connect`) and the planner's view of them
(:func:`~plansync.engine.targets.targets_of`); the vault is scanned (:func:`scan`); then the
engine plans (:class:`~plansync.engine.plan.Planner`), syncs
(:func:`~plansync.engine.apply.apply_plan`, the list of a sync's warnings kept by
:mod:`plansync.engine.sync_warnings`) or forgets (:mod:`plansync.engine.forget`). What is
decided here is the run's alone: what a caller is shown and asked, and when; the CLI
(:mod:`plansync.cli`) calls these functions as any program does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import overload

from plansync.config import Config
from plansync.connect import connections
from plansync.connectors.base import Connector
from plansync.engine.apply import Checkpoint, apply_plan
from plansync.engine.changes import Change, Plan, PlanWarning
from plansync.engine.forget import orphans_named, set_aside
from plansync.engine.plan import Planner
from plansync.engine.result import Result
from plansync.engine.run_lock import open_state, running_sync
from plansync.engine.state import StateStore
from plansync.engine.sync_warnings import SyncWarningsFile
from plansync.engine.targets import TargetSpec, targets_of
from plansync.errors import ConfigError, wrong_type
from plansync.notes.model import ParseWarning
from plansync.notes.vault import GlobsNamed, Vault, cyclic_gc_paused, printable, read_vault
from plansync.progress import Progress, silent
from plansync.sandbox_choice import (
    refuse_sandbox_over_real,
    refuse_unchosen_sandbox,
    sandbox_notice,
    served_embedded,
)
from plansync.sites import EMBEDDED


def scan(config: Config, progress: Progress = silent) -> Vault:
    """The notes of the vault; ConfigError when ``vault.path`` names no folder (a typo, a drive
    not mounted), which would otherwise read as every synced note being gone.

    A note whose file name is not UTF-8 is left out with a warning: its path could not go
    into a link, a record, the state store or the plan. A vault in which the globs take no
    note at all is a warning too (:func:`read_vault`'s, as for :func:`scan_vault`, naming the
    config's keys): ``include = ["*.MD"]`` or a folder of ``.markdown`` files would otherwise
    plan as "No changes. The notes and their records are in sync."
    """
    root = config.vault_root
    if not root.is_dir():
        raise ConfigError(
            f"{config.where}: 'vault.path' = {config.vault.path!r}: {root} is not a folder",
            source=config.source,
            key="vault.path",
        )
    # The vault as the config's other messages name it: the folder it resolves to is not
    # what the user wrote, and would leave the key to edit unsaid.
    where = f"in 'vault.path' = {config.vault.path!r}"
    named = GlobsNamed(config.where, where, "'vault.include'", "'vault.exclude'")
    vault = read_vault(
        root,
        config.vault.include,
        config.vault.exclude,
        named,
        policy=config.acceptance,
        progress=progress,
    )
    # A temporary file of write-back's whose path is not UTF-8 is beside a note left out for
    # its name or its folder's, which this config never writes: not this config's to remove.
    vault.write_temps = [path for path in vault.write_temps if printable(path) == path]
    for note in [n for n in vault.notes if printable(n.path) != n.path]:
        vault.notes.remove(note)
        vault.warnings.append(
            ParseWarning(
                path=printable(note.path),
                message="the file name is not UTF-8; rename the note to sync its items",
            )
        )
    return vault


def _bind_state(state: StateStore, specs: list[TargetSpec]) -> None:
    """Show the run only the records of its kind of backend, and the journal entries of its
    backend (see ``StateStore.bind``)."""
    for spec in specs:
        if spec.local is not None:
            state.bind(spec.name, spec.local, spec.site)


@contextmanager
def _connected(
    config: Config,
    state: StateStore,
    jira: Connector | None,
    salesforce: Connector | None,
    *,
    persist: bool = True,
) -> Iterator[tuple[dict[str, Connector], list[TargetSpec]]]:
    """The connectors and targets of a run, its state store bound to their backends (a run
    that would put a sandbox over records synced with a real backend, or a config made in
    code on a sandbox it did not choose, is refused first)."""
    embedded = served_embedded(config, jira, salesforce)
    refuse_unchosen_sandbox(config, embedded)
    refuse_sandbox_over_real(config, state, embedded)
    with connections(config, jira, salesforce, persist=persist) as conns:
        specs = targets_of(conns, config)
        _bind_state(state, specs)
        yield conns, specs


def _check_config(call: str, config: object) -> None:
    """Refuse what is not a Config at the call: a path given for one (``plan("plansync.toml")``)
    failed as "'str' object has no attribute 'state_dir'", from deep inside."""
    if not isinstance(config, Config):
        raise wrong_type(
            f"plansync.{call}()", "a Config", config, "make one with plansync.load_config(path)"
        )


def _refuse_store_of_another_vault(config: Config, state: StateStore) -> list[str]:
    """Refuse a state store that serves another vault than ``config``'s: two configs in one
    folder (two files, or two made in code in one working folder) share its ``.plansync``,
    and each one's plan would take the other vault's records for orphans, which a sync would
    cancel and the other's sync then want back, at every run. A vault whose folder is gone was
    moved, not another: this run takes ``config``'s for it (a notice for its plan), and a
    write records it (:meth:`StateStore.serve`), as it records the vault of a store that
    had none."""
    served = state.vault()
    # A vault path that is no folder is a mistake of the config, which the scan names by key.
    if served is None or not config.vault_root.is_dir() or state.serves(config.vault_root):
        return []
    if served.exists():
        raise ConfigError(
            f"the state store {state.path} serves the vault {served}, and"
            f" {config.described} has another: one state store serves one vault (the other"
            " vault's records would be this one's orphans);"
            f" {config.caller.own_stores(in_code=config.source is None)}",
            source=config.source,
        )
    return [
        f"the state store {state.path} served the vault {served}, which is not there any more:"
        f" this run takes {config.vault_root} for it, moved (a sync records it)"
    ]


def _build(
    config: Config,
    state: StateStore,
    specs: list[TargetSpec],
    progress: Progress,
    notices: list[str],
) -> Plan:
    """The plan, with ``notices`` (:func:`_refuse_store_of_another_vault`'s) first among its
    warnings, and before them the notice of the backends served from the embedded sandbox
    (:func:`~plansync.sandbox_choice.sandbox_notice`): said by the plan, every caller reads
    it, the library's and ``plan --json``'s too."""
    # The plan's objects live as long as the vault's, and a plan of a large vault makes as
    # many: the collector's full passes over them find nothing to free in a plan of 40,000
    # items, and take 7 of its 23 s.
    config.check_routes()  # a Config built in code is not checked as a file's is
    with cyclic_gc_paused():
        made = Planner(config, scan(config, progress), state, specs, progress=progress).build()
    made.add_warnings([PlanWarning(message=notice) for notice in notices], first=True)
    sandbox = sandbox_notice(config, {spec.name for spec in specs if spec.site == EMBEDDED})
    if sandbox is not None:
        made.add_notices([PlanWarning(message=sandbox)], first=True)
    return made


def plan(
    config: Config,
    *,
    connector: Connector | None = None,
    salesforce: Connector | None = None,
    progress: Progress = silent,
) -> Plan:
    """What a sync would do now. Reads notes, state and the backends; writes nothing.

    ``connector`` (Jira) and ``salesforce`` replace the connectors the config would make;
    ``progress`` (:data:`plansync.Progress`) hears how far the reading and the look-ups of a
    large vault got, as ``progress(step, done, total)`` (the steps: :mod:`plansync.progress`).
    """
    _check_config("plan", config)
    with open_state(config.state_dir, lock=False) as state:
        notices = _refuse_store_of_another_vault(config, state)
        running = running_sync(config.state_dir)
        with _connected(config, state, connector, salesforce, persist=False) as (_, specs):
            result = _build(config, state, specs, progress, notices)
        running = running or running_sync(config.state_dir)
        if running:
            result.warn(
                f"a sync is running ({running}): this plan shows its work half done;"
                f" {config.caller.do('plan')} again when it has finished"
            )
        return result


@overload
def apply(
    config: Config,
    plan: Plan | None = None,
    *,
    connector: Connector | None = None,
    salesforce: Connector | None = None,
    checkpoint: Checkpoint | None = None,
    progress: Progress = silent,
    show: Callable[[Plan], None] | None = None,
    confirm: None = None,
    asks: bool = True,
    wait: float = 0,
    finish: Callable[[Result], None] | None = None,
) -> Result: ...


@overload
def apply(
    config: Config,
    plan: Plan | None = None,
    *,
    connector: Connector | None = None,
    salesforce: Connector | None = None,
    checkpoint: Checkpoint | None = None,
    progress: Progress = silent,
    show: Callable[[Plan], None] | None = None,
    confirm: Callable[[Plan], bool],
    asks: bool = True,
    wait: float = 0,
    finish: Callable[[Result], None] | None = None,
) -> Result | None: ...


# Without ``confirm`` a run always has a result, and a caller's type checker must know it:
# ``plansync.apply(config, plan).errors`` is what the README shows.
def apply(
    config: Config,
    plan: Plan | None = None,
    *,
    connector: Connector | None = None,
    salesforce: Connector | None = None,
    checkpoint: Checkpoint | None = None,
    progress: Progress = silent,
    show: Callable[[Plan], None] | None = None,
    confirm: Callable[[Plan], bool] | None = None,
    asks: bool = True,
    wait: float = 0,
    finish: Callable[[Result], None] | None = None,
) -> Result | None:
    """Carry out ``plan`` (refused if stale; a note changed since it was made has its changes
    left for the next sync), or plan and apply in one locked run.

    The lock is taken first, so a second run is refused before it plans or asks anything;
    ``show`` sees the plan it carries out, changes or none, before anything is asked or done
    (``plansync sync`` prints it there). ``confirm`` is asked of a plan with changes, and may
    decline: the result is then None, and only then. A plan with none is not put to it: the
    run does only its housekeeping (:attr:`Plan.has_housekeeping`: the state store learns what
    both sides agree on, a killed sync's temporary files go), if it has any, and returns its
    Result, nothing applied. A ``confirm`` that sensibly said no to an empty plan would skip
    that housekeeping at every run, and a None for a plan with nothing to do would lose its
    warnings for a caller that passed only ``confirm``.
    ``asks`` False says that ``confirm`` answers at once, waiting for no one (``sync --yes``
    only shows the plan), so the plan's look-ups still stand for the look-up before creating.
    ``wait``: how many seconds to wait for another run's lock before :class:`StateLocked`.
    ``progress`` (:data:`plansync.Progress`) hears how far each long step got, as
    ``progress(step, done, total)`` (the steps: :mod:`plansync.progress`); ``checkpoint``
    (:data:`plansync.Checkpoint`) is called with the name of each stage done. ``finish``
    sees the result before the lock is released: what it keeps of this run cannot be replaced
    by a run that started after this one and ended before. So is every sync's list of its
    warnings (one with nothing to do too) kept in the state folder
    (:mod:`plansync.engine.sync_warnings`), whose report counts some of a kind; one that could
    not be kept is one more warning of the result.

    A plan made here that no caller saw (no ``show``, and ``confirm`` not asked) has its
    warnings (not its notices) first in the result's ``warnings``: a caller that passes a
    plan, or a ``show`` or a ``confirm`` that sees it, has read them there.
    """
    _check_config("apply", config)
    if plan is not None and not isinstance(plan, Plan):
        raise wrong_type(
            "plansync.apply()",
            "a Plan (or None) as plan",
            plan,
            "read a saved one with plansync.Plan.load(path)",
        )
    with open_state(config.state_dir, wait=wait, caller=config.caller) as state:
        notices = _refuse_store_of_another_vault(config, state)
        with _connected(config, state, connector, salesforce) as (conns, specs):
            current = plan if plan is not None else _build(config, state, specs, progress, notices)
            if show is not None:
                show(current)
            asked = confirm is not None and current.has_changes
            if confirm is not None and asked and not confirm(current):
                return None  # declined: the only run with no result
            if confirm is not None and not asked and not current.has_housekeeping:
                result = Result()  # nothing to do: nothing is applied, nor the vault served
            else:
                # The plan's look-ups stand in for the look-up before creating only if nothing
                # came between them and the creates: an answer may come an hour later, after a
                # teammate's sync (another state store) created records for the same ids.
                fresh = plan is None and (confirm is None or not asks)
                state.serve(config.vault_root)
                result = apply_plan(
                    config,
                    current,
                    state,
                    conns,
                    checkpoint=checkpoint,
                    fresh=fresh,
                    planned_here=plan is None,
                    progress=progress,
                )
            if plan is None and show is None and not asked:
                # A plan no caller saw: its warnings (a note whose front matter cannot be
                # read, whose items are shown as conflicts, never acted on) would be said
                # nowhere.
                # Not its notices, which every run repeats, as `sync --quiet` leaves them out.
                every_run = set(current.notice_details)
                result.add_plan_warnings([w for w in current.warning_details if w not in every_run])
            SyncWarningsFile.of(config.state_dir).keep(result)
            if finish is not None:
                finish(result)
            return result


def forget(
    config: Config,
    names: Sequence[str] | None = None,
    *,
    backend: str | None = None,
    connector: Connector | None = None,
    salesforce: Connector | None = None,
    confirm: Callable[[list[Change]], bool] | None = None,
    progress: Progress = silent,
    wait: float = 0,
) -> list[Change]:
    """Stop tracking records no line is read as (and those of lines no rule sends to their
    system any more, once their links are off the lines); return the plan's orphans forgotten.

    ``names`` are keys or block ids of orphans the plan shows (one given as a string is one
    name; None: every orphan); one that names none is refused (:class:`NotAnOrphan`) before
    anything is forgotten. The issues and records stay as they are in the backends, which are
    reached, as by :func:`plan`. A line that comes back with its block id finds its record
    again by it and, there being no base, makes it as the line says (what was edited in the
    backend meanwhile is overwritten, as after a lost state store); one without its id is no
    longer matched to the record (a new item, or a conflict while it ends in its key link).
    Planned and forgotten under the run lock; ``confirm`` sees the orphans and may decline
    (nothing is forgotten, and the result is empty). ``wait`` as for :func:`apply`.

    With ``backend`` ("salesforce"), which the config names no more, every record of it the
    state store holds is forgotten instead (:func:`~plansync.engine.forget.set_aside`): no
    backend is reached, and only the notes are read, for lines that still link to them.
    """
    _check_config("forget", config)
    if isinstance(names, str):  # a str is a Sequence[str] too: "PLAN-1" was P, L, A, ...
        names = [names]
    if backend is not None and names is not None:
        raise ValueError("name the orphans to forget, or a backend, not both")
    with open_state(config.state_dir, wait=wait, doing="forget", caller=config.caller) as state:
        notices = _refuse_store_of_another_vault(config, state)
        if backend is not None:
            chosen = set_aside(config, backend, state, scan(config, progress).notes)
        else:
            with _connected(config, state, connector, salesforce, persist=False) as (_, specs):
                current = _build(config, state, specs, progress, notices)
            chosen = orphans_named(current, names, state, config=config)
        orphans = [change for change, _ in chosen]
        if not chosen or (confirm is not None and not confirm(orphans)):
            return []
        state.serve(config.vault_root)
        state.forget([record for _, record in chosen])
        return orphans
