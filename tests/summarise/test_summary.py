from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecast.errors import ConfigError
from forecast.months import year_months
from forecast.summarise import summary as summary_module
from forecast.summarise.summary import (
    Summary,
    expected_shortfall,
    hit_probability,
    required_monthly,
    summarise,
    summarise_chunks,
)

MONTHS = np.array(year_months(2026))


def test_hit_probability_and_standard_error_by_hand() -> None:
    totals = np.array([90.0, 100.0, 110.0, 120.0])
    p, se = hit_probability(totals, 100)
    assert p == 0.75
    assert se == pytest.approx(np.sqrt(0.75 * 0.25 / 4))


def test_expected_shortfall_only_counts_misses() -> None:
    assert expected_shortfall(np.array([80.0, 90.0, 130.0]), 100) == 15.0
    assert expected_shortfall(np.array([130.0]), 100) == 0.0


def test_required_monthly() -> None:
    assert required_monthly(550_000, 39_000, 11) == pytest.approx(46_454.545, abs=1e-3)
    assert required_monthly(100, 150, 3) == 0.0
    assert required_monthly(100, 50, 0) == 0.0


def test_summary_keeps_reported_months_and_pace_reaches_target() -> None:
    paths = np.full((4, 12), 50_000.0)
    paths[:, 0] = 39_000
    paths[:, 1:] += np.arange(4)[:, None] * 1000
    s = summarise(paths, months=MONTHS, n_reported=1, target=600_000, scenario="t")
    assert s.ytd_actual == 39_000
    assert s.months[0].actual == 39_000 and s.months[0].quantiles is None
    assert s.months[1].actual is None
    assert s.months[-1].target_pace == pytest.approx(600_000)
    assert s.p_hit == 0.75  # totals 589k, 600k, 611k, 622k: a tie counts as a hit
    assert s.quantile(0.5) == pytest.approx(np.median(paths.sum(axis=1)))


def test_identical_paths_have_exactly_zero_sd() -> None:
    # 1000 equal totals (about 12,346): their pairwise-summed mean misses them by an ulp,
    # which a plain std turns into an sd of about 4e-12.
    paths = np.full((1000, 12), 12345.678 / 12)
    s = summarise(paths, months=MONTHS, n_reported=0, target=10_000, scenario="same")
    assert s.sd == 0.0


def test_sd_is_the_sample_standard_deviation() -> None:
    paths = np.zeros((4, 12))
    paths[:, 0] = [90.0, 100.0, 110.0, 120.0]
    s = summarise(paths, months=MONTHS, n_reported=0, target=100, scenario="t")
    assert s.sd == pytest.approx(np.sqrt(500.0 / 3))


@given(arrays(np.float64, (20, 12), elements=st.floats(0, 1e5)))
def test_quantiles_are_ordered(paths: np.ndarray) -> None:
    s = summarise(paths, months=MONTHS, n_reported=0, target=500_000, scenario="h")
    assert list(s.quantiles) == sorted(s.quantiles)
    for row in s.months:
        assert list(row.quantiles) == sorted(row.quantiles)
    assert 0.0 <= s.p_hit <= 1.0


# ---------------------------------------------------------------- any quantile level


def _lognormal_paths(n: int, seed: int = 7, n_reported: int = 1) -> np.ndarray:
    paths = np.exp(np.random.default_rng(seed).normal(10.0, 0.4, (n, 12)))
    paths[:, :n_reported] = 21_000.0
    return paths


def test_any_quantile_level_is_exact_on_the_grid_and_bounded_between() -> None:
    paths = _lognormal_paths(2001)
    totals = paths.sum(axis=1)
    s = summarise(paths, months=MONTHS, n_reported=1, target=300_000, scenario="q")
    for q in (0.3, 0.01, 0.99, 0.5, 0.07):  # 0.3 used to raise ValueError: tuple.index(x)
        assert s.quantile(q) == np.quantile(totals, q)
    low, high = np.quantile(totals, [0.12, 0.13])
    assert low < s.quantile(0.123) < high
    assert s.quantile(0.125) == pytest.approx((low + high) / 2, rel=1e-12)
    assert s.quantile(1e-9) >= totals.min() and s.quantile(1 - 1e-9) <= totals.max()


@pytest.mark.parametrize("q", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_a_quantile_level_outside_zero_one_is_refused(q: float) -> None:
    s = summarise(_lognormal_paths(10), months=MONTHS, n_reported=1, target=1, scenario="q")
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        s.quantile(q)


# ---------------------------------------------------------------- chunk by chunk


def _chunked(paths: np.ndarray, size: int):
    return lambda: (paths[i : i + size] for i in range(0, paths.shape[0], size))


def _exact_fields(s: Summary) -> tuple:
    rows = [(m.month, m.actual, m.quantiles, m.cum_p50, m.target_pace) for m in s.months]
    return (s.n_paths, s.p_hit, s.p_hit_se, s.quantiles, s.quantile_grid, s.ytd_actual, rows)


@pytest.mark.parametrize(("n", "n_reported", "ceiling"), [(1003, 2, False), (640, 0, True)])
def test_chunked_summary_is_the_in_memory_one(
    monkeypatch: pytest.MonkeyPatch, n: int, n_reported: int, ceiling: bool
) -> None:
    # Small pieces and bins so that a thousand paths cross many chunks and share bins.
    monkeypatch.setattr(summary_module, "PIECE", 32)
    monkeypatch.setattr(summary_module, "STREAM_BINS", 64)
    paths = _lognormal_paths(n, n_reported=n_reported)
    if ceiling:  # a binding ceiling: most months at exactly the same value
        paths = np.minimum(paths, 20_000.0)
    want = summarise(paths, months=MONTHS, n_reported=n_reported, target=250_000, scenario="c")
    got = [
        summarise_chunks(
            _chunked(paths, size),
            n_paths=n,
            months=MONTHS,
            n_reported=n_reported,
            target=250_000,
            scenario="c",
        )
        for size in (32, 96, 320)
    ]
    assert got[0] == got[1] == got[2]  # whatever the chunking, to the bit
    assert _exact_fields(got[0]) == _exact_fields(want)  # quantiles and P(hit): to the bit
    for a, b in [(got[0].mean, want.mean), (got[0].sd, want.sd)]:
        assert a == pytest.approx(b, rel=1e-13)
    assert got[0].expected_shortfall == pytest.approx(want.expected_shortfall, rel=1e-13)
    for a_row, b_row in zip(got[0].months[n_reported:], want.months[n_reported:], strict=True):
        assert a_row.mean == pytest.approx(b_row.mean, rel=1e-13)


def test_chunked_summary_keeps_only_the_needed_bins(monkeypatch: pytest.MonkeyPatch) -> None:
    kept: list[int] = []
    real = summary_module._distinct

    def spy(ids, values, counts):
        out = real(ids, values, counts)
        kept.append(out[0].size)
        return out

    monkeypatch.setattr(summary_module, "_distinct", spy)
    paths = _lognormal_paths(200_000, n_reported=0)
    summarise_chunks(
        _chunked(paths, 2**16), n_paths=200_000, months=MONTHS, n_reported=0, target=1, scenario="m"
    )
    # 24 columns' quantile bins and the total's 101 levels: a few thousand of 4.8 million values
    assert max(kept) < 0.005 * paths.size


def test_chunked_summary_refuses_overflowing_paths_like_summarise() -> None:
    paths = _lognormal_paths(100)
    paths[[3, 70], 5] = np.inf
    with pytest.raises(ConfigError, match="2 of 100 paths"):
        summarise_chunks(
            _chunked(paths, 32), n_paths=100, months=MONTHS, n_reported=1, target=1, scenario="x"
        )


def test_order_statistics_are_exact_even_when_the_sample_misleads() -> None:
    n = 300_001
    x = np.random.default_rng(2).permutation(n).astype(float)
    median = {(n - 1) // 2, n // 2}
    fair = summary_module._order_statistics(x, median)
    assert fair == {r: float(np.partition(x, r)[r]) for r in median}
    x[:: n // summary_module._SAMPLE] = 1e12  # every sampled value far above the rest
    got = summary_module._order_statistics(x, median)
    assert got == {r: float(np.partition(x, r)[r]) for r in median}
