"""``forecast compare``: several scenarios on common random numbers, ranked against a baseline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from forecast.cli import options

if TYPE_CHECKING:
    from forecast.engine.parallel import Executor


@click.command("compare")
@click.argument("scenarios", nargs=-1, required=True, metavar="SCENARIO...")
@options.out_option(
    default=Path("out/comparison.csv"), help="CSV file: one row per scenario, best first."
)
@click.option(
    "--baseline",
    metavar="NAME",
    help='Scenario name to compare with (default: "baseline" if present, else the first).',
)
@options.plot_option(help="Also draw the comparison charts beside --out.")
@options.n_paths_option()
@options.seed_option()
@options.set_option()
@options.workers_option()
def command(
    scenarios: tuple[str, ...],
    out: Path,
    baseline: str | None,
    plot: bool,
    n_paths: int | None,
    seed: int | None,
    overrides: tuple[str, ...],
    workers: Executor,
) -> None:
    """Run every SCENARIO on common random numbers, rank them and compare each with a baseline.

    All scenarios use the same --seed and --n-paths (default: the first scenario's), so the
    differences from the baseline in P(hit) and in the median come with paired standard
    errors, usually much smaller than either scenario's own. Only scenarios on the same
    company's data as of the same month are paired: the others answer another question, are
    ranked but marked "not paired", and have no paired error. SCENARIO may be a glob pattern
    or a scenario of the library by name.

    Example: forecast compare scenarios/*.toml --n-paths 50000 --workers 2
    """
    from forecast.sweeps.compare import (
        compare_scenarios,
        comparison_csv,
        comparison_dicts,
        format_comparison,
    )
    from forecast.write.atomic import output_set
    from forecast.write.files import COMPARE_CHARTS, chart_names, check_csv_out

    check_csv_out(out)
    comparison = compare_scenarios(
        scenarios,
        baseline=baseline,
        n_paths=n_paths,
        seed=seed,
        overrides=overrides,
        workers=workers,
    )
    with output_set() as outputs:  # the table and its charts: swapped in together
        staging = outputs.folder(out.parent, members=chart_names(*COMPARE_CHARTS))
        written = [outputs.write(out, comparison_csv(comparison))]
        if plot:
            from forecast.write.charts import plot_compare

            charts = plot_compare(comparison_dicts(comparison), staging)
            written += [outputs.final(chart) for chart in charts]
    run = comparison.rows[0].run.record
    click.echo(f"{len(comparison.rows)} scenarios, {run.n_paths:,} paths each, seed {run.seed}")
    click.echo(format_comparison(comparison))
    click.echo(f"  wrote {', '.join(str(p) for p in written)}")
