"""send_email_notification: validation, storage in the caller's transaction, the kick."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import statuses
from django_govuk_notify_outbox.models import EmailEvent, EmailMessage
from django_govuk_notify_outbox.utils import send_email_notification, validate_email_address

from .conftest import TEMPLATE_WELCOME, outbox_settings

pytestmark = pytest.mark.django_db

VALID: dict[str, Any] = {"email_address": "someone@example.gov.uk", "template_id": TEMPLATE_WELCOME}


# notifications-utils tests/recipient_validation/test_email_address.py (valid and invalid lists)
VALID_ADDRESSES = [
    "email@domain.com",
    "email@domain.COM",
    "firstname.lastname@domain.com",
    "firstname.o'lastname@domain.com",
    "email@subdomain.domain.com",
    "firstname+lastname@domain.com",
    "1234567890@domain.com",
    "email@domain-one.com",
    "_______@domain.com",
    "email@domain.name",
    "email@domain.superlongtld",
    "email@domain.co.jp",
    "firstname-lastname@domain.com",
    "info@german-financial-services.vermögensberatung",
    "info@german-financial-services.reallylongarbitrarytldthatiswaytoohugejustincase",
    "japanese-info@例え.テスト",
    "email@double--hyphen.com",
    " surrounded@whitespace.com \t",
    "zero\u200bwidth@example.com",
]
INVALID_ADDRESSES = [
    "email@123.123.123.123",
    "email@[123.123.123.123]",
    "plainaddress",
    "@no-local-part.com",
    "Outlook Contact <outlook-contact@domain.com>",
    "no-at.domain.com",
    "no-tld@domain",
    ";beginning-semicolon@domain.co.uk",
    "middle-semicolon@domain.co;uk",
    "trailing-semicolon@domain.com;",
    '"email+leading-quotes@domain.com',
    'email+middle"-quotes@domain.com',
    '"quoted-local-part"@domain.com',
    '"quoted@domain.com"',
    "lots-of-dots@domain..gov..uk",
    "two-dots..in-local@domain.com",
    "multiple@domains@domain.com",
    "spaces in local@domain.com",
    "spaces-in-domain@dom ain.com",
    "underscores-in-domain@dom_ain.com",
    "pipe-in-domain@example.com|gov.uk",
    "comma,in-local@gov.uk",
    "comma-in-domain@domain,gov.uk",
    "pound-sign-in-local£@domain.com",
    "local-with-\u2019-apostrophe@domain.com",
    "local-with-\u201d-quotes@domain.com",
    "domain-starts-with-a-dot@.domain.com",
    "brackets(in)local@domain.com",
    f"email-too-long-{'a' * 320}@example.com",
    "incorrect-punycode@xn---something.com",
    "label-too-long@" + "a" * 64 + ".com",
    "tld-with-digits@example.c0m",
]


@pytest.mark.parametrize("address", VALID_ADDRESSES)
def test_addresses_notify_accepts_are_accepted(address: str) -> None:
    assert validate_email_address(address) == address.replace("\u200b", "").strip()


@pytest.mark.parametrize("address", INVALID_ADDRESSES)
def test_addresses_notify_rejects_raise_value_error_naming_the_argument(address: str) -> None:
    with pytest.raises(ValueError, match="email_address"):
        validate_email_address(address)


BAD_INPUT: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"email_address": "not-an-address"}, ValueError, "email_address"),
    ({"email_address": 12345}, TypeError, "email_address"),
    ({"email_address": "a@b..com"}, ValueError, "email_address"),
    ({"template_id": "not-a-uuid"}, ValueError, "template_id"),
    ({"template_id": None}, TypeError, "template_id"),
    ({"template_id": 42}, TypeError, "template_id"),
    ({"personalisation": ["a", "list"]}, TypeError, "personalisation"),
    ({"personalisation": {"when": object()}}, TypeError, "personalisation"),
    ({"personalisation": {1: "int key"}}, TypeError, "personalisation"),
    ({"personalisation": {"nan": float("nan")}}, ValueError, "personalisation"),
    ({"reference": "r" * 1001}, ValueError, "reference"),
    ({"reference": 7}, TypeError, "reference"),
    ({"email_reply_to_id": "nope"}, ValueError, "email_reply_to_id"),
    ({"one_click_unsubscribe_url": "http://example.com/unsub"}, ValueError, "one_click"),
    ({"one_click_unsubscribe_url": "https://"}, ValueError, "one_click"),
    ({"one_click_unsubscribe_url": "unsubscribe"}, ValueError, "one_click"),
    ({"one_click_unsubscribe_url": ["https://x.gov.uk"]}, TypeError, "one_click"),
]


@pytest.mark.parametrize(("changes", "error", "argument"), BAD_INPUT)
def test_bad_input_raises_naming_the_argument_and_stores_nothing(
    changes: dict[str, Any], error: type[Exception], argument: str
) -> None:
    with pytest.raises(error, match=argument):
        send_email_notification(**{**VALID, **changes})
    assert EmailMessage.objects.count() == 0
    assert EmailEvent.objects.count() == 0


def test_valid_email_is_stored_queued_with_a_unique_outbox_reference() -> None:
    first = send_email_notification(
        " Someone@Example.gov.uk ",
        uuid.UUID(TEMPLATE_WELCOME),
        personalisation={"name": "Ada", "items": ["a", "b"]},
        email_reply_to_id="a7b8c9d0-0001-4e2f-8a3b-4c5d6e7f8001",
        one_click_unsubscribe_url="https://example.gov.uk/unsubscribe?x=1",
    )
    second = send_email_notification(**VALID)
    stored = EmailMessage.objects.get(pk=first.pk)
    assert stored.status == statuses.SENDING_TO_NOTIFY
    assert stored.email_address == "Someone@Example.gov.uk"
    assert stored.personalisation == {"name": "Ada", "items": ["a", "b"]}
    assert stored.reference == ""
    assert stored.reference_is_ours
    assert stored.sent_reference.startswith("outbox-")
    assert stored.sent_reference != second.sent_reference
    assert stored.attempts == 0
    assert stored.next_action_at is not None
    assert str(stored.email_reply_to_id) == "a7b8c9d0-0001-4e2f-8a3b-4c5d6e7f8001"


def test_a_callers_reference_is_sent_as_given() -> None:
    message = send_email_notification(**VALID, reference="case-1234")
    assert message.sent_reference == "case-1234"
    assert message.reference == "case-1234"
    assert not message.reference_is_ours


def test_a_reference_of_exactly_1000_characters_is_accepted() -> None:
    message = send_email_notification(**VALID, reference="r" * 1000)
    assert EmailMessage.objects.get(pk=message.pk).sent_reference == "r" * 1000


def test_rollback_of_the_callers_transaction_leaves_nothing_to_send() -> None:
    with pytest.raises(RuntimeError):
        send_then_roll_back()
    assert EmailMessage.objects.count() == 0


def test_emails_link_to_the_callers_models_by_fk_and_m2m() -> None:
    from tests.testapp.models import LegalNotice, PasswordReset

    email = send_email_notification(**VALID)
    reset = PasswordReset.objects.create(username="ada", email=email)
    notice = LegalNotice.objects.create(title="Notice")
    notice.emails.add(email, send_email_notification(**VALID))
    assert email.password_resets.get() == reset
    assert notice.emails.count() == 2


def send_then_roll_back() -> None:
    with transaction.atomic():
        send_email_notification(**VALID)
        raise RuntimeError("roll back")


# --- the kick after commit ------------------------------------------------------------------


def kick_preconditions() -> None:
    """What a kick test needs of the process; named when an earlier test left it otherwise."""
    from django.db import connection

    from django_govuk_notify_outbox import conf, kick

    kick.reset()
    assert conf.get_settings().kick_enabled, "the kick is not enabled"
    assert not connection.in_atomic_block, "an earlier test left the connection in a transaction"
    assert connection.get_autocommit(), "an earlier test left autocommit off"
    assert not connection.run_on_commit, f"on-commit callbacks left: {connection.run_on_commit}"
    outbox_logger = logging.getLogger("django_govuk_notify_outbox")
    assert not outbox_logger.disabled, "an earlier logging configuration disabled the logger"


@pytest.fixture
def celery_publishes(settings: SettingsWrapper) -> Iterator[list[str]]:
    """A Celery app on the in-memory broker; yields the names of the tasks published."""
    celery = pytest.importorskip("celery")
    from celery.signals import before_task_publish

    app = celery.Celery("outbox-tests", broker="memory://", set_as_current=True)
    app.set_current()
    published: list[str] = []

    def record(sender: str | None = None, **kwargs: Any) -> None:
        published.append(str(sender))

    before_task_publish.connect(record, weak=False)
    outbox_settings(settings, KICK_ON_COMMIT=True)
    kick_preconditions()
    yield published
    before_task_publish.disconnect(record)


@pytest.mark.django_db(transaction=True)
def test_the_sync_task_is_kicked_once_per_transaction_and_only_after_commit(
    celery_publishes: list[str],
) -> None:
    with transaction.atomic():
        send_email_notification(**VALID)
        send_email_notification(**VALID)
        send_email_notification(**VALID)
        assert celery_publishes == []
    assert celery_publishes == ["django_govuk_notify_outbox.tasks.sync"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_kicks_nothing(celery_publishes: list[str]) -> None:
    with pytest.raises(RuntimeError):
        send_then_roll_back()
    assert celery_publishes == []


@pytest.mark.django_db(transaction=True)
def test_a_kick_after_a_rolled_back_savepoint_is_registered_again(
    celery_publishes: list[str],
) -> None:
    with transaction.atomic():
        with pytest.raises(RuntimeError):
            send_then_roll_back()
        send_email_notification(**VALID)
    assert celery_publishes == ["django_govuk_notify_outbox.tasks.sync"]
    assert EmailMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_kick_is_logged_and_never_fails_the_caller(
    settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    celery = pytest.importorskip("celery")
    app = celery.Celery("outbox-tests", broker="amqp://guest@127.0.0.1:1//", set_as_current=True)
    app.set_current()
    app.conf.broker_connection_timeout = 1
    outbox_settings(settings, KICK_ON_COMMIT=True)
    kick_preconditions()
    with caplog.at_level(logging.WARNING), transaction.atomic():
        message = send_email_notification(**VALID)
    assert EmailMessage.objects.filter(pk=message.pk).exists()
    assert "could not kick the sync task" in caplog.text


def test_no_kick_by_default_without_a_celery_broker(settings: SettingsWrapper) -> None:
    from django_govuk_notify_outbox import conf

    outbox_settings(settings, KICK_ON_COMMIT=None)
    assert not hasattr(settings, "CELERY_BROKER_URL")
    assert conf.get_settings().kick_enabled is False
    settings.CELERY_BROKER_URL = "memory://"
    assert conf.get_settings().kick_enabled is True


def test_storing_an_email_does_not_depend_on_the_outbox_settings(
    settings: SettingsWrapper,
) -> None:
    settings.GOVUK_NOTIFY_OUTBOX = {"NO_SUCH_SETTING": 1}
    message = send_email_notification(**VALID)
    assert EmailMessage.objects.filter(pk=message.pk).exists()
