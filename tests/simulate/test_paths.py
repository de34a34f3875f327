"""The Monte Carlo engine: hand-computed paths, invariants, streams and pins."""

from __future__ import annotations

import collections
import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.errors import ConfigError, DataError
from forecast.fit.types import FittedModel, LineFit
from forecast.months import month_ordinal
from forecast.scenario.distributions import Fixed, Uniform
from forecast.scenario.types import (
    CapacityEvent,
    GapEvent,
    LaunchEvent,
    LineSettings,
    MultiplierEvent,
    Scenario,
    ShockEvent,
    event_inputs,
)
from forecast.simulate import events as ev
from forecast.simulate import paths
from forecast.simulate.inputs import event_input, plan_inputs
from forecast.simulate.paths import (
    BLOCK,
    input_keys,
    iter_chunks,
    simulate_paths,
    simulate_pinned,
)
from forecast.simulate.plan import Plan, make_plan

JAN = month_ordinal(2026, 1)
DEC25 = month_ordinal(2025, 12)
SEASON = np.log(np.array([0.7, 0.8, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.1, 1.1, 1.3]))


class Season:
    def __init__(self, table: np.ndarray = SEASON) -> None:
        self.table = table

    def log_factors(self, months: np.ndarray) -> np.ndarray:
        return self.table[np.asarray(months) % 12]


class Ramp:
    """Linear to 1 over 1 + 3u months: non-decreasing in time and in u."""

    def fraction(self, months_since_start: np.ndarray, u: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(months_since_start)[None, :] / (1 + 3 * u[:, None]), 0, 1)


def line(
    name="SU7", level=100.0, growth=0.0, *, sigma=0.0, phi=0.0, cov=0.0, resid=0.0, last=DEC25
):
    """A log-linear line at ``level`` in the month after ``last``."""
    return LineFit(
        line=name,
        family="loglinear",
        param_names=("c", "g"),
        params=np.array([math.log(level), growth]),
        cov=np.diag([cov, cov / 100]),
        origin=last + 1,
        sigma=sigma,
        phi=phi,
        last_resid=resid,
        last_month=last,
    )


def make(
    lines=(),
    events=(),
    *,
    as_of=DEC25,
    season=None,
    noise_scale=1.0,
    uncertain=True,
    settings=None,
    error_walk=0.0,
) -> Plan:
    fitted = FittedModel(
        lines=tuple(lines) or (line(last=as_of),),
        seasonality=Season(season if season is not None else np.zeros(12)),
        ramp=Ramp(),
        as_of=as_of,
    )
    scenario = Scenario(
        name="t",
        description="",
        path=None,
        target_year=2026,
        target_units=550_000,
        data_dir=Path("."),
        as_of=as_of,
        lines=settings or {},
        noise_scale=noise_scale,
        parameter_uncertainty=uncertain,
        events=tuple(events),
    )
    actual = {m: 1000.0 + m % 12 for m in range(month_ordinal(2024, 4), month_ordinal(2027, 1))}
    return make_plan(fitted, scenario, actual, error_walk=error_walk)


ONE_MONTH = Fixed(value=4.345)
MID_JAN = Fixed(value=1.5)
AT_ONCE = Fixed(value=0.0)
TWO_TO_EIGHT = Uniform(low=2, high=8)


def gap(weeks=ONE_MONTH, *, start=MID_JAN, ramp_weeks=AT_ONCE, line="SU7"):
    return GapEvent(
        name="gap",
        line=line,
        start=start,
        weeks=weeks,
        ramp_weeks=ramp_weeks,
        level=Fixed(value=0.0),
    )


def cap(limit, *, name="cap", line=None, overflow="lost", step=None, step_limit=None):
    return CapacityEvent(
        name=name, line=line, limit=limit, step_month=step, step_limit=step_limit, overflow=overflow
    )


def every_event(weeks=TWO_TO_EIGHT) -> tuple:
    """One event of each kind, all uncertain, on two lines plus a launch."""
    return (
        gap(weeks, start=Uniform(low=2, high=4), ramp_weeks=None),
        MultiplierEvent(
            name="jan", kind="dip", line=None, months=(JAN,), factor=Uniform(low=0.7, high=0.9)
        ),
        MultiplierEvent(
            name="dec",
            kind="boost",
            line="YU7",
            months=(JAN + 11,),
            factor=Uniform(low=1, high=1.3),
        ),
        cap(
            Uniform(low=150, high=250),
            name="su7cap",
            line="SU7",
            step=Uniform(low=5, high=9),
            step_limit=Fixed(value=400),
        ),
        cap(Fixed(value=600.0), name="total", overflow="backlog"),
        LaunchEvent(
            name="yu9",
            line="YU9",
            start=Uniform(low=5, high=8),
            level=Uniform(low=50, high=150),
            ramp_months=None,
        ),
        ShockEvent(
            name="recall",
            line=None,
            probability=0.3,
            start=Uniform(low=3, high=10),
            months=Fixed(value=2),
            size=Uniform(low=0.1, high=0.4),
        ),
    )


def noisy_lines(as_of=DEC25):
    return (
        line("SU7", 200.0, 0.01, sigma=0.15, phi=0.5, cov=0.01, resid=0.1, last=as_of),
        line("YU7", 150.0, 0.03, sigma=0.2, phi=0.3, cov=0.02, resid=-0.05, last=as_of),
    )


# ------------------------------------------------------------------ hand-computed paths


def test_without_noise_or_parameter_draws_every_path_is_the_point_forecast() -> None:
    fit = line("SU7", 100.0, 0.02, sigma=0.3, phi=0.5, cov=0.1, resid=0.2, last=JAN)
    plan = make([fit], as_of=JAN, season=SEASON, noise_scale=0.0, uncertain=False)
    paths = simulate_paths(plan, seed=1, n_paths=5).paths
    j = np.arange(1, 12)  # Feb..Dec are 1..11 months after the last fitted month
    want = 100.0 * np.exp(0.02 * (j - 1) + SEASON[1:] + 0.5**j * 0.2)
    assert paths[:, 0].tolist() == [1000.0] * 5  # reported January
    assert paths[:, 1:] == pytest.approx(np.broadcast_to(want, (5, 11)), rel=1e-12)


def test_the_noise_state_is_carried_over_months_before_the_target_year() -> None:
    as_of = month_ordinal(2025, 10)
    plan = make([line(resid=0.2, phi=0.5, sigma=0.1, last=as_of)], as_of=as_of, noise_scale=0.0)
    result = simulate_paths(plan, seed=1, n_paths=2)
    assert result.n_reported == 0
    want = 100.0 * np.exp(0.5 ** np.arange(3, 15) * 0.2)  # Nov, Dec are steps 1, 2
    assert result.paths[0] == pytest.approx(want, rel=1e-12)


def test_hand_made_gap_dip_and_capacity() -> None:
    events = (
        gap(),  # stopped from mid-January for one month, back at once
        MultiplierEvent(
            name="mar", kind="dip", line=None, months=(JAN + 2,), factor=Fixed(value=0.5)
        ),
        cap(Fixed(value=80.0)),
    )
    paths = simulate_paths(make(events=events), seed=3, n_paths=4).paths
    # The stop makes nothing from mid-January to mid-February; the 100 not made waits (less
    # at most 20% a month cancelled) and comes in March, on top of its halved demand of 50,
    # up to the ceiling of 80.
    assert paths[0].tolist() == pytest.approx([50, 50, 80] + [80] * 9)
    assert np.all(paths == paths[0])


def test_hand_made_launch_and_backlog() -> None:
    launch = LaunchEvent(
        name="yu7",
        line="YU7",
        start=Fixed(value=3.0),
        level=Fixed(value=1000.0),
        ramp_months=Fixed(value=2.0),
    )
    plan = make(events=(launch, cap(Fixed(value=900.0), overflow="backlog")))
    result = simulate_paths(plan, seed=3, n_paths=2, record_lines=True)
    assert result.lines is not None
    assert result.lines["YU7"][0].tolist() == pytest.approx([0, 0, 250, 750] + [900 * 10 / 11] * 8)
    # Demand 100, 100, 350, 850, then 1100 a month; the backlog never clears (1100 > 900).
    assert result.paths[0].tolist() == pytest.approx([100, 100, 350, 850] + [900] * 8)


def test_multiplier_applies_to_its_line() -> None:
    settings = {"SU7": LineSettings(multiplier=Fixed(value=1.5))}
    plan = make([line("SU7"), line("YU7", 10.0)], settings=settings)
    paths = simulate_paths(plan, seed=0, n_paths=1).paths
    assert paths[0].tolist() == pytest.approx([160.0] * 12)


# ------------------------------------------------------------------ invariants


@settings(max_examples=12, deadline=None)
@given(as_of_month=st.integers(1, 12), seed=st.integers(0, 2**32))
def test_reported_months_are_never_changed(as_of_month: int, seed: int) -> None:
    as_of = month_ordinal(2026, as_of_month)
    plan = make(noisy_lines(as_of), every_event(), as_of=as_of)
    paths = simulate_paths(plan, seed=seed, n_paths=300).paths
    reported = np.array([1000.0 + m for m in range(as_of_month)])
    assert np.array_equal(paths[:, :as_of_month], np.broadcast_to(reported, (300, as_of_month)))
    assert np.all(np.isfinite(paths)) and np.all(paths >= 0)


def test_caps_are_never_exceeded() -> None:
    for overflow in ("lost", "backlog"):
        su7 = cap(Uniform(low=100, high=220), name="su7cap", line="SU7")
        plan = make(noisy_lines(), (su7, cap(Fixed(value=330.0), overflow=overflow)))
        result = simulate_paths(plan, seed=5, n_paths=4000, record_inputs=True, record_lines=True)
        assert result.inputs is not None and result.lines is not None
        assert np.all(result.paths <= 330.0 * (1 + 1e-12))
        assert np.mean(result.paths[:, -1] >= 330 - 1e-9) > 0.5  # the cap binds: teeth
        lines_total = result.lines["SU7"] + result.lines["YU7"]
        assert lines_total == pytest.approx(result.paths, rel=1e-12)
        if overflow == "lost":  # (a backlog on the total may deliver SU7's excess later)
            limit = result.inputs["events.su7cap.limit"][:, None]
            assert np.all(result.lines["SU7"] <= limit * (1 + 1e-12))


@pytest.mark.parametrize(
    "short,long",
    [
        (Fixed(value=0.0), Fixed(value=2.0)),
        (Fixed(value=2.0), Fixed(value=9.0)),
        (Uniform(low=2, high=8), Uniform(low=4, high=12)),
    ],
)
def test_a_longer_gap_never_raises_any_path_total(short, long) -> None:
    totals = [
        simulate_paths(make(noisy_lines(), every_event(weeks)), seed=11, n_paths=3000).totals
        for weeks in (short, long)
    ]
    assert np.all(totals[1] <= totals[0] * (1 + 1e-12))
    assert np.mean(totals[1] < totals[0] * (1 - 1e-6)) > 0.5


# ------------------------------------------------------------------ streams


def test_chunk_size_does_not_change_the_result() -> None:
    plan = make(noisy_lines(), every_event(), error_walk=0.2)
    n = BLOCK + 700
    one = simulate_paths(plan, seed=7, n_paths=n, record_inputs=True)
    two = simulate_paths(plan, seed=7, n_paths=n, chunk_size=2 * BLOCK, record_inputs=True)
    assert np.array_equal(one.paths, two.paths)
    assert one.inputs is not None and two.inputs is not None
    assert all(np.array_equal(one.inputs[k], two.inputs[k]) for k in one.inputs)
    first = simulate_paths(plan, seed=7, n_paths=100).paths
    assert np.array_equal(first, one.paths[:100])  # the first paths do not depend on n_paths
    chunks = list(iter_chunks(plan, seed=7, n_paths=n, chunk_size=2 * BLOCK))
    assert [rows for rows, _ in chunks] == [slice(0, n)]
    assert np.array_equal(chunks[0][1], one.paths)


def test_the_stream_keys_stay_as_they_are() -> None:
    """Every input's name keys its random stream: renaming one changes every run's numbers."""
    plan = make(noisy_lines(), every_event(), error_walk=0.2)
    assert input_keys(plan) == (
        "model.params",
        "model.noise",
        "model.error_walk",
        "lines.SU7.params",
        "lines.SU7.noise",
        "lines.SU7.error_walk",
        "lines.YU7.params",
        "lines.YU7.noise",
        "lines.YU7.error_walk",
        "lines.YU9.noise",
        "events.gap.start",
        "events.gap.weeks",
        "events.gap.ramp",
        "events.jan.factor",
        "events.dec.factor",
        "events.su7cap.limit",
        "events.su7cap.step_month",
        "events.yu9.start",
        "events.yu9.level",
        "events.yu9.ramp",
        "events.recall.start",
        "events.recall.size",
        "events.recall.occurs",
        "supply.cancel",
    )
    vectors = {i.key for i in plan_inputs(plan) if i.vector}
    assert vectors == {k for k in input_keys(plan) if k.endswith(("params", "noise", "walk"))}


def test_what_each_event_declares_is_what_the_engine_draws() -> None:
    plan = make(noisy_lines(), every_event())
    recorded = simulate_paths(plan, seed=3, n_paths=200, record_inputs=True).inputs
    assert recorded is not None
    for event in plan.events:
        declared = {event_input(event, n) for n, d in event_inputs(event) if not d.is_fixed}
        drawn = {k for k in recorded if k.startswith(f"events.{event.name}.")}
        assert drawn == declared, event.name
    # A length of ramp given: drawn as a length, and no ramp speed.
    assert [n for n, _ in event_inputs(gap(ramp_weeks=TWO_TO_EIGHT))] == [
        "start",
        "weeks",
        "level",
        "ramp_weeks",
    ]


def test_a_dip_is_events_multiplier_factor_on_the_demand() -> None:
    factor = Uniform(low=0.5, high=0.9)
    dip = MultiplierEvent(
        name="feb", kind="dip", line=None, months=(JAN + 1, JAN + 3), factor=factor
    )
    one_line = noisy_lines()[:1]  # a total of one line is that line, to the last bit
    without = simulate_paths(make(one_line), seed=5, n_paths=300)
    with_dip = simulate_paths(make(one_line, (dip,)), seed=5, n_paths=300, record_inputs=True)
    assert with_dip.inputs is not None
    flags = np.isin(np.arange(JAN, JAN + 12), dip.months)
    factor = ev.multiplier_factor(with_dip.inputs["events.feb.factor"], flags)
    assert np.array_equal(with_dip.paths, without.paths * factor)


def test_adding_an_event_leaves_the_other_draws_alone() -> None:
    base = make(noisy_lines(), every_event()[:3])
    more = make(noisy_lines(), every_event())
    a = simulate_paths(base, seed=9, n_paths=500, record_inputs=True).inputs
    b = simulate_paths(more, seed=9, n_paths=500, record_inputs=True).inputs
    assert a is not None and b is not None
    assert set(a) < set(b) and "lines.SU7.noise" in a and "events.gap.weeks" in a
    assert all(np.array_equal(a[k], b[k]) for k in a if k != "model.noise")


def test_pinning_one_input_changes_only_that_input() -> None:
    plan = make(noisy_lines(), every_event(), error_walk=0.2)
    free = simulate_paths(plan, seed=4, n_paths=800, record_inputs=True).inputs
    held = simulate_paths(
        plan, seed=4, n_paths=800, record_inputs=True, pinned={"events.gap.weeks": 0.9}
    ).inputs
    assert free is not None and held is not None and set(free) == set(held) == set(input_keys(plan))
    assert np.all(held["events.gap.weeks"] == pytest.approx(2 + 0.9 * 6))
    assert all(np.array_equal(free[k], held[k]) for k in free if k != "events.gap.weeks")
    walk = simulate_paths(
        plan, seed=4, n_paths=800, record_inputs=True, pinned={"lines.SU7.error_walk": 0.9}
    ).inputs
    assert walk is not None and np.all(
        walk["lines.SU7.error_walk"] == pytest.approx(1.2815515655446004)
    )
    changed = {k for k in free if not np.array_equal(free[k], walk[k])}
    assert changed == {"lines.SU7.error_walk", "model.error_walk"}  # the total moves with its part


def test_pinned_vector_inputs_sit_at_their_quantile() -> None:
    plan = make(noisy_lines(), noise_scale=1.0, error_walk=0.2)
    pins = {"model.params": 0.5, "model.noise": 0.5, "model.error_walk": 0.5}
    held = simulate_paths(plan, seed=4, n_paths=50, pinned=pins).paths
    point = simulate_paths(
        make(noisy_lines(), noise_scale=0.0, uncertain=False), seed=4, n_paths=1
    ).paths
    assert held == pytest.approx(np.broadcast_to(point, held.shape), rel=1e-12)
    high = simulate_paths(
        plan, seed=4, n_paths=1, pinned={"lines.YU7.params": 0.9}, record_inputs=True
    )
    assert high.inputs is not None
    assert high.inputs["lines.YU7.params"][0] == pytest.approx(1.2815515655446004)
    assert high.totals[0] > point.sum()
    low = simulate_paths(
        plan, seed=4, n_paths=1, pinned={**pins, "model.error_walk": 0.1}, record_inputs=True
    )
    assert low.inputs is not None
    assert low.inputs["model.error_walk"][0] == pytest.approx(-1.2815515655446004)
    assert low.totals[0] < point.sum()


def test_bad_pins_are_config_errors() -> None:
    plan = make(noisy_lines(), every_event())
    with pytest.raises(ConfigError, match=r"pinned: events\.gap\.wekes: unknown input"):
        simulate_paths(plan, seed=1, n_paths=1, pinned={"events.gap.wekes": 0.5})
    with pytest.raises(ConfigError, match="strictly between 0 and 1"):
        simulate_paths(plan, seed=1, n_paths=1, pinned={"events.gap.weeks": 1.0})


# ------------------------------------------------------------------ Monte Carlo behaviour


def test_mean_of_the_noise_is_the_lognormal_mean() -> None:
    sigma, phi = 0.2, 0.6
    plan = make([line(sigma=sigma, phi=phi)], uncertain=False)
    paths = simulate_paths(plan, seed=21, n_paths=40_000).paths
    ratio = paths / 100.0
    var = sigma**2 * (1 - phi ** (2 * np.arange(1, 13)))  # conditional on e = 0 at December
    se = ratio.std(axis=0) / math.sqrt(ratio.shape[0])
    assert np.all(np.abs(ratio.mean(axis=0) - np.exp(var / 2)) < 4 * se)
    assert np.log(ratio[:, -1]).std() == pytest.approx(sigma, rel=0.02)


@pytest.mark.parametrize("as_of, first_horizon", [(DEC25, 1), (DEC25 - 2, 3)])
def test_error_walk_adds_its_own_random_walk_to_each_line(as_of, first_horizon) -> None:
    """The walk has its own stream: per line, log(with) - log(without) is the walk itself,
    with mean 0 and variance walk**2 * h, h months after as_of; one walk per line."""
    n = 20_000
    lines = {}
    for walk in (0.0, 0.3):
        plan = make(noisy_lines(as_of), as_of=as_of, error_walk=walk)
        lines[walk] = simulate_paths(plan, seed=5, n_paths=n, record_lines=True).lines
    h = first_horizon + np.arange(12)
    walks = {name: np.log(lines[0.3][name]) - np.log(lines[0.0][name]) for name in ("SU7", "YU7")}
    for w in walks.values():
        # s.e. of the mean 0.3 sqrt(h / n), of the variance sqrt(2 / n) = 1% of it
        assert np.all(np.abs(w.mean(axis=0)) < 4 * 0.3 * np.sqrt(h / n))
        assert w.var(axis=0) == pytest.approx(0.09 * h, rel=0.04)
        # independent steps: the walk so far says nothing about the next step (s.e. 1/141)
        assert abs(np.corrcoef(w[:, 0], np.diff(w, axis=1)[:, 0])[0, 1]) < 0.03
    assert abs(np.corrcoef(walks["SU7"][:, -1], walks["YU7"][:, -1])[0, 1]) < 0.03


def test_recorded_parameter_scores_are_standard_normal() -> None:
    plan = make(noisy_lines(), error_walk=0.2)
    inputs = simulate_paths(plan, seed=8, n_paths=20_000, record_inputs=True).inputs
    assert inputs is not None
    for key in (
        "model.params",
        "lines.SU7.params",
        "model.noise",
        "lines.YU7.noise",
        "model.error_walk",
        "lines.YU7.error_walk",
    ):
        assert abs(inputs[key].mean()) < 4 / math.sqrt(20_000)
        assert inputs[key].std() == pytest.approx(1.0, abs=0.03)


# ------------------------------------------------------------------ plan validation


def test_events_must_name_lines_that_exist() -> None:
    bad = (
        gap(line="SU9"),
        LaunchEvent(
            name="again", line="SU7", start=Fixed(value=3), level=Fixed(value=1), ramp_months=None
        ),
    )
    with pytest.raises(ConfigError) as info:
        make(events=bad)
    assert info.value.problems == (
        "events: gap: line 'SU9' has no deliveries by 2025-12 and no launch event (lines: SU7)",
        "events: again: line 'SU7' already has deliveries by 2025-12; a launch needs a new line",
    )


def test_reported_months_must_have_totals() -> None:
    fitted = FittedModel(
        lines=(line(last=JAN + 1),), seasonality=Season(), ramp=Ramp(), as_of=JAN + 1
    )
    scenario = Scenario(
        name="t",
        description="",
        path=None,
        target_year=2026,
        target_units=1,
        data_dir=Path("."),
        as_of=JAN + 1,
    )
    with pytest.raises(DataError, match="no reported total for 2026-02"):
        make_plan(fitted, scenario, {JAN: 39_000.0}, error_walk=0.0)


def test_the_noise_loop_in_row_blocks_is_the_plain_recursion() -> None:
    from forecast.simulate.paths import _NOISE_ROWS, _Noise

    rng = np.random.default_rng(11)
    n = 2 * _NOISE_ROWS + 3
    noise = _Noise(
        phi=0.7,
        state=0.1,
        bridge=0.3,
        innovation=0.2,
        start=np.zeros(12),
        matrix=np.zeros((12, 13)),
        weight=np.zeros(13),
    )
    for z in (
        rng.standard_normal((n, 13)),
        np.zeros((1, 13)),  # a zero-norm noise: one row for every path
        np.broadcast_to(rng.standard_normal(13), (n, 13)),  # a pinned one
    ):
        log_d = rng.standard_normal((n, 12))
        want = log_d.copy()
        e = noise.state + noise.bridge * z[:, 0]
        for j in range(12):
            e = noise.phi * e + noise.innovation * z[:, j + 1]
            want[:, j] += e
        noise.add_to(log_d, z)
        assert np.array_equal(log_d, want)


# ------------------------------------------------------------------ mixtures of families


def mixture(weights=(0.3, 0.7), levels=(1000.0, 100.0), *, sigma=0.0, cov=0.0, phi=0.0):
    """SU7 as a mixture: a log-linear family at each level (the first listed leads), as
    ``fit_model`` builds one; the second is a flat logistic, so the families differ."""
    low = line("SU7", levels[0], sigma=sigma, cov=cov, phi=phi)
    other = dataclasses.replace(
        line("SU7", levels[1], sigma=sigma * 2, cov=cov, phi=phi),
        family="logistic",
        param_names=("logK", "r", "t0"),
        params=np.array([math.log(levels[1]), 1.0, -50.0]),  # at its ceiling: flat
        cov=np.diag([cov, cov / 100, 0.0]),
        weight=weights[1],
    )
    return dataclasses.replace(low, weight=weights[0], rivals=(other,))


def test_each_path_follows_one_family_in_proportion_to_its_weight() -> None:
    plan = make([mixture((0.3, 0.7))], noise_scale=0.0, uncertain=False)
    n = 20_000
    sim = simulate_paths(plan, seed=3, n_paths=n, record_inputs=True)
    on_high = np.all(np.isclose(sim.paths, 1000.0, rtol=1e-9), axis=1)
    on_low = np.all(np.isclose(sim.paths, 100.0, rtol=1e-9), axis=1)
    assert np.all(on_high | on_low)  # nothing in between: a path is on one family
    assert on_high.mean() == pytest.approx(0.3, abs=4 * math.sqrt(0.21 / n))
    assert sim.inputs is not None
    u = sim.inputs["lines.SU7.family"]  # families ordered by volume: the low one first
    assert np.array_equal(on_low, u < 0.7)


def test_one_family_of_weight_one_is_what_a_single_family_gives() -> None:
    fit = mixture(sigma=0.1, cov=0.01)
    lead = make([fit.alone("loglinear")], error_walk=0.2)
    plain = make([line("SU7", 1000.0, sigma=0.1, cov=0.01)], error_walk=0.2)
    assert np.array_equal(
        simulate_paths(lead, seed=5, n_paths=300).paths,
        simulate_paths(plain, seed=5, n_paths=300).paths,
    )
    assert fit.alone("logistic").rivals == () and fit.alone("logistic").weight == 1.0
    with pytest.raises(ValueError, match="no damped component"):
        fit.alone("damped")


def test_a_mixture_does_not_depend_on_chunking_or_on_n_paths() -> None:
    plan = make([mixture(sigma=0.1, cov=0.01), noisy_lines()[1]], every_event(), error_walk=0.2)
    n = BLOCK + 900
    one = simulate_paths(plan, seed=7, n_paths=n, record_inputs=True)
    two = simulate_paths(plan, seed=7, n_paths=n, chunk_size=2 * BLOCK, record_inputs=True)
    assert np.array_equal(one.paths, two.paths)
    assert one.inputs is not None and two.inputs is not None
    assert all(np.array_equal(one.inputs[k], two.inputs[k]) for k in one.inputs)
    first = simulate_paths(plan, seed=7, n_paths=BLOCK - 5).paths
    assert np.array_equal(first, one.paths[: BLOCK - 5])


def test_the_family_is_an_input_with_its_own_stream() -> None:
    plan = make([mixture(sigma=0.1, cov=0.01), noisy_lines()[1]], every_event(), error_walk=0.2)
    keys = input_keys(plan)
    assert keys[3:7] == (
        "lines.SU7.family",
        "lines.SU7.params",
        "lines.SU7.noise",
        "lines.SU7.error_walk",
    )
    assert "lines.YU7.family" not in keys  # one family: nothing to draw
    free = simulate_paths(plan, seed=4, n_paths=800, record_inputs=True)
    held = simulate_paths(
        plan, seed=4, n_paths=800, record_inputs=True, pinned={"lines.SU7.family": 0.9}
    )
    assert free.inputs is not None and held.inputs is not None
    # every other input keeps its draws; the family's own ones move with the family
    moved = {"lines.SU7.family", "lines.SU7.params", "lines.SU7.noise", "lines.SU7.error_walk"}
    moved |= {"model.params", "model.noise", "model.error_walk"}
    assert all(np.array_equal(free.inputs[k], held.inputs[k]) for k in keys if k not in moved)
    assert np.all(held.inputs["lines.SU7.family"] == 0.9)
    # pinned at 0.9 with weights (0.7 low, 0.3 high): every path on the high family
    fixed = make([mixture()], noise_scale=0.0, uncertain=False)
    high = simulate_paths(fixed, seed=4, n_paths=50, pinned={"lines.SU7.family": 0.9}).paths
    low = simulate_paths(fixed, seed=4, n_paths=50, pinned={"lines.SU7.family": 0.5}).paths
    assert np.allclose(high, 1000.0) and np.allclose(low, 100.0)


def test_a_mixture_shares_its_noise_draws_across_families() -> None:
    """The normals driving a line's noise are the line's: a path's noise does not depend on
    which family it drew (only the family's sigma scales it)."""
    plan = make([mixture((0.5, 0.5), (100.0, 100.0), sigma=0.1)], uncertain=False)
    sim = simulate_paths(plan, seed=2, n_paths=4000, record_inputs=True)
    assert sim.inputs is not None
    on_second = sim.inputs["lines.SU7.family"] >= 0.5  # equal volumes: fit order
    log_dev = np.log(sim.paths / 100.0)
    single = simulate_paths(make([line("SU7", sigma=0.1)], uncertain=False), seed=2, n_paths=4000)
    base = np.log(single.paths / 100.0)
    assert np.allclose(log_dev[~on_second], base[~on_second], rtol=0, atol=1e-9)
    assert np.allclose(log_dev[on_second], 2 * base[on_second], rtol=0, atol=1e-9)


def test_recorded_scores_of_a_mixture_are_standard_normal() -> None:
    plan = make([mixture(sigma=0.1, cov=0.01), noisy_lines()[1]], error_walk=0.2)
    n = 20_000
    inputs = simulate_paths(plan, seed=8, n_paths=n, record_inputs=True).inputs
    assert inputs is not None
    for key in ("lines.SU7.params", "lines.SU7.noise", "lines.SU7.error_walk"):
        assert abs(inputs[key].mean()) < 4 / math.sqrt(n)
        assert inputs[key].std() == pytest.approx(1.0, abs=0.03)
    u = inputs["lines.SU7.family"]
    assert abs(u.mean() - 0.5) < 4 * math.sqrt(1 / 12 / n)


# ------------------------------------------------------------------ pinned runs from one memo


def memo_plan(as_of: int = DEC25) -> Plan:
    """Every kind of input: a mixture, two noisy lines with walks, a line multiplier, every
    event kind (gap, dip, boost, line and company ceilings, a launch, a shock), a backlog."""
    settings = {"YU7": LineSettings(multiplier=Uniform(low=0.8, high=1.2))}
    lines = [mixture(sigma=0.1, cov=0.01), noisy_lines()[1]]
    return make(lines, every_event(), as_of=as_of, error_walk=0.2, settings=settings)


def every_pin(plan: Plan) -> list[dict[str, float]]:
    pins = [{key: u} for key in input_keys(plan) for u in (0.1, 0.9)]
    return [*pins, {"lines.SU7.noise": 0.3, "events.recall.size": 0.8, "supply.cancel": 0.6}]


@pytest.mark.parametrize("as_of", [DEC25, JAN + 2])  # the months so far reported, or none
def test_pinned_runs_from_the_memo_are_simulate_paths_bit_for_bit(as_of) -> None:
    plan = memo_plan(as_of)
    assert {"lines.YU7.multiplier", "supply.cancel", "events.yu9.ramp"} <= set(input_keys(plan))
    pins = every_pin(plan)
    sim = simulate_pinned(plan, seed=11, n_paths=900, pins=pins, record_inputs=True)
    plain = simulate_paths(plan, seed=11, n_paths=900, record_inputs=True)
    assert np.array_equal(sim.totals, plain.totals)
    assert sim.inputs is not None and plain.inputs is not None
    assert sim.inputs.keys() == plain.inputs.keys()
    assert all(np.array_equal(sim.inputs[k], plain.inputs[k]) for k in plain.inputs)
    assert len(sim.pinned) == len(pins)
    vectors = {i.key for i in plan_inputs(plan) if i.vector}
    for pinned, totals, held in zip(pins, sim.pinned, sim.held, strict=True):
        alone = simulate_paths(plan, seed=11, n_paths=900, pinned=pinned, record_inputs=True)
        assert np.array_equal(totals, alone.totals), pinned
        if as_of == DEC25:  # each pin changes something (later, January's dip is past)
            assert not np.array_equal(totals, plain.totals), pinned
        assert alone.inputs is not None
        assert held == {k: alone.inputs[k][0] for k in pinned if k not in vectors}
        assert all(np.all(alone.inputs[k] == held[k]) for k in held)  # on every path


@pytest.mark.parametrize("chunk_size", [None, 2 * BLOCK])
def test_pinned_runs_over_several_chunks_are_simulate_paths(chunk_size) -> None:
    plan = memo_plan()
    n = BLOCK + 300
    pins = [{"model.noise": 0.2}, {"events.recall.start": 0.7}, {"supply.cancel": 0.9}]
    sim = simulate_pinned(plan, seed=4, n_paths=n, pins=pins, chunk_size=chunk_size)
    assert sim.inputs is None
    assert np.array_equal(sim.totals, simulate_paths(plan, seed=4, n_paths=n).totals)
    for pinned, totals in zip(pins, sim.pinned, strict=True):
        assert np.array_equal(totals, simulate_paths(plan, seed=4, n_paths=n, pinned=pinned).totals)


def test_a_pinned_run_recomputes_only_what_its_pin_reaches(monkeypatch) -> None:
    plan = memo_plan()
    computed: list[str] = []
    stage = paths._Draws.stage

    def counted(self, name, compute, *uses):
        def counted_compute():
            computed.append(name)
            return compute()

        return stage(self, name, counted_compute, *uses)

    monkeypatch.setattr(paths._Draws, "stage", counted)
    simulate_pinned(plan, seed=2, n_paths=50, pins=[])
    every = set(computed)  # the run the memo is made from computes every stage
    assert {"level:SU7", "noise:YU7", "walk:YU7", "ramp:yu9", "seasonal:yu9"} <= every
    for pinned, redone in [
        ({"events.recall.size": 0.9}, {"factor:recall", "multiplied:SU7", "multiplied:YU9"}),
        ({"supply.cancel": 0.9}, {"cancel", "supply:SU7", "supply:YU7"}),
        ({"lines.YU7.noise": 0.9}, {"noise:YU7", "demand:YU7", "multiplied:YU7"}),
        ({"lines.SU7.family": 0.9}, {"families:SU7", "level:SU7", "noise:SU7", "walk:SU7"}),
        ({"model.params": 0.9}, {"level:SU7", "level:YU7", "demand:SU7", "demand:YU7"}),
        ({"model.noise": 0.9}, {"noise:SU7", "noise:YU7", "seasonal:yu9", "launch:yu9"}),
        ({"events.yu9.level": 0.9}, {"launch:yu9", "multiplied:YU9", "total"}),
        ({"events.su7cap.limit": 0.9}, {"supply-events:SU7", "supply:SU7", "total"}),
    ]:
        computed.clear()
        simulate_pinned(plan, seed=2, n_paths=50, pins=[pinned])
        mine = set(collections.Counter(computed) - collections.Counter(every))  # the pinned run's
        assert redone <= mine, pinned
        upstream = {"families", "level", "noise", "walk", "ramp", "seasonal"}
        assert {n for n in mine if n.split(":")[0] in upstream} <= redone, pinned


def test_a_run_with_pins_cannot_record_or_alter_the_memo() -> None:
    plan = memo_plan()
    memo = paths._Memo()
    root = np.random.SeedSequence(1)
    blocks = [(0, 20)]
    prep = paths._prepare(plan)
    paths._simulate_chunk(
        plan, prep, paths._Draws(root=root, blocks=blocks, pinned={}, record=False, memo=memo)
    )
    assert memo.stages and memo.streams
    kept = [v for _, v in memo.stages.values() if isinstance(v, np.ndarray)]
    assert kept and not any(v.flags.writeable for v in kept)
    # every pinned run leaves every kept array, in stages, streams and values, as it was
    before = _memo_arrays(memo)
    for key in input_keys(plan):
        pinned = paths._Draws(root=root, blocks=blocks, pinned={key: 0.1}, record=False, memo=memo)
        paths._simulate_chunk(plan, prep, pinned)
    after = _memo_arrays(memo)
    assert len(after) == len(before) > len(kept)
    for (name, a), (same, b) in zip(before, after, strict=True):
        assert name == same and np.array_equal(a, b, equal_nan=True), name
    with pytest.raises(ValueError, match="record nothing"):
        paths._Draws(
            root=root, blocks=blocks, pinned={"supply.cancel": 0.5}, record=True, memo=memo
        )


def _memo_arrays(memo) -> list[tuple[str, np.ndarray]]:
    """Copies of every array a memo holds, named by where it sits."""
    out: list[tuple[str, np.ndarray]] = []

    def walk(name: str, value) -> None:
        if isinstance(value, np.ndarray):
            out.append((name, value.copy()))
        elif isinstance(value, dict):
            for k in sorted(value, key=str):
                walk(f"{name}[{k}]", value[k])
        elif isinstance(value, list | tuple):
            for i, v in enumerate(value):
                walk(f"{name}[{i}]", v)

    for field in ("stages", "streams", "values"):
        walk(field, getattr(memo, field))
    return out
