"""The one clock: the database's. Every lease, claim and deadline is measured by it,
so the clocks of the hosts running senders never decide anything."""

from __future__ import annotations

from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any

from django.db import connections
from django.db.models import DateTimeField, Func
from django.utils.dateparse import parse_datetime

_NOW = {
    "postgresql": "STATEMENT_TIMESTAMP()",
    "mysql": "UTC_TIMESTAMP(6)",
    "sqlite": "STRFTIME('%Y-%m-%d %H:%M:%f', 'now')",
}


class DbNow(Func):
    """The database's current time, in an expression (e.g. an INSERT's value)."""

    output_field = DateTimeField()

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        return _NOW[connection.vendor].replace("%", "%%"), ()


def db_now(using: str) -> datetime:
    """The database server's current time, as an aware UTC datetime."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        # SQLite has no server: its clock is this host's, which Python reads to the
        # microsecond (SQLite's own 'now' stops at the millisecond).
        return datetime.now(dt_timezone.utc)
    expression = _NOW.get(connection.vendor)
    if expression is None:
        raise NotImplementedError(f"the outbox does not support the {connection.vendor} database")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + expression)  # no parameters: no %-formatting
        (value,) = cursor.fetchone()
    if isinstance(value, str):
        parsed = parse_datetime(value)
        assert parsed is not None, value
        value = parsed
    assert isinstance(value, datetime)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt_timezone.utc)
    return value.astimezone(dt_timezone.utc)


def now_value(using: str) -> DbNow | datetime:
    """The database's "now" as a query value: the server's own clock in the SQL itself
    (no extra query), or, on SQLite, this host's clock to the microsecond."""
    if connections[using].vendor == "sqlite":
        return datetime.now(dt_timezone.utc)
    return DbNow()
