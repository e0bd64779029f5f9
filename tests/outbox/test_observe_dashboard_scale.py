"""The dashboard at 1,000,000 emails on PostgreSQL: every query of the page reads an
index (no sequential scan of the emails or the rollup), and the page makes as many
queries as on an empty table. The time is measured and printed (docs/configuration.md
records it), never asserted."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from django_govuk_notify_outbox.models import EmailMessage, OutboxStat

from .scale import EMAIL_COLUMNS, EMAIL_IDENTITY, explain, vacuum_analyze

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROWS = 1_000_000
DASHBOARD = "/admin/django_govuk_notify_outbox/emailmessage/dashboard/"
TABLES = (EmailMessage._meta.db_table, OutboxStat._meta.db_table)


def _fill() -> None:
    """1,000,000 emails created over the last 30 days (the newest first due, the rest
    mostly delivered), and the rollup rows such a history leaves."""
    table = EmailMessage._meta.db_table
    stats = OutboxStat._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} ({EMAIL_COLUMNS})
            SELECT {EMAIL_IDENTITY},
                CASE WHEN i <= 2000 THEN 'sending-to-notify'
                     WHEN i <= 4000 THEN 'notify-sending'
                     WHEN i % 50 = 0 THEN 'notify-permanent-failure'
                     ELSE 'notify-delivered' END,
                1,
                CASE WHEN i <= 4000 THEN now() - (i || ' seconds')::interval ELSE NULL END,
                '', false, NULL, '', '', now() - (i * 2.592 || ' seconds')::interval, now(),
                now() - (i * 2.592 || ' seconds')::interval, 0, false, ''
            FROM generate_series(1, {ROWS}) AS i
            """
        )
        labels = (
            [
                ("status", s)
                for s in (
                    "sent-to-notify",
                    "notify-sending",
                    "notify-delivered",
                    "notify-permanent-failure",
                    "failed-send-to-notify",
                )
            ]
            + [("answer", "send accepted 201"), ("answer", "poll accepted 200")]
            + [("latency", f"{r} {b}") for r in ("send", "poll") for b in ("0.05", "0.1", "0.25")]
        )
        for width, buckets in ((60, 2 * 1440), (3600, 35 * 24)):
            cursor.execute(
                f"""
                INSERT INTO {stats} (width, bucket, name, label, count)
                SELECT %s, date_trunc('minute', now()) - (b * %s || ' seconds')::interval,
                       l.name, l.label, 100
                FROM generate_series(0, %s) AS b,
                     jsonb_to_recordset(%s::jsonb) AS l(name text, label text)
                """,
                [
                    width,
                    width,
                    buckets - 1,
                    json.dumps([{"name": n, "label": la} for n, la in labels]),
                ],
            )
    vacuum_analyze(table, stats)


def _plans(queries: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Each page query on the outbox's tables, with the nodes of its plan."""
    plans = []
    for query in queries:
        sql = query["sql"]
        if not any(t in sql for t in TABLES) or not sql.lstrip().upper().startswith("SELECT"):
            continue
        plans.append((sql, explain(sql)))
    return plans


def test_the_dashboard_reads_indexes_only_at_a_million_emails(capsys: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the 1,000,000-row check runs on PostgreSQL (NGO_TEST_DB=postgresql)")
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.gov.uk", "pw"))

    def render(window: str) -> tuple[list[dict[str, Any]], float]:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(DASHBOARD, {"window": window})
            elapsed = time.perf_counter() - started
        assert response.status_code == 200
        return list(queries), elapsed

    empty = {w: len(render(w)[0]) for w in ("1h", "24h", "7d")}
    started = time.perf_counter()
    _fill()
    filled_in = time.perf_counter() - started
    assert EmailMessage.objects.count() == ROWS
    timings = {}
    for window in ("1h", "24h", "7d"):
        render(window)  # warm the cache, as a dashboard open in a browser is
        queries, elapsed = render(window)
        timings[window] = elapsed
        assert len(queries) == empty[window]
        plans = _plans(queries)
        assert len(plans) >= 6, [sql for sql, _ in plans]
        for sql, nodes in plans:
            scans = [n for n in nodes if n.get("Relation Name") in TABLES]
            assert scans, sql
            for node in scans:
                assert node["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Heap Scan"), (
                    node["Node Type"],
                    node["Relation Name"],
                    sql,
                )
    with capsys.disabled():
        print(
            f"\n  dashboard at {ROWS:,} emails (filled in {filled_in:.1f} s): "
            + ", ".join(f"{w} {t * 1000:.0f} ms" for w, t in timings.items())
        )
