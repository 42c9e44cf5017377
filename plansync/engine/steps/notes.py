"""Apply's writes into the notes: each new item's block id into its line before any record
exists (and, right before a create, the check that it is still there), then the keys of the
records made. Write-back (:mod:`plansync.notes.writeback`) edits a note's lines; this module
says which edits, and settles each change by what it did."""

from __future__ import annotations

from collections import defaultdict

from plansync.engine.changes import Change, Plan
from plansync.engine.steps.run import Run
from plansync.notes.vault import note_file
from plansync.notes.writeback import KnownItems, LineEdit, WriteBackError, ends_a_line, write_back
from plansync.progress import reported

NOTES_AT_ONCE = 100
"""Notes written between two reports to a sync's progress: each is read, edited, written to a
temporary file, flushed to disk and renamed, and 2,000 of them take seconds, too long to pass
in silence."""


def _edit_notes(run: Run, changes: list[Change], with_keys: bool) -> None:
    per_note: dict[str, list[tuple[Change, LineEdit]]] = defaultdict(list)
    keys: dict[int, str] = {}  # per change, the key its line gets or has
    for change in changes:
        line = change.line_change
        block_id = change.item.block_id
        target = line.key_target if line else None
        if line is None or block_id is None or target is None:
            continue
        if (block_id, "note") in run.failed:
            continue
        links: dict[str, tuple[str, str]] = {}
        if with_keys:
            if (block_id, target) in run.failed:
                continue
            key_url = run.known_key_url(block_id, target) or _adopted(run, change, target)
            if key_url is None:
                continue
            keys[id(change)] = key_url[0]
            if target in change.fields:
                links[target] = key_url
            # Else the plan found the line naming its key already ("only the state store
            # learns it"), and its link stays as written: a store rebuilt from the labels
            # has the URL the backend gives now, which may spell the site another way
            # (localhost for 127.0.0.1), no reason to rewrite every line.
        edit = LineEdit(
            line=change.item.line,
            original=line.original,
            block_id=block_id,
            links=links,
            replace_block_id=line.replace_block_id,
            drop_links=tuple(line.drop_links) if not with_keys else (),
            keys=line.keys,
        )
        per_note[change.item.note].append((change, edit))
    root = run.config.vault_root
    step = f"writing {'keys' if with_keys else 'ids'} into notes"
    for note, pairs in reported(run.progress, step, list(per_note.items()), NOTES_AT_ONCE):
        try:
            result = write_back(
                note_file(root, note),
                root,
                [edit for _, edit in pairs],
                policy=run.config.acceptance,
                known=run.known_items.get(note),
            )
        except WriteBackError as exc:  # its error names the note (and line) already
            for change, _ in pairs:
                run.fail(change, exc.reason)
            continue
        run.known_items[note] = result.items
        if result.changed:
            run.written[note] = None
        missing = {id(e) for e in result.missing}
        for change, edit in pairs:
            if id(edit) in missing:
                run.fail(
                    change,
                    f"the line changed or moved in the note; {run.config.caller.remedy('sync')}",
                )
            elif with_keys:
                run.done(change, keys[id(change)])
            elif result.changed:
                run.ids_in.add(id(change))


def _adopted(run: Run, change: Change, target: str) -> tuple[str, str] | None:
    """A record found by id but unknown to the state: stored now, its fields as the base."""
    if change.key and change.base is not None:
        url = change.url or ""
        run.store(change, target, change.key, url, change.base)
        return change.key, url
    return None


def planned_items(run: Run, plan: Plan, writes: list[Change]) -> dict[str, KnownItems]:
    """Per note, the lines the plan writes back to, which its parse read as items of the
    bytes it was made from: what write-back need not parse the note again to learn while
    the note holds those bytes. Only of a plan made in this run, with this config: a saved
    one may have been made under another acceptance (a global filter since added)."""
    if not run.planned_here or plan.fingerprint is None:
        return {}
    lines: dict[str, set[int]] = defaultdict(set)
    for change in writes:
        if change.item.line > 0:
            lines[change.item.note].add(change.item.line)
    digests = plan.fingerprint.notes
    return {
        note: KnownItems(digests[note], frozenset(numbers))
        for note, numbers in lines.items()
        if note in digests
    }


def write_ids(run: Run, changes: list[Change]) -> None:
    """Write each write-back's block id into its line: before any record exists."""
    _edit_notes(run, changes, with_keys=False)


def write_keys(run: Run, changes: list[Change]) -> None:
    """Write each write-back's key into its line, once its record exists; each is done then."""
    _edit_notes(run, changes, with_keys=True)


def ids_on_disk(run: Run, changes: list[Change]) -> list[Change]:
    """The creates whose block id ends a line of their note now; each other one fails.

    The protocol's first step, checked rather than assumed: a record must never exist for
    an id that is not on disk, or the next sync gives the item a new id and creates it
    again. An id written by this run and gone since (an editor saved its own copy of the
    note over it) is written again where its line is still as planned. A plan's
    write-back of the id can also be missing (a caller that applies only the changes
    someone approved, and left it out); nothing is created then.
    """
    absent = _absent(run, changes)
    again = [w for c in absent for w in run.id_writes.get(c.item.block_id or "", [])]
    if again:
        write_ids(run, again)
        absent = _absent(run, absent)
    for change in absent:
        if not run.blocked(change):
            run.fail(
                change,
                f"^{change.item.block_id} is not in the note (its write-back was not in the"
                " plan, or failed), so nothing was created: a record for an id the note"
                " does not hold would be created again by the next sync",
            )
    gone = {id(c) for c in absent}
    return [c for c in changes if id(c) not in gone]


def _absent(run: Run, changes: list[Change]) -> list[Change]:
    """Of ``changes``, those whose block id ends no line of their note as it is now."""
    texts: dict[str, bytes | None] = {}
    absent = []
    for change in changes:
        note, block_id = change.item.note, change.item.block_id or ""
        if note not in texts:
            try:
                texts[note] = note_file(run.config.vault_root, note).read_bytes()
            except OSError:
                texts[note] = None
        data = texts[note]
        if not block_id or data is None or not ends_a_line(data, block_id):
            absent.append(change)
    return absent
