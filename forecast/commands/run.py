"""``forecast run``: one scenario, its answer printed and its files written."""

from __future__ import annotations

from pathlib import Path

import click

N_PATHS_OPTION = click.option(
    "--n-paths",
    "n_paths",
    type=click.IntRange(min=1),
    help="Paths to simulate (default: the scenario's).",
)
SEED_OPTION = click.option(
    "--seed", type=click.IntRange(min=0), help="Random seed (default: the scenario's)."
)
SET_OPTION = click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
                          help="Override a scenario key; the value is parsed as TOML. Repeatable.")  # fmt: skip


@click.command("run")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("out"), show_default=True,
              help="Folder for summary.csv, monthly.csv and scenario.resolved.toml.")  # fmt: skip
@N_PATHS_OPTION
@SEED_OPTION
@SET_OPTION
def command(
    scenario: Path, out: Path, n_paths: int | None, seed: int | None, overrides: tuple[str, ...]
) -> None:
    """Run a scenario: P(target), the range of annual totals and the run-rate still needed.

    Writes summary.csv (one row), monthly.csv (actuals and the monthly fan) and
    scenario.resolved.toml (the scenario after extends and --set) into --out.

    Example: forecast run scenarios/su7_retool.toml --n-paths 200000 --set target.units=500000
    """
    from forecast.run import run_scenario
    from forecast.summarise import describe
    from forecast.write import write_files

    result = run_scenario(scenario, n_paths=n_paths, seed=seed, overrides=overrides)
    written = write_files(out, result.files())
    click.echo(describe(result.summary))
    click.echo(f"  wrote {', '.join(str(p) for p in written)}")
