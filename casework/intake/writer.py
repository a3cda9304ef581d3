"""How bulk paths write the rows the builders make: ``COPY`` on PostgreSQL, the ORM elsewhere.

The rows themselves come from the records' builders (``casework.people.rows``,
``casework.applications.rows``): unsaved model instances, the same a service writes one by
one. A writer only chooses how they reach the database:

* ``CopyWriter`` (PostgreSQL): keys are reserved from each table's sequence up front, so the
  rows pointing at a record can be built before anything is written; each table's rows then
  go in with one ``COPY … FROM STDIN`` (psycopg 3) when the writer is flushed. Constraints
  stay in place: a duplicate key fails the ``COPY`` like an ``INSERT`` would.
* ``OrmWriter`` (elsewhere): a record is written at once with ``bulk_create`` (which sets its
  key), the rows pointing at it with ``bulk_create`` at the flush.

Both write every concrete column as the instance holds it, with ``save()``'s preparation of
values (``auto_now``, JSON, countries); neither sends ``pre_save``/``post_save`` nor calls
``save()``: the models written here are in ``casework.core.checks.BULK_WRITTEN``, whose
system check fails when one of them gains ``save()`` logic or such receivers.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from django.db import connection, models

# Fields whose value an instance holds as psycopg sends it: no preparation needed.
_PLAIN = frozenset(
    {
        models.AutoField,
        models.BigAutoField,
        models.BigIntegerField,
        models.BooleanField,
        models.CharField,
        models.DateField,
        models.DateTimeField,
        models.EmailField,
        models.FloatField,
        models.ForeignKey,
        models.IntegerField,
        models.PositiveBigIntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.SmallIntegerField,
        models.TextField,
    }
)


class OrmWriter:
    """``bulk_create``, model by model in the order rows came (foreign keys point back)."""

    def __init__(self) -> None:
        self._rows: dict[type, list[Any]] = {}

    def keyed(self, records: list[Any]) -> None:
        """Write ``records`` now: they get their keys, for the rows built after."""
        if records:
            type(records[0]).objects.bulk_create(records)

    def add(self, rows: Iterable[Any]) -> None:
        for row in rows:
            self._rows.setdefault(type(row), []).append(row)

    def flush(self) -> None:
        rows, self._rows = self._rows, {}
        for model, objs in rows.items():
            model.objects.bulk_create(objs, batch_size=1000)


class CopyWriter(OrmWriter):
    """Keys from the sequences now, every table's rows by one ``COPY`` at the flush."""

    def keyed(self, records: list[Any]) -> None:
        if not records:
            return
        for record, key in zip(records, reserve_keys(type(records[0]), len(records)), strict=True):
            record.pk = key
        self.add(records)

    def flush(self) -> None:
        rows, self._rows = self._rows, {}
        # Django's error translation (IntegrityError for a taken key) around psycopg's COPY.
        with connection.cursor() as cur, connection.wrap_database_errors:
            for model, objs in rows.items():
                copy_rows(cur.cursor, model, objs)


def writer() -> OrmWriter:
    """The writer for the default database."""
    return CopyWriter() if connection.vendor == "postgresql" else OrmWriter()


def reserve_keys(model: Any, n: int) -> list[int]:
    """``n`` fresh primary keys of ``model`` from its table's sequence (PostgreSQL)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [
                connection.ops.quote_name(model._meta.db_table),
                model._meta.pk.column,
                n,
            ],
        )
        return [row[0] for row in cur.fetchall()]


@cache
def _layout(model: Any, keyed: bool) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """``model``'s ``COPY`` statement over every concrete column (the key only when the rows
    have theirs: else the table's default gives it), and per column the attribute and, where
    the value needs it, the field that prepares it as ``save()`` does."""
    qn = connection.ops.quote_name
    meta = model._meta
    fields = [f for f in meta.concrete_fields if keyed or f is not meta.auto_field]
    columns = ", ".join(qn(f.column) for f in fields)
    statement = f"COPY {qn(model._meta.db_table)} ({columns}) FROM STDIN"
    layout = tuple(
        (
            f.attname,
            None
            if type(f) in _PLAIN
            and not getattr(f, "auto_now", False)
            and not getattr(f, "auto_now_add", False)
            else f,
        )
        for f in fields
    )
    return statement, layout


def copy_rows(cursor: Any, model: Any, objs: list[Any]) -> None:
    """``COPY`` the instances ``objs`` of ``model`` (keyed) on a psycopg 3 cursor."""
    if not objs:
        return
    statement, layout = _layout(model, objs[0].pk is not None)
    with cursor.copy(statement) as copy:
        write_row = copy.write_row
        for obj in objs:
            values = obj.__dict__
            write_row(
                [
                    values[name]
                    if f is None
                    else f.get_db_prep_save(f.pre_save(obj, True), connection)
                    for name, f in layout
                ]
            )
