"""Recalibration: the model error at each month uses only the errors known by then."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.backtest import cases, recalibration


def test_error_walk_uses_only_errors_known_at_each_month(rng) -> None:
    def case(cutoff: int, actual: float) -> cases.Case:
        samples = rng.lognormal(np.log(100), 0.1, size=(2000, 1))
        return cases.score_case(
            samples,
            np.array([actual]),
            rng=rng,
            method=cases.UNCALIBRATED,
            source="t",
            series="s",
            cutoff=cutoff,
            months=np.array([cutoff + 1]),
            scale=100.0,
        )

    past = [case(c, 200.0) for c in range(100, 130)]  # wildly wrong: 7 sds out, months 101..130
    table = recalibration.walks_at(past, [100, 110, 125, 130])
    assert table[100] == (0.0, 0)  # nothing known yet
    assert table[110] == (0.0, 10)  # ten errors known: too few to calibrate on
    walk, n = table[125]
    # every error log 2 out, one month ahead, from forecasts with log sd 0.1: the walk must
    # reach (log 2 / 1.96)**2 - 0.1**2 in variance (sd of the sample quantiles: ~0.003)
    assert n == 25 and walk == pytest.approx(np.sqrt((np.log(2) / 1.96) ** 2 - 0.01), abs=0.01)
    assert table[130][1] == 30


def test_error_months_are_the_past_errors_months_without_their_quantiles(rng) -> None:
    def case(method: str, series: str, source: str, cutoff: int, h: int) -> cases.Case:
        return cases.score_case(
            rng.lognormal(np.log(100), 0.1, size=(50, h)),
            np.full(h, 100.0),
            rng=rng,
            method=method,
            source=source,
            series=series,
            cutoff=cutoff,
            months=np.arange(cutoff + 1, cutoff + 1 + h),
            scale=100.0,
        )

    mixed = [
        case(cases.UNCALIBRATED, "s", "t", 100, 3),
        case(cases.UNCALIBRATED, "total", "t", 101, 2),  # a company total: not a line's error
        case("forecast", "s", "t", 102, 2),  # calibrated: not a past error
        case(cases.UNCALIBRATED, "total", cases.REFERENCE, 90, 2),  # a reference launch's
    ]
    months = recalibration.error_months(mixed)
    assert months.tolist() == [101, 102, 103, 91, 92]
    assert np.array_equal(months, recalibration.past_errors(mixed).months)
    assert recalibration.error_months([]).size == 0
