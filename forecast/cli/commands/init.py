"""``forecast init``: a folder of CSV templates for your own company, and its baseline."""

from __future__ import annotations

from pathlib import Path

import click

from forecast.write.templates import README_FILE, SCENARIO_FILE, write_company_folder


@click.command("init")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files of the same names in FOLDER.")
def command(folder: Path, force: bool) -> None:
    """Write FOLDER: CSV templates for one company, a README and a baseline scenario.

    Each CSV (company, lines, deliveries, totals, targets; optional anomalies, context,
    claims) has its header and one example row; README.md says what every column means.
    Fill in 12 or more months, then run the folder's baseline.toml. Existing files are
    never overwritten without --force; a failure writes nothing.

    Example: forecast init mycompany && forecast history --data mycompany
    """
    written = write_company_folder(folder, force=force)
    click.echo(f"wrote {folder}: {', '.join(path.name for path in written)}")
    click.echo(f"next: replace the example rows (see {folder / README_FILE}), then")
    click.echo(f"  forecast history --data {folder}")
    click.echo(f"  forecast run {folder / SCENARIO_FILE}")
