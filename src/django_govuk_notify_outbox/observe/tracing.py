"""OpenTelemetry spans (the ``tracing`` extra: opentelemetry-api).

- ``outbox.sync``: one sync run (only runs that found work);
- ``outbox.job <kind>``: each chunk (job) of a run, its child;
- ``<METHOD> <route template>`` (kind CLIENT): each Notify request, with
  ``http.request.method``, ``url.template``, ``http.response.status_code``,
  ``notify.outcome``, ``notify.notification_id`` and ``notify_outbox.email_id``.

The C client makes the requests concurrently on its own thread, so the request spans
are recorded when the chunk is (with the times the requests took). A send's span is
parented to the trace context stored on the email when it was queued
(EmailMessage.traceparent, W3C) and linked to its chunk; without one, it is the chunk's
child. Spans carry ids and outcomes only: never the key, a JWT, a body or personalisation.
Without opentelemetry-api every function here does nothing.
"""

from __future__ import annotations

import contextvars
import dataclasses
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..models import EmailMessage
from .exchange import Exchange

if TYPE_CHECKING:
    from .protocols import JobLike as Job
    from .protocols import SummaryLike as SyncSummary

try:
    from opentelemetry import context as otel_context
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
except ImportError:  # the tracing extra is not installed
    trace = None  # type: ignore[assignment]

TRACER_NAME = "django_govuk_notify_outbox"
_PROPAGATOR: Any = TraceContextTextMapPropagator() if trace is not None else None


def _tracer() -> Any:
    assert trace is not None
    return trace.get_tracer(TRACER_NAME, __version__)


def current_traceparent() -> str:
    """The W3C traceparent of the current span, "" when there is none."""
    if trace is None or not trace.get_current_span().get_span_context().is_valid:
        return ""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent", "")[:55]


@dataclasses.dataclass
class RunTrace:
    """The span of one sync run, started when its first chunk is recorded."""

    start_ns: int
    parent: Any  # the caller's context when the run started
    span: Any = None


# The run of this thread (or task): its chunks are recorded where sync() runs.
_current: contextvars.ContextVar[RunTrace | None] = contextvars.ContextVar(
    "notify_outbox_run", default=None
)


def start_run() -> RunTrace | None:
    if trace is None:
        return None
    run = RunTrace(time.time_ns(), otel_context.get_current())
    _current.set(run)
    return run


def _run_span(run: RunTrace) -> Any:
    if run.span is None:
        run.span = _tracer().start_span("outbox.sync", context=run.parent, start_time=run.start_ns)
    return run.span


def end_run(run: RunTrace | None, summary: SyncSummary | None, exc: BaseException | None) -> None:
    if run is None:
        return
    _current.set(None)
    if run.span is None and (exc is not None or (summary is not None and summary.ran)):
        _run_span(run)
    span = run.span
    if span is None:
        return
    if summary is not None:
        for name in (
            "sent",
            "accepted",
            "retrying",
            "failed",
            "unknown",
            "looked_up",
            "polled",
            "recovered",
            "http_requests",
        ):
            span.set_attribute(f"notify_outbox.{name}", int(getattr(summary, name)))
        span.set_attribute("notify_outbox.auth_paused", bool(summary.auth_paused))
    if exc is not None:
        span.record_exception(exc)
        span.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))
    span.end()


def record_job(job: Job, exchanges: Sequence[Exchange]) -> None:
    """The chunk's span and one span per Notify request, recorded after the fact."""
    if trace is None:
        return
    run = _current.get()
    tracer = _tracer()
    parent = trace.set_span_in_context(_run_span(run)) if run is not None else None
    start = int(getattr(job, "observed_start_ns", 0) or time.time_ns())
    chunk = tracer.start_span(f"outbox.job {job.kind}", context=parent, start_time=start)
    if not chunk.is_recording():
        chunk.end()
        return
    chunk.set_attribute("notify_outbox.job.kind", job.kind)
    chunk.set_attribute("notify_outbox.job.size", job.size)
    chunk_context = trace.set_span_in_context(chunk)
    origins = _origins(job, exchanges)
    offset = 0
    for x in exchanges:
        origin = origins.get(x.email_id) if x.email_id is not None else None
        began = start + (offset if x.request == "list" else 0)
        ended = began + int(x.duration * 1e9)
        offset += int(x.duration * 1e9)
        if origin is not None:
            context = trace.set_span_in_context(trace.NonRecordingSpan(origin))
            links = [trace.Link(chunk.get_span_context())]
        else:
            context, links = chunk_context, []
        span = tracer.start_span(
            f"{x.method} {x.route}",
            context=context,
            kind=trace.SpanKind.CLIENT,
            start_time=began,
            links=links,
            attributes=_attributes(x),
        )
        if x.outcome != "accepted":
            span.set_status(trace.Status(trace.StatusCode.ERROR, x.outcome))
        span.end(end_time=ended)
    chunk.end()


def _attributes(x: Exchange) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "http.request.method": x.method,
        "url.template": x.route,
        "notify.request": x.request,
        "notify.outcome": x.outcome,
    }
    if x.http_status is not None:
        attributes["http.response.status_code"] = x.http_status
    if x.notify_id:
        attributes["notify.notification_id"] = x.notify_id
    if x.email_id is not None:
        attributes["notify_outbox.email_id"] = x.email_id
    if x.status:
        attributes["notify_outbox.status"] = x.status
    if x.error:
        attributes["error.type"] = x.error[:200]
    return attributes


def _origins(job: Job, exchanges: Sequence[Exchange]) -> dict[int, Any]:
    """The span context each sent email was queued under (one indexed query)."""
    if job.kind != "send" or not exchanges:
        return {}
    ids = [x.email_id for x in exchanges if x.email_id is not None]
    using = job.ctx.using  # type: ignore[attr-defined]
    rows = (
        EmailMessage.objects.using(using)
        .filter(pk__in=ids)
        .exclude(traceparent="")
        .values_list("pk", "traceparent")
    )
    origins: dict[int, Any] = {}
    for pk, traceparent in rows:
        extracted = _PROPAGATOR.extract({"traceparent": traceparent})
        span_context = trace.get_current_span(extracted).get_span_context()
        if span_context.is_valid:
            origins[pk] = span_context
    return origins
