"""A system check: no model written by statements or bulk paths has logic those paths skip.

Hand-built statements (``casework.audit.history.save_with_history``: every transition's save
of the case; ``casework.core.statements.insert``: audit events, decisions, deadlines), the
bulk import's and the demo's writers (``bulk_create``, ``COPY``, ``executemany``) and
``casework.core.rows.new_row`` write or make rows without ``save()``, without
``pre_save``/``post_save`` and without ``pre_init``/``post_init``. Logic a newcomer puts in a
``save()`` override or in such a receiver of one of these models would run on some writes and
silently not on others; this check fails instead (``manage.py check``, and so every test run).
The way out is to put the logic in the service, or to take the model off the statements.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks
from django.db import models
from django.db.models.signals import post_init, post_save, pre_init, pre_save

# The models whose rows statements or bulk paths write (labels; historical models included).
STATEMENT_WRITTEN = (
    "casework.Application",  # save_with_history (transitions), the import, the demo
    "casework.HistoricalApplication",
    "casework.Person",  # the import, the demo
    "casework.HistoricalPerson",
    "casework.AuditEvent",  # insert, the import, the demo
    "casework.Decision",  # insert (transitions), the demo
    "casework.Appeal",  # the demo
    "casework.Interview",  # the demo
    "casework.Deadline",  # insert, the import, the demo
    "casework.Reminder",  # the sweep's statement
    "casework.StatusLookup",  # the status lookup's statement
)


# ``save()`` overrides the statements may skip, and why. Only inserts skip them: an
# append-only guard that refuses to update a saved row has nothing to do on an insert.
SKIPPABLE_SAVES = {
    "casework.AuditEvent": "AuditEvent.save",  # refuses updates; statements only insert
}


def _own_save(label: str, model: Any) -> bool:
    """Whether ``model`` (or a class between it and ``Model``) overrides ``save`` with logic
    the statements would skip."""
    for cls in model.__mro__:
        if cls is models.Model or not issubclass(cls, models.Model) or "save" not in vars(cls):
            continue
        if vars(cls)["save"].__qualname__ != SKIPPABLE_SAVES.get(label):
            return True
    return False


def _receivers(signal: Any, model: Any) -> list[Any]:
    """The receivers ``signal`` calls for ``model``, simple-history's own left out (the
    statements write the history row it would)."""
    from simple_history.models import HistoricalRecords

    if not signal.has_listeners(model):
        return []
    found = []
    for receiver in signal._live_receivers(model)[0]:  # private: see tests/casework/test_checks.py
        if isinstance(getattr(receiver, "__self__", None), HistoricalRecords):
            continue
        found.append(receiver)
    return found


@checks.register(checks.Tags.models)
def statement_written_models_have_no_skipped_logic(**kwargs: Any) -> list[checks.Error]:
    errors = []
    for label in STATEMENT_WRITTEN:
        model = apps.get_model(label)
        if _own_save(label, model):
            errors.append(
                checks.Error(
                    f"{label} defines save(), which the statements writing its rows skip.",
                    hint="Move the logic into the service, or stop writing the model by "
                    "statement (casework.core.checks.STATEMENT_WRITTEN).",
                    obj=model,
                    id="casework.E001",
                )
            )
        for signal, name in (
            (pre_save, "pre_save"),
            (post_save, "post_save"),
            (pre_init, "pre_init"),
            (post_init, "post_init"),
        ):
            if _receivers(signal, model):
                errors.append(
                    checks.Error(
                        f"{label} has {name} receivers, which the statements writing its rows "
                        "do not send.",
                        hint="Call the logic from the service instead.",
                        obj=model,
                        id="casework.E002",
                    )
                )
    return errors
