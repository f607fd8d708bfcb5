"""The indicator catalog loader: the shipped catalog, and bad definitions named precisely."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from samenbeeld.platform import vocabulary
from samenbeeld.platform.catalog import MEASURE_TABLES, ReleasePolicy, load_catalog
from samenbeeld.platform.errors import DefinitionError, NotFoundError

GOOD = """\
  - code: {code}
    title: Riots
    title_nl: Rellen
    description: Riots per week.
    measure: count_sum
    filters:
      categories: [riot]
      online_driven: true
    period: week
    normalise:
      per_10000_residents: true
    max: 100
    buckets: [1, 2, 5]
"""


def _write(folder: Path, name: str, body: str) -> Path:
    """Write an indicator file into folder and return its path."""
    path = folder / name
    path.write_text(body)
    return path


def _one(code: str = "riot_weekly", **replace: str) -> str:
    """A file with one good definition, with lines replaced ('field: value' -> new)."""
    text = GOOD.format(code=code)
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return "indicators:\n" + text


def _error(folder: Path) -> DefinitionError:
    """The DefinitionError raised when loading folder."""
    with pytest.raises(DefinitionError) as info:
        load_catalog(folder)
    return info.value


def test_shipped_catalog_loads_and_covers_every_category():
    catalog = load_catalog()
    assert 20 <= len(catalog.indicators) <= 30
    covered = {c for i in catalog.indicators for c in i.filters.categories or ()}
    assert set(vocabulary.IVP_CATEGORIES) <= covered
    assert set(vocabulary.DISTURBANCE_TYPES) <= covered
    online = {
        c for i in catalog.indicators if i.filters.online_driven for c in i.filters.categories
    }
    assert set(vocabulary.DISTURBANCE_TYPES) <= online
    assert {i.measure for i in catalog.indicators} == set(MEASURE_TABLES)
    assert {i.period for i in catalog.indicators} == {"week", "month"}
    assert len(set(catalog.codes)) == len(catalog.codes)


def test_catalog_get_and_frozen():
    catalog = load_catalog()
    indicator = catalog.get("riot_online_weekly")
    assert indicator.table == "weekly_count"
    assert indicator.filters.categories == ("riot",)
    assert indicator.per_10000_residents is True
    with pytest.raises(NotFoundError):
        catalog.get("no_such_indicator")
    with pytest.raises(FrozenInstanceError):
        indicator.code = "other"  # type: ignore[misc]


def test_good_file_loads_with_defaults(tmp_path):
    body = _one(**{"    normalise:\n      per_10000_residents: true\n": ""})
    _write(tmp_path, "a.yaml", body.replace("    buckets: [1, 2, 5]\n", ""))
    (indicator,) = load_catalog(tmp_path).indicators
    assert indicator.per_10000_residents is False
    assert indicator.buckets is None
    assert indicator.max == 100.0


DP = (
    "    max: 100\n    release:\n      mechanism: gaussian\n      epsilon_per_release: 0.5\n"
    "      delta: 1.0e-6\n      yearly_epsilon: 10\n      counts: exact\n"
)
"""A Gaussian release policy after ``max``."""


def test_a_release_policy_loads_and_exact_is_the_default(tmp_path):
    _write(tmp_path, "a.yaml", _one(**{"    max: 100\n": DP}))
    _write(
        tmp_path,
        "b.yaml",
        _one("riot_exact_weekly", **{"    max: 100\n": "    max: 100\n    release: exact\n"}),
    )
    _write(tmp_path, "c.yaml", _one("riot_plain_weekly"))
    noisy, exact, plain = load_catalog(tmp_path).indicators
    assert noisy.release == ReleasePolicy("gaussian", 0.5, 1e-6, 10.0)
    assert not noisy.release.exact
    assert exact.release == plain.release == ReleasePolicy() and plain.release.exact
    assert noisy.noise_unit() is None and exact.noise_unit() is None  # protects the city


def test_an_incident_policy_protects_one_count_of_the_summed_cell(tmp_path):
    """``protects: incident``: the noise hides one incident, one count of the summed cell
    (a sum round adds counts, normalised or not), not the indicator's ``max``."""
    _write(tmp_path, "a.yaml", _one(**{"    max: 100\n": DP + "      protects: incident\n"}))
    (noisy,) = load_catalog(tmp_path).indicators
    assert noisy.release.protects == "incident"
    assert noisy.noise_unit() == 1.0


BAD_CASES = [
    pytest.param(
        {"categories: [riot]": "categories: [rioting]"},
        ["indicators.0 (riot_weekly).filters.categories.0", "Must be one of"],
        id="unknown-category",
    ),
    pytest.param(
        {"categories: [riot]": "topics: [youth]"},
        ["indicators.0 (riot_weekly).filters.topics", "not a filter of measure count_sum"],
        id="filter-of-another-table",
    ),
    pytest.param(
        {"period: week": "period: day"},
        ["indicators.0 (riot_weekly).period", "Must be one of"],
        id="unknown-period",
    ),
    pytest.param(
        {"measure: count_sum": "measure: count_mean"},
        ["indicators.0 (riot_weekly).measure", "Must be one of"],
        id="unknown-measure",
    ),
    pytest.param(
        {"max: 100": "max: -1"},
        ["indicators.0 (riot_weekly).max", "greater than 0"],
        id="negative-max",
    ),
    pytest.param(
        {"buckets: [1, 2, 5]": "buckets: [1, 5, 5]"},
        ["indicators.0 (riot_weekly).buckets", "strictly increasing"],
        id="buckets-not-increasing",
    ),
    pytest.param(
        {"    max: 100\n": "    max: 100\n    colour: red\n"},
        ["indicators.0 (riot_weekly).colour", "Unknown field"],
        id="unknown-field",
    ),
    pytest.param(
        {"    title_nl: Rellen\n": ""},
        ["indicators.0 (riot_weekly).title_nl", "Missing data"],
        id="missing-title-nl",
    ),
    pytest.param(
        {"online_driven: true": "online_driven: yes please"},
        ["indicators.0 (riot_weekly).filters.online_driven", "Not a valid boolean"],
        id="online-driven-not-boolean",
    ),
    pytest.param(
        {"per_10000_residents: true": "per_10000_residents: 1"},
        ["indicators.0 (riot_weekly).normalise.per_10000_residents", "Not a valid boolean"],
        id="normalise-not-boolean",
    ),
    pytest.param(
        {"code: riot_weekly": "code: Riot Weekly"},
        ["indicators.0 (Riot Weekly).code", "does not match"],
        id="bad-code",
    ),
    pytest.param(
        {"    max: 100\n": DP.replace("epsilon_per_release: 0.5", "epsilon_per_release: 0")},
        ["indicators.0 (riot_weekly).release.epsilon_per_release", "greater than 0"],
        id="release-epsilon-zero",
    ),
    pytest.param(
        {"    max: 100\n": DP.replace("yearly_epsilon: 10", "yearly_epsilon: 0.25")},
        ["indicators.0 (riot_weekly).release.yearly_epsilon", "below one release"],
        id="release-yearly-budget-below-one-release",
    ),
    pytest.param(
        {"    max: 100\n": DP.replace("delta: 1.0e-6", "delta: 0.001")},
        ["indicators.0 (riot_weekly).release.delta", "less than or equal to 1e-05"],
        id="release-delta-too-large",
    ),
    pytest.param(
        {"    max: 100\n": DP.replace("      delta: 1.0e-6\n", "")},
        ["indicators.0 (riot_weekly).release.delta", "a gaussian release needs delta"],
        id="release-gaussian-without-delta",
    ),
    pytest.param(
        {"    max: 100\n": DP.replace("gaussian", "laplace")},
        ["indicators.0 (riot_weekly).release.delta", "laplace is pure"],
        id="release-laplace-with-delta",
    ),
    pytest.param(
        {"    max: 100\n": DP.replace("      counts: exact\n", "")},
        ["indicators.0 (riot_weekly).release.counts", "Missing data"],
        id="release-counts-not-accounted",
    ),
    pytest.param(
        {"    max: 100\n": "    max: 100\n    release: noisy\n"},
        ["indicators.0 (riot_weekly).release", "'exact' or a mapping"],
        id="release-unknown-word",
    ),
    pytest.param(
        {"    max: 100\n": DP + "      protects: household\n"},
        ["indicators.0 (riot_weekly).release.protects", "Must be one of"],
        id="release-protects-unknown-unit",
    ),
    pytest.param(
        {
            "    max: 100\n": DP + "      protects: incident\n",
            "measure: count_sum": "measure: sentiment_score",
            "categories: [riot]\n      online_driven: true": "topics: [public_order]",
        },
        ["indicators.0 (riot_weekly).release.protects", "does not count incidents"],
        id="release-incident-on-a-score",
    ),
    pytest.param(
        {"categories: [riot]": "categories: [riot, riot]"},
        ["indicators.0 (riot_weekly).filters.categories", "must not repeat"],
        id="repeated-category",
    ),
]


@pytest.mark.parametrize(("replace", "expected"), BAD_CASES)
def test_bad_definition_names_file_field_and_reason(tmp_path, replace, expected):
    path = _write(tmp_path, "bad.yaml", _one(**replace))
    error = _error(tmp_path)
    message = str(error)
    assert error.path == str(path)
    assert message.startswith(str(path))
    for part in expected:
        assert part in message


def test_error_names_the_index_of_a_later_indicator(tmp_path):
    body = _one() + GOOD.format(code="second_one").replace("period: week", "period: year")
    path = _write(tmp_path, "two.yaml", body)
    message = str(_error(tmp_path))
    assert f"{path}: indicators.1 (second_one).period: Must be one of" in message


def test_duplicate_code_across_files(tmp_path):
    _write(tmp_path, "a.yaml", _one())
    second = _write(tmp_path, "b.yaml", _one())
    error = _error(tmp_path)
    assert error.path == str(second)
    assert "indicators.0 (riot_weekly).code: duplicate code, already defined in a.yaml" in str(
        error
    )


def test_duplicate_code_within_a_file(tmp_path):
    _write(tmp_path, "a.yaml", _one() + GOOD.format(code="riot_weekly"))
    assert "indicators.1 (riot_weekly).code: duplicate code" in str(_error(tmp_path))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("indicators: [\n", "not valid YAML"),
        ("- just a list\n", "expected a mapping with an 'indicators' list"),
        ("indicators: []\n", "indicators: Shorter than minimum length 1"),
        ("indicatorz: []\n", "indicatorz: Unknown field"),
    ],
    ids=["syntax", "not-a-mapping", "empty", "misspelt-top-level"],
)
def test_bad_file_shapes(tmp_path, body, reason):
    path = _write(tmp_path, "shape.yaml", body)
    message = str(_error(tmp_path))
    assert message.startswith(str(path))
    assert reason in message


def test_empty_folder_is_an_error(tmp_path):
    assert "no *.yaml indicator files" in str(_error(tmp_path))


def test_indicator_that_is_not_a_mapping(tmp_path):
    _write(tmp_path, "a.yaml", "indicators:\n  - 5\n")
    assert "indicators.0._schema: Invalid input type" in str(_error(tmp_path))
