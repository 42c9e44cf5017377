"""What every connector does alike around HTTP: bounded retries, request counting, batching.

Each connector sends every request through one :class:`Sender`, so that retrying is decided in
one place (how long to wait, how often, which failures may be resent at all), every attempt is
counted (the cost the engine reports), and whatever gives up raises a
:class:`~plansync.connectors.base.ConnectorError` that names the request, never its credentials.
No library error is chained to those (:func:`~plansync.errors.raise_alone`, not ``from None``,
which leaves it the ``__context__``): its text and attributes can carry request headers.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import requests
from urllib3.exceptions import NewConnectionError, ReadTimeoutError

from plansync.connectors.base import ConnectorError
from plansync.display import counted
from plansync.errors import raise_alone
from plansync.logs import logger
from plansync.redact import redact

_log = logger(__name__)

_T = TypeVar("_T")

UNREACHED_RETRIES = 2
"""More tries after a connect that failed (refused, no such host): a server restarting comes
back within a second; one that is not there at all should be said at once, not after 30 s."""
UNREACHED_DELAY = 0.5
TIMEOUT_RETRIES = 2
"""More tries after a request that got no answer within the timeout: each costs the whole
timeout, and a server that lets three go by is not answering (five would take 3.5 minutes at
the default 30 s to say so)."""
UNTRUSTED_ISSUER = frozenset({2, 18, 19, 20, 21})
"""OpenSSL's verify codes for a certificate no trusted CA signs (the issuer not found, a
self-signed certificate or one in the chain, no local issuer, a leaf that cannot be verified):
the failures a CA file (``ca_bundle``) settles, unlike an expired certificate or another
host's."""
RESEND_IF_READ = (500,)
"""The backend's own failure, which a read meets too when a node restarts or its database is
slow: a read (a search, a query, a describe, a record's look-up) may be sent any number of times,
so a connector raises :class:`Throttled` for it with its own failure for that answer, which the
sender raises past the retries, saying how often it sent it. A write is not resent: the backend
may have acted, and a 500 is as often about the request itself (a workflow post-function or
trigger that throws). Both connectors take it from here, so Jira and Salesforce resend the same
reads, and say the same of them."""


class Throttled(Exception):
    """The backend refused a request before acting on it (a rate limit, an overload), or failed
    one that may be sent any number of times (a read): the same request may be sent again.
    ``reason`` is the backend's own word for it, shown if it persists. ``failure``, when given,
    makes the error :meth:`Sender.send` raises once it stops retrying, given how often the
    request was sent (``"6 times ([jira] max_retries = 5)"``, or "" when it was not sent
    again): the connector's own failure for a read's answer (the server's words, the URL), not
    a throttling's (one item's read failing so fails that item, not the whole call)."""

    def __init__(
        self,
        status: int,
        retry_after: float | None = None,
        reason: str | None = None,
        *,
        failure: Callable[[str], ConnectorError] | None = None,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.retry_after = retry_after
        self.reason = reason
        self.failure = failure


@dataclass
class _Tries:
    """How far one :meth:`Sender.send` has got: the tries after the first (``tries``), those
    that timed out, and whether any got past connecting (``reached``: it may have been acted
    on)."""

    tries: int = 0
    timeouts: int = 0
    reached: bool = False


class Sender:
    """Sends one connector's requests: counts them, and resends within bounds what may be resent.

    ``backend`` ("Jira", "Salesforce") and ``server`` name the other side in messages; ``sleep``
    is what waits between tries (tests pass a recorder instead of :func:`time.sleep`);
    ``ca_bundle``, the CA file the requests trust when the config names one, is named where a
    certificate cannot be verified.
    """

    def __init__(
        self,
        backend: str,
        server: str,
        *,
        max_retries: int,
        max_backoff: float,
        sleep: Callable[[float], None],
        ca_bundle: str | None = None,
    ) -> None:
        self.backend = backend
        self.server = server
        self.ca_bundle = ca_bundle
        self._max_retries = max_retries
        self._max_backoff = max_backoff
        self._sleep = sleep
        self._count = 0
        self._count_lock = threading.Lock()

    def count(self) -> int:
        """Requests sent so far, retries and requests that got no answer included."""
        return self._count

    def send(
        self,
        attempt: Callable[[], _T],
        *,
        what: str,
        resend_on_drop: bool = True,
        read: bool = False,
    ) -> _T:
        """Call ``attempt`` (which sends one request) until it returns, within bounds.

        Each way a try can fail is judged by one method, which gives the wait before the next
        try or raises a ConnectorError: the backend asked to come back (:class:`Throttled`,
        :meth:`_after_throttled`); the connection failed or timed out
        (:meth:`_after_dropped`, which resends a request only when ``resend_on_drop``: reads,
        idempotent writes); TLS failed (:meth:`_tls_failed`, never resent: it will not go away
        by itself); any other failure of the request (:meth:`_request_failed`, never resent).
        ``read``: the request changes no record (a query, a search, a login), which a failure
        past the retries can say. ``what`` may quote a URL: it is redacted before it is logged.
        """
        what = redact(what)
        so_far = _Tries()
        while True:
            with self._count_lock:
                self._count += 1
            try:
                return attempt()
            except requests.exceptions.SSLError as error:
                self._tls_failed(error, what)
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as error:
                delay = self._after_dropped(error, what, so_far, resend_on_drop, read)
            except (requests.RequestException, ValueError) as error:
                self._request_failed(error, what)
            except Throttled as throttled:
                delay = self._after_throttled(throttled, what, so_far)
            self._sleep(delay)
            so_far.tries += 1

    def _tls_failed(self, error: requests.exceptions.SSLError, what: str) -> NoReturn:
        """A TLS failure (an untrusted certificate, a name that does not match): not resent,
        as it will not go away by itself. A certificate that cannot be verified is said in one
        line, naming the host, why, and, for one no trusted CA signs (a company's own CA, a
        self-signed one), the setting that trusts it: not urllib3's whole chain of errors,
        ``[SSL: CERTIFICATE_VERIFY_FAILED]`` deep inside, and no word of ``ca_bundle``."""
        unverified = next(
            (e for e in _causes(error) if isinstance(e, ssl.SSLCertVerificationError)), None
        )
        if unverified is None:
            raise_alone(
                ConnectorError(
                    f"TLS failed talking to {self.server} ({what}): {error}", kind="network"
                )
            )
        why = unverified.verify_message or unverified.reason or "certificate verify failed"
        setting = f"[{self.backend.lower()}] ca_bundle"
        if unverified.verify_code not in UNTRUSTED_ISSUER:
            hint = ""  # expired, another host's: no CA file makes it valid
        elif self.ca_bundle:
            hint = f"; {setting} ({self.ca_bundle}) holds no CA that signs it"
        else:
            hint = (
                f"; if your own CA signs it (a company's, or a self-signed certificate), set"
                f" {setting} to that CA's file (PEM), or REQUESTS_CA_BUNDLE"
            )
        raise_alone(
            ConnectorError(
                f"cannot verify the TLS certificate of {self.server} while {what}: {why}{hint}",
                kind="network",
            )
        )

    def _after_dropped(
        self, error: Exception, what: str, so_far: _Tries, resend_on_drop: bool, read: bool
    ) -> float:
        """The wait before resending a request whose connection failed, dropped or timed out;
        or ConnectorError. A connect that failed (nobody listening, no such host) sent nothing,
        so any request is tried again (:meth:`_after_failed_connect`). Else the request may
        have reached the backend: resent only when ``resend_on_drop`` (raised at once
        otherwise, as ``answer_lost``), backing off as for a throttling, at most
        ``max_retries`` times, and a timeout only ``TIMEOUT_RETRIES`` times (each waited the
        whole timeout)."""
        unreached, timed_out = _connect_failure(error), _timed_out(error)
        if unreached is not None:
            return self._after_failed_connect(
                error, unreached, what, so_far.tries, so_far.reached, read
            )
        if not resend_on_drop:
            lost = ConnectorError(
                f"the connection to {self.server} failed while {what} ({error}); "
                f"the request may have reached {self.backend}, so it was not sent again",
                kind="network",
            )
            lost.answer_lost = True
            raise_alone(lost)
        if so_far.tries >= self._max_retries or (timed_out and so_far.timeouts >= TIMEOUT_RETRIES):
            silent = f" ({self.server} stopped answering)" if timed_out else ""
            raise_alone(
                ConnectorError(
                    f"the connection to {self.server} failed {_times(so_far.tries + 1)} while "
                    f"{what}: {error}{silent}",
                    kind="network",
                )
            )
        so_far.reached = True
        so_far.timeouts += timed_out
        delay = self._backoff(so_far.tries)
        _log.warning("%s failed (%s); retrying in %.1fs", what, redact(str(error)), delay)
        return delay

    def _request_failed(self, error: Exception, what: str) -> NoReturn:
        """Any other failure of the request itself (a redirect loop of a proxy, a body that
        does not decode): not a dropped connection, so not resent; and a ConnectorError, so
        the engine reports it and the other backend goes on. So is a header that cannot be
        sent, whose value (a credential) is never quoted (:meth:`_unsendable`): one with a
        line break, or with a character Latin-1 lacks, which raised a UnicodeEncodeError out
        of plansync (a traceback, and its repr holds the whole credential). A ValueError of
        neither kind is not the request's, and is raised as it is."""
        if isinstance(error, UnicodeEncodeError) or _bad_header(error):
            raise_alone(self._unsendable(error, what))
        if not isinstance(error, requests.RequestException):
            raise error
        raise_alone(
            ConnectorError(
                f"the request to {self.server} failed while {what} "
                f"({type(error).__name__}: {error}); it was not sent again",
                kind="network",
            )
        )

    def _after_throttled(self, throttled: Throttled, what: str, so_far: _Tries) -> float:
        """The wait before resending a request the backend refused before acting on it (or a
        read it failed): its ``retry_after`` seconds, else 1, 2, 4, ... capped at
        ``max_backoff``. Past ``max_retries`` more tries, ConnectorError with the status and
        retry_after (or the Throttled's ``failure``, when it has one), saying how often it was
        sent and the setting that bounds it; a ``retry_after`` longer than ``max_backoff``
        gives up at once, so the caller decides about long waits."""
        so_far.reached = True
        tries = so_far.tries
        wait = throttled.retry_after
        delay = self._backoff(tries) if wait is None else wait
        answer = f"{throttled.status}" + (f" ({throttled.reason})" if throttled.reason else "")
        if tries >= self._max_retries or delay > self._max_backoff:
            longer = (
                f" (longer than max_backoff, {self._max_backoff:g}s: raise"
                f" [{self.backend.lower()}] max_backoff to wait that long)"
                if delay > self._max_backoff
                else ""
            )
            tried = (
                "" if longer else f" ([{self.backend.lower()}] max_retries = {self._max_retries})"
            )
            if throttled.failure is not None:
                sent = f"{_times(tries + 1)}{tried}" if tries or not longer else ""
                raise_alone(throttled.failure(sent))
            raise_alone(
                ConnectorError(
                    f"{self.backend} answered {answer} to {what} {_times(tries + 1)}{tried}"
                    + (f"; it asks to retry after {wait:g}s{longer}" if wait else ""),
                    status=throttled.status,
                    retry_after=wait,
                    throttled=True,
                )
            )
        _log.warning("%s answered %s to %s; retrying in %.1fs", self.backend, answer, what, delay)
        return delay

    def _unsendable(self, error: Exception, what: str) -> ConnectorError:
        """The failure of a header that cannot be sent, which never quotes its value, a
        credential: requests' and http.client's errors do, and a UnicodeEncodeError's repr
        holds it whole. Raised alone (:func:`~plansync.errors.raise_alone`), not with theirs as
        its context."""
        beyond = (
            " a character HTTP headers cannot carry (one beyond Latin-1, such as € or an emoji)"
            if isinstance(error, UnicodeEncodeError)
            else " a line break or a space at either end"
        )
        return ConnectorError(
            f"a header of the request to {self.server} cannot be sent while {what}: does the"
            f" token, user, password or session id hold{beyond}? (the value is not shown)",
            kind="auth",
        )

    def pause(self, tries: int, why: str) -> None:
        """Wait as :meth:`send` does before its resend number ``tries + 1`` (1, 2, 4, ... s,
        capped at ``max_backoff``; ``sleep`` in tests), for a caller that resends part of a call
        itself: Salesforce records refused for a row lock inside an answer that succeeded.
        ``why`` is logged with the wait."""
        delay = self._backoff(tries)
        _log.warning("%s; retrying in %.1fs", redact(why), delay)
        self._sleep(delay)

    def _after_failed_connect(
        self, error: Exception, reason: str, what: str, tries: int, reached: bool, read: bool
    ) -> float:
        """The wait before trying again a request whose connect failed; past the quick retries,
        ConnectorError: one line naming the server, why, and whether anything was sent. A
        request an earlier try got through with (an answer of 502, a dropped connection) is
        not unsent, though the last tries found nobody listening; a write may have been acted
        on, and the error says so, where a ``read`` (a query, a search, a login) changed no
        record."""
        if tries >= min(self._max_retries, UNREACHED_RETRIES):
            via = "the proxy for " if isinstance(error, requests.exceptions.ProxyError) else ""
            if not reached:
                sent = "; nothing was sent"
            elif read:
                sent = ""
            else:
                sent = f"; an earlier try reached {self.backend}, which may have acted on it"
            unreached = ConnectorError(
                f"cannot connect to {via}{self.backend} at {self.server}: {reason}"
                f" ({counted(tries + 1, 'try', 'tries')} while {what}{sent}). Is it running"
                " there, and is the URL right?",
                kind="network",
            )
            unreached.unsent = not reached
            raise_alone(unreached)
        # Info, not a warning: the final error says how many tries there were, in one line.
        _log.info("%s", redact(f"{self.server}: {reason}; trying again in {UNREACHED_DELAY}s"))
        return UNREACHED_DELAY

    def _backoff(self, tries: int) -> float:
        return min(self._max_backoff, 2.0**tries)


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception it wraps: requests wraps urllib3's in its arguments, as a
    ``reason``, or as a cause."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [*current.args, getattr(current, "reason", None)]
        linked += [current.__cause__, current.__context__]
        pending += [e for e in linked if isinstance(e, BaseException)]


def _connect_failure(error: BaseException) -> str | None:
    """Why no connection could be made at all (its ``strerror``: "Connection refused", "Name or
    service not known"), or None when the failure came later, after something may have been
    sent. urllib3 raises NewConnectionError only for a connect that failed."""
    connect_failed, reason = False, None
    for current in _causes(error):
        connect_failed = connect_failed or isinstance(current, NewConnectionError)
        if isinstance(current, OSError) and current.strerror:
            reason = current.strerror
    if not connect_failed:
        return None
    return reason or "the connection failed"


def _timed_out(error: BaseException) -> bool:
    """Whether the request got no answer in time. requests raises Timeout when the headers are
    late, but a ConnectionError around urllib3's ReadTimeoutError when the body stalls, which
    counted as a dropped connection: six tries, 3.5 minutes at 30 s, instead of three."""
    return any(isinstance(e, (requests.Timeout, ReadTimeoutError)) for e in _causes(error))


def _bad_header(error: Exception) -> bool:
    """Whether a header could not be sent: requests' InvalidHeader, or http.client's
    ValueError ("Invalid header value b'Bearer ...'"), raised for a line break in a value."""
    if isinstance(error, requests.exceptions.InvalidHeader):
        return True
    return not isinstance(error, requests.RequestException) and str(error).startswith(
        "Invalid header"
    )


def retry_after(response: requests.Response) -> float | None:
    """The ``Retry-After`` header in seconds, if it is a number (the HTTP-date form is rare)."""
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None


def json_or_none(response: requests.Response) -> Any:
    """The body as JSON, or None when it is not JSON (a proxy's or login page's HTML)."""
    try:
        return response.json()
    except ValueError:
        return None


def chunks(items: Sequence[_T], size: int) -> Iterator[list[_T]]:
    """``items`` in consecutive lists of at most ``size`` (a batch endpoint's limit)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"
