"""Shared test set-up: role fixtures, the real-services marker, factories.

Tests that need real services carry ``@pytest.mark.services("postgres")`` (row locks, two
connections), ``("redis")`` or ``("celery")`` (a real worker on a real Redis). Without those
services they are skipped, and with ``REQUIRE_SERVICES=1`` (CI) a missing service fails the
run instead of skipping.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_migrate
from django.test import override_settings

from casework.models import Unit
from tests import factories

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _isolate_xdist_worker() -> None:
    """Each pytest-xdist worker has its own test database (pytest-django names it per worker);
    give it its own Redis keys too. The workers share one Redis database, so without a key
    prefix one worker's Celery worker would take the other's task messages (for reminder ids
    its database has never seen) and one worker's queue clean-up would empty the other's.
    Set in the environment for the web servers and Celery workers the tests start, and in this
    process's settings, which Django had read before this file was imported."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    prefix = f"{settings.REDIS_KEY_PREFIX}pytest-{worker}:"
    os.environ["REDIS_KEY_PREFIX"] = prefix
    settings.REDIS_KEY_PREFIX = prefix
    if "global_keyprefix" in settings.CELERY_BROKER_TRANSPORT_OPTIONS:
        settings.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = prefix
    if "KEY_PREFIX" in settings.CACHES["default"]:
        settings.CACHES["default"]["KEY_PREFIX"] = prefix


_isolate_xdist_worker()


def _redis_reachable() -> bool:
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis"):
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 1):
            return True
    except OSError:
        return False


def available_services() -> set[str]:
    found = set()
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        found.add("postgres")
    if _redis_reachable():
        found |= {"redis", "celery"}
    return found


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_SERVICES:
        missing = {"postgres", "redis"} - available_services()
        if missing:
            raise pytest.UsageError(
                f"REQUIRE_SERVICES=1 but these services are not configured or reachable: "
                f"{', '.join(sorted(missing))}. Set DATABASE_URL and CELERY_BROKER_URL."
            )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    have = available_services()
    for item in items:
        marker = item.get_closest_marker("services")
        if marker is None:
            continue
        needed = set(marker.args or ("postgres",))
        missing = needed - have
        if not missing:
            continue
        why = f"needs {', '.join(sorted(missing))} (set DATABASE_URL / CELERY_BROKER_URL)"
        if REQUIRE_SERVICES:
            item.user_properties.append(("missing_services", why))
        else:
            item.add_marker(pytest.mark.skip(reason=why))


def pytest_runtest_setup(item: pytest.Item) -> None:
    for key, why in item.user_properties:
        if key == "missing_services":
            pytest.fail(f"REQUIRE_SERVICES=1: {why}")


@pytest.fixture(scope="session", autouse=True)
def _letter_fonts() -> None:
    """Pango and the Noto fonts the PDF letters need, installed with apt-get when missing (as
    the browser tests install Chromium): a letter test on a bare machine would otherwise fail
    on an import, or pass with boxes in place of Tigrinya."""
    from casework.letters.fonts import install_missing

    missing, error = install_missing()
    if error:
        pytest.fail(f"could not install {missing} for the letters: {error}")


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts and ends in the default language: a request through the staff or the
    locale middleware leaves its language active in the thread (Django does not reset it),
    and the next test in that worker would otherwise run in bokmål."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings, request):
    """Fast password hashing, mail into memory, a private cache per test.

    WhiteNoise looks static files up when they are asked for, as in development: otherwise
    every test client (a new request handler, so new middleware) would first index every
    static file of every app, some 40 ms a client and a quarter of an API test's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,  # the cache's name: one per test
        }
    }
    settings.AXES_ENABLED = True
    settings.WHITENOISE_AUTOREFRESH = True


# The staff of the role fixtures: username -> (role, unit code). Made once, right after the
# test database is migrated, and again after each flush (a transactional test empties every
# table), rather than in every test: nine users with their group and profile cost a test
# some 70 queries on PostgreSQL. Tests roll back, so each starts from these very rows.
UNITS = {"oslo": "Asylum unit Oslo", "bergen": "Asylum unit Bergen"}
STAFF = {
    "caseworker": ("Caseworker", "oslo"),
    "caseworker2": ("Caseworker", "oslo"),
    "decider": ("Decision-maker", "oslo"),
    "appeals": ("Appeals body", "oslo"),
    "registrar": ("Police registration", "oslo"),
    "reception": ("Reception officer", "oslo"),
    "integration": ("Integration officer", "oslo"),
    "auditor": ("Auditor", "oslo"),
    "outsider": ("Caseworker", "bergen"),
    "coordinator": ("Interpreter coordinator", "oslo"),
    # A lawyer's sign-in (no unit): the ``lawyer`` fixture gives it a register entry.
    "lawyer": ("Lawyer", None),
}


def _make_staff(*, using: str = "default", **_: object) -> None:
    """``post_migrate`` handler (the last app's): the units and the staff of the fixtures."""
    if using != "default":
        return
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        units = {code: factories.UnitFactory(code=code, name=name) for code, name in UNITS.items()}
        for username, (role, code) in STAFF.items():
            unit = units[code] if code else None
            factories.staff_user(username=username, role=role, unit=unit)


post_migrate.connect(
    _make_staff, sender=django_apps.get_app_config("integration"), dispatch_uid="tests.staff"
)


def _unit(code: str):
    return Unit.objects.get(code=code)


def _staff(username: str):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def unit(db):
    return _unit("oslo")


@pytest.fixture
def other_unit(db):
    return _unit("bergen")


@pytest.fixture
def caseworker(unit):
    return _staff("caseworker")


@pytest.fixture
def other_caseworker(unit):
    return _staff("caseworker2")


@pytest.fixture
def decider(unit):
    return _staff("decider")


@pytest.fixture
def appeals(unit):
    return _staff("appeals")


@pytest.fixture
def registrar(unit):
    return _staff("registrar")


@pytest.fixture
def reception_officer(unit):
    return _staff("reception")


@pytest.fixture
def integration_officer(unit):
    return _staff("integration")


@pytest.fixture
def auditor(unit):
    return _staff("auditor")


@pytest.fixture
def lawyer_user(db):
    """The signed-in lawyer (role ``Lawyer``); ``lawyer`` is their entry in the register."""
    return _staff("lawyer")


@pytest.fixture
def lawyer(lawyer_user):
    from casework.lawyers.models import Lawyer

    return Lawyer.objects.create(
        name="Hedda Gabler",
        firm="Advokatfirma Tesman",
        bar_number="B-1001",
        region="east",
        user=lawyer_user,
    )


@pytest.fixture
def outsider(other_unit):
    """A caseworker of another unit: staff, but not of these cases."""
    return _staff("outsider")


@pytest.fixture
def coordinator(unit):
    """The interpreter coordinator: keeps the register, books for every unit."""
    return _staff("coordinator")


@pytest.fixture
def role_users(
    caseworker,
    decider,
    appeals,
    registrar,
    reception_officer,
    integration_officer,
    auditor,
    outsider,
    coordinator,
    lawyer_user,
):
    """One user of each role (and a caseworker of another unit), for the role walks: the
    interpreter coordinator and the applicant's lawyer (signed in, without clients unless a
    test appoints them) included."""
    return {
        "caseworker": caseworker,
        "decider": decider,
        "appeals": appeals,
        "registrar": registrar,
        "reception": reception_officer,
        "integration": integration_officer,
        "auditor": auditor,
        "outsider": outsider,
        "coordinator": coordinator,
        "lawyer": lawyer_user,
    }
