"""Growth families: curve shapes, parameter recovery coverage, statsmodels agreement."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from forecast.fit.growth import (
    ETS_MIN_POINTS,
    FAMILIES,
    LEVEL_MONTHS,
    LOG_CAP,
    PARAM_NAMES,
    SHORT_PHI,
    GrowthFitWarning,
    fit_growth,
    is_short_damped,
    log_curve,
)

T20 = np.arange(20.0)
TRUE = {
    "loglinear": np.array([7.0, 0.1]),
    "logistic": np.array([10.0, 0.4, 8.0]),
    "gompertz": np.array([10.0, 3.0, 0.2]),
    "lifecycle": np.array([7.0, 3.0, 0.25]),  # peak at t + 1 = 12
}
EXAMPLE = {**TRUE, "damped": np.array([9.0, 0.05, 0.9, 19.0]), "level": np.array([8.0])}
NOISE = 0.1
LEVEL = 0.9
N_SEEDS = 200


def synthetic(family: str, seed: int, t: np.ndarray = T20, noise: float = NOISE) -> np.ndarray:
    curve = log_curve(family, t, TRUE[family])[0]
    return curve + np.random.default_rng(seed).normal(0.0, noise, t.size)


# ----------------------------------------------------------------------------- log_curve


@pytest.mark.parametrize("family", FAMILIES)
def test_log_curve_shape_and_rows_match_loop(family, rng):
    k = len(PARAM_NAMES[family])
    params = EXAMPLE[family] * (1 + 0.1 * rng.standard_normal((7, k)))
    params[:, -1] = EXAMPLE[family][-1] if family == "damped" else params[:, -1]
    t = np.linspace(0.0, 30.0, 11)
    out = log_curve(family, t, params)
    assert out.shape == (7, 11)
    loop = np.vstack([log_curve(family, t, row) for row in params])
    np.testing.assert_array_equal(out, loop)


def test_log_curve_closed_forms():
    t = np.array([0.0, 4.0, 9.0])
    np.testing.assert_allclose(log_curve("loglinear", t, [1.0, 0.5])[0], [1.0, 3.0, 5.5])
    lc = log_curve("lifecycle", t, [1.0, 2.0, 0.2])[0]
    np.testing.assert_allclose(lc, 1.0 + 2.0 * np.log(t + 1) - 0.2 * (t + 1))
    logistic = log_curve("logistic", np.array([8.0]), [10.0, 0.4, 8.0])[0]
    np.testing.assert_allclose(logistic, 10.0 - np.log(2.0))
    # damped at h = 2 after t_end: level + slope (phi + phi^2)
    damped = log_curve("damped", np.array([21.0]), [9.0, 0.1, 0.8, 19.0])[0]
    np.testing.assert_allclose(damped, 9.0 + 0.1 * (0.8 + 0.64))
    undamped = log_curve("damped", np.array([21.0]), [9.0, 0.1, 1.0, 19.0])[0]
    np.testing.assert_allclose(undamped, 9.2)


def test_log_curve_guards_overflow_and_domain():
    t = np.array([-5.0, 0.0, 1e4])
    wild = np.array([[1e3, -1e3, 1e3], [0.0, 1e3, -1e3]])
    for family in ("logistic", "gompertz", "lifecycle"):
        out = log_curve(family, t, wild)
        assert np.all(np.isfinite(out)) and np.all(np.abs(out) <= LOG_CAP)
    # A lifecycle draw with b < 0 is clipped to b = 0: it cannot grow linearly for ever.
    assert log_curve("lifecycle", np.array([100.0]), [0.0, 0.0, -1.0])[0, 0] == 0.0


def test_log_curve_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown growth family 'bass'"):
        log_curve("bass", T20, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        log_curve("logistic", T20, [1.0, 2.0])


# ----------------------------------------------------------------------------- recovery


def coverage(family: str, n_seeds: int) -> np.ndarray:
    """Share of seeds whose LEVEL interval contains each true parameter, shape (k,)."""
    hits = []
    for seed in range(n_seeds):
        fit = fit_growth(family, T20, synthetic(family, seed))
        assert fit.family == family and fit.converged
        iv = fit.interval(LEVEL)
        hits.append((iv[:, 0] <= TRUE[family]) & (TRUE[family] <= iv[:, 1]))
    return np.mean(hits, axis=0)


@pytest.mark.parametrize("family", sorted(TRUE))
def test_parameter_recovery_coverage_is_nominal(family):
    rate = coverage(family, N_SEEDS)
    se = np.sqrt(LEVEL * (1 - LEVEL) / N_SEEDS)
    assert np.all(np.abs(rate - LEVEL) <= 3 * se), f"{family} coverage {rate}"


def test_point_estimates_unbiased_enough():
    fits = [fit_growth("logistic", T20, synthetic("logistic", s)) for s in range(50)]
    mean = np.mean([f.params for f in fits], axis=0)
    sd = np.std([f.params for f in fits], axis=0)
    assert np.all(np.abs(mean - TRUE["logistic"]) < 4 * sd / np.sqrt(50))


def test_sigma_and_residuals_consistent():
    fit = fit_growth("gompertz", T20, synthetic("gompertz", 1))
    np.testing.assert_allclose(fit.resid, synthetic("gompertz", 1) - fit.fitted)
    np.testing.assert_allclose(fit.sigma, np.sqrt(np.sum(fit.resid**2) / (20 - 3)))
    assert fit.last_resid == fit.resid[-1] and 0.0 <= fit.phi <= 0.95
    assert abs(fit.sigma - NOISE) < 0.05


# ----------------------------------------------------------------------------- damped


def ets_direct(log_y: np.ndarray):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    return ETSModel(log_y, error="add", trend="add", damped_trend=True).fit(disp=False)


@pytest.fixture
def damped_series() -> np.ndarray:
    steps = np.random.default_rng(3).normal(0.05, 0.1, 22)
    return 8.0 + np.cumsum(steps)


def test_damped_agrees_with_statsmodels(damped_series):
    t = np.arange(22.0)
    fit = fit_growth("damped", t, damped_series)
    direct = ets_direct(damped_series)
    np.testing.assert_allclose(fit.fitted, direct.fittedvalues, atol=1e-10)
    np.testing.assert_allclose(fit.forecast(22.0 + np.arange(12)), direct.forecast(12), atol=1e-10)
    np.testing.assert_allclose(fit.params[:2], direct.states[-1], atol=1e-12)
    assert fit.params[2] == pytest.approx(direct.params[2])
    assert fit.params[3] == 21.0 and not np.any(fit.cov[2:]) and not np.any(fit.cov[:, 2:])


def test_damped_draws_match_statsmodels_forecast_variance(damped_series, rng):
    import pandas as pd

    t = np.arange(22.0)
    fit = fit_growth("damped", t, damped_series)
    index = pd.period_range("2024-04", periods=22, freq="M")
    direct = ets_direct(pd.Series(damped_series, index=index))
    pred = direct.get_prediction(start=22, end=33)
    # statsmodels scales by SSR / n, we by SSR / (n - 5): compare on the same scale.
    sm_var = np.asarray(pred.forecast_variance) / direct.mse * fit.sigma**2
    draws = fit.draw_params(rng, 100_000)
    ours = log_curve("damped", 22.0 + np.arange(12), draws).var(axis=0) + fit.sigma**2
    # The (level, slope) shift only approximates a random-walk's linear variance growth.
    np.testing.assert_allclose(ours / sm_var, 1.0, atol=0.4)
    assert np.all(draws[:, 2:] == fit.params[2:])


def test_damped_on_too_few_points_for_ets_is_a_damped_line():
    t = np.arange(5.0)
    log_y = np.array([1.0, 1.3, 1.2, 1.6, 1.7])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback, no warning
        fit = fit_growth("damped", t, log_y)
    line = fit_growth("loglinear", t, log_y)
    c, g = line.params
    assert fit.family == "damped" and fit.converged and fit.warning is None
    assert is_short_damped(fit) and not is_short_damped(line)
    np.testing.assert_allclose(fit.params, [c + 4 * g, g, SHORT_PHI, 4.0])
    # The level's variance is the line's variance at t = 4; the slope's is g's.
    var_at_4 = line.cov[0, 0] + 16 * line.cov[1, 1] + 8 * line.cov[0, 1]
    np.testing.assert_allclose(fit.cov[0, 0], var_at_4)
    np.testing.assert_allclose(fit.cov[1, 1], line.cov[1, 1])
    assert np.all(fit.cov[2:] == 0) and np.all(fit.cov[:, 2:] == 0)
    # h months on, the trend has added g (phi + ... + phi^h) < g phi / (1 - phi) = 4 g.
    ahead = fit.forecast(np.array([5.0, 16.0, 1000.0])) - fit.params[0]
    np.testing.assert_allclose(ahead, g * np.array([0.8, 0.8 * (1 - 0.8**12) / 0.2, 4.0]))
    assert fit.sigma == line.sigma and fit.dof == line.dof


def test_damped_from_ets_minimum_points_uses_ets():
    log_y = np.log(np.arange(1.0, ETS_MIN_POINTS + 1) * 1000)
    fit = fit_growth("damped", np.arange(float(ETS_MIN_POINTS)), log_y)
    assert fit.family == "damped" and not is_short_damped(fit)
    # where a series is first cross-validated: eight months to train, two folds
    from forecast.fit.select import DEFAULT_MIN_TRAIN, MIN_FOLDS

    assert ETS_MIN_POINTS == DEFAULT_MIN_TRAIN + MIN_FOLDS
    # one point fewer (ETS could fit it, from 7): the damped line
    short = fit_growth("damped", np.arange(ETS_MIN_POINTS - 1.0), log_y[:-1])
    assert is_short_damped(short) and short.params[2] == SHORT_PHI


def test_level_holds_the_mean_of_the_last_months_with_the_rules_one_step_errors():
    log_y = np.array([1.0, 2.0, 3.0, 4.0, 6.0, 5.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no optimiser, no fallback
        fit = fit_growth("level", np.arange(6.0), log_y)
    assert LEVEL_MONTHS == 3 and fit.family == "level" and fit.params.tolist() == [5.0]
    # each month against the mean of the three before it (the first month has none)
    np.testing.assert_allclose(fit.fitted, [1.0, 1.0, 1.5, 2.0, 3.0, 13 / 3])
    errors = log_y[1:] - fit.fitted[1:]  # 1, 1.5, 2, 3, 2/3
    np.testing.assert_allclose(fit.sigma, np.sqrt(np.mean(errors**2)))
    np.testing.assert_allclose(fit.cov, [[fit.sigma**2 / 3]])
    assert fit.phi == 0.0 and fit.last_resid == 0.0
    # held flat: the forecast of any month ahead is the level, with the same spread
    mean, sd = fit.predictive(np.array([6.0, 17.0]))
    np.testing.assert_allclose(mean, [5.0, 5.0])
    np.testing.assert_allclose(sd, np.sqrt(fit.sigma**2 * (1 + 1 / 3)))


# ----------------------------------------------------------------------------- fallbacks


@pytest.mark.parametrize(
    ("family", "reason"), [("logistic", "not identified"), ("gompertz", "singular Jacobian")]
)
def test_unidentified_fit_warns_and_falls_back(family, reason):
    flat = 5.0 + 1e-3 * np.sin(np.arange(22.0))
    with pytest.warns(GrowthFitWarning, match=f"{family} fit failed .*{reason}"):
        fit = fit_growth(family, np.arange(22.0), flat)
    assert fit.family == "loglinear" and fit.requested == family
    assert not fit.converged and "fell back to loglinear" in fit.warning


def test_converged_fit_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = fit_growth("logistic", T20, synthetic("logistic", 0))
    assert fit.converged and fit.warning is None


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="finite"):
        fit_growth("loglinear", T20, np.full(20, -np.inf))
    with pytest.raises(ValueError, match="only supported for"):
        fit_growth("logistic", T20, synthetic("logistic", 0), prior=(np.ones(2), np.eye(2)))
    with pytest.raises(ValueError, match="positive definite"):
        fit_growth("lifecycle", T20, synthetic("lifecycle", 0), prior=(np.ones(2), -np.eye(2)))


# ----------------------------------------------------------------------------- prior, draws


def test_lifecycle_prior_pulls_short_series_towards_prior():
    t = np.arange(8.0)
    y = synthetic("lifecycle", 5, t=t, noise=0.15)
    mean = np.array([2.0, 0.15])
    prior = (mean, np.diag([0.3, 0.03]) ** 2)
    free = fit_growth("lifecycle", t, y)
    fit = fit_growth("lifecycle", t, y, prior=prior)
    np.testing.assert_allclose(fit.unpenalised, free.params)
    np.testing.assert_allclose(fit.prior_shift, fit.params - free.params)
    scale = np.sqrt(np.diag(prior[1]))
    assert np.all(np.abs(fit.params[1:] - mean) / scale < np.abs(free.params[1:] - mean) / scale)
    assert np.all(fit.se[1:] < free.se[1:])  # the prior adds information


def test_lifecycle_prior_barely_moves_long_well_fitted_series():
    y = synthetic("lifecycle", 2, t=np.arange(22.0), noise=0.05)
    prior = (np.array([2.0, 0.15]), np.diag([1.0, 0.1]) ** 2)
    fit = fit_growth("lifecycle", np.arange(22.0), y, prior=prior)
    assert np.all(np.abs(fit.prior_shift[1:]) < 2 * fit.se[1:])


def test_draws_are_reproducible_and_clipped_to_bounds():
    t = np.arange(6.0)
    y = np.log([100.0, 180, 260, 300, 330, 340])
    fit = fit_growth("lifecycle", t, y)
    draws = fit.draw_params(np.random.default_rng(1), 50_000)
    again = fit.draw_params(np.random.default_rng(1), 50_000)
    np.testing.assert_array_equal(draws, again)
    assert draws.shape == (50_000, 3)
    assert np.all(draws >= fit.lower) and np.all(draws <= fit.upper)
    assert np.all(draws[:, 1:] > 0)


def test_weights_downweight_a_partial_first_month():
    y = synthetic("loglinear", 0)
    y[0] -= 2.0  # a partial first month
    w = np.ones(20)
    w[0] = 0.0
    fit = fit_growth("loglinear", T20, y, weights=w)
    clean = fit_growth("loglinear", T20[1:], y[1:])
    np.testing.assert_allclose(fit.params, clean.params)


def test_predictive_spread_grows_with_horizon():
    fit = fit_growth("loglinear", T20, synthetic("loglinear", 0))
    mean, sd = fit.predictive(20.0 + np.arange(12))
    assert mean.shape == sd.shape == (12,)
    assert np.all(np.diff(sd) > 0) and sd[0] >= fit.sigma
