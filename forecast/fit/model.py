"""Fit the model behind every forecast: per-line growth, seasonality and the launch ramp.

1. The data (``forecast.load.bundle``) is cut at ``as_of`` and the history reconciled; the
   market series and the reference class of launches are cut too, so a replayed past fit
   knows nothing later.
2. Seasonality starts from China's BEV market (month of year + Lunar New Year).
3. Each line's log deliveries, less the seasonal factors, are fitted by every growth family
   with rolling-origin cross-validation, which also gives each family a stacking weight
   (``forecast.fit.select``); every family with weight > 0 is refitted on all months, and the
   line's model is their mixture (``LineFit.components``: the simulator draws a family per
   path). A family the scenario asks for is fitted alone (weight 1); a line too short to
   cross-validate takes equal weights (``select.SHORT_FAMILIES``). A family whose fit on all months falls back
   to another family drops out of the mixture and the others' weights are renormalised.
   The lifecycle family borrows its shape (a, b) from the
   reference class as a prior, which matters most for a line with a few months of history.
   A company total (a history without model lines) sums many models' lives, so lifecycle is
   not among its candidates; the level (the last three months held, the planner's
   run-rate) is, and only there. Its first pass is damped; too short to cross-validate, it
   takes the damped trend and the level with equal weights.
4. The lines' residuals adjust the market seasonality, shrunk toward it, and step 3 is
   repeated once with the adjusted factors.
5. The company's monthly supply ceiling (``forecast.fit.supply``): stated capacity known at
   ``as_of``, else demonstrated output grown as carmakers' output has grown.

Months listed as anomalies (``data/anomalies.csv``: a retooling stop) are left out of the
fits. Nothing here reads a file: the data comes in a ``DataBundle``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from forecast.errors import ForecastError
from forecast.fit.growth import (
    ETS_MIN_POINTS,
    FAMILIES,
    SHORT_PHI,
    GrowthFit,
    fit_growth,
    is_short_damped,
)
from forecast.fit.refclass import ReferenceClass, fit_reference_class
from forecast.fit.seasonality import (
    MarketSeasonality,
    ShrunkSeasonality,
    fit_market_seasonality,
    shrink_seasonality,
)
from forecast.fit.select import CVResult, cross_validate
from forecast.fit.supply import fit_supply
from forecast.fit.types import FittedModel, LineFit
from forecast.load.bundle import DataBundle
from forecast.load.history import TOTAL
from forecast.load.reconcile import Reconciled, reconcile

AUTO = "auto"
CHOICES = (AUTO, *FAMILIES)
# The candidates for a company total (a history without model lines), and its first-pass
# family: the target study (docs/backtest.md) measured lifecycle's decline dragging every
# total-only company's forecast down (pooled Brier 0.117 with it, 0.066 with damped alone).
# The held level (the planner's run-rate) is a candidate for a total only: a model line has
# a life (rise, peak, decline) that a level held flat ignores, and the line families cover it.
AGGREGATE_FAMILIES = tuple(f for f in FAMILIES if f != "lifecycle")
LINE_FAMILIES = tuple(f for f in FAMILIES if f != "level")
AGGREGATE_FIRST = "damped"
# Below this many months a line is not fitted on its own: it takes the reference-class
# shape and only its level comes from its data.
MIN_MONTHS = 4
# Log-scale noise assumed for a line too short to measure its own (the reference class's
# typical month-to-month scatter around a fitted lifecycle).
SHORT_LINE_SIGMA = 0.25


@dataclass(frozen=True, slots=True, kw_only=True)
class LineReport:
    """How one line was fitted: the candidates, the choice and the fit."""

    line: str
    months: np.ndarray  # fitted months (anomalies left out)
    log_y: np.ndarray  # deseasonalised log deliveries of those months
    excluded: tuple[int, ...]
    requested: str
    cv: CVResult | None
    growth: GrowthFit | None  # None when the line is too short to fit; the lead family
    mixture: tuple[tuple[GrowthFit, float], ...] = ()  # every family with weight > 0, lead first
    with_prior: GrowthFit | None  # lifecycle with the reference prior
    without_prior: GrowthFit | None  # lifecycle without it
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FitReport:
    model: FittedModel
    reconciled: Reconciled
    lines: tuple[LineReport, ...]
    reference: ReferenceClass
    market: MarketSeasonality
    seasonality: ShrunkSeasonality
    as_of: int


def fit_model(
    bundle: DataBundle,
    *,
    as_of: int | None = None,
    families: Mapping[str, str] | None = None,
    as_of_key: str = "as_of",
    reconciled: Reconciled | None = None,
) -> FitReport:
    """Fit every line of ``bundle`` as it stood at the end of ``as_of``.

    ``bundle`` (``forecast.load.bundle``), cut or not, is cut at ``as_of`` (default: the last
    month of its history), so the history, the market series and the reference launches
    know nothing later. ``families`` maps a line to a family name or ``"auto"``
    (cross-validated choice, the default for lines not named). ``as_of_key`` names ``as_of``
    in the error for a month outside the history. ``reconciled``: the history as reconciled
    at ``as_of`` (``reconcile(bundle.cut(as_of).company)``), when the caller has it already;
    reconciling takes about a quarter of a second, and a backtest needs it at every cut-off
    besides the fit.
    """
    as_of = bundle.check_as_of(as_of, key=as_of_key)
    families = dict(families or {})
    check_families(families)
    cut = bundle.cut(as_of)
    reconciled = reconcile(cut.company) if reconciled is None else reconciled
    report = fit_reconciled(
        reconciled,
        market=fit_market_seasonality(cut.market, cut.calendar),
        reference=fit_reference_class(cut.launches, exclude_makes=cut.profile.own_makes),
        anomalies=cut.company.anomalies,
        families=families,
        as_of=as_of,
    )
    supply = fit_supply(
        months=reconciled.months,
        totals=reconciled.total,
        capacity=cut.capacity,
        samples=cut.output_growth,
        as_of=as_of,
    )
    return dataclasses.replace(report, model=dataclasses.replace(report.model, supply=supply))


def fit_reconciled(
    reconciled: Reconciled,
    *,
    market: MarketSeasonality,
    reference: ReferenceClass,
    as_of: int,
    anomalies: frozenset[tuple[int, str]] = frozenset(),
    families: Mapping[str, str] | None = None,
) -> FitReport:
    """Steps 3 and 4 of the module notes on series already cut at ``as_of`` and reconciled.

    ``market`` and ``reference`` must know nothing after ``as_of`` either; the backtest of
    other makers' launches (``forecast.backtest.replay``) calls this with its own series.
    """
    families = dict(families or {})
    series = {line: _line_series(reconciled, line, anomalies) for line in reconciled.lines}

    first_pass = _fit_lines(series, reconciled, market, reference, families, cross_validated=False)
    months, resid = _pooled_residuals(first_pass, market)
    seasonality = shrink_seasonality(market, months, resid)
    reports = _fit_lines(series, reconciled, seasonality, reference, families, cross_validated=True)
    model = FittedModel(
        lines=tuple(_line_fit(r, reconciled, reference) for r in reports if r.months.size),
        seasonality=seasonality,
        ramp=reference.ramp,
        as_of=as_of,
    )
    return FitReport(
        model=model,
        reconciled=reconciled,
        lines=reports,
        reference=reference,
        market=market,
        seasonality=seasonality,
        as_of=as_of,
    )


def check_families(families: Mapping[str, str]) -> None:
    """A one-line ``ForecastError`` for a family name that is not one of ``CHOICES``."""
    for line, family in families.items():
        if family not in CHOICES:
            raise ForecastError(
                f"model.family for {line}: unknown family {family!r} (expected one of: {', '.join(CHOICES)})"
            )


def _line_series(reconciled: Reconciled, line: str, anomalies: frozenset[tuple[int, str]]):
    """(months, deliveries, excluded months) of a line from its first month, anomalies out."""
    values = reconciled.line(line)
    active = reconciled.months >= reconciled.first_month[line]
    bad = np.array(
        [(int(m), line) in anomalies or v <= 0 for m, v in zip(reconciled.months, values)]
    )
    keep = active & ~bad
    excluded = tuple(int(m) for m in reconciled.months[active & bad])
    return reconciled.months[keep], values[keep], excluded


def _fit_lines(series, reconciled, seasonality, reference, families, *, cross_validated):
    return tuple(
        _fit_line(
            line,
            *series[line],
            reconciled.first_month[line],
            seasonality,
            reference,
            families.get(line, AUTO),
            cross_validated=cross_validated,
        )
        for line in reconciled.lines
    )


def _fit_line(
    line,
    months,
    values,
    excluded,
    first_month,
    seasonality,
    reference,
    requested,
    *,
    cross_validated,
) -> LineReport:
    t = (months - first_month).astype(float)
    log_y = np.log(values) - seasonality.log_factors(months)
    prior = (reference.prior_mean, reference.prior_cov)
    base = dict(line=line, months=months, log_y=log_y, excluded=excluded, requested=requested)
    if months.size == 0:
        note = "no usable months yet (only excluded ones): not simulated unless a launch adds it"
        return LineReport(
            **base, cv=None, growth=None, with_prior=None, without_prior=None, note=note
        )
    if months.size < MIN_MONTHS:
        note = f"{months.size} month(s) of history: level from its data, shape from {reference.n_launches} launches"
        return LineReport(
            **base, cv=None, growth=None, with_prior=None, without_prior=None, note=note
        )
    # A company total sums many models' lives: the lifecycle shape of one launch (rise, peak,
    # decline; its prior from launches) is not a candidate for it (module notes, step 3).
    aggregate = line == TOTAL
    candidates = AGGREGATE_FAMILIES if aggregate else LINE_FAMILIES
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fallbacks are reported in the tables, not as warnings
        cv = (
            cross_validate(t, log_y, families=candidates, prior=None if aggregate else prior)
            if cross_validated and requested == AUTO
            else None
        )
        with_prior = fit_growth("lifecycle", t, log_y, prior=prior)
        # only the final pass's report shows the prior's effect; the first pass feeds residuals
        without_prior = fit_growth("lifecycle", t, log_y) if cross_validated else None
        first = AGGREGATE_FIRST if aggregate else "lifecycle"
        family = (cv.best if cv is not None else first) if requested == AUTO else requested
        weights = {family: 1.0} if cv is None else dict(zip(cv.families, cv.weights))
        mixture = _mixture(weights, t, log_y, with_prior)
    growth = mixture[0][0]
    note = growth.warning or _choice_note(cv, requested, mixture)
    if any(is_short_damped(g) for g, _ in mixture):
        note += f"; damped trend: a line's slope damped at phi {SHORT_PHI} (fewer than {ETS_MIN_POINTS} months)"
    return LineReport(
        **base,
        cv=cv,
        growth=growth,
        mixture=mixture,
        with_prior=with_prior,
        without_prior=without_prior,
        note=note,
    )


def _mixture(
    weights: Mapping[str, float], t: np.ndarray, log_y: np.ndarray, with_prior: GrowthFit
) -> tuple[tuple[GrowthFit, float], ...]:
    """Every family with weight > 0 fitted on all months, most weight first (ties: in
    ``FAMILIES`` order), fallbacks dropped and the rest renormalised (module notes, step 3)."""
    fits = [
        (with_prior if family == "lifecycle" else fit_growth(family, t, log_y), w)
        for family, w in sorted(weights.items(), key=lambda fw: (-fw[1], FAMILIES.index(fw[0])))
        if w > 0
    ]
    kept = [(g, w) for g, w in fits if g.warning is None] or fits[:1]
    total = sum(w for _, w in kept)
    return tuple((g, w / total) for g, w in kept)


def _choice_note(
    cv: CVResult | None, requested: str, mixture: tuple[tuple[GrowthFit, float], ...]
) -> str:
    if requested != AUTO:
        return f"{requested} as requested"
    if cv is None:
        return "lifecycle (first pass)"
    if cv.too_short and cv.note:
        return cv.note
    if len(mixture) == 1:
        return "the one family left by rolling-origin cross-validation"
    lead, weight = mixture[0]
    return (
        f"{len(mixture)} families stacked by rolling-origin cross-validation "
        f"(most weight: {lead.family}, {weight:.0%})"
    )


def _pooled_residuals(
    reports: tuple[LineReport, ...], market: MarketSeasonality
) -> tuple[np.ndarray, np.ndarray]:
    """Every line's residuals from its first-pass curve, for the seasonal adjustment."""
    months, resid = [], []
    for r in reports:
        if r.growth is not None:
            months.append(r.months)
            resid.append(r.growth.resid)
    if not months:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(months), np.concatenate(resid)


def _line_fit(report: LineReport, reconciled: Reconciled, reference: ReferenceClass) -> LineFit:
    origin = reconciled.first_month[report.line]
    if report.growth is None:
        return _borrowed_line_fit(report, origin, reference)
    mixture = report.mixture or ((report.growth, 1.0),)
    lead, *rivals = (_family_fit(report, g, w, origin) for g, w in mixture)
    return dataclasses.replace(lead, rivals=tuple(rivals))


def _family_fit(report: LineReport, g: GrowthFit, weight: float, origin: int) -> LineFit:
    return LineFit(
        line=report.line,
        family=g.family,
        param_names=g.param_names,
        params=g.params,
        cov=g.cov,
        origin=origin,
        sigma=g.sigma,
        phi=g.phi,
        last_resid=g.last_resid,
        last_month=int(report.months[-1]),
        weight=float(weight),
    )


def _borrowed_line_fit(report: LineReport, origin: int, reference: ReferenceClass) -> LineFit:
    """A line too short to fit: the reference-class lifecycle through its observed level."""
    a, b = reference.prior_mean
    t = (report.months - origin).astype(float)
    shape = a * np.log(t + 1.0) - b * (t + 1.0)
    c = float(np.mean(report.log_y - shape))
    cov = np.zeros((3, 3))
    cov[0, 0] = SHORT_LINE_SIGMA**2 / t.size
    cov[1:, 1:] = reference.prior_cov
    return LineFit(
        line=report.line,
        family="lifecycle",
        param_names=("c", "a", "b"),
        params=np.array([c, a, b]),
        cov=cov,
        origin=origin,
        sigma=SHORT_LINE_SIGMA,
        phi=0.0,
        last_resid=0.0,
        last_month=int(report.months[-1]),
    )
