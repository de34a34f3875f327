"""``forecast history``: the reconciled monthly history with raw figures and sources."""

from __future__ import annotations

from pathlib import Path

import click

from forecast.cli import options
from forecast.load.bundle import load_bundle
from forecast.load.reconcile import (
    HISTORY_COLUMNS,
    PERIOD_COLUMNS,
    history_rows,
    period_rows,
    reconcile,
)
from forecast.write.tables import format_table, write_csv


@click.command("history")
@options.data_option()
@options.out_option(help="Also write the monthly table as CSV.")
def command(company: str | None, data_dir: Path | None, out: Path | None) -> None:
    """Show the reconciled monthly history: raw figure, qualifier, reconciled, adjustment, source.

    Months are reconciled so that exact quarterly and annual totals hold to the unit,
    "over N" months stay at or above N, and third-party months move as little as possible.

    Example: forecast history --out history.csv
    """
    history = load_bundle(options.company_folder(company, data_dir)).company
    reconciled = reconcile(history)
    rows = history_rows(history, reconciled)
    click.echo(format_table(HISTORY_COLUMNS, rows))
    click.echo("")
    click.echo("Figures over periods (equal / at least / at most bind; target is pulled toward):")
    click.echo(format_table(PERIOD_COLUMNS, period_rows(reconciled)))
    if out is not None:
        write_csv(out, HISTORY_COLUMNS, rows)
        click.echo(f"\nwrote {out}")
