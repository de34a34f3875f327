"""``forecast targets``: the bundled announced targets and what became of them."""

from __future__ import annotations

from pathlib import Path

import click

from forecast.cli import options


@click.command("targets")
@click.argument("company", required=False)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Your own company folder of CSVs instead of a bundled company.",
)
@options.out_option(help="Also write the table as CSV.")
def command(company: str | None, data_dir: Path | None, out: Path | None) -> None:
    """List the announced targets (every bundled company, or COMPANY) with their outcomes.

    One line per statement in targets.csv: the year, the figure (a range as units to
    units_high), its kind, when it was announced and how reliable the report is, the
    actual (from targets.csv, else the reconciled history's full year) and the outcome:
    hit, missed, open (the year is not over) or unknown. A scenario that leaves target.units
    out takes the latest target, revision or range for its year announced by its as_of
    (its low end), never guidance, a partial target or a denied one.

    Example: forecast targets leapmotor --out targets.csv
    """
    from forecast.load import paths
    from forecast.load.company import load_company
    from forecast.load.history import load_history
    from forecast.load.reconcile import reconcile, year_totals
    from forecast.load.targets import LIST_COLUMNS, statement_rows
    from forecast.write.tables import format_table, write_csv

    if data_dir is not None and company is not None:
        raise click.UsageError("give COMPANY or --data, not both")
    if data_dir is not None:
        folders = [data_dir]
    elif company is not None:
        folders = [paths.company_dir(company, key="COMPANY")]
    else:
        folders = [paths.company_dir(label) for label in paths.companies()]
    rows, without = [], []
    for folder in folders:
        label = load_company(folder / paths.COMPANY_FILE).label
        history = load_history(folder)
        totals = year_totals(reconcile(history), history.first_delivery)
        last = int(history.months[-1])
        rows += statement_rows(label, history.targets, totals, last_month=last)
        without += [] if history.targets else [label]
    shown = LIST_COLUMNS[:-1]  # the note is in the CSV
    if rows:
        click.echo(format_table(shown, [row[:-1] for row in rows]))
    if without:
        click.echo(f"no target statements in targets.csv: {', '.join(without)}")
    if out is not None:
        write_csv(out, LIST_COLUMNS, rows)
        click.echo(f"\nwrote {out}")
