"""Factories for integration records (test set-up only: services are the only writers)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from integration.models import FamilyReunification, WorkPermit
from tests.factories import ApplicationFactory, IdentityDocumentFactory, PersonFactory


def with_state(model_class, obj, state):
    # Test set-up only: production code changes state through transitions alone.
    if state:
        model_class.objects.filter(pk=obj.pk).update(state=state)
        obj.refresh_from_db()
    return obj


def eligible_case(*, unit=None, assigned_to=None, nationality="AF", **kw):
    """An asylum case meeting every § 94 condition: interviewed, identity documented, open."""
    person = PersonFactory(nationality=nationality)
    IdentityDocumentFactory(person=person, kind="passport", verified=True)
    kw.setdefault("state", "examined")
    if unit is not None:
        kw["unit"] = unit
    return ApplicationFactory(
        person=person,
        assigned_to=assigned_to,
        interview_held_at=timezone.now() - dt.timedelta(days=3),
        **kw,
    )


class WorkPermitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkPermit

    application = factory.LazyFunction(eligible_case)
    person = factory.LazyAttribute(lambda o: o.application.person)

    @classmethod
    def _create(cls, model_class, *args, state: str | None = None, **kwargs):
        obj = super()._create(model_class, *args, **kwargs)
        if state == "granted" and obj.valid_until is None:
            today = timezone.localdate()
            model_class.objects.filter(pk=obj.pk).update(
                valid_from=today, valid_until=today + dt.timedelta(days=100)
            )
        return with_state(model_class, obj, state)


class FamilyReunificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FamilyReunification

    sponsor = factory.SubFactory(PersonFactory)
    applicant = factory.SubFactory(PersonFactory)
    sponsor_basis = "residence_permit"
    sponsor_arrived_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=400))
    relation = "child"

    @classmethod
    def _create(cls, model_class, *args, state: str | None = None, **kwargs):
        obj = super()._create(model_class, *args, **kwargs)
        return with_state(model_class, obj, state)


NUMBERS = {"Bergen": "4601", "Oslo": "0301"}


def municipality_named(name: str):
    """A municipality from the data migration; created when a transactional test flushed it."""
    from reception.models import Municipality

    found = Municipality.objects.filter(name=name).first()
    return found or Municipality.objects.create(name=name, number=NUMBERS[name])


def settled(
    *,
    municipality: str = "Bergen",
    born: dt.date = dt.date(1990, 5, 1),
    settled_on: dt.date | None = None,
    kind: str = "protection",
    outcome: str = "refugee_convention",
):
    """A person with an accepted application (decision ``outcome``) settled in ``municipality``."""
    from reception.models import Settlement
    from tests.factories import DecisionFactory

    person = PersonFactory(date_of_birth=born)
    app = ApplicationFactory(person=person, kind=kind, state="accepted")
    DecisionFactory(application=app, outcome=outcome)
    return Settlement.objects.create(
        person=person,
        application=app,
        municipality=municipality_named(municipality),
        settled_on=settled_on or timezone.localdate() - dt.timedelta(days=30),
    )
