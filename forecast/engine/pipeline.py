"""The engine: the one path from data and a scenario to an answer.

::

    DataBundle + Scenario --fit--> Fitted --plan--> Plan --simulate--> paths --summarise--> Summary

Every command goes through these functions: ``run`` (one scenario), compare, sensitivity and
solve (``forecast.sweeps``), and the Python API ``forecast.run_scenario``. They take data
already loaded (``forecast.load.bundle.load_bundle``) and open no file themselves; the only
state they keep is the fit cache they are handed (``forecast.engine.cache.FitCache``; None:
fit afresh every time).

Progress is a callback, ``progress(stage, done, total)``, called after each step: stage
``"fit"`` has one step (a cache hit counts), ``"simulate"`` one per chunk of paths.
``n_steps(scenario)`` is the number of calls a ``run`` makes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from forecast import __version__
from forecast.engine.cache import FitCache, fit_key
from forecast.engine.fitted import Fitted
from forecast.fit.calibration import error_walk_for
from forecast.fit.model import AUTO, check_families, fit_model  # statsmodels loads on a fit
from forecast.load.bundle import DataBundle
from forecast.load.reconcile import Reconciled
from forecast.months import year_months
from forecast.scenario.table import dump_toml, scenario_hash
from forecast.scenario.types import Scenario
from forecast.simulate.paths import BLOCK, iter_chunks
from forecast.simulate.plan import Plan, make_plan
from forecast.summarise.summary import Summary, summarise
from forecast.write.files import RunRecord, monthly_rows, run_files

__all__ = [
    "Fitted",
    "Progress",
    "RunResult",
    "families_for",
    "fit",
    "fit_at",
    "key_for",
    "model_error",
    "n_steps",
    "plan",
    "run",
    "scenario_key",
    "simulate",
]

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: ``done`` of the stage's ``total`` steps are finished."""


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


# ---------------------------------------------------------------- fit


def families_for(scenario: Scenario, lines: Sequence[str]) -> dict[str, str]:
    """The family per line: the line's own setting, else the scenario's ``model.family``."""
    chosen = {}
    for line in lines:
        settings = scenario.lines.get(line)
        family = (
            settings.family if settings is not None and settings.family != AUTO else scenario.family
        )
        chosen[line] = family
    return chosen


def fit_at(
    bundle: DataBundle,
    as_of: int | None = None,
    *,
    families: Mapping[str, str] | None = None,
    cache: FitCache | None = None,
    season_months: Iterable[int] = (),
    as_of_key: str = "as_of",
    reconciled: Reconciled | None = None,
) -> Fitted:
    """The model fitted to ``bundle`` as it stood at the end of ``as_of``.

    Parameters
    ----------
    bundle : DataBundle
        Cut or not; it is cut at ``as_of`` before fitting.
    as_of : int, optional
        Month ordinal (default: the last month of the bundle's history).
    families : Mapping[str, str], optional
        Line -> family name or ``"auto"`` (the default for lines not named).
    cache : FitCache, optional
        Looked up first and filled on a miss; None fits afresh and keeps nothing.
        statsmodels loads only on a miss.
    season_months : iterable of int
        Months whose seasonal factors a cached fit must hold (a plan's target year).
    as_of_key : str
        Names ``as_of`` in the error for a month outside the history.
    reconciled : Reconciled, optional
        ``reconcile(bundle.cut(as_of).company)``, if the caller has it: a miss then does not
        reconcile the history again (see ``fit_model``).
    """
    as_of = bundle.check_as_of(as_of, key=as_of_key)
    check_families(families or {})  # before the key, which drops lines not yet launched
    season_months = tuple(season_months)
    key = key_for(bundle, as_of, families)
    if cache is not None:
        hit = cache.get(key, season_months=season_months)
        if hit is not None:
            return hit
    report = fit_model(bundle, as_of=as_of, families=families, reconciled=reconciled)
    fitted = Fitted(
        model=report.model, months=report.reconciled.months, totals=report.reconciled.total
    )
    if cache is not None:
        cache.put(key, fitted, season_months=season_months)
    return fitted


def fit(bundle: DataBundle, scenario: Scenario, *, cache: FitCache | None = None) -> Fitted:
    """The model of ``scenario``: fitted as of its ``history.as_of``, with its families."""
    return fit_at(
        bundle,
        scenario.as_of,
        families=families_for(scenario, bundle.company.lines),
        cache=cache,
        season_months=year_months(scenario.target_year),
        as_of_key=f"{scenario.path}: history.as_of" if scenario.path else "history.as_of",
    )


def key_for(bundle: DataBundle, as_of: int, families: Mapping[str, str] | None = None) -> str:
    """The fit cache key of ``fit_at(bundle, as_of, families=families)``.

    Only the families of the lines with history at ``as_of`` shape that fit, filled in with
    ``"auto"``: naming a line's default family, or the family of a line not yet launched, is
    the same fit. The bundle may be cut or not: its content hash is the files'.
    """
    history, families = bundle.company, dict(families or {})
    lines = [line for line in history.lines if history.first_month[line] <= as_of]
    chosen = {line: families.get(line, AUTO) for line in lines}
    return fit_key(bundle.content_hash, as_of=as_of, families=chosen)


def scenario_key(bundle: DataBundle, scenario: Scenario) -> str:
    """The fit cache key of ``fit(bundle, scenario)``: scenarios with equal keys share a fit."""
    return key_for(bundle, scenario.as_of, families_for(scenario, bundle.company.lines))


# ---------------------------------------------------------------- plan


def model_error(bundle: DataBundle, scenario: Scenario) -> tuple[float, str]:
    """The model-error walk's monthly sd and where it comes from: the scenario's own
    ``model.error_walk``, or the value calibrated on past errors for its ``history.as_of``."""
    if scenario.error_walk is not None:
        return scenario.error_walk, "model.error_walk set by the scenario"
    return error_walk_for(bundle.calibration, scenario.as_of)


def plan(
    bundle: DataBundle,
    fitted: Fitted,
    scenario: Scenario,
    *,
    error_walk: float | None = None,
    reported: Mapping[int, float] | None = None,
) -> Plan:
    """The simulation plan of ``scenario`` on ``fitted``.

    ``error_walk``: the model error's monthly sd (default: ``model_error(bundle, scenario)``).
    ``reported``: the actual monthly totals by month (default: the fit's own).
    """
    walk = model_error(bundle, scenario)[0] if error_walk is None else error_walk
    actual = (fitted.months, fitted.totals) if reported is None else reported
    return make_plan(fitted.model, scenario, actual, error_walk=walk)


# ---------------------------------------------------------------- simulate


def simulate(
    plan: Plan,
    *,
    seed: int,
    n_paths: int,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> np.ndarray:
    """Every path of the plan's target year, (n_paths, 12): ``simulate_paths(...).paths``,
    with ``progress("simulate", done, total)`` after each chunk."""
    paths = np.empty((n_paths, plan.months.size))
    total = _n_chunks(n_paths, chunk_size)
    chunks = iter_chunks(plan, seed=seed, n_paths=n_paths, chunk_size=chunk_size)
    for done, (rows, chunk) in enumerate(chunks, start=1):
        paths[rows] = chunk
        if progress is not None:
            progress("simulate", done, total)
    return paths


def _n_chunks(n_paths: int, chunk_size: int | None) -> int:
    return math.ceil(n_paths / (BLOCK if chunk_size is None else chunk_size))


def n_steps(scenario: Scenario, *, chunk_size: int | None = None) -> int:
    """The ``progress`` calls ``run`` makes for ``scenario``: one fit, then each chunk."""
    return 1 + _n_chunks(scenario.n_paths, chunk_size)


# ---------------------------------------------------------------- run


def run(
    bundle: DataBundle,
    scenario: Scenario,
    *,
    cache: FitCache | None = None,
    fitted: Fitted | None = None,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """``scenario`` end to end on ``bundle``: fit (unless ``fitted`` is given), plan with the
    calibrated model error, simulate ``scenario.n_paths`` paths from ``scenario.seed``, and
    summarise."""
    if fitted is None:
        fitted = fit(bundle, scenario, cache=cache)
    if progress is not None:
        progress("fit", 1, 1)
    walk, walk_source = model_error(bundle, scenario)
    the_plan = plan(bundle, fitted, scenario, error_walk=walk)
    paths = simulate(
        the_plan,
        seed=scenario.seed,
        n_paths=scenario.n_paths,
        chunk_size=chunk_size,
        progress=progress,
    )
    summary = summarise(
        paths,
        months=the_plan.months,
        n_reported=the_plan.n_reported,
        target=scenario.target_units,
        scenario=scenario.name,
    )
    record = RunRecord(
        seed=scenario.seed,
        n_paths=scenario.n_paths,
        version=__version__,
        data_hash=bundle.data_hash,
        scenario_hash=scenario_hash(scenario)[:16],
        error_walk=walk,
        error_walk_source=walk_source,
    )
    return RunResult(scenario=scenario, plan=the_plan, summary=summary, record=record, paths=paths)
