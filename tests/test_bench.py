"""The benchmarks still run, and still measure what they say (numbers are not asserted here:
speed is reported in the README, measured with these scripts, never timed in a test)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_parse_benchmark_reads_every_note_and_item_it_generates() -> None:
    out = run("parse.py", "--notes", "30", "--floor")
    written = re.search(r"generated 30 notes \((\d+) damaged\), (\d+) action items", out)
    assert written is not None, out
    read = re.search(r"read 30 notes, \d+ items \((\d+) actions, (\d+) repaired\)", out)
    assert read is not None, out
    assert read.group(1) == written.group(2)
    assert int(read.group(2)) > 0 and int(written.group(1)) > 0
    assert "note: wrote" not in out
    assert re.search(r"floor .*: [\d,]+ notes/s; plansync runs at \d+% of it", out), out


def test_the_sync_benchmark_stays_within_its_request_floor() -> None:
    out = run("sync.py", "--items", "20")
    assert "Within the floor." in out, out
    assert "All checked done (20 transition): " in out, out


README = BENCH.parent / "README.md"


def test_every_option_the_readme_measures_with_is_in_the_benchmarks_help() -> None:
    """A user test: ``bench/parse.py --measure DIR``, which README's "Measured" commands run,
    was hidden from ``--help`` (and ``--seed`` had no help text), so a reader could not tell
    what the figures' commands do, nor rerun them from the help alone."""
    commands = re.findall(
        r"bench/(\w+\.py)((?: --[a-z-]+(?: [^\s`-]\S*)?)*)", README.read_text("utf-8")
    )
    used: dict[str, set[str]] = {}
    for script, args in commands:
        used.setdefault(script, set()).update(re.findall(r"--[a-z-]+", args))
    assert {"--measure", "--seed"} <= used["parse.py"], used  # what the test was written for
    for script, options in used.items():
        shown = run(script, "--help")
        for option in options:
            # The option, its metavar, then words of help (not the next option).
            said = re.search(rf"^  {option}(?: [A-Z_]+)?\s+[^\s-]", shown, re.MULTILINE)
            assert said is not None, f"{script} --help: {option} has no help text\n{shown}"
