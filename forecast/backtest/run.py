"""A whole backtest: the company's cut-offs and the reference launches, in two passes.

The first pass replays every cut-off with the engine as fitted and the baselines
(``forecast.backtest.replay``); the error walk of every month is fitted on that pass's errors
known by then (``forecast.backtest.recalibration``); the second pass replays every cut-off
again with its month's walk, as users get it. What is company-specific comes from the data
folder: the company (``company.csv``) and the launches replayed (``reference_launches.csv``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from forecast.backtest.cases import DEFAULT_SETTINGS, Case, Settings, company_cutoffs
from forecast.backtest.recalibration import walks_at
from forecast.backtest.replay import ReferenceData, backtest_company, backtest_references
from forecast.fit.model import FitReport
from forecast.fit.refclass import ReferenceSeries, load_bev_models, reference_series
from forecast.fit.seasonality import fit_market_seasonality
from forecast.load.calendar import load_calendar
from forecast.load.company import Company, load_company
from forecast.load.history import History, load_history
from forecast.load.launches import load_reference_launches
from forecast.load.market import MarketSeries, load_market
from forecast.load.reconcile import Reconciled, reconcile
from forecast.months import format_month
from forecast.scenario.parse import load_scenario
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


def scenario_loader(path, overrides: Sequence[str] = ()) -> Callable[[int, int], Scenario]:
    """``(cut-off, year) -> Scenario``: the scenario file with ``history.as_of`` and
    ``target.year`` set, loaded (and validated) once per pair."""

    @cache
    def at(cutoff: int, year: int) -> Scenario:
        extra = [f'history.as_of="{format_month(cutoff)}"', f"target.year={year}"]
        # A replay scores each year against the target known at the cut-off
        # (latest_target in replay.py), not the scenario's, and a year may have none yet:
        # a fixed figure keeps the scenario valid without taking the data's default.
        extra.append("target.units=1")
        return load_scenario(path, overrides=[*overrides, *extra])

    return at


def reference_data(data_dir, *, exclude_makes: tuple[str, ...]) -> ReferenceData:
    """The lists and a cached market seasonality per cut-off, from a data folder; the
    reference classes fitted on the lists leave out ``exclude_makes``."""
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

    return ReferenceData(
        sales=load_bev_models(data_dir / "bev_models.csv"),
        exclude_makes=exclude_makes,
        market_at=market_at,
    )


def run_backtest(
    scenario_path,
    *,
    first: int | None = None,
    last: int | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    references: Sequence[str] | None = None,
    step: int = 2,
    overrides: Sequence[str] = (),
) -> BacktestResult:
    """Backtest the scenario's model on the company's cut-offs ``first..last`` (default: the
    third month of its history to the second last) and on the ``references`` (default: the
    data folder's ``reference_launches.csv``; ``()`` for none), in two passes.

    The first pass scores the engine as fitted (``uncalibrated``) and the baselines. The
    second re-simulates the engine from every cut-off with the error walk fitted on the first
    pass's errors of months up to that cut-off (never the months being scored), and scores it
    as ``forecast``: the calibration users get (``forecast.fit.calibration``), or the scenario's
    own ``model.error_walk`` if it sets one. ``calibration`` holds the fitted walk for every
    month of the history, for ``data/calibration.csv``.
    """
    scenario_at = scenario_loader(scenario_path, overrides)
    base = scenario_at(*_any_cutoff(scenario_path, overrides))
    history = load_history(base.data_dir)
    company = load_company(base.data_dir / "company.csv")
    if references is None:
        references = load_reference_launches(base.data_dir / "reference_launches.csv")
    cutoffs = company_cutoffs(history, first, last)
    own_fits: dict = {}
    reference_fits: dict = {}
    runs: tuple[ReferenceSeries, ...] = ()
    source = company.label
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # growth-fit fallbacks are part of what is scored
        cases = backtest_company(
            history, scenario_at, cutoffs, settings, source=source, fits=own_fits
        )
        if references:
            data = reference_data(base.data_dir, exclude_makes=company.own_makes)
            runs = reference_series(data.sales, references)
            cases += backtest_references(data, runs, base, settings, step=step, fits=reference_fits)
        all_cutoffs = [*cutoffs, *(c for _, c in reference_fits), *(int(m) for m in history.months)]
        table = walks_at(cases, all_cutoffs, known_at=_known_at(history, own_fits))
        # A scenario that sets its own walk is scored with it (the table is still written).
        walks = {
            month: walk if base.error_walk is None else base.error_walk
            for month, (walk, _) in table.items()
        }
        cases += backtest_company(
            history, scenario_at, cutoffs, settings, source=source, walks=walks, fits=own_fits
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
        company=company,
        calibration=calibration,
    )


def _known_at(history: History, fits: Mapping[int, FitReport]) -> Callable[[int], Reconciled]:
    """Month -> the company's history reconciled as it stood at its end (the cut-offs' own,
    when fitted)."""

    @cache
    def at(month: int) -> Reconciled:
        report = fits.get(month)
        return report.reconciled if report is not None else reconcile(history.cut(month))

    return at


def _any_cutoff(path, overrides) -> tuple[int, int]:
    scenario = load_scenario(path, overrides=overrides)
    return scenario.as_of, scenario.target_year
