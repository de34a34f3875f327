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
exactly), never executed or unpickled. Writes are atomic. The folder is
``$FORECAST_CACHE_DIR``, else ``$XDG_CACHE_HOME/forecast``, else ``~/.cache/forecast``.

A file is verified, not trusted (``read_sealed``, ``check_fitted``): it is an envelope
``{"format", "sha256", "head", "fit"}`` whose ``sha256`` is the checksum of the fit's
canonical JSON text and whose ``head`` is what the key was hashed from (so it names the
lines the fit must have). A file that is not a regular file (a FIFO is never opened for
reading in a way that blocks), too large, not JSON, truncated, holding NaN or infinity,
failing its checksum, or deserialising into anything but a valid fit (types, shapes,
finite numbers, variances >= 0, the key's lines and ``as_of``) is ignored with a one-line
warning on stderr and refitted, and the refit replaces it: never used, never fatal.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    "DamagedCache",
    "FitCache",
    "FitKey",
    "check_fitted",
    "cache_dir",
    "fit_key",
    "load_fit",
    "save_fit",
]

CACHE_SCHEMA = 5
"""Bump when the stored layout or the meaning of a stored field changes."""

LEVELS_SIZE = LEVELS.size  # columns of a stored supply growth table
FORMAT = "forecast-fit"  # the envelope's "format"
MAX_BYTES = 64 * 2**20  # a larger "cache file" is not one of ours


class DamagedCache(Exception):
    """A cache file that must not be used; the message says why, in a few words."""


class FitKey(str):
    """A fit cache key (hex SHA-256) that remembers ``head``, what it was hashed from."""

    head: dict[str, Any]


def warn(message: str) -> None:
    """The default ``FitCache.on_problem``: one line on stderr."""
    print(f"warning: {message}", file=sys.stderr)


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

    def __init__(
        self, folder: Path | None = None, *, on_problem: Callable[[str], None] = warn
    ) -> None:
        self.folder = folder
        self.on_problem = on_problem  # told, in one line, of each damaged file ignored
        self.from_file = 0  # fits read back from files (tests and run records may ask)
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
        hit = load_fit(
            key, season_months=season_months, folder=self.folder, on_problem=self.on_problem
        )
        if hit is not None:
            self._memo[key] = hit
            self.from_file += 1
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
        "families": [list(item) for item in sorted(families.items())],
    }
    key = FitKey(_head_hash(head))
    key.head = head
    return key


def _head_hash(head: Mapping[str, Any]) -> str:
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
        sealed = seal(data, head=getattr(key, "head", None))
        with atomic_open(_path(key, folder)) as handle:
            handle.write(sealed)
    except (OSError, ValueError):
        pass  # a cache that cannot be written only costs the next run a refit


def load_fit(
    key: str,
    *,
    season_months: Iterable[int] = (),
    folder: Path | None = None,
    on_problem: Callable[[str], None] = warn,
) -> Fitted | None:
    """The fit stored under ``key``, or None if absent, damaged (``on_problem`` is told why)
    or too short for ``season_months``."""
    path = _path(key, folder)
    try:
        data, head = read_sealed(path, key)
        if data["schema"] != CACHE_SCHEMA or data["key"] != key:
            raise DamagedCache("written for another key or schema")
        fit = _from_json(data)
        check_fitted(fit, lines=_head_lines(head), as_of=None if head is None else head["as_of"])
    except FileNotFoundError:
        return None
    except DamagedCache as error:
        on_problem(f"ignoring the fit cache file {path}: {error}; fitting again")
        return None
    except Exception as error:  # anything else off in a file: never fatal
        reason = f"{type(error).__name__}: {error}".splitlines()[0][:120]
        on_problem(f"ignoring the fit cache file {path}: {reason}; fitting again")
        return None
    season = fit.model.seasonality
    assert isinstance(season, CachedSeasonality)
    return fit if season.covers(season_months) else None


# ---------------------------------------------------------------- verification


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def seal(data: Mapping[str, Any], *, head: Mapping[str, Any] | None = None) -> str:
    """The file text of ``data``: an envelope holding it, its checksum and the key's head."""
    text = _canonical(data)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    envelope = {"format": FORMAT, "sha256": digest, "head": head, "fit": data}
    return _canonical(envelope) + "\n"


def _no_constant(name: str) -> float:
    raise DamagedCache(f"holds {name}")


def _finite_float(text: str) -> float:
    value = float(text)
    if not np.isfinite(value):
        raise DamagedCache(f"holds {text[:20]}, out of range")
    return value


def read_sealed(path: Path, key: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The fit data and the key's head in the file at ``path``, verified.

    ``FileNotFoundError`` when there is no file; ``DamagedCache`` for anything else off.
    The file type is checked before opening, and the open does not block (a FIFO), and
    again on the open file (it may have been swapped meanwhile).
    """
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise DamagedCache("not a regular file")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise DamagedCache("not a regular file")
        if info.st_size > MAX_BYTES:
            raise DamagedCache(f"{info.st_size} bytes, too large")
        raw = handle.read(MAX_BYTES + 1)
    try:
        text = raw.decode("utf-8")
        envelope = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise DamagedCache("not JSON (truncated?)") from None
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        raise DamagedCache(f"not a {FORMAT} file")
    data, head = envelope.get("fit"), envelope.get("head")
    if not isinstance(data, dict):
        raise DamagedCache("no fit in it")
    digest = hashlib.sha256(_canonical(data).encode("utf-8")).hexdigest()
    if digest != envelope.get("sha256"):
        raise DamagedCache("its checksum does not match its content")
    if head is not None and (not isinstance(head, dict) or _head_hash(head) != key):
        raise DamagedCache("its key head does not hash to its key")
    return data, head


def _head_lines(head: Mapping[str, Any] | None) -> tuple[str, ...] | None:
    """The lines a key's head names (those with history at its ``as_of``)."""
    if head is None:
        return None
    return tuple(str(line) for line, _family in head["families"])


def check_fitted(
    fitted: Fitted, *, lines: Sequence[str] | None = None, as_of: int | None = None
) -> None:
    """Raise ``DamagedCache`` unless ``fitted`` is a fit a run can use: the expected
    ``lines`` (if given) each once, finite numbers, square covariances with variances >= 0,
    a residual autocorrelation in [-1, 1], contiguous months, totals >= 0."""
    from forecast.fit.growth import PARAM_NAMES

    model = fitted.model
    if as_of is not None and model.as_of != as_of:
        raise DamagedCache(f"fitted as of {model.as_of}, not {as_of}")
    names = [fit.line for fit in model.lines]
    if not names or len(set(names)) != len(names):
        raise DamagedCache(f"lines {names}: none or repeated")
    if lines is not None and sorted(names) != sorted(lines):
        raise DamagedCache(f"lines {sorted(names)}, the key names {sorted(lines)}")
    for fit in model.lines:
        _check_line(fit, PARAM_NAMES)
    season = model.seasonality
    if isinstance(season, CachedSeasonality):
        _finite(season.factors, "seasonal factors", ndim=1)
        _contiguous(season.months, "seasonal months")
    ramp = model.ramp
    if isinstance(ramp, ReferenceRamp):
        _finite(ramp.levels, "ramp levels", ndim=1)
        _finite(ramp.table, "ramp table", ndim=2)
        if ramp.table.shape[0] != ramp.levels.size or ramp.levels.size < 2:
            raise DamagedCache("ramp table and levels disagree")
    _contiguous(fitted.months, "months")
    _finite(fitted.totals, "totals", ndim=1)
    if fitted.totals.shape != fitted.months.shape or np.any(fitted.totals < 0):
        raise DamagedCache("totals: negative or not one per month")


def _check_line(fit: LineFit, param_names: Mapping[str, tuple[str, ...]]) -> None:
    where = f"line {fit.line!r}"
    if param_names.get(fit.family) != tuple(fit.param_names):
        raise DamagedCache(f"{where}: family {fit.family!r} with parameters {fit.param_names}")
    k = len(fit.param_names)
    _finite(fit.params, f"{where}: params", ndim=1)
    _finite(fit.cov, f"{where}: cov", ndim=2)
    if fit.params.shape != (k,) or fit.cov.shape != (k, k):
        raise DamagedCache(f"{where}: params or cov of the wrong shape")
    if np.any(np.diag(fit.cov) < 0) or not np.allclose(fit.cov, fit.cov.T, rtol=1e-9, atol=0):
        raise DamagedCache(f"{where}: a negative variance or an asymmetric covariance")
    scalars = np.array([fit.sigma, fit.phi, fit.last_resid], dtype=float)
    if not np.all(np.isfinite(scalars)) or fit.sigma < 0 or abs(fit.phi) > 1:
        raise DamagedCache(f"{where}: sigma, phi or the last residual out of range")


def _finite(values: np.ndarray, what: str, *, ndim: int) -> None:
    array = np.asarray(values)
    if array.ndim != ndim or array.dtype.kind not in "fiu" or not np.all(np.isfinite(array)):
        raise DamagedCache(f"{what}: not a finite {ndim}-d array of numbers")


def _contiguous(months: np.ndarray, what: str) -> None:
    months = np.asarray(months)
    if months.ndim != 1 or months.size == 0 or np.any(np.diff(months) != 1):
        raise DamagedCache(f"{what}: not contiguous months")


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
