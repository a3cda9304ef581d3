"""How the bulk paths write the rows the builders make: ``COPY`` on PostgreSQL, ``bulk_create``
elsewhere.

The rows come from the records' builders (``casework.people.rows``,
``casework.applications.rows``, ``casework.audit.services.audit_event``,
``casework.deadlines.services.deadline_new``): unsaved model instances, the same a service
writes one by one. The import and the demo seeder only choose how to write them:

- ``OrmWriter`` writes a record at once with ``bulk_create`` (which sets its key, for the
  rows built after), and the rows pointing at it with ``bulk_create`` at the flush;
- ``records_copy`` (PostgreSQL) writes instances with one ``COPY … FROM STDIN`` per model
  (psycopg 3), and ``records_insert`` (elsewhere) with one ``INSERT`` run for many rows
  (``executemany``): every concrete column as the instance holds it, prepared the way
  ``bulk_create`` prepares it (``auto_now`` columns set to the moment of writing). The demo
  seeder uses these two: ``bulk_create`` compiles its ``INSERT`` value by value, which was
  most of the seeder's time on SQLite.

Neither calls ``save()`` nor sends ``pre_save``/``post_save``: the models written so are
registered in ``casework.core.checks``, whose check fails when one of them gains ``save()``
logic or such receivers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from functools import cache
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db import connection, models

# How a column's value is taken from an instance (``records_copy``).
_PLAIN, _JSON, _NOW, _NOW_IF_NONE, _PREPARED = range(5)


class OrmWriter:
    """``bulk_create``, model by model in the order rows came (foreign keys point back)."""

    def __init__(self) -> None:
        self._rows: dict[type[models.Model], list[Any]] = {}

    def keyed(self, records: list[Any]) -> None:
        """Write ``records`` now: they get their keys, for the rows built after."""
        if records:
            type(records[0]).objects.bulk_create(records)

    def add(self, rows: Iterable[Any]) -> None:
        for row in rows:
            self._rows.setdefault(type(row), []).append(row)

    def flush(self, now: dt.datetime | None = None) -> None:
        rows, self._rows = self._rows, {}
        for model, objs in rows.items():
            model._default_manager.bulk_create(objs, batch_size=1000)


class CopyWriter:
    """PostgreSQL: a record's key is taken from its table's sequence when it is keyed (for the
    rows built after), and every row goes in with one ``COPY`` per model at the flush, records
    first, in the order they came (foreign keys point back)."""

    def __init__(self) -> None:
        self._rows: dict[type[models.Model], list[Any]] = {}

    def keyed(self, records: list[Any]) -> None:
        """Give ``records`` their keys now (``nextval`` of the table's sequence, one query)."""
        if not records:
            return
        table = connection.ops.quote_name(type(records[0])._meta.db_table)
        with connection.cursor() as cur:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, len(records)],
            )
            for record, (pk,) in zip(records, cur.fetchall(), strict=True):
                record.pk = pk
        self.add(records)

    def add(self, rows: Iterable[Any]) -> None:
        for row in rows:
            self._rows.setdefault(type(row), []).append(row)

    def flush(self, now: dt.datetime) -> None:
        """COPY every row; psycopg's errors come out as Django's (a unique index refusing a
        row is an ``IntegrityError``, which the import's retry expects)."""
        rows, self._rows = self._rows, {}
        connection.ensure_connection()
        with connection.wrap_database_errors, connection.connection.cursor() as cur:
            for objs in rows.values():
                records_copy(cur, objs, now)


def by_model(records: Iterable[Any]) -> dict[type, list[Any]]:
    """``records`` grouped by model, the models in the order they first came."""
    out: dict[type, list[Any]] = {}
    for record in records:
        out.setdefault(type(record), []).append(record)
    return out


@cache
def _copy_plan(model: type[models.Model], with_pk: bool) -> tuple[str, Any, tuple]:
    """The ``COPY`` statement of ``model``, a getter of its columns' values from an
    instance's ``__dict__``, and the columns whose value is made otherwise: (position, how,
    the JSON encoder or the field that prepares the value). ``with_pk``: whether the key is
    written or left to the sequence."""
    qn = connection.ops.quote_name
    columns: list[str] = []
    attnames: list[str] = []
    special: list[tuple[int, int, Any]] = []
    for f in model._meta.concrete_fields:
        if f.primary_key and not with_pk:
            continue
        if isinstance(f, models.JSONField):
            special.append((len(columns), _JSON, f.encoder))
        elif getattr(f, "auto_now", False):
            special.append((len(columns), _NOW, None))
        elif getattr(f, "auto_now_add", False):
            special.append((len(columns), _NOW_IF_NONE, None))
        elif not _as_held(f) and type(f) not in (models.DateTimeField, models.DateField):
            special.append((len(columns), _PREPARED, f))  # e.g. a list of countries as text
        columns.append(qn(f.column))
        attnames.append(f.attname)
    table = qn(model._meta.db_table)
    getter = itemgetter(*attnames) if len(attnames) > 1 else lambda d: (d[attnames[0]],)
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN", getter, tuple(special)


# Types whose values the database driver takes as the instance holds them; other fields'
# values go through ``get_db_prep_save`` (time zones, JSON, decimals, …).
_AS_HELD = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


def _as_held(f: Any) -> bool:
    """Django's own fields of these types (a subclass may prepare its values: a list of
    countries becomes text)."""
    if f.is_relation:
        return _as_held(f.target_field)
    return type(f).__module__.startswith("django.") and f.get_internal_type() in _AS_HELD


@cache
def _insert_plan(model: type[models.Model], with_pk: bool, vendor: str) -> tuple[str, tuple]:
    """The ``INSERT`` of one row of ``model`` and, per column, the attribute, how its value
    is prepared (as held, by a converter, or by the field), and whether it is an
    ``auto_now`` column."""
    qn = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608  # nosec B608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    plan = tuple(
        (
            f.attname,
            _converter(f, vendor),
            getattr(f, "auto_now", False),
            getattr(f, "auto_now_add", False),
        )
        for f in fields
    )
    return sql, plan


def _converter(f: Any, vendor: str) -> Any:
    """How a value of ``f`` becomes a parameter: None (as held), else a callable."""
    if _as_held(f):
        return None
    if vendor == "sqlite" and type(f) is models.DateTimeField and settings.USE_TZ:
        # What the SQLite backend's ``adapt_datetimefield_value`` does with an aware value
        # (the parity test compares the result with the ORM's), at a fifth of the cost.
        tz = connection.timezone

        def naive(value: Any) -> Any:
            if value is None or value.tzinfo is None:
                return f.get_db_prep_save(value, connection)
            return str(value.astimezone(tz).replace(tzinfo=None))

        return naive
    return lambda value: f.get_db_prep_save(value, connection)


def records_insert(records: list[models.Model], now: dt.datetime) -> None:
    """Insert ``records`` (instances of one model, keys all given or all left to the
    database) with one ``executemany``: what ``bulk_create`` writes, without compiling each
    value into the statement."""
    if not records:
        return
    sql, plan = _insert_plan(type(records[0]), records[0].pk is not None, connection.vendor)
    params = []
    for record in records:
        held = record.__dict__
        row = []
        for attname, convert, auto_now, auto_now_add in plan:
            value = held[attname]
            if auto_now or (auto_now_add and value is None):
                value = now
            row.append(value if convert is None else convert(value))
        params.append(row)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def records_copy(cursor: Any, records: list[models.Model], now: dt.datetime) -> None:
    """``COPY`` ``records`` (instances of one model, keys all given or all left to the
    sequence) on a psycopg 3 cursor: every concrete column as ``bulk_create`` would send it."""
    if not records:
        return
    model = type(records[0])
    statement, getter, special = _copy_plan(model, records[0].pk is not None)
    with cursor.copy(statement) as copy:
        write_row = copy.write_row
        for record in records:
            row = getter(record.__dict__)
            if special:
                row = list(row)
                for i, how, encoder in special:
                    if how == _JSON:
                        row[i] = None if row[i] is None else json.dumps(row[i], cls=encoder)
                    elif how == _PREPARED:
                        row[i] = encoder.get_db_prep_save(row[i], connection)
                    elif how == _NOW or row[i] is None:
                        row[i] = now
            write_row(row)
