"""The reference launches a backtest replays by default: ``data/reference_launches.csv``.

One row per launch, ``make,model,source,note``, in the order they are replayed; each names a
model of ``bev_models.csv`` (``make|model`` there), whose longest unbroken run of listed
months is the series replayed (``forecast.fit.refclass.reference_series``, which also checks
the name against the lists).
"""

from __future__ import annotations

from pathlib import Path

from forecast.errors import excerpt
from forecast.load.csvfile import Problems, Row, read_rows

COLUMNS = ("make", "model", "source")


def load_reference_launches(path: str | Path) -> tuple[str, ...]:
    """Read and check ``data/reference_launches.csv``.

    Returns
    -------
    tuple of str
        ``"Make|Model"`` names as in the lists, in the file's order. Every problem (an empty
        or ``|``-bearing cell, a missing source, a duplicate launch) is reported at once.
    """
    name, rows = read_rows(path, COLUMNS)
    problems = Problems(name)
    if not rows:
        problems.add(1, "make", "no data rows")
    seen: dict[str, int] = {}
    for row in rows:
        launch = _parse_row(problems, row)
        if launch is None:
            continue
        if launch in seen:
            problems.add(row.line_no, "model", f"duplicate of line {seen[launch]}")
        seen.setdefault(launch, row.line_no)
    problems.raise_if_any()
    return tuple(seen)


def _parse_row(problems: Problems, row: Row) -> str | None:
    values = problems.parse_all(
        row, {"make": _parse_part, "model": _parse_part, "source": _parse_source}
    )
    return None if values is None else f"{values['make']}|{values['model']}"


def _parse_part(text: str) -> str:
    # "|" joins make and model in the lists' names, so it cannot be inside either.
    if not text or "|" in text:
        raise ValueError(f"expected a non-empty name without '|', got {excerpt(text)}")
    return text


def _parse_source(text: str) -> str:
    if not text:
        raise ValueError("empty")
    return text
