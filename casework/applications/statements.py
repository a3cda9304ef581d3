"""The case's row lock, built once: the hot path of every transition."""

from __future__ import annotations

from typing import Any

from casework.applications.models import Application
from casework.core.statements import _cached, prepared_cursor
from casework.people.models import Person


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
    # Every concrete field is in the row, in order: ``from_db`` reads no field names then.
    app = Application.from_db(connection.alias, (), row[:split])
    person = Person.from_db(connection.alias, (), row[split:])
    Application.person.field.set_cached_value(app, person)
    return app
