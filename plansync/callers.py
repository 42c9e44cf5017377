"""Whose words a message ends in: what it tells its reader to run next is the caller's to say.

A refusal or a warning ends with what to do ("`plansync plan` shows it anew", "run `plansync
sync` again"), but which words are right depends on who called, not on the message: a person
at the command line pastes a command, with the ``--config`` they gave (without it, the command
finds no config or another one); a program calling the library calls a function, and a command
sent it to a command line it never used, with options it never had. So every config carries
its caller (:attr:`plansync.config.Config.caller`), the library's (:class:`Caller`) unless the
command line gives its own (:class:`CommandLine`), and every such message asks it.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

Verb = Literal["sync", "plan", "forget"]
"""What a message may tell its reader to do again: the command line's commands, which are the
library's :func:`~plansync.apply`, :func:`~plansync.plan` and :func:`~plansync.forget`."""

Rerun = Literal["sync", "plan"]
"""How a stale plan is made anew: ``sync`` when the plan was the run's own (a new run plans
again), ``plan`` for one it was given (a new plan to make, then apply)."""


class Caller:
    """The library's words: a message names the call to make (``plansync.apply(config)``)
    and the argument to pass (``wait=SECONDS``). The command line's are :class:`CommandLine`."""

    _CALLS: ClassVar[dict[Verb, str]] = {"sync": "apply", "plan": "plan", "forget": "forget"}
    _ARGUMENTS: ClassVar[dict[str, str]] = {"all": "names=None"}
    """Options of the command line whose argument in the library is not ``name=value``."""
    _VERB: ClassVar[str] = "call"
    """What is done with :meth:`command`'s words: a function is called, a command run."""

    starter: ClassVar[str | None] = None
    """What writes a starter config: the library has no call for it (``plansync init`` is the
    command line's), so a message that would name it says what is missing and stops there."""

    plans_to_apply: ClassVar[str] = (
        "`Plan.to_contract()` is for reading, a Plan that `plansync.plan(config)` made (or"
        " its `model_dump_json()` read back) for applying"
    )
    """Which plans can be applied, said to a caller who gave one that cannot: the same data
    without what apply needs, the plan's contract read back, or a ``Plan()`` made by hand."""

    elsewhere: ClassVar[str] = "save it to another path"
    """Where else a plan goes, said when a file that is no saved plan is in its way."""

    def saves_plan(self, path: Path) -> str:
        """What saves a plan in ``path``, to quote in a message: ``plansync.plan(config)
        .save('plan.json')``."""
        return f"plansync.plan(config).save({str(path)!r})"

    def command(self, verb: Verb, *names: str, **options: str) -> str:
        """``verb`` as the caller writes it, to quote in a message: ``plansync.forget(config,
        ['PLAN-3'])``, ``plansync.forget(config, backend='salesforce')``."""
        names_given = [repr(list(names))] if names else []
        arguments = ["config", *names_given, *(f"{k}={v!r}" for k, v in options.items())]
        return f"plansync.{self._CALLS[verb]}({', '.join(arguments)})"

    def lists_all(self, field: str) -> str:
        """What lists every entry of the plan's ``field`` (``warning_details``,
        ``kept_records``), quoted where its text shows only the first few of a kind
        (:func:`plansync.engine.render.alike_lines`): the plan's data."""
        return f"`Plan.{field}`"

    def do(self, verb: Verb, *names: str, **options: str) -> str:
        """``verb`` as a message tells its reader to do it: "call `plansync.plan(config)`",
        "run `plansync plan`" (a person at a terminal was never told to "call" a command, nor
        a program to "run" a function)."""
        return f"{self._VERB} `{self.command(verb, *names, **options)}`"

    def option(self, name: str, value: str = "") -> str:
        """The command line's option ``--name value`` as the caller gives it: ``wait=SECONDS``."""
        return self._ARGUMENTS.get(name, f"{name}={value}")

    def own_stores(self, in_code: bool) -> str:
        """How to give each vault a state store of its own (one serves one vault, and is the
        ``.plansync`` folder of the config's folder): for a Config made in code (``in_code``),
        its ``folder`` (by default the working folder it is made in); for one loaded from a
        file, the file's."""
        if in_code:
            return (
                "give each vault's Config a folder of its own (Config(folder=...); its state"
                " store is .plansync there, by default in the working folder it is made in)"
            )
        return (
            "put each vault's config file in a folder of its own (its state store is"
            " .plansync beside it)"
        )

    def remedy(self, rerun: Rerun) -> str:
        """What makes a stale plan anew, that a refusal ends with: a plan given to
        :func:`plansync.apply` may never have been saved (made by :func:`plansync.plan`, kept
        in memory), and "run `plansync plan --out FILE` again" sent its caller to the command
        line for a file it never had."""
        if rerun == "sync":
            return f"{self.do('sync')} again"
        return f"make a new plan with `{self.command('plan')}` and apply it"


@dataclass(frozen=True)
class CommandLine(Caller):
    """The command line's words: ``plansync VERB`` with the ``--config`` the user gave
    (``config``; None: found where the command was run), quoted for the shell, and for a
    stale ``plan_file`` (``sync PLAN_FILE``) the command that saves a new one in its place."""

    config: Path | None = None
    plan_file: Path | None = None

    _VERB: ClassVar[str] = "run"
    starter: ClassVar[str | None] = "plansync init DIR"
    plans_to_apply: ClassVar[str] = (
        "`plan --json` is for reading, a plan saved with `--out` for applying"
    )
    elsewhere: ClassVar[str] = "choose another --out"

    def saves_plan(self, path: Path) -> str:
        """``plansync plan --out PATH``, with the ``--config`` given."""
        return self.command("plan", out=shlex.quote(str(path)))

    def command(self, verb: Verb, *names: str, **options: str) -> str:
        """``plansync VERB --config FILE --option value NAMES``; ``names`` and the options'
        values as they are (a placeholder such as ``KEY``, or a value the caller quoted)."""
        given = ("--config", shlex.quote(str(self.config))) if self.config else ()
        flags = [f"--{name} {value}" for name, value in options.items()]
        return " ".join(("plansync", verb, *given, *flags, *names))

    def lists_all(self, field: str) -> str:
        """``plansync plan --json``, with the ``--config`` given: it holds every ``field``."""
        return f"`{self.command('plan', '--json')}`"

    def option(self, name: str, value: str = "") -> str:
        """``--wait SECONDS``, ``--all``: as the user types it."""
        return f"--{name} {value}".rstrip()

    def own_stores(self, in_code: bool) -> str:
        """A config file per folder, given with ``--config`` (the command line reads no
        config made in code)."""
        return f"{super().own_stores(False)} and give it with `--config FOLDER/plansync.toml`"

    def remedy(self, rerun: Rerun) -> str:
        """The command to paste: ``sync`` for the run's own plan, and for a saved one ``plan``
        with its file as ``--out``, which ``sync PLAN_FILE`` then applies."""
        if rerun == "sync":
            return f"{self.do('sync')} again"
        out = shlex.quote(str(self.plan_file)) if self.plan_file is not None else "FILE"
        return f"{self.do('plan', out=out)} again"


LIBRARY = Caller()
"""Every config's caller unless the command line gives its own."""
