"""Fuzzing the loaders: every input either loads or fails with a ``ForecastError``.

Each target starts from the real files (``scenarios/``, ``tests/scenarios_valid/``, ``data/``,
``seeds/claims.csv``), mutates them (swapped types, deleted and duplicated keys and lines,
NaN and infinity, huge and negative numbers, empty, very long and unicode strings, deep
nesting, truncation, BOMs, wrong delimiters, stray bytes) and loads the result. A
``ForecastError`` must list at least one problem, each a single non-empty line; any other
exception is a bug.

The number of examples comes from the hypothesis profile (``tests/conftest.py``): ``ci`` runs
a few dozen per target, ``fuzz`` ten thousand::

    HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz.py -q

Function-scoped pytest fixtures are not reset between hypothesis examples, so every example
makes its own ``tempfile.TemporaryDirectory``.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import math
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from forecast.errors import ForecastError
from forecast.fit.refclass import load_bev_models
from forecast.load.calendar import load_calendar
from forecast.load.calibration import load_calibration
from forecast.load.claims import check_claims, load_claims
from forecast.load.history import load_history
from forecast.load.market import load_market
from forecast.load.reconcile import reconcile
from forecast.scenario.parse import load_scenario
from forecast.scenario.table import dump_toml, toml_value
from forecast.scenario.types import Scenario

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
CLAIMS = REPO / "seeds" / "claims.csv"
SCENARIO_DIRS = ("scenarios", "tests/scenarios_valid")
SCENARIO_FILES = tuple(
    str(path.relative_to(REPO))
    for folder in SCENARIO_DIRS
    for path in sorted((REPO / folder).glob("*.toml"))
)
HISTORY_FILES = ("deliveries.csv", "totals.csv", "lines.csv", "targets.csv", "anomalies.csv")
OTHER_FILES = ("calendar.csv", "market.csv", "bev_models.csv", "calibration.csv")


def loads_or_fails_cleanly(call: Callable[[], T]) -> T | None:
    """``call()``'s result, or None after checking the ``ForecastError`` it raised."""
    try:
        result = call()
    except ForecastError as error:
        _note("ForecastError")
        assert error.problems, "a ForecastError without any problem"
        for problem in error.problems:
            assert isinstance(problem, str) and problem.strip(), f"empty problem: {problem!r}"
            assert len(problem.splitlines()) == 1, f"problem is not one line: {problem!r}"
        return None
    _note("loaded")
    return result


def _note(outcome: str) -> None:
    """Count outcomes in ``--hypothesis-show-statistics`` (only inside a hypothesis test)."""
    if currently_in_test_context():
        event(outcome)


# ---------------------------------------------------------------------------------------------
# Values


NASTY_NUMBERS = (
    math.nan,
    math.inf,
    -math.inf,
    0,
    -0.0,
    -1,
    -1.5,
    0.5,
    1,
    12.999,
    13,
    1e-300,
    5e-324,
    1e308,
    -1e308,
    2**63 - 1,
    -(2**63),
    10**30,
    2026,
    20260201,
)
NASTY_STRINGS = (
    "",
    " ",
    "\t",
    "\n",
    "a\nb",
    "a\rb",
    "\u2028",
    "\x00",
    "\x1b[31m",
    '"',
    "\\",
    "'",
    "é",
    "🚗🚗🚗",
    "汽车",
    "\u202e",
    "x" * 10_000,
    "inf",
    "nan",
    "-1",
    "1e999",
    "true",
    "2026-13",
    "2026-00",
    "2026-02-30",
    "2026-01-07",
    "2025-12",
    "9999-12",
    "0000-01",
    "2026",
    "2026-01-07T00:00",
    "auto",
    "gap",
    "logistic",
    "dist",
    "../data",
    "/",
    "..",
    "SU7",
    "YU7",
)
KNOWN_KEYS = (
    "scenario",
    "target",
    "history",
    "model",
    "lines",
    "simulation",
    "events",
    "name",
    "description",
    "extends",
    "year",
    "units",
    "data",
    "as_of",
    "family",
    "noise_scale",
    "parameter_uncertainty",
    "n_paths",
    "seed",
    "kind",
    "line",
    "start",
    "weeks",
    "ramp_weeks",
    "level",
    "months",
    "factor",
    "limit",
    "step_month",
    "step_limit",
    "overflow",
    "ramp_months",
    "probability",
    "size",
    "dist",
    "low",
    "mode",
    "high",
    "lamb",
    "mean",
    "sd",
    "median",
    "sigma",
    "a",
    "b",
    "values",
    "weights",
    "value",
    "SU7",
    "YU7",
)

strings = st.one_of(st.sampled_from(NASTY_STRINGS), st.text(max_size=20))
keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=12))
scalars = st.one_of(
    st.sampled_from(NASTY_NUMBERS),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.booleans(),
    strings,
    st.dates(),
    st.datetimes(),
    st.times(),
)
toml_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=8,
)


# ---------------------------------------------------------------------------------------------
# Scenario tables


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path inside ``node`` (dict keys and list indices), the root excluded."""
    found = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        found.append((*prefix, key))
        found += _paths(value, (*prefix, key))
    return found


def _get(node: Any, path: tuple) -> Any:
    for key in path:
        node = node[key]
    return node


def _swap_type(value: Any) -> Any:
    """The same content as another TOML type: 12 -> "12", "x" -> ["x"], a table -> an array."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return [value]
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return {str(i): item for i, item in enumerate(value)}
    return str(value)


def _nest(value: Any, depth: int, as_list: bool) -> Any:
    for _ in range(depth):
        value = [value] if as_list else {"a": value}
    return value


def mutate_table(data: st.DataObject, table: dict) -> dict:
    """Apply one to four random edits to a parsed TOML table (in place) and return it."""
    for _ in range(data.draw(st.integers(1, 4), label="n_edits")):
        paths = _paths(table)
        op = data.draw(
            st.sampled_from(["delete", "replace", "swap_type", "duplicate", "nest", "add_key"]),
            label="op",
        )
        if op == "add_key" or not paths:
            parents = [p for p in [(), *paths] if isinstance(_get(table, p), dict)]
            parent = _get(table, data.draw(st.sampled_from(parents), label="parent"))
            parent[data.draw(keys, label="key")] = data.draw(toml_values, label="value")
            continue
        path = data.draw(st.sampled_from(paths), label="path")
        parent, key = _get(table, path[:-1]), path[-1]
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = data.draw(toml_values, label="value")
        elif op == "swap_type":
            parent[key] = _swap_type(parent[key])
        elif op == "duplicate":
            if isinstance(parent, list):
                parent.insert(key, parent[key])
            else:
                parent[data.draw(keys, label="new_key")] = parent[key]
        else:
            depth = data.draw(st.integers(1, 60), label="depth")
            parent[key] = _nest(parent[key], depth, data.draw(st.booleans(), label="as_list"))
    return table


def _same(a: Any, b: Any) -> bool:
    """Equal, with NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _copy_scenarios(root: Path) -> None:
    for folder in SCENARIO_DIRS:
        (root / folder).mkdir(parents=True)
        for path in (REPO / folder).glob("*.toml"):
            (root / folder / path.name).write_bytes(path.read_bytes())


def _load_folder(root: Path, folder: str, overrides: tuple[str, ...] = ()) -> None:
    """Load every scenario of ``folder`` (the mutated file and those that extend it)."""
    for path in sorted((root / folder).glob("*.toml")):
        scenario = loads_or_fails_cleanly(lambda p=path: load_scenario(p, overrides=overrides))
        if scenario is not None:
            _check_resolved(scenario, root)


def _check_resolved(scenario: Scenario, folder: Path) -> None:
    """The resolved TOML reads back as the same table, and loads as the same scenario."""
    text = dump_toml(scenario.resolved)
    assert _same(tomllib.loads(text), scenario.resolved)
    flat = folder / "resolved.toml"
    flat.write_text(text, encoding="utf-8")
    again = dataclasses.replace(load_scenario(flat), path=scenario.path)
    assert again == scenario and dump_toml(again.resolved) == text


@given(data=st.data(), name=st.sampled_from(SCENARIO_FILES))
def test_fuzz_scenario_tables(data: st.DataObject, name: str) -> None:
    """Edited scenario tables load or fail with one-line problems."""
    table = mutate_table(data, tomllib.loads((REPO / name).read_text(encoding="utf-8")))
    text = dump_toml(table)
    assert _same(tomllib.loads(text), table), "dump_toml does not round-trip"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _copy_scenarios(root)
        (root / name).write_text(text, encoding="utf-8")
        _load_folder(root, str(Path(name).parent))


def mutate_bytes(data: st.DataObject, text: bytes) -> bytes:
    """One to three raw edits: truncation, inserted bytes, deleted/duplicated/swapped lines."""
    for _ in range(data.draw(st.integers(1, 3), label="n_edits")):
        op = data.draw(
            st.sampled_from(
                [
                    "truncate",
                    "insert",
                    "delete_line",
                    "duplicate_line",
                    "swap_lines",
                    "nest",
                    "bom",
                    "crlf",
                ]
            ),
            label="op",
        )
        at = data.draw(st.integers(0, len(text)), label="at")
        lines = text.split(b"\n")
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        j = data.draw(st.integers(0, len(lines) - 1), label="other_line")
        if op == "truncate":
            text = text[:at]
        elif op == "insert":
            text = (
                text[:at] + data.draw(st.binary(min_size=1, max_size=8), label="bytes") + text[at:]
            )
        elif op == "delete_line":
            text = b"\n".join(lines[:i] + lines[i + 1 :])
        elif op == "duplicate_line":
            text = b"\n".join(lines[: i + 1] + lines[i:])
        elif op == "swap_lines":
            lines[i], lines[j] = lines[j], lines[i]
            text = b"\n".join(lines)
        elif op == "nest":
            depth = data.draw(st.sampled_from([10, 300, 2000]), label="depth")
            text = text + b"\nz = " + b"[" * depth + b"]" * depth + b"\n"
        elif op == "bom":
            text = b"\xef\xbb\xbf" + text
        else:
            text = text.replace(b"\n", b"\r\n")
    return text


@given(data=st.data(), name=st.sampled_from(SCENARIO_FILES))
@example(data=None, name="deep")  # a 2000-deep array: RecursionError in tomllib
@example(data=None, name="huge_int")  # a 5000-digit integer: ValueError in tomllib
def test_fuzz_scenario_text(data: st.DataObject | None, name: str) -> None:
    """Scenario files with raw edits (truncated, stray bytes, lines gone) load or fail cleanly."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _copy_scenarios(root)
        if data is None:  # a regression example
            value = b"[" * 2000 + b"]" * 2000 if name == "deep" else b"9" * 5000
            name = "scenarios/baseline.toml"
            (root / name).write_bytes((REPO / name).read_bytes() + b"\nz = " + value + b"\n")
        else:
            (root / name).write_bytes(mutate_bytes(data, (REPO / name).read_bytes()))
        _load_folder(root, str(Path(name).parent))


SET_PATHS = (
    "target.units",
    "target.year",
    "history.as_of",
    "history.data",
    "model.family",
    "model.noise_scale",
    "model.parameter_uncertainty",
    "simulation.n_paths",
    "simulation.seed",
    "scenario.name",
    "scenario.extends",
    "lines.SU7.multiplier",
    "lines.YU9.family",
    "events[0].weeks",
    "events[0].weeks.high",
    "events[0]",
    "events[9].start",
    "events",
    "lines",
    "target",
    "a.b.c",
    "events[0].kind",
)


@st.composite
def overrides(draw: st.DrawFn) -> str:
    key = draw(st.one_of(st.sampled_from(SET_PATHS), st.text(max_size=20)), label="key")
    value = draw(
        st.one_of(
            toml_values.map(lambda v: dump_toml({"v": v}).partition("=")[2].strip()),
            strings,
        ),
        label="value",
    )
    sep = draw(st.sampled_from(["=", " = ", "", "=="]), label="sep")
    return f"{key}{sep}{value}"


@given(sets=st.lists(overrides(), min_size=1, max_size=3), name=st.sampled_from(SCENARIO_FILES))
@example(sets=["target.units=" + "9" * 5000], name="scenarios/baseline.toml")
@example(sets=["target.units=" + "[" * 2000], name="scenarios/baseline.toml")
def test_fuzz_set_overrides(sets: list[str], name: str) -> None:
    """``--set`` strings load or fail cleanly."""
    scenario = loads_or_fails_cleanly(lambda: load_scenario(REPO / name, overrides=tuple(sets)))
    if scenario is not None:
        with tempfile.TemporaryDirectory() as tmp:
            _check_resolved(scenario, Path(tmp))


# Changing an event's kind is left out: the scenario's own table is complete, so a default
# (a gap's level = 0.0) counts as given for the new kind, where the file may have left it out.
CHANGE_PATHS = tuple(key for key in SET_PATHS if not key.endswith("kind"))


def _toml_int(value: Any) -> bool:
    """Not an integer longer than TOML text can carry (tomllib stops at 4300 digits)."""
    return not isinstance(value, int) or len(str(value)) < 4000


@given(
    changes=st.dictionaries(
        st.sampled_from(CHANGE_PATHS), toml_values.filter(_toml_int), min_size=1, max_size=3
    ),
    name=st.sampled_from(SCENARIO_FILES),
)
def test_fuzz_with_changes_agrees_with_set(changes: dict[str, Any], name: str) -> None:
    """``Scenario.with_changes`` gives what ``--set`` gives: the scenario or the problems."""
    sets = tuple(f"{key}={toml_value(value)}" for key, value in changes.items())
    loaded = load_scenario(REPO / name)
    outcomes = []
    for call in (
        lambda: load_scenario(REPO / name, overrides=sets),
        lambda: loaded.with_changes(changes),
    ):
        scenario = loads_or_fails_cleanly(call)
        problems = None
        if scenario is None:
            with pytest.raises(ForecastError) as caught:
                call()
            problems = caught.value.problems
        outcomes.append(problems or (scenario, dump_toml(scenario.resolved)))
    assert outcomes[0] == outcomes[1]


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
    """Copy ``data/`` to ``root`` with one of ``names`` mutated (or deleted); its name."""
    name = data.draw(st.sampled_from(names), label="file")
    for path in DATA.glob("*.csv"):
        if path.name in (*HISTORY_FILES, *OTHER_FILES):
            (root / path.name).write_bytes(path.read_bytes())
    if data.draw(st.integers(0, 50), label="delete_file") == 0:
        (root / name).unlink()
    else:
        (root / name).write_bytes(mutate_csv(data, (DATA / name).read_bytes(), raw=raw))
    return name


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
            assert np.all(loaded.working_days(months) >= 0)


@functools.cache
def _bundled() -> tuple:
    history = load_history(DATA)
    return history, reconcile(history)


@given(data=st.data())
def test_fuzz_claims(data: st.DataObject) -> None:
    """Edited claim files load (and check against the history) or fail cleanly."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "claims.csv"
        path.write_bytes(mutate_csv(data, CLAIMS.read_bytes()))
        claims = loads_or_fails_cleanly(lambda: load_claims(path))
        if claims is not None:
            verdicts = check_claims(claims, *_bundled())
            assert len(verdicts) == len(claims)


def test_loads_or_fails_cleanly_rejects_multi_line_problems() -> None:
    def bad() -> None:
        raise ForecastError("first\nsecond")

    with pytest.raises(AssertionError, match="not one line"):
        loads_or_fails_cleanly(bad)


# ---------------------------------------------------------------------------------------------
# Regressions: one per bug the fuzzers found


def _scenario_problems(tmp_path: Path, extra: str, overrides: tuple[str, ...] = ()) -> list[str]:
    path = tmp_path / "s.toml"
    path.write_text(
        (REPO / "tests/scenarios_valid/base.toml").read_text() + extra, encoding="utf-8"
    )
    with pytest.raises(ForecastError) as caught:
        load_scenario(path, overrides=overrides)
    for problem in caught.value.problems:
        assert len(problem.splitlines()) == 1, problem
    return [problem.removeprefix(f"{path}: ") for problem in caught.value.problems]


def test_keys_with_line_breaks_are_quoted_in_messages(tmp_path: Path) -> None:
    problems = _scenario_problems(tmp_path, '\n[model.extra]\n"a\\rb" = 1\n')
    assert problems == ["model.extra: unknown key"]
    problems = _scenario_problems(
        tmp_path, '\n[lines."x\\ny"]\nfamily = "logistic"\n"\\u2028" = 1\n'
    )
    assert problems == ['lines."x\\ny"."\\u2028": unknown key']


def test_strings_with_line_breaks_are_escaped_in_messages(tmp_path: Path) -> None:
    problems = _scenario_problems(tmp_path, "", ('model.family="a\\nb"',))
    assert problems[0].startswith('--set: model.family: unknown family "a\\nb"')


def test_long_strings_are_shortened_in_messages(tmp_path: Path) -> None:
    problems = _scenario_problems(tmp_path, "", (f'model.family="{"x" * 10_000}"',))
    assert f'"{"x" * 60}..." (10,000 characters)' in problems[0]
    assert len(problems[0]) < 200


def test_integers_beyond_float_range_are_not_finite_numbers(tmp_path: Path) -> None:
    big = "9" * 400
    problems = _scenario_problems(
        tmp_path, "", (f"model.noise_scale={big}", f"events[0].weeks={big}")
    )
    assert problems == [
        f"--set: model.noise_scale: expected a finite number, got {big}",
        f"--set: events[0].weeks: expected a finite number, got {big}",
    ]


def test_integers_tomllib_cannot_convert_are_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("a = " + "9" * 5000 + "\n")
    with pytest.raises(
        ForecastError, match=r"s.toml: invalid TOML: exceeds the limit \(4300 digits\)"
    ):
        load_scenario(path)


def test_deeply_nested_arrays_are_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("a = " + "[" * 2000 + "]" * 2000 + "\n")
    with pytest.raises(
        ForecastError, match="s.toml: invalid TOML: arrays or tables nested too deeply"
    ):
        load_scenario(path)
    with pytest.raises(ForecastError, match="nested too deeply"):
        load_scenario(REPO / "scenarios/baseline.toml", overrides=("target.units=" + "[" * 2000,))


def test_csv_fields_over_the_size_limit_are_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "calendar.csv"
    lines = (DATA / "calendar.csv").read_text().splitlines()
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
    path.write_text(CLAIMS.read_text().replace("target,2026,total", "target,2026-Q1,total", 1))
    with pytest.raises(
        ForecastError,
        match=r"claims.csv:11: period: a target claim needs a year as YYYY, got '2026-Q1'",
    ):
        load_claims(path)
