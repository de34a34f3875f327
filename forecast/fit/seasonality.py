"""Monthly seasonal factors: the market's shape, shrunk toward what a maker's history supports.

Twenty-odd months of one maker's deliveries cannot pin down eleven free monthly factors, so
the shape is borrowed from China's monthly market (``fit_market_seasonality``) and adjusted
only as far as the maker's own residuals support (``shrink_seasonality``).

The market model, on the log scale, is

    log sales[t] = trend[t] + alpha[month of year of t] + beta * holiday_days[t] + noise[t]

where ``holiday_days`` counts the days of the official Lunar New Year holiday in the month,
so the holiday's effect moves between January and February with the lunar calendar. It is
the classical ratio-to-moving-average decomposition (X-11 style) with a holiday regressor:
the trend is a centred 2x12 moving average of the seasonally adjusted logs, the effects are
a robust (Huber) regression of the detrended logs, and the two steps are iterated.

Factors are additive on the log scale and normalised so that they sum to zero over a year
with the average number of holiday days; a year with a longer holiday sums a little below
zero, as it should.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.errors import DataError
from forecast.load.calendar import Calendar
from forecast.load.market import SERIES, MarketSeries
from forecast.months import month_ordinal, year_months

# BEVs, the market the makers sell in: see ``fit_market_seasonality``.
DEFAULT_SERIES = "bev_total"

# Supply shocks, not seasons: the COVID-19 shutdown (2020-01 to 2020-04) and the Shanghai
# lockdown (2022-04 and 2022-05). Left out of the regression and bridged in the trend.
DEFAULT_EXCLUDE: tuple[int, ...] = (
    *range(month_ordinal(2020, 1), month_ordinal(2020, 4) + 1),
    month_ordinal(2022, 4),
    month_ordinal(2022, 5),
)

# Empirical Bayes: a month's mean residual r (n years) estimates the maker's own deviation
# d ~ N(0, tau^2) with noise sigma^2 / n, so E[d | r] = n / (n + sigma^2 / tau^2) * r.
# tau ~ 0.056: the spread of the persistent difference between the BEV and all-car month
# factors (sd 0.087 less their estimation noise), i.e. how far one segment's shape departs
# from another's. sigma ~ 0.10: a maker's monthly log residual around a smooth curve
# (Xiaomi 2024-10 to 2025-12 about a quadratic: 0.094). sigma^2 / tau^2 ~ 3.2.
DEFAULT_PRIOR_STRENGTH = 3.0

_N_ITERATIONS = 4
_N_COEF = 13  # twelve month-of-year effects, then the effect per holiday day
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketSeasonality:
    """Month-of-year and Lunar New Year effects fitted to one market series.

    ``coef`` holds the raw regression coefficients, shape (13,): twelve month-of-year
    intercepts (January first) and the log effect of one holiday day; ``cov`` (13, 13) is
    their robust covariance. ``mean_holiday_days`` is the holiday length of an average year,
    used to normalise the factors. ``scale`` is the robust residual scale: how far one year's
    factor strays from the average shape.
    """

    series: str
    calendar: Calendar
    coef: np.ndarray
    cov: np.ndarray
    mean_holiday_days: float
    scale: float
    fit_months: np.ndarray

    @property
    def lny_effect(self) -> float:
        """Log effect of one Lunar New Year holiday day in a month."""
        return float(self.coef[12])

    @property
    def lny_effect_se(self) -> float:
        return float(np.sqrt(self.cov[12, 12]))

    def log_factors(self, months: np.ndarray) -> np.ndarray:
        """Additive log seasonal effect of each month, shape (m,), for month ordinals (m,).

        Any year in the calendar works: its holiday days place the Lunar New Year effect.
        """
        return self._contrasts(months) @ self.coef

    def log_factor_se(self, months: np.ndarray) -> np.ndarray:
        """Standard error of ``log_factors``, shape (m,).

        From the regression covariance only; the uncertainty of the moving-average trend and
        the choice of decomposition are not included.
        """
        contrasts = self._contrasts(months)
        return np.sqrt(np.einsum("mi,ij,mj->m", contrasts, self.cov, contrasts))

    def _contrasts(self, months: np.ndarray) -> np.ndarray:
        """Rows mapping ``coef`` to each month's normalised log factor, shape (m, 13)."""
        months = np.asarray(months, dtype=np.int64)
        contrasts = _design(months, self.calendar.holiday_days(months))
        contrasts[:, :12] -= 1 / 12
        contrasts[:, 12] -= self.mean_holiday_days / 12
        return contrasts


def fit_market_seasonality(
    market: MarketSeries,
    calendar: Calendar,
    *,
    series: str = DEFAULT_SERIES,
    exclude: tuple[int, ...] = DEFAULT_EXCLUDE,
) -> MarketSeasonality:
    """Fit month-of-year and Lunar New Year effects to a market series.

    The default series is China's BEV market, the one the makers sell in. Its Decembers are
    inflated and its Januaries depressed by policy taking effect on 1 January (subsidy cuts
    in 2021 and 2022, the end of the national subsidy in 2023, the purchase tax in 2026), and
    its robust residual scale is about 40% larger than all cars'. All passenger cars were the
    default until the target study (docs/backtest.md) showed what that costs: the engine's
    errors on every bundled company's month forecasts, by the month forecast, ran from -26%
    in January to +14% in August (the makers' first months fell further below the year's
    run than all cars' do, so their level came out low and the rest of the year was
    under-forecast), and the study's CRPS of the annual total was 0.0739 with all cars
    against 0.0706 with BEVs, its Brier score 0.074 against 0.061. ``series=
    "all_passenger_cars"`` gives the steadier all-car shape for comparison.

    Months in ``exclude`` (default: COVID-19, 2020-01 to 2020-04; Shanghai lockdown,
    2022-04 and 2022-05) are left out of the regression and bridged by interpolation in the
    trend, so that they do not drag the moving average; the Huber fit then downweights the
    remaining policy spikes instead of letting them set a month's factor.

    Parameters
    ----------
    market : MarketSeries
        Monthly sales, shape (n_months,) each, contiguous months.
    calendar : Calendar
        Must cover every year of ``market.months``.
    series : {"all_passenger_cars", "bev_total"}
    exclude : tuple of int
        Month ordinals to leave out of the fit.

    Returns
    -------
    MarketSeasonality
    """
    if series not in SERIES:
        raise ValueError(f"unknown market series {series!r} (expected one of: {', '.join(SERIES)})")
    months = np.asarray(market.months, dtype=np.int64)
    log_sales = np.log(market.series(series))
    design = _design(months, calendar.holiday_days(months))
    keep = ~np.isin(months, np.asarray(exclude, dtype=np.int64))
    seasonal = np.zeros_like(log_sales)
    for _ in range(_N_ITERATIONS):
        trend = _centred_moving_average(_bridge(log_sales - seasonal, keep))
        used = keep & np.isfinite(trend)
        _check_coverage(series, months[used])
        coef, cov, scale = _robust_fit(log_sales[used] - trend[used], design[used])
        seasonal = design @ coef
    return MarketSeasonality(
        series=series,
        calendar=calendar,
        coef=coef,
        cov=cov,
        mean_holiday_days=_mean_holiday_days(calendar, months[used]),
        scale=scale,
        fit_months=months[used],
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ShrunkSeasonality:
    """Market factors plus a per-month-of-year adjustment from a maker's own residuals.

    Arrays are shape (12,), January first: ``n_obs`` residuals seen for each month of year,
    their mean ``mean_resid`` (0 where none), the ``weight`` n / (n + prior_strength) given
    to it, and the ``adjustment`` added to the market's log factor (the shrunk means, centred
    so the twelve sum to zero and the level stays with the growth curve).
    """

    base: MarketSeasonality
    prior_strength: float
    n_obs: np.ndarray
    mean_resid: np.ndarray
    weight: np.ndarray
    adjustment: np.ndarray

    def log_factors(self, months: np.ndarray) -> np.ndarray:
        """Additive log seasonal effect, shape (m,): market factor plus own adjustment."""
        return self.base.log_factors(months) + self.log_adjustments(months)

    def log_adjustments(self, months: np.ndarray) -> np.ndarray:
        """The own-history part of ``log_factors``, shape (m,)."""
        return self.adjustment[np.asarray(months, dtype=np.int64) % 12]


def shrink_seasonality(
    base: MarketSeasonality,
    months: np.ndarray,
    log_resid: np.ndarray,
    *,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
) -> ShrunkSeasonality:
    """Adjust market factors by a maker's mean residual per month of year, shrunk toward 0.

    Parameters
    ----------
    base : MarketSeasonality
    months : array of int, shape (n,)
        Month ordinals of the residuals.
    log_resid : array of float, shape (n,)
        Log deliveries less the growth curve and ``base.log_factors(months)``; NaN = no data.
    prior_strength : float
        Pseudo-observations of "no deviation" per month: a month seen n times moves
        n / (n + prior_strength) of the way to its mean residual. See
        ``DEFAULT_PRIOR_STRENGTH`` for where 3 comes from.

    Returns
    -------
    ShrunkSeasonality
    """
    months, log_resid = _check_resid(months, log_resid, prior_strength)
    seen = np.isfinite(log_resid)
    month_of_year = months[seen] % 12
    n_obs = np.bincount(month_of_year, minlength=12)
    sums = np.bincount(month_of_year, weights=log_resid[seen], minlength=12)
    mean_resid = np.divide(sums, n_obs, out=np.zeros(12), where=n_obs > 0)
    weight = np.divide(n_obs, n_obs + float(prior_strength), out=np.zeros(12), where=n_obs > 0)
    shrunk = weight * mean_resid
    return ShrunkSeasonality(
        base=base,
        prior_strength=float(prior_strength),
        n_obs=n_obs,
        mean_resid=mean_resid,
        weight=weight,
        adjustment=shrunk - shrunk.mean(),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class FactorRow:
    """One month of a target year's factor table; factors are multiplicative."""

    month: int
    holiday_days: int
    market_factor: float
    adjustment: float
    factor: float


def factor_table(
    seasonality: MarketSeasonality | ShrunkSeasonality, year: int
) -> tuple[FactorRow, ...]:
    """The twelve months of ``year``: market factor, own adjustment and final factor.

    Factors are ``exp`` of the log effects, so final = market x adjustment. A bare
    ``MarketSeasonality`` has adjustment 1.
    """
    months = np.array(year_months(year), dtype=np.int64)
    base = seasonality.base if isinstance(seasonality, ShrunkSeasonality) else seasonality
    market = base.log_factors(months)
    final = seasonality.log_factors(months)
    holidays = base.calendar.holiday_days(months)
    return tuple(
        FactorRow(
            month=int(month),
            holiday_days=int(days),
            market_factor=float(np.exp(m)),
            adjustment=float(np.exp(f - m)),
            factor=float(np.exp(f)),
        )
        for month, days, m, f in zip(months, holidays, market, final, strict=True)
    )


def _design(months: np.ndarray, holiday_days: np.ndarray) -> np.ndarray:
    """Regressors, shape (m, 13): month-of-year indicators, then holiday days."""
    design = np.zeros((months.size, _N_COEF))
    design[np.arange(months.size), months % 12] = 1.0
    design[:, 12] = holiday_days
    return design


def _centred_moving_average(values: np.ndarray) -> np.ndarray:
    """Centred 2x12 moving average, shape (n,); NaN for the six months at either end.

    Weights 1/24, 1/12 x 11, 1/24 span 13 months, so a fixed monthly pattern cancels.
    """
    weights = np.r_[0.5, np.ones(11), 0.5] / 12
    trend = np.full(values.size, np.nan)
    if values.size >= weights.size:
        trend[6:-6] = np.convolve(values, weights, mode="valid")
    return trend


def _bridge(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``values`` with the positions not kept replaced by linear interpolation."""
    index = np.arange(values.size)
    return np.where(keep, values, np.interp(index, index[keep], values[keep]))


def _robust_fit(y: np.ndarray, design: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Huber M-estimate: coefficients (k,), covariance (k, k), residual scale."""
    from statsmodels.robust.norms import HuberT
    from statsmodels.robust.robust_linear_model import RLM

    result = RLM(y, design, M=HuberT()).fit()
    return np.asarray(result.params), np.asarray(result.cov_params()), float(result.scale)


def _check_coverage(series: str, months: np.ndarray) -> None:
    """Every month of year needs two usable observations, else its effect is not estimable."""
    counts = np.bincount(months % 12, minlength=12)
    short = [f"{_MONTH_NAMES[i]} has {counts[i]}" for i in range(12) if counts[i] < 2]
    if short:
        raise DataError(
            f"market series {series}: too short for seasonality: {', '.join(short)} usable"
            " months (need 2 each after the 6 lost at each end to the moving average)"
        )


def _mean_holiday_days(calendar: Calendar, months: np.ndarray) -> float:
    """Average Lunar New Year holiday length over the calendar years that ``months`` touch."""
    years = np.unique(months // 12)
    totals = [calendar.holiday_days(np.array(year_months(int(y)))).sum() for y in years]
    return float(np.mean(totals))


def _check_resid(
    months: np.ndarray, log_resid: np.ndarray, prior_strength: float
) -> tuple[np.ndarray, np.ndarray]:
    months = np.asarray(months, dtype=np.int64)
    log_resid = np.asarray(log_resid, dtype=float)
    if months.ndim != 1 or months.shape != log_resid.shape:
        raise ValueError(f"months {months.shape} and log_resid {log_resid.shape} must be equal 1-D")
    if isinstance(prior_strength, bool) or not np.isfinite(prior_strength) or prior_strength < 0:
        raise ValueError(f"prior_strength must be a finite number >= 0, got {prior_strength!r}")
    return months, log_resid
