"""Property tests: generated task lines read back to exactly the fields they were built from.

A line is built from random description words (one may be a link to a ticket the text
mentions), an optional owner, and a random subset of fields in random order (the Obsidian Tasks
plugin reads trailing fields in any order), with tags mixed among them and an optional block id
at the end. The parser must give back exactly those fields, also after the line has been
damaged through a wrong codec; and it must never raise, whatever text or bytes it is given.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plansync.notes.model import AcceptancePolicy, Item
from plansync.notes.note_file import decode_note
from plansync.notes.parse import parse_text
from plansync.notes.reread import reread_keys
from plansync.notes.signifiers import PRIORITIES

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DATE_SIGNIFIERS = {
    "due": ("📅", "📆", "🗓"),
    "scheduled": ("⏳", "⌛"),
    "start": ("🛫",),
    "created": ("➕",),
    "done": ("✅",),
    "cancelled": ("❌",),
}
WORDS = st.sampled_from(
    [
        "draft",
        "review",
        "the",
        "plan",
        "with",
        "team",
        "for",
        "cloud",
        "intake",
        "form",
        "release",
        "notes",
        "and",
        "of",
        "Q4",
        "OVA",
        "SaaS",
        "1:1",
        "to-do",
        "(backup)",
        "e.g.",
        "v5.5",
        "café",
        "naïve",
        "Zoë’s",
    ]
)
OWNERS = st.sampled_from(["Myself", "Dana Okafor", "Priya Natarajan", "dokafor", "j.smith"])
# People whose names hold words with no capital: read whole only as the config's [users] names.
NAMED = ("Ana de la Cruz", "Ludwig van Beethoven", "Rui dos Santos", "Émile de Sérévillé")
NAMED_POLICY = AcceptancePolicy(owner_names=(*NAMED, "Dana", "Ana de la"))
IDS = st.from_regex(r"[a-zA-Z0-9_-]{1,8}", fullmatch=True)
TAGS = st.from_regex(r"#[a-z][a-z0-9/_-]{0,8}", fullmatch=True)
RECURRENCES = st.sampled_from(
    ["every day", "every week", "every 2 weeks", "every month on the 1st", "every weekday"]
)
VS = st.sampled_from(["", "\ufe0f"])
GAP = st.sampled_from([" ", "", "  "])
SEP = st.sampled_from([" ", "  "])
DATES = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31))


@dataclass
class Built:
    line: str
    words: list[str]
    status: str
    owner: str | None
    dates: dict[str, dt.date] = field(default_factory=dict)
    priority: str = "none"
    recurrence: str | None = None
    task_id: str | None = None
    depends_on: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    block_id: str | None = None
    jira: str | None = None
    mentioned: str | None = None
    mentioned_at: int = 0

    def described(self, label: bool) -> list[str]:
        """The words, with the ticket the text mentions in them (its label, or its link)."""
        if self.mentioned is None:
            return self.words
        mention = self.mentioned if label else jira_link(self.mentioned)
        return [*self.words[: self.mentioned_at], mention, *self.words[self.mentioned_at :]]


def jira_link(key: str) -> str:
    return f"[{key}](https://example.atlassian.net/browse/{key})"


@st.composite
def task_lines(draw: st.DrawFn, owners: st.SearchStrategy[str] = OWNERS) -> Built:
    words = draw(st.lists(WORDS, min_size=1, max_size=6))
    status = draw(st.sampled_from([" ", "x", "/", "-", "?", "Q"]))
    owner = draw(st.none() | owners)
    kinds = draw(
        st.sets(
            st.sampled_from(
                [
                    *DATE_SIGNIFIERS,
                    "priority",
                    "recurrence",
                    "task_id",
                    "depends_on",
                    "tag1",
                    "tag2",
                ]
            )
        )
    )
    built = Built(line="", words=words, status=status, owner=owner)
    parts: list[str] = []
    for kind in draw(st.permutations(sorted(kinds))):
        if kind in DATE_SIGNIFIERS:
            date = draw(DATES)
            built.dates[kind] = date
            sig = draw(st.sampled_from(DATE_SIGNIFIERS[kind]))
            parts.append(f"{sig}{draw(VS)}{draw(GAP)}{date.isoformat()}")
        elif kind == "priority":
            emoji = draw(st.sampled_from(sorted(PRIORITIES)))
            built.priority = PRIORITIES[emoji]
            parts.append(emoji + draw(VS))
        elif kind == "recurrence":
            built.recurrence = draw(RECURRENCES)
            parts.append(f"🔁{draw(VS)} {built.recurrence}")
        elif kind == "task_id":
            built.task_id = draw(IDS)
            parts.append(f"🆔{draw(VS)}{draw(GAP)}{built.task_id}")
        elif kind == "depends_on":
            built.depends_on = draw(st.lists(IDS, min_size=1, max_size=3))
            joiner = draw(st.sampled_from([",", ", ", " , "]))
            parts.append(f"⛔{draw(VS)} {joiner.join(built.depends_on)}")
        else:
            tag = draw(TAGS)
            built.tags.append(tag)
            parts.append(tag)
    if draw(st.booleans()):
        built.block_id = draw(st.from_regex(r"[a-zA-Z0-9-]{1,10}", fullmatch=True))
    marker = draw(st.sampled_from(["-", "*", "+", "1.", "2)"]))
    indent = draw(st.sampled_from(["", "  ", "\t", "> ", "    "]))
    # A ticket the text mentions, with words after it: text, not the item's key.
    keys = st.from_regex(r"[A-Z]{2,5}-[1-9][0-9]{0,4}", fullmatch=True)
    built.mentioned = draw(st.none() | keys)
    built.mentioned_at = draw(st.integers(0, len(words) - 1))
    head = " ".join(built.described(label=False)) + (f" @{owner}" if owner else "")
    # A ticket key link where write-back puts it: after the description, before the fields.
    built.jira = draw(st.none() | keys)
    if built.jira:
        head += f" {jira_link(built.jira)}"
    line = f"{indent}{marker} [{status}] {head}"
    for part in parts:
        line += draw(SEP) + part
    if built.block_id:
        line += f" ^{built.block_id}"
    built.line = line + draw(st.sampled_from(["", " ", "  "]))
    return built


def check(item: Item, built: Built) -> None:
    assert item.kind == "action"
    assert item.status == built.status
    assert item.text == " ".join(built.described(label=True))
    assert item.owner == built.owner
    for name in DATE_SIGNIFIERS:
        assert getattr(item, name) == built.dates.get(name), name
    assert item.priority == built.priority
    assert item.recurrence == built.recurrence
    assert item.task_id == built.task_id
    assert item.depends_on == built.depends_on
    assert item.tags == built.tags
    assert item.block_id == built.block_id
    assert item.keys == ({"jira": built.jira} if built.jira else {})
    owner = [f"@{built.owner}"] if built.owner else []
    link = [jira_link(built.jira)] if built.jira else []
    assert item.description == " ".join([*built.described(label=False), *owner, *link, *built.tags])


def parse_one(line: str, policy: AcceptancePolicy | None = None) -> Item:
    """The item of ``line`` as the planner reads it, knowing it has no records: a ticket the
    text mentions is no key (the parser alone reads the last link as one)."""
    policy = policy or AcceptancePolicy()
    # Under a bullet, as an indented task stands in a note: four columns into a note with
    # nothing above is an indented code block, where Obsidian lists no item. A blank line
    # between: a numbered list that starts at 2 ("  2) [ ] draft") cannot interrupt the
    # bullet's paragraph, so right below it the line would be that paragraph's text.
    note = parse_text("- Agenda\n\n" + line + "\n", path="generated.md", policy=policy)
    assert len(note.items) == 1, (line, note.items)
    item = note.items[0]
    linked = re.findall(r"/browse/([A-Z]+-\d+)\)", line)
    assert item.keys == ({"jira": linked[-1]} if linked else {})  # the parser's: the last link
    return reread_keys(item, line, {}, policy)


@FAST
@given(task_lines())
def test_generated_line_reads_back(built: Built) -> None:
    item = parse_one(built.line)
    check(item, built)
    assert item.repaired is False


@FAST
@given(task_lines(owners=st.sampled_from(NAMED) | OWNERS))
def test_generated_line_with_a_configured_name_reads_back(built: Built) -> None:
    """An owner [users] names is read whole, whatever its words; names the line does not hold
    ("Dana", who is no Dana Okafor; "Ana de la", shorter than Ana de la Cruz) change nothing."""
    check(parse_one(built.line, NAMED_POLICY), built)


@FAST
@given(task_lines())
def test_configured_names_change_no_other_line(built: Built) -> None:
    assert parse_one(built.line, NAMED_POLICY) == parse_one(built.line)


CODECS = st.sampled_from(["cp1252", "cp1254", "mac_roman", "latin-1"])
ERRORS = st.sampled_from(["ignore", "replace"])


@FAST
@given(task_lines(), CODECS, ERRORS)
def test_damaged_generated_line_reads_back(built: Built, codec: str, errors: str) -> None:
    damaged = built.line.encode("utf-8").decode(codec, errors=errors)
    item = parse_one(damaged)
    check(item, built)
    assert item.repaired is (damaged != built.line)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_text_never_raises(text: str) -> None:
    note = parse_text(text, path="random.md")
    for item in note.items:
        assert item.line >= 1
    note.to_contract()


NOTE_ALPHABET = st.sampled_from(
    [
        *"- []x?/>#@^:\n\t `~*+1.)(|",
        *("📅", "⏫", "🔁", "⛔", "🆔", "\ufe0f", "â«", "ğŸ“…", "\ufffd", "\x8f"),
        *("---\n", "## Decisions\n", "2025-10-27", "TBD", "[[", "]]", "]("),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(NOTE_ALPHABET, max_size=60).map("".join))
def test_parse_text_never_raises_on_note_like_text(text: str) -> None:
    note = parse_text(text, path="random.md")
    note.to_contract()
    for warning in note.warnings:
        assert warning.path == "random.md"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_decode_and_parse(data: bytes) -> None:
    text, encoding, not_utf8 = decode_note(data)
    assert isinstance(text, str)
    assert encoding in ("utf-8", "cp1252")
    assert (not_utf8 is None) == (encoding == "utf-8")
    parse_text(text, path="bytes.md").to_contract()
