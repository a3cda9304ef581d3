from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    """Temporary work permits, family reunification and the introduction programme."""

    name = "integration"
    verbose_name = "Integration"

    def ready(self) -> None:
        from casework.applications.signals import application_transitioned
        from casework.privacy.scopes import register_model_scope, register_person_scope
        from casework.staff.choices import Role
        from casework.staff.roles import grant

        from .deadlines import register_sources
        from .models import FamilyReunification, IntroductionProgramme, WorkPermit
        from .selectors import (
            family_reunifications_visible_to,
            programmes_visible_to,
            settled_people_scope,
            work_permits_visible_to,
        )
        from .services import on_application_transitioned

        register_sources()
        register_person_scope(Role.INTEGRATION, settled_people_scope)
        # One rule per record kind, for the API, the access log and casework's lists alike.
        register_model_scope(WorkPermit, work_permits_visible_to)
        register_model_scope(FamilyReunification, family_reunifications_visible_to)
        register_model_scope(IntroductionProgramme, programmes_visible_to)
        application_transitioned.connect(
            on_application_transitioned, dispatch_uid="integration.application_transitioned"
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
        )
