"""The reference class of Chinese BEV model launches: how new lines ramp up, peak and fade.

Data: the monthly best-seller lists (``forecast.load.bev_models``, ``data/bev_models.csv``).
A list holds only that month's best sellers, so a model missing from a month sold less than
that month's list cut-off: the month is *censored*, not zero.

Rules (all in :func:`find_launches`):

- *time origin*: ``t = 0`` is a model's first month in the lists, the first month it sold
  above the cut-off (a few thousand units since 2021). That is usually the first or second
  full month of deliveries of a model that matters; a slow starter enters later, so the
  class describes ramps from the first visible month and is, if anything, a little fast.
- *a launch*: first listed at least ``margin`` months after the data start (a model listed in
  early 2018 may have been selling for years); at least ``min_months`` months of data from its
  first listed month (six months cannot show a lifecycle); listed in at least ``min_listed`` of
  its first ``horizon`` months (enough points above the cut-off to fit a curve); its best
  listed month at least ``min_after_peak`` months before the end of its window (a peak seen,
  not a line still climbing when the data stop). The forecast company's own launches (its
  make in ``data/company.csv``; Xiaomi's SU7 and YU7 in the bundled data) are kept out.
- *censoring bound*: a month's cut-off is its smallest listed figure (:attr:`ModelSales.cutoff`).
  A few lists also name a small model outside the ranking (BYD Tang EV at 643 units in
  2023-06 while the ranking ended near 7,600), and "below 643" would claim an unlisted model
  had all but vanished. The fit therefore uses the smallest listed figure that is at least
  ``min_share`` of the month's median listed figure (:func:`censoring_bounds`): a higher bound
  only weakens a censored month's information, a wrong low one bends the curve.

Each launch's first ``horizon`` months are fitted with the lifecycle curve of ``growth.py``,
``log y(t) = c + a*log(t+1) - b*(t+1)`` (peak at ``t + 1 = a/b``), by a Tobit likelihood:
a listed month contributes the normal density of its log residual, a censored month the
probability that the log volume lies below the log bound (Tobin 1958; Amemiya 1984).
The per-launch ``(a, b)`` give the prior for a short line history and, normalised to each
launch's peak, the ramp-up share curves whose quantiles drive launches and restarts.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from forecast.errors import DataError
from forecast.load.bev_models import ModelSales, make_of

QUANTILE_LEVELS = (0.1, 0.5, 0.9)

# Bounds for the Tobit fit. a and b must stay positive (the family's constraint); the upper
# bounds are far beyond any launch seen (a = 10 multiplies volume by 2**10 from t = 0 to 1).
_A_BOUNDS = (0.01, 10.0)
_B_BOUNDS = (0.001, 3.0)
# Noise floor: month-to-month swings of a best seller are never below ~5% on the log scale,
# and without a floor six well-placed points could drive sigma (and the likelihood) to zero.
_LOG_SIGMA_BOUNDS = (np.log(0.05), np.log(3.0))


def _readonly(array: np.ndarray, dtype: type) -> np.ndarray:
    out: np.ndarray = np.array(array, dtype=dtype)
    out.setflags(write=False)
    return out


# --------------------------------------------------------------------------- launches


@dataclass(frozen=True, slots=True, kw_only=True)
class Launch:
    """One model's first months in the lists; arrays have shape (m,), m <= horizon.

    ``t`` is months since the first listed month (0, 1, ...); ``units`` the listed figure
    (0 where censored); ``listed`` where it was listed; ``bound`` the censoring bound of each
    month (an unlisted month sold less than it).
    """

    name: str
    first_month: int
    t: np.ndarray
    units: np.ndarray
    listed: np.ndarray
    bound: np.ndarray

    def __post_init__(self) -> None:
        for field, dtype in (("t", float), ("units", float), ("listed", bool), ("bound", float)):
            object.__setattr__(self, field, _readonly(getattr(self, field), dtype))

    @property
    def n_listed(self) -> int:
        return int(self.listed.sum())

    @property
    def n_censored(self) -> int:
        return int(self.listed.size - self.listed.sum())


def censoring_bounds(sales: ModelSales, *, min_share: float = 0.2) -> np.ndarray:
    """Upper bound on an unlisted model's sales in each month, shape (n_months,).

    The smallest listed figure that is at least ``min_share`` times the month's median
    listed figure: figures far below the rest are models named outside the ranking, and
    using them would claim every unlisted model sold next to nothing (see the module notes).
    """
    bounds = np.empty(sales.months.size)
    for j in range(sales.months.size):
        figures = sales.units[sales.listed[:, j], j]
        bounds[j] = figures[figures >= min_share * np.median(figures)].min()
    return bounds


def find_launches(
    sales: ModelSales,
    *,
    margin: int = 6,
    min_months: int = 12,
    min_listed: int = 6,
    min_after_peak: int = 3,
    horizon: int = 36,
    exclude_makes: tuple[str, ...] = (),
) -> tuple[Launch, ...]:
    """The launches whose ramp, peak and decline the lists show (rules in the module notes).

    Parameters
    ----------
    sales : ModelSales
        The best-seller lists.
    margin : int
        A launch is first listed at least this many months after the first month of data.
    min_months : int
        At least this many months of data from the first listed month.
    min_listed : int
        Listed in at least this many of its first ``horizon`` months.
    min_after_peak : int
        Its best listed month is at least this many months before its window ends.
    horizon : int
        Months from the first listed month that are fitted (the window).
    exclude_makes : tuple of str
        Makes kept out: the forecast company's own (``Company.own_makes``).

    Returns
    -------
    tuple of Launch
        In the order of ``sales.names`` (first listed month, then name).
    """
    bounds = censoring_bounds(sales)
    launches = []
    for row, name in enumerate(sales.names):
        if make_of(name) in exclude_makes:
            continue
        first = int(np.argmax(sales.listed[row]))
        window = slice(first, min(sales.months.size, first + horizon))
        listed, units = sales.listed[row, window], sales.units[row, window]
        best = int(np.argmax(units))  # units are 0 where unlisted
        seen_peak = listed.size - 1 - best >= min_after_peak
        enough = sales.months.size - first >= min_months and listed.sum() >= min_listed
        if first >= margin and enough and seen_peak:
            launches.append(
                Launch(
                    name=name,
                    first_month=int(sales.months[first]),
                    t=np.arange(listed.size),
                    units=units,
                    listed=listed,
                    bound=bounds[window],
                )
            )
    return tuple(launches)


# --------------------------------------------------------------------------- per-launch fit


def lifecycle_shape(
    t: np.ndarray | float, a: np.ndarray | float, b: np.ndarray | float
) -> np.ndarray:
    """The lifecycle curve without its level, ``a*log(t+1) - b*(t+1)``; broadcasts."""
    return a * np.log1p(t) - b * (t + 1.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchFit:
    """One launch's Tobit fit of ``log y(t) = c + a*log(t+1) - b*(t+1)`` with noise ``sigma``."""

    name: str
    first_month: int
    n_listed: int
    n_censored: int
    c: float
    a: float
    b: float
    sigma: float
    converged: bool

    @property
    def at_bound(self) -> bool:
        """Whether ``a`` or ``b`` sits on its lower bound.

        There the family cannot express the shape in the window (no rise: falling or flat
        from the first month; no fall: still rising at the end), and the bound, not the
        data, sets the number.
        """
        return bool(np.isclose(self.a, _A_BOUNDS[0]) or np.isclose(self.b, _B_BOUNDS[0]))


def fit_launch(launch: Launch) -> LaunchFit:
    """Maximum-likelihood lifecycle curve of one launch, censored months included.

    Listed months contribute ``log pdf((log y - mu) / sigma) - log sigma``, censored months
    ``log Phi((log bound - mu) / sigma)``; ``mu = c + a*log(t+1) - b*(t+1)``. Bounded
    L-BFGS-B keeps ``a, b > 0``; the start is least squares on the listed months.
    """
    from scipy.optimize import minimize

    design = np.column_stack([np.ones_like(launch.t), np.log1p(launch.t), -(launch.t + 1.0)])
    log_y = np.log(np.where(launch.listed, launch.units, launch.bound))
    data = (design, log_y, launch.listed)
    bounds = [(None, None), _A_BOUNDS, _B_BOUNDS, _LOG_SIGMA_BOUNDS]
    result = minimize(
        _tobit_nll, _start(*data), args=data, jac=True, method="L-BFGS-B", bounds=bounds
    )
    c, a, b, log_sigma = result.x
    return LaunchFit(
        name=launch.name,
        first_month=launch.first_month,
        n_listed=launch.n_listed,
        n_censored=launch.n_censored,
        c=float(c),
        a=float(a),
        b=float(b),
        sigma=float(np.exp(log_sigma)),
        converged=bool(result.success),
    )


def _start(design: np.ndarray, log_y: np.ndarray, listed: np.ndarray) -> np.ndarray:
    """Least squares on the listed months, clipped into the bounds; sigma from its residuals."""
    coef, *_ = np.linalg.lstsq(design[listed], log_y[listed], rcond=None)
    coef[1] = np.clip(coef[1], *_A_BOUNDS)
    coef[2] = np.clip(coef[2], *_B_BOUNDS)
    resid = log_y[listed] - design[listed] @ coef
    log_sigma = np.clip(np.log(max(np.sqrt(np.mean(resid**2)), 0.2)), *_LOG_SIGMA_BOUNDS)
    return np.append(coef, log_sigma)


def _tobit_nll(
    theta: np.ndarray, design: np.ndarray, log_y: np.ndarray, listed: np.ndarray
) -> tuple[float, np.ndarray]:
    """Negative Tobit log-likelihood (constants dropped) and its gradient, theta = (c, a, b, log sigma).

    ``log_y`` holds the log figure where listed and the log censoring bound elsewhere.
    """
    from scipy.special import log_ndtr

    sigma = np.exp(theta[3])
    z = (log_y - design @ theta[:3]) / sigma
    zo, zc = z[listed], z[~listed]
    log_cdf = log_ndtr(zc)
    mills = np.exp(-0.5 * zc**2 - 0.5 * np.log(2 * np.pi) - log_cdf)  # pdf / cdf
    value = np.sum(theta[3] + 0.5 * zo**2) - np.sum(log_cdf)
    d_mu = np.where(listed, -z, 0.0) / sigma
    d_mu[~listed] = mills / sigma
    d_log_sigma = np.sum(1.0 - zo**2) + np.sum(mills * zc)
    return float(value), np.append(design.T @ d_mu, d_log_sigma)


# --------------------------------------------------------------------------- the class


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceRamp:
    """Ramp-up share of peak by months since a start, as quantiles over the reference class.

    ``table`` (n_levels, n_steps) holds, for quantile level ``levels[i]`` (evenly spaced from 0
    to 1) and whole month ``k``, the level-``i`` quantile across launches of the share of its
    peak a launch had reached ``k`` months after its start. Each launch's share is its fitted
    curve over its peak, held at 1 after the peak, so every row rises to 1 by the last step.
    """

    levels: np.ndarray
    table: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", _readonly(self.levels, float))
        object.__setattr__(self, "table", _readonly(np.clip(self.table, 0.0, 1.0), float))

    def fraction(self, months_since_start: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Share of plateau reached, shape (n, m), in [0, 1].

        Parameters
        ----------
        months_since_start : ndarray, shape (m,)
            Months since the start (a launch or a restart after a gap); fractional months
            interpolate linearly, negative months give 0, months past the table give 1.
        u : ndarray, shape (n,)
            One uniform per path: the quantile of the path's ramp speed in the reference
            class (0.5 the median launch, higher faster).

        Returns
        -------
        ndarray, shape (n, m)
            Non-decreasing in months and in ``u``.
        """
        months = np.asarray(months_since_start, dtype=float)
        u = np.asarray(u, dtype=float)
        if np.any((u < 0) | (u > 1)) or np.isnan(u).any():
            raise ValueError("u must lie in [0, 1]")
        by_level = self._at_months(months)  # (n_levels, m): small, so the per-path work is
        pos = u * (self.levels.size - 1)  # two gathers and one multiply-add
        lo = np.minimum(pos.astype(np.int64), self.levels.size - 2)
        out = by_level[lo]
        out += (by_level[lo + 1] - out) * (pos - lo)[:, None]
        return out

    def fraction_at(self, months_since_start: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Share of plateau reached at per-path times, shape (n, m), in [0, 1].

        Same interpolation as ``fraction`` (linear in months, then linear in ``u``), but
        ``months_since_start`` has shape (n, m): one row of times per path, as when ramps
        start at different times on different paths. Four gathers from the table per value.

        Parameters
        ----------
        months_since_start : ndarray, shape (n, m)
        u : ndarray, shape (n,)

        Returns
        -------
        ndarray, shape (n, m)
        """
        t = np.asarray(months_since_start, dtype=float)
        u = np.asarray(u, dtype=float)
        if np.any((u < 0) | (u > 1)) or np.isnan(u).any():
            raise ValueError("u must lie in [0, 1]")
        n_levels, n_steps = self.table.shape
        pos_u = u * (n_levels - 1)
        lo_u = np.minimum(pos_u.astype(np.int64), n_levels - 2)
        pos = np.clip(t, 0.0, n_steps - 1.0)
        lo = np.minimum(pos.astype(np.int64), n_steps - 2)
        weight = pos - lo
        lo += (lo_u * n_steps)[:, None]  # flat index of (level lo_u, step lo)
        flat = self.table.ravel()
        below = self._gather(flat, lo, weight)
        lo += n_steps
        out = self._gather(flat, lo, weight)
        out -= below
        out *= (pos_u - lo_u)[:, None]
        out += below
        out[t < 0] = 0.0
        return out

    @staticmethod
    def _gather(flat: np.ndarray, index: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """``flat[index] * (1 - weight) + flat[index + 1] * weight``, as in ``_at_months``."""
        out = flat.take(index)
        out *= 1.0 - weight
        out += flat.take(index + 1) * weight
        return out

    def _at_months(self, months: np.ndarray) -> np.ndarray:
        """Table interpolated at each month, shape (n_levels, m); 0 before the start."""
        n_steps = self.table.shape[1]
        pos = np.clip(months, 0.0, n_steps - 1.0)
        lo = np.minimum(pos.astype(np.int64), n_steps - 2)
        weight = pos - lo
        values = self.table[:, lo] * (1.0 - weight) + self.table[:, lo + 1] * weight
        return np.where(months < 0, 0.0, values)


@dataclass(frozen=True, slots=True, kw_only=True)
class SummaryRow:
    """One printed statistic over the launches: its 10th, 50th and 90th percentiles."""

    statistic: str
    p10: float
    p50: float
    p90: float
    n: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceClass:
    """The fitted reference class.

    ``launches`` are the per-launch fits; ``excluded`` the target's own lines found in the
    lists and kept out; ``horizon`` the months fitted per launch; ``ramp`` the
    :class:`ReferenceRamp` for launches and restarts.

    The prior on the lifecycle parameters is the spread of the per-launch estimates of the
    ``n_prior`` launches whose fit is not on a bound (:attr:`LaunchFit.at_bound`: there the
    bound, not the data, sets the number, and moments of such numbers would follow the bound).
    Two forms: ``prior_mean`` (2,) and ``prior_cov`` (2, 2) of ``(a, b)``, and
    ``log_prior_mean`` / ``log_prior_cov`` of ``(log a, log b)``. ``b`` is right-skewed
    (a plain Gaussian puts about a fifth of its mass on ``b < 0``), so the log form is the
    one to sample from; the plain form suits a penalty in a fit that bounds ``b > 0``. The
    spread includes each fit's estimation error, so it is a little wider than the true
    between-launch spread.
    """

    launches: tuple[LaunchFit, ...]
    excluded: tuple[str, ...]
    horizon: int
    n_prior: int
    prior_mean: np.ndarray
    prior_cov: np.ndarray
    log_prior_mean: np.ndarray
    log_prior_cov: np.ndarray
    ramp: ReferenceRamp

    def __post_init__(self) -> None:
        for field in ("prior_mean", "prior_cov", "log_prior_mean", "log_prior_cov"):
            object.__setattr__(self, field, _readonly(getattr(self, field), float))

    @property
    def n_launches(self) -> int:
        return len(self.launches)

    @property
    def params(self) -> np.ndarray:
        """Per-launch ``(a, b)``, shape (n_launches, 2)."""
        return np.array([(fit.a, fit.b) for fit in self.launches]).reshape(-1, 2)

    @property
    def months_to_peak(self) -> np.ndarray:
        """Months from the first month to the fitted peak, within the window, (n_launches,)."""
        a, b = self.params.T
        return _peak_t(a, b, self.horizon)

    def relative_volume(self, t: np.ndarray | float) -> np.ndarray:
        """Fitted volume at month ``t`` (since the first month) over the peak, (n_launches,)."""
        a, b = self.params.T
        return np.exp(lifecycle_shape(t, a, b) - lifecycle_shape(_peak_t(a, b, self.horizon), a, b))

    def after_peak(self, months: float) -> np.ndarray:
        """Fitted volume ``months`` after the peak over the peak, (n_launches,)."""
        return self.relative_volume(self.months_to_peak + months)

    def summary_rows(self) -> tuple[SummaryRow, ...]:
        """The distribution over launches, one row per statistic, for ``forecast fit``."""
        a, b = self.params.T
        stats = [
            ("months to peak", self.months_to_peak),
            ("peak / month-3 volume", 1.0 / self.relative_volume(2.0)),
            ("6 months after peak / peak", self.after_peak(6.0)),
            ("12 months after peak / peak", self.after_peak(12.0)),
            ("lifecycle a", a),
            ("lifecycle b", b),
        ]
        rows = [_row(label, values, self.n_launches) for label, values in stats]
        steps = (0, 3, 6, 12)
        shares = self.ramp.fraction(np.array(steps, dtype=float), np.array(QUANTILE_LEVELS))
        for k, (p10, p50, p90) in zip(steps, shares.T.tolist(), strict=True):
            label = f"ramp share at month {k}"
            rows.append(SummaryRow(statistic=label, p10=p10, p50=p50, p90=p90, n=self.n_launches))
        return tuple(rows)


def _peak_t(a: np.ndarray, b: np.ndarray, horizon: int) -> np.ndarray:
    # The curve peaks at t + 1 = a/b; before t = 0 it means "falling from the start", and a
    # peak past the window is beyond what the fit saw, so the window's last month stands in.
    return np.clip(a / b - 1.0, 0.0, horizon - 1.0)


def _row(label: str, values: np.ndarray, n: int) -> SummaryRow:
    p10, p50, p90 = np.quantile(values, QUANTILE_LEVELS)
    return SummaryRow(statistic=label, p10=float(p10), p50=float(p50), p90=float(p90), n=n)


def fit_reference_class(
    sales: ModelSales,
    *,
    exclude_makes: tuple[str, ...] = (),
    horizon: int = 36,
    n_levels: int = 101,
) -> ReferenceClass:
    """Find and fit every launch in the lists, and summarise the class.

    Parameters
    ----------
    sales : ModelSales
        The best-seller lists (``load_bev_models``).
    exclude_makes : tuple of str
        Makes whose launches are kept out: the forecast company's own, whose lines the class
        is a prior for (``Company.own_makes``, from ``data/company.csv``).
    horizon : int
        Months fitted per launch, and the length of the ramp table.
    n_levels : int
        Quantile levels in the ramp table, evenly spaced from 0 to 1.

    Returns
    -------
    ReferenceClass
        Raises DataError when fewer than three launches qualify, or fewer than three fits
        are off the bounds (no spread to speak of).
    """
    launches = find_launches(sales, horizon=horizon, exclude_makes=exclude_makes)
    fits = tuple(fit_launch(launch) for launch in launches)
    params = np.array([(fit.a, fit.b) for fit in fits]).reshape(-1, 2)
    inside = params[[not fit.at_bound for fit in fits]]
    if len(fits) < 3 or len(inside) < 3:
        raise DataError(
            f"reference class: only {len(fits)} launches qualify, {len(inside)} fit inside the bounds (need 3)"
        )
    return ReferenceClass(
        launches=fits,
        excluded=tuple(name for name in sales.names if make_of(name) in exclude_makes),
        horizon=horizon,
        n_prior=len(inside),
        prior_mean=inside.mean(axis=0),
        prior_cov=np.cov(inside, rowvar=False),
        log_prior_mean=np.log(inside).mean(axis=0),
        log_prior_cov=np.cov(np.log(inside), rowvar=False),
        ramp=_ramp(params, horizon, n_levels),
    )


def _ramp(params: np.ndarray, horizon: int, n_levels: int) -> ReferenceRamp:
    """Quantiles over launches of the share of peak reached at months 0..horizon-1."""
    a, b = params[:, :1], params[:, 1:]  # (n_launches, 1), broadcast against months (k,)
    t_peak = _peak_t(a, b, horizon)
    k = np.arange(horizon, dtype=float)
    # Held at 1 after the peak: the share of plateau *reached*, so the decline stays with
    # the line's own lifecycle curve and the ramp is non-decreasing by construction.
    shares = np.exp(lifecycle_shape(np.minimum(k, t_peak), a, b) - lifecycle_shape(t_peak, a, b))
    levels = np.linspace(0.0, 1.0, n_levels)
    # A quantile of curves that each rise is itself rising, so the rows stay monotone.
    return ReferenceRamp(levels=levels, table=np.quantile(shares, levels, axis=0))


# --------------------------------------------------------------------------- backtest series


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceSeries:
    """One model's longest unbroken run of listed months; arrays of shape (n_months,)."""

    name: str
    months: np.ndarray
    units: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "months", _readonly(self.months, np.int64))
        object.__setattr__(self, "units", _readonly(self.units, float))


def reference_series(
    sales: ModelSales, names: Iterable[str], *, min_months: int = 6
) -> tuple[ReferenceSeries, ...]:
    """Unbroken monthly series of named models, for backtests.

    Parameters
    ----------
    sales : ModelSales
        The best-seller lists.
    names : iterable of str
        ``"Make|Model"`` as in ``data/bev_models.csv`` (``"BYD|Seagull"``).
    min_months : int
        A series shorter than this is an error.

    Returns
    -------
    tuple of ReferenceSeries
        One per name, in order: the model's longest run of consecutive listed months (the
        earliest when two are equally long), since an unlisted month's figure is unknown.
        An unknown name or a short run raises DataError, every problem at once.
    """
    series, problems = [], []
    for name in names:
        if name not in sales.names:
            close = difflib.get_close_matches(name, sales.names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"reference series: {name!r}: not in the lists{hint}")
            continue
        row = sales.index(name)
        start, stop = _longest_run(sales.listed[row])
        if stop - start < min_months:
            problems.append(
                f"reference series: {name!r}: longest unbroken run is {stop - start} months (need {min_months})"
            )
        months = sales.months[start:stop]
        series.append(ReferenceSeries(name=name, months=months, units=sales.units[row, start:stop]))
    if problems:
        raise DataError(problems)
    return tuple(series)


def _longest_run(listed: np.ndarray) -> tuple[int, int]:
    """(start, stop) of the first longest run of True in a bool vector."""
    edges = np.diff(np.concatenate([[0], listed.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    best = int(np.argmax(stops - starts))
    return int(starts[best]), int(stops[best])
