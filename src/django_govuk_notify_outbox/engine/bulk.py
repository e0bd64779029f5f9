"""The engine's reads and writes of many rows at once.

Bulk UPDATE of many rows, each with its own values, in one statement:

Django's ``bulk_update`` writes ``CASE WHEN pk = … THEN …`` for every field, even for
fields that have one value for all rows; for a chunk of a few hundred rows that
statement dominates the engine's cost. Here the fields with one value for all rows
are set once, and only the fields whose values differ are joined in: from one array
per field (PostgreSQL: ``unnest``, so the statement's text is short and the same for
every chunk), a ``VALUES`` list (SQLite >= 3.33) or a derived table (MySQL,
MariaDB). Other databases fall back to ``bulk_update``.

Rows are inserted with ``COPY`` on PostgreSQL, else many rows per ``INSERT``; and
read with their timestamps as integers on PostgreSQL (:func:`read_values`). A chunk's
rows are picked by primary key with :func:`pk_in`.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.conf import settings as django_settings
from django.db import connections
from django.db.models import (
    BigIntegerField,
    DateTimeField,
    F,
    Field,
    Func,
    Lookup,
    Model,
    QuerySet,
)
from django.db.models.lookups import In

# Rows per statement: bounded so that the parameters stay well under every
# database's limit (SQLite: 32,766; PostgreSQL: 65,535).
ROWS_PER_STATEMENT = 500

_SQLITE_UPDATE_FROM = sqlite3.sqlite_version_info >= (3, 33, 0)


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field), name
    return field


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def update_rows(
    using: str, model: type[Model], rows: Sequence[tuple[int, Mapping[str, Any]]]
) -> None:
    """Write ``values`` to the row with primary key ``pk``, for every ``(pk, values)`` of
    ``rows``. Every ``values`` has the same keys (field names)."""
    if not rows:
        return
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        _update(using, model, rows[start : start + ROWS_PER_STATEMENT])


def _update(using: str, model: type[Model], rows: Sequence[tuple[int, Mapping[str, Any]]]) -> None:
    names = list(rows[0][1])
    first = rows[0][1]
    common = {n: first[n] for n in names if all(_same(v[n], first[n]) for _pk, v in rows)}
    varying = [n for n in names if n not in common]
    manager = model._default_manager.db_manager(using)
    pks = [pk for pk, _v in rows]
    if not varying:
        manager.filter(pk_in(pks)).update(**common)
        return
    connection = connections[using]
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite", "mysql") or (
        vendor == "sqlite" and not _SQLITE_UPDATE_FROM
    ):
        objects = [model(pk=pk, **values) for pk, values in rows]
        manager.bulk_update(objects, names)
        return
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk_field = meta.pk
    assert pk_field is not None
    fields = [_field(model, n) for n in varying]
    columns = [str(f.column) for f in [pk_field, *fields]]
    sets = [f"{quote(c)} = v.{quote(c)}" for c in columns[1:]]
    params: list[Any] = []
    for name, value in common.items():
        field = _field(model, name)
        sets.append(f"{quote(str(field.column))} = %s")
        params.append(field.get_db_prep_save(value, connection))
    pk_column = quote(columns[0])
    if vendor == "postgresql":
        # One array per column: psycopg binds a few parameters, not one per value.
        arrays = [_pg_array(pks)] + [
            _pg_array([f.get_db_prep_save(values[n], connection) for _pk, values in rows])
            for n, f in zip(varying, fields, strict=True)
        ]
        unnest = ", ".join(f"%s::{f.db_type(connection)}[]" for f in [pk_field, *fields])
        sql = (
            f"UPDATE {table} SET {', '.join(sets)} FROM unnest({unnest}) "
            f"AS v({', '.join(quote(c) for c in columns)}) "
            f"WHERE {table}.{pk_column} = v.{pk_column}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params + arrays)
        return
    values_params: list[Any] = []
    for pk, values in rows:
        values_params.append(pk)
        values_params.extend(
            f.get_db_prep_save(values[n], connection) for n, f in zip(varying, fields, strict=True)
        )
    if vendor == "mysql":
        first_select = "SELECT " + ", ".join(f"%s AS {quote(c)}" for c in columns)
        other_select = "SELECT " + ", ".join(["%s"] * len(columns))
        selects = " UNION ALL ".join([first_select] + [other_select] * (len(rows) - 1))
        sql = (
            f"UPDATE {table} INNER JOIN ({selects}) AS v ON {table}.{pk_column} = v.{pk_column} "
            "SET " + ", ".join(f"{table}.{s}" for s in sets)
        )
        all_params = values_params + params
    else:
        row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
        values_sql = ", ".join([row_sql] * len(rows))
        # SQLite names a VALUES list's columns column1, column2, …
        renamed = ", ".join(f"column{i + 1} AS {quote(c)}" for i, c in enumerate(columns))
        source = f"(SELECT {renamed} FROM (VALUES {values_sql})) AS v"
        sql = (
            f"UPDATE {table} SET {', '.join(sets)} FROM {source} "
            f"WHERE {table}.{pk_column} = v.{pk_column}"
        )
        all_params = params + values_params
    with connection.cursor() as cursor:
        cursor.execute(sql, all_params)


def insert_objects(using: str, model: type[Model], objects: Sequence[Model]) -> None:
    """INSERT unsaved ``objects`` (primary keys left to the database), many rows per
    statement, without what ``bulk_create`` adds (returned ids, signals, per-row SQL
    compilation; on PostgreSQL its UNNEST of arrays costs more than the rows)."""
    if not objects:
        return
    connection = connections[using]
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    if connection.vendor == "postgresql":
        # COPY: no statement text growing with the rows for the driver to build and
        # the server to parse.
        rows = [[_copy_value(obj, f, connection) for f in fields] for obj in objects]
        _copy(connection, f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN", rows)
        return
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    limit = connection.features.max_query_params or 65535
    per_statement = max(1, min(ROWS_PER_STATEMENT * 2, limit // len(fields)))
    with connection.cursor() as cursor:
        for start in range(0, len(objects), per_statement):
            chunk = objects[start : start + per_statement]
            params = [
                f.get_db_prep_save(getattr(obj, f.attname), connection)
                for obj in chunk
                for f in fields
            ]
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "
                + ", ".join([row_sql] * len(chunk)),
                params,
            )


# Values psycopg writes as they are, as Django would have prepared them on PostgreSQL.
_PLAIN = (str, int, float, bool, type(None))


def _copy_value(obj: Model, field: Field[Any, Any], connection: Any) -> Any:
    value = getattr(obj, field.attname)
    if type(value) in _PLAIN:
        return value
    if type(value) is datetime and value.tzinfo is not None:
        return value
    return field.get_db_prep_save(value, connection)


def _copy(connection: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """COPY ``rows`` in through psycopg, seen like any statement: by the connection's
    execute wrappers (``connection.execute_wrapper()``), in ``connection.queries`` and in
    Django's SQL log."""

    def copy(sql: str, params: Any, many: bool, context: dict[str, Any]) -> None:
        raw = context["cursor"].cursor
        with raw.copy(sql) as stream:
            for row in rows:
                stream.write_row(row)

    with connection.cursor() as cursor:
        executor: Callable[..., Any] = copy
        for wrapper in reversed(connection.execute_wrappers):
            executor = functools.partial(wrapper, executor)
        logged = getattr(cursor, "debug_sql", None)
        with logged(sql) if logged else contextlib.nullcontext():
            executor(sql, None, False, {"connection": connection, "cursor": cursor})


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
    if connection.vendor != "postgresql" or not times or not django_settings.USE_TZ:
        rows = queryset.values(*fields)
        return list(rows if limit is None else rows[:limit])
    aliases = {f"us_{name}": _EpochMicroseconds(F(name)) for name in times}
    rows = queryset.annotate(**aliases).values(
        *(name for name in fields if name not in times), *aliases
    )
    out = []
    for row in rows if limit is None else rows[:limit]:
        for name in times:
            us = row.pop(f"us_{name}")
            row[name] = None if us is None else _EPOCH + timedelta(microseconds=us)
        out.append(row)
    return out


class _AnyOf(Lookup):
    """``column = ANY(%s)`` with the values as one array parameter (PostgreSQL), else
    Django's ``IN (%s, %s, …)``."""

    lookup_name = "ngo_any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return list(self.rhs)

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        if connection.vendor != "postgresql":
            return In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        array = f"{self.lhs.output_field.db_type(connection)}[]"
        return f"{lhs} = ANY(%s::{array})", (*lhs_params, _pg_array(self.rhs))


# Types whose text form needs no quoting inside a PostgreSQL array literal (digits,
# letters and "-" only), and UTC datetimes in ISO 8601 (digits, "-", ":", ".", "+", "T").
_BARE = (int, uuid.UUID)


def _pg_array(values: Sequence[Any]) -> Any:
    """``values`` as one array parameter for PostgreSQL: integers, UUIDs and UTC datetimes
    (and NULLs) as the array's text form, which psycopg passes as one string, where its
    own list adapter would quote each element in Python (2 to 8 times slower for a
    chunk of 500); any other values as the list itself, for psycopg to adapt."""
    texts = []
    for value in values:
        kind = type(value)
        if value is None:
            texts.append("NULL")
        elif kind in _BARE:
            texts.append(str(value))
        elif kind is datetime and value.tzinfo is dt_timezone.utc:
            texts.append(value.isoformat())
        else:
            return list(values)
    return "{" + ",".join(texts) + "}"


def pk_in(ids: Sequence[int]) -> _AnyOf:
    """A filter for the rows whose primary key is in ``ids``: on PostgreSQL one array
    parameter, so the statement's text is short and the same for every chunk (psycopg
    neither re-parses it nor quotes hundreds of parameters)."""
    return _AnyOf(F("pk"), list(ids))
