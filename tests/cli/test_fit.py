"""``forecast fit``: its tables and JSON, and a bad ``--as-of`` in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from tests.factories import Project


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-12", "error: --as-of: 2024-12 is outside the history (2025-01 to 2026-01)"),
        ("2026-07", "error: --as-of: 2026-07 is outside the history (2025-01 to 2026-01)"),
        ("june", "error: --as-of: expected a month as YYYY-MM, got 'june'"),
    ],
)
def test_bad_as_of_is_one_line_exit_2(project: Project, value: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["fit", "--data", str(project.data), "--as-of", value])
    assert result.exit_code == 2
    assert result.stderr.strip() == message


def test_fit_command_prints_and_writes_json(tmp_path: Path, project: Project) -> None:
    out = tmp_path / "fit.json"
    result = CliRunner().invoke(cli, ["fit", "--data", str(project.data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for title in (
        "Candidates by rolling-origin",
        "Chosen model per line",
        "Parameters",
        "Reference class",
        "with and without the reference-class prior",
        "ramp",
        "Seasonal factors for 2026",
        "Monthly supply ceiling for 2026",
    ):
        assert title in result.output
    body = json.loads(out.read_text())
    assert body["as_of"] == "2026-01"
    assert len(body["seasonal"]) == 12
    assert {row["line"] for row in body["choice"]} == {"M1", "M2"}
    assert (
        body["seasonal"][1]["holiday_days"] == 9
    )  # 2026: the whole nine-day holiday falls in February


def test_fit_shows_each_family_weight_and_p_hit_alone(tmp_path: Path, project: Project) -> None:
    out = tmp_path / "fit.json"
    args = ["fit", "--data", str(project.data), "--out", str(out), "--n-paths", "2000"]
    result = CliRunner().invoke(cli, [*args, "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "P(" in result.output and "2,000 paths, seed 5" in result.output
    rows = json.loads(out.read_text())["candidates"]
    weights = [row["weight"] for row in rows if row["line"] == "M1"]
    assert sum(weights) == pytest.approx(1.0, abs=0.003)  # rounded to 3 places each
    for row in rows:  # every family with weight has its P(hit) alone, in percent
        assert (row["p_hit_alone"] is not None) == (row["weight"] > 0)
        assert row["p_hit_alone"] is None or 0 <= row["p_hit_alone"] <= 100
    none = CliRunner().invoke(cli, ["fit", "--data", str(project.data), "--n-paths", "0"])
    assert none.exit_code == 0 and "not computed" in none.output


def test_fit_shows_the_supply_ceiling_of_every_month_left(project_copy: Project) -> None:
    (project_copy.data / "capacity.csv").write_text(
        "announced,from,monthly_low,monthly_high,source,note\n"
        "2025-06,2026-03,50000,60000,https://a,\n",
        encoding="utf-8",
    )
    out = project_copy.root / "fit.json"
    args = ["fit", "--data", str(project_copy.data), "--out", str(out), "--n-paths", "0"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "record month as of 2026-01: 21,700" in result.output
    rows = json.loads(out.read_text())["supply"]
    assert [row["month"] for row in rows] == [f"2026-{m:02d}" for m in range(2, 13)]
    # February: no statement yet and no growth samples to infer from; then the statement.
    assert rows[0] == {"month": "2026-02", "source": "none", "low": None, "mid": None, "high": None}
    for row in rows[1:]:
        assert row["source"] == "stated from 2026-03"
        assert (row["low"], row["mid"], row["high"]) == (50000, 55000, 60000)
