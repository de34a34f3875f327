"""The tables ``forecast fit`` prints and writes: candidates, choice, parameters, prior,
reference class, ramp, supply ceiling and seasonal factors. One list of tables feeds text, CSV and JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from forecast.fit.model import FitReport, LineReport
from forecast.fit.seasonality import factor_table
from forecast.months import format_month, year_months
from forecast.write.tables import Cell, csv_text, format_table, rounded

if TYPE_CHECKING:
    from forecast.sweeps.families import FamilyHits


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def candidate_rows(
    lines: tuple[LineReport, ...], alone: Mapping[tuple[str, str], float] | None = None
) -> list[tuple[Cell, ...]]:
    """Per line and family: CV score and errors, failures, the weight in the line's mixture
    (after fallbacks dropped out) and, given ``alone``, the P(hit) with that family alone."""
    rows: list[tuple[Cell, ...]] = []
    for r in lines:
        if r.cv is None or r.cv.too_short:
            continue
        weights = {g.family: w for g, w in r.mixture}
        for i, family in enumerate(r.cv.families):
            hit = None if alone is None else alone.get((r.line, family))
            rows.append(
                (
                    r.line,
                    family,
                    rounded(r.cv.score[i], 4),
                    *(rounded(v, 4) for v in r.cv.rmse[i]),
                    int(r.cv.n_failures[i]),
                    rounded(weights.get(family, 0.0), 3),
                    None if hit is None else rounded(100 * hit, 1),
                )
            )
    return rows


def choice_rows(report: FitReport) -> list[tuple[Cell, ...]]:
    rows: list[tuple[Cell, ...]] = []
    fits = {fit.line: fit for fit in report.model.lines}
    for r in report.lines:
        span = f"{format_month(r.months[0])}..{format_month(r.months[-1])}" if r.months.size else ""
        excluded = " ".join(format_month(m) for m in r.excluded)
        fit = fits.get(r.line)  # None: no usable months, so not in the model
        family, sigma, phi = (
            (fit.family, rounded(fit.sigma, 4), rounded(fit.phi, 4)) if fit else (None, None, None)
        )
        rows.append((r.line, family, span, int(r.months.size), excluded, sigma, phi, r.note))
    return rows


def parameter_rows(report: FitReport) -> list[tuple[Cell, ...]]:
    rows: list[tuple[Cell, ...]] = []
    for fit in (c for line in report.model.lines for c in line.components):
        se = np.sqrt(np.clip(np.diag(fit.cov), 0, None))
        for name, value, s in zip(fit.param_names, fit.params, se):
            rows.append(
                (
                    fit.line,
                    fit.family,
                    name,
                    rounded(value, 4),
                    rounded(s, 4),
                    rounded(value - 1.645 * s, 4),
                    rounded(value + 1.645 * s, 4),
                )
            )
    return rows


def prior_rows(lines: tuple[LineReport, ...]) -> list[tuple[Cell, ...]]:
    """The lifecycle fit with and without the reference-class prior: how far the prior moved it."""
    rows: list[tuple[Cell, ...]] = []
    for r in lines:
        if r.with_prior is None or r.without_prior is None:
            continue
        for i, name in enumerate(r.with_prior.param_names):
            a, b = r.with_prior.params[i], r.without_prior.params[i]
            rows.append((r.line, name, rounded(a, 4), rounded(b, 4), rounded(a - b, 4)))
        peak = [p[1] / p[2] - 1 for p in (r.with_prior.params, r.without_prior.params)]
        rows.append(
            (
                r.line,
                "peak month (t)",
                rounded(peak[0], 2),
                rounded(peak[1], 2),
                rounded(peak[0] - peak[1], 2),
            )
        )
    return rows


def ramp_rows(report: FitReport, n_months: int = 13) -> list[tuple[Cell, ...]]:
    u = np.array([0.1, 0.5, 0.9])
    k = np.arange(n_months, dtype=float)
    fractions = report.model.ramp.fraction(k, u)  # (3, n_months)
    return [(int(m), *(rounded(f, 4) for f in fractions[:, i])) for i, m in enumerate(k)]


SUPPLY_LEVELS = (0.0, 0.5, 1.0)  # the ceiling's draw u shown: lowest, middle, highest


def supply_rows(report: FitReport, year: int) -> list[tuple[Cell, ...]]:
    """Per month of ``year`` after ``as_of``: where the ceiling comes from and its value at
    each of ``SUPPLY_LEVELS`` (empty where none is set)."""
    supply = report.model.supply
    months = [int(m) for m in year_months(year) if int(m) > report.as_of]
    if supply is None or not months:
        return []
    values = supply.ceiling(np.array(months), np.array(SUPPLY_LEVELS))  # (levels, months)
    return [
        (
            format_month(m),
            supply.source(m),
            *(int(round(v)) if np.isfinite(v) else None for v in values[:, j]),
        )
        for j, m in enumerate(months)
    ]


def _supply_title(report: FitReport, year: int) -> str:
    supply = report.model.supply
    head = f"Monthly supply ceiling for {year}: deliveries never exceed it"
    if supply is None:
        return head + " (none: the model holds no supply fit)"
    return (
        f"{head}; a path draws one level u in [0, 1] for every month (low u = 0, mid 0.5, "
        f"high 1); record month as of {format_month(report.as_of)}: "
        f"{int(round(supply.demonstrated)):,}"
    )


def fit_tables(report: FitReport, year: int, hits: FamilyHits | None = None) -> list[Table]:
    """Every table of the fit, for the target ``year``'s seasonal factors; ``hits``: each
    family's P(hit) alone (``forecast.sweeps.families``) for the candidates table."""
    horizons: tuple[int, ...] = next(
        (r.cv.horizons for r in report.lines if r.cv is not None and not r.cv.too_short), ()
    )
    seasonal = factor_table(report.seasonality, year)
    ref = report.reference
    return [
        Table(
            "candidates",
            "Candidates by rolling-origin cross-validation (score: mean CRPS of log deliveries;"
            " weight: in the line's mixture)\np_hit_alone: " + _hits_text(hits),
            (
                "line",
                "family",
                "score",
                *(f"rmse_h{h}" for h in horizons),
                "failures",
                "weight",
                "p_hit_alone",
            ),
            tuple(candidate_rows(report.lines, None if hits is None else hits.alone)),
        ),
        Table(
            "choice",
            "Chosen model per line",
            ("line", "family", "months", "n_months", "excluded", "sigma", "phi", "note"),
            tuple(choice_rows(report)),
        ),
        Table(
            "parameters",
            "Parameters (log scale) with standard errors and 90% intervals",
            ("line", "family", "param", "value", "se", "p05", "p95"),
            tuple(parameter_rows(report)),
        ),
        Table(
            "reference",
            f"Reference class: {ref.n_launches} Chinese BEV launches ({ref.n_prior} in the prior)",
            ("statistic", "p10", "p50", "p90", "n"),
            tuple(
                (s.statistic, rounded(s.p10, 4), rounded(s.p50, 4), rounded(s.p90, 4), s.n)
                for s in ref.summary_rows()
            ),
        ),
        Table(
            "prior",
            "Lifecycle fit with and without the reference-class prior",
            ("line", "param", "with_prior", "without_prior", "shift"),
            tuple(prior_rows(report.lines)),
        ),
        Table(
            "ramp",
            "Launch / restart ramp: share of plateau k months after start (slow, median, fast)",
            ("months_since_start", "p10", "p50", "p90"),
            tuple(ramp_rows(report)),
        ),
        Table(
            "supply",
            _supply_title(report, year),
            ("month", "source", "low", "mid", "high"),
            tuple(supply_rows(report, year)),
        ),
        Table(
            "seasonal",
            f"Seasonal factors for {year} (market x own adjustment)",
            ("month", "holiday_days", "market_factor", "adjustment", "factor"),
            tuple(
                (
                    format_month(r.month),
                    r.holiday_days,
                    rounded(r.market_factor, 4),
                    rounded(r.adjustment, 4),
                    rounded(r.factor, 4),
                )
                for r in seasonal
            ),
        ),
    ]


def _hits_text(hits: FamilyHits | None) -> str:
    if hits is None:
        return "not computed"
    s = hits.scenario
    return (
        f"P({s.target_units:,} in {s.target_year}) in % of the {s.name} scenario as of "
        f"{format_month(s.as_of)} with that family alone on that line ({hits.n_paths:,} paths, "
        f"seed {hits.seed}); with the mixture: {100 * hits.mixture:.1f}%"
    )


def render_text(tables: list[Table]) -> str:
    return "\n\n".join(
        f"{t.title}\n{format_table(t.headers, t.rows, max_width=90)}" for t in tables if t.rows
    )


def render_csv(tables: list[Table]) -> str:
    """Long format, one value a line: ``table,row,column,value`` (pivot it in a spreadsheet)."""
    return csv_text(
        ("table", "row", "column", "value"),
        [
            (t.name, i, header, cell)
            for t in tables
            for i, row in enumerate(t.rows)
            for header, cell in zip(t.headers, row)
        ],
    )


def render_json(tables: list[Table], as_of: int) -> str:
    body: dict[str, object] = {"as_of": format_month(as_of)}
    body.update({t.name: [dict(zip(t.headers, row)) for row in t.rows] for t in tables})
    return json.dumps(body, indent=2) + "\n"


def target_year(as_of: int) -> int:
    """The year a fit as of ``as_of`` forecasts: the next one once December is reported."""
    year = as_of // 12
    return year + 1 if as_of == year_months(year)[-1] else year
