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
from forecast.load.bundle import DataBundle, load_bundle
from forecast.scenario.parse import apply_overrides, load_scenario
from forecast.scenario.types import Scenario

__all__ = [
    "Fitted",
    "RunResult",
    "fit_scenario",
    "load",
    "load_scenario_overrides",
    "run_scenario",
]


def load(path_or_scenario: str | Path | Scenario, overrides: Sequence[str] = ()) -> Scenario:
    """The scenario file loaded, or the scenario given, with ``--set`` ``overrides`` applied."""
    if isinstance(path_or_scenario, Scenario):
        return apply_overrides(path_or_scenario, overrides) if overrides else path_or_scenario
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
    keep_paths: bool = True,
) -> RunResult:
    """Run one scenario and return its answer with every path.

    ``n_paths`` and ``seed`` override the scenario's ``[simulation]`` values (and are
    recorded in the resolved scenario, so the run can be repeated from it). ``use_cache=False``
    refits instead of using the fit cache (``forecast.engine.cache``). ``bundle``: the data,
    if already loaded (default: loaded from the scenario's ``history.data``). ``progress``:
    see ``forecast.engine.pipeline``. ``keep_paths=False``: beyond
    ``pipeline.STREAM_ABOVE`` paths, summarise chunk by chunk in flat memory and keep no paths.

    Example
    -------
    >>> result = run_scenario("scenarios/baseline.toml", n_paths=10_000)  # doctest: +SKIP
    >>> result.summary.p_hit, result.paths.shape  # doctest: +SKIP
    """
    scenario = load_scenario_overrides(load(path_or_scenario, overrides), n_paths, seed)
    bundle = load_bundle(scenario.data_dir) if bundle is None else bundle
    cache = FitCache.on_disk() if use_cache else None
    return pipeline.run(
        bundle,
        scenario,
        cache=cache,
        fitted=fitted,
        chunk_size=chunk_size,
        progress=progress,
        keep_paths=keep_paths,
    )


def fit_scenario(
    scenario: Scenario, *, use_cache: bool = True, bundle: DataBundle | None = None
) -> Fitted:
    """The fit ``run_scenario`` would use: on the scenario's data (or ``bundle``), through the
    fit cache on disk unless ``use_cache`` is false."""
    bundle = load_bundle(scenario.data_dir) if bundle is None else bundle
    return pipeline.fit(bundle, scenario, cache=FitCache.on_disk() if use_cache else None)


def load_scenario_overrides(scenario: Scenario, n_paths: int | None, seed: int | None) -> Scenario:
    """The scenario with new ``n_paths``/``seed`` (None: keep), checked as ``--set`` would."""
    changes = {"simulation.n_paths": n_paths, "simulation.seed": seed}
    changes = {key: value for key, value in changes.items() if value is not None}
    return scenario.with_changes(changes) if changes else scenario
