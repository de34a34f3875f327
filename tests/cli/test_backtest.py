"""``forecast backtest``: its options, and the company and launches it names come from the data."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from forecast.backtest import cases, report
from forecast.cli.main import cli
from tests.factories import Project


def test_command_rejects_a_bad_month(project: Project) -> None:
    baseline = str(project.scenario("baseline"))
    result = CliRunner().invoke(cli, ["backtest", baseline, "--from", "2025-13", "--no-references"])
    assert result.exit_code == 2 and "--from" in result.output


def test_the_company_and_its_reference_launches_come_from_the_data(project_copy: Project) -> None:
    """Relabel the company and replay one launch: the CSV's sources and series and the
    console's section titles follow the data folder, not the code."""
    data_copy = project_copy.data
    (data_copy / "company.csv").write_text(
        "label,name,make,source,note\nzenith,Zenith Cars,Acme,https://example.org,\n"
    )
    (data_copy / "reference_launches.csv").write_text(
        "make,model,source,note\nNu,One,https://example.org,\n"
    )
    out = data_copy.parent / "bt.csv"
    result = CliRunner().invoke(
        cli,
        [
            "backtest",
            str(project_copy.scenario("baseline")),
            *("--from", "2025-10", "--to", "2025-11", "--horizon", "2", "--n-paths", "300"),
            *("--set", f'history.data="{data_copy}"', "--out", str(out)),
        ],
    )
    assert result.exit_code == 0, result.output
    titles = [line.split(":")[0] for line in result.output.splitlines() if "coverage, CRPS" in line]
    assert titles == ["Zenith Cars total", "Reference launches", "Pooled"]
    rows = list(csv.DictReader(out.open()))
    assert {(r["source"], r["series"]) for r in rows if r["series"] == "total"} == {
        ("zenith", "total")
    }
    assert {r["series"] for r in rows if r["source"] == cases.REFERENCE} == {"Nu|One"}
    assert {r["source"] for r in rows} == {"zenith", cases.REFERENCE}


def test_command_writes_one_row_per_cutoff_series_and_method(
    tmp_path: Path, project: Project
) -> None:
    out = tmp_path / "bt.csv"
    # from 2025-11 each line has three months to replay (M2's first is a partial month)
    args = ["backtest", str(project.scenario("baseline")), "--from", "2025-11", "--to", "2025-12"]
    args += ["--horizon", "2", "--n-paths", "300", "--no-references", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "coverage_80" in result.output and "Targets known" in result.output
    rows = list(csv.DictReader(out.open()))
    keys = {(r["cutoff"], r["series"], r["method"]) for r in rows}
    assert len(keys) == len(rows) == 2 * 3 * len(report.REPORT_METHODS)  # total, M1, M2
    # one PIT column per month ahead (tidy: no list packed into a cell); the history ends
    # 2026-01, so from 2025-12 the second month ahead is not scored and its cell is blank
    assert list(rows[0])[-3:] == ["hit", "pit_h1", "pit_h2"]
    for r in rows:
        pits = [float(r[k]) for k in ("pit_h1", "pit_h2") if r[k] != ""]
        assert len(pits) == int(r["n_months"]) == (2 if r["cutoff"] == "2025-11" else 1)
        assert all(0 <= p <= 1 for p in pits)
        assert abs(sum(pits) / len(pits) - float(r["mean_pit"])) < 1e-4
    assert {r["error_walk"] for r in rows if r["method"] == cases.FORECAST} == {"0"}  # < 20 errors
    fixed = CliRunner().invoke(cli, [*args, "--set", "model.error_walk=0.3"])
    assert fixed.exit_code == 0, fixed.output
    assert {
        r["error_walk"] for r in csv.DictReader(out.open()) if r["method"] == cases.FORECAST
    } == {"0.3"}


def test_peers_are_refused_outside_the_one_company_backtest_and_checked(
    project: Project,
) -> None:
    baseline = str(project.scenario("baseline"))
    for args, message in (
        (["--targets", "--peers", "all"], "--peers is not part of the target study"),
        (["--companies", "nio", "--peers", "all"], "--peers needs the one-company backtest"),
        ([baseline, "--peers", "acme"], "error: --peers: unknown company 'acme'"),
    ):
        result = CliRunner().invoke(cli, ["backtest", *args])
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output
        assert result.stdout == ""
