"""The one table formatter, CSV writer and rounding helper every command's output uses."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from forecast.write.tables import align, csv_text, format_table, rounded, write_csv


def test_align_pads_to_the_widest_cell_and_drops_trailing_spaces() -> None:
    text = align(("name", "n"), [("a", "1"), ("bbbbbb", "1,000")], left={0})
    assert text.split("\n") == [
        "name        n",
        "------  -----",
        "a           1",
        "bbbbbb  1,000",
    ]


def test_align_right_aligns_every_column_not_named_left() -> None:
    assert align(("x", "yy"), [("10", "a")], left=()).split("\n")[2] == "10   a"
    assert align(("x", "yy"), [("10", "a")], left={1}).split("\n")[2] == "10  a"


def test_format_table_left_aligns_text_columns_only() -> None:
    rows = [("SU7", 1234, 0.5, None), ("YU7", 5, 1234.0, None)]
    assert format_table(("line", "units", "share", "note"), rows).split("\n") == [
        "line  units  share  note",
        "----  -----  -----  ----",
        "SU7   1,234    0.5",
        "YU7       5  1,234",
    ]


def test_format_table_never_cuts_a_cell() -> None:
    """Issue 15: ``history`` cut sources at 60 characters and ``fit`` its note mid-word. The
    last column is shown whole (its rule stops at max_width); a long text elsewhere wraps at
    spaces onto continuation lines."""
    url = "https://example.org/" + "x" * 60
    rows = [("SU7", "chosen by rolling-origin cross-validation of six folds", 12, url)]
    text = format_table(("line", "note", "n", "source"), rows, max_width=20)
    assert text.split("\n") == [
        "line  note                  n  source",
        "----  -------------------  --  --------------------",
        f"SU7   chosen by            12  {url}",
        "      rolling-origin",
        "      cross-validation of",
        "      six folds",
    ]


def test_csv_text_is_machine_readable() -> None:
    rows = [("a,b", 1234, 0.1234567, 2.0, None), ("c", 0, 1e16, -0.5, "")]
    assert csv_text(("k", "n", "x", "y", "z"), rows) == (
        'k,n,x,y,z\n"a,b",1234,0.123457,2,\nc,0,1e+16,-0.5,\n'
    )


def test_write_csv_writes_the_csv_text(tmp_path: Path) -> None:
    rows = [("a", 1.5), ("b", None)]
    write_csv(tmp_path / "sub" / "t.csv", ("k", "v"), rows)
    assert (tmp_path / "sub" / "t.csv").read_bytes() == csv_text(("k", "v"), rows).encode()
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["t.csv"]  # no temporary left


def test_rounded_gives_python_floats_and_keeps_none() -> None:
    # numpy rounds 58.2905 (stored as 58.29050000000000153...) down by scaling first;
    # Python's round is correctly rounded. And a numpy scalar would print as np.float64(...).
    value = rounded(np.float64(58.2905), 3)
    assert type(value) is float and value == 58.291
    assert repr(rounded(np.float64(0.1234567), 6)) == "0.123457"
    assert rounded(None, 3) is None
