"""Fixtures for the outbox tests: fast settings, and the emulator wired in as Notify."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import kick, outbox, statuses
from django_govuk_notify_outbox.models import EmailMessage

TEMPLATE_WELCOME = "f2a6c3b1-0001-4c1d-9e2f-3a4b5c6d7e01"
TEMPLATE_PLAIN = "f2a6c3b1-0004-4c1d-9e2f-3a4b5c6d7e04"
TEMPLATE_ARCHIVED = "f2a6c3b1-0005-4c1d-9e2f-3a4b5c6d7e05"

# Short delays so the tests run in seconds; each test may override more.
FAST: dict[str, Any] = {
    "TIMEOUT": 2.0,
    "CONNECT_TIMEOUT": 1.0,
    "BACKOFF_BASE": 0.0,
    "BACKOFF_CAP": 0.0,
    "TOKEN_WINDOW": 0.0,
    "SEND_WINDOW": 0.5,
    "LOOKUP_DELAY": 2.5,
    "MAX_AGE": 3600.0,
    "LEASE_SECONDS": 30.0,
    "RUN_TIME_BUDGET": 15.0,
    "AUTH_PROBE_INTERVAL": 0.0,
    "KICK_ON_COMMIT": False,
    "POLL_SCHEDULE": [(3600, 0.01)],
    "RATE_LIMIT_PER_MINUTE": None,
}


@pytest.fixture(autouse=True)
def fast_outbox(settings: SettingsWrapper) -> dict[str, Any]:
    kick.reset()  # no kick merged with one from an earlier test
    settings.GOVUK_NOTIFY_OUTBOX = dict(FAST)
    return settings.GOVUK_NOTIFY_OUTBOX  # type: ignore[no-any-return]


@pytest.fixture
def emulator(notify_emulator: Any, settings: SettingsWrapper) -> Iterator[Any]:
    """The emulator as Notify (test key), cleared before and after the test."""
    settings.GOVUK_NOTIFY_API_KEY = notify_emulator.api_key
    settings.GOVUK_NOTIFY_BASE_URL = notify_emulator.base_url
    notify_emulator.clear()
    notify_emulator.faults(
        latency_ms=0,
        jitter_ms=0,
        error_5xx_rate=0,
        error_429_rate=0,
        drop_after_store_rate=0,
        stall_rate=0,
        stall_ms=0,
        refuse_connections_ms=0,
    )
    yield notify_emulator
    notify_emulator.faults(
        error_5xx_rate=0,
        error_429_rate=0,
        drop_after_store_rate=0,
        stall_rate=0,
        refuse_connections_ms=0,
    )


def wait_for_lookups() -> None:
    """Sleep past FAST's LOOKUP_DELAY, after which unknown outcomes may be looked up."""
    time.sleep(float(FAST["LOOKUP_DELAY"]) + 0.1)


def outbox_settings(settings: SettingsWrapper, **changes: Any) -> None:
    """Merge ``changes`` into GOVUK_NOTIFY_OUTBOX."""
    settings.GOVUK_NOTIFY_OUTBOX = {**settings.GOVUK_NOTIFY_OUTBOX, **changes}


def sync_until_settled(timeout: float = 30.0) -> list[outbox.SyncSummary]:
    """Run sync until no email is left to send (every email accepted or failed), waiting
    out look-up delays in between."""
    summaries = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        summaries.append(outbox.sync())
        if not EmailMessage.objects.filter(status__in=statuses.TO_SEND).exists():
            break
        time.sleep(0.05)
    return summaries


def database_is_shared() -> bool:
    """True when other processes can reach the test database (not in-memory SQLite)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return True
    name = str(connection.settings_dict["NAME"])
    return name != ":memory:" and "mode=memory" not in name


def reload(message: EmailMessage) -> EmailMessage:
    return EmailMessage.objects.get(pk=message.pk)
