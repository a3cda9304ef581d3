"""The API's stored answers as personal data (``casework.privacy.registry``).

An answer kept for ``Idempotency-Key`` replay is a copy of what the API returned: a person's
names, a case's grounds. It names its person only through the identifiers in it, so the
rows of a person are the answers that hold one of their registration numbers or case
references, or whose path is their page or one of their cases. They are deleted when the
person is anonymised (a client retrying after that gets a fresh answer, not the old names);
answers older than ``API_IDEMPOTENCY_TTL`` are replayed no more and go with them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.utils import timezone

from casework.api.models import IdempotencyKey
from casework.applications.models import Application
from casework.people.models import Person
from casework.privacy.registry import register_personal_data

_TOKEN = re.compile(r"[A-Za-z0-9]+")


def _answers_naming(person_ids: Sequence[int]) -> Q:
    ids = list(person_ids)
    needles = set(Person.objects.filter(pk__in=ids).values_list("registration_number", flat=True))
    cases = list(Application.objects.filter(person_id__in=ids).values_list("pk", "reference"))
    needles |= {reference for _pk, reference in cases}
    paths = {f"/people/{pk}/" for pk in ids} | {f"/applications/{pk}/" for pk, _r in cases}
    ttl = dt.timedelta(seconds=getattr(settings, "API_IDEMPOTENCY_TTL", 48 * 3600))
    live = IdempotencyKey.objects.filter(created_at__gte=timezone.now() - ttl)
    found = []
    for pk, path, body in live.values_list("pk", "path", "response_body"):
        text = json.dumps(body, cls=DjangoJSONEncoder)
        if any(p in path for p in paths) or needles & set(_TOKEN.findall(text)):
            found.append(pk)
    return Q(pk__in=found)


def _delete_answers(rows: QuerySet[Any], now: Any) -> None:
    ttl = dt.timedelta(seconds=getattr(settings, "API_IDEMPOTENCY_TTL", 48 * 3600))
    expired = Q(created_at__lt=(now or timezone.now()) - ttl)
    IdempotencyKey.objects.filter(Q(pk__in=rows.values("pk")) | expired).delete()


def register() -> None:
    register_personal_data(
        IdempotencyKey,
        owners=(),
        select=_answers_naming,
        anonymise=_delete_answers,
        section="api_answers",
    )
