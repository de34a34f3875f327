"""``forecast history``: the reconciled table, and bad files in one line each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from tests.factories import TOTAL_2025, Project
from tests.load.test_history import BAD, EXPECTED, _lines_from


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_csv_from_the_cli_is_one_line_per_problem_exit_2(
    name: str, project_copy: Project
) -> None:
    shutil.copy(BAD / name, project_copy.data / "deliveries.csv")
    _lines_from(project_copy, "2024-04")
    result = CliRunner().invoke(cli, ["history", "--data", "data", "--out", "out.csv"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {line}" for line in EXPECTED[name]]
    assert "Traceback" not in result.output
    assert not Path("out.csv").exists()


def test_history_command_writes_the_csv(tmp_path: Path, project: Project) -> None:
    out = tmp_path / "history.csv"
    result = CliRunner().invoke(cli, ["history", "--data", str(project.data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == "month,line,raw,qualifier,reconciled,adjustment,source"
    totals = [line.split(",") for line in lines[1:] if line.split(",")[1] == "total"]
    assert len(totals) == 13
    assert sum(int(row[4]) for row in totals if row[0].startswith("2025")) == TOTAL_2025
    assert "2025-08,M2,900,exact_third_party," in out.read_text()
