"""What a run needs from a fit: the fitted model and the reported totals it was fitted on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.fit.types import FittedModel


@dataclass(frozen=True, slots=True, kw_only=True)
class Fitted:
    """The model fitted as of ``model.as_of`` and the reconciled monthly totals up to then.

    ``months`` (k,) int64 and ``totals`` (k,) float64: what a plan keeps as the reported
    months of its target year. This is what the fit cache stores (``forecast.engine.cache``).
    """

    model: FittedModel
    months: np.ndarray
    totals: np.ndarray

    def __repr__(self) -> str:
        # The generated repr prints every parameter covariance: a notebook shows the gist.
        from forecast.months import format_month

        lines = ", ".join(f"{fit.line} ({fit.family})" for fit in self.model.lines)
        return f"<Fitted as of {format_month(self.model.as_of)}: {lines}>"
