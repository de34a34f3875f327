"""The calibration factor: how much wider the model's uncertainty must be to be honest.

Backtests (``forecast backtest``) show that curves fitted to a few smooth months are
overconfident: residuals are small, parameter covariances scale with them, and regime
changes (a new line, a capacity step, a retooling stop) are invisible to the curve. The
spread factor k multiplies the month-to-month noise (``plan.make_plan``). For each
month it is fitted only on errors of forecasts of months up to that month, made from
earlier cut-offs: ``k = quantile_0.9(|z|) / 1.645`` for standardised log errors z, so that
past 90% intervals would have held 90% of the outcomes.

``data/calibration.csv`` (``as_of,spread,n_errors,source``) is written by
``forecast backtest --write-calibration``; a scenario with ``[model] spread = "auto"`` (the
default) takes the row of its ``history.as_of``, or the latest row before it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from forecast.csvfile import Problems, read_rows
from forecast.months import format_month, parse_month

FILE = "calibration.csv"
COLUMNS = ("as_of", "spread", "n_errors", "source")


@dataclass(frozen=True, slots=True, kw_only=True)
class CalibrationRow:
    as_of: int
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


def load_calibration(data_dir: str | Path) -> tuple[CalibrationRow, ...]:
    """The calibration table of a data folder, by month; empty when the file is absent."""
    path = Path(data_dir) / FILE
    if not path.exists():
        return ()
    name, rows = read_rows(path, COLUMNS)
    problems = Problems(name)
    table = []
    for row in rows:
        as_of = problems.parse(row, "as_of", parse_month)
        spread = problems.parse(row, "spread", _parse_spread)
        n_errors = problems.parse(row, "n_errors", _parse_count)
        if as_of is not None and spread is not None and n_errors is not None:
            table.append(CalibrationRow(as_of=as_of, spread=spread, n_errors=n_errors, source=row.cells["source"]))
    problems.raise_if_any()
    return tuple(sorted(table, key=lambda r: r.as_of))


def spread_for(table: tuple[CalibrationRow, ...], as_of: int) -> tuple[float, str]:
    """The factor for a forecast made at the end of ``as_of``, and where it comes from."""
    known = [row for row in table if row.as_of <= as_of]
    if not known:
        return 1.0, f"no calibration at or before {format_month(as_of)}: uncertainty as fitted"
    row = known[-1]
    return row.spread, f"calibrated on {row.n_errors} past errors as of {format_month(row.as_of)}"


def calibration_csv(table: tuple[CalibrationRow, ...]) -> str:
    lines = [",".join(COLUMNS)]
    for row in table:
        lines.append(f"{format_month(row.as_of)},{row.spread:.4f},{row.n_errors},{row.source}")
    return "\n".join(lines) + "\n"
