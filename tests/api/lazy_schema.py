"""The API's OpenAPI schema for schemathesis, loaded when a test first runs, not at import.

``schema.parametrize()`` on a loaded schema turns each operation into a test item, but it
needs the schema at collection: every pytest process (each xdist worker too) would build it
from the WSGI app and prepare a Hypothesis test per operation before running anything, even
for a run that selects other tests. Here the tests use ``schemathesis.pytest.from_fixture``:
a fixture loads the schema when the test runs, and each operation runs as a subtest (its own
pass or failure in the report). The operations are dealt into ``parts`` items by a stable
hash of their label, so pytest-xdist spreads the work over its workers; every operation is in
exactly one part.
"""

from __future__ import annotations

import zlib
from typing import Any

import schemathesis
from _pytest import nodes
from _pytest.nodeid import NodeId
from schemathesis.pytest.lazy import LazySchema
from schemathesis.schemas import BaseSchema


def _restore_node_id_string() -> None:
    """schemathesis 4.32's lazy loader names each operation's subtest by reading and writing
    ``request.node._nodeid``, the string pytest 9.2 replaced by a structured ``_id``. Give it
    that string back as a property over ``_id``. Should either side change again, the schema
    tests fail (an AttributeError in every part), never pass quietly."""
    if hasattr(nodes.Node, "_nodeid"):
        return

    def get(node: nodes.Node) -> str:
        return node.nodeid

    def set_(node: nodes.Node, value: str) -> None:
        node._id = NodeId.parse(value)

    nodes.Node._nodeid = property(get, set_)


_restore_node_id_string()


def load(django_db_blocker: Any) -> BaseSchema:
    """``/api/schema/`` from the WSGI app, in-process. The schema view reads no table, but the
    handler's request signals check the connection, so pytest-django's blocker is lifted (the
    fixture calling this asks for ``django_db_setup``: the connection is the test database's)."""
    from config.wsgi import application

    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi("/api/schema/", application)


def part_of(label: str, parts: int) -> int:
    """The part an operation belongs to: the same in every process and every run."""
    return zlib.crc32(label.encode()) % parts


def part(fixture: str, number: int, parts: int) -> LazySchema:
    """The operations of part ``number`` (of ``parts``) of the schema ``fixture`` returns, for
    ``.parametrize()``: one test item running each of its operations as a subtest."""

    def in_part(context: Any) -> bool:
        return part_of(context.operation.label, parts) == number

    in_part.__name__ = f"part_{number}_of_{parts}"
    return schemathesis.pytest.from_fixture(fixture).include(func=in_part)
