"""A sequence of note edits, crashed syncs and full syncs always ends right (hypothesis).

A :class:`RuleBasedStateMachine` plays a reviewer and a flaky sync against one small vault
(three notes, 6–9 action items to start with, some proposed, some accepted) and one Jira
sandbox. The model is what the reviewer wrote: each note's items (text, checkbox, due date),
rendered to the exact bytes of the note as it would be without any sync. Rules: accept a
proposed item, move a due date, edit an item's text, mark an item done or open again, cancel
a synced item or check a cancelled one done or open, delete a key link by hand, add an
accepted item, copy a line (with its id and key, if it has them) after itself or into another
note, delete a line (``orphans = "cancel"``: its issue is
cancelled, once; a note is never emptied here), crash a sync at a random checkpoint (the Nth
time it is reached), sync with one request failing at the HTTP level, and sync fully. After
every full sync:

- the note's bytes, less the key links and block ids that syncs insert, are the model's bytes;
- every item parses to what the model says (text, status, due date), in order;
- exactly one issue per accepted item's id, its key written back into that item's line, its
  summary, due date and status ("To Do", "Done" or "Won't Do") as the note says, and no other
  issue in Jira but those of deleted lines;
- the issue of a line deleted once its key was in the note is done (cancelled, or done
  before), and no deleted line's issue was ever cancelled twice (the sandbox counts the
  transitions it made);
- a following plan has nothing to do (no changes, no conflicts, no orphans but deleted lines).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import shutil
import tempfile
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from conftest import IssuesByLabel, assert_nothing_to_do, sandbox_issues, session_connector
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule
from sync_marks import BLOCK_ID, CHECKPOINTS, JIRA_KEY_LINK, Crash, crash_at, strip_sync_marks

import plansync
from plansync.config import Config
from plansync.config_load import config_from_dict
from plansync.connectors.base import ConnectorError
from plansync.connectors.jira import JiraConnector
from plansync.connectors.salesforce import SalesforceConnector
from plansync.engine.result import Result
from plansync.engine.steps import journal
from plansync.rules import label_for
from plansync.sandbox.jira_app import JiraSandbox
from plansync.sandbox.salesforce_app import SalesforceSandbox
from plansync.sandbox.server import RunningServer, serve_in_thread
from plansync.sandbox.tls import LoopbackCertificate, make_loopback_certificate
from plansync.sync import scan

NOTES = 3
CANCEL_TRANSITION = "41"  # the sandbox's "Won't Do"
JIRA_STATUS = {" ": "To Do", "x": "Done", "-": "Won't Do"}  # the sandbox's, per checkbox
BASIC_AUTH = "Basic " + base64.b64encode(b"jason@example.com:token").decode()
TEXTS = (
    "Draft the rollout plan",
    "Review Priya’s quota proposal",
    "Send Contoso the “root cause” summary",
    "Benchmark rebuilds on the 24-node cluster",
    "Prüfe die Übergabe — Sev-1 matrix",
    "Publish the [[Tiering cost model]] notes",
)
DATES = st.dates(min_value=dt.date(2025, 11, 1), max_value=dt.date(2026, 3, 31))


def no_sleep(_: float) -> None:
    return None


@dataclass
class ModelItem:
    text: str
    status: str  # "?" proposed, " " accepted and open, "x" done, "-" cancelled (once synced)
    due: dt.date | None

    @property
    def accepted(self) -> bool:
        return self.status != "?"

    @property
    def parsed_text(self) -> str:
        """The text as the parser reads it: a wiki link reads as its target."""
        return self.text.replace("[[", "").replace("]]", "")

    def line(self) -> str:
        due = f" 📅 {self.due.isoformat()}" if self.due else ""
        return f"- [{self.status}] {self.text}{due} #task"


HEAD = "---\ntitle: Meeting {n}\ndate: 2025-11-0{n}\n---\n# Meeting {n}\n\n## Action Items\n\n"
TAIL = "\n## Decisions\n\n- Ship it on Friday.\n"


def render(n: int, items: list[ModelItem]) -> bytes:
    return (HEAD.format(n=n + 1) + "".join(i.line() + "\n" for i in items) + TAIL).encode()


def first_item_line(n: int) -> int:
    """0-based index of the first item's line in note ``n``."""
    return HEAD.format(n=n + 1).count("\n")


item_strategy = st.builds(
    ModelItem,
    text=st.sampled_from(TEXTS),
    status=st.sampled_from(["?", " ", " ", "x"]),
    due=st.none() | DATES,
)


class SyncMachine(RuleBasedStateMachine):
    def config_table(self) -> dict[str, Any]:
        """The config: Jira on the machine's sandbox, small batches, deleted lines cancelled."""
        return {
            "vault": {"path": "vault"},
            "jira": {
                "url": self.server.url,
                "user": "jason@example.com",
                "token": "token",
                "deployment": "cloud",
            },
            "rules": [{"project": "PLAN"}],
            "sync": {"batch_size": 3, "orphans": "cancel"},
        }

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="plansync-stateful-"))
        (self.root / "vault").mkdir()
        self.app = JiraSandbox(":memory:")
        self.server: RunningServer = serve_in_thread(self.app)
        self.config: Config = config_from_dict(
            self.config_table(), source=self.root / "plansync.toml"
        )
        self.notes: list[list[ModelItem]] = []
        self.counter = 0
        self.deleted: dict[str, bytes] = {}  # label of a deleted line's id -> that line
        self.reopened: set[str] = set()  # labels of deleted lines whose issue was reopened
        self.cancels: Counter[str] = Counter()  # issue key -> "Won't Do" of a deleted line
        do_transition = self.app._do_transition

        def transition(request: Any, issue_id_or_key: str) -> Any:
            response = do_transition(request, issue_id_or_key)
            issue = self.app._issue_or_404(issue_id_or_key)
            cancel = json.loads(request.body)["transition"]["id"] == CANCEL_TRANSITION
            if cancel and not self.on_a_line(issue.fields["labels"]):
                self.cancels[issue.key] += 1
            return response

        self.app._do_transition = transition  # type: ignore[method-assign]

    def teardown(self) -> None:
        self.server.stop()
        self.app.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # ---- the vault on disk -----------------------------------------------------------------

    def path(self, n: int) -> Path:
        return self.root / "vault" / f"2025-11-0{n + 1}-meeting.md"

    def unique(self, text: str) -> str:
        self.counter += 1
        return f"{text} no. {self.counter}"

    def edit_line(self, n: int, index: int, change: Callable[[bytes], bytes]) -> None:
        """Edit one item's line in the file as a user would (sync marks on it kept)."""
        lines = self.path(n).read_bytes().split(b"\n")
        at = first_item_line(n) + index
        new = change(lines[at])
        assert new != lines[at]
        lines[at] = new
        self.path(n).write_bytes(b"\n".join(lines))

    def on_a_line(self, labels: list[str]) -> bool:
        """Whether one of ``labels`` is the block id of a line in the notes: a record moved
        for its checkbox, not cancelled for a deleted line."""
        on_disk = b"\n".join(self.path(m).read_bytes() for m in range(NOTES))
        return any(
            re.search(rb" \^" + re.escape(label.encode()) + rb"[ \t]*\r?$", on_disk, re.M)
            for label in labels
        )

    def synced_alone(self, n: int, i: int) -> bool:
        """Whether item ``i`` of note ``n`` carries a key, and an id no other line has: synced
        as itself. Only such a line is cancelled here: a [-] line is not accepted, so one
        never synced (or a copy still carrying its original's id) is left as it is. The key
        is Jira's: a line with only its Salesforce key (its Jira create lost) has no issue
        yet, and a cancelled item gets none."""
        line = self.path(n).read_bytes().split(b"\n")[first_item_line(n) + i]
        found = BLOCK_ID.search(line)
        if found is None or not JIRA_KEY_LINK.search(line):
            return False
        on_disk = b"\n".join(self.path(m).read_bytes() for m in range(NOTES))
        return len(re.findall(re.escape(found[0]) + rb"[ \t]*\r?$", on_disk, re.M)) == 1

    def insert_line(self, n: int, index: int, line: bytes) -> None:
        lines = self.path(n).read_bytes().split(b"\n")
        lines.insert(first_item_line(n) + index, line)
        self.path(n).write_bytes(b"\n".join(lines))

    def where(self, predicate: Callable[[ModelItem], bool]) -> list[tuple[int, int]]:
        return [
            (n, i) for n, items in enumerate(self.notes) for i, item in enumerate(items)
            if predicate(item)
        ]  # fmt: skip

    def apply(self, **kwargs: Any) -> Result:
        """``plansync.apply`` with waits skipped: the connector's retry back-off and apply's
        waits for search lag (the sandbox has none here), so a failed create costs no 7 s."""
        connector = JiraConnector(
            self.server.url, "jason@example.com", "token", deployment="cloud", sleep=no_sleep
        )
        with mock.patch.object(journal.time, "sleep", no_sleep):
            return plansync.apply(self.config, connector=connector, **kwargs)

    # ---- rules ---------------------------------------------------------------------------

    @initialize(
        items=st.lists(st.lists(item_strategy, min_size=2, max_size=3), min_size=3, max_size=3)
    )
    def write_notes(self, items: list[list[ModelItem]]) -> None:
        for n, note in enumerate(items):
            for item in note:
                item.text = self.unique(item.text)
            self.notes.append(note)
            self.path(n).write_bytes(render(n, note))

    @precondition(lambda self: any(i.status == "?" for n in self.notes for i in n))
    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        n, i = data.draw(st.sampled_from(self.where(lambda item: item.status == "?")))
        self.edit_line(n, i, lambda line: line.replace(b"- [?]", b"- [ ]", 1))
        self.notes[n][i].status = " "

    @precondition(lambda self: any(i.due for n in self.notes for i in n))
    @rule(data=st.data(), due=DATES)
    def move_due_date(self, data: st.DataObject, due: dt.date) -> None:
        n, i = data.draw(st.sampled_from(self.where(lambda item: item.due is not None)))
        item = self.notes[n][i]
        if item.due == due:
            return
        old = f"📅 {item.due.isoformat()}".encode() if item.due else b""
        self.edit_line(n, i, lambda line: line.replace(old, f"📅 {due.isoformat()}".encode(), 1))
        item.due = due

    @precondition(lambda self: any(i.status == " " for n in self.notes for i in n))
    @rule(data=st.data())
    def mark_done(self, data: st.DataObject) -> None:
        n, i = data.draw(st.sampled_from(self.where(lambda item: item.status == " ")))
        self.edit_line(n, i, lambda line: line.replace(b"- [ ]", b"- [x]", 1))
        self.notes[n][i].status = "x"

    @precondition(lambda self: any(i.status == "x" for n in self.notes for i in n))
    @rule(data=st.data())
    def reopen(self, data: st.DataObject) -> None:
        n, i = data.draw(st.sampled_from(self.where(lambda item: item.status == "x")))
        self.edit_line(n, i, lambda line: line.replace(b"- [x]", b"- [ ]", 1))
        self.notes[n][i].status = " "

    def cancellable(self) -> list[tuple[int, int]]:
        """Open or done items synced as themselves (see :meth:`synced_alone`)."""
        found = self.where(lambda item: item.status in " x")
        return [(n, i) for n, i in found if self.synced_alone(n, i)]

    @precondition(lambda self: bool(self.cancellable()))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        """Cancel an open or done item that was synced."""
        n, i = data.draw(st.sampled_from(self.cancellable()))
        was = self.notes[n][i].status
        self.edit_line(n, i, lambda line: line.replace(f"- [{was}]".encode(), b"- [-]", 1))
        self.notes[n][i].status = "-"

    @precondition(lambda self: any(i.status == "-" for n in self.notes for i in n))
    @rule(data=st.data(), to=st.sampled_from(["x", " "]))
    def uncancel(self, data: st.DataObject, to: str) -> None:
        """Check a cancelled item done (its closed issue moves from Won't Do to Done), or
        open it again."""
        n, i = data.draw(st.sampled_from(self.where(lambda item: item.status == "-")))
        self.edit_line(n, i, lambda line: line.replace(b"- [-]", f"- [{to}]".encode(), 1))
        self.notes[n][i].status = to

    @rule(data=st.data())
    def edit_text(self, data: st.DataObject) -> None:
        n, i = data.draw(st.sampled_from(self.where(lambda item: True)))
        item = self.notes[n][i]
        new = f"{item.text} (revised)"
        self.edit_line(n, i, lambda line: line.replace(item.text.encode(), new.encode(), 1))
        item.text = new

    @precondition(lambda self: any(i.accepted for n in self.notes for i in n))
    @rule(data=st.data())
    def delete_key_link(self, data: st.DataObject) -> None:
        """Delete the key link from a line by hand (a no-op before its first sync)."""
        n, i = data.draw(st.sampled_from(self.where(lambda item: item.accepted)))
        lines = self.path(n).read_bytes().split(b"\n")
        at = first_item_line(n) + i
        lines[at] = JIRA_KEY_LINK.sub(b"", lines[at])
        self.path(n).write_bytes(b"\n".join(lines))

    @rule(n=st.integers(0, NOTES - 1), text=st.sampled_from(TEXTS), due=st.none() | DATES)
    def add_item(self, n: int, text: str, due: dt.date | None) -> None:
        item = ModelItem(self.unique(text), " ", due)
        self.insert_line(n, len(self.notes[n]), item.line().encode())
        self.notes[n].append(item)

    @precondition(lambda self: any(len(items) > 1 for items in self.notes))
    @rule(data=st.data())
    def delete_line(self, data: st.DataObject) -> None:
        """Delete a line as it is on disk (never a note's last item: an emptied note closes
        nothing, and is tested on its own). Its id is deleted with it unless another line
        (a copy) holds it too."""
        n, i = data.draw(st.sampled_from(self.where(lambda item: len(self.notes_of(item)) > 1)))
        lines = self.path(n).read_bytes().split(b"\n")
        at = first_item_line(n) + i
        line = lines.pop(at)
        self.path(n).write_bytes(b"\n".join(lines))
        del self.notes[n][i]
        found = BLOCK_ID.search(line)
        if found is None:
            return
        block_id = found[0].strip()
        on_disk = b"\n".join(self.path(m).read_bytes() for m in range(NOTES))
        if not re.search(re.escape(block_id) + rb"[ \t]*\r?$", on_disk, re.M):
            label = block_id[1:].decode()
            self.deleted[label] = line

    @precondition(lambda self: bool(self.deleted))
    @rule(data=st.data())
    def reopen_in_jira(self, data: st.DataObject) -> None:
        """Someone reopens the closed issue of a deleted line in Jira: no sync cancels it again
        (the count of cancels says so)."""
        label = data.draw(st.sampled_from(sorted(self.deleted)))
        issue = next((i for i in self.issues() if label in i["fields"]["labels"]), None)
        if issue is None or issue["fields"]["status"]["statusCategory"]["key"] != "done":
            return
        request = urllib.request.Request(
            f"{self.server.url}/rest/api/2/issue/{issue['key']}/transitions",
            data=json.dumps({"transition": {"id": "11"}}).encode(),
            headers={"Content-Type": "application/json", "Authorization": BASIC_AUTH},
            method="POST",
        )
        urllib.request.urlopen(request, timeout=30).close()
        self.reopened.add(label)

    def notes_of(self, item: ModelItem) -> list[ModelItem]:
        return next(items for items in self.notes if any(i is item for i in items))

    @precondition(lambda self: any(i.status != "-" for n in self.notes for i in n))
    @rule(data=st.data(), into=st.integers(0, NOTES - 1))
    def copy_line(self, data: st.DataObject, into: int) -> None:
        """Copy a line as it is on disk (id and key included) after itself or into a note; not
        a cancelled one (not accepted, the copy would keep its original's id)."""
        n, i = data.draw(st.sampled_from(self.where(lambda item: item.status != "-")))
        line = self.path(n).read_bytes().split(b"\n")[first_item_line(n) + i]
        copy = ModelItem(self.notes[n][i].text, self.notes[n][i].status, self.notes[n][i].due)
        at = i + 1 if into == n else len(self.notes[into])
        self.insert_line(into, at, line)
        self.notes[into].insert(at, copy)

    @rule(step=st.sampled_from(CHECKPOINTS), nth=st.integers(1, 2))
    def crash_a_sync(self, step: str, nth: int) -> None:
        try:
            result = self.apply(checkpoint=crash_at(step, nth))
        except Crash:
            return
        assert result.ok, result.errors  # the step was not reached: a full sync
        self.check()

    @rule(
        fault=st.sampled_from(
            [{"drop": "after_commit"}, {"drop": "before_commit"}, {"status": 500}]
        ),
        request=st.sampled_from(
            [
                ("POST", "issue/bulk"),
                ("POST", "remotelink"),
                ("POST", "transitions"),
                ("POST", "search"),
                ("PUT", "issue/"),
            ]
        ),
    )
    def sync_with_a_fault(self, fault: dict[str, Any], request: tuple[str, str]) -> None:
        """One request fails (its answer lost after Jira did it, or before, or a 500)."""
        self.app.configure_faults(
            {"fail_next": [{**fault, "method": request[0], "path_contains": request[1]}]}
        )
        try:
            self.apply()
        except ConnectorError:
            pass  # failed while planning
        finally:
            self.app.configure_faults({"clear": True})

    @rule()
    def sync(self) -> None:
        result = self.apply()
        assert result.ok, result.errors
        self.check()

    # ---- the invariant ---------------------------------------------------------------------

    key_targets: tuple[str, ...] = ("jira",)

    def plan(self) -> Any:
        return plansync.plan(self.config)

    def strip(self, data: bytes) -> bytes:
        return strip_sync_marks(data)

    def issues(self) -> list[dict[str, Any]]:
        return sandbox_issues(self.server.url)

    def check(self) -> None:
        issues = IssuesByLabel(self.issues())
        assert all(n == 1 for n in issues.count.values()), issues.count
        assert all(n == 1 for n in self.cancels.values()), f"cancelled twice: {self.cancels}"
        parsed = {note.path: note for note in scan(self.config).notes}
        for n, model in enumerate(self.notes):
            data = self.path(n).read_bytes()
            assert self.strip(data) == render(n, model), f"note {n} damaged"
            note = parsed[self.path(n).name]
            actions = [i for i in note.items if i.kind == "action"]
            assert len(actions) == len(model)
            for want, item in zip(model, actions, strict=True):
                where = f"{note.path}:{item.line}"
                assert (item.text, item.status, item.due) == (
                    want.parsed_text,
                    want.status,
                    want.due,
                )
                if not want.accepted:
                    assert item.block_id is None and not item.keys, where
                    continue
                issue = issues.issue_of(item, where)
                assert set(item.keys) == set(self.key_targets), where
                fields = issue["fields"]
                assert fields["summary"] == want.parsed_text, where
                assert fields["duedate"] == (want.due.isoformat() if want.due else None), where
                assert fields["status"]["name"] == JIRA_STATUS[want.status], where
        accepted = issues.claimed
        assert issues.unclaimed() <= set(self.deleted), sorted(issues.unclaimed())
        for label, line in self.deleted.items():
            issue = issues.by_label.get(label)
            # Its key was in the note: the state knew it, and it is not reopened by hand.
            if JIRA_KEY_LINK.search(line) and label not in accepted | self.reopened:
                assert issue is not None, label
                category = issue["fields"]["status"]["statusCategory"]["key"]
                assert category == "done", f"{issue['key']} of deleted {label} is {category}"
        again = self.plan()
        assert_nothing_to_do(again)
        orphans = {c.item.block_id for c in again.changes if c.action == "orphan"}
        assert {label_for(b or "") for b in orphans} <= set(self.deleted) - accepted, orphans


def examples(max_examples: int) -> settings:
    """How many runs of a machine, of eight steps each, with no deadline (a sync is slow)."""
    return settings(
        max_examples=max_examples,
        stateful_step_count=8,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


SyncMachine.TestCase.settings = examples(12)
test_sync_state_machine = SyncMachine.TestCase


# ---- the same, with every accepted item also a Salesforce record whose status it moves -------

SF_KEY_LINK = re.compile(rb" \[a0\d[0-9A-Za-z]{15}\]\(https?://[^)\s]*\)")
SF_STATUS = {" ": {None, "New"}, "x": {"Done"}, "-": {"Cancelled"}}
_TLS: list[LoopbackCertificate] = []


def loopback_tls() -> LoopbackCertificate:
    """One throwaway certificate for every example (making one per example costs time)."""
    if not _TLS:
        _TLS.append(make_loopback_certificate(Path(tempfile.mkdtemp(prefix="plansync-tls-"))))
    return _TLS[0]


class SalesforceSyncMachine(SyncMachine):
    """Every accepted item is a Jira issue and a Feature__c record too (cross-linked), with
    ``status_field``: checking and unchecking an item moves the record's status, a deleted
    line cancels it. The invariant adds: one record per accepted item's id, its Id written
    back, its Jira key, its status where the checkbox says; a deleted keyed line's record
    closed; no record set to "Cancelled" twice (the sandbox counts what it committed)."""

    def config_table(self) -> dict[str, Any]:
        """Every action also a Feature__c record, whose status field the checkbox moves."""
        return {
            **super().config_table(),
            "salesforce": {
                "status_field": "Status__c",
                "rules": [{"name": "all", "object": "Feature__c", "match": {"kind": ["action"]}}],
            },
        }

    def __init__(self) -> None:
        super().__init__()
        tls = loopback_tls()
        self.sf_app = SalesforceSandbox(":memory:")
        self.sf_server = serve_in_thread(self.sf_app, ssl_context=tls.server_context())
        self.session = tls.client_session()
        self.sf_moves: dict[str, list[str]] = {}
        update_collection = self.sf_app._update_collection

        def update(request: Any) -> Any:
            response = update_collection(request)
            sent = json.loads(request.body)["records"]
            for record, outcome in zip(sent, response.body, strict=True):
                if outcome.get("success") and "Status__c" in record:
                    record_id = record.get("Id") or record["id"]
                    moves = self.sf_moves.setdefault(record_id, [])
                    stored = self.sf_app._store.record(record_id)
                    labels = [stored[1]["Plansync_Id__c"]] if stored else []
                    if record["Status__c"] == "Cancelled" and self.on_a_line(labels):
                        continue  # moved for its checkbox: only a deleted line's are counted
                    if not moves or moves[-1] != record["Status__c"]:  # a resend by Id
                        moves.append(record["Status__c"])
            return response

        self.sf_app._update_collection = update  # type: ignore[method-assign]

    def teardown(self) -> None:
        self.sf_server.stop()
        self.sf_app.close()
        self.session.close()
        super().teardown()

    def salesforce(self) -> SalesforceConnector:
        return session_connector(self.config, self.sf_server.url, self.session, sleep=no_sleep)

    def apply(self, **kwargs: Any) -> Result:
        return super().apply(salesforce=self.salesforce(), **kwargs)

    def plan(self) -> Any:
        return plansync.plan(self.config, salesforce=self.salesforce())

    def strip(self, data: bytes) -> bytes:
        return strip_sync_marks(SF_KEY_LINK.sub(b"", data))

    key_targets = ("jira", "salesforce")

    @rule(
        fault=st.sampled_from(
            [{"drop": "after_commit"}, {"drop": "before_commit"}, {"status": 500}]
        ),
        method=st.sampled_from(["PATCH", "GET"]),
    )
    def sync_with_a_salesforce_fault(self, fault: dict[str, Any], method: str) -> None:
        """One Salesforce request fails: an upsert or a status update (PATCH), or a query."""
        where = "/composite/sobjects" if method == "PATCH" else "/query"
        self.sf_app.configure_faults(
            {"fail_next": [{**fault, "method": method, "path_contains": where}]}
        )
        try:
            self.apply()
        except ConnectorError:
            pass  # failed while planning
        finally:
            self.sf_app.configure_faults({"clear": True})

    def check(self) -> None:
        super().check()
        answer = self.session.get(f"{self.sf_server.url}/_sandbox/records", timeout=30)
        answer.raise_for_status()
        rows = [r for r in answer.json().get("Feature__c", []) if not r.get("IsDeleted")]
        per_id = Counter(r["Plansync_Id__c"] for r in rows)
        assert all(n == 1 for n in per_id.values()), per_id
        by_id = {r["Plansync_Id__c"]: r for r in rows}
        issues = {ps: i for i in self.issues() for ps in i["fields"]["labels"] if ps[:3] == "ps-"}
        assert all(m.count("Cancelled") <= 1 for m in self.sf_moves.values()), self.sf_moves
        accepted = set()
        for note in scan(self.config).notes:
            for item in note.items:
                if item.kind != "action" or not (item.accepted or item.status == "-"):
                    continue  # a [-] line here is one synced before it was cancelled
                label = label_for(item.block_id or "")
                accepted.add(label)
                record = by_id[label]
                assert item.keys.get("salesforce") == record["Id"], (label, item.keys)
                assert record["Jira_Key__c"] == issues[label]["key"], label
                assert record.get("Status__c") in SF_STATUS[item.status], (label, record)
        assert set(by_id) - accepted <= set(self.deleted), sorted(set(by_id) - accepted)
        for label, line in self.deleted.items():
            if SF_KEY_LINK.search(line) and label not in accepted:
                status = by_id[label].get("Status__c")
                assert status in ("Cancelled", "Done"), (label, status)


SalesforceSyncMachine.TestCase.settings = examples(6)
test_sync_to_salesforce_state_machine = SalesforceSyncMachine.TestCase
