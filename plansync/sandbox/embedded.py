"""The embedded default: a Jira sandbox kept under ``.plansync/sandbox``, served for one command.

A vault synced with no Jira URL configured goes here, so that ``plansync sync`` works on a fresh
machine with no network and no account, and nothing is ever sent anywhere by surprise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from plansync.sandbox.jira_app import JiraSandbox
from plansync.sandbox.server import serve_in_thread

PREFERRED_PORT = 8990


@contextmanager
def embedded_jira(state_dir: Path, project_key: str = "PLAN") -> Iterator[str]:
    """Serve the sandbox whose state lives in ``state_dir/sandbox``; yields its base URL.

    It takes port 8990 when free, so that key links written into notes stay the same from one
    run to the next, and any free port otherwise.
    """
    folder = state_dir / "sandbox"
    folder.mkdir(parents=True, exist_ok=True)
    app = JiraSandbox(Path(folder) / "jira.db", mode="cloud", project_key=project_key)
    try:
        try:
            server = serve_in_thread(app, PREFERRED_PORT)
        except OSError:
            server = serve_in_thread(app, 0)
        with server:
            yield server.url
    finally:
        app.close()
