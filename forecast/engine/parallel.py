"""Run independent jobs in worker processes, results in input order.

``map_ordered(fn, items, workers)`` is ``[fn(item) for item in items]`` computed by up to
``workers`` processes. Every job is a pure function of its item (scenario runs seed their own
streams), so the result does not depend on ``workers``: ``--workers 4`` gives the same
numbers as ``--workers 1``, only sooner.

``fn`` and the items travel to the workers by pickle: ``fn`` must be a module-level function
(or a ``functools.partial`` of one) and the items plain data (paths, strings, numbers,
arrays). A ``ForecastError`` raised in a worker is re-raised in the caller with its
``problems`` intact; when several jobs fail, the first in input order wins, as in the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TypeVar, cast

from forecast.errors import ForecastError

__all__ = ["map_ordered"]

T = TypeVar("T")
R = TypeVar("R")


def map_ordered(fn: Callable[[T], R], items: Iterable[T], workers: int = 1) -> list[R]:
    """``[fn(item) for item in items]``, computed by up to ``workers`` processes.

    Parameters
    ----------
    fn : callable
        A picklable function of one item (module-level, or a ``functools.partial`` of one).
    items : iterable
        Picklable inputs.
    workers : int
        Processes to use; 1 (or a single item) runs a plain loop in this process.

    Returns
    -------
    list
        ``fn(item)`` for each item, in the order of ``items``.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    items = list(items)
    if workers == 1 or len(items) <= 1:
        return [fn(item) for item in items]
    with ProcessPoolExecutor(max_workers=min(workers, len(items))) as pool:
        outcomes = list(pool.map(_Guarded(fn), items))
    return [cast(R, _unwrap(outcome)) for outcome in outcomes]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Failed:
    """A ``ForecastError`` from a worker, carried back as data (its class and problems)."""

    error_type: type[ForecastError]
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Guarded:
    """``fn`` with ``ForecastError`` turned into a ``_Failed`` value.

    A pickled exception is rebuilt from its message alone, which would join its problems
    into one line; sending the problems as data keeps one line per problem.
    """

    fn: Callable

    def __call__(self, item: object) -> object:
        try:
            return self.fn(item)
        except ForecastError as error:
            return _Failed(error_type=type(error), problems=error.problems)


def _unwrap(outcome: object) -> object:
    if isinstance(outcome, _Failed):
        raise outcome.error_type(outcome.problems)
    return outcome
