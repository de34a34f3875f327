"""``forecast validate``: ok per file, every problem of the others, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from forecast.cli.main import cli

TESTS = Path(__file__).resolve().parents[1]
VALID = TESTS / "scenarios_valid"
INVALID = TESTS / "scenarios_invalid"


def test_cli_validate_ok() -> None:
    result = CliRunner().invoke(
        cli, ["validate", str(VALID / "base.toml"), str(VALID / "variant.toml")]
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"{VALID / 'base.toml'}: ok (2 events)\n{VALID / 'variant.toml'}: ok (4 events)\n"
    )


def test_cli_validate_reports_every_problem_and_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    result = CliRunner().invoke(
        cli,
        ["validate", "probability_above_one.toml", str(VALID / "base.toml"), "unknown_key.toml"],
    )
    assert result.exit_code == 2
    assert result.stdout == f"{VALID / 'base.toml'}: ok (2 events)\n"
    expected = [
        *(INVALID / "probability_above_one.expected").read_text().splitlines(),
        *(INVALID / "unknown_key.expected").read_text().splitlines(),
    ]
    assert result.stderr.splitlines() == [f"error: {line}" for line in expected]


def test_cli_validate_with_set() -> None:
    result = CliRunner().invoke(
        cli, ["validate", str(VALID / "base.toml"), "--set", "simulation.n_paths=0"]
    )
    assert result.exit_code == 2
    assert result.stderr == "error: --set: simulation.n_paths: must be at least 1, got 0\n"


def test_cli_validate_needs_a_file_and_has_help() -> None:
    assert CliRunner().invoke(cli, ["validate"]).exit_code == 2
    result = CliRunner().invoke(cli, ["validate", "--help"])
    assert result.exit_code == 0 and "Example: forecast validate" in result.output
