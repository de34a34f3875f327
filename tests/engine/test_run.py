"""``run_scenario``, the Python API: one scenario through the engine, and its edge cases.

Edge cases with defined answers, on the hand-made history (tests/factories.py):

- a year already complete (``as_of`` in December): nothing is simulated, P(hit) is exactly 0
  or 1 with no standard error, every quantile is the actual total, no run-rate is needed;
- a target already met with months to go: P(hit) = 1 and no run-rate is needed;
- one path: a standard deviation of 0, not NaN;
- a line with one month of history;
- zero noise without parameter uncertainty: every path is the same;
- extreme distributions: finite outputs, or a ``ForecastError`` of one-line problems.

Fits are shared per ``as_of`` (``run_scenario(..., fitted=...)``): the answers above do not
depend on which model was fitted, and fitting is the slow step. The command line's edge
cases are in tests/cli/test_run.py.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from forecast.engine.run import Fitted, RunResult, fit_scenario, run_scenario
from forecast.errors import ConfigError, ForecastError
from forecast.fit.calibration import error_walk_for
from forecast.load.bundle import load_bundle
from forecast.load.calibration import load_calibration
from forecast.load.history import load_history
from forecast.load.reconcile import reconcile
from forecast.months import parse_month, year_months
from forecast.scenario.parse import load_scenario
from tests.factories import JANUARY_2026, TARGET_2026, TOTAL_2025, Project

N = 2000


def _settings(as_of: str, year: int) -> tuple[str, ...]:
    return (f'history.as_of="{as_of}"', f"target.year={year}")


@pytest.fixture(scope="module")
def baseline(project: Project) -> Path:
    return project.scenario("baseline")


@pytest.fixture(scope="module")
def run(baseline: Path) -> Callable[..., RunResult]:
    """``run(as_of, year, *sets, n_paths=2000)``: the baseline with those settings, on one fit
    per ``as_of``."""
    fits: dict[str, Fitted] = {}

    def run_(as_of: str, year: int, *sets: str, n_paths: int = 2000, **kwargs) -> RunResult:
        if as_of not in fits:
            scenario = load_scenario(baseline, overrides=_settings(as_of, int(as_of[:4])))
            fits[as_of] = fit_scenario(scenario)
        return run_scenario(
            baseline,
            n_paths=n_paths,
            overrides=(*_settings(as_of, year), *sets),
            fitted=fits[as_of],
            **kwargs,
        )

    return run_


def _actual_total(project: Project, year: int) -> float:
    reconciled = reconcile(load_history(project.data))
    months = year_months(year)
    return reconciled.value("total", months[0], months[-1])


def _assert_finite_files(result: RunResult) -> None:
    """Every number in summary.csv and monthly.csv is finite."""
    for name, text in result.files().items():
        if not name.endswith(".csv"):
            continue
        for row in csv.DictReader(io.StringIO(text)):
            for column, cell in row.items():
                if column.endswith("hash"):
                    continue  # hex text: "929425e584896397" would parse as a float (inf)
                try:
                    value = float(cell)
                except ValueError:
                    continue  # text or an empty cell
                assert math.isfinite(value), f"{name}: {column} = {cell}"


def _assert_sane(result: RunResult) -> None:
    s = result.summary
    _assert_finite_files(result)
    assert np.all(np.isfinite(result.paths)) and np.all(result.paths >= 0)
    assert 0 <= s.p_hit <= 1 and s.p_hit_se >= 0
    assert list(s.quantiles) == sorted(s.quantiles)
    assert s.required_monthly >= 0 and s.expected_shortfall >= 0


# --------------------------------------------------------------------- a year already complete


@pytest.mark.parametrize(("units", "p_hit"), [(130_000, 1.0), (140_000, 0.0)])
def test_complete_year_has_a_known_answer(run, project, units: int, p_hit: float) -> None:
    result = run("2025-12", 2025, f"target.units={units}", n_paths=500)
    s, actual = result.summary, _actual_total(project, 2025)
    assert actual == TOTAL_2025  # the hand-made 2025 total, an exact figure
    assert result.plan.n_reported == 12 and s.months_remaining == 0
    assert s.p_hit == p_hit and s.p_hit_se == 0
    assert s.quantiles == (actual,) * len(s.quantiles)
    assert s.mean == actual and s.sd == 0 and s.ytd_actual == actual
    assert s.required_monthly == 0
    assert s.expected_shortfall == (0 if p_hit else units - actual)
    _assert_sane(result)


def test_as_of_after_the_target_year_is_an_error(baseline: Path) -> None:
    with pytest.raises(
        ForecastError, match=r"history.as_of: 2026-01 is after the target year 2025"
    ):
        load_scenario(baseline, overrides=_settings("2026-01", 2025))


# ------------------------------------------------------------------- other defined answers


def test_target_already_met_needs_nothing_more(run) -> None:
    result = run("2026-01", 2026, "target.units=10000", n_paths=500)
    s = result.summary
    assert s.ytd_actual >= 10_000
    assert s.p_hit == 1 and s.p_hit_se == 0
    assert s.required_monthly == 0 and s.expected_shortfall == 0
    assert all(m.target_pace == s.ytd_actual for m in s.months[1:])
    _assert_sane(result)


def test_one_path(run) -> None:
    result = run("2026-01", 2026, n_paths=1)
    s = result.summary
    assert result.paths.shape == (1, 12)
    assert s.sd == 0 and s.p_hit in (0.0, 1.0) and s.p_hit_se == 0
    assert s.quantiles == (s.mean,) * len(s.quantiles)
    _assert_sane(result)


def test_line_with_one_month_of_history(run, project) -> None:
    """M2 as of 2025-09: August (a partial month, listed in anomalies.csv) and September."""
    history = load_bundle(project.data).cut(parse_month("2025-09")).company
    assert sum(obs.line == "M2" for obs in history.monthly) == 2
    result = run("2025-09", 2025, n_paths=500)
    assert {fit.line for fit in result.plan.lines} == {"M1", "M2"}
    _assert_sane(result)


def test_line_whose_only_month_is_an_anomaly_is_not_simulated(run) -> None:
    """M2 as of 2025-08 has one month, left out of fitting: the line is not forecast."""
    result = run("2025-08", 2025, n_paths=500)
    assert {fit.line for fit in result.plan.lines} == {"M1"}
    _assert_sane(result)


def test_zero_noise_without_parameter_uncertainty_gives_identical_paths(run, baseline) -> None:
    sets = ("model.noise_scale=0", "model.parameter_uncertainty=false", "model.error_walk=0")
    # A mixture's paths differ only by the family each one draws per line.
    mixed = run("2026-01", 2026, *sets, n_paths=300)
    n_mixes = math.prod(len(fit.components) for fit in mixed.plan.lines)
    assert 1 < len(np.unique(mixed.paths, axis=0)) <= n_mixes
    # With one family per line every path is the same.
    fitted = fit_scenario(load_scenario(baseline, overrides=_settings("2026-01", 2026)))
    lines = tuple(fit.alone(fit.family) for fit in fitted.model.lines)
    single = dataclasses.replace(fitted, model=dataclasses.replace(fitted.model, lines=lines))
    result = run_scenario(
        baseline, n_paths=300, overrides=(*_settings("2026-01", 2026), *sets), fitted=single
    )
    assert np.all(result.paths == result.paths[0])
    s = result.summary
    assert s.sd == 0 and s.p_hit in (0.0, 1.0) and s.p_hit_se == 0
    _assert_sane(result)


# ---------------------------------------------------------------- extreme distributions


def _events(*tables: str) -> str:
    return "events=[" + ", ".join(tables) + "]"


EXTREMES = {
    "huge capacity": _events('{ kind = "capacity", limit = 1e12 }'),
    "zero capacity": _events('{ kind = "capacity", limit = 0 }'),
    "zero capacity, backlog": _events('{ kind = "capacity", limit = 0, overflow = "backlog" }'),
    "capacity steps at the very end": _events(
        '{ kind = "capacity", limit = 0, step_month = 12.999, step_limit = 1e12 }'
    ),
    "shock with probability 0": _events(
        '{ kind = "shock", probability = 0, start = 2, months = 11, size = 1 }'
    ),
    "shock with probability 1": _events(
        '{ kind = "shock", probability = 1, start = 2, months = 11, size = 1 }'
    ),
    "gap over the whole year": _events(
        '{ kind = "gap", line = "M1", start = 1, weeks = 60, ramp_weeks = 0 }'
    ),
    "gap of zero weeks": _events('{ kind = "gap", start = 5, weeks = 0, ramp_weeks = 0 }'),
    "launch at level 0": _events('{ kind = "launch", line = "N9", start = 2, level = 0 }'),
    "launch with no ramp": _events(
        '{ kind = "launch", line = "N9", start = 12.99, level = 1e6, ramp_months = 0 }'
    ),
    "launch with a wide lognormal": _events(
        '{ kind = "launch", line = "N9", start = 6, '
        'level = { dist = "lognormal", median = 6000, sigma = 30 } }'
    ),
    "dip to zero": _events(
        '{ kind = "dip", months = ["2026-02", "2026-06", "2026-12"], factor = 0 }'
    ),
    "huge boost": _events('{ kind = "boost", months = ["2026-12"], factor = 1e300 }'),
    "lognormal multiplier, sigma 5": 'lines.M1.multiplier={ dist = "lognormal", median = 1, sigma = 5 }',
    "lognormal multiplier, sigma 1000": 'lines.M1.multiplier={ dist = "lognormal", median = 1, sigma = 1000 }',
    "multiplier 0": "lines.M1.multiplier=0",
    "huge multiplier": "lines.M1.multiplier=1e300",
    "noise scale 1e6": "model.noise_scale=1e6",
}


# Inputs whose totals overflow any meaningful range are refused with a clear error; every
# other extreme gives finite answers. Pinned per case, so a change either way is noticed.
REFUSED = {
    "launch with a wide lognormal",
    "huge boost",
    "lognormal multiplier, sigma 1000",
    "huge multiplier",
    "noise scale 1e6",
}


@pytest.mark.parametrize("name", EXTREMES)
def test_extreme_inputs_give_finite_answers_or_a_clear_error(run, name: str) -> None:
    if name in REFUSED:
        with pytest.raises(ForecastError) as caught:
            run("2026-01", 2026, EXTREMES[name], n_paths=2000)
        assert caught.value.problems
        assert all(len(p.splitlines()) == 1 and p.strip() for p in caught.value.problems)
    else:
        _assert_sane(run("2026-01", 2026, EXTREMES[name], n_paths=2000))


def test_extreme_events_that_change_nothing_keep_the_baseline(run) -> None:
    baseline = run("2026-01", 2026).paths
    for name in ("huge capacity", "shock with probability 0", "launch at level 0"):
        np.testing.assert_allclose(
            run("2026-01", 2026, EXTREMES[name]).paths, baseline, rtol=1e-12, err_msg=name
        )


def test_extreme_events_that_stop_everything_leave_the_actuals(run) -> None:
    january = run("2026-01", 2026).summary.ytd_actual
    for name in ("zero capacity", "shock with probability 1"):
        s = run("2026-01", 2026, EXTREMES[name]).summary
        assert s.quantiles == (january,) * len(s.quantiles), name
        assert s.p_hit == 0 and s.required_monthly == pytest.approx((TARGET_2026 - january) / 11)


# ---------------------------------------------------------------- the API


def _run_bytes(path: Path, **kwargs) -> dict[str, str]:
    result = run_scenario(path, **kwargs)
    files = result.files()
    return {name: files[name] for name in ("summary.csv", "monthly.csv")}


def test_same_seed_gives_identical_files_across_runs_and_chunk_sizes(project: Project) -> None:
    """Chunks are whole seeding blocks (``simulate.BLOCK``); any number of them gives the same."""
    from forecast.simulate.paths import BLOCK

    n_paths, path = BLOCK + 1000, project.scenario("retool")
    first = _run_bytes(path, n_paths=n_paths, seed=11)
    assert _run_bytes(path, n_paths=n_paths, seed=11) == first
    assert _run_bytes(path, n_paths=n_paths, seed=11, chunk_size=BLOCK) == first
    assert _run_bytes(path, n_paths=n_paths, seed=11, chunk_size=2 * BLOCK) == first
    assert _run_bytes(path, n_paths=n_paths, seed=12) != first


def test_run_uses_the_calibrated_walk_unless_the_scenario_sets_one(
    project: Project, baseline: Path
) -> None:
    auto = run_scenario(baseline, n_paths=2000)
    expected, source = error_walk_for(load_calibration(project.data), parse_month("2026-01"))
    assert expected > 0
    assert auto.record.error_walk == expected and auto.plan.error_walk == expected
    assert auto.record.error_walk_source == source and source.endswith("as of 2026-01")
    fitted = run_scenario(baseline, n_paths=2000, overrides=["model.error_walk=0"])
    assert fitted.record.error_walk == 0.0 and fitted.plan.error_walk == 0.0
    assert fitted.record.error_walk_source == "model.error_walk set by the scenario"
    # the model error widens the range of annual totals
    wide, narrow = (r.summary.quantile(0.95) - r.summary.quantile(0.05) for r in (auto, fitted))
    assert wide > 1.3 * narrow
    header, row = auto.files()["summary.csv"].splitlines()[:2]
    assert header.split(",")[-1] == "error_walk" and row.split(",")[-1] == str(round(expected, 4))


def test_overrides_apply_to_a_scenario_object_too(baseline: Path) -> None:
    from forecast.engine.run import load

    path = baseline
    overrides = ["target.units=100000", "simulation.n_paths=1000"]
    assert load(load_scenario(path), overrides) == load_scenario(path, overrides=overrides)
    with pytest.raises(ConfigError, match="^--set: target.units: must be greater than 0, got 0$"):
        load(load_scenario(path), ["target.units=0"])


@pytest.fixture(scope="module")
def retool(project: Project):
    return run_scenario(project.scenario("retool"), n_paths=N)


def test_reported_january_is_kept_on_every_path(retool) -> None:
    assert retool.plan.n_reported == 1
    assert np.all(retool.paths[:, 0] == JANUARY_2026)
    assert retool.summary.ytd_actual == JANUARY_2026


def test_p_hit_se_is_the_binomial_standard_error(retool) -> None:
    p = retool.summary.p_hit
    assert retool.summary.p_hit_se == pytest.approx(np.sqrt(p * (1 - p) / N))


def test_python_api_takes_a_scenario_object_too(baseline: Path) -> None:
    scenario = load_scenario(baseline)
    a = run_scenario(scenario, n_paths=500, seed=3)
    b = run_scenario(baseline, n_paths=500, seed=3)
    assert np.array_equal(a.paths, b.paths)
    assert a.record.n_paths == 500 and a.record.seed == 3
    assert a.record.scenario_hash == b.record.scenario_hash


def test_chunk_size_does_not_change_the_result(project: Project) -> None:
    # every kind of event; two chunks (the second short) against one
    from forecast.simulate.paths import BLOCK

    path = project.scenario("combined")
    a = run_scenario(path, n_paths=BLOCK + 1000, chunk_size=BLOCK)
    b = run_scenario(path, n_paths=BLOCK + 1000, chunk_size=2 * BLOCK)
    assert np.array_equal(a.paths, b.paths)


def test_more_paths_agree_within_monte_carlo_error(project: Project) -> None:
    path = project.scenario("retool")
    small = run_scenario(path, n_paths=20_000, seed=1).summary
    large = run_scenario(path, n_paths=80_000, seed=2).summary
    se = np.hypot(small.p_hit_se, large.p_hit_se)
    assert abs(small.p_hit - large.p_hit) < 4 * se


# ---------------------------------------------------------------- what a notebook sees


@pytest.fixture(scope="module")
def retool_result(project: Project) -> RunResult:
    return run_scenario(project.scenario("combined"), n_paths=500, seed=3)


def test_monthly_is_named_records_with_month_labels_and_the_csv_is_unchanged(
    retool_result: RunResult,
) -> None:
    from forecast.write.files import MONTHLY_COLUMNS

    rows = retool_result.monthly
    assert [row.month for row in rows] == [f"2026-{m:02d}" for m in range(1, 13)]
    january, february = rows[0], rows[1]
    assert january.actual == JANUARY_2026 and january.p50 is None and january.mean is None
    assert february.actual is None and february.p05 <= february.p50 <= february.p95
    assert rows[0]._fields == MONTHLY_COLUMNS
    # monthly.csv is the same records written out, byte for byte as before
    text = retool_result.files()["monthly.csv"]
    table = list(csv.reader(io.StringIO(text)))
    assert tuple(table[0]) == MONTHLY_COLUMNS
    assert table[2][:4] == ["2026-02", "", str(february.mean), str(february.p05)]
    assert len(table) == 13


def test_reprs_are_one_short_line(retool_result: RunResult, project: Project) -> None:
    r = retool_result
    s = r.summary
    assert repr(r) == (
        f"<RunResult combined: P(280,000 in 2026) = {s.p_hit:.1%} ± {s.p_hit_se:.1%}, "
        f"median {s.quantile(0.5):,.0f}; 500 paths, seed 3>"
    )
    assert repr(r.scenario) == (
        "<Scenario combined: target 280,000 in 2026, as of 2026-01; gap m1_retool, "
        "capacity plant_capacity, launch n1_launch, shock demand_shock; 500 paths, seed 3>"
    )
    assert repr(r.plan).startswith("<Plan 2026 (target 280,000): 1 reported months, 11 to ")
    fitted = fit_scenario(r.scenario)
    assert repr(fitted).startswith("<Fitted as of 2026-01: M1 (")
    for shown in (r, r.scenario, r.plan, fitted):
        assert "\n" not in repr(shown) and len(repr(shown)) < 250
