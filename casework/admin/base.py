"""Admin building blocks shared by the apps: lists that stay fast at a million rows.

``CappedCountPaginator`` counts at most ``cap`` rows (``SELECT COUNT(*) FROM (… LIMIT n)``), so
a list page never scans the whole table to print "1,000,000 results"; beyond the cap it
says "more than 10,000". ``FastListMixin`` switches off the admin's second, unfiltered COUNT.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ORDER_VAR, SEARCH_VAR, ChangeList
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.core.exceptions import TransitionConflict
from casework.core.replica import replica_alias
from casework.transitions.services import transition_done


class CappedCountPaginator(Paginator):
    """A paginator whose count stops at ``cap`` + 1: page links up to the cap, no table scan."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if isinstance(object_list, QuerySet):
            return object_list[: self.cap + 1].count()
        return len(object_list)


class NameSearchResults:
    """The rows of a name search, as two index walks (``name_search_branches``): the family-name
    matches in their order, then the given-name matches. The paginator slices it like a
    queryset; each slice reads the first walk and, only past its end, the second."""

    def __init__(self, first: QuerySet, second: QuerySet, cap: int, by_person: Any = None) -> None:
        self.first, self.second, self.cap = first, second, cap
        # A list of cases (not of people): (the list before the search, its key to the
        # person, the name's people of each walk), counted person by person.
        self.by_person = by_person

    def _count(self, branch: int, limit: int) -> int:
        from casework.people.selectors import count_by_person

        if self.by_person is None:
            return (self.first, self.second)[branch][:limit].count()
        listed, field, people = self.by_person
        return count_by_person(listed, people[branch], field, limit)

    @cached_property
    def first_count(self) -> int:
        return self._count(0, self.cap + 1)

    def count(self) -> int:
        found = self.first_count
        if found > self.cap:
            return found
        return found + self._count(1, self.cap + 1 - found)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Any]:
        start, stop = index.start or 0, index.stop
        rows = list(self.first[start:stop])
        if stop is not None and len(rows) == stop - start:
            return rows
        found = start + len(rows) if rows else self.first_count
        if found > self.cap:  # the second walk lies past what the count admits
            return rows
        skip = max(0, start - found)
        return rows + list(self.second[skip : None if stop is None else stop - found])


class NameSearchPaginator(CappedCountPaginator):
    """A name search's pages: its count stops at 1,000 (nobody pages through more matches of
    a name; the search box says "more than 1,000")."""

    cap = 1_000

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if isinstance(object_list, NameSearchResults):
            return object_list.count()
        return super().count


class NameSearchChangeList(ChangeList):
    """The change list of an admin with a name search: a short result (one page, or "show
    all") is read in the search's order too, not with the list's default ordering."""

    def get_results(self, request: Any) -> None:
        super().get_results(request)
        results = self.paginator.object_list
        if isinstance(results, NameSearchResults) and not isinstance(self.result_list, list):
            self.result_list = results[0 : self.result_count]


class NameSearchMixin:
    """An admin list searched by name (``name_search_branches``): ``get_search_results`` calls
    ``name_search(request, term, path)`` when the term is a name; unless the user sorted by a
    column, the results come by name through two index walks, counted up to 1,000."""

    name_search_path = ""

    def scope_probes(self, request: Any) -> bool:
        """A search walks a bounded number of rows: the scope is asked of each (``ProbeExists``)."""
        return bool(request.GET.get(SEARCH_VAR, "").strip())

    def name_search(self, request: Any, queryset: QuerySet, term: str) -> QuerySet:
        from casework.people.selectors import name_starts_with

        request._name_search = (term, queryset)  # the list before the search: its walks
        return queryset.filter(name_starts_with(term, path=self.name_search_path))

    def get_changelist(self, request: Any, **kwargs: Any) -> type:
        return NameSearchChangeList

    def get_paginator(
        self, request: Any, queryset: Any, per_page: int, orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> Paginator:  # fmt: skip
        from casework.people.selectors import name_search_branches

        search = getattr(request, "_name_search", None)
        if search is None:
            return super().get_paginator(  # type: ignore[misc]
                request, queryset, per_page, orphans, allow_empty_first_page
            )
        term, listed = search
        if ORDER_VAR not in request.GET and isinstance(queryset, QuerySet):
            path = self.name_search_path
            first, second = name_search_branches(listed, term, path=path)
            for walk in (first, second):  # the list's joins, added after the search
                walk.query.select_related = queryset.query.select_related
            by_person = None
            if path:  # a list of cases: the name's people, each asked for its cases
                from casework.people.models import Person

                people = name_search_branches(Person.objects.all(), term)
                by_person = (listed, path.removesuffix("__"), people)
            queryset = NameSearchResults(first, second, NameSearchPaginator.cap, by_person)
        return NameSearchPaginator(queryset, per_page, orphans, allow_empty_first_page)


class FastListMixin:
    """List pages with a bounded cost: capped count, no full count, a modest page size."""

    paginator: ClassVar[type] = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a count per filter option is a table scan each
    list_per_page = 50
    list_max_show_all = 200

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))  # nosec B308 B703
    def action_checkbox(self, obj: Any) -> SafeString:
        """The row's selection box, the markup Django's ``action_checkbox`` renders through the
        form renderer's templates (a template render per row: a tenth of a list's CPU)."""
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )


class ReplicaListMixin:
    """A read-only log's list page (the audit trail, the access log, the status page's
    lookups) read from the replica when there is one: auditors' searches over millions of
    append-only rows then never load the primary. Only the list shown on a GET; a record's
    own page, and a list right after its reader wrote, come from the primary
    (``casework.core.replica.replica_alias``)."""

    def changelist_view(self, request: Any, extra_context: Any = None) -> Any:
        request._replica_list = request.method in ("GET", "HEAD")
        return super().changelist_view(request, extra_context)  # type: ignore[misc]

    def get_queryset(self, request: Any) -> Any:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        if getattr(request, "_replica_list", False):
            return queryset.using(replica_alias())
        return queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by services (audit, decisions): viewable, never editable here."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ServiceFormAdminMixin:
    """A change form whose writes are service calls (``save_model``, ``save_formset`` and
    ``delete_model`` of the admin call the app's services, which check, write and audit).

    A service's refusal (invalid input, a conflict with the record as it is now) rolls the
    whole save back, the admin's transaction included, and comes back as an error message on
    the form's page instead of a server error.
    """

    def changeform_view(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().changeform_view(request, *args, **kwargs)  # type: ignore[misc]
        except (ValidationError, TransitionConflict) as exc:
            text = exc.message if isinstance(exc, TransitionConflict) else " ".join(exc.messages)
            messages.error(request, text)
            return HttpResponseRedirect(request.get_full_path())


def changed_fields(form: Any) -> dict[str, Any]:
    """The fields the user changed in ``form``, with their cleaned values: a service's input."""
    return {name: form.cleaned_data[name] for name in form.changed_data}


def saved_as(obj: Any, saved: Any) -> None:
    """Make the admin's own copy ``obj`` the row a service saved, so that the admin's log
    entry, message and redirect name that row."""
    obj.__dict__.update(saved.__dict__)


def formset_writes(formset: Any) -> Iterator[tuple[str, Any]]:
    """The rows of a validated inline formset that ask for a write, as ``formset.save`` would
    find them: ("remove", form), ("change", form) or ("add", form)."""
    # Writes nothing with commit=False; fills the lists the admin's history message reads.
    formset.save(commit=False)
    deleted = formset.deleted_forms
    for form in formset.initial_forms:
        if form in deleted:
            yield "remove", form
        elif form.has_changed():
            yield "change", form
    for form in formset.extra_forms:
        if form.has_changed() and form not in deleted:
            yield "add", form


class ScopedAdminMixin:
    """Least privilege in the admin: rows scoped to the user, grounds hidden, auditors read.

    - ``get_queryset`` goes through ``casework.privacy.scopes.visible_to``, so the list, the change
      and history pages, search, filters, autocomplete and any custom view built on
      ``get_queryset`` show only what the user may see; a guessed id is "does not exist".
    - Fields in ``casework.privacy.scopes.SENSITIVE_FIELDS`` (grounds, reasons) are dropped from the
      page for roles that must not see them (reception and integration officers).
    - An auditor reads everything and changes nothing, whatever their group was granted.
    """

    def get_queryset(self, request: Any) -> Any:
        from casework.privacy.scopes import visible_to

        probe = bool(getattr(self, "scope_probes", lambda request: False)(request))
        return visible_to(request.user, super().get_queryset(request), probe=probe)  # type: ignore[misc]

    def _hidden(self, request: Any) -> frozenset[str]:
        from casework.privacy.scopes import hidden_fields

        return hidden_fields(request.user, self.model)  # type: ignore[attr-defined]

    def get_fields(self, request: Any, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)  # type: ignore[misc]
        hidden = self._hidden(request)
        return [f for f in fields if f not in hidden] if hidden else fields

    def get_fieldsets(self, request: Any, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        hidden = self._hidden(request)
        if not hidden:
            return fieldsets
        return [
            (name, {**opts, "fields": _drop(opts.get("fields", ()), hidden)})
            for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        fields = super().get_readonly_fields(request, obj)  # type: ignore[misc]
        hidden = self._hidden(request)
        return [f for f in fields if f not in hidden] if hidden else fields

    def get_list_display(self, request: Any) -> Any:
        fields = super().get_list_display(request)  # type: ignore[misc]
        hidden = self._hidden(request)
        return [f for f in fields if f not in hidden] if hidden else fields

    # History pages: Django's and django-simple-history's. simple-history's view falls back to
    # the newest historical row when ``get_queryset`` does not find the object, which would
    # show an out-of-scope record; so visibility is checked here first, for either.
    def history_view(self, request: Any, object_id: str, extra_context: Any = None) -> Any:
        refusal = self._out_of_scope(request, object_id)
        if refusal is not None:
            return refusal
        return super().history_view(request, object_id, extra_context)  # type: ignore[misc]

    def history_form_view(
        self, request: Any, object_id: str, version_id: str, extra_context: Any = None
    ) -> Any:
        refusal = self._out_of_scope(request, object_id)
        if refusal is not None:
            return refusal
        return super().history_form_view(  # type: ignore[misc]
            request, object_id, version_id, extra_context
        )

    def _out_of_scope(self, request: Any, object_id: str) -> Any:
        from django.contrib.admin.utils import unquote

        if self.get_object(request, unquote(object_id)) is None:  # type: ignore[attr-defined]
            opts = self.model._meta  # type: ignore[attr-defined]
            return self._get_obj_does_not_exist_redirect(  # type: ignore[attr-defined]
                request, opts, object_id
            )
        return None

    def _read_only_role(self, request: Any) -> bool:
        from casework.staff.choices import Role
        from casework.staff.roles import has_role

        return not request.user.is_superuser and has_role(request.user, Role.AUDITOR)

    def has_add_permission(self, request: Any, *args: Any) -> bool:
        if self._read_only_role(request):
            return False
        return super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        if self._read_only_role(request):
            return False
        return super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        if self._read_only_role(request):
            return False
        return super().has_delete_permission(request, obj)  # type: ignore[misc]


def _drop(fields: Any, hidden: frozenset[str]) -> tuple:
    """Fieldset fields without the hidden ones (fields may be grouped in tuples on a line)."""
    kept = []
    for field in fields:
        if isinstance(field, list | tuple):
            line = tuple(f for f in field if f not in hidden)
            if line:
                kept.append(line)
        elif field not in hidden:
            kept.append(field)
    return tuple(kept)


# What a timeline or the audit trail says of an event no transition makes (a transition's own
# words are in its declaration: ``transition_done``). Other apps add theirs.
EVENT_TITLES: dict[str, Any] = {
    "lodged": _("Application lodged"),
    "assigned": _("Assigned"),
    "routed": _("Moved to another unit"),
    "interview_scheduled": _("Interview scheduled"),
    "interview_moved": _("Interview moved"),
    "interview_held": _("Interview held"),
    "interview_waived": _("Interview waived"),
    "note_added": _("Note written"),
    "note_corrected": _("Note corrected"),
    "document_added": _("Document added"),
    "document_version_added": _("New version of a document"),
    "status_lookups_paused": _("Status-page lookups from new devices paused after failed tries"),
}


def event_title(action: str) -> Any:
    """An audit event's action in words: the transition's, a title above, else the code
    spelled out ("person_registered": "Person registered"), never the bare code."""
    return (
        transition_done(action)
        or EVENT_TITLES.get(action)
        or capfirst(action.replace(".", ": ").replace("_", " "))
    )
