"""Demo resettlement (``seed_demo``): the quotas of recent years and UNHCR referrals in every
state, so the quota table and the referral lists have figures.

Idempotent: nothing is made when demo referrals exist. Every record goes through the services
(the quota's lock, the transitions, the cases opened on arrival), so the demo keeps the rules.
The figures: 3,000 a year from 2019 to 2023 is the article's [S]; 2024's 1,247 (1,000 plus
247 carried over from 2023) and 2025's 500 are verified [V]; this year's is the demo's own
guess and says so [U].
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from casework.applications.models import Application
from casework.people.models import Person
from casework.resettlement.choices import Priority, SelectionMethod
from casework.resettlement.models import ResettlementQuota, ResettlementReferral
from casework.resettlement.services import quota_set, referral_register, referral_transition
from casework.staff.users import AnyUser

QUOTAS = [
    (2023, 3000, "the 2024 news article: 3,000 a year (held 2019–2023) [S]", False),
    (2024, 1247, "Vårt Land: 1,000 plus 247 carried over from 2023 [V]", True),
    (2025, 500, "EUAA, resettlement and humanitarian admission, Norway [V]", True),
]
THIS_YEAR_SOURCE = "demo figure, not verified: the 2025 quota carried forward [U]"

# Refugees referred from the regions UNHCR refers most from: (nationality, given, family).
REFUGEES = [
    ("SY", "Huda", "Al-Hassan"), ("SY", "Khaled", "Haddad"), ("SY", "Rania", "Darwish"),
    ("CD", "Esther", "Mukendi"), ("CD", "Jean", "Kabongo"), ("AF", "Parisa", "Rahimi"),
    ("AF", "Jawad", "Sultani"), ("SD", "Amna", "Osman"), ("ER", "Senait", "Tekle"),
    ("SO", "Hodan", "Warsame"), ("SS", "Deng", "Garang"), ("MM", "Nur", "Begum"),
]  # fmt: skip
# Per year: (referred and waiting, selected not yet arrived, arrived, not selected, withdrawn).
PLAN = {2024: (0, 0, 14, 2, 1), 2025: (0, 3, 10, 2, 1), 0: (6, 5, 4, 2, 1)}


def resettlement_seed(
    *, decider: AnyUser, caseworker: AnyUser, registrar: AnyUser, seed: int = 1
) -> int:
    """The demo quotas and referrals; returns the number of referrals made."""
    if ResettlementReferral.objects.filter(is_demo=True).exists():
        return 0
    rng = random.Random(seed)
    today = timezone.localdate()
    made = 0
    with transaction.atomic():
        for year, places, source, verified in QUOTAS:
            quota_set(actor=decider, year=year, places=places, source=source, verified=verified)
        quota_set(actor=decider, year=today.year, places=500, source=THIS_YEAR_SOURCE)
        ResettlementQuota.objects.update(is_demo=True)
        for key, counts in PLAN.items():
            year = key or today.year
            for outcome, n in zip(
                ("referred", "selected", "arrived", "not_selected", "withdrawn"),
                counts,
                strict=True,
            ):
                for _i in range(n):
                    made += 1
                    _referral(rng, made, year, outcome, today, decider, caseworker, registrar)
        referrals = ResettlementReferral.objects.all()
        referrals.update(is_demo=True)
        Person.objects.filter(resettlement_referrals__in=referrals).update(is_demo=True)
        Application.objects.filter(resettlement_referral__in=referrals).update(is_demo=True)
    return made


def _referral(
    rng: random.Random,
    n: int,
    year: int,
    outcome: str,
    today: dt.date,
    decider: AnyUser,
    caseworker: AnyUser,
    registrar: AnyUser,
) -> Any:
    nationality, given, family = REFUGEES[n % len(REFUGEES)]
    last = min(dt.date(year, 12, 31), today)
    referred_on = dt.date(year, 1, 10) + dt.timedelta(
        days=rng.randint(0, max((last - dt.date(year, 1, 10)).days - 30, 0))
    )
    referral = referral_register(
        actor=caseworker,
        unhcr_reference=f"{nationality}-{year % 100}C{n:05d}",
        referral_date=referred_on,
        priority=rng.choices(list(Priority.values), weights=[80, 15, 5])[0],
        selection_method=rng.choice(list(SelectionMethod.values)),
        given_name=given,
        family_name=family,
        date_of_birth=dt.date(rng.randint(1960, 2018), rng.randint(1, 12), rng.randint(1, 28)),
        sex=rng.choice(["female", "male"]),
        nationality=nationality,
    )
    if outcome == "referred":
        return referral
    if outcome == "not_selected":
        return referral_transition(
            actor=decider,
            referral=referral,
            name="not_select",
            reason="The refugee does not meet the selection criteria.",
        )
    referral = referral_transition(
        actor=decider,
        referral=referral,
        name="select",
        quota_year=year,
        reason="Selection mission interview held." if referral.selection_method == "mission"
        else "Dossier complete.",
    )  # fmt: skip
    if outcome == "withdrawn":
        return referral_transition(
            actor=caseworker, referral=referral, name="withdraw", reason="The refugee declined."
        )
    if outcome == "arrived":
        arrived = min(referred_on + dt.timedelta(days=rng.randint(20, 120)), today)
        return referral_transition(
            actor=registrar, referral=referral, name="record_arrival", arrived_on=arrived
        )
    return referral
