"""What every connector does alike around HTTP: bounded retries, request counting, batching.

Each connector sends every request through one :class:`Sender`, so that retrying is decided in
one place (how long to wait, how often, which failures may be resent at all), every attempt is
counted (the cost the engine reports), and whatever gives up raises a
:class:`~plansync.connectors.base.ConnectorError` that names the request, never its credentials.
The library errors are not chained (``from None``): their text can carry request headers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import requests

from plansync.connectors.base import ConnectorError
from plansync.redact import redact

_log = logging.getLogger(__name__)

_T = TypeVar("_T")


class Throttled(Exception):
    """The backend refused a request before acting on it (a rate limit, an overload): the same
    request may be sent again. ``reason`` is the backend's own word for it, shown if it persists."""

    def __init__(
        self, status: int, retry_after: float | None = None, reason: str | None = None
    ) -> None:
        super().__init__(status)
        self.status = status
        self.retry_after = retry_after
        self.reason = reason


class Sender:
    """Sends one connector's requests: counts them, and resends within bounds what may be resent.

    ``backend`` ("Jira", "Salesforce") and ``server`` name the other side in messages; ``sleep``
    is what waits between tries (tests pass a recorder instead of :func:`time.sleep`).
    """

    def __init__(
        self,
        backend: str,
        server: str,
        *,
        max_retries: int,
        max_backoff: float,
        sleep: Callable[[float], None],
    ) -> None:
        self.backend = backend
        self.server = server
        self._max_retries = max_retries
        self._max_backoff = max_backoff
        self._sleep = sleep
        self._count = 0
        self._count_lock = threading.Lock()

    def count(self) -> int:
        """Requests sent so far, retries and requests that got no answer included."""
        return self._count

    def send(self, attempt: Callable[[], _T], *, what: str, resend_on_drop: bool = True) -> _T:
        """Call ``attempt`` (which sends one request) until it returns, within bounds.

        ``attempt`` raises :class:`Throttled` when the backend did nothing and asks to come back:
        it is called again after ``retry_after`` seconds (else 1, 2, 4, ... capped at
        ``max_backoff``), at most ``max_retries`` more times, then ConnectorError with the status
        and retry_after; a ``retry_after`` longer than ``max_backoff`` gives up at once, so the
        caller decides about long waits. A dropped connection or timeout is resent the same way
        when ``resend_on_drop`` (reads, idempotent writes), else raised at once: the request may
        have reached the backend. A TLS failure is never resent: it will not go away by itself.
        ``what`` may quote a URL: it is redacted before it is logged.
        """
        what = redact(what)
        tries = 0
        while True:
            with self._count_lock:
                self._count += 1
            try:
                return attempt()
            except requests.exceptions.SSLError as error:
                raise ConnectorError(
                    f"TLS failed talking to {self.server} ({what}): {error}"
                ) from None
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as error:
                if not resend_on_drop:
                    raise ConnectorError(
                        f"the connection to {self.server} failed while {what} ({error}); "
                        f"the request may have reached {self.backend}, so it was not sent again"
                    ) from None
                if tries >= self._max_retries:
                    raise ConnectorError(
                        f"the connection to {self.server} failed {tries + 1} times while "
                        f"{what}: {error}"
                    ) from None
                delay = self._backoff(tries)
                _log.warning("%s failed (%s); retrying in %.1fs", what, redact(str(error)), delay)
            except Throttled as throttled:
                wait = throttled.retry_after
                delay = self._backoff(tries) if wait is None else wait
                answer = f"{throttled.status}" + (
                    f" ({throttled.reason})" if throttled.reason else ""
                )
                if tries >= self._max_retries or delay > self._max_backoff:
                    raise ConnectorError(
                        f"{self.backend} answered {answer} to {what} {tries + 1} times"
                        + (f"; it asks to retry after {wait:g}s" if wait else ""),
                        status=throttled.status,
                        retry_after=wait,
                    ) from None
                _log.warning(
                    "%s answered %s to %s; retrying in %.1fs", self.backend, answer, what, delay
                )
            self._sleep(delay)
            tries += 1

    def _backoff(self, tries: int) -> float:
        return min(self._max_backoff, 2.0**tries)


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
