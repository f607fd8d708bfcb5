"""Checks for personal data with a fixed shape: checksums, numbers, addresses, handles.

Libraries do what they were made for: python-stdnum validates BSNs (11-check), IBANs
(mod 97) and Dutch postcodes, phonenumbers finds Dutch and international phone numbers,
the standard library's ipaddress validates IP addresses. The regular expressions here only
find candidates for them, and add what no library knows: licence-plate sidecodes,
social-media handles and profile URLs, obfuscated e-mail addresses and dates of birth.
Each check takes the text and answers True or False; none keeps the matched text.
"""

from __future__ import annotations

import ipaddress
import re

import phonenumbers
from phonenumbers import PhoneNumberMatcher, PhoneNumberType
from stdnum import iban
from stdnum.exceptions import ValidationError
from stdnum.nl import bsn, postcode

from samenbeeld.platform.privacy import lexicon

AT = r"(?: ?@ ?|\s*[\[({<]\s*(?:at|a|apenstaartje|@)\s*[\])}>]\s*|\s+(?:at|apenstaartje)\s+)"
DOT = r"(?:\.|\s*[\[({<]\s*(?:dot|punt)\s*[\])}>]\s*|\s+(?:dot|punt)\s+)"
MAIL_PROVIDERS = r"gmail|hotmail|live|outlook|icloud|yahoo|ziggo|kpnmail|kpnplanet|xs4all|home"
LOCAL_PART = r"(?<![\w.%+-])[\w.%+-]++"
"""The part before the '@', taken whole from the start of its run: a search that tried every
start inside a long word (a hash, a pasted blob) would take time quadratic in its length."""
EMAIL = re.compile(
    rf"{LOCAL_PART}{AT}[\w-]+(?:{DOT}[\w-]+)*{DOT}[a-z]{{2,}}\b|\bmailto:\S"
    rf"|{LOCAL_PART}@(?:{MAIL_PROVIDERS})\b",
    re.IGNORECASE,
)
SOCIAL_SITES = r"instagram|instagr\.am|tiktok|twitter|x|facebook|fb|snapchat|threads|youtube"
PROFILE_URL = re.compile(
    rf"\b(?:(?:{SOCIAL_SITES})\.(?:com|net|me)|t\.me|wa\.me|linkedin\.com/in|twitch\.tv"
    r"|reddit\.com/u(?:ser)?|bsky\.app/profile)/[@\w.]",
    re.IGNORECASE,
)
HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_][A-Za-z0-9_.]{1,29}(?![\w@])")
PLATFORMS = r"snap(?:chat)?|insta(?:gram)?|ig|tiktok|tt|twitter|x|facebook|fb|sc|telegram|discord"
ACCOUNT_WORDS = r"naam|account|id|profiel|gebruikersnaam|handle"
HANDLE_LABEL = re.compile(
    rf"\b(?:{PLATFORMS})(?:{ACCOUNT_WORDS})?(?:\s+(?:me|{ACCOUNT_WORDS}))?"
    r"(?:\s*(?::|=)\s*|\s+-\s*|(?:\s+is)?\s+\(?(?=@?[A-Za-z0-9_.]*(?:[\d_]|\.\w)))"
    r"@?(?=[A-Za-z0-9_.]*[A-Za-z])[A-Za-z0-9_.]{2,30}\b",
    re.IGNORECASE,
)
"""A platform label before an account, which has a letter ('TikTok 2023', 'X: 12.000' pass):
after ':' any name, after a space or '(' one with a digit, underscore or dot (so 'via
insta gedeeld' passes, 'snap lotje2005' and 'snap (youri_vb)' do not); a dash only with a
space ('snap - naam'), as 'Instagram-account' is a word."""
PLAIN_LABEL = re.compile(
    r"(?:\b(?:zijn|haar|mijn|je|jouw|hun|z'n|d'r)\s+(?P<own>))?"
    r"\b(?:(?P<snap>snap)|snapchat|insta(?:gram)?|tiktok|twitter|facebook|telegram)"
    rf"(?P<named>(?:{ACCOUNT_WORDS})?(?:\s+(?:{ACCOUNT_WORDS}))?"
    r"(?:\s+(?:als|heet)|\s+is(?(own)|(?!)))?)"
    r"\s+['\"‘“]?(?P<account>(?-i:[a-z])[A-Za-z0-9]{2,29})"
    r"(?=['\"’”]?(?:\s*$|\s*[.,;)!?]|\s+(?:en|of|op|in|van)\b))",
    re.IGNORECASE,
)
"""A platform name and a plain lower-case word that ends the phrase: 'insta sannedv', 'op
tiktok als kevbreda', 'Snapchatnaam lisab en ...', 'zijn snap is lotje'; the word must be
no ordinary Dutch word (lexicon.py), and 'is' counts only after 'zijn', 'haar', ...
Without 'naam', 'account', 'als' or 'is' the word must end the text or the clause, and
'snap' (also a Dutch verb: 'ik snap het') needs one of them."""
PHRASE_END = re.compile(r"['\"’”]?\s*(?:$|[.,;)!?])")
QUOTED_ACCOUNT = re.compile(
    r"\b(?:account|profiel|gebruikersnaam|accountnaam)\s+['\"‘“](?P<account>[A-Za-z0-9_.]{3,30})['\"’”]",
    re.IGNORECASE,
)
"""An account name in quotes: "het account 'vanmil' op Snapchat"."""
IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2} ?\d{2}")
BSN_CANDIDATE = re.compile(r"(?<![\d.,])(?:\d{9}|\d{2,4}(?:[ .-]\d{2,4}){1,3})(?!\d|[.,]\d)")
AMOUNT_BEFORE = re.compile(r"(?:€|eur|euro)\s*$", re.IGNORECASE)
AMOUNT_AFTER = re.compile(r"(?:,[-\d]+)?\s*(?:euro|eur|€)", re.IGNORECASE)
DATE_LIKE = re.compile(
    r"(?<!\d)(?:\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)\d\d|(?:19|20)\d\d[-/.]\d{1,2}[-/.]\d{1,2})(?!\d)"
)
DUTCH_PHONE = re.compile(
    r"(?<![\w+])(\+31|0031|0)[\s().\-\u2010-\u2015]*(\d(?:[\s().\-\u2010-\u2015]{0,3}\d){8})(?!\d)"
)
"""A Dutch number with any separators, hyphens and dashes of every width included."""
NOT_PERSONAL_LINES = frozenset(
    {
        PhoneNumberType.TOLL_FREE,
        PhoneNumberType.PREMIUM_RATE,
        PhoneNumberType.SHARED_COST,
        PhoneNumberType.UAN,
    }
)
HOUSE_NUMBER = (
    r"(?:[,\s]*|\s*-\s*)(?:(?:huis)?n(?:umme)?r\.?:?\s*)?\d{1,5}"
    r"(?:\s?[-/]?\s?(?:[a-z]{1,3}|bis|hs|\d{1,3})\b)?"
)
POSTCODE = re.compile(r"(?<![\w-])([1-9]\d{3})\s?([A-Za-z]{2})(?![A-Za-z]|-[A-Za-z])")
HOUSE_NUMBER_BEFORE = re.compile(r"\d{1,5}(?:\s?-?\s?[a-z]{1,3})?\s*,?\s*$", re.IGNORECASE)
TWO_LETTER_WORDS = frozenset(
    """en in op om of te de na nu al ik is er ze we je uw zo la ca nr wk jr pp id tv pc ov bv
    nv vs vd ma di wo do vr za ex ok tm""".split()
)
"""Dutch words, abbreviations and weekdays that follow a year or a count ("in 2022 ca 400",
"2024 nr 1", "week 12 2025 di 3", "2022 tm - 2024"), so no postcode's letters in lower
case; nor is a unit ("1500 kw - 3")."""
UNITS = frozenset({"MW", "KW", "GW", "GB", "MB", "KB", "TB", "KG", "CM", "MM", "KM", "PK", "EU"})
POSTCODE_HOUSE = re.compile(
    rf"(?<![\w-])[1-9]\d{{3}}\s?[A-Za-z]{{2}}{HOUSE_NUMBER}(?![\w-])", re.IGNORECASE
)
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
VERSION_BEFORE = re.compile(r"\b(?:versie|version|release|build|v)\.?\s*$", re.IGNORECASE)
"""A version label right before a dotted number: "versie 1.2.3.4", "release 2.0.1.7"."""
PREFIX_LENGTH = re.compile(r"/\d{1,3}\b")
IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
MONTHS = (
    r"jan(?:uari)?|feb(?:ruari)?|maa(?:rt)?|mrt|apr(?:il)?|mei|jun(?:i)?|jul(?:i)?|"
    r"aug(?:ustus)?|sep(?:t(?:ember)?)?|okt(?:ober)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
    r"|january|february|march|may|june|july|august|october"
)
DAY, MONTH = r"(?:0[1-9]|[12]\d|3[01])", r"(?:0[1-9]|1[0-2])"
DATE = (
    r"(?:\d{1,2}[-/.]\d{1,2}[-/.](?:19|20|')?\d{2}|(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}"
    rf"|\d{{1,2}}(?:\s*|[-/])(?:{MONTHS})\.?(?:\s*|[-/])(?:19|20|')?\d{{2}})"
)
"""Day, month and year: 12-03-1985, 12/3/'85, 1985-03-12, 12 maart 1985, 12-mrt-1985."""
COMPACT_DATE = rf"\b(?:(?:19|20)\d\d{MONTH}{DAY}|{DAY}{MONTH}(?:19|20)\d\d)\b"
"""A date as exports write it (19850312, 12031985): only after a birth cue."""
BIRTH_CUE = (
    r"\b(?:geb(?:oren|\.|\b)|geboortedatum|geboortedag|geboortejaar|geb\.?\s*datum"
    r"|d\.?o\.?b\.?|date\s+of\s+birth|born|birthday|verjaardag)|°|\*"
)
AGE = (
    r"\d{1,3}\s*(?:jaar|jr\.?|j\.)(?:\s+oud)?|leeftijd\s*:?\s*\d{1,3}|\d{1,3}-jarige?"
    r"|\b(?:jongen|meisje|man|vrouw|kind|jongere|zoon|dochter|tiener)\s+van\s+\d{1,3}\b"
)
"""An age: "16 jaar", "leeftijd 16", "16-jarige", "jongen van 16"."""
BIRTH_DATE = re.compile(
    rf"(?:{BIRTH_CUE})\W{{0,3}}(?:(?:\w+\W+){{0,3}}?(?:{DATE}|{COMPACT_DATE})"
    r"|(?:in\s+|op\s+|jaar\W{0,2})?(?:19|20)\d{2}\b)"
    rf"|{DATE}\W{{0,3}}\(?(?:{BIRTH_CUE})"
    rf"|(?:{AGE})\W{{1,4}}{DATE}|{DATE}\W{{1,4}}(?:{AGE})",
    re.IGNORECASE,
)
"""A date (or a year, also 'geb. jaar 2009') after a birth cue, a date before one, or a date
beside an age."""


def _sidecodes() -> re.Pattern[str]:
    """Every Dutch licence-plate sidecode (L letter, 9 digit), dashes optional, any case."""
    codes = (
        "LL-99-99 99-99-LL 99-LL-99 LL-99-LL LL-LL-99 99-LL-LL 99-LLL-9 9-LLL-99 "
        "LL-999-L L-999-LL LLL-99-L L-99-LLL 9-LL-999 999-LL-9"
    ).split()
    parts = []
    for code in codes:
        groups = [g.replace("L", "[A-Za-z]").replace("9", r"\d") for g in code.split("-")]
        upper = [g.replace("[A-Za-z]", "[A-Z]") for g in groups]
        parts += ["-".join(groups), "".join(groups), " ".join(upper)]
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")


PLATE = _sidecodes()
CBS_CODE = re.compile(r"(?:GM|NL|PV|LD|CR)\d{4}", re.IGNORECASE)
PLATE_CUE = re.compile(
    r"\bkenteken\w*\W{1,3}(?=[\w\s-]{0,8}\d)(?=[\w\s-]{0,8}[A-Za-z])"
    + r"[\s-]?".join([r"[A-Za-z0-9]{1,3}"] * 3)
    + r"\b",
    re.IGNORECASE,
)
"""Three groups of letters and digits after "kenteken", with a digit and a letter among them
("kenteken 7KUM77"; not "Kenteken: onbekend")."""


def has_email(text: str) -> bool:
    """An e-mail address, also as mailto:, spelled out ('naam [at] domein [dot] nl'), with
    '(@)' or '(a)', or with a space beside the '@'."""
    return EMAIL.search(text) is not None


def has_social_media(text: str) -> bool:
    """A handle (@naam), a profile URL or a labelled account ('snap: naam', 'insta naam')."""
    if any(p.search(text) for p in (PROFILE_URL, HANDLE, HANDLE_LABEL)):
        return True
    labelled = [m for m in PLAIN_LABEL.finditer(text) if _labelled_plainly(text, m)]
    labelled += QUOTED_ACCOUNT.finditer(text)
    return any(not lexicon.is_ordinary_word(match.group("account")) for match in labelled)


def _labelled_plainly(text: str, match: re.Match[str]) -> bool:
    """A plain label names an account when 'naam', 'account', 'als' or 'is' says so, or
    the name ends the phrase after anything but 'snap'."""
    if match.group("named").strip():
        return True
    return not match.group("snap") and PHRASE_END.match(text, match.end()) is not None


def has_iban(text: str) -> bool:
    """An IBAN, compact or in groups, any case, whose mod-97 check holds (stdnum)."""
    return any(
        _valid_iban(candidate)
        for match in IBAN_START.finditer(text)
        for candidate in _alphanumeric_runs(text, match.start())
    )


def _valid_iban(candidate: str) -> bool:
    """The IBAN checksum and the country's length hold (not each bank's own check)."""
    try:
        iban.validate(candidate, check_country=False)
    except ValidationError:
        return False
    return True


def _alphanumeric_runs(text: str, start: int) -> list[str]:
    """Runs from start (single spaces, dashes or dots between) of 15 to 34 characters ending
    at a word end: "NL91 ABNA ...", "NL 91 ABNA ...", "NL91.ABNA.0417..."."""
    found, compact, i = [], "", start
    while i < len(text) and len(compact) < 34:
        if text[i].isalnum():
            compact += text[i]
        elif not (text[i] in " -." and i + 1 < len(text) and text[i + 1].isalnum()):
            break
        i += 1
        if len(compact) >= 15 and (i == len(text) or not text[i].isalnum()):
            found.append(compact)
    return found


def has_bsn(text: str) -> bool:
    """Nine digits, plain or grouped with dots, spaces or dashes, passing the 11-check."""
    for match in BSN_CANDIDATE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) == 9 and bsn.is_valid(digits) and not _is_amount(text, *match.span()):
            return True
    return False


def _is_amount(text: str, start: int, end: int) -> bool:
    """The number at text[start:end] is an amount of money (a € sign, 'EUR' or 'euro')."""
    return bool(AMOUNT_BEFORE.search(text[max(0, start - 6) : start])) or bool(
        AMOUNT_AFTER.match(text, end)
    )


def has_phone(text: str) -> bool:
    """A personal phone number, Dutch or international (not 0800/0900-type service lines).

    phonenumbers finds them in text, Dutch or foreign; a Dutch pattern adds the spellings
    and area codes it skips ("06.12.34.56.78", "0031-6-1234...").
    """
    found = [
        match.number
        for match in PhoneNumberMatcher(text, "NL", leniency=phonenumbers.Leniency.VALID)
        if not DATE_LIKE.search(match.raw_string)
    ]
    if any(_dutch_number_shape(match) for match in DUTCH_PHONE.finditer(text)):
        return True
    return any(
        phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number) not in NOT_PERSONAL_LINES
        for number in found
    )


def _dutch_number_shape(match: re.Match[str]) -> bool:
    """Ten digits from 0 (or +31/0031 and nine) that phonenumbers calls a valid Dutch number
    (so "0123456789" or "0000123456" are reference numbers, not phones), or a mobile number
    from 06 in a range not given out yet ("06-98765432" is still written as one); dates and
    0800/090x service lines excepted."""
    digits = re.sub(r"\D", "", match.group(2))
    if match.group(1) == "0" and digits.startswith("0"):  # "00...": no Dutch number
        return False
    national = "0" + digits.removeprefix("0")
    if DATE_LIKE.search(match.group()) or national.startswith(("0800", "090")):
        return False
    mobile = national.startswith("06")
    return mobile or phonenumbers.is_valid_number(phonenumbers.parse(national, "NL"))


def has_postcode_with_house_number(text: str) -> bool:
    """A six-position postcode with a house number, or one written compact or in capitals."""
    for match in POSTCODE.finditer(text):
        if not postcode.is_valid(match.group()):
            continue
        spaced_lower = " " in match.group() and match.group(2).islower()
        word = match.group(2) in TWO_LETTER_WORDS or match.group(2).upper() in UNITS
        if spaced_lower and word:  # "in 2023 en 2024", "1500 kw"
            continue
        house = HOUSE_NUMBER_BEFORE.search(text[: match.start()]) or POSTCODE_HOUSE.match(
            text, match.start()
        )
        unit = match.group(2).upper() in UNITS  # "5000 MW", "1500 KG"
        if house or not (spaced_lower or unit):
            return True
    return False


def has_licence_plate(text: str) -> bool:
    """A Dutch licence plate of any sidecode, with or without dashes, any case.

    A CBS municipality code (GM0758) has the shape of sidecode 1 without dashes: it passes.
    """
    return any(not CBS_CODE.fullmatch(m.group()) for m in PLATE.finditer(text)) or bool(
        PLATE_CUE.search(text)
    )


def has_ip_address(text: str) -> bool:
    """An IPv4 or IPv6 address, also zero-padded ("192.168.001.010"), validated by
    ipaddress; amounts with a € sign and version numbers ("versie 1.2.3.4") pass."""
    for match in (*IPV4.finditer(text), *IPV6.finditer(text)):
        if _is_amount(text, *match.span()) or VERSION_BEFORE.search(text, 0, match.start()):
            continue
        if _network(match.group(), PREFIX_LENGTH.match(text, match.end())):
            continue
        candidate = match.group()
        if "." in candidate:  # ipaddress refuses zero-padded parts
            candidate = ".".join(part.lstrip("0") or "0" for part in candidate.split("."))
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            continue
        return True
    return False


def _network(address: str, prefix: re.Match[str] | None) -> bool:
    """A network with its prefix length ("10.0.0.0/8", "2001:db8::/32"): no one's address."""
    if prefix is None:
        return False
    try:
        ipaddress.ip_network(f"{address}{prefix.group()}", strict=True)
    except ValueError:
        return False
    return True


def has_date_of_birth(text: str) -> bool:
    """A date with a birth cue ('geboren', 'geb.', 'DOB', ...) or with an age beside it."""
    return BIRTH_DATE.search(text) is not None
