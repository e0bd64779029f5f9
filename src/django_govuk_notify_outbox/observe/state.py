"""The outbox's state right now, from a few indexed queries: shared by the dashboard,
the health command and the Prometheus gauges."""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime

from django.db import router
from django.db.models import Count

from .. import statuses
from ..models import EmailMessage, SyncLease

# The idle heartbeat (SyncLease.last_checked_at) is written at most this often per process.
CHECKED_EVERY = 30.0

_last_checked = 0.0


@dataclasses.dataclass(frozen=True)
class QueueState:
    now: datetime
    waiting: int  # not yet accepted: sending-to-notify or retrying-send-to-notify
    by_status: dict[str, int]  # every non-final status, 0 when none
    due: int  # next_action_at <= now
    oldest_due_at: datetime | None  # the earliest next_action_at among the due
    oldest_waiting_at: datetime | None  # created_at of the oldest email not yet accepted
    holder: str
    expires_at: datetime | None
    last_run_at: datetime | None
    last_checked_at: datetime | None
    paused: bool
    paused_since: datetime | None
    paused_message: str

    @property
    def oldest_due_age(self) -> float:
        """Seconds the longest-waiting due email has been due (0 when none is due)."""
        if self.oldest_due_at is None:
            return 0.0
        return max(0.0, (self.now - self.oldest_due_at).total_seconds())

    @property
    def oldest_waiting_age(self) -> float | None:
        if self.oldest_waiting_at is None:
            return None
        return max(0.0, (self.now - self.oldest_waiting_at).total_seconds())

    @property
    def last_seen_at(self) -> datetime | None:
        """The last time a sync ran or looked for work."""
        times = [t for t in (self.last_run_at, self.last_checked_at) if t is not None]
        if self.holder and self.expires_at is not None and self.expires_at > self.now:
            times.append(self.now)  # a run holds the lease right now
        return max(times) if times else None

    @property
    def since_last_seen(self) -> float | None:
        seen = self.last_seen_at
        return None if seen is None else max(0.0, (self.now - seen).total_seconds())


def _using() -> str:
    return router.db_for_write(EmailMessage) or "default"


def queue_state(using: str | None = None) -> QueueState:
    """The state, in six indexed queries (none scans the table)."""
    from ..engine.clock import db_now  # the engine imports this package

    alias = using or _using()
    now = db_now(alias)
    messages = EmailMessage.objects.using(alias)
    open_statuses = sorted(statuses.TO_SEND | statuses.TRACKED)
    counts = dict.fromkeys(open_statuses, 0)
    for row in (
        messages.filter(status__in=open_statuses)
        .order_by()
        .values("status")
        .annotate(n=Count("status"))
    ):
        counts[row["status"]] = row["n"]
    due = messages.filter(next_action_at__lte=now)
    oldest_due = due.order_by("next_action_at").values_list("next_action_at", flat=True).first()
    waiting_since = [
        messages.filter(status=s)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
        for s in sorted(statuses.TO_SEND)
    ]
    oldest_waiting = min((t for t in waiting_since if t is not None), default=None)
    lease = SyncLease.objects.using(alias).filter(pk=SyncLease.SINGLETON_ID).first()
    return QueueState(
        now=now,
        waiting=sum(counts[s] for s in statuses.TO_SEND),
        by_status=counts,
        due=due.order_by().count(),
        oldest_due_at=oldest_due,
        oldest_waiting_at=oldest_waiting,
        holder=lease.holder if lease else "",
        expires_at=lease.expires_at if lease else None,
        last_run_at=lease.last_run_at if lease else None,
        last_checked_at=lease.last_checked_at if lease else None,
        paused=bool(lease and lease.auth_paused),
        paused_since=lease.auth_paused_since if lease else None,
        paused_message=lease.auth_paused_message if lease else "",
    )


def mark_checked(using: str | None = None, *, force: bool = False) -> None:
    """Records that a sync looked for work: one UPDATE (the SyncLease row created first
    if missing), at most every CHECKED_EVERY s per process."""
    global _last_checked
    if not force and _last_checked and time.monotonic() - _last_checked < CHECKED_EVERY:
        return
    _last_checked = time.monotonic()
    from ..engine.clock import DbNow  # the engine imports this package

    alias = using or _using()
    manager = SyncLease.objects.using(alias)
    if not manager.filter(pk=SyncLease.SINGLETON_ID).update(last_checked_at=DbNow()):
        manager.get_or_create(pk=SyncLease.SINGLETON_ID)
        manager.filter(pk=SyncLease.SINGLETON_ID).update(last_checked_at=DbNow())
