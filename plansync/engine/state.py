"""The state store: what was last synced, and what is in flight.

One SQLite file in ``.plansync/`` beside the config. Per (block id, target) it keeps the remote
key and the fields as last synced: the *base* of the three-way diff, without which a change in
Jira could not be told from a change in the note. A journal row is written before any remote
create and closed in the commit that stores the keys (:meth:`StateStore.together`), so a run
that died mid-create leaves a trace that the next run resolves by looking the ids up (Jira
Cloud's search can lag a write; the journal says which ids to wait for rather than create
again). An entry names the note of each id, so a record made for a line deleted before that run
becomes an ordinary record of its note, and the backend it was sent to, so that it is only ever
looked up there.

Nothing here is precious: deleting the folder loses nothing that the notes' block ids and a
label lookup in Jira cannot rebuild.

Records made with a sandbox on this machine and records made with a real backend are kept apart
(:meth:`StateStore.bind`): trying a vault on the sandbox must not leave bases that a real Jira
is then compared with. One run at a time writes it: the run lock is
:mod:`plansync.engine.run_lock`'s.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from plansync.errors import PlansyncError
from plansync.notes.model import note_name
from plansync.sites import names_site, on_this_machine, same_site
from plansync.sqlite import reader, transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    block_id   TEXT NOT NULL,
    target     TEXT NOT NULL,
    key        TEXT NOT NULL,
    url        TEXT NOT NULL,
    note_path  TEXT NOT NULL,
    fields     TEXT NOT NULL,
    synced_at  REAL NOT NULL,
    site       TEXT,
    PRIMARY KEY (block_id, target)
);
CREATE TABLE IF NOT EXISTS journal (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    target      TEXT NOT NULL,
    operation   TEXT NOT NULL,  -- 'create', the journal's one kind: NOT NULL in older stores
    block_ids   TEXT NOT NULL,
    started_at  REAL NOT NULL,
    finished_at REAL,
    notes       TEXT,
    site        TEXT
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


RECORD_COLUMNS = "block_id, target, key, url, note_path, fields"
JOURNAL_ADDED = {"notes": "TEXT", "site": "TEXT"}
"""Journal columns that stores written before they were kept lack (added when next written)."""


def _record(row: tuple[Any, ...]) -> SyncedRecord:
    """A record as stored; its note's path as a scan names it (:func:`note_name`), for a store
    written before scans did to find its notes by it."""
    return SyncedRecord(
        row[0], row[1], row[2], row[3], note_name(row[4]), json.loads(row[5]), row[6]
    )


def _notes(stored: str | None) -> dict[str, str]:
    """A journal entry's note per block id, each path as a scan names it (:func:`note_name`)."""
    return {block_id: note_name(path) for block_id, path in json.loads(stored or "{}").items()}


class StateError(PlansyncError, sqlite3.DatabaseError):
    """A database under ``.plansync`` (the state store, an embedded sandbox's) is not one, is
    damaged or cannot be read or written, or the folder cannot hold the run lock; the message
    names the file and what to do. Also a ``sqlite3.DatabaseError``, so that code catching
    SQLite's errors catches it. ``path``: the file or folder at fault, where plansync knows it
    (None for an embedded sandbox's database, whose error names it)."""

    def __init__(self, message: str, *, path: Path | None = None):
        super().__init__(message)
        self.path = path


# What to do about an SQLite error, by the words of sqlite's own message for its result code
# (the same in every version; Python 3.10 has no ``sqlite_errorname``). Any other error is
# damage: a file that is not a database, a malformed page, a table missing.
_PERMISSIONS = "plansync cannot {verb} it: fix the permissions of {folder} and the files in it"
_ADVICE = (
    ("database or disk is full", "the disk is full: free some space on it and run again"),
    ("readonly", _PERMISSIONS.replace("{verb}", "write")),
    ("unable to open", _PERMISSIONS.replace("{verb}", "open")),
    ("permission denied", _PERMISSIONS.replace("{verb}", "open")),
    ("disk i/o error", "the disk failed to read or write it: check the disk and run again"),
    ("is locked", "another process is using it: run again once it is done"),
)
_DAMAGED = (
    "it keeps nothing the notes and the backends cannot give back: move it away and run again"
    " to rebuild it"
)


def _explained(path: Path, exc: sqlite3.Error) -> StateError:
    """``exc``, met using the database at ``path``, as a :class:`StateError` that names the
    file and says what to do about the cause. Moving a store away helps a damaged one only: one
    on a full disk or in a read-only folder is whole, and is told what its own cause needs;
    and the file is named whichever operation failed, not only its opening."""
    message = str(exc)
    advice = next((a for words, a in _ADVICE if words in message.lower()), _DAMAGED)
    return StateError(f"{path}: {message} ({advice.format(folder=path.parent)})", path=path)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _naming_the_file(
    method: Callable[Concatenate[StateStore, _P], _R],
) -> Callable[Concatenate[StateStore, _P], _R]:
    """A :class:`StateStore` method whose SQLite errors (a page found malformed at a read, a
    disk filling up at a write) name the store and say what to do, as its opening does."""

    @functools.wraps(method)
    def named(self: StateStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except (StateError, sqlite3.ProgrammingError):  # named already; plansync's own bug
            raise
        except sqlite3.DatabaseError as exc:
            raise _explained(self.path, exc) from None

    return named


@dataclass(frozen=True)
class SyncedRecord:
    block_id: str
    target: str
    key: str
    url: str
    note_path: str
    fields: dict[str, Any]
    site: str | None = None
    """The backend it was synced with (:func:`plansync.sites.site_of`); None: a record stored
    before sites were kept, known by its URL (:func:`plansync.sites.names_site`)."""


@dataclass(frozen=True)
class JournalEntry:
    """An open create: the ids sent to ``target`` in one call (the journal brackets nothing
    else)."""

    id: int
    target: str
    block_ids: list[str]
    notes: dict[str, str] = field(default_factory=dict)
    """Per block id, the note it was created from: a record the dead run made for a line
    deleted since becomes an ordinary record of that note (empty: an entry from before notes
    were kept, or an id not given one)."""
    site: str | None = None
    """The backend the create was sent to (:func:`plansync.sites.site_of`); None: not known."""


class StateStore:
    """Access to ``<dir>/state.db``. Use :func:`plansync.engine.run_lock.open_state` to hold
    the run lock as well."""

    def __init__(self, directory: Path, *, readonly: bool = False):
        self.directory = directory
        self._local: dict[str, bool] = {}
        """Per target, whether this run's backend is a sandbox on this machine (see bind)."""
        self._sites: dict[str, str] = {}
        """Per target, which backend this run's is (see bind), for the journal."""
        self._journal_columns: set[str] = set(JOURNAL_ADDED)
        self._record_site = True
        """Whether the records table has its ``site`` column (a store written before it was
        kept, read by a plan, has not: its records are known by their URLs)."""
        self._together = False
        """Whether the writes go into the transaction :meth:`together` holds open."""
        self.path = directory / "state.db"
        try:
            self._open(self.path, readonly)
        except sqlite3.DatabaseError as exc:  # not a database, a damaged one, a full disk
            if hasattr(self, "_db"):
                self._db.close()
            raise _explained(self.path, exc) from None

    def _open(self, path: Path, readonly: bool) -> None:
        directory = path.parent
        if readonly and path.exists():
            self._db = reader(path)
            if self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                have = {row[1] for row in self._db.execute("PRAGMA table_info(journal)")}
                self._journal_columns = set(JOURNAL_ADDED) & have
                columns = {row[1] for row in self._db.execute("PRAGMA table_info(records)")}
                self._record_site = "site" in columns
                return
            # An empty database (a zero-byte file: a first sync that died before its first
            # write): a sync would make its tables and go on, so a plan reads it as no store.
            self._db.close()
        if readonly:
            # Planning before the first sync: an empty store, and nothing created on disk.
            self._db = sqlite3.connect(":memory:", isolation_level=None)
        else:
            make_state_folder(directory)
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        if not readonly:
            self._add_journal_columns()
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('store_id', ?)", (uuid.uuid4().hex,)
            )

    def _add_journal_columns(self) -> None:
        """Give a journal written before its entries kept their notes and backend the columns,
        and records the backend each was synced with (a store opened read-only for a plan is
        read as it is: see :meth:`in_flight` and :meth:`_records_where`)."""
        have = {row[1] for row in self._db.execute("PRAGMA table_info(journal)")}
        for name, kind in JOURNAL_ADDED.items():
            if name not in have:
                self._db.execute(f"ALTER TABLE journal ADD COLUMN {name} {kind}")
        if "site" not in {row[1] for row in self._db.execute("PRAGMA table_info(records)")}:
            self._db.execute("ALTER TABLE records ADD COLUMN site TEXT")

    def _records_where(self, condition: str = "") -> str:
        """The query of the records (each with its site, NULL where the store keeps none)."""
        site = "site" if self._record_site else "NULL"
        return f"SELECT {RECORD_COLUMNS}, {site} FROM records{condition}"

    def close(self) -> None:
        self._db.close()

    # records -------------------------------------------------------------------------------

    def bind(self, target: str, local: bool, site: str | None = None) -> None:
        """From now on, show only the ``target`` records synced with the kind of backend this
        run uses: a sandbox on this machine (``local``) or a real one, and of a sandbox, only
        this very one (``site``, when known); and only the journal entries of creates sent to
        this very backend.

        A record's kind is told by its URL, so stores written before this was kept need no
        change. The records of the other kind, or of another sandbox (the embedded one and one
        ``plansync sandbox serve`` serves each number their issues from PLAN-1), are no base
        here (:meth:`elsewhere` lists them); a sync replaces them item by item, as it creates
        each item's record anew (or finds it, by its id, in a sandbox synced before). Records
        of another real site are still shown: a Jira moved to another host keeps its issues,
        and a sync never creates an item's record in a real backend by surprise.

        A journal entry says which ids to look up, and wait for, in the backend a dead run
        was creating them in: looked up in another (a trial's create in the real Jira, or
        the other way round), they are never found, and each wait for search to catch up
        is spent for nothing. So an entry is bound to the site it was sent to, more
        narrowly than records are to their kind: it stays open, untouched, until a run
        with that backend settles it.
        """
        self._local[target] = local
        if site is not None:
            self._sites[target] = site
        else:
            self._sites.pop(target, None)

    def _shown(self, record: SyncedRecord) -> bool:
        local = self._local.get(record.target)
        if local is None or not record.url:
            return True
        if on_this_machine(record.url) != local:
            return False
        site = self._sites.get(record.target)
        if not local or site is None:
            return True
        if record.site is not None:
            return same_site(record.site, site)
        # Stored before sites were kept: a link port of the embedded sandbox's may be it or a
        # sandbox served on that port (the default one). Hidden from either, the record would
        # lose its base, and a change made in the backend since would be overwritten.
        return names_site(record.url, site)

    @_naming_the_file
    def records(self, target: str | None = None) -> dict[tuple[str, str], SyncedRecord]:
        where = " WHERE target = ?" if target else ""
        rows = self._db.execute(self._records_where(where), (target,) if target else ())
        return {(r[0], r[1]): record for r in rows if self._shown(record := _record(r))}

    @_naming_the_file
    def elsewhere(self, target: str) -> list[SyncedRecord]:
        """The ``target`` records hidden by :meth:`bind`: synced with the other kind of backend,
        or with another sandbox."""
        rows = self._db.execute(self._records_where(" WHERE target = ?"), (target,))
        return [record for r in rows if not self._shown(record := _record(r))]

    @_naming_the_file
    def get(self, block_id: str, target: str) -> SyncedRecord | None:
        row = self._db.execute(
            self._records_where(" WHERE block_id = ? AND target = ?"), (block_id, target)
        ).fetchone()
        record = _record(row) if row else None
        return record if record is not None and self._shown(record) else None

    @_naming_the_file
    def save(self, record: SyncedRecord) -> None:
        """Store ``record``, with its site (default: the backend the store is bound to)."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO records"
                f" ({RECORD_COLUMNS}, synced_at, site) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.block_id,
                    record.target,
                    record.key,
                    record.url,
                    record.note_path,
                    json.dumps(record.fields, sort_keys=True),
                    time.time(),
                    record.site or self._sites.get(record.target),
                ),
            )
            self._bump()

    @_naming_the_file
    def forget(self, records: list[SyncedRecord]) -> None:
        """Stop tracking ``records``, all or none: the base is lost, the record itself is not,
        and a line that ends in its block id again is found by it as after a lost store."""
        if not records:  # no write: a saved plan stays fresh
            return
        with self._transaction():
            self._db.executemany(
                "DELETE FROM records WHERE block_id = ? AND target = ?",
                [(record.block_id, record.target) for record in records],
            )
            self._bump()

    # journal -------------------------------------------------------------------------------

    @_naming_the_file
    def begin(
        self,
        target: str,
        block_ids: list[str],
        *,
        notes: dict[str, str] | None = None,
        site: str | None = None,
    ) -> int:
        """Open an entry before the creates of ``block_ids`` are sent: ``notes`` names each
        one's note and ``site`` the backend (default: the one the store is bound to for
        ``target``)."""
        site = site if site is not None else self._sites.get(target)
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO journal (target, operation, block_ids, started_at, notes, site)"
                " VALUES (?, 'create', ?, ?, ?, ?)",
                (
                    target,
                    json.dumps(block_ids),
                    time.time(),
                    json.dumps(notes or {}, sort_keys=True),
                    site,
                ),
            )
            self._bump()
        return int(cursor.lastrowid or 0)

    @_naming_the_file
    def finish(self, entry_id: int) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE journal SET finished_at = ? WHERE id = ?", (time.time(), entry_id)
            )
            self._bump()

    @_naming_the_file
    def in_flight(self, target: str | None = None) -> list[JournalEntry]:
        """Journal entries that were started and never finished: a run died during them.

        Only those of the backend each target is bound to (see :meth:`bind`); an entry that
        does not say its backend (written before they did) is shown to every run."""
        extra = ", ".join(
            name if name in self._journal_columns else "NULL" for name in JOURNAL_ADDED
        )
        rows = self._db.execute(
            f"SELECT id, target, block_ids, {extra} FROM journal"
            " WHERE finished_at IS NULL" + (" AND target = ?" if target else "") + " ORDER BY id",
            (target,) if target else (),
        )
        entries = [JournalEntry(r[0], r[1], json.loads(r[2]), _notes(r[3]), r[4]) for r in rows]
        return [e for e in entries if self._ours(e)]

    def _ours(self, entry: JournalEntry) -> bool:
        """Whether ``entry`` was sent to the backend this run uses for its target."""
        site = self._sites.get(entry.target)
        return entry.site is None or site is None or same_site(entry.site, site)

    # vault ---------------------------------------------------------------------------------

    @_naming_the_file
    def vault(self) -> Path | None:
        """The vault the store serves, as a sync (or a forget) recorded it (:meth:`serve`).
        None: no store on disk yet, or one that no run has written since vaults were kept."""
        row = self._db.execute("SELECT value FROM meta WHERE name = 'vault'").fetchone()
        return Path(row[0]) if row else None

    @_naming_the_file
    def serves(self, root: Path) -> bool:
        """Whether the vault at ``root`` (resolved) is the one the store serves: the same
        folder, or one at the same place relative to the store's folder (a project copied or
        moved whole, config, store and vault, to another place or machine). True of a store
        that records none (:meth:`vault`): the first run to write it adopts it."""
        served = self.vault()
        if served is None or served == root:
            return True
        if served.is_dir() and root.is_dir() and served.samefile(root):  # another path to it
            return True
        relative = self._db.execute(
            "SELECT value FROM meta WHERE name = 'vault_relative'"
        ).fetchone()
        return relative is not None and relative[0] == self._relative(root)

    @_naming_the_file
    def serve(self, root: Path) -> None:
        """Record that the store serves the vault at ``root`` (resolved), for :meth:`serves`.
        No revision (see :meth:`revision`): a plan made before it was recorded is as fresh.
        A ``root`` that is no folder is not recorded: the run is refused for it (its scan)."""
        if not root.is_dir() or self.vault() == root:
            return
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [("vault", str(root)), ("vault_relative", self._relative(root))],
            )

    def _relative(self, root: Path) -> str:
        """``root`` relative to the folder the store's folder is in (the config's)."""
        return os.path.relpath(root, self.directory.parent.resolve())

    # revision ------------------------------------------------------------------------------

    @_naming_the_file
    def identity(self) -> str | None:
        """A random id the store gets when it is first written: a saved plan made with another
        store (this one deleted and made anew, or another copied over it) is stale even when
        the new store's revision counter has come round to the same number. None: no store on
        disk yet, or one that no run has written since ids were kept."""
        row = self._db.execute("SELECT value FROM meta WHERE name = 'store_id'").fetchone()
        return str(row[0]) if row else None

    @_naming_the_file
    def revision(self) -> int:
        """A counter bumped by every write: a saved plan made at another revision is stale."""
        row = self._db.execute("SELECT value FROM meta WHERE name = 'revision'").fetchone()
        return int(row[0]) if row else 0

    def _bump(self) -> None:
        self._db.execute(
            "INSERT INTO meta VALUES ('revision', '1') ON CONFLICT(name)"
            " DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    @contextmanager
    def together(self) -> Iterator[None]:
        """Make the writes inside one transaction, committed once when it is left: all of them
        or, left by an exception or a process killed within it, none.

        A commit is an ``fsync`` (``synchronous=FULL``), ~3 ms each: a commit per key would
        spend most of a first sync's create step on them (12,417 commits, ~42 s of 58 s, for
        3,000 notes). So a batch's keys and the close of its journal entry go in one, which
        loses nothing: until that commit the entry is open, and the next run looks its ids up
        before creating, as after a run killed before any key was stored (apply's protocol)."""
        if self._together:  # inside another: its writes are that one's
            yield
            return
        try:
            with self._transaction():
                self._together = True
                try:
                    yield
                finally:
                    self._together = False
        except (StateError, sqlite3.ProgrammingError):  # named already; plansync's own bug
            raise
        except sqlite3.DatabaseError as exc:  # its BEGIN or COMMIT: a full disk, a lock
            raise _explained(self.path, exc) from None

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self._together:  # a write inside :meth:`together`: committed with the others
            yield
            return
        with transaction(self._db):
            yield


def make_state_folder(directory: Path) -> None:
    """Make the folder of the state store and the run lock, which git then ignores: the store
    is this clone's (another clone keeps its own, see README), a merged copy of it would be a
    damaged one, and the lock is rewritten at every run (an Obsidian Git vault would commit it
    each time). Deleting the ``.gitignore`` opts out; it is not written again."""
    if directory.is_dir():
        return
    directory.mkdir(parents=True, exist_ok=True)
    with suppress(OSError):  # a nicety: a full disk fails the store's own write, not this
        (directory / ".gitignore").write_text(
            "# Written by plansync: its state is this clone's own, and not for git.\n*\n",
            encoding="utf-8",
        )
