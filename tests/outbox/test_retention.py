"""Retention and erasure: notify_outbox_purge, the purge task, REDACT_WHEN_FINAL,
erase_recipient and notify_outbox_erase."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import retention, statuses
from django_govuk_notify_outbox.models import EmailEvent, EmailMessage, RecipientThrottle
from django_govuk_notify_outbox.utils import send_email_notification
from tests.testapp.models import LegalNotice, PasswordReset

from .conftest import TEMPLATE_WELCOME, outbox_settings, reload, sync_until_settled

pytestmark = pytest.mark.django_db

PERSONAL = {"name": "Amira", "reference_number": "300241"}


def email(address: str, status: str, *, days_old: float = 0, body: str = "") -> EmailMessage:
    """An email in ``status`` created ``days_old`` days ago, with an HTTP event."""
    message = send_email_notification(address, TEMPLATE_WELCOME, PERSONAL)
    EmailMessage.objects.filter(pk=message.pk).update(
        status=status, created_at=timezone.now() - timedelta(days=days_old)
    )
    EmailEvent.objects.create(
        message=message,
        kind=EmailEvent.Kind.HTTP,
        request_body=body or '{"personalisation": {"name": "Amira"}}',
        response_body=json.dumps({"email_address": address, "body": "Dear Amira"}),
    )
    return reload(message)


def test_purge_deletes_old_final_emails_and_their_events_in_batches() -> None:
    old = [email(f"old{i}@example.com", statuses.NOTIFY_DELIVERED, days_old=40) for i in range(5)]
    failed = email("failed@example.com", statuses.FAILED_SEND_TO_NOTIFY, days_old=40)
    pending = email("pending@example.com", statuses.SENT_TO_NOTIFY, days_old=40)
    recent = email("recent@example.com", statuses.NOTIFY_DELIVERED, days_old=1)
    seen: list[retention.PurgeResult] = []
    result = retention.purge(
        timedelta(days=30), batch_size=2, progress=lambda r: seen.append(r.__class__(**vars(r)))
    )
    assert result.deleted == 6
    assert result.events_deleted == 6  # the HTTP event of each
    assert [r.deleted for r in seen] == [2, 4, 6]
    assert result.batches == 3
    remaining = set(EmailMessage.objects.values_list("pk", flat=True))
    assert remaining == {pending.pk, recent.pk}
    gone = [m.pk for m in old] + [failed.pk]
    assert not EmailEvent.objects.filter(message_id__in=gone).exists()


def test_purge_redacts_emails_still_referenced_through_protect() -> None:
    kept = email("kept@example.com", statuses.NOTIFY_DELIVERED, days_old=40)
    PasswordReset.objects.create(username="amira", email=kept)
    listed = email("listed@example.com", statuses.NOTIFY_DELIVERED, days_old=40)
    notice = LegalNotice.objects.create(title="Terms")
    notice.emails.add(listed)
    result = retention.purge(timedelta(days=30))
    assert (result.deleted, result.redacted) == (1, 1)
    kept = reload(kept)
    assert kept.personalisation == {}
    assert kept.redacted_at is not None
    assert kept.email_address == "kept@example.com"  # purge keeps who it was sent to
    for event in kept.events.all():
        assert event.request_body == ""
        assert event.response_body == ""
    assert kept.events.filter(kind=EmailEvent.Kind.HTTP).exists()  # the timeline stays
    assert notice.emails.count() == 0  # a many-to-many link does not protect
    # A second purge finds nothing new to redact.
    assert retention.purge(timedelta(days=30)).redacted == 0


def test_purge_command_shows_progress_and_validates(capsys: Any) -> None:
    for i in range(3):
        email(f"old{i}@example.com", statuses.NOTIFY_PERMANENT_FAILURE, days_old=10)
    out = StringIO()
    call_command("notify_outbox_purge", "--older-than", "7", "--batch-size", "2", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("batch 1: 2 emails deleted")
    assert lines[1].startswith("batch 2: 3 emails deleted")
    assert lines[-1].startswith("Done: 3 emails and")
    assert not EmailMessage.objects.exists()
    with pytest.raises(CommandError, match="--older-than must not be negative"):
        call_command("notify_outbox_purge", "--older-than", "-1")


def test_purge_removes_throttle_rows_of_past_minutes() -> None:
    send_email_notification("x@example.com", TEMPLATE_WELCOME, PERSONAL, throttle_max_per_minute=5)
    RecipientThrottle.objects.update(window=1)
    retention.purge(timedelta(days=30))
    assert not RecipientThrottle.objects.exists()


def test_purge_task_runs_the_purge() -> None:
    from django_govuk_notify_outbox import tasks

    email("old@example.com", statuses.NOTIFY_DELIVERED, days_old=100)
    result = tasks.purge(older_than_days=90)
    assert result["deleted"] == 1
    assert result["redacted_when_final"] == 0
    assert not EmailMessage.objects.exists()


def test_redact_when_final_redacts_only_final_emails_in_bounded_batches(
    settings: SettingsWrapper,
) -> None:
    finals = [email(f"f{i}@example.com", statuses.NOTIFY_DELIVERED) for i in range(3)]
    tracked = email("t@example.com", statuses.NOTIFY_SENDING)
    assert retention.redact_finished() == 0  # the setting is off
    outbox_settings(settings, REDACT_WHEN_FINAL=True)
    assert retention.redact_finished(batch_size=2, max_batches=1) == 2
    assert retention.redact_finished(batch_size=2, max_batches=5) == 1
    assert retention.redact_finished() == 0
    for message in finals:
        assert reload(message).personalisation == {}
    assert reload(tracked).personalisation == PERSONAL
    assert reload(tracked).redacted_at is None


def test_erase_recipient_redacts_every_row_and_event_for_the_address(emulator: Any) -> None:
    delivered = email("Amira.Patel@example.com", statuses.NOTIFY_DELIVERED)
    tracked = email("amira.patel@example.com", statuses.NOTIFY_SENDING)
    queued = send_email_notification("AMIRA.PATEL@example.com", TEMPLATE_WELCOME, PERSONAL)
    other = email("someone.else@example.com", statuses.NOTIFY_DELIVERED)
    send_email_notification(
        "amira.patel@example.com", TEMPLATE_WELCOME, PERSONAL, throttle_max_per_minute=9
    )
    EmailMessage.objects.filter(status=statuses.SENDING_TO_NOTIFY).exclude(pk=queued.pk).update(
        status=statuses.NOTIFY_DELIVERED
    )
    result = retention.erase_recipient("amira.patel@EXAMPLE.com")
    assert result.emails == 4
    assert result.stopped == 1
    for message in (delivered, tracked, queued):
        message = reload(message)
        assert message.email_address == retention.ERASED_ADDRESS
        assert message.personalisation == {}
        assert message.redacted_at is not None
        texts = " ".join(
            f"{e.request_body} {e.response_body} {e.detail} {e.exception_message}"
            for e in message.events.all()
        )
        assert "amira" not in texts.lower()
        assert message.events.filter(detail="Erased on request").exists()
    assert reload(queued).status == statuses.FAILED_SEND_TO_NOTIFY
    assert reload(queued).last_error == "Erased on request"
    assert reload(tracked).tracking_stopped
    assert reload(other).personalisation == PERSONAL
    assert not RecipientThrottle.objects.exists()
    # The stopped email is never sent.
    sync_until_settled()
    assert emulator.notifications() == []


def test_erase_command() -> None:
    email("amira@example.com", statuses.NOTIFY_DELIVERED)
    out = StringIO()
    call_command("notify_outbox_erase", "amira@example.com", stdout=out)
    assert out.getvalue().startswith("Erased 1 emails")
    assert not EmailMessage.objects.filter(email_address="amira@example.com").exists()
    with pytest.raises(CommandError, match="email_address must be a non-empty string"):
        call_command("notify_outbox_erase", " ")
