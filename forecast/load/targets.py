"""Announced annual targets: ``targets.csv``, the statement a scenario defaults to, outcomes.

One row per public statement of an annual delivery target:

``year,units,units_high,kind,announced,reliability,scope,actual,source,note``

- ``units`` (and ``units_high`` for a range, or a revision to a range): the figure; a range
  is ``units`` to ``units_high``.
- ``kind``: ``target`` (a first target), ``revision`` (a later change), ``range`` (a target
  given as a range), ``guidance`` (a loose statement or forecast, e.g. a growth rate turned
  into a number), ``partial`` (a target for part of the company's deliveries only: one
  region, brand or segment).
- ``announced``: a day (``2025-03-18``), or where only that is known a month (``2025-03``)
  or a year (``2025``).
- ``reliability``: ``ok`` (the company or a major outlet), ``low`` (one weaker outlet, or
  leaked and unconfirmed), ``denied`` (the company denied it).
- ``scope``: what the figure counts, as the source words it. ``actual``: the full year's
  outcome in that scope (blank while the year is open, or where no exact figure was
  published). ``source`` is required; ``note`` is free text.

**When a statement is known.** ``as_of`` is a month and means its end. A statement counts
as known at ``as_of`` only if it was announced on or before the end of ``as_of`` *whatever
day its date stands for*: a day from that day, a month from the end of that month, a year
from the end of that year. This is the conservative reading: a forecast never uses a
statement before it could have been known (a target announced "2025" is known only from
December 2025). ``DataBundle.cut`` drops statements by the same rule.

**The default target** (``latest_target``: what ``[target] units`` means when left out):
among the statements for the year known at ``as_of`` that are targets (kind ``target``,
``revision`` or ``range``) and not ``denied``, the latest; for a range its low end. Latest
is by the earliest day the ``announced`` date could stand for, then by line in the file
(a statement dated "2025" is taken as earlier than one dated "2025-05"). Statements of
``low`` reliability count (the answer prints the reliability); ``guidance`` is a forecast,
not a target, and ``partial`` counts something else than the company's total, so neither
is ever the default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from forecast.errors import excerpt
from forecast.load.csvfile import Problems, Row, parse_choice, parse_count, read_rows
from forecast.months import format_month, month_ordinal

__all__ = [
    "COLUMNS",
    "LIST_COLUMNS",
    "DEFAULT_KINDS",
    "KINDS",
    "RELIABILITIES",
    "TargetStatement",
    "latest_target",
    "load_targets",
    "outcome",
    "statement_rows",
]

COLUMNS = (
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
REQUIRED = ("year", "units", "kind", "announced", "reliability", "source")
KINDS = ("target", "revision", "range", "guidance", "partial")
DEFAULT_KINDS = ("target", "revision", "range")  # the kinds a scenario may default to
RELIABILITIES = ("ok", "low", "denied")


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetStatement:
    """One row of ``targets.csv``: a public statement of a target for ``year``.

    ``announced`` is the date as written (a day, a month or a year); ``where`` locates the
    row (``targets.csv:4``) for messages.
    """

    year: int
    units: int
    units_high: int | None
    kind: str
    announced: str
    reliability: str
    scope: str
    actual: int | None
    source: str
    note: str
    where: str = ""

    @property
    def earliest(self) -> dt.date:
        """The first day the ``announced`` date could stand for."""
        parts = [int(part) for part in self.announced.split("-")]
        return dt.date(parts[0], *(parts[1:] + [1, 1])[:2])

    @property
    def known_month(self) -> int:
        """The month ordinal from whose end the statement is known: the month of the last
        day its ``announced`` date could stand for (December for a year)."""
        parts = [int(part) for part in self.announced.split("-")]
        return month_ordinal(parts[0], parts[1] if len(parts) > 1 else 12)

    @property
    def is_default_kind(self) -> bool:
        """Whether ``latest_target`` may take it: a target, not denied."""
        return self.kind in DEFAULT_KINDS and self.reliability != "denied"

    def describe(self) -> str:
        """``the 500,000-600,000 range for 2025 announced 2025-03-11`` and the like."""
        figure = f"{self.units:,}" + (f"-{self.units_high:,}" if self.units_high else "")
        return f"{self.kind} {figure} for {self.year} announced {self.announced}"


def load_targets(path: str | Path) -> tuple[TargetStatement, ...]:
    """Read and check ``targets.csv``, in file order; every problem at once as
    ``path:LINE: column: problem`` (a ``DataError``)."""
    optional = tuple(column for column in COLUMNS if column not in REQUIRED)
    name, rows = read_rows(path, COLUMNS, optional=optional)
    problems = Problems(name)
    statements = []
    for row in rows:
        for column in optional:  # a column left out of the header reads as blank
            row.cells.setdefault(column, "")
        statement = _statement(name, row, problems)
        if statement is not None:
            statements.append(statement)
    problems.raise_if_any()
    return tuple(statements)


def _statement(name: str, row: Row, problems: Problems) -> TargetStatement | None:
    cells = problems.parse_all(
        row,
        {
            "year": _parse_year,
            "units": _parse_units,
            "units_high": _optional(_parse_units),
            "kind": parse_choice(KINDS),
            "announced": _parse_announced,
            "reliability": parse_choice(RELIABILITIES),
            "actual": _optional(parse_count),
            "source": _parse_source,
        },
    )
    if cells is None:
        return None
    if cells["kind"] == "range" and cells["units_high"] is None:
        problems.add(row.line_no, "units_high", "missing (a range needs its high end)")
        return None
    if cells["units_high"] is not None and cells["units_high"] < cells["units"]:
        problems.add(row.line_no, "units_high", f"below units {cells['units']}")
        return None
    if int(cells["announced"][:4]) > cells["year"]:
        problems.add(
            row.line_no, "announced", f"{cells['announced']} is after the year {cells['year']}"
        )
        return None
    return TargetStatement(
        **cells,
        scope=row.cells.get("scope", ""),
        note=row.cells.get("note", ""),
        where=f"{name}:{row.line_no}",
    )


def _optional(parse):  # type: ignore[no-untyped-def]
    return lambda text: parse(text) if text else None


def _parse_year(text: str) -> int:
    if len(text) != 4 or not (text.isascii() and text.isdigit()):
        raise ValueError(f"expected a year as YYYY, got {excerpt(text)}")
    return int(text)


def _parse_units(text: str) -> int:
    units = parse_count(text)
    if units == 0:
        raise ValueError("expected a number of units above 0, got 0")
    return units


def _parse_announced(text: str) -> str:
    """A day, a month or a year, as written; ValueError naming the three forms."""
    expected = f"expected a date as YYYY-MM-DD, YYYY-MM or YYYY, got {excerpt(text)}"
    parts = text.split("-")
    if len(parts) > 3 or not all(part.isascii() and part.isdigit() for part in parts):
        raise ValueError(expected)
    if [len(part) for part in parts] not in ([4], [4, 2], [4, 2, 2]):
        raise ValueError(expected)
    try:
        dt.date(int(parts[0]), *([int(part) for part in parts[1:]] + [1, 1])[:2])
    except ValueError:
        raise ValueError(expected) from None
    return text


def _parse_source(text: str) -> str:
    if not text:
        raise ValueError("missing source")
    return text


def latest_target(
    statements: tuple[TargetStatement, ...], year: int, as_of: int
) -> TargetStatement | None:
    """The statement ``[target] units`` defaults to: the latest target for ``year`` known at
    the end of month ``as_of`` (see the module notes); None when there is none."""
    known = [
        (s.earliest, index, s)
        for index, s in enumerate(statements)
        if s.year == year and s.is_default_kind and s.known_month <= as_of
    ]
    return max(known, key=lambda item: item[:2])[2] if known else None


def no_target_text(statements: tuple[TargetStatement, ...], year: int, as_of: int) -> str:
    """Why ``latest_target`` found nothing: ``no target for 2026 (...)``, naming what there is."""
    for_year = [s for s in statements if s.year == year]
    later = [s for s in for_year if s.is_default_kind and s.known_month > as_of]
    if later:
        first = min(later, key=lambda s: s.earliest)
        why = f"the first is the {first.describe()}"
    elif for_year:
        kinds = ", ".join(sorted({f"{s.kind} ({s.reliability})" for s in for_year}))
        why = f"only statements that are not targets: {kinds}"
    else:
        why = "none is bundled"
    return f"no target for {year} announced by the end of {format_month(as_of)} ({why})"


LIST_COLUMNS = (
    "company",
    "year",
    "units",
    "units_high",
    "kind",
    "announced",
    "reliability",
    "actual",
    "actual_from",
    "outcome",
    "outcome_high",
    "scope",
    "source",
    "note",
)
"""The columns of ``forecast targets``: a statement, its outcome, where the actual is from."""


def statement_rows(
    label: str,
    statements: tuple[TargetStatement, ...],
    year_totals: Mapping[int, int],
    *,
    last_month: int,
) -> list[tuple[str | int | None, ...]]:
    """One ``LIST_COLUMNS`` row per statement, in file order.

    The actual is the statement's own (``actual_from`` "targets.csv"), else the year's
    total in ``year_totals`` (the reconciled history's complete years: "history"). A year
    is over when ``last_month`` (the history's last month) is its December or later.
    ``outcome`` compares the actual with ``units``, ``outcome_high`` with ``units_high``.
    """
    rows: list[tuple[str | int | None, ...]] = []
    for s in statements:
        actual, source = s.actual, "targets.csv"
        if actual is None and s.year in year_totals:
            actual, source = year_totals[s.year], "history"
        over = last_month >= month_ordinal(s.year, 12)
        rows.append(
            (
                label,
                str(s.year),  # a label, not an amount: printed without a separator
                s.units,
                s.units_high,
                s.kind,
                s.announced,
                s.reliability,
                actual,
                source if actual is not None else None,
                outcome(s.units, actual, year_over=over),
                outcome(s.units_high, actual, year_over=over) or None,
                s.scope,
                s.source,
                s.note,
            )
        )
    return rows


def outcome(units: int | None, actual: int | None, *, year_over: bool) -> str:
    """``hit`` (actual >= units), ``missed``, ``open`` (the year is not over) or ``unknown``
    (over, but no actual); "" when there is no figure to compare (no ``units_high``)."""
    if units is None:
        return ""
    if actual is None:
        return "unknown" if year_over else "open"
    return "hit" if actual >= units else "missed"
