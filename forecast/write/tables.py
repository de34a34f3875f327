"""Plain tables: aligned text for the terminal, CSV for spreadsheets and pandas.

The one place that aligns columns (``align``), turns cells into CSV text (``csv_text``) and
rounds numbers for output (``rounded``): every command's tables and files go through here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Container, Sequence
from pathlib import Path
from typing import overload

from forecast.write.atomic import write_text_atomic

Cell = str | int | float | None


@overload
def rounded(value: float, digits: int) -> float: ...
@overload
def rounded(value: float | None, digits: int) -> float | None: ...
def rounded(value: float | None, digits: int) -> float | None:
    """``value`` rounded to ``digits`` decimals as a Python float (None stays None).

    ``float()`` first: a numpy scalar rounds by scaling (58.2905 to 3 digits gives 58.29,
    Python's correctly rounded ``round`` 58.291) and would print as ``np.float64(...)``.
    """
    return None if value is None else round(float(value), digits)


def format_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return value


def align(headers: Sequence[str], rows: Sequence[Sequence[str]], *, left: Container[int]) -> str:
    """Header, a rule of dashes and the rows, columns padded to their widest cell.

    Columns whose index is in ``left`` are left-aligned, the others right-aligned;
    trailing spaces are dropped.
    """
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[Cell]], *, max_width: int = 60
) -> str:
    """Cells formatted by ``format_cell`` and aligned: columns of numbers (or empty cells)
    right, any other column left.

    No cell is cut: the last column is printed whole (nothing follows it to misalign), and
    a longer text than ``max_width`` in another column is wrapped at spaces onto
    continuation lines whose other cells are blank.
    """
    text = [[format_cell(c) for c in row] for row in rows]
    numeric = [
        all(isinstance(row[i], int | float) or row[i] is None for row in rows)
        for i in range(len(headers))
    ]
    lines = [line for row in text for line in _wrapped_row(row, max_width)]
    table = align(headers, lines, left={i for i, num in enumerate(numeric) if not num})
    head, rule, *body = table.split("\n")
    if len(headers) > 1:  # the rule under a long last column stops at max_width
        before, _, last = rule.rpartition("  ")
        rule = f"{before}  {'-' * max(len(headers[-1]), min(len(last), max_width))}"
    return "\n".join([head, rule, *body])


def _wrapped_row(row: Sequence[str], max_width: int) -> list[list[str]]:
    """One table row as printed lines: every cell but the last wrapped to ``max_width``."""
    import textwrap

    last = len(row) - 1
    pieces = [
        [cell]
        if i == last or len(cell) <= max_width
        else textwrap.wrap(cell, max_width, break_on_hyphens=False) or [cell]
        for i, cell in enumerate(row)
    ]
    height = max((len(p) for p in pieces), default=1)
    return [[p[k] if k < len(p) else "" for p in pieces] for k in range(height)]


def csv_value(value: Cell) -> str:
    """Machine-readable: no thousands separators, floats with enough digits to round-trip."""
    if value is None:
        return ""
    if isinstance(value, float):
        return (
            repr(round(value, 6)) if value != int(value) or abs(value) >= 1e15 else str(int(value))
        )
    return str(value)


def csv_text(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """The table as CSV text: a header line, then one line per row, ``\\n`` line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows([csv_value(c) for c in row] for row in rows)
    return buffer.getvalue()


def write_csv(path: str | Path, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    """Write the table as CSV, whole or not at all."""
    write_text_atomic(path, csv_text(headers, rows))
