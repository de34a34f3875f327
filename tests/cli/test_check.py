from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from forecast.cli.main import cli


def test_check_fails_naming_the_claim_when_history_contradicts_it(data_copy: Path) -> None:
    deliveries = data_copy / "deliveries.csv"
    text = deliveries.read_text().replace(
        "2026-01,total,39000,at_least", "2026-01,total,38000,exact"
    )
    text = text.replace(
        "2026-01,YU7,37869,exact_third_party", "2026-01,YU7,36869,exact_third_party"
    )
    deliveries.write_text(text)
    result = CliRunner().invoke(cli, ["check", "--data", "data"])
    assert result.exit_code == 1
    failed = [line for line in result.output.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1
    assert failed[0].startswith(
        "FAIL  jan2026_deliveries: deliveries 2026-01 total at_least 39,000 -> 38,000"
    )
    assert result.output.strip().endswith("13 passed, 1 failed")


def test_check_fails_when_a_target_is_removed(data_copy: Path) -> None:
    targets = data_copy / "targets.csv"
    targets.write_text("".join(line for line in targets.open() if not line.startswith("2026,")))
    result = CliRunner().invoke(cli, ["check", "--data", "data"])
    assert result.exit_code == 1
    assert "FAIL  target_2026" in result.output
