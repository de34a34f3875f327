"""``forecast.errors``: messages quote input short, escaped and on one line."""

from __future__ import annotations

from forecast.errors import DataError, ForecastError, excerpt, excerpt_int, one_line


def test_excerpt_quotes_short_text_as_python_does() -> None:
    assert excerpt("2025-13") == "'2025-13'"
    assert excerpt("a\nb\u2028c\x1b[31m") == "'a\\nb\\u2028c\\x1b[31m'"


def test_excerpt_shortens_long_text_and_says_how_long() -> None:
    shown = excerpt("x" * 100_000)
    assert shown == "'" + "x" * 60 + "...' (100,000 characters)"


def test_excerpt_of_a_non_string_is_its_repr() -> None:
    assert excerpt(12) == "12" and excerpt(None) == "None"


def test_excerpt_int_shortens_numbers_past_twenty_digits() -> None:
    assert excerpt_int(10**19) == "10000000000000000000"
    assert excerpt_int(10**308) == "100000000000...000 (309 digits)"
    assert excerpt_int(-(10**400)) == "-10000000000...000 (401 digits)"


def test_every_problem_is_one_printable_line_of_bounded_length() -> None:
    error = DataError(['scenario "a\nerror: forged"', "\x1b]0;title\x07", "y" * 10_000])
    assert error.problems[0] == 'scenario "a\\nerror: forged"'
    assert error.problems[1] == "\\x1b]0;title\\x07"
    assert error.problems[2] == "y" * 500 + "... (10,000 characters)"
    assert all(len(p.splitlines()) == 1 for p in error.problems)
    assert isinstance(error, ForecastError) and str(error) == "\n".join(error.problems)


def test_one_line_leaves_ordinary_problems_alone() -> None:
    text = "data/deliveries.csv:7: figure: expected a whole number, got 'x'"
    assert one_line(text) is text
