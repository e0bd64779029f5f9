"""Sync behaviour that needs no Notify: the idle run, the lease, the admin-facing engine calls."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from django_govuk_notify_outbox import outbox, statuses
from django_govuk_notify_outbox.models import EmailEvent, EmailMessage, SyncLease
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_WELCOME

pytestmark = pytest.mark.django_db


def test_an_idle_sync_makes_one_query_and_no_http(django_assert_num_queries: Any) -> None:
    # Emails exist but none is due: a final one, and one whose next action is later.
    done = send_email_notification("a@example.gov.uk", TEMPLATE_WELCOME)
    later = send_email_notification("b@example.gov.uk", TEMPLATE_WELCOME)
    EmailMessage.objects.filter(pk=done.pk).update(
        status=statuses.NOTIFY_DELIVERED, next_action_at=None
    )
    EmailMessage.objects.filter(pk=later.pk).update(
        next_action_at=timezone.now() + timedelta(hours=1)
    )
    with django_assert_num_queries(1):
        summary = outbox.sync()
    assert not summary.ran
    assert summary.reason == "nothing due"
    assert summary.http_requests == 0


def test_the_idle_query_uses_only_the_next_action_index() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        outbox.sync()
    assert len(queries) == 1
    sql = queries[0]["sql"].lower()
    assert "next_action_at" in sql
    assert "limit 1" in sql


def test_a_run_returns_at_once_while_another_holds_the_lease() -> None:
    send_email_notification("a@example.gov.uk", TEMPLATE_WELCOME)
    SyncLease.objects.create(
        pk=SyncLease.SINGLETON_ID,
        holder="other-host:1:abc",
        expires_at=timezone.now() + timedelta(seconds=60),
    )
    summary = outbox.sync()
    assert not summary.ran
    assert summary.reason == "another run holds the lease"
    message = EmailMessage.objects.get()
    assert message.attempts == 0
    assert message.status == statuses.SENDING_TO_NOTIFY


def test_retry_now_requeues_failed_and_retrying_emails_only() -> None:
    failed = send_email_notification("a@example.gov.uk", TEMPLATE_WELCOME)
    retrying = send_email_notification("b@example.gov.uk", TEMPLATE_WELCOME)
    delivered = send_email_notification("c@example.gov.uk", TEMPLATE_WELCOME)
    past = timezone.now() - timedelta(days=2)
    EmailMessage.objects.filter(pk=failed.pk).update(
        status=statuses.FAILED_SEND_TO_NOTIFY,
        attempts=10,
        next_action_at=None,
        queued_at=past,
        outcome_unknown=True,
    )
    EmailMessage.objects.filter(pk=retrying.pk).update(
        status=statuses.RETRYING_SEND_TO_NOTIFY,
        attempts=3,
        next_action_at=timezone.now() + timedelta(hours=1),
    )
    EmailMessage.objects.filter(pk=delivered.pk).update(
        status=statuses.NOTIFY_DELIVERED, next_action_at=None
    )
    assert outbox.retry_now(EmailMessage.objects.all(), by="admin") == 2
    now = timezone.now()
    for pk in (failed.pk, retrying.pk):
        message = EmailMessage.objects.get(pk=pk)
        assert message.status == statuses.RETRYING_SEND_TO_NOTIFY
        assert message.attempts == 0
        assert message.next_action_at is not None
        assert message.next_action_at <= now
        assert message.queued_at > past
    # An unknown outcome stays unknown: Notify is asked before any resend.
    assert EmailMessage.objects.get(pk=failed.pk).outcome_unknown
    assert EmailMessage.objects.get(pk=delivered.pk).status == statuses.NOTIFY_DELIVERED
    assert EmailEvent.objects.filter(detail="Retry requested by admin").count() == 2


def test_request_refresh_schedules_a_poll_of_tracked_emails_only() -> None:
    sent = send_email_notification("a@example.gov.uk", TEMPLATE_WELCOME)
    delivered = send_email_notification("b@example.gov.uk", TEMPLATE_WELCOME)
    EmailMessage.objects.filter(pk=sent.pk).update(
        status=statuses.NOTIFY_SENDING,
        notify_id="0b5e1f6a-1111-4a2b-8c3d-4e5f60718201",
        next_action_at=timezone.now() + timedelta(hours=1),
    )
    EmailMessage.objects.filter(pk=delivered.pk).update(
        status=statuses.NOTIFY_DELIVERED,
        notify_id="0b5e1f6a-2222-4a2b-8c3d-4e5f60718201",
        next_action_at=None,
    )
    assert outbox.request_refresh(EmailMessage.objects.all()) == 1
    sent_now = EmailMessage.objects.get(pk=sent.pk)
    assert sent_now.next_action_at is not None
    assert sent_now.next_action_at <= timezone.now()
    assert EmailMessage.objects.get(pk=delivered.pk).next_action_at is None


def test_backoff_is_exponential_capped_and_jittered(settings: Any) -> None:
    from django_govuk_notify_outbox import conf

    settings.GOVUK_NOTIFY_OUTBOX = {"BACKOFF_BASE": 2.0, "BACKOFF_CAP": 20.0}
    s = conf.get_settings()
    for attempts, ceiling in [(1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0), (5, 20.0), (30, 20.0)]:
        delays = [outbox.backoff_delay(attempts, s) for _ in range(300)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # full jitter reaches near the ceiling
        assert min(delays) < ceiling * 0.2  # … and near zero


def test_polls_get_rarer_as_an_email_ages_and_stop_after_the_schedule(settings: Any) -> None:
    from django_govuk_notify_outbox import conf

    settings.GOVUK_NOTIFY_OUTBOX = {}
    s = conf.get_settings()
    intervals = [
        outbox.poll_interval(timedelta(seconds=age), s)
        for age in (0, 3600 * 2, 3600 * 12, 3600 * 48)
    ]
    assert None not in intervals
    assert intervals == sorted(i or 0.0 for i in intervals)
    assert outbox.poll_interval(timedelta(hours=97), s) is None
