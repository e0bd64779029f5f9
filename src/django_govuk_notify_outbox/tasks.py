"""Celery tasks (Celery is an optional extra; only this module imports it).

Run the sync every 5 seconds with Celery Beat::

    CELERY_BEAT_SCHEDULE = {
        "sync": {"task": "django_govuk_notify_outbox.tasks.sync", "schedule": 5},
        "purge": {
            "task": "django_govuk_notify_outbox.tasks.purge",
            "schedule": 3600,
            "kwargs": {"older_than_days": 90},
        },
    }
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from celery import shared_task

from . import engine, kick, observe, retention
from .kick import SYNC_TASK


@shared_task(name=SYNC_TASK, ignore_result=True)  # type: ignore[untyped-decorator]
def sync() -> dict[str, Any] | None:
    """One outbox run (see engine.sync); returns its summary as a dict, or None when idle."""
    summary = engine.sync()
    if summary.ran:
        retention.redact_finished()  # no query at all unless REDACT_WHEN_FINAL is on
        if summary.accepted or summary.polled or summary.adopted:
            kick.follow_up()  # e.g. the first polls, without waiting for Beat
    observe.idle_heartbeat(summary)  # for the health check: scheduled, even when idle
    return dataclasses.asdict(summary) if summary.ran else None


@shared_task(name="django_govuk_notify_outbox.tasks.purge", ignore_result=True)  # type: ignore[untyped-decorator]
def purge(older_than_days: float, batch_size: int = retention.DEFAULT_BATCH_SIZE) -> dict[str, Any]:
    """Delete final emails older than ``older_than_days`` (see retention.purge), then
    redact what REDACT_WHEN_FINAL asks; returns the counts."""
    result = retention.purge(timedelta(days=older_than_days), batch_size=batch_size)
    redacted = retention.redact_finished(batch_size=batch_size, max_batches=100)
    return {**dataclasses.asdict(result), "redacted_when_final": redacted}
