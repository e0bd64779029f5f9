"""OpenTelemetry spans, captured with the SDK's in-memory exporter: the run, its chunks
and each Notify request, the send parented to the trace that queued the email."""

from __future__ import annotations

from typing import Any

import pytest

from django_govuk_notify_outbox import outbox, statuses
from django_govuk_notify_outbox.models import EmailMessage
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_ARCHIVED, TEMPLATE_PLAIN
from .observe_helpers import settle_deliveries

pytest.importorskip("opentelemetry.sdk")

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

pytestmark = pytest.mark.django_db

_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> InMemorySpanExporter:
    """The in-memory exporter, behind the process's tracer provider (set once)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    _EXPORTER.clear()
    return _EXPORTER


def _named(finished: tuple[ReadableSpan, ...], prefix: str) -> list[ReadableSpan]:
    return [s for s in finished if s.name.startswith(prefix)]


def test_the_send_span_continues_the_trace_that_queued_the_email(
    emulator: Any, spans: InMemorySpanExporter
) -> None:
    tracer = trace.get_tracer("tests")
    with tracer.start_as_current_span("POST /signup") as request_span:
        message = send_email_notification(
            "ada@example.gov.uk", TEMPLATE_PLAIN, {"name": "Ada Secret-Name"}
        )
    origin = request_span.get_span_context()
    stored = EmailMessage.objects.get(pk=message.pk)
    assert (
        stored.traceparent
        == f"00-{origin.trace_id:032x}-{origin.span_id:016x}-{origin.trace_flags:02x}"
    )
    untraced = send_email_notification("bob@example.gov.uk", TEMPLATE_ARCHIVED, {"name": "x"})
    assert EmailMessage.objects.get(pk=untraced.pk).traceparent == ""

    summary = outbox.sync()
    assert summary.accepted == 1
    finished = spans.get_finished_spans()
    (run,) = _named(finished, "outbox.sync")
    (chunk,) = _named(finished, "outbox.job send")
    sends = _named(finished, "POST /v2/notifications/email")
    assert len(sends) == 2
    assert chunk.parent is not None
    assert chunk.parent.span_id == run.context.span_id
    assert run.attributes is not None
    assert run.attributes["notify_outbox.accepted"] == 1
    by_email = {s.attributes["notify_outbox.email_id"]: s for s in sends if s.attributes}
    traced, plain = by_email[message.pk], by_email[untraced.pk]
    # Parented to the request that queued it (same trace), linked to its chunk.
    assert traced.context.trace_id == origin.trace_id
    assert traced.parent is not None
    assert traced.parent.span_id == origin.span_id
    assert [link.context.span_id for link in traced.links] == [chunk.context.span_id]
    assert traced.kind == trace.SpanKind.CLIENT
    attributes = dict(traced.attributes or {})
    assert attributes["http.request.method"] == "POST"
    assert attributes["url.template"] == "/v2/notifications/email"
    assert attributes["http.response.status_code"] == 201
    assert attributes["notify.outcome"] == "accepted"
    assert attributes["notify.notification_id"] == str(
        EmailMessage.objects.get(pk=message.pk).notify_id
    )
    assert traced.status.status_code == trace.StatusCode.UNSET
    # Without a stored context: the chunk's child; Notify's refusal is an error.
    assert plain.parent is not None
    assert plain.parent.span_id == chunk.context.span_id
    assert plain.attributes is not None
    assert plain.attributes["http.response.status_code"] == 400
    assert plain.status.status_code == trace.StatusCode.ERROR
    # Never the key, a JWT or personalisation.
    from django.conf import settings

    secret = settings.GOVUK_NOTIFY_API_KEY[-36:]
    for span in finished:
        text = repr(dict(span.attributes or {})) + span.name
        assert secret not in text
        assert "Bearer" not in text
        assert "eyJ" not in text
        assert "Secret-Name" not in text


def test_polls_have_spans_with_the_notification_id(
    emulator: Any, spans: InMemorySpanExporter
) -> None:
    message = send_email_notification("ada@example.gov.uk", TEMPLATE_PLAIN)
    outbox.sync()
    settle_deliveries([message])
    polls = _named(spans.get_finished_spans(), "GET /v2/notifications/{notification_id}")
    assert polls
    notify_id = str(EmailMessage.objects.get(pk=message.pk).notify_id)
    assert {(s.attributes or {})["notify.notification_id"] for s in polls} == {notify_id}
    assert statuses.NOTIFY_DELIVERED in {
        (s.attributes or {}).get("notify_outbox.status") for s in polls
    }


def test_an_idle_sync_makes_no_span(spans: InMemorySpanExporter) -> None:
    assert not outbox.sync().ran
    assert spans.get_finished_spans() == ()
