"""Replaying past forecasts: no information after a cut-off reaches its forecast, and a
reference launch is replayed with its own fit left out."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from forecast.backtest import cases, replay
from forecast.fit.refclass import reference_series
from forecast.load.bundle import DataBundle, load_bundle
from forecast.months import parse_month
from forecast.scenario.parse import load_scenario
from tests.factories import Project

CUTOFF = parse_month("2025-06")
SETTINGS = cases.Settings(horizon=3, n_paths=400)


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


def _paths(baseline: Path, data_dir: Path) -> dict[str, np.ndarray]:
    scenario = load_scenario(baseline, overrides=[f'history.data="{data_dir}"'])
    data = replay.Replay(load_bundle(data_dir), scenario)
    ahead, _ = replay.forecast_at(data, CUTOFF, SETTINGS)
    return {**ahead.series, "year": ahead.year_total}


def test_no_information_after_the_cutoff_reaches_the_forecast(
    tmp_path: Path, project: Project
) -> None:
    clean, dirty = tmp_path / "clean", tmp_path / "dirty"
    shutil.copytree(project.data, clean)
    shutil.copytree(project.data, dirty)
    _corrupt(dirty / "deliveries.csv", "month", CUTOFF, ("figure",))
    _corrupt(dirty / "totals.csv", "period", CUTOFF, ("figure",))
    _corrupt(dirty / "market.csv", "month", CUTOFF, ("all_passenger_cars", "bev_total"))
    _corrupt(dirty / "bev_models.csv", "month", CUTOFF, ("units",))
    assert (clean / "deliveries.csv").read_text() != (dirty / "deliveries.csv").read_text()
    baseline = project.scenario("baseline")
    a, b = _paths(baseline, clean), _paths(baseline, dirty)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


@pytest.fixture(scope="module")
def reference_data(project: Project, bundle: DataBundle) -> replay.Replay:
    return replay.Replay(bundle, load_scenario(project.scenario("baseline")))


def test_reference_fit_leaves_the_model_itself_out(reference_data) -> None:
    lists = reference_data.bundle.cut(parse_month("2024-12")).launches
    sales = replay.without_model(lists, "Gamma|One")
    assert "Gamma|One" in lists.names and "Gamma|One" not in sales.names
    assert sales.months[-1] == parse_month("2024-12")


def test_reference_cases_score_every_method(project: Project, reference_data) -> None:
    data = reference_data
    (launch,) = reference_series(data.bundle.launches, ("Gamma|One",))
    fit = replay.fit_reference(data, launch, int(launch.months[8]))
    cutoff = fit.cutoff
    first = replay.reference_cases(data, fit, SETTINGS)
    assert [c.method for c in first] == list(cases.METHODS)
    assert {c.source for c in first} == {cases.REFERENCE}
    calibrated = replay.reference_cases(data, fit, SETTINGS, walks={cutoff: 0.3})
    assert [(c.method, c.error_walk) for c in calibrated] == [(cases.FORECAST, 0.3)]
    # the walk reached the engine: same draws otherwise, so wider in every month
    spread = [
        np.subtract(*np.quantile(np.log(c.samples), [0.9, 0.1], axis=0))
        for c in (calibrated[0], first[0])
    ]
    assert np.all(spread[0] > spread[1] + 0.2)
    assert all(c.months.size == 3 and np.all(np.isfinite(c.crps)) for c in first)
