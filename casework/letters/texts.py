# i18n: applicant
"""What each kind of letter says, in the active language: the templates of the letters.

Every message here is read by the applicant, so it is translated into all nine languages of
the status page (``tests/test_applicant_catalogues.py`` checks every catalogue, and
``tests/casework/test_letters.py`` renders each kind in each language). A letter is rendered
twice, once in Norwegian bokmål (the binding text) and once in the applicant's language, from
the same facts: ``casework.letters.render`` puts the two side by side, paragraph by paragraph.

Facts are stored with the letter as JSON (dates as ISO text, outcomes and countries as codes)
and formatted here in the language being written: dates with ``local_date`` (each language's
own format and digits), outcome names from ``OUTCOMES`` below, countries and languages from
CLDR. What staff wrote (the grounds) is copied as written, with a line saying that it is in
Norwegian and that the lawyer or an interpreter will explain it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from babel import Locale
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from casework.core.locale_formats import babel_locale, local_date, local_datetime, local_digits
from casework.letters.choices import LetterKind
from casework.status.languages import RTL_LANGUAGES


@dataclass(frozen=True)
class Block:
    """One paragraph of a letter: ``style`` is "heading", "p", "key" (a fact the reader looks
    for: a date, a deadline), "value" (a value in Latin script, the same in both columns: an
    address) or "quote" (staff's own words, not translated, across both columns)."""

    style: str
    text: str


# Unicode's first-strong isolate and its closing mark: a value (a reference, an address, a
# date) inside right-to-left text is laid out on its own, so "Postboks 8165 Dep, 0034 Oslo"
# is not reordered around the Arabic words beside it (Unicode bidi algorithm, UAX #9 § 2.7).
FSI, PDI = "\u2068", "\u2069"


def _values(**values: Any) -> dict[str, str]:
    """The values of a message, each isolated when the active language is right-to-left."""
    rtl = (get_language() or "").split("-")[0] in RTL_LANGUAGES
    return {k: f"{FSI}{v}{PDI}" if rtl else str(v) for k, v in values.items()}


def _date(value: str | None, language: str) -> str:
    if not value:
        return "–"
    if "T" in value:
        return local_date(dt.datetime.fromisoformat(value), language)
    return local_date(dt.date.fromisoformat(value), language)


def _datetime(value: str | None, language: str) -> str:
    if not value:
        return "–"
    return local_datetime(dt.datetime.fromisoformat(value), language)


# Codes of ISO 639-3 whose CLDR name is filed under the two-letter code.
_TWO_LETTER = {
    "ara": "ar",
    "fas": "fa",
    "pus": "ps",
    "tir": "ti",
    "som": "so",
    "rus": "ru",
    "ukr": "uk",
    "eng": "en",
    "fra": "fr",
    "amh": "am",
    "tur": "tr",
    "kur": "ku",
    "sqi": "sq",
    "urd": "ur",
    "spa": "es",
    "deu": "de",
    "nob": "nb",
    "orm": "om",
    "swa": "sw",
    "hye": "hy",
    "aze": "az",
    "ben": "bn",
    "bos": "bs",
    "bel": "be",
    "bul": "bg",
    "mya": "my",
    "che": "ce",
    "hrv": "hr",
    "dan": "da",
}


def language_name(code: str, language: str) -> str:
    """The name of the spoken language ``code`` (ISO 639-3) in ``language``, from CLDR."""
    names = Locale.parse(babel_locale(language)).languages
    name = names.get(code) or names.get(_TWO_LETTER.get(code, ""), "")
    return str(name or code)


def country_name(code: str, language: str) -> str:
    if not code:
        return ""
    return str(Locale.parse(babel_locale(language)).territories.get(code.upper(), code))


def outcome_name(outcome: str) -> str:
    """The outcome of a decision in the applicant's words (the staff labels are the
    statistics' terms, and only in Norwegian and English)."""
    names = {
        "refugee_convention": pgettext(
            "letter outcome", "refugee status under the Refugee Convention"
        ),
        "refugee_other": pgettext("letter outcome", "refugee status (other protection)"),
        "humanitarian": pgettext("letter outcome", "residence permit on humanitarian grounds"),
        "minor_limited": pgettext(
            "letter outcome", "limited residence permit until you are 18 years old"
        ),
        "rejected": pgettext("letter outcome", "rejected: you do not have a right to protection"),
        "dublin": pgettext(
            "letter outcome", "not examined in Norway: another Dublin country is responsible"
        ),
        "safe_third_country": pgettext(
            "letter outcome",
            "not examined in Norway: you can get protection in a safe third country",
        ),
        "withdrawn": pgettext("letter outcome", "the application is withdrawn or dismissed"),
        "collective": pgettext("letter outcome", "collective protection"),
    }
    return names.get(outcome, outcome)


def title(kind: str, facts: dict[str, Any]) -> str:
    titles: dict[str, Callable[[], str]] = {
        LetterKind.RECEIPT: lambda: _("Your application for protection has been received"),
        LetterKind.INTERVIEW_SUMMONS: lambda: _("Summons to your asylum interview"),
        LetterKind.GRANT: lambda: _("Decision on your application: residence permit granted"),
        LetterKind.REJECTION: lambda: _("Decision on your application: rejected"),
        LetterKind.DUBLIN: lambda: _(
            "Decision: your application will not be examined in Norway (Dublin)"
        ),
        LetterKind.APPEAL_RECEIVED: lambda: _("We have received your appeal"),
        LetterKind.WORK_PERMIT: lambda: _("Decision on your temporary work permit"),
        LetterKind.FAMILY_WINDOW: lambda: _("Family reunification: deadlines for your family"),
    }
    return titles[kind]()


def header(facts: dict[str, Any], language: str) -> list[Block]:
    """Who the letter is to, the case and the date: the same on every letter."""
    blocks = [
        Block("key", _("Case reference: %(reference)s") % _values(reference=facts["reference"])),
        Block(
            "key",
            _("Registration number: %(number)s")
            % _values(number=facts.get("registration_number", "")),
        ),
        Block(
            "key", _("Date of the letter: %(date)s") % _values(date=_date(facts["date"], language))
        ),
    ]
    if facts.get("corrects_date"):
        blocks.append(
            Block(
                "key",
                _(
                    "This letter corrects our letter of %(date)s. The earlier letter no longer "
                    "applies."
                )
                % _values(date=_date(facts["corrects_date"], language)),
            )
        )
    return blocks


def _grounds(facts: dict[str, Any]) -> list[Block]:
    if not facts.get("grounds"):
        return []
    return [
        Block("heading", _("Grounds")),
        Block(
            "p",
            _(
                "The grounds are written in Norwegian below. Your lawyer or an interpreter will "
                "explain them to you."
            ),
        ),
        Block("quote", str(facts["grounds"])),
    ]


def _appeal(facts: dict[str, Any], language: str) -> list[Block]:
    """Public Administration Act § 27: the right to appeal, the deadline, the appeal body and
    how to appeal, the right to a free lawyer and to see the case documents."""
    due = _date(facts.get("appeal_due"), language)
    weeks = (
        _("The deadline is one week from the day this letter reached you or your lawyer.")
        if facts.get("one_week")
        else _("The deadline is three weeks from the day this letter reached you or your lawyer.")
    )
    return [
        Block("heading", _("Your right to appeal")),
        # Before the delivery is recorded the deadline is not known: the letter gives the
        # last day as it would be if the letter reached the person on its own date.
        Block(
            "key",
            _("If this letter reaches you on %(date)s, the last day to appeal is %(due)s.")
            % _values(date=_date(facts.get("date"), language), due=due)
            if facts.get("appeal_due_provisional")
            else _("Appeal deadline: %(due)s") % _values(due=due),
        ),
        Block("p", weeks),
        Block(
            "p",
            _(
                "Send your appeal in writing to the Directorate of Immigration, which made this "
                "decision. Say which decision you appeal against and why. If the Directorate "
                "does not change its decision, it sends your appeal to the Immigration Appeals "
                "Board, which makes the final decision."
            ),
        ),
        Block("p", _("The appeals body is the Immigration Appeals Board (UNE). Its address:")),
        Block("value", str(facts.get("appeals_address", ""))),
        Block(
            "p",
            _(
                "You have the right to a free lawyer for the appeal, whatever your income. If "
                "you have not heard from a lawyer, contact us."
            ),
        ),
        Block(
            "p",
            _(
                "You have the right to see the documents of your case (Public Administration "
                "Act §§ 18 and 19). Ask us in writing."
            ),
        ),
    ]


def _departure(facts: dict[str, Any], language: str) -> list[Block]:
    """Immigration Act § 90 sixth paragraph: a rejection states the departure deadline; an
    appeal in time postpones it. Assisted return pays more when asked for before it."""
    if not facts.get("departure_due"):
        return []
    text = (
        _("You must leave Norway by %(date)s.")
        if facts.get("final")
        else _("If you do not appeal, you must leave Norway by %(date)s.")
    )
    return [
        Block("heading", _("Departure deadline")),
        Block("key", text % _values(date=_date(facts["departure_due"], language))),
        Block(
            "p",
            _(
                "You can apply for assisted return. You get more support if you apply before "
                "this date."
            ),
        ),
    ]


def body(kind: str, facts: dict[str, Any], language: str) -> list[Block]:
    """The paragraphs of a letter of ``kind`` in the active language (see the module)."""
    f = facts
    if kind == LetterKind.RECEIPT:
        return [
            Block(
                "p",
                _("We received your application for protection on %(date)s.")
                % _values(date=_date(f.get("lodged_on"), language)),
            ),
            Block(
                "p",
                _(
                    "Keep this letter. With the case reference and your date of birth you can "
                    "follow your case on our status page."
                ),
            ),
            Block("p", _("You must tell the police if you change your address.")),
        ]
    if kind == LetterKind.INTERVIEW_SUMMONS:
        interpreter = (
            _("An interpreter for %(language)s will take part.")
            % _values(language=language_name(f.get("interview_language", ""), language))
            if f.get("interpreter")
            else _("No interpreter has been booked. Tell us at once if you need one.")
        )
        return [
            Block(
                "key",
                _("Time of the interview: %(when)s")
                % _values(when=_datetime(f.get("scheduled_at"), language)),
            ),
            Block("key", _("Place: %(place)s") % _values(place=f.get("location", ""))),
            Block("p", interpreter),
            Block(
                "p",
                _(
                    "You have the right to bring a lawyer or another representative to the "
                    "interview."
                ),
            ),
            Block("p", _("If you cannot come, contact us before the interview.")),
        ]
    if kind == LetterKind.GRANT:
        return [
            Block(
                "p",
                _("The Directorate of Immigration has granted your application on %(date)s.")
                % _values(date=_date(f.get("decided_on"), language)),
            ),
            Block(
                "key",
                _("Outcome: %(outcome)s") % _values(outcome=outcome_name(f.get("outcome", ""))),
            ),
            Block(
                "key", _("Permit type: %(permit)s") % _values(permit=f.get("permit_type") or "–")
            ),
            Block(
                "key",
                _("Length of the permit, in months: %(months)s")
                % _values(months=local_digits(str(f.get("permit_months") or "–"), language)),
            ),
            Block(
                "p",
                _(
                    "The police will give you your residence card. You will be told about "
                    "settlement in a municipality."
                ),
            ),
        ]
    if kind == LetterKind.REJECTION:
        return [
            Block(
                "p",
                _("The Directorate of Immigration has rejected your application on %(date)s.")
                % _values(date=_date(f.get("decided_on"), language)),
            ),
            Block(
                "key",
                _("Outcome: %(outcome)s") % _values(outcome=outcome_name(f.get("outcome", ""))),
            ),
            *_grounds(f),
            *_appeal(f, language),
            *_departure(f, language),
        ]
    if kind == LetterKind.DUBLIN:
        blocks = [
            Block(
                "p",
                _(
                    "Another country in the Dublin cooperation is responsible for examining your "
                    "application, so Norway will not examine it."
                ),
            ),
        ]
        if f.get("country"):
            blocks.append(
                Block(
                    "key",
                    _("Responsible country: %(country)s")
                    % _values(country=country_name(f["country"], language)),
                )
            )
        blocks += [
            Block(
                "key",
                _(
                    "An appeal does not stop the transfer. To ask to stay in Norway while your "
                    "appeal is decided, you must ask within 48 hours, by %(when)s."
                )
                % _values(when=_datetime(f.get("stay_due"), language)),
            ),
            *_grounds(f),
            *_appeal(f, language),
        ]
        return blocks
    if kind == LetterKind.APPEAL_RECEIVED:
        return [
            Block(
                "p",
                _("We received your appeal on %(date)s.")
                % _values(date=_date(f.get("appealed_on"), language)),
            ),
            Block(
                "p",
                _(
                    "The Directorate of Immigration will first review its decision. If it does "
                    "not change it, your appeal goes to the Immigration Appeals Board, which "
                    "makes the final decision."
                ),
            ),
            Block("p", _("You will be told in writing when a decision has been made.")),
        ]
    if kind == LetterKind.WORK_PERMIT:
        if f.get("granted"):
            return [
                Block(
                    "key",
                    _("You have been granted a temporary work permit, valid until %(date)s.")
                    % _values(date=_date(f.get("valid_until"), language)),
                ),
                Block(
                    "p",
                    _(
                        "The permit ends earlier if your application for protection is finally "
                        "rejected."
                    ),
                ),
            ]
        return [
            Block("key", _("Your application for a temporary work permit is refused.")),
            *_grounds(f),
            Block(
                "p",
                _(
                    "You may appeal within three weeks of the day this letter reached you. "
                    "Send the appeal in writing to the Directorate of Immigration."
                ),
            ),
        ]
    if kind == LetterKind.FAMILY_WINDOW:
        return [
            Block(
                "p",
                _("You were granted protection on %(date)s.")
                % _values(date=_date(f.get("protected_on"), language)),
            ),
            Block(
                "key",
                _(
                    "If your family's application for family reunification is registered by "
                    "%(date)s, your family is exempt from the income requirement."
                )
                % _values(date=_date(f.get("register_by"), language)),
            ),
            Block(
                "key",
                _("The documents must be handed in by %(date)s.")
                % _values(date=_date(f.get("documents_by"), language)),
            ),
            Block("p", _("After these dates the income requirement applies.")),
        ]
    raise ValueError(kind)


def closing(language: str, translated: bool) -> list[Block]:
    """The signature, and under a translation the note that the Norwegian text binds."""
    blocks = [Block("p", _("Directorate of Immigration"))]
    if translated:
        blocks.append(
            Block(
                "p",
                _(
                    "The Norwegian text of this letter is binding. The translation beside it "
                    "helps you to understand it."
                ),
            )
        )
    return blocks


def translation_note() -> str:
    """Under a translation no qualified translator has checked (``casework.core.translations``)."""
    return _(
        "This translation has not yet been checked by a qualified translator. If something is "
        "unclear, ask the staff at your reception centre."
    )
