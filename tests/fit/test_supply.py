"""The supply ceiling: stated capacity, else demonstrated output grown as carmakers grew."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtri

from forecast.engine.cache import FitCache
from forecast.engine.pipeline import fit_at
from forecast.fit.supply import HIGH, LEVELS, LOW, MIN_SAMPLES, fit_supply
from forecast.load.bundle import load_bundle
from forecast.load.capacity import CAPACITY_FILE, GROWTH_FILE, GrowthSample, StatedCapacity
from forecast.months import format_month, parse_month
from tests.factories import Project

AS_OF = parse_month("2026-01")
MONTHS = np.arange(AS_OF - 5, AS_OF + 1)
TOTALS = np.array([100.0, 300.0, 250.0, 400.0, 380.0, 350.0])  # highest: 400


def samples(horizon: int, ratios, known: int = AS_OF, makers: int = 4) -> list[GrowthSample]:
    """Growth samples spread over ``makers`` carmakers in turn."""
    return [
        GrowthSample(
            company=f"maker{i % makers}",
            start=known - horizon,
            horizon=horizon,
            known=known,
            ratio=r,
        )
        for i, r in enumerate(ratios)
    ]


def stated(start: int, low: float, high: float, announced: int = AS_OF) -> StatedCapacity:
    return StatedCapacity(announced=announced, start=start, low=low, high=high, source="s")


def fit(capacity=(), growth=(), as_of=AS_OF):
    return fit_supply(months=MONTHS, totals=TOTALS, capacity=capacity, samples=growth, as_of=as_of)


def test_stated_capacity_sets_the_ceiling_never_below_the_record_month() -> None:
    supply = fit([stated(AS_OF - 3, 300.0, 700.0), stated(AS_OF + 3, 900.0, 1100.0)])
    months = np.arange(AS_OF + 1, AS_OF + 6)
    got = supply.ceiling(months, np.array([0.0, 0.25, 1.0]))
    # low + u (high - low), floored at the demonstrated 400; from the fourth month the next row
    assert got.tolist() == [
        [400.0, 400.0, 900.0, 900.0, 900.0],
        [400.0, 400.0, 950.0, 950.0, 950.0],
        [700.0, 700.0, 1100.0, 1100.0, 1100.0],
    ]


def test_a_statement_not_yet_announced_does_not_count() -> None:
    later = stated(AS_OF - 3, 300.0, 700.0, announced=AS_OF + 1)
    supply = fit([later])
    assert supply.stated_start.size == 0
    assert np.isinf(supply.ceiling(np.array([AS_OF + 1]), np.array([0.5]))).all()
    assert not supply.bounded(np.array([AS_OF + 1]))


def test_inferred_ceiling_is_demonstrated_output_times_the_far_tail_of_growth() -> None:
    logs = np.linspace(0.0, 0.4, 41)  # log growth: mean 0.2 at one month ahead
    growth = samples(1, np.exp(logs)) + samples(2, np.exp(logs + 0.3))
    supply = fit(growth=growth)
    got = supply.ceiling(np.array([AS_OF + 1, AS_OF + 2, AS_OF + 9]), np.array([0.0, 1.0]))
    sd = float(np.std(logs, ddof=1))
    want = 400.0 * np.exp(0.2 + sd * ndtri(np.array([LOW, HIGH])))
    assert got[:, 0] == pytest.approx(want, rel=1e-12)
    assert got[:, 1] == pytest.approx(want * np.exp(0.3), rel=1e-12)
    assert got[:, 2] == pytest.approx(got[:, 1])  # beyond the table: its last horizon


def test_a_paths_ceiling_never_falls_with_the_horizon() -> None:
    rng = np.random.default_rng(4)
    growth = []
    for h in range(1, 13):  # horizon 6 is thin; 7 is lower than 5 by chance
        n = 5 if h == 6 else 30
        scale = 0.5 if h == 7 else 0.1 * h
        growth += samples(h, 1.0 + scale * rng.random(n))
    supply = fit(growth=growth)
    u = rng.random(200)
    got = supply.ceiling(np.arange(AS_OF + 1, AS_OF + 14), u)
    assert np.all(np.diff(got, axis=1) >= 0)
    assert np.all(np.diff(supply.growth, axis=1) >= 0)  # and rises with u
    assert np.array_equal(supply.growth[5], supply.growth[4])  # thin: the shorter horizon's


def test_no_samples_known_at_one_month_ahead_means_no_inferred_ceiling() -> None:
    thin = samples(1, np.ones(MIN_SAMPLES - 1)) + samples(2, np.ones(40))
    assert fit(growth=thin).growth.shape == (0, LEVELS.size)
    late = samples(1, np.ones(40), known=AS_OF + 1)  # known only after as_of
    assert fit(growth=late).growth.shape == (0, LEVELS.size)


def test_nothing_delivered_yet_has_no_inferred_ceiling() -> None:
    supply = fit_supply(
        months=MONTHS,
        totals=np.zeros(MONTHS.size),
        capacity=(),
        samples=samples(1, np.ones(40)),
        as_of=AS_OF,
    )
    assert not supply.bounded(np.array([AS_OF + 1]))


def test_months_after_as_of_are_not_demonstrated() -> None:
    supply = fit(as_of=AS_OF - 3)  # the 400 came a month later
    assert supply.demonstrated == 300.0


def _growth_csv(as_of: int) -> str:
    rows = ["company,start,horizon,known,ratio"]
    for i in range(30):
        for h in (1, 2):
            start = as_of - 40 + i
            rows.append(
                f"maker{i % 4},{format_month(start)},{h},{format_month(start + h)},{1 + 0.02 * i * h}"
            )
    return "\n".join(rows) + "\n"


def test_the_fit_holds_the_ceiling_and_the_cache_keeps_it(project_copy: Project) -> None:
    as_of = parse_month("2026-01")
    (project_copy.data / CAPACITY_FILE).write_text(
        "announced,from,monthly_low,monthly_high,source,note\n"
        "2025-06,2026-03,50000,60000,https://a,\n",
        encoding="utf-8",
    )
    (project_copy.data / GROWTH_FILE).write_text(_growth_csv(as_of), encoding="utf-8")
    bundle = load_bundle(project_copy.data)
    cache = FitCache.on_disk(project_copy.root / "cache")
    fitted = fit_at(bundle, as_of, cache=cache)
    supply = fitted.model.supply
    assert supply is not None and supply.growth.shape[0] == 2
    assert supply.demonstrated == pytest.approx(float(fitted.totals.max()))
    reread = fit_at(bundle, as_of, cache=FitCache.on_disk(project_copy.root / "cache"))
    assert reread is not fitted and reread.model.supply is not None
    months, u = np.arange(as_of + 1, as_of + 12), np.linspace(0, 1, 7)
    assert np.array_equal(reread.model.supply.ceiling(months, u), supply.ceiling(months, u))
    assert supply.ceiling(months, u)[:, 1:].min() >= 50000  # the statement from March


def test_no_ceiling_is_inferred_from_fewer_than_four_carmakers() -> None:
    logs = np.linspace(0.0, 0.4, 41)
    three = fit(growth=samples(1, np.exp(logs), makers=3))
    assert np.isinf(three.ceiling(np.array([AS_OF + 1]), np.array([0.0, 1.0]))).all()
    four = fit(growth=samples(1, np.exp(logs), makers=4))
    assert np.isfinite(four.ceiling(np.array([AS_OF + 1]), np.array([0.0, 1.0]))).all()


def test_source_says_where_each_months_ceiling_comes_from() -> None:
    growth = samples(1, np.exp(np.linspace(0.0, 0.4, 41)))
    with_both = fit([stated(AS_OF + 3, 900.0, 1100.0)], growth)
    assert [with_both.source(m) for m in (AS_OF + 1, AS_OF + 3, AS_OF + 8)] == [
        "inferred",
        f"stated from {format_month(AS_OF + 3)}",
        f"stated from {format_month(AS_OF + 3)}",
    ]
    assert fit().source(AS_OF + 1) == "none"
