"""The target study's simple rules: run-rate arithmetic, its log-normal law, the base rate."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.backtest import target_baselines as tb


def test_the_run_rate_is_the_last_three_months_deseasonalised() -> None:
    months = np.array([10, 11, 12])
    flat = tb.run_rate_point(
        months, np.array([100.0, 200.0, 300.0]), np.zeros(5), np.array([13, 14])
    )
    assert flat == pytest.approx((400.0, 200.0))
    # factors 1, 2, 1 on the known months, 2 and 0.5 ahead: level mean(100, 100, 300) = 500/3
    log_factors = np.log([1.0, 2.0, 1.0, 2.0, 0.5])
    rest, nxt = tb.run_rate_point(
        months, np.array([100.0, 200.0, 300.0]), log_factors, np.array([13, 14])
    )
    assert rest == pytest.approx(500 / 3 * 2.5) and nxt == pytest.approx(500 / 3 * 2)


def test_the_law_takes_defaults_until_enough_errors() -> None:
    errors = list(np.linspace(-0.1, 0.3, tb.MIN_ERRORS - 1))
    assert tb.fit_run_rate(errors) == tb.RunRate(n_errors=tb.MIN_ERRORS - 1)
    errors.append(0.5)
    law = tb.fit_run_rate(errors)
    assert law.n_errors == tb.MIN_ERRORS
    assert law.bias == pytest.approx(np.mean(errors))
    assert law.spread == pytest.approx(np.std(errors, ddof=1))
    assert tb.fit_run_rate([0.1] * 30).spread == tb.MIN_SPREAD


def test_error_is_standardised_by_the_root_of_the_months_left() -> None:
    assert tb.run_rate_error(200.0, 100.0, 4) == pytest.approx(np.log(2) / 2)
    law = tb.RunRate(bias=0.1, spread=0.2)
    assert law.log_law(9) == pytest.approx((0.3, 0.6))


def test_p_hit_and_quantiles_agree() -> None:
    law = tb.RunRate(bias=0.05, spread=0.1)
    levels = np.array([0.1, 0.5, 0.9])
    q = tb.run_rate_quantiles(law, 1000.0, 500.0, 4, levels)
    for level, units in zip(levels, q):
        assert tb.run_rate_p_hit(law, 1000.0, 500.0, 4, units) == pytest.approx(1 - level)
    assert q[1] == pytest.approx(1000 + 500 * np.exp(0.1))
    assert tb.run_rate_p_hit(law, 1000.0, 500.0, 4, 900) == 1.0  # already reached
    samples = tb.run_rate_samples(law, 1000.0, 500.0, 4, 2000)
    assert np.mean(samples >= q[2]) == pytest.approx(0.1, abs=1e-3)


def test_base_rate() -> None:
    assert tb.base_rate([]) == 0.5
    assert tb.base_rate([True, False, True]) == pytest.approx(2 / 3)
