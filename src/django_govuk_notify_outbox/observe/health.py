"""Is the outbox healthy? The rules behind ``manage.py notify_outbox_health`` (a
Kubernetes probe) and the deployment check."""

from __future__ import annotations

import dataclasses

from .dashboard import age
from .state import QueueState

SYNC_TASK = "django_govuk_notify_outbox.tasks.sync"
DEFAULT_MAX_SYNC_AGE = 300.0  # seconds
DEFAULT_MAX_DUE_AGE = 600.0  # seconds


@dataclasses.dataclass(frozen=True)
class Verdict:
    problems: list[str]
    summary: str

    @property
    def healthy(self) -> bool:
        return not self.problems


def judge(
    queue: QueueState, *, max_sync_age: float, max_due_age: float, allow_paused: bool = False
) -> Verdict:
    """The problems found in ``queue`` (none: healthy)."""
    problems = []
    since = queue.since_last_seen
    if since is None:
        problems.append("the sync has never run")
    elif since > max_sync_age:
        problems.append(f"the sync has not run for {age(since)} (limit {age(max_sync_age)})")
    if queue.oldest_due_at is not None and queue.oldest_due_age > max_due_age:
        problems.append(
            f"the oldest due email has waited {age(queue.oldest_due_age)} "
            f"(limit {age(max_due_age)})"
        )
    if queue.paused and not allow_paused:
        problems.append(
            f"sending is paused: Notify refused the API key or URL ({queue.paused_message})"
        )
    summary = (
        f"{queue.waiting} waiting, {queue.due} due"
        f"{f' (oldest for {age(queue.oldest_due_age)})' if queue.oldest_due_at else ''}, "
        f"sync last seen {age(since) + ' ago' if since is not None else 'never'}"
        f"{', paused' if queue.paused else ''}"
    )
    return Verdict(problems, summary)


def beat_schedules_sync(schedule: object) -> bool:
    """True when a Celery Beat schedule (CELERY_BEAT_SCHEDULE) runs the sync task."""
    if not isinstance(schedule, dict):
        return False
    return any(
        isinstance(entry, dict) and entry.get("task") == SYNC_TASK for entry in schedule.values()
    )
