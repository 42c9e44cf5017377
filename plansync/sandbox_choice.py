"""Which backends a run serves from the embedded sandbox, and when it may not: what a plan
says of it (:func:`sandbox_notice`), and the refusals made before a sandbox is started (a
config made in code that did not choose it, records synced with a real backend).

:mod:`plansync.connect` starts the sandboxes these rules let a run use.
"""

from __future__ import annotations

from collections.abc import Collection

from plansync.config import BACKEND_TITLES, URL_SETTINGS, Config
from plansync.connectors.base import Connector
from plansync.display import counted
from plansync.engine.state import StateStore
from plansync.errors import ConfigError
from plansync.sites import site_of

_NOTICE = "No {what} configured: using the embedded sandbox (state in {where})."
_WHAT = {"jira": "Jira URL", "salesforce": "Salesforce instance"}
"""What :data:`_NOTICE` says each backend lacks."""


def _sandboxed(config: Config, embedded: Collection[str]) -> list[str]:
    """Of the ``embedded`` backends, those items go to: Jira only when a rule sends items
    there (a config for Salesforce alone has no [[rules]], and its Jira stands idle)."""
    return [
        name for name in BACKEND_TITLES if name in embedded and (name != "jira" or config.rules)
    ]


def sandbox_notice(config: Config, embedded: Collection[str] | None = None) -> str | None:
    """The one line that says which backends are the embedded sandbox (``embedded``; None:
    those ``config`` leaves to it), or None.

    Jira only when a rule sends items there: a config for Salesforce alone (no [[rules]]) told
    "No Jira URL configured: using the embedded sandbox" would read as if its items went there.
    """
    names = _sandboxed(config, config.embedded if embedded is None else embedded)
    if not names:
        return None
    what = " and no ".join(_WHAT[name] for name in names)
    return _NOTICE.format(what=what, where=config.state_dir / "sandbox")


def refuse_unchosen_sandbox(config: Config, embedded: Collection[str]) -> None:
    """Refuse the embedded sandbox to a config made in code that did not choose it
    (:attr:`Config.sandbox`), before it is started.

    An empty URL there is most often a variable left unset
    (``JiraConfig(url=os.environ.get("JIRA_URL", ""))``), and the run would write the
    sandbox's made-up keys (``[PLAN-1](http://127.0.0.1:8990/browse/PLAN-1)``) into the real
    notes, said nowhere but in the plan's fingerprint. A config file chooses the sandbox by its
    empty URL (``"${JIRA_URL:-}"``, or no [jira] table), and its plan says so in a notice.
    """
    names = _sandboxed(config, embedded)
    if config.source is not None or config.sandbox or not names:
        return
    keys = " and ".join(f"'{URL_SETTINGS[name][0]}'" for name in names)
    it, is_ = ("it", "is") if len(names) == 1 else ("them", "are")
    raise ConfigError(
        f"{config.where}: {keys} {is_} empty, so this run would sync with the embedded sandbox"
        " and write its made-up keys (links to 127.0.0.1) into the notes: set"
        f" {it} (an environment variable {it} {is_} read from unset?), or make the Config"
        " with sandbox=True to try plansync on the embedded sandbox",
        key=URL_SETTINGS[names[0]][0],
    )


def served_embedded(
    config: Config, jira: Connector | None, salesforce: Connector | None
) -> set[str]:
    """The backends this run serves from the embedded sandbox (not given as connectors)."""
    given = {"jira": jira, "salesforce": salesforce}
    return {name for name in config.embedded if given[name] is None}


def refuse_sandbox_over_real(config: Config, state: StateStore, embedded: set[str]) -> None:
    """Refuse a run on the embedded sandbox over records synced with a real backend, before
    the sandbox is started.

    Such a run would report every synced item as a conflict, or write sandbox links into the
    notes; it is almost always a shell without ``JIRA_URL``, so it says that instead.
    """
    for name in sorted(embedded):
        state.bind(name, local=True)
        real = state.elsewhere(name)
        if not real:
            continue
        title = BACKEND_TITLES[name]
        setting, variable = URL_SETTINGS[name]
        items = counted(len(real), "item") + (" was" if len(real) == 1 else " were")
        raise ConfigError(
            f"{state.directory / 'state.db'}: {items} synced with the {title} at"
            f" {site_of(real[0].url)}, but {config.where} names no {title}"
            f" ('{setting}', which the starter config reads from {variable}), so this run would"
            f" use the embedded sandbox: set it to sync with that {title}",
            source=config.source,
            key=setting,
        )
