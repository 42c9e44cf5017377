"""The descriptions and summaries plansync writes: a part about the meeting that the note gives
no value for (no date, no participants) is left out, where it read "... on ." and "Participants: "
before; the note's text in a wiki-markup description shows as written; a summary too long for Jira
is cut after a word. A note that gives every part, in words without wiki markup's brackets, renders
byte for byte as before, so no record synced then changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, ExampleProject, replace_once, sample_notes, sandbox_issues
from hypothesis import given
from hypothesis import strategies as st

import plansync
from plansync.config import Config
from plansync.config_load import config_from_dict
from plansync.field_text import fitted, wiki_text
from plansync.notes.model import Note
from plansync.notes.parse import parse_note
from plansync.rules import Context, JiraRouting, jira_fields, salesforce_fields

# The default templates as they were, which every record synced until now was rendered with.
OLD_JIRA = (
    "{text}\n\n"
    "From the meeting [{note_title}|{link}] on {note_date}.\n"
    "Participants: {participants}\n"
    "Owner: {owner}\n\n"
    "_Synced by plansync from {note_path}._"
)
OLD_SF = (
    '{text}\n\nFrom the meeting "{note_title}" on {note_date} ({participants}).\n'
    "Owner: {owner}\nNote: {link}"
)


def default_config(tmp_path: Path, api_version: str = "2") -> Config:
    return config_from_dict(
        {"jira": {"api_version": api_version}, "rules": [{"project": "PLAN"}], "salesforce": {}},
        source=tmp_path / "plansync.toml",
    )


def jira_record(config: Config, note: Note, index: int = 0) -> dict[str, Any]:
    """The Jira record of the note's ``index``-th item, as a plan of ``config`` asks for it."""
    context = Context(note.items[index], note, "ps-abc123", "obsidian://open?x")
    return JiraRouting().fields_for(config, config.rules[0], context, lambda: None, None)


def descriptions(config: Config, note: Note, index: int = 0) -> tuple[str, str]:
    """The Jira and the Salesforce description of the note's ``index``-th item."""
    assert config.salesforce is not None
    context = Context(note.items[index], note, "ps-abc123", "obsidian://open?x")
    sf = salesforce_fields(config, config.salesforce.rules[0], context, None, None)
    return jira_record(config, note, index)["description"], sf["Description__c"]


def test_notes_that_give_every_part_render_byte_for_byte_as_before(tmp_path: Path) -> None:
    config = default_config(tmp_path)
    paths = sorted((EXAMPLES / "vault").glob("*.md")) + sample_notes()
    compared = 0
    for path in paths:
        note = parse_note(path)
        if not (note.date and note.participants and note.title):
            continue
        for index, item in enumerate(note.items):
            if not item.owner:
                continue  # its "Owner: " line is left out now (below)
            context = Context(item, note, "ps-abc123", "obsidian://open?x")
            jira, sf = descriptions(config, note, index)
            assert jira == OLD_JIRA.format_map(context.values()), f"{path.name}:{item.line}"
            assert sf == OLD_SF.format_map(context.values()).strip(), f"{path.name}:{item.line}"
            compared += 1
    assert compared > 50  # every example note and sample, and their items with an owner


def test_an_item_without_an_owner_has_no_owner_line(tmp_path: Path) -> None:
    """It read "Owner: " with nothing after it, in every issue and record made from such an
    item (two user tests found it); one with an owner reads as before."""
    path = tmp_path / "hallway.md"
    path.write_text(
        "---\ntitle: Hallway chat\ndate: 2025-11-20\n---\n\n- [ ] Book the room\n"
        "- [ ] Send the notes @Ana\n",
        "utf-8",
    )
    note = parse_note(path, path="hallway.md")
    jira, sf = descriptions(default_config(tmp_path), note)
    assert jira == (
        "Book the room\n\nFrom the meeting [Hallway chat|obsidian://open?x] on 2025-11-20.\n\n"
        "_Synced by plansync from hallway.md._"
    )
    assert (
        sf
        == 'Book the room\n\nFrom the meeting "Hallway chat" on 2025-11-20.\nNote: obsidian://open?x'
    )
    jira, sf = descriptions(default_config(tmp_path), note, 1)
    assert "on 2025-11-20.\nOwner: Ana\n\n_Synced" in jira
    assert sf.endswith("on 2025-11-20.\nOwner: Ana\nNote: obsidian://open?x")


@pytest.mark.parametrize(
    ("front_matter", "jira_line", "sf_line"),
    [
        (
            "title: Hallway chat\n",
            "From the meeting [Hallway chat|obsidian://open?x].\nOwner",
            '"Hallway chat".',
        ),
        (
            "title: Hallway chat\ndate: 2025-11-20\n",
            "[Hallway chat|obsidian://open?x] on 2025-11-20.\nOwner",
            '"Hallway chat" on 2025-11-20.',
        ),
        (
            "title: Hallway chat\nparticipants: [Ana, Bo]\n",
            "[Hallway chat|obsidian://open?x].\nParticipants: Ana, Bo\nOwner",
            '"Hallway chat" (Ana, Bo).',
        ),
    ],
)
def test_parts_a_note_gives_no_value_for_are_left_out(
    tmp_path: Path, front_matter: str, jira_line: str, sf_line: str
) -> None:
    path = tmp_path / "hallway.md"
    path.write_text(f"---\n{front_matter}---\n\n- [ ] Book the review room @Ana\n", "utf-8")
    jira, sf = descriptions(default_config(tmp_path), parse_note(path))
    assert jira_line in jira and sf_line in sf
    for text in (jira, sf):
        assert " on ." not in text and "()" not in text and "Participants: \n" not in text


def test_a_note_built_without_a_title_is_named_by_its_path(tmp_path: Path) -> None:
    path = tmp_path / "hallway.md"
    path.write_text("- [ ] Book the review room @Ana\n", "utf-8")
    note = parse_note(path).model_copy(update={"title": None, "path": "notes/hallway.md"})
    jira, sf = descriptions(default_config(tmp_path), note)
    assert "From the meeting [notes/hallway.md|obsidian://open?x].\nOwner: Ana" in jira
    assert 'From the meeting "notes/hallway.md".\nOwner: Ana' in sf


def issue_descriptions(project: ExampleProject) -> dict[str, str]:
    dump = sandbox_issues(project.url)
    return {issue["key"]: issue["fields"]["description"] for issue in dump}


def test_records_with_the_old_text_get_one_plain_update_and_the_rest_none(
    example_project: ExampleProject,
) -> None:
    """Records synced from a note without a date or participants hold "... on .": the next
    plan updates their description once (the base in the state and the record both hold the
    old text, so it is the note's change, not a conflict), and plans nothing for any other
    record: the example notes give every part, so they render as they did."""
    project = example_project
    (project.vault / "hallway-chat.md").write_text(
        "---\ntitle: Hallway chat\n---\n\n## Action Items\n\n"
        "- [ ] Book the review room @Myself\n- [ ] Send the pricing notes @Myself\n",
        encoding="utf-8",
    )
    labels = 'labels = ["plansync"]\n'
    replace_once(project.config_path, labels, f"{labels}description = {json.dumps(OLD_JIRA)}\n")
    before = plansync.apply(plansync.load_config(project.config_path))
    assert before.ok, before.errors
    broken = {k for k, text in issue_descriptions(project).items() if "] on .\n" in text}
    assert len(broken) == 2

    project.write_config()  # the default template again: the one this version ships
    config = plansync.load_config(project.config_path)
    plan = plansync.plan(config)
    assert plan.summary["conflict"] == 0, [c.message for c in plan.changes]
    assert {c.action for c in plan.changes} == {"update"}
    assert {c.key for c in plan.changes} == broken
    for change in plan.changes:
        assert set(change.fields) == {"description"}
        old, new = change.fields["description"]["old"], change.fields["description"]["new"]
        assert "] on .\nParticipants: \n" in old
        assert new == old.replace(" on .\nParticipants: \n", ".\n")
    result = plansync.apply(config)
    assert result.ok, result.errors
    assert not any(" on ." in text for text in issue_descriptions(project).values())
    assert not plansync.plan(config).changes


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{text:?<8}|", "Plan????|"),  # "?" as the fill character, as str.format reads it
        ("{text:?^8.3}|", "??Pla???|"),
        ("[{text:?<8 left}]", "[<8 left]"),  # any other text after "?" is a conditional part
        ("[{text:?<}]", "[Plan]"),
    ],
)
def test_a_template_padding_with_question_marks_keeps_its_meaning(
    tmp_path: Path, template: str, expected: str
) -> None:
    """``{name:?<8}`` was a plain format spec before conditional parts: pad with "?". A
    user's template written so renders as it did, rather than as the text "<8"."""
    config = config_from_dict(
        {"rules": [{"project": "PLAN", "description": template}]},
        source=tmp_path / "plansync.toml",
    )
    (tmp_path / "n.md").write_text("- [ ] Plan\n", "utf-8")
    note = parse_note(tmp_path / "n.md")
    context = Context(note.items[0], note, "ps-abc123", "obsidian://open?x")
    assert jira_fields(config.rules[0], context, None, wiki_markup=True)["description"] == expected


MARKUP_NOTE = (
    '---\ntitle: "Q1 | Roadmap [draft]"\ndate: 2025-11-22\nparticipants: ["Ana {PM}", "Bo|Eng"]\n'
    "---\n\n- [ ] Item with {noformat} and [WIP], *bold* and _x_ @Myself\n"
)


def test_the_notes_text_in_a_wiki_markup_description_shows_as_written(tmp_path: Path) -> None:
    """A "]" in the title ended the link to the note early and a "|" split it, a {noformat} in
    the item took in the rest of the description and [WIP] became a link: the values are
    escaped as Jira's wiki renderer reads a backslash, the template's own link and emphasis
    stay markup, and emphasis in the note is left to render."""
    path = tmp_path / "q1 {draft}.md"
    path.write_text(MARKUP_NOTE, "utf-8")
    note = parse_note(path).model_copy(update={"path": "notes/q1 {draft}.md"})
    jira, sf = descriptions(default_config(tmp_path), note)
    assert jira == (
        "Item with \\{noformat\\} and \\[WIP\\], *bold* and _x_\n\n"
        "From the meeting [Q1 \\| Roadmap \\[draft\\]|obsidian://open?x] on 2025-11-22.\n"
        "Participants: Ana \\{PM\\}, Bo\\|Eng\n"
        "Owner: Myself\n\n"
        "_Synced by plansync from notes/q1 \\{draft\\}.md._"
    )
    # The summary is plain text, and so is every Salesforce field: shown as the note has it.
    summary = jira_record(default_config(tmp_path), note)["summary"]
    assert summary == "Item with {noformat} and [WIP], *bold* and _x_"
    assert sf.startswith("Item with {noformat} and [WIP], *bold* and _x_\n\n")
    assert 'From the meeting "Q1 | Roadmap [draft]" on 2025-11-22 (Ana {PM}, Bo|Eng).' in sf


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("see \\[WIP\\]", "see &#92;\\[WIP&#92;\\]"),  # was "\\\\[": a line break, then a link
        ("a\\\\b", "a&#92;\\b"),  # was "\\\\": a line break
        ("ends in \\", "ends in &#92;"),  # escaped what the template puts after the value
        ("C:\\notes\\q1", "C:\\notes\\q1"),  # shown as written already: sent as it was
        ("\\*not bold\\*", "\\*not bold\\*"),  # Jira shows "*not bold*", as Obsidian does
    ],
)
def test_a_backslash_the_wiki_renderer_would_read_as_markup_is_sent_as_an_entity(
    text: str, sent: str
) -> None:
    """Jira's renderer has no escape for a backslash: one before another is a line break, and
    one before a character escaped here no longer escapes it."""
    assert wiki_text(text) == sent


def test_a_title_ending_in_a_backslash_keeps_the_link_to_the_note(tmp_path: Path) -> None:
    """``[C:\\|obsidian://…]``: the title's backslash escaped the link's "|", and the
    description showed the raw markup instead of a link to the note."""
    (tmp_path / "n.md").write_text("---\ntitle: 'Share C:\\'\n---\n- [ ] Plan \\[x\\]\n", "utf-8")
    jira, _ = descriptions(default_config(tmp_path), parse_note(tmp_path / "n.md"))
    assert jira.startswith("Plan &#92;\\[x&#92;\\]\n\n")
    assert "From the meeting [Share C:&#92;|obsidian://open?x]" in jira


def test_an_api_3_description_is_plain_text_and_not_escaped(tmp_path: Path) -> None:
    """API 3 sends the description as paragraphs of plain text (ADF), which Jira shows as
    typed: a backslash there would show too."""
    path = tmp_path / "q1 {draft}.md"
    path.write_text(MARKUP_NOTE, "utf-8")
    jira, _ = descriptions(default_config(tmp_path, api_version="3"), parse_note(path))
    assert "\\" not in jira
    assert jira.startswith("Item with {noformat} and [WIP], *bold* and _x_\n\n")
    assert "From the meeting [Q1 | Roadmap [draft]|obsidian://open?x] on 2025-11-22." in jira


@pytest.mark.parametrize("api_version", ["2", "3"])
def test_an_escaped_description_syncs_once_and_plans_nothing_after(
    example_project: ExampleProject, api_version: str
) -> None:
    """What Jira gives back is what the next plan asks for: the escapes do not make every
    sync update the description again."""
    project = example_project
    project.write_config(api_version=api_version)
    (project.vault / "q1 {draft}.md").write_text(MARKUP_NOTE, "utf-8")
    config = plansync.load_config(project.config_path)
    result = plansync.apply(config)
    assert result.ok, result.errors
    (text,) = [t for t in issue_descriptions(project).values() if "noformat" in t]
    wiki = api_version == "2"
    assert text.startswith("Item with \\{noformat\\}" if wiki else "Item with {noformat}")
    assert not plansync.plan(config).changes


def test_a_long_summary_is_cut_after_a_word_and_ends_in_an_ellipsis(tmp_path: Path) -> None:
    """A 12,000-character item's summary ended "…Very long item " (cut mid-word, a trailing
    space and no sign that it was cut)."""
    path = tmp_path / "long.md"
    path.write_text("- [ ] " + "Very long item " * 800 + "@Ana\n", "utf-8")
    summary = jira_record(default_config(tmp_path), parse_note(path))["summary"]
    assert summary == " ".join(["Very long item"] * 17) + "…"
    assert len(summary) == 255


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 255, "a" * 255),  # as long as the field: kept as it is
        ("a" * 253 + "🚀", "a" * 253 + "🚀"),  # 255 units, the emoji two of them
        ("a" * 300, "a" * 254 + "…"),  # no space near the limit: the word is cut
        ("ab " * 85 + "c", "ab " * 84 + "ab…"),  # 256: the last word is dropped
        ("a" * 220 + " " + "b" * 100, "a" * 220 + "…"),  # the space 34 characters back
        ("a" * 100 + " " + "b" * 200, "a" * 100 + " " + "b" * 153 + "…"),  # space too far back
        ("a" * 253 + "🚀 b", "a" * 253 + "…"),  # half the emoji would fit: none of it is kept
        ("a" * 251 + "👩\u200d💻 b", "a" * 251 + "…"),  # a ZWJ sequence (👩‍💻) is kept whole
        ("a" * 253 + "❤\ufe0f b", "a" * 253 + "…"),  # and a variation selector with its emoji
        ("a" * 252 + "1\ufe0f\u20e3 b", "a" * 252 + "…"),  # a keycap
        ("a" * 252 + "👍🏽 b", "a" * 252 + "…"),  # a skin tone
        ("a" * 253 + "e\u0301 b", "a" * 253 + "…"),  # a combining accent
        ("a" * 251 + "🇫🇷 b", "a" * 251 + "…"),  # a flag's two letters
        ("a" * 250 + "🇫🇷🇩🇪 b", "a" * 250 + "🇫🇷…"),  # the second flag, not half of it
    ],
)
def test_a_summary_is_cut_to_255_utf16_units_never_within_a_character(
    text: str, expected: str
) -> None:
    assert fitted(text, 255) == expected


def test_a_text_whose_only_space_is_before_its_words_is_cut_within_them() -> None:
    """Ending at that space left nothing but "…" (a review)."""
    assert fitted("  " + "a" * 20, 5) == "  aa…"


@given(
    st.text(
        st.sampled_from(["a", "b", " ", "🚀", "\u200d", "\ufe0f", "\u0301", "🇫", "🏽"]),
        max_size=120,
    ),
    st.integers(min_value=2, max_value=60),
)
def test_a_cut_text_fits_its_limit_and_says_it_was_cut(text: str, limit: int) -> None:
    cut = fitted(text, limit)
    assert len(cut.encode("utf-16-le")) // 2 <= limit
    if len(text.encode("utf-16-le")) // 2 <= limit:
        assert cut == text
    else:
        kept = cut.removesuffix("…")
        assert cut.endswith("…") and text.startswith(kept) and kept == kept.rstrip()
        if kept and text[len(kept)] != " ":  # cut in a word: not in one of its characters
            after = text[len(kept)]
            assert not kept.endswith("\u200d") and after not in "\u200d\ufe0f\u0301🏽"
            assert (len(kept) - len(kept.rstrip("🇫"))) % 2 == 0 or after != "🇫"


def sandbox_config(tmp_path: Path, **settings: Any) -> Config:
    """Jira and Salesforce, on the embedded sandboxes, by the default rules and templates."""
    return config_from_dict(
        {"rules": [{"project": "PLAN"}], "salesforce": {}, **settings},
        source=tmp_path / "plansync.toml",
    )


@pytest.mark.parametrize(
    ("myself", "named"),
    [
        ("Dana Okafor", "Dana Okafor"),  # a key of [users]: the person's name
        ("jason@example.com", "jason@example.com"),  # an e-mail: it is all the config says
        ("", "Myself"),  # no one to name
    ],
)
def test_myself_is_named_as_the_config_says_who_that_is(
    tmp_path: Path, myself: str, named: str
) -> None:
    """ "Owner: Myself" in an issue or a record told its reader nothing of whose work it was (a
    user test): it names whom 'myself' stands for. Other owners are as written; an item without
    one still has no owner's line."""
    users = {"Dana Okafor": {"email": "dana@example.com"}}
    config = sandbox_config(tmp_path, myself=myself, users=users)
    (tmp_path / "n.md").write_text(
        "---\ntitle: Hallway chat\n---\n\n- [ ] Book the room @Myself #rfe\n"
        "- [ ] Send the notes @Ana #rfe\n- [ ] Tidy up #rfe\n",
        "utf-8",
    )
    plan = plansync.plan(config)
    by_text = {
        (c.target, c.item.text): c.fields.get("description") or c.fields.get("Description__c")
        for c in plan.changes
        if c.action == "create"
    }
    for target in ("jira", "salesforce"):
        assert f"\nOwner: {named}\n" in by_text[target, "Book the room"], target
        assert "\nOwner: Ana\n" in by_text[target, "Send the notes"], target
        assert "Owner:" not in by_text[target, "Tidy up"], target


@pytest.mark.parametrize(
    "title",
    [
        "---\ntitle: Planning with [[Dana Okafor]]\n{participants}---\n\n",
        "---\n{participants}---\n\n# Planning with [[Dana Okafor]]\n\n",
    ],
    ids=["front matter", "heading"],
)
def test_wiki_links_in_the_title_and_participants_show_as_obsidian_shows_them(
    tmp_path: Path, title: str
) -> None:
    """Sent as written, they read "Participants: \\[\\[Dana Okafor\\]\\], …" in the issue and
    "Planning with [[Dana Okafor]]" as its link's title (a user test): the note's title and
    participants are read as the item's own text is, by what Obsidian shows."""
    participants = 'participants: ["[[Dana Okafor]]", "[[Tomer Hagay|Tomer]]"]\n'
    (tmp_path / "n.md").write_text(
        title.format(participants=participants) + "- [ ] Book the room @Ana #rfe\n", "utf-8"
    )
    plan = plansync.plan(sandbox_config(tmp_path))
    creates = {c.target: c.fields for c in plan.changes if c.action == "create"}
    (link,) = [c.fields for c in plan.changes if c.action == "link" and "record" not in c.fields]
    assert (
        "From the meeting [Planning with Dana Okafor|obsidian://" in creates["jira"]["description"]
    )
    assert "\nParticipants: Dana Okafor, Tomer\n" in creates["jira"]["description"]
    assert link["title"] == "Planning with Dana Okafor"
    assert (
        'From the meeting "Planning with Dana Okafor" (Dana Okafor, Tomer).'
        in creates["salesforce"]["Description__c"]
    )
    assert "[[" not in json.dumps([creates, link])


@pytest.mark.parametrize(
    ("account", "shown"),
    [
        ('"[[Contoso]]"', "Contoso"),
        ('"[[Companies/Contoso Ltd|Contoso]]"', "Contoso"),  # by its alias, as Obsidian shows it
        ("Contoso", "Contoso"),
        ('"Contoso [[Fabrikam]]"', "Contoso Fabrikam"),
    ],
)
def test_a_wiki_link_account_shows_as_obsidian_shows_it(
    tmp_path: Path, account: str, shown: str
) -> None:
    """An Obsidian property that links the account's note (``account: "[[Contoso]]"``) went to
    Salesforce as ``Account__c: "[[Contoso]]"`` (a user test): the account is read as the
    note's title and participants are, by what Obsidian shows."""
    (tmp_path / "n.md").write_text(
        f"---\ntitle: Call\naccount: {account}\n---\n\n- [ ] Book the room @Ana #rfe\n",
        "utf-8",
    )
    plan = plansync.plan(sandbox_config(tmp_path))
    (record,) = [c.fields for c in plan.changes if c.action == "create" and c.target != "jira"]
    assert record["Account__c"] == shown


@pytest.mark.parametrize(
    ("heading", "section"),
    [
        ("## **Decisions**", "Decisions"),
        ("## *Actions*", "Actions"),
        ("## __Next steps__ 🚀", "Next steps 🚀"),
        ("## ==Follow-ups== (draft)", "Follow-ups (draft)"),  # punctuation is words shown
        ("## `API`  review", "API review"),
        ("## Call with [[Companies/Contoso|Contoso]]", "Call with Contoso"),
        ("## Actions", "Actions"),
        ("## Notes on snake_case names", "Notes on snake_case names"),  # a word's own marks
        ("## Why 2+2=4 and a = b", "Why 2+2=4 and a = b"),
        ("## **Open** _questions_:", "Open questions:"),
    ],
)
def test_the_section_of_a_template_is_its_heading_as_obsidian_shows_it(
    tmp_path: Path, heading: str, section: str
) -> None:
    """``{section}`` gave "**Decisions**" for ``## **Decisions**``, asterisks and all, in a
    plain-text summary: it is the heading without its formatting, read as decision headings
    are (:func:`plansync.notes.headings.heading_text`); the item's ``section`` stays as written."""
    config = default_config(tmp_path)
    config.rules[0].summary = "[{section}] {text}"
    note = parse_note(f"{heading}\n- [ ] Book the room #rfe\n")
    assert jira_record(config, note)["summary"] == f"[{section}] Book the room"
    assert note.items[0].section == heading.removeprefix("## ")


@pytest.mark.parametrize(
    ("line", "unreadable"),
    [
        ("- [ ] Ship it 📅 2025-12-41 #rfe", True),
        ("- [ ] Ship it 📅 TBD #rfe", True),
        ("- [ ] Ship it [due:: 2025-13-01] #rfe", True),
        ("- [ ] Ship it 📅 TBD 📅 2025-12-14 #rfe", False),  # the plugin reads the later one
        ("- [ ] Ship it 📅 2025-12-14 #rfe", False),
        ("- [ ] Ship it #rfe", False),  # no date at all: a date to remove
    ],
)
def test_a_field_showing_a_due_date_that_cannot_be_read_is_left_out_of_the_record(
    tmp_path: Path, line: str, unreadable: bool
) -> None:
    """Left out, a field is not compared with the record's, nor sent on create: a typo in a
    date cleared it in Jira and Salesforce. Every Salesforce field whose template shows the
    date is left out, a condition's text too; no other field, and nothing where a date was
    read or none written."""
    config = config_from_dict(
        {
            "rules": [{"project": "PLAN"}],
            "salesforce": {
                "rules": [
                    {
                        "name": "rfe",
                        "object": "RFE__c",
                        "match": {"tags_any": ["#rfe"]},
                        "fields": {
                            "Name": "{text}",
                            "Due_Date__c": "{due}",
                            "Summary__c": "{text}{due:? by {due}}",
                        },
                    }
                ]
            },
        },
        source=tmp_path / "plansync.toml",
    )
    assert config.salesforce is not None
    note = plansync.parse_note(line + "\n")
    (item,) = note.items
    assert item.unreadable_dates == (("due",) if unreadable else ())
    context = Context(item, note, "ps-abc123", "obsidian://open?x")
    jira = jira_fields(config.rules[0], context, None, wiki_markup=True)
    sf = salesforce_fields(config, config.salesforce.rules[0], context, None, None)
    assert ("due" in jira) is not unreadable
    left_out = {"Due_Date__c", "Summary__c"} if unreadable else set()
    assert {"Name", "Due_Date__c", "Summary__c"} - set(sf) == left_out
    assert jira["summary"] == sf["Name"] == "Ship it"
