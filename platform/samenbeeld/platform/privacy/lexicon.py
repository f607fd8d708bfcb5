"""deduce's word lists and our registry: which words are names, places or ordinary Dutch.

deduce builds its lookup structures once (minutes) and loads them per process (seconds):
``python -m samenbeeld.platform.privacy`` builds them at install time (the Makefile does).
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from typing import Any

from samenbeeld.platform.registry import load_registry

PARTICLES = frozenset("van de der den het 't ter ten te in op d' la le du da di el al bin".split())
TITLES = frozenset("dhr mevr mw mr hr dr drs ir ing prof meneer mevrouw heer juf".split())
WORD = re.compile(r"'s-(?:[^\W\d_]|['-])+|'[st](?![\w-])|[^\W\d_](?:[^\W\d_]|['-])*")
"""A word: letters of any alphabet ("Şahin", "Öztürk"), with apostrophes and hyphens; also
"'t" (a particle: "van 't Erve") and "'s-Hertogenbosch"."""

OFFICES = frozenset(
    """burgemeester wethouder directeur directrice voorzitter teamleider manager adviseur
    officier minister staatssecretaris commissaris gedeputeerde raadslid secretaris rector
    projectleider programmamanager beleidsmedewerker ambtenaar inspecteur teamchef griffier
    rechter advocaat advocate wijkmanager wijkregisseur gebiedsregisseur hoofd leider dominee
    imam pastoor heer""".split()
)
"""Offices: a name may follow them ("burgemeester Halsema"), and so may a portfolio or the
place or body they serve ("wethouder Jeugd", "commissaris van de Koning")."""
WORD_NAMES = frozenset(
    """roos fleur iris jade mees storm sterre ster hemel lente zomer winter hoop mark bas ben
    wil do rijk sky joy ruby amber lotus june april mei juni juli vos mee bent wilt hou nam
    ken witte brand lieve allen koop duurt erin sint ton art kader toon armen richt jarig
    marine feite kerst job aard constant mini win sla normen adem tong ouwe zusje maatje
    vrouwtje engel nadien anno zweer love day date star line fan king boy blue just long can
    young made may will frans""".split()
)
"""First names that are also ordinary Dutch or English words: in lower case
("de roos in de tuin", "mark de grens", "hoi allen") they are read as words. Besides the
first ones, deduce's first names among the most frequent Dutch words (wordfreq's list)."""
TITLE_WORDS = r"dhr|mevr|mw|hr|mr|dr|drs|ir|ing|prof|meneer|mevrouw|de\s+heer|familie|fam|gezin"
"""Titles and family words before a surname, as a regular expression."""
ENGLISH_STOP_WORDS = frozenset(
    """the and of to a an is are with on that for by or be it as at from this which their
    they its was were has have not can may will would should each per than in no within
    without into about after before between during every any some more most other such only
    own same so very just but if then when where who what how our your his them these those
    we you he she do does did been being""".split()
)
"""Function words only English uses much: English text is told apart by them."""

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
def registry_names() -> frozenset[str]:
    """Lower-case names of the registry's municipalities, and Den Bosch ('s-Hertogenbosch)."""
    return frozenset(m.name.lower() for m in load_registry().members) | {"den bosch"}


def lookup(name: str) -> Any:
    """One of deduce's lookup structures (first_name, surname, placename, street, ...)."""
    return deduce_model().lookup_structs[name]


DISTRICT_STARTS = ("noord", "oost", "zuid", "west", "centrum", "binnen", "buiten")
"""How the district in "Amsterdam-Zuidoost" or "Almere-Buiten" begins."""


def is_place(word: str) -> bool:
    """A municipality of our registry or a place deduce knows, also with a district after a
    hyphen ("Amsterdam-Zuidoost", "Rotterdam-Noord"): not a double surname ("Kampen-Bos")."""
    if word.lower() in registry_names() or [word] in lookup("placename"):
        return True
    town, _, district = word.rpartition("-")
    return bool(town) and district.lower().startswith(DISTRICT_STARTS) and is_place(town)


def is_common(word: str) -> bool:
    """A common Dutch word or stop word in deduce's whitelist."""
    return word.lower() in lookup("whitelist") or word.lower() in lookup("stop_word")


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
        is_common(lowered)
        or lowered in PLATFORM_WORDS
        or VERB_FORM.fullmatch(lowered) is not None
        or is_place(word.title())
    )


def is_first_name(word: str) -> bool:
    """A first name deduce knows, also written with accents it does not ("Féline")."""
    return [word] in lookup("first_name") or [unaccented(word)] in lookup("first_name")


def unaccented(word: str) -> str:
    """The word without diacritics ("Féline" -> "Feline")."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
