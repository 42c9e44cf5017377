"""The run lock: one run at a time, the holder named to those it keeps out, a wait."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

from plansync.callers import CommandLine
from plansync.engine import run_lock as run_lock_module
from plansync.engine.run_lock import StateLocked, open_state, run_lock
from plansync.engine.state import StateError, SyncedRecord, make_state_folder


def test_the_lock_refuses_a_second_holder(tmp_path: Path) -> None:
    with run_lock(tmp_path):
        with pytest.raises(StateLocked) as caught, run_lock(tmp_path):
            pass
        message = str(caught.value)
        # this very process holds it: another thread, or a call not finished (a user test)
        assert message.startswith(f"a plansync call of this process (pid {os.getpid()}, started")
        assert ": another thread's, or an earlier call not finished) holds the lock" in message
        assert str(tmp_path / "lock") in message
        assert caught.value.path == tmp_path / "lock" and caught.value.pid == os.getpid()
        with pytest.raises(StateLocked) as again, open_state(tmp_path):
            pass
        # a refused call leaves the holder as it found it: still this process's
        assert str(again.value).startswith("a plansync call of this process (pid")
        with open_state(tmp_path, lock=False) as state:  # planning needs no lock
            assert state.revision() == 0
    with run_lock(tmp_path):  # released
        pass


def test_a_thread_refused_the_lock_as_another_takes_it_names_that_thread_s_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between a thread's ``flock`` and its lock file written, another thread was refused
    and said "a plansync call of this process (another process: another thread's, ...)" (28%
    of the refusals of four threads syncing at once, a user test). The taker here lingers in
    that window: the refused thread must name it all the same."""
    taking = threading.Event()
    real_strftime = time.strftime

    def lingering(form: str) -> str:  # called once the lock is taken, before it is named
        taking.set()
        time.sleep(0.3)
        return real_strftime(form)

    monkeypatch.setattr(run_lock_module.time, "strftime", lingering)
    release = threading.Event()

    def hold() -> None:
        with run_lock(tmp_path):
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taking.wait(10)
        with pytest.raises(StateLocked) as caught, run_lock(tmp_path):
            pass
    finally:
        release.set()
        holder.join()
    assert str(caught.value).startswith(f"a plansync call of this process (pid {os.getpid()},")
    assert caught.value.pid == os.getpid()


def test_a_lock_naming_this_process_s_pid_held_elsewhere_is_another_run_s(
    tmp_path: Path,
) -> None:
    """Another machine or container sharing the folder may run a process of our pid: the pid
    the lock file names was taken for ours, and "a plansync call of this process" misled."""
    make_state_folder(tmp_path)
    with open(tmp_path / "lock", "a+") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        holder.write(f"pid {os.getpid()}, started 2026-12-03 09:00:00")
        holder.flush()
        with pytest.raises(StateLocked) as caught, run_lock(tmp_path):
            pass
    assert str(caught.value).startswith(
        f"another plansync run (pid {os.getpid()}, started 2026-12-03 09:00:00) holds the lock"
    )
    assert caught.value.pid == os.getpid()  # the lock file's, which may be another machine's


@contextmanager
def held(directory: Path) -> Iterator[IO[str]]:
    """The run lock held by another holder: a file of its own (flock locks are per open file),
    taken in this thread; closing it lets the lock go."""
    make_state_folder(directory)
    with open(directory / "lock", "a+") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        holder.write("pid 4242, started 2026-12-03 09:00:00")
        holder.flush()
        yield holder


def test_a_run_told_to_wait_takes_the_lock_once_it_is_let_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    waits: list[float] = []
    with held(tmp_path) as holder:

        def the_holder_finishes(seconds: float) -> None:  # while the run waits
            waits.append(seconds)
            holder.close()

        monkeypatch.setattr(run_lock_module, "_sleep", the_holder_finishes)
        with open_state(tmp_path, wait=60) as state:
            state.save(SyncedRecord("ps-abc123", "jira", "PLAN-1", "u", "n.md", {}))
    assert waits == [run_lock_module.LOCK_POLL_S]  # it waited once, then took the lock
    # and said so once, as it waited: a run that waits in silence reads as a hang
    assert [r.getMessage() for r in caplog.records] == [
        f"another plansync run (pid 4242, started 2026-12-03 09:00:00) holds the lock"
        f" {tmp_path / 'lock'}; waiting up to 60 s for it"
    ]


@pytest.mark.parametrize("wait", [-1.0, float("nan")])
def test_a_wait_that_is_no_number_of_seconds_is_refused_before_any_waiting(
    tmp_path: Path, wait: float
) -> None:
    """From Python, nan reached the loop, whose deadline never came."""
    with (
        held(tmp_path),
        pytest.raises(ValueError, match="wait must be"),
        run_lock(tmp_path, wait=wait),
    ):
        pass


def test_a_run_that_waited_in_vain_says_how_long(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [0.0]
    monkeypatch.setattr(run_lock_module, "_clock", lambda: clock[0])
    monkeypatch.setattr(run_lock_module, "_sleep", lambda s: clock.__setitem__(0, clock[0] + s))
    with held(tmp_path):
        with pytest.raises(StateLocked) as caught, run_lock(tmp_path, wait=30):
            pass
        assert clock[0] == 30  # it tried until the wait was over, and no longer
        assert str(caught.value) == (
            f"another plansync run (pid 4242, started 2026-12-03 09:00:00) holds the lock"
            f" {tmp_path / 'lock'} after 30 s of waiting; wait for it to finish"
        )
        with pytest.raises(StateLocked) as at_once, run_lock(tmp_path):
            pass
        assert clock[0] == 30
        # In the caller's words: an argument to the library's call, an option to the command.
        assert str(at_once.value).endswith("; wait for it to finish, or give wait=SECONDS")
        with pytest.raises(StateLocked) as told, run_lock(tmp_path, caller=CommandLine()):
            pass
        assert str(told.value).endswith("; wait for it to finish, or give --wait SECONDS")


def test_a_file_where_the_state_folder_belongs_is_named_as_such(tmp_path: Path) -> None:
    """It said "cannot take the run lock .../.plansync/lock: File exists"."""
    (tmp_path / ".plansync").write_text("not a folder")
    with pytest.raises(StateError) as raised, run_lock(tmp_path / ".plansync"):
        pass
    assert str(raised.value) == (
        f"{tmp_path / '.plansync'} is a file, not a folder: plansync keeps its state and lock"
        " there; move the file away"
    )


@pytest.mark.parametrize(
    ("stop", "raised"),
    [
        (OSError(28, "No space left on device"), StateError),
        (KeyboardInterrupt(), KeyboardInterrupt),
    ],
)
def test_a_lock_whose_file_cannot_be_written_is_let_go_and_not_said_to_be_held_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop: BaseException, raised: type
) -> None:
    """The lock was registered as held by this process before its file was written: a write
    that failed (a full disk, Ctrl-C) left it registered, and a later run refused by another
    process's lock said "a plansync call of this process" holds it."""

    def fails(_format: str) -> str:
        raise stop

    with monkeypatch.context() as patched:
        patched.setattr(run_lock_module.time, "strftime", fails)
        with pytest.raises(raised) as caught, run_lock(tmp_path):
            pass
    if raised is StateError:
        assert str(caught.value) == (
            f"cannot write the run lock {tmp_path / 'lock'}: No space left on device"
        )
    with open(tmp_path / "lock", "a+") as other:  # another run (any pid) takes it at once
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        other.seek(0)
        other.truncate()
        other.write("pid 4242, started 2026-12-05 01:00:00")
        other.flush()
        with pytest.raises(StateLocked) as refused, run_lock(tmp_path):
            pass
    assert str(refused.value).startswith(
        "another plansync run (pid 4242, started 2026-12-05 01:00:00) holds the lock"
    ), refused.value


def test_the_lock_is_released_when_the_run_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), open_state(tmp_path):
        raise RuntimeError("the run died")
    with open_state(tmp_path):
        pass


def test_the_lock_refuses_another_process(tmp_path: Path) -> None:
    holder = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from plansync.engine.run_lock import run_lock
        with run_lock(Path(sys.argv[1])):
            print("held", flush=True)
            sys.stdin.readline()
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", holder, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdin is not None
        assert process.stdout.readline().strip() == "held"
        with pytest.raises(StateLocked) as caught, open_state(tmp_path):
            pass
        assert f"pid {process.pid}" in str(caught.value)
        assert "wait for it to finish" in str(caught.value)
        process.stdin.write("\n")
        process.stdin.flush()
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with open_state(tmp_path) as state:  # free once the other process is gone
        state.save(SyncedRecord("ps-abc123", "jira", "PLAN-1", "u", "n.md", {}))


def test_a_lock_left_by_a_killed_process_does_not_block(tmp_path: Path) -> None:
    holder = (
        "import sys, time; from pathlib import Path\n"
        "from plansync.engine.run_lock import run_lock\n"
        "with run_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", holder, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "held"
    finally:
        process.kill()
        process.wait()
    assert (tmp_path / "lock").exists()  # the file stays; the flock died with the process
    with open_state(tmp_path) as state:
        assert state.revision() == 0
