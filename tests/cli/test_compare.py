"""Outputs are written whole or not at all, and the same seed gives the same bytes.

Every output file is first written to a temporary file in its own folder and renamed into
place once all of a run's files are complete; a failure at any point leaves the old files as
they were and no temporary files behind.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from forecast.cli.main import cli

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
THREE = [str(SCENARIOS / f"{name}.toml") for name in ("su7_retool", "baseline", "capacity_phase3")]


def test_compare_gives_identical_files_for_any_number_of_workers(tmp_path) -> None:
    scenarios = [str(REPO / "scenarios" / name) for name in ("baseline.toml", "su7_retool.toml")]
    texts = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}" / "comparison.csv"
        args = [
            "compare",
            *scenarios,
            "--n-paths",
            "2000",
            "--workers",
            str(workers),
            "--out",
            str(out),
        ]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        texts.append(out.read_bytes())
        assert sorted(p.name for p in out.parent.iterdir()) == ["comparison.csv"]
    assert texts[0] == texts[1]


def test_cli_errors_are_one_line_each_and_exit_2(tmp_path: Path) -> None:
    out = str(tmp_path / "c.csv")
    result = CliRunner().invoke(cli, ["compare", THREE[1], "--baseline", "x", "--out", out])
    assert result.exit_code == 2
    assert result.output == "error: --baseline: no scenario named 'x' (scenarios: baseline)\n"
    result = CliRunner().invoke(cli, ["compare", "no*.toml", "--out", out])
    assert (result.exit_code, result.output) == (
        2,
        "error: no*.toml: no file matches this pattern\n",
    )
