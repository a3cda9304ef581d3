"""What a hostile or careless client sends: every answer a clear 4xx in the API's error format.

- 1,000 nested ``[`` in a 2 KB body exhausted the JSON parser's recursion (500 on every JSON
  endpoint, the anonymous token endpoint included, with Django's traceback under ``DEBUG``);
- a 10 MB body and a server error came back as HTML;
- ``19900101`` and ``1990-W01-1`` were birth dates, ``"person": 1.5`` was person 1;
- ``has_free_beds=maybe``, ``page_size=lots`` and ``ordering=junk`` were silently ignored;
- a weak ETag (``W/"1"``) satisfied ``If-Match``.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from casework.applications.choices import State
from casework.models import Application, Person
from reception.models import Placement
from tests.factories import ApplicationFactory, PersonFactory, UserFactory
from tests.reception.factories import ReceptionCentreFactory

pytestmark = pytest.mark.django_db

NESTED = "[" * 1000 + "]" * 1000  # 2,000 bytes


_PATHS: list[str] = []


def api_paths() -> list[str]:
    """Every path of the API's schema, with 1 for each path parameter."""
    if not _PATHS:
        from drf_spectacular.generators import SchemaGenerator

        schema = SchemaGenerator().get_schema(request=None, public=True)
        _PATHS.extend(sorted(re.sub(r"{\w+}", "1", path) for path in schema["paths"]))
    return _PATHS


@pytest.fixture
def root_client(db) -> APIClient:
    client = APIClient()
    user = UserFactory(username="hostile-root", is_superuser=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def assert_api_error(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body, dict) and body, body
    assert "Traceback" not in response.content.decode(errors="replace")
    return body


def test_every_api_route_is_walked():
    paths = api_paths()
    assert "/api/v1/auth/token/" in paths and "/api/v1/placements/1/transfer/" in paths, paths
    assert len(paths) > 40


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_deeply_nested_json_is_a_400_on_every_endpoint(root_client, method):
    refused = []
    for path in api_paths():
        for client in (root_client, APIClient()):  # with a token and anonymous
            response = getattr(client, method)(path, NESTED, content_type="application/json")
            if response.status_code != 400 or "nested" not in response.json().get("detail", ""):
                refused.append((path, response.status_code, response.content[:120]))
    assert not refused, refused


def test_the_anonymous_token_endpoint_refuses_nesting_in_json(client):
    response = client.post("/api/v1/auth/token/", NESTED, content_type="application/json")
    body = assert_api_error(response, 400)
    assert body["detail"] == "JSON parse error - nested more than 32 levels."
    # Ordinary nesting is untouched: the serializer answers.
    shallow = client.post(
        "/api/v1/auth/token/", '{"username": [[["x"]]]}', content_type="application/json"
    )
    assert shallow.status_code == 400 and "username" in shallow.json()


def test_a_body_over_the_limit_is_a_413_in_json_on_every_endpoint(root_client):
    big = b" " * (10 * 1024 * 1024)
    for path in [*api_paths(), "/api/v1/auth/token/"]:
        response = root_client.generic("POST", path, big, content_type="application/json")
        body = assert_api_error(response, 413)
        assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in body["detail"]


def test_a_server_error_on_an_api_path_is_json_even_under_debug(root_client, settings, monkeypatch):
    from casework.api import views

    settings.DEBUG = True

    def boom(*args, **kwargs):
        raise RuntimeError("something broke")

    monkeypatch.setattr(views.ApplicationViewSet, "list", boom)
    response = APIClient(raise_request_exception=False)
    response.credentials(**root_client._credentials)
    answer = response.get("/api/v1/applications/")
    body = assert_api_error(answer, 500)
    assert body == {"detail": "A server error occurred. It has been logged."}
    assert "something broke" not in answer.content.decode()


@pytest.mark.parametrize("born", ["19900101", "1990-W01-1", "1990-1-1", "01.01.1990", "1990-001"])
def test_a_birth_date_is_iso_8601_extended_or_refused(root_client, born):
    before = Person.objects.count()
    response = root_client.post(
        "/api/v1/people/",
        {
            "given_name": "Amina",
            "family_name": "Haidari",
            "date_of_birth": born,
            "nationality": "AF",
            "sex": "F",
        },
        format="json",
    )
    body = assert_api_error(response, 400)
    assert "YYYY-MM-DD" in str(body["date_of_birth"])
    assert Person.objects.count() == before


@pytest.mark.parametrize(
    "spelling",
    [lambda pk: pk + 0.5, float, lambda pk: True, lambda pk: f"{pk}.0", lambda pk: f"{pk}e0"],
    ids=["1.5", "1.0", "true", "'1.0'", "'1e0'"],
)
def test_an_id_is_a_whole_number_or_refused(root_client, spelling):
    centre, person = ReceptionCentreFactory(), PersonFactory()
    response = root_client.post(
        "/api/v1/placements/", {"person": spelling(person.pk), "centre": centre.pk}, format="json"
    )
    body = assert_api_error(response, 400)
    assert "person" in body
    assert not Placement.objects.exists()


def test_a_whole_number_id_still_places(root_client):
    centre, person = ReceptionCentreFactory(), PersonFactory()
    response = root_client.post(
        "/api/v1/placements/", {"person": person.pk, "centre": centre.pk}, format="json"
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/reception-centres/?has_free_beds=maybe",
        "/api/v1/placements/?open=perhaps",
        "/api/v1/applications/?unassigned=2",
        "/api/v1/people/?unaccompanied_minor=yes",
        "/api/v1/applications/?page_size=lots",
        "/api/v1/applications/?page_size=0",
        "/api/v1/applications/?page_size=2.5",
        "/api/v1/applications/?ordering=junk",
        "/api/v1/placements/?centre=1.5",
        "/api/v1/placements/?start_after=20240101",
        "/api/v1/people/?date_of_birth=1990-W01-1",
    ],
)
def test_a_filter_value_the_api_does_not_understand_is_a_400(root_client, query):
    body = assert_api_error(root_client.get(query), 400)
    parameter = query.split("?")[1].split("=")[0]
    assert parameter in body, body


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/reception-centres/?has_free_beds=true",
        "/api/v1/reception-centres/?has_free_beds=false",
        "/api/v1/applications/?page_size=500",  # more than the largest page: the largest page
        "/api/v1/applications/?ordering=-lodged_on",
        "/api/v1/placements/?start_after=2024-01-01&open=true",
    ],
)
def test_the_documented_filter_values_still_filter(root_client, query):
    assert root_client.get(query).status_code == 200


def test_if_match_with_a_weak_tag_is_refused(root_client, unit):
    app = ApplicationFactory(unit=unit)
    etag = root_client.get(f"/api/v1/applications/{app.pk}/")["ETag"]
    assert etag == '"1"'
    for weak in ('W/"1"', 'W/"1", W/"2"'):
        response = root_client.post(
            f"/api/v1/applications/{app.pk}/transitions/withdraw/",
            {"reason": "Left."},
            format="json",
            HTTP_IF_MATCH=weak,
        )
        assert_api_error(response, 412)
    assert Application.objects.get(pk=app.pk).state == State.SUBMITTED
    strong = root_client.post(
        f"/api/v1/applications/{app.pk}/transitions/withdraw/",
        {"reason": "Left."},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert strong.status_code == 200
    # If-None-Match compares weakly (RFC 9110 § 13.1.2): a weak tag still means "not modified".
    fresh = root_client.get(f"/api/v1/applications/{app.pk}/")["ETag"]
    cached = root_client.get(f"/api/v1/applications/{app.pk}/", HTTP_IF_NONE_MATCH=f"W/{fresh}")
    assert cached.status_code == 304
