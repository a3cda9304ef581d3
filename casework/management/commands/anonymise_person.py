"""``manage.py anonymise_person REGISTRATION_NUMBER --reason TEXT --by USERNAME``: erase now.

For a lawful erasure request (GDPR art. 17) handled at the console: the same service as the
admin's *erase personal data* action (``casework.privacy.retention.person_erase``), so the
same refusals (a case still open, a reason that names the person) and the same audit event,
in the name of the data protection officer's account given with ``--by``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from casework.people.models import Person
from casework.privacy.retention import person_erase


class Command(BaseCommand):
    help = "Anonymise one person now (a lawful erasure request); refused while a case is open."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("registration_number", help="the person's 12-digit number")
        parser.add_argument(
            "--reason",
            required=True,
            help="the legal basis and the request's reference (kept in the audit trail; "
            "never the person's names)",
        )
        parser.add_argument(
            "--by", required=True, help="username of the data protection officer (a superuser)"
        )

    def handle(self, *args: Any, registration_number: str, reason: str, by: str, **_: Any) -> None:
        number = registration_number.replace(" ", "")
        person = Person.objects.filter(registration_number=number).first()
        if person is None:
            raise CommandError("No person has this registration number.")
        actor = get_user_model().objects.filter(username=by, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {by!r}.")
        try:
            person = person_erase(actor=actor, person=person, reason=reason)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        self.stdout.write(f"Person {person.pk} anonymised (now {person.registration_number}).")
