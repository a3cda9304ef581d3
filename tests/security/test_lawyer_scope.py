"""A lawyer's scope over the whole API and the whole admin, read from the URL resolver and the
admin sites (not a hand list): a new route or admin page is walked without anyone adding it.

- their client's records answer as the role's permissions say (200, or 403 for a model the
  role may not read at all);
- every other record answers exactly as a record that does not exist (same status, same body
  in the API; the admin's "does not exist" redirect), and never shows its words;
- lists never name another case's rows;
- no write succeeds anywhere except lodging the client's appeal; the refused writes leave no
  audit event.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.admin.sites import all_sites
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework.casefile.models import (
    CaseDocument,
    CaseDocumentVersion,
    CaseNote,
    CaseNoteVersion,
)
from casework.lawyers.models import Appointment, Lawyer, Representative
from casework.letters.models import Letter
from casework.models import AuditEvent
from casework.privacy.models import AccessLog
from casework.privacy.registry import registration
from casework.transitions.services import WORKFLOWS
from tests.casefile.conftest import PDF
from tests.factories import (
    ApplicationFactory,
    DecisionFactory,
    InterviewFactory,
    PersonFactory,
    UserFactory,
)
from tests.security.test_every_read_logged import _exempt, _model_of, api_get_routes

pytestmark = pytest.mark.django_db

NEVER = 987_654_321  # an id no row has


def _patterns(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _plain(route: str) -> str:
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route).replace("^", "").replace("$", "")


def _path(route: str, values: dict) -> str:
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), path)
    return "/" + path


class Side:
    """One person's case and a row of each of its records."""

    def __init__(self, person, app):
        self.person, self.app = person, app

    def row(self, model):
        if model is None:
            return None
        entry = registration(model)
        if entry is not None:
            rows = entry.rows([self.person.pk])
            fields = {f.name for f in model._meta.get_fields()}
            if "application" in fields:
                rows = rows.filter(application=self.app)
            if "visibility" in fields:  # the case file: the row shared with the lawyer
                rows = rows.filter(visibility="lawyer")
            if "sent_at" in fields:  # a letter: the one sent
                rows = rows.exclude(sent_at=None)
            return rows.order_by("-pk").first()
        return None


def _side(lawyer, *, words: str, minor: bool = False) -> Side:
    person = PersonFactory(
        given_name=f"{words}-given", family_name=f"{words}-family", unaccompanied_minor=minor
    )
    app = ApplicationFactory(
        person=person,
        state="rejected",
        interview_held_at=timezone.now() - dt.timedelta(days=9),
        appeal_deadline=timezone.now() + dt.timedelta(days=10),
    )
    DecisionFactory(
        application=app, instance="first", outcome="rejected", grounds=f"{words}-GROUNDS"
    )
    InterviewFactory(application=app, location=f"{words}-ROOM")
    Appointment.objects.create(application=app, lawyer=lawyer, reason="rejection")
    Representative.objects.create(
        person=person, name=f"{words}-verge", appointed_by="Statsforvalteren", phone="1"
    )
    AuditEvent.objects.create(application=app, person=person, action="note", reason=f"{words}-R")
    # The case file: a note kept internal, a note and a document shared with the lawyer, an
    # internal document; a letter sent and a draft not yet sent.
    author = UserFactory(username=f"author-{words.lower()}")
    for visibility, text in (("internal", "INTERNAL-NOTE"), ("lawyer", "SHARED-NOTE")):
        note = CaseNote.objects.create(
            application=app, author=author, text=f"{words}-{text}", visibility=visibility
        )
        CaseNoteVersion.objects.create(
            note=note, number=1, text=note.text, visibility=visibility, written_by=author
        )
    for visibility in ("lawyer", "internal"):
        document = CaseDocument.objects.create(
            application=app,
            kind="evidence",
            source=f"{words}-{visibility.upper()}-DOC",
            language="prs",
            visibility=visibility,
            created_by=author,
        )
        CaseDocumentVersion.objects.create(
            document=document,
            uploaded_by=author,
            number=1,
            file=ContentFile(PDF, name="e.pdf"),
            content_type="application/pdf",
            size=len(PDF),
            sha256="0" * 64,
        )
    Letter.objects.create(
        application=app, kind="rejection", language="en", facts={"words": f"{words}-DRAFT"}
    )
    Letter.objects.create(
        application=app,
        kind="rejection",
        language="en",
        facts={"words": f"{words}-SENT"},
        pdf=ContentFile(PDF, name="letter.pdf"),
        pdf_sha256="1" * 64,
        channel="lawyer",
        sent_at=timezone.now(),
    )
    return Side(person, app)


@pytest.fixture
def sides(lawyer, unit, other_unit, media):
    """The lawyer's client, and a case of another lawyer in the same unit and another unit."""
    colleague = Lawyer.objects.create(name="Other Lawyer", bar_number="B-OTHER", region="west")
    client = _side(lawyer, words="CLIENTQX", minor=True)
    others = [
        _side(colleague, words="STRANGERQX"),
        Side(*_other_unit_case(colleague, other_unit)),
    ]
    return client, others


def _other_unit_case(colleague, other_unit):
    side = _side(colleague, words="FARQX")
    side.app.unit = other_unit
    side.app.save()
    return side.person, side.app


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_api_shows_the_lawyer_only_their_clients_records(lawyer_user, sides):
    client, others = sides
    api = _api(lawyer_user)
    walked, read = [], set()
    for route, view_class in api_get_routes():
        if _exempt(route):
            continue
        model = _model_of(view_class)
        nested = "application_pk" in route
        detail = "<pk>" in route or "(?P<pk>" in route
        walked.append(route)
        never = api.get(_path(route, {"application_pk": NEVER, "pk": NEVER}))
        for other in others:
            target = other.row(model) if detail else None
            if detail and target is None:
                continue
            got = api.get(
                _path(route, {"application_pk": other.app.pk, "pk": getattr(target, "pk", NEVER)})
            )
            if nested or detail:
                assert (got.status_code, got.json()) == (never.status_code, never.json()), route
            text = got.content.decode()
            assert "STRANGERQX" not in text and "FARQX" not in text, route
        target = client.row(model) if detail else None
        if detail and target is None:
            continue
        mine = api.get(
            _path(route, {"application_pk": client.app.pk, "pk": getattr(target, "pk", NEVER)})
        )
        assert mine.status_code in (200, 403), (route, mine.status_code)
        if mine.status_code == 200:
            read.add(route)
    # What the lawyer reads of their client: the case, the person, the decision, the interview,
    # their appointment and their own register entry.
    for expected in (
        "api/v1/applications/<pk>/",
        "api/v1/people/<pk>/",
        "api/v1/applications/<int:application_pk>/decisions/<pk>/",
        "api/v1/applications/<int:application_pk>/interviews/<pk>/",
        "api/v1/appointments/<pk>/",
        "api/v1/applications/<int:application_pk>/notes/",
        "api/v1/applications/<int:application_pk>/notes/<pk>/",
        "api/v1/applications/<int:application_pk>/documents/",
        "api/v1/applications/<int:application_pk>/documents/<pk>/",
        "api/v1/applications/<int:application_pk>/letters/",
        "api/v1/applications/<int:application_pk>/letters/<pk>/",
    ):
        assert expected in {_plain(r) for r in read}, (expected, sorted(read))
    assert len(walked) > 20


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("latin-1")
    return response.content.decode()


def test_the_lawyer_reads_the_shared_case_file_and_sent_letters_only(lawyer_user, sides):
    """Public Administration Act §§ 18–18 a: what is shared with the lawyer, never an
    internal note; the letters that were sent, not a draft. Every read is access-logged."""
    client, others = sides
    api = _api(lawyer_user)
    base = f"/api/v1/applications/{client.app.pk}"
    logged = AccessLog.objects.filter(user=lawyer_user).count()
    notes = api.get(f"{base}/notes/")
    assert notes.status_code == 200
    assert [n["text"] for n in notes.json()["results"]] == ["CLIENTQX-SHARED-NOTE"]
    internal = CaseNote.objects.get(application=client.app, visibility="internal")
    assert api.get(f"{base}/notes/{internal.pk}/").status_code == 404
    documents = api.get(f"{base}/documents/").json()["results"]
    assert [d["source"] for d in documents] == ["CLIENTQX-LAWYER-DOC"]
    hidden = CaseDocument.objects.get(application=client.app, visibility="internal")
    assert api.get(f"{base}/documents/{hidden.pk}/download/").status_code == 404
    shared = CaseDocument.objects.get(application=client.app, visibility="lawyer")
    assert _body(api.get(f"{base}/documents/{shared.pk}/download/")).startswith("%PDF")
    letters = api.get(f"{base}/letters/").json()["results"]
    sent = Letter.objects.get(application=client.app, sent_at__isnull=False)
    draft = Letter.objects.get(application=client.app, sent_at=None)
    assert [letter["id"] for letter in letters] == [sent.pk]
    pdf = api.get(f"{base}/letters/{sent.pk}/pdf/")
    assert pdf.status_code == 200 and _body(pdf).startswith("%PDF")
    assert api.get(f"{base}/letters/{draft.pk}/").status_code == 404
    decision = api.get(f"{base}/decisions/").json()["results"]
    assert decision[0]["grounds"] == "CLIENTQX-GROUNDS"
    # Notes, documents, a download, letters, the PDF and the decision: each logged.
    assert AccessLog.objects.filter(user=lawyer_user).count() >= logged + 6
    assert AccessLog.objects.filter(user=lawyer_user, action="download").count() == 2
    for other in others:
        for path in ("notes/", "documents/", "letters/"):
            got = api.get(f"/api/v1/applications/{other.app.pk}/{path}")
            never = api.get(f"/api/v1/applications/{NEVER}/{path}")
            assert (got.status_code, got.json()) == (never.status_code, never.json())
            assert got.status_code == 404
        letter = Letter.objects.filter(application=other.app).exclude(sent_at=None).get()
        got = api.get(f"/api/v1/applications/{other.app.pk}/letters/{letter.pk}/pdf/")
        assert got.status_code == 404 and "%PDF" not in _body(got)


def test_the_lawyer_uploads_to_the_clients_case_and_nowhere_else(lawyer_user, sides):
    client, others = sides
    api = _api(lawyer_user)

    def upload(app_pk, **extra):
        return api.post(
            f"/api/v1/applications/{app_pk}/documents/",
            {
                "file": SimpleUploadedFile("brief.pdf", PDF, content_type="application/pdf"),
                "kind": "lawyer_submission",
                "source": "Hedda Gabler, lawyer",
                "language": "prs",
                **extra,
            },
            format="multipart",
        )

    made = upload(client.app.pk)
    assert made.status_code == 201, made.content
    assert made.json()["visibility"] == "lawyer"  # shared with the lawyer who sent it
    assert CaseDocument.objects.get(pk=made.json()["id"]).created_by == lawyer_user
    listed = api.get(f"/api/v1/applications/{client.app.pk}/documents/").json()["results"]
    assert made.json()["id"] in [d["id"] for d in listed]
    # Hidden from themselves: refused, nothing stored.
    assert upload(client.app.pk, visibility="internal").status_code == 400
    events = AuditEvent.objects.count()
    for other in others:
        assert upload(other.app.pk).status_code == 404
        assert not CaseDocument.objects.filter(
            application=other.app, source__startswith="Hedda"
        ).exists()
    # No note: the lawyer reads what is shared, and writes through documents and the appeal.
    note = api.post(f"/api/v1/applications/{client.app.pk}/notes/", {"text": "x"}, format="json")
    assert note.status_code == 403
    assert AuditEvent.objects.count() == events


def test_the_lawyer_uploads_on_the_case_page(client, lawyer_user, sides):
    """The web page the lawyer uses: the case page's case file, with the upload form whose
    only choice of readers is the lawyer's own."""
    mine, others = sides
    client.force_login(lawyer_user)
    page = client.get(reverse("admin:casework_application_change", args=[mine.app.pk]))
    text = page.content.decode()
    assert "CLIENTQX-SHARED-NOTE" in text and "CLIENTQX-INTERNAL-NOTE" not in text
    assert "CLIENTQX-LAWYER-DOC" in text and "CLIENTQX-INTERNAL-DOC" not in text
    form = page.context["case_document_form"]
    assert [v for v, _label in form.fields["visibility"].choices] == ["lawyer"]
    url = reverse("admin:casework_application_document_upload", args=[mine.app.pk])
    data = {
        "file": SimpleUploadedFile("statement.pdf", PDF, content_type="application/pdf"),
        "kind": "evidence",
        "source": "the applicant, through the lawyer",
        "received_on": timezone.localdate().isoformat(),
        "language": "prs",
        "visibility": "lawyer",
    }
    done = client.post(url, data, follow=True)
    assert "The document is added to the case file." in done.content.decode()
    assert CaseDocument.objects.filter(
        application=mine.app, source="the applicant, through the lawyer", visibility="lawyer"
    ).exists()
    for other in others:
        data["file"] = SimpleUploadedFile("s.pdf", PDF, content_type="application/pdf")
        url = reverse("admin:casework_application_document_upload", args=[other.app.pk])
        never = reverse("admin:casework_application_document_upload", args=[NEVER])
        got, missing = client.post(url, data), client.post(never, data)
        assert got.status_code == missing.status_code, (got.status_code, missing.status_code)
        assert not CaseDocument.objects.filter(
            application=other.app, source="the applicant, through the lawyer"
        ).exists()


def test_the_lawyer_reads_the_clients_decision_with_its_grounds(lawyer_user, sides):
    client, _others = sides
    api = _api(lawyer_user)
    page = api.get(f"/api/v1/applications/{client.app.pk}/decisions/")
    assert page.status_code == 200
    assert [d["grounds"] for d in page.json()["results"]] == ["CLIENTQX-GROUNDS"]
    listed = api.get("/api/v1/applications/").json()["results"]
    assert [a["id"] for a in listed] == [client.app.pk]
    people = api.get("/api/v1/people/").json()["results"]
    assert [p["id"] for p in people] == [client.person.pk]


def _api_write_routes():
    for route, pattern in _patterns(get_resolver().url_patterns):
        if not route.startswith("api/v1/"):
            continue
        actions = getattr(pattern.callback, "actions", None) or {}
        view_class = getattr(pattern.callback, "cls", None) or getattr(
            pattern.callback, "view_class", None
        )
        methods = {m for m in actions if m in ("post", "patch", "put", "delete")}
        if not actions and view_class is not None:
            methods = {m for m in ("post", "patch", "put", "delete") if hasattr(view_class, m)}
        if methods:
            yield route, view_class, methods


def test_the_lawyer_writes_nothing_but_the_clients_appeal(lawyer_user, sides):
    client, others = sides
    api = _api(lawyer_user)
    events = AuditEvent.objects.count()
    allowed = []
    for route, view_class, methods in _api_write_routes():
        if route.endswith("auth/token/"):
            continue
        model = _model_of(view_class)
        for side in (client, *others):
            target = side.row(model)
            path = _path(route, {"application_pk": side.app.pk, "pk": getattr(target, "pk", NEVER)})
            for method in methods:
                response = getattr(api, method)(path, {}, format="json")
                if response.status_code < 300:
                    allowed.append((method, route, side is client))
    # The one write that is theirs: the client's appeal (walked before the other routes'
    # writes on the same case, which all failed), with the register's lawyer on it.
    assert [(m, _plain(r), mine) for m, r, mine in allowed] == [
        ("post", "api/v1/applications/<pk>/transitions/appeal/", True)
    ]
    assert AuditEvent.objects.count() == events + 1
    assert client.app.appeals.get().lawyer.user == lawyer_user
    for other in others:
        refused = api.post(f"/api/v1/applications/{other.app.pk}/transitions/appeal/", {})
        assert refused.status_code == 404
        assert not other.app.appeals.exists()


def _admin_pages(side: Side):
    """Every admin URL of every site for ``side``'s records (and pages without a record):
    (name, kwargs)."""
    interview = side.app.interviews.first()
    tables = set(connection.introspection.table_names())
    for site in all_sites:
        for model, model_admin in site._registry.items():
            if registration(model) is not None:
                objects = [side.row(model) or side.row(model)]
                if model._meta.label_lower == "casework.application":
                    objects = [side.app]
                if model._meta.label_lower == "casework.person":
                    objects = [side.person]
            elif model._meta.db_table in tables:
                objects = []  # reference data: not a case's record
            else:
                objects = []
            workflow = WORKFLOWS.get(model._meta.label)
            names = list(workflow.transitions) if workflow is not None else [""]
            for pattern in model_admin.get_urls():
                if not getattr(pattern, "name", None):
                    continue
                params = set(pattern.pattern.converters) | set(pattern.pattern.regex.groupindex)
                if not params & {"object_id", "pk"}:
                    continue
                for obj in objects:
                    if obj is None:
                        continue
                    for name in names if "name" in params else [""]:
                        kwargs = {}
                        if "object_id" in params:
                            kwargs["object_id"] = obj.pk
                        if "pk" in params:
                            kwargs["pk"] = obj.pk
                        if "interview_pk" in params:
                            kwargs["interview_pk"] = interview.pk
                        if "name" in params:
                            kwargs["name"] = name
                        if params - {"object_id", "pk", "interview_pk", "name"}:
                            continue
                        yield f"{site.name}:{pattern.name}", kwargs


def _never(kwargs: dict) -> dict:
    return {
        k: (NEVER if k in ("object_id", "pk", "interview_pk") else v) for k, v in kwargs.items()
    }


def test_the_admin_shows_another_case_as_one_that_does_not_exist(client, lawyer_user, sides):
    mine, others = sides
    client.force_login(lawyer_user)
    opened = set()
    for side in others:
        for name, kwargs in _admin_pages(side):
            got = client.get(reverse(name, kwargs=kwargs))
            never = client.get(reverse(name, kwargs=_never(kwargs)))
            assert got.status_code == never.status_code, (name, got.status_code, never.status_code)
            if got.status_code == 302:
                assert got["Location"] == never["Location"], name
            text = got.content.decode()
            assert "STRANGERQX" not in text and "FARQX" not in text, name
    for name, kwargs in _admin_pages(mine):
        page = client.get(reverse(name, kwargs=kwargs))
        if page.status_code == 200:
            opened.add(name)
    assert {"admin:casework_application_change", "admin:casework_person_change"} <= opened
    page = client.get(reverse("admin:casework_application_change", args=[mine.app.pk]))
    assert "CLIENTQX-GROUNDS" in page.content.decode()  # the decision, to answer on appeal


def test_admin_lists_name_only_the_clients_rows(client, lawyer_user, sides):
    mine, _others = sides
    client.force_login(lawyer_user)
    for site in all_sites:
        for model, _model_admin in site._registry.items():
            if not model._meta.managed:
                continue
            url = reverse(
                f"{site.name}:{model._meta.app_label}_{model._meta.model_name}_changelist"
            )
            page = client.get(url)
            assert page.status_code in (200, 403), (url, page.status_code)
            text = page.content.decode()
            assert "STRANGERQX" not in text and "FARQX" not in text, url
    listed = client.get(reverse("admin:casework_application_changelist"))
    assert [a.pk for a in listed.context["cl"].result_list] == [mine.app.pk]


def test_the_lawyer_changes_nothing_in_the_admin(client, lawyer_user, sides, caseworker):
    mine, others = sides
    client.force_login(lawyer_user)
    events = AuditEvent.objects.count()
    for side in (mine, *others):
        for name, kwargs in _admin_pages(side):
            if "transition" in name and kwargs.get("name") == "appeal" and side is mine:
                continue  # the one write that is theirs: below
            client.post(reverse(name, kwargs=kwargs), {"post": "yes", "version": side.app.version})
    for site in all_sites:
        for model, model_admin in site._registry.items():
            if not model._meta.managed:
                continue
            prefix = f"{site.name}:{model._meta.app_label}_{model._meta.model_name}"
            url = reverse(f"{prefix}_add")
            assert client.get(url).status_code in (403, 302), (url, model_admin)
    assert AuditEvent.objects.count() == events
    for side in (mine, *others):
        side.app.refresh_from_db()
        assert side.app.state == "rejected"
    # Lodging the client's appeal on the case page's form.
    url = reverse("admin:casework_application_transition", args=[mine.app.pk, "appeal"])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"version": mine.app.version, "lodged_by": "the applicant", "late_reason": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    mine.app.refresh_from_db()
    assert mine.app.state == "under_review"
    # The timeline names the lawyer who lodged it, for the lawyer and for the caseworker.
    for user in (lawyer_user, caseworker):
        client.force_login(user)
        page = client.get(reverse("admin:casework_application_change", args=[mine.app.pk]))
        timeline = page.content.decode().split('id="case-timeline-title"')[1]
        assert "by the lawyer Hedda Gabler (Advokatfirma Tesman)" in " ".join(timeline.split())
        assert "by the applicant" not in timeline


def test_an_ended_appointment_closes_the_case_to_the_lawyer(lawyer_user, sides):
    mine, _others = sides
    api = _api(lawyer_user)
    assert api.get(f"/api/v1/applications/{mine.app.pk}/").status_code == 200
    Appointment.objects.filter(application=mine.app).update(ends_on=timezone.localdate())
    assert api.get(f"/api/v1/applications/{mine.app.pk}/").status_code == 404


def test_a_user_without_the_lawyer_role_sees_nothing_through_a_register_entry(lawyer, sides):
    """The role, not the register's link alone, opens the clients' cases."""
    plain = UserFactory(username="linked-but-no-role")
    lawyer.user = plain
    lawyer.save()
    assert _api(plain).get("/api/v1/applications/").status_code == 403
