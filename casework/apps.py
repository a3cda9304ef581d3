from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    """The hub: people, applications, decisions, appeals, deadlines, audit and status pages."""

    name = "casework"
    verbose_name = "Casework"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from casework.roles import sync_role_permissions
        from casework.status_languages import install_lang_info

        install_lang_info()

        post_migrate.connect(sync_role_permissions, dispatch_uid="casework.sync_roles")
