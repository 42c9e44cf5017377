"""Files replaced whole, and the temporary files of killed runs removed once abandoned."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from plansync.files import ABANDONED_AFTER, remove_abandoned, replace_whole, temps_of
from plansync.notes.vault import write_temp_for


def aged(path: Path, seconds: float = ABANDONED_AFTER + 60) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_a_file_is_replaced_whole_on_disk_with_its_permissions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flushed to disk before the rename, or a power cut could leave the renamed file empty;
    readable by none but its owner until it has the file's own permissions: a note of mode
    600 was copied to one of the umask's (644) meanwhile."""
    target = tmp_path / "n.md"
    target.write_bytes(b"old")
    target.chmod(0o600)
    synced: list[int] = []
    modes: list[int] = []
    real_fsync, real_chmod = os.fsync, os.chmod
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))

    def chmod(path: str | os.PathLike[str], mode: int) -> None:
        modes.append(os.stat(path).st_mode & 0o777)
        real_chmod(path, mode)

    monkeypatch.setattr(os, "chmod", chmod)
    assert replace_whole(target, b"new", suffix=".tmp")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o600
    assert synced and modes == [0o600]
    assert [p.name for p in tmp_path.iterdir()] == ["n.md"]


def test_a_new_file_has_the_permissions_every_new_file_gets(tmp_path: Path) -> None:
    """Not mkstemp's 600: a saved plan was made 644 (under a 022 umask), as any file is."""
    umask = os.umask(0o022)
    try:
        target = tmp_path / "plan.json"
        assert replace_whole(target, b"{}", suffix=".partial")
    finally:
        os.umask(umask)
    assert target.read_bytes() == b"{}"
    assert target.stat().st_mode & 0o777 == 0o644


def test_a_file_someone_saved_meanwhile_is_left_as_they_saved_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "n.md"
    target.write_bytes(b"read")
    real_fsync = os.fsync

    def saved_meanwhile(fd: int) -> None:
        real_fsync(fd)
        target.write_bytes(b"saved by the user")

    monkeypatch.setattr(os, "fsync", saved_meanwhile)
    assert not replace_whole(target, b"new", suffix=".tmp", expected=b"read")
    assert target.read_bytes() == b"saved by the user"
    assert [p.name for p in tmp_path.iterdir()] == ["n.md"], "no temporary file is left"


def test_a_failed_rename_is_its_own_error_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "n.md"
    target.write_bytes(b"old")

    def refused(src: str, dst: str) -> None:
        raise PermissionError(1, "Operation not permitted", str(dst))

    monkeypatch.setattr(os, "replace", refused)
    with pytest.raises(PermissionError, match="Operation not permitted"):
        replace_whole(target, b"new", suffix=".tmp")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["n.md"]


def test_the_temporary_file_is_named_as_the_walk_and_temps_of_find_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Caught at the rename, where a kill leaves it; a name taken already is never reused."""
    target = tmp_path / "n.md"
    target.write_bytes(b"old")
    taken = tmp_path / ".n.md.00000000.plansync-tmp"
    taken.write_bytes(b"another run's")
    names = iter(["00000000", "abcdef12"])
    monkeypatch.setattr("plansync.files.secrets.token_hex", lambda _n: next(names))
    left: list[Path] = []
    real_replace = os.replace

    def killed(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        left.append(Path(src))
        real_replace(src, src)  # a no-op: the kill came first

    monkeypatch.setattr(os, "replace", killed)
    replace_whole(target, b"new", suffix=".plansync-tmp")
    assert [p.name for p in left] == [".n.md.abcdef12.plansync-tmp"]
    assert taken.read_bytes() == b"another run's"
    assert write_temp_for(left[0].name) == "n.md"
    assert sorted(temps_of(target, ".plansync-tmp")) == sorted([taken, *left])


def test_temps_of_takes_only_its_file_s_temporary_files(tmp_path: Path) -> None:
    """A plan's of older plansync were named for a process id; a copy, another file's
    temporary file or a file in a folder that cannot be read is none."""
    plan = tmp_path / "plan.json"
    ours = [tmp_path / ".plan.json.4452.partial", tmp_path / ".plan.json.abcdef12.partial"]
    others = [
        tmp_path / ".plan.json.4452.partial.bak",
        tmp_path / ".other.json.4452.partial",
        tmp_path / ".plan.json.4452.plansync-tmp",
        tmp_path / ".plan.json..partial",
    ]
    for path in ours + others:
        path.write_text("")
    assert sorted(temps_of(plan, ".partial")) == sorted(ours)
    assert temps_of(tmp_path / "no such folder" / "plan.json", ".partial") == []


def test_only_what_is_old_a_regular_file_and_still_there_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead, live, stuck = tmp_path / "dead", tmp_path / "live", tmp_path / "stuck"
    for path in (dead, live, stuck):
        path.write_text("")
    aged(dead)
    aged(stuck)
    link = tmp_path / "link"
    link.symlink_to(dead)
    then = time.time() - ABANDONED_AFTER - 60
    os.utime(link, (then, then), follow_symlinks=False)
    real_unlink = os.unlink

    def refused(path: str | os.PathLike[str], **kwargs: object) -> None:
        if Path(path) == stuck:
            raise PermissionError(13, "Permission denied", str(path))
        real_unlink(path)

    monkeypatch.setattr(os, "unlink", refused)
    removed, failed = remove_abandoned([dead, live, link, stuck, tmp_path / "gone"])
    assert removed == [dead]
    assert [(path, exc.strerror) for path, exc in failed] == [(stuck, "Permission denied")]
    assert live.exists() and stuck.exists() and link.is_symlink()
