"""Reconciliation on small hand-made histories (the bundled one is in tests/e2e/test_bundled_history.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from forecast.load.history import load_history
from forecast.load.reconcile import SOFT_WEIGHTS, reconcile

HEADER = "line,figure,qualifier,source,note\n"


def _history(folder: Path, monthly: list[tuple[str, int, str]], totals: list[tuple[str, int, str]]):
    """A one-line history: ``monthly`` and ``totals`` are (period, figure, qualifier)."""
    folder.mkdir()
    (folder / "lines.csv").write_text("line,first_month,source,note\nA,2024-01,s,\n")
    (folder / "deliveries.csv").write_text(
        "month," + HEADER + "".join(f"{p},total,{f},{q},s,\n" for p, f, q in monthly)
    )
    (folder / "totals.csv").write_text(
        "period," + HEADER + "".join(f"{p},total,{f},{q},s,\n" for p, f, q in totals)
    )
    (folder / "targets.csv").write_text(
        "year,units,units_high,kind,announced,reliability,scope,actual,source,note\n"
        "2024,100000,,target,2024-01-01,ok,deliveries,,s,\n"
    )
    return load_history(folder)


def test_strongly_conflicting_figures_still_reconcile_to_the_optimum(tmp_path: Path) -> None:
    # A quarter "at least" twelve times its months' figures leaves a large least-squares
    # objective; SLSQP with an absolute tolerance of 1e-14 used to stop there unconverged.
    monthly = [
        ("2024-01", 8000, "derived"),
        ("2024-02", 16000, "exact_third_party"),
        ("2024-03", 3000, "derived"),
    ]
    history = _history(tmp_path / "data", monthly, [("2024-Q1", 330000, "at_least")])
    x = reconcile(history).line("A")
    assert x.sum() == 330000
    # Optimal: the bound binds and every month's marginal cost w (x / f - 1) / f is equal
    # (Lagrange), so the correction is spread by weight and size, not dumped on one month.
    f = np.array([m[1] for m in monthly], dtype=float)
    w = np.array([SOFT_WEIGHTS[m[2]] for m in monthly])
    marginal = w * (x / f - 1) / f
    assert marginal == pytest.approx(np.full(3, marginal.mean()), rel=1e-3)


def test_exact_figures_that_agree_may_outnumber_the_months(tmp_path: Path) -> None:
    monthly = [("2024-01", 100, "exact"), ("2024-02", 200, "exact"), ("2024-03", 300, "exact")]
    history = _history(tmp_path / "data", monthly, [("2024-Q1", 600, "exact")])
    assert reconcile(history).line("A").tolist() == [100, 200, 300]
