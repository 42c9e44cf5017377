"""The embedded default: sandboxes kept under ``.plansync/sandbox``, served for one command.

A vault synced with no Jira URL configured goes here, so that ``plansync sync`` works on a fresh
machine with no network and no account, and nothing is ever sent anywhere by surprise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from plansync.sandbox.jira_app import JiraSandbox
from plansync.sandbox.salesforce_app import SalesforceSandbox
from plansync.sandbox.server import serve_in_thread
from plansync.sandbox.tls import make_loopback_certificate

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


@contextmanager
def embedded_salesforce(state_dir: Path) -> Iterator[tuple[str, requests.Session]]:
    """Serve the Salesforce sandbox over loopback TLS; yields its URL and a session trusting it.

    Over TLS because simple-salesforce only speaks ``https://`` (see :mod:`.tls`); the
    throwaway certificate lives beside the sandbox's state and is made anew each run.
    """
    folder = state_dir / "sandbox"
    folder.mkdir(parents=True, exist_ok=True)
    certificate = make_loopback_certificate(folder / "tls")
    app = SalesforceSandbox(folder / "salesforce.db")
    context = certificate.server_context()
    try:
        try:
            server = serve_in_thread(app, PREFERRED_PORT + 1, ssl_context=context)
        except OSError:
            server = serve_in_thread(app, 0, ssl_context=context)
        with server:
            yield server.url, certificate.client_session()
    finally:
        app.close()
