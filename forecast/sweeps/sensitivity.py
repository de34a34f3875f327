"""Which uncertain inputs move the answer most: a tornado table on common random numbers.

For every uncertain input of a plan (``forecast.simulate.inputs``: each distribution of the
scenario, the growth parameters, the noise and the model-error walk of each line, and each of
those for all lines at once as ``model.params``, ``model.noise`` and ``model.error_walk``), the scenario is simulated twice more with
that input held at its 10th and at its 90th percentile while every other input keeps its
own random draws (``simulate_paths(..., pinned={key: u})`` on the same seed). The swing is
how far P(hit) and the median annual total move between the two. Because the other inputs'
draws are shared, the swing is free of most Monte Carlo noise.

The baseline run (every input random) records each input per path, and ``rank_correlation``
is Spearman's rho between that input and the annual total across paths, as @RISK reports
it. For the vector inputs (``*.params``, ``*.noise``, ``*.error_walk``) the recorded value is the standard
normal score of the draw along the direction that moves the year's volume most; their
``low_value``/``high_value`` are left empty, since a vector has no single value to show.
A shock's ``occurs`` is 0 or 1; a fitted ramp's ``ramp`` is the uniform picking its speed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from forecast.engine.parallel import Executor, as_executor, capacity, map_ordered
from forecast.months import format_month_position
from forecast.scenario.parse import EVENT_RANGES
from forecast.scenario.types import Scenario
from forecast.simulate.inputs import Input, event_input, input_keys, plan_inputs
from forecast.simulate.paths import simulate_paths, simulate_pinned
from forecast.simulate.plan import Plan
from forecast.summarise.summary import hit_probability
from forecast.write.tables import Cell, align, rounded, write_csv

if TYPE_CHECKING:
    from forecast.engine.pipeline import Progress

__all__ = [
    "COLUMNS",
    "HIGH",
    "LOW",
    "InputEffect",
    "Sensitivity",
    "format_sensitivity",
    "measure_sensitivity",
    "month_inputs",
    "n_runs",
    "prepare_sensitivity",
    "rank_correlation",
    "run_sensitivity",
    "sensitivity_rows",
    "value_text",
    "write_sensitivity",
]

LOW, HIGH = 0.1, 0.9
"""Quantiles at which each input is held."""

COLUMNS = (
    "input",
    "low_value",
    "high_value",
    "p_hit_low",
    "p_hit_high",
    "p_hit_swing",
    "median_low",
    "median_high",
    "median_swing",
    "rank_correlation",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class InputEffect:
    """One input's effect on the answer, held at ``LOW`` and at ``HIGH``.

    ``low_value``/``high_value`` are the input's values there (None for vector inputs);
    medians are annual totals in units; ``rank_correlation`` is None if the input does not
    vary across the baseline's paths.
    """

    input: str
    low_value: float | None
    high_value: float | None
    p_hit_low: float
    p_hit_high: float
    median_low: float
    median_high: float
    rank_correlation: float | None
    is_month: bool = False  # a month position (1.0 = the start of January): shown as a date

    @property
    def p_hit_swing(self) -> float:
        return abs(self.p_hit_high - self.p_hit_low)

    @property
    def median_swing(self) -> float:
        return abs(self.median_high - self.median_low)


@dataclass(frozen=True, slots=True, kw_only=True)
class Sensitivity:
    """The tornado: the baseline answer and every input's effect, largest swing first."""

    scenario: str
    target: int
    target_year: int
    n_paths: int
    seed: int
    p_hit: float  # every input random
    p_hit_se: float
    median: float
    effects: tuple[InputEffect, ...]

    def __repr__(self) -> str:
        # Every input's row is in format_sensitivity; a notebook shows the largest.
        first = self.effects[0] if self.effects else None
        largest = f"; largest swing {first.input} {first.p_hit_swing:.1%}" if first else ""
        return (
            f"<Sensitivity {self.scenario}: P({self.target:,} in {self.target_year}) = "
            f"{self.p_hit:.1%}, {len(self.effects)} inputs{largest}>"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Job:
    """One pinned run: ``input`` held at quantile ``u`` (the baseline is its group's)."""

    input: Input
    u: float


@dataclass(frozen=True, slots=True, kw_only=True)
class _Outcome:
    p_hit: float
    p_hit_se: float
    median: float
    value: float | None = None  # the pinned input's value
    correlations: dict[str, float | None] | None = None  # baseline only


# ---------------------------------------------------------------- entry points


def run_sensitivity(
    path_or_scenario: str | Path | Scenario,
    *,
    n_paths: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    workers: int | Executor = 1,
    progress: Progress | None = None,
) -> Sensitivity:
    """Load and fit a scenario once, then ``measure_sensitivity`` on it: what ``forecast
    sensitivity`` runs.

    ``n_paths``/``seed`` override the scenario's ``[simulation]`` values. ``progress(stage,
    done, total)``, as in ``forecast.engine.pipeline``: ``("fit", 1, 1)`` once fitted, then
    ``("simulate", done, n_runs)`` as the runs start (``done`` 0) and after each batch.

    Example
    -------
    >>> result = run_sensitivity("scenarios/combined.toml", n_paths=20_000)  # doctest: +SKIP
    >>> result.effects[0].input, result.effects[0].p_hit_swing  # doctest: +SKIP
    """
    scenario, plan = prepare_sensitivity(
        path_or_scenario, n_paths=n_paths, seed=seed, overrides=overrides
    )
    on_step = None
    if progress is not None:
        progress("fit", 1, 1)
        total, done = n_runs(plan), [0]
        progress("simulate", 0, total)

        def on_step(n: int) -> None:
            done[0] += n
            progress("simulate", done[0], total)

    return measure_sensitivity(
        plan,
        scenario=scenario.name,
        seed=scenario.seed,
        n_paths=scenario.n_paths,
        workers=workers,
        on_step=on_step,
    )


def prepare_sensitivity(
    path_or_scenario: str | Path | Scenario,
    *,
    n_paths: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
) -> tuple[Scenario, Plan]:
    """The scenario (with ``n_paths``/``seed`` applied) and its plan, fitted once."""
    from forecast.engine import pipeline
    from forecast.engine.run import fit_scenario, load, load_scenario_overrides
    from forecast.load.bundle import load_bundle

    scenario = load_scenario_overrides(load(path_or_scenario, overrides), n_paths, seed)
    bundle = load_bundle(scenario.data_dir)
    fitted = fit_scenario(scenario, bundle=bundle)
    return scenario, pipeline.plan(bundle, fitted, scenario)


def n_runs(plan: Plan) -> int:
    """Simulations ``measure_sensitivity`` makes: the baseline, then two per input."""
    return 1 + 2 * len(input_keys(plan))


def measure_sensitivity(
    plan: Plan,
    *,
    scenario: str,
    seed: int,
    n_paths: int,
    workers: int | Executor = 1,
    on_step: Callable[[int], None] | None = None,
) -> Sensitivity:
    """Every uncertain input's effect on P(hit) and the median, largest swing first.

    Parameters
    ----------
    plan : Plan
    scenario : str
        Name for the result.
    seed : int
        Shared by every run (common random numbers).
    n_paths : int
        Paths per run; ``n_runs(plan)`` runs in all.
    workers : int or Executor
        Processes (or the ``Executor``); the result does not depend on it.
    on_step : callable, optional
        Called with the number of runs just finished (progress); ``n_runs(plan)`` in all.

    Returns
    -------
    Sensitivity
        Sorted by P(hit) swing, ties by median swing, then by input key.

    Notes
    -----
    The runs go through ``simulate_pinned``: each pinned run is made from the unpinned
    run's draws and stages, bit for bit what ``simulate_paths`` gives, in a fraction of
    the time. With several workers the pinned runs are shared out in ``capacity(workers)``
    groups, each making its own unpinned run to start from; so are they when their annual
    totals would exceed ``TOTALS_PER_GROUP`` (at 10^6 paths and more).
    """
    held = [i for i in plan_inputs(plan) if i.uncertain]
    keys = [i.key for i in held]
    months = month_inputs(plan)
    jobs = [_Job(input=i, u=u) for i in held for u in (LOW, HIGH)]
    # Plan.multipliers is a mappingproxy, which pickle refuses; a dict is equally valid.
    portable = dataclasses.replace(plan, multipliers=dict(plan.multipliers))
    executor = as_executor(workers)
    n_groups = max(1 if executor.in_process else capacity(executor), _groups_needed(jobs, n_paths))
    n_groups = max(1, min(n_groups, len(jobs)))
    groups = [_Group(jobs=tuple(jobs[g::n_groups]), baseline=g == 0) for g in range(n_groups)]
    if executor.in_process:
        done = []
        for group in groups:
            on_run = None if on_step is None else partial(_count_run, on_step, group)
            done.append(_run_group(portable, seed, n_paths, group, on_run=on_run))
    else:
        done = map_ordered(partial(_run_group, portable, seed, n_paths), groups, executor)
        if on_step is not None:
            on_step(n_runs(plan))
    base = done[0][0]
    outcomes = [base, *([base] * len(jobs))]
    for g, group_outcomes in enumerate(done):
        outcomes[1 + g :: n_groups] = group_outcomes[1:] if g == 0 else group_outcomes
    effects = [
        _effect(key, outcomes[1 + 2 * i], outcomes[2 + 2 * i], base, is_month=key in months)
        for i, key in enumerate(keys)
    ]
    effects.sort(key=lambda e: (-e.p_hit_swing, -e.median_swing, e.input))
    return Sensitivity(
        scenario=scenario,
        target=plan.target_units,
        target_year=plan.target_year,
        n_paths=n_paths,
        seed=seed,
        p_hit=base.p_hit,
        p_hit_se=base.p_hit_se,
        median=base.median,
        effects=tuple(effects),
    )


# ---------------------------------------------------------------- the runs

TOTALS_PER_GROUP = 2**25
"""Annual totals one group of runs keeps at once (256 MB of float64)."""


def _groups_needed(jobs: Sequence[_Job], n_paths: int) -> int:
    """Groups that keep each within ``TOTALS_PER_GROUP`` totals (the unpinned run's too)."""
    per_group = max(1, TOTALS_PER_GROUP // max(n_paths, 1) - 1)
    return -(-len(jobs) // per_group)


def _count_run(on_step: Callable[[int], None], group: _Group, done: int) -> None:
    """Progress: each pinned run, and the unpinned one if the group reports it."""
    if done or group.baseline:
        on_step(1)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Group:
    """Pinned runs made from one unpinned run; ``baseline``: report that one too."""

    jobs: tuple[_Job, ...]
    baseline: bool


def _run_group(
    plan: Plan,
    seed: int,
    n_paths: int,
    group: _Group,
    on_run: Callable[[int], None] | None = None,
) -> list[_Outcome]:
    """The group's runs (``simulate_pinned``): the baseline's outcome, with every input's
    rank correlation, first if ``group.baseline``; then each job's, in order."""
    pins = [{job.input.key: job.u} for job in group.jobs]
    sim = simulate_pinned(
        plan,
        seed=seed,
        n_paths=n_paths,
        pins=pins,
        record_inputs=group.baseline,
        on_run=on_run,
    )
    outcomes = []
    if group.baseline:
        assert sim.inputs is not None
        ranks = _ranks(sim.totals)
        correlations = {
            k: _rank_correlation(rankdata(sim.inputs[k]), ranks) if k in sim.inputs else None
            for k in input_keys(plan)
        }
        outcomes.append(_outcome(plan, sim.totals, correlations=correlations))
    for job, totals, held in zip(group.jobs, sim.pinned, sim.held, strict=True):
        # A vector (growth parameters, noise, walk) has no single value to show.
        key = job.input.key
        value = None if job.input.vector else held.get(key)
        if value is None and not job.input.vector:  # no paths
            value = _pinned_value(plan, seed, key, job.u)
        outcomes.append(_outcome(plan, totals, value=value))
    return outcomes


def _outcome(
    plan: Plan,
    totals: np.ndarray,
    *,
    value: float | None = None,
    correlations: dict[str, float | None] | None = None,
) -> _Outcome:
    p_hit, p_se = hit_probability(totals, plan.target_units)
    median = float(np.median(totals))
    return _Outcome(
        p_hit=p_hit, p_hit_se=p_se, median=median, value=value, correlations=correlations
    )


def _pinned_value(plan: Plan, seed: int, key: str, u: float) -> float:
    """The value an input takes when pinned at ``u`` (the same on every path)."""
    sim = simulate_paths(plan, seed=seed, n_paths=1, pinned={key: u}, record_inputs=True)
    assert sim.inputs is not None
    return float(sim.inputs[key][0])


def rank_correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman's rho (average ranks for ties); None if either does not vary."""
    return _rank_correlation(rankdata(x), _ranks(y))


def _ranks(y: np.ndarray) -> np.ndarray | None:
    """Average ranks of ``y``; None if it does not vary (computed once for every input)."""
    ry = rankdata(y)
    return None if np.ptp(ry) == 0 else ry


def rankdata(x: np.ndarray) -> np.ndarray:
    """Average ranks from 1, ties sharing their mean rank; all NaN if ``x`` has a NaN.

    ``scipy.stats.rankdata``'s values exactly (ranks are whole or half numbers, exact in
    floating point), without importing ``scipy.stats`` (most of a second).
    """
    x = np.ravel(x)
    if np.isnan(x).any():
        return np.full(x.size, np.nan)
    order = np.argsort(x)  # the order within ties changes no average rank
    ordered = x[order]
    new = np.ones(x.size, dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    group = np.cumsum(new) - 1  # each sorted value's tie group
    starts = np.append(np.flatnonzero(new), x.size)  # the groups' first positions, then n
    average = 0.5 * (starts[:-1] + starts[1:] + 1)  # mean of ranks start + 1 ... end
    ranks = np.empty(x.size)
    ranks[order] = average[group]
    return ranks


def _rank_correlation(rx: np.ndarray, ry: np.ndarray | None) -> float | None:
    if ry is None or np.ptp(rx) == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def month_inputs(plan: Plan) -> frozenset[str]:
    """The keys of the plan's event inputs that are month positions (``start``,
    ``step_month``): those whose range the scenario loader declares as months."""
    return frozenset(
        event_input(event, name)
        for event in plan.events
        for name in event.INPUTS
        if name in EVENT_RANGES[event.kind] and EVENT_RANGES[event.kind][name].below_high
    )


def _effect(
    key: str, low: _Outcome, high: _Outcome, base: _Outcome, *, is_month: bool = False
) -> InputEffect:
    assert base.correlations is not None
    return InputEffect(
        input=key,
        low_value=low.value,
        high_value=high.value,
        p_hit_low=low.p_hit,
        p_hit_high=high.p_hit,
        median_low=low.median,
        median_high=high.median,
        rank_correlation=base.correlations.get(key),
        is_month=is_month,
    )


# ---------------------------------------------------------------- output


def sensitivity_rows(result: Sensitivity) -> list[tuple[Cell, ...]]:
    """The CSV rows, one per input in tornado order (columns ``COLUMNS``)."""
    return [
        (
            e.input,
            rounded(e.low_value, 6),
            rounded(e.high_value, 6),
            rounded(e.p_hit_low, 6),
            rounded(e.p_hit_high, 6),
            rounded(e.p_hit_swing, 6),
            rounded(e.median_low, 1),
            rounded(e.median_high, 1),
            rounded(e.median_swing, 1),
            rounded(e.rank_correlation, 4),
        )
        for e in result.effects
    ]


def write_sensitivity(result: Sensitivity, path: str | Path) -> Path:
    """Write the tornado table as CSV, whole or not at all."""
    write_csv(path, COLUMNS, sensitivity_rows(result))
    return Path(path)


def format_sensitivity(result: Sensitivity) -> str:
    """The answer and the tornado table, aligned for the terminal."""
    r = result
    head = (
        f"{r.scenario}: P({r.target:,} in {r.target_year}) = {r.p_hit:.1%} ± {r.p_hit_se:.1%}"
        f", median {r.median:,.0f}, with every input random ({r.n_paths:,} paths, seed {r.seed});"
        f"\neach input held at its {LOW:.0%} and {HIGH:.0%} quantile on the same draws:"
    )
    headers = (
        "input",
        "low",
        "high",
        "P(hit) low",
        "P(hit) high",
        "swing",
        "median low",
        "median high",
        "swing",
        "rank corr",
    )
    rows = [
        (
            e.input,
            value_text(e.low_value, e.is_month, r.target_year),
            value_text(e.high_value, e.is_month, r.target_year),
            f"{e.p_hit_low:.1%}",
            f"{e.p_hit_high:.1%}",
            f"{e.p_hit_swing:.1%}",
            f"{e.median_low:,.0f}",
            f"{e.median_high:,.0f}",
            f"{e.median_swing:,.0f}",
            "" if e.rank_correlation is None else f"{e.rank_correlation:+.2f}",
        )
        for e in r.effects
    ]
    return head + "\n" + align(headers, rows, left={0})


def value_text(value: float | None, is_month: bool, year: int) -> str:
    """An input's held value for people: a month position as the date it falls on in
    ``year``, a large number with thousands separators, a small one to 3 digits."""
    if value is None:
        return ""
    if is_month:
        return format_month_position(value, year)
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
