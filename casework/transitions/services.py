"""The one transition service: every workflow's state changes go through ``transition_make``.

A ``Workflow`` says how one model's records are handled around their declared transitions
(``declaration.py``): how a record is locked, saved, audited and addressed by deadlines, and
whom to tell afterwards. Everything about a single transition is in its declaration; nothing
here or in the apps' services switches on a transition's name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from casework.audit.services import audit_event
from casework.core.exceptions import ConditionsUnmet, TransitionConflict, TransitionInvalid
from casework.core.metrics import TRANSITIONS_REFUSED
from casework.core.statements import insert
from casework.deadlines.services import deadlines_move
from casework.staff.users import AnyUser, recorded_user
from casework.transitions.declaration import (
    BOTH,
    CHANGES,
    REASON,
    TICKED,
    Transition,
    declarations,
)

log = logging.getLogger(__name__)

# The model a workflow's transitions change (``Application``, ``WorkPermit``, …).
_R = TypeVar("_R", bound=models.Model)


def _save(record: Any, fields: list[str], inserts: tuple[Any, ...]) -> None:
    """Save the record (its history with it, if it keeps one), then insert the rows."""
    record.save()
    for row in inserts:
        insert(row)


@dataclass(eq=False)
class Workflow(Generic[_R]):
    """How the generic service handles one model's transitions.

    - ``lock(pk)``: the record under a row lock, with what the audit and deadlines need;
    - ``save(record, changed_fields, inserts)``: save the record and insert the rows the
      transition writes (with the audit event last);
    - ``subject(record)``: ``application``/``person`` of the audit event;
    - ``deadline_subject(record)``: ``application``/``person`` of its deadlines (by default
      the audit event's);
    - ``audit_prefix``: the audit action is ``prefix + name`` (``work_permit.grant``);
    - ``audit_changes(record)``: what every event of this model adds to its changes;
    - ``deadline_scope(record)``: a context around the deadline moves and ``after``;
    - ``after(record, declaration, source, actor, written)``: tell others (a signal).
    """

    model: type[_R]
    lock: Callable[[int], _R | None]
    save: Callable[[Any, list[str], tuple[Any, ...]], None] = _save
    subject: Callable[[Any], dict[str, Any]] = lambda record: {}
    deadline_subject: Callable[[Any], dict[str, Any]] | None = None
    audit_prefix: str = ""
    audit_changes: Callable[[Any], dict[str, Any]] = lambda record: {}
    deadline_scope: Callable[[Any], Any] = lambda record: contextlib.nullcontext()
    after: Callable[..., None] | None = None
    not_now: str = ""
    stale: str = ""
    transitions: dict[str, Transition] = field(init=False)

    def __post_init__(self) -> None:
        self.transitions = declarations(self.model)
        WORKFLOWS[self.model._meta.label] = self

    def __getitem__(self, name: str) -> Transition:
        declaration = self.transitions.get(name)
        if declaration is None:
            raise TransitionInvalid({"transition": _("Unknown action.")})
        return declaration

    def offered(self) -> list[Transition]:
        """The transitions a person may be offered (the admin's buttons, the API)."""
        return [t for t in self.transitions.values() if t.offered]


# Every workflow of every app, by its model's label (``casework.Application``), as each is
# made: the whole-system tests walk it, so a workflow added later is checked like the others.
WORKFLOWS: dict[str, Workflow[Any]] = {}


def _workflow_of(action: str) -> Workflow[Any] | None:
    """The workflow whose audit events ``action`` names: the longest prefix that fits
    (``work_permit.grant``: the permits'; ``examine``: the applications', prefix "")."""
    fitting = [w for w in WORKFLOWS.values() if action.startswith(w.audit_prefix)]
    return max(fitting, key=lambda w: len(w.audit_prefix), default=None)


def transition_done(action: str) -> Any:
    """What a timeline says of an audit event made by a transition (``work_permit.grant``:
    "Permit granted"): its declaration's ``done``, else its ``label``; None for an event no
    transition makes. So a person reads the declaration's words, never the action's code."""
    workflow = _workflow_of(action)
    if workflow is None:
        return None
    declaration = workflow.transitions.get(action[len(workflow.audit_prefix) :])
    if declaration is None:
        return None
    return declaration.done or declaration.label


def state_label(action: str, code: str) -> Any:
    """The label of an audit event's source or target state (``examined``: "under
    examination"), read from the state field of the model the event's workflow moves; the code
    itself where none fits."""
    workflow = _workflow_of(action)
    if workflow is None or not code:
        return code
    choices = dict(workflow.model._meta.get_field("state").choices or ())
    return choices.get(code, code)


def transition_refusal(*, workflow: Workflow[Any], record: Any, name: str) -> str | None:
    """Why ``name`` cannot be made on ``record`` now, in a sentence; None if it can."""
    declaration = workflow[name]
    if record.state not in declaration.source:
        message = workflow.not_now or _("This action is not possible while it is %(state)s.")
        return message % {"state": record.get_state_display()}
    unmet = declaration.unmet_guard(record)
    if unmet is not None:
        return str(getattr(unmet, "refusal", _("A condition for this action is not met.")))
    return None


def transitions_available(
    *, workflow: Workflow[Any], record: Any, user: AnyUser | None
) -> list[str]:
    """The transitions ``user`` may make on ``record`` now (permission, state and guards)."""
    return [
        t.name
        for t in workflow.offered()
        if t.permitted(record, user)
        and transition_refusal(workflow=workflow, record=record, name=t.name) is None
    ]


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


def _field_values(record: Any) -> dict[str, Any]:
    return {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}


def transition_make(
    *,
    workflow: Workflow[_R],
    actor: AnyUser | None,
    record: _R,
    name: str,
    expected_version: int | None = None,
    **values: Any,
) -> _R:
    """Make transition ``name`` on ``record``, atomically, or raise without writing anything.

    In one transaction: lock the row (two decisions at once: the second waits, then finds
    the state changed and gets ``TransitionConflict``); check the permission with the record
    as object (``PermissionDenied``); refuse a stale ``expected_version``, a wrong state or
    an unmet guard (``TransitionConflict``; ``ConditionsUnmet`` names each unmet legal
    condition); check the input (``TransitionInvalid``); run the method; save the record
    with the rows it writes and one audit event; apply the effects; move the deadlines;
    tell others (``Workflow.after``).
    """
    declaration = workflow[name]
    try:
        return _make(workflow, declaration, actor, record, expected_version, values)
    except (PermissionDenied, TransitionConflict, TransitionInvalid) as exc:
        TRANSITIONS_REFUSED.labels(
            record=record._meta.label_lower, transition=name, reason=_refusal_kind(exc)
        ).inc()
        raise


def _refusal_kind(exc: Exception) -> str:
    """The metrics' reason for a refusal: who may not, what may not be now, what is missing."""
    if isinstance(exc, PermissionDenied):
        return "permission"
    if isinstance(exc, ConditionsUnmet):
        return "unmet"
    if isinstance(exc, TransitionInvalid):
        return "invalid"
    return "conflict"


def _make(
    workflow: Workflow[_R],
    declaration: Transition,
    actor: AnyUser | None,
    record: _R,
    expected_version: int | None,
    values: dict[str, Any],
) -> _R:
    name = declaration.name
    with transaction.atomic():
        locked = workflow.lock(record.pk)
        if locked is None:  # pragma: no cover - deleted under our feet
            raise TransitionConflict(_("This record no longer exists."))
        # The workflow's fields (state, version, the actor's) are read by name here.
        obj: Any = locked
        if not declaration.permitted(obj, actor):
            log.warning(
                "refused transition %s on %s id=%s by user id=%s",
                name,
                obj._meta.label_lower,
                obj.pk,
                getattr(actor, "pk", None),
            )
            raise PermissionDenied(_("You are not allowed to do this."))
        if expected_version is not None and obj.version != expected_version:
            raise TransitionConflict(
                workflow.stale or _("Another user changed this first. Reload it and try again."),
                current_state=obj.state,
            )
        if declaration.prepare is not None and obj.state in declaration.source:
            declaration.prepare(obj)
        _check_now(workflow, declaration, obj)
        cleaned = declaration.clean(values, obj)
        source = obj.state
        before = _field_values(obj)
        try:
            getattr(obj, name)(**declaration.arguments(cleaned))
        except TransitionNotAllowed as exc:  # pragma: no cover - checked just above
            raise TransitionConflict(str(exc), current_state=obj.state) from exc
        if declaration.actor_field:
            setattr(obj, declaration.actor_field, recorded_user(actor))
        obj.version += 1
        built = [(w, w.build(obj, actor, cleaned)) for w in declaration.writes]
        built = [(w, row) for w, row in built if row is not None]
        written = tuple(row for _w, row in built)
        changes = _changes(workflow, declaration, obj, cleaned)
        for w, row in built:
            changes.update({k: _jsonable(v) for k, v in w.audit(row).items()})
        event = audit_event(
            actor=actor,
            action=workflow.audit_prefix + name,
            source_state=source,
            target_state=obj.state,
            reason=_reason(declaration, cleaned),
            changes=changes,
            **workflow.subject(obj),
        )
        changed = [k for k, v in _field_values(obj).items() if v != before[k]]
        workflow.save(obj, changed, (*written, event))
        for effect in declaration.effects:
            effect.apply(obj, actor, cleaned, written)
        with workflow.deadline_scope(obj):
            _move_deadlines(workflow, declaration, obj, cleaned)
            if workflow.after is not None:
                workflow.after(
                    record=obj, declaration=declaration, source=source, actor=actor, written=written
                )
    return locked


def _check_now(workflow: Workflow[Any], declaration: Transition, record: Any) -> None:
    """Refuse a transition the record's state or a guard does not allow now."""
    if record.state not in declaration.source:
        raise TransitionConflict(
            transition_refusal(workflow=workflow, record=record, name=declaration.name) or "",
            current_state=record.state,
        )
    unmet = declaration.unmet_guard(record)
    if unmet is None:
        return
    details = getattr(unmet, "unmet", None)
    if details is not None:  # a guard that can name each legal condition not met
        conditions = details(record)
        message = getattr(unmet, "unmet_message", None) or _("This cannot be done: %(reasons)s")
        raise ConditionsUnmet(
            message % {"reasons": " ".join(str(c.message) for c in conditions)},
            unmet=conditions,
            current_state=record.state,
        )
    raise TransitionConflict(
        str(getattr(unmet, "refusal", _("A condition for this action is not met."))),
        current_state=record.state,
    )


def _reason(declaration: Transition, cleaned: dict[str, Any]) -> str:
    """The first reason-like input given (grounds, a reason, a late appeal's reason)."""
    for i in declaration.inputs:
        if i.audit in (REASON, BOTH) and cleaned.get(i.name):
            return str(cleaned[i.name])
    return ""


def _changes(
    workflow: Workflow[Any], declaration: Transition, record: Any, cleaned: dict[str, Any]
) -> dict[str, Any]:
    changes = dict(workflow.audit_changes(record))
    for i in declaration.inputs:
        value = cleaned.get(i.name)
        if (i.audit in (CHANGES, BOTH) and value not in (None, "")) or (
            i.audit == TICKED and value
        ):
            changes[i.name] = _jsonable(value)
    for name in declaration.audited_fields:
        changes[name] = _jsonable(getattr(record, name))
    if declaration.audited is not None:
        changes.update({k: _jsonable(v) for k, v in declaration.audited(record).items()})
    return changes


def _move_deadlines(
    workflow: Workflow[Any], declaration: Transition, record: Any, cleaned: dict[str, Any]
) -> None:
    """Close the deadlines the transition ends and open its new ones (one statement on
    PostgreSQL, ``deadlines_move``)."""
    subject = (workflow.deadline_subject or workflow.subject)(record)
    closing: list[str] = []
    opening: list[tuple[str, dt.datetime]] = []
    for move in declaration.deadlines:
        due = move.due(record, cleaned) if move.due is not None else None
        if due is None:
            closing.append(move.source)
        else:
            opening.append((move.source, due))
    deadlines_move(closing=closing, opening=opening, object_id=record.pk, **subject)
