from django.apps import AppConfig


class ReceptionConfig(AppConfig):
    """Counties and municipalities, reception centres, placements, capacity and settlement."""

    name = "reception"
    verbose_name = "Reception"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from casework import deadlines as casework_deadlines
        from casework.choices import Role
        from casework.roles import grant
        from casework.signals import application_transitioned

        from . import deadlines, rules  # noqa: F401  (registers the object permissions)
        from .geodata import load_if_empty
        from .services import on_application_transitioned

        post_migrate.connect(
            load_if_empty, sender=self, dispatch_uid="reception.load_geography_if_empty"
        )
        for source in deadlines.SOURCES:
            casework_deadlines.register(source)
        application_transitioned.connect(
            on_application_transitioned, dispatch_uid="reception.settlement_target"
        )
        geography = (
            "reception.view_county",
            "reception.view_municipality",
            "reception.view_municipalitycounty",
            "reception.view_municipalityquota",
        )
        # Model permissions open the admin pages and API lists; what an officer may do to
        # which centre's residents is decided by the object rules in ``rules.py``.
        grant(
            Role.RECEPTION,
            *geography,
            "reception.view_receptioncentre",
            "reception.view_placement",
            "reception.add_placement",
            "reception.change_placement",
            "reception.view_settlement",
            "reception.add_settlement",
        )
        grant(
            Role.INTEGRATION,
            *geography,
            "reception.view_settlement",
            "reception.add_settlement",
        )
