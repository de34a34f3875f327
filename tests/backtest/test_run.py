"""The backtest harness: no information after a cut-off reaches its forecast; recalibration
uses past errors only; the command runs end to end."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from forecast.backtest import cases, run
from forecast.months import parse_month
from tests.backtest.test_replay import _corrupt

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.toml"
SETTINGS = cases.Settings(horizon=3, n_paths=400)


def test_no_information_after_the_cutoff_reaches_the_calibrated_forecast(tmp_path: Path) -> None:
    """The error walk of a cut-off is fitted on earlier errors, scored against the actuals as
    they were known then: July 2024 ("over 10,000") is pinned down only by the third quarter's
    total, which ends after it. Tripling that total (and every later one) moves July's actual
    in the full history, and must not move the forecast from the end of July."""
    clean, dirty = tmp_path / "clean", tmp_path / "dirty"
    shutil.copytree(REPO / "data", clean)
    shutil.copytree(REPO / "data", dirty)
    _corrupt(dirty / "totals.csv", "period", parse_month("2024-07"), ("figure",))
    results = [
        # one reference launch, so enough errors are known by mid-2024 for a walk
        run.run_backtest(
            BASELINE,
            first=parse_month("2024-06"),
            last=parse_month("2024-08"),
            references=("Aion|Y",),
            step=3,
            settings=SETTINGS,
            overrides=[f'history.data="{d}"'],
        )
        for d in (clean, dirty)
    ]
    calibrated = [
        {c.cutoff: c for c in r.cases if c.method == cases.FORECAST and c.series == "total"}
        for r in results
    ]
    walk_at_july = dict((m, w) for m, w, _ in results[0].calibration)[parse_month("2024-07")]
    assert calibrated[0][parse_month("2024-07")].error_walk == walk_at_july
    assert walk_at_july > 0  # else the check below could not fail
    for cutoff in (parse_month("2024-06"), parse_month("2024-07")):
        a, b = calibrated[0][cutoff], calibrated[1][cutoff]
        assert a.error_walk == b.error_walk
        np.testing.assert_array_equal(a.samples, b.samples)
