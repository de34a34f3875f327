"""Load ``data/calibration.csv``: the model error's monthly sd, one row per month.

The table (``as_of,error_walk,n_errors,source``) is written by
``forecast backtest --write-calibration``; how it is fitted and used is told in
``forecast.fit.calibration``. An absent file is an empty table: runs then keep the
uncertainty as fitted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from forecast.errors import excerpt
from forecast.load.csvfile import Problems, parse_count, read_rows
from forecast.months import format_month, parse_month

FILE = "calibration.csv"
COLUMNS = ("as_of", "error_walk", "n_errors", "source")
MAX_WALK = 2.0  # a bound against a few absurd errors; fitted values are near 0.25


@dataclass(frozen=True, slots=True, kw_only=True)
class CalibrationRow:
    as_of: int
    error_walk: float
    n_errors: int
    source: str


def load_calibration(data_dir: str | Path) -> tuple[CalibrationRow, ...]:
    """The calibration table of a data folder, by month; empty when the file is absent."""
    path = Path(data_dir) / FILE
    if not path.exists():
        return ()
    name, rows = read_rows(path, COLUMNS)
    problems = Problems(name)
    table: dict[int, CalibrationRow] = {}
    for row in rows:
        cells = problems.parse_all(
            row,
            {
                "as_of": parse_month,
                "error_walk": _parse_walk,
                "n_errors": _parse_count,
            },
        )
        if cells is None:
            continue
        if cells["as_of"] in table:
            problems.add(row.line_no, "as_of", f"{format_month(cells['as_of'])} appears twice")
            continue
        table[cells["as_of"]] = CalibrationRow(**cells, source=row.cells["source"])
    problems.raise_if_any()
    return tuple(table[m] for m in sorted(table))


def _parse_walk(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {excerpt(text)}") from None
    if not (math.isfinite(value) and 0 <= value <= MAX_WALK):
        raise ValueError(f"expected a number from 0 to {MAX_WALK:g}, got {excerpt(text)}")
    return value


def _parse_count(text: str) -> int:
    return parse_count(text)
