from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationConfig(AppConfig):
    """Temporary work permits, family reunification and the introduction programme."""

    name = "integration"
    verbose_name = _("Integration")

    def ready(self) -> None:
        from casework.applications.signals import application_transitioned
        from casework.privacy.registry import register_personal_data
        from casework.privacy.scopes import register_model_scope, register_person_scope
        from casework.returns.signals import return_ended
        from casework.staff.choices import Role
        from casework.staff.roles import grant

        from .deadlines import register_sources
        from .models import (
            FamilyReunification,
            IntroductionProgramme,
            NorwegianTest,
            ProgrammeElement,
            WorkPermit,
            WorkPermitPeriod,
        )
        from .selectors import (
            family_reunifications_visible_to,
            programmes_visible_to,
            settled_people_scope,
            work_permits_visible_to,
        )
        from .services import on_application_transitioned, work_permits_follow_return

        register_sources()
        register_person_scope(Role.INTEGRATION, settled_people_scope)
        # One rule per record kind, for the API, the access log and casework's lists alike.
        register_model_scope(WorkPermit, work_permits_visible_to)
        register_model_scope(FamilyReunification, family_reunifications_visible_to)
        register_model_scope(IntroductionProgramme, programmes_visible_to)
        # Each record's free text goes when its person is anonymised; states, dates, periods,
        # levels and outcomes stay for the statistics. A family reunification is the
        # sponsor's and the applicant's: either one's erasure blanks it and its trail.
        register_personal_data(WorkPermit, blank=("grounds",))
        register_personal_data(WorkPermitPeriod, owners=("permit__person",))
        register_personal_data(
            FamilyReunification,
            owners=("sponsor", "applicant"),
            blank=("exception_reason", "income_rule_reason", "grounds"),
            audit_subjects=True,
        )
        register_personal_data(IntroductionProgramme, blank=("extension_reason", "outcome_note"))
        register_personal_data(ProgrammeElement, owners=("programme__person",))
        register_personal_data(NorwegianTest, owners=("programme__person",))
        application_transitioned.connect(
            on_application_transitioned, dispatch_uid="integration.application_transitioned"
        )
        # A return ended: the temporary work permit lapses (§ 94 third paragraph).
        return_ended.connect(
            lambda sender, **kwargs: work_permits_follow_return(**kwargs),
            weak=False,
            dispatch_uid="integration.work_permits_on_return",
        )
        wp = ("view_workpermit", "view_workpermitperiod")
        fam = ("view_familyreunification",)
        grant(
            Role.CASEWORKER,
            *(f"integration.{p}" for p in (*wp, *fam, "add_workpermit", "change_workpermit")),
            "integration.add_familyreunification",
            "integration.change_familyreunification",
        )
        grant(
            Role.DECISION_MAKER,
            *(f"integration.{p}" for p in (*wp, *fam)),
            "integration.change_workpermit",
            "integration.change_familyreunification",
        )
        grant(
            Role.REGISTRAR,
            *(f"integration.{p}" for p in (*wp, *fam)),
            "integration.add_workpermit",
            "integration.change_workpermit",
            "integration.add_familyreunification",
            "integration.change_familyreunification",
        )
        grant(
            Role.APPEALS,
            "integration.view_familyreunification",
            "integration.change_familyreunification",
        )
        grant(
            Role.INTEGRATION,
            "integration.view_introductionprogramme",
            "integration.add_introductionprogramme",
            "integration.change_introductionprogramme",
            "integration.view_programmeelement",
            "integration.add_programmeelement",
            "integration.view_norwegiantest",
            "integration.add_norwegiantest",
            # the deadlines addressed to them (a programme's end), on their start page
            "casework.view_deadline",
        )
