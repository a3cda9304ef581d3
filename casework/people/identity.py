"""Pure helpers for identity: registration numbers, case references, name matching.

No database access here, so the parsers can be fuzzed and the matching tested on its own.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

import jellyfish
from anyascii import anyascii

# Crockford's base32 without look-alikes (no I, L, O, U): readable over the phone.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 10


def new_reference() -> str:
    """A public case reference: 10 random base-32 characters (50 bits), never sequential."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def format_reference(reference: str) -> str:
    return f"{reference[:4]}-{reference[4:8]}-{reference[8:]}"


_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
# Digits as an Arabic (٠-٩) or a Persian/Pashto keyboard (۰-۹) types them: the status page in
# those languages writes its numbers so, and an applicant answers in kind.
_EASTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def luhn_digit(digits: str) -> str:
    """The Luhn check digit that makes ``digits + check`` pass the Luhn test."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def new_registration_number(year: int) -> str:
    """12 digits: the year of the first application, 7 random digits, a Luhn check digit."""
    body = f"{year:04d}{secrets.randbelow(10**7):07d}"
    return body + luhn_digit(body)


def is_valid_registration_number(value: str) -> bool:
    value = re.sub(r"\s", "", value or "")
    return bool(re.fullmatch(r"\d{12}", value)) and luhn_digit(value[:11]) == value[11]


def parse_reference(value: str) -> str | None:
    """Normalise a case reference typed by a person: spaces, dashes, look-alikes and Arabic or
    Persian digits forgiven.

    Returns the canonical 10-character reference, or None when it cannot be one.
    """
    if not isinstance(value, str) or len(value) > 40:
        return None
    cleaned = re.sub(r"[\s\-_.]", "", value.translate(_EASTERN_DIGITS)).upper()
    cleaned = cleaned.translate(_LOOKALIKES)
    if len(cleaned) != REFERENCE_LENGTH or any(c not in REFERENCE_ALPHABET for c in cleaned):
        return None
    return cleaned


def normalise_name(name: str) -> str:
    """Latin lower-case letters only: 'Muḥammad' and 'Мухаммад' both come out comparable."""
    text = anyascii(unicodedata.normalize("NFKC", name or "")).lower()
    return re.sub(r"[^a-z ]+", "", text).strip()


def _compact(name: str) -> str:
    """One name field without separators: 'Al-Hassan', 'Al Hassan' and 'Alhassan' agree."""
    return normalise_name(name).replace(" ", "")


def name_key(given_name: str, family_name: str) -> str:
    """A phonetic key per name field (metaphone), sorted, so order and spelling matter less."""
    parts = [_compact(given_name), _compact(family_name)]
    return " ".join(sorted(jellyfish.metaphone(p) for p in parts if p))[:64]


def name_similarity(a: tuple[str, str], b: tuple[str, str]) -> float:
    """0..1: how alike two (given, family) names are, allowing for transliteration.

    Mohammed / Muhammad / Mohamad have the same metaphone; Jaro-Winkler on the compacted
    fields (in either order, since given and family names get swapped) catches the rest.
    """
    if name_key(*a) and name_key(*a) == name_key(*b):
        return 1.0
    left = [_compact(part) for part in a]
    right = [_compact(part) for part in b]
    if not all(left) or not all(right):
        return 0.0
    straight = " ".join(left), " ".join(right)
    swapped = " ".join(left), " ".join(reversed(right))
    return max(
        jellyfish.jaro_winkler_similarity(*straight), jellyfish.jaro_winkler_similarity(*swapped)
    )


DUPLICATE_THRESHOLD = 0.88
