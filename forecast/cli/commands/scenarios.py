"""``forecast scenarios``: the scenario library that ships inside the package."""

from __future__ import annotations

import click

DESCRIPTION_WIDTH = 72


@click.command("scenarios")
def command() -> None:
    """List the bundled scenarios: name, company, as_of, target, events and description.

    Any of them runs by name from any folder; a copy of its file is a starting point for
    your own.

    Example: forecast scenarios
    """
    from forecast.load import paths
    from forecast.months import format_month
    from forecast.scenario.parse import load_scenario
    from forecast.write.tables import align

    rows = []
    for path in paths.library():
        s = load_scenario(path)
        rows.append(
            (
                s.name,
                s.company or str(s.data_dir),
                format_month(s.as_of),
                f"{s.target_units:,} in {s.target_year}",
                str(len(s.events)),
                _shorten(s.description),
            )
        )
    headers = ("name", "company", "as_of", "target", "events", "description")
    click.echo(align(headers, rows, left={0, 1, 2, 5}))
    click.echo(f"  run one by name: forecast run NAME; the files are in {paths.SCENARIOS}")


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DESCRIPTION_WIDTH else text[: DESCRIPTION_WIDTH - 3] + "..."
