"""Replay past cut-offs: fit the model as it stood then and simulate the months after.

A :class:`Replay` holds what a backtest replays (the data, loaded once, and the scenario)
and what its two passes share: the engine's fit cache (in memory), the company's history
reconciled at each month, the market seasonality at each cut-off and the scenario at each
(cut-off, year). Every fit and every reconciliation sees ``bundle.cut(cutoff)``: the data as
it stood at the end of the cut-off, history, market series and reference launches alike.

For every cut-off month the engine fits the company's data as it stood then
(``forecast.engine.pipeline.fit_at``) and simulates the following months, one plan per
calendar year touched (:func:`simulate_ahead`). The forecast of each month and of the rest of
the cut-off's year is scored against the reconciled actuals of the full history
(``forecast.backtest.cases``), as are the plain baselines of ``forecast.backtest.baselines``
on the same cut-offs.

The same harness runs on other makers' launches (:func:`backtest_references`): each model is
one line, fitted by the same growth, selection and seasonality code (``fit_reconciled``) with
a reference class that leaves that model out and knows nothing after the cut-off, and
simulated by the same engine.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from forecast.backtest.baselines import MIN_MONTHS, baseline_paths
from forecast.backtest.cases import (
    DEFAULT_SETTINGS,
    ENGINES,
    FORECAST,
    METHODS,
    PEER,
    REFERENCE,
    UNCALIBRATED,
    Ahead,
    Case,
    Settings,
    case_seed,
    reference_cutoffs,
    score_case,
    with_year,
)
from forecast.engine import pipeline
from forecast.engine.cache import FitCache
from forecast.engine.fitted import Fitted
from forecast.errors import ForecastError
from forecast.fit.model import fit_reconciled
from forecast.fit.refclass import ReferenceSeries, fit_reference_class
from forecast.fit.seasonality import MarketSeasonality, fit_market_seasonality
from forecast.load.bev_models import ModelSales
from forecast.load.bundle import DataBundle
from forecast.load.history import TOTAL
from forecast.load.reconcile import Reconciled, reconcile
from forecast.load.targets import latest_target
from forecast.months import format_month, month_ordinal, year_months
from forecast.scenario.types import Scenario
from forecast.simulate.paths import simulate_paths

# --------------------------------------------------------------------------- what is replayed


class Replay:
    """The data and scenario a backtest replays, and the memos its two passes share.

    ``bundle``: the data, loaded once. ``scenario``: the scenario whose model is backtested;
    its ``history.as_of`` and ``target.year`` are replaced at each cut-off, and its model
    families are fitted, as a run fits them (``pipeline.families_for``). Every memo is keyed
    by month and holds what the data said at that month's end, so a memo can never carry
    later information into an earlier cut-off.
    """

    def __init__(self, bundle: DataBundle, scenario: Scenario) -> None:
        self.bundle = bundle
        self.scenario = scenario
        # One fit cache for both passes, in memory: a fit read back from the disk cache is
        # exact only for the months it stored, and the backtest simulates other years too.
        self.cache = FitCache.in_memory()
        self.families = pipeline.families_for(scenario, bundle.company.lines)
        self._actual: Reconciled | None = None
        self._known: dict[int, Reconciled] = {}
        self._markets: dict[int, MarketSeasonality] = {}
        self._scenarios: dict[tuple[int, int, bool], Scenario] = {}

    @property
    def source(self) -> str:
        """The company's label (``company.csv``): the source of its cases."""
        return self.bundle.profile.label

    @property
    def actual(self) -> Reconciled:
        """The company's whole history, reconciled: what the forecasts are scored against."""
        if self._actual is None:
            self._actual = reconcile(self.bundle.company)
        return self._actual

    def known_at(self, month: int) -> Reconciled:
        """The company's history reconciled as it stood at the end of ``month``."""
        if month not in self._known:
            self._known[month] = reconcile(self.bundle.cut(month).company)
        return self._known[month]

    def fit_at(self, cutoff: int) -> Fitted:
        """The engine's fit of the company's data as it stood at the end of ``cutoff``."""
        return pipeline.fit_at(
            self.bundle,
            cutoff,
            families=self.families,
            cache=self.cache,
            reconciled=self.known_at(cutoff),
        )

    def market_at(self, cutoff: int) -> MarketSeasonality:
        """The market seasonality fitted on the market series as it stood at ``cutoff``."""
        if cutoff not in self._markets:
            cut = self.bundle.cut(cutoff)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # early cut-offs: a rank-deficient robust fit
                self._markets[cutoff] = fit_market_seasonality(cut.market, cut.calendar)
        return self._markets[cutoff]

    def scenario_at(self, cutoff: int, year: int, *, reference: bool = False) -> Scenario:
        """The scenario as of ``cutoff`` with target year ``year``, validated as a file is.

        ``reference``: for another maker's launch, without the scenario's events and line
        settings (they name the company's lines), its model settings alone.
        """
        key = (cutoff, year, reference)
        if key not in self._scenarios:
            changes: dict[str, object] = {
                "history.as_of": format_month(cutoff),
                "target.year": year,
                # A replay scores each year against the target known at the cut-off
                # (latest_target), not the scenario's, and a year may have none yet: a
                # fixed figure keeps the scenario valid without the data's default.
                "target.units": 1,
            }
            if reference:
                changes |= {"events": [], "lines": {}}
            self._scenarios[key] = self.scenario.with_changes(changes)
        return self._scenarios[key]


# --------------------------------------------------------------------------- engine


def simulate_ahead(
    replay: Replay,
    fitted: Fitted,
    scenario_at: Callable[[int], Scenario],
    months: np.ndarray,
    *,
    seed: int,
    n_paths: int,
    error_walk: float = 0.0,
) -> Ahead:
    """Engine paths of ``months`` (after the fit's ``as_of``): one plan per year touched.

    ``scenario_at(year)`` is the scenario of that target year as of the cut-off; the fit's
    months and totals are the reported months of each year. Every run uses the same seed,
    so the growth parameters drawn agree across years. Months of different years are
    therefore each correctly distributed, though not jointly.
    """
    as_of = fitted.model.as_of
    reported = dict(zip(fitted.months.tolist(), fitted.totals.tolist()))
    this_year = as_of // 12
    years = sorted({int(m) // 12 for m in months} | ({this_year} if as_of % 12 != 11 else set()))
    columns: dict[str, dict[int, np.ndarray]] = {}
    year_total = None
    for year in years:
        plan = pipeline.plan(
            replay.bundle,
            fitted,
            scenario_at(year),
            error_walk=error_walk,
            reported=_reported_for(reported, year, as_of),
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
    replay: Replay, cutoff: int, settings: Settings, *, error_walk: float = 0.0
) -> tuple[Ahead, Reconciled]:
    """The engine's paths of the ``settings.horizon`` months after ``cutoff`` (and the rest of
    its year), from the data as it stood at the end of ``cutoff``; with the history
    reconciled then."""
    fitted = replay.fit_at(cutoff)
    months = np.arange(cutoff + 1, cutoff + settings.horizon + 1, dtype=np.int64)
    ahead = simulate_ahead(
        replay,
        fitted,
        lambda year: replay.scenario_at(cutoff, year),
        months,
        seed=case_seed(settings.seed, replay.source, TOTAL, cutoff),
        n_paths=settings.n_paths,
        error_walk=error_walk,
    )
    return ahead, replay.known_at(cutoff)


def backtest_company(
    replay: Replay,
    cutoffs: Iterable[int],
    settings: Settings = DEFAULT_SETTINGS,
    *,
    walks: Mapping[int, float] | None = None,
    methods: Sequence[str] | None = None,
) -> list[Case]:
    """Score the engine and the baselines from every cut-off of the company's history, total
    and per line; its cases' source is the company's label.

    Without ``walks``: the uncalibrated engine and the baselines (or only ``methods``). With
    ``walks`` (cut-off -> error walk): the calibrated engine alone, as method ``forecast``.
    """
    history, actual = replay.bundle.company, replay.actual
    last = int(actual.months[-1])
    if methods is None:
        methods = METHODS if walks is None else (FORECAST,)
    cases: list[Case] = []
    for cutoff in cutoffs:
        if cutoff >= last:
            raise ForecastError(f"cut-off {format_month(cutoff)}: nothing after it to score")
        walk = 0.0 if walks is None else walks[cutoff]
        ahead, cut = forecast_at(replay, cutoff, settings, error_walk=walk)
        # A total-only company's one line is its total: score it once.
        for series in dict.fromkeys((TOTAL, *cut.lines)):
            cases += _company_series(
                history, actual, cut, ahead, series, cutoff, settings, replay.source, methods
            )
    return [dataclasses.replace(c, error_walk=walks[c.cutoff]) if walks else c for c in cases]


def peer_cases(replay: Replay, cutoffs: Iterable[int], settings: Settings) -> list[Case]:
    """Another company's errors for the error walk: ``backtest_company``'s uncalibrated
    engine cases of each of its fitted lines (a total-only company's one line is its total),
    their source :data:`PEER`. Scored against that company's bundled history, later
    revisions included, as a reference launch's are; its total, where it has model lines, is
    a sum of walks and not one (``recalibration.PastErrors``)."""
    total_only = replay.bundle.company.lines == (TOTAL,)
    return [
        dataclasses.replace(c, source=PEER)
        for c in backtest_company(replay, cutoffs, settings, methods=(UNCALIBRATED,))
        if total_only or c.series != TOTAL
    ]


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
    baselines = any(method not in ENGINES for method in methods)
    paths = baseline_paths(known, h, seed=seed, n_paths=settings.n_paths) if baselines else {}
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
class ReferenceFit:
    """One reference launch fitted as it stood at ``cutoff``: one line, named ``run.name``;
    ``fitted.months``/``totals`` are the run's months and units up to the cut-off."""

    run: ReferenceSeries
    cutoff: int
    fitted: Fitted


def fit_references(
    replay: Replay, runs: Sequence[ReferenceSeries], *, step: int = 1
) -> tuple[ReferenceFit, ...]:
    """Every launch of ``runs`` fitted at every ``step``-th month from the
    ``REFERENCE_START``-th month of its run to its second last (``reference_cutoffs``).

    Both passes of a backtest score these same fits."""
    return tuple(
        fit_reference(replay, run, cutoff)
        for run in runs
        for cutoff in reference_cutoffs(run.months, step)
    )


def fit_reference(replay: Replay, run: ReferenceSeries, cutoff: int) -> ReferenceFit:
    """Fit one reference launch as a one-line model, knowing nothing after ``cutoff``.

    The line's time origin is the model's first listed month (its launch, as near as the
    lists show), and only its unbroken run is fitted; the reference class leaves the model
    itself out (:func:`without_model`), and the company's own makes, as the engine's does.
    The family is the scenario's ``model.family`` (its line settings name the company's lines).
    """
    lists = replay.bundle.cut(cutoff).launches
    origin = int(lists.months[np.argmax(lists.listed[lists.index(run.name)])])
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
    reference = fit_reference_class(
        without_model(lists, run.name), exclude_makes=replay.bundle.profile.own_makes
    )
    report = fit_reconciled(
        reconciled,
        market=replay.market_at(cutoff),
        reference=reference,
        as_of=cutoff,
        families={run.name: replay.scenario.family},  # the scenario's model.family
    )
    known = run.months <= cutoff
    fitted = Fitted(model=report.model, months=run.months[known], totals=run.units[known])
    return ReferenceFit(run=run, cutoff=cutoff, fitted=fitted)


def without_model(sales: ModelSales, name: str) -> ModelSales:
    """The lists without the model ``name``: a replayed launch is not its own reference."""
    keep = np.array([other != name for other in sales.names])
    return ModelSales(
        months=sales.months,
        names=tuple(other for other, k in zip(sales.names, keep) if k),
        units=sales.units[keep],
        listed=sales.listed[keep],
    )


def backtest_references(
    replay: Replay,
    fits: Iterable[ReferenceFit],
    settings: Settings = DEFAULT_SETTINGS,
    *,
    walks: Mapping[int, float] | None = None,
) -> list[Case]:
    """Score the engine and the baselines on other makers' launches, one fit at a time;
    ``walks`` as in ``backtest_company``."""
    return [case for fit in fits for case in reference_cases(replay, fit, settings, walks=walks)]


def reference_cases(
    replay: Replay,
    fit: ReferenceFit,
    settings: Settings,
    *,
    walks: Mapping[int, float] | None = None,
) -> list[Case]:
    """The cases of one reference run from one cut-off (first pass, or with ``walks``
    the calibrated engine alone)."""
    run, cutoff = fit.run, fit.cutoff
    walk = 0.0 if walks is None else walks[cutoff]
    methods = METHODS if walks is None else (FORECAST,)
    known = run.units[run.months <= cutoff]
    months = run.months[(run.months > cutoff) & (run.months <= cutoff + settings.horizon)]
    truth = run.units[np.isin(run.months, months)]
    rest = np.arange(cutoff + 1, month_ordinal(cutoff // 12, 12) + 1)
    rest = rest if rest.size and rest[-1] <= run.months[-1] else rest[:0]
    seed = case_seed(settings.seed, REFERENCE, run.name, cutoff)
    ahead = simulate_ahead(
        replay,
        fit.fitted,
        lambda year: replay.scenario_at(cutoff, year, reference=True),
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
