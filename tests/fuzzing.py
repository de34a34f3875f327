"""The check every fuzz target makes: an input loads, or fails with a ``ForecastError`` whose
problems are each one non-empty line (tests/load/test_fuzz.py, tests/scenario/test_fuzz.py);
what loads runs (``runs_or_fails_cleanly``); and how many examples each target gets.

``fuzz_target`` gives each target its number of examples by hypothesis profile
(``HYPOTHESIS_PROFILE``, tests/conftest.py): 100 by default (``dev``, a quick local run), 300
under ``ci`` (what .ci/run sets: the 10,000 of every target took about 18 minutes of a loaded
2-core machine, beyond CI's 10), and the 10,000 issue 15 asks for under ``fuzz``:
``HYPOTHESIS_PROFILE=fuzz python -m pytest tests -k fuzz -q``. Other property tests keep their
profile's number.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np
from hypothesis import event, settings
from hypothesis.control import currently_in_test_context

from forecast.errors import ForecastError

T = TypeVar("T")

FUZZ_EXAMPLES = {"dev": 100, "ci": 300, "fuzz": 10_000}
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")


def fuzz_target(test: Callable[..., None]) -> Callable[..., None]:
    """``test`` with its profile's number of examples for a fuzz target (``FUZZ_EXAMPLES``)."""
    return settings(max_examples=FUZZ_EXAMPLES.get(PROFILE, 100))(test)


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


def runs_or_fails_cleanly(bundle: Any, fits: Mapping[str, Any], scenario: Any) -> None:
    """What ``forecast validate`` accepts, ``forecast run`` answers (issue 15).

    ``scenario`` (loaded) goes the way validate takes it on ``bundle``: ``check_scenario``,
    the fit, the plan, each of which may fail cleanly; then the run must simulate and
    summarise without any error. ``fits``: fitted models by fit cache key; a scenario
    needing another fit stops after the checks (a fit per example would take hours).
    """
    from forecast.engine import pipeline

    if loads_or_fails_cleanly(lambda: pipeline.check_scenario(bundle, scenario) or True) is None:
        return
    fitted = fits.get(pipeline.scenario_key(bundle, scenario))
    if fitted is None or fitted.model.as_of != scenario.as_of:
        return
    small = dataclasses.replace(scenario, n_paths=64)
    if loads_or_fails_cleanly(lambda: pipeline.plan(bundle, fitted, small)) is None:
        return
    _note("ran")
    with np.errstate(all="ignore"):  # extreme but valid inputs may overflow to inf
        result = pipeline.run(bundle, small, fitted=fitted)
    assert result.paths.shape == (64, 12)
