"""The bundled data as some end-to-end tests want it: the company's and the market's files in
one folder (a data folder with its own market files)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COMPANY_DIR = REPO / "data" / "companies" / "xiaomi"
MARKET_DIR = REPO / "data" / "market"


def copy_flat(target: Path) -> Path:
    """The bundled company's files and the market files in one folder ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for folder in (COMPANY_DIR, MARKET_DIR):
        for path in folder.iterdir():
            shutil.copy(path, target / path.name)
    return target


# One read-only flat copy for the whole session.
FLAT_DATA = copy_flat(Path(tempfile.mkdtemp(prefix="forecast-tests-")) / "data")
atexit.register(shutil.rmtree, FLAT_DATA.parent, True)


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private flat copy of the bundled data as ./data, the working folder its parent."""
    target = copy_flat(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    return target
