"""Person names in Dutch text: deduce finds them, our filters drop streets, places and venues.

deduce (de-identification of Dutch text) knows Dutch first names, surnames, particles,
initials and titles, and the context that makes a word a name. It also takes the person
in "Frederik Hendrikbuurt", "Prins Hendrikkade" or "de burgemeester van Breda" for a
person, so a finding is dropped when it is part of a street, neighbourhood, venue or
organisation name, or is nothing but a particle and a place; and a lone name that opens
a sentence and is also a surname ("Zomer", "Vos") needs a verb such as "belde" after it.
Our own rules add what it misses: lower-case names ("sanne de vries"), a name outside its
lists after a role word or title ("buurman Xandro", "mevrouw van der Linden"), with
particles ("Ecrin de Gruil"), after "genaamd", "heet" or "naam:", and "Jansen, J.".

deduce builds its lookup structures once (minutes) and loads them per process (seconds):
``python -m samenbeeld.platform.privacy`` builds them at install time (the Makefile does).
"""

from __future__ import annotations

import functools
import re
import threading
from typing import Any

from samenbeeld.platform.registry import load_registry

PARTICLES = frozenset("van de der den het 't ter ten te in op d' la le du da di el al bin".split())
TITLES = frozenset("dhr mevr mw mr hr dr drs ir ing prof meneer mevrouw heer juf".split())
PLACE_SUFFIXES = (
    "straat", "laan", "weg", "kade", "plein", "gracht", "singel", "park", "buurt", "wijk",
    "dreef", "pad", "steeg", "plantsoen", "stadion", "kwartier", "markt", "baan", "allee",
    "boulevard", "passage", "school", "college", "theater", "museum", "arena", "lyceum",
    "gymnasium", "fonds", "ziekenhuis", "kliniek", "centrum", "zaal", "hal", "kerk",
)  # fmt: skip
"""Ends of compound street, neighbourhood and venue names ("Hendrik|buurt", "Prinsen|laan")."""
SURNAME_SUFFIXES = ("wijk", "weg", "steeg", "baan", "pad", "zaal", "hal")
"""Of those, the ends that many surnames share ("van Brunswijk", "Groeneweg", "Oversteeg")."""
VENUE_WORDS = frozenset(
    """stadion arena school college ziekenhuis centrum museum theater fonds stichting
    instituut universiteit hogeschool kazerne tunnel zaal moskee bibliotheek prijs lezing
    sporthal academie akademie kliniek ggz mc umc hotel restaurant fc vv club lyceum
    gymnasium bv nv vof cv groep holding royal zonen zn festival kermis toernooi marathon
    concert""".split()
)
"""Words that make the name before them a venue or organisation; none is also a surname."""
PLACE_WORDS = VENUE_WORDS | frozenset(
    "park plein laan straat kade weg gracht singel buurt wijk hal kerk brug tuin bos".split()
)
"""Words that, right after a name, make it a street, park or venue ("Anne Frank park");
inside a name they are surnames ("van Wijk", "van der Laan")."""
ORGANISATION_WORDS = frozenset(
    """stichting gemeente vereniging basisschool school sportpark park stadion wijk buurt
    straat plein winkelcentrum theater museum ziekenhuis college lyceum fc vv club
    supermarkt filiaal bedrijf firma project programma operatie restaurant snackbar café
    cafe eetcafé bakkerij slagerij kapsalon garage hotel winkel bar pizzeria apotheek
    autobedrijf bouwbedrijf kinderopvang camping sportschool sint st royal""".split()
)
PERSON_NAMED_ORGANISATIONS = (
    "albert heijn", "jan linders", "van der valk", "willem ii", "erasmus", "jeroen bosch",
    "max havelaar", "anne frank", "johan cruijff", "abe lenstra", "van gogh", "rembrandt",
    "rat verlegh", "koning willem", "prins bernhard", "prinses amalia", "juliana", "beatrix",
    "willem-alexander", "máxima", "de kuip", "zwarte piet", "sinterklaas",
)  # fmt: skip
"""Organisations, venues and royals whose names have the shape of a person's name."""
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
WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'-]*")
DEDUCE_SKIPS = frozenset(
    {
        "dates", "ages", "identifiers", "phone_numbers", "email_addresses", "urls",
        "redactor", "surname_lookup",
    }
)  # fmt: skip
"""deduce's processors we do not use: patterns.py does these better, and a lone capitalised
surname ("Oud en Nieuw", "De Groot" as a shop) is more often a word than a person."""


_MODEL_LOCK = threading.Lock()


def deduce_model() -> Any:
    """deduce with its lookup structures (built once, then loaded from deduce's cache).

    Loaded once per process; a caller that comes while another thread loads it waits.
    """
    with _MODEL_LOCK:
        return _load_deduce()


@functools.cache
def _load_deduce() -> Any:
    """Load deduce (seconds, about 1 GB): only text checks need it."""
    from deduce import Deduce

    return Deduce()


@functools.cache
def _registry_names() -> frozenset[str]:
    """Lower-case names of the registry's municipalities, and Den Bosch ('s-Hertogenbosch)."""
    return frozenset(m.name.lower() for m in load_registry().members) | {"den bosch"}


def _lookup(name: str) -> Any:
    """One of deduce's lookup structures (first_name, surname, placename, street, ...)."""
    return deduce_model().lookup_structs[name]


def _is_place(word: str) -> bool:
    """A municipality of our registry or a place deduce knows."""
    return word.lower() in _registry_names() or [word] in _lookup("placename")


def _is_common(word: str) -> bool:
    """A common Dutch word or stop word in deduce's whitelist."""
    return word.lower() in _lookup("whitelist") or word.lower() in _lookup("stop_word")


PLATFORM_WORDS = frozenset(
    """account accounts pagina profiel video videos video's filmpje filmpjes story stories
    post posts reel reels live chat chats groep groepen kanaal bericht berichten foto fotos
    foto's app apps dm dms influencer influencers trend trends challenge challenges gebruiker
    gebruikers volgers likes content""".split()
)
"""Words that follow a platform's name in ordinary prose ("op TikTok filmpjes")."""
VERB_FORM = re.compile(
    r"(?:ge|be|ver|ont|her|aan|op|af|uit|in|mee|rond|door|over|weg|terug|vast|los|bij|na)"
    r"\w{2,}(?:d|t|en)"
)
"""The shape of a past participle or verb ("gedeeld", "verwijderd", "aangemaakt")."""


def is_ordinary_word(word: str) -> bool:
    """A Dutch word rather than an account name: common, a place, a platform word, a verb."""
    lowered = word.lower()
    return (
        _is_common(lowered)
        or lowered in PLATFORM_WORDS
        or VERB_FORM.fullmatch(lowered) is not None
        or _is_place(word.title())
    )


def has_name(text: str) -> bool:
    """A person's name in text (a bare word only when it is a known first name)."""
    words = WORD.findall(text)
    if len(words) == 1 and words[0] == text.strip() and words[0][:1].isupper():
        word = words[0]
        return [word] in _lookup("first_name") and not _is_common(word) and not _is_place(word)
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
    document = deduce_model().deidentify(text, disabled=DEDUCE_SKIPS)
    return any(
        "persoon" in a.tag
        and not (english and (len(WORD.findall(a.text)) == 1 or a.text[:2] in ("A ", "I ")))
        and not _ordinary_first_word(text, a.start_char, a.end_char)
        and not _part_of_place(text, a.start_char, a.end_char)
        for a in document.annotations
    )


def _ordinary_first_word(text: str, start: int, end: int) -> bool:
    """A lone name that opens a sentence and is also a surname, so likely a capitalised
    word ("Zomer", "Vos", "Roos"), unless an action verb follows ("Kees belde")."""
    word = text[start:end]
    opens = not text[:start].strip() or text[:start].rstrip()[-1] in ".!?:;"
    verb = ACTION_VERB.match(text, end) is not None
    return opens and not verb and WORD.fullmatch(word) is not None and [word] in _lookup("surname")


def _looks_english(words: list[str]) -> bool:
    """More English than Dutch function words (the shipped templates are in English)."""
    english = sum(w.lower() in ENGLISH_STOP_WORDS for w in words)
    return english > sum(w.lower() in _lookup("stop_word") for w in words)


def _part_of_place(text: str, start: int, end: int) -> bool:
    """The span is (part of) a street, place, venue or organisation name, not a person.

    deduce may join a name and the street after it ("Mohammed B. uit de Kerkstraat"): only
    the span up to its first lower-case word other than a particle is judged. A title
    ("mevrouw van Breda") marks a person, unless a street or venue word follows.
    """
    spanned = WORD.findall(text[start:end])
    skip = PARTICLES | TITLES
    cut = next((i for i, w in enumerate(spanned) if i and w.islower() and w not in skip), None)
    words = [w for w in spanned[:cut] if w.lower() not in TITLES]
    if not words:
        return False
    titled = len(words) < len(spanned[:cut])
    after = WORD.findall(text[end : end + 40])[:2] if cut is None else spanned[cut : cut + 1]
    before = WORD.findall(text[max(0, start - 40) : start])[-1:] + words[:1]
    if "&" in text[max(0, start - 3) : end + 3]:  # "de Vos & de Leeuw": a firm
        return True
    return bool(
        (not titled and _is_place_name(words))
        or _compound_place(words[-1], after_particle=len(words) > 1 and words[-2] in PARTICLES)
        or any(_compound_place(w) for w in after)
        or any(w.lower() in VENUE_WORDS for w in words)
        or any(w.lower() in PLACE_WORDS for w in after)
        or any(w.lower() in ORGANISATION_WORDS for w in before)
        or _known_organisation(before + words + after)
        or len(_lookup("street").longest_matching_prefix(words + after) or ()) > len(words)
    )


def _is_place_name(words: list[str]) -> bool:
    """Particles and places only ("van Breda"), or a place of several words ("Den Bosch")."""
    core = [w for w in words if w.lower() not in PARTICLES]
    if core and all(_is_place(w) for w in core):
        return True
    joined = " ".join(words)
    matched = _lookup("placename").longest_matching_prefix(words) or ()
    return len(matched) == len(words) or joined.lower() in _registry_names()


def _compound_place(word: str, after_particle: bool = False) -> bool:
    """A compound ending in a street or venue word ("Arskerk", "Prinsenlaan"), which is no
    surname deduce knows ("Verlaan"); for ends that surnames share, not after a particle."""
    lowered = word.lower()
    ending = next((s for s in PLACE_SUFFIXES if lowered.endswith(s)), "")
    if not ending or len(lowered) - len(ending) < 3:
        return False
    if after_particle and ending in SURNAME_SUFFIXES:
        return False
    return [word.split("-")[-1]] not in _lookup("surname")


def _known_organisation(words: list[str]) -> bool:
    """The words name an organisation or venue called after a person ("Albert Heijn")."""
    joined = " ".join(words).lower()
    return any(organisation in joined for organisation in PERSON_NAMED_ORGANISATIONS)


def _context_finds_person(text: str) -> bool:
    """A capitalised word after a role word, a name with particles, a word after a naming cue."""
    for match in ROLE_THEN_NAME.finditer(text):
        word = match.group(1)
        ordinary = word.lower() in TITLES or _is_common(word) or _is_place(word)
        if not ordinary and not _part_of_place(text, *match.span(1)):
            return True
    for match in PARTICLE_NAME.finditer(text):
        first, last = match.group(1), match.group(2)
        ordinary = any(_is_common(w) or _is_place(w) for w in (first, last))
        if not ordinary and not _part_of_place(text, *match.span()):
            return True
    cued = [*NAMING_CUE.finditer(text), *SURNAME_COMMA_INITIALS.finditer(text)]
    return any(not (_is_common(m.group(1)) or _is_place(m.group(1))) for m in cued)


def _lower_case_name(words: list[str]) -> bool:
    """A lower-case first name, optional particles, then a surname ('jan de vries').

    After a particle the surname may be one deduce does not know, if no common Dutch word.
    """
    for i, word in enumerate(words[:-1]):
        name = word.title()
        if not word.islower() or [name] not in _lookup("first_name") or _is_common(word):
            continue
        rest = words[i + 1 :]
        while rest[:1] and rest[0].lower() in PARTICLES:
            rest = rest[1:]
        particle = len(rest) < len(words) - i - 1
        surname = rest[0] if rest and rest[0].islower() and not _is_common(rest[0]) else ""
        if (particle and len(surname) > 2) or [surname.title()] in _lookup("surname"):
            return True
    return False
