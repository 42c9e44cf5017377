"""How the command line shows progress (:class:`ProgressLine`), as the text it writes: a line
a report in a log or a pipe, one line rewritten in place on a terminal."""

from __future__ import annotations

from plansync.progress import ERASE, ProgressLine, reported_batches

Event = tuple[str, int, int, float] | str
"""A report, ``(step, done, total, now)``, or "end": something else is about to be written."""


def written(events: list[Event], *, in_place: bool) -> str:
    """Everything written to stderr for ``events``, in order."""
    line = ProgressLine(in_place=in_place)
    return "".join(line.end() if event == "end" else line.update(*event) for event in events)


def batches(step: str, total: int, size: int, seconds: float) -> list[Event]:
    """A step's reports, a batch every ``seconds``: before each batch, and at its end."""
    done = [*range(0, total, size), total]
    return [(step, n, total, 100 + i * seconds) for i, n in enumerate(done)]


def test_in_a_log_a_report_is_a_line_after_a_step_s_first_batch_every_2_s_and_at_its_end() -> None:
    """A line a batch was 800 lines for a first sync of 40,000 items. None at a step's start
    (0/1000): a step whose first request failed read as under way; none for a small step."""
    events = [*batches("create in jira", 1000, 50, 0.5), ("few", 0, 49, 111.0), "end"]
    assert written(events, in_place=False) == "".join(
        f"  create in jira: {n}/1000\n" for n in (50, 250, 450, 650, 850, 1000)
    )


def test_on_a_terminal_the_reports_rewrite_one_line_which_ends_before_anything_else() -> None:
    """Every step's reports on one line, each erasing the one before; a line feed ends it
    before a warning (or the plan, an error, the end of the run), once: the next report
    starts a line of its own after it."""
    events: list[Event] = [
        ("reading notes", 0, 2000, 0.0),
        ("reading notes", 1000, 2000, 0.5),
        ("reading notes", 2000, 2000, 0.6),
        ("planning for Jira", 900, 900, 0.7),
        "end",
        "end",
        ("create in jira", 50, 900, 0.8),
        "end",
    ]
    assert written(events, in_place=True) == (
        f"  reading notes: 1000/2000{ERASE}  reading notes: 2000/2000"
        f"{ERASE}  planning for Jira: 900/900\n"
        "  create in jira: 50/900\n"
    )


def test_on_a_terminal_a_report_is_shown_every_quarter_second_not_every_2_s() -> None:
    """A line rewritten in place fills no log: it follows a step closely."""
    events = batches("create in jira", 1000, 50, 0.1)
    reports = written(events, in_place=True).split(ERASE)
    assert reports == [
        f"  create in jira: {n}/1000" for n in (50, 200, 350, 500, 650, 800, 950)
    ] + ["  create in jira: 1000/1000"]


def test_nothing_to_end_where_no_line_is_open() -> None:
    assert written(["end"], in_place=True) == written(["end"], in_place=False) == ""
    assert written([("create in jira", 50, 100, 0.0), "end"], in_place=False).endswith("50/100\n")


def test_reported_batches_tells_before_each_batch_and_once_at_the_end_never_for_none() -> None:
    """Progress before each batch (what is done so far) and at the end, interleaved with the
    batches as they are taken; nothing at all for a step with nothing to do."""
    said: list[object] = []

    def progress(step: str, done: int, total: int) -> None:
        said.append((step, done, total))

    for batch in reported_batches(progress, "look", list("abcde"), 2):
        said.append(batch)
    assert said == [
        ("look", 0, 5),
        ["a", "b"],
        ("look", 2, 5),
        ["c", "d"],
        ("look", 4, 5),
        ["e"],
        ("look", 5, 5),
    ]
    assert list(reported_batches(progress, "none", [], 2)) == [] and len(said) == 7
