"""Distributions: ppf against scipy.stats, draws against their moments, parsing problems."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from forecast.errors import ConfigError
from forecast.scenario.distributions import (
    Beta,
    Chance,
    Discrete,
    Fixed,
    LogNormal,
    Normal,
    Pert,
    Triangular,
    Uniform,
    dist_value,
    parse_dist,
)

U = np.array([0.0, 1e-6, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1 - 1e-6, 1.0])


def _pert_beta(low: float, mode: float, high: float, lamb: float = 4.0):
    a = 1 + lamb * (mode - low) / (high - low)
    b = 1 + lamb * (high - mode) / (high - low)
    return stats.beta(a, b, loc=low, scale=high - low)


# (our Dist, the same distribution from scipy.stats)
CASES = [
    (Uniform(low=2, high=5), stats.uniform(2, 3)),
    (Triangular(low=6, mode=8, high=12), stats.triang(c=2 / 6, loc=6, scale=6)),
    (Triangular(low=0, mode=0, high=1), stats.triang(c=0, loc=0, scale=1)),
    (Triangular(low=0, mode=1, high=1), stats.triang(c=1, loc=0, scale=1)),
    (Pert(low=1, mode=2, high=5), _pert_beta(1, 2, 5)),
    (Pert(low=1, mode=2, high=5, lamb=2), _pert_beta(1, 2, 5, 2)),
    (Normal(mu=4, sd=2), stats.norm(4, 2)),
    (Normal(mu=4, sd=2, low=0), stats.truncnorm(-2, math.inf, loc=4, scale=2)),
    (Normal(mu=4, sd=2, low=1, high=5), stats.truncnorm(-1.5, 0.5, loc=4, scale=2)),
    (LogNormal(median=6000, sigma=0.4), stats.lognorm(0.4, scale=6000)),
    (Beta(a=2, b=8), stats.beta(2, 8)),
    (Beta(a=0.5, b=0.5, low=-1, high=3), stats.beta(0.5, 0.5, loc=-1, scale=4)),
]
IDS = [dist.describe() for dist, _ in CASES]


@pytest.mark.parametrize(("dist", "reference"), CASES, ids=IDS)
def test_ppf_matches_scipy(dist, reference) -> None:
    # Pert's ppf interpolates a table (see _beta_ppf): within 1e-6 of its range.
    atol = 1e-6 * (dist.high - dist.low) if isinstance(dist, Pert) else 1e-9
    np.testing.assert_allclose(dist.ppf(U), reference.ppf(U), rtol=1e-9, atol=atol)


@pytest.mark.parametrize(("dist", "reference"), CASES, ids=IDS)
def test_mean_matches_scipy(dist, reference) -> None:
    assert dist.mean == pytest.approx(reference.mean(), rel=1e-9)


@pytest.mark.parametrize(("dist", "reference"), CASES, ids=IDS)
def test_draws_match_mean_within_monte_carlo_error(dist, reference) -> None:
    n = 200_000
    draws = dist.draw(np.random.default_rng(20260201), n)
    assert draws.shape == (n,)
    standard_error = reference.std() / math.sqrt(n)
    assert abs(draws.mean() - reference.mean()) < 5 * standard_error
    assert draws.std() == pytest.approx(reference.std(), rel=0.02)


def test_fixed() -> None:
    dist = Fixed(value=8)
    np.testing.assert_array_equal(dist.ppf(U), np.full(U.shape, 8.0))
    assert dist.is_fixed and dist.mean == 8 and dist.describe() == "8"
    assert dist.quantile(0.3) == 8


def test_discrete_ppf_and_moments() -> None:
    dist = Discrete(values=(1.0, 2.0, 3.0), weights=(1.0, 2.0, 1.0))
    np.testing.assert_array_equal(
        dist.ppf(np.array([0.0, 0.25, 0.26, 0.75, 0.76, 1.0])), [1, 1, 2, 2, 3, 3]
    )
    reference = stats.rv_discrete(values=([1, 2, 3], [0.25, 0.5, 0.25]))
    np.testing.assert_array_equal(dist.ppf(U[1:-1]), reference.ppf(U[1:-1]))
    draws = dist.draw(np.random.default_rng(1), 100_000)
    assert abs(draws.mean() - 2) < 5 * reference.std() / math.sqrt(100_000)
    assert dist.mean == 2 and not dist.is_fixed


def test_discrete_zero_weight_value_is_never_drawn() -> None:
    dist = Discrete(values=(0.0, 1.0, 2.0), weights=(0.0, 1.0, 1.0))
    assert set(dist.ppf(U)) == {1.0, 2.0}
    assert dist.support == (1.0, 2.0)


def test_discrete_weights_whose_sum_overflows_keep_their_ratios() -> None:
    # the case: [1e308, 1e308] summed to inf, and every draw was the last value
    dist = Discrete(values=(1.0, 2.0), weights=(1e308, 1e308))
    np.testing.assert_array_equal(dist.ppf(np.array([0.0, 0.25, 0.5, 0.51, 1.0])), [1, 1, 1, 2, 2])
    assert dist.mean == 1.5 and dist.support == (1.0, 2.0)
    skewed = Discrete(values=(1.0, 2.0, 3.0), weights=(1e308, 1.5e308, 0.5e308))
    np.testing.assert_array_equal(skewed.ppf(np.array([0.33, 0.34, 0.83, 0.84])), [1, 2, 2, 3])


def test_draw_is_reproducible_and_uses_the_generator() -> None:
    dist = Triangular(low=6, mode=8, high=12)
    first = dist.draw(np.random.default_rng(5), 10)
    np.testing.assert_array_equal(first, dist.draw(np.random.default_rng(5), 10))
    np.testing.assert_array_equal(first, dist.ppf(np.random.default_rng(5).random(10)))


def test_quantile_is_ppf_of_one_level() -> None:
    dist = Normal(mu=0, sd=1)
    assert dist.quantile(0.975) == pytest.approx(1.959963984540054)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (7, "7"),
        (0.25, "0.25"),
        ({"dist": "uniform", "low": 4, "high": 10}, "uniform(4, 10)"),
        ({"dist": "triangular", "low": 6, "mode": 8, "high": 12}, "triangular(6, 8, 12)"),
        ({"dist": "pert", "low": 1, "mode": 2, "high": 5}, "pert(1, 2, 5)"),
        ({"dist": "pert", "low": 1, "mode": 2, "high": 5, "lamb": 3}, "pert(1, 2, 5, lamb=3)"),
        ({"dist": "normal", "mean": 4, "sd": 2}, "normal(4, 2)"),
        ({"dist": "normal", "mean": 4, "sd": 2, "low": 0}, "normal(4, 2, low=0)"),
        ({"dist": "lognormal", "median": 2, "sigma": 0.5}, "lognormal(2, 0.5)"),
        ({"dist": "beta", "a": 2, "b": 8}, "beta(2, 8)"),
        ({"dist": "beta", "a": 2, "b": 8, "low": 1, "high": 3}, "beta(2, 8, 1, 3)"),
        ({"dist": "discrete", "values": [3, 1, 2]}, "discrete(1, 2, 3)"),
        (
            {"dist": "discrete", "values": [3, 1], "weights": [1, 3]},
            "discrete(1, 3; weights 3, 1)",
        ),
        ({"dist": "fixed", "value": 8}, "8"),
    ],
)
def test_parse_dist_describes_what_was_written(value, text) -> None:
    assert parse_dist(value, "x").describe() == text


@pytest.mark.parametrize(
    ("value", "problems"),
    [
        (
            True,
            ["w: expected a number or a { dist = ... } table, got true (booleans are not numbers)"],
        ),
        ("8", ['w: expected a number or a { dist = ... } table, got "8"']),
        (math.inf, ["w: expected a finite number, got inf"]),
        (
            {"low": 1},
            [
                "w.dist: missing (one of fixed, uniform, triangular, pert, normal, lognormal, beta, discrete)"
            ],
        ),
        (
            {"dist": "triangular", "low": 12, "mode": 8, "high": 6, "mod": 1},
            [
                'w.mod: unknown key for triangular (did you mean "mode"?)',
                "w: low (12) must be less than high (6); use a plain number for a fixed value",
            ],
        ),
        (
            {"dist": "triangular", "low": 1, "mode": 8, "high": 6},
            ["w: mode (8) must be between low (1) and high (6)"],
        ),
        (
            {"dist": "uniform", "low": True, "high": "x"},
            [
                "w.low: expected a number, got true (booleans are not numbers)",
                'w.high: expected a number, got "x"',
            ],
        ),
        ({"dist": "uniform", "low": 1}, ["w.high: missing (uniform needs low, high)"]),
        ({"dist": "normal", "mean": 0, "sd": -1}, ["w.sd: must be greater than 0, got -1"]),
        (
            {"dist": "normal", "mean": 0, "sd": 1, "low": 40},
            ["w: the truncation [40, inf] leaves almost no probability under normal(0, 1)"],
        ),
        (
            {"dist": "lognormal", "median": 0, "sigma": 0},
            ["w.median: must be greater than 0, got 0", "w.sigma: must be greater than 0, got 0"],
        ),
        ({"dist": "beta", "a": 0, "b": 1}, ["w.a: must be greater than 0, got 0"]),
        (
            {"dist": "pert", "low": 1, "mode": 2, "high": 3, "lamb": 0},
            ["w.lamb: must be greater than 0, got 0"],
        ),
        (
            {"dist": "discrete", "values": []},
            ["w.values: expected a non-empty array of numbers, got an array"],
        ),
        (
            {"dist": "discrete", "values": [1, False]},
            ["w.values[1]: expected a number, got false (booleans are not numbers)"],
        ),
        (
            {"dist": "discrete", "values": [1, 2], "weights": [0, 0]},
            ["w.weights: must not all be 0"],
        ),
    ],
)
def test_parse_dist_lists_every_problem(value, problems) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_dist(value, "w")
    assert list(caught.value.problems) == problems


_finite = st.floats(-1e6, 1e6, allow_nan=False)
_positive = st.floats(1e-3, 1e3, allow_nan=False)


@st.composite
def any_dist(draw):
    low = draw(_finite)
    width = draw(st.floats(1e-3, 1e6))
    high = low + width
    mode = low + draw(st.floats(0, 1)) * width
    choices = [
        Fixed(value=low),
        Uniform(low=low, high=high),
        Triangular(low=low, mode=mode, high=high),
        Pert(low=low, mode=mode, high=high, lamb=draw(_positive)),
        Normal(mu=mode, sd=draw(_positive)),
        Normal(mu=mode, sd=width, low=low, high=high),
        LogNormal(median=draw(_positive), sigma=draw(st.floats(1e-3, 3))),
        Beta(a=draw(_positive), b=draw(_positive), low=low, high=high),
        Discrete(values=(low, mode, high), weights=(1.0, draw(st.floats(0, 5)), 2.0)),
    ]
    return draw(st.sampled_from(choices))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(dist=any_dist(), us=st.lists(st.floats(0, 1), min_size=2, max_size=20))
def test_ppf_is_monotone_and_within_support(dist, us) -> None:
    u = np.sort(np.array(us))
    x = dist.ppf(u)
    low, high = dist.support
    finite = np.isfinite(x)
    assert np.all(np.diff(x[finite]) >= -1e-9 * (1 + np.abs(x[finite][1:])))
    assert np.all(x[finite] >= low - 1e-9 * (1 + abs(low)))
    assert np.all(x[finite] <= high + 1e-9 * (1 + abs(high)))
    assert np.all(finite[(u > 0) & (u < 1)])


@pytest.mark.parametrize("lamb", [0.5, 4.0, 20.0])
@pytest.mark.parametrize("mode", [0.0, 0.03, 0.3, 0.5, 0.97, 1.0])
def test_pert_ppf_is_within_a_millionth_of_the_exact_inverse(mode: float, lamb: float) -> None:
    from scipy import special

    pert = Pert(low=0.0, mode=mode, high=1.0, lamb=lamb)
    u = np.concatenate([np.linspace(0, 1, 20_001), np.logspace(-12, -1, 300)])
    u = np.concatenate([u, 1 - u])
    exact = special.betaincinv(*pert._shapes(), u)
    assert np.max(np.abs(pert.ppf(u) - exact)) < 1e-6


# --- writing a Dist back


@pytest.mark.parametrize(
    "dist",
    [
        *(dist for dist, _ in CASES),
        Fixed(value=3.5),
        Pert(low=1, mode=2, high=5, lamb=4),
        Normal(mu=4, sd=2, high=9),
        Discrete(values=(1.0, 3.0), weights=(2.0, 1.0)),
    ],
    ids=lambda dist: dist.describe(),
)
def test_a_dist_made_in_code_is_written_as_what_parses_back_to_it(dist) -> None:
    assert dist.written is None
    assert parse_dist(dist_value(dist), "x") == dist


def test_a_parsed_dist_is_written_as_the_file_wrote_it_until_it_is_changed() -> None:
    written = {"dist": "triangular", "low": 6, "mode": 9, "high": 13}
    dist = parse_dist(written, "x")
    assert dist_value(dist) == written and dist == Triangular(low=6, mode=9, high=13)
    assert dist_value(dataclasses.replace(dist, high=20)) == {
        "dist": "triangular",
        "low": 6.0,
        "mode": 9.0,
        "high": 20,
    }
    assert dist_value(parse_dist(7, "x")) == 7 and dist_value(parse_dist(7.0, "x")) == 7.0


@pytest.mark.parametrize("p", [0.0, 0.15, 1.0])
def test_chance_is_one_with_probability_p(p: float) -> None:
    chance = Chance(p=p)
    u = np.array([0.0, 0.5, 0.84, 0.86, 1 - 1e-12])
    assert chance.ppf(u).tolist() == (u > 1 - p).astype(float).tolist()
    assert chance.is_fixed == (p in (0.0, 1.0)) and chance.mean == p
