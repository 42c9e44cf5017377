"""Logging in to Salesforce: the four flows (JWT bearer, client credentials, a given session id,
the SOAP username-password login), the login URL and JWT audience a ``domain`` names, the
credentials each flow needs, and the errors of a login that failed, made safe to print.

Separate from the connector (:mod:`plansync.connectors.salesforce`) because getting a session
is one job and reading and writing records another: this module knows keys, tokens and login
hosts, and nothing of objects, queries or collections; the connector knows only that
:meth:`Login.session` gives it a session id and the instance to use it at. Why the library's own
logins are not used is said in the connector's docstring.
"""

from __future__ import annotations

import html
import time
from pathlib import Path
from urllib.parse import urlsplit
from xml.parsers.expat import ExpatError

import jwt
import requests
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from simple_salesforce.login import SalesforceLogin

from plansync.connectors.base import ConnectorError
from plansync.connectors.http import Sender, Throttled, json_or_none, retry_after
from plansync.connectors.salesforce_names import SfAuth
from plansync.redact import key_file, redact

FLOWS: dict[str, str] = {
    "jwt": "JWT bearer",
    "client_credentials": "client credentials",
    "session": "session id",
    "password": "username-password (SOAP)",
}
"""Each login flow's name as messages say it."""
LOGIN_NEEDS: dict[SfAuth, tuple[str, ...]] = {
    "jwt": ("consumer_key", "private_key", "username"),
    "client_credentials": ("client_id", "client_secret"),
    "session": ("session_id", "instance_url"),
    "password": ("username", "password"),
}
"""The arguments each login flow cannot go without; the config checks its own keys by it."""
_JWT_LIFETIME = 180  # seconds; Salesforce accepts an assertion for at most 3 minutes


class Login:
    """How the connector gets a session: by the ``auth`` flow, with ``credentials`` (the
    connector's arguments of those names, None where not given), at ``url`` (the login URL
    :func:`login_url` makes of the ``domain``), through the connector's ``session`` and
    ``http`` sender (so a login is counted and retried like every other request).

    Refuses, naming them, credentials missing for the flow when made."""

    def __init__(
        self,
        auth: SfAuth,
        credentials: dict[str, str | None],
        *,
        domain: str | None,
        url: str,
        api_version: str,
        session: requests.Session,
        http: Sender,
        timeout: float,
    ) -> None:
        self.auth: SfAuth = auth
        self.flow = FLOWS[auth]
        self.url = url
        self.credentials = credentials
        self._api_version = api_version
        self._session = session
        self._http = http
        self._timeout = timeout
        self._check_credentials(domain)

    def session(self) -> tuple[str, str]:
        """A session id and the instance URL to use it at, by the configured flow."""
        if self.auth != "session":  # the login host answers first: errors name it
            self._http.server = self.url
        if self.auth == "session":
            session, instance_url = (
                self.credentials["session_id"],
                self.credentials["instance_url"],
            )
            assert session and instance_url, "checked at start-up: LOGIN_NEEDS['session']"
            return session, instance_url
        if self.auth == "password":
            token, host = self._soap_login()
            return token, f"https://{host}"
        return self._oauth_login()

    def _oauth_login(self) -> tuple[str, str]:
        """JWT bearer or client credentials: one POST to the token endpoint, sent as a read
        (as the SOAP login is): it changes no record, so a login that reached Salesforce and
        then found it gone does not say Salesforce may have acted on it."""
        credentials = self.credentials
        if self.auth == "jwt":
            form = {
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": self._jwt_assertion(),
            }
        else:
            form = {
                "grant_type": "client_credentials",
                "client_id": credentials["client_id"] or "",
                "client_secret": credentials["client_secret"] or "",
            }
        url = f"{self.url}/services/oauth2/token"
        what = f"logging in at {self.url} ({self.flow})"
        response = self._http.send(lambda: self._post_form(url, form), what=what, read=True)
        answer = json_or_none(response)
        if not isinstance(answer, dict):
            answer = {}
        token, instance = answer.get("access_token"), answer.get("instance_url")
        if response.status_code == 200 and token and instance:
            return str(token), str(instance)
        if answer.get("error"):
            said = answer.get("error_description") or "no description"
            reason = f"{answer['error']}: {said}"
        else:
            # Whole: _login_failed cuts it once it is redacted, not within a secret it quotes.
            said, reason = "", f"HTTP {response.status_code} {response.text}"
        hint = _LOGIN_HINTS.get(str(said).strip().casefold(), "")
        raise self._login_failed(reason, response.status_code, hint)

    def _post_form(self, url: str, form: dict[str, str]) -> requests.Response:
        response = self._session.post(url, data=form, timeout=self._timeout)
        if response.status_code in (429, 503):
            raise Throttled(response.status_code, retry_after(response))
        return response

    def _jwt_assertion(self) -> str:
        """The signed JWT of the bearer flow: issuer the connected app's consumer key, subject
        the user, audience Salesforce's login server (:func:`_jwt_audience`), valid for three
        minutes, RS256."""
        claims = {
            "iss": self.credentials["consumer_key"],
            "sub": self.credentials["username"],
            "aud": _jwt_audience(self.url),
            "exp": int(time.time()) + _JWT_LIFETIME,
        }
        key = self.private_key()
        try:
            return jwt.encode(claims, key, algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError) as error:
            problem = type(error).__name__
        raise self._login_failed(
            f"the private key is not an RSA private key in PEM form ({problem})"
        )

    def private_key(self) -> str:
        """The PEM text given, or read from the file named."""
        given = self.credentials["private_key"] or ""
        try:
            path = key_file(given)
        except ValueError as error:
            raise self._login_failed(f"the private key {error}") from None
        if path is None:
            return given
        try:
            return Path(path).expanduser().read_text()
        except OSError as error:
            problem = error.strerror
        raise self._login_failed(f"cannot read the private key file {path}: {problem}")

    def _soap_login(self) -> tuple[str, str]:
        """The legacy username-password login (SOAP ``login()``), through the library."""
        credentials = self.credentials
        what = f"logging in at {self.url} ({self.flow})"
        try:
            return self._http.send(
                lambda: SalesforceLogin(
                    username=credentials["username"],
                    password=credentials["password"],
                    security_token=credentials["security_token"],
                    sf_version=self._api_version,
                    session=self._session,
                    scratch_url=self.url,  # the SOAP URL is built from it as given
                ),
                what=what,
                read=True,
            )
        except SalesforceAuthenticationFailed as error:
            # The library gives the fault's message as XML text, escaped ("&amp;"): unescaped,
            # it reads as Salesforce wrote it, and a password it quotes as the login body
            # carried it is the XML-escaped form add_secret blanks.
            reason, status = f"{error.code}: {html.unescape(str(error.auth_message))}", 401
        except ExpatError:  # a 200 the library cannot read as SOAP: a proxy's or portal's page
            reason, status = "its answer is not a SOAP response (a proxy in the way?)", None
        raise self._login_failed(reason, status)

    def _login_failed(
        self, reason: str, status: int | None = None, hint: str = ""
    ) -> ConnectorError:
        """A login that failed, for ``reason`` (Salesforce's words, made safe to print), and
        what to do about it where plansync knows (``hint``, kept whole past the cut)."""
        return ConnectorError(
            f"Salesforce login ({self.flow}) at {self.url} failed: {self.clean(reason)}{hint}",
            status=status,
            kind="auth",
        )

    def _check_credentials(self, domain: str | None) -> None:
        """Refuse, naming them, credentials missing for the flow: a clear line at start-up
        rather than a login that fails later."""
        missing = [name for name in LOGIN_NEEDS[self.auth] if not self.credentials[name]]
        if self.auth == "client_credentials" and (domain or "login") in ("login", "test"):
            missing.append("domain (the My Domain, e.g. https://acme.my.salesforce.com)")
        if missing:
            raise ConnectorError(
                f"Salesforce login ({self.flow}) needs {', '.join(missing)}", kind="auth"
            )

    def clean(self, text: str) -> str:
        """Server text made safe to print: one line, at most 300 characters, and any secret it
        might echo (a password, a token, the session) blanked, however short."""
        own = ("password", "security_token", "client_secret", "session_id")
        line = " ".join(str(text).split())
        return redact(line, also=tuple(self.credentials[name] for name in own))[:300]


_LOGIN_HINTS = {
    "user hasn't approved this consumer": (
        "; the user must be pre-authorised for the connected app (Permitted Users:"
        ' "Admin approved users are pre-authorized", and a profile or permission set of the'
        " user's assigned to the app), and username one of this org's (a sandbox org's: domain"
        " = 'test')"
    ),
}
"""What to do about a token endpoint's ``error_description`` (compared ignoring case), where
Salesforce's words do not say: "user hasn't approved this consumer" is a JWT bearer login of a
user nobody approved the app for, which no one approves interactively in an unattended flow."""


def login_url(domain: str | None) -> str:
    """Where logins go: ``login``/``test``/``acme.my`` as simple-salesforce reads them
    (``https://{domain}.salesforce.com``), a full host, or a URL as given."""
    if not domain:
        return "https://login.salesforce.com"
    if "://" in domain:
        return domain.rstrip("/")
    if domain.endswith((".salesforce.com", ".force.com")) or ":" in domain:
        return f"https://{domain}"
    return f"https://{domain}.salesforce.com"


def _jwt_audience(login_url: str) -> str:
    """The ``aud`` of a JWT bearer assertion posted to ``login_url``: Salesforce takes only
    ``https://login.salesforce.com`` or, for a sandbox org, ``https://test.salesforce.com``
    (or an Experience Cloud site's URL), never a My Domain, though the assertion is posted to
    the My Domain's token endpoint (GovCloud and orgs that block the login hosts need that;
    simple-salesforce issue #672). A sandbox's My Domain is ``{name}--{sandbox}.sandbox.my``."""
    host = urlsplit(login_url).hostname or ""
    if host == "test.salesforce.com" or host.endswith(".sandbox.my.salesforce.com"):
        return "https://test.salesforce.com"
    return "https://login.salesforce.com"
