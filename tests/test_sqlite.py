"""The SQLite write transaction the state store and the sandboxes share: what a COMMIT that
fails leaves behind. SQLite keeps the transaction open when a deferred constraint fails at
COMMIT (as after a busy database), which is how these tests make one fail."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from plansync.sqlite import transaction

DEFERRED = (
    "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
    "CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);"
)


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute("PRAGMA foreign_keys = ON")
    connection.executescript(DEFERRED)
    yield connection
    connection.close()


def test_a_commit_that_fails_is_rolled_back_and_raised(db: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"), transaction(db):
        db.execute("INSERT INTO child VALUES (1)")  # no parent 1: refused at COMMIT
    assert not db.in_transaction  # left open, it refused every later transaction
    assert db.execute("SELECT count(*) FROM child").fetchone() == (0,)
    with transaction(db):
        db.execute("INSERT INTO parent VALUES (1)")
        db.execute("INSERT INTO child VALUES (1)")
    assert db.execute("SELECT count(*) FROM child").fetchone() == (1,)


def test_an_error_in_the_block_is_rolled_back_and_raised(db: sqlite3.Connection) -> None:
    with pytest.raises(KeyError), transaction(db):
        db.execute("INSERT INTO parent VALUES (1)")
        raise KeyError("mine")
    assert not db.in_transaction
    assert db.execute("SELECT count(*) FROM parent").fetchone() == (0,)
