"""Which records hold a person's data, and what anonymisation does to each of them.

Erasure (GDPR art. 17) and subject access (art. 15) must reach every record of a person in
every app, casework's and those built on it, without casework importing them. So each app
registers its models here (casework in ``casework.privacy.personal``, reception and
integration from their ``AppConfig.ready``)::

    register_personal_data(Placement, owners=("person",), blank=("transfer_reason",))

- ``owners``: the lookups from the model to the person (``"person"``, ``"programme__person"``,
  ``"sponsor"``, ``"applicant"``); a row belongs to every person any of them names.
- ``blank``: the fields anonymisation empties (free text, JSON, identifiers); what is not
  named stays, so statistics (kinds, states, dates, levels, outcomes) are the same after.
- ``delete``: the rows go instead (copies of names, documents, reminders to the person).
- ``anonymise``: a function ``(rows, now)`` that does it itself (a person's own row, scans).
- ``select``: a function ``(person_ids) -> Q`` for rows no foreign key ties to the person
  (the access log's ids, the API's stored answers).
- ``audit_subjects``: the audit events tagged with these rows (``changes["subject"]``) are
  blanked too: a record of two people (family reunification) may sit in the other's trail.

``tests/security/test_erasure.py`` fails when a model whose foreign keys lead to a person is
not registered, and scans every column of every table after an anonymisation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

Anonymiser = Callable[[QuerySet[Any], Any], None]
Selector = Callable[[Sequence[int]], Q]


@dataclass(frozen=True)
class PersonalData:
    """How one model holds personal data (see the module docstring)."""

    model: type[models.Model]
    owners: tuple[str, ...] = ()
    blank: tuple[str, ...] = ()
    delete: bool = False
    anonymise: Anonymiser | None = None
    select: Selector | None = None
    audit_subjects: bool = False
    export_exclude: tuple[str, ...] = ()
    section: str = field(default="")

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def rows(self, person_ids: Sequence[int]) -> QuerySet[Any]:
        """This model's rows of the people ``person_ids``."""
        where = Q(pk__in=[])
        for owner in self.owners:
            where |= Q(**{f"{owner}__in": list(person_ids)})
        if self.select is not None:
            where |= self.select(person_ids)
        return self.model._default_manager.filter(where)

    def blank_values(self) -> dict[str, Any]:
        """What each ``blank`` field becomes: null where allowed, else its empty value."""
        values: dict[str, Any] = {}
        for name in self.blank:
            f = self.model._meta.get_field(name)
            if getattr(f, "null", False):
                values[name] = None
            elif isinstance(f, models.JSONField):
                values[name] = f.get_default()
            else:
                values[name] = ""
        return values


_registry: dict[str, PersonalData] = {}


def register_personal_data(
    model: type[models.Model],
    *,
    owners: Sequence[str] = ("person",),
    blank: Sequence[str] = (),
    delete: bool = False,
    anonymise: Anonymiser | None = None,
    select: Selector | None = None,
    audit_subjects: bool = False,
    export_exclude: Sequence[str] = (),
    section: str = "",
) -> None:
    """Register ``model``'s personal data (see the module docstring). A second registration of
    the same model (a second ``ready()``) replaces the first."""
    for name in blank:
        model._meta.get_field(name)  # a typo fails at start-up, not at an erasure
    _registry[model._meta.label_lower] = PersonalData(
        model=model,
        owners=tuple(owners),
        blank=tuple(blank),
        delete=delete,
        anonymise=anonymise,
        select=select,
        audit_subjects=audit_subjects,
        export_exclude=tuple(export_exclude),
        section=section or model._meta.label_lower,
    )


def registered() -> Iterator[PersonalData]:
    """Every registration, in the order made (rows that point at others go first)."""
    return iter(list(_registry.values()))


def registration(model: type[models.Model]) -> PersonalData | None:
    return _registry.get(model._meta.label_lower)


__all__ = ["PersonalData", "register_personal_data", "registered", "registration"]
