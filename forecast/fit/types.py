"""The frozen types handed from fitting to simulation.

Kept apart from ``fit.py`` so the simulator (and its tests) can build a model by hand
without importing the fitting machinery (statsmodels, scipy.optimize).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from forecast.fit.supply import SupplyFit


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

    A line's model may be a mixture of families (``forecast.fit.select``: stacking weights):
    the fields describe the family with the most weight (``weight``), and ``rivals`` holds the
    other families with weight > 0, each a ``LineFit`` of the same line with its own
    ``weight`` and no rivals. ``components`` lists them all; the weights sum to 1. A line
    fitted by one family has ``weight`` 1 and no rivals.
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
    weight: float = 1.0
    rivals: tuple[LineFit, ...] = ()

    @property
    def components(self) -> tuple[LineFit, ...]:
        """Every family of the line's model, each alone (no rivals): this one, then its rivals."""
        if not self.rivals:
            return (self,)
        return (dataclasses.replace(self, rivals=()), *self.rivals)

    @property
    def weights(self) -> np.ndarray:
        """The components' weights, shape (n_components,)."""
        return np.array([self.weight, *(c.weight for c in self.rivals)])

    def alone(self, family: str) -> LineFit:
        """The component of ``family`` as the line's only family (weight 1, no rivals)."""
        for c in (self, *self.rivals):
            if c.family == family:
                return dataclasses.replace(c, weight=1.0, rivals=())
        raise ValueError(f"{self.line}: no {family} component (have: {', '.join(self.families)})")

    @property
    def families(self) -> tuple[str, ...]:
        return (self.family, *(c.family for c in self.rivals))

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
    # the company's monthly supply ceiling (forecast.fit.supply); None: no ceiling
    supply: SupplyFit | None = None
