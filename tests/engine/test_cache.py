"""The fit cache: same paths as a fresh fit, invalidated by any input, plain data only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from forecast.engine import cache, pipeline
from forecast.engine.cache import FitCache
from forecast.engine.run import fit_scenario, run_scenario
from forecast.load.bundle import COMPANY_FILES, MARKET_FILES, load_bundle
from forecast.months import parse_month
from forecast.scenario.parse import load_scenario
from forecast.simulate.paths import simulate_paths
from forecast.simulate.plan import make_plan
from tests.factories import Project

REPO = Path(__file__).resolve().parents[2]
NOVEMBER_2025 = parse_month("2025-11")


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("FORECAST_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def baseline(project: Project) -> Path:
    return project.scenario("baseline")


@pytest.fixture(scope="module")
def scenario(baseline: Path):
    return load_scenario(baseline)


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("fit-*.json"))


def _paths(fitted, scenario) -> np.ndarray:
    plan = make_plan(fitted.model, scenario, (fitted.months, fitted.totals), error_walk=0.0)
    return simulate_paths(plan, seed=3, n_paths=2000).paths


def test_cached_fit_gives_the_same_paths_as_a_fresh_fit(cache_dir: Path, scenario) -> None:
    fresh = fit_scenario(scenario, use_cache=False)
    assert _entries(cache_dir) == []
    stored = fit_scenario(scenario)  # a miss: fits and stores
    assert len(_entries(cache_dir)) == 1
    cached = fit_scenario(scenario)  # a hit
    assert isinstance(cached.model.seasonality, cache.CachedSeasonality)
    assert np.array_equal(_paths(fresh, scenario), _paths(stored, scenario))
    assert np.array_equal(_paths(fresh, scenario), _paths(cached, scenario))
    assert np.array_equal(cached.totals, fresh.totals)


def test_run_scenario_with_and_without_cache_agree(cache_dir: Path, baseline: Path) -> None:
    one = run_scenario(baseline, n_paths=1000, use_cache=False)
    run_scenario(baseline, n_paths=10)  # stores
    assert len(_entries(cache_dir)) == 1
    two = run_scenario(baseline, n_paths=1000)
    assert np.array_equal(one.paths, two.paths)


def test_the_file_is_plain_json(cache_dir: Path, scenario) -> None:
    fit_scenario(scenario)
    (entry,) = _entries(cache_dir)
    envelope = json.loads(entry.read_text(encoding="utf-8"))  # plain JSON: nothing to unpickle
    assert envelope["format"] == "forecast-fit" and len(envelope["sha256"]) == 64
    data = envelope["fit"]
    assert data["schema"] == cache.CACHE_SCHEMA and data["key"] in entry.name
    assert {"lines", "seasonality", "ramp", "months", "totals"} <= set(data)


@pytest.mark.parametrize("text", ["", "{not json", '{"schema": 1}', "[1, 2]", '{"key": 3}'])
def test_a_corrupt_file_is_ignored_and_rewritten(cache_dir: Path, scenario, text: str) -> None:
    fresh = fit_scenario(scenario)
    (entry,) = _entries(cache_dir)
    entry.write_text(text, encoding="utf-8")
    again = fit_scenario(scenario)
    assert np.array_equal(_paths(fresh, scenario), _paths(again, scenario))
    assert json.loads(entry.read_text(encoding="utf-8"))["fit"]["schema"] == cache.CACHE_SCHEMA


def _key(data_dir: Path, as_of: int = NOVEMBER_2025) -> str:
    return pipeline.key_for(load_bundle(data_dir), as_of, {"M1": "auto"})


def test_any_data_file_as_of_families_or_version_changes_the_key(
    project_copy: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_copy = project_copy.data
    base = _key(data_copy)
    assert _key(data_copy) == base
    assert _key(data_copy, as_of=NOVEMBER_2025 - 1) != base
    bundle = load_bundle(data_copy)
    assert pipeline.key_for(bundle, NOVEMBER_2025, {"M1": "lifecycle"}) != base
    assert pipeline.key_for(bundle, NOVEMBER_2025) == base  # "auto" is the default family
    for name in (*COMPANY_FILES, *MARKET_FILES):
        path = data_copy / name
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert _key(data_copy) != base, name
        path.write_bytes(original)
    assert _key(data_copy) == base
    monkeypatch.setattr(cache, "__version__", "0.0.0-other")
    assert _key(data_copy) != base
    monkeypatch.undo()
    monkeypatch.setattr(cache, "CACHE_SCHEMA", cache.CACHE_SCHEMA + 1)
    assert _key(data_copy) != base


def test_the_family_of_a_line_not_yet_launched_is_the_same_fit(bundle) -> None:
    before_m2 = parse_month("2025-07")  # M2's first month is 2025-08
    key = pipeline.key_for(bundle, before_m2)
    assert pipeline.key_for(bundle, before_m2, {"M2": "gompertz"}) == key
    assert pipeline.key_for(bundle, before_m2, {"M1": "gompertz"}) != key
    assert pipeline.key_for(bundle.cut(before_m2), before_m2) == key


def test_an_edited_data_file_refits(project_copy: Project, baseline: Path, cache_dir: Path) -> None:
    data_copy = project_copy.data
    scenario = load_scenario(baseline, overrides=[f'history.data="{data_copy}"'])
    fit_scenario(scenario)
    fit_scenario(scenario)
    assert len(_entries(cache_dir)) == 1
    with open(data_copy / "market.csv", "a", encoding="utf-8") as handle:
        handle.write("\n")
    fit_scenario(scenario)
    assert len(_entries(cache_dir)) == 2


def test_the_memo_answers_without_the_folder(cache_dir: Path, bundle, scenario) -> None:
    store = FitCache.on_disk()
    first = pipeline.fit(bundle, scenario, cache=store)
    (entry,) = _entries(cache_dir)
    entry.unlink()
    assert pipeline.fit(bundle, scenario, cache=store) is first  # from the memo
    assert _entries(cache_dir) == []


def test_an_in_memory_cache_writes_nothing(cache_dir: Path, bundle, scenario) -> None:
    store = FitCache.in_memory()
    first = pipeline.fit(bundle, scenario, cache=store)
    assert pipeline.fit(bundle, scenario, cache=store) is first
    assert not cache_dir.exists() or _entries(cache_dir) == []


def test_a_stored_fit_is_a_hit_only_for_the_months_its_table_covers(
    cache_dir: Path, bundle, scenario
) -> None:
    pipeline.fit(bundle, scenario, cache=FitCache.on_disk())
    store = FitCache.on_disk()
    key = pipeline.scenario_key(bundle, scenario)
    year = range(scenario.target_year * 12, scenario.target_year * 12 + 12)
    assert store.get(key, season_months=year) is not None  # read from disk, now in the memo
    far = range(year[0] + 120, year[0] + 132)
    assert store.get(key, season_months=far) is None


def test_cached_seasonality_refuses_months_outside_its_table() -> None:
    season = cache.CachedSeasonality(months=np.arange(10, 13), factors=np.array([0.1, 0.2, 0.3]))
    assert season.log_factors(np.array([12, 10])).tolist() == [0.3, 0.1]
    with pytest.raises(ValueError, match="covers months 10..12"):
        season.log_factors(np.array([13]))


def test_the_cache_folder_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORECAST_CACHE_DIR", str(tmp_path / "a"))
    assert cache.cache_dir() == tmp_path / "a"
    monkeypatch.delenv("FORECAST_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "forecast"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "forecast"


HEAVY = ("statsmodels", "matplotlib")

PROBE = """
import sys
from click.testing import CliRunner
from forecast.cli.main import cli
result = CliRunner().invoke(cli, {args!r})
assert result.exit_code == 0, result.output
print(",".join(sorted({{m.split(".")[0] for m in sys.modules}} & {heavy!r})))
"""


def _heavy_modules_after(args: list[str], cwd: Path) -> str:
    code = PROBE.format(args=args, heavy=set(HEAVY))
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False, env=None
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout.strip()


@pytest.mark.parametrize("args", [["--help"], ["validate", "BASELINE"]])
def test_light_commands_import_no_heavy_library(
    args: list[str], cache_dir: Path, baseline: Path
) -> None:
    # validate checks the scenario against the fit: with the fit cache warm (filled here, not
    # by whichever test ran before) it needs no statsmodels
    fit_scenario(load_scenario(baseline))
    assert _entries(cache_dir)
    args = [str(baseline) if arg == "BASELINE" else arg for arg in args]
    assert _heavy_modules_after(args, REPO) == ""


def test_a_warm_run_imports_no_heavy_library(
    tmp_path: Path, cache_dir: Path, baseline: Path
) -> None:
    out = tmp_path / "out"
    run = ["run", str(baseline), "--n-paths", "1000", "--quiet", "--out", str(out)]
    # cold: the fit 'run' would make fills the cache folder (in this process: a process of
    # its own costs seconds of imports; the cache key is the same in any process)
    fit_scenario(load_scenario(baseline))
    assert _entries(cache_dir)
    assert _heavy_modules_after(run, REPO) == ""
    cold = _heavy_modules_after([*run, "--no-cache"], REPO)
    assert "statsmodels" in cold


def test_an_edited_company_refits(
    project_copy: Project, baseline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The make kept out of the reference class is an input of the fit: the fit cache must
    not answer for the old one."""
    import forecast.engine.pipeline

    data_copy = project_copy.data
    calls = []
    real = forecast.engine.pipeline.fit_model
    monkeypatch.setattr(
        forecast.engine.pipeline, "fit_model", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    monkeypatch.setenv("FORECAST_CACHE_DIR", str(data_copy.parent / "cache"))
    scenario = load_scenario(baseline, overrides=[f'history.data="{data_copy}"'])
    for _ in range(2):
        fit_scenario(scenario)
    assert len(calls) == 1  # the second from the cache
    (data_copy / "company.csv").write_text("label,name,make,source\nco,Co,Alpha,s\n")
    fit_scenario(scenario)
    assert len(calls) == 2


def test_a_mixture_is_stored_with_every_family_and_weight(cache_dir: Path, scenario) -> None:
    fresh = fit_scenario(scenario, use_cache=False)
    assert any(fit.rivals for fit in fresh.model.lines)  # the hand-made M1 is a mixture
    fit_scenario(scenario)  # stores
    cached = FitCache.on_disk(cache_dir).get(
        pipeline.scenario_key(load_bundle(scenario.data_dir), scenario),
        season_months=(),
    )
    assert cached is not None
    for a, b in zip(fresh.model.lines, cached.model.lines, strict=True):
        assert a.families == b.families and np.array_equal(a.weights, b.weights)
        for x, y in zip(a.components, b.components, strict=True):
            assert np.array_equal(x.params, y.params) and np.array_equal(x.cov, y.cov)
            assert (x.sigma, x.phi, x.last_resid) == (y.sigma, y.phi, y.last_resid)


@pytest.mark.parametrize("weights", [(0.5, 0.6), (1.0, 0.0)])
def test_weights_off_the_simplex_are_a_miss(cache_dir: Path, scenario, weights) -> None:
    fit_scenario(scenario)
    (entry,) = _entries(cache_dir)
    envelope = json.loads(entry.read_text(encoding="utf-8"))
    data = envelope["fit"]
    mixed = next(d for d in data["lines"] if d["rivals"])
    mixed["weight"], mixed["rivals"][0]["weight"] = weights
    mixed["rivals"] = mixed["rivals"][:1]
    # A forgery with a valid checksum: only the schema check can catch it.
    entry.write_text(cache.seal(data, head=envelope["head"]), encoding="utf-8")
    key = entry.name.removeprefix("fit-").removesuffix(".json")
    assert cache.load_fit(key, folder=cache_dir) is None
