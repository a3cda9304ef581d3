from django.apps import AppConfig


class ReceptionConfig(AppConfig):
    """Counties and municipalities, reception centres, placements, capacity and settlement."""

    name = "reception"
    verbose_name = "Reception"
