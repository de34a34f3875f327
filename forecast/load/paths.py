"""Where the bundled data and scenario library live inside the installed package.

``forecast/data/companies/<label>/`` holds one company's files (``company.csv``,
``deliveries.csv``, ``totals.csv``, ``lines.csv``, ``targets.csv`` and the optional
``anomalies.csv``, ``context.csv``, ``claims.csv``); ``forecast/data/market/`` the market-wide
files (``market.csv``, ``calendar.csv``, ``bev_models.csv``, ``calibration.csv``,
``reference_launches.csv``); ``forecast/scenarios/`` the scenario library. A company folder of
the user's own (``history.data``) may carry its own market files; else the bundled ones serve.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from forecast.errors import ConfigError, excerpt

PACKAGE = Path(__file__).resolve().parents[1]
DATA = PACKAGE / "data"
COMPANIES = DATA / "companies"
MARKET = DATA / "market"
SCENARIOS = PACKAGE / "scenarios"
COMPANY_FILE = "company.csv"
MARKET_FILE = "market.csv"  # a folder with this file is its own market folder
BASELINE = "baseline.toml"


def companies() -> tuple[str, ...]:
    """The bundled companies' labels, sorted."""
    if not COMPANIES.is_dir():
        return ()
    return tuple(sorted(p.name for p in COMPANIES.iterdir() if (p / COMPANY_FILE).is_file()))


def company_dir(label: str, *, key: str = "history.company") -> Path:
    """The bundled folder of company ``label``, else a one-line error naming ``key``."""
    if label in companies():
        return COMPANIES / label
    from forecast.scenario.distributions import did_you_mean

    known = companies()
    hint = did_you_mean(label, known)
    raise ConfigError(
        f"{key}: unknown company {excerpt(label)}{hint} (bundled: {', '.join(known) or 'none'})"
    )


def market_dir(company_folder: Path) -> Path:
    """The market-wide files for ``company_folder``: its own if it has them, else the bundled."""
    return company_folder if (company_folder / MARKET_FILE).is_file() else MARKET


@functools.cache
def default_company() -> str:
    """The company of the bundled baseline scenario: what ``history``, ``check`` and ``fit``
    show, and a scenario that names neither ``history.company`` nor ``history.data`` uses.
    Read from the scenario library, so that the name is data, not code."""
    with open(SCENARIOS / BASELINE, "rb") as file:
        return str(tomllib.load(file)["history"]["company"])


def default_company_dir() -> Path:
    return COMPANIES / default_company()


def scenario_path(name_or_path: str | Path) -> Path:
    """A scenario file: the path if it exists, else the library's scenario of that name
    (``baseline`` or ``baseline.toml``); the path as given otherwise (the loader reports it)."""
    path = Path(name_or_path)
    try:
        if path.exists() or path.parent != Path("."):
            return path
        named = SCENARIOS / (path.name if path.suffix == ".toml" else f"{path.name}.toml")
        return named if named.is_file() else path
    except OSError:  # a name the OS refuses (too long): the loader reports it
        return path


def library() -> tuple[Path, ...]:
    """The scenario library's files, sorted by name."""
    return tuple(sorted(SCENARIOS.glob("*.toml")))
