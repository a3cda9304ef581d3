"""How the bulk import writes the rows the builders make, outside PostgreSQL.

The rows come from the records' builders (``casework.people.rows``,
``casework.applications.rows``): unsaved model instances, the same a service writes one by
one. ``OrmWriter`` writes a record at once with ``bulk_create`` (which sets its key, for the
rows built after), and the rows pointing at it with ``bulk_create`` at the flush. It neither
calls ``save()`` nor sends ``pre_save``/``post_save``: the models written so are registered in
``casework.core.checks``, whose check fails when one of them gains ``save()`` logic or such
receivers. (On PostgreSQL the import writes the same rows with one set-based statement.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models


class OrmWriter:
    """``bulk_create``, model by model in the order rows came (foreign keys point back)."""

    def __init__(self) -> None:
        self._rows: dict[type[models.Model], list[Any]] = {}

    def keyed(self, records: list[Any]) -> None:
        """Write ``records`` now: they get their keys, for the rows built after."""
        if records:
            type(records[0]).objects.bulk_create(records)

    def add(self, rows: Iterable[Any]) -> None:
        for row in rows:
            self._rows.setdefault(type(row), []).append(row)

    def flush(self) -> None:
        rows, self._rows = self._rows, {}
        for model, objs in rows.items():
            model._default_manager.bulk_create(objs, batch_size=1000)
