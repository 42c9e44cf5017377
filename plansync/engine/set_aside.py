"""The records of a backend the config names no more (its ``[salesforce]`` table removed, or
left out beside a real Jira for want of an instance URL: :attr:`Config.left_out`): what a plan
says of them, and which lines still link to them.

Apart from identity (:mod:`.identity`, which reads these records so that their links stay
keys) because none of it decides which item a line is: it tells a person that such records are
left alone and how to sync or ``forget`` them (:func:`~plansync.engine.forget.set_aside`, which
uses :func:`lines_linking` too)."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from plansync.config import BACKEND_TITLES, URL_SETTINGS
from plansync.display import counted, first_few
from plansync.engine.changes import Backend
from plansync.engine.context import PlanContext
from plansync.engine.state import SyncedRecord
from plansync.notes.model import Note
from plansync.rules import SalesforceRouting


class SetAsideWarnings:
    """Says, once a backend, what becomes of the records of a backend the config names no more
    (:meth:`removed`, :meth:`left_out`), into the context's ``plan``. ``notes_proper``: the
    notes but sync tools' conflict copies, whose items are the vault's."""

    def __init__(self, context: PlanContext, *, notes_proper: list[Note]):
        self.config = context.config
        self.vault = context.vault
        self.plan = context.plan
        self._notes_proper = notes_proper

    def removed(self, backend: Backend, records: dict[tuple[str, str], SyncedRecord]) -> None:
        """Say once in the plan that the ``records`` of ``backend``, whose table the config no
        longer has, are left alone, their links still keys, and how to sync or forget them."""
        title = BACKEND_TITLES[backend]
        keys = sorted(record.key for record in records.values())
        linked = lines_linking(self.vault.notes, backend, keys)
        self.plan.warn(
            f"the state store holds {counted(len(keys), f'{title} record')}"
            f" ({first_few(keys, 3)}), and the config names no"
            f" {title} any more: left alone (nothing is sent to {title}, and none is"
            f" cancelled), their links in the notes still read as keys; put the"
            f" [{backend}] table back to sync them again, or"
            f" {self._forget_hint(backend, linked)}",
            also=linked,
        )

    def _forget_hint(self, backend: Backend, linked: list[tuple[str, int]]) -> str:
        """How to stop tracking the records of a backend no plan syncs, for its warning to say
        (nothing else silences it): the command, and the lines that must lose their links
        first (``linked``, :func:`lines_linking`; they are its ``also``)."""
        forget = f"`{self.config.caller.command('forget', backend=backend)}` stops tracking them"
        if linked:
            forget += (
                f" once no line links to them ({counted(len(linked), 'line')} still"
                f" {'does' if len(linked) == 1 else 'do'}: {first_few(places(linked), 3)})"
            )
        return forget

    def left_out(self, backend: Backend, records: dict[tuple[str, str], SyncedRecord]) -> None:
        """Say once in the plan that the items a backend's rules take are not sent to it, as
        the config names no URL for it beside a real Jira (:attr:`Config.left_out`), and which
        setting to give: a sandbox's links in notes synced with a real Jira were said on stderr
        only. Its records (a trial's) are left alone, as those of a table removed. The items'
        lines, which it names the first few of, and those still linking to the records are its
        ``also``."""
        routing = SalesforceRouting()
        lines = [
            (note.path, item.line)
            for note in self._notes_proper
            for item in note.items
            if item.accepted and routing.rule_for(self.config, item) is not None
        ]
        if not lines and not records:
            return
        title = BACKEND_TITLES[backend]
        setting, variable = URL_SETTINGS[backend]
        empty = (
            f"'{setting}' is empty (the starter config reads it from {variable}) while Jira is"
            " a real site"
        )
        if lines:
            go = "goes" if len(lines) == 1 else "go"
            named = first_few(places(lines), 3)
            said = (
                f"{counted(len(lines), 'item')} ({named}) {go} to {title} by its"
                f" rules, but {empty}: not sent to {title}'s embedded sandbox, whose links would"
                " go into the notes beside real Jira keys"
            )
        else:
            said = f"{empty}: nothing is sent to {title}"
        if records:
            said += (
                f"; the {counted(len(records), f'{title} record')} the state store holds (a"
                " trial's) are left alone, their links in the notes still read as keys"
            )
        said += (
            f"; set '{setting}' to sync to {title}, or remove the [{backend}] table to sync to"
            " Jira alone"
        )
        linked: list[tuple[str, int]] = []
        if records:
            keys = sorted(record.key for record in records.values())
            linked = lines_linking(self.vault.notes, backend, keys)
            said += f"; {self._forget_hint(backend, linked)}"
        self.plan.warn(said, also=sorted({*lines, *linked}))


def lines_linking(
    notes: Iterable[Note], backend: str, keys: Collection[str]
) -> list[tuple[str, int]]:
    """The lines of ``notes`` (note, line) whose key link to ``backend`` names one of
    ``keys``: where records of a backend the config names no more are still read as keys
    (:meth:`.Identifier._keyed`). Forgotten, such a link would be read as the item's text, its
    label taken into the Jira summary, so ``forget`` waits for the lines to lose them."""
    wanted = set(keys)
    return [
        (note.path, item.line)
        for note in notes
        for item in note.items
        if item.keys.get(backend) in wanted
    ]


def places(lines: Iterable[tuple[str, int]]) -> list[str]:
    """``lines`` (note, line) as a plan names them: ``note.md:12``."""
    return [f"{note}:{line}" for note, line in lines]
