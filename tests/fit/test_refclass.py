"""The reference class of BEV launches: loading, launch rules, censored fits, ramp shape."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecast.errors import DataError
from forecast.fit.refclass import (
    Launch,
    ReferenceRamp,
    censoring_bounds,
    find_launches,
    fit_launch,
    fit_reference_class,
    lifecycle_shape,
    reference_series,
)
from forecast.load.bev_models import ModelSales, load_bev_models
from forecast.load.bundle import DataBundle
from forecast.months import parse_month

HEADER = "month,make,model,units,source\n"
SRC = "https://example.org/list"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20260201)


@pytest.fixture(scope="module")
def lists(bundle: DataBundle) -> ModelSales:
    """The hand-made best-seller lists (tests/factories.py): six launches that rise and fade."""
    return bundle.launches


@pytest.fixture(scope="module")
def reference(bundle: DataBundle):
    return fit_reference_class(bundle.launches, exclude_makes=bundle.profile.own_makes)


def write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> str:
    # Run from tmp_path so messages name the file as "bev_models.csv", as a user would see it.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bev_models.csv").write_text(HEADER + body, encoding="utf-8")
    return "bev_models.csv"


# --------------------------------------------------------------------------- loading


def test_load_builds_the_grid(tmp_path, monkeypatch):
    path = write(
        tmp_path,
        monkeypatch,
        f"2020-02,BYD,Han EV,900,{SRC}\n2020-01,BYD,Han EV,500,{SRC}\n"
        f"2020-01,Tesla,Model 3,3000,{SRC}\n2020-03,Nio,ES6,700,{SRC}\n",
    )
    sales = load_bev_models(path)
    assert sales.months.tolist() == [
        parse_month("2020-01"),
        parse_month("2020-02"),
        parse_month("2020-03"),
    ]
    assert sales.names == ("BYD|Han EV", "Tesla|Model 3", "Nio|ES6")
    assert sales.units.tolist() == [[500, 900, 0], [3000, 0, 0], [0, 0, 700]]
    assert sales.listed.tolist() == [
        [True, True, False],
        [True, False, False],
        [False, False, True],
    ]
    assert sales.cutoff.tolist() == [500, 900, 700]
    with pytest.raises(ValueError, match="read-only"):
        sales.units[0, 0] = 1.0


def test_load_reports_every_problem_with_its_line(tmp_path, monkeypatch):
    path = write(
        tmp_path,
        monkeypatch,
        f"2020-13,BYD,Han EV,500,{SRC}\n"
        f"2020-01,,Han EV,500,{SRC}\n"
        f"2020-01,BYD,Han|EV,500,{SRC}\n"
        f"2020-01,BYD,Qin,0,{SRC}\n"
        f"2020-01,BYD,Tang,12k,{SRC}\n"
        "2020-01,BYD,Song,400,\n"
        f"2020-01,BYD,Song,400,{SRC}\n",
    )
    with pytest.raises(DataError) as caught:
        load_bev_models(path)
    assert caught.value.problems == (
        "bev_models.csv:2: month: expected a month as YYYY-MM, got '2020-13'",
        "bev_models.csv:3: make: empty",
        "bev_models.csv:4: model: must not contain '|', got 'Han|EV'",
        "bev_models.csv:5: units: expected a positive number, got '0'",
        "bev_models.csv:6: units: expected a whole number, got '12k'",
        "bev_models.csv:7: source: empty (every figure needs its source)",
        "bev_models.csv:8: model: BYD|Song listed twice in 2020-01 (line 7)",
    )


def test_load_rejects_a_month_without_a_list(tmp_path, monkeypatch):
    path = write(
        tmp_path, monkeypatch, f"2020-01,BYD,Han EV,500,{SRC}\n2020-04,BYD,Han EV,600,{SRC}\n"
    )
    with pytest.raises(
        DataError,
        match=r"^bev_models.csv:3: month: no models listed in 2020-02 to 2020-03 before 2020-04$",
    ):
        load_bev_models(path)


def test_load_names_a_missing_column(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bev_models.csv").write_text("month,make,model,source\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"^bev_models.csv:1: units: missing column$"):
        load_bev_models("bev_models.csv")


def test_load_rejects_an_empty_file(tmp_path, monkeypatch):
    path = write(tmp_path, monkeypatch, "")
    with pytest.raises(DataError, match=r"^bev_models.csv:1: month: no data rows$"):
        load_bev_models(path)


# --------------------------------------------------------------------------- censoring


def grid(names: tuple[str, ...], units: list[list[float]], first: str = "2018-01") -> ModelSales:
    values = np.array(units, dtype=float)
    months = parse_month(first) + np.arange(values.shape[1])
    return ModelSales(months=months, names=names, units=values, listed=values > 0)


def test_cutoff_is_the_smallest_listed_figure_and_the_bound_skips_outliers():
    sales = grid(
        ("A|a", "B|b", "C|c", "D|d"),
        [[10_000, 9_000], [9_000, 8_000], [8_000, 0], [50, 7_000]],
    )
    assert sales.cutoff.tolist() == [50, 7_000]
    # 50 is far below the month's median (8,500): a model named outside the ranking, so an
    # unlisted model is only known to be below 8,000, not below 50.
    assert censoring_bounds(sales).tolist() == [8_000, 7_000]


def filler(n_models: int, n_months: int, level: float = 1_000.0) -> list[list[float]]:
    """Models listed every month at ``level``: they set each month's cut-off."""
    return [[level] * n_months for _ in range(n_models)]


def test_a_missing_month_is_censored_at_that_months_bound_not_zero():
    rising = [0] * 8 + [3_000, 4_000, 0, 5_000, 4_500, 4_000, 3_500, 3_000] + [0] * 6
    sales = grid(("Fill|1", "Fill|2", "Fill|3", "New|x"), [*filler(3, 22), rising])
    (launch,) = find_launches(sales)
    assert launch.name == "New|x"
    assert launch.first_month == sales.months[8]
    assert launch.t.tolist() == list(range(14))
    assert launch.listed.tolist() == [True, True, False] + [True] * 5 + [False] * 6
    assert launch.bound.tolist() == [1_000.0] * 14
    assert (launch.n_listed, launch.n_censored) == (7, 7)


def test_the_launch_rules():
    n = 30
    peak_then_fade = [4_000, 6_000, 8_000, 7_000, 6_000, 5_000, 4_000, 3_000]
    rows = {
        "Fill|1": [1_000] * n,
        "Fill|2": [1_000] * n,
        "Old|listed at the start": [5_000] * 10 + [0] * (n - 10),
        "Good|launch": [0] * 8 + peak_then_fade + [0] * (n - 16),
        "Short|few listed": [0] * 8 + [4_000, 8_000, 5_000] + [0] * (n - 11),
        "Late|still climbing": [0] * 18 + [2_000 * (k + 1) for k in range(12)],
        "Late|too recent": [0] * 22 + peak_then_fade,
        "Own|line": [0] * 8 + peak_then_fade + [0] * (n - 16),
    }
    sales = grid(tuple(rows), list(rows.values()))
    found = [launch.name for launch in find_launches(sales, exclude_makes=("Own",))]
    assert found == ["Good|launch"]
    # the company's own make is the only reason its launch is left out
    assert [launch.name for launch in find_launches(sales)] == ["Good|launch", "Own|line"]


def test_censored_months_hold_the_curve_below_their_bound():
    t = np.arange(12.0)
    units = np.array([3_000, 4_000, 5_000, 6_000, 7_000, 8_000] + [0] * 6, dtype=float)
    listed = units > 0
    bound = np.full(12, 2_000.0)
    censored = fit_launch(
        Launch(name="x", first_month=0, t=t, units=units, listed=listed, bound=bound)
    )
    dropped = fit_launch(
        Launch(
            name="x",
            first_month=0,
            t=t[listed],
            units=units[listed],
            listed=listed[listed],
            bound=bound[listed],
        )
    )

    def level(fit, months):
        return np.exp(fit.c + lifecycle_shape(months, fit.a, fit.b))

    # Dropping the unlisted months lets the rise run on; the Tobit fit turns the curve down.
    assert np.all(level(dropped, t[6:]) > 8_000)
    assert np.mean(level(censored, t[8:])) < 2_000
    assert censored.a / censored.b - 1 < 5.0


def test_the_tobit_gradient_matches_finite_differences(rng):
    from scipy.optimize import check_grad

    from forecast.fit.refclass import _tobit_nll

    t = np.arange(20.0)
    design = np.column_stack([np.ones_like(t), np.log1p(t), -(t + 1.0)])
    log_y = 8.0 + rng.normal(0.0, 0.3, t.size)
    listed = rng.random(t.size) < 0.6
    for theta in ([8.0, 0.8, 0.1, np.log(0.3)], [7.0, 2.0, 0.5, np.log(0.1)]):
        theta = np.array(theta)
        error = check_grad(
            lambda x: _tobit_nll(x, design, log_y, listed)[0],
            lambda x: _tobit_nll(x, design, log_y, listed)[1],
            theta,
        )
        assert error < 1e-6 * np.linalg.norm(_tobit_nll(theta, design, log_y, listed)[1])


# --------------------------------------------------------------------------- recovery


def synthetic_class(params: np.ndarray, rng: np.random.Generator, *, noise: float) -> ModelSales:
    """Launches with known lifecycle curves, started two months apart after the margin.

    Levels start at 3,000 (above the fillers' 1,000 cut-off) so the first listed month is
    the launch month; months that fall below 1,000 are left out of the lists (censored).
    """
    n_months = 12 + 2 * len(params) + 36
    rows = filler(3, n_months)
    for i, (a, b) in enumerate(params):
        t = np.arange(36.0)
        log_y = np.log(3_000.0) + lifecycle_shape(t, a, b) - lifecycle_shape(0.0, a, b)
        y = np.exp(log_y + noise * rng.standard_normal(t.size))
        y[0] = max(y[0], 1_500.0)
        start = 12 + 2 * i
        row = np.zeros(n_months)
        row[start : start + 36] = np.where(y >= 1_000.0, np.round(y), 0.0)
        rows.append(row.tolist())
    names = ("Fill|1", "Fill|2", "Fill|3", *(f"Synth|{i:02d}" for i in range(len(params))))
    return grid(names, rows)


def known_params(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.uniform(0.5, 1.5, n)
    peak = rng.uniform(4.0, 16.0, n)  # months to peak + 1
    return np.column_stack([a, a / peak])


def test_noise_free_launches_are_recovered(rng):
    params = known_params(rng, 5)
    fits = [fit_launch(launch) for launch in find_launches(synthetic_class(params, rng, noise=0.0))]
    estimated = np.array([(fit.a, fit.b) for fit in fits])
    np.testing.assert_allclose(estimated, params, rtol=0.02)


def test_noisy_launches_are_recovered_within_tolerance(rng):
    params = known_params(rng, 30)
    reference = fit_reference_class(synthetic_class(params, rng, noise=0.1))
    assert reference.n_launches == 30
    estimated = reference.params
    # With 0.1 log noise over ~36 months the per-launch error is a few hundredths in b and
    # about a tenth in a; the class mean is tighter still.
    assert np.median(np.abs(estimated[:, 0] - params[:, 0])) < 0.1
    assert np.median(np.abs(estimated[:, 1] / params[:, 1] - 1.0)) < 0.1
    np.testing.assert_allclose(reference.prior_mean, params.mean(axis=0), rtol=0.1)
    np.testing.assert_allclose(reference.log_prior_mean, np.log(params).mean(axis=0), atol=0.1)
    true_peak = np.clip(params[:, 0] / params[:, 1] - 1.0, 0, 35)
    assert np.median(np.abs(reference.months_to_peak - true_peak)) < 1.0


# --------------------------------------------------------------------------- ramp


def test_fraction_interpolates_a_hand_made_table():
    ramp = ReferenceRamp(
        levels=np.array([0.0, 0.5, 1.0]),
        table=np.array([[0.2, 0.6, 1.0], [0.4, 1.0, 1.0], [1.0, 1.0, 1.0]]),
    )
    out = ramp.fraction(np.array([-0.5, 0.0, 0.5, 1.0, 7.0]), np.array([0.0, 0.25, 0.5]))
    expected = [[0.0, 0.2, 0.4, 0.6, 1.0], [0.0, 0.3, 0.55, 0.8, 1.0], [0.0, 0.4, 0.7, 1.0, 1.0]]
    np.testing.assert_allclose(out, expected)


def test_fraction_rejects_u_outside_the_unit_interval(reference):
    with pytest.raises(ValueError, match=r"u must lie in \[0, 1\]"):
        reference.ramp.fraction(np.arange(3.0), np.array([0.5, 1.5]))


months_strategy = arrays(np.float64, st.integers(1, 15), elements=st.floats(-5.0, 60.0))
u_strategy = arrays(np.float64, st.integers(1, 20), elements=st.floats(0.0, 1.0))


@settings(max_examples=60, deadline=None)
@given(months=months_strategy, u=u_strategy)
def test_fraction_properties(reference, months, u):
    out = reference.ramp.fraction(months, u)
    assert out.shape == (u.size, months.size)
    assert np.all((out >= 0.0) & (out <= 1.0))
    assert np.all(out[:, months < 0] == 0.0)
    by_month = out[:, np.argsort(months, kind="stable")]
    assert np.all(np.diff(by_month, axis=1) >= -1e-12)  # non-decreasing in months
    by_u = out[np.argsort(u, kind="stable")]
    assert np.all(np.diff(by_u, axis=0) >= -1e-12)  # higher u, faster ramp


def test_fraction_is_vectorised_over_a_million_paths(reference, rng):
    u = rng.random(1_000_000)
    out = reference.ramp.fraction(np.arange(12.0), u)
    assert out.shape == (1_000_000, 12)
    median = reference.ramp.fraction(np.arange(12.0), np.array([0.5]))[0]
    assert np.all(np.median(out, axis=0) == pytest.approx(median, abs=0.02))


# --------------------------------------------------------------------------- backtest series


def test_reference_series_reports_unknown_and_short_series(lists):
    with pytest.raises(DataError) as caught:
        reference_series(lists, ["Alpha|Onee", "Acme|M2"], min_months=12)
    assert caught.value.problems == (
        "reference series: 'Alpha|Onee': not in the lists (did you mean 'Alpha|One'?)",
        "reference series: 'Acme|M2': longest unbroken run is 5 months (need 12)",
    )
