"""Load what bounds supply: a company's stated capacity and the market's output growth.

``capacity.csv`` (company folder, optional): stated monthly production capacity with dates,
one row per statement::

    announced,from,monthly_low,monthly_high,source,note
    2024-10,2025-07,40000,58000,https://...,phase 2 on line

``announced`` is the month the figure became known (a row counts only from then: a replayed
past forecast never sees a later statement); ``from`` the first month the capacity holds (it
holds until the ``from`` of a later row); ``monthly_low`` <= ``monthly_high`` the range of
vehicles a month, whose width is the figure's uncertainty. An absent file means no stated
capacity: the ceiling is then inferred (``forecast.fit.supply``).

``output_growth.csv`` (market folder, optional; written by ``tools/output_growth.py`` from
the bundled histories): how fast carmakers have added output, one row per sample::

    company,start,horizon,known,ratio

``ratio`` is the highest monthly total in the ``horizon`` months after ``start`` over the
highest monthly total up to ``start``; ``known`` = ``start + horizon``, the month the sample
became known. An absent file means no samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from forecast.load.csvfile import Problems, Row, read_rows
from forecast.months import format_month, parse_month

__all__ = [
    "CAPACITY_COLUMNS",
    "CAPACITY_FILE",
    "GROWTH_COLUMNS",
    "GROWTH_FILE",
    "GrowthSample",
    "StatedCapacity",
    "load_capacity",
    "load_output_growth",
]

CAPACITY_FILE = "capacity.csv"
CAPACITY_COLUMNS = ("announced", "from", "monthly_low", "monthly_high", "source", "note")
GROWTH_FILE = "output_growth.csv"
GROWTH_COLUMNS = ("company", "start", "horizon", "known", "ratio")


@dataclass(frozen=True, slots=True, kw_only=True)
class StatedCapacity:
    """A stated monthly capacity: ``low``..``high`` vehicles a month from month ``start``,
    known from month ``announced``."""

    announced: int
    start: int
    low: float
    high: float
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GrowthSample:
    """One carmaker's output growth: highest month in the ``horizon`` months after ``start``
    over the highest month up to ``start``; known from month ``known``."""

    company: str
    start: int
    horizon: int
    known: int
    ratio: float


def load_capacity(path: str | Path) -> tuple[StatedCapacity, ...]:
    """The stated capacities of ``path`` by ``from`` month; () when the file is absent.

    Every problem (a bad month or number, low above high, two rows from one month) is
    reported at once as ``file:LINE: column: problem``.
    """
    path = Path(path)
    if not path.exists():
        return ()
    name, rows = read_rows(path, CAPACITY_COLUMNS, optional=("note",))
    problems = Problems(name)
    found: dict[int, tuple[int, StatedCapacity]] = {}
    for row in rows:
        row_value = _capacity_row(problems, row)
        if row_value is None:
            continue
        if row_value.start in found:
            first = found[row_value.start][0]
            problems.add(
                row.line_no, "from", f"{format_month(row_value.start)} already on line {first}"
            )
            continue
        found[row_value.start] = (row.line_no, row_value)
    problems.raise_if_any()
    return tuple(found[m][1] for m in sorted(found))


def _capacity_row(problems: Problems, row: Row) -> StatedCapacity | None:
    cells = problems.parse_all(
        row,
        {
            "announced": parse_month,
            "from": parse_month,
            "monthly_low": _parse_units,
            "monthly_high": _parse_units,
            "source": _parse_source,
        },
    )
    if cells is None:
        return None
    if cells["monthly_low"] > cells["monthly_high"]:
        problems.add(
            row.line_no,
            "monthly_high",
            f"below monthly_low ({cells['monthly_low']:g} > {cells['monthly_high']:g})",
        )
        return None
    return StatedCapacity(
        announced=cells["announced"],
        start=cells["from"],
        low=cells["monthly_low"],
        high=cells["monthly_high"],
        source=cells["source"],
    )


def load_output_growth(path: str | Path) -> tuple[GrowthSample, ...]:
    """The output-growth samples of ``path`` in file order; () when the file is absent."""
    path = Path(path)
    if not path.exists():
        return ()
    name, rows = read_rows(path, GROWTH_COLUMNS)
    problems = Problems(name)
    samples = []
    for row in rows:
        cells = problems.parse_all(
            row,
            {
                "company": _parse_source,
                "start": parse_month,
                "horizon": _parse_horizon,
                "known": parse_month,
                "ratio": _parse_ratio,
            },
        )
        if cells is None:
            continue
        if cells["known"] != cells["start"] + cells["horizon"]:
            problems.add(row.line_no, "known", "expected start + horizon")
            continue
        samples.append(GrowthSample(**cells))
    problems.raise_if_any()
    return tuple(samples)


def _parse_units(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number of vehicles a month, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"expected a positive number of vehicles a month, got {text!r}")
    return value


def _parse_ratio(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value >= 1):
        raise ValueError(f"expected a number of at least 1, got {text!r}")
    return value


def _parse_horizon(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"expected a whole number of months from 1, got {text!r}")
    return int(text)


def _parse_source(text: str) -> str:
    if not text:
        raise ValueError("empty")
    return text
