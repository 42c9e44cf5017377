"""A note whose file name comes back in another Unicode normalisation is the same note.

macOS hands out decomposed (NFD) names, and a vault synced through Dropbox or Syncthing may flip
a name between NFD and NFC. The note was synced under one name and found under the other: every
record's link and description showed an "update" that changed nothing a person could see. These
tests make real files with both names (where the file system keeps names as given).
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from plansync.cli import main
from plansync.notes.vault import note_file, scan_vault

NFC = unicodedata.normalize("NFC", "Réunion café.md")
NFD = unicodedata.normalize("NFD", NFC)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def keeps_names_as_given(folder: Path) -> bool:
    """Whether the file system keeps both spellings apart (Linux does; macOS does not)."""
    probe = folder / NFD
    probe.touch()
    try:
        return not (folder / NFC).exists()
    finally:
        probe.unlink()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    if not keeps_names_as_given(tmp_path):
        pytest.skip("this file system finds a name in either normalisation")
    return tmp_path


def test_a_note_is_named_in_nfc_and_its_file_found_under_its_own_name(folder: Path) -> None:
    subfolder = unicodedata.normalize("NFD", "Sous-dossier é")
    (folder / subfolder).mkdir()
    (folder / subfolder / NFD).write_text("- [ ] Draft the plan\n", "utf-8")
    (folder / "plain.md").write_text("- [ ] Book the room\n", "utf-8")
    vault = scan_vault(folder)
    named = unicodedata.normalize("NFC", f"{subfolder}/{NFD}")
    assert [note.path for note in vault.notes] == [named, "plain.md"]
    assert vault.notes[0].title == NFC.removesuffix(".md")
    assert note_file(folder, named) == folder / subfolder / NFD
    assert note_file(folder, "plain.md") == folder / "plain.md"
    assert note_file(folder, "gone é.md") == folder / "gone é.md"  # for the caller to miss


def test_two_files_named_alike_but_for_normalisation_are_read_once_with_a_warning(
    folder: Path,
) -> None:
    """Read as one note, the second file's ids would be written back into the first. The one
    named in NFC is read (the NFD name, "Re" + U+0301, comes first in the walk): the file a
    plan's check and a sync's write-back open by the note's name."""
    (folder / NFC).write_text("- [ ] Draft the plan\n", "utf-8")
    (folder / NFD).write_text("- [ ] Book the room\n", "utf-8")
    vault = scan_vault(folder)
    assert [note.path for note in vault.notes] == [NFC]
    assert [(w.path, w.message) for w in vault.warnings] == [
        (NFD, f"named as {NFC} but for its Unicode normalisation; skipped")
    ]
    assert vault.notes[0].items[0].text == "Draft the plan"


@pytest.mark.parametrize("twins", ["files", "folders"])
def test_a_vault_with_twins_named_but_for_normalisation_syncs_the_one_named_in_nfc(
    folder: Path, twins: str
) -> None:
    """The walk read the NFD twin while the plan's check opened the NFC one: every plan
    failed, "changed while plansync read it"."""
    assert run("init", folder).exit_code == 0
    inner = Path("Équipe") if twins == "folders" else Path()
    for form, name, text in (("NFC", NFC, "Draft the plan"), ("NFD", NFD, "Book the room")):
        file = folder / unicodedata.normalize(form, str(inner)) / name
        file.parent.mkdir(exist_ok=True)
        file.write_text(f"- [ ] {text}\n", "utf-8")
    result = run("sync", "--yes", "--config", folder / "plansync.toml")
    assert result.exit_code == 0, result.output
    assert "Unicode normalisation; skipped" in result.output
    read = folder / unicodedata.normalize("NFC", str(inner / NFC))
    assert "^ps-" in read.read_text("utf-8")
    skipped = folder / unicodedata.normalize("NFD", str(inner / NFD))
    assert skipped.read_text("utf-8") == "- [ ] Book the room\n"


def test_a_note_renamed_to_nfd_after_a_sync_plans_nothing_and_is_written_under_its_name(
    folder: Path, clean_env: None
) -> None:
    """Synced as NFC (so the state store holds that name), then found as NFD."""
    assert run("init", folder).exit_code == 0
    config = folder / "plansync.toml"
    (folder / NFC).write_text("- [ ] Draft the plan\n", "utf-8")
    assert run("sync", "--yes", "--config", config).exit_code == 0
    (folder / NFC).rename(folder / NFD)

    plan = json.loads(run("plan", "--json", "--config", config).stdout)
    assert plan["changes"] == []

    with (folder / NFD).open("a", encoding="utf-8") as note:
        note.write("- [ ] Book the room\n")
    assert run("sync", "--yes", "--config", config).exit_code == 0
    assert sorted(p.name for p in folder.glob("*.md")) == [NFD]  # written under its own name
    lines = (folder / NFD).read_text("utf-8").splitlines()
    assert [" ^ps-" in line for line in lines] == [True, True]
    assert json.loads(run("plan", "--json", "--config", config).stdout)["changes"] == []
    with sqlite3.connect(folder / ".plansync" / "state.db") as db:
        assert {row[0] for row in db.execute("SELECT note_path FROM records")} == {NFC}
