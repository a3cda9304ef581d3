"""Every transition of every workflow is what its declaration says, on every face.

The walk starts from casework's registry of workflows (``WORKFLOWS``: each ``Workflow`` adds
itself when it is made), so a workflow added later is checked like the others; the only
thing a new workflow must add here is how to make one of its records (``READY``) and how to
break each of its guards (``BREAK``), and a test fails until it does. For every declared
transition:

- its permission rule exists, a staff user without a role is refused (403, nothing written),
  every role that passes is named in the declaration's ``role``, and a system transition
  is refused to everyone;
- each guard has a sentence, and that sentence is what the refusal says when the guard alone
  is unmet (the service refuses with it and writes nothing);
- each deadline it opens or closes is a registered deadline kind about the workflow's model;
- the API documents one operation per transition whose body is exactly its inputs, and a
  missing required input is a 400 naming the input, not a 500;
- the admin's form has exactly its inputs;

and no service module compares a transition's name (an AST check).
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rules
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework.applications import workflow as applications
from casework.core.exceptions import ConditionsUnmet, TransitionConflict
from casework.deadlines.registry import get_source
from casework.dublin import workflow as dublin
from casework.interpreters import workflow as bookings
from casework.models import Application, AuditEvent, Return
from casework.returns import workflow as returns
from casework.staff.choices import Role
from casework.transitions.declaration import (
    BOOLEAN,
    CHOICE,
    DATE,
    DATETIME,
    INTEGER,
    Input,
    Transition,
    declarations,
)
from casework.transitions.services import (
    WORKFLOWS,
    Workflow,
    transition_make,
    transition_refusal,
)
from integration import workflow as integration
from integration.models import IntroductionProgramme, MunicipalityOfficer
from tests import factories
from tests.factories import ApplicationFactory, UserFactory
from tests.integration.factories import (
    FamilyReunificationFactory,
    WorkPermitFactory,
    eligible_case,
    municipality_named,
    settled,
)

ROOT = Path(settings.BASE_DIR)
APPS = ("casework", "reception", "integration")

# The role each fixture user holds (``tests/conftest.py``'s ``role_users``).
ROLE_OF = {
    "caseworker": Role.CASEWORKER,
    "decider": Role.DECISION_MAKER,
    "appeals": Role.APPEALS,
    "registrar": Role.REGISTRAR,
    "reception": Role.RECEPTION,
    "integration": Role.INTEGRATION,
    "auditor": Role.AUDITOR,
    "outsider": Role.CASEWORKER,
    "coordinator": Role.INTERPRETER_COORDINATOR,
    "lawyer": Role.LAWYER,
}


def _set_state(record: Any, state: str) -> Any:
    # Test set-up only: production code changes state through transitions alone.
    type(record).objects.filter(pk=record.pk).update(state=state)
    return type(record).objects.get(pk=record.pk)


# --- How to make a record of each workflow in a state, meeting every guard ------------------


def _application(state: str, users: dict[str, Any]) -> Any:
    held = state == "on_hold"
    return ApplicationFactory(
        state=state,
        # on hold from examination, to be reviewed in three weeks
        held_from="examined" if held else "",
        hold_review_on=timezone.localdate() + dt.timedelta(days=21) if held else None,
        unit=users["unit"],
        assigned_to=users["caseworker"],
        interview_held_at=timezone.now() - dt.timedelta(days=3),
        appeal_deadline=timezone.now() + dt.timedelta(days=10) if state == "rejected" else None,
        # decided, not yet delivered
        decided_at=timezone.now() - dt.timedelta(days=1)
        if state in ("accepted", "rejected")
        else None,
    )


def _work_permit(state: str, users: dict[str, Any]) -> Any:
    app = eligible_case(unit=users["unit"], assigned_to=users["caseworker"])
    return WorkPermitFactory(application=app, person=app.person, state=state)


def _family(state: str, users: dict[str, Any]) -> Any:
    return FamilyReunificationFactory(state=state)


def _programme(state: str, users: dict[str, Any]) -> Any:
    bergen = municipality_named("Bergen")
    MunicipalityOfficer.objects.get_or_create(user=users["integration"], municipality=bergen)
    settlement = settled()
    programme = IntroductionProgramme.objects.create(
        person=settlement.person,
        settlement=settlement,
        municipality=settlement.municipality,
        start_on=settlement.settled_on,
        planned_end_on=settlement.settled_on + dt.timedelta(days=700),
        created_by=users["integration"],
    )
    return _set_state(programme, state)


def _booking(state: str, users: dict[str, Any]) -> Any:
    app = ApplicationFactory(state="examined", unit=users["unit"], assigned_to=users["caseworker"])
    # Begun an hour ago: a no-show may be recorded.
    interview = factories.InterviewFactory(
        application=app, scheduled_at=timezone.now() - dt.timedelta(hours=1)
    )
    return _set_state(factories.InterpreterBookingFactory(interview=interview), state)


def _dublin_request(state: str, users: dict[str, Any]) -> Any:
    from casework.dublin.services import dublin_request_prepare

    app = ApplicationFactory(
        track="dublin", state="examined", unit=users["unit"], assigned_to=users["caseworker"]
    )
    request = dublin_request_prepare(
        actor=users["caseworker"],
        application=app,
        member_state="SE",
        kind="take_charge",
        legal_ground="art_12",
    )
    now = timezone.now()
    _update(
        request,
        sent_at=now - dt.timedelta(days=20),
        reply_due_at=now + dt.timedelta(days=20),
        answered_at=now - dt.timedelta(days=2),
        transfer_from=now - dt.timedelta(days=2),
        transfer_due_at=now + dt.timedelta(days=150),
    )
    return _set_state(request, state)


def _dublin_stay(state: str, users: dict[str, Any]) -> Any:
    from casework.dublin.models import DublinStayRequest

    request = _dublin_request("accepted", users)
    Application.objects.filter(pk=request.application_id).update(
        state="appealed", appealed_at=timezone.now()
    )
    stay = DublinStayRequest.objects.create(
        application_id=request.application_id,
        request=request,
        lodged_at=timezone.now(),
        decision_due_at=timezone.now() + dt.timedelta(days=6),
    )
    return _set_state(stay, state)


def _return(state: str, users: dict[str, Any]) -> Any:
    # Finally rejected, the decision delivered a month ago: the departure deadline has passed.
    app = ApplicationFactory(
        state="rejected",
        unit=users["unit"],
        assigned_to=users["caseworker"],
        is_final=True,
        decided_at=timezone.now() - dt.timedelta(days=31),
        notified_at=timezone.now() - dt.timedelta(days=30),
    )
    return Return.objects.create(application=app, person=app.person, state=state)


def _referral(state: str, users: dict[str, Any]) -> Any:
    from casework.models import ResettlementQuota, ResettlementReferral

    year = timezone.localdate().year
    ResettlementQuota.objects.get_or_create(year=year, defaults={"places": 100})
    referral = ResettlementReferral.objects.create(
        person=factories.PersonFactory(),
        unhcr_reference=f"TEST-{ResettlementReferral.objects.count() + 1}",
        referral_date=timezone.localdate() - dt.timedelta(days=30),
        unit=users["unit"],
        quota_year=year if state in ("selected", "arrived") else None,
    )
    return _set_state(referral, state)


def _final_rejection(app: Any) -> None:
    """The rejection's appeal deadline passed unused: it may be asked to be reversed."""
    _update(app, appeal_deadline=timezone.now() - dt.timedelta(days=1))


def _reversal_requested(app: Any) -> None:
    _final_rejection(app)
    _update(app, reversal_requested_at=timezone.now())


# What a transition needs of the record beyond its state (``READY``), by workflow and name.
MEET: dict[str, Callable[[Any], None]] = {
    "casework.Application.lodge_reversal_request": _final_rejection,
    "casework.Application.grant_reversal_request": _reversal_requested,
    "casework.Application.refuse_reversal_request": _reversal_requested,
}


READY: dict[str, Callable[[str, dict[str, Any]], Any]] = {
    "casework.DublinRequest": _dublin_request,
    "casework.DublinStayRequest": _dublin_stay,
    "casework.Return": _return,
    "casework.InterpreterBooking": _booking,
    "casework.ResettlementReferral": _referral,
    "casework.Application": _application,
    "integration.WorkPermit": _work_permit,
    "integration.FamilyReunification": _family,
    "integration.IntroductionProgramme": _programme,
}


def _update(record: Any, **values: Any) -> None:
    type(record).objects.filter(pk=record.pk).update(**values)


# How to leave each guard (alone) unmet on a record that met it.
BREAK: dict[Callable[[Any], bool], Callable[[Any], None]] = {
    applications.has_assigned_caseworker: lambda app: _update(app, assigned_to=None),
    applications.interview_requirement_met: lambda app: _update(
        app, interview_held_at=None, interview_waived_reason=""
    ),
    applications.not_final: lambda app: _update(app, is_final=True),
    applications.awaits_delivery: lambda app: _update(app, notified_at=timezone.now()),
    applications.hold_recorded: lambda app: _update(app, held_from=""),
    applications.finally_rejected: lambda app: _update(
        app, is_final=False, appeal_deadline=timezone.now() + dt.timedelta(days=5)
    ),
    applications.reversal_request_pending: lambda app: _update(app, reversal_requested_at=None),
    integration.section_94_met: lambda permit: permit.person.documents.update(verified=False),
    integration.renewable: lambda permit: Application.objects.filter(
        pk=permit.application_id
    ).update(state="accepted"),
    integration.family_not_final: lambda r: _update(r, is_final=True),
    dublin.reexamination_in_time: lambda r: _update(
        r, answered_at=timezone.now() - dt.timedelta(weeks=4)
    ),
    dublin.transfer_deadline_running: lambda r: _update(
        r, transfer_due_at=timezone.now() - dt.timedelta(days=1)
    ),
    dublin.not_suspended: lambda r: _update(r, transfer_suspended=True),
    bookings.interpreter_active: lambda b: _update(b.interpreter, active=False),
    returns.departure_passed: lambda r: _update(r.application, notified_at=timezone.now()),
    bookings.session_begun: lambda b: _update(
        b,
        starts_at=timezone.now() + dt.timedelta(days=1),
        ends_at=timezone.now() + dt.timedelta(days=2),
    ),
}


# --- The walk -------------------------------------------------------------------------------


def _all_workflows() -> list[Workflow]:
    assert get_resolver().url_patterns  # the URL map imports every app's faces and services
    return sorted(WORKFLOWS.values(), key=lambda w: w.model._meta.label)


CASES = [
    pytest.param(w, d, id=f"{w.model._meta.label}.{d.name}")
    for w in _all_workflows()
    for d in w.transitions.values()
]


def test_every_model_with_transitions_has_a_registered_workflow_and_test_set_up():
    from django.apps import apps as django_apps

    with_transitions = {
        m._meta.label for m in django_apps.get_models() if declarations(m) and not m._meta.abstract
    }
    assert with_transitions == set(WORKFLOWS)
    assert set(WORKFLOWS) <= set(READY), "add how to make a record of the new workflow (READY)"
    guards = {g for w in WORKFLOWS.values() for d in w.transitions.values() for g in d.guards}
    assert guards <= set(BREAK), "add how to break the new guard (BREAK)"


@pytest.fixture
def users(unit, role_users):
    return {**role_users, "unit": unit}


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def _ready(workflow: Workflow, declaration: Transition, users: dict) -> Any:
    label = workflow.model._meta.label
    record = READY[label](sorted(declaration.source)[0], users)
    meet = MEET.get(f"{label}.{declaration.name}")
    if meet is None:
        return record
    meet(record)
    return type(record).objects.get(pk=record.pk)


def _events() -> int:
    return AuditEvent.objects.count()


# --- Permissions ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("workflow", "declaration"), CASES)
def test_the_permission_rule_exists_and_refuses_a_role_without_it(
    workflow, declaration, users, root, unit
):
    record = _ready(workflow, declaration, users)
    nobody = factories.staff_user(username="nobody", role=None, unit=unit)
    refused = [nobody] if declaration.offered else [nobody, root]
    if declaration.offered:
        assert rules.perm_exists(declaration.permission), declaration.permission
    for user in refused:
        assert not declaration.permitted(record, user)
        before = _events()
        with pytest.raises(PermissionDenied):
            transition_make(workflow=workflow, actor=user, record=record, name=declaration.name)
        assert _events() == before
        assert _set_state(record, record.state).state in declaration.source
    permitted = {
        key for key, user in users.items() if key in ROLE_OF and declaration.permitted(record, user)
    }
    for key in permitted:
        assert str(ROLE_OF[key].label) in declaration.role, (key, declaration.role)
    if declaration.offered:
        assert permitted, f"no role may make {declaration.name}"
    else:
        assert declaration.role == "system" and not permitted


# --- Guards ---------------------------------------------------------------------------------

GUARD_CASES = [
    pytest.param(w, d, g, id=f"{w.model._meta.label}.{d.name}.{g.__name__}")
    for w in _all_workflows()
    for d in w.transitions.values()
    for g in d.guards
]


@pytest.mark.django_db
@pytest.mark.parametrize(("workflow", "declaration", "unmet"), GUARD_CASES)
def test_each_guards_sentence_is_what_the_refusal_says(workflow, declaration, unmet, users, root):
    sentence = str(getattr(unmet, "refusal", ""))
    assert sentence, f"{unmet.__name__} has no sentence"
    record = _ready(workflow, declaration, users)
    assert declaration.unmet_guard(record) is None
    BREAK[unmet](record)
    record = type(record).objects.get(pk=record.pk)
    assert declaration.unmet_guard(record) is unmet
    assert transition_refusal(workflow=workflow, record=record, name=declaration.name) == sentence
    before = _events()
    actor = root if declaration.offered else None
    with pytest.raises(TransitionConflict) as refused:
        transition_make(workflow=workflow, actor=actor, record=record, name=declaration.name)
    if hasattr(unmet, "unmet"):  # names each legal condition unmet
        assert isinstance(refused.value, ConditionsUnmet) and refused.value.unmet
        for condition in refused.value.unmet:
            assert str(condition.message) in refused.value.message
    else:
        assert refused.value.message == sentence
    assert _events() == before


# --- Deadlines ------------------------------------------------------------------------------


@pytest.mark.parametrize(("workflow", "declaration"), CASES)
def test_each_deadline_moved_is_a_registered_kind_about_the_record(workflow, declaration):
    for move in declaration.deadlines:
        source = get_source(move.source)  # raises for an unregistered kind
        assert source.model == workflow.model._meta.label, move.source


# --- The API --------------------------------------------------------------------------------


def _viewsets() -> dict[Workflow, tuple[type, str]]:
    """Each workflow's API viewset and its URL basename, from the URL map."""

    def walk(patterns: list) -> Any:
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns)
            else:
                yield p

    found: dict[Workflow, tuple[type, str]] = {}
    for p in walk(get_resolver().url_patterns):
        cls = getattr(p.callback, "cls", None)
        workflow = getattr(cls, "workflow", None)
        if workflow is not None and p.name and p.name.endswith("-list"):
            found[workflow] = (cls, p.name.removesuffix("-list"))
    return found


def sample(spec: Input) -> Any:
    """A value of the input's type the request body accepts."""
    if spec.kind == CHOICE:
        return spec.choices[0][0]
    if spec.kind == BOOLEAN:
        return True
    if spec.kind == INTEGER:
        return spec.min_value or 1
    if spec.kind == DATE:
        return "2030-01-02"
    if spec.kind == DATETIME:
        return "2030-01-02T10:00:00Z"
    return "Given in a test."


@pytest.fixture(scope="module")
def schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _api_required(spec: Input) -> bool:
    return spec.required and spec.kind != BOOLEAN  # an unticked box is an answer too


@pytest.mark.parametrize(("workflow", "declaration"), CASES)
def test_the_api_documents_exactly_the_inputs(workflow, declaration, schema):
    viewsets = _viewsets()
    assert workflow in viewsets, f"{workflow.model._meta.label} has no API viewset"
    viewset, basename = viewsets[workflow]
    assert set(viewset.transition_names) == set(workflow.transitions)
    body = viewset.transition_inputs[declaration.name]().fields
    names = [i.name for i in declaration.inputs]
    assert list(body) == names
    assert [f.required for f in body.values()] == [_api_required(i) for i in declaration.inputs]
    url = reverse(f"{basename}-transition-{declaration.name.replace('_', '-')}", args=[999])
    operation = schema["paths"][url.replace("/999/", "/{id}/")]["post"]
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not names:
        properties: dict = {}
        required: list = []
        if content:
            component = content["schema"]["$ref"].rsplit("/", 1)[-1]
            properties = schema["components"]["schemas"][component].get("properties", {})
    else:
        component = content["schema"]["$ref"].rsplit("/", 1)[-1]
        documented = schema["components"]["schemas"][component]
        properties = documented["properties"]
        required = documented.get("required", [])
        assert sorted(required) == sorted(i.name for i in declaration.inputs if _api_required(i))
    assert list(properties) == names


REQUIRED_CASES = [
    pytest.param(w, d, i, id=f"{w.model._meta.label}.{d.name}.{i.name}")
    for w in _all_workflows()
    for d in w.transitions.values()
    for i in d.inputs
    if _api_required(i)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("workflow", "declaration", "missing"), REQUIRED_CASES)
def test_a_missing_required_input_is_a_400_naming_it(workflow, declaration, missing, users, root):
    record = _ready(workflow, declaration, users)
    _viewset, basename = _viewsets()[workflow]
    url = reverse(f"{basename}-transition-{declaration.name.replace('_', '-')}", args=[record.pk])
    body = {i.name: sample(i) for i in declaration.inputs if i.name != missing.name}
    client = APIClient()
    client.force_authenticate(root)
    before = _events()
    response = client.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert [str(m) for m in response.json()[missing.name]] == ["This field is required."]
    assert _events() == before


# --- The admin ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("workflow", "declaration"), CASES)
def test_the_admin_form_has_exactly_the_inputs(workflow, declaration, users, root, client):
    assert workflow.model in admin.site._registry, f"{workflow.model} has no admin"
    record = _ready(workflow, declaration, users)
    meta = workflow.model._meta
    url = reverse(
        f"admin:{meta.app_label}_{meta.model_name}_transition", args=[record.pk, declaration.name]
    )
    client.force_login(root)
    response = client.get(url)
    if not declaration.offered:  # made by the system only: no page
        assert response.status_code == 403
        return
    assert response.status_code == 200
    form = response.context["form"]
    visible = [name for name, field in form.fields.items() if not field.widget.is_hidden]
    assert visible == [i.name for i in declaration.inputs if i.in_admin]


# --- No service switches on a transition's name ---------------------------------------------


def _service_modules() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "services" in path.relative_to(ROOT).parts or path.name == "services.py"
    )


def _is_name(node: ast.AST) -> bool:
    """``name`` or ``something.name``: how a transition's name reaches a service."""
    return (isinstance(node, ast.Name) and node.id == "name") or (
        isinstance(node, ast.Attribute) and node.attr == "name"
    )


def _is_literal_names(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return bool(node.elts) and all(_is_literal_names(e) for e in node.elts)
    return False


def name_comparisons(source: str) -> list[int]:
    """Lines comparing a name with literal transition names (``name == "accept"``, ``name in
    ("grant", "renew")``) or matching on one."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_is_name(o) for o in operands) and any(_is_literal_names(o) for o in operands):
                lines.append(node.lineno)
        elif isinstance(node, ast.Match) and _is_name(node.subject):
            lines.append(node.lineno)
    return lines


def test_the_check_finds_a_switch_on_a_name():
    assert name_comparisons('if name == "grant":\n    pass\n') == [1]
    assert name_comparisons('x = d.name in ("accept", "grant_appeal")\n') == [1]
    assert name_comparisons('match name:\n    case "x":\n        pass\n') == [1]
    assert name_comparisons("if target == State.ACCEPTED:\n    pass\n") == []


def test_no_service_compares_a_transition_name():
    modules = _service_modules()
    assert any(p.parts[-2:] == ("services", "work_permits.py") for p in modules)
    found = {
        str(path.relative_to(ROOT)): lines
        for path in modules
        if (lines := name_comparisons(path.read_text()))
    }
    assert found == {}
