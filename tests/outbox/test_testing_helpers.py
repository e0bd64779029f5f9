"""django_govuk_notify_outbox.testing: drain the outbox against the emulator, then
assert what was sent."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import statuses, testing
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_PLAIN, TEMPLATE_WELCOME

pytestmark = pytest.mark.django_db(transaction=True)


def test_drain_sends_everything_then_assert_sent_checks_it(
    notify_emulator: Any, settings: SettingsWrapper
) -> None:
    testing.use_emulator(settings, notify_emulator)
    testing.assert_nothing_sent()
    send_email_notification(
        "amira.patel@example.com", TEMPLATE_WELCOME, {"name": "Amira", "reference_number": "1"}
    )
    send_email_notification("bob@example.com", TEMPLATE_PLAIN)
    send_email_notification("bob@example.com", TEMPLATE_PLAIN)
    assert testing.sent() == []
    testing.drain()
    (amira,) = testing.assert_sent(
        to="Amira.Patel@example.com",
        template_id=TEMPLATE_WELCOME,
        personalisation={"name": "Amira"},
    )
    assert amira.status not in statuses.TO_SEND
    testing.assert_sent(to="bob@example.com", template_id=TEMPLATE_PLAIN, count=2)
    testing.assert_sent(to="bob@example.com", count=None)
    assert len(notify_emulator.notifications()) == 3
    with pytest.raises(AssertionError, match=r"expected 1 email.*found 0") as caught:
        testing.assert_sent(to="amira.patel@example.com", personalisation={"name": "Bob"})
    assert "amira.patel@example.com" in str(caught.value)  # it lists what the outbox holds
    with pytest.raises(AssertionError, match="expected no email"):
        testing.assert_nothing_sent()
    testing.drain(until_final=True)
    assert amira.__class__.objects.get(pk=amira.pk).status == statuses.NOTIFY_DELIVERED


def test_a_rejected_email_is_not_sent(notify_emulator: Any, settings: SettingsWrapper) -> None:
    testing.use_emulator(settings, notify_emulator)
    send_email_notification("amira@example.com", TEMPLATE_WELCOME)  # missing personalisation
    testing.drain()
    assert testing.sent() == []
    with pytest.raises(AssertionError, match="failed-send-to-notify"):
        testing.assert_sent(to="amira@example.com")


def test_drain_is_bounded(notify_emulator: Any, settings: SettingsWrapper) -> None:
    testing.use_emulator(settings, notify_emulator)
    notify_emulator.faults(error_5xx_rate=1.0)  # every attempt's outcome is unknown
    send_email_notification("amira@example.com", TEMPLATE_PLAIN)
    with pytest.raises(AssertionError, match=r"did not drain in 3 sync runs.*amira@example.com"):
        testing.drain(max_runs=3)
