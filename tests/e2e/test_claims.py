"""Every claim in seeds/claims.csv holds on the bundled history, and ``forecast check`` says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from forecast.load.claims import check_claims, load_claims
from forecast.load.history import load_history
from forecast.load.reconcile import reconcile
from tests.e2e.conftest import FLAT_DATA

pytestmark = pytest.mark.e2e


def test_every_claim_passes_on_the_bundled_data() -> None:
    history = load_history()
    verdicts = check_claims(load_claims(FLAT_DATA / "claims.csv"), history, reconcile(history))
    assert len(verdicts) >= 12
    assert [v.claim.id for v in verdicts if not v.passed] == []


def test_claims_are_figures_from_the_seed_articles() -> None:
    claims = load_claims(FLAT_DATA / "claims.csv")
    ids = {c.id for c in claims}
    assert {
        "jan2026_deliveries",
        "deliveries_2025",
        "deliveries_2024",
        "cumulative_feb2026",
        "yu7_first_six_months",
        "target_2026",
    } <= ids
    assert all(c.seed_file.endswith(".txt") for c in claims)


def test_check_command_passes(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("14 passed, 0 failed")
