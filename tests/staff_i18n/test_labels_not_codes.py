"""Staff pages show labels, never the codes behind them.

A state is "under examination", not ``examined``; an outcome "refugee status (Refugee
Convention)", not ``refugee_convention``; an event "Work permit granted" (its transition's
declaration says so), not ``work_permit.grant``; a logged record "application", not
``casework.application``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from casework.applications.choices import State
from casework.models import AccessLog
from tests.factories import ApplicationFactory, AuditEventFactory, DecisionFactory, UserFactory
from tests.integration.factories import FamilyReunificationFactory, WorkPermitFactory

pytestmark = pytest.mark.django_db

# snake_case or dotted lower-case words: how our codes look (``refugee_convention``,
# ``work_permit.grant``, ``casework.application``).
CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\b[a-z_]+\.[a-z_]+\b")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def test_states_outcomes_events_and_records_read_as_words(client, unit, caseworker):
    app = ApplicationFactory(unit=unit, state=State.ACCEPTED, assigned_to=caseworker)
    DecisionFactory(application=app, outcome="refugee_convention")
    for action, source, target in [
        ("start_examination", "submitted", "examined"),
        ("accept", "examined", "accepted"),
        ("interview_scheduled", "", ""),
    ]:
        AuditEventFactory(
            application=app,
            action=action,
            source_state=source,
            target_state=target,
            changes={"outcome": "refugee_convention"} if action == "accept" else {},
        )
    permit = WorkPermitFactory(state="granted")
    AuditEventFactory(
        action="work_permit.grant",
        source_state="requested",
        target_state="granted",
        changes={"subject": permit.audit_subject},
    )
    family = FamilyReunificationFactory(protection_outcome="refugee_convention")
    AccessLog.objects.create(user=caseworker, action="view", model="casework.application")
    root = UserFactory(username="root", is_superuser=True)
    client.force_login(root)

    pages = {
        reverse("admin:casework_application_change", args=[app.pk]): [
            "(submitted → under examination)",
            "refugee status (Refugee Convention)",
            "Interview scheduled",
        ],
        reverse("admin:casework_auditevent_changelist"): ["Work permit granted", "accepted"],
        reverse("admin:integration_workpermit_change", args=[permit.pk]): [
            "Work permit granted",
        ],
        reverse("admin:integration_familyreunification_change", args=[family.pk]): [
            "refugee status (Refugee Convention)",
        ],
        reverse("admin:casework_accesslog_changelist"): ["Application"],
    }
    for url, words in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        assert CODE.findall(text) == [], url
        for word in words:
            assert word in text, (url, word)
