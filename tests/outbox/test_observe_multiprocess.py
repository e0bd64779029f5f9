"""Prometheus metrics across processes, as under Celery prefork: two separate sync
processes (``manage.py notify_outbox_sync``) with PROMETHEUS_MULTIPROC_DIR set, against
the emulator; prometheus_client's MultiProcessCollector sums their counters and keeps
the most recent gauge values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import ROOT, child_env

from .conftest import FAST, TEMPLATE_PLAIN

pytest.importorskip("prometheus_client")

QUEUE = (
    "from django_govuk_notify_outbox.utils import send_email_notification as s; "
    "[s(f'mp{{i}}-{tag}@example.gov.uk', '{template}') for i in range({n})]"
)


def test_two_sync_processes_add_up_in_the_multiprocess_collector(
    emulator: Any, tmp_path: Path
) -> None:
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = child_env(
        {
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "NGO_TEST_DB": "sqlite",
            "NGO_SQLITE_PATH": str(tmp_path / "db.sqlite3"),
            "GOVUK_NOTIFY_API_KEY": emulator.api_key,
            "GOVUK_NOTIFY_BASE_URL": emulator.base_url,
            "NGO_OUTBOX_SETTINGS": json.dumps(FAST),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        }
    )

    def django(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "django", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr

    django("migrate", "-v0")
    django("shell", "-c", QUEUE.format(tag="a", template=TEMPLATE_PLAIN, n=3))
    django("notify_outbox_sync")
    django("shell", "-c", QUEUE.format(tag="b", template=TEMPLATE_PLAIN, n=2))
    django("notify_outbox_sync")

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(metrics_dir))  # type: ignore[no-untyped-call]
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in registry.collect()
        for s in family.samples
    }
    sent = samples[("notify_outbox_requests_total", (("outcome", "accepted"), ("request", "send")))]
    assert sent == 5  # 3 from the first process, 2 from the second
    assert samples[("notify_outbox_commit_to_accepted_seconds_count", ())] == 5
    assert samples[("notify_outbox_queue_depth", ())] == 0  # the most recent run's value
    assert len(list(metrics_dir.glob("*.db"))) >= 2  # one file set per process
