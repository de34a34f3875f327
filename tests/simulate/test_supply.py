"""Supply in the simulation: ceilings, stops on production, a cancelling backlog."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.fit.supply import LEVELS, SupplyFit
from forecast.fit.types import FittedModel, LineFit
from forecast.months import month_ordinal
from forecast.scenario.distributions import Fixed, Uniform
from forecast.scenario.types import (
    CapacityEvent,
    GapEvent,
    MultiplierEvent,
    Scenario,
    SupplySettings,
)
from forecast.simulate import events as ev
from forecast.simulate.inputs import input_keys
from forecast.simulate.paths import BLOCK, simulate_paths
from forecast.simulate.plan import make_plan
from forecast.simulate.supply import deliver

JAN = month_ordinal(2026, 1)
DEC25 = month_ordinal(2025, 12)
NO_CANCEL = SupplySettings(cancel=Fixed(value=0.0))


class Flat:
    def log_factors(self, months: np.ndarray) -> np.ndarray:
        return np.zeros(len(months))


class Ramp:
    def fraction(self, months_since_start: np.ndarray, u: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(months_since_start)[None, :] / (1 + 3 * u[:, None]), 0, 1)


def line(name: str, level: float, *, sigma: float = 0.0) -> LineFit:
    return LineFit(
        line=name,
        family="loglinear",
        param_names=("c", "g"),
        params=np.array([math.log(level), 0.0]),
        cov=np.zeros((2, 2)),
        origin=DEC25 + 1,
        sigma=sigma,
        phi=0.3,
        last_resid=0.0,
        last_month=DEC25,
    )


def stated_supply(low: float, high: float, demonstrated: float = 0.0) -> SupplyFit:
    return SupplyFit(
        as_of=DEC25,
        demonstrated=demonstrated,
        stated_start=np.array([DEC25], dtype=np.int64),
        stated_low=np.array([low]),
        stated_high=np.array([high]),
        growth=np.zeros((0, LEVELS.size)),
    )


def plan(lines, events=(), *, supply=None, settings=NO_CANCEL):
    fitted = FittedModel(
        lines=tuple(lines), seasonality=Flat(), ramp=Ramp(), as_of=DEC25, supply=supply
    )
    scenario = Scenario(
        name="t",
        description="",
        path=None,
        target_year=2026,
        target_units=500_000,
        data_dir=Path("."),
        as_of=DEC25,
        noise_scale=1.0,
        error_walk=0.0,
        events=tuple(events),
        supply=settings,
    )
    return make_plan(fitted, scenario, {DEC25: 1.0}, error_walk=0.0)


def gap(name="stop", *, line=None, start=6.0, weeks=2 * ev.WEEKS_PER_MONTH, level=0.0):
    return GapEvent(
        name=name,
        line=line,
        start=Fixed(value=start),
        weeks=Fixed(value=weeks),
        ramp_weeks=Fixed(value=0.0),
        level=Fixed(value=level),
    )


def cap(limit, *, name="plant", line=None, overflow="backlog"):
    return CapacityEvent(
        name=name, line=line, limit=limit, step_month=None, step_limit=None, overflow=overflow
    )


# ------------------------------------------------------------------ deliver, by hand


def test_a_stop_waits_and_its_backlog_is_cancelled_in_part() -> None:
    demand = np.array([[100.0, 100.0, 100.0, 100.0]])
    stop = np.array([[1.0, 0.0, 0.5, 1.0]])
    out, ceiling, _ = deliver(demand, lost=[], limits=[], gaps=[stop], cancel=np.array([0.5]))
    # no ceiling: normal output is demand; 100 waits in month 2, half of it is cancelled,
    # month 3 makes 50 of the 150 due, 50 of the 100 left survive, month 4 clears 150
    assert ceiling.tolist() == [[np.inf, 0.0, 50.0, np.inf]]
    assert out.tolist() == [[100.0, 0.0, 50.0, 150.0]]


def test_lost_and_waiting_ceilings_combine() -> None:
    demand = np.array([[100.0, 100.0, 100.0]])
    lost = np.array([[90.0, 90.0, 90.0]])
    limit = np.array([[80.0, 60.0, 200.0]])
    out, ceiling, lines = deliver(
        demand,
        lost=[lost],
        limits=[limit],
        gaps=[],
        cancel=np.array([0.0]),
        lines=np.array([demand * 0.25, demand * 0.75]),
    )
    # 10 a month is lost above 90; of 90 due, 80 and 60 are made, the rest waits
    assert ceiling.tolist() == [[80.0, 60.0, 90.0]]
    assert out.tolist() == [[80.0, 60.0, 90.0]]
    assert lines is not None and lines.sum(axis=0) == pytest.approx(out)
    assert lines[0] == pytest.approx(out * 0.25)


def test_nothing_to_bound_leaves_demand_as_it_is() -> None:
    demand = np.array([[5.0, 6.0]])
    out, ceiling, _ = deliver(demand, lost=[], limits=[], gaps=[], cancel=np.array([0.3]))
    assert out is demand and np.isinf(ceiling).all()


# ------------------------------------------------------------------ the cases


def test_a_whole_plant_stop_under_a_ceiling_delivers_nothing_in_june() -> None:
    events = (gap(), cap(Fixed(value=45_000.0)))
    result = simulate_paths(plan([line("A", 60_000.0)], events), seed=1, n_paths=8)
    june = result.paths[:, 5]
    assert june.tolist() == [0.0] * 8
    assert result.paths[0, :5].tolist() == [45_000.0] * 5
    assert result.paths[0, 6].tolist() == 0.0  # two months' stop: July too
    assert result.paths[0, 7].tolist() == 45_000.0  # then the ceiling again


def test_the_order_of_events_in_the_file_changes_nothing() -> None:
    events = (
        gap(start=5.5, weeks=6.0),
        gap("a_line_stop", line="A", start=3.2, weeks=3.0, level=0.3),
        cap(Uniform(low=40_000, high=50_000)),
        cap(Fixed(value=30_000.0), name="line_cap", line="A"),
        MultiplierEvent(
            name="dip", kind="dip", line=None, months=(JAN + 8,), factor=Fixed(value=0.6)
        ),
    )
    lines = [line("A", 35_000.0, sigma=0.2), line("B", 25_000.0, sigma=0.2)]
    supply = stated_supply(42_000.0, 56_000.0)
    settings = SupplySettings(cancel=Uniform(low=0.0, high=0.3))
    one = simulate_paths(plan(lines, events, supply=supply, settings=settings), seed=2, n_paths=500)
    back = plan(lines, events[::-1], supply=supply, settings=settings)
    two = simulate_paths(back, seed=2, n_paths=500)
    assert one.paths.tobytes() == two.paths.tobytes()


def test_a_stopped_line_delivers_nothing_whatever_its_demand() -> None:
    events = (
        gap(line="A", start=3.0, weeks=ev.WEEKS_PER_MONTH),
        MultiplierEvent(
            name="push", kind="boost", line="A", months=(JAN + 2,), factor=Fixed(value=3.0)
        ),
    )
    result = simulate_paths(
        plan([line("A", 100.0), line("B", 50.0)], events), seed=1, n_paths=2, record_lines=True
    )
    assert result.lines is not None
    a = result.lines["A"][0]
    assert a[2] == 0.0  # March stopped, though demand tripled
    assert a[3] == pytest.approx(100.0 + 300.0)  # April: its demand and March's, no cancelling
    assert result.paths[0, 2] == pytest.approx(50.0)  # the other line goes on


def test_cancelling_every_month_loses_the_stopped_demand() -> None:
    events = (gap(line="A", start=3.0, weeks=ev.WEEKS_PER_MONTH),)
    settings = SupplySettings(cancel=Fixed(value=1.0))
    result = simulate_paths(plan([line("A", 100.0)], events, settings=settings), seed=1, n_paths=2)
    assert result.paths[0].tolist() == pytest.approx([100.0, 100.0, 0.0] + [100.0] * 9)


def test_the_fitted_ceiling_is_one_draw_per_path_and_can_be_switched_off() -> None:
    supply = stated_supply(80.0, 120.0)
    bounded = plan([line("A", 200.0)], supply=supply)
    assert input_keys(bounded) == ("supply.ceiling",)  # cancel is fixed here
    result = simulate_paths(bounded, seed=3, n_paths=1000, record_inputs=True, record_ceiling=True)
    assert result.inputs is not None and result.ceiling is not None
    december = result.inputs["supply.ceiling"]
    assert np.all((december >= 80.0) & (december <= 120.0)) and np.ptp(december) > 30
    assert np.array_equal(result.ceiling, np.repeat(december[:, None], 12, axis=1))
    assert np.array_equal(result.paths, result.ceiling)  # demand 200 always exceeds it
    pinned = simulate_paths(bounded, seed=3, n_paths=10, pinned={"supply.ceiling": 0.25})
    assert pinned.paths[0].tolist() == [90.0] * 12
    free = plan([line("A", 200.0)], supply=supply, settings=SupplySettings(ceiling="none"))
    assert free.supply is None and input_keys(free) == ()
    assert simulate_paths(free, seed=3, n_paths=4).paths[0].tolist() == pytest.approx([200.0] * 12)


def test_a_ceiling_event_cannot_raise_the_fitted_ceiling() -> None:
    events = (cap(Fixed(value=150.0)),)
    result = simulate_paths(
        plan([line("A", 200.0)], events, supply=stated_supply(100.0, 100.0)), seed=1, n_paths=2
    )
    assert result.paths[0].tolist() == [100.0] * 12


def test_the_ceiling_does_not_depend_on_the_chunk_size() -> None:
    events = (gap(start=4.5, weeks=5.0), cap(Uniform(low=50, high=90), name="a", line="A"))
    the_plan = plan(
        [line("A", 80.0, sigma=0.3), line("B", 40.0, sigma=0.3)],
        events,
        supply=stated_supply(90.0, 130.0),
        settings=SupplySettings(),
    )
    n = BLOCK + 300
    one = simulate_paths(the_plan, seed=5, n_paths=n, record_ceiling=True)
    two = simulate_paths(the_plan, seed=5, n_paths=n, chunk_size=2 * BLOCK, record_ceiling=True)
    assert np.array_equal(one.paths, two.paths) and np.array_equal(one.ceiling, two.ceiling)


# ------------------------------------------------------------------ the invariant

_starts = st.floats(1.0, 12.5)
_weeks = st.floats(0.0, 30.0)
_levels = st.floats(0.0, 1.0)


@st.composite
def small_plans(draw):
    lines = [line("A", draw(st.floats(10, 500)), sigma=draw(st.floats(0, 0.6)))]
    if draw(st.booleans()):
        lines.append(line("B", draw(st.floats(10, 500)), sigma=draw(st.floats(0, 0.6))))
    names = [fit.line for fit in lines]
    events = []
    for i in range(draw(st.integers(0, 3))):
        where = draw(st.sampled_from([None, *names]))
        if draw(st.booleans()):
            events.append(
                gap(
                    f"g{i}",
                    line=where,
                    start=draw(_starts),
                    weeks=draw(_weeks),
                    level=draw(_levels),
                )
            )
        else:
            low = draw(st.floats(5, 400))
            limit = Uniform(low=low, high=low + draw(st.floats(1, 200)))
            overflow = draw(st.sampled_from(["lost", "backlog"]))
            events.append(cap(limit, name=f"c{i}", line=where, overflow=overflow))
    supply = None
    if draw(st.booleans()):
        low = draw(st.floats(20, 600))
        supply = stated_supply(low, low + draw(st.floats(0, 300)), draw(st.floats(0, 300)))
    cancel = Uniform(low=0.0, high=draw(st.floats(0.01, 1.0)))
    return plan(lines, events, supply=supply, settings=SupplySettings(cancel=cancel))


@settings(max_examples=40, deadline=None)
@given(the_plan=small_plans(), seed=st.integers(0, 2**32))
def test_no_simulated_month_exceeds_the_ceiling_its_own_draws_set(the_plan, seed) -> None:
    result = simulate_paths(the_plan, seed=seed, n_paths=200, record_ceiling=True)
    assert result.ceiling is not None
    simulated = result.paths[:, the_plan.n_reported :]
    assert np.all(simulated >= 0) and np.all(np.isfinite(simulated))
    assert np.all(simulated <= result.ceiling * (1 + 1e-12))
    if the_plan.supply is not None:  # the fitted ceiling is one of the bounds
        fitted = the_plan.supply.ceiling(the_plan.sim_months, np.ones(1))
        assert np.all(simulated <= fitted * (1 + 1e-12))


def test_plans_are_frozen_with_their_supply() -> None:
    the_plan = plan([line("A", 1.0)], supply=stated_supply(1.0, 2.0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        the_plan.supply = None  # type: ignore[misc]
