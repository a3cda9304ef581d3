"""Admin for people: identity, documents, household links and duplicate flags.

Every save goes through ``casework.people.services`` (audit event, name key, refused fields
read-only), so an edit here is the same as one through the API.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from casework.admin.base import (
    FastListMixin,
    NameSearchMixin,
    ScopedAdminMixin,
    ServiceFormAdminMixin,
    changed_fields,
    formset_writes,
    saved_as,
)
from casework.admin.documents import IdentityDocumentForm, scan_link
from casework.admin.filters import NationalityFilter
from casework.admin.forms import SpokenLanguagesField
from casework.admin.security import PersonPrivacyAdminMixin
from casework.admin.widgets import QuickSelectsMixin
from casework.applications.models import Application
from casework.core.exceptions import TransitionConflict
from casework.people import panels as person_panels
from casework.people.identity import is_valid_registration_number
from casework.people.models import DuplicateFlag, HouseholdLink, IdentityDocument, Person
from casework.people.services import (
    IDENTITY_DOCUMENT_EDITABLE_FIELDS,
    PERSON_EDITABLE_FIELDS,
    duplicate_dismiss,
    duplicate_merge,
    household_link_add,
    household_link_remove,
    identity_document_add,
    identity_document_remove,
    identity_document_update,
    person_register,
    person_update,
)
from casework.privacy.access import AccessLoggedAdminMixin
from casework.privacy.scopes import sees_health_detail
from casework.staff.users import AnyUser


class IdentityDocumentInline(QuickSelectsMixin, ScopedAdminMixin, admin.TabularInline):
    model = IdentityDocument
    form = IdentityDocumentForm
    extra = 0
    fields = ("kind", "number", "issuing_country", "verified", "verified_at", "scan", "scan_link")
    readonly_fields = ("scan_link",)

    @admin.display(description=_("scan on file"))
    def scan_link(self, obj: IdentityDocument) -> str:
        return scan_link(obj)


class HouseholdLinkInline(QuickSelectsMixin, admin.TabularInline):
    """Links are added and removed (``household_link_add``/``_remove``); a wrong link is
    removed and the right one added, so each change is one audit event of its own."""

    model = HouseholdLink
    fk_name = "person"
    extra = 0
    autocomplete_fields = ("relative",)
    verbose_name = _("household link")
    verbose_name_plural = _("household links")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PersonApplicationInline(ScopedAdminMixin, admin.TabularInline):
    model = Application
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("reference", "kind", "track", "state", "lodged_on")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Person)
class PersonAdmin(
    QuickSelectsMixin,
    AccessLoggedAdminMixin,
    PersonPrivacyAdminMixin,
    ScopedAdminMixin,
    ServiceFormAdminMixin,
    NameSearchMixin,
    FastListMixin,
    admin.ModelAdmin,
):
    """People: registered through ``person_register`` (number, duplicate check), corrected
    through ``person_update`` (audit event, name key; django-simple-history keeps the values),
    their documents and household links through their services. Fields the services do not
    change (registration number, external id, merge) are read-only on the change page. A
    person is never deleted here: erasure is the *erase personal data* action."""

    list_display = (
        "registration_number",
        "family_name",
        "given_name",
        "date_of_birth",
        "nationality",
        "unaccompanied_minor",
    )
    list_filter = (NationalityFilter, "unaccompanied_minor", "sex")
    search_fields = ("registration_number", "family_name", "given_name")  # see get_search_results
    ordering = ("-id",)
    readonly_fields = ("registration_number", "merged_into", "created_at")
    inlines = (IdentityDocumentInline, HouseholdLinkInline, PersonApplicationInline)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "registration_number",
                    ("given_name", "family_name"),
                    "name_in_document",
                    ("date_of_birth", "dob_precision"),
                    "sex",
                    ("nationality", "stateless"),
                    "other_nationalities",
                    ("languages", "preferred_language"),
                    ("email", "phone"),
                )
            },
        ),
        (
            _("Interpreter"),
            {"fields": (("interpreter_language", "interpreter_dialect"), "interpreter_gender")},
        ),
        (_("Vulnerabilities"), {"fields": ("unaccompanied_minor", "health_needs")}),
        (_("Record"), {"fields": ("external_id", "merged_into", "created_at")}),
    )

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "languages":  # chosen from the list, not typed as codes
            return SpokenLanguagesField(
                label=capfirst(db_field.verbose_name), required=False, **kwargs
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """A registration number is an exact, indexed match; else the start of the names
        (``name_starts_with``: the name indexes). Not Django's search over ``search_fields``:
        its ``=registration_number`` is ``UPPER(registration_number) = …``, an arm of the
        ``OR`` no index answers, so every search read every person."""
        term = search_term.strip().replace(" ", "")
        if is_valid_registration_number(term):
            return queryset.filter(registration_number=term), False
        if not search_term.strip():
            return queryset, False
        return self.name_search(request, queryset, search_term), False

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        """The person, told who reads the page: a panel's content may depend on it."""
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            setattr(obj, person_panels.VIEWER_ATTRIBUTE, request.user)
        return obj

    # Other apps' read-only panels (``casework.people.panels``): reception's placement, say.
    def _panel_fields(self, request: HttpRequest, obj: Any) -> list:
        if obj is None:
            return []
        return [panel.field for panel in person_panels.panels_for(request.user)]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fixed = [] if obj is None else self._not_editable()
        return [
            *super().get_readonly_fields(request, obj),
            *fixed,
            *self._panel_fields(request, obj),
        ]

    def _not_editable(self) -> list[str]:
        """The form's fields that ``person_update`` refuses to change."""
        return [
            f.name
            for f in Person._meta.concrete_fields
            if f.editable
            and f.name not in PERSON_EDITABLE_FIELDS
            and f.name not in self.readonly_fields
        ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and not sees_health_detail(request.user):
            # The free-text health needs are health data (``scopes.HEALTH_FIELDS``): a
            # reception officer reads the needs' accommodation in the panel instead.
            fieldsets = [
                (name, {**opts, "fields": tuple(f for f in opts["fields"] if f != "health_needs")})
                for name, opts in fieldsets
            ]
        panels = self._panel_fields(request, obj)
        if panels:
            fieldsets.append((_("Other services"), {"fields": tuple(panels)}))
        return fieldsets

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        if change:
            saved = person_update(actor=request.user, person=obj, **changed_fields(form))
            saved_as(obj, saved)
            return
        data = {
            f: form.cleaned_data[f]
            for f in form.cleaned_data
            if f not in ("given_name", "family_name", "date_of_birth", "sex", "nationality")
            and f in {fld.name for fld in Person._meta.concrete_fields}
        }
        created = person_register(
            actor=request.user,
            given_name=form.cleaned_data["given_name"],
            family_name=form.cleaned_data["family_name"],
            date_of_birth=form.cleaned_data["date_of_birth"],
            sex=form.cleaned_data["sex"],
            nationality=str(form.cleaned_data.get("nationality") or ""),
            **data,
        )
        obj.pk = created.pk
        obj.registration_number = created.registration_number
        obj._state.adding = False
        obj._state.db = created._state.db
        if created.duplicate_flags.exists():
            messages.warning(
                request,
                _("This person may already be registered: see the open duplicate flags."),
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Each document or link added, changed or removed is one service call. The person's
        applications are listed read-only: their formset has no row to write (and a write
        there would fail loudly, as there is no writer for it here)."""
        writers = {IdentityDocument: _write_document, HouseholdLink: _write_link}
        for write, row in formset_writes(formset):
            writers[formset.model](request.user, form.instance, write, row)


def _write_document(actor: AnyUser, person: Person, write: str, row: Any) -> None:
    if write == "remove":
        identity_document_remove(actor=actor, document=row.instance)
    elif write == "change":
        identity_document_update(actor=actor, document=row.instance, **changed_fields(row))
    else:
        editable = IDENTITY_DOCUMENT_EDITABLE_FIELDS
        fields = {k: v for k, v in row.cleaned_data.items() if k in editable}
        identity_document_add(actor=actor, person=person, **fields)


def _write_link(actor: AnyUser, person: Person, write: str, row: Any) -> None:
    """Links are added or removed, never changed (the inline's rows are read-only)."""
    if write == "add":
        household_link_add(
            actor=actor,
            person=person,
            relative=row.cleaned_data["relative"],
            relation=row.cleaned_data["relation"],
        )
    elif write == "remove":
        household_link_remove(actor=actor, link=row.instance)
    else:
        raise PermissionDenied


@admin.register(DuplicateFlag)
class DuplicateFlagAdmin(AccessLoggedAdminMixin, ScopedAdminMixin, FastListMixin, admin.ModelAdmin):
    """Intake's duplicate warnings; a caseworker merges or dismisses each (the actions call
    ``duplicate_merge``/``duplicate_dismiss``). A flag is never edited or deleted by hand: it
    is the record that the warning was given and how it was resolved."""

    list_display = ("person", "candidate", "score", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("person", "candidate")
    readonly_fields = ("person", "candidate", "score", "status", "resolved_by", "resolved_at")
    actions = ("merge", "dismiss")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Merge: same person (keeps the older registration number)"))
    def merge(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._resolve(request, queryset, duplicate_merge)

    @admin.action(description=_("Dismiss: different people"))
    def dismiss(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._resolve(request, queryset, duplicate_dismiss)

    def _resolve(self, request: HttpRequest, queryset: QuerySet, service: Any) -> None:
        done = 0
        for flag in queryset:
            try:
                service(actor=request.user, flag=flag)
                done += 1
            except (PermissionDenied, TransitionConflict) as exc:
                messages.error(request, str(getattr(exc, "message", exc)))
        if done:
            messages.success(request, _("%(n)d flag(s) resolved.") % {"n": done})


# --- applications ---------------------------------------------------------------------------
