"""Helpers of the tests that fill PostgreSQL with many emails and read query plans."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection

from django_govuk_notify_outbox.models import EmailMessage

# The emails table's NOT NULL columns, for INSERT ... SELECT ... FROM generate_series.
EMAIL_COLUMNS = """
    email_address, template_id, personalisation, reference, email_reply_to_id,
    one_click_unsubscribe_url, sanitise_content_for, sent_reference,
    sent_reference_digest, reference_is_ours, channel, service, priority, status,
    attempts, next_action_at, claim_token, outcome_unknown, notify_id,
    notify_status, last_error, created_at, updated_at, queued_at, polls,
    tracking_stopped, traceparent"""

# The values of EMAIL_COLUMNS up to the priority, for row number i.
EMAIL_IDENTITY = """
    'user' || i || '@example.gov.uk', gen_random_uuid(), '{}'::jsonb, '',
    NULL, '', '[]'::jsonb, 'outbox-' || i, md5(i::text) || md5(i::text), true,
    'email', 'default', 1"""

EMAIL_TABLE = EmailMessage._meta.db_table


def vacuum_analyze(*tables: str) -> None:
    """VACUUM ANALYZE (outside any transaction), as autovacuum would after a fill."""
    autocommit = connection.get_autocommit()
    connection.set_autocommit(True)
    try:
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"VACUUM ANALYZE {table}")
    finally:
        connection.set_autocommit(autocommit)


def plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """A plan node and every node below it."""
    return [plan] + [node for child in plan.get("Plans", []) for node in plan_nodes(child)]


def explain(sql: str, *, analyze: bool = False) -> list[dict[str, Any]]:
    """The nodes of ``sql``'s plan (run, with ANALYZE)."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({'ANALYZE, ' if analyze else ''}FORMAT JSON) {sql}")
        (document,) = cursor.fetchone()
    if isinstance(document, str):
        document = json.loads(document)
    return plan_nodes(document[0]["Plan"])
