"""Replay past cut-offs: fit the model as it stood then and simulate the months after.

For every cut-off month the company's history is cut (``History.cut``), reconciled and fitted
as it stood then (``fit_model(as_of=...)`` cuts the market series and the reference class
too), and the engine simulates the following months, one run per calendar year touched
(:func:`simulate_ahead`). The forecast of each month and of the rest of the cut-off's year is
scored against the reconciled actuals of the full history (``forecast.backtest.cases``), as
are the plain baselines of ``forecast.backtest.baselines`` on the same cut-offs.

The same harness runs on other makers' launches (:func:`backtest_references`): each model is
one line, fitted by the same growth, selection and seasonality code (``fit_reconciled``) with
a reference class that leaves that model out and knows nothing after the cut-off, and
simulated by the same engine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from forecast.backtest.baselines import MIN_MONTHS, baseline_paths
from forecast.backtest.cases import (
    DEFAULT_SETTINGS,
    ENGINES,
    FORECAST,
    METHODS,
    REFERENCE,
    Ahead,
    Case,
    Settings,
    case_seed,
    reference_cutoffs,
    score_case,
    with_year,
)

# The backtest charts import these from here (they moved to forecast.backtest.report).
from forecast.backtest.report import REPORT_METHODS, pooled_pits, reliability  # noqa: F401
from forecast.errors import ForecastError
from forecast.fit.model import fit_model, fit_reconciled
from forecast.fit.refclass import ModelSales, ReferenceSeries, fit_reference_class
from forecast.fit.seasonality import MarketSeasonality
from forecast.fit.types import FittedModel
from forecast.load.history import TOTAL, History
from forecast.load.reconcile import Reconciled, reconcile
from forecast.load.targets import latest_target
from forecast.months import format_month, month_ordinal, year_months
from forecast.scenario.types import Scenario
from forecast.simulate.paths import simulate_paths
from forecast.simulate.plan import make_plan

# --------------------------------------------------------------------------- engine


def simulate_ahead(
    model: FittedModel,
    scenario_at: Callable[[int], Scenario],
    reported: Mapping[int, float],
    months: np.ndarray,
    *,
    seed: int,
    n_paths: int,
    error_walk: float = 0.0,
) -> Ahead:
    """Engine paths of ``months`` (after ``model.as_of``): one engine run per year touched.

    ``scenario_at(year)`` is the scenario of that target year as of the cut-off; every run
    uses the same seed, so the growth parameters drawn agree across years. Months of
    different years are therefore each correctly distributed, though not jointly.
    """
    as_of = model.as_of
    this_year = as_of // 12
    years = sorted({int(m) // 12 for m in months} | ({this_year} if as_of % 12 != 11 else set()))
    columns: dict[str, dict[int, np.ndarray]] = {}
    year_total = None
    for year in years:
        plan = make_plan(
            model, scenario_at(year), _reported_for(reported, year, as_of), error_walk=error_walk
        )
        sim = simulate_paths(plan, seed=seed, n_paths=n_paths, record_lines=True)
        for j, month in enumerate(plan.sim_months):
            columns.setdefault(TOTAL, {})[int(month)] = sim.paths[:, plan.n_reported + j]
            for line, values in (sim.lines or {}).items():
                columns.setdefault(line, {})[int(month)] = values[:, j]
        if year == this_year:
            year_total = sim.totals
    series = {
        name: np.column_stack([cols[int(m)] for m in months]) for name, cols in columns.items()
    }
    return Ahead(months=np.asarray(months, dtype=np.int64), series=series, year_total=year_total)


def _reported_for(reported: Mapping[int, float], year: int, as_of: int) -> dict[int, float]:
    """Reported totals of ``year`` up to ``as_of``; 0 before a series starts."""
    return {m: float(reported.get(m, 0.0)) for m in year_months(year) if m <= as_of}


# --------------------------------------------------------------------------- the company


def forecast_at(
    history: History,
    scenario_at: Callable[[int, int], Scenario],
    cutoff: int,
    settings: Settings,
    *,
    source: str,
    error_walk: float = 0.0,
    fits: dict | None = None,
) -> tuple[Ahead, Reconciled]:
    """The engine's paths of the ``settings.horizon`` months after ``cutoff`` (and the rest of
    its year), from the history as it stood at the end of ``cutoff``; with that history.
    ``source`` is the company's label (its cases' random streams); ``fits`` memoises the fit
    per cut-off across the two passes."""
    fits = {} if fits is None else fits
    if cutoff not in fits:
        fits[cutoff] = fit_model(history, as_of=cutoff)
    report = fits[cutoff]
    months = np.arange(cutoff + 1, cutoff + settings.horizon + 1, dtype=np.int64)
    cut = report.reconciled
    reported = dict(zip(cut.months.tolist(), cut.total.tolist()))
    seed = case_seed(settings.seed, source, TOTAL, cutoff)
    ahead = simulate_ahead(
        report.model,
        lambda year: scenario_at(cutoff, year),
        reported,
        months,
        seed=seed,
        n_paths=settings.n_paths,
        error_walk=error_walk,
    )
    return ahead, cut


def backtest_company(
    history: History,
    scenario_at: Callable[[int, int], Scenario],
    cutoffs: Iterable[int],
    settings: Settings = DEFAULT_SETTINGS,
    *,
    source: str,
    walks: Mapping[int, float] | None = None,
    fits: dict | None = None,
) -> list[Case]:
    """Score the engine and the baselines from every cut-off of the company's history, total
    and per line; ``source`` (the company's label) names its cases.

    Without ``walks``: the uncalibrated engine and the baselines. With ``walks``
    (cut-off -> error walk): the calibrated engine alone, as method ``forecast``.
    """
    actual = reconcile(history)
    last = int(actual.months[-1])
    methods = METHODS if walks is None else (FORECAST,)
    cases: list[Case] = []
    for cutoff in cutoffs:
        if cutoff >= last:
            raise ForecastError(f"cut-off {format_month(cutoff)}: nothing after it to score")
        walk = 0.0 if walks is None else walks[cutoff]
        ahead, cut = forecast_at(
            history, scenario_at, cutoff, settings, source=source, error_walk=walk, fits=fits
        )
        for series in (TOTAL, *cut.lines):
            cases += _company_series(
                history, actual, cut, ahead, series, cutoff, settings, source, methods
            )
    return [dataclasses.replace(c, error_walk=walks[c.cutoff]) if walks else c for c in cases]


def _company_series(
    history, actual, cut, ahead, series, cutoff, settings, source, methods=METHODS
) -> list[Case]:
    """The cases of one series from one cut-off: the engine's, then each baseline's."""
    known = _known_series(cut, series, history.anomalies)
    if known.size < MIN_MONTHS:
        return []
    months = ahead.months[ahead.months <= actual.months[-1]]
    truth = values_at(actual, series, months)
    year_rest = _rest_of_year(cutoff, actual)
    h = max(months.size, year_rest.size)
    seed = case_seed(settings.seed, source, series, cutoff)
    paths = baseline_paths(known, h, seed=seed, n_paths=settings.n_paths)
    rng = np.random.default_rng(seed)
    fields = dict(source=source, series=series, cutoff=cutoff, months=months, scale=known[-1])
    out = []
    for method in methods:
        samples = ahead.series[series][:, : months.size] if method in ENGINES else paths[method]
        case = score_case(samples[:, : months.size], truth, rng=rng, method=method, **fields)
        if series == TOTAL and year_rest.size:
            case = _company_year(case, ahead, paths, method, cut, actual, history, year_rest, rng)
        out.append(case)
    return out


def _company_year(case, ahead, paths, method, cut, actual, history, rest, rng) -> Case:
    cutoff = case.cutoff
    year = cutoff // 12
    so_far = float(cut.total[(cut.months // 12) == year].sum())
    if method in ENGINES:
        totals = ahead.year_total
    else:
        totals = so_far + paths[method][:, : rest.size].sum(axis=1)
    target = latest_target(history.targets, year, cutoff)
    year_actual = float(actual.total[(actual.months // 12) == year].sum())
    units = target.units if target is not None else None
    return with_year(case, totals, year_actual, rng=rng, target=units)


def _known_series(cut: Reconciled, series: str, anomalies) -> np.ndarray:
    """The series as known at the cut-off, from its first month, anomalous months left out."""
    if series == TOTAL:
        values = cut.total
        return values[np.cumsum(values > 0) > 0]
    keep = (cut.months >= cut.first_month[series]) & np.array(
        [(int(m), series) not in anomalies for m in cut.months]
    )
    values = cut.line(series)[keep]
    return values[values > 0]


def values_at(actual: Reconciled, series: str, months: np.ndarray) -> np.ndarray:
    """A series' reconciled values (m,) at ``months`` (m,)."""
    values = actual.total if series == TOTAL else actual.line(series)
    return values[np.searchsorted(actual.months, months)].astype(float)


def _rest_of_year(cutoff: int, actual: Reconciled) -> np.ndarray:
    """Months after the cut-off to the year's end, if all have actuals; else empty."""
    rest = np.arange(cutoff + 1, month_ordinal(cutoff // 12, 12) + 1, dtype=np.int64)
    return rest if rest.size and rest[-1] <= actual.months[-1] else rest[:0]


# --------------------------------------------------------------------------- references


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceData:
    """What the reference backtest needs: the lists, the market seasonality per cut-off,
    and the makes the reference class leaves out (the company's own)."""

    sales: ModelSales
    exclude_makes: tuple[str, ...]
    market_at: Callable[[int], MarketSeasonality]  # cut-off -> fitted on the market to it


def backtest_references(
    data: ReferenceData,
    runs: Sequence[ReferenceSeries],
    scenario: Scenario,
    settings: Settings = DEFAULT_SETTINGS,
    *,
    step: int = 1,
    walks: Mapping[int, float] | None = None,
    fits: dict | None = None,
) -> list[Case]:
    """Score the engine and the baselines on other makers' launches, every ``step`` months
    from the ``REFERENCE_START``-th month of each run to its second last. ``walks`` and
    ``fits`` as in ``backtest_company`` (the fits keyed by model and cut-off)."""
    cases: list[Case] = []
    fits = {} if fits is None else fits
    for run in runs:
        for cutoff in reference_cutoffs(run.months, step):
            if (run.name, cutoff) not in fits:
                fits[run.name, cutoff] = fit_reference_model(data, run, cutoff)
            cases += reference_cases(
                data, run, cutoff, scenario, settings, model=fits[run.name, cutoff], walks=walks
            )
    return cases


def reference_cases(
    data: ReferenceData,
    run: ReferenceSeries,
    cutoff: int,
    scenario: Scenario,
    settings: Settings,
    *,
    model: FittedModel | None = None,
    walks: Mapping[int, float] | None = None,
) -> list[Case]:
    """The cases of one reference run from one cut-off (first pass, or with ``walks``
    the calibrated engine alone)."""
    model = model or fit_reference_model(data, run, cutoff)
    walk = 0.0 if walks is None else walks[cutoff]
    methods = METHODS if walks is None else (FORECAST,)
    known = run.units[run.months <= cutoff]
    months = run.months[(run.months > cutoff) & (run.months <= cutoff + settings.horizon)]
    truth = run.units[np.isin(run.months, months)]
    rest = np.arange(cutoff + 1, month_ordinal(cutoff // 12, 12) + 1)
    rest = rest if rest.size and rest[-1] <= run.months[-1] else rest[:0]
    seed = case_seed(settings.seed, REFERENCE, run.name, cutoff)
    reported = dict(zip(run.months.tolist(), run.units.tolist()))
    ahead = simulate_ahead(
        model,
        lambda y: _reference_scenario(scenario, cutoff, y),
        reported,
        months,
        seed=seed,
        n_paths=settings.n_paths,
        error_walk=walk,
    )
    paths = baseline_paths(known, max(months.size, rest.size), seed=seed, n_paths=settings.n_paths)
    rng = np.random.default_rng(seed)
    fields = dict(source=REFERENCE, series=run.name, cutoff=cutoff, months=months, scale=known[-1])
    out = []
    for method in methods:
        samples = ahead.series[TOTAL] if method in ENGINES else paths[method][:, : months.size]
        case = score_case(samples, truth, rng=rng, method=method, **fields)
        if rest.size:
            so_far = float(
                run.units[(run.months // 12 == cutoff // 12) & (run.months <= cutoff)].sum()
            )
            engine_total = ahead.year_total if method in ENGINES else None
            totals = (
                so_far + paths[method][:, : rest.size].sum(1)
                if engine_total is None
                else engine_total
            )
            year_actual = float(run.units[np.isin(run.months, rest)].sum()) + so_far
            case = with_year(case, totals, year_actual, rng=rng)
        out.append(dataclasses.replace(case, error_walk=walk))
    return out


def _reference_scenario(scenario: Scenario, cutoff: int, year: int) -> Scenario:
    """The scenario's model settings for a reference launch: no events, no line settings."""
    return dataclasses.replace(scenario, as_of=cutoff, target_year=year, events=(), lines={})


def fit_reference_model(data: ReferenceData, run: ReferenceSeries, cutoff: int) -> FittedModel:
    """Fit one reference launch as a one-line model, knowing nothing after ``cutoff``.

    The line's time origin is the model's first listed month (its launch, as near as the
    lists show), and only its unbroken run is fitted; the reference class leaves the model
    itself out.
    """
    sales = cut_sales(data.sales, cutoff, drop=run.name)
    origin = int(data.sales.months[np.argmax(data.sales.listed[data.sales.index(run.name)])])
    months = np.arange(origin, cutoff + 1, dtype=np.int64)
    values = np.zeros(months.size)  # 0: not in the run, so left out of the fit
    values[np.isin(months, run.months)] = run.units[np.isin(run.months, months)]
    reconciled = Reconciled(
        months=months,
        lines=(run.name,),
        values=values[None, :],
        first_month={run.name: origin},
        uses=(),
    )
    report = fit_reconciled(
        reconciled,
        market=data.market_at(cutoff),
        reference=fit_reference_class(sales, exclude_makes=data.exclude_makes),
        as_of=cutoff,
    )
    return report.model


def cut_sales(sales: ModelSales, as_of: int, *, drop: str | None = None) -> ModelSales:
    """The lists up to ``as_of``, without the model ``drop``."""
    keep_m = sales.months <= as_of
    keep_r = np.array([name != drop for name in sales.names])
    return ModelSales(
        months=sales.months[keep_m],
        names=tuple(n for n, k in zip(sales.names, keep_r) if k),
        units=sales.units[keep_r][:, keep_m],
        listed=sales.listed[keep_r][:, keep_m],
    )
