"""Scenario events as pure functions over arrays of draws.

Every function here is deterministic: the simulator draws the event's values (one per path)
and passes them in, so a test can hand-make the draws and check the numbers by hand.

Time inside the target year is a *month position*: month ``j`` (1 = January) covers the
interval ``[j, j + 1)``, so 2.5 is mid-February. Arrays of sim months are given by their
positions ``month_pos`` of shape (m,); draws have shape (n,), one per path; results are
(n, m). A month's value is the integral over that interval of a rate that can change inside
the month, in units of "months at full rate", so a stop covering half of a month leaves half.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from forecast.fit.types import RampShape

__all__ = [
    "WEEKS_PER_MONTH",
    "apply_capacity",
    "capacity_limit",
    "gap_factor",
    "launch_volume",
    "linear_ramp_mass",
    "month_coverage",
    "multiplier_factor",
    "production_ceiling",
    "room",
    "shaped_ramp_mass",
    "share_capacity",
    "shock_factor",
]

WEEKS_PER_MONTH = 4.345  # 365.25 / 7 / 12

# Grid points per month for evaluating a fitted ramp shape at per-path times; see shaped_ramp_mass.
_RAMP_GRID_PER_MONTH = 4


def month_coverage(start: np.ndarray, length: np.ndarray, month_pos: np.ndarray) -> np.ndarray:
    """Share of each month covered by the interval ``[start, start + length)``.

    Parameters
    ----------
    start, length : ndarray, shape (n,)
        Interval start (month position) and length in months (``inf`` for open-ended).
    month_pos : ndarray, shape (m,)
        Positions of the months; month ``j`` covers ``[j, j + 1)``.

    Returns
    -------
    ndarray, shape (n, m)
        The exact overlap of the two intervals, in [0, 1].
    """
    out = np.empty((start.size, month_pos.size))
    for rows in _row_blocks(start.size):
        s = start[rows, None]
        hi = np.minimum(s + length[rows, None], month_pos + 1.0, out=out[rows])
        hi -= np.maximum(s, month_pos)  # at most (j + 1) - j = 1 exactly
        np.maximum(hi, 0.0, out=hi)
    return out


# Rows per pass of the (n, m) formulas below: their temporaries then stay in the CPU's L2
# cache instead of streaming through memory (about twice as fast at 65,536 rows). Each row is
# computed alone, so the blocking cannot change a value.
_ROWS = 4096


def _row_blocks(n: int) -> list[slice]:
    return [slice(first, min(first + _ROWS, n)) for first in range(0, n, _ROWS)] or [slice(0, 0)]


def linear_ramp_mass(
    start: np.ndarray, ramp_length: np.ndarray, month_pos: np.ndarray
) -> np.ndarray:
    """Integral over each month of a ramp rising linearly from 0 at ``start`` to 1.

    The rate is ``clip((t - start) / ramp_length, 0, 1)``; a ramp length of 0 is a step.
    Exact: the antiderivative is ``x**2 / (2 r)`` on ``[0, r]`` and ``x - r / 2`` after.

    Parameters
    ----------
    start, ramp_length : ndarray, shape (n,)
        Month position where the ramp begins; its length in months (>= 0).
    month_pos : ndarray, shape (m,)

    Returns
    -------
    ndarray, shape (n, m)
        Ramp mass per month, in [0, 1].
    """
    out = np.empty((start.size, month_pos.size))
    for rows in _row_blocks(start.size):
        _linear_ramp_rows(start[rows, None], ramp_length[rows, None], month_pos, out[rows])
    return out


def _linear_ramp_rows(start: np.ndarray, r: np.ndarray, month_pos: np.ndarray, out) -> None:
    """``A(since + 1) - A(since)``, ``A`` the ramp's antiderivative, into ``out`` (rows, m).

    Months with ``since >= r`` are past the ramp: exactly 1, no round-off. In the others
    ``max(since, 0) <= r``, so ``A(since)`` is always the quadratic branch ``x / r * x / 2``
    (with ``x / r <= 1``) and only ``A(since + 1)`` needs both. The same operations in the
    same order as the two-branch formula, so the same bits, with fewer passes and temporaries.
    """
    r_safe = np.where(r > 0, r, 1.0)
    since = np.subtract(month_pos, start)
    past = since >= r
    upper = np.add(since, 1.0, out=out)
    np.maximum(upper, 0.0, out=upper)
    lower = np.maximum(since, 0.0, out=since)
    quadratic = upper <= r
    with np.errstate(over="ignore"):  # x / r past a tiny ramp: those months are set to 1
        square = np.divide(upper, r_safe)
        square *= upper
        square /= 2.0
        np.copyto(square, np.subtract(upper, r / 2.0, out=upper), where=~quadratic)
        np.divide(lower, r_safe, out=upper)
        upper *= lower
        upper /= 2.0
    np.subtract(square, upper, out=out)
    np.copyto(out, 1.0, where=past)


def shaped_ramp_mass(
    start: np.ndarray,
    month_pos: np.ndarray,
    ramp: RampShape,
    u: np.ndarray,
    *,
    interpolate: bool = True,
) -> np.ndarray:
    """Integral over each month of a fitted ramp shape starting at ``start``.

    The part of month ``j`` after ``start`` is weighted by the ramp fraction at its midpoint
    (midpoint rule), so a ramp starting mid-month gives that month half its length times the
    fraction a quarter-month in. ``RampShape.fraction`` takes one time axis shared by all
    paths, so with per-path starts it is evaluated on a grid of 1/4 month and linearly
    interpolated per path (exact for a ramp linear between grid points). With
    ``interpolate=False`` every start must be equal and the shape is evaluated directly.
    A ramp with a ``fraction_at(times (n, m), u (n,))`` method (``ReferenceRamp``) is
    evaluated at the per-path times directly, with neither grid nor restriction.

    Parameters
    ----------
    start : ndarray, shape (n,)
        Month position where the ramp begins.
    month_pos : ndarray, shape (m,)
    ramp : RampShape
    u : ndarray, shape (n,)
        One uniform per path choosing its ramp speed (passed to ``ramp.fraction``).
    interpolate : bool
        False when all starts are known to be equal (a fixed input): no grid needed.

    Returns
    -------
    ndarray, shape (n, m)
    """
    covered = np.subtract(month_pos + 1.0, start[:, None])
    since = covered.copy()
    np.clip(covered, 0.0, 1.0, out=covered)
    since -= covered / 2.0  # month_pos + 1 - covered / 2 - start: the covered part's midpoint
    since[covered <= 0] = 0.0
    fraction_at = getattr(ramp, "fraction_at", None)  # per-path times, no grid (ReferenceRamp)
    if fraction_at is not None:
        share = fraction_at(since, u)
        share *= covered
        return share
    if not interpolate:
        share = ramp.fraction(since[0], u) if start.size else since
    else:
        share = _interpolated_fraction(ramp, since, u)
    return covered * share


def _interpolated_fraction(ramp: RampShape, since: np.ndarray, u: np.ndarray) -> np.ndarray:
    k = _RAMP_GRID_PER_MONTH
    n_grid = int(np.ceil(since.max() * k)) + 2
    table = ramp.fraction(np.arange(n_grid) / k, u)  # (n, n_grid)
    x = since * k
    i = np.minimum(x.astype(np.int64), n_grid - 2)
    w = x - i
    i += (np.arange(since.shape[0]) * n_grid)[:, None]  # flat index into the table
    flat = table.ravel()
    lo = flat.take(i)
    return lo + w * (flat.take(i + 1) - lo)


def gap_factor(
    start: np.ndarray,
    length: np.ndarray,
    level: np.ndarray,
    month_pos: np.ndarray,
    ramp_mass: np.ndarray,
) -> np.ndarray:
    """Share of normal output left in each month by a stop and the ramp back.

    The output rate is 1 before ``start``, ``level`` during ``[start, start + length)``,
    then ``level + (1 - level) * ramp(t - restart)``: the ramp lifts the rate from the stop
    level back to normal.

    Parameters
    ----------
    start, length, level : ndarray, shape (n,)
        Stop start (month position), stop length (months), rate during the stop (0 = none).
    month_pos : ndarray, shape (m,)
    ramp_mass : ndarray, shape (n, m)
        Integral of the ramp over each month, measured from the restart
        (``linear_ramp_mass`` or ``shaped_ramp_mass`` with ``start + length``).

    Returns
    -------
    ndarray, shape (n, m)
        Multiplier in [min(level, 1), 1] for each month.
    """
    before = np.clip(np.subtract(start[:, None], month_pos), 0.0, 1.0)
    # stopped + after = 1 - before: the rate is the level from the stop on, plus the ramp.
    out = np.subtract(1.0, before)
    out *= level[:, None]
    out += before
    out += (1.0 - level)[:, None] * ramp_mass
    return out


def multiplier_factor(factor: np.ndarray, in_months: np.ndarray) -> np.ndarray:
    """Per-month multiplier: ``factor`` in the flagged months, 1 elsewhere.

    Parameters
    ----------
    factor : ndarray, shape (n,)
    in_months : ndarray of bool, shape (m,)

    Returns
    -------
    ndarray, shape (n, m)
    """
    return np.where(in_months, factor[:, None], 1.0)


def shock_factor(
    hit: np.ndarray,
    start: np.ndarray,
    length: np.ndarray,
    size: np.ndarray,
    month_pos: np.ndarray,
) -> np.ndarray:
    """Demand multiplier of a shock: ``1 - size`` while it lasts, on the paths it hits.

    Parameters
    ----------
    hit : ndarray of bool, shape (n,)
    start, length, size : ndarray, shape (n,)
        Start (month position), duration (months), fall in demand (fraction).
    month_pos : ndarray, shape (m,)

    Returns
    -------
    ndarray, shape (n, m)
    """
    fall = np.where(hit, size, 0.0)
    out = month_coverage(start, length, month_pos)
    out *= fall[:, None]
    return np.subtract(1.0, out, out=out)


def capacity_limit(
    limit: np.ndarray,
    step_month: np.ndarray | None,
    step_limit: np.ndarray | None,
    month_pos: np.ndarray,
) -> np.ndarray:
    """Monthly ceiling that moves from ``limit`` to ``step_limit`` at ``step_month``.

    A step inside a month gives that month the time-weighted mix of the two ceilings.

    Parameters
    ----------
    limit : ndarray, shape (n,)
    step_month, step_limit : ndarray, shape (n,), or None for no step
    month_pos : ndarray, shape (m,)

    Returns
    -------
    ndarray, shape (n, m)
    """
    base = np.broadcast_to(limit[:, None], (limit.size, month_pos.size))
    if step_month is None or step_limit is None:
        return base.copy()
    stepped = month_coverage(step_month, np.full_like(step_month, np.inf), month_pos)
    return base + (step_limit - limit)[:, None] * stepped


def apply_capacity(
    volume: np.ndarray,
    cap: np.ndarray,
    overflow: Literal["lost", "backlog"],
    *,
    cancel: np.ndarray | None = None,
) -> np.ndarray:
    """Output under a monthly ceiling.

    ``lost``: ``min(volume, cap)``. ``backlog``: what exceeds the ceiling is carried into the
    next month and delivered as soon as there is room, less the share ``cancel`` of it that
    is cancelled each month it waits; what is still waiting after the last month is not
    delivered in this window.

    Parameters
    ----------
    volume, cap : ndarray, shape (n, m)
    overflow : "lost" or "backlog"
    cancel : ndarray, shape (n,), optional
        Share of the waiting volume cancelled each month, in [0, 1] (default none).

    Returns
    -------
    ndarray, shape (n, m)
        Never above ``cap``.
    """
    if overflow == "lost":
        return np.minimum(volume, cap)
    keep = None if cancel is None else 1.0 - cancel
    out = np.empty_like(volume)
    for rows in _row_blocks(volume.shape[0]):  # each row alone: blocks change no value
        v, c, o = volume[rows], cap[rows], out[rows]
        k = None if keep is None else keep[rows]
        waiting = np.zeros(v.shape[0])
        due = np.empty_like(waiting)
        for j in range(v.shape[1]):  # the backlog is a recursion over months
            np.add(v[:, j], waiting, out=due)
            np.minimum(due, c[:, j], out=o[:, j])
            np.subtract(due, o[:, j], out=waiting)
            if k is not None:
                waiting *= k
    return out


def share_capacity(
    lines: np.ndarray,
    cap: np.ndarray,
    overflow: Literal["lost", "backlog"],
    *,
    cancel: np.ndarray | None = None,
) -> np.ndarray:
    """Each line's output under a ceiling on the lines' total.

    Output is shared in proportion to what each line has due (its demand plus, with
    ``backlog``, its own waiting volume, less ``cancel`` as in ``apply_capacity``), so every
    line keeps its own queue and the total equals ``apply_capacity`` on the summed volume
    (up to round-off).

    Parameters
    ----------
    lines : ndarray, shape (k, n, m)
    cap : ndarray, shape (n, m)
    overflow : "lost" or "backlog"
    cancel : ndarray, shape (n,), optional

    Returns
    -------
    ndarray, shape (k, n, m)
    """
    if overflow == "lost":
        return lines * room(lines.sum(axis=0), cap)
    keep = None if cancel is None else 1.0 - cancel
    out = np.empty_like(lines)
    waiting = np.zeros(lines.shape[:2])
    for j in range(lines.shape[2]):
        due = lines[:, :, j] + waiting
        out[:, :, j] = due * room(due.sum(axis=0), cap[:, j])
        waiting = due - out[:, :, j]
        if keep is not None:
            waiting *= keep
    return out


def room(total: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Share of ``total`` that fits under ``cap``: min(1, cap / total), 1 where total is 0."""
    return np.divide(np.minimum(total, cap), total, out=np.ones_like(total), where=total > 0)


def production_ceiling(
    demand: np.ndarray, caps: list[np.ndarray], gaps: list[np.ndarray]
) -> np.ndarray:
    """The most that can be made each month: the lowest ceiling times every stop's factor.

    A stop (``gap_factor``) scales the ceiling; with no ceiling the normal output is the
    month's demand, so a stop at level 0 makes nothing and a ramp makes its share of demand;
    a month with no stop has no bound but the ceilings (the backlog then clears).

    Parameters
    ----------
    demand : ndarray, shape (n, m)
    caps : list of ndarray (n, m)
        Ceilings; the lowest holds (none: unbounded).
    gaps : list of ndarray (n, m)
        Stops' shares of normal output, multiplied in the given order.

    Returns
    -------
    ndarray, shape (n, m)
        ``inf`` where nothing bounds the month.
    """
    # In blocks of rows (each row alone, so the same values) to keep the temporaries in
    # cache; min(inf, x) and 1 * x are x to the bit, so the first ceiling and stop start.
    out = np.empty(demand.shape)
    caps = [np.broadcast_to(limit, demand.shape) for limit in caps]
    gaps = [np.broadcast_to(gap, demand.shape) for gap in gaps]
    for rows in _row_blocks(demand.shape[0]):
        cap = out[rows]
        if not caps:
            cap.fill(np.inf)
        for i, limit in enumerate(caps):
            np.minimum(np.inf if i == 0 else cap, limit[rows], out=cap)
        if not gaps:
            continue
        factor = np.multiply(1.0, gaps[0][rows])
        for gap in gaps[1:]:
            factor *= gap[rows]
        base = np.where(np.isfinite(cap), cap, demand[rows])
        np.multiply(factor, base, out=base)
        np.copyto(cap, base, where=factor < 1.0)
    return out


def launch_volume(level: np.ndarray, ramp_mass: np.ndarray) -> np.ndarray:
    """Deseasonalised volume of a new line: plateau ``level`` (n,) times ramp mass (n, m)."""
    return level[:, None] * ramp_mass
