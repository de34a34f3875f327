"""``forecast solve``: what it prints, and its usage mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from forecast.sweeps.solve import solve_p_hit
from tests.factories import Project

WEEKS = "events[0].weeks"
N = 4000
LEVEL = 0.77  # as in tests/sweeps/test_solve.py


@pytest.fixture(scope="module")
def retool_path(project: Project) -> Path:
    return project.scenario("retool_as_fitted")


@pytest.fixture(scope="module")
def solved(retool_path):
    """What the command must print: the library's solution."""
    return solve_p_hit(retool_path, key=WEEKS, level=LEVEL, n_paths=N)


def test_cli_solve_prints_the_value_bracket_steps_and_p_hit(retool_path, solved) -> None:
    args = ["solve", str(retool_path), "--vary", WEEKS, "--p-hit", str(LEVEL), "--n-paths", str(N)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("retool: P(280,000 in 2026) reaches 77.0% at events[0].weeks = ")
    assert lines[1].startswith(f"  P(hit) there: {solved.p_hit:.1%} ± ")
    assert (
        lines[2].startswith("  searched [6, 13] (P(hit) ") and "in 10 bisection steps" in lines[2]
    )
    assert lines[3] == f"  check: forecast run {retool_path} --set {WEEKS}={solved.value!r}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--quantile", "0.8", "--vary", WEEKS],
            "--quantile cannot be combined with --vary/--p-hit",
        ),
        (["--vary", WEEKS], "give --vary KEY.PATH and --p-hit LEVEL, or --quantile Q"),
        (
            ["--vary", WEEKS, "--p-hit", "1.5"],
            "error: --p-hit: must be strictly between 0 and 1, got 1.5",
        ),
        (["--quantile", "0"], "error: --quantile: must be strictly between 0 and 1, got 0"),
        (
            ["--vary", WEEKS, "--p-hit", "0.3", "--low", "9", "--high", "7"],
            "error: --vary events[0].weeks: the bracket [9, 7] is empty",
        ),
    ],
)
def test_cli_usage_mistakes_exit_2(retool_path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["solve", str(retool_path), "--n-paths", "100", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_cli_quantile(retool_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["solve", str(retool_path), "--quantile", "0.8", "--n-paths", "2000"]
    )
    assert result.exit_code == 0, result.output
    assert "the largest 2026 total reached with probability 80% is " in result.output
    assert "(the 20% quantile of the annual total; 2,000 paths" in result.output


def test_cli_solves_a_launchs_level_in_units_not_as_a_fraction(project: Project) -> None:
    """Issue 15: a launch's level was clipped to [0, 1] as if it were a gap's share, so
    ``--vary 'events[2].level'`` on the combined scenario said "the bracket [5000, 1] is
    empty"; its bracket is now the distribution's range in units a month."""
    args = ["solve", str(project.scenario("combined")), "--vary", "events[2].level"]
    result = CliRunner().invoke(cli, [*args, "--p-hit", "0.5", "--n-paths", "200"])
    assert "is empty" not in result.output
    assert "[3000, 12000]" in result.output, result.output


def test_cli_prints_a_month_position_as_a_date(retool_path: Path) -> None:
    """A month position (1.0 = the start of January) is printed as the date it falls on,
    with the number beside it, not as a bare decimal."""
    args = ["solve", str(retool_path), "--vary", "events[0].start", "--n-paths", "200"]
    result = CliRunner().invoke(cli, [*args, "--p-hit", "0.999"])
    assert result.exit_code == 2
    assert (
        "error: no value of events[0].start in [2026-01 (month 1.000), 2026-04 (month 4.000)]"
        in result.output
    )
