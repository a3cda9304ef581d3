from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    """The hub: people, applications, decisions, appeals, deadlines, audit and status pages."""

    name = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed
        from django.db.models.signals import post_migrate

        # Every record of a person, for erasure and subject access (other apps add theirs).
        from casework.api import personal as api_personal
        from casework.applications import rules  # noqa: F401  (registers the object permissions)
        from casework.casefile import permissions as casefile_permissions
        from casework.casefile import personal as casefile_personal
        from casework.casefile.models import (
            CaseDocument,
            CaseDocumentVersion,
            CaseNote,
            CaseNoteVersion,
        )
        from casework.core import checks  # noqa: F401  (the statement-written models' check)
        from casework.core.metrics import count_login_failure
        from casework.deadlines import (  # noqa: F401
            channels,  # registers the reminder channels
            registry,  # registers casework's deadline sources
        )
        from casework.deadlines.channels import register_channel
        from casework.deadlines.messages import register_notice_lines
        from casework.dublin import rulesets as dublin_rulesets
        from casework.lawyers import rules as lawyer_rules  # noqa: F401  (appointment permissions)
        from casework.lawyers.channels import RepresentativeChannel
        from casework.permits import deadlines as permit_deadlines  # noqa: F401  (sources)
        from casework.permits.notices import register_permit_notices
        from casework.privacy import personal
        from casework.privacy.scopes import register_model_scope
        from casework.staff import otp  # noqa: F401  (notes at sign-in whether a user has 2FA)
        from casework.staff.roles import sync_role_permissions
        from casework.status.languages import install_lang_info
        from casework.status.notices import register_notices
        from casework.status.page import waiting_lines

        personal.register()
        # A minor's representative is told of the interviews (a channel of the notices).
        register_channel(RepresentativeChannel())
        api_personal.register()
        casefile_personal.register()
        for model in (CaseNote, CaseNoteVersion, CaseDocument, CaseDocumentVersion):
            register_model_scope(model, casefile_permissions.scope_rows)
        _register_interpreters()
        _register_lawyers()
        _register_vulnerability()
        _register_dublin()
        _register_permits()
        _register_returns()
        _register_resettlement()

        install_lang_info()
        # The queue notice tells the applicant how long they may still wait, as the page does.
        register_notice_lines(waiting_lines)
        # The applicant's notices (received, interview, decision, appeal, queue): their words.
        register_notices()
        register_permit_notices()

        post_migrate.connect(sync_role_permissions, dispatch_uid="casework.sync_roles")
        post_migrate.connect(
            dublin_rulesets.load_if_empty, sender=self, dispatch_uid="casework.dublin_rule_sets"
        )
        user_login_failed.connect(count_login_failure, dispatch_uid="casework.login_failed")


def _register_lawyers() -> None:
    """What the applicant's lawyer reads and writes beside the case itself, plugged in from
    here (the concern sits below the case file and the privacy layer).

    Public Administration Act §§ 18–19: the party's lawyer sees the case documents, not the
    authority's internal working notes (§ 18 a); the letters sent to the applicant (and to
    them) are the case's, drafts not yet sent are not. A lawyer adds documents to their
    client's case (evidence, submissions), shared with them. The cases are those of their
    current appointments (``casework.privacy.scopes.clients_cases_of``); any other case is
    "not found", as one that does not exist.
    """
    from django.db.models import Exists, Q

    from casework.casefile.choices import Visibility
    from casework.casefile.permissions import CaseFileAccess, register_case_file_access
    from casework.letters.models import Letter, LetterDelivery
    from casework.privacy.scopes import (
        applications_visible_to,
        clients_cases_of,
        register_model_scope,
        sees_everything,
    )
    from casework.staff.choices import Role
    from casework.staff.roles import grant, has_role

    register_case_file_access(
        CaseFileAccess(
            role=Role.LAWYER,
            cases=lambda user: Q(Exists(clients_cases_of(user))),
            visibilities=(Visibility.LAWYER,),
            may_upload=True,
        )
    )
    grant(Role.LAWYER, "casework.view_letter", "casework.view_letterdelivery")

    def only_sent(user: Any) -> bool:
        return bool(has_role(user, Role.LAWYER) and not sees_everything(user))

    def letters(user: Any, queryset: Any) -> Any:
        rows = queryset.filter(application__in=applications_visible_to(user).values("pk"))
        return rows.exclude(sent_at=None) if only_sent(user) else rows

    def deliveries(user: Any, queryset: Any) -> Any:
        return queryset.filter(letter__in=letters(user, Letter.objects.all()).values("pk"))

    register_model_scope(Letter, letters)
    register_model_scope(LetterDelivery, deliveries)


def _register_interpreters() -> None:
    """The interpreters' rules, scopes, personal data, role grants and the check on recording
    an interview held, plugged in from here: the concern sits above the privacy layer."""
    from casework.interpreters import rules  # noqa: F401  (registers the object permissions)
    from casework.interpreters.models import (
        Interpreter,
        InterpreterBooking,
        InterpreterLanguage,
    )
    from casework.interpreters.selectors import bookings_visible_to, register_visible_to
    from casework.interpreters.services import register_checks
    from casework.privacy.registry import register_personal_data
    from casework.privacy.scopes import applications_visible_to, register_model_scope
    from casework.staff.choices import Role
    from casework.staff.roles import grant

    register_checks()
    register_model_scope(Interpreter, register_visible_to)
    register_model_scope(InterpreterLanguage, register_visible_to)
    register_model_scope(
        InterpreterBooking,
        lambda user, qs: bookings_visible_to(user, qs, applications_visible_to),
    )
    # A booking is about the applicant's session: its place and the reason it was cancelled
    # go with the person; language, times and states stay for the statistics.
    register_personal_data(
        InterpreterBooking,
        owners=("application__person",),
        blank=("location", "reason", "dialect"),
        audit_subjects=True,
        section="interpreter_bookings",
    )
    register = ("view_interpreter", "view_interpreterlanguage")
    bookings = ("view_interpreterbooking", "add_interpreterbooking", "change_interpreterbooking")
    for role in (Role.CASEWORKER, Role.DECISION_MAKER, Role.APPEALS):
        grant(role, *(f"casework.{p}" for p in (*register, *bookings)))
    grant(
        Role.INTERPRETER_COORDINATOR,
        *(f"casework.{p}" for p in (*register, *bookings)),
        "casework.add_interpreter",
        "casework.change_interpreter",
        "casework.view_interview",
    )


def _register_dublin() -> None:
    """Dublin cases' rules, scopes, personal data, role grants, statistics table and the
    receiver that restarts a suspended transfer period when the appeal is decided."""
    from casework.applications.signals import application_transitioned
    from casework.dublin import (
        rules,  # noqa: F401  (registers the object permissions)
        statistics,  # noqa: F401  (registers the table)
    )
    from casework.dublin.models import DublinRequest, DublinRuleSet, DublinStayRequest
    from casework.dublin.selectors import requests_visible_to, rules_visible_to
    from casework.dublin.services import transfer_restart_after_appeal
    from casework.privacy.registry import register_personal_data
    from casework.privacy.scopes import applications_visible_to, register_model_scope
    from casework.staff.choices import Role
    from casework.staff.roles import grant

    register_model_scope(DublinRuleSet, rules_visible_to)
    for model in (DublinRequest, DublinStayRequest):
        register_model_scope(
            model,
            lambda user, qs: requests_visible_to(user, qs, applications_visible_to),
        )
    # A request names the state the person passed through and why: it goes with the person;
    # the state, kind and dates stay for the statistics.
    register_personal_data(
        DublinRequest,
        owners=("application__person",),
        blank=("their_reference", "reason", "police_reference"),
        audit_subjects=True,
        section="dublin_requests",
    )
    register_personal_data(
        DublinStayRequest,
        owners=("application__person",),
        blank=("grounds",),
        audit_subjects=True,
        section="dublin_stay_requests",
    )
    read = ("view_dublinruleset", "view_dublinrequest", "view_dublinstayrequest")
    write = ("add_dublinrequest", "change_dublinrequest", "add_dublinstayrequest")
    for role in (Role.CASEWORKER, Role.DECISION_MAKER):
        grant(role, *(f"casework.{p}" for p in (*read, *write)))
    # The police record the transfer; the appeals body decides the request to stay.
    grant(Role.REGISTRAR, *(f"casework.{p}" for p in (*read, "change_dublinrequest")))
    grant(Role.APPEALS, *(f"casework.{p}" for p in (*read, "change_dublinstayrequest")))
    grant(Role.AUDITOR, *(f"casework.{p}" for p in read))
    application_transitioned.connect(
        transfer_restart_after_appeal, dispatch_uid="casework.dublin.transfer_restart"
    )


def _register_permits() -> None:
    """The permits' rules, scopes, personal data and role grants: a permit is seen by whoever
    sees its holder; a group renewal by those who may make one, and the auditors."""
    from casework.permits import rules  # noqa: F401  (registers the object permissions)
    from casework.permits.models import PermitRenewal, RenewalRun, ResidencePermit
    from casework.privacy.registry import register_personal_data
    from casework.privacy.scopes import people_visible_to, register_model_scope, sees_everything
    from casework.staff.choices import Role
    from casework.staff.roles import grant

    def permits_of_visible_people(user: Any, qs: Any, path: str = "person") -> Any:
        if sees_everything(user):
            return qs
        return qs.filter(**{f"{path}__in": people_visible_to(user)})

    register_model_scope(ResidencePermit, permits_of_visible_people)
    register_model_scope(
        PermitRenewal, lambda user, qs: permits_of_visible_people(user, qs, "permit__person")
    )
    # A group renewal names no person: those who may see renewals see them all.
    register_model_scope(
        RenewalRun,
        lambda user, qs: qs if user.has_perm("casework.view_renewalrun") else qs.none(),
    )
    register_personal_data(
        ResidencePermit, owners=("person",), audit_subjects=True, section="residence_permits"
    )
    register_personal_data(PermitRenewal, owners=("permit__person",), section="permit_renewals")
    permits = ("casework.view_residencepermit", "casework.view_permitrenewal")
    for role in (Role.CASEWORKER, Role.APPEALS, Role.INTEGRATION):
        grant(role, *permits)
    grant(
        Role.DECISION_MAKER,
        *permits,
        "casework.view_renewalrun",
        "casework.add_renewalrun",
    )


def _register_returns() -> None:
    """The departure deadline (a deadline source that follows every transition of a case) and
    the return records' rules, personal data and role grants."""
    from casework.applications.signals import application_transitioned
    from casework.privacy.registry import register_personal_data
    from casework.returns import rules  # noqa: F401  (registers the object permissions)
    from casework.returns.departure import departure_deadline_follow
    from casework.returns.models import Return
    from casework.staff.choices import Role
    from casework.staff.roles import grant

    application_transitioned.connect(
        lambda sender, **kwargs: departure_deadline_follow(**kwargs),
        weak=False,
        dispatch_uid="casework.departure_deadline",
    )
    # The free text goes with the person; states, dates, types and destinations stay for the
    # statistics of returns.
    register_personal_data(Return, blank=("reason",), audit_subjects=True)
    # The police (police registration) see every case and carry out forced returns; the case's
    # unit records and decides; auditors read. Which record and transition is whose is the
    # object rule of ``rules.py``.
    for role in (Role.CASEWORKER, Role.DECISION_MAKER, Role.REGISTRAR):
        grant(role, "casework.view_return", "casework.add_return", "casework.change_return")
    grant(Role.AUDITOR, "casework.view_return")


def _register_resettlement() -> None:
    """The resettlement quota's and referrals' rules, scopes, personal data and role grants.

    A referral belongs to its refugee (``person``), so it is scoped as the person is (the
    default of ``visible_to``); the quota is a figure of the budget, read by every role that
    may open it.
    """
    from casework.privacy.registry import register_personal_data
    from casework.privacy.scopes import register_model_scope
    from casework.resettlement import rules  # noqa: F401  (registers the object permissions)
    from casework.resettlement.models import ResettlementQuota, ResettlementReferral
    from casework.staff.choices import Role
    from casework.staff.roles import grant

    register_model_scope(ResettlementQuota, lambda user, qs: qs)
    # The UNHCR reference and the grounds go with the person; dates, priority, states and the
    # quota year stay for the statistics.
    register_personal_data(
        ResettlementReferral,
        owners=("person",),
        blank=("unhcr_reference", "decision_reason"),
        audit_subjects=True,
        section="resettlement_referrals",
    )
    referrals = (
        "casework.view_resettlementreferral",
        "casework.add_resettlementreferral",
        "casework.change_resettlementreferral",
    )
    for role in (Role.CASEWORKER, Role.DECISION_MAKER):
        grant(role, "casework.view_resettlementquota", *referrals)
    grant(
        Role.DECISION_MAKER, "casework.add_resettlementquota", "casework.change_resettlementquota"
    )
    # The police record arrivals: they read the referrals and the quota.
    grant(
        Role.REGISTRAR,
        "casework.view_resettlementquota",
        "casework.view_resettlementreferral",
        "casework.change_resettlementreferral",
    )


def _register_vulnerability() -> None:
    """Special needs, tuberculosis screening and age assessment: the deadline source, the
    records of a person for erasure and subject access, and the panel on the person's page."""
    from django.utils.translation import gettext_lazy as _

    from casework.people.panels import register_person_panel
    from casework.privacy.registry import register_personal_data
    from casework.vulnerability import deadlines  # noqa: F401  (registers the TB deadline)
    from casework.vulnerability.models import AgeAssessment, TbScreening, Vulnerability
    from casework.vulnerability.panels import person_vulnerability_panel

    # The detail and the findings go with the person; kinds, dates and outcomes stay for the
    # figures (how many survivors of torture were received in a year).
    register_personal_data(Vulnerability, blank=("detail", "end_reason"), audit_subjects=True)
    register_personal_data(AgeAssessment, blank=("basis",), audit_subjects=True)
    register_personal_data(TbScreening, audit_subjects=True)
    register_person_panel(
        "casework.vulnerability",
        person_vulnerability_panel,
        label=_("Special needs and health"),
        permission="casework.view_vulnerability",
        with_viewer=True,
    )
