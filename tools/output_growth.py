"""Write forecast/data/market/output_growth.csv: how fast carmakers have added output.

    python tools/output_growth.py                 # rewrite the bundled file
    python tools/output_growth.py --check         # exit 1 if the bundled file is stale

For every bundled company (its reconciled monthly totals), every start month with at least
``MIN_HISTORY`` months of history up to it, and every horizon ``h`` from 1 to
``MAX_HORIZON`` months that the history covers, one sample: the highest monthly total up to
``start + h`` over the highest up to ``start`` (so at least 1, and never lower for a longer
horizon). A sample is dated ``known = start + h``, the month it became known, so that a fit
as of an earlier month (``DataBundle.cut``) never sees later growth. The ceiling inferred
from these samples is ``forecast.fit.supply``'s; nothing in ``forecast/`` reads this tool.

A year of history before a start month keeps one low season (a January, a Lunar New Year)
from passing for the company's highest month so far.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from forecast.load import paths
from forecast.load.bundle import load_bundle
from forecast.load.capacity import GROWTH_COLUMNS, GROWTH_FILE
from forecast.load.reconcile import reconcile
from forecast.months import format_month

MIN_HISTORY = 12  # months of history up to and including a start month
MAX_HORIZON = 24  # months ahead


def company_rows(label: str, months: np.ndarray, totals: np.ndarray) -> list[str]:
    """The CSV rows of one company's samples, by start month then horizon."""
    rows = []
    highest = np.maximum.accumulate(totals)
    for i in range(MIN_HISTORY - 1, months.size - 1):
        if highest[i] <= 0:
            continue
        for h in range(1, min(MAX_HORIZON, months.size - 1 - i) + 1):
            ratio = highest[i + h] / highest[i]
            start = int(months[i])
            rows.append(f"{label},{format_month(start)},{h},{format_month(start + h)},{ratio:.4f}")
    return rows


def build_table(companies_dir: Path = paths.COMPANIES) -> str:
    """The whole file's text, from the companies in ``companies_dir`` (in label order)."""
    lines = [",".join(GROWTH_COLUMNS)]
    for folder in sorted(p for p in companies_dir.iterdir() if (p / "company.csv").is_file()):
        bundle = load_bundle(folder)
        history = reconcile(bundle.company)
        lines += company_rows(bundle.profile.label, history.months, history.total)
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    target = paths.MARKET / GROWTH_FILE
    text = build_table()
    if argv[1:] == ["--check"]:
        same = target.exists() and target.read_text(encoding="utf-8") == text
        print(f"{target}: {'up to date' if same else 'stale: run tools/output_growth.py'}")
        return 0 if same else 1
    target.write_text(text, encoding="utf-8")
    print(f"{target}: {text.count(chr(10)) - 1} samples")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
