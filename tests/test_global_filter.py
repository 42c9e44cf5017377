"""Obsidian Tasks' global task filter, read as the plugin reads it.

The plugin's setting "Global task filter" (docs: Getting Started/Global Filter.md; code:
src/Config/GlobalFilter.ts and Task.fromLine / Task.parseTaskSignifiers): when it is set, a
checkbox line is a task only if the text after its checkbox holds it (a plain, case-sensitive
substring test, the trailing block link left out), and a tag equal to it is not among the task's
tags. Its description keeps the filter; "Remove global filter from description" hides it where a
task is shown (GlobalFilter.removeAsWordFrom), which for plansync is the item's ``text``.

The cases below come from the plugin's documentation and its tests (tests/Config/
GlobalFilter.test.ts, tests/Task/Task.test.ts), with their values.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CONFORMANCE, SAMPLES, ExampleProject, replace_once, sandbox_issues

import plansync
import plansync.notes.tasks as tasks
from plansync.cli import main
from plansync.config import Acceptance, ConfigError
from plansync.config_load import config_from_dict, load_config
from plansync.notes.model import AcceptancePolicy, Item
from plansync.notes.parse import parse_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def policy(global_filter: str, remove: bool = False) -> AcceptancePolicy:
    """A parse policy with this global filter (built in each test, so that each one fails on
    its own where the setting is missing)."""
    return AcceptancePolicy(global_filter=global_filter, remove_global_filter=remove)


def items(text: str, policy: AcceptancePolicy | None = None) -> list[Item]:
    return parse_text(text, policy=policy).items


def one(line: str, policy: AcceptancePolicy) -> Item | None:
    found = items(line + "\n", policy)
    assert len(found) <= 1
    return found[0] if found else None


# ---- which lines are tasks -------------------------------------------------------------------


def test_the_documented_example_only_lines_with_the_filter_are_items() -> None:
    """The example of the plugin's release notes (0.5.0) and Global Filter page."""
    note = (
        "- [ ] #task this would be considered a task with a due date 📅 2021-04-23\n"
        "- [ ] this as well #task\n"
        "- [x] and also this #task 📅 2021-03-03 ✅ 2021-04-04\n"
        "- [ ] this is a regular checklist item and not a task (won't have done date or appear"
        " in queries)\n"
    )
    assert [i.line for i in items(note)] == [1, 2, 3, 4]  # no filter: every checkbox line
    read = items(note, policy("#task"))
    assert [i.line for i in read] == [1, 2, 3]
    assert [str(i.due) for i in read] == ["2021-04-23", "None", "2021-03-03"]
    assert str(read[2].done) == "2021-04-04"


def test_a_line_without_the_filter_is_no_task() -> None:
    # Task.test.ts: "returns null when task does not have global filter"
    assert one("- [x] this is a done task 🗓 2021-09-12 ✅ 2021-06-20", policy("#task")) is None


@pytest.mark.parametrize(
    "line",
    [
        "#task - [ ] this is a task 🗓 2021-09-12",
        "- #task [ ] this is a task 🗓 2021-09-12",
        "- [#task] this is a task 🗓 2021-09-12",
        "- [ #task ] this is a task 🗓 2021-09-12",
    ],
)
def test_the_filter_outside_the_description_makes_no_task(line: str) -> None:
    # Task.test.ts: "should not parse task with global filter outside of the description"
    assert one(line, policy("#task")) is None


def test_the_status_is_not_searched_for_the_filter() -> None:
    # Task.test.ts: "should not consider task status when searching for global filter"
    assert one("- [@] Hello", AcceptancePolicy(global_filter="@")) is None


@pytest.mark.parametrize(
    ("global_filter", "body", "holds"),
    [
        ("#task", "Important #task inside", True),  # GlobalFilter.test.ts
        ("testValue", "Without Global Filter", False),  # GlobalFilter.test.ts
        ("#task", "Call Ann #Task", False),  # String.includes: case-sensitive
        ("#task", "Call Ann #task/urgent", True),  # a substring, so in a nested tag too
        ("#task", "Call Ann #tasks", True),
        ("todo", "Call Ann about the todo list", True),  # any text, not only a tag
        ("#task", "Call Ann 📅 2025-10-27 #task ⏫", True),  # among the fields at the end
        ("#task", "Call [Ann](https://x.test/#task)", True),  # in a link
        ("todo", "Call Ann ^todo", False),  # the block link is cut off first
        ("todo", "Call Ann ^todo  ", False),
        ("todo", "Call Ann^todo", True),  # no block link: it needs a space before it
        (" Ann", " Ann called", False),  # the body is trimmed before it is searched
        ("#task", "#task", True),
    ],
)
def test_where_the_plugin_looks_for_the_filter(global_filter: str, body: str, holds: bool) -> None:
    assert tasks.holds_global_filter(body, global_filter) is holds
    assert (one(f"- [ ] {body}", AcceptancePolicy(global_filter=global_filter)) is not None) is (
        holds
    )


def test_the_filter_is_searched_in_the_line_as_repaired() -> None:
    """plansync reads a damaged line as repaired, signifiers and all; so the filter too."""
    damaged = "🞋 📅 2025-10-27".encode().decode("cp1252", errors="ignore")
    assert "🞋" not in damaged
    item = one(f"- [ ] Call Ann {damaged}", AcceptancePolicy(global_filter="🞋"))
    assert item is not None and item.repaired and str(item.due) == "2025-10-27"


def test_a_checkbox_line_without_the_filter_is_no_decision_either() -> None:
    note = "## Decisions\n- [ ] Ship on Friday\n- We keep the old API\n- [ ] #task Tell Ann\n"
    read = items(note, policy("#task"))
    assert [(i.line, i.kind) for i in read] == [(3, "decision"), (4, "action")]


def test_the_filter_in_code_or_a_comment_still_makes_no_item() -> None:
    note = "```\n- [ ] #task in code\n```\n%%\n- [ ] #task in a comment\n%%\n- [ ] #task real\n"
    assert [i.line for i in items(note, policy("#task"))] == [7]


# ---- what the task reads -----------------------------------------------------------------------


def test_the_filter_is_no_tag_of_the_task() -> None:
    """conformance case 029: the plugin's test ran with global filter ``#someglobaltasktag``
    and asserts the description; its tags are the others (Task.parseTaskSignifiers)."""
    (case,) = [
        c
        for c in json.loads((CONFORMANCE / "cases.json").read_text(encoding="utf-8"))
        if c["id"] == "obsidian-tasks-029"
    ]
    item = one(case["line"], policy("#someglobaltasktag"))
    assert item is not None
    assert item.description == case["expect"]["description"]
    assert item.tags == [t for t in case["expect"]["tags"] if t != "#someglobaltasktag"]
    assert item.tags == ["#tagone", "#tagtwo", "#tagthree", "#tagfour"]


def test_only_a_tag_equal_to_the_filter_is_left_out() -> None:
    item = one("- [ ] Call #task/urgent #Task #task #tasks", policy("#task"))
    assert item is not None
    assert item.tags == ["#task/urgent", "#Task", "#tasks"]


def test_the_description_keeps_the_filter_and_the_text_hides_it_when_asked() -> None:
    """The plugin's description keeps the filter (it writes it back into the line); with
    "Remove global filter from description" on, it is hidden where the task is shown."""
    line = "- [ ] Ask #task Ann about TODO lists @Myself 📅 2025-10-27"
    kept = one(line, policy("#task"))
    hidden = one(line, policy("#task", remove=True))
    assert kept is not None and hidden is not None
    assert kept.description == hidden.description == "Ask #task Ann about TODO lists @Myself"
    assert kept.text == "Ask task Ann about TODO lists"  # an inline tag reads as its word
    assert hidden.text == "Ask Ann about TODO lists"
    assert hidden.owner == kept.owner == "Myself"
    plain = AcceptancePolicy(global_filter="TODO")
    hidden_plain = AcceptancePolicy(global_filter="TODO", remove_global_filter=True)
    todo = "- [ ] TODO take out the trash #home"
    assert one(todo, plain).text == "TODO take out the trash"  # type: ignore[union-attr]
    assert one(todo, hidden_plain).text == "take out the trash"  # type: ignore[union-attr]


def test_a_nested_tag_stays_in_the_text() -> None:
    item = one("- [ ] Call #task/urgent Ann #task", policy("#task", remove=True))
    assert item is not None and item.text == "Call task/urgent Ann"


def test_without_a_filter_remove_changes_nothing() -> None:
    line = "- [ ] #task take out the trash"
    policy = AcceptancePolicy(remove_global_filter=True)
    assert one(line, policy) == one(line, AcceptancePolicy())


def test_the_samples_read_the_same_items_with_the_filter_every_line_there_carries() -> None:
    """Every task line of the real notes carries ``#task``: a user with that filter loses none
    of them, and only ``#task`` leaves their tags."""
    plain = plansync.scan_vault(SAMPLES)
    filtered = plansync.scan_vault(SAMPLES, policy=policy("#task"))
    assert plain.notes and len(plain.notes) == len(filtered.notes)
    checked = 0
    for before, after in zip(plain.notes, filtered.notes, strict=True):
        actions = [i for i in before.items if i.kind == "action"]
        assert all("#task" in i.tags for i in actions)
        assert [i.line for i in after.items] == [i.line for i in before.items]
        for old, new in zip(before.items, after.items, strict=True):
            if old.kind == "action":
                assert new.tags == [t for t in old.tags if t != "#task"]
                assert new.model_dump(exclude={"tags"}) == old.model_dump(exclude={"tags"})
                checked += 1
    assert checked


# ---- GlobalFilter.removeAsWordFrom, case by case -------------------------------------------


@pytest.mark.parametrize(
    ("global_filter", "description", "expected"),
    [
        # GlobalFilter.test.ts, "check removal of the global filter"
        ("#task", "#task this is a very simple task", "this is a very simple task"),
        ("", "#task this is a very simple task", "#task this is a very simple task"),
        ("🞋", "task with emoji 🞋 global filter", "task with emoji global filter"),
        ("#t", "task with #t global filter in the middle", "task with global filter in the middle"),
        ("#t", "task with global filter in the end #t", "task with global filter in the end"),
        (
            "#t",
            "task #t with #t several global #t filters #t",
            "task with  several global  filters",
        ),
        (
            "#t",
            "task with global filter in the end and some spaces  #t  ",
            "task with global filter in the end and some spaces",
        ),
        (
            "#complex/global/filter",
            "task with #complex/global/filter in the middle",
            "task with in the middle",
        ),
        (
            "#task",
            "task with an extension of the global filter #task/with/extension",
            "task with an extension of the global filter #task/with/extension",
        ),
        ("#t", "task with #t multiple global filters #t", "task with multiple global filters"),
        ("#t", "#t", ""),
        ("#t", "#t #t", "#t"),  # the plugin's own "wrong behaviour", kept as it shows it
        ("#t", "#t #t #t", "#t"),
        ("#t", "#t #t #t #t", "#t #t"),
        ("#t", "#t #t #t #t #t", "#t #t"),
        ("some", "some", ""),
        ("some", "some some", "some"),
        ("some", "some some some", "some"),
        ("some", "some some some some", "some some"),
        ("some", "some some some some some", "some some"),
        # "Global Filter tests with Remove Global Filter Setting"
        ("todo", "This is absolutely todo", "This is absolutely"),
        ("#task", "#task/stage at the beginning", "#task/stage at the beginning"),
        ("#task", "in the #task/stage middle", "in the #task/stage middle"),
        ("#task", "at the end #task/stage", "at the end #task/stage"),
        ("TODO", "TODO/maybe at the beginning", "TODO/maybe at the beginning"),
        ("TODO", "in the TODO/maybe middle", "in the TODO/maybe middle"),
        ("TODO", "at the end TODO/maybe", "at the end TODO/maybe"),
        # not found: the text is returned as it is, spaces and all
        ("#t", "  no filter  here ", "  no filter  here "),
    ],
)
def test_remove_as_word(global_filter: str, description: str, expected: str) -> None:
    assert tasks.remove_global_filter(description, global_filter) == expected


@pytest.mark.parametrize(
    "gf",
    ["#t", ".", "*", "+", "?", "^", "hello=world", "hello!world", "hello:world", "$", "{", "}",
     "(", ")", "|", "[", "]", "///", "\\"],
)  # fmt: skip
def test_remove_as_word_escapes_every_character(gf: str) -> None:
    """GlobalFilter.test.ts, "check removal of the global filter exhaustively"."""
    assert tasks.remove_global_filter(f"{gf} 1 {gf} 2 {gf}", gf) == "1 2"
    kept = f"{gf}x 1 x{gf} {gf}x 2 x{gf}"
    assert tasks.remove_global_filter(kept, gf) == kept
    nested = f"{gf}/x 1 x{gf} {gf}/x 2 {gf} {gf}/x"
    assert tasks.remove_global_filter(nested, gf) == f"{gf}/x 1 x{gf} {gf}/x 2 {gf}/x"


# ---- where it is set ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "plansync/templates/plansync.toml",
        "examples/plansync.toml",
        "config/jira-cloud.toml",
        "config/jira-dc.toml",
        "config/salesforce.toml",
    ],
)
def test_the_shipped_configs_document_it_off(name: str, tmp_path: Path, clean_env: None) -> None:
    """Off unless set (every checkbox line is an item, as before); the commented lines work."""
    text = (ROOT / name).read_text(encoding="utf-8")
    assert Acceptance(**tomllib.loads(text)["acceptance"]).global_filter == ""
    text = text.replace('# global_filter = "#task"', 'global_filter = "#task"', 1)
    text = text.replace("# remove_global_filter = false", "remove_global_filter = true", 1)
    acceptance = Acceptance(**tomllib.loads(text)["acceptance"])
    assert (acceptance.global_filter, acceptance.remove_global_filter) == ("#task", True)
    if name == "plansync/templates/plansync.toml":  # a whole config, loaded as a user would
        path = tmp_path / "plansync.toml"
        path.write_text(text, encoding="utf-8")
        assert load_config(path).acceptance == acceptance


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"acceptance": {"global_filter": "#task\n"}}, "line break"),
        ({"acceptance": {"global_filter": "#task", "accept_tag": "#task"}}, "accept no item"),
        (
            {
                "acceptance": {"global_filter": "#task"},
                "rules": [{"project": "P", "match": {"tags_any": ["#Task"]}}],
            },
            "rules: tags_any names '#Task', the global filter",
        ),
        (
            {
                "acceptance": {"global_filter": "#rfe"},
                "salesforce": {"instance_url": "", "auth": "session"},
            },
            "salesforce.rules: tags_any names '#rfe'",
        ),
    ],
)
def test_a_filter_that_would_silently_take_nothing_is_a_config_error(
    raw: dict[str, object], message: str, clean_env: None
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        config_from_dict(raw)


def test_the_library_takes_it_through_the_policy(tmp_path: Path) -> None:
    note = tmp_path / "m.md"
    note.write_text("- [ ] #task Call Ann\n- [ ] Buy milk\n", encoding="utf-8")
    assert [i.text for i in plansync.parse_note(note, policy=policy("#task")).items] == ["Call Ann"]
    assert [i.text for i in plansync.parse_note(str(note)).items] == ["Call Ann", "Buy milk"]
    vault = plansync.scan_vault(tmp_path, policy=policy("#task"))
    assert [i.text for n in vault.notes for i in n.items] == ["Call Ann"]


def test_plansync_parse_takes_the_filter(tmp_path: Path) -> None:
    note = tmp_path / "m.md"
    note.write_text("- [ ] TODO Call Ann\n- [ ] Buy milk\n", encoding="utf-8")

    def texts(*args: str) -> list[str]:
        result = CliRunner().invoke(main, ["parse", "--json", *args, str(note)])
        assert result.exit_code == 0, result.output
        return [i["text"] for i in json.loads(result.stdout)["notes"][0]["items"]]

    assert texts() == ["TODO Call Ann", "Buy milk"]
    assert texts("--global-filter", "TODO") == ["TODO Call Ann"]
    assert texts("--global-filter", "TODO", "--remove-global-filter") == ["Call Ann"]


# ---- end to end ------------------------------------------------------------------------------


def test_a_line_without_the_global_filter_is_not_synced(example_project: ExampleProject) -> None:
    """With ``global_filter = "#task"``, an accepted checkbox line without ``#task`` is a plain
    checklist item to Obsidian Tasks: plansync plans nothing for it, creates no issue and writes
    nothing into its line, while the lines that carry the filter sync as before."""
    project = example_project
    replace_once(project.config_path, '# global_filter = "#task"', 'global_filter = "#task"')
    note = project.vault / "2025-11-03-weekly-cloud-program-sync.md"
    plain = "- [ ] Order the spare drives for the lab rack"
    replace_once(
        note,
        "- [ ] Write the runbook",
        f"{plain}\n- [ ] Write the runbook",
    )
    config = load_config(project.config_path)
    assert config.acceptance.global_filter == "#task"

    plan = plansync.plan(config)
    planned = [c.item.text for c in plan.changes]
    assert "Order the spare drives for the lab rack" not in planned
    runbook = "Write the runbook for changing object-lock retention on live buckets"
    assert runbook in planned

    result = plansync.apply(config, plan=plan)
    assert result.ok, [str(e) for e in result.errors]
    issues = sandbox_issues(project.url)
    summaries = [issue["fields"]["summary"] for issue in issues]
    assert runbook in summaries
    assert not any("spare drives" in s for s in summaries)
    lines = note.read_text(encoding="utf-8").splitlines()
    assert plain in lines  # no block id, no key link: the line is as the user wrote it
    (runbook_line,) = [line for line in lines if runbook in line]
    assert "^ps-" in runbook_line
    # Without the filter, the same line would have been synced.
    unfiltered = load_config(project.config_path).model_copy(
        update={"acceptance": config.acceptance.model_copy(update={"global_filter": ""})}
    )
    assert "Order the spare drives for the lab rack" in [
        c.item.text for c in plansync.plan(unfiltered).changes
    ]


def test_a_line_that_loses_the_filter_during_a_sync_gets_no_key_link(
    example_project: ExampleProject,
) -> None:
    """Write-back edits only lines the parser reads as items, by the config's own filter: a
    user who takes ``#task`` off a line while the sync runs made it a plain checklist line."""
    project = example_project
    replace_once(project.config_path, '# global_filter = "#task"', 'global_filter = "#task"')
    config = load_config(project.config_path)
    note = project.vault / "2025-11-03-weekly-cloud-program-sync.md"
    runbook = "Write the runbook for changing object-lock retention on live buckets"

    def user_saves(step: str) -> None:
        if step == "ids_written":
            text = note.read_text(encoding="utf-8")
            [line] = [x for x in text.splitlines() if runbook in x]
            note.write_text(text.replace(line, line.replace(" #task", "")), encoding="utf-8")

    result = plansync.apply(config, checkpoint=user_saves)
    [line] = [x for x in note.read_text(encoding="utf-8").splitlines() if runbook in x]
    assert "#task" not in line and "^ps-" in line
    assert "](" not in line  # no key link written into a line that is no task
    assert any("changed or moved" in str(e) for e in result.errors), result.errors
