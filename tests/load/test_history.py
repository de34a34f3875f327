from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from forecast.errors import DataError
from forecast.load.history import load_history, parse_period
from forecast.load.reconcile import reconcile
from forecast.months import month_ordinal, parse_month

BAD = Path(__file__).parents[1] / "bad_history"

EXPECTED = {
    "duplicate_month.csv": [
        "data/deliveries.csv:5: month: duplicate month 2024-06 for line total (first at line 4)"
    ],
    "missing_month.csv": [
        "data/deliveries.csv:4: month: missing month 2024-06 (no total between 2024-05 and 2024-07)"
    ],
    "negative_figure.csv": [
        "data/deliveries.csv:3: figure: expected a non-negative number, got '-8646'"
    ],
    "non_numeric_figure.csv": [
        "data/deliveries.csv:3: figure: expected a whole number, got '8.6k'"
    ],
    "unknown_qualifier.csv": [
        "data/deliveries.csv:3: qualifier: unknown value 'roughly' (expected one of: exact, at_least, "
        "approaching, approx, exact_third_party, derived)"
    ],
    "bad_date.csv": [
        "data/deliveries.csv:3: month: expected a month as YYYY-MM, got '2024-13'",
        "data/deliveries.csv:4: month: missing month 2024-05 (no total between 2024-04 and 2024-06)",
    ],
    "missing_column.csv": ["data/deliveries.csv:1: qualifier: missing column"],
}


def test_corpus_covers_every_file() -> None:
    assert sorted(p.name for p in BAD.glob("*.csv")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_csv_gets_its_exact_message(name: str, data_copy: Path) -> None:
    shutil.copy(BAD / name, data_copy / "deliveries.csv")
    with pytest.raises(DataError) as caught:
        load_history(data_copy)
    assert list(caught.value.problems) == EXPECTED[name]


def test_periods() -> None:
    assert parse_period("2024-Q2") == (month_ordinal(2024, 4), month_ordinal(2024, 6))
    assert parse_period("2025") == (month_ordinal(2025, 1), month_ordinal(2025, 12))
    assert parse_period("2025-01..2025-10") == (month_ordinal(2025, 1), month_ordinal(2025, 10))
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_period("2025-05..2025-01")


def test_conflicting_exact_figures_name_the_rows(data_copy: Path) -> None:
    with open(data_copy / "totals.csv", "a") as handle:
        handle.write(
            "2024-07..2024-09,total,30000,exact,https://example.org/made-up,conflicts with Q3\n"
        )
    with pytest.raises(DataError) as caught:
        reconcile(load_history(data_copy))
    problems = caught.value.problems
    assert (
        "data/totals.csv:15: 2024-07..2024-09 total exact 30000: conflicts with the other figures"
        in problems
    )
    assert (
        "data/totals.csv:3: 2024-Q3 total exact 39790: conflicts with the other figures" in problems
    )


def test_cut_history_knows_nothing_later() -> None:
    history = load_history().cut(parse_month("2025-05"))
    assert history.lines == ("SU7",)
    assert history.months[-1] == parse_month("2025-05")
    assert all(o.last <= parse_month("2025-05") for o in history.monthly + history.totals)
    rec = reconcile(history)
    assert rec.value("total", *parse_period("2025-Q1")) == 75_869


def test_history_cut_is_the_bundles_cut() -> None:
    from forecast.load.bundle import load_bundle

    may = parse_month("2025-05")
    mine, bundled = load_history().cut(may), load_bundle().cut(may).company
    for field in dataclasses.fields(mine):
        a, b = getattr(mine, field.name), getattr(bundled, field.name)
        assert np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b, field.name


def test_cut_history_knows_no_later_target_or_anomaly() -> None:
    history = load_history()
    cut = history.cut(parse_month("2025-12"))
    assert [t.units for t in cut.targets if t.year == 2026] == []
    assert [t.units for t in history.targets if t.year == 2026] == [550_000]
    assert parse_month("2026-01") not in {month for month, _ in cut.anomalies}
