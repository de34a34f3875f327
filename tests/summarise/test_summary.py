from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecast.months import year_months
from forecast.summarise.summary import (
    QUANTILES,
    expected_shortfall,
    hit_probability,
    required_monthly,
    summarise,
)
from forecast.write.files import MONTHLY_COLUMNS, SUMMARY_COLUMNS, RunRecord, run_files, write_files

MONTHS = np.array(year_months(2026))


def test_hit_probability_and_standard_error_by_hand() -> None:
    totals = np.array([90.0, 100.0, 110.0, 120.0])
    p, se = hit_probability(totals, 100)
    assert p == 0.75
    assert se == pytest.approx(np.sqrt(0.75 * 0.25 / 4))


def test_expected_shortfall_only_counts_misses() -> None:
    assert expected_shortfall(np.array([80.0, 90.0, 130.0]), 100) == 15.0
    assert expected_shortfall(np.array([130.0]), 100) == 0.0


def test_required_monthly() -> None:
    assert required_monthly(550_000, 39_000, 11) == pytest.approx(46_454.545, abs=1e-3)
    assert required_monthly(100, 150, 3) == 0.0
    assert required_monthly(100, 50, 0) == 0.0


def test_summary_keeps_reported_months_and_pace_reaches_target() -> None:
    paths = np.full((4, 12), 50_000.0)
    paths[:, 0] = 39_000
    paths[:, 1:] += np.arange(4)[:, None] * 1000
    s = summarise(paths, months=MONTHS, n_reported=1, target=600_000, scenario="t")
    assert s.ytd_actual == 39_000
    assert s.months[0].actual == 39_000 and s.months[0].quantiles is None
    assert s.months[1].actual is None
    assert s.months[-1].target_pace == pytest.approx(600_000)
    assert s.p_hit == 0.75  # totals 589k, 600k, 611k, 622k: a tie counts as a hit
    assert s.quantile(0.5) == pytest.approx(np.median(paths.sum(axis=1)))


def test_identical_paths_have_exactly_zero_sd() -> None:
    # 1000 equal totals (about 12,346): their pairwise-summed mean misses them by an ulp,
    # which a plain std turns into an sd of about 4e-12.
    paths = np.full((1000, 12), 12345.678 / 12)
    s = summarise(paths, months=MONTHS, n_reported=0, target=10_000, scenario="same")
    assert s.sd == 0.0


def test_sd_is_the_sample_standard_deviation() -> None:
    paths = np.zeros((4, 12))
    paths[:, 0] = [90.0, 100.0, 110.0, 120.0]
    s = summarise(paths, months=MONTHS, n_reported=0, target=100, scenario="t")
    assert s.sd == pytest.approx(np.sqrt(500.0 / 3))


@given(arrays(np.float64, (20, 12), elements=st.floats(0, 1e5)))
def test_quantiles_are_ordered(paths: np.ndarray) -> None:
    s = summarise(paths, months=MONTHS, n_reported=0, target=500_000, scenario="h")
    assert list(s.quantiles) == sorted(s.quantiles)
    for row in s.months:
        assert list(row.quantiles) == sorted(row.quantiles)
    assert 0.0 <= s.p_hit <= 1.0


def _files() -> dict[str, str]:
    paths = np.random.default_rng(7).normal(45_000, 4_000, (500, 12))
    s = summarise(paths, months=MONTHS, n_reported=0, target=550_000, scenario="demo")
    record = RunRecord(seed=7, n_paths=500, version="0.1.0", data_hash="d", scenario_hash="s")
    return run_files(s, record, "[scenario]\nname = 'demo'\n")


def test_run_files_have_the_documented_columns() -> None:
    files = _files()
    assert files["summary.csv"].splitlines()[0] == ",".join(SUMMARY_COLUMNS)
    monthly = files["monthly.csv"].splitlines()
    assert monthly[0] == ",".join(MONTHLY_COLUMNS)
    assert [line.split(",")[0] for line in monthly[1:]] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert len(QUANTILES) == 7


def test_write_files_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "summary.csv").write_text("old\n")
    real_replace = os.replace
    calls = []

    def failing_replace(src, dst):  # noqa: ANN001
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_files(tmp_path, {"monthly.csv": "new\n", "summary.csv": "new\n"})
    assert (tmp_path / "summary.csv").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


def test_write_files_failing_midway_leaves_old_files(tmp_path: Path) -> None:
    (tmp_path / "summary.csv").write_text("old\n")

    class Boom:  # neither str nor bytes: writing it fails after summary.csv is staged
        pass

    with pytest.raises(TypeError):
        write_files(tmp_path, {"summary.csv": "new\n", "monthly.csv": Boom()})  # type: ignore[dict-item]
    assert (tmp_path / "summary.csv").read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.csv"]
