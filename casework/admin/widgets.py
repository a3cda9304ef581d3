"""Select boxes written in Python: the same markup for a fraction of the CPU.

Django's ``Select`` renders each ``<option>`` by including ``select_option.html``: a template
lookup, a context push and an ``attrs.html`` include per option. A person's change page has
four lists of countries or languages (nationality, other nationalities, languages, preferred
language; each identity document's issuing country besides), about 1,800 includes, which
profiled as most of the page's CPU at a million cases (docs/performance.md).
Writing the options in place in a template (``casework/widgets/select.html``, Django's
``select.html`` without the include) still resolved a dozen template variables per option;
``QuickRenderer`` writes that template's markup in Python instead, and renders every other
template as Django's default renderer does. A widget whose templates are Django's own gets it.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.html import escape
from django.utils.safestring import SafeData, SafeString

DJANGO_SELECT = "django/forms/widgets/select.html"
DJANGO_OPTION = "django/forms/widgets/select_option.html"
QUICK_SELECT = "casework/widgets/select.html"


def _attrs(attrs: dict[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {escape(name)}" if value is True else f' {escape(name)}="{_text(value)}"')
    return "".join(out)


def _text(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: safe text kept, anything else escaped."""
    return str(value) if isinstance(value, SafeData) else escape(f"{value}")


class QuickRenderer(DjangoTemplates):
    """Django's default form renderer, but ``QUICK_SELECT`` is written here, not rendered."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name != QUICK_SELECT:
            return super().render(template_name, context, request)
        widget = context["widget"]
        shown = Context(autoescape=True)
        out = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                out.append(f'\n  <optgroup label="{render_value_in_context(group_name, shown)}">')
            for option in group_choices:
                label = render_value_in_context(option["label"], shown)
                value = _text(option["value"])
                out.append(
                    f'\n  <option value="{value}"{_attrs(option["attrs"])}>{label}</option>\n'
                )
            if group_name:
                out.append("\n  </optgroup>")
        out.append("\n</select>")
        # Every name, value and label above went through escape or render_value_in_context.
        return SafeString("".join(out))  # nosec B308 B703: each part escaped above


QUICK = QuickRenderer()


def quick_selects(fields: dict[str, Any]) -> None:
    """Give the form fields' select widgets (inside the admin's related-field wrapper too) the
    template that writes options in place, where theirs are Django's own."""
    for field in fields.values():
        widget = getattr(field.widget, "widget", field.widget)  # RelatedFieldWidgetWrapper
        if (
            getattr(widget, "template_name", None) == DJANGO_SELECT
            and getattr(widget, "option_template_name", None) == DJANGO_OPTION
        ):
            widget.template_name = QUICK_SELECT


class QuickSelectsMixin:
    """Model admins and inlines whose forms' select boxes render options in place."""

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        quick_selects(form.base_fields)
        form.default_renderer = QUICK
        return form

    def get_formset(self, request: Any, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)  # type: ignore[misc]
        quick_selects(formset.form.base_fields)
        formset.form.default_renderer = QUICK
        formset.default_renderer = QUICK
        return formset
