"""Celery task of the statistics page: keep its figures computed before anyone asks."""

from __future__ import annotations

from celery import shared_task

# The staff interface's languages: the figures are cached per language (names of countries
# and outcomes).
STAFF_LANGUAGES = ("nb", "en")


@shared_task(name="casework.tasks.refresh_statistics", acks_late=True, ignore_result=True)
def refresh_statistics() -> int:
    """Beat, every few minutes: compute the statistics page as it opens (every year, every
    kind) in each staff language, so that no member of staff waits for the scans of the
    whole tables (``casework.statistics.tables.page_figures``). Idempotent."""
    from django.utils import translation

    from casework.statistics.tables import page_figures_refresh

    for language in STAFF_LANGUAGES:
        with translation.override(language):
            page_figures_refresh()
    return len(STAFF_LANGUAGES)
