"""Writing the audit trail: one append-only event per change, inside the change's transaction."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.core.files import File
from django.db.models.fields.files import FieldFile

from casework.audit.models import AuditEvent
from casework.core.rows import new_row
from casework.core.statements import insert

if TYPE_CHECKING:  # the trail sits below the records it describes: names for types only
    from casework.applications.models import Application
    from casework.people.models import Person
    from casework.staff.users import AnyUser


def audit_log(**fields: Any) -> AuditEvent:
    """Write one append-only audit event (``audit_event``'s fields). Call inside the
    service's transaction."""
    return insert(audit_event(**fields))


def audit_event(
    *,
    actor: AnyUser | None,
    action: str,
    application: Application | None = None,
    person: Person | None = None,
    source_state: str = "",
    target_state: str = "",
    reason: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """The audit event ``audit_log`` writes, not yet written (a transition writes it in the
    statement that saves the case; the bulk writers write many at once)."""
    # ``casework.staff.users.recorded_user``, which sits above the trail.
    actor = actor if isinstance(actor, User) and actor.pk else None
    event = new_row(
        AuditEvent,
        {
            "application_id": getattr(application, "pk", None),
            "person_id": (
                person.pk if person is not None else getattr(application, "person_id", None)
            ),
            "actor_id": getattr(actor, "pk", None),
            "action": action,
            "source_state": source_state,
            "target_state": target_state,
            "reason": reason,
            "changes": changes or {},
        },
    )
    # the related rows at hand, as ``AuditEvent(application=…, actor=…)`` keeps them
    if application is not None:
        event.application = application
    if actor is not None:
        event.actor = actor
    return event


def audit_subject(record: Any) -> str:
    """How an audit event names a record that is not a person or a case (a unit, a centre,
    a quota): ``app_label.model:pk`` in ``changes["subject"]``, so its trail can be found."""
    return f"{record._meta.label_lower}:{record.pk}"


def apply_changes(record: Any, fields: dict[str, Any]) -> dict[str, list[Any]]:
    """Set ``fields`` on ``record`` (not saved) and return what changed, ``{field: [before,
    after]}``, ready for an audit event's ``changes``: related rows by id, dates in ISO form.

    For reference data (units, centres, quotas) and for the records whose history the
    authority must be able to show value by value (identity documents, household links). A
    person's own details stay out of the trail (``person_update`` names the fields; the
    field history keeps the values); what a person's records put in it is blanked when the
    person is anonymised (``casework.privacy.registry``).
    """
    changed: dict[str, list[Any]] = {}
    for name, value in fields.items():
        field = record._meta.get_field(name)
        before = _json_value(getattr(record, field.attname))
        after = _json_value(value.pk if field.is_relation and value is not None else value)
        uploaded = isinstance(value, File) and not isinstance(value, FieldFile)
        if before != after or uploaded:  # a file uploaded is a new file, whatever it was
            setattr(record, name, value)
            changed[name] = [before, after]
    return changed


def record_values(record: Any, names: Any, *, removed: bool = False) -> dict[str, list[Any]]:
    """The ``{field: [before, after]}`` of a record created (``[None, value]``) or removed
    (``[value, None]``, with ``removed``), in ``apply_changes``' form."""
    values = {}
    for name in names:
        value = _json_value(getattr(record, record._meta.get_field(name).attname))
        values[name] = [value, None] if removed else [None, value]
    return values


def _json_value(value: Any) -> Any:
    """A field's value as JSON keeps it: dates in ISO form, a country by its code, a file by
    whether there is one (its name is the storage's, not the record's)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, File):
        return bool(value)
    if hasattr(value, "code") and not isinstance(value, str | int | bool):  # a Country
        return value.code or ""
    return value
