"""The ``plansync`` command: parse arguments, call the library, print. Nothing else lives here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from plansync import __version__
from plansync.notes.model import Item, Note
from plansync.notes.vault import scan_vault


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="plansync")
def main() -> None:
    """Sync meeting notes to Jira and Salesforce."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the parse contract as JSON.")
def parse(paths: tuple[Path, ...], as_json: bool) -> None:
    """Read notes (files or folders) and print their items."""
    notes: list[Note] = []
    for path in paths:
        vault = scan_vault(path)
        notes += vault.notes
        for warning in vault.warnings:
            click.echo(f"warning: {warning}", err=True)
        for note in vault.notes:
            note.path = str(path / note.path) if path.is_dir() else str(path)
    if as_json:
        json.dump(
            {"notes": [n.to_contract() for n in notes]}, sys.stdout, ensure_ascii=False, indent=2
        )
        sys.stdout.write("\n")
        return
    for note in notes:
        _print_note(note)


def _print_note(note: Note) -> None:
    click.secho(f"{note.path}  {note.title or ''}  {note.date or ''}", bold=True)
    for item in note.items:
        click.echo("  " + _item_row(item))
    for warning in note.warnings:
        click.secho(f"  warning: {warning}", fg="yellow", err=True)


def _item_row(item: Item) -> str:
    mark = "✓" if item.accepted else "·"
    status = f"[{item.status}]" if item.status is not None else "dec"
    keys = " ".join(f"{k}={v}" for k, v in item.keys.items())
    parts = [
        f"{item.line:>4}",
        mark,
        status,
        item.text[:70] + ("…" if len(item.text) > 70 else ""),
        f"@{item.owner}" if item.owner else "",
        f"due {item.due}" if item.due else "",
        item.priority if item.priority != "none" else "",
        keys,
        f"^{item.block_id}" if item.block_id else "",
        "(repaired)" if item.repaired else "",
    ]
    return "  ".join(p for p in parts if p)
