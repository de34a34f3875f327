"""``forecast run``: progress, overrides, clear errors, whole outputs, a complete year."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from forecast.engine.run import run_scenario
from forecast.errors import ConfigError
from tests.factories import Project
from tests.write.test_files import OLD, _contents, _fail_on_call, _folder_with_old_files


@pytest.fixture(scope="module")
def baseline(project: Project) -> str:
    return str(project.scenario("baseline"))


def test_the_run_commands_bar_moves_once_a_step_of_one_engine_run(
    tmp_path: Path, baseline: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib

    from forecast.cli import progress
    from forecast.engine import pipeline

    bars: list[list[int]] = []  # each bar: its length, then every advance

    @contextlib.contextmanager
    def recording_bar(length: int, **_):
        bars.append([length])
        yield bars[-1].append

    runs: list[str] = []
    engine_run = pipeline.run
    monkeypatch.setattr(progress, "progress_bar", recording_bar)
    monkeypatch.setattr(pipeline, "run", lambda *a, **k: runs.append("run") or engine_run(*a, **k))
    args = ["run", baseline, "--n-paths", str(2**16 + 1)]
    result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert runs == ["run"]
    assert bars == [[3, 1, 1, 1]]  # fit, then two chunks of paths


def test_set_overrides_reach_the_answer(tmp_path: Path, baseline: str) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "run",
            baseline,
            "--n-paths",
            "500",
            "--set",
            "target.units=10000",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("baseline: P(10,000 in 2026) = 100.0% ± 0.0%")


def test_a_target_missed_on_every_path_still_prints_the_shortfall_the_csv_has(
    tmp_path: Path, baseline: str
) -> None:
    args = ["run", baseline, "--n-paths", "300", "--set", "target.units=50000000"]
    result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("baseline: P(50,000,000 in 2026) = 0.0% ± 0.0%")
    with open(tmp_path / "summary.csv", newline="") as handle:
        shortfall = float(next(csv.DictReader(handle))["expected_shortfall"])
    assert shortfall > 49_000_000
    assert f"  missed on every path, short by {shortfall:,.0f} on average" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--n-paths", "10000001"],
            "Invalid value for '--n-paths': 10000001 is not in the range 1<=x<=10000000.",
        ),
        (
            ["--set", "simulation.n_paths=10000001"],
            "error: --set: simulation.n_paths: must be at most 10,000,000 (every path is kept in memory), got 10,000,001",
        ),
    ],
)
def test_too_many_paths_is_a_clear_error_not_a_memory_crash(
    tmp_path: Path, baseline: str, args, message
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", baseline, *args, "--out", str(out)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists()
    with pytest.raises(ConfigError, match="at most 10,000,000"):
        run_scenario(baseline, n_paths=10_000_001)


def test_bad_scenario_is_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nextends = "missing.toml"\n')
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output
    assert not out.exists()


def test_as_of_beyond_the_history_names_the_file(tmp_path: Path, baseline: str) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "run",
            baseline,
            "--set",
            'history.as_of="2026-05"',
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 2
    assert "history.as_of: 2026-05 is outside the history (2025-01 to 2026-01)" in result.stderr
    assert "baseline.toml: history.as_of" in result.stderr


def test_forecast_run_failing_midway_keeps_the_old_outputs(tmp_path, baseline, monkeypatch) -> None:
    out = _folder_with_old_files(tmp_path)
    args = ["run", baseline, "--n-paths", "200", "--out", str(out)]
    _fail_on_call(monkeypatch, "replace", 2)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and result.stderr == f"error: {out}: No space left on device\n"
    assert _contents(out) == OLD
    monkeypatch.undo()
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert sorted(_contents(out)) == sorted(OLD)
    assert _contents(out)["summary.csv"].startswith("scenario,target_year")


def test_complete_year_through_the_cli(tmp_path, baseline) -> None:
    out = tmp_path / "out"
    args = [
        "run",
        baseline,
        "--n-paths",
        "50",
        "--out",
        str(out),
        "--set",
        'history.as_of="2025-12"',
        "--set",
        "target.year=2025",
        "--set",
        "target.units=130000",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "= 100.0% ± 0.0%" in result.output
    row = next(csv.DictReader((out / "summary.csv").open()))
    assert (row["p_hit"], row["p_hit_se"], row["required_monthly"]) == ("1", "0", "0")
    assert row["p05"] == row["p95"] == row["ytd_actual"]


def test_run_command_writes_three_files_byte_identical_twice(
    tmp_path: Path, project: Project
) -> None:
    args = ["run", str(project.scenario("retool")), "--n-paths", "3000"]
    first = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "a")])
    second = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "b")])
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    assert first.output.startswith("retool: P(280,000 in 2026) = ")
    assert "90% range" in first.output and "a month from 2026-02 to December" in first.output
    for name in ("summary.csv", "monthly.csv", "scenario.resolved.toml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    resolved = (tmp_path / "a" / "scenario.resolved.toml").read_text()
    assert "n_paths = 3000" in resolved and 'name = "retool"' in resolved
