"""Document the error answers every operation can give, so clients (and schemathesis) know them.

Views document their own refusals (400 by field, 403, 409…). A few answers come from the
framework around them and can reach any operation: 401 without valid credentials, 403, 404
for a path that names nothing, 429 when throttled, 503 when the database is unreachable
(``casework.core.middleware``), and 400 from a filter or body that does not parse. Each is added
where the view did not document it, with the error body (``{"detail": …}`` or field errors).
"""

from __future__ import annotations

from typing import Any

ERROR_BODY = {
    "type": "object",
    "additionalProperties": True,
    "properties": {"detail": {"type": "string"}},
}
DESCRIPTIONS = {
    "400": "Invalid input, by field.",
    "401": "No valid credentials.",
    "403": "You may not do this.",
    "404": "Not found (or not yours to see).",
    "429": "Too many requests; retry after the time in Retry-After.",
    "503": "The service is temporarily unavailable; retry after Retry-After.",
}


def document_standard_errors(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular postprocessing hook: add the missing standard error responses."""
    for _path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            # 404 also for lists: a cursor that does not decode is "Invalid cursor" (DRF).
            codes = ["401", "403", "404", "429", "503"]
            if operation.get("parameters") or operation.get("requestBody") or method != "get":
                codes.append("400")
            responses = operation["responses"]
            for code in codes:
                responses.setdefault(
                    code,
                    {
                        "description": DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": ERROR_BODY}},
                    },
                )
    return result
