from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from forecast.engine.run import run_scenario
from forecast.errors import ConfigError
from forecast.scenario.distributions import Triangular
from forecast.scenario.parse import load_scenario
from forecast.sweeps.solve import (
    NoSolutionError,
    default_bracket,
    quantile_with_se,
    scalar_inputs,
    solve_p_hit,
    solve_quantile,
)
from tests.factories import Project

WEEKS = "events[0].weeks"
N = 4000
# A P(hit) the retooling gap crosses: about 0.79 with a 6-week gap, 0.75 with a 13-week one
# (the stopped months' demand waits and is delivered after the restart, less cancellations).
LEVEL = 0.77


@pytest.fixture(scope="module")
def retool_path(project: Project) -> Path:
    """The hand-made retooling scenario without the model-error walk (tests/factories.py)."""
    return project.scenario("retool_as_fitted")


@pytest.fixture(scope="module")
def retool(retool_path):
    return load_scenario(retool_path)


def run(path: Path, **kwargs):
    """``run_scenario`` on the scenario as 'forecast run' would do it, with its own fit."""
    return run_scenario(path, **kwargs)


# ---------------------------------------------------------------- what can vary


def test_scalar_inputs_are_named_by_their_set_key_paths(retool) -> None:
    inputs = scalar_inputs(retool)
    assert inputs[WEEKS] == Triangular(low=6, mode=9, high=13)
    assert inputs["events[0].start"].mean == 2.0  # "2026-02-01" as a month position
    assert {"model.noise_scale", "lines.M1.multiplier", "events[0].level"} <= set(inputs)
    assert "events[0].name" not in inputs and "simulation.seed" not in inputs


@pytest.mark.parametrize(
    ("key", "bracket"),
    [
        (WEEKS, (6, 13)),  # a distribution: its support
        ("events[0].level", (0, 0.1)),
        ("model.noise_scale", (0, 2)),  # a fixed number: [0, 2 x value]
        ("events[0].start", (1, 4)),  # ... clipped to month positions
    ],
)
def test_default_brackets(retool, key: str, bracket: tuple[float, float]) -> None:
    assert default_bracket(retool, key) == pytest.approx(bracket)


def test_an_unknown_key_lists_what_can_vary(retool) -> None:
    with pytest.raises(
        ConfigError, match=r'--vary events\[0\]\.week: .*did you mean "events\[0\]\.weeks"'
    ):
        default_bracket(retool, "events[0].week")
    with pytest.raises(ConfigError, match=r"can vary: model\.noise_scale, lines\.M1\.multiplier"):
        default_bracket(retool, "simulation.seed")


# ---------------------------------------------------------------- quantile


@pytest.mark.parametrize("q", [0.1, 0.5, 0.8, 0.95])
def test_quantile_is_the_largest_total_reached_with_probability_q(q: float, rng) -> None:
    totals = rng.permutation(np.arange(1.0, 101.0))
    value, _ = quantile_with_se(totals, q)
    assert np.mean(totals >= value) >= q > np.mean(totals >= value + 1)


def test_quantile_se_matches_the_asymptotic_formula(rng) -> None:
    n, q = 100_000, 0.8
    _, se = quantile_with_se(rng.normal(0, 1, n), q)
    z = stats.norm.ppf(1 - q)
    # a spacing over 2 sqrt(n q (1 - q)) = 253 ranks: relative error about 1 / sqrt(253) = 6%
    assert se == pytest.approx(np.sqrt(q * (1 - q) / n) / stats.norm.pdf(z), rel=0.2)


def test_solve_quantile_agrees_with_the_runs_p_hit(retool_path) -> None:
    answer = solve_quantile(retool_path, q=0.8, n_paths=N)
    totals = run(retool_path, n_paths=N).paths.sum(axis=1)
    assert np.mean(totals >= answer.units) >= 0.8 > np.mean(totals >= answer.units + 1)
    assert 0 < answer.units_se < 0.05 * answer.units


# ---------------------------------------------------------------- bisection


@pytest.fixture(scope="module")
def solved(retool_path):
    return solve_p_hit(retool_path, key=WEEKS, level=LEVEL, n_paths=N)


def test_the_solution_reaches_the_level_and_just_short_of_it_does_not(retool_path, solved) -> None:
    assert 6 < solved.value < 13 and (solved.low, solved.high) == (6, 13)
    assert solved.p_hit >= LEVEL and solved.p_low > LEVEL > solved.p_high  # more gap, less hit
    assert solved.width <= 7 / 1000 and solved.n_steps == 10
    short = run(retool_path, n_paths=N, overrides=[f"{WEEKS}={solved.value + solved.width}"])
    assert short.summary.p_hit < LEVEL


def test_rerunning_at_the_solution_gives_the_level_within_monte_carlo_error(
    retool_path, solved
) -> None:
    setting = [f"{WEEKS}={solved.value!r}"]
    same = run(retool_path, n_paths=N, overrides=setting).summary
    assert (same.p_hit, same.p_hit_se) == (solved.p_hit, solved.p_hit_se)
    fresh = run(retool_path, n_paths=N, seed=11, overrides=setting).summary
    assert abs(fresh.p_hit - LEVEL) < 4 * np.hypot(fresh.p_hit_se, solved.p_hit_se) + 1 / N


def test_an_increasing_assumption_is_solved_too(retool_path) -> None:
    solution = solve_p_hit(retool_path, key="lines.M1.multiplier", level=0.5, n_paths=N, tol=0.01)
    assert solution.p_low < 0.5 <= solution.p_hit and 1 < solution.value < 3


def test_two_workers_give_the_identical_solution(retool_path, solved) -> None:
    assert solve_p_hit(retool_path, key=WEEKS, level=LEVEL, n_paths=N, workers=2) == solved


def test_no_value_in_the_bracket_says_so_with_the_range_seen(retool_path) -> None:
    pattern = (
        r"^no value of events\[0\]\.weeks in \[6, 13\] reaches P\(hit\) = 0\.8 "
        r"\(P\(hit\) runs from 0\.\d\d to 0\.\d\d\); widen the bracket"
    )
    with pytest.raises(NoSolutionError, match=pattern):
        solve_p_hit(retool_path, key=WEEKS, level=0.8, n_paths=N)
    with pytest.raises(NoSolutionError, match=r"^every value of events\[0\]\.weeks in \[0, 1\]"):
        solve_p_hit(retool_path, key=WEEKS, level=0.1, low=0, high=1, n_paths=N)


# ---------------------------------------------------------------- the command


def test_a_month_solution_is_described_as_a_date_and_its_width_in_days() -> None:
    from forecast.sweeps.solve import Solution, describe_solution

    solution = Solution(
        scenario="s",
        key="events[1].step_month",
        level=0.45,
        value=12.0704296875,
        p_hit=0.4503,
        p_hit_se=0.0035,
        low=9.0,
        high=12.99,
        p_low=0.495,
        p_high=0.409,
        n_steps=10,
        width=0.00389648,
        target=550_000,
        target_year=2026,
        n_paths=20_000,
        seed=1,
        path=Path("s.toml"),
        is_month=True,
    )
    lines = describe_solution(solution).splitlines()
    assert lines[0] == (
        "s: P(550,000 in 2026) reaches 45.0% at events[1].step_month = 2026-12-03 (month 12.070)"
    )
    assert lines[2] == (
        "  searched [2026-09 (month 9.000), 2026-12-31 (month 12.990)] (P(hit) 49.5% to 40.9%) "
        "in 10 bisection steps, to within 0.12 days"
    )
    assert lines[3] == "  check: forecast run s.toml --set events[1].step_month=12.0704296875"
