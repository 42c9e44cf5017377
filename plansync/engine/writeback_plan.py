"""Step 4 of the plan (:mod:`.plan`), the note's side of keys and links: what write-back is to
change in an item's line (its new id, its record's key link, a copy's links taken off, an id
and link put back in order), and the conflict in its place where the note's file is read-only.

Apart from the planner because it is the plan's only say over the notes themselves, with its
own memory across targets (an id is announced once, a read-only note asked once, a refusal said
once an item), while the planner decides what each backend's record gets."""

from __future__ import annotations

from typing import Any

from plansync.engine.changes import KNOWN_AFTER_CREATE, Change, LineChange
from plansync.engine.context import PlanContext
from plansync.engine.identity import Tracked
from plansync.engine.targets import TargetSpec
from plansync.notes.order import in_order
from plansync.notes.vault import note_file
from plansync.notes.writeback import read_only


class WriteBacks:
    """Plans each item's write-back into its note (:meth:`write_back`), once a target, and
    says where a read-only note keeps one from being made. What it plans goes into the
    context's ``plan``."""

    def __init__(self, context: PlanContext):
        self.config = context.config
        self.targets = context.targets
        self.plan = context.plan
        self._ids_announced: set[str] = set()  # block ids whose new id a write-back shows
        self._read_only: dict[str, bool] = {}  # per note a write is planned into: see _writable
        self._refused: set[str] = set()  # block ids a read-only note kept a write from
        self._left_out_of_order: set[str] = set()  # block ids warned of by out_of_order

    def write_back(
        self,
        target: TargetSpec,
        entry: Tracked,
        key: str | None,
        note_key: str | None,
        *,
        base: dict[str, Any] | None = None,
        url: str | None = None,
    ) -> bool:
        """Plan the line's write-back for ``target``: the item's new id, the record's ``key``
        (None: one to create) where the line names ``note_key``; False when its note's file is
        read-only and the line would change (a conflict says so instead, :meth:`_refuse`),
        but for an adoption (``base``) of a record found by the id on the line, which the
        state store learns all the same, by a write-back that writes nothing."""
        fields: dict[str, Any] = {}
        first = entry.block_id not in self._ids_announced
        self._ids_announced.add(entry.block_id)
        if entry.new_id and first:
            fields["block_id"] = {"old": entry.copy_of, "new": entry.block_id}
        if key != note_key or key is None:
            # A copy, or a line with a trial run's link, shows the key it carries, which
            # write-back takes off its line or replaces.
            shown = entry.item.keys.get(target.name)
            fields[target.name] = {"old": shown, "new": key or KNOWN_AFTER_CREATE}
        if entry.copy_of and first:
            # Write-back takes all of a copy's links off (drop_links), also those of a system
            # that plans no write-back of its own for the line: the config names it no more
            # (its table removed), or no rule sends the item there. Shown here, as every
            # change to a note is.
            written = {t.name for t in self.targets if t.routes(self.config, entry.item)}
            for name, copied in entry.item.keys.items():
                if name != target.name and name not in written:
                    fields[name] = {"old": copied, "new": None}
        message = None
        # A line without this id gets it written by every write-back of it (apply writes the
        # id first), announced or not.
        if (fields or entry.new_id) and not self._writable(entry.note.path):
            self._refuse(entry, key, keyed=bool(fields.keys() - {"block_id"}))
            if base is None or entry.new_id:
                return False
            # A record adopted by the id on the line is stored all the same, nothing written:
            # the state a synced line whose key link was taken off is in. Else every plan
            # adopted it anew, sending the note's values over any edit made in the backend.
            fields = {}
            message = (
                f"the note's file is read-only: only the state store learns {key}; the line"
                " gets its key link once the note is writable"
            )
        elif entry.readopted and key is not None:
            message = (
                f"the line regains ^{entry.block_id}, the id of {key} it was synced as (its id"
                f" {'was' if entry.item.keys else 'and key link were'} lost: taken off, or the"
                " note put back to older text?)"
            )
        elif not fields and in_order(entry.original):
            message = f"puts the line's id and {key}'s link back in order"
        elif not fields:
            message = f"the note already names {key}; only the state store learns it"
        change = Change(
            action="write_back",
            target="note",
            item=entry.ref(),
            key=key,
            fields=fields,
            base=base,
            url=url,
            message=message,
            line_change=LineChange(
                original=entry.original,
                block_id=entry.block_id,
                replace_block_id=entry.copy_of is not None and first,
                drop_links=["jira", "salesforce"] if entry.copy_of and first else [],
                key_target=target.name,
                keys=dict(entry.item.keys),
            ),
        )
        self.plan.changes.append(change)
        return True

    def out_of_order(self, entry: Tracked) -> bool:
        """Whether the line's id or key link was moved out of place by hand, and write-back
        may put them back (see plansync.notes.order; the parser warned of the line). In a
        read-only note it may not: a warning says so, once the line, as the conflict of
        :meth:`_refuse` says it of a write the item needs (none here: the line is read as if
        in order, and syncs so)."""
        if in_order(entry.original) is None:
            return False
        if self._writable(entry.note.path):
            return True
        if entry.block_id not in self._left_out_of_order:
            self._left_out_of_order.add(entry.block_id)
            self.plan.warn(
                "the note's file is read-only: the line's id and key link stay out of order"
                " until it is made writable (chmod u+w); the item syncs otherwise",
                entry.note.path,
                entry.item.line,
            )
        return False

    def _writable(self, path: str) -> bool:
        """Whether the note at ``path`` may be written to (:func:`read_only`), asked once a
        note and only of a note a write is planned into: most notes of a vault synced before
        need none, and cost nothing here."""
        if path not in self._read_only:
            self._read_only[path] = read_only(note_file(self.config.vault_root, path))
        return not self._read_only[path]

    def _refuse(self, entry: Tracked, key: str | None, *, keyed: bool) -> None:
        """A conflict, once an item, in place of a write into its note, whose file is
        read-only (``keyed``: the write gives or takes off key links). Its owner made it so
        (archived notes), and write-back would rename a new file over it. An item whose id is
        not on its line waits, nothing made (its id goes there first); one whose id is, synced
        or not, is sent its changes all the same, its line left as it is. A read-only note
        that needs no write is synced as any other, with no conflict."""
        if entry.block_id in self._refused:
            return
        self._refused.add(entry.block_id)
        until = "until it is made writable (chmod u+w)"
        if entry.new_id and key is None:
            why = f"the item is held back (nothing is created) {until}: its id is written into"
            why += " the line before its record is made"
        else:
            parts = [f"id ^{entry.block_id}"] if entry.new_id else []
            if keyed:
                parts.append(f"key link ({key})" if key else "key link")
            what = " and ".join(parts)
            why = f"the line is not given its {what} {until}; the item syncs otherwise"
        on_line = not entry.new_id or entry.readopted  # else an id drawn by this plan only
        self.plan.changes.append(
            Change(
                action="conflict",
                target="note",
                item=entry.ref().model_copy(
                    update={"block_id": entry.block_id if on_line else None}
                ),
                key=key,
                message=f"the note's file is read-only: {why}",
            )
        )
