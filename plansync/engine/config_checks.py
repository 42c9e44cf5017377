"""The config's checks a plan warns of (or fails on): a Tasks plugin filter other than
[acceptance]'s, rules that match no item, a rule that now routes a synced item to another
Salesforce object, Jira project or issue type, a template showing a date the line cannot give,
and the values each backend written to would refuse.

Apart from the planner because none of it decides a change: each check watches the planning go
by (or looks at what it planned) and says, once, what in the config most likely needs a
person's eye; the planner keeps only the algorithm."""

from __future__ import annotations

from typing import Any

from plansync.config import Match
from plansync.connectors.base import RemoteRecord
from plansync.display import counted, first_few
from plansync.engine.context import PlanContext
from plansync.engine.identity import Tracked
from plansync.engine.targets import TargetSpec
from plansync.errors import ConfigError
from plansync.notes.tasks_plugin import UnreadableSettings, filter_described, tasks_settings
from plansync.rules import match_text, only_dates


class ConfigChecks:
    """What a plan says of its config (the module's docstring), into the context's ``plan``:
    some as each item is planned (:meth:`date_held`, :meth:`object_kept`, :meth:`issue_kept`,
    :meth:`no_longer_routed`), the rest once, before or after planning."""

    def __init__(self, context: PlanContext):
        self.config = context.config
        self.vault = context.vault
        self.targets = context.targets
        self.plan = context.plan
        self._rules_idle: dict[str, list[tuple[str, Match]]] = {}  # see idle_rules
        # ("project" or "type", rule, the rule's, the issues') -> (note, line, key) of each
        self._issues_kept: dict[tuple[str, str, str, str], list[tuple[str, int, str]]] = {}
        self._unrouted_now: dict[str, int] = {}  # target -> synced items no rule sends there

    def no_longer_routed(self, target: TargetSpec) -> None:
        """Count a synced item that no rule sends to ``target`` any more, for
        :meth:`warn_idle_rules`."""
        self._unrouted_now[target.name] = self._unrouted_now.get(target.name, 0) + 1

    def warn_tasks_settings(self) -> None:
        """One warning when the vault's Obsidian Tasks plugin has another global filter than
        the config's [acceptance]: plain checklist lines were planned as Jira issues (or the
        plugin's tasks left out), silently, in a vault whose config was written before the
        filter was set, or by hand."""
        acceptance = self.config.acceptance
        try:
            plugin = tasks_settings(self.config.vault_root)
        except UnreadableSettings as exc:
            self.plan.warn(f"{exc}: its global filter is not compared with [acceptance]'s")
            return
        if plugin is None or not plugin.differs_from(acceptance):
            return
        ours = filter_described(acceptance.global_filter, acceptance.remove_global_filter)
        self.plan.warn(
            f"Obsidian Tasks has {plugin.described()} in {plugin.file}, but {self.config.where}"
            f" [acceptance] has {ours}: plansync reads the notes' tasks otherwise than Obsidian"
            " (set global_filter and remove_global_filter there as in the plugin)"
        )

    def date_held(
        self, target: TargetSpec, entry: Tracked, fields: dict[str, Any], key: str | None
    ) -> dict[str, Any]:
        """``fields`` but those whose template shows a date of the item's that cannot be read
        (:meth:`Routing.date_held`), for the record ``key`` (None: one to create, whose
        fields stay as they are), and a warning naming each such field.

        Rendered without the date (``{due}`` filled in as nothing), a custom Jira summary or
        description rewrote the issue's text without it at the next sync, the date gone from
        the text as a one-key typo would have cleared the due date itself; so it keeps its
        text, as a Salesforce field that shows the date does (:func:`salesforce_fields` leaves
        it out). A new record cannot wait: Jira needs a summary, so a new issue's text shows
        no date, and a new Salesforce record gets none of those fields; an update sends them
        once the line gives a date. A field that is the date alone (``"{due}"``) is not
        named: the parse's warning says that no date is sent."""
        held = target.routing.date_held(self.config, entry.item)
        if not held:
            return fields
        rule = target.routing.rule_for(self.config, entry.item)
        templates = target.routing.templates(rule) if rule is not None else {}
        named = [name for name in held if not only_dates(templates[name])]
        if named:
            one = len(named) == 1
            dates = sorted(set().union(*(held[name] for name in named)))
            placeholders = " and ".join(f"{{{date}}}" for date in dates)
            whose = f"{key}'s" if key is not None else f"the new {target.title} record's"
            which = f"{whose} {' and '.join(named)}, which {'shows' if one else 'show'}"
            if key is not None:
                outcome = f"{'is' if one else 'are'} kept as in {target.title}, and updated"
            elif all(name in fields for name in named):
                outcome = f"{'is' if one else 'are'} made without it, and updated"
            else:
                outcome = f"{'is' if one else 'are'} left out, and sent"
            self.plan.warn(
                f"the {' and '.join(dates)} date cannot be read: {which} {placeholders},"
                f" {outcome} once the line gives one",
                entry.note.path,
                entry.item.line,
            )
        return {name: value for name, value in fields.items() if name not in held}

    def object_kept(
        self, target: TargetSpec, entry: Tracked, found: RemoteRecord, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """Warn when a rule now routes the item to another object than its record's; the
        fields to sync, of those the record's object has.

        A record cannot change object; a second record with the same id would split the item
        in two. So the record it has keeps being synced, and the plan says so rather than
        leaving a re-tagged ``#rfe`` → ``#feature`` looking done. It is sent only the fields
        plansync writes on its object: one only the new rule writes would fail its update at
        every sync.
        """
        routed = target.routing.sobject(self.config, entry.item)
        if not (found.sobject and routed and routed != found.sobject):
            return fields
        self.plan.warn(
            f"a rule now routes this item to {routed}, but its {target.title} record"
            f" {found.key} is {found.sobject}; plansync does not move records between objects"
            " and keeps syncing that one",
            entry.note.path,
            entry.item.line,
        )
        assert self.config.salesforce is not None
        managed = self.config.salesforce.managed_fields().get(found.sobject, [])
        return {name: value for name, value in fields.items() if name in managed}

    def issue_kept(
        self, target: TargetSpec, entry: Tracked, found: RemoteRecord, fields: dict[str, Any]
    ) -> None:
        """Note where a rule now routes the item to another Jira project than its issue's, or
        makes it another issue type, as :meth:`object_kept` does for a Salesforce object:
        an issue is not moved between projects or types (that is Jira's own move, with its
        workflows and fields), and a second issue would split the item in two, so the one it
        has keeps being synced. Warned of once a rule (:meth:`warn_issues_kept`)."""
        if target.name != "jira":
            return
        rule = target.routing.rule_key(self.config, entry.item)
        where = (entry.note.path, entry.item.line, found.key)
        project = fields.get("project")
        now = found.key.rsplit("-", 1)[0] if "-" in found.key else None
        if project and now and now.casefold() != str(project).casefold():
            self._issues_kept.setdefault(("project", rule, str(project), now), []).append(where)
        kind, was = fields.get("issue_type"), found.fields.get("issue_type")
        if kind and was and str(kind).casefold() != str(was).casefold():
            self._issues_kept.setdefault(("type", rule, str(kind), str(was)), []).append(where)

    def warn_issues_kept(self) -> None:
        """One warning a rule (and project or type) for the issues it no longer makes as they
        are: a mistyped ``project`` or ``issue_type`` repeated the same warning for every item
        of a synced vault. One issue is named by its line, several by their ``also``."""
        for (what, rule, wanted, now), issues in self._issues_kept.items():
            one = len(issues) == 1
            note: str | None = None
            line: int | None = None
            also = [] if one else [(path, number) for path, number, _ in issues]
            if one:
                ((note, line, key),) = issues
                who, items, theirs = "a rule", "this item", f"its Jira issue {key} is"
            else:
                keys = first_few([key for _, _, key in issues], 3)
                who, items, theirs = rule, f"{len(issues)} items", f"their Jira issues ({keys}) are"
            if what == "project":
                message = (
                    f"{who} now routes {items} to project {wanted}, but {theirs} in {now};"
                    " plansync does not move issues between projects and keeps syncing"
                    f" {'that one' if one else 'those'}"
                )
            else:
                message = (
                    f"{who} now makes {items} a {wanted}, but {theirs} a {now}; plansync does"
                    " not change an issue's type and keeps syncing"
                    f" {'it as it is' if one else 'them as they are'}"
                )
            self.plan.warn(message, note, line, also=also)

    def idle_rules(self, target: TargetSpec) -> list[tuple[str, Match]]:
        """The rules of ``target`` that match no item of the vault (:meth:`Routing.matching_none`),
        looked for once a target, and only where an item goes nowhere."""
        if target.name not in self._rules_idle:
            items = [item for note in self.vault.notes for item in note.items]
            self._rules_idle[target.name] = target.routing.matching_none(self.config, items)
        return self._rules_idle[target.name]

    def warn_idle_rules(self) -> None:
        """A warning for each rule that matches no item of the vault, where items synced before
        go to its target no more or accepted items go nowhere: a tag misspelled in its match
        made every item it took an orphan, each reported on its own, with nothing naming the
        rule. A rule that takes nothing while every item has somewhere to go (one for a tag no
        note uses yet) is no news."""
        for target in self.targets:
            lost = self._unrouted_now.get(target.name, 0)
            if not lost and not self.plan.unrouted:
                continue
            for where, match in self.idle_rules(target):
                what = []
                if lost:
                    what.append(
                        f"{counted(lost, 'item')} synced to {target.title} before"
                        f" {'goes' if lost == 1 else 'go'} there no more (left alone)"
                    )
                if unrouted := len(self.plan.unrouted):
                    go = "goes" if unrouted == 1 else "go"
                    what.append(f"{counted(unrouted, 'accepted item')} {go} nowhere")
                self.plan.warn(
                    f"{where} matches no item of the vault ({match_text(match)}), and"
                    f" {' and '.join(what)}: is a tag misspelled?"
                )

    def check_settings(self) -> None:
        """The config's values each backend this plan writes to would refuse (the plan fails,
        naming their keys, as for a project that is not there) or does not know (a warning
        each): asked only of the destinations a change writes to, once planned."""
        for target in self.targets:
            written = {
                change.sobject
                for change in self.plan.changes
                if change.target == target.name
                and change.action in ("create", "update", "transition")
            }
            if not written:
                continue
            problems = target.connector.setting_problems(written)
            refused = [str(problem) for problem in problems if problem.refused]
            if refused:
                raise ConfigError(
                    f"{self.config.where}: {'; '.join(refused)}", source=self.config.source
                )
            for problem in problems:
                self.plan.warn(str(problem))
