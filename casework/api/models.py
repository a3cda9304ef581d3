"""What the REST API stores for its conventions: answers kept for ``Idempotency-Key`` replay."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """The first response to a POST sent with an ``Idempotency-Key`` header, for replay.

    A client that retries a POST (a timeout, a dropped connection) sends the same key and gets
    the first response instead of a second registration or decision (IETF draft
    "The Idempotency-Key HTTP Header Field"). The unique constraint on (user, key) makes two
    concurrent retries act once: the second waits on the first's row and then replays it.
    ``status_code`` is null while the first request is still being handled.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_response_per_key")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.status_code or 'in progress'})"
