"""Casework records: people, applications, interviews, decisions, appeals, deadlines, audit.

Personal data here is special-category data (GDPR art. 9): read it through ``selectors.py``,
which scopes it to the user, and change it only through ``services.py``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_fsm import FSMField, FSMModelMixin
from simple_history.models import HistoricalRecords

from .choices import (
    AppealOutcome,
    ApplicationKind,
    DatePrecision,
    DocumentKind,
    DuplicateStatus,
    Instance,
    Outcome,
    Relation,
    ReminderStatus,
    Sex,
    State,
    Track,
)
from .documents import scan_upload_to, validate_scan
from .identity import format_reference, new_reference
from .workflow import ApplicationWorkflow


class Unit(models.Model):
    """An office of the authority (e.g. a regional asylum unit); cases are routed to one."""

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=120)

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """What the authority knows of a staff user beyond Django's user: their unit, language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL)
    language = models.CharField(max_length=8, default="nb")

    def __str__(self) -> str:
        return f"{self.user} ({self.unit or '-'})"


class IndexedHistoricalRecords(HistoricalRecords):
    """``HistoricalRecords`` whose history model also gets the given ``indexes``.

    The history model's ``Meta`` is built by django-simple-history and takes no indexes of
    ours; a field's ``unique``/``db_index`` would carry over, but on PostgreSQL every indexed
    ``CharField`` then gets a second, ``varchar_pattern_ops`` "_like" index that serves only a
    case-sensitive ``LIKE 'x%'``, which nothing here runs, and costs every insert (the bulk
    import writes two history rows an arrival). A ``Meta`` index is one plain btree.
    """

    def __init__(self, *args: Any, indexes: tuple[models.Index, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.indexes = indexes

    def get_meta_options(self, model: Any) -> dict[str, Any]:
        meta = super().get_meta_options(model)
        meta["indexes"] = (*meta.get("indexes", ()), *self.indexes)
        return meta


class Person(models.Model):
    """An applicant or family member, with one registration number for all their applications.

    The registration number works like the DUF number: 12 digits, the first four the year of
    the person's first application, the last a check digit (Luhn) that catches typing errors.
    """

    # unique and indexed through Meta, not the field: see IndexedHistoricalRecords
    registration_number = models.CharField(max_length=12, editable=False)
    given_name = models.CharField(_("given name (Latin script)"), max_length=120)
    family_name = models.CharField(_("family name (Latin script)"), max_length=120)
    name_in_document = models.CharField(
        _("name as written in the identity document"), max_length=240, blank=True
    )
    name_key = models.CharField(max_length=64, editable=False, default="")
    date_of_birth = models.DateField()
    dob_precision = models.CharField(
        max_length=4, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    sex = models.CharField(max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    nationality = CountryField(blank=True, help_text=_("Empty for a stateless person."))
    stateless = models.BooleanField(default=False)
    other_nationalities = CountryField(multiple=True, blank=True)
    languages = models.CharField(
        max_length=120, blank=True, help_text=_("ISO 639-1 codes, comma separated, e.g. ar,en")
    )
    preferred_language = models.CharField(max_length=8, default="en")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    unaccompanied_minor = models.BooleanField(default=False)
    health_needs = models.TextField(blank=True)
    external_id = models.CharField(max_length=64, blank=True, null=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    is_demo = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = IndexedHistoricalRecords(
        excluded_fields=["name_key"],
        indexes=(
            models.Index(fields=["registration_number"], name="hist_person_regno_idx"),
            models.Index(fields=["external_id"], name="hist_person_external_id_idx"),
        ),
    )

    class Meta:
        verbose_name_plural = "people"
        # Unique and indexed here rather than on the fields: one btree each, no "_like" twin
        constraints = [
            models.UniqueConstraint(
                fields=["registration_number"], name="casework_person_registration_number_key"
            ),
            models.UniqueConstraint(fields=["external_id"], name="casework_person_external_id_key"),
        ]
        indexes = [
            models.Index(fields=["date_of_birth", "nationality"]),
            models.Index(fields=["family_name", "given_name"]),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.registration_number})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class IdentityDocument(models.Model):
    """A document establishing identity; ``verified`` once the police or UDI checked it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    number = models.CharField(max_length=64)
    issuing_country = CountryField(blank=True)
    verified = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    # A scan of the document: stored under MEDIA_ROOT (outside the web root), type- and
    # size-checked on upload, served only by ``casework.documents.scan_download``.
    scan = models.FileField(
        upload_to=scan_upload_to,
        blank=True,
        validators=[validate_scan],
        help_text=_("PDF, JPEG or PNG."),
    )

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number[-4:].rjust(len(self.number), '•')}"


class HouseholdLink(models.Model):
    """``person`` is the ``relation`` of ``relative`` (e.g. person is the child of relative)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="household_links")
    relative = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    relation = models.CharField(max_length=8, choices=Relation.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "relative", "relation"], name="unique_household_link"
            ),
            models.CheckConstraint(condition=~Q(person=models.F("relative")), name="no_self_link"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} is {self.relation} of {self.relative_id}"


class DuplicateFlag(models.Model):
    """Intake's warning that ``person`` may be the same human as ``candidate``."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="duplicate_flags")
    candidate = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    status = models.CharField(
        max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "candidate"], name="unique_duplicate_pair")
        ]

    def __str__(self) -> str:
        return f"possible duplicate {self.person_id} ~ {self.candidate_id} ({self.score:.2f})"


class Application(FSMModelMixin, ApplicationWorkflow, models.Model):
    """An asylum application and where it stands. The state changes only through transitions."""

    # unique and indexed through Meta, not the field: see IndexedHistoricalRecords
    reference = models.CharField(max_length=10, default=new_reference, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="applications")
    kind = models.CharField(max_length=16, choices=ApplicationKind.choices)
    track = models.CharField(max_length=8, choices=Track.choices, default=Track.NORMAL)
    state = FSMField(default=State.SUBMITTED, choices=State.choices, protected=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_applications",
    )
    lodged_on = models.DateField(default=timezone.localdate)
    interview_held_at = models.DateTimeField(null=True, blank=True, editable=False)
    interview_waived_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    appeal_deadline = models.DateTimeField(null=True, blank=True, editable=False)
    appealed_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_final = models.BooleanField(default=False, editable=False)
    next_deadline = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    external_id = models.CharField(max_length=64, blank=True, null=True)
    is_demo = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    history = IndexedHistoricalRecords(
        excluded_fields=["updated_at", "next_deadline", "version"],
        indexes=(
            models.Index(fields=["reference"], name="hist_app_reference_idx"),
            models.Index(fields=["external_id"], name="hist_app_external_id_idx"),
            models.Index(fields=["state"], name="hist_app_state_idx"),
        ),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reference"], name="casework_application_reference_key"
            ),
            models.UniqueConstraint(
                fields=["external_id"], name="casework_application_external_id_key"
            ),
        ]
        indexes = [
            models.Index(fields=["state"], name="application_state_idx"),
            models.Index(fields=["assigned_to", "state", "-lodged_on"]),
            models.Index(fields=["kind", "track", "state", "lodged_on"]),
            models.Index(fields=["-lodged_on", "-id"]),
        ]

    def __str__(self) -> str:
        return format_reference(self.reference)

    @property
    def display_reference(self) -> str:
        return format_reference(self.reference)


class Interview(models.Model):
    """The asylum interview (asylintervju): scheduled, then held, with interpreter and lawyer."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="interviews"
    )
    scheduled_at = models.DateTimeField()
    location = models.CharField(max_length=200)
    language = models.CharField(max_length=8, help_text=_("Language of the interview (ISO 639-1)"))
    interpreter = models.BooleanField(default=True)
    lawyer_present = models.BooleanField(default=False)
    held_at = models.DateTimeField(null=True, blank=True)
    cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["scheduled_at"]

    def __str__(self) -> str:
        return f"interview {timezone.localtime(self.scheduled_at):%d.%m.%Y %H:%M}"


class Decision(models.Model):
    """A decision on an application, at first instance or on appeal."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="decisions")
    instance = models.CharField(max_length=8, choices=Instance.choices)
    outcome = models.CharField(max_length=24, choices=Outcome.choices, db_index=True)
    grounds = models.TextField()
    manifestly_unfounded = models.BooleanField(default=False)
    permit_type = models.CharField(max_length=60, blank=True)
    permit_months = models.PositiveSmallIntegerField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    decided_at = models.DateTimeField(default=timezone.now, db_index=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["decided_at"]
        indexes = [models.Index(fields=["instance", "decided_at", "outcome"])]

    def __str__(self) -> str:
        return f"{self.get_instance_display()}: {self.get_outcome_display()}"


class Appeal(models.Model):
    """An appeal against a rejection, to the appeals body (Utlendingsnemnda, UNE)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="appeals")
    lodged_at = models.DateTimeField()
    lodged_by = models.CharField(max_length=120, help_text=_("the applicant, or their lawyer"))
    late_reason = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, choices=AppealOutcome.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["lodged_at"]

    def __str__(self) -> str:
        return f"appeal lodged {timezone.localtime(self.lodged_at):%d.%m.%Y}"


class AuditEvent(models.Model):
    """One row per change of a case: who, when, what, from which state to which, and why.

    Append-only: it is never updated or deleted, in code or in the admin.
    """

    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=48)
    source_state = models.CharField(max_length=16, blank=True)
    target_state = models.CharField(max_length=16, blank=True)
    reason = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["application", "at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.source_state}->{self.target_state}".strip()

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are append-only.")


class Deadline(models.Model):
    """A date by which something must happen, declared by a deadline source (``deadlines.py``).

    Sources in any app create and close these rows through ``deadline_set``/``deadline_close``;
    the sweep turns the ones that fall due into reminder rows with one set-based query.
    """

    source = models.CharField(max_length=48)
    object_id = models.PositiveBigIntegerField()
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="deadlines"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="deadlines"
    )
    due_at = models.DateTimeField()
    remind_from = models.DateTimeField(help_text=_("When the first reminder goes out."))
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    notify_person = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    cycle = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text=_("Bumped whenever the due time moves or a recurring deadline comes round."),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "object_id"], name="one_deadline_per_source")
        ]
        indexes = [
            # The sweep: one range scan per (source, reminder kind) over open deadlines.
            models.Index(
                fields=["source", "due_at"],
                name="open_deadline_by_source",
                condition=Q(closed_at=None),
            ),
            models.Index(fields=["application", "due_at"]),
            models.Index(
                fields=["recipient_user", "remind_from"],
                name="open_deadline_by_recipient",
                condition=Q(closed_at=None),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} due {timezone.localtime(self.due_at):%d.%m.%Y}"


class Reminder(models.Model):
    """One reminder of one deadline to one recipient on one channel: delivered exactly once.

    The row is the outbox: the sweep creates it (``INSERT … SELECT … ON CONFLICT DO NOTHING``,
    so a repeated or concurrent sweep creates nothing twice), a task delivers it after claiming
    it (``pending`` → ``sending`` by a conditional UPDATE, so a redelivered or duplicated task
    finds nothing to do), and a lost message or a dead worker is found again by the next sweep.
    ``cycle`` is the deadline's occurrence (a moved or recurring deadline reminds again);
    ``resend`` counts deliberate resends from the admin, so they too fit the unique key.
    """

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="reminders")
    recipient = models.CharField(max_length=64, help_text=_("user:<id> or person:<id>"))
    kind = models.CharField(max_length=24, default="soon")
    channel = models.CharField(max_length=16, help_text=_("a channel registered in channels.py"))
    cycle = models.PositiveIntegerField(default=0)
    resend = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=12, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    failure = models.TextField(blank=True)
    resend_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["deadline", "recipient", "kind", "channel", "cycle", "resend"],
                name="remind_once",
            )
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["status", "queued_at"], name="reminder_outbox"),
        ]

    def __str__(self) -> str:
        return f"reminder {self.kind} via {self.channel} ({self.status})"


class IdempotencyKey(models.Model):
    """The first response to a POST sent with an ``Idempotency-Key`` header, for replay.

    A client that retries a POST (a timeout, a dropped connection) sends the same key and gets
    the first response instead of a second registration or decision (IETF draft
    "The Idempotency-Key HTTP Header Field"). The unique constraint on (user, key) makes two
    concurrent retries act once: the second waits on the first's row and then replays it.
    ``status_code`` is null while the first request is still being handled.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_response_per_key")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.status_code or 'in progress'})"


class StatusLookup(models.Model):
    """One try at the public status page, for abuse monitoring (found or not, or refused).

    Stores nothing that identifies the visitor or reveals the case to someone reading the
    table: the client address is truncated to its network (/24, /48), the reference tried and
    the birth date tried are keyed hashes (HMAC with the secret key), so staff can count tries
    per reference or spot one reference tried with many birth dates, but cannot read either
    back. The birth date is never stored in clear (GDPR art. 5(1)(c), data minimisation).
    """

    class Outcome(models.TextChoices):
        FOUND = "found", _("found")
        NOT_FOUND = "not_found", _("not found")
        INVALID = "invalid", _("invalid input")
        LIMITED = "limited", _("rate-limited")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    client_network = models.CharField(max_length=64, db_index=True)
    reference_hash = models.CharField(max_length=64, blank=True, db_index=True)
    birth_date_hmac = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    language = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["reference_hash", "at"], name="statuslookup_ref_at")]

    def __str__(self) -> str:
        return f"status lookup {self.outcome} from {self.client_network}"


class AccessLog(models.Model):
    """One row each time staff open, list, search, export or download personal data.

    Who, when, what (model and ids: one id for a page, a compact list for a list) and why
    (an optional purpose). GDPR art. 5(2) and 32: the authority must be able to show who has
    read an applicant's file. Append-only for everyone: ``save`` of an existing row raises,
    the admin offers no change or delete, and on PostgreSQL a trigger refuses UPDATE and
    DELETE on the table (migration ``0003_accesslog``). Written by ``casework.access``.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("opened")
        LIST = "list", _("listed")
        SEARCH = "search", _("searched")
        EXPORT = "export", _("exported")
        DOWNLOAD = "download", _("downloaded a document")

    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=8, choices=Action.choices)
    model = models.CharField(max_length=64, help_text=_("app_label.model"))
    object_id = models.BigIntegerField(null=True, blank=True)
    object_ids = models.JSONField(default=list, blank=True)
    count = models.PositiveIntegerField(default=0)
    query = models.CharField(
        max_length=200, blank=True, help_text=_("The shape of a search, never its words.")
    )
    purpose = models.CharField(max_length=300, blank=True)
    via = models.CharField(max_length=8, default="admin")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.model}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise RuntimeError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("The access log is append-only.")


class ImportJob(models.Model):
    """A bulk import of arrivals from a CSV file, run in the background, its progress kept here.

    The uploaded file holds personal data: it is stored under MEDIA_ROOT (private) and deleted
    when the import finishes. Errors name the line, the field and the reason, never the value.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to start")
        RUNNING = "running", _("running")
        DONE = "done", _("finished")
        FAILED = "failed", _("failed")

    file = models.FileField(upload_to="imports/", blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(
        default=0, help_text=_("Rows already imported (same external id).")
    )
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import #{self.pk} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class Statistics(models.Model):
    """No table: it holds the permission to see the statistics page in the admin."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = _("statistics")
        verbose_name_plural = _("statistics")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
