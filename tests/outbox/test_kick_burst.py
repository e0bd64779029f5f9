"""The kick with a real Celery worker on Redis and no Beat: a burst of 50 commits
publishes one or two sync tasks and all 50 leave within seconds; after a run that sent,
a follow-up task polls, so an email Notify has finished shows as final within seconds."""

from __future__ import annotations

import time
from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import statuses
from django_govuk_notify_outbox.models import EmailMessage
from django_govuk_notify_outbox.utils import send_email_notification

from .celery_worker import celery_worker
from .conftest import TEMPLATE_PLAIN, outbox_settings


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_fifty_commits_publishes_one_or_two_tasks(
    emulator: Any, settings: SettingsWrapper
) -> None:
    from celery.signals import after_task_publish

    published: list[str] = []

    def count(sender: Any = None, headers: Any = None, **_: Any) -> None:
        if sender == "django_govuk_notify_outbox.tasks.sync":
            published.append(str((headers or {}).get("id")))

    with celery_worker(emulator, settings, kick=True):
        after_task_publish.connect(count, weak=False)
        try:
            started = time.monotonic()
            messages = [
                send_email_notification(f"burst{i}@example.gov.uk", TEMPLATE_PLAIN)
                for i in range(50)
            ]
            queued_in = time.monotonic() - started
            pks = [m.pk for m in messages]
            while EmailMessage.objects.filter(pk__in=pks, status__in=statuses.TO_SEND).exists():
                assert time.monotonic() - started < 15, "the kicks did not send every email"
                time.sleep(0.05)
        finally:
            after_task_publish.disconnect(count)
    # One at once, then at most one more per half second of the burst.
    assert 1 <= len(published) <= 2 + int(queued_in / 0.5), (published, queued_in)
    assert sorted(emulator.stats()["references"].values()) == [1] * 50


@pytest.mark.django_db(transaction=True)
def test_an_email_shows_as_final_within_seconds_without_beat(
    emulator: Any, settings: SettingsWrapper
) -> None:
    outbox_settings(settings, POLL_SCHEDULE=[(30, 3.0), (600, 15.0)])
    with celery_worker(emulator, settings, kick=True):
        committed = time.monotonic()
        message = send_email_notification("final@example.gov.uk", TEMPLATE_PLAIN)
        # The kick sends it; the follow-up task polls it when its first poll falls due
        # (no Beat: nothing else would ever poll it).
        while EmailMessage.objects.get(pk=message.pk).status not in statuses.FINAL:
            assert time.monotonic() - committed < 30, "no run polled the accepted email"
            time.sleep(0.1)
    assert EmailMessage.objects.get(pk=message.pk).status == statuses.NOTIFY_DELIVERED
