"""The backtest on the one engine: data loaded once, fits through ``pipeline.fit_at`` and its
one in-memory cache, scenario variants by ``with_changes``, cuts by ``bundle.cut``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import forecast.fit.model
import forecast.scenario.parse
from forecast.backtest import cases, replay, run
from forecast.engine import pipeline
from forecast.errors import ConfigError
from forecast.load.bundle import load_bundle
from forecast.load.reconcile import reconcile
from forecast.months import format_month, parse_month
from forecast.scenario.parse import load_scenario

# end to end: the CLI, the package and its bundled data
pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.toml"
RETOOL = REPO / "scenarios" / "su7_retool.toml"
CUTOFF = parse_month("2025-03")


@pytest.fixture(scope="module")
def bundle():
    return load_bundle()


def test_the_bundle_loader_imports_nothing_from_fitting() -> None:
    code = (
        "import sys, forecast.load.bundle; "
        "print(sorted(m for m in sys.modules if m.startswith('forecast.fit')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_fit_given_the_reconciled_history_does_not_reconcile_again(bundle, monkeypatch) -> None:
    june = parse_month("2025-06")
    fresh = pipeline.fit_at(bundle, june)
    known = reconcile(bundle.cut(june).company)

    def fail(history):
        raise AssertionError("reconciled twice")

    monkeypatch.setattr(forecast.fit.model, "reconcile", fail)
    given = pipeline.fit_at(bundle, june, reconciled=known)
    assert np.array_equal(given.totals, fresh.totals)
    for a, b in zip(given.model.lines, fresh.model.lines, strict=True):
        assert a.family == b.family and np.array_equal(a.params, b.params)


def test_replay_fits_once_per_cutoff_through_the_engine(bundle, monkeypatch) -> None:
    calls: list[int] = []
    real = pipeline.fit_model
    monkeypatch.setattr(
        pipeline, "fit_model", lambda *a, **k: calls.append(k["as_of"]) or real(*a, **k)
    )
    data = replay.Replay(bundle, load_scenario(BASELINE))
    first = data.fit_at(CUTOFF)
    assert data.fit_at(CUTOFF) is first  # the second pass: a hit in the in-memory cache
    assert calls == [CUTOFF] and data.cache.folder is None


def test_the_history_known_at_a_month_is_the_cut_bundle_reconciled(bundle) -> None:
    data = replay.Replay(bundle, load_scenario(BASELINE))
    known = data.known_at(CUTOFF)
    assert known is data.known_at(CUTOFF)
    assert known.months[-1] == CUTOFF
    expected = reconcile(bundle.cut(CUTOFF).company)
    assert np.array_equal(known.values, expected.values) and known.lines == expected.lines


def test_scenario_variants_are_the_file_loaded_with_the_changes(bundle, monkeypatch) -> None:
    base = load_scenario(BASELINE)
    expected = load_scenario(
        BASELINE,
        overrides=[f'history.as_of="{format_month(CUTOFF)}"', "target.year=2025", "target.units=1"],
    )
    monkeypatch.setattr(forecast.scenario.parse, "_read_toml", _no_file)
    data = replay.Replay(bundle, base)
    variant = data.scenario_at(CUTOFF, 2025)
    assert variant == expected and data.scenario_at(CUTOFF, 2025) is variant


def test_a_reference_variant_drops_events_and_line_settings_and_is_validated(bundle) -> None:
    retool = load_scenario(RETOOL.with_name("su7_new_generation.toml"))
    assert retool.events and retool.lines  # else the check below could not fail
    data = replay.Replay(bundle, retool)
    variant = data.scenario_at(CUTOFF, 2025, reference=True)
    assert variant.events == () and dict(variant.lines) == {}
    assert (variant.as_of, variant.target_year) == (CUTOFF, 2025)
    assert variant.noise_scale == retool.noise_scale and variant.seed == retool.seed
    with pytest.raises(ConfigError, match="target.year"):
        data.scenario_at(CUTOFF, 20250, reference=True)


def test_a_reference_fit_knows_nothing_after_its_cutoff(bundle) -> None:
    from forecast.fit.refclass import reference_series

    data = replay.Replay(bundle, load_scenario(BASELINE))
    (launch,) = reference_series(bundle.launches, ("BYD|Seagull",))
    cutoff = int(launch.months[8])
    fit = replay.fit_reference(data, launch, cutoff)
    assert fit.fitted.model.as_of == cutoff and fit.fitted.months[-1] == cutoff
    assert [line.line for line in fit.fitted.model.lines] == ["BYD|Seagull"]
    assert np.array_equal(fit.fitted.totals, launch.units[: fit.fitted.months.size])


def test_a_backtest_reads_the_scenario_file_once(monkeypatch) -> None:
    reads: list[Path] = []
    real = forecast.scenario.parse._read_toml
    monkeypatch.setattr(
        forecast.scenario.parse,
        "_read_toml",
        lambda path, label: reads.append(path) or real(path, label),
    )
    last = parse_month("2025-11")
    result = run.run_backtest(
        BASELINE,
        first=last,
        last=last,
        references=(),
        settings=cases.Settings(horizon=1, n_paths=200),
    )
    assert reads == [BASELINE]
    assert {c.cutoff for c in result.cases} == {last}
    assert {c.method for c in result.cases} == {*cases.METHODS, cases.FORECAST}


def test_compare_reads_each_scenario_file_once(monkeypatch) -> None:
    from forecast.sweeps.compare import compare_scenarios

    reads: list[str] = []
    real = forecast.scenario.parse._read_toml
    monkeypatch.setattr(
        forecast.scenario.parse,
        "_read_toml",
        lambda path, label: reads.append(Path(path).name) or real(path, label),
    )
    comparison = compare_scenarios([BASELINE, RETOOL], n_paths=200)
    assert len(comparison.rows) == 2
    # su7_retool.toml extends baseline.toml: loading it reads both
    assert sorted(reads) == ["baseline.toml", "baseline.toml", "su7_retool.toml"]


def test_sensitivity_reports_the_fit_then_every_run() -> None:
    from forecast.sweeps.sensitivity import run_sensitivity

    calls: list[tuple[str, int, int]] = []
    result = run_sensitivity(RETOOL, n_paths=50, seed=1, progress=lambda *c: calls.append(c))
    total = 1 + 2 * len(result.effects)
    assert calls[:2] == [("fit", 1, 1), ("simulate", 0, total)]
    assert [c[1] for c in calls[1:]] == list(range(total + 1)) and calls[-1][2] == total


def _no_file(path, label):
    raise AssertionError(f"{label}: read again")


# ---------------------------------------------------------------- solve's ranges


SCENARIO_FILES = sorted((REPO / "scenarios").glob("*.toml")) + sorted(
    (REPO / "tests" / "scenarios_valid").glob("*.toml")
)


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_every_number_solve_can_vary_has_the_loaders_range(path: Path) -> None:
    from forecast.scenario.parse import value_range
    from forecast.sweeps.solve import scalar_inputs

    scenario = load_scenario(path)
    for key, value in scalar_inputs(scenario).items():
        allowed = value_range(scenario, key)
        low, high = (value, value) if isinstance(value, float) else value.support
        assert allowed.low <= low and high <= allowed.high, key


def test_a_bracket_is_clipped_to_the_range_the_loader_declares() -> None:
    from forecast.sweeps.solve import default_bracket

    events = [
        {"kind": "launch", "line": "NEW", "start": 6, "level": 20_000},
        {"kind": "gap", "start": {"dist": "uniform", "low": 10, "high": 13}, "weeks": 2},
        {"kind": "boost", "months": ["2026-03"], "factor": 1.5},
    ]
    scenario = load_scenario(BASELINE).with_changes({"events": events})
    assert default_bracket(scenario, "events[0].level") == (0, 40_000)  # units, not a fraction
    assert default_bracket(scenario, "events[1].start") == pytest.approx((10, 12.99))
    assert default_bracket(scenario, "events[2].factor") == (1, 3)  # a boost is at least 1
    with pytest.raises(ValueError, match="no"):
        forecast.scenario.parse.value_range(scenario, "events[0].line")


def test_peers_errors_join_the_walk_and_the_company_is_not_its_own_peer() -> None:
    last = parse_month("2025-11")
    settings = cases.Settings(horizon=2, n_paths=200)
    plain, pooled, mapped = (
        run.run_backtest(
            BASELINE,
            first=last,
            last=last,
            references=(),
            settings=settings,
            peers=peers,
            workers=workers,
        )
        for peers, workers in (((), 1), (("xiaomi", "zeekr"), 1), (("xiaomi", "zeekr"), 2))
    )
    assert plain.peers == () and pooled.peers == ("zeekr",) and pooled.skipped_peers == ()
    # the peers' cases are for the walk only: the company's cases are the same, but for the
    # calibrated forecast's walk, which is the pooled table's at the cut-off
    assert len(plain.cases) == len(pooled.cases) > 0
    assert all(c.source != cases.PEER for c in pooled.cases)
    walk = {m: w for m, w, _ in pooled.calibration}[last]
    for a, b in zip(plain.cases, pooled.cases, strict=True):
        assert (a.series, a.cutoff, a.method) == (b.series, b.cutoff, b.method)
        if b.method == cases.FORECAST:
            assert b.error_walk == walk
        else:
            np.testing.assert_array_equal(a.samples, b.samples)
    # processes give the same pooled table and cases
    assert mapped.calibration == pooled.calibration and mapped.peers == pooled.peers
    for a, b in zip(pooled.cases, mapped.cases, strict=True):
        np.testing.assert_array_equal(a.samples, b.samples)
    # Zeekr's line (its total) from every cut-off its history allows, engine as fitted
    zeekr, why = run._peer_job(
        run._PeerJob(scenario=load_scenario(BASELINE), label="zeekr", settings=settings)
    )
    assert (
        zeekr
        and why == ""
        and {(c.source, c.series, c.method) for c in zeekr}
        == {(cases.PEER, "total", cases.UNCALIBRATED)}
    )
    n_plain = {m: n for m, _, n in plain.calibration}
    n_pooled = {m: n for m, _, n in pooled.calibration}
    for month in (parse_month("2025-06"), last):
        known = sum(int(np.sum(c.months <= month)) for c in zeekr)
        assert n_pooled[month] - n_plain.get(month, 0) == known > 0


def test_a_peer_is_replayed_without_the_scenarios_events_and_line_settings() -> None:
    """su7_retool's events name Xiaomi's SU7, which Zeekr (total-only) does not have: the
    peer takes the scenario's model settings alone, as a reference launch does."""
    settings = cases.Settings(horizon=1, n_paths=100)
    found, why = run._peer_job(
        run._PeerJob(scenario=load_scenario(RETOOL), label="zeekr", settings=settings)
    )
    assert why == "" and found
    plain, _ = run._peer_job(
        run._PeerJob(scenario=load_scenario(BASELINE), label="zeekr", settings=settings)
    )
    for a, b in zip(found, plain, strict=True):
        np.testing.assert_array_equal(a.samples, b.samples)
