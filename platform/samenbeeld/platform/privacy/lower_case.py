"""Person names written in lower case, as chat and quick notes write them.

"sanne de vries", "mw. de vries", "door r. de jong", "thx olaf!", "daan en sem": a
lower-case first name or surname deduce knows, with a surname, title, initials or a chat
cue that marks it as a person; deduce itself looks only at capitalised words.
"""

from __future__ import annotations

import re

from samenbeeld.platform.privacy import lexicon
from samenbeeld.platform.privacy.lexicon import (
    ENGLISH_STOP_WORDS,
    PARTICLES,
    TITLE_WORDS,
    is_common,
    is_first_name,
    lookup,
)

LOWER_TITLED = re.compile(
    rf"\b(?i:{TITLE_WORDS})\.?\s+(?P<initials>(?:[a-z]\.\s?){{0,3}})"
    r"(?P<particles>(?:(?:van|de|der|den|ter|ten|el|in 't|van 't)\s+)*)(?P<name>[a-zà-ÿ'-]{3,})\b"
    r"|(?<![\w.])(?P<initials2>[a-z]\.(?:\s?[a-z]\.){0,3})\s?"
    r"(?P<particles2>(?:(?:van|de|der|den|ter|ten|el|in 't|van 't)\s+)*)(?P<name2>[a-zà-ÿ'-]{3,})\b"
)
"""A lower-case surname after a title or initials: "mw. de vries", "door r. de jong"."""
LOWER_CALLED = re.compile(
    r"(?<![\w-])(?:(?:hoi|hey|hi|hallo|doei|thx|thanks|tnx|bedankt|dankjewel|groetjes|groet|gr"
    r"|liefs)\W{0,2}\s*(?P<greeted>[a-zà-ÿ]{3,})(?=\W*$|\s*[,.!?])"
    r"|(?:bel|app|mail|sms|vraag|ping|spreek)(?:\s+(?:ff|even|effe|anders|maar|dan|nog|gewoon"
    r"|eens|het|aan))*\s+(?P<called>[a-zà-ÿ]{3,})"
    r"|(?:heb|heeft|had|zag|zie|ken|sprak|spreek)\s+(?:jij|je|u|ik|hij|zij|ze|we|wij|jullie)"
    r"\s+(?P<met>[a-zà-ÿ]{3,})"
    r"|\b(?:ik|jij|hij|zij|wij|jullie)\s+en\s+(?P<partner>[a-zà-ÿ]{3,})"
    r"|(?P<partner2>[a-zà-ÿ]{3,})\s+en\s+(?:ik|jij|hij|zij|wij)\b"
    r"|(?P<first>[a-zà-ÿ]{3,})\s+(?:en|&)\s+(?P<second>[a-zà-ÿ]{3,})"
    r"|^(?P<subject>[a-zà-ÿ]{3,})\s+(?:was|is|zei|zegt|belde|belt|kwam|komt|ging|gaat|heeft|had"
    r"|weet|wist|vindt|vond|wil|wilde|appte|stuurde|deed|doet)\b)(?![\w-])"
)
"""A lower-case first name as chat writes it: greeted or thanked ("thx olaf!"), called or
asked ("bel anders silvano even"), met or seen ("heb jij djamila gesproken"), joined by "en"
to another or to a pronoun ("daan en sem", "jij en ahmed"), or opening the text as the
subject of a verb ("jurriaan was er")."""
ABBREVIATIONS = frozenset(
    """o.a. m.b.t. t.a.v. i.v.m. n.a.v. z.s.m. a.s. i.p.v. d.w.z. m.u.v. e.d. e.a. t.z.t. c.q.
    m.n. b.v. n.v. i.o. p.s. o.b.v. i.c.m. m.i.v. t.b.v. m.b.v. i.s.m. t.o.v. v.d. a.u.b.
    s.v.p. o.v.v. i.e. e.g. p.m. a.m. n.b. z.o.z. v.a. t.m.""".split()
)
"""Lower-case abbreviations that look like initials ("o.a. de buren")."""


def has_lower_case_name(text: str, words: list[str]) -> bool:
    """A lower-case name in text (its words as ``lexicon.WORD`` finds them)."""
    return _lower_case_name(words) or _lower_case_titled(text) or _lower_case_called(text)


def _lower_case_titled(text: str) -> bool:
    """A lower-case surname deduce knows after a title or initials ("mw. de vries", "door r.
    de jong"), a common word only after a particle ("dhr. van der meer")."""
    for match in LOWER_TITLED.finditer(text):
        initials = match.group("initials") or match.group("initials2") or ""
        particles = match.group("particles") or match.group("particles2") or ""
        name = (match.group("name") or match.group("name2")).title()
        if initials.replace(" ", "") in ABBREVIATIONS or name.lower() in PARTICLES:
            continue
        known = [name] in lookup("surname") or name in lookup("interfix_surname")
        if known and (particles or not is_common(name)):
            return True
    return False


def _lower_case_called(text: str) -> bool:
    """A lower-case first name deduce knows that chat marks as a person (``LOWER_CALLED``);
    no ordinary word, place or first name that is also a word ("hoi allen", "bel mark")."""
    for match in LOWER_CALLED.finditer(text):
        found = [w for w in match.groupdict().values() if w]
        if all(is_first_name(w.title()) and not _word_or_place(w) for w in found):
            return True
    return False


def _word_or_place(word: str) -> bool:
    """An ordinary Dutch or English word, a first name that is also one, or a place."""
    return (
        word in lexicon.WORD_NAMES or word in ENGLISH_STOP_WORDS or lexicon.is_ordinary_word(word)
    )


def _lower_case_name(words: list[str]) -> bool:
    """A lower-case first name, optional particles, then a surname ('jan de vries').

    The surname may be one deduce does not know, if no common Dutch word or verb (a verb's
    shape is fine when the two are all the text: "jente geertsen"); after particles that
    deduce knows as such also a common word that is a surname ("ruben van der meer"). A first
    name that is also a word ("roos", "mark", "lot") needs a surname deduce knows.
    """
    for i, word in enumerate(words[:-1]):
        if not word.islower() or not all(is_first_name(part.title()) for part in word.split("-")):
            continue
        rest = words[i + 1 :]
        while rest[:1] and rest[0] in PARTICLES:
            rest = rest[1:]
        particles = " ".join(words[i + 1 : len(words) - len(rest)])
        if not rest or not rest[0].islower() or (particles and particles not in lookup("interfix")):
            continue
        wordlike = word in lexicon.WORD_NAMES or is_common(word)
        bare = len(words) == i + 2 + len(particles.split())
        if _lower_surname(rest[0], particles, unknown_ok=not wordlike, bare=bare and i == 0):
            return True
    return False


def _lower_surname(word: str, particles: str, unknown_ok: bool, bare: bool) -> bool:
    """A lower-case surname deduce knows (after particles also a common word or one of two
    letters: "van es"), or, if unknown_ok, a word that is not common nor shaped like a verb
    ("mirthe melet"); a verb's shape only when the name is all the text (bare)."""
    title = word.split("-")[0].title()  # "verhagen-van leeuwen"
    known = [title] in lookup("surname") or (
        bool(particles) and title in lookup("interfix_surname")
    )
    if known and (particles or not is_common(word)) and (len(word) > 2 or particles):
        return True
    verb = lexicon.VERB_FORM.fullmatch(word) is not None and not bare
    return unknown_ok and len(word) > 2 and not (is_common(word) or verb)
