"""The one clock: the database's. Every lease, claim and deadline is measured by it,
so the clocks of the hosts running senders never decide anything."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.db import connections
from django.db.models import BigIntegerField, DateTimeField, F, Func, QuerySet
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


_EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)


class _EpochMicroseconds(Func):
    """A timestamp as whole microseconds since 1970 (PostgreSQL)."""

    template = "ROUND(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()


def read_values(
    queryset: QuerySet[Any], fields: Sequence[str], limit: int | None = None
) -> list[dict[str, Any]]:
    """``list(queryset.values(*fields)[:limit])``, the same values, read faster on
    PostgreSQL: its timestamps come as integers (parsed in C) and become aware UTC
    datetimes here, where Django's time-zone loader would parse each one in Python."""
    connection = connections[queryset.db]
    meta = queryset.model._meta
    times = [
        name for name in fields if name != "pk" and isinstance(meta.get_field(name), DateTimeField)
    ]
    if connection.vendor != "postgresql" or not times:
        rows = queryset.values(*fields)
        return list(rows if limit is None else rows[:limit])
    aliases = {f"us_{name}": _EpochMicroseconds(F(name)) for name in times}
    rows = queryset.annotate(**aliases).values(
        *(name for name in fields if name not in aliases and name not in times), *aliases
    )
    out = []
    for row in rows if limit is None else rows[:limit]:
        for name in times:
            us = row.pop(f"us_{name}")
            row[name] = None if us is None else _EPOCH + timedelta(microseconds=us)
        out.append(row)
    return out
