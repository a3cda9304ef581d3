"""The deadline sources of a Dublin case, registered when the workflow is imported.

Each reminds the Dublin unit: the case's assigned caseworker, or the first caseworker of the
case's unit when nobody is assigned (``services.dublin_unit_subject``). None of them speaks
to the applicant: the status page says what the case waits for.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from casework.deadlines.registry import STAFF, DeadlineSource, overdue, register, soon

# The appeals body decides a request to stay during a Dublin appeal in about six days
# (une.no, waiting times for asylum cases): a target, not a legal period.
STAY_DECISION_PERIOD = dt.timedelta(days=6)

REQUEST = register(
    DeadlineSource(
        key="dublin.request",
        label=_("send the Dublin request"),
        model="casework.DublinRequest",
        due_rule=_(
            "3 months after the application, 2 months after a Eurodac hit (Dublin III art. "
            "21(1), 23(2)); shorter under the AMMR from 12 June 2026. A late request leaves "
            "Norway responsible"
        ),
        reminders=(soon(days=14, to=(STAFF,)), soon(days=3, to=(STAFF,), name="last"), overdue()),
    )
)

REPLY = register(
    DeadlineSource(
        key="dublin.reply",
        label=_("answer of the requested state (silence is acceptance)"),
        model="casework.DublinRequest",
        due_rule=_(
            "2 months after a take-charge request (1 month when urgent), 1 month after a "
            "take-back request (2 weeks after a Eurodac hit) (Dublin III art. 22, 25); no answer "
            "by then is acceptance"
        ),
        reminders=(soon(days=3, to=(STAFF,)), overdue()),
    )
)

TRANSFER = register(
    DeadlineSource(
        key="dublin.transfer",
        label=_("Dublin transfer deadline"),
        model="casework.DublinRequest",
        due_rule=_(
            "6 months after acceptance or after the final decision on an appeal with "
            "suspensive effect; 1 year if the person is imprisoned, 18 months if they "
            "absconded (Dublin III art. 29). After it Norway is responsible"
        ),
        reminders=(soon(days=30, to=(STAFF,)), soon(days=7, to=(STAFF,), name="last"), overdue()),
    )
)

STAY_DECISION = register(
    DeadlineSource(
        key="dublin.stay_decision",
        label=_("decision on the request to stay during the appeal"),
        model="casework.DublinStayRequest",
        due_rule=_(
            "about 6 days after the request to stay, lodged within 48 hours of notification "
            "of the Dublin decision (Immigration Act § 90)"
        ),
        reminders=(soon(days=1, to=(STAFF,)), overdue()),
    )
)
