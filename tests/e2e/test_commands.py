"""Each command once, end to end, on the bundled data and the shipped scenarios."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from forecast.backtest import cases, report
from forecast.cli.main import cli
from forecast.sweeps.compare import COMPARISON_COLUMNS
from forecast.sweeps.sensitivity import (
    COLUMNS,
    LOW,
)

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
THREE = [str(SCENARIOS / f"{name}.toml") for name in ("su7_retool", "baseline", "capacity_phase3")]
RETOOL = SCENARIOS / "su7_retool.toml"


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


def test_run_command_writes_three_files_byte_identical_twice(tmp_path: Path) -> None:
    args = ["run", str(REPO / "scenarios" / "su7_retool.toml"), "--n-paths", "3000"]
    first = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "a")])
    second = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "b")])
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    assert first.output.startswith("su7_retool: P(550,000 in 2026) = ")
    assert "90% range" in first.output and "a month from 2026-02 to December" in first.output
    for name in ("summary.csv", "monthly.csv", "scenario.resolved.toml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    resolved = (tmp_path / "a" / "scenario.resolved.toml").read_text()
    assert "n_paths = 3000" in resolved and 'name = "su7_retool"' in resolved


def test_cli_prints_an_aligned_table_and_writes_the_csv(tmp_path: Path) -> None:
    out = tmp_path / "cmp" / "comparison.csv"
    args = ["compare", str(SCENARIOS / "b*.toml"), THREE[0], "--n-paths", "2000", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2 scenarios, 2,000 paths each, seed 20260201"
    assert lines[1].split()[:4] == ["rank", "scenario", "P(hit)", "±"]
    assert len({len(line) for line in lines[1:3]}) == 1  # header and rule line up
    assert lines[-1] == f"  wrote {out}"
    assert out.read_text().splitlines()[0] == ",".join(COMPARISON_COLUMNS)


def test_cli_writes_the_csv_and_prints_the_table(tmp_path: Path) -> None:
    out = tmp_path / "sens" / "tornado.csv"
    args = ["sensitivity", str(RETOOL), "--n-paths", "400", "--seed", "3", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == COLUMNS
    assert rows[0]["input"] in result.output
    weeks = next(r for r in rows if r["input"] == "events.su7_retool.weeks")
    assert float(weeks["low_value"]) == pytest.approx(6 + np.sqrt(LOW * 21), abs=1e-6)
    params = next(r for r in rows if r["input"] == "model.params")
    assert params["low_value"] == "" and params["high_value"] == ""
    assert f"wrote {out}" in result.output


def test_cli_quantile() -> None:
    result = CliRunner().invoke(
        cli, ["solve", str(RETOOL), "--quantile", "0.8", "--n-paths", "2000"]
    )
    assert result.exit_code == 0, result.output
    assert "the largest 2026 total reached with probability 80% is " in result.output
    assert "(the 20% quantile of the annual total; 2,000 paths" in result.output


def test_command_writes_one_row_per_cutoff_series_and_method(tmp_path: Path) -> None:
    out = tmp_path / "bt.csv"
    result = CliRunner().invoke(
        cli,
        [
            "backtest",
            "--from",
            "2025-10",
            "--to",
            "2025-11",
            "--horizon",
            "2",
            "--n-paths",
            "300",
            "--no-references",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "coverage_80" in result.output and "Targets known" in result.output
    rows = list(csv.DictReader(out.open()))
    keys = {(r["cutoff"], r["series"], r["method"]) for r in rows}
    assert len(keys) == len(rows) == 2 * 3 * len(report.REPORT_METHODS)  # total, SU7, YU7
    assert {r["error_walk"] for r in rows if r["method"] == cases.FORECAST} == {"0"}  # < 20 errors
    fixed = CliRunner().invoke(
        cli,
        [
            "backtest",
            "--from",
            "2025-10",
            "--to",
            "2025-11",
            "--horizon",
            "2",
            "--n-paths",
            "300",
            "--no-references",
            "--out",
            str(out),
            "--set",
            "model.error_walk=0.3",
        ],
    )
    assert fixed.exit_code == 0, fixed.output
    assert {
        r["error_walk"] for r in csv.DictReader(out.open()) if r["method"] == cases.FORECAST
    } == {"0.3"}
