"""Observability: what the engine reports about itself, and where.

The engine calls the hooks below (one line each, in engine/run.py, engine/writer.py and
utils.py). They feed the dashboard's rollup table (:mod:`.rollup`), Prometheus metrics
(:mod:`.metrics`, with the ``metrics`` extra), OpenTelemetry spans (:mod:`.tracing`, with
the ``tracing`` extra) and structured log records (:mod:`.logs`). A hook never raises:
observing must not stop an email from being sent or recorded.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from . import exchange, logs, metrics, rollup, state, tracing

if TYPE_CHECKING:
    from ..client import Result
    from .protocols import JobLike as Job
    from .protocols import SummaryLike as SyncSummary
    from .protocols import WrittenLike as Written

__all__ = [
    "enqueued",
    "idle_heartbeat",
    "performing",
    "recorded",
    "sync_observed",
    "warm",
    "written",
]

logger = logging.getLogger("django_govuk_notify_outbox")

_F = TypeVar("_F", bound=Callable[..., "SyncSummary"])


def enqueued() -> str:
    """The W3C traceparent to store on a new email ("" without a current span)."""
    try:
        return tracing.current_traceparent()
    except Exception:
        logger.debug("outbox: could not read the trace context", exc_info=True)
        return ""


def performing(job: Job) -> None:
    """On the HTTP thread, as a job starts its requests: remember when."""
    job.observed_start_ns = time.time_ns()  # type: ignore[attr-defined]


def recorded(job: Job, outcome: Sequence[Result] | BaseException, done: Written) -> None:
    """After a job's outcomes are written: metrics, the rollup, spans and log records of
    each of its Notify requests."""
    try:
        exchanges = exchange.exchanges(job, outcome, done)
        metrics.observe_requests(exchanges)
        rollup.add_requests(job.ctx.using, exchanges)  # type: ignore[attr-defined]
        tracing.record_job(job, exchanges)
        logs.log_exchanges(exchanges)
    except Exception:
        logger.exception("outbox: could not record the observations of a %s job", job.kind)


def written(
    using: str, done: Written, entered: Sequence[tuple[int, str, str]], now: datetime
) -> None:
    """After the one writer committed: count each status entered."""
    if not entered:
        return
    try:
        metrics.observe_transitions(done, entered, now)
        rollup.add_statuses(using, entered, now)
    except Exception:
        logger.exception("outbox: could not record the status changes")


def sync_observed(fn: _F) -> _F:
    """Decorates ``engine.run.sync``: the run's span and the queue gauges after a run. An
    idle run costs nothing more (see :func:`idle_heartbeat` for its callers)."""

    @functools.wraps(fn)
    def sync(*args: Any, **kwargs: Any) -> SyncSummary:  # named as what it wraps, in tracebacks
        run = tracing.start_run()
        try:
            summary = fn(*args, **kwargs)
        except BaseException as exc:
            tracing.end_run(run, None, exc)
            raise
        try:
            tracing.end_run(run, summary, None)
            if summary.ran:
                metrics.set_gauges(state.queue_state())
        except Exception:
            logger.exception("outbox: could not record the observations of a sync run")
        return summary

    return sync  # type: ignore[return-value]


def warm() -> None:
    """Load the optional exporters now (prometheus_client creates its metrics): called as
    a long-running worker starts, so its first run does not pay for the imports."""
    try:
        metrics.get()
    except Exception:
        logger.exception("outbox: could not load prometheus_client")


def idle_heartbeat(summary: SyncSummary) -> None:
    """Called by the scheduled callers of sync() (the Celery task, the worker command):
    after an idle run, records that a sync looked for work (SyncLease.last_checked_at,
    one UPDATE at most every state.CHECKED_EVERY seconds per process), so the health
    check and the dashboard see an idle outbox as scheduled."""
    if summary.ran or summary.reason != "nothing due":
        return
    try:
        state.mark_checked()
    except Exception:
        logger.exception("outbox: could not record the idle check")
