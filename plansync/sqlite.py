"""What plansync's two SQLite databases share, the state store (:mod:`plansync.engine.state`)
and the sandboxes' (:class:`plansync.sandbox.common.SqliteStore`): a connection that only reads
(:func:`reader`), for a plan, and a write transaction (:func:`transaction`).

Separate from the state store so that the sandboxes, which stand in for Jira and Salesforce,
open their databases as plansync opens its own without importing the engine; and one helper,
not one each, because the two had drifted apart on what a failed COMMIT leaves behind.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """A ``BEGIN IMMEDIATE`` transaction on ``db`` (opened with ``isolation_level=None``),
    committed at the end of the block and rolled back on any error while it is open, the
    COMMIT's own included.

    A COMMIT that fails may leave the transaction open (SQLite keeps it after a busy database
    or a deferred constraint that fails, so that it can be retried): left so, the connection
    held the write lock, read its own unsaved writes as if saved, and refused every later
    transaction ("cannot start a transaction within a transaction"). It may also have ended it
    already (a full disk, an I/O error), and a ROLLBACK then raised "cannot rollback - no
    transaction is active", which hid the error that mattered: so it is rolled back only while
    one is open.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def reader(path: Path) -> sqlite3.Connection:
    """A connection that only reads the database at ``path``, for a plan, which writes nothing
    (the state store, and an embedded sandbox's database, which a plan copies).

    Where plansync may write, read-write but query-only: a read-only connection to a WAL
    database creates its -wal and -shm files and, unable to checkpoint, leaves them behind
    when it closes. Where it may not (a read-only folder or file), read-only, and immutable
    unless a -wal file is there: SQLite cannot make the -shm file a read-only connection to a
    WAL database needs, and an immutable one needs none, but reads the main file alone, so
    it is used only where the -wal file, which may hold the last sync's writes, is not.
    """
    if os.access(path.parent, os.W_OK) and os.access(path, os.W_OK):
        query = "mode=rw"
    elif path.with_name(path.name + "-wal").exists():
        query = "mode=ro"
    else:
        query = "mode=ro&immutable=1"
    db = sqlite3.connect(f"{path.as_uri()}?{query}", uri=True, isolation_level=None)
    try:
        db.execute("PRAGMA query_only = ON")
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db
