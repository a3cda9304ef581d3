"""Demo interpreters and bookings (``seed_demo``): the register in the status pages' nine
languages with their dialects, and interpreters booked for the demo interviews to come.

Idempotent: the register is made once (its demo rows are marked ``is_demo``); an interview
that already has a booking is not booked again. Bookings go through ``booking_request``, so
they keep the no-overlap rule; about two in three are confirmed, the rest wait for the
interpreter, as on a real calendar.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from casework.applications.models import Interview
from casework.core.exceptions import TransitionConflict
from casework.interpreters.models import Interpreter, InterpreterBooking
from casework.interpreters.selectors import interpreters_for
from casework.interpreters.services import (
    BookingOverlap,
    booking_request,
    booking_transition,
    interpreter_register,
)
from casework.staff.users import AnyUser

# (name, gender, region, remote, [(language, category, dialects)]): the status pages speak
# nb, en, uk, ar, fa, ps, ti, so and ru; an interpreter is booked for the language the
# applicant speaks (Dari or Persian for "fa"; Norwegian Sign Language for a deaf applicant).
REGISTER: list[tuple[str, str, str, bool, list[tuple[str, str, str]]]] = [
    ("Farid Ahmadi", "male", "Oslo", False, [("prs", "A", "Kabuli, Herati"), ("fas", "C", "")]),
    ("Zahra Karimi", "female", "Oslo", False, [("prs", "B", "Herati, Hazaragi")]),
    ("Maryam Hosseini", "female", "Trondheim", True, [("fas", "A", "Tehrani, Isfahani")]),
    ("Gulalai Wardak", "female", "Oslo", False, [("pus", "B", "Kandahari, Yusufzai")]),
    ("Najib Safi", "male", "Bergen", True, [("pus", "D", "Yusufzai"), ("prs", "E", "Kabuli")]),
    ("Rami Khoury", "male", "Oslo", False, [("ara", "A", "Levantine (Syrian), Iraqi")]),
    ("Huda Mahmoud", "female", "Oslo", False, [("ara", "C", "Sudanese, Egyptian")]),
    ("Selam Tesfay", "female", "Oslo", False, [("tir", "B", "Eritrean (Asmara)")]),
    ("Yohannes Gebru", "male", "Trondheim", True, [("tir", "D", "Ethiopian (Tigray)")]),
    ("Hawa Mohamed", "female", "Bergen", False, [("som", "B", "Maxaa tiri (Northern), Maay")]),
    ("Abdi Warsame", "male", "Oslo", False, [("som", "E", "Benadiri")]),
    ("Oksana Melnyk", "female", "Oslo", False, [("ukr", "A", "")]),
    ("Sergei Ivanov", "male", "Oslo", True, [("rus", "A", ""), ("ukr", "C", "Surzhyk")]),
    ("Natalia Petrova", "female", "Trondheim", False, [("rus", "B", "")]),
    ("Grace Mensah", "female", "Oslo", True, [("eng", "A", "Nigerian English"), ("fra", "C", "")]),
    ("Ingrid Dahl", "female", "Oslo", False, [("nsl", "A", "")]),
]

BOOKING_WINDOW = dt.timedelta(days=21)
MAX_BOOKINGS = 80


def interpreters_seed(*, actor: AnyUser) -> int:
    """The demo register, once. Returns how many interpreters were added."""
    if Interpreter.objects.filter(is_demo=True).exists():
        return 0
    added = 0
    with transaction.atomic():
        for name, gender, region, remote, languages in REGISTER:
            interpreter = interpreter_register(
                actor=actor,
                name=name,
                gender=gender,
                region=region,
                remote=remote,
                email=f"{name.split()[0].lower()}@interpreters.invalid",
                languages=[
                    {"language": code, "qualification": category, "dialects": dialects}
                    for code, category, dialects in languages
                ],
            )
            Interpreter.objects.filter(pk=interpreter.pk).update(is_demo=True)
            added += 1
    return added


def bookings_seed(*, actor: AnyUser, seed: int = 2026) -> int:
    """Book interpreters for the demo interviews of the next three weeks that have none yet
    (at most ``MAX_BOOKINGS``), the best fit free at that time; confirm about two in three.
    Returns how many were booked."""
    rng = random.Random(seed)
    now = timezone.now()
    interviews = list(
        Interview.objects.filter(
            scheduled_at__gte=now,
            scheduled_at__lt=now + BOOKING_WINDOW,
            held_at=None,
            cancelled=False,
            interpreter=True,
            interpreter_bookings__isnull=True,
        )
        .select_related("application__person")
        .order_by("scheduled_at", "id")[:MAX_BOOKINGS]
    )
    booked = 0
    for interview in interviews:
        person: Any = interview.application.person
        language = person.interpreter_language or interview.language
        for candidate in interpreters_for(
            language=language,
            dialect=person.interpreter_dialect,
            gender=person.interpreter_gender,
            starts_at=interview.scheduled_at,
            ends_at=interview.scheduled_at + dt.timedelta(hours=3),
        ):
            if not candidate.free:
                break
            dialect = person.interpreter_dialect or (
                candidate.dialects[0] if candidate.dialects else ""
            )
            try:
                booking = booking_request(
                    actor=actor,
                    interpreter=candidate.interpreter,
                    interview=interview,
                    language=language,
                    dialect=dialect,
                )
            except (BookingOverlap, TransitionConflict):
                continue
            if rng.random() < 0.66:
                booking_transition(actor=actor, booking=booking, name="confirm")
            booked += 1
            break
    return booked


def demo_counts() -> dict[str, int]:
    return {
        "interpreters": Interpreter.objects.filter(is_demo=True).count(),
        "bookings": InterpreterBooking.objects.count(),
    }
