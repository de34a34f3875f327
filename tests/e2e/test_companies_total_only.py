"""Total-only histories and the months before the first delivery, on hand-made folders.

A company whose ``lines.csv`` names no model lines has one series, the total; a ``total``
row there gives its first delivery. Months before the first delivery are zero; months from
it to the data start are unknown (``forecast.engine.pipeline.check_scenario``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from forecast.engine.pipeline import check_scenario
from forecast.errors import ConfigError, DataError
from forecast.fit.types import FittedModel, LineFit
from forecast.load.bundle import DataBundle
from forecast.load.company import Company
from forecast.load.history import TOTAL, load_history
from forecast.load.reconcile import history_rows, reconcile, year_totals
from forecast.load.targets import COLUMNS
from forecast.months import format_month, month_ordinal, parse_month
from forecast.scenario.distributions import Fixed
from forecast.scenario.types import GapEvent, LaunchEvent, LineSettings, MultiplierEvent, Scenario
from forecast.simulate.plan import make_plan

# end to end: the CLI, the package and its bundled data
pytestmark = pytest.mark.e2e

HEADER = "line,figure,qualifier,source,note\n"
# 2023-07 to 2024-12, every month exact; 2024 exact in totals.csv (the same fact twice)
FIGURES = {month_ordinal(2023, 7) + i: 1000 + 100 * i for i in range(18)}


def company_folder(
    root: Path,
    *,
    lines: str = "",
    figures: dict[int, int] | None = None,
    totals: tuple[str, ...] = (),
) -> Path:
    """A total-only company folder (``lines``: rows of lines.csv after its header)."""
    figures = FIGURES if figures is None else figures
    root.mkdir(parents=True, exist_ok=True)
    (root / "company.csv").write_text("label,name,make,source,note\nmaker,Maker,,https://c,\n")
    (root / "lines.csv").write_text("line,first_month,source,note\n" + lines)
    (root / "deliveries.csv").write_text(
        "month,"
        + HEADER
        + "".join(f"{format_month(m)},total,{f},exact,https://d,\n" for m, f in figures.items())
    )
    year_2024 = sum(f for m, f in figures.items() if m // 12 == 2024)
    (root / "totals.csv").write_text(
        "period," + HEADER + f"2024,total,{year_2024},exact,https://t,\n" + "".join(totals)
    )
    (root / "targets.csv").write_text(
        ",".join(COLUMNS) + "\n2024,20000,,target,2024-01-10,ok,deliveries,,https://x,\n"
    )
    return root


# ---------------------------------------------------------------- loading and reconciling


def test_a_history_without_model_lines_is_one_series_the_total(tmp_path: Path) -> None:
    history = load_history(company_folder(tmp_path / "m"))
    assert history.lines == (TOTAL,) and history.total_only
    assert history.first_month[TOTAL] == history.data_start == month_ordinal(2023, 7)
    assert history.first_delivery is None  # lines.csv does not say


def test_a_total_row_in_lines_csv_gives_the_first_delivery(tmp_path: Path) -> None:
    folder = company_folder(tmp_path / "m", lines="total,2021-05,https://first,first cars\n")
    history = load_history(folder)
    assert history.lines == (TOTAL,)
    assert history.first_delivery == history.first_month[TOTAL] == month_ordinal(2021, 5)
    assert history.data_start == month_ordinal(2023, 7)


def test_a_total_row_beside_model_lines_is_an_error(tmp_path: Path) -> None:
    folder = company_folder(
        tmp_path / "m", lines="total,2021-05,https://a,\nA,2021-05,https://b,\n"
    )
    with pytest.raises(DataError, match=r"lines.csv:2: line: a total row is only for a company"):
        load_history(folder)


def test_a_month_before_the_first_delivery_is_an_error(tmp_path: Path) -> None:
    folder = company_folder(tmp_path / "m", lines="total,2023-09,https://first,\n")
    with pytest.raises(DataError) as caught:
        load_history(folder)
    assert len(caught.value.problems) == 1  # one line naming lines.csv, not one per row
    assert re.fullmatch(
        r".*lines\.csv: the earliest first_month is 2023-09, but .*deliveries\.csv has \d+ rows? "
        r"before it, from 2023-07 \(line 2\); a line's first_month is the month of its first "
        r"deliveries",
        caught.value.problems[0],
    )


def test_exact_months_and_their_exact_year_reconcile_unchanged(tmp_path: Path) -> None:
    history = load_history(company_folder(tmp_path / "m"))
    reconciled = reconcile(history)
    assert reconciled.lines == (TOTAL,)
    assert reconciled.total.tolist() == list(FIGURES.values())
    assert year_totals(reconciled) == {2024: sum(f for m, f in FIGURES.items() if m // 12 == 2024)}
    rows = history_rows(history, reconciled)
    assert len(rows) == len(FIGURES)  # one row a month: the series is the total
    assert {row[1] for row in rows} == {TOTAL}


def test_a_year_before_the_first_delivery_counts_as_complete(tmp_path: Path) -> None:
    history = load_history(company_folder(tmp_path / "m", lines="total,2023-07,https://f,\n"))
    totals = year_totals(reconcile(history), history.first_delivery)
    assert totals[2023] == sum(f for m, f in FIGURES.items() if m // 12 == 2023)
    assert year_totals(reconcile(history)).keys() == {2024}  # first delivery unknown


# ---------------------------------------------------------------- the plan: zero before


def _fitted(as_of: int, name: str = TOTAL) -> FittedModel:
    fit = LineFit(
        line=name,
        family="loglinear",
        param_names=("c", "g"),
        params=np.array([math.log(1000.0), 0.0]),
        cov=np.zeros((2, 2)),
        origin=as_of,
        sigma=0.0,
        phi=0.0,
        last_resid=0.0,
        last_month=as_of,
    )

    class Flat:
        def log_factors(self, months: np.ndarray) -> np.ndarray:
            return np.zeros(np.asarray(months).shape)

    class Instant:
        def fraction(self, months_since_start: np.ndarray, u: np.ndarray) -> np.ndarray:
            return np.ones((u.size, np.asarray(months_since_start).size))

    return FittedModel(lines=(fit,), seasonality=Flat(), ramp=Instant(), as_of=as_of)


def _scenario(year: int, as_of: str, **changes: object) -> Scenario:
    fields: dict = dict(
        name="t",
        description="",
        path=None,
        target_year=year,
        target_units=1,
        data_dir=Path("."),
        as_of=parse_month(as_of),
    )
    return Scenario(**(fields | changes))


def test_months_before_the_first_delivery_are_reported_as_zero() -> None:
    as_of = parse_month("2024-09")
    actual = {month_ordinal(2024, m): 1000.0 * m for m in range(4, 10)}  # from April
    plan = make_plan(
        _fitted(as_of),
        _scenario(2024, "2024-09"),
        actual,
        error_walk=0.0,
        first_delivery=month_ordinal(2024, 4),
    )
    assert plan.reported.tolist() == [0.0, 0.0, 0.0] + [1000.0 * m for m in range(4, 10)]


def test_without_a_first_delivery_a_month_before_the_data_has_no_total() -> None:
    as_of = parse_month("2024-09")
    actual = {month_ordinal(2024, m): 1000.0 for m in range(4, 10)}
    with pytest.raises(DataError, match="no reported total for 2024-01"):
        make_plan(_fitted(as_of), _scenario(2024, "2024-09"), actual, error_walk=0.0)


# ---------------------------------------------------------------- check_scenario


def _bundle(folder: Path) -> DataBundle:
    """The parts of a bundle ``check_scenario`` reads (no market data needed)."""
    return DataBundle(
        profile=Company(label="maker", name="Maker", make="", source="https://c"),
        company=load_history(folder),
        market=None,  # type: ignore[arg-type]
        calendar=None,  # type: ignore[arg-type]
        launches=None,  # type: ignore[arg-type]
        calibration=(),
        context=(),
        reference_launches=(),
        content_hash="0" * 64,
    )


def test_a_year_that_needs_months_before_the_data_start_is_one_clear_error(
    tmp_path: Path,
) -> None:
    bundle = _bundle(company_folder(tmp_path / "m"))
    with pytest.raises(ConfigError) as caught:
        check_scenario(bundle, _scenario(2023, "2023-09", path=Path("s.toml")))
    assert caught.value.problems == (
        "s.toml: target.year: 2023 needs 2023-01 to 2023-06, before maker's data start "
        "2023-07 (first delivery unknown): those months are unknown; choose a target year "
        "from 2024",
    )
    check_scenario(bundle, _scenario(2024, "2024-03"))  # the whole year is in the data


def test_a_year_from_a_known_first_delivery_needs_only_the_months_after_it(
    tmp_path: Path,
) -> None:
    first_in_march = company_folder(tmp_path / "a", lines="total,2023-03,https://f,\n")
    with pytest.raises(ConfigError, match=r"2023 needs 2023-03 to 2023-06, before maker's data"):
        check_scenario(_bundle(first_in_march), _scenario(2023, "2023-09"))
    first_at_the_start = company_folder(tmp_path / "b", lines="total,2023-07,https://f,\n")
    check_scenario(_bundle(first_at_the_start), _scenario(2023, "2023-09"))


def test_a_total_only_company_refuses_named_lines_and_takes_total_events(
    tmp_path: Path,
) -> None:
    bundle = _bundle(company_folder(tmp_path / "m"))
    gap = GapEvent(
        name="stop",
        line="A",
        start=Fixed(value=2.0),
        weeks=Fixed(value=4.0),
        ramp_weeks=None,
        level=Fixed(value=0.0),
    )
    scenario = _scenario(
        2024,
        "2024-03",
        path=Path("s.toml"),
        lines={"A": LineSettings(multiplier=Fixed(value=1.1))},
        events=(gap,),
    )
    with pytest.raises(ConfigError) as caught:
        check_scenario(bundle, scenario)
    why = "maker's history is total-only (its lines.csv names no model lines)"
    assert caught.value.problems == (
        f"s.toml: lines.A: {why}: per-line settings need a company with model lines; "
        "leave the table out",
        f"s.toml: events[0].line: 'A': {why}: leave line out to act on the total",
    )
    on_total = MultiplierEvent(
        name="dip", kind="dip", line=None, months=(month_ordinal(2024, 5),), factor=Fixed(value=0.8)
    )
    launch = LaunchEvent(
        name="new", line="B", start=Fixed(value=6.0), level=Fixed(value=500.0), ramp_months=None
    )
    on_launched = MultiplierEvent(
        name="dip_b",
        kind="dip",
        line="B",
        months=(month_ordinal(2024, 8),),
        factor=Fixed(value=0.8),
    )
    fine = _scenario(2024, "2024-03", events=(on_total, launch, on_launched))
    check_scenario(bundle, fine)


def test_a_company_total_is_not_fitted_with_the_lifecycle_of_one_launch() -> None:
    # Issue 13's target study: lifecycle's decline dragged every total-only company down.
    from forecast.fit.model import fit_model
    from forecast.load import paths
    from forecast.load.bundle import load_bundle

    total = fit_model(load_bundle(paths.company_dir("leapmotor"))).lines[0]
    assert total.line == TOTAL and total.cv is not None
    assert "lifecycle" not in total.cv.families
    assert all(g.family != "lifecycle" for g, _ in total.mixture)
    su7 = next(
        r for r in fit_model(load_bundle(paths.company_dir("xiaomi"))).lines if r.line == "SU7"
    )
    assert su7.cv is not None and "lifecycle" in su7.cv.families
