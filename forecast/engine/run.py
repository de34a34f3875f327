"""One scenario from a file (or a ``Scenario``) to its answer: the Python entry point.

``run_scenario`` loads the scenario and its data, then runs the engine
(``forecast.engine.pipeline.run``) with the fit cache on disk; ``forecast run`` does the same
and also writes the files. ``fit_scenario`` is the same fit alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from forecast.engine import pipeline
from forecast.engine.cache import FitCache
from forecast.engine.pipeline import Fitted, Progress, RunResult
from forecast.errors import ConfigError
from forecast.load.bundle import DataBundle, load_bundle
from forecast.scenario.parse import load_scenario
from forecast.scenario.types import MAX_PATHS, Scenario

__all__ = [
    "Fitted",
    "RunResult",
    "fit_scenario",
    "load",
    "load_scenario_overrides",
    "run_scenario",
]


def load(path_or_scenario: str | Path | Scenario, overrides: Sequence[str] = ()) -> Scenario:
    if isinstance(path_or_scenario, Scenario):
        if overrides:
            # --set works on the TOML table; a Scenario object is already validated
            raise ValueError(
                "overrides apply to scenario files: load_scenario(path, overrides=...) instead"
            )
        return path_or_scenario
    return load_scenario(path_or_scenario, overrides=overrides)


def run_scenario(
    path_or_scenario: str | Path | Scenario,
    *,
    n_paths: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    chunk_size: int | None = None,
    fitted: Fitted | None = None,
    use_cache: bool = True,
    bundle: DataBundle | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run one scenario and return its answer with every path.

    ``n_paths`` and ``seed`` override the scenario's ``[simulation]`` values (and are
    recorded in the resolved scenario, so the run can be repeated from it). ``use_cache=False``
    refits instead of using the fit cache (``forecast.engine.cache``). ``bundle``: the data,
    if already loaded (default: loaded from the scenario's ``history.data``). ``progress``:
    see ``forecast.engine.pipeline``.

    Example
    -------
    >>> result = run_scenario("scenarios/baseline.toml", n_paths=10_000)  # doctest: +SKIP
    >>> result.summary.p_hit, result.paths.shape  # doctest: +SKIP
    """
    scenario = load_scenario_overrides(load(path_or_scenario, overrides), n_paths, seed)
    bundle = load_bundle(scenario.data_dir) if bundle is None else bundle
    cache = FitCache.on_disk() if use_cache else None
    return pipeline.run(
        bundle, scenario, cache=cache, fitted=fitted, chunk_size=chunk_size, progress=progress
    )


def fit_scenario(
    scenario: Scenario, *, use_cache: bool = True, bundle: DataBundle | None = None
) -> Fitted:
    """The fit ``run_scenario`` would use: on the scenario's data (or ``bundle``), through the
    fit cache on disk unless ``use_cache`` is false."""
    bundle = load_bundle(scenario.data_dir) if bundle is None else bundle
    return pipeline.fit(bundle, scenario, cache=FitCache.on_disk() if use_cache else None)


def load_scenario_overrides(scenario: Scenario, n_paths: int | None, seed: int | None) -> Scenario:
    """The scenario with new ``n_paths``/``seed`` (None: keep), its resolved table in step."""
    import copy
    import dataclasses
    from types import MappingProxyType

    if n_paths is None and seed is None:
        return scenario
    problems = [
        f"{key}: must be {rule}, got {value}"
        for key, value, rule in (
            ("simulation.n_paths", n_paths, "at least 1"),
            ("simulation.seed", seed, "at least 0"),
        )
        if value is not None and (isinstance(value, bool) or value < (1 if "n_paths" in key else 0))
    ]
    if n_paths is not None and n_paths > MAX_PATHS:
        problems.append(
            f"simulation.n_paths: must be at most {MAX_PATHS:,} (every path is kept in "
            f"memory), got {n_paths:,}"
        )
    if problems:
        raise ConfigError(problems)
    resolved = copy.deepcopy(dict(scenario.resolved))
    simulation: dict[str, object] = dict(resolved.get("simulation", {}))  # type: ignore[call-overload]
    n_paths = scenario.n_paths if n_paths is None else n_paths
    seed = scenario.seed if seed is None else seed
    simulation.update(n_paths=n_paths, seed=seed)
    resolved["simulation"] = simulation
    return dataclasses.replace(
        scenario, resolved=MappingProxyType(resolved), n_paths=n_paths, seed=seed
    )
