"""``forecast validate``: every check ``forecast run`` makes, without fitting or simulating."""

from __future__ import annotations

from pathlib import Path

import click

from forecast.cli import options
from forecast.errors import ConfigError, ForecastError


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@options.set_option(help="Override a key before validating (value parsed as TOML); repeatable.")
def command(files: tuple[Path, ...], overrides: tuple[str, ...]) -> None:
    """Check scenario FILEs: print "FILE: ok (N events)" or every problem; exit 2 if any.

    Each file is loaded as `forecast run` loads it, its data folder read, and every check run
    makes before fitting is made (lines and events against the data, as_of, the calendar).

    Example: forecast validate scenarios/*.toml --set simulation.n_paths=1000
    """
    from forecast.engine.pipeline import check_scenario
    from forecast.load.bundle import DataBundle, load_bundle
    from forecast.scenario.parse import load_scenario

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
            check_scenario(bundle, scenario)
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
