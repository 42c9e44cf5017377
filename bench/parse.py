"""Benchmark: how fast a cold ``plansync.scan_vault`` reads a large vault of meeting notes.

Why this exists: ``plansync plan`` and ``plansync sync`` parse the whole vault on every run, and
people keep years of generated notes, so parsing is the floor under every command's latency. The
target is 5,000 notes/s on one core.

What it does:

1. Generates a synthetic vault (default 10,000 notes) shaped like the real notes in
   ``shared/samples``: YAML front matter, a summary, 10-12 Obsidian Tasks action items with
   owners, dates, priorities and tags, decisions, key-information bullets and related links.
   About 10% of the notes are damaged the way real ones arrive: UTF-8 decoded as Windows-1252,
   Windows-1254 or Mac Roman with undefined bytes dropped, and saved again as UTF-8.
2. Scans it in a *fresh* Python process pinned to one core, so module-level and ``lru_cache``
   state (the damaged-signifier table, compiled patterns) is built inside the measurement as it
   is on a real first run. Import time is reported apart from scan time. Files were just written,
   so the OS page cache is warm; the number is parsing cost, not disk cost.
3. Reports the memory the scan kept (peak RSS growth) and the page faults it took: in a
   virtual machine a page of new memory can cost ~13 µs to fault in, which made the size of
   the parse output a quarter of the scan time on the development machine.

Usage::

    python bench/parse.py                      # 10,000 notes in a temp folder, deleted after
    python bench/parse.py --notes 2000 --profile
    python bench/parse.py --dir /tmp/vault --keep
    python bench/parse.py --floor              # also this machine's floor (see FLOOR_TASK)
    python bench/parse.py --measure /tmp/vault # that vault again, as JSON, in this process
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

TARGET_NOTES_PER_S = 5_000

# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------

PEOPLE = [
    "Priya Raman",
    "Marco Bellini",
    "Dana Okafor",
    "Tobias Lindqvist",
    "Samir Haddad",
    "Hannah Weiss",
    "Elena Fischer",
    "Kenji Watanabe",
    "Lucía Herrera",
    "Ayşe Demir",
]
VERBS = [
    "Draft",
    "Review",
    "Schedule",
    "Confirm",
    "Benchmark",
    "Compile",
    "Prepare",
    "Coordinate with the field team on",
    "Write up",
    "Estimate",
    "Clarify",
    "Document",
]
OBJECTS = [
    "the tenant quota proposal",
    "erasure-coding rebuild times on the 24-node cluster",
    "the object-lock retention runbook",
    "per-bucket replication lag for the customer dashboard",
    "the cloud tier’s pricing page",
    "the metadata index prototype (sharded by bucket hash)",
    "the upgrade path from 5.1.3 with encryption at rest",
    "the follow-the-sun support rotation",
    "telemetry gaps from the last three Sev-2 incidents",
    "the “noisy neighbour” complaints from service providers",
    "write amplification of RocksDB vs. FoundationDB",
    "the Q1 roadmap themes for the field teams",
    "egress costs — storage, network and support — for the renewal",
    "the design-partner feedback on committed-use pricing",
]
QUALIFIERS = [
    "",
    " before the design partners see it",
    " and report feasibility/timeline",
    " with the Tel Aviv and Dublin teams",
    ", including multi-tenancy and call-home requirements",
    " to inform the cloud backlog",
    " for the 5.3 release",
    " and share the findings in [[Cloud program]]",
]
PRIORITIES = ["🔺", "⏫", "⏫", "🔼", "", "", "🔽", "⏬"]
STATUSES = ["?"] * 6 + [" ", " ", "/", "x", "-"]
FACTS = [
    "Northwind Storage has about 400 engineers and 4 product managers.",
    "Replication lag peaked at 1 h 52 min during the customer’s month-end batch.",
    "The control plane uses 14 GB of memory per cluster today; the target is under 6 GB.",
    "Rebuild of a failed 30 TB drive took 5 h 40 min against a 4 h target.",
    "Release cadence slipped twice this year (5.1 from June to September).",
    "Tenant quotas block two service-provider deals worth 3.1 M a year.",
    "The pager tool is licensed per user, so a new region costs four more seats.",
    "Flat pricing under-recovers cost by about 12% for archive-heavy tenants.",
    "Customers using multi-tenancy include Contoso and Fabrikam, with different models.",
    "The design shards the index by bucket hash, with 4,096 shards per cluster.",
]
DECISIONS = [
    "Keep the lab cluster reserved for benchmarks until Friday.",
    "Treat the dashboard request as an RFE against 5.3, not a support case.",
    "Tenant quotas ship before the control-plane work.",
    "Launch with pricing tiered by access frequency; committed use follows in Q2.",
    "Go/no-go for the release is on Friday at 16:00 CET.",
    "Quota feedback goes through the proposal document, not Slack.",
]
DAMAGE_CODECS = ("cp1252", "cp1254", "mac_roman")


def _note_text(rng: random.Random, index: int) -> tuple[str, int]:
    """One clean note and the number of action items in it."""
    day = date(2024, 1, 1) + timedelta(days=index % 700)
    people = rng.sample(PEOPLE, rng.randint(2, 5))
    title = f"{rng.choice(['Weekly sync', '1:1', 'Design review', 'Customer call'])} #{index}"
    lines = [
        "---",
        "type: meeting",
        f"title: '{title}'",
        f"date: '{day.isoformat()}'",
        "participants:",
        *(f"- {p}" for p in ["Myself", *people]),
        "source: transcript",
        f"source_ref: Inbox/Transcripts/{day.isoformat()} - {title}.md",
        "tags:",
        "- type/meeting",
        f"- person/{people[0].split()[0].lower()}",
        "- generated",
        "---",
        "",
        f"# {title}",
        "",
        f"**Date**: {day.isoformat()}",
        f"**Attendees**: Myself, {', '.join(people)}",
        "",
        "## Summary",
        "",
        " ".join(rng.sample(FACTS, 4)),
        "",
        "## Action Items",
        "",
    ]
    n_items = rng.randint(10, 12)
    for _ in range(n_items):
        owner = rng.choice(["Myself", *people])
        due = day + timedelta(days=rng.randint(1, 21))
        status = rng.choice(STATUSES)
        text = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(QUALIFIERS)}"
        fields = [f"@{owner}", f"📅 {due.isoformat()}"]
        if priority := rng.choice(PRIORITIES):
            fields.append(priority)
        if status == "x":
            fields.append(f"✅ {due.isoformat()}")
        elif status == "-":
            fields.append(f"❌ {day.isoformat()}")
        tags = ["#task"] + (["#proposed"] if status == "?" else [])
        if rng.random() < 0.05:
            tags.append(rng.choice(["#rfe", "#feature", "#accepted"]))
        lines.append(f"- [{status}] {text} {' '.join(fields)} {' '.join(tags)}")
    lines += ["", "## Decisions", ""]
    lines += [f"- {d}" for d in rng.sample(DECISIONS, rng.randint(2, 4))]
    lines += ["", "## Key Information", ""]
    lines += [f"- {f}" for f in rng.sample(FACTS, rng.randint(6, 9))]
    lines += ["", "---", "", f"*Source: [[{day.isoformat()} - {title}]]*", "", "## Related", ""]
    lines += [f"- [[{p}]]" for p in people]
    return "\n".join(lines) + "\n", n_items


def damage(clean: str, codec: str) -> bytes:
    """The note as a tool that decoded its UTF-8 as ``codec`` (dropping bytes) saved it."""
    return clean.encode("utf-8").decode(codec, errors="ignore").encode("utf-8")


def generate(root: Path, notes: int, damaged_ratio: float, seed: int) -> dict[str, int]:
    """Write the synthetic vault into ``root`` (100 notes a folder); return what was written."""
    rng = random.Random(seed)
    written = {"notes": 0, "items": 0, "damaged": 0, "bytes": 0}
    for index in range(notes):
        folder = root / f"{index // 100:04d}"
        if index % 100 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        text, n_items = _note_text(rng, index)
        if rng.random() < damaged_ratio:
            data = damage(text, rng.choice(DAMAGE_CODECS))
            written["damaged"] += 1
        else:
            data = text.encode("utf-8")
        (folder / f"note-{index:05d}.md").write_bytes(data)
        written["notes"] += 1
        written["items"] += n_items
        written["bytes"] += len(data)
    return written


# --------------------------------------------------------------------------------------------
# Measurement (runs in a fresh child process)
# --------------------------------------------------------------------------------------------


def _pin_to_one_core() -> int | None:
    """Pin this process to a single CPU so the number means 'one core' on any machine."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def measure(root: Path, profile: bool) -> dict[str, object]:
    """Import plansync and scan ``root`` once, cold; the child's whole job."""
    cpu = _pin_to_one_core()
    t0 = time.perf_counter()
    import plansync  # imported here: its import time is measured, apart from the scan

    scan_vault = plansync.scan_vault  # the package loads the parser when this is first asked
    t1 = time.perf_counter()
    profiler = None
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = time.process_time()
    t2 = time.perf_counter()
    vault = scan_vault(root)
    t3 = time.perf_counter()
    cpu1 = time.process_time()
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    profile_text = ""
    if profiler is not None:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        profile_text = out.getvalue()
    return {
        "plansync": str(Path(plansync.__file__).parent),
        "cpu": cpu,
        "import_s": t1 - t0,
        "scan_s": t3 - t2,
        "scan_cpu_s": cpu1 - cpu0,
        "scan_sys_s": usage1.ru_stime - usage0.ru_stime,
        "rss_growth_mb": (usage1.ru_maxrss - usage0.ru_maxrss) / 1024,  # Linux: KiB
        "page_faults": usage1.ru_minflt - usage0.ru_minflt,
        "notes": len(vault.notes),
        "items": sum(len(n.items) for n in vault.notes),
        "actions": sum(1 for n in vault.notes for i in n.items if i.kind == "action"),
        "repaired_items": sum(1 for n in vault.notes for i in n.items if i.repaired),
        "warnings": len(vault.warnings) + sum(len(n.warnings) for n in vault.notes),
        "profile": profile_text,
    }


# The floor: a reader that does close to nothing with a note, to tell this machine's speed
# apart from plansync's. It reads the file, loads the front matter with libyaml's C loader (no
# python-frontmatter), and cuts each task line with two regexes into a bare object: no fences,
# headings, decisions, damaged text, field values, owners' rules or models.
FLOOR_TASK = r"^[ \t>]*(?:[-*+]|\d+[.)]) +\[(.)\] *(.*)$"
FLOOR_FIELDS = r"(?: +(?:[📅✅❌⏳🛫➕] *\d{4}-\d\d-\d\d|[🔺⏫🔼🔽⏬]|#[^\s#]+))+$"


def measure_floor(root: Path) -> dict[str, object]:
    """Scan ``root`` with the floor reader above, in this fresh process, once."""
    import re

    import yaml

    cpu = _pin_to_one_core()
    task, fields = re.compile(FLOOR_TASK, re.MULTILINE), re.compile(FLOOR_FIELDS)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Bare:
        pass

    t0 = time.perf_counter()
    paths = [Path(d, f) for d, _, files in os.walk(root) for f in files if f.endswith(".md")]
    items = []
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        text = os.read(fd, 1 << 22).decode("utf-8", "replace")
        os.close(fd)
        end = text.find("\n---\n", 3)
        yaml.load(text[4:end], Loader=loader)
        for line in task.finditer(text, end):
            body = line.group(2)
            run = fields.search(body)
            item = Bare()
            item.__dict__.update(status=line.group(1), text=body[: run.start()] if run else body)
            items.append(item)
    return {"cpu": cpu, "scan_s": time.perf_counter() - t0, "notes": len(paths)}


def run_child(root: Path, profile: bool, *, floor: bool = False) -> dict[str, object]:
    """Measure in a new interpreter: nothing cached from generation leaks into the scan."""
    command = [sys.executable, __file__, "--measure", str(root)]
    if profile:
        command.append("--profile")
    if floor:
        command.append("--floor")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"measurement failed:\n{done.stderr}")
    return json.loads(done.stdout)


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=10_000, help="notes to generate (10000)")
    parser.add_argument("--dir", type=Path, help="generate here instead of a temp folder")
    parser.add_argument("--keep", action="store_true", help="keep the generated vault")
    parser.add_argument("--profile", action="store_true", help="cProfile top 25 by cumtime")
    parser.add_argument("--damaged", type=float, default=0.10, help="share of damaged notes")
    parser.add_argument(
        "--seed", type=int, default=20251103, help="seed of the generated vault (20251103)"
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also time a reader that does close to nothing (this machine's floor)",
    )
    parser.add_argument(
        "--measure",
        type=Path,
        metavar="DIR",
        help="generate nothing: measure the existing vault DIR (one --dir DIR --keep wrote) in"
        " this process and print the figures as JSON (with --floor, the floor reader's); the"
        " default run measures the vault it generates so, in a fresh process",
    )
    args = parser.parse_args(argv)

    if args.measure is not None:  # child mode
        found = measure_floor(args.measure) if args.floor else measure(args.measure, args.profile)
        json.dump(found, sys.stdout)
        return 0

    if args.dir is not None:
        if args.dir.exists() and any(args.dir.iterdir()):
            sys.exit(f"{args.dir} is not empty; give an empty or new folder")
        args.dir.mkdir(parents=True, exist_ok=True)
        root = args.dir
    else:
        root = Path(tempfile.mkdtemp(prefix="plansync-bench-"))
    try:
        t0 = time.perf_counter()
        written = generate(root, args.notes, args.damaged, args.seed)
        gen_s = time.perf_counter() - t0
        print(
            f"generated {written['notes']:,} notes ({written['damaged']:,} damaged), "
            f"{written['items']:,} action items, {written['bytes'] / 1e6:.1f} MB "
            f"in {gen_s:.2f} s  → {root}"
        )
        result = run_child(root, args.profile)
        floor = run_child(root, False, floor=True) if args.floor else None
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    scan_s = float(result["scan_s"])  # type: ignore[arg-type]
    notes_per_s = int(result["notes"]) / scan_s  # type: ignore[call-overload]
    items_per_s = int(result["items"]) / scan_s  # type: ignore[call-overload]
    print(
        f"python {sys.version.split()[0]}, pinned to cpu {result['cpu']}, "
        f"plansync from {result['plansync']}"
    )
    print(f"import plansync: {float(result['import_s']):.3f} s")  # type: ignore[arg-type]
    print(
        f"cold scan_vault:  {scan_s:.2f} s wall, "
        f"{float(result['scan_cpu_s']):.2f} s cpu"  # type: ignore[arg-type]
        + ("  (under cProfile: slower than real)" if args.profile else "")
    )
    print(
        f"memory: peak RSS +{float(result['rss_growth_mb']):.0f} MB, "  # type: ignore[arg-type]
        f"{result['page_faults']:,} page faults, "
        f"{float(result['scan_sys_s']):.2f} s in the kernel"  # type: ignore[arg-type]
    )
    print(
        f"read {result['notes']:,} notes, {result['items']:,} items "
        f"({result['actions']:,} actions, {result['repaired_items']:,} repaired), "
        f"{result['warnings']:,} warnings"
    )
    verdict = "ok" if notes_per_s >= TARGET_NOTES_PER_S else "BELOW TARGET"
    print(
        f"{notes_per_s:,.0f} notes/s, {items_per_s:,.0f} items/s "
        f"(target {TARGET_NOTES_PER_S:,} notes/s: {verdict})"
    )
    if floor is not None:
        floor_per_s = int(floor["notes"]) / float(floor["scan_s"])  # type: ignore[call-overload, arg-type]
        print(
            f"floor (a reader that does close to nothing, see FLOOR_TASK): {floor_per_s:,.0f}"
            f" notes/s; plansync runs at {notes_per_s / floor_per_s:.0%} of it"
        )
    if written["items"] != result["actions"]:
        print(f"note: wrote {written['items']:,} action items, read {result['actions']:,}")
    if args.profile:
        print(result["profile"])
    if args.keep:
        print(f"vault kept in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
