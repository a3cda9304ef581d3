"""Reads of people that more than one face shares."""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import BooleanField, CharField, F, Func, Q, QuerySet, Value
from django.db.models.expressions import RawSQL

NAMES = ("family_name", "given_name")


class NameKey(Func):
    """A name as the search compares and sorts it: ``UPPER(name) COLLATE "C"`` on PostgreSQL,
    the expression the two name indexes hold (migration ``0036_person_name_key_indexes``).

    ``UPPER`` folds the case (Ø, Å and É too, in a UTF-8 database); the "C" collation makes the
    index serve both a prefix ``LIKE`` and an ``ORDER BY`` of the expression (the database's
    own collation, ``C.UTF-8``, is not "C" to the planner). SQLite has no such collation and no
    index for it: there it is ``UPPER(name)``.
    """

    function = "UPPER"
    template = '(%(function)s(%(expressions)s) COLLATE "C")'
    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="%(function)s(%(expressions)s)")


def name_key(column: str, path: str = "") -> NameKey:
    return NameKey(F(f"{path}{column}"))


class NameStarts(Func):
    """``key LIKE UPPER('word') || '%'``: the name's key (``NameKey``) starts with ``word``,
    folded by the database's ``UPPER`` as the key is (a constant the planner folds, so the
    index's range is known when it plans). Not Django's ``startswith``, which casts its left
    side to ``text`` and so drops the "C" collation the index needs."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, key: NameKey, word: str) -> None:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        super().__init__(key, Value(escaped, output_field=CharField()))

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:
        key, pattern = self.get_source_expressions()
        key_sql, key_params = compiler.compile(key)
        pattern_sql, pattern_params = compiler.compile(pattern)
        escape = " ESCAPE '\\'" if connection.vendor == "sqlite" else ""  # PostgreSQL's default
        sql = f"{key_sql} LIKE UPPER({pattern_sql}) || '%%'{escape}"
        return sql, (*key_params, *pattern_params)


def starts(column: str, word: str, path: str = "") -> NameStarts:
    return NameStarts(name_key(column, path), word)


def name_words(term: str) -> list[str]:
    return term.split()[:4]


def name_starts_with(term: str, *, path: str = "") -> Q:
    """People whose family or given name starts with each word typed (up to four), in any case.

    ``path`` leads from the queried model to the person (``"person__"`` from a case). Each
    word is ``UPPER(name) COLLATE "C" LIKE UPPER('word') || '%'``, the expression the two name
    indexes hold on PostgreSQL, so a search reads the matching index entries, not every person.
    """
    q = Q()
    for word in name_words(term):
        q &= Q(starts("family_name", word, path)) | Q(starts("given_name", word, path))
    return q


def name_search_branches(
    queryset: QuerySet[Any], term: str, *, path: str = ""
) -> tuple[QuerySet[Any], QuerySet[Any]]:
    """A name search over ``queryset`` as two walks of the name indexes, in the order the
    results are shown: the rows whose *family* name starts with the first word, by family name;
    then those whose *given* name does (and whose family name does not), by given name; each
    then by the person and the row. Together they are ``queryset.filter(name_starts_with(term))``.

    One statement with the ``OR`` of both names has no index order to follow: the database
    must find every match (a common name: a tenth of the people) and sort them, or walk the
    list's own order past the ones that do not match. Each branch here stops after the page.
    """
    first, *rest = name_words(term) or [""]
    others = name_starts_with(" ".join(rest), path=path)
    person_id = f"{path}id" if path else "id"
    tail = ("id",) if path else ()
    by_family = queryset.filter(Q(starts("family_name", first, path)) & others).order_by(
        name_key("family_name", path), person_id, *tail
    )
    by_given = queryset.filter(
        Q(starts("given_name", first, path)) & ~Q(starts("family_name", first, path)) & others
    ).order_by(name_key("given_name", path), person_id, *tail)
    return by_family, by_given


# A name search asks each of a name's first this many people for its cases; a name shared by
# more people, whose first ones had too few cases to fill the count, is counted by the plain
# join (``count_by_person``).
PROBED_PEOPLE = 10_000


def count_by_person(rows: QuerySet[Any], people: QuerySet[Any], field: str, limit: int) -> int:
    """How many of ``rows`` (counted up to ``limit``) belong to one of ``people`` by ``field``
    (their foreign key to the person): the count of a name search over a list of cases.

    On PostgreSQL each of the name's people is asked for its rows through ``field``'s index
    (a ``LATERAL`` subquery with ``OFFSET 0``, which the planner cannot turn into a join), and
    the count stops at ``limit``. Left to plan the join, PostgreSQL misjudged how many of a
    common name's 5,000 people have cases assigned to the caseworker (they are correlated: an
    officer handles one group of nationalities) and hashed all 178,000 of the caseworker's
    cases for each search: 90-120 ms at a million cases, against 6 ms asked person by person.

    Only the name's first ``PROBED_PEOPLE`` people are asked. If they do not fill the count and
    the name has more, the plain join counts (as the planner chooses, in parallel): asking
    each of 124,000 people (a demo name none of whose holders had a case in the list) took
    0.75-1 s, the join 0.43-0.55 s. Elsewhere (SQLite) the plain join, counted to ``limit``."""
    connection = connections[rows.db]
    people = people.order_by().values("pk")
    if connection.vendor == "postgresql":
        found = _count_asking_each(rows, people[:PROBED_PEOPLE], field, limit)
        if found >= limit or not people[PROBED_PEOPLE : PROBED_PEOPLE + 1].exists():
            return found
    return rows.filter(**{f"{field}__in": people})[:limit].count()


def _count_asking_each(rows: QuerySet[Any], people: QuerySet[Any], field: str, limit: int) -> int:
    """PostgreSQL: the rows of each of ``people`` by ``field``, counted up to ``limit``."""
    outer = "named_person.id"
    # a constant column name, the outer query's: no input reaches it
    inner = rows.order_by().filter(**{field: RawSQL(outer, ())}).values("pk")  # noqa: S611  # nosec B611
    people_sql, people_params = people.query.sql_with_params()
    inner_sql, inner_params = inner.query.sql_with_params()
    # Both parts are the ORM's own compiled queries with their parameters.
    sql = (
        f"SELECT count(*) FROM (SELECT 1 FROM ({people_sql}) AS named_person (id) "  # noqa: S608  # nosec B608
        f"CROSS JOIN LATERAL ({inner_sql} OFFSET 0) AS matched LIMIT {int(limit)}) AS capped"
    )
    connection = connections[rows.db]
    with connection.cursor() as cursor:
        cursor.execute(sql, (*people_params, *inner_params))
        return int(cursor.fetchone()[0])
