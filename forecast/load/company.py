"""The company a data folder describes: ``data/company.csv``.

One row, ``label,name,make,source,note``: ``label`` names the company in machine-read
outputs (the ``source`` column of ``backtest.csv``) and keys its backtest cases' random
streams; ``name`` is how reports print it; ``make`` is how ``bev_models.csv`` spells its make,
so that its own launches stay out of the reference class (empty: the lists do not name it).
The code knows no company by name: everything company-specific comes from this file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from forecast.errors import DataError, excerpt
from forecast.load.csvfile import Problems, read_rows

COLUMNS = ("label", "name", "make", "source", "note")
OPTIONAL_COLUMNS = ("note",)  # free text, not read


@dataclass(frozen=True, slots=True, kw_only=True)
class Company:
    """The company of a data folder: ``label`` in outputs and seeds, ``name`` in reports,
    ``make`` in ``bev_models.csv`` ("" when the lists do not name it), and the ``source``."""

    label: str
    name: str
    make: str
    source: str

    @property
    def own_makes(self) -> tuple[str, ...]:
        """The makes whose launches the reference class leaves out: the company's own."""
        return (self.make,) if self.make else ()


def load_company(path: str | Path) -> Company:
    """Read and check ``data/company.csv``: exactly one row, with a label, a name and a
    source; every problem at once as ``path:LINE: column: problem``."""
    name, rows = read_rows(path, COLUMNS, optional=OPTIONAL_COLUMNS)
    problems = Problems(name)
    if len(rows) != 1:
        line_no = rows[1].line_no if len(rows) > 1 else 1
        raise DataError(f"{name}:{line_no}: label: expected one company row, got {len(rows)}")
    parsers: dict[str, Callable[[str], str]] = {
        "label": _parse_label,
        "name": _parse_text,
        "make": str.strip,
        "source": _parse_text,
    }
    values = problems.parse_all(rows[0], parsers)
    if values is None:
        raise DataError(problems.lines)
    return Company(**values)


def _parse_label(text: str) -> str:
    # The label is a CSV cell and a seed's words: one plain token keeps both unambiguous.
    if not text or not all(ch.isalnum() or ch in "_-" for ch in text):
        raise ValueError(f"expected letters, digits, '_' or '-', got {excerpt(text)}")
    return text


def _parse_text(text: str) -> str:
    if not text:
        raise ValueError("empty")
    return text
