"""The arrivals import in the admin, as staff users see it (the statistics page:
``test_statistics_page``)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casework.intake import imports
from casework.models import ImportJob, Person

from .test_import_arrivals import SAMPLE

pytestmark = pytest.mark.django_db


def test_registration_officer_uploads_and_follows_an_import(client, registrar, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(registrar)
    upload = SimpleUploadedFile("arrivals.csv", SAMPLE.read_bytes(), content_type="text/csv")
    response = client.post(reverse("admin:casework_importjob_add"), {"file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/{job.pk}/change/")
    page = client.get(response.url).content.decode()
    assert 'http-equiv="refresh"' in page  # waiting: the page reloads itself
    imports.import_job_run(job_id=job.pk)  # what the Celery task runs
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.processed_rows) == ("done", 14, 14)
    assert (job.created_count, job.skipped_count, job.error_count) == (6, 0, 8)
    assert not job.file  # the uploaded personal data is not kept
    page = client.get(response.url).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert "Bad rows: 8" in page and "<td>family_name</td>" in page
    assert Person.objects.count() == 6


def test_a_caseworker_may_not_import(client, caseworker):
    client.force_login(caseworker)
    assert client.get(reverse("admin:casework_importjob_add")).status_code == 403
