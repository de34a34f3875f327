"""``forecast fit``: the fitted models, every candidate's out-of-sample error, the choice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from forecast.cli import options
from forecast.cli.options import parse_month_option
from forecast.errors import ForecastError

if TYPE_CHECKING:
    from forecast.fit.model import FitReport
    from forecast.load.bundle import DataBundle
    from forecast.sweeps.families import FamilyHits

HIT_PATHS = 20_000
"""Default paths of each run behind ``p_hit_alone``: MC standard error at most 0.35 points."""


@click.command("fit")
@options.data_option()
@options.month_option("--as-of", "as_of", help="Cut the history at this month (default: its last).")
@options.out_option(help="Also write the tables as .csv or .json.")
@options.n_paths_option(
    default=HIT_PATHS,
    minimum=0,
    help="Paths of each run behind the p_hit_alone column; 0: no runs.",
)
@options.seed_option()
def command(
    company: str | None,
    data_dir: Path | None,
    as_of: str | None,
    out: Path | None,
    n_paths: int,
    seed: int | None,
) -> None:
    """Fit growth, lifecycle and seasonality models per line and show how they were chosen.

    Prints every candidate family with its cross-validated error, its weight in the line's
    mixture and the P(hit) the baseline scenario would give with that family alone on that
    line (the baseline as of --as-of, for the year it forecasts and the target known then;
    left empty when no target is known), then parameters with standard errors, the
    reference class of launches and how much it moved each line, the launch ramp, the
    monthly supply ceiling left in the target year (where it comes from; its lowest, middle
    and highest draw) and the seasonal factors for that year.

    Example: forecast fit --as-of 2025-06 --out fit.json
    """
    from forecast.fit.model import fit_model
    from forecast.fit.report import fit_tables, render_csv, render_json, render_text, target_year
    from forecast.load.bundle import load_bundle
    from forecast.months import format_month
    from forecast.write.atomic import write_text_atomic

    if out is not None and out.suffix.lower() not in (".csv", ".json"):
        raise ForecastError(f"--out: expected a file ending in .csv or .json, got {out.name!r}")
    folder = options.company_folder(company, data_dir)
    bundle = load_bundle(folder)
    history = bundle.company
    report = fit_model(bundle, as_of=parse_month_option(as_of, "--as-of"), as_of_key="--as-of")
    year = target_year(report.as_of)
    hits, why = _family_hits(bundle, report, folder, year, n_paths, seed) if n_paths else (None, "")
    tables = fit_tables(report, year, hits)
    missing = [line for line in history.lines if line not in report.reconciled.lines]
    click.echo(
        f"Fit as of {format_month(report.as_of)}: lines {', '.join(report.reconciled.lines)}"
    )
    for line in missing:
        first = format_month(history.first_month[line])
        click.echo(
            f"{line}: no history as of {format_month(report.as_of)} (first month {first}); not fitted"
        )
    click.echo("")
    click.echo(render_text(tables))
    if why:
        click.echo(f"\np_hit_alone not computed: {why}")
    if out is not None:
        text = (
            render_json(tables, report.as_of)
            if out.suffix.lower() == ".json"
            else render_csv(tables)
        )
        write_text_atomic(out, text)
        click.echo(f"\nwrote {out}")


def _family_hits(
    bundle: DataBundle,
    report: FitReport,
    folder: Path,
    year: int,
    n_paths: int,
    seed: int | None,
) -> tuple[FamilyHits | None, str]:
    """The baseline scenario on this fit, with each family alone (``forecast.sweeps.families``);
    or None and why not (no target known for the year, say)."""
    from forecast.engine.fitted import Fitted
    from forecast.months import format_month
    from forecast.scenario.parse import load_scenario
    from forecast.sweeps.families import family_hit_rates

    sets = (
        f"history.data={json.dumps(str(folder.resolve()))}",
        f'history.as_of="{format_month(report.as_of)}"',
        f"target.year={year}",
    )
    try:
        scenario = load_scenario("baseline", overrides=sets)
    except ForecastError as error:
        return None, error.problems[0]
    fitted = Fitted(
        model=report.model, months=report.reconciled.months, totals=report.reconciled.total
    )
    seed = scenario.seed if seed is None else seed
    return family_hit_rates(bundle, fitted, scenario, n_paths=n_paths, seed=seed), ""
