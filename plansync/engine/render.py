"""A plan as a person reads it: one block per change, ``terraform plan`` style, and a summary;
and what a sync did (:func:`render_result`), the lines that say it once per reason."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

from plansync.callers import LIBRARY, Caller, CommandLine
from plansync.config import BACKEND_TITLES, URL_SETTINGS, Config
from plansync.display import counted, cut, field_value, first_few, one_line, quoted, shown
from plansync.engine.changes import SHOWN_ONLY, Change, Plan, PlanWarning
from plansync.engine.forget import reports_forgettable
from plansync.rules import status_shown
from plansync.sites import on_this_machine

if TYPE_CHECKING:  # the engine's apply brings the connectors; rendering needs none of them
    from plansync.engine.result import ItemError, Result

SYMBOLS = {
    "create": "+",
    "update": "~",
    "transition": "~",
    "link": "+",
    "write_back": "~",
    "conflict": "!",
    "orphan": "-",
}
LABELS = {
    "create": "to create",
    "update": "to update",
    "transition": "to transition",
    "link": "to link",
    "write_back": "to write back",
    "conflict": "conflict",
    "orphan": "orphan",
}


def _heading(change: Change) -> str:
    note = one_line(change.item.note)
    where = f"{note}:{change.item.line}" if change.item.line else note
    key = f" {change.key}" if change.key else ""
    name = change.action.replace("_", " ")
    # Quoted as a field's text is, so that a quote in it cannot end it early
    text = f"  {quoted(cut(change.item.text, 60))}" if change.item.text else ""
    replaced = change.action == "link" and any(_is_update(v) for v in change.fields.values())
    symbol = "~" if replaced else SYMBOLS[change.action]  # a link replaced is no new one
    return f"{symbol} {change.target} {name}{key}  {where}{text}"


def _is_update(value: object) -> TypeGuard[dict[str, Any]]:
    """Whether a change's field value is an update's ``{"old", "new"}``."""
    return isinstance(value, dict) and set(value) == {"old", "new"}


def _text_change(name: str, old: str, new: str) -> list[str]:
    """A change of a long or multi-line text as the lines that differ, each shown around its
    first difference: cut at a fixed width, both values would often read the same (a
    description whose note link changed far along its line)."""
    old_lines = old.replace("\r\n", "\n").split("\n")
    new_lines = new.replace("\r\n", "\n").split("\n")
    out = [f"    {name}:"]
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for _, i1, i2, j1, j2 in matcher.get_opcodes():
        removed, added = old_lines[i1:i2], new_lines[j1:j2]
        if removed == added:
            continue
        for k, line in enumerate(removed):
            at = _first_difference(line, added[k]) if k < len(added) else 0
            out.append(f"      - {_around(line, at)}")
        for k, line in enumerate(added):
            at = _first_difference(removed[k], line) if k < len(removed) else 0
            out.append(f"      + {_around(line, at)}")
    return out


def _first_difference(a: str, b: str) -> int:
    pairs = enumerate(zip(a, b, strict=False))
    return next((i for i, (x, y) in pairs if x != y), min(len(a), len(b)))


SHOWN_OF_A_LINE = 100
"""Characters of a changed line a plan shows, around its first change."""


def _around(line: str, at: int) -> str:
    """``line`` cut to :data:`SHOWN_OF_A_LINE` characters around offset ``at``, with … where
    it was cut."""
    width = SHOWN_OF_A_LINE
    if len(line) <= width:
        return line
    start = max(0, min(at - width // 3, len(line) - width))
    head = "…" if start else ""
    tail = "…" if start + width < len(line) else ""
    return head + line[start : start + width] + tail


def _body(change: Change) -> list[str]:
    lines = (
        [f"    object: {change.sobject}"] if change.sobject and change.action == "create" else []
    )
    # A conflict's message says it all; its fields are for the JSON's readers.
    fields = {} if change.action == "conflict" else change.fields
    for name, value in fields.items():
        if _is_update(value):
            old, new = value["old"], value["new"]
            if name == "status":  # a transition's: plansync's words, or the record's own value
                old, new = status_shown(old), status_shown(new)
                if old != new:
                    lines.append(f"    {name}: {old} -> {new}")
                continue
            if old == new:  # a link's title kept while its URL changes, say: not a change
                continue
            if (
                isinstance(old, str)
                and isinstance(new, str)
                and old != new
                and ("\n" in old + new or field_value(old) == field_value(new))
            ):
                lines += _text_change(name, old, new)
            else:
                lines.append(f"    {name}: {field_value(old)} -> {field_value(new)}")
        elif name != "description":
            lines.append(f"    {name}: {field_value(value)}")
        else:
            lines.append(f"    {name}: ({len(str(value).splitlines())} lines)")
    if change.message:
        lines.append(f"    {change.message}")
    return lines


def summary_line(plan: Plan) -> str:
    counts = plan.summary
    head = ", ".join(f"{counts.get(a, 0)} {LABELS[a]}" for a in list(LABELS)[:5])
    tail = ", ".join(counted(counts.get(a, 0), LABELS[a]) for a in list(LABELS)[5:])
    return f"Plan: {head}; {tail}."


UNFOUND_NAMED = 5
"""How many ids a dead sync left unfound the plan names, per backend."""


def orphans_hint(config: Config | None) -> str:
    """Said under a plan with an orphan that ``forget`` takes, naming the command as
    ``config``'s caller does (:attr:`Config.caller`; None: a plan rendered without its config)."""
    forget = config.caller.command("forget", "KEY") if config else "plansync forget KEY"
    return (
        "An orphan is shown by every plan until its line is read again (or routed there"
        f" again): `{forget}` stops tracking one whose deletion stands (its issue or record"
        " stays as it is)."
    )


def conflicts_hint(plan: Plan) -> str | None:
    """What settles a field conflict, said under a plan that has one, naming its field: the
    conflict's message says what each side did, and a reader would be left to find in the
    README that a plan shows it until the sides agree or the config lets one win."""
    field = next(
        (
            name
            for change in plan.changes
            if change.action == "conflict"
            for name, value in change.fields.items()
            # A key conflict has the shape too, but [sync.conflicts] settles no key: its
            # message says what does.
            if name != "key"
            and isinstance(value, dict)
            and set(value) == {"base", "note", "remote"}
        ),
        None,
    )
    if field is None:
        return None
    return (
        "A field conflict is shown by every plan until it is settled: make the two sides agree"
        " (edit the note to the record's value, or the record to the note's), or let one side"
        f" win, in the config's [sync.conflicts]: {field} = \"note\" sends the note's value,"
        f' {field} = "remote" keeps the record\'s.'
    )


def missing_records_hints(plan: Plan, config: Config | None) -> list[str]:
    """What to do about the records the state store tracks that a backend returns none of,
    said once per backend under the plan, not once an item: after a sandbox restarts without
    its ``--state``, every record is such a conflict, and each saying only that it is missing
    would tell no one what to do. ``forget`` takes none of them (their lines are
    read), and a lost state store is no cure on its own: a line naming its key is never
    created again, lest a record whose id search has not yet indexed be made twice. The
    lines whose key no record and no state store stands for get theirs too
    (:func:`_unmatched_keys_hint`)."""
    missing: dict[str, list[str]] = defaultdict(list)
    unmatched: dict[str, list[str]] = defaultdict(list)
    for change in plan.changes:
        if change.action == "conflict" and change.record_missing:
            missing[change.target].append(change.key or f"^{change.item.block_id}")
        elif change.action == "conflict" and change.key_unmatched and change.key:
            unmatched[change.target].append(change.key)
    hints = []
    for target, keys in missing.items():
        title = BACKEND_TITLES.get(target, target)
        one = len(keys) == 1
        they, them, their = ("it", "it", "its") if one else ("they", "them", "their")
        are = "is" if one else "are"
        store = config.state_dir / "state.db" if config else ".plansync/state.db"
        hints.append(
            f"{counted(len(keys), 'record')} the state store tracks {are} not in {title}"
            f" ({first_few(keys, 3)}): each stays a conflict, never made anew, as this"
            f" {title} may not be the one {they} {'was' if one else 'were'} synced to."
            f"{_set_back(config, target, one)} If {they} {are} gone for"
            f" good, take {their} key link{'' if one else 's'} off {their} line"
            f"{'' if one else 's'} and delete {store} (the next run rebuilds it from the ids"
            " in the notes and the records found by them, whose edits since the last sync the"
            f" notes then overwrite): the next sync makes {them} anew."
        )
    hints += [_unmatched_keys_hint(config, target, keys) for target, keys in unmatched.items()]
    return hints


def _set_back(config: Config | None, target: str, one: bool) -> str:
    """How ``target``'s records tracked or named (``one``: a single one) are found again: its
    URL set back, or a served sandbox served again with its state. The embedded sandbox kept
    them under the state folder, and deleting that folder (as a user starting over may)
    deleted them too."""
    setting, variable = URL_SETTINGS.get(target, ("its URL", ""))
    url = _backend_url(config, target)
    if config is not None and target in config.embedded:
        sandbox = config.state_dir / "sandbox"
        where = (
            f" The embedded sandbox keeps its records in {sandbox}: deleted with it (or with"
            f" all of {config.state_dir}), {'it is' if one else 'they are'} gone unless that"
            " folder is put back from a backup."
        )
    elif config is None or (url is not None and on_this_machine(url)):
        # Not of a real backend, nor of the embedded sandbox (under the store).
        where = (
            " A `plansync sandbox serve` keeps its records across restarts only with"
            " `--state DIR` (serve it again with the folder it had; one served without it"
            " lost them for good)."
        )
    else:
        where = ""
    return f" If {setting} ({variable}) changed, set it back.{where}"


def _unmatched_keys_hint(config: Config | None, target: str, keys: list[str]) -> str:
    """What to do about lines that name a key of ``target`` that neither a record with their
    id nor the state store stands for: a state store lost (deleted, or all of ``.plansync``
    with the embedded sandbox's records), another backend, a clone of the vault. Each such
    line is a conflict saying only that; the way to start over is the same for all."""
    title = BACKEND_TITLES.get(target, target)
    one = len(keys) == 1
    they, them, their = ("it", "it", "its") if one else ("they", "them", "their")
    sync = config.caller.command("sync") if config else "plansync sync"
    return (
        f"{counted(len(keys), 'line')} name{'s' if one else ''} a {title} key"
        f" ({first_few(keys, 3)}) that no {title} record with {their} id carries and the"
        f" state store does not track: each stays a conflict, never made anew, as this"
        f" {title} may not be the one {they} {'was' if one else 'were'} synced to."
        f"{_set_back(config, target, one)} To start over, take {their} key"
        f" link{'' if one else 's'} off {their} line{'' if one else 's'}: `{sync}` then"
        f" makes {them} anew."
    )


def _backend_url(config: Config | None, target: str) -> str | None:
    """The URL ``config`` names for ``target``'s backend; None where it names none (the
    embedded sandbox) or there is no config."""
    if config is None:
        return None
    if target == "salesforce":
        return config.salesforce.instance_url if config.salesforce else None
    return config.jira.url or None


def render_changes(changes: list[Change]) -> list[str]:
    """The lines of ``changes``, each a heading and its body; not yet escaped for display."""
    out: list[str] = []
    for change in changes:
        out.append(_heading(change))
        out += _body(change)
    return out


ALIKE_SHOWN = 3
"""How many warnings of one kind the plan lists, and items failed for the same reason the sync
lists, before it counts the rest."""

_Alike = TypeVar("_Alike")


def _alike(entries: Iterable[_Alike], key: Callable[[_Alike], Hashable]) -> list[list[_Alike]]:
    """``entries`` in groups of the same ``key``, each group in their order and the groups in
    the order of their first entries: what the plan and a sync's result list a few times and
    then count."""
    groups: dict[Hashable, list[_Alike]] = {}
    for entry in entries:
        groups.setdefault(key(entry), []).append(entry)
    return list(groups.values())


_LINES_NAMED = re.compile(r"\b(lines?) \d+(?:(?:, | and |-)\d+)*…?")
"""Line numbers a warning's words name (``on lines 28, 29, 30…``, ``(lines 3 and 7)``,
``lines 5-9``): where in its note, as its ``line`` is."""


def warning_kind(warning: PlanWarning) -> str:
    """What the warnings of one kind share: the message without its location, which is the
    note and line it is about (and a sync's, the record: :class:`SyncWarning
    <plansync.engine.result.SyncWarning>`) and the line numbers its words name (a note's
    damaged text says which lines it repaired). Two warnings that differ in anything else (an
    owner's name, a date's text, a rule) are of two kinds, each with its own remedy."""
    return _LINES_NAMED.sub(r"\1 N", warning.message)


@dataclass(frozen=True)
class Alike:
    """A line to print, many of which may be of one ``kind``: a few of a kind are listed and
    the rest counted (:func:`alike_lines`). ``note`` and ``line``: where it is about (None:
    no note, or the note as a whole), in whose words the rest are counted."""

    text: str
    kind: Hashable
    note: str | None = None
    line: int | None = None


def alike_lines(entries: Iterable[Alike], label: str, every: str | None) -> list[str]:
    """``entries`` as lines to print after ``label``, each kind many notes share shown a few
    times (:data:`ALIKE_SHOWN`, each at its note and line) and then counted in one line that
    names what lists ``every`` one, as :meth:`OwnerResolver.warn_unmapped
    <plansync.engine.owners.OwnerResolver.warn_unmapped>` counts an owner's items. Shown
    each, a 3,000-note vault's warnings would be 648 lines at every plan and sync, and a
    one-change plan would scroll off before its question; a vault's ``kept`` lines, a sync's own
    warnings and ``parse``'s are counted so too. The data behind them keeps every one;
    ``every`` None: nothing lists them (a sync's list could not be written), and none is named."""
    lines = []
    for group in _alike(entries, lambda entry: entry.kind):
        lines += [f"{label}: {one_line(entry.text)}" for entry in group[:ALIKE_SHOWN]]
        if (rest := group[ALIKE_SHOWN:]) and every is None:
            lines.append(f"{label}: likewise {_places(rest)}")
        elif rest:
            lines.append(f"{label}: likewise {_places(rest)} ({every} lists them all)")
    return lines


def warning_lines(warnings: Iterable[PlanWarning], every: str | None) -> list[str]:
    """The warnings as lines to print, those of a kind (:func:`warning_kind`) many notes share
    listed a few times and then counted (:func:`alike_lines`), naming what lists ``every`` one
    (``plansync plan --json``, the plan's ``warning_details``; ``parse --json``)."""
    entries = (Alike(str(w), warning_kind(w), w.note, w.line) for w in warnings)
    return alike_lines(entries, "warning", every)


def counts_any(warnings: Iterable[PlanWarning]) -> bool:
    """Whether :func:`warning_lines` counts some of ``warnings`` rather than list them: a kind
    of them (:func:`warning_kind`) has more than :data:`ALIKE_SHOWN`. Then a line names what
    lists ``every`` one (a sync's: :mod:`plansync.engine.sync_warnings`)."""
    kinds = _alike((Alike(str(w), warning_kind(w)) for w in warnings), lambda entry: entry.kind)
    return any(len(group) > ALIKE_SHOWN for group in kinds)


def _places(entries: Sequence[Alike]) -> str:
    """How many more ``entries`` a kind has, in the words of where they are: "317 more notes"
    (one a note), "305 more lines in 280 notes", or "2 more" (of no note)."""
    notes = {entry.note for entry in entries if entry.note is not None}
    if not notes:
        return f"{len(entries)} more"
    if len(notes) == len(entries):
        return counted(len(entries), "more note")
    lined = all(entry.line for entry in entries)
    more = counted(len(entries), "more line") if lined else f"{len(entries)} more"
    return f"{more} in {counted(len(notes), 'note')}"


def kept_lines(plan: Plan, every: str) -> list[str]:
    """The plan's ``kept`` lines, those that keep the same fields of the same backend (the
    line without its record and where it is) listed a few times and then counted
    (:func:`alike_lines`): a vault whose records are edited in Jira (a bulk move, a
    workflow's post function) would print one a record at every plan. ``kept_records`` keeps
    every one, as data. A plan saved before ``kept_records`` (which ``Plan.load`` takes) has
    none to group its lines by: they are shown each as it is."""
    if len(plan.kept_records) != len(plan.kept):
        return alike_lines([Alike(line, line) for line in plan.kept], "kept", every)
    entries = []
    for line, record in zip(plan.kept, plan.kept_records, strict=True):
        where = f"{record.key} ({record.item.note}:{record.item.line}): "
        kind = (record.target, line.removeprefix(where))
        entries.append(Alike(line, kind, record.item.note, record.item.line))
    return alike_lines(entries, "kept", every)


def render_plan(plan: Plan, config: Config | None = None) -> str:
    """The plan as text, as ``plansync plan`` shows it (``plansync.render_plan``: one view for
    the command line and a program that shows a plan to a person, to review before
    ``apply``). Conflicts and orphans are shown but are never acted on. The commands it tells
    of are named as ``config`` names them (the library's calls for a config a program loaded,
    the command with the ``--config`` the user gave for the command line's); without
    ``config``, as the command line names them. Pass the config the plan was made with.

    ``str(plan)`` is not this text: a plan does not keep its config, so its text would name
    commands in words its caller may not use; and a Plan is a data model, whose ``str`` a log
    shows as its fields, as pydantic's models do.

    The warnings come first (:func:`warning_lines`), as they are about what the plan was
    made from (the notes, the config, the backends' users), and the changes last, above the
    summary, with a line that counts the warnings: ``sync`` asks "Apply these changes?" right
    under them. Printed after the changes, a vault's warnings would stand between a one-change
    plan and its question.

    Note text, paths, values and messages are shown with their control characters escaped
    (see :mod:`plansync.display`): the reviewer must read what a sync would send."""
    every = (config.caller if config else CommandLine()).lists_all  # as the command is typed
    out = warning_lines(plan.warning_details, every("warning_details"))
    out += render_changes(plan.changes)
    if reports_forgettable(plan):
        out.append(orphans_hint(config))
    if hint := conflicts_hint(plan):
        out.append(hint)
    out += missing_records_hints(plan, config)
    out += kept_lines(plan, every("kept_records"))
    if plan.unrouted:
        # Not a warning: a config may well route only some items. But "in sync" alone would
        # hide a rule that matches nothing.
        one = len(plan.unrouted) == 1
        where = [f"{one_line(item.note)}:{item.line}" for item in plan.unrouted]
        out.append(
            f"{counted(len(where), 'accepted item')} {'is' if one else 'are'} sent nowhere:"
            f" no rule takes {'it' if one else 'them'} ({first_few(where, 3)})."
        )
    unfound: dict[str, list[str]] = defaultdict(list)
    for dead in plan.dead_creates:
        if dead.key is None:
            unfound[dead.target].append(
                f"^{dead.block_id}" + (f" ({one_line(dead.note)})" if dead.note else "")
            )
    for target, ids in sorted(unfound.items()):
        # Else "No changes", and then a sync that sits silent while it looks them up.
        named = first_few(ids, UNFOUND_NAMED)
        one = len(ids) == 1
        out.append(
            f"{counted(len(ids), 'id')} that a sync cut short was creating in"
            f" {BACKEND_TITLES[target]} {'has' if one else 'have'} no record there yet"
            f" ({named}): a sync looks once more (waiting a few seconds, as search can lag a"
            f" create), then forgets {'it' if one else 'them'}."
        )
    if not plan.changes and plan.fingerprint is not None and not plan.notes_read:
        # Nothing was read (a glob typo, a wrong vault.path): not "in sync", whatever it is.
        out.append("No changes: no note was read (see the warning above).")
    elif not plan.changes and plan.kept:
        records = "1 record keeps" if len(plan.kept) == 1 else f"{len(plan.kept)} records keep"
        # "only" unless the note changed one too (overruled): the kept line says so
        only = "" if any(kept.overruled for kept in plan.kept_records) else " only"
        out.append(
            f"No changes. {records} edits made in the backend{only} (above); the rest are in sync."
        )
    elif not plan.changes:
        out.append("No changes. The notes and their records are in sync.")
    else:
        out.append("")
        if plan.warnings:  # a long plan's warnings are far above: said where it is read
            out.append(f"{counted(len(plan.warnings), 'warning')} (above the changes).")
        out.append(summary_line(plan))
    return shown("\n".join(out))


@dataclass(frozen=True)
class RenderedResult:
    """What a sync did, as a person reads it: ``lines`` (what was done, and what was not), then
    ``warnings`` and ``errors``, each a line escaped for display, and ``failure``: why the run
    failed, in one line, or None if everything the plan said was applied."""

    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failure: str | None = None


def render_result(
    result: Result,
    config: Config | None = None,
    *,
    quiet: bool = False,
    every: str | None = "`Result.warnings`",
) -> RenderedResult:
    """What ``result`` says, as ``plansync sync`` says it (``plansync.render_result``: one view
    for the command line and a program that shows a sync to a person), each thing once: a
    failed whole call once per reason (not once per change it carried), the work left behind a
    failed step counted, errors many items share listed a few times and then counted
    (:func:`error_lines`), and so warnings of a kind (:func:`warning_lines`, naming ``every``:
    what lists them all, in the caller's words). The commands it tells of are named as
    ``config`` names them: pass the config the sync ran with. It is for those words only:
    without it (a program that has only the Result, read back from JSON), they are the
    library's calls (``plansync.plan(config)``), as a config made in code names them and as
    ``every`` names ``Result.warnings``.

    ``quiet`` (for cron, which mails every line): no ``lines`` for a run that did nothing a
    person would see (it only taught the state store what both sides agree on), only its
    ``warnings``, and no notes on the status moves. The run failed unless everything the plan
    said was applied: an item that failed, and also an update not sent because its record was
    edited since the plan, a change skipped as the create it follows was taken out of a saved
    plan, or one left for the next sync as its note changed since the plan (a planned change
    not carried out, which a script must be able to tell from "all applied")."""
    done = ", ".join(f"{n} {a.replace('_', ' ')}" for a, n in result.applied.items() if n)
    if quiet and not done and result.ok and not result.removed_temps:
        # Not "Applied: nothing", nor the API usage under it: a plan's warnings, which a sync
        # that shows none has in its result, came in every cron mail with those two lines.
        return RenderedResult(warnings=warning_lines(result.warning_details, every))
    lines = [f"Applied: {done or 'nothing'} ({counted(result.requests, 'HTTP request')})."]
    if not quiet:
        lines += [shown(line) for line in _move_notes(result)]
    # The changes a failed call carried: no error line names them (the call's says what
    # failed), and they were that step, not behind it; said once a reason, not once a line.
    with_call: dict[tuple[str, str], int] = {}
    for outcome in result.outcomes:
        if outcome.status == "failed" and outcome.whole_call:
            reason = (outcome.action.replace("_", " "), outcome.message or "")
            with_call[reason] = with_call.get(reason, 0) + 1
    lines += [
        shown(f"Failed: {n} {action} ({message}).") for (action, message), n in with_call.items()
    ]
    left_behind, waiting, left_out = _left_behind(result)
    lines += left_behind
    for backend, (used, limit) in result.api_usage.items():
        lines.append(f"{backend.capitalize()} API usage today: {used} of {limit} requests.")
    warnings = [shown(_removed_temps_line(result.removed_temps))] if result.removed_temps else []
    warnings += warning_lines(result.warning_details, every)
    errors = [shown(f"error: {line}") for line in error_lines(result.errors)]
    stopped = sum(with_call.values()) + waiting  # what the failures left undone
    caller = config.caller if config else LIBRARY
    return RenderedResult(lines, warnings, errors, _failure(result, caller, stopped, left_out))


def left_for_a_person(plan: Plan, config: Config) -> list[str]:
    """What a sync that does not show its plan (``sync --quiet``, a cron wrapper) still says of
    it, as lines to print: its warnings but the notices (information that every run would
    repeat), grouped by kind as the plan shows them, and the conflicts and orphans a sync never
    acts on, which stay until a person settles them. The commands named are ``config``'s."""
    notices = set(plan.notice_details)
    warnings = [warning for warning in plan.warning_details if warning not in notices]
    lines = warning_lines(warnings, config.caller.lists_all("warning_details"))
    counts = {
        kind: n
        for kind in ("conflict", "orphan")
        if (n := sum(change.action == kind for change in plan.changes))
    }
    if counts:
        listed = " and ".join(counted(n, kind) for kind, n in counts.items())
        one = sum(counts.values()) == 1
        forget_hint = (
            f", and `{config.caller.command('forget', 'KEY')}` stops reporting an orphan whose"
            " deletion stands"
            if reports_forgettable(plan)
            else ""
        )
        lines.append(
            f"warning: {listed} {'is' if one else 'are'} left for a person to settle:"
            f" `{config.caller.command('plan')}` shows {'it' if one else 'them'}{forget_hint}"
        )
    return lines


LEFT_OUT_WHY = {
    "create": "as the creates they follow are not in the plan",
    "note": "as their notes changed since the plan was made",
}
"""Why changes of the plan were left out, nothing having failed, by the outcome's flag
(``create_left_out``, ``note_changed``): in their "Not done:" line and in the run's failure."""


def _left_behind(result: Result) -> tuple[list[str], int, dict[str, int]]:
    """The changes of the plan not attempted, the number of them not done as a step before
    them failed, and how many were left out, nothing having failed, by why
    (:data:`LEFT_OUT_WHY`'s keys): the plan counted them, so say where they went; those left
    out are a planned change not carried out, which fails the run."""
    waiting: dict[str, int] = {}
    left_out: dict[str, dict[str, int]] = {why: {} for why in LEFT_OUT_WHY}
    for outcome in result.outcomes:
        if (
            outcome.status == "skipped"
            and outcome.action not in SHOWN_ONLY
            and not outcome.changed_since_plan  # a warning says it
        ):
            behind = waiting
            if outcome.create_left_out:
                behind = left_out["create"]
            elif outcome.note_changed:
                behind = left_out["note"]
            behind[outcome.action] = behind.get(outcome.action, 0) + 1
    lines = []
    for behind, why in (
        (waiting, "behind a step that failed"),
        *((left_out[key], text) for key, text in LEFT_OUT_WHY.items()),
    ):
        if behind:
            left = ", ".join(f"{n} {action.replace('_', ' ')}" for action, n in behind.items())
            lines.append(f"Not done: {left}, {why}; the next sync does them.")
    # Ids go in before records are made: the notes did change, without their keys. Not those
    # of a note that changed since the plan: nothing was written into it.
    if (waiting.get("write_back") or left_out["create"].get("write_back")) and result.notes_written:
        count = len(result.notes_written)
        lines.append(
            f"The ids are in the lines already ({counted(count, 'note')} written), not yet the"
            " keys."
        )
    return lines, sum(waiting.values()), {key: sum(b.values()) for key, b in left_out.items()}


def _failure(result: Result, caller: Caller, stopped: int, left_out: dict[str, int]) -> str | None:
    """Why the run failed, in one line, or None: the items that failed, the calls that
    stopped the sync early (which steps, and the ``stopped`` changes that failures left
    undone), the updates not sent as their records changed since the plan, and the changes
    ``left_out``, nothing having failed, by why (:data:`LEFT_OUT_WHY`); what to run named in
    ``caller``'s words.

    Ends with what to do next: a failure (an item's, or a call's) is dealt with and the sync
    run again, which does only what is left; "see above" alone would leave a cron mail's
    reader to work that out."""
    items = sum(not e.whole_call for e in result.errors)
    calls = [e for e in result.errors if e.whole_call]
    not_sent = result.not_sent
    parts = [f"{counted(items, 'item')} failed"] if items else []
    if calls:
        steps = ", ".join(
            dict.fromkeys(f"{e.target} {e.action}" if e.target else e.action for e in calls)
        )
        undone = f"; {counted(stopped, 'change')} not done" if stopped else ""
        parts.append(
            f"the sync stopped early ({counted(len(calls), 'failed call')}: {steps}{undone})"
        )
    if not_sent:
        records = "its record" if not_sent == 1 else "their records"
        parts.append(
            f"{counted(not_sent, 'change')} not sent, as {records} changed since the plan was made"
        )
    parts += [
        f"{counted(count, 'change')} not done, {LEFT_OUT_WHY[key]}"
        for key, count in left_out.items()
        if count
    ]
    if not parts:
        return None
    them = "that change" if not_sent == 1 else "those changes"
    anew = f", and `{caller.command('plan')}` shows {them} anew" if not_sent else ""
    if result.errors:
        errors = "the error is" if len(result.errors) == 1 else "the errors are"
        anew += f". When {errors} dealt with, {caller.do('sync')} again: it does only"
        anew += " what is left"
    return f"{' and '.join(parts)}; see above{anew}"


REMOVED_NAMED = 3
"""How many removed temporary files the sync names; their names are long."""


NOTES_SHOWN = 5
"""How many notes on the status moves made the sync shows before it counts the rest."""


def _move_notes(result: Result) -> list[str]:
    """The notes on the status moves applied, under the "Applied:" line: the way a move took
    where one transition did not make it ("moved in 2 transitions: Reopen → To Do, Start → In
    Progress"), each of which cost two requests more and changed the issue's history, or that
    the record was there already ("already done in Jira (Done)"), no move sent: said here, not
    only in ``result.outcomes``. A move one transition makes has no note, so the lines are few,
    and ``--quiet`` prints none (cron mails every line). A cancel Jira holds as done is no
    such line: its warning says it, naming the line, also with ``--quiet``."""
    notes = [
        f"  {o.key}: {o.message}"
        for o in result.outcomes
        if o.action == "transition" and o.status == "applied" and o.message and not o.closed_as
    ]
    more = len(notes) - NOTES_SHOWN
    return notes[:NOTES_SHOWN] + (
        [f"  and {more} more moves of the same kind."] if more > 0 else []
    )


def error_lines(errors: list[ItemError]) -> list[str]:
    """One line an error, but for a reason many items share (a field the create screen lacks
    fails every create): its first few, then how many more."""
    lines = []
    for group in _alike(errors, lambda error: (error.target, error.action, error.message)):
        lines += [str(error) for error in group[:ALIKE_SHOWN]]
        if len(group) > ALIKE_SHOWN:
            more = len(group) - ALIKE_SHOWN
            first = group[0]
            what = f"{first.target} {first.action}" if first.target else first.action
            lines.append(f"and {more} more items' {what} failed the same way: {first.message}")
    return lines


def _removed_temps_line(removed: list[str]) -> str:
    files = "1 temporary file" if len(removed) == 1 else f"{len(removed)} temporary files"
    where = "a note" if len(removed) == 1 else "notes"
    return (
        f"Removed {files} that a killed sync left beside {where}:"
        f" {first_few(removed, REMOVED_NAMED)}."
    )
