"""``forecast validate``: ok per file, every problem of the others, exit 2; every check that
``forecast run`` makes before fitting, in the same words."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from tests.factories import Project

TESTS = Path(__file__).resolve().parents[1]
INVALID = TESTS / "scenarios_invalid"


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


def test_cli_validate_ok(project: Project) -> None:
    base, retool = project.scenario("baseline"), project.scenario("combined")
    result = _invoke("validate", str(base), str(retool))
    assert result.exit_code == 0, result.output
    assert result.output == f"{base}: ok (0 events)\n{retool}: ok (4 events)\n"


def test_cli_validate_reports_every_problem_and_exits_2(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(INVALID)
    base = project.scenario("baseline")
    result = _invoke("validate", "probability_above_one.toml", str(base), "unknown_key.toml")
    assert result.exit_code == 2
    assert result.stdout == f"{base}: ok (0 events)\n"
    expected = [
        *(INVALID / "probability_above_one.expected").read_text().splitlines(),
        *(INVALID / "unknown_key.expected").read_text().splitlines(),
    ]
    assert result.stderr.splitlines() == [f"error: {line}" for line in expected]


def test_cli_validate_with_set(project: Project) -> None:
    result = _invoke("validate", str(project.scenario("baseline")), "--set", "simulation.n_paths=0")
    assert result.exit_code == 2
    assert result.stderr == "error: --set: simulation.n_paths: must be at least 1, got 0\n"


def test_cli_validate_needs_a_file_and_has_help() -> None:
    assert _invoke("validate").exit_code == 2
    result = _invoke("validate", "--help")
    assert result.exit_code == 0 and "Example: forecast validate" in result.output


# Whatever run rejects before fitting, validate rejects with the same message (issue 15).
RUN_REJECTS = {
    "a typo in a line table": (
        ("lines.m1={multiplier=0}",),
        "--set: lines.m1: unknown line 'm1' (did you mean \"M1\"?) (lines: M1, M2)",
    ),
    "an event on an unknown line": (
        ('events=[{kind="dip", line="M9", months=["2026-03"], factor=0.5}]',),
        "--set: events[0].line: dip[0]: line 'M9' has no deliveries by 2026-01 and no launch "
        "event (lines: M1, M2)",
    ),
    "a launch of an existing line": (
        ('events=[{kind="launch", line="M2", start=3, level=100}]',),
        "--set: events[0].line: launch[0]: line 'M2' already has deliveries by 2026-01; a "
        "launch needs a new line",
    ),
    "a target year beyond the calendar": (
        ("target.year=9999",),
        "--set: target.year: data/calendar.csv: no row for year 9999 (the calendar covers "
        "2018-2030)",
    ),
}


@pytest.mark.parametrize(("sets", "problem"), RUN_REJECTS.values(), ids=list(RUN_REJECTS))
def test_validate_rejects_what_run_rejects_with_the_same_message(
    project_copy: Project, tmp_path: Path, sets: tuple[str, ...], problem: str
) -> None:
    base = "scenarios/baseline.toml"
    set_args = [arg for value in sets for arg in ("--set", value)]
    checked = _invoke("validate", base, *set_args)
    ran = _invoke("run", base, "--n-paths", "100", "--out", str(tmp_path / "o"), *set_args)
    assert checked.exit_code == ran.exit_code == 2
    assert checked.stderr == ran.stderr == f"error: {problem}\n"
    assert checked.stdout == ran.stdout == ""
    assert not (tmp_path / "o").exists()


def test_validate_reports_a_bad_data_folder_once(project_copy: Project) -> None:
    (project_copy.data / "deliveries.csv").write_text("month,line\n")
    base, retool = "scenarios/baseline.toml", "scenarios/retool.toml"
    result = _invoke("validate", base, retool)
    assert result.exit_code == 2
    assert result.stderr.count("deliveries.csv:1: figure: missing column") == 1
