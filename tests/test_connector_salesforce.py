"""Contract tests of the Salesforce connector, no network (``responses``).

The canned answers follow Salesforce's REST API documentation: query results with
``nextRecordsUrl``, sObject Collections upsert/update results (``success``, ``created``,
``errors[{statusCode, message, fields}]``), error bodies (``[{message, errorCode}]``), the 300
of an external id on several records, OAuth token answers and errors, and SOAP ``login()``.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
import typing
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
import responses
from conftest import Sleeps, refused
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from plansync.connectors.base import (
    ConnectorError,
    FieldUpdate,
    Link,
    NewRecord,
    OpResult,
    StatusMove,
)
from plansync.connectors.salesforce import SalesforceConnector
from plansync.connectors.salesforce_auth import LOGIN_NEEDS
from plansync.connectors.salesforce_names import SfAuth, SfSetting
from plansync.redact import NOT_A_KEY_FILE, key_file
from plansync.sandbox.tls import make_loopback_certificate

INSTANCE = "https://acme.my.salesforce.com"
API = f"{INSTANCE}/services/data/v59.0"
QUERY = f"{API}/query/"
UPSERT = f"{API}/composite/sobjects/RFE__c/Plansync_Id__c"
UPDATE = f"{API}/composite/sobjects"
LOGIN = "https://login.salesforce.com"
TOKEN_URL = f"{LOGIN}/services/oauth2/token"
SESSION = "00DJ0000001234X!AQ4AQFake.Session.Token-very-secret"
FRESH = "00DJ0000001234X!AQ4AQFresh.Session.Token-also-secret"
CONSUMER_KEY = "3MVG9fakeConsumerKeyForTheConnectedApp"
CLIENT_SECRET = "F00DC0FFEE-client-secret-value"
PASSWORD = "hunter2-Password!"
SECURITY_TOKEN = "sEcUrItYtOkEn42"
USER = "integration@acme.example"
FIELDS = [
    "Name",
    "Description__c",
    "Due_Date__c",
    "Priority__c",
    "Jira_Key__c",
    "Note_Link__c",
    "OwnerId",
    "Account__c",
]
SELECT = "SELECT Id, Plansync_Id__c, " + ", ".join(FIELDS) + " FROM RFE__c"
EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
CONCURRENT = [
    {"message": "ConcurrentPerOrgLongTxn Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
]


@pytest.fixture(scope="module")
def rsa_key() -> tuple[str, str]:
    """A fresh RSA key pair (private PEM, public PEM), made for these tests only."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def make(sleeps: Sleeps, **options: Any) -> SalesforceConnector:
    settings: dict[str, Any] = {
        "auth": "session",
        "session_id": SESSION,
        "instance_url": INSTANCE,
        "timeout": 7,
        "sleep": sleeps,
    }
    objects = {"RFE__c": options.pop("fields", FIELDS)}
    return SalesforceConnector(objects, "Plansync_Id__c", **{**settings, **options})


@pytest.fixture
def sf(sleeps: Sleeps) -> SalesforceConnector:
    return make(sleeps)


def jwt_connector(sleeps: Sleeps, private_pem: str, **options: Any) -> SalesforceConnector:
    return make(
        sleeps,
        auth="jwt",
        session_id=None,
        instance_url=None,
        consumer_key=CONSUMER_KEY,
        private_key=private_pem,
        username=USER,
        **options,
    )


def client_credentials_connector(sleeps: Sleeps, domain: str) -> SalesforceConnector:
    return make(
        sleeps,
        auth="client_credentials",
        session_id=None,
        instance_url=None,
        client_id=CONSUMER_KEY,
        client_secret=CLIENT_SECRET,
        domain=domain,
    )


def token_answer(access_token: str = FRESH) -> dict[str, Any]:
    """A token endpoint's success answer, as in Salesforce's OAuth documentation."""
    return {
        "access_token": access_token,
        "scope": "api",
        "instance_url": INSTANCE,
        "id": f"{LOGIN}/id/00DJ0000001234X/005J0000001234X",
        "token_type": "Bearer",
    }


def row(record_id: str, plansync_id: str, **fields: Any) -> dict[str, Any]:
    """A query result row with the fields the connector selects."""
    values: dict[str, Any] = dict.fromkeys(FIELDS)
    values["Name"] = f"RFE {plansync_id}"
    return {
        "attributes": {
            "type": "RFE__c",
            "url": f"/services/data/v59.0/sobjects/RFE__c/{record_id}",
        },
        "Id": record_id,
        "Plansync_Id__c": plansync_id,
        **values,
        **fields,
    }


def page(rows: list[dict[str, Any]], next_url: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"totalSize": len(rows), "done": next_url is None, "records": rows}
    if next_url:
        answer["nextRecordsUrl"] = next_url
    return answer


def saved(record_id: str, created: bool | None = None) -> dict[str, Any]:
    """A SaveResult (update) or, with ``created``, an UpsertResult of a saved record."""
    result: dict[str, Any] = {"id": record_id, "success": True, "errors": []}
    if created is not None:
        result["created"] = created
    return result


def failed(*errors: tuple[str, str, list[str]]) -> dict[str, Any]:
    """The result of a record Salesforce did not save: ``(statusCode, message, fields)`` each."""
    return {
        "success": False,
        "errors": [{"statusCode": c, "message": m, "fields": f} for c, m, f in errors],
    }


def soql(call: Any) -> str:
    """The SOQL a query request sent (``q=``), decoded."""
    return parse_qs(urlsplit(call.request.url).query)["q"][0]


def body(call: Any) -> Any:
    return json.loads(call.request.body)


def form(call: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


def literals(query: str) -> tuple[str, list[str]]:
    """Split SOQL into its shape (each string literal replaced by ``?``) and the literals'
    values, reading escapes as Salesforce does. Shows what a query means, whatever was sent."""
    unescape = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
    shape, values, index = [], [], 0
    while index < len(query):
        char = query[index]
        if char != "'":
            shape.append(char)
            index += 1
            continue
        value, index = [], index + 1
        while query[index] != "'":
            if query[index] == "\\":
                index += 1
                value.append(unescape.get(query[index], query[index]))
            else:
                value.append(query[index])
            index += 1
        values.append("".join(value))
        shape.append("?")
        index += 1
    return "".join(shape), values


@pytest.mark.parametrize(
    "timeout", [(), (None,), (3,)], ids=["not given", "None where it goes", "3 where it goes"]
)
def test_a_request_through_the_connectors_session_has_a_timeout(
    rsps: responses.RequestsMock, sf: SalesforceConnector, timeout: tuple[float | None, ...]
) -> None:
    """A timeout of None passed where ``requests.Session.request`` takes it, after six other
    arguments, went as given: no timeout, a request that waited for ever (a review)."""
    rsps.get(QUERY, json=page([]))
    before = (None, None, None, None, None, None)  # params, data, headers, cookies, files, auth
    sf._session.request("GET", QUERY, *before, *timeout)
    [call] = rsps.calls
    assert call.request.req_kwargs["timeout"] == (3 if timeout == (3,) else 7)


def test_records_are_not_read_again_by_id_as_soql_does_not_lag(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    """The read by key a plan asks for records its look-up did not return: SOQL by external
    id reads the database as it is, so none was missed, and nothing is sent."""
    assert sf.fetch_by_keys({"a01J000000AAAAA": "ps-a"}) == {}
    assert not rsps.calls and sf.request_count() == 0


# -- logging in -----------------------------------------------------------------------------------


def test_a_session_id_makes_no_login_request_and_nothing_is_sent_before_use(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    rsps.get(QUERY, json=page([]))
    assert sf.request_count() == 0
    sf.fetch_by_ids(["ps-a"])
    [call] = rsps.calls
    assert call.request.headers["Authorization"] == f"Bearer {SESSION}"
    assert call.request.req_kwargs["timeout"] == 7
    assert sf.request_count() == 1


@pytest.mark.parametrize("from_file", [False, True])
def test_jwt_bearer_login_posts_a_signed_assertion(
    rsps: responses.RequestsMock,
    sleeps: Sleeps,
    rsa_key: tuple[str, str],
    tmp_path: Path,
    from_file: bool,
) -> None:
    private, public = rsa_key
    if from_file:
        (tmp_path / "server.key").write_text(private)
    key = str(tmp_path / "server.key") if from_file else private
    rsps.post(TOKEN_URL, json=token_answer())
    rsps.get(QUERY, json=page([]))

    before = int(time.time())
    jwt_connector(sleeps, key).fetch_by_ids(["ps-a"])

    login, query = rsps.calls
    sent = form(login)
    assert sent["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert jwt.get_unverified_header(sent["assertion"])["alg"] == "RS256"
    claims = jwt.decode(sent["assertion"], public, algorithms=["RS256"], audience=LOGIN)
    assert (claims["iss"], claims["sub"], claims["aud"]) == (CONSUMER_KEY, USER, LOGIN)
    assert isinstance(claims["exp"], int)
    assert before + 170 <= claims["exp"] <= int(time.time()) + 180
    assert login.request.req_kwargs["timeout"] == 7
    assert query.request.url.startswith(QUERY)  # the instance the token answer named
    assert query.request.headers["Authorization"] == f"Bearer {FRESH}"


def test_every_request_goes_through_the_session_given(
    rsps: responses.RequestsMock, sleeps: Sleeps, rsa_key: tuple[str, str]
) -> None:
    """The session is how a sandbox's TLS trust (``verify``) reaches logins and API calls."""
    session = requests.Session()
    session.headers["X-Sandbox-Trust"] = "yes"
    rsps.post(TOKEN_URL, json=token_answer())
    rsps.get(QUERY, json=page([]))
    jwt_connector(sleeps, rsa_key[0], session=session).fetch_by_ids(["ps-a"])
    assert [call.request.headers["X-Sandbox-Trust"] for call in rsps.calls] == ["yes", "yes"]


SANDBOX_MY_DOMAIN = "https://acme--dev.sandbox.my.salesforce.com"


def test_the_session_given_is_left_as_it_was(rsps: responses.RequestsMock, sleeps: Sleeps) -> None:
    """Each connector added a response hook to it, never removed: connectors sharing a session
    piled them up, each reading the Retry-After of the others' answers. Retry-After is still
    heard through it."""
    session = requests.Session()
    hooks = {name: list(hooked) for name, hooked in session.hooks.items()}
    rsps.get(QUERY, status=429, headers={"Retry-After": "3"})
    rsps.get(QUERY, json=page([]))
    for _ in range(2):
        make(sleeps, session=session)
    make(sleeps, session=session).fetch_by_ids(["ps-a"])
    assert session.hooks == hooks
    assert sleeps == [3.0]


@pytest.mark.parametrize(
    ("domain", "token_url", "audience"),
    [
        (None, TOKEN_URL, LOGIN),
        (
            "test",
            "https://test.salesforce.com/services/oauth2/token",
            "https://test.salesforce.com",
        ),
        ("acme.my", f"{INSTANCE}/services/oauth2/token", LOGIN),
        ("acme.my.salesforce.com", f"{INSTANCE}/services/oauth2/token", LOGIN),
        (INSTANCE, f"{INSTANCE}/services/oauth2/token", LOGIN),
        (
            "acme--dev.sandbox.my",
            f"{SANDBOX_MY_DOMAIN}/services/oauth2/token",
            "https://test.salesforce.com",
        ),
        (
            SANDBOX_MY_DOMAIN,
            f"{SANDBOX_MY_DOMAIN}/services/oauth2/token",
            "https://test.salesforce.com",
        ),
        ("https://127.0.0.1:8443/", "https://127.0.0.1:8443/services/oauth2/token", LOGIN),
    ],
)
def test_domain_names_the_login_url_and_the_audience_a_login_server(
    rsps: responses.RequestsMock,
    sleeps: Sleeps,
    rsa_key: tuple[str, str],
    domain: str | None,
    token_url: str,
    audience: str,
) -> None:
    """The assertion goes to the domain's token endpoint, but its ``aud`` is always one of
    Salesforce's login servers: a My Domain there is refused ("audience is invalid")."""
    rsps.post(token_url, json=token_answer())
    rsps.get(QUERY, json=page([]))
    jwt_connector(sleeps, rsa_key[0], domain=domain).fetch_by_ids(["ps-a"])
    assert rsps.calls[0].request.url == token_url
    claims = jwt.decode(form(rsps.calls[0])["assertion"], options={"verify_signature": False})
    assert claims["aud"] == audience


def test_client_credentials_login_posts_the_client_id_and_secret_to_my_domain(
    rsps: responses.RequestsMock, sleeps: Sleeps
) -> None:
    rsps.post(f"{INSTANCE}/services/oauth2/token", json=token_answer())
    rsps.get(QUERY, json=page([]))
    connector = client_credentials_connector(sleeps, INSTANCE)
    connector.fetch_by_ids(["ps-a"])
    assert form(rsps.calls[0]) == {
        "grant_type": "client_credentials",
        "client_id": CONSUMER_KEY,
        "client_secret": CLIENT_SECRET,
    }
    assert rsps.calls[1].request.headers["Authorization"] == f"Bearer {FRESH}"
    assert connector.request_count() == 2


def soap_login_answer() -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result>
<passwordExpired>false</passwordExpired><sandbox>false</sandbox>
<serverUrl>{INSTANCE}/services/Soap/u/59.0/00DJ0000001234X</serverUrl>
<sessionId>{FRESH}</sessionId><userId>005J0000001234X</userId>
</result></loginResponse></soapenv:Body></soapenv:Envelope>"""


def soap_fault() -> str:
    return """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:sf="urn:fault.partner.soap.sforce.com"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>
<faultcode>sf:INVALID_LOGIN</faultcode>
<faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.
</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault">
<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>
<sf:exceptionMessage>Invalid username, password, security token; or user locked out.
</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"""


def password_connector(sleeps: Sleeps, **settings: Any) -> SalesforceConnector:
    with pytest.warns(
        FutureWarning, match="SOAP API login\\(\\) call, which Salesforce is retiring"
    ):
        return make(
            sleeps,
            auth="password",
            session_id=None,
            instance_url=None,
            username=USER,
            password=PASSWORD,
            security_token=SECURITY_TOKEN,
            **settings,
        )


def test_the_legacy_password_flow_warns_and_logs_in_through_soap(
    rsps: responses.RequestsMock, sleeps: Sleeps
) -> None:
    rsps.post(f"{LOGIN}/services/Soap/u/59.0", body=soap_login_answer())
    rsps.get(QUERY, json=page([]))
    password_connector(sleeps).fetch_by_ids(["ps-a"])
    login, query = rsps.calls
    assert login.request.headers["SOAPAction"] == "login"
    assert f"<n1:password>{PASSWORD}{SECURITY_TOKEN}</n1:password>" in login.request.body
    assert query.request.headers["Authorization"] == f"Bearer {FRESH}"


def assert_one_safe_line(error: ConnectorError, caplog: pytest.LogCaptureFixture) -> None:
    message = str(error)
    assert "\n" not in message and len(message) < 400
    assert error.__cause__ is None and error.__context__ is None  # no library error chained
    for text in (message, repr(error), caplog.text):
        for secret in (SESSION, FRESH, CLIENT_SECRET, PASSWORD, SECURITY_TOKEN, "PRIVATE KEY"):
            assert secret not in text


def test_a_refused_jwt_login_is_one_line_naming_flow_and_reason(
    rsps: responses.RequestsMock,
    sleeps: Sleeps,
    rsa_key: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    refusal = {"error": "invalid_grant", "error_description": "user hasn't approved this consumer"}
    rsps.post(TOKEN_URL, status=400, json=refusal)
    with pytest.raises(ConnectorError) as raised:
        jwt_connector(sleeps, rsa_key[0]).fetch_by_ids(["ps-a"])
    assert str(raised.value).startswith(
        f"Salesforce login (JWT bearer) at {LOGIN} failed: "
        "invalid_grant: user hasn't approved this consumer; the user must be pre-authorised"
    )
    assert (raised.value.status, raised.value.kind) == (400, "auth")  # not a 400 of a record
    assert_one_safe_line(raised.value, caplog)
    assert len(rsps.calls) == 1


def test_a_refused_client_credentials_login_never_shows_the_secret(
    rsps: responses.RequestsMock, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # An answer that echoes what it was sent must not carry the secret into the message.
    refusal = {
        "error": "invalid_client",
        "error_description": f"invalid client credentials (client_secret={CLIENT_SECRET})",
    }
    rsps.post(f"{INSTANCE}/services/oauth2/token", status=400, json=refusal)
    connector = client_credentials_connector(sleeps, "acme.my")
    with pytest.raises(ConnectorError, match=r"login \(client credentials\) .* invalid_client"):
        connector.fetch_by_ids(["ps-a"])
    assert_one_safe_line(connector_error(connector), caplog)


def connector_error(connector: SalesforceConnector) -> ConnectorError:
    with pytest.raises(ConnectorError) as raised:
        connector.fetch_by_ids(["ps-a"])
    return raised.value


def test_a_refused_password_login_is_one_line_without_the_password(
    rsps: responses.RequestsMock, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rsps.post(f"{LOGIN}/services/Soap/u/59.0", status=500, body=soap_fault())
    error = connector_error(password_connector(sleeps))
    assert str(error) == (
        f"Salesforce login (username-password (SOAP)) at {LOGIN} failed: INVALID_LOGIN: "
        "Invalid username, password, security token; or user locked out."
    )
    assert_one_safe_line(error, caplog)


def test_a_password_login_answered_by_a_proxy_page_is_one_line(
    rsps: responses.RequestsMock, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    """A 200 that is no SOAP (a proxy's sign-in page) made the library raise an XML parser
    error, which escaped as a traceback."""
    rsps.post(f"{LOGIN}/services/Soap/u/59.0", body="<html><body>Sign in to the proxy")
    error = connector_error(password_connector(sleeps))
    assert str(error) == (
        f"Salesforce login (username-password (SOAP)) at {LOGIN} failed: its answer is not a"
        " SOAP response (a proxy in the way?)"
    )
    assert_one_safe_line(error, caplog)


@pytest.mark.parametrize("flow", ["jwt", "client_credentials", "password"])
def test_a_login_that_reached_salesforce_before_it_went_away_says_nothing_was_acted_on(
    rsps: responses.RequestsMock, sleeps: Sleeps, rsa_key: tuple[str, str], flow: str
) -> None:
    """The login host dropped the connection, then refused it: a login changes no record, so
    its error does not say "an earlier try reached Salesforce, which may have acted on it"
    (said of writes only), in any flow."""
    if flow == "jwt":
        url, connector = TOKEN_URL, jwt_connector(sleeps, rsa_key[0])
    elif flow == "client_credentials":
        url = f"{INSTANCE}/services/oauth2/token"
        connector = client_credentials_connector(sleeps, "acme.my")
    else:
        url, connector = f"{LOGIN}/services/Soap/u/59.0", password_connector(sleeps)
    rsps.post(url, body=requests.ConnectionError("Connection aborted: RemoteDisconnected"))
    rsps.post(url, body=refused())
    error = connector_error(connector)
    assert "tries while logging in at" in str(error), error
    assert "acted" not in str(error)
    assert "Is it running there" in str(error)


def test_a_short_session_id_a_server_echoes_is_blanked_too(
    rsps: responses.RequestsMock, sleeps: Sleeps
) -> None:
    """Too short for the process-wide registry (it would blank ordinary words), but still
    this connector's own: blanked in what Salesforce says about it."""
    rsps.get(QUERY, status=400, json=[{"errorCode": "X", "message": "bad session 00Dx!"}])
    error = connector_error(make(sleeps, session_id="00Dx!"))
    assert "00Dx!" not in str(error) and "bad session ***" in str(error)


def test_a_login_page_instead_of_a_token_answer_is_one_line(
    rsps: responses.RequestsMock, sleeps: Sleeps, rsa_key: tuple[str, str]
) -> None:
    rsps.post(TOKEN_URL, status=200, body="<html>\n<body>Sign in</body>\n</html>")
    error = connector_error(jwt_connector(sleeps, rsa_key[0]))
    assert str(error).startswith(f"Salesforce login (JWT bearer) at {LOGIN} failed: HTTP 200")
    assert "\n" not in str(error)


def test_a_private_key_that_is_not_one_fails_without_showing_it(
    sleeps: Sleeps, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bogus = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"
    error = connector_error(jwt_connector(sleeps, bogus))
    assert "not an RSA private key in PEM form" in str(error)
    assert_one_safe_line(error, caplog)
    missing = connector_error(jwt_connector(sleeps, str(tmp_path / "nope.key")))
    assert f"cannot read the private key file {tmp_path / 'nope.key'}" in str(missing)


@pytest.mark.parametrize(
    ("given", "path"),
    [
        ("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n", None),
        ("~/keys/server.key", "~/keys/server.key"),
        ("bm90IGEga2V5\nbm90IGEga2V5", NOT_A_KEY_FILE),  # a key without its armour
        ("bm90" * 100, NOT_A_KEY_FILE),  # base64 of one: longer than any file name
    ],
)
def test_one_rule_tells_a_private_key_from_its_file(given: str, path: str | None) -> None:
    """The config (a path from its folder) and the connector (reading it) decided each on its
    own whether ``private_key`` was the PEM text or a file: one helper now decides for both."""
    if path == NOT_A_KEY_FILE:
        with pytest.raises(ValueError, match=re.escape(NOT_A_KEY_FILE)):
            key_file(given)
    else:
        assert key_file(given) == path


def test_the_login_flows_are_named_once_for_the_config_and_the_connector() -> None:
    """The config spelt the flows out again; a flow added to one was refused by the other."""
    from plansync.config import SalesforceConfig

    assert SalesforceConfig.model_fields["auth"].annotation is SfAuth
    assert set(LOGIN_NEEDS) == set(typing.get_args(SfAuth))


@pytest.mark.parametrize(
    ("options", "missing"),
    [
        ({"auth": "jwt", "session_id": None, "instance_url": None}, "consumer_key, private_key"),
        ({"auth": "session", "session_id": None}, "needs session_id"),
        (
            {"auth": "client_credentials", "client_id": "x", "client_secret": "y"},
            "needs domain (the My Domain",
        ),
        ({"auth": "password", "username": USER}, "needs password"),
    ],
)
def test_missing_credentials_are_named_at_construction(
    sleeps: Sleeps, options: dict[str, Any], missing: str
) -> None:
    with pytest.raises(ConnectorError, match=re.escape(missing)):
        make(sleeps, **options)


def test_object_and_field_names_must_be_api_names(sleeps: Sleeps) -> None:
    with pytest.raises(ConnectorError, match="not Salesforce API names: 'Name FROM User --'"):
        make(sleeps, fields=["Name FROM User --"])


# -- expired sessions ---------------------------------------------------------------------------


def test_an_expired_session_logs_in_again_once_then_succeeds(
    rsps: responses.RequestsMock, sleeps: Sleeps, rsa_key: tuple[str, str]
) -> None:
    rsps.post(TOKEN_URL, json=token_answer(SESSION))
    rsps.post(TOKEN_URL, json=token_answer(FRESH))
    rsps.get(QUERY, status=401, json=EXPIRED)
    rsps.get(QUERY, json=page([row("a01J000000AAAAA", "ps-a")]))
    connector = jwt_connector(sleeps, rsa_key[0])

    assert set(connector.fetch_by_ids(["ps-a"])) == {"ps-a"}

    assert [call.request.url.split("?")[0] for call in rsps.calls] == [
        TOKEN_URL,
        QUERY,
        TOKEN_URL,
        QUERY,
    ]
    assert rsps.calls[3].request.headers["Authorization"] == f"Bearer {FRESH}"
    assert connector.request_count() == 4
    assert sleeps == []


def test_a_session_refused_again_after_a_new_login_fails_bounded(
    rsps: responses.RequestsMock,
    sleeps: Sleeps,
    rsa_key: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    rsps.post(TOKEN_URL, json=token_answer())
    rsps.get(QUERY, status=401, json=EXPIRED)
    rsps.patch(UPSERT, status=401, json=EXPIRED)
    connector = jwt_connector(sleeps, rsa_key[0])

    with pytest.raises(ConnectorError) as raised:
        connector.fetch_by_ids(["ps-a"])
    assert str(raised.value).startswith(
        "Salesforce refused a fresh session (JWT bearer) while reading RFE__c records"
    )
    assert "INVALID_SESSION_ID: Session expired or invalid" in str(raised.value)
    assert raised.value.status == 401
    assert connector.request_count() == 4  # login, query, login, query: nothing more
    assert_one_safe_line(raised.value, caplog)

    with pytest.raises(ConnectorError, match="refused a fresh session"):
        connector.create_many([NewRecord("ps-a", {"Name": "x"})])
    assert connector.request_count() == 7  # upsert, login, upsert: one new login a call


def test_an_expired_session_id_cannot_be_renewed_and_says_so(
    rsps: responses.RequestsMock, sf: SalesforceConnector, caplog: pytest.LogCaptureFixture
) -> None:
    rsps.get(QUERY, status=401, json=EXPIRED)
    with pytest.raises(ConnectorError, match="give a fresh session id") as raised:
        sf.fetch_by_ids(["ps-a"])
    assert sf.request_count() == 1
    assert_one_safe_line(raised.value, caplog)


def test_the_library_never_logs_in_by_itself(
    rsps: responses.RequestsMock, sleeps: Sleeps, rsa_key: tuple[str, str]
) -> None:
    """The library client is built without a login callback, so a 401 whose body is not a
    JSON list (which the library's own re-login reads as ``json()[0]``) is a clean failure."""
    rsps.post(TOKEN_URL, json=token_answer())
    rsps.get(QUERY, status=401, body="<html>Unauthorized</html>")
    connector = jwt_connector(sleeps, rsa_key[0])
    with pytest.raises(ConnectorError, match=r"refused a fresh session .*Unauthorized"):
        connector.fetch_by_ids(["ps-a"])
    assert connector._client()._salesforce_login_partial is None
    assert connector.request_count() == 4


# -- limits ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "answer"), [(403, CONCURRENT), (503, [{"message": "Service Unavailable"}])]
)
def test_a_throttled_request_is_retried_after_a_backoff(
    rsps: responses.RequestsMock,
    sf: SalesforceConnector,
    sleeps: Sleeps,
    status: int,
    answer: list[dict[str, str]],
) -> None:
    rsps.get(QUERY, status=status, json=answer)
    rsps.get(QUERY, status=status, json=answer)
    rsps.get(QUERY, json=page([row("a01J000000AAAAA", "ps-a")]))
    assert set(sf.fetch_by_ids(["ps-a"])) == {"ps-a"}
    assert sleeps == [1.0, 2.0]
    assert sf.request_count() == 3


@pytest.mark.parametrize("status", [429, 503])
def test_a_throttled_answer_is_waited_out_as_long_as_its_retry_after_asks(
    rsps: responses.RequestsMock, sf: SalesforceConnector, sleeps: Sleeps, status: int
) -> None:
    """A gateway's 429 failed the call at once, and a 503's Retry-After was not read (the
    library's error keeps no headers): it was resent after 1 s, 2 s, ... whatever it asked."""
    busy = [{"message": "slow down", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    rsps.get(QUERY, status=status, json=busy, headers={"Retry-After": "7"})
    rsps.get(QUERY, json=page([row("a01J000000AAAAA", "ps-a")]))
    assert set(sf.fetch_by_ids(["ps-a"])) == {"ps-a"}
    assert sleeps == [7.0]


def test_a_retry_after_longer_than_max_backoff_fails_naming_the_setting(
    rsps: responses.RequestsMock, sleeps: Sleeps
) -> None:
    rsps.get(QUERY, status=503, json=[{"message": "down"}], headers={"Retry-After": "600"})
    connector = make(sleeps, max_backoff=60)
    with pytest.raises(ConnectorError) as raised:
        connector.fetch_by_ids(["ps-a"])
    assert (raised.value.status, raised.value.retry_after) == (503, 600)
    assert "raise [salesforce] max_backoff to wait that long" in str(raised.value)
    assert sleeps == []


def test_a_limit_that_never_clears_is_bounded(rsps: responses.RequestsMock, sleeps: Sleeps) -> None:
    rsps.patch(UPSERT, status=403, json=CONCURRENT)
    connector = make(sleeps, max_retries=3, max_backoff=3)
    with pytest.raises(ConnectorError) as raised:
        connector.create_many([NewRecord("ps-a", {"Name": "x"})])
    assert str(raised.value).startswith(
        "Salesforce answered 403 (REQUEST_LIMIT_EXCEEDED) to upserting RFE__c records by "
        "Plansync_Id__c (1) 4 times ([salesforce] max_retries = 3)"
    )
    assert raised.value.status == 403
    assert len(rsps.calls) == 4  # the first try and max_retries more
    assert sleeps == [1.0, 2.0, 3.0]


SERVER_ERROR = [{"message": "An unexpected error occurred.", "errorCode": "UNKNOWN_EXCEPTION"}]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_read_answered_a_server_error_is_sent_again(
    rsps: responses.RequestsMock, sf: SalesforceConnector, sleeps: Sleeps, status: int
) -> None:
    """A query is a read: an instance restarting failed the whole plan on a 500, where Jira's
    search was asked again. Every page of it, and a user's look-up, is a read too."""
    next_url = "/services/data/v59.0/query/01gD0000002HU6KIAW-2000"
    rsps.get(QUERY, status=status, json=SERVER_ERROR)
    rsps.get(QUERY, json=page([row("a01J000000AAAAA", "ps-a")], next_url))
    rsps.get(f"{INSTANCE}{next_url}", status=status, json=SERVER_ERROR)
    rsps.get(f"{INSTANCE}{next_url}", json=page([row("a01J000000BBBBB", "ps-b")]))
    assert set(sf.fetch_by_ids(["ps-a", "ps-b"])) == {"ps-a", "ps-b"}
    assert (sf.request_count(), sleeps) == (4, [1.0, 1.0])
    rsps.get(QUERY, status=status, json=SERVER_ERROR)
    rsps.get(QUERY, json=page([{"Id": "005J0000001AAAA"}]))
    assert sf.find_users("dana@acme.example") == ("005J0000001AAAA",)
    assert sf.request_count() == 6


def test_a_query_that_reached_salesforce_before_it_went_away_says_nothing_was_acted_on(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    """A sandbox stopped while a plan read records: "an earlier try reached Salesforce, which
    may have acted on it" (a user test) is said of writes only; a query changes nothing."""
    rsps.get(QUERY, status=502, body="Bad Gateway")
    rsps.get(QUERY, body=refused())
    with pytest.raises(ConnectorError) as failed:
        sf.fetch_by_ids(["ps-a", "ps-b"])
    assert "tries while reading RFE__c records by 2 Plansync_Id__c)." in str(failed.value)
    assert "acted" not in str(failed.value)


def test_a_500_to_a_read_then_a_200_is_two_requests_and_to_a_write_one(
    rsps: responses.RequestsMock, sf: SalesforceConnector, sleeps: Sleeps
) -> None:
    """Salesforce may have saved the records of a write answered 500 (a trigger that threw
    after the insert): it fails its batch, unsent again, while the query before it is asked
    again."""
    rsps.get(QUERY, status=500, json=SERVER_ERROR)
    rsps.get(QUERY, json=page([row("a01J000000AAAAA", "ps-a")]))
    assert set(sf.fetch_by_ids(["ps-a"])) == {"ps-a"}
    assert (sf.request_count(), sleeps) == (2, [1.0])
    rsps.patch(UPSERT, status=500, json=SERVER_ERROR)
    rsps.patch(UPDATE, status=500, json=SERVER_ERROR)
    (created,) = sf.create_many([NewRecord("ps-b", {"Name": "b"})])
    (updated,) = sf.update_many([FieldUpdate("a01J000000AAAAA", {"Name": "a"})])
    assert not created.ok and "500" in (created.error or "")
    assert not updated.ok and "UNKNOWN_EXCEPTION" in (updated.error or "")
    assert (sf.request_count(), sleeps) == (4, [1.0])


def test_a_read_that_keeps_answering_500_fails_naming_it_past_max_retries(
    rsps: responses.RequestsMock, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    """One line, with Salesforce's words and the object and field read: a ConnectorError for
    the engine to report, not the library's exception. It says it was sent again, and each
    wait is warned of, as for a 503 and as Jira says it (a user test found it did not)."""
    rsps.get(QUERY, status=500, json=SERVER_ERROR)
    rsps.get(QUERY, status=500, json=SERVER_ERROR)
    connector = make(sleeps, max_retries=2)
    with caplog.at_level(logging.WARNING), pytest.raises(ConnectorError) as raised:
        connector.fetch_by_ids(["ps-a"])
    assert str(raised.value) == (
        "Salesforce answered 500 to reading RFE__c records by 1 Plansync_Id__c 3 times"
        " ([salesforce] max_retries = 2): UNKNOWN_EXCEPTION: An unexpected error occurred."
    )
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "Salesforce answered 500 (UNKNOWN_EXCEPTION) to reading RFE__c records by 1"
        f" Plansync_Id__c; retrying in {wait}s"
        for wait in ("1.0", "2.0")
    ]
    assert (raised.value.kind, raised.value.status, raised.value.throttled) == (
        "server",
        500,
        False,
    )
    assert (connector.request_count(), sleeps) == (3, [1.0, 2.0])
    with pytest.raises(ConnectorError, match=r"^Salesforce answered 500 to looking up the user "):
        connector.find_users("dana@acme.example")


def test_the_daily_limit_fails_at_once_with_the_usage(
    rsps: responses.RequestsMock, sf: SalesforceConnector, sleeps: Sleeps
) -> None:
    rsps.get(QUERY, json=page([]), headers={"Sforce-Limit-Info": "api-usage=14999/15000"})
    daily = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    rsps.patch(UPSERT, status=403, json=daily)
    sf.fetch_by_ids(["ps-a"])
    with pytest.raises(ConnectorError) as raised:
        sf.create_many([NewRecord("ps-a", {"Name": "x"})])
    assert "daily API request limit is used up (14999/15000 used)" in str(raised.value)
    assert (raised.value.status, raised.value.kind) == (403, "throttled")  # not a permission
    assert sleeps == []
    assert sf.request_count() == 2


def test_a_call_refused_after_an_earlier_request_of_it_went_through_says_it_acted(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    """201 records are two upserts: the second refused (the daily limit) leaves the first's
    200 records made, so the error must not read as a call refused before acting."""
    daily = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    rsps.patch(UPSERT, json=[saved(f"a01J{n:011d}", created=True) for n in range(200)])
    rsps.patch(UPSERT, status=403, json=daily)
    with pytest.raises(ConnectorError) as raised:
        sf.create_many([NewRecord(f"ps-{n}", {"Name": "x"}) for n in range(201)])
    assert raised.value.status == 403 and raised.value.acted
    rsps.patch(UPSERT, status=403, json=daily)
    with pytest.raises(ConnectorError) as first:
        sf.create_many([NewRecord("ps-z", {"Name": "x"})])
    assert not first.value.acted


def test_a_record_refused_for_a_lock_or_its_own_id_taken_may_be_made_all_the_same(
    rsps: responses.RequestsMock, sleeps: Sleeps
) -> None:
    """An upsert resent after a timeout meets the first one still running (a lock timeout) or
    just done (its external id taken): such a record may exist. A duplicate of another unique
    field, or a value refused, is a refusal like any other. (No retries here: what one answer
    says.)"""
    sf = make(sleeps, max_retries=0)
    rsps.patch(
        UPSERT,
        json=[
            failed(("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access", [])),
            failed(("DUPLICATE_VALUE", "duplicate value found", ["Plansync_Id__c"])),
            failed(("DUPLICATE_VALUE", "duplicate value found", ["Account__c"])),
            failed(("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "bad value", ["Priority__c"])),
        ],
    )
    results = sf.create_many([NewRecord(f"ps-{n}", {"Name": "x"}) for n in range(4)])
    assert [(r.ok, r.maybe_done) for r in results] == [
        (False, True),
        (False, True),
        (False, False),
        (False, False),
    ]
    assert sf.request_count() == 1


def test_a_value_refused_names_the_setting_that_mapped_it(
    rsps: responses.RequestsMock, sleeps: Sleeps
) -> None:
    """A priority the restricted picklist refuses failed as "Priority__c: ...: P1", the
    setting that gave it unsaid (a user test): the create, the update and the move each name
    it where the value refused is one the config maps; a value of the note's is said as
    before."""
    settings = [
        SfSetting("salesforce.rules[0].priority_map.high", "RFE__c", "Priority__c", "P1"),
        SfSetting("salesforce.rules[1].priority_map.high", "Other__c", "Priority__c", "P1"),
    ]
    sf = make(sleeps, status_field="Status__c", settings=settings)
    picklist = "Priority: bad value for restricted picklist field: P1"
    refused = failed(("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", picklist, ["Priority__c"]))
    rsps.patch(UPSERT, json=[refused, failed(("STRING_TOO_LONG", "too long", ["Name"]))])
    [create, long_name] = sf.create_many(
        [NewRecord("ps-a", {"Priority__c": "P1"}), NewRecord("ps-b", {"Name": "P1"})]
    )
    said = "'P1' is the value of salesforce.rules[0].priority_map.high"
    assert create.error == (
        f"Priority__c: INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: {picklist} ({said})"
    )
    assert create.details["Priority__c"].endswith(f"({said})")
    assert long_name.error and "priority_map" not in long_name.error
    bad_status = failed(("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Status: bad", ["Status__c"]))
    rsps.patch(UPDATE, json=[refused])
    rsps.patch(UPDATE, json=[bad_status])
    [update] = sf.update_many([FieldUpdate("a01J000000AAAAA", {"Priority__c": "P1"})])
    assert update.error and update.error.endswith(f"({said})")
    [move] = sf.transition_many([StatusMove("a01J000000AAAAA", "cancelled")])
    assert move.error and move.error.endswith(
        "('Cancelled' is the value of salesforce.status_values.cancelled (its default))"
    )


# -- row locks ------------------------------------------------------------------------------------

LOCK_MESSAGE = "unable to obtain exclusive access to this record"
LOCKED = failed(("UNABLE_TO_LOCK_ROW", LOCK_MESSAGE, []))
IDS = ["a01J000000AAAAA", "a01J000000BBBBB", "a01J000000CCCCC"]
WRITES = pytest.mark.parametrize(("kind", "url"), [("create", UPSERT), ("update", UPDATE)])


def write_three(sf: SalesforceConnector, kind: str) -> list[OpResult]:
    """Create ps-0, ps-1, ps-2 (upserts by external id), or update the records ``IDS`` (by Id)."""
    if kind == "create":
        return sf.create_many([NewRecord(f"ps-{n}", {"Name": f"R{n}"}) for n in range(3)])
    return sf.update_many([FieldUpdate(IDS[n], {"Name": f"R{n}"}) for n in range(3)])


@WRITES
def test_records_refused_for_a_row_lock_are_sent_again_alone_after_a_short_wait(
    rsps: responses.RequestsMock, sf: SalesforceConnector, sleeps: Sleeps, kind: str, url: str
) -> None:
    """A lock held by another transaction (a trigger, a roll-up, an integration) clears within
    seconds: the records refused for one, and only they, go again, in one request."""
    missing = failed(("REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]", ["Name"]))
    rsps.patch(url, json=[saved(IDS[0]), LOCKED, missing])
    rsps.patch(url, json=[saved(IDS[1])])
    results = write_three(sf, kind)
    first, retry = (body(call) for call in rsps.calls)
    assert retry == {"allOrNone": False, "records": [first["records"][1]]}
    assert [(r.ok, r.key) for r in results[:2]] == [(True, IDS[0]), (True, IDS[1])]
    assert not results[2].ok and "REQUIRED_FIELD_MISSING" in (results[2].error or "")
    assert sleeps == [1.0] and sf.request_count() == 2


@WRITES
def test_a_row_still_locked_after_two_retries_fails_saying_so(
    rsps: responses.RequestsMock, sf: SalesforceConnector, sleeps: Sleeps, kind: str, url: str
) -> None:
    """Past two retries (1 s, then 2 s later) the lock is a long job's: the record fails as
    before (a create is looked up by the engine, an update fails naming its record), with
    its error saying it was retried."""
    rsps.patch(url, json=[saved(IDS[0]), LOCKED, saved(IDS[2])])
    rsps.patch(url, json=[LOCKED])
    results = write_three(sf, kind)
    assert [len(body(call)["records"]) for call in rsps.calls] == [3, 1, 1]
    assert sleeps == [1.0, 2.0] and sf.request_count() == 3
    assert [r.ok for r in results] == [True, False, True]
    locked = results[1]
    assert locked.error == f"UNABLE_TO_LOCK_ROW: {LOCK_MESSAGE} (retried 2 times; still locked)"
    assert locked.key == (None if kind == "create" else IDS[1])
    # A create may be made all the same (the engine looks it up); an update the lock refused
    # was not made, and is not said to be maybe done.
    assert locked.maybe_done == (kind == "create")


def test_a_create_its_refused_try_made_all_the_same_is_found_by_the_retry_not_made_again(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    """Rarely, a create refused for a lock was committed all the same. The retry is an upsert
    by external id too, so it meets that record (created: false) instead of making another.
    The org here keeps one record per external id, as an upsert does, and commits the
    refused record before refusing it."""
    org: dict[str, str] = {}  # external id -> Id
    refusals = iter([{"ps-1"}, set()])  # per request: the ids answered UNABLE_TO_LOCK_ROW

    def upsert(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        refused, results = next(refusals), []
        for record in json.loads(request.body or "{}")["records"]:
            ident = record["Plansync_Id__c"]
            created = ident not in org
            org.setdefault(ident, f"a01J{len(org):011d}")
            results.append(LOCKED if ident in refused else saved(org[ident], created=created))
        return 200, {}, json.dumps(results)

    rsps.add_callback(responses.PATCH, UPSERT, callback=upsert)
    results = sf.create_many([NewRecord(f"ps-{n}", {"Name": f"R{n}"}) for n in range(2)])
    assert [(r.ok, r.key) for r in results] == [(True, org["ps-0"]), (True, org["ps-1"])]
    assert sorted(org) == ["ps-0", "ps-1"]
    assert [call.request.url for call in rsps.calls] == [UPSERT, UPSERT]
    assert [r["Plansync_Id__c"] for r in body(rsps.calls[1])["records"]] == ["ps-1"]


@pytest.mark.parametrize("status", [400, 500])
def test_a_request_refused_whole_for_a_row_lock_is_sent_again(
    rsps: responses.RequestsMock, sf: SalesforceConnector, sleeps: Sleeps, status: int
) -> None:
    """A 400 (or a 500: it failed its batch) whose only error is UNABLE_TO_LOCK_ROW refused
    each record of it for a lock: they are retried as records refused one by one are, which
    is safe even if the 500 saved some, as a create is an upsert by external id."""
    rsps.patch(
        UPSERT, status=status, json=[{"message": LOCK_MESSAGE, "errorCode": "UNABLE_TO_LOCK_ROW"}]
    )
    rsps.patch(UPSERT, json=[saved(IDS[0]), saved(IDS[1]), saved(IDS[2])])
    results = write_three(sf, "create")
    assert all(r.ok for r in results)
    assert body(rsps.calls[0]) == body(rsps.calls[1])
    assert sleeps == [1.0] and sf.request_count() == 2


def test_api_usage_comes_from_the_sforce_limit_info_header(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    assert sf.api_usage() is None
    rsps.get(QUERY, json=page([]), headers={"Sforce-Limit-Info": "api-usage=18/5000"})
    rsps.get(
        QUERY,
        json=page([]),
        headers={"Sforce-Limit-Info": "api-usage=19/5000; per-app-api-usage=3/250(appName=ps)"},
    )
    sf.fetch_by_ids(["ps-a"])
    assert sf.api_usage() == (18, 5000)
    sf.fetch_by_ids(["ps-b"])
    assert sf.api_usage() == (19, 5000)


def test_a_dropped_connection_on_an_upsert_is_resent(
    rsps: responses.RequestsMock, sf: SalesforceConnector, sleeps: Sleeps
) -> None:
    """An upsert by external id finds what the lost request created: safe to send again."""
    rsps.patch(UPSERT, body=requests.ConnectionError("reset by peer"))
    rsps.patch(UPSERT, json=[saved("a01J000000AAAAA")])
    [result] = sf.create_many([NewRecord("ps-a", {"Name": "x"})])
    assert result.ok and sleeps == [1.0] and sf.request_count() == 2


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.TooManyRedirects("Exceeded 30 redirects."),
        requests.exceptions.ContentDecodingError("incorrect header check"),
    ],
    ids=["redirect-loop", "bad-gzip"],
)
def test_any_other_failure_of_a_request_is_a_connector_error(
    rsps: responses.RequestsMock, sf: SalesforceConnector, error: Exception
) -> None:
    """Not only dropped connections: whatever ``requests`` raises reaches the engine as a
    ConnectorError (reported, the other backend goes on), and is not resent."""
    rsps.get(QUERY, body=error)
    with pytest.raises(ConnectorError, match=type(error).__name__) as raised:
        sf.fetch_by_ids(["ps-a"])
    assert "not sent again" in str(raised.value)
    assert sf.request_count() == 1


# -- reading ---------------------------------------------------------------------------------------


def test_fetch_selects_the_managed_fields_by_external_id(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    found = row("a01J000000AAAAA", "ps-7k2m9q", Due_Date__c="2025-10-27", Priority__c="High")
    rsps.get(QUERY, json=page([found]))

    records = sf.fetch_by_ids(["ps-7k2m9q", "ps-gone", "ps-7k2m9q"])

    assert soql(rsps.calls[0]) == (
        f"{SELECT} WHERE Plansync_Id__c IN ('ps-7k2m9q','ps-gone') ORDER BY Id"
    )
    record = records["ps-7k2m9q"]
    assert set(records) == {"ps-7k2m9q"}
    assert record.key == "a01J000000AAAAA"
    assert record.url == f"{INSTANCE}/lightning/r/RFE__c/a01J000000AAAAA/view"
    assert record.plansync_id == "ps-7k2m9q"
    assert record.fields["Due_Date__c"] == "2025-10-27"
    assert set(record.fields) == set(FIELDS)
    assert record.status_category is None


def test_fetch_follows_next_records_url(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    next_url = "/services/data/v59.0/query/01gD0000002HU6KIAW-2000"
    rsps.get(QUERY, json=page([row("a01J000000AAAAA", "ps-a")], next_url))
    rsps.get(f"{INSTANCE}{next_url}", json=page([row("a01J000000BBBBB", "ps-b")]))
    assert set(sf.fetch_by_ids(["ps-a", "ps-b"])) == {"ps-a", "ps-b"}
    assert rsps.calls[1].request.url == f"{INSTANCE}{next_url}"
    assert sf.request_count() == 2


def test_an_id_on_several_records_maps_to_the_lowest_id_naming_the_others(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    """As Jira's cloned issues: the others in ``duplicates``, for the plan to name."""
    rows = [row("a01J000000AAAAA", "ps-a"), row("a01J000000BBBBB", "ps-a")]
    rsps.get(QUERY, json=page([*rows, row("a01J000000CCCCC", "ps-a")]))
    found = sf.fetch_by_ids(["ps-a"])["ps-a"]
    assert (found.key, found.duplicates) == (
        "a01J000000AAAAA",
        ("a01J000000BBBBB", "a01J000000CCCCC"),
    )


@pytest.mark.parametrize(
    "records", [[{"Plansync_Id__c": "ps-a"}], [["a01J000000AAAAA"]], {"Id": "a01"}]
)
def test_a_query_answer_of_another_shape_fails_in_one_line(
    rsps: responses.RequestsMock, sf: SalesforceConnector, records: Any
) -> None:
    """A row without its Id (a proxy's or another API's answer) was a raw KeyError."""
    rsps.get(QUERY, json={"done": True, "totalSize": 1, "records": records})
    error = connector_error(sf)
    assert str(error).startswith("Salesforce's answer to reading RFE__c records by 1")
    assert "each with an Id" in str(error) and error.kind == "unexpected"
    with pytest.raises(ConnectorError, match="each with an Id"):
        sf.find_users("someone@acme.example")


def answer_each_query(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    """One record per id the query asks for."""
    _, ids = literals(parse_qs(urlsplit(request.url or "").query)["q"][0])
    rows = [row(f"a01J{n:011d}", plansync_id) for n, plansync_id in enumerate(ids)]
    return 200, {}, json.dumps(page(rows))


@pytest.mark.parametrize(("count", "queries"), [(1, 1), (100, 1), (101, 2), (250, 3)])
def test_fetch_asks_at_most_100_ids_a_query(
    rsps: responses.RequestsMock, sf: SalesforceConnector, count: int, queries: int
) -> None:
    rsps.add_callback(responses.GET, QUERY, callback=answer_each_query)
    ids = [f"ps-{n}" for n in range(count)]
    assert set(sf.fetch_by_ids(ids)) == set(ids)
    assert sf.request_count() == queries


def test_long_ids_make_shorter_in_lists_so_urls_stay_short(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    rsps.add_callback(responses.GET, QUERY, callback=answer_each_query)
    ids = [f"ps-{n}-" + "x" * 200 for n in range(60)]
    assert set(sf.fetch_by_ids(ids)) == set(ids)
    assert len(rsps.calls) == 4  # 19 + 19 + 19 + 3 ids: each escaped list within 4,000
    assert all(len(call.request.url) < 16_384 for call in rsps.calls)


HOSTILE = [
    "ps-a') OR Name != ('",
    "ps-b\\') OR Id != null OR Name IN ('",
    "ps-c\\",
    'ps-d" OR "1"="1',
    "ps-e\nORDER BY Name",
]


def test_ids_with_quotes_and_backslashes_reach_the_query_escaped(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    rsps.get(QUERY, json=page([]))
    sf.fetch_by_ids(HOSTILE)
    sent = soql(rsps.calls[0])
    assert sent == (
        f"{SELECT} WHERE Plansync_Id__c IN ("
        "'ps-a\\') OR Name != (\\'',"
        "'ps-b\\\\\\') OR Id != null OR Name IN (\\'',"
        "'ps-c\\\\',"
        '\'ps-d\\" OR \\"1\\"=\\"1\','
        "'ps-e\\nORDER BY Name'"
        ") ORDER BY Id"
    )
    shape, values = literals(sent)
    assert shape == f"{SELECT} WHERE Plansync_Id__c IN (?,?,?,?,?) ORDER BY Id"
    assert values == HOSTILE


def test_find_users_asks_for_the_exact_email_escaped_and_caches(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    user = {"attributes": {"type": "User"}, "Id": "005J0000001AAAA"}
    rsps.get(QUERY, json=page([user]))
    email = "o'brien\\@acme.example"
    assert sf.find_users(f" {email} ") == ("005J0000001AAAA",)
    assert sf.find_users(email.upper()) == ("005J0000001AAAA",)
    assert len(rsps.calls) == 1
    sent = soql(rsps.calls[0])
    assert sent == (
        "SELECT Id FROM User WHERE Email = 'o\\'brien\\\\@acme.example' AND IsActive = true"
        " LIMIT 100"
    )
    assert literals(sent) == (
        "SELECT Id FROM User WHERE Email = ? AND IsActive = true LIMIT 100",
        [email],
    )


def test_find_users_gives_every_match_none_or_several(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    users = [{"Id": "005J0000001AAAA"}, {"Id": "005J0000001BBBB"}]
    rsps.get(QUERY, json=page([]))
    rsps.get(QUERY, json=page(users))
    assert sf.find_users("nobody@acme.example") == ()
    assert sf.find_users("shared@acme.example") == ("005J0000001AAAA", "005J0000001BBBB")
    assert sf.find_users("  ") == ()
    assert sf.request_count() == 2


# -- writing ---------------------------------------------------------------------------------------


def test_create_upserts_by_external_id_and_reports_created_and_updated(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    rsps.patch(
        UPSERT,
        json=[
            saved("a01J000000AAAAA", created=True),
            saved("a01J000000BBBBB", created=False),
        ],
    )

    results = sf.create_many(
        [
            NewRecord(
                "ps-7k2m9q",
                {"Name": "Bulk export", "Due_Date__c": date(2025, 10, 27), "OwnerId": None},
            ),
            NewRecord("ps-8x", {"Name": "Found after a crash"}),
        ]
    )

    [call] = rsps.calls
    assert call.request.method == "PATCH"
    assert body(call) == {
        "allOrNone": False,
        "records": [
            {
                "attributes": {"type": "RFE__c"},
                "Plansync_Id__c": "ps-7k2m9q",
                "Name": "Bulk export",
                "Due_Date__c": "2025-10-27",
                "OwnerId": None,
            },
            {
                "attributes": {"type": "RFE__c"},
                "Plansync_Id__c": "ps-8x",
                "Name": "Found after a crash",
            },
        ],
    }
    assert [(r.ok, r.key, r.url) for r in results] == [
        (True, "a01J000000AAAAA", f"{INSTANCE}/lightning/r/RFE__c/a01J000000AAAAA/view"),
        (True, "a01J000000BBBBB", f"{INSTANCE}/lightning/r/RFE__c/a01J000000BBBBB/view"),
    ]


def test_failures_inside_a_200_are_reported_per_record(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    rsps.patch(
        UPSERT,
        json=[
            saved("a01J000000AAAAA", created=True),
            failed(("REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]", ["Name"])),
            failed(
                (
                    "INVALID_TYPE_ON_FIELD_IN_RECORD",
                    "Due Date: value not of required type: soon",
                    ["Due_Date__c"],
                ),
                ("DUPLICATES_DETECTED", "Use one of these records?", []),
            ),
        ],
    )

    ok, missing, bad = sf.create_many(
        [
            NewRecord("ps-a", {"Name": "A"}),
            NewRecord("ps-b", {"Name": None}),
            NewRecord("ps-c", {"Name": "C", "Due_Date__c": "soon"}),
        ]
    )

    assert ok.ok and ok.key == "a01J000000AAAAA"
    assert (missing.ok, missing.key) == (False, None)
    assert missing.error == "Name: REQUIRED_FIELD_MISSING: Required fields are missing: [Name]"
    assert missing.details == {
        "Name": "REQUIRED_FIELD_MISSING: Required fields are missing: [Name]"
    }
    assert bad.error == (
        "Due_Date__c: INVALID_TYPE_ON_FIELD_IN_RECORD: Due Date: value not of required type: "
        "soon; DUPLICATES_DETECTED: Use one of these records?"
    )
    assert bad.details == {
        "Due_Date__c": "INVALID_TYPE_ON_FIELD_IN_RECORD: Due Date: value not of required type: soon"
    }


def test_a_300_for_an_external_id_on_several_records_fails_that_batch(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    matches = [
        "/services/data/v59.0/sobjects/RFE__c/a01J000000AAAAA",
        "/services/data/v59.0/sobjects/RFE__c/a01J000000BBBBB",
    ]
    rsps.patch(UPSERT, status=300, json=matches)
    results = sf.create_many([NewRecord("ps-a", {"Name": "A"}), NewRecord("ps-b", {"Name": "B"})])
    assert [r.ok for r in results] == [False, False]
    assert results[0].error == (
        "several RFE__c records carry the same Plansync_Id__c (300): " + ", ".join(matches)
    )


def test_a_400_fails_its_batch_and_the_next_batch_goes_on(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    malformed = [{"message": "Unexpected character ('}')", "errorCode": "JSON_PARSER_ERROR"}]
    rsps.patch(UPSERT, status=400, json=malformed)
    rsps.patch(UPSERT, json=[saved("a01J000000ZZZZZ")])
    results = sf.create_many([NewRecord(f"ps-{n}", {"Name": "n"}) for n in range(201)])
    assert [len(body(call)["records"]) for call in rsps.calls] == [200, 1]
    assert not any(r.ok for r in results[:200])
    assert results[0].error == "JSON_PARSER_ERROR: Unexpected character ('}')"
    assert results[200].key == "a01J000000ZZZZZ"


def test_a_500_fails_its_batch_only(rsps: responses.RequestsMock, sleeps: Sleeps) -> None:
    rsps.patch(UPSERT, status=500, json=[{"message": "oops", "errorCode": "UNKNOWN_EXCEPTION"}])
    rsps.patch(UPSERT, json=[saved("a01J000000ZZZZZ")])
    connector = make(sleeps, max_retries=0)
    results = connector.create_many([NewRecord(f"ps-{n}", {"Name": "n"}) for n in range(201)])
    assert results[0].ok is False and "500" in (results[0].error or "")
    assert results[200].ok is True


@pytest.mark.parametrize("status", [502, 504])
def test_a_gateways_error_is_sent_again(
    rsps: responses.RequestsMock, sleeps: Sleeps, status: int
) -> None:
    """A proxy's passing failure: every request plansync sends may be sent twice (an upsert by
    external id makes no second record), so it is, where a 500 fails its batch."""
    rsps.patch(UPSERT, status=status, body="<html>Bad Gateway</html>")
    rsps.patch(UPSERT, json=[saved("a01J000000ZZZZZ")])
    connector = make(sleeps)
    (result,) = connector.create_many([NewRecord("ps-1", {"Name": "n"})])
    assert result.ok and sleeps == [1.0] and len(rsps.calls) == 2


def test_a_503_past_the_retries_fails_the_call_and_sends_no_more_batches(
    rsps: responses.RequestsMock, sleeps: Sleeps
) -> None:
    """Salesforce unavailable is not one batch's fault: the next batches are not sent into it."""
    rsps.patch(UPSERT, status=503, json=[{"message": "down", "errorCode": "SERVER_UNAVAILABLE"}])
    connector = make(sleeps, max_retries=1)
    with pytest.raises(ConnectorError) as raised:
        connector.create_many([NewRecord(f"ps-{n}", {"Name": "n"}) for n in range(401)])
    assert raised.value.status == 503
    assert len(rsps.calls) == 2  # the first batch and its one retry


def test_upserts_send_at_most_200_records_a_request(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    def save_each(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        count = len(json.loads(request.body or "{}")["records"])
        return 200, {}, json.dumps([saved(f"a01J{n:011d}") for n in range(count)])

    rsps.add_callback(responses.PATCH, UPSERT, callback=save_each)
    results = sf.create_many([NewRecord(f"ps-{n}", {"Name": "n"}) for n in range(401)])
    assert [len(body(call)["records"]) for call in rsps.calls] == [200, 200, 1]
    assert len(results) == 401 and all(r.ok for r in results)


def test_an_answer_missing_results_fails_the_call(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    rsps.patch(UPSERT, json=[saved("a01J000000AAAAA")])
    with pytest.raises(ConnectorError, match="does not account for each record"):
        sf.create_many([NewRecord("ps-a", {"Name": "A"}), NewRecord("ps-b", {"Name": "B"})])


def test_update_goes_by_record_id_and_never_creates(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    rsps.patch(
        UPDATE,
        json=[
            saved("a01J000000AAAAA"),
            failed(("ENTITY_IS_DELETED", "entity is deleted", [])),
        ],
    )

    results = sf.update_many(
        [
            FieldUpdate("a01J000000AAAAA", {"Priority__c": "High"}, plansync_id="ps-a"),
            FieldUpdate("a01J000000BBBBB", {"Name": "Gone"}),
        ]
    )

    assert body(rsps.calls[0]) == {
        "allOrNone": False,
        "records": [
            {"attributes": {"type": "RFE__c"}, "id": "a01J000000AAAAA", "Priority__c": "High"},
            {"attributes": {"type": "RFE__c"}, "id": "a01J000000BBBBB", "Name": "Gone"},
        ],
    }
    assert [(r.ok, r.key) for r in results] == [
        (True, "a01J000000AAAAA"),
        (False, "a01J000000BBBBB"),
    ]
    assert results[1].error == "ENTITY_IS_DELETED: entity is deleted"


@pytest.mark.parametrize("name", ["Colour__c", "Id", "Plansync_Id__c"])
def test_a_field_plansync_does_not_write_fails_its_record_alone(
    rsps: responses.RequestsMock, sf: SalesforceConnector, name: str
) -> None:
    rsps.patch(UPDATE, json=[saved("a01J000000BBBBB")])
    results = sf.update_many(
        [FieldUpdate("a01J000000AAAAA", {name: "x"}), FieldUpdate("a01J000000BBBBB", {"Name": "B"})]
    )
    assert (results[0].ok, results[0].key) == (False, "a01J000000AAAAA")
    assert f"{name}: not a field plansync writes on RFE__c" in (results[0].error or "")
    assert results[1].ok
    assert len(body(rsps.calls[0])["records"]) == 1


def test_a_404_fails_the_whole_call_with_a_hint(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    rsps.patch(
        UPSERT,
        status=404,
        json=[{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}],
    )
    with pytest.raises(ConnectorError, match="do RFE__c and its fields exist") as raised:
        sf.create_many([NewRecord("ps-a", {"Name": "A"})])
    assert raised.value.status == 404


# -- transitions and links -----------------------------------------------------------------------


def two_objects(sleeps: Sleeps, **options: Any) -> SalesforceConnector:
    """A connector to RFE__c and Feature__c: one request per object."""
    return SalesforceConnector(
        {"RFE__c": FIELDS, "Feature__c": FIELDS},
        "Plansync_Id__c",
        auth="session",
        session_id=SESSION,
        instance_url=INSTANCE,
        sleep=sleeps,
        **options,
    )


def test_status_moves_go_in_one_update_a_object_each_to_the_records_own_object(
    rsps: responses.RequestsMock, sleeps: Sleeps
) -> None:
    """Three records moved cost two requests (one per object), not three; each record is
    updated as its own object: Salesforce refuses an Id of one object sent as another's."""
    rsps.patch(UPDATE, json=[saved("a01J000000AAAAA"), saved("a01J000000BBBBB")])
    rsps.patch(UPDATE, json=[saved("a02J000000CCCCC")])
    connector = two_objects(sleeps, status_field="Status__c")
    results = connector.transition_many(
        [
            StatusMove("a01J000000AAAAA", "done", "RFE__c"),
            StatusMove("a02J000000CCCCC", "cancelled", "Feature__c"),
            StatusMove("a01J000000BBBBB", "reopen", "RFE__c"),
        ]
    )
    assert [r.ok for r in results] == [True, True, True]
    assert connector.request_count() == 2
    sent = [
        (r["attributes"]["type"], r["id"], r["Status__c"])
        for call in rsps.calls
        for r in body(call)["records"]
    ]
    assert sent == [
        ("RFE__c", "a01J000000AAAAA", "Done"),
        ("RFE__c", "a01J000000BBBBB", "New"),
        ("Feature__c", "a02J000000CCCCC", "Cancelled"),
    ]


def test_a_call_failing_at_its_second_object_gives_the_first_object_s_answers(
    rsps: responses.RequestsMock, sleeps: Sleeps
) -> None:
    """The first object's records were saved: the error carries their answers, so that a
    sync reports them applied, not "not sent" (as Jira's one-request-per-item calls do)."""
    rsps.patch(UPDATE, json=[saved("a01J000000AAAAA")])
    rsps.patch(UPDATE, status=401, json=[{"errorCode": "INVALID_SESSION_ID", "message": "x"}])
    connector = two_objects(sleeps)
    with pytest.raises(ConnectorError) as failed:
        connector.update_many(
            [
                FieldUpdate("a01J000000AAAAA", {"Name": "A"}, sobject="RFE__c"),
                FieldUpdate("a02J000000CCCCC", {"Name": "C"}, sobject="Feature__c"),
            ]
        )
    assert failed.value.acted
    [first, second] = failed.value.finished
    assert first is not None and (first.ok, first.key) == (True, "a01J000000AAAAA")
    assert second is None


def test_a_move_into_progress_without_an_in_progress_value_fails_alone(
    rsps: responses.RequestsMock, sleeps: Sleeps
) -> None:
    """One result per move: the one that cannot be made fails, the others are sent; it raised
    ValueError for the whole call. Should the call fail, its error counts in moves."""
    rsps.patch(UPDATE, json=[saved("a01J000000AAAAA")])
    connector = make(sleeps, status_field="Status__c")
    moves = [
        StatusMove("a01J000000BBBBB", "indeterminate"),
        StatusMove("a01J000000AAAAA", "done"),
    ]
    [progress, done] = connector.transition_many(moves)
    assert (progress.ok, progress.key) == (False, "a01J000000BBBBB")
    assert "in_progress" in (progress.error or "")
    assert (done.ok, done.key) == (True, "a01J000000AAAAA")
    assert [r["id"] for r in body(rsps.calls[0])["records"]] == ["a01J000000AAAAA"]

    rsps.patch(UPDATE, status=403, json=[{"errorCode": "INSUFFICIENT_ACCESS", "message": "no"}])
    with pytest.raises(ConnectorError) as failed:
        connector.transition_many(moves)
    [unmade, refused] = failed.value.finished
    assert unmade is not None and not unmade.ok and refused is None


def test_a_destination_salesforce_cannot_read_is_a_reason_not_an_error(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    """As Jira's says "no such project": the interface's "why, or None", which the plan turns
    into an error naming the rule. It raised, and returned None. Asked once an object."""
    no_object = [
        {"errorCode": "INVALID_TYPE", "message": "sObject type 'RFE__c' is not supported."}
    ]
    rsps.get(QUERY, status=400, json=no_object)
    record = NewRecord("ps-a", {"Name": "A"})
    for _ in range(2):
        why = sf.destination_problem(record)
        assert why is not None and "INVALID_TYPE: sObject type 'RFE__c' is not supported" in why
    assert sf.request_count() == 1


def test_a_destination_unread_for_another_reason_fails_the_call(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    rsps.get(QUERY, status=401, json=EXPIRED)
    with pytest.raises(ConnectorError):
        sf.destination_problem(NewRecord("ps-a", {"Name": "A"}))


DESCRIBE = f"{API}/sobjects/RFE__c/describe"


def picklist(name: str, values: list[str], *, restricted: bool = False, default: str = "") -> Any:
    """A picklist field as ``describe`` gives it (one inactive value, which does not count)."""
    entries = [
        {"active": True, "defaultValue": v == default, "label": v, "validFor": None, "value": v}
        for v in values
    ]
    entries.append({"active": False, "defaultValue": False, "label": "Old", "value": "Old"})
    return {
        "name": name,
        "type": "picklist",
        "restrictedPicklist": restricted,
        "picklistValues": entries,
    }


def test_the_configs_picklist_values_are_checked_by_describe_once_an_object(
    rsps: responses.RequestsMock, sleeps: Sleeps
) -> None:
    """A value a restricted picklist lacks is refused, naming the key; one an open picklist
    lacks is said; the status picklist's default named nowhere is said; an inactive value
    counts as lacking; a field that is no picklist is not checked."""
    fields = [
        picklist("Priority__c", ["High", "Low"], restricted=True),
        picklist("Status__c", ["Triage", "Done", "Declined", "New"], default="Triage"),
        {"name": "Account__c", "type": "string"},
    ]
    rsps.get(DESCRIBE, json={"name": "RFE__c", "fields": fields})
    settings = [
        SfSetting("salesforce.rules[0].priority_map.high", "RFE__c", "priority__c", "High"),
        SfSetting("salesforce.rules[0].priority_map.low", "RFE__c", "Priority__c", "Old"),
        SfSetting("salesforce.rules[1].priority_map.high", "RFE__c", "Account__c", "Hi"),
    ]
    connector = make(
        sleeps,
        status_field="Status__c",
        status_values={"cancelled": "Declined"},
        open_status_values=["Review"],
        settings=settings,
    )
    for _ in range(2):
        problems = connector.setting_problems({None, "RFE__c"})
        assert [(p.key, p.refused) for p in problems] == [
            ("salesforce.rules[0].priority_map.low", True),
            ("salesforce.open_status_values", False),
            ("salesforce.open_status_values", False),
        ]
        assert str(problems[0]) == (
            "salesforce.rules[0].priority_map.low: 'Old' is not a value of the restricted"
            " picklist RFE__c.Priority__c (High, Low): Salesforce refuses it"
        )
        assert "'Review' is not a value of the picklist RFE__c.Status__c" in problems[1].message
        assert "gives each new record 'Triage' (the picklist's default)" in problems[2].message
    assert len(rsps.calls) == 1


def test_an_object_describe_does_not_find_has_no_problems_to_say(
    rsps: responses.RequestsMock, sleeps: Sleeps
) -> None:
    """The query of :meth:`destination_problem` names it, with the setting."""
    rsps.get(DESCRIBE, status=404, json=[{"errorCode": "NOT_FOUND", "message": "none"}])
    connector = make(sleeps, status_field="Status__c")
    assert connector.setting_problems({"RFE__c"}) == []
    assert connector.setting_problems({"Other__c"}) == []  # not configured: not asked
    assert len(rsps.calls) == 1


def test_transitions_are_no_ops_without_a_status_field(
    rsps: responses.RequestsMock, sf: SalesforceConnector
) -> None:
    [result] = sf.transition_many([StatusMove("a01J000000AAAAA", "done")])
    assert (result.ok, result.key) == (True, "a01J000000AAAAA")
    assert sf.request_count() == 0


@pytest.mark.parametrize(
    ("to", "value"),
    [
        ("done", "Closed"),
        ("cancelled", "Cancelled"),
        ("reopen", "New"),
        ("indeterminate", "Working"),  # [/], by status_values' in_progress
    ],
)
def test_a_status_field_is_set_by_transition(
    rsps: responses.RequestsMock, sleeps: Sleeps, to: Any, value: str
) -> None:
    rsps.patch(UPDATE, json=[saved("a01J000000AAAAA")])
    values: dict[Any, str] = {"done": "Closed", "in_progress": "Working"}
    connector = make(sleeps, status_field="Status__c", status_values=values)
    [result] = connector.transition_many([StatusMove("a01J000000AAAAA", to)])
    assert (result.ok, result.status_value) == (True, value)  # the base keeps it
    assert body(rsps.calls[0])["records"][0] == {
        "attributes": {"type": "RFE__c"},
        "id": "a01J000000AAAAA",
        "Status__c": value,
    }


@pytest.mark.parametrize(
    ("status", "category"),
    [
        ("New", "new"),
        ("Working", "indeterminate"),  # status_values' in_progress
        ("In Review", "indeterminate"),  # one of open_status_values
        ("Done", "done"),
        ("Cancelled", "done"),
        ("Declined", None),  # named nowhere: neither open nor closed, said as it is
        (None, None),  # no status yet
    ],
)
def test_the_status_field_gives_the_status_category(
    rsps: responses.RequestsMock, sleeps: Sleeps, status: str | None, category: str | None
) -> None:
    rsps.get(QUERY, json=page([row("a01J000000AAAAA", "ps-a", Status__c=status)]))
    connector = make(
        sleeps,
        status_field="Status__c",
        status_values={"in_progress": "Working"},
        open_status_values=["In Review"],
    )
    record = connector.fetch_by_ids(["ps-a"])["ps-a"]
    assert soql(rsps.calls[0]).startswith(
        f"SELECT Id, Plansync_Id__c, {', '.join(FIELDS)}, Status__c"
    )
    assert (record.status_category, record.fields["Status__c"]) == (category, status)
    assert (record.status_value, record.status_unnamed) == (status, status == "Declined")


def test_links_live_in_a_field_so_upsert_links_sends_nothing(sf: SalesforceConnector) -> None:
    link = Link("a01J000000AAAAA", "plansync:ps-a", "obsidian://open?vault=V", "Meeting note")
    assert [(r.ok, r.key) for r in sf.upsert_links([link, link])] == [
        (True, "a01J000000AAAAA"),
        (True, "a01J000000AAAAA"),
    ]
    assert sf.request_count() == 0


def test_a_password_login_to_a_host_that_never_answers_times_out(sleeps: Sleeps) -> None:
    """Real HTTP: a login host that accepts the connection and says nothing. simple-salesforce
    posts the SOAP login without a timeout, so it waited forever; through the connector's
    session it gets the configured one."""
    with socket.create_server(("127.0.0.1", 0)) as silent:  # the kernel accepts; nobody reads
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        connector = password_connector(sleeps, domain=url, timeout=1, max_retries=0)
        failures: list[ConnectorError] = []
        started = time.monotonic()
        login = threading.Thread(
            target=lambda: failures.append(connector_error(connector)), daemon=True
        )
        login.start()
        login.join(10)  # without a timeout the login never ends: fail, not hang
        elapsed = time.monotonic() - started
    assert failures and elapsed < 5, elapsed
    error = failures[0]
    assert f"logging in at {url} (username-password (SOAP))" in str(error), error
    assert "timed out" in str(error) and "stopped answering" in str(error), error
    assert error.kind == "network"
    for secret in (PASSWORD, SECURITY_TOKEN):
        assert secret not in str(error)


def test_an_org_whose_certificate_is_not_trusted_is_one_line_naming_ca_bundle(
    salesforce_sandbox: tuple[str, Any, requests.Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sandbox's certificate, which only its throwaway CA signs, as an org behind a
    company's TLS-inspecting proxy is: one line naming the instance and the setting; with a
    CA file given that does not sign it (the config's ca_bundle), that file."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    url, _, _ = salesforce_sandbox
    other = str(make_loopback_certificate(tmp_path).ca_path)
    wrong = requests.Session()
    wrong.verify = other
    for session, hint in [
        (None, "set [salesforce] ca_bundle to that CA's file (PEM), or REQUESTS_CA_BUNDLE"),
        (wrong, f"[salesforce] ca_bundle ({other}) holds no CA that signs it"),
    ]:
        connector = SalesforceConnector(
            {"RFE__c": ["Name"]},
            "Plansync_Id__c",
            auth="session",
            session_id="plansync-test-session",
            instance_url=url,
            session=session,
        )
        with pytest.raises(ConnectorError) as failed:
            connector.fetch_by_ids(["ps-a"])
        said = str(failed.value)
        assert said.startswith(f"cannot verify the TLS certificate of {url} while ")
        assert said.endswith(hint) and "\n" not in said
