"""The bundled data/ loads and holds what it says: calibration table, seasonality, reference
class, calendar, market, company and launches. Facts of that data, so tests/e2e."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from forecast.fit.calibration import MIN_ERRORS
from forecast.fit.refclass import fit_reference_class, reference_series
from forecast.fit.seasonality import (
    factor_table,
    fit_market_seasonality,
)
from forecast.load.bev_models import ModelSales, load_bev_models
from forecast.load.bundle import (
    DataBundle,
    load_bundle,
)
from forecast.load.calendar import load_calendar
from forecast.load.calibration import load_calibration
from forecast.load.company import load_company
from forecast.load.launches import load_reference_launches
from forecast.load.market import load_market
from forecast.months import parse_month
from tests.e2e.conftest import FLAT_DATA

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bundle() -> DataBundle:
    return load_bundle()


@pytest.fixture(scope="module")
def bundled() -> ModelSales:
    return load_bev_models(DATA / "bev_models.csv")


@pytest.fixture(scope="module")
def reference(bundled: ModelSales):
    company = load_company(DATA / "company.csv")
    return fit_reference_class(bundled, exclude_makes=company.own_makes)


@pytest.fixture
def calendar():
    return load_calendar(DATA / "calendar.csv")


REPO = Path(__file__).resolve().parents[2]
DATA = FLAT_DATA


def test_bundled_table_has_a_model_error_for_every_history_month() -> None:
    table = load_calibration(FLAT_DATA)
    # from the first month by whose end 20 errors were known (the reference launches', before
    # the company's history starts in 2024-04) to the history's last
    assert table[0].as_of == parse_month("2022-11") and table[-1].as_of == parse_month("2026-01")
    assert [r.as_of for r in table] == list(range(table[0].as_of, table[-1].as_of + 1))
    # backtests found the fitted uncertainty too narrow at every month from the first one
    # with a company's errors (Li Auto's, 2023-01): a walk well above 0, from more errors
    # every month; the reference launches' first 23 and 29 errors needed no widening
    assert all(r.n_errors >= MIN_ERRORS for r in table)
    early = [r for r in table if r.as_of < parse_month("2023-01")]
    assert [(r.error_walk, r.n_errors) for r in early] == [(0.0, 23), (0.0, 29)]
    assert all(0.1 < r.error_walk < 0.5 for r in table[len(early) :])
    assert all(a.n_errors < b.n_errors for a, b in zip(table, table[1:]))


def test_bundled_data_gives_a_february_2026_holiday_dip():
    calendar = load_calendar(DATA / "calendar.csv")
    market = load_market(DATA / "market.csv")
    for series in ("all_passenger_cars", "bev_total"):
        fit = fit_market_seasonality(market, calendar, series=series)
        assert fit.lny_effect < -2 * fit.lny_effect_se
        rows = factor_table(fit, 2026)
        assert rows[1].holiday_days == 9
        assert rows[1].factor == min(row.factor for row in rows)
        assert rows[11].factor > 1.1  # the year-end push


def test_bundled_data_yields_a_plausible_class(bundled, reference):
    assert bundled.months[0] == parse_month("2018-01")
    assert reference.excluded == ("Xiaomi|SU7", "Xiaomi|YU7")
    assert not any(fit.name.startswith("Xiaomi|") for fit in reference.launches)
    assert reference.n_launches >= 20
    assert 3.0 <= np.median(reference.months_to_peak) <= 24.0
    assert all(fit.a > 0 and fit.b > 0 for fit in reference.launches)
    for cov in (reference.prior_cov, reference.log_prior_cov):
        np.testing.assert_allclose(cov, cov.T)
        assert np.all(np.linalg.eigvalsh(cov) > 0)
    rows = {row.statistic: row for row in reference.summary_rows()}
    assert rows["months to peak"].n == reference.n_launches
    assert rows["12 months after peak / peak"].p50 < 1.0
    assert rows["ramp share at month 12"].p10 <= rows["ramp share at month 12"].p50 <= 1.0


def test_reference_series_are_the_longest_unbroken_runs(bundled):
    seagull, model_y = reference_series(bundled, ["BYD|Seagull", "Tesla|Model Y"])
    assert (seagull.months[0], seagull.months[-1]) == (
        parse_month("2023-05"),
        parse_month("2025-12"),
    )
    assert seagull.units[0] == 14_300
    assert np.all(np.diff(model_y.months) == 1)
    assert (model_y.months[0], model_y.months[-1]) == (
        parse_month("2022-05"),
        parse_month("2025-01"),
    )


def test_bundled_calendar_covers_2018_to_2030(calendar):
    assert [entry.year for entry in calendar.years] == list(range(2018, 2031))
    published = [entry.year for entry in calendar.years if entry.status == "published"]
    assert published == [2022, 2023, 2024, 2025, 2026]
    assert all(entry.source for entry in calendar.years if entry.status == "published")
    assert all(not entry.source for entry in calendar.years if entry.status == "computed")
    entry = calendar.entry(2026)
    assert (entry.lny_date, entry.holiday_start, entry.holiday_end) == (
        date(2026, 2, 17),
        date(2026, 2, 15),
        date(2026, 2, 23),
    )


def test_bundled_market_is_contiguous_2018_01_to_2026_01():
    market = load_market(DATA / "market.csv")
    assert market.months[0] == parse_month("2018-01")
    assert market.months[-1] == parse_month("2026-01")
    assert np.all(np.diff(market.months) == 1)
    assert market.months.dtype == np.int64
    assert market.passenger[-1] == 1531522
    assert market.bev[-1] == 348000
    assert np.all(market.bev < market.passenger)


def test_the_bundled_company_reads() -> None:
    company = load_company(DATA / "company.csv")
    assert company.label and company.name and company.source
    assert company.own_makes == (company.make,)


def test_the_bundled_reference_launches_read_in_order() -> None:
    launches = load_reference_launches(DATA / "reference_launches.csv")
    assert len(launches) >= 3 and len(set(launches)) == len(launches)
    assert all(name.count("|") == 1 for name in launches)


def test_the_bundled_data_loads_whole(bundle: DataBundle) -> None:
    assert bundle.as_of is None
    assert bundle.company.lines == ("SU7", "YU7")
    assert bundle.market.months[0] == parse_month("2018-01")
    assert bundle.launches.units.shape == (len(bundle.launches.names), bundle.launches.months.size)
    assert bundle.calendar.first_year <= 2026 <= bundle.calendar.last_year
    assert bundle.calibration[-1].as_of == bundle.company.months[-1]
    assert bundle.context and all(note.fact for note in bundle.context)
