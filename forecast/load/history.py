"""Load the delivery history in ``data/``: figures with their sources and qualifiers.

Files (one figure a line, so a new month is one appended line):

- ``lines.csv``: ``line,first_month,source,note``: the model lines and their first month.
- ``deliveries.csv``: ``month,line,figure,qualifier,source,note``: monthly figures; ``line`` is
  ``total`` or a model line. Every month from the first to the last needs a ``total`` row.
- ``totals.csv``: ``period,line,figure,qualifier,source,note``: sums over a quarter
  (``2024-Q2``), a year (``2024``) or a range of months (``2025-01..2025-10``).
- ``targets.csv``: ``year,units,units_high,kind,announced,reliability,scope,actual,source,note``:
  targets and their revisions (``units_high``, ``reliability``, ``scope`` and ``actual`` may
  be left out).
- ``anomalies.csv`` (optional): ``month,line,reason,source``: months disrupted by a one-off
  event (a retooling stop); they stay in the history but are left out of model fitting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from forecast.load import paths
from forecast.load.csvfile import Problems, Row, parse_choice, parse_count, read_rows
from forecast.months import format_month, month_gaps, month_ordinal, parse_month

TOTAL = "total"
QUALIFIERS = ("exact", "at_least", "approaching", "approx", "exact_third_party", "derived")
TARGET_KINDS = ("target", "expectation")

# Each file's columns, in the order ``forecast init`` writes them (forecast.write.templates);
# the columns in OPTIONAL_COLUMNS may be left out of a file's header.
LINES_COLUMNS = ("line", "first_month", "source", "note")
DELIVERIES_COLUMNS = ("month", "line", "figure", "qualifier", "source", "note")
TOTALS_COLUMNS = ("period", "line", "figure", "qualifier", "source", "note")
TARGETS_COLUMNS = (
    "year",
    "units",
    "units_high",
    "kind",
    "announced",
    "reliability",
    "scope",
    "actual",
    "source",
    "note",
)
ANOMALIES_COLUMNS = ("month", "line", "reason", "source")
OPTIONAL_COLUMNS = ("units_high", "reliability", "scope", "actual", "note")


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
class Target:
    year: int
    units: int
    kind: str
    announced: dt.date
    source: str
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    """Everything loaded from a data folder, validated; figures not yet reconciled.

    ``forecast.load.bundle.DataBundle.cut`` gives the history as it stood at a month's end.
    """

    data_dir: Path
    lines: tuple[str, ...]
    first_month: Mapping[str, int]
    months: np.ndarray
    monthly: tuple[Observation, ...]
    totals: tuple[Observation, ...]
    targets: tuple[Target, ...]
    anomalies: frozenset[tuple[int, str]] = frozenset()


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


def load_history(data_dir: str | Path | None = None) -> History:
    """Load and validate the four history files of ``data_dir`` (default: the bundled data)."""
    data_dir = Path(data_dir) if data_dir is not None else paths.default_company_dir()
    lines = load_lines(data_dir / "lines.csv")
    monthly = load_monthly(data_dir / "deliveries.csv", lines)
    totals = load_totals(data_dir / "totals.csv", tuple(lines))
    targets = load_targets(data_dir / "targets.csv")
    anomalies = load_anomalies(data_dir / "anomalies.csv", lines)
    months = np.arange(
        min(o.first for o in monthly), max(o.last for o in monthly) + 1, dtype=np.int64
    )
    return History(
        data_dir=data_dir,
        lines=tuple(lines),
        first_month=MappingProxyType(dict(lines)),
        months=_readonly(months),
        monthly=monthly,
        totals=totals,
        targets=targets,
        anomalies=anomalies,
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
    name, rows = read_rows(path, LINES_COLUMNS, optional=OPTIONAL_COLUMNS)
    problems = Problems(name)
    lines: dict[str, int] = {}
    for row in rows:
        line = row.cells["line"]
        if not line or line == TOTAL:
            problems.add(row.line_no, "line", f"expected a model line name, got {line!r}")
            continue
        if line in lines:
            problems.add(row.line_no, "line", f"duplicate line {line}")
        first = problems.parse(row, "first_month", parse_month)
        if first is not None:
            lines[line] = first
    if not rows:
        problems.add(1, "line", "no model lines")
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
            raise ValueError(f"unknown line {text!r} (expected one of: {', '.join(known)})")
        return text

    return parse


def load_monthly(path: Path, lines: Mapping[str, int]) -> tuple[Observation, ...]:
    name, rows = read_rows(path, DELIVERIES_COLUMNS, optional=OPTIONAL_COLUMNS)
    problems = Problems(name)
    seen: dict[tuple[int, str], int] = {}
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
        if line != TOTAL and month < lines[line]:
            problems.add(
                row.line_no,
                "month",
                f"{format_month(month)} is before line {line}'s first month {format_month(lines[line])}",
            )
        if figure is not None and qualifier is not None:
            observations.append(
                _observation(name, row, row.cells["month"], (month, month), line, figure, qualifier)
            )
    _check_contiguous(problems, {m: n for (m, line), n in seen.items() if line == TOTAL})
    if not seen:
        problems.add(1, "month", "no monthly figures")
    problems.raise_if_any()
    return tuple(sorted(observations, key=lambda o: (o.first, o.line != TOTAL, o.line)))


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
            raise ValueError(f"range {text!r} ends before it starts")
        return first, last
    if len(text) == 7 and text[4:6] == "-Q" and text[:4].isdigit() and text[6] in "1234":
        year, quarter = int(text[:4]), int(text[6])
        first = month_ordinal(year, 3 * quarter - 2)
        return first, first + 2
    if len(text) == 4 and text.isdigit():
        return month_ordinal(int(text), 1), month_ordinal(int(text), 12)
    if len(text) == 7:
        month = parse_month(text)
        return month, month
    raise ValueError(
        f"expected a period as YYYY, YYYY-Qn, YYYY-MM or YYYY-MM..YYYY-MM, got {text!r}"
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


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _parse_year(text: str) -> int:
    if len(text) != 4 or not text.isdigit():
        raise ValueError(f"expected a year as YYYY, got {text!r}")
    return int(text)


def load_targets(path: Path) -> tuple[Target, ...]:
    name, rows = read_rows(path, TARGETS_COLUMNS, optional=OPTIONAL_COLUMNS)
    problems = Problems(name)
    targets = []
    for row in rows:
        cells = problems.parse_all(
            row,
            {
                "year": _parse_year,
                "units": parse_count,
                "kind": parse_choice(TARGET_KINDS),
                "announced": _parse_date,
            },
        )
        _parse_source(problems, row, None)
        if cells is not None:
            targets.append(
                Target(**cells, source=row.cells["source"], note=row.cells.get("note", ""))
            )
    problems.raise_if_any()
    return tuple(sorted(targets, key=lambda t: (t.year, t.announced)))


def target_at(targets: tuple[Target, ...], year: int, on: dt.date | None = None) -> Target | None:
    """The latest formal target for ``year`` announced on or before ``on`` (default: any)."""
    known = [
        t
        for t in targets
        if t.year == year and t.kind == "target" and (on is None or t.announced <= on)
    ]
    return known[-1] if known else None
