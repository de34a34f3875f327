"""The target study on the hand-made company: which statements and cut-offs it scores, that
its answers do not depend on the workers, and that nothing after a cut-off reaches a case."""

from __future__ import annotations

import csv
import dataclasses
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from forecast.backtest import targets
from forecast.backtest.target_report import csv_rows
from forecast.load.bundle import DataBundle
from forecast.load.history import Observation, parse_period
from forecast.load.reconcile import reconcile
from forecast.load.targets import TargetStatement
from forecast.months import format_month, month_ordinal, parse_month
from tests.factories import TOTAL_2025, Project

SETTINGS = targets.Settings(n_paths=200, seed=7)


def _study(project: Project, data: Path | None = None, workers: int = 1) -> targets.StudyResult:
    return targets.run_study(
        [targets.folder_company("acme", data or project.data)],
        scenario=project.scenario("baseline"),
        settings=SETTINGS,
        workers=workers,
    )


@pytest.fixture(scope="module")
def study(project: Project) -> targets.StudyResult:
    return _study(project)


# ---------------------------------------------------------------- statements and cut-offs


def test_statements_are_the_ok_targets_with_a_known_outcome(bundle: DataBundle) -> None:
    chosen, left_out = targets.study_statements(bundle, "acme")
    # 2025: the target and its revision (the low-reliability guidance is not studied);
    # 2026 is not over.
    assert [(s.units, s.kind, s.announced) for s in chosen] == [
        (100_000, "target", "2025-01-10"),
        (120_000, "revision", "2025-06-15"),
    ]
    assert all(s.actual == TOTAL_2025 and s.actual_from == "history" and s.hit for s in chosen)
    assert all(s.studied and not s.bound for s in chosen)
    assert [s.where for s in chosen] == ["targets.csv:2", "targets.csv:3"]
    assert len(left_out) == 1 and "for 2026" in left_out[0] and "outcome not known" in left_out[0]


def test_cutoffs_run_from_the_announcement_or_january_to_november() -> None:
    def statement(year: int, announced: str) -> targets.Statement:
        return targets.Statement(
            company="acme",
            year=year,
            units=1,
            kind="target",
            announced=announced,
            where="targets.csv:2",
            actual=2,
            actual_from="history",
            bound=False,
            hit=True,
            studied=True,
        )

    months = [format_month(c) for c in targets.statement_cutoffs(statement(2025, "2025-06-15"))]
    assert months == ["2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-11"]
    # announced the year before: from January; a year alone counts as January
    assert targets.statement_cutoffs(statement(2025, "2024-11-12"))[0] == parse_month("2025-01")
    assert targets.statement_cutoffs(statement(2025, "2025"))[0] == parse_month("2025-01")
    assert len(targets.statement_cutoffs(statement(2025, "2025"))) == 11
    assert targets.statement_cutoffs(statement(2025, "2025-12-01")) == []


def test_the_actual_falls_back_to_targets_then_totals_and_a_bound_is_kept(
    bundle: DataBundle,
) -> None:
    # 2024 is before the data start with no first delivery: the months are unknown.
    history = dataclasses.replace(bundle.company, first_delivery=None)
    full = reconcile(bundle.company)
    assert not targets.year_covered(history, 2024) and targets.year_covered(history, 2025)
    stated = TargetStatement(
        year=2024,
        units=50_000,
        units_high=None,
        kind="target",
        announced="2024-01",
        reliability="ok",
        scope="",
        actual=None,
        source="x",
        note="",
    )
    assert targets.year_actual(history, full, stated) is None
    first, last = parse_period("2024")
    bound = Observation(
        file="totals.csv",
        line_no=9,
        period="2024",
        first=first,
        last=last,
        line="total",
        figure=60_000,
        qualifier="at_least",
        source="x",
        note="",
    )
    with_total = dataclasses.replace(history, totals=(*history.totals, bound))
    assert targets.year_actual(with_total, full, stated) == (60_000, "totals.csv (at_least)", True)
    given = dataclasses.replace(stated, actual=55_000)
    assert targets.year_actual(with_total, full, given) == (55_000, "targets.csv", False)


# ---------------------------------------------------------------- the study


def test_every_statement_cutoff_has_every_method(study: targets.StudyResult) -> None:
    # 2025-01..11 for the target, 2025-06..11 for the revision; 2025-01 and 2025-02 have
    # fewer than three delivering months: skipped, with the reason.
    assert len(study.skips) == 2
    assert {format_month(s.cutoff) for s in study.skips} == {"2025-01", "2025-02"}
    assert all("fewer than 3 delivering months" in s.reason for s in study.skips)
    assert len(study.forecasts) == (9 + 6) * len(targets.METHODS)
    for f in study.forecasts:
        assert 0.0 <= f.p_hit <= 1.0
        if f.method == targets.BASE_RATE:
            assert f.p_hit == 0.5  # no statement's year ended before 2025
            assert np.all(np.isnan(f.quantiles))
        else:
            assert np.all(np.diff(f.quantiles) >= 0)
            assert f.next_p25 <= f.next_p75
    # before any year has ended, the run-rate's law is the default
    assert all(law.n_errors == 0 for law in study.laws.values())


def test_the_engine_method_is_the_engine_as_run(project: Project, study) -> None:
    """The ``forecast`` row equals ``run_scenario`` of the same scenario as of the cut-off."""
    from forecast import run_scenario

    cutoff = parse_month("2025-07")
    row = next(
        f
        for f in study.forecasts
        if f.method == targets.FORECAST and f.cutoff == cutoff and f.statement.units == 120_000
    )
    result = run_scenario(
        project.scenario("baseline"),
        n_paths=SETTINGS.n_paths,
        seed=SETTINGS.seed,
        use_cache=False,
        overrides=['history.as_of="2025-07"', "target.year=2025", "target.units=120000"],
    )
    assert row.p_hit == pytest.approx(result.summary.p_hit, abs=1e-12)
    assert row.quantiles[3] == pytest.approx(np.median(result.paths.sum(axis=1)))


def test_workers_do_not_change_the_answers(project: Project, study) -> None:
    assert csv_rows(_study(project, workers=2).forecasts) == csv_rows(study.forecasts)


# ---------------------------------------------------------------- leakage


CUTOFF = parse_month("2025-06")
# file -> (its month column, the figures to alter)
DATED = {
    "deliveries.csv": ("month", ("figure",)),
    "totals.csv": ("period", ("figure",)),
    "market.csv": ("month", ("all_passenger_cars", "bev_total")),
    "bev_models.csv": ("month", ("units",)),
    "calibration.csv": ("as_of", ("error_walk",)),
}


def _after(text: str) -> bool:
    try:
        return parse_period(text.split("..")[-1])[1] > CUTOFF
    except ValueError:
        return False


def _edit(folder: Path, *, remove: bool) -> None:
    """Triple every figure dated after the cut-off, or remove its row."""
    for name, (column, figures) in DATED.items():
        path = folder / name
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
            fields = list(rows[0])
        kept = []
        for row in rows:
            if _after(row[column]):
                if remove:
                    continue
                for figure in figures:
                    row[figure] = str(float(row[figure]) * 3)
            kept.append(row)
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(kept)


def _numbers(result: targets.MonthResult) -> list[tuple]:
    """Everything a case at the cut-off says (not what it is scored against later)."""
    forecasts = [
        (f.method, f.statement.key, f.p_hit, *f.quantiles, f.crps, f.next_p25, f.next_p75)
        for f in result.forecasts
    ]
    points = [(p.ytd, p.rest_point, p.next_point, p.month_actual) for p in result.points]
    return forecasts + points


@pytest.mark.parametrize("remove", [False, True], ids=["altered", "removed"])
def test_no_month_after_the_cutoff_reaches_a_target_case(
    tmp_path: Path, project: Project, remove: bool
) -> None:
    edited = tmp_path / "edited"
    shutil.copytree(project.data, edited)
    _edit(edited, remove=remove)
    assert (edited / "deliveries.csv").read_text() != (project.data / "deliveries.csv").read_text()
    company = targets.folder_company("acme", project.data)
    jobs, _, _ = targets.plan_jobs([company], project.scenario("baseline"), (), SETTINGS)
    job = next(j for j in jobs if j.cutoff == CUTOFF)
    assert [len(c.statements) for c in job.companies] == [2]  # the target and the revision
    moved = dataclasses.replace(
        job,
        companies=tuple(
            dataclasses.replace(c, company=targets.folder_company("acme", edited))
            for c in job.companies
        ),
    )
    clean, dirty = _numbers(targets.run_month(job)), _numbers(targets.run_month(moved))
    assert len(clean) == 2 * 2 + 1  # engine and ETS for two statements, one run-rate point
    assert clean == dirty


def test_the_run_rate_law_and_base_rate_use_only_years_ended(project: Project) -> None:
    """A year's errors enter the law from its December on, never before."""
    point = targets.Point(
        company="acme",
        cutoff=month_ordinal(2024, 3),
        n_rest=9,
        ytd=10.0,
        rest_point=90.0,
        rest_actual=120.0,
        next_point=10.0,
        month_actual=10.0,
    )
    points = [dataclasses.replace(point, company=str(i)) for i in range(20)]
    assert targets.law_at(points, month_ordinal(2024, 11)).n_errors == 0
    law = targets.law_at(points, month_ordinal(2024, 12))
    assert law.n_errors == 20
    assert law.bias == pytest.approx(np.log(120 / 90) / 3)


def test_the_report_names_what_it_scored(study: targets.StudyResult) -> None:
    from forecast.backtest.target_report import report_lines

    text = "\n".join(report_lines(study))
    assert text.startswith("Target study: 2 statements, 15 statement cut-offs, 1 companies; ")
    assert "2 statement cut-offs skipped" in text.splitlines()[0]
    assert (
        "run-rate law from 2025-03: bias +0.000, spread 0.150 per sqrt(month), from 0 errors (default)"
        in text
    )
    assert re.search(r"\nacme +2 +fewer than 3 delivering months by then\n", text)
