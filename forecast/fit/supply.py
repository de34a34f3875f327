"""The supply ceiling: the most a company can deliver in a month, with its uncertainty.

Deliveries are at most what can be built. A company's monthly ceiling comes from its data:

1. **stated capacity** (``capacity.csv``, ``forecast.load.capacity``): in a month covered by
   a statement known at ``as_of`` (the latest whose ``from`` is at or before the month), the
   ceiling is ``low + u * (high - low)``, and never below the demonstrated output;
2. **else inferred** from the demonstrated output ``D`` (the highest monthly total up to
   ``as_of``) and from how fast carmakers have added output (``output_growth.csv``: samples
   of the highest month up to ``start + h`` over the highest up to ``start``, known at
   ``as_of``): ``D * exp(m_h + s_h * z(q))``, ``m_h`` and ``s_h`` the mean and sd of the
   samples' log growth at horizon ``h = month - as_of``, ``z`` the standard normal quantile
   and ``q = LOW + (HIGH - LOW) * u``.

``u`` is one uniform per path (the simulation's ``supply.ceiling`` input), so a path's
ceiling is one quantile throughout: it never falls with the horizon (the table is made
non-decreasing in ``h``) and pinning ``u`` moves it everywhere at once.

Why the far tail (``LOW`` = 0.975, ``HIGH`` = 0.99999): a ceiling must sit above what a
carmaker can deliver, and output growth mixes capacity with demand (a maker that sold less
than it could build shows little growth), while the samples known at a cut-off come from
the makers and years before it. Measured on the bundled companies (cut-offs 2024-06 to
2025-11, horizons 3, 6, 9 and 12 months, 287 cases), the growth that followed exceeded the
lowest ceiling in 17% of cases and the highest in 0.7%; with the samples' own quantiles
from the median up (no lognormal tail) it exceeded the highest in 16%. A horizon with fewer
than ``MIN_SAMPLES`` samples takes the shorter horizon's row; with none at one month ahead
(or nothing delivered yet), or with samples from fewer than ``MIN_COMPANIES`` makers, there is
no inferred ceiling (``inf``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from forecast.load.capacity import GrowthSample, StatedCapacity
from forecast.months import format_month

__all__ = ["HIGH", "LEVELS", "LOW", "MIN_COMPANIES", "MIN_SAMPLES", "SupplyFit", "fit_supply"]

LEVELS = np.linspace(0.0, 1.0, 41)
"""The ceiling draw ``u`` at which the growth quantiles are tabled (linear in between)."""
LOW, HIGH = 0.975, 0.99999  # the growth quantiles at u = 0 and u = 1
MIN_SAMPLES = 20
# "How fast carmakers add output" needs several carmakers: before samples from this many are
# known (early 2024 in the bundled data, when only two histories were long enough), the
# growth of one or two makers' sluggish years would cap a fast grower (Leapmotor's 2024
# cut-offs: a 95% quantile of 200,503 for a year that came in at 293,724), so no ceiling is
# inferred.
MIN_COMPANIES = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class SupplyFit:
    """The fitted ceiling as of ``as_of``.

    Attributes
    ----------
    demonstrated : float
        The highest monthly total up to ``as_of``.
    stated_start : ndarray[int64], shape (k,)
        ``from`` month of each stated capacity known at ``as_of``, ascending.
    stated_low, stated_high : ndarray, shape (k,)
    growth : ndarray, shape (n_horizons, LEVELS.size)
        Row ``h - 1``: the ceiling over ``demonstrated`` ``h`` months ahead at each level of
        ``LEVELS``; non-decreasing along both axes. No rows: no inferred ceiling.
    """

    as_of: int
    demonstrated: float
    stated_start: np.ndarray
    stated_low: np.ndarray
    stated_high: np.ndarray
    growth: np.ndarray

    def ceiling(self, months: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The ceiling, shape (n, m), of month ordinals ``months`` (m,) after ``as_of`` at the
        draws ``u`` (n,) in [0, 1]; ``inf`` where the data sets none."""
        u = np.asarray(u, dtype=float)
        out = np.full((u.size, len(months)), np.inf)
        for j, month in enumerate(np.asarray(months, dtype=np.int64)):
            out[:, j] = self._month(int(month), u)
        return out

    def bounded(self, months: np.ndarray) -> bool:
        """Whether any of ``months`` has a finite ceiling."""
        return bool(np.isfinite(self.ceiling(months, np.ones(1))).any())

    def spread(self, months: np.ndarray) -> bool:
        """Whether the ceiling of any of ``months`` depends on ``u``."""
        low, high = self.ceiling(months, np.array([0.0, 1.0]))
        finite = np.isfinite(low)
        return bool(np.any(high[finite] > low[finite]))

    def source(self, month: int) -> str:
        """Where ``month``'s ceiling comes from: ``stated from YYYY-MM``, ``inferred`` or
        ``none``."""
        index = self._stated(month)
        if index >= 0:
            return f"stated from {format_month(int(self.stated_start[index]))}"
        return "inferred" if self.growth.shape[0] else "none"

    def _stated(self, month: int) -> int:
        """The index of the stated capacity in force in ``month``; -1 for none."""
        return int(np.searchsorted(self.stated_start, month, side="right")) - 1

    def _month(self, month: int, u: np.ndarray) -> np.ndarray:
        index = self._stated(month)
        if index >= 0:
            low, high = float(self.stated_low[index]), float(self.stated_high[index])
            return np.maximum(low + u * (high - low), self.demonstrated)
        if self.growth.shape[0] == 0:
            return np.full(u.size, np.inf)
        row = self.growth[min(month - self.as_of, self.growth.shape[0]) - 1]
        return self.demonstrated * np.interp(u, LEVELS, row)


def fit_supply(
    *,
    months: np.ndarray,
    totals: np.ndarray,
    capacity: Sequence[StatedCapacity],
    samples: Sequence[GrowthSample],
    as_of: int,
) -> SupplyFit:
    """The ceiling from reconciled monthly ``totals`` of ``months`` and the stated
    ``capacity`` and growth ``samples`` known at ``as_of`` (the bundle cut at ``as_of``).

    Parameters
    ----------
    months, totals : ndarray, shape (k,)
        The reconciled company totals; months after ``as_of`` are ignored.
    capacity : sequence of StatedCapacity
    samples : sequence of GrowthSample
    as_of : int
    """
    kept = np.asarray(totals, dtype=float)[np.asarray(months) <= as_of]
    demonstrated = float(kept.max()) if kept.size else 0.0
    stated = sorted((row for row in capacity if row.announced <= as_of), key=lambda r: r.start)
    known = [s for s in samples if s.known <= as_of]
    enough = len({s.company for s in known}) >= MIN_COMPANIES
    growth = _growth_table(known) if demonstrated > 0 and enough else np.zeros((0, LEVELS.size))
    return SupplyFit(
        as_of=as_of,
        demonstrated=demonstrated,
        stated_start=np.array([r.start for r in stated], dtype=np.int64),
        stated_low=np.array([r.low for r in stated], dtype=float),
        stated_high=np.array([r.high for r in stated], dtype=float),
        growth=growth,
    )


def _growth_table(samples: Sequence[GrowthSample]) -> np.ndarray:
    """The ceiling ratio by horizon (rows) at ``LOW + (HIGH - LOW) * LEVELS`` (columns): the
    lognormal of each horizon's samples, at least 1, non-decreasing down the rows."""
    from scipy.special import ndtri  # scipy: only when fitting

    by_horizon: dict[int, list[float]] = {}
    for sample in samples:
        by_horizon.setdefault(sample.horizon, []).append(sample.ratio)
    z = ndtri(LOW + (HIGH - LOW) * LEVELS)
    rows: list[np.ndarray] = []
    for h in range(1, max(by_horizon, default=0) + 1):
        logs = np.log(np.sort(by_horizon.get(h, [])))
        if logs.size >= MIN_SAMPLES:
            rows.append(np.exp(logs.mean() + logs.std(ddof=1) * z))
        elif rows:
            rows.append(rows[-1])
        else:
            break
    if not rows:
        return np.zeros((0, LEVELS.size))
    return np.maximum(np.maximum.accumulate(np.array(rows), axis=0), 1.0)
