"""The supply ceiling on the bundled data: its tool, and every library scenario under it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from forecast.engine import pipeline
from forecast.engine.cache import FitCache
from forecast.load import paths
from forecast.load.bundle import load_bundle
from forecast.load.capacity import GROWTH_FILE
from forecast.scenario.parse import load_scenario
from forecast.scenario.types import CapacityEvent
from forecast.simulate.paths import simulate_paths

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((REPO / "scenarios").glob("*.toml"))
CACHE = FitCache.in_memory()


def _tool():
    spec = importlib.util.spec_from_file_location(
        "output_growth", REPO / "tools" / "output_growth.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_tool_reproduces_the_bundled_growth_file_byte_for_byte() -> None:
    bundled = (paths.MARKET / GROWTH_FILE).read_bytes()
    assert _tool().build_table(paths.COMPANIES).encode("utf-8") == bundled


def _simulate(path: Path, n_paths: int, **changes):
    scenario = load_scenario(path)
    if changes:
        scenario = scenario.with_changes(changes)
    bundle = load_bundle(scenario.data_dir)
    fitted = pipeline.fit(bundle, scenario, cache=CACHE)
    plan = pipeline.plan(bundle, fitted, scenario)
    return plan, simulate_paths(plan, seed=scenario.seed, n_paths=n_paths, record_ceiling=True)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_no_month_of_a_library_scenario_exceeds_its_own_ceiling(path: Path) -> None:
    plan, result = _simulate(path, 4000)
    assert result.ceiling is not None
    simulated = result.paths[:, plan.n_reported :]
    assert np.all(simulated <= result.ceiling * (1 + 1e-12))
    assert np.isfinite(result.ceiling).all()  # every library scenario has a ceiling


def _highest_library_ceiling() -> float:
    highest = 0.0
    for path in SCENARIOS:
        for event in load_scenario(path).events:
            if isinstance(event, CapacityEvent) and event.line is None:
                for dist in (event.limit, event.step_limit):
                    if dist is not None:
                        highest = max(highest, float(dist.ppf(np.array([1.0]))[0]))
    return highest


def test_the_baseline_stays_below_the_highest_ceiling_the_library_allows() -> None:
    highest = _highest_library_ceiling()
    assert highest == 80_000  # capacity_phase3's Phase 3 at its highest
    plan, result = _simulate(REPO / "scenarios" / "baseline.toml", 20_000)
    p99 = np.quantile(result.paths[:, plan.n_reported :], 0.99, axis=0)
    assert np.all(p99 < highest)
