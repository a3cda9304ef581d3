"""Every role against every service the admin's forms call for reference data, documents and
household links: the roles that may, may (and leave an audit event); every other is refused
and leaves no trace. The superuser may do each (``test_admin_writes``)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.exceptions import PermissionDenied

from casework.models import AuditEvent, HouseholdLink
from casework.people.services import (
    household_link_add,
    household_link_remove,
    identity_document_add,
    identity_document_remove,
    identity_document_update,
)
from casework.staff.services import (
    staff_profile_create,
    staff_profile_update,
    unit_create,
    unit_update,
)
from integration import services as integration_services
from integration.models import MunicipalityOfficer
from reception import services as reception_services
from tests.factories import IdentityDocumentFactory, PersonFactory, UnitFactory, UserFactory
from tests.integration.factories import municipality_named
from tests.reception.factories import (
    CentreStaffFactory,
    MunicipalityQuotaFactory,
    ReceptionCentreFactory,
)

pytestmark = pytest.mark.django_db

YEARS = itertools.count(2031)  # one quota a municipality a year


def _link(actor):
    link = HouseholdLink.objects.create(
        person=PersonFactory(), relative=PersonFactory(), relation="child"
    )
    return household_link_remove(actor=actor, link=link)


def _officer(actor):
    officer = MunicipalityOfficer.objects.create(
        user=UserFactory(), municipality=municipality_named("Bergen")
    )
    return integration_services.municipality_officer_remove(actor=actor, officer=officer)


# service -> (a call of it as ``actor``, the roles whose groups hold its permission)
CALLS = {
    "identity_document_add": (
        lambda actor: identity_document_add(
            actor=actor, person=PersonFactory(), kind="passport", number="N1"
        ),
        {"caseworker", "registrar", "outsider"},
    ),
    "identity_document_update": (
        lambda actor: identity_document_update(
            actor=actor, document=IdentityDocumentFactory(), verified=True
        ),
        {"caseworker", "outsider"},
    ),
    "identity_document_remove": (
        lambda actor: identity_document_remove(actor=actor, document=IdentityDocumentFactory()),
        set(),
    ),
    "household_link_add": (
        lambda actor: household_link_add(
            actor=actor, person=PersonFactory(), relative=PersonFactory(), relation="spouse"
        ),
        {"caseworker", "outsider"},
    ),
    "household_link_remove": (_link, set()),
    "unit_create": (lambda actor: unit_create(actor=actor, code="x", name="X"), set()),
    "unit_update": (
        lambda actor: unit_update(actor=actor, unit=UnitFactory(), name="Y"),
        set(),
    ),
    "staff_profile_create": (
        lambda actor: staff_profile_create(actor=actor, user=UserFactory()),
        set(),
    ),
    "staff_profile_update": (
        lambda actor: staff_profile_update(actor=actor, profile=actor.staff_profile, language="en"),
        set(),
    ),
    "centre_create": (
        lambda actor: reception_services.centre_create(
            actor=actor,
            name="New",
            kind="ordinary",
            operator_kind="municipal",
            operator_name="Bergen kommune",
            municipality=municipality_named("Bergen"),
            capacity=5,
            opened_on=dt.date(2024, 1, 1),
        ),
        set(),
    ),
    "centre_update": (
        lambda actor: reception_services.centre_update(
            actor=actor, centre=ReceptionCentreFactory(), capacity=20
        ),
        set(),
    ),
    "centre_staff_add": (
        lambda actor: reception_services.centre_staff_add(
            actor=actor, centre=ReceptionCentreFactory(), user=UserFactory()
        ),
        set(),
    ),
    "centre_staff_remove": (
        lambda actor: reception_services.centre_staff_remove(
            actor=actor, centre_staff=CentreStaffFactory(user=UserFactory())
        ),
        set(),
    ),
    "municipality_quota_create": (
        lambda actor: reception_services.municipality_quota_create(
            actor=actor, municipality=municipality_named("Oslo"), year=2031, places=5
        ),
        set(),
    ),
    "municipality_quota_update": (
        lambda actor: reception_services.municipality_quota_update(
            actor=actor, quota=MunicipalityQuotaFactory(year=next(YEARS)), places=7
        ),
        set(),
    ),
    "municipality_officer_add": (
        lambda actor: integration_services.municipality_officer_add(
            actor=actor, user=UserFactory(), municipality=municipality_named("Oslo")
        ),
        set(),
    ),
    "municipality_officer_remove": (_officer, set()),
}


@pytest.mark.parametrize("service", sorted(CALLS))
def test_each_role_may_do_what_its_group_may_and_nothing_else(service, role_users):
    call, allowed = CALLS[service]
    for role, user in role_users.items():
        before = AuditEvent.objects.count()
        if role in allowed:
            call(user)
            assert AuditEvent.objects.count() == before + 1, (service, role)
        else:
            with pytest.raises(PermissionDenied):
                call(user)
            assert AuditEvent.objects.count() == before, (service, role)
