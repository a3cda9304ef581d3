"""The statistics' models: the permission to see them, and the published tables as computed."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class Statistics(models.Model):
    """No table: it holds the permission to see the statistics page in the admin."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = _("statistics")
        verbose_name_plural = _("statistics")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class PublishedTable(models.Model):
    """One published table for one year (0: every year), one kind ("": every kind) and one
    staff language, as the refresh last computed it: its title, columns and rows.

    Why rows and not a cache entry: each table is a ``GROUP BY`` over a whole table (about
    10 s for the page at a million cases), and a cache entry that expires makes the next
    member of staff wait for it, or fails with the cache. Beat recomputes these rows
    (``casework.statistics.services.statistics_refresh``, every year and kind at once, in one
    transaction); the statistics page and ``/api/v1/statistics/`` only read them, and say
    when they were computed. The rows hold counts and labels (country, outcome, centre,
    county, municipality), never a person: what the authority publishes.
    """

    language = models.CharField(max_length=8, verbose_name=_("language"))
    year = models.PositiveSmallIntegerField(default=0, verbose_name=_("year"))
    kind = models.CharField(max_length=16, blank=True, verbose_name=_("kind"))
    slug = models.CharField(max_length=64, verbose_name=_("table"))
    # Casework's tables are counted per kind; the others (reception, integration) are one
    # table for every kind, stored with kind "" and shown whatever kind is chosen.
    by_kind = models.BooleanField(default=False, verbose_name=_("by kind"))
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    title = models.CharField(max_length=300, verbose_name=_("title"))
    note = models.TextField(blank=True, verbose_name=_("note"))
    columns = models.JSONField(default=list, verbose_name=_("columns"))
    rows = models.JSONField(default=list, encoder=DjangoJSONEncoder, verbose_name=_("rows"))
    chart = models.JSONField(default=dict, verbose_name=_("chart"))
    total_row = models.BooleanField(default=False, verbose_name=_("total row"))
    computed_at = models.DateTimeField(verbose_name=_("computed at"))
    # The table as ``/api/v1/statistics/<slug>/`` sends it (``Table.as_dict`` in compact
    # JSON), written by the refresh: the API sends it as it is instead of reading the rows back
    # and encoding them again. Empty on rows stored before it existed (the API then encodes).
    body = models.TextField(blank=True, default="", verbose_name=_("API body"))

    class Meta:
        verbose_name = _("published table")
        verbose_name_plural = _("published tables")
        constraints = [
            # Also the index the page reads by: language, year, kind.
            models.UniqueConstraint(
                fields=["language", "year", "kind", "slug"], name="one_published_table"
            )
        ]

    def __str__(self) -> str:
        return f"{self.slug} {self.year or 'all'} {self.kind or 'all'} ({self.language})"
