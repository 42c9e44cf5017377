"""The Salesforce connector's names for what it is given: the API names and version it accepts,
its login flows, and where the config names a field or value of an object.

Separate from :mod:`plansync.connectors.base`, which is the backend-neutral interface the
engine calls and should say nothing of one backend, and from the connector and its logins,
which import simple-salesforce and PyJWT: the config checks these (naming the key) when it is
read, and importing this module costs it nothing but ``re``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

SF_API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
"""An object or field API name: safe in SOQL as it is."""
SF_API_VERSION = re.compile(r"\d+\.\d")
"""An API version as Salesforce's REST paths spell it: '59.0'."""
SfAuth = Literal["jwt", "client_credentials", "session", "password"]
"""The Salesforce connector's login flows (``[salesforce] auth``)."""


@dataclass(frozen=True)
class SfSetting:
    """Where the config names a field of a Salesforce object, or a value it writes into one:
    ``key`` is the setting as a message names it (``salesforce.rules[0].fields``,
    ``salesforce.rules[0].priority_map.high``), ``field`` the field of ``sobject`` records it
    names, and ``value`` what it writes there, where it maps an item's word to the field's own
    (a priority to a picklist value). The connector names the key where Salesforce would refuse,
    or refused, the field or the value."""

    key: str
    sobject: str
    field: str
    value: str | None = None
