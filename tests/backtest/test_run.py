"""A whole backtest: the model error of each cut-off comes from errors known by then."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from forecast.backtest import cases, run
from forecast.months import parse_month
from tests.backtest.test_replay import _corrupt
from tests.factories import Project

SETTINGS = cases.Settings(horizon=3, n_paths=400)


def test_no_information_after_the_cutoff_reaches_the_calibrated_forecast(
    tmp_path: Path, project: Project
) -> None:
    """The error walk of a cut-off is fitted on earlier errors, scored against the actuals as
    they were known then: April 2025 ("over 7,000") is pinned down only by the second
    quarter's total, which ends after it. Tripling that total (and every later one) moves
    April's actual in the full history, and must not move the forecast from the end of April."""
    clean, dirty = tmp_path / "clean", tmp_path / "dirty"
    shutil.copytree(project.data, clean)
    shutil.copytree(project.data, dirty)
    _corrupt(dirty / "totals.csv", "period", parse_month("2025-04"), ("figure",))
    results = [
        # one reference launch, so enough errors are known by early 2025 for a walk
        run.run_backtest(
            project.scenario("baseline"),
            first=parse_month("2025-03"),
            last=parse_month("2025-05"),
            references=("Gamma|One",),
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
    walk_at_april = dict((m, w) for m, w, _ in results[0].calibration)[parse_month("2025-04")]
    assert calibrated[0][parse_month("2025-04")].error_walk == walk_at_april
    assert walk_at_april > 0  # else the check below could not fail
    for cutoff in (parse_month("2025-03"), parse_month("2025-04")):
        a, b = calibrated[0][cutoff], calibrated[1][cutoff]
        assert a.error_walk == b.error_walk
        np.testing.assert_array_equal(a.samples, b.samples)


def test_calibration_rows_start_where_enough_past_errors_were_known() -> None:
    from forecast.backtest.run import calibration_months
    from forecast.fit.calibration import MIN_ERRORS

    history = np.arange(300, 312)
    # the reference launches' errors: one a month from 250, so the 20th is known at 269
    early = np.arange(250, 250 + MIN_ERRORS + 5)
    assert calibration_months(early, history) == list(range(250 + MIN_ERRORS - 1, 312))
    # unsorted, and some months with several errors: the 20th in calendar order
    doubled = np.repeat(np.arange(260, 280), 2)[::-1]
    assert calibration_months(doubled, history)[0] == 260 + (MIN_ERRORS - 1) // 2
    # too few errors, or the 20th only after the history starts: the history's months
    assert calibration_months(early[: MIN_ERRORS - 1], history) == list(range(300, 312))
    assert calibration_months(np.arange(305, 340), history) == list(range(300, 312))
