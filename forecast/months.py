"""Months as plain integers, so month arithmetic is integer arithmetic.

A month ordinal is ``year * 12 + (month - 1)``: 2026-01 is 24312. Arrays of months are
int64 arrays of ordinals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from forecast.errors import excerpt

_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII digits only


def parse_month(text: str) -> int:
    """``"2025-06"`` -> ordinal; raises ValueError with the expected form otherwise."""
    match = _MONTH_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"expected a month as YYYY-MM, got {excerpt(text)}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or year < 1000:  # (year 0 has no calendar date)
        raise ValueError(f"expected a month as YYYY-MM, got {excerpt(text)}")
    return month_ordinal(year, month)


def month_ordinal(year: int, month: int) -> int:
    return year * 12 + (month - 1)


def format_month(ordinal: int) -> str:
    year, month0 = divmod(int(ordinal), 12)
    return f"{year:04d}-{month0 + 1:02d}"


def year_months(year: int) -> range:
    """The twelve ordinals of a calendar year."""
    return range(month_ordinal(year, 1), month_ordinal(year, 12) + 1)


def month_gaps(months: Iterable[int]) -> list[tuple[int, int]]:
    """(last month before, first month after) around each run of months missing from ``months``."""
    ordered = sorted(set(months))
    return [(before, after) for before, after in zip(ordered, ordered[1:]) if after - before > 1]


def span_text(first: int, last: int) -> str:
    """``2024-06`` or ``2024-06 to 2024-08``."""
    return (
        format_month(first) if first == last else f"{format_month(first)} to {format_month(last)}"
    )


def format_month_position(position: float, year: int) -> str:
    """A month position of ``year`` (1.0 = the start of January, 13.0 = the end of December)
    as a date: ``2026-07`` at the start of a month, else the day it falls in, nearest day
    start (7.71094 -> ``2026-07-23``, as a scenario's ``start = "2026-07-23"`` reads it)."""
    import calendar

    month = min(max(int(position), 1), 12)
    days = calendar.monthrange(year, month)[1]
    day = round((position - month) * days)
    if day == 0:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{min(day + 1, days):02d}"
