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
from typing import Any

import numpy as np

from forecast import __version__
from forecast.engine.cache import FitCache, fit_key
from forecast.engine.fitted import Fitted
from forecast.errors import ConfigError, ForecastError
from forecast.fit.calibration import error_walk_for
from forecast.fit.model import AUTO, check_families, fit_model  # statsmodels loads on a fit
from forecast.load.bundle import DataBundle
from forecast.load.history import TOTAL
from forecast.load.reconcile import Reconciled
from forecast.months import format_month, span_text, year_months
from forecast.scenario.distributions import did_you_mean, toml_key
from forecast.scenario.table import dump_toml, scenario_hash
from forecast.scenario.types import LaunchEvent, Scenario
from forecast.simulate.paths import BLOCK, iter_chunks
from forecast.simulate.plan import Plan, event_line_problems, make_plan
from forecast.summarise.summary import Summary, summarise, summarise_chunks
from forecast.write.files import MonthlyRow, RunRecord, monthly_rows, run_files

__all__ = [
    "Fitted",
    "Progress",
    "RunResult",
    "check_scenario",
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
    "STREAM_ABOVE",
]

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: ``done`` of the stage's ``total`` steps are finished."""


STREAM_ABOVE = 2**20
"""``run(..., keep_paths=False)`` summarises more paths than this chunk by chunk (two
simulation passes, memory flat in ``n_paths``) instead of holding them all."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """A scenario's answer: ``summary``, the monthly table, and every path (n_paths, 12),
    unless the run was summarised chunk by chunk (``run(..., keep_paths=False)``)."""

    scenario: Scenario
    plan: Plan
    summary: Summary
    record: RunRecord
    kept_paths: np.ndarray | None

    @property
    def paths(self) -> np.ndarray:
        """Every path, (n_paths, 12).

        Raises
        ------
        ValueError
            The run kept no paths (``keep_paths=False`` beyond ``STREAM_ABOVE`` paths).
        """
        if self.kept_paths is None:
            raise ValueError(
                f"{self.scenario.name}: {self.summary.n_paths:,} paths were summarised chunk "
                "by chunk and not kept; run with keep_paths=True for the paths"
            )
        return self.kept_paths

    def quantile(self, q: float) -> float:
        """The annual total's quantile at any level ``q`` in (0, 1): exact from the paths
        (``numpy.quantile``, linear method); without them, ``Summary.quantile``."""
        if self.kept_paths is None:
            return self.summary.quantile(q)
        if not 0.0 < q < 1.0:
            raise ValueError(f"quantile level must be strictly between 0 and 1, got {q!r}")
        return float(np.quantile(self.paths.sum(axis=1), q))

    @property
    def monthly(self) -> list[MonthlyRow]:
        """The rows of ``monthly.csv`` as named records: ``row.month`` is ``"2026-02"``,
        ``row.p50`` the month's median (None for a reported month), ``row.actual`` the
        reported figure (None for a simulated one)."""
        return monthly_rows(self.summary)

    def __repr__(self) -> str:
        # The fields hold the whole model and every path: a notebook shows the answer.
        s = self.summary
        return (
            f"<RunResult {s.scenario}: P({s.target:,} in {s.target_year}) = {s.p_hit:.1%} "
            f"± {s.p_hit_se:.1%}, median {s.quantile(0.5):,.0f}; "
            f"{s.n_paths:,} paths, seed {self.record.seed}>"
        )

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
    """The model of ``scenario``: fitted as of its ``history.as_of``, with its families.

    ``check_scenario`` first, so that a scenario the data cannot answer fails before the fit.
    """
    check_scenario(bundle, scenario)
    return fit_at(
        bundle,
        scenario.as_of,
        families=families_for(scenario, bundle.company.lines),
        cache=cache,
        season_months=year_months(scenario.target_year),
        as_of_key=_as_of_key(scenario),
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


def check_scenario(bundle: DataBundle, scenario: Scenario) -> None:
    """Everything only the data can tell about a valid scenario, checked before fitting (by
    ``fit``, so by ``forecast run`` and ``forecast validate`` alike): ``as_of`` inside the
    history; the target
    year's months up to ``as_of`` known (zero before the first delivery, reported from the
    data start) and in the calendar; every line the scenario names (``[lines.NAME]``, events)
    one the data has by ``as_of`` or that it launches, and a launch a new line. One
    ``ConfigError`` with every problem."""
    try:
        bundle.check_as_of(scenario.as_of, key=_as_of_key(scenario))
    except ForecastError as error:
        raise ConfigError(error.problems) from None
    _check_against(bundle, scenario)


def _check_against(bundle: DataBundle, scenario: Scenario) -> None:
    """``check_scenario`` but ``as_of``, for ``plan``: a backtest plans a scenario as of a
    cut-off on another maker's data, whose history ``as_of`` need not be in."""
    problems = _unknown_months(bundle, scenario) + _calendar_years(bundle, scenario)
    problems += _named_lines(bundle, scenario) or _line_names(bundle, scenario)
    if problems:
        raise ConfigError(problems)


def _as_of_key(scenario: Scenario) -> str:
    return f"{scenario.path}: history.as_of" if scenario.path else "history.as_of"


def _origin_under(scenario: Scenario, *prefix: str | int) -> str:
    """The file (or ``--set``) that set the first key under ``prefix``, where ``prefix``
    itself has none (``--set lines.m2.multiplier=1`` sets ``lines.m2`` only implicitly)."""
    for key, origin in scenario.origins.items():
        if key[: len(prefix)] == prefix:
            return origin
    return _where(scenario, *prefix).rpartition(": ")[0]


def _where(scenario: Scenario, *key_path: str | int) -> str:
    """``file: key.path`` for a message: the file that set the key, else the scenario's."""
    default = str(scenario.path) if scenario.path is not None else scenario.name
    for end in range(len(key_path), 0, -1):
        if key_path[:end] in scenario.origins:
            default = scenario.origins[key_path[:end]]
            break
    key = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in key_path).lstrip(".")
    return f"{default}: {key}"


def _unknown_months(bundle: DataBundle, scenario: Scenario) -> list[str]:
    """The target year's months up to ``as_of`` that are neither before the first delivery
    (zero) nor in the data: unknown, so the year's total cannot be known either."""
    history, label = bundle.company, bundle.profile.label
    start = history.data_start
    zero_before = history.first_delivery
    needed = [m for m in year_months(scenario.target_year) if m <= scenario.as_of]
    unknown = [m for m in needed if m < start and (zero_before is None or m >= zero_before)]
    if not unknown:
        return []
    first = "unknown" if zero_before is None else format_month(zero_before)
    return [
        f"{_where(scenario, 'target', 'year')}: {scenario.target_year} needs "
        f"{span_text(unknown[0], unknown[-1])}, before {label}'s data start "
        f"{format_month(start)} (first delivery {first}): those months are unknown; "
        f"choose a target year from {start // 12 + (1 if start % 12 else 0)}"
    ]


def _named_lines(bundle: DataBundle, scenario: Scenario) -> list[str]:
    """A total-only company's one series is its total: ``[lines.NAME]`` and events naming a
    line are errors, unless the line is one the scenario launches (it adds to the total)."""
    if not bundle.company.total_only:
        return []
    label = bundle.profile.label
    launched = {e.line for e in scenario.events if isinstance(e, LaunchEvent)}
    allowed = {TOTAL, *launched}
    why = f"{label}'s history is total-only (its lines.csv names no model lines)"
    problems = [
        f"{_where(scenario, 'lines', name)}: {why}: per-line settings need a company with "
        "model lines; leave the table out"
        for name in scenario.lines
        if name not in allowed
    ]
    problems += [
        f"{_where(scenario, 'events', index, 'line')}: {event.line!r}: {why}: leave line "
        "out to act on the total"
        for index, event in enumerate(scenario.events)
        if event.line is not None and event.line not in allowed
    ]
    return problems


def _calendar_years(bundle: DataBundle, scenario: Scenario) -> list[str]:
    """The target year needs its row of the holiday calendar (the seasonal factors)."""
    if bundle.calendar is None:  # a bundle made by hand for a test of something else
        return []
    try:
        bundle.calendar.entry(scenario.target_year)
    except ForecastError as error:
        return [f"{_where(scenario, 'target', 'year')}: {problem}" for problem in error.problems]
    return []


def _line_names(bundle: DataBundle, scenario: Scenario) -> list[str]:
    """A company with lines: ``[lines.NAME]`` names one of them or a launched line (a typo,
    ``Su7`` for ``SU7``, would be ignored), and events name lines as ``make_plan`` requires."""
    history = bundle.company
    launched = [e.line for e in scenario.events if isinstance(e, LaunchEvent)]
    known = (*history.lines, *(line for line in launched if line not in history.lines))
    problems = [
        f"{_origin_under(scenario, 'lines', name)}: lines.{toml_key(name)}: unknown line {name!r}"
        f"{did_you_mean(name, known)} (lines: {', '.join(known) or 'none'})"
        for name in scenario.lines
        if name not in known
    ]
    with_history = [line for line in history.lines if history.first_month[line] <= scenario.as_of]
    problems += [
        f"{_where(scenario, 'events', index, 'line')}: {scenario.events[index].name}: {problem}"
        for index, problem in event_line_problems(scenario, with_history)
    ]
    return problems


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
    _check_against(bundle, scenario)
    walk = model_error(bundle, scenario)[0] if error_walk is None else error_walk
    actual = (fitted.months, fitted.totals) if reported is None else reported
    return make_plan(
        fitted.model,
        scenario,
        actual,
        error_walk=walk,
        first_delivery=bundle.company.first_delivery,
    )


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


class _Passes:
    """The plan's chunks of paths, simulated afresh on each call (the same each time), with
    progress counted over both passes of ``summarise_chunks``."""

    def __init__(
        self, plan: Plan, scenario: Scenario, chunk_size: int | None, progress: Progress | None
    ) -> None:
        self.plan, self.scenario, self.chunk_size, self.progress = (
            plan,
            scenario,
            chunk_size,
            progress,
        )
        self.done = 0

    def __call__(self) -> Iterable[np.ndarray]:
        n_paths = self.scenario.n_paths
        total = 2 * _n_chunks(n_paths, self.chunk_size)
        chunks = iter_chunks(
            self.plan, seed=self.scenario.seed, n_paths=n_paths, chunk_size=self.chunk_size
        )
        for _, chunk in chunks:
            yield chunk
            self.done += 1
            if self.progress is not None:
                self.progress("simulate", self.done, total)


def _n_chunks(n_paths: int, chunk_size: int | None) -> int:
    return math.ceil(n_paths / (BLOCK if chunk_size is None else chunk_size))


def n_steps(scenario: Scenario, *, chunk_size: int | None = None, keep_paths: bool = True) -> int:
    """The ``progress`` calls ``run`` makes for ``scenario``: one fit, then each chunk (twice
    when it streams: see ``STREAM_ABOVE``)."""
    passes = 1 if _keeps_paths(scenario.n_paths, keep_paths) else 2
    return 1 + passes * _n_chunks(scenario.n_paths, chunk_size)


def _keeps_paths(n_paths: int, keep_paths: bool) -> bool:
    return keep_paths or n_paths <= STREAM_ABOVE


# ---------------------------------------------------------------- run


def run(
    bundle: DataBundle,
    scenario: Scenario,
    *,
    cache: FitCache | None = None,
    fitted: Fitted | None = None,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    keep_paths: bool = True,
) -> RunResult:
    """``scenario`` end to end on ``bundle``: fit (unless ``fitted`` is given), plan with the
    calibrated model error, simulate ``scenario.n_paths`` paths from ``scenario.seed``, and
    summarise.

    ``keep_paths=False``: the caller needs no paths, so beyond ``STREAM_ABOVE`` of them the
    summary is taken chunk by chunk (``summarise_chunks``: the same quantiles and P(hit), sums
    to the last bits) and ``paths`` is None; at or below it nothing changes."""
    if fitted is None:
        fitted = fit(bundle, scenario, cache=cache)
    if progress is not None:
        progress("fit", 1, 1)
    walk, walk_source = model_error(bundle, scenario)
    the_plan = plan(bundle, fitted, scenario, error_walk=walk)
    facts: dict[str, Any] = {
        "months": the_plan.months,
        "n_reported": the_plan.n_reported,
        "target": scenario.target_units,
        "scenario": scenario.name,
        "target_statement": scenario.target_statement,
    }
    paths: np.ndarray | None = None
    if _keeps_paths(scenario.n_paths, keep_paths):
        paths = simulate(
            the_plan,
            seed=scenario.seed,
            n_paths=scenario.n_paths,
            chunk_size=chunk_size,
            progress=progress,
        )
        summary = summarise(paths, **facts)
    else:
        chunks = _Passes(the_plan, scenario, chunk_size, progress)
        summary = summarise_chunks(chunks, n_paths=scenario.n_paths, **facts)
    record = RunRecord(
        seed=scenario.seed,
        n_paths=scenario.n_paths,
        version=__version__,
        data_hash=bundle.data_hash,
        scenario_hash=scenario_hash(scenario)[:16],
        error_walk=walk,
        error_walk_source=walk_source,
        outside=tuple(f"{what} {where}" for what, where in scenario.outside),
    )
    return RunResult(
        scenario=scenario, plan=the_plan, summary=summary, record=record, kept_paths=paths
    )
