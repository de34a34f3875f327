"""``forecast.load.csvfile``: line numbers are the file's lines, cells quoted short."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.errors import DataError
from forecast.load.csvfile import MAX_COUNT, parse_count, read_rows


def test_a_unicode_line_separator_in_a_cell_is_text_not_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("a,note\n1,one\u2028two\x0cthree\x1cfour\n2,x\n3,y\n", encoding="utf-8")
    _, rows = read_rows(path, ("a", "note"))
    assert [(row.line_no, row.cells["a"]) for row in rows] == [(2, "1"), (3, "2"), (4, "3")]
    assert rows[0].cells["note"] == "one\u2028two\x0cthree\x1cfour"


def test_line_numbers_count_crlf_cr_and_quoted_line_breaks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = Path("f.csv")
    path.write_bytes(b'a,note\r\n1,"two\nlines"\r\n2,x\r3,y,extra\n')
    with pytest.raises(DataError) as caught:
        read_rows(path, ("a", "note"))
    assert caught.value.problems[0].startswith("f.csv:5: note: cells after the last column")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1e300", "expected at most 1,000,000,000,000, got '1e300'"),
        ("9" * 400, "expected a whole number, got '" + "9" * 60 + "...' (400 characters)"),
        ("nan", "expected a whole number, got 'nan'"),
        ("inf", "expected a whole number, got 'inf'"),
        ("٢٠٢٥", "expected a whole number, got '٢٠٢٥'"),
        ("-3", "expected a non-negative number, got '-3'"),
    ],
)
def test_counts_are_whole_ascii_numbers_up_to_a_trillion(text: str, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_count(text)
    assert str(caught.value) == problem


def test_the_largest_count_is_exact() -> None:
    assert parse_count(str(MAX_COUNT)) == MAX_COUNT == 10**12
