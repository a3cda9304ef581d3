"""Read an admin form as a browser would submit it, and submit it with some fields changed.

The tests that POST the admin's own forms start from the page as rendered (every field, the
inline formsets' management forms), so that they change exactly what a user would change.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class AdminFormFields(HTMLParser):
    """The (name, value) pairs a browser submits from the page's admin form (``<form
    id="…_form">``): as rendered, unchecked boxes left out, the inline template row skipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pairs: list[tuple[str, str]] = []
        self._in_form = False
        self._select: tuple[str, bool, list, list] | None = None
        self._textarea: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("id") or "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name") or ""
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.pairs.append((name, a.get("value") or "on"))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self.pairs.append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self._select = (name, "multiple" in a, [], [])
        elif tag == "option" and self._select is not None:
            value = a.get("value") or ""
            self._select[3].append(value)
            if "selected" in a:
                self._select[2].append(value)
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            name, multiple, chosen, options = self._select
            if not chosen and not multiple and options:
                chosen = options[:1]
            self.pairs += [(name, value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self.pairs.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def form_on(client: Any, url: str) -> dict[str, list[str]]:
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    parser = AdminFormFields()
    parser.feed(page.content.decode())
    data: dict[str, list[str]] = {}
    for name, value in parser.pairs:
        if "__prefix__" not in name:
            data.setdefault(name, []).append(value)
    assert data, f"no admin form on {url}"
    return data


def post_form(client: Any, url: str, changes: dict[str, Any]) -> Any:
    """Submit the admin form at ``url`` as rendered, with ``changes`` typed in."""
    data = {**form_on(client, url), **{k: v for k, v in changes.items()}, "_save": "Save"}
    response = client.post(url, data)
    assert response.status_code == 302, errors(response)
    return response


def errors(response: Any) -> str:
    context = response.context or {}
    errors = getattr(context.get("adminform"), "form", None)
    formsets = [f.formset.errors for f in context.get("inline_admin_formsets", [])]
    return f"{response.status_code}: {getattr(errors, 'errors', '')} {formsets}"
