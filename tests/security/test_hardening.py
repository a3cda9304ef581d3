"""Web hardening: a strict CSP on every page, error pages and logs that show nothing personal."""

from __future__ import annotations

import logging
import shutil
import subprocess
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from casework.core.logfilters import DropRequestData
from tests.factories import ReminderFactory, UserFactory
from tests.security.admin_pages import model_pages

pytestmark = pytest.mark.django_db


class Scripts(HTMLParser):
    """Collects what a strict policy would block: inline scripts (no src, not a JSON data
    block), event-handler attributes, style attributes and <style> elements (with their
    nonce, which the policy may allow)."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[dict] = []
        self.handlers: list[str] = []
        self.style_attributes: list[str] = []
        self.style_nonces: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        data_block = attributes.get("type") in ("application/json", "application/ld+json")
        if tag == "script" and "src" not in attributes and not data_block:
            self.inline.append(attributes)
        if tag == "style":
            self.style_nonces.append(attributes.get("nonce"))
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        if "style" in attributes:
            self.style_attributes.append(f"<{tag} style={attributes['style']!r}>")

    handle_startendtag = handle_starttag


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: sources.split()
        for name, sources in (
            (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
        )
    }


def script_src(response) -> list[str]:
    return directives(response)["script-src"]


def assert_strict(response, url: str) -> None:
    """No directive loosened; no inline style or script the policy would have to block."""
    policy = directives(response)
    for name in ("script-src", "style-src"):
        assert name in policy, url
    for name, sources in policy.items():
        assert "'unsafe-inline'" not in sources, (url, name)
        assert "'unsafe-eval'" not in sources, (url, name)
        assert "'unsafe-hashes'" not in sources, (url, name)
    assert policy["frame-ancestors"] == ["'none'"], url
    if not response["Content-Type"].startswith("text/html"):
        return
    parser = Scripts()
    parser.feed(response.content.decode())
    assert parser.inline == [], url
    assert parser.handlers == [], url
    assert parser.style_attributes == [], url
    for nonce in parser.style_nonces:  # a <style> element only with this response's nonce
        assert nonce and f"'nonce-{nonce}'" in policy["style-src"], url


def test_every_kind_of_page_has_a_strict_script_policy_and_no_inline_script(
    client, caseworker, world
):
    anonymous = ["/status/", "/admin/login/", "/api/docs/", "/api/schema/"]
    staff = [
        "/admin/",
        reverse("admin:casework_application_changelist"),
        reverse("admin:casework_application_change", args=[world.app_here.pk]),
        reverse("admin:casework_person_change", args=[world.p_here.pk]),
        reverse("admin:casework_person_add"),
    ]
    for url in anonymous + staff:
        if url == staff[0]:
            client.force_login(caseworker)
        response = client.get(url)
        assert response.status_code == 200, url
        sources = script_src(response)
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, url
        assert_strict(response, url)


def test_every_admin_page_api_page_and_error_page_is_strict(client, world, settings):
    """Style as strict as script: every response, the browsable API and the errors too."""
    ReminderFactory(status="failed")
    superuser = UserFactory(username="root", is_superuser=True)
    client.force_login(superuser)
    pages = ["/admin/"] + [path for _label, _kind, path in model_pages(superuser)]
    assert len(pages) > 60
    pages += [
        reverse("admin:casework_application_transition", args=[world.app_here.pk, "withdraw"]),
        reverse("admin:reception_occupancy"),
        reverse("admin:reception_placement_place"),
        reverse("admin:integration_workpermit_create"),
        reverse("admin:casework_calendar"),
        reverse("admin:casework_interpreter_create"),
        "/api/docs/",
        "/api/v1/applications/",
        f"/api/v1/applications/{world.app_here.pk}/",
        "/api/v1/people/",
        "/status/",
        "/ar/status/",
    ]
    for url in pages:
        response = client.get(url, HTTP_ACCEPT="text/html", follow=True)
        assert response.status_code == 200, url
        assert_strict(response, url)
    # The browsable API colours its code with a <style> element: allowed by its nonce only.
    api_page = client.get("/api/v1/people/", HTTP_ACCEPT="text/html")
    assert b"<style nonce=" in api_page.content
    for url, status in (("/no-such-page/", 404), ("/api/v1/no-such/", 404)):
        response = client.get(url)
        assert response.status_code == status, url
        assert_strict(response, url)
    client.logout()
    for url in ("/admin/login/", "/no-such-page/"):
        assert_strict(client.get(url), url)


def test_the_plain_pages_are_styled_by_a_stylesheet():
    """Error, lockout and unavailable pages: no style attribute, the plain stylesheet."""
    for name in (
        "400.html",
        "403.html",
        "404.html",
        "500.html",
        "casework/locked_out.html",
        "casework/unavailable.html",
    ):
        html = render_to_string(name)
        parser = Scripts()
        parser.feed(html)
        assert parser.style_attributes == [] and parser.style_nonces == [], name
        assert 'href="/static/casework/plain.css"' in html, name


def test_the_api_docs_load_their_start_up_code_as_a_script_file(client):
    page = client.get("/api/docs/").content.decode()
    assert '<script src="/api/docs/?script="></script>' in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_in_chromium_under_the_policy(live_server):
    """The real browser enforces the CSP: if the UI renders, nothing it needs was blocked."""
    result = subprocess.run(
        [
            "chromium",
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=8000",
            "--dump-dom",
            # A deep link opens one resource's group, as a link shared between colleagues would.
            f"{live_server.url}/api/docs/#/people",
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert 'class="opblock-summary-path"' in result.stdout, result.stderr[-2000:]
    assert "/api/v1/people/" in result.stdout
    assert result.stdout.count('class="opblock-tag') > 20  # every resource's group is listed


def test_a_missing_page_shows_nothing_from_the_request(client):
    response = client.get("/no-such-page/", {"name": "Amina Rahimi"})
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert "Amina" not in body and "no-such-page" not in body


@pytest.fixture
def captured_errors():
    """A plain handler (no filter of its own) that prints the request a record carries."""

    class WithRequest(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            request = getattr(record, "request", None)
            body = request.body.decode() if request is not None else ""
            return f"{super().format(record)} request={body} {getattr(request, 'GET', '')}"

    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(WithRequest("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def test_a_crash_shows_and_logs_nothing_of_what_was_sent(client, settings, captured_errors):
    settings.ROOT_URLCONF = "tests.security.boom_urls"
    client.raise_request_exception = False
    response = client.post(
        "/boom/?given_name=Amina", {"family_name": "Rahimi", "date_of_birth": "1990-05-17"}
    )
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    for secret in ("Amina", "Rahimi", "1990-05-17", "something broke"):
        assert secret not in body
    log = captured_errors.getvalue()
    assert "Internal Server Error: /boom/" in log
    for secret in ("Amina", "Rahimi", "1990-05-17"):
        assert secret not in log


def test_the_console_log_handler_drops_request_data(settings):
    handler = settings.LOGGING["handlers"]["console"]
    assert "no_request_data" in handler["filters"]  # for the plain and the JSON format alike
    assert settings.LOGGING["loggers"]["django.request"]["filters"] == ["no_request_data"]
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Error: %s", ("/x/?q=Amina",), None
    )
    record.request = object()
    assert DropRequestData().filter(record)
    assert record.request is None and record.getMessage() == "Error: /x/"


def test_session_and_csrf_cookies_are_http_only_and_same_site(client, caseworker):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "caseworker", "password": "Correct-Horse-42"}
    )
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
