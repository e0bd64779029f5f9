"""One kick per burst: 50 emails queued outside a transaction (50 commits) publish one or
two sync tasks to a real broker, and a real Celery worker sends all 50 within seconds."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import statuses
from django_govuk_notify_outbox.models import EmailMessage
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_PLAIN, database_is_shared, outbox_settings
from .test_concurrency import _worker_env
from .test_kick_with_celery_worker import BROKER, ROOT, _redis_available


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_fifty_commits_publishes_one_or_two_tasks(
    emulator: Any, settings: SettingsWrapper
) -> None:
    celery = pytest.importorskip("celery")
    from celery.signals import after_task_publish

    if not database_is_shared():
        pytest.skip("the worker process needs a shared database (NGO_TEST_DB)")
    if not _redis_available():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    queue = f"ngo-burst-{uuid.uuid4().hex[:8]}"
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
    published: list[str] = []

    def count(sender: Any = None, headers: Any = None, **_: Any) -> None:
        if sender == "django_govuk_notify_outbox.tasks.sync":
            published.append(str((headers or {}).get("id")))

    after_task_publish.connect(count, weak=False)
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
        outbox_settings(settings, KICK_ON_COMMIT=True)
        started = time.monotonic()
        messages = [
            send_email_notification(f"burst{i}@example.gov.uk", TEMPLATE_PLAIN) for i in range(50)
        ]
        queued_in = time.monotonic() - started
        pks = [m.pk for m in messages]
        while EmailMessage.objects.filter(pk__in=pks, status__in=statuses.TO_SEND).exists():
            assert time.monotonic() - started < 15, "the kicks did not send every email"
            time.sleep(0.05)
        # One at once, then at most one more per half second of the burst.
        assert 1 <= len(published) <= 2 + int(queued_in / 0.5), (published, queued_in)
        references = emulator.stats()["references"]
        assert sorted(references.values()) == [1] * 50
    finally:
        after_task_publish.disconnect(count)
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)
        if worker.stderr is not None:
            worker.stderr.close()
