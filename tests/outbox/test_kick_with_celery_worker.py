"""The kick after commit, end to end: a real Celery worker on Redis sends the email at once."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import transaction
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import statuses
from django_govuk_notify_outbox.models import EmailMessage
from django_govuk_notify_outbox.utils import send_email_notification

from .celery_worker import celery_worker
from .conftest import TEMPLATE_PLAIN, outbox_settings


@pytest.mark.django_db(transaction=True)
def test_an_email_leaves_within_seconds_of_the_commit_without_beat(
    emulator: Any, settings: SettingsWrapper
) -> None:
    with celery_worker(emulator, settings, kick=False):
        outbox_settings(settings, KICK_ON_COMMIT=None)  # auto: Celery + a broker -> on
        with transaction.atomic():
            message = send_email_notification("kick@example.gov.uk", TEMPLATE_PLAIN)
            committed = time.monotonic()
        # No Beat and no other run: only the kick can send it.
        while EmailMessage.objects.get(pk=message.pk).status in statuses.TO_SEND:
            assert time.monotonic() - committed < 30, "the kick did not send the email"
            time.sleep(0.05)
        assert emulator.stats()["references"] == {
            EmailMessage.objects.get(pk=message.pk).sent_reference: 1
        }
