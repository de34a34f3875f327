"""Dated claims from the source articles (``seeds/claims.csv``), checked against the history.

A claim is a figure with a qualifier about deliveries over a period (``2026-01``, ``2025``,
``2025-07..2025-12``, or ``..2026-01`` for everything up to a month), or about a year's
target (``measure = target``, looked up in ``targets.csv``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from forecast.errors import excerpt
from forecast.load.csvfile import Problems, parse_choice, parse_count, read_rows
from forecast.load.history import TOTAL, History, parse_period
from forecast.load.reconcile import Reconciled

MEASURES = ("deliveries", "target")
CLAIM_QUALIFIERS = ("exact", "at_least", "approaching", "approx")
CLAIMS_FILE = "claims.csv"  # in a company folder
COLUMNS = (
    "id",
    "date",
    "measure",
    "period",
    "line",
    "figure",
    "qualifier",
    "tolerance",
    "seed_file",
    "note",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    id: str
    date: dt.date
    measure: str
    period: str
    first: int | None  # None: from the first month of the history
    last: int
    line: str
    figure: int
    qualifier: str
    tolerance: float
    seed_file: str
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    claim: Claim
    value: int | None
    passed: bool
    reason: str


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected a date as YYYY-MM-DD, got {excerpt(text)}") from None


def _parse_claim_period(text: str) -> tuple[int | None, int]:
    if text.startswith(".."):
        return None, parse_period(text[2:])[1]
    return parse_period(text)


def _parse_tolerance(text: str) -> float:
    if not text:
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a fraction such as 0.05, got {excerpt(text)}") from None
    if not 0 <= value < 1:
        raise ValueError(f"expected a fraction in [0, 1), got {excerpt(text)}")
    return value


def _is_year(text: str) -> bool:
    return len(text) == 4 and text.isascii() and text.isdigit()


def load_claims(path: str | Path) -> tuple[Claim, ...]:
    name, rows = read_rows(path, COLUMNS, optional=("note",))
    problems = Problems(name)
    claims, seen = [], set()
    for row in rows:
        cells = problems.parse_all(
            row,
            {
                "date": _parse_date,
                "measure": parse_choice(MEASURES),
                "period": _parse_claim_period,
                "figure": parse_count,
                "qualifier": parse_choice(CLAIM_QUALIFIERS),
                "tolerance": _parse_tolerance,
            },
        )
        if row.cells["id"] in seen or not row.cells["id"]:
            problems.add(row.line_no, "id", f"missing or duplicate id {excerpt(row.cells['id'])}")
        seen.add(row.cells["id"])
        if row.cells["measure"] == "target" and not _is_year(row.cells["period"]):
            problems.add(
                row.line_no,
                "period",
                f"a target claim needs a year as YYYY, got {excerpt(row.cells['period'])}",
            )
            continue
        if cells is None:
            continue
        first, last = cells.pop("period")
        claims.append(
            Claim(
                id=row.cells["id"],
                period=row.cells["period"],
                first=first,
                last=last,
                line=row.cells["line"],
                seed_file=row.cells["seed_file"],
                note=row.cells.get("note", ""),
                **cells,
            )
        )
    problems.raise_if_any()
    return tuple(claims)


def _holds(qualifier: str, value: int, figure: int, tolerance: float) -> bool:
    if qualifier == "exact":
        return value == figure
    if qualifier == "at_least":
        return value >= figure
    if qualifier == "approaching":
        return figure * (1 - tolerance) <= value <= figure
    return abs(value - figure) <= tolerance * figure  # approx


def check_claim(claim: Claim, history: History, reconciled: Reconciled) -> Verdict:
    """Whether the reconciled history (or the target table) agrees with one claim."""
    if claim.measure == "target":
        announced = {
            t.units for t in history.targets if t.year == int(claim.period) and t.is_default_kind
        }
        found = claim.figure in announced
        listed = ", ".join(f"{units:,}" for units in sorted(announced)) or "none"
        return Verdict(
            claim=claim,
            value=claim.figure if found else None,
            passed=found,
            reason=f"targets for {claim.period}: {listed}",
        )
    if claim.line != TOTAL and claim.line not in reconciled.lines:
        return Verdict(
            claim=claim, value=None, passed=False, reason=f"no line {claim.line} in the history"
        )
    first = reconciled.months[0] if claim.first is None else claim.first
    if claim.last > reconciled.months[-1] or first < reconciled.months[0] - 120:
        return Verdict(claim=claim, value=None, passed=False, reason="period outside the history")
    value = reconciled.value(claim.line, first, claim.last)
    passed = _holds(claim.qualifier, value, claim.figure, claim.tolerance)
    return Verdict(claim=claim, value=value, passed=passed, reason=_describe(claim))


def _describe(claim: Claim) -> str:
    if claim.qualifier == "at_least":
        return f"needs >= {claim.figure:,}"
    if claim.qualifier == "approaching":
        return f"needs {claim.figure * (1 - claim.tolerance):,.0f} to {claim.figure:,}"
    if claim.qualifier == "approx":
        return f"needs {claim.figure:,} ± {claim.tolerance:.0%}"
    return f"needs exactly {claim.figure:,}"


def check_claims(
    claims: tuple[Claim, ...], history: History, reconciled: Reconciled
) -> tuple[Verdict, ...]:
    return tuple(check_claim(claim, history, reconciled) for claim in claims)
