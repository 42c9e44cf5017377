"""``plansync.toml``: interpolation, errors that name the key, templates, the shipped configs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from plansync.callers import CommandLine
from plansync.config import JIRA_CONFLICT_FIELDS, Config, ConfigError, Match
from plansync.config_load import config_from_dict, load_acceptance, load_config, read_config
from plansync.engine.changes import Plan
from plansync.notes.parse import parse_note
from plansync.rules import Context, jira_fields, matches

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [
    *sorted((ROOT / "config").glob("*.toml")),
    ROOT / "plansync" / "templates" / "plansync.toml",
    ROOT / "examples" / "plansync.toml",
]
RULE = '[[rules]]\nproject = "PLAN"\n'


def load_text(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "plansync.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, text)
    return str(caught.value)


# ---- ${ENV} interpolation ------------------------------------------------------------------


def test_environment_variables_and_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    monkeypatch.setenv("JIRA_URL", "https://example.atlassian.net/")
    monkeypatch.setenv("JIRA_API_TOKEN", "tok")
    monkeypatch.setenv("PS_PART", "ops")
    config = load_text(
        tmp_path,
        'myself = "${PS_MYSELF:-me@example.com}"\n'
        '[vault]\nexclude = ["${PS_PART}/**", "x-${PS_NONE:-}-y"]\n'
        '[jira]\nurl = "${JIRA_URL}"\nuser = "${JIRA_USER:-bot@example.com}"\n'
        'token = "${JIRA_API_TOKEN}"\n'
        '[[rules]]\nproject = "${JIRA_PROJECT:-PLAN}"\nlabels = ["from-${PS_PART}"]\n',
    )
    assert config.myself == "me@example.com"
    assert config.vault.exclude == ["ops/**", "x--y"]
    jira = config.jira
    assert jira.url == "https://example.atlassian.net"  # trailing slash dropped
    assert jira.user == "bot@example.com"
    assert jira.token.get_secret_value() == "tok"
    assert config.rules[0].project == "PLAN"
    assert config.rules[0].labels == ["from-ops"]

    monkeypatch.setenv("PS_MYSELF", "")  # set, even if empty, beats the default
    monkeypatch.setenv("JIRA_PROJECT", "CLOUD")
    config = load_text(
        tmp_path,
        'myself = "${PS_MYSELF:-me@example.com}"\n'
        + RULE.replace('"PLAN"', '"${JIRA_PROJECT:-PLAN}"'),
    )
    assert config.myself == ""
    assert config.rules[0].project == "CLOUD"


def test_unset_variables_are_named_with_their_keys(tmp_path: Path, clean_env: None) -> None:
    message = error_of(
        tmp_path,
        'myself = "${PS_WHO}"\n[[rules]]\nproject = "${JIRA_PROJECT}"\n'
        'labels = ["a", "${PS_LABEL}"]\n',
    )
    assert "environment variables not set" in message
    for part in ("myself (${PS_WHO})", "rules[0].project (${JIRA_PROJECT})", "${PS_LABEL}"):
        assert part in message
    assert str(tmp_path / "plansync.toml") in message


def test_an_unset_variable_that_fails_a_check_of_its_table_is_named(
    tmp_path: Path, clean_env: None
) -> None:
    """ "auth = 'session' needs session_id" is about the table, not the key: the unset
    variable that left session_id empty was not named (it was for a key's own error)."""
    text = (
        f'{RULE}[salesforce]\ninstance_url = "https://acme.my.salesforce.com"\n'
        'auth = "session"\nsession_id = "${PS_SESSION}"\n'
    )
    message = error_of(tmp_path, text)
    assert "auth = 'session' needs session_id" in message
    assert message.endswith("environment variables not set: salesforce.session_id (${PS_SESSION})")


def test_an_unknown_key_is_named_when_its_variable_is_unset(
    tmp_path: Path, clean_env: None
) -> None:
    """`token2 = "${NOPE}"`: only the unset variable was named, not the typo in the key."""
    message = error_of(tmp_path, f'{RULE}[jira]\ntoken2 = "${{PS_NOPE}}"\n')
    assert "unknown key 'jira.token2'; did you mean 'token'?" in message
    assert message.endswith("environment variables not set: jira.token2 (${PS_NOPE})")


@pytest.mark.parametrize("reference", ["${JIRA USER}", "${JIRA_USER", "${1USER}", "${}"])
def test_a_malformed_reference_is_an_error_naming_the_key(
    tmp_path: Path, reference: str, clean_env: None
) -> None:
    """A ``${`` that starts no valid reference would be sent as text (as the user name, the
    token), and fail later as a puzzling 401, or never with the sandbox."""
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, f'[jira]\nurl = "${{JIRA_URL:-}}"\nuser = "{reference}"\n')
    assert "not an environment reference" in str(caught.value)
    assert f"jira.user ({reference})" in str(caught.value)
    assert caught.value.key == "jira.user"  # the key as data, as every ConfigError of a file
    assert caught.value.source == tmp_path / "plansync.toml"


@pytest.mark.parametrize("table", ["jira", "salesforce"])
@pytest.mark.parametrize("timeout", ["0", "-1"])
def test_a_timeout_that_is_not_positive_is_an_error_naming_the_key(
    tmp_path: Path, table: str, timeout: str, clean_env: None
) -> None:
    """requests refuses it with a ValueError at the first request: a traceback mid-run."""
    message = error_of(tmp_path, f"[{table}]\ntimeout = {timeout}\n")
    assert f"'{table}.timeout': Input should be greater than 0" in message


@pytest.mark.parametrize("table", ["jira", "salesforce"])
@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ("max_retries = -1", "max_retries': Input should be greater than or equal to 0"),
        ("max_retries = 21", "max_retries': Input should be less than or equal to 20"),
        ("max_backoff = 0", "max_backoff': Input should be greater than 0"),
        ("max_backoff = 3601", "max_backoff': Input should be less than or equal to 3600"),
        ("max_retries = 2.5", "max_retries': Input should be a valid integer"),
    ],
)
def test_retry_settings_out_of_range_are_errors_naming_the_key(
    tmp_path: Path, table: str, setting: str, says: str, clean_env: None
) -> None:
    message = error_of(tmp_path, f"[{table}]\n{setting}\n")
    assert f"'{table}.{says}" in message


@pytest.mark.parametrize(
    ("table", "setting"),
    [
        ("jira", "timeout = true"),
        ("jira", "max_retries = true"),
        ("salesforce", "max_backoff = false"),
        ("sync", "batch_size = true"),
    ],
)
def test_a_number_setting_given_a_boolean_is_an_error_naming_the_key(
    tmp_path: Path, table: str, setting: str, clean_env: None
) -> None:
    """pydantic read true as 1: `timeout = true` ran with one-second timeouts."""
    message = error_of(tmp_path, f"[{table}]\n{setting}\n")
    name, value = setting.split(" = ")
    assert f"'{table}.{name}': a number is needed, not {value}" in message


def test_a_number_setting_from_the_environment_is_read_as_a_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    """`${VAR}` gives text: it must still be taken (the boolean check is not pydantic's strict)."""
    monkeypatch.setenv("PLANSYNC_TEST_RETRIES", "3")
    text = RULE + '[jira]\nmax_retries = "${PLANSYNC_TEST_RETRIES}"\n'
    assert load_text(tmp_path, text).jira.max_retries == 3


def test_retry_settings_reach_each_backends_connector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    """A cron sync may wait out a long rate limit: the settings must reach the connectors."""
    import plansync.connect

    made: dict[str, dict[str, object]] = {}

    def recorder(name: str) -> object:
        def make(*args: object, **kwargs: object) -> str:
            made[name] = kwargs
            return name

        return make

    monkeypatch.setattr(plansync.connect, "JiraConnector", recorder("jira"))
    monkeypatch.setattr(plansync.connect, "SalesforceConnector", recorder("salesforce"))
    config = load_text(
        tmp_path,
        RULE
        + '[jira]\nurl = "https://example.atlassian.net"\nmax_retries = 2\nmax_backoff = 900\n'
        + '[salesforce]\ninstance_url = "https://acme.my.salesforce.com"\nauth = "session"\n'
        + 'session_id = "00D!x"\nmax_retries = 0\n',
    )
    with plansync.connect.jira_connection(config), plansync.connect.salesforce_connection(config):
        pass
    assert (made["jira"]["max_retries"], made["jira"]["max_backoff"]) == (2, 900)
    assert (made["salesforce"]["max_retries"], made["salesforce"]["max_backoff"]) == (0, 60)


@pytest.mark.parametrize(
    ("table", "key"), [("jira", "url"), ("salesforce", "instance_url")], ids=["jira", "sf"]
)
@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("jira.example.com", "'jira.example.com'"),
        ("ftp://jira.example.com", "'ftp://jira.example.com'"),
        ("https://", "'https://'"),
        ("htps://bot:pa55w0rd@jira.example.com", "'htps://***@jira.example.com'"),
    ],
)
def test_a_backend_url_that_is_no_http_url_is_an_error_naming_the_key(
    tmp_path: Path, table: str, key: str, url: str, shown: str, clean_env: None
) -> None:
    message = error_of(tmp_path, f'[{table}]\n{key} = "{url}"\n')
    assert f"'{table}.{key}': not an http:// or https:// URL with a host: {shown}" in message
    assert "pa55w0rd" not in message


@pytest.mark.parametrize(("table", "key"), [("jira", "url"), ("salesforce", "instance_url")])
@pytest.mark.parametrize(
    "url", ["https://jira.example.com/?token=S3CRET", "https://jira.example.com/#S3CRET"]
)
def test_a_backend_url_with_a_query_or_fragment_is_an_error_that_does_not_quote_it(
    tmp_path: Path, table: str, key: str, url: str, clean_env: None
) -> None:
    """API paths were appended after the query (every request went to the site's root), and
    every error quoting the URL printed the token in it."""
    message = error_of(tmp_path, f'{RULE}[{table}]\n{key} = "{url}"\n')
    expected = "a base URL has no ?query or #fragment: write 'https://jira.example.com/'"
    assert f"'{table}.{key}': {expected}" in message
    assert "S3CRET" not in message


@pytest.mark.parametrize(
    ("table", "key", "where"),
    [
        ("jira", "url", "'jira.user' and 'jira.token'"),
        ("salesforce", "instance_url", "the [salesforce] keys its auth needs"),
        ("salesforce", "domain", "the [salesforce] keys its auth needs"),
    ],
    ids=["jira", "sf", "sf-login"],
)
@pytest.mark.parametrize("userinfo", ["u:S3CRET@", "S3CRET@", "u:S3CRET@x@"])
def test_a_backend_url_with_a_user_or_password_is_an_error_saying_where_they_go(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    table: str,
    key: str,
    where: str,
    userinfo: str,
    clean_env: None,
) -> None:
    """It was taken, and its password showed in ``repr(config)`` and ``model_dump``, which show
    a token as '**********' (a user test); refused as a ``?token=`` in it is."""
    monkeypatch.setenv("BACKEND_URL", f"http://{userinfo}127.0.0.1:18510/")
    message = error_of(tmp_path, f'{RULE}[{table}]\n{key} = "${{BACKEND_URL}}"\n')
    expected = (
        "a base URL has no user name or password in it: write 'http://127.0.0.1:18510', and the"
        f" credentials in {where}"
    )
    assert f"'{table}.{key}': {expected}" in message
    assert "S3CRET" not in message


def test_a_login_domain_with_a_password_but_no_scheme_is_an_error_that_does_not_quote_it(
    tmp_path: Path, clean_env: None
) -> None:
    message = error_of(tmp_path, f'{RULE}[salesforce]\ndomain = "u:S3CRET@acme.my"\n')
    assert "'salesforce.domain': a login domain has no user name or password in it" in message
    assert "S3CRET" not in message


def test_credentials_are_needed_only_for_a_real_jira(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    text = '[jira]\nurl = "${JIRA_URL:-}"\nuser = "${JIRA_USER}"\ntoken = "${JIRA_API_TOKEN}"\n'
    config = load_text(tmp_path, RULE + text)
    assert config.jira_embedded

    monkeypatch.setenv("JIRA_URL", "https://jira.example.com")
    message = error_of(tmp_path, text)
    assert "jira.user (${JIRA_USER})" in message and "jira.token (${JIRA_API_TOKEN})" in message


def test_an_explicit_jira_url_variable_that_is_unset_is_an_error(
    tmp_path: Path, clean_env: None
) -> None:
    """``${JIRA_URL}`` without a default means "this config talks to a real Jira": when the
    variable is missing, the sync must not quietly go to the sandbox instead."""
    message = error_of(tmp_path, '[jira]\nurl = "${JIRA_URL}"\ntoken = "${JIRA_API_TOKEN}"\n')
    assert "jira.url (${JIRA_URL})" in message


@pytest.mark.parametrize(
    ("shipped", "named"),
    [
        ("jira-cloud.toml", ["jira.url (${JIRA_URL})", "jira.token (${JIRA_API_TOKEN})"]),
        (
            "salesforce.toml",
            [
                "salesforce.instance_url (${SF_INSTANCE_URL})",
                "salesforce.username (${SF_USERNAME})",
            ],
        ),
    ],
)
def test_a_real_backend_whose_url_is_unset_names_its_unset_credentials_too(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clean_env: None,
    shipped: str,
    named: list[str],
) -> None:
    """A user test: with JIRA_URL and JIRA_API_TOKEN both unset, only jira.url was named (the
    URL's emptiness read as the sandbox, which needs no token), and the next run named the
    token. A URL variable without a default means a real backend: every variable is named
    at once."""
    for name in ("SF_INSTANCE_URL", "SF_USERNAME", "SF_CONSUMER_KEY", "SF_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    message = error_of(tmp_path, (ROOT / "config" / shipped).read_text(encoding="utf-8"))
    for part in named:
        assert part in message, message


def test_the_token_is_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    secret = "tok-9f8e7d-secret"
    monkeypatch.setenv("JIRA_API_TOKEN", secret)
    config = load_text(
        tmp_path,
        '[jira]\nurl = "https://jira.example.com"\ntoken = "${JIRA_API_TOKEN}"\n' + RULE,
    )
    assert secret not in repr(config) and secret not in str(config)
    assert secret not in config.model_dump_json()
    message = error_of(
        tmp_path,
        '[jira]\nurl = "https://jira.example.com"\ntoken = "${JIRA_API_TOKEN}"\n'
        'timeout = "${JIRA_API_TOKEN}"\n',
    )
    assert "jira.timeout" in message and secret not in message
    assert secret not in Plan().model_dump_json()


def test_credentials_read_with_a_line_break_around_them_are_trimmed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    """A token from a file or a mounted secret often ends in a newline; a password may hold
    spaces that are its own, so it is kept as given."""
    monkeypatch.setenv("JIRA_API_TOKEN", "tok-123\n")
    monkeypatch.setenv("JIRA_USER", " pm@acme.example\r\n")
    monkeypatch.setenv("SF_SESSION_ID", "00D!session\n")
    monkeypatch.setenv("SF_PASSWORD", " pass word \n")
    config = load_text(
        tmp_path,
        '[jira]\nurl = "https://jira.example.com"\nuser = "${JIRA_USER}"\n'
        'token = "${JIRA_API_TOKEN}"\n'
        '[salesforce]\ninstance_url = "https://acme.my.salesforce.com"\nauth = "session"\n'
        'session_id = "${SF_SESSION_ID}"\npassword = "${SF_PASSWORD}"\n' + RULE,
    )
    assert config.jira.token.get_secret_value() == "tok-123"
    assert config.jira.user == "pm@acme.example"
    assert config.salesforce is not None
    assert config.salesforce.session_id.get_secret_value() == "00D!session"
    assert config.salesforce.password.get_secret_value() == " pass word \n"


# ---- unknown keys, at every level ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "suggestion"),
    [
        ('myslf = "me"\n', "myslf", "myself"),
        ('[vault]\nincldue = ["*.md"]\n', "vault.incldue", "include"),
        ('[jira]\nurll = "https://x"\n', "jira.urll", "url"),
        ('[jira]\ncancel_transtion = "x"\n', "jira.cancel_transtion", "cancel_transition"),
        ('[[rules]]\nproject = "PLAN"\nisue_type = "Task"\n', "rules[0].isue_type", "issue_type"),
        (
            '[[rules]]\nproject = "A"\n[[rules]]\nproject = "B"\nlabel = ["x"]\n',
            "rules[1].label",
            "labels",
        ),
        (
            '[[rules]]\nproject = "PLAN"\n[rules.match]\ntag_any = ["#x"]\n',
            "rules[0].match.tag_any",
            "tags_any",
        ),
        ('[acceptance]\naccept_tags = "#ok"\n', "acceptance.accept_tags", "accept_tag"),
        (
            '[users]\n"Priya Raman" = { emial = "p@example.com" }\n',
            "users.Priya Raman.emial",
            "email",
        ),
        ("[sync]\nbatch_sise = 10\n", "sync.batch_sise", "batch_size"),
        ('[sync.conflicts]\ndu = "note"\n', "sync.conflicts.du", "due"),
        ('[sync.conflicts]\nasignee = "remote"\n', "sync.conflicts.asignee", "assignee"),
        (
            '[salesforce]\n[sync.conflicts]\nDue_Dat__c = "note"\n',
            "sync.conflicts.Due_Dat__c",
            "Due_Date__c",
        ),
    ],
)
def test_unknown_keys_are_named_with_a_suggestion(
    tmp_path: Path, clean_env: None, text: str, key: str, suggestion: str
) -> None:
    message = error_of(tmp_path, text)
    assert f"unknown key '{key}'; did you mean '{suggestion}'?" in message, message


def test_conflict_keys_name_fields_the_planner_compares(tmp_path: Path, clean_env: None) -> None:
    """Jira's fields always; a Salesforce object's API fields only with [salesforce]."""
    config = load_text(
        tmp_path, RULE + '[sync.conflicts]\ndue = "note"\nsummary = "remote"\nstatus = "note"\n'
    )
    assert config.sync.conflicts == {"due": "note", "summary": "remote", "status": "note"}
    with_sf = '[salesforce]\n[sync.conflicts]\nDue_Date__c = "note"\nOwnerId = "remote"\n'
    assert load_text(tmp_path, with_sf).sync.conflicts["Due_Date__c"] == "note"
    message = error_of(tmp_path, '[sync.conflicts]\nDue_Date__c = "note"\n')
    assert "unknown key 'sync.conflicts.Due_Date__c'" in message, message
    assert error_of(tmp_path, '[sync.conflicts]\nzzzzzz = "note"\n').endswith(
        "unknown key 'sync.conflicts.zzzzzz' (the fields it may name: summary, description,"
        " due, priority, assignee, components, status)"
    )  # which they are was not said (Salesforce's are API names: Due_Date__c, not due)


def test_the_jira_conflict_fields_are_the_ones_a_rule_makes_and_may_change(
    tmp_path: Path, clean_env: None
) -> None:
    """``JIRA_CONFLICT_FIELDS`` follows ``rules.jira_fields``: a field added there can be named
    under [sync.conflicts] only once it is added here too."""
    note_path = tmp_path / "note.md"
    note_path.write_text("- [ ] Draft the plan @Myself 📅 2025-10-27 ^ps-abc\n", encoding="utf-8")
    note = parse_note(note_path)
    config = load_text(tmp_path, RULE)
    context = Context(note.items[0], note, "ps-abc", "obsidian://x")
    made = set(jira_fields(config.rules[0], context, assignee="acc-1", wiki_markup=True))
    never_conflict = {"project", "issue_type", "labels"}
    assert set(JIRA_CONFLICT_FIELDS) == made - never_conflict


def test_every_problem_is_reported_at_once(tmp_path: Path, clean_env: None) -> None:
    message = error_of(
        tmp_path,
        'myslf = "me"\n[jira]\ndeployment = "server"\n[[rules]]\nisue_type = "Task"\n',
    )
    assert "myslf" in message and "jira.deployment" in message
    assert "rules[0].project" in message and "isue_type" in message


def test_a_typo_far_from_any_key_has_no_wild_guess(tmp_path: Path, clean_env: None) -> None:
    message = error_of(tmp_path, 'zzzzzz = "me"\n')
    assert "unknown key 'zzzzzz'" in message and "did you mean" not in message


def test_a_relative_config_is_named_by_its_absolute_path_in_every_error(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A TOML syntax error named the file as given (``t.toml``) where every other mistake of
    the file names it absolute: plan and parse alike."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.toml").write_text("[jira\n", "utf-8")
    (tmp_path / "u.toml").write_text('myslf = "me"\n', "utf-8")
    for load in (load_config, load_acceptance):
        with pytest.raises(ConfigError) as syntax:
            load("t.toml")
        assert str(syntax.value).startswith(f"{tmp_path / 't.toml'}: not valid TOML")
        with pytest.raises(ConfigError) as missing:
            load("none.toml")
        assert str(missing.value) == f"{tmp_path / 'none.toml'}: no such config file"
    with pytest.raises(ConfigError) as typo:
        load_config("u.toml")
    assert str(typo.value).startswith(f"{tmp_path / 'u.toml'}: ")


@pytest.mark.parametrize(
    ("toml", "line"),
    [
        ('[vault]\ninclude=["Meetings"\n', 2),
        ('[vault]\ninclude = [\n  "Meetings",\n]\nexclude = [\n  "Archive",\n\n', 5),
        ('[vault]\nname = "Team\u2028notes"\ninclude = [\n', 3),  # U+2028 ends no line
        ("[vault]\npath = 'x'\nname", 3),
        ('include=["Meetings"', 1),
    ],
)
def test_a_toml_error_at_the_end_of_the_file_names_the_line_its_construct_starts_on(
    tmp_path: Path, clean_env: None, toml: str, line: int
) -> None:
    """``include=["Meetings"`` left unclosed said ``Unclosed array (at end of document)``, no
    line to look at (a user test): tomllib names none for an error at the end of the text."""
    message = error_of(tmp_path, toml)
    assert message.startswith(f"{tmp_path / 'plansync.toml'}: not valid TOML: ")
    assert message.endswith(f" (at end of document; it starts on line {line})")
    assert "\n" not in message


def test_toml_syntax_errors_and_missing_files(tmp_path: Path, clean_env: None) -> None:
    message = error_of(tmp_path, "[jira\n")
    assert "not valid TOML" in message and "plansync.toml" in message
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "missing.toml")
    (tmp_path / "nowhere").mkdir()
    (tmp_path / "plansync.toml").unlink()
    with pytest.raises(ConfigError) as none:
        load_config(start=tmp_path / "nowhere")
    # The library has no call that writes one: it was told to run `plansync init DIR`.
    assert str(none.value) == f"no plansync.toml in {tmp_path / 'nowhere'} or its parents"
    with pytest.raises(ConfigError) as told:
        read_config(None, start=tmp_path / "nowhere", caller=CommandLine())
    assert str(told.value).endswith(" or its parents (run `plansync init DIR`)")


def test_a_config_that_is_not_utf8_or_not_a_file_is_a_config_error(
    tmp_path: Path, clean_env: None
) -> None:
    """A config saved as Windows-1252 (an owner named Müller) was a UnicodeDecodeError
    traceback; a folder given as the config, an IsADirectoryError."""
    path = tmp_path / "plansync.toml"
    path.write_bytes(
        RULE.encode() + '[users]\n"Jürgen Müller" = { jira = "jm" }\n'.encode("cp1252")
    )
    with pytest.raises(ConfigError, match=r"plansync\.toml: not UTF-8 \(byte 0xfc at line 4\)"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(tmp_path)


def test_a_config_saved_with_a_byte_order_mark_loads(tmp_path: Path, clean_env: None) -> None:
    """Windows Notepad saves UTF-8 with a BOM; tomllib then reported an invalid statement at
    line 1, column 1, where the user sees nothing wrong."""
    path = tmp_path / "plansync.toml"
    path.write_bytes(b"\xef\xbb\xbf" + RULE.encode())
    assert load_config(path).rules[0].project == "PLAN"


def test_the_config_is_found_in_a_parent_folder(tmp_path: Path, clean_env: None) -> None:
    (tmp_path / "plansync.toml").write_text(RULE, encoding="utf-8")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    config = load_config(start=deep)
    assert config.source == (tmp_path / "plansync.toml").resolve()
    assert config.state_dir == tmp_path.resolve() / ".plansync"


# ---- templates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        (
            'summary = "{txt}"',
            "rules[0].summary",
            "unknown placeholder {txt} (did you mean {text}?)",
        ),
        ('description = "From {note_titel}"', "rules[0].description", "{note_title}"),
        ('summary = "{text"', "rules[0].summary", "'}'"),
        ('summary = "{0}"', "rules[0].summary", "unknown placeholder {0}"),
        ('summary = "{text} by {due:%d %b}"', "rules[0].summary", "Invalid format specifier"),
        ('description = "{priority:d}"', "rules[0].description", "Unknown format code 'd'"),
        ('summary = "{text:{nope}}"', "rules[0].summary", "inside the format of {text}"),
        ('summary = "{text:{priority}}"', "rules[0].summary", "inside the format of {text}"),
        ('summary = "a } b"', "rules[0].summary", "write {{ or }} for a brace"),
        ('description = "{note_date:? on {nope}}"', "rules[0].description", "{nope}"),
        ('description = "{note_date:?{due:%d}}"', "rules[0].description", "format specifier"),
    ],
)
def test_bad_rule_template_placeholders(
    tmp_path: Path, clean_env: None, text: str, key: str, expected: str
) -> None:
    message = error_of(tmp_path, RULE + text + "\n")
    assert f"'{key}'" in message and expected in message, message


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ('[jira]\nlink_title = "{note_titel}"', "jira.link_title", "{note_title}"),
        ('[vault]\nnote_url = "obsidian://x?{fle}"', "vault.note_url", "{file}"),
        ('[vault]\nnote_url = "obsidian://x?{file:%Y}"', "vault.note_url", "format specifier"),
        ('[jira]\nlink_title = "{note_title:? x}"', "jira.link_title", "format specifier"),
    ],
)
def test_bad_placeholders_in_links_fail_at_load_not_at_sync(
    tmp_path: Path, clean_env: None, text: str, key: str, expected: str
) -> None:
    message = error_of(tmp_path, text + "\n" + RULE)
    assert f"'{key}'" in message and expected in message, message


def test_good_templates_load(tmp_path: Path, clean_env: None) -> None:
    config = load_text(
        tmp_path,
        '[vault]\nnote_url = "https://notes.example.com/{vault}/{file}#{block_id}"\n'
        '[jira]\nlink_title = "{note_title} ({note_path})"\n'
        + RULE
        + 'summary = "[{note_date}] {text} {{literal}}{owner:? (@{owner})}"\n',
    )
    assert config.rules[0].summary.startswith("[{note_date}]")


# ---- the shipped configs -------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_configs_load(path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None) -> None:
    assert path.is_file()
    text = path.read_text(encoding="utf-8")
    if "${JIRA_URL}" in text:  # a config for a real Jira: it needs the environment
        with pytest.raises(ConfigError, match="JIRA_URL"):
            load_config(path)
        monkeypatch.setenv("JIRA_URL", "https://jira.example.com")
        monkeypatch.setenv("JIRA_USER", "me@example.com")
        monkeypatch.setenv("JIRA_API_TOKEN", "token")
    if "${SF_INSTANCE_URL}" in text:  # a real Salesforce org: also needs the environment
        with pytest.raises(ConfigError, match="SF_INSTANCE_URL"):
            load_config(path)
        for name in ("SF_USERNAME", "SF_CONSUMER_KEY", "SF_PRIVATE_KEY_FILE"):
            monkeypatch.setenv(name, "set")
        monkeypatch.setenv("SF_INSTANCE_URL", "https://acme.my.salesforce.com")
    config = load_config(path)
    assert config.rules and all(rule.project for rule in config.rules)
    assert config.jira_embedded == ("${JIRA_URL}" not in text)
    assert config_from_dict({"rules": [{"project": "PLAN"}]}).jira_embedded


SANDBOX_CLAIM = "With JIRA_URL unset, plansync syncs to its embedded Jira sandbox"
NEEDS_CLAIM = re.compile(r"# For a real [^:]+: ([^()]+?) must be set")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_what_a_shipped_configs_header_says_of_an_unset_environment_is_what_happens(
    path: Path,
) -> None:
    """config/jira-dc.toml and config/salesforce.toml said that with JIRA_URL unset plansync
    syncs to its embedded Jira sandbox, and stopped on the unset variable instead (a user
    test). Each header says one or the other, and a load with nothing set does what it says:
    the sandbox, or an error naming every variable it says must be set, which, set, load."""
    text = path.read_text(encoding="utf-8")
    header = text.split("\n\n", 1)[0]
    needs = NEEDS_CLAIM.search(header)
    assert (SANDBOX_CLAIM in header) != (needs is not None), header
    if needs is None:
        assert "jira" in load_config(path, environ={}).embedded
        return
    names = re.findall(r"\b[A-Z][A-Z_]+[A-Z]\b", needs[1])
    assert names and all(f"${{{name}}}" in text for name in names)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert all(f"(${{{name}}})" in str(caught.value) for name in names), str(caught.value)
    given = {name: "set" for name in names}
    given |= {name: f"https://{name.lower()}.example.com" for name in names if "URL" in name}
    assert not load_config(path, environ=given).embedded


def test_a_vault_path_may_start_at_the_home_folder(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = load_text(tmp_path, '[vault]\npath = "~/Notes/Meetings"\n' + RULE)
    assert config.vault_root == (tmp_path / "home" / "Notes" / "Meetings").resolve()
    assert (
        load_text(tmp_path, '[vault]\npath = "notes"\n' + RULE).vault_root
        == (tmp_path / "notes").resolve()
    )


@pytest.mark.parametrize(
    ("auth", "given", "needs"),
    [
        ("jwt", 'consumer_key = "k"', "private_key_file, username"),
        ("client_credentials", 'client_id = "i"', "client_secret"),
        ("session", "", "session_id"),
        ("password", 'username = "me@acme.example"', "password"),
    ],
)
def test_a_real_org_without_the_credentials_of_its_login_flow_is_named_at_load(
    tmp_path: Path, clean_env: None, auth: str, given: str, needs: str
) -> None:
    """Named by their keys (private_key_file), not by the connector's argument names."""
    org = f'[salesforce]\nauth = "{auth}"\n{given}\n'
    message = error_of(tmp_path, org + 'instance_url = "https://acme.my.salesforce.com"\n' + RULE)
    assert f"'salesforce': auth = '{auth}' needs {needs} (empty" in message, message
    assert load_text(tmp_path, org + RULE).salesforce is not None  # the sandbox needs none


@pytest.mark.parametrize("key", ["project", "issue_type"])
def test_an_empty_project_or_issue_type_is_named_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None, key: str
) -> None:
    """``export JIRA_PROJECT=`` beats the starter config's default: every create failed at
    sync time with Jira's "Specify a valid project ID or key", naming no setting."""
    monkeypatch.setenv("JIRA_PROJECT", "")
    values = {"project": '"PLAN"', key: '"${JIRA_PROJECT:-PLAN}"'}
    message = error_of(tmp_path, "[[rules]]\n" + "".join(f"{k} = {v}\n" for k, v in values.items()))
    assert f"'rules[0].{key}': is empty" in message


def test_a_key_left_invalid_by_an_unset_variable_names_the_variable(
    tmp_path: Path, clean_env: None
) -> None:
    """The unset variable is the mistake, not the empty value it left in its key."""
    message = error_of(tmp_path, f'{RULE}[jira]\ntimeout = "${{PS_TIMEOUT}}"\n')
    assert message.endswith("environment variables not set: jira.timeout (${PS_TIMEOUT})")
    assert "valid number" not in message


@pytest.mark.parametrize(
    ("tags", "taken"),
    [
        ("#ops", True),
        ("#OPS/oncall", True),
        ("#ops/oncall/night", True),
        ("#opsteam", False),
        ("#ops #personal/admin", False),
        ("#task", False),
    ],
)
def test_a_rules_tags_take_their_nested_tags_too(tags: str, taken: bool) -> None:
    """As Obsidian's tag search: `#personal/admin` went to a rule with tags_none = ["#personal"],
    and `#ops/oncall` past one with tags_any = ["#ops"]."""
    match = Match(tags_any=["#ops"], tags_none=["#personal"])
    [item] = parse_note(f"- [ ] Page the DBA {tags}\n").items
    assert matches(match, item) is taken


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (
            '[[rules]]\nproject = "PLAN"\nmatch = { tags_any = ["task"] }\n',
            "'rules[0].match.tags_any': 'task' is not a tag: write it as in the notes, with its #"
            " ('#task')",
        ),
        (
            '[[rules]]\nproject = "PLAN"\nmatch = { tags_none = ["#a b"] }\n',
            "'rules[0].match.tags_none'",
        ),
        ('[acceptance]\naccept_tag = "accepted"\n', "'acceptance.accept_tag'"),
        ('[acceptance]\naccepted_statuses = [" ", "xx"]\n', "'acceptance.accepted_statuses'"),
    ],
)
def test_a_tag_or_status_no_note_line_can_carry_is_named_at_load(
    tmp_path: Path, clean_env: None, setting: str, expected: str
) -> None:
    """``tags_any = ["task"]`` matched no item (items carry ``#task``): the plan said "No
    changes ... in sync" while every accepted item was left out."""
    message = error_of(tmp_path, setting if "[[rules]]" in setting else RULE + setting)
    assert expected in message


@pytest.mark.parametrize(
    ("other", "status"), [("proposed_statuses", "?"), ("cancelled_statuses", "-")]
)
def test_a_status_accepted_and_also_proposed_or_cancelled_is_named_at_load(
    tmp_path: Path, clean_env: None, other: str, status: str
) -> None:
    """``accepted_statuses = [" ", "?"]`` loaded, and a [?] item was still never accepted."""
    message = error_of(tmp_path, RULE + f'[acceptance]\naccepted_statuses = [" ", "{status}"]\n')
    assert (
        f"'acceptance': accepted_statuses and {other} both hold '{status}': an item marked"
        f" [{status}] is never accepted; take it out of one of them"
    ) in message


def test_a_plain_acceptance_policy_is_checked_too() -> None:
    from plansync.notes.model import AcceptancePolicy

    policy = AcceptancePolicy(accept_tag="#ok")
    assert Config(acceptance=policy).acceptance.accept_tag == "#ok"
    with pytest.raises(ValueError, match="not a tag"):
        Config(acceptance=AcceptancePolicy(accept_tag="ok"))


def test_the_private_key_file_is_read_relative_to_the_config_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    """Like ``vault.path`` and ``ca_bundle``; it was read relative to the current folder, so
    a JWT login failed when the sync ran from a folder below the config."""
    from plansync.connect import salesforce_connection

    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "sf.pem").write_text("-----BEGIN PRIVATE KEY-----\n", "utf-8")
    config = load_text(
        tmp_path,
        '[salesforce]\ninstance_url = "https://acme.my.salesforce.com"\nusername = "u@acme"\n'
        'consumer_key = "ck"\nprivate_key_file = "keys/sf.pem"\n',
    )
    (tmp_path / "notes").mkdir()
    monkeypatch.chdir(tmp_path / "notes")
    with salesforce_connection(config) as connector:
        assert connector._signin.private_key() == "-----BEGIN PRIVATE KEY-----\n"


def test_the_salesforce_session_is_closed_with_its_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    """The session a real org's connector sends through was never closed: its pooled
    connections stayed open for as long as the process (a program syncing in a loop)."""
    import plansync.connect
    from plansync.connect import salesforce_connection

    closed: list[bool] = []

    class Recorded(requests.Session):
        def close(self) -> None:
            closed.append(True)
            super().close()

    monkeypatch.setattr(plansync.connect.requests, "Session", Recorded)
    config = load_text(
        tmp_path,
        '[salesforce]\ninstance_url = "https://acme.my.salesforce.com"\nauth = "session"\n'
        'session_id = "s"\n',
    )
    with salesforce_connection(config):
        assert closed == []
    assert closed == [True]


@pytest.mark.parametrize(("auth", "key"), [("session", "ca_bundle"), ("jwt", "private_key_file")])
def test_a_file_the_salesforce_config_names_that_is_not_there_is_named_by_its_key(
    tmp_path: Path, clean_env: None, auth: str, key: str
) -> None:
    """Not requests' "Could not find a suitable TLS CA certificate bundle, invalid path"."""
    from plansync.connect import salesforce_connection

    settings = {
        "instance_url": "https://acme.my.salesforce.com",
        "auth": auth,
        "session_id": "s",
        "username": "u@acme",
        "consumer_key": "ck",
        key: "~/no/such.pem",
    }
    table = "".join(f'{name} = "{value}"\n' for name, value in settings.items())
    config = load_text(tmp_path, f"[salesforce]\n{table}")
    with pytest.raises(ConfigError) as caught, salesforce_connection(config):
        pass
    home = Path("~/no/such.pem").expanduser()
    assert str(caught.value) == (
        f"{tmp_path / 'plansync.toml'}: 'salesforce.{key}' = '~/no/such.pem': {home} is not a file"
    )


def test_a_jira_ca_bundle_that_is_not_there_is_named_by_its_key(
    tmp_path: Path, clean_env: None
) -> None:
    """As Salesforce's: read by the same helper, relative to the config's folder."""
    from plansync.connect import jira_connection

    config = load_text(
        tmp_path, f'{RULE}[jira]\nurl = "https://jira.example.com"\nca_bundle = "certs/ca.pem"\n'
    )
    with pytest.raises(ConfigError) as caught, jira_connection(config):
        pass
    assert str(caught.value) == (
        f"{tmp_path / 'plansync.toml'}: 'jira.ca_bundle' = 'certs/ca.pem':"
        f" {tmp_path / 'certs' / 'ca.pem'} is not a file"
    )


@pytest.mark.parametrize(
    "path",
    [path for path in SHIPPED if path.parent.name != "examples"],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_shipped_configs_document_ca_bundle_for_each_backend_they_have(
    path: Path, tmp_path: Path, clean_env: None
) -> None:
    """``salesforce.ca_bundle`` was named in no config, ``jira.ca_bundle`` did not exist: each
    table's commented line, uncommented, loads as it reads."""
    text = path.read_text(encoding="utf-8")
    tables = ["jira", "salesforce"] if "\n[salesforce]\n" in text else ["jira"]
    lines = [line for line in text.splitlines() if line.startswith("# ca_bundle = ")]
    assert len(lines) == len(tables)
    (tmp_path / "company-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n", "utf-8")
    for table, line in zip(tables, lines, strict=True):
        setting = line.removeprefix("# ").split("#")[0]
        config = load_text(tmp_path, f"{RULE}[{table}]\n{setting}\n")
        assert getattr(config, table).ca_bundle == "company-ca.pem"


@pytest.mark.parametrize(
    "key_text",
    [
        "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2QUlCQURBTkJna3Foa2lHOXcw"
        * 25,  # base64 of a PEM
        "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQC7\nVJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7",
    ],
    ids=["base64-of-the-pem", "pem-body-without-armour"],
)
def test_a_private_key_given_where_its_file_belongs_is_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None, key_text: str
) -> None:
    """A CI secret often holds the key base64-encoded, or without its BEGIN/END lines: the
    error said "cannot use <the key>" or quoted it as the file name."""
    from plansync.connect import salesforce_connection

    monkeypatch.setenv("SF_PRIVATE_KEY_FILE", key_text)
    config = load_text(
        tmp_path,
        '[salesforce]\ninstance_url = "https://acme.my.salesforce.com"\nusername = "u@acme"\n'
        'consumer_key = "ck"\nprivate_key_file = "${SF_PRIVATE_KEY_FILE}"\n',
    )
    with pytest.raises(ConfigError) as caught, salesforce_connection(config):
        pass
    assert str(caught.value) == (
        f"{tmp_path / 'plansync.toml'}: 'salesforce.private_key_file' is neither a file's path"
        " nor PEM text (-----BEGIN ... -----END); its value is not shown, as it may be the key"
        " itself"
    )
    assert key_text[:40] not in str(caught.value)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ('external_id_field = "Plansync Id"', "'salesforce.external_id_field': 'Plansync Id'"),
        ('jira_key_field = "Jira-Key"', "'salesforce.jira_key_field': 'Jira-Key'"),
        ('api_version = "v59"', "'salesforce.api_version': 'v59' is not an API version"),
        ("rules = []", "'salesforce.rules': is empty"),
        (
            '[[salesforce.rules]]\nname = "r"\nobject = "RFE c"',
            "'salesforce.rules[0].object': 'RFE c' is not a Salesforce API name",
        ),
        (
            '[[salesforce.rules]]\nname = "r"\nobject = "RFE__c"\nfields = { "A B" = "{due}" }',
            "'salesforce.rules[0].fields': 'A B' is not a Salesforce API name",
        ),
    ],
)
def test_a_salesforce_name_the_connector_would_refuse_is_named_by_its_key(
    tmp_path: Path, clean_env: None, setting: str, expected: str
) -> None:
    """The connector refused these at the first plan as "not Salesforce API names: 'Plansync
    Id'" or "no Salesforce object to sync to", naming neither the file nor the setting."""
    assert expected in error_of(tmp_path, f"{RULE}[salesforce]\n{setting}\n")


@pytest.mark.parametrize("text", ["", 'myself = "me@example.com"\n[jira]\nurl = ""\n'])
def test_a_config_that_sends_items_nowhere_is_an_error(
    tmp_path: Path, clean_env: None, text: str
) -> None:
    """``--config`` at an empty file, or one whose [[rules]] were lost: every plan said "No
    changes. The notes and their records are in sync." and --detailed-exitcode 0."""
    message = error_of(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'plansync.toml'}: no [[rules]] and no [salesforce]")


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ('labels = ["plan sync"]', "'rules[0].labels': 'plan sync' is not a Jira label"),
        ('labels = [""]', "'rules[0].labels': '' is not a Jira label"),
        ('summary = " "', "'rules[0].summary': is empty: Jira needs a summary"),
    ],
)
def test_a_rule_jira_would_refuse_on_every_create_is_named_at_load(
    tmp_path: Path, clean_env: None, setting: str, expected: str
) -> None:
    """The plan showed these and the sync failed item by item with Jira's "The label 'plan
    sync' contains spaces" or "You must specify a summary", naming no setting."""
    assert expected in error_of(tmp_path, f"{RULE}{setting}\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[rules]\nproject = "PLAN"\n',
            "'rules': is one table, not a list of them: write [[rules]] (two brackets) for each",
        ),
        (
            f'{RULE}[[rules.match]]\nkind = ["action"]\n',
            "'rules[0].match': is a list of tables, not one table: write [rules.match] (one"
            " bracket)",
        ),
        (f"{RULE}[[jira]]\n", "'jira': is a list of tables, not one table: write [jira]"),
        (f'{RULE}labels = "plansync"\n', "'rules[0].labels': is a string, not a list: write"),
        (
            f'{RULE}[users]\n"Tomer Hagay" = "tomer@example.com"\n',
            "'users.Tomer Hagay': should be a table: a [section] or { key = value, ... }",
        ),
    ],
)
def test_a_table_or_list_of_the_wrong_shape_is_said_in_toml_words(
    tmp_path: Path, clean_env: None, text: str, expected: str
) -> None:
    """``[rules]`` for ``[[rules]]`` was "Input should be a valid list", and ``[[jira]]`` was
    "Input should be a valid dictionary or instance of JiraConfig"."""
    message = error_of(tmp_path, text)
    assert expected in message
    assert "instance of" not in message


def test_a_config_linked_into_the_vault_is_about_the_folder_of_the_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    """A plansync.toml kept with the dotfiles and linked into the vault synced the dotfiles
    folder (the link was resolved), and kept its state there."""
    (tmp_path / "dotfiles").mkdir()
    (tmp_path / "vault").mkdir()
    (tmp_path / "dotfiles" / "plansync.toml").write_text(RULE, "utf-8")
    (tmp_path / "vault" / "plansync.toml").symlink_to(tmp_path / "dotfiles" / "plansync.toml")
    monkeypatch.chdir(tmp_path / "vault")
    for config in (load_config(), load_config("plansync.toml")):
        assert config.vault_root == (tmp_path / "vault").resolve()
        assert config.state_dir == tmp_path / "vault" / ".plansync"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            'status_field = "Status__c"\n[[salesforce.rules]]\nname = "rfe"\nobject = "RFE__c"\n'
            'fields = { Name = "{text}", Status__c = "{priority}" }\n',
            "status_field 'Status__c' is also written by rule 'rfe'",
        ),
        ('status_field = "Jira_Key__c"\n', "status_field 'Jira_Key__c' is a field plansync fills"),
        ('status_field = "Status__c"\nstatus_values = { closed = "Closed" }\n', "status_values"),
        ('status_field = "Status__c"\nstatus_values = { in_progres = "Doing" }\n', "status_values"),
        (
            'status_field = "Status__c"\nstatus_values = { done = "Shipped" }\n'
            'open_status_values = ["Planned", "Shipped"]\n',
            "open_status_values: 'Shipped' is status_values' done value",
        ),
        ('status_field = "Status__c"\nopen_status_values = [" "]\n', "an empty value"),
    ],
    ids=[
        "written-by-a-rule",
        "a-field-plansync-fills",
        "unknown-move",
        "misspelt-in-progress",
        "open-and-done",
        "empty-open-value",
    ],
)
def test_a_salesforce_status_field_that_cannot_work_is_refused_naming_it(
    tmp_path: Path, extra: str, message: str
) -> None:
    """The checkbox alone writes the status field: a rule writing it too would set it back
    on every update, and each run would move it again."""
    error = error_of(tmp_path, RULE + "[salesforce]\n" + extra)
    assert message in error
    assert "salesforce" in error


def test_a_salesforce_status_field_and_its_values_are_read(tmp_path: Path) -> None:
    config = load_text(
        tmp_path,
        RULE + '[salesforce]\nstatus_field = "Status__c"\n'
        'status_values = { cancelled = "No", in_progress = "Doing" }\n',
    )
    assert config.salesforce is not None
    assert (config.salesforce.status_field, config.salesforce.status_values) == (
        "Status__c",
        {"cancelled": "No", "in_progress": "Doing"},
    )
    assert config.salesforce.open_status_values == []


def test_an_api_version_written_as_a_number_is_read_as_its_text(
    tmp_path: Path, clean_env: None
) -> None:
    """``api_version = 59.0`` was "Input should be a valid string", and ``api_version = 3``
    "Input should be '2' or '3'"."""
    config = load_text(
        tmp_path, f"{RULE}[jira]\napi_version = 3\n[salesforce]\napi_version = 60.0\n"
    )
    assert config.jira.api_version == "3"
    assert config.salesforce is not None and config.salesforce.api_version == "60.0"
    message = error_of(tmp_path, f"{RULE}[salesforce]\napi_version = 60\n")
    assert "'salesforce.api_version': '60' is not an API version such as '59.0'" in message


def test_cancelled_status_names_are_read_trimmed_and_unset_by_default(
    tmp_path: Path, clean_env: None
) -> None:
    """The closed statuses that mean cancelled in a Jira whose names say nothing of it."""
    assert load_text(tmp_path, RULE).jira.cancelled_status_names is None
    config = load_text(
        tmp_path, f'{RULE}[jira]\ncancelled_status_names = [" Declined ", "Abgebrochen"]\n'
    )
    assert config.jira.cancelled_status_names == ["Declined", "Abgebrochen"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[]", "'jira.cancelled_status_names': names no status"),
        ('["Declined", " "]', "'jira.cancelled_status_names': an empty status name"),
        (
            '"Declined"',
            "'jira.cancelled_status_names': is a string, not a list: write [\"Declined\"]",
        ),
        ("[3]", "'jira.cancelled_status_names[0]'"),
    ],
    ids=["empty-list", "empty-name", "a-string", "a-number"],
)
def test_cancelled_status_names_that_name_no_status_are_named_at_load(
    tmp_path: Path, clean_env: None, value: str, expected: str
) -> None:
    """An empty list would read every closed issue as done, the misreading it is there to end."""
    message = error_of(tmp_path, f"{RULE}[jira]\ncancelled_status_names = {value}\n")
    assert expected in message, message


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_configs_document_cancelled_status_names_beside_cancel_transition(
    path: Path, tmp_path: Path, clean_env: None
) -> None:
    """Off unless set (statuses told by name, as before); the commented line, uncommented,
    loads as it reads."""
    lines = path.read_text(encoding="utf-8").splitlines()
    [at] = [n for n, line in enumerate(lines) if line.startswith("# cancelled_status_names = ")]
    # Right after cancel_transition's lines: its comment continues with "#   " lines.
    above = next(n for n in range(at - 1, -1, -1) if not lines[n].startswith("#      "))
    assert lines[above].startswith("# cancel_transition = ")
    config = load_text(tmp_path, f"{RULE}[jira]\n{lines[at].removeprefix('# ')}\n")
    assert config.jira.cancelled_status_names == ["Declined", "Abgebrochen"]


def test_the_starter_configs_retry_settings_uncommented_load_as_they_read(
    tmp_path: Path, clean_env: None
) -> None:
    lines = (ROOT / "plansync" / "templates" / "plansync.toml").read_text("utf-8").splitlines()
    settings = [
        line.removeprefix("# ")
        for line in lines
        if line.startswith(("# timeout = ", "# max_retries = ", "# max_backoff = "))
    ]
    assert len(settings) == 3
    config = load_text(tmp_path, RULE + "[jira]\n" + "\n".join(settings) + "\n")
    assert (config.jira.timeout, config.jira.max_retries, config.jira.max_backoff) == (30, 5, 60)
