"""The fit cache: a fitted model stored as plain JSON, keyed by everything the fit depends on.

Fitting takes seconds (cross-validation over families, the reference class, seasonality);
simulating 100,000 paths takes a fraction of that. So the engine (``forecast.engine.pipeline``)
keeps what a run needs from a fit (``Fitted``) in a ``FitCache``: an in-process memo in
front of ``<folder>/fit-<key>.json`` files, each holding

- the lines' ``LineFit`` fields (parameters, covariance, noise, weight), each line's rival
  families (a mixture's other components) as a list of the same fields under ``rivals``;
- the seasonal log factors of every month a run may ask for, as a table
  (``CachedSeasonality``): ``as_of - 24`` to ``as_of + 36`` and the target year;
- the reference ramp's arrays (``ReferenceRamp(levels, table)``);
- the reconciled months and totals up to ``as_of``;
- the supply ceiling (``SupplyFit``'s arrays; null for none), a required key, so a file
  written before it existed is a miss.

The key (:func:`fit_key`) is the SHA-256 of the data's content hash
(``DataBundle.content_hash``: every data file's name and bytes), ``as_of``, the families
asked for, ``forecast.__version__`` and ``CACHE_SCHEMA``: change any of them and the old
entry is simply never looked up again. A cache file is data only (JSON floats round-trip
exactly), never executed or unpickled; an unreadable or malformed file counts as a miss and
is rewritten. Writes are atomic. The folder is ``$FORECAST_CACHE_DIR``, else
``$XDG_CACHE_HOME/forecast``, else ``~/.cache/forecast``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from forecast import __version__
from forecast.engine.fitted import Fitted
from forecast.fit.refclass import ReferenceRamp
from forecast.fit.supply import LEVELS, SupplyFit
from forecast.fit.types import FittedModel, LineFit
from forecast.write.atomic import atomic_open

__all__ = [
    "CACHE_SCHEMA",
    "CachedSeasonality",
    "FitCache",
    "cache_dir",
    "fit_key",
    "load_fit",
    "save_fit",
]

CACHE_SCHEMA = 2
"""Bump when the stored layout or the meaning of a stored field changes."""

LEVELS_SIZE = LEVELS.size  # columns of a stored supply growth table
SEASON_BEFORE, SEASON_AFTER = 24, 36  # months of seasonal factors kept around as_of


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedSeasonality:
    """Seasonal log factors as a table over contiguous months (a ``Seasonality``)."""

    months: np.ndarray  # (k,) int64, contiguous
    factors: np.ndarray  # (k,)

    def log_factors(self, months: np.ndarray) -> np.ndarray:
        """Additive log factors, shape (m,); ``ValueError`` for a month outside the table."""
        index = np.asarray(months, dtype=np.int64) - int(self.months[0])
        if index.size and (index.min() < 0 or index.max() >= self.months.size):
            raise ValueError(
                f"cached seasonality covers months {int(self.months[0])}..{int(self.months[-1])}"
            )
        return self.factors[index]

    def covers(self, months: Iterable[int]) -> bool:
        first, last = int(self.months[0]), int(self.months[-1])
        return all(first <= int(m) <= last for m in months)


class FitCache:
    """The one fit cache: an in-process memo in front of the JSON files in ``folder``.

    ``FitCache.on_disk()`` uses the cache folder (``cache_dir``); ``FitCache.in_memory()``
    keeps fits for the life of the object and touches no file. A memo entry read back from
    disk holds a seasonal table, so it is only a hit for the target-year months it covers,
    like the file it came from.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._memo: dict[str, Fitted] = {}

    @classmethod
    def on_disk(cls, folder: Path | None = None) -> FitCache:
        """Memo and files, in ``folder`` (default: ``cache_dir()`` now)."""
        return cls(cache_dir() if folder is None else Path(folder))

    @classmethod
    def in_memory(cls) -> FitCache:
        return cls(None)

    def get(self, key: str, *, season_months: Iterable[int] = ()) -> Fitted | None:
        """The fit stored under ``key`` that covers ``season_months``, else None."""
        season_months = tuple(season_months)
        hit = self._memo.get(key)
        if hit is not None and _covers(hit, season_months):
            return hit
        if self.folder is None:
            return None
        hit = load_fit(key, season_months=season_months, folder=self.folder)
        if hit is not None:
            self._memo[key] = hit
        return hit

    def put(self, key: str, fitted: Fitted, *, season_months: Iterable[int] = ()) -> None:
        """Keep ``fitted`` under ``key`` (and write it, when on disk)."""
        self._memo[key] = fitted
        if self.folder is not None:
            save_fit(key, fitted, season_months=season_months, folder=self.folder)


def _covers(fitted: Fitted, months: Iterable[int]) -> bool:
    season = fitted.model.seasonality
    return not isinstance(season, CachedSeasonality) or season.covers(months)


def cache_dir() -> Path:
    """``$FORECAST_CACHE_DIR``, else ``$XDG_CACHE_HOME/forecast``, else ``~/.cache/forecast``."""
    if os.environ.get("FORECAST_CACHE_DIR"):
        return Path(os.environ["FORECAST_CACHE_DIR"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "forecast"


def fit_key(content_hash: str, *, as_of: int, families: Mapping[str, str]) -> str:
    """SHA-256 (hex) of the data's content hash, ``as_of``, families, version and schema."""
    head = {
        "schema": CACHE_SCHEMA,
        "version": __version__,
        "data": content_hash,
        "as_of": int(as_of),
        "families": sorted(families.items()),
    }
    return hashlib.sha256(json.dumps(head, sort_keys=True).encode()).hexdigest()


def _path(key: str, folder: Path | None) -> Path:
    return (cache_dir() if folder is None else folder) / f"fit-{key}.json"


def save_fit(
    key: str, fitted: Fitted, *, season_months: Iterable[int] = (), folder: Path | None = None
) -> None:
    """Store ``fitted`` under ``key`` in ``folder`` (default: ``cache_dir()``); a write
    failure is not an error.

    ``season_months``: the target year's months, kept in the seasonal table as well.
    """
    model: FittedModel = fitted.model
    ramp = model.ramp
    if not isinstance(ramp, ReferenceRamp):
        return  # only the fitted reference ramp has a plain-data form
    months = np.arange(model.as_of - SEASON_BEFORE, model.as_of + SEASON_AFTER + 1)
    extra = [int(m) for m in season_months]
    if extra:
        months = np.arange(min(int(months[0]), *extra), max(int(months[-1]), *extra) + 1)
    factors = np.asarray(model.seasonality.log_factors(months), dtype=float)
    # The factors of the months a plan simulates, evaluated exactly as ``make_plan`` does:
    # a matrix-vector product may round differently for a longer vector of months.
    sim = np.array([m for m in extra if m > model.as_of], dtype=np.int64)
    if sim.size:
        factors[sim - months[0]] = model.seasonality.log_factors(sim)
    data = {
        "schema": CACHE_SCHEMA,
        "version": __version__,
        "key": key,
        "as_of": int(model.as_of),
        "lines": [_line_to_json(fit) for fit in model.lines],
        "seasonality": {"first": int(months[0]), "factors": _floats(factors)},
        "ramp": {"levels": _floats(ramp.levels), "table": np.asarray(ramp.table).tolist()},
        "months": [int(m) for m in fitted.months],
        "totals": _floats(fitted.totals),
        "supply": _supply_to_json(model.supply),
    }
    try:
        with atomic_open(_path(key, folder)) as handle:
            json.dump(data, handle, allow_nan=False)
    except (OSError, ValueError):
        pass  # a cache that cannot be written only costs the next run a refit


def load_fit(
    key: str, *, season_months: Iterable[int] = (), folder: Path | None = None
) -> Fitted | None:
    """The fit stored under ``key``, or None if absent, unreadable, malformed or too short."""
    try:
        with open(_path(key, folder), encoding="utf-8") as handle:
            data = json.load(handle)
        if data["schema"] != CACHE_SCHEMA or data["key"] != key:
            return None
        fit = _from_json(data)
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
    season = fit.model.seasonality
    assert isinstance(season, CachedSeasonality)
    return fit if season.covers(season_months) else None


def _from_json(data: dict) -> Fitted:
    factors = np.array(data["seasonality"]["factors"], dtype=float)
    first = int(data["seasonality"]["first"])
    season = CachedSeasonality(months=np.arange(first, first + factors.size), factors=factors)
    ramp = ReferenceRamp(
        levels=np.array(data["ramp"]["levels"], dtype=float),
        table=np.array(data["ramp"]["table"], dtype=float),
    )
    if ramp.table.ndim != 2 or ramp.table.shape[0] != ramp.levels.size or factors.ndim != 1:
        raise ValueError("malformed cache arrays")
    model = FittedModel(
        lines=tuple(_line_from_json(d) for d in data["lines"]),
        seasonality=season,
        ramp=ramp,
        as_of=int(data["as_of"]),
        supply=_supply_from_json(data["supply"]),
    )
    months = np.array(data["months"], dtype=np.int64)
    totals = np.array(data["totals"], dtype=float)
    if months.shape != totals.shape:
        raise ValueError("malformed cache arrays")
    return Fitted(model=model, months=months, totals=totals)


def _floats(values: Any) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=float).ravel()]


def _line_to_json(fit: LineFit) -> dict:
    return {
        **_family_to_json(fit),
        "weight": float(fit.weight),
        "rivals": [{**_family_to_json(r), "weight": float(r.weight)} for r in fit.rivals],
    }


def _family_to_json(fit: LineFit) -> dict:
    return {
        "line": fit.line,
        "family": fit.family,
        "param_names": list(fit.param_names),
        "params": _floats(fit.params),
        "cov": np.asarray(fit.cov, dtype=float).tolist(),
        "origin": int(fit.origin),
        "sigma": float(fit.sigma),
        "phi": float(fit.phi),
        "last_resid": float(fit.last_resid),
        "last_month": int(fit.last_month),
    }


def _line_from_json(d: dict) -> LineFit:
    fit = _family_from_json(d)
    rivals = tuple(_family_from_json(r) for r in d["rivals"])
    if any(r.line != fit.line or r.rivals for r in rivals):
        raise ValueError("malformed rivals")
    weights = np.array([fit.weight, *(r.weight for r in rivals)])
    if not (np.all(weights > 0) and abs(weights.sum() - 1.0) < 1e-9):
        raise ValueError("weights must be positive and sum to 1")
    return dataclasses.replace(fit, rivals=rivals)


def _family_from_json(d: dict) -> LineFit:
    params = np.array(d["params"], dtype=float)
    cov = np.array(d["cov"], dtype=float).reshape(params.size, params.size)
    return LineFit(
        line=str(d["line"]),
        family=str(d["family"]),
        param_names=tuple(d["param_names"]),
        params=params,
        cov=cov,
        origin=int(d["origin"]),
        sigma=float(d["sigma"]),
        phi=float(d["phi"]),
        last_resid=float(d["last_resid"]),
        last_month=int(d["last_month"]),
        weight=float(d["weight"]),
    )


def _supply_to_json(supply: SupplyFit | None) -> dict | None:
    if supply is None:
        return None
    return {
        "as_of": int(supply.as_of),
        "demonstrated": float(supply.demonstrated),
        "stated_start": [int(m) for m in supply.stated_start],
        "stated_low": _floats(supply.stated_low),
        "stated_high": _floats(supply.stated_high),
        "growth": np.asarray(supply.growth, dtype=float).tolist(),
    }


def _supply_from_json(d: dict | None) -> SupplyFit | None:
    if d is None:
        return None
    growth = np.array(d["growth"], dtype=float).reshape(-1, LEVELS_SIZE)
    return SupplyFit(
        as_of=int(d["as_of"]),
        demonstrated=float(d["demonstrated"]),
        stated_start=np.array(d["stated_start"], dtype=np.int64),
        stated_low=np.array(d["stated_low"], dtype=float),
        stated_high=np.array(d["stated_high"], dtype=float),
        growth=growth,
    )
