"""Fuzzing the scenario loader: every scenario file, ``--set`` string and typed change either
loads or fails with a ``ForecastError``.

Each target starts from the test scenarios (``tests/scenarios_valid/``) and the hand-made
project's (``tests/factories.py``: every kind of event, chains of ``extends``), mutates them
(swapped types, deleted and duplicated keys and lines, NaN and infinity, huge and negative
numbers, empty, very long and unicode strings, deep nesting, truncation, BOMs, stray bytes)
and loads the result. A ``ForecastError`` must list at least one problem, each a single
non-empty line; any other exception is a bug. The CSV files are fuzzed in
``tests/load/test_fuzz.py``.

The number of examples comes from the hypothesis profile (``tests.fuzzing.fuzz_target``): 100
per target by default, ten thousand under ``ci`` (what .ci/run sets) and ``fuzz``::

    HYPOTHESIS_PROFILE=fuzz python -m pytest tests -k fuzz -q

Function-scoped pytest fixtures are not reset between hypothesis examples, so every example
makes its own ``tempfile.TemporaryDirectory``.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from forecast.engine import pipeline
from forecast.engine.cache import FitCache
from forecast.errors import ForecastError
from forecast.load import paths
from forecast.load.bundle import DataBundle
from forecast.scenario.parse import load_scenario
from forecast.scenario.table import dump_toml, toml_value
from forecast.scenario.types import Scenario
from tests import factories
from tests.factories import Project
from tests.fuzzing import fuzz_target, loads_or_fails_cleanly, runs_or_fails_cleanly

TESTS = Path(__file__).resolve().parents[1]
# The seeds by their path in a fuzzing folder: the hand-made scenarios read ``../data``.
SOURCES = {
    **{
        f"scenarios_valid/{path.name}": path.read_bytes()
        for path in sorted((TESTS / "scenarios_valid").glob("*.toml"))
    },
    **{f"scenarios/{name}.toml": text.encode() for name, text in factories.SCENARIOS.items()},
}
SCENARIO_FILES = tuple(SOURCES)


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
    (root / "data").mkdir()  # the hand-made scenarios' history.data must be a folder
    for name, text in SOURCES.items():
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_bytes(text)


@pytest.fixture(scope="module")
def scenario_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with every seed scenario, for the targets that do not edit them."""
    root = tmp_path_factory.mktemp("scenarios")
    _copy_scenarios(root)
    return root


@pytest.fixture(scope="module", autouse=True)
def _default_company_is_the_hand_made_one(project: Project) -> Iterator[None]:
    """A seed of tests/scenarios_valid/ names no company: the default one's targets.csv is
    read when a mutation drops target.units. The hand-made company stands in for the bundled
    one, which unit tests may not read."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paths, "default_company_dir", lambda: project.data)
        yield


@pytest.fixture(scope="module")
def engine(bundle: DataBundle) -> Engine:
    """The hand-made data and the fits its seed scenarios need (as of 2026-01), for
    ``runs_or_fails_cleanly``: what loads must run, or fail cleanly before simulating."""
    cache, fits = FitCache.in_memory(), {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _copy_scenarios(root)
        for name in SCENARIO_FILES:
            try:
                scenario = load_scenario(root / name)
                fits[pipeline.scenario_key(bundle, scenario)] = pipeline.fit(
                    bundle, scenario, cache=cache
                )
            except ForecastError:
                continue  # a seed the hand-made data cannot answer (the bundled lines)
    return bundle, fits


Engine = tuple[DataBundle, dict]


def _load_folder(
    root: Path, name: str, overrides: tuple[str, ...] = (), engine: Engine | None = None
) -> None:
    """Load the mutated file ``name`` and the first file that extends it (one is enough to
    exercise the merge, and the budget is 10,000 examples); with ``engine``, run what loads
    as far as the data allows."""
    path = root / name
    children = [
        other
        for other in sorted(path.parent.glob("*.toml"))
        if f'extends = "{path.name}"'.encode() in other.read_bytes()
    ]
    for each in (path, *children[:1]):
        scenario = loads_or_fails_cleanly(lambda p=each: load_scenario(p, overrides=overrides))
        if scenario is not None:
            _check_resolved(scenario, root)
            if engine is not None:
                runs_or_fails_cleanly(*engine, scenario)


def _check_resolved(scenario: Scenario, folder: Path) -> None:
    """The resolved TOML reads back as the same table, and loads as the same scenario."""
    text = dump_toml(scenario.resolved)
    assert _same(tomllib.loads(text), scenario.resolved)
    flat = folder / "resolved.toml"
    flat.write_text(text, encoding="utf-8")
    again = dataclasses.replace(load_scenario(flat), path=scenario.path)
    assert again == scenario and dump_toml(again.resolved) == text


@fuzz_target
@given(data=st.data(), name=st.sampled_from(SCENARIO_FILES))
def test_fuzz_scenario_tables(data: st.DataObject, name: str, engine: Engine) -> None:
    """Edited scenario tables load or fail with one-line problems."""
    table = mutate_table(data, tomllib.loads(SOURCES[name].decode()))
    text = dump_toml(table)
    assert _same(tomllib.loads(text), table), "dump_toml does not round-trip"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _copy_scenarios(root)
        (root / name).write_text(text, encoding="utf-8")
        _load_folder(root, name, engine=engine)


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


@fuzz_target
@given(data=st.data(), name=st.sampled_from(SCENARIO_FILES))
@example(data=None, name="deep")  # a 2000-deep array: RecursionError in tomllib
@example(data=None, name="huge_int")  # a 5000-digit integer: ValueError in tomllib
def test_fuzz_scenario_text(data: st.DataObject | None, name: str, engine: Engine) -> None:
    """Scenario files with raw edits (truncated, stray bytes, lines gone) load or fail cleanly."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _copy_scenarios(root)
        if data is None:  # a regression example
            value = b"[" * 2000 + b"]" * 2000 if name == "deep" else b"9" * 5000
            name = "scenarios/baseline.toml"
            (root / name).write_bytes(SOURCES[name] + b"\nz = " + value + b"\n")
        else:
            (root / name).write_bytes(mutate_bytes(data, SOURCES[name]))
        _load_folder(root, name, engine=engine)


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


@fuzz_target
@given(sets=st.lists(overrides(), min_size=1, max_size=3), name=st.sampled_from(SCENARIO_FILES))
@example(sets=["target.units=" + "9" * 5000], name="scenarios/baseline.toml")
@example(sets=["target.units=" + "[" * 2000], name="scenarios/baseline.toml")
@example(sets=["history.data=" + "x" * 10_000], name="scenarios/baseline.toml")  # ENAMETOOLONG
@example(sets=['scenario.name="' + "x" * 10_000 + '"'], name="scenarios/baseline.toml")
def test_fuzz_set_overrides(
    sets: list[str], name: str, scenario_root: Path, engine: Engine
) -> None:
    """``--set`` strings load or fail cleanly; what loads runs or fails cleanly."""
    path = scenario_root / name
    scenario = loads_or_fails_cleanly(lambda: load_scenario(path, overrides=tuple(sets)))
    if scenario is not None:
        with tempfile.TemporaryDirectory() as tmp:
            _check_resolved(scenario, Path(tmp))
        runs_or_fails_cleanly(*engine, scenario)


# Changing an event's kind is left out: the scenario's own table is complete, so a default
# (a gap's level = 0.0) counts as given for the new kind, where the file may have left it out.
CHANGE_PATHS = tuple(key for key in SET_PATHS if not key.endswith("kind"))


def _toml_int(value: Any) -> bool:
    """Not an integer longer than TOML text can carry (tomllib stops at 4300 digits)."""
    return not isinstance(value, int) or len(str(value)) < 4000


@fuzz_target
@given(
    changes=st.dictionaries(
        st.sampled_from(CHANGE_PATHS), toml_values.filter(_toml_int), min_size=1, max_size=3
    ),
    name=st.sampled_from(SCENARIO_FILES),
)
def test_fuzz_with_changes_agrees_with_set(
    changes: dict[str, Any], name: str, scenario_root: Path
) -> None:
    """``Scenario.with_changes`` gives what ``--set`` gives: the scenario or the problems."""
    sets = tuple(f"{key}={toml_value(value)}" for key, value in changes.items())
    path = scenario_root / name
    loaded = load_scenario(path)
    outcomes = []
    for call in (
        lambda: load_scenario(path, overrides=sets),
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


def _scenario_problems(tmp_path: Path, extra: str, overrides: tuple[str, ...] = ()) -> list[str]:
    path = tmp_path / "s.toml"
    path.write_text((TESTS / "scenarios_valid" / "base.toml").read_text() + extra, encoding="utf-8")
    with pytest.raises(ForecastError) as caught:
        load_scenario(path, overrides=overrides)
    for problem in caught.value.problems:
        assert len(problem.splitlines()) == 1, problem
    return [problem.removeprefix(f"{path}: ") for problem in caught.value.problems]


def test_keys_with_line_breaks_are_quoted_in_messages(tmp_path: Path) -> None:
    problems = _scenario_problems(tmp_path, '\n[model.extra]\n"a\\rb" = 1\n')
    assert problems == ["model.extra: unknown key"]
    problems = _scenario_problems(tmp_path, '\n[lines."x y"]\nfamily = "logistic"\n"\\u2028" = 1\n')
    assert problems == ['lines."x y"."\\u2028": unknown key']
    problems = _scenario_problems(tmp_path, '\n[lines."x\\ny"]\nfamily = "logistic"\n')
    assert problems == [
        'lines."x\\ny": a name must not contain control characters (line breaks, tabs, escapes)'
    ]


def test_strings_with_line_breaks_are_escaped_in_messages(tmp_path: Path) -> None:
    problems = _scenario_problems(tmp_path, "", ('model.family="a\\nb"',))
    assert problems[0].startswith('--set: model.family: unknown family "a\\nb"')


def test_long_strings_are_shortened_in_messages(tmp_path: Path) -> None:
    problems = _scenario_problems(tmp_path, "", (f'model.family="{"x" * 10_000}"',))
    assert f'"{"x" * 60}..." (10,000 characters)' in problems[0]
    assert len(problems[0]) < 250


def test_integers_beyond_float_range_are_not_finite_numbers(tmp_path: Path) -> None:
    big = "9" * 400
    problems = _scenario_problems(
        tmp_path, "", (f"model.noise_scale={big}", f"events[0].weeks={big}")
    )
    shown = "999999999999...999 (400 digits)"  # never the 400 digits whole
    assert problems == [
        f"--set: model.noise_scale: expected a finite number, got {shown}",
        f"--set: events[0].weeks: expected a finite number, got {shown}",
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
        load_scenario(
            TESTS / "scenarios_valid" / "base.toml", overrides=("target.units=" + "[" * 2000,)
        )
