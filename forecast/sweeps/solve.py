"""What would it take? The value of one assumption at which P(hit) reaches a level.

``solve_p_hit`` varies one scalar assumption of a scenario, named by its ``--set`` key path
(``events[0].weeks``, ``lines.SU7.multiplier``, ``model.noise_scale``). A distribution is
replaced by a fixed value (``Scenario.with_changes({key: value})``, validated as ``--set``
would be), so the answer reads "if the gap lasts exactly 8.5 weeks, P(hit) is 50%", with
every other uncertainty kept.

The search is bisection on common random numbers: every evaluation runs the scenario with
the same ``seed`` and ``n_paths`` and one fit, so the only thing that changes between steps
is the varied value. P(hit) is then a step function of the value, the same on every rerun,
and bisection converges to a crossing of the level without Monte Carlo noise fooling it.

1. The bracket is ``--low``/``--high``, by default the distribution's support (its 0.1% and
   99.9% quantiles when unbounded), or [0, 2 x value] for a fixed number, clipped to the
   values the key accepts (``forecast.scenario.parse.value_range``: fractions to [0, 1],
   month positions to [1, 12.99]).
2. P(hit) at both ends decides the direction; when both are on the same side of the level
   there is no answer in the bracket and ``NoSolutionError`` says so with the range seen.
   (Bisection assumes P(hit) is monotone in the value between the ends; if it is not, the
   answer is one of the crossings.)
3. Halve the bracket, keeping one end that reaches the level and one that does not, until
   it is narrower than ``tol`` (default 1/1000 of the bracket, about 10 steps). The answer
   is the end that reaches the level, so P(hit) there is at least ``level``.

``solve_quantile`` answers the other question: the largest target reached with probability
``q``, i.e. the ``1 - q`` quantile of the annual total.

With ``workers`` (processes, or a dask ``Executor``) the two ends of the bracket are
evaluated in parallel; the bisection itself is sequential, so the answer is identical for any
number of workers.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forecast.engine.parallel import Executor, as_executor, map_ordered
from forecast.engine.run import Fitted, fit_scenario, load_scenario_overrides, run_scenario
from forecast.errors import ConfigError, ForecastError
from forecast.load.bundle import DataBundle, load_bundle
from forecast.months import format_month_position
from forecast.scenario.distributions import AnyDist, did_you_mean, format_number
from forecast.scenario.parse import load_scenario, value_range
from forecast.scenario.types import Scenario

__all__ = [
    "NoSolutionError",
    "QuantileAnswer",
    "Solution",
    "default_bracket",
    "describe_quantile",
    "describe_solution",
    "is_month_position",
    "quantile_with_se",
    "scalar_inputs",
    "solve_p_hit",
    "solve_quantile",
]

MAX_STEPS = 60
"""Bisection steps at most (a bracket shrinks by 2**60 by then)."""

OPEN_END = 0.01
"""How far inside a range's open end a bracket stops: a fixed month position must be below
13 (the end of December), so its bracket ends at 12.99."""


DAYS_A_MONTH = 365.25 / 12
"""For a bracket's width in days, when the value is a month position."""


class NoSolutionError(ForecastError):
    """No value in the bracket brings P(hit) to the level asked for."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Solution:
    """The value of ``key`` at which P(hit) reaches ``level``, and how it was found.

    ``value`` is the end of the final bracket where P(hit) >= ``level``; ``p_hit`` and
    ``p_hit_se`` are P(hit) there and its Monte Carlo standard error. ``low``/``high`` is the
    bracket searched, with P(hit) ``p_low``/``p_high`` at its ends; ``n_steps`` the bisection
    steps after those two runs; ``width`` the final bracket's width.
    """

    scenario: str
    key: str
    level: float
    value: float
    p_hit: float
    p_hit_se: float
    low: float
    high: float
    p_low: float
    p_high: float
    n_steps: int
    width: float
    target: int
    target_year: int
    n_paths: int
    seed: int
    path: Path
    is_month: bool = False  # ``key`` is a month position: printed as a date too


@dataclass(frozen=True, slots=True, kw_only=True)
class QuantileAnswer:
    """The largest annual total reached with probability ``q``: ``units`` ± ``units_se``."""

    scenario: str
    q: float
    units: float
    units_se: float
    target: int
    target_year: int
    p_hit: float
    n_paths: int
    seed: int


# ---------------------------------------------------------------- what can vary


def scalar_inputs(scenario: Scenario) -> dict[str, AnyDist | float]:
    """Every scalar assumption by ``--set`` key path: numbers and distributions.

    Events' numeric fields (``events[i].weeks``), line multipliers set in the scenario
    (``lines.SU7.multiplier``) and ``model.noise_scale``. Month positions are month numbers
    (1.0 = start of January).
    """
    found: dict[str, AnyDist | float] = {"model.noise_scale": scenario.noise_scale}
    for name, settings in scenario.lines.items():
        if isinstance(settings.multiplier, AnyDist):
            found[f"lines.{name}.multiplier"] = settings.multiplier
    for index, event in enumerate(scenario.events):
        for field in dataclasses.fields(event):
            value = getattr(event, field.name)
            if isinstance(value, AnyDist) or (isinstance(value, float) and math.isfinite(value)):
                found[f"events[{index}].{field.name}"] = value
    return found


def current_value(scenario: Scenario, key: str) -> AnyDist | float:
    """The assumption ``key`` holds now; a ``ConfigError`` naming the keys that can vary."""
    inputs = scalar_inputs(scenario)
    if key not in inputs:
        raise ConfigError(
            f"--vary {key}: not a number or a distribution in {scenario.name}"
            f"{did_you_mean(key, list(inputs))} (can vary: {', '.join(inputs)})"
        )
    return inputs[key]


def default_bracket(scenario: Scenario, key: str) -> tuple[float, float]:
    """The plausible range of ``key``: a distribution's support, else [0, 2 x value], clipped."""
    value = current_value(scenario, key)
    if isinstance(value, float) or value.is_fixed:
        number = value if isinstance(value, float) else value.mean
        low, high = sorted((0.0, 2.0 * number))
    else:
        low, high = value.support
        low = value.quantile(0.001) if math.isinf(low) else low
        high = value.quantile(0.999) if math.isinf(high) else high
    floor, ceiling = _limits(scenario, key)
    return max(low, floor), min(high, ceiling)


def is_month_position(scenario: Scenario, key: str) -> bool:
    """Whether ``key`` is a month position (1.0 = the start of January): the loader's month
    range is the one that must stay below its end (``ValueRange.below_high``)."""
    return value_range(scenario, key).below_high


def _limits(scenario: Scenario, key: str) -> tuple[float, float]:
    """The values ``key`` accepts, as the scenario's loader declares them (``value_range``)."""
    allowed = value_range(scenario, key)
    return allowed.low, allowed.high - OPEN_END if allowed.below_high else allowed.high


# ---------------------------------------------------------------- one evaluation


def p_hit_at(
    value: float,
    *,
    scenario: Scenario,
    key: str,
    fitted: Fitted,
    bundle: DataBundle | None = None,
) -> tuple[float, float]:
    """P(hit) and its standard error with ``key`` fixed at ``value`` (a worker's job;
    ``bundle``: the data if already loaded in this process)."""
    variant = scenario.with_changes({key: float(value)}, label="--vary")
    result = run_scenario(variant, fitted=fitted, bundle=bundle)
    return result.summary.p_hit, result.summary.p_hit_se


# ---------------------------------------------------------------- the searches


def solve_p_hit(
    path: str | Path,
    *,
    key: str,
    level: float,
    low: float | None = None,
    high: float | None = None,
    tol: float | None = None,
    n_paths: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    workers: int | Executor = 1,
) -> Solution:
    """The value of ``key`` at which P(hit) reaches ``level``, by bisection on common random numbers.

    Parameters
    ----------
    path : str or Path
        The scenario file.
    key : str
        A scalar assumption as a ``--set`` key path, e.g. ``"events[0].weeks"``.
    level : float
        The P(hit) to reach, strictly between 0 and 1.
    low, high : float, optional
        The bracket (default: ``default_bracket``).
    tol : float, optional
        Stop when the bracket is narrower (default: its width / 1000).
    n_paths, seed : int, optional
        Default: the scenario's.
    overrides : sequence of str
        ``--set`` strings applied before ``key`` is set.
    workers : int or Executor
        Processes (or the ``Executor``) for the two ends of the bracket; the answer does not
        depend on it.

    Raises
    ------
    NoSolutionError
        P(hit) at both ends of the bracket is on the same side of ``level``.
    ConfigError
        ``key`` is not a scalar assumption, or the bracket is empty or out of range.
    """
    scenario = load_scenario_overrides(load_scenario(path, overrides=overrides), n_paths, seed)
    _check_level(level)
    bracket = _bracket(scenario, key, low, high)
    bundle = load_bundle(scenario.data_dir)
    job = functools.partial(
        p_hit_at, scenario=scenario, key=key, fitted=fit_scenario(scenario, bundle=bundle)
    )
    # in this process the data are loaded once; a worker loads its own (a bundle does not
    # pickle)
    evaluate = functools.partial(job, bundle=bundle)
    at_low, at_high = map_ordered(
        evaluate if as_executor(workers).in_process else job, bracket, workers
    )
    if (at_low[0] >= level) == (at_high[0] >= level):
        shown = _shown_value(scenario, key)
        raise NoSolutionError(_no_solution(key, bracket, level, at_low[0], at_high[0], shown))
    tol = (bracket[1] - bracket[0]) / 1000 if tol is None else tol
    ends = ((bracket[0], at_low), (bracket[1], at_high))
    hit, miss = ends if at_low[0] >= level else ends[::-1]
    (value, (p, se)), width, n_steps = _bisect(evaluate, hit, miss[0], level, tol)
    return Solution(
        scenario=scenario.name,
        key=key,
        level=level,
        value=value,
        p_hit=p,
        p_hit_se=se,
        low=bracket[0],
        high=bracket[1],
        p_low=at_low[0],
        p_high=at_high[0],
        n_steps=n_steps,
        width=width,
        target=scenario.target_units,
        target_year=scenario.target_year,
        n_paths=scenario.n_paths,
        seed=scenario.seed,
        path=Path(path),
        is_month=is_month_position(scenario, key),
    )


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ConfigError(f"--p-hit: must be strictly between 0 and 1, got {level:g}")


def _bracket(
    scenario: Scenario, key: str, low: float | None, high: float | None
) -> tuple[float, float]:
    default_low, default_high = default_bracket(scenario, key)
    low = default_low if low is None else float(low)
    high = default_high if high is None else float(high)
    if not low < high:
        raise ConfigError(
            f"--vary {key}: the bracket [{format_number(low)}, {format_number(high)}] is empty; "
            "give --low and --high with low < high"
        )
    return low, high


def _shown_value(scenario: Scenario, key: str) -> Callable[[float], str]:
    """How a value of ``key`` is printed: a month position as a date, else a number."""
    if not is_month_position(scenario, key):
        return format_number
    return functools.partial(_month_text, year=scenario.target_year)


def _month_text(value: float, *, year: int) -> str:
    return f"{format_month_position(value, year)} (month {value:.3f})"


def _no_solution(
    key: str,
    bracket: tuple[float, float],
    level: float,
    p_low: float,
    p_high: float,
    shown: Callable[[float], str] = format_number,
) -> str:
    every = "every" if p_low >= level else "no"
    return (
        f"{every} value of {key} in [{shown(bracket[0])}, {shown(bracket[1])}] "
        f"reaches P(hit) = {level:g} (P(hit) runs from {p_low:.2f} to {p_high:.2f}); "
        "widen the bracket with --low/--high or vary another assumption"
    )


PHit = tuple[float, float]  # P(hit) and its standard error


def _bisect(
    evaluate: Callable[[float], PHit],
    hit: tuple[float, PHit],
    miss: float,
    level: float,
    tol: float,
) -> tuple[tuple[float, PHit], float, int]:
    """Halve [hit, miss] keeping an end where P >= level (``hit``) and one where P < level.

    Returns the final ``hit`` end with its P(hit), the bracket's final width and the steps.
    """
    n_steps = 0
    while abs(hit[0] - miss) > tol and n_steps < MAX_STEPS:
        mid = (hit[0] + miss) / 2
        at_mid = evaluate(mid)
        n_steps += 1
        if at_mid[0] >= level:
            hit = (mid, at_mid)
        else:
            miss = mid
    return hit, abs(hit[0] - miss), n_steps


def quantile_with_se(totals: np.ndarray, q: float) -> tuple[float, float]:
    """The largest value reached with probability ``q``, and its standard error.

    The value is the order statistic ``x[n - ceil(q n)]`` of the sorted ``totals``, the
    largest ``t`` with ``mean(totals >= t) >= q``. Its standard error comes from the binomial
    law of the number of paths below a quantile: ranks ``k +- sqrt(n q (1 - q))`` bound
    about one standard error, so it is half the spread of the values at those ranks
    (Conover, *Practical Nonparametric Statistics*, 3rd ed., 1999, section 3.2).
    """
    x = np.sort(np.asarray(totals, dtype=float))
    n = x.size
    k = n - math.ceil(q * n - 1e-9)
    d = math.sqrt(n * q * (1 - q))
    lo, hi = max(math.floor(k - d), 0), min(math.ceil(k + d), n - 1)
    return float(x[k]), float((x[hi] - x[lo]) / 2)


def solve_quantile(
    path: str | Path,
    *,
    q: float,
    n_paths: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
) -> QuantileAnswer:
    """The largest annual total the scenario reaches with probability ``q``.

    Raises
    ------
    ConfigError
        ``q`` is not strictly between 0 and 1.
    """
    if not 0.0 < q < 1.0:
        raise ConfigError(f"--quantile: must be strictly between 0 and 1, got {q:g}")
    scenario = load_scenario_overrides(load_scenario(path, overrides=overrides), n_paths, seed)
    bundle = load_bundle(scenario.data_dir)
    result = run_scenario(scenario, fitted=fit_scenario(scenario, bundle=bundle), bundle=bundle)
    units, units_se = quantile_with_se(result.paths.sum(axis=1), q)
    s = result.summary
    return QuantileAnswer(
        scenario=s.scenario,
        q=q,
        units=units,
        units_se=units_se,
        target=s.target,
        target_year=s.target_year,
        p_hit=s.p_hit,
        n_paths=result.record.n_paths,
        seed=result.record.seed,
    )


# ---------------------------------------------------------------- printing


def describe_solution(solution: Solution) -> str:
    """The answer ``forecast solve --vary`` prints."""
    s = solution

    shown = functools.partial(_month_text, year=s.target_year) if s.is_month else format_number

    width = format_number(s.width)
    if s.is_month:
        width = f"{s.width * DAYS_A_MONTH:.2g} days"
    return "\n".join(
        [
            f"{s.scenario}: P({s.target:,} in {s.target_year}) reaches {s.level:.1%} "
            f"at {s.key} = {shown(s.value)}",
            f"  P(hit) there: {s.p_hit:.1%} ± {s.p_hit_se:.2%} "
            f"({s.n_paths:,} paths, seed {s.seed}, common random numbers)",
            f"  searched [{shown(s.low)}, {shown(s.high)}] "
            f"(P(hit) {s.p_low:.1%} to {s.p_high:.1%}) in {s.n_steps} bisection steps, "
            f"to within {width}",
            f"  check: forecast run {s.path} --set {s.key}={float(s.value)!r}",
        ]
    )


def describe_quantile(answer: QuantileAnswer) -> str:
    """The answer ``forecast solve --quantile`` prints."""
    a = answer
    return "\n".join(
        [
            f"{a.scenario}: the largest {a.target_year} total reached with probability {_percent(a.q)} "
            f"is {a.units:,.0f} ± {a.units_se:,.0f}",
            f"  (the {_percent(1 - a.q)} quantile of the annual total; {a.n_paths:,} paths, seed {a.seed}); "
            f"P({a.target:,}) = {a.p_hit:.1%}",
        ]
    )


def _percent(x: float) -> str:
    return f"{format_number(round(100 * x, 6))}%"
