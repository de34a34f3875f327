from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from forecast.errors import DataError
from forecast.load.bundle import load_bundle
from forecast.load.history import load_history, parse_period
from forecast.load.reconcile import reconcile
from forecast.months import month_ordinal, parse_month
from tests.factories import TARGET_2026, Project

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


def _lines_from(project: Project, first: str) -> None:
    """The bad files are a history whose deliveries start in ``first``: say so in lines.csv."""
    (project.data / "lines.csv").write_text(
        f"line,first_month,source,note\nM1,{first},s,\nM2,2025-08,s,\n", encoding="utf-8"
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_csv_gets_its_exact_message(name: str, project_copy: Project) -> None:
    shutil.copy(BAD / name, project_copy.data / "deliveries.csv")
    _lines_from(project_copy, "2024-04")
    with pytest.raises(DataError) as caught:
        load_history(project_copy.data)
    assert list(caught.value.problems) == EXPECTED[name]


def test_periods() -> None:
    assert parse_period("2024-Q2") == (month_ordinal(2024, 4), month_ordinal(2024, 6))
    assert parse_period("2025") == (month_ordinal(2025, 1), month_ordinal(2025, 12))
    assert parse_period("2025-01..2025-10") == (month_ordinal(2025, 1), month_ordinal(2025, 10))
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_period("2025-05..2025-01")


def test_conflicting_exact_figures_name_the_rows(project_copy: Project) -> None:
    with open(project_copy.data / "totals.csv", "a") as handle:
        handle.write(
            "2025-07..2025-09,total,30000,exact,https://example.org/made-up,conflicts with Q3\n"
        )
    with pytest.raises(DataError) as caught:
        reconcile(load_history(project_copy.data))
    problems = caught.value.problems
    assert (
        "data/totals.csv:10: 2025-07..2025-09 total exact 30000: conflicts with the other figures"
        in problems
    )
    assert (
        "data/totals.csv:4: 2025-Q3 total exact 34300: conflicts with the other figures" in problems
    )


def test_cut_history_knows_nothing_later(project: Project) -> None:
    bundle = load_bundle(project.data)
    whole, history = bundle.company, bundle.cut(parse_month("2025-07")).company
    assert history.lines == ("M1",)
    assert history.months[-1] == parse_month("2025-07")
    assert all(o.last <= parse_month("2025-07") for o in history.monthly + history.totals)
    assert len(history.monthly) < len(whole.monthly) and len(history.totals) < len(whole.totals)
    rec = reconcile(history)
    assert rec.value("total", *parse_period("2025-Q1")) == 13_900


def test_cut_history_knows_no_later_target_or_anomaly(project: Project) -> None:
    bundle = load_bundle(project.data)
    history, cut = bundle.company, bundle.cut(parse_month("2025-12")).company
    assert [t.units for t in cut.targets if t.year == 2026] == []
    assert [t.units for t in history.targets if t.year == 2026] == [TARGET_2026]
    assert parse_month("2026-01") in {month for month, _ in history.anomalies}
    assert parse_month("2026-01") not in {month for month, _ in cut.anomalies}
