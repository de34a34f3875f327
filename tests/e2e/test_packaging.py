"""The package carries what it reads: a wheel built from the repo holds every module, the
bundled data and the scenario library, and nothing of tests/ or tools/; installed elsewhere
(``pip install --target DIR``), it answers from an empty folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from forecast import __version__
from forecast.load import paths

# end to end: the CLI, the package and its bundled data
pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "forecast"
JUNK = ("__pycache__", "*.pyc", "*.egg-info", ".*", "build", "dist", "out")


def _package_files() -> set[str]:
    """Every file under forecast/ in the repo, as a wheel names it (caches left out)."""
    return {
        p.relative_to(REPO).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


# ---------------------------------------------------------------- without building


def test_package_data_globs_cover_every_file_the_package_reads() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["forecast"]
    covered = {p.relative_to(REPO).as_posix() for g in globs for p in PACKAGE.glob(g)}
    data = {name for name in _package_files() if not name.endswith(".py")}
    assert data, "no data files found under forecast/"
    assert data - covered == set(), "add these to [tool.setuptools.package-data]"


def test_the_data_and_library_live_inside_the_package() -> None:
    assert paths.PACKAGE == PACKAGE.resolve()
    for folder in (paths.COMPANIES, paths.MARKET, paths.SCENARIOS):
        assert folder.is_dir() and folder.resolve().is_relative_to(PACKAGE.resolve())
    assert paths.scenario_path("baseline") == paths.SCENARIOS / "baseline.toml"


def test_the_version_has_one_source() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in config["project"] and "version" in config["project"]["dynamic"]
    dynamic = config["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "forecast.__version__"}


# ---------------------------------------------------------------- a built wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a clean copy of the repo, offline: the test environment's own
    setuptools builds it (no build isolation, no index)."""
    pytest.importorskip("setuptools", minversion="70.1")  # the test extra's: bdist_wheel
    source = tmp_path_factory.mktemp("source") / "repo"
    shutil.copytree(REPO, source, symlinks=True, ignore=shutil.ignore_patterns(*JUNK))
    dist = source.parent / "dist"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    command += ["--no-index", "--quiet", "--wheel-dir", str(dist), str(source)]
    subprocess.run(command, check=True, capture_output=True, text=True)
    (built,) = dist.glob("forecast-*.whl")
    return built


@pytest.mark.e2e
@pytest.mark.slow  # builds and installs a wheel: about 25 s in all
def test_the_wheel_holds_the_package_its_data_and_nothing_else(wheel: Path) -> None:
    assert wheel.name == f"forecast-{__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    info = f"forecast-{__version__}.dist-info/"
    assert _package_files() <= names
    assert {n for n in names if not n.startswith(("forecast/", info))} == set()
    assert {"forecast/scenarios/baseline.toml", "forecast/data/market/market.csv"} <= names
    assert any(n.startswith("forecast/data/companies/") for n in names)
    entry_points = zipfile.ZipFile(wheel).read(info + "entry_points.txt").decode()
    assert "forecast = forecast.cli.main:main" in entry_points


@pytest.fixture(scope="module")
def target(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed with ``pip install --target DIR`` (dependencies: this environment's)."""
    folder = tmp_path_factory.mktemp("target")
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet"]
    subprocess.run([*command, "--target", str(folder), str(wheel)], check=True)
    return folder


def _run(target: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.e2e
@pytest.mark.slow  # builds and installs a wheel: about 25 s in all
def test_installed_with_target_it_runs_a_bundled_scenario_from_an_empty_folder(
    target: Path, tmp_path: Path
) -> None:
    imported = _run(
        target, tmp_path, sys.executable, "-c", "import forecast; print(forecast.__file__)"
    )
    assert Path(imported.stdout.strip()).is_relative_to(target)  # not the repo's copy
    version = _run(target, tmp_path, str(target / "bin" / "forecast"), "--version")
    assert (version.returncode, version.stdout) == (0, f"forecast, version {__version__}\n")
    run = _run(target, tmp_path, str(target / "bin" / "forecast"), "run", "baseline",
               "--n-paths", "500", "--out", "out")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("baseline: P(")
    assert (tmp_path / "out" / "summary.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing else written here


@pytest.mark.e2e
@pytest.mark.slow  # builds and installs a wheel: about 25 s in all
def test_installed_with_target_python_m_forecast_works(target: Path, tmp_path: Path) -> None:
    result = _run(target, tmp_path, sys.executable, "-m", "forecast", "validate", "baseline")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("baseline: ok")
