"""Several workers: concurrent syncs, and a worker killed mid-batch (real processes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from django_govuk_notify_outbox import outbox, statuses
from django_govuk_notify_outbox.models import EmailMessage, SyncLease
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_PLAIN, database_is_shared, outbox_settings, sync_until_settled

ROOT = Path(__file__).resolve().parents[2]


def needs_shared_database() -> None:
    if not database_is_shared():
        pytest.skip(
            "needs a database other processes can share: NGO_TEST_DB=postgresql|mariadb, "
            "or NGO_SQLITE_TEST_PATH=/tmp/file.sqlite3"
        )


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_syncs_never_send_the_same_email(
    emulator: Any, settings: SettingsWrapper
) -> None:
    needs_shared_database()
    outbox_settings(settings, BATCH_SIZE=5, MAX_IN_FLIGHT=5)
    emulator.faults(latency_ms=20)
    messages = [send_email_notification(f"p{i}@example.gov.uk", TEMPLATE_PLAIN) for i in range(40)]
    summaries: list[outbox.SyncSummary] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(6):
                summaries.append(outbox.sync())
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert any(s.reason == "another run holds the lease" for s in summaries)
    sync_until_settled()
    counts = emulator.stats()["references"]
    for message in messages:
        stored = EmailMessage.objects.get(pk=message.pk)
        assert stored.status not in statuses.TO_SEND
        assert counts[stored.sent_reference] == 1
        assert stored.attempts == 1


def _worker_env(emulator: Any, outbox_dict: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PYTHONPATH": f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}",
            "NGO_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
            "GOVUK_NOTIFY_API_KEY": emulator.api_key,
            "GOVUK_NOTIFY_BASE_URL": emulator.base_url,
            "NGO_OUTBOX_SETTINGS": json.dumps(outbox_dict),
        }
    )
    return env


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(
    emulator: Any, settings: SettingsWrapper
) -> None:
    needs_shared_database()
    outbox_dict = {
        **settings.GOVUK_NOTIFY_OUTBOX,
        "TIMEOUT": 20.0,
        "RUN_TIME_BUDGET": 5.0,
        "LEASE_SECONDS": 1.0,
        "LOOKUP_DELAY": 21.0,
    }
    # Every POST is stored by the emulator, then its response is held back.
    emulator.faults(stall_rate=1.0, stall_ms=15000)
    messages = [send_email_notification(f"k{i}@example.gov.uk", TEMPLATE_PLAIN) for i in range(6)]
    worker = subprocess.Popen(
        [sys.executable, "-m", "django", "notify_outbox_worker", "--interval", "0.1"],
        cwd=ROOT,
        env=_worker_env(emulator, outbox_dict),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while emulator.stats().get("stored", 0) < 6:
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline, "the worker never sent"
            time.sleep(0.05)
        in_flight = EmailMessage.objects.filter(attempt_started_at__isnull=False).count()
        assert in_flight == 6
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    emulator.faults(stall_rate=0.0)
    outbox_settings(settings, TIMEOUT=20.0, LOOKUP_DELAY=21.0, LEASE_SECONDS=1.0)
    # The dead worker's claims are not settled before LOOKUP_DELAY: nobody touches them.
    assert outbox.sync().reason == "nothing due"
    assert EmailMessage.objects.filter(attempt_started_at__isnull=False).count() == 6
    # LOOKUP_DELAY passes (moved back rather than waited for): the claims are settled by
    # looking each email up, and found.
    past = timezone.now() - timedelta(seconds=22)
    EmailMessage.objects.update(
        attempt_started_at=past, next_action_at=past + timedelta(seconds=21)
    )
    # The dead worker's heartbeat lease expires within LEASE_SECONDS: another run takes over.
    deadline = time.monotonic() + 10
    while not (summary := outbox.sync()).ran:
        assert summary.reason == "another run holds the lease"
        assert time.monotonic() < deadline, "the dead worker's lease never expired"
        time.sleep(0.1)
    assert summary.recovered == 6
    assert summary.adopted == 6
    assert summary.accepted == 0
    counts = emulator.stats()["references"]
    for message in messages:
        stored = EmailMessage.objects.get(pk=message.pk)
        assert stored.status not in statuses.TO_SEND
        assert counts[stored.sent_reference] == 1
        assert stored.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_stops_cleanly_on_sigterm(emulator: Any, settings: Any) -> None:
    needs_shared_database()
    worker = subprocess.Popen(
        [sys.executable, "-m", "django", "notify_outbox_worker", "--interval", "0.2"],
        cwd=ROOT,
        env=_worker_env(emulator, settings.GOVUK_NOTIFY_OUTBOX),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    message = send_email_notification("term@example.gov.uk", TEMPLATE_PLAIN)
    deadline = time.monotonic() + 20
    while EmailMessage.objects.get(pk=message.pk).status in statuses.TO_SEND:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=20)
    assert worker.returncode == 0, err
    assert "worker stopped" in out
    assert SyncLease.objects.get().holder == ""
