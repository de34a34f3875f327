"""``forecast validate``: check scenario files without fitting or simulating anything."""

from __future__ import annotations

from pathlib import Path

import click

from forecast.cli import options
from forecast.errors import ConfigError
from forecast.scenario.parse import load_scenario


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@options.set_option(help="Override a key before validating (value parsed as TOML); repeatable.")
def command(files: tuple[Path, ...], overrides: tuple[str, ...]) -> None:
    """Check scenario FILEs: print "FILE: ok (N events)" or every problem; exit 2 if any.

    Example: forecast validate scenarios/*.toml --set simulation.n_paths=1000
    """
    problems: list[str] = []
    for path in files:
        try:
            scenario = load_scenario(path, overrides=overrides)
        except ConfigError as error:
            problems.extend(error.problems)
            continue
        n_events = len(scenario.events)
        click.echo(f"{path}: ok ({n_events} event{'' if n_events == 1 else 's'})")
    if problems:
        raise ConfigError(problems)
