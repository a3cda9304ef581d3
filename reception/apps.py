from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceptionConfig(AppConfig):
    """Counties and municipalities, reception centres, placements, capacity and settlement."""

    name = "reception"
    verbose_name = _("Reception")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from casework.applications.signals import application_transitioned
        from casework.deadlines import registry as casework_deadlines
        from casework.people.panels import register_person_panel
        from casework.privacy.registry import register_personal_data
        from casework.privacy.scopes import register_model_scope, register_person_scope
        from casework.returns.signals import return_ended
        from casework.staff.choices import Role
        from casework.staff.roles import grant
        from casework.status.hooks import register_residence_provider

        from . import deadlines, rules  # noqa: F401  (registers the object permissions)
        from .admin import person_placement_actions, person_placement_summary
        from .geodata import load_if_empty
        from .models import Placement, ReceptionCentre, Settlement
        from .selectors import (
            centres_visible_to,
            placements_visible_to,
            residents_scope,
            settlements_visible_to,
        )
        from .services import on_application_transitioned, on_return_ended
        from .status import placement_statement, residence_lines

        post_migrate.connect(
            load_if_empty, sender=self, dispatch_uid="reception.load_geography_if_empty"
        )
        for source in deadlines.SOURCES:
            casework_deadlines.register(source)
        # A reception officer sees the people placed in the centres they staff (admin, API).
        register_person_scope(Role.RECEPTION, residents_scope)
        # Reception's own rows follow reception's rules wherever casework scopes a list
        # (``ScopedAdminMixin``, ``AccessLoggedViewSetMixin``): an officer's centres.
        register_model_scope(ReceptionCentre, centres_visible_to)
        register_model_scope(Placement, placements_visible_to)
        register_model_scope(Settlement, settlements_visible_to)
        # A resident's records, for erasure and subject access: a transfer's reason goes;
        # centres, dates and how a stay ended stay for the occupancy figures.
        register_personal_data(Placement, blank=("transfer_reason",))
        register_personal_data(Settlement)
        # Where the person lives, on casework's person page, for those who may see placements.
        register_person_panel(
            "reception.placement",
            person_placement_summary,
            label=_("Reception"),
            permission="reception.view_placement",
        )
        register_person_panel(
            "reception.placement_actions",
            person_placement_actions,
            label=_("Reception: actions"),
            permission="reception.add_placement",
        )
        # The applicant's status page tells them which centre they live at.
        register_residence_provider(
            "reception.placement", residence_lines, statement=placement_statement, columns=2
        )
        application_transitioned.connect(
            on_application_transitioned, dispatch_uid="reception.settlement_target"
        )
        # A return ended (left Norway, or whereabouts unknown): the placement ends with it.
        return_ended.connect(on_return_ended, dispatch_uid="reception.placement_on_return")
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
            # the deadlines addressed to them (an arrival-centre stay), on their start page
            "casework.view_deadline",
        )
        grant(
            Role.INTEGRATION,
            *geography,
            "reception.view_settlement",
            "reception.add_settlement",
        )
