"""The sender's account of a request that failed: whether it may have reached the backend.

Apply trusts ``ConnectorError.unsent`` to close a create's journal entry and to say "not sent":
a create that went out and was made must not be reported as never sent."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator

import pytest
import requests
import urllib3
from conftest import chained, refused
from jira import JIRAError

from plansync.connectors.base import ConnectorError
from plansync.connectors.http import Sender, Throttled


def sender(max_retries: int = 5) -> Sender:
    waits: list[float] = []  # recorded, not slept
    return Sender(
        "Salesforce",
        "https://acme.test",
        max_retries=max_retries,
        max_backoff=4,
        sleep=waits.append,
    )


def attempts(*failures: Exception) -> Callable[[], None]:
    """An attempt that raises each of ``failures`` in turn, then the last one for ever."""
    pending: Iterator[Exception] = iter(failures)
    last = failures[-1]

    def attempt() -> None:
        raise next(pending, last)

    return attempt


def test_a_request_no_try_connected_with_was_not_sent() -> None:
    with pytest.raises(ConnectorError) as failed:
        sender().send(attempts(refused()), what="upserting 2 RFE__c")
    assert failed.value.unsent
    assert "nothing was sent" in str(failed.value)


reached_first = pytest.mark.parametrize(
    "first",
    [
        Throttled(502, reason="Bad Gateway"),
        requests.ConnectionError("Connection aborted: RemoteDisconnected"),
    ],
    ids=["answered 502", "dropped after connecting"],
)
"""A first try that reached the backend (an answer, or a connection dropped after connecting)."""


@reached_first
def test_a_request_an_earlier_try_reached_the_backend_with_may_have_been_acted_on(
    first: Exception,
) -> None:
    """A 502, or a connection dropped after connecting, then nobody listening: the first try
    may have made the record. Said "nothing was sent" and unsent, apply closed the create's
    journal entry and reported it not sent (a review)."""
    with pytest.raises(ConnectorError) as failed:
        sender().send(attempts(first, refused()), what="upserting 2 RFE__c")
    assert not failed.value.unsent
    assert "nothing was sent" not in str(failed.value)
    assert "an earlier try reached Salesforce, which may have acted on it" in str(failed.value)


@reached_first
def test_a_read_an_earlier_try_reached_the_backend_with_changed_nothing(
    first: Exception,
) -> None:
    """A query acts on nothing: "an earlier try reached Salesforce, which may have acted on
    it" of a read that then found nobody listening (a user test) said otherwise."""
    with pytest.raises(ConnectorError) as failed:
        sender().send(
            attempts(first, refused()), what="reading Feature__c records by 3 ids", read=True
        )
    message = str(failed.value)
    assert "acted" not in message and "nothing was sent" not in message
    assert "(3 tries while reading Feature__c records by 3 ids)." in message
    assert not failed.value.unsent  # it was sent, all the same


def test_a_read_no_try_connected_with_was_not_sent() -> None:
    with pytest.raises(ConnectorError) as failed:
        sender().send(attempts(refused()), what="reading Feature__c records", read=True)
    assert failed.value.unsent
    assert "nothing was sent" in str(failed.value)


def test_a_request_tried_once_says_one_try() -> None:
    """With ``max_retries = 0`` it said "(1 tries while ...)" (a user test)."""
    with pytest.raises(ConnectorError) as failed:
        sender(max_retries=0).send(attempts(refused()), what="reading the server info", read=True)
    assert "(1 try while reading the server info; nothing was sent)." in str(failed.value)


def unverified(code: int, message: str) -> requests.exceptions.SSLError:
    """What requests raises for a certificate OpenSSL cannot verify, wrapped as urllib3 wraps
    it: ``verify_code`` and ``verify_message`` say why."""
    cause = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {message}")
    cause.verify_code, cause.verify_message = code, message
    wrapped = urllib3.exceptions.SSLError(cause)
    return requests.exceptions.SSLError(
        urllib3.exceptions.MaxRetryError(None, "/services/oauth2/token", wrapped)  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("code", "message", "hint"),
    [
        (
            20,
            "unable to get local issuer certificate",
            "; if your own CA signs it (a company's, or a self-signed certificate), set"
            " [salesforce] ca_bundle to that CA's file (PEM), or REQUESTS_CA_BUNDLE",
        ),
        (19, "self-signed certificate in certificate chain", "; if your own CA signs it"),
        (10, "certificate has expired", ""),  # no CA file makes it valid
        (62, "Hostname mismatch, certificate is not valid for 'acme.test'.", ""),
    ],
)
def test_a_certificate_that_cannot_be_verified_is_one_line_naming_the_host_and_the_setting(
    code: int, message: str, hint: str
) -> None:
    """It was urllib3's chain of errors, CERTIFICATE_VERIFY_FAILED deep inside, and no word of
    ``ca_bundle`` (a user test); tried once, as it will not go away by itself."""
    tried = sender()
    with pytest.raises(ConnectorError) as failed:
        tried.send(attempts(unverified(code, message)), what="logging in")
    said = str(failed.value)
    assert said.startswith(
        f"cannot verify the TLS certificate of https://acme.test while logging in: {message}{hint}"
    )
    assert (hint == "") == ("ca_bundle" not in said)
    assert "\n" not in said and "MaxRetryError" not in said and "SSLError" not in said
    assert tried.count() == 1


def throttled_within(library_error: Exception) -> Throttled:
    """A throttling a connector raised while a library's error was handled: the error
    stays the Throttled's context."""
    try:
        raise library_error
    except Exception:
        try:
            raise Throttled(429, reason="Too Many Requests")
        except Throttled as throttled:
            return throttled


HEADERS = {"Authorization": "Bearer NjQ2-personal-access-token"}


@pytest.mark.parametrize(
    ("failures", "resend_on_drop"),
    [
        ((requests.ConnectionError("Connection aborted: RemoteDisconnected"),), True),
        ((requests.ConnectionError("Connection aborted: RemoteDisconnected"),), False),
        ((requests.Timeout("Read timed out"),), True),
        ((refused(),), True),
        ((requests.exceptions.SSLError("certificate verify failed"),), True),
        ((requests.TooManyRedirects("Exceeded 30 redirects"),), True),
        ((throttled_within(JIRAError("Too Many Requests", 429, headers=HEADERS)),), True),
        ((Throttled(500, failure=lambda sent: ConnectorError(f"boom, sent {sent}")),), True),
    ],
    ids=[
        "dropped past retries",
        "dropped, not resent",
        "timed out",
        "unreached",
        "tls",
        "request failed",
        "throttled past retries",
        "read failed past retries",
    ],
)
def test_a_failure_past_the_retries_chains_no_library_error(
    failures: tuple[Exception, ...], resend_on_drop: bool
) -> None:
    """``raise ... from None`` hid the library's error from a traceback but kept it as the
    ConnectorError's ``__context__``, where a caller's error report finds it: a JIRAError
    keeps the request's headers (``Authorization: Bearer <PAT>``), and a Throttled the answer
    its failure reads (a review). Raised alone, nothing is chained."""
    with pytest.raises(ConnectorError) as failed:
        sender(max_retries=1).send(
            attempts(*failures), what="reading 2 issues", resend_on_drop=resend_on_drop
        )
    assert chained(failed.value) == []
