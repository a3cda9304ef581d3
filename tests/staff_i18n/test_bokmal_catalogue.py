"""The bokmål catalogue is complete: every string of the sources has a translation, and no
staff page rendered in bokmål shows a string of the catalogue in English.

The first test extracts the strings as ``manage.py makemessages -l nb`` does, into a copy of
``locale/``, and fails on any that is untranslated or fuzzy there: a string added to the code
(a label, a help text, a choice, an action, a message, a template's text) without its bokmål
translation. The second renders every staff page in bokmål, as the superuser (every page and
field) and as each role (their lists), and fails on an English string of the catalogue in what
a person reads: a string translated in the catalogue but shown untranslated (``gettext`` run
at import, before any language is active, or a label built outside the catalogue).
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from casework.models import StaffProfile
from tests.staff_i18n.world import build, own_pages

ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "locale" / "nb" / "LC_MESSAGES" / "django.po"


def _entries(path: Path):
    with path.open("rb") as fh:
        return [m for m in read_po(fh, locale="nb") if m.id]


def test_every_string_of_the_sources_has_a_bokmal_translation(tmp_path, monkeypatch):
    # makemessages writes into the ``locale/`` folder of the tree it walks, whatever
    # LOCALE_PATHS says: it walks a tree of links to the sources beside a copy of locale/,
    # so the repository's catalogue is never rewritten (and other tests reading it in
    # parallel never see it half-written).
    locale = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", locale)
    for entry in ROOT.iterdir():
        if entry.name != "locale" and not entry.name.startswith("."):
            (tmp_path / entry.name).symlink_to(entry)
    monkeypatch.chdir(tmp_path)
    with translation.override(None):
        settings_paths = [str(locale)]
        monkeypatch.setattr(settings, "LOCALE_PATHS", settings_paths)
        call_command("makemessages", locale=["nb"], verbosity=0, symlinks=True)
    untranslated = [
        m.id
        for m in _entries(locale / "nb" / "LC_MESSAGES" / "django.po")
        if not m.string or (isinstance(m.string, tuple) and not all(m.string)) or m.fuzzy
    ]
    assert untranslated == [], (
        f"{len(untranslated)} string(s) without a bokmål translation: run "
        "`manage.py makemessages -l nb` and translate them in locale/nb/LC_MESSAGES/django.po: "
        f"{untranslated[:20]}"
    )


# Django's permissions are rows of the database, named in English when they were made ("Can
# view work permit"); the group and user pages list them.
DATA_SELECTS = ("permissions", "user_permissions")
# django-otp's device models name their fields in English only, outside any catalogue.
NOT_OURS = ("/admin/otp_totp/", "/admin/otp_static/")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style") or (
            tag == "select" and dict(attrs).get("name") in DATA_SELECTS
        ):
            self._skip += 1
        for name, value in attrs:  # what a screen reader or a tooltip says
            if name in ("title", "aria-label", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") or (tag == "select" and self._skip):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_strings() -> list[str]:
    """The catalogue's English strings that a page could show as they are and that differ in
    bokmål: two words or more (a single word may be the same in both, or a name), without
    placeholders (filled in, they no longer read as written)."""
    found = []
    for m in _entries(CATALOGUE):
        if isinstance(m.id, tuple) or not m.string or m.string == m.id:
            continue
        if len(m.id.split()) < 2 or re.search(r"%|\{|<|\n", m.id):
            continue
        found.append(m.id)
    return sorted(found, key=len, reverse=True)


def _pages(user, world, *, forms: bool) -> list[str]:
    """The start page and every list ``user`` may open; with ``forms``, every add page and
    the first record's change page too."""
    request = RequestFactory().get("/admin/")
    request.user = user
    pages = ["/admin/"]
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_module_permission(request):
            continue
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append(reverse(f"{prefix}_changelist"))
        if not forms:
            continue
        if model_admin.has_add_permission(request):
            pages.append(reverse(f"{prefix}_add"))
        if model._meta.managed:
            first = model_admin.get_queryset(request).order_by("pk").first()
            if first is not None:
                pages.append(reverse(f"{prefix}_change", args=[first.pk]))
    return pages


ROLES = ["caseworker", "decider", "appeals", "registrar", "reception", "integration", "auditor"]


@pytest.mark.django_db
def test_no_staff_page_in_bokmal_shows_a_catalogue_string_in_english(client, unit, caseworker):
    world = build(3, unit=unit, caseworker=caseworker)
    root = get_user_model().objects.create_superuser("root", "root@casework.invalid", "x" * 12)
    english = english_strings()
    assert len(english) > 300  # the catalogue's strings, not a few
    shown: dict[str, list[str]] = {}
    users = [root, *get_user_model().objects.filter(username__in=ROLES)]
    seen = 0
    for user in users:
        StaffProfile.objects.update_or_create(user=user, defaults={"language": "nb"})
        client.force_login(user)
        # The superuser opens every page and form; each role its start page and lists (the
        # forms are the same for all, the lists and the start page are each role's own).
        pages = _pages(user, world, forms=user == root)
        if user == root:
            pages += [reverse(name, args=args) for name, args in own_pages(world)]
        for url in pages:
            if url.startswith(NOT_OURS):
                continue
            response = client.get(url, follow=True)
            if response.status_code != 200:
                continue  # a role that may not open a page: other tests hold them to it
            assert response["Content-Language"] == "nb", url
            text = visible_text(response.content.decode())
            seen += 1
            leaks = [s for s in english if s in text]
            if leaks:
                shown[f"{user.username} {url}"] = leaks
    assert seen > 80
    assert shown == {}, "\n".join(f"{page}: {leaks}" for page, leaks in sorted(shown.items()))
