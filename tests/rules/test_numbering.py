"""Document number patterns (发文字号) and the next number."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.rules.numbering import NumberingError, format_number, next_seq, validate_kind, validate_pattern


def test_format():
    assert format_number("大安人大办〔{year}〕{n}号", 2026, 12) == "大安人大办〔2026〕12号"
    assert next_seq(None) == 1 and next_seq(11) == 12


@pytest.mark.parametrize("pattern", ["", "大安人大办〔{year}〕号", "{n}{n}〔{year}〕", "〔{year}〕{n}号{x}", "x" * 61 + "{year}{n}", None])
def test_bad_patterns(pattern):
    with pytest.raises(NumberingError):
        validate_pattern(pattern)


@pytest.mark.parametrize("kind", ["", "Ban", "1ban", "b a", "x" * 30, None])
def test_bad_kinds(kind):
    with pytest.raises(NumberingError):
        validate_kind(kind)


def test_bad_sequence():
    with pytest.raises(NumberingError):
        format_number("{year}{n}", 2026, 0)


@given(st.integers(1, 9999), st.integers(1900, 9999))
def test_numbers_differ_per_sequence(seq, year):
    p = "大安人大办〔{year}〕{n}号"
    assert format_number(p, year, seq) != format_number(p, year, seq + 1)
    assert str(seq) in format_number(p, year, seq)
