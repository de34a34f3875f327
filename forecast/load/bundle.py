"""All the data a forecast reads, loaded once at the edge, and cut at a month in one place.

``load_bundle(company_dir, market_dir)`` reads a company's files and the market-wide files
into one frozen ``DataBundle``; after it, fitting, planning, simulating and summarising open
no file. Today both folders are the bundled ``data/``.

- company (``company_dir``): ``company.csv`` -> ``Company`` (its label, name and make);
  ``lines.csv``, ``deliveries.csv``, ``totals.csv``, ``targets.csv``, ``anomalies.csv``
  (optional) -> ``History``; ``context.csv`` (optional) -> ``ContextNote`` s;
  ``capacity.csv`` (optional) -> ``StatedCapacity`` s.
- market (``market_dir``): ``market.csv`` -> ``MarketSeries``, ``calendar.csv`` ->
  ``Calendar``, ``bev_models.csv`` (the reference launches) -> ``ModelSales``,
  ``calibration.csv`` (optional) -> ``CalibrationRow`` s, ``reference_launches.csv``
  (optional) -> the launches a backtest replays by default, ``output_growth.csv``
  (optional) -> ``GrowthSample`` s (``forecast.load.capacity``: both feed the supply ceiling).

``DataBundle.cut(as_of)`` is the only place that slices data by date: the data as it stood at
the end of month ``as_of``, for a fit or a replayed past forecast. It is driven by
``CUT_RULES``, one rule per field of every dataclass it cuts, and refuses a dataclass with a
field that has no rule, so a new field cannot silently stay uncut.

``content_hash`` is the SHA-256 of the names and bytes of the files the answers depend on
(every file above but ``context.csv`` and ``reference_launches.csv``, which feed no
forecast); it keys the fit
cache, and its first 16 digits are the ``data_hash`` of ``summary.csv``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np

from forecast.errors import DataError, ForecastError
from forecast.load import paths
from forecast.load.bev_models import ModelSales, load_bev_models
from forecast.load.calendar import Calendar, load_calendar
from forecast.load.calibration import CalibrationRow, load_calibration
from forecast.load.capacity import (
    CAPACITY_FILE,
    GROWTH_FILE,
    GrowthSample,
    StatedCapacity,
    load_capacity,
    load_output_growth,
)
from forecast.load.company import Company, load_company
from forecast.load.context import ContextNote, load_context
from forecast.load.history import History, load_history
from forecast.load.launches import load_reference_launches
from forecast.load.market import MarketSeries, load_market
from forecast.months import format_month

__all__ = [
    "COMPANY_FILES",
    "CUT_RULES",
    "MARKET_FILES",
    "DataBundle",
    "cut_data",
    "load_bundle",
]

COMPANY_FILES = (
    "company.csv",
    "lines.csv",
    "deliveries.csv",
    "totals.csv",
    "targets.csv",
    "anomalies.csv",
)
MARKET_FILES = ("market.csv", "calendar.csv", "bev_models.csv", "calibration.csv")
CONTEXT_FILE = "context.csv"
REFERENCE_LAUNCHES_FILE = "reference_launches.csv"

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class DataBundle:
    """A company's history and the market-wide data, validated; ``as_of`` None when uncut.

    ``profile``: the company's label, name and make. ``company``: the delivery history (figures not yet reconciled). ``market``: national
    monthly sales, for seasonality. ``calendar``: Lunar New Year windows. ``launches``: the
    best-seller lists behind the reference class of launches. ``calibration``: the model
    error by month. ``context``: dated notes. ``reference_launches``: the launches (``Make|Model``)
    a backtest replays by default. ``content_hash``: see the module notes. ``capacity``:
    the company's stated capacities; ``output_growth``: carmakers' output growth samples
    (``forecast.load.capacity``; both feed ``forecast.fit.supply``).
    """

    profile: Company
    company: History
    market: MarketSeries
    calendar: Calendar
    launches: ModelSales
    calibration: tuple[CalibrationRow, ...]
    context: tuple[ContextNote, ...]
    reference_launches: tuple[str, ...]
    content_hash: str
    as_of: int | None = None
    capacity: tuple[StatedCapacity, ...] = ()
    output_growth: tuple[GrowthSample, ...] = ()

    def cut(self, as_of: int) -> DataBundle:
        """The data as it stood at the end of month ``as_of``: nothing later survives."""
        return cut_data(self, as_of)

    @property
    def data_hash(self) -> str:
        """The short content hash written in ``summary.csv``."""
        return self.content_hash[:16]

    def check_as_of(self, as_of: int | None, *, key: str = "as_of") -> int:
        """``as_of`` if the history covers it (default: its last month), else a one-line
        ``ForecastError`` naming ``key`` (what the user typed, e.g. ``history.as_of``)."""
        months = self.company.months
        first, last = int(months[0]), int(months[-1])
        if as_of is None:
            return last
        if not first <= as_of <= last:
            raise ForecastError(
                f"{key}: {format_month(as_of)} is outside the history "
                f"({format_month(first)} to {format_month(last)})"
            )
        return as_of


def load_bundle(
    company_dir: str | Path | None = None, market_dir: str | Path | None = None
) -> DataBundle:
    """Load and validate every data file (default: the bundled ``data/`` for both).

    Each file reports all its problems; the problems of every file are raised together as
    one ``DataError``.
    """
    company_dir = Path(company_dir) if company_dir is not None else paths.default_company_dir()
    market_dir = paths.market_dir(company_dir) if market_dir is None else Path(market_dir)
    problems: list[str] = []

    def read(load: Callable[[], T]) -> T | None:
        try:
            return load()
        except DataError as error:
            problems.extend(error.problems)
            return None

    profile = read(lambda: load_company(company_dir / "company.csv"))
    company = read(lambda: load_history(company_dir))
    context = read(lambda: load_context(company_dir / CONTEXT_FILE))
    market = read(lambda: load_market(market_dir / "market.csv"))
    calendar = read(lambda: load_calendar(market_dir / "calendar.csv"))
    launches = read(lambda: load_bev_models(market_dir / "bev_models.csv"))
    calibration = read(lambda: load_calibration(market_dir))
    references_path = market_dir / REFERENCE_LAUNCHES_FILE
    references = read(
        lambda: load_reference_launches(references_path) if references_path.exists() else ()
    )
    capacity = read(lambda: load_capacity(company_dir / CAPACITY_FILE))
    growth = read(lambda: load_output_growth(market_dir / GROWTH_FILE))
    if problems:
        raise DataError(problems)
    assert capacity is not None and growth is not None
    assert company is not None and context is not None and market is not None
    assert calendar is not None and launches is not None and calibration is not None
    assert profile is not None and references is not None
    files = [company_dir / name for name in COMPANY_FILES]
    files += [market_dir / name for name in MARKET_FILES]
    files += [company_dir / CAPACITY_FILE, market_dir / GROWTH_FILE]
    return DataBundle(
        profile=profile,
        company=company,
        market=market,
        calendar=calendar,
        launches=launches,
        calibration=calibration,
        context=context,
        reference_launches=references,
        capacity=capacity,
        output_growth=growth,
        content_hash=_content_hash([path for path in files if path.exists()]),
    )


def _content_hash(paths: list[Path]) -> str:
    """SHA-256 (hex) over the files' names and bytes, in name order (``summary.csv``'s
    ``data_hash`` is its first 16 digits, as it always was)."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------- cutting

Rule = Callable[[Any, int, Any], Any]
"""``rule(value, as_of, owner) -> value`` as it stood at the end of ``as_of``; ``owner`` is
the object the field belongs to (some fields are cut by another field, e.g. ``months``)."""


def keep(value: Any, as_of: int, owner: Any) -> Any:
    """The field does not change with time (a name, a folder, the calendar)."""
    return value


def along_months(axis: int) -> Rule:
    """An array with a month axis ``axis`` aligned with the owner's ``months``."""

    def cut(value: np.ndarray, as_of: int, owner: Any) -> np.ndarray:
        kept = np.compress(np.asarray(owner.months) <= as_of, value, axis=axis)
        kept.setflags(write=False)
        return kept

    return cut


def items_until(month_of: Callable[[Any], int]) -> Rule:
    """A tuple (or frozenset) of items, each known from ``month_of(item)``."""

    def cut(value: Any, as_of: int, owner: Any) -> Any:
        kept = (item for item in value if month_of(item) <= as_of)
        return frozenset(kept) if isinstance(value, frozenset) else tuple(kept)

    return cut


def nested(value: Any, as_of: int, owner: Any) -> Any:
    """A dataclass with its own rules in ``CUT_RULES``."""
    return cut_data(value, as_of)


def _history_lines(value: tuple[str, ...], as_of: int, owner: History) -> tuple[str, ...]:
    return tuple(line for line in value if owner.first_month[line] <= as_of)


def _history_first_month(value: Mapping[str, int], as_of: int, owner: History) -> Mapping:
    return MappingProxyType({line: first for line, first in value.items() if first <= as_of})


def _bundle_as_of(value: int | None, as_of: int, owner: DataBundle) -> int:
    return as_of if value is None else min(value, as_of)


CUT_RULES: Mapping[type, Mapping[str, Rule]] = MappingProxyType(
    {
        History: {
            "data_dir": keep,
            "lines": _history_lines,
            "first_month": _history_first_month,
            "months": along_months(0),
            "monthly": items_until(lambda obs: obs.last),
            "totals": items_until(lambda obs: obs.last),
            # a statement is known from the end of the day, month or year it is dated
            # (forecast.load.targets: never before it could have been known)
            "targets": items_until(lambda target: target.known_month),
            "anomalies": items_until(lambda anomaly: anomaly[0]),
            "first_delivery": keep,  # a fact about the past of every month of the history
        },
        MarketSeries: {
            "months": along_months(0),
            "passenger": along_months(0),
            "bev": along_months(0),
        },
        ModelSales: {
            "months": along_months(0),
            "names": keep,  # a model's row stays (all zeros if it was first listed later)
            "units": along_months(1),
            "listed": along_months(1),
        },
        DataBundle: {
            "profile": keep,
            "company": nested,
            "market": nested,
            # Lunar New Year dates are published years ahead, and the seasonality of the
            # months being forecast needs them: the calendar is known at any cut-off.
            "calendar": keep,
            "launches": nested,
            "calibration": items_until(lambda row: row.as_of),
            "context": items_until(lambda note: note.month),
            "reference_launches": keep,  # a list of names; their sales are cut in launches
            "content_hash": keep,  # the source files' hash; the cache key adds as_of
            "as_of": _bundle_as_of,
            # a stated capacity counts from its announcement; a growth sample from the
            # month its horizon ended (forecast.load.capacity)
            "capacity": items_until(lambda row: row.announced),
            "output_growth": items_until(lambda sample: sample.known),
        },
    }
)
"""For each dataclass that ``cut_data`` cuts, one rule for each of its fields."""


def cut_data(data: T, as_of: int) -> T:
    """``data`` as it stood at the end of month ``as_of``, by its class's ``CUT_RULES``.

    Every field is rebuilt by its rule (the constructor then checks the result), so a
    class whose fields and rules differ is refused rather than cut partly.

    Raises
    ------
    TypeError
        ``data``'s class has no rules, or a field without a rule (or a rule without a field).
    """
    rules = CUT_RULES.get(type(data))
    if rules is None:
        raise TypeError(f"no cut rules for {type(data).__name__}")
    names = [field.name for field in dataclasses.fields(data)]  # type: ignore[arg-type]
    unruled = [name for name in names if name not in rules]
    stale = [name for name in rules if name not in names]
    if unruled or stale:
        raise TypeError(
            f"{type(data).__name__}: fields without a cut rule {unruled}, "
            f"rules without a field {stale} (see forecast.load.bundle.CUT_RULES)"
        )
    return type(data)(
        **{name: rules[name](getattr(data, name), int(as_of), data) for name in names}
    )
