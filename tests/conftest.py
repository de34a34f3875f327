from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent
COMPANY_DIR = REPO / "data" / "companies" / "xiaomi"
MARKET_DIR = REPO / "data" / "market"


def copy_flat(target: Path) -> Path:
    """The bundled company's files and the market files in one folder ``target`` (a data
    folder with its own market files, as the tests of the loaders and the cache use)."""
    target.mkdir(parents=True, exist_ok=True)
    for folder in (COMPANY_DIR, MARKET_DIR):
        for path in folder.iterdir():
            shutil.copy(path, target / path.name)
    return target


# One read-only flat copy for the whole session.
FLAT_DATA = copy_flat(Path(tempfile.mkdtemp(prefix="forecast-tests-")) / "data")
atexit.register(shutil.rmtree, FLAT_DATA.parent, True)
DATA = FLAT_DATA

# Hypothesis profiles, chosen by HYPOTHESIS_PROFILE (default "dev"; .ci/run sets "ci").
# Tests that fix max_examples in their own @settings keep it; the fuzz targets in
# tests/test_fuzz.py take theirs from the profile:
#   HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz.py -q   (10,000 per target)
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("dev", max_examples=100, deadline=None, suppress_health_check=_SLOW_OK)
settings.register_profile(
    "ci", max_examples=50, deadline=None, derandomize=True, suppress_health_check=_SLOW_OK
)
settings.register_profile(
    "fuzz", max_examples=10_000, deadline=None, suppress_health_check=_SLOW_OK
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: runs the bundled data end to end")
    config.addinivalue_line("markers", "slow: takes minutes; CI still runs it")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20260201)


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the bundled data as ./data, with the working folder at its parent."""
    target = copy_flat(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    return target


@pytest.fixture(autouse=True, scope="session")
def _fit_cache_dir(tmp_path_factory: pytest.TempPathFactory):
    """Every test (and CLI subprocess) uses a private fit cache, never ~/.cache/forecast."""
    old = os.environ.get("FORECAST_CACHE_DIR")
    os.environ["FORECAST_CACHE_DIR"] = str(tmp_path_factory.mktemp("fit-cache"))
    yield
    if old is None:
        os.environ.pop("FORECAST_CACHE_DIR", None)
    else:
        os.environ["FORECAST_CACHE_DIR"] = old
