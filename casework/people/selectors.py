"""Reads of people that more than one face shares."""

from __future__ import annotations

from django.db.models import Q


def name_starts_with(term: str, *, path: str = "") -> Q:
    """People whose family or given name starts with each word typed (up to four), in any case.

    ``path`` leads from the queried model to the person (``"person__"`` from a case). It is
    written as ``UPPER(name) LIKE UPPER('word%')``, the expression the two name indexes hold
    on PostgreSQL (migration ``0019_person_name_prefix_indexes``), so a search reads the
    matching index entries, not every person; ``UPPER`` there folds Ø, Å and É too.
    """
    q = Q()
    for word in term.split()[:4]:
        q &= Q(**{f"{path}family_name__istartswith": word}) | Q(
            **{f"{path}given_name__istartswith": word}
        )
    return q
