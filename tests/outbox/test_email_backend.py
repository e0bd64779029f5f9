"""backends.EmailBackend: Django's email API (send_mail, EmailMessage, mail_admins,
PasswordResetView) queues emails in the outbox, sent through the emulator."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.checks import run_checks
from django.core.mail import EmailMessage as DjangoEmailMessage
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import statuses, testing
from django_govuk_notify_outbox.errors import UnsupportedEmailError
from django_govuk_notify_outbox.models import EmailMessage

from .conftest import outbox_settings

BACKEND = "django_govuk_notify_outbox.backends.EmailBackend"
TEMPLATE_SUBJECT_BODY = "f2a6c3b1-0007-4c1d-9e2f-3a4b5c6d7e07"
REPLY_TO_ID = "a7b8c9d0-0001-4e2f-8a3b-4c5d6e7f8001"
SERVICE_ID = "5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0001"
TEST_SECRET = "11111111-aaaa-4aaa-8aaa-000000000004"

# The emulator's default configuration has no ((subject))/((body)) template: this one does.
EMULATOR_CONFIG: dict[str, Any] = {
    "created_to_sending_ms": 100,
    "sending_to_final_ms": 200,
    "services": [
        {
            "id": SERVICE_ID,
            "name": "Backend service",
            "email_reply_to_ids": [REPLY_TO_ID],
            "api_keys": [{"name": "backend_test", "type": "test", "secret": TEST_SECRET}],
            "templates": [
                {
                    "id": TEMPLATE_SUBJECT_BODY,
                    "name": "Django email",
                    "type": "email",
                    "subject": "((subject))",
                    "body": "((body))",
                    "version": 1,
                }
            ],
        }
    ],
}


@pytest.fixture
def backend(settings: SettingsWrapper) -> SettingsWrapper:
    settings.EMAIL_BACKEND = BACKEND
    outbox_settings(
        settings,
        EMAIL_BACKEND_TEMPLATE_ID=TEMPLATE_SUBJECT_BODY,
        EMAIL_BACKEND_REPLY_TO_IDS={"Help@Example.gov.uk": REPLY_TO_ID},
    )
    return settings


def rows() -> list[EmailMessage]:
    return list(EmailMessage.objects.order_by("pk"))


@pytest.mark.django_db
def test_send_mail_stores_one_row_per_recipient_in_to_cc_and_bcc(backend: Any) -> None:
    email = DjangoEmailMessage(
        subject="Your application",
        body="We have your application.\n\nReference 300241.",
        from_email="ignored@example.gov.uk",
        to=["Amira Patel <amira.patel@example.com>", "b@example.com"],
        cc=["c@example.com", "B@example.com"],
        bcc=["d@example.com"],
    )
    assert email.send() == 1
    stored = rows()
    assert [m.email_address for m in stored] == [
        "amira.patel@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
    ]
    for message in stored:
        assert str(message.template_id) == TEMPLATE_SUBJECT_BODY
        assert message.personalisation == {
            "subject": "Your application",
            "body": "We have your application.\n\nReference 300241.",
        }
        assert message.email_reply_to_id is None
        assert message.status == statuses.SENDING_TO_NOTIFY


@pytest.mark.django_db
def test_send_mail_and_mail_admins_use_the_backend(backend: Any) -> None:
    backend.ADMINS = [("Ops", "ops@example.gov.uk")]
    assert mail.send_mail("Hi", "Body", None, ["x@example.com"]) == 1
    mail.mail_admins("Disk full", "The disk is full.", html_message="<p>The disk is full.</p>")
    stored = rows()
    assert [m.email_address for m in stored] == ["x@example.com", "ops@example.gov.uk"]
    # mail_admins prefixes the subject; the HTML alternative is ignored.
    assert stored[1].personalisation == {
        "subject": "[Django] Disk full",
        "body": "The disk is full.",
    }


@pytest.mark.django_db
def test_reply_to_maps_to_the_configured_id_in_any_case(backend: Any) -> None:
    DjangoEmailMessage("S", "B", to=["x@example.com"], reply_to=["help@example.gov.uk"]).send()
    assert str(rows()[0].email_reply_to_id) == REPLY_TO_ID


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make", "error"),
    [
        (
            lambda: DjangoEmailMessage("S", "B", to=["x@example.com"], reply_to=["o@example.com"]),
            "reply_to: 'o@example.com' has no reply-to id",
        ),
        (
            lambda: DjangoEmailMessage(
                "S", "B", to=["x@example.com"], reply_to=["help@example.gov.uk", "o@example.com"]
            ),
            "one reply-to address per email, not 2",
        ),
        (
            lambda: _with_attachment(DjangoEmailMessage("S", "B", to=["x@example.com"])),
            "attachments cannot be sent",
        ),
        (
            lambda: _html_only(DjangoEmailMessage("S", "<p>B</p>", to=["x@example.com"])),
            "HTML-only emails cannot be sent",
        ),
    ],
)
def test_unsupported_emails_raise_a_clear_error_and_store_nothing(
    backend: Any, make: Any, error: str
) -> None:
    with pytest.raises(UnsupportedEmailError, match=re.escape(error)):
        make().send()
    assert rows() == []
    # fail_silently, as Django documents it: no exception, the email is not counted.
    assert make().send(fail_silently=True) == 0
    assert rows() == []


def _with_attachment(email: DjangoEmailMessage) -> DjangoEmailMessage:
    email.attach("a.txt", "hello", "text/plain")
    return email


def _html_only(email: DjangoEmailMessage) -> DjangoEmailMessage:
    email.content_subtype = "html"
    return email


@pytest.mark.django_db
def test_one_bad_recipient_stores_none_of_that_email(backend: Any) -> None:
    email = DjangoEmailMessage("S", "B", to=["ok@example.com", "not an address"])
    with pytest.raises(ValueError, match="email_address is not a valid email address"):
        email.send()
    assert rows() == []
    good = DjangoEmailMessage("S", "B", to=["good@example.com"])
    connection = mail.get_connection(fail_silently=True)
    assert connection.send_messages([email, good]) == 1
    assert [m.email_address for m in rows()] == ["good@example.com"]


@pytest.mark.django_db
def test_html_alternative_is_ignored_and_the_plain_body_sent(backend: Any) -> None:
    email = EmailMultiAlternatives("S", "Plain text", to=["x@example.com"])
    email.attach_alternative("<h1>HTML</h1>", "text/html")
    assert email.send() == 1
    assert rows()[0].personalisation["body"] == "Plain text"


@pytest.mark.django_db(transaction=True)
def test_rows_roll_back_with_the_callers_transaction(backend: Any) -> None:
    def view() -> None:
        with transaction.atomic():
            mail.send_mail("S", "B", None, ["x@example.com"])
            assert len(rows()) == 1
            raise RuntimeError("the view failed")

    with pytest.raises(RuntimeError):
        view()
    assert rows() == []


@pytest.mark.django_db
def test_missing_template_setting_is_a_check_error_and_a_clear_send_error(
    settings: SettingsWrapper,
) -> None:
    settings.EMAIL_BACKEND = BACKEND
    ids = [m.id for m in run_checks()]
    assert "django_govuk_notify_outbox.E005" in ids
    with pytest.raises(UnsupportedEmailError, match="EMAIL_BACKEND_TEMPLATE_ID"):
        mail.send_mail("S", "B", None, ["x@example.com"])
    outbox_settings(settings, EMAIL_BACKEND_TEMPLATE_ID=TEMPLATE_SUBJECT_BODY)
    assert "django_govuk_notify_outbox.E005" not in [m.id for m in run_checks()]


@pytest.mark.django_db
def test_malformed_backend_settings_are_check_errors(settings: SettingsWrapper) -> None:
    outbox_settings(settings, EMAIL_BACKEND_TEMPLATE_ID="not-a-uuid")
    errors = [m for m in run_checks() if m.id == "django_govuk_notify_outbox.E004"]
    assert "EMAIL_BACKEND_TEMPLATE_ID" in errors[0].msg
    outbox_settings(
        settings,
        EMAIL_BACKEND_TEMPLATE_ID=TEMPLATE_SUBJECT_BODY,
        EMAIL_BACKEND_REPLY_TO_IDS={"help@example.gov.uk": "nope"},
    )
    errors = [m for m in run_checks() if m.id == "django_govuk_notify_outbox.E004"]
    assert "EMAIL_BACKEND_REPLY_TO_IDS" in errors[0].msg


@pytest.mark.django_db(transaction=True)
def test_password_reset_view_email_is_delivered_through_notify(
    backend: Any, notify_emulator_factory: Any, client: Client
) -> None:
    emulator = notify_emulator_factory(config=EMULATOR_CONFIG)
    backend.GOVUK_NOTIFY_API_KEY = emulator.api_key
    backend.GOVUK_NOTIFY_BASE_URL = emulator.base_url
    User.objects.create_user("amira", "amira.patel@example.com", "old-password-1")
    response = client.post("/accounts/password_reset/", {"email": "amira.patel@example.com"})
    assert response.status_code == 302, response.content[:500]
    testing.drain(until_final=True, timeout=30)
    (message,) = testing.assert_sent(
        to="amira.patel@example.com", template_id=TEMPLATE_SUBJECT_BODY
    )
    assert message.status == statuses.NOTIFY_DELIVERED
    assert "Password reset" in message.personalisation["subject"]
    link = re.search(r"/accounts/reset/[^/\s]+/[^/\s]+/", message.personalisation["body"])
    assert link is not None
    (notification,) = emulator.notifications()
    assert notification["email_address"] == "amira.patel@example.com"
    assert notification["template"]["id"] == TEMPLATE_SUBJECT_BODY
    assert notification["subject"] == message.personalisation["subject"]
    assert link.group(0) in notification["body"]
    assert notification["status"] == "delivered"
    # The link in the delivered email works: it leads to the set-password form.
    follow = client.get(link.group(0), follow=True)
    assert follow.status_code == 200
    assert b"new_password1" in follow.content
