"""``Scenario.with_changes``: typed changes meet every rule ``--set`` does."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from forecast.errors import ConfigError
from forecast.load.paths import default_company_dir
from forecast.months import month_ordinal
from forecast.scenario.distributions import Fixed, Triangular, Uniform
from forecast.scenario.parse import load_scenario
from forecast.scenario.table import dump_toml, scenario_hash, toml_value
from forecast.scenario.types import (
    GapEvent,
    Scenario,
)

VALID = Path(__file__).resolve().parents[1] / "scenarios_valid"


def _outcome(call) -> object:
    """The scenario and its resolved table, or the problems it raised."""
    try:
        scenario = call()
    except ConfigError as error:
        return error.problems
    return scenario, scenario.resolved


# One change per rule the loader enforces, as a key path and a plain value.
CHANGES = [
    ("events[0].weeks", 12),
    ("events[0].weeks", {"dist": "uniform", "low": 4, "high": 8}),
    ("events[0].weeks.high", 20),
    ("events[0].weeks", -1),
    ("events[0].weeks", {"dist": "uniform", "low": 8, "high": 4}),
    ("events[0].weeks", {"dist": "triangel", "low": 4, "high": 8}),
    ("events[0].weeks", True),
    ("events[0].start", "2025-03"),
    ("events[0].start", 13),
    ("events[0].level", 1.5),
    ("events[0].bogus", 1),
    ("events[1].factor", 1.2),
    ("events[1].months", []),
    ("events[1].months", ["2026-02", "2026-02"]),
    ("events[1].name", "su7-retool"),
    ("events[9].weeks", 1),
    ("events", []),
    ("lines.SU7.multiplier", -1),
    ("lines.SU7.family", "logistc"),
    ("lines.YU9.family", "damped"),
    ("model.family", "logistic"),
    ("model.noise_scale", -0.5),
    ("model.error_walk", 3),
    ("model.error_walk", "auto"),
    ("model.parameter_uncertainty", 1),
    ("target.units", 0),
    ("target.units", 600_000),
    ("target.units.x", 1),
    ("target.unit", 5),
    ("target.year", 2025),
    ("target.year", 99),
    ("history.as_of", "2027-01"),
    ("history.as_of", "2026-13"),
    ("simulation.n_paths", 0),
    ("simulation.n_paths", 10_000_001),
    ("simulation.seed", -1),
    ("simulation.seed", 3),
    ("scenario.name", "what if"),
    ("scenario.extends", "x.toml"),
    ("scenario.events", "replace"),
    ("bogus", {"x": 1}),
]


@pytest.mark.parametrize(("key", "value"), CHANGES, ids=[f"{k}={v}" for k, v in CHANGES])
def test_with_changes_gives_what_set_gives(key: str, value: object) -> None:
    by_set = _outcome(
        lambda: load_scenario(VALID / "variant.toml", overrides=(f"{key}={toml_value(value)}",))
    )
    changed = _outcome(lambda: load_scenario(VALID / "variant.toml").with_changes({key: value}))
    assert changed == by_set


def test_with_changes_reports_every_problem_and_names_the_file_that_set_each_key() -> None:
    scenario = load_scenario(VALID / "variant.toml")
    with pytest.raises(ConfigError) as caught:
        scenario.with_changes({"target.year": 2025, "simulation.n_paths": 0, "x..y": 1})
    base, variant = VALID / "base.toml", VALID / "variant.toml"
    outside = "is outside the target year 2025"
    assert caught.value.problems == (
        '--set: "x..y": not a key path (write e.g. events[0].weeks)',
        f"{base}: history.as_of: 2026-01 is after the target year 2025; "
        "it must be 2025-12 or earlier",
        "--set: simulation.n_paths: must be at least 1, got 0",
        f"{base}: events[0].start: 2026-01-07 {outside}",
        f"{base}: events[1].months[0]: 2026-02 {outside}",
        f"{variant}: events[2].step_month.low: 2026-06 {outside}",
        f"{variant}: events[2].step_month.high: 2026-09 {outside}",
        f"{variant}: events[3].start.values[0]: 2026-07 {outside}",
        f"{variant}: events[3].start.values[1]: 2026-08 {outside}",
    )
    with pytest.raises(ConfigError, match=r"^--vary: events\[0\]\.weeks: must be at least 0"):
        scenario.with_changes({"events[0].weeks": -1.0}, label="--vary")


def test_with_changes_takes_python_values() -> None:
    scenario = load_scenario(VALID / "variant.toml")
    changed = scenario.with_changes(
        {
            "events[0].weeks": Uniform(low=4, high=8),
            "events[1].months": ("2026-03", "2026-04"),
            "lines.SU7.multiplier": 1.25,
        }
    )
    assert changed.events[0].weeks == Uniform(low=4, high=8)
    assert changed.events[1].months == (month_ordinal(2026, 3), month_ordinal(2026, 4))
    assert changed.lines["SU7"].multiplier == Fixed(value=1.25)
    assert changed.events[2:] == scenario.events[2:] and changed.path == scenario.path
    assert scenario.with_changes({}) == scenario


def test_a_replaced_field_is_in_the_resolved_table_and_the_hash() -> None:
    """Regression: the table was stored beside the fields, and replace left it stale."""
    scenario = load_scenario(VALID / "base.toml")
    replaced = dataclasses.replace(scenario, n_paths=5, events=scenario.events[1:])
    assert replaced.resolved["simulation"]["n_paths"] == 5
    assert [e["kind"] for e in replaced.resolved["events"]] == ["dip"]
    assert scenario_hash(replaced) != scenario_hash(scenario)
    assert scenario_hash(replaced) == scenario_hash(
        load_scenario(
            VALID / "base.toml", overrides=("simulation.n_paths=5", "events=[]")
        ).with_changes({"events": [replaced.resolved["events"][0]]})
    )
    weeks = dataclasses.replace(scenario.events[0].weeks, high=20.0)  # forgets how it was written
    event = dataclasses.replace(scenario.events[0], weeks=weeks)
    table = dataclasses.replace(scenario, events=(event,)).resolved
    assert table["events"][0]["weeks"] == {
        "dist": "triangular",
        "low": 6.0,
        "mode": 8.0,
        "high": 20.0,
    }


def test_a_scenario_made_in_code_has_a_resolved_table_and_can_change() -> None:
    scenario = Scenario(
        name="made",
        description="",
        path=None,
        target_year=2026,
        target_units=500_000,
        data_dir=default_company_dir(),
        as_of=month_ordinal(2026, 1),
        events=(
            GapEvent(
                name="stop",
                line=None,
                start=Fixed(value=2.0),
                weeks=Triangular(low=2, mode=3, high=4),
                ramp_weeks=None,
                level=Fixed(value=0.0),
            ),
        ),
    )
    assert dump_toml(scenario.resolved).endswith(
        '[[events]]\nkind = "gap"\nname = "stop"\nstart = 2.0\n'
        'weeks = { dist = "triangular", low = 2, mode = 3, high = 4 }\nlevel = 0.0\n'
    )
    assert scenario.with_changes({}) == scenario
    with pytest.raises(ConfigError, match="^made: target.units: must be greater than 0, got -1$"):
        scenario.with_changes({"events[0].weeks": 3, "target.units": -1}, label="made")
