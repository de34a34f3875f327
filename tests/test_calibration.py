from __future__ import annotations

from pathlib import Path

import pytest

from forecast.calibration import CalibrationRow, calibration_csv, load_calibration, spread_for
from forecast.errors import DataError
from forecast.months import parse_month
from forecast.run import run_scenario

REPO = Path(__file__).resolve().parent.parent


def test_bundled_table_covers_every_history_month_and_horizon_with_a_widening_factor() -> None:
    table = load_calibration(REPO / "data")
    assert table[0].as_of == parse_month("2024-04") and table[-1].as_of == parse_month("2026-01")
    assert len(table) == 22 * 6 and {r.horizon for r in table} == set(range(1, 7))
    # the backtests found the fitted uncertainty too narrow at every cut-off and horizon
    assert all(1.0 < r.spread < 5 and r.n_errors >= 20 for r in table)
    # and more so further ahead: a curve that is wrong stays wrong
    k, _ = spread_for(table, parse_month("2026-01"))
    assert len(k) == 6 and k[5] > k[0]


def test_spread_for_takes_the_latest_row_at_or_before_as_of() -> None:
    table = (CalibrationRow(as_of=10, horizon=1, spread=2.0, n_errors=30, source="t"),
             CalibrationRow(as_of=10, horizon=2, spread=2.5, n_errors=30, source="t"),
             CalibrationRow(as_of=12, horizon=1, spread=3.0, n_errors=40, source="t"))  # fmt: skip
    assert spread_for(table, 11)[0] == (2.0, 2.5)
    assert spread_for(table, 12)[0] == (3.0,)
    assert spread_for(table, 99) == ((3.0,), "calibrated on 40 past errors as of 0001-01")
    k, note = spread_for(table, 9)
    assert k == (1.0,) and "no calibration" in note


def test_round_trip_and_bad_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = (CalibrationRow(as_of=parse_month("2025-01"), horizon=1, spread=2.5, n_errors=30, source="test run"),)
    (tmp_path / "calibration.csv").write_text(calibration_csv(table))
    assert load_calibration(tmp_path) == table
    monkeypatch.chdir(tmp_path)
    Path("calibration.csv").write_text("as_of,horizon,spread,n_errors,source\n2025-01,1,-1,3,x\n")
    with pytest.raises(DataError) as caught:
        load_calibration(tmp_path)
    assert caught.value.problems == ("calibration.csv:2: spread: expected a positive number, got '-1'",)
    assert load_calibration(tmp_path / "nowhere") == ()


def test_run_uses_the_calibrated_spread_unless_the_scenario_sets_one() -> None:
    baseline = REPO / "scenarios" / "baseline.toml"
    auto = run_scenario(baseline, n_paths=2000)
    expected = spread_for(load_calibration(REPO / "data"), parse_month("2026-01"))[0]
    assert auto.record.spread == expected
    # and the plan the paths came from used it: February is one month after as_of
    assert auto.plan.noise_spread[0] == expected[0] and auto.plan.noise_spread[-1] == expected[-1]
    fitted = run_scenario(baseline, n_paths=2000, overrides=["model.spread=1"])
    assert fitted.record.spread == (1.0,)
    assert set(fitted.plan.noise_spread) == {1.0}
    # wider noise around the same monthly medians: a wider range of annual totals
    wide, narrow = (r.summary.quantile(0.95) - r.summary.quantile(0.05) for r in (auto, fitted))
    assert wide > narrow
    assert "spread" in auto.files()["summary.csv"].splitlines()[0]


def test_overrides_with_a_scenario_object_are_refused_not_ignored() -> None:
    from forecast.scenario import load_scenario

    scenario = load_scenario(REPO / "scenarios" / "baseline.toml")
    with pytest.raises(ValueError, match="overrides apply to scenario files"):
        run_scenario(scenario, overrides=["target.units=100000"])
