"""The monthly best-seller lists behind the reference class of launches: ``bev_models.csv``.

``month,make,model,units,source``: the monthly best-selling battery-electric models in China
from 2018-01, one row per model and month, as transcribed by the Open-EV-Charts project from
monthly market reports (each row keeps its ``source``). A list holds only that month's best
sellers, so a model missing from a month sold less than that month's list cut-off: the month
is *censored*, not zero. ``forecast.fit.refclass`` fits the launches these lists show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forecast.errors import excerpt
from forecast.load.csvfile import Problems, Row, parse_count, read_rows
from forecast.months import format_month, month_gaps, parse_month, span_text

COLUMNS = ("month", "make", "model", "units", "source")


def _readonly(array: np.ndarray, dtype: type) -> np.ndarray:
    out: np.ndarray = np.array(array, dtype=dtype)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelSales:
    """Monthly best-seller lists as a model-by-month grid; arrays are read-only.

    ``months`` (n_months,) are contiguous int64 ordinals; ``names`` (n_models,) are
    ``"Make|Model"``, ordered by first listed month, then name; ``units`` (n_models, n_months)
    float64 holds the listed figure, 0 where the model was not listed; ``listed``
    (n_models, n_months) bool says where it was.
    """

    months: np.ndarray
    names: tuple[str, ...]
    units: np.ndarray
    listed: np.ndarray

    def __post_init__(self) -> None:
        # Copies, so that neither the caller nor a consumer can change the lists underneath.
        for field, dtype in (("months", np.int64), ("units", float), ("listed", bool)):
            object.__setattr__(self, field, _readonly(getattr(self, field), dtype))
        shape = (len(self.names), self.months.size)
        if self.units.shape != shape or self.listed.shape != shape:
            raise ValueError(f"units and listed must have shape {shape}")
        if not np.all(self.listed.any(axis=0)):
            raise ValueError("every month needs at least one listed model (its cut-off)")

    @property
    def cutoff(self) -> np.ndarray:
        """Each month's list cut-off, the smallest listed figure, shape (n_months,)."""
        return np.where(self.listed, self.units, np.inf).min(axis=0)

    def index(self, name: str) -> int:
        """Row of ``"Make|Model"`` in the grid; ValueError for an unknown name."""
        try:
            return self.names.index(name)
        except ValueError:
            raise ValueError(f"unknown model {excerpt(name)}") from None


def load_bev_models(path: str | Path) -> ModelSales:
    """Read and check ``data/bev_models.csv``.

    Every problem is reported at once, each as ``path:LINE: column: problem``: a missing
    column, a bad month, an empty make, model or source, a ``|`` in a make or model (it
    joins the two in names), a figure that is not a positive whole number, a model listed
    twice in one month, a month without any listed model inside the range.

    Returns
    -------
    ModelSales
        The grid over every month from the first to the last in the file.
    """
    name, rows = read_rows(path, COLUMNS)
    problems = Problems(name)
    if not rows:
        problems.add(1, "month", "no data rows")
    parsed = [record for record in (_parse_row(problems, row) for row in rows) if record]
    _check_duplicates(problems, parsed)
    _check_months(problems, parsed)
    problems.raise_if_any()
    return _grid(parsed)


def _parse_row(problems: Problems, row: Row) -> tuple[int, int, str, int] | None:
    """(line number, month, "Make|Model", units), or None after recording the problems."""
    month = problems.parse(row, "month", parse_month)
    make = problems.parse(row, "make", _parse_name)
    model = problems.parse(row, "model", _parse_name)
    units = problems.parse(row, "units", _parse_units)
    if not row.cells["source"]:
        problems.add(row.line_no, "source", "empty (every figure needs its source)")
    if month is None or make is None or model is None or units is None:
        return None
    return row.line_no, month, f"{make}|{model}", units


def _parse_name(text: str) -> str:
    if not text:
        raise ValueError("empty")
    if "|" in text:
        raise ValueError(f"must not contain '|', got {excerpt(text)}")
    return text


def _parse_units(text: str) -> int:
    # A listed best seller sold something; zero would be a transcription error (and logs follow).
    units = parse_count(text)
    if units == 0:
        raise ValueError(f"expected a positive number, got {excerpt(text)}")
    return units


def _check_duplicates(problems: Problems, parsed: list[tuple[int, int, str, int]]) -> None:
    seen: dict[tuple[int, str], int] = {}
    for line_no, month, name, _ in parsed:
        first = seen.setdefault((month, name), line_no)
        if first != line_no:
            problems.add(
                line_no, "model", f"{name} listed twice in {format_month(month)} (line {first})"
            )


def _check_months(problems: Problems, parsed: list[tuple[int, int, str, int]]) -> None:
    """Every month between the first and the last needs a list, or its cut-off is unknown."""
    first_line: dict[int, int] = {}
    for line_no, month, _, _ in parsed:
        first_line.setdefault(month, line_no)
    for before, after in month_gaps(first_line):
        gap = span_text(before + 1, after - 1)
        problems.add(
            first_line[after], "month", f"no models listed in {gap} before {format_month(after)}"
        )


def _grid(parsed: list[tuple[int, int, str, int]]) -> ModelSales:
    months = np.arange(min(r[1] for r in parsed), max(r[1] for r in parsed) + 1)
    first_seen: dict[str, int] = {}
    for _, month, name, _ in sorted(parsed, key=lambda r: r[1]):
        first_seen.setdefault(name, month)
    names = tuple(sorted(first_seen, key=lambda n: (first_seen[n], n)))
    row_of = {name: i for i, name in enumerate(names)}
    units = np.zeros((len(names), months.size))
    for _, month, name, figure in parsed:
        units[row_of[name], month - months[0]] = figure
    return ModelSales(months=months, names=names, units=units, listed=units > 0)


def make_of(name: str) -> str:
    """``"BYD|Seagull"`` -> ``"BYD"``."""
    return name.split("|", 1)[0]
