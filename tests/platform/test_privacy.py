"""The privacy guard flags personal data and lets a node file's legitimate values pass."""

from __future__ import annotations

import pytest

from samenbeeld.platform.privacy import find_personal_data, is_valid_bsn, is_valid_iban

PERSONAL = [
    ("jan.jansen@example.nl", "e-mail"),
    ("mail a.b@gemeente.rotterdam.nl graag", "e-mail"),
    ("06-12345678", "phone"),
    ("+31 6 12345678", "phone"),
    ("+31 (0)6 12345678", "phone"),
    ("010-1234567", "phone"),
    ("0031 10 1234567", "phone"),
    ("0612345678", "phone"),
    ("06 12 34 56 78", "phone"),
    ("bel 06-12345678.", "phone"),
    ("111222333", "BSN"),
    ("123.456.782", "BSN"),
    ("NL91ABNA0417164300", "IBAN"),
    ("NL91 ABNA 0417 1643 00", "IBAN"),
    ("rekening NL91 ABNA 0417 1643 00 graag", "IBAN"),
    ("DE89370400440532013000", "IBAN"),
    ("GB82 WEST 1234 5698 7654 32", "IBAN"),
    ("@jansen_r", "handle"),
    ("volg @rotterdam010", "handle"),
    ("AB-12-CD", "licence plate"),
    ("12-ABC-3", "licence plate"),
    ("1-ABC-23", "licence plate"),
    ("XX-999-X", "licence plate"),
    ("G-123-BB", "licence plate"),
    ("3011 AB 12", "postcode"),
    ("Coolsingel 40, 3011 AD 40", "postcode"),
    ("dhr. Jansen", "name"),
    ("mevr. de Vries", "name"),
    ("Meneer Bakker", "name"),
    ("mevrouw Yilmaz", "name"),
    ("J. de Vries", "name"),
    ("Jan Jansen", "name"),
    ("Sanne de Boer", "name"),
    ("Pieter van Dijk", "name"),
    ("Mohammed El Amrani", "name"),
    ("Mohammed", "name"),
]

LEGITIMATE = [
    "2024-01-15",
    "2024-01-15T10:00:00",
    "01-02-2024 12:00",
    "GM0758",
    "WK075801",
    "BU07580101",
    "high_impact_crime",
    "youth_nuisance_online",
    "weekly_count",
    "kings_day",
    "42",
    "0",
    "100000",
    "2000000",
    "123456789",
    "-0.75",
    "0.123456789",
    "3.1415926535",
    "1e-5",
    "true",
    "2024-W03",
    "Rotterdam",
    "Den Haag",
    "WK075801 en WK075802",
    "NL",
    "12:30",
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


def test_bsn_eleven_check():
    assert is_valid_bsn("111222333")
    assert not is_valid_bsn("111222334")
    assert not is_valid_bsn("000000000")
    assert not is_valid_bsn("12345678")


def test_iban_mod97_check():
    assert is_valid_iban("NL91 ABNA 0417 1643 00")
    assert is_valid_iban("BE68539007547034")
    assert not is_valid_iban("NL92ABNA0417164300")
    assert not is_valid_iban("NL91ABNA")


def test_nine_digits_failing_the_eleven_check_and_invalid_iban_pass():
    assert find_personal_data("111222334") is None
    assert find_personal_data("NL92ABNA0417164300") is None
