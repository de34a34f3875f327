"""Fuzzing the CSV loaders: every data file either loads or fails with a ``ForecastError``.

Each target starts from the hand-made data files and claims (``tests/factories.py``), mutates
them (swapped columns, deleted and duplicated lines and columns, NaN and infinity, huge and
negative numbers, empty, very long and unicode cells, truncation, BOMs, wrong delimiters,
stray bytes) and loads the result. A ``ForecastError`` must list at least one problem, each a
single non-empty line; any other exception is a bug. The scenario files are fuzzed in
``tests/scenario/test_fuzz.py``.

The number of examples comes from the hypothesis profile (``tests.fuzzing.fuzz_target``): 100
per target by default, ten thousand under ``ci`` (what .ci/run sets) and ``fuzz``::

    HYPOTHESIS_PROFILE=fuzz python -m pytest tests -k fuzz -q

Function-scoped pytest fixtures are not reset between hypothesis examples, so every example
makes its own ``tempfile.TemporaryDirectory``.
"""

from __future__ import annotations

import csv
import functools
import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecast.errors import ForecastError
from forecast.load.bev_models import load_bev_models
from forecast.load.bundle import load_bundle
from forecast.load.calendar import load_calendar
from forecast.load.calibration import load_calibration
from forecast.load.claims import check_claims, load_claims
from forecast.load.history import load_history
from forecast.load.market import load_market
from forecast.load.reconcile import reconcile
from tests import factories
from tests.factories import Project
from tests.fuzzing import fuzz_target, loads_or_fails_cleanly

DATA = {name: text.encode() for name, text in factories.data_files().items()}
CLAIMS = factories.CLAIMS.encode()
HISTORY_FILES = ("deliveries.csv", "totals.csv", "lines.csv", "targets.csv", "anomalies.csv")
OTHER_FILES = ("calendar.csv", "market.csv", "bev_models.csv", "calibration.csv")


# ---------------------------------------------------------------------------------------------
# Values


# ---------------------------------------------------------------------------------------------
# Scenario tables


# ---------------------------------------------------------------------------------------------
# CSV files


NASTY_CELLS = (
    "",
    " ",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "1e308",
    "1e309",
    "-1",
    "-0",
    "0",
    "1.5",
    "9" * 5000,
    "99999999999999999999",
    "1e20",
    "1e300",
    "12,000",
    "0x10",
    "1_000",
    "２０２５-０６",
    "²⁰²⁵",
    "٢٠٢٥-٠٦",
    "2025-13",
    "2025-00",
    "0000-01",
    "9999-12",
    "2025-Q5",
    "2025-Q0",
    "2025-01..2024-01",
    "..2026-01",
    "2025-01..",
    "..",
    "2025-02-30",
    "20250101",
    "2025-W01-1",
    "total",
    "SU7",
    "YU7",
    "YU9",
    "exact",
    "at_least",
    "approaching",
    "approx",
    "derived",
    "exact_third_party",
    "target",
    "published",
    "computed",
    "deliveries",
    "é",
    "🚗",
    "\x00",
    "\u2028",
    "\x0c",
    "a\nb",
    "a\r\nb",
    '"',
    '""',
    "x" * 200_000,
    "|",
    "a|b",
    "\ufeff",
    "\ufeffmonth",
)
cells = st.one_of(st.sampled_from(NASTY_CELLS), st.text(max_size=12))


def _rows(text: bytes) -> list[list[str]]:
    return list(csv.reader(text.decode("utf-8-sig").splitlines()))


def _csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8", "surrogatepass")


def mutate_csv(data: st.DataObject, text: bytes, *, raw: bool = True) -> bytes:
    """One to four edits of cells, lines and columns, then (if ``raw``) maybe a raw edit."""
    rows = _rows(text)
    for _ in range(data.draw(st.integers(1, 4), label="n_edits")):
        ops = [
            "cell",
            "cell",
            "copy_cell",
            "delete_line",
            "duplicate_line",
            "swap_lines",
            "swap_columns",
            "delete_column",
            "append_line",
        ]
        op = data.draw(st.sampled_from(ops), label="op")
        if not rows:
            rows = [[]]
        i = data.draw(st.integers(0, len(rows) - 1), label="row")
        k = data.draw(st.integers(0, len(rows) - 1), label="other_row")
        width = max(1, max(len(row) for row in rows))
        j = data.draw(st.integers(0, width - 1), label="column")
        m = data.draw(st.integers(0, width - 1), label="other_column")
        if op in ("cell", "copy_cell"):
            value = data.draw(cells, label="cell") if op == "cell" else (rows[k] + [""] * width)[m]
            rows[i] = rows[i] + [""] * (j + 1 - len(rows[i]))
            rows[i][j] = value
        elif op == "delete_line":
            del rows[i]
        elif op == "duplicate_line":
            rows.insert(i, list(rows[i]))
        elif op == "swap_lines":
            rows[i], rows[k] = rows[k], rows[i]
        elif op == "swap_columns":
            only_header = data.draw(st.booleans(), label="only_header")
            for row in rows[:1] if only_header else rows:
                if max(j, m) < len(row):
                    row[j], row[m] = row[m], row[j]
        elif op == "delete_column":
            rows = [row[:j] + row[j + 1 :] for row in rows]
        else:
            rows.append(data.draw(st.lists(cells, max_size=width + 1), label="line"))
    out = _csv_bytes(rows)
    if raw and data.draw(st.integers(0, 3), label="raw") == 0:
        out = _raw_csv_edit(data, out)
    return out


def _raw_csv_edit(data: st.DataObject, text: bytes) -> bytes:
    op = data.draw(
        st.sampled_from(["truncate", "insert", "bom", "semicolon", "tab", "cr", "latin1", "empty"]),
        label="raw_op",
    )
    at = data.draw(st.integers(0, len(text)), label="at")
    if op == "truncate":
        return text[:at]
    if op == "insert":
        return text[:at] + data.draw(st.binary(min_size=1, max_size=8), label="bytes") + text[at:]
    if op == "bom":
        return b"\xef\xbb\xbf" + text[:at] + b"\xef\xbb\xbf" + text[at:]
    if op == "semicolon":
        return text.replace(b",", b";")
    if op == "tab":
        return text.replace(b",", b"\t")
    if op == "cr":
        return text.replace(b"\n", b"\r")
    if op == "latin1":
        return text[:at] + "é".encode("latin-1") + text[at:]
    return b""


def _mutated_data(
    root: Path, data: st.DataObject, names: tuple[str, ...], *, raw: bool = True
) -> str:
    """Write the data files to ``root`` with one of ``names`` mutated (or deleted); its name."""
    name = data.draw(st.sampled_from(names), label="file")
    for other in (*HISTORY_FILES, *OTHER_FILES):
        (root / other).write_bytes(DATA[other])
    if data.draw(st.integers(0, 50), label="delete_file") == 0:
        (root / name).unlink()
    else:
        (root / name).write_bytes(mutate_csv(data, DATA[name], raw=raw))
    return name


@fuzz_target
@given(data=st.data())
def test_fuzz_history(data: st.DataObject) -> None:
    """Edited history files (deliveries, totals, lines, targets, anomalies) load or fail cleanly."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _mutated_data(root, data, HISTORY_FILES)
        history = loads_or_fails_cleanly(lambda: load_history(root))
        if history is not None:
            assert history.months.size >= 1
            assert all(obs.figure >= 0 for obs in history.monthly + history.totals)


@fuzz_target
@given(data=st.data())
def test_fuzz_reconcile(data: st.DataObject) -> None:
    """Histories that load reconcile to finite whole numbers or fail cleanly."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _mutated_data(root, data, ("deliveries.csv", "totals.csv", "lines.csv"), raw=False)
        history = loads_or_fails_cleanly(lambda: load_history(root))
        if history is None:
            return
        reconciled = loads_or_fails_cleanly(lambda: reconcile(history))
        if reconciled is not None:
            assert np.all(np.isfinite(reconciled.values))
            assert np.all(reconciled.values >= 0)


@fuzz_target
@given(data=st.data())
def test_fuzz_calendar_market_models(data: st.DataObject) -> None:
    """Edited calendar, market, BEV-model and calibration files load or fail cleanly."""
    loaders = {
        "calendar.csv": load_calendar,
        "market.csv": load_market,
        "bev_models.csv": load_bev_models,
        "calibration.csv": lambda path: load_calibration(path.parent),
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        name = _mutated_data(root, data, OTHER_FILES)
        loaded = loads_or_fails_cleanly(lambda: loaders[name](root / name))
        if name == "calendar.csv" and loaded is not None:
            months = np.arange(loaded.first_year * 12, (loaded.last_year + 1) * 12)
            assert np.all(loaded.holiday_days(months) >= 0)


BUNDLE_FILES = tuple(DATA)  # every file of a company folder and the market files


@fuzz_target
@given(data=st.data())
def test_fuzz_bundle(data: st.DataObject) -> None:
    """Any data file edited (company, context and reference launches too): the whole folder
    loads as the engine reads it, or fails cleanly; what loads reconciles or fails cleanly."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        name = data.draw(st.sampled_from(BUNDLE_FILES), label="file")
        for other in BUNDLE_FILES:
            (root / other).write_bytes(DATA[other])
        (root / name).write_bytes(mutate_csv(data, DATA[name]))
        bundle = loads_or_fails_cleanly(lambda: load_bundle(root))
        if bundle is not None:
            reconciled = loads_or_fails_cleanly(lambda: reconcile(bundle.company))
            if reconciled is not None:
                assert np.all(np.isfinite(reconciled.values)) and np.all(reconciled.values >= 0)


@functools.cache
def _reconciled(folder: Path) -> tuple:
    history = load_history(folder)
    return history, reconcile(history)


@fuzz_target
@given(data=st.data())
def test_fuzz_claims(data: st.DataObject, project: Project) -> None:
    """Edited claim files load (and check against the history) or fail cleanly."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "claims.csv"
        path.write_bytes(mutate_csv(data, CLAIMS))
        claims = loads_or_fails_cleanly(lambda: load_claims(path))
        if claims is not None:
            verdicts = check_claims(claims, *_reconciled(project.data))
            assert len(verdicts) == len(claims)


def test_loads_or_fails_cleanly_rejects_multi_line_problems() -> None:
    def bad() -> None:
        error = ForecastError("first")
        error.problems = ("first\nsecond",)  # ForecastError itself escapes line breaks
        raise error

    with pytest.raises(AssertionError, match="not one line"):
        loads_or_fails_cleanly(bad)


# ---------------------------------------------------------------------------------------------
# Regressions: one per bug the fuzzers found


def test_csv_fields_over_the_size_limit_are_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "calendar.csv"
    lines = factories.calendar_csv().splitlines()
    lines[2] = lines[2] + ',"' + "x" * 200_000 + '"'
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        ForecastError, match=r"calendar.csv:3: cannot read this line as CSV: field larger"
    ):
        load_calendar(path)


def test_an_unclosed_quote_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "market.csv"
    path.write_text('month,all_passenger_cars,bev_total,source\n2025-01,1,1,"http://x\n')
    with pytest.raises(
        ForecastError, match=r"market.csv:2: cannot read this line as CSV: unexpected end"
    ):
        load_market(path)


def test_a_target_claim_needs_a_year(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(factories.CLAIMS.replace("target,2026,total", "target,2026-Q1,total", 1))
    with pytest.raises(
        ForecastError,
        match=r"claims.csv:8: period: a target claim needs a year as YYYY, got '2026-Q1'",
    ):
        load_claims(path)
