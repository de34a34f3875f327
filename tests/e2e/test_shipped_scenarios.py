"""Every scenario shipped in scenarios/ loads and runs on the bundled data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from forecast.engine.run import run_scenario

pytestmark = pytest.mark.e2e

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
