from __future__ import annotations

import numpy as np
import pytest

from forecast.errors import DataError
from forecast.load.calendar import Calendar, load_calendar
from forecast.months import month_ordinal, year_months
from tests.factories import Project

HEADER = "year,lny_date,holiday_start,holiday_end,status,source,note\n"


@pytest.fixture
def calendar(project: Project):
    """The hand-made calendar: 2025 and 2026 as published, the other years by the rule."""
    return load_calendar(project.data / "calendar.csv")


def write(tmp_path, monkeypatch, text, name="calendar.csv"):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(text, encoding="utf-8")
    return name


def problems(path):
    with pytest.raises(DataError) as caught:
        load_calendar(path)
    return caught.value.problems


def test_holiday_days_2025_window_spans_january_and_february(calendar):
    days = calendar.holiday_days(np.array(year_months(2025)))
    assert days.dtype == np.int64
    assert days.tolist() == [4, 4] + [0] * 10


def test_holiday_days_2026_all_nine_in_february(calendar):
    assert calendar.holiday_days(np.array(year_months(2026))).tolist() == [0, 9] + [0] * 10


def test_unknown_year_names_year_and_file(tmp_path, monkeypatch):
    name = write(
        tmp_path, monkeypatch, HEADER + "2026,2026-02-17,2026-02-15,2026-02-23,computed,,\n"
    )
    calendar = load_calendar(name)
    with pytest.raises(
        DataError, match=r"^calendar.csv: no row for year 2031 \(the calendar covers 2026-2026\)$"
    ):
        calendar.holiday_days(np.array([month_ordinal(2031, 1)]))


def test_every_row_problem_is_reported_with_its_line(tmp_path, monkeypatch):
    text = HEADER + (
        "2018,2018/02/16,2018-02-15,2018-02-21,computed,,\n"
        "2019,2019-02-05,2019-02-04,2019-02-10,guessed,,\n"
        "2020,2020-01-25,2020-01-24,2020-01-30,published,,\n"
        "2021,2021-02-12,2021-02-13,2021-02-19,computed,,\n"
        "2022,2023-02-01,2023-01-31,2023-02-06,computed,,\n"
        "2023,2023-01-22,2023-01-01,2023-01-27,computed,,\n"
        "20x4,2024-02-10,2024-02-10,2024-02-17,computed,,\n"
    )
    assert problems(write(tmp_path, monkeypatch, text)) == (
        "calendar.csv:2: lny_date: expected a date as YYYY-MM-DD, got '2018/02/16'",
        "calendar.csv:3: status: unknown value 'guessed' (expected one of: published, computed)",
        "calendar.csv:4: source: a published row needs its source",
        "calendar.csv:5: holiday_start: window 2021-02-13 to 2021-02-19 does not contain lny_date 2021-02-12",
        "calendar.csv:6: lny_date: 2023-02-01 is not in 2022",
        "calendar.csv:7: holiday_end: window longer than 14 days",
        "calendar.csv:8: year: expected a year as YYYY, got '20x4'",
    )


def test_duplicate_and_missing_years(tmp_path, monkeypatch):
    text = HEADER + (
        "2018,2018-02-16,2018-02-15,2018-02-21,computed,,\n"
        "2018,2018-02-16,2018-02-15,2018-02-21,computed,,\n"
        "2021,2021-02-12,2021-02-11,2021-02-17,computed,,\n"
    )
    assert problems(write(tmp_path, monkeypatch, text)) == (
        "calendar.csv:3: year: duplicate of line 2",
        "calendar.csv:4: year: missing year 2019-2020 before 2021",
    )


def test_missing_column_and_impossible_date(tmp_path, monkeypatch):
    name = write(tmp_path, monkeypatch, "year,lny_date,holiday_start,status,source,note\n")
    assert problems(name) == ("calendar.csv:1: holiday_end: missing column",)
    text = HEADER + "2026,2026-02-30,2026-02-15,2026-02-23,computed,,\n"
    assert problems(write(tmp_path, monkeypatch, text)) == (
        "calendar.csv:2: lny_date: expected a date as YYYY-MM-DD, got '2026-02-30'",
    )


def test_hand_made_calendar_must_be_contiguous(calendar):
    with pytest.raises(ValueError, match="ascending and contiguous"):
        Calendar(name="x", years=(calendar.entry(2021), calendar.entry(2023)))
