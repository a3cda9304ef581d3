"""import_arrivals: every bad row reported, nothing half-written, re-runs add nothing."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from casework.intake import arrivals, imports
from casework.models import Application, AuditEvent, Deadline, Person
from casework.people.identity import is_valid_registration_number

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "arrivals.csv"
HEADER = (
    "external_id,given_name,family_name,date_of_birth,nationality,sex,kind,arrival_date,centre\n"
)


def run(path: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_arrivals", str(path), *extra, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_sample_file_imports_the_good_rows_and_reports_every_bad_one(tmp_path):
    report = tmp_path / "bad.csv"
    code, out, err = run(SAMPLE, "--report", str(report))
    assert code == 1
    assert "14 rows" in out and "6 imported" in out and "8 bad" in out
    for expected in [
        "line 7: family_name: required",
        "line 8: date_of_birth: not a date",
        "line 9: date_of_birth: not a date",  # 30 February
        "line 10: nationality: not an ISO 3166 alpha-2 country code",
        "line 11: kind: must be protection, collective or resettlement",
        "line 12: date_of_birth: in the future",
        "line 13: external_id: repeated in the file",
        "line 14: external_id: required",
    ]:
        assert expected in err
    assert "Sokolov" not in err and "17.01.1985" not in err  # no personal data in the report
    assert report.read_text().count("\n") == 1 + 9
    assert set(Person.objects.values_list("external_id", flat=True)) == {
        "police-2023-000001", "police-2023-000002", "police-2023-000003",
        "police-2023-000004", "police-2023-000005", "police-2023-000014",
    }  # fmt: skip
    # nothing of a bad row was written
    assert not Person.objects.filter(family_name__in=["Sokolov", "Melnyk", "Karimi"]).exists()


def test_imported_rows_are_what_the_services_would_write():
    import datetime as dt

    from casework.applications.services import application_lodge
    from casework.people.services import person_register

    run(SAMPLE)
    amina = Application.objects.get(external_id="police-2023-000004")
    assert amina.state == "submitted" and amina.kind == "protection"
    assert str(amina.lodged_on) == "2023-04-03"
    assert amina.person.dob_precision == "year" and amina.person.registration_number[:4] == "2023"
    assert amina.person.name_key and not amina.person.stateless
    assert AuditEvent.objects.filter(application=amina, action="lodged").count() == 1
    assert AuditEvent.objects.filter(person=amina.person, action="person_registered").exists()
    target = Deadline.objects.get(application=amina, source="casework.examination_target")
    assert amina.next_deadline == target.due_at
    # history: one "created" row each, as a per-row save writes
    assert [h.history_type for h in amina.history.all()] == ["+"]
    assert [h.history_type for h in amina.person.history.all()] == ["+"]
    history = amina.history.get()
    assert (history.reference, history.person_id, history.state) == (
        amina.reference, amina.person_id, "submitted"
    )  # fmt: skip
    assert amina.person.history.get().registration_number == amina.person.registration_number
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{10}", amina.reference)  # the reference alphabet
    assert is_valid_registration_number(amina.person.registration_number)  # Luhn digit
    olena = Application.objects.get(external_id="police-2023-000001")
    assert olena.next_deadline is None  # collective protection: no examination target
    assert set(Deadline.objects.filter(application=olena).values_list("source", flat=True)) == {
        "casework.queue_notice",
        "casework.received_notice",  # the applicant is told the application was received
    }

    # The same arrival registered through the per-row services writes the same deadlines.
    person = person_register(
        actor=None, given_name="A", family_name="R", date_of_birth=dt.date(1998, 1, 1),
        sex="female", nationality="AF", year=2023,
    )  # fmt: skip
    lodged = application_lodge(
        actor=None, person=person, kind="protection", lodged_on=amina.lodged_on
    )

    MOVING = ("casework.received_notice",)

    def shape(app: Application) -> dict:
        rows = Deadline.objects.filter(application=app)
        return {
            d.source: (d.notify_person, d.closed_at, d.person_id == app.person_id)
            + ((d.due_at, d.remind_from) if d.source not in MOVING else ())
            for d in rows
        }

    # (the "received" notice is due a week from the moment of writing, so only its presence
    # is compared; the queue notice of a case lodged in 2023 is due on the same day by both)
    assert shape(amina) == shape(lodged)
    assert lodged.next_deadline == amina.next_deadline


def test_arrivals_lodged_long_ago_are_told_in_the_queue_within_a_month_not_at_once():
    """Their "received" notice goes at once; the queue notice follows the lodging's 30-day
    rhythm from the import on, so the sweep after the import has nothing to move on."""
    import datetime as dt

    from django.utils import timezone

    from casework.deadlines.reminders import reminders_create_due

    before = timezone.now()
    run(SAMPLE)
    notices = Deadline.objects.filter(source="casework.queue_notice", closed_at=None)
    assert notices.count() == 6
    for notice in notices:
        lodged = notice.application.lodged_on
        assert lodged.year == 2023
        assert before < notice.due_at <= timezone.now() + dt.timedelta(days=30)
        local = timezone.localtime(notice.due_at)  # noon, a multiple of 30 days on
        assert local.time() == dt.time(12) and (local.date() - lodged).days % 30 == 0
        assert notice.cycle == 0
    swept = reminders_create_due()
    assert swept.advanced == 0
    assert not swept.counts.get(("casework.queue_notice", "notice"))


def test_running_the_same_file_again_creates_no_duplicates():
    run(SAMPLE)
    counts = (Person.objects.count(), Application.objects.count(), AuditEvent.objects.count())
    code, out, _err = run(SAMPLE)
    assert "0 imported, 6 already imported" in out
    assert (
        Person.objects.count(),
        Application.objects.count(),
        AuditEvent.objects.count(),
    ) == counts


def test_a_file_without_the_required_columns_is_refused_whole(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("name,born\nA,1990-01-01\n")
    with pytest.raises(Exception, match="Line 1: missing columns: external_id"):
        call_command("import_arrivals", str(bad), stdout=io.StringIO(), stderr=io.StringIO())
    assert not Person.objects.exists()


def test_a_row_that_is_not_utf8_is_a_bad_row_with_its_line(tmp_path):
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(
        (
            HEADER
            + "a1,Jos\xe9,M,1990-01-01,ES,male,protection,2023-01-01,\n"
            + "a2,Jose,M,1990-01-01,ES,male,protection,2023-01-01,\n"
        ).encode("latin-1")
    )
    code, out, err = run(bad)
    assert code == 1
    assert "line 2: given_name: not UTF-8 text" in err
    assert "1 imported" in out and "1 bad" in out
    assert list(Person.objects.values_list("external_id", flat=True)) == ["a2"]


def test_rows_stream_in_batches(tmp_path, monkeypatch):
    """2,500 rows in batches of 1,000: three transactions, and all rows arrive."""
    monkeypatch.setattr(arrivals, "BATCH", 1000)
    path = tmp_path / "many.csv"
    with path.open("w") as fh:
        fh.write(HEADER)
        for i in range(2500):
            fh.write(f"ua-{i},Olena,Kovalenko,1980-01-01,UA,female,collective,2023-09-01,\n")
    seen = []
    with path.open("rb") as fh:
        result = imports.arrivals_import(
            stream=arrivals.text_lines(fh), on_progress=lambda r: seen.append(r.created)
        )
    assert result.created == 2500
    assert seen[:3] == [1000, 2000, 2500]
    assert Application.objects.filter(kind="collective").count() == 2500


def test_centre_column_places_people_and_never_overfills_a_centre(tmp_path):
    from reception.models import Placement
    from tests.reception.factories import ReceptionCentreFactory

    centre = ReceptionCentreFactory(name="Bergen mottak", capacity=2)
    path = tmp_path / "centres.csv"
    path.write_text(
        HEADER
        + "c1,Olena,Kovalenko,1980-01-01,UA,female,collective,2023-09-01,Bergen mottak\n"
        + f"c2,Iryna,Melnyk,1981-01-01,UA,female,collective,2023-09-01,{centre.pk}\n"
        + "c3,Taras,Boyko,1982-01-01,UA,male,collective,2023-09-01,bergen MOTTAK\n"
        + "c4,Petro,Moroz,1983-01-01,UA,male,collective,2023-09-01,Nowhere centre\n"
        + "c5,Sofiia,Moroz,1984-01-01,UA,female,collective,2023-09-01,\n"
    )
    code, out, err = run(path)
    assert code == 1
    assert "line 4: centre: the centre is full" in err
    assert "line 5: centre: no such reception centre" in err
    assert "3 imported" in out and "2 bad" in out
    assert set(Person.objects.values_list("external_id", flat=True)) == {"c1", "c2", "c5"}
    assert Placement.objects.filter(centre=centre, end=None).count() == 2
