"""The issue's "done when": every company, as of 2026-01 and every month-end of 2025.

``forecast run scenarios/baseline.toml --set history.company=NAME`` with the target year of
``as_of`` (2026 as of 2026-01, else 2025) exits 0 with an answer. Where no target for that
year was announced by ``as_of`` (the cells of ``NO_TARGET``), leaving ``target.units`` out is
a one-line error naming the missing target, and ``--set target.units=N`` answers (N: the
previous year's total from totals.csv, i.e. "no growth").

The ten companies of the issue are the nine bundled carmakers and xiaomi's own history...
counted as in ``shared/data/brands``: ``tesla_global`` and ``zeekr_group`` have targets but
no monthly series, so they are not companies here.

117 runs, each with its own fit (about 3 s); ``n_paths`` is small, since only the exit and
the answer's form are checked. Run with ``-s`` to see each cell's P(hit).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from forecast.load import paths
from forecast.load.history import TOTAL, load_history

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

AS_OF = ("2026-01", *(f"2025-{m:02d}" for m in range(1, 13)))
# (company, as_of) with no target for the year announced by the end of as_of
NO_TARGET = {
    ("byd", "2026-01"),  # only an overseas goal (kind partial)
    ("byd", "2025-01"),
    ("byd", "2025-02"),  # 5,500,000 dated "2025-03"
    ("li_auto", "2026-01"),
    *(("li_auto", f"2025-{m:02d}") for m in range(1, 5)),  # 640,000 dated "2025-05"
    *(("tesla_china", month) for month in AS_OF),  # no target matches its scope
    ("xpeng", "2025-01"),  # 350,000 dated "2025-02"
    ("zeekr", "2026-01"),
    ("zeekr", "2025-01"),  # 320,000 announced 2025-02-14
}
CELLS = [(company, as_of) for company in paths.companies() for as_of in AS_OF]


def _run(company: str, as_of: str, out: Path, *extra: str):
    year = as_of[:4]
    args = ["run", str(paths.scenario_path("baseline")), "--set", f"history.company={company}"]
    args += ["--set", f"target.year={year}", "--set", f'history.as_of="{as_of}"']
    args += ["--n-paths", "1000", "--quiet", "--out", str(out), *extra]
    return CliRunner().invoke(cli, args)


def _previous_year_total(company: str, year: int) -> int:
    history = load_history(paths.company_dir(company))
    (total,) = [o.figure for o in history.totals if o.line == TOTAL and o.period == str(year - 1)]
    return total


@pytest.mark.parametrize(("company", "as_of"), CELLS, ids=[f"{c}-{a}" for c, a in CELLS])
def test_every_company_answers_at_every_month_end(company: str, as_of: str, tmp_path) -> None:
    year = int(as_of[:4])
    result = _run(company, as_of, tmp_path)
    if (company, as_of) in NO_TARGET:
        assert result.exit_code == 2, result.output
        assert result.stderr.count("\n") == 1
        assert f"target.units: not set, and {company} has no target for {year} " in result.stderr
        units = _previous_year_total(company, year)
        result = _run(company, as_of, tmp_path, "--set", f"target.units={units}")
    assert result.exit_code == 0, (result.output, result.stderr)
    first = result.output.splitlines()[0]
    assert first.startswith("baseline: P(") and f" in {year}) = " in first
    print(f"\nSWEEP {company} {as_of} {first.split(' = ')[0][10:]} {first.split(' = ')[1]}")
