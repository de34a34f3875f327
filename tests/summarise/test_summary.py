from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecast.months import year_months
from forecast.summarise.summary import (
    expected_shortfall,
    hit_probability,
    required_monthly,
    summarise,
)

MONTHS = np.array(year_months(2026))


def test_hit_probability_and_standard_error_by_hand() -> None:
    totals = np.array([90.0, 100.0, 110.0, 120.0])
    p, se = hit_probability(totals, 100)
    assert p == 0.75
    assert se == pytest.approx(np.sqrt(0.75 * 0.25 / 4))


def test_expected_shortfall_only_counts_misses() -> None:
    assert expected_shortfall(np.array([80.0, 90.0, 130.0]), 100) == 15.0
    assert expected_shortfall(np.array([130.0]), 100) == 0.0


def test_required_monthly() -> None:
    assert required_monthly(550_000, 39_000, 11) == pytest.approx(46_454.545, abs=1e-3)
    assert required_monthly(100, 150, 3) == 0.0
    assert required_monthly(100, 50, 0) == 0.0


def test_summary_keeps_reported_months_and_pace_reaches_target() -> None:
    paths = np.full((4, 12), 50_000.0)
    paths[:, 0] = 39_000
    paths[:, 1:] += np.arange(4)[:, None] * 1000
    s = summarise(paths, months=MONTHS, n_reported=1, target=600_000, scenario="t")
    assert s.ytd_actual == 39_000
    assert s.months[0].actual == 39_000 and s.months[0].quantiles is None
    assert s.months[1].actual is None
    assert s.months[-1].target_pace == pytest.approx(600_000)
    assert s.p_hit == 0.75  # totals 589k, 600k, 611k, 622k: a tie counts as a hit
    assert s.quantile(0.5) == pytest.approx(np.median(paths.sum(axis=1)))


def test_identical_paths_have_exactly_zero_sd() -> None:
    # 1000 equal totals (about 12,346): their pairwise-summed mean misses them by an ulp,
    # which a plain std turns into an sd of about 4e-12.
    paths = np.full((1000, 12), 12345.678 / 12)
    s = summarise(paths, months=MONTHS, n_reported=0, target=10_000, scenario="same")
    assert s.sd == 0.0


def test_sd_is_the_sample_standard_deviation() -> None:
    paths = np.zeros((4, 12))
    paths[:, 0] = [90.0, 100.0, 110.0, 120.0]
    s = summarise(paths, months=MONTHS, n_reported=0, target=100, scenario="t")
    assert s.sd == pytest.approx(np.sqrt(500.0 / 3))


@given(arrays(np.float64, (20, 12), elements=st.floats(0, 1e5)))
def test_quantiles_are_ordered(paths: np.ndarray) -> None:
    s = summarise(paths, months=MONTHS, n_reported=0, target=500_000, scenario="h")
    assert list(s.quantiles) == sorted(s.quantiles)
    for row in s.months:
        assert list(row.quantiles) == sorted(row.quantiles)
    assert 0.0 <= s.p_hit <= 1.0
