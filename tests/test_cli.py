from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from forecast.cli.main import COMMANDS, cli


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_with_an_example(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


def test_top_level_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def test_python_dash_m_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "forecast", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "Usage:" in result.stdout


def test_unknown_command_exits_2() -> None:
    assert CliRunner().invoke(cli, ["nonsense"]).exit_code == 2


def test_public_api_is_re_exported_lazily() -> None:
    code = "import sys, forecast; assert 'numpy' not in sys.modules; from forecast import run_scenario, load_scenario"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
