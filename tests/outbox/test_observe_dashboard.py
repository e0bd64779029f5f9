"""The admin's dashboard and the admin's presentation fixes, rendered by Django's test
client after real runs against the emulator; its queries read indexes only (the
1,000,000-row PostgreSQL check is in test_observe_dashboard_scale.py)."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from django_govuk_notify_outbox import outbox, statuses
from django_govuk_notify_outbox.models import EmailEvent, EmailMessage, OutboxStat
from django_govuk_notify_outbox.utils import send_email_notification

from .conftest import TEMPLATE_PLAIN
from .observe_helpers import known_run
from .test_admin import LIST_URL, detail_url, staff_client, superuser_client  # noqa: F401

pytestmark = pytest.mark.django_db

DASHBOARD = f"{LIST_URL}dashboard/"


def test_the_dashboard_shows_a_known_run(emulator: Any, superuser_client: Client) -> None:  # noqa: F811
    known_run()
    waiting = send_email_notification("later@example.gov.uk", TEMPLATE_PLAIN)
    for window in ("1h", "24h", "7d"):
        response = superuser_client.get(DASHBOARD, {"window": window})
        assert response.status_code == 200
        html = response.content.decode()
        # The chart: inline SVG, one line per series that has data; no script, no CDN.
        assert '<svg class="ngo-chart"' in html
        for series in ("queued", "accepted", "delivered", statuses.FAILED_SEND_TO_NOTIFY):
            assert f'data-series="{series}"' in html, (window, series)
        assert "<script" not in html.split('id="ngo-dashboard"', 1)[1]
        assert "http://" not in re.sub(
            r'href="[^"]*"|xmlns="[^"]*"', "", html.split('id="ngo-dashboard"', 1)[1]
        )
    # Totals of the last window: 5 queued, 3 accepted and delivered, 1 failed to send.
    totals = _cells(html, "ngo-totals")
    assert totals == ["5", "3", "3", "0", "0", "0", "1"]
    answers = _rows(html, "ngo-answers")
    assert ["send", "accepted", "201", "3"] in answers
    assert ["send", "rejected", "400", "1"] in answers
    assert any(row[:3] == ["poll", "accepted", "200"] for row in answers)
    latency = {row[0]: row[1:] for row in _rows(html, "ngo-latency")}
    assert set(latency) >= {"send", "poll"}
    assert all(cell.endswith(("ms", " s")) for cell in latency["send"])
    # The queue: one email waiting and due, the sync's last run, not paused.
    assert 'id="ngo-waiting"' in html
    assert re.search(r'id="ngo-waiting">.*?ngo-card-value">1<', html, re.S)
    assert re.search(r'id="ngo-due">.*?ngo-card-value">1<', html, re.S)
    assert "not paused" in html
    assert waiting.pk


def test_the_dashboard_makes_a_fixed_number_of_queries(
    emulator: Any,
    superuser_client: Client,  # noqa: F811
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert superuser_client.get(DASHBOARD, {"window": "7d"}).status_code == 200
        return len(queries)

    empty = count()
    known_run()
    for i in range(20):
        send_email_notification(f"more{i}@example.gov.uk", TEMPLATE_PLAIN)
    assert count() == empty


def test_the_dashboard_needs_view_emailmessage() -> None:
    assert staff_client().get(DASHBOARD).status_code == 403
    viewer = staff_client("view_emailmessage")
    assert viewer.get(DASHBOARD).status_code == 200
    index = viewer.get("/admin/django_govuk_notify_outbox/").content.decode()
    assert f'href="{DASHBOARD}"' in index
    assert f'href="{DASHBOARD}"' in viewer.get(LIST_URL).content.decode()


def test_the_rollup_counts_each_status_entered_once(emulator: Any) -> None:
    known_run()
    entered = dict(OutboxStat.objects.filter(width=60, name="status").values_list("label", "count"))
    assert entered[statuses.SENT_TO_NOTIFY] == 3
    assert entered[statuses.NOTIFY_DELIVERED] == 3
    assert entered[statuses.FAILED_SEND_TO_NOTIFY] == 1
    hours = dict(OutboxStat.objects.filter(width=3600, name="status").values_list("label", "count"))
    assert hours == entered


def test_the_list_fits_shows_the_last_error_and_a_short_template_id(
    emulator: Any,
    superuser_client: Client,  # noqa: F811
) -> None:
    known_run()
    html = superuser_client.get(LIST_URL).content.decode()
    assert f'<code class="ngo-uuid" title="{TEMPLATE_PLAIN}">{TEMPLATE_PLAIN[:8]}…</code>' in html
    assert re.search(r'class="ngo-last-error" title="HTTP 400 BadRequestError: Template', html)


def test_healthy_booleans_are_words_and_curl_errors_are_explained(
    superuser_client: Client,  # noqa: F811
) -> None:
    message = send_email_notification("a@example.gov.uk", TEMPLATE_PLAIN)
    raw = "unknown: necessary data rewind wasn't possible"
    EmailMessage.objects.filter(pk=message.pk).update(last_error=raw, outcome_unknown=False)
    EmailEvent.objects.create(
        message=message,
        kind="http",
        method="POST",
        path="/v2/notifications/email",
        outcome="unknown",
        detail="necessary data rewind wasn't possible",
    )
    html = superuser_client.get(detail_url(message)).content.decode()
    assert "icon-no.svg" not in html  # no red cross for a healthy False
    assert re.search(r"Outcome unknown:</label>\s*<div class=\"readonly\">No</div>", html)
    assert "could not be replayed on a new connection" in html
    assert html.count("necessary data rewind wasn&#x27;t possible") == 2


def test_log_records_carry_the_email_notify_ids_and_outcome(
    emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="django_govuk_notify_outbox"):
        accepted, rejected = known_run()
    records = [r for r in caplog.records if r.name == "django_govuk_notify_outbox"]
    assert records
    for record in records:  # every record of the package's logger has the fields
        for field in ("email_id", "notify_id", "outcome"):
            assert hasattr(record, field), (record.getMessage(), field)
    sends: dict[Any, Any] = {
        getattr(r, "email_id", None): r for r in records if getattr(r, "request", None) == "send"
    }
    first = EmailMessage.objects.get(pk=accepted[0].pk)
    assert sends[first.pk].notify_id == str(first.notify_id)
    assert sends[first.pk].outcome == "accepted"
    assert sends[rejected.pk].outcome == "rejected"
    assert sends[rejected.pk].levelname == "INFO"
    assert any(
        getattr(r, "status", None) == statuses.NOTIFY_DELIVERED
        and getattr(r, "email_id", None) == first.pk
        for r in records
    )
    assert outbox  # the engine's module, as the records' source


def _table(html: str, table_id: str) -> str:
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert match, table_id
    return match.group(0)


def _cells(html: str, table_id: str) -> list[str]:
    body = _table(html, table_id).split("<tbody>", 1)[1]
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", body, re.S)]


def _rows(html: str, table_id: str) -> list[list[str]]:
    body = _table(html, table_id).split("<tbody>", 1)[1]
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]
