from __future__ import annotations

import numpy as np
import pytest

from forecast.errors import ForecastError
from forecast.fit.growth import FAMILIES, PARAM_NAMES
from forecast.fit.model import LINE_FAMILIES, fit_model
from forecast.load.bundle import load_bundle
from forecast.months import parse_month, year_months
from tests.factories import M1, M2, Project


@pytest.fixture(scope="module")
def report(bundle):
    return fit_model(bundle)


def test_both_lines_fitted_with_a_known_family(report) -> None:
    assert [f.line for f in report.model.lines] == ["M1", "M2"]
    assert all(f.family in FAMILIES for f in report.model.lines)
    assert report.as_of == parse_month("2026-01")


def test_retooling_month_is_left_out_of_the_su7_fit(report) -> None:
    su7 = report.lines[0]
    assert su7.excluded == (parse_month("2026-01"),)
    assert su7.months[-1] == parse_month("2025-12")
    assert report.model.lines[0].last_month == parse_month("2025-12")


def test_forecast_curves_are_finite_and_plausible(report) -> None:
    months = np.array(year_months(2026))
    for fit in report.model.lines:
        level = np.exp(fit.log_level(fit.params[None, :], months)[0])
        assert np.all(np.isfinite(level))
        # neither line is forecast beyond three times the best month of the history
        assert level.max() < 3 * max(M1 + M2)


def test_su7_candidates_were_cross_validated(report) -> None:
    cv = report.lines[0].cv
    assert cv is not None and not cv.too_short
    assert set(cv.families) == set(LINE_FAMILIES) == set(FAMILIES) - {"level"}
    fit = report.model.lines[0]
    # the line's model is the stacking mixture: every family with weight > 0, most weight first
    weights = dict(zip(cv.families, cv.weights))
    assert fit.family == max(weights, key=lambda f: weights[f])
    assert sorted(fit.families) == sorted(f for f, w in weights.items() if w > 0)
    assert fit.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.diff(fit.weights) <= 0)
    for component in fit.components:  # each refitted on all months, with its own curve
        assert component.line == "M1" and component.rivals == ()
        assert component.param_names == PARAM_NAMES[component.family]
        assert component.last_month == fit.last_month


def test_seasonality_is_shrunk_not_free(report) -> None:
    s = report.seasonality
    assert np.all(s.weight <= 0.4)  # at most two observations per month against a prior of three
    assert np.any(s.weight > 0)
    shrunk = s.weight * s.mean_resid
    assert np.allclose(s.adjustment, shrunk - shrunk.mean())


def test_as_of_june_2025_knows_nothing_later(bundle) -> None:
    early = fit_model(bundle, as_of=parse_month("2025-08"))
    assert early.reconciled.months[-1] == parse_month("2025-08")
    m2 = early.lines[1]
    # its only month, August 2025, is the partial launch month left out of fits
    assert m2.growth is None and m2.months.size == 0
    assert m2.excluded == (parse_month("2025-08"),)
    assert "no usable months" in m2.note
    assert [f.line for f in early.model.lines] == ["M1"]


def test_requested_family_is_used(bundle) -> None:
    report = fit_model(
        bundle,
        as_of=parse_month("2025-12"),
        families={"M1": "gompertz", "M2": "loglinear"},
    )
    assert [f.family for f in report.model.lines] == ["gompertz", "loglinear"]
    assert all(f.rivals == () and f.weight == 1.0 for f in report.model.lines)


def test_unknown_family_is_an_error(bundle) -> None:
    with pytest.raises(ForecastError, match="unknown family 'cubic'"):
        fit_model(bundle, families={"M1": "cubic"})


def test_a_cut_bundle_fits_as_of_its_cut(bundle) -> None:
    august = parse_month("2025-08")
    cut = fit_model(bundle.cut(august))
    assert cut.as_of == august
    assert [f.line for f in cut.model.lines] == ["M1"]
    whole = fit_model(bundle, as_of=august)
    assert np.array_equal(cut.model.lines[0].params, whole.model.lines[0].params)


def test_the_fit_keeps_the_companys_own_make_out_of_the_reference_class(
    project_copy: Project,
) -> None:
    data = project_copy.data
    own = fit_model(load_bundle(data)).reference
    assert all(name.startswith("Acme|") for name in own.excluded) and own.excluded
    assert any(fit.name.startswith("Alpha|") for fit in own.launches)
    (data / "company.csv").write_text("label,name,make,source\nco,Co,Alpha,s\n")
    report = fit_model(load_bundle(data))
    assert report.reference.excluded
    assert all(name.startswith("Alpha|") for name in report.reference.excluded)
    assert not any(fit.name.startswith("Alpha|") for fit in report.reference.launches)
