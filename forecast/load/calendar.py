"""The Lunar New Year calendar: holiday windows and working days per month.

``data/calendar.csv`` has one row per year: the Lunar New Year date, the official holiday
window (both ends included), whether the window was ``published`` (with a source) or
``computed`` by the usual rule, and a note.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from forecast.errors import DataError, excerpt
from forecast.load.csvfile import Problems, Row, parse_choice, read_rows

COLUMNS = ("year", "lny_date", "holiday_start", "holiday_end", "status", "source", "note")
STATUSES = ("published", "computed")
# The longest Spring Festival holiday so far is nine days (2026); anything much longer is a typo.
MAX_HOLIDAY_DAYS = 14

_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_YEAR_RE = re.compile(r"^[0-9]{4}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarYear:
    """One year's Lunar New Year and its official holiday window (both ends included)."""

    year: int
    lny_date: date
    holiday_start: date
    holiday_end: date
    status: str
    source: str
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Calendar:
    """Lunar New Year calendar for a contiguous run of years.

    ``name`` is the file it came from, so that a question about a year it lacks can say
    where to add it.
    """

    name: str
    years: tuple[CalendarYear, ...]

    def __post_init__(self) -> None:
        # ``entry`` finds a year by its offset from the first, so the run must have no holes.
        found = [entry.year for entry in self.years]
        if not found or found != list(range(found[0], found[0] + len(found))):
            raise ValueError(f"calendar years must be ascending and contiguous, got {found}")

    @property
    def first_year(self) -> int:
        return self.years[0].year

    @property
    def last_year(self) -> int:
        return self.years[-1].year

    def entry(self, year: int) -> CalendarYear:
        """The row for ``year``; a year outside the file is a ``DataError``."""
        index = int(year) - self.first_year
        if not 0 <= index < len(self.years):
            raise DataError(
                f"{self.name}: no row for year {int(year)}"
                f" (the calendar covers {self.first_year}-{self.last_year})"
            )
        return self.years[index]

    def holiday_days(self, months: np.ndarray) -> np.ndarray:
        """Days of the Lunar New Year holiday falling in each month.

        Parameters
        ----------
        months : array of int, shape (m,)
            Month ordinals.

        Returns
        -------
        ndarray of int64, shape (m,)
            Calendar days (weekends included) of the official holiday window in each month.
        """
        counts = [
            _overlap_days(self.entry(first.year), first, last) for first, last in _spans(months)
        ]
        return np.asarray(counts, dtype=np.int64)


def load_calendar(path: str | Path) -> Calendar:
    """Read and check ``data/calendar.csv``.

    Every problem is reported at once, each as ``path:LINE: column: problem``: a bad year or
    date, an unknown status, a published row without a source, a window that does not contain
    the Lunar New Year, a duplicate or missing year.
    """
    name, rows = read_rows(path, COLUMNS)
    problems = Problems(name)
    if not rows:
        problems.add(1, "year", "no data rows")
    entries = [entry for entry in (_parse_row(problems, row) for row in rows) if entry]
    if not problems.lines:  # a row left out for its own problem would read as a gap
        _check_years(problems, entries)
    problems.raise_if_any()
    ordered = sorted(entries, key=lambda pair: pair[1].year)
    return Calendar(name=name, years=tuple(entry for _, entry in ordered))


def _parse_row(problems: Problems, row: Row) -> tuple[int, CalendarYear] | None:
    """The row's line number and entry, or None after recording its problems."""
    year = problems.parse(row, "year", _parse_year)
    lny_date = problems.parse(row, "lny_date", _parse_date)
    holiday_start = problems.parse(row, "holiday_start", _parse_date)
    holiday_end = problems.parse(row, "holiday_end", _parse_date)
    status = problems.parse(row, "status", parse_choice(STATUSES))
    source = row.cells["source"]
    source_ok = status != "published" or bool(source)
    if not source_ok:
        problems.add(row.line_no, "source", "a published row needs its source")
    if year is None or lny_date is None or holiday_start is None or holiday_end is None:
        return None
    entry = CalendarYear(
        year=year,
        lny_date=lny_date,
        holiday_start=holiday_start,
        holiday_end=holiday_end,
        status=status or "",
        source=source,
        note=row.cells["note"],
    )
    # The window is checked even when the status is bad, so that one pass reports everything.
    dates_ok = _check_window(problems, row.line_no, entry)
    return (row.line_no, entry) if dates_ok and source_ok and status else None


def _check_window(problems: Problems, line_no: int, entry: CalendarYear) -> bool:
    """Record what is wrong with the row's dates; True if nothing is."""
    n_before = len(problems.lines)
    lny, start, end = entry.lny_date, entry.holiday_start, entry.holiday_end
    if lny.year != entry.year:
        problems.add(line_no, "lny_date", f"{lny} is not in {entry.year}")
    if not start <= lny <= end:
        problems.add(
            line_no, "holiday_start", f"window {start} to {end} does not contain lny_date {lny}"
        )
    elif (end - start).days + 1 > MAX_HOLIDAY_DAYS:
        problems.add(line_no, "holiday_end", f"window longer than {MAX_HOLIDAY_DAYS} days")
    return len(problems.lines) == n_before


def _check_years(problems: Problems, entries: list[tuple[int, CalendarYear]]) -> None:
    """Each year once, and no year missing between the first and the last."""
    seen: dict[int, int] = {}
    for line_no, entry in entries:
        if entry.year in seen:
            problems.add(line_no, "year", f"duplicate of line {seen[entry.year]}")
        seen.setdefault(entry.year, line_no)
    years = sorted(seen)
    for previous, year in zip(years, years[1:], strict=False):
        if year - previous > 1:
            missing = f"{previous + 1}" if year - previous == 2 else f"{previous + 1}-{year - 1}"
            problems.add(seen[year], "year", f"missing year {missing} before {year}")


def _parse_year(text: str) -> int:
    if not _YEAR_RE.match(text):
        raise ValueError(f"expected a year as YYYY, got {excerpt(text)}")
    return int(text)


def _parse_date(text: str) -> date:
    # fromisoformat alone would also take "20260217" and week dates; the file uses one form.
    try:
        if _DATE_RE.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(f"expected a date as YYYY-MM-DD, got {excerpt(text)}")


def _spans(months: np.ndarray) -> list[tuple[date, date]]:
    """First and last day of each month ordinal."""
    spans = []
    for ordinal in np.asarray(months, dtype=np.int64).ravel():
        year, month0 = divmod(int(ordinal), 12)
        first = date(year, month0 + 1, 1)  # (the last day, not the next month's first:
        last = first.replace(day=monthrange(year, month0 + 1)[1])  # 9999-12 has no next)
        spans.append((first, last))
    return spans


def _overlap_days(entry: CalendarYear, first: date, last: date) -> int:
    start, end = max(first, entry.holiday_start), min(last, entry.holiday_end)
    return max(0, (end - start).days + 1)
