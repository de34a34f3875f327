"""The company-specific data: which company a folder holds, and the launches replayed."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.errors import DataError
from forecast.load.company import Company, load_company
from forecast.load.launches import load_reference_launches


def write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str) -> str:
    # Run from tmp_path so messages name the file as a user would see it.
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(text, encoding="utf-8")
    return name


def test_a_company_not_in_the_lists_excludes_no_make(tmp_path, monkeypatch) -> None:
    path = write(tmp_path, monkeypatch, "company.csv", "label,name,make,source\nnew,New Co,,s\n")
    assert load_company(path) == Company(label="new", name="New Co", make="", source="s")
    assert load_company(path).own_makes == ()


def test_company_problems_are_reported_together(tmp_path, monkeypatch) -> None:
    path = write(tmp_path, monkeypatch, "company.csv", "label,name,make,source\na b,,M,\n")
    with pytest.raises(DataError) as caught:
        load_company(path)
    assert caught.value.problems == (
        "company.csv:2: label: expected letters, digits, '_' or '-', got 'a b'",
        "company.csv:2: name: empty",
        "company.csv:2: source: empty",
    )


@pytest.mark.parametrize("body", ["", "a,A,A,s\nb,B,B,s\n"])
def test_a_folder_holds_exactly_one_company(tmp_path, monkeypatch, body) -> None:
    path = write(tmp_path, monkeypatch, "company.csv", "label,name,make,source\n" + body)
    with pytest.raises(DataError, match=r"company\.csv:\d: label: expected one company row"):
        load_company(path)


def test_reference_launch_problems_are_reported_together(tmp_path, monkeypatch) -> None:
    body = "make,model,source\nA,x,s\nA,x,s\nB,y|z,s\nC,w,\n"
    path = write(tmp_path, monkeypatch, "reference_launches.csv", body)
    with pytest.raises(DataError) as caught:
        load_reference_launches(path)
    assert caught.value.problems == (
        "reference_launches.csv:3: model: duplicate of line 2",
        "reference_launches.csv:4: model: expected a non-empty name without '|', got 'y|z'",
        "reference_launches.csv:5: source: empty",
    )


def test_no_reference_launches_is_an_error(tmp_path, monkeypatch) -> None:
    path = write(tmp_path, monkeypatch, "reference_launches.csv", "make,model,source\n")
    with pytest.raises(DataError, match="no data rows"):
        load_reference_launches(path)
