"""README's "To add a month", followed literally on the hand-made company (issue 15: a total
row alone failed with "cannot split the total between lines")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forecast.errors import DataError
from forecast.load.history import load_history
from forecast.load.reconcile import reconcile
from forecast.months import month_ordinal
from tests.factories import Project

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_rows() -> list[str]:
    """The rows of the README's example under "To add a month", for the hand-made company
    (whose lines are M1 and M2 where the README's are SU7 and YU7)."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("To add a month") :]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block is not None, "README: no example under 'To add a month'"
    rows = block.group(1).strip().splitlines()
    return [row.replace(",SU7,", ",M1,").replace(",YU7,", ",M2,") for row in rows]


def test_adding_a_month_as_the_readme_says_reconciles(project_copy: Project) -> None:
    deliveries = project_copy.data / "deliveries.csv"
    rows = _readme_rows()
    assert [row.split(",")[1] for row in rows] == ["total", "M1", "M2"]
    deliveries.write_text(deliveries.read_text() + "\n".join(rows) + "\n")
    reconciled = reconcile(load_history(project_copy.data))
    february = month_ordinal(2026, 2)
    assert reconciled.months[-1] == february
    assert reconciled.value("M1", february, february) == 20000
    assert reconciled.value("M2", february, february) == 10000


def test_a_total_row_alone_says_which_rows_are_missing(project_copy: Project) -> None:
    deliveries = project_copy.data / "deliveries.csv"
    deliveries.write_text(deliveries.read_text() + _readme_rows()[0] + "\n")
    with pytest.raises(DataError) as caught:
        reconcile(load_history(project_copy.data))
    assert caught.value.problems == (
        "data/deliveries.csv: cannot split the total between lines for: 2026-02 M1, 2026-02 M2 "
        "(a month needs a row per model line beside its total, or for all lines but one)",
    )
