"""A whole backtest: the company's cut-offs and the reference launches, in two passes.

The data is loaded once (``forecast.load.bundle.load_bundle``) and the scenario once; a
``Replay`` (``forecast.backtest.replay``) holds both and what the passes share. The first
pass replays every cut-off with the engine as fitted and the baselines; the error walk of
every month is fitted on that pass's errors known by then (``forecast.backtest.recalibration``);
the second pass replays every cut-off again with its month's walk, as users get it. What is
company-specific comes from the data folder: the company (``company.csv``) and the launches
replayed (``reference_launches.csv``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from forecast.backtest.cases import DEFAULT_SETTINGS, Case, Settings, company_cutoffs
from forecast.backtest.recalibration import walks_at
from forecast.backtest.replay import (
    Replay,
    backtest_company,
    backtest_references,
    fit_references,
)
from forecast.engine.run import load
from forecast.fit.refclass import reference_series
from forecast.load.bundle import load_bundle
from forecast.load.company import Company
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


def run_backtest(
    path_or_scenario: str | Path | Scenario,
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
    scenario = load(path_or_scenario, overrides)
    bundle = load_bundle(scenario.data_dir)
    replay = Replay(bundle, scenario)
    references = bundle.reference_launches if references is None else tuple(references)
    history = bundle.company
    cutoffs = company_cutoffs(history, first, last)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # growth-fit fallbacks are part of what is scored
        runs = reference_series(bundle.launches, references) if references else ()
        fits = fit_references(replay, runs, step=step)
        cases = backtest_company(replay, cutoffs, settings)
        cases += backtest_references(replay, fits, settings)
        all_cutoffs = [*cutoffs, *(fit.cutoff for fit in fits), *(int(m) for m in history.months)]
        table = walks_at(cases, all_cutoffs, known_at=replay.known_at)
        # A scenario that sets its own walk is scored with it (the table is still written).
        walks = {
            month: walk if scenario.error_walk is None else scenario.error_walk
            for month, (walk, _) in table.items()
        }
        cases += backtest_company(replay, cutoffs, settings, walks=walks)
        cases += backtest_references(replay, fits, settings, walks=walks)
    calibration = tuple((int(m), *table[int(m)]) for m in history.months)
    return BacktestResult(
        cases=tuple(cases),
        cutoffs=tuple(cutoffs),
        references=tuple(references),
        company=bundle.profile,
        calibration=calibration,
    )
