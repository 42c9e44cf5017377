"""The one base class of every error a library caller can meet that is not a bug.

A pipeline that imports plansync wants one ``except plansync.PlansyncError`` around a plan or
a sync, not a list of classes gathered from five internal modules (and a bare
``sqlite3.DatabaseError`` for a damaged state store). Each subclass says what went wrong in a
message that names the file, line or key at fault and never quotes a secret, so it can be
logged or posted as it is.
"""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:  # the command line's entry point loads no pydantic before it must
    from pydantic import ValidationError


class PlansyncError(Exception):
    """A plan or a sync could not go on: a bad config, a backend that refused a whole call, a
    note saved while it was read, a stale plan, a state store that is locked or damaged."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the error as it is, without calling ``__init__`` again: the default calls
        ``cls(*args)`` with the message alone, which a subclass whose ``__init__`` takes more
        (``StalePlan``'s keyword-only ``rerun``) refuses with a TypeError, so an error raised
        in a worker process broke the pool (``BrokenProcessPool``, a ``Pool.get`` that hangs)
        instead of reaching the caller. Its attributes come back from ``__dict__``."""
        return (_unpickled, (type(self), self.args), self.__dict__)


def _unpickled(cls: type[PlansyncError], args: tuple[Any, ...]) -> PlansyncError:
    """A ``cls`` error with ``args``, made as ``__reduce__`` says, its ``__init__`` not run (the
    message in ``args`` is already the one it made, redacted)."""
    return cls.__new__(cls, *args)


class ConfigError(PlansyncError, ValueError):
    """The settings cannot be used: a config file's mistake (the message names the file and
    the key), or a settings model built in code with a value it cannot take (the message
    names the model and the key; see :mod:`plansync.settings`).

    A ``ValueError`` too, as pydantic's ``ValidationError`` is: a caller that caught that for
    a policy built in code still catches this.

    What the message names is also data, so that a tool (an editor marking the line, a
    service answering with the key to fix) need not parse it: ``source``, the config file
    (None for settings built in code, or when no file was found); ``key``, the dotted key at
    fault (``"vault.path"``, ``"rules[0].project"``; the first when the message names several;
    None when the file as a whole is at fault); ``line``, the file's line (1-based) where it
    is known (a file that is not UTF-8 or not TOML), else None. Never a value: a value may
    be a secret."""

    def __init__(
        self,
        message: str,
        *,
        source: Path | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.source = source
        self.key = key
        self.line = line


def raise_alone(error: BaseException) -> NoReturn:
    """Raise ``error``, in an ``except`` block, without the error handled there as its
    context. ``raise ... from None`` only hides that one from a traceback: it stays the new
    error's ``__context__``, and a library's error quotes what it was given (pydantic's
    ``input_value=``, a header's value, a UnicodeEncodeError's whole text), so any report that
    walks an error's chain showed the secret plansync's own message leaves out."""
    try:
        raise error
    finally:
        error.__context__ = None


def wrong_type(call: str, expected: str, given: object, remedy: str) -> TypeError:
    """The TypeError a library function raises at once for an argument of the wrong type:
    passed on, a path for a Config or a dict for a policy failed deep inside, as an
    AttributeError that named neither the argument nor what to pass instead."""
    shown = "None" if given is None else f"{type(given).__name__} {reprlib.repr(given)}"
    return TypeError(f"{call} takes {expected}, not {shown}: {remedy}")


def first_problem(exc: ValidationError) -> str:
    """A validation error in one line: its first mistake, by where it is, and how many more
    there are (``changes: Input should be a valid array (and 2 more)``)."""
    errors = exc.errors(include_url=False)
    where = ".".join(str(part) for part in errors[0]["loc"])
    problem = f"{where}: {errors[0]['msg']}" if where else errors[0]["msg"]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return problem + more
