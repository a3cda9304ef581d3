"""The rows integration's transitions write besides the record: a work permit's periods, and
the residence permit a granted family reunification gives.

The declarations in ``workflow.py`` name them (``writes=``); casework's generic transition
service builds each row after the transition's method ran and inserts it with the record's
save and its audit event. Models are looked up by name: ``workflow.py`` is imported by the
models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps

from casework.permits.services import permit_grant_family
from casework.staff.users import AnyUser, recorded_user


@dataclass(frozen=True)
class RecordsPeriod:
    """The validity period a grant (``first``) or a renewal gives, and who granted it: the
    permit's history of periods (Immigration Act § 94: up to 6 months at a time)."""

    kind: str

    def build(self, permit: Any, actor: AnyUser | None, values: dict[str, Any]) -> Any:
        return apps.get_model("integration", "WorkPermitPeriod")(
            permit=permit,
            kind=self.kind,
            valid_from=permit.valid_from,
            valid_until=permit.valid_until,
            granted_by=recorded_user(actor),
        )

    def audit(self, period: Any) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class GrantsFamilyPermit:
    """The family member's residence permit (Immigration Act §§ 40-49), recorded in
    casework's register of permits with its expiry deadline, from the day of the grant."""

    def apply(
        self, record: Any, actor: AnyUser | None, values: dict[str, Any], written: tuple[Any, ...]
    ) -> None:
        permit_grant_family(
            actor=actor,
            person=record.applicant,
            decided_at=record.decided_at,
            granted_by_record=record.audit_subject,
        )
