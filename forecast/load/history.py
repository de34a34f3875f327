"""Load the delivery history in ``data/``: figures with their sources and qualifiers.

Files (one figure a line, so a new month is one appended line):

- ``lines.csv``: ``line,first_month,source,note``: the model lines and their first month
  of deliveries. A company whose history is total-only has no model lines: its file is the
  header alone, or one ``total`` row whose ``first_month`` is the company's first delivery.
- ``deliveries.csv``: ``month,line,figure,qualifier,source,note``: monthly figures; ``line`` is
  ``total`` or a model line. Every month from the first to the last needs a ``total`` row.
- ``totals.csv``: ``period,line,figure,qualifier,source,note``: sums over a quarter
  (``2024-Q2``), a year (``2024``) or a range of months (``2025-01..2025-10``).
- ``targets.csv``: ``year,units,units_high,kind,announced,reliability,scope,actual,source,note``:
  every announced target and revision (``forecast.load.targets``).
- ``anomalies.csv`` (optional): ``month,line,reason,source``: months disrupted by a one-off
  event (a retooling stop); they stay in the history but are left out of model fitting.

**Series.** The history is reconciled, fitted and simulated per series: the model lines, or
for a total-only company one series, ``total`` itself (``History.lines == (TOTAL,)``).

**Before the data.** ``first_delivery`` is the company's first month of deliveries: the
earliest model line's first month, or the ``total`` row's; None when lines.csv does not say
(a total-only company with the header alone). Months before it are zero; months from it to
the first month of ``deliveries.csv`` (the data start) are unknown. With no first delivery
known, every month before the data start is unknown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from forecast.errors import excerpt
from forecast.load import paths
from forecast.load.csvfile import Problems, Row, display_path, parse_choice, parse_count, read_rows
from forecast.load.targets import TargetStatement, load_targets
from forecast.months import format_month, month_gaps, month_ordinal, parse_month

TOTAL = "total"
QUALIFIERS = ("exact", "at_least", "approaching", "approx", "exact_third_party", "derived")

# Each file's columns, in the order ``forecast init`` writes them (forecast.write.templates);
# the columns in OPTIONAL_COLUMNS may be left out of a file's header.
LINES_COLUMNS = ("line", "first_month", "source", "note")
DELIVERIES_COLUMNS = ("month", "line", "figure", "qualifier", "source", "note")
TOTALS_COLUMNS = ("period", "line", "figure", "qualifier", "source", "note")
ANOMALIES_COLUMNS = ("month", "line", "reason", "source")
OPTIONAL_COLUMNS = ("note",)


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """A published figure: the sum of ``line`` over the months ``first..last``."""

    file: str
    line_no: int
    period: str
    first: int
    last: int
    line: str
    figure: int
    qualifier: str
    source: str
    note: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line_no}"


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    """Everything loaded from a data folder, validated; figures not yet reconciled.

    ``lines``: the series (the model lines, or ``(TOTAL,)`` for a total-only company);
    ``first_month``: each series' first month, the origin of its growth curve (the data
    start for a total-only company whose first delivery is unknown); ``first_delivery``:
    see the module notes.
    ``forecast.load.bundle.DataBundle.cut`` gives the history as it stood at a month's end.
    """

    data_dir: Path
    lines: tuple[str, ...]
    first_month: Mapping[str, int]
    months: np.ndarray
    monthly: tuple[Observation, ...]
    totals: tuple[Observation, ...]
    targets: tuple[TargetStatement, ...]
    anomalies: frozenset[tuple[int, str]] = frozenset()
    first_delivery: int | None = None

    @property
    def total_only(self) -> bool:
        """True when the history has no model lines: its one series is the total."""
        return self.lines == (TOTAL,)

    @property
    def data_start(self) -> int:
        """The first month of ``deliveries.csv``."""
        return int(self.months[0])


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


def load_history(data_dir: str | Path | None = None) -> History:
    """Load and validate the four history files of ``data_dir`` (default: the bundled data)."""
    data_dir = Path(data_dir) if data_dir is not None else paths.default_company_dir()
    declared = load_lines(data_dir / "lines.csv")
    first_delivery = min(declared.values()) if declared else None
    model_lines = {line: first for line, first in declared.items() if line != TOTAL}
    monthly = load_monthly(data_dir / "deliveries.csv", model_lines, first_delivery)
    totals = load_totals(data_dir / "totals.csv", tuple(model_lines))
    targets = load_targets(data_dir / "targets.csv")
    anomalies = load_anomalies(data_dir / "anomalies.csv", model_lines)
    months = np.arange(
        min(o.first for o in monthly), max(o.last for o in monthly) + 1, dtype=np.int64
    )
    # A total-only company is one series, the total, from its first delivery if known.
    series = model_lines or {TOTAL: int(months[0]) if first_delivery is None else first_delivery}
    return History(
        data_dir=data_dir,
        lines=tuple(series),
        first_month=MappingProxyType(dict(series)),
        months=_readonly(months),
        monthly=monthly,
        totals=totals,
        targets=targets,
        anomalies=anomalies,
        first_delivery=first_delivery,
    )


def load_anomalies(path: Path, lines: Mapping[str, int]) -> frozenset[tuple[int, str]]:
    """(month, line) pairs to leave out of fitting; an absent file means none."""
    if not path.exists():
        return frozenset()
    name, rows = read_rows(path, ANOMALIES_COLUMNS)
    problems = Problems(name)
    found = set()
    for row in rows:
        month = problems.parse(row, "month", parse_month)
        line = problems.parse(row, "line", _parse_line(lines))
        if not row.cells["reason"]:
            problems.add(row.line_no, "reason", "missing reason")
        if month is not None and line is not None:
            found.add((month, line))
    problems.raise_if_any()
    return frozenset(found)


def load_lines(path: Path) -> dict[str, int]:
    """Line -> first month, as ``lines.csv`` lists them: model lines, or for a total-only
    company nothing or one ``total`` row (its first delivery); each with a source."""
    name, rows = read_rows(path, LINES_COLUMNS, optional=OPTIONAL_COLUMNS)
    problems = Problems(name)
    lines: dict[str, int] = {}
    for row in rows:
        line = row.cells["line"]
        if not line:
            problems.add(row.line_no, "line", "expected a model line name (or total), got ''")
            continue
        if line in lines:
            problems.add(row.line_no, "line", f"duplicate line {line}")
        first = problems.parse(row, "first_month", parse_month)
        if not row.cells["source"]:
            problems.add(row.line_no, "source", "missing source")
        if first is not None:
            lines[line] = first
    if TOTAL in lines and len(rows) > 1:
        row = next(row for row in rows if row.cells["line"] == TOTAL)
        problems.add(
            row.line_no,
            "line",
            "a total row is only for a company without model lines (with lines, the first "
            "delivery is the earliest line's first_month)",
        )
    problems.raise_if_any()
    return lines


def _parse_source(problems: Problems, row: Row, qualifier: str | None) -> str:
    source = row.cells["source"]
    if not source and qualifier != "derived":
        problems.add(row.line_no, "source", "missing source (only derived figures may omit it)")
    return source


def _observation(
    name: str, row: Row, period: str, span: tuple[int, int], line: str, figure: int, qualifier: str
) -> Observation:
    return Observation(
        file=name,
        line_no=row.line_no,
        period=period,
        first=span[0],
        last=span[1],
        line=line,
        figure=figure,
        qualifier=qualifier,
        source=row.cells["source"],
        note=row.cells.get("note", ""),
    )


def _parse_line(lines: Mapping[str, int]):
    known = (TOTAL, *lines)

    def parse(text: str) -> str:
        if text not in known:
            raise ValueError(f"unknown line {excerpt(text)} (expected one of: {', '.join(known)})")
        return text

    return parse


def load_monthly(
    path: Path, lines: Mapping[str, int], first_delivery: int | None = None
) -> tuple[Observation, ...]:
    """The monthly figures; ``lines``: the model lines (none for a total-only company);
    a figure before ``first_delivery`` (the company's first month, if known) is a problem."""
    name, rows = read_rows(path, DELIVERIES_COLUMNS, optional=OPTIONAL_COLUMNS)
    problems = Problems(name)
    seen: dict[tuple[int, str], int] = {}
    early: dict[str | None, list[tuple[int, int]]] = {}  # rows before a first month
    observations = []
    for row in rows:
        month = problems.parse(row, "month", parse_month)
        line = problems.parse(row, "line", _parse_line(lines))
        figure = problems.parse(row, "figure", parse_count)
        qualifier = problems.parse(row, "qualifier", parse_choice(QUALIFIERS))
        _parse_source(problems, row, qualifier)
        if month is None or line is None:
            continue
        if (month, line) in seen:
            problems.add(
                row.line_no,
                "month",
                f"duplicate month {format_month(month)} for line {line} (first at line {seen[month, line]})",
            )
            continue
        seen[month, line] = row.line_no
        if first_delivery is not None and month < first_delivery:
            early.setdefault(None, []).append((month, row.line_no))
        elif line != TOTAL and month < lines[line]:
            early.setdefault(line, []).append((month, row.line_no))
        if figure is not None and qualifier is not None:
            observations.append(
                _observation(name, row, row.cells["month"], (month, month), line, figure, qualifier)
            )
    problems.lines += _early_rows(path.parent / "lines.csv", name, early, lines, first_delivery)
    _check_contiguous(problems, {m: n for (m, line), n in seen.items() if line == TOTAL})
    if not seen:
        problems.add(1, "month", "no monthly figures")
    problems.raise_if_any()
    return tuple(sorted(observations, key=lambda o: (o.first, o.line != TOTAL, o.line)))


def _early_rows(
    lines_path: Path,
    name: str,
    early: Mapping[str | None, list[tuple[int, int]]],
    lines: Mapping[str, int],
    first_delivery: int | None,
) -> list[str]:
    """One problem per first month in ``lines.csv`` that rows of ``deliveries.csv`` precede
    (``None``: the company's first delivery, its earliest line's): the month in lines.csv is
    the likelier mistake, and one line says so instead of one per row."""
    problems = []
    for line, rows in early.items():
        first = first_delivery if line is None else lines[line]
        what = "the earliest first_month" if line is None else f"{line}'s first_month"
        month, line_no = min(rows)
        count = f"{len(rows)} row{'s' if len(rows) > 1 else ''}"
        problems.append(
            f"{display_path(lines_path)}: {what} is {format_month(first or 0)}, but {name} has "
            f"{count} before it, from {format_month(month)} (line {line_no}); a line's "
            "first_month is the month of its first deliveries"
        )
    return problems


def _check_contiguous(problems: Problems, total_rows: dict[int, int]) -> None:
    """Every month between the first and the last needs a total: a gap is a missing month."""
    for before, after in month_gaps(total_rows):
        for missing in range(before + 1, after):
            problems.add(
                total_rows[after],
                "month",
                f"missing month {format_month(missing)} (no total between {format_month(before)} and {format_month(after)})",
            )


def parse_period(text: str) -> tuple[int, int]:
    """``2024-Q2``, ``2024`` or ``2025-01..2025-10`` -> (first, last) month ordinals."""
    text = text.strip()
    if ".." in text:
        first_text, last_text = text.split("..", 1)
        first, last = parse_month(first_text), parse_month(last_text)
        if last < first:
            raise ValueError(f"range {excerpt(text)} ends before it starts")
        return first, last
    if re.fullmatch(r"[1-9][0-9]{3}-Q[1-4]", text):  # ASCII digits, from the year 1000
        year, quarter = int(text[:4]), int(text[6])
        first = month_ordinal(year, 3 * quarter - 2)
        return first, first + 2
    if re.fullmatch(r"[1-9][0-9]{3}", text):
        return month_ordinal(int(text), 1), month_ordinal(int(text), 12)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}", text):
        month = parse_month(text)
        return month, month
    raise ValueError(
        f"expected a period as YYYY, YYYY-Qn, YYYY-MM or YYYY-MM..YYYY-MM, got {excerpt(text)}"
    )


def load_totals(path: Path, lines: tuple[str, ...]) -> tuple[Observation, ...]:
    name, rows = read_rows(path, TOTALS_COLUMNS, optional=OPTIONAL_COLUMNS)
    problems = Problems(name)
    known = dict.fromkeys(lines, 0)
    observations = []
    seen: dict[tuple[str, str, str], int] = {}
    for row in rows:
        cells = problems.parse_all(
            row,
            {
                "period": parse_period,
                "line": _parse_line(known),
                "figure": parse_count,
                "qualifier": parse_choice(QUALIFIERS),
            },
        )
        _parse_source(problems, row, row.cells["qualifier"])
        key = (row.cells["period"], row.cells["line"], row.cells["qualifier"])
        if key in seen:
            problems.add(
                row.line_no,
                "period",
                f"duplicate period {key[0]} for line {key[1]} (first at line {seen[key]})",
            )
            continue
        seen[key] = row.line_no
        if cells is not None:
            observations.append(
                _observation(
                    name,
                    row,
                    row.cells["period"],
                    cells["period"],
                    cells["line"],
                    cells["figure"],
                    cells["qualifier"],
                )
            )
    problems.raise_if_any()
    return tuple(observations)
