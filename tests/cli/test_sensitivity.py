from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from forecast.cli.main import cli


def test_cli_reports_a_bad_scenario_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sensitivity", str(tmp_path / "missing.toml")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.output
