"""``forecast solve``: what an assumption must be for P(target) to reach a level."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from forecast.cli import options

if TYPE_CHECKING:
    from forecast.engine.parallel import Executor


@click.command("solve")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--vary",
    "key",
    metavar="KEY.PATH",
    help="The scalar assumption to solve for, e.g. events[0].weeks.",
)
@click.option("--p-hit", "level", type=float, help="The P(target) to reach, e.g. 0.5.")
@click.option(
    "--low", type=float, help="Lower end of the bracket searched (default: the plausible range)."
)
@click.option("--high", type=float, help="Upper end of the bracket searched.")
@click.option(
    "--tol",
    type=click.FloatRange(min=0, min_open=True),
    help="Stop when the bracket is narrower (default: 1/1000 of it).",
)
@click.option(
    "--quantile",
    "q",
    type=float,
    help="Instead: the largest total reached with this probability, e.g. 0.8.",
)
@options.n_paths_option()
@options.seed_option()
@options.set_option()
@options.workers_option()
def command(
    scenario: Path,
    key: str | None,
    level: float | None,
    low: float | None,
    high: float | None,
    tol: float | None,
    q: float | None,
    n_paths: int | None,
    seed: int | None,
    overrides: tuple[str, ...],
    workers: Executor,
) -> None:
    """Solve for what it takes: the value of one assumption at which P(target) reaches --p-hit.

    --vary names a number or a distribution in the scenario by its --set key path; it is
    fixed at each value tried, all else staying uncertain. Bisection on common random
    numbers over --low..--high (default: the distribution's range, or 0 to twice a fixed
    number). With --quantile instead: the largest total reached with that probability.

    Example: forecast solve scenarios/su7_retool.toml --vary events[0].weeks --p-hit 0.75 --high 26
    """
    from forecast.sweeps import solve

    if q is not None and (key is not None or level is not None):
        raise click.UsageError("--quantile cannot be combined with --vary/--p-hit")
    if q is not None:
        answer = solve.solve_quantile(
            scenario, q=q, n_paths=n_paths, seed=seed, overrides=overrides
        )
        click.echo(solve.describe_quantile(answer))
        return
    if key is None or level is None:
        raise click.UsageError("give --vary KEY.PATH and --p-hit LEVEL, or --quantile Q")
    solution = solve.solve_p_hit(
        scenario,
        key=key,
        level=level,
        low=low,
        high=high,
        tol=tol,
        n_paths=n_paths,
        seed=seed,
        overrides=overrides,
        workers=workers,
    )
    click.echo(solve.describe_solution(solution))
