"""The backtest harness: no information after a cut-off reaches its forecast; recalibration
uses past errors only; the command runs end to end."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from forecast.backtest import cases, recalibration, replay, report, run
from forecast.cli.main import cli
from forecast.errors import ForecastError
from forecast.fit.refclass import reference_series
from forecast.load.company import load_company
from forecast.load.history import load_history
from forecast.months import format_month, parse_month

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.toml"
CUTOFF = parse_month("2025-03")
SETTINGS = cases.Settings(horizon=3, n_paths=400)
COMPANY = load_company(REPO / "data" / "company.csv")


def _corrupt(path: Path, month_column: str, cutoff: int, value_columns: tuple[str, ...]) -> None:
    """Multiply every figure dated after ``cutoff`` by 3 (a period's last month counts)."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
        fields = list(rows[0])
    for row in rows:
        text = row[month_column].split("..")[-1]
        last = _last_month(text)
        if last is not None and last > cutoff:
            for col in value_columns:
                row[col] = str(int(float(row[col])) * 3)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _last_month(text: str) -> int | None:
    from forecast.load.history import parse_period

    try:
        return parse_period(text)[1]
    except ValueError:
        return None


def _paths(data_dir: Path) -> dict[str, np.ndarray]:
    history = load_history(data_dir)
    at = run.scenario_loader(BASELINE, [f'history.data="{data_dir}"'])
    ahead, _ = replay.forecast_at(history, at, CUTOFF, SETTINGS, source="company")
    return {**ahead.series, "year": ahead.year_total}


def test_no_information_after_the_cutoff_reaches_the_forecast(tmp_path: Path) -> None:
    clean, dirty = tmp_path / "clean", tmp_path / "dirty"
    shutil.copytree(REPO / "data", clean)
    shutil.copytree(REPO / "data", dirty)
    _corrupt(dirty / "deliveries.csv", "month", CUTOFF, ("figure",))
    _corrupt(dirty / "totals.csv", "period", CUTOFF, ("figure",))
    _corrupt(dirty / "market.csv", "month", CUTOFF, ("all_passenger_cars", "bev_total"))
    _corrupt(dirty / "bev_models.csv", "month", CUTOFF, ("units",))
    assert (clean / "deliveries.csv").read_text() != (dirty / "deliveries.csv").read_text()
    a, b = _paths(clean), _paths(dirty)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_no_information_after_the_cutoff_reaches_the_calibrated_forecast(tmp_path: Path) -> None:
    """The error walk of a cut-off is fitted on earlier errors, scored against the actuals as
    they were known then: July 2024 ("over 10,000") is pinned down only by the third quarter's
    total, which ends after it. Tripling that total (and every later one) moves July's actual
    in the full history, and must not move the forecast from the end of July."""
    clean, dirty = tmp_path / "clean", tmp_path / "dirty"
    shutil.copytree(REPO / "data", clean)
    shutil.copytree(REPO / "data", dirty)
    _corrupt(dirty / "totals.csv", "period", parse_month("2024-07"), ("figure",))
    results = [
        # one reference launch, so enough errors are known by mid-2024 for a walk
        run.run_backtest(
            BASELINE,
            first=parse_month("2024-06"),
            last=parse_month("2024-08"),
            references=("Aion|Y",),
            step=3,
            settings=SETTINGS,
            overrides=[f'history.data="{d}"'],
        )
        for d in (clean, dirty)
    ]
    calibrated = [
        {c.cutoff: c for c in r.cases if c.method == cases.FORECAST and c.series == "total"}
        for r in results
    ]
    walk_at_july = dict((m, w) for m, w, _ in results[0].calibration)[parse_month("2024-07")]
    assert calibrated[0][parse_month("2024-07")].error_walk == walk_at_july
    assert walk_at_july > 0  # else the check below could not fail
    for cutoff in (parse_month("2024-06"), parse_month("2024-07")):
        a, b = calibrated[0][cutoff], calibrated[1][cutoff]
        assert a.error_walk == b.error_walk
        np.testing.assert_array_equal(a.samples, b.samples)


def _reference_data() -> replay.ReferenceData:
    return run.reference_data(REPO / "data", exclude_makes=COMPANY.own_makes)


def test_reference_fit_leaves_the_model_itself_out() -> None:
    data = _reference_data()
    sales = replay.cut_sales(data.sales, parse_month("2024-12"), drop="BYD|Seagull")
    assert "BYD|Seagull" not in sales.names and sales.months[-1] == parse_month("2024-12")


def test_reference_cases_score_every_method() -> None:
    data = _reference_data()
    (launch,) = reference_series(data.sales, ("BYD|Seagull",))
    cutoff = int(launch.months[8])
    first = replay.reference_cases(data, launch, cutoff, _scenario(), SETTINGS)
    assert [c.method for c in first] == list(cases.METHODS)
    assert {c.source for c in first} == {cases.REFERENCE}
    calibrated = replay.reference_cases(
        data, launch, cutoff, _scenario(), SETTINGS, walks={cutoff: 0.3}
    )
    assert [(c.method, c.error_walk) for c in calibrated] == [(cases.FORECAST, 0.3)]
    # the walk reached the engine: same draws otherwise, so wider in every month
    spread = [
        np.subtract(*np.quantile(np.log(c.samples), [0.9, 0.1], axis=0))
        for c in (calibrated[0], first[0])
    ]
    assert np.all(spread[0] > spread[1] + 0.2)
    assert all(c.months.size == 3 and np.all(np.isfinite(c.crps)) for c in first)


def _scenario():
    from forecast.scenario.parse import load_scenario

    return load_scenario(BASELINE)


def test_error_walk_uses_only_errors_known_at_each_month(rng) -> None:
    def case(cutoff: int, actual: float) -> cases.Case:
        samples = rng.lognormal(np.log(100), 0.1, size=(2000, 1))
        return cases.score_case(
            samples,
            np.array([actual]),
            rng=rng,
            method=cases.UNCALIBRATED,
            source="t",
            series="s",
            cutoff=cutoff,
            months=np.array([cutoff + 1]),
            scale=100.0,
        )

    past = [case(c, 200.0) for c in range(100, 130)]  # wildly wrong: 7 sds out, months 101..130
    table = recalibration.walks_at(past, [100, 110, 125, 130])
    assert table[100] == (0.0, 0)  # nothing known yet
    assert table[110] == (0.0, 10)  # ten errors known: too few to calibrate on
    walk, n = table[125]
    # every error log 2 out, one month ahead, from forecasts with log sd 0.1: the walk must
    # reach (log 2 / 1.96)**2 - 0.1**2 in variance (sd of the sample quantiles: ~0.003)
    assert n == 25 and walk == pytest.approx(np.sqrt((np.log(2) / 1.96) ** 2 - 0.01), abs=0.01)
    assert table[130][1] == 30


def test_cutoffs_outside_the_history_are_errors() -> None:
    history = load_history(REPO / "data")
    with pytest.raises(ForecastError, match="--from"):
        cases.company_cutoffs(history, parse_month("2020-01"), None)
    cutoffs = cases.company_cutoffs(history, None, None)
    assert format_month(cutoffs[0]) == "2024-06" and cutoffs[-1] == history.months[-1] - 1


def test_command_writes_one_row_per_cutoff_series_and_method(tmp_path: Path) -> None:
    out = tmp_path / "bt.csv"
    result = CliRunner().invoke(
        cli,
        [
            "backtest",
            "--from",
            "2025-10",
            "--to",
            "2025-11",
            "--horizon",
            "2",
            "--n-paths",
            "300",
            "--no-references",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "coverage_80" in result.output and "Targets known" in result.output
    rows = list(csv.DictReader(out.open()))
    keys = {(r["cutoff"], r["series"], r["method"]) for r in rows}
    assert len(keys) == len(rows) == 2 * 3 * len(report.REPORT_METHODS)  # total, SU7, YU7
    assert {r["error_walk"] for r in rows if r["method"] == cases.FORECAST} == {"0"}  # < 20 errors
    fixed = CliRunner().invoke(
        cli,
        [
            "backtest",
            "--from",
            "2025-10",
            "--to",
            "2025-11",
            "--horizon",
            "2",
            "--n-paths",
            "300",
            "--no-references",
            "--out",
            str(out),
            "--set",
            "model.error_walk=0.3",
        ],
    )
    assert fixed.exit_code == 0, fixed.output
    assert {
        r["error_walk"] for r in csv.DictReader(out.open()) if r["method"] == cases.FORECAST
    } == {"0.3"}


def test_command_rejects_a_bad_month() -> None:
    result = CliRunner().invoke(cli, ["backtest", "--from", "2025-13", "--no-references"])
    assert result.exit_code == 2 and "--from" in result.output


def test_the_company_and_its_reference_launches_come_from_the_data(data_copy: Path) -> None:
    """Relabel the company and replay one launch: the CSV's sources and series and the
    console's section titles follow the data folder, not the code."""
    (data_copy / "company.csv").write_text(
        "label,name,make,source,note\nacme,Acme Motors,Xiaomi,https://example.org,\n"
    )
    (data_copy / "reference_launches.csv").write_text(
        "make,model,source,note\nXpeng,Mona M03,https://example.org,\n"
    )
    out = data_copy.parent / "bt.csv"
    result = CliRunner().invoke(
        cli,
        [
            "backtest",
            *("--from", "2025-10", "--to", "2025-11", "--horizon", "2", "--n-paths", "300"),
            *("--set", f'history.data="{data_copy}"', "--out", str(out)),
        ],
    )
    assert result.exit_code == 0, result.output
    titles = [line.split(":")[0] for line in result.output.splitlines() if "coverage, CRPS" in line]
    assert titles == ["Acme Motors total", "Reference launches", "Pooled"]
    rows = list(csv.DictReader(out.open()))
    assert {(r["source"], r["series"]) for r in rows if r["series"] == "total"} == {
        ("acme", "total")
    }
    assert {r["series"] for r in rows if r["source"] == cases.REFERENCE} == {"Xpeng|Mona M03"}
    assert {r["source"] for r in rows} == {"acme", cases.REFERENCE}
