from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from forecast.scenario.types import Scenario
from forecast.simulate.paths import input_keys, simulate_paths
from forecast.sweeps.sensitivity import (
    COLUMNS,
    HIGH,
    LOW,
    format_sensitivity,
    measure_sensitivity,
    month_inputs,
    n_runs,
    prepare_sensitivity,
    rank_correlation,
    rankdata,
    sensitivity_rows,
    value_text,
)
from tests.factories import Project

N = 3000


@pytest.fixture(scope="module")
def retool_path(project: Project) -> Path:
    return project.scenario("retool")


@pytest.fixture(scope="module")
def prepared(retool_path) -> tuple[Scenario, object]:
    return prepare_sensitivity(retool_path, n_paths=N, seed=7)


@pytest.fixture(scope="module")
def result(prepared):
    scenario, plan = prepared
    return measure_sensitivity(plan, scenario=scenario.name, seed=7, n_paths=N)


def test_every_uncertain_input_has_one_row(prepared, result) -> None:
    _, plan = prepared
    assert sorted(e.input for e in result.effects) == sorted(input_keys(plan))
    assert {"model.params", "model.noise", "events.m1_retool.weeks"} <= {
        e.input for e in result.effects
    }


def test_rows_are_sorted_by_p_hit_swing_then_median_swing(result) -> None:
    keys = [(-e.p_hit_swing, -e.median_swing) for e in result.effects]
    assert keys == sorted(keys)


def test_every_row_is_the_run_with_that_input_pinned_on_the_same_draws(prepared, result) -> None:
    # The runs share one memo (simulate_pinned); each must be what simulate_paths gives.
    _, plan = prepared
    base = simulate_paths(plan, seed=7, n_paths=N, record_inputs=True)
    assert result.p_hit == np.mean(base.totals >= plan.target_units)
    assert result.median == np.median(base.totals)
    assert base.inputs is not None
    for effect in result.effects:
        expected = rank_correlation(base.inputs[effect.input], base.totals)
        assert effect.rank_correlation == expected, effect.input
        for u, p_hit, median in (
            (LOW, effect.p_hit_low, effect.median_low),
            (HIGH, effect.p_hit_high, effect.median_high),
        ):
            totals = simulate_paths(plan, seed=7, n_paths=N, pinned={effect.input: u}).totals
            assert p_hit == np.mean(totals >= plan.target_units), effect.input
            assert median == np.median(totals), effect.input


def test_pinned_values_are_the_input_quantiles(result) -> None:
    weeks = next(e for e in result.effects if e.input == "events.m1_retool.weeks")
    # triangular(6, 9, 13): F(9) = 3/7, so both quantiles have closed forms
    assert weeks.low_value == pytest.approx(6 + np.sqrt(LOW * 7 * 3))
    assert weeks.high_value == pytest.approx(13 - np.sqrt((1 - HIGH) * 7 * 4))
    params = next(e for e in result.effects if e.input == "model.params")
    assert params.low_value is None and params.high_value is None


def test_longer_gap_lowers_the_median_and_correlates_negatively(result) -> None:
    weeks = next(e for e in result.effects if e.input == "events.m1_retool.weeks")
    assert weeks.median_high < weeks.median_low
    assert weeks.p_hit_high <= weeks.p_hit_low
    assert weeks.rank_correlation is not None and weeks.rank_correlation < 0
    # Higher growth-parameter draws give higher totals. On the hand-made history the model
    # error walk dominates (a young series), so the parameters' rank correlation is modest:
    # 0.17 here, against a standard error of 1 / sqrt(N) = 0.018 for no correlation at all.
    params = next(e for e in result.effects if e.input == "model.params")
    assert params.rank_correlation is not None and params.rank_correlation > 0.1
    walk = next(e for e in result.effects if e.input == "model.error_walk")
    assert walk is result.effects[0] and walk.rank_correlation > 0.5  # type: ignore[operator]


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_do_not_change_the_result(prepared, result, workers) -> None:
    scenario, plan = prepared  # the runs in groups of every 2nd or 3rd, each with its memo
    again = measure_sensitivity(plan, scenario=scenario.name, seed=7, n_paths=N, workers=workers)
    assert again == result


def test_runs_kept_in_several_groups_give_the_same_result(prepared, result, monkeypatch) -> None:
    # Each group repeats the unpinned run: more groups, same rows, one step per run still.
    from forecast.sweeps import sensitivity

    scenario, plan = prepared
    groups = []
    run_group = sensitivity._run_group

    def counted(plan, seed, n_paths, group, on_run=None):
        groups.append(len(group.jobs))
        return run_group(plan, seed, n_paths, group, on_run=on_run)

    monkeypatch.setattr(sensitivity, "TOTALS_PER_GROUP", 4 * N)  # 3 pinned runs a group
    monkeypatch.setattr(sensitivity, "_run_group", counted)
    steps: list[int] = []
    again = measure_sensitivity(
        plan, scenario=scenario.name, seed=7, n_paths=N, on_step=steps.append
    )
    assert again == result
    assert max(groups) == 3 and sum(groups) == 2 * len(input_keys(plan))
    assert steps == [1] * n_runs(plan)


def test_on_step_is_called_once_per_run(prepared) -> None:
    scenario, plan = prepared
    steps: list[int] = []
    measure_sensitivity(plan, scenario="s", seed=1, n_paths=50, on_step=steps.append)
    assert sum(steps) == n_runs(plan) == 1 + 2 * len(input_keys(plan))


def test_rank_correlation_is_spearman() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert rank_correlation(x, x**3) == pytest.approx(1.0)
    assert rank_correlation(x, -x) == pytest.approx(-1.0)
    # ties take average ranks: ranks (1.5, 1.5, 3, 4) against (1, 2, 3, 4)
    assert rank_correlation(np.array([0.0, 0.0, 1.0, 2.0]), np.arange(4.0)) == pytest.approx(
        np.corrcoef([1.5, 1.5, 3, 4], [1, 2, 3, 4])[0, 1]
    )
    assert rank_correlation(np.ones(4), np.arange(4.0)) is None


def test_ranks_are_scipys_average_ranks() -> None:
    from scipy.stats import rankdata as scipy_rankdata

    rng = np.random.default_rng(3)
    for x in (
        rng.random(500),
        rng.integers(0, 6, 500).astype(float),  # many ties
        np.array([np.inf, -np.inf, 1.0, 1.0, np.inf, -0.0, 0.0]),
        np.array([2.0, np.nan, 1.0]),  # a NaN: every rank NaN
        np.array([]),
    ):
        ours, theirs = rankdata(x), scipy_rankdata(x)
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs, equal_nan=True)


def test_table_and_rows_follow_the_columns(result) -> None:
    rows = sensitivity_rows(result)
    assert all(len(row) == len(COLUMNS) for row in rows)
    assert [row[0] for row in rows] == [e.input for e in result.effects]
    text = format_sensitivity(result)
    lines = text.splitlines()
    assert lines[0].startswith(f"retool: P(280,000 in 2026) = {result.p_hit:.1%}")
    assert lines[2].split()[:2] == ["input", "low"]
    assert len(lines[3]) == len(lines[2]) and set(lines[3]) == {"-", " "}
    assert lines[4].split()[0] == result.effects[0].input


# ---------------------------------------------------------------- progress


def test_month_inputs_are_the_events_month_positions(project: Project) -> None:
    _, plan = prepare_sensitivity(project.scenario("combined"), n_paths=10, seed=7)
    assert month_inputs(plan) == {
        "events.m1_retool.start",  # a fixed date, but a month position too
        "events.plant_capacity.step_month",
        "events.n1_launch.start",
        "events.demand_shock.start",
    }


@pytest.mark.parametrize(
    ("value", "is_month", "text"),
    [
        (7.71094, True, "2026-07-23"),  # held months are dates, not 7.71
        (11.0, True, "2026-11"),
        (7.71094, False, "7.71"),
        (52_000.4, False, "52,000"),
        (None, False, ""),
    ],
)
def test_the_table_shows_a_month_input_as_a_date(
    value: float | None, is_month: bool, text: str
) -> None:
    assert value_text(value, is_month, 2026) == text
