"""The embedded default: sandboxes kept under ``.plansync/sandbox``, served for one command.

A vault synced with no Jira URL configured goes here, so that ``plansync sync`` works on a fresh
machine with no network and no account, and nothing is ever sent anywhere by surprise.

A plan is a dry run, so with ``persist=False`` a sandbox that has no database yet is served from
memory (an empty sandbox answers exactly as a new file would) and nothing is created on disk.
The TLS certificate is throwaway and made anew each run, so it always lives in a temporary folder
removed when the sandbox stops, and a plan never rewrites anything under ``.plansync``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from plansync.sandbox import DEFAULT_PROJECT, PREFERRED_PORT
from plansync.sandbox.jira_app import JiraSandbox
from plansync.sandbox.salesforce_app import DEFAULT_OBJECTS, SalesforceSandbox
from plansync.sandbox.server import LOOPBACK, serve_preferring
from plansync.sandbox.tls import make_loopback_certificate

JIRA_LINKS = f"http://{LOOPBACK}:{PREFERRED_PORT}"
"""The base URL of the key links to the embedded Jira sandbox's issues, whichever port a run
serves it on: a link written while the preferred port was taken (by ``plansync sandbox serve``,
or a run of another vault) named that run's port, dead by the next run."""
SALESFORCE_LINKS = f"https://{LOOPBACK}:{PREFERRED_PORT + 1}"
"""The base URL of the key links to the embedded Salesforce sandbox's records (see above)."""


def _database(state_dir: Path, name: str, persist: bool) -> Path | str:
    """``state_dir/sandbox/name``, made if needed when ``persist``; else that file if it exists
    (a plan reads what earlier syncs made), or ``":memory:"`` (a plan leaves nothing behind)."""
    path = state_dir / "sandbox" / name
    if path.exists():
        return path
    if not persist:
        return ":memory:"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def embedded_jira(
    state_dir: Path, *, projects: Iterable[str] = (), persist: bool = True
) -> Iterator[str]:
    """Serve the sandbox whose state lives in ``state_dir/sandbox``; yields its base URL.

    ``projects`` are made beside :data:`DEFAULT_PROJECT`: those the config's rules send items
    to, so that a config for several projects syncs here as it would with the real Jira.
    It takes :data:`PREFERRED_PORT` when free, and any free port otherwise; the key links its
    connector writes into notes name the preferred port either way (:data:`JIRA_LINKS`).
    """
    app = JiraSandbox(
        _database(state_dir, "jira.db", persist),
        mode="cloud",
        project_key=DEFAULT_PROJECT,
        projects=projects,
        dry_run=not persist,
    )
    try:
        with serve_preferring(app, PREFERRED_PORT) as server:
            yield server.url
    finally:
        app.close()


@contextmanager
def embedded_salesforce(
    state_dir: Path, *, objects: Iterable[str] = (), persist: bool = True
) -> Iterator[tuple[str, requests.Session]]:
    """Serve the Salesforce sandbox over loopback TLS; yields its URL and a session trusting it.

    Over TLS because simple-salesforce only speaks ``https://`` (see :mod:`.tls`). Its
    objects are the default rules' and ``objects``: those the config's rules write to.
    """
    app = SalesforceSandbox(
        _database(state_dir, "salesforce.db", persist),
        objects=dict.fromkeys([*DEFAULT_OBJECTS, *objects]),
        dry_run=not persist,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="plansync-tls-") as folder:
            certificate = make_loopback_certificate(Path(folder))
            context = certificate.server_context()
            with serve_preferring(app, PREFERRED_PORT + 1, context) as server:
                yield server.url, certificate.client_session()
    finally:
        app.close()
