"""Backtests: replay past cut-offs, forecast, and score against what happened.

For every cut-off month the history is cut (``History.cut``), reconciled and fitted as it
stood then (``fit_model(as_of=...)`` cuts the market series and the reference class too),
and the engine simulates the following months, one run per calendar year touched
(:func:`simulate_ahead`). The forecast of each month and of the rest of the cut-off's year
is scored against the reconciled actuals of the full history (``forecast.summarise.scoring``), as are
the plain baselines of ``forecast.backtest.baselines`` on the same cut-offs.

The same harness runs on other Chinese BEV launches (:func:`backtest_references`): each
model is one line, fitted by the same growth, selection and seasonality code
(``fit_reconciled``) with a reference class that leaves that model out and knows nothing
after the cut-off, and simulated by the same engine.

A case (:class:`Case`) is one cut-off, one series and one method; the report pools them.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from forecast.backtest.baselines import BASELINES, MIN_MONTHS
from forecast.errors import ForecastError
from forecast.fit.calibration import fit_error_walk
from forecast.fit.model import FitReport, fit_model, fit_reconciled
from forecast.fit.refclass import ModelSales, ReferenceSeries, fit_reference_class
from forecast.fit.seasonality import MarketSeasonality
from forecast.fit.types import FittedModel
from forecast.load.history import TOTAL, History, target_at
from forecast.load.reconcile import Reconciled, reconcile
from forecast.months import format_month, month_ordinal, year_months
from forecast.scenario.types import Scenario
from forecast.simulate.paths import simulate_paths
from forecast.simulate.plan import make_plan
from forecast.summarise import scoring

FORECAST = "forecast"  # the engine with its calibrated error walk: what users get
UNCALIBRATED = "uncalibrated"  # the engine with the uncertainty exactly as fitted (no walk)
ENGINES = (FORECAST, UNCALIBRATED)
METHODS = (UNCALIBRATED, *BASELINES)  # the first pass; FORECAST comes second
DEFAULT_HORIZON = 6
DEFAULT_N_PATHS = 4000
REFERENCE_MODELS = (
    "Tesla|Model Y",
    "BYD|Seagull",
    "BYD|Dolphin",
    "Aion|Y",
    "Wuling|Bingo",
    "Geometry|Xingyuan",
    "Xpeng|Mona M03",
)
"""Launches replayed by default: unbroken runs in ``data/bev_models.csv`` (see docs/backtest.md)."""
REFERENCE_START = 6  # first cut-off: the sixth month of a reference run


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    horizon: int = DEFAULT_HORIZON
    n_paths: int = DEFAULT_N_PATHS
    seed: int = 20260201


@dataclass(frozen=True, slots=True, kw_only=True)
class Ahead:
    """Sample paths of the months after a cut-off.

    ``series`` maps ``"total"`` and each fitted line to (n_paths, h) deliveries in ``months``
    (h,); ``year_total`` (n_paths,) is the cut-off year's total, reported months included,
    or None when the cut-off is a December.
    """

    months: np.ndarray
    series: Mapping[str, np.ndarray]
    year_total: np.ndarray | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One method's forecast from one cut-off for one series, scored.

    Monthly arrays have shape (h,) over ``months``; ``covered`` is (3, h) for the 50/80/95%
    central intervals. ``scale`` is the last actual at the cut-off (relative CRPS). Year
    fields score the cut-off year's total (NaN when there is none); ``p_hit`` is the
    probability of the year's ``target`` as announced by the end of the cut-off month.
    """

    source: str
    series: str
    cutoff: int
    method: str
    months: np.ndarray
    actual: np.ndarray
    crps: np.ndarray
    pit: np.ndarray
    covered: np.ndarray
    median: np.ndarray
    scale: float
    year_actual: float = float("nan")
    year_median: float = float("nan")
    year_crps: float = float("nan")
    year_pit: float = float("nan")
    year_covered: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(3, bool))
    target: int | None = None
    p_hit: float = float("nan")
    samples: np.ndarray | None = None  # the engine's paths (n_paths, h), kept for recalibration
    year_samples: np.ndarray | None = None  # (n_paths,)
    error_walk: float = 0.0  # the calibrated model error's monthly sd (0: none)


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


# --------------------------------------------------------------------------- scoring


def score_case(
    samples: np.ndarray,
    actual: np.ndarray,
    *,
    rng: np.random.Generator,
    **fields,
) -> Case:
    """Score sample paths (n_paths, h) of the months in ``fields['months']`` against ``actual``."""
    keep = samples.astype(np.float32) if fields.get("method") in ENGINES else None
    return Case(
        actual=actual,
        samples=keep,
        crps=scoring.crps(samples, actual),
        pit=scoring.pit(samples, actual, rng=rng),
        covered=scoring.covered(samples, actual),
        median=np.median(samples, axis=0),
        **fields,
    )


def with_year(
    case: Case,
    totals: np.ndarray,
    actual: float,
    *,
    rng: np.random.Generator,
    target: int | None = None,
) -> Case:
    """``case`` with its year-total scores: totals (n_paths,) against the actual total."""
    column, y = totals[:, None], np.array([actual])
    return dataclasses.replace(
        case,
        year_actual=float(actual),
        year_median=float(np.median(totals)),
        year_crps=float(scoring.crps(column, y)[0]),
        year_pit=float(scoring.pit(column, y, rng=rng)[0]),
        year_covered=scoring.covered(column, y)[:, 0],
        target=target,
        p_hit=float(np.mean(totals >= target)) if target is not None else float("nan"),
        year_samples=totals.astype(np.float32) if case.samples is not None else None,
    )


def baseline_paths(
    values: np.ndarray, horizon: int, *, seed: int, n_paths: int
) -> dict[str, np.ndarray]:
    """Every baseline's paths (n_paths, horizon) from a series, each with its own stream."""
    streams = np.random.SeedSequence(seed).spawn(len(BASELINES))
    return {
        name: f(values, horizon, rng=np.random.default_rng(s), n_paths=n_paths)
        for (name, f), s in zip(BASELINES.items(), streams)
    }


# --------------------------------------------------------------------------- Xiaomi


def end_of_month(month: int) -> dt.date:
    year, m0 = divmod(int(month), 12)
    return dt.date(year, m0 + 1, calendar.monthrange(year, m0 + 1)[1])


def case_seed(seed: int, source: str, series: str, cutoff: int) -> int:
    """A stable seed per (source, series, cut-off): the same case always draws the same."""
    words = [int(b) for b in f"{source}|{series}".encode()]
    return int(np.random.SeedSequence([seed, cutoff, *words]).generate_state(1)[0])


def forecast_at(
    history: History,
    scenario_at: Callable[[int, int], Scenario],
    cutoff: int,
    settings: Settings,
    *,
    error_walk: float = 0.0,
    fits: dict | None = None,
) -> tuple[Ahead, Reconciled]:
    """The engine's paths of the ``settings.horizon`` months after ``cutoff`` (and the rest of
    its year), from the history as it stood at the end of ``cutoff``; with that history.
    ``fits`` memoises the fit per cut-off across the two passes."""
    fits = {} if fits is None else fits
    if cutoff not in fits:
        fits[cutoff] = fit_model(history, as_of=cutoff)
    report = fits[cutoff]
    months = np.arange(cutoff + 1, cutoff + settings.horizon + 1, dtype=np.int64)
    cut = report.reconciled
    reported = dict(zip(cut.months.tolist(), cut.total.tolist()))
    seed = case_seed(settings.seed, "xiaomi", TOTAL, cutoff)
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


def backtest_xiaomi(
    history: History,
    scenario_at: Callable[[int, int], Scenario],
    cutoffs: Iterable[int],
    settings: Settings = Settings(),
    *,
    walks: Mapping[int, float] | None = None,
    fits: dict | None = None,
) -> list[Case]:
    """Score the engine and the baselines from every cut-off, total and per line.

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
        ahead, cut = forecast_at(history, scenario_at, cutoff, settings, error_walk=walk, fits=fits)
        for series in (TOTAL, *cut.lines):
            cases += _xiaomi_series(history, actual, cut, ahead, series, cutoff, settings, methods)
    return [dataclasses.replace(c, error_walk=walks[c.cutoff]) if walks else c for c in cases]


def _xiaomi_series(
    history, actual, cut, ahead, series, cutoff, settings, methods=METHODS
) -> list[Case]:
    """The cases of one series from one cut-off: the engine's, then each baseline's."""
    known = _known_series(cut, series, history.anomalies)
    if known.size < MIN_MONTHS:
        return []
    months = ahead.months[ahead.months <= actual.months[-1]]
    truth = _values_at(actual, series, months)
    year_rest = _rest_of_year(cutoff, actual)
    h = max(months.size, year_rest.size)
    seed = case_seed(settings.seed, "xiaomi", series, cutoff)
    paths = baseline_paths(known, h, seed=seed, n_paths=settings.n_paths)
    rng = np.random.default_rng(seed)
    fields = dict(source="xiaomi", series=series, cutoff=cutoff, months=months, scale=known[-1])
    out = []
    for method in methods:
        samples = ahead.series[series][:, : months.size] if method in ENGINES else paths[method]
        case = score_case(samples[:, : months.size], truth, rng=rng, method=method, **fields)
        if series == TOTAL and year_rest.size:
            case = _xiaomi_year(case, ahead, paths, method, cut, actual, history, year_rest, rng)
        out.append(case)
    return out


def _xiaomi_year(case, ahead, paths, method, cut, actual, history, rest, rng) -> Case:
    cutoff = case.cutoff
    year = cutoff // 12
    so_far = float(cut.total[(cut.months // 12) == year].sum())
    if method in ENGINES:
        totals = ahead.year_total
    else:
        totals = so_far + paths[method][:, : rest.size].sum(axis=1)
    target = target_at(history.targets, year, on=end_of_month(cutoff))
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


def _values_at(actual: Reconciled, series: str, months: np.ndarray) -> np.ndarray:
    values = actual.total if series == TOTAL else actual.line(series)
    return values[np.searchsorted(actual.months, months)].astype(float)


def _rest_of_year(cutoff: int, actual: Reconciled) -> np.ndarray:
    """Months after the cut-off to the year's end, if all have actuals; else empty."""
    rest = np.arange(cutoff + 1, month_ordinal(cutoff // 12, 12) + 1, dtype=np.int64)
    return rest if rest.size and rest[-1] <= actual.months[-1] else rest[:0]


# --------------------------------------------------------------------------- references


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceData:
    """What the reference backtest needs: the lists, the market seasonality per cut-off."""

    sales: ModelSales
    market_at: Callable[[int], MarketSeasonality]  # cut-off -> fitted on the market to it


def backtest_references(
    data: ReferenceData,
    runs: Sequence[ReferenceSeries],
    scenario: Scenario,
    settings: Settings = Settings(),
    *,
    step: int = 1,
    walks: Mapping[int, float] | None = None,
    fits: dict | None = None,
) -> list[Case]:
    """Score the engine and the baselines on other makers' launches, every ``step`` months
    from the ``REFERENCE_START``-th month of each run to its second last. ``walks`` and
    ``fits`` as in ``backtest_xiaomi`` (the fits keyed by model and cut-off)."""
    cases: list[Case] = []
    fits = {} if fits is None else fits
    for run in runs:
        for i in range(REFERENCE_START - 1, run.months.size - 1, step):
            cutoff = int(run.months[i])
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
    seed = case_seed(settings.seed, "reference", run.name, cutoff)
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
    fields = dict(
        source="reference", series=run.name, cutoff=cutoff, months=months, scale=known[-1]
    )
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
        reference=fit_reference_class(sales, exclude_makes=("Xiaomi",)),  # until the split
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


# --------------------------------------------------------------------------- recalibration


def log_errors(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """An engine case's log median and own log sd, each (h,).

    The sd is the 10-90% log interval over 2 x 1.2816 (the sd, were the forecast log-normal).
    """
    assert case.samples is not None
    log_x = np.log(np.maximum(case.samples.astype(float), 1e-9))
    q10, q50, q90 = np.quantile(log_x, [0.1, 0.5, 0.9], axis=0)
    return q50, np.maximum((q90 - q10) / (2 * 1.2816), 1e-6)


@dataclass(frozen=True, slots=True, kw_only=True)
class PastErrors:
    """Every uncalibrated engine forecast of one line's month, in calendar time: its error is
    known from the end of the month it scores; its horizon is the number of months from its
    cut-off. Lines only (Xiaomi's and each reference launch): the engine gives each line its own
    walk, so Xiaomi's total, a sum of walks, is not a sample of one."""

    months: np.ndarray  # (n,) the month scored
    horizons: np.ndarray  # (n,)
    log_median: np.ndarray  # (n,)
    sd: np.ndarray  # (n,) the forecast's own log sd
    log_actual: np.ndarray  # (n,) as scored (Xiaomi: the full history's reconciliation)
    xiaomi_series: np.ndarray  # (n,) the Xiaomi series scored, "" for a reference launch


def past_errors(cases: Sequence[Case]) -> PastErrors:
    engine = [
        c
        for c in cases
        if c.method == UNCALIBRATED
        and c.samples is not None
        and not (c.source == "xiaomi" and c.series == TOTAL)
    ]
    pairs = [log_errors(c) for c in engine]

    def joined(parts: list, dtype) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    return PastErrors(
        months=joined([c.months for c in engine], np.int64),
        horizons=joined([c.months - c.cutoff for c in engine], np.int64),
        log_median=joined([q50 for q50, _ in pairs], float),
        sd=joined([sd for _, sd in pairs], float),
        log_actual=joined([np.log(np.maximum(c.actual, 1e-9)) for c in engine], float),
        xiaomi_series=joined(
            [np.full(c.months.size, c.series if c.source == "xiaomi" else "") for c in engine],
            object,
        ),
    )


def walks_at(
    cases: Sequence[Case],
    months: Iterable[int],
    known_at: Callable[[int], Reconciled] | None = None,
) -> dict[int, tuple[float, int]]:
    """For each month c, the error walk and the number of errors behind it, from the errors of
    months up to c and nothing later (``calibration.fit_error_walk``).

    ``known_at(c)`` is Xiaomi's history as it stood at the end of c: its errors are scored
    against those actuals, not the full history's, since totals published later revise
    earlier months (July 2024, "over 10,000", is pinned down by the third quarter's total).
    Reference launches' figures are never revised.
    """
    past = past_errors(cases)
    xiaomi = past.xiaomi_series != ""
    out = {}
    for month in sorted(set(int(m) for m in months)):
        known = past.months <= month
        log_actual = past.log_actual
        if known_at is not None and np.any(known & xiaomi):
            log_actual = log_actual.copy()
            history = known_at(month)
            for series in set(past.xiaomi_series[known & xiaomi]):
                rows = known & (past.xiaomi_series == series)
                values = _values_at(history, series, past.months[rows])
                log_actual[rows] = np.log(np.maximum(values, 1e-9))
        errors = log_actual[known] - past.log_median[known]
        walk = fit_error_walk(errors, past.sd[known], past.horizons[known])
        out[month] = (walk, int(known.sum()))
    return out


# --------------------------------------------------------------------------- the whole run


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestResult:
    cases: tuple[Case, ...]
    cutoffs: tuple[int, ...]
    references: tuple[str, ...]
    calibration: tuple[tuple[int, float, int], ...] = ()  # (month, error walk, n errors)


def scenario_loader(path, overrides: Sequence[str] = ()) -> Callable[[int, int], Scenario]:
    """``(cut-off, year) -> Scenario``: the scenario file with ``history.as_of`` and
    ``target.year`` set, loaded (and validated) once per pair."""
    from functools import cache

    from forecast.scenario.parse import load_scenario

    @cache
    def at(cutoff: int, year: int) -> Scenario:
        extra = [f'history.as_of="{format_month(cutoff)}"', f"target.year={year}"]
        return load_scenario(path, overrides=[*overrides, *extra])

    return at


def reference_data(data_dir) -> ReferenceData:
    """The lists and a cached market seasonality per cut-off, from a data folder."""
    import warnings
    from functools import cache
    from pathlib import Path

    from forecast.fit.refclass import load_bev_models
    from forecast.fit.seasonality import fit_market_seasonality
    from forecast.load.calendar import load_calendar
    from forecast.load.market import MarketSeries, load_market

    data_dir = Path(data_dir)
    market = load_market(data_dir / "market.csv")
    cal = load_calendar(data_dir / "calendar.csv")

    @cache
    def market_at(cutoff: int):
        keep = market.months <= cutoff
        cut = MarketSeries(
            months=market.months[keep], passenger=market.passenger[keep], bev=market.bev[keep]
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # early cut-offs: a rank-deficient robust fit
            return fit_market_seasonality(cut, cal)

    return ReferenceData(sales=load_bev_models(data_dir / "bev_models.csv"), market_at=market_at)


def run_backtest(
    scenario_path,
    *,
    first: int | None = None,
    last: int | None = None,
    settings: Settings = Settings(),
    references: Sequence[str] = REFERENCE_MODELS,
    step: int = 2,
    overrides: Sequence[str] = (),
) -> BacktestResult:
    """Backtest the scenario's model on Xiaomi cut-offs ``first..last`` (default 2024-06 to
    the second last month) and on the ``references``, in two passes.

    The first pass scores the engine as fitted (``uncalibrated``) and the baselines. The
    second re-simulates the engine from every cut-off with the error walk fitted on the first
    pass's errors of months up to that cut-off (never the months being scored), and scores it
    as ``forecast``: the calibration users get (``forecast.fit.calibration``), or the scenario's
    own ``model.error_walk`` if it sets one. ``calibration`` holds the fitted walk for every
    month of the history, for ``data/calibration.csv``.
    """
    import warnings

    from forecast.fit.refclass import reference_series
    from forecast.load.history import load_history

    scenario_at = scenario_loader(scenario_path, overrides)
    base = scenario_at(*_any_cutoff(scenario_path, overrides))
    history = load_history(base.data_dir)
    cutoffs = xiaomi_cutoffs(history, first, last)
    xiaomi_fits: dict = {}
    reference_fits: dict = {}
    runs: tuple[ReferenceSeries, ...] = ()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # growth-fit fallbacks are part of what is scored
        cases = backtest_xiaomi(history, scenario_at, cutoffs, settings, fits=xiaomi_fits)
        if references:
            data = reference_data(base.data_dir)
            runs = reference_series(data.sales, references)
            cases += backtest_references(data, runs, base, settings, step=step, fits=reference_fits)
        all_cutoffs = [*cutoffs, *(c for _, c in reference_fits), *(int(m) for m in history.months)]
        table = walks_at(cases, all_cutoffs, known_at=_known_at(history, xiaomi_fits))
        # A scenario that sets its own walk is scored with it (the table is still written).
        walks = {
            month: walk if base.error_walk is None else base.error_walk
            for month, (walk, _) in table.items()
        }
        cases += backtest_xiaomi(
            history, scenario_at, cutoffs, settings, walks=walks, fits=xiaomi_fits
        )
        if references:
            cases += backtest_references(
                data, runs, base, settings, step=step, walks=walks, fits=reference_fits
            )
    calibration = tuple((int(m), *table[int(m)]) for m in history.months)
    return BacktestResult(
        cases=tuple(cases),
        cutoffs=tuple(cutoffs),
        references=tuple(references),
        calibration=calibration,
    )


def _known_at(history: History, fits: Mapping[int, FitReport]) -> Callable[[int], Reconciled]:
    """Month -> Xiaomi's history reconciled as it stood at its end (the cut-offs' own, when
    fitted)."""
    from functools import cache

    @cache
    def at(month: int) -> Reconciled:
        report = fits.get(month)
        return report.reconciled if report is not None else reconcile(history.cut(month))

    return at


def _any_cutoff(path, overrides) -> tuple[int, int]:
    from forecast.scenario.parse import load_scenario

    scenario = load_scenario(path, overrides=overrides)
    return scenario.as_of, scenario.target_year


def xiaomi_cutoffs(history: History, first: int | None, last: int | None) -> list[int]:
    """Cut-offs from ``first`` (default: the third month of history) to ``last`` (default:
    the second last month); each needs three months before it and one after."""
    lo, hi = int(history.months[0]) + MIN_MONTHS - 1, int(history.months[-1]) - 1
    first = lo if first is None else first
    last = hi if last is None else last
    problems = [
        f"{name}: {format_month(m)} is outside {format_month(lo)} to {format_month(hi)}"
        for name, m in (("--from", first), ("--to", last))
        if not lo <= m <= hi
    ]
    if not problems and last < first:
        problems.append(f"--to {format_month(last)} is before --from {format_month(first)}")
    if problems:
        raise ForecastError(problems)
    return list(range(first, last + 1))


# --------------------------------------------------------------------------- report

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
    "pit",
)


def headline(case: Case) -> bool:
    """Cases in the pooled figures: Xiaomi's total and every reference launch (not lines,
    which the total already contains)."""
    return case.source == "reference" or case.series == TOTAL


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
        if c.source == "xiaomi" and c.series == TOTAL and c.target is not None:
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


def case_rows(cases: Sequence[Case]) -> list[tuple]:
    """The CSV: one row per cut-off, series and method."""
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
                " ".join(f"{p:.4f}" for p in c.pit),
            )
        )
    return rows


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
