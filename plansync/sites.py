"""Which backend a URL names: a sandbox on this machine, or a host and port elsewhere.

What a sandbox on this machine synced is a trial run's (see :mod:`plansync.engine.plan`, "Trial
runs"), and a saved plan is applied only to the backends it was made against: both need to
tell backends apart by their URLs, credentials and paths aside.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from plansync.connectors.base import Connector

THIS_MACHINE = "this machine"


def site_of(url: str) -> str:
    """Which backend ``url`` names, for telling one from another: ``host:port`` (no scheme, path
    or credentials), or "this machine" for any sandbox on loopback, whose port may change from
    one run to the next."""
    if on_this_machine(url):
        return THIS_MACHINE
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return ""
    if not parts.hostname:
        return ""
    return f"{parts.hostname}:{port}" if port else parts.hostname


def on_this_machine(url: str) -> bool:
    """Whether ``url`` points at this machine (a loopback host): a sandbox, embedded or served.

    Records and key links made there are a trial run's, never a real backend's. Asked of every
    record the state store shows, so answered once per scheme and host (``https://host``): a
    URL's parse took a second of a no-op sync of 20,000 items."""
    scheme, sep, rest = url.partition("://")
    return _on_this_machine(scheme + sep + rest.split("/", 1)[0] if sep else url)


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
