"""Demo reception data: centres of each type, the demo reception officer, placements, quotas.

Run after ``seed_demo`` (which creates the demo users and people, and, in its bulk part,
the centres across the counties with tens of thousands of placements and settlements: see
``reception/demo.py``). This command links the demo reception officer to the demo centres and
places the few hand-made demo people through the services, so that part of the demo obeys
the same rules as real data. Idempotent: centres are matched by name, and people are placed
only if they have no placement yet.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from casework.applications.choices import ApplicationKind
from casework.models import Person, TbScreening
from casework.vulnerability.services import tb_screening_record
from reception import services
from reception.demo import ensure_centres
from reception.exceptions import CentreFull, PlacementConflict, PlacementInvalid
from reception.models import (
    CentreStaff,
    Municipality,
    MunicipalityQuota,
    Placement,
    ReceptionCentre,
)

# (municipality, places) for the current year, where the bulk demo has set none
DEMO_QUOTAS = [("Oslo", 1500), ("Bergen", 900), ("Trondheim", 650), ("Bodø", 180), ("Råde", 30)]


class Command(BaseCommand):
    help = "Create demo reception centres, link the demo reception officer, place demo people."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            centres = ensure_centres(only_demo=True)
            officer = get_user_model().objects.filter(username="reception").first()
            if officer is not None:
                for centre in centres:
                    CentreStaff.objects.get_or_create(centre=centre, user=officer)
            year = timezone.localdate().year
            for name, places in DEMO_QUOTAS:
                MunicipalityQuota.objects.get_or_create(
                    municipality=Municipality.objects.get(name=name),
                    year=year,
                    defaults={"places": places},
                )
            placed = self._place(officer, centres) if officer is not None else 0
            # Arrival opened their tuberculosis screenings; the centre records some results.
            screened = self._screen(officer) if officer is not None else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"demo centres ready ({len(centres)}); people placed: {placed}; "
                f"tuberculosis screenings recorded: {screened}"
            )
        )

    def _place(self, officer, centres: list[ReceptionCentre]) -> int:
        """The hand-made demo people (not the bulk ones, who have their placements): newcomers
        to the arrival centre, the others to an ordinary or minors' centre."""
        by_kind = {c.kind: c for c in centres}
        full: set[str] = set()
        today = timezone.localdate()
        placed = 0
        # applicants in Norway (family members abroad have no application of their own);
        # resettlement refugees are settled in a municipality directly, never in reception
        people = (
            Person.objects.filter(is_demo=True, applications__isnull=False)
            .exclude(applications__external_id__startswith="demo:")
            .exclude(applications__kind=ApplicationKind.RESETTLEMENT)
            .exclude(pk__in=Placement.objects.values("person_id"))
            .distinct()
        )
        for i, person in enumerate(people.order_by("pk").iterator()):
            if full >= {"minors", "arrival", "ordinary"}:
                break
            age = person.age_on(today)
            if person.unaccompanied_minor or age < 18:
                kind = "minors"
            else:
                kind = "arrival" if i % 3 == 0 else "ordinary"
                if kind in full:
                    kind = ({"arrival", "ordinary"} - {kind}).pop()
            if kind in full:
                continue
            centre = by_kind[kind]
            start = today - dt.timedelta(days=5 if centre.kind == "arrival" else 40 + i % 300)
            try:
                services.placement_create(actor=officer, person=person, centre=centre, start=start)
            except CentreFull:
                full.add(kind)
                continue
            except (PlacementConflict, PlacementInvalid):
                continue
            placed += 1
        return placed

    def _screen(self, officer) -> int:
        """Results for the pending tuberculosis screenings of demo people who arrived a week
        ago or more (one in four referred to a specialist); the newest stay pending."""
        today = timezone.localdate()
        pending = TbScreening.objects.filter(
            screened_on=None, arrived_on__lte=today - dt.timedelta(days=7), person__is_demo=True
        ).order_by("pk")
        done = 0
        for i, screening in enumerate(pending[:6]):
            tb_screening_record(
                actor=officer,
                screening=screening,
                screened_on=min(screening.arrived_on + dt.timedelta(days=6 + i), today),
                result="referred" if i % 4 == 3 else "negative",
            )
            done += 1
        return done
