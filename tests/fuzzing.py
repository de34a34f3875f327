"""Fuzzing the loaders: every input either loads or fails with a ``ForecastError``.

Each target starts from the real files (``scenarios/``, ``tests/scenarios_valid/``, ``data/``,
``seeds/claims.csv``), mutates them (swapped types, deleted and duplicated keys and lines,
NaN and infinity, huge and negative numbers, empty, very long and unicode strings, deep
nesting, truncation, BOMs, wrong delimiters, stray bytes) and loads the result. A
``ForecastError`` must list at least one problem, each a single non-empty line; any other
exception is a bug.

The number of examples comes from the hypothesis profile (``tests/conftest.py``): ``ci`` runs
a few dozen per target, ``fuzz`` ten thousand::

    HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz.py -q

Function-scoped pytest fixtures are not reset between hypothesis examples, so every example
makes its own ``tempfile.TemporaryDirectory``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from hypothesis import event
from hypothesis.control import currently_in_test_context

from forecast.errors import ForecastError

T = TypeVar("T")


def loads_or_fails_cleanly(call: Callable[[], T]) -> T | None:
    """``call()``'s result, or None after checking the ``ForecastError`` it raised."""
    try:
        result = call()
    except ForecastError as error:
        _note("ForecastError")
        assert error.problems, "a ForecastError without any problem"
        for problem in error.problems:
            assert isinstance(problem, str) and problem.strip(), f"empty problem: {problem!r}"
            assert len(problem.splitlines()) == 1, f"problem is not one line: {problem!r}"
        return None
    _note("loaded")
    return result


def _note(outcome: str) -> None:
    """Count outcomes in ``--hypothesis-show-statistics`` (only inside a hypothesis test)."""
    if currently_in_test_context():
        event(outcome)
