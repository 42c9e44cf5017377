"""The library's front door: ``plan(config)`` and ``apply(config, plan)``.

This is where the pieces meet: the vault is scanned with the config's globs and acceptance
policy, the state store is opened (read-only for a plan, under the run lock for a sync), and a
Jira connector is made from the config, or pointed at the embedded sandbox when no Jira URL is
configured. The CLI is a thin shell over these two functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from plansync.config import Config
from plansync.connectors.base import Connector
from plansync.connectors.jira import JiraConnector
from plansync.engine.apply import Checkpoint, Progress, Result, apply_plan
from plansync.engine.plan import Plan, Planner, TargetSpec
from plansync.engine.state import StateStore, open_state
from plansync.notes.vault import Vault, scan_vault
from plansync.sandbox.embedded import embedded_jira

SANDBOX_NOTICE = "No Jira URL configured: using the embedded sandbox (state in {where})."


def scan(config: Config) -> Vault:
    return scan_vault(
        config.vault_root,
        include=config.vault.include,
        exclude=config.vault.exclude,
        policy=config.acceptance,
    )


@contextmanager
def jira_connection(config: Config) -> Iterator[JiraConnector]:
    """A connector for the configured Jira, or for the embedded sandbox while the block runs."""
    jira = config.jira
    if config.uses_sandbox:
        with embedded_jira(config.state_dir) as url:
            yield JiraConnector(
                url, "plansync", "sandbox", deployment="cloud", timeout=jira.timeout
            )
        return
    yield JiraConnector(
        jira.url,
        jira.user or None,
        jira.token.get_secret_value() or None,
        deployment=jira.deployment,
        timeout=jira.timeout,
        api_version=jira.api_version,
        cancel_transition=jira.cancel_transition,
    )


@contextmanager
def connections(config: Config, jira: Any | None = None) -> Iterator[dict[str, Connector]]:
    """A connector per configured backend (given ones are used as they are), for the block."""
    with ExitStack() as stack:
        yield {"jira": jira if jira is not None else stack.enter_context(jira_connection(config))}


def targets(connectors: dict[str, Connector]) -> list[TargetSpec]:
    """What the planner needs to know of each backend."""
    jira = connectors["jira"]
    return [
        TargetSpec(
            name="jira",
            title="Jira",
            connector=jira,
            resolve_user=getattr(jira, "resolve_user", lambda _: None),
            remote_links=True,
            transitions=True,
            immutable=frozenset({"project", "issue_type"}),
        )
    ]


def _build(config: Config, state: StateStore, connectors: dict[str, Connector]) -> Plan:
    return Planner(config, scan(config), state, targets(connectors)).build()


def plan(config: Config, *, connector: Any | None = None) -> Plan:
    """What a sync would do now. Reads notes, state and the backends; writes nothing."""
    with open_state(config.state_dir, lock=False) as state, connections(config, connector) as conns:
        return _build(config, state, conns)


def apply(
    config: Config,
    plan: Plan | None = None,
    *,
    connector: Any | None = None,
    checkpoint: Checkpoint | None = None,
    progress: Progress | None = None,
    confirm: Callable[[Plan], bool] | None = None,
) -> Result | None:
    """Carry out ``plan`` (refused if stale), or plan and apply in one locked run.

    The lock is taken first, so a second run is refused before it plans or asks anything;
    ``confirm`` sees the plan made under the lock and may decline (the result is then None).
    """
    with open_state(config.state_dir) as state, connections(config, connector) as conns:
        current = plan if plan is not None else _build(config, state, conns)
        if confirm is not None and not confirm(current):
            return None
        kwargs: dict[str, Any] = {}
        if checkpoint is not None:
            kwargs["checkpoint"] = checkpoint
        if progress is not None:
            kwargs["progress"] = progress
        return apply_plan(config, current, state, conns, **kwargs)
