"""The privacy guard on its corpus (tests/privacy_corpus.py): recall, false positives, speed.

Recall is the share of personal-data strings flagged (overall and per category), the
false-positive rate the share of must-pass strings flagged. Speed is strings per second
over the whole corpus with the guard's cache cleared and deduce already loaded (it loads
once per process), median of REPEATS passes.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from samenbeeld.platform.privacy import find_personal_data

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from privacy_corpus import corpus  # noqa: E402  (tests/ is no package: put it on the path)

REPEATS = 5


def run() -> list[dict[str, Any]]:
    """Recall overall and per category, the false-positive rate, and strings per second."""
    pairs = corpus()
    flagged = {text: find_personal_data(text) is not None for text, _ in pairs}
    found, total = Counter(), Counter()
    for text, category in pairs:
        total[category] += 1
        found[category] += flagged[text]
    personal = [c for c in total if c is not None]
    figures = [
        _figure(
            "privacy_guard_recall",
            sum(found[c] for c in personal) / sum(total[c] for c in personal),
        ),
        _figure("privacy_guard_false_positive_rate", found[None] / total[None]),
    ]
    figures += [_figure(f"privacy_guard_recall_{c}", found[c] / total[c]) for c in sorted(personal)]
    samples = [len(pairs) / _seconds(pairs) for _ in range(REPEATS)]
    figures.append(
        {
            "name": "privacy_guard_strings_per_s",
            "value": statistics.median(samples),
            "unit": "strings/s",
            "samples": samples,
        }
    )
    return figures


def _figure(name: str, value: float) -> dict[str, Any]:
    """A fraction figure."""
    return {"name": name, "value": value, "unit": "fraction"}


def _seconds(pairs: tuple[tuple[str, str | None], ...]) -> float:
    """Seconds for one uncached pass over the corpus."""
    find_personal_data.cache_clear()
    start = time.perf_counter()
    for text, _ in pairs:
        find_personal_data(text)
    return time.perf_counter() - start
