"""The process's Notify client and the thread that does its HTTP."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .. import conf
from ..client import NotificationsAPIClient

_lock = threading.Lock()
_client: tuple[tuple[Any, ...], NotificationsAPIClient] | None = None
_http: tuple[int, ThreadPoolExecutor] | None = None


def _identity(settings: conf.OutboxSettings) -> tuple[Any, ...]:
    # A digest, so the key itself is never kept outside the settings and the client.
    return (
        hashlib.sha256(settings.api_key.encode("utf-8")).hexdigest(),
        settings.base_url,
        settings.timeout,
        settings.connect_timeout,
        settings.rate_limit_per_minute,
        settings.rate_limit_burst,
        settings.max_in_flight,
    )


def get_client(settings: conf.OutboxSettings) -> NotificationsAPIClient:
    """The process's client for these settings (created on first use, then reused)."""
    global _client
    identity = _identity(settings)
    with _lock:
        if _client is None or _client[0] != identity:
            _client = (
                identity,
                NotificationsAPIClient(
                    settings.api_key,
                    settings.base_url,
                    settings.timeout,
                    connect_timeout=settings.connect_timeout,
                    rate_limit_per_minute=settings.rate_limit_per_minute,
                    rate_limit_burst=settings.rate_limit_burst,
                    max_in_flight=settings.max_in_flight,
                ),
            )
        return _client[1]


def http_thread() -> ThreadPoolExecutor:
    """The thread that performs the engine's HTTP while the run's own thread writes to
    the database; one per process (a forked child makes its own), kept between runs so
    connections are reused."""
    global _http
    with _lock:
        if _http is None or _http[0] != os.getpid():
            _http = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="notify-outbox-http"))
        return _http[1]


# The engine's send pace (emails per claim), kept between runs of this process for the
# client it was measured with (jobs.SendJob.pace).
_pace: dict[tuple[Any, ...], int] = {}


def remembered_pace(settings: conf.OutboxSettings) -> int | None:
    return _pace.get(_identity(settings))


def remember_pace(settings: conf.OutboxSettings, chunk: int) -> None:
    _pace[_identity(settings)] = chunk


class SendBudget:
    """An estimate of the client-side rate limit's tokens, for sizing claims only (the C
    core enforces the limit): claim what can start within about ``horizon`` seconds, so
    a claimed chunk does not sit behind the limit while higher-priority email waits."""

    def __init__(self, settings: conf.OutboxSettings) -> None:
        per_minute = settings.rate_limit_per_minute or 0
        self.rate = per_minute / 60.0
        self.capacity = float(settings.rate_limit_burst) if per_minute else 0.0
        self.tokens = self.capacity
        self.at = time.monotonic()

    def claimable(self, horizon: float) -> int | None:
        """How many requests could start within ``horizon``; None: no rate limit."""
        if not self.rate:
            return None
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        return max(1, int(self.tokens + self.rate * horizon))

    def spend(self, count: int) -> None:
        if self.rate:
            self.tokens -= count


_budgets: dict[tuple[Any, ...], SendBudget] = {}


def send_budget(settings: conf.OutboxSettings) -> SendBudget:
    """This process's estimate for the client of these settings."""
    with _lock:
        identity = _identity(settings)
        budget = _budgets.get(identity)
        if budget is None:
            budget = _budgets[identity] = SendBudget(settings)
        return budget
