"""Enumerations of people: sex, date precision, document kinds, relations, duplicate flags,
and the languages people speak (the one list, for a person's languages and an interview's)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    FEMALE = "female", _("female")
    MALE = "male", _("male")
    OTHER = "other", _("other")
    UNKNOWN = "unknown", _("unknown")


class DatePrecision(models.TextChoices):
    """A birth date may be known only to the year (registered as 1 January of that year)."""

    DAY = "day", _("day")
    YEAR = "year", _("year only")


class DocumentKind(models.TextChoices):
    PASSPORT = "passport", _("passport")
    NATIONAL_ID = "national_id", _("national identity card")
    BIRTH_CERTIFICATE = "birth_certificate", _("birth certificate")
    TRAVEL_DOCUMENT = "travel_document", _("travel document")
    OTHER = "other", _("other document")


class Relation(models.TextChoices):
    SPOUSE = "spouse", _("spouse or partner")
    CHILD = "child", _("child")
    PARENT = "parent", _("parent")


class InterpreterPreference(models.TextChoices):
    """The applicant's wish for the gender of their interpreter; blank: no preference (UNHCR
    procedural standards: an interviewer and interpreter of the same gender on request)."""

    NONE = "", _("no preference")
    FEMALE = "female", _("a woman")
    MALE = "male", _("a man")


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("open")
    MERGED = "merged", _("merged")
    DISMISSED = "dismissed", _("dismissed")


class SpokenLanguage(models.TextChoices):
    """The languages a person speaks and an interview is held in: ISO 639-3 codes, named as
    people know them (Dari, Tigrinya, Sorani, Kurmanji), in alphabetical order of the English
    name.

    ISO 639-3, not 639-1: the two-letter codes have none for Dari, Sorani, Kurmanji, Hazaragi
    or Tigre, and an interpreter is booked for exactly one of these. Where 639-3 has a
    macrolanguage and its people name the macrolanguage (Arabic, Persian, Pashto, Swahili),
    the macrolanguage's code is used; Dari is its own entry (``prs``) because Afghans and
    interpreters name it so. ``kur`` is for Kurdish of a variety not recorded (records from
    before this list, whose two-letter ``ku`` did not say which).
    """

    ALBANIAN = "sqi", _("Albanian")
    AMHARIC = "amh", _("Amharic")
    ARABIC = "ara", _("Arabic")
    ARMENIAN = "hye", _("Armenian")
    ASSYRIAN = "aii", _("Assyrian Neo-Aramaic")
    AZERBAIJANI = "aze", _("Azerbaijani")
    BALOCHI = "bal", _("Balochi")
    BAMBARA = "bam", _("Bambara")
    BELARUSIAN = "bel", _("Belarusian")
    BENGALI = "ben", _("Bengali")
    BOSNIAN = "bos", _("Bosnian")
    BULGARIAN = "bul", _("Bulgarian")
    BURMESE = "mya", _("Burmese")
    CHECHEN = "che", _("Chechen")
    CHINESE_MANDARIN = "cmn", _("Chinese (Mandarin)")
    CROATIAN = "hrv", _("Croatian")
    DANISH = "dan", _("Danish")
    DARI = "prs", _("Dari")
    DINKA = "din", _("Dinka")
    DUTCH = "nld", _("Dutch")
    ENGLISH = "eng", _("English")
    FINNISH = "fin", _("Finnish")
    FRENCH = "fra", _("French")
    FULA = "ful", _("Fula")
    GEORGIAN = "kat", _("Georgian")
    GERMAN = "deu", _("German")
    GREEK = "ell", _("Greek")
    HAUSA = "hau", _("Hausa")
    HAZARAGI = "haz", _("Hazaragi")
    HEBREW = "heb", _("Hebrew")
    HINDI = "hin", _("Hindi")
    IGBO = "ibo", _("Igbo")
    INDONESIAN = "ind", _("Indonesian")
    ITALIAN = "ita", _("Italian")
    KAZAKH = "kaz", _("Kazakh")
    KINYARWANDA = "kin", _("Kinyarwanda")
    KIRUNDI = "run", _("Kirundi")
    KURDISH = "kur", _("Kurdish (variety not recorded)")
    KURMANJI = "kmr", _("Kurmanji (Northern Kurdish)")
    KYRGYZ = "kir", _("Kyrgyz")
    LINGALA = "lin", _("Lingala")
    MACEDONIAN = "mkd", _("Macedonian")
    MONGOLIAN = "mon", _("Mongolian")
    NEPALI = "nep", _("Nepali")
    NORWEGIAN = "nor", _("Norwegian")
    NORWEGIAN_SIGN = "nsl", _("Norwegian Sign Language")
    NUER = "nus", _("Nuer")
    OROMO = "orm", _("Oromo")
    PASHTO = "pus", _("Pashto")
    PERSIAN = "fas", _("Persian (Farsi)")
    POLISH = "pol", _("Polish")
    PORTUGUESE = "por", _("Portuguese")
    PUNJABI = "pan", _("Punjabi")
    ROMANI = "rom", _("Romani")
    ROMANIAN = "ron", _("Romanian")
    RUSSIAN = "rus", _("Russian")
    SERBIAN = "srp", _("Serbian")
    SINHALA = "sin", _("Sinhala")
    SOMALI = "som", _("Somali")
    SORANI = "ckb", _("Sorani (Central Kurdish)")
    SPANISH = "spa", _("Spanish")
    SWAHILI = "swa", _("Swahili")
    SWEDISH = "swe", _("Swedish")
    TAGALOG = "tgl", _("Tagalog")
    TAJIK = "tgk", _("Tajik")
    TAMIL = "tam", _("Tamil")
    THAI = "tha", _("Thai")
    TIBETAN = "bod", _("Tibetan")
    TIGRE = "tig", _("Tigre")
    TIGRINYA = "tir", _("Tigrinya")
    TURKISH = "tur", _("Turkish")
    TURKMEN = "tuk", _("Turkmen")
    UKRAINIAN = "ukr", _("Ukrainian")
    URDU = "urd", _("Urdu")
    UYGHUR = "uig", _("Uyghur")
    UZBEK = "uzb", _("Uzbek")
    VIETNAMESE = "vie", _("Vietnamese")
    WOLOF = "wol", _("Wolof")
    YORUBA = "yor", _("Yoruba")


# The two-letter (ISO 639-1) codes earlier records and the status pages' languages use, to
# their entry above: the data migration that moved interviews and people to the list reads
# it, and so do the demo data and a new interview's suggested language (the applicant's
# status-page language).
FROM_TWO_LETTER = {
    "am": "amh", "ar": "ara", "az": "aze", "be": "bel", "bg": "bul", "bn": "ben", "bo": "bod",
    "bs": "bos", "ce": "che", "da": "dan", "de": "deu", "el": "ell", "en": "eng", "fa": "fas",
    "fi": "fin", "fr": "fra", "ff": "ful", "ha": "hau", "he": "heb", "hi": "hin", "hr": "hrv",
    "hy": "hye", "id": "ind", "ig": "ibo", "it": "ita", "ka": "kat", "kk": "kaz", "ku": "kur",
    "ky": "kir", "ln": "lin", "mk": "mkd", "mn": "mon", "my": "mya", "nb": "nor", "ne": "nep",
    "nl": "nld", "nn": "nor", "no": "nor", "om": "orm", "pa": "pan", "pl": "pol", "ps": "pus",
    "pt": "por", "rn": "run", "ro": "ron", "ru": "rus", "rw": "kin", "si": "sin", "so": "som",
    "sq": "sqi", "sr": "srp", "sv": "swe", "sw": "swa", "ta": "tam", "tg": "tgk", "th": "tha",
    "ti": "tir", "tk": "tuk", "tl": "tgl", "tr": "tur", "ug": "uig", "uk": "ukr", "ur": "urd",
    "uz": "uzb", "vi": "vie", "wo": "wol", "yo": "yor", "zh": "cmn",
}  # fmt: skip


def spoken_language(code: str) -> str:
    """The list's code for ``code``, given in either form ("ti" or "tir"), or "" if none."""
    code = code.strip().lower()
    if code in SpokenLanguage.values:
        return code
    return FROM_TWO_LETTER.get(code, "")


def validate_spoken_languages(value: str) -> None:
    """A person's languages: codes of the list, comma separated ("ara,eng")."""
    unknown = [code for code in value.split(",") if code and code not in SpokenLanguage.values]
    if unknown:
        raise ValidationError(
            _("Not a language of the list: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
