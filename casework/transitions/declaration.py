"""One declaration per transition: everything the system needs to know about it, in one place.

A workflow is a mixin of transition methods on a model (``applications/workflow.py``,
``integration/workflow.py``). Each method is decorated with ``transition(...)`` from here,
which says:

- **where it goes**: ``source`` (one state or several) and ``target``; ``target=SAME``: the
  record stays in the state it is in (a fact recorded about it, such as the day a decision
  reached the applicant), drawn as a loop on each source state; ``target=BACK``: the record
  goes back to the state it left (a case taken off hold), which the method returns, one of
  ``returns_to``, drawn as an arrow to each;
- **who may make it**: ``permission``, an object permission asked with the record as object
  (``rules``), so that a group grant alone never passes an object rule; ``None`` means only
  the system makes it (an expiry sweep, a reaction to another record);
- **when it may be made**: ``guards``, each a function of the record with the sentence a user
  reads when it is unmet (``guard``; a guard of several legal conditions can name each one
  unmet);
- **what it takes**: ``inputs``, each with its type, label, whether it is required, its help
  text, its default and where the audit event keeps it; the admin's form, the API's request
  body and its OpenAPI schema are built from them; ``validators`` check input against the
  record, reported with the missing inputs all at once;
- **what it writes**: ``writes``, rows built from the record and the input and inserted with
  the record's save (a decision, an appeal, a validity period); ``effects``, changes to other
  rows made after the save (the appeal's outcome);
- **the deadlines it moves**: ``deadlines``, each opening a deadline source at a date computed
  from the record, or closing it;
- **what its audit event keeps** besides its inputs: ``audited_fields`` of the record, and
  ``audited`` values computed from it;
- and its ``label`` (a button, an API summary) and the ``role`` that makes it (documentation).

The method's body is the rule itself: pure, it checks what only the record can tell and
changes the record in memory; it never saves. One generic service
(``casework.transitions.services.transition_make``) locks, checks, runs the method, saves,
writes the rows and the audit event and moves the deadlines, for every workflow. Nothing else
switches on a transition's name.

django-fsm-2 keeps the state field protected and draws the state machine
(``manage.py graph_transitions``): ``transition`` passes source, target, guards and
permission on to its ``@transition``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import django_fsm
from django.utils.translation import gettext_lazy as _

from casework.core.exceptions import TransitionInvalid

if TYPE_CHECKING:
    from casework.staff.users import AnyUser

# --- inputs -----------------------------------------------------------------------------------

TEXT = "text"  # one line
LONG_TEXT = "long_text"  # several lines (grounds, reasons)
CHOICE = "choice"
BOOLEAN = "boolean"
INTEGER = "integer"
DATE = "date"
DATETIME = "datetime"
KINDS = (TEXT, LONG_TEXT, CHOICE, BOOLEAN, INTEGER, DATE, DATETIME)

# Where an input goes in the audit event: its ``reason`` (grounds, a reason: the first given),
# its ``changes`` (a structured value: an outcome, a date), both, its changes only when ticked
# (a box left unticked says nothing), or nowhere.
REASON = "reason"
CHANGES = "changes"
BOTH = "both"
TICKED = "ticked"
NOWHERE = "nowhere"
AUDIT_PLACES = (REASON, CHANGES, BOTH, TICKED, NOWHERE)

# A transition's ``target`` when the record stays in its state (one loop per source state).
SAME = "="
# A transition's ``target`` when the record goes back to the state it left: the method returns
# it, and it must be one of the declaration's ``returns_to``.
BACK = "<"


@dataclass(frozen=True)
class Input:
    """One value a transition takes from the person making it.

    ``default`` is used when the input is omitted or blank: a value, or a callable of no
    arguments (``timezone.now``). ``in_admin=False`` leaves it out of the admin's form (the
    API still takes it).
    """

    name: str
    kind: str
    label: Any
    required: bool = False
    help_text: Any = ""
    choices: Sequence[tuple[str, Any]] = ()
    default: Any = None
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    in_admin: bool = True
    audit: str = CHANGES

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown input kind {self.kind!r}")
        if self.audit not in AUDIT_PLACES:
            raise ValueError(f"{self.name}: unknown audit place {self.audit!r}")

    def but(self, **changes: Any) -> Input:
        """The same input with some attributes changed (a label, whether it is required)."""
        return dataclasses.replace(self, **changes)

    def value(self, values: dict[str, Any]) -> Any:
        """This input's value in ``values``, stripped, or its default when omitted or blank."""
        raw = values.get(self.name)
        if isinstance(raw, str):
            raw = raw.strip()
        if raw is None or raw == "":
            return self.default() if callable(self.default) else self.default
        return raw


# --- guards and permissions -------------------------------------------------------------------


def guard(
    message: Any,
    *,
    unmet: Callable[[Any], list[Any]] | None = None,
    unmet_message: Any = None,
) -> Callable[[Callable[[Any], bool]], Callable[[Any], bool]]:
    """Attach the sentence a user reads when this guard is unmet.

    A guard made of several legal conditions can name each one it finds unmet: ``unmet``
    returns them (objects with a ``code`` and a ``message``), and the service refuses with
    ``ConditionsUnmet`` listing them, in ``unmet_message`` (``%(reasons)s``: their messages).
    """

    def wrap(func: Callable[[Any], bool]) -> Callable[[Any], bool]:
        func.refusal = message  # type: ignore[attr-defined]
        if unmet is not None:
            func.unmet = unmet  # type: ignore[attr-defined]
            func.unmet_message = unmet_message  # type: ignore[attr-defined]
        return func

    return wrap


def may(perm: str) -> Callable[[Any, AnyUser | None], bool]:
    """A transition permission asked with the record as object, so that a group grant alone
    never passes an object rule (a model permission held by a group would)."""

    def check(instance: Any, user: AnyUser | None) -> bool:
        return bool(user is not None and user.has_perm(perm, instance))

    check.perm = perm  # type: ignore[attr-defined]
    return check


def system_only(instance: Any, user: AnyUser | None) -> bool:
    """Made by the system (a sweep, a reaction to another record's transition), never by a
    person."""
    return user is None


def require(text: Any, field: str, label: Any) -> str:
    """The stripped text, or ``TransitionInvalid`` naming the missing field."""
    stripped: str = (text or "").strip()
    if not stripped:
        raise TransitionInvalid({field: _("%(label)s is required.") % {"label": label}})
    return stripped


# --- what a transition writes and the deadlines it moves --------------------------------------


class Write(Protocol):
    """A row a transition writes: built (not saved) from the record after the method ran, the
    acting user and the input; inserted with the record's save. ``None``: nothing to write.
    ``audit(row)`` is what the audit event's changes say of it."""

    def build(self, record: Any, actor: AnyUser | None, values: dict[str, Any]) -> Any: ...

    def audit(self, row: Any) -> dict[str, Any]: ...


class Effect(Protocol):
    """A change to other rows, made after the record and its rows are saved. ``written``: the
    rows the transition's writes inserted with it, keys set (a decision's permit refers to the
    decision without reading it back)."""

    def apply(
        self, record: Any, actor: AnyUser | None, values: dict[str, Any], written: tuple[Any, ...]
    ) -> None: ...


@dataclass(frozen=True)
class DeadlineMove:
    """Open (or move) the deadline of ``source`` at ``due(record, values)``, or close it when
    ``due`` is None or returns None."""

    source: str
    due: Callable[[Any, dict[str, Any]], dt.datetime | None] | None = None


def opens(source: str, due: Callable[[Any, dict[str, Any]], dt.datetime | None]) -> DeadlineMove:
    return DeadlineMove(source, due)


def closes(*sources: str) -> tuple[DeadlineMove, ...]:
    return tuple(DeadlineMove(source) for source in sources)


# --- the declaration --------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    """Everything about one transition (see the module docstring)."""

    name: str
    label: Any
    source: tuple[str, ...]
    target: str
    permission: str | None
    done: Any = ""  # what the case's timeline says once it is made
    guards: tuple[Callable[[Any], bool], ...] = ()
    inputs: tuple[Input, ...] = ()
    writes: tuple[Write, ...] = ()
    effects: tuple[Effect, ...] = ()
    deadlines: tuple[DeadlineMove, ...] = ()
    role: str = ""
    # Record attributes the audit event keeps after the transition (a new validity period).
    audited_fields: tuple[str, ...] = ()
    # What else the audit event keeps, computed from the record after the method ran (the
    # codes of the conditions a refusal found unmet).
    audited: Callable[[Any], dict[str, Any]] | None = None
    # Input rules that depend on the record (the income requirement when a family member is
    # accepted): each returns the errors it finds, by input, reported with the missing ones.
    validators: tuple[Callable[[Any, dict[str, Any]], dict[str, Any]], ...] = ()
    # The record's field that names who made the transition (``decided_by``), if any.
    actor_field: str = ""
    # Recomputed on the record before the guards are asked (a rule that depends on today).
    prepare: Callable[[Any], None] | None = None
    parameters: frozenset[str] = field(default_factory=frozenset)
    # The states a ``BACK`` transition may return the record to.
    returns_to: tuple[str, ...] = ()

    def target_from(self, source: str) -> str:
        """The state the record is in after this transition from ``source`` (``BACK``: it
        depends on the record, not on ``source``)."""
        return source if self.target == SAME else self.target

    @property
    def offered(self) -> bool:
        """Whether a person may be offered it (the admin's buttons, the API)."""
        return self.permission is not None

    def input(self, name: str) -> Input:
        return next(i for i in self.inputs if i.name == name)

    def permitted(self, record: Any, user: AnyUser | None) -> bool:
        """Whether ``user`` may make it on ``record``, whatever the record's state.

        Asked apart from the state to tell "you may not" (403) from "not now" (409): a
        decision-maker pressing *accept* on a case a colleague accepted a second earlier
        gets a conflict, not a refusal.
        """
        if self.permission is None:
            return user is None
        return bool(user is not None and user.has_perm(self.permission, record))

    def unmet_guard(self, record: Any) -> Callable[[Any], bool] | None:
        """The first guard ``record`` does not meet, or None."""
        return next((g for g in self.guards if not g(record)), None)

    def clean(self, values: dict[str, Any], record: Any = None) -> dict[str, Any]:
        """Every declared input's value (defaults filled in), or ``TransitionInvalid`` naming,
        all at once, each required input that is missing and each error the ``validators``
        find on ``record``. Values not declared are dropped."""
        cleaned = {i.name: i.value(values) for i in self.inputs}
        errors: dict[str, Any] = {
            i.name: _("%(label)s is required.") % {"label": i.label}
            for i in self.inputs
            if i.required and cleaned[i.name] in (None, "")
        }
        for validate in self.validators:
            for name, message in validate(record, cleaned).items():
                errors.setdefault(name, message)
        if errors:
            raise TransitionInvalid(errors)
        return cleaned

    def arguments(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        """The inputs the method itself takes (the others are for the rows it writes)."""
        return {k: v for k, v in cleaned.items() if k in self.parameters}


def transition(
    *,
    source: str | Iterable[str],
    target: str,
    label: Any,
    permission: str | None,
    done: Any = "",
    guards: Sequence[Callable[[Any], bool]] = (),
    inputs: Sequence[Input] = (),
    writes: Sequence[Write] = (),
    effects: Sequence[Effect] = (),
    deadlines: Sequence[DeadlineMove] = (),
    role: str = "",
    audited_fields: Sequence[str] = (),
    audited: Callable[[Any], dict[str, Any]] | None = None,
    validators: Sequence[Callable[[Any, dict[str, Any]], dict[str, Any]]] = (),
    actor_field: str = "",
    prepare: Callable[[Any], None] | None = None,
    returns_to: Sequence[str] = (),
    field: str = "state",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the decorated workflow method as a transition (see the module docstring)."""
    sources = (source,) if isinstance(source, str) else tuple(source)

    if (target == BACK) != bool(returns_to):
        raise TypeError("a BACK transition names the states it may return to (returns_to)")

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        parameters = frozenset(
            name
            for name, p in inspect.signature(method).parameters.items()
            if p.kind == p.KEYWORD_ONLY
        )
        declaration = Transition(
            name=method.__name__,
            label=label,
            source=sources,
            target=target,
            permission=permission,
            done=done,
            guards=tuple(guards),
            inputs=tuple(inputs),
            writes=tuple(writes),
            effects=tuple(effects),
            deadlines=tuple(deadlines),
            role=role,
            audited_fields=tuple(audited_fields),
            audited=audited,
            validators=tuple(validators),
            actor_field=actor_field,
            prepare=prepare,
            parameters=parameters,
            returns_to=tuple(returns_to),
        )
        unknown = parameters - {i.name for i in declaration.inputs}
        if unknown:
            raise TypeError(f"{method.__qualname__} takes undeclared inputs: {sorted(unknown)}")
        # django-fsm hands the check the user it was given: ours, or None for the system
        # (its stubs name any user model and no None).
        check: Any = may(permission) if permission else system_only
        if target == SAME:  # one loop per source state, so each is drawn and checked
            wrapped: Callable[..., Any] = method
            for state in sources:
                wrapped = django_fsm.transition(
                    field=field,
                    source=state,
                    target=state,
                    conditions=list(guards),
                    permission=check,
                    custom={"label": label},
                )(wrapped)
        else:
            wrapped = django_fsm.transition(
                field=field,
                source=list(sources) if len(sources) > 1 else sources[0],
                # BACK: the state the method returns, checked against ``returns_to``
                target=django_fsm.RETURN_VALUE(*returns_to) if target == BACK else target,
                conditions=list(guards),
                permission=check,
                custom={"label": label},
            )(method)
        wrapped.declaration = declaration  # type: ignore[attr-defined]
        return wrapped

    return wrap


def declarations(workflow: type) -> dict[str, Transition]:
    """The transitions a workflow mixin (or a model that mixes it in) declares, in the order
    they are written."""
    found: dict[str, Transition] = {}
    for klass in reversed(workflow.__mro__):
        for attr in vars(klass).values():
            declaration = getattr(attr, "declaration", None)
            if isinstance(declaration, Transition):
                found[declaration.name] = declaration
    return found
