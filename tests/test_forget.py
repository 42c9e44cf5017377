"""``plansync forget``: a record whose line is gone stops being reported, and nothing else changes.

Every plan reports an orphan until its line comes back, so that a line restored (or a reopen in
the backend) is seen; once a person has decided the deletion stands, forgetting drops the record
from the state store. These tests run the library and the command against the Jira sandbox and
check the three promises: the ticket is left as it is, the plan is in sync again, and a line
brought back with its id finds its ticket instead of making a second one.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest
from click.testing import CliRunner, Result
from conftest import ExampleProject, replace_once
from sync_marks import Crash, crash_at
from test_sync_e2e import (
    RUNBOOK,
    fresh_plan,
    item_line,
    sync,
    synced_item,
    synced_line,
)

import plansync
from plansync.callers import CommandLine
from plansync.cli import main
from plansync.config_load import read_config
from plansync.engine.changes import Change
from plansync.engine.render import orphans_hint, render_plan
from plansync.engine.run_lock import open_state


class Deleted(NamedTuple):
    config: plansync.Config
    key: str
    block_id: str
    note: Path
    text: bytes
    """The note's bytes before the line was deleted."""


def deleted(project: ExampleProject, text: str = RUNBOOK) -> Deleted:
    """The project synced, then the line of the item holding ``text`` deleted from its note."""
    config, note, item, key = synced_item(project, text)
    path = project.vault / note.path
    before = path.read_bytes()
    replace_once(path, item_line(project, note.path, item.line) + "\n", "")
    assert item.block_id
    return Deleted(config, key, item.block_id, path, before)


def tracked(config: plansync.Config) -> set[str]:
    with open_state(config.state_dir, lock=False) as state:
        return {record.key for record in state.records().values()}


def test_a_forgotten_orphan_is_reported_no_more_and_its_issue_is_left_as_it_is(
    example_project: ExampleProject,
) -> None:
    project = example_project
    config, key, *_ = deleted(project)
    before = project.issues()
    plan = fresh_plan(config)
    assert [(c.action, c.key) for c in plan.changes] == [("orphan", key)]
    assert orphans_hint(None) in render_plan(plan)

    forgotten = plansync.forget(config, [key])

    assert [(c.action, c.key) for c in forgotten] == [("orphan", key)]
    assert key not in tracked(config)
    again = fresh_plan(config)
    assert again.changes == [] and orphans_hint(None) not in render_plan(again)
    assert project.issues() == before


def test_a_line_brought_back_after_its_record_was_forgotten_finds_its_issue(
    example_project: ExampleProject,
) -> None:
    """Forgetting loses the base, not the record: the id in the line finds the issue again."""
    project = example_project
    config, key, block_id, note, before = deleted(project)
    plansync.forget(config, [f"^{block_id}"])  # by id, as the note spells it
    issues = project.issues()
    note.write_bytes(before)

    plan = fresh_plan(config)
    assert plan.summary["create"] == 0, render_plan(plan)
    sync(config, plan=plan)
    assert project.issues().keys() == issues.keys()
    assert key in tracked(config)
    assert not fresh_plan(config).changes


def test_forgetting_a_deleted_lines_planned_cancel_leaves_its_issue_open(
    example_project: ExampleProject,
) -> None:
    project = example_project
    project.write_config('[sync]\norphans = "cancel"\n')
    config, key, *_ = deleted(project)
    assert [(c.action, c.key) for c in fresh_plan(config).changes] == [("transition", key)]
    asked: list[Change] = []

    (forgotten,) = plansync.forget(config, confirm=lambda orphans: asked.extend(orphans) or True)

    assert asked == [forgotten]  # shown as what it stays, not as the cancel it was planned as
    assert (forgotten.key, forgotten.action, forgotten.fields) == (key, "orphan", {})
    assert forgotten.message == (
        f"{key}: its line is gone from the note; forgotten, it is not cancelled"
    )
    assert not fresh_plan(config).changes
    sync(config)
    assert project.issues()[key]["fields"]["status"]["statusCategory"]["key"] != "done"


def test_one_name_given_as_a_string_is_one_name(example_project: ExampleProject) -> None:
    """It was iterated: "plansync tracks no record P; … L; …"."""
    config, key, *_ = deleted(example_project)
    assert [c.key for c in plansync.forget(config, key)] == [key]


def test_a_name_that_is_no_orphan_is_refused_and_nothing_is_forgotten(
    example_project: ExampleProject,
) -> None:
    project = example_project
    config, key, *_ = deleted(project)
    synced = next(k for k in tracked(config) if k != key)
    with pytest.raises(plansync.NotAnOrphan) as refused:
        plansync.forget(config, [key, synced, "CLOUD-999"])
    message = str(refused.value)
    assert f"{synced} is not an orphan that no line is read as (its line, ^ps-" in message
    assert "plansync tracks no record CLOUD-999" in message
    assert message.endswith("nothing was forgotten")
    assert refused.value.keys == (synced, "CLOUD-999")  # each name refused, as given
    assert key in tracked(config)  # the one orphan named was not forgotten either


def test_a_record_whose_line_is_still_in_its_note_is_not_forgotten(
    example_project: ExampleProject,
) -> None:
    """A line no longer accepted (proposed again) is an orphan whose line is there: settled by
    editing the line, never forgotten (a review found --all took it)."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    line = item_line(project, note.path, item.line)
    replace_once(project.vault / note.path, line, line.replace("- [ ]", "- [?]", 1))
    plan = fresh_plan(config)
    [orphan] = [c for c in plan.changes if c.key == key]
    assert orphan.action == "orphan" and not orphan.item.unread
    assert orphans_hint(None) not in render_plan(plan)

    with pytest.raises(plansync.NotAnOrphan) as refused:
        plansync.forget(config, [key])
    assert str(refused.value).startswith(
        f"{key}'s line is still read, and the plan says what settles it: {key}: the item is no"
        " longer accepted; left alone until it is accepted again, or marked done or cancelled"
    )
    assert plansync.forget(config) == []
    assert key in tracked(config)


def test_forgetting_nothing_leaves_a_saved_plan_fresh(example_project: ExampleProject) -> None:
    config, *_ = synced_item(example_project, RUNBOOK)
    saved = fresh_plan(config)
    assert plansync.forget(config) == []
    assert plansync.apply(config, saved).ok  # not refused as stale


@pytest.mark.parametrize("how", ["checkbox taken off", "moved into an excluded folder"])
def test_an_orphan_whose_line_is_no_longer_read_as_an_item_is_forgotten(
    example_project: ExampleProject, how: str
) -> None:
    """Kept as a plain bullet, or archived where the config does not read: reported by every
    plan, never cancelled, so forget is the way to stop it (a review found them refused)."""
    project = example_project
    config, note, item, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    line = item_line(project, note.path, item.line)
    if how == "checkbox taken off":
        replace_once(path, line, line.replace("- [ ] ", "- ", 1))
    else:
        replace_once(path, line + "\n", "")
        archive = project.vault / "templates" / "archive.md"  # the example config excludes it
        archive.parent.mkdir(exist_ok=True)
        archive.write_text(line + "\n", encoding="utf-8")
    plan = fresh_plan(config)
    [orphan] = [c for c in plan.changes if c.key == key]
    assert orphan.action == "orphan" and orphan.item.unread
    assert orphans_hint(None) in render_plan(plan)

    assert [c.key for c in plansync.forget(config)] == [key]
    assert key not in tracked(config)
    assert not fresh_plan(config).changes


@pytest.mark.parametrize("orphans", ["report", "cancel"])
@pytest.mark.parametrize("how", ["a line links to its key", "a line has its text"])
def test_an_orphan_whose_line_may_be_back_without_its_id_is_not_forgotten(
    example_project: ExampleProject, how: str, orphans: str
) -> None:
    """The plan says a line may be the orphan's own, its id lost: the state store is what
    finds it again, so forgetting it would make that line a second issue (a review found
    forget --all took it, and then that only a cancel was checked for a line with its text)."""
    project = example_project
    project.write_config(f'[sync]\norphans = "{orphans}"\n')
    config, _, item, key, path, line, url = synced_line(project)
    if how == "a line links to its key":
        after = f"- [ ] Check [{key}]({url}) with Dana @Myself 📅 2025-11-20"
    else:  # proposed again, as before the review, its id and key gone: the plan names it
        after = line.replace(f" [{key}]({url})", "").removesuffix(f" ^{item.block_id}")
        after = after.replace("- [ ] ", "- [?] ", 1)
    replace_once(path, line, after)
    plan = fresh_plan(config)
    [orphan] = [c for c in plan.changes if c.key == key]
    assert orphan.action == "orphan" and orphan.line_may_be_back, orphan.message

    assert plansync.forget(config) == []
    with pytest.raises(plansync.NotAnOrphan) as refused:
        plansync.forget(config, [key])
    refusal = str(refused.value)
    assert refusal.startswith(f"{key}'s line may still be in the notes: {key}: "), refusal
    assert f"put ^{item.block_id} back at its end" in refusal  # which id to put back
    assert key in tracked(config)


def test_an_orphan_another_synced_item_mentions_is_forgotten(
    example_project: ExampleProject,
) -> None:
    """ "Blocked by [PLAN-6](…)" on another item's line (its own id on it) is a mention: the
    orphan said "if that is its line, put ^id back", wrong there, and forget refused it for
    ever, as if the line might be the orphan's own without its id."""
    project = example_project
    config, key, _, path, _ = deleted(project)
    url = project.issues()[key]["self"].split("/rest/")[0] + f"/browse/{key}"
    text = path.read_text("utf-8")
    other = next(line for line in text.split("\n") if "^ps-" in line and "- [" in line)
    at = other.index(" 📅") if " 📅" in other else other.index(" ^ps-")
    replace_once(path, other, f"{other[:at]} blocked by [{key}]({url}){other[at:]}")
    [orphan] = [c for c in fresh_plan(config).changes if c.key == key]
    assert orphan.action == "orphan" and not orphan.line_may_be_back, orphan.message
    assert "put ^" not in (orphan.message or "")
    assert [c.key for c in plansync.forget(config, [key])] == [key]


def test_an_orphan_whose_note_could_not_be_read_is_not_forgotten(
    example_project: ExampleProject,
) -> None:
    """A note skipped by the scan (a NUL byte made it binary) most likely still holds the line,
    id and all: forget --all took its records, a cron job's `forget --all --yes` too."""
    project = example_project
    config, note, _, key = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    data = path.read_bytes()
    path.write_bytes(data + b"\0")
    [orphan] = [c for c in fresh_plan(config).changes if c.key == key]
    assert orphan.action == "orphan" and orphan.line_may_be_back, orphan.message
    assert "its note was not read" in (orphan.message or "")

    assert key not in [c.key for c in plansync.forget(config)]
    with pytest.raises(plansync.NotAnOrphan, match=f"{key}'s line may still be in the notes"):
        plansync.forget(config, [key])
    path.write_bytes(data)
    assert not fresh_plan(config).changes


@pytest.mark.parametrize(
    "how", ["moved where it is excluded, a line linking to its key", "moved and made binary"]
)
def test_an_orphan_of_a_gone_note_whose_line_may_be_back_is_not_forgotten(
    example_project: ExampleProject, how: str
) -> None:
    """A note gone from its path is reported with where its line is now; that report dropped
    what the first one said, that a line links to the orphan's key (the line may be its own,
    its id lost), and said nothing of a note the scan could not read, which most likely holds
    the line as an item still: forget took either, a review found."""
    project = example_project
    config, _, _, key, path, _, url = synced_line(project)
    data = path.read_bytes()
    path.unlink()
    if how == "moved and made binary":
        (project.vault / f"copy-{path.name}").write_bytes(data + b"\0")
    else:
        excluded = project.vault / "templates" / path.name  # the example config excludes it
        excluded.parent.mkdir()
        excluded.write_bytes(data)
        (project.vault / "checks.md").write_text(
            f"# Checks\n\n- [ ] Check [{key}]({url}) with Dana @Myself 📅 2025-11-20\n"
        )
    [orphan] = [c for c in fresh_plan(config).changes if c.key == key]
    assert orphan.action == "orphan" and orphan.line_may_be_back, orphan.message
    assert "its line is now in " in (orphan.message or "")

    assert key not in [c.key for c in plansync.forget(config)]
    with pytest.raises(plansync.NotAnOrphan, match=f"{key}'s line may still be in the notes"):
        plansync.forget(config, [key])
    assert key in tracked(config)


def test_a_key_of_a_jira_project_keyed_ps_is_a_key_not_a_block_id(tmp_path: Path) -> None:
    """Block ids begin "ps-": "PS-12" was only compared with them, and was never found."""
    from plansync.engine.changes import ItemRef, Plan
    from plansync.engine.forget import orphans_named
    from plansync.engine.state import StateStore, SyncedRecord

    state = StateStore(tmp_path)
    state.save(SyncedRecord("ps-7k2m9q", "jira", "PS-12", "", "a.md", {}))
    gone = ItemRef(note="a.md", line=0, block_id="ps-7k2m9q", text="Draft the plan")
    plan = Plan(changes=[Change(action="orphan", target="jira", item=gone, key="PS-12")])
    for name in ("PS-12", "ps-12", "^ps-7k2m9q", "PS-7K2M9Q"):
        [(orphan, record)] = orphans_named(plan, [name], state, config=plansync.Config())
        assert (orphan.key, record.block_id) == ("PS-12", "ps-7k2m9q"), name
    state.close()


def test_an_id_a_cut_short_sync_left_unfound_is_named_as_such(tmp_path: Path) -> None:
    """The plan lists it ("1 id that a sync cut short was creating … has no record"), and
    forget said "plansync tracks no record", as if it had made it up."""
    from plansync.engine.changes import DeadCreate, Plan
    from plansync.engine.forget import orphans_named
    from plansync.engine.state import StateStore

    state = StateStore(tmp_path)
    plan = Plan(dead_creates=[DeadCreate(block_id="ps-gta648ke", target="jira", note="a.md")])
    with pytest.raises(plansync.NotAnOrphan) as refused:
        orphans_named(plan, ["^ps-gta648ke"], state, config=plansync.Config())
    assert str(refused.value).startswith(
        "^ps-gta648ke is an id a sync cut short was creating, with no record yet: there is"
        " nothing to forget"
    )
    state.close()


def test_an_orphan_a_cut_short_sync_made_is_stored_by_a_sync_before_it_is_forgotten(
    example_project: ExampleProject,
) -> None:
    """Found by the look-up of a dead sync's creates, it is in no state row yet: forgetting it
    said "Forgot 1 orphan" and forgot nothing (a review found it)."""
    project = example_project
    config, note, item, _ = synced_item(project, RUNBOOK)
    path = project.vault / note.path
    line = item_line(project, note.path, item.line)
    replace_once(path, line, line + "\n- [ ] Draft the pager budget @Myself")

    with pytest.raises(Crash):
        plansync.apply(config, checkpoint=crash_at("created"))
    made = [c for c in fresh_plan(config).changes if "pager budget" in c.item.text]
    new_line = next(x for x in path.read_text("utf-8").split("\n") if "pager budget" in x)
    replace_once(path, "\n" + new_line, "")
    [orphan] = [c for c in fresh_plan(config).changes if c.action == "orphan"]
    assert made and orphan.key not in tracked(config)

    with pytest.raises(plansync.NotAnOrphan) as refused:
        plansync.forget(config, [orphan.key or ""])
    assert str(refused.value) == (
        f"{orphan.key} was made by a sync that was cut short and is not stored yet: call"
        " `plansync.apply(config)` once, then forget it; nothing was forgotten"
    )
    sync(config)
    assert [c.key for c in plansync.forget(config, [orphan.key or ""])] == [orphan.key]
    assert not fresh_plan(config).changes


def test_a_plan_made_while_a_forget_holds_the_lock_says_no_sync_is_running(
    example_project: ExampleProject,
) -> None:
    config, key, *_ = deleted(example_project)
    plans: list[plansync.Plan] = []
    plansync.forget(config, [key], confirm=lambda _: plans.append(fresh_plan(config)) or False)
    [plan] = plans
    assert not any("a sync is running" in warning for warning in plan.warnings)
    with open_state(config.state_dir, doing="forget"), pytest.raises(plansync.StateLocked) as held:
        plansync.apply(config)
    assert "a plansync call of this process (forget, pid " in str(held.value)


def test_a_declined_forget_forgets_nothing(example_project: ExampleProject) -> None:
    config, key, *_ = deleted(example_project)
    seen: list[list[Change]] = []

    def decline(orphans: list[Change]) -> bool:
        seen.append(orphans)
        return False

    assert plansync.forget(config, [key.lower()], confirm=decline) == []
    assert [[c.key for c in orphans] for orphans in seen] == [[key]]
    assert key in tracked(config)


def test_a_saved_plan_is_stale_once_an_orphan_is_forgotten(
    example_project: ExampleProject,
) -> None:
    config, key, *_ = deleted(example_project)
    saved = fresh_plan(config)
    plansync.forget(config, [key])
    with pytest.raises(plansync.StalePlan):
        plansync.apply(config, saved)


# ---- the command ------------------------------------------------------------------------------


def forget_command(project: ExampleProject, *args: str, answer: str | None = None) -> Result:
    return CliRunner().invoke(
        main, ["forget", "--config", str(project.config_path), *args], input=answer
    )


def test_the_command_shows_the_orphans_and_forgets_them_when_told_yes(
    example_project: ExampleProject,
) -> None:
    project = example_project
    config, key, *_ = deleted(project)

    result = forget_command(project, key, answer="y\n")

    assert result.exit_code == 0, result.output
    assert f"- jira orphan {key}" in result.stdout
    assert "To forget (1 orphan; its issue or record stays as in the backend)" in result.stdout
    assert "Forget it? [y/N]" in result.stdout
    assert result.stdout.rstrip().endswith("Forgot 1 orphan: plansync no longer reports it.")
    assert key not in tracked(config)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ("n\n", "Error: nothing forgotten"),
        ("", "no answer, so nothing was forgotten (--yes forgets without asking)"),
    ],
)
def test_the_command_forgets_nothing_without_a_yes(
    example_project: ExampleProject, answer: str, says: str
) -> None:
    config, key, *_ = deleted(example_project)
    result = forget_command(example_project, key, answer=answer)
    assert result.exit_code == 1 and says in result.stderr
    assert key in tracked(config)


def test_a_quiet_sync_says_how_to_stop_reporting_an_orphan(
    example_project: ExampleProject,
) -> None:
    deleted(example_project)
    quiet = ["sync", "--yes", "--quiet", "--config", str(example_project.config_path)]
    result = CliRunner().invoke(main, quiet)
    assert result.exit_code == 0, result.output
    config = example_project.config_path
    assert (
        f"warning: 1 orphan is left for a person to settle: `plansync plan --config {config}`"
        f" shows it, and `plansync forget --config {config} KEY` stops reporting an orphan"
        " whose deletion stands"
    ) in result.stderr


def test_the_command_says_when_there_is_nothing_to_forget(
    example_project: ExampleProject,
) -> None:
    synced_item(example_project, RUNBOOK)
    result = forget_command(example_project, "--all", "--yes")
    assert result.exit_code == 0
    assert result.stdout.strip() == (
        "No orphans to forget: the plan shows none that forget takes (any other is settled as"
        f" `plansync plan --config {example_project.config_path}` says)."
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "name the orphans to forget (keys or ^ids), or give --all or --backend"),
        (("",), "name the orphans to forget (keys or ^ids), or give --all or --backend"),
        (("PLAN-1", " "), "name the orphans to forget (keys or ^ids), or give --all or --backend"),
        (("--all", "PLAN-1"), "name the orphans to forget, or give --all or --backend, not two"),
        (
            ("--backend", "salesforce", "PLAN-1"),
            "name the orphans to forget, or give --all or --backend, not two",
        ),
    ],
)
def test_the_command_needs_names_or_all_but_not_both(
    example_project: ExampleProject, args: tuple[str, ...], says: str
) -> None:
    """Both given, it said to give one of them, as if neither had been."""
    result = forget_command(example_project, *args)
    assert result.exit_code == 1  # a usage error exits 1, as every error does
    assert says in result.stderr


def test_the_command_names_what_it_refuses(example_project: ExampleProject) -> None:
    deleted(example_project)
    result = forget_command(example_project, "CLOUD-999", "--yes")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: plansync tracks no record CLOUD-999 (name a key or a ^id that `plansync plan"
        f" --config {example_project.config_path}` shows); nothing was forgotten\n"
    )


def test_the_plan_names_forget_with_the_config_it_was_given(
    example_project: ExampleProject,
) -> None:
    """Every command a message tells of is named as the user ran plansync: without the
    ``--config`` they gave, the pasted command finds no config, or another one."""
    deleted(example_project)
    given = ["plan", "--config", str(example_project.config_path)]
    shown = CliRunner().invoke(main, given).stdout
    path = example_project.config_path
    assert orphans_hint(read_config(path, caller=CommandLine(path))) in shown
    assert f"`plansync forget --config {example_project.config_path} KEY` stops" in shown
    assert "`plansync forget KEY`" not in shown
