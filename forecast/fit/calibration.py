"""The model error: how much uncertainty the fitted model misses, measured on past forecasts.

Backtests (``forecast backtest``) show that curves fitted to a few smooth months are
overconfident: residuals are small, parameter covariances scale with them, and regime
changes (a new line, a capacity step, a retooling stop, a launch that flops) are invisible to
the curve. A curve that is wrong stays wrong, so the errors grow with the horizon.

The engine adds that missing error as a random walk on each fitted line's log level, starting
at ``as_of`` (``simulate.py``): its sd after h months is ``tau * sqrt(h)``, with ``tau`` the
*error walk* fitted here. A forecast whose own log sd at that month is ``s`` then has log sd
``sqrt(s**2 + tau**2 * h)``: the walk widens overconfident forecasts a lot and forecasts that
are already wide little, which is what the past errors show (docs/backtest.md compares it with
multiplying the model's spread by a factor).

For each month, ``tau`` is fitted only on errors of forecasts of months up to that month, made
from earlier cut-offs by the engine without the walk (:func:`fit_error_walk`): the smallest
``tau`` with which 95% of those errors would have fallen inside their central 95% intervals.

The bundled ``data/calibration.csv`` (``as_of,error_walk,n_errors,source``) is written by
``forecast backtest --peers all --write-calibration`` (:func:`calibration_csv`): the errors
of the company's lines, the reference launches and every other bundled company's lines (a
walk from launches alone was too wide for a company's total: docs/backtest.md). It is read
with the rest of
the data (``forecast.load.calibration``); a scenario with ``[model] error_walk = "auto"`` (the
default) takes the row of its ``history.as_of``, or of the latest month before it
(:func:`error_walk_for`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtri

from forecast.load.calibration import COLUMNS, MAX_WALK, CalibrationRow
from forecast.months import format_month

LEVEL = 0.95  # past central intervals of this level should have held this share of outcomes
MIN_ERRORS = 20  # fewer past errors: no walk (too few to say how wrong the model is)


def fit_error_walk(errors: np.ndarray, sd: np.ndarray, horizons: np.ndarray) -> float:
    """The error walk's monthly sd ``tau`` from past forecast errors, each (n,).

    ``errors`` are log errors ``log(actual / median)``, ``sd`` each forecast's own log sd at
    that month and ``horizons`` its months ahead. An error lies inside the central ``LEVEL``
    interval widened by the walk when ``|e| <= z * sqrt(sd**2 + tau**2 * h)`` (log-normal
    approximation, ``z`` the normal quantile), that is when
    ``tau**2 >= ((e / z)**2 - sd**2) / h``; ``tau**2`` is the ``LEVEL`` quantile of those
    thresholds (0 when most errors need no widening). 0 with fewer than ``MIN_ERRORS`` errors.
    """
    errors, sd, horizons = (np.asarray(a, dtype=float) for a in (errors, sd, horizons))
    if errors.size < MIN_ERRORS:
        return 0.0
    z = float(ndtri(0.5 + LEVEL / 2))
    need = ((errors / z) ** 2 - sd**2) / horizons
    tau = math.sqrt(max(float(np.quantile(need, LEVEL)), 0.0))
    return min(tau, MAX_WALK)


def error_walk_for(table: tuple[CalibrationRow, ...], as_of: int) -> tuple[float, str]:
    """The error walk for a forecast made at the end of ``as_of``, and where it comes from."""
    known = [row for row in table if row.as_of <= as_of]
    if not known:
        return 0.0, f"no calibration at or before {format_month(as_of)}: uncertainty as fitted"
    row = known[-1]
    return (
        row.error_walk,
        f"calibrated on {row.n_errors} past errors as of {format_month(row.as_of)}",
    )


def calibration_csv(table: tuple[CalibrationRow, ...]) -> str:
    lines = [",".join(COLUMNS)]
    for row in table:
        lines.append(f"{format_month(row.as_of)},{row.error_walk:.4f},{row.n_errors},{row.source}")
    return "\n".join(lines) + "\n"
