"""Paths -> the answer: probability of the target, quantiles, the monthly fan, the run-rate.

Everything here is a pure function of the simulated paths, so the CSV, the printed answer
and the charts all come from one ``Summary``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.errors import ConfigError
from forecast.load.targets import TargetStatement
from forecast.months import format_month

QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
QUANTILE_NAMES = tuple(f"p{round(q * 100):02d}" for q in QUANTILES)


@dataclass(frozen=True, slots=True, kw_only=True)
class MonthRow:
    month: int
    actual: float | None  # reported figure, or None for a simulated month
    mean: float | None
    quantiles: tuple[float, ...] | None  # at QUANTILES, None for a reported month
    cum_p50: float
    target_pace: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """The answer for one scenario. Amounts are deliveries in the target year."""

    scenario: str
    target_year: int
    target: int
    n_paths: int
    p_hit: float
    p_hit_se: float
    mean: float
    sd: float
    quantiles: tuple[float, ...]
    expected_shortfall: float
    required_monthly: float
    months_remaining: int
    ytd_actual: float
    months: tuple[MonthRow, ...]
    # the announced target ``target`` comes from; None when the scenario set the figure
    target_statement: TargetStatement | None = None

    def quantile(self, q: float) -> float:
        return self.quantiles[QUANTILES.index(q)]


def hit_probability(totals: np.ndarray, target: float) -> tuple[float, float]:
    """P(total >= target) and its Monte Carlo standard error sqrt(p(1-p)/n)."""
    hits = totals >= target
    p = float(hits.mean())
    return p, float(np.sqrt(p * (1.0 - p) / totals.size))


def expected_shortfall(totals: np.ndarray, target: float) -> float:
    """Mean of (target - total) over the paths that miss; 0 when none miss."""
    short = target - totals[totals < target]
    return float(short.mean()) if short.size else 0.0


def required_monthly(target: float, ytd_actual: float, months_remaining: int) -> float:
    """The average monthly deliveries still needed; 0 once the target is met."""
    if months_remaining == 0:
        return 0.0
    return max(target - ytd_actual, 0.0) / months_remaining


def summarise(
    paths: np.ndarray,
    *,
    months: np.ndarray,
    n_reported: int,
    target: int,
    scenario: str,
    target_statement: TargetStatement | None = None,
) -> Summary:
    """Summarise ``paths`` (n_paths, 12): deliveries per month of the target year.

    The first ``n_reported`` columns are reported actuals, identical on every path.
    ``target_statement``: the announced target that ``target`` was taken from, if any.
    """
    paths = np.asarray(paths, dtype=float)
    _check_finite(paths, scenario)
    totals = paths.sum(axis=1)
    ytd = float(paths[0, :n_reported].sum()) if n_reported else 0.0
    remaining = paths.shape[1] - n_reported
    need = required_monthly(target, ytd, remaining)
    p_hit, p_se = hit_probability(totals, target)
    return Summary(
        scenario=scenario,
        target_year=int(months[0]) // 12,
        target=target,
        n_paths=paths.shape[0],
        p_hit=p_hit,
        p_hit_se=p_se,
        mean=float(totals.mean()),
        sd=_sd(totals),
        quantiles=tuple(float(v) for v in np.quantile(totals, QUANTILES)),
        expected_shortfall=expected_shortfall(totals, target),
        required_monthly=need,
        months_remaining=remaining,
        ytd_actual=ytd,
        months=_month_rows(paths, months, n_reported, ytd, need),
        target_statement=target_statement,
    )


def _sd(totals: np.ndarray) -> float:
    """Sample standard deviation; exactly 0 when every path has the same total.

    Deviations are taken from the first total, not the mean: the mean of equal values,
    summed pairwise, can miss them by an ulp and leave an sd of 1e-11 for identical paths.
    The shift changes nothing else (the variance does not depend on it).
    """
    if totals.size < 2:
        return 0.0
    return float(np.std(totals - totals[0], ddof=1))


MAX_TOTAL = 1e15  # deliveries in a year; far beyond any maker, well inside float range


def _check_finite(paths: np.ndarray, scenario: str) -> None:
    """Paths beyond any real market (a boost of 1e300, a lognormal with sigma 1000) would give
    infinite or NaN statistics; they are a scenario error, not an answer."""
    bad = ~(np.abs(paths.sum(axis=1)) < MAX_TOTAL)  # NaN is bad too
    if bad.any():
        raise ConfigError(
            f"{scenario}: {int(bad.sum()):,} of {bad.size:,} paths deliver more than "
            f"{MAX_TOTAL:.0e} units or overflow: an input distribution or factor is far too large"
        )


def _month_rows(
    paths: np.ndarray, months: np.ndarray, n_reported: int, ytd: float, need: float
) -> tuple[MonthRow, ...]:
    fan = np.quantile(paths, QUANTILES, axis=0)  # (n_quantiles, 12)
    cum_p50 = np.median(np.cumsum(paths, axis=1), axis=0)
    means = paths.mean(axis=0)
    rows = []
    for i, month in enumerate(months):
        reported = i < n_reported
        # the pace that reaches the target: actuals so far, then the required run-rate
        pace = float(paths[0, : i + 1].sum()) if reported else ytd + need * (i + 1 - n_reported)
        rows.append(
            MonthRow(
                month=int(month),
                actual=float(paths[0, i]) if reported else None,
                mean=None if reported else float(means[i]),
                quantiles=None if reported else tuple(float(v) for v in fan[:, i]),
                cum_p50=float(cum_p50[i]),
                target_pace=pace,
            )
        )
    return tuple(rows)


def describe(summary: Summary) -> str:
    """The short human answer printed by ``forecast run``."""
    s = summary
    lines = [
        f"{s.scenario}: P({s.target:,} in {s.target_year}) = {s.p_hit:.1%} ± {s.p_hit_se:.1%}",
        f"  median {s.quantile(0.5):,.0f}; 90% range {s.quantile(0.05):,.0f} to {s.quantile(0.95):,.0f}",
    ]
    if s.target_statement is not None:
        lines.append(f"  target: {statement_text(s.target_statement)}")
    if s.months_remaining:
        first = format_month(s.months[-s.months_remaining].month)
        lines.append(
            f"  needs {s.required_monthly:,.0f} a month from {first} to December "
            f"({s.ytd_actual:,.0f} delivered so far in {s.target_year})"
        )
    if s.p_hit == 0:  # summary.csv has the shortfall then too
        lines.append(f"  missed on every path, short by {s.expected_shortfall:,.0f} on average")
    elif s.p_hit < 1:
        lines.append(f"  when missed, short by {s.expected_shortfall:,.0f} on average")
    return "\n".join(lines)


def statement_text(statement: TargetStatement) -> str:
    """Which announced target a run took, for the terminal: what, when, how reliable, where.

    ``the 2025 range 500,000-600,000 (its low end), announced 2025-03-11 (reliability ok;
    targets.csv:4; https://...)``
    """
    t = statement
    figure = f"{t.units:,}" if t.units_high is None else f"{t.units:,}-{t.units_high:,}"
    low_end = " (its low end)" if t.units_high is not None else ""
    where = t.where.rsplit("/", 1)[-1]  # the file and line: the folder is the company's
    return (
        f"the {t.year} {t.kind} {figure}{low_end}, announced {t.announced} "
        f"(reliability {t.reliability}; {where}; {t.source})"
    )
