"""Enumerations of the interpreter register and its bookings."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Qualification(models.TextChoices):
    """The categories of the National Register of Interpreters (Nasjonalt tolkeregister, kept
    by IMDi), per language: A highest, E lowest. The Interpreting Act (tolkeloven, 2022)
    obliges public bodies to use a qualified interpreter; the register's category says how
    qualified. The letters' exact definitions are as the register publishes them [S]."""

    A = "A", _("A: state authorisation and interpreting education")
    B = "B", _("B: state authorisation")
    C = "C", _("C: interpreting education")
    D = "D", _("D: bilingual test and introductory course")
    E = "E", _("E: bilingual test only")


class InterpreterGender(models.TextChoices):
    """An interpreter's gender, as the applicant's preference is asked (UNHCR procedural
    standards: the right to ask for an interviewer and interpreter of the same gender)."""

    FEMALE = "female", _("woman")
    MALE = "male", _("man")


class BookingState(models.TextChoices):
    """Where a booking of an interpreter stands (``workflow.py``)."""

    REQUESTED = "requested", _("requested")
    CONFIRMED = "confirmed", _("confirmed")
    CANCELLED = "cancelled", _("cancelled")
    NO_SHOW = "no_show", _("interpreter did not come")


# A booking in these states holds the interpreter's time: two of them never overlap.
HOLDING_STATES = (BookingState.REQUESTED, BookingState.CONFIRMED)


class SessionKind(models.TextChoices):
    """What an interpreter is booked for."""

    INTERVIEW = "interview", _("asylum interview")
    HEARING = "hearing", _("appeal board hearing")
