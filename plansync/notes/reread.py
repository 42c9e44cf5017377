"""An item's line read again by the planner, which knows the item's records: which links on
it are its keys, and its text and owner with the others left in (``reread_keys``,
``read_up_to_keys``).

Apart from the parser: the note reader knows no records and reads the last link to each
target as a key; this second reading runs from the identity step, on one line at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from plansync.notes.item_text import item_text
from plansync.notes.links import KeyLink, closing_key_links, ticket_links
from plansync.notes.mentions import OwnerNames, owner_names
from plansync.notes.model import AcceptancePolicy, Item
from plansync.notes.order import in_order
from plansync.notes.signifiers import repair
from plansync.notes.tasks import LIST_LINE, parse_body, parse_task_line


def reread_keys(
    item: Item,
    line: str,
    keys: dict[str, str],
    policy: AcceptancePolicy,
    closing: Callable[[KeyLink], bool] | None = None,
    *,
    keys_stay: bool = True,
) -> Item:
    """``item`` as read from its ``line`` by one who knows its records: ``keys`` (target: key)
    are its keys wherever their links stand, and for other targets only a link closing the
    text that ``closing`` takes (None: any) is a key. A link to a record the item is not
    synced to is the user's ("… for [Contoso](…/lightning/r/Account/…/view)"): its label stays
    in the text.

    The parser reads the last link to each target as the key: it cannot tell a ticket the text
    mentions ("Follow up on [CLOUD-7](…) with Dana @Myself", a new item) from the key of a
    synced line with words written after it since (the Tasks plugin's edit box puts the cursor
    there), or with a link to another ticket after it ("blocked by [CLOUD-3](…)"). The planner
    can, and calls this. ``keys_stay`` as for :func:`item_text`.
    """
    read = _links_of(line)
    if read is None:
        return item
    core, closing_links, everywhere = read
    links = {
        target: link for target, link in closing_links.items() if closing is None or closing(link)
    }
    for target, key in keys.items():
        if named := everywhere.get((target, key)):
            links[target] = named
    text, owner = item_text(
        core, links, _hidden_filter(policy, item), keys_stay=keys_stay, names=_owner_names(policy)
    )
    keyed = {target: link.key for target, link in links.items()}
    if (text, owner, keyed) == (item.text, item.owner, item.keys):
        return item
    return item.model_copy(update={"text": text, "owner": owner, "keys": keyed})


def read_up_to_keys(
    item: Item, line: str, keys: dict[str, str], policy: AcceptancePolicy
) -> Item | None:
    """``item`` as its ``line`` reads before its first key link (``keys``: target: key), what
    was written after it left out; None when the line does not link to each of the keys.

    A line that lost its id and had words, or a link to another ticket, written after or
    between its keys in the same edit is found by what it said when it was synced: the words
    before them.
    """
    read = _links_of(line)
    if read is None:
        return None
    core, _, everywhere = read
    starts = [
        everywhere[target, key].start for target, key in keys.items() if (target, key) in everywhere
    ]
    if not starts or len(starts) != len(keys):
        return None
    text, owner = item_text(
        core[: min(starts)], None, _hidden_filter(policy, item), names=_owner_names(policy)
    )
    return item.model_copy(update={"text": text, "owner": owner, "keys": dict(keys)})


def _owner_names(policy: AcceptancePolicy) -> OwnerNames | None:
    """The owners ``policy`` has read whole (:func:`owner_names`); None: none but as the rule
    reads them."""
    return owner_names(policy.owner_names) if policy.owner_names else None


def _hidden_filter(policy: AcceptancePolicy, item: Item) -> str:
    """The global filter to leave out of ``item``'s text (empty: none): only a task's."""
    return policy.global_filter if policy.remove_global_filter and item.kind == "action" else ""


@lru_cache(maxsize=1024)
def _links_of(
    line: str,
) -> tuple[str, dict[str, KeyLink], dict[tuple[str, str], KeyLink]] | None:
    """(description, its closing key links, every ticket link by target and key) of an item's
    line; cached, as the planner tries a line with many links once a link (read-only)."""
    text = repair(line).text
    if reordered := in_order(text):
        text = reordered.line
    task = parse_task_line(text)
    if task is not None:
        core = task.body.core
    elif listed := LIST_LINE.match(text):
        core = parse_body(listed.group(3)).core
    else:
        return None
    everywhere = {(link.target, link.key): link for link in ticket_links(core)}
    return core, closing_key_links(core), everywhere
