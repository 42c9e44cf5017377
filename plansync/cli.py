"""The ``plansync`` command, a shell over the library: each command reads its options, calls
the library (:mod:`plansync.sync` to plan, sync and forget; :mod:`plansync.init` for ``init``;
:mod:`plansync.notes.vault` for ``parse``; :mod:`plansync.sandbox.standalone` for ``sandbox
serve``) and prints what it returns, as :mod:`plansync.engine.render` words it.

What lives here is the command line's own: options and their checks, the question before a
sync, and the terminal: results on stdout; progress, warnings (the library's logging and
Python's warnings too, while a command runs) and errors on stderr, one line each, escaped;
exit codes (1 for any error, a usage error too; 2 for ``plan --detailed-exitcode``'s changes;
128 + N when signal N stopped a run, after saying what it left).
"""

from __future__ import annotations

import json
import logging
import math
import os
import shlex
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import click
from pydantic import ValidationError

from plansync import __version__
from plansync.display import counted, cut, one_line, shown, toml_string
from plansync.errors import PlansyncError, first_problem
from plansync.notes.model import AcceptancePolicy, Item, Note
from plansync.notes.vault import printable, scan_vault
from plansync.progress import Progress, ProgressLine, silent
from plansync.redact import redact
from plansync.sandbox import (
    DEFAULT_PROJECT,
    PREFERRED_PORT,
    PROJECT_KEY,
    PROJECT_KEY_RULE,
    WORKFLOWS,
)

if TYPE_CHECKING:
    from plansync.config import Config
    from plansync.engine.changes import Plan, PlanWarning
    from plansync.engine.result import Result

# The commands that sync import the engine when they run: it brings the Jira and Salesforce
# clients and the sandboxes, half a second that `plansync parse` and `--help` need not wait.

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class _Plansync(click.Group):
    """The command group, whose usage errors (an unknown option, ``--config`` naming a folder,
    no command at all) exit 1 as every other error does, not 2 as click's: 2 is what ``plan
    --detailed-exitcode`` says of a plan with changes, and a script must not read a mistyped
    option as that. Both methods: options are parsed in the first, a command's in the second.
    Ctrl-C exits 130 from any command, as a shell reports a command SIGINT stopped."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with _usage_errors_exit_1():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with _usage_errors_exit_1():
            try:
                return super().invoke(ctx)
            except KeyboardInterrupt:
                # Ctrl-C outside a plan's or a sync's own handling (loading the config,
                # starting the sandbox, a parse): click would say "Aborted!" and exit 1, an
                # error to a script, where every other Ctrl-C exits 130.
                _exit_interrupted("Interrupted.")


@contextmanager
def _usage_errors_exit_1() -> Iterator[None]:
    try:
        yield
    except click.UsageError as exc:
        # Per instance: a class attribute to click's types, but it is only read from the
        # instance, and a subclass of its own would lose what each kind shows (help for none).
        exc.exit_code = 1  # type: ignore[misc]
        raise


@click.group(cls=_Plansync, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="plansync")
def main() -> None:
    """Sync meeting notes to Jira and Salesforce."""
    _printable_anywhere()
    _warnings_as_lines(_stderr())
    if os.environ.get("NO_COLOR"):  # https://no-color.org: any value but empty turns colour off
        click.get_current_context().color = False


def _printable_anywhere() -> None:
    """Print what the terminal's encoding lacks as escapes instead of raising.

    Notes are full of emoji and the plan of "…"; under a locale that is not UTF-8 (a Latin-1
    server, output redirected under a legacy code page) the first of them would be a
    UnicodeEncodeError traceback instead of the plan.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", None) == "strict":
            reconfigure(errors="backslashreplace")


class _Stderr:
    """A command's stderr: its progress, shown as :class:`ProgressLine` says, and its warnings
    and errors (:meth:`echo`), each of which first ends a progress line left open on a
    terminal, so that it does not go on where the last report left off. Stdout is the same
    screen there: what a run prints on it calls :meth:`end_line` first (:func:`_progress`
    does at the run's end).

    One a command run (:func:`_stderr`), shared with the threads that log (Jira's links go four
    at a time): the lock keeps a line from being written into the middle of another. Reentrant:
    a line written by the thread that holds it, while it writes (a stream or a handler of the
    program's that logs), waited for that thread, itself, for ever."""

    def __init__(self) -> None:
        self._line = ProgressLine(in_place=_erases(sys.stderr))
        self._lock = threading.RLock()

    def progress(self, step: str, done: int, total: int) -> None:
        """The run's :data:`~plansync.progress.Progress`."""
        with self._lock:
            self._write(self._line.update(step, done, total, time.monotonic()))

    def end_line(self) -> bool:
        """End the progress line if one is open (before stdout is written); whether it was."""
        with self._lock:
            end = self._line.end()
            self._write(end)
            return bool(end)

    def echo(self, message: str, **style: Any) -> None:
        """``message`` on stderr, on a line of its own; ``style`` as :func:`click.style` takes.
        Not :func:`click.secho`, whose reset escape came with an unstyled warning logged from
        a worker thread, where click knows of no context, so of no NO_COLOR."""
        with self._lock:
            self._write(self._line.end())
            click.echo(click.style(message, **style) if style else message, err=True)

    @staticmethod
    def _write(text: str) -> None:
        """Progress, straight to whatever stderr is at the time: click would strip the erase
        under NO_COLOR, which asks for no colour, not for a line a report. Best effort: a sync
        must not stop between two batches because its stderr went away (a closed terminal,
        ``2> >(head)`` whose reader quit); progress only shows how far it got."""
        if text:
            with suppress(OSError):
                sys.stderr.write(text)
                sys.stderr.flush()


def _erases(stream: TextIO) -> bool:
    """Whether progress can be rewritten in place on ``stream``: a terminal, but one whose
    TERM says it cannot move the cursor ("dumb": Emacs' shell buffer, for one)."""
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def _stderr() -> _Stderr:
    """The command run's :class:`_Stderr`, made when ``main`` first asks for it."""
    return click.get_current_context().ensure_object(_Stderr)


@contextmanager
def _progress(*, quiet: bool = False) -> Iterator[Progress]:
    """A run's progress (none if ``quiet``), whose line is ended when the run returns or stops,
    before the plan, the report or the error that follows it."""
    stderr = _stderr()
    try:
        yield silent if quiet else stderr.progress
    finally:
        stderr.end_line()


class _WarningLines(logging.Handler):
    """The library's warnings and errors (a retry, a sandbox request that failed) as
    ``warning:`` or ``error:`` lines on ``stderr``, like the CLI's own, with the traceback of
    one logged with it."""

    def __init__(self, stderr: _Stderr) -> None:
        super().__init__(logging.WARNING)
        self._stderr = stderr

    def emit(self, record: logging.LogRecord) -> None:
        # Redacted: the libraries' own records quote URLs and what a server said, as is.
        text = f"{record.levelname.lower()}: {redact(record.getMessage())}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self._stderr.echo(shown(text))


_LIBRARIES = ("jira", "urllib3", "simple_salesforce")
"""The libraries plansync sends through, whose warnings are shown as plansync's while a
command runs: simple-salesforce's would go to stderr by logging's last resort, in the middle
of the progress line; jira's and urllib3's, whose packages add a ``NullHandler``, nowhere."""


def _warnings_as_lines(stderr: _Stderr) -> None:
    """Python's warnings too (the retiring Salesforce SOAP login), which would print their
    source file, line and code as well, and the :data:`_LIBRARIES`' warnings where the program
    configured no handler that shows them (which would show them twice). Only while the
    command runs: a program that calls it in process (a test, a wrapper) gets its logging and
    warnings back as they were."""
    handler = _WarningLines(stderr)
    logs = [logging.getLogger("plansync")]
    logs += [log for name in _LIBRARIES if not _shown_by_caller(log := logging.getLogger(name))]
    for log in logs:
        log.addHandler(handler)
    previous = warnings.showwarning

    def show(message: Warning | str, *_: Any, **__: Any) -> None:
        stderr.echo(shown(f"warning: {message}"))

    def restore() -> None:
        for log in logs:
            log.removeHandler(handler)
        warnings.showwarning = previous

    warnings.showwarning = show
    click.get_current_context().call_on_close(restore)


def _shown_by_caller(log: logging.Logger) -> bool:
    """Whether a record of ``log`` reaches a handler of the program's: any but a library's
    ``NullHandler``, on it or a logger it propagates to."""
    current: logging.Logger | None = log
    while current is not None:
        if any(not isinstance(h, logging.NullHandler) for h in current.handlers):
            return True
        current = current.parent if current.propagate else None
    return False


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="plansync.toml to use (default: found in the current folder or its parents).",
)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the parse contract as JSON.")
@config_option
@click.option(
    "--global-filter",
    default=None,
    metavar="TEXT",
    help="Obsidian Tasks' global task filter (e.g. '#task'): only checkbox lines holding it"
    " are items, and it is no tag of theirs. Instead of [acceptance] global_filter.",
)
@click.option(
    "--remove-global-filter",
    is_flag=True,
    default=None,
    help="Leave the global filter out of each item's text, as Obsidian Tasks' 'Remove global"
    " filter from description' does.",
)
def parse(
    paths: tuple[Path, ...],
    as_json: bool,
    config_path: Path | None,
    global_filter: str | None,
    remove_global_filter: bool | None,
) -> None:
    """Read notes (files, or every .md under a folder: not [vault]'s globs) and print their
    items, as the [acceptance] of plansync.toml (--config, or the one found as plan finds
    it) says, if there is one."""
    from plansync.config_load import load_acceptance
    from plansync.errors import ConfigError

    given = {"global_filter": global_filter, "remove_global_filter": remove_global_filter}
    try:
        policy: AcceptancePolicy = load_acceptance(config_path)
        policy = policy.model_copy(update={k: v for k, v in given.items() if v is not None})
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    notes: list[Note] = []
    for path in paths:
        vault = scan_vault(path, policy=policy)
        for warning in vault.warnings:
            _stderr().echo(one_line(f"warning: {warning}"))
        for note in vault.notes:
            display = printable(str(path / note.path) if path.is_dir() else str(path))
            note.warnings = [w.model_copy(update={"path": display}) for w in note.warnings]
            note.path = display
            note.title = note.title and printable(note.title)
        notes += vault.notes
    if as_json:
        json.dump(
            {"notes": [n.to_contract() for n in notes]}, sys.stdout, ensure_ascii=False, indent=2
        )
        sys.stdout.write("\n")
        return
    for note in notes:
        _print_note(note)
    _parse_warnings(notes, _parse_json_command(paths, config_path, given))


def _parse_warnings(notes: list[Note], every: str) -> None:
    """The notes' warnings, after them all, those of a kind many notes share listed a few
    times and counted (:func:`~plansync.engine.render.warning_lines`), naming ``every`` (the
    ``--json`` that holds them all): printed under each note, a 2,000-note vault's 387 of
    them (its [?] lines tagged #accepted, its notes read repaired) would scroll by in a
    flood."""
    from plansync.engine.changes import PlanWarning

    _warn([PlanWarning.of(warning) for note in notes for warning in note.warnings], every)


def _warn(warnings: list[PlanWarning], every: str | None) -> None:
    """``warnings`` on stderr, as a plan shows its own (``warning: …``, a kind many share
    counted: :func:`~plansync.engine.render.warning_lines`)."""
    from plansync.engine.render import warning_lines

    for line in warning_lines(warnings, every):
        _stderr().echo(line, fg="yellow")


def _parse_json_command(
    paths: tuple[Path, ...], config_path: Path | None, given: Mapping[str, object]
) -> str:
    """``plansync parse --json`` with the options and ``paths`` this one was given, quoted for
    the shell: what lists every warning of the notes it reads."""
    options = ["--json"]
    if config_path is not None:
        options += ["--config", shlex.quote(str(config_path))]
    if given["global_filter"] is not None:
        options += ["--global-filter", shlex.quote(str(given["global_filter"]))]
    if given["remove_global_filter"]:
        options.append("--remove-global-filter")
    names = [shlex.quote(printable(str(path))) for path in paths]
    return f"`{' '.join(['plansync', 'parse', *options, *names])}`"


def _print_note(note: Note) -> None:
    """One note as text, its warnings aside (:func:`_parse_warnings`); what came from the note
    is shown with control characters escaped (see :mod:`plansync.display`)."""
    parts = (one_line(note.path), one_line(note.title or ""), str(note.date or ""))
    heading = "  ".join(part for part in parts if part)  # no trailing spaces for what is not
    click.secho(heading, bold=True)
    for item in note.items:
        click.echo(shown("  " + _item_row(item)))
        for detail, depth in item.nested_details():
            indent = "  " * min(depth, 10)  # under the item's text, nested as the note has them
            click.echo(shown(f"{'':16}{indent}- {cut(detail, 69 - len(indent))}"))


def _item_row(item: Item) -> str:
    mark = "✓" if item.accepted else "·"
    status = f"[{item.status}]" if item.status is not None else "dec"
    keys = " ".join(f"{k}={v}" for k, v in item.keys.items())
    parts = [
        f"{item.line:>4}",
        mark,
        status,
        cut(item.text, 71),
        f"@{item.owner}" if item.owner else "",
        f"due {item.due}" if item.due else "",
        item.priority if item.priority != "none" else "",
        keys,
        f"^{item.block_id}" if item.block_id else "",
        "(repaired)" if item.repaired else "",
    ]
    return "  ".join(p for p in parts if p)


# --- sync ---------------------------------------------------------------------------------


def _seconds(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    if math.isnan(value):  # FloatRange takes it, and a wait for nan never ends
        raise click.BadParameter("nan is not a number of seconds")
    return value


wait_option = click.option(
    "--wait",
    type=click.FloatRange(min=0),
    callback=_seconds,
    default=0,
    metavar="SECONDS",
    help="Wait this long for another plansync run's lock (overlapping cron runs) before"
    " failing; by default fail at once.",
)


def _load(
    config_path: Path | None,
    plan_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """The config, whose messages name commands as the user types them (with the
    ``--config`` they gave, and a stale ``plan_file``'s remedy naming it); its ``${VAR}``
    references read ``environ`` (None: the process's environment)."""
    from plansync.callers import CommandLine
    from plansync.config_load import read_config
    from plansync.errors import ConfigError

    try:
        return read_config(config_path, caller=CommandLine(config_path, plan_file), environ=environ)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _notice(config: Config) -> None:
    """Say on stderr which backends are the embedded sandbox, before a run whose plan is not
    shown as text: a plan says it first among its warnings (its notices), and a run that
    shows the plan would say it twice. Said as the plan says it (``warning: …``), so that
    ``plan``, ``plan --json``, ``sync --quiet``, ``sync PLAN_FILE`` and ``forget`` agree."""
    from plansync.engine.changes import PlanWarning
    from plansync.sandbox_choice import sandbox_notice

    notice = sandbox_notice(config)
    if notice:
        _warn([PlanWarning(message=notice)], None)


# What a run can meet that is not a bug: each is one line for the user, never a traceback. The
# base class rather than a list of its subclasses, so one added later is covered too; sqlite's
# own error is what a damaged database raises where the CLI opens one itself (`sandbox serve`).
_RUN_ERRORS: tuple[type[Exception], ...] = (PlansyncError, sqlite3.DatabaseError)


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """A run's expected errors as one line each. A pydantic ``ValidationError`` is plansync's
    own mistake, never the user's file: ``Plan.load`` reports a file that is no saved plan as
    :class:`NotAPlan` itself, so one raised later, while the plan it took is applied, is a bug
    to report, not the file's fault (not "not a plan saved by plansync")."""
    try:
        yield
    except _RUN_ERRORS as exc:  # may quote a server's answer or a note: shown escaped
        raise click.ClickException(shown(str(exc))) from None
    except ValidationError as exc:
        raise click.ClickException(
            f"internal error, a bug in plansync ({exc.title}: {first_problem(exc)});"
            " please report it with the command you ran"
        ) from None
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        raise click.ClickException(f"cannot use{where}: {exc.strerror or exc}") from None


@main.command("plan")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the plan as versioned JSON.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when the notes and their records are in sync, 2 when the plan shows anything"
    " (changes, conflicts or orphans), 1 on any error, a mistyped option too.",
)
def plan_command(
    config_path: Path | None, as_json: bool, out: Path | None, detailed_exitcode: bool
) -> None:
    """Show what a sync would change. Changes nothing."""
    from plansync import sync
    from plansync.engine.changes import check_saveable
    from plansync.engine.render import render_plan
    from plansync.files import is_special

    config = _load(config_path)
    if out:
        with _one_line_errors():
            check_saveable(out, config)
    if as_json:  # the JSON holds it too, but stdout is for the program that reads it
        _notice(config)
    with (
        _progress() as progress,
        _one_line_errors(),
        _interrupted("a plan changes nothing, so nothing was changed"),
    ):
        result = sync.plan(config, progress=progress)
        if out:
            result.save(out, config)
    if as_json:
        click.echo(json.dumps(result.to_contract(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_plan(result, config))
        if out and is_special(out):
            click.echo(f"Wrote the plan to {out}.")
        elif out:
            command = config.caller.command("sync", shlex.quote(str(out)))
            click.echo(f"Saved the plan to {out}; `{command}` applies exactly it.")
    # Like terraform's: 2 whenever the plan is not empty. Conflicts and orphans are never acted
    # on by a sync, but a CI gate must not read them as "in sync"; the text plan says "No
    # changes" only when there are none of them either.
    if detailed_exitcode and result.changes:
        sys.exit(2)


@main.command("sync")
@config_option
@click.argument(
    "plan_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--yes", "-y", is_flag=True, help="Apply without asking.")
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Print neither the plan nor progress, only the plan's warnings (grouped as the plan"
    " shows them, but not that a note's damaged text was read repaired), the conflicts and"
    " orphans left for a person, errors and what was applied (for cron). Needs --yes or"
    " PLAN_FILE.",
)
@wait_option
def sync_command(
    config_path: Path | None, plan_file: Path | None, yes: bool, quiet: bool, wait: float
) -> None:
    """Create, update and close the Jira issues and Salesforce records of accepted items;
    write their keys back into the notes.

    With PLAN_FILE (from `plansync plan --out`), apply exactly that plan, but for the changes
    of a note that changed since it was made, which wait for the next sync (as in a plan made
    here); refused if a sync ran since or the state store was replaced.
    """
    from plansync import sync
    from plansync.engine.changes import Plan
    from plansync.engine.render import left_for_a_person, render_plan

    if quiet and not (yes or plan_file):
        # The question would come with no plan to answer it by.
        raise click.UsageError("--quiet needs --yes (or a PLAN_FILE): it prints no plan to ask by")
    config = _load(config_path, plan_file)
    if quiet or plan_file:  # no plan shown, nor its notices
        _notice(config)
    declined: list[bool] = []
    changes: list[bool] = []  # whether the plan had any

    def show(plan: Plan) -> None:
        changes.append(plan.has_changes)
        _stderr().end_line()  # the plan starts a line of its own, after the progress made it
        if quiet:
            for line in left_for_a_person(plan, config):
                _stderr().echo(line)
        else:
            click.echo(render_plan(plan, config))

    def confirm(_plan: Plan) -> bool:  # asked only of a plan with changes
        if yes or _asked("Apply these changes?", "applied", "--yes applies without asking"):
            return True
        declined.append(True)
        return False

    stopped = (
        "what was applied is kept, and nothing is lost or made twice;"
        f" run `{config.caller.command('sync')}` again to finish"
    )
    result: Result | None
    with (
        _progress(quiet=quiet) as progress,
        _one_line_errors(),
        _interrupted(stopped),
    ):
        if plan_file is not None:
            saved = Plan.load(plan_file, config)
            changes.append(saved.has_changes)
            # Shown only as --quiet says a plan: the person who saved it has read it whole.
            shows = show if quiet else None
            result = sync.apply(config, saved, progress=progress, show=shows, wait=wait)
        else:
            result = sync.apply(
                config,
                progress=progress,
                show=show,
                confirm=confirm,
                asks=not yes,
                wait=wait,
            )
    if declined:
        raise click.ClickException("nothing applied")
    # "No changes." needs no "Applied: nothing (0 HTTP requests)." under it.
    idle = not any(changes) and result is not None and not result.requests
    _report(result, config, quiet=quiet or idle)


def _asked(question: str, done: str, unasked: str) -> bool:
    """A person's yes to ``question``. No answer (stdin closed: cron, CI) is an error that
    says how to go ``unasked``, and Ctrl-C at the prompt exits 130; each says that nothing
    was ``done``."""
    try:
        return click.confirm(question, default=False)
    except click.Abort as exc:
        stop = exc.__context__  # as click raises it, from None
        if isinstance(stop, KeyboardInterrupt):  # Ctrl-C, or SIGTERM or SIGHUP (_Stopped)
            number = stop.number if isinstance(stop, _Stopped) else int(signal.SIGINT)
            _exit_interrupted(f"{_stopped_by(number)}: nothing was {done}.", number)
        _stderr().echo("")
        raise click.ClickException(f"no answer, so nothing was {done} ({unasked})") from None


class _Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP during a sync, raised like Ctrl-C so that the same cleanup runs."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


def _stop(number: int, _frame: object) -> None:
    raise _Stopped(number)


@contextmanager
def _interrupted(outcome: str) -> Iterator[None]:
    """Ctrl-C, SIGTERM (a CI job cancelled, a service stopped) or SIGHUP (the terminal closed)
    during a plan or a sync: it says ``outcome``, and exits as a shell reports a signal.

    Click's own "Aborted!" would leave a user who stopped a long sync asking whether anything
    was lost; SIGTERM and SIGHUP would end the process at once, skipping every cleanup (a
    note's half-written temporary file left in the vault) and saying nothing. Nothing is lost:
    ids are written into the notes before their records are created, and a rerun adopts
    what this run created instead of creating it again.
    """
    try:
        with _on_stop_signals(_stop):
            yield
    except KeyboardInterrupt as exc:
        number = exc.number if isinstance(exc, _Stopped) else int(signal.SIGINT)
        _exit_interrupted(f"{_stopped_by(number)}: {outcome}.", number)


def _stopped_by(number: int) -> str:
    """How the line that ends a run says what stopped it."""
    return "Interrupted" if number == signal.SIGINT else f"Stopped ({signal.Signals(number).name})"


def _exit_interrupted(message: str, number: int = signal.SIGINT) -> NoReturn:
    """Say ``message`` on a line of its own (after the ``^C`` the terminal printed where the
    cursor was: ending a progress line is that line feed), and exit as a shell reports a
    command that signal ``number`` stopped."""
    stderr = _stderr()
    if not stderr.end_line():
        stderr.echo("")
    stderr.echo(message, fg="yellow")
    sys.exit(128 + number)


@contextmanager
def _on_stop_signals(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """SIGTERM (a CI job cancelled, a service stopped) and SIGHUP (the terminal closed) call
    ``handler`` while this lasts; the handlers before are put back, for an in-process caller."""
    before: dict[int, Any] = {}
    for name in ("SIGTERM", "SIGHUP"):  # no SIGHUP on Windows
        with suppress(AttributeError, ValueError):  # ValueError: not the main thread
            number = getattr(signal, name)
            before[number] = signal.signal(number, handler)
    try:
        yield
    finally:
        for number, previous in before.items():  # None: set outside Python, so the default
            signal.signal(number, signal.SIG_DFL if previous is None else previous)


def _report(result: Result | None, config: Config, *, quiet: bool = False) -> None:
    """What a sync did (:func:`plansync.engine.render.render_result`): what was done on
    stdout, then warnings and errors on stderr; exit 1 unless all the plan said was applied.
    Its warnings of a kind are listed a few times and counted, naming the file the sync wrote
    with them all (:mod:`plansync.engine.sync_warnings`), unless it could not."""
    from plansync.engine.render import render_result
    from plansync.engine.sync_warnings import SyncWarningsFile

    if result is None:
        return
    listing = SyncWarningsFile.of(config.state_dir)
    every = f"`cat {shlex.quote(str(listing.path))}`" if listing.lists(result) else None
    report = render_result(result, config, quiet=quiet, every=every)
    for line in report.lines:
        click.echo(line)
    for line in report.warnings:
        _stderr().echo(line)
    for line in report.errors:
        _stderr().echo(line, fg="red")
    if report.failure:
        raise click.ClickException(report.failure)


@main.command("forget")
@config_option
@click.argument("names", nargs=-1, metavar="[KEY|^ID]...")
@click.option(
    "--all", "every", is_flag=True, help="Forget every orphan that forget takes (see above)."
)
@click.option(
    "--backend",
    type=click.Choice(["jira", "salesforce"]),
    help="Forget every record of a backend the config names no more (its table removed), once"
    " no line links to them.",
)
@click.option("--yes", "-y", is_flag=True, help="Forget without asking.")
@wait_option
def forget_command(
    config_path: Path | None,
    names: tuple[str, ...],
    every: bool,
    backend: str | None,
    yes: bool,
    wait: float,
) -> None:
    """Stop tracking orphans: records no line of the notes is read as any more, and records
    of lines that no rule sends to their system any more, once their links are off the lines.

    Name them by key (CLOUD-7) or block id (^ps-7k2m9q) as `plansync plan` shows them, or give
    --all. Their issues and records stay as they are; plansync no longer reports them, nor
    cancels them under orphans = "cancel". A line that comes back (or is routed there again)
    finds its record again by its ^id, and makes it as the line says; without its id, the line
    is no longer matched to the record.
    Plans first, so the backends must be reachable, as for `plansync plan`.

    With --backend salesforce, once the config's [salesforce] table is removed for good: the
    Salesforce records plansync tracks, which every plan warns of, are forgotten; nothing is
    asked of Salesforce.
    """
    from plansync import sync
    from plansync.engine.changes import Change
    from plansync.engine.render import render_changes

    if sum(map(bool, (names, every, backend))) > 1:
        raise click.UsageError("name the orphans to forget, or give --all or --backend, not two")
    if not (names or every or backend) or any(not name.strip() for name in names):
        raise click.UsageError(
            "name the orphans to forget (keys or ^ids), or give --all or --backend"
        )
    config = _load(config_path)
    _notice(config)
    declined: list[bool] = []

    def confirm(orphans: list[Change]) -> bool:
        _stderr().end_line()  # the orphans start a line of their own, after the progress
        one = len(orphans) == 1
        stays = "its issue or record stays" if one else "their issues and records stay"
        click.echo(f"To forget ({counted(len(orphans), 'orphan')}; {stays} as in the backend):")
        click.echo(shown("\n".join(render_changes(orphans))))
        click.echo(
            "A line that comes back finds its record again by its ^id, and makes it as the line"
            " says (edits made in the backend meanwhile are overwritten); without its id, the"
            " line is no longer matched to the record (a new item, or a conflict while it ends"
            " in the record's key link)."
        )
        question = "Forget it?" if one else "Forget them?"
        if yes or _asked(question, "forgotten", "--yes forgets without asking"):
            return True
        declined.append(True)
        return False

    # One transaction: forgotten all or none, whenever the run is stopped.
    with (
        _progress() as progress,
        _one_line_errors(),
        _interrupted(f"`{config.caller.command('plan')}` shows the orphans still tracked"),
    ):
        forgotten = sync.forget(
            config,
            list(names) if names else None,
            backend=backend,
            confirm=confirm,
            progress=progress,
            wait=wait,
        )
    if declined:
        raise click.ClickException("nothing forgotten")
    if not forgotten and backend:
        click.echo(f"No records to forget: the state store holds none of {backend}.")
        return
    if not forgotten:
        click.echo(
            "No orphans to forget: the plan shows none that forget takes (any other is settled"
            f" as `{config.caller.command('plan')}` says)."
        )
        return
    click.echo(
        f"Forgot {counted(len(forgotten), 'orphan')}: plansync no longer reports"
        f" {'it' if len(forgotten) == 1 else 'them'}."
    )


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite an existing plansync.toml, or write one where the vault of another"
    " plansync.toml, in a parent folder or below, reads the notes already.",
)
def init(directory: Path, force: bool) -> None:
    """Write DIRECTORY/plansync.toml, a commented starter config that syncs the notes there.

    DIRECTORY must exist (a mistyped path is an error, not a new empty vault): make it first
    for a new one. A folder whose notes the vault of a plansync.toml in a parent folder or in
    a folder below reads is refused without --force: synced with a second config, they would
    be synced twice. The global filter of the vault's Obsidian Tasks plugin, when it has one,
    is written into the config's [acceptance].
    """
    from plansync.init import write_starter

    with _one_line_errors():
        written = write_starter(directory, force)
    for warning in written.warnings:
        _stderr().echo(f"warning: {shown(warning)}")
    plugin = written.plugin
    if plugin is not None and plugin.global_filter:
        click.echo(f"Wrote Obsidian Tasks' {plugin.described()} into [acceptance] ({plugin.file}).")
    # Quoted for the shell: the command is meant to be pasted, and notes live in folders
    # such as "Meeting notes" or "Team's vault".
    click.echo(
        f"Wrote {written.path}. Try `plansync plan --config {shlex.quote(str(written.path))}`."
    )


@main.group()
def sandbox() -> None:
    """The local Jira and Salesforce emulators plansync syncs to when nothing is configured."""


@sandbox.command("serve")
@click.option(
    "--port",
    type=click.IntRange(1, 65534),
    default=PREFERRED_PORT,
    show_default=True,
    help="Jira; Salesforce takes PORT+1.",
)
@click.option(
    "--mode",
    type=click.Choice(["cloud", "dc"]),
    default="cloud",
    show_default=True,
    help="Which Jira to answer as: Cloud (API 2 and 3, accountId users) or Data Center"
    " (API 2, user names).",
)
@click.option(
    "--latency-ms",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Milliseconds every request waits before it is answered, in both sandboxes"
    " (POST /_sandbox/faults changes it while they run).",
)
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder that keeps the records and the TLS CA from one run to the next (made if"
    " missing); unset, they live in memory and go when the sandboxes stop.",
)
@click.option(
    "--project",
    "projects",
    multiple=True,
    default=(DEFAULT_PROJECT,),
    show_default=True,
    callback=lambda _ctx, _param, value: tuple(map(_project_key, value)),
    help="Project key to seed; repeat it for more than one (the config's rules name them).",
)
@click.option(
    "--workflow",
    type=click.Choice(WORKFLOWS),
    default="all",
    show_default=True,
    help="Jira's: any status to any other, strict (start before done, reopen into To Do, no"
    " way back from In Progress), or simple (To Do, In Progress, Done: no cancelled status).",
)
@click.option(
    "--jira-tls",
    is_flag=True,
    help="Serve Jira over TLS too (https://), with the throwaway CA Salesforce's certificate"
    " has: to try [jira] ca_bundle, as for a Jira whose certificate your own CA signed.",
)
def sandbox_serve(
    port: int,
    mode: str,
    latency_ms: int,
    state_dir: Path | None,
    projects: tuple[str, ...],
    workflow: str,
    jira_tls: bool,
) -> None:
    """Serve the Jira sandbox on 127.0.0.1:PORT and the Salesforce one (over TLS) on PORT+1.

    Any user, token or session id is accepted. Runs until interrupted. To test failures,
    POST /_sandbox/faults injects errors, dropped connections and latency; GET /_sandbox/stats
    counts requests by route (see the README).
    """
    from plansync.sandbox.standalone import PortUnavailable, serve_both

    with _on_stop_signals(_exit_on_signal), ExitStack() as cleanup, _one_line_errors():
        try:  # bound before anything is printed: a port in use is one line, not a traceback
            served = cleanup.enter_context(
                serve_both(
                    port,
                    mode=mode,  # type: ignore[arg-type]
                    latency_ms=latency_ms,
                    state_dir=state_dir,
                    projects=projects,
                    workflow=workflow,  # type: ignore[arg-type]
                    jira_tls=jira_tls,
                )
            )
        except PortUnavailable as exc:
            raise click.ClickException(f"{exc} (try another --port)") from None
        named = ("project " if len(projects) == 1 else "projects ") + ", ".join(projects)
        where = f"state in {served.state}" if served.state else "state in memory"
        kind = mode if workflow == "all" else f"{mode}, {workflow} workflow"
        jira_url = served.jira.url
        click.echo(f"Jira sandbox ({kind}) on {jira_url}, {named}; {where}.")
        click.echo(f"  export JIRA_URL={jira_url} JIRA_USER=me JIRA_API_TOKEN=any")
        if jira_tls:
            click.echo("  Its CA, for plansync.toml:")
            click.echo("    [jira]")
            click.echo(f"    ca_bundle = {toml_string(str(served.ca_path))}")
        click.echo(f"Salesforce sandbox on {served.salesforce.url} (RFE__c, Feature__c).")
        click.echo("  Its settings, for plansync.toml:")
        settings = {
            "instance_url": served.salesforce.url,
            "auth": "session",
            "session_id": "any",
            "ca_bundle": str(served.ca_path),
        }
        click.echo("    [salesforce]")
        for name, value in settings.items():  # JSON strings are TOML basic strings
            click.echo(f"    {name} = {toml_string(value)}")
        click.echo("Ctrl-C stops both.")
        try:
            while served.jira.running:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass


def _project_key(value: str) -> str:
    """``--project`` checked before anything is served (the sandbox refused it later with a
    ValueError traceback)."""
    if not PROJECT_KEY.fullmatch(value):
        raise click.BadParameter(
            f"{value!r} is not a Jira project key: {PROJECT_KEY_RULE} (e.g. PLAN)"
        )
    return value


def _exit_on_signal(number: int, _frame: object) -> None:
    raise SystemExit(128 + number)


@main.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Scratch folder for the copy (default: a new temporary folder).",
)
def demo(directory: Path | None) -> None:
    """Copy the example vault to a scratch folder and sync it to the embedded sandbox.

    Shows the plan, syncs, shows the notes with keys written back, then plans again: no changes.
    No network and no account are used, whatever JIRA_URL or SF_* the environment holds.
    """
    from plansync import sync
    from plansync.config_load import CONFIG_NAME
    from plansync.engine.render import render_plan

    if not EXAMPLES.is_dir():
        raise click.ClickException(f"the example vault is not at {EXAMPLES} (run from a clone)")
    if directory is not None and directory.exists() and any(directory.iterdir()):
        raise click.ClickException(f"{directory} is not empty: the demo needs a folder of its own")
    with _one_line_errors():
        target = Path(directory or tempfile.mkdtemp(prefix="plansync-demo-"))
        shutil.copytree(EXAMPLES, target, dirs_exist_ok=True)
    # An empty environment: every ${VAR} takes its default, the embedded sandboxes. The
    # JIRA_URL and token a user exported for real work sent the example's items to their Jira.
    config = _load(target / CONFIG_NAME, environ={})
    click.secho(f"1. The example vault, copied to {target} (kept); the plan:", bold=True)
    with _one_line_errors():
        shown_plan = sync.plan(config)
        click.echo(render_plan(shown_plan, config))
        click.secho("\n2. Sync:", bold=True)
        # The plan shown, not a new one: that would draw other ids than those step 1 shows.
        with _progress() as progress:
            result = sync.apply(config, shown_plan, progress=progress)
        _report(result, config)
        click.secho("\n3. The notes now carry ids and keys:", bold=True)
        for item in (i for n in sync.scan(config).notes for i in n.items if i.keys):
            keys = "  ".join(f"{backend} {key}" for backend, key in sorted(item.keys.items()))
            click.echo(shown(f"  ^{item.block_id}  {keys:<42}  {cut(item.text, 60)}"))
        click.secho("\n4. Plan again:", bold=True)
        click.echo(render_plan(sync.plan(config)).splitlines()[-1])
