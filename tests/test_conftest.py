"""The checks tests/conftest.py makes: a unit test cannot read the bundled data."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.load import paths
from forecast.load.bundle import load_bundle

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "path", ["data/companies/xiaomi/deliveries.csv", "data/market/market.csv", "seeds/claims.csv"]
)
def test_a_unit_test_cannot_open_the_bundled_files(path: str) -> None:
    assert (REPO / path).exists()
    with pytest.raises(AssertionError, match="a unit test opened the bundled data"):
        (REPO / path).read_bytes()
    with pytest.raises(AssertionError, match="a unit test opened the bundled data"):
        open(REPO / path)


def test_the_default_folders_point_away_from_the_bundled_data() -> None:
    for default in (paths.DATA, paths.COMPANIES, paths.MARKET):
        assert not default.exists() and REPO not in default.parents
    # the library stays: a scenario naming no company reads the baseline's company name
    assert paths.default_company() and (paths.SCENARIOS / paths.BASELINE).exists()
    with pytest.raises(AssertionError, match="a unit test opened the bundled data"):
        load_bundle()


def test_the_hand_made_project_is_readable(project) -> None:
    assert load_bundle(project.data).company.lines == ("M1", "M2")
