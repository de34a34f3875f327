"""The check every fuzz target makes: an input loads, or fails with a ``ForecastError`` whose
problems are each one non-empty line (tests/load/test_fuzz.py, tests/scenario/test_fuzz.py)."""

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
