"""The engine's look-up and poll queries behind a backlog, on PostgreSQL: 100,000 queued
emails are due and 50,000 finished ones have a Notify id, and the few emails to look up
or poll are found without walking either (the rows each query reads are counted by
EXPLAIN ANALYZE; the time is not asserted)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_govuk_notify_outbox import conf, statuses
from django_govuk_notify_outbox.engine.clock import db_now
from django_govuk_notify_outbox.engine.jobs import Context, LookupJob, PollJob
from django_govuk_notify_outbox.models import EmailMessage

from .scale import EMAIL_COLUMNS, EMAIL_IDENTITY, EMAIL_TABLE, explain, vacuum_analyze

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

QUEUED = 100_000
FINISHED = 50_000
FEW = 10
# Rows a query may read from the emails table: the few it selects, with room to spare.
READ_AT_MOST = 20 * FEW
TABLE = EMAIL_TABLE


def _fill() -> None:
    """QUEUED emails waiting to be sent (all due), FEW unknown outcomes due for a look-up,
    FEW accepted emails due for a poll, and FINISHED delivered ones (never due)."""
    queued, few = QUEUED, FEW
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {TABLE} ({EMAIL_COLUMNS})
            SELECT {EMAIL_IDENTITY},
                CASE WHEN i <= {queued} + {few} THEN 'sending-to-notify'
                     WHEN i <= {queued} + 2 * {few} THEN 'notify-sending'
                     ELSE 'notify-delivered' END,
                CASE WHEN i <= {queued} THEN 0 ELSE 1 END,
                CASE WHEN i <= {queued} + 2 * {few}
                     THEN now() - (({queued} + 3 * {few} - i) || ' seconds')::interval END,
                '', i > {queued} AND i <= {queued} + {few},
                CASE WHEN i > {queued} + {few} THEN gen_random_uuid() END,
                '', '', now() - interval '1 hour', now(), now() - interval '1 hour', 0, false, ''
            FROM generate_series(1, {queued} + 2 * {few} + {FINISHED}) AS i
            """
        )
    vacuum_analyze(TABLE)


def _rows_read(queries: list[dict[str, Any]]) -> list[tuple[str, int, list[Any]]]:
    """Each SELECT on the emails table, with the rows its plan read from that table (kept
    and filtered out, over every loop) and its scans."""
    out = []
    for query in queries:
        sql = query["sql"]
        if TABLE not in sql or not sql.lstrip().upper().startswith("SELECT"):
            continue
        scans = [n for n in explain(sql, analyze=True) if n.get("Relation Name") == TABLE]
        read = sum(
            (n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) * n["Actual Loops"]
            for n in scans
        )
        out.append((sql, read, [(n["Node Type"], n.get("Index Name")) for n in scans]))
    return out


def test_look_ups_and_polls_are_found_through_their_indexes_behind_a_backlog() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the plan check runs on PostgreSQL (NGO_TEST_DB=postgresql)")
    _fill()
    ctx = Context("default", conf.get_settings(), db_now("default"))
    chosen: dict[str, Any] = {}
    for kind, select in (("lookup", LookupJob.select), ("poll", PollJob.select)):
        with CaptureQueriesContext(connection) as queries:
            chosen[kind] = select(ctx, 100)
        plans = _rows_read(list(queries))
        assert plans, kind
        for sql, read, scans in plans:
            assert read <= READ_AT_MOST, (kind, read, scans, sql)
    # And they are the right emails: the unknown outcomes, then the accepted ones.
    unknown = set(EmailMessage.objects.filter(outcome_unknown=True).values_list("pk", flat=True))
    accepted = set(
        EmailMessage.objects.filter(status=statuses.NOTIFY_SENDING).values_list("pk", flat=True)
    )
    assert len(unknown) == len(accepted) == FEW
    assert set(chosen["lookup"].pks) == unknown
    assert set(chosen["poll"].pks) == accepted
