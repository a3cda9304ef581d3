"""A system check: every list in the admin has a bounded cost, whatever table it shows.

Django's defaults count every row of a list's table twice per page view (the paginator's
``COUNT(*)`` and the unfiltered "of N" total) and, when asked, once per filter option (the
facets): at a million cases each is a scan of the whole table, paid on every page. The
project's lists use ``FastListMixin`` instead (a count capped at 10,000, no second count, no
facets) and no date hierarchy (its links come from every row's date). This check fails
``manage.py check`` (and so every test run) when a registered admin, ours or a library's, is
without them; ``tests/security/test_admin_lists.py`` opens every
list and holds it to the same by the queries it actually makes.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.core import checks

from casework.admin.base import CappedCountPaginator


def unbounded_list_settings(model_admin: Any) -> list[str]:
    """What makes ``model_admin``'s list count more than it shows (empty when nothing does)."""
    found = []
    if not issubclass(model_admin.paginator, CappedCountPaginator):
        found.append(f"paginator {model_admin.paginator.__name__} counts every row")
    if model_admin.show_full_result_count:
        found.append("show_full_result_count counts the whole table again")
    if model_admin.show_facets != admin.ShowFacets.NEVER:
        found.append("show_facets lets a visitor count every filter option")
    if model_admin.date_hierarchy:
        found.append("date_hierarchy reads the date of every row for its links")
    return found


@checks.register(checks.Tags.admin)
def admin_lists_count_at_most_a_capped_number(**kwargs: Any) -> list[checks.Error]:
    errors = []
    for model in apps.get_models():
        if not admin.site.is_registered(model):
            continue
        model_admin = admin.site.get_model_admin(model)
        for problem in unbounded_list_settings(model_admin):
            errors.append(
                checks.Error(
                    f"The admin list of {model._meta.label} is unbounded: {problem}.",
                    hint="Put casework.admin.base.FastListMixin among the admin's bases, a "
                    "DateFieldListFilter for a date hierarchy (a library's admin: "
                    "re-register it in casework/admin/libraries.py).",
                    obj=type(model_admin),
                    id="casework.E003",
                )
            )
    return errors
