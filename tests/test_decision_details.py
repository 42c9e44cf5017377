"""A decision's nested lines are its details, and reach its record.

People write the reasons for a decision as sub-bullets under it::

    ## Decisions
    - Go with vendor A for the pilot #decision
      - cheaper by 30% over two years
      - revisit after the Q3 review

The parser dropped them, and the issue made from the decision said only "Go with vendor A for
the pilot". They are the decision's ``details`` now: every line of its list item after its own
(sub-bullets at any depth, and text going on from the lines above, indented or lazy), each as
Obsidian shows it, without its marker. A task nested in the item stays an action item, and its
own lines are no detail; a sub-bullet's block id or key link is never the decision's. The
default descriptions list the details after the text, and are as before where there are none.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, ExampleProject, replace_once, sample_notes
from hypothesis import given
from hypothesis import strategies as st

import plansync
from plansync.cli import main
from plansync.config import Config
from plansync.config_load import config_from_dict
from plansync.notes import parse
from plansync.notes.model import Item, Note
from plansync.notes.parse import parse_note, parse_text
from plansync.rules import Context, JiraRouting, jira_fields, salesforce_fields

VENDOR = (
    "## Decisions\n"
    "- Go with vendor A for the pilot #decision\n"
    "  - cheaper by 30% over two years\n"
    "  - revisit after the Q3 review\n"
)


def items(text: str) -> list[Item]:
    return parse_text(text, path="notes/m.md").items


def details(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(kind, text, details) of each item of a note."""
    return [(i.kind, i.text, i.details) for i in items(text)]


# --- the parser -----------------------------------------------------------------------------


def test_sub_bullets_are_the_decisions_details() -> None:
    (decision,) = items(VENDOR)
    assert decision.text == "Go with vendor A for the pilot"
    assert decision.details == ("cheaper by 30% over two years", "revisit after the Q3 review")
    assert decision.line == 2  # the decision is still its own line


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_details_at_every_depth_and_with_every_marker(eol: str) -> None:
    note = eol.join(
        [
            "## Decisions",
            "1. Ship the intake form in 6.1",
            "   - the form is done",
            "     * but the API is not",
            "       + and needs a week",
            "\t- a tab-indented one",
            "   2. a numbered one",
            "",
        ]
    )
    assert details(note) == [
        (
            "decision",
            "Ship the intake form in 6.1",
            (
                "the form is done",
                "but the API is not",
                "and needs a week",
                "a tab-indented one",
                "a numbered one",
            ),
        )
    ]


def depths(text: str) -> list[list[tuple[str, int]]]:
    """Each decision's (detail, depth) pairs."""
    return [i.nested_details() for i in items(text) if i.kind == "decision"]


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_each_detail_keeps_its_depth(eol: str) -> None:
    note = eol.join(
        [
            "## Decisions",
            "1. Ship the intake form in 6.1",
            "   - the form is done",
            "     * but the API is not",
            "       + and needs a week",
            "       text going on from it",
            "",
            "       text of the second sub-bullet, after a blank line",
            "",
            "   text of the decision's own item",
            "\t- a tab-indented one, back at the first level",
            "   2. a numbered one",
            "- Keep one region",
            "  - for now",
            "    - until Q3",
            "a lazy line of the sub-bullet above",
            "- Review in March",
            "",
        ]
    )
    assert depths(note) == [
        [
            ("the form is done", 0),
            ("but the API is not", 1),
            ("and needs a week", 2),
            ("text going on from it", 2),
            ("text of the second sub-bullet, after a blank line", 1),
            ("text of the decision's own item", 0),
            ("a tab-indented one, back at the first level", 0),
            ("a numbered one", 0),
        ],
        [("for now", 0), ("until Q3", 1), ("a lazy line of the sub-bullet above", 1)],
        [],
    ]


def test_depths_around_tasks_code_and_callouts() -> None:
    note = (
        "## Decisions\n"
        "> - Go with vendor A\n"
        ">   - cheaper\n"
        ">     - [ ] Tell procurement @Dana\n"
        ">       - the task's own: no detail\n"
        ">     - by 30%\n"
        ">       ```\n"
        ">       code: no detail\n"
        ">       ```\n"
        ">       - over two years\n"
        ">   - revisit after Q3\n"
    )
    assert depths(note) == [
        [("cheaper", 0), ("by 30%", 1), ("over two years", 2), ("revisit after Q3", 0)]
    ]


def test_text_going_on_from_the_lines_above_is_a_detail_too() -> None:
    note = (
        "## Decisions\n"
        "- Go with vendor A\n"
        "  for the pilot only\n"  # indented into the item
        "lazy text of the decision's paragraph\n"  # a lazy line (CommonMark 5.2)
        "  - cheaper by 30%\n"
        "          over two years\n"  # deep, but it goes on with the paragraph: no code
        "and the finance team agrees\n"  # lazy, under the sub-bullet
        "\n"
        "  - after a blank line, still in the item\n"
        "\n"
        "A paragraph of its own, after a blank line: no detail\n"
    )
    assert details(note) == [
        (
            "decision",
            "Go with vendor A",
            (
                "for the pilot only",
                "lazy text of the decision's paragraph",
                "cheaper by 30%",
                "over two years",
                "and the finance team agrees",
                "after a blank line, still in the item",
            ),
        )
    ]


def test_each_decision_keeps_its_own_details() -> None:
    note = (
        "## Decisions\n"
        "- Go with vendor A\n"
        "  - cheaper\n"
        "- Keep the pilot to one region\n"
        "- Review in March\n"
        "  - after the Q1 numbers\n"
        "    - and the audit\n"
        "\n"
        "## Key Information\n"
        "- Not a decision, not a detail\n"
        "  - nor this\n"
    )
    assert details(note) == [
        ("decision", "Go with vendor A", ("cheaper",)),
        ("decision", "Keep the pilot to one region", ()),
        ("decision", "Review in March", ("after the Q1 numbers", "and the audit")),
    ]


def test_a_heading_ends_the_details() -> None:
    note = "## Decisions\n- Ship it\n  - on Friday\n### Follow-ups\n  - no item above it\n"
    assert details(note) == [
        ("decision", "Ship it", ("on Friday",)),
        ("decision", "no item above it", ()),  # a decision of its own, as before
    ]


def test_a_nested_checkbox_is_an_action_item_and_no_detail() -> None:
    note = (
        "## Decisions\n"
        "- Go with vendor A\n"
        "  - cheaper\n"
        "  - [ ] Tell procurement @Dana 📅 2025-11-20\n"
        "    - the task's own sub-bullet: no detail\n"
        "    the task's own text: no detail\n"
        "  - revisit after Q3\n"
        "  -\t[ ] a checkbox the plugin reads as no task: no detail either\n"
    )
    assert details(note) == [
        ("decision", "Go with vendor A", ("cheaper", "revisit after Q3")),
        ("action", "Tell procurement", ()),
    ]
    action = items(note)[1]
    assert (action.line, action.owner, str(action.due)) == (4, "Dana", "2025-11-20")


def test_a_sub_bullets_block_id_and_key_link_are_not_the_decisions() -> None:
    note = (
        "## Decisions\n"
        "- Go with vendor A #accepted\n"
        "  - tracked in [CLOUD-7](https://jira.example.com/browse/CLOUD-7) ^sub-1\n"
        "  - see [[Vendor A|the vendor's page]] %% private %%\n"
    )
    (decision,) = items(note)
    assert (decision.block_id, decision.keys) == (None, {})
    assert decision.details == (
        "tracked in [CLOUD-7](https://jira.example.com/browse/CLOUD-7)",
        "see the vendor's page",
    )
    synced = note.replace("#accepted\n", "#accepted ^ps-abc12345\n")
    assert items(synced)[0].block_id == "ps-abc12345"
    assert items(synced)[0].details == decision.details


def test_details_of_a_decision_in_a_callout() -> None:
    note = (
        "## Decisions\n"
        "> [!important] Agreed\n"
        "> - Go with vendor A\n"
        ">   - cheaper by 30%\n"
        ">     - over two years\n"
        "> text going on from it\n"
        ">\n"
        "> - Keep one region\n"
        "\n"
        "  - out of the callout, with no item above it: a decision\n"
    )
    assert details(note) == [
        (
            "decision",
            "Go with vendor A",
            ("cheaper by 30%", "over two years", "text going on from it"),
        ),
        ("decision", "Keep one region", ()),
        ("decision", "out of the callout, with no item above it: a decision", ()),
    ]


def test_code_in_the_details_is_no_detail_and_does_not_end_them() -> None:
    note = (
        "## Decisions\n"
        "- Use the new retry policy\n"
        "  ```toml\n"
        "  max_retries = 5\n"
        "  - [ ] not a task\n"
        "  ```\n"
        "  - backed by the load test\n"
        "\n"
        "      a paragraph of the sub-bullet\n"
        "\n"
        "          indented code in the sub-bullet\n"
        "  - and the incident review\n"
        "- Second\n"
        "```\n"
        "  - code out of the item\n"
        "```\n"
        "  - after a fence that closed the item: a decision\n"
    )
    assert details(note) == [
        (
            "decision",
            "Use the new retry policy",
            ("backed by the load test", "a paragraph of the sub-bullet", "and the incident review"),
        ),
        ("decision", "Second", ()),
        ("decision", "after a fence that closed the item: a decision", ()),
    ]


def test_a_damaged_detail_is_read_repaired_and_said_so() -> None:
    clean = "- [ ] Book the room ⏫\n\n## Decisions\n- Go with vendor A\n  - cheaper — by 30%\n"
    damaged = clean.encode("utf-8").decode("cp1252", errors="ignore")
    assert "â€”" in damaged
    note = parse_text(damaged, path="notes/m.md")
    decision = note.items[1]
    assert decision.details == ("cheaper — by 30%",)
    assert decision.repaired
    assert [w.message for w in note.warnings] == [
        "repaired damaged (double-encoded) text on lines 1, 5"
    ]
    assert parse_text(clean).items[1].repaired is False


def test_actions_and_decisions_without_details_have_none() -> None:
    note = "- [ ] Book the room\n  - its sub-bullet\n\n## Decisions\n- Ship it\n- Keep it\n"
    assert [i.details for i in items(note)] == [(), (), ()]


def test_the_parse_json_gains_details_and_keeps_every_other_field(tmp_path: Path) -> None:
    (tmp_path / "m.md").write_text(VENDOR + "    - and the audit agrees\n", "utf-8")
    out = CliRunner().invoke(main, ["parse", "--json", str(tmp_path / "m.md")])
    assert out.exit_code == 0, out.output
    (item,) = json.loads(out.output)["notes"][0]["items"]
    # details as before, strings as shown: the depth of each is a field of its own.
    assert item["details"] == [
        "cheaper by 30% over two years",
        "revisit after the Q3 review",
        "and the audit agrees",
    ]
    assert item["detail_depths"] == [0, 0, 1]
    assert item["text"] == "Go with vendor A for the pilot" and item["line"] == 2
    table = CliRunner().invoke(main, ["parse", str(tmp_path / "m.md")])
    assert "- cheaper by 30% over two years\n" in table.output
    assert "\n" + " " * 18 + "- and the audit agrees\n" in table.output


def test_many_details_are_read_in_one_pass(layout_calls: Counter[str]) -> None:
    """Counted, not timed: each line of the item is looked at once, not walked back from."""
    note = "## Decisions\n- Ship it\n" + "  - a reason\n    - and why\nlazy text\n" * 2000
    (decision,) = parse.parse_text(note).items
    assert len(decision.details) == 6000
    assert layout_calls["layout"] < 10 * note.count("\n")


DETAIL_WORDS = st.lists(
    st.sampled_from(["cheaper", "by 30%", "Q3", "[[Dana]]", "#risk", "{x}", "a|b", "ok."]),
    min_size=1,
    max_size=4,
).map(" ".join)
NESTED = st.lists(
    st.tuples(
        st.sampled_from(["  - ", "  * ", "    - ", "      + ", "  1. ", "\t- "]), DETAIL_WORDS
    ),
    min_size=1,
    max_size=6,
).filter(lambda nested: nested[0][0] != "      + ")  # that deep under the decision: its text


@given(NESTED, st.sampled_from(["\n", "\r\n"]), st.sampled_from(["", "> "]))
def test_nested_lines_change_nothing_but_the_decisions_details(
    nested: list[tuple[str, str]], eol: str, quote: str
) -> None:
    """The decision, and the items around it, read as they did without the nested lines."""
    head = ["- [ ] Book the room @Dana", "", "## Decisions"]
    decision = [f"{quote}- Go with vendor A #accepted ^ps-abc12345"]
    tail = [f"{quote}- Keep one region", "- [ ] Send the notes"]
    lines = [quote + marker + words for marker, words in nested]
    without = parse_text(eol.join([*head, *decision, *tail, ""])).items
    with_them = parse_text(eol.join([*head, *decision, *lines, *tail, ""])).items
    kept = {"line", "details", "detail_depths"}
    assert [i.model_dump(exclude=kept) for i in with_them] == [
        i.model_dump(exclude=kept) for i in without
    ]
    shown = tuple(" ".join(w.replace("[[Dana]]", "Dana").split()) for _, w in nested)
    assert [i.details for i in with_them] == [(), shown, (), ()]
    assert with_them[1].detail_depths == nesting([marker for marker, _ in nested], quote)


def nesting(markers: list[str], quote: str = "") -> tuple[int, ...]:
    """The depth of each sub-bullet under the decision (its content at column 2), as CommonMark
    nests list items: a line indented less than an open item's content closes that item. Tabs
    stop every four columns, counted from the line's start (the quote's ">" included)."""
    depths: list[int] = []
    open_items: list[int] = []  # the content columns of the items open, outermost first
    for marker in markers:
        line = (quote + marker).expandtabs(4)[len(quote) :]
        width = len(line) - len(line.lstrip(" "))
        while open_items and width < open_items[-1]:
            open_items.pop()
        depths.append(len(open_items))
        open_items.append(len(line))
    return tuple(depths)


def test_the_oracle_of_nesting() -> None:
    assert nesting(["  - ", "    - ", "      + ", "  1. ", "\t- ", "  * "]) == (0, 1, 2, 0, 0, 0)
    assert nesting(["  - ", "\t- "]) == (0, 1)
    assert nesting(["  - ", "\t- "], "> ") == (0, 0)  # the tab stops at column 4: 2 in


# --- the records ------------------------------------------------------------------------------


def default_config(tmp_path: Path, api_version: str = "2") -> Config:
    return config_from_dict(
        {
            "jira": {"api_version": api_version},
            "rules": [{"project": "PLAN", "match": {"kind": ["decision"]}}],
            "salesforce": {},
        },
        source=tmp_path / "plansync.toml",
    )


def records(config: Config, note: Note) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Jira and the Salesforce record of the note's first item."""
    assert config.salesforce is not None
    context = Context(note.items[0], note, "ps-abc123", "obsidian://open?x")
    jira = JiraRouting().fields_for(config, config.rules[0], context, lambda: None, None)
    sf_rule = config.salesforce.rules[-1]  # the default rule for decisions
    return jira, salesforce_fields(config, sf_rule, context, None, None)


MARKUP = (
    "---\ntitle: Vendor review\ndate: 2025-11-20\n---\n"
    "## Decisions\n"
    "- Go with vendor A #accepted\n"
    "  - cheaper by 30% {approx} [draft]\n"
    "  - *bold* claim | unverified\n"
    "  - ends in a backslash \\\n"
)


def test_the_default_descriptions_list_the_details_escaped_for_wiki_markup(
    tmp_path: Path,
) -> None:
    note = parse_text(MARKUP, path="vendor.md")
    jira, sf = records(default_config(tmp_path), note)
    assert jira["summary"] == "Go with vendor A"
    assert jira["description"] == (
        "Go with vendor A\n\n"
        "* cheaper by 30% \\{approx\\} \\[draft\\]\n"
        "* *bold* claim \\| unverified\n"
        "* ends in a backslash &#92;\n\n"
        "From the meeting [Vendor review|obsidian://open?x] on 2025-11-20.\n\n"
        "_Synced by plansync from vendor.md._"
    )
    assert sf["Description__c"] == (
        "Go with vendor A\n\n"
        "- cheaper by 30% {approx} [draft]\n"
        "- *bold* claim | unverified\n"
        "- ends in a backslash \\\n\n"
        'From the meeting "Vendor review" on 2025-11-20.\n'
        "Note: obsidian://open?x"
    )
    api_3, _ = records(default_config(tmp_path, api_version="3"), note)
    assert api_3["description"].startswith(
        "Go with vendor A\n\n- cheaper by 30% {approx} [draft]\n- *bold* claim | unverified\n"
    )


NESTED_MARKUP = (
    "## Decisions\n"
    "- Go with vendor A #accepted\n"
    "  - cheaper by 30% {approx}\n"
    "    - over two years\n"
    "      - at list price\n"
    "  - revisit after Q3\n"
)


@pytest.mark.parametrize(
    ("api_version", "listed"),
    [
        (
            "2",
            "* cheaper by 30% \\{approx\\}\n** over two years\n*** at list price\n"
            "* revisit after Q3\n\n",
        ),
        (
            "3",
            "- cheaper by 30% {approx}\n  - over two years\n    - at list price\n"
            "- revisit after Q3\n\n",
        ),
    ],
)
def test_the_descriptions_nest_the_details_as_the_note_does(
    tmp_path: Path, api_version: str, listed: str
) -> None:
    """Jira's wiki markup nests a list by its bullets (``**``), plain text (Salesforce, a Jira
    API 3 description) as Markdown does, by indentation."""
    note = parse_text(NESTED_MARKUP, path="vendor.md")
    jira, sf = records(default_config(tmp_path, api_version), note)
    assert jira["description"].startswith("Go with vendor A\n\n" + listed)
    assert sf["Description__c"].startswith(
        "Go with vendor A\n\n- cheaper by 30% {approx}\n  - over two years\n"
        "    - at list price\n- revisit after Q3\n\n"
    )


def test_details_of_an_item_built_without_depths_are_a_flat_list(tmp_path: Path) -> None:
    """A library caller's Item may give details and no depths: each is at depth 0."""
    note = parse_text(VENDOR, path="m.md")
    built = note.items[0].model_copy(update={"details": ("a", "b"), "detail_depths": ()})
    assert built.nested_details() == [("a", 0), ("b", 0)]
    jira, _ = records(default_config(tmp_path), note.model_copy(update={"items": [built]}))
    assert jira["description"].startswith("Go with vendor A for the pilot\n\n* a\n* b\n\n")


def test_a_decision_without_details_renders_byte_for_byte_as_before(tmp_path: Path) -> None:
    """The default templates as they were, which every record synced until now was rendered
    with: a decision without details (and every action item) renders as it did."""
    before_jira = (
        "{text}\n\n"
        "From the meeting [{note_title}|{link}]{note_date:? on {note_date}}.\n"
        "{participants:?Participants: {participants}\n}"
        "{owner:?Owner: {owner}\n}\n"
        "_Synced by plansync from {note_path}._"
    )
    before_sf = (
        '{text}\n\nFrom the meeting "{note_title}"{note_date:? on {note_date}}'
        "{participants:? ({participants})}.\n"
        "{owner:?Owner: {owner}\n}Note: {link}"
    )
    note = parse_text(MARKUP.split("  - ")[0] + "- [ ] Tell procurement @Dana\n", path="v.md")
    assert [i.kind for i in note.items] == ["decision", "action"]
    notes = [
        note,
        *(parse_note(p) for p in [*sorted(EXAMPLES.glob("vault/*.md")), *sample_notes()]),
    ]
    config = default_config(tmp_path)
    assert config.salesforce is not None
    jira_rule = config.rules[0]
    old_jira_rule = jira_rule.model_copy(update={"description": before_jira})
    sf_rule = config.salesforce.rules[-1]
    old_sf_rule = sf_rule.model_copy(
        update={"fields": sf_rule.fields | {"Description__c": before_sf}}
    )
    compared = 0
    for note, item in ((n, i) for n in notes for i in n.items if not i.details):
        compared += 1
        context = Context(item, note, "ps-abc123", "obsidian://open?x")
        for wiki in (True, False):
            assert jira_fields(jira_rule, context, None, wiki_markup=wiki) == jira_fields(
                old_jira_rule, context, None, wiki_markup=wiki
            )
        assert salesforce_fields(config, sf_rule, context, None, None) == salesforce_fields(
            config, old_sf_rule, context, None, None
        )
    assert compared > 80  # the decision and action above, and every example's and sample's


def test_a_template_may_place_the_details(tmp_path: Path) -> None:
    config = config_from_dict(
        {
            "rules": [
                {
                    "project": "PLAN",
                    "match": {"kind": ["decision"]},
                    "description": "{text}{details:?\n\nWhy:\n{details}}",
                }
            ]
        },
        source=tmp_path / "plansync.toml",
    )
    note = parse_text(VENDOR, path="m.md")
    context = Context(note.items[0], note, "ps-abc123", "obsidian://open?x")
    assert jira_fields(config.rules[0], context, None, wiki_markup=True)["description"] == (
        "Go with vendor A for the pilot\n\nWhy:\n"
        "* cheaper by 30% over two years\n* revisit after the Q3 review"
    )


# --- end to end -------------------------------------------------------------------------------

DECISIONS_TO_JIRA = """
[[rules]]
name = "decisions"
project = "PLAN"
issue_type = "Task"

[rules.match]
kind = ["decision"]
"""


@pytest.mark.parametrize("api_version", ["2", "3"])
def test_a_decisions_details_reach_its_issue_and_an_edit_is_one_update(
    example_project: ExampleProject, api_version: str
) -> None:
    project = example_project
    project.write_config(DECISIONS_TO_JIRA, api_version=api_version)
    (project.vault / "vendor.md").write_text(
        "---\ntitle: Vendor review\ndate: 2025-11-20\ndecisions_accepted: true\n---\n"
        "## Decisions\n"
        "- Go with vendor A for the pilot #decision\n"
        "  - cheaper by 30% {approx} over two years\n"
        "    - per [[Finance model|the finance model]]\n"
        "  - [ ] Tell procurement @Myself\n"
        "  - revisit after the Q3 review\n"
        "- Keep the pilot to one region\n",
        "utf-8",
    )
    config = plansync.load_config(project.config_path)
    result = plansync.apply(config)
    assert result.ok, result.errors

    def description(summary: str) -> tuple[str, list[str]]:
        """The key and the description's lines (the sandbox gives an API 3 description back
        a paragraph a line, with a blank line between) of the issue with ``summary``."""
        (key,) = [k for k, i in project.issues().items() if i["fields"]["summary"] == summary]
        text = project.issues()[key]["fields"]["description"]
        return key, [line for line in text.split("\n") if line]

    key, lines = description("Go with vendor A for the pilot")
    bullet, escaped = ("* ", "\\{approx\\}") if api_version == "2" else ("- ", "{approx}")
    nested = "** " if api_version == "2" else "  - "  # a sub-bullet's sub-bullet, nested so
    assert lines[:5] == [
        "Go with vendor A for the pilot",
        f"{bullet}cheaper by 30% {escaped} over two years",
        f"{nested}per the finance model",
        f"{bullet}revisit after the Q3 review",
        lines[4],
    ]
    assert lines[4].startswith("From the meeting")
    assert not any("procurement" in line for line in lines)  # the nested task's own issue
    _, lines = description("Keep the pilot to one region")
    assert lines[0] == "Keep the pilot to one region" and lines[1].startswith("From the meeting")
    # A decision in the example vault has a sub-bullet: its issue lists it too.
    _, lines = description("Tenant quotas ship before the control-plane work.")
    assert lines[1] == f"{bullet}The metadata team has room for one large item in Q1."
    assert not plansync.plan(config).changes

    replace_once(project.vault / "vendor.md", "after the Q3 review", "after the Q4 review")
    plan = plansync.plan(config)
    assert [(c.action, c.key, set(c.fields)) for c in plan.changes] == [
        ("update", key, {"description"})
    ]
    result = plansync.apply(config)
    assert result.ok, result.errors
    assert (
        f"{bullet}revisit after the Q4 review" in description("Go with vendor A for the pilot")[1]
    )
    assert not plansync.plan(config).changes


@pytest.mark.parametrize(
    ("lines", "read"),
    [
        # After a lazy line, a tab-indented sub-bullet is still one: detail "x", not "- x".
        ("lazy continuation\n\t- x\n", [("lazy continuation", 0), ("x", 0)]),
        ("lazy\n\n  more text\n\n    - x\n", [("lazy", 0), ("more text", 0), ("x", 0)]),
        ("  - sub\nlazy\n    - x\n", [("sub", 0), ("lazy", 0), ("x", 1)]),
        # Six columns after a blank line is code in the decision's item: no detail.
        ("lazy\n\n      code\n", [("lazy", 0)]),
    ],
)
def test_details_after_a_lazy_line(lines: str, read: list[tuple[str, int]]) -> None:
    (decision,) = items("## Decisions\n- We chose X\n" + lines)
    assert list(zip(decision.details, decision.detail_depths, strict=True)) == read
