"""The state store: records, the create journal and the revision counter."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest
from conftest import read_only, run_python_unprivileged

from plansync.config_load import config_from_dict
from plansync.connectors.base import Connector, OpResult, StatusMove
from plansync.engine.changes import Change, ItemRef
from plansync.engine.result import Outcome, Result
from plansync.engine.run_lock import open_state
from plansync.engine.state import (
    StateError,
    StateStore,
    SyncedRecord,
)
from plansync.engine.steps.journal import settle_journal
from plansync.engine.steps.run import Run
from plansync.engine.steps.transitions import send_transitions
from plansync.sites import EMBEDDED


def record(block_id: str = "ps-abc123", target: str = "jira", **fields: object) -> SyncedRecord:
    return SyncedRecord(
        block_id=block_id,
        target=target,
        key="PLAN-1",
        url="https://jira.example.com/browse/PLAN-1",
        note_path="meetings/2025-11-03 sync.md",
        fields={
            "summary": "Write the runbook — “quoted”",
            "due": "2025-11-10",
            "labels": ["plansync", block_id],
            "assignee": None,
            "status": "new",
            **fields,
        },
    )


def test_records_round_trip(tmp_path: Path) -> None:
    with open_state(tmp_path / "state") as state:
        assert state.records() == {} and state.get("ps-abc123", "jira") is None
        first = record()
        other = record("ps-zzz999", "salesforce")
        state.save(first)
        state.save(other)
        assert state.get("ps-abc123", "jira") == first
        assert state.get("ps-abc123", "salesforce") is None
        assert state.records("jira") == {("ps-abc123", "jira"): first}
        assert state.records() == {("ps-abc123", "jira"): first, ("ps-zzz999", "salesforce"): other}
        changed = record(due="2025-11-24", link="obsidian://open?vault=v")
        state.save(changed)  # replaces, never duplicates
        assert state.records("jira") == {("ps-abc123", "jira"): changed}
    with open_state(tmp_path / "state") as state:  # persisted
        assert state.get("ps-abc123", "jira") == changed
    with open_state(tmp_path / "state", lock=False) as state:  # and readable read-only
        assert state.get("ps-zzz999", "salesforce") == other


def test_a_store_serves_the_vault_it_recorded_by_any_path_to_it(tmp_path: Path) -> None:
    """The vault, recorded by one path (a link to it; on macOS, another case of its name),
    is the same folder by another: the same vault, not another one's store."""
    vault, other = tmp_path / "vault", tmp_path / "other"
    vault.mkdir()
    other.mkdir()
    (tmp_path / "link").symlink_to(vault)
    store = StateStore(tmp_path / "config" / ".plansync")
    assert store.vault() is None and store.serves(other)  # none recorded: adopted
    store.serve(tmp_path / "link")
    revision = store.revision()
    assert store.vault() == tmp_path / "link"
    assert store.serves(vault) and store.serves(tmp_path / "link")
    assert not store.serves(other)
    assert store.revision() == revision  # a plan made before is as fresh
    store.serve(tmp_path / "nowhere")  # a config's mistake, refused by its run: not recorded
    assert store.vault() == tmp_path / "link"
    store.close()


def test_a_bound_store_shows_only_records_of_its_kind_of_backend(tmp_path: Path) -> None:
    """A trial on a sandbox (a loopback URL) is no base for a real Jira, nor the other way."""
    real = record("ps-real01")
    trial = dataclasses.replace(
        record("ps-try001"), key="PLAN-9", url="http://127.0.0.1:8990/browse/PLAN-9"
    )
    unknown = dataclasses.replace(record("ps-old001"), url="")
    salesforce = dataclasses.replace(
        record("ps-sf0001", "salesforce"), url="https://127.0.0.1:8991/lightning/r/a01/view"
    )
    with open_state(tmp_path / "state") as state:
        for saved in (real, trial, unknown, salesforce):
            state.save(saved)
        assert len(state.records()) == 4 and state.elsewhere("jira") == []

        state.bind("jira", local=False)
        assert set(state.records("jira")) == {("ps-real01", "jira"), ("ps-old001", "jira")}
        assert state.get("ps-try001", "jira") is None and state.get("ps-real01", "jira") == real
        assert state.elsewhere("jira") == [trial]
        assert state.records("salesforce") == {("ps-sf0001", "salesforce"): salesforce}

        state.bind("jira", local=True)
        assert set(state.records("jira")) == {("ps-try001", "jira"), ("ps-old001", "jira")}
        assert state.get("ps-real01", "jira") is None and state.elsewhere("jira") == [real]

        # A record saved for the real backend replaces the trial's record of the same item.
        state.bind("jira", local=False)
        state.save(dataclasses.replace(trial, key="CLOUD-3", url="https://x.test/browse/CLOUD-3"))
        assert state.get("ps-try001", "jira") is not None and state.elsewhere("jira") == []


def test_a_store_bound_to_a_sandbox_shows_only_that_sandboxs_records(tmp_path: Path) -> None:
    """The embedded sandbox and one ``plansync sandbox serve`` serves each number their issues
    from PLAN-1: a record of one is no base for the other (every item was a conflict, "in the
    state store but Jira returns no record"). Each record keeps the site it was synced with, as
    a served sandbox on 8990 writes the links the embedded one's name; one stored before sites
    were kept is known by its URL, and one at a link port of the embedded sandbox's may be
    either's: shown to both, it keeps its base (hidden, a store synced with a sandbox served
    on 8990 lost every base at the upgrade, and the next sync overwrote edits made in Jira)."""
    embedded = dataclasses.replace(
        record("ps-emb001"), key="PLAN-1", url="http://127.0.0.1:8990/browse/PLAN-1"
    )
    served = dataclasses.replace(
        record("ps-srv001"), key="PLAN-1", url="http://127.0.0.1:8994/browse/PLAN-1"
    )
    on_8990 = dataclasses.replace(
        record("ps-srv002"), key="PLAN-2", url="http://127.0.0.1:8990/browse/PLAN-2"
    )
    real = record("ps-real01")
    with open_state(tmp_path) as state:
        state.save(embedded)  # unbound, as a store written before sites were kept
        state.save(served)
        state.bind("jira", local=True, site="127.0.0.1:8990")
        state.save(on_8990)
        state.bind("jira", local=False, site="acme.atlassian.net:443")
        state.save(real)
    for readonly in (False, True):
        with open_state(tmp_path, lock=not readonly) as state:
            state.bind("jira", local=True, site=EMBEDDED)
            assert set(state.records("jira")) == {("ps-emb001", "jira")}
            assert {r.block_id for r in state.elsewhere("jira")} == {
                "ps-srv001",
                "ps-srv002",
                "ps-real01",
            }
            state.bind("jira", local=True, site="127.0.0.1:8990")
            assert set(state.records("jira")) == {("ps-srv002", "jira"), ("ps-emb001", "jira")}
            state.bind("jira", local=True, site="127.0.0.1:8994")
            assert set(state.records("jira")) == {("ps-srv001", "jira")}
            state.bind("jira", local=True)  # a backend that does not say where it is
            assert len(state.records("jira")) == 3
            state.bind("jira", local=False, site="other.atlassian.net:443")  # real: any real
            assert set(state.records("jira")) == {("ps-real01", "jira")}


def test_a_records_table_from_before_sites_were_kept_is_read_and_upgraded(
    tmp_path: Path,
) -> None:
    with sqlite3.connect(tmp_path / "state.db") as db:
        db.executescript(
            "CREATE TABLE records (block_id TEXT NOT NULL, target TEXT NOT NULL, key TEXT NOT"
            " NULL, url TEXT NOT NULL, note_path TEXT NOT NULL, fields TEXT NOT NULL, synced_at"
            " REAL NOT NULL, PRIMARY KEY (block_id, target));"
            "INSERT INTO records VALUES ('ps-a', 'jira', 'PLAN-1',"
            " 'http://127.0.0.1:8990/browse/PLAN-1', 'n.md', '{}', 1.0);"
        )
    db.close()
    with open_state(tmp_path, lock=False) as state:  # a plan reads it as it is
        state.bind("jira", local=True, site=EMBEDDED)
        assert state.get("ps-a", "jira") is not None
        state.bind("jira", local=True, site="127.0.0.1:8990")  # or a sandbox served there
        assert state.get("ps-a", "jira") is not None
        state.bind("jira", local=True, site="127.0.0.1:8994")
        assert state.get("ps-a", "jira") is None
    with open_state(tmp_path) as state:  # a sync adds the column
        state.bind("jira", local=True, site="127.0.0.1:8990")
        served = dataclasses.replace(record("ps-b"), url="http://127.0.0.1:8990/browse/PLAN-1")
        state.save(served)
        assert state.get("ps-b", "jira") == dataclasses.replace(served, site="127.0.0.1:8990")
        old = state.get("ps-a", "jira")
        assert old is not None and old.site is None
        state.save(old)  # synced again: it keeps the site it is synced with from then on
        state.bind("jira", local=True, site=EMBEDDED)
        assert state.get("ps-a", "jira") is None


def test_journal_begin_finish_in_flight(tmp_path: Path) -> None:
    with open_state(tmp_path) as state:
        assert state.in_flight() == []
        first = state.begin("jira", ["ps-a", "ps-b"])
        second = state.begin("salesforce", ["ps-c"])
        third = state.begin("jira", ["ps-d"])
        assert [e.id for e in state.in_flight()] == [first, second, third]
        assert [e.block_ids for e in state.in_flight("jira")] == [["ps-a", "ps-b"], ["ps-d"]]
        entry = state.in_flight("salesforce")[0]
        assert (entry.id, entry.target, entry.block_ids) == (second, "salesforce", ["ps-c"])
        state.finish(first)
        assert [e.id for e in state.in_flight("jira")] == [third]
    # A run that died with entries open leaves them for the next run to see.
    with open_state(tmp_path) as state:
        assert [e.id for e in state.in_flight()] == [second, third]
        state.finish(second)
        state.finish(third)
        assert state.in_flight() == []


def committed(tmp_path: Path) -> tuple[set[tuple[str, str]], list[int]]:
    """The records and open journal entries another connection sees in the store: what a
    run killed now would leave to the next."""
    with open_state(tmp_path, lock=False) as other:
        return set(other.records()), [entry.id for entry in other.in_flight()]


def test_writes_made_together_are_one_commit_all_or_none(tmp_path: Path) -> None:
    """A create batch's keys and its journal entry's close are committed together: nothing of
    them is on disk before (a kill then leaves the entry open, the ids to look up), all of it
    after; an exception inside leaves none, as a kill would."""
    with open_state(tmp_path) as state:
        entry = state.begin("jira", ["ps-a", "ps-b"])
        revision = state.revision()
        commits: list[str] = []
        state._db.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
        with state.together():
            state.save(record("ps-a"))
            with state.together():  # one inside another: its writes are the outer one's
                state.save(record("ps-b"))
            state.finish(entry)
            assert set(state.records()) == {("ps-a", "jira"), ("ps-b", "jira")}  # its own
            assert committed(tmp_path) == (set(), [entry])
        assert commits == ["COMMIT"]
        assert committed(tmp_path) == ({("ps-a", "jira"), ("ps-b", "jira")}, [])
        assert state.revision() == revision + 3  # each write still bumps it

        second = state.begin("jira", ["ps-c"])
        with pytest.raises(RuntimeError, match="killed"), state.together():
            state.save(record("ps-c"))
            state.finish(second)
            raise RuntimeError("killed")
        assert committed(tmp_path) == ({("ps-a", "jira"), ("ps-b", "jira")}, [second])
        assert state.get("ps-c", "jira") is None
        state.save(record("ps-c"))  # the store goes on, a commit a write again
        assert committed(tmp_path)[0] == {("ps-a", "jira"), ("ps-b", "jira"), ("ps-c", "jira")}


def test_writes_together_on_a_full_disk_name_the_file_and_leave_none(tmp_path: Path) -> None:
    with open_state(tmp_path) as state:
        state.save(record())
        pages = state._db.execute("PRAGMA page_count").fetchone()[0]
        state._db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full now
        with pytest.raises(StateError) as raised, state.together():
            state.save(record("ps-def456"))
            state.save(record("ps-ghi789", summary="x" * 100_000))
        assert str(raised.value).startswith(f"{tmp_path / 'state.db'}: database or disk is full")
        assert set(state.records()) == {("ps-abc123", "jira")}


def test_a_write_whose_commit_fails_is_named_and_leaves_the_store_usable(
    tmp_path: Path,
) -> None:
    """SQLite keeps a transaction open after a COMMIT that fails for a busy database or a
    deferred constraint: the store then held the write lock, read the record it had not saved
    as saved, and refused every later write ("cannot start a transaction within a
    transaction"). A deferred foreign key that a trigger breaks makes the COMMIT fail here."""
    with open_state(tmp_path) as state:
        state._db.execute("PRAGMA foreign_keys = ON")
        state._db.executescript(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
            "CREATE TABLE child (parent INTEGER REFERENCES parent (id)"
            " DEFERRABLE INITIALLY DEFERRED);"
            "CREATE TRIGGER refused AFTER INSERT ON records BEGIN INSERT INTO child VALUES (1);"
            " END;"
        )
        with pytest.raises(StateError, match="FOREIGN KEY constraint failed") as raised:
            state.save(record())
        assert str(raised.value).startswith(str(tmp_path / "state.db"))
        assert state.records() == {}
        state._db.execute("DROP TRIGGER refused")
        state.save(record("ps-def456"))
    with open_state(tmp_path) as state:
        assert set(state.records()) == {("ps-def456", "jira")}


def test_journal_entries_are_shown_to_runs_with_the_backend_they_were_sent_to(
    tmp_path: Path,
) -> None:
    """A dead create is looked up (and waited for) only in the backend it was sent to: a
    trial's on the sandbox is not looked for in the real Jira, nor the other way round."""
    with open_state(tmp_path) as state:
        trial = state.begin("jira", ["ps-a"], site="this machine")
        real = state.begin("jira", ["ps-b"], site="acme.atlassian.net:443")
        old = state.begin("jira", ["ps-c"])  # unbound, no site given: not known
        sf = state.begin("salesforce", ["ps-d"], site="acme.my.salesforce.com:443")
        assert [e.id for e in state.in_flight()] == [trial, real, old, sf]

        state.bind("jira", local=False, site="acme.atlassian.net:443")
        assert [e.id for e in state.in_flight("jira")] == [real, old]
        assert [e.id for e in state.in_flight()] == [real, old, sf]
        bound = state.begin("jira", ["ps-e"], notes={"ps-e": "n.md"})
        (entry,) = [e for e in state.in_flight("jira") if e.id == bound]
        assert entry.site == "acme.atlassian.net:443" and entry.notes == {"ps-e": "n.md"}

        state.bind("jira", local=True, site="this machine")
        assert [e.id for e in state.in_flight("jira")] == [trial, old]
        state.bind("jira", local=True)  # a backend that does not say where it is: all
        assert [e.id for e in state.in_flight("jira")] == [trial, real, old, bound]


def test_a_journal_from_before_notes_and_sites_were_kept_is_read_and_upgraded(
    tmp_path: Path,
) -> None:
    with sqlite3.connect(tmp_path / "state.db") as db:
        db.executescript(
            "CREATE TABLE journal (id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL,"
            " operation TEXT NOT NULL, block_ids TEXT NOT NULL, started_at REAL NOT NULL,"
            " finished_at REAL);"
            """INSERT INTO journal (target, operation, block_ids, started_at)"""
            """ VALUES ('jira', 'create', '["ps-a"]', 1.0);"""
        )
    db.close()
    with open_state(tmp_path, lock=False) as state:  # a plan reads it as it is
        state.bind("jira", local=False, site="acme.atlassian.net:443")
        (entry,) = state.in_flight("jira")
        assert (entry.block_ids, entry.notes, entry.site) == (["ps-a"], {}, None)
    with open_state(tmp_path) as state:  # a sync adds the columns
        state.bind("jira", local=False, site="acme.atlassian.net:443")
        assert [e.block_ids for e in state.in_flight("jira")] == [["ps-a"]]
        state.begin("jira", ["ps-b"], notes={"ps-b": "n.md"})
        assert [(e.notes, e.site) for e in state.in_flight("jira")] == [
            ({}, None),
            ({"ps-b": "n.md"}, "acme.atlassian.net:443"),
        ]


def test_every_write_bumps_the_revision(tmp_path: Path) -> None:
    with open_state(tmp_path) as state:
        assert state.revision() == 0
        state.save(record())
        assert state.revision() == 1
        entry = state.begin("jira", ["ps-x"])
        assert state.revision() == 2
        state.finish(entry)
        assert state.revision() == 3
        state.save(record())  # the same record again still counts: a sync ran
        assert state.revision() == 4
        state.records()
        state.get("ps-abc123", "jira")
        state.in_flight()
        assert state.revision() == 4  # reads do not
    with open_state(tmp_path, lock=False) as state:
        assert state.revision() == 4


def test_a_read_only_open_of_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    folder = tmp_path / ".plansync"
    with open_state(folder, lock=False) as state:
        assert state.records() == {} and state.in_flight() == [] and state.revision() == 0
    assert not folder.exists()
    assert list(tmp_path.iterdir()) == []


def test_git_ignores_the_state_folder_a_sync_makes_and_a_removed_gitignore_stays_removed(
    tmp_path: Path,
) -> None:
    """The lock is rewritten at every run: an Obsidian Git vault committed it each time, and a
    state store merged from another clone is a damaged one."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    folder = tmp_path / ".plansync"
    with open_state(folder) as state:
        state.save(record())
    listed = subprocess.run(
        ["git", "-C", str(tmp_path), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert listed.stdout == ""
    (folder / ".gitignore").unlink()
    with open_state(folder) as state:
        state.save(record("ps-other"))
    assert not (folder / ".gitignore").exists()


def test_a_read_only_store_refuses_writes(tmp_path: Path) -> None:
    with open_state(tmp_path) as state:
        state.save(record())
    before = (tmp_path / "state.db").read_bytes()
    store = StateStore(tmp_path, readonly=True)
    try:
        with pytest.raises(StateError, match=r"readonly"):
            store.save(record(due="2026-01-01"))
        assert store.get("ps-abc123", "jira") == record()
    finally:
        store.close()
    assert (tmp_path / "state.db").read_bytes() == before


def test_a_read_only_open_leaves_no_files_behind(tmp_path: Path) -> None:
    """A plan reads the store: no -wal or -shm file may be left where a sync left none."""
    with open_state(tmp_path) as state:
        state.save(record())
    before = sorted(p.name for p in tmp_path.iterdir())
    with open_state(tmp_path, lock=False) as state:
        assert state.get("ps-abc123", "jira") == record()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_full_disk_is_named_and_not_taken_for_damage(tmp_path: Path) -> None:
    """Disk full during a sync said "Error: database or disk is full": no file, and at the
    open of a store, advice to move the store away, which is whole. SQLite rolls a
    transaction back itself on a full disk, and a ROLLBACK after it failed in its place."""
    with open_state(tmp_path) as state:
        state.save(record())
        pages = state._db.execute("PRAGMA page_count").fetchone()[0]
        state._db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full now
        with pytest.raises(StateError) as raised:
            state.save(record("ps-def456", summary="x" * 100_000))
        assert str(raised.value) == (
            f"{tmp_path / 'state.db'}: database or disk is full"
            " (the disk is full: free some space on it and run again)"
        )
        assert set(state.records()) == {("ps-abc123", "jira")}  # nothing half-written
    with open_state(tmp_path) as state:  # space again: the store goes on
        state.save(record("ps-def456"))
        assert len(state.records()) == 2


def test_a_damaged_page_met_after_the_open_names_the_file(tmp_path: Path) -> None:
    """The open reads only the first page: a plan of a store with zeroed pages said "Error:
    database disk image is malformed", not which file, nor what to do."""
    with open_state(tmp_path) as state:
        for n in range(200):
            state.save(record(f"ps-{n:06d}"))
    path = tmp_path / "state.db"
    with path.open("r+b") as file:  # every page but the first zeroed
        page = len(file.read(4096))
        file.write(b"\0" * (path.stat().st_size - page))
    with pytest.raises(StateError) as raised, open_state(tmp_path, lock=False) as state:
        state.records()
    assert str(raised.value) == (
        f"{path}: database disk image is malformed (it keeps nothing the notes and the"
        " backends cannot give back: move it away and run again to rebuild it)"
    )


def test_a_zero_byte_store_reads_as_none(tmp_path: Path) -> None:
    """A first sync that died before it wrote anything leaves an empty file, which a sync
    fills in; a plan said "Error: no such table: records"."""
    (tmp_path / "state.db").write_bytes(b"")
    with open_state(tmp_path, lock=False) as state:
        assert state.records() == {} and state.in_flight() == [] and state.identity() is None
    assert (tmp_path / "state.db").read_bytes() == b""  # a plan writes nothing
    with open_state(tmp_path) as state:
        state.save(record())
    with open_state(tmp_path, lock=False) as state:
        assert set(state.records()) == {("ps-abc123", "jira")}


def read_in_read_only_folder(folder: Path, *, lock: bool = False) -> str:
    """What a plan's open of the store in ``folder`` (a sync's with ``lock``) reads: the block
    ids, or the error; from a process that may not write there."""
    reader = (
        "import sys; from pathlib import Path\n"
        "from plansync.engine.run_lock import open_state\n"
        "try:\n    with open_state(Path(sys.argv[1]), lock=sys.argv[2] == 'lock') as state:\n"
        "        print(sorted(block for block, _ in state.records()))\n"
        "except Exception as error:\n    print(error)\n"
    )
    with read_only(folder):
        done = run_python_unprivileged(reader, str(folder), "lock" if lock else "read")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_plan_reads_a_store_in_a_read_only_folder(tmp_path: Path) -> None:
    """It failed, "attempt to write a readonly database … move it away and run again to
    rebuild it": reading a WAL database makes its -shm file, and the advice destroyed a
    healthy store. Nothing is made there now, and nothing is missed."""
    with open_state(tmp_path) as state:
        state.save(record())
    before = sorted(p.name for p in tmp_path.iterdir())
    assert read_in_read_only_folder(tmp_path) == "['ps-abc123']"
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert read_in_read_only_folder(tmp_path, lock=True) == (  # a sync writes: what to fix
        f"{tmp_path / 'state.db'}: attempt to write a readonly database (plansync cannot write"
        f" it: fix the permissions of {tmp_path} and the files in it)"
    )
    (tmp_path / "lock").unlink()
    assert read_in_read_only_folder(tmp_path, lock=True) == (
        f"cannot take the run lock {tmp_path / 'lock'}: Permission denied (fix the permissions"
        f" of {tmp_path}: a sync writes its state there)"
    )


def test_a_plan_reads_what_a_dead_sync_left_in_the_wal_of_a_read_only_folder(
    tmp_path: Path,
) -> None:
    """Its last writes are in the -wal file alone: reading the main file alone would miss
    them. Without the -shm file, which only a writer can make, it says what to fix."""
    writer = (
        "import os, sys; from pathlib import Path; from plansync.engine.state import StateStore\n"
        "from test_state import record\n"
        "store = StateStore(Path(sys.argv[1]))\n"
        "store._db.execute('PRAGMA wal_autocheckpoint = 0')\n"
        "store.save(record())\n"
        "os._exit(0)  # killed: no checkpoint, the -wal and -shm files stay\n"
    )
    tests = str(Path(__file__).parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-c", writer, str(tmp_path)], check=True, env=env)
    assert (tmp_path / "state.db-wal").stat().st_size > 0
    assert read_in_read_only_folder(tmp_path) == "['ps-abc123']"

    (tmp_path / "state.db-shm").unlink()
    assert read_in_read_only_folder(tmp_path) == (
        f"{tmp_path / 'state.db'}: unable to open database file (plansync cannot open it: fix"
        f" the permissions of {tmp_path} and the files in it)"
    )


def test_a_dead_runs_journal_entry_is_closed_once_its_ids_are_synced(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.begin("jira", ["ps-a", "ps-b"])  # a run died during this create
    config = config_from_dict({"rules": [{"project": "PLAN"}]}, source=tmp_path / "p.toml")
    run = Run(config, store, {})
    settle_journal(run, "jira", [])
    assert len(store.in_flight("jira")) == 1, "ids not yet known: still in flight"
    for block_id in ("ps-a", "ps-b"):
        store.save(SyncedRecord(block_id, "jira", "PLAN-1", "u", "n.md", {}))
    settle_journal(run, "jira", [])
    assert store.in_flight("jira") == []
    store.close()


class Moves:
    """A backend whose moves give the outcomes a test names, one per move."""

    max_batch = None

    def __init__(self, *outcomes: OpResult) -> None:
        self.outcomes = list(outcomes)

    def transition_many(self, moves: list[StatusMove]) -> list[OpResult]:
        return [self.outcomes.pop(0) for _ in moves]

    def request_count(self) -> int:
        return 0


def moved(
    tmp_path: Path, base: dict[str, object], old: str, new: str, outcome: OpResult
) -> tuple[dict[str, Any], Result, Outcome]:
    """Apply one move of the record ``base`` describes: what the store keeps after it, the
    run's result and the move's outcome."""
    store = StateStore(tmp_path)
    store.save(record(**base))
    config = config_from_dict({"rules": [{"project": "PLAN"}]}, source=tmp_path / "p.toml")
    backends = {"jira": cast(Connector, Moves(outcome))}
    run = Run(config, store, backends)
    item = ItemRef(note="meetings/sync.md", line=12, block_id="ps-abc123", text="Runbook")
    status = {"status": {"old": old, "new": new}}
    change = Change(action="transition", target="jira", key="PLAN-1", item=item, fields=status)
    send_transitions(run, "jira", [change])
    kept = store.get("ps-abc123", "jira")
    store.close()
    assert kept is not None
    return kept.fields, run.result, run.outcome_of(change)


HELD = "closed as 'Done': Jira offered no transition into a cancelled status"


def test_a_cancel_the_backend_holds_as_done_is_kept_beside_its_status_and_said_once(
    tmp_path: Path,
) -> None:
    """The store said cancelled alone, and every plan after read Done as a close made in
    Jira since. It keeps how Jira holds it, and the run warns once, naming the line."""
    outcome = OpResult(ok=True, key="PLAN-1", note=HELD, closed_as="done")
    fields, result, said = moved(tmp_path, {}, "new", "cancelled", outcome)
    assert (fields["status"], fields["closed_as"], fields["status_sent"]) == (
        "cancelled",
        "done",
        None,
    )
    assert result.warnings == [
        f"meetings/sync.md:12: PLAN-1 {HELD}; taken as synced until the line or the record changes"
    ]
    assert (said.status, said.closed_as, said.message) == ("applied", "done", HELD)


def test_a_move_the_backend_makes_as_asked_forgets_what_it_held_before(tmp_path: Path) -> None:
    """A reopen of a cancel held as done: the status the move made, nothing held otherwise."""
    base = {"status": "cancelled", "closed_as": "done"}
    fields, result, _ = moved(tmp_path, base, "done", "reopen", OpResult(ok=True, key="PLAN-1"))
    assert (fields["status"], fields["closed_as"]) == ("new", None)
    assert result.warnings == []


def test_a_failed_move_keeps_what_the_backend_held(tmp_path: Path) -> None:
    base = {"status": "cancelled", "closed_as": "done"}
    failed = OpResult(ok=False, key="PLAN-1", error="refused")
    fields, result, _ = moved(tmp_path, base, "done", "reopen", failed)
    assert (fields["status"], fields["closed_as"], fields["status_sent"]) == (
        "cancelled",
        "done",
        "new",
    )
    assert result.warnings == [] and len(result.errors) == 1
