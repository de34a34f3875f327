"""The target study and the every-company monthly backtest from the CLI, on bundled data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from forecast.backtest.target_report import CSV_COLUMNS
from forecast.backtest.targets import METHODS
from forecast.cli.main import cli

pytestmark = pytest.mark.e2e


def test_target_study_of_one_company(tmp_path: Path) -> None:
    out = tmp_path / "targets.csv"
    args = ["backtest", "--targets", "--companies", "leapmotor", "--n-paths", "200"]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    # 2024 (announced "2024": from January; 2024-01 and 2024-02 have too little history),
    # 2025's target (announced 2024-11: from January), range (2025-03) and revision (2025-08).
    assert "Target study: 4 statements, 33 statement cut-offs, 1 companies" in result.output
    assert "fewer than 3 delivering months by then" in result.output
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 33 * len(METHODS)
    by_target = {(r["year"], r["target"], r["announced"]) for r in rows}
    assert by_target == {
        ("2024", "250000", "2024"),
        ("2025", "500000", "2024-11-12"),
        ("2025", "500000", "2025-03-11"),
        ("2025", "580000", "2025-08"),
    }
    assert {r["actual"] for r in rows} == {"293724", "596555"}
    assert all(r["hit"] == "1" and r["actual_from"] == "history" for r in rows)
    first = [r["as_of"] for r in rows if r["target"] == "250000" and r["method"] == "forecast"]
    assert first[0] == "2024-03" and first[-1] == "2024-11"


def test_unknown_company_is_one_line_error() -> None:
    result = CliRunner().invoke(cli, ["backtest", "--targets", "--companies", "acme"])
    assert result.exit_code == 2
    assert (
        result.output.strip()
        .splitlines()[-1]
        .startswith("error: --companies: unknown company 'acme'")
    )


def test_monthly_backtest_of_several_companies_pools_their_totals(tmp_path: Path) -> None:
    out = tmp_path / "backtest.csv"
    args = ["backtest", "--companies", "leapmotor,nio", "--from", "2025-10", "--to", "2025-10"]
    args += ["--no-references", "--n-paths", "200", "--horizon", "2", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    for title in ("Leapmotor total", "NIO total", "Pooled"):
        assert f"{title}: coverage" in result.output
    with out.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["series"] == "total"]
    # two companies x one cut-off x (forecast, uncalibrated and three baselines)
    assert sorted({r["source"] for r in rows}) == ["leapmotor", "nio"]
    assert len(rows) == 2 * 5
    assert all(r["n_months"] == "2" for r in rows)
