"""Factories for reception: centres, placements, settlement, quotas (geography is migrated)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from reception.models import (
    CentreStaff,
    Municipality,
    MunicipalityQuota,
    Placement,
    ReceptionCentre,
    Settlement,
)
from tests.factories import ApplicationFactory, PersonFactory


def municipality(name: str) -> Municipality:
    """A municipality loaded by the data migration, by name."""
    return Municipality.objects.get(name=name)


class ReceptionCentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReceptionCentre

    name = factory.Sequence(lambda n: f"Centre {n}")
    kind = "ordinary"
    operator_kind = "non_profit"
    operator_name = "Hero Norge"
    municipality = factory.LazyFunction(lambda: municipality("Bergen"))
    capacity = 10
    opened_on = dt.date(2020, 1, 1)


class CentreStaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CentreStaff

    centre = factory.SubFactory(ReceptionCentreFactory)


class PlacementFactory(factory.django.DjangoModelFactory):
    """A placement written directly (test set-up); production code uses the services."""

    class Meta:
        model = Placement

    person = factory.SubFactory(PersonFactory)
    centre = factory.SubFactory(ReceptionCentreFactory)
    start = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=10))


class MunicipalityQuotaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MunicipalityQuota

    municipality = factory.LazyFunction(lambda: municipality("Bergen"))
    year = 2024
    places = 100


class SettlementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Settlement

    application = factory.SubFactory(ApplicationFactory, state="accepted")
    person = factory.LazyAttribute(lambda o: o.application.person)
    municipality = factory.LazyFunction(lambda: municipality("Bergen"))
    settled_on = factory.LazyFunction(timezone.localdate)
