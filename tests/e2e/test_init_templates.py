"""``forecast init``'s folder, without the CLI: templates, README, baseline and how they are
written (all or nothing, never over a file without ``force``)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from forecast.errors import DataError, ForecastError
from forecast.load import claims, company, context, history, targets
from forecast.load.claims import load_claims
from forecast.load.company import load_company
from forecast.load.context import load_context
from forecast.load.csvfile import parse_choice, read_rows
from forecast.load.history import (
    load_anomalies,
    load_history,
    load_lines,
    load_monthly,
    load_targets,
    load_totals,
)
from forecast.load.reconcile import reconcile
from forecast.scenario.parse import load_scenario
from forecast.write import atomic, templates
from forecast.write.templates import (
    README_FILE,
    SCENARIO_FILE,
    TEMPLATES,
    company_folder_files,
    write_company_folder,
)

# end to end: the CLI, the package and its bundled data
pytestmark = pytest.mark.e2e

FILES = company_folder_files("acme", year=2026, as_of="2026-01")
CSV_NAMES = [t.name for t in TEMPLATES]


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder holding exactly the files of a new company folder."""
    target = tmp_path / "acme"
    target.mkdir()
    for name, text in FILES.items():
        (target / name).write_text(text, encoding="utf-8")
    return target


# ----------------------------------------------------------------------------- the templates


def test_the_folder_has_every_company_file_a_readme_and_a_baseline():
    assert list(FILES) == [
        "company.csv",
        "lines.csv",
        "deliveries.csv",
        "totals.csv",
        "targets.csv",
        "anomalies.csv",
        "context.csv",
        "claims.csv",
        README_FILE,
        SCENARIO_FILE,
    ]
    assert [t.name for t in TEMPLATES if not t.required] == [
        "anomalies.csv",
        "context.csv",
        "claims.csv",
    ]


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("company.csv", company.COLUMNS),
        ("lines.csv", history.LINES_COLUMNS),
        ("deliveries.csv", history.DELIVERIES_COLUMNS),
        ("totals.csv", history.TOTALS_COLUMNS),
        ("targets.csv", targets.COLUMNS),
        ("anomalies.csv", history.ANOMALIES_COLUMNS),
        ("context.csv", context.COLUMNS),
        ("claims.csv", claims.COLUMNS),
    ],
)
def test_each_csv_is_its_loaders_header_and_one_example_row(name, columns):
    header, *rows = _rows(FILES[name])
    assert tuple(header) == columns
    assert len(rows) == 1 and len(rows[0]) == len(columns)


def test_targets_are_written_in_the_extended_format():
    header = _rows(FILES["targets.csv"])[0]
    assert header == (
        "year,units,units_high,kind,announced,reliability,scope,actual,source,note".split(",")
    )


def test_every_example_row_is_accepted_by_its_loader(folder: Path):
    lines = load_lines(folder / "lines.csv")
    assert load_company(folder / "company.csv").label == "my_company"
    assert [o.period for o in load_monthly(folder / "deliveries.csv", lines)] == ["2025-01"]
    assert [o.period for o in load_totals(folder / "totals.csv", tuple(lines))] == ["2025-Q1"]
    (target,) = load_targets(folder / "targets.csv")
    assert (target.year, target.units, target.kind) == (2026, 20000, "target")
    assert load_anomalies(folder / "anomalies.csv", lines) == {(2025 * 12 + 1, "A1")}
    assert len(load_context(folder / "context.csv")) == 1
    assert [c.id for c in load_claims(folder / "claims.csv")] == ["first_month"]


def test_the_example_rows_reconcile_together(folder: Path):
    """January "over 1,200" and the first quarter exactly 3,900: January is 3,900."""
    reconciled = reconcile(load_history(folder))
    assert reconciled.total.tolist() == [3900]


def test_every_column_qualifier_and_target_kind_has_a_meaning_in_the_readme():
    readme = FILES[README_FILE]
    for template in TEMPLATES:
        assert set(template.means) == set(template.columns), template.name
        assert f"### `{template.name}`" in readme
        for column in template.columns:
            assert f"| `{column}` | {template.means[column]} |" in readme
    for qualifier in history.QUALIFIERS:
        assert f"| `{qualifier}` | {templates.QUALIFIER_MEANS[qualifier]} |" in readme
    for kind in targets.KINDS:
        assert f"| `{kind}` | {templates.TARGET_KIND_MEANS[kind]} |" in readme


def test_the_readme_says_which_files_are_required_and_what_to_run():
    readme = FILES[README_FILE]
    assert "| `deliveries.csv` | required |" in readme
    assert "| `claims.csv` | optional |" in readme
    assert "12 months at the least" in readme
    assert "forecast history --data acme" in readme
    assert "forecast run acme/baseline.toml" in readme


def test_the_baseline_points_at_its_own_folder_and_leaves_the_target_to_fill_in(
    folder: Path, monkeypatch: pytest.MonkeyPatch
):
    text = FILES[SCENARIO_FILE]
    assert 'data = "."' in text and "# units = " in text
    # every key is commented
    keys = [line for line in text.splitlines() if "=" in line and not line.startswith("#")]
    assert keys and all("#" in line for line in keys if not line.startswith("description"))
    monkeypatch.chdir(folder.parent.parent)  # relative to the file, not the working folder
    scenario = load_scenario(folder / SCENARIO_FILE, overrides=["target.units=20000"])
    assert scenario.data_dir == folder.resolve()
    assert (scenario.target_year, scenario.as_of) == (2026, 2026 * 12)


def test_the_placeholders_are_the_bundled_baselines():
    assert templates.library_placeholders() == (2026, "2026-01")


# ----------------------------------------------------------------------------- writing


def test_a_new_folder_is_made_with_its_parents(tmp_path: Path):
    target = tmp_path / "companies" / "acme"
    written = write_company_folder(target)
    assert [p.name for p in written] == list(company_folder_files("x", year=2026, as_of="2026-01"))
    assert sorted(p.name for p in target.iterdir()) == sorted(FILES)
    assert os.listdir(tmp_path) == ["companies"]  # no temporary folder left beside it


def test_existing_files_are_never_overwritten_without_force(folder: Path):
    (folder / "deliveries.csv").write_text("month,line\nmine\n")
    before = _snapshot(folder)
    with pytest.raises(ForecastError, match=r"already has company\.csv, lines\.csv.*--force"):
        write_company_folder(folder)
    assert _snapshot(folder) == before


def test_force_overwrites_and_keeps_other_files(folder: Path):
    (folder / "deliveries.csv").write_text("month,line\nmine\n")
    (folder / "mine.txt").write_text("keep")
    write_company_folder(folder, force=True)
    assert (folder / "deliveries.csv").read_text().startswith("month,line,figure")
    assert (folder / "mine.txt").read_text() == "keep"


def test_a_folder_of_other_files_gets_the_templates_beside_them(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("keep")
    write_company_folder(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep"
    assert (tmp_path / "deliveries.csv").exists()


@pytest.mark.parametrize(
    ("where", "problem"),
    [
        ("a_file", "a_file: exists and is not a folder"),
        ("a_file/acme", "a_file/acme: cannot write the folder: Not a directory"),
    ],
)
def test_a_folder_that_cannot_be_made_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, problem: str
):
    monkeypatch.chdir(tmp_path)
    Path("a_file").write_text("x")
    with pytest.raises(ForecastError) as caught:
        write_company_folder(where)
    assert caught.value.problems == (problem,)
    assert os.listdir() == ["a_file"]


def test_a_failure_while_writing_leaves_no_folder(tmp_path: Path, monkeypatch):
    real = Path.write_bytes
    calls = []

    def fail_on_the_fifth(self: Path, data: bytes) -> int:
        calls.append(self.name)
        if len(calls) == 5:
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", fail_on_the_fifth)
    with pytest.raises(ForecastError, match="No space left on device"):
        write_company_folder(tmp_path / "deep" / "acme")
    assert len(calls) == 5
    assert os.listdir(tmp_path) == []


def test_write_new_folder_makes_files_as_a_plain_open_would(tmp_path: Path):
    (path,) = atomic.write_new_folder(tmp_path / "x", {"a.csv": "a\n"})
    umask = os.umask(0)
    os.umask(umask)
    assert (path.parent.stat().st_mode & 0o777) == 0o777 & ~umask
    assert path.read_text() == "a\n"


# ----------------------------------------------------------------------------- bad rows


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deliveries.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (
            "2025-01,total,1200,exact",
            "deliveries.csv:2: source: missing: the row has 4 cells, the header 6 "
            "(month, line, figure, qualifier, source, note)",
        ),
        (
            "2025-01,total,12,000,exact,https://example.com,",
            "deliveries.csv:2: note: cells after the last column: the row has 7 cells, the "
            "header 6 (month, line, figure, qualifier, source, note); write figures without "
            "separators (12000, not 12,000) and put text with a comma in double quotes",
        ),
    ],
)
def test_a_row_with_the_wrong_number_of_cells_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, row: str, problem: str
):
    monkeypatch.chdir(tmp_path)
    path = _csv(tmp_path, ",".join(history.DELIVERIES_COLUMNS) + "\n" + row + "\n")
    with pytest.raises(DataError) as caught:
        read_rows(path, history.DELIVERIES_COLUMNS)
    assert caught.value.problems == (problem,)


def test_every_miscounted_row_is_reported_at_once(tmp_path: Path):
    path = _csv(tmp_path, "month,line\n2025-01\n2025-02,total\n2025-03,total,x\n")
    with pytest.raises(DataError) as caught:
        read_rows(path, ("month", "line"))
    assert [p.split(":")[1] for p in caught.value.problems] == ["2", "4"]


def test_a_misspelt_choice_suggests_the_closest():
    with pytest.raises(ValueError, match=r"unknown value 'exatc' .*did you mean 'exact'\?\)$"):
        parse_choice(history.QUALIFIERS)("exatc")
    with pytest.raises(ValueError, match=r"derived\)$"):  # nothing close: no suggestion
        parse_choice(history.QUALIFIERS)("roughly")
