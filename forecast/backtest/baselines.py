"""Plain forecasting baselines that a model has to beat, as sample paths on the log scale.

Each baseline maps a positive monthly series ``values`` (n,) to sample paths
``(n_paths, horizon)`` of the next ``horizon`` months, so it is scored exactly like the
engine's paths (``forecast.summarise.scoring``). All work on log deliveries, without seasonality:

- ``naive``: the last month repeated; a random walk whose step sd is the root mean square
  of the past one-step log changes, so the h-month interval widens with ``sqrt(h)``.
- ``drift``: a random walk with drift, the drift being the average log change from the first
  to the last month; the h-step variance ``h s^2 (1 + h / (n - 1))`` includes the
  uncertainty of the drift (Hyndman & Athanasopoulos, *FPP3*, section 5.5).
- ``ets``: statsmodels ``ETSModel`` with additive errors and an additive trend, damped or
  not by AICc (damped only from ``ETS_DAMPED_MIN`` months), simulated with its own fitted
  innovation sd; a fit that fails falls back to ``drift``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

MIN_MONTHS = 3
ETS_DAMPED_MIN = 10
# Floor for a step sd estimated from a handful of changes (a best seller never moves less).
MIN_STEP_SD = 0.05


def _log_series(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size < MIN_MONTHS or np.any(values <= 0):
        raise ValueError(f"need at least {MIN_MONTHS} positive months, got {values!r}")
    return np.log(values)


def naive_paths(
    values: np.ndarray, horizon: int, *, rng: np.random.Generator, n_paths: int
) -> np.ndarray:
    """Last value with random-walk intervals, shape (n_paths, horizon)."""
    log_y = _log_series(values)
    steps = np.diff(log_y)
    sd = max(float(np.sqrt(np.mean(steps**2))), MIN_STEP_SD)
    walk = np.cumsum(sd * rng.standard_normal((n_paths, horizon)), axis=1)
    return np.exp(log_y[-1] + walk)


def drift_paths(
    values: np.ndarray, horizon: int, *, rng: np.random.Generator, n_paths: int
) -> np.ndarray:
    """Log-linear drift from the first to the last month, shape (n_paths, horizon)."""
    log_y = _log_series(values)
    steps = np.diff(log_y)
    drift = (log_y[-1] - log_y[0]) / steps.size
    sd = max(float(np.std(steps, ddof=1)) if steps.size > 1 else 0.0, MIN_STEP_SD)
    drifts = drift + sd / np.sqrt(steps.size) * rng.standard_normal((n_paths, 1))
    h = np.arange(1, horizon + 1)
    walk = np.cumsum(sd * rng.standard_normal((n_paths, horizon)), axis=1)
    return np.exp(log_y[-1] + drifts * h + walk)


def ets_paths(
    values: np.ndarray, horizon: int, *, rng: np.random.Generator, n_paths: int
) -> np.ndarray:
    """statsmodels ETS(A,A,N) or ETS(A,Ad,N) on logs, simulated, shape (n_paths, horizon)."""
    log_y = _log_series(values)
    fit = _fit_ets(log_y)
    if fit is None:
        return drift_paths(values, horizon, rng=rng, n_paths=n_paths)
    sd = max(float(np.sqrt(fit.scale)), MIN_STEP_SD)
    errors = sd * rng.standard_normal((horizon, n_paths))
    sim = np.asarray(fit.simulate(horizon, anchor="end", repetitions=n_paths, random_errors=errors))
    return np.exp(np.clip(sim.reshape(horizon, n_paths).T, -30.0, 30.0))


def _fit_ets(log_y: np.ndarray):
    """The better of the damped and undamped fits by AICc, or None if neither works."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    options = (False, True) if log_y.size >= ETS_DAMPED_MIN else (False,)
    best = None
    for damped in options:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                model = ETSModel(log_y, error="add", trend="add", damped_trend=damped)
                res = model.fit(disp=False)
            except (ValueError, np.linalg.LinAlgError):
                continue
        score = res.aicc if np.isfinite(res.aicc) else res.aic
        if np.isfinite(res.scale) and (best is None or score < best[0]):
            best = (score, res)
    return None if best is None else best[1]


Baseline = Callable[..., np.ndarray]
BASELINES: dict[str, Baseline] = {"naive": naive_paths, "drift": drift_paths, "ets": ets_paths}
"""Baseline name -> ``f(values, horizon, *, rng, n_paths) -> (n_paths, horizon)``."""


def baseline_paths(
    values: np.ndarray, horizon: int, *, seed: int, n_paths: int
) -> dict[str, np.ndarray]:
    """Every baseline's paths (n_paths, horizon) from a series, each with its own stream."""
    streams = np.random.SeedSequence(seed).spawn(len(BASELINES))
    return {
        name: f(values, horizon, rng=np.random.default_rng(s), n_paths=n_paths)
        for (name, f), s in zip(BASELINES.items(), streams)
    }
