"""The target study: P(hit) of every announced target at every month-end cut-off, as known then.

**Statements** (:func:`study_statements`): every row of a company's ``targets.csv`` of
reliability ``ok`` and kind other than ``partial``, whose year is over in the data and whose
outcome is known (:func:`year_actual`). A statement is studied when the company's monthly
data cover its year (zero before the first delivery counts as covered); the others still
count for the base rate.

**Cut-offs** (:func:`statement_cutoffs`): every month end from the later of the announcement
month (a statement dated by its year alone counts from January) and January of its year,
through November. A cut-off is skipped, with its reason, when the company has fewer than
three delivering months by then, or the engine refuses it.

**Methods**, on the same cut-offs, each from ``bundle.cut(cutoff)`` alone:

- ``forecast``: the engine as users get it (the scenario, by default the library's baseline,
  with ``history.company`` or ``history.data``, ``history.as_of``, ``target.year`` and
  ``target.units`` changed through ``Scenario.with_changes``; fitted, planned with the
  calibration row at ``as_of`` and simulated by ``forecast.engine.pipeline``);
- ``run_rate``, ``ets`` and ``base_rate`` (``forecast.backtest.target_baselines``).

The work is one job per cut-off month (:class:`MonthJob`: every studied company's run-rate
point, and for the statements open then, the engine and ETS), run through
``forecast.engine.parallel.map_ordered``; the run-rate's error law and the base rate, which
need every company's earlier results, are put together afterwards (:func:`assemble`).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forecast.backtest import target_baselines as tb
from forecast.backtest.baselines import MIN_MONTHS, ets_paths
from forecast.backtest.cases import case_seed
from forecast.engine import pipeline
from forecast.engine.cache import FitCache
from forecast.engine.parallel import map_ordered
from forecast.errors import ForecastError
from forecast.fit.seasonality import MarketSeasonality
from forecast.load import paths
from forecast.load.bundle import DataBundle, load_bundle
from forecast.load.history import TOTAL, History
from forecast.load.reconcile import Reconciled, reconcile
from forecast.load.targets import TargetStatement
from forecast.months import format_month, month_ordinal, year_months
from forecast.scenario.types import DEFAULT_SEED, Scenario
from forecast.summarise import scoring

FORECAST = "forecast"
RUN_RATE = "run_rate"
ETS = "ets"
BASE_RATE = "base_rate"
METHODS = (FORECAST, RUN_RATE, ETS, BASE_RATE)
LEVELS = (0.025, 0.05, 0.1, 0.5, 0.9, 0.95, 0.975)
QUANTILE_NAMES = ("p025", "p05", "p10", "p50", "p90", "p95", "p975")
DEFAULT_N_PATHS = 4000
STUDY_KINDS_LEFT_OUT = ("partial",)
RELIABILITY = "ok"


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True, kw_only=True)
class StudyCompany:
    """A company in the study: ``label`` names it; ``data_dir`` is its folder; ``key`` is
    the scenario key that selects it (``history.company`` for a bundled company,
    ``history.data`` for a folder of one's own) and ``value`` what it is set to."""

    label: str
    data_dir: Path
    key: str
    value: str


def bundled_company(label: str) -> StudyCompany:
    """A bundled company by label (a one-line error for an unknown one)."""
    return StudyCompany(
        label=label, data_dir=paths.company_dir(label), key="history.company", value=label
    )


def folder_company(label: str, data_dir: Path) -> StudyCompany:
    """A company folder of one's own."""
    return StudyCompany(label=label, data_dir=data_dir, key="history.data", value=str(data_dir))


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    """A target statement with its outcome: ``actual`` (``bound``: a published lower bound,
    "over 410,000", not an exact figure) from ``actual_from``; ``hit`` = actual >= units.
    ``studied``: the monthly data cover its year."""

    company: str
    year: int
    units: int
    kind: str
    announced: str
    where: str
    actual: int
    actual_from: str
    bound: bool
    hit: bool
    studied: bool

    @property
    def first_cutoff(self) -> int:
        """The later of the announcement month (January for a year alone) and January."""
        parts = [int(p) for p in self.announced.split("-")]
        announced = month_ordinal(parts[0], parts[1] if len(parts) > 1 else 1)
        return max(announced, month_ordinal(self.year, 1))

    @property
    def key(self) -> tuple[str, str]:
        return (self.company, self.where)


def statement_cutoffs(statement: Statement) -> list[int]:
    """Month ends from ``first_cutoff`` through November of the statement's year."""
    return list(range(statement.first_cutoff, month_ordinal(statement.year, 11) + 1))


def year_covered(history: History, year: int) -> bool:
    """Whether the monthly data give every month of ``year``: each is reported, or before
    the first delivery (zero), as ``pipeline.check_scenario`` reads them."""
    months = year_months(year)
    if int(months[-1]) > int(history.months[-1]):
        return False
    zero_before = history.first_delivery
    return not any(
        m < history.data_start and (zero_before is None or m >= zero_before) for m in months
    )


def year_actual(
    history: History, full: Reconciled, statement: TargetStatement
) -> tuple[int, str, bool] | None:
    """A year's outcome: (actual, where from, is a lower bound), or None when unknown.

    The reconciled history's year total when the monthly data cover the year, else the
    statement's ``actual`` in ``targets.csv``, else the company's total for the year in
    ``totals.csv`` (its ``at_least`` figures are lower bounds).
    """
    year = statement.year
    if int(history.months[-1]) < month_ordinal(year, 12):
        return None
    if year_covered(history, year):
        in_year = (full.months // 12) == year
        return int(round(float(full.total[in_year].sum()))), "history", False
    if statement.actual is not None:
        return statement.actual, "targets.csv", False
    first, last = month_ordinal(year, 1), month_ordinal(year, 12)
    for total in history.totals:
        if total.line == TOTAL and total.first == first and total.last == last:
            bound = total.qualifier in ("at_least",)
            return total.figure, f"totals.csv ({total.qualifier})", bound
    return None


def study_statements(bundle: DataBundle, label: str) -> tuple[list[Statement], list[str]]:
    """The company's statements of reliability ``ok``, not ``partial``, with a known outcome
    (a lower bound decides only a hit); and why the others of those kinds were left out."""
    history = bundle.company
    full = reconcile(history)
    chosen, left_out = [], []
    for s in history.targets:
        if s.reliability != RELIABILITY or s.kind in STUDY_KINDS_LEFT_OUT:
            continue
        outcome = year_actual(history, full, s)
        if outcome is None:
            left_out.append(f"{label} {Path(s.where).name}: {s.describe()}: outcome not known")
            continue
        actual, source, bound = outcome
        if bound and actual < s.units:
            left_out.append(
                f"{label} {Path(s.where).name}: {s.describe()}: only a bound ({actual:,}) is known"
            )
            continue
        studied = year_covered(history, s.year)
        chosen.append(
            Statement(
                company=label,
                year=s.year,
                units=s.units,
                kind=s.kind,
                announced=s.announced,
                where=Path(s.where).name,  # targets.csv:LINE
                actual=actual,
                actual_from=source,
                bound=bound,
                hit=actual >= s.units,
                studied=studied,
            )
        )
        if not studied:
            left_out.append(
                f"{label} {Path(s.where).name}: {s.describe()}: no monthly data for all of "
                f"{s.year} "
                "(counts for the base rate only)"
            )
    return chosen, left_out


# --------------------------------------------------------------------------- jobs


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    n_paths: int = DEFAULT_N_PATHS
    seed: int = DEFAULT_SEED


@dataclass(frozen=True, slots=True, kw_only=True)
class CompanyJob:
    """One company at one cut-off: its run-rate point, and the engine and ETS for the
    ``statements`` open then (none: the run-rate point alone, for the error law)."""

    company: StudyCompany
    statements: tuple[Statement, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class MonthJob:
    """Every studied company at the cut-off ``cutoff`` (picklable: it crosses to a worker)."""

    cutoff: int
    companies: tuple[CompanyJob, ...]
    scenario: Path
    overrides: tuple[str, ...]
    settings: Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class Point:
    """The run-rate's point forecast of one company at one cut-off, and the actuals it is
    scored against: ``ytd`` the year to date, ``rest_point`` / ``rest_actual`` the
    remaining months' total (``n_rest`` months; the actual from the full history),
    ``next_point`` the next month's, ``month_actual`` the cut-off month as known then."""

    company: str
    cutoff: int
    n_rest: int
    ytd: float
    rest_point: float
    rest_actual: float
    next_point: float
    month_actual: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Forecast:
    """One method's forecast of one statement's year from one cut-off.

    ``quantiles`` (7,) at ``LEVELS`` (NaN for the base rate); ``crps`` of the year total
    against the actual (NaN when unscored); ``next_p25``/``next_p75``: the central 50%
    interval of the month after the cut-off (stability); ``month_actual``: the cut-off
    month's total as known then."""

    statement: Statement
    cutoff: int
    method: str
    p_hit: float
    quantiles: np.ndarray
    crps: float
    next_p25: float
    next_p75: float
    month_actual: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Skip:
    statement: Statement
    cutoff: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MonthResult:
    cutoff: int
    points: tuple[Point, ...]
    forecasts: tuple[Forecast, ...]  # engine and ETS
    skips: tuple[Skip, ...]


@functools.lru_cache(maxsize=32)
def _bundle(data_dir: Path) -> DataBundle:
    return load_bundle(data_dir)


@functools.lru_cache(maxsize=4)
def _scenario(path: Path, overrides: tuple[str, ...]) -> Scenario:
    from forecast.engine.run import load

    return load(path, overrides)


def run_month(job: MonthJob) -> MonthResult:
    """Everything at one cut-off (module level: ``map_ordered`` pickles it to a worker)."""
    points, forecasts, skips = [], [], []
    market = None
    for company_job in job.companies:
        whole = _bundle(company_job.company.data_dir)
        series = np.zeros(0)
        if job.cutoff >= whole.company.data_start:
            bundle = whole.cut(job.cutoff)
            known = reconcile(bundle.company)
            series = _known_total(known)
        if series.size < MIN_MONTHS:
            why = f"fewer than {MIN_MONTHS} delivering months by then"
            skips += [
                Skip(statement=s, cutoff=job.cutoff, reason=why) for s in company_job.statements
            ]
            continue
        if market is None:
            market = _market(bundle)
        point = _point(company_job.company, job.cutoff, known, market)
        points.append(point)
        if company_job.statements:
            f, s = _forecasts(job, company_job, bundle, known, series, point)
            forecasts += f
            skips += s
    return MonthResult(
        cutoff=job.cutoff, points=tuple(points), forecasts=tuple(forecasts), skips=tuple(skips)
    )


def _known_total(known: Reconciled) -> np.ndarray:
    """The total as known, from its first delivering month."""
    return known.total[np.cumsum(known.total > 0) > 0]


def _market(bundle: DataBundle) -> MarketSeasonality:
    from forecast.fit.seasonality import fit_market_seasonality

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # early cut-offs: a rank-deficient robust fit
        return fit_market_seasonality(bundle.market, bundle.calendar)


def _point(
    company: StudyCompany, cutoff: int, known: Reconciled, market: MarketSeasonality
) -> Point:
    """The run-rate point of ``company`` at ``cutoff`` from its history ``known`` then."""
    year = cutoff // 12
    rest = np.arange(cutoff + 1, month_ordinal(year, 12) + 1, dtype=np.int64)
    last = known.months[-tb.N_LAST :]
    log_factors = market.log_factors(np.concatenate([last, rest]))
    rest_point, next_point = tb.run_rate_point(
        last, known.total[-tb.N_LAST :].astype(float), log_factors, rest
    )
    in_year = (known.months // 12) == year
    return Point(
        company=company.label,
        cutoff=cutoff,
        n_rest=int(rest.size),
        ytd=float(known.total[in_year].sum()),
        rest_point=rest_point,
        rest_actual=_rest_actual(company.data_dir, rest),
        next_point=next_point,
        month_actual=float(known.total[-1]),
    )


@functools.lru_cache(maxsize=32)
def _full(data_dir: Path) -> Reconciled:
    return reconcile(_bundle(data_dir).company)


def _rest_actual(data_dir: Path, rest: np.ndarray) -> float:
    """The remaining months' total in the full history (NaN if not all reported)."""
    full = _full(data_dir)
    if rest.size == 0 or int(rest[-1]) > int(full.months[-1]):
        return float("nan")
    return float(full.total[np.searchsorted(full.months, rest)].sum())


def _forecasts(
    job: MonthJob,
    company_job: CompanyJob,
    bundle: DataBundle,
    known: Reconciled,
    series: np.ndarray,
    point: Point,
) -> tuple[list[Forecast], list[Skip]]:
    forecasts: list[Forecast] = []
    skips: list[Skip] = []
    company, cutoff, settings = company_job.company, job.cutoff, job.settings
    base = _scenario(job.scenario, job.overrides)
    cache = FitCache.in_memory()  # one per company: its statements at this cut-off share a fit
    ets = _ets_totals(series, point, settings, company.label, cutoff)
    for statement in company_job.statements:
        try:
            engine = _engine(base, bundle, known, company, statement, cutoff, settings, cache)
        except ForecastError as error:
            skips.append(Skip(statement=statement, cutoff=cutoff, reason=error.problems[0]))
            continue
        for method, (totals, next_month) in ((FORECAST, engine), (ETS, ets)):
            forecasts.append(_forecast(statement, cutoff, method, totals, next_month, point))
    return forecasts, skips


def _engine(
    base: Scenario,
    bundle: DataBundle,
    known: Reconciled,
    company: StudyCompany,
    statement: Statement,
    cutoff: int,
    settings: Settings,
    cache: FitCache,
) -> tuple[np.ndarray, np.ndarray]:
    """The engine's year totals (n,) and next month (n,) for one statement at one cut-off."""
    scenario = base.with_changes(
        {
            company.key: company.value,
            "history.as_of": format_month(cutoff),
            "target.year": statement.year,
            "target.units": statement.units,
        }
    )
    pipeline.check_scenario(bundle, scenario)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # growth-fit fallbacks are part of what is scored
        fitted = pipeline.fit_at(
            bundle,
            cutoff,
            families=pipeline.families_for(scenario, bundle.company.lines),
            cache=cache,
            season_months=year_months(statement.year),
            reconciled=known,
        )
    plan = pipeline.plan(bundle, fitted, scenario)
    paths_ = pipeline.simulate(plan, seed=settings.seed, n_paths=settings.n_paths)
    column = int(np.searchsorted(plan.months, cutoff + 1))
    return paths_.sum(axis=1), paths_[:, column]


def _ets_totals(
    series: np.ndarray, point: Point, settings: Settings, label: str, cutoff: int
) -> tuple[np.ndarray, np.ndarray]:
    """ETS on the logs of the known total, simulated to December: (year totals, next month)."""
    seed = case_seed(settings.seed, label, "target-ets", cutoff)
    rng = np.random.default_rng(seed)
    positive = series[series > 0].astype(float)  # a stopped month has no log
    sim = ets_paths(positive, point.n_rest, rng=rng, n_paths=settings.n_paths)
    return point.ytd + sim.sum(axis=1), sim[:, 0]


def _forecast(
    statement: Statement,
    cutoff: int,
    method: str,
    totals: np.ndarray,
    next_month: np.ndarray,
    point: Point,
) -> Forecast:
    """A sample forecast: year totals (n,) and the next month (n,), summarised and scored."""
    p25, p75 = np.quantile(next_month, [0.25, 0.75])
    return Forecast(
        statement=statement,
        cutoff=cutoff,
        method=method,
        p_hit=float(np.mean(totals >= statement.units)),
        quantiles=np.quantile(totals, LEVELS),
        crps=_crps(totals, statement),
        next_p25=float(p25),
        next_p75=float(p75),
        month_actual=point.month_actual,
    )


def _crps(totals: np.ndarray, statement: Statement) -> float:
    if statement.bound:
        return float("nan")
    return float(scoring.crps(totals[:, None], np.array([float(statement.actual)]))[0])


# --------------------------------------------------------------------------- the study


@dataclass(frozen=True, slots=True, kw_only=True)
class StudyResult:
    """Every forecast (all methods), the statements, the cut-offs skipped with their
    reasons, the statements left out, and the run-rate law used at each cut-off."""

    forecasts: tuple[Forecast, ...]
    statements: tuple[Statement, ...]
    skips: tuple[Skip, ...]
    left_out: tuple[str, ...]
    laws: dict[int, tb.RunRate]
    companies: tuple[str, ...]


def plan_jobs(
    companies: Sequence[StudyCompany],
    scenario: Path,
    overrides: Sequence[str] = (),
    settings: Settings = Settings(),
) -> tuple[list[MonthJob], list[Statement], list[str]]:
    """The month jobs of a study: every cut-off month (January to November) of every year
    the companies' monthly data cover; the statements open at each."""
    statements: list[Statement] = []
    left_out: list[str] = []
    per_month: dict[int, list[CompanyJob]] = {}
    for company in companies:
        bundle = _bundle(company.data_dir)
        chosen, why = study_statements(bundle, company.label)
        statements += chosen
        left_out += why
        for cutoff in _company_cutoffs(bundle.company):
            open_ = tuple(s for s in chosen if s.studied and cutoff in statement_cutoffs(s))
            per_month.setdefault(cutoff, []).append(CompanyJob(company=company, statements=open_))
    jobs = [
        MonthJob(
            cutoff=cutoff,
            companies=tuple(per_month[cutoff]),
            scenario=scenario,
            overrides=tuple(overrides),
            settings=settings,
        )
        for cutoff in sorted(per_month)
    ]
    return jobs, statements, left_out


def _company_cutoffs(history: History) -> list[int]:
    """January to November of every year the monthly data cover."""
    years = range(int(history.months[0]) // 12, int(history.months[-1]) // 12 + 1)
    return [
        cutoff
        for year in years
        if year_covered(history, year)
        for cutoff in range(month_ordinal(year, 1), month_ordinal(year, 11) + 1)
    ]


def run_study(
    companies: Sequence[StudyCompany],
    *,
    scenario: Path | None = None,
    overrides: Sequence[str] = (),
    settings: Settings = Settings(),
    workers: int = 1,
) -> StudyResult:
    """The target study of ``companies`` (every statement, cut-off and method).

    ``scenario``: the scenario the engine runs (default: the library's baseline), with
    ``overrides`` (``--set``). The month jobs run through ``map_ordered``: the result does not
    depend on ``workers``.
    """
    scenario = paths.scenario_path("baseline") if scenario is None else Path(scenario)
    for memo in (_bundle, _full, _scenario):  # files read afresh by every study
        memo.cache_clear()
    _scenario(scenario, tuple(overrides))  # a bad scenario fails here, before any job
    jobs, statements, left_out = plan_jobs(companies, scenario, overrides, settings)
    results = map_ordered(run_month, jobs, workers)
    return assemble(results, statements, left_out, tuple(c.label for c in companies))


def assemble(
    results: Sequence[MonthResult],
    statements: Sequence[Statement],
    left_out: Sequence[str],
    companies: tuple[str, ...],
) -> StudyResult:
    """The run-rate and base-rate forecasts from the month results, then every forecast."""
    points = [p for r in results for p in r.points]
    engine = [f for r in results for f in r.forecasts]
    skips = tuple(s for r in results for s in r.skips)
    laws: dict[int, tb.RunRate] = {}
    by_point = {(p.company, p.cutoff): p for p in points}
    simple = []
    for f in engine:
        if f.method != FORECAST:
            continue
        cutoff, s = f.cutoff, f.statement
        if cutoff not in laws:
            laws[cutoff] = law_at(points, cutoff)
        simple.append(_run_rate(s, cutoff, by_point[(s.company, cutoff)], laws[cutoff]))
        simple.append(_base_rate(s, cutoff, statements, by_point[(s.company, cutoff)]))
    ordered = sorted(
        [*engine, *simple],
        key=lambda f: (
            f.statement.company,
            f.statement.year,
            f.statement.where,
            f.cutoff,
            METHODS.index(f.method),
        ),
    )
    return StudyResult(
        forecasts=tuple(ordered),
        statements=tuple(statements),
        skips=skips,
        left_out=tuple(left_out),
        laws=laws,
        companies=companies,
    )


def law_at(points: Sequence[Point], cutoff: int) -> tb.RunRate:
    """The run-rate law at ``cutoff``: errors of cut-offs whose year ended by its end."""
    errors = [
        tb.run_rate_error(p.rest_actual, p.rest_point, p.n_rest)
        for p in points
        if month_ordinal(p.cutoff // 12, 12) <= cutoff
        and math.isfinite(p.rest_actual)
        and p.rest_actual > 0
    ]
    return tb.fit_run_rate(errors)


def _run_rate(s: Statement, cutoff: int, point: Point, law: tb.RunRate) -> Forecast:
    levels = np.asarray(LEVELS)
    quantiles = tb.run_rate_quantiles(law, point.ytd, point.rest_point, point.n_rest, levels)
    samples = tb.run_rate_samples(law, point.ytd, point.rest_point, point.n_rest, 1000)
    mu, sd = law.log_law(1)
    next_p25, next_p75 = point.next_point * np.exp(mu + sd * np.array([-0.6745, 0.6745]))
    return Forecast(
        statement=s,
        cutoff=cutoff,
        method=RUN_RATE,
        p_hit=tb.run_rate_p_hit(law, point.ytd, point.rest_point, point.n_rest, s.units),
        quantiles=quantiles,
        crps=_crps(samples, s),
        next_p25=float(next_p25),
        next_p75=float(next_p75),
        month_actual=point.month_actual,
    )


def _base_rate(
    s: Statement, cutoff: int, statements: Sequence[Statement], point: Point
) -> Forecast:
    ended = [o.hit for o in statements if month_ordinal(o.year, 12) <= cutoff]
    return Forecast(
        statement=s,
        cutoff=cutoff,
        method=BASE_RATE,
        p_hit=tb.base_rate(ended),
        quantiles=np.full(len(LEVELS), np.nan),
        crps=float("nan"),
        next_p25=float("nan"),
        next_p75=float("nan"),
        month_actual=point.month_actual,
    )
