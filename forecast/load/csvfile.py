"""Read small CSV files whose every problem is reported as ``path:LINE: column: problem``."""

from __future__ import annotations

import csv
import difflib
import io
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from forecast.errors import DataError, excerpt

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Row:
    """One data line: its 1-based line number in the file and its cells by column."""

    line_no: int
    cells: dict[str, str]


def display_path(path: Path) -> str:
    """The path as the user would type it: relative to the working folder when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def read_rows(
    path: str | Path, columns: tuple[str, ...], *, optional: tuple[str, ...] = ()
) -> tuple[str, list[Row]]:
    """Rows of a CSV whose header names ``columns`` (any order; those in ``optional`` may be
    left out, and other columns are kept unread); blank lines are skipped.

    Returns the display name (for messages) and the rows. A missing file or column is a
    ``DataError``, and so is a row with fewer or more cells than the header has columns: its
    cells would land in the wrong columns (``12,000`` as a figure is two cells).
    """
    path = Path(path)
    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{name}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{name}: cannot read: {error}") from None
    if not text.partition("\n")[0].strip():
        raise DataError(f"{name}:1: header: missing (expected {', '.join(columns)})")
    records = _records(name, text)
    header = [cell.strip() for cell in records[0][1]]
    missing = [column for column in columns if column not in header and column not in optional]
    if missing:
        raise DataError([f"{name}:1: {column}: missing column" for column in missing])
    rows, miscounted = [], []
    for line_no, record in records[1:]:
        if not any(cell.strip() for cell in record):
            continue
        problem = _cell_count_problem(header, record)
        if problem:
            miscounted.append(f"{name}:{line_no}: {problem}")
            continue
        cells = {column: record[i].strip() for i, column in enumerate(header)}
        rows.append(Row(line_no, cells))
    if miscounted:
        raise DataError(miscounted)
    return name, rows


def _cell_count_problem(header: list[str], record: list[str]) -> str:
    """``column: problem`` if ``record`` does not have one cell per column of ``header``, else
    ``""``."""
    n_header, n_cells = len(header), len(record)
    counts = f"the row has {n_cells} cells, the header {n_header} ({', '.join(header)})"
    if n_cells < n_header:
        return f"{header[n_cells]}: missing: {counts}"
    if n_cells > n_header:
        return (
            f"{header[-1]}: cells after the last column: {counts}; write figures without "
            "separators (12000, not 12,000) and put text with a comma in double quotes"
        )
    return ""


def _records(name: str, text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of each record; a record may span lines inside quotes.

    Lines end at ``\n``, ``\r\n`` or ``\r`` only, as the csv module reads a file opened
    with ``newline=""``: a Unicode line separator (U+2028) or a form feed inside a note is
    text, so line numbers are those an editor shows."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records, first = [], 1
    try:
        for record in reader:
            records.append((first, record))
            first = reader.line_num + 1
    except csv.Error as error:  # an unclosed quote, a field over the size limit
        raise DataError(f"{name}:{first}: cannot read this line as CSV: {error}") from None
    return records


class Problems:
    """Collects located problems so a file reports all of them at once."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: list[str] = []

    def add(self, line_no: int, column: str, problem: str) -> None:
        self.lines.append(f"{self.name}:{line_no}: {column}: {problem}")

    def parse(self, row: Row, column: str, parser: Callable[[str], T]) -> T | None:
        """Parse one cell; on failure record the parser's message and return None."""
        try:
            return parser(row.cells[column])
        except ValueError as error:
            self.add(row.line_no, column, str(error))
            return None

    def parse_all(
        self, row: Row, parsers: Mapping[str, Callable[[str], Any]]
    ) -> dict[str, Any] | None:
        """Parse several cells, recording every failure; the values only if all parsed."""
        before = len(self.lines)
        values = {column: self.parse(row, column, parser) for column, parser in parsers.items()}
        return values if len(self.lines) == before else None

    def raise_if_any(self) -> None:
        if self.lines:
            raise DataError(self.lines)


MAX_COUNT = 10**12  # units in one figure: beyond it a typo, and sums would stop being exact


def parse_count(text: str) -> int:
    """A whole, non-negative number of units up to ``MAX_COUNT``, in ASCII digits (``12,000``
    is not accepted: no separators)."""
    try:
        if not text.isascii():
            raise ValueError
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a whole number, got {excerpt(text)}") from None
    if not math.isfinite(value) or value != int(value):
        raise ValueError(f"expected a whole number, got {excerpt(text)}")
    if value < 0:
        raise ValueError(f"expected a non-negative number, got {excerpt(text)}")
    if value > MAX_COUNT:
        raise ValueError(f"expected at most {MAX_COUNT:,}, got {excerpt(text)}")
    return int(value)


def parse_choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            close = difflib.get_close_matches(text, choices, n=1)
            hint = f"; did you mean {excerpt(close[0])}?" if close else ""
            raise ValueError(
                f"unknown value {excerpt(text)} (expected one of: {', '.join(choices)}{hint})"
            )
        return text

    return parse
