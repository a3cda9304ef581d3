"""Nine languages: every state and kind rendered, RTL, language choice.

That every catalogue translates every applicant message: ``tests/test_applicant_catalogues.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import get_language_info

from casework.applications.choices import ApplicationKind, State
from casework.status import languages as status_languages
from casework.status.page import NEXT_TEXT, STATE_TEXT
from tests.factories import ApplicationFactory, PersonFactory
from tests.status.catalogue import all_msgids
from tests.status.conftest import BIRTH_DATE, lookup, text_of

LANGUAGES = [code for code, _name in settings.LANGUAGES]
CSS = Path(__file__).resolve().parents[2] / "casework/static/casework/status.css"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def test_all_nine_languages_are_offered():
    assert set(LANGUAGES) == {"nb", "en", "uk", "ar", "fa", "ps", "ti", "so", "ru"}


@pytest.mark.django_db
def test_every_state_and_kind_renders_in_every_language(client):
    """18 state/kind combinations x 9 languages, each page in its language, nothing left in
    English (except the English copy of the not-reviewed notice, marked lang="en")."""
    english = sorted(all_msgids() - {"Case reference"}, key=len, reverse=True)
    cases = []
    for state in State.values:
        for kind in ApplicationKind.values:
            person = PersonFactory(date_of_birth=BIRTH_DATE)
            cases.append((state, kind, ApplicationFactory(person=person, kind=kind, state=state)))
    for language in LANGUAGES:
        for state, kind, app in cases:
            response = lookup(client, reference=app.reference, language=language)
            assert response.status_code == 200
            html = response.content.decode()
            assert f'<html lang="{language}"' in html
            page = text_of(response)
            with translation.override(language):
                assert str(STATE_TEXT[(state, kind)]) in page, (language, state, kind)
                assert str(NEXT_TEXT[(state, kind)]) in page, (language, state, kind)
            if language == "en":
                continue
            without_notice = text_of(
                type("R", (), {"content": re.sub(r'<p lang="en".*?</p>', "", html).encode()})
            )
            for msgid in english:
                shown = max(PLACEHOLDER.split(msgid), key=len).strip()
                assert shown not in without_notice, (language, state, kind, msgid)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_right_to_left_for_arabic_persian_and_pashto(client, language):
    html = client.get(f"/{language}/status/" if language != "en" else "/status/").content
    rtl = language in {"ar", "fa", "ps"}
    assert f'<html lang="{language}" dir="{"rtl" if rtl else "ltr"}">'.encode() in html
    assert get_language_info(language)["bidi"] is rtl
    # The reference and the date digits stay left-to-right inside a right-to-left page.
    assert b'id="id_reference" name="reference" type="text"' in html
    assert b'dir="ltr" aria-describedby="reference-hint"' in html


def test_stylesheet_uses_logical_properties_only():
    css = CSS.read_text()
    physical = re.findall(
        r"(?:margin|padding|border)-(?:left|right)|text-align:\s*(?:left|right)|float:|"
        r"\b(?:left|right):",
        css,
    )
    assert physical == []
    assert "margin-inline" in css and "padding-inline" in css


def test_django_lacked_locale_data_for_pashto_tigrinya_and_somali():
    for code, name in (("ps", "Pashto"), ("ti", "Tigrinya"), ("so", "Somali")):
        info = get_language_info(code)
        assert info["name"] == name and info["name_local"]
        assert translation.check_for_language(code)


@pytest.mark.django_db
def test_accept_language_chooses_the_first_supported_language(client):
    response = client.get("/status/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,fa-AF;q=0.8,en;q=0.5")
    assert response.status_code == 302 and response["Location"] == "/fa/status/"
    response = client.get("/status/", HTTP_ACCEPT_LANGUAGE="ti")
    assert response["Location"] == "/ti/status/"
    assert "Accept-Language" in response["Vary"]
    assert client.get("/status/", HTTP_ACCEPT_LANGUAGE="en-GB,en").status_code == 200


@pytest.mark.django_db
def test_language_picker_switches_and_remembers_the_language(client):
    page = client.get("/status/").content.decode()
    for code in LANGUAGES:
        assert f'name="language" value="{code}" lang="{code}"' in page
    response = client.post("/i18n/setlang/", {"language": "so", "next": "/status/"})
    assert response["Location"] == "/so/status/"
    somali = client.get("/so/status/").content.decode()
    assert 'name="next" value="/status/"' in somali
    # Back to English, despite a browser asking for Arabic: the picker's choice wins.
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/status/"})
    assert response["Location"] == "/status/"
    assert client.get("/status/", HTTP_ACCEPT_LANGUAGE="ar").status_code == 200


@pytest.mark.django_db
def test_unreviewed_translations_say_so_in_the_language_and_in_english(client, monkeypatch):
    notice = "This translation has not yet been checked by a qualified translator."
    page = client.get("/ti/status/").content.decode()
    with translation.override("ti"):
        assert translation.gettext(
            notice + " If something is unclear, ask the staff at your reception centre."
        ) in text_of(type("R", (), {"content": page.encode()}))
    assert f'<p lang="en" dir="ltr">{notice}' in page
    assert notice not in client.get("/status/").content.decode()  # English is the source
    monkeypatch.setitem(status_languages.TRANSLATION_REVIEWED, "ti", True)
    assert notice not in client.get("/ti/status/").content.decode()
