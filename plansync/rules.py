"""Which accepted items go where, and what a record should say: item fields -> record fields.

The output of this module is the *desired* state of each record, in the connector's field names,
computed from the note alone. The engine compares it with the last synced state and the remote
record; nothing here knows about either.
"""

from __future__ import annotations

import json
import secrets
import string
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar, overload
from urllib.parse import quote

from plansync.config import Config, JiraRule, Match, SalesforceRule
from plansync.display import field_value, quoted
from plansync.field_text import fitted, wiki_text
from plansync.notes.headings import heading_text
from plansync.notes.model import AcceptancePolicy, Item, Note
from plansync.notes.order import BLOCK_ID_PREFIX
from plansync.notes.wiki_links import shown_wiki_links
from plansync.placeholders import fill, placeholder_names
from plansync.words import IN_PROGRESS, status_word

_ALPHABET = string.ascii_lowercase + string.digits


def new_block_id(taken: set[str]) -> str:
    """A fresh item id, none of ``taken`` (the ids of the vault and the state store).

    Eight characters (36^8): ids must also not collide with another vault's in the same Jira
    project or Salesforce org, where nothing could check them.
    """
    while True:
        block_id = BLOCK_ID_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(8))
        if block_id not in taken:
            taken.add(block_id)
            return block_id


def label_for(block_id: str) -> str:
    """The Jira label that carries an item's id (a user's own block id gets the prefix)."""
    label = block_id.lower()
    return label if label.startswith(BLOCK_ID_PREFIX) else BLOCK_ID_PREFIX + label


def written_by_hand(block_id: str) -> bool:
    """Whether ``block_id`` is a user's own (``^todo1``), not one plansync drew: such an id is
    unique only within its note, as Obsidian needs, so another note or vault may use it too."""
    return not block_id.lower().startswith(BLOCK_ID_PREFIX)


def matches(match: Match, item: Item) -> bool:
    if item.kind not in match.kind:
        return False
    if not match.tags_any and not match.tags_none:  # most rules: asked of every item
        return True
    tags = [t.casefold() for t in item.tags]
    if match.tags_any and not _tagged(tags, match.tags_any):
        return False
    return not _tagged(tags, match.tags_none)


def match_text(match: Match) -> str:
    """``match`` as the config writes it (``kind = ["action"], tags_any = ["#tsak"]``), the
    lists it leaves empty left out."""
    given = {"kind": match.kind, "tags_any": match.tags_any, "tags_none": match.tags_none}
    return ", ".join(
        f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in given.items() if value
    )


def _tagged(tags: list[str], wanted: list[str]) -> bool:
    """Whether any of ``tags`` (casefolded) is one of ``wanted`` or nested under one, as
    Obsidian's tag search reads them: ``#personal/admin`` is a ``#personal`` tag."""
    for tag in wanted:
        tag = tag.casefold()
        if any(t == tag or t.startswith(tag + "/") for t in tags):
            return True
    return False


def note_linker(config: Config) -> Callable[[str, str], str]:
    """The link to an item's line in Obsidian, by note path and block id. Made once for the
    many items of a plan: the vault's folder is resolved once, not once an item (a tenth of
    the time of planning 40,000 items)."""
    vault = quote(config.vault.name or config.vault_root.name, safe="")
    template = config.vault.note_url

    def link(note_path: str, block_id: str) -> str:
        return template.format(
            vault=vault,
            file=quote(note_path.removesuffix(".md"), safe=""),
            block_id=quote(block_id, safe=""),
        )

    return link


def owner_name(owner: str, myself: str) -> str:
    """The person an item's ``owner`` stands for, ``myself`` being the config's setting: who
    ``@Myself`` is to [users] and the backends (a key of [users], which is a person's name, or
    an e-mail), and to a reader of a ticket, who cannot tell whose "Myself" it was. Any other
    owner is as written, as [users] maps it; so is ``@Myself`` with no ``myself`` to name."""
    return myself if owner == "Myself" and myself else owner


DATE_PLACEHOLDERS = frozenset({"due"})
"""The placeholders that show one of an item's dates (:meth:`Context.values`), named as the
date is in :attr:`Item.unreadable_dates`."""


def unread_dates_shown(template: str, item: Item) -> frozenset[str]:
    """The placeholders of ``template`` that show a date of ``item``'s that cannot be read
    (``📅 2025-12-41``): filled in, they are empty, and a field so rendered would lose the
    date its record shows (see :meth:`Routing.date_held`)."""
    unread = DATE_PLACEHOLDERS.intersection(item.unreadable_dates)
    return unread & placeholder_names(template) if unread else frozenset()


def only_dates(template: str) -> bool:
    """Whether ``template`` shows nothing but dates (``"{due}"``): such a field is the date
    itself, which the parse's warning of an unreadable date already says is not sent."""
    names = placeholder_names(template)
    return names <= DATE_PLACEHOLDERS and not fill(template, dict.fromkeys(names, "")).strip()


def note_title(note: Note) -> str:
    """A note's title as its records show it, in descriptions, fields and the issue's link back
    to it: as Obsidian shows it, with wiki links by their text (``# Planning with [[Dana]]``).
    A note the parser read always has a title; one built without (the library's callers) is
    named by its path."""
    return shown_wiki_links(note.title) if note.title else note.path


@dataclass(frozen=True)
class Context:
    """Everything a template may use, for one item in one note."""

    item: Item
    note: Note
    block_id: str
    link: str
    myself: str = ""
    """The config's ``myself``, whom ``{owner}`` names for ``@Myself`` (:func:`owner_name`)."""

    def values(self) -> dict[str, Any]:
        item, note = self.item, self.note
        return {
            "text": item.text,
            "details": detail_list(item.nested_details(), wiki_markup=False),
            "owner": owner_name(item.owner, self.myself) if item.owner else "",
            "due": item.due.isoformat() if item.due else "",
            "priority": item.priority,
            "tags": " ".join(item.tags),
            "block_id": self.block_id,
            "section": heading_text(item.section) if item.section else "",
            "note_title": note_title(note),
            "note_date": note.date.isoformat() if note.date else "",
            "note_path": note.path,
            "participants": ", ".join(map(shown_wiki_links, note.participants)),
            "link": self.link,
            # An Obsidian property often links the account's note: "[[Contoso]]".
            "account": shown_wiki_links(str(note.front_matter.get("account") or "")),
        }


def detail_list(details: list[tuple[str, int]], *, wiki_markup: bool) -> str:
    """A decision's details (:meth:`Item.nested_details`) as a bulleted list, one line each,
    nested as the note nests them: in Jira's wiki markup, where the details come
    escaped (see :func:`wiki_text`), a ``*`` bullet and one ``*`` more a level (``** why``);
    in plain text (Salesforce, a Jira API 3 description), a ``-`` bullet and two spaces more a
    level, as Markdown nests a list. A detail at depth 0 is ``* text`` or ``- text``, as a
    plansync that kept no depths wrote it, so a record of a decision without nested details
    renders unchanged.
    Empty for an item without details, so ``{details:?…}`` leaves out what a template puts
    around them."""
    if wiki_markup:
        return "\n".join(f"{'*' * (depth + 1)} {detail}" for detail, depth in details)
    return "\n".join(f"{'  ' * depth}- {detail}" for detail, depth in details)


def render(template: str, context: Context) -> str:
    return fill(template, context.values())


def jira_fields(
    rule: JiraRule, context: Context, assignee: str | None, *, wiki_markup: bool
) -> dict[str, Any]:
    """The Jira record this item should be, in the connector's field names; ``wiki_markup``:
    the description is sent as wiki markup (API 2), not as plain text (API 3).

    ``due`` is left out where the note's due date cannot be read (``📅 2025-12-41``,
    ``📅 TBD``): a field the record leaves out is not compared, so the issue keeps the date it
    has, and the base too, until the date is fixed; a new issue gets none. Sent as null, a
    one-key typo cleared the date in Jira and Salesforce at the next sync. A summary or
    description that shows such a date is rendered without it here, which a new issue needs;
    an issue that has one keeps its text (the planner leaves the field out:
    :meth:`Routing.date_held`).

    ``assignee`` is the owner's account; an item with no owner is unassigned (null), but one
    whose owner maps to no account (a typo, a person [users] lacks) leaves the field out, so the
    issue keeps the assignee it has, as a Salesforce record keeps its owner: sent as null, one
    mistyped name unassigned the issue."""
    item = context.item
    summary = fitted(" ".join(render(rule.summary, context).split()), 255)
    values = context.values()
    if wiki_markup:  # the values, not the template: its own link and emphasis stay markup
        # The link is a URL, its parts percent-encoded: a backslash would only break it.
        values |= {
            name: wiki_text(value)
            for name, value in values.items()
            if name not in ("link", "details")
        }
        # Each detail escaped on its own: a backslash ending one would escape the line break.
        values["details"] = detail_list(
            [(wiki_text(detail), depth) for detail, depth in item.nested_details()],
            wiki_markup=True,
        )
    fields: dict[str, Any] = {
        "project": rule.project,
        "issue_type": rule.issue_type,
        "summary": summary,
        "description": fill(rule.description, values),
        "labels": sorted({*rule.labels, label_for(context.block_id)}),
        "components": list(rule.components),
        "priority": rule.priority_map.get(item.priority),
    }
    if rule.sync_due and "due" not in item.unreadable_dates:
        fields["due"] = item.due.isoformat() if item.due else None
    if rule.sync_assignee and (assignee or not item.owner):
        fields["assignee"] = assignee
    return fields


def salesforce_fields(
    config: Config, rule: SalesforceRule, context: Context, owner: str | None, jira_key: str | None
) -> dict[str, Any]:
    """The Salesforce record this item should be, in the object's API field names.

    An empty rendering is sent as null (a date field must not receive ""); the Jira key and the
    link to the note line go into the configured fields, which is how the two systems link up.
    A field that shows a date the note has but that cannot be read (``📅 2025-12-41``) is left
    out, as Jira's ``due`` is (:func:`jira_fields`).
    """
    assert config.salesforce is not None
    values = context.values() | {"priority": rule.priority_map.get(context.item.priority) or ""}
    fields: dict[str, Any] = {
        name: (fill(template, values).strip() or None)
        for name, template in rule.fields.items()
        if not unread_dates_shown(template, context.item)
    }
    if fields.get("Name"):
        fields["Name"] = fitted(" ".join(str(fields["Name"]).split()), 80)
    sf = config.salesforce
    if sf.note_link_field:
        fields[sf.note_link_field] = context.link
    if sf.jira_key_field and jira_key is not None:
        fields[sf.jira_key_field] = jira_key
    if rule.owner_field and owner:
        fields[rule.owner_field] = owner
    return fields


RuleT = TypeVar("RuleT", JiraRule, SalesforceRule)
OwnerLookup = Callable[[], str | None]
"""The backend's account for the item's owner, looked up only when asked: a lookup may query the
backend and warns of an owner it cannot map, which a rule that assigns no one must not do."""


class Routing(ABC, Generic[RuleT]):
    """One backend's side of the config: which rule sends an item there and what its record
    says. The planner asks this, never the backend's name, so that the sync algorithm stays
    one piece and a backend's particulars stay here."""

    where: ClassVar[str]
    """The backend's rules in the config, as messages name them (``rules[0]``)."""

    @abstractmethod
    def rules(self, config: Config) -> Sequence[RuleT]: ...

    @abstractmethod
    def fields_for(
        self,
        config: Config,
        rule: RuleT,
        context: Context,
        owner: OwnerLookup,
        jira_key: str | None,
    ) -> dict[str, Any]:
        """The record ``rule`` makes of the item, in the connector's field names; ``jira_key``
        is the item's Jira issue, for a backend whose records carry it."""

    @abstractmethod
    def owner_field(self, rule: RuleT) -> str | None:
        """The field ``rule`` puts the owner's account in; None: it assigns no one."""

    @abstractmethod
    def templates(self, rule: RuleT) -> dict[str, str]:
        """The fields ``rule`` fills in from a template, by name, with their templates."""

    def date_held(self, config: Config, item: Item) -> dict[str, frozenset[str]]:
        """The fields of the item's record whose template shows a date of the item's that
        cannot be read (``📅 2025-12-41``), with the placeholders that show it: a record that
        has them keeps them as they are, not rewritten without the date (the planner leaves
        them out of its update), until the line gives a date."""
        rule = self.rule_for(config, item)
        if rule is None or not item.unreadable_dates:
            return {}
        shown = {name: unread_dates_shown(t, item) for name, t in self.templates(rule).items()}
        return {name: dates for name, dates in shown.items() if dates}

    def rule_for(self, config: Config, item: Item) -> RuleT | None:
        """The first rule that takes this item, or None (the item does not go there)."""
        return next((rule for rule in self.rules(config) if matches(rule.match, item)), None)

    def matching_none(self, config: Config, items: Sequence[Item]) -> list[tuple[str, Match]]:
        """The rules whose match takes none of ``items`` (the vault's), as messages name them
        (``rules[0]``), with their match: a tag misspelled in one sends nowhere every item it
        was for, and the plan must say why, not only that they go nowhere."""
        return [
            (f"{self.where}[{index}]", rule.match)
            for index, rule in enumerate(self.rules(config))
            if not any(matches(rule.match, item) for item in items)
        ]

    def rule_key(self, config: Config, item: Item) -> str:
        """Where the rule that takes ``item`` is in the config (``rules[0]``), for an error
        about what it makes; the list alone when none does."""
        rule = self.rule_for(config, item)
        rules = self.rules(config)
        index = next((i for i, candidate in enumerate(rules) if candidate is rule), None)
        return self.where if index is None else f"{self.where}[{index}]"

    def desired(
        self, config: Config, context: Context, owner: OwnerLookup, jira_key: str | None
    ) -> dict[str, Any] | None:
        """The record this item should be, or None when no rule sends it here."""
        rule = self.rule_for(config, context.item)
        return None if rule is None else self.fields_for(config, rule, context, owner, jira_key)

    def sobject(self, config: Config, item: Item) -> str | None:
        """The object a new record for the item is made in, for a backend that has several."""
        return None

    def nameless(self, config: Config, note: Note, item: Item) -> bool:
        """Whether the item's record would have no name, which the backend refuses at every
        sync once the item's id is written."""
        return False


class JiraRouting(Routing[JiraRule]):
    where = "rules"

    def rules(self, config: Config) -> Sequence[JiraRule]:
        return config.rules

    def fields_for(
        self,
        config: Config,
        rule: JiraRule,
        context: Context,
        owner: OwnerLookup,
        jira_key: str | None,
    ) -> dict[str, Any]:
        return jira_fields(
            rule,
            context,
            owner() if self.owner_field(rule) else None,
            wiki_markup=config.jira.api_version == "2",  # API 3 sends plain-text paragraphs
        )

    def owner_field(self, rule: JiraRule) -> str | None:
        return "assignee" if rule.sync_assignee else None

    def templates(self, rule: JiraRule) -> dict[str, str]:
        return {"summary": rule.summary, "description": rule.description}

    def nameless(self, config: Config, note: Note, item: Item) -> bool:
        """An item with only an owner, fields or tags (``- [ ] @Ann 📅 …``) has an empty summary
        under the default ``summary = "{text}"``; a template with words of its own names it."""
        rule = self.rule_for(config, item)
        return (
            rule is not None
            and not render(rule.summary, Context(item, note, "", "", config.myself)).strip()
        )


class SalesforceRouting(Routing[SalesforceRule]):
    where = "salesforce.rules"

    def rules(self, config: Config) -> Sequence[SalesforceRule]:
        return config.salesforce.rules if config.salesforce else []

    def fields_for(
        self,
        config: Config,
        rule: SalesforceRule,
        context: Context,
        owner: OwnerLookup,
        jira_key: str | None,
    ) -> dict[str, Any]:
        return salesforce_fields(
            config, rule, context, owner() if rule.owner_field else None, jira_key
        )

    def owner_field(self, rule: SalesforceRule) -> str | None:
        return rule.owner_field

    def templates(self, rule: SalesforceRule) -> dict[str, str]:
        return dict(rule.fields)

    def sobject(self, config: Config, item: Item) -> str | None:
        rule = self.rule_for(config, item)
        return rule.object if rule else None


CLOSED = ("done", "cancelled")
"""The closed states of :func:`status_category`."""


def status_category(item: Item, acceptance: AcceptancePolicy) -> str:
    """What the note says about progress, in Jira's words: new, indeterminate (``[/]``, in
    progress), done or cancelled (by the checkbox characters the config calls cancelled)."""
    if item.status in ("x", "X"):
        return "done"
    if item.status in acceptance.cancelled_statuses:
        return "cancelled"
    return IN_PROGRESS if item.status == "/" else "new"


STATUS_KEYS = frozenset({"new", IN_PROGRESS, *CLOSED, "reopen"})
"""plansync's words for a status and for a move, as a change keeps them; any other value a
transition's ``old`` holds is the backend's own, one its config names nowhere
(:attr:`~plansync.connectors.base.RemoteRecord.status_unnamed`)."""


def unnamed_status(value: str) -> str:
    """A status value the config names nowhere, as the plan says it: quoted, and said to be
    one plansync does not read, not called "in progress", which it may not be."""
    return f"{quoted(value)} (not in status_values or open_status_values)"


def status_shown(status: str | None) -> str:
    """A status in a change's line: plansync's word quoted (:func:`status_word`), or the
    backend's own value, said as :func:`unnamed_status`."""
    if status is None or status in STATUS_KEYS:
        return field_value(status if status is None else status_word(status))
    return unnamed_status(status)


@overload
def open_as_new(status: str) -> str: ...
@overload
def open_as_new(status: str | None) -> str | None: ...
def open_as_new(status: str | None) -> str | None:
    """``status`` with in progress read as open ("new"): what a target that moves records only
    between open and closed (Salesforce without an ``in_progress`` value) has of the note's
    ``[/]``, and what plansync stored for it before it moved Jira issues into In Progress."""
    return "new" if status == IN_PROGRESS else status
