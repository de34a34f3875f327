"""Plain tables: aligned text for the terminal, CSV for spreadsheets and pandas."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from forecast.write.atomic import atomic_open

Cell = str | int | float | None


def format_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return value


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[Cell]], *, max_width: int = 60
) -> str:
    """Columns padded to their widest cell; numbers right-aligned, text left-aligned."""
    text = [[format_cell(c)[:max_width] for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in text]) for i, h in enumerate(headers)]
    numeric = [
        all(isinstance(row[i], int | float) or row[i] is None for row in rows)
        for i in range(len(headers))
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in text])


def csv_value(value: Cell) -> str:
    """Machine-readable: no thousands separators, floats with enough digits to round-trip."""
    if value is None:
        return ""
    if isinstance(value, float):
        return (
            repr(round(value, 6)) if value != int(value) or abs(value) >= 1e15 else str(int(value))
        )
    return str(value)


def write_csv(path: str | Path, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    """Write the table whole or not at all."""
    with atomic_open(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows([csv_value(c) for c in row] for row in rows)
