"""The staff interface speaks the user's language: their choice, else their browser's.

Bokmål and English only (the status pages' other languages are not staff languages), chosen
on the user's own page, and never leaking into the applicants' status pages.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from casework.models import AuditEvent, StaffProfile


def _choose(user, language: str) -> None:
    StaffProfile.objects.filter(user=user).update(language=language)


@pytest.mark.parametrize(
    ("chosen", "accept", "expected", "log_out"),
    [
        ("nb", "en-GB,en;q=0.9", "nb", "Logg ut"),  # the choice wins over the browser
        ("en", "nb-NO,nb;q=0.9", "en", "Log out"),
        ("", "nb-NO,nb;q=0.9,en;q=0.5", "nb", "Logg ut"),  # no choice: the browser's
        ("", "no;q=0.9", "nb", "Logg ut"),  # "Norwegian" is bokmål here
        ("", "uk,ar;q=0.8", "en", "Log out"),  # not a staff language: the default
    ],
)
def test_a_staff_page_is_in_the_chosen_or_the_browsers_language(
    client, caseworker, chosen, accept, expected, log_out
):
    _choose(caseworker, chosen)
    client.force_login(caseworker)
    response = client.get(reverse("admin:index"), headers={"accept-language": accept})
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == expected
    assert f'lang="{expected}"' in html
    assert log_out in html


def test_the_sign_in_page_follows_the_browser(client):
    response = client.get(reverse("admin:login"), headers={"accept-language": "nb"})
    assert response["Content-Language"] == "nb"
    assert "Brukernavn" in response.content.decode()


def test_the_status_page_keeps_its_own_language(client, caseworker):
    """A caseworker who chose bokmål still gets the status page in the language it asks for."""
    _choose(caseworker, "nb")
    client.force_login(caseworker)
    for prefix in ("uk", "ar"):
        response = client.get(f"/{prefix}/status/", headers={"accept-language": "nb"})
        assert response["Content-Language"] == prefix


def test_a_user_chooses_their_language_on_their_own_page(client, caseworker):
    client.force_login(caseworker)
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("my-language") in index  # linked from every page's top
    page = client.get(reverse("my-language"))
    assert page.status_code == 200
    assert 'name="language"' in page.content.decode()

    response = client.post(reverse("my-language"), {"language": "nb"}, follow=True)

    assert StaffProfile.objects.get(user=caseworker).language == "nb"
    html = response.content.decode()
    assert response["Content-Language"] == "nb"
    assert "Logg ut" in html
    event = AuditEvent.objects.get(action="staff_language_changed")
    assert event.actor == caseworker
    assert event.changes["fields"] == {"language": ["", "nb"]}
    # back to the browser's
    client.post(reverse("my-language"), {"language": ""})
    assert StaffProfile.objects.get(user=caseworker).language == ""


def test_a_language_not_offered_is_refused_and_nothing_saved(client, caseworker):
    client.force_login(caseworker)
    response = client.post(reverse("my-language"), {"language": "uk"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert StaffProfile.objects.get(user=caseworker).language == ""
    assert not AuditEvent.objects.filter(action="staff_language_changed").exists()


def test_the_language_page_needs_a_signed_in_staff_user(client):
    response = client.get(reverse("my-language"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
