"""The audit trail and the access log as PostgreSQL tables partitioned by month.

Both grow by millions of rows a year and are only ever appended to and read by recent date or
by the record they are about. Declarative range partitioning (PostgreSQL's own, no extension)
keeps each month in its own table: an index stays the size of a month, and a month past any
need can be detached whole (``DETACH PARTITION``), dumped and dropped, with no ``DELETE`` over
millions of rows, which the access log's append-only trigger would refuse anyway.

What stays as it was: the table's name, its columns, the identity sequence of ``id`` (with its
position), every secondary index, ``CHECK`` and foreign key and every trigger (the access
log's append-only one). What changes: the primary key in the database is ``(id, at)``, because
PostgreSQL requires the partition key in every unique constraint; Django keeps ``id`` as the
model's primary key (ids still come from one sequence, so ``id`` stays unique). No foreign key
may point *to* these tables (it would need ``(id, at)``): ``convert_to_partitioned`` refuses.

Partitions are named ``<table>_pYYYY_MM`` and hold ``[first of the month, first of the next)``
in UTC; ``<table>_default`` takes rows of a month with no partition yet (``ensure_partitions``
moves them into their month's new partition). Everything here runs on PostgreSQL only and in
the caller's transaction; the migration ``0017_partitioned_logs`` and ``manage.py partitions``
(and its beat task) call it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# The partitioned tables and their partition key. By table name, not by model: the migration
# uses them too, and this module sits below the models (the test checks the names).
PARTITIONED_LOGS: tuple[tuple[str, str], ...] = (
    ("casework_auditevent", "at"),
    ("casework_accesslog", "at"),
)
AHEAD_MONTHS = 3

_BOUNDS = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")
_ON_ONLY = re.compile(r" ON ONLY ")


@dataclass(frozen=True)
class Partition:
    name: str
    month: dt.date | None  # None: the default partition

    @property
    def is_default(self) -> bool:
        return self.month is None


def month_of(moment: dt.datetime | dt.date) -> dt.date:
    """The first day of the month of ``moment`` (an aware datetime is taken in UTC)."""
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC)
        moment = moment.date()
    return moment.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y_%m}"


def default_name(table: str) -> str:
    return f"{table}_default"


def recursive_indexdef(definition: str) -> str:
    """An index definition that, run again, builds the index on every partition too.

    ``pg_get_indexdef`` (and ``pg_indexes``) write a partitioned table's index as
    ``CREATE INDEX … ON ONLY table``, which makes an empty, invalid parent index and no
    partition's index; the same statement without ``ONLY`` makes them all.
    """
    return _ON_ONLY.sub(" ON ", definition, count=1)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _utc(month: dt.date) -> str:
    return f"{month.isoformat()} 00:00:00+00"


def is_partitioned(cursor: Any, table: str) -> bool:
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c "
        "ON c.oid = p.partrelid WHERE c.oid = to_regclass(%s))",
        [table],
    )
    return bool(cursor.fetchone()[0])


def partitions(cursor: Any, table: str) -> list[Partition]:
    """The partitions attached to ``table``, by month (the default partition last)."""
    cursor.execute(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
        [table],
    )
    found = []
    for name, bound in cursor.fetchall():
        match = _BOUNDS.search(bound or "")
        month = month_of(dt.datetime.fromisoformat(match.group(1))) if match else None
        found.append(Partition(name, month))
    return sorted(found, key=lambda p: (p.month is None, p.month or dt.date.min))


def months_present(cursor: Any, table: str, key: str) -> list[dt.date]:
    """The months (UTC) that hold at least one row, in one scan (used on the default
    partition, normally empty, and during the demo load, when its indexes are off)."""
    month = f"date_trunc('month', {_q(key)} AT TIME ZONE 'UTC')::date"
    cursor.execute(f"SELECT DISTINCT {month} FROM {_q(table)}")  # noqa: S608  # nosec B608
    return sorted(row[0] for row in cursor.fetchall())


def _create_partition(cursor: Any, table: str, month: dt.date) -> str:
    name = partition_name(table, month)
    cursor.execute(
        f"CREATE TABLE {_q(name)} PARTITION OF {_q(table)} "
        f"FOR VALUES FROM ('{_utc(month)}') TO ('{_utc(add_months(month, 1))}')"
    )
    return name


def _check_pending(cursor: Any) -> None:
    """Check the foreign keys of rows written earlier in this transaction now: PostgreSQL
    refuses to truncate or drop a table with checks still pending."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _defer_again(cursor: Any) -> None:
    # Django declares every foreign key DEFERRABLE INITIALLY DEFERRED: back to that.
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _table_exists(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return bool(cursor.fetchone()[0])


def ensure_partitions(
    cursor: Any, table: str, key: str, months: Iterable[dt.date] = ()
) -> list[str]:
    """Make sure ``table`` has a partition for each of ``months`` and for every month whose
    rows wait in the default partition; returns the partitions created. Idempotent.

    Rows in the default partition are moved into their month's new partition (PostgreSQL
    refuses to create a partition whose rows sit in the default one): they are copied aside,
    the default partition is emptied with ``TRUNCATE`` (which the access log's append-only
    row trigger does not cover, and no row is lost: they all go back), the partitions are
    made and the rows written back through the parent. A month whose name belongs to a
    detached (archived) partition is not made again: its rows stay in the default partition.
    """
    present = {p.month for p in partitions(cursor, table) if p.month is not None}
    default = default_name(table)
    waiting = months_present(cursor, default, key) if _table_exists(cursor, default) else []
    wanted = sorted(
        month
        for month in set(months) | set(waiting)
        if month not in present and not _table_exists(cursor, partition_name(table, month))
    )
    if not wanted:
        return []
    moving = bool(set(waiting) & set(wanted))
    if moving:
        _check_pending(cursor)
        cursor.execute(f"LOCK TABLE {_q(table)} IN SHARE ROW EXCLUSIVE MODE")
        aside = f"SELECT * FROM {_q(default)}"  # noqa: S608  # nosec B608
        cursor.execute(
            f"CREATE TEMPORARY TABLE casework_partition_moving ON COMMIT DROP AS {aside}"
        )
        cursor.execute(f"TRUNCATE {_q(default)}")
    created = [_create_partition(cursor, table, month) for month in wanted]
    if moving:
        into = f"INSERT INTO {_q(table)} OVERRIDING SYSTEM VALUE"
        back = f"{into} SELECT * FROM casework_partition_moving"  # noqa: S608  # nosec B608
        cursor.execute(back)
        cursor.execute("DROP TABLE casework_partition_moving")
        _defer_again(cursor)
    return created


def ensure_ahead(
    cursor: Any, table: str, key: str, ahead: int = AHEAD_MONTHS, today: dt.date | None = None
) -> list[str]:
    """This month's partition and the next ``ahead`` months' (and any month waiting in the
    default partition): what beat runs daily, so a new month never starts in the default."""
    this = month_of(today or dt.datetime.now(dt.UTC))
    return ensure_partitions(cursor, table, key, [add_months(this, n) for n in range(ahead + 1)])


def detach_before(cursor: Any, table: str, month: dt.date) -> list[str]:
    """Detach every monthly partition of ``table`` before ``month``; returns their names.

    A detached partition is an ordinary table again, under the same name, outside the
    application's reach (the ORM, the admin, the data export and anonymisation no longer see
    its rows): dump it (``pg_dump -t``) to the archive, then drop it.
    """
    detached = []
    for partition in partitions(cursor, table):
        if partition.month is not None and partition.month < month:
            cursor.execute(f"ALTER TABLE {_q(table)} DETACH PARTITION {_q(partition.name)}")
            detached.append(partition.name)
    return detached


@dataclass(frozen=True)
class _Shape:
    """What a table carries beyond its columns: read from the catalogue, replayed verbatim."""

    primary_key: str
    indexes: list[str]
    foreign_keys: list[tuple[str, str]]
    triggers: list[str]
    sequence: str | None
    position: tuple[int, bool] | None


def _shape(cursor: Any, table: str) -> _Shape:
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE contype = 'f' AND confrelid = to_regclass(%s)",
        [table],
    )
    pointing = [row[0] for row in cursor.fetchall()]
    if pointing:
        raise RuntimeError(
            f"{table} cannot change its primary key: foreign keys point to it ({pointing})."
        )
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE contype = 'p' AND conrelid = to_regclass(%s)",
        [table],
    )
    primary_key = cursor.fetchone()[0]
    # Every index but the primary key's, as pg_indexes writes it.
    cursor.execute(
        "SELECT i.indexname, i.indexdef, x.indisunique FROM pg_indexes i "
        "JOIN pg_class c ON c.relname = i.indexname "
        "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = i.schemaname "
        "JOIN pg_index x ON x.indexrelid = c.oid "
        "WHERE i.schemaname = current_schema() AND i.tablename = %s AND NOT x.indisprimary "
        "ORDER BY i.indexname",
        [table],
    )
    indexes = []
    for name, definition, unique in cursor.fetchall():
        if unique:
            raise RuntimeError(
                f"{table}: the unique index {name} cannot hold on a partitioned table."
            )
        indexes.append(recursive_indexdef(definition))
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid = to_regclass(%s) ORDER BY conname",
        [table],
    )
    foreign_keys = cursor.fetchall()
    cursor.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal AND tgparentid = 0 "
        "ORDER BY tgname",
        [table],
    )
    triggers = [row[0] for row in cursor.fetchall()]
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    position = None
    if sequence:
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608  # nosec B608
        position = cursor.fetchone()
    return _Shape(primary_key, indexes, foreign_keys, triggers, sequence, position)


def _rebuild(cursor: Any, table: str, key: str, partitioned_months: list[dt.date] | None) -> None:
    """Rebuild ``table`` as a partitioned table (``partitioned_months`` given) or as a plain
    one (``None``): new table, rows moved, old dropped, new renamed, then the old table's
    primary key name, indexes, foreign keys, triggers and sequence position replayed."""
    _check_pending(cursor)
    cursor.execute(f"LOCK TABLE {_q(table)} IN ACCESS EXCLUSIVE MODE")
    shape = _shape(cursor, table)
    building = f"{table}__rebuild"
    like = (
        f"CREATE TABLE {_q(building)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING IDENTITY "
        "INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)"
    )
    if partitioned_months is None:
        cursor.execute(like)
    else:
        cursor.execute(f"{like} PARTITION BY RANGE ({_q(key)})")
        for month in partitioned_months:
            cursor.execute(
                f"CREATE TABLE {_q(partition_name(table, month))} PARTITION OF {_q(building)} "
                f"FOR VALUES FROM ('{_utc(month)}') TO ('{_utc(add_months(month, 1))}')"
            )
        cursor.execute(
            f"CREATE TABLE {_q(default_name(table))} PARTITION OF {_q(building)} DEFAULT"
        )
    move = f"INSERT INTO {_q(building)} OVERRIDING SYSTEM VALUE SELECT * FROM {_q(table)}"  # noqa: S608  # nosec B608
    cursor.execute(move)
    cursor.execute(f"DROP TABLE {_q(table)}")
    cursor.execute(f"ALTER TABLE {_q(building)} RENAME TO {_q(table)}")
    columns = "id" if partitioned_months is None else f"id, {_q(key)}"
    cursor.execute(
        f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(shape.primary_key)} PRIMARY KEY ({columns})"
    )
    if shape.sequence and shape.position:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT setval(%s, %s, %s)", [sequence, *shape.position])
        old_name = shape.sequence.rsplit(".", 1)[-1]
        cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {old_name}")
    for definition in shape.indexes:
        cursor.execute(definition)
    # A foreign key of a partitioned table is checked partition by partition; with a hash join
    # each check hashes the whole referenced table again (42 s for the audit trail's case key
    # at a million cases), with index probes once over (10 s).
    cursor.execute("SELECT current_setting('enable_hashjoin')")
    hashjoin = cursor.fetchone()[0]
    cursor.execute("SELECT set_config('enable_hashjoin', 'off', true)")
    for name, definition in shape.foreign_keys:
        cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
    cursor.execute("SELECT set_config('enable_hashjoin', %s, true)", [hashjoin])
    for definition in shape.triggers:
        cursor.execute(definition)
    cursor.execute(f"ANALYZE {_q(table)}")
    _defer_again(cursor)


def convert_to_partitioned(
    cursor: Any, table: str, key: str, ahead: int = AHEAD_MONTHS, today: dt.date | None = None
) -> None:
    """Turn the populated plain ``table`` into one partitioned by month on ``key``: one
    partition for every month from the first that holds rows (a month without rows in between
    included, so a late row of it finds its partition) to ``ahead`` months after this one,
    and the default partition."""
    if is_partitioned(cursor, table):
        return
    cursor.execute(f"LOCK TABLE {_q(table)} IN ACCESS EXCLUSIVE MODE")
    this = month_of(today or dt.datetime.now(dt.UTC))
    cursor.execute(f"SELECT min({_q(key)}), max({_q(key)}) FROM {_q(table)}")  # noqa: S608  # nosec B608
    first, last = (month_of(moment) if moment else this for moment in cursor.fetchone())
    month, months = min(first, this), []
    while month <= max(last, add_months(this, ahead)):
        months.append(month)
        month = add_months(month, 1)
    _rebuild(cursor, table, key, months)


def convert_to_plain(cursor: Any, table: str, key: str) -> None:
    """The reverse: one plain table again, with ``id`` alone as its primary key."""
    if is_partitioned(cursor, table):
        _rebuild(cursor, table, key, None)


def _wait_briefly(cursor: Any) -> None:
    # Making or detaching a partition locks the parent table; waiting behind a long report
    # would queue every write of the log behind it. Give up instead: beat tries again the
    # next day, months before the partition is needed.
    cursor.execute("SET LOCAL lock_timeout = '5s'")


def logs_keep_ahead(*, ahead: int = AHEAD_MONTHS, today: dt.date | None = None) -> list[str]:
    """Every partitioned log's partitions for this month and ``ahead`` more (and any month
    waiting in a default partition), in one transaction; returns the partitions made. Does
    nothing where the logs are plain tables (SQLite, or before the migration)."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        return []
    created: list[str] = []
    with transaction.atomic(), connection.cursor() as cursor:
        _wait_briefly(cursor)
        for table, key in PARTITIONED_LOGS:
            if is_partitioned(cursor, table):
                created += ensure_ahead(cursor, table, key, ahead, today)
    return created


def logs_detach_before(*, month: dt.date) -> list[str]:
    """Detach every log's monthly partitions before ``month``; returns their names."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        return []
    detached: list[str] = []
    with transaction.atomic(), connection.cursor() as cursor:
        _wait_briefly(cursor)
        for table, _key in PARTITIONED_LOGS:
            if is_partitioned(cursor, table):
                detached += detach_before(cursor, table, month_of(month))
    return detached
