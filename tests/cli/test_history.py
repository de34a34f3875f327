from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from tests.factories import Project
from tests.load.test_history import BAD, EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_csv_from_the_cli_is_one_line_per_problem_exit_2(
    name: str, project_copy: Project
) -> None:
    shutil.copy(BAD / name, project_copy.data / "deliveries.csv")
    result = CliRunner().invoke(cli, ["history", "--data", "data", "--out", "out.csv"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {line}" for line in EXPECTED[name]]
    assert "Traceback" not in result.output
    assert not Path("out.csv").exists()
