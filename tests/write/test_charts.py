from __future__ import annotations

import csv
import dataclasses
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from forecast.engine.run import run_scenario
from forecast.errors import ForecastError
from forecast.summarise.summary import QUANTILE_NAMES
from forecast.sweeps.sensitivity import InputEffect, Sensitivity
from forecast.write.charts import (
    PLOT_HINT,
    cumulative_series,
    fan_series,
    month_axis_label,
    plot_compare,
    plot_hint,
    plot_run,
    plot_tornado,
    require_matplotlib,
)
from forecast.write.files import MONTHLY_COLUMNS, monthly_rows
from tests.factories import Project

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _require_matplotlib() -> None:
    """Skip without matplotlib locally; in CI (which installs the plot extra) fail instead,
    so dropping the extra cannot silently turn the chart tests off."""
    if os.environ.get("CI"):
        import matplotlib  # noqa: F401
    else:
        pytest.importorskip("matplotlib")


@pytest.fixture
def mpl() -> None:
    _require_matplotlib()


@pytest.fixture(scope="module")
def retool_path(project: Project) -> Path:
    return project.scenario("retool")


@pytest.fixture(scope="module")
def result(retool_path):
    return run_scenario(retool_path, n_paths=2000, seed=5)


def assert_charts(paths: list[Path], stems: list[str]) -> None:
    assert [p.name for p in paths] == [f"{s}.{ext}" for s in stems for ext in ("png", "svg")]
    for path in paths:
        data = path.read_bytes()
        assert len(data) > 1000, path
        assert data.startswith(PNG_MAGIC) if path.suffix == ".png" else b"<svg" in data[:500]
    assert not list(paths[0].parent.glob(".*.tmp"))  # atomic: no temporary files left


@pytest.fixture(scope="module")
def run_charts(result, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    _require_matplotlib()
    out = tmp_path_factory.mktemp("charts")
    return plot_run(result.summary, out, name="retool", totals=result.paths.sum(axis=1))


def test_plot_run_writes_three_charts(run_charts) -> None:
    assert_charts(run_charts, ["retool-fan", "retool-cumulative", "retool-distribution"])


def test_plot_run_without_totals_skips_the_histogram(mpl, result, tmp_path: Path) -> None:
    assert_charts(plot_run(result.summary, tmp_path), ["fan", "cumulative"])


def test_chart_series_are_the_monthly_csv(result) -> None:
    table = {
        name: np.array([np.nan if v is None else v for v in column], dtype=float)
        for name, column in zip(MONTHLY_COLUMNS[1:], list(zip(*monthly_rows(result.summary)))[1:])
    }
    fan = fan_series(result.summary)
    for name in ("actual", *QUANTILE_NAMES):
        np.testing.assert_allclose(fan[name], table[name], atol=0.05, equal_nan=True)
    cumulative = cumulative_series(result.summary)
    np.testing.assert_allclose(cumulative["cum_p50"], table["cum_p50"], atol=0.05)
    np.testing.assert_allclose(cumulative["target_pace"], table["target_pace"], atol=0.05)
    n = result.plan.n_reported
    assert np.all(np.isnan(fan["need"][:n]))
    assert np.all(fan["need"][n:] == result.summary.required_monthly)


def test_chart_labels_carry_the_summary_numbers(result, run_charts) -> None:
    s = result.summary
    distribution = run_charts[5].read_text()
    assert f"P(hit) = {s.p_hit:.1%} ± {s.p_hit_se:.1%}" in distribution
    assert f"{s.quantile(0.5):,.0f}" in distribution and f"target {s.target:,}" in distribution
    assert f"{s.required_monthly:,.0f} a month" in run_charts[1].read_text()


def sensitivity(n: int) -> Sensitivity:
    effects = tuple(
        InputEffect(
            input=f"events.e{i}.weeks",
            low_value=float(i),
            high_value=i + 2.0,
            p_hit_low=0.4 + 0.02 * (n - i),
            p_hit_high=0.4 - 0.02 * (n - i),
            median_low=500_000.0 + 1000 * (n - i),
            median_high=500_000.0 - 900 * (n - i),
            rank_correlation=-0.1,
        )
        for i in range(n)
    )
    return Sensitivity(
        scenario="s",
        target=550_000,
        target_year=2026,
        n_paths=1000,
        seed=1,
        p_hit=0.4,
        p_hit_se=0.01,
        median=500_000.0,
        effects=effects,
    )


def test_plot_tornado_draws_the_largest_swings(mpl, tmp_path: Path) -> None:
    assert_charts(plot_tornado(sensitivity(25), tmp_path, top=20), ["tornado"])
    svg = (tmp_path / "tornado.svg").read_text()
    assert "events.e0.weeks (0 to 2)" in svg and "events.e19.weeks" in svg
    assert "events.e20.weeks" not in svg and "top 20 of 25 inputs" in svg


def test_the_tornado_shows_a_month_input_as_dates(mpl, tmp_path: Path) -> None:
    month = dataclasses.replace(
        sensitivity(1).effects[0], input="events.e0.start", low_value=9.5, high_value=12.0
    )
    month = dataclasses.replace(month, is_month=True)
    result = dataclasses.replace(sensitivity(1), effects=(month,))
    plot_tornado(result, tmp_path)
    assert "events.e0.start (2026-09-16 to 2026-12)" in (tmp_path / "tornado.svg").read_text()


def test_the_month_axis_says_how_much_of_the_year_is_reported(result) -> None:
    assert month_axis_label(result.summary) == "2026, reported through 2026-01"
    # as of the December before (january_dip_as_of_2025_12): nothing of the year is reported yet
    none = dataclasses.replace(result.summary, months_remaining=len(result.summary.months))
    assert month_axis_label(none) == "2026, every month forecast (none reported yet)"


def test_svg_is_byte_stable(mpl, tmp_path: Path) -> None:
    a = plot_tornado(sensitivity(3), tmp_path / "a")[1]
    b = plot_tornado(sensitivity(3), tmp_path / "b")[1]
    assert a.read_bytes() == b.read_bytes()


def test_plot_compare_takes_summary_csv_rows(retool_path, mpl, result, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    CliRunner().invoke(cli, ["run", str(retool_path), "--n-paths", "300", "--out", str(run_dir)])
    with (run_dir / "summary.csv").open() as handle:
        row = next(csv.DictReader(handle))
    rows = [row, {**row, "scenario": "other", "p_hit": "0.7", "p50": "560000"}]
    assert_charts(plot_compare(rows, tmp_path), ["compare"])
    assert "other" in (tmp_path / "compare.svg").read_text()


def test_run_plot_writes_charts_beside_the_csvs(retool_path, mpl, tmp_path: Path) -> None:
    args = [
        "run",
        str(retool_path),
        "--n-paths",
        "300",
        "--out",
        str(tmp_path),
        "--plot",
        "--quiet",
    ]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    names = {p.name for p in tmp_path.iterdir()}
    stems = ("fan", "cumulative", "distribution")
    assert {f"{s}.{ext}" for s in stems for ext in ("png", "svg")} | {"summary.csv"} <= names
    assert str(tmp_path / "distribution.svg") in out.output
    assert out.stderr == ""  # no progress bar when stderr is not a terminal


def test_sensitivity_plot_writes_the_tornado_beside_the_csv(
    retool_path, mpl, tmp_path: Path
) -> None:
    out_csv = tmp_path / "sens.csv"
    args = ["sensitivity", str(retool_path), "--n-paths", "200", "--out", str(out_csv), "--plot"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    assert_charts([tmp_path / "sens.png", tmp_path / "sens.svg"], ["sens"])


@pytest.mark.parametrize("command", ["run", "sensitivity", "compare"])
def test_plot_without_matplotlib_fails_in_one_line(
    retool_path, command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(ForecastError, match="pip install"):
        require_matplotlib()
    out = CliRunner().invoke(
        cli, [command, str(retool_path), "--plot", "--out", str(tmp_path / "x")]
    )
    assert out.exit_code == 2
    assert out.stderr == f"error: {plot_hint()}\n"
    assert out.stderr.startswith(f"error: {PLOT_HINT}: pip install ")
    assert not (tmp_path / "x").exists()  # refused before any work


@pytest.mark.parametrize(
    ("direct_url", "cwd", "hint"),
    [
        # an editable install of a checkout, asked from the checkout or from elsewhere
        ('{"url": "file:///src/fc", "dir_info": {"editable": true}}', "/src/fc", "-e '.[plot]'"),
        ('{"url": "file:///src/fc", "dir_info": {"editable": true}}', "/tmp", "-e '/src/fc[plot]'"),
        ('{"url": "file:///src/fc", "dir_info": {}}', "/tmp", "'/src/fc[plot]'"),  # pip install .
        (
            '{"url": "file:///src/dist/forecast-0.1.0-py3-none-any.whl", "archive_info": {}}',
            "/src",
            "'/src/dist/forecast-0.1.0-py3-none-any.whl[plot]'",
        ),
        # from an index, or not known: the extra's requirement, not a name another project
        # may hold on the index
        ('{"url": "https://example.org/f.whl", "archive_info": {}}', "/", "'matplotlib>=3.8'"),
        (None, "/", "'matplotlib>=3.8'"),
        ("not json", "/", "'matplotlib>=3.8'"),
    ],
)
def test_the_plot_hint_names_the_local_extra_as_fits_the_install(
    direct_url: str | None, cwd: str, hint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if direct_url is None:  # no direct_url.json: installed from an index
        from importlib import metadata

        class _Dist:
            def read_text(self, name: str) -> None:
                return None

        monkeypatch.setattr(metadata, "distribution", lambda name: _Dist())
    assert plot_hint(direct_url, Path(cwd)) == f"--plot needs matplotlib: pip install {hint}"


def test_backtest_plot_draws_reliability_and_pit_in_the_format_named(
    mpl, tmp_path: Path, project: Project
) -> None:
    image = tmp_path / "backtest.svg"
    args = ["backtest", str(project.scenario("baseline")), "--no-references"]
    args += ["--from", "2025-10", "--to", "2025-11"]
    args += ["--horizon", "1", "--n-paths", "100", "--plot", str(image)]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    assert out.output.endswith(f"wrote {image}\n")
    svg = image.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg[:500]
    for title in ("Reliability", "nominal coverage", "PIT: forecast", "PIT: naive"):
        assert title in svg
    assert [p.name for p in tmp_path.iterdir()] == ["backtest.svg"]  # atomic: no temporary


@pytest.mark.parametrize(
    ("name", "matplotlib", "message"),
    [
        ("chart.txt", True, "error: --plot: '{path}' does not end in an image format"),
        ("chart", True, "error: --plot: '{path}' does not end in an image format"),
        ("chart.png", False, f"error: {PLOT_HINT}: pip install "),
    ],
)
def test_backtest_plot_is_refused_before_any_work(
    name: str, matplotlib: bool, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if matplotlib:
        _require_matplotlib()
    else:
        monkeypatch.setitem(sys.modules, "matplotlib", None)
    path, csv_out = tmp_path / name, tmp_path / "backtest.csv"
    out = CliRunner().invoke(cli, ["backtest", "--plot", str(path), "--out", str(csv_out)])
    assert out.exit_code == 2
    assert out.stderr.startswith(message.format(path=path)) and out.stderr.count("\n") == 1
    assert out.stdout == "" and not csv_out.exists()
