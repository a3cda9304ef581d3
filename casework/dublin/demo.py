"""Demo Dublin cases, one in each stage, in a demo Dublin unit with its own caseworker and
decision-maker (``dublin`` and ``dublin-decider``): a request to be sent, one awaiting the
answer, one accepted by silence, one refused with re-examination asked, two under appeal
with a request to stay (one awaiting the appeals body, one granted), one transferred by the
police, and one whose transfer period passed so that Norway examines it on its merits.

Everything is written through the services, with dates in the past where the stage needs
them; the sweep (``dublin_deadlines_sweep``) then makes silence acceptance and the passed
transfer period Norway's responsibility, as it does in production. Run once: a second run
finds the demo requests and does nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from casework.applications.choices import ApplicationKind, NotificationChannel, Track
from casework.applications.models import Application
from casework.applications.services import (
    application_appeal,
    application_assign,
    application_decide,
    application_lodge,
    application_start_examination,
    decision_notification_record,
    interview_record_held,
    interview_schedule,
)
from casework.dublin.models import DublinRequest, DublinStayRequest
from casework.dublin.services import (
    dublin_deadlines_sweep,
    dublin_request_prepare,
    dublin_request_transition,
    dublin_stay_lodge,
    dublin_stay_transition,
)
from casework.people.models import Person
from casework.people.services import person_register
from casework.staff.choices import Role
from casework.staff.models import StaffProfile, Unit

# (given name, family name, birth date, nationality, language, stage)
DEMO_CASES = [
    ("Samir", "Khalil", "1993-05-04", "SY", "ar", "prepared"),
    ("Farid", "Noori", "1996-02-11", "AF", "fa", "sent"),
    ("Abdi", "Hassan", "1989-08-30", "SO", "so", "silence"),
    ("Tesfay", "Gebre", "1994-12-01", "ER", "ti", "refused"),
    ("Karim", "Mansour", "1990-03-17", "IQ", "ar", "stay"),
    ("Zahra", "Ahmadi", "1999-07-09", "AF", "fa", "stay_granted"),
    ("Omar", "Haidari", "1992-10-25", "AF", "ps", "transferred"),
    ("Bilal", "Rashid", "1987-01-19", "SY", "ar", "lapsed"),
]

# Days before today: (lodged, request sent, answered). Each request is sent within its period
# under the rules of its day: the AMMR's for cases lodged from 12 June 2026, Dublin III's for
# the case whose transfer period passed.
DAYS = {
    "prepared": (20, None, None),
    "sent": (40, 10, None),
    "silence": (60, 50, None),
    "refused": (60, 30, 5),
    "stay": (90, 70, 60),
    "stay_granted": (95, 75, 35),
    "transferred": (120, 100, 60),
    "lapsed": (300, 290, 250),
}

STATES = {"silence": "DK", "refused": "DE", "transferred": "SE", "lapsed": "IT"}


def _staff(username: str, role: Role, unit: Unit, first: str, last: str) -> Any:
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@casework.invalid",
            "is_staff": True,
        },
    )
    if created:
        user.set_password(settings.DEMO_PASSWORD)
        user.save()
    user.groups.add(Group.objects.get(name=role.value))
    StaffProfile.objects.update_or_create(user=user, defaults={"unit": unit})
    return user


def dublin_seed(*, users: dict[str, Any]) -> int:
    """Create the demo Dublin unit, its two users and a case in each stage; returns how many
    cases were made (none when they exist)."""
    unit, _created = Unit.objects.get_or_create(
        code="dublin", defaults={"name": "Dublin unit (demo)"}
    )
    officer = _staff("dublin", Role.CASEWORKER, unit, "Mona", "Dahl")
    decider = _staff("dublin-decider", Role.DECISION_MAKER, unit, "Knut", "Lie")
    users.update({"dublin": officer, "dublin-decider": decider})
    if DublinRequest.objects.filter(is_demo=True).exists():
        return 0
    registrar, police, appeals = users["registrar"], users["registrar"], users["appeals"]
    now = timezone.now()
    today = timezone.localdate()
    made = 0
    for i, (given, family, born, nat, lang, stage) in enumerate(DEMO_CASES):
        lodged, sent, answered = DAYS[stage]
        person = person_register(
            actor=registrar,
            given_name=given,
            family_name=family,
            date_of_birth=dt.date.fromisoformat(born),
            sex="male" if i != 5 else "female",
            nationality=nat,
            preferred_language=lang,
            email=f"dublin{i}@example.invalid",
        )
        Person.objects.filter(pk=person.pk).update(is_demo=True)
        app = application_lodge(
            actor=registrar,
            person=person,
            kind=ApplicationKind.PROTECTION,
            track=Track.DUBLIN,
            unit=unit,
            lodged_on=today - dt.timedelta(days=lodged),
        )
        Application.objects.filter(pk=app.pk).update(is_demo=True)
        app = application_assign(actor=officer, application=app, assignee=officer)
        app = application_start_examination(actor=officer, application=app)
        hit = today - dt.timedelta(days=58) if stage == "silence" else None
        request = dublin_request_prepare(
            actor=officer,
            application=app,
            member_state=STATES.get(stage, "DE" if i % 2 else "GR"),
            kind="take_back" if stage in ("silence", "stay") else "take_charge",
            legal_ground="art_18_1_b" if stage in ("silence", "stay") else "art_13",
            eurodac_hit_on=hit,
        )
        made += 1
        if sent is not None:
            request = dublin_request_transition(
                actor=officer, request=request, name="send", sent_at=now - dt.timedelta(days=sent)
            )
        if stage == "refused":
            request = dublin_request_transition(
                actor=officer,
                request=request,
                name="refuse",
                answered_at=now - dt.timedelta(days=answered or 0),
                reason="Demo: no trace of the applicant in our registers.",
            )
            dublin_request_transition(
                actor=officer,
                request=request,
                name="request_reexamination",
                reason="Demo: a copy of the visa issued by the requested state is attached.",
            )
        elif answered is not None:
            request = dublin_request_transition(
                actor=officer,
                request=request,
                name="accept",
                answered_at=now - dt.timedelta(days=answered),
                their_reference=f"DEMO-{nat}-{i:03d}",
            )
        if stage in ("stay", "stay_granted", "transferred"):
            _decide(app, officer, decider, nat, lang)
        if stage in ("stay", "stay_granted"):
            app = Application.objects.get(pk=app.pk)
            app = application_appeal(actor=officer, application=app, lodged_by="the applicant")
            stay = dublin_stay_lodge(actor=officer, application=app)
            if stage == "stay_granted":
                dublin_stay_transition(
                    actor=appeals,
                    stay=stay,
                    name="grant",
                    grounds="Demo: the applicant's health needs to be assessed before travel.",
                )
        if stage == "transferred":
            dublin_request_transition(
                actor=police,
                request=DublinRequest.objects.get(pk=request.pk),
                name="transfer",
                police_reference="PU-DEMO-0007",
            )
    dublin_deadlines_sweep()
    DublinRequest.objects.filter(application__unit=unit).update(is_demo=True)
    DublinStayRequest.objects.filter(application__unit=unit).update(is_demo=True)
    return made


def _decide(app: Application, officer: Any, decider: Any, nat: str, lang: str) -> None:
    """The Dublin decision (utlendingsloven § 32): interview held, decided, delivered by the
    police just now, so the 48 hours to ask to stay are running."""
    from casework.intake import demo_cases

    interview = interview_schedule(
        actor=officer,
        application=app,
        scheduled_at=timezone.now() - dt.timedelta(days=3),
        location="UDI, Dublin unit, Oslo",
        language=demo_cases.spoken(nat, lang),
    )
    interview_record_held(actor=officer, interview=interview)
    app = application_decide(
        actor=decider,
        application=Application.objects.get(pk=app.pk),
        outcome="dublin",
        grounds="Demo: the requested state accepted responsibility (Immigration Act § 32).",
    )
    decision_notification_record(
        app,
        actor=officer,
        notified_at=timezone.now(),
        channel=NotificationChannel.POLICE,
        confirmed_by="Demo: the police officer who handed it over",
    )
