"""The calibration factor: how much wider the model's uncertainty must be to be honest.

Backtests (``forecast backtest``) show that curves fitted to a few smooth months are
overconfident: residuals are small, parameter covariances scale with them, and regime
changes (a new line, a capacity step, a retooling stop) are invisible to the curve. The
spread factor k multiplies the month-to-month noise (``plan.make_plan``). For each
month it is fitted only on errors of forecasts of months up to that month, made from
earlier cut-offs: ``k = quantile_0.95(|z|) / 1.96`` for standardised log errors z, so that
past 95% intervals would have held 95% of the outcomes.

Errors grow with the horizon faster than the model's noise does (a wrong curve stays wrong),
so there is one k per horizon: months 1, 2, ... after the cut-off.

``data/calibration.csv`` (``as_of,horizon,spread,n_errors,source``) is written by
``forecast backtest --write-calibration``; a scenario with ``[model] spread = "auto"`` (the
default) takes the rows of its ``history.as_of``, or of the latest month before it; months
beyond the last horizon take its factor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from forecast.csvfile import Problems, read_rows
from forecast.months import format_month, parse_month

FILE = "calibration.csv"
COLUMNS = ("as_of", "horizon", "spread", "n_errors", "source")


@dataclass(frozen=True, slots=True, kw_only=True)
class CalibrationRow:
    as_of: int
    horizon: int
    spread: float
    n_errors: int
    source: str


def _parse_spread(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"expected a positive number, got {text!r}")
    return value


def _parse_count(text: str) -> int:
    if not text.isdigit():
        raise ValueError(f"expected a whole number, got {text!r}")
    return int(text)


def _parse_horizon(text: str) -> int:
    value = _parse_count(text)
    if value < 1:
        raise ValueError(f"expected a horizon of at least 1 month, got {text!r}")
    return value


def load_calibration(data_dir: str | Path) -> tuple[CalibrationRow, ...]:
    """The calibration table of a data folder, by month; empty when the file is absent."""
    path = Path(data_dir) / FILE
    if not path.exists():
        return ()
    name, rows = read_rows(path, COLUMNS)
    problems = Problems(name)
    table = []
    for row in rows:
        cells = problems.parse_all(row, {
            "as_of": parse_month, "horizon": _parse_horizon, "spread": _parse_spread, "n_errors": _parse_count,
        })  # fmt: skip
        if cells is not None:
            table.append(CalibrationRow(**cells, source=row.cells["source"]))
    problems.raise_if_any()
    return tuple(sorted(table, key=lambda r: (r.as_of, r.horizon)))


def spread_for(table: tuple[CalibrationRow, ...], as_of: int) -> tuple[tuple[float, ...], str]:
    """k by horizon (1, 2, ...) for a forecast made at the end of ``as_of``, and its source."""
    known = [row.as_of for row in table if row.as_of <= as_of]
    if not known:
        return (1.0,), f"no calibration at or before {format_month(as_of)}: uncertainty as fitted"
    rows = sorted((r for r in table if r.as_of == known[-1]), key=lambda r: r.horizon)
    n = sum(r.n_errors for r in rows)
    return tuple(r.spread for r in rows), f"calibrated on {n} past errors as of {format_month(known[-1])}"


def calibration_csv(table: tuple[CalibrationRow, ...]) -> str:
    lines = [",".join(COLUMNS)]
    for row in table:
        lines.append(f"{format_month(row.as_of)},{row.horizon},{row.spread:.4f},{row.n_errors},{row.source}")
    return "\n".join(lines) + "\n"
