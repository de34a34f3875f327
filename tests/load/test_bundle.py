"""The data bundle: every file loaded once, hashed, and cut at a month in one place."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from forecast.errors import DataError, ForecastError
from forecast.load import bundle as bundle_module
from forecast.load.bundle import (
    COMPANY_FILES,
    CONTEXT_FILE,
    CUT_RULES,
    MARKET_FILES,
    DataBundle,
    cut_data,
    load_bundle,
)
from forecast.load.history import History
from forecast.months import parse_month
from tests.factories import Project

# The hand-made data (tests/factories.py) runs 2025-01 to 2026-01; M2 starts in 2025-08.
JULY_2025 = parse_month("2025-07")


def _arrays(obj: object) -> dict[str, np.ndarray]:
    return {
        f.name: getattr(obj, f.name)
        for f in dataclasses.fields(obj)  # type: ignore[arg-type]
        if isinstance(getattr(obj, f.name), np.ndarray)
    }


def test_the_content_hash_is_the_data_hash_summaries_always_had(
    project: Project, bundle: DataBundle
) -> None:
    data = project.data
    files = [data / name for name in (*COMPANY_FILES, *MARKET_FILES) if (data / name).exists()]
    assert len(files) == len(COMPANY_FILES) + len(MARKET_FILES)
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.name):
        digest.update(path.name.encode() + path.read_bytes())
    assert bundle.content_hash == digest.hexdigest()
    assert bundle.data_hash == bundle.content_hash[:16]


def test_every_data_file_but_the_notes_changes_the_hash(project_copy: Project) -> None:
    data = project_copy.data
    base = load_bundle(data).content_hash
    for name in (*COMPANY_FILES, *MARKET_FILES):
        path = data / name
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert load_bundle(data).content_hash != base, name
        path.write_bytes(original)
    with open(data / CONTEXT_FILE, "a", encoding="utf-8") as handle:
        handle.write("2026-02,note,a note feeds no computation,test\n")
    assert load_bundle(data).content_hash == base


def test_market_files_may_live_in_their_own_folder(
    tmp_path: Path, project: Project, bundle: DataBundle
) -> None:
    company, market = tmp_path / "company", tmp_path / "market"
    company.mkdir(), market.mkdir()
    for name in (*COMPANY_FILES, CONTEXT_FILE):
        shutil.copy(project.data / name, company / name)
    for name in MARKET_FILES:
        shutil.copy(project.data / name, market / name)
    split = load_bundle(company, market)
    assert split.content_hash == bundle.content_hash
    assert np.array_equal(split.market.bev, bundle.market.bev)
    # a company folder without market files takes the bundled ones (out of a unit test's
    # reach here: the guard refuses to open them)
    with pytest.raises(AssertionError, match="bundled data"):
        load_bundle(company)


def test_the_problems_of_every_file_are_reported_together(project_copy: Project) -> None:
    data = project_copy.data
    (data / "market.csv").write_text("month,all_passenger_cars,bev_total,source\n")
    (data / "calendar.csv").unlink()
    (data / CONTEXT_FILE).write_text("date,topic,fact,source\nlater,x,y,z\n")
    with pytest.raises(DataError) as caught:
        load_bundle(data)
    problems = "\n".join(caught.value.problems)
    assert "market.csv:1: month: no data rows" in problems
    assert "calendar.csv: file not found" in problems
    assert "context.csv:2: date: expected a date as YYYY-MM-DD or a month as YYYY-MM" in problems


# ---------------------------------------------------------------- cut


def test_the_cut_knows_nothing_later(bundle: DataBundle) -> None:
    cut = bundle.cut(JULY_2025)
    assert cut.as_of == JULY_2025
    for part in (cut.company, cut.market, cut.launches):
        assert part.months[-1] == JULY_2025
    assert cut.company.lines == ("M1",)
    assert all(obs.last <= JULY_2025 for obs in cut.company.monthly + cut.company.totals)
    assert all(row.as_of <= JULY_2025 for row in cut.calibration)
    assert all(note.month <= JULY_2025 for note in cut.context)
    assert max(t.known_month for t in cut.company.targets) <= JULY_2025
    # each of those had later items to drop, so the checks above can fail
    for part in ("calibration", "context"):
        assert 0 < len(getattr(cut, part)) < len(getattr(bundle, part)), part
    assert 0 < len(cut.company.targets) < len(bundle.company.targets)
    assert 0 < len(cut.company.totals) < len(bundle.company.totals)
    assert cut.calendar == bundle.calendar  # published ahead: needed for future months
    assert cut.content_hash == bundle.content_hash


def test_the_cut_keeps_every_month_up_to_as_of(bundle: DataBundle) -> None:
    cut = bundle.cut(JULY_2025)
    keep = bundle.market.months <= JULY_2025
    assert np.array_equal(cut.market.passenger, bundle.market.passenger[keep])
    keep = bundle.launches.months <= JULY_2025
    assert np.array_equal(cut.launches.units, bundle.launches.units[:, keep])
    assert cut.launches.names == bundle.launches.names


def test_every_array_of_the_data_is_cut(bundle: DataBundle) -> None:
    # A month-indexed array added to a class with a rule that keeps it whole would fail here.
    cut = bundle.cut(JULY_2025)
    for name in ("company", "market", "launches"):
        whole, part = getattr(bundle, name), getattr(cut, name)
        for field, array in _arrays(whole).items():
            assert _arrays(part)[field].size < array.size, f"{name}.{field}"
            assert not _arrays(part)[field].flags.writeable, f"{name}.{field}"


def test_every_field_of_every_cut_class_has_a_rule() -> None:
    for cls, rules in CUT_RULES.items():
        assert set(rules) == {f.name for f in dataclasses.fields(cls)}, cls.__name__


def test_a_field_without_a_rule_is_refused(bundle: DataBundle, monkeypatch) -> None:
    rules = dict(CUT_RULES[History])
    del rules["targets"]
    monkeypatch.setattr(bundle_module, "CUT_RULES", {**CUT_RULES, History: rules}, raising=True)
    with pytest.raises(TypeError, match=r"History: fields without a cut rule \['targets'\]"):
        bundle.cut(JULY_2025)
    with pytest.raises(TypeError, match="no cut rules for str"):
        cut_data("2025-07", JULY_2025)


def test_cutting_again_never_uncuts(bundle: DataBundle) -> None:
    cut = bundle.cut(JULY_2025)
    later = cut.cut(JULY_2025 + 6)
    assert later.as_of == JULY_2025
    assert np.array_equal(later.market.months, cut.market.months)
    assert bundle.cut(bundle.company.months[-1]).company.months.size == bundle.company.months.size


def test_as_of_outside_the_history_names_the_key(bundle: DataBundle) -> None:
    assert bundle.check_as_of(None) == bundle.company.months[-1]
    with pytest.raises(
        ForecastError,
        match=r"^history.as_of: 2024-12 is outside the history \(2025-01 to 2026-01\)$",
    ):
        bundle.check_as_of(parse_month("2024-12"), key="history.as_of")
    with pytest.raises(ForecastError, match="2025-08 is outside the history"):
        bundle.cut(JULY_2025).check_as_of(parse_month("2025-08"))
