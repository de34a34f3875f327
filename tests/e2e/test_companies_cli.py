"""``forecast targets``, ``forecast scenarios`` and the issue's examples, from the CLI."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from forecast.load import paths
from forecast.load.targets import LIST_COLUMNS
from tests.e2e.test_companies_total_only import company_folder

# end to end: the CLI, the package and its bundled data
pytestmark = pytest.mark.e2e


def _run(*args: str | Path):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _one_line_error(result, *, start: str = "error: ") -> str:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(start) and result.stderr.count("\n") == 1, result.stderr
    return result.stderr.strip()


# ---------------------------------------------------------------- forecast targets


def test_targets_of_your_own_folder_with_outcomes(tmp_path: Path) -> None:
    folder = company_folder(tmp_path / "mine")
    out = tmp_path / "targets.csv"
    result = _run("targets", "--data", folder, "--out", out)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["company", "year", "units"]
    # 2024: the history's full year (26,600 over 12 months) against the 20,000 target
    assert lines[2].split()[:10] == [
        "maker",
        "2024",
        "20,000",
        "target",
        "2024-01-10",
        "ok",
        f"{sum(1000 + 100 * i for i in range(6, 18)):,}",
        "history",
        "hit",
        "deliveries",
    ]
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(LIST_COLUMNS) and rows[0]["outcome"] == "hit"


def test_targets_of_an_unknown_company_is_one_line() -> None:
    assert "unknown company 'nobody'" in _one_line_error(_run("targets", "nobody"))


@pytest.mark.e2e
def test_targets_lists_every_bundled_statement_one_line_each(tmp_path: Path) -> None:
    result = _run("targets")
    assert result.exit_code == 0, result.output
    n_statements = sum(
        len((paths.company_dir(c) / "targets.csv").read_text().splitlines()) - 1
        for c in paths.companies()
    )
    table = [line for line in result.output.splitlines()[2:] if not line.startswith("no target")]
    assert len(table) == n_statements
    assert result.output.splitlines()[-1] == "no target statements in targets.csv: tesla_china"
    out = tmp_path / "leapmotor.csv"
    assert _run("targets", "leapmotor", "--out", out).exit_code == 0
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["year"], r["outcome"], r["outcome_high"]) for r in rows] == [
        ("2024", "hit", ""),
        ("2025", "hit", ""),
        ("2025", "hit", "missed"),  # 596,555 against 500,000-600,000
        ("2025", "hit", "missed"),
        ("2026", "open", ""),
    ]


@pytest.mark.e2e
def test_scenarios_lists_the_library_by_name_and_description() -> None:
    result = _run("scenarios")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.output.splitlines()[2:-1]]
    assert names == [path.stem for path in paths.library()]
    assert "Fitted growth and seasonality per line" in result.output


# ---------------------------------------------------------------- the examples


def _answer(result) -> str:
    assert result.exit_code == 0, (result.output, result.stderr)
    return result.output


@pytest.mark.e2e
def test_leapmotor_2025_as_known_at_the_end_of_june(tmp_path: Path) -> None:
    result = _run(
        "run",
        "scenarios/baseline.toml",
        "--set",
        "history.company=leapmotor",
        "--set",
        "target.year=2025",
        "--set",
        'history.as_of="2025-06"',
        "--n-paths",
        "2000",
        "--out",
        tmp_path,
    )
    output = _answer(result)
    assert output.startswith("baseline: P(500,000 in 2025) = ")
    assert "  target: the 2025 range 500,000-600,000 (its low end), announced 2025-03-11" in output
    with (tmp_path / "summary.csv").open(newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert (row["target"], row["target_kind"], row["target_announced"]) == (
        "500000",
        "range",
        "2025-03-11",
    )
    assert row["target_source"] == "https://itiger.com/en/news/1110981772"


@pytest.mark.e2e
def test_a_year_that_starts_before_the_first_delivery_answers(tmp_path: Path) -> None:
    result = _run(
        "run",
        "scenarios/baseline.toml",
        "--set",
        "target.year=2024",
        "--set",
        "target.units=130000",
        "--set",
        'history.as_of="2024-09"',
        "--n-paths",
        "2000",
        "--out",
        tmp_path,
    )
    output = _answer(result)
    assert output.startswith("baseline: P(130,000 in 2024) = ")
    # January to March are zero: the year so far is Q2 + Q3 (27,307 + 39,790)
    assert "(67,097 delivered so far in 2024)" in output


@pytest.mark.e2e
def test_a_year_that_needs_months_before_the_data_start_names_it(tmp_path: Path) -> None:
    result = _run(
        "run",
        "baseline",
        "--set",
        "history.company=nio",
        "--set",
        "target.year=2022",
        "--set",
        'history.as_of="2022-09"',
        "--set",
        "target.units=150000",
        "--out",
        tmp_path,
    )
    assert _one_line_error(result) == (
        "error: --set: target.year: 2022 needs 2022-01 to 2022-06, before nio's data start "
        "2022-07 (first delivery unknown): those months are unknown; choose a target year "
        "from 2023"
    )
    assert not list(tmp_path.iterdir())


@pytest.mark.e2e
def test_a_line_event_on_a_total_only_company_is_refused_per_problem(tmp_path: Path) -> None:
    result = _run("run", "su7_new_generation", "--set", "history.company=nio", "--out", tmp_path)
    assert result.exit_code == 2
    problems = result.stderr.splitlines()
    assert [p.split(": ")[2] for p in problems] == ["lines.SU7", "events[0].line"]
    assert all("nio's history is total-only" in p for p in problems)


@pytest.mark.e2e
def test_your_own_total_only_company_runs_end_to_end(tmp_path: Path) -> None:
    folder = company_folder(tmp_path / "mine")
    (folder / "lines.csv").write_text("line,first_month,source,note\ntotal,2023-07,https://f,\n")
    scenario = tmp_path / "mine.toml"
    scenario.write_text(
        '[target]\nyear = 2024\n\n[history]\ndata = "mine"\nas_of = "2024-06"\n\n'
        '[[events]]\nkind = "dip"\nmonths = ["2024-08"]\nfactor = 0.5\n'
    )
    result = _run("run", scenario, "--n-paths", "500", "--out", tmp_path / "out")
    output = _answer(result)
    assert output.startswith("mine: P(20,000 in 2024) = ")
    assert "(11,100 delivered so far in 2024)" in output  # 2024-01..06: 1,600 to 2,100
    assert "  target: the 2024 target 20,000, announced 2024-01-10" in output
    shutil.rmtree(tmp_path / "out")
