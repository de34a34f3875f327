"""``[target] units`` left out: the company's latest announced target, and the answer says so."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from forecast.errors import ConfigError
from forecast.load.targets import COLUMNS
from forecast.months import month_ordinal
from forecast.scenario.parse import load_scenario
from forecast.summarise.summary import describe, summarise
from forecast.write.files import RunRecord, run_files

# end to end: the CLI, the package and its bundled data
pytestmark = pytest.mark.e2e

STATEMENTS = (
    "2025,500000,,target,2024-11-12,ok,deliveries,,https://first,",
    "2025,500000,600000,range,2025-03-11,ok,deliveries,,https://range,",
    "2025,580000,650000,revision,2025-08,ok,deliveries,,https://revision,",
    "2026,1000000,,target,2025-12-24,ok,deliveries,,https://next,",
)


def _folder(tmp_path: Path, *rows: str) -> Path:
    folder = tmp_path / "maker"
    folder.mkdir()
    (folder / "targets.csv").write_text(",".join(COLUMNS) + "\n" + "".join(r + "\n" for r in rows))
    return folder


def _scenario_file(tmp_path: Path, *, year: int, as_of: str, units: int | None = None) -> Path:
    path = tmp_path / "s.toml"
    target = f"[target]\nyear = {year}\n" + (f"units = {units}\n" if units else "")
    path.write_text(target + f'\n[history]\ndata = "maker"\nas_of = "{as_of}"\n')
    return path


def test_units_left_out_take_the_latest_target_known_at_as_of(tmp_path: Path) -> None:
    _folder(tmp_path, *STATEMENTS)
    scenario = load_scenario(_scenario_file(tmp_path, year=2025, as_of="2025-06"))
    assert scenario.target_units == 500_000  # the range's low end
    assert scenario.target_statement is not None
    assert scenario.target_statement.source == "https://range"
    assert "units" not in scenario.resolved["target"]  # left to the data, as the file says


def test_a_change_of_year_or_as_of_takes_that_target_again(tmp_path: Path) -> None:
    _folder(tmp_path, *STATEMENTS)
    scenario = load_scenario(_scenario_file(tmp_path, year=2025, as_of="2025-06"))
    later = scenario.with_changes({"history.as_of": "2025-08"})
    assert (later.target_units, later.target_statement.source) == (580_000, "https://revision")
    next_year = scenario.with_changes({"target.year": 2026, "history.as_of": "2026-01"})
    assert next_year.target_units == 1_000_000
    fixed = scenario.with_changes({"target.units": 450_000})
    assert (fixed.target_units, fixed.target_statement) == (450_000, None)
    assert fixed.resolved["target"]["units"] == 450_000


def test_units_set_in_the_file_are_used_as_they_are(tmp_path: Path) -> None:
    _folder(tmp_path, *STATEMENTS)
    scenario = load_scenario(_scenario_file(tmp_path, year=2025, as_of="2025-06", units=520_000))
    assert (scenario.target_units, scenario.target_statement) == (520_000, None)


def test_no_target_for_the_year_is_one_line_naming_it(tmp_path: Path, monkeypatch) -> None:
    _folder(tmp_path, *STATEMENTS)
    _scenario_file(tmp_path, year=2025, as_of="2025-06")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_scenario("s.toml", overrides=["target.year=2026", 'history.as_of="2025-11"'])
    (problem,) = caught.value.problems
    assert problem == (
        "s.toml: target.units: not set, and maker has no target for 2026 announced by the end of 2025-11 (the first is the target "
        "1,000,000 for 2026 announced 2025-12-24): set it, e.g. --set target.units=N"
    )
    scenario = load_scenario(
        "s.toml",
        overrides=["target.year=2026", 'history.as_of="2025-11"', "target.units=900000"],
    )
    assert scenario.target_units == 900_000


def test_a_bad_targets_file_is_reported_with_its_line(tmp_path: Path) -> None:
    _folder(tmp_path, "2025,lots,,target,2025-01,ok,deliveries,,https://a,")
    with pytest.raises(ConfigError, match=r"targets.csv:2: units: expected a whole number"):
        load_scenario(_scenario_file(tmp_path, year=2025, as_of="2025-06"))


def test_the_answer_and_summary_csv_name_the_statement_used(tmp_path: Path) -> None:
    _folder(tmp_path, *STATEMENTS)
    scenario = load_scenario(_scenario_file(tmp_path, year=2025, as_of="2025-06"))
    months = np.arange(month_ordinal(2025, 1), month_ordinal(2025, 13))
    paths = np.full((4, 12), 45_000.0) + np.arange(4)[:, None] * 1_000
    summary = summarise(
        paths,
        months=months,
        n_reported=6,
        target=scenario.target_units,
        scenario="s",
        target_statement=scenario.target_statement,
    )
    assert "  target: the 2025 range 500,000-600,000 (its low end), announced 2025-03-11 " in (
        describe(summary)
    )
    assert (
        describe(summary).splitlines()[2].endswith("(reliability ok; targets.csv:3; https://range)")
    )
    record = RunRecord(seed=1, n_paths=4, version="v", data_hash="d", scenario_hash="h")
    (row,) = csv.DictReader(io.StringIO(run_files(summary, record, "")["summary.csv"]))
    assert (row["target"], row["target_kind"], row["target_announced"]) == (
        "500000",
        "range",
        "2025-03-11",
    )
    assert (row["target_reliability"], row["target_source"]) == ("ok", "https://range")


def test_summary_csv_leaves_the_statement_blank_when_the_scenario_sets_units() -> None:
    months = np.arange(month_ordinal(2025, 1), month_ordinal(2025, 13))
    summary = summarise(np.ones((2, 12)), months=months, n_reported=0, target=10, scenario="s")
    record = RunRecord(seed=1, n_paths=2, version="v", data_hash="d", scenario_hash="h")
    (row,) = csv.DictReader(io.StringIO(run_files(summary, record, "")["summary.csv"]))
    assert [row[k] for k in ("target_kind", "target_announced", "target_source")] == ["", "", ""]
    assert "target:" not in describe(summary)
