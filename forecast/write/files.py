"""Summary -> files: ``summary.csv``, ``monthly.csv`` and the resolved scenario.

All files of a run are first written beside their targets and renamed only once every one
of them is complete, so a failed run never leaves a partial set behind.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from forecast.load.targets import TargetStatement
from forecast.months import format_month
from forecast.summarise.summary import QUANTILE_NAMES, Summary
from forecast.write.atomic import temp_beside
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


def monthly_rows(summary: Summary) -> list[tuple[Cell, ...]]:
    rows = []
    for m in summary.months:
        fan = m.quantiles or (None,) * len(QUANTILE_NAMES)
        rows.append(
            (
                format_month(m.month),
                rounded(m.actual, 1),
                rounded(m.mean, 1),
                *(rounded(q, 1) for q in fan),
                rounded(m.cum_p50, 1),
                rounded(m.target_pace, 1),
            )
        )
    return rows


def write_files(out_dir: str | Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Write every file of ``files`` (name -> content) into ``out_dir``, all or none.

    Each file is written to a temporary file beside its target; only when all are complete
    are they renamed into place. If a rename fails, the files already renamed get their old
    content back, so a failed run leaves the folder as it was and no temporary files behind.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[str, Path]] = []
    backups: list[tuple[str | None, Path]] = []  # (copy of the old file or None, target)
    try:
        for name, content in files.items():
            fd, tmp = temp_beside(out_dir / name)
            staged.append((tmp, out_dir / name))
            with os.fdopen(fd, "wb") as handle:
                handle.write(content.encode("utf-8") if isinstance(content, str) else content)
        for tmp, final in staged:
            backups.append((_backup(final), final))
            os.replace(tmp, final)
    except BaseException:
        for backup, final in reversed(backups):
            with contextlib.suppress(OSError):
                if backup:
                    os.replace(backup, final)
                else:
                    final.unlink()
        raise
    finally:
        for tmp in [tmp for tmp, _ in staged] + [b for b, _ in backups if b]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return [out_dir / name for name in files]


def _backup(path: Path) -> str | None:
    """A temporary copy of ``path`` beside it (None if there is no such file)."""
    if not path.exists():
        return None
    fd, backup = temp_beside(path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(path.read_bytes())
    return backup


def run_files(summary: Summary, record: RunRecord, resolved_toml: str) -> dict[str, str]:
    """The three files of ``forecast run`` as text, ready for ``write_files``."""
    return {
        "summary.csv": csv_text(SUMMARY_COLUMNS, [summary_row(summary, record)]),
        "monthly.csv": csv_text(MONTHLY_COLUMNS, monthly_rows(summary)),
        "scenario.resolved.toml": resolved_toml,
    }
