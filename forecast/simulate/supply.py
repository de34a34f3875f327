"""The supply side of a path: what can be made and delivered, given the demand.

Demand (fitted lines, launches, multipliers, dips and boosts, shocks) is settled first; then
supply acts twice, per line and then on the company total, each time the same way
(``deliver``):

1. ceilings whose overflow is ``lost`` cut the month's demand (the excess never waits);
2. the month's production ceiling is the lowest ceiling (``lost`` or ``backlog``, and on the
   total the company's fitted ceiling) times every stop's share of normal output
   (``events.production_ceiling``; a stopped line makes nothing whatever its demand);
3. demand that finds no room waits as backlog, of which the share ``cancel`` is cancelled
   each month it waits, and is delivered as soon as there is room (``events.apply_capacity``).

Ceilings combine by ``min`` and stops by a product taken in event-name order, so the order of
events in a file does not change a number. Every month's output is at most its production
ceiling: no simulated month exceeds the ceiling its own draws set.
"""

from __future__ import annotations

import numpy as np

from forecast.simulate import events as ev

__all__ = ["deliver"]


def deliver(
    demand: np.ndarray,
    *,
    lost: list[np.ndarray],
    limits: list[np.ndarray],
    gaps: list[np.ndarray],
    cancel: np.ndarray,
    lines: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Deliveries under ceilings and stops, with a cancelling backlog.

    Parameters
    ----------
    demand : ndarray, shape (n, m)
    lost : list of ndarray (n, m)
        Ceilings whose overflow is lost.
    limits : list of ndarray (n, m)
        Ceilings whose overflow waits.
    gaps : list of ndarray (n, m)
        Stops' shares of normal output (``events.gap_factor``).
    cancel : ndarray, shape (n,)
        Share of the backlog cancelled each month.
    lines : ndarray, shape (k, n, m), optional
        The parts of ``demand`` (lines summing to it), shared out in proportion.

    Returns
    -------
    deliveries : ndarray, shape (n, m)
    ceiling : ndarray, shape (n, m)
        The production ceiling of each month (``inf`` where none); deliveries never exceed it.
    lines : ndarray (k, n, m) or None
        ``lines`` delivered, each with its own queue, summing to ``deliveries`` (round-off).
    """
    if not (lost or limits or gaps):
        return demand, np.full(demand.shape, np.inf), lines
    if lost:
        cut = lost[0]
        for limit in lost[1:]:
            cut = np.minimum(cut, limit)
        if lines is not None:
            lines = lines * ev.room(demand, cut)
        demand = np.minimum(demand, cut)
    ceiling = ev.production_ceiling(demand, [*lost, *limits], gaps)
    out = ev.apply_capacity(demand, ceiling, "backlog", cancel=cancel)
    if lines is not None:
        lines = ev.share_capacity(lines, ceiling, "backlog", cancel=cancel)
    return out, ceiling, lines
