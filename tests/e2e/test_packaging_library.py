"""``forecast scenarios`` lists the library that ships inside the package."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from forecast.load import paths
from forecast.months import format_month
from forecast.scenario.parse import load_scenario

# end to end: the CLI, the package and its bundled data
pytestmark = pytest.mark.e2e


@pytest.mark.e2e
def test_scenarios_lists_every_library_file_with_its_question() -> None:
    result = CliRunner().invoke(cli, ["scenarios"])
    assert result.exit_code == 0, result.output
    header, rule, *rows, footer = result.output.splitlines()
    assert header.split() == ["name", "company", "as_of", "target", "events", "description"]
    assert set(rule) == {"-", " "}
    library = [load_scenario(p) for p in paths.library()]
    assert [row.split()[0] for row in rows] == [s.name for s in library]
    for row, s in zip(rows, library, strict=True):
        assert row.split()[1:4] == [
            s.company,
            format_month(s.as_of),
            f"{s.target_units:,}",
        ]
        assert len(row) <= len(rule)
    assert footer == f"  run one by name: forecast run NAME; the files are in {paths.SCENARIOS}"
