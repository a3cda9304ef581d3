from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    """Temporary work permits, family reunification and the introduction programme."""

    name = "integration"
    verbose_name = "Integration"
