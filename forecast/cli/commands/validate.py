"""``forecast validate``: everything ``forecast run`` does but simulate, so that whatever run
would reject, validate rejects first, with the same message."""

from __future__ import annotations

from pathlib import Path

import click

from forecast.cli import options
from forecast.errors import ConfigError, ForecastError


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@options.set_option(help="Override a key before validating (value parsed as TOML); repeatable.")
@options.no_cache_option()
def command(files: tuple[Path, ...], overrides: tuple[str, ...], no_cache: bool = False) -> None:
    """Check scenario FILEs: print "FILE: ok (N events)" or every problem; exit 2 if any.

    Each file goes the way `forecast run` takes it, short of simulating: the scenario loaded,
    its data read and reconciled, the model fitted (through the fit cache, which a later run
    then reuses) and the plan made, so every check run makes is made here.

    Example: forecast validate scenarios/*.toml --set simulation.n_paths=1000
    """
    from forecast.engine import pipeline
    from forecast.engine.cache import FitCache
    from forecast.load.bundle import DataBundle, load_bundle
    from forecast.scenario.parse import load_scenario

    cache = None if no_cache else FitCache.on_disk()
    problems: list[str] = []
    bundles: dict[Path, DataBundle | ForecastError] = {}
    for path in files:
        try:
            scenario = load_scenario(path, overrides=overrides)
            if scenario.data_dir not in bundles:
                bundles[scenario.data_dir] = _load(load_bundle, scenario.data_dir)
            bundle = bundles[scenario.data_dir]
            if isinstance(bundle, ForecastError):
                raise bundle
            fitted = pipeline.fit(bundle, scenario, cache=cache)
            pipeline.plan(bundle, fitted, scenario)
        except ForecastError as error:
            problems.extend(p for p in error.problems if p not in problems)
            continue
        n_events = len(scenario.events)
        click.echo(f"{path}: ok ({n_events} event{'' if n_events == 1 else 's'})")
    if problems:
        raise ConfigError(problems)


def _load(load_bundle, data_dir: Path):  # type: ignore[no-untyped-def]
    """The data folder's bundle, or the error it raised (reported once per folder)."""
    try:
        return load_bundle(data_dir)
    except ForecastError as error:
        return error
