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
