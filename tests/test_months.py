"""``forecast.months``: month positions shown as dates."""

from __future__ import annotations

import pytest

from forecast.months import format_month_position


@pytest.mark.parametrize(
    ("position", "text"),
    [
        (1.0, "2026-01"),  # the start of January
        (2.0, "2026-02"),
        (1 + 6 / 31, "2026-01-07"),  # as a scenario's start = "2026-01-07" reads
        (7.71094, "2026-07-23"),  # the nearest day start: 0.71094 x 31 = 22.04 days in
        (9.5, "2026-09-16"),
        (12.99, "2026-12-31"),
        (13.0, "2026-12-31"),  # the end of December
    ],
)
def test_a_month_position_is_shown_as_a_date(position: float, text: str) -> None:
    assert format_month_position(position, 2026) == text


def test_february_of_a_leap_year_has_29_days() -> None:
    assert format_month_position(2 + 28 / 29, 2028) == "2028-02-29"
