"""What to simulate: the target year's months, the actuals to keep, the lines and the events.

``make_plan`` joins a ``FittedModel`` and a ``Scenario`` with the reported monthly totals and
checks that they fit together (every event names a line that exists at ``as_of`` or is
launched by the scenario). The simulator (``simulate.py``) then needs nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from forecast.errors import ConfigError, DataError
from forecast.fit.supply import SupplyFit
from forecast.fit.types import FittedModel, LineFit, RampShape
from forecast.months import format_month, year_months
from forecast.scenario.types import (
    CapacityEvent,
    Dist,
    Event,
    GapEvent,
    LaunchEvent,
    Scenario,
)

__all__ = ["Plan", "make_plan"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """Everything the simulator needs, validated.

    Attributes
    ----------
    months : ndarray[int64], shape (12,)
        The target year's month ordinals; paths cover exactly these.
    n_reported : int
        Leading months of the target year already reported (at or before ``as_of``).
    reported : ndarray, shape (n_reported,)
        Their actual totals, kept unchanged on every path.
    sim_months : ndarray[int64], shape (n_sim,)
        The target-year months after ``as_of``, to simulate. Months between ``as_of`` and
        the year start (if any) only carry the noise state forward; see ``simulate.py``.
    month_pos : ndarray, shape (n_sim,)
        Month positions of ``sim_months`` within the year (1.0 = start of January).
    lines : tuple of LineFit
        The fitted lines with history at ``as_of``.
    log_season : ndarray, shape (n_sim,)
        Additive log seasonal factors of ``sim_months``.
    launch_sigma, launch_phi : float
        Noise of launched lines: the average of the fitted lines' sigma and phi.
    multipliers : Mapping[str, Dist]
        Line name -> demand multiplier, for the lines that set one.
    error_walk : float
        Monthly sd, on the log scale, of the random walk each fitted line's level takes from
        ``as_of``: the model error measured by backtests (``forecast.fit.calibration``); 0 leaves
        the uncertainty as fitted.
    supply : SupplyFit or None
        The company's monthly ceiling (``forecast.fit.supply``), None when the scenario sets
        ``[supply] ceiling = "none"``, the fit has none, or it sets no finite ceiling on
        ``sim_months``.
    cancel : Dist or None
        Share of the waiting backlog cancelled each month (``[supply] cancel``); None: the
        default (``forecast.scenario.types.default_cancel``).
    """

    target_year: int
    target_units: int
    as_of: int
    months: np.ndarray
    n_reported: int
    reported: np.ndarray
    sim_months: np.ndarray
    month_pos: np.ndarray
    lines: tuple[LineFit, ...]
    log_season: np.ndarray
    ramp: RampShape
    events: tuple[Event, ...]
    multipliers: Mapping[str, Dist]
    noise_scale: float
    error_walk: float
    parameter_uncertainty: bool
    launch_sigma: float
    launch_phi: float
    supply: SupplyFit | None = None
    cancel: Dist | None = None

    @property
    def n_sim(self) -> int:
        return int(self.sim_months.size)

    def __repr__(self) -> str:
        # The generated repr prints every array and fitted covariance: a notebook shows the gist.
        lines = ", ".join(self.line_names)
        events = ", ".join(f"{e.kind} {e.name}" for e in self.events) or "no events"
        return (
            f"<Plan {self.target_year} (target {self.target_units:,}): {self.n_reported} "
            f"reported months, {self.n_sim} to simulate; lines {lines}; {events}; "
            f"error walk {self.error_walk:.3g}>"
        )

    @property
    def backlog(self) -> bool:
        """Whether unmet demand can wait: a company ceiling, a gap, or a capacity event
        whose overflow is ``backlog`` (then ``supply.cancel`` is drawn)."""
        return self.supply is not None or any(
            isinstance(e, GapEvent) or (isinstance(e, CapacityEvent) and e.overflow == "backlog")
            for e in self.events
        )

    @property
    def line_names(self) -> tuple[str, ...]:
        """Fitted lines, then launched lines, in scenario order."""
        launched = tuple(e.line for e in self.events if isinstance(e, LaunchEvent))
        return tuple(fit.line for fit in self.lines) + launched


def make_plan(
    fitted: FittedModel,
    scenario: Scenario,
    actual_total: Mapping[int, float] | tuple[np.ndarray, np.ndarray],
    *,
    error_walk: float,
    first_delivery: int | None = None,
) -> Plan:
    """Join the fitted model, the scenario and the reported totals into a ``Plan``.

    ``error_walk`` is the model error the fit cannot see, calibrated on past forecast errors
    (``forecast.fit.calibration``): each fitted line's log level takes a random walk with this
    monthly sd from ``as_of`` (``simulate.py``). 0 leaves the uncertainty as fitted. It is
    required, so no caller skips the calibration by accident: user-facing runs get it from
    ``forecast.engine.pipeline.plan``.

    Parameters
    ----------
    fitted : FittedModel
        Fitted on the history cut at ``scenario.as_of``.
    scenario : Scenario
    actual_total : Mapping[int, float] or (months (k,), totals (k,))
        Reported monthly totals by month ordinal, e.g. ``(reconciled.months, reconciled.total)``.
        Must cover every target-year month up to ``as_of`` from ``first_delivery`` on.
    first_delivery : int, optional
        The company's first month of deliveries (``History.first_delivery``): the months
        before it are zero. None (unknown): every reported month needs a total.

    Raises
    ------
    ConfigError
        An event names a line with no history at ``as_of`` and no launch, a launch names a
        line that already has history, or two events share a name; all problems at once.
    DataError
        A reported month of the target year has no total.
    """
    as_of = scenario.as_of
    if fitted.as_of != as_of:
        raise ValueError(f"model fitted as of {fitted.as_of}, scenario as of {as_of}")
    late = [fit.line for fit in fitted.lines if fit.last_month > as_of]
    if late:
        raise ValueError(f"lines fitted beyond as_of: {late}")
    _check_events(scenario, fitted, as_of)
    months = np.array(year_months(scenario.target_year), dtype=np.int64)
    n_reported = int(np.sum(months <= as_of))
    sim_months = months[n_reported:]
    walk = float(error_walk)
    if not (np.isfinite(walk) and walk >= 0):
        raise ValueError(f"error_walk must be a finite number >= 0, got {error_walk!r}")
    lines = fitted.lines
    return Plan(
        target_year=scenario.target_year,
        target_units=scenario.target_units,
        as_of=as_of,
        months=months,
        n_reported=n_reported,
        reported=_reported(actual_total, months[:n_reported], as_of, first_delivery),
        sim_months=sim_months,
        month_pos=(sim_months - months[0] + 1).astype(float),
        lines=lines,
        log_season=np.asarray(fitted.seasonality.log_factors(sim_months), dtype=float),
        ramp=fitted.ramp,
        events=scenario.events,
        multipliers=MappingProxyType(
            {k: v.multiplier for k, v in scenario.lines.items() if v.multiplier is not None}
        ),
        noise_scale=float(scenario.noise_scale),
        error_walk=walk,
        parameter_uncertainty=bool(scenario.parameter_uncertainty),
        launch_sigma=float(np.mean([f.sigma for f in lines])) if lines else 0.0,
        launch_phi=float(np.mean([f.phi for f in lines])) if lines else 0.0,
        supply=_supply(fitted.supply, scenario, sim_months),
        cancel=scenario.supply.cancel_dist,
    )


def _supply(supply: SupplyFit | None, scenario: Scenario, sim_months: np.ndarray):
    """The fitted ceiling when the scenario keeps it and it bounds a simulated month."""
    if supply is None or scenario.supply.ceiling == "none" or not sim_months.size:
        return None
    return supply if supply.bounded(sim_months) else None


def _check_events(scenario: Scenario, fitted: FittedModel, as_of: int) -> None:
    problems = [
        f"events: {scenario.events[index].name}: {problem}"
        for index, problem in event_line_problems(scenario, {fit.line for fit in fitted.lines})
    ]
    if problems:
        raise ConfigError(problems)


def event_line_problems(scenario: Scenario, lines: Iterable[str]) -> list[tuple[int, str]]:
    """(event index, problem) for each event whose line the data cannot serve: ``lines`` are
    those with deliveries by ``scenario.as_of``; a launch needs a new line, launched once, and
    any other event a line in ``lines`` or launched. ``forecast.engine.pipeline.check_scenario``
    runs it on the data before fitting, ``make_plan`` again on the fit."""
    as_of, fitted_names = scenario.as_of, set(lines)
    launched = [e.line for e in scenario.events if isinstance(e, LaunchEvent)]
    known = fitted_names | set(launched)
    problems: list[tuple[int, str]] = []
    seen: set[str] = set()
    for index, event in enumerate(scenario.events):
        if event.name in seen:
            problems.append((index, "another event has the same name"))
        seen.add(event.name)
        if isinstance(event, LaunchEvent):
            if event.line in fitted_names:
                problems.append(
                    (
                        index,
                        f"line {event.line!r} already has deliveries by "
                        f"{format_month(as_of)}; a launch needs a new line",
                    )
                )
            elif launched.count(event.line) > 1:
                problems.append((index, f"line {event.line!r} is launched more than once"))
        elif event.line is not None and event.line not in known:
            names = ", ".join(sorted(known)) or "none"
            problems.append(
                (
                    index,
                    f"line {event.line!r} has no deliveries by {format_month(as_of)} "
                    f"and no launch event (lines: {names})",
                )
            )
    return problems


def _reported(
    actual_total: Mapping[int, float] | tuple[np.ndarray, np.ndarray],
    months: np.ndarray,
    as_of: int,
    first_delivery: int | None,
) -> np.ndarray:
    if isinstance(actual_total, Mapping):
        table = {int(k): float(v) for k, v in actual_total.items()}
    else:
        keys, values = actual_total
        table = {
            int(k): float(v) for k, v in zip(np.asarray(keys), np.asarray(values), strict=True)
        }
    if first_delivery is not None:  # nothing was delivered before the first delivery
        table = {int(m): 0.0 for m in months if m < first_delivery} | table
    missing = [format_month(m) for m in months if int(m) not in table]
    if missing:
        raise DataError(
            [f"history: no reported total for {m} (as of {format_month(as_of)})" for m in missing]
        )
    return np.array([table[int(m)] for m in months], dtype=float)
