"""Both sandboxes served side by side until stopped: what ``plansync sandbox serve`` runs.

Jira gets the port asked for or none, since a client was told that port (over TLS too when
asked, with the same throwaway CA: a Jira Data Center whose certificate a company's own CA
signed, tried with ``[jira] ca_bundle``); Salesforce, over TLS (see :mod:`.tls`), the next one
or none: the help promises it PORT+1, and the record links
written into notes name its port, so a run on another port is another site to the state store.
Without a state folder the records live in memory, and the throwaway CA's private key
in a temporary folder that goes when the sandboxes stop.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from plansync.sandbox import DEFAULT_PROJECT, Workflow
from plansync.sandbox.jira_app import JiraSandbox, Mode
from plansync.sandbox.salesforce_app import SalesforceSandbox
from plansync.sandbox.server import RunningServer, serve_in_thread
from plansync.sandbox.tls import make_loopback_certificate


class PortUnavailable(Exception):
    """A sandbox cannot have its port (in use, or not allowed): Jira the one asked for,
    Salesforce the next."""


@dataclass(frozen=True)
class ServedSandboxes:
    """What a client is told: where each sandbox answers and which CA to trust."""

    jira: RunningServer
    salesforce: RunningServer
    ca_path: Path
    """The CA a Salesforce client must trust (the config's ``ca_bundle``), and a Jira client
    with ``jira_tls``."""
    state: Path | None
    """The folder the records are kept in; None: in memory."""


@contextmanager
def serve_both(
    port: int,
    *,
    mode: Mode = "cloud",
    latency_ms: int = 0,
    state_dir: Path | None = None,
    projects: tuple[str, ...] = (DEFAULT_PROJECT,),
    workflow: Workflow = "all",
    jira_tls: bool = False,
) -> Iterator[ServedSandboxes]:
    """Serve the Jira sandbox on ``port`` and the Salesforce one beside it while the block runs.

    ``state_dir`` (made if missing) keeps their databases and the CA, so that a printed
    ``ca_bundle`` stays valid from one run to the next; it is made absolute, as a config in
    another folder reads the CA's path relative to itself. ``projects``: the Jira sandbox's own
    first, then more for a config whose rules send items to several. ``workflow``: the Jira
    sandbox's (:data:`~plansync.sandbox.Workflow`). ``jira_tls``: Jira is served over TLS
    too, with the certificate Salesforce's is. Nothing is printed before
    both are bound: a port that cannot be had, ``port`` or ``port + 1``, is
    :class:`PortUnavailable`.
    """
    with ExitStack() as cleanup:
        if state_dir is None:  # the certificate's key goes when the sandboxes stop
            folder = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="plansync-")))
        else:
            folder = state_dir.resolve()
            folder.mkdir(parents=True, exist_ok=True)
        jira = JiraSandbox(
            folder / "jira.db" if state_dir else ":memory:",
            mode=mode,
            project_key=projects[0],
            projects=projects[1:],
            latency_ms=latency_ms,
            workflow=workflow,
        )
        cleanup.callback(jira.close)
        certificate = make_loopback_certificate(folder / "tls")
        context = certificate.server_context()
        salesforce = SalesforceSandbox(
            folder / "salesforce.db" if state_dir else ":memory:", latency_ms=latency_ms
        )
        cleanup.callback(salesforce.close)
        try:
            served_jira = cleanup.enter_context(
                serve_in_thread(jira, port, context if jira_tls else None)
            )
        except OSError as exc:
            raise PortUnavailable(
                f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}"
            ) from None
        try:
            served_salesforce = cleanup.enter_context(
                serve_in_thread(salesforce, port + 1, context)
            )
        except OSError as exc:
            raise PortUnavailable(
                f"cannot serve the Salesforce sandbox on 127.0.0.1:{port + 1} (the port after"
                f" Jira's): {exc.strerror or exc}"
            ) from None
        yield ServedSandboxes(
            served_jira, served_salesforce, certificate.ca_path, folder if state_dir else None
        )
