"""Bounded, overlapping windows of a long text, for deduce's name check.

deduce's context rules take time and memory that grow much faster than the text when names
follow each other ("Jan Jan Jan ...": 1,000 of them took minutes and 5 GB), so a long text
(a 50 kB template section) goes to deduce in windows of at most WINDOW characters, cut
after a sentence or line end where there is one, else at a space. Each window repeats the
last OVERLAP characters of the one before, so a name that a cut splits ("... Sanne | de
Vries ...") is whole in the next window.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

WINDOW = 300
OVERLAP = 60
"""Longer than a name with titles, initials and particles ("Mw. dr. A.M.C. van der Linden-")."""
SENTENCE_END = re.compile(r"[.!?;\n]\s")


def windows(text: str) -> Iterator[tuple[int, str]]:
    """(offset, window) pairs covering text; one pair when text fits in a window."""
    start = 0
    while len(text) - start > WINDOW:
        end = _cut(text, start)
        yield start, text[start:end]
        start = _next_start(text, start, end)
    yield start, text[start:]


def _cut(text: str, start: int) -> int:
    """Where the window from start ends: after the last sentence or line end in its second
    half, else at its last space, else at WINDOW characters."""
    low, high = start + WINDOW // 2, start + WINDOW
    ends = [m.end() for m in SENTENCE_END.finditer(text, low, high)]
    if ends:
        return ends[-1]
    space = text.rfind(" ", low, high)
    return space + 1 if space >= 0 else high


def _next_start(text: str, start: int, end: int) -> int:
    """OVERLAP characters before end, moved to the start of a word."""
    back = end - OVERLAP
    space = text.find(" ", back, end)
    return space + 1 if space >= 0 else back
