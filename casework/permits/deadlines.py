"""The permits' deadline sources: the expiry of a permit, and the notice of a renewal.

**Expiry** (``casework.permit_expiry``): due at the end of the permit's last valid day. The
holder and the unit (the case's assigned caseworker) are reminded **3 months before** and
again **5 weeks before**, and the unit once it has expired. Why those: a renewal may be
applied for from 3 months before the permit expires, and one applied for at the latest
1 month before lets the holder stay on the old permit's terms while it is decided
(Immigration Act § 61 and Immigration Regulations § 10-20, as the authority explains it; the
exact months are not verified in the reference notes [U]); the 5-week reminder comes in time
for that last month. A collective-protection holder is told too: the group renewal usually
comes first, and then the reminder of the old date is cancelled with the move.

**Renewal notice** (``casework.permit_renewed``): an event notice to the holder when a permit
is renewed (the group renewal writes these rows for every permit it extends, and the
reminder sweep sends each once, in the holder's language).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from casework.deadlines.registry import (
    PERSON,
    STAFF,
    DeadlineSource,
    event,
    overdue,
    register,
    soon,
)

EXPIRY_FIRST_REMINDER = dt.timedelta(days=91)
EXPIRY_LAST_REMINDER = dt.timedelta(days=35)

PERMIT_EXPIRY = register(
    DeadlineSource(
        key="casework.permit_expiry",
        label=_("residence permit expiry"),
        model="casework.ResidencePermit",
        due_rule=_(
            "the permit's last valid day; the holder and the unit are reminded 3 months and "
            "5 weeks before (a renewal applied for at the latest 1 month before keeps the "
            "right to stay while it is decided, Immigration Act § 61)"
        ),
        reminders=(
            soon(days=EXPIRY_FIRST_REMINDER.days, to=(STAFF, PERSON)),
            soon(days=EXPIRY_LAST_REMINDER.days, to=(STAFF, PERSON), name="last_month"),
            overdue(to=(STAFF,)),
        ),
        notify_person=True,
        person_message=_(
            "Your residence permit in Norway is valid until %(due)s. If you need to stay "
            "longer, apply to renew it in good time, at the latest one month before it expires."
        ),
    )
)

PERMIT_RENEWED = register(
    DeadlineSource(
        key="casework.permit_renewed",
        label=_("notice to the holder that the residence permit was renewed"),
        model="casework.ResidencePermit",
        due_rule=_("when the permit is renewed, alone or with its group"),
        reminders=(event(),),
        notify_staff=False,
        notify_person=True,
        shown_as_deadline=False,
    )
)
