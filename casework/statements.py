"""Statements of a decision's hot path, built once from the models' metadata.

The ORM compiles a statement at every call: for a decision's lock, inserts and the receivers'
look-ups that was about half of its CPU. These build the same SQL once (per model, fields and
database connection) and give back what the ORM would:

* ``application_locked``: ``SELECT … FOR UPDATE OF`` the case with its person, as
  ``select_for_update(of=("self",)).select_related("person").get(pk=…)`` would;
* ``locked_ids``: the keys of the rows matching some equalities, locked (``FOR UPDATE``);
* ``insert``: ``INSERT … RETURNING`` the key of a new instance, as ``save()`` would, for
  models without ``pre_save``/``post_save`` receivers (``tests/casework/test_statements.py``).

On PostgreSQL they run through ``prepared_cursor``: server-side binding, and each statement
prepared once per connection, so that PostgreSQL parses and plans it once, not at every
decision (2.3 → 1.1 ms of the server's CPU a decision). The ORM keeps Django's client-side
binding.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from django.db import DEFAULT_DB_ALIAS, connections

from .models import Application, Person


def prepared_cursor(connection: Any = None) -> Any:
    """A cursor of ``connection`` (default: the default database) whose statements
    PostgreSQL prepares on first use and then only executes; elsewhere the usual cursor.

    It is Django's cursor wrapper (query logging, ``execute_wrapper``, error translation)
    around psycopg's server-side binding cursor. Parameters are sent typed (psycopg's
    dumpers), which is why only these prepared statements of known shape use it.
    """
    connection = connection or connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql" or connection.queries_logged:
        # Logging queries (DEBUG, CaptureQueriesContext) reads the SQL from psycopg's
        # client-side query, which a prepared statement does not keep: the same statement,
        # bound on the client.
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = connection.connection
        if raw.prepare_threshold is None:  # Django's default: psycopg then prepares nothing;
            # a threshold no statement reaches prepares just those executed with prepare=True
            # (the ORM's client-side binding cursors never prepare).
            raw.prepare_threshold = 2**31
        cursor = _preparing_cursor()(raw)
        _tz_loader(connection, cursor)
        return connection._prepare_cursor(cursor)


def _tz_loader(connection: Any, cursor: Any) -> None:
    """What Django's ``create_cursor`` does: the connection's time zone for timestamps."""
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID, Format
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    if connection.timezone != loader.timezone:
        register_tzloader(connection.timezone, cursor)


@cache
def _preparing_cursor() -> Any:
    """psycopg's server-side binding cursor (Django's, with ``callproc``) that prepares every
    statement it runs. Made on first use: only PostgreSQL needs psycopg."""
    from django.db.backends.postgresql.base import ServerBindingCursor

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


def _lock_statement(connection: Any) -> tuple[str, dict, Any]:
    qn = connection.ops.quote_name
    app, person = Application._meta, Person._meta
    a, p = qn(app.db_table), qn(person.db_table)
    fields = [*app.concrete_fields, *person.concrete_fields]
    columns = [f"{a}.{qn(f.column)}" for f in app.concrete_fields] + [
        f"{p}.{qn(f.column)}" for f in person.concrete_fields
    ]
    link = app.get_field("person")
    # Identifiers come from the models' metadata; the case's key is a parameter.
    sql = (
        f"SELECT {', '.join(columns)} FROM {a} INNER JOIN {p} "  # noqa: S608  # nosec B608
        f"ON {p}.{qn(link.target_field.column)} = {a}.{qn(link.column)} "
        f"WHERE {a}.{qn(app.pk.column)} = %s"
    )
    if connection.features.has_select_for_update_of:  # only the case's row, not the person's
        sql += f" FOR UPDATE OF {a}"
    elif connection.features.has_select_for_update:  # (SQLite: the transaction locks the file)
        sql += " FOR UPDATE"
    compiler = Application.objects.all().query.get_compiler(connection=connection)
    cols = [f.get_col(f.model._meta.db_table) for f in fields]
    return sql, compiler.get_converters(cols), compiler


def application_locked(pk: int) -> Application | None:
    """The case ``pk`` under a row lock (until the transaction ends) with its person; None if
    there is no such case. Call inside ``transaction.atomic()``."""
    connection, (sql, converters, compiler) = _cached("application_locked", _lock_statement)
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:
        row = next(iter(compiler.apply_converters([row], converters)))
    split = len(Application._meta.concrete_fields)
    app = Application.from_db(connection.alias, None, row[:split])
    person = Person.from_db(connection.alias, None, row[split:])
    Application.person.field.set_cached_value(app, person)
    return app


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


def inserted(instance: Any, pk: Any, connection: Any) -> Any:
    """Mark ``instance`` as the saved row ``pk``."""
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


def insert(instance: Any) -> Any:
    """Insert the new ``instance`` and set its key: what ``save()`` does for a new row of a
    model with an auto key, without compiling the ``INSERT`` each time. Sends no signals."""
    connection, sql, fields = insert_statement(type(instance))
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, insert_values(instance, fields, connection))
        return inserted(instance, cursor.fetchone()[0], connection)
