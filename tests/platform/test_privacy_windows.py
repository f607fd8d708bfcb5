"""The privacy guard on long texts: deduce reads them in bounded, overlapping windows."""

from __future__ import annotations

import re

from samenbeeld.platform.privacy import find_personal_data
from samenbeeld.platform.privacy.windows import WINDOW, windows

FILLER = "de buurt werd rustiger na de inzet van het jongerenwerk. "


def test_windows_are_bounded_and_hold_every_name_length_span_whole():
    text = ("Het plan is besproken.\n" + FILLER * 3) * 40 + "x" * 700 + " einde"
    spans = [(offset, offset + len(window)) for offset, window in windows(text)]
    assert len(spans) > 1
    assert all(end - start <= WINDOW for start, end in spans)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    for word in re.finditer(r"\b\w", text):
        start, end = word.start(), min(word.start() + 50, len(text))
        assert any(low <= start and end <= high for low, high in spans), start


def test_a_short_text_is_one_window():
    assert list(windows("Sanne de Vries belde.")) == [(0, "Sanne de Vries belde.")]


def test_a_name_that_a_window_cut_splits_is_found():
    head = "niets " * ((WINDOW - 6) // 6)
    text = head + "Kevin Janssen " + FILLER * 300
    first = next(windows(text))[1]
    assert "Kevin" in first and "Janssen" not in first  # the cut falls inside the name
    assert find_personal_data(text) is not None
    assert find_personal_data(head + FILLER * 300) is None


def test_long_texts_are_checked_and_harmless_ones_pass():
    assert find_personal_data("Jan " * 3000) is not None  # whole, deduce took minutes and 5 GB
    assert find_personal_data(("Het plan is besproken met de partners. " + FILLER) * 500) is None
    assert find_personal_data("x" * 50_000) is None  # one long word, once quadratic
    assert find_personal_data("x" * 50_000 + " mail s.bakker@example.nl") is not None
