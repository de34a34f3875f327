"""Proper scores of sample forecasts: CRPS, PIT, interval coverage, error of the median.

Every function takes a forecast as samples ``(n_paths, n_months)`` (the engine's path
layout) and the actuals ``(n_months,)``, and scores each month (column) separately. A single
quantity, such as a year total, is one column.
"""

from __future__ import annotations

import numpy as np

LEVELS = (0.5, 0.8, 0.95)
"""Central interval levels scored by default (fractions)."""


def _check(samples: np.ndarray, actual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    samples = np.asarray(samples, dtype=float)
    actual = np.asarray(actual, dtype=float)
    if samples.ndim != 2 or actual.shape != samples.shape[1:]:
        raise ValueError(
            f"samples (n, m) and actual (m,) expected, got {samples.shape}, {actual.shape}"
        )
    if samples.shape[0] < 2:
        raise ValueError("need at least two samples")
    return samples, actual


def crps(samples: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """CRPS of the sample distribution at each actual, shape (m,), in the units of the data.

    ``CRPS = E|X - y| - E|X - X'| / 2`` over the empirical distribution of the samples
    (Gneiting & Raftery 2007, eq. 20). The second term, with the samples sorted
    ``x_(1) <= ... <= x_(n)``, is ``sum_i (2i - n - 1) x_(i) / n^2`` (O(n log n), not O(n^2)).
    """
    samples, actual = _check(samples, actual)
    n = samples.shape[0]
    ordered = np.sort(samples, axis=0)
    weights = (2.0 * np.arange(1, n + 1) - n - 1.0) / n**2
    spread = weights @ ordered
    return np.mean(np.abs(samples - actual), axis=0) - spread


def pit(samples: np.ndarray, actual: np.ndarray, *, rng: np.random.Generator) -> np.ndarray:
    """Probability integral transform of each actual, shape (m,), in [0, 1].

    The share of samples below the actual, plus a uniform share of the samples equal to it
    (randomised PIT, Czado, Gneiting & Held 2009), so that ties, e.g. a point forecast, do
    not pile up at one value. A calibrated forecast has uniform PIT.
    """
    samples, actual = _check(samples, actual)
    below = np.mean(samples < actual, axis=0)
    equal = np.mean(samples == actual, axis=0)
    return below + rng.uniform(size=actual.size) * equal


def covered(
    samples: np.ndarray, actual: np.ndarray, levels: tuple[float, ...] = LEVELS
) -> np.ndarray:
    """Whether each actual lies in each central interval, bool (n_levels, m).

    The level-``p`` interval runs from the ``(1 - p) / 2`` to the ``(1 + p) / 2`` sample
    quantile, ends included.
    """
    samples, actual = _check(samples, actual)
    lv = np.asarray(levels, dtype=float)
    bounds = np.quantile(samples, np.concatenate([(1 - lv) / 2, (1 + lv) / 2]), axis=0)
    lower, upper = bounds[: lv.size], bounds[lv.size :]
    return (lower <= actual) & (actual <= upper)


def median_ape(median: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Absolute error of the forecast median relative to the actual, shape (m,)."""
    return np.abs(np.asarray(median, dtype=float) - actual) / np.asarray(actual, dtype=float)


def brier(probabilities: np.ndarray, outcomes: np.ndarray) -> float:
    """Mean squared difference of probabilities and 0/1 outcomes (Brier 1950); NaN if none."""
    p = np.asarray(probabilities, dtype=float)
    o = np.asarray(outcomes, dtype=float)
    return float(np.mean((p - o) ** 2)) if p.size else float("nan")


def pit_histogram(values: np.ndarray, n_bins: int = 10) -> np.ndarray:
    """Share of PIT values in each of ``n_bins`` equal bins of [0, 1], shape (n_bins,)."""
    counts, _ = np.histogram(np.clip(values, 0.0, 1.0), bins=n_bins, range=(0.0, 1.0))
    return counts / max(int(counts.sum()), 1)
