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
        from casework.deadlines.messages import register_notice_lines
        from casework.privacy import personal
        from casework.privacy.scopes import register_model_scope
        from casework.staff import otp  # noqa: F401  (notes at sign-in whether a user has 2FA)
        from casework.staff.roles import sync_role_permissions
        from casework.status.languages import install_lang_info
        from casework.status.notices import register_notices
        from casework.status.page import waiting_lines

        personal.register()
        api_personal.register()
        casefile_personal.register()
        for model in (CaseNote, CaseNoteVersion, CaseDocument, CaseDocumentVersion):
            register_model_scope(model, casefile_permissions.scope_rows)

        install_lang_info()
        # The queue notice tells the applicant how long they may still wait, as the page does.
        register_notice_lines(waiting_lines)
        # The applicant's notices (received, interview, decision, appeal, queue): their words.
        register_notices()

        post_migrate.connect(sync_role_permissions, dispatch_uid="casework.sync_roles")
        user_login_failed.connect(count_login_failure, dispatch_uid="casework.login_failed")
