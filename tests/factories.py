"""factory-boy factories for every model, so tests build what they need in one line."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from casework.models import (
    Application,
    AuditEvent,
    Deadline,
    Decision,
    IdentityDocument,
    Interpreter,
    InterpreterBooking,
    InterpreterLanguage,
    Interview,
    Person,
    Reminder,
    StaffProfile,
    Unit,
)
from casework.people.identity import name_key, new_registration_number


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"unit{n}")
    name = factory.LazyAttribute(lambda o: f"Unit {o.code}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@casework.invalid")
    is_staff = True
    password = factory.django.Password("Correct-Horse-42")


def staff_user(*, username: str, role: str | None, unit: Unit | None):
    user = UserFactory(username=username)
    if role:
        user.groups.add(Group.objects.get(name=role))
    StaffProfile.objects.update_or_create(user=user, defaults={"unit": unit})
    return user


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=70)
    sex = "female"
    nationality = "SY"
    preferred_language = "ar"
    email = factory.Sequence(lambda n: f"applicant{n}@example.invalid")
    registration_number = factory.LazyFunction(lambda: new_registration_number(2024))
    name_key = factory.LazyAttribute(lambda o: name_key(o.given_name, o.family_name))


class ApplicationFactory(factory.django.DjangoModelFactory):
    """An application; pass ``state=`` to start it in any state (test set-up only)."""

    class Meta:
        model = Application

    person = factory.SubFactory(PersonFactory)
    kind = "protection"
    track = "normal"
    lodged_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    # Every case has a unit (the role fixtures' "oslo"); pass ``unit=None`` for one without.
    unit = factory.LazyFunction(lambda: Unit.objects.filter(code="oslo").first())

    @classmethod
    def _create(cls, model_class, *args, state: str | None = None, **kwargs):
        obj = super()._create(model_class, *args, **kwargs)
        if state:
            # Test set-up only: production code changes state through transitions alone.
            model_class.objects.filter(pk=obj.pk).update(state=state)
            obj.refresh_from_db()
        return obj


class InterviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interview

    application = factory.SubFactory(ApplicationFactory)
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    location = "UDI, Oslo"
    language = "ara"


class InterpreterFactory(factory.django.DjangoModelFactory):
    """An interpreter of the register, of Dari (category A) unless told otherwise."""

    class Meta:
        model = Interpreter
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Interpreter {n}")
    gender = "female"
    region = "Oslo"
    language = factory.RelatedFactory(
        "tests.factories.InterpreterLanguageFactory", factory_related_name="interpreter"
    )


class InterpreterLanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InterpreterLanguage

    language = "prs"
    qualification = "A"


class InterpreterBookingFactory(factory.django.DjangoModelFactory):
    """A requested booking for an interview, written as a row (tests only; the service
    ``booking_request`` is the writer)."""

    class Meta:
        model = InterpreterBooking

    interpreter = factory.SubFactory(InterpreterFactory)
    interview = factory.SubFactory("tests.factories.InterviewFactory")
    application = factory.LazyAttribute(lambda o: o.interview.application)
    kind = "interview"
    starts_at = factory.LazyAttribute(lambda o: o.interview.scheduled_at)
    ends_at = factory.LazyAttribute(lambda o: o.interview.scheduled_at + dt.timedelta(hours=3))
    location = factory.LazyAttribute(lambda o: o.interview.location)
    language = "prs"


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Decision

    application = factory.SubFactory(ApplicationFactory)
    instance = "first"
    outcome = "refugee_convention"
    grounds = "Well-founded fear of persecution."


class IdentityDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdentityDocument

    person = factory.SubFactory(PersonFactory)
    kind = "passport"
    number = factory.Sequence(lambda n: f"N{n:08d}")


class DeadlineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deadline

    source = "casework.appeal"
    object_id = factory.Sequence(lambda n: n + 1)
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=3))
    remind_from = factory.LazyAttribute(lambda o: o.due_at - dt.timedelta(days=5))


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reminder

    deadline = factory.SubFactory(DeadlineFactory)
    recipient = "user:1"
    channel = "email"


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    action = "note"


def deliver(application, *, by, at=None, channel="lawyer", confirmed_by="The lawyer, by phone."):
    """Record, as the caseworker ``by``, that the case's decision reached the applicant or
    their lawyer at ``at`` (default: now): the appeal deadline starts running."""
    from django.utils import timezone

    from casework.applications.services import decision_notification_record

    return decision_notification_record(
        application,
        actor=by,
        notified_at=at or timezone.now(),
        channel=channel,
        confirmed_by=confirmed_by,
    )
