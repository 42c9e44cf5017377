"""Fault injection for the sandboxes: the :class:`FaultPlan` (latency, faults queued for the
next requests that match, seeded random 429/500 rates, and settings a sandbox adds) and its
:class:`Fault`, in the JSON-able format ``POST /_sandbox/faults`` takes.

Separate from :mod:`plansync.sandbox.common`, which is the WSGI plumbing every request goes
through: what a fault plan holds, how it is configured and which fault a request meets is a job
of its own, which the plumbing only asks (:meth:`FaultPlan.pick`) before it answers.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

DropWhen = Literal["before_commit", "after_commit"]


@dataclass
class Fault:
    """One queued fault: answer ``status`` (optionally naming ``error_code``) or drop."""

    status: int | None = None
    retry_after: int | None = None
    path_contains: str = ""
    method: str | None = None
    count: int = 1
    drop: DropWhen | None = None
    error_code: str | None = None
    records: tuple[str, ...] | None = None
    """A per-record fault (Salesforce): the request goes on, and these records of it (external
    ids or Ids) are refused with ``error_code``; ``count`` is the requests it falls on."""
    committed: bool | None = None
    """A per-record fault whose records are saved all the same (a lock refusal that came after
    the commit): the answer says refused, the org holds the record."""

    def matches(self, method: str, path: str) -> bool:
        return self.path_contains in path and self.method in (None, method)

    def retry_after_headers(self, default: int) -> list[tuple[str, str]]:
        """``Retry-After`` on the statuses that carry it (429, 503)."""
        if self.status not in (429, 503):
            return []
        return [("Retry-After", str(self.retry_after if self.retry_after is not None else default))]


_FAULT_KEYS = {"status", "retry_after", "path_contains", "method", "count", "drop"}


class FaultPlan:
    """Latency and faults for an app; thread-safe; configured by a JSON-able mapping.

    Format (every key optional; keys present replace the current value, ``fail_next``
    entries are appended to the queue, ``"clear": true`` first resets everything)::

        {"latency_ms": 50,                # added to every API request
         "rate_429": 0.1, "rate_500": 0.05, "seed": 7, "retry_after": 1,
         "fail_next": [                   # one-shot faults, first match wins
            {"status": 429, "retry_after": 1, "path_contains": "bulk", "count": 2},
            {"status": 500, "method": "GET"},
            {"drop": true},               # close the socket; the request never ran
            {"drop": "after_commit", "path_contains": "issue/bulk"}]}  # ran, response lost

    ``drop: true`` means ``"before_commit"``. Each app names its random ``rates`` (setting ->
    status answered), its own numeric ``settings`` (Jira: ``search_lag_ms``) and any
    further ``fail_next`` keys it reads (Salesforce: ``error_code``, and ``records`` with
    ``committed`` for per-record faults, see :attr:`Fault.records`).
    """

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        rates: Mapping[str, int] | None = None,
        settings: Iterable[str] = (),
        fault_keys: Iterable[str] = (),
    ):
        self._rate_statuses = dict(
            rates if rates is not None else {"rate_429": 429, "rate_500": 500}
        )
        self._setting_names = tuple(settings)
        self._fault_keys = _FAULT_KEYS | set(fault_keys)
        self._lock = threading.Lock()
        self._reset()
        if config:
            self.configure(config)

    def _reset(self) -> None:
        self.latency_ms: float = 0
        self.retry_after = 1
        self.rates = dict.fromkeys(self._rate_statuses, 0.0)
        self.settings: dict[str, float] = dict.fromkeys(self._setting_names, 0)
        self.seed: int | None = None
        self._rng = random.Random()
        self._queue: list[Fault] = []

    def configure(self, config: Mapping[str, Any]) -> None:
        """Apply a configuration; ``ValueError`` names the bad key (nothing applied then)."""
        number_names = ("latency_ms", "retry_after", *self._rate_statuses, *self._setting_names)
        unknown = set(config) - {"clear", "seed", "fail_next", *number_names}
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        faults = [self._fault(entry) for entry in config.get("fail_next", [])]
        numbers = {}
        for name in number_names:
            if name in config:
                number = config[name]
                if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
                    raise ValueError(f"{name} must be a non-negative number")
                numbers[name] = number
        if not isinstance(numbers.get("retry_after", 0), int):
            raise ValueError("retry_after must be whole seconds (clients parse it as an integer)")
        if sum(numbers.get(name, 0) for name in self._rate_statuses) > 1:
            raise ValueError(f"{' + '.join(self._rate_statuses)} must not exceed 1")
        seed = config.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError("seed must be an integer")
        with self._lock:
            if config.get("clear"):
                self._reset()
            for name, number in numbers.items():
                if name in self.rates:
                    self.rates[name] = number
                elif name in self.settings:
                    self.settings[name] = number
                else:
                    setattr(self, name, number)
            if "seed" in config:
                self.seed = config["seed"]
                self._rng = random.Random(self.seed)
            self._queue.extend(faults)

    def _fault(self, entry: Any) -> Fault:
        if not isinstance(entry, dict):
            raise ValueError("each fail_next entry must be an object")
        unknown = set(entry) - self._fault_keys
        if unknown:
            raise ValueError(f"unknown fail_next keys: {sorted(unknown)}")
        raw_drop = entry.get("drop")
        if raw_drop is not True and raw_drop not in (None, False, "before_commit", "after_commit"):
            raise ValueError("drop must be true, 'before_commit' or 'after_commit'")
        drop: DropWhen | None = "before_commit" if raw_drop is True else raw_drop or None
        status = entry.get("status")
        records = entry.get("records")
        if records is not None and not (
            isinstance(records, list) and records and all(isinstance(r, str) and r for r in records)
        ):
            raise ValueError("records must be a non-empty list of record keys")
        committed = entry.get("committed")
        if committed is not None and (not isinstance(committed, bool) or records is None):
            raise ValueError("committed must be true or false, on an entry with records")
        if not drop and records is None and not (isinstance(status, int) and 400 <= status <= 599):
            also = " or 'records'" if "records" in self._fault_keys else ""
            raise ValueError(f"a fail_next entry needs a 4xx/5xx 'status' or 'drop'{also}")
        retry_after = entry.get("retry_after")
        if retry_after is not None and (
            isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0
        ):
            raise ValueError("retry_after must be a non-negative integer (seconds)")
        count = entry.get("count", 1)
        if not isinstance(count, int) or count < 1:
            raise ValueError("count must be a positive integer")
        error_code = entry.get("error_code")
        if error_code is not None and not (isinstance(error_code, str) and error_code):
            raise ValueError("error_code must be a non-empty string")
        method = entry.get("method")
        return Fault(
            status=status,
            retry_after=retry_after,
            path_contains=str(entry.get("path_contains", "")),
            method=method.upper() if isinstance(method, str) else None,
            count=count,
            drop=drop,
            error_code=error_code,
            records=tuple(records) if records is not None else None,
            committed=committed,
        )

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "latency_ms": self.latency_ms,
                **self.rates,
                "seed": self.seed,
                "retry_after": self.retry_after,
                **self.settings,
                "fail_next": [
                    {k: v for k, v in vars(f).items() if v is not None} for f in self._queue
                ],
            }

    def pick(self, method: str, path: str) -> Fault | None:
        """The fault this request suffers, if any: queued one-shots first, then random rates.
        Per-record faults are not the request's (:meth:`pick_records`)."""
        with self._lock:
            for fault in self._queue:
                if fault.records is None and fault.matches(method, path):
                    self._use(fault)
                    return fault
            if any(self.rates.values()):
                roll, threshold = self._rng.random(), 0.0
                for name, rate in self.rates.items():
                    threshold += rate
                    if roll < threshold:
                        return Fault(status=self._rate_statuses[name])
        return None

    def pick_records(self, method: str, path: str, keys: Iterable[str]) -> dict[str, Fault]:
        """The per-record faults that the records ``keys`` of this request suffer, by key (the
        first queued wins); each one that names a key here is used once."""
        wanted = set(keys)
        hit: dict[str, Fault] = {}
        with self._lock:
            for fault in list(self._queue):
                named = wanted.intersection(fault.records or ())
                if named and fault.matches(method, path):
                    for key in named:
                        hit.setdefault(key, fault)
                    self._use(fault)
        return hit

    def _use(self, fault: Fault) -> None:
        fault.count -= 1
        if fault.count == 0:
            self._queue.remove(fault)
