"""Celery tasks (Celery is an optional extra; only this module imports it).

Run the sync every 5 seconds with Celery Beat::

    CELERY_BEAT_SCHEDULE = {
        "sync": {"task": "django_govuk_notify_outbox.tasks.sync", "schedule": 5},
    }
"""

from __future__ import annotations

import dataclasses
from typing import Any

from celery import shared_task

from . import engine


@shared_task(name="django_govuk_notify_outbox.tasks.sync", ignore_result=True)  # type: ignore[untyped-decorator]
def sync() -> dict[str, Any] | None:
    """One outbox run (see engine.sync); returns its summary as a dict, or None when idle."""
    summary = engine.sync()
    return dataclasses.asdict(summary) if summary.ran else None
