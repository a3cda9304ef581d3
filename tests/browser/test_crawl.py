"""Every admin page a role can reach, opened in a real browser, and every action form on it
submitted: no server error, no refused action, no Content-Security-Policy violation, no
``<form>`` inside a ``<form>``.

A nested form is invisible in the browser's DOM (its parser drops the inner ``<form>`` tag,
so the inner button submits the outer form); the crawler therefore reads each page's HTML as
the server sent it. A form is submitted as it comes (its defaults, nothing typed): an action
that needs input answers with the form and its errors, one that needs none is done. Either
way the answer must not be a server error or a "403 Not allowed": a button the page offers
must be one the user may press.

Each kind of page is visited once per role (``/admin/casework/application/7/change/`` stands
for every case page), so the crawl stays a few dozen pages a role.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.staff import ROLES, nested_forms, new_staff_page, staff_site  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_PAGES = 80  # per role: far more kinds of page than any role has; stops a runaway crawl
# Never followed: signing out, changing one's password or second factor, deleting, files
# that are not pages (scans, CSV), the admin's JavaScript catalogue and autocomplete data,
# and the history pages (Django's own, read-only, a quarter of the crawl's time).
SKIP = re.compile(
    r"/logout/|/password_change/|/otp/|/delete/|/documents/|/jsi18n/|/autocomplete/|/history/"
    r"|\.csv$|/export|/download|/r/\d+/"
)
# Forms never submitted: signing out, the search boxes, the list's bulk-action bar (its own
# tests tick rows), a user's language choice (the rest of the crawl would change language).
SKIP_FORMS = """(form) => form.id === 'logout-form' || form.id === 'changelist-search'
  || form.id === 'changelist-form'
  || (form.getAttribute('method') || 'get').toLowerCase() !== 'post'
  || /language|setlang|logout|otp|password/.test(form.action)
  || !!form.querySelector('[name=language]')"""

# Every post form on the page with the way to press its first button.
ACTION_FORMS = f"""() => {{
  const skip = {SKIP_FORMS};
  return [...document.forms].map((form, index) => ({{index, form}}))
    .filter(({{form}}) => !skip(form))
    .map(({{index, form}}) => {{
      const inside = form.querySelector('button:not([type]), [type=submit]');
      const outside = form.id
        ? document.querySelector(`[form="${{form.id}}"]:is(button, [type=submit])`) : null;
      return {{index, id: form.id, action: form.action, button: !!(inside || outside)}};
    }})
    .filter((f) => f.button);
}}"""

PRESS = """(index) => {
  const form = document.forms[index];
  const button = form.querySelector('button:not([type]), [type=submit]')
    || document.querySelector(`[form="${form.id}"]:is(button, [type=submit])`);
  button.click();
}"""


def kind_of_page(path: str) -> str:
    """A page's kind: its path with each id replaced (one case page stands for all)."""
    return re.sub(r"/\d+/", "/N/", path)


def _links(page: Any, origin: str) -> list[str]:
    hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map((a) => a.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or not parts.path.startswith("/admin/"):
            continue
        if SKIP.search(parts.path):
            continue
        found.append(parts.path)  # a list's filters and sort orders are the same page
    return found


def crawl(browser: Any, site: Any, role: str) -> dict[str, Any]:
    """Open every kind of page ``role`` reaches from the start page; submit its forms."""
    context, page, watch = new_staff_page(browser, site, role)
    origin = site.url.rstrip("/")
    queue, seen = ["/admin/"], set()
    found_on = {"/admin/": "the start page"}
    refused: list[str] = []
    nested: dict[str, int] = {}
    submitted = 0
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        kind = kind_of_page(path)
        if kind in seen:
            continue
        seen.add(kind)
        response = page.goto(origin + path, wait_until="load")
        if response.status >= 400:
            refused.append(f"{response.status} GET {path} (a link on {found_on[path]})")
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        nested[path] = nested_forms(response.text())
        for link in _links(page, origin):
            found_on.setdefault(link, path)
            queue.append(link)

        for number, form in enumerate(page.evaluate(ACTION_FORMS)):
            if number:  # back to the page as it is now, for its next form
                page.goto(origin + path, wait_until="load")
            if not page.evaluate(
                "(i) => document.forms[i].noValidate || document.forms[i].checkValidity()",
                form["index"],
            ):
                continue  # the browser holds it back and says why; nothing is sent
            with page.expect_navigation(wait_until="load") as navigation:
                page.evaluate(PRESS, form["index"])
            answer = navigation.value
            submitted += 1
            action = urlsplit(form["action"]).path
            where = f"POST {action} (form {form['id'] or form['index']} on {path})"
            if answer is None:
                continue
            if answer.status >= 400:
                refused.append(f"{answer.status} {where}")
            elif "text/html" in answer.headers.get("content-type", ""):
                nested[where] = nested_forms(answer.text())
    context.close()
    return {
        "pages": len(seen),
        "forms": submitted,
        "server errors": watch.server_errors,
        "refused": refused,
        "policy violations": watch.csp,
        "nested forms": {where: count for where, count in nested.items() if count},
        "missing files": watch.missing,
    }


# Two halves, each on one seeded world (the roles of a half one after another: each role's
# submissions change it a little, as a working day would), so two test workers share the work.
HALVES = [ROLES[:4], ROLES[4:]]


@pytest.mark.parametrize("roles", HALVES, ids=["-".join(half) for half in HALVES])
def test_every_page_and_action_each_role_reaches_works(browser, staff_site, roles):  # noqa: F811
    found = {role: crawl(browser, staff_site, role) for role in roles}
    for role, result in found.items():
        assert result["pages"] >= 3, role
    skip = ("pages", "forms")
    problems = {
        role: {what: value for what, value in result.items() if value and what not in skip}
        for role, result in found.items()
    }
    assert problems == {role: {} for role in roles}
