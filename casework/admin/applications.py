"""Admin for applications and their records: the caseworker's working day.

The admin is a thin face of the services (``casework.applications.services``, …). The state
of a case is never a form field: the
change page offers the transitions this user may make now as buttons, each with a small form
where it needs input, and every submit goes through ``application_transition``,
which re-checks permission, guards and the version the user was looking at. A forged POST by
a user without the right is refused there and leaves nothing but a refused-attempt log line.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.exceptions import NotRegistered
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from casework.admin import casefile
from casework.admin.base import (
    FastListMixin,
    NameSearchMixin,
    event_title,
)
from casework.admin.filters import (
    AssignedFilter,
    CaseworkerFilter,
    DeadlineFilter,
    InterviewFilter,
    LodgedFilter,
    NationalityFilter,
    ReadyFilter,
)
from casework.admin.forms import (
    AssignForm,
    InterviewScheduleForm,
    ReasonForm,
    RouteForm,
    TransitionForm,
)
from casework.applications.choices import State, Track
from casework.applications.models import Application, Interview
from casework.applications.services import (
    APPLICATIONS,
    application_assign,
    application_lodge,
    application_lodging_unit,
    application_route,
    application_transition,
    interview_record_held,
    interview_schedule,
    interview_waivable,
    interview_waive,
    transition_permitted,
    transition_refusal,
)
from casework.applications.workflow import delivery_pending
from casework.audit.models import AuditEvent
from casework.casefile.permissions import READ_IN_SCOPE_OF
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.lawyers.choices import AppointmentReason
from casework.lawyers.models import Appointment
from casework.people.choices import spoken_language
from casework.people.identity import is_valid_registration_number, parse_reference
from casework.permits.models import ResidencePermit
from casework.privacy.access import AccessLoggedAdminMixin, access_log_with_page
from casework.privacy.models import AccessLog
from casework.privacy.scopes import applications_visible_to
from casework.staff.choices import Role
from casework.staff.roles import has_role
from casework.staff.users import StaffRequest
from casework.status import views as status_views
from casework.status.alerts import Probing, probing
from casework.transitions.services import state_label

admin.site.site_header = _("Asylum casework")
admin.site.site_title = _("Asylum casework")
admin.site.index_title = _("Start")
# The admin's navigation sidebar repeats the start page and takes 300 px of every page: at
# 1366 px (and on a 1024 px tablet) a case list with its filter column then scrolls sideways,
# hiding its last column. The start page and the breadcrumbs lead everywhere it did.
admin.site.enable_nav_sidebar = False


def _timeline_item(event: AuditEvent) -> dict:
    """One line of the case's timeline, in words a caseworker reads at a glance."""
    from casework.applications.choices import Outcome

    changes = event.changes or {}
    outcome = changes.get("outcome")
    moved = event.source_state and event.target_state and event.source_state != event.target_state
    return {
        "at": event.at,
        "event": event,
        "title": event_title(event.action),
        "source": state_label(event.action, event.source_state) if moved else "",
        "target": state_label(event.action, event.target_state) if moved else "",
        "outcome": Outcome(outcome).label if outcome in Outcome.values else "",
        # Whether the appeal was lodged after its deadline, as the transition recorded it;
        # events written before it did so: whether a late reason was given.
        "late": bool(changes["late"] if "late" in changes else changes.get("late_reason")),
        "by": changes.get("lodged_by", ""),
        # The appeal was lodged by the applicant's lawyer, signed in (the register's entry).
        "by_lawyer": bool(changes.get("lawyer")),
    }


# --- list filters ---------------------------------------------------------------------------


@admin.register(Application)
class ApplicationAdmin(AccessLoggedAdminMixin, NameSearchMixin, FastListMixin, admin.ModelAdmin):
    """The caseworker's list of cases and the case page with its actions and timeline."""

    list_display = (
        "reference_display",
        "person_display",
        "kind",
        "track",
        "state_display",
        "assigned_to",
        "lodged_on",
        "deadline_display",
    )
    list_filter = (
        AssignedFilter,
        "state",
        "kind",
        "track",
        NationalityFilter,
        DeadlineFilter,
        InterviewFilter,
        ReadyFilter,
        LodgedFilter,
        CaseworkerFilter,
    )
    list_select_related = ("person", "assigned_to")
    search_fields = ("^person__family_name",)
    name_search_path = "person__"
    search_help_text = _("Case reference, registration number, or family name (start of it).")
    ordering = ("-lodged_on", "-id")
    actions = ("assign_to_caseworker", "move_to_unit")
    add_fields = ("person", "kind", "track", "lodged_on", "unit")
    autocomplete_fields = ("person",)

    # The change page is read-only: every change is an action through a service.
    readonly_fields = (
        "reference_display",
        "person",
        "kind",
        "track",
        "state_display",
        "unit",
        "assigned_to",
        "lodged_on",
        "interview_held_at",
        "interview_waived_reason",
        "decided_at",
        "delivery_display",
        "appeal_deadline",
        "appealed_at",
        "is_final",
        "hold_display",
        "reversal_requested_at",
        "next_deadline",
    )

    # -- list ------------------------------------------------------------------------------

    @admin.display(description=_("reference"), ordering="reference")
    def reference_display(self, obj: Application) -> str:
        return obj.display_reference

    @admin.display(description=_("applicant"), ordering="person__family_name")
    def person_display(self, obj: Application) -> str:
        p = obj.person
        return f"{p.family_name}, {p.given_name}"

    @admin.display(description=_("state"), ordering="state")
    def state_display(self, obj: Application) -> str:
        return format_html(
            '<span class="case-state case-state-{}">{}</span>', obj.state, obj.get_state_display()
        )

    @admin.display(description=_("next deadline"), ordering="next_deadline")
    def deadline_display(self, obj: Application) -> str:
        if obj.next_deadline is None:
            return "–"
        local = timezone.localtime(obj.next_deadline)
        overdue = obj.next_deadline < timezone.now()
        return format_html(
            '<span class="{}">{}</span>',
            "deadline-overdue" if overdue else "deadline",
            date_format(local, "DATETIME_FORMAT"),
        )

    @admin.display(description=_("on hold"))
    def hold_display(self, obj: Application) -> str:
        """While on hold (berostilt): the state it left, until when, and why."""
        if obj.state != State.ON_HOLD or obj.hold_review_on is None:
            return "–"
        return format_html(
            "{}<br>{}",
            _("from %(state)s, review by %(date)s")
            % {
                "state": State(obj.held_from).label if obj.held_from else "–",
                "date": date_format(obj.hold_review_on, "DATE_FORMAT"),
            },
            obj.hold_reason,
        )

    @admin.display(description=_("decision delivered"))
    def delivery_display(self, obj: Application) -> str:
        """When the decision reached the applicant or their lawyer; until that is recorded
        ("Record delivery"), that it is being delivered and no appeal deadline runs yet."""
        if obj.notified_at is not None:
            return date_format(timezone.localtime(obj.notified_at), "DATETIME_FORMAT")
        if delivery_pending(obj):
            return format_html(
                '<strong class="delivery-pending">{}</strong>',
                _("Not recorded yet: the appeal deadline starts when its delivery is recorded."),
            )
        return "–"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request).select_related("person", "assigned_to", "unit")
        if getattr(request, "_case_page", False):
            # The case's current lawyer, read with the case (the page's query budget).
            current = Appointment.objects.filter(application=OuterRef("pk"), ends_on=None)
            queryset = queryset.annotate(
                # read in this user's scope (below): the case file need not ask again
                **{READ_IN_SCOPE_OF: Value(request.user.pk)},
                current_lawyer=Subquery(current.values("lawyer__name")[:1]),
                current_lawyer_firm=Subquery(current.values("lawyer__firm")[:1]),
                current_lawyer_reason=Subquery(current.values("reason")[:1]),
                current_lawyer_since=Subquery(current.values("starts_on")[:1]),
            )
        return applications_visible_to(request.user, queryset)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        request._case_page = True  # type: ignore[attr-defined]
        return super().change_view(request, object_id, form_url, extra_context)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """A reference or registration number is an exact, indexed match; else a name."""
        term = search_term.strip()
        if not term:
            return queryset, False
        reference = parse_reference(term)
        if reference is not None:
            return queryset.filter(reference=reference), False
        digits = term.replace(" ", "")
        if is_valid_registration_number(digits):
            return queryset.filter(person__registration_number=digits), False
        return self.name_search(request, queryset, term), False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        return super().changelist_view(request, {"title": _("Cases"), **(extra_context or {})})

    # -- add: lodging goes through the service --------------------------------------------

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.add_fields if obj is None else self.readonly_fields

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form
        user = request.user

        class LodgeForm(form):  # type: ignore[valid-type,misc]  # the admin's generated form
            """The unit is the service's rule (``application_lodging_unit``), as a form error."""

            def clean(self) -> Any:
                data = super().clean()
                try:
                    data["unit"] = application_lodging_unit(actor=user, unit=data.get("unit"))
                except TransitionInvalid as exc:
                    self.add_error(None, exc)  # {"unit": [...]}: the field's error
                except PermissionDenied as exc:
                    self.add_error("unit", str(exc))
                return data

        return LodgeForm

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Nothing is edited through the form; actions carry their own permission checks.
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Application, form: Any, change: bool) -> None:
        if change:  # pragma: no cover - the change form has no editable field
            raise PermissionDenied
        created = application_lodge(
            actor=request.user,
            person=form.cleaned_data["person"],
            kind=form.cleaned_data["kind"],
            track=form.cleaned_data.get("track") or Track.NORMAL,
            lodged_on=form.cleaned_data.get("lodged_on"),
            unit=form.cleaned_data.get("unit"),
        )
        obj.pk = created.pk
        obj.reference = created.reference
        obj._state.adding = False
        obj._state.db = created._state.db

    # -- bulk action ------------------------------------------------------------------------

    @admin.action(description=_("Assign to a caseworker"), permissions=("assign",))
    def assign_to_caseworker(self, request: HttpRequest, queryset: QuerySet) -> Any:
        form = AssignForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            assignee = form.cleaned_data["assignee"]
            done, refused = 0, 0
            for application in queryset.select_related(None):
                try:
                    application_assign(
                        actor=request.user, application=application, assignee=assignee
                    )
                    done += 1
                except (PermissionDenied, TransitionConflict):
                    refused += 1
            if done:
                messages.success(
                    request,
                    _("%(n)d case(s) assigned to %(who)s.")
                    % {"n": done, "who": assignee.get_full_name() or assignee.username},
                )
            if refused:
                messages.error(request, _("%(n)d case(s) you may not assign.") % {"n": refused})
            return None
        return TemplateResponse(
            request,
            "admin/casework/application/assign.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Assign cases to a caseworker"),
                "opts": self.model._meta,
                "form": form,
                "applications": queryset.select_related("person")[:200],
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description=_("Move to another unit"), permissions=("route",))
    def move_to_unit(self, request: HttpRequest, queryset: QuerySet) -> Any:
        """Routing: each case through ``application_route`` (audited, with the reason)."""
        form = RouteForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            unit, reason = form.cleaned_data["unit"], form.cleaned_data["reason"]
            done, refused = 0, 0
            for application in queryset.select_related(None):
                try:
                    application_route(
                        actor=request.user, application=application, unit=unit, reason=reason
                    )
                    done += 1
                except (PermissionDenied, TransitionConflict, TransitionInvalid):
                    refused += 1
            if done:
                messages.success(
                    request, _("%(n)d case(s) moved to %(unit)s.") % {"n": done, "unit": unit}
                )
            if refused:
                messages.error(
                    request,
                    _("%(n)d case(s) not moved (already in that unit, or not yours to move).")
                    % {"n": refused},
                )
            return None
        return TemplateResponse(
            request,
            "admin/casework/application/route.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Move cases to another unit"),
                "opts": self.model._meta,
                "form": form,
                "applications": queryset.select_related("person", "unit")[:200],
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def has_route_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("casework.route_application"))

    def has_assign_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or has_role(
            request.user, Role.CASEWORKER, Role.DECISION_MAKER
        )

    # -- the case page ----------------------------------------------------------------------

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/transition/<str:name>/",
                view(self.transition_view),
                name="casework_application_transition",
            ),
            path(
                "<int:pk>/interview/",
                view(self.interview_schedule_view),
                name="casework_application_interview",
            ),
            path(
                "<int:pk>/interview/<int:interview_pk>/held/",
                view(self.interview_held_view),
                name="casework_application_interview_held",
            ),
            path(
                "<int:pk>/interview/waive/",
                view(self.interview_waive_view),
                name="casework_application_interview_waive",
            ),
            path("<int:pk>/notes/", view(self.note_add_view), name="casework_application_note_add"),
            path(
                "<int:pk>/notes/<int:note_pk>/correct/",
                view(self.note_correct_view),
                name="casework_application_note_correct",
            ),
            path(
                "<int:pk>/documents/",
                view(self.document_upload_view),
                name="casework_application_document_upload",
            ),
            path(
                "<int:pk>/documents/<int:document_pk>/version/",
                view(self.document_version_view),
                name="casework_application_document_version",
            ),
            path(
                "<int:pk>/documents/<int:document_pk>/download/",
                view(self.document_download_view),
                name="casework_application_document_download",
            ),
            path(
                "<int:pk>/assign-to-me/",
                view(self.assign_to_me_view),
                name="casework_application_assign_to_me",
            ),
            *super().get_urls(),
        ]

    def _case(self, request: HttpRequest, pk: int) -> Application:
        """The case, if this user may see it: 404 otherwise (never "exists but not yours")."""
        return get_object_or_404(self.get_queryset(request).select_related("person"), pk=pk)

    def _change_url(self, app: Application) -> str:
        return reverse("admin:casework_application_change", args=[app.pk])

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict,
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None:
            context.update(self._case_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _case_context(self, request: HttpRequest, app: Application) -> dict:
        user = request.user
        actions = []
        for declaration in APPLICATIONS.offered():
            if not declaration.permitted(app, user) or app.state not in declaration.source:
                continue
            actions.append(
                {
                    "name": declaration.name,
                    "label": declaration.label,
                    "url": reverse(
                        "admin:casework_application_transition", args=[app.pk, declaration.name]
                    ),
                    "refusal": transition_refusal(
                        application=app, name=declaration.name, user=user
                    ),
                }
            )
        may_interview = user.has_perm("casework.schedule_interview", app)
        interviews = list(app.interviews.all())
        # The audit trail already holds every decision and appeal (services write both in one
        # transaction), so the timeline needs one query, whatever the case's history.
        events = AuditEvent.objects.filter(application=app).select_related("actor")
        as_lawyer = has_role(user, Role.LAWYER) and not user.has_perm("casework.view_auditevent")
        if as_lawyer:
            # The applicant's lawyer follows the case's steps (decisions, the appeal), not the
            # authority's internal trail (assignments, routing, reminders).
            events = events.exclude(target_state="")
        recent = list(events.order_by("-at", "-id")[:200])
        timeline = [_timeline_item(e) for e in recent]
        # The lawyer's timeline leaves out the note and document events: their panels ask.
        case_file = casefile.case_file_context(request, app, None if as_lawyer else recent)
        # A note's event shows the note as it reads now, to those who may read it.
        notes = casefile.notes_by_event(request, app, recent, case_file)
        for item in timeline:
            item["note"] = notes.get(item["event"].pk)
        appointment = None
        if getattr(app, "current_lawyer", None):
            appointment = {
                "lawyer": app.current_lawyer,  # type: ignore[attr-defined]
                "firm": app.current_lawyer_firm,  # type: ignore[attr-defined]
                "reason": AppointmentReason(app.current_lawyer_reason).label,  # type: ignore[attr-defined]
                "since": app.current_lawyer_since,  # type: ignore[attr-defined]
            }
        return {
            "case_actions": actions,
            "case_may_interview": may_interview and app.state in (State.SUBMITTED, State.EXAMINED),
            "case_may_waive": interview_waivable(application=app, user=user),
            "case_may_take": user.has_perm("casework.assign_application", app)
            and app.assigned_to_id != user.pk
            and has_role(user, Role.CASEWORKER),
            "case_interviews": interviews,
            "case_timeline": timeline,
            "case_appointment": appointment,
            "case_decisions": list(
                app.decisions.select_related("notification_lawyer").order_by("decided_at")
            )
            if as_lawyer
            else [],
            "case_probing": _status_probing(app),
            "case_permits": self._case_permits(request, app),
            "case": app,
            **case_file,
        }

    def _case_permits(self, request: HttpRequest, app: Application) -> list[dict[str, Any]]:
        """The residence permits the case's decisions gave, newest first, for those who may
        read permits (the permits' own admin): type, validity, status, card, the day
        permanent residence may be applied for, and a link to the permit's record. A read
        of the holder's permits, so it is access-logged (one row naming them all)."""
        try:
            permit_admin = self.admin_site.get_model_admin(ResidencePermit)
        except NotRegistered:
            return []
        if not permit_admin.has_view_permission(request):
            return []
        permits = list(
            permit_admin.get_queryset(request)
            .filter(application_id=app.pk)
            .order_by("-valid_from", "-pk")[:20]
        )
        if not permits:
            return []
        access_log_with_page(
            request,
            user=request.user,
            action=AccessLog.Action.VIEW,
            objects=permits,
            query="case page",
            via="admin",
        )
        return [
            {
                "permit": p,
                "status": p.status,
                "status_label": p.get_status_display(),
                "url": reverse("admin:casework_residencepermit_change", args=[p.pk]),
            }
            for p in permits
        ]

    def _action_page(
        self, request: HttpRequest, app: Application, form: Any, title: str, intro: str = ""
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            "admin/casework/action_form.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "intro": intro,
                "opts": self.model._meta,
                "original": app,
                "form": form,
                "change_url": self._change_url(app),
                "submit_label": _("Confirm"),
            },
        )

    def transition_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        """GET: the transition's form. POST: the service decides (permission, guard, version)."""
        app = self._case(request, pk)
        declaration = APPLICATIONS.transitions.get(name)
        if declaration is None or not declaration.offered:
            raise PermissionDenied
        if request.method == "POST":
            form = TransitionForm(request.POST, declaration=declaration)
            if form.is_valid():
                try:
                    application_transition(
                        actor=request.user,
                        application=app,
                        name=name,
                        expected_version=form.cleaned_data["version"],
                        **form.service_fields(),
                    )
                except TransitionInvalid as exc:
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                except TransitionConflict as exc:
                    messages.error(request, exc.message)
                    return HttpResponseRedirect(self._change_url(app))
                else:
                    messages.success(
                        request,
                        _("%(action)s: done. The case is now %(state)s.")
                        % {
                            "action": declaration.label,
                            "state": Application.objects.get(pk=app.pk).get_state_display(),
                        },
                    )
                    return HttpResponseRedirect(self._change_url(app))
        else:
            if not transition_permitted(application=app, name=name, user=request.user):
                raise PermissionDenied
            form = TransitionForm(initial={"version": app.version}, declaration=declaration)
        return self._action_page(
            request,
            app,
            form,
            f"{declaration.label}: {app.display_reference}",
            _("The case is %(state)s.") % {"state": app.get_state_display()},
        )

    def interview_schedule_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        app = self._case(request, pk)
        initial = {"language": spoken_language(app.person.preferred_language), "interpreter": True}
        form = InterviewScheduleForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                interview_schedule(actor=request.user, application=app, **form.cleaned_data)
            except TransitionConflict as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Interview scheduled; the applicant will be reminded."))
            return HttpResponseRedirect(self._change_url(app))
        if request.method != "POST" and not request.user.has_perm(
            "casework.schedule_interview", app
        ):
            raise PermissionDenied
        return self._action_page(
            request, app, form, _("Schedule the asylum interview: %s") % app.display_reference
        )

    def interview_held_view(self, request: HttpRequest, pk: int, interview_pk: int) -> HttpResponse:
        app = self._case(request, pk)
        interview = get_object_or_404(Interview, pk=interview_pk, application=app)
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(app))
        reason = request.POST.get("reason", "")
        try:
            interview_record_held(actor=request.user, interview=interview, reason=reason)
        except TransitionInvalid as exc:
            if "reason" in getattr(exc, "error_dict", {}):
                # Something stands in the way (an interpreter who never confirmed): the same
                # button again, with the reason it asks for.
                form = ReasonForm(request.POST if reason else None)
                return self._action_page(
                    request,
                    app,
                    form,
                    _("Record the interview as held: %s") % app.display_reference,
                    " ".join(exc.messages),
                )
            messages.error(request, " ".join(exc.messages))
        except TransitionConflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The interview is recorded as held."))
        return HttpResponseRedirect(self._change_url(app))

    def interview_waive_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        app = self._case(request, pk)
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                interview_waive(
                    actor=request.user, application=app, reason=form.cleaned_data["reason"]
                )
            except TransitionConflict as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("The interview is waived."))
            return HttpResponseRedirect(self._change_url(app))
        if request.method != "POST" and not request.user.has_perm(
            "casework.decide_application", app
        ):
            raise PermissionDenied
        return self._action_page(
            request, app, form, _("Waive the asylum interview: %s") % app.display_reference
        )

    # -- the case file: notes and documents (``casework.admin.casefile``) ----------------------

    def note_add_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return casefile.note_add(request, self._case(request, pk))

    def note_correct_view(self, request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
        return casefile.note_correct(request, self._case(request, pk), note_pk, self._action_page)

    def document_upload_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return casefile.document_upload(request, self._case(request, pk))

    def document_version_view(
        self, request: HttpRequest, pk: int, document_pk: int
    ) -> HttpResponse:
        return casefile.document_version(
            request, self._case(request, pk), document_pk, self._action_page
        )

    def document_download_view(
        self, request: HttpRequest, pk: int, document_pk: int
    ) -> HttpResponseBase:
        return casefile.document_download(request, self._case(request, pk), document_pk)

    def assign_to_me_view(self, request: StaffRequest, pk: int) -> HttpResponse:
        app = self._case(request, pk)
        if request.method == "POST":
            try:
                application_assign(actor=request.user, application=app, assignee=request.user)
            except TransitionConflict as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("The case is now yours."))
        return HttpResponseRedirect(self._change_url(app))


def _status_probing(app: Application) -> Probing:
    """Unsuccessful status-page lookups of the case's reference, and whether lookups from new
    devices are paused now: the sign that someone holding the reference guesses the
    applicant's birth date."""
    rate = settings.STATUS_REFERENCE_RATE_LIMIT
    limit, _period = status_views.parse_rate(rate)
    reference = status_views.reference_key(app.reference)
    try:
        paused = status_views.usage(status_views.REFERENCE, rate, reference) > limit
    except Exception:  # the counter store is down: the count below still tells
        paused = False
    return probing(reference_hash=status_views.reference_hash(reference), paused=paused)
