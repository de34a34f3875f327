"""The resolved scenario table: TOML writing and the scenario hash."""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.scenario.parse import load_scenario
from forecast.scenario.table import dump_toml, scenario_hash

VALID = Path(__file__).resolve().parents[1] / "scenarios_valid"


def test_hash_changes_with_any_assumption() -> None:
    base = load_scenario(VALID / "base.toml")
    assert scenario_hash(base) == scenario_hash(load_scenario(VALID / "base.toml"))
    changed = load_scenario(VALID / "base.toml", overrides=("events[0].weeks.mode=9",))
    assert scenario_hash(changed) != scenario_hash(base)
    assert re.fullmatch(r"[0-9a-f]{64}", scenario_hash(base))


def test_dump_toml_round_trips_a_scenario_table() -> None:
    table = tomllib.loads((VALID / "base.toml").read_text(encoding="utf-8"))
    assert tomllib.loads(dump_toml(table)) == table


_keys = st.text(min_size=1, max_size=8)


_scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.dates(),
)


_inline = st.dictionaries(_keys, _scalars, max_size=3)


_values = st.one_of(_scalars, st.lists(_scalars, max_size=3), _inline)


_tables = st.dictionaries(_keys, _values, max_size=4)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    root=_tables,
    sections=st.dictionaries(_keys, _tables, max_size=3),
    events=st.lists(_tables, max_size=3),
)
def test_dump_toml_round_trips(root: dict, sections: dict, events: list) -> None:
    table = {**root, **sections}
    if events:
        table["events"] = events
    assert tomllib.loads(dump_toml(table)) == table


def test_dump_toml_writes_special_floats_and_nested_tables() -> None:
    table = {
        "a": {"b": {"c": {"x": 1}, "y": math.inf}},
        "d": [{"e": -math.inf}],
        "t": dt.date(2026, 1, 7),
    }
    assert tomllib.loads(dump_toml(table)) == table
