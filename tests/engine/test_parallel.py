"""``map_ordered``: results in input order for any number of workers, a worker's error intact."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from forecast.engine.parallel import Executor, as_executor, map_ordered
from forecast.errors import ConfigError
from forecast.scenario.parse import load_scenario
from tests.factories import Project

TESTS = Path(__file__).resolve().parents[1]
VALID = TESTS / "scenarios_valid"
INVALID = TESTS / "scenarios_invalid"


def test_map_ordered_keeps_input_order_for_any_number_of_workers() -> None:
    items = [9.0, 4.0, 1.0, 16.0, 25.0]
    assert map_ordered(np.sqrt, items, 1) == [3.0, 2.0, 1.0, 4.0, 5.0]
    assert map_ordered(np.sqrt, items, 3) == [3.0, 2.0, 1.0, 4.0, 5.0]
    assert map_ordered(np.sqrt, [], 3) == []


def _scenario_name(path: Path) -> str:
    return load_scenario(path).name


def test_map_ordered_reraises_a_workers_error_with_one_line_per_problem() -> None:
    paths = [VALID / "base.toml", INVALID / "bad_parameters.toml", Path("nope.toml")]
    assert map_ordered(_scenario_name, paths[:1] * 2, 2) == ["base", "base"]
    for workers in (1, 2):
        with pytest.raises(ConfigError) as error:
            map_ordered(_scenario_name, paths, workers)
        assert len(error.value.problems) == 7  # the first failure in input order, intact
        assert error.value.problems[0].startswith(str(INVALID / "bad_parameters.toml"))


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_map_ordered_rejects_bad_worker_counts(workers: object) -> None:
    with pytest.raises(ValueError, match="workers must be an integer >= 1"):
        map_ordered(abs, [1], workers)  # type: ignore[arg-type]


def test_an_executor_of_local_processes_is_the_same_as_a_count() -> None:
    items = [9.0, 4.0, 1.0]
    assert map_ordered(np.sqrt, items, Executor(workers=2)) == [3.0, 2.0, 1.0]
    assert as_executor(3) == Executor(kind="processes", workers=3)
    assert Executor().in_process and not Executor(kind="dask").in_process


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "threads"}, "executor must be one of processes, dask"),
        ({"scheduler": "tcp://host:8786"}, "a scheduler address needs the dask executor"),
        ({"workers": 0}, "workers must be an integer >= 1"),
    ],
)
def test_executor_rejects_what_it_cannot_run(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Executor(**fields)


def test_executor_dask_without_the_extra_is_one_line_naming_it(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    args = ["compare", str(project.scenario("baseline")), "--executor", "dask"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert (
        result.output
        == "error: --executor dask needs dask.distributed: pip install 'forecast[dask]'\n"
    )


@pytest.mark.parametrize("command", ["compare", "sensitivity", "solve", "backtest"])
def test_every_sweep_takes_the_executor_options(command: str, project: Project) -> None:
    args = [command, str(project.scenario("baseline")), "--scheduler", "tcp://host:8786"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "--scheduler needs --executor dask" in result.output
