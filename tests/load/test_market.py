import numpy as np
import pytest

from forecast.errors import DataError
from forecast.load.market import MarketSeries, load_market
from forecast.months import parse_month

HEADER = "month,all_passenger_cars,bev_total,source\n"


def problems(tmp_path, monkeypatch, text):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "market.csv").write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_market("market.csv")
    return caught.value.problems


def test_arrays_are_read_only_copies():
    months = np.array([1, 2])
    market = MarketSeries(months=months, passenger=[10.0, 20.0], bev=[1.0, 2.0])
    months[0] = 99
    assert market.months.tolist() == [1, 2]
    with pytest.raises(ValueError, match="read-only"):
        market.bev[0] = 5.0
    assert market.series("all_passenger_cars") is market.passenger
    with pytest.raises(ValueError, match="unknown market series 'phev'"):
        market.series("phev")


def test_rows_are_sorted_by_month(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "market.csv").write_text(HEADER + "2025-02,20,2,s\n2025-01,10,1,s\n")
    market = load_market("market.csv")
    assert market.months.tolist() == [parse_month("2025-01"), parse_month("2025-02")]
    assert market.passenger.tolist() == [10.0, 20.0]


def test_missing_column(tmp_path, monkeypatch):
    assert problems(tmp_path, monkeypatch, "month,all_passenger_cars,source\n2025-01,1,s\n") == (
        "market.csv:1: bev_total: missing column",
    )


def test_every_bad_cell_is_reported(tmp_path, monkeypatch):
    text = HEADER + (
        "2025-13,10,1,s\n2025-01,ten,1,s\n2025-02,10,-1,s\n2025-03,0,1,s\n2025-04,10,1.5,s\n"
    )
    assert problems(tmp_path, monkeypatch, text) == (
        "market.csv:2: month: expected a month as YYYY-MM, got '2025-13'",
        "market.csv:3: all_passenger_cars: expected a whole number, got 'ten'",
        "market.csv:4: bev_total: expected a non-negative number, got '-1'",
        "market.csv:5: all_passenger_cars: expected a positive number, got '0'",
        "market.csv:6: bev_total: expected a whole number, got '1.5'",
    )


def test_duplicate_and_missing_months(tmp_path, monkeypatch):
    text = HEADER + ("2025-01,10,1,s\n2025-01,11,1,s\n2025-03,10,1,s\n2025-07,10,1,s\n")
    assert problems(tmp_path, monkeypatch, text) == (
        "market.csv:3: month: duplicate of line 2",
        "market.csv:4: month: missing 2025-02 before 2025-03",
        "market.csv:5: month: missing 2025-04 to 2025-06 before 2025-07",
    )


def test_empty_file(tmp_path, monkeypatch):
    assert problems(tmp_path, monkeypatch, HEADER) == ("market.csv:1: month: no data rows",)


def test_a_bad_row_is_not_also_reported_as_a_gap(tmp_path, monkeypatch):
    text = HEADER + "2025-01,10,1,s\n2025-02,10,x,s\n2025-03,10,1,s\n"
    assert problems(tmp_path, monkeypatch, text) == (
        "market.csv:3: bev_total: expected a whole number, got 'x'",
    )
