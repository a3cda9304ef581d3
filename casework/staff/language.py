"""The staff interface speaks the language its user chose, else the one their browser asks for.

Django's ``LocaleMiddleware`` picks a language for every request from the URL prefix, the
language cookie and ``Accept-Language``, among all of ``settings.LANGUAGES``: right for the
applicants' status pages, which keep that choice. Staff pages (everything under the admin's
prefix) are translated into Norwegian bokmål and English only, and a caseworker's language
is theirs, not the browser's of the day: the language on their staff profile
(``StaffProfile.language``, which they set on their own page), else the best of bokmål and
English that ``Accept-Language`` asks for, else ``settings.LANGUAGE_CODE``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from casework.staff.choices import STAFF_LANGUAGE_CODES
from casework.staff.roles import language_of, load_roles_and_permissions


def browser_language(accept_language: str) -> str:
    """The first of the staff languages the header asks for (``nb``, ``no`` and ``nn`` read
    as bokmål: the staff interface has one Norwegian), else ``settings.LANGUAGE_CODE``."""
    for code, _quality in parse_accept_lang_header(accept_language):
        primary = code.lower().split("-")[0]
        if primary in ("no", "nn"):
            primary = "nb"
        if primary in STAFF_LANGUAGE_CODES:
            return primary
    return settings.LANGUAGE_CODE


def staff_language(request: HttpRequest) -> str:
    """The language a staff page is rendered in for this request."""
    chosen = language_of(getattr(request, "user", None))
    if chosen in STAFF_LANGUAGE_CODES:
        return chosen
    return browser_language(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))


class StaffLanguageMiddleware:
    """Activate the staff language on staff pages; leave every other page to
    ``LocaleMiddleware``. After ``AuthenticationMiddleware`` (it reads the user's choice) and
    inside ``LocaleMiddleware``, whose response handling then sets ``Content-Language`` to
    the language activated here and adds ``Vary: Accept-Language``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefix = ""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.prefix:
            self.prefix = reverse("admin:index")
        if request.path_info.startswith(self.prefix):
            user = getattr(request, "user", None)
            if user is not None:
                # The language is read with the roles, the unit and the model permissions that
                # every admin page then asks for: one query instead of three.
                load_roles_and_permissions(user)
            language = staff_language(request)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
