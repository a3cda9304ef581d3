"""Two imports of the same file at once, on real PostgreSQL: every arrival lands exactly once.

The import checks which external ids exist, then ``COPY``s the batch's rows. When another
import commits the same ids in between, the unique external id refuses the rows, the batch is
rolled back whole and retried, and the retry finds them already imported. Also: a batch that
fails half way leaves nothing of itself behind.
"""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection
from django.db.models import Count

from casework.intake import arrivals, imports, writer
from casework.models import Application, AuditEvent, Deadline, Person

pytestmark = [pytest.mark.fault, pytest.mark.services("postgres")]
HEADER = (
    "external_id,given_name,family_name,date_of_birth,nationality,sex,kind,arrival_date,centre\n"
)


def lines(n: int, prefix: str = "c") -> list[str]:
    rows = [
        f"{prefix}-{i},Olena,Kovalenko,1980-01-01,UA,female,"
        f"{'collective' if i % 3 else 'protection'},2023-09-01,\n"
        for i in range(n)
    ]
    return [HEADER, *rows]


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_file_at_once_write_each_arrival_once(monkeypatch):
    monkeypatch.setattr(arrivals, "BATCH", 500)
    n = 3000
    results: list[arrivals.ImportResult] = []
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def importer() -> None:
        try:
            start.wait()
            results.append(imports.arrivals_import(stream=lines(n)))
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=importer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    assert sum(r.created for r in results) == n
    assert sum(r.skipped for r in results) == n
    assert Person.objects.filter(external_id__startswith="c-").count() == n
    assert Application.objects.filter(external_id__startswith="c-").count() == n
    # no person without their application, no application without its trail
    assert not Person.objects.filter(external_id__startswith="c-", applications=None).exists()
    events = AuditEvent.objects.filter(person__external_id__startswith="c-")
    assert events.count() == 2 * n
    per_action = dict(events.values_list("action").annotate(c=Count("id")))
    assert per_action == {"person_registered": n, "lodged": n}
    assert Person.history.filter(external_id__startswith="c-").count() == n
    assert Application.history.filter(external_id__startswith="c-").count() == n
    exam = Deadline.objects.filter(
        application__external_id__startswith="c-", source="casework.examination_target"
    )
    assert exam.count() == n // 3
    numbers = Person.objects.filter(external_id__startswith="c-").values("registration_number")
    assert numbers.distinct().count() == n


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_fails_half_way_leaves_nothing_of_itself(monkeypatch):
    """The database fails inside the second batch, after its people and applications were
    copied in: the first batch stays, whole, and nothing of the second."""
    monkeypatch.setattr(arrivals, "BATCH", 100)
    real = writer.records_copy
    calls = {"audit": 0}

    def failing(cursor, records, now):
        if records and isinstance(records[0], AuditEvent):
            calls["audit"] += 1
            if calls["audit"] == 2:  # the second batch's people and applications are in
                cursor.execute("SELECT 1 / 0")
        return real(cursor, records, now)

    monkeypatch.setattr(writer, "records_copy", failing)
    with pytest.raises(DatabaseError):
        imports.arrivals_import(stream=lines(250, "f"))
    assert Person.objects.filter(external_id__startswith="f-").count() == 100
    assert Application.objects.filter(external_id__startswith="f-").count() == 100
    assert AuditEvent.objects.filter(person__external_id__startswith="f-").count() == 200
    assert Person.history.filter(external_id__startswith="f-").count() == 100

    monkeypatch.setattr(writer, "records_copy", real)  # the database is back: run again
    result = imports.arrivals_import(stream=lines(250, "f"))
    assert (result.created, result.skipped) == (150, 100)
    assert Person.objects.filter(external_id__startswith="f-").count() == 250
    assert AuditEvent.objects.filter(person__external_id__startswith="f-").count() == 500
