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

from . import outbox


@shared_task(name="django_govuk_notify_outbox.tasks.sync", ignore_result=True)  # type: ignore[untyped-decorator]
def sync() -> dict[str, Any]:
    """One outbox run (see outbox.sync); returns its summary as a dict."""
    return dataclasses.asdict(outbox.sync())
