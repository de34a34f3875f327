"""Scenario files: TOML -> a validated, frozen ``Scenario``.

Loading has three steps, each a small function over plain tables:

1. **resolve**: read the file, follow ``scenario.extends`` (relative to the file), merge the
   parent under the child table by table, and record which file set each key (``origins``),
   so every problem names the file the user has to edit;
2. **change**: apply ``--set key.path=value`` strings (values parsed as TOML), or the plain
   values of ``Scenario.with_changes``, to the table; the same code does both;
3. **validate**: check every key of the merged table, collecting *all* problems, and build
   the frozen types of ``forecast.scenario.types``.

``Scenario.with_changes`` runs steps 2 and 3 again on the scenario's own table
(``forecast.scenario.table``), so a changed scenario meets every rule a file does.

Every problem is one line, ``file: key.path: problem``; all of them are raised together as
one ``ConfigError``. The reference for the format is ``docs/scenarios.md``.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from forecast.errors import ConfigError, DataError
from forecast.fit.calibration import MAX_WALK
from forecast.load import paths
from forecast.load.csvfile import display_path
from forecast.load.targets import TargetStatement, latest_target, load_targets, no_target_text
from forecast.months import format_month, month_ordinal, parse_month
from forecast.scenario.distributions import (
    MAX_NUMBER,
    TOO_LARGE,
    AnyDist,
    Fixed,
    Normal,
    did_you_mean,
    dist_value,
    format_number,
    is_finite,
    parse_dist,
    show_value,
    toml_key,
    toml_string,
)
from forecast.scenario.table import scenario_table
from forecast.scenario.types import (
    MAX_PATHS,
    CapacityEvent,
    Event,
    GapEvent,
    LaunchEvent,
    LineSettings,
    MultiplierEvent,
    Scenario,
    ShockEvent,
    SupplySettings,
)

__all__ = [
    "EVENT_KEYS",
    "EVENT_RANGES",
    "FAMILIES",
    "LINE_KEYS",
    "LINE_RANGES",
    "MODEL_RANGES",
    "SECTION_KEYS",
    "SUPPLY_RANGES",
    "ValueRange",
    "apply_overrides",
    "change_scenario",
    "load_scenario",
    "value_range",
]

FAMILIES = ("auto", "loglinear", "logistic", "gompertz", "damped", "lifecycle", "level")
OVERFLOWS = ("lost", "backlog")
CEILINGS = ("auto", "none")
EVENTS_MODES = ("append", "replace")

# The schema: the loader accepts exactly these keys (docs/scenarios.md documents each one).
SECTION_KEYS: dict[str, tuple[str, ...]] = {
    "scenario": ("name", "description", "extends", "events"),
    "target": ("year", "units"),
    "history": ("company", "data", "as_of"),
    "model": ("family", "parameter_uncertainty", "noise_scale", "error_walk"),
    "simulation": ("n_paths", "seed"),
    "supply": ("ceiling", "cancel"),
    "lines": (),  # a table of [lines.NAME] tables, see LINE_KEYS
    "events": (),  # an array of [[events]] tables, see EVENT_KEYS
}
LINE_KEYS = ("family", "multiplier")
EVENT_COMMON_KEYS = ("kind", "name", "line")
EVENT_KEYS: dict[str, tuple[str, ...]] = {
    "gap": GapEvent.FIELDS,
    "dip": MultiplierEvent.FIELDS,
    "boost": MultiplierEvent.FIELDS,
    "capacity": CapacityEvent.FIELDS,
    "launch": LaunchEvent.FIELDS,
    "shock": ShockEvent.FIELDS,
}

SET_LABEL = "--set"
MAX_EXTENDS = 32  # files in one extends chain (docs/scenarios.md); a longer one is an error
MAX_UNITS = 10**12  # a target beyond this is a typo (and sums of units stay exact floats)
TARGETS_FILE = "targets.csv"  # in a company folder: forecast.load.targets

KeyPath = tuple[str | int, ...]
Table = dict[str, Any]


# ---------------------------------------------------------------------------------------------
# Public API


def load_scenario(path: str | Path, *, overrides: Sequence[str] = ()) -> Scenario:
    """Load, merge and validate a scenario file.

    Parameters
    ----------
    path
        The scenario TOML file, or the name of one in the bundled library (``baseline``).
    overrides
        ``"key.path=value"`` strings (``value`` parsed as TOML), applied after ``extends``.

    Returns
    -------
    Scenario
        Frozen and validated; ``resolved`` writes it back as one table
        (``forecast.scenario.table``).

    Raises
    ------
    ConfigError
        Listing every problem, one ``file: key.path: problem`` line each.
    """
    path = paths.scenario_path(path)
    problems: list[str] = []
    raw = _load_chain(path, str(path), (), problems)
    changes = _parsed(overrides, _parse_override, SET_LABEL, problems)
    scenario = _changed(raw, changes, SET_LABEL, path, str(path), problems)
    return _with_outside(scenario, raw.parents)


def apply_overrides(scenario: Scenario, overrides: Sequence[str]) -> Scenario:
    """``--set key.path=value`` strings applied to a loaded scenario, as ``load_scenario``
    applies them to a file (the same problems, in the same words)."""
    return _rechanged(scenario, overrides, _parse_override, SET_LABEL)


def change_scenario(
    scenario: Scenario, changes: Mapping[str, object], *, label: str = SET_LABEL
) -> Scenario:
    """``scenario`` with ``changes`` (key path -> plain value) applied and validated again.

    The implementation of ``Scenario.with_changes``; see there.
    """
    return _rechanged(scenario, changes.items(), _parse_change, label)


def value_range(scenario: Scenario, key: str) -> ValueRange:
    """The values the number at ``key`` (a ``--set`` key path such as ``events[0].weeks``)
    may take, as the loader checks them; ``ValueError`` if ``key`` names no such number."""
    key_path = _parse_key_path(key)
    ranges: Mapping[str, ValueRange] = {}
    match key_path:
        case ("events", int(index), str()) if index < len(scenario.events):
            ranges = EVENT_RANGES[scenario.events[index].kind]
        case ("lines", str(), str()):
            ranges = LINE_RANGES
        case ("model", str()):
            ranges = MODEL_RANGES
        case ("supply", str()):
            ranges = SUPPLY_RANGES
    if key_path[-1] not in ranges:
        raise ValueError(f"{key}: not a number with a range in the scenario")
    return ranges[str(key_path[-1])]


def _rechanged(
    scenario: Scenario,
    items: Iterable[Any],
    parse: Callable[[Any], tuple[KeyPath, object]],
    label: str,
) -> Scenario:
    """Steps 2 and 3 again, on the scenario's own table and its keys' origins."""
    problems: list[str] = []
    raw = _Raw(table=scenario_table(scenario), origins=dict(scenario.origins))
    changes = _parsed(items, parse, label, problems)
    default = str(scenario.path) if scenario.path is not None else scenario.name
    changed = _changed(raw, changes, label, scenario.path, default, problems)
    parents = tuple(text for what, text in scenario.outside if what == "extends")
    return _with_outside(changed, parents)


def _with_outside(scenario: Scenario, parents: Sequence[str]) -> Scenario:
    """``scenario`` with ``outside`` filled in: the files it extends and its history folder
    that lie outside the scenario file's own folder (an absolute or ``../`` path), which the
    run record names. Allowed, but never silent."""
    if scenario.path is None:
        return scenario
    home = scenario.path.resolve().parent
    outside = [("extends", parent) for parent in parents if not _inside(Path(parent), home)]
    data = scenario.resolved.get("history", {}).get("data")
    if data is not None and not _inside(Path(data), home):
        outside.append(("history.data", data))
    return dataclasses.replace(scenario, outside=tuple(outside))


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder)
    except ValueError:
        return False
    return True


def _changed(
    raw: _Raw,
    changes: Iterable[tuple[KeyPath, object]],
    label: str,
    path: Path | None,
    default: str,
    problems: list[str],
) -> Scenario:
    """Steps 2 and 3: ``changes`` applied to ``raw``, then the whole table validated."""
    raw = _apply_changes(raw, changes, label, problems)
    table = _finish(raw.table, path)
    collector = _Problems(origins=raw.origins, default=default)
    scenario = _build_scenario(table, path, collector)
    problems += collector.lines
    if problems or scenario is None:
        raise ConfigError(problems)
    return scenario


# ---------------------------------------------------------------------------------------------
# Step 1: read files and follow ``extends``


@dataclass(frozen=True, slots=True, kw_only=True)
class _Raw:
    """A merged table and, for each key path set, the label of the file that set it."""

    table: Table
    origins: dict[KeyPath, str] = field(default_factory=dict)
    parents: tuple[str, ...] = ()  # the files extended, nearest first


def _finish(table: Table, path: Path | None) -> Table:
    """The scenario named after its file if it names itself nowhere; sections in order."""
    section = table.setdefault("scenario", {})
    if isinstance(section, dict) and "name" not in section and path is not None:
        section["name"] = path.stem
    order = {key: index for index, key in enumerate(SECTION_KEYS)}
    return dict(sorted(table.items(), key=lambda item: order.get(item[0], len(order))))


def _read_toml(path: Path, label: str) -> Table:
    """Parse one TOML file; problems are ``label: ...`` / ``label:LINE:COL: invalid TOML``."""
    try:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")  # a BOM: editors add one
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise ConfigError(f"{label}: file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{label}: invalid TOML: the file is not UTF-8 text") from None
    except OSError as error:
        raise ConfigError(f"{label}: cannot read: {error.strerror}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(_toml_error(label, text, error)) from None
    except ValueError as error:  # e.g. an integer of more than 4300 digits
        raise ConfigError(f"{label}: invalid TOML: {_one_line(error)}") from None
    except RecursionError:
        raise ConfigError(f"{label}: invalid TOML: arrays or tables nested too deeply") from None


def _one_line(error: Exception) -> str:
    """The error's message on one line, first letter lower case, hints after ";" left out."""
    message = " ".join(str(error).split()).split("; use ")[0]
    return message[:1].lower() + message[1:]


_AT_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_AT_END_RE = re.compile(r"\s*\(at end of document\)$")


def _toml_error(label: str, text: str, error: tomllib.TOMLDecodeError) -> str:
    """``label:LINE:COL: invalid TOML: message``; Python 3.11 keeps LINE/COL in the text."""
    message = str(error)
    match = _AT_RE.search(message)
    if match:
        line, col = int(match.group(1)), int(match.group(2))
    else:
        lines = text.split("\n")
        line, col = len(lines), len(lines[-1]) + 1
    message = _one_line(ValueError(_AT_END_RE.sub("", _AT_RE.sub("", message))))
    return f"{label}:{line}:{col}: invalid TOML: {message[:1].lower()}{message[1:]}"


def _load_chain(
    path: Path, label: str, chain: tuple[tuple[Path, str], ...], problems: list[str]
) -> _Raw:
    """One file merged over everything it extends, its origins recorded."""
    table = _read_toml(path, label)
    extends, mode = _take_scenario_meta(table, label, problems)
    _absolute_data(table, path.parent, label, problems)
    own = _Raw(table=table, origins=_mark(table, (), label))
    if extends is None:
        return own
    chain = (*chain, (path.resolve(), label))
    parent_path = path.parent / extends
    parent_label = os.path.normpath(parent_path)
    if not _is(parent_path, Path.is_file):  # first: a path with a NUL byte cannot be resolved
        raise ConfigError(f"{label}: scenario.extends: file not found: {toml_string(extends)}")
    if parent_path.suffix.lower() != ".toml":
        raise ConfigError(
            f"{label}: scenario.extends: expected a scenario file ending in .toml, "
            f"got {toml_string(extends)}"
        )
    if len(chain) >= MAX_EXTENDS:
        raise ConfigError(
            f"{label}: scenario.extends: the chain of extends is more than {MAX_EXTENDS} files "
            f"long (from {chain[0][1]}); at most {MAX_EXTENDS} files, see docs/scenarios.md"
        )
    seen = [resolved for resolved, _ in chain]
    if parent_path.resolve() in seen:
        loop = [name for _, name in chain[seen.index(parent_path.resolve()) :]]
        cycle = " -> ".join([*loop, parent_label])
        raise ConfigError(f"{label}: scenario.extends: extends cycle: {cycle}")
    parent = _load_chain(parent_path, parent_label, chain, problems)
    merged = _merge(parent, own, mode)
    return dataclasses.replace(merged, parents=(parent_label, *parent.parents))


def _is(path: Path, check: Callable[[Path], bool]) -> bool:
    """``check(path)``, False where the OS refuses the name (too long: ENAMETOOLONG)."""
    try:
        return check(path)
    except OSError:
        return False


def _take_scenario_meta(table: Table, label: str, problems: list[str]) -> tuple[str | None, str]:
    """Remove and check ``scenario.extends`` and ``scenario.events`` (they steer the merge)."""
    section = table.get("scenario")
    if not isinstance(section, dict):
        return None, "append"
    extends = section.pop("extends", None)
    if extends is not None and not isinstance(extends, str):
        raise ConfigError(
            f"{label}: scenario.extends: expected a string (a path relative to this file), "
            f"got {show_value(extends)}"
        )
    mode = section.pop("events", "append")
    if mode not in EVENTS_MODES:
        problems.append(
            f'{label}: scenario.events: expected "append" or "replace", got {show_value(mode)}'
        )
        mode = "append"
    return extends, mode


def _absolute_data(table: Table, folder: Path, label: str, problems: list[str]) -> None:
    """Make ``history.data`` absolute (relative to ``folder``: that of the file that sets it,
    or the working directory for a change) and check the folder exists."""
    section = table.get("history")
    if not isinstance(section, dict) or "data" not in section:
        return
    data = section["data"]
    if not isinstance(data, str):
        problems.append(
            f"{label}: history.data: expected a string (a folder), got {show_value(data)}"
        )
        del section["data"]
        return
    found = folder / data
    if not _is(found, Path.is_dir):  # (False for a path with a NUL byte, which resolve() refuses)
        problems.append(f"{label}: history.data: folder not found: {show_value(data)}")
        del section["data"]
        return
    section["data"] = str(found.resolve())


def _mark(value: object, prefix: KeyPath, label: str) -> dict[KeyPath, str]:
    """Origins for ``value`` and everything inside it."""
    origins: dict[KeyPath, str] = {prefix: label} if prefix else {}
    if isinstance(value, dict):
        for key, item in value.items():
            origins |= _mark(item, (*prefix, key), label)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            origins |= _mark(item, (*prefix, index), label)
    return origins


def _merge(parent: _Raw, child: _Raw, mode: str) -> _Raw:
    """``child`` over ``parent``: tables key by key, ``[scenario]`` never inherited, events
    appended or replaced as ``mode`` says, a ``{ dist = ... }`` table replaced whole."""
    table = {key: value for key, value in parent.table.items() if key != "scenario"}
    origins = {k: v for k, v in parent.origins.items() if k[0] != "scenario"}
    for key, value in child.table.items():
        if key == "events":
            continue
        table[key] = _merge_values(table.get(key), value)
    origins |= {k: v for k, v in child.origins.items() if k[0] != "events"}
    table, origins = _merge_events(table, origins, child, mode)
    return _Raw(table=table, origins=origins)


def _merge_values(base: object, over: object) -> object:
    if isinstance(base, dict) and isinstance(over, dict) and "dist" not in over:
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _merge_values(merged.get(key), value)
        return merged
    return over


def _merge_events(
    table: Table, origins: dict[KeyPath, str], child: _Raw, mode: str
) -> tuple[Table, dict[KeyPath, str]]:
    parent_events = table.get("events", [])
    child_events = child.table.get("events", [])
    if mode == "replace" or not isinstance(parent_events, list):
        parent_events = []
        origins = {k: v for k, v in origins.items() if k[0] != "events"}
    if not isinstance(child_events, list):
        table["events"] = child_events
        return table, origins | {("events",): child.origins[("events",)]}
    shift = len(parent_events)
    for key, label in child.origins.items():
        if key[0] == "events" and len(key) > 1:
            origins[("events", key[1] + shift, *key[2:])] = label  # type: ignore[operator]
    table["events"] = [*parent_events, *child_events]
    if not table["events"]:
        del table["events"]
    return table, origins


# ---------------------------------------------------------------------------------------------
# Step 2: changes (``--set`` overrides and ``Scenario.with_changes``)

_SEGMENT_RE = re.compile(r"([A-Za-z0-9_-]+)((?:\[\d+\])*)")
_BARE_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_BARE_MONTH_RE = re.compile(r"\d{4}-\d{2}")  # 2025-12: a month, which TOML cannot write bare


def _parsed(
    items: Iterable[Any],
    parse: Callable[[Any], tuple[KeyPath, object]],
    label: str,
    problems: list[str],
) -> Iterator[tuple[KeyPath, object]]:
    """Each item parsed into (key path, value) as it is applied, so that problems keep the
    order of the changes; one that does not parse is a problem and is skipped."""
    for item in items:
        try:
            yield parse(item)
        except ValueError as error:
            problems.append(f"{label}: {error}")


def _apply_changes(
    raw: _Raw, changes: Iterable[tuple[KeyPath, object]], label: str, problems: list[str]
) -> _Raw:
    """Each value set at its key path, in order; the keys it sets are marked as ``label``'s."""
    table, origins = copy.deepcopy(raw.table), dict(raw.origins)
    for key_path, value in changes:
        try:
            _set_value(table, key_path, copy.deepcopy(value))
        except ValueError as error:
            problems.append(f"{label}: {error}")
            continue
        if key_path[:2] in (("history",), ("history", "data")):
            _absolute_data(table, Path.cwd(), label, problems)
        origins = {k: v for k, v in origins.items() if k[: len(key_path)] != key_path}
        origins |= _mark(value, key_path, label) | {key_path: label}
    return _Raw(table=table, origins=origins)


def _parse_override(text: str) -> tuple[KeyPath, object]:
    """``"events[0].weeks=12"`` -> (("events", 0, "weeks"), 12)."""
    key_text, sep, value_text = text.partition("=")
    if not sep:
        raise ValueError(f"{show_value(text)}: expected key.path=value")
    key_path = _settable(_parse_key_path(key_text.strip()))
    return key_path, _parse_toml_value(key_path, value_text.strip())


def _parse_change(item: tuple[object, object]) -> tuple[KeyPath, object]:
    """``("events[0].weeks", 12)`` -> (("events", 0, "weeks"), 12)."""
    key, value = item
    if not isinstance(key, str):
        raise ValueError(f"{show_value(key)}: not a key path (write e.g. events[0].weeks)")
    return _settable(_parse_key_path(key.strip())), _plain(value)


def _settable(key_path: KeyPath) -> KeyPath:
    if key_path[:2] in (("scenario", "extends"), ("scenario", "events")):
        raise ValueError(f"{_key_text(key_path)}: cannot be overridden (it steers extends)")
    return key_path


def _plain(value: object) -> object:
    """A ``with_changes`` value as TOML would give it: Dists as their tables, tuples as
    arrays, mappings as tables (anything else is checked by the validators)."""
    if hasattr(value, "ppf") and hasattr(value, "written"):
        return dist_value(value)  # type: ignore[arg-type]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _parse_key_path(text: str) -> KeyPath:
    parts: list[str | int] = []
    for segment in text.split("."):
        match = _SEGMENT_RE.fullmatch(segment)
        if match is None:
            raise ValueError(f"{show_value(text)}: not a key path (write e.g. events[0].weeks)")
        parts.append(match.group(1))
        parts.extend(int(index) for index in re.findall(r"\[(\d+)\]", match.group(2)))
    return tuple(parts)


def _parse_toml_value(key_path: KeyPath, text: str) -> object:
    """A TOML value; a bare word that is not TOML (``logistic``) is taken as a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (ValueError, RecursionError) as error:  # TOMLDecodeError is a ValueError
        if _BARE_WORD_RE.fullmatch(text) and text not in ("true", "false", "inf", "nan"):
            return text
        if _BARE_MONTH_RE.fullmatch(text):
            return text
        message = _AT_RE.sub("", _AT_END_RE.sub("", str(error)))
        if isinstance(error, RecursionError):
            message = "arrays or tables nested too deeply"
        raise ValueError(
            f"{_key_text(key_path)}: invalid TOML value {show_value(text)}: "
            f"{_one_line(ValueError(message)).lower()}"
        ) from None


def _set_value(table: Table, key_path: KeyPath, value: object) -> None:
    node: Any = table
    for depth, key in enumerate(key_path[:-1]):
        here = _key_text(key_path[: depth + 1])
        node = _step(node, key, here, create=not isinstance(key_path[depth + 1], int))
    last = key_path[-1]
    if isinstance(last, int):
        _check_index(node, last, _key_text(key_path))
    elif not isinstance(node, dict):
        raise ValueError(f"{_key_text(key_path)}: the parent is not a table")
    node[last] = value


def _step(node: Any, key: str | int, here: str, *, create: bool) -> Any:
    if isinstance(key, int):
        _check_index(node, key, here)
        return node[key]
    if not isinstance(node, dict):
        raise ValueError(f"{here}: the parent is not a table")
    if key not in node:
        node[key] = {} if create else []
    return node[key]


def _check_index(node: Any, index: int, here: str) -> None:
    if not isinstance(node, list):
        raise ValueError(f"{here}: not an array")
    if index >= len(node):
        raise ValueError(f"{here}: index out of range (there are {len(node)})")


# ---------------------------------------------------------------------------------------------
# Step 3: validate and build


class _Problems:
    """Collects ``file: key.path: problem`` lines, naming the file that set each key."""

    def __init__(self, *, origins: Mapping[KeyPath, str], default: str) -> None:
        self.origins, self.default = origins, default
        self.lines: list[str] = []

    def add(self, key_path: KeyPath, problem: str) -> None:
        self.lines.append(f"{self.locate(key_path)}: {_key_text(key_path)}: {problem}")

    def add_located(self, key_path: KeyPath, lines: Iterable[str]) -> None:
        """Lines that already start with their key path (from ``parse_dist``)."""
        self.lines.extend(f"{self.locate(key_path)}: {line}" for line in lines)

    def locate(self, key_path: KeyPath) -> str:
        for end in range(len(key_path), 0, -1):
            if key_path[:end] in self.origins:
                return self.origins[key_path[:end]]
        return self.default


def _key_text(key_path: KeyPath) -> str:
    """``("events", 0, "weeks")`` -> ``"events[0].weeks"``."""
    text = ""
    for key in key_path:
        key = key if isinstance(key, int) else toml_key(key)
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


_TYPE_CHECKS = {
    "an integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "a number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "a string": lambda v: isinstance(v, str),
    "a boolean": lambda v: isinstance(v, bool),
    "a table": lambda v: isinstance(v, dict),
}


def _typed(table: Table, key: str, path: KeyPath, want: str, out: _Problems) -> Any:
    """``table[key]`` if present and of type ``want``; else None (and a problem if wrong)."""
    if key not in table:
        return None
    value = table[key]
    if not _TYPE_CHECKS[want](value):
        out.add((*path, key), f"expected {want}, got {show_value(value)}")
        return None
    if want == "a number" and not is_finite(value):
        out.add((*path, key), f"expected a finite number, got {show_value(value)}")
        return None
    if want == "a number" and abs(value) > MAX_NUMBER:
        out.add((*path, key), f"{TOO_LARGE}, got {show_value(value)}")
        return None
    return value


_NOT_PRINTABLE = "a name must not contain control characters (line breaks, tabs, escapes)"


def _name(table: Table, key: str, path: KeyPath, out: _Problems) -> str | None:
    """A name (of the scenario, an event, a line, a company): a string that prints as itself
    on one line, since outputs and messages show it."""
    name = _typed(table, key, path, "a string", out)
    if name is not None and not name.isprintable():
        out.add((*path, key), f"{_NOT_PRINTABLE}, got {show_value(name)}")
        return None
    return name


def _required(table: Table, key: str, path: KeyPath, out: _Problems) -> bool:
    if key in table:
        return True
    out.add((*path, key), "missing (required)")
    return False


# Keys of earlier versions, with what replaced them.
_REPLACED: dict[KeyPath, str] = {
    ("model", "spread"): "replaced by model.error_walk (the monthly sd of a random walk, not a "
    "factor; see docs/scenarios.md)",
}


def _unknown_keys(table: Table, allowed: Sequence[str], path: KeyPath, out: _Problems) -> None:
    for key in table:
        if (*path, key) in _REPLACED:
            out.add((*path, key), _REPLACED[(*path, key)])
        elif key not in allowed:
            out.add((*path, key), f"unknown key{did_you_mean(key, allowed)}")


def _choice(table: Table, key: str, path: KeyPath, choices: Sequence[str], out: _Problems) -> Any:
    value = _typed(table, key, path, "a string", out)
    if value is not None and value not in choices:
        hint = did_you_mean(value, choices)
        out.add(
            (*path, key),
            f"unknown {key} {show_value(value)}{hint}; expected one of {', '.join(choices)}",
        )
        return None
    return value


def _section(table: Table, name: str, out: _Problems) -> Table:
    """A top-level table (``{}`` if absent or not a table), its unknown keys reported."""
    section = table.get(name, {})
    if not isinstance(section, dict):
        out.add((name,), f"expected a table, got {show_value(section)}")
        return {}
    _unknown_keys(section, SECTION_KEYS[name], (name,), out)
    return section


def _build_scenario(table: Table, path: Path | None, out: _Problems) -> Scenario | None:
    """Validate the merged table; the Scenario, or None when ``out`` has problems."""
    _unknown_keys(table, tuple(SECTION_KEYS), (), out)
    meta = _scenario_section(table, path, out)
    year, units = _target_section(table, out)
    data_dir, company, as_of = _history_section(table, year, out)
    statement = None
    section = table.get("target")
    # the default reads the company's targets: not for a table already found wrong (a
    # misspelt key, no valid company), which would only add a spurious second problem
    if units is None and isinstance(section, dict) and "units" not in section:
        if not out.lines:
            units, statement = _default_units(data_dir, company, year, as_of, out)
    model = _model_section(table, out)
    lines = _lines_section(table, out)
    simulation = _simulation_section(table, out)
    supply = _supply_section(table, out)
    events = _events_section(table, year, out)
    if out.lines:
        return None
    return Scenario(
        path=path,
        target_year=year,
        target_units=units,
        target_statement=statement,
        data_dir=data_dir,
        company=company,
        as_of=as_of,
        lines=MappingProxyType(lines),
        events=events,
        supply=supply,
        origins=MappingProxyType(dict(out.origins)),
        **meta,
        **model,
        **simulation,
    )


def _scenario_section(table: Table, path: Path | None, out: _Problems) -> dict[str, Any]:
    section = _section(table, "scenario", out)
    if path is None:
        _required(section, "name", ("scenario",), out)
    name = _name(section, "name", ("scenario",), out)
    description = _typed(section, "description", ("scenario",), "a string", out)
    return {"name": name or (path.stem if path else ""), "description": description or ""}


def _target_section(table: Table, out: _Problems) -> tuple[Any, Any]:
    section = _section(table, "target", out)
    _required(section, "year", ("target",), out)  # units: see _default_units
    year = _typed(section, "year", ("target",), "an integer", out)
    if year is not None and not 1000 <= year <= 9999:
        out.add(("target", "year"), f"expected a four-digit year, got {year}")
        year = None
    units = _typed(section, "units", ("target",), "an integer", out)
    if units is not None and units <= 0:
        out.add(("target", "units"), f"must be greater than 0, got {show_value(units)}")
    elif units is not None and units > MAX_UNITS:
        out.add(("target", "units"), f"must be at most {MAX_UNITS:,}, got {show_value(units)}")
    return year, units


def _default_units(
    data_dir: Path, company: str | None, year: int | None, as_of: int | None, out: _Problems
) -> tuple[int | None, TargetStatement | None]:
    """``target.units`` left out: the latest target for ``year`` known at ``as_of`` in the
    company's ``targets.csv`` (``forecast.load.targets.latest_target``), for a range its
    low end; a problem naming the missing target when there is none."""
    if year is None or as_of is None:
        return None, None  # already a problem
    try:
        statements = load_targets(data_dir / TARGETS_FILE)
    except DataError as error:
        out.lines.extend(error.problems)
        return None, None
    statement = latest_target(statements, year, as_of)
    if statement is None:
        who = company or display_path(data_dir)
        missing = no_target_text(statements, year, as_of)
        out.add(
            ("target", "units"),
            f"not set, and {who} has {missing}: set it, e.g. --set target.units=N",
        )
        return None, None
    return statement.units, statement


def _history_section(
    table: Table, year: int | None, out: _Problems
) -> tuple[Path, str | None, Any]:
    section = _section(table, "history", out)
    data = section.get("data")  # made absolute and checked while resolving
    company = _name(section, "company", ("history",), out)
    if isinstance(data, str):
        # your own folder replaces a bundled company named by a parent scenario
        data_dir, company = Path(data), None
    elif company is not None:
        try:
            data_dir = paths.company_dir(company)
        except ConfigError as error:
            out.add(("history", "company"), error.problems[0].split(": ", 1)[1])
            data_dir, company = paths.default_company_dir(), None
    else:
        data_dir = paths.default_company_dir()
    if not _required(section, "as_of", ("history",), out):
        return data_dir, company, None
    text = _typed(section, "as_of", ("history",), "a string", out)
    try:
        as_of = parse_month(text) if text is not None else None
    except ValueError as error:
        out.add(("history", "as_of"), str(error))
        return data_dir, company, None
    # December of the target year is allowed: the year is complete and the answer is known.
    if as_of is not None and year is not None and as_of > month_ordinal(year, 12):
        out.add(
            ("history", "as_of"),
            f"{text} is after the target year {year}; "
            f"it must be {format_month(month_ordinal(year, 12))} or earlier",
        )
    return data_dir, company, as_of


def _model_section(table: Table, out: _Problems) -> dict[str, Any]:
    section = _section(table, "model", out)
    path = ("model",)
    model: dict[str, Any] = {}
    family = _choice(section, "family", path, FAMILIES, out)
    if family is not None:
        model["family"] = family
    uncertainty = _typed(section, "parameter_uncertainty", path, "a boolean", out)
    if uncertainty is not None:
        model["parameter_uncertainty"] = uncertainty
    scale = _typed(section, "noise_scale", path, "a number", out)
    allowed = MODEL_RANGES["noise_scale"]
    if scale is not None and not allowed.low <= scale <= allowed.high:
        out.add(("model", "noise_scale"), f"must be {allowed.text}, got {format_number(scale)}")
    elif scale is not None:
        model["noise_scale"] = float(scale)
    walk = section.get("error_walk", "auto")
    if walk == "auto":
        pass
    elif isinstance(walk, bool) or not isinstance(walk, int | float) or not 0 <= walk <= MAX_WALK:
        want = f'"auto" or a number from 0 to {format_number(MAX_WALK)}'
        out.add(("model", "error_walk"), f"expected {want}, got {show_value(walk)}")
    else:
        model["error_walk"] = float(walk)
    return model


def _lines_section(table: Table, out: _Problems) -> dict[str, LineSettings]:
    lines = table.get("lines", {})
    if not isinstance(lines, dict):
        out.add(("lines",), f"expected a table of [lines.NAME] tables, got {show_value(lines)}")
        return {}
    settings = {}
    for name, section in lines.items():
        path: KeyPath = ("lines", name)
        if not isinstance(section, dict):
            out.add(path, f"expected a table, got {show_value(section)}")
            continue
        if not name.isprintable():
            out.add(path, _NOT_PRINTABLE)
            continue
        _unknown_keys(section, LINE_KEYS, path, out)
        family = _choice(section, "family", path, FAMILIES, out) or "auto"
        multiplier = _dist_field(section, "multiplier", path, LINE_RANGES["multiplier"], out)
        settings[name] = LineSettings(family=family, multiplier=multiplier)
    return settings


def _supply_section(table: Table, out: _Problems) -> SupplySettings:
    """``[supply]``: ``ceiling = "auto" | "none"`` and ``cancel``, a share a month."""
    section = _section(table, "supply", out)
    path = ("supply",)
    none = _choice(section, "ceiling", path, CEILINGS, out) == "none"
    cancel = _dist_field(section, "cancel", path, SUPPLY_RANGES["cancel"], out)
    return SupplySettings(ceiling="none" if none else "auto", cancel=cancel)


def _simulation_section(table: Table, out: _Problems) -> dict[str, Any]:
    section = _section(table, "simulation", out)
    path = ("simulation",)
    simulation: dict[str, Any] = {}
    for key, minimum in (("n_paths", 1), ("seed", 0)):
        value = _typed(section, key, path, "an integer", out)
        if value is not None and value < minimum:
            out.add((*path, key), f"must be at least {minimum}, got {value}")
        elif key == "n_paths" and value is not None and value > MAX_PATHS:
            out.add(
                (*path, key),
                f"must be at most {MAX_PATHS:,} (every path is kept in memory), got {value:,}",
            )
        elif value is not None:
            simulation[key] = value
    return simulation


# --- uncertain numbers and their ranges


@dataclass(frozen=True, slots=True, kw_only=True)
class ValueRange:
    """The values a number may take: [low, high], described for messages. ``below_high``:
    a fixed value must stay below ``high`` (13, the end of December, starts no month)."""

    text: str
    low: float = -math.inf
    high: float = math.inf
    below_high: bool = False


_AT_LEAST_0 = ValueRange(text="at least 0", low=0)
_FRACTION = ValueRange(text="between 0 and 1", low=0, high=1)
_MONTHS = ValueRange(
    text="a month number from 1 (start of January) to 13 (end of December)",
    low=1,
    high=13,
    below_high=True,
)

# The range of every number a scenario holds, by where it is: what the readers below check,
# and what ``value_range`` tells other code (``forecast solve`` clips its brackets to it).
EVENT_RANGES: Mapping[str, Mapping[str, ValueRange]] = MappingProxyType(
    {
        "gap": {
            "start": _MONTHS,
            "weeks": _AT_LEAST_0,
            "ramp_weeks": _AT_LEAST_0,
            "level": _FRACTION,
        },
        "dip": {"factor": ValueRange(text="between 0 and 1 for a dip", low=0, high=1)},
        "boost": {"factor": ValueRange(text="at least 1 for a boost", low=1)},
        "capacity": {"limit": _AT_LEAST_0, "step_month": _MONTHS, "step_limit": _AT_LEAST_0},
        "launch": {"start": _MONTHS, "level": _AT_LEAST_0, "ramp_months": _AT_LEAST_0},
        "shock": {
            "probability": _FRACTION,
            "start": _MONTHS,
            "months": _AT_LEAST_0,
            "size": _FRACTION,
        },
    }
)
LINE_RANGES: Mapping[str, ValueRange] = MappingProxyType({"multiplier": _AT_LEAST_0})
MODEL_RANGES: Mapping[str, ValueRange] = MappingProxyType({"noise_scale": _AT_LEAST_0})
SUPPLY_RANGES: Mapping[str, ValueRange] = MappingProxyType({"cancel": _FRACTION})


def _dist_field(
    table: Table,
    key: str,
    path: KeyPath,
    allowed: ValueRange,
    out: _Problems,
    *,
    number: Any = None,
) -> AnyDist | None:
    """``table[key]`` as a Dist whose support lies in ``allowed``; None if absent or invalid."""
    if key not in table:
        return None
    key_path = (*path, key)
    kwargs = {"number": number} if number is not None else {}
    try:
        dist = parse_dist(table[key], _key_text(key_path), **kwargs)
    except ConfigError as error:
        out.add_located(key_path, error.problems)
        return None
    return dist if _in_range(dist, key_path, allowed, out) else None


def _in_range(dist: AnyDist, key_path: KeyPath, allowed: ValueRange, out: _Problems) -> bool:
    low, high = dist.support
    if allowed.low <= low and high <= allowed.high:
        return True
    if dist.is_fixed:
        out.add(key_path, f"must be {allowed.text}, got {format_number(low)}")
        return False
    below = low < allowed.low
    edge, bound = (low, allowed.low) if below else (high, allowed.high)
    hint = ""
    if isinstance(dist, Normal):
        hint = f" (truncate it: add {'low' if below else 'high'} = {format_number(bound)})"
    out.add(
        key_path,
        f"must be {allowed.text}, but {dist.describe()} reaches {format_number(edge)}{hint}",
    )
    return False


def _month_number_parser(year: int | None) -> Any:
    """A ``number`` parser for ``parse_dist`` that also takes dates in the target year."""

    def parse(value: object, key_text: str) -> float:
        if isinstance(value, str | dt.date) and not isinstance(value, dt.datetime):
            return _date_to_month_number(value, key_text, year)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if is_finite(value) and abs(value) <= MAX_NUMBER:
                return float(value)
        raise ValueError(
            f'{key_text}: expected a date ("{year or "YYYY"}-03" or "{year or "YYYY"}-03-15") '
            f"or a month number, got {show_value(value)}"
        )

    return parse


_DATE_RE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


def _date_to_month_number(value: str | dt.date, key_text: str, year: int | None) -> float:
    """``"2026-01-07"`` -> 1 + 6/31: the month number of the start of that day."""
    if isinstance(value, str):
        match = _DATE_RE.fullmatch(value)
        try:
            if match is None:
                raise ValueError
            day = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3) or 1))
        except ValueError:
            raise ValueError(
                f'{key_text}: expected a date as "YYYY-MM" or "YYYY-MM-DD", got {show_value(value)}'
            ) from None
    else:
        day = value
    if year is not None and day.year != year:
        raise ValueError(f"{key_text}: {value} is outside the target year {year}")
    next_month = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    days = (next_month - day.replace(day=1)).days
    return day.month + (day.day - 1) / days


def _month_position(
    table: Table, key: str, path: KeyPath, year: int | None, out: _Problems
) -> AnyDist | None:
    dist = _dist_field(table, key, path, _MONTHS, out, number=_month_number_parser(year))
    if dist is not None and dist.is_fixed and dist.mean >= _MONTHS.high:
        out.add((*path, key), f"must be {_MONTHS.text}, got 13 (use a month number below 13)")
        return None
    return dist


def _event_number(
    table: Table, kind: str, key: str, path: KeyPath, year: int | None, out: _Problems
) -> AnyDist | None:
    """``table[key]`` of an event of ``kind`` as a Dist in its range (``EVENT_RANGES``)."""
    allowed = EVENT_RANGES[kind][key]
    if allowed is _MONTHS:  # a month position, which may also be written as a date
        return _month_position(table, key, path, year, out)
    return _dist_field(table, key, path, allowed, out)


# --- events


def _events_section(table: Table, year: int | None, out: _Problems) -> tuple[Event, ...]:
    events = table.get("events", [])
    if not isinstance(events, list):
        out.add(("events",), "expected an array of tables, written [[events]]")
        return ()
    not_tables = [index for index, event in enumerate(events) if not isinstance(event, dict)]
    for index in not_tables:  # located at the item, so a --set names itself
        out.add(
            ("events", index),
            f"expected a table, written [[events]], got {show_value(events[index])}",
        )
    if not_tables:
        return ()
    built = [_event(event, index, year, out) for index, event in enumerate(events)]
    _unique_names(events, built, out)
    return tuple(event for event in built if event is not None)


def _event(table: Table, index: int, year: int | None, out: _Problems) -> Event | None:
    path: KeyPath = ("events", index)
    if not _required(table, "kind", path, out):
        return None
    kind = _choice(table, "kind", path, tuple(EVENT_KEYS), out)
    if kind is None:
        return None
    _unknown_keys(table, (*EVENT_COMMON_KEYS, *EVENT_KEYS[kind]), path, out)
    name = _name(table, "name", path, out) or f"{kind}[{index}]"
    line = _name(table, "line", path, out)
    problems_before = len(out.lines)
    fields = _EVENT_READERS[kind](table, path, year, out)
    if len(out.lines) > problems_before:
        return None
    return _EVENT_TYPES[kind](name=name, line=line, **fields)


def _unique_names(tables: list[Table], built: list[Event | None], out: _Problems) -> None:
    seen: dict[str, int] = {}
    for index, (table, event) in enumerate(zip(tables, built, strict=True)):
        if event is None:
            continue
        if event.name in seen:
            out.add(
                ("events", index, "name") if "name" in table else ("events", index),
                f'duplicate event name "{event.name}" (also events[{seen[event.name]}])',
            )
        seen.setdefault(event.name, index)


def _required_all(table: Table, keys: Sequence[str], path: KeyPath, out: _Problems) -> None:
    for key in keys:
        _required(table, key, path, out)


def _gap(table: Table, path: KeyPath, year: int | None, out: _Problems) -> dict[str, Any]:
    _required_all(table, ("start", "weeks"), path, out)

    def number(key: str) -> AnyDist | None:
        return _event_number(table, "gap", key, path, year, out)

    level = number("level")
    return {
        "start": number("start"),
        "weeks": number("weeks"),
        "ramp_weeks": number("ramp_weeks"),
        "level": level if level is not None else Fixed(value=0.0),
    }


def _multiplier(table: Table, path: KeyPath, year: int | None, out: _Problems) -> dict[str, Any]:
    _required_all(table, ("months", "factor"), path, out)
    kind = table["kind"]
    return {
        "kind": kind,
        "months": _month_list(table, path, year, out),
        "factor": _event_number(table, kind, "factor", path, year, out),
    }


def _month_list(table: Table, path: KeyPath, year: int | None, out: _Problems) -> tuple[int, ...]:
    value = table.get("months", [])
    value = [value] if isinstance(value, str) else value
    key_path = (*path, "months")
    if not isinstance(value, list) or ("months" in table and not value):
        out.add(
            key_path,
            f'expected an array of months like ["{year or 2026}-01"], got {show_value(value)}',
        )
        return ()
    months: list[int] = []
    for index, item in enumerate(value):
        month = _month_item(item, (*key_path, index), year, out)
        if month is not None and month in months:
            out.add((*key_path, index), f"{item} is listed twice")
        elif month is not None:
            months.append(month)
    return tuple(months)


def _month_item(item: object, key_path: KeyPath, year: int | None, out: _Problems) -> int | None:
    try:
        if not isinstance(item, str):
            raise ValueError(f'expected a month as "YYYY-MM", got {show_value(item)}')
        month = parse_month(item)
    except ValueError as error:
        out.add(key_path, str(error))
        return None
    if year is not None and month // 12 != year:
        out.add(key_path, f"{item} is outside the target year {year}")
        return None
    return month


def _capacity(table: Table, path: KeyPath, year: int | None, out: _Problems) -> dict[str, Any]:
    _required(table, "limit", path, out)
    if "step_month" in table and "step_limit" not in table:
        out.add((*path, "step_limit"), "missing (required when step_month is given)")
    if "step_limit" in table and "step_month" not in table:
        out.add((*path, "step_month"), "missing (required when step_limit is given)")
    return {
        "limit": _event_number(table, "capacity", "limit", path, year, out),
        "step_month": _event_number(table, "capacity", "step_month", path, year, out),
        "step_limit": _event_number(table, "capacity", "step_limit", path, year, out),
        "overflow": _choice(table, "overflow", path, OVERFLOWS, out) or "lost",
    }


def _launch(table: Table, path: KeyPath, year: int | None, out: _Problems) -> dict[str, Any]:
    if "line" not in table:
        out.add((*path, "line"), "missing (required: the name of the new line)")
    _required_all(table, ("start", "level"), path, out)
    return {
        "start": _event_number(table, "launch", "start", path, year, out),
        "level": _event_number(table, "launch", "level", path, year, out),
        "ramp_months": _event_number(table, "launch", "ramp_months", path, year, out),
    }


def _shock(table: Table, path: KeyPath, year: int | None, out: _Problems) -> dict[str, Any]:
    _required_all(table, ("probability", "start", "months", "size"), path, out)
    probability = _typed(table, "probability", path, "a number", out)
    allowed = EVENT_RANGES["shock"]["probability"]  # a plain number: the chance of the shock
    if probability is not None and not allowed.low <= probability <= allowed.high:
        out.add(
            (*path, "probability"),
            f"must be {allowed.text}, got {format_number(probability)}",
        )
    return {
        "probability": float(probability) if probability is not None else math.nan,
        "start": _event_number(table, "shock", "start", path, year, out),
        "months": _event_number(table, "shock", "months", path, year, out),
        "size": _event_number(table, "shock", "size", path, year, out),
    }


_EVENT_READERS = {
    "gap": _gap,
    "dip": _multiplier,
    "boost": _multiplier,
    "capacity": _capacity,
    "launch": _launch,
    "shock": _shock,
}
_EVENT_TYPES: dict[str, Any] = {
    "gap": GapEvent,
    "dip": MultiplierEvent,
    "boost": MultiplierEvent,
    "capacity": CapacityEvent,
    "launch": LaunchEvent,
    "shock": ShockEvent,
}
