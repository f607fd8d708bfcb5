"""The privacy guard on its corpus: recall per category and false positives."""

from __future__ import annotations

from collections import Counter

from privacy_corpus import corpus
from samenbeeld.platform.privacy import find_personal_data


def test_recall_and_false_positives_on_the_corpus():
    found, total, false_positives, passes = Counter(), Counter(), [], 0
    for text, category in corpus():
        reason = find_personal_data(text)
        if category is None:
            passes += 1
            false_positives += [text] if reason else []
        else:
            total[category] += 1
            found[category] += reason is not None
    recall = {category: found[category] / total[category] for category in total}
    assert sum(found.values()) / sum(total.values()) >= 0.97
    assert min(recall.values()) >= 0.90, recall
    assert len(false_positives) / passes <= 0.01, false_positives
