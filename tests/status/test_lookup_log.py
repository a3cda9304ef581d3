"""Every lookup is logged for abuse monitoring, and the log holds no birth date in clear."""

from __future__ import annotations

import datetime as dt

import pytest
from django.forms.models import model_to_dict

from casework.models import StatusLookup
from tests.status.conftest import BIRTH_DATE, lookup

pytestmark = pytest.mark.django_db


def _all_values(row: StatusLookup) -> str:
    return " ".join(str(v) for v in model_to_dict(row).values()) + f" {row.at}"


def test_found_and_not_found_lookups_are_logged_without_the_birth_date(client, application):
    lookup(client, reference=application.reference, REMOTE_ADDR="203.0.113.77")
    lookup(
        client,
        reference=application.reference,
        born=BIRTH_DATE + dt.timedelta(days=1),
        REMOTE_ADDR="203.0.113.78",
    )
    lookup(client, reference="7K3M-9QXD-2F", REMOTE_ADDR="2001:db8:1234:5678::1", language="fa")
    found, wrong_birth_date, wrong_reference = StatusLookup.objects.order_by("at", "id")
    assert [found.outcome, wrong_birth_date.outcome, wrong_reference.outcome] == [
        "found",
        "not_found",
        "not_found",
    ]
    assert found.client_network == "203.0.113.0/24"
    assert wrong_reference.client_network == "2001:db8:1234::/48"
    assert wrong_reference.language == "fa"
    # One reference tried twice is recognisable (same keyed hash), yet not readable.
    assert found.reference_hash == wrong_birth_date.reference_hash != ""
    assert found.birth_date_hmac != wrong_birth_date.birth_date_hmac
    for row in (found, wrong_birth_date, wrong_reference):
        stored = _all_values(row)
        for form in ("1990-03-15", "1990-03-16", "15.03.1990", "19900315", "150390"):
            assert form not in stored
        assert application.reference not in stored
        assert "203.0.113.77" not in stored and "5678" not in stored


def test_invalid_tries_are_logged_too(client):
    client.post("/status/", {"reference": "ABC", "day": "40", "month": "1", "year": "1990"})
    row = StatusLookup.objects.get()
    assert row.outcome == "invalid"
    assert row.birth_date_hmac == ""


def test_auditors_find_tries_at_one_case_by_its_reference(client, application, auditor):
    lookup(client, reference=application.reference, REMOTE_ADDR="203.0.113.9")
    lookup(client, reference="7K3M-9QXD-2F", REMOTE_ADDR="203.0.113.10")
    client.force_login(auditor)
    typed = application.display_reference.lower()
    response = client.get("/admin/casework/statuslookup/", {"q": typed})
    rows = list(response.context["cl"].result_list)
    assert [(r.outcome, r.client_network) for r in rows] == [("found", "203.0.113.0/24")]
    assert client.get("/admin/casework/statuslookup/add/").status_code == 403


def test_old_log_rows_are_purged():
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    old = StatusLookup.objects.create(
        client_network="203.0.113.0/24",
        outcome="not_found",
        at=timezone.now() - dt.timedelta(days=91),
    )
    recent = StatusLookup.objects.create(client_network="203.0.113.0/24", outcome="found")
    out = StringIO()
    call_command("purge_status_lookups", stdout=out)
    assert "1 row(s)" in out.getvalue()
    assert list(StatusLookup.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not StatusLookup.objects.filter(pk=old.pk).exists()
