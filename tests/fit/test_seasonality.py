from datetime import date, timedelta

import numpy as np
import pytest

from forecast.errors import DataError
from forecast.fit.seasonality import (
    DEFAULT_EXCLUDE,
    MarketSeasonality,
    factor_table,
    fit_market_seasonality,
    shrink_seasonality,
)
from forecast.load.calendar import Calendar, CalendarYear
from forecast.load.market import MarketSeries
from forecast.months import month_ordinal, year_months

LNY = ["2018-02-16", "2019-02-05", "2020-01-25", "2021-02-12", "2022-02-01", "2023-01-22"]
LNY += ["2024-02-10", "2025-01-29", "2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13"]
TRUE_MONTHS = np.array(
    [0.10, -0.12, -0.03, -0.07, -0.07, -0.02, -0.08, -0.01, 0.07, 0.10, 0.15, 0.22]
)
TRUE_LNY = -0.04  # log effect per holiday day
NOISE_SD = 0.02


def lunar_calendar() -> Calendar:
    """Twelve years of moving Lunar New Years, each with a seven-day holiday from the eve."""
    years = []
    for text in LNY:
        lny = date.fromisoformat(text)
        start, end = lny - timedelta(days=1), lny + timedelta(days=5)
        years.append(
            CalendarYear(
                year=lny.year,
                lny_date=lny,
                holiday_start=start,
                holiday_end=end,
                status="computed",
                source="",
                note="",
            )
        )
    return Calendar(name="test", years=tuple(years))


def synthetic_market(calendar, rng, *, crash=()):
    """Log sales = smooth trend + known month effects + known holiday effect + noise."""
    months = np.arange(month_ordinal(2018, 1), month_ordinal(2029, 12) + 1)
    t = np.arange(months.size)
    trend = 12 + 0.01 * t + 0.2 * np.sin(2 * np.pi * t / 96)
    seasonal = TRUE_MONTHS[months % 12] + TRUE_LNY * calendar.holiday_days(months)
    log_sales = trend + seasonal + rng.normal(0, NOISE_SD, months.size)
    log_sales[np.isin(months, crash)] -= 2.0  # a shutdown that is not a season
    sales = np.exp(log_sales)
    return MarketSeries(months=months, passenger=sales, bev=sales / 10)


def true_log_factors(fit, months):
    """The truth under the fit's normalisation: an average-holiday year sums to zero."""
    offset = (TRUE_MONTHS.sum() + TRUE_LNY * fit.mean_holiday_days) / 12
    holidays = fit.calendar.holiday_days(months)
    return TRUE_MONTHS[months % 12] + TRUE_LNY * holidays - offset


def hand_made_base(calendar) -> MarketSeasonality:
    coef = np.r_[np.linspace(-0.11, 0.11, 12), -0.05]
    return MarketSeasonality(
        series="all_passenger_cars",
        calendar=calendar,
        coef=coef,
        cov=np.eye(13) * 1e-4,
        mean_holiday_days=7.0,
        scale=0.05,
        fit_months=np.arange(24216, 24312),
    )


@pytest.mark.parametrize("crash", [(), DEFAULT_EXCLUDE])
def test_recovers_known_month_and_holiday_effects(rng, crash):
    calendar = lunar_calendar()
    fit = fit_market_seasonality(synthetic_market(calendar, rng, crash=crash), calendar)
    assert fit.lny_effect_se < 0.005
    assert abs(fit.lny_effect - TRUE_LNY) < 4.5 * fit.lny_effect_se
    # Two years, one with the holiday all in January (2023), one all in February (2024).
    months = np.r_[year_months(2023), year_months(2024)]
    error = fit.log_factors(months) - true_log_factors(fit, months)
    se = fit.log_factor_se(months)
    assert np.all(se < 2 * NOISE_SD)
    # 25 estimates checked at once: 4.5 s.e. fails about once in 1000 seeds.
    assert np.all(np.abs(error) < 4.5 * se)


def test_holiday_effect_moves_with_the_calendar(rng):
    calendar = lunar_calendar()
    fit = fit_market_seasonality(synthetic_market(calendar, rng), calendar)
    jan_2023, jan_2024 = month_ordinal(2023, 1), month_ordinal(2024, 1)
    difference = fit.log_factors(np.array([jan_2023, jan_2024])) @ [1, -1]
    assert difference == pytest.approx(
        7 * fit.lny_effect
    )  # 7 holiday days in Jan 2023, none in 2024
    # Normalisation: a year sums to the holiday effect of its excess over the average length.
    for year in (2023, 2024):
        months = np.array(year_months(year))
        excess = calendar.holiday_days(months).sum() - fit.mean_holiday_days
        assert fit.log_factors(months).sum() == pytest.approx(fit.lny_effect * excess)


def test_log_factor_se_matches_the_covariance_by_hand():
    base = hand_made_base(lunar_calendar())
    base = MarketSeasonality(
        **{
            **{f: getattr(base, f) for f in MarketSeasonality.__slots__},
            "cov": np.diag(np.arange(1.0, 14.0)),
        }
    )
    march = np.array([month_ordinal(2025, 3)])
    # var(c3 - (sum c + 7 b) / 12) with independent coefficients of variance 1..13.
    variance = (1 - 1 / 12) ** 2 * 3 + sum(i for i in range(1, 13) if i != 3) / 144 + 49 / 144 * 13
    assert base.log_factor_se(march) == pytest.approx([np.sqrt(variance)])


def test_shrinkage_on_hand_made_residuals():
    base = hand_made_base(lunar_calendar())
    months = np.array(
        [
            month_ordinal(2025, 1),
            month_ordinal(2026, 1),
            month_ordinal(2025, 2),
            month_ordinal(2025, 3),
        ]
    )
    shrunk = shrink_seasonality(
        base, months, np.array([0.1, 0.3, -0.2, np.nan]), prior_strength=2.0
    )
    assert shrunk.n_obs.tolist() == [2, 1] + [0] * 10
    assert shrunk.mean_resid[:2] == pytest.approx([0.2, -0.2])
    assert shrunk.weight[:3] == pytest.approx([0.5, 1 / 3, 0.0])
    shrunk_means = np.r_[0.1, -0.2 / 3, np.zeros(10)]
    assert shrunk.adjustment == pytest.approx(shrunk_means - shrunk_means.mean())
    assert shrunk.adjustment.sum() == pytest.approx(0.0)
    june = np.array([month_ordinal(2026, 6)])
    assert shrunk.log_factors(june) == pytest.approx(base.log_factors(june) - shrunk_means.mean())


def test_zero_prior_strength_takes_the_raw_means_and_bad_arguments_are_refused():
    base = hand_made_base(lunar_calendar())
    months = np.array(year_months(2025))
    resid = np.linspace(-0.055, 0.055, 12)
    assert shrink_seasonality(base, months, resid, prior_strength=0).adjustment == pytest.approx(
        resid
    )
    with pytest.raises(ValueError, match="prior_strength must be a finite number >= 0"):
        shrink_seasonality(base, months, resid, prior_strength=-1)
    with pytest.raises(ValueError, match="must be equal 1-D"):
        shrink_seasonality(base, months, resid[:3], prior_strength=1)


def test_factor_table_multiplies_market_and_adjustment():
    base = hand_made_base(lunar_calendar())
    shrunk = shrink_seasonality(
        base, np.array([month_ordinal(2025, 2)]), np.array([0.3]), prior_strength=1.0
    )
    rows = factor_table(shrunk, 2026)
    assert [row.holiday_days for row in rows] == [0, 7] + [0] * 10
    feb = rows[1]
    assert feb.market_factor == pytest.approx(np.exp(base.log_factors(np.array([feb.month]))[0]))
    assert feb.adjustment == pytest.approx(np.exp(0.15 - 0.15 / 12))
    assert feb.factor == pytest.approx(feb.market_factor * feb.adjustment)


def test_short_or_unknown_series_is_refused(rng):
    calendar = lunar_calendar()
    market = synthetic_market(calendar, rng)
    short = MarketSeries(
        months=market.months[:24], passenger=market.passenger[:24], bev=market.bev[:24]
    )
    with pytest.raises(DataError, match=r"^market series bev_total: too short .*Jul has 1"):
        fit_market_seasonality(short, calendar, exclude=())
    with pytest.raises(ValueError, match="unknown market series 'phev'"):
        fit_market_seasonality(market, calendar, series="phev")
