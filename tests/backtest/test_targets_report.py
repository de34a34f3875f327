"""The target study's scores on hand-made forecasts, where every figure is known."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.backtest import target_report as report
from forecast.backtest import targets

QUANTILES = np.array([80.0, 85.0, 90.0, 100.0, 110.0, 115.0, 120.0])


def _statement(hit: bool, where: str = "targets.csv:2", actual: int = 100) -> targets.Statement:
    return targets.Statement(
        company="acme",
        year=2025,
        units=actual if hit else actual + 1,
        kind="target",
        announced="2025-01",
        where=where,
        actual=actual,
        actual_from="history",
        bound=False,
        hit=hit,
        studied=True,
    )


def _forecast(p: float, hit: bool, cutoff: int = 0, **fields) -> targets.Forecast:
    values = dict(
        statement=_statement(hit),
        cutoff=cutoff,
        method=targets.FORECAST,
        p_hit=p,
        quantiles=QUANTILES,
        crps=5.0,
        next_p25=10.0,
        next_p75=20.0,
        month_actual=15.0,
    )
    return targets.Forecast(**(values | fields))


def test_brier_log_score_and_confident_misses() -> None:
    fs = [_forecast(0.9, True), _forecast(0.2, False), _forecast(0.005, True)]
    assert report.brier(fs) == pytest.approx((0.01 + 0.04 + 0.995**2) / 3)
    assert report.log_score(fs) == pytest.approx(np.mean(np.log([0.9, 0.8, 0.005])))
    assert report.confident_misses(fs) == 1
    certain = [_forecast(0.0, True)]
    assert report.log_score(certain) == pytest.approx(np.log(report.LOG_FLOOR))
    assert report.confident_misses([_forecast(0.995, False), _forecast(0.995, True)]) == 1


def test_coverage_and_relative_crps() -> None:
    inside = _forecast(0.5, True)
    outside_80 = _forecast(0.5, True, quantiles=QUANTILES + 15)  # 95, 100, 105 ... 135
    assert report.coverage([inside, outside_80], 2, 4) == 0.5
    assert report.coverage([inside, outside_80], 0, 6) == 1.0
    assert report.mean_crps([inside, _forecast(0.5, True, crps=15.0)]) == pytest.approx(0.1)
    unscored = _forecast(0.5, True, quantiles=np.full(7, np.nan), crps=float("nan"))
    assert np.isnan(report.coverage([unscored], 2, 4)) and np.isnan(report.mean_crps([unscored]))


def test_stability_counts_unsurprising_consecutive_months_only() -> None:
    run = [
        _forecast(0.50, True, cutoff=1),
        _forecast(0.60, True, cutoff=2, month_actual=12.0),  # inside [10, 20]: 10 points
        _forecast(0.90, True, cutoff=3, month_actual=30.0),  # outside: not counted
        _forecast(0.95, True, cutoff=5, month_actual=15.0),  # not consecutive
        _forecast(0.85, True, cutoff=6, month_actual=20.0),  # on the edge: 10 points
    ]
    other = [
        _forecast(0.1, True, cutoff=1, method=targets.ETS),
        _forecast(0.4, True, cutoff=2, method=targets.ETS),  # 30 points, its own run
    ]
    assert np.sort(report.stability_changes(run + other)) == pytest.approx([10, 10, 30])
    p90, n = report.stability_p90(run)
    assert (p90, n) == (pytest.approx(10.0), 2)


def test_reliability_bins_and_score_rows() -> None:
    fs = [
        _forecast(0.05, False),
        _forecast(0.15, True),
        _forecast(0.95, True),
        _forecast(1.0, True),
    ]
    rows = {r[1]: r for r in report.reliability_rows(fs)}
    assert rows["0.0-0.1"][2:] == (1, 0.05, 0.0)
    assert rows["0.9-1.0"][2:] == (2, 0.975, 1.0)  # 1.0 falls in the last bin
    assert rows["0.5-0.6"][2:] == (0, "", "")
    (row,) = report.score_rows(fs)
    assert row[:3] == (targets.FORECAST, 1, 4)
    assert row[3] == pytest.approx(round((0.05**2 + 0.85**2 + 0.05**2) / 4, 4))


def test_the_reliability_diagram_is_drawn(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    from forecast.write.charts import plot_target_reliability

    fs = [_forecast(0.05, False), _forecast(0.15, True), _forecast(0.95, True)]
    path = plot_target_reliability(report.reliability_rows(fs), tmp_path / "r.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
