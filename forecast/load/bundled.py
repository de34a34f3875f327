"""Where the data shipped with the package lives: the default of every data folder."""

from __future__ import annotations

from pathlib import Path

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
"""The bundled ``data/`` folder: the company and the market-wide files (``load_bundle``'s
default), and a scenario's ``history.data`` when it names none."""
