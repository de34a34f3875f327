"""One scenario, end to end: load -> fit -> plan -> simulate -> summarise.

``run_scenario`` is the Python entry point (for notebooks); ``forecast run`` is a thin
wrapper that also writes the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forecast import __version__
from forecast.fit.calibration import error_walk_for, load_calibration
from forecast.fit.types import FittedModel
from forecast.load.history import History, load_history
from forecast.months import year_months
from forecast.scenario.parse import apply_overrides, load_scenario
from forecast.scenario.table import dump_toml, scenario_hash
from forecast.scenario.types import Scenario
from forecast.simulate.paths import simulate_paths
from forecast.simulate.plan import Plan, make_plan
from forecast.summarise.summary import Summary, summarise
from forecast.write.files import RunRecord, hash_files, monthly_rows, run_files

HISTORY_FILES = (
    "lines.csv",
    "deliveries.csv",
    "totals.csv",
    "targets.csv",
    "anomalies.csv",
    "calendar.csv",
    "market.csv",
    "bev_models.csv",
    "calibration.csv",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Fitted:
    """What the simulator needs from the history: the model and the reported totals."""

    model: FittedModel
    months: np.ndarray  # reconciled months up to as_of
    totals: np.ndarray  # reconciled monthly totals


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """A scenario's answer: ``summary``, the monthly table, and every path (n_paths, 12)."""

    scenario: Scenario
    plan: Plan
    summary: Summary
    record: RunRecord
    paths: np.ndarray

    @property
    def monthly(self) -> list[tuple]:
        return monthly_rows(self.summary)

    def files(self) -> dict[str, str]:
        return run_files(self.summary, self.record, dump_toml(self.scenario.resolved))


def scenario_families(scenario: Scenario, lines: Sequence[str]) -> dict[str, str]:
    """The family per line: the line's own setting, else the scenario's ``model.family``."""
    chosen = {}
    for line in lines:
        settings = scenario.lines.get(line)
        family = (
            settings.family
            if settings is not None and settings.family != "auto"
            else scenario.family
        )
        chosen[line] = family
    return chosen


def fit_for(history: History, scenario: Scenario, *, use_cache: bool = True) -> Fitted:
    """The model fitted to ``history`` as of the scenario's ``history.as_of``.

    With ``use_cache`` the fit is looked up in, and stored to, the fit cache
    (``forecast.engine.cache``), keyed by the bytes of ``history.data_dir``'s files, ``as_of``, the
    families and the version; the fitting modules (and statsmodels) load only on a miss.
    """
    families = scenario_families(scenario, history.lines)
    year = list(year_months(scenario.target_year))
    if use_cache:
        from forecast.engine import cache

        files = [history.data_dir / name for name in HISTORY_FILES]
        key = cache.fit_key(files, as_of=scenario.as_of, families=families)
        hit = cache.load_fit(key, season_months=year)
        if hit is not None:
            return Fitted(model=hit.model, months=hit.months, totals=hit.totals)
    from forecast.fit.model import fit_model

    as_of_key = f"{scenario.path}: history.as_of" if scenario.path else "history.as_of"
    report = fit_model(history, as_of=scenario.as_of, families=families, as_of_key=as_of_key)
    fitted = Fitted(
        model=report.model, months=report.reconciled.months, totals=report.reconciled.total
    )
    if use_cache:
        cache.save_fit(key, fitted, season_months=year)
    return fitted


def data_hash(data_dir: Path) -> str:
    return hash_files([data_dir / name for name in HISTORY_FILES if (data_dir / name).exists()])


def load(path_or_scenario: str | Path | Scenario, overrides: Sequence[str] = ()) -> Scenario:
    """The scenario file loaded, or the scenario given, with ``--set`` ``overrides`` applied."""
    if isinstance(path_or_scenario, Scenario):
        return apply_overrides(path_or_scenario, overrides) if overrides else path_or_scenario
    return load_scenario(path_or_scenario, overrides=overrides)


def run_scenario(
    path_or_scenario: str | Path | Scenario,
    *,
    n_paths: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    chunk_size: int | None = None,
    fitted: Fitted | None = None,
    use_cache: bool = True,
) -> RunResult:
    """Run one scenario and return its answer with every path.

    ``n_paths`` and ``seed`` override the scenario's ``[simulation]`` values (and are
    recorded in the resolved scenario, so the run can be repeated from it). ``use_cache=False``
    refits instead of using the fit cache (``forecast.engine.cache``).

    Example
    -------
    >>> result = run_scenario("scenarios/baseline.toml", n_paths=10_000)  # doctest: +SKIP
    >>> result.summary.p_hit, result.paths.shape  # doctest: +SKIP
    """
    scenario = load_scenario_overrides(load(path_or_scenario, overrides), n_paths, seed)
    fitted = fitted or fit_for(load_history(scenario.data_dir), scenario, use_cache=use_cache)
    walk, walk_source = scenario_error_walk(scenario)
    plan = make_plan(fitted.model, scenario, (fitted.months, fitted.totals), error_walk=walk)
    sim = simulate_paths(plan, seed=scenario.seed, n_paths=scenario.n_paths, chunk_size=chunk_size)
    summary = summarise(
        sim.paths,
        months=plan.months,
        n_reported=plan.n_reported,
        target=scenario.target_units,
        scenario=scenario.name,
    )
    record = RunRecord(
        seed=scenario.seed,
        n_paths=scenario.n_paths,
        version=__version__,
        data_hash=data_hash(scenario.data_dir),
        scenario_hash=scenario_hash(scenario)[:16],
        error_walk=walk,
        error_walk_source=walk_source,
    )
    return RunResult(scenario=scenario, plan=plan, summary=summary, record=record, paths=sim.paths)


def scenario_error_walk(scenario: Scenario) -> tuple[float, str]:
    """The model-error walk's monthly sd and where it comes from: the scenario's own
    ``model.error_walk``, or the value calibrated on past errors for its ``history.as_of``."""
    if scenario.error_walk is not None:
        return scenario.error_walk, "model.error_walk set by the scenario"
    return error_walk_for(load_calibration(scenario.data_dir), scenario.as_of)


def plan_for(fitted: Fitted, scenario: Scenario) -> Plan:
    """The simulation plan of ``scenario`` on ``fitted``, with its calibrated model error."""
    walk, _ = scenario_error_walk(scenario)
    return make_plan(fitted.model, scenario, (fitted.months, fitted.totals), error_walk=walk)


def load_scenario_overrides(scenario: Scenario, n_paths: int | None, seed: int | None) -> Scenario:
    """The scenario with new ``n_paths``/``seed`` (None: keep), checked as ``--set`` would."""
    changes = {"simulation.n_paths": n_paths, "simulation.seed": seed}
    changes = {key: value for key, value in changes.items() if value is not None}
    return scenario.with_changes(changes) if changes else scenario
