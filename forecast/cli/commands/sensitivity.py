"""``forecast sensitivity``: which uncertain inputs move P(target) most (a tornado)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from forecast.cli import options

if TYPE_CHECKING:
    from forecast.engine.parallel import Executor


@click.command("sensitivity")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@options.out_option(
    default=Path("out/tornado.csv"), help="CSV file for the tornado table; charts go beside it."
)
@options.n_paths_option()
@options.seed_option()
@options.set_option()
@options.workers_option()
@options.plot_option()
@options.quiet_option()
def command(
    scenario: Path,
    out: Path,
    n_paths: int | None,
    seed: int | None,
    overrides: tuple[str, ...],
    workers: Executor,
    plot: bool,
    quiet: bool,
) -> None:
    """Hold each uncertain input at its 10th and 90th percentile, everything else random.

    For every distribution in the scenario, and the fitted model's parameters and noise
    (per line and for all lines at once), prints P(target) and the median annual total at
    both ends, sorted by the swing in P(target), with each input's rank correlation with the
    annual total. All runs share one seed, so the swings are not Monte Carlo noise. Writes
    the table to --out; --plot adds a tornado chart beside it (PNG and SVG).

    Example: forecast sensitivity scenarios/combined.toml --n-paths 20000 --plot --workers 2
    """
    from forecast.sweeps.sensitivity import format_sensitivity, run_sensitivity, write_sensitivity
    from forecast.write.atomic import output_set
    from forecast.write.files import chart_names, check_csv_out

    check_csv_out(out)
    with contextlib.ExitStack() as stack:
        bar = _RunsBar(stack, quiet=quiet)
        result = run_sensitivity(
            scenario,
            n_paths=n_paths,
            seed=seed,
            overrides=overrides,
            workers=workers,
            progress=bar.progress,
        )
    with output_set() as outputs:  # the table and its charts: swapped in together
        staging = outputs.folder(out.parent, members=chart_names(out.stem))
        written = [outputs.final(write_sensitivity(result, outputs.path(out)))]
        if plot:
            from forecast.write.charts import plot_tornado

            charts = plot_tornado(result, staging, name=out.stem)
            written += [outputs.final(chart) for chart in charts]
    click.echo(format_sensitivity(result))
    click.echo(f"  wrote {', '.join(str(p) for p in written)}")


class _RunsBar:
    """A progress bar over the runs, opened when they start: their number is known only
    once the scenario is fitted (one run per uncertain input and end, and the baseline)."""

    def __init__(self, stack: contextlib.ExitStack, *, quiet: bool) -> None:
        self.stack, self.quiet = stack, quiet
        self.advance: Callable[[int], None] | None = None
        self.done = 0

    def progress(self, stage: str, done: int, total: int) -> None:
        if stage != "simulate":
            return
        if self.advance is None:
            from forecast.cli.progress import progress_bar

            bar = progress_bar(total, label="sensitivity", quiet=self.quiet)
            self.advance = self.stack.enter_context(bar)
        if done > self.done:
            self.advance(done - self.done)
            self.done = done
