"""The check that every registered admin's list counts at most the cap (casework.admin.checks)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib import admin

from casework.admin import checks
from casework.admin.imports import ImportJobAdmin
from casework.intake.models import ImportJob


def test_every_registered_admin_passes_today():
    assert checks.admin_lists_count_at_most_a_capped_number() == []


@pytest.fixture
def reregister() -> Iterator:
    """Register ImportJob with another admin for one test, then put ours back."""

    def swap(model_admin: type) -> None:
        admin.site.unregister(ImportJob)
        admin.site.register(ImportJob, model_admin)

    yield swap
    admin.site.unregister(ImportJob)
    admin.site.register(ImportJob, ImportJobAdmin)


def test_an_admin_with_django_s_counts_fails_the_check(reregister):
    reregister(admin.ModelAdmin)
    errors = checks.admin_lists_count_at_most_a_capped_number()
    assert {e.id for e in errors} == {"casework.E003"}
    assert [e.msg for e in errors] == [
        "The admin list of casework.ImportJob is unbounded: paginator Paginator counts every row.",
        "The admin list of casework.ImportJob is unbounded: show_full_result_count counts the "
        "whole table again.",
        "The admin list of casework.ImportJob is unbounded: show_facets lets a visitor count "
        "every filter option.",
    ]


def test_a_date_hierarchy_fails_the_check(reregister):
    reregister(type("DatedImports", (ImportJobAdmin,), {"date_hierarchy": "created_at"}))
    errors = checks.admin_lists_count_at_most_a_capped_number()
    assert [e.msg for e in errors] == [
        "The admin list of casework.ImportJob is unbounded: date_hierarchy reads the date of "
        "every row for its links."
    ]
