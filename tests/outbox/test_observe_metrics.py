"""Prometheus metrics, scraped from prometheus_client's default registry (what a
project's /metrics endpoint serves) before and after a known run against the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from django_govuk_notify_outbox import outbox, statuses
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_PLAIN
from .observe_helpers import known_run, scrape, value

pytestmark = pytest.mark.django_db

pytest.importorskip("prometheus_client")


def test_a_known_run_is_counted_timed_and_gauged(emulator: Any) -> None:
    before = scrape()
    known_run()
    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # By outcome: four sends (three accepted, one rejected), then polls until delivered.
    assert delta("notify_outbox_requests_total", request="send", outcome="accepted") == 3
    assert delta("notify_outbox_requests_total", request="send", outcome="rejected") == 1
    assert delta("notify_outbox_requests_total", request="poll", outcome="accepted") >= 3
    # By status transition.
    transitions = "notify_outbox_transitions_total"
    assert (
        delta(
            transitions, from_status=statuses.SENDING_TO_NOTIFY, to_status=statuses.SENT_TO_NOTIFY
        )
        == 3
    )
    assert (
        delta(
            transitions,
            from_status=statuses.SENDING_TO_NOTIFY,
            to_status=statuses.FAILED_SEND_TO_NOTIFY,
        )
        == 1
    )
    delivered = sum(
        delta(transitions, from_status=source, to_status=statuses.NOTIFY_DELIVERED)
        for source in (statuses.SENT_TO_NOTIFY, statuses.NOTIFY_CREATED, statuses.NOTIFY_SENDING)
    )
    assert delivered == 3
    # Histograms: one latency per request, one commit -> accepted per accepted email,
    # one accepted -> final per delivered email.
    assert delta("notify_outbox_request_duration_seconds_count", request="send") == 4
    assert delta("notify_outbox_request_duration_seconds_bucket", request="send", le="+Inf") == 4
    assert delta("notify_outbox_commit_to_accepted_seconds_count") == 3
    assert (
        delta("notify_outbox_accepted_to_final_seconds_count", status=statuses.NOTIFY_DELIVERED)
        == 3
    )
    assert (
        delta("notify_outbox_accepted_to_final_seconds_sum", status=statuses.NOTIFY_DELIVERED) > 0
    )
    # Gauges after the last run: nothing waiting, nothing due, not paused.
    assert value(after, "notify_outbox_queue_depth") == 0
    assert value(after, "notify_outbox_due") == 0
    assert value(after, "notify_outbox_oldest_due_age_seconds") == 0
    assert value(after, "notify_outbox_sending_paused") == 0


def test_the_queue_gauges_show_a_backlog(emulator: Any, settings: Any) -> None:
    # A run whose time budget ends at once: it leaves (nearly) all five waiting.
    settings.GOVUK_NOTIFY_OUTBOX = {
        **settings.GOVUK_NOTIFY_OUTBOX,
        "BATCH_SIZE": 2,
        "RUN_TIME_BUDGET": 0.001,
    }
    for i in range(5):
        send_email_notification(f"q{i}@example.gov.uk", TEMPLATE_PLAIN)
    summary = outbox.sync()
    assert summary.ran
    after = scrape()
    waiting = value(after, "notify_outbox_queue_depth")
    assert waiting == 5 - summary.accepted
    assert waiting > 0
    assert value(after, "notify_outbox_due") >= waiting
    assert value(after, "notify_outbox_oldest_due_age_seconds") >= 0
