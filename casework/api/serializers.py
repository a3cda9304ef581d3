"""Representations of casework records in the API, and the inputs of its writes.

Special-category personal data (GDPR art. 9: health needs, the grounds of a decision, the
reasons in the case history) is in a response only for the roles whose work needs it
(``SPECIAL_CATEGORY_ROLES``); other roles get the same shape without those fields.
"""

from __future__ import annotations

import copy
import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.serializer_fields import CountryField
from rest_framework import serializers

from casework.api.fields import (
    IsoDateTimeField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictPrimaryKeyRelatedField,
)
from casework.applications.choices import ApplicationKind, Track
from casework.applications.models import Application, Decision, Interview
from casework.audit.models import AuditEvent
from casework.deadlines.models import Reminder
from casework.people.choices import DatePrecision, Sex
from casework.people.models import Person
from casework.privacy.scopes import people_visible_to
from casework.staff.choices import Role
from casework.staff.models import Unit
from casework.staff.roles import has_role
from casework.staff.users import AnyUser

SPECIAL_CATEGORY_ROLES = (Role.CASEWORKER, Role.DECISION_MAKER, Role.APPEALS, Role.LAWYER)


def sees_special_categories(user: AnyUser | None) -> bool:
    """Whether ``user``'s work needs health data and decision grounds (the caseworking roles)."""
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_superuser or has_role(user, *SPECIAL_CATEGORY_ROLES))
    )


class SpecialCategoryMixin:
    """Drops ``special_category_fields`` from the representation for roles that need none.

    The schema always shows them (as optional), so one client serves every role.
    """

    special_category_fields: tuple[str, ...] = ()

    def get_fields(self) -> dict:
        # ``ModelSerializer`` introspects the model and builds every field anew for each
        # serializer, that is each request; the result depends on the class alone, so it is
        # built once per class and deep-copied (as DRF copies declared fields) thereafter.
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()  # type: ignore[misc]
            type(self)._built_fields = built  # type: ignore[attr-defined]
        fields = copy.deepcopy(built)
        view = self.context.get("view")  # type: ignore[attr-defined]
        if getattr(view, "swagger_fake_view", False):
            return fields
        request = self.context.get("request")  # type: ignore[attr-defined]
        if not sees_special_categories(getattr(request, "user", None)):
            for name in self.special_category_fields:
                fields.pop(name, None)
        return fields


# --- People ---------------------------------------------------------------------------------


class PersonSerializer(SpecialCategoryMixin, StrictModelSerializer):
    """A person. Create with ``given_name, family_name, date_of_birth, nationality, sex``."""

    special_category_fields = ("health_needs",)
    nationality = CountryField(
        allow_blank=True, help_text="ISO 3166-1 alpha-2; empty for a stateless person."
    )
    sex = serializers.ChoiceField(choices=Sex.choices)
    dob_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)

    class Meta:
        model = Person
        fields = [
            "id",
            "registration_number",
            "given_name",
            "family_name",
            "name_in_document",
            "date_of_birth",
            "dob_precision",
            "sex",
            "nationality",
            "stateless",
            "languages",
            "preferred_language",
            "interpreter_language",
            "interpreter_dialect",
            "interpreter_gender",
            "email",
            "phone",
            "unaccompanied_minor",
            "health_needs",
            "created_at",
        ]
        read_only_fields = ["id", "registration_number", "stateless", "created_at"]
        extra_kwargs = {
            "given_name": {"allow_blank": False},
            "family_name": {"allow_blank": False},
            "health_needs": {"required": False},
        }

    def validate_date_of_birth(self, value: dt.date) -> dt.date:
        if value > timezone.localdate():
            raise serializers.ValidationError(_("The date of birth cannot be in the future."))
        if value.year < 1900:
            raise serializers.ValidationError(_("Check the year of birth."))
        return value


# --- Applications ---------------------------------------------------------------------------


class ApplicationSerializer(SpecialCategoryMixin, StrictModelSerializer):
    """An asylum application. ``state`` changes only through the transitions."""

    special_category_fields = ("interview_waived_reason",)
    registration_number = serializers.CharField(source="person.registration_number", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            "person",
            "registration_number",
            "kind",
            "track",
            "state",
            "unit",
            "assigned_to",
            "lodged_on",
            "interview_held_at",
            "interview_waived_reason",
            "decided_at",
            "notified_at",
            "appeal_deadline",
            "appealed_at",
            "is_final",
            "hold_review_on",
            "reversal_requested_at",
            "next_deadline",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ApplicationCreateSerializer(serializers.Serializer):
    """Lodge an application for a registered person."""

    person = StrictPrimaryKeyRelatedField(queryset=Person.objects.none())
    kind = serializers.ChoiceField(choices=ApplicationKind.choices)
    track = serializers.ChoiceField(choices=Track.choices, required=False, default=Track.NORMAL)
    unit = StrictPrimaryKeyRelatedField(
        queryset=Unit.objects.all(),
        required=False,
        help_text=_(
            "The unit the case goes to. Default: your own unit. Another unit only if you "
            "route cases (police registration), else 403; required if you belong to no unit."
        ),
    )

    def get_fields(self) -> dict:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            # A person the user may not see is "not found", exactly like a wrong id.
            person = fields["person"]
            assert isinstance(person, serializers.PrimaryKeyRelatedField)
            person.queryset = people_visible_to(request.user)
        return fields


class ApplicationRouteSerializer(serializers.Serializer):
    """Move the case to another unit."""

    unit = StrictPrimaryKeyRelatedField(queryset=Unit.objects.all())
    reason = serializers.CharField(
        max_length=2000, help_text=_("Why the case moves (recorded in its history).")
    )


class ApplicationUpdateSerializer(serializers.Serializer):
    """Assign the case to a caseworker (null to unassign)."""

    assigned_to = StrictPrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(groups__name=Role.CASEWORKER, is_active=True),
        allow_null=True,
    )


# --- Interviews, decisions, events, reminders -----------------------------------------------


class InterviewSerializer(StrictModelSerializer):
    class Meta:
        model = Interview
        fields = [
            "id",
            "application",
            "scheduled_at",
            "location",
            "language",
            "interpreter",
            "lawyer_present",
            "lawyer",
            "representative",
            "held_at",
            "cancelled",
        ]
        read_only_fields = ["id", "application", "lawyer", "representative", "held_at", "cancelled"]
        extra_kwargs = {"location": {"allow_blank": False}, "language": {"allow_blank": False}}


class InterviewHeldSerializer(serializers.Serializer):
    """Record that the interview was held (the decision may then be made)."""

    held_at = IsoDateTimeField(required=False)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        help_text=(
            "Needed when an interpreter booked for the interview has not confirmed: why it "
            "was held all the same."
        ),
    )

    def validate_held_at(self, value: dt.datetime) -> dt.datetime:
        if value > timezone.now() + dt.timedelta(minutes=5):
            raise serializers.ValidationError(_("An interview cannot be held in the future."))
        return value


class InterviewAttendanceSerializer(serializers.Serializer):
    """Who attended the interview beside the applicant (from the register)."""

    lawyer_present = serializers.BooleanField()
    representative_present = serializers.BooleanField()


class InterviewWaiverSerializer(serializers.Serializer):
    """Waive the asylum interview: the decision may then be made without it."""

    reason = serializers.CharField(
        max_length=5000,
        help_text=_("Why the applicant is not interviewed (recorded in the case's history)."),
    )


class UnitSerializer(serializers.Serializer):
    id = StrictIntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class MeSerializer(serializers.Serializer):
    """Who the request is made as: a client learns its own user id (to assign a case to
    itself) and what its roles and unit let it do."""

    id = StrictIntegerField()
    username = serializers.CharField()
    name = serializers.CharField(help_text=_("Full name, or the username when none is set."))
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices),
        help_text=_("The staff roles (groups) of the user."),
    )
    is_superuser = serializers.BooleanField()
    unit = UnitSerializer(allow_null=True, help_text=_("The office the user works in."))


class DecisionSerializer(SpecialCategoryMixin, StrictModelSerializer):
    special_category_fields = ("grounds",)

    class Meta:
        model = Decision
        fields = [
            "id",
            "application",
            "instance",
            "outcome",
            "grounds",
            "manifestly_unfounded",
            "permit_type",
            "permit_months",
            "decided_by",
            "decided_at",
            "notified_at",
            "notification_channel",
            "notification_receipt",
            "notification_confirmed_by",
            "notification_recorded_by",
            "notification_lawyer",
        ]
        read_only_fields = fields


class AuditEventSerializer(SpecialCategoryMixin, StrictModelSerializer):
    special_category_fields = ("reason", "changes")

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "application",
            "actor",
            "at",
            "action",
            "source_state",
            "target_state",
            "reason",
            "changes",
        ]
        read_only_fields = fields


class ReminderSerializer(StrictModelSerializer):
    # A field named like DRF's ``Field.source``: the response's key, so the clash is meant.
    source = serializers.CharField(source="deadline.source", read_only=True)  # type: ignore[assignment]
    due_at = IsoDateTimeField(source="deadline.due_at", read_only=True)
    application = StrictIntegerField(
        source="deadline.application_id", read_only=True, allow_null=True
    )

    class Meta:
        model = Reminder
        fields = [
            "id",
            "source",
            "due_at",
            "application",
            "kind",
            "channel",
            "status",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        style={"input_type": "password"}, trim_whitespace=False, max_length=4096
    )
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=16,
        help_text="Current code of the authenticator app, or an unused backup code: required "
        "for accounts that use two-factor sign-in.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
