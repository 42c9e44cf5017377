"""Apply's remote links: each Jira issue gets a link to its note line (or to the Salesforce
record of the same item), upserted by a global id so that sending one again changes nothing;
what was sent is stored as the base the next plan compares with."""

from __future__ import annotations

from functools import partial
from typing import Any

from plansync.connectors.base import Link, OpResult
from plansync.engine.changes import KNOWN_AFTER_CREATE, Change
from plansync.engine.steps.answers import settle, settle_each
from plansync.engine.steps.run import Run
from plansync.progress import reported_batches


def send_links(run: Run, target: str, changes: list[Change]) -> None:
    """Upsert the remote links of ``changes`` in ``target``, a batch at a time."""
    ready: list[tuple[Change, Link]] = []
    for change in changes:
        key = run.key_unless_blocked(change)
        url = _new(change.fields["url"])
        if url == KNOWN_AFTER_CREATE:  # the Salesforce record made in this run
            known = run.known_key_url(change.item.block_id or "", "salesforce")
            url = known[1] if known else None
        if key is None or not url:
            continue
        global_id = (
            change.global_id
            or change.fields.get("global_id")  # where plans saved by earlier versions kept it
            or f"plansync:{change.item.block_id}"
        )
        title = _new(change.fields["title"])
        ready.append((change, Link(key, global_id, url, title, change.item.text)))

    def settle_link(pair: tuple[Change, Link], outcome: OpResult) -> None:
        change, link = pair
        # What was sent, for the next plan to compare with (cross_links.CrossLinks._link_sent).
        base_field = change.base_field or change.fields.get("base_field") or "link"
        sent = {base_field: _linked(run, change, link), f"{base_field}_title": link.title}
        settle(run, change, outcome, sent)

    for batch in reported_batches(run.progress, f"link in {target}", ready, run.batch_size(target)):
        links = [link for _, link in batch]
        send = partial(run.connectors[target].upsert_links, links)
        settle_each(run, target, batch, send, settle_link)


def _linked(run: Run, change: Change, link: Link) -> str:
    """What the state keeps of a link: the record it points to when it has one (a
    Salesforce record, by Id), else the URL (the note line)."""
    record = _new(change.fields.get("record"))
    if record == KNOWN_AFTER_CREATE:
        known = run.known_key_url(change.item.block_id or "", "salesforce")
        record = known[0] if known else None
    return record or link.url


def _new(value: Any) -> Any:
    return value["new"] if isinstance(value, dict) and "new" in value else value
