"""Person names in Dutch text: deduce finds them, our filters drop streets, places and venues.

deduce (de-identification of Dutch text) knows Dutch first names, surnames, particles,
initials and titles, and the context that makes a word a name. It also takes the person
in "Frederik Hendrikbuurt", "Prins Hendrikkade" or "de burgemeester van Breda" for a
person, so a finding is dropped when it is part of a street, neighbourhood, venue or
organisation name, or is nothing but a particle and a place (``places``); and a lone name that opens
a sentence and is also a surname ("Zomer", "Vos") needs a verb such as "belde" after it.
Our own rules add what it misses: lower-case names ("sanne de vries"), a name outside its
lists after a role word or title ("buurman Xandro", "mevrouw van der Linden"), with
particles ("Ecrin de Gruil"), after "genaamd", "heet" or "naam:", and "Jansen, J.".
"""

from __future__ import annotations

import re

from samenbeeld.platform.privacy import lexicon
from samenbeeld.platform.privacy.lexicon import PARTICLES, TITLES, WORD, is_common, is_place, lookup
from samenbeeld.platform.privacy.places import part_of_place

ROLE_WORDS = (
    r"buurman|buurvrouw|buren|collega|zoon|dochter|vader|moeder|broer|zus|zuster|oom|tante"
    r"|neef|nicht|vriend|vriendin|opa|oma|jongen|meisje|jongeman|man|vrouw|melder|bewoner"
    r"|bewoonster|verdachte|slachtoffer|jongere|klant|cliënt|client|leerling|wijkagent"
    r"|agent|boa|handhaver|medewerker|medewerkster|contactpersoon|coördinator|coordinator"
    r"|leraar|lerares|docent|juf|meester|dokter|huisarts|patiënt|patient|eigenaar|huurder"
    r"|beheerder|organisator|influencer|streamer|vlogger|rapper|zanger|zangeres|dader"
    r"|getuige|aangever|minderjarige|kind|baby|partner|echtgenoot|echtgenote|ex"
)
TITLE_WORDS = r"dhr|mevr|mw|hr|mr|dr|drs|ir|ing|prof|meneer|mevrouw|de\s+heer|familie|fam"
ROLE_THEN_NAME = re.compile(
    rf"\b(?i:{ROLE_WORDS}|{TITLE_WORDS})\.?\s+(?i:(?:van|de|der|den|ter|ten|el)\s+)*"
    r"([A-Z][a-zà-ÿ'-]+)(?![A-Za-zÀ-ÿ])"
)
PARTICLE_NAME = re.compile(
    r"\b([A-Z][a-zà-ÿ]{2,})\s+(?:(?:van|de|der|den|ter|ten|te|el|al)\s+){1,3}"
    r"([A-Z][a-zà-ÿ'-]{2,})(?![A-Za-zÀ-ÿ])"
)
"""A capitalised word, particles and a capitalised word: "Ecrin de Gruil", "Raad van State"."""
SURNAME_COMMA_INITIALS = re.compile(r"\b([A-Z][a-zà-ÿ'-]{2,}),\s*(?:[A-Z]\.\s?){1,4}")
"""A list entry: "Jansen, J.", "Bakker, M.A."."""
NAMING_CUE = re.compile(
    r"\b(?i:genaamd|heet|heette|naam\s*(?::|is|was)|contactpersoon\s*:|roepnaam|alias"
    r"|bijnaam|aka|a\.k\.a\.)\s+([A-ZÀ-Þ][A-Za-zÀ-ÿ'-]+)"
)
ACTION_VERB = re.compile(
    r"\s+(?:zei|zegt|belde|belt|kwam|komt|ging|gaat|liep|loopt|meldde|meldt|vertelde|vertelt"
    r"|sprak|heeft|had|wil|wilde|woont|woonde|werd|wordt|zat|stond|gaf|deed|vroeg)\b"
)
ENGLISH_STOP_WORDS = frozenset(
    """the and of to a an is are with on that for by or be it as at from this which their
    they its was were has have not can may will would should each per than""".split()
)
DEDUCE_SKIPS = frozenset(
    {
        "dates", "ages", "identifiers", "phone_numbers", "email_addresses", "urls",
        "redactor", "surname_lookup",
    }
)  # fmt: skip
"""deduce's processors we do not use: patterns.py does these better, and a lone capitalised
surname ("Oud en Nieuw", "De Groot" as a shop) is more often a word than a person."""


def has_name(text: str) -> bool:
    """A person's name in text (a bare word only when it is a known first name)."""
    words = WORD.findall(text)
    if len(words) == 1 and words[0] == text.strip() and words[0][:1].isupper():
        word = words[0]
        return [word] in lookup("first_name") and not is_common(word) and not is_place(word)
    english = _looks_english(words)
    return (
        _deduce_finds_person(text, english)
        or _context_finds_person(text)
        or (not english and _lower_case_name(words))
    )


def _deduce_finds_person(text: str, english: bool) -> bool:
    """deduce tags a person that is no street, place, venue or organisation.

    deduce is made for Dutch: in English text ("King's Day", "Take the decisions") its
    lookup of a lone first name is unreliable, so there only names of two words or more
    (or with a title or initials) count.
    """
    document = lexicon.deduce_model().deidentify(text, disabled=DEDUCE_SKIPS)
    return any(
        "persoon" in a.tag
        and not (english and (len(WORD.findall(a.text)) == 1 or a.text[:2] in ("A ", "I ")))
        and not _ordinary_first_word(text, a.start_char, a.end_char)
        and not part_of_place(text, a.start_char, a.end_char)
        for a in document.annotations
    )


def _ordinary_first_word(text: str, start: int, end: int) -> bool:
    """A lone name that opens a sentence and is also a surname, so likely a capitalised
    word ("Zomer", "Vos", "Roos"), unless an action verb follows ("Kees belde")."""
    word = text[start:end]
    opens = not text[:start].strip() or text[:start].rstrip()[-1] in ".!?:;"
    verb = ACTION_VERB.match(text, end) is not None
    return opens and not verb and WORD.fullmatch(word) is not None and [word] in lookup("surname")


def _looks_english(words: list[str]) -> bool:
    """More English than Dutch function words (the shipped templates are in English)."""
    english = sum(w.lower() in ENGLISH_STOP_WORDS for w in words)
    return english > sum(w.lower() in lookup("stop_word") for w in words)


def _context_finds_person(text: str) -> bool:
    """A capitalised word after a role word, a name with particles, a word after a naming cue."""
    for match in ROLE_THEN_NAME.finditer(text):
        word = match.group(1)
        ordinary = word.lower() in TITLES or is_common(word) or is_place(word)
        if not ordinary and not part_of_place(text, *match.span(1)):
            return True
    for match in PARTICLE_NAME.finditer(text):
        first, last = match.group(1), match.group(2)
        ordinary = any(is_common(w) or is_place(w) for w in (first, last))
        if not ordinary and not part_of_place(text, *match.span()):
            return True
    cued = [*NAMING_CUE.finditer(text), *SURNAME_COMMA_INITIALS.finditer(text)]
    return any(not (is_common(m.group(1)) or is_place(m.group(1))) for m in cued)


def _lower_case_name(words: list[str]) -> bool:
    """A lower-case first name, optional particles, then a surname ('jan de vries').

    After a particle the surname may be one deduce does not know, if no common Dutch word.
    """
    for i, word in enumerate(words[:-1]):
        name = word.title()
        if not word.islower() or [name] not in lookup("first_name") or is_common(word):
            continue
        rest = words[i + 1 :]
        while rest[:1] and rest[0].lower() in PARTICLES:
            rest = rest[1:]
        particle = len(rest) < len(words) - i - 1
        surname = rest[0] if rest and rest[0].islower() and not is_common(rest[0]) else ""
        if (particle and len(surname) > 2) or [surname.title()] in lookup("surname"):
            return True
    return False
