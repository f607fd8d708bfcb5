"""Person names in Dutch text: deduce finds them, our filters drop streets, places and venues.

deduce (de-identification of Dutch text) knows Dutch first names, surnames, particles,
initials and titles, and the context that makes a word a name. It also takes the person
in "Frederik Hendrikbuurt", "Prins Hendrikkade" or "de burgemeester van Breda" for a
person, so a finding is dropped when it is part of a street, neighbourhood, venue or
organisation name, or is nothing but a particle and a place (``places``); and a lone
surname that opens a sentence ("Zomer", "De Doelen", "Bij de Dam") needs a verb such as
"belde" after it. Our own rules add what it misses: lower-case names (``lower_case``),
a name outside its lists after a role word or title
("buurman Xandro", "stagiaire Fleur", "mevrouw van der Linden"), a known surname after an
office ("burgemeester Halsema", not "wethouder Jeugd"), particles ("Ecrin de Vries",
"Ecrin de Gruil", not "Wetboek van Strafrecht"), a word after "genaamd", "heet" or "naam:"
(not "de stichting heet ..."), "Jansen, J.", letters that only foreign names use
("Şahin", "Petrović") and first names with accents deduce does not know ("Féline").
"""

from __future__ import annotations

import re

from samenbeeld.platform.privacy import lexicon
from samenbeeld.platform.privacy.lexicon import (
    ENGLISH_STOP_WORDS,
    PARTICLES,
    TITLE_WORDS,
    TITLES,
    WORD,
    is_common,
    is_first_name,
    is_place,
    lookup,
    unaccented,
)
from samenbeeld.platform.privacy.lower_case import has_lower_case_name
from samenbeeld.platform.privacy.places import part_of_place
from samenbeeld.platform.privacy.windows import windows

ROLE_WORDS = (
    r"buurman|buurvrouw|buren|collega|zoon|dochter|vader|moeder|broer|zus|zuster|oom|tante"
    r"|neef|nicht|vriend|vriendin|opa|oma|jongen|meisje|jongeman|man|vrouw|melder|bewoner"
    r"|bewoonster|verdachte|slachtoffer|jongere|klant|cliënt|client|leerling|wijkagent"
    r"|agent|boa|handhaver|medewerker|medewerkster|contactpersoon|coördinator|coordinator"
    r"|leraar|lerares|docent|juf|meester|dokter|huisarts|patiënt|patient|eigenaar|huurder"
    r"|beheerder|organisator|influencer|streamer|vlogger|rapper|zanger|zangeres|dader"
    r"|getuige|aangever|minderjarige|kind|baby|partner|echtgenoot|echtgenote|ex"
    r"|stiefvader|stiefmoeder|pleegvader|pleegmoeder|broertje|zusje|neefje|nichtje|vriendje"
    r"|klasgenoot|klasgenote|scholier|stagiair|stagiaire|deelnemer|deelneemster|vrijwilliger"
    r"|vrijwilligster|begeleider|begeleidster|mentor|coach|jongerenwerker|jongerenwerkster"
    r"|straatcoach|casemanager|casusregisseur|zaakbehandelaar|behandelaar|hulpverlener"
    r"|notulist|aanvrager|aanvraagster|huurster|verhuurder|eigenares|uitbater|buurtbewoner"
    r"|buurtbewoonster|rechercheur|agente|wijkagente|jeugdboa|beveiliger|conciërge|voogd"
    r"|gezinsvoogd|jeugdbeschermer|consulent|leerplichtambtenaar|tiener|puber|student|studente"
    r"|verbalisant|hoofdagent|brigadier"
)
"""Words for a person that a name follows directly ("buurman Xandro", "stagiaire Fleur")."""
OFFICE_WORDS = "|".join(sorted(lexicon.OFFICES))
"""Offices that a portfolio follows as often as a name ("wethouder Jeugd"): only a surname or
first name deduce knows counts after them ("burgemeester Halsema", "Geachte heer Bosman")."""
ROLE_THEN_NAME = re.compile(
    rf"\b(?i:(?P<role>{ROLE_WORDS}|{TITLE_WORDS})|(?P<group>(?:{ROLE_WORDS})(?:'s|s|en))"
    rf"|{OFFICE_WORDS})\.?\s+"
    r"(?P<particles>(?i:(?:van|de|der|den|ter|ten|el)\s+)*)"
    r"(?P<name>[^\W\d_](?:[^\W\d_]|['-])*)"
)
PARTICLE_NAME = re.compile(
    r"\b([A-Z][a-zà-ÿ]{2,})\s+((?:(?:van|de|der|den|ter|ten|te|el|al)\s+){1,3})"
    r"([A-Z][a-zà-ÿ'-]{2,})(?![A-Za-zÀ-ÿ])"
)
"""A capitalised word, particles and a capitalised word: "Ecrin de Gruil", "Raad van State"."""
SURNAME_COMMA_INITIALS = re.compile(r"\b([A-Z][a-zà-ÿ'-]{2,}),\s*(?:[A-Z]\.\s?){1,4}")
"""A list entry: "Jansen, J.", "Bakker, M.A."."""
NAMING_CUE = re.compile(
    r"\b(?i:genaamd|heet|heette|(?:achter|voor|roep)?naam\s*(?::|is|was)|roepnaam|alias"
    r"|bijnaam|aka|a\.k\.a\.|(?:contactpersoon|melder|aangever|aangeefster|betrokkene"
    r"|verdachte|slachtoffer|getuige)\s*:)\s+"
    r"(?P<particles>(?i:(?:van|de|der|den|ter|ten|el|in 't|van 't)\s+)*)"
    r"(?P<name>[A-ZÀ-Þ][A-Za-zÀ-ÿ'-]+)"
)
"""A name after a naming word or a person's label: "genaamd Tjeerd", "Melder: Van den Bosch",
"Achternaam: de Bruin"."""
LISTED_NAMES = re.compile(
    r"(?im)^\s*(?:aanwezig|afwezig|deelnemers|genodigden|uitgenodigd|aan|cc|bcc|van"
    r"|verzonden\s+door|opgesteld\s+door|auteurs?|notulist)\b[^:\n]{0,40}:(?P<names>[^\n.;:]+)"
)
"""A line that lists people after a label: "Aanwezig namens de politie: Van Rijn, Bouzerda
en Hofman", "Cc: Bakker"."""
SELF_NAMED = re.compile(r"\b(?:[Ii]k|[Ww]ij),\s+(?P<name>[A-ZÀ-Þ][a-zà-ÿ'-]+),")
"""The writer of a report naming themself: "Op 4 mei hoorde ik, Koster, een knal"."""
THING_WORDS = frozenset(
    """stichting project app programma evenement groep account wijk straat buurt school team
    campagne film video boek spel game platform website organisatie bedrijf club vereniging
    festival actie operatie plan winkel zaak locatie pand gebouw kanaal pagina""".split()
)
"""Subjects of 'heet' or 'genaamd' that make the name after it no person's."""
FOREIGN_NAME_LETTERS = re.compile(r"[şğıćčžšłńőűřęąđțșŞĞİĆČŽŠŁŃŐŰŘĘĄĐȚȘ]")
"""Letters of Turkish, Slavic, Polish or Romanian names that Dutch words do not use."""
FOREIGN_SURNAME_END = re.compile(
    r"(?:escu|eanu|ović|ovic|ević|evic|ski|ska|sky|cki|cka|czyk|enko|chuk|opoulos|idis|akis"
    r"|oğlu|oglu|zadeh|yan)$"
)
"""Ends of Romanian, Slavic, Greek, Turkish, Persian and Armenian surnames that deduce's
Dutch lists miss ("Popescu", "Kovalenko", "Petrovic")."""
ACTION_VERB = re.compile(
    r"\s+(?:zei|zegt|belde|belt|kwam|komt|ging|gaat|liep|loopt|meldde|meldt|vertelde|vertelt"
    r"|sprak|heeft|had|wil|wilde|woont|woonde|werd|wordt|zat|stond|gaf|deed|vroeg|kwamen"
    r"|gingen|zeiden|appte|stuurde|kreeg|krijgt|moest|kon|mocht|bleef|reed|rende|sloeg"
    r"|en\s+(?:haar|zijn|z'n|d'r))\b"
)
MARKED_NAME = re.compile(
    r"(?<![\w-])(?P<first>[A-ZÀ-Þ][a-zà-ÿ'-]{2,})(?:\s+(?P<last>[A-ZÀ-Þ][a-zà-ÿ'-]{2,}))?"
    r"(?=(?P<age>\s*\(\d{1,2}\)|,\s*\d{1,2}\s*(?:jaar|jr)\b)"
    r"|\s+(?:woont|woonde|appte|en\s+(?:zijn|haar|z'n|d'r)\s+(?:broer|broertje|zus|zusje"
    r"|moeder|vader|ouders|vriend|vriendin|vrouw|man|zoon|dochter|kinderen)\b))"
)
"""A name outside deduce's lists that what follows marks as a person: an age ("Tesfay
(15)", "Ecrin Gruil, 16 jaar"), or, after two words, what only people do or have ("Tesfay
Gebremedhin woont", "... en zijn broer"); organisations also say and call ("Tata Steel
verklaarde"), so those verbs do not count."""
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
        return is_first_name(word) and not is_common(word) and not is_place(word)
    english = _looks_english(words)
    return (
        _deduce_finds_person(text, english)
        or _context_finds_person(text)
        or (not english and has_lower_case_name(text, words))
    )


def _known_name(word: str) -> bool:
    """A first name or surname deduce knows (also one that follows a particle: "Amrani")."""
    return is_first_name(word) or [word] in lookup("surname") or word in lookup("interfix_surname")


def _deduce_finds_person(text: str, english: bool) -> bool:
    """deduce tags a person that is no street, place, venue or organisation.

    deduce is made for Dutch: in English text ("King's Day", "Take the decisions") its
    lookup of a lone first name is unreliable, so there only names of two words or more
    (or with a title or initials) count. A long text goes to deduce in bounded windows
    (``windows``); the filters look at the whole text around each finding.
    """
    model = lexicon.deduce_model()
    return any(
        "persoon" in a.tag
        and not (english and (len(WORD.findall(a.text)) == 1 or a.text[:2] in ("A ", "I ")))
        and not _ordinary_first_word(text, offset + a.start_char, offset + a.end_char)
        and not part_of_place(text, offset + a.start_char, offset + a.end_char)
        for offset, window in windows(text)
        for a in model.deidentify(window, disabled=DEDUCE_SKIPS).annotations
    )


def _ordinary_first_word(text: str, start: int, end: int) -> bool:
    """A lone surname that opens a sentence, so likely a capitalised word ("Zomer", "Vos"),
    also after particles or a preposition ("De Doelen", "Bij de Dam"), unless an action
    verb follows ("Kees belde", "De Vries belde")."""
    spanned = WORD.findall(text[start:end])
    lead = 0
    while lead < len(spanned) - 1 and (
        spanned[lead].lower() in PARTICLES or spanned[lead].lower() in lookup("stop_word")
    ):
        lead += 1
    opens = not text[:start].strip() or text[:start].rstrip()[-1] in ".!?:;"
    if len(spanned) - lead != 1 or not opens or ACTION_VERB.match(text, end):
        return False
    word = spanned[lead]
    return [word] in lookup("surname") or (lead > 0 and word in lookup("interfix_surname"))


def _looks_english(words: list[str]) -> bool:
    """More English than Dutch function words (the shipped templates are in English);
    words of both languages ("in", "of", "had") count for neither."""
    lowered = [w.lower() for w in words]
    dutch = [w for w in lowered if w in lookup("stop_word")]
    english = sum(w in ENGLISH_STOP_WORDS and w not in dutch for w in lowered)
    return english > sum(w not in ENGLISH_STOP_WORDS for w in dutch)


def _context_finds_person(text: str) -> bool:
    """A name after a role word or title, a name with particles, a word after a naming cue,
    "Jansen, J.", a name with an age or a person's verb after it, a surname in a list of
    people or after "ik, ", or a foreign name."""
    return (
        any(_role_then_name(text, match) for match in ROLE_THEN_NAME.finditer(text))
        or any(_particle_name(text, match) for match in PARTICLE_NAME.finditer(text))
        or any(_named(text, match) for match in NAMING_CUE.finditer(text))
        or any(_plain_name(m.group(1)) for m in SURNAME_COMMA_INITIALS.finditer(text))
        or any(_marked(text, match) for match in MARKED_NAME.finditer(text))
        or any(_listed(match.group("names")) for match in LISTED_NAMES.finditer(text))
        or any(_self_named(match.group("name")) for match in SELF_NAMED.finditer(text))
        or _foreign_name(text)
        or _accentedis_first_name(text)
    )


def _plain_name(word: str) -> bool:
    """No common word, title or place."""
    return not (word.lower() in TITLES or is_common(word) or is_place(word))


def _surname_after(particles: str, word: str) -> bool:
    """A surname after particles: no common word unless a surname deduce knows after a
    particle of names ("Van der Meer", "de Jong"), and a place only after another particle
    than "van" ("De Vries" is a name, "van Breda" a place)."""
    if not word[:1].isupper() or word.lower() in TITLES:
        return False
    if is_common(word) and not (_name_particles(particles) and _known_name(word)):
        return False
    return not is_place(word) or (bool(particles) and particles.split()[0] != "van")


def _name_particles(particles: str) -> bool:
    """Particles that belong to a surname rather than mean 'of': capitalised ("Van Dam")
    or more than "van" and "van de"/"van het" ("van der", "de", "ter")."""
    words = particles.split()
    return bool(words) and (
        particles[:1].isupper() or words[0] != "van" or words[1:2] in (["der"], ["den"], ["'t"])
    )


def _role_then_name(text: str, match: re.Match[str]) -> bool:
    """After a role word or title any name that is no word or place; after an office (which
    a portfolio may follow: "minister van Justitie") a name deduce knows or one after a
    capitalised particle ("wethouder De Vries")."""
    name, particles, role = match.group("name"), match.group("particles"), match.group("role")
    office = not role  # offices and plurals ("de bewoners van de Kayring")
    known = _known_name(name) or FOREIGN_NAME_LETTERS.search(name)
    if office and (particles and not _name_particles(particles) or not known):
        return False
    titled_surname = bool(role and re.fullmatch(TITLE_WORDS, role, re.IGNORECASE)) and (
        not particles and [name] in lookup("surname")
    )  # "familie Achterberg", "mevrouw Kampen": places that are surnames too
    return (titled_surname or _surname_after(particles, name)) and not part_of_place(
        text, *match.span("name"), titled=True
    )


def _particle_name(text: str, match: re.Match[str]) -> bool:
    """A capitalised word, particles and a capitalised word, none an ordinary word or place,
    and one of them a name deduce knows ("Ecrin de Vries"); with two unknown words the
    particle must be more than "van" ("Ecrin de Gruil", not "Wetboek van Strafrecht")."""
    first, particles, last = match.groups()
    if not (_plain_name(first) and _surname_after(particles, last)):
        return False
    known = (
        is_first_name(first) or [last] in lookup("surname") or last in lookup("interfix_surname")
    )
    return (known or particles.split() != ["van"]) and not part_of_place(text, *match.span())


def _named(text: str, match: re.Match[str]) -> bool:
    """A word after "genaamd", "heet", ... unless a thing is named ("de stichting heet")."""
    subject = WORD.findall(text[max(0, match.start() - 30) : match.start()])[-3:]
    thing = any(w.lower() in THING_WORDS for w in subject)
    particles = match.group("particles")
    named = _surname_after(particles, match.group("name")) if particles else None
    return not thing and (named if named is not None else _plain_name(match.group("name")))


def _marked(text: str, match: re.Match[str]) -> bool:
    """A word (with an age after it) or two words (``MARKED_NAME``), none an ordinary word,
    title or place, and no street, venue or organisation."""
    if not (match.group("age") or match.group("last")):
        return False
    found = [w for w in (match.group("first"), match.group("last")) if w]
    return all(map(_plain_name, found)) and not part_of_place(text, *match.span())


def _listed(names: str) -> bool:
    """One of the listed items is a lone surname or first name deduce knows, particles
    aside, and no ordinary word or place ("Hofman" in "Van Rijn, Bouzerda en Hofman")."""
    for item in re.split(r",|&|/|\ben\b", names):
        core = [w for w in WORD.findall(item) if w.lower() not in PARTICLES | TITLES]
        if len(core) == 1 and core[0][:1].isupper() and _known_name(core[0]):
            if _plain_name(core[0]):
                return True
    return False


def _self_named(word: str) -> bool:
    """A name after "ik, ": no ordinary word, place, role or office ("Ik, Verbalisant,")."""
    role = re.fullmatch(f"{ROLE_WORDS}|{OFFICE_WORDS}", word, re.IGNORECASE)
    return _plain_name(word) and role is None


def _foreign_name(text: str) -> bool:
    """Two capitalised words, one with letters only foreign names use ("Kübra Şahin",
    "Miloš Petrović") or the second with a foreign surname's end ("Ioana Popescu"); a lone
    such word may be a foreign place ("in Şanlıurfa")."""
    words = [m for m in WORD.finditer(text) if m.group()[:1].isupper()]
    return any(
        (
            FOREIGN_NAME_LETTERS.search(first.group() + last.group())
            or FOREIGN_SURNAME_END.search(last.group())
        )
        and text[first.end() : last.start()].isspace()
        and all(_plain_name(m.group()) for m in (first, last))
        and not part_of_place(text, first.start(), last.end())
        for first, last in zip(words, words[1:], strict=False)
    )


def _accentedis_first_name(text: str) -> bool:
    """A capitalised word with diacritics that deduce knows as a first name without them
    ("Wil je Féline even bellen"): deduce itself looks names up as written."""
    return any(
        word[:1].isupper()
        and not word.isascii()
        and [unaccented(word)] in lookup("first_name")
        and _plain_name(word)
        and not part_of_place(text, *match.span())
        for match in WORD.finditer(text)
        if not (word := match.group()).isascii()
    )
