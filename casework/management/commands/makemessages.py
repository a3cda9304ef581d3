"""``makemessages`` that also extracts ``_lazy(...)``.

The status page's state texts are ``gettext_lazy`` imported as ``_lazy`` (``_`` is
``gettext`` there); xgettext knows neither name, so Django's command would mark those
translations obsolete. Run it from the repository root: every app's strings go to the one
catalogue in ``locale/`` (``LOCALE_PATHS``), e.g. ``python manage.py makemessages -a``.
"""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_lazy"]
