from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
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


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_csv_from_the_cli_is_one_line_per_problem_exit_2(name: str, data_copy: Path) -> None:
    shutil.copy(BAD / name, data_copy / "deliveries.csv")
    result = CliRunner().invoke(cli, ["history", "--data", "data", "--out", "out.csv"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {line}" for line in EXPECTED[name]]
    assert "Traceback" not in result.output
    assert not Path("out.csv").exists()


def test_periods() -> None:
    assert parse_period("2024-Q2") == (month_ordinal(2024, 4), month_ordinal(2024, 6))
    assert parse_period("2025") == (month_ordinal(2025, 1), month_ordinal(2025, 12))
    assert parse_period("2025-01..2025-10") == (month_ordinal(2025, 1), month_ordinal(2025, 10))
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_period("2025-05..2025-01")


def test_bundled_history_loads_read_only() -> None:
    history = load_history()
    assert history.lines == ("SU7", "YU7")
    assert history.months.size == 22
    assert not history.months.flags.writeable


@pytest.fixture(scope="module")
def rec():
    return reconcile(load_history())


class TestReconciledBundledHistory:
    def test_22_months_whole_units(self, rec) -> None:
        assert rec.months.size == 22
        assert np.array_equal(rec.values, np.round(rec.values))
        assert not rec.values.flags.writeable

    def test_2024_sums_exactly(self, rec) -> None:
        assert rec.value("total", month_ordinal(2024, 1), month_ordinal(2024, 12)) == 136_854

    def test_every_exact_figure_holds(self, rec) -> None:
        exact = [u for u in rec.uses if u.observation.qualifier == "exact"]
        assert len(exact) >= 7
        assert all(u.reconciled == u.observation.figure for u in exact)

    def test_quarters(self, rec) -> None:
        quarters = {
            "2024-Q2": 27_307,
            "2024-Q3": 39_790,
            "2025-Q1": 75_869,
            "2025-Q2": 81_302,
            "2025-Q3": 108_796,
        }
        for period, figure in quarters.items():
            assert rec.value("total", *parse_period(period)) == figure

    def test_2025_at_least_410000(self, rec) -> None:
        assert rec.value("total", *parse_period("2025")) >= 410_000

    def test_at_least_months_at_or_above_bound(self, rec) -> None:
        for u in rec.uses:
            if u.observation.qualifier == "at_least":
                assert u.reconciled >= u.observation.figure

    def test_official_q2_wins_over_third_party_months(self, rec) -> None:
        q2 = [
            u
            for u in rec.uses
            if u.observation.first == u.observation.last
            and parse_month("2025-04") <= u.observation.first <= parse_month("2025-06")
            and u.observation.line == "total"
        ]
        assert sum(u.observation.figure for u in q2) == 82_057
        assert sum(u.adjustment for u in q2) == 81_302 - 82_057
        # spread over the three months, not dumped on one
        assert all(-400 < u.adjustment < 0 for u in q2)

    def test_lines_add_up_to_total(self, rec) -> None:
        assert np.array_equal(rec.values.sum(axis=0), rec.total)
        yu7 = rec.line("YU7")
        assert yu7[rec.months < parse_month("2025-06")].sum() == 0


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


def test_history_command_writes_the_csv(tmp_path: Path) -> None:
    out = tmp_path / "history.csv"
    result = CliRunner().invoke(cli, ["history", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == "month,line,raw,qualifier,reconciled,adjustment,source"
    totals = [line.split(",") for line in lines[1:] if line.split(",")[1] == "total"]
    assert len(totals) == 22
    assert sum(int(row[4]) for row in totals if row[0].startswith("2024")) == 136_854
    assert "2025-06,YU7,2234,exact_third_party," in out.read_text()
