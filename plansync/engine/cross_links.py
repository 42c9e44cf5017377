"""Step 4 and 6 of the plan (:mod:`.plan`), the links between records: each Jira issue's link
to its note line, and, once both keys are known or will be, the Jira issue's link to the item's
Salesforce record (not while one of the two is a sandbox on this machine and the other is not).

Apart from the planner because links are planned from what was last sent (they are not read
back from Jira), and the cross-link needs every target planned first: the keys each item's
records have, or get, are gathered here as the planner finds them (:meth:`CrossLinks.known`)."""

from __future__ import annotations

from typing import Any

from plansync.engine.changes import KNOWN_AFTER_CREATE, BaseRefresh, Change
from plansync.engine.context import PlanContext
from plansync.engine.identity import Tracked
from plansync.engine.state import SyncedRecord
from plansync.engine.targets import TargetSpec
from plansync.rules import note_title


class CrossLinks:
    """Plans the Jira links of each item (:meth:`plan_link`, :meth:`plan_cross_links`) into
    the context's ``plan``. Made before any target is planned: it says at once when Jira and
    Salesforce are not to be linked (:attr:`linked`)."""

    def __init__(self, context: PlanContext, *, bases: dict[tuple[str, str], SyncedRecord]):
        self.config = context.config
        self.targets = context.targets
        self.plan = context.plan
        self._bases = bases
        """(block id, target) -> the record as last synced, of each item planned: filled in by
        the planner as it plans them."""
        self._keys: dict[tuple[str, str], str] = {}  # (block id, target) -> key, or to come
        self._urls: dict[tuple[str, str], str] = {}
        self.linked = self._link_targets()
        """Whether Jira issues and Salesforce records are linked to each other in this run."""

    def known(self, target: TargetSpec, entry: Tracked, key: str, url: str) -> None:
        """The item's record in ``target`` is ``key`` at ``url`` (or will be:
        ``KNOWN_AFTER_CREATE``)."""
        self._keys[entry.block_id, target.name] = key
        self._urls[entry.block_id, target.name] = url

    def jira_key(self, entry: Tracked) -> str | None:
        """The key of the item's Jira issue, for its Salesforce record to carry: None when it
        has none yet, or Jira and Salesforce are not linked in this run."""
        return self._keys.get((entry.block_id, "jira")) if self.linked else None

    def plan_cross_links(self, tracked: list[Tracked]) -> None:
        """Each item's Jira issue's link to its Salesforce record, once every target is
        planned (both keys known, or to come)."""
        if self.linked:
            for entry in tracked:
                self._plan_cross_link(entry)

    def _link(self, entry: Tracked, **kwargs: Any) -> None:
        self.plan.changes.append(Change(action="link", target="jira", item=entry.ref(), **kwargs))

    def _link_targets(self) -> bool:
        """Whether Jira issues and Salesforce records are linked to each other in this run: not
        when one of them is a sandbox on this machine and the other is not, as a real record
        would name a trial's."""
        kinds = {t.name: t.local for t in self.targets}
        if set(kinds) < {"jira", "salesforce"}:
            return False
        if None in kinds.values() or kinds["jira"] == kinds["salesforce"]:
            return True
        sandbox, real = ("Jira", "Salesforce") if kinds["jira"] else ("Salesforce", "Jira")
        if self.config.rules:  # without [[rules]] nothing goes to Jira: nothing to link
            self.plan.warn(
                f"{sandbox} is a sandbox on this machine and {real} is not: their records are"
                f" not linked to each other (no Jira key in Salesforce, no Salesforce link in"
                f" Jira) until both are real"
            )
        return False

    def plan_link(self, target: TargetSpec, entry: Tracked, key: str, link: str) -> None:
        """The issue's link to the note line, upserted when its URL or its title (the note's
        title, through ``jira.link_title``) is not what was last sent."""
        title = self.link_title(entry)
        sent = self._link_sent(target, entry, "link", link, title)
        if sent is None:
            return
        old, old_title = sent
        fields = {"url": {"old": old, "new": link}, "title": {"old": old_title, "new": title}}
        self._link(entry, key=key, fields=fields)

    def _link_sent(
        self, target: TargetSpec, entry: Tracked, field: str, value: str, title: str
    ) -> tuple[Any, Any] | None:
        """What was last sent of one of the issue's links, ``(value, title)``, when it is not
        ``value`` and ``title`` (the link is to be upserted); None when it is.

        Links are not read back from Jira (that would cost a request per issue), so the base is
        what was sent: ``field`` (the URL, or the record linked to) and ``field + "_title"``.
        A base kept before titles were takes the title as sent and learns it (a refresh, nothing
        sent), so that an upgrade does not upsert every link once.
        """
        base = self._bases.get((entry.block_id, target.name))
        last = base.fields if base else {}
        old, old_title = last.get(field), last.get(f"{field}_title")
        if old != value:
            return old, old_title
        if f"{field}_title" not in last:
            self.plan.refresh.append(
                BaseRefresh(
                    block_id=entry.block_id, target=target.name, fields={f"{field}_title": title}
                )
            )
            return None
        return None if old_title == title else (old, old_title)

    def _plan_cross_link(self, entry: Tracked) -> None:
        """The Jira issue links to the item's Salesforce record (upserted by its own global id)."""
        jira_key = self._keys.get((entry.block_id, "jira"))
        sf_key = self._keys.get((entry.block_id, "salesforce"))
        sf_url = self._urls.get((entry.block_id, "salesforce"))
        if jira_key is None or sf_key is None or sf_url is None:
            return
        # The link is to the record: compared by its Id, so a new host for the same record
        # (the sandbox on another port, a renamed My Domain) is not a change.
        jira = next(t for t in self.targets if t.name == "jira")
        title = f"Salesforce: {entry.item.text[:80]}"
        sent = self._link_sent(jira, entry, "sf_link", sf_key, title)
        if sent is None:
            return
        old, old_title = sent
        self._link(
            entry,
            key=None if jira_key == KNOWN_AFTER_CREATE else jira_key,
            fields={
                "url": {"old": sf_url if old == sf_key else None, "new": sf_url},
                "record": {"old": old, "new": sf_key},
                "title": {"old": old_title, "new": title},
            },
            global_id=f"plansync:salesforce:{entry.block_id}",
            base_field="sf_link",
        )

    def link_title(self, entry: Tracked) -> str:
        """The title of the issue's link to the item's note line (``jira.link_title``)."""
        return self.config.jira.link_title.format_map(
            {"note_title": note_title(entry.note), "note_path": entry.note.path}
        )
