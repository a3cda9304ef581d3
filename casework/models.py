"""Every model of casework, for Django's app registry and for the other apps.

Each model lives with its concern (``people/models.py``, ``applications/models.py``, …);
Django finds an app's models through this module, so it imports them all. Inside casework a
concern imports the models it needs from their own package, never from here: this module
depends on every concern, and a lower concern importing it would depend on all of them.
``reception`` and ``integration`` may import from here.
"""

from casework.api.models import IdempotencyKey
from casework.applications.models import Appeal, Application, Decision, Interview
from casework.audit.models import AuditEvent
from casework.casefile.models import CaseDocument, CaseDocumentVersion, CaseNote, CaseNoteVersion
from casework.core.models import Heartbeat
from casework.deadlines.models import Deadline, Reminder, SmsMessage
from casework.dublin.models import DublinRequest, DublinRuleSet, DublinStayRequest
from casework.intake.models import ImportJob
from casework.interpreters.models import Interpreter, InterpreterBooking, InterpreterLanguage
from casework.lawyers.models import (
    Appointment,
    DutyList,
    DutyListMember,
    Lawyer,
    Representative,
)
from casework.letters.models import Letter, LetterDelivery
from casework.people.models import DuplicateFlag, HouseholdLink, IdentityDocument, Person
from casework.permits.models import PermitRenewal, RenewalRun, ResidencePermit
from casework.privacy.models import AccessLog
from casework.resettlement.models import ResettlementQuota, ResettlementReferral
from casework.returns.models import Return
from casework.staff.models import StaffProfile, Unit
from casework.statistics.models import PublishedTable, Statistics
from casework.status.models import QueueDay, StatusLookup, WaitingFigure
from casework.vulnerability.models import AgeAssessment, TbScreening, Vulnerability

__all__ = [
    "AccessLog",
    "AgeAssessment",
    "Appeal",
    "Appointment",
    "Application",
    "AuditEvent",
    "CaseDocument",
    "CaseDocumentVersion",
    "CaseNote",
    "CaseNoteVersion",
    "Deadline",
    "DublinRequest",
    "DublinRuleSet",
    "DublinStayRequest",
    "Heartbeat",
    "Decision",
    "DutyList",
    "DutyListMember",
    "DuplicateFlag",
    "HouseholdLink",
    "IdempotencyKey",
    "IdentityDocument",
    "ImportJob",
    "Lawyer",
    "Interpreter",
    "InterpreterBooking",
    "InterpreterLanguage",
    "Interview",
    "Letter",
    "LetterDelivery",
    "Person",
    "PermitRenewal",
    "PublishedTable",
    "TbScreening",
    "Vulnerability",
    "QueueDay",
    "Reminder",
    "RenewalRun",
    "Representative",
    "ResidencePermit",
    "Return",
    "ResettlementQuota",
    "ResettlementReferral",
    "SmsMessage",
    "StaffProfile",
    "Statistics",
    "StatusLookup",
    "Unit",
    "WaitingFigure",
]
