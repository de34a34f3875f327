"""What a backtest scores: one case per cut-off, series and method, and the cut-offs replayed.

A case (:class:`Case`) is one method's forecast from one cut-off for one series, scored
against what happened (``forecast.summarise.scoring``). Its ``source`` says whose series it
is: the company's own (its label, from ``data/company.csv``), :data:`REFERENCE`, another
maker's launch (``data/reference_launches.csv``), or :data:`PEER`, another bundled company's
line, replayed only for its errors (``forecast backtest --peers``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from forecast.backtest.baselines import BASELINES, MIN_MONTHS
from forecast.errors import ForecastError
from forecast.load.history import History
from forecast.months import format_month
from forecast.scenario.types import DEFAULT_SEED
from forecast.summarise import scoring

FORECAST = "forecast"  # the engine with its calibrated error walk: what users get
UNCALIBRATED = "uncalibrated"  # the engine with the uncertainty exactly as fitted (no walk)
ENGINES = (FORECAST, UNCALIBRATED)
METHODS = (UNCALIBRATED, *BASELINES)  # the first pass; FORECAST comes second
REFERENCE = "reference"  # the source of a reference launch's cases
PEER = "peer"  # the source of another bundled company's cases (errors for the walk only)
DEFAULT_HORIZON = 6
DEFAULT_N_PATHS = 4000
REFERENCE_START = 6  # first cut-off: the sixth month of a reference run


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    horizon: int = DEFAULT_HORIZON
    n_paths: int = DEFAULT_N_PATHS
    seed: int = DEFAULT_SEED


DEFAULT_SETTINGS = Settings()


@dataclass(frozen=True, slots=True, kw_only=True)
class Ahead:
    """Sample paths of the months after a cut-off.

    ``series`` maps ``"total"`` and each fitted line to (n_paths, h) deliveries in ``months``
    (h,); ``year_total`` (n_paths,) is the cut-off year's total, reported months included,
    or None when the cut-off is a December.
    """

    months: np.ndarray
    series: Mapping[str, np.ndarray]
    year_total: np.ndarray | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One method's forecast from one cut-off for one series, scored.

    Monthly arrays have shape (h,) over ``months``; ``covered`` is (3, h) for the 50/80/95%
    central intervals. ``scale`` is the last actual at the cut-off (relative CRPS). Year
    fields score the cut-off year's total (NaN when there is none); ``p_hit`` is the
    probability of the year's ``target`` as announced by the end of the cut-off month.
    """

    source: str
    series: str
    cutoff: int
    method: str
    months: np.ndarray
    actual: np.ndarray
    crps: np.ndarray
    pit: np.ndarray
    covered: np.ndarray
    median: np.ndarray
    scale: float
    year_actual: float = float("nan")
    year_median: float = float("nan")
    year_crps: float = float("nan")
    year_pit: float = float("nan")
    year_covered: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(3, bool))
    target: int | None = None
    p_hit: float = float("nan")
    samples: np.ndarray | None = None  # the engine's paths (n_paths, h), kept for recalibration
    year_samples: np.ndarray | None = None  # (n_paths,)
    error_walk: float = 0.0  # the calibrated model error's monthly sd (0: none)


def score_case(
    samples: np.ndarray,
    actual: np.ndarray,
    *,
    rng: np.random.Generator,
    **fields,
) -> Case:
    """Score sample paths (n_paths, h) of the months in ``fields['months']`` against ``actual``."""
    keep = samples.astype(np.float32) if fields.get("method") in ENGINES else None
    return Case(
        actual=actual,
        samples=keep,
        crps=scoring.crps(samples, actual),
        pit=scoring.pit(samples, actual, rng=rng),
        covered=scoring.covered(samples, actual),
        median=np.median(samples, axis=0),
        **fields,
    )


def with_year(
    case: Case,
    totals: np.ndarray,
    actual: float,
    *,
    rng: np.random.Generator,
    target: int | None = None,
) -> Case:
    """``case`` with its year-total scores: totals (n_paths,) against the actual total."""
    column, y = totals[:, None], np.array([actual])
    return dataclasses.replace(
        case,
        year_actual=float(actual),
        year_median=float(np.median(totals)),
        year_crps=float(scoring.crps(column, y)[0]),
        year_pit=float(scoring.pit(column, y, rng=rng)[0]),
        year_covered=scoring.covered(column, y)[:, 0],
        target=target,
        p_hit=float(np.mean(totals >= target)) if target is not None else float("nan"),
        year_samples=totals.astype(np.float32) if case.samples is not None else None,
    )


def case_seed(seed: int, source: str, series: str, cutoff: int) -> int:
    """A stable seed per (source, series, cut-off): the same case always draws the same."""
    words = [int(b) for b in f"{source}|{series}".encode()]
    return int(np.random.SeedSequence([seed, cutoff, *words]).generate_state(1)[0])


# --------------------------------------------------------------------------- cut-offs


def company_cutoffs(history: History, first: int | None, last: int | None) -> list[int]:
    """The company's cut-offs from ``first`` (default: the third month of history) to ``last``
    (default: the second last month); each needs three months before it and one after."""
    lo, hi = int(history.months[0]) + MIN_MONTHS - 1, int(history.months[-1]) - 1
    first = lo if first is None else first
    last = hi if last is None else last
    problems = [
        f"{name}: {format_month(m)} is outside {format_month(lo)} to {format_month(hi)}"
        for name, m in (("--from", first), ("--to", last))
        if not lo <= m <= hi
    ]
    if not problems and last < first:
        problems.append(f"--to {format_month(last)} is before --from {format_month(first)}")
    if problems:
        raise ForecastError(problems)
    return list(range(first, last + 1))


def reference_cutoffs(months: np.ndarray, step: int) -> list[int]:
    """A reference run's cut-offs: every ``step`` months of ``months`` (n,) from its
    ``REFERENCE_START``-th to its second last."""
    return [int(months[i]) for i in range(REFERENCE_START - 1, months.size - 1, step)]
