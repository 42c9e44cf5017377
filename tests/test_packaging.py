"""What the package declares against what its code imports and relies on."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import requests
from jira import JIRA

from plansync.config_load import tomllib

ROOT = Path(__file__).resolve().parent.parent


def _distribution(name: str) -> str:
    """A distribution's name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_package_the_code_imports_is_a_declared_dependency() -> None:
    """``jwt``, ``requests`` and ``urllib3`` were imported by the connectors and installed only
    as dependencies of ``jira`` and ``simple-salesforce``: a release of either that dropped
    one would break plansync, which named none of them."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    declared = {
        _distribution(re.match(r"[A-Za-z0-9._-]+", requirement).group(0))  # type: ignore[union-attr]
        for requirement in project["dependencies"]
    }
    installed = importlib.metadata.packages_distributions()
    imported: dict[str, set[str]] = {}
    for path in sorted((ROOT / "plansync").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        typing_only = {  # imports under ``if TYPE_CHECKING:`` are not run
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top in sys.stdlib_module_names or top in ("__future__", "plansync"):
                    continue
                for dist in installed.get(top, [top]):  # tomli: absent on 3.11+
                    imported.setdefault(_distribution(dist), set()).add(path.name)
    undeclared = {dist: sorted(files) for dist, files in imported.items() if dist not in declared}
    assert not undeclared


def test_the_jira_client_still_has_the_private_session_the_connector_sends_through() -> None:
    """``JiraConnector`` sends every request through ``JIRA._session`` (counted, retried by
    its own rules): a release of ``jira`` without it must fail here, not at a user's sync."""
    client = JIRA("http://127.0.0.1:9", get_server_info=False, max_retries=0)
    assert isinstance(client._session, requests.Session)
