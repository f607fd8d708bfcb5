"""The privacy guard: spots personal data in any text before it is stored or shared.

``find_personal_data(text)`` is the one entry point every caller uses: it answers with a
short reason ("looks like a phone number") and never with the matched text, so the reason
can go into error messages and logs. Which library does what:

- python-stdnum: BSN 11-check, IBAN mod-97 check, Dutch postcodes (``patterns``);
- phonenumbers: Dutch and international phone numbers (``patterns``);
- deduce: person names in Dutch text (``names``; a long text in bounded windows,
  ``windows``), filtered against streets, places, venues and organisations (``places``),
  its word lists read through ``lexicon``; our rules add lower-case names (``lower_case``)
  and names its lists miss but the context marks;
- our own patterns: licence-plate sidecodes, social-media handles and profile URLs, IP
  addresses (validated by ``ipaddress``), obfuscated e-mail addresses, dates of birth.

Text shaped like a code (a date, a number, a vocabulary or CBS code) gets only the checks
that such a string can fail, so a node file with thousands of rows stays cheap; deduce
loads only when a text has words. What it cannot catch: a name written as an ordinary
word ("Roos", "de Bakker" read as "the baker") without anything marking it as a person.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable

from samenbeeld.platform.privacy import lexicon, names, patterns

CODE_SHAPED = re.compile(r"[\w.:+/-]*")
"""One token without spaces (dates, numbers, codes): no name can hide in it except a bare one."""

CHECKS: tuple[tuple[Callable[[str], bool], str], ...] = (
    (patterns.has_email, "looks like an e-mail address"),
    (patterns.has_social_media, "looks like a social-media handle or profile"),
    (patterns.has_iban, "looks like a bank account number (IBAN)"),
    (patterns.has_bsn, "looks like a citizen service number (BSN)"),
    (patterns.has_ip_address, "looks like an IP address"),
    (patterns.has_date_of_birth, "looks like a date of birth"),
    (patterns.has_phone, "looks like a phone number"),
    (patterns.has_postcode_with_house_number, "looks like a postcode with house number"),
    (patterns.has_licence_plate, "looks like a licence plate"),
    (names.has_name, "looks like a person's name"),
)
"""Checks in order, cheapest and most certain first; the first that matches gives the reason."""

CATEGORIES = tuple(reason.removeprefix("looks like ") for _, reason in CHECKS)


@functools.lru_cache(maxsize=65536)
def find_personal_data(text: str) -> str | None:
    """A short reason when text looks like personal data, else None; never echoes text.

    Cached: a node file repeats the same codes and dates on every row.
    """
    checks = CHECKS if _has_words(text) else CHECKS[:-1]
    for check, reason in checks:
        if check(text):
            return f"{reason}; personal data may not be loaded"
    return None


def _has_words(text: str) -> bool:
    """Whether a name could be in text: more than one token, or one capitalised word."""
    stripped = text.strip()
    if not CODE_SHAPED.fullmatch(stripped):
        return True
    return stripped.isalpha() and stripped[:1].isupper() and not stripped.isupper()


def warm_up() -> None:
    """Load deduce's lookup structures now (building them the first time, for minutes):
    at install time, and in the background when a service that checks text starts."""
    lexicon.deduce_model()


def warm_up_in_background() -> threading.Thread:
    """Start :func:`warm_up` in a daemon thread: the service listens at once, and the first
    text check waits only for what is left of the load."""
    thread = threading.Thread(target=warm_up, name="privacy-warm-up", daemon=True)
    thread.start()
    return thread


def find_personal_data_in(value: object) -> str | None:
    """Like find_personal_data, for every string in a (nested) JSON value, keys included."""
    if isinstance(value, str):
        return find_personal_data(value)
    if isinstance(value, dict):
        value = [item for pair in value.items() for item in pair]
    if isinstance(value, list):
        return next(filter(None, map(find_personal_data_in, value)), None)
    return None
