"""The package's logger, ``plansync``, under which each module logs by its own name.

A library leaves logging's configuration to the program: it adds no handler but a
``NullHandler``. Without that one, Python's last-resort handler would print the package's
warnings (a lock waited for, a rate limit waited out) on the stderr of a program that configured
no logging. The command line shows them as ``warning:`` lines
(:func:`plansync.cli._warnings_as_lines`). Added here, by the modules that log, not by the
package's ``__init__``: ``import plansync`` and the notes' parser never load :mod:`logging`,
whose import takes several milliseconds.
"""

from __future__ import annotations

import logging

logging.getLogger("plansync").addHandler(logging.NullHandler())


def logger(name: str) -> logging.Logger:
    """The logger of the module ``name`` (its ``__name__``), below ``plansync``'s."""
    return logging.getLogger(name)
