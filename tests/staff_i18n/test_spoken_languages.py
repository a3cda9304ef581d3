"""Languages as a list: ISO 639-3 codes with the names people know, in one home.

The interview's language is chosen from the list (it was a text box of ISO 639-1 codes, with
no code for Dari, Sorani or Kurmanji), a person's languages too, and the data migration moved
the two-letter codes to the list's.
"""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from casework.applications.choices import State
from casework.models import Interview, Person
from casework.people.choices import SpokenLanguage, spoken_language
from tests.admin_forms import form_on
from tests.factories import ApplicationFactory, InterviewFactory, PersonFactory

pytestmark = pytest.mark.django_db

KNOWN = {
    "prs": "Dari",
    "tir": "Tigrinya",
    "ckb": "Sorani (Central Kurdish)",
    "kmr": "Kurmanji (Northern Kurdish)",
    "pus": "Pashto",
    "som": "Somali",
    "ara": "Arabic",
    "fas": "Persian (Farsi)",
    "ukr": "Ukrainian",
    "rus": "Russian",
    "nor": "Norwegian",
    "eng": "English",
}


def test_the_list_names_the_languages_people_know_by_their_iso_639_3_codes():
    labels = dict(SpokenLanguage.choices)
    for code, name in KNOWN.items():
        assert labels[code] == name
    assert all(len(code) == 3 for code in labels)
    names = [str(name) for name in labels.values()]
    assert names == sorted(names)  # easy to find in a drop-down


def test_the_interview_language_is_chosen_from_the_list(client, unit, caseworker):
    person = PersonFactory(preferred_language="ti")
    app = ApplicationFactory(person=person, unit=unit, state=State.EXAMINED, assigned_to=caseworker)
    client.force_login(caseworker)
    url = reverse("admin:casework_application_interview", args=[app.pk])
    html = client.get(url).content.decode()
    assert '<select name="language"' in html
    assert '<option value="prs">Dari</option>' in html
    assert '<option value="tir" selected>Tigrinya</option>' in html  # the applicant's own
    assert 'name="interpreter"' in html and 'type="checkbox"' in html  # stays a checkbox

    when = (timezone.localtime() + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    client.post(url, {"scheduled_at": when, "location": "UDI Oslo", "language": "prs"})
    assert app.interviews.get().language == "prs"
    page = client.get(reverse("admin:casework_application_change", args=[app.pk]))
    assert "(Dari" in page.content.decode()  # the name on the case page, not the code


@pytest.mark.parametrize("typed", ["ar", "xx", ""])
def test_a_language_not_on_the_list_is_refused_and_nothing_saved(client, unit, caseworker, typed):
    app = ApplicationFactory(unit=unit, state=State.EXAMINED, assigned_to=caseworker)
    client.force_login(caseworker)
    when = (timezone.localtime() + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("admin:casework_application_interview", args=[app.pk]),
        {"scheduled_at": when, "location": "UDI Oslo", "language": typed},
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not app.interviews.exists()


def test_the_api_takes_only_codes_of_the_list(caseworker, unit):
    from rest_framework.test import APIClient

    app = ApplicationFactory(unit=unit, state=State.EXAMINED, assigned_to=caseworker)
    api = APIClient()
    api.force_authenticate(caseworker)
    url = f"/api/v1/applications/{app.pk}/interviews/"
    body = {"scheduled_at": (timezone.now() + dt.timedelta(days=3)).isoformat(), "location": "UDI"}
    refused = api.post(url, {**body, "language": "fa"}, format="json")
    assert refused.status_code == 400
    assert "language" in str(refused.json())
    assert not app.interviews.exists()
    accepted = api.post(url, {**body, "language": "fas"}, format="json")
    assert accepted.status_code == 201, accepted.json()
    assert accepted.json()["language"] == "fas"


def test_a_persons_languages_are_chosen_from_the_list(client, registrar):
    person = PersonFactory(languages="ara,eng")
    client.force_login(registrar)
    url = reverse("admin:casework_person_change", args=[person.pk])
    html = client.get(url).content.decode()
    assert '<select name="languages"' in html and "multiple" in html
    assert '<option value="ara" selected>Arabic</option>' in html
    assert '<option value="eng" selected>English</option>' in html

    values = form_on(client, url)
    values["languages"] = ["ckb", "ara"]
    response = client.post(url, values)
    assert response.status_code == 302, response.content.decode()[:3000]
    person.refresh_from_db()
    assert set(person.languages.split(",")) == {"ckb", "ara"}


def test_the_migration_moves_two_letter_codes_to_the_list():
    migration = importlib.import_module("casework.migrations.0014_spoken_languages")
    interview = InterviewFactory(language="ar")
    dari = InterviewFactory(language="prs")  # already a code of the list: left alone
    odd = InterviewFactory(language="qq")  # no code known: kept, not guessed
    person = PersonFactory(languages="fa,ti,ku")

    migration.to_three_letter_codes(apps, None)

    assert Interview.objects.get(pk=interview.pk).language == "ara"
    assert Interview.objects.get(pk=dari.pk).language == "prs"
    assert Interview.objects.get(pk=odd.pk).language == "qq"
    assert Person.objects.get(pk=person.pk).languages == "fas,tir,kur"


def test_two_letter_codes_map_into_the_list():
    assert spoken_language("ti") == "tir"
    assert spoken_language("tir") == "tir"
    assert spoken_language("nb") == "nor"
    assert spoken_language("zz") == ""
