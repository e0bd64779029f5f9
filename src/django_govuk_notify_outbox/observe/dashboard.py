"""The admin's dashboard: what is happening to the outbox, from a handful of indexed
queries (:func:`state.queue_state`, one grouped count on the ``created_at`` index for
"queued", one range read of the rollup table for everything else). The chart is SVG
drawn here: no JavaScript, nothing from a CDN."""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.db.models import Count
from django.db.models.functions import Trunc
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from .. import statuses
from ..models import EmailMessage, OutboxStat
from . import rollup
from .state import QueueState, queue_state


@dataclasses.dataclass(frozen=True)
class Window:
    key: str
    title: str
    span: timedelta
    width: int  # seconds per bucket (the rollup's width)
    label_every: int  # buckets between x-axis labels
    label_format: str


WINDOWS: dict[str, Window] = {
    "1h": Window("1h", "Last hour, per minute", timedelta(hours=1), 60, 10, "%H:%M"),
    "24h": Window("24h", "Last 24 hours, per hour", timedelta(hours=24), 3600, 4, "%H:%M"),
    "7d": Window("7d", "Last 7 days, per hour", timedelta(days=7), 3600, 24, "%a %d"),
}
DEFAULT_WINDOW = "24h"

# The chart's series: (key, label, colour). Colours: GOV.UK's palette.
SERIES: tuple[tuple[str, str, str], ...] = (
    ("queued", "Queued", "#1d70b8"),
    ("accepted", "Accepted by Notify", "#4c2c92"),
    ("delivered", "Delivered", "#00703c"),
    (statuses.NOTIFY_PERMANENT_FAILURE, "Permanent failure", "#0b0c0c"),
    (statuses.NOTIFY_TEMPORARY_FAILURE, "Temporary failure", "#f47738"),
    (statuses.NOTIFY_TECHNICAL_FAILURE, "Technical failure", "#d4351c"),
    (statuses.FAILED_SEND_TO_NOTIFY, "Failed to send to Notify", "#912b88"),
)
_FROM_STATUS = {
    statuses.SENT_TO_NOTIFY: "accepted",
    statuses.NOTIFY_DELIVERED: "delivered",
    statuses.NOTIFY_PERMANENT_FAILURE: statuses.NOTIFY_PERMANENT_FAILURE,
    statuses.NOTIFY_TEMPORARY_FAILURE: statuses.NOTIFY_TEMPORARY_FAILURE,
    statuses.NOTIFY_TECHNICAL_FAILURE: statuses.NOTIFY_TECHNICAL_FAILURE,
    statuses.FAILED_SEND_TO_NOTIFY: statuses.FAILED_SEND_TO_NOTIFY,
}
PERCENTILES = (50, 90, 99)


def context(window_key: str, using: str | None = None) -> dict[str, Any]:
    """Everything the dashboard template shows."""
    window = WINDOWS.get(window_key) or WINDOWS[DEFAULT_WINDOW]
    queue = queue_state(using)
    end = rollup.bucket_start(queue.now, window.width) + timedelta(seconds=window.width)
    count = int(window.span.total_seconds()) // window.width
    start = end - timedelta(seconds=window.width * count)
    buckets = [start + timedelta(seconds=window.width * i) for i in range(count)]
    series: dict[str, list[int]] = {key: [0] * count for key, _l, _c in SERIES}
    for bucket, n in _queued(using, start, window):
        index = _index(bucket, start, window.width, count)
        if index is not None:
            series["queued"][index] += n
    answers: dict[tuple[str, str, str], int] = defaultdict(int)
    latency: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for bucket, name, label, n in _rollup(using, start, window):
        if name == "status":
            key = _FROM_STATUS.get(label)
            index = _index(bucket, start, window.width, count)
            if key is not None and index is not None:
                series[key][index] += n
        elif name == "answer":
            request, outcome, status = ([*label.split(" "), "", "", ""])[:3]
            answers[request, outcome, status] += n
        elif name == "latency":
            request, _, bound = label.partition(" ")
            latency[request][bound] += n
    return {
        "window": window,
        "windows": list(WINDOWS.values()),
        "queue": queue,
        "health": _health(queue),
        "chart": chart(buckets, series, window),
        "totals": [(label, colour, sum(series[key])) for key, label, colour in SERIES],
        "answers": sorted(
            ((r, o, s, n) for (r, o, s), n in answers.items()), key=lambda a: (-a[3], a[:3])
        ),
        "latency": [(request, *_percentiles(latency[request])) for request in sorted(latency)],
        "percentiles": PERCENTILES,
        "open_statuses": [
            (statuses.LABELS[s], s, queue.by_status.get(s, 0))
            for s in statuses.ALL
            if s in queue.by_status
        ],
    }


def _queued(using: str | None, start: datetime, window: Window) -> list[tuple[datetime, int]]:
    """Emails created per bucket: one grouped count read from the created_at index."""
    kind = "minute" if window.width == 60 else "hour"
    manager = EmailMessage.objects.using(using) if using else EmailMessage.objects
    rows = (
        manager.filter(created_at__gte=start)
        .order_by()
        .annotate(b=Trunc("created_at", kind, tzinfo=dt_timezone.utc))
        .values("b")
        .annotate(n=Count("created_at"))
        .values_list("b", "n")
    )
    return list(rows)


def _rollup(
    using: str | None, start: datetime, window: Window
) -> list[tuple[datetime, str, str, int]]:
    manager = OutboxStat.objects.using(using) if using else OutboxStat.objects
    return list(
        manager.filter(width=window.width, bucket__gte=start).values_list(
            "bucket", "name", "label", "count"
        )
    )


def _index(bucket: datetime, start: datetime, width: int, count: int) -> int | None:
    index = int((bucket - start).total_seconds()) // width
    return index if 0 <= index < count else None


def _percentiles(counts: dict[str, int]) -> list[str]:
    """p50/p90/p99 estimated from the latency buckets (linear within a bucket, as
    Prometheus's histogram_quantile)."""
    total = sum(counts.values())
    if not total:
        return ["—"] * len(PERCENTILES)
    bounds = [*rollup.LATENCY_BOUNDS, math.inf]
    cumulative = []
    running = 0
    for bound in bounds:
        running += counts.get("inf" if bound == math.inf else f"{bound:g}", 0)
        cumulative.append(running)
    out = []
    for p in PERCENTILES:
        rank = total * p / 100
        for i, bound in enumerate(bounds):
            if cumulative[i] >= rank:
                if bound == math.inf:
                    out.append(f"> {rollup.LATENCY_BOUNDS[-1]:g} s")
                    break
                lower = bounds[i - 1] if i else 0.0
                below = cumulative[i - 1] if i else 0
                inside = cumulative[i] - below
                value = lower + (bound - lower) * ((rank - below) / inside if inside else 1)
                out.append(_seconds(value))
                break
    return out


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def age(seconds: float | None) -> str:
    """ "3 min 20 s"-style text for a number of seconds."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def _health(queue: QueueState) -> dict[str, str]:
    return {
        "oldest_due": age(queue.oldest_due_age) if queue.oldest_due_at else "none due",
        "oldest_waiting": age(queue.oldest_waiting_age),
        "since_last_seen": age(queue.since_last_seen),
    }


# --- the SVG chart ---------------------------------------------------------------------------

CHART_WIDTH = 960
CHART_HEIGHT = 280
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 36


def _ticks(top: int) -> list[int]:
    if top <= 4:
        return list(range(0, max(top, 1) + 1))
    step = 10 ** int(math.log10(top / 4))
    for factor in (1, 2, 5, 10):
        if top / (step * factor) <= 5:
            step *= factor
            break
    return list(range(0, top + step, step))


def chart(buckets: list[datetime], series: dict[str, list[int]], window: Window) -> SafeString:
    """A line chart of every series over ``buckets``, as inline SVG."""
    count = len(buckets)
    ticks = _ticks(max([1, *(max(v) for v in series.values())]))
    top = ticks[-1] or 1
    plot_w = CHART_WIDTH - LEFT - RIGHT
    plot_h = CHART_HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + plot_w * (i + 0.5) / count

    def y(v: int) -> float:
        return TOP + plot_h * (1 - v / top)

    parts: list[str] = []
    for t in ticks:
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" class="ngo-grid"/>'
                '<text x="{}" y="{}" class="ngo-axis" text-anchor="end">{}</text>',
                LEFT,
                CHART_WIDTH - RIGHT,
                f"{y(t):.1f}",
                f"{y(t):.1f}",
                LEFT - 6,
                f"{y(t) + 4:.1f}",
                f"{t:,}",
            )
        )
    for i, bucket in enumerate(buckets):
        if i % window.label_every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" class="ngo-axis" text-anchor="middle">{}</text>',
                    f"{x(i):.1f}",
                    CHART_HEIGHT - BOTTOM + 18,
                    bucket.strftime(window.label_format),
                )
            )
    for key, label, colour in SERIES:
        values = series[key]
        if not any(values):
            continue
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2" '
                'class="ngo-series" data-series="{}"><title>{}</title></polyline>',
                points,
                colour,
                key,
                label,
            )
        )
    body = mark_safe("".join(parts))  # each part built by format_html
    return format_html(
        '<svg class="ngo-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="ngo-chart-title">'
        '<title id="ngo-chart-title">{}</title>'
        '<line x1="{}" x2="{}" y1="{}" y2="{}" class="ngo-baseline"/>{}</svg>',
        CHART_WIDTH,
        CHART_HEIGHT,
        f"Emails queued, accepted, delivered and failed: {window.title.lower()}",
        LEFT,
        CHART_WIDTH - RIGHT,
        TOP + plot_h,
        TOP + plot_h,
        body,
    )


def legend() -> SafeString:
    return format_html_join(
        "",
        '<span class="ngo-legend-item"><span class="ngo-swatch" style="background:{}">'
        "</span>{}</span>",
        ((colour, label) for _k, label, colour in SERIES),
    )
