"""Benchmark: what a first sync and a no-op resync of N accepted items cost, in HTTP requests.

Why this exists: against a real Jira, requests (and their rate limits) are the cost of a sync,
not CPU. The floor for N new accepted items is

- first sync: one project read per project that gets new issues (does it exist, with the
  rule's issue type?) + ⌈N/50⌉ bulk creates + N remote links (one per issue, upserted by
  ``globalId``; Jira has no bulk endpoint for them); no label lookups, as the ids the plan
  draws are on no line yet, so no record can carry them;
- no-op resync: at most ⌈N/100⌉ requests (the label lookups that find nothing to change);
- every item checked done: ⌈N/100⌉ label lookups + 2N (each issue's transitions are listed,
  then one is taken: they depend on the issue's workflow and status, and on conditions that
  may differ from issue to issue).

What it does: writes a temporary vault of N accepted, open action items (``--per-note`` to a
note), owners mapped under ``[users]`` by explicit ``jira`` account ids so that no user is
looked up; serves the Jira sandbox in this process on 127.0.0.1 with ``--latency-ms`` added
to each request; runs ``plansync.apply`` (plan + apply, as ``plansync sync --yes`` does), then
again with nothing to do, then once more after checking every item done; prints the requests
the sandbox counted, by route, the wall time of each run, and the floor. Exits 1 if a run
exceeds its floor or fails.

Usage::

    python bench/sync.py                          # 1,000 items, no added latency
    python bench/sync.py --items 5000 --latency-ms 20
    python bench/sync.py --dir /tmp/bench-vault --keep
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import plansync
from plansync.config_load import config_from_dict
from plansync.sandbox.jira_app import JiraSandbox
from plansync.sandbox.people import USERS
from plansync.sandbox.server import serve_in_thread

OWNERS = {"Priya Raman": USERS[1].account_id, "Marco Bellini": USERS[2].account_id}
PRIORITIES = ("⏫", "🔼", "🔽", "")
VERBS = ("Draft", "Review", "Benchmark", "Publish", "Write", "Measure", "Send", "Fix")
THINGS = ("the runbook", "the quota proposal", "the rebuild times", "the pricing page")


def write_vault(root: Path, items: int, per_note: int) -> None:
    vault = root / "vault"
    vault.mkdir(parents=True)
    owners = ["Myself", *OWNERS]
    start = date(2025, 11, 3)
    for note in range(math.ceil(items / per_note)):
        day = start + timedelta(days=note)
        lines = [
            "---",
            f"title: Weekly sync {note + 1}",
            f"date: {day.isoformat()}",
            "participants: [Myself, Priya Raman, Marco Bellini]",
            "---",
            f"# Weekly sync {note + 1}",
            "",
            "## Action Items",
            "",
        ]
        for k in range(min(per_note, items - note * per_note)):
            n = note * per_note + k
            due = day + timedelta(days=7 + n % 11)
            lines.append(
                f"- [ ] {VERBS[n % len(VERBS)]} {THINGS[n % len(THINGS)]} (item {n + 1})"
                f" @{owners[n % len(owners)]} 📅 {due.isoformat()}"
                f" {PRIORITIES[n % len(PRIORITIES)]} #task".replace("  ", " ")
            )
        lines += ["", "## Decisions", "", "- Keep the weekly cadence.", ""]
        (vault / f"{day.isoformat()}-weekly-sync-{note + 1:04d}.md").write_text(
            "\n".join(lines), encoding="utf-8"
        )


def check_all_done(root: Path) -> None:
    """Check every action item of the vault done, as a person would after the work."""
    for path in (root / "vault").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("\n- [ ] ", "\n- [x] "), encoding="utf-8")


def config_for(root: Path, url: str) -> Any:
    users = {name: {"jira": account} for name, account in OWNERS.items()}
    users["Myself"] = {"jira": USERS[0].account_id}
    return config_from_dict(
        {
            "myself": "Myself",
            "vault": {"path": "vault"},
            "users": users,
            "jira": {
                "url": url,
                "user": USERS[0].email,
                "token": "bench",
                "deployment": "cloud",
            },
            "rules": [{"project": "PLAN"}],
        },
        source=root / "plansync.toml",
    )


def report(title: str, stats: dict[str, Any], seconds: float, floor: int, items: int) -> bool:
    print(f"\n{title}: {seconds:.2f} s wall, {stats['total']} requests (floor {floor})")
    for route, count in stats["by_route"].items():
        print(f"  {count:>6}  {route}")
    if items:
        print(f"  {stats['total'] / items:.3f} requests per item, {items / seconds:.0f} items/s")
    return int(stats["total"]) <= floor


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1000, help="accepted items (default 1000)")
    parser.add_argument("--per-note", type=int, default=10, help="items per note (default 10)")
    parser.add_argument("--latency-ms", type=int, default=0, help="added to each request")
    parser.add_argument("--dir", type=Path, help="where to write the vault (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the vault and state")
    args = parser.parse_args()

    root = args.dir or Path(tempfile.mkdtemp(prefix="plansync-bench-sync-"))
    if args.dir and any(args.dir.iterdir() if args.dir.exists() else ()):
        parser.error(f"{args.dir} is not empty")
    n = args.items
    floors = {
        "first": 1 + math.ceil(n / 50) + n,  # one project
        "noop": math.ceil(n / 100),
        "done": math.ceil(n / 100) + 2 * n,
    }
    app = JiraSandbox(":memory:", latency_ms=args.latency_ms)
    ok = True
    try:
        write_vault(root, n, args.per_note)
        with serve_in_thread(app) as server:
            config = config_for(root, server.url)
            print(
                f"{n} accepted items in {math.ceil(n / args.per_note)} notes, sandbox at"
                f" {server.url} with {args.latency_ms} ms latency per request"
            )
            runs = (("first", "First sync"), ("noop", "No-op resync"), ("done", "All checked done"))
            for name, title in runs:
                if name == "done":
                    check_all_done(root)
                app.reset_stats()
                started = time.perf_counter()
                result = plansync.apply(config)
                seconds = time.perf_counter() - started
                if not result.ok:
                    print(f"{title} failed: {result.errors[:3]}", file=sys.stderr)
                    ok = False
                applied = ", ".join(f"{v} {k}" for k, v in result.applied.items()) or "nothing"
                ok &= report(f"{title} ({applied})", app.stats(), seconds, floors[name], n)
            print(
                f"\nFloor: first sync 1 + ⌈N/50⌉ + N = {floors['first']};"
                f" no-op resync ⌈N/100⌉ = {floors['noop']};"
                f" all done ⌈N/100⌉ + 2N = {floors['done']}."
                f" {'Within' if ok else 'OVER'} the floor."
            )
    finally:
        app.close()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"kept {root}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
