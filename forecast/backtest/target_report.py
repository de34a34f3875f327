"""The target study's report: scores per method, pooled and per company; the CSV rows.

- **Brier score**: mean of ``(p - hit)^2``.
- **Log score**: mean of ``log q``, ``q`` the probability given to what happened (``p`` for
  a hit, ``1 - p`` for a miss), floored at ``LOG_FLOOR`` so one certain miss is a large
  finite penalty (log 0.001 = -6.9), not minus infinity. Higher is better.
- **Reliability**: P(hit) in bins of 0.1 (the last bin includes 1) against the observed
  frequency of hits, with counts.
- **Coverage** of the annual total's central 80% (p10-p90) and 95% (p025-p975) intervals;
  **CRPS** of the annual total divided by the actual, so that companies pool. Both need an
  exact actual (a lower bound is scored for P(hit) alone) and quantiles (not the base rate).
- **Confident misses**: P(hit) below 1% for a target hit, or above 99% for one missed.
- **Stability**: for consecutive cut-offs of one statement and method, ``|change|`` in
  P(hit), in points, when the new month's actual (as known at the new cut-off) lay inside
  the previous forecast's central 50% interval of that month (an unsurprising month); the
  90th percentile of those changes. The base rate makes no monthly forecast.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from forecast.backtest.targets import METHODS, QUANTILE_NAMES, Forecast, Skip, StudyResult
from forecast.months import format_month

LOG_FLOOR = 1e-3
CONFIDENT = 0.01
N_BINS = 10

CSV_COLUMNS = (
    "company",
    "year",
    "target",
    "kind",
    "announced",
    "as_of",
    "method",
    "p_hit",
    "hit",
    "actual",
    "actual_from",
    "actual_bound",
    *QUANTILE_NAMES,
    "crps",
    "crps_relative",
    "month_actual",
    "next_p25",
    "next_p75",
    "statement",
)

SCORE_COLUMNS = (
    "method",
    "n_statements",
    "n_cutoffs",
    "brier",
    "log_score",
    "coverage_80",
    "coverage_95",
    "crps_relative",
    "confident_misses",
    "stability_p90",
    "n_unsurprising",
)

RELIABILITY_COLUMNS = ("method", "bin", "n", "mean_p_hit", "observed")


def _r(value: float, digits: int = 4) -> float | str:
    return "" if value is None or not np.isfinite(value) else round(float(value), digits)


def csv_rows(forecasts: Sequence[Forecast]) -> list[tuple]:
    """One row per statement, cut-off and method."""
    rows = []
    for f in forecasts:
        s = f.statement
        rows.append(
            (
                s.company,
                str(s.year),
                s.units,
                s.kind,
                s.announced,
                format_month(f.cutoff),
                f.method,
                _r(f.p_hit),
                int(s.hit),
                s.actual,
                s.actual_from,
                int(s.bound),
                *(_r(q, 0) for q in f.quantiles),
                _r(f.crps, 1),
                _r(f.crps / s.actual),
                _r(f.month_actual, 0),
                _r(f.next_p25, 0),
                _r(f.next_p75, 0),
                s.where,
            )
        )
    return rows


def _outcomes(forecasts: Sequence[Forecast]) -> tuple[np.ndarray, np.ndarray]:
    p = np.array([f.p_hit for f in forecasts], dtype=float)
    hit = np.array([f.statement.hit for f in forecasts], dtype=bool)
    return p, hit


def brier(forecasts: Sequence[Forecast]) -> float:
    p, hit = _outcomes(forecasts)
    return float(np.mean((p - hit) ** 2)) if p.size else float("nan")


def log_score(forecasts: Sequence[Forecast]) -> float:
    p, hit = _outcomes(forecasts)
    q = np.where(hit, p, 1 - p)
    return float(np.mean(np.log(np.maximum(q, LOG_FLOOR)))) if p.size else float("nan")


def confident_misses(forecasts: Sequence[Forecast]) -> int:
    p, hit = _outcomes(forecasts)
    return int(np.sum((hit & (p < CONFIDENT)) | (~hit & (p > 1 - CONFIDENT))))


def coverage(forecasts: Sequence[Forecast], low: int, high: int) -> float:
    """Share of exact actuals within quantiles ``low``..``high`` (indices into LEVELS)."""
    inside = [
        f.quantiles[low] <= f.statement.actual <= f.quantiles[high]
        for f in forecasts
        if not f.statement.bound and np.all(np.isfinite(f.quantiles))
    ]
    return float(np.mean(inside)) if inside else float("nan")


def mean_crps(forecasts: Sequence[Forecast]) -> float:
    values = [f.crps / f.statement.actual for f in forecasts if np.isfinite(f.crps)]
    return float(np.mean(values)) if values else float("nan")


def stability_changes(forecasts: Sequence[Forecast]) -> np.ndarray:
    """|change| in P(hit), points, across consecutive cut-offs of one statement and method
    whose new month fell inside the previous forecast's central 50% interval."""
    by_run: dict[tuple, list[Forecast]] = {}
    for f in forecasts:
        by_run.setdefault((f.statement.key, f.method), []).append(f)
    changes = []
    for run in by_run.values():
        run.sort(key=lambda f: f.cutoff)
        for prev, cur in zip(run, run[1:]):
            if cur.cutoff != prev.cutoff + 1:
                continue
            if prev.next_p25 <= cur.month_actual <= prev.next_p75:
                changes.append(100 * abs(cur.p_hit - prev.p_hit))
    return np.asarray(changes, dtype=float)


def stability_p90(forecasts: Sequence[Forecast]) -> tuple[float, int]:
    changes = stability_changes(forecasts)
    return (float(np.quantile(changes, 0.9)) if changes.size else float("nan")), changes.size


def score_rows(forecasts: Sequence[Forecast], company: str | None = None) -> list[tuple]:
    """One ``SCORE_COLUMNS`` row per method (of ``company``, or pooled)."""
    rows = []
    for method in METHODS:
        fs = [
            f
            for f in forecasts
            if f.method == method and (company is None or f.statement.company == company)
        ]
        if not fs:
            continue
        p90, n_stable = stability_p90(fs)
        rows.append(
            (
                method,
                len({f.statement.key for f in fs}),
                len(fs),
                _r(brier(fs)),
                _r(log_score(fs)),
                _r(coverage(fs, 2, 4), 3),
                _r(coverage(fs, 0, 6), 3),
                _r(mean_crps(fs)),
                confident_misses(fs),
                _r(p90, 1),
                n_stable,
            )
        )
    return rows


def reliability_rows(forecasts: Sequence[Forecast]) -> list[tuple]:
    """Per method and bin of P(hit) (0-0.1, ..., 0.9-1): count, mean P(hit), hit frequency."""
    rows = []
    for method in METHODS:
        p, hit = _outcomes([f for f in forecasts if f.method == method])
        if not p.size:
            continue
        bins = np.minimum((p * N_BINS).astype(int), N_BINS - 1)
        for b in range(N_BINS):
            inside = bins == b
            n = int(inside.sum())
            label = f"{b / N_BINS:.1f}-{(b + 1) / N_BINS:.1f}"
            rows.append(
                (
                    method,
                    label,
                    n,
                    _r(p[inside].mean(), 3) if n else "",
                    _r(hit[inside].mean(), 3) if n else "",
                )
            )
    return rows


def skip_rows(skips: Sequence[Skip]) -> list[tuple]:
    """Skipped cut-offs counted by company and reason."""
    counts: dict[tuple[str, str], int] = {}
    for s in skips:
        key = (s.statement.company, s.reason)
        counts[key] = counts.get(key, 0) + 1
    return [(company, n, reason) for (company, reason), n in sorted(counts.items())]


SKIP_COLUMNS = ("company", "n_cutoffs", "reason")


def report_lines(result: StudyResult) -> list[str]:
    """The console report: what was studied, the scores pooled and per company, the
    reliability table, the skipped cut-offs and the statements left out."""
    from forecast.write.tables import format_table

    engine = [f for f in result.forecasts if f.method == METHODS[0]]
    lines = [
        f"Target study: {len({f.statement.key for f in engine})} statements, {len(engine)} "
        f"statement cut-offs, {len(result.companies)} companies; "
        f"{len(result.skips)} statement cut-offs skipped",
        "",
        f"Pooled: P(hit) and the annual total\n{format_table(SCORE_COLUMNS, score_rows(result.forecasts))}",
        "",
    ]
    for company in result.companies:
        rows = score_rows(result.forecasts, company)
        if rows:
            lines += [f"{company}\n{format_table(SCORE_COLUMNS, rows)}", ""]
    reliability = reliability_rows(result.forecasts)
    lines += [
        f"Reliability of P(hit), pooled\n{format_table(RELIABILITY_COLUMNS, reliability)}",
        "",
    ]
    firsts: dict[int, int] = {}
    for cutoff in sorted(result.laws):
        firsts.setdefault(cutoff // 12, cutoff)
    lines += [
        f"run-rate law from {format_month(c)}: bias {law.bias:+.3f}, spread {law.spread:.3f} "
        f"per sqrt(month), from {law.n_errors} errors" + ("" if law.n_errors else " (default)")
        for c, law in ((c, result.laws[c]) for c in firsts.values())
    ]
    lines.append("")
    if result.skips:
        lines += [f"Skipped cut-offs\n{format_table(SKIP_COLUMNS, skip_rows(result.skips))}", ""]
    lines += [f"left out: {why}" for why in result.left_out]
    return lines
