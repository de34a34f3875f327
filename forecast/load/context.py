"""Load ``data/context.csv``: dated facts around the figures (launches, targets, capacity).

``date,topic,fact,source``, one fact a line; ``date`` is a day (``2024-03-28``) or a month
(``2024-03``). Nothing is computed from these notes: they travel with the data so that a
reader (or a replayed past forecast) can see what was known when. An absent file means none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from forecast.errors import excerpt
from forecast.load.csvfile import Problems, read_rows
from forecast.months import month_ordinal, parse_month

COLUMNS = ("date", "topic", "fact", "source")


@dataclass(frozen=True, slots=True, kw_only=True)
class ContextNote:
    """One dated fact; ``month`` is the ordinal of its ``date`` (as written in the file)."""

    date: str
    month: int
    topic: str
    fact: str
    source: str


def load_context(path: str | Path) -> tuple[ContextNote, ...]:
    """Every note of ``path`` in file order; every problem reported at once."""
    path = Path(path)
    if not path.exists():
        return ()
    name, rows = read_rows(path, COLUMNS)
    problems = Problems(name)
    notes = []
    for row in rows:
        month = problems.parse(row, "date", _parse_date_month)
        if not row.cells["fact"]:
            problems.add(row.line_no, "fact", "missing fact")
        if month is not None and row.cells["fact"]:
            notes.append(
                ContextNote(
                    date=row.cells["date"],
                    month=month,
                    topic=row.cells["topic"],
                    fact=row.cells["fact"],
                    source=row.cells["source"],
                )
            )
    problems.raise_if_any()
    return tuple(notes)


def _parse_date_month(text: str) -> int:
    """The month of ``YYYY-MM-DD`` or ``YYYY-MM``."""
    if len(text) == 10:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            pass
        else:
            return month_ordinal(day.year, day.month)
    elif len(text) == 7:
        return parse_month(text)
    raise ValueError(f"expected a date as YYYY-MM-DD or a month as YYYY-MM, got {excerpt(text)}")
