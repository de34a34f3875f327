"""``forecast check`` on the hand-made history and claims: passes, and names a failing claim."""

from __future__ import annotations

from click.testing import CliRunner

from forecast.cli.main import cli
from tests.factories import Project

CHECK = ["check", "--data", "data", "--claims", "seeds/claims.csv"]


def test_check_passes_on_a_history_that_agrees(project_copy: Project) -> None:
    result = CliRunner().invoke(cli, CHECK)
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("8 passed, 0 failed")


def test_check_fails_naming_the_claim_when_history_contradicts_it(project_copy: Project) -> None:
    deliveries = project_copy.data / "deliveries.csv"
    text = deliveries.read_text().replace(
        "2026-01,total,12000,at_least", "2026-01,total,11500,exact"
    )
    text = text.replace("2026-01,M2,10800,exact_third_party", "2026-01,M2,10300,exact_third_party")
    deliveries.write_text(text)
    result = CliRunner().invoke(cli, CHECK)
    assert result.exit_code == 1
    failed = [line for line in result.output.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1
    assert failed[0].startswith(
        "FAIL  jan2026_deliveries: deliveries 2026-01 total at_least 12,000 -> 11,500"
    )
    assert result.output.strip().endswith("7 passed, 1 failed")


def test_check_fails_when_a_target_is_removed(project_copy: Project) -> None:
    targets = project_copy.data / "targets.csv"
    targets.write_text("".join(line for line in targets.open() if not line.startswith("2026,")))
    result = CliRunner().invoke(cli, CHECK)
    assert result.exit_code == 1
    assert "FAIL  target_2026" in result.output
