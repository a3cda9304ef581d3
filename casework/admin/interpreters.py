"""The interpreter register, bookings and the week's calendar of interviews, in the admin.

Every write is a service call on a page of its own (``casework.interpreters.services``): the
change pages show the record and save nothing. Booking a session offers the interpreters of
the language the applicant needs, best fit first (their dialect, the gender they asked for,
the register's category, free at that time); confirming, cancelling and recording a no-show
are the transitions of ``casework/interpreters/workflow.py``, offered only to those who may
make them now. Every read is access-logged, the calendar's too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.admin.base import EVENT_TITLES, FastListMixin, event_title
from casework.admin.forms import InputsForm
from casework.admin.start import Item, Section, list_url, register
from casework.applications.models import Appeal, Interview
from casework.audit.models import AuditEvent
from casework.core.exceptions import TransitionConflict
from casework.interpreters import selectors, services
from casework.interpreters.choices import BookingState, InterpreterGender, Qualification
from casework.interpreters.models import Interpreter, InterpreterBooking
from casework.people.choices import SpokenLanguage
from casework.privacy.access import AccessLoggedAdminMixin, access_log
from casework.privacy.models import AccessLog
from casework.privacy.scopes import visible_to
from casework.staff.choices import Role
from casework.staff.models import Unit
from casework.transitions.services import (
    state_label,
    transition_refusal,
    transitions_available,
)

EVENT_TITLES.update(
    {
        "interpreter.registered": gettext_lazy("Interpreter added to the register"),
        "interpreter.changed": gettext_lazy("Interpreter's entry changed"),
        "booking.requested": gettext_lazy("Interpreter booked"),
    }
)

LANGUAGE_SLOTS = 4  # languages an interpreter's form offers at once


def _run(form: forms.Form, call: Callable[[], Any]) -> Any:
    """Call a service; its refusals become the form's errors (by field where it names one)."""
    try:
        return call()
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or _("You are not allowed to do this."))
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                for message in errors:
                    form.add_error(name if name in form.fields else None, message)
        else:
            for message in exc.messages:
                form.add_error(None, message)
    except TransitionConflict as exc:
        form.add_error(None, exc.message)
    return None


def _timeline(obj: Any) -> str:
    events = (
        AuditEvent.objects.filter(changes__subject=obj.audit_subject)
        .select_related("actor")
        .order_by("at", "id")
    )
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                date_format(timezone.localtime(e.at), "DATETIME_FORMAT"),
                event_title(e.action),
                state_label(e.action, e.target_state),
                e.actor.get_username() if e.actor else _("system"),
                e.reason,
            )
            for e in events
        ),
    )
    return format_html(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
        "</thead><tbody>{}</tbody></table>",
        _("When"),
        _("What"),
        _("State"),
        _("Who"),
        _("Why"),
        rows,
    )


class _ServicePagesAdmin(AccessLoggedAdminMixin, FastListMixin, admin.ModelAdmin):
    """Read-only change pages; writes on pages of their own that call a service."""

    change_form_template = "admin/casework/interpreters/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*(f.name for f in self.model._meta.fields), *self.extra_readonly]

    extra_readonly: tuple[str, ...] = ("timeline",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible_to(request.user, super().get_queryset(request))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None):
        return HttpResponseRedirect(reverse(f"admin:{self._urlname('create')}"))

    def _urlname(self, what: str) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}_{what}"

    @admin.display(description=gettext_lazy("Timeline"))
    def timeline(self, obj: Any) -> str:
        return "—" if obj is None or obj.pk is None else _timeline(obj)

    def action_links(self, obj: Any, request: HttpRequest) -> list[tuple[str, str]]:
        return []

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        if obj is not None:
            context["action_links"] = self.action_links(obj, request)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def render_form(
        self,
        request: HttpRequest,
        form: forms.Form,
        title: str,
        obj: Any = None,
        intro: str = "",
        submit_label: str = "",
        summary: str = "",
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "original": obj,
            "summary": summary,
            "intro": intro,
            "submit_label": submit_label,
        }
        return TemplateResponse(request, "admin/casework/action_form.html", context)


# --- the register -------------------------------------------------------------------------


class InterpreterForm(forms.Form):
    """An interpreter's entry, with up to ``LANGUAGE_SLOTS`` languages."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=160)
    gender = forms.ChoiceField(label=gettext_lazy("Gender"), choices=InterpreterGender.choices)
    region = forms.CharField(label=gettext_lazy("Region"), max_length=80)
    register_number = forms.CharField(
        label=gettext_lazy("Number in the national register"), max_length=20, required=False
    )
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=32, required=False)
    remote = forms.BooleanField(label=gettext_lazy("Interprets remotely"), required=False)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        blank = [("", "—")]
        for i in range(1, LANGUAGE_SLOTS + 1):
            self.fields[f"language_{i}"] = forms.ChoiceField(
                label=_("Language %(n)s") % {"n": i},
                choices=blank + list(SpokenLanguage.choices),
                required=i == 1,
            )
            self.fields[f"qualification_{i}"] = forms.ChoiceField(
                label=_("Category of language %(n)s") % {"n": i},
                choices=blank + list(Qualification.choices),
                required=i == 1,
            )
            self.fields[f"dialects_{i}"] = forms.CharField(
                label=_("Dialects of language %(n)s") % {"n": i},
                max_length=200,
                required=False,
                help_text=_("Comma separated.") if i == 1 else "",
            )

    def languages(self) -> list[dict[str, str]]:
        data = self.cleaned_data
        return [
            {
                "language": data[f"language_{i}"],
                "qualification": data[f"qualification_{i}"],
                "dialects": data[f"dialects_{i}"],
            }
            for i in range(1, LANGUAGE_SLOTS + 1)
            if data.get(f"language_{i}")
        ]

    def details(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in services.INTERPRETER_FIELDS}


@admin.register(Interpreter)
class InterpreterAdmin(_ServicePagesAdmin):
    """The register of interpreters (Nasjonalt tolkeregister's entries the authority books)."""

    list_display = ("name", "language_list", "gender", "region", "remote", "active")
    list_filter = ("active", "gender", "remote", "languages__language", "languages__qualification")
    search_fields = ("^name", "=register_number")
    extra_readonly = ("language_list", "timeline")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("languages")

    @admin.display(description=gettext_lazy("Languages (category: dialects)"))
    def language_list(self, obj: Interpreter) -> str:
        return "; ".join(
            f"{row.get_language_display()} ({row.qualification}"
            + (f": {row.dialects})" if row.dialects else ")")
            for row in obj.languages.all()
        )

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("create/", wrap(self.create_view), name=self._urlname("create")),
            path("<int:pk>/edit/", wrap(self.edit_view), name=self._urlname("edit")),
            *super().get_urls(),
        ]

    def action_links(self, obj: Any, request: HttpRequest) -> list[tuple[str, str]]:
        if not request.user.has_perm("casework.manage_interpreters"):
            return []
        return [(reverse(f"admin:{self._urlname('edit')}", args=[obj.pk]), _("Edit entry"))]

    def create_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("casework.manage_interpreters"):
            raise PermissionDenied
        form = InterpreterForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            done = _run(
                form,
                lambda: services.interpreter_register(
                    actor=request.user, languages=form.languages(), **form.details()
                ),
            )
            if done is not None:
                messages.success(request, _("Interpreter added to the register."))
                return HttpResponseRedirect(
                    reverse(f"admin:{self._urlname('change')}", args=[done.pk])
                )
        return self.render_form(request, form, _("Add an interpreter to the register"))

    def edit_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm("casework.manage_interpreters"):
            raise PermissionDenied
        obj = get_object_or_404(self.get_queryset(request), pk=pk)
        initial: dict[str, Any] = {k: getattr(obj, k) for k in services.INTERPRETER_FIELDS}
        initial["active"] = obj.active
        for i, row in enumerate(obj.languages.all(), start=1):
            if i <= LANGUAGE_SLOTS:
                initial[f"language_{i}"] = row.language
                initial[f"qualification_{i}"] = row.qualification
                initial[f"dialects_{i}"] = row.dialects
        form = InterpreterForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            done = _run(
                form,
                lambda: services.interpreter_update(
                    actor=request.user,
                    interpreter=obj,
                    languages=form.languages(),
                    active=form.cleaned_data["active"],
                    **form.details(),
                ),
            )
            if done is not None:
                messages.success(request, _("The entry is saved."))
                return HttpResponseRedirect(
                    reverse(f"admin:{self._urlname('change')}", args=[obj.pk])
                )
        return self.render_form(request, form, _("Edit %(name)s") % {"name": obj.name}, obj=obj)


# --- bookings -----------------------------------------------------------------------------


class BookingForm(forms.Form):
    """Book an interpreter: the interpreters offered are those of the language asked for,
    best fit first; the language and dialect start as the applicant's recorded needs."""

    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=SpokenLanguage.choices)
    dialect = forms.CharField(label=gettext_lazy("Dialect"), max_length=80, required=False)
    interpreter = forms.TypedChoiceField(label=gettext_lazy("Interpreter"), coerce=int)
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Ends at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=gettext_lazy("Empty: three hours after the start."),
    )
    location = forms.CharField(label=gettext_lazy("Place"), max_length=200, required=False)

    def __init__(
        self, *args: Any, candidates: list[selectors.Candidate], hearing: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {c.interpreter.pk: c for c in candidates}
        self.fields["interpreter"].choices = [  # type: ignore[attr-defined]
            (c.interpreter.pk, _candidate_label(c)) for c in candidates
        ]
        if not candidates:
            self.fields["interpreter"].help_text = _(
                "No active interpreter is registered for this language."
            )
        if hearing:
            self.fields["starts_at"].required = True
            self.fields["location"].required = True
        else:  # an interview's session starts at its time, in its room
            del self.fields["starts_at"]
            del self.fields["location"]


def _candidate_label(c: selectors.Candidate) -> str:
    parts = [c.interpreter.name, _("category %(q)s") % {"q": c.qualification}]
    if c.dialects:
        parts.append(", ".join(c.dialects))
    parts.append(c.interpreter.get_gender_display())
    parts.append(c.interpreter.region)
    if c.dialect_match:
        parts.append(_("speaks the dialect"))
    parts.append(_("free") if c.free else _("busy then"))
    return " · ".join(str(p) for p in parts)


@admin.register(InterpreterBooking)
class InterpreterBookingAdmin(_ServicePagesAdmin):
    """Interpreters booked for interviews and appeal hearings."""

    list_display = (
        "starts_at",
        "interpreter",
        "case",
        "kind",
        "language",
        "dialect",
        "location",
        "state",
    )
    list_filter = ("state", "kind", "language", ("starts_at", admin.DateFieldListFilter))
    search_fields = ("=application__reference", "^interpreter__name")
    list_select_related = ("interpreter", "application")
    raw_id_fields = ("interpreter", "application", "interview", "appeal")

    @admin.display(description=gettext_lazy("Case"))
    def case(self, obj: InterpreterBooking) -> str:
        return obj.application.display_reference

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/transition/<str:name>/",
                wrap(self.transition_view),
                name=self._urlname("transition"),
            ),
            path("create/", wrap(self.create_view), name=self._urlname("create")),
            path("calendar/", wrap(self.calendar_view), name="casework_calendar"),
            *super().get_urls(),
        ]

    def action_links(self, obj: Any, request: HttpRequest) -> list[tuple[str, str]]:
        names = transitions_available(workflow=services.BOOKINGS, record=obj, user=request.user)
        return [
            (
                reverse(f"admin:{self._urlname('transition')}", args=[obj.pk, n]),
                str(services.BOOKINGS[n].label),
            )
            for n in names
        ]

    def transition_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        obj = get_object_or_404(
            self.get_queryset(request).select_related("interpreter", "application"), pk=pk
        )
        declaration = services.BOOKINGS.transitions.get(name)
        if (
            declaration is None
            or not declaration.offered
            or not declaration.permitted(obj, request.user)
        ):
            raise PermissionDenied
        form = InputsForm(request.POST or None, declaration=declaration, enforce_required=False)
        change_url = reverse(f"admin:{self._urlname('change')}", args=[obj.pk])
        if request.method == "POST" and form.is_valid():
            done = _run(
                form,
                lambda: services.booking_transition(
                    actor=request.user, booking=obj, name=name, **form.service_fields()
                ),
            )
            if done is not None:
                messages.success(request, _("Done: %(what)s.") % {"what": declaration.label})
                return HttpResponseRedirect(request.GET.get("next") or change_url)
        refusal = transition_refusal(workflow=services.BOOKINGS, record=obj, name=name)
        summary = _("%(interpreter)s, %(when)s, case %(case)s: %(state)s") % {
            "interpreter": obj.interpreter.name,
            "when": date_format(timezone.localtime(obj.starts_at), "DATETIME_FORMAT"),
            "case": obj.application.display_reference,
            "state": obj.get_state_display(),
        }
        return self.render_form(
            request,
            form,
            str(declaration.label),
            obj=obj,
            intro=refusal or "",
            submit_label=str(declaration.label),
            summary=summary,
        )

    def _session(self, request: HttpRequest) -> tuple[Interview | None, Appeal | None]:
        """The interview or appeal named in the query string, if this user may see its case."""
        source = request.POST if request.method == "POST" else request.GET
        interview_id, appeal_id = source.get("interview"), source.get("appeal")
        if interview_id and str(interview_id).isdigit():
            found = visible_to(request.user, Interview.objects.all()).select_related(
                "application__person"
            )
            if selectors.sees_all_bookings(request.user):
                found = Interview.objects.select_related("application__person")
            return get_object_or_404(found, pk=int(interview_id)), None
        if appeal_id and str(appeal_id).isdigit():
            found_appeals = visible_to(request.user, Appeal.objects.all())
            if selectors.sees_all_bookings(request.user):
                found_appeals = Appeal.objects.all()
            return None, get_object_or_404(
                found_appeals.select_related("application__person"), pk=int(appeal_id)
            )
        return None, None

    def create_view(self, request: HttpRequest) -> HttpResponse:
        interview, appeal = self._session(request)
        if interview is None and appeal is None:
            # Booked from an interview (the calendar) or an appeal, never on its own.
            messages.info(request, _("Book an interpreter from an interview on the calendar."))
            return HttpResponseRedirect(reverse("admin:casework_calendar"))
        application = interview.application if interview else appeal.application  # type: ignore[union-attr]
        if not request.user.has_perm("casework.book_interpreter", application):
            raise PermissionDenied
        person = application.person
        source = request.POST if request.method == "POST" else request.GET
        language = (
            source.get("language")
            or person.interpreter_language
            or (interview.language if interview else "")
        )
        dialect = source.get("dialect", person.interpreter_dialect)
        starts_at = interview.scheduled_at if interview else None
        candidates = selectors.interpreters_for(
            language=language,
            dialect=dialect,
            gender=person.interpreter_gender,
            starts_at=starts_at,
            ends_at=starts_at + services.DEFAULT_SESSION if starts_at else None,
        )
        form = BookingForm(
            request.POST or None,
            candidates=candidates,
            hearing=appeal is not None,
            initial={"language": language, "dialect": dialect},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            chosen = form.candidates[data["interpreter"]].interpreter
            done = _run(
                form,
                lambda: services.booking_request(
                    actor=request.user,
                    interpreter=chosen,
                    interview=interview,
                    appeal=appeal,
                    language=data["language"],
                    dialect=data["dialect"],
                    starts_at=data.get("starts_at"),
                    ends_at=data["ends_at"],
                    location=data.get("location") or "",
                ),
            )
            if done is not None:
                messages.success(
                    request, _("%(name)s is booked; confirm once they accept.") % {"name": chosen}
                )
                return HttpResponseRedirect(
                    reverse(f"admin:{self._urlname('change')}", args=[done.pk])
                )
        needs = [
            str(person.get_interpreter_language_display() or _("language not recorded")),
            person.interpreter_dialect,
            (
                _("asks for %(who)s") % {"who": person.get_interpreter_gender_display()}
                if person.interpreter_gender
                else ""
            ),
        ]
        when = (
            date_format(timezone.localtime(interview.scheduled_at), "DATETIME_FORMAT")
            if interview
            else _("appeal hearing")
        )
        summary = _("Case %(case)s, %(when)s. The applicant's needs: %(needs)s.") % {
            "case": application.display_reference,
            "when": when,
            "needs": ", ".join(n for n in needs if n),
        }
        hidden = {"interview": interview.pk} if interview else {"appeal": appeal.pk}  # type: ignore[union-attr]
        form.fields[next(iter(hidden))] = forms.IntegerField(
            widget=forms.HiddenInput, initial=next(iter(hidden.values()))
        )
        return self.render_form(
            request,
            form,
            _("Book an interpreter"),
            intro=_(
                "Interpreters of the language are offered best fit first: free at that time, "
                "speaking the dialect, of the gender asked for, of the highest category. "
                "Change the language and save to see another language's interpreters."
            ),
            submit_label=_("Book"),
            summary=summary,
        )

    # --- the calendar ----------------------------------------------------------------------

    def calendar_view(self, request: HttpRequest) -> HttpResponse:
        """The week's interviews with room, interpreter and lawyer (GET ``week``: a Monday,
        ``unit``, ``caseworker``). Scoped as the interviews themselves; the coordinator, who
        books for every unit, sees every unit's. Two queries for the week, capped."""
        user = request.user
        if not user.has_perm("casework.view_interview"):
            raise PermissionDenied
        today = timezone.localdate()
        try:
            day = dt.date.fromisoformat(request.GET.get("week", ""))
        except ValueError:
            day = today
        monday = selectors.week_start(day)
        unit_id = _int(request.GET.get("unit"))
        caseworker_id = _int(request.GET.get("caseworker"))
        interviews = (
            Interview.objects.all()
            if selectors.sees_all_bookings(user)
            else visible_to(user, Interview.objects.all())
        )
        week = selectors.calendar_week(
            interviews=interviews, monday=monday, unit_id=unit_id, caseworker_id=caseworker_id
        )
        shown = [entry.interview for _day, entries in week.days for entry in entries]
        access_log(
            user=user,
            action=AccessLog.Action.LIST,
            objects=[i.application_id for i in shown],
            model=Interview._meta.get_field("application").related_model,
            query=f"calendar week={monday.isoformat()} unit={unit_id or ''} "
            f"caseworker={caseworker_id or ''}",
        )
        may_book = user.has_perm("casework.add_interpreterbooking")
        units = list(Unit.objects.order_by("name").values_list("pk", "name")[:200])
        caseworkers = list(
            get_user_model()
            .objects.filter(
                is_active=True,
                groups__name__in=[Role.CASEWORKER.value, Role.DECISION_MAKER.value],
            )
            .order_by("username")
            .values_list("pk", "username")[:200]
        )
        base = reverse("admin:casework_calendar")

        def week_url(monday_: dt.date) -> str:
            params = [f"week={monday_.isoformat()}"]
            if unit_id:
                params.append(f"unit={unit_id}")
            if caseworker_id:
                params.append(f"caseworker={caseworker_id}")
            return f"{base}?{'&'.join(params)}"

        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Interviews, week of %(day)s") % {"day": date_format(monday, "DATE_FORMAT")},
            "week": week,
            "today": today,
            "units": units,
            "caseworkers": caseworkers,
            "unit_id": unit_id,
            "caseworker_id": caseworker_id,
            "previous_url": week_url(monday - dt.timedelta(days=7)),
            "next_url": week_url(monday + dt.timedelta(days=7)),
            "this_week_url": week_url(selectors.week_start(today)),
            "may_book": may_book,
            "book_url": reverse(f"admin:{self._urlname('create')}"),
            "confirmed": BookingState.CONFIRMED,
            "requested": BookingState.REQUESTED,
            "monday": monday,
        }
        return TemplateResponse(request, "admin/casework/interpreters/calendar.html", context)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _interpreters_panel(request: HttpRequest) -> list[Section]:
    """The start page's links to the calendar and the bookings waiting for a confirmation."""
    user = request.user
    if not user.has_perm("casework.view_interpreterbooking"):
        return []
    items = [Item(_("This week's interviews (calendar)"), reverse("admin:casework_calendar"))]
    items.append(
        Item(
            _("Bookings waiting for the interpreter's confirmation"),
            list_url("casework_interpreterbooking", state__exact=BookingState.REQUESTED),
        )
    )
    if user.has_perm("casework.manage_interpreters"):
        items.append(Item(_("Add an interpreter"), reverse("admin:casework_interpreter_create")))
    return [Section(_("Interpreters"), items)]


register(_interpreters_panel)
