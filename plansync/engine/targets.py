"""The backends as the planner sees them (:class:`TargetSpec`), and which items they take."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plansync.config import BACKEND_TITLES, Config
from plansync.connectors.base import Connector
from plansync.engine.changes import Backend
from plansync.notes.links import last_links
from plansync.notes.model import Item
from plansync.rules import JiraRouting, Routing, SalesforceRouting
from plansync.sites import local_site, names_site, on_this_machine, site_of_connector


@dataclass(frozen=True)
class TargetSpec:
    """One backend as the planner sees it: its connector and what it can do."""

    name: Backend
    title: str
    connector: Connector
    routing: Routing[Any]
    """Which items go to the backend and what their records say."""
    remote_links: bool = False
    transitions: bool = False
    progress: bool = False
    """The note's ``[/]`` moves records into in progress (Jira's category "indeterminate"),
    and back; without, it is open, as ``[ ]``: a Salesforce status field has no value for it
    that every org shares, so it takes one only from ``status_values``' ``in_progress``."""
    immutable: frozenset[str] = frozenset()
    site: str | None = None
    """Which backend this is (:func:`plansync.sites.site_of`); None: the connector does not say."""

    @property
    def local(self) -> bool | None:
        """Whether the backend is a sandbox on this machine (None: not known)."""
        return None if self.site is None else local_site(self.site)

    def routes(self, config: Config, item: Item) -> bool:
        """Whether a rule sends ``item`` to this backend."""
        return self.routing.rule_for(config, item) is not None


def targets_of(connectors: dict[str, Connector], config: Config) -> list[TargetSpec]:
    """What the planner needs to know of each backend; Jira first (see the plan's docstring).

    Salesforce records move with the checkbox only when the config names their status field:
    custom objects have no workflow plansync could know of."""
    jira = connectors["jira"]
    specs = [
        TargetSpec(
            name="jira",
            title=BACKEND_TITLES["jira"],
            connector=jira,
            routing=JiraRouting(),
            remote_links=True,
            transitions=True,
            progress=True,
            immutable=frozenset({"project", "issue_type"}),
            site=site_of_connector(jira),
        )
    ]
    if "salesforce" in connectors:
        sf = connectors["salesforce"]
        specs.append(
            TargetSpec(
                name="salesforce",
                title=BACKEND_TITLES["salesforce"],
                connector=sf,
                routing=SalesforceRouting(),
                transitions=bool(config.salesforce and config.salesforce.status_field),
                progress=bool(
                    config.salesforce
                    and config.salesforce.status_field
                    and "in_progress" in config.salesforce.status_values
                ),
                site=site_of_connector(sf),
            )
        )
    return specs


def wanted(config: Config, targets: list[TargetSpec], item: Item) -> bool:
    """Whether ``item`` is to be synced: accepted, and sent to some target by a rule."""
    return item.accepted and any(t.routes(config, item) for t in targets)


def trial_targets(targets: list[TargetSpec], line: str) -> list[str]:
    """The targets whose last link in ``line`` is to a sandbox on this machine other than
    their backend: any, for a real target (a trial's), another one for a sandbox (the embedded
    one's, the target being one ``plansync sandbox serve`` serves, or the other way round).
    For a target the item has a key for, its key link (the last link to its target)."""
    if "](" not in line:
        return []
    sites: dict[str, str] = {t.name: t.site for t in targets if t.site is not None}
    return [
        link.target
        for link in last_links(line).values()
        if (site := sites.get(link.target)) is not None
        and on_this_machine(link.url)
        and not names_site(link.url, site)
    ]
