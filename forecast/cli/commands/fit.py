"""``forecast fit``: the fitted models, every candidate's out-of-sample error, the choice."""

from __future__ import annotations

from pathlib import Path

import click

from forecast.cli import options
from forecast.cli.options import parse_month_option
from forecast.errors import ForecastError


@click.command("fit")
@options.data_option()
@options.month_option("--as-of", "as_of", help="Cut the history at this month (default: its last).")
@options.out_option(help="Also write the tables as .csv or .json.")
def command(
    company: str | None, data_dir: Path | None, as_of: str | None, out: Path | None
) -> None:
    """Fit growth, lifecycle and seasonality models per line and show how they were chosen.

    Prints every candidate family with its cross-validated error, the choice, parameters
    with standard errors, the reference class of launches and how much it moved each line,
    the launch ramp, and the seasonal factors for the target year.

    Example: forecast fit --as-of 2025-06 --out fit.json
    """
    from forecast.fit.model import fit_model
    from forecast.fit.report import fit_tables, render_csv, render_json, render_text, target_year
    from forecast.load.bundle import load_bundle
    from forecast.months import format_month
    from forecast.write.atomic import write_text_atomic

    if out is not None and out.suffix.lower() not in (".csv", ".json"):
        raise ForecastError(f"--out: expected a file ending in .csv or .json, got {out.name!r}")
    bundle = load_bundle(options.company_folder(company, data_dir))
    history = bundle.company
    report = fit_model(bundle, as_of=parse_month_option(as_of, "--as-of"), as_of_key="--as-of")
    tables = fit_tables(report, target_year(report.as_of))
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
    if out is not None:
        text = (
            render_json(tables, report.as_of)
            if out.suffix.lower() == ".json"
            else render_csv(tables)
        )
        write_text_atomic(out, text)
        click.echo(f"\nwrote {out}")
