"""Demo reception data: centres of each type, the demo reception officer, placements, quotas.

Run after ``seed_demo`` (which creates the demo users and people). Idempotent: centres are
matched by name, and demo people are placed only if they have no placement yet. Placements go
through the services, so the demo data obeys the same rules as real data.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from casework.models import Person
from reception import services
from reception.exceptions import CentreFull, PlacementConflict, PlacementInvalid
from reception.models import (
    CentreStaff,
    Municipality,
    MunicipalityQuota,
    Placement,
    ReceptionCentre,
)

# (name, kind, operator kind, operator, municipality, beds)
DEMO_CENTRES = [
    ("Nasjonalt ankomstsenter Råde", "arrival", "municipal", "Råde kommune", "Råde", 300),
    ("Fredrikstad transit", "transit", "non_profit", "Norsk Folkehjelp", "Fredrikstad", 120),
    ("Bergen mottak", "ordinary", "private", "Hero Norge", "Bergen", 150),
    (
        "Trondheim integreringsmottak",
        "integration",
        "municipal",
        "Trondheim kommune",
        "Trondheim",
        60,
    ),
    ("Drammen EMA-mottak", "minors", "non_profit", "Frelsesarmeen", "Drammen", 25),
    (
        "Tromsø tilrettelagt avdeling",
        "customised_care",
        "municipal",
        "Tromsø kommune",
        "Tromsø",
        20,
    ),
]
# (municipality, places) for the current year
DEMO_QUOTAS = [("Oslo", 1500), ("Bergen", 900), ("Trondheim", 650), ("Bodø", 180), ("Råde", 30)]


class Command(BaseCommand):
    help = "Create demo reception centres, link the demo reception officer, place demo people."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            centres = self._centres()
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
        self.stdout.write(
            self.style.SUCCESS(f"demo centres ready ({len(centres)}); people placed: {placed}")
        )

    def _centres(self) -> list[ReceptionCentre]:
        centres = []
        for name, kind, operator_kind, operator, municipality, beds in DEMO_CENTRES:
            centre, _ = ReceptionCentre.objects.get_or_create(
                name=name,
                defaults={
                    "kind": kind,
                    "operator_kind": operator_kind,
                    "operator_name": operator,
                    "municipality": Municipality.objects.get(name=municipality),
                    "capacity": beds,
                    "opened_on": dt.date(2020, 1, 1),
                },
            )
            centres.append(centre)
        return centres

    def _place(self, officer, centres: list[ReceptionCentre]) -> int:  # noqa: ANN001
        """Newcomers to the arrival centre, the others to an ordinary or minors' centre.

        Stops once the three centres are full: the bulk demo data has tens of thousands of
        people, far more than the demo centres' beds, and trying each would take minutes.
        """
        by_kind = {c.kind: c for c in centres}
        full: set[str] = set()
        today = timezone.localdate()
        placed = 0
        people = Person.objects.filter(is_demo=True).exclude(
            pk__in=Placement.objects.values("person_id")
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
