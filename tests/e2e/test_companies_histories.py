"""Every bundled company's reconciled history matches its published full-year totals.

The full years the history covers (months before a known first delivery count as zero)
must equal the exact annual figures of ``totals.csv`` and the ``actual`` of ``targets.csv``;
an "at least" year stays at or above its figure.
"""

from __future__ import annotations

import pytest

from forecast.load import paths
from forecast.load.history import TOTAL, load_history
from forecast.load.reconcile import reconcile, year_totals

pytestmark = pytest.mark.e2e

COMPANIES = paths.companies()


def test_the_ten_companies_of_the_issue_are_bundled_less_the_two_without_monthly_data() -> None:
    # shared/data/brands names tesla_global and zeekr_group too: targets without a monthly
    # series, so they are no company here.
    assert set(COMPANIES) == {
        "byd",
        "huawei_hima",
        "leapmotor",
        "li_auto",
        "nio",
        "tesla_china",
        "xiaomi",
        "xpeng",
        "zeekr",
    }


@pytest.fixture(scope="module", params=COMPANIES)
def company(request: pytest.FixtureRequest):
    history = load_history(paths.company_dir(request.param))
    reconciled = reconcile(history)
    return history, year_totals(reconciled, history.first_delivery)


def test_every_exact_full_year_of_totals_csv_holds_to_the_unit(company) -> None:
    history, totals = company
    years = [o for o in history.totals if o.line == TOTAL and o.period.isdigit()]
    assert years, "no full-year total in totals.csv"
    for obs in years:
        year = int(obs.period)
        assert year in totals, f"{obs.where}: {year} is not whole in the history"
        if obs.qualifier == "exact":
            assert totals[year] == obs.figure, obs.where
        elif obs.qualifier == "at_least":
            assert totals[year] >= obs.figure, obs.where


def test_every_actual_of_targets_csv_in_the_history_holds_to_the_unit(company) -> None:
    history, totals = company
    checked = [t for t in history.targets if t.actual is not None and t.year in totals]
    for statement in checked:
        assert totals[statement.year] == statement.actual, statement.where
    if history.targets and any(t.actual is not None for t in history.targets):
        assert checked, "no actual of targets.csv falls in the history"


def test_the_imported_histories_are_total_only_and_xiaomi_has_its_lines() -> None:
    total_only = {label for label in COMPANIES if load_history(paths.company_dir(label)).total_only}
    assert total_only == set(COMPANIES) - {"xiaomi"}
    xiaomi = load_history(paths.company_dir("xiaomi"))
    assert xiaomi.first_delivery == xiaomi.data_start  # deliveries began 2024-04
