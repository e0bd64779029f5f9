"""The kick after commit, end to end: a real Celery worker on Redis sends the email at once."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import statuses
from django_govuk_notify_outbox.models import EmailMessage
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_PLAIN, database_is_shared, outbox_settings
from .test_concurrency import _worker_env

ROOT = Path(__file__).resolve().parents[2]
BROKER = "redis://127.0.0.1:6379/13"


def _redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.mark.django_db(transaction=True)
def test_an_email_leaves_within_seconds_of_the_commit_without_beat(
    emulator: Any, settings: SettingsWrapper
) -> None:
    celery = pytest.importorskip("celery")
    if not database_is_shared():
        pytest.skip("the worker process needs a shared database (NGO_TEST_DB)")
    if not _redis_available():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    queue = f"ngo-kick-{uuid.uuid4().hex[:8]}"
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
        # This process publishes to the same broker and queue.
        app = celery.Celery("ngo-kick-test", broker=BROKER, set_as_current=True)
        app.conf.task_default_queue = queue
        app.set_current()
        settings.CELERY_BROKER_URL = BROKER
        outbox_settings(settings, KICK_ON_COMMIT=None)  # auto: Celery + a broker -> on
        with transaction.atomic():
            message = send_email_notification("kick@example.gov.uk", TEMPLATE_PLAIN)
            committed = time.monotonic()
        while EmailMessage.objects.get(pk=message.pk).status in statuses.TO_SEND:
            assert time.monotonic() - committed < 10, "the kick did not send the email"
            time.sleep(0.05)
        elapsed = time.monotonic() - committed
        assert elapsed < 3.0, f"the email left {elapsed:.1f}s after the commit"
        assert emulator.stats()["references"] == {
            EmailMessage.objects.get(pk=message.pk).sent_reference: 1
        }
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)
        if worker.stderr is not None:
            worker.stderr.close()
