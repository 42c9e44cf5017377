"""Damaged (double-encoded) notes read as if they were clean, and clean text left alone.

The damage is made here, not taken from plansync: a clean line is encoded to UTF-8 and decoded
through a wrong codec (Windows-1252, Windows-1254, Mac Roman, Latin-1). Bytes the codec has no
character for are (a) dropped, (b) kept as C1 control characters, or (c) replaced by U+FFFD,
as different tools do. Latin-1 decodes every byte, so its bytes 0x80-0x9F always come out as C1
controls. The expectations for the real samples come from reading their lines independently
(a small table of damaged signifiers built here), never from plansync.
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ITEM_CONTRACT_KEYS, SAMPLES, sample_notes
from hypothesis import given, settings
from hypothesis import strategies as st

from plansync.cli import main
from plansync.notes.model import Item
from plansync.notes.parse import parse_text
from plansync.notes.signifiers import (
    ALL_SIGNIFIERS,
    _longest_form,
    _suspect_pattern,
    damaged_spans,
    damaged_table,
    needs_repair,
    repair,
    repaired_text,
)
from plansync.notes.tasks import parse_task_line

CODECS = ("cp1252", "cp1254", "mac_roman", "latin-1")
VS16 = "\ufe0f"
FIELDS = (*(k for k in ITEM_CONTRACT_KEYS if k not in ("line", "repaired")), "description")


def _keep_as_c1(error: UnicodeDecodeError) -> tuple[str, int]:
    """What browsers' windows-1252 (WHATWG) does with a byte the code page leaves undefined."""
    return "".join(chr(b) for b in error.object[error.start : error.end]), error.end


codecs.register_error("test-keep-c1", _keep_as_c1)

# (a) dropped, (b) kept as C1 controls, (c) replaced by U+FFFD.
MODES = {"dropped": "ignore", "c1": "test-keep-c1", "replaced": "replace"}


def damage(clean: str, codec: str, mode: str) -> str:
    return clean.encode("utf-8").decode(codec, errors=MODES[mode])


def damaged_variants(clean: str) -> dict[str, str]:
    """Every distinct damaged form of ``clean``: id -> text."""
    seen: dict[str, str] = {}
    for codec in CODECS:
        for mode in MODES:
            text = damage(clean, codec, mode)
            if text != clean and text not in seen.values():
                seen[f"{codec}-{mode}"] = text
    return seen


def fields(item: Item) -> dict[str, object]:
    return {name: getattr(item, name) for name in FIELDS}


def only_item(line: str) -> Item:
    items = parse_text(line + "\n", path="damaged.md").items
    assert len(items) == 1, items
    return items[0]


# --- every signifier, in every damaged form ------------------------------------------------

VALUES = {
    "🔁": " every week",
    "🏁": " delete",
    "🆔": " ab12cd",
    "⛔": " ab12cd,ef34gh",
    "🔺": "",
    "⏫": "",
    "🔼": "",
    "🔽": "",
    "⏬": "",
}


def _signifier_line(signifier: str) -> str:
    value = VALUES.get(signifier.rstrip(VS16), " 2025-10-27")
    return f"- [ ] Draft the rollout plan @Myself {signifier}{value} #task ^ab12"


SIGNIFIER_CASES = [
    pytest.param(sig + vs, variant, id=f"U+{ord(sig):04X}{'+FE0F' if vs else ''}-{key}")
    for sig in ALL_SIGNIFIERS
    for vs in ("", VS16)
    for key, variant in damaged_variants(_signifier_line(sig + vs)).items()
]


def test_every_signifier_has_damaged_cases() -> None:
    assert set(ALL_SIGNIFIERS) == set("📅📆🗓⏳⌛🛫➕✅❌🔺⏫🔼🔽⏬🔁🏁🆔⛔")
    per_signifier = {}
    for param in SIGNIFIER_CASES:
        per_signifier.setdefault(param.values[0], 0)
        per_signifier[param.values[0]] += 1
    assert len(per_signifier) == 2 * len(ALL_SIGNIFIERS)
    assert min(per_signifier.values()) >= 3


@pytest.mark.parametrize(("signifier", "damaged"), SIGNIFIER_CASES)
def test_damaged_signifier_reads_like_the_clean_one(signifier: str, damaged: str) -> None:
    clean = only_item(_signifier_line(signifier))
    assert clean.repaired is False
    got = only_item(damaged)
    assert fields(got) == fields(clean)
    assert got.repaired is True


@pytest.mark.parametrize("signifier", [s + vs for s in ALL_SIGNIFIERS for vs in ("", VS16)])
def test_clean_signifier_line_is_not_repaired(signifier: str) -> None:
    item = only_item(_signifier_line(signifier))
    assert item.repaired is False
    assert item.text == "Draft the rollout plan"
    assert item.owner == "Myself"


# --- whole realistic lines -----------------------------------------------------------------

REALISTIC = [
    "- [?] Collect the tiering requests from both banking accounts @Myself 📅 2025-11-07 ⏫ "
    "#task #proposed",
    "- [ ] Confirm Priya’s capacity for the intake form – phase 2 @Priya Natarajan "
    "📅 2025-11-10 🔺 #task",
    "- [/] Draft the ‘quiet hours’ policy for the on-call rota @Dana Okafor ⏳ 2025-11-05 "
    "📅 2025-11-12 🔼 #task ^intake-1",
    "- [x] Send the freeze calendar to the field team @Myself ✅ 2025-11-03 📅 2025-11-04 🔽 #task",
    "- [ ] Review the café menu for the offsite @Myself ➕ 2025-10-01 🛫 2025-10-02 "
    "📅 2025-10-27 ⏬ 🔁 every week 🆔 menu-1 ⛔ venue-2, budget_3 #offsite",
    "- [ ] Draft the plan @Myself [CLOUD-12](https://x.atlassian.net/browse/CLOUD-12) "
    "📅️ 2025-10-27 ⏫️ #task ^ps-7k2m9q",
    "1. [-] Rewrite the legacy FAQ @Myself ❌ 2025-10-20 📆 2025-10-30 #docs",
    "> - [ ] Ask the vendor about the ⌛ lead time @Myself ⌛ 2025-10-29 🗓 2025-11-02",
]

REALISTIC_CASES = [
    pytest.param(clean, variant, id=f"line{n}-{key}")
    for n, clean in enumerate(REALISTIC, 1)
    for key, variant in damaged_variants(clean).items()
]


@pytest.mark.parametrize("clean", REALISTIC, ids=[f"line{n}" for n in range(1, 9)])
def test_realistic_clean_lines_are_not_repaired(clean: str) -> None:
    item = only_item(clean)
    assert item.repaired is False
    assert not any(sig in item.text for sig in ("📅", "⏫", "🔺", "🔁", "⛔", "🆔"))


@pytest.mark.parametrize(("clean", "damaged"), REALISTIC_CASES)
def test_realistic_damaged_line_reads_like_the_clean_one(clean: str, damaged: str) -> None:
    want = only_item(clean)
    got = only_item(damaged)
    assert fields(got) == fields(want)
    assert got.repaired is True


def test_the_realistic_lines_read_as_written() -> None:
    item = only_item(REALISTIC[4])
    assert item.text == "Review the café menu for the offsite"
    assert (item.priority, item.recurrence, item.task_id) == ("lowest", "every week", "menu-1")
    assert item.depends_on == ["venue-2", "budget_3"]
    item = only_item(REALISTIC[5])
    assert (item.keys, item.block_id, item.priority) == ({"jira": "CLOUD-12"}, "ps-7k2m9q", "high")


# --- specific damage -----------------------------------------------------------------------


@pytest.mark.parametrize("form", ["â«", "â\x8f«", "â\ufffd«", "â«ï¸"])
def test_damaged_high_priority_then_space_is_not_swallowed(form: str) -> None:
    trailing = only_item(f"- [ ] Draft the plan {form} #task")
    assert trailing.priority == "high"
    assert trailing.tags == ["#task"]
    assert trailing.text == "Draft the plan"
    assert trailing.description == "Draft the plan #task"
    assert trailing.repaired is True
    # Not trailing: the plugin reads it as text; the space after it must survive the repair.
    inside = only_item(f"- [ ] Fix {form} later")
    assert inside.priority == "none"
    assert inside.description.startswith("Fix ⏫")
    assert inside.description.endswith(" later")


@pytest.mark.parametrize("codec", ["cp1252", "cp1254", "latin-1"])
def test_mojibake_in_the_description_is_read_back(codec: str) -> None:
    damaged = damage("- [ ] Clarify VAST’s release gates @Myself 📅 2025-10-27", codec, "dropped")
    if codec != "latin-1":
        assert "VASTâ€™s" in damaged
    item = only_item(damaged)
    assert item.text == "Clarify VAST’s release gates"
    assert item.repaired is True


def test_sample_style_mojibake_reads_back() -> None:
    item = only_item("- [?] Clarify VASTâ€™s lifecycle @Myself ğŸ“… 2025-10-27 â« #task")
    assert item.text == "Clarify VAST’s lifecycle"
    assert (item.owner, str(item.due), item.priority) == ("Myself", "2025-10-27", "high")


def test_whatwg_windows_1252_keeps_undefined_bytes_as_c1_controls() -> None:
    # ” is E2 80 9D; 0x9D is undefined in Windows-1252, and browsers' decoder keeps it as U+009D.
    # Unlike a dropped byte, "â€\x9d" is unambiguous: it can only have been ”. The signifiers are
    # read in this form (see the "-c1" cases above); the description must be too.
    clean = "- [ ] Ship the “co-pilot” rollout @Tomer Hagay 📅 2025-10-27 ⏫ #task"
    damaged = damage(clean, "cp1252", "c1")
    assert "\x9d" in damaged
    got = only_item(damaged)
    assert fields(got) == fields(only_item(clean))


@pytest.mark.parametrize("codec", ["cp1252", "cp1254"])
def test_a_closing_quote_that_lost_its_last_byte_is_read_back(codec: str) -> None:
    # ” is E2 80 9D and 9D has no character in these code pages: dropped, it leaves "â€", which
    # could otherwise only have been a space, an invisible mark or a rare hyphen.
    clean = "- [ ] Draft a “fair share” I/O policy, then “review” it @Myself 📅 2025-10-27 #task"
    damaged = damage(clean, codec, "dropped")
    assert "shareâ€ I/O" in damaged and "reviewâ€ it" in damaged
    item = only_item(damaged)
    assert fields(item) == fields(only_item(clean))
    assert item.repaired is True


def test_a_letter_that_lost_its_last_byte_is_left_as_it_is() -> None:
    # Á (C3 81) without its 81 is "Ã": Á, Í, Ï, Ð and Ý all lose a byte Windows-1252 lacks.
    damaged = damage("- [ ] Call ÁLVARO about the quota @Myself", "cp1252", "dropped")
    assert "ÃLVARO" in damaged
    assert only_item(damaged).text == "Call ÃLVARO about the quota"


@pytest.mark.parametrize(
    "text",
    [
        "Review the Café menu with Zoë",
        "Explain the naïve plan",
        "Ask José about the São Paulo rollout",
        "Plan the Ærøskøbing offsite",
        "Book İstanbul and Ağrı flights",
        "Price is £20 or €25 ± 5",
        "Review the „Fuß“ glossary",
        "Check JOSÉ’S numbers",
        # A word's first letter after an apostrophe, an opening quotation mark or a no-break
        # space: through Mac Roman those are a lead byte and a continuation byte, and were
        # read as one rare character (l’été as "lՎté", Armenian), where Obsidian Tasks reads
        # the words as written. French elides with ’ (smart punctuation types it).
        "Préparer l’été avec l’équipe, c’était prévu jusqu’à jeudi",
        "Relire d’après l’Île-de-France et l’Éducation",
        "Choisir entre “été” et ‘élan’, puis “Über”",
    ],
)
def test_legitimate_accented_text_is_not_repaired(text: str) -> None:
    item = only_item(f"- [ ] {text} @Myself 📅 2025-10-27 ⏫ #task")
    assert item.text == text
    assert item.repaired is False
    assert parse_text(f"- [ ] {text}\n", path="x.md").warnings == []


@pytest.mark.parametrize(
    "text",
    [
        # CA 8E, Mac Roman's no-break space and é, read as UTF-8 is "ʎ": "«\u00a0ʎlargir".
        "Relire «\u00a0élargir\u00a0» avec M.\u00a0Éric",
        # C9 A0, Windows-1252's É and no-break space, is "ɠ": French puts one before "!".
        "Fêter L’ÉTÉ\u00a0! et VOILÀ\u00a0: ÇA\u00a0?",
    ],
)
def test_a_no_break_space_beside_a_letter_is_not_repaired(text: str) -> None:
    item = only_item(f"- [ ] {text} 📅 2025-10-27")
    assert item.description == text
    assert item.repaired is False


@pytest.mark.parametrize("text", ["L’ÉTÉ\u00a0!", "CAFÉ\u00a0?", "É\u00a0!"])
def test_mac_roman_damage_of_a_capital_before_a_no_break_space_reads_back(text: str) -> None:
    # É and a no-break space (C3 89 C2 A0) through Mac Roman are "√â¬†", whose "â¬" is also
    # ⏬ (E2 8F AC) through Windows-1252 with its 8F lost: the run was read as "√⏬†", lowest
    # priority. Mac Roman reads the whole run, as the two characters it was.
    clean = f"- [ ] Fêter {text} @Myself 📅 2025-10-27 🔼 #task"
    damaged = damage(clean, "mac_roman", "dropped")
    assert "√â¬†" in damaged
    item = only_item(damaged)
    assert fields(item) == fields(only_item(clean))
    assert item.repaired is True


@pytest.mark.parametrize("codec", CODECS)
def test_damaged_accented_text_is_repaired(codec: str) -> None:
    clean = "- [ ] Review the Café menu with Zoë @Zoë 📅 2025-10-27 ⏫ #task"
    item = only_item(damage(clean, codec, "replaced"))
    assert fields(item) == fields(only_item(clean))
    assert item.repaired is True


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("codec", CODECS)
def test_damaged_elisions_and_quotes_are_repaired(codec: str, mode: str) -> None:
    # The same words clean are left as written (above); damaged, they still read back.
    clean = "- [ ] Préparer l’été avec l’équipe jusqu’à jeudi, “Über” @Zoë 📅 2025-10-27"
    item = only_item(damage(clean, codec, mode))
    assert fields(item) == fields(only_item(clean))


def test_repair_is_reported_as_a_note_warning() -> None:
    note = parse_text(
        "# Sync\n- [ ] Clean @Myself 📅 2025-10-27\n- [ ] Damaged @Myself ğŸ“… 2025-10-27\n",
        path="notes/sync.md",
    )
    assert [i.repaired for i in note.items] == [False, True]
    assert any(w.path == "notes/sync.md" and w.line == 3 for w in note.warnings)


def test_parse_task_line_alone_does_not_repair() -> None:
    # Repair is the note reader's job; the task-line reader sees damaged text as text.
    task = parse_task_line("- [ ] Draft the plan ğŸ“… 2025-10-27")
    assert task is not None
    assert task.body.dates.get("due") is None


# --- the real samples ----------------------------------------------------------------------


def _sample_table() -> dict[str, str]:
    """Damaged form -> signifier, built here from the codecs, for the signifiers in samples."""
    table: dict[str, str] = {}
    for sig in ("📅", "🔺", "⏫", "🔼", "🔽", "⏬"):
        for codec in CODECS:
            for errors in ("ignore", "replace"):
                table[sig.encode("utf-8").decode(codec, errors)] = sig
    return table


PRIORITY_NAMES = {"🔺": "highest", "⏫": "high", "🔼": "medium", "🔽": "low", "⏬": "lowest"}
SAMPLE_LINE = re.compile(
    r"^- \[\?\] (?P<desc>.+?) @(?P<owner>[A-Z][a-z]+(?: [A-Z][a-z]+)?) "
    r"(?P<due_sig>\S+) (?P<due>\d{4}-\d{2}-\d{2})(?: (?P<prio>[^#\s]+))? (?P<tags>#.+)$"
)


def _expected_samples() -> dict[str, list[dict[str, object]]]:
    table = _sample_table()
    apostrophe = "’".encode().decode("cp1252")
    expected: dict[str, list[dict[str, object]]] = {}
    for path in sample_notes():
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
            if not line.startswith("- [?] "):
                continue
            match = SAMPLE_LINE.match(line)
            assert match, line
            assert table[match["due_sig"]] == "📅"
            priority = PRIORITY_NAMES[table[match["prio"]]] if match["prio"] else "none"
            text = match["desc"].replace(apostrophe, "’")
            assert re.fullmatch(r"[\x20-\x7e’]+", text), text
            rows.append(
                {
                    "kind": "action",
                    "line": number,
                    "status": "?",
                    "accepted": False,
                    "text": text,
                    "owner": match["owner"],
                    "due": match["due"],
                    "priority": priority,
                    "tags": match["tags"].split(),
                    "repaired": True,
                }
            )
        expected[path.name] = rows
    return expected


def test_samples_through_the_cli() -> None:
    expected = _expected_samples()
    # 12 + 10 action items; with the second note's 2 decisions, 24 items in all.
    assert sum(len(rows) for rows in expected.values()) == 22
    result = CliRunner().invoke(main, ["parse", str(SAMPLES), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    notes = {Path(note["path"]).name: note for note in payload["notes"]}
    assert set(notes) == set(expected)
    for name, rows in expected.items():
        actions = [item for item in notes[name]["items"] if item["kind"] == "action"]
        got = [{key: item[key] for key in rows[0]} for item in actions]
        assert got == rows, name
        decisions = [item for item in notes[name]["items"] if item["kind"] == "decision"]
        if name.startswith("2025-10-29"):
            assert [(d["line"], d["accepted"], d["status"]) for d in decisions] == [
                (55, False, None),
                (57, False, None),
            ]
            assert decisions[0]["text"].startswith("Schedule a 1-hour Friday follow-up session")
        else:
            assert decisions == []
        for item in actions:
            assert item["scheduled"] is None and item["start"] is None
            assert item["done"] is None and item["cancelled"] is None
            assert item["keys"] == {} and item["block_id"] is None


def test_sample_expectations_are_spot_on() -> None:
    # A few values read by eye from the samples, to check the independent reading above.
    expected = _expected_samples()
    first = expected["2025-10-24-ai-first-dev-and-cloud-maturity.md"]
    assert (first[0]["line"], first[0]["owner"], first[0]["due"], first[0]["priority"]) == (
        28,
        "Myself",
        "2025-10-27",
        "highest",
    )
    assert (first[7]["owner"], first[7]["priority"]) == ("Tomer Hagay", "high")
    assert (first[11]["due"], first[11]["priority"]) == ("2025-10-26", "low")
    assert first[9]["text"].startswith("Clarify VAST’s end-to-end dev lifecycle")
    second = expected["2025-10-29-pm-led-cloud-model.md"]
    assert [r["line"] for r in second] == list(range(29, 48, 2))
    assert (second[4]["owner"], second[4]["priority"]) == ("Shahar", "none")
    assert second[0]["tags"] == ["#task", "#proposed", "#auto"]


# --- The look-up of damaged forms finds what a longest-first alternation finds ----------------

_FORMS = sorted(damaged_table(), key=len, reverse=True)
_LONGEST_FIRST = re.compile("|".join(map(re.escape, _FORMS)))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(_FORMS), st.sampled_from(["a", " ", "é", "â", "ð", "Ÿ"])),
        max_size=8,
    )
)
def test_damaged_spans_match_longest_form_first(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert list(damaged_spans(text)) == [m.span() for m in _LONGEST_FIRST.finditer(text)]
    # and the shorter form repair falls back to, one that ends before a given place
    for start in range(len(text)):
        for end in range(start, len(text) + 1):
            found = _LONGEST_FIRST.match(text, start, end)
            assert _longest_form(text, start, end) == (found.end() if found else 0)


@pytest.mark.parametrize("mode", ["dropped", "replaced"])
def test_mac_roman_punctuation_reads_back_whole(mode: str) -> None:
    # … (E2 80 A6) through Mac Roman is "‚Ä¶"; Windows-1252 reads its last two characters as
    # the bytes C4 B6, "Ķ", and the text read "plan‚Ķ". The codec that reads the whole run wins.
    clean = "- [ ] Price the plan… in € • per TB @Myself 📅 2025-10-27 ⏫ #task"
    damaged = damage(clean, "mac_roman", mode)
    assert "plan‚Ä¶" in damaged
    item = only_item(damaged)
    assert fields(item) == fields(only_item(clean))
    assert item.repaired is True


@pytest.mark.parametrize("codec", ["cp1252", "cp1254"])
def test_a_closing_quote_whose_last_byte_was_replaced_is_read_back(codec: str) -> None:
    # The decoder that met 9D put U+FFFD in its place: "â€�". The run held a character no
    # code page encodes, and none of it was read back, the accented name beside it neither.
    clean = "- [ ] Ask José about “noisy neighbour” complaints — and the SLA @José 📅 2025-10-27"
    damaged = damage(clean, codec, "replaced")
    assert "neighbourâ€\ufffd complaints" in damaged
    item = only_item(damaged)
    assert fields(item) == fields(only_item(clean))
    assert only_item(damage("- [ ] Book “Zoë’s” room", codec, "replaced")).text == (
        "Book “Zoë’s” room"
    )


@pytest.mark.parametrize("mode", ["dropped", "replaced", "c1"])
def test_mac_roman_damage_of_a_ring_a_reads_back(mode: str) -> None:
    # å (C3 A5) through Mac Roman is "√•": a symbol before a bullet, not the accented capital
    # before punctuation ("JOSÉ’S") that is better left as written.
    clean = "- [ ] Book the Ålesund and Århus offices for Håkon @Håkon 📅 2025-10-27"
    damaged = damage(clean, "mac_roman", mode)
    assert "H√•kon" in damaged
    assert fields(only_item(damaged)) == fields(only_item(clean))


@pytest.mark.parametrize(("emoji", "codec"), [("🚀", "cp1252"), ("😀", "cp1254"), ("✓", "latin-1")])
@pytest.mark.parametrize("mode", ["dropped", "replaced", "c1"])
def test_damaged_emoji_is_not_a_signifier_that_lost_its_bytes(
    emoji: str, codec: str, mode: str
) -> None:
    # 🏁 (F0 9F 8F 81) that lost both last bytes is "ðŸ", the start of every damaged emoji:
    # "ðŸš€" read as "🏁š€"; ✓ (E2 9C 93) through Latin-1 as "✅\x93". The bytes go on, so
    # nothing was lost, and the emoji reads back as itself.
    clean = f"- [ ] Launch {emoji} the beta {emoji}, then review @Myself 📅 2025-10-27 ⏫ #task"
    item = only_item(damage(clean, codec, mode))
    assert fields(item) == fields(only_item(clean))


@pytest.mark.parametrize(
    ("emoji", "codec", "wrong"),
    [
        ("❤️", "cp1252", "⌛"),  # E2 9D A4: "â\ufffd" is ⌛ (E2 8C 9B) with both last bytes lost
        ("🎉", "cp1254", "🏁"),  # F0 9F 8E 89: "ğŸ\ufffd" is 🏁 with 8F lost and 81 replaced
    ],
)
def test_a_signifier_form_followed_by_more_of_a_character_is_not_read(
    emoji: str, codec: str, wrong: str
) -> None:
    # Whatever the form, the next character stands for a continuation byte (here "¤", "‰"):
    # no UTF-8 character is followed by one, so the form is cut out of another character. Its
    # lost byte cannot be told, and it stays as written rather than becoming a signifier.
    clean = f"- [ ] Celebrate {emoji} the launch @Myself 📅 2025-10-27 ⏫ #task"
    damaged = damage(clean, codec, "replaced")
    item = only_item(damaged)
    assert wrong not in item.text
    assert (item.owner, item.due, item.priority) == ("Myself", only_item(clean).due, "high")


@pytest.mark.parametrize("word", ["Привет", "ответ", "Ελληνικά", "Αθήνα", "العربية", "Bjørn’s"])
@pytest.mark.parametrize("codec", CODECS)
def test_a_pair_that_looks_like_a_letter_and_a_quote_is_read_in_a_run_of_mojibake(
    word: str, codec: str
) -> None:
    # т (D1 82) through Windows-1252 is "Ñ‚", which reads like a letter before a quotation
    # mark and was kept as such ("ПривеÑ‚"); beside other mojibake in the same run, it is more.
    clean = f"- [ ] Reply to {word} today @Myself 📅 2025-10-27"
    item = only_item(damage(clean, codec, "dropped"))
    assert item.text == f"Reply to {word} today"


_FORM_CHARS = {form[:1] for form in damaged_table()} | {form[1:2] for form in damaged_table()}
SUSPECT_PIECES = st.sampled_from(
    [*sorted(_FORM_CHARS), "a", " ", "?", "??", "é", "’", "—", "📅", "\ufe0f", "\ufffd", "\x85"]
)


@settings(max_examples=2000, deadline=None)
@given(st.lists(SUSPECT_PIECES, max_size=12).map("".join) | st.text(max_size=30))
def test_needs_repair_answers_as_the_pattern_does(text: str) -> None:
    """needs_repair tells most clean text apart before the pattern's search, which it
    stands in for: a first character of a form, or two beyond ASCII side by side."""
    assert needs_repair(text) == (
        not text.isascii() and _suspect_pattern().search(text) is not None
    )


_MOJIBAKE = [
    "é".encode().decode("cp1252"),
    "’".encode().decode("cp1252"),
    "📅".encode().decode("mac_roman"),
]


@settings(max_examples=2000, deadline=None)
@given(
    st.lists(
        SUSPECT_PIECES | st.sampled_from(_FORMS) | st.sampled_from(_MOJIBAKE), max_size=10
    ).map("".join)
    | st.text(max_size=30)
)
def test_repaired_text_reads_as_repair_does(text: str) -> None:
    """The parser reads a damaged note's lines through repaired_text, which builds no offsets
    back into the line; write-back reads them through repair: both must see the same text."""
    fixed = repair(text)
    assert repaired_text(text) == (fixed.text, fixed.repaired)
