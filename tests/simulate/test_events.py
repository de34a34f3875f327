"""Events as pure functions: hand-made draws, hand-computed months."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.simulate import events as ev

POS = np.arange(1.0, 13.0)  # January .. December
WPM = ev.WEEKS_PER_MONTH


def a(*xs: float) -> np.ndarray:
    return np.array(xs, dtype=float)


class LinearRamp:
    """A RampShape rising linearly to 1 over ``months`` months, whatever ``u``."""

    def __init__(self, months: float) -> None:
        self.months = months

    def fraction(self, months_since_start: np.ndarray, u: np.ndarray) -> np.ndarray:
        share = np.clip(np.asarray(months_since_start) / self.months, 0.0, 1.0)
        return np.broadcast_to(share, (u.size, share.size)).copy()


def test_month_coverage_is_the_exact_overlap() -> None:
    got = ev.month_coverage(a(1.5, 3.25), a(1.0, 0.5), POS)
    assert got[0, :3].tolist() == [0.5, 0.5, 0.0]
    assert got[1, 2] == 0.5 and got[1].sum() == 0.5


def test_two_week_gap_inside_a_month_removes_two_weeks() -> None:
    start, length = a(3.1), a(2 / WPM)
    factor = ev.gap_factor(
        start, length, a(0.0), POS, ev.linear_ramp_mass(start + length, a(0.0), POS)
    )
    assert factor[0, 2] == pytest.approx(1 - 2 / WPM)
    assert np.delete(factor[0], 2).tolist() == [1.0] * 11


def test_gap_of_one_month_from_mid_january_halves_january_and_february() -> None:
    start, length = a(1.5), a(4.345 / WPM)
    factor = ev.gap_factor(
        start, length, a(0.0), POS, ev.linear_ramp_mass(start + length, a(0.0), POS)
    )
    flat = 100.0 * factor[0]
    assert flat[:3] == pytest.approx([50.0, 50.0, 100.0])
    assert flat.sum() == pytest.approx(1100.0)


def test_gap_ramps_back_linearly_from_the_stop_level() -> None:
    # Stopped all of February, back over one month from 1 March at 20% during the stop:
    # March = 0.2 + 0.8 * (integral of t over [0, 1]) = 0.2 + 0.4.
    start, length = a(2.0), a(1.0)
    mass = ev.linear_ramp_mass(start + length, a(1.0), POS)
    factor = ev.gap_factor(start, length, a(0.2), POS, mass)[0]
    assert factor[:4] == pytest.approx([1.0, 0.2, 0.6, 1.0])


def test_linear_ramp_mass_matches_numerical_integration() -> None:
    start, ramp = a(2.3, 0.0, 5.9), a(1.7, 0.4, 0.0)
    got = ev.linear_ramp_mass(start, ramp, POS)
    t = np.linspace(1.0, 13.0, 1_200_001)[:-1] + 0.5e-5  # midpoints of 1e-5 steps
    rate = np.clip((t - start[:, None]) / np.maximum(ramp[:, None], 1e-12), 0, 1)
    want = rate.reshape(3, 12, -1).mean(axis=2)
    assert got == pytest.approx(want, abs=1e-4)


def test_shaped_ramp_agrees_with_linear_ramp_where_the_shape_is_linear() -> None:
    start = a(2.5, 3.0, 4.25)
    u = a(0.1, 0.5, 0.9)
    shaped = ev.shaped_ramp_mass(start, POS, LinearRamp(24.0), u)
    assert shaped == pytest.approx(ev.linear_ramp_mass(start, np.full(3, 24.0), POS))
    same = ev.shaped_ramp_mass(np.full(3, 2.5), POS, LinearRamp(24.0), u, interpolate=False)
    assert same == pytest.approx(ev.shaped_ramp_mass(np.full(3, 2.5), POS, LinearRamp(24.0), u))


def test_launch_from_march_over_two_months() -> None:
    mass = ev.linear_ramp_mass(a(3.0), a(2.0), POS)
    volume = ev.launch_volume(a(1000.0), mass)[0]
    assert volume[:6] == pytest.approx([0, 0, 250, 750, 1000, 1000])


def test_shock_only_on_hit_paths_and_only_while_it_lasts() -> None:
    got = ev.shock_factor(np.array([True, False]), a(3.0, 3.0), a(1.5, 1.5), a(0.3, 0.3), POS)
    assert got[0, :5] == pytest.approx([1, 1, 0.7, 0.85, 1])
    assert np.all(got[1] == 1.0)


def test_multiplier_only_in_flagged_months() -> None:
    flags = np.zeros(12, dtype=bool)
    flags[[0, 11]] = True
    got = ev.multiplier_factor(a(0.8, 1.2), flags)
    assert got[:, 0].tolist() == [0.8, 1.2] and got[:, 11].tolist() == [0.8, 1.2]
    assert np.all(got[:, 1:11] == 1.0)


def test_capacity_step_inside_a_month_mixes_the_ceilings() -> None:
    cap = ev.capacity_limit(a(100.0), a(6.25), a(200.0), POS)[0]
    assert cap[4:7] == pytest.approx([100.0, 175.0, 200.0])  # June: 1/4 old, 3/4 new
    assert ev.capacity_limit(a(100.0), None, None, POS)[0].tolist() == [100.0] * 12


def test_backlog_delivers_the_excess_later() -> None:
    volume = a(150.0, 50.0, 120.0, 0.0)[None, :]
    cap = np.full((1, 4), 100.0)
    assert ev.apply_capacity(volume, cap, "backlog")[0].tolist() == [100, 100, 100, 20]
    assert ev.apply_capacity(volume, cap, "lost")[0].tolist() == [100, 50, 100, 0]


finite = st.floats(0.0, 500.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(finite, st.floats(1.0, 300.0)), min_size=1, max_size=12),
    st.sampled_from(["lost", "backlog"]),
)
def test_capacity_is_never_exceeded_and_backlog_conserves(pairs, overflow) -> None:
    volume = a(*(v for v, _ in pairs))[None, :]
    cap = a(*(c for _, c in pairs))[None, :]
    out = ev.apply_capacity(volume, cap, overflow)
    assert np.all(out <= cap + 1e-9) and np.all(out >= 0)
    assert np.all(np.cumsum(out) <= np.cumsum(volume) + 1e-9)
    if overflow == "backlog":
        # Nothing is lost: what is not delivered is still waiting at the end.
        waiting = volume.sum() - out.sum()
        assert waiting >= -1e-9
        assert out[0, -1] == pytest.approx(cap[0, -1]) or waiting == pytest.approx(0, abs=1e-9)


@settings(max_examples=80, deadline=None)
@given(
    start=st.floats(0.5, 12.5),
    weeks=st.floats(0.0, 30.0),
    extra=st.floats(0.0, 20.0),
    level=st.floats(0.0, 1.0),
    ramp_weeks=st.floats(0.0, 20.0),
    u=st.floats(0.0, 1.0),
)
def test_a_longer_gap_never_raises_any_month(start, weeks, extra, level, ramp_weeks, u) -> None:
    def factors(w: float) -> list[np.ndarray]:
        s, n = a(start), a(w / WPM)
        linear = ev.linear_ramp_mass(s + n, a(ramp_weeks / WPM), POS)
        shaped = ev.shaped_ramp_mass(s + n, POS, LinearRamp(3.0), a(u))
        return [ev.gap_factor(s, n, a(level), POS, m) for m in (linear, shaped)]

    for short, long in zip(factors(weeks), factors(weeks + extra), strict=True):
        assert np.all(long <= short + 1e-12)
        assert np.all((short >= min(level, 1.0) - 1e-12) & (short <= 1.0 + 1e-12))


@pytest.mark.parametrize("overflow", ["lost", "backlog"])
def test_sharing_a_total_ceiling_keeps_the_total_and_each_lines_queue(overflow) -> None:
    rng = np.random.default_rng(3)
    lines = rng.uniform(0, 100, size=(2, 50, 12))
    cap = rng.uniform(60, 140, size=(50, 12))
    shared = ev.share_capacity(lines, cap, overflow)
    assert shared.sum(axis=0) == pytest.approx(ev.apply_capacity(lines.sum(axis=0), cap, overflow))
    assert np.all(np.cumsum(shared, axis=2) <= np.cumsum(lines, axis=2) + 1e-9)


# ---------------------------------------------------------------- the fast forms keep the bits


def _two_branch_ramp_mass(start: np.ndarray, r: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """The ramp mass as first written: both branches of the antiderivative everywhere."""

    def antiderivative(x: np.ndarray, r: np.ndarray) -> np.ndarray:
        x = np.maximum(x, 0.0)
        inside = np.minimum(x, r)
        return np.where(x <= r, (inside / np.where(r > 0, r, 1.0)) * inside / 2.0, x - r / 2.0)

    since = pos - start[:, None]
    mass = antiderivative(since + 1.0, r[:, None]) - antiderivative(since, r[:, None])
    return np.where(since >= r[:, None], 1.0, mass)


def _same_bits(x: np.ndarray, y: np.ndarray) -> bool:
    return x.shape == y.shape and np.array_equal(x.view(np.uint64), y.view(np.uint64))


@given(
    st.lists(
        st.tuples(
            st.floats(-3.0, 16.0),
            st.one_of(st.floats(0.0, 8.0), st.sampled_from([0.0, 1e-300, 1e-9, 1.0, 1e300])),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_linear_ramp_mass_has_the_bits_of_the_two_branch_formula(rows) -> None:
    start, r = (np.array(column) for column in zip(*rows, strict=True))
    with np.errstate(over="ignore"):
        want = _two_branch_ramp_mass(start, r, POS)
    assert _same_bits(ev.linear_ramp_mass(start, r, POS), want)


def test_row_blocks_change_no_value() -> None:
    # Enough rows for several blocks, the last one partial; a later first month too.
    rng = np.random.default_rng(4)
    n = 3 * 4096 + 5
    start, r = rng.uniform(-2.0, 14.0, n), rng.triangular(0.0, 3.0, 6.0, n)
    for pos in (POS, POS[5:]):
        assert _same_bits(ev.linear_ramp_mass(start, r, pos), _two_branch_ramp_mass(start, r, pos))
        length = np.where(rng.random(n) < 0.2, np.inf, rng.uniform(0.0, 5.0, n))
        hi = np.minimum((start + length)[:, None], pos + 1.0) - np.maximum(start[:, None], pos)
        assert _same_bits(ev.month_coverage(start, length, pos), np.maximum(hi, 0.0))
        hit, size = rng.random(n) < 0.3, rng.uniform(0.0, 1.0, n)
        want = 1.0 - np.where(hit, size, 0.0)[:, None] * np.maximum(hi, 0.0)
        assert _same_bits(ev.shock_factor(hit, start, length, size, pos), want)


def _plain_production_ceiling(demand, caps, gaps):
    """The formula before the row blocks: an inf array, then ones times every stop."""
    cap = np.full(demand.shape, np.inf)
    for limit in caps:
        cap = np.minimum(cap, limit)
    if not gaps:
        return cap
    factor = np.ones(demand.shape)
    for gap in gaps:
        factor = factor * gap
    base = np.where(np.isfinite(cap), cap, demand)
    return np.where(factor < 1.0, factor * base, cap)


def _plain_backlog(volume, cap, keep):
    out = np.empty_like(volume)
    waiting = np.zeros(volume.shape[0])
    for j in range(volume.shape[1]):
        due = volume[:, j] + waiting
        out[:, j] = np.minimum(due, cap[:, j])
        waiting = (due - out[:, j]) * keep
    return out


def test_ceiling_and_backlog_in_row_blocks_are_the_plain_formulas_to_the_bit() -> None:
    # Several blocks, the last partial; NaN, infinities and -0.0 among the values.
    rng = np.random.default_rng(5)
    n = 2 * 4096 + 7
    odd = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0])

    def values(scale: float) -> np.ndarray:
        x = rng.uniform(0.0, scale, (n, 12))
        where = rng.random((n, 12)) < 0.05
        x[where] = rng.choice(odd, where.sum())
        return x

    demand = values(100.0)
    with np.errstate(invalid="ignore"):
        for n_caps in range(3):
            for n_gaps in range(3):
                caps = [values(120.0) for _ in range(n_caps)]
                gaps = [values(1.2) for _ in range(n_gaps)]
                got = ev.production_ceiling(demand, caps, gaps)
                assert _same_bits(got, _plain_production_ceiling(demand, caps, gaps))
        volume, cap, cancel = rng.uniform(0, 100, (n, 12)), values(90.0), rng.uniform(0, 0.3, n)
        got = ev.apply_capacity(volume, cap, "backlog", cancel=cancel)
        assert _same_bits(got, _plain_backlog(volume, cap, 1.0 - cancel))
