from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from forecast.engine.run import run_scenario
from forecast.errors import ConfigError
from forecast.scenario.parse import load_scenario

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((REPO / "scenarios").glob("*.toml"))
N = 2000


def test_the_library_has_the_documented_scenarios() -> None:
    names = {p.stem for p in SCENARIOS}
    assert {
        "baseline",
        "su7_retool",
        "january_dip",
        "capacity_phase3",
        "new_models",
        "combined",
    } <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_shipped_scenario_validates_and_runs(path: Path) -> None:
    result = run_scenario(path, n_paths=N)
    s = result.summary
    assert result.paths.shape == (N, 12)
    assert np.all(np.isfinite(result.paths)) and np.all(result.paths >= 0)
    assert 0.0 <= s.p_hit <= 1.0
    assert list(s.quantiles) == sorted(s.quantiles)
    assert s.target == 550_000 and s.target_year == 2026


@pytest.fixture(scope="module")
def retool():
    return run_scenario(REPO / "scenarios" / "su7_retool.toml", n_paths=N)


def test_reported_january_is_kept_on_every_path(retool) -> None:
    assert retool.plan.n_reported == 1
    assert np.all(retool.paths[:, 0] == 39_000)
    assert retool.summary.ytd_actual == 39_000


def test_p_hit_se_is_the_binomial_standard_error(retool) -> None:
    p = retool.summary.p_hit
    assert retool.summary.p_hit_se == pytest.approx(np.sqrt(p * (1 - p) / N))


def test_python_api_takes_a_scenario_object_too() -> None:
    scenario = load_scenario(REPO / "scenarios" / "baseline.toml")
    a = run_scenario(scenario, n_paths=500, seed=3)
    b = run_scenario(REPO / "scenarios" / "baseline.toml", n_paths=500, seed=3)
    assert np.array_equal(a.paths, b.paths)
    assert a.record.n_paths == 500 and a.record.seed == 3
    assert a.record.scenario_hash == b.record.scenario_hash


def test_chunk_size_does_not_change_the_result() -> None:
    path = REPO / "scenarios" / "combined.toml"
    a = run_scenario(path, n_paths=140_000, chunk_size=2**16)
    b = run_scenario(path, n_paths=140_000, chunk_size=2**17)
    assert np.array_equal(a.paths, b.paths)


def test_more_paths_agree_within_monte_carlo_error() -> None:
    path = REPO / "scenarios" / "su7_retool.toml"
    small = run_scenario(path, n_paths=20_000, seed=1).summary
    large = run_scenario(path, n_paths=80_000, seed=2).summary
    se = np.hypot(small.p_hit_se, large.p_hit_se)
    assert abs(small.p_hit - large.p_hit) < 4 * se


def test_run_command_writes_three_files_byte_identical_twice(tmp_path: Path) -> None:
    args = ["run", str(REPO / "scenarios" / "su7_retool.toml"), "--n-paths", "3000"]
    first = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "a")])
    second = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "b")])
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    assert first.output.startswith("su7_retool: P(550,000 in 2026) = ")
    assert "90% range" in first.output and "a month from 2026-02 to December" in first.output
    for name in ("summary.csv", "monthly.csv", "scenario.resolved.toml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    resolved = (tmp_path / "a" / "scenario.resolved.toml").read_text()
    assert "n_paths = 3000" in resolved and 'name = "su7_retool"' in resolved


def test_the_run_commands_bar_moves_once_a_step_of_one_engine_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
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
    args = ["run", str(REPO / "scenarios" / "baseline.toml"), "--n-paths", str(2**16 + 1)]
    result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert runs == ["run"]
    assert bars == [[3, 1, 1, 1]]  # fit, then two chunks of paths


def test_set_overrides_reach_the_answer(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(REPO / "scenarios" / "baseline.toml"),
            "--n-paths",
            "500",
            "--set",
            "target.units=100000",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("baseline: P(100,000 in 2026) = 100.0% ± 0.0%")


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
def test_too_many_paths_is_a_clear_error_not_a_memory_crash(tmp_path: Path, args, message) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["run", str(REPO / "scenarios" / "baseline.toml"), *args, "--out", str(out)]
    )
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists()
    with pytest.raises(ConfigError, match="at most 10,000,000"):
        run_scenario(REPO / "scenarios" / "baseline.toml", n_paths=10_000_001)


def test_bad_scenario_is_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nextends = "missing.toml"\n')
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output
    assert not out.exists()


def test_as_of_beyond_the_history_names_the_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(REPO / "scenarios" / "baseline.toml"),
            "--set",
            'history.as_of="2026-05"',
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 2
    assert "history.as_of: 2026-05 is outside the history (2024-04 to 2026-01)" in result.stderr
