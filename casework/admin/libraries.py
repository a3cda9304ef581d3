"""The libraries' own admins (groups, API tokens, sign-in attempts, two-factor devices) with
the project's bounded lists.

Their lists would count every row of their tables on each view (sign-in attempts and access
records grow with every sign-in), and read every row's date for a date hierarchy and every
distinct value of a text column for a filter. Each is registered again here as the same admin
with ``FastListMixin`` in front, without the date hierarchy (its date filter stays) and
without the filters that read their options from the table (``casework.admin.checks``).
"""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt, AccessFailureLog
from axes.models import AccessLog as SignInLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import models
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import TokenProxy

from casework.admin.base import FastListMixin

LIBRARY_MODELS = (
    Group,
    TokenProxy,
    AccessAttempt,
    AccessFailureLog,
    SignInLog,
    TOTPDevice,
    StaticDevice,
)


def _options_from_table(model: Any, item: Any) -> bool:
    """Whether the list filter ``item`` of ``model`` would list the distinct values found in
    the table (a text or number column without choices): a scan of the table per view."""
    if not isinstance(item, str) or "__" in item:
        return False
    field = model._meta.get_field(item)
    fixed = (models.BooleanField, models.DateField, models.ForeignKey)
    return not (field.choices or isinstance(field, fixed))


for _model in LIBRARY_MODELS:
    _library_admin = type(admin.site.get_model_admin(_model))
    if issubclass(_library_admin, FastListMixin):
        continue
    admin.site.unregister(_model)
    admin.site.register(
        _model,
        type(
            _library_admin.__name__,
            (FastListMixin, _library_admin),
            {
                "__module__": __name__,
                "__doc__": _library_admin.__doc__,
                "date_hierarchy": None,
                "list_filter": [
                    f for f in _library_admin.list_filter if not _options_from_table(_model, f)
                ],
            },
        ),
    )
