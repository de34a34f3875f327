"""A company that publishes every figure exactly (each line, the total, the quarters) states
more equalities than there are unknown months; they agree, so the history reconciles to them.
(SLSQP alone refuses more equality constraints than unknowns.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.load.history import load_history
from forecast.load.reconcile import reconcile

# end to end: the CLI, the package and its bundled data
pytestmark = pytest.mark.e2e

SOURCE = "https://example.com/monthly"


def _write(folder: Path, name: str, header: str, rows: list[str]) -> None:
    (folder / name).write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def test_every_figure_exact_reconciles_to_the_figures(tmp_path: Path):
    big = [1000, 1100, 1250, 1300, 1420, 1500]
    small = [0, 0, 400, 520, 610, 700]
    months = [f"2025-{m:02d}" for m in range(1, 7)]
    deliveries = []
    for month, b, s in zip(months, big, small):
        deliveries.append(f"{month},total,{b + s},exact,{SOURCE},")
        deliveries.append(f"{month},Big,{b},exact,{SOURCE},")
        if s:
            deliveries.append(f"{month},Small,{s},exact,{SOURCE},")
    _write(tmp_path, "deliveries.csv", "month,line,figure,qualifier,source,note", deliveries)
    _write(
        tmp_path,
        "lines.csv",
        "line,first_month,source,note",
        [f"Big,2025-01,{SOURCE},", f"Small,2025-03,{SOURCE},"],
    )
    q1 = sum(big[:3]) + sum(small[:3])
    q2 = sum(big[3:]) + sum(small[3:])
    _write(
        tmp_path,
        "totals.csv",
        "period,line,figure,qualifier,source,note",
        [f"2025-Q1,total,{q1},exact,{SOURCE},", f"2025-Q2,total,{q2},exact,{SOURCE},"],
    )
    _write(
        tmp_path,
        "targets.csv",
        "year,units,units_high,kind,announced,reliability,scope,actual,source,note",
        [],
    )
    history = load_history(tmp_path)
    n_equalities = len(history.monthly) + len(history.totals)
    assert n_equalities > 6 + 4  # more figures than unknown months: the case at stake

    reconciled = reconcile(history)

    assert reconciled.line("Big").tolist() == big
    assert reconciled.line("Small").tolist() == small
    assert all(use.adjustment == 0 for use in reconciled.uses)
