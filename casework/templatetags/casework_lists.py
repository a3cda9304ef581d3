"""The admin's result list, with its rows written by ``casework.admin.rows``.

``{% casework_result_list cl %}`` is Django's ``{% result_list cl %}`` (same context, same
``change_list_results.html`` template, per model overridable as Django's is) whose rows come
from ``casework.admin.rows.results``: the same markup for a fraction of the per-cell work.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.admin.templatetags.admin_list import result_headers, result_hidden_fields
from django.contrib.admin.templatetags.base import InclusionAdminNode

from casework.admin.rows import results

register = template.Library()


def casework_result_list(cl: Any) -> dict[str, Any]:
    """What Django's ``result_list`` returns, rows from ``casework.admin.rows``."""
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": list(results(cl)),
    }


@register.tag(name="casework_result_list")
def casework_result_list_tag(parser: Any, token: Any) -> InclusionAdminNode:
    return InclusionAdminNode(
        parser,
        token,
        func=casework_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
