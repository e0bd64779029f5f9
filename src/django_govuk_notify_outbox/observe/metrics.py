"""Prometheus metrics (the ``metrics`` extra: prometheus_client).

Registered on prometheus_client's default ``REGISTRY``, so the project's own /metrics
endpoint (django-prometheus's, or ``prometheus_client.make_wsgi_app()``) exposes them.
Under a multi-process server or Celery prefork, set PROMETHEUS_MULTIPROC_DIR as
prometheus_client documents: the gauges use ``multiprocess_mode="mostrecent"``.
Without prometheus_client every function here does nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .. import statuses
from .exchange import Exchange

if TYPE_CHECKING:
    from .protocols import WrittenLike as Written
    from .state import QueueState

PREFIX = "notify_outbox"
# Seconds. Requests: Notify answers in tens of milliseconds, a timeout takes TIMEOUT.
REQUEST_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Seconds from commit to accepted: a run every few seconds, retries for minutes or hours.
ACCEPT_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 6 * 3600.0)
# Seconds from accepted to final: Notify delivers in seconds to hours (72 h at most).
FINAL_BUCKETS = (5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 6 * 3600.0, 24 * 3600.0, 72 * 3600.0)


class _Metrics:
    def __init__(self, prometheus: Any) -> None:
        self.requests = prometheus.Counter(
            f"{PREFIX}_requests",
            "Requests to GOV.UK Notify, by request (send, lookup, poll, list) and outcome.",
            ["request", "outcome"],
        )
        self.transitions = prometheus.Counter(
            f"{PREFIX}_transitions",
            "Emails that moved from one outbox status to another.",
            ["from_status", "to_status"],
        )
        self.request_seconds = prometheus.Histogram(
            f"{PREFIX}_request_duration_seconds",
            "Time GOV.UK Notify took to answer a request, by request.",
            ["request"],
            buckets=REQUEST_BUCKETS,
        )
        self.accept_seconds = prometheus.Histogram(
            f"{PREFIX}_commit_to_accepted_seconds",
            "Time from an email's commit (queued) to Notify accepting it.",
            buckets=ACCEPT_BUCKETS,
        )
        self.final_seconds = prometheus.Histogram(
            f"{PREFIX}_accepted_to_final_seconds",
            "Time from Notify accepting an email to its final status, by final status.",
            ["status"],
            buckets=FINAL_BUCKETS,
        )
        self.queue_depth = prometheus.Gauge(
            f"{PREFIX}_queue_depth",
            "Emails not yet accepted by Notify (sending or retrying), after the last sync run.",
            multiprocess_mode="mostrecent",
        )
        self.due = prometheus.Gauge(
            f"{PREFIX}_due",
            "Emails due for the engine now (to send, look up or poll), after the last run.",
            multiprocess_mode="mostrecent",
        )
        self.oldest_due_age = prometheus.Gauge(
            f"{PREFIX}_oldest_due_age_seconds",
            "How long the longest-waiting due email has been due, after the last sync run.",
            multiprocess_mode="mostrecent",
        )
        self.paused = prometheus.Gauge(
            f"{PREFIX}_sending_paused",
            "1 while sending is paused because Notify refused the API key or URL.",
            multiprocess_mode="mostrecent",
        )


_metrics: _Metrics | None = None
_loaded = False


def get() -> _Metrics | None:
    """The metrics, created on the default registry on first use; None without
    prometheus_client."""
    global _metrics, _loaded
    if not _loaded:
        _loaded = True
        try:
            import prometheus_client
        except ImportError:
            return None
        _metrics = _Metrics(prometheus_client)
    return _metrics


def observe_requests(exchanges: Sequence[Exchange]) -> None:
    m = get()
    if m is None:
        return
    # Counted per label set, not per request: a chunk has hundreds of requests and a
    # few label sets, and each labels() call costs a lock and a dict look-up.
    counts = Counter((x.request, x.outcome) for x in exchanges)
    for labels, count in counts.items():
        m.requests.labels(*labels).inc(count)
    timers: dict[str, Any] = {}
    for x in exchanges:
        if x.http_status is not None or x.duration:
            timer = timers.get(x.request)
            if timer is None:
                timer = timers[x.request] = m.request_seconds.labels(x.request)
            timer.observe(x.duration)


def observe_transitions(
    done: Written, entered: Sequence[tuple[int, str, str]], now: datetime
) -> None:
    m = get()
    if m is None:
        return
    for labels, count in Counter((f, t) for _pk, f, t in entered).items():
        m.transitions.labels(*labels).inc(count)
    finals: dict[str, Any] = {}
    for pk, _from_status, to_status in entered:
        found = done.changes.get(pk)
        if found is None:
            continue
        state = found[0]
        if to_status == statuses.SENT_TO_NOTIFY:
            m.accept_seconds.observe(max(0.0, (now - state.created_at).total_seconds()))
        elif statuses.is_final(to_status) and to_status != statuses.FAILED_SEND_TO_NOTIFY:
            accepted = state.sent_to_notify_at or now
            timer = finals.get(to_status)
            if timer is None:
                timer = finals[to_status] = m.final_seconds.labels(to_status)
            timer.observe(max(0.0, (now - accepted).total_seconds()))


def set_gauges(queue: QueueState) -> None:
    m = get()
    if m is None:
        return
    m.queue_depth.set(queue.waiting)
    m.due.set(queue.due)
    m.oldest_due_age.set(queue.oldest_due_age)
    m.paused.set(1 if queue.paused else 0)
