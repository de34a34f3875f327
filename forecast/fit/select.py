"""Rolling-origin cross-validation over the growth families, per model line.

For each cut-off ``n_train`` the family is refitted on the first ``n_train`` points and scored
on the next 1..6 months (log scale): error of the point forecast (RMSE, MAE) and the CRPS of
the normal predictive distribution from :meth:`GrowthFit.predictive`, whose spread grows with
the horizon through the parameter covariance and the AR(1) noise. The family with the lowest
mean CRPS is ``best``.

Stacking (Yao, Vehtari, Simpson & Gelman 2018, "Using stacking to average Bayesian predictive
distributions") turns the same folds into ``weights``: the weights on the simplex that
minimise the mean CRPS of the mixture ``sum_f w_f N(mean_f, sd_f^2)`` at every scored
(fold, horizon), each horizon counting equally as in ``score`` (CRPS, as the families are
scored: stacking on the log score gave a line's lifecycle most of the weight where damped
scored best, and the target study found the lifecycle's decline too pessimistic). Six folds are
few, and their horizons overlap, so the weights are shrunk toward equal ones, as if equal
weights had been seen on ``PRIOR_FOLDS`` more folds (``PRIOR_FOLDS / k`` per family of ``k``,
the data counting as one fold per cut-off): ``w = (n * w_data + PRIOR_FOLDS / k) / (n +
PRIOR_FOLDS)``. With five candidates and six folds no family gets more than 6.4/8 = 80%; with
two folds, 60%. A family that scored inf, fell back to another family in every fold (it
only repeats that family's forecasts), or missed a forecast another family made (its fit
raised) gets 0. The CRPS of a mixture is a convex quadratic in the weights, minimised on the
simplex by SLSQP from equal weights (deterministic).

A series too short for ``MIN_FOLDS`` folds has no scores: its weights are the prior's alone,
equal, over ``SHORT_FAMILIES`` among the candidates: the damped trend (a straight line
damped at phi 0.8 on so few months, ``growth.SHORT_PHI``), for a model line with the
reference-class prior the lifecycle, whose shape comes from the reference class, and for a
company total the level (the last three months held). Log-linear, logistic and Gompertz
curves fitted to a few months extrapolate them without bound or with an asymptote the data
cannot place. One family alone (the lifecycle, before) made P(hit) jump when the line's
first folds arrived and let one launch's shape decide a young maker's year: the target
study's Brier went from 0.083 to 0.072 (docs/backtest.md).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from forecast.fit.growth import FAMILIES, PRIOR_PARAMS, fit_growth

DEFAULT_MIN_TRAIN = 8
DEFAULT_MAX_FOLDS = 6
MIN_FOLDS = 2
PRIOR_FOLDS = 2.0
"""Weight of the equal-weights prior, in folds (see the module notes)."""
SHORT_FAMILIES = ("damped", "lifecycle", "level")
"""The families of a series too short to cross-validate, weighted equally (module notes)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CVResult:
    """Out-of-sample scores of every candidate family on one series.

    Attributes
    ----------
    families : (n_fam,) names, the row order of every array below
    horizons : (n_h,) months ahead, the column order
    cutoffs : (n_folds,) training lengths, one per fold
    rmse, mae, crps : (n_fam, n_h) log-scale errors per horizon (NaN where never scored)
    n_scored : (n_fam, n_h) number of forecasts behind each entry
    score : (n_fam,) mean over horizons of the mean CRPS (inf if never scored)
    n_failures : (n_fam,) folds where the fit fell back or raised
    messages : per family, the distinct warnings/errors raised in its folds
    best : the family with the lowest score (or the default when ``too_short``)
    weights : (n_fam,) stacking weights, summing to 1 (equal on ``SHORT_FAMILIES`` when
        ``too_short``)
    too_short : the series allowed fewer than ``MIN_FOLDS`` folds; nothing was scored
    note : why ``best`` was chosen when ``too_short``
    """

    families: tuple[str, ...]
    horizons: tuple[int, ...]
    cutoffs: tuple[int, ...]
    rmse: np.ndarray
    mae: np.ndarray
    crps: np.ndarray
    n_scored: np.ndarray
    score: np.ndarray
    n_failures: np.ndarray
    messages: tuple[tuple[str, ...], ...]
    best: str
    weights: np.ndarray
    too_short: bool = False
    note: str | None = None


def crps_normal(y: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """CRPS of N(mean, sd^2) at y, elementwise (Gneiting & Raftery 2007, eq. 21)."""
    from scipy.special import ndtr

    z = (y - mean) / sd
    pdf = np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)
    return sd * (z * (2 * ndtr(z) - 1) + 2 * pdf - 1 / np.sqrt(np.pi))


def choose_cutoffs(n: int, min_train: int, max_folds: int) -> tuple[int, ...]:
    """Training lengths from ``min_train`` to ``n - 1``, at most ``max_folds``, evenly spread."""
    if n - min_train < 1:
        return ()
    picks = np.round(np.linspace(min_train, n - 1, min(max_folds, n - min_train)))
    return tuple(int(c) for c in np.unique(picks))


def cross_validate(
    t: np.ndarray,
    log_y: np.ndarray,
    *,
    families: Sequence[str] = FAMILIES,
    min_train: int = DEFAULT_MIN_TRAIN,
    horizons: Iterable[int] = range(1, 7),
    prior: tuple[np.ndarray, np.ndarray] | None = None,
    weights: np.ndarray | None = None,
    max_folds: int = DEFAULT_MAX_FOLDS,
) -> CVResult:
    """Rolling-origin cross-validation of growth families on one deseasonalised log series.

    Parameters
    ----------
    t, log_y : ndarray, shape (n,)
        Months since the line's first month, and log deliveries (see ``fit_growth``).
    families : names from ``FAMILIES``
    min_train : int
        Shortest training window (months).
    horizons : months ahead to score, e.g. ``range(1, 7)``.
    prior : (mean (2,), cov (2, 2)), optional
        Lifecycle shape prior, passed to the families that accept one.
    weights : ndarray, shape (n,), optional
        Observation weights, passed to every fit (cut with the training window).
    max_folds : int
        At most this many cut-offs, spread evenly with the latest included (speed).

    Returns
    -------
    CVResult
        With ``too_short`` set, ``best`` the lifecycle (if a prior is given) or damped family
        and equal weights on ``SHORT_FAMILIES``, when fewer than ``MIN_FOLDS`` folds fit in
        the series.
    """
    t, log_y = np.asarray(t, dtype=float), np.asarray(log_y, dtype=float)
    families, horizons = tuple(families), tuple(int(h) for h in horizons)
    cutoffs = choose_cutoffs(t.size, min_train, max_folds)
    if len(cutoffs) < MIN_FOLDS:
        return _too_short(families, horizons, cutoffs, t.size, min_train, prior)
    folds = [_score_family(f, t, log_y, cutoffs, horizons, prior, weights) for f in families]
    err = np.stack([f[0] for f in folds])  # (n_fam, n_folds, n_h)
    mean = np.stack([f[1] for f in folds])
    sd = np.stack([f[2] for f in folds])
    truth = _truth(log_y, cutoffs, horizons)
    crps = crps_normal(truth, mean, sd)
    score = _score(crps)
    best = families[int(np.argmin(score))]
    n_failures = np.array([f[3] for f in folds])
    # a family that fell back in every fold only repeats its fallback: it has no weight
    weights = stack_weights(truth, mean, sd, np.where(n_failures < len(cutoffs), score, np.inf))
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN horizons stay NaN
        return CVResult(
            families=families,
            horizons=horizons,
            cutoffs=cutoffs,
            rmse=np.sqrt(np.nanmean(err**2, axis=1)),
            mae=np.nanmean(np.abs(err), axis=1),
            crps=np.nanmean(crps, axis=1),
            n_scored=np.sum(np.isfinite(err), axis=1),
            score=score,
            n_failures=n_failures,
            messages=tuple(f[4] for f in folds),
            best=best,
            weights=weights,
        )


def stack_weights(
    truth: np.ndarray,
    mean: np.ndarray,
    sd: np.ndarray,
    score: np.ndarray,
    *,
    prior_folds: float = PRIOR_FOLDS,
) -> np.ndarray:
    """Stacking weights of the families' normal predictive distributions (module notes).

    Parameters
    ----------
    truth : ndarray, shape (n_folds, n_h)
        Observed values, NaN where not observed.
    mean, sd : ndarray, shape (n_fam, n_folds, n_h)
        Each family's predictive mean and sd, NaN where it made no forecast.
    score : ndarray, shape (n_fam,)
        Mean CRPS; a family scoring inf gets weight 0.
    prior_folds : float
        Weight of the equal weights the data's weights are shrunk toward, in folds.

    Returns
    -------
    ndarray, shape (n_fam,)
        Non-negative, summing to 1; one-hot on the lowest score if no family qualifies.
    """
    observed = np.isfinite(truth)
    ok = np.isfinite(score) & np.all(np.isfinite(mean) | ~observed, axis=(1, 2))
    weights = np.zeros(score.size)
    if not ok.any() or not observed.any():
        weights[int(np.argmin(score))] = 1.0
        return weights
    y = truth[observed]
    m = np.stack([mu[observed] for mu in mean[ok]])  # (n_ok, n_points)
    s = np.stack([sigma[observed] for sigma in sd[ok]])
    n_h = observed.any(axis=0).sum()
    per_h = observed.sum(axis=0)  # points per horizon
    v = np.broadcast_to(1.0 / np.maximum(per_h, 1), truth.shape)[observed]
    v = v * observed.shape[0] / n_h  # every horizon equal; the data worth one fold per cut-off
    best = _crps_stack(y, m, s, v)
    k = int(ok.sum())
    w = (v.sum() * best + prior_folds / k) / (v.sum() + prior_folds)
    weights[ok] = w / w.sum()
    return weights


def _abs_normal(mu: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """E|X| for X ~ N(mu, sd^2), elementwise."""
    from scipy.special import ndtr

    z = mu / sd
    return sd * (z * (2 * ndtr(z) - 1) + 2 * np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi))


def _crps_stack(y: np.ndarray, m: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The simplex weights minimising the v-weighted mean CRPS of the mixture of normals
    ``sum_f w_f N(m_f, s_f^2)`` at the points ``y``: the CRPS of a mixture is
    ``w @ a - w @ B @ w / 2`` with ``a_f = E|X_f - y|`` and ``B_fg = E|X_f - X_g|``
    (Grimit et al. 2006), convex in ``w``; solved by SLSQP from equal weights."""
    from scipy.optimize import minimize

    k = m.shape[0]
    if k == 1:
        return np.ones(1)
    a = _abs_normal(m - y[None, :], s) @ v  # (k,)
    diff = m[:, None, :] - m[None, :, :]
    spread = np.sqrt(s[:, None, :] ** 2 + s[None, :, :] ** 2)
    b = _abs_normal(diff, spread) @ v  # (k, k)
    scale = float(np.abs(a).max()) or 1.0  # a well-scaled objective for the solver

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        return (w @ a - 0.5 * w @ b @ w) / scale, (a - b @ w) / scale

    start = np.full(k, 1.0 / k)
    found = minimize(
        objective,
        start,
        jac=True,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * k,
        constraints=({"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones(k)},),
        options={"ftol": 1e-12, "maxiter": 500},
    )
    w = np.clip(found.x, 0.0, None) if found.success else start
    return w / w.sum()


def _truth(log_y, cutoffs, horizons) -> np.ndarray:
    """Observed log_y at each (fold, horizon), NaN beyond the series, shape (n_folds, n_h)."""
    idx = np.array(cutoffs)[:, None] + np.array(horizons)[None, :] - 1
    return np.where(idx < log_y.size, log_y[np.minimum(idx, log_y.size - 1)], np.nan)


def _score_family(family, t, log_y, cutoffs, horizons, prior, weights):
    """Forecast errors, predictive means and sds (n_folds, n_h), failures, messages."""
    shape = (len(cutoffs), len(horizons))
    err, mean, sd = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    n_fail, messages = 0, []
    truth = _truth(log_y, cutoffs, horizons)
    fam_prior = prior if family in PRIOR_PARAMS else None
    for i, cut in enumerate(cutoffs):
        w = None if weights is None else weights[:cut]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fit = fit_growth(family, t[:cut], log_y[:cut], prior=fam_prior, weights=w)
            except ValueError as exc:
                caught.append(warnings.WarningMessage(str(exc), UserWarning, "", 0))
                fit = None
        if caught:
            n_fail += 1
            messages.extend(str(c.message) for c in caught)
        if fit is None:
            continue
        ok = np.isfinite(truth[i])
        # The target's own time index: right even if excluded months leave gaps in t.
        t_future = t[cut - 1 + np.array(horizons)[ok]]
        mean[i, ok], sd[i, ok] = fit.predictive(t_future)
        err[i, ok] = truth[i, ok] - mean[i, ok]
    return err, mean, sd, n_fail, tuple(dict.fromkeys(messages))


def _score(crps: np.ndarray) -> np.ndarray:
    """Mean over horizons of the per-horizon mean CRPS, (n_fam,); inf if never scored."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        per_h = np.nanmean(crps, axis=-2)
        score = np.nanmean(per_h, axis=-1)
    return np.where(np.isfinite(score), score, np.inf)


def _too_short(families, horizons, cutoffs, n, min_train, prior) -> CVResult:
    default = "lifecycle" if prior is not None else "damped"
    default = default if default in families else families[0]
    # Stacking's weights with no fold are its prior's, equal; among the families that
    # extrapolate a few months boundedly (module notes), not only one of them.
    short = [f for f in SHORT_FAMILIES if f in families and (f != "lifecycle" or prior is not None)]
    chosen = short if default in short else [default]
    note = (
        f"{n} points allow {len(cutoffs)} fold(s) with min_train={min_train} "
        f"(need {MIN_FOLDS}); defaulting to {' and '.join(chosen)}"
        + (" with equal weights" if len(chosen) > 1 else "")
        + (" with the reference-class prior" if prior is not None else "")
    )
    nan = np.full((len(families), len(horizons)), np.nan)
    return CVResult(
        families=families,
        horizons=horizons,
        cutoffs=cutoffs,
        rmse=nan,
        mae=nan.copy(),
        crps=nan.copy(),
        n_scored=np.zeros(nan.shape, dtype=int),
        score=np.full(len(families), np.inf),
        n_failures=np.zeros(len(families), dtype=int),
        messages=tuple(() for _ in families),
        best=default,
        weights=np.isin(np.array(families), chosen).astype(float) / len(chosen),
        too_short=True,
        note=note,
    )
