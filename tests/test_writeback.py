"""Write-back: only inserted bytes change, every item survives, doing it twice is a no-op."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plansync.notes.note_file import decode_line, decode_note
from plansync.notes.parse import parse_text
from plansync.notes.vault import write_temp_for
from plansync.notes.writeback import (
    LineEdit,
    WriteBackError,
    abandoned_temps,
    apply_line_edits,
    ends_a_line,
    plan_line_edit,
    read_only,
    refusal,
    remove_abandoned_temps,
    write_back,
)

JIRA = ("CLOUD-12", "https://example.atlassian.net/browse/CLOUD-12")
SF = (
    "a01Qy00000AbCdE",
    "https://example.lightning.force.com/lightning/r/RFE__c/a01Qy00000AbCdE/view",
)


def edit_line(
    line: str,
    block_id: str | None,
    links: dict[str, tuple[str, str]],
    keys: dict[str, str] | None = None,
) -> str:
    """``line`` with the splices of :func:`plan_line_edit` applied, as text."""
    for start, end, text in reversed(plan_line_edit(line, block_id, links, keys=keys)):
        line = line[:start] + text + line[end:]
    return line


def is_pure_insertion(before: bytes, after: bytes) -> bool:
    """Whether ``after`` is ``before`` with bytes inserted and none removed or changed."""
    i = 0
    for byte in after:
        if i < len(before) and before[i] == byte:
            i += 1
    return i == len(before)


def test_key_link_goes_before_the_fields_and_block_id_at_the_end() -> None:
    line = "- [ ] Draft the plan @Myself 📅 2025-10-27 ⏫ #task"
    edited = edit_line(line, "ps-7k2m9q", {"jira": JIRA})
    assert edited == (
        "- [ ] Draft the plan @Myself [CLOUD-12](https://example.atlassian.net/browse/CLOUD-12)"
        " 📅 2025-10-27 ⏫ #task ^ps-7k2m9q"
    )
    item = parse_text(edited).items[0]
    assert (item.due.isoformat(), item.priority, item.owner) == ("2025-10-27", "high", "Myself")
    assert item.keys == {"jira": "CLOUD-12"}
    assert item.block_id == "ps-7k2m9q"
    assert item.text == "Draft the plan"


def test_damaged_line_keeps_its_damaged_bytes() -> None:
    line = "- [ ] Clarify VASTâ€™s lifecycle @Myself ğŸ“… 2025-10-27 â« #task"
    edited = edit_line(line, "ps-1", {"jira": JIRA})
    assert edited.startswith("- [ ] Clarify VASTâ€™s lifecycle @Myself [CLOUD-12](")
    assert edited.endswith(") ğŸ“… 2025-10-27 â« #task ^ps-1")
    item = parse_text(edited).items[0]
    assert item.keys == {"jira": "CLOUD-12"} and item.repaired and item.priority == "high"


@pytest.mark.parametrize(
    "line",
    [
        "Â\xa0- [ ] Indented by a double-encoded no-break space @Myself",
        "\xa0\x85- [ ] Indented by odd whitespace @Myself",
        "- [Ã©] A damaged status character",
        "> - [ ] In a callout @Myself ğŸ“… 2025-10-27",
    ],
)
def test_the_parser_and_write_back_agree_on_which_lines_are_items(line: str) -> None:
    """Both read a line's structure from the same (repaired) text: an item the parser finds is
    one write-back can edit, and a line it does not is one write-back refuses."""
    items = parse_text(line + "\n").items
    if items:
        edited = edit_line(line, "ps-1", {"jira": JIRA})
        (item,) = parse_text(edited + "\n").items
        assert (item.block_id, item.keys, item.text) == (
            "ps-1",
            {"jira": "CLOUD-12"},
            items[0].text,
        )
    else:
        with pytest.raises(WriteBackError):
            edit_line(line, "ps-1", {"jira": JIRA})


@pytest.mark.parametrize(
    "text", ["Fix array[0 index bug", "Review [draft doc", "esc \x1b[31mred", "a arr[0] x[1 y"]
)
def test_a_bracket_that_opens_no_link_keeps_the_text_and_owner_before_the_key_link(
    text: str,
) -> None:
    """A user test: after the first sync wrote ``[PLAN-1](…)``, the next plan read the link
    from the unmatched "[" on, cut the summary to "Fix array" and unassigned the issue."""
    edited = edit_line(f"- [ ] {text} @Myself 📅 2025-12-01 #task", "ps-1", {"jira": JIRA})
    item = parse_text(edited).items[0]
    assert (item.text, item.owner, item.keys) == (text, "Myself", {"jira": "CLOUD-12"})


def test_existing_key_link_is_replaced_in_place() -> None:
    line = edit_line("- [ ] Task 📅 2025-01-02", "ps-1", {"jira": JIRA})
    moved = edit_line(
        line, "ps-1", {"jira": ("CLOUD-13", "https://example.atlassian.net/browse/CLOUD-13")}
    )
    assert "CLOUD-12" not in moved and moved.count("CLOUD-13") == 2
    assert parse_text(moved).items[0].keys == {"jira": "CLOUD-13"}


@pytest.mark.parametrize(
    "line",
    [
        "- [ ] Review [CLOUD-7](https://example.atlassian.net/browse/CLOUD-7) with Dana",
        "- [ ] Review [CLOUD-7](https://example.atlassian.net/browse/CLOUD-7) @Dana 📅 2025-01-02",
    ],
)
def test_a_ticket_the_text_mentions_is_not_replaced_by_the_key(line: str) -> None:
    """The planner read the line as naming no key (``keys={}``): the new key goes after the
    link, which the parser alone takes for the key, as the last link to Jira; it was replaced.
    The id is written first, as apply does."""
    with_id = edit_line(line, "ps-1", {}, keys={})
    edited = edit_line(with_id, "ps-1", {"jira": JIRA}, keys={})
    assert "[CLOUD-7](https://example.atlassian.net/browse/CLOUD-7)" in edited
    assert parse_text(edited).items[0].keys == {"jira": "CLOUD-12"}
    assert edit_line(edited, "ps-1", {"jira": JIRA}, keys={}) == edited
    assert edit_line(edited, "ps-1", {"jira": JIRA}) == edited


def test_a_key_named_anywhere_in_the_line_is_the_one_replaced_or_dropped() -> None:
    """A trial run's key with words written after it is replaced where it stands; a copy's is
    taken off; a ticket the text mentions stays."""
    mention = "[CLOUD-7](https://example.atlassian.net/browse/CLOUD-7)"
    trial = "[PLAN-3](http://127.0.0.1:8990/browse/PLAN-3)"
    line = f"- [ ] Review {mention} @Dana {trial} to staging 📅 2025-01-02 ^ps-1"
    keys = {"jira": "PLAN-3"}
    replaced = edit_line(line, "ps-1", {"jira": JIRA}, keys=keys)
    assert replaced == line.replace(trial, f"[{JIRA[0]}]({JIRA[1]})")
    dropped = plan_line_edit(line, None, {}, keys=keys, drop_links=("jira",))
    ((start, end, text),) = dropped
    assert line[:start] + line[end:] == line.replace(f" {trial}", "") and text == ""


def test_two_targets_and_a_decision_bullet() -> None:
    edited = edit_line(
        "- Ship the RFE intake form #accepted", "ps-2", {"jira": JIRA, "salesforce": SF}
    )
    item = parse_text("## Decisions\n" + edited).items[0]
    assert item.kind == "decision"
    assert item.keys == {"jira": "CLOUD-12", "salesforce": "a01Qy00000AbCdE"}
    assert item.tags == ["#accepted"]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\r"])
def test_a_task_line_with_a_line_separator_is_left_alone(separator: str) -> None:
    # Obsidian Tasks reads the line only up to the separator, Obsidian finds a block id at the
    # line's end: an id written at either place would be lost to the other, and be written
    # again at every sync.
    with pytest.raises(WriteBackError, match="line separator"):
        edit_line(f"- [ ] Ship the beta{separator}with docs", "ps-1", {"jira": JIRA})


def test_other_block_id_is_not_overwritten() -> None:
    with pytest.raises(WriteBackError, match=r"\^mine"):
        edit_line("- [ ] Task ^mine", "ps-1", {})


@pytest.mark.parametrize(
    "content",
    [
        b"- [ ] One \xf0\x9f\x93\x85 2025-01-01\r\n- [ ] Two\r\n",
        b"\xef\xbb\xbf- [ ] One\n- [ ] Two",
        b"- [ ] One   \n\n- [ ] Two\t \n",
        b"---\ntitle: x\n---\n- [ ] caf\xe9 \x8f one\n",  # not UTF-8: Windows-1252 bytes stay
    ],
    ids=["crlf", "bom-no-final-newline", "trailing-spaces", "cp1252"],
)
def test_file_bytes_outside_the_insertions_are_kept(content: bytes) -> None:
    lines = content.split(b"\n")
    index = next(i for i, line in enumerate(lines) if b"[ ]" in line)
    original = decode_note(lines[index].rstrip(b"\r"))[0]
    edit = LineEdit(line=index + 1, original=original, block_id="ps-1", links={"jira": JIRA})
    new, applied, missing = apply_line_edits(content, [edit])
    assert applied == [edit] and not missing
    assert is_pure_insertion(content, new)
    assert new.count(b"\r\n") == content.count(b"\r\n")
    assert new.endswith(b"\n") == content.endswith(b"\n")
    assert new.startswith(b"\xef\xbb\xbf") == content.startswith(b"\xef\xbb\xbf")
    assert apply_line_edits(new, [edit])[0] == new


@pytest.mark.parametrize(
    "end",
    [
        "\u00a0",  # no-break space
        "\u3000",  # ideographic space
        "\ufeff",
        "\x0b",
        "\u2002",  # en space
        "la novit\u00c3\u00a0",  # "novità" double-encoded: its second half is a no-break space
        "\u00e2\u00ab\u00c2\u00a0",  # a damaged ⏫, then a damaged no-break space
    ],
    ids=["nbsp", "ideographic", "bom", "vt", "en-space", "damaged-a-grave", "damaged-nbsp"],
)
def test_an_id_after_a_line_ending_in_whitespace_the_plugin_trims_is_read_back(end: str) -> None:
    """The id went before such a character: it split a damaged one in two (the text could no
    longer be repaired, the priority was lost), and the check that the id is in the note before
    creating its record did not find it, so the item failed at every sync."""
    data = f"- [ ] Ask Luca {end}\n".encode()
    before = parse_text(data.decode()).items[0]
    new, applied, _ = apply_line_edits(data, [LineEdit(1, data.decode()[:-1], "ps-1")])
    assert applied and is_pure_insertion(data, new)
    after = parse_text(new.decode()).items[0]
    assert after.block_id == "ps-1" and ends_a_line(new, "ps-1")
    assert after.model_dump(exclude={"block_id"}) == before.model_dump(exclude={"block_id"})


WINDOWS_1252 = "- [ ] Café “q” – done @Myself #task".encode("cp1252")


def test_a_windows_1252_note_decodes_one_character_a_byte() -> None:
    """The one decoding of a note's bytes (the scan's, the planner's second read's and
    write-back's): a note that is not UTF-8 is Windows-1252, its quotes and dashes included
    (Latin-1 read them as C1 controls), and a byte it has no character for (8F) is one U+FFFD,
    so a line's offsets are its bytes' offsets."""
    data = WINDOWS_1252 + b"\r\n- [ ] x \x8f y\n"
    text, encoding, line = decode_note(data)
    assert (encoding, line) == ("cp1252", 1)
    assert text == "- [ ] Café “q” – done @Myself #task\r\n- [ ] x \ufffd y\n"
    assert len(text) == len(data)
    assert [decode_line(raw, encoding) for raw in data.split(b"\n")] == text.split("\n")


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_write_back_finds_a_windows_1252_line_as_the_scan_read_it(ending: bytes) -> None:
    """The planner gives write-back the line as the scan read it: write-back decoded it as
    Latin-1, found no line with that text, and left the item without its id."""
    data = b"# Caf\xe9 \x8f\n" + WINDOWS_1252 + ending
    original = decode_note(data)[0].split("\n")[1].removesuffix("\r")
    assert original == "- [ ] Café “q” – done @Myself #task"
    edit = LineEdit(line=2, original=original, block_id="ps-1", links={"jira": JIRA})
    new, applied, missing = apply_line_edits(data, [edit])
    assert applied == [edit] and not missing
    assert is_pure_insertion(data, new)
    assert decode_note(new)[0].split("\n")[1].startswith("- [ ] Café “q” – done @Myself [")


@pytest.mark.parametrize(
    ("note", "url", "written"),
    [
        (WINDOWS_1252, "https://x.test/café/€–", b"https://x.test/caf\xe9/\x80\x96"),
        ("- [ ] Café #task".encode(), "https://x.test/café/€–", "https://x.test/café/€–".encode()),
    ],
    ids=["cp1252", "utf-8"],
)
def test_inserted_text_is_written_in_the_notes_encoding(
    tmp_path: Path, note: bytes, url: str, written: bytes
) -> None:
    """A link a Windows-1252 note gains is written in Windows-1252, not as UTF-8 bytes (mixed
    in one file, they read as "cafÃ©" in it); a UTF-8 note gains UTF-8."""
    path = tmp_path / "n.md"
    path.write_bytes(note + b"\n")
    original = decode_note(note)[0]
    result = write_back(path, tmp_path, [LineEdit(1, original, "ps-1", {"jira": ("K-1", url)})])
    assert result.changed and not result.missing
    assert b"[K-1](" + written + b")" in path.read_bytes()
    assert is_pure_insertion(note + b"\n", path.read_bytes())


def test_a_link_windows_1252_cannot_hold_is_refused_for_its_note(tmp_path: Path) -> None:
    """Rather than a crash (UnicodeEncodeError) or UTF-8 bytes in a Windows-1252 file."""
    path = tmp_path / "n.md"
    path.write_bytes(WINDOWS_1252 + b"\n")
    edit = LineEdit(1, decode_note(WINDOWS_1252)[0], "ps-1", {"jira": ("K-1", "https://x/✓")})
    with pytest.raises(WriteBackError, match=r"n\.md: '✓' has no byte in the note's encoding"):
        write_back(path, tmp_path, [edit])
    assert path.read_bytes() == WINDOWS_1252 + b"\n"


def test_an_id_written_before_trailing_whitespace_is_found_in_the_note() -> None:
    # Where earlier versions put it: still the line's id to the parser, so to the check too.
    assert ends_a_line(b"- [ ] Item ^ps-1\xc2\xa0\r\n", "ps-1")
    assert ends_a_line(b"- [ ] Caf\xe9 ^ps-1\xa0\n", "ps-1")  # cp1252: A0 is a no-break space
    assert not ends_a_line(b"- [ ] Item ^ps-1 and more\n", "ps-1")
    assert not ends_a_line(b"- [ ] Item ^ps-12\n", "ps-1")


def test_write_back_follows_a_line_moved_since_the_plan(tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_bytes(b"# N\n- [ ] One\n- [ ] Two\n")
    edit = LineEdit(line=3, original="- [ ] Two", block_id="ps-2")
    # The user inserts a line above before plansync writes: the edit follows its line.
    note.write_bytes(b"# N\nnew line from the user\n- [ ] One\n- [ ] Two\n")
    result = write_back(note, tmp_path, [edit])
    assert result.changed and result.missing == []
    assert note.read_bytes() == b"# N\nnew line from the user\n- [ ] One\n- [ ] Two ^ps-2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["n.md"], "no temporary file is left behind"


def saves_during_the_first_write(monkeypatch: pytest.MonkeyPatch, saved: bytes) -> None:
    """The user's editor saves ``saved`` over the note just before plansync's first replace."""
    from plansync.notes import writeback

    real_replace = writeback._replace_if_unchanged
    writes = []

    def user_saves_first(path: Path, expected: bytes, new: bytes) -> bool:
        if not writes:
            path.write_bytes(saved)
        writes.append(new)
        return real_replace(path, expected, new)

    monkeypatch.setattr(writeback, "_replace_if_unchanged", user_saves_first)


def test_write_back_reapplies_on_a_save_made_during_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = tmp_path / "n.md"
    note.write_bytes(b"- [ ] One\n")
    saves_during_the_first_write(monkeypatch, b"# Added by the user\n- [ ] One\n")
    result = write_back(note, tmp_path, [LineEdit(line=1, original="- [ ] One", block_id="ps-1")])
    assert result.changed and result.missing == []
    assert note.read_bytes() == b"# Added by the user\n- [ ] One ^ps-1\n"


def test_write_back_keeps_a_user_edit_made_during_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = tmp_path / "n.md"
    note.write_bytes(b"- [ ] One\n")
    saves_during_the_first_write(monkeypatch, b"- [ ] One edited by the user\n")
    edit = LineEdit(line=1, original="- [ ] One", block_id="ps-1")
    result = write_back(note, tmp_path, [edit])
    assert note.read_bytes() == b"- [ ] One edited by the user\n"
    assert result.missing == [edit], "the user's line changed: nothing is written over it"


def test_a_note_that_cannot_be_replaced_is_a_write_back_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An immutable file or a read-only folder makes the rename fail: that is this note's
    error (named, not its temporary file's), not an OSError that stops the whole sync."""
    note = tmp_path / "n.md"
    note.write_bytes(b"- [ ] One\n")
    real_replace = os.replace

    def refused(src: str, dst: str | Path) -> None:
        if Path(dst) == note:
            raise PermissionError(1, "Operation not permitted", str(src))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refused)
    with pytest.raises(WriteBackError, match=r"n\.md: cannot be written \(Operation not permitted"):
        write_back(note, tmp_path, [LineEdit(line=1, original="- [ ] One", block_id="ps-1")])
    assert note.read_bytes() == b"- [ ] One\n"
    assert [p.name for p in tmp_path.iterdir()] == ["n.md"], "no temporary file is left behind"


def test_a_read_only_note_is_not_replaced_but_read(tmp_path: Path) -> None:
    """The folder lets a new file be renamed over a note its owner made read-only (-r--r--r--),
    and one was: write-back refuses it, naming the note and what to do. A note that needs no
    change (its line holds the id already) is no error: nothing is written."""
    note = tmp_path / "n.md"
    note.write_bytes(b"- [ ] One\n- [ ] Two ^ps-2\n")
    note.chmod(0o444)
    try:
        with pytest.raises(WriteBackError) as refused:
            write_back(note, tmp_path, [LineEdit(line=1, original="- [ ] One", block_id="ps-1")])
        assert str(refused.value) == (
            f"{note}: its file is read-only; not written (make it writable: chmod u+w)"
        )
        kept = write_back(note, tmp_path, [LineEdit(2, "- [ ] Two ^ps-2", block_id="ps-2")])
        assert not kept.changed
        assert note.read_bytes() == b"- [ ] One\n- [ ] Two ^ps-2\n"
        assert [p.name for p in tmp_path.iterdir()] == ["n.md"]
    finally:
        note.chmod(0o644)


NOBODY = 65534
"""The unprivileged user (``nobody``) the permission checks run as: the suite runs as root,
whom the permission bits stop from nothing, so :func:`read_only` asks root another way."""


def as_nobody(work: Callable[[], object]) -> object:
    """``work()`` (its answer as JSON, or the repr of what it raised) run as ``nobody``, in a
    child forked from this process: a new interpreter could not run as nobody here, since the
    one the tests run under (a pyenv's under /root) is root's only. Fails, never skips, where
    privileges cannot be dropped (run as another user than root, or without CAP_SETUID): then
    the check this is for goes untested."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never back into pytest, whatever happens
        answer: dict[str, object]
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            if (os.getuid(), os.geteuid()) != (NOBODY, NOBODY):
                raise OSError(f"still uid {os.getuid()}, euid {os.geteuid()}")
            answer = {"value": work()}
        except BaseException as exc:
            answer = {"raised": repr(exc)}
        finally:
            os.write(writer, json.dumps(answer).encode())
            os._exit(0)
    os.close(writer)
    deadline = time.monotonic() + 60
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the check run as nobody did not end in 60 s")
        time.sleep(0.01)
    with os.fdopen(reader, "rb") as answered:
        answer = json.loads(answered.read() or b"{}")
    assert "raised" not in answer, f"as uid {NOBODY}: {answer['raised']} (run as {os.geteuid()})"
    return answer["value"]


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder anyone may enter and write in: pytest's own are root's only (0700)."""
    folder = Path(tempfile.mkdtemp(prefix="plansync-nobody-"))
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def test_read_only_tells_an_unprivileged_user_which_notes_it_may_not_write(
    open_folder: Path,
) -> None:
    """As a user the permission bits stop (``os.access``), not root (the owner's write bit),
    which is all the suite runs as: a note of root's, 0644, is read-only to ``nobody``, though
    the folder would let a new file be renamed over it; one 0666 is not, nor one of its own
    0644; one of its own 0444 is; one in a folder it cannot enter is not known to be."""
    notes = {}
    for name, mode, owner in [
        ("roots-0644.md", 0o644, 0),
        ("roots-0666.md", 0o666, 0),
        ("own-0644.md", 0o644, NOBODY),
        ("own-0444.md", 0o444, NOBODY),
    ]:
        notes[name] = open_folder / name
        notes[name].write_bytes(b"- [ ] One\n")
        notes[name].chmod(mode)
        os.chown(notes[name], owner, owner)
    closed = open_folder / "closed"
    closed.mkdir(mode=0o700)
    notes["closed.md"] = closed / "n.md"
    notes["closed.md"].write_bytes(b"- [ ] One\n")

    seen = as_nobody(lambda: {name: read_only(path) for name, path in notes.items()})

    assert seen == {
        "roots-0644.md": True,
        "roots-0666.md": False,
        "own-0644.md": False,
        "own-0444.md": True,
        "closed.md": False,
    }


def test_write_back_as_an_unprivileged_user_leaves_a_note_it_may_not_write(
    open_folder: Path,
) -> None:
    """The folder is everyone's, so ``nobody`` could rename a new file over root's 0644 note:
    write-back asks :func:`read_only` first and refuses, the note as it was; root's 0666 note
    it writes, as the user's own."""
    kept, written = open_folder / "kept.md", open_folder / "written.md"
    for note, mode in ((kept, 0o644), (written, 0o666)):
        note.write_bytes(b"- [ ] One\n")
        note.chmod(mode)
    edits = [LineEdit(line=1, original="- [ ] One", block_id="ps-1")]

    def both() -> list[str]:
        said = []
        for note in (kept, written):
            try:
                said.append(str(write_back(note, open_folder, edits).changed))
            except WriteBackError as exc:
                said.append(str(exc))
        return said

    assert as_nobody(both) == [
        f"{kept}: its file is read-only; not written (make it writable: chmod u+w)",
        "True",
    ]
    assert kept.read_bytes() == b"- [ ] One\n"
    assert (kept.stat().st_uid, kept.stat().st_mode & 0o777) == (0, 0o644)
    assert written.read_bytes() == b"- [ ] One ^ps-1\n"


def test_the_temporary_file_is_named_as_the_walk_looks_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Caught at the rename, where a kill leaves it: a later sync finds it by this name."""
    note = tmp_path / "n.md"
    note.write_bytes(b"- [ ] One\n")
    renamed: list[str] = []
    real_replace = os.replace

    def noted(src: str, dst: str | Path) -> None:
        renamed.append(Path(src).name)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", noted)
    write_back(note, tmp_path, [LineEdit(line=1, original="- [ ] One", block_id="ps-1")])
    assert len(renamed) == 1 and renamed[0].startswith(".n.md.")
    assert write_temp_for(renamed[0]) == "n.md"


def test_write_back_never_takes_a_note_over_the_size_plansync_reads(tmp_path: Path) -> None:
    """Just under the limit, the ids took a note over it: every scan after skipped it."""
    from plansync.notes.note_file import MAX_NOTE_BYTES

    note = tmp_path / "n.md"
    head = b"- [ ] One\n"
    note.write_bytes(head + b"x" * (MAX_NOTE_BYTES - len(head) - 5) + b"\n")
    before = note.read_bytes()
    with pytest.raises(WriteBackError, match=r"n\.md: the ids and keys would take it over 5 MB, "):
        write_back(note, tmp_path, [LineEdit(line=1, original="- [ ] One", block_id="ps-1")])
    assert note.read_bytes() == before


def test_write_back_refuses_to_leave_the_vault(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    outside = tmp_path / "outside.md"
    outside.write_bytes(b"- [ ] One\n")
    (vault / "link.md").symlink_to(outside)
    with pytest.raises(WriteBackError, match="outside the vault"):
        write_back(
            vault / "link.md", vault, [LineEdit(line=1, original="- [ ] One", block_id="ps-1")]
        )
    assert outside.read_bytes() == b"- [ ] One\n"


def test_symlink_inside_the_vault_is_written_through(tmp_path: Path) -> None:
    (tmp_path / "real.md").write_bytes(b"- [ ] One\n")
    (tmp_path / "alias.md").symlink_to(tmp_path / "real.md")
    write_back(
        tmp_path / "alias.md", tmp_path, [LineEdit(line=1, original="- [ ] One", block_id="ps-1")]
    )
    assert (tmp_path / "alias.md").is_symlink()
    assert (tmp_path / "real.md").read_bytes() == b"- [ ] One ^ps-1\n"


def test_file_mode_is_kept(tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_bytes(b"- [ ] One\n")
    os.chmod(note, 0o640)
    write_back(note, tmp_path, [LineEdit(line=1, original="- [ ] One", block_id="ps-1")])
    assert note.stat().st_mode & 0o777 == 0o640


# --- properties ---------------------------------------------------------------------------

# Words with brackets that open no link: a key link written after them swallowed the text
# before it (from the unmatched "[" on), and the owner with it.
WORDS = st.sampled_from(
    [
        *("Draft", "the", "plan", "review", "VAST’s", "Zoë", "Café", "RFE", "1:1", "x"),
        *("array[0", "[draft", "x]", "arr[0]", "\x1b[31mred", "[docs](http://d.example)"),
    ]
)
FIELDS = st.sampled_from(
    [
        "📅 2025-10-27",
        "⏳ 2025-10-20",
        "🛫 2025-10-01",
        "➕ 2025-09-30",
        "⏫",
        "🔽",
        "🔁 every week",
        "🆔 abc123",
        "⛔ xyz",
        "#task",
        "#proposed",
        "[due:: 2025-11-01]",
    ]
)
STATUS = st.sampled_from([" ", "x", "/", "-", "?"])
MARKER = st.sampled_from(["- ", "* ", "+ ", "1. ", "  - ", "> - ", "\t- "])
OWNER = st.sampled_from(["", " @Myself", " @Tomer Hagay", " @dana"])
CODEC = st.sampled_from([None, "cp1252", "cp1254", "mac_roman", "latin-1"])


@st.composite
def task_lines(draw: st.DrawFn) -> str:
    words = " ".join(draw(st.lists(WORDS, min_size=1, max_size=6)))
    fields = draw(st.lists(FIELDS, max_size=5, unique=True))
    trailing = draw(st.sampled_from(["", " ", "  "]))
    line = (
        f"{draw(MARKER)}[{draw(STATUS)}] {words}{draw(OWNER)} {' '.join(fields)}".rstrip()
        + trailing
    )
    codec = draw(CODEC)
    if codec:
        line = line.encode("utf-8").decode(codec, errors="ignore")
    return line


@st.composite
def notes(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    lines = draw(st.lists(task_lines(), min_size=1, max_size=6))
    prose = draw(
        st.lists(st.sampled_from(["", "Some text.", "## Heading", "- [[Wiki link]]"]), max_size=3)
    )
    # Under a bullet, so that a tab-indented task is a sub-task: after a blank line or a
    # heading it would be an indented code block, where Obsidian lists no item. Right after a
    # quote's line it is a lazy line of the quote's paragraph, text: there, two spaces in.
    for i in range(1, len(lines)):
        if lines[i].startswith("\t") and lines[i - 1].startswith(">"):
            lines[i] = "  " + lines[i][1:]
    body = [*prose, "- Agenda", *lines]
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    text = eol.join(body) + draw(st.sampled_from(["", eol]))
    bom = draw(st.booleans())
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    return data, [len(prose) + i + 2 for i in range(len(lines))]


def _edits_for(data: bytes, numbers: list[int], with_links: bool) -> list[LineEdit]:
    lines = data.decode("utf-8").lstrip("\ufeff").split("\n")
    return [
        LineEdit(
            line=n,
            original=lines[n - 1].rstrip("\r"),
            block_id=f"ps-{n}",
            links={"jira": (f"PLAN-{n}", f"http://127.0.0.1:1/browse/PLAN-{n}")}
            if with_links
            else {},
        )
        for n in numbers
    ]


def _comparable(items: list) -> list[dict]:
    return [i.model_dump(exclude={"block_id", "keys", "description"}) for i in items]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notes(), st.booleans())
def test_write_back_changes_only_inserted_bytes_and_keeps_every_item(
    note: tuple[bytes, list[int]], with_links: bool
) -> None:
    data, numbers = note
    edits = _edits_for(data, numbers, with_links)
    new, applied, missing = apply_line_edits(data, edits)
    assert not missing and len(applied) == len(edits)
    assert is_pure_insertion(data, new)
    # ... and inserted into the edited lines alone: no line added, every other line as it was.
    old_lines, new_lines = data.split(b"\n"), new.split(b"\n")
    assert len(new_lines) == len(old_lines)
    for number, (old_line, new_line) in enumerate(zip(old_lines, new_lines, strict=True), 1):
        if number not in numbers:
            assert new_line == old_line, f"line {number} was not edited"
    before = parse_text(data.decode("utf-8")).items
    after = parse_text(new.decode("utf-8")).items
    assert _comparable(after) == _comparable(before)
    assert [i.block_id for i in after] == [f"ps-{n}" for n in numbers]
    if with_links:
        assert [i.keys for i in after] == [{"jira": f"PLAN-{n}"} for n in numbers]
    again, _, _ = apply_line_edits(new, edits)
    assert again == new, "writing the same id and key twice changes nothing"


@pytest.mark.parametrize("last", ["\x85", "\x1f"])
def test_block_id_goes_after_a_last_character_python_calls_a_space(last: str) -> None:
    # "Ã\x85" is a damaged "Å" (through Latin-1); Obsidian Tasks does not trim U+0085 or
    # U+001C-U+001F, so the id must follow them to be at the end of the line.
    line = f"- [ ] Call ANGSTRÃ{last}"
    edited = edit_line(line, "ps-1", {})
    assert edited == f"{line} ^ps-1"
    assert parse_text(edited).items[0].block_id == "ps-1"
    assert edit_line(edited, "ps-1", {}) == edited


@pytest.mark.parametrize("line", ["- [ ]", "- [ ] ", "- [x]  \t", "> - [ ] ", "1. [?] "])
def test_a_line_with_nothing_after_its_checkbox_takes_no_block_id(line: str) -> None:
    """`- [ ] ^id` reads back as text, not as a block id: writing one would repeat forever."""
    assert refusal(line) is not None
    with pytest.raises(WriteBackError, match="no text to hold its block id"):
        plan_line_edit(line, "ps-abc12345", {})
    assert refusal(line.rstrip() + " x") is None


# ---- a changed note: the edit goes only to a line the parser reads as an item ----------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # The item was deleted; an example of it is left in a code block, a comment, HTML.
        ("- [ ] Call Ann ^ps-1\n", "# N\n```\n- [ ] Call Ann ^ps-1\n```\n"),
        ("- [ ] Call Ann ^ps-1\n", "# N\n%%\n- [ ] Call Ann ^ps-1\n%%\n"),
        ("- [ ] Call Ann ^ps-1\n", "# N\n<div>\n- [ ] Call Ann ^ps-1\n</div>\n"),
        ("- [ ] Call Ann ^ps-1\n", "# N\n\n    - [ ] Call Ann ^ps-1\n"),
        ("- [ ] Call Ann ^ps-1\n", "---\nnote: |\n  - [ ] Call Ann ^ps-1\n---\n"),
        # Found by its content (no id yet), and at its old place: the section was commented
        # out, or fenced, around it.
        ("- [ ] Call Ann\n", "%%\n- [ ] Call Ann\n%%\n"),
        ("- [ ] Call Ann\n", "~~~\n- [ ] Call Ann\n~~~\n"),
    ],
)
def test_an_edit_never_goes_into_a_line_that_is_no_item(before: str, after: str) -> None:
    line = before.rstrip("\n")
    edit = LineEdit(line=1, original=line, block_id="ps-1", links={"jira": JIRA})
    data = after.encode()
    new, applied, missing = apply_line_edits(data, [edit])
    assert (new, applied, missing) == (data, [], [edit])


def test_a_moved_item_is_found_past_a_copy_in_code_nearer_its_old_place() -> None:
    data = b"# N\n```\n- [ ] Call Ann\n```\ntext\ntext\ntext\n- [ ] Call Ann\n"
    edit = LineEdit(line=3, original="- [ ] Call Ann", block_id="ps-1")
    new, applied, missing = apply_line_edits(data, [edit])
    assert applied == [edit] and not missing
    assert new == data.replace(b"text\n- [ ] Call Ann\n", b"text\n- [ ] Call Ann ^ps-1\n")


def test_a_decision_under_any_heading_is_still_found() -> None:
    """Write-back does not know the config's decision headings: any heading may be one."""
    data = b"# N\n\n## Outcomes\n- We ship on Friday\n"
    edit = LineEdit(line=3, original="- We ship on Friday", block_id="ps-1")
    new, applied, _ = apply_line_edits(data, [edit])
    assert applied == [edit] and new.endswith(b"- We ship on Friday ^ps-1\n")


def test_with_the_policy_a_line_that_lost_the_global_filter_is_no_item() -> None:
    from plansync.notes.model import AcceptancePolicy

    data = b"# N\n\n- [ ] Call Ann ^ps-1\n"
    edit = LineEdit(
        line=1, original="- [ ] Call Ann #task ^ps-1", block_id="ps-1", links={"jira": JIRA}
    )
    assert apply_line_edits(data, [edit])[1] == [edit]  # not knowing the filter, it is an item
    policy = AcceptancePolicy(global_filter="#task")
    assert apply_line_edits(data, [edit], policy=policy) == (data, [], [edit])


def test_write_back_takes_the_policy(tmp_path: Path) -> None:
    from plansync.notes.model import AcceptancePolicy

    note = tmp_path / "n.md"
    note.write_bytes(b"# N\n\n- [ ] Call Ann ^ps-1\n")
    edit = LineEdit(
        line=1, original="- [ ] Call Ann #task ^ps-1", block_id="ps-1", links={"jira": JIRA}
    )
    policy = AcceptancePolicy(global_filter="#task")
    result = write_back(note, tmp_path, [edit], policy=policy)
    assert not result.changed and result.missing == [edit]


# ---- found by mutation testing: behaviours no test above pinned down -----------------------


def test_a_refusal_says_why_without_naming_a_file() -> None:
    """The planner puts the reason in its plan line, which names the note and line already."""
    assert refusal("- [ ]") == "the item has no text to hold its block id; write some to sync it"


def test_an_edit_never_overwrites_a_block_id_the_user_wrote() -> None:
    """Only a copied line's id is replaced (``replace_block_id``, which the planner sets): an
    edit that does not say so leaves another id where it is, and is reported missing."""
    data = b"- [ ] Task ^mine\n"
    edit = LineEdit(line=1, original="- [ ] Task ^mine", block_id="ps-1", links={"jira": JIRA})
    assert apply_line_edits(data, [edit]) == (data, [], [edit])


@pytest.mark.parametrize("end", ["", " ", "\u00a0"])
def test_a_copied_line_gets_its_own_id_where_the_copied_one_was_and_loses_its_keys(
    end: str,
) -> None:
    """A line the user duplicated carries the other item's id and key link: both come off
    (the id replaced where the plugin reads it, trimmed whitespace after it kept), so the
    copy syncs as a new item instead of a second claim on the first one's tickets."""
    copy = f"- [ ] Task [CLOUD-12]({JIRA[1]}) [{SF[0]}]({SF[1]}) 📅 2025-01-02 ^ps-1{end}"
    splices = plan_line_edit(
        copy, "ps-2", {}, replace_block_id=True, drop_links=("jira", "salesforce")
    )
    for start, stop, text in reversed(splices):
        copy = copy[:start] + text + copy[stop:]
    assert copy == f"- [ ] Task 📅 2025-01-02 ^ps-2{end}"
    item = parse_text(copy).items[0]
    assert (item.block_id, item.keys) == ("ps-2", {})


def test_a_copied_line_given_a_new_key_at_once_has_it_where_the_old_one_stood() -> None:
    """Dropping the copy's link and writing the new key together replaces the link once,
    rather than removing and rewriting the same characters (splices that overlap)."""
    trial = "[PLAN-3](http://127.0.0.1:8990/browse/PLAN-3)"
    line = f"- [ ] Task {trial} 📅 2025-01-02 ^ps-1"
    splices = plan_line_edit(
        line,
        "ps-2",
        {"jira": JIRA},
        keys={"jira": "PLAN-3"},
        replace_block_id=True,
        drop_links=("jira",),
    )
    for start, stop, text in reversed(splices):
        line = line[:start] + text + line[stop:]
    assert line == f"- [ ] Task [{JIRA[0]}]({JIRA[1]}) 📅 2025-01-02 ^ps-2"


def test_a_dropped_link_takes_only_the_space_before_it() -> None:
    """A link written against a word ("Review:[PLAN-3](…)") leaves the word as it was."""
    line = "- [ ] Review:[PLAN-3](http://127.0.0.1:8990/browse/PLAN-3) 📅 2025-01-02 ^ps-1"
    ((start, end, text),) = plan_line_edit(
        line, None, {}, keys={"jira": "PLAN-3"}, drop_links=("jira",)
    )
    assert line[:start] + text + line[end:] == "- [ ] Review: 📅 2025-01-02 ^ps-1"


def test_a_key_link_written_before_with_another_url_is_rewritten_in_place() -> None:
    """A re-run that finds the key linked already (another spelling of the site's URL) makes
    the link the one given, where it stands, and adds no second one."""
    line = "- [ ] Task [CLOUD-12](http://localhost:8990/browse/CLOUD-12) ^ps-1"
    url = "http://127.0.0.1:8990/browse/CLOUD-12"
    edited = edit_line(line, "ps-1", {"jira": ("CLOUD-12", url)})
    assert edited == f"- [ ] Task [CLOUD-12]({url}) ^ps-1"


def test_two_identical_items_each_get_the_edit_planned_for_them() -> None:
    """Two items with the same text and no id yet: the second's id goes into the second."""
    data = b"- [ ] Call Ann\n- [ ] Call Ann\n"
    edit = LineEdit(line=2, original="- [ ] Call Ann", block_id="ps-2")
    new, applied, _ = apply_line_edits(data, [edit])
    assert applied == [edit] and new == b"- [ ] Call Ann\n- [ ] Call Ann ^ps-2\n"


def test_a_moved_item_is_the_copy_of_its_text_nearest_its_old_place() -> None:
    """The note changed since the plan (a line added above the item): of two items with its
    text, the one nearest the line the plan read goes on, not the first or the farthest."""
    filler = b"text\n" * 6
    data = b"- [ ] Call Ann\n" + filler + b"new line\n- [ ] Call Ann\n"
    edit = LineEdit(line=8, original="- [ ] Call Ann", block_id="ps-2")
    new, applied, _ = apply_line_edits(data, [edit])
    assert applied == [edit]
    assert new == b"- [ ] Call Ann\n" + filler + b"new line\n- [ ] Call Ann ^ps-2\n"


def test_an_edit_that_cannot_go_in_does_not_stop_the_others_in_the_note() -> None:
    """A line gone and a line that refuses its id are each reported missing; the note's other
    edits are applied all the same."""
    data = b"- [ ] Task ^mine\n- [ ] Call Ann\n"
    gone = LineEdit(line=1, original="- [ ] Deleted since", block_id="ps-1")
    refused = LineEdit(line=1, original="- [ ] Task ^mine", block_id="ps-2")
    good = LineEdit(line=2, original="- [ ] Call Ann", block_id="ps-3")
    new, applied, missing = apply_line_edits(data, [gone, refused, good])
    assert (applied, missing) == ([good], [gone, refused])
    assert new == b"- [ ] Task ^mine\n- [ ] Call Ann ^ps-3\n"


def test_write_back_may_bring_a_note_up_to_exactly_the_size_plansync_reads(
    tmp_path: Path,
) -> None:
    """The scan reads a note of MAX_NOTE_BYTES (it skips only larger ones), so an id that
    brings a note to that size is written."""
    from plansync.notes.note_file import MAX_NOTE_BYTES

    note = tmp_path / "n.md"
    head = b"- [ ] One\n"
    note.write_bytes(head + b"x" * (MAX_NOTE_BYTES - len(head) - len(b" ^ps-1") - 1) + b"\n")
    result = write_back(note, tmp_path, [LineEdit(line=1, original="- [ ] One", block_id="ps-1")])
    assert result.changed and note.stat().st_size == MAX_NOTE_BYTES


def test_a_note_saved_at_every_attempt_is_left_to_its_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program rewriting the note while plansync writes wins: after a few attempts
    write-back gives up with an error naming the note, and the writer's last save stands."""
    from plansync.notes import writeback

    note = tmp_path / "n.md"
    note.write_bytes(b"- [ ] One\n")
    real_replace = writeback._replace_if_unchanged
    saves: list[bytes] = []

    def saved_every_time(path: Path, expected: bytes, new: bytes) -> bool:
        saves.append(b"# Save %d\n- [ ] One\n" % len(saves))
        path.write_bytes(saves[-1])
        return real_replace(path, expected, new)

    monkeypatch.setattr(writeback, "_replace_if_unchanged", saved_every_time)
    with pytest.raises(WriteBackError, match=r"n\.md: kept changing while plansync wrote to it"):
        write_back(note, tmp_path, [LineEdit(line=1, original="- [ ] One", block_id="ps-1")])
    assert len(saves) == writeback.WRITE_ATTEMPTS and note.read_bytes() == saves[-1]


def test_a_note_of_exactly_the_size_plansync_reads_takes_no_id(tmp_path: Path) -> None:
    """At the limit the scan still reads it; one byte more and every scan after skips it."""
    from plansync.notes.note_file import MAX_NOTE_BYTES

    note = tmp_path / "n.md"
    head = b"- [ ] One\n"
    note.write_bytes(head + b"x" * (MAX_NOTE_BYTES - len(head) - 1) + b"\n")
    before = note.read_bytes()
    with pytest.raises(WriteBackError, match=r"would take it over 5 MB"):
        write_back(note, tmp_path, [LineEdit(line=1, original="- [ ] One", block_id="ps-1")])
    assert note.read_bytes() == before


def test_only_write_back_s_own_temporary_files_a_killed_run_left_are_removed(
    tmp_path: Path,
) -> None:
    """A sync removes a write-back temporary file untouched for a while; never a note, an
    editor's swap file, one just written (another run's, about to be renamed), one a link
    points outside the vault from, or one in a folder outside it."""
    from plansync.files import ABANDONED_AFTER

    vault = tmp_path / "vault"
    (vault / "sub").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    old = time.time() - ABANDONED_AFTER - 60
    names = {
        "left": "sub/.n.md.k2j3h4g5.plansync-tmp",
        "fresh": ".n.md.a1b2c3d4.plansync-tmp",
        "note": "sub/n.md",
        "swap": "sub/.n.md.swp",
        "outside": "../elsewhere/.n.md.k2j3h4g5.plansync-tmp",
    }
    for key, relative in names.items():
        path = vault / relative
        path.write_bytes(b"- [ ] One\n")
        if key != "fresh":
            os.utime(path, (old, old))
    (vault / "out").symlink_to(tmp_path / "elsewhere")
    names["linked"] = "out/.n.md.k2j3h4g5.plansync-tmp"
    relatives = list(names.values())

    assert abandoned_temps(vault, relatives) == [names["left"]]
    assert remove_abandoned_temps(vault, relatives) == ([names["left"]], [])
    assert sorted(p.name for p in (vault / "sub").iterdir()) == [".n.md.swp", "n.md"]
    assert (vault / names["fresh"]).exists() and (vault / names["outside"]).exists()


def test_a_temporary_file_that_cannot_be_removed_is_a_warning_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plansync.files import ABANDONED_AFTER

    old = time.time() - ABANDONED_AFTER - 60
    relatives = [".a.md.k2j3h4g5.plansync-tmp", ".b.md.k2j3h4g5.plansync-tmp"]
    for relative in relatives:
        (tmp_path / relative).write_bytes(b"x")
        os.utime(tmp_path / relative, (old, old))
    real_unlink = os.unlink

    def refused(path: str | Path) -> None:
        if Path(path).name.startswith(".a.md"):
            raise PermissionError(13, "Permission denied", str(path))
        real_unlink(path)

    monkeypatch.setattr(os, "unlink", refused)
    assert remove_abandoned_temps(tmp_path, relatives) == (
        [relatives[1]],
        [
            f"{relatives[0]}: a temporary file a killed sync left beside the note cannot be"
            " removed (Permission denied); remove it by hand"
        ],
    )
