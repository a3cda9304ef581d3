"""Create the demo users (one per role), a few demo cases, and the bulk demo dataset.

Idempotent: users are matched by name, the few hand-made cases are created only when none
exist yet, and the bulk dataset (``casework.intake.demo``: Norway's 2022 and 2023 asylum
figures, with reception's and integration's rows from their ``demo`` modules; PostgreSQL
``COPY`` in one transaction, ``bulk_create`` on SQLite) skips every chunk already written.
Demo records carry ``is_demo`` and are labelled as such in the admin.

    python manage.py seed_demo                     # users, cases, the figures (about 39,000)
    python manage.py seed_demo --scale 30          # 1.17 million applications (benchmarks)
    python manage.py seed_demo --only protection2022   # just the 2022 asylum figures
"""

from __future__ import annotations

import datetime as dt
import random
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import models as auth_models
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from casework.applications.choices import ApplicationKind, NotificationChannel, Track
from casework.applications.models import Application
from casework.applications.services import (
    application_appeal,
    application_assign,
    application_decide,
    application_lodge,
    application_start_examination,
    application_transition,
    decision_notification_record,
    interview_record_held,
    interview_schedule,
)
from casework.casefile.services import note_add
from casework.core.partitions import PARTITIONED_LOGS, ensure_partitions, is_partitioned
from casework.dublin import demo as dublin_demo
from casework.intake import demo as demo_data
from casework.intake import demo_cases
from casework.interpreters import demo as interpreters_demo
from casework.lawyers.models import Appointment, DutyList, Lawyer, Representative
from casework.lawyers.rules import appointment_refusal
from casework.lawyers.services import (
    appointment_make,
    duty_list_join,
    lawyer_register,
    representative_appoint,
)
from casework.people.models import Person
from casework.people.services import person_register, person_update
from casework.permits import demo as permits_demo
from casework.resettlement import demo as resettlement_demo
from casework.returns import demo as returns_demo
from casework.staff.choices import Role
from casework.staff.models import StaffProfile, Unit
from casework.staff.roles import sync_role_permissions
from casework.vulnerability import demo as vulnerability_demo

PARTS = ("protection2022", "collective2023", "recent", "open")

DEMO_USERS = [
    ("admin", None, "Ada", "Admin"),
    ("caseworker", Role.CASEWORKER, "Kari", "Nordmann"),
    ("decider", Role.DECISION_MAKER, "Ola", "Hansen"),
    ("appeals", Role.APPEALS, "Ingrid", "Berg"),
    ("registrar", Role.REGISTRAR, "Per", "Olsen"),
    ("reception", Role.RECEPTION, "Nina", "Johansen"),
    ("integration", Role.INTEGRATION, "Lars", "Larsen"),
    ("auditor", Role.AUDITOR, "Eva", "Pedersen"),
    ("interpreter-coordinator", Role.INTERPRETER_COORDINATOR, "Siri", "Moe"),
    # The lawyer of several demo applicants (``_lawyers``): sees only their cases.
    ("lawyer", Role.LAWYER, "Marte", "Kirkerud"),
]

# The demo register: (name, firm, bar number, region, duty lists as (kind, region)).
DEMO_LAWYERS = [
    (
        "Marte Kirkerud",
        "Advokatfirmaet Kirkerud",
        "DEMO-1001",
        "east",
        [("48h", "east"), ("unfounded", "east")],
    ),
    ("Jonas Aamodt", "Aamodt & Co", "DEMO-1002", "east", [("48h", "east"), ("regional", "east")]),
    ("Sara Haugland", "Advokathuset Vest", "DEMO-1003", "west", [("regional", "west")]),
    (
        "Ali Rahmani",
        "Rahmani Advokat",
        "DEMO-1004",
        "east",
        [("unfounded", "east"), ("regional", "east")],
    ),
    ("Ingvild Moe", "Advokatfirmaet Nord", "DEMO-1005", "north", [("regional", "north")]),
    ("Tor Eriksen", "Eriksen Advokat (retired)", "DEMO-1006", "east", []),
]

# What the hand-made demo people need of an interpreter: language, dialect, gender asked for.
DEMO_NEEDS = {
    "Rahimi": ("prs", "Herati", "female"),
    "Tesfaye": ("tir", "Eritrean (Asmara)", ""),
    "Warsame": ("som", "Maxaa tiri (Northern)", "female"),
    "Ahmadzai": ("pus", "Yusufzai", ""),
    "Al-Hassan": ("ara", "Levantine (Syrian)", ""),
    "Haddad": ("ara", "Levantine (Syrian)", "female"),
    "Sokolov": ("rus", "", ""),
    "Kovalenko": ("ukr", "", ""),
}

DEMO_PEOPLE = [
    ("Mohammed", "Al-Hassan", "1991-04-12", "SY", "male", "ar"),
    ("Amina", "Rahimi", "1998-09-30", "AF", "female", "fa"),
    ("Dmitry", "Sokolov", "1985-01-17", "RU", "male", "ru"),
    ("Olena", "Kovalenko", "1979-06-05", "UA", "female", "uk"),
    ("Yonas", "Tesfaye", "2010-02-20", "ER", "male", "ti"),  # an unaccompanied minor
    ("Hodan", "Warsame", "1995-11-02", "SO", "female", "so"),
    ("Gul", "Ahmadzai", "1990-07-23", "AF", "male", "ps"),
    ("Nour", "Haddad", "2001-03-14", "SY", "female", "ar"),
]

# After the first decision: an appeal the Directorate reviews, a case on hold, and a final
# rejection with a request to reverse it (``Command._after_decision``).
AFTER_DECISION_PEOPLE = [
    ("Abdi", "Farah", "1993-05-08", "SO", "male", "so"),
    ("Reza", "Karimi", "1987-12-01", "IR", "male", "fa"),
    ("Aziz", "Noori", "1996-02-15", "AF", "male", "ps"),
]


class Command(BaseCommand):
    help = "Create demo users (one per role) and demo cases; safe to run again."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiply the bulk dataset (30: about a million applications).",
        )
        parser.add_argument(
            "--only",
            action="append",
            choices=PARTS,
            help="Write only these parts of the bulk dataset (repeatable).",
        )
        parser.add_argument(
            "--no-bulk", action="store_true", help="Only the users and the few demo cases."
        )

    def handle(self, *args, **options) -> None:
        sync_role_permissions()
        with transaction.atomic():
            unit, _ = Unit.objects.get_or_create(code="oslo", defaults={"name": "Asylum unit Oslo"})
            users = self._users(unit)
            interpreters = interpreters_demo.interpreters_seed(
                actor=users["interpreter-coordinator"]
            )
            created = self._cases(users, unit, random.Random(options["seed"]))
            self._lawyers(users)
            dublin_demo.dublin_seed(users=users)
            referred = resettlement_demo.resettlement_seed(
                decider=users["decider"],
                caseworker=users["caseworker"],
                registrar=users["registrar"],
                seed=options["seed"],
            )
            needs = vulnerability_demo.vulnerability_seed(actor=users["caseworker"])
        self.stdout.write(
            self.style.SUCCESS(
                f"demo users ready ({len(users)}); demo cases created: {created}; "
                f"UNHCR referrals: {referred}; special needs recorded: {needs}"
            )
        )
        if options["no_bulk"]:
            self._bookings(users, interpreters)
            self._permits(users)
            self._partition_logs()
            self._analyse()
            return
        if options["scale"] <= 0:
            raise CommandError("--scale must be positive.")
        self._bulk(users, unit, options["scale"], options["seed"], options["only"] or PARTS)
        self._bookings(users, interpreters)
        self._permits(users)
        self._partition_logs()
        self._analyse()

    @staticmethod
    def _analyse() -> None:
        """Planner statistics for everything the demo wrote. SQLite (``make run``'s default)
        keeps none until ``ANALYZE``: without them it probed a caseworker's scope through the
        unit's index instead of the person's, and the deadline list filtered to permit
        expiries took five minutes on the demo data instead of a fifth of a second.
        PostgreSQL's autovacuum would catch up later; the demo is used at once."""
        with connection.cursor() as cur:
            cur.execute("ANALYZE")

    def _partition_logs(self) -> None:
        """The audit rows written after the bulk load (bookings, returns, permits: dated in
        the demo's past) into their months' partitions, not the default one, as the load's
        own rows are (casework.core.partitions)."""
        if connection.vendor != "postgresql":
            return
        with transaction.atomic(), connection.cursor() as cur:
            for table, key in PARTITIONED_LOGS:
                if is_partitioned(cur, table):
                    ensure_partitions(cur, table, key)

    def _permits(self, users: dict) -> None:
        """Each decided demo case's residence permit, and the Ukrainians' yearly renewals."""
        made = permits_demo.permits_seed(decider=users["decider"])
        self.stdout.write(
            f"residence permits recorded: {made['permits']}; renewed by the demo group "
            f"renewals: {made['renewed']}"
        )

    def _bookings(self, users: dict, interpreters: int) -> None:
        """Interpreters booked for the demo interviews to come (after the bulk load, whose
        open cases hold most of them), and the demo returns of rejected cases."""
        booked = interpreters_demo.bookings_seed(actor=users["interpreter-coordinator"])
        self.stdout.write(
            f"interpreters added to the register: {interpreters}; interviews booked: {booked}"
        )
        returns = returns_demo.returns_seed(users=users)
        self.stdout.write(f"returns recorded: {returns}")

    def _bulk(self, users: dict, unit: Unit, scale: float, seed: int, parts) -> None:
        today = timezone.localdate()
        total = sum(demo_cases.part_sizes(scale)[p] for p in parts)
        # The command's own stream (``_out``: django-stubs types it through ``__getattr__``).
        progress = _Progress(self.stderr._out, total)
        ctx = demo_data.Context(
            registrar=users["registrar"],
            caseworker=users["caseworker"],
            decider=users["decider"],
            appeals=users["appeals"],
            unit=unit,
            today=today,
            on_chunk=progress.update,
        )
        generators = {
            "protection2022": lambda: demo_cases.protection_2022(scale, seed),
            "collective2023": lambda: demo_cases.collective_2023(scale, seed),
            "recent": lambda: demo_cases.recent_cases(scale, seed, today),
            "open": lambda: demo_cases.open_cases(scale, seed, today),
        }
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("demo")  # reception.demo, integration.demo add their rows
        started = time.monotonic()
        demo_data.SECONDS.clear()
        for hook in demo_data.START_HOOKS:
            hook(ctx, scale=scale, seed=seed)
        ids = demo_data.Ids()
        written = 0
        with demo_data.bulk_load():
            for part in PARTS:  # in time order: the hooks' state (beds taken) runs forward
                if part in parts:
                    written += demo_data.write(part, generators[part](), ctx, seed=seed, ids=ids)
            progress.close()  # on PostgreSQL the indexes are then made again
        # After the load: on PostgreSQL its rows are only all there once bulk_load has ended.
        extra = sum(hook(ctx) for hook in demo_data.FINISH_HOOKS)
        counts = demo_data.row_counts()
        self.stdout.write(
            self.style.SUCCESS(
                f"bulk demo data: {written} applications written "
                f"in {time.monotonic() - started:.1f} s (scale {scale:g}); "
                f"{extra} summary rows; of the time: "
                + ", ".join(f"{k} {v:.1f} s" for k, v in demo_data.SECONDS.items())
                + "; in the database: "
                + ", ".join(f"{n:,} {label}" for label, n in counts.items())
            )
        )

    def _users(self, unit: Unit) -> dict[str, auth_models.User]:
        User = get_user_model()
        users = {}
        for username, role, first, last in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@casework.invalid",
                    "is_staff": True,
                    "is_superuser": role is None,
                },
            )
            if created:
                user.set_password(settings.DEMO_PASSWORD)
                user.save()
            if role is not None:
                user.groups.add(Group.objects.get(name=role.value))
            # A lawyer works for their clients, not in one of the authority's units.
            StaffProfile.objects.get_or_create(
                user=user, defaults={"unit": None if role == Role.LAWYER else unit}
            )
            users[username] = user
        return users

    def _cases(self, users: dict, unit: Unit, rng: random.Random) -> int:
        if Application.objects.filter(is_demo=True).exists():
            return 0
        registrar, caseworker, decider = users["registrar"], users["caseworker"], users["decider"]
        today = timezone.localdate()
        created = 0
        for i, (given, family, dob, nat, sex, lang) in enumerate(DEMO_PEOPLE):
            needs = DEMO_NEEDS.get(family, ("", "", ""))
            person = person_register(
                actor=registrar,
                given_name=given,
                family_name=family,
                date_of_birth=dt.date.fromisoformat(dob),
                sex=sex,
                nationality=nat,
                preferred_language=lang,
                languages=demo_cases.spoken(nat, lang),
                email=f"applicant{i}@example.invalid",
                interpreter_language=needs[0],
                interpreter_dialect=needs[1],
                interpreter_gender=needs[2],
            )
            Person.objects.filter(pk=person.pk).update(is_demo=True)
            kind = ApplicationKind.COLLECTIVE if nat == "UA" else ApplicationKind.PROTECTION
            track = Track.DUBLIN if i == 6 else Track.NORMAL
            app = application_lodge(
                actor=registrar,
                person=person,
                kind=kind,
                track=track,
                unit=unit,
                lodged_on=today - dt.timedelta(days=rng.randint(10, 150)),
            )
            Application.objects.filter(pk=app.pk).update(is_demo=True)
            created += 1
            if i % 4 == 0:
                continue
            app = application_assign(actor=caseworker, application=app, assignee=caseworker)
            app = application_start_examination(actor=caseworker, application=app)
            if i in (1, 5):
                interview = interview_schedule(
                    actor=caseworker,
                    application=app,
                    scheduled_at=timezone.now() + dt.timedelta(days=rng.randint(2, 20)),
                    location="UDI, Hausmanns gate 21, Oslo",
                    language=demo_cases.spoken(nat, person.preferred_language),
                )
                continue
            if kind == ApplicationKind.COLLECTIVE:
                application_decide(
                    actor=decider,
                    application=app,
                    outcome="collective",
                    grounds="Ukrainian citizen resident in Ukraine before 24.02.2022.",
                    permit_group=permits_demo.GROUP,
                )
                continue
            interview = interview_schedule(
                actor=caseworker,
                application=app,
                scheduled_at=timezone.now() - dt.timedelta(days=20),
                location="UDI, Oslo",
                language=demo_cases.spoken(nat, person.preferred_language),
            )
            interview_record_held(actor=caseworker, interview=interview)
            if i in (2, 7):
                app = application_decide(
                    actor=decider,
                    application=app,
                    outcome="rejected",
                    grounds="Demo: the claim is not credible on the essential points.",
                )
            else:
                app = application_decide(
                    actor=decider,
                    application=app,
                    outcome="refugee_convention",
                    grounds="Demo: well-founded fear of persecution (Immigration Act § 28 a).",
                )
            if i != 7:  # the last rejection is still being delivered: its deadline not yet set
                decision_notification_record(
                    app,
                    actor=caseworker,
                    notified_at=timezone.now(),
                    channel=NotificationChannel.LAWYER,
                    confirmed_by="Demo: the applicant's lawyer, by telephone",
                )
        return created + self._after_decision(users, unit, rng)

    def _after_decision(self, users: dict, unit: Unit, rng: random.Random) -> int:
        """Three cases past the first decision, each made through the services as staff make
        them: an appeal under the Directorate's review; a case on hold with its review date;
        a rejection made final by the appeals board, with a request to reverse it pending
        (which leaves its departure deadline as it was)."""
        registrar, caseworker = users["registrar"], users["caseworker"]
        decider, appeals = users["decider"], users["appeals"]
        today = timezone.localdate()
        apps = []
        for given, family, dob, nat, sex, lang in AFTER_DECISION_PEOPLE:
            person = person_register(
                actor=registrar,
                given_name=given,
                family_name=family,
                date_of_birth=dt.date.fromisoformat(dob),
                sex=sex,
                nationality=nat,
                preferred_language=lang,
                languages=demo_cases.spoken(nat, lang),
            )
            Person.objects.filter(pk=person.pk).update(is_demo=True)
            app = application_lodge(
                actor=registrar,
                person=person,
                kind=ApplicationKind.PROTECTION,
                unit=unit,
                lodged_on=today - dt.timedelta(days=rng.randint(200, 300)),
            )
            Application.objects.filter(pk=app.pk).update(is_demo=True)
            app = application_assign(actor=caseworker, application=app, assignee=caseworker)
            app = application_start_examination(actor=caseworker, application=app)
            interview = interview_schedule(
                actor=caseworker,
                application=app,
                scheduled_at=timezone.now() - dt.timedelta(days=40),
                location="UDI, Oslo",
                language=demo_cases.spoken(nat, lang),
            )
            interview_record_held(actor=caseworker, interview=interview)
            apps.append(app)
        review, hold, reversal = apps
        hold = application_transition(
            actor=caseworker,
            application=hold,
            name="put_on_hold",
            reason="Demo: the security situation in the home region is being reassessed.",
            review_on=today + dt.timedelta(days=60),
        )
        for app in (review, reversal):
            app = application_decide(
                actor=decider,
                application=app,
                outcome="rejected",
                grounds="Demo: the claim is not credible on the essential points.",
            )
            app = decision_notification_record(
                app,
                actor=caseworker,
                notified_at=timezone.now(),
                channel=NotificationChannel.POLICE,
                confirmed_by="Demo: Oslo police, immigration section",
            )
            app = application_appeal(
                actor=caseworker, application=app, lodged_by="Demo: the applicant"
            )
            if app.pk == reversal.pk:
                app = application_transition(
                    actor=decider,
                    application=app,
                    name="forward_appeal",
                    assessment="Demo: the appeal repeats the account; the decision stands.",
                )
                app = application_transition(
                    actor=appeals,
                    application=app,
                    name="dismiss_appeal",
                    grounds="Demo: the board upholds the rejection.",
                )
                application_transition(
                    actor=caseworker,
                    application=app,
                    name="lodge_reversal_request",
                    new_information="Demo: a new medical report on injuries from detention.",
                    lodged_by="Demo: the applicant",
                )
        return len(apps)

    def _lawyers(self, users: dict) -> None:
        """The register, the duty lists, and the demo lawyer's clients: the two rejected demo
        cases (a free lawyer after rejection) and the unaccompanied minor (before the
        decision), who also has a representative. Safe to run again."""
        admin, caseworker = users["admin"], users["caseworker"]
        register = {}
        for name, firm, bar, region, lists in DEMO_LAWYERS:
            lawyer = Lawyer.objects.filter(bar_number=bar).first() or lawyer_register(
                actor=admin,
                name=name,
                firm=firm,
                bar_number=bar,
                region=region,
                email=f"{bar.lower()}@advokat.invalid",
                active=not firm.endswith("(retired)"),
                user=users["lawyer"] if bar == "DEMO-1001" else None,
            )
            register[bar] = lawyer
            for kind, list_region in lists:
                duty, _new = DutyList.objects.get_or_create(kind=kind, region=list_region)
                if not duty.members.filter(lawyer=lawyer).exists():
                    duty_list_join(actor=admin, duty_list=duty, lawyer=lawyer)
        ours = register["DEMO-1001"]
        demo = Application.objects.filter(is_demo=True, person__is_demo=True).select_related(
            "person"
        )
        minor = demo.filter(person__given_name="Yonas", person__family_name="Tesfaye").first()
        if minor is not None and not minor.person.unaccompanied_minor:
            person_update(actor=admin, person=minor.person, unaccompanied_minor=True)
            minor.refresh_from_db()
        # The first two rejected demo cases a lawyer may be appointed on (the bulk demo data
        # holds closed rejections too, on which no lawyer is appointed).
        clients: list[tuple[Application, str]] = []
        for app in demo.filter(state="rejected").order_by("pk").iterator():
            if len(clients) == 2:
                break
            if (
                Appointment.objects.filter(application=app).exists()
                or appointment_refusal(application=app, reason="rejection", basis="") is None
            ):
                clients.append((app, "rejection"))
        if minor is not None:
            clients.append((minor, "minor"))
            if not Representative.objects.filter(person=minor.person).exists():
                representative_appoint(
                    actor=caseworker,
                    person=minor.person,
                    name="Solveig Dahl",
                    appointed_by="Statsforvalteren i Oslo og Viken",
                    email="verge.dahl@example.invalid",
                    phone="+4790012345",
                )
        for app, reason in clients:
            if not Appointment.objects.filter(application=app).exists():
                appointment_make(actor=caseworker, application=app, reason=reason, lawyer=ours)
        # On the first client's case, a note shared with the lawyer and one kept internal:
        # the lawyer reads the first only.
        if clients and not clients[0][0].notes.exists():
            first = clients[0][0]
            note_add(
                actor=caseworker,
                application=first,
                text="The medical report the applicant mentioned has not reached us: please "
                "send it with the appeal.",
                visibility="lawyer",
            )
            note_add(
                actor=caseworker,
                application=first,
                text="Internal: check the travel route against the country information.",
                visibility="internal",
            )


class _Progress:
    """The bulk load's progress on the command's error stream: a tqdm bar on a terminal; where
    the output is a file or a pipe (a log, CI), a plain line at each tenth, so that nobody
    watches a minute of silence either way."""

    def __init__(self, out, total: int) -> None:
        self.out = out
        self.total, self.done, self.shown = total, 0, 0
        self.started = time.monotonic()
        self.bar = None
        if getattr(self.out, "isatty", lambda: False)():
            self.bar = tqdm(total=total, unit=" cases", desc="demo data", file=self.out)
        else:
            self.out.write(f"demo data: writing {total:,} cases\n")
            self.out.flush()

    def update(self, part: str, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.set_description(f"demo data ({part})", refresh=False)
            self.bar.update(n)
            return
        tenth = self.done * 10 // max(self.total, 1)
        if tenth > self.shown:
            self.shown = tenth
            self.out.write(
                f"demo data: {self.done:,} of {self.total:,} cases "
                f"({self.done * 100 // max(self.total, 1)} %, "
                f"{time.monotonic() - self.started:.0f} s)\n"
            )
            self.out.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
