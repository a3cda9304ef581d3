"""Admin for deadlines and reminders: what is due, what was sent, what failed, and resend.

Both lists are read-only (rows change through the sweep and the delivery task only) and
scoped like the cases: a user sees reminders of the cases they may open, and their own.
The admin start page gets the user's "due soon / overdue" panel (``casework_index.html``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.db.models import (
    Case,
    CharField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, Trim
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from casework.admin.base import FastListMixin, ScopedAdminMixin
from casework.deadlines.channels import channels
from casework.deadlines.models import Deadline, Reminder
from casework.deadlines.registry import sources
from casework.deadlines.selectors import case_reference, of_case
from casework.people.identity import format_reference, parse_reference
from casework.privacy.access import AccessLoggedAdminMixin
from casework.staff.choices import Role
from casework.staff.roles import has_role

admin.site.index_template = "admin/casework_index.html"


class DueFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return [
            ("overdue", _("overdue")),
            ("week", _("due within 7 days")),
            ("later", _("due later")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        field = "due_at" if queryset.model is Deadline else "deadline__due_at"
        week = now + dt.timedelta(days=7)
        return {
            "overdue": lambda: queryset.filter(**{f"{field}__lte": now}),
            "week": lambda: queryset.filter(**{f"{field}__gt": now, f"{field}__lte": week}),
            "later": lambda: queryset.filter(**{f"{field}__gt": week}),
        }.get(self.value() or "", lambda: queryset)()


class ChannelFilter(admin.SimpleListFilter):
    """The registered channels (no choices on the field: a new channel needs no migration)."""

    title = _("channel")
    parameter_name = "channel"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return [(name, channel.label or name) for name, channel in sorted(channels().items())]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(channel=self.value()) if self.value() else queryset


# The reminder kinds of ``casework.deadlines.registry`` in words; a kind named otherwise by an
# app shows its name.
KIND_LABELS = {"soon": _("before the deadline"), "overdue": _("overdue"), "notice": _("notice")}


def kind_label(name: str) -> Any:
    return KIND_LABELS.get(name, name)


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        names = sorted({k.name for spec in sources().values() for k in spec.reminders})
        return [(n, kind_label(n)) for n in names]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(kind=self.value()) if self.value() else queryset


class SourceFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "source"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return [(key, spec.label) for key, spec in sorted(sources().items())]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        field = "source" if queryset.model is Deadline else "deadline__source"
        return queryset.filter(**{field: self.value()})


class MineFilter(admin.SimpleListFilter):
    """Mine, or everything the user may see. Reminders open on the user's own (addressed to
    them, or about a case assigned to them): a caseworker's first page is their own work,
    not another officer's reminders."""

    title = _("recipient")
    parameter_name = "recipient"

    def __init__(self, request: HttpRequest, params: dict, model: Any, model_admin: Any) -> None:
        self.request = request
        super().__init__(request, params, model, model_admin)

    def value(self) -> str:
        return super().value() or self.default

    @property
    def default(self) -> str:
        """Caseworkers and decision-makers open on their own (as the case list does); others,
        who have no reminders of their own work (an auditor, an administrator), on all."""
        return (
            "mine" if has_role(self.request.user, Role.CASEWORKER, Role.DECISION_MAKER) else "all"
        )

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return [("mine", _("Mine")), ("all", _("All I may see"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() != "mine":
            return queryset
        if queryset.model is Deadline:
            return queryset.filter(recipient_user=request.user)
        # Addressed to me, or to the applicant of a case of mine: my work either way.
        return queryset.filter(
            Q(recipient=f"user:{request.user.pk}")
            | Q(deadline__application__assigned_to=request.user)
        )

    def choices(self, changelist: Any):  # Django's generator protocol
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class AllOrMineFilter(MineFilter):
    """Deadlines open on everything the user may see; "mine" is the start page's link."""

    @property
    def default(self) -> str:
        return "all"


def _label(source: str) -> str:
    spec = sources().get(source)
    return str(spec.label) if spec else source


def _recipient_name() -> Subquery:
    """A reminder's staff recipient (``user:<id>``) by name, read in the list's own query.

    The user's id is compared as text (``person:<id>`` must never be cast to a number), over
    the staff table, which is small."""
    from django.contrib.auth import get_user_model

    name = Trim(Concat("first_name", Value(" "), "last_name"))
    users = (
        get_user_model()
        .objects.annotate(key=Concat(Value("user:"), Cast("pk", CharField())))
        .filter(key=OuterRef("recipient"))
        .annotate(shown=Case(When(first_name="", last_name="", then="username"), default=name))
    )
    return Subquery(users.values("shown")[:1], output_field=CharField())


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _search_by_case(queryset: QuerySet, term: str, prefix: str = "") -> tuple[QuerySet, bool]:
    """The search box takes a case reference as the lists show it (dashes, look-alikes
    forgiven) and finds the case's deadlines, those on its records included (a permit's
    expiry), by index; anything that cannot be a reference finds nothing."""
    if not term.strip():
        return queryset, False
    reference = parse_reference(term)
    if reference is None:
        return queryset.none(), False
    return queryset.filter(of_case(reference, prefix)), False


def _case_display(obj: Any) -> str:
    """The case reference the list's query read (``case_reference``), "-" for none."""
    reference = getattr(obj, "case_ref", None)
    return format_reference(reference) if reference else "-"


@admin.register(Reminder)
class ReminderAdmin(AccessLoggedAdminMixin, ScopedAdminMixin, FastListMixin, ReadOnlyAdmin):
    """Reminders of the deadlines the user may see (``casework.privacy.scopes``), and their own."""

    list_display = [
        "id",
        "what",
        "case",
        "due",
        "kind_display",
        "channel_display",
        "recipient_display",
        "status_badge",
        "attempts",
        "sent_at",
        "failure_reason",
    ]
    list_filter = [
        MineFilter,
        "status",
        DueFilter,
        ChannelFilter,
        KindFilter,
        SourceFilter,
        ("sent_at", admin.DateFieldListFilter),
    ]
    search_fields = ["deadline__application__reference"]
    search_help_text = _("Case reference")
    list_select_related = ["deadline__application"]
    actions = ["resend"]
    fields = [
        "deadline",
        "recipient",
        "kind",
        "channel",
        "cycle",
        "resend",
        "resend_of",
        "status",
        "created_at",
        "queued_at",
        "claimed_at",
        "sent_at",
        "attempts",
        "failure",
    ]
    raw_id_fields = ["deadline", "resend_of"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Scoped by the mixin (the deadline's case or person); a reminder sent to the user
        # is theirs to see whatever the case.
        scoped = super().get_queryset(request)
        own = ReadOnlyAdmin.get_queryset(self, request).filter(recipient=f"user:{request.user.pk}")
        # Soonest due first: what needs doing, not what the sweep wrote last.
        return (
            (scoped | own)
            .annotate(recipient_name=_recipient_name(), case_ref=case_reference("deadline__"))
            .order_by("deadline__due_at", "id")
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        return _search_by_case(queryset, search_term, "deadline__")

    @admin.display(description=_("deadline"), ordering="deadline__source")
    def what(self, obj: Reminder) -> str:
        return _label(obj.deadline.source)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_display(self, obj: Reminder) -> Any:
        return kind_label(obj.kind)

    @admin.display(description=_("channel"), ordering="channel")
    def channel_display(self, obj: Reminder) -> Any:
        channel = channels().get(obj.channel)
        return (channel.label if channel else "") or obj.channel

    @admin.display(description=_("case"))
    def case(self, obj: Reminder) -> str:
        """The deadline's case, or the case of the record it is on (a permit's expiry)."""
        return _case_display(obj)

    @admin.display(description=_("due"), ordering="deadline__due_at")
    def due(self, obj: Reminder) -> dt.datetime:
        return obj.deadline.due_at

    @admin.display(description=_("recipient"), ordering="recipient")
    def recipient_display(self, obj: Reminder) -> str:
        """A member of staff by name; an applicant as "the applicant" (the case column says
        whose: their name stays on the pages whose reads are logged)."""
        if obj.recipient.startswith("person:"):
            return str(_("the applicant"))
        return getattr(obj, "recipient_name", None) or obj.recipient

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Reminder) -> str:
        # A class, not a style attribute: the Content-Security-Policy allows no inline style.
        return format_html(
            '<strong class="reminder-status-{}">{}</strong>', obj.status, obj.get_status_display()
        )

    @admin.display(description=_("failure reason"))
    def failure_reason(self, obj: Reminder) -> str:
        if not obj.failure:
            return ""
        return obj.failure if len(obj.failure) <= 80 else obj.failure[:79] + "…"

    def has_resend_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_superuser or has_role(user, Role.CASEWORKER, Role.DECISION_MAKER)

    @admin.action(description=_("Send the selected reminders again"), permissions=["resend"])
    def resend(self, request: HttpRequest, queryset: QuerySet) -> None:
        """A deliberate new delivery: a new row linked by ``resend_of`` (see reminder_resend)."""
        from casework.deadlines.reminders import reminder_resend

        done = skipped = 0
        for reminder in queryset.select_related("deadline")[:500]:
            if reminder_resend(actor=request.user, reminder=reminder) is None:
                skipped += 1
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(n)d reminder will be sent again.",
                    "%(n)d reminders will be sent again.",
                    done,
                )
                % {"n": done},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)d reminder was not resent: only sent or failed reminders of open, "
                    "unchanged deadlines can be sent again.",
                    "%(n)d reminders were not resent: only sent or failed reminders of open, "
                    "unchanged deadlines can be sent again.",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )


@admin.register(Deadline)
class DeadlineAdmin(AccessLoggedAdminMixin, ScopedAdminMixin, FastListMixin, ReadOnlyAdmin):
    """Deadlines the user may see (``casework.privacy.scopes``: the case's, or the person's when
    there
    is no case), and deadlines addressed to the user."""

    list_display = [
        "what",
        "case",
        "due_at",
        "remind_from",
        "recipient_user",
        "notify_person",
        "is_open",
        "cycle",
    ]
    list_filter = [
        AllOrMineFilter,
        SourceFilter,
        DueFilter,
        ("closed_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["application__reference"]
    search_help_text = _("Case reference")
    list_select_related = ["application", "recipient_user"]
    fields = [
        "source",
        "object_id",
        "application",
        "person",
        "due_at",
        "remind_from",
        "recipient_user",
        "notify_person",
        "closed_at",
        "cycle",
        "rule",
    ]
    readonly_fields = ["rule"]
    raw_id_fields = ["application", "person", "recipient_user"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        scoped = super().get_queryset(request)
        own = ReadOnlyAdmin.get_queryset(self, request).filter(recipient_user=request.user)
        return (scoped | own).annotate(case_ref=case_reference()).order_by("due_at")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        return _search_by_case(queryset, search_term)

    @admin.display(description=_("deadline"), ordering="source")
    def what(self, obj: Deadline) -> str:
        return _label(obj.source)

    @admin.display(description=_("case"))
    def case(self, obj: Deadline) -> str:
        """The deadline's case, or the case of the record it is on (a permit's expiry)."""
        return _case_display(obj)

    @admin.display(description=_("open"), boolean=True)
    def is_open(self, obj: Deadline) -> bool:
        return obj.closed_at is None

    @admin.display(description=_("rule"))
    def rule(self, obj: Deadline) -> str:
        spec = sources().get(obj.source)
        return str(spec.due_rule) if spec else ""
