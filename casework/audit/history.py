"""Saving a locked row and its django-simple-history row in one statement.

``save()`` on a model with ``HistoricalRecords`` compiles an ``UPDATE`` of every column, then
simple-history builds a historical instance in Python and compiles its ``INSERT``: about a
quarter of a decision's CPU. ``save_with_history`` writes the same two rows with statements
built once per model from its metadata: on PostgreSQL one ``WITH updated AS (UPDATE …
RETURNING …) INSERT INTO <historical table> SELECT … FROM updated``, elsewhere the ``UPDATE``
then ``INSERT … SELECT … WHERE id = %s``. The historical row is the one simple-history would
write: every tracked column as saved, ``history_type`` "~", ``history_date`` now, the user
simple-history would name (``_history_user``, else the request's user) and the change reason
(``_change_reason``).

Only for rows that exist and whose model has no ``pre_save``/``post_save`` receivers besides
simple-history's and no m2m history (``tests/casework/test_statements.py`` holds this); when
history is switched off or simple-history's own signals have receivers, it falls back to
``save(update_fields=…)``, which sends them.

A transition's decision and audit event go into the same statement (``inserts``): on
PostgreSQL a decision is the lock, this one statement, and the deadlines' statements.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record
from simple_history.utils import get_change_reason_from_object, get_history_manager_for_model

from casework.core.rows import new_row
from casework.core.statements import (
    concrete_field,
    insert,
    insert_statement,
    insert_values,
    inserted,
    prepared_cursor,
)

HISTORY_COLUMNS = ("history_date", "history_change_reason", "history_type", "history_user_id")


@cache
def _historical(model: type[models.Model]) -> Any:
    """The historical model (``model.history`` builds a manager class at every access)."""
    return get_history_manager_for_model(model).model


@cache
def _tracked(model: type[models.Model]) -> tuple[list[str], str]:
    """The historical model's copied columns (quoted, in its order) and its quoted table."""
    historical = _historical(model)
    own = {f.column for f in model._meta.concrete_fields}
    qn = connection.ops.quote_name
    columns = [
        qn(f.column)
        for f in historical._meta.concrete_fields
        if f.column in own and f.column not in HISTORY_COLUMNS
    ]
    return columns, qn(historical._meta.db_table)


@cache
def _statement(
    model: type[models.Model], fields: tuple[str, ...], vendor: str, inserts: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The statement(s) that save ``fields`` of one row of ``model`` and copy it to history;
    on PostgreSQL also the ``inserts`` (``INSERT … RETURNING <key>`` statements), whose keys
    the statement returns.

    Parameters: the fields' values, the row's primary key, ``history_date``, change reason
    and the user's id, then the inserts' values.
    """
    # Identifiers come from the model's metadata; every value is a parameter.
    qn = connection.ops.quote_name
    meta = model._meta
    table, pk = qn(meta.db_table), qn(meta.pk.column)
    assignments = ", ".join(f"{qn(concrete_field(model, name).column)} = %s" for name in fields)
    update = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608  # nosec B608
    columns, history_table = _tracked(model)
    copied = ", ".join(columns)
    history = (
        f"INSERT INTO {history_table} ({copied}, {', '.join(HISTORY_COLUMNS)}) "  # nosec B608
        f"SELECT {copied}, %s, %s, '~', %s"
    )
    if vendor != "postgresql":  # no UPDATE inside WITH: the row, then its copy
        return (update, f"{history} FROM {table} WHERE {pk} = %s")  # nosec B608
    if not inserts:
        return (f"WITH updated AS ({update} RETURNING {copied}) {history} FROM updated",)
    parts = [f"updated AS ({update} RETURNING {copied})", f"history AS ({history} FROM updated)"]
    parts += [f"new{i} AS ({sql})" for i, sql in enumerate(inserts)]
    keys = ", ".join(f"(SELECT * FROM new{i})" for i in range(len(inserts)))  # noqa: S608  # nosec B608
    return (f"WITH {', '.join(parts)} SELECT {keys}",)


@cache
def _copied_attnames(model: type[models.Model]) -> tuple[str, ...]:
    """The attributes of ``model`` its historical model copies (the tracked fields)."""
    historical = {f.attname for f in _historical(model)._meta.concrete_fields}
    return tuple(
        f.attname
        for f in model._meta.concrete_fields
        if f.attname in historical and f.attname not in HISTORY_COLUMNS
    )


def history_row(
    instance: models.Model, history_type: str, *, date: Any, user_id: int | None = None
) -> Any:
    """The django-simple-history row of ``instance`` (saved, so keyed) as its
    ``create_historical_record`` makes it: every tracked field as it stands, ``history_type``
    ("+" created, "~" changed), ``history_date``, the user, no change reason. Not written:
    the record's builder returns it with the record's other rows (``casework.people.rows``,
    ``casework.applications.rows``), for whichever writer the caller chose."""
    held = instance.__dict__  # the values as set (a country as its code), as save() sends them
    values = {name: held[name] for name in _copied_attnames(type(instance))}
    values.update(
        history_date=date,
        history_type=history_type,
        history_user_id=user_id,
        history_change_reason=get_change_reason_from_object(instance),
    )
    return new_row(_historical(type(instance)), values)


def history_user_id(instance: models.Model) -> int | None:
    """The user simple-history names for a change of ``instance``: ``_history_user``, else the
    request's user (its middleware), else none."""
    user = _historical(type(instance)).get_default_history_user(instance)
    return getattr(user, "pk", None)


def history_written_by_save(model: type) -> bool:
    """Whether ``save()`` must write ``model``'s history row itself rather than take the one a
    builder made: history switched off, or receivers of simple-history's signals (they hear
    only simple-history's own writes)."""
    return not getattr(settings, "SIMPLE_HISTORY_ENABLED", True) or _history_signals_heard(model)


def save_new_with_history(
    instance: models.Model, rows: Any, *, skip: tuple[type, ...] = ()
) -> list[Any]:
    """Save the new ``instance`` through the ORM (``save()``: its signals, its defaults), then
    the rows ``rows(instance)`` builds for it, historical row included, one ``INSERT`` each;
    rows of the ``skip`` models are returned for the caller to write its own way.

    The services' way to write a record and the rows that go with it; the bulk writers
    (``casework.intake.writer``) write the same rows from the same builders.
    """
    own_history = history_written_by_save(type(instance))
    if not own_history:
        # the builder's history row is written below (simple-history's documented switch)
        setattr(instance, "skip_history_when_saving", True)  # noqa: B010
    try:
        instance.save(force_insert=True)
    finally:
        if not own_history:
            delattr(instance, "skip_history_when_saving")
    historical = _historical(type(instance))
    built = rows(instance)
    for row in built:
        if isinstance(row, skip) or (isinstance(row, historical) and own_history):
            continue
        insert(row)
    return built


def _history_signals_heard(model: type[models.Model]) -> bool:
    historical = _historical(model)
    return pre_create_historical_record.has_listeners(
        historical
    ) or post_create_historical_record.has_listeners(historical)


def save_with_history(instance: Any, fields: list[str], *, inserts: tuple[Any, ...] = ()) -> None:
    """Save ``fields`` of ``instance`` (an existing, locked row) and write its history row;
    insert the new instances ``inserts`` too (on PostgreSQL in the same statement).

    ``auto_now`` fields are added and set, as ``save()`` does. ``inserts`` go in as
    ``statements.insert`` writes them (no signals); their keys are set.
    """
    model: type[models.Model] = type(instance)
    meta = model._meta
    names = list(dict.fromkeys(fields))
    for f in meta.concrete_fields:
        if getattr(f, "auto_now", False) and f.name not in names:
            names.append(f.name)
    if (
        not getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
        or hasattr(instance, "skip_history_when_saving")
        or _history_signals_heard(model)
    ):
        instance.save(update_fields=names)
        for row in inserts:
            insert(row)
        return
    values = []
    for name in names:
        f = concrete_field(model, name)
        values.append(f.get_db_prep_save(f.pre_save(instance, False), connection))
    user = _historical(model).get_default_history_user(instance)
    history = [
        connection.ops.adapt_datetimefield_value(timezone.now()),
        get_change_reason_from_object(instance),
        getattr(user, "pk", None),
    ]
    if connection.vendor != "postgresql":
        update, copy = _statement(model, tuple(names), connection.vendor)
        with prepared_cursor() as cursor:
            cursor.execute(update, [*values, instance.pk])
            cursor.execute(copy, [*history, instance.pk])
        for row in inserts:
            insert(row)
        return
    prepared = [insert_statement(type(row)) for row in inserts]
    params = [*values, instance.pk, *history]
    for row, (conn, _sql, row_fields) in zip(inserts, prepared, strict=True):
        params += insert_values(row, row_fields, conn)
    (sql,) = _statement(model, tuple(names), connection.vendor, tuple(p[1] for p in prepared))
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchone() if inserts else ()
    for row, key in zip(inserts, keys, strict=True):
        inserted(row, key, connection)


class IndexedHistoricalRecords(HistoricalRecords):
    """``HistoricalRecords`` whose history model also gets the given ``indexes``.

    The history model's ``Meta`` is built by django-simple-history and takes no indexes of
    ours; a field's ``unique``/``db_index`` would carry over, but on PostgreSQL every indexed
    ``CharField`` then gets a second, ``varchar_pattern_ops`` "_like" index that serves only a
    case-sensitive ``LIKE 'x%'``, which nothing here runs, and costs every insert (the bulk
    import writes two history rows an arrival). A ``Meta`` index is one plain btree.
    """

    def __init__(self, *args: Any, indexes: tuple[models.Index, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.indexes = indexes

    def get_meta_options(self, model: Any) -> dict[str, Any]:
        meta = super().get_meta_options(model)
        meta["indexes"] = (*meta.get("indexes", ()), *self.indexes)
        return meta
