"""Streets, places, venues and organisations that contain a person's name.

deduce takes the person in "Frederik Hendrikbuurt", "Prins Hendrikkade" or "de burgemeester
van Breda" for a person; :func:`part_of_place` says when a finding is (part of) such a name.
"""

from __future__ import annotations

import re

from samenbeeld.platform.privacy.lexicon import (
    OFFICES,
    PARTICLES,
    TITLES,
    WORD,
    is_common,
    is_place,
    lookup,
    registry_names,
)

PLACE_SUFFIXES = (
    "straat", "laan", "weg", "kade", "plein", "gracht", "singel", "park", "buurt", "wijk",
    "dreef", "pad", "steeg", "plantsoen", "stadion", "kwartier", "markt", "baan", "allee",
    "boulevard", "passage", "school", "college", "theater", "museum", "arena", "lyceum",
    "gymnasium", "fonds", "ziekenhuis", "kliniek", "centrum", "zaal", "hal", "kerk", "brug",
    "tunnel", "fabriek", "paviljoen", "kathedraal", "basiliek", "kapel", "haven", "huis",
    "complex", "gebouw", "monument", "ring", "hof",
)  # fmt: skip
"""Ends of compound street, neighbourhood and venue names ("Hendrik|buurt", "Prinsen|laan")."""
SURNAME_SUFFIXES = (
    "wijk", "weg", "steeg", "baan", "pad", "zaal", "hal", "huis", "haven", "hof", "ring",
)  # fmt: skip
"""Of those, the ends that many surnames share ("van Brunswijk", "Groeneweg", "Oversteeg")."""
VENUE_WORDS = frozenset(
    """stadion arena school college ziekenhuis centrum museum theater fonds stichting
    instituut universiteit hogeschool kazerne tunnel moskee bibliotheek prijs lezing
    sporthal academie akademie kliniek ggz mc umc hotel restaurant fc vv club lyceum
    gymnasium bv nv vof cv groep holding royal zonen zn festival kermis toernooi marathon
    concert foundation fabriek bridge court paviljoen award trophy cup memorial beveiliging
    catering transport techniek infra evenementen advocaten makelaardij makelaars schoonmaak
    verhuur logistiek installatietechniek accountants notarissen consultancy adviesbureau
    uitzendbureau bouwbedrijf bouwgroep""".split()
)
"""Words that make the name before them a venue or organisation ("Meijer Beveiliging", "De
Jong Catering"); none is also a surname."""
PLACE_WORDS = VENUE_WORDS | frozenset(
    """park plein laan straat kade weg gracht singel buurt wijk hal kerk brug tuin bos huis
    hof toren molen monument plaza square house hall center centre campus zaal station
    garden gardens street road lane avenue""".split()
)
"""Words that, right after a name, make it a street, park or venue ("Anne Frank park",
"Ronald McDonald Huis"); inside a name they are surnames ("van Wijk", "van der Laan")."""
ORGANISATION_WORDS = frozenset(
    """stichting gemeente vereniging basisschool school sportpark park stadion wijk buurt
    straat plein winkelcentrum theater museum ziekenhuis college lyceum fc vv club
    supermarkt filiaal bedrijf firma project programma operatie restaurant snackbar café
    cafe eetcafé bakkerij slagerij kapsalon garage hotel winkel bar pizzeria apotheek
    autobedrijf bouwbedrijf kinderopvang camping sportschool sint st royal speeltuin
    speelplaats obs cbs kbs rkbs pcbs sbo ikc kindcentrum buurthuis wijkhuis wijkcentrum
    buurtcentrum jongerencentrum zwembad poppodium kasteel fort paleis villa huize huis
    ministerie wetboek tour monument standbeeld kinderboerderij fonds foundation week nacht
    raad kamer lunchroom brasserie crêperie creperie bistro grillroom cafetaria ijssalon
    salon boutique studio atelier kapper barbershop nagelstudio dansschool rijschool praktijk
    tandarts drogisterij eethuis theehuis koffiebar coffeeshop shoarma kebab koninklijke
    sportcomplex bureau brouwerij""".split()
)
"""Words before a name (or opening it) that make it an organisation, venue or place."""
CLAUSE_END = re.compile(r"[,;:()\[\]]")
ARTICLE_BEFORE = re.compile(r"\b[Hh]et\s+$")
"""'het' right before a name: a school, building or venue ("het Jeroen Bosch"), no person."""
INSTITUTION_NOUNS = (
    ORGANISATION_WORDS
    | PLACE_WORDS
    | frozenset("dag maand jaar hof college prijs feest markt laan wet huis".split())
    | OFFICES
)
"""Nouns that open a name of the form noun, particle, name ("Raad van de Kinderbescherming")."""
PERSON_NAMED_ORGANISATIONS = (
    "albert heijn", "jan linders", "van der valk", "willem ii", "erasmus", "jeroen bosch",
    "max havelaar", "anne frank", "johan cruijff", "abe lenstra", "van gogh", "rembrandt",
    "rat verlegh", "koning willem", "prins bernhard", "prinses amalia", "juliana", "beatrix",
    "willem-alexander", "máxima", "de kuip", "zwarte piet", "sinterklaas",
    "dirk van den broek", "hans anders", "bakker bart", "pieter pot", "ronald mcdonald",
    "van nelle", "kröller-müller", "boijmans van beuningen", "joop van den ende",
    "sint-nicolaas", "sint nicolaas", "sint-maarten", "sint maarten", "prinses máxima",
    "prins claus", "koningin wilhelmina", "koningin emma", "koningin juliana", "abn amro",
    "delta lloyd",
)  # fmt: skip
"""Shops, brands, venues, saints and royals whose names have the shape of a person's name."""


def part_of_place(text: str, start: int, end: int, titled: bool = False) -> bool:
    """The span is (part of) a street, place, venue or organisation name, not a person.

    deduce may join a name and the street after it ("Mohammed B. uit de Kerkstraat"): only
    the span up to its first lower-case word other than a particle is judged. A title
    ("mevrouw van Breda") marks a person, unless a street or venue word follows; so does a
    role or title before the span (``titled``).
    """
    spanned = WORD.findall(text[start:end])
    skip = PARTICLES | TITLES
    cut = next((i for i, w in enumerate(spanned) if i and w.islower() and w not in skip), None)
    words = [w for w in spanned[:cut] if w.lower() not in TITLES]
    if not words:
        return False
    titled = titled or len(words) < len(spanned[:cut])
    clause_after = CLAUSE_END.split(text[end : end + 40])[0]  # not past "," or "("
    after = WORD.findall(clause_after)[:2] if cut is None else spanned[cut : cut + 1]
    clause_before = CLAUSE_END.split(text[max(0, start - 40) : start])[-1]  # not before ","
    preceding = [w for w in WORD.findall(clause_before) if w.lower() not in skip]
    before = preceding[-1:] + words[:1]
    leading = preceding[-1:] + words[:1] * (len(words) > 1)  # "Sportcomplex | Willem ..."
    if "&" in text[max(0, start - 3) : end + 3]:  # "de Vos & de Leeuw": a firm
        return True
    if ARTICLE_BEFORE.search(text, 0, start) and spanned[0] not in PARTICLES:
        return True  # "het Wolfert van Borselen", "het Pieter Baan Centrum": no person
    return bool(
        (not titled and _is_place_name(words))
        or _compound_place(words[-1], after_particle=len(words) > 1 and words[-2] in PARTICLES)
        or any(_compound_place(w) for w in after)
        or any(w.lower() in VENUE_WORDS for w in _outside_surname(words))
        or _place_word_after(after)
        or any(w.lower() in ORGANISATION_WORDS for w in before)
        or any(w[:1].isupper() and _compound_place(w) for w in leading)
        or _known_organisation(before + words + after)
        or any(w.lower().startswith(("sint-", "st-")) for w in words)
        or _institution_of(spanned[:cut], preceding)
        or _street(words, after)
    )


def _outside_surname(words: list[str]) -> list[str]:
    """The words that do not follow a particle: after one a venue word is a surname ("Dirk-Jan
    de la Court", "van der Hal")."""
    return [w for i, w in enumerate(words) if not (i and words[i - 1].lower() in PARTICLES)]


def _institution_of(spanned: list[str], preceding: list[str]) -> bool:
    """A noun, a particle and a name: an institution, event or street named after someone
    ("Dag van de Jonge Mantelzorger", "Huis van de Wijk", "Laan van Nieuw Oost-Indië")."""
    core = spanned
    while len(core) > 2 and core[0].lower() in PARTICLES and core[0][:1].isupper():
        core = core[1:]  # "De Laan van ..."
    if core[:1] and core[0] in PARTICLES:  # "Dag | van de Jonge ..."
        return bool(preceding) and preceding[-1].lower() in INSTITUTION_NOUNS
    return len(core) > 1 and core[1] in PARTICLES and core[0].lower() in INSTITUTION_NOUNS


def _place_word_after(after: list[str]) -> bool:
    """A street or venue word right after the name ("Anne Frank park"), or one word later
    after a capitalised one ("Koning Willem I College"); not "Kees ging naar huis"."""
    return bool(after) and (
        after[0].lower() in PLACE_WORDS
        or (after[0][:1].isupper() and any(w.lower() in PLACE_WORDS for w in after[1:2]))
    )


def _street(words: list[str], after: list[str]) -> bool:
    """deduce's street list has the words and more ("Jan van Galen|straat"), or exactly the
    words when the last one ends like a street ("Admiraal de Ruijterweg")."""
    while len(words) > 1 and words[0].lower() in PARTICLES:  # "de Laan van ..."
        words = words[1:]
    matched = len(lookup("street").longest_matching_prefix(words + after) or ())
    ending = words[-1].lower()
    return matched > len(words) or (
        matched == len(words) and any(ending.endswith(s) for s in PLACE_SUFFIXES)
    )


def _is_place_name(words: list[str]) -> bool:
    """Particles and places only ("van Breda"), or a place of several words ("Den Bosch");
    not a first name before a place ("Wessel Goudriaan": both are villages too)."""
    joined = " ".join(words)
    matched = lookup("placename").longest_matching_prefix(words) or ()
    if len(matched) == len(words) or joined.lower() in registry_names():
        return True
    core = [w for w in words if w.lower() not in PARTICLES]
    first_name = len(core) > 1 and [core[0]] in lookup("first_name")
    return bool(core) and all(is_place(w) for w in core) and not first_name


def _compound_place(word: str, after_particle: bool = False) -> bool:
    """A compound ending in a street or venue word ("Arskerk", "Prinsenlaan"), which is no
    surname deduce knows ("Verlaan"); for ends that surnames share, not after a particle,
    and only after a first name, place or word ("Kay|ring", "Binnen|hof", not "Beij|ring")."""
    lowered = word.lower()
    ending = next((s for s in PLACE_SUFFIXES if lowered.endswith(s)), "")
    if not ending or len(lowered) - len(ending) < 3:
        return False
    last = word.split("-")[-1]
    if [last] in lookup("surname"):
        return False
    if ending not in SURNAME_SUFFIXES:
        return True
    stem = last[: len(last) - len(ending)]
    known_stem = [stem] in lookup("first_name") or is_place(stem) or is_common(stem)
    return not after_particle and known_stem


def _known_organisation(words: list[str]) -> bool:
    """The words name an organisation or venue called after a person ("Albert Heijn")."""
    joined = " ".join(words).lower()
    return any(organisation in joined for organisation in PERSON_NAMED_ORGANISATIONS)
