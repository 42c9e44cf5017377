"""The ``plansync`` command's entry point, and ``python -m plansync``.

Not :func:`plansync.cli.main` itself: the command line's modules (click, pydantic, the notes'
parser) take a fifth of a second to load, and a Ctrl-C meanwhile, before click or the command
could catch it, printed a Python traceback of the import it stopped. This module loads none of
them before it can catch it (:mod:`plansync` loads its names lazily). What comes before it is
Python's own start-up (its ``site`` module), which no module of plansync's can guard.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run the command line; a Ctrl-C while it loads exits 130, as one while it runs does."""
    try:
        from plansync.cli import main as command
    except KeyboardInterrupt:
        # As the command line's own Ctrl-C says it (after the "^C" the terminal printed), and
        # 128 + SIGINT, as a shell reports a command Ctrl-C stopped ("signal" is not loaded yet).
        sys.stderr.write("\nInterrupted.\n")
        sys.exit(130)
    command()


if __name__ == "__main__":
    main()
