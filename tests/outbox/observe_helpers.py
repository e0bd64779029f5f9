"""Shared by the observability tests: a known run against the emulator."""

from __future__ import annotations

import time
from typing import Any

from django_govuk_notify_outbox import outbox, statuses
from django_govuk_notify_outbox.models import EmailMessage
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_ARCHIVED, TEMPLATE_PLAIN


def known_run() -> tuple[list[EmailMessage], EmailMessage]:
    """Three emails Notify accepts and delivers, one it rejects (archived template); one
    sync run sends all four, then polls until the three are delivered."""
    accepted = [send_email_notification(f"ok{i}@example.gov.uk", TEMPLATE_PLAIN) for i in range(3)]
    rejected = send_email_notification("no@example.gov.uk", TEMPLATE_ARCHIVED, {"name": "x"})
    summary = outbox.sync()
    assert summary.accepted == 3, summary
    assert summary.failed == 1, summary
    settle_deliveries(accepted)
    return accepted, rejected


def settle_deliveries(messages: list[EmailMessage], timeout: float = 30.0) -> None:
    ids = [m.pk for m in messages]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if EmailMessage.objects.filter(pk__in=ids, status=statuses.NOTIFY_DELIVERED).count() == len(
            ids
        ):
            return
        outbox.sync()
        time.sleep(0.2)
    raise AssertionError("the emails were not delivered in time")


def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample the default registry exposes, as /metrics would serve it."""
    from prometheus_client import REGISTRY, generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(generate_latest(REGISTRY).decode()):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
