from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import ndtri

from forecast.engine.run import run_scenario
from forecast.errors import ConfigError, DataError
from forecast.fit.calibration import (
    LEVEL,
    MAX_WALK,
    MIN_ERRORS,
    CalibrationRow,
    calibration_csv,
    error_walk_for,
    fit_error_walk,
)
from forecast.load.calibration import load_calibration
from forecast.months import parse_month

REPO = Path(__file__).resolve().parents[2]


def test_bundled_table_has_a_model_error_for_every_history_month() -> None:
    table = load_calibration(REPO / "data")
    assert table[0].as_of == parse_month("2024-04") and table[-1].as_of == parse_month("2026-01")
    assert [r.as_of for r in table] == list(range(table[0].as_of, table[-1].as_of + 1))
    # backtests found the fitted uncertainty too narrow at every month: a walk well above 0,
    # from more errors every month
    assert all(0.1 < r.error_walk < 0.5 and r.n_errors >= MIN_ERRORS for r in table)
    assert all(a.n_errors < b.n_errors for a, b in zip(table, table[1:]))


def test_error_walk_for_takes_the_latest_row_at_or_before_as_of() -> None:
    table = (
        CalibrationRow(as_of=10, error_walk=0.2, n_errors=30, source="t"),
        CalibrationRow(as_of=12, error_walk=0.3, n_errors=40, source="t"),
    )
    assert error_walk_for(table, 11)[0] == 0.2
    assert error_walk_for(table, 12)[0] == 0.3
    assert error_walk_for(table, 99) == (0.3, "calibrated on 40 past errors as of 0001-01")
    walk, note = error_walk_for(table, 9)
    assert walk == 0.0 and "no calibration" in note


def test_round_trip_and_bad_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = (
        CalibrationRow(
            as_of=parse_month("2025-01"), error_walk=0.25, n_errors=30, source="test run"
        ),
    )
    (tmp_path / "calibration.csv").write_text(calibration_csv(table))
    assert load_calibration(tmp_path) == table
    monkeypatch.chdir(tmp_path)
    header = "as_of,error_walk,n_errors,source\n"
    Path("calibration.csv").write_text(
        header + "2025-01,-1,3,x\n2025-02,0.2,3,x\n2025-02,0.3,4,x\n"
    )
    with pytest.raises(DataError) as caught:
        load_calibration(tmp_path)
    assert caught.value.problems == (
        "calibration.csv:2: error_walk: expected a number from 0 to 2, got '-1'",
        "calibration.csv:4: as_of: 2025-02 appears twice",
    )
    assert load_calibration(tmp_path / "nowhere") == ()


def _errors(rng: np.random.Generator, walk: float, n: int = 5000):
    sd = rng.uniform(0.05, 0.4, n)  # forecasts as narrow or wide as the engine's
    horizons = rng.integers(1, 7, n)
    return rng.normal(0.0, np.sqrt(sd**2 + walk**2 * horizons)), sd, horizons


def test_fit_error_walk_recovers_the_walk_that_made_the_errors(rng) -> None:
    # 200 repeats of n = 5,000 gave sd 0.0049 around 0.300; 0.02 is four of those
    assert fit_error_walk(*_errors(rng, 0.3)) == pytest.approx(0.3, abs=0.02)
    # forecasts that were already honest need no walk (sd 0.006 over the same repeats)
    assert fit_error_walk(*_errors(rng, 0.0)) < 0.03
    # too few errors to say anything
    assert fit_error_walk(*(a[: MIN_ERRORS - 1] for a in _errors(rng, 0.3))) == 0.0


@given(
    errors=arrays(float, st.integers(MIN_ERRORS, 200), elements=st.floats(-3, 3)),
    data=st.data(),
)
def test_fitted_walk_would_have_covered_the_level_of_past_errors(errors, data) -> None:
    n = errors.size
    sd = data.draw(arrays(float, n, elements=st.floats(0.01, 1)))
    horizons = data.draw(arrays(np.int64, n, elements=st.integers(1, 12)))
    walk = fit_error_walk(errors, sd, horizons)
    assert 0 <= walk <= MAX_WALK
    if walk < MAX_WALK:
        z = float(ndtri(0.5 + LEVEL / 2))
        inside = np.abs(errors) <= z * np.sqrt(sd**2 + walk**2 * horizons) * (1 + 1e-9)
        assert inside.mean() >= LEVEL - 1.0 / n


def test_run_uses_the_calibrated_walk_unless_the_scenario_sets_one() -> None:
    baseline = REPO / "scenarios" / "baseline.toml"
    auto = run_scenario(baseline, n_paths=2000)
    expected, source = error_walk_for(load_calibration(REPO / "data"), parse_month("2026-01"))
    assert expected > 0
    assert auto.record.error_walk == expected and auto.plan.error_walk == expected
    assert auto.record.error_walk_source == source and source.endswith("as of 2026-01")
    fitted = run_scenario(baseline, n_paths=2000, overrides=["model.error_walk=0"])
    assert fitted.record.error_walk == 0.0 and fitted.plan.error_walk == 0.0
    assert fitted.record.error_walk_source == "model.error_walk set by the scenario"
    # the model error widens the range of annual totals
    wide, narrow = (r.summary.quantile(0.95) - r.summary.quantile(0.05) for r in (auto, fitted))
    assert wide > 1.3 * narrow
    header, row = auto.files()["summary.csv"].splitlines()[:2]
    assert header.split(",")[-1] == "error_walk" and row.split(",")[-1] == str(round(expected, 4))


def test_overrides_apply_to_a_scenario_object_too() -> None:
    from forecast.engine.run import load
    from forecast.scenario.parse import load_scenario

    path = REPO / "scenarios" / "baseline.toml"
    overrides = ["target.units=100000", "simulation.n_paths=1000"]
    assert load(load_scenario(path), overrides) == load_scenario(path, overrides=overrides)
    with pytest.raises(ConfigError, match="^--set: target.units: must be greater than 0, got 0$"):
        load(load_scenario(path), ["target.units=0"])
