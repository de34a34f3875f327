"""``forecast compare``: its files and its one-line errors."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from forecast.cli.main import cli
from forecast.sweeps.compare import COMPARISON_COLUMNS
from tests.factories import Project


def test_compare_gives_identical_files_for_any_number_of_workers(
    tmp_path: Path, project: Project
) -> None:
    scenarios = [str(project.scenario(name)) for name in ("baseline", "retool")]
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


def test_cli_errors_are_one_line_each_and_exit_2(tmp_path: Path, project: Project) -> None:
    out = str(tmp_path / "c.csv")
    baseline = str(project.scenario("baseline"))
    result = CliRunner().invoke(cli, ["compare", baseline, "--baseline", "x", "--out", out])
    assert result.exit_code == 2
    assert result.output == "error: --baseline: no scenario named 'x' (scenarios: baseline)\n"
    result = CliRunner().invoke(cli, ["compare", "no*.toml", "--out", out])
    assert (result.exit_code, result.output) == (
        2,
        "error: no*.toml: no file matches this pattern\n",
    )


def test_cli_prints_an_aligned_table_and_writes_the_csv(tmp_path: Path, project: Project) -> None:
    out = tmp_path / "cmp" / "comparison.csv"
    pattern, retool = str(project.root / "scenarios" / "b*.toml"), str(project.scenario("retool"))
    args = ["compare", pattern, retool, "--n-paths", "2000", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2 scenarios, 2,000 paths each, seed 20260201"
    assert lines[1].split()[:4] == ["rank", "scenario", "P(hit)", "±"]
    assert len({len(line) for line in lines[1:3]}) == 1  # header and rule line up
    assert lines[-1] == f"  wrote {out}"
    assert out.read_text().splitlines()[0] == ",".join(COMPARISON_COLUMNS)
