"""The backtest harness: no information after a cut-off reaches its forecast; recalibration
uses past errors only; the command runs end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.backtest import cases
from forecast.errors import ForecastError
from forecast.load.history import load_history
from forecast.months import format_month, parse_month

REPO = Path(__file__).resolve().parents[2]


def test_cutoffs_outside_the_history_are_errors() -> None:
    history = load_history(REPO / "data")
    with pytest.raises(ForecastError, match="--from"):
        cases.company_cutoffs(history, parse_month("2020-01"), None)
    cutoffs = cases.company_cutoffs(history, None, None)
    assert format_month(cutoffs[0]) == "2024-06" and cutoffs[-1] == history.months[-1] - 1
