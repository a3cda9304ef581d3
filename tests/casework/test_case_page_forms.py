"""The case page's buttons that post ("Assign to me", "Record as held") are real forms in the
page as the server sends it, none inside the admin's change form.

A browser drops a ``<form>`` nested in another and submits the outer one: the case page's
read-only change form, answered "403 Not allowed". The browser tests click these buttons;
this test reads the HTML itself, so it fails in a second where the browser would need a
minute.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.applications.choices import State
from tests.browser.staff import nested_forms
from tests.factories import ApplicationFactory, InterviewFactory

pytestmark = pytest.mark.django_db


class _Forms(HTMLParser):
    """Each form's id and action, and each button that names a form with ``form="…"``."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, str] = {}
        self.buttons: dict[str, str] = {}
        self._text_of: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        if tag == "form" and values.get("id"):
            self.forms[values["id"]] = values.get("action") or ""
        if tag == "button" and values.get("form"):
            self._text_of = values["form"]

    def handle_data(self, data: str) -> None:
        if self._text_of and data.strip():
            self.buttons[data.strip()] = self._text_of
            self._text_of = None


def test_the_case_page_posts_its_actions_from_forms_of_their_own(client, unit, caseworker):
    app = ApplicationFactory(unit=unit, state=State.EXAMINED)
    interview = InterviewFactory(
        application=app, scheduled_at=timezone.now() - dt.timedelta(hours=2)
    )
    client.force_login(caseworker)
    html = client.get(reverse("admin:casework_application_change", args=[app.pk])).content
    page = html.decode()
    assert nested_forms(page) == 0

    parsed = _Forms()
    parsed.feed(page)
    assert parsed.forms[parsed.buttons["Assign to me"]] == reverse(
        "admin:casework_application_assign_to_me", args=[app.pk]
    )
    assert parsed.forms[parsed.buttons["Record as held"]] == reverse(
        "admin:casework_application_interview_held", args=[app.pk, interview.pk]
    )
    # Each action form carries its own CSRF token: the post is accepted, the service acts.
    form_html = re.search(r'<form id="case-assign-to-me".*?</form>', page, re.S).group(0)
    assert "csrfmiddlewaretoken" in form_html
    client.post(reverse("admin:casework_application_assign_to_me", args=[app.pk]))
    app.refresh_from_db()
    assert app.assigned_to == caseworker


def test_the_crawler_sees_a_nested_form_in_the_html_as_sent():
    """What the browser would hide: the inner form of the case page as it was."""
    outer = '<form id="application_form" method="post"><div class="case-actions">'
    inner = '<form method="post" action="/assign-to-me/"><button>Assign to me</button></form>'
    assert nested_forms(outer + inner + "</div></form>") == 1
    assert nested_forms(outer + "</div></form>" + inner) == 0
