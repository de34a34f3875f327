"""The engine: one path from a data bundle and a scenario to fit, plan, paths and summary."""

from __future__ import annotations

import builtins
import io
import os
import pathlib
from pathlib import Path

import numpy as np
import pytest

from forecast.engine import pipeline
from forecast.engine.cache import FitCache
from forecast.engine.run import run_scenario
from forecast.errors import ForecastError
from forecast.load.bundle import DataBundle, load_bundle
from forecast.months import parse_month, year_months
from forecast.scenario.parse import load_scenario
from forecast.simulate.paths import BLOCK, simulate_paths
from forecast.summarise.summary import summarise
from tests.factories import Project

N = 1000


@pytest.fixture(scope="module")
def baseline(project: Project) -> Path:
    return project.scenario("baseline")


@pytest.fixture(scope="module")
def retool(project: Project) -> Path:
    return project.scenario("retool")


@pytest.fixture(scope="module")
def memo() -> FitCache:
    return FitCache.in_memory()


def _small(path: Path, n_paths: int = N):
    from forecast.engine.run import load_scenario_overrides

    return load_scenario_overrides(load_scenario(path), n_paths, None)


class _NoFiles:
    """Every way to open a file raises, and each attempt is recorded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.attempts: list[str] = []
        for owner, name in (
            (builtins, "open"),
            (io, "open"),
            (os, "open"),
            (pathlib.Path, "open"),
            (pathlib.Path, "read_bytes"),
            (pathlib.Path, "read_text"),
        ):
            monkeypatch.setattr(owner, name, self._refuse(f"{owner.__name__}.{name}"))

    def _refuse(self, what: str):
        def refuse(*args, **kwargs):
            self.attempts.append(f"{what}{args[:1]}")
            raise RuntimeError(f"the core opened a file: {what}{args[:1]}")

        return refuse


def test_the_core_runs_with_every_file_closed(
    bundle: DataBundle, retool: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = _small(retool)
    # Importing a module reads files (its source, time zones): fit once, elsewhere in time,
    # so that the libraries the fit imports on first use are loaded before the guard.
    pipeline.fit_at(bundle, parse_month("2025-03"))
    guard = _NoFiles(monkeypatch)
    result = pipeline.run(bundle, scenario, cache=FitCache.in_memory())
    monkeypatch.undo()
    assert guard.attempts == []
    assert result.paths.shape == (N, 12) and np.all(np.isfinite(result.paths))
    assert 0 < result.summary.p_hit < 1
    assert result.record.data_hash == bundle.data_hash
    assert result.files()  # formatting the answer opens nothing either


def test_the_guard_does_catch_a_file_being_opened(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    guard = _NoFiles(monkeypatch)
    with pytest.raises(RuntimeError, match="opened a file"):
        load_bundle(project.data)
    monkeypatch.undo()
    assert guard.attempts


def test_run_is_what_run_scenario_gives(bundle: DataBundle, baseline: Path, memo: FitCache) -> None:
    scenario = _small(baseline)
    engine = pipeline.run(bundle, scenario, cache=memo)
    api = run_scenario(baseline, n_paths=N)
    assert np.array_equal(engine.paths, api.paths)
    assert engine.summary == api.summary and engine.record == api.record


def test_the_steps_are_fit_then_each_chunk(
    bundle: DataBundle, baseline: Path, memo: FitCache
) -> None:
    scenario = _small(baseline, n_paths=BLOCK + 1)
    calls: list[tuple[str, int, int]] = []
    pipeline.run(bundle, scenario, cache=memo, progress=lambda *step: calls.append(step))
    assert calls == [("fit", 1, 1), ("simulate", 1, 2), ("simulate", 2, 2)]
    assert pipeline.n_steps(scenario) == len(calls)
    assert pipeline.n_steps(scenario, chunk_size=2 * BLOCK) == 2


def test_simulate_is_simulate_paths(bundle: DataBundle, baseline: Path, memo: FitCache) -> None:
    scenario = _small(baseline)
    plan = pipeline.plan(bundle, pipeline.fit(bundle, scenario, cache=memo), scenario)
    paths = pipeline.simulate(plan, seed=5, n_paths=BLOCK + 10, chunk_size=BLOCK)
    assert np.array_equal(paths, simulate_paths(plan, seed=5, n_paths=BLOCK + 10).paths)


def test_a_plan_takes_the_calibrated_walk_unless_given_one(
    bundle: DataBundle, baseline: Path, memo: FitCache
) -> None:
    scenario = _small(baseline)
    fitted = pipeline.fit(bundle, scenario, cache=memo)
    walk, source = pipeline.model_error(bundle, scenario)
    assert walk > 0 and source.endswith("as of 2026-01")
    assert pipeline.plan(bundle, fitted, scenario).error_walk == walk
    assert pipeline.plan(bundle, fitted, scenario, error_walk=0.0).error_walk == 0.0


def test_a_plan_may_take_its_reported_months(
    bundle: DataBundle, baseline: Path, memo: FitCache
) -> None:
    scenario = _small(baseline)
    fitted = pipeline.fit(bundle, scenario, cache=memo)
    january = year_months(2026)[0]
    plan = pipeline.plan(bundle, fitted, scenario, reported={january: 1234.0})
    assert plan.reported.tolist() == [1234.0]


def test_fits_at_past_cut_offs_with_families_forced(bundle: DataBundle) -> None:
    # what a backtest asks: many cut-offs, families forced, each fitted once
    memo = FitCache.in_memory()
    june = parse_month("2025-06")
    forced = {"M1": "loglinear"}
    one = pipeline.fit_at(bundle.cut(june), families=forced, cache=memo)
    assert one.model.as_of == june and one.months[-1] == june
    assert [fit.family for fit in one.model.lines] == ["loglinear"]
    assert pipeline.fit_at(bundle, june, families=forced, cache=memo) is one
    auto = pipeline.fit_at(bundle, june, cache=memo)
    assert auto is not one
    assert pipeline.fit_at(bundle, june - 1, families=forced, cache=memo).model.as_of == june - 1


def test_an_unknown_family_is_refused_even_for_a_line_not_yet_launched(bundle) -> None:
    memo = FitCache.in_memory()
    before_m2 = parse_month("2025-07")
    pipeline.fit_at(bundle, before_m2, cache=memo)
    with pytest.raises(ForecastError, match="model.family for M2: unknown family 'cubic'"):
        pipeline.fit_at(bundle, before_m2, families={"M2": "cubic"}, cache=memo)


def test_a_fit_as_of_outside_the_history_names_the_scenario_key(
    bundle: DataBundle, baseline: Path
) -> None:
    scenario = load_scenario(baseline, overrides=['history.as_of="2026-06"'])
    with pytest.raises(ForecastError, match=r"baseline.toml: history.as_of: 2026-06 is outside"):
        pipeline.fit(bundle, scenario)


def test_summary_of_the_run_is_the_summary_of_its_paths(
    bundle: DataBundle, retool: Path, memo
) -> None:
    scenario = _small(retool)
    result = pipeline.run(bundle, scenario, cache=memo)
    again = summarise(
        result.paths,
        months=result.plan.months,
        n_reported=result.plan.n_reported,
        target=scenario.target_units,
        scenario=scenario.name,
        target_statement=scenario.target_statement,
    )
    assert again == result.summary


def test_a_run_without_paths_streams_beyond_the_threshold(
    monkeypatch: pytest.MonkeyPatch, bundle: DataBundle, baseline: Path, memo: FitCache
) -> None:
    scenario = _small(baseline, n_paths=BLOCK + 10)
    kept = pipeline.run(bundle, scenario, cache=memo)
    assert pipeline.run(bundle, scenario, cache=memo, keep_paths=False).kept_paths is not None
    monkeypatch.setattr(pipeline, "STREAM_ABOVE", BLOCK)
    calls: list[tuple[str, int, int]] = []
    streamed = pipeline.run(
        bundle, scenario, cache=memo, keep_paths=False, progress=lambda *s: calls.append(s)
    )
    assert calls[1:] == [("simulate", i, 4) for i in (1, 2, 3, 4)]  # two passes of two chunks
    assert pipeline.n_steps(scenario, keep_paths=False) == len(calls)
    a, b = streamed.summary, kept.summary
    assert (a.p_hit, a.quantiles, a.quantile_grid) == (b.p_hit, b.quantiles, b.quantile_grid)
    assert [m.quantiles for m in a.months] == [m.quantiles for m in b.months]
    assert a.mean == pytest.approx(b.mean, rel=1e-13)
    with pytest.raises(ValueError, match="not kept"):
        streamed.paths  # noqa: B018
    assert kept.quantile(0.123) == np.quantile(kept.paths.sum(axis=1), 0.123)
    assert streamed.quantile(0.3) == kept.quantile(0.3)
