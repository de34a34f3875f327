"""Plain baselines: shapes, centres and spreads on hand-made series."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.backtest.baselines import BASELINES, drift_paths, ets_paths, naive_paths


def test_naive_is_centred_on_the_last_month(rng) -> None:
    values = np.array([100.0, 120.0, 110.0, 130.0])
    paths = naive_paths(values, 3, rng=rng, n_paths=20_000)
    assert paths.shape == (20_000, 3)
    np.testing.assert_allclose(np.median(paths, axis=0), 130.0, rtol=0.02)
    spread = np.std(np.log(paths), axis=0)
    np.testing.assert_allclose(spread / spread[0], np.sqrt([1, 2, 3]), rtol=0.05)


def test_drift_follows_the_average_growth(rng) -> None:
    values = 100.0 * 1.1 ** np.arange(8) * np.array([1, 1.01, 0.99, 1, 1.01, 0.99, 1, 1])
    paths = drift_paths(values, 2, rng=rng, n_paths=20_000)
    growth = (values[-1] / values[0]) ** (1 / 7)
    np.testing.assert_allclose(
        np.median(paths, axis=0), values[-1] * growth ** np.arange(1, 3), rtol=0.02
    )


def test_ets_runs_on_short_and_long_series(rng) -> None:
    for n in (3, 12):
        values = 1000.0 * 1.05 ** np.arange(n) + 10 * np.arange(n) % 3
        paths = ets_paths(values, 4, rng=rng, n_paths=500)
        assert paths.shape == (500, 4) and np.all(paths > 0) and np.all(np.isfinite(paths))


@pytest.mark.parametrize("name", list(BASELINES))
def test_baselines_are_reproducible_and_reject_short_series(name) -> None:
    values = np.array([5.0, 7.0, 6.0, 9.0, 8.0])
    f = BASELINES[name]
    a = f(values, 3, rng=np.random.default_rng(1), n_paths=50)
    b = f(values, 3, rng=np.random.default_rng(1), n_paths=50)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="at least 3"):
        f(values[:2], 3, rng=np.random.default_rng(1), n_paths=50)
