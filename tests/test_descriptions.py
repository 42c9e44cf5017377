"""The descriptions plansync writes: a part about the meeting that the note gives no value for
(no date, no participants) is left out, where it read "... on ." and "Participants: " before;
a note that gives them all renders byte for byte as before, so no record synced then changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import EXAMPLES, ExampleProject, replace_once, sandbox_issues

import plansync
from plansync.config import Config, config_from_dict
from plansync.notes.model import Note
from plansync.notes.parse import parse_note
from plansync.rules import Context, jira_fields, salesforce_fields

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "samples"

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


def default_config(tmp_path: Path) -> Config:
    return config_from_dict(
        {"rules": [{"project": "PLAN"}], "salesforce": {}}, source=tmp_path / "plansync.toml"
    )


def descriptions(config: Config, note: Note, index: int = 0) -> tuple[str, str]:
    """The Jira and the Salesforce description of the note's ``index``-th item."""
    assert config.salesforce is not None
    context = Context(note.items[index], note, "ps-abc123", "obsidian://open?x")
    jira = jira_fields(config.rules[0], context, None)["description"]
    sf = salesforce_fields(config, config.salesforce.rules[0], context, None, None)
    return jira, sf["Description__c"]


def test_notes_that_give_every_part_render_byte_for_byte_as_before(tmp_path: Path) -> None:
    config = default_config(tmp_path)
    paths = sorted((EXAMPLES / "vault").glob("*.md")) + sorted(SAMPLES.glob("*.md"))
    compared = 0
    for path in paths:
        note = parse_note(path)
        if not (note.date and note.participants and note.title):
            continue
        for index, item in enumerate(note.items):
            context = Context(item, note, "ps-abc123", "obsidian://open?x")
            jira, sf = descriptions(config, note, index)
            assert jira == OLD_JIRA.format_map(context.values()), f"{path.name}:{item.line}"
            assert sf == OLD_SF.format_map(context.values()).strip(), f"{path.name}:{item.line}"
            compared += 1
    assert compared > 50  # every example note and sample, and their items (owners or none)


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
    assert jira_fields(config.rules[0], context, None)["description"] == expected
