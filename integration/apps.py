from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    """Temporary work permits, family reunification and the introduction programme."""

    name = "integration"
    verbose_name = "Integration"

    def ready(self) -> None:
        from casework.choices import Role
        from casework.roles import grant
        from casework.scopes import register_person_scope
        from casework.signals import application_transitioned

        from .deadlines import register_sources
        from .selectors import settled_people_scope
        from .services import on_application_transitioned

        register_sources()
        register_person_scope(Role.INTEGRATION, settled_people_scope)
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
