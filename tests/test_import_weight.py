"""What importing a module loads: the sandboxes stand in for Jira and Salesforce and the
connectors speak to them, and neither has any use for plansync's config or note parser (nor
the rules that load both). Each import is made in a fresh interpreter, whose ``sys.modules``
then says what came with it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("plansync.config", "plansync.notes.parse", "plansync.rules")


def loaded_with(module: str) -> set[str]:
    """The plansync modules a fresh interpreter holds after ``import module``."""
    script = (
        f"import json, sys, {module}\n"
        "print(json.dumps([n for n in sys.modules if n.startswith('plansync')]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout))


@pytest.mark.parametrize(
    "module",
    [
        "plansync.sandbox.jira_app",
        "plansync.sandbox.salesforce_app",
        "plansync.connectors.jira",
        "plansync.connectors.salesforce_names",
        "plansync.field_text",
        "plansync.words",
    ],
)
def test_a_sandbox_or_connector_loads_no_config_and_no_note_parser(module: str) -> None:
    loaded = loaded_with(module)
    assert module in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_the_salesforce_sandbox_loads_no_jira_sandbox() -> None:
    """It seeds its users from the people both sandboxes know, not from the Jira emulator."""
    assert "plansync.sandbox.jira_app" not in loaded_with("plansync.sandbox.salesforce_app")


@pytest.mark.parametrize("module", ["plansync.sandbox.jira_app", "plansync.sandbox.salesforce_app"])
def test_a_sandbox_loads_no_engine(module: str) -> None:
    """Its database is opened as the state store's is (:mod:`plansync.sqlite`), not through
    the state store's module and the engine around it."""
    assert not {name for name in loaded_with(module) if name.startswith("plansync.engine")}
