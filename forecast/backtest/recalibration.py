"""Recalibration: the engine's past errors, and the error walk fitted on them per month.

The first pass of a backtest scores the engine as fitted (``uncalibrated``). Its errors, in
calendar time, are what the model error's walk is fitted on (``forecast.fit.calibration``):
for each month, only the errors known by its end, so no scored month, and nothing after it,
enters its own walk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from forecast.backtest.cases import PEER, REFERENCE, UNCALIBRATED, Case
from forecast.backtest.replay import values_at
from forecast.fit.calibration import fit_error_walk
from forecast.load.history import TOTAL
from forecast.load.reconcile import Reconciled


def log_errors(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """An engine case's log median and own log sd, each (h,).

    The sd is the 10-90% log interval over 2 x 1.2816 (the sd, were the forecast log-normal).
    """
    assert case.samples is not None
    log_x = np.log(np.maximum(case.samples.astype(float), 1e-9))
    q10, q50, q90 = np.quantile(log_x, [0.1, 0.5, 0.9], axis=0)
    return q50, np.maximum((q90 - q10) / (2 * 1.2816), 1e-6)


@dataclass(frozen=True, slots=True, kw_only=True)
class PastErrors:
    """Every uncalibrated engine forecast of one line's month, in calendar time: its error is
    known from the end of the month it scores; its horizon is the number of months from its
    cut-off. Lines only (the company's, each reference launch and each peer's): the engine
    gives each line its own walk, so the company's total, a sum of walks, is not a sample of
    one (a total-only company's total is its one line)."""

    months: np.ndarray  # (n,) the month scored
    horizons: np.ndarray  # (n,)
    log_median: np.ndarray  # (n,)
    sd: np.ndarray  # (n,) the forecast's own log sd
    log_actual: np.ndarray  # (n,) as scored (the company: the full history's reconciliation)
    company_series: np.ndarray  # (n,) the company's series scored, "" for a reference launch


def _engine_cases(cases: Sequence[Case]) -> list[Case]:
    """The uncalibrated engine's cases of a line (see ``PastErrors``)."""
    return [
        c
        for c in cases
        if c.method == UNCALIBRATED
        and c.samples is not None
        and (c.source in (REFERENCE, PEER) or c.series != TOTAL)
    ]


def error_months(cases: Sequence[Case]) -> np.ndarray:
    """``past_errors(cases).months`` without the forecasts' quantiles: the month each scores."""
    engine = _engine_cases(cases)
    return np.concatenate([c.months for c in engine]) if engine else np.zeros(0, np.int64)


def past_errors(cases: Sequence[Case]) -> PastErrors:
    engine = _engine_cases(cases)
    pairs = [log_errors(c) for c in engine]

    def joined(parts: list, dtype) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    return PastErrors(
        months=joined([c.months for c in engine], np.int64),
        horizons=joined([c.months - c.cutoff for c in engine], np.int64),
        log_median=joined([q50 for q50, _ in pairs], float),
        sd=joined([sd for _, sd in pairs], float),
        log_actual=joined([np.log(np.maximum(c.actual, 1e-9)) for c in engine], float),
        company_series=joined(
            [
                np.full(c.months.size, "" if c.source in (REFERENCE, PEER) else c.series)
                for c in engine
            ],
            object,
        ),
    )


def walks_at(
    cases: Sequence[Case],
    months: Iterable[int],
    known_at: Callable[[int], Reconciled] | None = None,
) -> dict[int, tuple[float, int]]:
    """For each month c, the error walk and the number of errors behind it, from the errors of
    months up to c and nothing later (``calibration.fit_error_walk``).

    ``known_at(c)`` is the company's history as it stood at the end of c: its errors are scored
    against those actuals, not the full history's, since totals published later revise
    earlier months (July 2024, "over 10,000", is pinned down by the third quarter's total).
    Reference launches' figures are never revised.
    """
    past = past_errors(cases)
    own = past.company_series != ""
    out = {}
    for month in sorted(set(int(m) for m in months)):
        known = past.months <= month
        log_actual = past.log_actual
        if known_at is not None and np.any(known & own):
            log_actual = log_actual.copy()
            history = known_at(month)
            for series in set(past.company_series[known & own]):
                rows = known & (past.company_series == series)
                values = values_at(history, series, past.months[rows])
                log_actual[rows] = np.log(np.maximum(values, 1e-9))
        errors = log_actual[known] - past.log_median[known]
        walk = fit_error_walk(errors, past.sd[known], past.horizons[known])
        out[month] = (walk, int(known.sum()))
    return out
