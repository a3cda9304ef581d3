"""The only writers of reception data: placements, transfers, discharges, settlement, and the
reference data (centres, their staff, municipal quotas).

Each service runs in one transaction: lock (the centre row first, so that two placements into
one centre queue up behind each other and the second counts the first), check the user's
object permission, check the rules, write, audit (``casework.audit.services.audit_log``), and
move the deadlines (``casework.deadlines.registry``). Other apps import from here, not from
the modules below.
"""

from reception.services.centres import (
    CENTRE_EDITABLE_FIELDS,
    QUOTA_EDITABLE_FIELDS,
    centre_create,
    centre_staff_add,
    centre_staff_remove,
    centre_update,
    municipality_quota_create,
    municipality_quota_update,
)
from reception.services.placements import (
    ADULT_AGE,
    CHILD_WELFARE_AGE,
    beds_taken,
    check_placement_rules,
    on_return_ended,
    placement_create,
    placement_discharge,
    placement_end_on_return,
    placement_transfer,
)
from reception.services.settlement import (
    on_application_transitioned,
    permit_day,
    settlement_record,
    settlement_target_open,
)

__all__ = [
    "ADULT_AGE",
    "CENTRE_EDITABLE_FIELDS",
    "CHILD_WELFARE_AGE",
    "QUOTA_EDITABLE_FIELDS",
    "beds_taken",
    "centre_create",
    "centre_staff_add",
    "centre_staff_remove",
    "centre_update",
    "check_placement_rules",
    "municipality_quota_create",
    "municipality_quota_update",
    "on_application_transitioned",
    "on_return_ended",
    "placement_end_on_return",
    "permit_day",
    "placement_create",
    "placement_discharge",
    "placement_transfer",
    "settlement_record",
    "settlement_target_open",
]
