"""What a resettled refugee reads on the status page at each stage of their case, in each of
the nine languages: arrived (the case opened on arrival), arrived and being decided, and
decided. Before the arrival there is no case to look up: referred and selected are the
referral's stages, shown to staff only.

The old wording ("waiting to be examined") told a refugee who had already been selected and
brought to Norway that nobody had looked at their case; it must not come back.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone, translation

from casework.applications.choices import ApplicationKind, State
from casework.models import Application
from casework.resettlement import services
from casework.status.page import STATE_TEXT
from tests.status.conftest import _generous_limits, lookup, text_of  # noqa: F401

from .conftest import referral

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]
BORN = dt.date(1990, 3, 4)  # the referral's birth date (``conftest.referral``)
OLD = "We have received your resettlement case from UNHCR. It is waiting to be examined."
# stage -> (state of the case, the words the refugee must read in English)
STAGES = {
    "arrived": (State.SUBMITTED, "You have arrived in Norway as a resettlement refugee."),
    "being decided": (State.EXAMINED, "We are now deciding on your residence permit."),
    "decided": (
        State.ACCEPTED,
        "You have been granted a residence permit in Norway as a resettlement refugee.",
    ),
}


@pytest.fixture
def arrived_case(quota, caseworker, decider, registrar, year):
    r = referral(caseworker)
    services.referral_transition(actor=decider, referral=r, name="select", quota_year=year)
    done = services.referral_transition(
        actor=registrar,
        referral=r,
        name="record_arrival",
        arrived_on=timezone.localdate() - dt.timedelta(days=3),
    )
    return Application.objects.get(resettlement_referral=done)


def test_each_stage_has_its_own_words_and_none_says_waiting_to_be_examined():
    texts = {str(STATE_TEXT[(state, ApplicationKind.RESETTLEMENT)]) for state, _ in STAGES.values()}
    assert len(texts) == len(STAGES)
    for state, words in STAGES.values():
        text = str(STATE_TEXT[(state, ApplicationKind.RESETTLEMENT)])
        assert words in text and "waiting to be examined" not in text


@pytest.mark.parametrize("stage", list(STAGES))
def test_a_resettled_refugee_reads_their_stage_in_every_language(client, arrived_case, stage):
    state, words = STAGES[stage]
    Application.objects.filter(pk=arrived_case.pk).update(state=state)
    for language in LANGUAGES:
        response = lookup(client, reference=arrived_case.reference, born=BORN, language=language)
        assert response.status_code == 200, language
        page = text_of(response)
        with translation.override(language):
            shown = str(STATE_TEXT[(state, ApplicationKind.RESETTLEMENT)])
            old = translation.gettext(OLD)
        assert shown in page, (language, stage)
        assert old not in page, (language, stage)
        if language == "en":
            assert words in page
        else:  # a real translation, not the English sentence
            assert words not in page, (language, stage)
