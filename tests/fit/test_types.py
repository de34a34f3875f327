"""The types handed from fitting to simulation: parameter draws."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.fit.types import LineFit


def _line(params: np.ndarray, cov: np.ndarray) -> LineFit:
    return LineFit(
        line="A",
        family="logistic",
        param_names=tuple(f"p{i}" for i in range(params.size)),
        params=params,
        cov=cov,
        origin=0,
        sigma=0.1,
        phi=0.3,
        last_resid=0.0,
        last_month=0,
    )


@pytest.mark.parametrize("seed", range(12))
def test_parameter_draws_are_numpys_multivariate_normal_to_the_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 6))
    a = rng.normal(size=(k, k))
    cov = a @ a.T * rng.uniform(1e-4, 10.0)
    if seed % 3 == 0:  # a singular one: a parameter known exactly
        cov[0, :] = cov[:, 0] = 0.0
    params = rng.normal(size=k) * 10
    n = int(rng.integers(1, 100_000))
    want = np.random.default_rng(seed).multivariate_normal(params, cov, size=n, method="eigh")
    got = _line(params, cov).draw_params(np.random.default_rng(seed), n)
    assert got.shape == (n, k)
    assert np.array_equal(got.view(np.uint64), want.view(np.uint64))


def test_a_covariance_that_is_not_semidefinite_warns_as_numpy_does() -> None:
    cov = np.array([[1.0, 2.0], [2.0, 1.0]])  # eigenvalues 3 and -1
    with pytest.warns(RuntimeWarning, match="positive-semidefinite"):
        _line(np.zeros(2), cov).draw_params(np.random.default_rng(0), 10)
