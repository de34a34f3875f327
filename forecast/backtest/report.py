"""The backtest's report: pooled scores per method, the targets, reliability, the CSV rows.

Pooled figures cover the company's total and the reference launches; the company's lines are
in the CSV but not in the pool, because the total already contains them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from forecast.backtest.baselines import BASELINES
from forecast.backtest.cases import FORECAST, REFERENCE, UNCALIBRATED, Case
from forecast.load.company import Company
from forecast.load.history import TOTAL
from forecast.months import format_month
from forecast.summarise import scoring

REPORT_METHODS = (FORECAST, UNCALIBRATED, *BASELINES)
CASE_COLUMNS = (
    "source",
    "series",
    "cutoff",
    "method",
    "n_months",
    "coverage_50",
    "coverage_80",
    "coverage_95",
    "mean_pit",
    "crps",
    "crps_relative",
    "median_ape",
    "error_walk",
    "year_actual",
    "year_median",
    "year_crps",
    "year_pit",
    "year_in_80",
    "target",
    "p_hit",
    "hit",
)
"""The columns every row of backtest.csv has; ``case_columns`` adds one PIT column a horizon."""


def case_columns(horizon: int) -> tuple[str, ...]:
    """backtest.csv's header: ``CASE_COLUMNS``, then ``pit_h1``..``pit_h<horizon>``, the PIT
    of the month ``h`` months after the cut-off (blank where that month is not scored)."""
    return (*CASE_COLUMNS, *(f"pit_h{h}" for h in range(1, horizon + 1)))


def max_horizon(cases: Sequence[Case]) -> int:
    """The furthest month scored after its cut-off, over ``cases`` (0 if none)."""
    return max((int(np.max(c.months - c.cutoff)) for c in cases if c.months.size), default=0)


def headline(case: Case) -> bool:
    """Cases in the pooled figures: the company's total and every reference launch (not
    lines, which the total already contains)."""
    return case.source == REFERENCE or case.series == TOTAL


def _mean(values: list[np.ndarray]) -> float:
    joined = np.concatenate(values) if values else np.zeros(0)
    return float(joined.mean()) if joined.size else float("nan")


def pooled_rows(cases: Sequence[Case], source: str | None = None) -> list[tuple]:
    """Per method: months scored, coverage 50/80/95, mean CRPS (units and relative to the
    last actual), mean absolute % error of the median, Brier score over the targets."""
    rows = []
    for method in REPORT_METHODS:
        cs = [
            c
            for c in cases
            if c.method == method and headline(c) and (source is None or c.source == source)
        ]
        if not cs:
            continue
        cover = np.concatenate([c.covered for c in cs], axis=1).mean(axis=1)
        hits = [c for c in cs if c.target is not None]
        rows.append(
            (
                method,
                sum(c.months.size for c in cs),
                *(round(float(v), 3) for v in cover),
                round(_mean([c.crps for c in cs])),
                round(_mean([c.crps / c.scale for c in cs]), 4),
                round(_mean([scoring.median_ape(c.median, c.actual) for c in cs]), 4),
                round(
                    scoring.brier(
                        np.array([c.p_hit for c in hits]),
                        np.array([c.year_actual >= (c.target or 0) for c in hits]),
                    ),
                    4,
                ),
            )
        )
    return rows


POOLED_COLUMNS = (
    "method",
    "n_months",
    "coverage_50",
    "coverage_80",
    "coverage_95",
    "crps",
    "crps_relative",
    "median_ape",
    "brier",
)


def target_rows(cases: Sequence[Case]) -> list[tuple]:
    """One row per cut-off with a target known then: P(hit) by method and the outcome."""
    by_cut: dict[int, dict[str, Case]] = {}
    for c in cases:
        if c.source != REFERENCE and c.series == TOTAL and c.target is not None:
            by_cut.setdefault(c.cutoff, {})[c.method] = c
    rows = []
    for cutoff in sorted(by_cut):
        first = next(iter(by_cut[cutoff].values()))
        probs = [
            round(by_cut[cutoff][m].p_hit, 3) if m in by_cut[cutoff] else "" for m in REPORT_METHODS
        ]
        rows.append(
            (
                format_month(cutoff),
                str(cutoff // 12),
                first.target,
                *probs,
                int(first.year_actual),
                "hit" if first.year_actual >= (first.target or 0) else "missed",
            )
        )
    return rows


TARGET_COLUMNS = (
    "cutoff",
    "year",
    "target",
    *(f"p_{m}" for m in REPORT_METHODS),
    "actual",
    "outcome",
)


def case_rows(cases: Sequence[Case], horizon: int | None = None) -> list[tuple]:
    """The CSV: one row per cut-off, series and method, columns ``case_columns(horizon)``
    (default horizon: ``max_horizon(cases)``)."""
    horizon = max_horizon(cases) if horizon is None else horizon
    rows = []
    for c in cases:
        cover = c.covered.mean(axis=1) if c.months.size else np.full(3, np.nan)
        rows.append(
            (
                c.source,
                c.series,
                format_month(c.cutoff),
                c.method,
                int(c.months.size),
                *(_r(v) for v in cover),
                _r(np.mean(c.pit)),
                _r(np.mean(c.crps), 1),
                _r(np.mean(c.crps) / c.scale),
                _r(np.mean(scoring.median_ape(c.median, c.actual))),
                _r(c.error_walk),
                _r(c.year_actual, 0),
                _r(c.year_median, 0),
                _r(c.year_crps, 1),
                _r(c.year_pit),
                int(c.year_covered[1]) if np.isfinite(c.year_actual) else "",
                c.target or "",
                _r(c.p_hit),
                "" if c.target is None else int(c.year_actual >= c.target),
                *_pit_cells(c, horizon),
            )
        )
    return rows


def _pit_cells(case: Case, horizon: int) -> list[float | str]:
    """The case's PIT values by months after its cut-off, 1..horizon; blank where none."""
    cells: list[float | str] = [""] * horizon
    for month, pit in zip(case.months, case.pit):
        offset = int(month - case.cutoff)
        if not 1 <= offset <= horizon:
            raise ValueError(f"a month {offset} months after the cut-off is past the horizon")
        cells[offset - 1] = round(float(pit), 4)
    return cells


def _r(value: float, digits: int = 4):
    return "" if value is None or not np.isfinite(value) else round(float(value), digits)


def reliability(cases: Sequence[Case], levels: Sequence[float]) -> dict[str, np.ndarray]:
    """Observed coverage of central intervals at each nominal level, per method, pooled.

    Computed from the PIT: an actual lies in the central ``p`` interval when its PIT lies
    within ``(1 - p) / 2 .. (1 + p) / 2``.
    """
    lv = np.asarray(levels, dtype=float)
    out = {}
    for method in REPORT_METHODS:
        pits = pooled_pits(cases, method)
        if pits.size:
            inside = (pits[None, :] >= (1 - lv[:, None]) / 2) & (
                pits[None, :] <= (1 + lv[:, None]) / 2
            )
            out[method] = inside.mean(axis=1)
    return out


def pooled_pits(cases: Sequence[Case], method: str) -> np.ndarray:
    return np.concatenate(
        [c.pit for c in cases if c.method == method and headline(c)] or [np.zeros(0)]
    )


def pooled_sections(company: Company, *, references: bool) -> tuple[tuple[str | None, str], ...]:
    """(source, title) of each pooled table: the company's total, then, with reference
    launches, theirs and all pooled (source None)."""
    own = ((company.label, f"{company.name} total"),)
    return (*own, (REFERENCE, "Reference launches"), (None, "Pooled")) if references else own
