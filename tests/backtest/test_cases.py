"""Backtest cases: the cut-offs a company's history allows."""

from __future__ import annotations

import pytest

from forecast.backtest import cases
from forecast.errors import ForecastError
from forecast.load.history import load_history
from forecast.months import format_month, parse_month
from tests.factories import Project


def test_cutoffs_outside_the_history_are_errors(project: Project) -> None:
    history = load_history(project.data)
    with pytest.raises(ForecastError, match="--from"):
        cases.company_cutoffs(history, parse_month("2020-01"), None)
    cutoffs = cases.company_cutoffs(history, None, None)
    assert format_month(cutoffs[0]) == "2025-03" and cutoffs[-1] == history.months[-1] - 1
