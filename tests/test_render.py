"""The text plan: what a reviewer reads before anything touches Jira."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from plansync.callers import CommandLine
from plansync.config import Config
from plansync.config_load import config_from_dict
from plansync.display import field_value
from plansync.engine.changes import Change, DeadCreate, ItemRef, KeptRecord, Plan, PlanWarning
from plansync.engine.render import (
    ALIKE_SHOWN,
    RenderedResult,
    left_for_a_person,
    render_plan,
    render_result,
    summary_line,
)
from plansync.engine.result import ItemError, Outcome, Result

DESCRIPTION = (
    "Publish the revised tiering cost model to the cloud-program channel\n\n"
    "From the meeting [Weekly sync|obsidian://open?vault=v&file={file}%23%5Eps-1] on 2025-11-03.\n"
    "Owner: Jason"
)


def test_an_update_of_a_long_text_shows_the_lines_that_differ() -> None:
    old, new = DESCRIPTION.format(file="weekly"), DESCRIPTION.format(file="sub%2Fweekly")
    change = Change(
        action="update",
        target="jira",
        item=ItemRef(note="sub/weekly.md", line=3, block_id="ps-1", text="Publish"),
        key="PLAN-1",
        fields={
            "description": {"old": old, "new": new},
            "due": {"old": None, "new": "2025-11-07"},
            "title": {"old": "Weekly sync", "new": "Weekly sync"},
        },
    )
    text = render_plan(Plan(changes=[change], summary={"update": 1}))
    assert "file=weekly%23" in text and "file=sub%2Fweekly%23" in text
    assert "      - From the meeting [Weekly sync|obsidian://open?vault=v&file=weekly" in text
    assert "      + From the meeting [Weekly sync|obsidian://open?vault=v&file=sub%2Fweekly" in text
    assert "Publish the revised" not in text.split("description:")[1]  # unchanged lines left out
    assert '    due: (none) -> "2025-11-07"' in text
    assert "title:" not in text  # unchanged: no "Weekly sync" -> "Weekly sync" line


def test_a_difference_far_along_a_long_line_is_shown() -> None:
    """A note title of some length puts the changed link past any fixed width."""
    title = "Quarterly planning with the platform, data and security teams"
    old = f"x\n\nFrom the meeting [{title}|obsidian://open?vault=Meetings&file=q4%23%5Eps-1] on 1."
    new = old.replace("file=q4", "file=Archive%2Fq4")
    change = Change(
        action="update",
        target="jira",
        item=ItemRef(note="q4.md", line=3, block_id="ps-1", text="x"),
        key="PLAN-1",
        fields={"description": {"old": old, "new": new}},
    )
    lines = render_plan(Plan(changes=[change], summary={"update": 1})).splitlines()
    removed = next(line for line in lines if line.startswith("      - "))
    added = next(line for line in lines if line.startswith("      + "))
    assert "file=q4%23" in removed and "file=Archive%2Fq4%23" in added
    assert removed.startswith("      - …") and len(removed) <= len("      - ") + 102


def test_control_characters_from_a_note_are_shown_escaped_not_sent_to_the_terminal() -> None:
    """Backspaces, an erase-line sequence or a right-to-left override in an item would make a
    reviewer read another text than the one a sync sends."""
    text = "Pay \x1b[2Kthe\b\b\b invoice\x07 \u202egnp.exe"
    change = Change(
        action="create",
        target="jira",
        item=ItemRef(note="in\x1b]0;x\x07box.md", line=3, block_id="ps-1", text=text),
        fields={"summary": text, "description": f"{text}\nline two"},
    )
    plan = Plan(changes=[change], summary={"create": 1}, warnings=[f"in.md:3: {text}"])
    out = render_plan(plan)
    assert not any(c in out for c in "\x1b\b\x07\u202e")
    assert "Pay \\x1b[2Kthe\\x08\\x08\\x08 invoice\\x07 \\u202egnp.exe" in out
    assert "in\\x1b]0;x\\x07box.md:3" in out


def test_a_long_item_text_in_a_heading_is_cut_with_an_ellipsis() -> None:
    """Cut bare at 60 characters, "Publish the revised tiering cost model to the cloud-program "
    read as the item's whole text."""
    text = "Publish the revised tiering cost model to the cloud-program channel"
    change = Change(
        action="create",
        target="jira",
        item=ItemRef(note="n.md", line=3, block_id="ps-1", text=text),
    )
    heading = render_plan(Plan(changes=[change], summary={"create": 1})).splitlines()[0]
    assert heading.endswith('  "Publish the revised tiering cost model to the cloud-program…"')
    short = change.model_copy(update={"item": change.item.model_copy(update={"text": "Short"})})
    assert render_plan(Plan(changes=[short])).splitlines()[0].endswith('  "Short"')


def test_ids_a_dead_sync_left_unfound_are_said_before_no_changes() -> None:
    """A sync then looks them up once more and waits for search: the plan says so, rather than
    "No changes" followed by a silent wait."""
    plan = Plan(
        dead_creates=[
            DeadCreate(block_id="ps-1", target="jira", note="weekly.md"),
            DeadCreate(block_id="ps-2", target="jira", note="weekly.md"),
            DeadCreate(block_id="ps-3", target="jira", note="weekly.md", key="PLAN-3"),
        ]
    )
    lines = render_plan(plan).splitlines()
    assert lines[0].startswith(
        "2 ids that a sync cut short was creating in Jira have no record there yet"
        " (^ps-1 (weekly.md), ^ps-2 (weekly.md)): "
    )
    assert lines[0].endswith(" then forgets them.")
    one = render_plan(Plan(dead_creates=[DeadCreate(block_id="ps-9", target="salesforce")]))
    assert one.splitlines()[0].startswith(
        "1 id that a sync cut short was creating in Salesforce has no record there yet (^ps-9):"
    )
    assert lines[-1].startswith("No changes.")
    # The JSON names them too (the one found, PLAN-3, is no longer pending).
    assert plan.to_contract()["unfound"] == [
        {"target": "jira", "block_id": "ps-1", "note": "weekly.md"},
        {"target": "jira", "block_id": "ps-2", "note": "weekly.md"},
    ]


def test_a_link_that_replaces_one_reads_as_a_change_a_new_one_as_an_addition() -> None:
    """A link whose title changed rendered "+ jira link", as if a second link were added."""
    item = ItemRef(note="weekly.md", line=3, block_id="ps-1", text="Publish")
    changed = Change(
        action="link",
        target="jira",
        item=item,
        key="PLAN-1",
        fields={"title": {"old": "Salesforce: Publish", "new": "Salesforce: Publish it"}},
    )
    new = Change(action="link", target="jira", item=item, key="PLAN-1", fields={"url": "u"})
    text = render_plan(Plan(changes=[changed, new], summary={"link": 2}))
    assert text.startswith("~ jira link PLAN-1  weekly.md:3")
    assert "\n+ jira link PLAN-1  weekly.md:3" in text


def test_the_summary_line_counts_one_conflict_and_two_orphans_in_words_that_agree() -> None:
    summary = {"create": 1, "conflict": 1, "orphan": 2}
    line = summary_line(Plan(summary=summary))
    assert line.endswith("; 1 conflict, 2 orphans.")
    assert summary_line(Plan(summary={"orphan": 1})).endswith("; 0 conflicts, 1 orphan.")


def missing(key: str, line: int) -> Change:
    """The conflict of a record the state store tracks but the backend returns none of."""
    return Change(
        action="conflict",
        target="jira",
        item=ItemRef(note="a.md", line=line, block_id=f"ps-{line}", text="x"),
        key=key,
        message=f"{key} is in the state store but Jira returns no record with ps-{line}",
        record_missing=True,
    )


def test_records_missing_from_a_real_jira_get_one_hint_without_the_sandbox() -> None:
    """Said once under the plan, not once an item; a Jira elsewhere is no sandbox to serve."""
    config = Config.model_validate(
        {"vault": {"path": "vault"}, "jira": {"url": "https://example.atlassian.net"}}
    )
    text = render_plan(Plan(changes=[missing(f"PLAN-{n}", n) for n in range(1, 6)]), config)
    (hint,) = [line for line in text.splitlines() if "the state store tracks" in line]
    assert hint.startswith("5 records the state store tracks are not in Jira (PLAN-1, PLAN-2,")
    assert "If jira.url (JIRA_URL) changed, set it back." in hint
    assert "sandbox serve" not in hint
    assert f"delete {config.state_dir / 'state.db'}" in hint
    one = render_plan(Plan(changes=[missing("PLAN-7", 7)]), config)
    assert "1 record the state store tracks is not in Jira (PLAN-7)" in one
    assert "take its key link off its line" in one and "makes it anew" in one


def test_lines_naming_keys_no_record_or_state_stands_for_get_one_hint_per_backend() -> None:
    """A lost state store (or another Jira) left each line naming its key a conflict that
    said only so: the plan says once what points at the records again or starts over, in
    the caller's words (a library caller applies; a real Jira is no sandbox to serve)."""
    config = Config.model_validate(
        {"vault": {"path": "vault"}, "jira": {"url": "https://example.atlassian.net"}}
    )
    unmatched = [
        Change(
            action="conflict",
            target="jira",
            item=ItemRef(note="a.md", line=n, block_id=f"ps-{n}", text="x"),
            key=f"PLAN-{n}",
            message=f"the note names PLAN-{n}, but no Jira record carries ps-{n}",
            key_unmatched=True,
        )
        for n in (1, 2)
    ]
    text = render_plan(Plan(changes=[*unmatched, missing("PLAN-9", 9)]), config)
    (hint,) = [line for line in text.splitlines() if "To start over" in line]
    assert hint.startswith("2 lines name a Jira key (PLAN-1, PLAN-2) that no Jira record")
    assert "If jira.url (JIRA_URL) changed, set it back." in hint
    assert "sandbox" not in hint
    assert hint.endswith("`plansync.apply(config)` then makes them anew.")
    assert "1 record the state store tracks is not in Jira (PLAN-9)" in text
    embedded = Config.model_validate({"vault": {"path": "vault"}})
    (one,) = [
        line
        for line in render_plan(Plan(changes=unmatched[:1]), embedded).splitlines()
        if "To start over" in line
    ]
    assert one.startswith("1 line names a Jira key (PLAN-1) that no Jira record with its id")
    assert f"(or with all of {embedded.state_dir}), it is gone unless" in one


def summary_update(text: str) -> Plan:
    """A plan of one update, the summary "pipe" to ``text``, of an item reading ``text``."""
    change = Change(
        action="update",
        target="jira",
        item=ItemRef(note="n.md", line=3, block_id="ps-1", text=text),
        key="PLAN-1",
        fields={"summary": {"old": "pipe", "new": text}},
    )
    return Plan(changes=[change], summary={"update": 1})


def test_a_backslash_in_a_field_reads_as_one_as_in_the_heading() -> None:
    """JSON showed "pipe \\\\ backslash" in the summary under a heading that read "pipe \\
    backslash" (a user test), and so in a conflict's message."""
    out = render_plan(summary_update("pipe \\ backslash"))
    assert '  "pipe \\ backslash"' in out.splitlines()[0]
    assert '    summary: "pipe" -> "pipe \\ backslash"' in out
    assert field_value('say "hi" in C:\\dir\\') == '"say \\"hi\\" in C:\\dir\\\\"'
    assert field_value("esc \x1b, typed \\x1b") == '"esc \\x1b, typed \\\\x1b"'


def read_back(shown: str) -> str:
    """A quoted value as a reader takes it: a run of backslashes before a quote, an escape
    or the end is doubled, its odd one the escape's own; any other backslash is itself."""
    assert shown.startswith('"') and shown.endswith('"')
    body, out, at = shown[1:-1], [], 0
    while at < len(body):
        run = len(body[at:]) - len(body[at:].lstrip("\\"))
        rest = body[at + run :]
        escape = re.match(r'"|x[0-9a-f]{2}|u[0-9a-f]{4}', rest) if run % 2 else None
        if escape:
            out.append("\\" * (run // 2))
            code = escape.group(0)
            out.append('"' if code == '"' else chr(int(code[1:], 16)))
            at += run + len(code)
        elif run:
            doubled = not rest or re.match(r"x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}", rest)
            out.append("\\" * (run // 2 if doubled else run))
            at += run
        else:
            assert body[at] != '"', shown  # a quote inside is always escaped
            out.append(body[at])
            at += 1
    return "".join(out)


@given(st.text(alphabet=st.sampled_from('\\"xu1bB0a \x1b\n\t\u202e\x85é'), min_size=1, max_size=80))
@example("C:\\x1B\\u00E9\\users\\\\")
def test_a_text_field_reads_back_one_way(text: str) -> None:
    shown = field_value(text)
    assert read_back(shown) == text
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202e]", shown)


def heading_text(heading: str) -> str:
    """The item text a plan line's heading ends with, as :func:`read_back` takes it."""
    match = re.search(r'  ("(?:\\.|[^"\\])*")$', heading)
    assert match, heading
    return read_back(match.group(1))


def test_a_quote_in_the_item_text_of_a_heading_is_escaped_as_in_a_field() -> None:
    """The heading showed ``"pipe \\ backslash "q""``, where a quote inside read as the end of
    the text, under a summary line that read ``"pipe \\ backslash \\"q\\""``."""
    text = 'pipe \\ backslash "q"'
    heading, summary = render_plan(summary_update(text)).splitlines()[:2]
    assert heading.endswith('  "pipe \\ backslash \\"q\\""')
    assert summary == '    summary: "pipe" -> "pipe \\ backslash \\"q\\""'
    assert heading_text(heading) == text


def test_a_list_of_texts_shows_each_as_a_text_field_is_shown() -> None:
    """Labels holding a backslash or a quote were JSON (``["C:\\\\dir"]``), two backslashes
    where a text field shows one; each is quoted as a text is now. ``plan --json`` is JSON."""
    labels = ["C:\\dir", 'say "hi"', "esc\x1b"]
    change = Change(
        action="update",
        target="jira",
        item=ItemRef(note="n.md", line=3, block_id="ps-1", text="t"),
        key="PLAN-1",
        fields={"labels": {"old": ["a"], "new": labels}},
    )
    plan = Plan(changes=[change], summary={"update": 1})
    assert '    labels: ["a"] -> ["C:\\dir", "say \\"hi\\"", "esc\\x1b"]' in render_plan(plan)
    assert plan.model_dump(mode="json")["changes"][0]["fields"]["labels"]["new"] == labels
    assert field_value([1, None, "x"]) == '[1, null, "x"]'


TEXT = st.text(alphabet=st.sampled_from('\\"xu1bB0a ,[]\x1b\t\u202e\x85é'), max_size=20)


@given(st.lists(TEXT, min_size=1, max_size=5))
def test_a_list_of_texts_reads_back_one_way(texts: list[str]) -> None:
    shown = field_value(texts)
    assert shown.startswith("[") and shown.endswith("]")
    elements = re.findall(r'"(?:\\.|[^"\\])*"', shown)
    assert ", ".join(elements) == shown[1:-1]
    assert [read_back(element) for element in elements] == texts


@given(st.text(alphabet=st.sampled_from('\\"xu1bB0a \x1b\t\u202e\x85é'), min_size=1, max_size=60))
def test_the_item_text_of_a_heading_reads_back_one_way(text: str) -> None:
    change = Change(
        action="create",
        target="jira",
        item=ItemRef(note="n.md", line=3, block_id="ps-1", text=text),
    )
    heading = render_plan(Plan(changes=[change], summary={"create": 1})).splitlines()[0]
    assert heading_text(heading) == text


def outcome(action: str, status: str, line: int, **extra: object) -> Outcome:
    item = ItemRef(note="n.md", line=line, block_id=f"ps-{line}", text="x")
    return Outcome.model_validate(
        {"action": action, "target": "jira", "item": item, "status": status, **extra}
    )


def test_a_result_says_a_failed_call_once_and_counts_what_it_left_behind() -> None:
    """The two creates a 503 carried are one line, not two, and are no error lines of
    their own; the links behind them are counted, and the run failed. What a server said is
    shown escaped in every line: a control character in its answer acts on no terminal."""
    config = Config.model_validate({"vault": {"path": "vault"}})
    failed = ItemError(
        note=None, line=None, block_id=None, action="create", message="503\x1b[2J", target="jira"
    )
    carried = [
        outcome("create", "failed", n, message="503\x1b[2J", whole_call=True) for n in (1, 2)
    ]
    result = Result(
        applied={"write_back": 2},
        requests=4,
        errors=[failed],
        outcomes=[
            *carried,
            outcome("link", "skipped", 1),
            outcome("link", "skipped", 2),
            outcome("conflict", "skipped", 4),
        ],
    )
    result.warn("\x1b[31m", "x.md")
    report = render_result(result, config)
    assert report.lines == [
        "Applied: 2 write back (4 HTTP requests).",
        "Failed: 2 create (503\\x1b[2J).",
        "Not done: 2 link, behind a step that failed; the next sync does them.",
    ]
    assert report.warnings == ["warning: x.md: \\x1b[31m"]
    assert report.errors == ["error: jira create failed: 503\\x1b[2J"]
    assert report.failure == (
        "the sync stopped early (1 failed call: jira create; 4 changes not done); see above."
        " When the error is dealt with, call `plansync.apply(config)` again: it does only what"
        " is left"
    )


def test_a_result_names_the_call_a_library_caller_makes_and_quiet_says_nothing_of_nothing() -> None:
    config = Config.model_validate({"vault": {"path": "vault"}})
    held = Result(outcomes=[outcome("update", "skipped", 1, changed_since_plan=True)])
    assert render_result(held, config).failure == (
        "1 change not sent, as its record changed since the plan was made; see above, and"
        " `plansync.plan(config)` shows that change anew"
    )
    assert render_result(Result(requests=2), config, quiet=True) == RenderedResult()
    said = render_result(Result(requests=2), config)
    assert said.lines == ["Applied: nothing (2 HTTP requests)."] and said.failure is None


def test_a_quiet_result_of_a_run_that_did_nothing_has_no_lines_but_its_warnings() -> None:
    """A run that did nothing, with a plan's warnings in its result (a library sync that showed
    no plan), said "Applied: nothing (0 HTTP requests)." and the day's API usage with them,
    where its docstring and the README say a quiet report of such a run prints neither."""
    config = Config.model_validate({"vault": {"path": "vault"}})
    idle = Result(requests=3, api_usage={"salesforce": (9, 15000)})
    idle.warn("due date is 'TBD', not a date; the item is synced without one", "a.md", 33)

    said = render_result(idle, config, quiet=True)

    assert said == RenderedResult(
        warnings=["warning: a.md:33: due date is 'TBD', not a date; the item is synced without one"]
    )
    assert render_result(idle, config).lines == [
        "Applied: nothing (3 HTTP requests).",
        "Salesforce API usage today: 9 of 15000 requests.",
    ]


PROPOSED = "proposed ([?]) and tagged #accepted: still proposed; change its checkbox to accept it"


def test_warnings_of_a_kind_many_notes_share_are_shown_a_few_times_then_counted() -> None:
    """A user test: a 3,000-note vault's plan printed 648 warning lines, ~320 of a note's
    damaged text read repaired and ~308 of a [?] tagged #accepted, and a one-change plan
    scrolled off before its question. A kind is the message without its location (the note,
    the line, the lines its words name); the first few of each are shown where they are, then
    one line counts the rest, as an owner's items are counted. The data keeps every one."""
    create = Change(
        action="create",
        target="jira",
        item=ItemRef(note="a.md", line=3, block_id="ps-1", text="Draft the plan"),
    )
    plan = Plan(changes=[create], summary={"create": 1})
    for n in range(10):
        plan.warn(PROPOSED, f"p{n}.md", 5)
    plan.warn(PROPOSED, "p5.md", 9)  # a second line in one of those notes
    for n in range(5):
        lines = ", ".join(map(str, range(20 + n, 31)))
        plan.warn(f"repaired damaged (double-encoded) text on lines {lines}", f"d{n}.md", 20 + n)
    for owner in ("Dana Okafor", "Kim Lee"):  # two owners: two remedies, each said
        plan.warn(f"owner '@{owner}' maps to no Jira user (add it under [users])", "o.md", 7)
    config = config_from_dict(
        {"rules": [{"project": "PLAN"}]},
        caller=CommandLine(Path("my vault/plansync.toml")),
    )
    every = "`plansync plan --config 'my vault/plansync.toml' --json` lists them all"

    text = render_plan(plan, config).splitlines()

    assert text[: ALIKE_SHOWN + 1] == [
        *(f"warning: p{n}.md:5: {PROPOSED}" for n in range(ALIKE_SHOWN)),
        f"warning: likewise 8 more lines in 7 notes ({every})",
    ]
    repaired = text[ALIKE_SHOWN + 1 : 2 * ALIKE_SHOWN + 2]
    assert repaired[0] == (
        "warning: d0.md:20: repaired damaged (double-encoded) text on lines"
        " 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30"
    )
    assert repaired[-1] == f"warning: likewise 2 more notes ({every})"
    assert text[2 * ALIKE_SHOWN + 2 : 2 * ALIKE_SHOWN + 4] == [
        "warning: o.md:7: owner '@Dana Okafor' maps to no Jira user (add it under [users])",
        "warning: o.md:7: owner '@Kim Lee' maps to no Jira user (add it under [users])",
    ]
    # The changes come after the warnings, right above the summary and so the question
    # `sync` asks, with a line counting the warnings above them.
    assert text[2 * ALIKE_SHOWN + 4].startswith("+ jira create  a.md:3")
    assert text[-2:] == ["18 warnings (above the changes).", summary_line(plan)]
    assert sum(line.startswith("warning:") for line in text) == 2 * ALIKE_SHOWN + 4

    # Every warning stays in the plan's data, with its note and line.
    contract = plan.to_contract()
    assert len(contract["warnings"]) == len(contract["warning_details"]) == 18
    assert {"note": "p9.md", "line": 5, "message": PROPOSED, "also": []} in contract[
        "warning_details"
    ]
    # Without a config (a library caller's plan), the JSON's command is named as typed.
    assert "warning: likewise 2 more notes (`plansync plan --json` lists them all)" in (
        render_plan(plan).splitlines()
    )


def _keep(plan: Plan, key: str, note: str, line: int, names: str, fields: list[str]) -> None:
    """A record whose ``fields`` changed in Jira only, as the planner says it: a line, and
    the same as data."""
    plan.kept.append(
        f"{key} ({note}:{line}): {names} changed in Jira only since the last sync; kept, not sent"
        " from the note"
    )
    item = ItemRef(note=note, line=line, block_id=f"ps-{key}", text="Pay")
    plan.kept_records.append(KeptRecord(target="jira", key=key, item=item, fields=fields))


def test_kept_records_of_a_kind_are_listed_a_few_times_then_counted() -> None:
    """A vault whose 1,500 issues had their due date moved in Jira (a bulk edit) printed 1,500
    ``kept:`` lines at every plan. Lines that keep the same fields of the same backend are of
    a kind: a few are listed, each naming its record and line, then one counts the rest and
    names what lists them all; the plan's data keeps every one."""
    plan = Plan()
    for n in range(ALIKE_SHOWN + 3):
        _keep(plan, f"PLAN-{n + 1}", f"n{n // 2}.md", 3 + n % 2, "due", ["due"])
    _keep(plan, "PLAN-99", "s.md", 4, "status (now done)", ["status"])
    config = config_from_dict(
        {"rules": [{"project": "PLAN"}]}, caller=CommandLine(Path("v/plansync.toml"))
    )

    text = render_plan(plan, config).splitlines()

    kept = [line for line in text if line.startswith("kept: ")]
    assert kept == [
        *(f"kept: {line}" for line in plan.kept[:ALIKE_SHOWN]),
        "kept: likewise 3 more lines in 2 notes (`plansync plan --config v/plansync.toml --json`"
        " lists them all)",
        f"kept: {plan.kept[-1]}",  # another field: another kind
    ]
    assert text[-1].startswith(f"No changes. {ALIKE_SHOWN + 4} records keep edits")
    assert "(`Plan.kept_records` lists them all)" in render_plan(plan, Config()).splitlines()[3]
    contract = plan.to_contract()
    assert len(contract["kept"]) == len(contract["kept_records"]) == ALIKE_SHOWN + 4


def test_a_plan_saved_before_kept_records_shows_its_kept_lines_as_they_are() -> None:
    """``Plan.load`` takes a plan saved before ``kept_records`` (its ``kept`` lines only), and
    rendering it raised ValueError from pairing each line with a record it does not have."""
    kept = [f"PLAN-{n} (a.md:{n}): due changed in Jira only since the last sync" for n in (1, 2)]
    plan = Plan.model_validate({"changes": [], "kept": kept})

    text = render_plan(plan).splitlines()

    assert [line for line in text if line.startswith("kept: ")] == [f"kept: {k}" for k in kept]


def test_a_failed_sync_ends_with_what_to_run_next() -> None:
    """A user test: "Error: 4 items failed; see above" said nothing of what to do next. The
    items' errors say what each needs; the last line says to run the sync again then, with
    the --config given, and that it does only what is left."""
    config = config_from_dict(
        {"rules": [{"project": "PLAN"}]}, caller=CommandLine(Path("v/plansync.toml"))
    )
    errors = [
        ItemError(note="n.md", line=n, block_id=f"ps-{n}", action="link", message="400", key="K")
        for n in (1, 2)
    ]
    result = Result(errors=errors, outcomes=[outcome("link", "failed", n) for n in (1, 2)])
    assert render_result(result, config).failure == (
        "2 items failed; see above. When the errors are dealt with, run `plansync sync --config"
        " v/plansync.toml` again: it does only what is left"
    )


def test_a_result_renders_without_its_config_in_the_library_s_words() -> None:
    """A program that has only a Result (a worker's, read back from JSON) could not render
    it: the config was needed only for the words of what to call next. Without it, they are
    the library's, as a config made in code names them and as ``every`` names
    ``Result.warnings``."""
    held = Result(outcomes=[outcome("update", "skipped", 1, changed_since_plan=True)])
    read_back = Result.model_validate_json(held.model_dump_json())
    config = Config.model_validate({"vault": {"path": "vault"}})
    assert render_result(read_back) == render_result(held, config)
    assert "`plansync.plan(config)` shows that change anew" in (render_result(held).failure or "")


def test_what_a_sync_without_its_plan_shown_says_is_the_library_s() -> None:
    """``sync --quiet`` said it, and a cron wrapper of the library had to write it again: the
    plan's warnings but its notices, grouped, and the conflicts and orphans left for a person,
    in the commands of the config's caller."""
    config = config_from_dict(
        {"rules": [{"project": "PLAN"}]}, caller=CommandLine(Path("v/plansync.toml"))
    )
    conflicts = [
        Change(
            action="conflict",
            target="jira",
            item=ItemRef(note="a.md", line=n, block_id=f"ps-{n}", text="x"),
            key=f"PLAN-{n}",
        )
        for n in (3, 4)
    ]
    plan = Plan(changes=conflicts, summary={"conflict": 2})
    for n in range(ALIKE_SHOWN + 1):
        plan.warn(PROPOSED, f"p{n}.md", 5)
    plan.add_notices([PlanWarning(message="No Jira URL configured: using the sandbox")])

    lines = left_for_a_person(plan, config)

    assert lines == [
        *(f"warning: p{n}.md:5: {PROPOSED}" for n in range(ALIKE_SHOWN)),
        "warning: likewise 1 more note (`plansync plan --config v/plansync.toml --json`"
        " lists them all)",
        "warning: 2 conflicts are left for a person to settle:"
        " `plansync plan --config v/plansync.toml` shows them",
    ]
    assert left_for_a_person(Plan(), config) == []
