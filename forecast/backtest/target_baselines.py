"""The simple rules a planner could use instead of the engine, for the target study.

- **run-rate** (:func:`run_rate_point`, :func:`run_rate_error`, :class:`RunRate`): the
  year to date plus the last three months' average for each remaining month, seasonally
  adjusted with the market's month factors as known at the cut-off: the level is the mean of
  the last three months divided by their factors, and each remaining month gets the level
  times its factor. The remaining volume ``R`` is log-normal around that point ``P``:
  ``log(R / P) ~ N(bias * sqrt(k), spread * sqrt(k))`` for ``k`` remaining months, so the
  spread of a walk grows with the square root of the months left, and so does its bias. The
  bias and spread are the mean and sd of ``log(actual / P) / sqrt(k)`` over earlier errors
  (:func:`fit_run_rate`): every studied company's month-end cut-offs whose year had ended by
  the cut-off's end, target or not. With fewer than ``MIN_ERRORS`` errors, the defaults
  ``DEFAULT_BIAS`` and ``DEFAULT_SPREAD``; the spread is at least ``MIN_SPREAD``.
- **ets**: ``forecast.backtest.baselines.ets_paths`` on the company's total as known at the
  cut-off, simulated to December.
- **base rate** (:func:`base_rate`): the share of target statements (every studied company)
  that were hit, among those whose year had ended by the cut-off; 0.5 before any.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

MIN_ERRORS = 20
DEFAULT_BIAS = 0.0
# Before enough errors are known: a one-month log error of 0.15 grows to 0.50 with eleven
# months to go, about what a flat run-rate misses a maker's year by when it is still growing.
DEFAULT_SPREAD = 0.15
MIN_SPREAD = 0.02  # a floor: a handful of equal errors must not make the law certain
N_LAST = 3  # months averaged for the run-rate


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRate:
    """The run-rate's log error law: ``log(R / P) ~ N(bias * sqrt(k), spread * sqrt(k))``;
    ``n_errors`` the errors it was fitted on (0: the defaults)."""

    bias: float = DEFAULT_BIAS
    spread: float = DEFAULT_SPREAD
    n_errors: int = 0

    def log_law(self, n_rest: int) -> tuple[float, float]:
        """Mean and sd of ``log(R / P)`` with ``n_rest`` months to go."""
        root = float(np.sqrt(n_rest))
        return self.bias * root, self.spread * root


def run_rate_point(
    months: np.ndarray, values: np.ndarray, log_factors: np.ndarray, rest: np.ndarray
) -> tuple[float, float]:
    """The run-rate's point forecast of the ``rest`` months' total and of the next month.

    Parameters
    ----------
    months : ndarray (n,)
        The last months known (at least ``N_LAST``), ascending; ``values`` (n,) their totals.
    log_factors : callable result, ndarray (n + r,)
        The market's log seasonal factors of ``months`` then ``rest`` (r,).
    rest : ndarray (r,)
        The months to forecast, the next one first.
    """
    last = values[-N_LAST:]
    factors = np.exp(log_factors)
    level = float(np.mean(last / factors[months.size - N_LAST : months.size]))
    ahead = level * factors[months.size :]
    return float(ahead.sum()), float(ahead[0]) if rest.size else float("nan")


def run_rate_error(rest_actual: float, rest_point: float, n_rest: int) -> float:
    """One past error, standardised: ``log(actual / point) / sqrt(k)``."""
    return float(np.log(rest_actual / rest_point) / np.sqrt(n_rest))


def fit_run_rate(errors: Sequence[float]) -> RunRate:
    """Bias and spread from standardised past errors; the defaults below ``MIN_ERRORS``."""
    z = np.asarray(errors, dtype=float)
    if z.size < MIN_ERRORS:
        return RunRate(n_errors=int(z.size))
    spread = max(float(z.std(ddof=1)), MIN_SPREAD)
    return RunRate(bias=float(z.mean()), spread=spread, n_errors=int(z.size))


def run_rate_p_hit(law: RunRate, ytd: float, rest_point: float, n_rest: int, units: int) -> float:
    """P(ytd + R >= units) for the log-normal ``R``."""
    need = units - ytd
    if need <= 0:
        return 1.0
    mu, sd = law.log_law(n_rest)
    return float(norm.sf((np.log(need / rest_point) - mu) / sd))


def run_rate_quantiles(
    law: RunRate, ytd: float, rest_point: float, n_rest: int, levels: np.ndarray
) -> np.ndarray:
    """Quantiles of the year total ``ytd + R`` at ``levels`` (fractions), shape as levels."""
    mu, sd = law.log_law(n_rest)
    return ytd + rest_point * np.exp(mu + sd * norm.ppf(levels))


def run_rate_samples(
    law: RunRate, ytd: float, rest_point: float, n_rest: int, n: int
) -> np.ndarray:
    """``n`` evenly spaced quantiles of the year total (a deterministic sample, for CRPS)."""
    return run_rate_quantiles(law, ytd, rest_point, n_rest, (np.arange(n) + 0.5) / n)


def base_rate(hits: Sequence[bool]) -> float:
    """The share of earlier statements hit; 0.5 before any."""
    return float(np.mean(hits)) if len(hits) else 0.5
