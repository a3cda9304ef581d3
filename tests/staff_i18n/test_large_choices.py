"""No staff page offers a table's rows as one drop-down, however large the tables grow.

A ``<select>`` of every person, case, user, settlement or placement is megabytes of HTML at
the authority's size (a million cases) and no help to anyone: a foreign key to a large table
is chosen with the admin's autocomplete (``autocomplete_fields``) or a raw-id box. This test
fills each large table with ``ROWS`` rows (``tests/staff_i18n/world.py``) and opens every add
and change page of every registered ``ModelAdmin``, and the admin pages of our own that take a
record (placing, transferring, creating a permit, a family case, a programme), as the
superuser (who sees every field), and fails on a ``<select>`` with more than ``MAX_OPTIONS``
options or a page over ``MAX_BYTES``.

The bounds: the longest fixed list a person reasonably scrolls is Norway's municipalities
(357, with the blank choice 358) or the world's countries (about 250); ``MAX_OPTIONS`` = 400
lets those through. ``ROWS`` = 600 is more than that, so any drop-down of a large table fails
here, as it would at a million rows. 500 KB of HTML is what the issue allows a page at a
million cases; with ``ROWS`` rows a page that lists a table already overshoots the option
bound long before the byte bound, which stays as the catch-all (a huge inline, a giant
timeline).
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from tests.factories import UserFactory
from tests.staff_i18n.world import build
from tests.staff_i18n.world import own_pages as world_pages

pytestmark = pytest.mark.django_db

ROWS = 600
MAX_OPTIONS = 400
MAX_BYTES = 500_000


class _Selects(HTMLParser):
    """Each ``<select>``'s name and its number of options."""

    def __init__(self) -> None:
        super().__init__()
        self.selects: list[list] = []

    def handle_starttag(self, tag, attrs):
        if tag == "select":
            self.selects.append([dict(attrs).get("name", "?"), 0])
        elif tag == "option" and self.selects:
            self.selects[-1][1] += 1


def selects(html: str) -> list[tuple[str, int]]:
    parser = _Selects()
    parser.feed(html)
    return [(name, count) for name, count in parser.selects]


def _pages(user, world: dict) -> list[str]:
    """Every registered admin's add page and first record's change page, and our own pages
    that take a record."""
    request = RequestFactory().get("/admin/")
    request.user = user
    pages = []
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        if model_admin.has_add_permission(request):
            pages.append(reverse(f"{prefix}_add"))
        if not model._meta.managed:
            continue
        first = model_admin.get_queryset(request).order_by("pk").first()
        if first is not None:
            pages.append(reverse(f"{prefix}_change", args=[first.pk]))
    return pages + [reverse(name, args=args) for name, args in world_pages(world)]


def test_no_staff_page_offers_a_large_table_as_a_drop_down(client):
    world = build(ROWS)
    superuser = UserFactory(username="root", is_superuser=True)
    client.force_login(superuser)
    pages = _pages(superuser, world)
    assert len(pages) > 40  # every admin's pages, not a few

    too_long: dict[str, list] = {}
    too_big: dict[str, int] = {}
    for url in pages:
        response = client.get(url, follow=True)  # an add page may lead to its own form
        assert response.status_code == 200, url
        html = response.content.decode()
        if len(response.content) > MAX_BYTES:
            too_big[url] = len(response.content)
        long = [(name, n) for name, n in selects(html) if n > MAX_OPTIONS]
        if long:
            too_long[url] = long
    assert too_long == {}, "\n".join(f"{url}: {found}" for url, found in sorted(too_long.items()))
    assert too_big == {}, too_big


def test_the_check_sees_a_drop_down_of_a_large_table():
    """The parser counts what a drop-down of every person would show."""
    html = "<select name='person'>" + "<option>x</option>" * (MAX_OPTIONS + 1) + "</select>"
    assert selects(html) == [("person", MAX_OPTIONS + 1)]
