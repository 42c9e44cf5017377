"""The easy line's fast path (plansync.notes.fast_line) against the full reading.

For any task line, the fast path either declines or gives exactly the item (and warnings) the
full path gives: each generated note is parsed twice, once with the fast path switched off,
and the two notes must be equal. The lines are drawn from the easy class and around it
(damaged text, owners of every form, every field, tags, ids, links, odd spacing), with
decisions' bullets around plain words, and the
fast path must really read the clean ones.
"""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from plansync.notes import fast_line, parse, tasks
from plansync.notes.model import AcceptancePolicy
from plansync.notes.signifiers import ALL_SIGNIFIERS, PRIORITIES

MANY = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CLEAN_WORDS = st.sampled_from(
    ["Draft", "the", "plan", "Q4", "1:1", "e.g.", "café", "Zoë’s", "(backup)", "—", "x,", "it.",
     "2024-01-01", "TBD", "every", "day", "keep", "5.3", "feasibility/timeline", "“quoted”",
     "[[Cloud program]]", "([[Q4 plan]])", "[[Zoë’s notes]],"]
)  # fmt: skip
ODD_WORDS = st.sampled_from(
    ["@Myself", "#123", "a#b", "[[Cloud program]]", "[PROJ-1](https://x.example/browse/PROJ-1)",
     "[", "]", "::", "due::", "📅", "⏫", "🔁", "✅", "#", "^abc", "^ps-abc12345", "x⏫", "\t",
     "\u00a0", "\u3000", "\ufe0f", "\ue000", "", " ", "O'Brien", "ÃƒÂ©", "â€™", "ðŸ“…", "@",
     "email@example.com", "`code`", "**bold**", "~~x~~", "<b>", "%%", "[[a|b]]", "![[x]]",
     "[[a#b]]", "[[a^b]]", "[[ a ]]", "[[a]](b)", "[[a]]b", "[[]]", "[[a::b]]", "[[a  b]]",
     "[[a [[b]]", "[[a]", "[a]]", "[[a\u00a0b]]", "[[a📅b]]", "[[a]]]", "[[[a]]"]
)  # fmt: skip
OWNER_FORMS = (
    "Myself", "Dana Okafor", "Lucía Herrera", "Ayşe Demir", "Ana de la Cruz", "dana",
     "dana.okafor", "Dana okafor", "Émile Dupont", "[[Tomer Hagay]]", "[[People/Tomer|T]]",
     "O'Brien", "Priya's", "Jean-Luc Picard", "X Æ", "Dana_2", "Иван Петров", "Dana.",
     "Tomer Hagay Ltd", "Dana\u0301")  # fmt: skip
OWNERS = st.sampled_from(OWNER_FORMS)
DATES = st.one_of(
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31)).map(str),
    st.sampled_from(["2023-02-29", "2025-13-45", "TBD", "2024-1-1", ""]),
)
DATE_SYMBOLS = ["📅", "📆", "🗓", "⏳", "⌛", "🛫", "➕", "✅", "❌"]
TAGS = st.sampled_from(
    ["#task", "#proposed", "#accepted", "#auto", "#rfe", "#a/b", "#x-y_z", "#2024-01-01", "#a]",
     "#x📅", "#café", "#", "#t\u00a0", "#x:y", "#ACCEPTED"]
)  # fmt: skip


@st.composite
def field(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["date", "date", "priority", "tag", "tag", "rare", "dataview"]))
    gap = draw(st.sampled_from([" ", " ", " ", "", "  "]))
    if kind == "tag":
        return draw(TAGS)
    if kind == "priority":
        return draw(st.sampled_from(list(PRIORITIES))) + draw(st.sampled_from(["", "\ufe0f"]))
    if kind == "date":
        symbol = draw(st.sampled_from(DATE_SYMBOLS)) + draw(st.sampled_from(["", "", "\ufe0f"]))
        return symbol + gap + draw(DATES)
    if kind == "rare":
        return draw(st.sampled_from(["🔁 every week", "🏁 delete", "🆔 abc", "⛔ abc,def"]))
    return draw(st.sampled_from(["[due:: 2025-11-21]", "[priority:: high]", "(id:: x)"]))


@st.composite
def task_body(draw: st.DrawFn, clean: bool = False) -> str:
    """A task line's body: words, an owner, a run of fields; with ``clean``, in the easy
    class as the module describes it."""
    pool = CLEAN_WORDS if clean else st.one_of(CLEAN_WORDS, CLEAN_WORDS, ODD_WORDS)
    words = " ".join(draw(st.lists(pool, min_size=1, max_size=6)))
    owner = "" if clean else draw(st.sampled_from(["", "", " @"]))
    if clean or draw(st.booleans()):
        owner = " @" + draw(
            st.sampled_from(["Myself", "Dana Okafor", "Lucía Herrera"]) if clean else OWNERS
        )
    if clean:
        fields = draw(
            st.lists(
                st.one_of(
                    TAGS.filter(lambda t: t in ("#task", "#proposed", "#accepted", "#a/b")),
                    st.sampled_from(list(PRIORITIES)),
                    st.sampled_from(DATE_SYMBOLS).map(lambda s: s + " 2025-11-21"),
                ),
                max_size=5,
            )
        )
        return words + owner + "".join(" " + f for f in fields)
    fields = draw(st.lists(field(), max_size=6))
    separators = st.sampled_from([" ", " ", " ", "  ", "", "\t", "\u00a0"])
    body = words + owner + "".join(draw(separators) + f for f in fields)
    return body + draw(st.sampled_from(["", "", " ^abc", " ^ps-b94yjjng", " ", "\t", "\r x"]))


@st.composite
def near_easy(draw: st.DrawFn) -> str:
    """A line of the easy class with one thing changed: an odd word among its words, an owner
    of another form, an odd field or spacing in its run, or something after it."""
    words = draw(st.lists(CLEAN_WORDS, min_size=1, max_size=4))
    owner = "@" + draw(st.sampled_from(["Myself", "Dana Okafor", "Lucía Herrera"]))
    fields = draw(st.lists(st.sampled_from(["#task", "⏫", "📅 2025-11-21", "✅ 2025-11-22"])))
    change = draw(st.sampled_from(["word", "owner", "field", "spacing", "end"]))
    if change == "word":
        words.insert(draw(st.integers(0, len(words))), draw(ODD_WORDS))
    elif change == "owner":
        owner = draw(st.sampled_from(["", "@", "@ Dana", *(f"@{name}" for name in OWNER_FORMS)]))
    elif change == "field":
        fields.insert(draw(st.integers(0, len(fields))), draw(field()))
    body = " ".join([*words, owner, *fields]) if owner else " ".join([*words, *fields])
    if change == "spacing":
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.sampled_from(["  ", "\t", "\u00a0", " ", ""])) + body[at:]
    elif change == "end":
        body += draw(st.sampled_from([" ^abc", " ^ps-b94yjjng", " ", "\t", "\r x", " x", "."]))
    return body


POLICIES = st.sampled_from(
    [
        AcceptancePolicy(),
        AcceptancePolicy(owner_names=["Ana de la Cruz", "Dana"]),
        AcceptancePolicy(global_filter="#task"),
        AcceptancePolicy(global_filter="#task", remove_global_filter=True),
        AcceptancePolicy(global_filter="plan", remove_global_filter=True),
        AcceptancePolicy(accept_tag="#auto"),
    ]
)
STATUSES = st.sampled_from([" ", "x", "?", "-", "/", ">", "!"])
PREFIXES = st.sampled_from(["- ", "- ", "* ", "1. ", "  - ", "> - "])


def _both(text: str, policy: AcceptancePolicy) -> tuple[dict[str, object], dict[str, object]]:
    """The note as parsed with the fast path, and as parsed by the full path alone."""
    fast = parse.parse_text(text, path="n.md", policy=policy).model_dump()
    declined = mock.patch.object(parse, "read_easy", lambda *args: None)
    with declined, mock.patch.object(parse, "read_plain", lambda *args: None):
        full = parse.parse_text(text, path="n.md", policy=policy).model_dump()
    return fast, full


DECISIONS = st.one_of(
    st.lists(CLEAN_WORDS, min_size=1, max_size=6).map(" ".join), near_easy(), task_body()
)
DECISION_PREFIXES = st.sampled_from(["- ", "- ", "* ", "1. ", "  - ", "    ", "> - ", "-\t"])


@MANY
@given(
    st.lists(
        st.tuples(PREFIXES, STATUSES, st.one_of(task_body(), task_body(clean=True), near_easy()))
    ),
    st.lists(st.tuples(DECISION_PREFIXES, DECISIONS)),
    POLICIES,
    st.booleans(),
)
@example(
    [("- ", " ", "Ship it @Dana Okafor 📅 2025-11-21 ⏫ #task")],
    [("- ", "Keep the lab cluster, not Slack.")],
    AcceptancePolicy(),
    False,
)
@example(
    [("- ", "?", "Ship it @Ana de la Cruz 📅 2025-11-21 #task #accepted")],
    [("- ", "Ana owns it @Ana de la Cruz")],
    AcceptancePolicy(owner_names=["Ana de la Cruz"]),
    False,
)
@example([("- ", " ", "Ship it @Dana 📅 2025-02-30 #task")], [], AcceptancePolicy(), False)
@example(
    [("- ", " ", "Ship â€™it @Dana ðŸ“… 2025-11-21 #task")],
    [("- ", "Ship â€™it")],
    AcceptancePolicy(),
    True,
)
def test_the_fast_path_gives_the_full_paths_note(
    lines: list[tuple[str, str, str]],
    decisions: list[tuple[str, str]],
    policy: AcceptancePolicy,
    damaged: bool,
) -> None:
    tasks = "\n".join(f"{prefix}[{status}] {text}" for prefix, status, text in lines)
    bullets = "\n".join(prefix + text for prefix, text in decisions)
    # A damaged word elsewhere makes the note one that is repaired line by line.
    text = (
        f"# Meeting\n\n{'Ã©tÃ© ' if damaged else ''}notes\n\n## Action Items\n\n{tasks}\n\n"
        f"## Decisions\n\n{bullets}\n"
    )
    fast, full = _both(text, policy)
    assert fast == full


@MANY
@given(task_body(clean=True))
def test_the_fast_path_reads_the_easy_class(body: str) -> None:
    """Every clean line of the strategy is read by the fast path, as the module says."""
    assert fast_line.read_easy(body, None, "") is not None
    fast, full = _both(f"- [ ] {body}\n", AcceptancePolicy())
    assert fast == full


def test_most_lines_of_the_examples_are_easy() -> None:
    """The fast path is worth its keep only while it reads the common line."""
    lines = [
        "Fix the key-rotation step of the upgrade from 5.1.3 @Marco Bellini 📅 2025-11-11 🔺 #task",
        "Publish the quota API reference with the 5.2.1 patch @Priya Raman 📅 2025-12-01 #task",
        "Review Priya’s tenant quota proposal and send comments @Myself 📅 2025-11-12 ⏫ #task",
    ]
    assert all(fast_line.read_easy(line, None, "") is not None for line in lines)


def test_plain_decisions_are_easy() -> None:
    assert fast_line.read_plain("Keep the lab cluster reserved until Friday (5.3).") is not None
    assert fast_line.read_plain("Dana owns it @Dana") is None


def test_the_words_hold_no_signifier_the_trigger_test_misses() -> None:
    """The words are held to ``tasks.has_trigger``: it must find every signifier."""
    for signifier in ALL_SIGNIFIERS:
        assert fast_line.has_trigger(f"a {signifier} b")


RUN_PIECES = st.one_of(
    TAGS,
    st.sampled_from(list(PRIORITIES)).map(lambda p: p + "\ufe0f" if p == "⏫" else p),
    st.tuples(st.sampled_from(DATE_SYMBOLS), st.sampled_from(["", " ", "\ufe0f "]), DATES).map(
        "".join
    ),
    st.sampled_from(["📅", "2025-11-21", "🔁 every week", "🆔 abc", "x", ""]),
)


RUN_GAPS = st.sampled_from([" ", " ", " ", " ", "  ", "\t", "\u00a0", ""])


@MANY
@given(st.lists(st.tuples(RUN_PIECES, RUN_GAPS), min_size=1, max_size=24))
@example([("#task", " ")] * (tasks.MAX_RUNS + 1))  # as many fields as the plugin reads
@example([("#task", " ")] * (tasks.MAX_RUNS + 2))  # one more
@example([("📅", " "), ("2025-11-21", " ")] * (tasks.MAX_RUNS + 2))
def test_a_plain_run_reads_as_the_full_paths_run(pieces: list[tuple[str, str]]) -> None:
    """``read_plain_run`` reads a run of tags, priorities and dates (each date after its
    signifier, one space apart) as ``read_run`` does, and declines any other: other gaps,
    other pieces, a run of more fields than the plugin reads."""
    run = "".join(piece + gap for piece, gap in pieces[:-1]) + pieces[-1][0]
    plain = tasks.read_plain_run(run)
    full = tasks.read_run(run)
    piece = (
        f"#{tasks.PLAIN_TAG_CHARS}|(?:{'|'.join(PRIORITIES)})\ufe0f?"
        f"|(?:{'|'.join(DATE_SYMBOLS)})\ufe0f? ?[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}"
    )
    plain_form = re.fullmatch(f"(?:{piece})(?: (?:{piece}))*", run)
    if not plain_form or full is None or full.invalid_dates:
        assert plain is None
        return
    assert plain is not None
    dates = dict(full.dates)
    assert plain == tasks.PlainRun(
        *(
            dates.get(name)
            for name in ("due", "scheduled", "start", "created", "done", "cancelled")
        ),
        full.priority,
        full.tags,
        "".join(f" {tag}" for tag in full.tags),
    )
