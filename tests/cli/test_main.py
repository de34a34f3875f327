"""The command group: help everywhere, shared options alike, one default seed."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from forecast.cli.main import COMMANDS, cli
from forecast.cli.options import DEFAULT_SEED
from forecast.scenario.types import Scenario
from tests.factories import Project


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


def _params(name: str) -> dict[str, click.Parameter]:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    return {p.name: p for p in command.params if p.name is not None}


def test_shared_options_agree_in_every_command() -> None:
    """``--set``, ``--workers``, ``--seed``, ``--n-paths`` and ``--quiet`` come from one
    module: same flag, destination, type and repeatability wherever they appear."""
    seen: dict[str, list[tuple]] = {}
    for name in COMMANDS:
        for dest, p in _params(name).items():
            if dest in ("overrides", "workers", "seed", "n_paths", "quiet", "data_dir"):
                seen.setdefault(dest, []).append(
                    (tuple(p.opts), p.multiple, type(p.type), getattr(p.type, "min", None))
                )
    assert set(seen) == {"overrides", "workers", "seed", "n_paths", "quiet", "data_dir"}
    for dest, variants in seen.items():
        opts = {v[:3] for v in variants}
        assert len(opts) == 1, (dest, opts)
    assert {v[3] for v in seen["workers"]} == {1} and {v[3] for v in seen["seed"]} == {0}


def test_one_default_seed() -> None:
    scenario_seed = next(f.default for f in dataclasses.fields(Scenario) if f.name == "seed")
    assert _params("backtest")["seed"].default == scenario_seed == DEFAULT_SEED
    for name in ("run", "compare", "sensitivity", "solve"):  # these take the scenario's
        assert _params(name)["seed"].default is None


def test_a_bad_month_names_its_option(project: Project) -> None:
    result = CliRunner().invoke(cli, ["fit", "--data", str(project.data), "--as-of", "2025-13"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --as-of: ") and result.stderr.count("\n") == 1
