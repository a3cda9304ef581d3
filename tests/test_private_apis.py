"""Every private or undocumented library API the code leans on, each with a probe.

Where no public API does the job, the code uses a library's internals; a library upgrade may
change them without notice. Each entry below names the API, the library (whose installed
version the failure names) and where it is used, with a probe that exercises exactly what
the code relies on. When a probe fails, adapt the module named, or move it to a public API
and drop the entry. A second test scans the code for private attributes (``x._name``) and
requires each to be listed here or to be the project's own.
"""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import types
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from io import StringIO
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("casework", "reception", "integration", "config")


@dataclass(frozen=True)
class Private:
    api: str
    library: str  # the distribution, for its version
    used_in: tuple[str, ...]
    probe: Callable[[], None]
    attributes: tuple[str, ...] = ()  # the ``x._name`` the scan finds for it


def _redis_cache_client() -> None:
    from django.core.cache.backends.redis import RedisCache, RedisCacheClient

    cache = RedisCache("redis://127.0.0.1:1/0", {})
    holder = cache._cache  # type: ignore[attr-defined]
    assert isinstance(holder, RedisCacheClient), type(holder)
    write = inspect.signature(holder.get_client).parameters["write"]
    assert write.kind is inspect.Parameter.KEYWORD_ONLY
    client = holder.get_client("key", write=True)  # builds the client; connects on use only
    assert hasattr(client, "pipeline")


def _redis_client_class() -> None:
    from django.core.cache.backends.redis import RedisCache, RedisCacheClient

    from casework.core.cache import ResilientRedisCache, ReusedClientRedisCacheClient

    assert RedisCache("redis://127.0.0.1:1/0", {})._class is RedisCacheClient  # type: ignore[attr-defined]
    ours = ResilientRedisCache("redis://127.0.0.1:1/0", {})
    assert isinstance(ours._cache, ReusedClientRedisCacheClient)  # type: ignore[attr-defined]


def _redis_pool_index() -> None:
    from django.core.cache.backends.redis import RedisCacheClient

    holder = RedisCacheClient(["redis://127.0.0.1:1/0", "redis://127.0.0.1:2/0"])
    assert holder._get_connection_pool_index(True) == 0  # type: ignore[attr-defined]
    assert holder._get_connection_pool_index(False) in (0, 1)  # type: ignore[attr-defined]


def _live_receivers() -> None:
    from django.db.models.signals import post_save

    from casework.models import Application

    sync, asynchronous = post_save._live_receivers(Application)
    assert isinstance(sync, list) and isinstance(asynchronous, list)


def _output_wrapper_out() -> None:
    from django.core.management.base import OutputWrapper

    stream = StringIO()
    assert OutputWrapper(stream)._out is stream


def _fsm_set_state() -> None:
    from casework.models import Application

    field = Application._meta.get_field("state")
    app = Application()
    with pytest.raises(AttributeError):  # still protected: set_state is still needed
        app.state = "examined"
    field.set_state(app, "examined")  # type: ignore[attr-defined]
    assert app.state == "examined"


def _postgresql_internals() -> None:
    import psycopg
    from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]
        TIMESTAMPTZ_OID,
        Format,
        ServerBindingCursor,
    )
    from django.db.backends.postgresql.psycopg_any import (  # type: ignore[import-untyped]
        register_tzloader,
    )

    assert issubclass(ServerBindingCursor, psycopg.Cursor)
    assert "prepare" in inspect.signature(ServerBindingCursor.execute).parameters
    context = types.SimpleNamespace(adapters=psycopg.adapt.AdaptersMap(psycopg.adapters))
    zone = dt.timezone(dt.timedelta(hours=1))
    register_tzloader(zone, context)
    assert context.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT).timezone is zone


def _database_wrapper() -> None:
    from django.db import connection
    from django.db.backends.utils import CursorWrapper

    for name in (
        "queries_logged",
        "close_if_health_check_failed",
        "ensure_connection",
        "wrap_database_errors",
        "validate_thread_sharing",
        "timezone",
    ):
        assert hasattr(connection, name), name
    assert list(inspect.signature(CursorWrapper).parameters) == ["cursor", "db"]


def _compiler_converters() -> None:
    from django.db import connection

    from casework.models import Application

    compiler = Application.objects.all().query.get_compiler(connection=connection)
    assert list(inspect.signature(compiler.get_converters).parameters) == ["expressions"]
    params = list(inspect.signature(compiler.apply_converters).parameters)
    assert params == ["rows", "converters"]


def _field_converters() -> None:
    from django.db import connection

    from casework.models import Application

    field = Application._meta.get_field("lodged_on")
    expression = field.get_col(Application._meta.db_table)  # type: ignore[union-attr]
    assert isinstance(connection.ops.get_db_converters(expression), list)
    assert isinstance(field.get_db_converters(connection), list)  # type: ignore[union-attr]


def _sql_with_params() -> None:
    from casework.models import Application

    sql, params = Application.objects.filter(pk=7).query.sql_with_params()
    assert isinstance(sql, str) and tuple(params) == (7,)


def _model_state() -> None:
    from django.db.models.base import ModelState
    from django.db.models.query_utils import DeferredAttribute

    from casework.models import Deadline

    state = ModelState()
    assert (state.adding, state.db, state.fields_cache) == (True, None, {})
    assert isinstance(Deadline.__dict__["due_at"], DeferredAttribute)


def _default_history_user() -> None:
    from casework.models import Application

    historical = Application.history.model  # type: ignore[attr-defined]
    assert callable(historical.get_default_history_user)


PRIVATE = [
    Private(
        "RedisCache._cache, RedisCacheClient.get_client(key, write=)",
        "django",
        ("casework/core/cache.py",),
        _redis_cache_client,
        ("cache._cache",),
    ),
    Private(
        "RedisCache._class (the client holder a cache builds)",
        "django",
        ("casework/core/cache.py",),
        _redis_client_class,
    ),
    Private(
        "RedisCacheClient._get_connection_pool_index(write)",
        "django",
        ("casework/core/cache.py",),
        _redis_pool_index,
    ),
    Private(
        "Signal._live_receivers(sender) -> (sync, async)",
        "django",
        ("casework/core/checks.py",),
        _live_receivers,
        ("signal._live_receivers",),
    ),
    Private(
        "OutputWrapper._out (tqdm writes to the raw stream)",
        "django",
        (
            "casework/management/commands/import_arrivals.py",
            "casework/management/commands/seed_demo.py",
        ),
        _output_wrapper_out,
        ("self.stderr._out",),
    ),
    Private(
        "FSMField.set_state on a protected field",
        "django-fsm-2",
        ("casework/intake/demo.py",),
        _fsm_set_state,
    ),
    Private(
        "postgresql.base TIMESTAMPTZ_OID, Format, ServerBindingCursor;"
        " psycopg_any.register_tzloader",
        "django",
        ("casework/core/statements.py",),
        _postgresql_internals,
    ),
    Private(
        "BaseDatabaseWrapper internals and CursorWrapper(cursor, db)",
        "django",
        ("casework/core/statements.py",),
        _database_wrapper,
    ),
    Private(
        "SQLCompiler.get_converters / apply_converters",
        "django",
        ("casework/applications/statements.py",),
        _compiler_converters,
    ),
    Private(
        "ops.get_db_converters(expression), Field.get_db_converters(connection)",
        "django",
        ("casework/status/selectors.py",),
        _field_converters,
    ),
    Private(
        "Query.sql_with_params()",
        "django",
        ("reception/status.py", "casework/deadlines/channels.py"),
        _sql_with_params,
    ),
    Private(
        "django.db.models.base.ModelState, query_utils.DeferredAttribute",
        "django",
        ("casework/core/rows.py",),
        _model_state,
    ),
    Private(
        "historical model's get_default_history_user",
        "django-simple-history",
        ("casework/audit/history.py",),
        _default_history_user,
    ),
]

# Private names that are the project's own, not a library's.
OWN = {
    "type(self)._built_fields": "the serializer class's own cache of built fields",
    "cache._down_until": "ResilientRedisCache's own pause after a failure",
    "request._access_object": "the access check's own note on the request",
    "request._access_more": "reads a page showed, logged with the page's own row",
    "request._replica_list": "ReplicaListMixin's own note that a log list is being shown",
    "request._case_page": "the case admin's own note that its case page is being built",
    "demo_data._pk": "casework.intake.demo's helper, shared by the apps' demo data",
    "request._name_search": "the admin's own note of a name search, for its count and walks",
    "row._roles": "the token statement's own annotations (staff.roles.with_roles_and_permissions)",
    "row._unit": "the token statement's own annotations (staff.roles.with_roles_and_permissions)",
    "row._language": "the token statement's own annotations",
    "row._group_perms": "the token statement's own annotations",
    "row._user_perms": "the token statement's own annotations",
}


@pytest.mark.parametrize("entry", PRIVATE, ids=[entry.api for entry in PRIVATE])
def test_each_private_api_the_code_leans_on_is_still_there(entry: Private):
    try:
        entry.probe()
    except Exception as exc:  # an assertion, a missing name, a changed signature
        pytest.fail(
            f"{entry.library} {metadata.version(entry.library)} changed a private API: "
            f"{entry.api} ({type(exc).__name__}: {exc}). It is used in "
            f"{', '.join(entry.used_in)}: adapt it there, or move to a public API.",
            pytrace=False,
        )


def _private_attributes() -> set[tuple[str, str]]:
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
                    continue
                if node.attr.startswith("__") or node.attr in {
                    "_meta",
                    "_state",
                    "_default_manager",
                }:
                    continue  # dunders; Django's documented model API
                if isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}:
                    continue
                found.add((path.relative_to(ROOT).as_posix(), ast.unparse(node)))
    return found


def test_every_private_attribute_the_code_reads_is_listed():
    listed = {(module, attr) for e in PRIVATE for module in e.used_in for attr in e.attributes}
    unlisted = {
        (module, attr)
        for module, attr in _private_attributes()
        if (module, attr) not in listed and attr not in OWN
    }
    assert not unlisted, (
        "a private attribute of a library? list it in tests/test_private_apis.py with a probe "
        f"(or, if it is the project's own, in OWN): {sorted(unlisted)}"
    )


def test_the_probes_listed_are_for_modules_that_exist():
    for entry in PRIVATE:
        for module in entry.used_in:
            assert (ROOT / module).is_file(), (entry.api, module)
        metadata.version(entry.library)
