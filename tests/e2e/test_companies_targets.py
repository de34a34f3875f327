"""targets.csv: the statements, when each is known, the default target and the outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.errors import DataError
from forecast.load.targets import (
    COLUMNS,
    latest_target,
    load_targets,
    no_target_text,
    outcome,
    statement_rows,
)
from forecast.months import parse_month

# end to end: the CLI, the package and its bundled data
pytestmark = pytest.mark.e2e

HEADER = ",".join(COLUMNS) + "\n"


def _targets(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "targets.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def test_a_statement_is_read_with_every_column(tmp_path: Path) -> None:
    path = _targets(
        tmp_path, "2025,500000,600000,range,2025-03-11,ok,deliveries,596555,https://s,a note"
    )
    (t,) = load_targets(path)
    assert (t.year, t.units, t.units_high, t.kind) == (2025, 500_000, 600_000, "range")
    assert (t.announced, t.reliability, t.scope, t.actual) == (
        "2025-03-11",
        "ok",
        "deliveries",
        596_555,
    )
    assert (t.source, t.note) == ("https://s", "a note")
    assert t.where.endswith("targets.csv:2")


def test_every_bad_cell_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _targets(
        tmp_path,
        "2025,500000,,plan,2025-13,sure,deliveries,,https://s,",
        "2025,500000,,range,2025-03,ok,deliveries,,,",
        "2025,500000,400000,revision,2026-01,ok,deliveries,,https://s,",
    )
    with pytest.raises(DataError) as caught:
        load_targets(path)
    problems = [p.split("targets.csv:", 1)[1] for p in caught.value.problems]
    assert problems == [
        "2: kind: unknown value 'plan' (expected one of: target, revision, range, guidance, partial)",
        "2: announced: expected a date as YYYY-MM-DD, YYYY-MM or YYYY, got '2025-13'",
        "2: reliability: unknown value 'sure' (expected one of: ok, low, denied)",
        "3: source: missing source",
        "4: units_high: below units 500000",
    ]


def test_a_range_needs_its_high_end(tmp_path: Path) -> None:
    path = _targets(tmp_path, "2025,500000,,range,2025-03,ok,deliveries,,https://s,")
    with pytest.raises(DataError, match=r"targets.csv:2: units_high: missing \(a range needs"):
        load_targets(path)


def test_an_old_format_file_names_the_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "targets.csv"
    path.write_text("year,units,kind,announced,source,note\n2026,550000,target,2026-01-03,s,\n")
    with pytest.raises(DataError, match=r"targets.csv:1: reliability: missing column"):
        load_targets(path)


@pytest.mark.parametrize(
    ("announced", "known_from"),
    [("2025-03-11", "2025-03"), ("2025-03", "2025-03"), ("2025", "2025-12")],
)
def test_a_statement_is_known_from_the_end_of_the_period_its_date_stands_for(
    tmp_path: Path, announced: str, known_from: str
) -> None:
    path = _targets(tmp_path, f"2025,500000,,target,{announced},ok,deliveries,,https://s,")
    statements = load_targets(path)
    month = parse_month(known_from)
    assert statements[0].known_month == month
    assert latest_target(statements, 2025, month - 1) is None
    assert latest_target(statements, 2025, month) == statements[0]


def test_the_default_is_the_latest_target_revision_or_range_and_a_range_gives_its_low_end(
    tmp_path: Path,
) -> None:
    statements = load_targets(
        _targets(
            tmp_path,
            "2025,700000,,target,2025,low,deliveries,,https://a,",  # known only from 2025-12
            "2025,640000,,revision,2025-05,low,deliveries,,https://b,",
            "2025,500000,600000,range,2025-07-11,ok,deliveries,,https://c,",
            "2025,900000,,revision,2025-08-01,denied,deliveries,,https://d,",
            "2025,450000,,guidance,2025-09-01,ok,deliveries,,https://e,",
            "2025,100000,,partial,2025-10-01,ok,overseas,,https://f,",
            "2026,1000000,,target,2025-06-01,ok,deliveries,,https://g,",
        )
    )
    at = {
        month: latest_target(statements, 2025, parse_month(month))
        for month in ("2025-04", "2025-05", "2025-07", "2025-11", "2025-12")
    }
    assert at["2025-04"] is None
    assert at["2025-05"].source == "https://b"
    assert at["2025-07"].source == "https://c" and at["2025-07"].units == 500_000
    # denied, guidance and partial statements are never the default
    assert at["2025-11"].source == "https://c"
    # a year-dated statement is taken as earlier than one dated within that year
    assert at["2025-12"].source == "https://c"
    assert latest_target(statements, 2026, parse_month("2025-06")).units == 1_000_000


def test_the_missing_target_is_named_with_the_reason(tmp_path: Path) -> None:
    statements = load_targets(
        _targets(
            tmp_path,
            "2025,350000,,target,2025-02,ok,deliveries,,https://a,",
            "2026,1300000,,partial,2026-01,ok,overseas,,https://b,",
        )
    )
    assert no_target_text(statements, 2025, parse_month("2025-01")) == (
        "no target for 2025 announced by the end of 2025-01 "
        "(the first is the target 350,000 for 2025 announced 2025-02)"
    )
    assert no_target_text(statements, 2026, parse_month("2026-01")) == (
        "no target for 2026 announced by the end of 2026-01 "
        "(only statements that are not targets: partial (ok))"
    )
    assert no_target_text(statements, 2024, parse_month("2024-06")) == (
        "no target for 2024 announced by the end of 2024-06 (none is bundled)"
    )


def test_outcomes() -> None:
    assert outcome(500_000, 596_555, year_over=True) == "hit"
    assert outcome(600_000, 596_555, year_over=True) == "missed"
    assert outcome(600_000, None, year_over=False) == "open"
    assert outcome(600_000, None, year_over=True) == "unknown"
    assert outcome(None, 596_555, year_over=True) == ""


def test_statement_rows_take_the_history_total_when_the_file_has_no_actual(
    tmp_path: Path,
) -> None:
    statements = load_targets(
        _targets(
            tmp_path,
            "2025,500000,600000,range,2025-03-11,ok,deliveries,,https://a,",
            "2024,250000,,target,2024,ok,deliveries,293724,https://b,",
            "2026,1000000,,target,2025-12-24,ok,deliveries,,https://c,",
        )
    )
    rows = statement_rows("maker", statements, {2025: 550_000}, last_month=parse_month("2026-01"))
    picked = [(r[1], r[7], r[8], r[9], r[10]) for r in rows]
    assert picked == [
        ("2025", 550_000, "history", "hit", "missed"),
        ("2024", 293_724, "targets.csv", "hit", None),
        ("2026", None, None, "open", None),
    ]
