"""The privacy guard flags personal data and lets a node file's legitimate values pass."""

from __future__ import annotations

import pytest

from samenbeeld.platform.privacy import find_personal_data

PERSONAL = [
    ("jan.jansen@example.nl", "e-mail"),
    ("naam [at] domein [dot] nl", "e-mail"),
    ("06-12345678", "phone"),
    ("+31 (0)6 12345678", "phone"),
    ("123.456.782", "BSN"),
    ("nl91 abna 0417 1643 00", "IBAN"),
    ("volg @rotterdam010", "social-media"),
    ("snap: lotje2005", "social-media"),
    ("ab12cd", "licence plate"),
    ("3011ab 12-a", "postcode"),
    ("2001:db8::1", "IP address"),
    ("geb. 12-03-1985", "date of birth"),
    ("J. de Vries", "name"),
    ("sanne de vries", "name"),
    ("Mohammed", "name"),
]

LEGITIMATE = [
    "2024-01-15",
    "GM0758",
    "WK075801",
    "high_impact_crime",
    "123456789",
    "-0.75",
    "true",
    "2024-W03",
    "Rotterdam",
    "€ 10.000.000.000",
    "Frederik Hendrikbuurt",
    "De burgemeester van Breda",
]


@pytest.mark.parametrize(("value", "kind"), PERSONAL)
def test_personal_data_is_flagged_without_echoing_it(value, kind):
    reason = find_personal_data(value)
    assert reason is not None
    assert kind in reason
    assert value not in reason


@pytest.mark.parametrize("value", LEGITIMATE)
def test_legitimate_values_pass(value):
    assert find_personal_data(value) is None


def test_nine_digits_failing_the_eleven_check_and_invalid_iban_pass():
    assert find_personal_data("111222334") is None
    assert find_personal_data("NL92ABNA0417164300") is None


def test_code_shaped_values_never_load_deduce(monkeypatch):
    from samenbeeld.platform.privacy import lexicon

    def refuse() -> None:
        raise AssertionError("deduce loaded for a code-shaped value")

    monkeypatch.setattr(lexicon, "deduce_model", refuse)
    for value in ("2024-01-16", "WK075802", "youth_nuisance", "17", "0.5", "false"):
        assert find_personal_data(value) is None
