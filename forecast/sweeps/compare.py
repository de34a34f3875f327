"""Several scenarios on common random numbers, ranked and compared with a baseline.

Every scenario runs with the same ``seed`` and ``n_paths``. The engine keys each input's
random stream by block and input *name* (``simulate.py``), so inputs the scenarios share
(the fitted model's parameters and noise, and events of the same name) get identical draws
path by path. Differences between scenarios are then measured path by path, and their
standard errors are paired ones, usually far smaller than either scenario's own:

- P(hit): ``d = hit_A - hit_B`` per path (each 0 or 1); the difference is ``mean(d)`` and its
  standard error ``sd(d) / sqrt(n)``.
- median: the Bahadur representation ``median_hat - m ~ s * (1/2 - 1{x <= m})`` per path,
  with ``s = 1 / f(m)`` the sparsity (Bahadur, *Ann. Math. Statist.* 37, 1966), so the
  difference's standard error is ``sd(s_A (1/2 - 1{A <= m_A}) - s_B (1/2 - 1{B <= m_B})) /
  sqrt(n)``. ``s`` is Siddiqui's difference quotient of the sorted totals over the ranks
  ``n (1/2 +- h)``, with the Hall-Sheather bandwidth ``h = n**(-1/3)`` (its value at the median
  to within 3%; Koenker, *Quantile Regression*, 2005, section 3.4). Deterministic, and
  O(n) where a bootstrap would be O(n) per replicate.

Pairing needs the same question: a scenario is paired with the baseline only when both read
the same company's data (the same content hash: the ``data_hash`` of their run records) and
stand at the same ``history.as_of``. A scenario as of another month answers what was known
then, and one on another company's data answers another company's question: the difference
of two such P(hit) is not the effect of an assumption, so it gets no paired standard error and
the row says why (``ComparisonRow.unpaired``). They are still ranked.

Fits are shared: scenarios with the same data, ``history.as_of`` and model families have the
same fit cache key (``forecast.engine.pipeline.key_for``) and are fitted once (``fit_all``).
"""

from __future__ import annotations

import glob
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forecast.engine import pipeline
from forecast.engine.parallel import Executor, as_executor, map_ordered
from forecast.engine.run import Fitted, fit_scenario, run_scenario
from forecast.errors import ConfigError
from forecast.load import paths
from forecast.load.bundle import DataBundle, load_bundle
from forecast.months import format_month
from forecast.scenario.parse import load_scenario
from forecast.scenario.types import Scenario
from forecast.summarise.summary import Summary
from forecast.write.files import SUMMARY_COLUMNS, RunRecord, summary_row
from forecast.write.tables import Cell, align, csv_text, rounded

__all__ = [
    "COMPARISON_COLUMNS",
    "Comparison",
    "ComparisonRow",
    "ScenarioRun",
    "compare_runs",
    "compare_scenarios",
    "comparison_csv",
    "comparison_dicts",
    "expand_patterns",
    "fit_all",
    "format_comparison",
    "paired_differences",
    "pairing",
    "sparsity",
]

QUESTION_COLUMNS = ("company", "as_of")
DIFF_COLUMNS = (
    "rank",
    "baseline",
    "paired",
    "d_p_hit",
    "d_p_hit_se",
    "d_median",
    "d_median_se",
)
COMPARISON_COLUMNS = (*SUMMARY_COLUMNS, *QUESTION_COLUMNS, *DIFF_COLUMNS)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioRun:
    """One scenario's answer and its annual total on every path (n_paths,), with the
    question it answers: the ``company`` (its label in ``company.csv``) and ``as_of`` (the
    month index of the last month of history it used)."""

    summary: Summary
    record: RunRecord
    totals: np.ndarray
    company: str
    as_of: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ComparisonRow:
    """A scenario against the baseline: differences are scenario minus baseline.

    ``unpaired`` says why the scenario is not paired with the baseline ("other as_of",
    "other company", "other data", or two of them joined by "and"); it is empty when they are
    paired. The standard errors are None when not paired: ``d_p_hit`` and ``d_median`` are
    then plain differences between answers to different questions.
    """

    run: ScenarioRun
    rank: int  # 1 = highest P(hit); ties broken by the higher median
    d_p_hit: float
    d_p_hit_se: float | None
    d_median: float
    d_median_se: float | None
    unpaired: str = ""

    @property
    def paired(self) -> bool:
        return not self.unpaired


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """Every scenario, best first, each compared with ``baseline`` (a scenario name)."""

    baseline: str
    rows: tuple[ComparisonRow, ...]


# ---------------------------------------------------------------- inputs


def expand_patterns(patterns: Sequence[str | Path]) -> list[Path]:
    """Files named by ``patterns``, expanding ``*``, ``?`` and ``[...]`` in sorted order.

    The shell usually expands globs; this covers quoted patterns and shells that do not.
    A file given twice is kept once, at its first place.

    Raises
    ------
    ConfigError
        For each pattern that matches no file.
    """
    found: list[Path] = []
    problems: list[str] = []
    for pattern in map(str, patterns):
        if Path(pattern).exists() or not glob.has_magic(pattern):
            matches = [str(paths.scenario_path(pattern))]
        else:
            matches = sorted(glob.glob(pattern))
        if not matches:
            problems.append(f"{pattern}: no file matches this pattern")
        found += [Path(m) for m in matches if Path(m).resolve() not in _resolved(found)]
    if problems:
        raise ConfigError(problems)
    return found


def _resolved(paths: Sequence[Path]) -> set[Path]:
    return {p.resolve() for p in paths}


def load_all(paths: Sequence[Path], overrides: Sequence[str] = ()) -> list[Scenario]:
    """Load every scenario, reporting the problems of all files and duplicate names at once."""
    scenarios: list[Scenario] = []
    problems: list[str] = []
    for path in paths:
        try:
            scenarios.append(load_scenario(path, overrides=overrides))
        except ConfigError as error:
            problems.extend(error.problems)
    first: dict[str, Path | None] = {}
    for scenario in scenarios:
        if scenario.name in first:
            problems.append(
                f"{scenario.path}: scenario.name: {scenario.name!r} is also the name of "
                f"{first[scenario.name]}; names must differ to compare"
            )
        first.setdefault(scenario.name, scenario.path)
    if problems:
        raise ConfigError(problems)
    return scenarios


def pick_baseline(names: Sequence[str], baseline: str | None) -> str:
    """``baseline`` if given (it must be one of ``names``), else "baseline" if present, else the first."""
    if baseline is None:
        return "baseline" if "baseline" in names else names[0]
    if baseline not in names:
        raise ConfigError(
            f"--baseline: no scenario named {baseline!r} (scenarios: {', '.join(names)})"
        )
    return baseline


# ---------------------------------------------------------------- running


def load_bundles(scenarios: Sequence[Scenario]) -> dict[Path, DataBundle]:
    """Each data folder the scenarios use, loaded once."""
    return {d: load_bundle(d) for d in dict.fromkeys(s.data_dir for s in scenarios)}


def fit_all(
    scenarios: Sequence[Scenario],
    workers: int | Executor = 1,
    bundles: Mapping[Path, DataBundle] | None = None,
) -> list[Fitted]:
    """The fit of each scenario, each distinct fit computed once (in parallel if ``workers``).

    Scenarios share a fit when the engine's fit cache key says so; each distinct fit goes
    through the engine and the fit cache on disk (``fit_scenario``). In this process the
    loaded ``bundles`` serve; a worker process loads the data it fits (a bundle does not
    pickle).
    """
    bundles = load_bundles(scenarios) if bundles is None else bundles
    keys = [pipeline.scenario_key(bundles[s.data_dir], s) for s in scenarios]
    todo: dict[str, Scenario] = {}  # each key's first scenario
    for key, scenario in zip(keys, scenarios, strict=True):
        todo.setdefault(key, scenario)
    if as_executor(workers).in_process:
        fitted = [fit_scenario(s, bundle=bundles[s.data_dir]) for s in todo.values()]
    else:
        fitted = map_ordered(fit_scenario, todo.values(), workers)
    fits = dict(zip(todo, fitted, strict=True))
    return [fits[key] for key in keys]


def run_one(
    scenario: Scenario,
    *,
    n_paths: int,
    seed: int,
    fitted: Fitted | None = None,
    bundle: DataBundle | None = None,
) -> ScenarioRun:
    """Run one scenario with the given ``n_paths`` and ``seed`` (a worker's job; ``bundle``:
    the scenario's data if already loaded)."""
    bundle = load_bundle(scenario.data_dir) if bundle is None else bundle
    result = run_scenario(scenario, n_paths=n_paths, seed=seed, fitted=fitted, bundle=bundle)
    return ScenarioRun(
        summary=result.summary,
        record=result.record,
        totals=result.paths.sum(axis=1),
        company=bundle.profile.label,
        as_of=scenario.as_of,
    )


def _run_job(item: tuple[Scenario, int, int, Fitted]) -> ScenarioRun:
    scenario, n_paths, seed, fitted = item
    return run_one(scenario, n_paths=n_paths, seed=seed, fitted=fitted)


# ---------------------------------------------------------------- differences


def paired_differences(
    totals: np.ndarray, base: np.ndarray, *, target: float, base_target: float
) -> tuple[float, float, float, float]:
    """Scenario minus baseline, path by path, with paired standard errors.

    Parameters
    ----------
    totals, base : ndarray, shape (n_paths,)
        Annual totals of the scenario and of the baseline on common random numbers.
    target, base_target : float
        The scenario's and the baseline's targets (usually equal).

    Returns
    -------
    (d_p_hit, d_p_hit_se, d_median, d_median_se) : tuple of float
    """
    n = totals.size
    d_hit = (totals >= target).astype(float) - (base >= base_target)
    med, base_med = float(np.median(totals)), float(np.median(base))
    influence = sparsity(totals) * (0.5 - (totals <= med)) - sparsity(base) * (
        0.5 - (base <= base_med)
    )
    if n < 2:
        return float(d_hit.mean()), 0.0, med - base_med, 0.0
    root_n = np.sqrt(n)
    d_median_se = float(influence.std(ddof=1) / root_n)
    return float(d_hit.mean()), float(d_hit.std(ddof=1) / root_n), med - base_med, d_median_se


def pairing(run: ScenarioRun, base: ScenarioRun) -> str:
    """Why ``run`` cannot be paired with ``base``: "" when it can.

    Paired differences measure the effect of assumptions on one question: the same
    company's data (the same content hash) as of the same month. Otherwise the reason names
    what differs: "other company" (another label), "other data" (the same label, other
    files), "other as_of", or "other company and as_of".
    """
    differ = []
    if run.company != base.company:
        differ.append("company")
    elif run.record.data_hash != base.record.data_hash:
        differ.append("data")
    if run.as_of != base.as_of:
        differ.append("as_of")
    return f"other {' and '.join(differ)}" if differ else ""


def sparsity(x: np.ndarray) -> float:
    """``1 / f(median)`` of the sample ``x`` (n,): Siddiqui's quotient, bandwidth ``n**(-1/3)``."""
    x = np.sort(np.asarray(x, dtype=float))
    n = x.size
    if n < 3:
        return 0.0
    h = min(n ** (-1 / 3), 0.49)
    lo, hi = int(np.floor(n * (0.5 - h))), min(int(np.ceil(n * (0.5 + h))), n - 1)
    return float((x[hi] - x[lo]) * n / (hi - lo))


def rank_runs(runs: Sequence[ScenarioRun]) -> list[int]:
    """Ranks (1 = best): higher P(hit) first, then the higher median, then input order."""
    order = sorted(
        range(len(runs)),
        key=lambda i: (-runs[i].summary.p_hit, -runs[i].summary.quantile(0.5), i),
    )
    ranks = [0] * len(runs)
    for rank, i in enumerate(order, start=1):
        ranks[i] = rank
    return ranks


# ---------------------------------------------------------------- the entry point


def compare_scenarios(
    patterns: Sequence[str | Path],
    *,
    baseline: str | None = None,
    n_paths: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    workers: int | Executor = 1,
) -> Comparison:
    """Run every scenario on common random numbers and compare each with the baseline.

    Parameters
    ----------
    patterns : sequence of str or Path
        Scenario files or glob patterns (``scenarios/*.toml``).
    baseline : str, optional
        The name of the scenario to compare with (default: "baseline" if present, else the
        first).
    n_paths, seed : int, optional
        Used for every scenario (default: the first scenario's).
    overrides : sequence of str
        ``--set`` strings applied to every scenario.
    workers : int or Executor
        Processes (or the ``Executor``) running scenarios; the result does not depend on it.

    Returns
    -------
    Comparison
        Rows best first (highest P(hit)).

    Example
    -------
    >>> comparison = compare_scenarios(["scenarios/*.toml"], n_paths=20_000)  # doctest: +SKIP
    >>> print(format_comparison(comparison))  # doctest: +SKIP
    """
    paths = expand_patterns(patterns)
    scenarios = load_all(paths, overrides)
    names = [s.name for s in scenarios]
    base_name = pick_baseline(names, baseline)
    n_paths = scenarios[0].n_paths if n_paths is None else n_paths
    seed = scenarios[0].seed if seed is None else seed
    bundles = load_bundles(scenarios)
    fits = fit_all(scenarios, workers, bundles)
    if as_executor(workers).in_process:
        runs = [
            run_one(s, n_paths=n_paths, seed=seed, fitted=f, bundle=bundles[s.data_dir])
            for s, f in zip(scenarios, fits, strict=True)
        ]
    else:
        items = [(s, n_paths, seed, f) for s, f in zip(scenarios, fits, strict=True)]
        runs = map_ordered(_run_job, items, workers)
    rows = compare_runs(runs, names.index(base_name))
    return Comparison(baseline=base_name, rows=rows)


def compare_runs(runs: Sequence[ScenarioRun], base_index: int) -> tuple[ComparisonRow, ...]:
    """Rank ``runs`` and difference each from ``runs[base_index]``; rows best first.

    Differences of a run not paired with the baseline (``pairing``) have no standard error.
    """
    base = runs[base_index]
    rows = []
    for run, rank in zip(runs, rank_runs(runs), strict=True):
        diffs: tuple[float, float | None, float, float | None] = (0.0, 0.0, 0.0, 0.0)
        unpaired = pairing(run, base)
        if run is not base:  # the baseline against itself: exactly zero
            diffs = paired_differences(
                run.totals, base.totals, target=run.summary.target, base_target=base.summary.target
            )
        if unpaired:
            diffs = (diffs[0], None, diffs[2], None)
        d_p_hit, d_p_hit_se, d_median, d_median_se = diffs
        rows.append(
            ComparisonRow(
                run=run,
                rank=rank,
                d_p_hit=d_p_hit,
                d_p_hit_se=d_p_hit_se,
                d_median=d_median,
                d_median_se=d_median_se,
                unpaired=unpaired,
            )
        )
    return tuple(sorted(rows, key=lambda row: row.rank))


# ---------------------------------------------------------------- output


def comparison_cells(comparison: Comparison) -> list[tuple[Cell, ...]]:
    """One row of ``COMPARISON_COLUMNS`` per scenario, best first."""
    return [
        (
            *summary_row(row.run.summary, row.run.record),
            row.run.company,
            format_month(row.run.as_of),
            row.rank,
            comparison.baseline,
            "yes" if row.paired else f"no: {row.unpaired}",
            rounded(row.d_p_hit, 6),
            rounded(row.d_p_hit_se, 6),
            rounded(row.d_median, 1),
            rounded(row.d_median_se, 1),
        )
        for row in comparison.rows
    ]


def comparison_csv(comparison: Comparison) -> str:
    """``comparison.csv``: the summary.csv columns, the company and as_of, then rank, baseline,
    whether paired ("yes", or "no: " and why) and the differences (standard errors empty when
    not paired)."""
    return csv_text(COMPARISON_COLUMNS, comparison_cells(comparison))


def comparison_dicts(comparison: Comparison) -> list[dict[str, Cell]]:
    """The CSV rows as ``{column: value}`` dicts (what ``charts.plot_compare`` takes)."""
    return [
        dict(zip(COMPARISON_COLUMNS, cells, strict=True)) for cells in comparison_cells(comparison)
    ]


def format_comparison(comparison: Comparison) -> str:
    """The aligned table ``forecast compare`` prints, best scenario first, then a note on the
    scenarios not paired with the baseline, if any.

    Columns ``company`` and ``as_of`` appear when the scenarios differ in them.
    """
    runs = [row.run for row in comparison.rows]
    question = (
        *(("company",) if len({run.company for run in runs}) > 1 else ()),
        *(("as_of",) if len({run.as_of for run in runs}) > 1 else ()),
    )
    headers = (
        "rank",
        "scenario",
        *question,
        "P(hit)",
        "± s.e.",
        "median",
        "p05",
        "p95",
        f"ΔP vs {comparison.baseline}",
        "± paired",
        "Δmedian",
        "± paired",
    )
    rows = [
        _table_row(row, question, row.run.summary.scenario == comparison.baseline)
        for row in comparison.rows
    ]
    table = align(headers, rows, left=set(range(1, 2 + len(question))))
    return "\n".join([table, *_unpaired_note(comparison)])


def _table_row(row: ComparisonRow, question: Sequence[str], is_base: bool) -> tuple[str, ...]:
    s = row.run.summary
    shown = {"company": row.run.company, "as_of": format_month(row.run.as_of)}
    if is_base:
        diffs: tuple[str, ...] = ("", "", "", "")
    elif row.d_p_hit_se is None or row.d_median_se is None:
        diffs = (
            f"{row.d_p_hit:+.2%}",
            f"not paired: {row.unpaired}",
            f"{row.d_median:+,.0f}",
            "not paired",
        )
    else:
        diffs = (
            f"{row.d_p_hit:+.2%}",
            f"{row.d_p_hit_se:.2%}",
            f"{row.d_median:+,.0f}",
            f"{row.d_median_se:,.0f}",
        )
    return (
        str(row.rank),
        s.scenario,
        *(shown[column] for column in question),
        f"{s.p_hit:.1%}",
        f"{s.p_hit_se:.2%}",
        f"{s.quantile(0.5):,.0f}",
        f"{s.quantile(0.05):,.0f}",
        f"{s.quantile(0.95):,.0f}",
        *diffs,
    )


def _unpaired_note(comparison: Comparison) -> list[str]:
    """Lines saying which scenarios are not paired with the baseline and what that means."""
    unpaired = [row for row in comparison.rows if not row.paired]
    if not unpaired:
        return []
    base = next(
        row.run for row in comparison.rows if row.run.summary.scenario == comparison.baseline
    )
    names = ", ".join(f"{row.run.summary.scenario} ({_question(row.run)})" for row in unpaired)
    return [
        f"not paired with {comparison.baseline} ({_question(base)}): {names}.",
        "  A P(hit) as of another month or for another company answers another question: it is",
        f"  ranked, but not comparable with {comparison.baseline}'s as a difference, so it has no"
        " paired standard error.",
    ]


def _question(run: ScenarioRun) -> str:
    return f"{run.company} as of {format_month(run.as_of)}"
