"""``forecast sensitivity``: its table and CSV, and a bad scenario in one line."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from forecast.sweeps.sensitivity import COLUMNS, LOW
from tests.factories import Project


def test_cli_reports_a_bad_scenario_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sensitivity", str(tmp_path / "missing.toml")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.output


def test_cli_writes_the_csv_and_prints_the_table(tmp_path: Path, project: Project) -> None:
    out = tmp_path / "sens" / "tornado.csv"
    retool = str(project.scenario("retool"))
    args = ["sensitivity", retool, "--n-paths", "400", "--seed", "3", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == COLUMNS
    assert rows[0]["input"] in result.output
    weeks = next(r for r in rows if r["input"] == "events.m1_retool.weeks")
    assert float(weeks["low_value"]) == pytest.approx(6 + np.sqrt(LOW * 21), abs=1e-6)
    params = next(r for r in rows if r["input"] == "model.params")
    assert params["low_value"] == "" and params["high_value"] == ""
    assert f"wrote {out}" in result.output
