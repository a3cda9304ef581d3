"""What the reception admins share: the transfer and discharge links of an open placement,
offered only to who may move residents."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import Placement


def placement_links(obj: Placement) -> str:
    if obj.end is not None:
        return "-"
    return format_html(
        '<span class="nowrap"><a href="{}">{}</a> · <a href="{}">{}</a></span>',
        reverse("admin:reception_placement_transfer", args=[obj.pk]),
        _("transfer"),
        reverse("admin:reception_placement_discharge", args=[obj.pk]),
        _("discharge"),
    )


def may_move_residents(request: HttpRequest) -> bool:
    """Placing, transferring and discharging are a reception officer's work; an auditor (and
    anyone else who reads the centres) is offered none of the three links."""
    return admin.site.get_model_admin(Placement).has_add_permission(request)
