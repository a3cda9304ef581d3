"""Hand-built statements' shared helpers: prepared cursors and inserts built from model metadata."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.utils import CursorWrapper
from django.db.models import Exists

_Row = TypeVar("_Row", bound=models.Model)


def prepared_cursor(connection: Any = None) -> Any:
    """A cursor of ``connection`` (default: the default database) whose statements
    PostgreSQL prepares on first use and then only executes; elsewhere the usual cursor.

    It is Django's cursor wrapper (query logging, ``execute_wrapper``, error translation)
    around psycopg's server-side binding cursor. Parameters are sent typed (psycopg's
    dumpers), which is why only these prepared statements of known shape use it.
    """
    connection = connection or connections[DEFAULT_DB_ALIAS]
    if (
        connection.vendor != "postgresql"
        or connection.queries_logged
        or not settings.DB_SERVER_SIDE_PREPARE
    ):
        # Logging queries (DEBUG, CaptureQueriesContext) reads the SQL from psycopg's
        # client-side query, which a prepared statement does not keep; behind a transaction
        # pooler that does not keep prepared statements (``DB_SERVER_SIDE_PREPARE=0``,
        # config/settings.py) the next transaction's server would not know it: in both cases
        # the same statement, bound on the client.
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = connection.connection
        # ``prepare_threshold`` comes from the database OPTIONS (config/settings.py); with
        # Django's default (None) psycopg prepares nothing and this cursor is an ordinary one.
        cursor = _preparing_cursor()(raw)
        _tz_loader(connection, cursor)
    # Django's public cursor wrapper, as ``connection.cursor()`` wraps its own cursors.
    connection.validate_thread_sharing()
    return CursorWrapper(cursor, connection)


def _tz_loader(connection: Any, cursor: Any) -> None:
    """What Django's ``create_cursor`` does: the connection's time zone for timestamps."""
    # Django's PostgreSQL internals, absent from django-stubs.
    from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]
        TIMESTAMPTZ_OID,
        Format,
    )
    from django.db.backends.postgresql.psycopg_any import (  # type: ignore[import-untyped]
        register_tzloader,
    )

    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    if connection.timezone != loader.timezone:
        register_tzloader(connection.timezone, cursor)


@cache
def _preparing_cursor() -> Any:
    """psycopg's server-side binding cursor (Django's, with ``callproc``) that prepares every
    statement it runs. Made on first use: only PostgreSQL needs psycopg."""
    # Absent from django-stubs: Django's psycopg cursor classes.
    from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]
        ServerBindingCursor,
    )

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            return super().execute(query, params, prepare=True)

    return PreparingCursor


_prepared: WeakKeyDictionary[Any, dict[Any, Any]] = WeakKeyDictionary()


def _cached(key: Any, build: Any) -> Any:
    """``build(connection)``, once per database connection and ``key``."""
    connection = connections[DEFAULT_DB_ALIAS]
    cache = _prepared.get(connection)
    if cache is None:
        cache = _prepared[connection] = {}
    if key not in cache:
        cache[key] = build(connection)
    return connection, cache[key]


def locked_ids(model: Any, **equal: Any) -> list[Any]:
    """The keys of ``model``'s rows whose fields equal these values, locked until the
    transaction ends: ``model.objects.select_for_update().filter(**equal)`` with no model
    instances, for a look-up that usually finds nothing."""
    names = tuple(sorted(equal))

    def build(connection: Any) -> str:
        qn = connection.ops.quote_name
        meta = model._meta
        where = " AND ".join(f"{qn(meta.get_field(n).column)} = %s" for n in names)
        # Identifiers come from the model's metadata; every value is a parameter.
        sql = f"SELECT {qn(meta.pk.column)} FROM {qn(meta.db_table)} WHERE {where}"  # noqa: S608  # nosec B608
        return sql + (" FOR UPDATE" if connection.features.has_select_for_update else "")

    connection, sql = _cached(("locked_ids", model, names), build)
    meta = model._meta
    params = [meta.get_field(n).get_db_prep_value(equal[n], connection) for n in names]
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def insert_statement(model: Any, on_conflict: str = "") -> tuple[Any, str, list]:
    """``INSERT INTO <model's table> (…) VALUES (…) [on_conflict] RETURNING <key>``, the
    connection, and the fields whose values ``insert_values`` gives, in order."""
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]

    def build(connection: Any) -> str:
        qn = connection.ops.quote_name
        # Identifiers come from the model's metadata; every value is a parameter.
        return (
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608  # nosec B608
            f"VALUES ({', '.join(['%s'] * len(fields))}) {on_conflict} "
            f"RETURNING {qn(meta.pk.column)}"
        )

    connection, sql = _cached(("insert", model, on_conflict), build)
    return connection, sql, fields


def insert_values(instance: Any, fields: list, connection: Any) -> list:
    """The parameters of ``instance``'s ``INSERT``, as ``save()`` prepares them (defaults,
    ``auto_now_add``, JSON, foreign keys)."""
    return [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]


def concrete_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The field ``name`` of ``model``, one with a column (``get_field`` may also name
    relations and generic keys, which have none)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def inserted(instance: _Row, pk: Any, connection: Any) -> _Row:
    """Mark ``instance`` as the saved row ``pk``."""
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


def insert(instance: _Row) -> _Row:
    """Insert the new ``instance`` and set its key: what ``save()`` does for a new row of a
    model with an auto key, without compiling the ``INSERT`` each time. Sends no signals."""
    connection, sql, fields = insert_statement(type(instance))
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, insert_values(instance, fields, connection))
        return inserted(instance, cursor.fetchone()[0], connection)


def distinct_values(
    model: type[models.Model], name: str, using: str = DEFAULT_DB_ALIAS
) -> list[Any]:
    """The distinct non-null values of the column ``name`` of ``model``'s table, ascending:
    what ``values_list(name, flat=True).distinct()`` returns, read by one index probe per value.

    ``SELECT DISTINCT`` reads every row (PostgreSQL has no skip scan), so a filter listing the
    actions found in a log of ten million events scans ten million rows on each page view.
    This walks an index whose first column is ``name`` instead, from each value to the next
    larger one (a recursive query; both databases run it): a few dozen values cost a few dozen
    probes. ``name``'s table needs such an index, or each probe is a scan. ``using``: the
    database to read (a replica, ``casework.core.replica.replica_alias``).
    """
    quote = connections[using].ops.quote_name
    table = quote(model._meta.db_table)
    column = quote(concrete_field(model, name).column)
    # Names quoted by the database's own quoting, from the model's metadata: no input reaches it.
    first = f"SELECT MIN({column}) FROM {table}"  # noqa: S608  # nosec B608
    after = f"SELECT MIN({column}) FROM {table} WHERE {column} > found.value"  # noqa: S608  # nosec B608
    walk = f"SELECT ({after}) FROM found WHERE found.value IS NOT NULL"  # noqa: S608  # nosec B608
    sql = f"WITH RECURSIVE found(value) AS ({first} UNION ALL {walk}) SELECT value FROM found"  # noqa: S608  # nosec B608
    sql += " WHERE value IS NOT NULL"
    with connections[using].cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


class ProbeExists(Exists):
    """An ``EXISTS`` asked of each row through its index, never answered by hashing every row
    of the subquery first (``OFFSET 0`` keeps PostgreSQL from rewriting it as a hashed ``IN``).
    For a walk that stops after a bounded number of rows (a name search: at most ~1,000 people),
    where the planner, misjudging how far the walk goes, would read every case of the unit."""

    template = "EXISTS(%(subquery)s OFFSET 0)"
