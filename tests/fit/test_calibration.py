from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import ndtri

from forecast.fit.calibration import (
    LEVEL,
    MAX_WALK,
    MIN_ERRORS,
    CalibrationRow,
    error_walk_for,
    fit_error_walk,
)


def test_error_walk_for_takes_the_latest_row_at_or_before_as_of() -> None:
    table = (
        CalibrationRow(as_of=10, error_walk=0.2, n_errors=30, source="t"),
        CalibrationRow(as_of=12, error_walk=0.3, n_errors=40, source="t"),
    )
    assert error_walk_for(table, 11)[0] == 0.2
    assert error_walk_for(table, 12)[0] == 0.3
    assert error_walk_for(table, 99) == (0.3, "calibrated on 40 past errors as of 0001-01")
    walk, note = error_walk_for(table, 9)
    assert walk == 0.0 and "no calibration" in note


def _errors(rng: np.random.Generator, walk: float, n: int = 5000):
    sd = rng.uniform(0.05, 0.4, n)  # forecasts as narrow or wide as the engine's
    horizons = rng.integers(1, 7, n)
    return rng.normal(0.0, np.sqrt(sd**2 + walk**2 * horizons)), sd, horizons


def test_fit_error_walk_recovers_the_walk_that_made_the_errors(rng) -> None:
    # 200 repeats of n = 5,000 gave sd 0.0049 around 0.300; 0.02 is four of those
    assert fit_error_walk(*_errors(rng, 0.3)) == pytest.approx(0.3, abs=0.02)
    # forecasts that were already honest need no walk (sd 0.006 over the same repeats)
    assert fit_error_walk(*_errors(rng, 0.0)) < 0.03
    # too few errors to say anything
    assert fit_error_walk(*(a[: MIN_ERRORS - 1] for a in _errors(rng, 0.3))) == 0.0


@given(
    errors=arrays(float, st.integers(MIN_ERRORS, 200), elements=st.floats(-3, 3)),
    data=st.data(),
)
def test_fitted_walk_would_have_covered_the_level_of_past_errors(errors, data) -> None:
    n = errors.size
    sd = data.draw(arrays(float, n, elements=st.floats(0.01, 1)))
    horizons = data.draw(arrays(np.int64, n, elements=st.integers(1, 12)))
    walk = fit_error_walk(errors, sd, horizons)
    assert 0 <= walk <= MAX_WALK
    if walk < MAX_WALK:
        z = float(ndtri(0.5 + LEVEL / 2))
        inside = np.abs(errors) <= z * np.sqrt(sd**2 + walk**2 * horizons) * (1 + 1e-9)
        assert inside.mean() >= LEVEL - 1.0 / n
