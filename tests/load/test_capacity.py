"""Stated capacity and carmakers' output growth: loading, errors, and the cut at as_of."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.errors import DataError
from forecast.load.bundle import load_bundle
from forecast.load.capacity import (
    CAPACITY_FILE,
    GROWTH_FILE,
    GrowthSample,
    StatedCapacity,
    load_capacity,
    load_output_growth,
)
from forecast.months import parse_month
from tests.factories import Project

CAPACITY = """announced,from,monthly_low,monthly_high,source,note
2025-10,2026-03,40000,58000,https://b,phase 2
2025-03,2025-04,20000,24000,https://a,phase 1
"""
GROWTH = """company,start,horizon,known,ratio
a,2025-06,1,2025-07,1.2
a,2025-06,2,2025-08,1.5
b,2025-11,3,2026-02,1.0
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_stated_capacity_is_read_in_from_order(tmp_path: Path) -> None:
    rows = load_capacity(_write(tmp_path, CAPACITY_FILE, CAPACITY))
    assert rows == (
        StatedCapacity(
            announced=parse_month("2025-03"),
            start=parse_month("2025-04"),
            low=20000.0,
            high=24000.0,
            source="https://a",
        ),
        StatedCapacity(
            announced=parse_month("2025-10"),
            start=parse_month("2026-03"),
            low=40000.0,
            high=58000.0,
            source="https://b",
        ),
    )


def test_absent_files_mean_no_rows(tmp_path: Path) -> None:
    assert load_capacity(tmp_path / CAPACITY_FILE) == ()
    assert load_output_growth(tmp_path / GROWTH_FILE) == ()


def test_every_capacity_problem_is_reported_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = (
        "announced,from,monthly_low,monthly_high,source,note\n"
        "2025-3,2025-04,20000,24000,https://a,\n"
        "2025-03,2025-04,30000,24000,https://a,\n"
        "2025-03,2025-05,-1,24000,,\n"
        "2025-03,2025-06,1,2,https://a,\n"
        "2025-03,2025-06,1,2,https://a,\n"
    )
    with pytest.raises(DataError) as error:
        load_capacity(_write(tmp_path, CAPACITY_FILE, text))
    assert list(error.value.problems) == [
        "capacity.csv:2: announced: expected a month as YYYY-MM, got '2025-3'",
        "capacity.csv:3: monthly_high: below monthly_low (30000 > 24000)",
        "capacity.csv:4: monthly_low: expected a positive number of vehicles a month, got '-1'",
        "capacity.csv:4: source: empty",
        "capacity.csv:6: from: 2025-06 already on line 5",
    ]


def test_growth_samples_are_read_and_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    samples = load_output_growth(_write(tmp_path, GROWTH_FILE, GROWTH))
    assert samples[0] == GrowthSample(
        company="a",
        start=parse_month("2025-06"),
        horizon=1,
        known=parse_month("2025-07"),
        ratio=1.2,
    )
    assert [s.ratio for s in samples] == [1.2, 1.5, 1.0]
    bad = GROWTH.replace("2025-08,1.5", "2025-08,0.5").replace("2026-02,1.0", "2026-03,1.0")
    with pytest.raises(DataError) as error:
        load_output_growth(_write(tmp_path, GROWTH_FILE, bad))
    assert list(error.value.problems) == [
        "output_growth.csv:3: ratio: expected a number of at least 1, got '0.5'",
        "output_growth.csv:4: known: expected start + horizon",
    ]


def test_the_bundle_counts_a_statement_from_its_announcement(
    project_copy: Project,
) -> None:
    _write(project_copy.data, CAPACITY_FILE, CAPACITY)
    _write(project_copy.data, GROWTH_FILE, GROWTH)
    bundle = load_bundle(project_copy.data)
    assert len(bundle.capacity) == 2 and len(bundle.output_growth) == 3
    cut = bundle.cut(parse_month("2025-09"))
    assert [row.announced for row in cut.capacity] == [parse_month("2025-03")]
    assert [s.known for s in cut.output_growth] == [parse_month("2025-07"), parse_month("2025-08")]
    assert bundle.cut(parse_month("2025-02")).capacity == ()


def test_the_files_change_the_content_hash(project_copy: Project) -> None:
    before = load_bundle(project_copy.data).content_hash
    _write(project_copy.data, CAPACITY_FILE, CAPACITY)
    with_capacity = load_bundle(project_copy.data).content_hash
    _write(project_copy.data, GROWTH_FILE, GROWTH)
    assert len({before, with_capacity, load_bundle(project_copy.data).content_hash}) == 3


def test_a_bad_file_is_one_located_error_from_the_bundle(project_copy: Project) -> None:
    _write(project_copy.data, CAPACITY_FILE, CAPACITY.replace("58000", "lots"))
    with pytest.raises(DataError, match=r"capacity.csv:2: monthly_high: expected a number"):
        load_bundle(project_copy.data)
