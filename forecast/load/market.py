"""China's monthly passenger-car and battery-electric car sales, for market seasonality.

``data/market.csv`` is wide: ``month,all_passenger_cars,bev_total,source``, one row per month,
every month between the first and the last present exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forecast.errors import excerpt
from forecast.load.csvfile import Problems, Row, parse_count, read_rows
from forecast.months import format_month, month_gaps, parse_month, span_text

COLUMNS = ("month", "all_passenger_cars", "bev_total", "source")
SERIES = ("all_passenger_cars", "bev_total")


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketSeries:
    """Monthly national sales; arrays are read-only, shape (n_months,).

    ``months`` are contiguous int64 ordinals; ``passenger`` (all passenger cars) and ``bev``
    (battery-electric cars) are float64 units sold.
    """

    months: np.ndarray
    passenger: np.ndarray
    bev: np.ndarray

    def __post_init__(self) -> None:
        # Copies, so that neither the caller nor a consumer can change the series underneath.
        for field, dtype in (("months", np.int64), ("passenger", float), ("bev", float)):
            array = np.array(getattr(self, field), dtype=dtype)
            array.setflags(write=False)
            object.__setattr__(self, field, array)

    def series(self, name: str) -> np.ndarray:
        """The series by its column name in the file (``all_passenger_cars`` or ``bev_total``)."""
        if name not in SERIES:
            raise ValueError(
                f"unknown market series {excerpt(name)} (expected one of: {', '.join(SERIES)})"
            )
        return self.passenger if name == "all_passenger_cars" else self.bev


def load_market(path: str | Path) -> MarketSeries:
    """Read and check ``data/market.csv``.

    Every problem is reported at once, each as ``path:LINE: column: problem``: a missing
    column, a bad month, a duplicate month, a month missing inside the range, a figure that
    is not a positive whole number.

    Returns
    -------
    MarketSeries
        Sorted by month; arrays of shape (n_months,).
    """
    name, rows = read_rows(path, COLUMNS)
    problems = Problems(name)
    if not rows:
        problems.add(1, "month", "no data rows")
    parsed = [record for record in (_parse_row(problems, row) for row in rows) if record]
    if not problems.lines:  # a row left out for its own problem would read as a gap
        _check_months(problems, parsed)
    problems.raise_if_any()
    parsed.sort(key=lambda record: record[1])
    _, months, passenger, bev = zip(*parsed, strict=True)
    return MarketSeries(months=np.array(months), passenger=np.array(passenger), bev=np.array(bev))


def _parse_row(problems: Problems, row: Row) -> tuple[int, int, int, int] | None:
    """(line number, month, passenger, bev), or None after recording the row's problems."""
    month = problems.parse(row, "month", parse_month)
    passenger = problems.parse(row, "all_passenger_cars", _parse_units)
    bev = problems.parse(row, "bev_total", _parse_units)
    if month is None or passenger is None or bev is None:
        return None
    return row.line_no, month, passenger, bev


def _check_months(problems: Problems, parsed: list[tuple[int, int, int, int]]) -> None:
    """Each month once, and none missing between the first and the last."""
    seen: dict[int, int] = {}
    for line_no, month, *_ in parsed:
        if month in seen:
            problems.add(line_no, "month", f"duplicate of line {seen[month]}")
        seen.setdefault(month, line_no)
    for before, after in month_gaps(seen):
        gap = span_text(before + 1, after - 1)
        problems.add(seen[after], "month", f"missing {gap} before {format_month(after)}")


def _parse_units(text: str) -> int:
    # Zero national sales in a month is a transcription error, and the seasonality takes logs.
    units = parse_count(text)
    if units == 0:
        raise ValueError(f"expected a positive number, got {excerpt(text)}")
    return units
