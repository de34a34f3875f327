"""The bundled delivery history, loaded and reconciled: its published figures hold."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.load.history import load_history, parse_period
from forecast.load.reconcile import reconcile
from forecast.months import month_ordinal, parse_month

pytestmark = pytest.mark.e2e


def test_bundled_history_loads_read_only() -> None:
    history = load_history()
    assert history.lines == ("SU7", "YU7")
    assert history.months.size == 22
    assert not history.months.flags.writeable


@pytest.fixture(scope="module")
def rec():
    return reconcile(load_history())


class TestReconciledBundledHistory:
    def test_22_months_whole_units(self, rec) -> None:
        assert rec.months.size == 22
        assert np.array_equal(rec.values, np.round(rec.values))
        assert not rec.values.flags.writeable

    def test_2024_sums_exactly(self, rec) -> None:
        assert rec.value("total", month_ordinal(2024, 1), month_ordinal(2024, 12)) == 136_854

    def test_every_exact_figure_holds(self, rec) -> None:
        exact = [u for u in rec.uses if u.observation.qualifier == "exact"]
        assert len(exact) >= 7
        assert all(u.reconciled == u.observation.figure for u in exact)

    def test_quarters(self, rec) -> None:
        quarters = {
            "2024-Q2": 27_307,
            "2024-Q3": 39_790,
            "2025-Q1": 75_869,
            "2025-Q2": 81_302,
            "2025-Q3": 108_796,
        }
        for period, figure in quarters.items():
            assert rec.value("total", *parse_period(period)) == figure

    def test_2025_at_least_410000(self, rec) -> None:
        assert rec.value("total", *parse_period("2025")) >= 410_000

    def test_at_least_months_at_or_above_bound(self, rec) -> None:
        for u in rec.uses:
            if u.observation.qualifier == "at_least":
                assert u.reconciled >= u.observation.figure

    def test_official_q2_wins_over_third_party_months(self, rec) -> None:
        q2 = [
            u
            for u in rec.uses
            if u.observation.first == u.observation.last
            and parse_month("2025-04") <= u.observation.first <= parse_month("2025-06")
            and u.observation.line == "total"
        ]
        assert sum(u.observation.figure for u in q2) == 82_057
        assert sum(u.adjustment for u in q2) == 81_302 - 82_057
        # spread over the three months, not dumped on one
        assert all(-400 < u.adjustment < 0 for u in q2)

    def test_lines_add_up_to_total(self, rec) -> None:
        assert np.array_equal(rec.values.sum(axis=0), rec.total)
        yu7 = rec.line("YU7")
        assert yu7[rec.months < parse_month("2025-06")].sum() == 0
