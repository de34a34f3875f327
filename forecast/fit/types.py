"""The frozen types handed from fitting to simulation.

Kept apart from ``fit.py`` so the simulator (and its tests) can build a model by hand
without importing the fitting machinery (statsmodels, scipy.optimize).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


class Seasonality(Protocol):
    def log_factors(self, months: np.ndarray) -> np.ndarray:
        """Additive log-scale seasonal effect for each month ordinal, shape (m,)."""
        ...


class RampShape(Protocol):
    def fraction(self, months_since_start: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Share of plateau volume reached, shape (n, m) for u of shape (n,)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class LineFit:
    """One model line's fitted growth curve on the log scale, with its uncertainty.

    ``t = month - origin`` is the time index the family's curve is written in.
    """

    line: str
    family: str
    param_names: tuple[str, ...]
    params: np.ndarray
    cov: np.ndarray
    origin: int
    sigma: float
    phi: float
    last_resid: float
    last_month: int

    def draw_params(
        self, rng: np.random.Generator, n: int, *, uncertain: bool = True
    ) -> np.ndarray:
        """Parameter sets, shape (n, k): normal around the estimate, or the estimate repeated."""
        if not uncertain or not np.any(self.cov):
            return np.broadcast_to(self.params, (n, self.params.size)).copy()
        return rng.multivariate_normal(self.params, self.cov, size=n, method="eigh")

    def log_level(self, params: np.ndarray, months: np.ndarray) -> np.ndarray:
        """Deseasonalised log deliveries, shape (n, m), for params (n, k) and month ordinals (m,)."""
        from forecast.fit.growth import log_curve

        t = np.asarray(months, dtype=float) - self.origin
        return log_curve(self.family, t, np.atleast_2d(params))


@dataclass(frozen=True, slots=True, kw_only=True)
class FittedModel:
    lines: tuple[LineFit, ...]
    seasonality: Seasonality
    ramp: RampShape
    as_of: int
