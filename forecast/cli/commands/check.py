"""``forecast check``: every dated claim from the source articles against the history."""

from __future__ import annotations

from pathlib import Path

import click

from forecast.cli import options
from forecast.load.bundle import load_bundle
from forecast.load.claims import CLAIMS_FILE, check_claims, load_claims
from forecast.load.reconcile import reconcile


@click.command("check")
@options.data_option()
@click.option(
    "--claims",
    "claims_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The claims to check (default: the company folder's claims.csv).",
)
def command(company: str | None, data_dir: Path | None, claims_path: Path | None) -> None:
    """Check the reconciled history against every claim in the company's claims.csv; exit 1 if any fails.

    Example: forecast check
    """
    folder = options.company_folder(company, data_dir)
    history = load_bundle(folder).company
    claims = load_claims(folder / CLAIMS_FILE if claims_path is None else claims_path)
    verdicts = check_claims(claims, history, reconcile(history))
    for v in verdicts:
        c = v.claim
        value = "n/a" if v.value is None else f"{v.value:,}"
        click.echo(
            f"{'pass' if v.passed else 'FAIL'}  {c.id}: {c.measure} {c.period} {c.line} "
            f"{c.qualifier} {c.figure:,} -> {value} ({v.reason}; {c.seed_file}, {c.date})"
        )
    failed = sum(not v.passed for v in verdicts)
    click.echo(f"{len(verdicts) - failed} passed, {failed} failed")
    if failed:
        raise SystemExit(1)
