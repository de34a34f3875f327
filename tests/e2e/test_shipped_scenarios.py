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
        "su7_new_generation",
        "january_dip_as_of_2025_12",
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


def _p_hit(name: str, n: int = 20_000) -> tuple[float, float]:
    s = run_scenario(REPO / "scenarios" / f"{name}.toml", n_paths=n).summary
    return s.p_hit, s.p_hit_se


def test_the_retooling_gap_alone_lowers_p_hit() -> None:
    # Issue 13: a scenario named after a downside must not raise P(hit) through another
    # change; the shared seed pairs the runs, the margin is four standard errors of each.
    base, base_se = _p_hit("baseline")
    gap, gap_se = _p_hit("su7_retool")
    assert gap < base - 4 * max(base_se, gap_se)


def test_the_new_generation_is_its_own_scenario_on_top_of_the_gap() -> None:
    from forecast.scenario.parse import load_scenario

    retool = load_scenario(REPO / "scenarios" / "su7_retool.toml")
    new = load_scenario(REPO / "scenarios" / "su7_new_generation.toml")
    assert retool.lines == {} or all(s.multiplier.is_fixed for s in retool.lines.values())
    assert [e.name for e in new.events] == [e.name for e in retool.events]
    assert not new.lines["SU7"].multiplier.is_fixed  # the one thing it changes


def test_a_scenario_with_another_as_of_says_so_in_its_name() -> None:
    from forecast.scenario.parse import load_scenario

    baseline = load_scenario(REPO / "scenarios" / "baseline.toml")
    for path in SCENARIOS:
        scenario = load_scenario(path)
        if scenario.as_of != baseline.as_of:
            assert "_as_of_" in scenario.name, scenario.name
