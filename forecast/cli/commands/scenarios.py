"""``forecast scenarios``: the bundled scenario library."""

from __future__ import annotations

import click


@click.command("scenarios")
def command() -> None:
    """List the bundled scenarios: name and description. Run one by name from any folder.

    Example: forecast run baseline --set history.company=nio
    """
    from forecast.load import paths
    from forecast.scenario.parse import describe_file
    from forecast.write.tables import format_table

    rows = [describe_file(path) for path in paths.library()]
    click.echo(format_table(("scenario", "description"), rows, max_width=120))
