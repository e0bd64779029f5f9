"""The dashboard's rollup (models.OutboxStat): counts per minute and per hour, added with
one upsert per recorded chunk, so the dashboard reads a few thousand small rows instead
of aggregating millions of emails or events.

Rows: ("status", <status entered>), ("answer", "<request> <outcome> <HTTP status|->"),
("latency", "<request> <bound>") where bound is the smallest of LATENCY_BOUNDS the
request's duration fits under ("inf" beyond the last).
"""

from __future__ import annotations

import bisect
import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.db import connections
from django.utils import timezone

from ..models import OutboxStat
from .exchange import Exchange

logger = logging.getLogger("django_govuk_notify_outbox")

MINUTE = 60
HOUR = 3600
WIDTHS = (MINUTE, HOUR)
# Seconds; the upper bounds of the latency buckets (as Prometheus histograms have).
LATENCY_BOUNDS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# How long rows are kept: minutes for two days, hours for five weeks.
KEEP = {MINUTE: timedelta(days=2), HOUR: timedelta(days=35)}
PRUNE_EVERY = 3600.0  # seconds, per process

_last_prune = 0.0


def bucket_start(when: datetime, width: int) -> datetime:
    """The start of the minute or hour ``when`` falls in (UTC)."""
    seconds = int(when.timestamp()) // width * width
    return datetime.fromtimestamp(seconds, tz=dt_timezone.utc)


def latency_label(request: str, seconds: float) -> str:
    index = bisect.bisect_left(LATENCY_BOUNDS, seconds)
    bound = f"{LATENCY_BOUNDS[index]:g}" if index < len(LATENCY_BOUNDS) else "inf"
    return f"{request} {bound}"


def answer_label(x: Exchange) -> str:
    return f"{x.request} {x.outcome} {x.http_status or '-'}"


def add_statuses(using: str, entered: Sequence[tuple[int, str, str]], now: datetime) -> None:
    """Count each (email, from, to) status entered at ``now``."""
    add(using, now, Counter(("status", to) for _pk, _from, to in entered))


def add_requests(using: str, exchanges: Sequence[Exchange]) -> None:
    """Count each Notify request by answer and by latency bucket, now."""
    if not exchanges:
        return
    counts: Counter[tuple[str, str]] = Counter()
    for x in exchanges:
        counts["answer", answer_label(x)] += 1
        if x.http_status is not None or x.duration:
            counts["latency", latency_label(x.request, x.duration)] += 1
    add(using, timezone.now(), counts)


def add(using: str, when: datetime, counts: Counter[tuple[str, str]]) -> None:
    """Add ``counts`` to the minute and hour rows of ``when``: one upsert statement."""
    if not counts:
        return
    rows: list[tuple[int, datetime, str, str, int]] = [
        (width, bucket_start(when, width), name, label[:64], n)
        for width in WIDTHS
        for (name, label), n in sorted(counts.items())
    ]
    _upsert(using, rows)
    _maybe_prune(using, when)


def _upsert(using: str, rows: Iterable[tuple[int, datetime, str, str, int]]) -> None:
    connection = connections[using]
    ops = connection.ops
    table = ops.quote_name(OutboxStat._meta.db_table)
    names = ("width", "bucket", "name", "label", "count")
    columns = ", ".join(ops.quote_name(n) for n in names)
    count = ops.quote_name("count")
    params: list[Any] = []
    values = []
    for width, bucket, name, label, n in rows:
        values.append("(%s, %s, %s, %s, %s)")
        params.extend([width, ops.adapt_datetimefield_value(bucket), name, label, n])
    if connection.vendor == "mysql":
        tail = f"ON DUPLICATE KEY UPDATE {count} = {count} + VALUES({count})"
    else:  # PostgreSQL and SQLite
        keys = ", ".join(ops.quote_name(n) for n in names[:4])
        tail = f"ON CONFLICT ({keys}) DO UPDATE SET {count} = {table}.{count} + excluded.{count}"
    sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join(values)} {tail}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _maybe_prune(using: str, now: datetime) -> None:
    global _last_prune
    if time.monotonic() - _last_prune < PRUNE_EVERY:
        return
    _last_prune = time.monotonic()
    for width, keep in KEEP.items():
        OutboxStat.objects.using(using).filter(width=width, bucket__lt=now - keep).delete()
