"""A server that quotes back the credentials it was sent never makes plansync show them.

Servers echo what they were sent: a proxy's login page shows the basic-auth user and password,
a gateway's error repeats the ``Authorization`` header, an OAuth endpoint its form, a SOAP fault
its body. plansync registers each secret (:func:`plansync.redact.add_secret`) and redacts the
server's words; these tests send credentials that are awkward to find again in an echo, as a
security-minded user would: quotes and backslashes (escaped when quoted), runs of spaces
(folded when a message is made one line), ``+``, ``&`` and ``<`` (encoded in a form body or in
XML), characters beyond ASCII (base64 of their Latin-1 bytes in a basic-auth header) and a token
longer than what a message quotes of an answer (cut mid-secret). Every form a check looks for
is listed in :func:`shown_forms`; none may be in the error's text, its repr, the exceptions it
was raised from, or the log.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import traceback
from typing import Any
from urllib.parse import parse_qs, quote, quote_plus

import pytest
import requests
import responses
from conftest import Sleeps, chained
from jira import JIRAError

from plansync.connectors.base import ConnectorError
from plansync.connectors.jira import JiraConnector
from plansync.connectors.salesforce import SalesforceConnector
from plansync.sandbox.jira_app import JiraSandbox

JIRA = "https://jira.acme.example"
INSTANCE = "https://acme.my.salesforce.com"
LOGIN = "https://login.salesforce.com"
USER = "pm@acme.example"


def shown_forms(secret: str, user: str | None = None) -> set[str]:
    """The ways ``secret`` can be read back from a message, and a stretch of it (a message
    that cut it short still shows part of it)."""
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        html.escape(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        " ".join(secret.split()),
    }
    if user is not None:
        for encoding in ("utf-8", "latin-1"):
            try:
                forms.add(base64.b64encode(f"{user}:{secret}".encode(encoding)).decode())
            except UnicodeEncodeError:
                continue
    forms |= {secret[start : start + 16] for start in range(0, len(secret) - 15, 5)}
    return {form for form in forms if len(form) >= 8}


def assert_never_shown(
    secret: str, error: BaseException, log: str = "", user: str | None = None
) -> None:
    texts = {
        "message": str(error),
        "repr": repr(error),
        "traceback": "".join(traceback.format_exception(error)),
        "causes": repr([error.__cause__, error.__context__]),
        "log": log,
    }
    # Text quoted from XML may be escaped twice over (simple-salesforce gives a SOAP fault's
    # message as XML): "&amp;amp;" is still the "&" of the secret to a reader.
    texts["message unescaped"] = html.unescape(html.unescape(str(error)))
    for name, text in texts.items():
        for form in shown_forms(secret, user):
            assert form not in text, f"{form!r} of the secret is in the {name}: {text[:500]!r}"


def failure(call: Any) -> BaseException:
    with pytest.raises(Exception) as raised:
        call()
    return raised.value


# -- Jira ----------------------------------------------------------------------------------------


def echo_page(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    """A proxy's login page that shows whom it refused: the basic-auth user and password."""
    encoded = str(request.headers["Authorization"]).removeprefix("Basic ")
    user_and_password = base64.b64decode(encoded).decode("latin-1")
    page = f"<html><body><p>Sign-in failed for {user_and_password}</p></body></html>"
    return 200, {"Content-Type": "text/html"}, page


def echo_header(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    """A gateway's 400 that quotes the request's Authorization header."""
    said = {"errorMessages": [f"bad credentials: {request.headers['Authorization']}"]}
    return 400, {"Content-Type": "application/json"}, json.dumps(said)


@pytest.mark.parametrize(
    "token",
    [
        "ab'cd\"ef\\gh-both-quotes-and-a-backslash",  # quoted as a repr, escaped
        "T" * 40 + "-a-token-longer-than-what-a-message-quotes-" + "k" * 400,
    ],
    ids=["quotes", "long"],
)
def test_a_login_page_quoting_the_password_never_shows_it(
    rsps: responses.RequestsMock, sleeps: Sleeps, token: str
) -> None:
    rsps.add_callback(responses.POST, f"{JIRA}/rest/api/2/search/jql", callback=echo_page)
    connector = JiraConnector(JIRA, USER, token, deployment="cloud", sleep=sleeps)
    error = failure(lambda: connector.fetch_by_ids(["ps-a"]))
    assert isinstance(error, ConnectorError)
    assert "is not JSON (a login page or proxy in the way?)" in str(error)
    assert "Sign-in failed for" in str(error)  # what the page says is still quoted
    assert_never_shown(token, error, user=USER)


def no_answer(*args: Any, **kwargs: Any) -> None:
    """The jira library's session raising for a request it got no answer to, the request's
    headers (the Bearer token) kept in the error, as its ``JIRAError`` keeps them."""
    raise JIRAError("no answer", headers={"Authorization": f"Bearer {PAT}"})


PAT = "NjQ2-personal-access-token-of-a-data-center-user"


@pytest.mark.parametrize(
    "answer", ["500 past the retries", "429 past the retries", "not Jira's shape", "none"]
)
def test_a_jira_error_chains_no_library_error_nor_the_answer(
    rsps: responses.RequestsMock, sleeps: Sleeps, answer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``raise ... from None`` kept the error it replaced as the ConnectorError's
    ``__context__``, for a caller's error report to walk: a JIRAError holds the request's
    headers, and the Throttled of a read resent past the retries the answer (and with it the
    request's ``Authorization: Bearer <PAT>``) its failure reads (a review)."""
    search = f"{JIRA}/rest/api/2/search"
    if answer == "500 past the retries":
        rsps.post(search, status=500, json={"errorMessages": ["db down"]})
    elif answer == "429 past the retries":
        rsps.post(search, status=429, json={"errorMessages": ["slow down"]})
    elif answer == "not Jira's shape":
        rsps.post(search, json={"issues": "none"})
    connector = JiraConnector(JIRA, None, PAT, deployment="dc", sleep=sleeps, max_retries=1)
    if answer == "none":
        monkeypatch.setattr(connector._jira._session, "request", no_answer)
    error = failure(lambda: connector.fetch_by_ids(["ps-a"]))
    assert isinstance(error, ConnectorError), repr(error)
    assert chained(error) == []
    assert_never_shown(PAT, error)


def test_a_password_beyond_ascii_is_blanked_in_the_basic_auth_header_a_server_quotes(
    rsps: responses.RequestsMock, sleeps: Sleeps
) -> None:
    """requests encodes basic auth in Latin-1, so the header's base64 is not that of the
    UTF-8 bytes of ``user:password``."""
    password = "Pässwörd-für-Jira"
    rsps.add_callback(responses.POST, f"{JIRA}/rest/api/2/search", callback=echo_header)
    connector = JiraConnector(JIRA, "anna", password, deployment="dc", sleep=sleeps)
    error = failure(lambda: connector.fetch_by_ids(["ps-a"]))
    assert isinstance(error, ConnectorError) and "bad credentials: Basic ***" in str(error)
    assert_never_shown(password, error, user="anna")


def test_a_credential_http_cannot_carry_is_one_line_naming_the_setting_not_a_traceback(
    rsps: responses.RequestsMock, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    """A header is Latin-1: a password with "€" or an emoji raised requests' own
    UnicodeEncodeError out of plansync, a traceback, whose repr holds the whole password."""
    caplog.set_level(logging.DEBUG)
    password = "Sommer-2025-€-🔑-geheim"
    connector = JiraConnector(JIRA, "anna", password, deployment="dc", sleep=sleeps)
    error = failure(lambda: connector.fetch_by_ids(["ps-a"]))
    assert isinstance(error, ConnectorError), repr(error)
    assert error.kind == "auth"
    assert "a character HTTP headers cannot carry" in str(error), str(error)
    assert error.__context__ is None
    assert_never_shown(password, error, caplog.text, user="anna")


@pytest.mark.parametrize(
    ("token", "said"),
    [
        ("NjQ2-personal-access-token-✓-" + "x" * 20, "a character HTTP headers cannot carry"),
        ("NjQ2-first-line-of-a-token\nand-its-second-line", "a line break"),
    ],
    ids=["beyond-latin-1", "line-break"],
)
def test_a_bearer_token_http_cannot_carry_is_one_line_too(
    jira_sandbox: tuple[str, JiraSandbox], sleeps: Sleeps, token: str, said: str
) -> None:
    """A Data Center token goes as a Bearer header, which http.client encodes and checks
    (requests does not): over a real connection. The library's error quotes the header, and
    was kept as the context of plansync's, for a caller's error report to show."""
    url, _ = jira_sandbox
    connector = JiraConnector(url, None, token, deployment="dc", sleep=sleeps)
    error = failure(lambda: connector.fetch_by_ids(["ps-a"]))
    assert isinstance(error, ConnectorError), repr(error)
    assert said in str(error) and error.__context__ is None
    assert_never_shown(token, error)


# -- Salesforce ----------------------------------------------------------------------------------


def session_connector(sleeps: Sleeps, session_id: str) -> SalesforceConnector:
    return SalesforceConnector(
        {"RFE__c": ["Name"]},
        "Plansync_Id__c",
        auth="session",
        session_id=session_id,
        instance_url=INSTANCE,
        sleep=sleeps,
    )


@pytest.mark.parametrize(
    "session_id",
    ["00D!sess'ion\"with\\quotes-and-more", "00D!session  with   runs of spaces"],
    ids=["quotes", "spaces"],
)
def test_an_answer_quoting_the_session_id_in_a_shape_not_salesforces_never_shows_it(
    rsps: responses.RequestsMock, sleeps: Sleeps, session_id: str
) -> None:
    """A gateway in front of the org answers in its own JSON shape, not Salesforce's list of
    errors: the message quotes it, and quoted as a Python dict it escaped the quotes."""

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        said = {"fault": {"detail": f"rejected {request.headers['Authorization']}"}}
        return 400, {"Content-Type": "application/json"}, json.dumps(said)

    rsps.add_callback(responses.GET, f"{INSTANCE}/services/data/v59.0/query/", callback=answer)
    error = failure(lambda: session_connector(sleeps, session_id).fetch_by_ids(["ps-a"]))
    assert isinstance(error, ConnectorError) and "rejected Bearer ***" in str(error), str(error)
    assert_never_shown(session_id, error)


@pytest.mark.parametrize(
    "secret",
    [
        "client secret  with spaces",  # form-encoded as "+", and folded onto one line
        "L" * 20 + "-longer-than-what-a-message-quotes-" + "x" * 300,
    ],
    ids=["spaces", "long"],
)
@pytest.mark.parametrize("page", [True, False], ids=["page", "oauth-error"])
def test_a_token_endpoint_quoting_the_client_secret_never_shows_it(
    rsps: responses.RequestsMock, sleeps: Sleeps, secret: str, page: bool
) -> None:
    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        form = str(request.body)
        if page:
            return 400, {"Content-Type": "text/html"}, f"<p>refused: {form}</p>"
        sent = parse_qs(form)["client_secret"][0]
        said = {"error": "invalid_client", "error_description": f"{form} ({sent})"}
        return 400, {"Content-Type": "application/json"}, json.dumps(said)

    domain = "https://acme.my.salesforce.com"
    rsps.add_callback(responses.POST, f"{domain}/services/oauth2/token", callback=answer)
    connector = SalesforceConnector(
        {"RFE__c": ["Name"]},
        "Plansync_Id__c",
        auth="client_credentials",
        client_id="3MVG9-consumer-key",
        client_secret=secret,
        domain=domain,
        sleep=sleeps,
    )
    error = failure(lambda: connector.fetch_by_ids(["ps-a"]))
    assert isinstance(error, ConnectorError) and "login" in str(error), str(error)
    assert_never_shown(secret, error)


@pytest.mark.parametrize(
    "password", ["pass  word with   spaces", "p&ss<w>rd'\"-xml-escaped"], ids=["spaces", "xml"]
)
def test_a_soap_fault_quoting_the_password_never_shows_it(
    rsps: responses.RequestsMock, sleeps: Sleeps, password: str
) -> None:
    """simple-salesforce sends the password XML-escaped in the SOAP body; a fault that quotes
    the body quotes it so."""

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = str(request.body)
        sent = body[body.index("<n1:password>") + 13 : body.index("</n1:password>")]
        fault = (
            '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope'
            ' xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
            ' xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault>'
            "<faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN</faultstring>"
            "<detail><sf:LoginFault><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>"
            f"<sf:exceptionMessage>Invalid password: {html.escape(sent)}</sf:exceptionMessage>"
            "</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
        )
        return 500, {"Content-Type": "text/xml"}, fault

    rsps.add_callback(responses.POST, f"{LOGIN}/services/Soap/u/59.0", callback=answer)
    with pytest.warns(FutureWarning):
        connector = SalesforceConnector(
            {"RFE__c": ["Name"]},
            "Plansync_Id__c",
            auth="password",
            username=USER,
            password=password,
            security_token="sEcUrItYtOkEn42",
            sleep=sleeps,
        )
    error = failure(lambda: connector.fetch_by_ids(["ps-a"]))
    assert isinstance(error, ConnectorError) and "Invalid password: " in str(error), str(error)
    assert_never_shown(password, error)
