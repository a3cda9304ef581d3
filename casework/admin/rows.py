"""The rows of an admin list, written as Django's ``items_for_result`` writes them, for less.

Profiled at a million cases (docs/performance.md), about half of a list page's CPU went to the
admin's per-cell work: for every cell of every row, ``lookup_field`` asks the model's options
for the column (an exception for each column that is not a field), the empty-value text and
the link column are worked out again, and the row's link is ``reverse``d and then parsed and
resolved again to carry the list's filters (``add_preserved_filters``); the selection checkbox
of each row is rendered through the form renderer's template. None of that changes from one
row to the next. ``RowWriter`` decides it once per list (each column's kind, classes, empty
text, whether it is the link) and builds the links from one ``reverse``; each cell is then
its value, formatted by the admin's own ``display_for_field``/``display_for_value``, and
escaped. The markup is the admin's, cell for cell (``tests/casework/test_admin_rows.py``
compares the two on every list).

A list with editable columns (``list_editable``: a form per row) keeps Django's own rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote as url_quote

from django.contrib.admin.templatetags.admin_list import ResultList
from django.contrib.admin.templatetags.admin_list import results as django_results
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    display_for_field,
    display_for_value,
    lookup_field,
    quote,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, format_html
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString

_PK = "casework-row-pk"  # stands for the row's key in the one reversed link
_SAFE = RFC3986_SUBDELIMS + "/~:@"  # what ``reverse`` leaves unquoted in a path argument


def _css_name(name: Any, index: int) -> str:
    """The column's name in its ``field-…`` class, as the admin's list writes it."""
    if callable(name):
        return f"lambda{index}" if name.__name__ == "<lambda>" else name.__name__
    return str(name)


class _Column:
    """What ``items_for_result`` works out for a column, worked out once."""

    def __init__(self, cl: Any, index: int, name: Any, is_link: bool) -> None:
        self.name = name
        self.is_link = is_link
        self.classes = f"field-{_css_name(name, index)}"
        self.empty = cl.model_admin.get_empty_value_display()
        self.field: Any = None
        self.fk = False
        self.nowrap = False
        self.boolean = False
        self.read: Callable[[Any], Any] | None = None  # None: the admin's lookup_field
        # A column with choices: value → label, made once a page (``display_for_field``
        # flattens the choices for every cell: a country column, ~250 countries a row).
        self.choices: dict[Any, Any] | None = None
        if name == "action_checkbox":
            self.classes = "action-checkbox"
        if not isinstance(name, str) or name == "__str__":
            return
        try:
            field = cl.lookup_opts.get_field(name)
        except FieldDoesNotExist:
            field = None
        if field is not None:
            # A concrete column by its own name (not ``<fk>_id``, not a many-to-many): what
            # ``lookup_field`` reads with ``getattr``. Any other field: the admin's own way.
            if field.concrete and field.name == name and not field.many_to_many:
                self.field = field
                self.fk = isinstance(field.remote_field, models.ManyToOneRel)
                self.nowrap = isinstance(
                    field, models.DateField | models.TimeField | models.ForeignKey
                )
                self.read = lambda obj: getattr(obj, name)
                self.choices = _choices(field)
            return
        attr = getattr(cl.model_admin, name, None)
        if callable(attr) and not hasattr(cl.model, name):
            # A column the model admin computes (``lookup_field`` calls it with the row).
            self.empty = getattr(attr, "empty_value_display", self.empty)
            self.boolean = getattr(attr, "boolean", False)
            self.read = attr

    def value(self, cl: Any, obj: Any) -> tuple[Any, bool]:
        """(the cell's text, whether it gets ``nowrap``), as ``items_for_result``."""
        try:
            if self.read is None:
                field, attr, value = lookup_field(self.name, obj, cl.model_admin)
                return self._generic(obj, field, attr, value)
            value = self.read(obj)
        except ObjectDoesNotExist:
            return self.empty, False
        if isinstance(value, str) and value.strip() == "":
            value = ""
        if self.field is None:
            text = display_for_value(value, self.empty, self.boolean)
            return text, isinstance(value, datetime.date | datetime.time)
        if self.fk:
            related = getattr(obj, self.field.name)
            return (self.empty if related is None else related), self.nowrap
        if self.choices is not None:
            try:
                return self.choices.get(value, self.empty), self.nowrap
            except TypeError:  # an unhashable value: the admin's own way
                pass
        return display_for_field(
            value, self.field, self.empty, avoid_link=self.is_link
        ), self.nowrap

    def _generic(self, obj: Any, field: Any, attr: Any, value: Any) -> tuple[Any, bool]:
        """A column this class does not shortcut: the admin's own steps."""
        empty = getattr(attr, "empty_value_display", self.empty)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        if field is None or field.auto_created:
            boolean = getattr(attr, "boolean", False)
            if isinstance(attr, property) and hasattr(attr, "fget"):
                boolean = getattr(attr.fget, "boolean", False)
            text = display_for_value(value, empty, boolean)
            return text, isinstance(value, datetime.date | datetime.time)
        nowrap = isinstance(field, models.DateField | models.TimeField | models.ForeignKey)
        if isinstance(field.remote_field, models.ManyToOneRel):
            related = getattr(obj, field.name)
            return (empty if related is None else related), nowrap
        return display_for_field(value, field, empty, avoid_link=self.is_link), nowrap


def _choices(field: Any) -> dict[Any, Any] | None:
    """``field``'s choices as ``display_for_field`` reads them (None: no choices, or choices
    that are not hashable, which it handles its own way)."""
    flat = getattr(field, "flatchoices", None)
    if not flat:
        return None
    try:
        return dict(flat)
    except TypeError:
        return None


class RowWriter:
    """The cells of a list's rows; one per list page."""

    def __init__(self, cl: Any) -> None:
        self.cl = cl
        links = cl.list_display_links
        self.columns = []
        first = True
        for index, name in enumerate(cl.list_display):
            if links is None:
                is_link = False
            elif first and not links:
                is_link = True
            else:
                is_link = name in links
            if is_link:
                first = False
            self.columns.append(_Column(cl, index, name, is_link))
        self.key = str(cl.to_field) if cl.to_field else cl.lookup_opts.pk.attname
        self.link = self._link()

    def _link(self) -> tuple[str, str] | None:
        """The change page's link around ``_PK``, with the list's filters kept, as
        ``url_for_result`` and ``add_preserved_filters`` make it for each row."""
        cl = self.cl
        try:
            url = reverse(
                f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change",
                args=(_PK,),
                current_app=cl.model_admin.admin_site.name,
            )
        except NoReverseMatch:
            return None
        url = add_preserved_filters(
            {"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url
        )
        before, _sep, after = url.partition(_PK)
        return before, after

    def row(self, obj: Any) -> SafeString:
        """One ``<tr>``'s cells, as Django's admin writes them."""
        cl = self.cl
        cells = []
        first = True
        for column in self.columns:
            text, nowrap = column.value(cl, obj)
            classes = f"{column.classes} nowrap" if nowrap else column.classes
            if not column.is_link:
                cells.append(f'<td class="{classes}">{conditional_escape(text)}</td>')
                continue
            tag = "th" if first else "td"
            first = False
            if self.link is None:
                inner = conditional_escape(text)
            else:
                key = url_quote(str(quote(getattr(obj, cl.pk_attname))), safe=_SAFE)
                href = f"{self.link[0]}{key}{self.link[1]}"
                popup = (
                    format_html(' data-popup-opener="{}"', obj.serializable_value(self.key))
                    if cl.is_popup
                    else ""
                )
                inner = format_html('<a href="{}"{}>{}</a>', href, popup, text)
            cells.append(f'<{tag} class="{classes}">{inner}</{tag}>')
        # Every cell's text went through ``conditional_escape`` or ``format_html``; the tags and
        # classes are the column names', as Django writes them (its ``mark_safe`` of each).
        return SafeString("".join(cells))  # nosec B308 B703: each part escaped above


def results(cl: Any) -> Iterator[ResultList]:
    """What ``admin_list.results`` yields: each row's cells (here one string of them)."""
    if cl.formset:
        yield from django_results(cl)
        return
    writer = RowWriter(cl)
    for obj in cl.result_list:
        yield ResultList(None, [writer.row(obj)])
