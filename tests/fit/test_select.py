"""Rolling-origin cross-validation over growth families."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.fit.growth import FAMILIES, log_curve
from forecast.fit.select import (
    PRIOR_FOLDS,
    SHORT_FAMILIES,
    CVResult,
    choose_cutoffs,
    cross_validate,
    crps_normal,
    stack_weights,
)

T22 = np.arange(22.0)
TRUE = {
    "loglinear": np.array([7.0, 0.1]),
    "logistic": np.array([10.0, 0.4, 8.0]),
    "gompertz": np.array([10.0, 3.0, 0.2]),
    "lifecycle": np.array([7.0, 3.0, 0.25]),
}
PRIOR = (np.array([2.0, 0.15]), np.diag([0.5, 0.05]) ** 2)


def synthetic(family: str, seed: int, noise: float = 0.05) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return log_curve(family, T22, TRUE[family])[0] + rng.normal(0.0, noise, T22.size)


@pytest.mark.parametrize("family", sorted(TRUE))
def test_cv_picks_the_true_family(family):
    for seed in range(2):
        result = cross_validate(T22, synthetic(family, seed))
        assert result.best == family, dict(zip(result.families, result.score))


def test_cv_result_shapes_and_counts():
    result = cross_validate(T22, synthetic("lifecycle", 0), horizons=range(1, 7))
    n_fam, n_h = len(FAMILIES), 6
    assert isinstance(result, CVResult) and not result.too_short
    assert result.families == FAMILIES and result.horizons == (1, 2, 3, 4, 5, 6)
    assert result.cutoffs == (8, 11, 13, 16, 18, 21)
    for name in ("rmse", "mae", "crps", "n_scored"):
        assert getattr(result, name).shape == (n_fam, n_h)
    # Horizon h is scored from every cut-off with at least h months left after it.
    expected = [sum(c + h <= 22 for c in result.cutoffs) for h in range(1, 7)]
    np.testing.assert_array_equal(result.n_scored, np.tile(expected, (n_fam, 1)))
    assert np.all(result.mae <= result.rmse + 1e-12)


def test_fallbacks_are_counted_and_reported():
    # A flat series leaves the logistic's midpoint unidentified: it falls back in every fold.
    flat = 5.0 + 1e-3 * np.sin(T22)
    result = cross_validate(T22, flat)
    i = FAMILIES.index("logistic")
    assert result.n_failures[i] == len(result.cutoffs)
    assert any("logistic fit failed" in m and "not identified" in m for m in result.messages[i])
    assert result.n_failures[FAMILIES.index("loglinear")] == 0


@pytest.mark.parametrize(("prior", "default"), [(PRIOR, "lifecycle"), (None, "damped")])
def test_short_series_returns_a_default(prior, default):
    y = synthetic("lifecycle", 0)[:8]
    result = cross_validate(T22[:8], y, prior=prior)
    assert result.too_short and result.best == default
    assert "8 points allow 0 fold(s)" in result.note
    assert np.all(np.isinf(result.score)) and np.all(result.n_scored == 0)


def test_prior_reaches_lifecycle_only():
    y = synthetic("lifecycle", 4, noise=0.2)
    plain = cross_validate(T22, y)
    with_prior = cross_validate(T22, y, prior=PRIOR)
    i = FAMILIES.index("lifecycle")
    others = [j for j in range(len(FAMILIES)) if j != i]
    np.testing.assert_array_equal(plain.score[others], with_prior.score[others])
    assert plain.score[i] != with_prior.score[i]


def test_choose_cutoffs():
    assert choose_cutoffs(22, 8, 6) == (8, 11, 13, 16, 18, 21)
    assert choose_cutoffs(10, 8, 6) == (8, 9)
    assert choose_cutoffs(8, 8, 6) == ()


def test_crps_normal_known_values():
    # CRPS(N(0,1), 0) = 2 phi(0) - 1/sqrt(pi) (Gneiting & Raftery 2007).
    assert crps_normal(np.array(0.0), 0.0, 1.0) == pytest.approx(0.2336949772)
    # Numerical check: CRPS = E|X - y| - E|X - X'| / 2 by quadrature on a grid.
    x = np.linspace(-12, 12, 200_001)
    pdf = np.exp(-0.5 * ((x - 0.3) / 1.5) ** 2) / (1.5 * np.sqrt(2 * np.pi))
    cdf = np.cumsum(pdf) * (x[1] - x[0])
    integral = np.sum((cdf - (x >= 1.1)) ** 2) * (x[1] - x[0])
    assert crps_normal(np.array(1.1), 0.3, 1.5) == pytest.approx(integral, rel=1e-3)


# ------------------------------------------------------------------ stacking weights

TRUTH = np.zeros((6, 3))  # six folds, three horizons, every value observed


def predictive(*means: float, sd: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    mean = np.stack([np.full(TRUTH.shape, m) for m in means])
    return mean, np.full(mean.shape, sd)


def test_identical_families_share_the_weight_equally():
    mean, sd = predictive(0.0, 0.0, 0.0)
    np.testing.assert_allclose(stack_weights(TRUTH, mean, sd, np.zeros(3)), [1 / 3] * 3)


def test_a_family_that_is_always_right_gets_what_the_prior_allows():
    # the others' densities are e^-50 of its own: all the data's weight (6 folds) goes to it,
    # and the prior (PRIOR_FOLDS split over 3) keeps the rest from 0
    mean, sd = predictive(0.0, 1.0, -1.0)
    weights = stack_weights(TRUTH, mean, sd, np.zeros(3))
    alpha = PRIOR_FOLDS / 3
    np.testing.assert_allclose(weights, np.array([6 + alpha, alpha, alpha]) / 8, atol=1e-9)
    fewer = stack_weights(TRUTH[:2], mean[:, :2], sd[:, :2], np.zeros(3))
    assert fewer[0] == pytest.approx((2 + alpha) / 4, abs=1e-9)  # two folds: less certain


def test_a_mixture_of_two_halves_weights_them_equally():
    # the truth is 0 in half the folds and 1 in the other: each family is right half the time
    truth = np.repeat([[0.0], [1.0]], 3, axis=0) * np.ones((1, 3))
    mean, sd = predictive(0.0, 1.0)
    weights = stack_weights(truth, mean, sd, np.zeros(2))
    np.testing.assert_allclose(weights, [0.5, 0.5], atol=1e-9)


def test_families_that_failed_or_scored_inf_get_nothing():
    mean, sd = predictive(0.0, 0.0, 0.0)
    mean[1, 2, 0] = np.nan  # family 1 made no forecast where the others did: its fit raised
    score = np.array([0.1, 0.1, np.inf])
    assert stack_weights(TRUTH, mean, sd, score).tolist() == [1.0, 0.0, 0.0]
    none_ok = stack_weights(TRUTH, mean, sd, np.array([np.inf, 0.2, np.inf]))
    assert none_ok.tolist() == [0.0, 1.0, 0.0]  # nobody qualifies: the lowest score


def test_cv_weights_are_on_the_simplex_and_favour_the_true_family():
    result = cross_validate(T22, synthetic("logistic", 0))
    assert result.weights.shape == (len(FAMILIES),)
    assert result.weights.sum() == pytest.approx(1.0) and np.all(result.weights > 0)
    assert result.families[int(np.argmax(result.weights))] == "logistic"
    # six folds, k families: no family above (6 + 2 / k) / 8
    k = len(FAMILIES)
    assert result.weights.max() <= (6 + PRIOR_FOLDS / k) / (6 + PRIOR_FOLDS) + 1e-9
    # no fold: the prior's equal weights, on the candidates among the short families: a
    # model line's damped trend and lifecycle
    line = tuple(f for f in FAMILIES if f != "level")
    short = cross_validate(T22[:8], synthetic("lifecycle", 0)[:8], prior=PRIOR, families=line)
    assert SHORT_FAMILIES == ("damped", "lifecycle", "level")
    assert short.weights.tolist() == [0.5 * (f in ("damped", "lifecycle")) for f in line]
    assert short.best == "lifecycle" and "damped and lifecycle with equal weights" in short.note
    # a company total (no lifecycle prior, no lifecycle candidate): the damped trend and the level
    aggregate = tuple(f for f in FAMILIES if f != "lifecycle")
    total = cross_validate(T22[:8], synthetic("loglinear", 0)[:8], families=aggregate)
    assert total.weights.tolist() == [0.5 * (f in ("damped", "level")) for f in aggregate]
    assert total.best == "damped" and "damped and level with equal weights" in total.note


def test_a_family_that_fell_back_in_every_fold_gets_no_weight():
    # a flat series: logistic and Gompertz cannot be identified and fall back every time
    flat = 8.0 + np.random.default_rng(0).normal(0.0, 0.3, T22.size)
    result = cross_validate(T22, flat)
    for family in ("logistic", "gompertz"):
        i = result.families.index(family)
        assert result.n_failures[i] == len(result.cutoffs)
        assert result.weights[i] == 0.0
    assert result.weights.sum() == pytest.approx(1.0) and np.count_nonzero(result.weights) == 4
