"""Connectors made from a config: the configured Jira and Salesforce, or the embedded sandbox
standing in for a backend that is not configured.

What a config says becomes the connectors' arguments here (a key file or CA bundle named
relative to the config's folder, the credentials of the login flow chosen), and a backend
without a URL is served from the embedded sandbox while the block runs. Kept apart from
:mod:`plansync.sync`, the library's entry points, which take connectors as they come (a caller
may give its own). The sandboxes are imported only where one is started: the apps take a
tenth of a second to load, which a run against the real backends, and the plain
``import plansync.sync``, never needs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import TypeVar

import requests

from plansync.config import URL_SETTINGS, Config
from plansync.connectors.base import Connector
from plansync.connectors.jira import JiraConnector
from plansync.connectors.salesforce import SalesforceConnector
from plansync.engine.state import StateError
from plansync.errors import ConfigError
from plansync.redact import key_file
from plansync.sandbox import PROJECT_KEY, PROJECT_KEY_RULE
from plansync.sites import EMBEDDED

_T = TypeVar("_T")


EMBEDDED_CREDENTIAL = "plansync-embedded-sandbox-credential"
"""What the connectors send the embedded sandboxes, which take any. Connectors register their
credentials for redaction, however short: this one must be no word a message holds ("sandbox"
was blanked from every message after a sandbox run)."""


def _enter_sandbox(stack: ExitStack, sandbox: AbstractContextManager[_T]) -> _T:
    """Start an embedded sandbox; its database under ``.plansync/sandbox`` damaged is a
    :class:`StateError` (a :class:`plansync.PlansyncError`), like a damaged state store, so
    that a library caller catches both the same way."""
    try:
        return stack.enter_context(sandbox)
    except StateError:
        raise
    except sqlite3.DatabaseError as exc:
        raise StateError(str(exc)) from None


@contextmanager
def jira_connection(config: Config, *, persist: bool = True) -> Iterator[JiraConnector]:
    """A connector for the configured Jira, or for the embedded sandbox while the block runs
    (kept under the state folder; not created there unless ``persist``, see :mod:`.embedded`)."""
    jira = config.jira
    if config.jira_embedded:
        with ExitStack() as stack:
            from plansync.sandbox.embedded import JIRA_LINKS, embedded_jira

            sandbox = embedded_jira(
                config.state_dir,
                projects=embedded_projects(config),
                persist=persist,
            )
            url = _enter_sandbox(stack, sandbox)
            # Its workflow is its own (Done, Won't Do), so cancel_transition and
            # cancelled_status_names, which describe the real Jira's, are not given to it.
            yield JiraConnector(
                url,
                "plansync",
                EMBEDDED_CREDENTIAL,
                deployment="cloud",
                timeout=jira.timeout,
                links_base=JIRA_LINKS,
                site_name=EMBEDDED,
            )
        return
    yield JiraConnector(
        jira.url,
        jira.user or None,
        jira.token.get_secret_value() or None,
        deployment=jira.deployment,
        timeout=jira.timeout,
        max_retries=jira.max_retries,
        max_backoff=jira.max_backoff,
        api_version=jira.api_version,
        cancel_transition=jira.cancel_transition,
        cancelled_status_names=jira.cancelled_status_names,
        ca_bundle=ca_bundle(config, "jira.ca_bundle", jira.ca_bundle),
    )


def config_file(config: Config, key: str, given: str) -> Path:
    """A file the config names at ``key``: relative to the config's folder (``~`` is the home
    folder), and there, or a ConfigError naming the key rather than the error of whichever
    library opens it (requests' "Could not find a suitable TLS CA certificate bundle")."""
    path = config.base_dir / Path(given).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"{config.where}: '{key}' = {given!r}: {path} is not a file",
            source=config.source,
            key=key,
        )
    return path


def ca_bundle(config: Config, key: str, given: str) -> str | None:
    """The CA file a backend's ``ca_bundle`` names (``key``), as :func:`config_file` reads it;
    None, unset: the system's CAs are trusted, or those ``REQUESTS_CA_BUNDLE`` names."""
    return str(config_file(config, key, given)) if given else None


def private_key(config: Config) -> str | None:
    """``salesforce.private_key_file`` relative to the config's folder, like ``vault.path``
    and ``ca_bundle``: read as given, it was relative to the current folder, so the same
    sync failed to log in when run from a folder below the config. PEM text (from a
    variable holding the key itself) is passed as it is."""
    assert config.salesforce is not None
    given = config.salesforce.private_key_file
    if not given:
        return None
    try:
        path = key_file(given)
    except ValueError as error:
        raise ConfigError(
            f"{config.where}: 'salesforce.private_key_file' {error}",
            source=config.source,
            key="salesforce.private_key_file",
        ) from None
    return given if path is None else str(config_file(config, "salesforce.private_key_file", path))


@contextmanager
def salesforce_connection(config: Config, *, persist: bool = True) -> Iterator[SalesforceConnector]:
    """A connector for the configured org, or for the embedded sandbox while the block runs
    (kept under the state folder; not created there unless ``persist``)."""
    sf = config.salesforce
    assert sf is not None
    objects = sf.managed_fields()
    if not sf.instance_url:
        from plansync.sandbox.embedded import SALESFORCE_LINKS, embedded_salesforce

        with ExitStack() as stack:
            url, session = _enter_sandbox(
                stack, embedded_salesforce(config.state_dir, objects=objects, persist=persist)
            )
            yield SalesforceConnector(
                objects,
                sf.external_id_field,
                auth="session",
                session_id=EMBEDDED_CREDENTIAL,
                instance_url=url,
                session=session,
                api_version=sf.api_version,
                timeout=sf.timeout,
                status_field=sf.status_field,
                status_values=sf.status_values,
                open_status_values=sf.open_status_values,
                settings=sf.settings(),
                links_base=SALESFORCE_LINKS,
                site_name=EMBEDDED,
            )
        return
    with requests.Session() as session:  # its connection pools closed with the block
        trusted = ca_bundle(config, "salesforce.ca_bundle", sf.ca_bundle)
        if trusted is not None:
            # Trust exactly this CA; with trust_env on, REQUESTS_CA_BUNDLE would override it.
            session.verify = trusted
            session.trust_env = False
        yield SalesforceConnector(
            objects,
            sf.external_id_field,
            session=session,
            auth=sf.auth,
            instance_url=sf.instance_url,
            session_id=sf.session_id.get_secret_value() or None,
            consumer_key=sf.consumer_key.get_secret_value() or None,
            private_key=private_key(config),
            username=sf.username or None,
            client_id=sf.client_id.get_secret_value() or None,
            client_secret=sf.client_secret.get_secret_value() or None,
            password=sf.password.get_secret_value() or None,
            security_token=sf.security_token.get_secret_value() or None,
            domain=sf.domain,
            api_version=sf.api_version,
            timeout=sf.timeout,
            max_retries=sf.max_retries,
            max_backoff=sf.max_backoff,
            status_field=sf.status_field,
            status_values=sf.status_values,
            open_status_values=sf.open_status_values,
            settings=sf.settings(),
        )


@contextmanager
def connections(
    config: Config,
    jira: Connector | None = None,
    salesforce: Connector | None = None,
    *,
    persist: bool = True,
) -> Iterator[dict[str, Connector]]:
    """A connector per configured backend but those :attr:`Config.left_out` (given connectors
    are used as they are); ``persist`` False serves an embedded sandbox that has no state yet
    from memory (a plan's dry run)."""
    with ExitStack() as stack:
        found: dict[str, Connector] = {
            "jira": jira
            if jira is not None
            else stack.enter_context(jira_connection(config, persist=persist))
        }
        if config.salesforce is not None and (
            salesforce is not None or "salesforce" not in config.left_out
        ):
            found["salesforce"] = (
                salesforce
                if salesforce is not None
                else stack.enter_context(salesforce_connection(config, persist=persist))
            )
        yield found


def embedded_projects(config: Config) -> list[str]:
    """The projects the embedded Jira sandbox makes for ``config``: each one its rules send
    items to, so that a config for several projects syncs there as with the real Jira.

    A key the sandbox cannot make (Jira's default key format: 2 to 10 capital letters, digits
    or ``_``, a letter first) is a ConfigError naming the rule, before anything is planned:
    every create in it would fail one by one after the plan had shown them.
    """
    keys: list[str] = []
    for index, rule in enumerate(config.rules):
        if not PROJECT_KEY.fullmatch(rule.project):
            raise ConfigError(
                f"{config.where}: 'rules[{index}].project' = {rule.project!r} is"
                f" not a project key the embedded Jira sandbox can make ({PROJECT_KEY_RULE}),"
                " and no Jira URL is configured (the starter config reads the URL from"
                f" {URL_SETTINGS['jira'][1]})",
                source=config.source,
                key=f"rules[{index}].project",
            )
        if rule.project not in keys:
            keys.append(rule.project)
    return keys
