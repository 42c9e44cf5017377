"""How a long step says how far it got: ``progress(step, done, total)``, called before each
batch and once at the end, so a caller (the CLI's stderr lines) can tell a slow run from a hung
one. The library reports; printing, and how often, is the caller's choice."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


def silent(step: str, done: int, total: int) -> None:
    """The progress of a caller that asked for none."""
