"""Growth and lifecycle curves on the log scale, each fitted with its parameter covariance.

Every family writes deseasonalised log deliveries as a closed-form curve of a time index
``t`` (months since the line's first month, float) and a parameter vector, so the simulator
can draw parameter sets and evaluate all paths at once with :func:`log_curve`:

============  ===========================================================  ====================
family        log y(t)                                                     params
============  ===========================================================  ====================
loglinear     c + g t                                                      (c, g)
logistic      logK - log(1 + exp(-r (t - t0)))                             (logK, r, t0)
gompertz      logK - b exp(-r t)                                           (logK, b, r)
damped        level + slope phi (1 - phi^h) / (1 - phi),  h = t - t_end    (level, slope, phi,
                                                                            t_end)
lifecycle     c + a log(t + 1) - b (t + 1)   (gamma-shaped, peak at        (c, a, b)
              t + 1 = a / b)
level         level   (the mean of the last LEVEL_MONTHS months, held)     (level,)
============  ===========================================================  ====================

Fits are least squares on log y (``scipy.optimize.least_squares`` with bounds; the damped
trend is statsmodels' ``ETSModel``; the level is the planner's run-rate rule, see
:func:`_fit_level`). A fit that does not converge, or whose Jacobian is
singular, falls back to ``loglinear`` with a :class:`GrowthFitWarning` naming the family and
the reason, and says so in ``GrowthFit.warning``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

FAMILIES: tuple[str, ...] = ("loglinear", "logistic", "gompertz", "damped", "lifecycle", "level")

PARAM_NAMES: dict[str, tuple[str, ...]] = {
    "loglinear": ("c", "g"),
    "logistic": ("logK", "r", "t0"),
    "gompertz": ("logK", "b", "r"),
    "damped": ("level", "slope", "phi", "t_end"),
    "lifecycle": ("c", "a", "b"),
    "level": ("level",),
}

# Parameters a Gaussian prior may be put on, per family (the lifecycle shape, borrowed from
# the reference class of launches; see forecast/refclass.py).
PRIOR_PARAMS: dict[str, tuple[str, ...]] = {"lifecycle": ("a", "b")}

# log y is clipped to +-LOG_CAP (e^30 ~ 1e13 units a month) so that exp() of a wild parameter
# draw stays finite in float64 sums over a million paths.
LOG_CAP = 30.0

_INF = np.inf
# Hard domain of each family, applied inside log_curve so that any draw gives a curve of the
# intended shape (e.g. a lifecycle with b < 0 would grow without end).
_DOMAIN: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "loglinear": ((-_INF, -_INF), (_INF, _INF)),
    "logistic": ((-_INF, 0.0, -_INF), (_INF, _INF, _INF)),
    "gompertz": ((-_INF, 0.0, 0.0), (_INF, _INF, _INF)),
    "damped": ((-_INF, -_INF, 0.05, -_INF), (_INF, _INF, 1.0, _INF)),
    "lifecycle": ((-_INF, 0.0, 0.0), (_INF, _INF, _INF)),
    "level": ((-_INF,), (_INF,)),
}

# Horizon (months) over which the damped trend's forecast variance is matched; see _damped_cov.
DAMPED_MATCH_HORIZON = 12


class GrowthFitWarning(UserWarning):
    """A growth fit fell back to a simpler family; the message says which and why."""


class _FitFailure(Exception):
    """Internal: a family could not be fitted; the message is the reason."""


# --------------------------------------------------------------------------- curves


def _damped_factor(h: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """phi + phi^2 + ... + phi^h = phi (1 - phi^h) / (1 - phi), and h itself as phi -> 1."""
    near_one = np.abs(1.0 - phi) < 1e-9
    safe = np.where(near_one, 0.5, phi)
    # phi^h as exp(h log phi) with the exponent clipped: h < 0 (back-casts) must not overflow.
    power = np.exp(np.clip(h * np.log(safe), -50.0, 50.0))
    return np.where(near_one, h, safe * (1.0 - power) / (1.0 - safe))


def _loglinear(t, c, g):
    return c + g * t


def _logistic(t, log_k, r, t0):
    # log(1 + exp(x)) via logaddexp: no overflow for large -r (t - t0).
    return log_k - np.logaddexp(0.0, -r * (t - t0))


def _gompertz(t, log_k, b, r):
    return log_k - b * np.exp(np.minimum(-r * t, 50.0))


def _damped(t, level, slope, phi, t_end):
    return level + slope * _damped_factor(t - t_end, phi)


def _lifecycle(t, c, a, b):
    # Before the launch month (t + 1 <= 0) the curve tends to -inf; LOG_CAP clips it.
    s = np.maximum(t + 1.0, 1e-6)
    return c + a * np.log(s) - b * s


def _level(t, level):
    return level + 0.0 * t  # broadcast to t's shape


_CURVES: dict[str, Callable[..., np.ndarray]] = {
    "loglinear": _loglinear,
    "logistic": _logistic,
    "gompertz": _gompertz,
    "damped": _damped,
    "lifecycle": _lifecycle,
    "level": _level,
}


def _check_family(family: str) -> None:
    if family not in _CURVES:
        raise ValueError(f"unknown growth family {family!r}; expected one of {FAMILIES}")


def clip_params(family: str, params: np.ndarray) -> np.ndarray:
    """Clip parameter sets to the family's domain (e.g. lifecycle a, b >= 0; damped phi <= 1).

    Parameters
    ----------
    family : str
    params : ndarray, shape (n, k) or (k,)

    Returns
    -------
    ndarray, same shape as ``params`` (a new array).
    """
    _check_family(family)
    lower, upper = _DOMAIN[family]
    return np.clip(params, lower, upper)


def log_curve(family: str, t: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Log deliveries of a family's curve for many parameter sets at once.

    Pure numpy and vectorised over parameter sets (no Python loop over rows). Parameters are
    clipped to the family's domain first (:func:`clip_params`) and the result to
    ``[-LOG_CAP, LOG_CAP]``, so a wild draw cannot overflow ``exp``.

    Parameters
    ----------
    family : str
        One of :data:`FAMILIES`.
    t : ndarray, shape (m,)
        Months since the line's first month (float).
    params : ndarray, shape (n, k)
        One parameter set per row, in the order of ``PARAM_NAMES[family]``; a single (k,)
        vector is treated as one row.

    Returns
    -------
    ndarray, shape (n, m)
        Deseasonalised log deliveries.
    """
    _check_family(family)
    p = np.atleast_2d(np.asarray(params, dtype=float))
    k = len(PARAM_NAMES[family])
    if p.ndim != 2 or p.shape[1] != k:
        raise ValueError(f"{family}: params must have shape (n, {k}), got {np.shape(params)}")
    p = clip_params(family, p)
    tt = np.asarray(t, dtype=float).reshape(1, -1)
    with np.errstate(over="ignore", invalid="ignore"):
        out = _CURVES[family](tt, *(p[:, [j]] for j in range(k)))
    return np.clip(np.broadcast_to(out, (p.shape[0], tt.shape[1])), -LOG_CAP, LOG_CAP)


# --------------------------------------------------------------------------- result


def _readonly(a: np.ndarray | None) -> np.ndarray | None:
    if a is not None:
        a.setflags(write=False)
    return a


@dataclass(frozen=True, slots=True, kw_only=True)
class GrowthFit:
    """One family fitted to a log series, with everything the simulator needs to draw from it.

    ``family`` is the family actually fitted; it differs from ``requested`` after a fallback,
    in which case ``converged`` is False and ``warning`` says why. Arrays are read-only.

    Attributes
    ----------
    params, se : (k,)        estimate and standard errors, order ``param_names``
    cov : (k, k)             parameter covariance (zero rows for fixed parameters)
    lower, upper : (k,)      bounds that draws are clipped to
    fitted, resid : (n_obs,) in-sample log path and log residuals (data minus fitted)
    sigma : float            sd of log residuals, ``sqrt(SSR / dof)``
    phi : float              lag-1 autocorrelation of residuals, clipped to [0, 0.95]
    last_resid : float       residual of the last observation (AR(1) noise starts from it)
    t_last : float           time index of the last observation
    dof : int                residual degrees of freedom, ``n_obs - k`` (at least 1)
    aic : float              ``n log(SSR / n) + 2 k`` (Gaussian, constants dropped)
    unpenalised : (k,) | None  the estimate without the prior, when a prior was used
    """

    family: str
    requested: str
    param_names: tuple[str, ...]
    params: np.ndarray
    cov: np.ndarray
    se: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    fitted: np.ndarray
    resid: np.ndarray
    sigma: float
    phi: float
    last_resid: float
    t_last: float
    n_obs: int
    dof: int
    aic: float
    converged: bool = True
    warning: str | None = None
    unpenalised: np.ndarray | None = None

    def __post_init__(self) -> None:
        for name in ("params", "cov", "se", "lower", "upper", "fitted", "resid", "unpenalised"):
            _readonly(getattr(self, name))

    @property
    def prior_shift(self) -> np.ndarray | None:
        """How far the prior moved the estimate, ``params - unpenalised``, shape (k,)."""
        return None if self.unpenalised is None else self.params - self.unpenalised

    def forecast(self, t_future: np.ndarray) -> np.ndarray:
        """Point path of log deliveries (the curve, no residual carry-over), shape (m,)."""
        return log_curve(self.family, t_future, self.params)[0]

    def draw_params(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Parameter sets, shape (n, k): multivariate normal around ``params`` with ``cov``.

        Draws are clipped to ``[lower, upper]`` (the fit's bounds), so no draw gives an absurd
        curve such as a lifecycle with negative decline rate ``b``. Clipping piles a little
        mass on the bound; with sensible fits this is a small share of draws.
        """
        if not np.any(self.cov):
            return np.broadcast_to(self.params, (n, self.params.size)).copy()
        draws = rng.multivariate_normal(self.params, self.cov, size=n, method="eigh")
        return np.clip(draws, self.lower, self.upper)

    def interval(self, level: float = 0.9) -> np.ndarray:
        """Equal-tailed Wald intervals, shape (k, 2), with Student-t quantiles on ``dof``."""
        from scipy.special import stdtrit

        q = stdtrit(self.dof, 0.5 + level / 2.0)
        return np.column_stack([self.params - q * self.se, self.params + q * self.se])

    def predictive(self, t_future: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Normal predictive mean and sd of log deliveries at ``t_future`` (m,), each (m,).

        Mean: the curve plus AR(1) carry-over ``phi^h * last_resid``. Variance: the AR(1)
        noise given the last residual, ``sigma^2 (1 - phi^(2h))``, plus the parameter
        uncertainty by the delta method, ``g' cov g`` with ``g = d log_curve / d params``.
        """
        t_future = np.asarray(t_future, dtype=float)
        h = np.maximum(t_future - self.t_last, 0.0)
        carry = self.phi**h
        mean = self.forecast(t_future) + carry * self.last_resid
        grad = _curve_gradient(self.family, t_future, self.params)
        var_par = np.einsum("im,ij,jm->m", grad, self.cov, grad)
        noise_var = self.sigma**2 * np.where(self.phi > 0, 1.0 - carry**2, 1.0)
        return mean, np.sqrt(noise_var + np.maximum(var_par, 0.0))


def _curve_gradient(family: str, t: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Central-difference gradient of log_curve w.r.t. params, shape (k, m), one call."""
    k = params.size
    step = 1e-6 * (1.0 + np.abs(params))
    shifts = np.diag(step)
    rows = np.vstack([params + shifts, params - shifts])
    curves = log_curve(family, t, rows)
    return (curves[:k] - curves[k:]) / (2.0 * step[:, None])


# --------------------------------------------------------------------------- fitting


def fit_growth(
    family: str,
    t: np.ndarray,
    log_y: np.ndarray,
    *,
    prior: tuple[np.ndarray, np.ndarray] | None = None,
    weights: np.ndarray | None = None,
) -> GrowthFit:
    """Fit one growth family to a deseasonalised log series.

    Parameters
    ----------
    family : str
        One of :data:`FAMILIES`.
    t : ndarray, shape (n,)
        Months since the line's first month (float; contiguous integers for ``damped``).
    log_y : ndarray, shape (n,)
        Log deliveries, deseasonalised.
    prior : (mean (2,), cov (2, 2)), optional
        Gaussian prior on the lifecycle shape ``(a, b)``: the fit is then the MAP estimate
        (penalised least squares) and ``unpenalised`` holds the estimate without it.
    weights : ndarray, shape (n,), optional
        Non-negative observation weights (weighted least squares), e.g. a small weight for
        a partial first month. Ignored, with a warning, by ``damped``.

    Returns
    -------
    GrowthFit
        Falls back to ``loglinear`` with a :class:`GrowthFitWarning` if the family cannot be
        fitted (no convergence, singular Jacobian, too few points).
    """
    t, log_y, w = _check_inputs(family, t, log_y, weights, prior)
    try:
        return _FITTERS[family](t, log_y, w, prior)
    except _FitFailure as exc:
        if family == "loglinear":
            raise ValueError(f"loglinear fit failed: {exc}") from None
        message = f"{family} fit failed ({exc}); fell back to loglinear"
        warnings.warn(message, GrowthFitWarning, stacklevel=2)
        fallback = _fit_loglinear(t, log_y, w, None)
        return dataclasses.replace(fallback, requested=family, converged=False, warning=message)


def _check_inputs(family, t, log_y, weights, prior):
    _check_family(family)
    t = np.asarray(t, dtype=float)
    log_y = np.asarray(log_y, dtype=float)
    if t.ndim != 1 or t.shape != log_y.shape:
        raise ValueError(f"t and log_y must be 1-D of equal length, got {t.shape}, {log_y.shape}")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(log_y))):
        raise ValueError("t and log_y must be finite (log of zero deliveries?)")
    if t.size < 3:
        raise ValueError(f"need at least 3 observations, got {t.size}")
    w = None if weights is None else np.asarray(weights, dtype=float)
    if w is not None and (w.shape != t.shape or np.any(w < 0) or not np.all(np.isfinite(w))):
        raise ValueError("weights must be finite, non-negative, and shaped like t")
    if prior is not None and family not in PRIOR_PARAMS:
        raise ValueError(f"a prior is only supported for {tuple(PRIOR_PARAMS)}, not {family!r}")
    return t, log_y, w


def _sqrt_w(w: np.ndarray | None, n: int) -> np.ndarray:
    return np.ones(n) if w is None else np.sqrt(w)


def _residual_stats(resid: np.ndarray, w: np.ndarray | None, k: int) -> dict:
    """sigma (dof-corrected), lag-1 autocorrelation phi, SSR of weighted residuals."""
    n = resid.size
    wr = _sqrt_w(w, n) * resid
    ssr = float(wr @ wr)
    dof = max(n - k, 1)
    denom = float(resid @ resid)
    rho = float(resid[1:] @ resid[:-1] / denom) if denom > 0 else 0.0
    return {
        "sigma": float(np.sqrt(ssr / dof)),
        "rho": rho,
        "phi": float(np.clip(rho, 0.0, 0.95)),
        "dof": dof,
        "aic": float(n * np.log(max(ssr, 1e-300) / n) + 2 * k),
    }


def _ac_inflation(rho: float, n: int) -> float:
    """Variance inflation for AR(1)-correlated residuals, applied only when rho is significant.

    With lag-1 autocorrelation rho, the effective sample size is about n (1 - rho) / (1 + rho)
    (Bence 1995, Ecology 76:628), so least-squares variances grow by (1 + rho) / (1 - rho).
    We apply it only when rho exceeds 2 / sqrt(n) (its approximate 5% critical value under
    independence), since on short series the estimate is noisy and mostly spurious.
    """
    if rho <= 2.0 / np.sqrt(n):
        return 1.0
    rho = min(rho, 0.95)
    return (1.0 + rho) / (1.0 - rho)


def _covariance(jac: np.ndarray, stats: dict, n: int, prior_prec: np.ndarray | None) -> np.ndarray:
    """Parameter covariance ``(J'J / (sigma^2 c) + P)^-1`` (``P`` = prior precision, if any).

    Without a prior this is the usual ``sigma^2 (J'J)^-1`` of nonlinear least squares, with
    ``c`` the autocorrelation inflation. Raises _FitFailure if J'J is (near) singular.
    """
    info = jac.T @ jac / (stats["sigma"] ** 2 * _ac_inflation(stats["rho"], n))
    if prior_prec is not None:
        info = info + prior_prec
    scale = np.sqrt(np.diag(info))
    if np.any(scale <= 0) or not np.all(np.isfinite(info)):
        raise _FitFailure("singular Jacobian: a parameter does not affect the fit")
    scaled = info / np.outer(scale, scale)
    cond = np.linalg.cond(scaled)
    if cond > 1e10:
        raise _FitFailure(f"singular Jacobian (scaled condition number {cond:.1e})")
    return np.linalg.inv(scaled) / np.outer(scale, scale)


def _check_identified(family, se, lower, upper) -> None:
    """Raise _FitFailure if a bounded parameter's se exceeds its whole admissible range.

    The data then say nothing about it (e.g. a flat series gives a logistic whose midpoint
    t0 can sit anywhere in the past), and its normal draws would mostly be clipped.
    """
    width = np.asarray(upper, dtype=float) - np.asarray(lower, dtype=float)
    for name, s, wd in zip(PARAM_NAMES[family], se, width, strict=True):
        if np.isfinite(wd) and s > wd:
            raise _FitFailure(f"{name} not identified: se {s:.3g} exceeds its range {wd:.3g}")


def _make_fit(family, t, log_y, w, params, jac, lower, upper, prior_prec=None, unpen=None):
    fitted = log_curve(family, t, params)[0]
    resid = log_y - fitted
    k = params.size
    stats = _residual_stats(resid, w, k)
    cov = _covariance(jac, stats, t.size, prior_prec)
    cov = (cov + cov.T) / 2.0
    _check_identified(family, np.sqrt(np.diag(cov)), lower, upper)
    return GrowthFit(
        family=family,
        requested=family,
        param_names=PARAM_NAMES[family],
        params=np.asarray(params, dtype=float).copy(),
        cov=cov,
        se=np.sqrt(np.diag(cov)),
        lower=np.asarray(lower, dtype=float),
        upper=np.asarray(upper, dtype=float),
        fitted=fitted,
        resid=resid,
        sigma=stats["sigma"],
        phi=stats["phi"],
        last_resid=float(resid[-1]),
        t_last=float(t[-1]),
        n_obs=t.size,
        dof=stats["dof"],
        aic=stats["aic"],
        unpenalised=unpen,
    )


def _fit_loglinear(t, log_y, w, prior):
    """Weighted OLS of log y on (1, t): exact, so the Jacobian is the design matrix."""
    sw = _sqrt_w(w, t.size)
    design = np.column_stack([np.ones_like(t), t])
    coef, *_ = np.linalg.lstsq(design * sw[:, None], log_y * sw, rcond=None)
    lower, upper = _DOMAIN["loglinear"]
    return _make_fit("loglinear", t, log_y, w, coef, design * sw[:, None], lower, upper)


def _curve_jacobian(family: str, t: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Analytic d log_curve / d params for the least-squares families, shape (n, k)."""
    ones = np.ones_like(t)
    if family == "logistic":
        _, r, t0 = x
        s = 0.5 * (1.0 + np.tanh(-r * (t - t0) / 2.0))  # sigmoid(-r (t - t0)), overflow-free
        return np.column_stack([ones, s * (t - t0), -s * r])
    if family == "gompertz":
        _, b, r = x
        e = np.exp(np.minimum(-r * t, 50.0))
        return np.column_stack([ones, -e, b * t * e])
    s = np.maximum(t + 1.0, 1e-6)  # lifecycle
    return np.column_stack([ones, np.log(s), -s])


def _solve(family, t, log_y, w, starts, lower, upper, prior_rows=None):
    """Bounded least squares from the two best of several starts.

    ``prior_rows = (m, chol_inv, mean)`` adds penalty rows ``m * chol_inv @ (x[1:] - mean)``.
    Returns (params, Jacobian of the weighted data residuals, shape (n, k)).
    """
    from scipy.optimize import least_squares

    sw = _sqrt_w(w, t.size)
    starts = np.clip(np.asarray(starts, dtype=float), lower, upper)
    # Cheap screening: only the two starts with the lowest initial cost are optimised.
    start_cost = np.sum((sw * (log_y - log_curve(family, t, starts))) ** 2, axis=1)
    starts = starts[np.argsort(start_cost)[:2]]

    def residuals(x):
        r = sw * (log_y - _CURVES[family](t, *x))
        if prior_rows is None:
            return r
        m, chol_inv, mean = prior_rows
        return np.concatenate([r, m * (chol_inv @ (x[1:] - mean))])

    def jacobian(x):
        jac = -sw[:, None] * _curve_jacobian(family, t, x)
        if prior_rows is None:
            return jac
        m, chol_inv, _ = prior_rows
        return np.vstack([jac, np.column_stack([np.zeros(2), m * chol_inv])])

    best = None
    for x0 in starts:
        x0 = np.clip(x0, np.nextafter(lower, upper), np.nextafter(upper, lower))
        res = least_squares(residuals, x0, jac=jacobian, bounds=(lower, upper), x_scale="jac")
        if res.status > 0 and (best is None or res.cost < best.cost):
            best = res
    if best is None:
        raise _FitFailure(f"least squares did not converge from {len(starts)} starts")
    return best.x, best.jac[: t.size]


def _fit_logistic(t, log_y, w, prior):
    top, t_mid = log_y.max(), float(np.median(t))
    lower = np.array([top - 1.0, 1e-3, t.min() - 24.0])
    upper = np.array([top + 5.0, 5.0, t.max() + 48.0])
    starts = [
        (top + 0.1, 0.5, t_mid),
        (top + 0.5, 0.3, t.max()),
        (top + 2.0, 0.2, t.max() + 6.0),
        (top + 0.05, 1.0, float(np.quantile(t, 0.25))),
    ]
    params, jac = _solve("logistic", t, log_y, w, starts, lower, upper)
    return _make_fit("logistic", t, log_y, w, params, jac, lower, upper)


def _fit_gompertz(t, log_y, w, prior):
    top, first = log_y.max(), log_y[np.argmin(t)]
    lower = np.array([top - 1.0, 1e-3, 1e-3])
    upper = np.array([top + 5.0, 50.0, 3.0])
    starts = [(k, max(k - first, 0.1), r) for k in (top + 0.1, top + 1.0) for r in (0.1, 0.4)]
    params, jac = _solve("gompertz", t, log_y, w, starts, lower, upper)
    return _make_fit("gompertz", t, log_y, w, params, jac, lower, upper)


_LIFECYCLE_LOWER = np.array([-_INF, 1e-6, 1e-6])
_LIFECYCLE_UPPER = np.array([_INF, 50.0, 20.0])


def _fit_lifecycle(t, log_y, w, prior):
    """Gamma-shaped curve; with a prior on (a, b), the MAP estimate (penalised least squares).

    The prior enters as extra residual rows ``sigma0 L^-1 ((a, b) - mean)`` with ``cov = L L'``,
    so the objective is ``SSR + sigma0^2 (theta - m)' cov^-1 (theta - m)``, i.e. -2 log posterior
    times ``sigma0^2``. ``sigma0`` comes from a fit without the prior (or, on very short series,
    from a log-linear fit) since the residual scale is unknown before fitting.
    """
    start = [(log_y[0], 1.0, 0.1), (log_y[0], 3.0, 0.3)]
    lo, up = _LIFECYCLE_LOWER, _LIFECYCLE_UPPER
    if prior is None:
        params, jac = _solve("lifecycle", t, log_y, w, start, lo, up)
        return _make_fit("lifecycle", t, log_y, w, params, jac, lo, up)
    mean, cov = _check_prior(prior)
    free = _fit_unpenalised(t, log_y, w, start)
    sigma0 = free.sigma if free is not None else _fit_loglinear(t, log_y, w, None).sigma
    chol_inv = np.linalg.inv(np.linalg.cholesky(cov))
    start = [(log_y[0], *np.clip(mean, lo[1:] * 2, up[1:] / 2))] + start
    params, jac = _solve("lifecycle", t, log_y, w, start, lo, up, (sigma0, chol_inv, mean))
    prec = np.zeros((3, 3))
    prec[1:, 1:] = np.linalg.inv(cov)
    unpen = None if free is None else free.params.copy()
    return _make_fit("lifecycle", t, log_y, w, params, jac, lo, up, prec, unpen)


def _fit_unpenalised(t, log_y, w, start):
    """The lifecycle fit without a prior, or None if the series is too short or it fails."""
    if t.size < 5:
        return None
    try:
        params, jac = _solve("lifecycle", t, log_y, w, start, _LIFECYCLE_LOWER, _LIFECYCLE_UPPER)
        return _make_fit("lifecycle", t, log_y, w, params, jac, _LIFECYCLE_LOWER, _LIFECYCLE_UPPER)
    except _FitFailure:
        return None


def _check_prior(prior) -> tuple[np.ndarray, np.ndarray]:
    mean, cov = (np.asarray(p, dtype=float) for p in prior)
    if mean.shape != (2,) or cov.shape != (2, 2):
        raise ValueError(f"prior must be (mean (2,), cov (2, 2)), got {mean.shape}, {cov.shape}")
    if not np.allclose(cov, cov.T) or np.any(np.linalg.eigvalsh(cov) <= 0):
        raise ValueError("prior cov must be symmetric positive definite")
    return mean, cov


# --------------------------------------------------------------------------- damped trend

_ETS_N_PARAMS = 5  # alpha, beta, phi, initial level, initial slope
ETS_MIN_POINTS = 10
# Below ETS_MIN_POINTS the trend is a straight line's, damped as hard as ETS would allow (its
# phi bounds are 0.8-0.98): a few months after a launch or a holiday dip carry no evidence
# that growth goes on, and an undamped line from four months extrapolated 14% a month for
# eight more (the target study, docs/backtest.md). ETS itself needs 7 points (its five
# parameters and two), but from so few it can put a slope of 0.58 +- 0.82 a month on Li
# Auto's seven months to January 2023, whose paths then reached billions a month; ten is
# where a series is first cross-validated (``select``: eight to train, two folds).
SHORT_PHI = 0.8


def is_short_damped(fit: GrowthFit) -> bool:
    """Whether a damped fit is the short-series form (:func:`_fit_damped_short`)."""
    return fit.family == "damped" and fit.n_obs < ETS_MIN_POINTS


def _fit_damped(t, log_y, w, prior):
    """Damped additive trend ETS(A,Ad,N) on log y with statsmodels' ``ETSModel`` (on fewer
    than ``ETS_MIN_POINTS`` points, :func:`_fit_damped_short`).

    The closed-form curve continues from the final states: ``level + slope * (phi + ... +
    phi^h)``, which is exactly ETSModel's point forecast at integer horizons h >= 1.
    """
    if w is not None and not np.allclose(w, w[0]):
        warnings.warn("damped: observation weights are not supported; ignored", stacklevel=3)
    if not np.allclose(np.diff(t), 1.0):
        raise _FitFailure("damped needs contiguous monthly t")
    if t.size < ETS_MIN_POINTS:
        return _fit_damped_short(t, log_y)
    res = _ets_fit(log_y)
    alpha, beta, phi = (float(v) for v in res.params[:3])
    level, slope = (float(v) for v in np.asarray(res.states)[-1])
    fitted = np.asarray(res.fittedvalues, dtype=float)
    stats = _residual_stats(log_y - fitted, None, _ETS_N_PARAMS)
    cov = np.zeros((4, 4))
    cov[:2, :2] = _damped_cov(alpha, beta, phi, stats["sigma"], DAMPED_MATCH_HORIZON)
    params = np.array([level, slope, phi, t[-1]])
    return _damped_growth_fit(t, log_y, params, cov, fitted, stats)


def _damped_growth_fit(t, log_y, params, cov, fitted, stats) -> GrowthFit:
    """The damped family's ``GrowthFit``: phi and t_end fixed at ``params[2:]`` (zero
    variance in ``cov``, bounds at their values); ``stats`` as ``_residual_stats`` gives."""
    phi, t_end = float(params[2]), float(params[3])
    return GrowthFit(
        family="damped",
        requested="damped",
        param_names=PARAM_NAMES["damped"],
        params=params,
        cov=cov,
        se=np.sqrt(np.diag(cov)),
        lower=np.array([-_INF, -2.0, phi, t_end]),
        upper=np.array([_INF, 2.0, phi, t_end]),
        fitted=fitted,
        resid=log_y - fitted,
        sigma=stats["sigma"],
        phi=stats["phi"],
        last_resid=float(log_y[-1] - fitted[-1]),
        t_last=t_end,
        n_obs=t.size,
        dof=stats["dof"],
        aic=stats["aic"],
    )


def _fit_damped_short(t: np.ndarray, log_y: np.ndarray) -> GrowthFit:
    """A damped trend on fewer points than ETS needs: the least-squares line's value at the
    last month and its slope, damped with ``SHORT_PHI``.

    The covariance of (level, slope) is the line's covariance of (c, g) carried through
    ``level = c + g t_end``, ``slope = g``; phi and t_end are fixed (zero variance), as in
    :func:`_fit_damped`.
    """
    line = _fit_loglinear(t, log_y, None, None)
    c, g = (float(v) for v in line.params)
    t_end = float(t[-1])
    carry = np.array([[1.0, t_end], [0.0, 1.0]])
    cov = np.zeros((4, 4))
    cov[:2, :2] = carry @ line.cov @ carry.T
    params = np.array([c + g * t_end, g, SHORT_PHI, t_end])
    fitted = log_curve("damped", t, params)[0]
    stats = {"sigma": line.sigma, "phi": line.phi, "dof": line.dof, "aic": line.aic}
    return _damped_growth_fit(t, log_y, params, cov, fitted, stats)


LEVEL_MONTHS = 3
"""Months averaged by the level family: the run-rate a planner takes (the last quarter)."""


def _fit_level(t, log_y, w, prior):
    """The planner's run-rate: the mean of the last ``LEVEL_MONTHS`` deseasonalised log
    months, held flat.

    Its residuals are the one-step errors of the same rule (each month against the mean of
    the ``LEVEL_MONTHS`` before it; the first month has none), so a trend it does not follow
    shows as spread: ``sigma`` is their root mean square, ``phi`` 0 (no carry-over: the
    level already sits at the last months) and the level's variance ``sigma^2 /
    LEVEL_MONTHS``, a mean of that many months. It needs no optimiser and cannot fail;
    observation weights are ignored.
    """
    n = t.size
    k = LEVEL_MONTHS
    csum = np.concatenate([[0.0], np.cumsum(log_y)])
    idx = np.arange(1, n)
    lo = np.maximum(idx - k, 0)
    fitted = np.empty(n)
    fitted[0] = log_y[0]
    fitted[1:] = (csum[idx] - csum[lo]) / (idx - lo)
    resid = log_y - fitted
    stats = _residual_stats(resid[1:], None, 0)
    level = float(np.mean(log_y[-k:]))
    cov = np.array([[stats["sigma"] ** 2 / k]])  # n >= 3 = k (_check_inputs)
    return GrowthFit(
        family="level",
        requested="level",
        param_names=PARAM_NAMES["level"],
        params=np.array([level]),
        cov=cov,
        se=np.sqrt(np.diag(cov)),
        lower=np.array([-_INF]),
        upper=np.array([_INF]),
        fitted=fitted,
        resid=resid,
        sigma=stats["sigma"],
        phi=0.0,
        last_resid=0.0,
        t_last=float(t[-1]),
        n_obs=n,
        dof=stats["dof"],
        aic=stats["aic"],
    )


def _ets_fit(log_y: np.ndarray):
    """statsmodels ETSModel(A,Ad,N) fit; a non-converged optimiser becomes a _FitFailure."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model = ETSModel(log_y, error="add", trend="add", damped_trend=True)
        res = model.fit(disp=False)
    if not res.mle_retvals.get("converged", True):
        raise _FitFailure("ETS optimiser did not converge")
    for item in caught:
        if issubclass(item.category, ConvergenceWarning):
            raise _FitFailure(f"ETS: {item.message}")
    return res


def _damped_cov(alpha: float, beta: float, phi: float, sigma: float, horizon: int) -> np.ndarray:
    """Covariance of (level, slope) that approximates ETS(A,Ad,N) forecast variance, (2, 2).

    ETS has a single source of error, so its final states are known given the data and the
    spread of its forecasts comes from future innovations. The h-step forecast variance is
    ``v_h = sigma^2 (1 + sum_{j<h} c_j^2)`` with ``c_j = alpha + beta phi (1 - phi^j) / (1 - phi)``
    (Hyndman et al. 2008, *Forecasting with Exponential Smoothing*, Table 6.1, class 1).
    The simulator adds ``sigma`` noise itself, so we represent the persistent part as a random
    shift of the final level and slope: ``sigma^2 + s_l^2 + 2 rho s_l s_b d_h + s_b^2 d_h^2``
    with ``d_h = phi (1 - phi^h) / (1 - phi)``, fitted to ``v_h`` in relative terms over
    h = 1..horizon (Cholesky-parametrised, so the result is positive semi-definite).
    A random-walk level (variance linear in h) can only be approximated this way; the
    estimation error of (alpha, beta, phi, initial states) is left out.
    """
    from scipy.optimize import least_squares

    h = np.arange(1, horizon + 1, dtype=float)
    c = alpha + beta * _damped_factor(h[:-1], np.full(horizon - 1, phi))
    target = 1.0 + np.concatenate([[0.0], np.cumsum(c**2)])  # v_h / sigma^2
    d = _damped_factor(h, np.full(horizon, phi))

    def rel_err(x):  # x = (l11, l21, l22) of the Cholesky factor, in units of sigma
        return (1.0 + x[0] ** 2 + 2 * x[0] * x[1] * d + (x[1] ** 2 + x[2] ** 2) * d**2) / target - 1

    x0 = np.array([0.1, 0.5 * alpha, 0.1])
    x = least_squares(rel_err, x0, method="lm").x
    chol = sigma * np.array([[x[0], 0.0], [x[1], x[2]]])
    return chol @ chol.T


_FITTERS: dict[str, Callable[..., GrowthFit]] = {
    "loglinear": _fit_loglinear,
    "logistic": _fit_logistic,
    "gompertz": _fit_gompertz,
    "damped": _fit_damped,
    "lifecycle": _fit_lifecycle,
    "level": _fit_level,
}
