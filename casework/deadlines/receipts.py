"""The SMS gateway's delivery receipts: ``POST /sms/receipt/`` with a JSON body

    {"id": "<our message id>", "status": "delivered", "detail": "…"}

and ``Authorization: Bearer <SMS_RECEIPT_TOKEN>``. Answers 204 when recorded, 400 for a body
that is not such an object or an unknown status, 403 for a wrong or missing token (and when
no token is configured: receipts are refused rather than accepted from anyone), 404 for a
message id that is not ours. Nothing personal is in a receipt or in the answers.
"""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from casework.deadlines.services import sms_receipt_record


def _authorised(request: HttpRequest) -> bool:
    token = getattr(settings, "SMS_RECEIPT_TOKEN", "")
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@csrf_exempt  # a server-to-server call authenticated by its token, not a browser form
@require_POST
def sms_receipt(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        return JsonResponse({"error": "not authorised"}, status=403)
    try:
        data = json.loads(request.body or b"")
        message_id, status = str(data["id"]), str(data["status"])
        detail = str(data.get("detail", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return JsonResponse({"error": "expected a JSON object with id and status"}, status=400)
    try:
        found = sms_receipt_record(message_id=message_id[:64], status=status, detail=detail)
    except ValueError:
        return JsonResponse({"error": "unknown status"}, status=400)
    if not found:
        return JsonResponse({"error": "no such message"}, status=404)
    return HttpResponse(status=204)
