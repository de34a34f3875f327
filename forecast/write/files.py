"""Summary -> files: ``summary.csv``, ``monthly.csv`` and the resolved scenario.

All files of a run, charts included, are one ``OutputSet`` (``forecast.write.atomic``):
written into a staging folder beside their targets and swapped in together, so a failed or
interrupted run never leaves a partial or mixed set behind.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from forecast.errors import ForecastError
from forecast.load.targets import TargetStatement
from forecast.months import format_month
from forecast.summarise.summary import QUANTILE_NAMES, Summary
from forecast.write.atomic import output_set
from forecast.write.tables import Cell, csv_text, rounded

SUMMARY_COLUMNS = (
    "scenario",
    "target_year",
    "target",
    "target_kind",
    "target_announced",
    "target_reliability",
    "target_source",
    "p_hit",
    "p_hit_se",
    "mean",
    "sd",
    *QUANTILE_NAMES,
    "expected_shortfall",
    "required_monthly",
    "ytd_actual",
    "seed",
    "n_paths",
    "version",
    "data_hash",
    "scenario_hash",
    "error_walk",
)
MONTHLY_COLUMNS = ("month", "actual", "mean", *QUANTILE_NAMES, "cum_p50", "target_pace")


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """What is needed to reproduce a run."""

    seed: int
    n_paths: int
    version: str
    data_hash: str
    scenario_hash: str
    error_walk: float = (
        0.0  # the model-error walk's monthly sd the run used (forecast.fit.calibration)
    )
    error_walk_source: str = ""  # where it came from, for the terminal (summary.csv has the value)
    # what the scenario read outside its own folder ("extends /x/y.toml", "history.data ../d"):
    # allowed, never silent (Scenario.outside); the terminal shows it
    outside: tuple[str, ...] = ()


def summary_row(summary: Summary, record: RunRecord) -> tuple[Cell, ...]:
    s = summary
    return (
        s.scenario,
        s.target_year,
        s.target,
        *_statement_cells(s.target_statement),
        rounded(s.p_hit, 6),
        rounded(s.p_hit_se, 6),
        rounded(s.mean, 1),
        rounded(s.sd, 1),
        *(rounded(q, 1) for q in s.quantiles),
        rounded(s.expected_shortfall, 1),
        rounded(s.required_monthly, 1),
        rounded(s.ytd_actual, 1),
        record.seed,
        record.n_paths,
        record.version,
        record.data_hash,
        record.scenario_hash,
        rounded(record.error_walk, 4),
    )


def _statement_cells(statement: TargetStatement | None) -> tuple[Cell, ...]:
    """``target_kind``, ``target_announced``, ``target_reliability``, ``target_source``:
    the announced target the run took; blank when the scenario set ``target.units``."""
    if statement is None:
        return (None, None, None, None)
    return (statement.kind, statement.announced, statement.reliability, statement.source)


class MonthlyRow(NamedTuple):
    """One month of ``monthly.csv``, its fields named as the columns (``MONTHLY_COLUMNS``).

    ``month`` is the label ``"2026-02"``; ``actual`` the reported figure (None for a
    simulated month); ``mean`` and ``p05``..``p95`` the simulated month's fan (None for a
    reported month); ``cum_p50`` the median cumulative total; ``target_pace`` the cumulative
    path that reaches the target at the required run-rate. Units, rounded to 0.1.
    """

    month: str
    actual: float | None
    mean: float | None
    p05: float | None
    p10: float | None
    p25: float | None
    p50: float | None
    p75: float | None
    p90: float | None
    p95: float | None
    cum_p50: float | None
    target_pace: float | None


def monthly_rows(summary: Summary) -> list[MonthlyRow]:
    """The rows of ``monthly.csv``: one ``MonthlyRow`` per month of the target year."""
    rows = []
    for m in summary.months:
        fan = m.quantiles or (None,) * len(QUANTILE_NAMES)
        rows.append(
            MonthlyRow._make(
                (
                    format_month(m.month),
                    rounded(m.actual, 1),
                    rounded(m.mean, 1),
                    *(rounded(q, 1) for q in fan),
                    rounded(m.cum_p50, 1),
                    rounded(m.target_pace, 1),
                )
            )
        )
    return rows


def write_files(out_dir: str | Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Write every file of ``files`` (name -> content) into ``out_dir``, all or none.

    One ``OutputSet`` (``forecast.write.atomic``): the files are written into a staging
    folder beside their targets and swapped in together, so a failed or interrupted run
    leaves the folder as it was and no temporary files behind.
    """
    with output_set() as outputs:
        written = [outputs.write(Path(out_dir) / name, content) for name, content in files.items()]
    return written


CHART_FORMATS = ("png", "svg")  # forecast.write.charts.FORMATS
RUN_CHARTS = ("fan", "cumulative", "distribution")  # the stems of charts.plot_run
COMPARE_CHARTS = ("compare",)  # charts.plot_compare's default name


def chart_names(*stems: str) -> tuple[str, ...]:
    """The files ``--plot`` writes for ``stems``: the members of a command's output set
    that a run without ``--plot`` removes (old charts never sit beside new tables)."""
    return tuple(f"{stem}.{fmt}" for stem in stems for fmt in CHART_FORMATS)


OTHER_KINDS = frozenset(
    {"png", "svg", "pdf", "jpg", "jpeg", "eps", "ps", "tif", "tiff", "webp", "gif", "toml", "json"}
)
"""Suffixes of files a command writes that are not CSV: a CSV ``--out`` may not take them."""


def check_csv_out(path: Path, option: str = "--out") -> None:
    """Refuse a CSV output named like a file of another kind (``compare.svg``, ``a.toml``):
    the chart written beside it would replace it, or a reader would take it for an image."""
    suffix = path.suffix[1:].lower()
    if suffix in OTHER_KINDS:
        raise ForecastError(
            f"{option} {path}: names a .{suffix} file, but this is where the CSV table goes; "
            "give a .csv file (charts are written beside it)"
        )


def check_distinct(*named: tuple[str, Path | None]) -> None:
    """Refuse two options naming one output file: ``check_distinct(("--out", out), ...)``."""
    seen: dict[Path, str] = {}
    for option, path in named:
        if path is None:
            continue
        key = Path(os.path.abspath(path))
        if key in seen:
            raise ForecastError(f"{seen[key]} and {option} both name {path}; give two files")
        seen[key] = option


def run_files(summary: Summary, record: RunRecord, resolved_toml: str) -> dict[str, str]:
    """The three files of ``forecast run`` as text, ready for ``write_files``."""
    return {
        "summary.csv": csv_text(SUMMARY_COLUMNS, [summary_row(summary, record)]),
        "monthly.csv": csv_text(MONTHLY_COLUMNS, monthly_rows(summary)),
        "scenario.resolved.toml": resolved_toml,
    }
