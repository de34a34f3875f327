"""A ``Scenario`` written back as one TOML table: the resolved scenario and its hash.

The table is built from the scenario's fields, so it cannot fall out of step with them
(``dataclasses.replace`` included). It is self-contained (no ``extends``), in the schema's
order, and complete: every key with its value, defaults too, except absent optional values,
an empty description, the bundled data folder, an event name that is the loader's default
and ``target.units`` when the scenario leaves it to the company's announced targets. Numbers and dates are as the file wrote them where it did (``Dist.written``), so a
resolved file reads like its source; loading the written text gives the same scenario
again, and ``scenario_hash`` is the SHA-256 of that text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping
from typing import Any

from forecast.load import paths
from forecast.months import format_month
from forecast.scenario.distributions import dist_value, toml_key, toml_string
from forecast.scenario.types import Event, LineSettings, Scenario

__all__ = ["dump_toml", "scenario_hash", "scenario_table", "toml_value"]

Table = dict[str, Any]


def scenario_table(scenario: Scenario) -> Table:
    """The resolved table of ``scenario``: ``[scenario]``, ``[target]``, ``[history]``,
    ``[model]``, ``[simulation]``, ``[supply]``, then ``[lines.NAME]`` and ``[[events]]`` if any."""
    s = scenario
    if s.company is not None:
        history: Table = {"company": s.company}
    elif s.data_dir.parent == paths.COMPANIES and s.data_dir.name == paths.default_company():
        history = {}  # (the bundled default is looked up only for a bundled folder)
    else:
        history = {"data": str(s.data_dir)}
    table: Table = {
        "scenario": {"name": s.name} | ({"description": s.description} if s.description else {}),
        # units the scenario left to the data stay left out, so that a change of the
        # year, as_of or company takes that company's target for them again
        "target": {"year": s.target_year}
        | ({"units": s.target_units} if s.target_statement is None else {}),
        "history": history | {"as_of": format_month(s.as_of)},
        "model": {
            "family": s.family,
            "parameter_uncertainty": s.parameter_uncertainty,
            "noise_scale": s.noise_scale,
            "error_walk": "auto" if s.error_walk is None else s.error_walk,
        },
        "simulation": {"n_paths": s.n_paths, "seed": s.seed},
        "supply": {"ceiling": s.supply.ceiling}
        | ({} if s.supply.cancel is None else {"cancel": dist_value(s.supply.cancel)}),  # type: ignore[arg-type]
    }
    if s.lines:
        table["lines"] = {name: _line_table(settings) for name, settings in s.lines.items()}
    if s.events:
        table["events"] = [_event_table(event, index) for index, event in enumerate(s.events)]
    return table


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 (hex) of the scenario's resolved TOML: equal hashes, equal assumptions."""
    return hashlib.sha256(dump_toml(scenario.resolved).encode("utf-8")).hexdigest()


def _line_table(settings: LineSettings) -> Table:
    table: Table = {} if settings.family == "auto" else {"family": settings.family}
    if settings.multiplier is not None:
        table["multiplier"] = dist_value(settings.multiplier)  # type: ignore[arg-type]
    return table


def _event_table(event: Event, index: int) -> Table:
    table: Table = {"kind": event.kind}
    if event.name != f"{event.kind}[{index}]":  # the loader's default name stays implicit
        table["name"] = event.name
    if event.line is not None:
        table["line"] = event.line
    for key in event.FIELDS:
        value = getattr(event, key)
        if value is not None:
            table[key] = _field_value(value)
    return table


def _field_value(value: object) -> object:
    if isinstance(value, tuple):  # a dip's or boost's months: ordinals, written "YYYY-MM"
        return [format_month(month) for month in value]
    if isinstance(value, str | float):  # overflow, probability
        return value
    return dist_value(value)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# TOML text


def dump_toml(table: Mapping[str, Any]) -> str:
    """Serialise a table of the types scenarios use; ``tomllib.loads`` gives it back.

    Top-level tables become ``[sections]``, arrays of tables ``[[sections]]``, and small
    tables of plain values (``{ dist = ... }``) inline tables.
    """
    return "\n".join(_dump_table(table, ())).strip("\n") + "\n"


def _dump_table(table: Mapping[str, Any], prefix: tuple[str, ...]) -> list[str]:
    plain = {k: v for k, v in table.items() if not _is_section(v, len(prefix))}
    out = [f"{toml_key(k)} = {toml_value(v)}" for k, v in plain.items()]
    for key, value in table.items():
        if key in plain:
            continue
        name = ".".join(toml_key(part) for part in (*prefix, key))
        if isinstance(value, Mapping):
            header = ["", f"[{name}]"] if _needs_header(value, len(prefix) + 1) else []
            out += [*header, *_dump_table(value, (*prefix, key))]
        else:
            for item in value:
                out += ["", f"[[{name}]]", *_dump_table(item, (*prefix, key))]
    return out


def _is_section(value: object, depth: int) -> bool:
    """Written as a ``[section]`` (or ``[[array]]``) rather than inline?"""
    if isinstance(value, list):
        return bool(value) and all(isinstance(item, Mapping) for item in value)
    if isinstance(value, Mapping):
        return depth == 0 or any(
            _is_section(v, depth + 1) or isinstance(v, Mapping) for v in value.values()
        )
    return False


def _needs_header(table: Mapping[str, Any], depth: int) -> bool:
    return not table or any(not _is_section(v, depth) for v in table.values())


def toml_value(value: Any) -> str:
    """One value as inline TOML (tables as ``{ k = v }``), e.g. for a ``--set`` line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Mapping):
        items = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return f"{{ {items} }}" if items else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
