"""``--executor dask``: the same bytes as ``--workers 1`` on a local dask cluster.

One ``LocalCluster`` (two worker processes, one thread each) serves the whole module: it is
registered as the process's client for ``Executor(kind="dask", workers=2)``, which is what
``--executor dask --workers 2`` asks for, so the commands below run on it without starting
their own. Skipped when the dask extra is not installed (CI installs it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from forecast.engine import parallel
from forecast.engine.parallel import Executor, map_ordered
from forecast.errors import ConfigError, ForecastError
from forecast.scenario.parse import load_scenario
from tests.engine import test_worker_death as death
from tests.factories import Project

distributed = pytest.importorskip("distributed")

TESTS = Path(__file__).resolve().parents[1]
DASK = Executor(kind="dask", workers=2)


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[Executor]:
    local = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        worker_dashboard_address=None,
    )
    client = distributed.Client(local)
    parallel._CLIENTS[(DASK.workers, None)] = client
    try:
        yield DASK
    finally:
        parallel._CLIENTS.pop((DASK.workers, None), None)
        client.close()
        local.close()


def _invoke(args: list[str]) -> bytes:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result.output.encode()


def test_backtest_on_a_local_cluster_writes_the_same_bytes_as_one_worker(
    tmp_path: Path, project_copy: Project
) -> None:
    """Both passes, the company's cut-offs and a reference launch's (the second pass
    simulates from the first pass's fits, sent back from the workers)."""
    data = project_copy.data
    launches = (data / "reference_launches.csv").read_text().splitlines()
    (data / "reference_launches.csv").write_text("\n".join(launches[:2]) + "\n")  # one launch
    args = ["backtest", str(project_copy.scenario("baseline")), "--from", "2025-11"]
    args += ["--to", "2025-12", "--horizon", "2", "--n-paths", "300", "--step", "6"]
    args += ["--set", f'history.data="{data}"']
    files = {}
    for name, how in (
        ("w1", ["--workers", "1"]),
        ("dask", ["--executor", "dask", "--workers", "2"]),
    ):
        out, walks = tmp_path / f"{name}.csv", tmp_path / f"{name}-walks.csv"
        _invoke([*args, *how, "--out", str(out), "--write-calibration", str(walks)])
        files[name] = (out.read_bytes(), walks.read_bytes())
    assert b"\nreference," in files["w1"][0]  # a reference launch was replayed
    assert files["dask"] == files["w1"]


def test_compare_on_a_local_cluster_writes_the_same_bytes_as_one_worker(
    tmp_path: Path, project: Project
) -> None:
    scenarios = [str(project.scenario(name)) for name in ("baseline", "retool", "capacity")]
    texts = {}
    for name, how in (
        ("w1", ["--workers", "1"]),
        ("dask", ["--executor", "dask", "--workers", "2"]),
    ):
        out = tmp_path / name / "comparison.csv"
        _invoke(["compare", *scenarios, "--n-paths", "2000", *how, "--out", str(out)])
        texts[name] = out.read_bytes()
    assert texts["dask"] == texts["w1"]


def _scenario_name(path: Path) -> str:
    return load_scenario(path).name


def test_a_workers_error_comes_back_whole_and_first_in_input_order() -> None:
    paths = [
        TESTS / "scenarios_valid" / "base.toml",
        TESTS / "scenarios_invalid" / "bad_parameters.toml",
        Path("nope.toml"),
    ]
    assert map_ordered(_scenario_name, paths[:1] * 3, DASK) == ["base"] * 3
    with pytest.raises(ConfigError) as error:
        map_ordered(_scenario_name, paths, DASK)
    assert len(error.value.problems) == 7
    assert error.value.problems[0].startswith(str(paths[1]))


class _Workers:
    """A stand-in for a client: ``run`` answers with each worker's identity."""

    def __init__(self, identities: dict[str, tuple[str, str]]) -> None:
        self.identities = identities
        self.scheduler = type("Scheduler", (), {"address": "tcp://host:8786"})()

    def run(self, fn: object) -> dict[str, tuple[str, str]]:
        return self.identities


def test_check_workers_names_each_worker_with_another_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parallel, "identity", lambda: ("0.2.0", "abc"))
    parallel.check_workers(_Workers({"tcp://a:1": ("0.2.0", "abc")}))  # no error
    mixed = _Workers({"tcp://b:1": ("0.1.0", "abc"), "tcp://a:1": ("0.2.0", "abc")})
    with pytest.raises(ForecastError) as error:
        parallel.check_workers(mixed)
    assert error.value.problems == (
        "dask worker tcp://b:1: forecast 0.1.0 with bundled data abc, but this machine has "
        "forecast 0.2.0 with bundled data abc: install the same version on every worker",
    )
    with pytest.raises(ForecastError, match="tcp://host:8786: no workers connected"):
        parallel.check_workers(_Workers({}))


def test_the_identity_of_an_installation_is_its_version_and_bundled_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``check_workers`` compares: a changed bundled file changes the hash."""
    import forecast
    from forecast.load import paths

    (tmp_path / "data" / "market").mkdir(parents=True)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "data" / "market" / "market.csv").write_text("month,units\n")
    (tmp_path / "scenarios" / "baseline.toml").write_text("[target]\n")
    monkeypatch.setattr(paths, "DATA", tmp_path / "data")
    monkeypatch.setattr(paths, "SCENARIOS", tmp_path / "scenarios")
    version, data = parallel.identity()
    assert version == forecast.__version__ and len(data) == 16
    assert parallel.identity() == (version, data)
    (tmp_path / "scenarios" / "baseline.toml").write_text("[target]\nyear = 2026\n")
    assert parallel.identity()[1] != data


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds processes in /proc")
def test_ctrl_c_on_a_local_cluster_stops_every_worker_without_a_traceback(
    project: Project, tmp_path: Path
) -> None:
    """Ctrl-C reaches the whole process group: the command stops, its workers too, quietly."""
    # one fit for all (the same data as of the same month): the only pool is the runs'
    names = ("baseline", "capacity", "combined", "launches", "retool")
    args = [sys.executable, "-m", "forecast", "compare"]
    args += [str(project.scenario(name)) for name in names]
    args += ["--n-paths", "400000", "--executor", "dask", "--workers", "2"]
    args += ["--out", str(tmp_path / "c.csv")]
    parent = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    workers: list[int] = []
    try:
        # the two workers, and the jobs running on them (a client has connected)
        assert death._wait_for(lambda: len(death._children(parent.pid)) >= 3, timeout=120)
        workers = death._children(parent.pid)
        # Ctrl-C while the cluster starts is not heard (its workers must not inherit a
        # handler): press it again until the command stops
        for _ in range(60):
            os.killpg(parent.pid, signal.SIGINT)
            if death._wait_for(lambda: parent.poll() is not None, timeout=2):
                break
        assert parent.wait(timeout=60) != 0
        assert death._wait_for(lambda: not any(death._alive(w) for w in workers), timeout=20)
    finally:
        stderr = death._kill_leftovers(parent, workers)
    assert "Traceback" not in stderr and "WARNING" not in stderr, stderr
