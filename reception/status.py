"""Where the applicant lives, for casework's status page (``casework.status.hooks``).

Registered from ``ReceptionConfig.ready``. The applicant is already authenticated by reference
and birth date; they see their own centre's name and municipality, nothing about other
residents or staff. Strings are in the project's catalogue, ``locale/``, in all nine
languages (marked below as the applicant's).
"""

# i18n: applicant

from __future__ import annotations

from typing import Any

from django.db import connections, router
from django.utils.translation import gettext as _

from casework.core.statements import prepared_cursor

from .models import Placement

_open_placement_sql: dict[str, str] = {}


def _placement_sql(alias: str) -> str:
    """The open placement's centre and municipality names, as the ORM compiles it, once per
    database: compiling the two-join query took longer than running it (and this runs
    on every status lookup). At most one placement is open (the partial unique index
    ``one_open_placement``), so no ordering."""
    if alias not in _open_placement_sql:
        names = (
            Placement.objects.using(alias)
            .filter(person_id=0, end__isnull=True)
            .order_by()
            .values_list("centre__name", "centre__municipality__name")[:1]
        )
        sql, params = names.query.sql_with_params()
        if tuple(params) != (0,):  # the person is the statement's only parameter
            raise RuntimeError(f"unexpected parameters in the open-placement query: {params}")
        _open_placement_sql[alias] = sql
    return _open_placement_sql[alias]


def placement_statement(connection: Any, person: str) -> str:
    """The open placement's two names for the person given as an SQL expression: what the
    status lookup's own statement reads (``casework.status.hooks``), without a parameter."""
    sql = _placement_sql(connection.alias)
    if sql.count("%s") != 1:
        raise RuntimeError("the open-placement query has more than the person's parameter")
    return sql.replace("%s", person)


_NOT_READ: Any = object()


def residence_lines(*, application: Any, row: Any = _NOT_READ) -> list[str]:
    """One line naming the applicant's current centre, or nothing when not in reception.
    ``row`` is the placement's names when the status lookup has read them already."""
    if row is _NOT_READ:
        alias = router.db_for_read(Placement)
        with prepared_cursor(connections[alias]) as cursor:  # planned once per connection
            cursor.execute(_placement_sql(alias), [application.person_id])
            row = cursor.fetchone()
    if row is None or all(value is None for value in row):
        return []
    centre, municipality = row
    return [
        _("Your reception centre: %(centre)s, %(municipality)s.")
        % {"centre": centre, "municipality": municipality}
    ]
