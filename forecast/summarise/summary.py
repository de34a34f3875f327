"""Paths -> the answer: probability of the target, quantiles, the monthly fan, the run-rate.

Everything here is a pure function of the simulated paths, so the CSV, the printed answer
and the charts all come from one ``Summary``. ``summarise`` takes every path at once;
``summarise_chunks`` takes them chunk by chunk, twice, and keeps memory flat in the number
of paths (see its docstring for what is exact).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from forecast.errors import ConfigError
from forecast.load.targets import TargetStatement
from forecast.months import format_month

QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
QUANTILE_NAMES = tuple(f"p{round(q * 100):02d}" for q in QUANTILES)
GRID = tuple(i / 100 for i in range(101))
"""Levels at which a ``Summary`` keeps the annual total's quantile (0 and 1: min and max);
``QUANTILES`` are among them, with the same values."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MonthRow:
    month: int
    actual: float | None  # reported figure, or None for a simulated month
    mean: float | None
    quantiles: tuple[float, ...] | None  # at QUANTILES, None for a reported month
    cum_p50: float
    target_pace: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """The answer for one scenario. Amounts are deliveries in the target year."""

    scenario: str
    target_year: int
    target: int
    n_paths: int
    p_hit: float
    p_hit_se: float
    mean: float
    sd: float
    quantiles: tuple[float, ...]
    expected_shortfall: float
    required_monthly: float
    months_remaining: int
    ytd_actual: float
    months: tuple[MonthRow, ...]
    # the announced target ``target`` comes from; None when the scenario set the figure
    target_statement: TargetStatement | None = None
    # the annual total's quantiles at GRID (empty for a Summary built by hand)
    quantile_grid: tuple[float, ...] = ()

    def quantile(self, q: float) -> float:
        """The annual total's quantile at level ``q`` in (0, 1).

        Exact (``numpy.quantile`` of every path's total, linear method) at ``QUANTILES`` and
        at every multiple of 0.01; between two of those, linearly interpolated, so within the
        difference of the two neighbouring exact values. For the exact value at any level,
        use the paths: ``RunResult.quantile``.

        Raises
        ------
        ValueError
            ``q`` is not strictly between 0 and 1, or the summary keeps no grid and ``q`` is
            not one of ``QUANTILES``.
        """
        if not 0.0 < q < 1.0:
            raise ValueError(f"quantile level must be strictly between 0 and 1, got {q!r}")
        if q in QUANTILES:
            return self.quantiles[QUANTILES.index(q)]
        grid = self.quantile_grid
        if not grid:
            raise ValueError(f"this summary keeps only the quantiles at {QUANTILES}, not {q!r}")
        steps = len(grid) - 1
        nearest = round(q * steps)
        if nearest / steps == q:  # a grid level: exact
            return grid[nearest]
        i = min(int(q * steps), steps - 1)
        weight = q * steps - i
        return grid[i] + weight * (grid[i + 1] - grid[i])


def hit_probability(totals: np.ndarray, target: float) -> tuple[float, float]:
    """P(total >= target) and its Monte Carlo standard error sqrt(p(1-p)/n)."""
    hits = totals >= target
    p = float(hits.mean())
    return p, float(np.sqrt(p * (1.0 - p) / totals.size))


def expected_shortfall(totals: np.ndarray, target: float) -> float:
    """Mean of (target - total) over the paths that miss; 0 when none miss."""
    short = target - totals[totals < target]
    return float(short.mean()) if short.size else 0.0


def required_monthly(target: float, ytd_actual: float, months_remaining: int) -> float:
    """The average monthly deliveries still needed; 0 once the target is met."""
    if months_remaining == 0:
        return 0.0
    return max(target - ytd_actual, 0.0) / months_remaining


@dataclass(frozen=True, slots=True, kw_only=True)
class _Stats:
    """What a ``Summary`` needs from the paths, however they were read."""

    n_paths: int
    first: np.ndarray  # (12,) the first path: the reported months are the same on every path
    p_hit: float
    mean: float
    sd: float
    grid: np.ndarray  # (len(GRID),) the annual total's quantiles
    shortfall: float
    means: np.ndarray  # (12,)
    fan: np.ndarray  # (len(QUANTILES), 12)
    cum_p50: np.ndarray  # (12,)


def summarise(
    paths: np.ndarray,
    *,
    months: np.ndarray,
    n_reported: int,
    target: int,
    scenario: str,
    target_statement: TargetStatement | None = None,
) -> Summary:
    """Summarise ``paths`` (n_paths, 12): deliveries per month of the target year.

    The first ``n_reported`` columns are reported actuals, identical on every path.
    ``target_statement``: the announced target that ``target`` was taken from, if any.
    """
    paths = np.asarray(paths, dtype=float)
    n = paths.shape[0]
    totals = paths.sum(axis=1)
    _check_finite(totals, scenario)
    by_month = np.ascontiguousarray(paths.T)  # a month per row: contiguous columns
    n_sim = paths.shape[1] - n_reported
    values = {24: _order_statistics(totals, {r for q in GRID for r in _ranks(n, q)[:2]})}
    for j in range(n_reported, paths.shape[1]):
        values[j] = _order_statistics(by_month[j], {r for q in QUANTILES for r in _ranks(n, q)[:2]})
    running = by_month[0].copy()
    for j in range(paths.shape[1]):  # np.cumsum's sequential sums, a month at a time
        if j:
            running += by_month[j]
        if j >= n_reported:
            values[12 + j] = _order_statistics(running, {(n - 1) // 2, n // 2})
    value_at = {(c, r): v for c, found in values.items() for r, v in found.items()}
    stats = _Stats(
        n_paths=n,
        first=paths[0],
        p_hit=float((totals >= target).mean()),
        mean=float(totals.mean()),
        sd=_sd(totals),
        grid=np.array([_linear(value_at, 24, n, q) for q in GRID]),
        shortfall=expected_shortfall(totals, target),
        means=paths.mean(axis=0),
        fan=_fan(value_at, n, n_reported, n_sim),
        cum_p50=_cum_p50(value_at, paths[0], n, n_reported),
    )
    return _summary(stats, months, n_reported, target, scenario, target_statement)


def _fan(value_at: dict[tuple[int, int], float], n: int, n_reported: int, n_sim: int) -> np.ndarray:
    months = range(n_reported + n_sim)
    return np.array(
        [
            [_linear(value_at, j, n, q) if j >= n_reported else math.nan for j in months]
            for q in QUANTILES
        ]
    )


def _cum_p50(
    value_at: dict[tuple[int, int], float], first: np.ndarray, n: int, n_reported: int
) -> np.ndarray:
    reported = np.cumsum(first)  # identical on every path
    return np.array(
        [reported[j] if j < n_reported else _median(value_at, 12 + j, n) for j in range(first.size)]
    )


_SAMPLE = 2**14  # values per column sampled to bracket its order statistics


def _order_statistics(x: np.ndarray, ranks: set[int]) -> dict[int, float]:
    """The values of the given ranks (0-based) in ``sorted(x)``, exact, without sorting ``x``:
    the order statistics ``numpy.quantile`` and ``numpy.median`` interpolate (``_linear``,
    ``_median`` do it as they do). One or two neighbouring ranks (a median) of a long array
    are found inside a bracket (``_bracketed``, ten times faster than a partition); more ranks
    by one partition."""
    wanted = sorted(ranks)
    if x.size > 4 * _SAMPLE and wanted[-1] - wanted[0] <= 1:
        found = _bracketed(x, wanted)
        if found is not None:
            return found
    part = np.partition(x, wanted)
    return {r: float(part[r]) for r in wanted}


def _bracketed(x: np.ndarray, wanted: list[int]) -> dict[int, float] | None:
    """The neighbouring ranks ``wanted`` of ``x`` from the values between two values of a
    regular sample, six standard errors either side of the rank: those below are counted,
    the few inside partitioned. None when a rank falls outside (about once in 10^8)."""
    n = x.size
    sample = np.sort(x[:: n // _SAMPLE])
    m, p = sample.size, wanted[0] / (n - 1)
    margin = 6.0 * math.sqrt(p * (1.0 - p) / m) + 2.0 / m
    lo = sample[max(math.floor((p - margin) * (m - 1)), 0)]
    hi = sample[min(math.ceil((p + margin) * (m - 1)), m - 1)]
    below = int(np.count_nonzero(x < lo))
    inside = x[(x >= lo) & (x <= hi)]
    if not below <= wanted[0] <= wanted[-1] < below + inside.size:
        return None
    part = np.partition(inside, [r - below for r in wanted])
    return {r: float(part[r - below]) for r in wanted}


def _summary(
    stats: _Stats,
    months: np.ndarray,
    n_reported: int,
    target: int,
    scenario: str,
    target_statement: TargetStatement | None,
) -> Summary:
    first = stats.first
    ytd = float(first[:n_reported].sum()) if n_reported else 0.0
    remaining = first.size - n_reported
    need = required_monthly(target, ytd, remaining)
    p = stats.p_hit
    grid = tuple(float(v) for v in stats.grid)
    return Summary(
        scenario=scenario,
        target_year=int(months[0]) // 12,
        target=target,
        n_paths=stats.n_paths,
        p_hit=p,
        p_hit_se=float(np.sqrt(p * (1.0 - p) / stats.n_paths)),
        mean=stats.mean,
        sd=stats.sd,
        quantiles=tuple(grid[GRID.index(q)] for q in QUANTILES),
        expected_shortfall=stats.shortfall,
        required_monthly=need,
        months_remaining=remaining,
        ytd_actual=ytd,
        months=_month_rows(stats, months, n_reported, ytd, need),
        target_statement=target_statement,
        quantile_grid=grid,
    )


# ---------------------------------------------------------------- chunk by chunk

STREAM_BINS = 2**14
"""Bins per column in ``summarise_chunks``'s first pass; the second keeps only the values in
the bins that hold a needed order statistic."""

PIECE = 2**16
"""Rows per partial sum in ``summarise_chunks``: sums are taken over these fixed pieces and
added exactly (``math.fsum``), so they do not depend on how the paths were chunked. Chunks
must be multiples of it (``forecast.simulate.paths.BLOCK`` is), except the last."""


def summarise_chunks(
    chunks: Callable[[], Iterable[np.ndarray]],
    *,
    n_paths: int,
    months: np.ndarray,
    n_reported: int,
    target: int,
    scenario: str,
    target_statement: TargetStatement | None = None,
) -> Summary:
    """``summarise`` of paths read chunk by chunk, in memory flat in ``n_paths``.

    ``chunks()`` yields the paths (rows, 12) in order; it is called twice and must yield the
    same chunks each time (simulated chunks are reproducible from their seed). The first pass
    counts each column's values (months, running totals, annual total) in ``STREAM_BINS``
    bins spanning the first chunk's range and sums by ``PIECE``; the second keeps the values of
    the bins that hold the needed order statistics and sums squared deviations.

    Exact, with the same bits as ``summarise``: P(hit), every quantile (order statistics then
    numpy's interpolation), the medians of the running totals, the reported months. Sums
    (mean, sd, monthly means, expected shortfall) are exactly rounded sums of the pieces'
    sums, so they may differ from ``summarise``'s in the last bits, and never depend on the
    chunking. Memory: the bin counts (about 3 MB) plus the values of the needed bins, a few
    ten-thousandths of the paths each for smooth distributions.

    Raises
    ------
    ConfigError
        As ``summarise`` for paths that are not finite or beyond ``MAX_TOTAL``.
    """
    first = _FirstPass(n_paths, target)
    for chunk in chunks():
        first.add(np.asarray(chunk, dtype=float))
    if first.bad:
        raise ConfigError(_too_large(scenario, first.bad, first.seen))
    if first.seen != n_paths:
        raise ValueError(f"chunks gave {first.seen} paths, expected {n_paths}")
    second = _SecondPass(first, n_reported)
    for chunk in chunks():
        second.add(np.asarray(chunk, dtype=float))
    return _summary(second.stats(), months, n_reported, target, scenario, target_statement)


def _columns(paths: np.ndarray) -> np.ndarray:
    """(rows, 25): the months, the running totals, the annual total."""
    return np.hstack([paths, np.cumsum(paths, axis=1), paths.sum(axis=1)[:, None]])


def _pieces(chunk: np.ndarray) -> list[np.ndarray]:
    return [chunk[i : i + PIECE] for i in range(0, chunk.shape[0], PIECE)]


class _FirstPass:
    """Bin counts per column, exact partial sums, the first path."""

    def __init__(self, n_paths: int, target: int) -> None:
        self.n, self.target = n_paths, target
        self.seen = self.bad = self.hits = self.misses = 0
        self.first = np.empty(0)  # the first path, (12,)
        self.t0 = 0.0  # its total
        self.low = self.scale = np.empty(0)  # per column, from the first chunk
        self.counts = np.empty(0, dtype=np.int64)
        self.sums: list[np.ndarray] = []  # per piece: months (12), total, shortfall, total - t0

    def add(self, chunk: np.ndarray) -> None:
        self.seen += chunk.shape[0]
        bad = int(np.count_nonzero(~(np.abs(chunk.sum(axis=1)) < MAX_TOTAL)))
        self.bad += bad
        if self.bad or chunk.shape[0] == 0:
            return
        cols = _columns(chunk)
        if not self.first.size:
            self.first, self.t0 = chunk[0].copy(), float(cols[0, -1])
            low, span = cols.min(axis=0), np.ptp(cols, axis=0)
            self.low = low
            self.scale = np.divide(STREAM_BINS, span, out=np.zeros_like(span), where=span > 0)
            self.counts = np.zeros(cols.shape[1] * (STREAM_BINS + 2), dtype=np.int64)
        self.counts += np.bincount(self.bins(cols).ravel(), minlength=self.counts.size)
        totals = cols[:, -1]
        self.hits += int(np.count_nonzero(totals >= self.target))
        self.misses += int(np.count_nonzero(totals < self.target))
        for piece, part in zip(_pieces(chunk), _pieces(totals), strict=True):
            short = self.target - part[part < self.target]
            extra = [part.sum(), short.sum(), (part - self.t0).sum()]
            self.sums.append(np.concatenate([piece.sum(axis=0), extra]))

    def bins(self, cols: np.ndarray) -> np.ndarray:
        """Flat bin ids (rows, 25): column c's bins are ``c * (STREAM_BINS + 2)`` onwards, the
        first and last of them for values below and above the first chunk's range. The map is
        monotone in the value, so a bin's values lie between those of its neighbours."""
        width = STREAM_BINS + 2
        first = np.arange(cols.shape[1]) * width  # column c's "below" bin
        x = np.subtract(cols, self.low)
        x *= self.scale
        x += first + 1.0  # small integers: exact; truncation is then a floor for x >= 0
        np.clip(x, first, first + width - 1, out=x)
        return x.astype(np.int64)


class _SecondPass:
    """The distinct values (with their counts) of the needed bins; squared deviations."""

    def __init__(self, first: _FirstPass, n_reported: int) -> None:
        self.first, self.n_reported = first, n_reported
        n = first.n
        sums = np.array(first.sums)  # (pieces, 15)
        self.means = np.array([math.fsum(sums[:, j]) / n for j in range(12)])
        self.mean = math.fsum(sums[:, 12]) / n
        self.shift_mean = math.fsum(sums[:, 14]) / n  # of total - t0, as _sd takes it
        self.shortfall = math.fsum(sums[:, 13]) / first.misses if first.misses else 0.0
        self.squares: list[float] = []
        width = STREAM_BINS + 2
        counts = first.counts.reshape(-1, width)
        self.where: dict[tuple[int, int], tuple[int, int]] = {}  # -> (flat bin, count below)
        self.wanted = np.zeros(counts.size, dtype=bool)
        for column, ranks in _needed_ranks(n, n_reported).items():
            cumulative = np.cumsum(counts[column])
            for rank in ranks:
                b = int(np.searchsorted(cumulative, rank, side="right"))
                self.where[column, rank] = (column * width + b, int(cumulative[b - 1]) if b else 0)
                self.wanted[column * width + b] = True
        self.kept: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, chunk: np.ndarray) -> None:
        if chunk.shape[0] == 0:
            return
        cols = _columns(chunk)
        ids = self.first.bins(cols)
        keep = self.wanted[ids]
        self.kept.append(_distinct(ids[keep], cols[keep], np.ones(int(keep.sum()), np.int64)))
        for part in _pieces(cols[:, -1]):
            dev = (part - self.first.t0) - self.shift_mean
            self.squares.append(float((dev * dev).sum()))

    def stats(self) -> _Stats:
        n, first, n_reported = self.first.n, self.first.first, self.n_reported
        ids, values, counts = _distinct(*(np.concatenate(k) for k in zip(*self.kept, strict=True)))
        value_at: dict[tuple[int, int], float] = {}
        for (column, rank), (flat, below) in self.where.items():
            lo, hi = np.searchsorted(ids, [flat, flat + 1])
            above = np.cumsum(counts[lo:hi])  # values sorted within the bin
            value_at[column, rank] = float(
                values[lo + np.searchsorted(above, rank - below, "right")]
            )
        fan = [
            [_linear(value_at, j, n, q) if j >= n_reported else math.nan for j in range(12)]
            for q in QUANTILES
        ]
        reported = np.cumsum(first)  # identical on every path
        cum_p50 = [
            reported[j] if j < n_reported else _median(value_at, 12 + j, n) for j in range(12)
        ]
        return _Stats(
            n_paths=n,
            first=first,
            p_hit=self.first.hits / n,
            mean=self.mean,
            sd=math.sqrt(math.fsum(self.squares) / (n - 1)) if n > 1 else 0.0,
            grid=np.array([_linear(value_at, 24, n, q) for q in GRID]),
            shortfall=self.shortfall,
            means=self.means,
            fan=np.array(fan),
            cum_p50=np.array(cum_p50),
        )


def _distinct(
    ids: np.ndarray, values: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Equal (id, value) pairs merged, their counts added; sorted by id, then value. A bin
    holding a value many paths share (a binding ceiling) thus costs one entry."""
    order = np.lexsort((values, ids))
    ids, values, counts = ids[order], values[order], counts[order]
    new = np.ones(ids.size, dtype=bool)
    new[1:] = (ids[1:] != ids[:-1]) | (values[1:] != values[:-1])
    starts = np.flatnonzero(new)
    return ids[starts], values[starts], np.add.reduceat(counts, starts) if starts.size else counts


def _ranks(n: int, q: float) -> tuple[int, int, float]:
    """numpy's linear method: the two order statistics of level ``q`` and the weight."""
    virtual = (n - 1) * q
    below = min(math.floor(virtual), n - 1)
    return below, min(below + 1, n - 1), virtual - below


def _needed_ranks(n: int, n_reported: int) -> dict[int, set[int]]:
    """Column -> the order statistics it needs: the total's at GRID, the simulated months' at
    QUANTILES, the running totals' medians (the reported months' are known)."""
    ranks = {24: {r for q in GRID for r in _ranks(n, q)[:2]}}
    for j in range(n_reported, 12):
        ranks[j] = {r for q in QUANTILES for r in _ranks(n, q)[:2]}
        ranks[12 + j] = {(n - 1) // 2, n // 2}
    return ranks


def _linear(value_at: dict[tuple[int, int], float], column: int, n: int, q: float) -> float:
    """``numpy.quantile``'s linear interpolation between the two order statistics (its
    ``_lerp``: from the upper one when the weight is at least a half)."""
    below, above, t = _ranks(n, q)
    a, b = value_at[column, below], value_at[column, above]
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


def _median(value_at: dict[tuple[int, int], float], column: int, n: int) -> float:
    """``numpy.median``: the middle value, or the mean of the two middle ones."""
    middle = np.array([value_at[column, (n - 1) // 2], value_at[column, n // 2]])
    return float(middle[0]) if n % 2 else float(middle.mean())


def _sd(totals: np.ndarray) -> float:
    """Sample standard deviation; exactly 0 when every path has the same total.

    Deviations are taken from the first total, not the mean: the mean of equal values,
    summed pairwise, can miss them by an ulp and leave an sd of 1e-11 for identical paths.
    The shift changes nothing else (the variance does not depend on it).
    """
    if totals.size < 2:
        return 0.0
    return float(np.std(totals - totals[0], ddof=1))


MAX_TOTAL = 1e15  # deliveries in a year; far beyond any maker, well inside float range


def _check_finite(totals: np.ndarray, scenario: str) -> None:
    """Paths beyond any real market (a boost of 1e300, a lognormal with sigma 1000) would give
    infinite or NaN statistics; they are a scenario error, not an answer. ``totals``: each
    path's sum, (n_paths,)."""
    bad = ~(np.abs(totals) < MAX_TOTAL)  # NaN is bad too
    if bad.any():
        raise ConfigError(_too_large(scenario, int(bad.sum()), bad.size))


def _too_large(scenario: str, bad: int, n: int) -> str:
    return (
        f"{scenario}: {bad:,} of {n:,} paths deliver more than "
        f"{MAX_TOTAL:.0e} units or overflow: an input distribution or factor is far too large"
    )


def _month_rows(
    stats: _Stats, months: np.ndarray, n_reported: int, ytd: float, need: float
) -> tuple[MonthRow, ...]:
    first, fan = stats.first, stats.fan
    rows = []
    for i, month in enumerate(months):
        reported = i < n_reported
        # the pace that reaches the target: actuals so far, then the required run-rate
        pace = float(first[: i + 1].sum()) if reported else ytd + need * (i + 1 - n_reported)
        rows.append(
            MonthRow(
                month=int(month),
                actual=float(first[i]) if reported else None,
                mean=None if reported else float(stats.means[i]),
                quantiles=None if reported else tuple(float(v) for v in fan[:, i]),
                cum_p50=float(stats.cum_p50[i]),
                target_pace=pace,
            )
        )
    return tuple(rows)


def describe(summary: Summary) -> str:
    """The short human answer printed by ``forecast run``."""
    s = summary
    lines = [
        f"{s.scenario}: P({s.target:,} in {s.target_year}) = {s.p_hit:.1%} ± {s.p_hit_se:.1%}",
        f"  median {s.quantile(0.5):,.0f}; 90% range {s.quantile(0.05):,.0f} to {s.quantile(0.95):,.0f}",
    ]
    if s.target_statement is not None:
        lines.append(f"  target: {statement_text(s.target_statement)}")
    if s.months_remaining:
        first = format_month(s.months[-s.months_remaining].month)
        lines.append(
            f"  needs {s.required_monthly:,.0f} a month from {first} to December "
            f"({s.ytd_actual:,.0f} delivered so far in {s.target_year})"
        )
    if s.p_hit == 0:  # summary.csv has the shortfall then too
        lines.append(f"  missed on every path, short by {s.expected_shortfall:,.0f} on average")
    elif s.p_hit < 1:
        lines.append(f"  when missed, short by {s.expected_shortfall:,.0f} on average")
    return "\n".join(lines)


def statement_text(statement: TargetStatement) -> str:
    """Which announced target a run took, for the terminal: what, when, how reliable, where.

    ``the 2025 range 500,000-600,000 (its low end), announced 2025-03-11 (reliability ok;
    targets.csv:4; https://...)``
    """
    t = statement
    figure = f"{t.units:,}" if t.units_high is None else f"{t.units:,}-{t.units_high:,}"
    low_end = " (its low end)" if t.units_high is not None else ""
    where = t.where.rsplit("/", 1)[-1]  # the file and line: the folder is the company's
    return (
        f"the {t.year} {t.kind} {figure}{low_end}, announced {t.announced} "
        f"(reliability {t.reliability}; {where}; {t.source})"
    )
