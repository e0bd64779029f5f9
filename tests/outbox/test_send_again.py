"""The admin's "Send again" for emails Notify could not deliver, and redacted emails in
"Retry now"."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from django_govuk_notify_outbox import retention, statuses, testing
from django_govuk_notify_outbox.models import EmailEvent, EmailMessage
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_WELCOME, reload, sync_until_settled
from .test_admin import LIST_URL, _action, staff_client

PERSONAL = {"name": "Amira", "reference_number": "300241"}


@pytest.fixture
def superuser_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("root", "root@example.gov.uk", "pw"))
    return client


@pytest.mark.django_db(transaction=True)
def test_send_again_delivers_a_temporary_failure_as_a_new_linked_email(
    emulator: Any, superuser_client: Client
) -> None:
    # Notify's simulator address fails temporarily; then the inbox has room again.
    original = send_email_notification(
        "temp-fail@simulator.notify", TEMPLATE_WELCOME, PERSONAL, "application-300241"
    )
    testing.drain(until_final=True)
    original = reload(original)
    assert original.status == statuses.NOTIFY_TEMPORARY_FAILURE
    before = {
        f.name: getattr(original, f.name)
        for f in EmailMessage._meta.concrete_fields
        if f.name != "updated_at"
    }
    events_before = list(original.events.values_list("pk", "detail"))

    response = _action(superuser_client, "send_again", original)
    assert "1 email(s) queued to be sent again" in response.content.decode()

    (copy,) = EmailMessage.objects.filter(resent_from=original)
    assert copy.email_address == original.email_address
    assert copy.template_id == original.template_id
    assert copy.personalisation == PERSONAL
    assert copy.sent_reference != original.sent_reference
    assert copy.sent_reference.startswith("outbox-")
    assert copy.status == statuses.SENDING_TO_NOTIFY
    # The original's history is unchanged; one event records the copy.
    after = reload(original)
    assert {n: getattr(after, n) for n in before} == before
    assert list(after.events.values_list("pk", "detail"))[: len(events_before)] == events_before
    assert after.events.filter(detail=f"Sent again by root as email {copy.pk}").exists()
    assert copy.events.filter(detail__startswith="Sent again by root: a copy of email").exists()
    sync_until_settled()
    assert len(emulator.notifications()) == 2


@pytest.mark.django_db
def test_send_again_skips_other_statuses_and_redacted_emails(superuser_client: Client) -> None:
    delivered = send_email_notification("a@example.com", TEMPLATE_WELCOME, PERSONAL)
    technical = send_email_notification("b@example.com", TEMPLATE_WELCOME, PERSONAL)
    redacted = send_email_notification("c@example.com", TEMPLATE_WELCOME, PERSONAL)
    EmailMessage.objects.filter(pk=delivered.pk).update(status=statuses.NOTIFY_DELIVERED)
    EmailMessage.objects.filter(pk__in=[technical.pk, redacted.pk]).update(
        status=statuses.NOTIFY_TECHNICAL_FAILURE
    )
    retention.redact([redacted.pk])
    response = _action(superuser_client, "send_again", delivered, technical, redacted)
    content = response.content.decode()
    assert "1 email(s) queued to be sent again" in content
    assert "2 email(s) skipped" in content
    assert list(EmailMessage.objects.filter(resent_from__isnull=False)) == list(
        EmailMessage.objects.filter(resent_from=technical)
    )


@pytest.mark.django_db
def test_send_again_needs_the_retry_permission() -> None:
    message = send_email_notification("a@example.com", TEMPLATE_WELCOME, PERSONAL)
    EmailMessage.objects.filter(pk=message.pk).update(status=statuses.NOTIFY_TEMPORARY_FAILURE)
    viewer = staff_client("view_emailmessage")
    assert "send_again" not in viewer.get(LIST_URL).content.decode()
    _action(viewer, "send_again", message)
    assert EmailMessage.objects.count() == 1
    operator = staff_client("view_emailmessage", "retry_emailmessage")
    assert "send_again" in operator.get(LIST_URL).content.decode()
    _action(operator, "send_again", message)
    assert EmailMessage.objects.filter(resent_from=message).count() == 1


@pytest.mark.django_db
def test_retry_now_skips_redacted_emails(superuser_client: Client) -> None:
    message = send_email_notification("a@example.com", TEMPLATE_WELCOME, PERSONAL)
    EmailMessage.objects.filter(pk=message.pk).update(
        status=statuses.FAILED_SEND_TO_NOTIFY, next_action_at=None
    )
    retention.redact([message.pk])
    content = _action(superuser_client, "retry_now", message).content.decode()
    assert "0 email(s) queued for an immediate retry" in content
    assert "1 email(s) skipped" in content
    assert reload(message).status == statuses.FAILED_SEND_TO_NOTIFY
    assert not EmailEvent.objects.filter(message=message, detail__startswith="Retry").exists()
