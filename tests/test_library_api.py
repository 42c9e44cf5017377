"""The library as a pipeline or a bot uses it: ``import plansync``, plan, apply, read the result.

What is checked here is the contract with such a caller rather than what reaches Jira: which
names the package exports, which exceptions it raises (one base class to catch, messages that
name the file), and what a :class:`plansync.Result` says about each item of the plan.
"""

from __future__ import annotations

import pytest
from conftest import ExampleProject, closed_port, replace_once

import plansync
import plansync.sync
from plansync.config import Config
from plansync.engine.state import open_state
from plansync.notes.vault import Vault

RUN_ERRORS = (
    "ConfigError",
    "ConnectorError",
    "NoteChanged",
    "StalePlan",
    "StateLocked",
    "StateError",
)


@pytest.mark.parametrize("name", RUN_ERRORS)
def test_each_error_of_a_run_is_exported_and_is_a_plansync_error(name: str) -> None:
    error = getattr(plansync, name)
    assert name in plansync.__all__
    assert issubclass(error, plansync.PlansyncError)


def test_a_caller_catches_every_failure_of_a_run_as_one_plansync_error(
    example_project: ExampleProject,
) -> None:
    project = example_project
    with pytest.raises(plansync.PlansyncError, match="no such config file"):
        plansync.load_config(project.root / "nowhere.toml")
    config = plansync.load_config(project.config_path)
    saved = plansync.plan(config)
    replace_once(project.note("weekly"), "Write the runbook", "Write the new runbook")
    with pytest.raises(plansync.PlansyncError, match="stale"):
        plansync.apply(config, saved)

    with open_state(config.state_dir), pytest.raises(plansync.PlansyncError, match="lock"):
        plansync.apply(config)

    state = project.state_db
    state.write_bytes(b"not a database, " * 100)
    with pytest.raises(plansync.PlansyncError, match=f"{state}: file is not a database"):
        plansync.plan(config)
    state.unlink()

    project.write_config(url=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(plansync.PlansyncError, match="cannot connect to Jira"):
        plansync.plan(plansync.load_config(project.config_path))

    project.write_config(url="")  # no Jira: the embedded sandbox, kept under .plansync
    sandbox = config.state_dir / "sandbox" / "jira.db"
    sandbox.parent.mkdir(parents=True, exist_ok=True)
    sandbox.write_bytes(b"not a database, " * 100)
    with pytest.raises(plansync.PlansyncError, match=f"{sandbox}: file is not a database"):
        plansync.plan(plansync.load_config(project.config_path))


def test_a_note_deleted_while_it_is_planned_is_note_changed_not_a_traceback(
    example_project: ExampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notes are read twice (parsed by the scan, then read as write-back will see them);
    one that is gone in between is a :class:`plansync.NoteChanged`, like one saved then."""
    config = plansync.load_config(example_project.config_path)
    note = example_project.note("weekly")
    scan = plansync.sync.scan

    def scan_then_delete(config: Config) -> Vault:
        vault = scan(config)
        note.unlink()
        return vault

    monkeypatch.setattr(plansync.sync, "scan", scan_then_delete)
    with pytest.raises(plansync.NoteChanged, match=f"{note.name} could not be read again"):
        plansync.plan(config)
