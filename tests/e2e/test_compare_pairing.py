"""compare pairs a scenario with the baseline only on the same company's data as of one month."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from forecast.load import paths
from forecast.months import month_ordinal
from forecast.summarise.summary import summarise
from forecast.sweeps.compare import (
    COMPARISON_COLUMNS,
    Comparison,
    ScenarioRun,
    compare_runs,
    comparison_csv,
    comparison_dicts,
    format_comparison,
    pairing,
)
from forecast.write.files import RunRecord

# end to end: the CLI, the package and its bundled data
pytestmark = pytest.mark.e2e

JAN_2026 = month_ordinal(2026, 1)
DEC_2025 = month_ordinal(2025, 12)


def _run(
    name: str,
    totals: np.ndarray,
    *,
    company: str = "acme",
    as_of: int = JAN_2026,
    data_hash: str = "a" * 16,
    target: int = 100,
) -> ScenarioRun:
    paths_ = np.column_stack([totals, np.zeros((totals.size, 11))])
    months = np.arange(JAN_2026, JAN_2026 + 12)
    summary = summarise(paths_, months=months, n_reported=0, target=target, scenario=name)
    record = RunRecord(
        seed=1, n_paths=totals.size, version="0", data_hash=data_hash, scenario_hash="s"
    )
    return ScenarioRun(summary=summary, record=record, totals=totals, company=company, as_of=as_of)


@pytest.fixture
def totals(rng: np.random.Generator) -> np.ndarray:
    return rng.normal(100, 20, 400)


# ---------------------------------------------------------------- pairing


def test_the_same_company_data_and_as_of_are_paired(totals) -> None:
    assert pairing(_run("a", totals), _run("b", totals + 1)) == ""


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"as_of": DEC_2025}, "other as_of"),
        ({"company": "other", "data_hash": "b" * 16}, "other company"),
        ({"company": "other"}, "other company"),  # a label of its own is another company
        ({"data_hash": "b" * 16}, "other data"),  # same label, edited files
        ({"company": "other", "as_of": DEC_2025}, "other company and as_of"),
        ({"data_hash": "b" * 16, "as_of": DEC_2025}, "other data and as_of"),
    ],
)
def test_what_differs_is_named(totals, changes: dict, reason: str) -> None:
    assert pairing(_run("a", totals, **changes), _run("b", totals)) == reason


def test_unpaired_rows_have_plain_differences_and_no_standard_errors(totals) -> None:
    runs = [
        _run("baseline", totals),
        _run("later", totals + 5),
        _run("earlier", totals + 5, as_of=DEC_2025),
    ]
    rows = {row.run.summary.scenario: row for row in compare_runs(runs, 0)}
    paired, unpaired, base = rows["later"], rows["earlier"], rows["baseline"]
    assert paired.paired and paired.d_p_hit_se is not None and paired.d_p_hit_se > 0
    assert not unpaired.paired and unpaired.unpaired == "other as_of"
    assert (unpaired.d_p_hit_se, unpaired.d_median_se) == (None, None)
    # the same numbers as the paired row: only the claim of a paired error is gone
    assert (unpaired.d_p_hit, unpaired.d_median) == (paired.d_p_hit, paired.d_median)
    assert unpaired.d_median == pytest.approx(5)
    assert base.paired and (base.d_p_hit, base.d_p_hit_se, base.d_median_se) == (0, 0, 0)


def test_unpaired_scenarios_are_still_ranked(totals) -> None:
    runs = [_run("baseline", totals), _run("earlier", totals + 50, as_of=DEC_2025)]
    rows = compare_runs(runs, 0)
    assert [(row.rank, row.run.summary.scenario) for row in rows] == [
        (1, "earlier"),
        (2, "baseline"),
    ]


# ---------------------------------------------------------------- output


def _comparison(totals: np.ndarray) -> Comparison:
    runs = [
        _run("baseline", totals),
        _run("later", totals + 5),
        _run("earlier", totals + 30, as_of=DEC_2025),
        _run("rival", totals - 5, company="rival", data_hash="c" * 16, target=90),
    ]
    return Comparison(baseline="baseline", rows=compare_runs(runs, 0))


def test_csv_has_company_as_of_and_paired_columns_and_empty_unpaired_errors(totals) -> None:
    reader = csv.DictReader(io.StringIO(comparison_csv(_comparison(totals))))
    assert tuple(reader.fieldnames or ()) == COMPARISON_COLUMNS
    rows = {row["scenario"]: row for row in reader}
    assert {name: (r["company"], r["as_of"], r["paired"]) for name, r in rows.items()} == {
        "baseline": ("acme", "2026-01", "yes"),
        "later": ("acme", "2026-01", "yes"),
        "earlier": ("acme", "2025-12", "no: other as_of"),
        "rival": ("rival", "2026-01", "no: other company"),
    }
    for name in ("earlier", "rival"):
        assert (rows[name]["d_p_hit_se"], rows[name]["d_median_se"]) == ("", "")
        assert rows[name]["d_p_hit"] != "" and rows[name]["d_median"] != ""
    assert float(rows["later"]["d_p_hit_se"]) > 0


def test_console_says_not_paired_instead_of_a_paired_error(totals) -> None:
    lines = format_comparison(_comparison(totals)).splitlines()
    header, *_ = lines
    assert header.split()[:4] == ["rank", "scenario", "company", "as_of"]
    earlier = next(line for line in lines if " earlier " in line)
    rival = next(line for line in lines if " rival " in line)
    later = next(line for line in lines if " later " in line)
    assert "not paired: other as_of" in earlier and "2025-12" in earlier
    assert "not paired: other company" in rival
    assert "not paired" not in later
    note = lines[lines.index(next(line for line in lines if line.startswith("not paired"))) :]
    assert note[0] == (
        "not paired with baseline (acme as of 2026-01): "
        "earlier (acme as of 2025-12), rival (rival as of 2026-01)."
    )
    assert "not comparable with baseline's as a difference" in " ".join(note)


def test_console_shows_no_company_or_as_of_column_when_all_share_them(totals) -> None:
    runs = [_run("baseline", totals), _run("later", totals + 5)]
    text = format_comparison(Comparison(baseline="baseline", rows=compare_runs(runs, 0)))
    assert text.splitlines()[0].split()[:3] == ["rank", "scenario", "P(hit)"]
    assert "not paired" not in text and len(text.splitlines()) == 4


# ---------------------------------------------------------------- end to end


@pytest.mark.e2e
def test_the_library_ranks_january_dip_without_a_paired_error(tmp_path: Path) -> None:
    # the case: january_dip (history to 2025-12) against baseline (to 2026-01)
    out = tmp_path / "comparison.csv"
    args = [
        "compare",
        "january_dip_as_of_2025_12",
        "baseline",
        "--n-paths",
        "2000",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    dip = next(
        line for line in result.output.splitlines() if "january_dip_as_of_2025_12" in line.split()
    )
    assert "not paired: other as_of" in dip and "paired" not in dip.replace("not paired", "")
    assert "not comparable with baseline's as a difference" in result.output
    rows = {row["scenario"]: row for row in csv.DictReader(io.StringIO(out.read_text()))}
    company = paths.default_company()
    assert (
        rows["january_dip_as_of_2025_12"]["company"],
        rows["january_dip_as_of_2025_12"]["as_of"],
    ) == (company, "2025-12")
    assert (rows["baseline"]["company"], rows["baseline"]["as_of"]) == (company, "2026-01")
    assert rows["january_dip_as_of_2025_12"]["paired"] == "no: other as_of"
    assert rows["january_dip_as_of_2025_12"]["d_p_hit_se"] == ""


@pytest.mark.e2e
def test_folders_pair_by_content_not_by_path(tmp_path: Path) -> None:
    source = paths.default_company_dir()
    same, edited = tmp_path / "same", tmp_path / "edited"
    shutil.copytree(source, same)
    shutil.copytree(source, edited)
    # the same company, one more blank line in a file: other content, other answers possible
    (edited / "deliveries.csv").write_bytes((edited / "deliveries.csv").read_bytes() + b"\n")
    for name, folder in (("copy", same), ("edited", edited)):
        (tmp_path / f"{name}.toml").write_text(
            f'[scenario]\nname = "{name}"\nextends = "{paths.scenario_path("baseline")}"\n\n'
            f'[history]\ndata = "{folder.name}"\n'
        )
    runs = [
        str(paths.scenario_path("baseline")),
        *(str(tmp_path / f"{n}.toml") for n in ("copy", "edited")),
    ]
    out = tmp_path / "comparison.csv"
    result = CliRunner().invoke(cli, ["compare", *runs, "--n-paths", "500", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = {row["scenario"]: row for row in csv.DictReader(io.StringIO(out.read_text()))}
    assert rows["copy"]["paired"] == "yes" and rows["copy"]["d_p_hit"] == "0"
    assert rows["edited"]["paired"] == "no: other data"


def test_the_chart_labels_company_and_as_of_and_marks_each_target(totals, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    from forecast.write.charts import plot_compare

    written = plot_compare(comparison_dicts(_comparison(totals)), tmp_path)
    svg = next(p for p in written if p.suffix == ".svg").read_text()
    assert "earlier (acme, 2025-12)" in svg and "rival (rival, 2026-01)" in svg
    assert "each one's target" in svg  # targets differ: no single target line
