"""Which backend a URL names: a sandbox on this machine, or a host and port elsewhere.

What a sandbox on this machine synced is a trial run's (see :mod:`plansync.engine.plan`, "Trial
runs"), and a saved plan is applied only to the backends it was made against: both need to
tell backends apart by their URLs, credentials and paths aside.

Two sandboxes are two backends, as two real sites are: the embedded one (:data:`EMBEDDED`) and
each one ``plansync sandbox serve`` serves, by its port. Their issue keys start at PLAN-1 each,
so a record or key link of one is no record of the other.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from plansync.sandbox import PREFERRED_PORT

if TYPE_CHECKING:
    from plansync.connectors.base import Connector

EMBEDDED = "the embedded sandbox"
"""The site of the embedded sandboxes (kept under ``.plansync/sandbox``, served for one
command): whichever port a run serves them on, their key links name :data:`EMBEDDED_PORTS`."""
EMBEDDED_PORTS = {"http": PREFERRED_PORT, "https": PREFERRED_PORT + 1}
"""The ports the embedded Jira (http) and Salesforce (https) sandboxes' links name."""
THIS_MACHINE = "this machine"
"""What every sandbox on loopback was, as one site, before sandboxes were told apart: a journal
entry or a saved plan may still say it, and it stands for any of them."""
LOOPBACK = "127.0.0.1"
"""How a site on this machine is named, whichever loopback name its URL gave."""


def site_of(url: str) -> str:
    """Which backend ``url`` names, for telling one from another: ``host:port`` (no scheme, path
    or credentials; a loopback host as ``127.0.0.1``), or :data:`EMBEDDED` (a connector's own
    name for the embedded sandbox, whose port changes from one run to the next)."""
    if url in (EMBEDDED, THIS_MACHINE):
        return url
    return _site(_origin(url))


def _origin(url: str) -> str:
    """``scheme://netloc`` of ``url``: what its site depends on, so that the answer is cached
    per origin (every record the state store shows is asked about)."""
    scheme, sep, rest = url.partition("://")
    return scheme + sep + rest.split("/", 1)[0] if sep else url


@lru_cache(maxsize=256)
def _site(url: str) -> str:
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return ""
    if not parts.hostname:
        return ""
    host = LOOPBACK if _on_this_machine(url) else parts.hostname
    return f"{host}:{port}" if port else host


def record_site(url: str) -> str:
    """The site of a record (or a key link) known only by its URL: one on this machine at the
    port the embedded sandbox's links name is the embedded sandbox's, as those links are
    written whichever port it has (a sandbox served on that port is told apart by the site
    the state store keeps with each record it syncs)."""
    return _record_site(_origin(url))


@lru_cache(maxsize=256)
def _record_site(url: str) -> str:
    if _on_this_machine(url):
        try:
            parts = urlsplit(url)
            if parts.port is not None and parts.port == EMBEDDED_PORTS.get(parts.scheme):
                return EMBEDDED
        except ValueError:
            pass
    return _site(url)


def names_site(url: str, site: str) -> bool:
    """Whether a key link to ``url`` may be of ``site``: its host and port, or the embedded
    sandbox's link port for the embedded sandbox (a link there is either's)."""
    if site == THIS_MACHINE:
        return on_this_machine(url)
    return site in (site_of(url), record_site(url))


def local_site(site: str | None) -> bool:
    """Whether ``site`` is a sandbox on this machine (embedded or served)."""
    return site is not None and (
        site in (EMBEDDED, THIS_MACHINE) or site.startswith(LOOPBACK + ":")
    )


def same_site(one: str, other: str) -> bool:
    """Whether two sites are one backend; :data:`THIS_MACHINE`, as older plans and journals
    name a sandbox, is any sandbox."""
    if THIS_MACHINE in (one, other):
        return local_site(one) and local_site(other)
    return one == other


def described(title: str, site: str) -> str:
    """A backend named in a message: "the embedded Jira sandbox", "the Jira at host:port"."""
    if site == EMBEDDED:
        return f"the embedded {title} sandbox"
    return f"the {title} at {site}"


def on_this_machine(url: str) -> bool:
    """Whether ``url`` points at this machine (a loopback host): a sandbox, embedded or served.

    Records and key links made there are a trial run's, never a real backend's. Asked of every
    record the state store shows, so answered once per scheme and host (``https://host``): a
    URL's parse took a second of a no-op sync of 20,000 items."""
    return _on_this_machine(_origin(url))


@lru_cache(maxsize=64)
def _on_this_machine(url: str) -> bool:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if not host:
        return False
    host = host.rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return address.is_loopback or address.is_unspecified or bool(mapped and mapped.is_loopback)


def site_of_connector(connector: Connector | None) -> str | None:
    """The site of the backend a connector talks to; None without a connector."""
    return None if connector is None else site_of(connector.site)
