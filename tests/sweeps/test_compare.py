from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from forecast.engine.run import run_scenario
from forecast.errors import ConfigError
from forecast.summarise.summary import summarise
from forecast.sweeps.compare import (
    COMPARISON_COLUMNS,
    ScenarioRun,
    compare_scenarios,
    comparison_csv,
    comparison_dicts,
    expand_patterns,
    load_all,
    paired_differences,
    pick_baseline,
    rank_runs,
    sparsity,
)
from tests.factories import Project

N = 4000


@pytest.fixture(scope="module")
def scenarios(project: Project) -> Path:
    """The hand-made scenarios (tests/factories.py)."""
    return project.root / "scenarios"


@pytest.fixture(scope="module")
def three_paths(scenarios: Path) -> list[str]:
    return [str(scenarios / f"{name}.toml") for name in ("retool", "baseline", "capacity")]


# ---------------------------------------------------------------- inputs


def test_patterns_are_expanded_sorted_and_deduplicated(scenarios) -> None:
    found = expand_patterns([str(scenarios / "retool.toml"), str(scenarios / "[bc]*.toml")])
    assert [p.stem for p in found] == ["retool", "baseline", "capacity", "combined"]


def test_a_pattern_matching_nothing_is_an_error(scenarios) -> None:
    with pytest.raises(ConfigError, match=r"nothing\*\.toml: no file matches this pattern"):
        expand_patterns([str(scenarios / "baseline.toml"), "nothing*.toml"])


def test_duplicate_names_are_reported(scenarios, tmp_path: Path) -> None:
    copy = tmp_path / "copy.toml"
    copy.write_text(f'[scenario]\nname = "baseline"\nextends = "{scenarios / "baseline.toml"}"\n')
    with pytest.raises(ConfigError, match="'baseline' is also the name of"):
        load_all([scenarios / "baseline.toml", copy])


def test_baseline_defaults_to_the_one_named_baseline_else_the_first() -> None:
    assert pick_baseline(["a", "baseline", "c"], None) == "baseline"
    assert pick_baseline(["a", "c"], None) == "a"
    assert pick_baseline(["a", "c"], "c") == "c"
    with pytest.raises(
        ConfigError, match=r"^--baseline: no scenario named 'x' \(scenarios: a, c\)$"
    ):
        pick_baseline(["a", "c"], "x")


# ---------------------------------------------------------------- differences


def test_paired_p_hit_difference_and_its_standard_error_are_exact() -> None:
    base = np.array([0.0, 5.0, 10.0, 10.0, 2.0])
    totals = np.array([10.0, 5.0, 10.0, 0.0, 10.0])  # hits: 1,0,1,0,1 against 0,0,1,1,0
    d_p, d_se, _, _ = paired_differences(totals, base, target=10, base_target=10)
    d = np.array([1, 0, 0, -1, 1])
    assert d_p == pytest.approx(0.2)
    assert d_se == pytest.approx(d.std(ddof=1) / np.sqrt(5))


def test_a_constant_shift_has_an_exact_median_difference_with_zero_error(rng) -> None:
    base = rng.normal(500_000, 80_000, 1001)
    d_p, d_se, d_med, d_med_se = paired_differences(
        base + 5000, base, target=550_000, base_target=550_000
    )
    assert d_med == pytest.approx(5000) and d_med_se == pytest.approx(0, abs=1e-6)
    assert d_p == pytest.approx(np.mean((base >= 545_000) & (base < 550_000)))


@pytest.mark.parametrize("rho", [0.0, 0.9])
def test_the_median_difference_error_matches_the_bivariate_normal_formula(rho, rng) -> None:
    # medians of (A, B) ~ N(0, [[1, rho], [rho, 1]]): n var(mA - mB) = pi - 2 arcsin(rho)
    n = 40_000
    z = rng.normal(0, 1, (2, n))
    a, b = z[0], rho * z[0] + np.sqrt(1 - rho**2) * z[1]
    *_, se = paired_differences(a, b, target=0, base_target=0)
    # the sparsity estimate's relative error is about 1 / sqrt(2 n h) = 2% (h = n**(-1/3))
    assert se == pytest.approx(np.sqrt((np.pi - 2 * np.arcsin(rho)) / n), rel=0.08)


def test_sparsity_is_one_over_the_density_at_the_median(rng) -> None:
    # relative error about 1 / sqrt(2 n h) = 1.5% with h = n**(-1/3)
    assert sparsity(rng.normal(3, 2, 100_000)) == pytest.approx(2 * np.sqrt(2 * np.pi), rel=0.05)
    assert sparsity(np.ones(10)) == 0.0 and sparsity(np.array([1.0])) == 0.0


def _run(p_hit: float, median: float) -> ScenarioRun:
    totals = np.full(10, median)
    totals[: round(p_hit * 10)] = 1e9
    paths = np.column_stack([totals, np.zeros((10, 11))])
    months = np.arange(2026 * 12, 2026 * 12 + 12)
    summary = summarise(paths, months=months, n_reported=0, target=10**8, scenario="s")
    return ScenarioRun(summary=summary, record=None, totals=totals, company="c", as_of=0)  # type: ignore[arg-type]


def test_ranks_by_p_hit_then_median_then_input_order() -> None:
    runs = [_run(0.2, 5), _run(0.5, 1), _run(0.2, 7), _run(0.2, 5)]
    assert rank_runs(runs) == [3, 1, 2, 4]


# ---------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def three(three_paths):
    return compare_scenarios(three_paths, n_paths=N)


def test_rows_are_ranked_and_the_baseline_is_the_one_named_baseline(three) -> None:
    assert three.baseline == "baseline"
    p_hits = [row.run.summary.p_hit for row in three.rows]
    assert p_hits == sorted(p_hits, reverse=True)
    assert [row.rank for row in three.rows] == [1, 2, 3]
    base = next(row for row in three.rows if row.run.summary.scenario == "baseline")
    assert (base.d_p_hit, base.d_p_hit_se, base.d_median, base.d_median_se) == (0, 0, 0, 0)


def test_every_scenario_runs_with_the_first_scenarios_seed_as_run_would(scenarios, three) -> None:
    retool = next(row.run for row in three.rows if row.run.summary.scenario == "retool")
    # what 'forecast run' does on its own, with its own fit: compare must give the same answer
    alone = run_scenario(scenarios / "retool.toml", n_paths=N)
    assert {row.run.record.seed for row in three.rows} == {alone.record.seed}
    assert np.array_equal(retool.totals, alone.paths.sum(axis=1))
    assert retool.summary == alone.summary


def test_paired_error_is_smaller_than_either_scenarios_own(three) -> None:
    rows = {row.run.summary.scenario: row for row in three.rows}
    retool, base = rows["retool"], rows["baseline"]
    assert 0 < retool.d_p_hit_se < min(retool.run.summary.p_hit_se, base.run.summary.p_hit_se)


def test_csv_has_the_summary_columns_then_the_differences(three) -> None:
    rows = list(csv.reader(io.StringIO(comparison_csv(three))))
    assert tuple(rows[0]) == COMPARISON_COLUMNS
    assert rows[0][-9:] == [
        *("company", "as_of", "rank", "baseline", "paired"),
        *("d_p_hit", "d_p_hit_se", "d_median", "d_median_se"),
    ]
    assert [r[0] for r in rows[1:]] == [d["scenario"] for d in comparison_dicts(three)]
    assert all(r[COMPARISON_COLUMNS.index("n_paths")] == str(N) for r in rows[1:])


def test_scenarios_with_the_same_fit_key_are_fitted_once(
    three_paths, scenarios, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecast.sweeps import compare

    fitted: list[str] = []
    loaded: list[object] = []
    fit, load = compare.fit_scenario, compare.load_bundle
    monkeypatch.setattr(
        compare,
        "fit_scenario",
        lambda scenario, **kw: fitted.append(scenario.name) or fit(scenario, **kw),
    )
    monkeypatch.setattr(compare, "load_bundle", lambda d: loaded.append(d) or load(d))
    dip = str(scenarios / "dip.toml")  # as of 2025-12: a fit of its own
    compare_scenarios([*three_paths, dip], n_paths=200)
    assert fitted == ["retool", "dip"]
    assert len(loaded) == 1  # one data folder, read once for the fits and the runs


def test_two_workers_give_identical_results(three_paths, three) -> None:
    again = compare_scenarios(three_paths[:2], n_paths=N, workers=2)
    assert comparison_csv(again) == comparison_csv(compare_scenarios(three_paths[:2], n_paths=N))
