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
    from forecast.engine import pipeline
    from forecast.engine.cache import FitCache
    from forecast.engine.run import load, load_scenario_overrides
    from forecast.load.bundle import load_bundle
    from forecast.summarise.summary import describe
    from forecast.write.atomic import fault_point, output_set
    from forecast.write.files import RUN_CHARTS, chart_names

    loaded = load_scenario_overrides(load(scenario, overrides), n_paths, seed)
    bundle = load_bundle(loaded.data_dir)
    cache = None if no_cache else FitCache.on_disk()
    # Fitting alone takes seconds, so the bar shows at once: fit, then each chunk of paths.
    steps = pipeline.n_steps(loaded, keep_paths=plot)  # paths are kept for the charts only
    label = f"{loaded.name}: fit, simulate"
    with progress_bar(steps, label=label, quiet=quiet, delay=0) as advance:

        def step(*_: object) -> None:
            advance(1)
            fault_point("progress")  # the fault-injection tests' hook (a no-op otherwise)

        result = pipeline.run(bundle, loaded, cache=cache, progress=step, keep_paths=plot)
    # One set, charts included: swapped in whole, or the old set stays (forecast.write.atomic).
    with output_set() as outputs:
        staging = outputs.folder(out, members=chart_names(*RUN_CHARTS))
        written = [outputs.write(out / name, text) for name, text in result.files().items()]
        if plot:
            from forecast.write.charts import plot_run

            charts = plot_run(result.summary, staging, totals=result.paths.sum(axis=1))
            written += [outputs.final(chart) for chart in charts]
    click.echo(describe(result.summary))
    record = result.record
    click.echo(
        f"  model error: a random walk of {record.error_walk:.3g} a month on the log scale "
        f"({record.error_walk_source})"
    )
    if record.outside:
        click.echo(f"  read outside the scenario's folder: {', '.join(record.outside)}")
    click.echo(f"  wrote {', '.join(str(p) for p in written)}")
