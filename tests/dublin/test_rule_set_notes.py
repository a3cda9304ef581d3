"""The rule sets say what the project's notes verify and what they do not: Dublin III's
periods are verified except the re-examination's and its end date in Norway; nothing of the
AMMR is."""

from __future__ import annotations

import pytest

from casework.dublin.models import DublinRuleSet
from casework.dublin.rulesets import AMMR, DUBLIN_III

pytestmark = pytest.mark.django_db


def test_the_rule_sets_in_the_database_carry_what_is_not_verified():
    dublin = DublinRuleSet.objects.get(valid_from=DUBLIN_III["valid_from"])
    ammr = DublinRuleSet.objects.get(valid_from=AMMR["valid_from"])
    assert dublin.verified and not ammr.verified
    assert "NOT VERIFIED: Regulation 1560/2003 art. 5(2)" in dublin.note
    assert "Norway applies the AMMR from the EU's date" in dublin.note
    assert ammr.note.startswith("NOT VERIFIED.")
    assert "None of these periods is in the project's notes" in ammr.note
    # the periods the notes verify [V]
    assert {k: dublin.periods[k] for k in ("request.take_charge", "transfer.absconded")} == {
        "request.take_charge": "3 months",
        "transfer.absconded": "18 months",
    }
