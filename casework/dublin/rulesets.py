"""The Dublin rule sets the system starts with, loaded by migration 0032 (and again by
``load`` on an empty table): Dublin III until 11 June 2026, the AMMR from 12 June 2026.

What the project's notes (``procedure-next.md`` and the domain notes) verify, and what they do
not:

- Verified [V]: Dublin III's request periods (art. 21(1), 23(2): 3 months, 2 after a Eurodac
  hit), the take-back reply (art. 25(1)-(2): 1 month, 2 weeks after a hit), the transfer
  period (art. 29(1)-(2): 6 months, up to 1 year imprisoned, up to 18 months absconded), and
  Norway's 48 hours to ask to stay during the appeal, decided by the appeals board in about
  six days. The take-charge reply (art. 22(1), (6), (7): 2 months, 1 when urgent, silence is
  acceptance) the notes mark verified "by the regulation's structure" only.
- Not in the notes, so NOT VERIFIED: the two weeks a requested state has to answer a request
  for re-examination, and the three weeks to ask for it (Commission Regulation (EC) No
  1560/2003 art. 5(2); ``workflow.REEXAMINATION_WINDOW``).
- NOT VERIFIED [U]: whether and when Norway applies the AMMR (Regulation (EU) 2024/1351),
  hence also the day Dublin III ends here (11 June 2026 is the EU's date, not a verified
  Norwegian one), and every AMMR period (arts. 39-46 as far as known).

The admin shows the rows with these notes; a correction, once verified, is a data migration
(the law is reviewed like code), as ``0037_dublin_rule_set_notes`` is for the notes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

DUBLIN_III: dict[str, Any] = {
    "name": "Dublin III",
    "regulation": "Regulation (EU) No 604/2013",
    "valid_from": dt.date(2014, 1, 1),
    "valid_to": dt.date(2026, 6, 11),
    "verified": True,
    "periods": {
        "request.take_charge": "3 months",
        "request.take_charge.eurodac": "2 months",
        "request.take_back": "3 months",
        "request.take_back.eurodac": "2 months",
        "reply.take_charge": "2 months",
        "reply.take_charge.urgent": "1 month",
        "reply.take_back": "1 month",
        "reply.take_back.eurodac": "2 weeks",
        "reply.reexamination": "2 weeks",
        "transfer": "6 months",
        "transfer.imprisoned": "12 months",
        "transfer.absconded": "18 months",
    },
    "note": (
        "Art. 21(1), 23(2): request within 3 months of the application, 2 months of a hit in "
        "Eurodac. Art. 22(1), (6): reply to a take-charge request within 2 months, 1 when "
        "urgent. Art. 25(1): reply to a take-back request within 1 month, 2 weeks after a hit "
        "in Eurodac. Art. 22(7), 25(2): no reply is acceptance. Art. 29: transfer within 6 "
        "months, 1 year if imprisoned, 18 months if absconded (all verified against the "
        "project's notes; art. 22 by the regulation's structure). NOT VERIFIED: Regulation "
        "1560/2003 art. 5(2), re-examination asked within 3 weeks and answered within 2 weeks; "
        "and the end date, which assumes Norway applies the AMMR from the EU's date."
    ),
}

AMMR: dict[str, Any] = {
    "name": "AMMR",
    "regulation": "Regulation (EU) 2024/1351 (Asylum and Migration Management)",
    "valid_from": dt.date(2026, 6, 12),
    "valid_to": None,
    "verified": False,
    "periods": {
        "request.take_charge": "2 months",
        "request.take_charge.eurodac": "1 month",
        "request.take_back": "1 month",
        "request.take_back.eurodac": "2 weeks",
        "reply.take_charge": "1 month",
        "reply.take_charge.urgent": "1 month",
        "reply.take_charge.eurodac": "2 weeks",
        "reply.take_back": "2 weeks",
        "reply.take_back.eurodac": "2 weeks",
        "reply.reexamination": "2 weeks",
        "transfer": "6 months",
        "transfer.imprisoned": "12 months",
        "transfer.absconded": "36 months",
    },
    "note": (
        "NOT VERIFIED. Read as: art. 39 take-charge request within 2 months of registration, "
        "1 month of a hit in Eurodac; art. 40 reply within 1 month, 2 weeks on a hit in "
        "Eurodac; "
        "art. 41 take-back notification within 2 weeks of the hit (1 month without a hit is a "
        "placeholder), confirmed within 2 weeks; art. 46 transfer within 6 months, 1 year if "
        "imprisoned, 3 years if the person absconds. None of these periods is in the "
        "project's notes, and whether and when Norway applies the AMMR is not verified either."
    ),
}

RULE_SETS = (DUBLIN_III, AMMR)


def load(rule_set_model: Any) -> int:
    """Create the rule sets that are missing (by their first day); returns how many."""
    made = 0
    for row in RULE_SETS:
        _obj, created = rule_set_model.objects.get_or_create(
            valid_from=row["valid_from"],
            defaults={k: v for k, v in row.items() if k != "valid_from"},
        )
        made += int(created)
    return made


def load_if_empty(using: str = "default", **_: object) -> None:
    """``post_migrate`` handler: reload after a flush emptied the table (transactional tests
    empty every table, and a case lodged on any day needs the rules in force that day)."""
    from django.db import connections

    from casework.dublin.models import DublinRuleSet

    if DublinRuleSet._meta.db_table not in connections[using].introspection.table_names():
        return  # migrated backwards past the table
    if not DublinRuleSet.objects.using(using).exists():
        load(DublinRuleSet)
