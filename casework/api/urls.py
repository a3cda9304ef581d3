"""Casework routes under /api/v1/ (the contract clients are written against)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from casework.api import (
    casefile,
    dublin,
    interpreters,
    lawyers,
    letters,
    permits,
    resettlement,
    returns,
    views,
    vulnerability,
)

router = SimpleRouter()
router.register("people", views.PersonViewSet, basename="person")
router.register("applications", views.ApplicationViewSet, basename="application")
router.register("reminders", views.ReminderViewSet, basename="reminder")
router.register("interpreters", interpreters.InterpreterViewSet, basename="interpreter")
router.register(
    "interpreter-bookings", interpreters.InterpreterBookingViewSet, basename="interpreter-booking"
)
router.register("lawyers", lawyers.LawyerViewSet, basename="lawyer")
router.register("returns", returns.ReturnViewSet, basename="return")
router.register(
    "resettlement-quotas", resettlement.ResettlementQuotaViewSet, basename="resettlement-quota"
)
router.register(
    "resettlement-referrals",
    resettlement.ResettlementReferralViewSet,
    basename="resettlement-referral",
)
router.register("duty-lists", lawyers.DutyListViewSet, basename="duty-list")
router.register("appointments", lawyers.AppointmentViewSet, basename="appointment")
router.register("representatives", lawyers.RepresentativeViewSet, basename="representative")
router.register("dublin-rule-sets", dublin.DublinRuleSetViewSet, basename="dublin-rule-set")
router.register("dublin-requests", dublin.DublinRequestViewSet, basename="dublin-request")
router.register(
    "dublin-stay-requests", dublin.DublinStayRequestViewSet, basename="dublin-stay-request"
)
router.register("permits", permits.ResidencePermitViewSet, basename="permit")
router.register("permit-renewals", permits.RenewalRunViewSet, basename="permit-renewal")
router.register("vulnerabilities", vulnerability.VulnerabilityViewSet, basename="vulnerability")
router.register("tb-screenings", vulnerability.TbScreeningViewSet, basename="tb-screening")
router.register("age-assessments", vulnerability.AgeAssessmentViewSet, basename="age-assessment")

nested = SimpleRouter()
nested.register("interviews", views.InterviewViewSet, basename="interview")
nested.register("decisions", views.DecisionViewSet, basename="decision")
nested.register("events", views.AuditEventViewSet, basename="event")
nested.register("notes", casefile.NoteViewSet, basename="casenote")
nested.register("documents", casefile.DocumentViewSet, basename="casedocument")
nested.register("letters", letters.LetterViewSet, basename="letter")

urlpatterns = [
    path("auth/token/", views.ObtainTokenView.as_view(), name="api-token"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("applications/<int:application_pk>/", include(nested.urls)),
    *router.urls,
    path("", include("casework.api.statistics")),
]
