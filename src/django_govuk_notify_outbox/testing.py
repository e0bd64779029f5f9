"""Helpers for your own test suite: send what is queued, then check what was sent.

In the spirit of Django's ``mail.outbox``, against a real (emulated) Notify::

    from django_govuk_notify_outbox import testing

    def test_signup_sends_a_welcome_email(notify_emulator, settings, client):
        testing.use_emulator(settings, notify_emulator)
        client.post("/signup/", {"email": "amira.patel@example.com"})
        testing.drain()
        testing.assert_sent(
            to="amira.patel@example.com",
            template_id=WELCOME_TEMPLATE_ID,
            personalisation={"first_name": "Amira"},
        )

``drain`` runs the public ``outbox.sync()`` until nothing is left to send (or,
with ``until_final=True``, until every email is final), within a bound. It must
be called outside a transaction that holds the emails, so use
``@pytest.mark.django_db(transaction=True)`` (or commit first).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from . import outbox, statuses
from .models import EmailMessage

__all__ = ["assert_nothing_sent", "assert_sent", "drain", "sent", "use_emulator"]

# Settings that make the outbox fast and deterministic against an emulator in tests.
TEST_OUTBOX_SETTINGS: dict[str, Any] = {
    "BACKOFF_BASE": 0.0,
    "BACKOFF_CAP": 0.0,
    # A local emulator answers at once: short timeouts, so that an unknown outcome
    # is looked up within seconds (LOOKUP_DELAY >= TOKEN_WINDOW/SEND_WINDOW + TIMEOUT).
    "TIMEOUT": 2.0,
    "SEND_WINDOW": 0.5,
    "TOKEN_WINDOW": 0.0,
    "LOOKUP_DELAY": 2.5,
    "MAX_AGE": 3600.0,
    "KICK_ON_COMMIT": False,
    "POLL_SCHEDULE": [(3600, 0.05)],
    "RATE_LIMIT_PER_MINUTE": None,
}


def use_emulator(settings: Any, emulator: Any) -> None:
    """Point ``settings`` (pytest-django's ``settings`` fixture, or any object whose
    attributes are Django settings) at ``emulator`` with its test key, and merge
    TEST_OUTBOX_SETTINGS into GOVUK_NOTIFY_OUTBOX."""
    settings.GOVUK_NOTIFY_API_KEY = emulator.api_key
    settings.GOVUK_NOTIFY_BASE_URL = emulator.base_url
    current = getattr(settings, "GOVUK_NOTIFY_OUTBOX", None) or {}
    settings.GOVUK_NOTIFY_OUTBOX = {**current, **TEST_OUTBOX_SETTINGS}


def _pending(until_final: bool) -> QuerySet[EmailMessage]:
    waiting = statuses.TO_SEND | (statuses.TRACKED if until_final else frozenset())
    return EmailMessage.objects.filter(status__in=waiting, tracking_stopped=False)


def drain(*, until_final: bool = False, max_runs: int = 200, timeout: float = 30.0) -> int:
    """Run ``outbox.sync()`` until no email is left to send (``until_final``: until
    every email is final too); the number of runs. AssertionError, listing what is
    left, when ``max_runs`` runs or ``timeout`` seconds were not enough."""
    deadline = time.monotonic() + timeout
    runs = 0
    while _pending(until_final).exists():
        if runs >= max_runs or time.monotonic() > deadline:
            left = list(_pending(until_final).values_list("email_address", "status")[:10])
            raise AssertionError(
                f"the outbox did not drain in {runs} sync runs: {left} still waiting"
            )
        summary = outbox.sync()
        runs += 1
        if not getattr(summary, "ran", True) or not _made_progress(summary):
            time.sleep(0.05)  # nothing due yet (a back-off, or Notify's lifecycle)
    return runs


def _made_progress(summary: Any) -> bool:
    return any(
        getattr(summary, name, 0)
        for name in ("sent", "accepted", "failed", "status_changes", "adopted")
    )


def sent(*, to: str | None = None, template_id: str | None = None) -> list[EmailMessage]:
    """Emails Notify accepted (any status from ``sent-to-notify`` on), oldest first,
    optionally only those to ``to`` (any letter case) or with ``template_id``."""
    rows = EmailMessage.objects.exclude(
        status__in=statuses.TO_SEND | {statuses.FAILED_SEND_TO_NOTIFY}
    ).order_by("created_at", "pk")
    if to is not None:
        rows = rows.filter(email_address__iexact=to.strip())
    if template_id is not None:
        rows = rows.filter(template_id=str(template_id))
    return list(rows)


def assert_sent(
    *,
    to: str,
    template_id: str | None = None,
    personalisation: Mapping[str, Any] | None = None,
    count: int | None = 1,
) -> list[EmailMessage]:
    """Assert Notify accepted ``count`` emails (None: at least one) to ``to``, with
    ``template_id``, whose personalisation contains ``personalisation``; the emails."""
    matches = sent(to=to, template_id=template_id)
    if personalisation is not None:
        wanted = dict(personalisation)
        matches = [
            m
            for m in matches
            if all(k in m.personalisation and m.personalisation[k] == v for k, v in wanted.items())
        ]
    if (count is None and not matches) or (count is not None and len(matches) != count):
        everything = [
            (m.email_address, str(m.template_id), m.status, sorted(m.personalisation))
            for m in EmailMessage.objects.order_by("created_at", "pk")[:20]
        ]
        expected = "at least one" if count is None else str(count)
        raise AssertionError(
            f"expected {expected} email(s) to {to!r}"
            + (f" with template {template_id}" if template_id else "")
            + (f" and personalisation {dict(personalisation)!r}" if personalisation else "")
            + f", found {len(matches)}; the outbox holds (address, template, status, "
            f"personalisation keys): {everything}"
        )
    return matches


def assert_nothing_sent() -> None:
    """Assert the outbox holds no email at all (queued or sent)."""
    rows = list(EmailMessage.objects.values_list("email_address", "status")[:10])
    if rows:
        raise AssertionError(f"expected no email, the outbox holds {rows}")
