"""``calibration.csv``: written and read back, every bad row reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.errors import DataError
from forecast.fit.calibration import (
    CalibrationRow,
    calibration_csv,
)
from forecast.load.calibration import load_calibration
from forecast.months import parse_month


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
