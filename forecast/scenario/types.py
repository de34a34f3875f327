"""The validated scenario: frozen types the loader produces and the simulator consumes.

Month positions (``start``, ``step_month``) are month numbers within the target year:
1.0 is the start of January, 2.5 is mid-February. Every uncertain number is a ``Dist``.

Each event kind declares, once, the keys a file may give it (``FIELDS``, beyond ``kind``,
``name`` and ``line``) and its uncertain inputs (``INPUTS``): attributes holding a ``Dist``,
or None when the event does not draw that input. The loader, the resolved scenario, the
simulator's draws and the sensitivity analysis all read these two tuples.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

import numpy as np

from forecast.load.targets import TargetStatement

if TYPE_CHECKING:
    from forecast.scenario.distributions import Chance, Uniform


class Dist(Protocol):
    """An uncertain scalar. Draws go through ``ppf`` so one input can be pinned at a quantile."""

    def ppf(self, u: np.ndarray) -> np.ndarray: ...

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray: ...

    @property
    def mean(self) -> float: ...

    @property
    def is_fixed(self) -> bool: ...

    def describe(self) -> str: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class LineSettings:
    """``[lines.NAME]``: the line's growth family ("auto": the scenario's ``model.family``)
    and a multiplier on its demand."""

    family: str = "auto"
    multiplier: Dist | None = None


def _ramp_speed() -> Uniform:
    """The uniform that picks a fitted launch ramp's speed (``RampShape.fraction``'s ``u``)."""
    from forecast.scenario.distributions import Uniform  # scipy: only when simulating

    return Uniform(low=0.0, high=1.0)


def default_cancel() -> Dist:
    """The share of the waiting backlog cancelled each month when a scenario sets none.

    An assumption: buyers waiting for a car (a locked order, a deposit) mostly stay for a
    few months; from 2% to 20% of them leave a month, most likely 8%.
    """
    from forecast.scenario.distributions import parse_dist  # scipy: only when simulating

    return parse_dist(DEFAULT_CANCEL, "supply.cancel")


DEFAULT_CANCEL = {"dist": "triangular", "low": 0.02, "mode": 0.08, "high": 0.2}


@dataclass(frozen=True, slots=True, kw_only=True)
class SupplySettings:
    """``[supply]``: the company's monthly ceiling, ``"auto"`` (from its data:
    ``forecast.fit.supply``) or ``"none"``, and the share of waiting (unmet) demand cancelled
    each month (None: ``default_cancel()``)."""

    ceiling: Literal["auto", "none"] = "auto"
    cancel: Dist | None = None

    @property
    def cancel_dist(self) -> Dist:
        return default_cancel() if self.cancel is None else self.cancel


@dataclass(frozen=True, slots=True, kw_only=True)
class GapEvent:
    """A line (or the whole plant) stops (or falls to ``level``) from ``start`` for
    ``weeks``, then ramps back: its production, not its demand, whose unmet part waits.

    ``ramp``: the speed of the fitted ramp, uncertain when ``ramp_weeks`` is not given.
    """

    FIELDS: ClassVar[tuple[str, ...]] = ("start", "weeks", "ramp_weeks", "level")
    INPUTS: ClassVar[tuple[str, ...]] = ("start", "weeks", "level", "ramp_weeks", "ramp")

    name: str
    line: str | None
    start: Dist
    weeks: Dist
    ramp_weeks: Dist | None
    level: Dist
    kind: Literal["gap"] = "gap"

    @property
    def ramp(self) -> Uniform | None:
        return _ramp_speed() if self.ramp_weeks is None else None


@dataclass(frozen=True, slots=True, kw_only=True)
class MultiplierEvent:
    """``dip`` or ``boost``: demand times ``factor`` in the given months."""

    FIELDS: ClassVar[tuple[str, ...]] = ("months", "factor")
    INPUTS: ClassVar[tuple[str, ...]] = ("factor",)

    name: str
    kind: Literal["dip", "boost"]
    line: str | None
    months: tuple[int, ...]
    factor: Dist


@dataclass(frozen=True, slots=True, kw_only=True)
class CapacityEvent:
    """A monthly ceiling; above it output is lost or carried as backlog."""

    FIELDS: ClassVar[tuple[str, ...]] = ("limit", "step_month", "step_limit", "overflow")
    INPUTS: ClassVar[tuple[str, ...]] = ("limit", "step_month", "step_limit")

    name: str
    line: str | None
    limit: Dist
    step_month: Dist | None
    step_limit: Dist | None
    overflow: Literal["lost", "backlog"] = "lost"
    kind: Literal["capacity"] = "capacity"


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchEvent:
    """A new line from ``start`` with plateau ``level`` units a month along a ramp.

    ``ramp``: the speed of the fitted ramp, uncertain when ``ramp_months`` is not given.
    """

    FIELDS: ClassVar[tuple[str, ...]] = ("start", "level", "ramp_months")
    INPUTS: ClassVar[tuple[str, ...]] = ("start", "level", "ramp_months", "ramp")

    name: str
    line: str
    start: Dist
    level: Dist
    ramp_months: Dist | None
    kind: Literal["launch"] = "launch"

    @property
    def ramp(self) -> Uniform | None:
        return _ramp_speed() if self.ramp_months is None else None


@dataclass(frozen=True, slots=True, kw_only=True)
class ShockEvent:
    """With ``probability``, demand falls by ``size`` for ``months`` months from ``start``.

    ``occurs``: whether the shock happens on a path, 1 with ``probability``.
    """

    FIELDS: ClassVar[tuple[str, ...]] = ("probability", "start", "months", "size")
    INPUTS: ClassVar[tuple[str, ...]] = ("start", "months", "size", "occurs")

    name: str
    line: str | None
    probability: float
    start: Dist
    months: Dist
    size: Dist
    kind: Literal["shock"] = "shock"

    @property
    def occurs(self) -> Chance:
        from forecast.scenario.distributions import Chance

        return Chance(p=self.probability)


Event = GapEvent | MultiplierEvent | CapacityEvent | LaunchEvent | ShockEvent


def event_inputs(event: Event) -> tuple[tuple[str, Dist], ...]:
    """The event's uncertain inputs that it draws: ``(name, Dist)`` in ``INPUTS`` order."""
    found = ((name, getattr(event, name)) for name in event.INPUTS)
    return tuple((name, dist) for name, dist in found if dist is not None)


MAX_PATHS = 10_000_000  # every path's 12 months are kept in memory: about 1 GB at this bound
DEFAULT_SEED = 20260201  # a scenario without a seed, and commands that run without a scenario


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A validated scenario (``forecast.scenario.parse.load_scenario``).

    The fields are the one source of truth: the resolved table and the scenario hash are
    written from them. Make variants with ``with_changes``, which validates them as a file
    is; ``dataclasses.replace`` keeps the table in step but checks nothing.
    """

    name: str
    description: str
    path: Path | None
    target_year: int
    target_units: int
    data_dir: Path  # the company folder: history.data, or the bundled history.company
    as_of: int
    company: str | None = None  # history.company, the bundled company's label, if named
    # The announced target that target_units comes from when the scenario leaves
    # target.units out (forecast.load.targets.latest_target); None when it sets them.
    target_statement: TargetStatement | None = None
    family: str = "auto"
    lines: Mapping[str, LineSettings] = field(default_factory=dict)
    n_paths: int = 100_000
    seed: int = DEFAULT_SEED
    noise_scale: float = 1.0
    error_walk: float | None = None  # None: "auto", calibrated for as_of (forecast.fit.calibration)
    parameter_uncertainty: bool = True
    events: tuple[Event, ...] = ()
    supply: SupplySettings = field(default_factory=SupplySettings)
    # Which file (or "--set") set each key path, so that problems found by ``with_changes``
    # name the file to edit, as when loading. Messages only: no part of the assumptions.
    origins: Mapping[tuple[str | int, ...], str] = field(
        default_factory=dict, compare=False, repr=False
    )
    # What the scenario read outside its file's folder (an absolute or ../ path), as
    # ("extends", file) and ("history.data", folder): allowed, and named in the run record.
    outside: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)

    def __repr__(self) -> str:
        # The generated repr lists every event and distribution: a notebook shows the gist.
        from forecast.months import format_month

        events = ", ".join(f"{e.kind} {e.name}" for e in self.events) or "no events"
        return (
            f"<Scenario {self.name}: target {self.target_units:,} in {self.target_year}, "
            f"as of {format_month(self.as_of)}; {events}; "
            f"{self.n_paths:,} paths, seed {self.seed}>"
        )

    def __getstate__(self) -> dict[str, object]:
        # Worker processes get scenarios by pickle, which refuses a MappingProxyType.
        return {f.name: _thawed(getattr(self, f.name)) for f in fields(self)}

    def __setstate__(self, state: dict[str, object]) -> None:
        for name, value in state.items():
            frozen = MappingProxyType(value) if isinstance(value, dict) else value
            object.__setattr__(self, name, frozen)

    @property
    def resolved(self) -> dict[str, Any]:
        """The scenario as one self-contained TOML table, written from the fields (a new
        table each time; ``forecast.scenario.table``)."""
        from forecast.scenario.table import scenario_table

        return scenario_table(self)

    def with_changes(self, changes: Mapping[str, object], *, label: str = "--set") -> Scenario:
        """This scenario with keys changed, validated again as a whole by the loader.

        Parameters
        ----------
        changes
            Key paths as for ``--set`` (``"events[0].weeks"``, ``"lines.SU7.multiplier"``,
            ``"simulation.n_paths"``) to plain values: numbers, strings, booleans, lists and
            tables (``{"dist": "uniform", "low": 4, "high": 8}``); a ``Dist`` is taken as
            its table.
        label
            Names the changed keys in messages, as ``--set`` does for overrides.

        Raises
        ------
        ConfigError
            Every problem, exactly as ``load_scenario(path, overrides=...)`` would list it.
        """
        from forecast.scenario.parse import change_scenario

        return change_scenario(self, changes, label=label)


def _thawed(value: object) -> object:
    return dict(value) if isinstance(value, MappingProxyType) else value
