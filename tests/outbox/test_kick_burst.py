"""The kick with a real Celery worker on Redis and no Beat: a burst of 50 commits
publishes one or two sync tasks and all 50 leave within seconds; after a run that sent,
a follow-up task polls, so an email Notify has finished shows as final within seconds."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import statuses
from django_govuk_notify_outbox.models import EmailMessage
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_PLAIN, database_is_shared, outbox_settings
from .test_concurrency import _worker_env
from .test_kick_with_celery_worker import BROKER, ROOT, _redis_available


@contextmanager
def celery_worker(emulator: Any, settings: SettingsWrapper) -> Iterator[None]:
    """A Celery worker (solo pool) on its own queue, and this process publishing to it."""
    celery = pytest.importorskip("celery")
    if not database_is_shared():
        pytest.skip("the worker process needs a shared database (NGO_TEST_DB)")
    if not _redis_available():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    queue = f"ngo-burst-{uuid.uuid4().hex[:8]}"
    outbox_settings(settings, KICK_ON_COMMIT=True)  # in the worker too (its follow-ups)
    env = _worker_env(emulator, settings.GOVUK_NOTIFY_OUTBOX)
    env.update({"NGO_CELERY_BROKER_URL": BROKER, "NGO_CELERY_QUEUE": queue})
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.outbox.celery_app",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stderr is not None
        deadline = time.monotonic() + 60
        for line in worker.stderr:
            if "ready." in line:
                break
            assert time.monotonic() < deadline, "the Celery worker never became ready"
        app = celery.Celery("ngo-burst-test", broker=BROKER, set_as_current=True)
        app.conf.task_default_queue = queue
        app.set_current()
        settings.CELERY_BROKER_URL = BROKER
        yield
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)
        if worker.stderr is not None:
            worker.stderr.close()


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_fifty_commits_publishes_one_or_two_tasks(
    emulator: Any, settings: SettingsWrapper
) -> None:
    from celery.signals import after_task_publish

    published: list[str] = []

    def count(sender: Any = None, headers: Any = None, **_: Any) -> None:
        if sender == "django_govuk_notify_outbox.tasks.sync":
            published.append(str((headers or {}).get("id")))

    with celery_worker(emulator, settings):
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
    with celery_worker(emulator, settings):
        committed = time.monotonic()
        message = send_email_notification("final@example.gov.uk", TEMPLATE_PLAIN)
        # The kick sends it; the follow-up task polls it when its first poll falls due.
        while EmailMessage.objects.get(pk=message.pk).status not in statuses.FINAL:
            assert time.monotonic() - committed < 12, "no run polled the accepted email"
            time.sleep(0.1)
        elapsed = time.monotonic() - committed
    assert EmailMessage.objects.get(pk=message.pk).status == statuses.NOTIFY_DELIVERED
    assert elapsed < 8.0, f"final {elapsed:.1f}s after the commit"
