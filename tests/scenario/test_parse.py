"""Scenario loading: valid files, the invalid corpus, extends, ``--set``, the documented keys."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from forecast.errors import ConfigError
from forecast.load.paths import default_company_dir
from forecast.months import month_ordinal
from forecast.scenario.distributions import DIST_PARAMS, Fixed, Triangular, Uniform
from forecast.scenario.parse import (
    EVENT_COMMON_KEYS,
    EVENT_KEYS,
    LINE_KEYS,
    SECTION_KEYS,
    load_scenario,
)
from forecast.scenario.table import dump_toml, scenario_hash
from forecast.scenario.types import (
    CapacityEvent,
    GapEvent,
    LaunchEvent,
    MultiplierEvent,
)

TESTS = Path(__file__).resolve().parents[1]
VALID = TESTS / "scenarios_valid"
INVALID = TESTS / "scenarios_invalid"
REFERENCE = TESTS.parent / "docs" / "scenarios.md"

MINIMAL = """
[target]
year = 2026
units = 550000

[history]
as_of = "2026-01"
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path | str, **kwargs) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_scenario(path, **kwargs)
    return list(caught.value.problems)


# --- valid files


def test_base_scenario_loads_with_every_field() -> None:
    scenario = load_scenario(VALID / "base.toml")
    assert (scenario.name, scenario.target_year, scenario.target_units) == ("base", 2026, 550000)
    assert scenario.as_of == month_ordinal(2026, 1)
    assert scenario.data_dir == default_company_dir()
    assert (scenario.n_paths, scenario.seed, scenario.family) == (2000, 7, "auto")
    assert scenario.lines["SU7"].family == "logistic"
    assert scenario.lines["SU7"].multiplier == Triangular(low=0.9, mode=1.0, high=1.1)
    gap, dip = scenario.events
    assert isinstance(gap, GapEvent) and gap.name == "su7-retool" and gap.line == "SU7"
    assert gap.start == Fixed(value=pytest.approx(1 + 6 / 31))
    assert gap.level == Fixed(value=0.0)
    assert isinstance(dip, MultiplierEvent) and dip.name == "dip[1]" and dip.line is None
    assert dip.months == (month_ordinal(2026, 2),)


def test_defaults_for_a_minimal_file(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, "tiny.toml", MINIMAL))
    assert scenario.name == "tiny" and scenario.description == ""
    assert (scenario.n_paths, scenario.seed) == (100_000, 20260201)
    assert (scenario.noise_scale, scenario.parameter_uncertainty) == (1.0, True)
    assert scenario.events == () and dict(scenario.lines) == {}


def test_extends_merges_tables_and_appends_events() -> None:
    scenario = load_scenario(VALID / "variant.toml")
    assert scenario.name == "variant"
    assert scenario.description == "Base plus a capacity step and a launch."
    assert (scenario.target_year, scenario.target_units) == (2026, 600000)
    assert scenario.lines["SU7"].family == "gompertz"  # changed by the child
    assert scenario.lines["SU7"].multiplier is not None  # kept from the parent
    assert [event.name for event in scenario.events] == [
        "su7-retool",
        "dip[1]",
        "capacity[2]",
        "launch[3]",
    ]
    capacity, launch = scenario.events[2:]
    assert isinstance(capacity, CapacityEvent) and capacity.overflow == "backlog"
    assert capacity.step_month == Uniform(low=6, high=9)
    assert isinstance(launch, LaunchEvent) and launch.start.quantile(0.5) == 7


def test_extends_chain_with_replaced_events() -> None:
    scenario = load_scenario(VALID / "replace.toml")
    assert scenario.name == "replace" and scenario.description == ""
    assert scenario.target_units == 600000  # from variant.toml, two levels up
    assert [event.kind for event in scenario.events] == ["shock", "boost", "launch"]


def test_replace_without_events_drops_inherited_events(tmp_path: Path) -> None:
    text = f'[scenario]\nextends = "{(VALID / "base.toml").as_posix()}"\nevents = "replace"\n'
    assert load_scenario(_write(tmp_path, "quiet.toml", text)).events == ()


def test_history_data_is_relative_to_the_file_that_sets_it(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "sub").mkdir()
    _write(tmp_path, "parent.toml", MINIMAL + 'data = "data"\n')
    child = _write(tmp_path / "sub", "child.toml", '[scenario]\nextends = "../parent.toml"\n')
    assert load_scenario(child).data_dir == tmp_path / "data"


def test_dates_become_month_numbers(tmp_path: Path) -> None:
    text = MINIMAL + (
        '[[events]]\nkind = "launch"\nline = "YU9"\nstart = 2026-03-16\nlevel = 1\n'
        '[[events]]\nkind = "launch"\nline = "YU8"\nstart = "2026-12-31"\nlevel = 1\n'
    )
    first, last = load_scenario(_write(tmp_path, "dates.toml", text)).events
    assert first.start.mean == pytest.approx(3 + 15 / 31)
    assert last.start.mean == pytest.approx(12 + 30 / 31)


# --- overrides


def test_overrides_are_applied_after_extends() -> None:
    scenario = load_scenario(
        VALID / "variant.toml",
        overrides=(
            "target.units=700000",
            "events[0].weeks.high=20",
            "model.family=logistic",
            "lines.YU9.family='damped'",
            'scenario.name="what if"',
            'events[1].factor={ dist = "uniform", low = 0.5, high = 0.9 }',
        ),
    )
    assert scenario.target_units == 700000 and scenario.name == "what if"
    assert scenario.events[0].weeks == Triangular(low=6, mode=8, high=20)
    assert scenario.events[1].factor == Uniform(low=0.5, high=0.9)
    assert scenario.family == "logistic" and scenario.lines["YU9"].family == "damped"


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ("target.units", '--set: "target.units": expected key.path=value'),
        ("target..units=1", '--set: "target..units": not a key path (write e.g. events[0].weeks)'),
        ("target.units=[1,", '--set: target.units: invalid TOML value "[1,": invalid value'),
        ("events[9].weeks=1", "--set: events[9]: index out of range (there are 2)"),
        ("target.units.x=1", "--set: target.units.x: the parent is not a table"),
        (
            'scenario.extends="x.toml"',
            "--set: scenario.extends: cannot be overridden (it steers extends)",
        ),
        (
            "target.units=true",
            "--set: target.units: expected an integer, got true (booleans are not numbers)",
        ),
        ("simulation.n_paths=0", "--set: simulation.n_paths: must be at least 1, got 0"),
        ("target.unit=5", '--set: target.unit: unknown key (did you mean "units"?)'),
    ],
)
def test_bad_overrides(override: str, problem: str) -> None:
    assert _problems(VALID / "base.toml", overrides=(override,)) == [problem]


def test_resolved_scenario_is_self_contained(tmp_path: Path) -> None:
    original = load_scenario(VALID / "variant.toml", overrides=("simulation.seed=3",))
    raw = original.resolved
    assert "extends" not in raw["scenario"] and raw["scenario"]["name"] == "variant"
    assert raw["simulation"] == {"n_paths": 2000, "seed": 3}
    flat = _write(tmp_path, "flat.toml", dump_toml(raw))
    again = load_scenario(flat)
    assert again.events == original.events and again.lines == original.lines
    assert dataclasses.replace(again, path=original.path) == original
    assert scenario_hash(again) == scenario_hash(original)


# --- typed changes: Scenario.with_changes meets every rule --set does


# --- invalid corpus: every file gets its exact messages


INVALID_FILES = sorted(INVALID.glob("*.toml"))


@pytest.mark.parametrize("path", INVALID_FILES, ids=[p.stem for p in INVALID_FILES])
def test_invalid_scenario_gets_its_exact_messages(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(INVALID)
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    assert _problems(path.name) == expected


def test_every_invalid_file_has_expected_messages() -> None:
    assert {p.stem for p in INVALID.glob("*.expected")} == {p.stem for p in INVALID_FILES}


def test_missing_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    assert _problems("nowhere.toml") == ["nowhere.toml: file not found"]


def test_syntax_error_at_end_of_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "cut.toml", "[target]\nyear = ")
    assert _problems("cut.toml") == ["cut.toml:2:8: invalid TOML: invalid value"]


# --- TOML writing


# --- the reference documents every key the loader accepts


def _documented_keys() -> set[str]:
    """``section.key`` for every table row of docs/scenarios.md, under its heading."""
    keys: set[str] = set()
    section = ""
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^#+ (.*)$", line)
        if heading:
            title = heading.group(1)
            table = re.search(r"`\[\[?([A-Za-z.]+)\]\]?`", title)
            kinds = re.findall(r'`kind = "(\w+)"`', title)
            section = table.group(1) if table else ",".join(f"events.{k}" for k in kinds)
            section = "dist" if title == "Distributions" else section
            continue
        row = re.match(r"^\| `(\w+)` \| ([^|]*) \|", line)
        if row and section == "dist":
            keys |= {f"dist.{row.group(1)}.{p}" for p in re.findall(r"`(\w+)`", row.group(2))}
        elif row:
            keys |= {f"{part}.{row.group(1)}" for part in section.split(",")}
    return keys


def _accepted_keys() -> set[str]:
    keys = {f"{name}.{key}" for name, section in SECTION_KEYS.items() for key in section}
    keys |= {f"lines.NAME.{key}" for key in LINE_KEYS}
    for kind, fields in EVENT_KEYS.items():
        keys |= {f"events.{kind}.{key}" for key in (*EVENT_COMMON_KEYS, *fields)}
    for dist, (required, optional) in DIST_PARAMS.items():
        keys |= {f"dist.{dist}.{key}" for key in (*required, *optional)}
    return keys


def test_reference_documents_every_key_the_loader_accepts() -> None:
    documented = _documented_keys()
    # the common event keys are documented once, under [[events]]
    documented |= {
        f"events.{kind}.{key}"
        for kind in EVENT_KEYS
        for key in EVENT_COMMON_KEYS
        if f"events.{key}" in documented
    }
    undocumented = _accepted_keys() - documented
    assert not undocumented, f"add these keys to docs/scenarios.md: {sorted(undocumented)}"


def test_schema_is_what_the_loader_accepts(tmp_path: Path) -> None:
    """The tables above are the loader's truth: a key outside them is rejected."""
    extra = "\n[scenario]\nbogus = 1\n[model]\nbogus = 1\n[simulation]\nbogus = 1\n"
    path = _write(tmp_path, "extra.toml", MINIMAL.replace("as_of", "bogus = 1\nas_of") + extra)
    problems = _problems(path)
    for section in ("history", "scenario", "model", "simulation"):
        assert f"{path}: {section}.bogus: unknown key" in problems


# --- the command line


# --- bad input the issue found (issue 15)


def test_a_bom_before_the_first_key_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_scenario(path).target_units == 550000


def test_a_bare_month_in_set_is_taken_as_a_month() -> None:
    scenario = load_scenario(VALID / "base.toml", overrides=("history.as_of=2025-12",))
    assert scenario.as_of == month_ordinal(2025, 12)


def test_a_set_that_breaks_events_names_set(tmp_path: Path) -> None:
    problems = _problems(VALID / "base.toml", overrides=("events[0]=5",))
    assert problems == ["--set: events[0]: expected a table, written [[events]], got 5"]


@pytest.mark.parametrize(
    ("units", "shown"),
    [(10**400, "100000000000...000 (401 digits)"), (10**12 + 1, "1000000000001")],
)
def test_target_units_beyond_a_trillion_are_refused(units: int, shown: str) -> None:
    problems = _problems(VALID / "base.toml", overrides=(f"target.units={units}",))
    assert problems == [f"--set: target.units: must be at most 1,000,000,000,000, got {shown}"]


def test_numbers_beyond_1e12_are_refused_everywhere() -> None:
    sets = (
        "model.noise_scale=1e13",
        "events[0].weeks=1e308",
        'lines.SU7.multiplier={dist="discrete", values=[1, 2], weights=[1e308, 1e308]}',
    )
    assert _problems(VALID / "base.toml", overrides=sets) == [
        "--set: model.noise_scale: expected a number from -1e12 to 1e12, got 10000000000000.0",
        "--set: lines.SU7.multiplier.weights[0]: expected a number from -1e12 to 1e12, got 1e+308",
        "--set: lines.SU7.multiplier.weights[1]: expected a number from -1e12 to 1e12, got 1e+308",
        "--set: events[0].weeks: expected a number from -1e12 to 1e12, got 1e+308",
    ]


@pytest.mark.parametrize(
    ("key", "where"),
    [
        ("scenario.name", "scenario.name"),
        ("events[0].name", "events[0].name"),
        ("events[0].line", "events[0].line"),
        ("history.company", "history.company"),
    ],
)
def test_names_with_control_characters_are_refused(key: str, where: str) -> None:
    problems = _problems(VALID / "base.toml", overrides=(f'{key}="a\\nerror: forged\\u001b[2J"',))
    assert problems == [
        f"--set: {where}: a name must not contain control characters (line breaks, tabs, "
        'escapes), got "a\\nerror: forged\\u001b[2J"'
    ]


def test_an_extends_chain_longer_than_the_limit_is_one_clear_error(tmp_path: Path) -> None:
    _write(tmp_path, "s0.toml", MINIMAL)
    for i in range(1, 1000):
        _write(tmp_path, f"s{i}.toml", f'[scenario]\nextends = "s{i - 1}.toml"\n')
    assert load_scenario(tmp_path / "s31.toml").target_units == 550000  # 32 files: allowed
    assert _problems(tmp_path / "s32.toml") == [
        f"{tmp_path / 's1.toml'}: scenario.extends: the chain of extends is more than 32 files "
        f"long (from {tmp_path / 's32.toml'}); at most 32 files, see docs/scenarios.md"
    ]
    assert len(_problems(tmp_path / "s999.toml")) == 1


def test_extends_of_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    path = _write(tmp_path, "s.toml", f'[scenario]\nextends = "{tmp_path / "passwd"}"\n')
    assert _problems(path) == [
        f"{path}: scenario.extends: expected a scenario file ending in .toml, "
        f'got "{tmp_path / "passwd"}"'
    ]


def test_paths_outside_the_scenario_folder_are_recorded(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "lib").mkdir()
    _write(tmp_path / "lib", "base.toml", MINIMAL)
    _write(tmp_path / "lib", "near.toml", '[scenario]\nextends = "base.toml"\n')
    mine = tmp_path / "mine"
    mine.mkdir()
    path = _write(
        mine,
        "s.toml",
        f'[scenario]\nextends = "{tmp_path / "lib" / "near.toml"}"\n[history]\ndata = "../data"\n',
    )
    scenario = load_scenario(path)
    assert scenario.outside == (
        ("extends", str(tmp_path / "lib" / "near.toml")),
        ("extends", str(tmp_path / "lib" / "base.toml")),
        ("history.data", str(tmp_path / "data")),
    )
    assert scenario.with_changes({"simulation.seed": 3}).outside == scenario.outside
    assert load_scenario(tmp_path / "lib" / "near.toml").outside == ()
