"""A whole backtest: the company's cut-offs and the reference launches, in two passes.

The data is loaded once (``forecast.load.bundle.load_bundle``) and the scenario once; a
``Replay`` (``forecast.backtest.replay``) holds both and what the passes share. The first
pass replays every cut-off with the engine as fitted and the baselines; the error walk of
every month is fitted on that pass's errors known by then (``forecast.backtest.recalibration``);
the second pass replays every cut-off again with its month's walk, as users get it. What is
company-specific comes from the data folder: the company (``company.csv``) and the launches
replayed (``reference_launches.csv``).

Every cut-off of a pass is an independent job: its fit, its simulation and its scores depend
on the cut-off, the settings and the data alone (each case seeds its own streams,
``case_seed``), never on another cut-off. With ``workers`` (processes, or a dask
``Executor``) each pass maps its cut-offs, the company's and every reference launch's, over
the workers (``_replay_job``); the first pass sends each fit back with its cases, so the
second pass simulates from the same fit without fitting again. The passes themselves are
sequential: the second needs the error walks that all of the first pass's errors give. The
cases come back in the order the loop makes them, so the result is the same for any workers.

``peers`` (``forecast backtest --peers``): other bundled companies' lines, replayed once
(the engine as fitted) before the first pass, one job per company; their errors join the
walk's and nothing else.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forecast.backtest.cases import (
    DEFAULT_SETTINGS,
    REFERENCE,
    Case,
    Settings,
    company_cutoffs,
    reference_cutoffs,
)
from forecast.backtest.recalibration import error_months, walks_at
from forecast.backtest.replay import (
    ReferenceFit,
    Replay,
    backtest_company,
    backtest_references,
    fit_reference,
    fit_references,
    peer_cases,
    reference_cases,
)
from forecast.engine.fitted import Fitted
from forecast.engine.parallel import Executor, as_executor, map_ordered
from forecast.engine.run import load
from forecast.errors import ForecastError
from forecast.fit.calibration import MIN_ERRORS
from forecast.fit.refclass import ReferenceSeries, reference_series
from forecast.load import paths
from forecast.load.bundle import DataBundle, load_bundle
from forecast.load.company import Company
from forecast.load.history import History
from forecast.months import format_month
from forecast.scenario.types import Scenario


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestResult:
    """Every case scored, the company's cut-offs, the reference launches replayed, the
    company (``data/company.csv``: its label names its cases) and the fitted error walks."""

    cases: tuple[Case, ...]
    cutoffs: tuple[int, ...]
    references: tuple[str, ...]
    company: Company
    calibration: tuple[tuple[int, float, int], ...] = ()  # (month, error walk, n errors)
    peers: tuple[str, ...] = ()  # the bundled companies whose errors joined the walk's
    skipped_peers: tuple[tuple[str, str], ...] = ()  # (label, why) of those with none


def run_backtest(
    path_or_scenario: str | Path | Scenario,
    *,
    first: int | None = None,
    last: int | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    references: Sequence[str] | None = None,
    step: int = 2,
    overrides: Sequence[str] = (),
    workers: int | Executor = 1,
    peers: Sequence[str] = (),
) -> BacktestResult:
    """Backtest the scenario's model on the company's cut-offs ``first..last`` (default: the
    third month of its history to the second last) and on the ``references`` (default: the
    data folder's ``reference_launches.csv``; ``()`` for none), in two passes.

    The first pass scores the engine as fitted (``uncalibrated``) and the baselines. The
    second re-simulates the engine from every cut-off with the error walk fitted on the first
    pass's errors of months up to that cut-off (never the months being scored), and scores it
    as ``forecast``: the calibration users get (``forecast.fit.calibration``), or the scenario's
    own ``model.error_walk`` if it sets one. ``calibration`` holds the fitted walk for every
    month of the history, for ``data/calibration.csv``. ``workers``: processes or an
    ``Executor`` for the cut-offs of each pass; the result does not depend on it.

    ``peers``: bundled companies (labels; the scenario's own is left out) whose lines are
    replayed too, the engine as fitted only, so that their errors join the walk's
    (``replay.peer_cases``); their cases are not in the result, whose ``peers`` names those
    that had a cut-off to replay and ``skipped_peers`` the others, with the reason.
    """
    scenario = load(path_or_scenario, overrides)
    bundle = load_bundle(scenario.data_dir)
    replay = Replay(bundle, scenario)
    references = bundle.reference_launches if references is None else tuple(references)
    history = bundle.company
    cutoffs = company_cutoffs(history, first, last)
    jobs = [
        _PeerJob(scenario=scenario, label=label, settings=settings)
        for label in peers
        if paths.company_dir(label).resolve() != Path(scenario.data_dir).resolve()
    ]
    peer = map_ordered(_peer_job, jobs, workers) if jobs else []
    used = tuple(job.label for job, (found, _) in zip(jobs, peer) if found)
    skipped = tuple((job.label, why) for job, (found, why) in zip(jobs, peer) if not found)
    pool = [case for found, _ in peer for case in found]
    if not as_executor(workers).in_process:
        cases, table, months = _two_passes_mapped(
            replay, cutoffs, references, settings, step, workers, pool
        )
        return _result(replay, cases, cutoffs, references, table, months, used, skipped)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # growth-fit fallbacks are part of what is scored
        runs = reference_series(bundle.launches, references) if references else ()
        fits = fit_references(replay, runs, step=step)
        cases = backtest_company(replay, cutoffs, settings)
        cases += backtest_references(replay, fits, settings)
        months = calibration_months(error_months([*cases, *pool]), history.months)
        all_cutoffs = [*cutoffs, *(fit.cutoff for fit in fits), *months]
        table = walks_at([*cases, *pool], all_cutoffs, known_at=replay.known_at)
        # A scenario that sets its own walk is scored with it (the table is still written).
        walks = {
            month: walk if scenario.error_walk is None else scenario.error_walk
            for month, (walk, _) in table.items()
        }
        cases += backtest_company(replay, cutoffs, settings, walks=walks)
        cases += backtest_references(replay, fits, settings, walks=walks)
    return _result(replay, cases, cutoffs, references, table, months, used, skipped)


@dataclass(frozen=True, slots=True, kw_only=True)
class _PeerJob:
    """One peer's replay for the walk's errors (``run_backtest``'s ``peers``), picklable."""

    scenario: Scenario
    label: str
    settings: Settings


def _peer_job(job: _PeerJob) -> tuple[list[Case], str]:
    """The peer's uncalibrated line cases from every cut-off its history allows, or none and
    why (too short): the scenario's model settings on the peer's bundled data, without the
    scenario's events and line settings (they name its own company's lines), as a reference
    launch is replayed. ``history.data``, not ``history.company``: a scenario on your own
    folder keeps it under a changed ``history.company``."""
    changes = {
        "history.data": str(paths.company_dir(job.label)),
        "target.units": 1,
        "events": [],
        "lines": {},
    }
    scenario = job.scenario.with_changes(changes)
    replay = Replay(load_bundle(scenario.data_dir), scenario)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # growth-fit fallbacks are part of what is scored
        try:
            cutoffs = _clipped_cutoffs(replay.bundle.company, None, None)
            return peer_cases(replay, cutoffs, job.settings), ""
        except ForecastError as error:
            return [], error.problems[0]


def calibration_months(error_months: np.ndarray, history_months: np.ndarray) -> list[int]:
    """The months ``data/calibration.csv`` has a row for: every month from the first by
    whose end ``MIN_ERRORS`` past errors were known (``error_months``: the month each error
    scores; the reference launches' come years before the company's own history starts) to
    the history's last month, and never later than its first. A forecast made before the
    company's first month (another company's, in the target study or the every-company
    backtest) then gets the walk known at its own cut-off, not none."""
    first, last = int(history_months[0]), int(history_months[-1])
    known = np.sort(np.asarray(error_months, dtype=np.int64))
    if known.size >= MIN_ERRORS:
        first = min(first, int(known[MIN_ERRORS - 1]))
    return list(range(first, last + 1))


def _result(
    replay: Replay,
    cases: Sequence[Case],
    cutoffs: Sequence[int],
    references: Sequence[str],
    table: dict[int, tuple[float, int]],
    months: Sequence[int],
    peers: tuple[str, ...],
    skipped: tuple[tuple[str, str], ...],
) -> BacktestResult:
    calibration = tuple((m, *table[m]) for m in months)
    return BacktestResult(
        cases=tuple(cases),
        cutoffs=tuple(cutoffs),
        references=tuple(references),
        company=replay.bundle.profile,
        calibration=calibration,
        peers=peers,
        skipped_peers=skipped,
    )


# ---------------------------------------------------------------- the passes on workers


def _two_passes_mapped(
    replay: Replay,
    cutoffs: Sequence[int],
    references: Sequence[str],
    settings: Settings,
    step: int,
    workers: int | Executor,
    pool: Sequence[Case],
) -> tuple[list[Case], dict[int, tuple[float, int]], list[int]]:
    """``run_backtest``'s two passes with every cut-off a job on ``workers``: the same cases
    in the same order as the loop (``pool``: the peers' cases, for the walks only)."""
    scenario, bundle = replay.scenario, replay.bundle
    runs = reference_series(bundle.launches, references) if references else ()
    first = [_Job(scenario=scenario, settings=settings, cutoff=c) for c in cutoffs] + [
        _Job(scenario=scenario, settings=settings, cutoff=c, run=run)
        for run in runs
        for c in reference_cutoffs(run.months, step)
    ]
    done = map_ordered(_replay_job, first, workers)
    cases = [case for job_cases, _ in done for case in job_cases]
    fits = [fit for _, fit in done if isinstance(fit, ReferenceFit)]
    months = calibration_months(error_months([*cases, *pool]), bundle.company.months)
    all_cutoffs = [*cutoffs, *(f.cutoff for f in fits), *months]
    table = walks_at([*cases, *pool], all_cutoffs, known_at=replay.known_at)
    # A scenario that sets its own walk is scored with it (the table is still written).
    own = scenario.error_walk
    second = [
        dataclasses.replace(job, fitted=fit, walk=table[job.cutoff][0] if own is None else own)
        for job, (_, fit) in zip(first, done, strict=True)
    ]
    done = map_ordered(_replay_job, second, workers)
    cases += [case for job_cases, _ in done for case in job_cases]
    return cases, table, months


@dataclass(frozen=True, slots=True, kw_only=True)
class _Job:
    """One cut-off of one pass: the company's (``run`` None) or a reference launch's.

    The second pass carries the cut-off's error ``walk`` and the first pass's ``fitted``."""

    scenario: Scenario
    settings: Settings
    cutoff: int
    run: ReferenceSeries | None = None
    fitted: Fitted | ReferenceFit | None = None
    walk: float | None = None


def _replay_job(job: _Job) -> tuple[list[Case], Fitted | ReferenceFit]:
    """The cases of one cut-off (first pass: the engine as fitted and the baselines; second
    pass, with ``job.fitted``: the calibrated engine), and the fit they came from."""
    replay = _worker_replay(job.scenario)
    walks = None if job.walk is None else {job.cutoff: job.walk}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # growth-fit fallbacks are part of what is scored
        if job.run is None:
            if isinstance(job.fitted, Fitted):
                replay.fits[job.cutoff] = job.fitted
            cases = backtest_company(replay, [job.cutoff], job.settings, walks=walks)
            return cases, replay.fit_at(job.cutoff)
        fit = job.fitted if isinstance(job.fitted, ReferenceFit) else None
        fit = fit_reference(replay, job.run, job.cutoff) if fit is None else fit
        return reference_cases(replay, fit, job.settings, walks=walks), fit


class _KeptFits(Replay):
    """A worker's ``Replay`` that also serves fits handed to it (the first pass's)."""

    def __init__(self, bundle: DataBundle, scenario: Scenario) -> None:
        super().__init__(bundle, scenario)
        self.fits: dict[int, Fitted] = {}

    def fit_at(self, cutoff: int) -> Fitted:
        if cutoff not in self.fits:
            self.fits[cutoff] = super().fit_at(cutoff)
        return self.fits[cutoff]


_REPLAYS: list[_KeptFits] = []  # a worker's replay of the last scenario: data loaded once


def _worker_replay(scenario: Scenario) -> _KeptFits:
    if not _REPLAYS or _REPLAYS[0].scenario != scenario:
        _REPLAYS[:] = [_KeptFits(load_bundle(scenario.data_dir), scenario)]
    return _REPLAYS[0]


# --------------------------------------------------------------------------- every company


@dataclass(frozen=True, slots=True, kw_only=True)
class CompaniesResult:
    """The monthly backtest of several companies: their cases (and the reference launches'),
    the companies run, and those skipped with the reason."""

    cases: tuple[Case, ...]
    companies: tuple[Company, ...]
    references: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]

    def sections(self) -> tuple[tuple[str | None, str], ...]:
        """(source, title) of each pooled table: each company's total, the reference
        launches, then everything pooled (source None)."""
        own = tuple((c.label, f"{c.name} total") for c in self.companies)
        refs = ((REFERENCE, "Reference launches"),) if self.references else ()
        return (*own, *refs, (None, "Pooled"))


@dataclass(frozen=True, slots=True, kw_only=True)
class _CompanyJob:
    """One company's backtest (or, ``label`` None, the reference launches), picklable."""

    scenario: Path
    overrides: tuple[str, ...]
    label: str | None
    settings: Settings
    references: tuple[str, ...] | None
    step: int
    first: int | None = None
    last: int | None = None


def run_company_backtests(
    scenario: str | Path,
    labels: Sequence[str],
    *,
    settings: Settings = DEFAULT_SETTINGS,
    references: Sequence[str] | None = None,
    step: int = 2,
    overrides: Sequence[str] = (),
    workers: int = 1,
    first: int | None = None,
    last: int | None = None,
) -> CompaniesResult:
    """The monthly backtest of each bundled company in ``labels``: the scenario with
    ``history.company`` set to it, every cut-off of its history, the uncalibrated engine and
    the baselines, and ``forecast``: the engine with the error walk a run uses at that
    cut-off (``data/calibration.csv``, or the scenario's own ``model.error_walk``);
    ``first``/``last`` limit every company's cut-offs (each within its own history). The
    reference launches are replayed once, with the scenario's own company. A company whose
    history is too short is skipped with the reason. One job per company (and one for the
    references) through ``map_ordered``: the result does not depend on ``workers``.
    """
    refs = None if references is None else tuple(references)
    jobs = [
        _CompanyJob(
            scenario=Path(scenario),
            overrides=tuple(overrides),
            label=label,
            settings=settings,
            references=refs,
            step=step,
            first=first,
            last=last,
        )
        for label in (*labels, None)
        if label is not None or refs != ()
    ]
    outcomes = map_ordered(_company_job, jobs, workers)
    cases: list[Case] = []
    companies, skipped = [], []
    replayed: tuple[str, ...] = ()
    for job, (company, found, why, names) in zip(jobs, outcomes):
        cases += found
        if job.label is None:
            replayed = names
        elif why:
            skipped.append((job.label, why))
        else:
            companies.append(company)
    return CompaniesResult(
        cases=tuple(cases),
        companies=tuple(companies),
        references=tuple(replayed),
        skipped=tuple(skipped),
    )


def _company_job(job: _CompanyJob) -> tuple[Company, list[Case], str, tuple[str, ...]]:
    """(company, cases, why skipped or "", references replayed) of one job."""
    from forecast.fit.calibration import error_walk_for

    scenario = load(job.scenario, job.overrides)
    if job.label is not None:
        # The replay sets each cut-off's target (``Replay.scenario_at``); a fixed figure
        # keeps the scenario valid for a company with no target for the scenario's year.
        scenario = scenario.with_changes({"history.company": job.label, "target.units": 1})
    bundle = load_bundle(scenario.data_dir)
    replay = Replay(bundle, scenario)

    def walk(month: int) -> float:
        if scenario.error_walk is not None:
            return scenario.error_walk
        return error_walk_for(bundle.calibration, month)[0]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # growth-fit fallbacks are part of what is scored
        if job.label is None:
            names = bundle.reference_launches if job.references is None else job.references
            runs = reference_series(bundle.launches, names) if names else ()
            fits = fit_references(replay, runs, step=job.step)
            walks = {fit.cutoff: walk(fit.cutoff) for fit in fits}
            cases = backtest_references(replay, fits, job.settings)
            cases += backtest_references(replay, fits, job.settings, walks=walks)
            return bundle.profile, cases, "", tuple(names)
        try:
            cutoffs = _clipped_cutoffs(bundle.company, job.first, job.last)
            cases = backtest_company(replay, cutoffs, job.settings)
            walks = {cutoff: walk(cutoff) for cutoff in cutoffs}
            cases += backtest_company(replay, cutoffs, job.settings, walks=walks)
        except ForecastError as error:
            return bundle.profile, [], error.problems[0], ()
    return bundle.profile, cases, "", ()


def _clipped_cutoffs(history: History, first: int | None, last: int | None) -> list[int]:
    """The company's cut-offs (``company_cutoffs``) within ``first..last`` whose year the
    engine can plan: a cut-off's own year is simulated (but for a December's), which needs
    every month of it before the cut-off (``targets.year_covered``; NIO and Li Auto start in
    July 2022). A ``ForecastError`` (the company is skipped) when none is left."""
    from forecast.backtest.targets import year_covered

    allowed = [
        c
        for c in company_cutoffs(history, None, None)
        if c % 12 == 11 or year_covered(history, c // 12)
    ]
    if not allowed:
        raise ForecastError("too short: no cut-off whose year the engine can plan")
    chosen = [c for c in allowed if (first is None or c >= first) and (last is None or c <= last)]
    if not chosen:
        raise ForecastError(
            f"no cut-off in the range asked for: its history allows {format_month(allowed[0])} "
            f"to {format_month(allowed[-1])}"
        )
    return chosen
