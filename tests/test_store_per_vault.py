"""One state store serves one vault: two configs whose ``.plansync`` is the same folder (two
config files in one folder, two configs made in code in one working folder) but whose vaults
differ are refused, rather than each taking the other vault's records for orphans and, under
``orphans = "cancel"``, cancelling the other's issues at every run (a user test).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ExampleProject

import plansync
from plansync.cli import main

MISSING_NOTE = "2025-11-03-weekly-cloud-program-sync.md"
"""A note of vault A that vault B lacks: B's plan took its records for orphans."""


def _two_vaults(project: ExampleProject) -> tuple[Path, Path]:
    """The example vault as ``A``, and a copy of it without one note as ``B``, side by side."""
    a, b = project.root / "A", project.root / "B"
    project.vault.rename(a)
    shutil.copytree(a, b)
    (b / MISSING_NOTE).unlink()
    return a, b


def _in_code(project: ExampleProject, vault: Path) -> plansync.Config:
    """A config of ``vault`` made in code (in the working folder), cancelling orphans."""
    return plansync.Config(
        vault=plansync.VaultConfig(path=str(vault)),
        jira=plansync.JiraConfig(**project.jira_values()),  # type: ignore[arg-type]
        sync=plansync.SyncConfig(orphans="cancel"),
        rules=[plansync.JiraRule(project="PLAN")],
    )


def _a_synced_and_b(
    project: ExampleProject,
) -> tuple[tuple[Path, plansync.Config], tuple[Path, plansync.Config]]:
    """Vaults A and B (:func:`_two_vaults`), each with its config made in code in the working
    folder, A synced."""
    vault_a, vault_b = _two_vaults(project)
    a, b = _in_code(project, vault_a), _in_code(project, vault_b)
    assert plansync.apply(a).ok
    return (vault_a, a), (vault_b, b)


def _of_the_store(plan: plansync.Plan) -> list[str]:
    """The plan's warnings about its state store (the example vault's notes have others)."""
    return [warning for warning in plan.warnings if "state store" in warning]


@pytest.fixture
def service(example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder of its own, where the configs of the tests are made in code."""
    folder = example_project.root / "svc"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_two_configs_made_in_one_folder_with_two_vaults_are_refused(
    example_project: ExampleProject, service: Path
) -> None:
    """The user test's case: B's plan had 21 transitions, cancelling A's issues."""
    (vault_a, a), (vault_b, b) = _a_synced_and_b(example_project)
    store = service / ".plansync" / "state.db"
    said = (
        f"the state store {store} serves the vault {vault_a}, and a config made in {service}"
        f" (vault {vault_b}) has another: one state store serves one vault (the other vault's"
        " records would be this one's orphans); give each vault's Config a folder of its own"
        " (Config(folder=...); its state store is .plansync there, by default in the working"
        " folder it is made in)"
    )
    revision = sqlite3.connect(store).execute("SELECT value FROM meta WHERE name = 'revision'")
    before = revision.fetchone()
    issues = example_project.issues()
    for run in (plansync.plan, plansync.apply, plansync.forget):
        with pytest.raises(plansync.ConfigError) as refused:
            run(b)
        assert str(refused.value) == said
    assert example_project.issues() == issues  # nothing cancelled
    after = sqlite3.connect(store).execute("SELECT value FROM meta WHERE name = 'revision'")
    assert after.fetchone() == before
    assert not plansync.plan(a).has_changes  # A's own store is as A left it


def test_a_store_written_before_vaults_were_kept_is_adopted_by_its_next_sync(
    example_project: ExampleProject, service: Path
) -> None:
    (_, a), (_, b) = _a_synced_and_b(example_project)
    store = service / ".plansync" / "state.db"
    with sqlite3.connect(store) as db:
        db.execute("DELETE FROM meta WHERE name LIKE 'vault%'")
    assert not _of_the_store(plansync.plan(a))  # silently: nothing to say of it
    assert plansync.apply(a).ok
    with pytest.raises(plansync.ConfigError, match="serves the vault"):
        plansync.plan(b)


def test_a_vault_moved_is_taken_for_the_one_the_store_served_and_recorded(
    example_project: ExampleProject, service: Path
) -> None:
    """Its old folder gone, the vault is not another's: no lock-out, a notice in the plan,
    and the sync records where it is now (another vault is then refused by that)."""
    vault_a, vault_b = _two_vaults(example_project)
    assert plansync.apply(_in_code(example_project, vault_a)).ok
    (example_project.root / "moved").mkdir()
    moved = vault_a.rename(example_project.root / "moved" / "A")  # named alike: same links
    config = _in_code(example_project, moved)
    plan = plansync.plan(config)
    store = service / ".plansync" / "state.db"
    assert _of_the_store(plan) == [
        f"the state store {store} served the vault {vault_a}, which is not there any more:"
        f" this run takes {moved} for it, moved (a sync records it)"
    ]
    assert not plan.has_changes  # its records are the moved vault's
    assert plansync.apply(config, plan).ok
    assert not _of_the_store(plansync.plan(config))
    vault_a.mkdir()  # the old folder back, as another vault: the store serves the moved one
    with pytest.raises(plansync.ConfigError, match=f"serves the vault {moved}, and"):
        plansync.plan(_in_code(example_project, vault_b))


def test_a_project_copied_whole_keeps_its_store_serving_its_own_vault(
    example_project: ExampleProject,
) -> None:
    """Config, store and vault copied elsewhere: the copy's vault is where the store says,
    relative to it (the original's folder is still there, and is not the copy's)."""
    config = plansync.load_config(example_project.config_path)
    assert plansync.apply(config).ok
    copy = example_project.root / "copy"
    shutil.copytree(example_project.root, copy, ignore=shutil.ignore_patterns("copy"))
    copied = plansync.load_config(copy / "plansync.toml")
    plan = plansync.plan(copied)
    assert not _of_the_store(plan) and not plan.has_changes


def test_two_config_files_in_one_folder_with_two_vaults_are_refused_on_the_command_line(
    example_project: ExampleProject,
) -> None:
    vault_a, vault_b = _two_vaults(example_project)
    text = example_project.config_path.read_text("utf-8")
    assert 'path = "vault"' in text
    for name, vault in (("a", "A"), ("b", "B")):
        config = text.replace('path = "vault"', f'path = "{vault}"')
        (example_project.root / f"{name}.toml").write_text(config + '[sync]\norphans = "cancel"\n')
    a_toml, b_toml = example_project.root / "a.toml", example_project.root / "b.toml"

    def run(*args: str | Path) -> tuple[int, str]:
        result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
        return result.exit_code, result.output

    code, output = run("sync", "--config", a_toml, "--yes")
    assert code == 0, output
    issues = example_project.issues()
    store = example_project.state_db
    for command in (("plan",), ("sync", "--yes")):
        code, output = run(*command, "--config", b_toml)
        assert code == 1
        assert output == (
            f"Error: the state store {store} serves the vault {vault_a}, and {b_toml} (vault"
            f" {vault_b}) has another: one state store serves one vault (the other vault's"
            " records would be this one's orphans); put each vault's config file in a folder"
            " of its own (its state store is .plansync beside it) and give it with"
            " `--config FOLDER/plansync.toml`\n"
        )
    assert example_project.issues() == issues
