"""A real Celery worker (solo pool, Redis, no Beat) running the outbox's sync task for a
test, with this process publishing to its queue."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from .conftest import database_is_shared, outbox_settings
from .test_concurrency import _worker_env

ROOT = Path(__file__).resolve().parents[2]
BROKER = "redis://127.0.0.1:6379/13"


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping())
    except Exception:
        return False


@contextmanager
def celery_worker(emulator: Any, settings: SettingsWrapper, *, kick: bool) -> Iterator[None]:
    """The worker on its own queue; ``kick``: whether the worker kicks too (its follow-up
    tasks). Skips the test without a shared database or Redis."""
    celery = pytest.importorskip("celery")
    if not database_is_shared():
        pytest.skip("the worker process needs a shared database (NGO_TEST_DB)")
    if not redis_available():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    queue = f"ngo-test-{uuid.uuid4().hex[:8]}"
    outbox_settings(settings, KICK_ON_COMMIT=kick)
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
        app = celery.Celery("ngo-test", broker=BROKER, set_as_current=True)
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
