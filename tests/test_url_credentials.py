"""Credentials written into a backend URL (``https://user:secret@jira.example.com``) never show:
not in output, saved plans, the state store, the notes, log lines or exceptions.

A config refuses them (its settings would show them); a connector given such a URL takes them
out of it, and any URL quoted in a message is redacted. Against the sandboxes over real HTTP,
so that every place a URL travels (record URLs kept in the state, request URLs quoted in
errors) is exercised.
"""

from __future__ import annotations

import base64
import logging

import pytest
import requests
from click.testing import CliRunner
from conftest import ExampleProject, Sleeps, closed_port, sandbox_issues

from plansync.cli import main
from plansync.connectors.base import ConnectorError, NewRecord
from plansync.connectors.jira import JiraConnector
from plansync.connectors.salesforce import SalesforceConnector
from plansync.errors import ConfigError
from plansync.redact import redact, split_credentials
from plansync.sandbox.salesforce_app import SalesforceSandbox

SECRET = "url-s3cret-never-shown"


def with_credentials(url: str, user: str = "jason%40example.com") -> str:
    """``url`` with ``user`` and :data:`SECRET` put in its userinfo."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{user}:{SECRET}@{rest}"


def assert_no_secret(where: dict[str, str | bytes]) -> None:
    for name, text in where.items():
        data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
        assert SECRET.encode() not in data, f"the URL's password is in {name}"


# -- the helper ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://u:pw@jira.example.com/x", "https://***@jira.example.com/x"),
        ("https://u:p@ss@jira.example.com", "https://***@jira.example.com"),  # raw @ in password
        (
            "failed at http://token@10.0.0.1:8080/a?b=c@d",
            "failed at http://***@10.0.0.1:8080/a?b=c@d",
        ),
        ("https://jira.example.com/a?mail=x@y.z", "https://jira.example.com/a?mail=x@y.z"),
        ("mail pm@acme.example about it", "mail pm@acme.example about it"),
        ("a https://a:b@one and b http://c:d@two", "a https://***@one and b http://***@two"),
    ],
)
def test_redact_hides_the_userinfo_of_every_url_and_nothing_else(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_split_credentials_gives_the_bare_url_and_the_decoded_credentials() -> None:
    assert split_credentials("https://pm%40acme.example:t%2Fk@jira.example.com/jira") == (
        "https://jira.example.com/jira",
        "pm@acme.example",
        "t/k",
    )
    assert split_credentials("https://jira.example.com") == ("https://jira.example.com", "", "")


def test_a_connector_error_never_carries_url_credentials() -> None:
    error = ConnectorError(f"failed: {with_credentials('https://jira.example.com')}/rest")
    assert SECRET not in str(error) and "jira.example.com" in str(error)


# -- Jira ----------------------------------------------------------------------------------------


def test_credentials_in_the_jira_url_are_refused_by_every_command_and_never_shown(
    example_project: ExampleProject,
) -> None:
    """They were the basic auth, as ``requests`` made them, and kept out of plans, notes and
    state; but the config kept the URL as given, and ``repr(config)`` showed the password (a
    user test). Refused now, as a ``?token=`` in it is, by every command that loads it."""
    config = example_project.write_config(
        url=with_credentials(example_project.url), user="", token=""
    )
    runner = CliRunner()
    for args in (["plan"], ["plan", "--json"], ["sync", "--yes"]):
        result = runner.invoke(main, [*args, "--config", str(config)])
        assert result.exit_code == 1, result.output
        assert "'jira.url': a base URL has no user name or password in it: write" in result.output
        assert_no_secret({" ".join(args): result.output})
    assert not sandbox_issues(example_project.url)


def test_a_jira_url_with_credentials_that_refuses_says_where_without_them(
    sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = with_credentials(f"http://127.0.0.1:{closed_port()}")
    connector = JiraConnector(url, None, None, deployment="cloud", timeout=5, sleep=sleeps)
    with pytest.raises(ConnectorError) as raised:
        connector.fetch_by_ids(["ps-a"])
    assert "127.0.0.1" in str(raised.value)
    assert_no_secret({"error": str(raised.value), "log": caplog.text})


@pytest.mark.parametrize(
    "password", ["ab/cd-secret", "ab?cd-secret", "ab#cd-secret"], ids=["slash", "query", "hash"]
)
def test_a_password_with_a_slash_in_the_url_is_refused_too_and_never_shown(
    password: str,
) -> None:
    """urlsplit ends the host at the first "/", so ``https://me:ab/cd@jira...`` read as host
    "me", port "ab", and was taken as a URL without credentials: kept in the config, where
    ``repr(config)`` showed it, and quoted by messages whose redaction stops at "/" too."""
    from plansync.config import JiraConfig

    url = f"https://me:{password}@jira.example.com"
    with pytest.raises(ConfigError, match="has no user name or password in it") as refused:
        JiraConfig(url=url)
    assert "'https://jira.example.com'" in str(refused.value)
    assert password not in str(refused.value) and "cd-secret" not in str(refused.value)


# -- Salesforce ----------------------------------------------------------------------------------


def test_credentials_in_the_salesforce_instance_url_never_show(
    salesforce_sandbox: tuple[str, SalesforceSandbox, requests.Session],
    sleeps: Sleeps,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """simple-salesforce builds its URLs from the instance's host and port, so record URLs are
    bare; the errors that name the instance must be too."""
    caplog.set_level(logging.DEBUG)
    url, app, session = salesforce_sandbox
    connector = SalesforceConnector(
        {"RFE__c": ["Name"]},
        "Plansync_Id__c",
        auth="session",
        session_id="plansync-test-session",
        instance_url=with_credentials(url, "admin"),
        session=session,
        sleep=sleeps,
    )
    [created] = connector.create_many([NewRecord("ps-url1", {"Name": "From a note"})])
    assert created.ok, created.error
    found = connector.fetch_by_ids(["ps-url1"])["ps-url1"]
    assert found.url.startswith("https://127.0.0.1:")
    app.configure_faults({"fail_next": [{"status": 401}]})
    with pytest.raises(ConnectorError, match="refused the session id") as raised:
        connector.fetch_by_ids(["ps-url1"])
    assert "127.0.0.1" in str(raised.value)
    assert_no_secret(
        {
            "create result": repr(created),
            "record": repr(found),
            "error": str(raised.value),
            "log": caplog.text,
        }
    )


def test_a_login_url_with_credentials_that_refuses_logs_and_raises_without_them(
    sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    """The login URL is quoted in what each retry logs, as well as in the final error."""
    caplog.set_level(logging.DEBUG)
    connector = SalesforceConnector(
        {"RFE__c": ["Name"]},
        "Plansync_Id__c",
        auth="client_credentials",
        client_id="app",
        client_secret="app-secret",
        domain=with_credentials(f"https://127.0.0.1:{closed_port()}"),
        sleep=sleeps,
    )
    with pytest.raises(ConnectorError, match=r"127\.0\.0\.1") as raised:
        connector.fetch_by_ids(["ps-a"])
    assert sleeps, "the refused login was not retried, so nothing was logged"
    assert_no_secret({"error": str(raised.value), "log": caplog.text})


def test_a_registered_secret_is_blanked_in_every_form_it_is_sent_in() -> None:
    from plansync.redact import add_secret

    add_secret("Tok3n/with+slash=", user="ann@acme.example")
    basic = base64.b64encode(b"ann@acme.example:Tok3n/with+slash=").decode()
    echoed = f"sent Basic {basic}, Bearer Tok3n/with+slash=, ?token=Tok3n%2Fwith%2Bslash%3D"
    assert redact(echoed) == "sent Basic ***, Bearer ***, ?token=***"


def test_a_short_password_is_blanked_where_it_stands_as_a_value_not_in_words_or_hosts() -> None:
    """A Jira Data Center password may be short; a login page quoted "alice:hunter2"."""
    from plansync.redact import add_secret

    add_secret("hunter2", user="alice")
    add_secret("admin")
    add_secret("jira")
    echoed = "<p>login page for alice:hunter2</p> hunter22, the administrator (admin)"
    assert redact(echoed) == "<p>login page for alice:***</p> hunter22, the administrator (***)"
    echoed = 'https://jira.example.com/rest/jira/2 said: password "jira" rejected (pw=jira&x)'
    assert redact(echoed) == (
        'https://jira.example.com/rest/jira/2 said: password "***" rejected (pw=***&x)'
    )


@pytest.mark.parametrize(
    "echoed",
    [
        r'{"errorMessages":["body {\"password\":\"abc12\"} rejected"]}',
        "login alice:abc12@jira.example.com failed",
        "token abc12: expired",
        "{pw: abc12}",
        "pw=abc12#x",
        "`abc12`!",
        "the_abc12_",
    ],
)
def test_a_short_password_is_blanked_whatever_delimits_it(echoed: str) -> None:
    from plansync.redact import add_secret

    add_secret("abc12", user="alice")
    assert "abc12" not in redact(echoed)


def test_a_short_password_leaves_host_names_alone() -> None:
    from plansync.redact import add_secret

    add_secret("jira", user="alice")
    text = "HTTPSConnectionPool(host='jira.example.com', port=443) at jira.example.com/jira/"
    assert redact(text) == text


def test_a_sandbox_run_leaves_the_word_sandbox_in_messages(
    example_project: ExampleProject,
) -> None:
    """The embedded sandboxes' credential was "sandbox", and every message of the process said
    "***" for the word after a sandbox run."""
    import plansync

    config = plansync.load_config(example_project.config_path)
    config.jira.url = ""  # the embedded sandbox
    plansync.plan(config)
    assert redact("the embedded sandbox (state in .plansync/sandbox)") == (
        "the embedded sandbox (state in .plansync/sandbox)"
    )
