from __future__ import annotations

from pathlib import Path

import pytest

from forecast.calibration import CalibrationRow, calibration_csv, load_calibration, spread_for
from forecast.errors import DataError
from forecast.months import parse_month
from forecast.run import run_scenario

REPO = Path(__file__).resolve().parent.parent


def test_bundled_table_covers_every_history_month_with_a_widening_factor() -> None:
    table = load_calibration(REPO / "data")
    assert [r.as_of for r in table][0] == parse_month("2024-04")
    assert table[-1].as_of == parse_month("2026-01")
    # the backtests found the fitted uncertainty too narrow at every cut-off
    assert all(1.5 < r.spread < 4 and r.n_errors >= 20 for r in table)


def test_spread_for_takes_the_latest_row_at_or_before_as_of() -> None:
    table = (CalibrationRow(as_of=10, spread=2.0, n_errors=30, source="t"),
             CalibrationRow(as_of=12, spread=3.0, n_errors=40, source="t"))  # fmt: skip
    assert spread_for(table, 11)[0] == 2.0
    assert spread_for(table, 12)[0] == 3.0
    assert spread_for(table, 99)[0] == 3.0
    k, note = spread_for(table, 9)
    assert k == 1.0 and "no calibration" in note


def test_round_trip_and_bad_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = (CalibrationRow(as_of=parse_month("2025-01"), spread=2.5, n_errors=30, source="test run"),)
    (tmp_path / "calibration.csv").write_text(calibration_csv(table))
    assert load_calibration(tmp_path) == table
    monkeypatch.chdir(tmp_path)
    Path("calibration.csv").write_text("as_of,spread,n_errors,source\n2025-01,-1,3,x\n")
    with pytest.raises(DataError) as caught:
        load_calibration(tmp_path)
    assert caught.value.problems == ("calibration.csv:2: spread: expected a positive number, got '-1'",)
    assert load_calibration(tmp_path / "nowhere") == ()


def test_run_uses_the_calibrated_spread_unless_the_scenario_sets_one() -> None:
    baseline = REPO / "scenarios" / "baseline.toml"
    auto = run_scenario(baseline, n_paths=2000)
    expected = spread_for(load_calibration(REPO / "data"), parse_month("2026-01"))[0]
    assert auto.record.spread == expected
    fitted = run_scenario(baseline, n_paths=2000, overrides=["model.spread=1"])
    assert fitted.record.spread == 1.0
    # wider noise around the same monthly medians: a wider range of annual totals
    wide, narrow = (r.summary.quantile(0.95) - r.summary.quantile(0.05) for r in (auto, fitted))
    assert wide > narrow
    assert "spread" in auto.files()["summary.csv"].splitlines()[0]
