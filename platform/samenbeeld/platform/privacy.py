"""A privacy guard: spots strings that look like personal data before they are stored.

``find_personal_data`` answers with a short reason ("looks like an e-mail address") and
never with the matched text, so the reason can go into error messages and logs. The
patterns aim at Dutch data (BSN, 06-numbers, postcodes, licence plates, names) and are
tuned so that the legitimate values of a node file (ISO dates, CBS codes such as GM0758
or WK075801, vocabulary codes, integers and decimals) pass.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_]{2,30}(?![\w@])")
IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}")
BSN = re.compile(r"(?<![\d.,])(\d{3})[ .]?(\d{3})[ .]?(\d{3})(?!\d|[.,]\d)")
PHONE = re.compile(r"(?<![\w+.,/-])(\+31|0031|0)((?:[\s()-]*\d){8,10})(?!\d|[.,:/]\d)")
POSTCODE_HOUSE = re.compile(r"\b[1-9]\d{3}[ ]?(?!SA|SD|SS)[A-Z]{2},?\s+\d{1,5}(?:[ -]?[A-Za-z])?\b")
TITLE_NAME = re.compile(
    r"(?i:\b(?:dhr|mevr|mw|hr)\.|\b(?:meneer|mevrouw|mevr|dhr|de\s+heer)\b)\s*"
    r"(?:(?:van|de|der|den|ter|ten)\s+)*[A-Z][a-z]"
)
INITIALS_NAME = re.compile(r"\b(?:[A-Z]\.\s?){1,4}(?:(?:van|de|der|den|ter|ten)\s+)*[A-Z][a-z]{2,}")
PARTICLE_NAME = re.compile(
    r"\b[A-Z][a-z]{2,}\s+(?:van\s+de[nr]?|van|de|der|den|ter|ten|te)\s+[A-Z][a-z]{2,}"
)
SURNAME_AFTER = r"\s+(?:(?:van|de|der|den|ter|ten|te)\s+)*[A-Z][a-z]+"

FIRST_NAMES = frozenset(
    """
    adam anna anouk bas bram daan david dennis dirk emma eva fatima femke finn fleur gerrit
    hanna hans henk ilse ingrid jan jasper jeroen johan joost julia kees kevin kim lars lieke
    lisa lotte lucas luuk maria mark marleen martijn mila mohamed mohammed nina noah noor
    peter pieter piet ricardo robin rutger sanne sara sem sophie stijn thijs thomas tim tom
    wendy willem yasmina youssef zoe
    """.split()
)
"""A small list of common first names in the Netherlands, lower-case."""

FIRST_NAME_THEN_SURNAME = re.compile(r"\b([A-Z][a-z]{1,15})(?=" + SURNAME_AFTER + r")")

# Dutch licence plates: the sidecodes in use, L = letter, 9 = digit, separated by dashes.
SIDECODES = (
    "LL-99-99 99-99-LL 99-LL-99 LL-99-LL LL-LL-99 99-LL-LL 99-LLL-9 9-LLL-99 "
    "LL-999-L L-999-LL LLL-99-L L-99-LLL 9-LL-999 999-LL-9"
).split()


def _plate_regex() -> re.Pattern[str]:
    """One regex matching any sidecode, with dashes and upper-case letters."""
    parts = [code.replace("L", "[A-Z]").replace("9", r"\d") for code in SIDECODES]
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")


PLATE = _plate_regex()


def is_valid_iban(candidate: str) -> bool:
    """True when candidate (spaces allowed) passes the ISO 13616 mod-97 check."""
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def is_valid_bsn(digits: str) -> bool:
    """True when nine digits pass the BSN 11-check (9*d1 + ... + 2*d8 - d9)."""
    if len(digits) != 9 or not digits.isdigit() or digits == "0" * 9:
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(w * int(d) for w, d in zip(weights, digits, strict=True)) % 11 == 0


def _has_email(value: str) -> bool:
    """An e-mail address anywhere in value."""
    return EMAIL.search(value) is not None


def _iban_candidates(text: str, start: int) -> list[str]:
    """Alphanumeric runs from start (single spaces allowed) that end at a word boundary."""
    found, compact, i = [], "", start
    while i < len(text) and len(compact) < 34:
        if text[i].isalnum():
            compact += text[i]
        elif not (text[i] == " " and i + 1 < len(text) and text[i + 1].isalnum()):
            break
        i += 1
        if len(compact) >= 15 and (i == len(text) or not text[i].isalnum()):
            found.append(compact)
    return found


def _has_iban(value: str) -> bool:
    """A bank account number (IBAN) with a valid mod-97 checksum, any country."""
    text = value.upper()
    return any(
        is_valid_iban(candidate)
        for match in IBAN_START.finditer(text)
        for candidate in _iban_candidates(text, match.start())
    )


def _has_bsn(value: str) -> bool:
    """Nine digits (optionally grouped 3-3-3) passing the BSN 11-check."""
    return any(is_valid_bsn("".join(m.groups())) for m in BSN.finditer(value))


def _has_phone(value: str) -> bool:
    """A Dutch phone number: 0 + nine digits, or +31/0031 + nine digits."""
    for match in PHONE.finditer(value):
        prefix, rest = match.groups()
        if prefix != "0":
            rest = re.sub(r"^[\s-]*\(0\)", "", rest)
        digits = re.sub(r"\D", "", rest)
        if len(digits) == 9 and digits[0] != "0":
            return True
    return False


def _has_name(value: str) -> bool:
    """A person's name: a title or initials before a name, or a known first name."""
    if value.strip().lower() in FIRST_NAMES:
        return True
    if any(p.search(value) for p in (TITLE_NAME, INITIALS_NAME, PARTICLE_NAME)):
        return True
    return any(m.group(1).lower() in FIRST_NAMES for m in FIRST_NAME_THEN_SURNAME.finditer(value))


CHECKS: tuple[tuple[Callable[[str], bool], str], ...] = (
    (_has_email, "looks like an e-mail address"),
    (_has_iban, "looks like a bank account number (IBAN)"),
    (_has_bsn, "looks like a citizen service number (BSN)"),
    (_has_phone, "looks like a phone number"),
    (lambda v: POSTCODE_HOUSE.search(v) is not None, "looks like a postcode with house number"),
    (lambda v: PLATE.search(v) is not None, "looks like a licence plate"),
    (lambda v: HANDLE.search(v) is not None, "looks like a social-media handle"),
    (_has_name, "looks like a person's name"),
)
"""Checks in order; the first that matches gives the reason."""


@functools.lru_cache(maxsize=65536)
def find_personal_data(value: str) -> str | None:
    """A short reason when value looks like personal data, else None; never echoes value.

    Cached: a node file repeats the same codes and dates on every row.
    """
    for check, reason in CHECKS:
        if check(value):
            return f"{reason}; personal data may not be loaded"
    return None


def find_personal_data_in(value: object) -> str | None:
    """Like find_personal_data, for every string in a (nested) JSON value, keys included."""
    if isinstance(value, str):
        return find_personal_data(value)
    if isinstance(value, dict):
        value = [item for pair in value.items() for item in pair]
    if isinstance(value, list):
        return next(filter(None, map(find_personal_data_in, value)), None)
    return None
