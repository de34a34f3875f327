"""Scores of sample forecasts against brute-force and known values."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.summarise import scoring


def brute_crps(x: np.ndarray, y: float) -> float:
    return float(np.mean(np.abs(x - y)) - 0.5 * np.mean(np.abs(x[:, None] - x[None, :])))


def test_crps_matches_the_pairwise_formula(rng) -> None:
    samples = rng.lognormal(5, 0.4, size=(300, 3))
    actual = np.array([100.0, 150.0, 400.0])
    got = scoring.crps(samples, actual)
    want = [brute_crps(samples[:, j], actual[j]) for j in range(3)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_crps_of_a_point_forecast_is_the_absolute_error() -> None:
    samples = np.full((10, 2), 5.0)
    np.testing.assert_allclose(scoring.crps(samples, np.array([7.0, 5.0])), [2.0, 0.0], atol=1e-12)


def test_crps_of_a_normal_matches_the_closed_form(rng) -> None:
    from forecast.fit.select import crps_normal

    samples = rng.normal(0.0, 1.0, size=(200_000, 1))
    want = crps_normal(np.array([0.7]), np.array([0.0]), np.array([1.0]))
    np.testing.assert_allclose(scoring.crps(samples, np.array([0.7])), want, atol=0.005)


def test_pit_of_calibrated_forecasts_is_uniform(rng) -> None:
    samples = rng.normal(size=(2000, 400))
    actual = rng.normal(size=400)
    pits = scoring.pit(samples, actual, rng=rng)
    assert abs(pits.mean() - 0.5) < 0.05
    assert np.all(np.abs(scoring.pit_histogram(pits) - 0.1) < 0.06)


def test_pit_randomises_ties(rng) -> None:
    pits = scoring.pit(np.full((5, 1000), 3.0), np.full(1000, 3.0), rng=rng)
    assert 0.45 < pits.mean() < 0.55 and pits.min() >= 0 and pits.max() <= 1


def test_covered_uses_central_intervals() -> None:
    samples = np.arange(1.0, 101.0)[:, None]  # 1..100
    inside = scoring.covered(samples, np.array([50.0]), (0.5, 0.8))
    outside = scoring.covered(samples, np.array([95.0]), (0.5, 0.8))
    assert inside[:, 0].tolist() == [True, True]
    assert outside[:, 0].tolist() == [False, False]
    assert scoring.covered(samples, np.array([88.0]), (0.5, 0.8))[:, 0].tolist() == [False, True]


def test_median_ape_and_brier() -> None:
    np.testing.assert_allclose(
        scoring.median_ape(np.array([3.0, 8.0]), np.array([2.0, 10.0])), [0.5, 0.2]
    )
    assert scoring.brier(np.array([1.0, 0.5]), np.array([1, 0])) == pytest.approx(0.125)
    assert np.isnan(scoring.brier(np.zeros(0), np.zeros(0)))


def test_bad_shapes_are_rejected() -> None:
    with pytest.raises(ValueError, match="samples"):
        scoring.crps(np.zeros(5), np.zeros(5))
