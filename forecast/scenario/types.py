"""The validated scenario: frozen types the loader produces and the simulator consumes.

Month positions (``start``, ``step_month``) are month numbers within the target year:
1.0 is the start of January, 2.5 is mid-February. Every uncertain number is a ``Dist``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np


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
    family: str = "auto"
    multiplier: Dist | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GapEvent:
    """A line stops (or falls to ``level``) from ``start`` for ``weeks``, then ramps back."""

    name: str
    line: str | None
    start: Dist
    weeks: Dist
    ramp_weeks: Dist | None
    level: Dist
    kind: Literal["gap"] = "gap"


@dataclass(frozen=True, slots=True, kw_only=True)
class MultiplierEvent:
    """``dip`` or ``boost``: demand times ``factor`` in the given months."""

    name: str
    kind: Literal["dip", "boost"]
    line: str | None
    months: tuple[int, ...]
    factor: Dist


@dataclass(frozen=True, slots=True, kw_only=True)
class CapacityEvent:
    """A monthly ceiling; above it output is lost or carried as backlog."""

    name: str
    line: str | None
    limit: Dist
    step_month: Dist | None
    step_limit: Dist | None
    overflow: Literal["lost", "backlog"] = "lost"
    kind: Literal["capacity"] = "capacity"


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchEvent:
    """A new line from ``start`` with plateau ``level`` units a month along a ramp."""

    name: str
    line: str
    start: Dist
    level: Dist
    ramp_months: Dist | None
    kind: Literal["launch"] = "launch"


@dataclass(frozen=True, slots=True, kw_only=True)
class ShockEvent:
    """With ``probability``, demand falls by ``size`` for ``months`` months from ``start``."""

    name: str
    line: str | None
    probability: float
    start: Dist
    months: Dist
    size: Dist
    kind: Literal["shock"] = "shock"


Event = GapEvent | MultiplierEvent | CapacityEvent | LaunchEvent | ShockEvent


MAX_PATHS = 10_000_000  # every path's 12 months are kept in memory: about 1 GB at this bound
DEFAULT_SEED = 20260201  # a scenario without a seed, and commands that run without a scenario


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    name: str
    description: str
    path: Path | None
    target_year: int
    target_units: int
    data_dir: Path
    as_of: int
    family: str = "auto"
    lines: Mapping[str, LineSettings] = field(default_factory=dict)
    n_paths: int = 100_000
    seed: int = DEFAULT_SEED
    noise_scale: float = 1.0
    error_walk: float | None = None  # None: "auto", calibrated for as_of (forecast.fit.calibration)
    parameter_uncertainty: bool = True
    events: tuple[Event, ...] = ()
    resolved: Mapping[str, object] = field(default_factory=dict)
