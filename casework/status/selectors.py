"""The applicant's status lookup: one case by reference and birth date, and the log row."""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from django.db import connections, router
from django.db.models import Field
from django.utils import timezone

from casework.applications.models import Application, Interview
from casework.core.statements import concrete_field, prepared_cursor
from casework.people.identity import parse_reference
from casework.people.models import Person
from casework.status.hooks import residence_statements
from casework.status.models import StatusLookup
from casework.status.waiting import WAITING_STATES, figures_params, figures_select

# Never a valid reference (the alphabet has no "!"), so the query runs but finds nothing.
_NO_SUCH_REFERENCE = "!" * 10


_NO_BIRTH_DATE = "0000-00-00"


# What the applicant's status page reads from the case (``status_page.status_page_for``);
# any other field a residence provider touches is loaded on access (deferred).
STATUS_PAGE_FIELDS = (
    "id",
    "reference",
    "person_id",
    "kind",
    "track",
    "state",
    "lodged_on",
    "decided_at",
    "notified_at",
    "appeal_deadline",
    "appealed_at",
    "is_final",
    "hold_review_on",
    "reversal_requested_at",
)


_INTERVIEW_FIELDS = ("scheduled_at", "location", "interpreter")


_INTERVIEW_FILTERS = ("application", "cancelled", "held_at", "scheduled_at")


_lookup_sql: dict[str, tuple[str, list[Field[Any, Any]]]] = {}


_logged_sql: dict[tuple[str, tuple[str, ...]], tuple[str, list[Field[Any, Any]]]] = {}


def _status_lookup_sql(connection: Any) -> tuple[str, list[Field[Any, Any]]]:
    """The lookup statement and the fields of its columns, built once per database.

    Written out rather than composed with the ORM each time: the ORM spent ~4 ms of Python
    compiling this one statement (the database runs it in 0.2 ms). The next interview still
    to come is one ``LEFT JOIN`` on a correlated subquery (the interview's indexed foreign
    key), valid SQL on PostgreSQL and SQLite alike.
    """
    if connection.alias not in _lookup_sql:
        q = connection.ops.quote_name
        app, person, interview = Application._meta, Person._meta, Interview._meta
        a_cols = [concrete_field(Application, name) for name in STATUS_PAGE_FIELDS]
        i_cols = [concrete_field(Interview, name) for name in _INTERVIEW_FIELDS]
        dob = concrete_field(Person, "date_of_birth")
        col = {name: q(concrete_field(Interview, name).column) for name in _INTERVIEW_FILTERS}
        i_pk = q(interview.pk.column)
        select = ", ".join(
            [f"a.{q(f.column)}" for f in a_cols]
            + [f"p.{q(dob.column)}"]
            + [f"i.{q(f.column)}" for f in i_cols]
        )
        # Identifiers come from the models' metadata, every value is a parameter.
        app_pk, person_fk, ref = (
            q(app.pk.column),
            q(concrete_field(Application, "person").column),
            q(concrete_field(Application, "reference").column),
        )
        sql = f"""SELECT {select} FROM {q(app.db_table)} a
            INNER JOIN {q(person.db_table)} p ON p.{q(person.pk.column)} = a.{person_fk}
            LEFT JOIN {q(interview.db_table)} i ON i.{i_pk} = (
                SELECT n.{i_pk} FROM {q(interview.db_table)} n
                WHERE n.{col["application"]} = a.{app_pk} AND n.{col["cancelled"]} = %s
                    AND n.{col["held_at"]} IS NULL AND n.{col["scheduled_at"]} >= %s
                ORDER BY n.{col["scheduled_at"]}, n.{i_pk} LIMIT 1)
            WHERE a.{ref} = %s"""  # noqa: S608  # nosec B608
        _lookup_sql[connection.alias] = (sql, [*a_cols, dob, *i_cols])
    return _lookup_sql[connection.alias]


def _logged_lookup_sql(connection: Any) -> tuple[str, list[Field[Any, Any]]]:
    """PostgreSQL: the lookup statement that also writes the try's ``StatusLookup`` row, its
    outcome decided by the same birth-date test, in a transaction that commits asynchronously;
    and the log fields whose values follow the lookup's parameters (then the birth date).

    Why one statement: on a busy machine each round trip waits for a core, and the log row's
    commit waited for a WAL flush, the one wait the page cannot overlap; together they were
    most of a lookup. ``set_config('synchronous_commit', 'off', true)`` is local to
    this statement's own transaction: the row is committed and visible at once, and a crash
    of the database server can lose the last fraction of a second of log rows, never corrupt
    them (PostgreSQL manual, "Asynchronous Commit"). That is acceptable for an abuse-monitoring
    log (the limits themselves are counted in Redis before the case is read); nothing about
    the case or the applicant is written here, and every other write stays synchronous.

    The same statement reads the waiting case's two figures (``waiting.figures_select``, a
    ``LATERAL`` over the case it found), only when the birth date is right: a wrong birth date
    and a wrong reference still do the same work, and the right one saves a round trip (on a
    busy machine each one cost the web process about 0.2 ms of CPU).
    """
    residences = residence_statements()
    cache_key = (connection.alias, tuple(key for key, _sql, _n in residences))
    if cache_key not in _logged_sql:
        q = connection.ops.quote_name
        lookup, _fields = _status_lookup_sql(connection)
        meta = StatusLookup._meta
        outcome = meta.get_field("outcome")
        log_fields = [f for f in meta.concrete_fields if not f.primary_key and f is not outcome]
        columns = ", ".join(q(f.column) for f in [*log_fields, outcome])
        values = ", ".join(["%s"] * len(log_fields))
        dob = q(Person._meta.get_field("date_of_birth").column)
        found, not_found = StatusLookup.Outcome.FOUND.value, StatusLookup.Outcome.NOT_FOUND.value
        state = q(concrete_field(Application, "state").column)
        figures = figures_select(
            connection,
            **{
                name: f"hit.{q(concrete_field(Application, field).column)}"
                for name, field in (
                    ("at", "lodged_on"),
                    ("kind", "kind"),
                    ("track", "track"),
                    ("case", "id"),
                )
            },
        )
        # Identifiers and the two outcome words come from the models, values are parameters.
        sql = f"""WITH async AS (SELECT set_config('synchronous_commit', 'off', true)),
            hit AS ({lookup}),
            logged AS (
                INSERT INTO {q(meta.db_table)} ({columns})
                SELECT {values}, CASE WHEN EXISTS (SELECT 1 FROM hit WHERE hit.{dob} = %s)
                    THEN '{found}' ELSE '{not_found}' END
                FROM async)
            SELECT * FROM hit LEFT JOIN LATERAL (
                {figures} WHERE hit.{dob} = %s AND hit.{state} IN (%s, %s)) f ON true"""  # noqa: S608  # nosec B608
        person = f"hit.{q(concrete_field(Application, 'person').column)}"
        for i, (_key, statement, _columns) in enumerate(residences):
            # Each provider's row, read only for the right birth date (as the figures).
            sql += f"""
            LEFT JOIN LATERAL (SELECT * FROM ({statement(connection, person)}) r
                WHERE hit.{dob} = %s) r{i} ON true"""  # noqa: S608  # nosec B608
        _logged_sql[cache_key] = (sql, log_fields)
    return _logged_sql[cache_key]


def _from_db(connection: Any, fields: list[Field[Any, Any]], row: tuple[Any, ...]) -> list[Any]:
    """Column values as the ORM would give them (dates parsed and aware on SQLite, etc.)."""
    values = []
    for field, value in zip(fields, row, strict=True):
        expression = field.get_col(field.model._meta.db_table)
        for converter in connection.ops.get_db_converters(expression) + (
            field.get_db_converters(connection)  # type: ignore[attr-defined]  # absent from django-stubs
        ):
            value = converter(value, expression, connection)
        values.append(value)
    return values


def application_for_applicant(
    *,
    reference: str,
    date_of_birth: dt.date | None,
    now: dt.datetime | None = None,
    log: StatusLookup | None = None,
) -> Application | None:
    """The applicant's own case, or None. Wrong reference and wrong birth date look the same.

    To give an attacker no timing signal, every call runs the same single indexed query (by
    reference, even for a malformed one) and then compares the birth date in constant time
    (``hmac.compare_digest``), whether or not a case was found. That one query also brings
    what the status page shows (``STATUS_PAGE_FIELDS``) and the next interview appointment
    (``status_interview_*``), so the rightful applicant's page needs no second load of the
    case; for a wrong birth date the same row is read and thrown away, exactly as much work
    as for the right one. Fields the query does not read are deferred (loaded on access).

    ``log``, an unsaved ``StatusLookup`` without its outcome, is written as ``found`` or
    ``not_found``: on PostgreSQL by the same statement (``_logged_lookup_sql``), elsewhere
    or inside a caller's transaction right after it.
    """
    canonical = parse_reference(reference)
    connection = connections[router.db_for_read(Application)]
    params = [
        False,
        connection.ops.adapt_datetimefield_value(now or timezone.now()),
        canonical or _NO_SUCH_REFERENCE,
    ]
    # Inside a caller's transaction the asynchronous commit would cover all of it.
    in_statement = log is not None and (
        connection.vendor == "postgresql" and not connection.in_atomic_block
    )
    if log is not None and in_statement:
        sql, log_fields = _logged_lookup_sql(connection)
        params += [f.get_db_prep_save(f.pre_save(log, True), connection) for f in log_fields]
        born_param = connection.ops.adapt_datefield_value(date_of_birth)
        params += [born_param, *figures_params(connection), born_param]
        params += [str(s.value) for s in WAITING_STATES]
        params += [born_param] * len(residence_statements())
    else:
        sql = _status_lookup_sql(connection)[0]
    fields = _status_lookup_sql(connection)[1]
    # Prepared once per connection on PostgreSQL: planning the statement cost the server
    # more than running it.
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    extra = row[len(fields) :] if row is not None and in_statement else ()
    figures, residence_rows = extra[:3], {}
    if extra:
        at = 3
        for key, _statement, columns in residence_statements():
            residence_rows[key] = tuple(extra[at : at + columns])
            at += columns
    values = _from_db(connection, fields, row[: len(fields)]) if row is not None else None
    born = values[len(STATUS_PAGE_FIELDS)] if values else None
    expected = born.isoformat() if born is not None else _NO_BIRTH_DATE
    given = date_of_birth.isoformat() if date_of_birth is not None else "9999-99-99"
    matches = hmac.compare_digest(expected.encode(), given.encode())
    found = values is not None and canonical is not None and date_of_birth is not None
    found = found and matches
    if log is not None:
        log.outcome = StatusLookup.Outcome.FOUND if found else StatusLookup.Outcome.NOT_FOUND
        if not in_statement:
            log.save(force_insert=True)
    if not found or values is None:
        return None
    count = len(STATUS_PAGE_FIELDS)
    application = Application.from_db(connection.alias, STATUS_PAGE_FIELDS, values[:count])
    at, place, interpreter = values[count + 1 :]
    application.status_interview_at = at
    application.status_interview_place = place
    application.status_interview_interpreter = interpreter
    if residence_rows:  # the residence providers' rows, read by the same statement
        application.status_residence_rows = residence_rows
    if figures and figures[2] is not None:  # a waiting case: its figures, read by the lateral
        days, known, live = figures
        application.status_waiting_figures = (days, int(known) + int(live))
    return application
