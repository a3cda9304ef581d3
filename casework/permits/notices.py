"""What the holder of a renewed permit is told (``deadlines.PERMIT_RENEWED``), and how the
status page names a permit: in the holder's language, without legal references a person
does not need, never the outcome of an asylum claim (a text message may be read by someone
else: "residence permit", never "refugee").
"""

# i18n: applicant
from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from casework.core.locale_formats import local_date
from casework.deadlines.messages import NoticeText, PermanentDeliveryError, register_notice_text
from casework.permits.deadlines import PERMIT_RENEWED
from casework.permits.models import ResidencePermit


def renewed_text(deadline: Any, application: Any) -> NoticeText:
    """The holder's permit was renewed (alone or with its group): until when."""
    permit = ResidencePermit.objects.filter(pk=deadline.object_id).first()
    if permit is None:  # erased since: nothing true to say
        raise PermanentDeliveryError("the permit no longer exists")
    values = {"until": local_date(permit.valid_until)}
    return NoticeText(
        subject=_("Your residence permit has been renewed"),
        lines=[
            _("Your residence permit in Norway has been renewed. It is now valid until %(until)s.")
            % values,
            _("You do not need to apply or do anything now. Keep this message.") % values,
        ],
        sms=_("Your residence permit in Norway has been renewed until %(until)s.") % values,
    )


def permit_lines(permits: list[ResidencePermit]) -> list[str]:
    """The status page's lines about the person's permits: the newest, valid until when (or
    expired), and from when permanent residence may be applied for."""
    lines: list[str] = []
    for permit in permits[:1]:
        until = local_date(permit.valid_until)
        status = permit.status
        if status == "expired":
            lines.append(_("Your residence permit expired on %(until)s.") % {"until": until})
        elif status == "expiring":
            lines.append(
                _(
                    "Your residence permit is valid until %(until)s. It expires soon: if you "
                    "need to stay longer, apply to renew it, at the latest one month before."
                )
                % {"until": until}
            )
        else:
            lines.append(_("Your residence permit is valid until %(until)s.") % {"until": until})
        if permit.renewal_count:
            lines.append(_("It has been renewed."))
        if permit.permanent_residence_from:
            lines.append(
                _("You may apply for permanent residence from %(day)s, if you meet the conditions.")
                % {"day": local_date(permit.permanent_residence_from)}
            )
    return lines


def register_permit_notices() -> None:
    register_notice_text(PERMIT_RENEWED.key, renewed_text)
