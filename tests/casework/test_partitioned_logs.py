"""The audit trail and the access log partitioned by month on PostgreSQL.

What a caseworker and an auditor see does not change (the ORM, the admin's list and change
pages, the append-only rules), while each row lands in its month's partition, months are
made ahead by ``manage.py partitions`` and old months can be detached for the archive. The
conversion itself is tested on a populated table: the migration runs it on the whole trail.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, models, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from casework.audit.services import audit_log
from casework.core import partitions as parts
from casework.models import AccessLog, AuditEvent
from casework.privacy.access import access_log
from tests.factories import ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.services("postgres")


def at(year: int, month: int, day: int = 15) -> dt.datetime:
    return dt.datetime(year, month, day, 12, tzinfo=dt.UTC)


def home(table: str, pk: int) -> str:
    """The partition (or plain table) that holds row ``pk``."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def attached(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass ORDER BY 1",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def partitions_command(*args: str) -> str:
    out = StringIO()
    call_command("partitions", *args, stdout=out)
    return out.getvalue()


def test_the_logs_table_names_are_the_models():
    assert [table for table, _key in parts.PARTITIONED_LOGS] == [
        AuditEvent._meta.db_table,
        AccessLog._meta.db_table,
    ]


def test_no_model_has_a_foreign_key_to_a_log():
    """A partitioned table's unique key is (id, at): a foreign key to ``id`` alone cannot be."""
    from django.apps import apps

    pointing = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey | models.OneToOneField)
        and field.related_model in (AuditEvent, AccessLog)
    ]
    assert pointing == []


@on_postgresql
def test_an_event_lands_in_its_months_partition_and_reads_back_in_the_orm_and_admin(client):
    with connection.cursor() as cursor:
        assert parts.is_partitioned(cursor, "casework_auditevent")
        cursor.execute(
            "SELECT partstrat FROM pg_partitioned_table "
            "WHERE partrelid = 'casework_auditevent'::regclass"
        )
        assert cursor.fetchone()[0] == "r"
    application = ApplicationFactory()
    event = audit_log(
        actor=None, action="partition_check", application=application, reason="Checked"
    )
    month = parts.month_of(event.at)
    expected = f"casework_auditevent_p{month:%Y_%m}"
    assert expected in attached("casework_auditevent")
    assert home("casework_auditevent", event.pk) == expected

    assert AuditEvent.objects.get(pk=event.pk).reason == "Checked"
    assert list(application.events.filter(action="partition_check")) == [event]
    assert AuditEvent.objects.filter(at__gte=event.at, action="partition_check").count() == 1

    superuser = UserFactory(username="root", is_superuser=True)
    client.force_login(superuser)
    listing = client.get(reverse("admin:casework_auditevent_changelist"))
    assert listing.status_code == 200
    assert reverse("admin:casework_auditevent_change", args=[event.pk]) in listing.content.decode()
    page = client.get(reverse("admin:casework_auditevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert str(application) in page.content.decode()
    assert "Checked" in page.content.decode()
    # Each of those reads wrote its access-log row, into its month's partition.
    last = AccessLog.objects.order_by("-id").first()
    assert last is not None
    assert (last.action, last.object_id) == ("view", event.pk)
    assert home("casework_accesslog", last.pk) == f"casework_accesslog_p{month:%Y_%m}"


@on_postgresql
def test_the_access_log_stays_append_only_in_every_partition(caseworker):
    row = access_log(user=caseworker, action="view", objects=[1], model=AuditEvent)
    with pytest.raises(RuntimeError):
        row.save()
    for sql in (
        "UPDATE casework_accesslog SET purpose = 'x' WHERE id = %s",
        f"UPDATE {home('casework_accesslog', row.pk)} SET purpose = 'x' WHERE id = %s",
        "DELETE FROM casework_accesslog WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [row.pk])
    assert AccessLog.objects.get(pk=row.pk).purpose == ""


@on_postgresql
def test_a_month_without_a_partition_waits_in_the_default_until_the_command_makes_it():
    old = AuditEvent.objects.create(action="backdated", at=at(2019, 5))
    assert home("casework_auditevent", old.pk) == "casework_auditevent_default"

    out = partitions_command("--ahead", "3")
    assert "casework_auditevent_p2019_05" in out
    assert home("casework_auditevent", old.pk) == "casework_auditevent_p2019_05"
    assert AuditEvent.objects.get(pk=old.pk).action == "backdated"
    assert AuditEvent.objects.filter(at__year=2019).count() == 1

    before = attached("casework_auditevent"), attached("casework_accesslog")
    assert "partitions made: 0" in partitions_command("--ahead", "3")
    assert (attached("casework_auditevent"), attached("casework_accesslog")) == before


@on_postgresql
def test_the_command_makes_the_coming_months_once():
    with time_machine.travel(at(2031, 1, 20), tick=False):
        out = partitions_command("--ahead", "3")
        made = [f"p2031_{m:02}" for m in (1, 2, 3, 4)]
        for table in ("casework_auditevent", "casework_accesslog"):
            names = attached(table)
            assert all(f"{table}_{suffix}" in names for suffix in made), names
            assert f"{table}_p2031_05" not in names
        assert f"partitions made: {2 * len(made)}" in out
        assert "partitions made: 0" in partitions_command("--ahead", "3")
        event = AuditEvent.objects.create(action="future")
        assert home("casework_auditevent", event.pk) == "casework_auditevent_p2031_01"


@on_postgresql
def test_detaching_old_months_leaves_their_tables_for_the_archive():
    old = AuditEvent.objects.create(action="archived", at=at(2019, 5))
    kept = AuditEvent.objects.create(action="kept", at=at(2019, 6))
    partitions_command()
    out = partitions_command("--detach-before", "2019-06")
    assert "casework_auditevent_p2019_05" in out
    assert "casework_auditevent_p2019_05" not in attached("casework_auditevent")
    assert "casework_auditevent_p2019_06" in attached("casework_auditevent")
    with connection.cursor() as cursor:
        cursor.execute("SELECT action FROM casework_auditevent_p2019_05 WHERE id = %s", [old.pk])
        assert cursor.fetchone() == ("archived",)
    assert list(AuditEvent.objects.filter(at__year=2019)) == [kept]
    # A row of the detached month written later waits in the default partition: the
    # archived month is not made again under the detached table's name.
    late = AuditEvent.objects.create(action="late", at=at(2019, 5, 20))
    assert "partitions made: 0" in partitions_command()
    assert home("casework_auditevent", late.pk) == "casework_auditevent_default"


@on_postgresql
def test_converting_a_populated_table_keeps_its_rows_ids_indexes_keys_and_triggers(caseworker):
    """What the migration does to the million-row trail, on a few rows: plain again first."""
    table = "casework_accesslog"
    with connection.cursor() as cursor:
        parts.convert_to_plain(cursor, table, "at")
        assert not parts.is_partitioned(cursor, table)
        # An index added by a later migration on the plain table is carried over too.
        cursor.execute(f"CREATE INDEX casework_accesslog_via_probe ON {table} (via, at)")
    rows = [
        AccessLog.objects.create(user=caseworker, action="view", model="x.y", at=at(2020, 2)),
        *(
            access_log(user=caseworker, action="view", objects=[n], model=AuditEvent)
            for n in (1, 2)
        ),
    ]
    ids = sorted(row.pk for row in rows)

    def catalogue() -> tuple:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table]
            )
            indexes = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                "SELECT conname, contype FROM pg_constraint WHERE conrelid = %s::regclass "
                "ORDER BY 1",
                [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [table],
            )
            return indexes, constraints, cursor.fetchall()

    plain = catalogue()
    with connection.cursor() as cursor:
        parts.convert_to_partitioned(cursor, table, "at")
        assert parts.is_partitioned(cursor, table)
        cursor.execute(
            "SELECT a.attname FROM pg_index x JOIN pg_attribute a ON a.attrelid = x.indrelid "
            "AND a.attnum = ANY(x.indkey) WHERE x.indrelid = %s::regclass AND x.indisprimary "
            "ORDER BY 1",
            [table],
        )
        assert [row[0] for row in cursor.fetchall()] == ["at", "id"]
    assert catalogue() == plain
    assert sorted(AccessLog.objects.values_list("pk", flat=True)) == ids
    assert home(table, rows[0].pk) == "casework_accesslog_p2020_02"
    assert "casework_accesslog_default" in attached(table)
    following = access_log(user=caseworker, action="view", objects=[9], model=AuditEvent)
    assert following.pk == ids[-1] + 1
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [following.pk])


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="SQLite only: there the logs are plain tables"
)
def test_on_sqlite_the_logs_are_plain_tables_and_the_command_says_so():
    assert "nothing to do" in partitions_command("--ahead", "3")
    assert parts.logs_keep_ahead() == []
    event = AuditEvent.objects.create(action="plain")
    assert AuditEvent.objects.get(pk=event.pk).action == "plain"
