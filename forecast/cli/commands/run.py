"""``forecast run``: one scenario, its answer printed and its files written."""

from __future__ import annotations

from pathlib import Path

import click

from forecast.cli import options


@click.command("run")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@options.out_option(
    folder=True,
    default=Path("out"),
    help="Folder for summary.csv, monthly.csv and scenario.resolved.toml.",
)
@options.n_paths_option()
@options.seed_option()
@options.set_option()
@options.plot_option()
@options.quiet_option()
@options.no_cache_option()
def command(
    scenario: Path,
    out: Path,
    n_paths: int | None,
    seed: int | None,
    overrides: tuple[str, ...],
    plot: bool,
    quiet: bool,
    no_cache: bool = False,
) -> None:
    """Run a scenario: P(target), the range of annual totals and the run-rate still needed.

    Writes summary.csv (one row), monthly.csv (actuals and the monthly fan) and
    scenario.resolved.toml (the scenario after extends and --set) into --out; with --plot
    also fan, cumulative and distribution charts (.png and .svg). A progress bar shows on
    stderr while fitting and simulating, unless --quiet or stderr is not a terminal.

    Example: forecast run scenarios/su7_retool.toml --n-paths 200000 --set target.units=500000
    """
    from forecast.cli.progress import progress_bar
    from forecast.engine.run import fit_for, load, run_scenario
    from forecast.load.history import load_history
    from forecast.summarise.summary import describe
    from forecast.write.files import write_files

    if plot:
        from forecast.write.charts import require_matplotlib

        require_matplotlib()
    loaded = load(scenario, overrides)
    # Fitting alone takes seconds, so the bar shows at once: fit, then simulate.
    with progress_bar(2, label=f"{loaded.name}: fit, simulate", quiet=quiet, delay=0) as advance:
        fitted = fit_for(load_history(loaded.data_dir), loaded, use_cache=not no_cache)
        advance(1)
        result = run_scenario(loaded, n_paths=n_paths, seed=seed, fitted=fitted)
        advance(1)
    written = write_files(out, result.files())
    if plot:
        from forecast.write.charts import plot_run

        written += plot_run(result.summary, out, totals=result.paths.sum(axis=1))
    click.echo(describe(result.summary))
    record = result.record
    click.echo(
        f"  model error: a random walk of {record.error_walk:.3g} a month on the log scale "
        f"({record.error_walk_source})"
    )
    click.echo(f"  wrote {', '.join(str(p) for p in written)}")
