"""A progress bar on stderr for long commands, shown only when it helps.

The bar appears once a job has run for ``delay`` seconds (about a second), so quick runs
print nothing extra; never when stderr is not a terminal (pipes, logs, CI) or with
``--quiet``. Library functions take a plain ``on_step`` callback and never import click; the
commands wrap them in ``progress_bar``.

Example
-------
>>> with progress_bar(n_runs, label="sensitivity", quiet=quiet) as advance:  # doctest: +SKIP
...     result = measure_sensitivity(plan, seed=1, n_paths=10_000, on_step=advance)
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO, Any, TextIO, cast

import click

DELAY = 1.0
"""Seconds a job runs before its bar appears."""


def show_progress(*, quiet: bool, stream: IO[str] | None = None) -> bool:
    """Whether to draw a bar at all: not ``quiet`` and ``stream`` (stderr) is a terminal."""
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return not quiet and callable(isatty) and bool(isatty())


@contextlib.contextmanager
def progress_bar(
    length: int,
    *,
    label: str,
    quiet: bool = False,
    delay: float = DELAY,
    stream: IO[str] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n=1)``: call it after each of ``length`` steps.

    Parameters
    ----------
    length : int
        Steps in the job.
    label : str
        Shown left of the bar.
    quiet : bool
        Never draw the bar (``--quiet``).
    delay : float
        Seconds after entering before the bar is drawn; 0 draws it at once.
    stream : file, optional
        Where to draw (default: stderr); nothing is drawn unless it is a terminal.
    clock : callable
        Seconds, monotonic (for tests).
    """
    bar = _DelayedBar(length, label, stream, show_progress(quiet=quiet, stream=stream))
    bar.start(delay, clock)
    try:
        yield bar.advance
    finally:
        bar.close()


class _DelayedBar:
    """A click progress bar opened on the first step after ``delay`` seconds."""

    def __init__(self, length: int, label: str, stream: IO[str] | None, enabled: bool) -> None:
        self.length, self.label, self.enabled = length, label, enabled
        self.stream = sys.stderr if stream is None else stream
        self.done = 0
        self.bar: Any = None

    def start(self, delay: float, clock: Callable[[], float]) -> None:
        self.delay, self.clock, self.started = delay, clock, clock()
        if delay <= 0:
            self._open()

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.clock() - self.started >= self.delay:
            self._open()

    def _open(self) -> None:
        if not self.enabled:
            return
        stream = cast(TextIO, self.stream)
        bar = click.progressbar(length=self.length, label=self.label, file=stream, show_pos=True)
        self.bar = bar.__enter__()
        self.bar.update(self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
